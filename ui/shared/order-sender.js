// Drains the kiosk's OrderQueue: WebSocket first (wait for the ack), then HTTP POST, then —
// when the hub itself is down but central answers — central's public order endpoint.
// The same uuid every time; one drain at a time; backoff while nothing answers.

import { backoffDelay } from './backoff.js';
import { SubmitError, REJECT_CODES, AUTH_CODES } from './sync-client.js';
import { timeoutSignal } from './abort.js';

/** POST an order to the hub's HTTP API; resolves with the ack body or throws SubmitError. */
export async function httpSubmit(order, { fetchImpl = (...a) => globalThis.fetch(...a), base = '', timeoutMs = 8000 } = {}) {
  let res;
  try {
    res = await fetchImpl(`${base}/api/orders`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(order),
      signal: timeoutSignal(timeoutMs), cache: 'no-store',
    });
  } catch (err) {
    throw new SubmitError('unreachable', 'network', String(err?.message || err));
  }
  return readAck(res);
}

async function readAck(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON: a proxy or a dying server */ }
  if (res.ok) return body || {};
  const code = body?.error?.code || `http_${res.status}`;
  const message = body?.error?.message || res.statusText;
  // A token the hub no longer knows (401) or one of another role (403): the order itself is
  // fine, so it stays queued until this device is paired again.
  if (res.status === 401 || res.status === 403 || AUTH_CODES.has(code)) throw new SubmitError('unauthorized', code, message);
  const kind = (REJECT_CODES.has(code) || (res.status >= 400 && res.status < 500 && ![408, 425, 429].includes(res.status)))
    ? 'rejected' : 'unreachable';
  throw new SubmitError(kind, code, message);
}

/**
 * The cart(s) behind queued orders in central's `/api/public/order-groups/` shape: one cart per
 * checkout (group_id), with `uuids` mapping each tenant to the uuid the kiosk already gave
 * that tenant's order, so central stores the very same orders the hub would have. Central
 * prices lines from its master data. Orders without a tenant cannot go this way.
 */
export function centralCarts(orders) {
  const groups = new Map();
  for (const o of orders) {
    if (o.tenant_id == null) continue;
    const g = o.group_id || o.uuid;
    if (!groups.has(g)) {
      groups.set(g, { outlet_id: o.outlet_id, client_uuid: g, order_type: o.order_type, table: o.table || null,
        customer_name: o.customer_name || '', notes: o.notes || '', items: [], uuids: {}, order_numbers: {} });
    }
    const cart = groups.get(g);
    cart.uuids[o.tenant_id] = o.uuid;
    cart.order_numbers[o.tenant_id] = o.order_number; // extra field: keep the number on the receipt
    for (const i of o.items) cart.items.push({ product_id: i.product_id, qty: i.qty, modifiers: i.modifiers || [], notes: i.notes || '' });
  }
  return [...groups.values()];
}

/** Send queued orders to central while the hub is down; resolves with merged per-order results. */
export async function centralSubmit(orders, { fetchImpl = (...a) => globalThis.fetch(...a), centralUrl, timeoutMs = 10000 }) {
  if (!centralUrl) throw new SubmitError('unreachable', 'no_central', 'central address unknown');
  const results = [];
  for (const cart of centralCarts(orders)) {
    let res;
    try {
      res = await fetchImpl(`${centralUrl.replace(/\/$/, '')}/api/public/order-groups/`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(cart),
        signal: timeoutSignal(timeoutMs), cache: 'no-store', mode: 'cors',
      });
    } catch (err) {
      throw new SubmitError('unreachable', 'network', String(err?.message || err));
    }
    const body = await readAck(res);
    const rows = body?.results || body?.orders || [];
    results.push(...(rows.length ? rows : Object.values(cart.uuids).map((uuid) => ({ uuid, result: 'created' }))));
  }
  return { results };
}

export class OrderSender {
  constructor(queue, { socket = null, submitHttp, submitCentral = null, timers = globalThis,
    random = Math.random, backoff = { baseMs: 1000, capMs: 30000 }, onResult = () => {},
    centralAfterMs = 30000, now = () => Date.now(), onUnauthorized = () => {} }) {
    this.onUnauthorized = onUnauthorized; // the device must pair again; the queue waits
    // A hub restart takes seconds; only a hub that stays down this long sends orders via central,
    // so that a short blip does not detour the kitchen through the internet.
    this.centralAfterMs = centralAfterMs;
    this.now = now;
    this.hubDownSince = null;
    this.queue = queue;
    this.socket = socket;
    this.submitHttp = submitHttp;
    this.submitCentral = submitCentral;
    this.timers = timers;
    this.random = random;
    this.backoffOpts = backoff;
    this.onResult = onResult;
    this.running = null;
    this.again = false;
    this.failures = 0;
    this.timer = null;
    this.hubReachable = null; // last verdict: true, false, or null before the first try
  }

  /** Drain now; concurrent calls coalesce into one more pass after the current one. */
  drain() {
    if (this.running) { this.again = true; return this.running; }
    this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.running = this.#pass().finally(() => {
      this.running = null;
      if (this.again) { this.again = false; this.drain(); }
    });
    return this.running;
  }

  async #sendOne(order) {
    if (this.socket?.isOpen) {
      try { return { ack: await this.socket.submitOrder(order), via: 'ws' }; } catch (err) {
        if (err.kind === 'rejected' || err.kind === 'unauthorized') throw err;
      }
    }
    return { ack: await this.submitHttp(order), via: 'http' };
  }

  async #pass() {
    const waiting = await this.queue.waiting();
    if (waiting.length === 0) { this.failures = 0; return; }
    for (let i = 0; i < waiting.length; i++) {
      const entry = waiting[i];
      try {
        const { ack, via } = await this.#sendOne(entry.order);
        this.hubReachable = true;
        this.hubDownSince = null;
        await this.queue.markSent(entry.uuid, ack, via);
        this.onResult({ uuid: entry.uuid, ok: true, via, ack });
      } catch (err) {
        if (err.kind === 'rejected') {
          this.hubReachable = true;
          await this.queue.markRejected(entry.uuid, err);
          this.onResult({ uuid: entry.uuid, ok: false, rejected: true, error: err });
          continue;
        }
        if (err.kind === 'unauthorized') {
          // Not the order's fault and not the network's: everything stays queued, nothing
          // goes via central (that would bypass a revocation), and the page pairs again
          // (with pairing off, e.g. a wrong legacy client_token, it just keeps retrying slowly).
          this.hubReachable = true;
          this.onUnauthorized(err);
          this.failures += 1;
          this.#schedule();
          return;
        }
        this.hubReachable = false;
        if (this.hubDownSince == null) this.hubDownSince = this.now();
        // Hub unreachable both ways: the rest would fail the same; try central with all of them.
        const rest = waiting.slice(i);
        const longDown = this.now() - this.hubDownSince >= this.centralAfterMs;
        if (this.submitCentral && longDown && await this.#tryCentral(rest)) return;
        await this.queue.markAttemptFailed(entry.uuid, err);
        this.failures += 1;
        this.#schedule();
        return;
      }
    }
    this.failures = 0;
  }

  async #tryCentral(entries) {
    try {
      const res = await this.submitCentral(entries.map((e) => e.order));
      const results = new Map((res?.results || res?.orders || []).map((r) => [r.uuid, r]));
      for (const e of entries) {
        const r = results.get(e.uuid);
        const result = r?.result ?? r?.status ?? (results.size === 0 ? 'created' : undefined);
        if (result === 'created' || result === 'duplicate' || (r && r.id != null && !r.error)) {
          await this.queue.markSent(e.uuid, { ...(r || {}), uuid: e.uuid }, 'central');
          this.onResult({ uuid: e.uuid, ok: true, via: 'central' });
        } else if (r) {
          await this.queue.markRejected(e.uuid, { code: result || 'invalid', message: r.error || '' });
        }
      }
      this.failures = 0;
      return true;
    } catch {
      return false;
    }
  }

  #schedule() {
    if (this.timer) return;
    const delay = backoffDelay(this.failures - 1, this.backoffOpts, this.random);
    this.nextRetryAt = this.now() + delay;
    this.timer = this.timers.setTimeout(() => { this.timer = null; this.drain(); }, delay);
  }
}
