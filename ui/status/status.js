// The hub's home page for IT: what this hub is, whether it reaches central and MQTT,
// who is connected, what waits to sync. Refreshes every 5 s.

import { h, mount } from '../shared/dom.js';
import { render as renderScreens, managerPin } from './screens.js';
import { levelOf, ageText, clientsByType, overall, enrollment, taskRows, valueText, updateRows } from './status-model.js';
import { t, fill, CATALOGS, configure, languagePicker, onLanguageChange, time, money } from '../shared/i18n.js';
import { printersCard } from './printers-card.js';
import { timeoutSignal } from '../shared/abort.js';
import { todayCard } from './today-card.js';
import { trustCard } from './trust-card.js';

const $ = (id) => document.getElementById(id);

async function getJson(path, headers = {}) {
  try {
    const res = await fetch(path, { cache: 'no-store', headers, signal: timeoutSignal(4000) });
    if (!res.ok) return null;
    return await res.json();
  } catch { return null; }
}

// `k` is a catalog key (status.*) or a name from the hub (a task, a client type); the test id
// stays the English word so tests and support scripts find a row in either language.
const row = (k, v, level) => {
  const label = k in CATALOGS.en ? t(k) : k;
  const id = (CATALOGS.en[k] ?? k).toLowerCase().replace(/\W+/g, '-');
  return [h('dt', {}, label), h('dd', { dataset: { testid: `status-${id}` } }, level ? h('span', { class: `dot ${level}` }) : null, v ?? '—')];
};
const ENROLLMENT = { enrolled: 'status.enrolled', standalone: 'status.standalone', not_enrolled: 'status.not_enrolled', unknown: 'status.unknown' };
const CLIENT = { kitchen: 'status.client_kitchen', pos: 'status.client_pos', board: 'status.client_board', display: 'status.client_display', device: 'status.client_device' };
let configured = '';
// With pairing required the printer list needs a paired screen or the manager PIN (entered
// under Screens): IT sees and tests the printers once it has unlocked that card.
const printerHeaders = () => (managerPin() ? { 'X-Manager-Pin': managerPin() } : {});

async function refresh() {
  const [outlet, status, health, clients, printers] = await Promise.all([getJson('/api/outlet'), getJson('/api/status'), getJson('/health'), getJson('/clients'), getJson('/api/printers', printerHeaders())]);
  const reachable = !!(outlet || status);
  const o = outlet || {};
  if (outlet && configured !== `${o.locale}|${o.currency}`) { configured = `${o.locale}|${o.currency}`; configure(o); }
  const s = { ...(health || {}), ...(status || {}) };
  const verdict = overall({ status: s, health, reachable });
  $('overall').dataset.level = verdict.level;
  $('overall').textContent = verdict.text;
  $('outlet-title').textContent = o.name || (o.outlet_id != null ? t('status.outlet_n', { id: o.outlet_id }) : t('status.this_hub'));
  $('outlet-sub').textContent = [o.hub_id && t('status.hub_n', { id: o.hub_id }), o.outlet_id != null && t('status.outlet_hash', { id: o.outlet_id })].filter(Boolean).join(' · ');
  const enr = enrollment(o, s);
  const byType = clientsByType(s.clients_by_type || clients || (typeof s.clients === 'object' ? s.clients : null));
  const tenants = o.tenants || [];
  const notice = o.notice || s.notice;
  mount($('cards'),
    notice ? h('section.card.wide.notice', {}, h('h2', {}, t('status.notice')), h('p', {}, notice)) : null,
    h('section.card', {}, h('h2', {}, t('status.connections')), h('dl.kv', {},
      row('status.central', s.central && valueText(s.central), levelOf(s.central)),
      row('status.mqtt', s.mqtt && valueText(s.mqtt), levelOf(s.mqtt)),
      row('status.lan', valueText(s.lan || (reachable ? 'ok' : 'down')), levelOf(s.lan || (reachable ? 'ok' : 'unreachable'))),
      row('status.enrollment', t(ENROLLMENT[enr]), enr === 'enrolled' ? 'ok' : enr === 'standalone' ? 'muted' : 'warn'))),
    h('section.card', {}, h('h2', {}, t('status.sync')), h('dl.kv', {},
      row('status.orders_waiting', String(s.pending_sync ?? s.outbox_pending ?? '—'), (s.pending_sync ?? 0) > 0 ? 'warn' : 'ok'),
      row('status.oldest_waiting', ageText(s.oldest_unsynced_age_seconds ?? s.oldest_pending_age_seconds)),
      row('status.menu_version', s.menu_version ?? o.menu_version),
      row('status.last_rev', s.last_rev ?? health?.last_rev))),
    todayCard(s.today),
    printersCard(printers),
    trustCard(s.tls),
    updateRows(health).length ? h('section.card', { dataset: { testid: 'status-update' } }, h('h2', {}, t('status.software_update')),
      h('dl.kv', {}, updateRows(health).map((r) => row(r.name, r.text, r.level)))) : null,
    (s.reasons || []).length ? h('section.card.wide', { dataset: { testid: 'status-problems' } }, h('h2', {}, t('status.problems')),
      h('ul', {}, s.reasons.map((r) => h('li', {}, r)))) : null,
    taskRows(s.tasks).length ? h('section.card', { dataset: { testid: 'status-tasks' } }, h('h2', {}, t('status.background')),
      h('dl.kv', {}, taskRows(s.tasks).map((t) => row(t.name, t.text, t.level)))) : null,
    h('section.card', {}, h('h2', {}, t('status.screens_connected')), byType && Object.keys(byType).length
      ? h('dl.kv', {}, Object.entries(byType).map(([type, n]) => row(CLIENT[type] || type, String(n))))
      : h('p.muted', {}, t('status.no_screens_now'))),
    h('section.card.wide', {}, h('h2', {}, t('status.hub_card')), h('dl.kv', {},
      row('status.hub_id', o.hub_id),
      row('status.software', s.version || o.version),
      row('status.uptime', s.uptime != null ? ageText(s.uptime) : null),
      row('status.kitchen_url', o.websocket_url),
      row('status.stalls', tenants.length ? tenants.map((x) => x.name).join(', ') : t('status.single_kitchen')),
      row('status.language', o.locale ? t('status.locale_value', { locale: o.locale, currency: o.currency, sample: money(4500000) }) : null))),
    enr === 'enrolled' || enr === 'standalone' ? null : h('section.card', {}, h('h2', {}, t('status.how_to_enroll')), h('div.howto', {},
      h('p', {}, fill('status.enroll_1', { command: h('code', {}, 'outlet-central enroll --outlet N') })),
      h('p', {}, fill('status.enroll_2', { token: h('code', {}, 'enrollment_token'), url: h('code', {}, 'central_url'), env: h('code', {}, 'HUB_ENROLLMENT_TOKEN') })))),
  );
  $('foot').textContent = t('status.updated', { time: time(Date.now(), { seconds: true }) });
}

// The outlet as another page of this hub last saw it, so the first paint is in its language.
try { configure(JSON.parse(localStorage.getItem('outlet-hub.outlet') || '{}')); } catch { configure({}); }
document.querySelector('.shead').append(languagePicker());
onLanguageChange(() => { refresh(); renderScreens($('screens'), { redraw: true }); });
refresh();
setInterval(refresh, 5000);
renderScreens($('screens'));
setInterval(() => { if (!document.querySelector('#screens input:focus')) renderScreens($('screens')); }, 5000);
