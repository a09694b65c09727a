// Screens at HQ: each outlet's pending pairing codes (approve / reject) and its paired
// screens with online state and last seen. Codes come from the hubs' reports; an answer
// given here reaches the hub within a few seconds while its link is up.

import { h, mount } from '../shared/dom.js';
import { t, ago, time, screenType } from '../shared/i18n.js';

const stalls = (ids, names) => (ids && ids.length ? ids.map((id) => names[id] || `#${id}`).join(', ') : t('admin.all_stalls'));

function pendingRow(api, outlet, p, names, done) {
  const decide = (decision) => async () => {
    try { await api.decidePairing(outlet.id, p.code, decision); done(t(decision === 'approve' ? 'admin.approved_code' : 'admin.rejected_code', { code: p.code, outlet: outlet.name })); }
    catch (err) { done(err.message, true); }
  };
  return h('tr', { dataset: { testid: `pending-${p.code}` } },
    h('td', {}, h('b.code', {}, p.code)), h('td', {}, screenType(p.client_type)), h('td', {}, p.name), h('td', {}, stalls(p.tenant_ids, names)),
    h('td', {}, t('admin.expires_at', { time: time(p.expires_at) })),
    h('td.actions', {}, h('button.primary', { onclick: decide('approve'), dataset: { testid: `approve-${p.code}` } }, t('common.approve')),
      h('button', { onclick: decide('reject'), dataset: { testid: `reject-${p.code}` } }, t('common.reject'))));
}

function deviceRow(d, names) {
  return h('tr', { dataset: { testid: `device-${d.device_id}` } },
    h('td', {}, h('span', { class: `badge ${d.online ? 'on' : 'off'}`, dataset: { testid: 'device-online' } }, t(d.online ? 'common.online' : d.hub_online ? 'common.offline' : 'admin.hub_offline'))),
    h('td', {}, screenType(d.client_type)), h('td', {}, d.name), h('td', {}, stalls(d.tenant_ids, names)),
    h('td', {}, t('admin.last_seen', { ago: ago(d.last_seen) })), h('td.sub', {}, d.device_id));
}

/** Render the Screens view into `view`; `done(text, bad)` reports an action's result. */
export async function renderScreens(api, view, outlets, tenants, done) {
  const names = Object.fromEntries((tenants || []).map((t) => [t.id, t.name]));
  const per = await Promise.all(outlets.map(async (o) => ({
    o, pending: await api.pairingRequests(o.id).catch(() => []), devices: await api.devices(o.id).catch(() => []),
  })));
  mount(view, per.map(({ o, pending, devices }) => h('section.screens-outlet', { dataset: { testid: 'screens-outlet', outletId: o.id } },
    h('h2', {}, o.name),
    pending.length ? h('table.table', {}, h('caption', {}, t('admin.waiting_pair')),
      h('tbody', {}, pending.map((p) => pendingRow(api, o, p, names, done)))) : null,
    devices.length ? h('table.table', {}, h('tbody', {}, devices.map((d) => deviceRow(d, names))))
      : h('p.muted', {}, t(o.hub ? 'admin.no_screens' : 'admin.no_hub')))));
}
