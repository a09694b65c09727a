// The kiosk/POS page: wires the menu cache, cart, durable queue, hub socket and sender.
// Order of events on checkout: split → write to IndexedDB (committed) → show "saved" →
// send (ws → http → central) → show "sent" only on an ack.

import { openStores } from '../shared/idb.js';
import { MenuCache } from '../shared/menu-cache.js';
import { Cart, splitCartIntoOrders, repriceCart } from '../shared/cart.js';
import { bestPrice } from '../shared/promotions.js';
import { OrderQueue } from '../shared/order-queue.js';
import { OrderSender, httpSubmit, centralSubmit } from '../shared/order-sender.js';
import { HubSocket, hubSocketUrl } from '../shared/sync-client.js';
import { OrderNumberAllocator } from '../shared/order-number.js';
import { statusModel, renderStatusBar } from '../shared/status-bar.js';
import { loadOutlet, HubStatusWatcher } from '../shared/hub-link.js';
import { uuid4 } from '../shared/uuid.js';
import { openDeviceSession } from '../shared/device-session.js';
import { noteFromMessage, noteFromRow, isOpen } from '../shared/order-progress.js';
import { h, mount, registerServiceWorker } from '../shared/dom.js';
import { t, errorText, configure, languagePicker, onLanguageChange } from '../shared/i18n.js';
import { renderCategories, renderMenu, renderCart, receiptRows, moneyFormatter, askOptions } from './kiosk-view.js';
import { timeoutSignal } from '../shared/abort.js';
import { needsOptions } from '../shared/modifiers.js';
import { SoldOutList } from '../shared/sold-out.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const CLIENT_ID_KEY = 'outlet-hub.kiosk-id';

async function main() {
  registerServiceWorker();
  const stores = await openStores();
  const { outlet } = await loadOutlet();
  configure(outlet);
  const clientId = localStorage.getItem(CLIENT_ID_KEY) || `kiosk-${uuid4().slice(0, 8)}`;
  localStorage.setItem(CLIENT_ID_KEY, clientId);
  const numbers = new OrderNumberAllocator(localStorage, { prefix: params.get('device') });
  // With pairing required this waits for the manager; the queue in IndexedDB is untouched.
  const session = await openDeviceSession({ outlet, kv: stores.kv,
    identity: { client_type: 'pos', name: params.get('name') || `Kiosk ${clientId.replace(/^kiosk-/, '')}`, tenant_ids: [] } });
  const menu = await new MenuCache(stores.menu, { fetchImpl: session.fetch }).load();
  const queue = new OrderQueue(stores.queue);
  const cart = new Cart();
  const state = { outlet, activeCategory: null, orderType: 'dine_in', receipt: null };
  const money = moneyFormatter();

  const socket = new HubSocket({ url: () => session.socketUrl(hubSocketUrl()),
    hello: () => session.hello({ client_type: 'pos', client_id: clientId, outlet_id: state.outlet.outlet_id }) });
  session.watch(socket);
  const sender = new OrderSender(queue, {
    socket, submitHttp: (o) => httpSubmit(o, { fetchImpl: session.fetch }),
    onUnauthorized: (err) => session.lost(`order refused: ${err.code}`),
    submitCentral: (orders) => centralSubmit(orders, { centralUrl: state.outlet.central_url }),
    onResult: () => { renderReceipt(); },
    // ?central_after=<s>: how long the hub must stay down before orders go to central (default 30 s).
    ...(params.get('central_after') ? { centralAfterMs: Number(params.get('central_after')) * 1000 } : {}),
  });
  const watcher = new HubStatusWatcher({ socket, fetchImpl: session.fetch, onChange: () => onHubChange() });
  // Sold out (issue 14): pushed by the hub the moment a kitchen or POS marks it, re-read on
  // every hub status change so a screen that was away catches up.
  const soldOut = new SoldOutList({ fetchImpl: session.fetch, onChange: () => drawMenu() });
  const staff = params.get('staff') === '1';
  // The kitchen's progress on our orders (the hub sends a POS acknowledgments and status moves).
  socket.on('message', async (m) => {
    if (soldOut.onMessage(m)) return;
    const note = noteFromMessage(m);
    if (note && await queue.noteProgress(note.uuid, note)) redrawSheet();
  });

  const tenantsById = () => new Map([...(state.outlet.tenants || []), ...menu.items('tenants')].map((t) => [t.id, t]));
  const sortByOrder = (a, b) => (a.sort_order ?? a.position ?? 0) - (b.sort_order ?? b.position ?? 0) || String(a.name).localeCompare(String(b.name));

  function drawMenu() {
    const categories = menu.items('categories').filter((c) => c.active !== false).sort(sortByOrder);
    renderCategories($('categories'), categories, state.activeCategory, (id) => { state.activeCategory = id; drawMenu(); });
    renderMenu($('menu'), { products: menu.sellable().sort(sortByOrder), categories, promotions: menu.items('promotions'),
      tenantsById: tenantsById(), activeCategory: state.activeCategory, cart, money, onAdd: addProduct,
      soldOut: soldOut.ids, staff, onToggleSoldOut: (p, out) => soldOut.set(p.id, out).catch((err) => alert(t('sold_out.failed', { error: errorText(err) }))) });
  }

  function drawCart() {
    renderCart($('cart-lines'), { cart, tenantsById: tenantsById(), money, onQty: (k, q) => { cart.setQty(k, q); drawCart(); drawMenu(); } });
    $('cart-total').textContent = money(cart.totalCents);
    $('savings').textContent = cart.savingsCents > 0 ? t('kiosk.you_save', { amount: money(cart.savingsCents) }) : '';
    $('checkout').disabled = cart.count === 0;
  }

  async function addProduct(p) {
    let opts = { modifiers: [], notes: '' };
    if (needsOptions(p)) {
      opts = await askOptions($('sheet'), p, money);
      if (!opts) return;
    }
    cart.add(p, { ...opts, priced: bestPrice(p, menu.items('promotions')) });
    drawCart(); drawMenu();
  }

  async function drawStatus() {
    const hubMenuAt = Date.parse(watcher.status?.menu_synced_at || '') || null;
    const menuAt = [menu.fetchedAt, hubMenuAt].filter(Boolean);
    renderStatusBar($('status-bar'), statusModel({ hubReachable: watcher.hubReachable, central: watcher.central,
      waiting: await queue.count(), menuFetchedAt: menuAt.length ? Math.min(...menuAt) : null }));
  }

  // The hub's menu version this kiosk has fetched. Remembered only after a refresh that
  // succeeded: a fetch lost to a blip (Wi-Fi roaming, ERR_NETWORK_CHANGED) is retried on the
  // next status (10 s at most), not left until the admin next edits the menu.
  let lastMenuVersion = null;
  let menuRefresh = null;
  function refreshMenu() {
    if (menuRefresh) return menuRefresh;
    menuRefresh = (async () => {
      let ok = false;
      try {
        if (await menu.refresh()) { repriceCart(cart, new Map(menu.items('products').map((p) => [p.id, p])), menu.items('promotions')); drawMenu(); drawCart(); }
        else if (!$('menu').querySelector('.product')) drawMenu();
        ok = true;
      } catch (err) { console.warn('menu refresh failed, selling from the saved menu:', err.message); }
      drawStatus();
      return ok;
    })().finally(() => { menuRefresh = null; });
    return menuRefresh;
  }

  async function onHubChange() {
    drawStatus();
    if (watcher.hubReachable) {
      soldOut.refresh().catch(() => {});
      if (await queue.count()) sender.drain();
      const v = watcher.status?.menu_version;
      if (v != null && v !== lastMenuVersion && !menuRefresh) refreshMenu().then((ok) => { if (ok) lastMenuVersion = v; });
      if (!state.outlet.outlet_id) { const r = await loadOutlet(); if (r.fresh) { state.outlet = r.outlet; configure(r.outlet); drawAll(); } }
    }
  }

  async function checkout() {
    if (!cart.count) return;
    $('checkout').disabled = true;
    const orders = splitCartIntoOrders(cart, {
      outletId: state.outlet.outlet_id ?? null, tenantsById: tenantsById(), newUuid: uuid4,
      nextNumber: () => numbers.next(), meta: { order_type: state.orderType, table: $('table').value.trim() },
      source: params.get('source') === 'pos' ? 'pos' : 'kiosk', groupId: uuid4(),
    });
    try {
      await queue.enqueue(orders); // committed to IndexedDB before anything says "sent"
    } catch (err) {
      alert(t('kiosk.save_failed', { error: errorText(err) }));
      $('checkout').disabled = false;
      return;
    }
    cart.clear(); $('table').value = '';
    drawCart(); drawMenu();
    state.receipt = orders.map((o) => o.uuid);
    await renderReceipt();
    sender.drain();
  }

  async function renderReceipt() {
    drawStatus();
    const sheet = $('sheet');
    if (!state.receipt) return;
    const all = new Map((await queue.all()).map((e) => [e.uuid, e]));
    const entries = state.receipt.map((u) => all.get(u)).filter(Boolean);
    mount(sheet, h('div.sheet', { dataset: { testid: 'receipt' } },
      h('h2', {}, t('kiosk.your_numbers', { n: entries.length })),
      h('p.muted', {}, t('kiosk.watch_board')),
      h('div.receipt', {}, receiptRows(entries)),
      h('div.actions', {}, h('button.primary', { dataset: { testid: 'new-order' }, onclick: () => { state.receipt = null; sheet.classList.add('hidden'); } }, t('kiosk.new_order')))));
    sheet.classList.remove('hidden');
  }

  function redrawSheet() {
    if (state.receipt) renderReceipt();
    else if (state.history) showHistory({ refresh: false });
  }

  // Status moves made while the socket was away are not replayed to a POS: ask the hub about
  // the open orders on screen (at most 30, the sheet's length).
  async function refreshProgress(entries) {
    for (const e of entries.filter(isOpen)) {
      try {
        const res = await session.fetch(`/api/orders/${encodeURIComponent(e.uuid)}`, { cache: 'no-store', signal: timeoutSignal(4000) });
        if (!res.ok) continue;
        const note = noteFromRow(await res.json());
        if (note) await queue.noteProgress(e.uuid, note);
      } catch { return; } // hub unreachable: the socket's messages catch up later
    }
  }

  async function showHistory({ refresh = true } = {}) {
    const all = (await queue.all()).reverse().slice(0, 30);
    state.history = true;
    if (refresh) refreshProgress(all).then(() => { if (state.history) showHistory({ refresh: false }); });
    const sheet = $('sheet');
    mount(sheet, h('div.sheet', { dataset: { testid: 'history-sheet' } },
      h('h2', {}, t('kiosk.history_title')),
      h('div.receipt', {}, all.length ? receiptRows(all) : h('p.muted', {}, t('kiosk.history_empty'))),
      h('div.actions', {}, h('button.ghost', { onclick: () => sender.drain() }, t('kiosk.send_now')),
        h('button.primary', { dataset: { testid: 'history-close' }, onclick: () => { state.history = false; sheet.classList.add('hidden'); } }, t('common.close')))));
    sheet.classList.remove('hidden');
  }

  // After a language switch everything JS drew is drawn again; the static markup follows data-i18n.
  function drawAll() {
    $('outlet-name').textContent = state.outlet.name || t('kiosk.order_here');
    drawMenu(); drawCart(); drawStatus(); redrawSheet();
  }
  $('history-btn').after(languagePicker());
  onLanguageChange(drawAll);
  $('outlet-name').textContent = outlet.name || t('kiosk.order_here');
  $('checkout').addEventListener('click', checkout);
  $('history-btn').addEventListener('click', () => showHistory());
  for (const b of $('order-type').querySelectorAll('button')) {
    b.addEventListener('click', () => {
      state.orderType = b.dataset.type;
      for (const o of $('order-type').querySelectorAll('button')) o.classList.toggle('on', o === b);
    });
  }
  queue.onChange(() => drawStatus());
  window.addEventListener('online', () => { socket.reconnectNow(); sender.drain(); });
  drawMenu(); drawCart(); drawStatus();
  socket.start();
  watcher.start();
  refreshMenu();
  setInterval(refreshMenu, 5 * 60000);
  setInterval(() => queue.prune(), 3600000);
  sender.drain();
  // For end-to-end tests and support staff: the queue as data.
  window.outletKiosk = { queue, sender, socket, watcher, menu, session, soldOut, persistent: stores.persistent };
}

main().catch((err) => {
  console.error(err);
  document.body.prepend(Object.assign(document.createElement('pre'), { textContent: t('kiosk.failed_start', { error: err.message }) }));
});
