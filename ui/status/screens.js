// Paired screens and pending pairing codes on the hub status page, behind the manager PIN.
// The PIN lives in this page's memory only (never stored); every call sends it in
// X-Manager-Pin, and 5 wrong PINs lock this address out for 5 minutes (the hub says 429).

import { h, mount } from '../shared/dom.js';
import { t, ago, screenType, errorText } from '../shared/i18n.js';
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
  if (!res.ok) {
    throw Object.assign(new Error(data?.error?.message || `HTTP ${res.status}`),
      { status: res.status, code: data?.error?.code });
  }
  return data;
}


function locked(root) {
  const input = h('input', { type: 'password', inputMode: 'numeric', autocomplete: 'off', placeholder: t('pairing.manager_pin'), 'aria-label': t('pairing.manager_pin'), dataset: { testid: 'screens-pin' } });
  const unlock = async (ev) => {
    ev.preventDefault();
    pin = input.value.trim();
    note = '';
    await render(root);
  };
  mount(root, h('h2', {}, t('status.paired_screens')),
    h('form.pinform', { onsubmit: unlock }, input, h('button', { type: 'submit', dataset: { testid: 'screens-unlock' } }, t('status.show'))),
    note ? h('p.muted', { dataset: { testid: 'screens-note' } }, note) : null);
}

// A manager's PIN refused reads as the PIN, in the outlet's language — not as the hub's
// English text, nor as error.unauthorized's "this screen is no longer allowed".
const PIN_ERRORS = { unauthorized: 'pairing.wrong_pin', rate_limited: 'pairing.rate_limited' };
/** A refusal in the staff's words: a PIN refusal by the pairing catalog, any other by its error code. */
export const noteFor = (err) => (PIN_ERRORS[err.code] ? t(PIN_ERRORS[err.code]) : errorText(err));

export async function render(root, { redraw = false } = {}) {
  if (!pin) {
    if (redraw || !root.querySelector('form.pinform')) locked(root);
    return;
  }
  let devices, pending;
  try {
    [devices, pending] = await Promise.all([call('GET', '/api/devices'), call('GET', '/api/pairing')]);
  } catch (err) {
    if (err.status === 401 || err.status === 429 || err.status === 403) { pin = ''; note = noteFor(err); return locked(root); }
    note = noteFor(err);
    return;
  }
  const act = (fn) => async () => { try { await fn(); note = ''; } catch (err) { note = noteFor(err); } await render(root); };
  mount(root, h('h2', {}, t('status.paired_screens')),
    note ? h('p.muted', {}, note) : null,
    pending.length ? h('div.pending', {}, h('h3', {}, t('status.waiting_pair')),
      pending.map((p) => h('div.screen', { dataset: { testid: `pending-${p.code}` } },
        h('b', {}, p.code), ` ${screenType(p.client_type)} · ${p.name}`, p.tenant_ids.length ? ` · ${t('status.stalls_list', { ids: p.tenant_ids.join(', ') })}` : '',
        h('span.muted', {}, ` ${t('status.from', { remote: p.remote })}`),
        h('button', { onclick: act(() => call('POST', '/api/pairing/approve', { code: p.code, pin })) }, t('common.approve')),
        h('button.secondary', { onclick: act(() => call('POST', '/api/pairing/reject', { code: p.code, pin })) }, t('common.reject'))))) : null,
    devices.length ? devices.map((d) => h('div.screen', { dataset: { testid: `device-${d.device_id}` } },
      h('span', { class: `dot ${d.online ? 'ok' : 'bad'}` }),
      h('b', {}, d.name), ` ${screenType(d.client_type)}`, d.tenant_ids.length ? ` · ${t('status.stalls_list', { ids: d.tenant_ids.join(', ') })}` : '',
      h('span.muted', {}, ` · ${t(d.online ? 'common.online' : 'common.offline')} · ${t('status.last_seen', { ago: ago(d.last_seen) })} · ${d.remote}`),
      h('button.danger', { onclick: act(() => call('DELETE', `/api/devices/${encodeURIComponent(d.device_id)}`)), dataset: { testid: `revoke-${d.device_id}` } }, t('status.revoke'))))
      : h('p.muted', {}, t('status.no_paired')),
    h('button.secondary', { onclick: () => { pin = ''; locked(root); } }, t('status.lock')));
}
