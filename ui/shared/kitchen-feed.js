// The kitchen's connection to orders: WebSocket ("live") with resume from the last rev,
// HTTP polling of the change feed while the socket is down ("polling"), central's order
// list with a read-only display token while the hub itself is down ("central"), else
// "offline". Every path feeds the same TicketStore, which dedupes by uuid and rev.
// No DOM: fetch, timers, clock and visibility are injected.

import { nextPollDelay } from './poll-policy.js';
import { t as translate } from './i18n.js';

const MODES = new Set(['live', 'polling', 'offline', 'central', 'connecting']);
/** The connection pill's word for a feed mode, in the screen's language. */
export function modeLabel(mode) { return MODES.has(mode) ? translate(`feed.${mode}`) : mode; }
import { timeoutSignal } from './abort.js';

export function feedQuery({ sinceRev, outletId, tenantIds }) {
  const q = new URLSearchParams({ since_rev: String(sinceRev || 0) });
  if (outletId != null) q.set('outlet_id', String(outletId));
  for (const t of tenantIds || []) q.append('tenant_id', String(t));
  return q.toString();
}

export class KitchenFeed {
  constructor({ socket, store, fetchImpl = (...a) => globalThis.fetch(...a), base = '', timers = globalThis,
    now = () => Date.now(), isHidden = () => false, outletId = null, tenantIds = [],
    central = null, onTickets = () => {}, onMode = () => {}, centralAfterFailures = 3 }) {
    this.socket = socket;
    this.store = store;
    this.fetch = fetchImpl;
    this.base = base;
    this.timers = timers;
    this.now = now;
    this.isHidden = isHidden;
    this.outletId = outletId;
    this.tenantIds = tenantIds;
    this.central = central; // {url, token} from the hub's /api/outlet, or null
    this.centralAfterFailures = centralAfterFailures;
    this.onTickets = onTickets; // ({newUuids, changed}) after any batch is applied
    this.onMode = onMode;
    this.mode = 'connecting';
    this.pollTimer = null;
    this.polling = false;
    this.pollFailures = 0;
    this.lastChangeAt = now();
    this.lastChanges = 0;
    this.centralLastId = 0;
    this.stopped = false;
    socket.on('state', (s) => this.#onSocketState(s));
    socket.on('message', (m) => this.#onMessage(m));
  }

  start() { this.socket.start(); }

  stop() {
    this.stopped = true;
    this.timers.clearTimeout(this.pollTimer);
    this.socket.stop();
  }

  #setMode(m) {
    if (m === this.mode) return;
    this.mode = m;
    this.onMode(m);
  }

  #onSocketState(s) {
    if (s === 'open') {
      this.timers.clearTimeout(this.pollTimer);
      this.pollTimer = null;
      this.pollFailures = 0;
      this.#setMode('live');
    } else if (s === 'closed' && !this.stopped) {
      if (this.mode === 'live' || this.mode === 'connecting') this.#setMode('polling');
      // Each failed reconnect lands here; an already planned poll keeps its own pace.
      if (!this.pollTimer && !this.polling && !this.isHidden()) this.#schedulePoll(0);
    }
  }

  #onMessage(msg) {
    const t = msg.type;
    if (t === 'new_order' || t === 'order_status_update' || t === 'order_updated') {
      this.applyBatch([msg.payload]);
    } else if (t === 'replay_done' && msg.payload?.last_rev != null) {
      this.store.lastRev = Math.max(this.store.lastRev, Number(msg.payload.last_rev));
      this.onTickets({ newUuids: [], changed: false });
    }
  }

  /** Apply rows from any path; reports which uuids are new tickets. */
  applyBatch(rows) {
    const newUuids = [];
    let changed = false;
    for (const row of rows) {
      const r = this.store.apply(row);
      if (r === 'new') newUuids.push((row.order || row).uuid);
      if (r !== 'ignored') changed = true;
    }
    if (changed) { this.lastChangeAt = this.now(); }
    this.lastChanges = changed ? rows.length : 0;
    this.onTickets({ newUuids, changed });
    return newUuids;
  }

  /** The tab became visible again, or the filters changed: poll now if we are polling. */
  kick() {
    if (!this.socket.isOpen && !this.stopped) this.#schedulePoll(0);
  }

  #schedulePoll(delay) {
    this.timers.clearTimeout(this.pollTimer);
    this.pollTimer = null;
    if (delay == null || this.stopped || this.socket.isOpen) return;
    this.pollTimer = this.timers.setTimeout(() => this.pollOnce(), delay);
  }

  /** One poll of the hub's change feed (or central's list); schedules the next one. */
  async pollOnce() {
    if (this.polling || this.socket.isOpen || this.stopped) return;
    this.polling = true;
    try {
      await this.#pollHub();
      this.pollFailures = 0;
      if (!this.socket.isOpen) this.#setMode('polling');
    } catch {
      this.pollFailures += 1;
      let ok = false;
      if (this.central?.url && this.central?.token && this.pollFailures >= this.centralAfterFailures) {
        try { await this.#pollCentral(); ok = true; } catch { ok = false; }
      }
      if (!this.socket.isOpen) this.#setMode(ok ? 'central' : 'offline');
    } finally {
      this.polling = false;
    }
    const delay = nextPollDelay({ hidden: this.isHidden(), lastChanges: this.lastChanges,
      idleForMs: this.now() - this.lastChangeAt, failures: this.mode === 'central' ? 0 : this.pollFailures });
    this.#schedulePoll(delay);
  }

  async #pollHub() {
    const q = feedQuery({ sinceRev: this.store.lastRev, outletId: this.outletId, tenantIds: this.tenantIds });
    const res = await this.fetch(`${this.base}/api/orders?${q}`, { cache: 'no-store', signal: timeoutSignal(5000) });
    if (!res.ok) throw new Error(`poll: HTTP ${res.status}`);
    const rows = await res.json();
    this.applyBatch(Array.isArray(rows) ? rows : rows.orders || []);
    const last = Number(res.headers?.get?.('X-Last-Rev'));
    if (Number.isFinite(last) && last > this.store.lastRev) this.store.lastRev = last;
  }

  async #pollCentral() {
    const q = new URLSearchParams({ outlet_id: String(this.outletId), since_id: String(this.centralLastId) });
    const res = await this.fetch(`${this.central.url.replace(/\/$/, '')}/api/orders/?${q}`, {
      cache: 'no-store', headers: { Authorization: `Bearer ${this.central.token}` }, signal: timeoutSignal(8000),
    });
    if (!res.ok) throw new Error(`central: HTTP ${res.status}`);
    const body = await res.json();
    const rows = Array.isArray(body) ? body : body.orders || body.results || [];
    for (const r of rows) if (Number(r.id) > this.centralLastId) this.centralLastId = Number(r.id);
    // Central numbers its rows itself: its ids/revs are not the hub's change feed.
    const tenantOk = (r) => !this.tenantIds.length || this.tenantIds.includes(r.tenant_id);
    const lastRev = this.store.lastRev;
    this.applyBatch(rows.filter(tenantOk).map(({ id, rev, ...o }) => o));
    this.store.lastRev = lastRev;
  }

  /**
   * Change a ticket's status: over the socket when live, else PATCH over HTTP.
   * Resolves when the hub accepted it; the new state arrives through the feed.
   */
  async setStatus(uuid, status) {
    if (this.socket.isOpen) {
      try {
        const ack = await this.socket.request('order_update', { uuid, status });
        return ack;
      } catch (err) {
        if (err.kind === 'rejected' || err.code === 'invalid_transition' || err.code === 'not_found') throw err;
      }
    }
    const res = await this.fetch(`${this.base}/api/orders/${encodeURIComponent(uuid)}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status }),
      cache: 'no-store',
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const e = new Error(body?.error?.message || `HTTP ${res.status}`);
      e.code = body?.error?.code;
      throw e;
    }
    if (body && body.uuid) this.applyBatch([body]);
    return body;
  }
}
