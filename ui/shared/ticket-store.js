// The kitchen's tickets: one per order uuid, changed only by a newer rev, so replays,
// polling overlap and a socket/poll race never show a ticket twice or roll it back. Pure.

import { fromEarlierDay } from './business-day.js';

export const OPEN_STATUSES = new Set(['pending', 'preparing', 'ready']);
const CANCEL_SHOW_MS = 2 * 60 * 1000; // a cancelled ticket stays visible (struck) this long

// The hub's clock (`received_at`) decides a ticket's trading day where it is known: a kiosk
// whose clock is a day behind must not send its orders straight to "yesterday".
const arrivedAt = (t) => t.received_at || t.created_at;

/** Normalise a hub message payload (`new_order` carries the order, maybe under `order`). */
export function orderFromPayload(payload) {
  return payload && typeof payload.order === 'object' && payload.order ? payload.order : payload;
}

export class TicketStore {
  constructor({ now = () => Date.now() } = {}) {
    this.now = now;
    this.tickets = new Map(); // uuid → ticket
    this.lastRev = 0;
    this.lastId = 0;
    this.bumped = []; // uuids completed on this screen or elsewhere, newest last
  }

  /**
   * Apply a full order (new_order / polled feed row) or a status update.
   * Returns "new" (first time seen), "updated", or "ignored" (old rev or unknown update).
   */
  apply(msg) {
    const o = orderFromPayload(msg);
    if (!o || !o.uuid) return 'ignored';
    const rev = Number(o.rev ?? 0);
    if (rev > this.lastRev) this.lastRev = rev;
    if (o.id != null && Number(o.id) > this.lastId && o.items) this.lastId = Number(o.id);
    const cur = this.tickets.get(o.uuid);
    if (cur && rev && cur.rev && rev <= cur.rev) return 'ignored';
    if (!cur) {
      if (!Array.isArray(o.items)) return 'ignored'; // a bare status update for an order we never had
      this.tickets.set(o.uuid, { ...o, rev, seen_at: this.now(), status_at: this.now() });
      this.#trackBump(o.uuid, null, o.status);
      return 'new';
    }
    const prevStatus = cur.status;
    const next = { ...cur, ...(o.items ? o : { status: o.status, updated_at: o.updated_at ?? cur.updated_at }), rev: rev || cur.rev };
    if (next.status !== prevStatus) next.status_at = this.now();
    this.tickets.set(o.uuid, next);
    this.#trackBump(o.uuid, prevStatus, next.status);
    return 'updated';
  }

  #trackBump(uuid, prev, status) {
    this.bumped = this.bumped.filter((u) => u !== uuid);
    if (status === 'completed' && prev !== null) this.bumped.push(uuid);
    if (this.bumped.length > 20) this.bumped.shift();
  }

  /** The uuid recall would bring back: the newest completed ticket. */
  lastBumped() {
    for (let i = this.bumped.length - 1; i >= 0; i--) {
      const t = this.tickets.get(this.bumped[i]);
      if (t && t.status === 'completed') return t;
    }
    return null;
  }

  /**
   * Tickets to draw: open ones plus recently cancelled ones, oldest first. With
   * `dayStartsAt`, open tickets from an earlier trading day are left to `yesterday()`.
   */
  visible({ tenantIds = null, stations = null, dayStartsAt = null } = {}) {
    const now = this.now();
    const out = [];
    for (const t of this.tickets.values()) {
      const open = OPEN_STATUSES.has(t.status);
      const recentCancel = t.status === 'cancelled' && now - (t.status_at || 0) < CANCEL_SHOW_MS;
      if (!open && !recentCancel) continue;
      if (dayStartsAt && fromEarlierDay(arrivedAt(t), now, dayStartsAt)) continue;
      if (tenantIds && tenantIds.length && !tenantIds.includes(t.tenant_id)) continue;
      const items = stations && stations.length ? t.items.filter((i) => stations.includes(i.station)) : t.items;
      if (items.length === 0) continue;
      out.push(items === t.items ? t : { ...t, items });
    }
    return out.sort((a, b) => (Date.parse(a.created_at) || 0) - (Date.parse(b.created_at) || 0) || a.rev - b.rev);
  }

  /** Open tickets from an earlier trading day (the kitchen's "yesterday" list), oldest first. */
  yesterday({ tenantIds = null, stations = null, dayStartsAt } = {}) {
    const now = this.now();
    return this.visible({ tenantIds, stations })
      .filter((t) => OPEN_STATUSES.has(t.status) && fromEarlierDay(arrivedAt(t), now, dayStartsAt));
  }

  /** Open item counts by name across pending/preparing tickets ("all day"). */
  allDay(filter) {
    const counts = new Map();
    for (const t of this.visible(filter)) {
      if (t.status !== 'pending' && t.status !== 'preparing') continue;
      for (const i of t.items) counts.set(i.name, (counts.get(i.name) || 0) + Number(i.qty || 0));
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }

  /** Drop finished tickets older than `keepMs` so storage stays small over weeks. */
  prune(keepMs = 6 * 3600 * 1000) {
    const now = this.now();
    for (const [uuid, t] of this.tickets) {
      if (!OPEN_STATUSES.has(t.status) && now - (t.status_at || 0) > keepMs) this.tickets.delete(uuid);
    }
  }

  toJSON() {
    return { lastRev: this.lastRev, lastId: this.lastId, bumped: this.bumped, tickets: [...this.tickets.values()] };
  }

  static fromJSON(data, opts) {
    const s = new TicketStore(opts);
    if (!data) return s;
    s.lastRev = Number(data.lastRev || 0);
    s.lastId = Number(data.lastId || 0);
    s.bumped = Array.isArray(data.bumped) ? data.bumped : [];
    for (const t of data.tickets || []) if (t && t.uuid) s.tickets.set(t.uuid, t);
    return s;
  }
}
