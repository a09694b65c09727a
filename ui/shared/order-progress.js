// How far the kitchen got with one of the kiosk's orders: received (the hub acked it) →
// seen by kitchen (`order_acknowledged`) → preparing → ready (→ collected), or cancelled.
// The hub's status is the truth and only a higher rev replaces it (an undo or recall moves
// it back); "seen" is a fact that never goes away. No DOM, no I/O.

import { t } from './i18n.js';

export const STEPS = Object.freeze(['received', 'seen', 'preparing', 'ready', 'completed']);

const STEP_KEYS = new Set(['saving', 'received', 'seen', 'preparing', 'ready', 'completed', 'cancelled', 'rejected']);

/** What a customer reads for a step, in the screen's language (catalog keys progress.*). */
export function stepText(step) { return STEP_KEYS.has(step) ? t(`progress.${step}`) : step; }

/** Merge a note ({status?, rev?, seen?}) into an order's progress; returns the same object if nothing changed. */
export function mergeProgress(current, note) {
  const cur = current || { status: null, rev: 0, seen: false };
  let next = cur;
  if (note.seen && !cur.seen) next = { ...next, seen: true };
  const rev = Number(note.rev) || 0;
  if (typeof note.status === 'string' && note.status !== cur.status && (rev > (cur.rev || 0) || (!rev && !cur.rev))) {
    next = { ...next, status: note.status, rev: rev || cur.rev || 0 };
  }
  return next === cur ? current : next;
}

/** The note a hub message carries about one order, or null: {uuid, status?, rev?, seen?}. */
export function noteFromMessage(msg) {
  const p = msg?.payload;
  if (!p || typeof p.uuid !== 'string') return null;
  if (msg.type === 'order_acknowledged') return { uuid: p.uuid, seen: true };
  if (msg.type === 'order_status_update' || msg.type === 'order_updated') return { uuid: p.uuid, status: p.status, rev: p.rev };
  return null;
}

/** The note an order row (GET /api/orders/<uuid>) carries. */
export function noteFromRow(row) {
  if (!row || typeof row.uuid !== 'string') return null;
  return { uuid: row.uuid, status: row.status, rev: row.rev, seen: Array.isArray(row.acknowledged_by) && row.acknowledged_by.length > 0 };
}

/** The one step to show for a queue entry. */
export function stepOf(entry) {
  if (entry.state === 'rejected') return 'rejected';
  const p = entry.progress || {};
  if (p.status === 'cancelled') return 'cancelled';
  if (p.status === 'preparing' || p.status === 'ready' || p.status === 'completed') return p.status;
  if (p.seen) return 'seen';
  if (entry.state === 'sent' || p.status === 'pending') return 'received';
  return 'saving';
}

/** Whether the kitchen may still move this order (worth asking the hub about). */
export function isOpen(entry) { return entry.state === 'sent' && !['completed', 'cancelled'].includes(stepOf(entry)); }
