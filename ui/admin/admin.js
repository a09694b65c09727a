// The central admin panel: login, outlets with their hubs, stalls and the menu.

import { h, mount } from '../shared/dom.js';
import { AdminApi } from './admin-api.js';
import { KINDS, editDialog, catalogTable } from './admin-forms.js';
import { renderScreens } from './admin-screens.js';
import { t, ago, dateTime, errorText, configure, languagePicker, onLanguageChange } from '../shared/i18n.js';
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

function outletRow(o) {
  const hub = o.hub;
  const src = o.websocket_url_source || 'default';
  const stats = hub ? [
    hub.outbox_pending != null ? t('admin.waiting_sync', { n: hub.outbox_pending }) : null,
    hub.kitchens_connected != null ? t('admin.kitchens_connected', { n: hub.kitchens_connected }) : null,
    hub.sold_out?.length ? t('admin.sold_out_count', { n: hub.sold_out.length }) : null,
  ].filter(Boolean) : [];
  return h('tr', { dataset: { testid: 'outlet-row', outletId: o.id } },
    h('td', {}, h('b', {}, o.name), h('div.sub', {}, `#${o.id}${o.address ? ` · ${o.address}` : ''}`)),
    h('td', {}, hub
      ? [h('span', { class: `badge ${hub.online ? 'on' : 'off'}`, dataset: { testid: 'hub-online' } }, t(hub.online ? 'common.online' : 'common.offline')),
        h('div.sub', {}, `${hub.hub_id} · v${hub.version || '?'}`), h('div.sub', {}, t('admin.last_seen', { ago: ago(hub.last_seen) }))]
      : h('span.badge', {}, t('admin.no_hub_yet'))),
    h('td', {}, o.websocket_url ? h('div.url', { dataset: { testid: 'websocket-url' } }, o.websocket_url) : h('span.muted', {}, t('admin.not_registered')),
      h('div.sub', {}, h('span', { class: `badge src-${src}`, dataset: { testid: 'url-source' } }, ['hub', 'admin', 'default'].includes(src) ? t(`admin.src_${src}`) : src))),
    h('td', { dataset: { testid: 'outlet-locale' } }, `${o.locale || '—'} · ${o.currency || '—'}`),
    h('td', {}, stats.length ? stats.map((s) => h('div', {}, s)) : h('span.muted', {}, '—')),
    h('td.actions', {},
      h('button', { onclick: () => pinDialog(o) }, t('admin.pin_url')),
      h('button', { dataset: { testid: 'outlet-day' }, onclick: () => dayDialog(o) }, t('admin.day_button')),
      src === 'admin' ? h('button', { dataset: { testid: 'unpin' }, onclick: () => act(() => api.unpinUrl(o.id), t('admin.unpinned')) }, t('admin.unpin')) : null,
      h('button', { dataset: { testid: 'enroll' }, onclick: () => enrollDialog(o) }, t('admin.enrollment_token')),
      h('button', { dataset: { testid: 'edit-locale' }, onclick: () => localeDialog(o) }, t('admin.edit_locale'))));
}

async function act(fn, ok) {
  try { await fn(); flash(ok); await render(); } catch (err) { flash(errorText(err), true); }
}

function pinDialog(o) {
  const modal = $('modal');
  const input = h('input', { name: 'url', value: o.websocket_url || '', placeholder: 'ws://10.0.0.5:3001/ws', dataset: { testid: 'pin-url' } });
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  mount(modal, h('div.dialog', {}, h('h2', {}, t('admin.pin_title', { outlet: o.name })),
    h('p.muted', {}, t('admin.pin_explain')),
    h('form', { onsubmit: (ev) => { ev.preventDefault(); close(); act(() => api.pinUrl(o.id, input.value.trim()), t('admin.pinned')); } },
      h('label', {}, t('admin.websocket_url'), input),
      h('div.actions', {}, h('button.ghost', { type: 'button', onclick: close }, t('common.cancel')), h('button.primary', { type: 'submit' }, t('admin.pin'))))));
  modal.classList.remove('hidden');
}

// Issue 14: the outlet's trading day (the daily summary and the kitchens' yesterday list).
function dayDialog(o) {
  const modal = $('modal');
  const starts = h('input', { name: 'day_starts_at', value: o.day_starts_at || '04:00', pattern: '\\d{2}:\\d{2}', dataset: { testid: 'day-starts-at' } });
  const zone = h('input', { name: 'timezone', value: o.timezone || 'Asia/Jakarta', dataset: { testid: 'timezone' } });
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  mount(modal, h('div.dialog', {}, h('h2', {}, t('admin.day_title', { outlet: o.name })), h('p.muted', {}, t('admin.day_hint')),
    h('form', { onsubmit: (ev) => { ev.preventDefault(); close();
      act(() => api.call('PATCH', `/api/tenants/outlets/${o.id}/`, { day_starts_at: starts.value.trim(), timezone: zone.value.trim() }), t('admin.day_saved')); } },
    h('label', {}, t('admin.day_starts'), starts), h('label', {}, t('admin.day_zone'), zone),
    h('div.actions', {}, h('button.ghost', { type: 'button', onclick: close }, t('common.cancel')), h('button.primary', { type: 'submit' }, t('common.save'))))));
  modal.classList.remove('hidden');
}

async function enrollDialog(o) {
  const modal = $('modal');
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  try {
    const tok = await api.enrollmentToken(o.id);
    mount(modal, h('div.dialog', {}, h('h2', {}, t('admin.enroll_title', { outlet: o.name })),
      h('p', {}, t('admin.enroll_explain', { key: 'enrollment_token' })),
      h('div.token', { dataset: { testid: 'enrollment-token' } }, tok.token),
      h('p.sub', {}, tok.expires_at ? t('admin.expires', { when: dateTime(tok.expires_at) }) : ''),
      h('div.actions', {}, h('button.primary', { onclick: close }, t('admin.done')))));
    modal.classList.remove('hidden');
  } catch (err) { flash(errorText(err), true); }
}

async function renderOutlets() {
  $('view-title').textContent = t('admin.nav_outlets');
  mount($('view-tools'), h('button.primary', { onclick: newOutlet }, t('admin.new_outlet')));
  const outlets = await api.outlets();
  refs.outlets = outlets;
  mount($('view'), h('table.table', { dataset: { testid: 'outlets-table' } },
    h('thead', {}, h('tr', {}, ['admin.col_outlet', 'admin.col_hub', 'admin.col_kitchen_url', 'admin.col_locale', 'admin.col_sync'].map((k) => h('th', {}, t(k))), h('th', {}))),
    h('tbody', {}, outlets.length ? outlets.map(outletRow) : h('tr', {}, h('td', { colSpan: 6, class: 'muted' }, t('admin.no_outlets'))))));
}

function newOutlet() {
  const modal = $('modal');
  const name = h('input', { name: 'name', required: true });
  const address = h('input', { name: 'address' });
  const { locale, currency } = localeInputs({});
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  mount(modal, h('div.dialog', {}, h('h2', {}, t('admin.new_outlet')),
    h('form', { onsubmit: (ev) => { ev.preventDefault(); close(); act(() => api.createOutlet({ name: name.value.trim(), address: address.value.trim(), locale: locale.value, currency: currency.value.trim() }), t('admin.outlet_created')); } },
      h('label', {}, t('admin.name'), name), h('label', {}, t('admin.address'), address),
      h('label', {}, t('admin.locale'), locale), h('label', {}, t('admin.currency'), currency),
      h('div.actions', {}, h('button.ghost', { type: 'button', onclick: close }, t('common.cancel')), h('button.primary', { type: 'submit' }, t('admin.create'))))));
  modal.classList.remove('hidden');
}

const LOCALES = { 'id-ID': 'admin.locale_id', 'en-US': 'admin.locale_en_us', 'en-GB': 'admin.locale_en_gb', 'en-SG': 'admin.locale_en_sg' };

/** The outlet's locale (the apps' language and formats) and currency inputs. */
function localeInputs(o) {
  const current = o.locale || 'id-ID';
  const locale = h('select', { name: 'locale', dataset: { testid: 'outlet-locale-input' } },
    [...new Set([current, ...Object.keys(LOCALES)])].map((l) => h('option', { value: l, selected: l === current }, LOCALES[l] ? t(LOCALES[l]) : l)));
  const currency = h('input', { name: 'currency', value: o.currency || 'IDR', maxLength: 3, required: true, dataset: { testid: 'outlet-currency-input' } });
  return { locale, currency };
}

function localeDialog(o) {
  const modal = $('modal');
  const { locale, currency } = localeInputs(o);
  const close = () => { modal.classList.add('hidden'); mount(modal); };
  mount(modal, h('div.dialog', {}, h('h2', {}, t('admin.locale_title', { outlet: o.name })),
    h('p.muted', {}, t('admin.locale_explain')),
    h('form', { onsubmit: (ev) => { ev.preventDefault(); close(); act(() => api.setLocale(o.id, locale.value, currency.value.trim()), t('admin.locale_saved')); } },
      h('label', {}, t('admin.locale'), locale), h('label', {}, t('admin.currency'), currency),
      h('div.actions', {}, h('button.ghost', { type: 'button', onclick: close }, t('common.cancel')), h('button.primary', { type: 'submit', dataset: { testid: 'save-locale' } }, t('common.save'))))));
  modal.classList.remove('hidden');
}

async function renderCatalog(kind) {
  await loadRefs();
  const { items, version } = kind === 'tenants' ? { items: refs.tenants, version: null } : await api.catalog(kind);
  mount($('view-title'), t(KINDS[kind].title), version != null ? h('span.version', { dataset: { testid: 'menu-version' } }, t('admin.menu_version', { version })) : '');
  mount($('view-tools'), h('button.primary', { dataset: { testid: `new-${kind}` }, onclick: () => edit(kind, null) }, t('admin.add')));
  mount($('view'), catalogTable(kind, items, refs, {
    onEdit: (it) => edit(kind, it),
    onDelete: (it) => { if (confirm(t('admin.confirm_delete', { name: it.name }))) act(() => api.remove(kind, it.id), t('admin.deleted', { name: it.name })); },
  }));
}

async function edit(kind, item) {
  const body = await editDialog($('modal'), kind, item, refs);
  if (!body) return;
  await act(() => api.save(kind, item?.id != null ? { ...body, id: item.id } : body), item ? t('admin.saved_menu') : t('admin.added'));
}

const DEAD_LETTER_SOURCE = { outbox: 'admin.dead_outbox', online: 'admin.dead_online' };

async function renderDeadLetters() {
  $('view-title').textContent = t('admin.nav_dead_letters');
  mount($('view-tools'));
  const rows = await api.deadLetters();
  const order = (text) => { try { const o = JSON.parse(text); return [o.order_number, o.total_amount].filter(Boolean).join(' · '); } catch { return ''; } };
  mount($('view'), h('p.muted', {}, t('admin.dead_explain')),
    h('table.table', { dataset: { testid: 'dead-letters-table' } },
      h('thead', {}, h('tr', {}, ['admin.col_when', 'admin.col_outlet_hub', 'admin.col_order', 'admin.col_why', 'admin.col_code'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, rows.length ? rows.map((d) => h('tr', { dataset: { testid: `dead-letter-${d.key}` } },
        h('td', {}, ago(d.received_at)), h('td', {}, `#${d.outlet_id} · ${d.hub_id}`),
        h('td', {}, h('code', {}, d.key), h('div.muted', {}, order(d.order))),
        h('td', {}, `${DEAD_LETTER_SOURCE[d.source] ? t(DEAD_LETTER_SOURCE[d.source]) : d.source}: ${d.reason}`), h('td', {}, d.code)))
        : h('tr', {}, h('td', { colSpan: 5, class: 'muted' }, t('admin.nothing_set_aside'))))));
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
        $('view-title').textContent = t('admin.nav_screens');
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
    if (err.status !== 401) flash(errorText(err), true);
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
    $('login-error').textContent = err.status === 401 || err.status === 400 ? t('admin.wrong_login') : errorText(err);
  }
});
$('logout').addEventListener('click', () => { api.logout(); showLogin(); });
api.onUnauthorized = showLogin;
window.addEventListener('hashchange', render);
// The panel speaks the browser's language when it is one of ours, until the admin picks one.
configure({ locale: (navigator.languages || [navigator.language]).find((l) => /^(id|en)\b/i.test(l)) || 'id-ID' });
document.querySelector('.side').append(languagePicker());
document.querySelector('.login-card').append(languagePicker());
onLanguageChange(() => { if (!$('app').classList.contains('hidden')) render(); });
if (api.token) showApp(); else showLogin();
