// The hub's home page for IT: what this hub is, whether it reaches central and MQTT,
// who is connected, what waits to sync. Refreshes every 5 s.

import { h, mount } from '../shared/dom.js';
import { render as renderScreens } from './screens.js';
import { levelOf, ageText, clientsByType, overall, enrollment, taskRows, updateRows } from './status-model.js';
import { printersCard } from './printers-card.js';
import { timeoutSignal } from '../shared/abort.js';
import { todayCard } from './today-card.js';
import { trustCard } from './trust-card.js';

const $ = (id) => document.getElementById(id);

async function getJson(path) {
  try {
    const res = await fetch(path, { cache: 'no-store', signal: timeoutSignal(4000) });
    if (!res.ok) return null;
    return await res.json();
  } catch { return null; }
}

const row = (k, v, level) => [h('dt', {}, k), h('dd', { dataset: { testid: `status-${k.toLowerCase().replace(/\W+/g, '-')}` } },
  level ? h('span', { class: `dot ${level}` }) : null, v ?? '—')];

async function refresh() {
  const [outlet, status, health, clients, printers] = await Promise.all([getJson('/api/outlet'), getJson('/api/status'), getJson('/health'), getJson('/clients'), getJson('/api/printers')]);
  const reachable = !!(outlet || status);
  const o = outlet || {};
  const s = { ...(health || {}), ...(status || {}) };
  const verdict = overall({ status: s, health, reachable });
  $('overall').dataset.level = verdict.level;
  $('overall').textContent = verdict.text;
  $('outlet-title').textContent = o.name || (o.outlet_id != null ? `Outlet ${o.outlet_id}` : 'This hub');
  $('outlet-sub').textContent = [o.hub_id && `hub ${o.hub_id}`, o.outlet_id != null && `outlet #${o.outlet_id}`].filter(Boolean).join(' · ');
  const enr = enrollment(o, s);
  const byType = clientsByType(s.clients_by_type || clients || (typeof s.clients === 'object' ? s.clients : null));
  const tenants = o.tenants || [];
  const notice = o.notice || s.notice;
  mount($('cards'),
    notice ? h('section.card.wide.notice', {}, h('h2', {}, 'Notice'), h('p', {}, notice)) : null,
    h('section.card', {}, h('h2', {}, 'Connections'), h('dl.kv', {},
      row('Central', s.central, levelOf(s.central)),
      row('MQTT', s.mqtt, levelOf(s.mqtt)),
      row('LAN', s.lan || (reachable ? 'ok' : 'down'), levelOf(s.lan || (reachable ? 'ok' : 'unreachable'))),
      row('Enrollment', enr, enr === 'enrolled' ? 'ok' : enr === 'standalone' ? 'muted' : 'warn'))),
    h('section.card', {}, h('h2', {}, 'Sync'), h('dl.kv', {},
      row('Orders waiting', String(s.pending_sync ?? s.outbox_pending ?? '—'), (s.pending_sync ?? 0) > 0 ? 'warn' : 'ok'),
      row('Oldest waiting', ageText(s.oldest_unsynced_age_seconds ?? s.oldest_pending_age_seconds)),
      row('Menu version', s.menu_version ?? o.menu_version),
      row('Last order rev', s.last_rev ?? health?.last_rev))),
    todayCard(s.today),
    printersCard(printers),
    trustCard(s.tls),
    updateRows(health).length ? h('section.card', { dataset: { testid: 'status-update' } }, h('h2', {}, 'Software update'),
      h('dl.kv', {}, updateRows(health).map((r) => row(r.name, r.text, r.level)))) : null,
    (s.reasons || []).length ? h('section.card.wide', { dataset: { testid: 'status-problems' } }, h('h2', {}, 'Problems'),
      h('ul', {}, s.reasons.map((r) => h('li', {}, r)))) : null,
    taskRows(s.tasks).length ? h('section.card', { dataset: { testid: 'status-tasks' } }, h('h2', {}, 'Background work'),
      h('dl.kv', {}, taskRows(s.tasks).map((t) => row(t.name, t.text, t.level)))) : null,
    h('section.card', {}, h('h2', {}, 'Screens connected'), byType && Object.keys(byType).length
      ? h('dl.kv', {}, Object.entries(byType).map(([t, n]) => row(t, String(n))))
      : h('p.muted', {}, 'No screens connected right now.')),
    h('section.card.wide', {}, h('h2', {}, 'This hub'), h('dl.kv', {},
      row('Hub id', o.hub_id),
      row('Software', s.version || o.version),
      row('Uptime', s.uptime != null ? ageText(s.uptime) : null),
      row('Kitchen URL', o.websocket_url),
      row('Stalls', tenants.length ? tenants.map((t) => t.name).join(', ') : 'single kitchen'))),
    enr === 'enrolled' || enr === 'standalone' ? null : h('section.card', {}, h('h2', {}, 'How to enroll'), h('div.howto', {},
      h('p', {}, 'In the central admin panel open the outlet and create an enrollment token (or run ', h('code', {}, 'outlet-central enroll --outlet N'), ').'),
      h('p', {}, 'Put it in this hub\'s config as ', h('code', {}, 'enrollment_token'), ' with ', h('code', {}, 'central_url'), ', or set ', h('code', {}, 'HUB_ENROLLMENT_TOKEN'), ', and restart the hub. It registers itself and its kitchen URL appears in the admin panel.'))),
  );
  $('foot').textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

refresh();
setInterval(refresh, 5000);
renderScreens($('screens'));
setInterval(() => { if (!document.querySelector('#screens input:focus')) renderScreens($('screens')); }, 5000);
