// Central's admin API (docs/protocol.md §6) behind one small client. No DOM; fetch and storage injected.

import { t } from '../shared/i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, field) { super(message); this.status = status; this.code = code; this.field = field; }
}

/** A list from any of central's list shapes: array, {results}, {<kind>: [...]}, {outlets}. */
export function listFrom(body, kind) {
  if (Array.isArray(body)) return body;
  if (!body || typeof body !== 'object') return [];
  return body[kind] || body.results || body.items || [];
}

function summaryQuery(outletId, date) {
  const q = new URLSearchParams({ outlet_id: String(outletId) });
  if (date) q.set('date', date);
  return q.toString();
}

export class AdminApi {
  constructor({ fetchImpl = (...a) => globalThis.fetch(...a), storage = globalThis.sessionStorage, base = '' } = {}) {
    this.fetch = fetchImpl;
    this.storage = storage;
    this.base = base;
    this.onUnauthorized = () => {};
  }

  get token() { return this.storage?.getItem('outlet-hub.admin-token') || null; }
  set token(v) { if (v) this.storage.setItem('outlet-hub.admin-token', v); else this.storage.removeItem('outlet-hub.admin-token'); }

  async call(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let res;
    try {
      res = await this.fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'same-origin' });
    } catch (err) {
      throw new ApiError(0, 'network', t('admin.unreachable', { error: err.message }));
    }
    let data = null;
    if (res.status !== 204) { try { data = await res.json(); } catch { data = null; } }
    if (res.status === 401) { this.token = null; this.onUnauthorized(); }
    if (!res.ok) {
      const e = data?.error || {};
      throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText || `HTTP ${res.status}`, e.field);
    }
    return data;
  }

  async login(username, password) {
    const r = await this.call('POST', '/api/auth/login', { username, password });
    this.token = r.token;
    return r;
  }

  logout() { this.token = null; }

  outlets() { return this.call('GET', '/api/tenants/outlets/').then((b) => listFrom(b, 'outlets')); }
  createOutlet(v) { return this.call('POST', '/api/tenants/outlets/', v); }
  pinUrl(id, url) { return this.call('PATCH', `/api/tenants/outlets/${id}/`, { websocket_url: url }); }
  /** The outlet's locale and currency (decision 0901): its hub picks them up within a heartbeat. */
  setLocale(id, locale, currency) { return this.call('PATCH', `/api/tenants/outlets/${id}/`, { locale, currency }); }
  unpinUrl(id) { return this.call('PATCH', `/api/tenants/outlets/${id}/`, { websocket_url: null }); }
  /** Orders hubs set aside for good (central refused them, or a hub refused an online order). */
  deadLetters() { return this.call('GET', '/api/admin/dead-letters').then((b) => listFrom(b, 'dead_letters')); }
  enrollmentToken(id) { return this.call('POST', `/api/outlets/${id}/enrollment-tokens`, {}); }
  pairingRequests(id) { return this.call('GET', `/api/outlets/${id}/pairing-requests`); }
  decidePairing(id, code, decision) { return this.call('POST', `/api/outlets/${id}/pairing-requests/${encodeURIComponent(code)}/${decision === 'approve' ? 'approve' : 'reject'}`, {}); }
  devices(id) { return this.call('GET', `/api/outlets/${id}/devices`); }

  tenants(outletId) {
    const q = outletId != null ? `?outlet_id=${encodeURIComponent(outletId)}` : '';
    return this.call('GET', `/api/tenants/${q}`).then((b) => listFrom(b, 'tenants'));
  }

  /** Master data of one kind: {items, version}. */
  async catalog(kind) {
    const b = await this.call('GET', `/api/${kind}/?since_version=0`);
    return { items: listFrom(b, kind), version: b?.current_version ?? null };
  }

  save(kind, item) {
    const path = kind === 'tenants' ? '/api/tenants/' : `/api/${kind}/`;
    return item.id != null ? this.call('PATCH', `${path}${item.id}/`, item) : this.call('POST', path, item);
  }

  /** The day's close of one outlet (issue 14): {business_day, rows, …}; `date` YYYY-MM-DD or today. */
  summary(outletId, date) { return this.call('GET', `/api/admin/summary?${summaryQuery(outletId, date)}`); }

  /** The same summary as CSV text (fetched with the token, so no token ever sits in a link). */
  async summaryCsv(outletId, date) {
    const res = await this.fetch(`${this.base}/api/admin/summary?${summaryQuery(outletId, date)}&format=csv`, {
      headers: { Authorization: `Bearer ${this.token}` }, cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, t('summary.csv_failed', { status: res.status }));
    return res.text();
  }

  remove(kind, id) {
    const path = kind === 'tenants' ? '/api/tenants/' : `/api/${kind}/`;
    return this.call('DELETE', `${path}${id}/`);
  }
}
