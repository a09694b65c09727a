// Paired screens and pending pairing codes on the hub status page, behind the manager PIN.
// The PIN lives in this page's memory only (never stored); every call sends it in
// X-Manager-Pin, and 5 wrong PINs lock this address out for 5 minutes (the hub says 429).

import { h, mount } from '../shared/dom.js';
import { timeoutSignal } from '../shared/abort.js';

let pin = '';

/** The manager PIN entered under Screens (empty until then): the printers card sends it too. */
export function managerPin() { return pin; }
let note = '';

async function call(method, path, body) {
  const res = await fetch(path, {
    method, cache: 'no-store', signal: timeoutSignal(5000),
    headers: { 'X-Manager-Pin': pin, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error(data?.error?.message || `HTTP ${res.status}`), { status: res.status });
  return data;
}

const ago = (iso) => {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : new Date(iso).toLocaleString();
};

function locked(root) {
  const input = h('input', { type: 'password', inputMode: 'numeric', autocomplete: 'off', placeholder: 'Manager PIN', dataset: { testid: 'screens-pin' } });
  const unlock = async (ev) => {
    ev.preventDefault();
    pin = input.value.trim();
    note = '';
    await render(root);
  };
  mount(root, h('h2', {}, 'Paired screens'),
    h('form.pinform', { onsubmit: unlock }, input, h('button', { type: 'submit', dataset: { testid: 'screens-unlock' } }, 'Show')),
    note ? h('p.muted', { dataset: { testid: 'screens-note' } }, note) : null);
}

export async function render(root) {
  if (!pin) {
    if (!root.querySelector('form.pinform')) locked(root);
    return;
  }
  let devices, pending;
  try {
    [devices, pending] = await Promise.all([call('GET', '/api/devices'), call('GET', '/api/pairing')]);
  } catch (err) {
    if (err.status === 401 || err.status === 429 || err.status === 403) { pin = ''; note = err.message; return locked(root); }
    note = err.message;
    return;
  }
  const act = (fn) => async () => { try { await fn(); note = ''; } catch (err) { note = err.message; } await render(root); };
  mount(root, h('h2', {}, 'Paired screens'),
    note ? h('p.muted', {}, note) : null,
    pending.length ? h('div.pending', {}, h('h3', {}, 'Waiting to be paired'),
      pending.map((p) => h('div.screen', { dataset: { testid: `pending-${p.code}` } },
        h('b', {}, p.code), ` ${p.client_type} · ${p.name}`, p.tenant_ids.length ? ` · stalls ${p.tenant_ids.join(', ')}` : '',
        h('span.muted', {}, ` from ${p.remote}`),
        h('button', { onclick: act(() => call('POST', '/api/pairing/approve', { code: p.code, pin })) }, 'Approve'),
        h('button.secondary', { onclick: act(() => call('POST', '/api/pairing/reject', { code: p.code, pin })) }, 'Reject')))) : null,
    devices.length ? devices.map((d) => h('div.screen', { dataset: { testid: `device-${d.device_id}` } },
      h('span', { class: `dot ${d.online ? 'ok' : 'bad'}` }),
      h('b', {}, d.name), ` ${d.client_type}`, d.tenant_ids.length ? ` · stalls ${d.tenant_ids.join(', ')}` : '',
      h('span.muted', {}, ` · ${d.online ? 'online' : 'offline'} · last seen ${ago(d.last_seen)} · ${d.remote}`),
      h('button.danger', { onclick: act(() => call('DELETE', `/api/devices/${encodeURIComponent(d.device_id)}`)), dataset: { testid: `revoke-${d.device_id}` } }, 'Revoke')))
      : h('p.muted', {}, 'No screens paired yet. Open the kiosk, kitchen or board page on a screen to get a code.'),
    h('button.secondary', { onclick: () => { pin = ''; locked(root); } }, 'Lock'));
}
