// Screens at HQ: each outlet's pending pairing codes (approve / reject) and its paired
// screens with online state and last seen. Codes come from the hubs' reports; an answer
// given here reaches the hub within a few seconds while its link is up.

import { h, mount } from '../shared/dom.js';

function ago(iso) {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(iso).toLocaleString();
}

const stalls = (ids, names) => (ids && ids.length ? ids.map((id) => names[id] || `#${id}`).join(', ') : 'all stalls');

function pendingRow(api, outlet, p, names, done) {
  const decide = (decision) => async () => {
    try { await api.decidePairing(outlet.id, p.code, decision); done(`${decision === 'approve' ? 'Approved' : 'Rejected'} code ${p.code} at ${outlet.name}`); }
    catch (err) { done(err.message, true); }
  };
  return h('tr', { dataset: { testid: `pending-${p.code}` } },
    h('td', {}, h('b.code', {}, p.code)), h('td', {}, p.client_type), h('td', {}, p.name), h('td', {}, stalls(p.tenant_ids, names)),
    h('td', {}, `expires ${new Date(p.expires_at).toLocaleTimeString()}`),
    h('td.actions', {}, h('button.primary', { onclick: decide('approve'), dataset: { testid: `approve-${p.code}` } }, 'Approve'),
      h('button', { onclick: decide('reject'), dataset: { testid: `reject-${p.code}` } }, 'Reject')));
}

function deviceRow(d, names) {
  return h('tr', { dataset: { testid: `device-${d.device_id}` } },
    h('td', {}, h('span', { class: `badge ${d.online ? 'on' : 'off'}`, dataset: { testid: 'device-online' } }, d.online ? 'online' : d.hub_online ? 'offline' : 'hub offline')),
    h('td', {}, d.client_type), h('td', {}, d.name), h('td', {}, stalls(d.tenant_ids, names)),
    h('td', {}, `last seen ${ago(d.last_seen)}`), h('td.sub', {}, d.device_id));
}

/** Render the Screens view into `view`; `done(text, bad)` reports an action's result. */
export async function renderScreens(api, view, outlets, tenants, done) {
  const names = Object.fromEntries((tenants || []).map((t) => [t.id, t.name]));
  const per = await Promise.all(outlets.map(async (o) => ({
    o, pending: await api.pairingRequests(o.id).catch(() => []), devices: await api.devices(o.id).catch(() => []),
  })));
  mount(view, per.map(({ o, pending, devices }) => h('section.screens-outlet', { dataset: { testid: 'screens-outlet', outletId: o.id } },
    h('h2', {}, o.name),
    pending.length ? h('table.table', {}, h('caption', {}, 'Waiting to be paired'),
      h('tbody', {}, pending.map((p) => pendingRow(api, o, p, names, done)))) : null,
    devices.length ? h('table.table', {}, h('tbody', {}, devices.map((d) => deviceRow(d, names))))
      : h('p.muted', {}, o.hub ? 'No screens paired yet.' : 'No hub yet.'))));
}
