// The central admin panel: login, outlets with their hubs, stalls and the menu.

import { h, mount } from '../shared/dom.js';
import { AdminApi } from './admin-api.js';
import { KINDS, editDialog, catalogTable } from './admin-forms.js';
import { renderScreens } from './admin-screens.js';
import { renderSummary } from './summary-view.js';
import { renderReleases } from './admin-releases.js';

const $ = (id) => document.getElementById(id);
const api = new AdminApi();
const refs = { outlets: [], tenants: [], categories: [], products: [] };
let current = null;
let refreshTimer = null;
const summaryState = { outletId: null, date: null };

function flash(text, bad = false) {
  const el = $('flash');
  el.textContent = text;
  el.classList.toggle('bad', bad);
  el.classList.remove('hidden');
  clearTimeout(flash.t);
  flash.t = setTimeout(() => el.classList.add('hidden'), 6000);
}

function showLogin() {
  clearInterval(refreshTimer);
  $('app').classList.add('hidden');
  $('login').classList.remove('hidden');
}

async function loadRefs() {
  const [outlets, tenants, categories, products] = await Promise.all([
    api.outlets(), api.tenants(), api.catalog('categories').then((r) => r.items).catch(() => []), api.catalog('products').then((r) => r.items).catch(() => []),
  ]);
  Object.assign(refs, { outlets, tenants, categories, products });
}

function ago(iso) {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

function outletRow(o) {
  const hub = o.hub;
  const src = o.websocket_url_source || 'default';
  const stats = hub ? [
    hub.outbox_pending != null ? `${hub.outbox_pending} waiting to sync` : null,
    hub.kitchens_connected != null ? `${hub.kitchens_connected} kitchen${hub.kitchens_connected === 1 ? '' : 's'} connected` : null,
    hub.sold_out?.length ? OUTLET_DAY_TEXT.soldOut(hub.sold_out.length) : null,
  ].filter(Boolean) : [];
  return h('tr', { dataset: { testid: 'outlet-row', outletId: o.id } },
    h('td', {}, h('b', {}, o.name), h('div.sub', {}, `#${o.id}${o.address ? ` · ${o.address}` : ''}`)),
    h('td', {}, hub
      ? [h('span', { class: `badge ${hub.online ? 'on' : 'off'}`, dataset: { testid: 'hub-online' } }, hub.online ? 'online' : 'offline'),
        h('div.sub', {}, `${hub.hub_id} · v${hub.version || '?'}`), h('div.sub', {}, `last seen ${ago(hub.last_seen)}`)]
      : h('span.badge', {}, 'no hub yet')),
    h('td', {}, o.websocket_url ? h('div.url', { dataset: { testid: 'websocket-url' } }, o.websocket_url) : h('span.muted', {}, 'not registered'),
      h('div.sub', {}, h('span', { class: `badge src-${src}`, dataset: { testid: 'url-source' } }, src === 'hub' ? 'auto (hub)' : src === 'admin' ? 'pinned' : src))),
    h('td', {}, stats.length ? stats.map((s) => h('div', {}, s)) : h('span.muted', {}, '—')),
    h('td.actions', {},
      h('button', { onclick: () => pinDialog(o) }, 'Pin URL'),
      h('button', { dataset: { testid: 'outlet-day' }, onclick: () => dayDialog(o) }, OUTLET_DAY_TEXT.button),
      src === 'admin' ? h('button', { dataset: { testid: 'unpin' }, onclick: () => act(() => api.unpinUrl(o.id), 'URL unpinned; the hub\'s own URL applies again') }, 'Unpin') : null,
      h('button', { dataset: { testid: 'enroll' }, onclick: () => enrollDialog(o) }, 'Enrollment token')));
}

async function act(fn, ok) {
  try { await fn(); flash(ok); await render(); } catch (err) { flash(err.message, true); }
}

function pinDialog(o) {
  const modal = $('modal');
  const input = h('input', { name: 'url', value: o.websocket_url || '', placeholder: 'ws://10.0.0.5:3001/ws', dataset: { testid: 'pin-url' } });
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  mount(modal, h('div.dialog', {}, h('h2', {}, `Pin the kitchen URL of ${o.name}`),
    h('p.muted', {}, 'A pinned URL wins over the one the hub registers itself (e.g. behind a reverse proxy). Unpin to follow the hub again.'),
    h('form', { onsubmit: (ev) => { ev.preventDefault(); close(); act(() => api.pinUrl(o.id, input.value.trim()), 'URL pinned'); } },
      h('label', {}, 'WebSocket URL', input),
      h('div.actions', {}, h('button.ghost', { type: 'button', onclick: close }, 'Cancel'), h('button.primary', { type: 'submit' }, 'Pin')))));
  modal.classList.remove('hidden');
}

// Issue 14: the outlet's trading day (the daily summary and the kitchens' yesterday list).
const OUTLET_DAY_TEXT = {
  button: 'Trading day',
  title: (name) => `Trading day of ${name}`,
  hint: 'The day starts at this local time, not at midnight: an order at 01:00 still belongs to the evening before.',
  starts: 'Day starts at (HH:MM)', zone: 'Time zone (e.g. Asia/Jakarta)',
  saved: 'Trading day saved', save: 'Save', cancel: 'Cancel',
  soldOut: (n) => `${n} sold out`,
};

function dayDialog(o) {
  const modal = $('modal');
  const starts = h('input', { name: 'day_starts_at', value: o.day_starts_at || '04:00', pattern: '\\d{2}:\\d{2}', dataset: { testid: 'day-starts-at' } });
  const zone = h('input', { name: 'timezone', value: o.timezone || 'Asia/Jakarta', dataset: { testid: 'timezone' } });
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  mount(modal, h('div.dialog', {}, h('h2', {}, OUTLET_DAY_TEXT.title(o.name)), h('p.muted', {}, OUTLET_DAY_TEXT.hint),
    h('form', { onsubmit: (ev) => { ev.preventDefault(); close();
      act(() => api.call('PATCH', `/api/tenants/outlets/${o.id}/`, { day_starts_at: starts.value.trim(), timezone: zone.value.trim() }), OUTLET_DAY_TEXT.saved); } },
    h('label', {}, OUTLET_DAY_TEXT.starts, starts), h('label', {}, OUTLET_DAY_TEXT.zone, zone),
    h('div.actions', {}, h('button.ghost', { type: 'button', onclick: close }, OUTLET_DAY_TEXT.cancel), h('button.primary', { type: 'submit' }, OUTLET_DAY_TEXT.save)))));
  modal.classList.remove('hidden');
}

async function enrollDialog(o) {
  const modal = $('modal');
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  try {
    const t = await api.enrollmentToken(o.id);
    mount(modal, h('div.dialog', {}, h('h2', {}, `Enroll a hub for ${o.name}`),
      h('p', {}, 'Single use. Put it in the hub\'s config as ', h('code', {}, 'enrollment_token'), '. It is shown only now.'),
      h('div.token', { dataset: { testid: 'enrollment-token' } }, t.token),
      h('p.sub', {}, t.expires_at ? `Expires ${new Date(t.expires_at).toLocaleString()}` : ''),
      h('div.actions', {}, h('button.primary', { onclick: close }, 'Done'))));
    modal.classList.remove('hidden');
  } catch (err) { flash(err.message, true); }
}

async function renderOutlets() {
  $('view-title').textContent = 'Outlets & hubs';
  mount($('view-tools'), h('button.primary', { onclick: newOutlet }, 'New outlet'));
  const outlets = await api.outlets();
  refs.outlets = outlets;
  mount($('view'), h('table.table', { dataset: { testid: 'outlets-table' } },
    h('thead', {}, h('tr', {}, ['Outlet', 'Hub', 'Kitchen URL', 'Sync', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}, outlets.length ? outlets.map(outletRow) : h('tr', {}, h('td', { colSpan: 5, class: 'muted' }, 'No outlets yet.')))));
}

function newOutlet() {
  const modal = $('modal');
  const name = h('input', { name: 'name', required: true });
  const address = h('input', { name: 'address' });
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  mount(modal, h('div.dialog', {}, h('h2', {}, 'New outlet'),
    h('form', { onsubmit: (ev) => { ev.preventDefault(); close(); act(() => api.createOutlet({ name: name.value.trim(), address: address.value.trim() }), 'Outlet created'); } },
      h('label', {}, 'Name', name), h('label', {}, 'Address', address),
      h('div.actions', {}, h('button.ghost', { type: 'button', onclick: close }, 'Cancel'), h('button.primary', { type: 'submit' }, 'Create')))));
  modal.classList.remove('hidden');
}

async function renderCatalog(kind) {
  await loadRefs();
  const { items, version } = kind === 'tenants' ? { items: refs.tenants, version: null } : await api.catalog(kind);
  mount($('view-title'), KINDS[kind].title, version != null ? h('span.version', { dataset: { testid: 'menu-version' } }, `menu version ${version}`) : '');
  mount($('view-tools'), h('button.primary', { dataset: { testid: `new-${kind}` }, onclick: () => edit(kind, null) }, 'Add'));
  mount($('view'), catalogTable(kind, items, refs, {
    onEdit: (it) => edit(kind, it),
    onDelete: (it) => { if (confirm(`Delete ${it.name}?`)) act(() => api.remove(kind, it.id), `${it.name} deleted`); },
  }));
}

async function edit(kind, item) {
  const body = await editDialog($('modal'), kind, item, refs);
  if (!body) return;
  await act(() => api.save(kind, item?.id != null ? { ...body, id: item.id } : body), item ? 'Saved — hubs pick up the new menu version' : 'Added');
}

const DEAD_LETTER_SOURCE = { outbox: 'central refused it', online: 'the hub refused it' };

async function renderDeadLetters() {
  $('view-title').textContent = 'Set-aside orders';
  mount($('view-tools'));
  const rows = await api.deadLetters();
  const order = (text) => { try { const o = JSON.parse(text); return [o.order_number, o.total_amount].filter(Boolean).join(' · '); } catch { return ''; } };
  mount($('view'), h('p.muted', {}, 'Orders a hub could not deliver and will not retry. Each needs a person: refund, re-enter or ignore.'),
    h('table.table', { dataset: { testid: 'dead-letters-table' } },
      h('thead', {}, h('tr', {}, ['When', 'Outlet / hub', 'Order', 'Why', 'Code'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows.length ? rows.map((d) => h('tr', { dataset: { testid: `dead-letter-${d.key}` } },
        h('td', {}, ago(d.received_at)), h('td', {}, `#${d.outlet_id} · ${d.hub_id}`),
        h('td', {}, h('code', {}, d.key), h('div.muted', {}, order(d.order))),
        h('td', {}, `${DEAD_LETTER_SOURCE[d.source] || d.source}: ${d.reason}`), h('td', {}, d.code)))
        : h('tr', {}, h('td', { colSpan: 5, class: 'muted' }, 'Nothing set aside.')))));
}

async function render() {
  const view = (location.hash || '#outlets').slice(1);
  current = KINDS[view] || ['outlets', 'screens', 'dead-letters', 'summary', 'releases'].includes(view) ? view : 'outlets';
  for (const a of $('nav').querySelectorAll('a')) a.classList.toggle('on', a.dataset.view === current);
  clearInterval(refreshTimer);
  try {
    if (current === 'outlets') {
      await renderOutlets();
      // Hubs register and heartbeat on their own: keep the list live so a new hub just appears.
      refreshTimer = setInterval(() => { if (!$('modal').classList.contains('hidden')) return; renderOutlets().catch(() => {}); }, 5000);
    } else if (current === 'screens') {
      const screens = async () => {
        $('view-title').textContent = 'Screens';
        mount($('view-tools'));
        await renderScreens(api, $('view'), await api.outlets(), await api.tenants().catch(() => []),
          (text, bad) => { flash(text, bad); screens().catch(() => {}); });
      };
      await screens();
      // Codes appear as the hubs report them (every 2 s while one waits).
      refreshTimer = setInterval(() => { screens().catch(() => {}); }, 3000);
    } else if (current === 'summary') {
      await renderSummary(api, { view: $('view'), tools: $('view-tools'), title: $('view-title'),
        outlets: await api.outlets(), state: summaryState, flash });
    } else if (current === 'dead-letters') {
      await renderDeadLetters();
    } else if (current === 'releases') {
      const releases = async () => {
        $('view-title').textContent = 'Releases';
        mount($('view-tools'));
        await renderReleases(api, $('view'), (text, bad) => { flash(text, bad); releases().catch(() => {}); });
      };
      await releases();
    } else {
      await renderCatalog(current);
    }
  } catch (err) {
    if (err.status !== 401) flash(err.message, true);
  }
}

function showApp() {
  $('login').classList.add('hidden');
  $('app').classList.remove('hidden');
  render();
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.currentTarget;
  $('login-error').textContent = '';
  try {
    await api.login(f.username.value, f.password.value);
    showApp();
  } catch (err) {
    $('login-error').textContent = err.status === 401 || err.status === 400 ? 'Wrong username or password' : err.message;
  }
});
$('logout').addEventListener('click', () => { api.logout(); showLogin(); });
api.onUnauthorized = showLogin;
window.addEventListener('hashchange', render);
if (api.token) showApp(); else showLogin();
