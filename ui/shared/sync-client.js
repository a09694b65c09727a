// One WebSocket to the hub, kept open: hello on every (re)connect, reconnect with backoff,
// a liveness ping, and request/response matching for `new_order` → `ack`.
// No DOM: WebSocket, timers and the random source are injected so tests drive it with a fake.
//
// States: "connecting" → "open" → "closed" → (after backoff) "connecting" …; "stopped" at the end.

import { backoffDelay } from './backoff.js';

export class SubmitError extends Error {
  /** kind "unreachable" = try again later; "rejected" = the server refused this content. */
  constructor(kind, code, message) { super(message || code); this.kind = kind; this.code = code; }
}

// Codes that mean "this exact order will never be accepted": keep it, show it, stop retrying.
export const REJECT_CODES = new Set(['validation_failed', 'conflict', 'outlet_mismatch', 'too_large',
  'invalid_message', 'invalid_json']);

// Codes that mean "this device may not do this": keep the order, pair again, then resend.
export const AUTH_CODES = new Set(['unauthorized', 'forbidden']);

/** How a refusal code is handled: "rejected" (never retry), "unauthorized" (pair, retry), else "unreachable". */
export function errorKind(code) {
  if (AUTH_CODES.has(code)) return 'unauthorized';
  return REJECT_CODES.has(code) ? 'rejected' : 'unreachable';
}

/** The hub's WebSocket URL for a page served by the hub. */
export function hubSocketUrl(loc = globalThis.location) {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

export class HubSocket {
  constructor({ url, hello, WebSocketImpl = globalThis.WebSocket, timers = globalThis,
    random = Math.random, backoff = { baseMs: 500, capMs: 10000 }, pingMs = 20000,
    connectTimeoutMs = 5000, now = () => Date.now() }) {
    this.now = now;
    this.url = url;
    this.hello = hello; // () => payload of the hello message, evaluated at each connect
    this.WS = WebSocketImpl;
    this.timers = timers;
    this.random = random;
    this.backoffOpts = backoff;
    this.pingMs = pingMs;
    this.connectTimeoutMs = connectTimeoutMs;
    this.state = 'closed';
    this.failures = 0; // consecutive failed connects; reset once open
    this.ws = null;
    this.retryTimer = null;
    this.pingTimer = null;
    this.connectTimer = null;
    this.lastMessageAt = 0;
    this.pending = new Map(); // message id → {resolve, reject, timer, id, uuid}
    this.seq = 0;
    this.handlers = new Map();
  }

  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
    return () => this.handlers.get(event).delete(fn);
  }

  #emit(event, arg) { for (const fn of this.handlers.get(event) || []) fn(arg); }

  #setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.#emit('state', s);
  }

  get isOpen() { return this.state === 'open'; }

  start() {
    if (this.state === 'connecting' || this.state === 'open') return;
    this.#connect();
  }

  stop() {
    this.#clearTimers();
    this.#setState('stopped');
    if (this.ws) { try { this.ws.close(1000); } catch { /* already closed */ } }
    this.ws = null;
    this.#failPending(new SubmitError('unreachable', 'stopped', 'connection stopped'));
  }

  /** Skip the remaining backoff and try now (e.g. the browser said it is online again). */
  reconnectNow() {
    if (this.state === 'closed') {
      this.timers.clearTimeout(this.retryTimer);
      this.#connect();
    }
  }

  #clearTimers() {
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.connectTimer);
    this.timers.clearInterval(this.pingTimer);
    this.retryTimer = this.connectTimer = this.pingTimer = null;
  }

  #connect() {
    this.#setState('connecting');
    let ws;
    try {
      // A function is asked at every connect (the device token may have changed).
      ws = new this.WS(typeof this.url === 'function' ? this.url() : this.url);
    } catch (err) {
      this.#onClose(err);
      return;
    }
    this.ws = ws;
    // A connect that hangs (hub half-up, captive network) counts as a failure.
    this.connectTimer = this.timers.setTimeout(() => { if (this.ws === ws && this.state === 'connecting') ws.close(); }, this.connectTimeoutMs);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.timers.clearTimeout(this.connectTimer);
      this.failures = 0;
      this.lastMessageAt = this.now();
      this.send('hello', this.hello ? this.hello() : {});
      this.#setState('open');
      this.pingTimer = this.timers.setInterval(() => this.#ping(), this.pingMs);
    };
    ws.onmessage = (ev) => { if (this.ws === ws) this.#onMessage(ev.data); };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.#emit('close', { code: ev?.code ?? 1006, reason: ev?.reason ?? '' }); // 4001: revoked device
      this.#onClose();
    };
    ws.onerror = () => { /* onclose follows and decides */ };
  }

  #ping() {
    // No frame at all for two ping periods: the TCP connection is dead but nobody told us.
    if (this.now() - this.lastMessageAt > this.pingMs * 2.5) {
      try { this.ws.close(); } catch { /* ignore */ }
      this.#onClose();
      return;
    }
    this.send('ping', { timestamp: new Date().toISOString() });
  }

  #onClose() {
    this.#clearTimers();
    this.ws = null;
    if (this.state === 'stopped') return;
    this.failures += 1;
    this.#setState('closed');
    this.#failPending(new SubmitError('unreachable', 'disconnected', 'hub connection lost'));
    const delay = backoffDelay(this.failures - 1, this.backoffOpts, this.random);
    this.retryTimer = this.timers.setTimeout(() => this.#connect(), delay);
  }

  #failPending(err) {
    for (const [, p] of this.pending) { this.timers.clearTimeout(p.timer); p.reject(err); }
    this.pending.clear();
  }

  #onMessage(data) {
    this.lastMessageAt = this.now();
    let msg;
    try { msg = JSON.parse(data); } catch { return; }
    if (!msg || typeof msg.type !== 'string') return;
    const payload = msg.payload || {};
    if (msg.type === 'ack' || msg.type === 'error') {
      // Match by ref (the id we sent); an ack without ref still matches by the order's uuid.
      let key = msg.ref && [...this.pending.entries()].find(([, p]) => p.id === msg.ref)?.[0];
      if (!key && msg.type === 'ack' && payload.uuid) {
        key = [...this.pending.entries()].find(([, p]) => p.uuid === payload.uuid)?.[0];
      }
      if (key) {
        const p = this.pending.get(key);
        this.pending.delete(key);
        this.timers.clearTimeout(p.timer);
        if (msg.type === 'ack') p.resolve(payload);
        else p.reject(new SubmitError(errorKind(payload.code), payload.code, payload.message));
      }
    }
    this.#emit('message', msg);
  }

  /** Send one envelope; returns its id, or null when the socket is not open. */
  send(type, payload, id) {
    if (!this.ws || this.ws.readyState !== 1) return null;
    const mid = id || `m${++this.seq}`;
    this.ws.send(JSON.stringify({ type, payload, id: mid, timestamp: new Date().toISOString() }));
    return mid;
  }

  /**
   * Send a message and resolve with the hub's `ack` (matched by ref, or by uuid), reject on
   * its `error`, on timeout or when the socket drops first. For `new_order` the ack means
   * the order is durably committed on the hub.
   */
  request(type, payload, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) { reject(new SubmitError('unreachable', 'not_connected', 'hub socket not open')); return; }
      const id = `r${++this.seq}`;
      const uuid = payload?.uuid ?? null;
      const timer = this.timers.setTimeout(() => {
        if (this.pending.has(id)) {
          this.pending.delete(id);
          reject(new SubmitError('unreachable', 'timeout', `no answer from hub to ${type}`));
        }
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, id, uuid });
      if (this.send(type, payload, id) === null) {
        this.pending.delete(id);
        this.timers.clearTimeout(timer);
        reject(new SubmitError('unreachable', 'not_connected', 'hub socket not open'));
      }
    });
  }

  /** Submit an order; resolves with the ack once the hub committed it. */
  submitOrder(order, timeoutMs = 5000) { return this.request('new_order', order, timeoutMs); }
}
