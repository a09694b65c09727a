// Pairing a screen with its hub (docs/protocol.md, "Screens and devices"): ask the hub for a
// code, wait until the manager approves it (PIN on the spot, or at HQ), keep the device token.
// No DOM: fetch, storage and timers are injected so Node's test runner drives it.

import { timeoutSignal } from './abort.js';

// One token per kind of screen: a kiosk and a kitchen page on the same hub (same origin)
// share localStorage but are different devices with different rights.
import { t, errorText } from './i18n.js';

export const credentialsKey = (clientType) => `outlet-hub.device.${clientType}`;
export const REQUEST_KEY = 'outlet-hub.pairing-request';
// Polling every 2 s keeps "approved at HQ → screen carries on" well inside the 5 s the hub
// link needs, and is 300 small GETs over a code's 10 minutes.
export const POLL_MS = 2000;

export class PairingError extends Error {
  constructor(code, message, status = 0) { super(message || code); this.code = code; this.status = status; }
}

/** Whether the hub asks its screens to pair (`/api/outlet` says `pairing: "required"`). */
export function pairingRequired(outlet) { return outlet?.pairing === 'required'; }

/** Request headers carrying a device token (none without one). */
export function authHeaders(token, headers = {}) {
  return token ? { ...headers, Authorization: `Bearer ${token}` } : { ...headers };
}

/** The socket URL with `?token=` (browsers cannot set headers on a WebSocket). */
export function withToken(url, token) {
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/** Whether an answer means "this device's token is unknown or revoked": pair again. */
export function isUnauthorized({ status, code, closeCode, reason } = {}) {
  return status === 401 || code === 'unauthorized' || closeCode === 4001 ||
    (closeCode === 1008 && reason === 'unauthorized');
}

/** A fetch that adds the token to the hub's own (relative) URLs and reports a 401. */
export function authorizedFetch({ fetchImpl = (...a) => globalThis.fetch(...a), token, onUnauthorized = () => {} }) {
  return async (url, init = {}) => {
    const own = typeof url === 'string' && url.startsWith('/') && !url.startsWith('//');
    const res = await fetchImpl(url, own ? { ...init, headers: authHeaders(token(), init.headers) } : init);
    if (own && res.status === 401) onUnauthorized({ status: 401, url });
    return res;
  };
}

/**
 * The device token, kept in localStorage (read synchronously by every page) and in the
 * IndexedDB key-value store (so the kiosk's queue sender finds it even when localStorage
 * was cleared). Shape: {token, device_id, client_type, name, tenant_ids, paired_at}.
 */
export class DeviceCredentials {
  constructor({ storage, kv = null, key }) { this.storage = storage; this.kv = kv; this.key = key; }

  load() {
    try {
      const c = JSON.parse(this.storage.getItem(this.key) || 'null');
      return c && typeof c.token === 'string' && c.token ? c : null;
    } catch { return null; }
  }

  /** localStorage first, else IndexedDB (then copied back to localStorage). */
  async loadDurable() {
    const c = this.load();
    if (c || !this.kv) return c;
    try {
      const row = await this.kv.get(this.key);
      if (!row?.token) return null;
      const { key: _key, ...cred } = row;
      this.storage.setItem(this.key, JSON.stringify(cred));
      return cred;
    } catch { return null; }
  }

  async save(cred) {
    this.storage.setItem(this.key, JSON.stringify(cred));
    if (this.kv) await this.kv.put({ key: this.key, ...cred });
  }

  async clear() {
    this.storage.removeItem(this.key);
    if (this.kv) await this.kv.delete(this.key);
  }
}

async function readJson(res) { try { return await res.json(); } catch { return null; } }

async function failure(res) {
  const body = await readJson(res);
  const code = body?.error?.code || (res.status === 429 ? 'rate_limited' : `http_${res.status}`);
  return new PairingError(code, body?.error?.message || res.statusText || code, res.status);
}

/** The hub's pairing endpoints. */
export class PairingApi {
  constructor({ fetchImpl = (...a) => globalThis.fetch(...a), base = '', timeoutMs = 8000 } = {}) {
    this.fetch = fetchImpl; this.base = base; this.timeoutMs = timeoutMs;
  }

  async #call(method, path, body) {
    let res;
    try {
      res = await this.fetch(`${this.base}${path}`, { method, cache: 'no-store', signal: timeoutSignal(this.timeoutMs),
        ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }) });
    } catch (err) {
      throw new PairingError('unreachable', `the hub does not answer (${err?.message || err})`);
    }
    if (!res.ok) throw await failure(res);
    return (await readJson(res)) || {};
  }

  /** → {request_id, code, expires_at} */
  request({ client_type, name, tenant_ids }) {
    return this.#call('POST', '/api/pairing', { client_type, name, ...(tenant_ids?.length ? { tenant_ids } : {}) });
  }

  /** → {status: pending|approved|rejected|expired, device_id?, token?} */
  status(requestId) { return this.#call('GET', `/api/pairing/${encodeURIComponent(requestId)}`); }

  approve(code, pin) { return this.#call('POST', '/api/pairing/approve', { code, pin }); }
}

// The hub's error codes a manager can act on, as catalog keys (i18n.js).
const PIN_KEY = {
  rate_limited: 'pairing.rate_limited', unauthorized: 'pairing.wrong_pin',
  not_found: 'pairing.code_gone', expired: 'pairing.code_expired',
};

/**
 * One screen's way to a token. Phases: requesting → waiting (code shown, polled every 2 s)
 * → paired; an expired or vanished request starts over with a new code; rejected waits
 * for "ask again". The open request is remembered, so a reload keeps the same code.
 */
export class PairingFlow {
  constructor({ api, identity, storage = null, timers = globalThis, now = () => Date.now(), pollMs = POLL_MS,
    onChange = () => {}, onPaired = () => {} }) {
    Object.assign(this, { api, identity, storage, timers, now, pollMs, onChange, onPaired });
    this.state = { phase: 'requesting', code: null, requestId: null, expiresAt: null, message: '', pinError: '', pinBusy: false };
    this.timer = null;
    this.stopped = false;
  }

  #set(patch) { this.state = { ...this.state, ...patch }; this.onChange(this.state); }

  #schedule(fn, ms) {
    this.timers.clearTimeout(this.timer);
    this.timer = this.stopped ? null : this.timers.setTimeout(fn, ms);
  }

  #remembered() {
    try {
      const r = JSON.parse(this.storage?.getItem(REQUEST_KEY) || 'null');
      const sameIdentity = r && r.client_type === this.identity.client_type &&
        JSON.stringify(r.tenant_ids || []) === JSON.stringify(this.identity.tenant_ids || []);
      return sameIdentity && Date.parse(r.expires_at) > this.now() ? r : null;
    } catch { return null; }
  }

  start() {
    this.stopped = false;
    const r = this.#remembered();
    if (r) {
      this.#set({ phase: 'waiting', code: r.code, requestId: r.request_id, expiresAt: r.expires_at, message: '' });
      this.#schedule(() => this.pollOnce(), 0);
    } else {
      this.requestCode();
    }
  }

  stop() { this.stopped = true; this.timers.clearTimeout(this.timer); this.timer = null; }

  /** Ask the hub for a (new) code; retried every 2 polls while the hub does not answer. */
  async requestCode() {
    this.#set({ phase: 'requesting', code: null, requestId: null, pinError: '' });
    try {
      const r = await this.api.request(this.identity);
      this.storage?.setItem(REQUEST_KEY, JSON.stringify({ ...r, client_type: this.identity.client_type,
        tenant_ids: this.identity.tenant_ids || [] }));
      this.#set({ phase: 'waiting', code: r.code, requestId: r.request_id, expiresAt: r.expires_at, message: '' });
      this.#schedule(() => this.pollOnce(), this.pollMs);
    } catch (err) {
      this.#set({ message: err.code === 'rate_limited' ? t('pairing.too_many_requests')
        : t('pairing.unreachable_retry', { error: errorText(err) }) });
      this.#schedule(() => this.requestCode(), this.pollMs * (err.code === 'rate_limited' ? 15 : 2));
    }
  }

  /** One look at the request; schedules the next unless it ended. */
  async pollOnce() {
    if (this.stopped || !this.state.requestId) return;
    let r;
    try {
      r = await this.api.status(this.state.requestId);
    } catch (err) {
      if (err.status === 404 || err.code === 'not_found') { this.#forget(); this.requestCode(); return; }
      this.#set({ message: t('pairing.unreachable_waiting', { error: errorText(err) }) });
      this.#schedule(() => this.pollOnce(), this.pollMs);
      return;
    }
    if (this.stopped) return;
    if (r.status === 'approved' && r.token) {
      this.#forget();
      this.stop();
      const cred = { token: r.token, device_id: r.device_id ?? null, client_type: this.identity.client_type,
        name: this.identity.name, tenant_ids: this.identity.tenant_ids || [], paired_at: new Date(this.now()).toISOString() };
      this.#set({ phase: 'paired', message: '' });
      await this.onPaired(cred);
    } else if (r.status === 'approved' || r.status === 'expired') {
      // Approved but the token went to an earlier read (another tab), or too late: new code.
      this.#forget();
      this.requestCode();
    } else if (r.status === 'rejected') {
      this.#forget();
      this.#set({ phase: 'rejected', message: t('pairing.rejected') });
    } else {
      if (this.state.message) this.#set({ message: '' });
      this.#schedule(() => this.pollOnce(), this.pollMs);
    }
  }

  /** The manager typed the PIN on this screen. */
  async submitPin(pin) {
    const clean = String(pin || '').trim();
    if (!clean) { this.#set({ pinError: t('pairing.type_pin') }); return false; }
    if (!this.state.code || this.state.pinBusy) return false;
    this.#set({ pinBusy: true, pinError: '' });
    try {
      await this.api.approve(this.state.code, clean);
    } catch (err) {
      this.#set({ pinBusy: false, pinError: PIN_KEY[err.code] ? t(PIN_KEY[err.code])
        : err.status === 401 ? t(PIN_KEY.unauthorized) : t('pairing.not_approved', { error: errorText(err) }) });
      return false;
    }
    this.#set({ pinBusy: false });
    await this.pollOnce();
    return true;
  }

  #forget() { this.storage?.removeItem(REQUEST_KEY); }
}
