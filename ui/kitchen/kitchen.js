// The kitchen display page: settings → socket + feed → ticket store → board.
// Tickets and the last rev are saved on every change, so a reload shows the open
// tickets at once and the socket resumes exactly where the screen left off.

import { HubSocket, hubSocketUrl } from '../shared/sync-client.js';
import { KitchenFeed, modeLabel } from '../shared/kitchen-feed.js';
import { TicketStore } from '../shared/ticket-store.js';
import { loadOutlet } from '../shared/hub-link.js';
import { uuid4 } from '../shared/uuid.js';
import { openDeviceSession } from '../shared/device-session.js';
import { registerServiceWorker } from '../shared/dom.js';
import { t, time, errorText, configure, languagePicker, onLanguageChange } from '../shared/i18n.js';
import { TicketBoard, renderAllDay, renderYesterday } from './kitchen-view.js';
import { TicketAlerts } from './alerts.js';
import { PrinterPanel } from './printer-panel.js';
import { SoldOutPanel } from './sold-out-panel.js';
import { loadSettings, saveSettings, editSettings } from './kitchen-settings.js';
import { attachKitchenKeys, keysSheet } from './kitchen-keys.js';

const $ = (id) => document.getElementById(id);
const CLIENT_KEY = 'outlet-hub.kitchen-id';
const params = new URLSearchParams(location.search);

function stateKey(settings) { return `outlet-hub.kitchen.state:${[...settings.tenantIds].sort().join(',') || 'all'}`; }

function loadStore(settings) {
  try { return TicketStore.fromJSON(JSON.parse(localStorage.getItem(stateKey(settings)) || 'null')); } catch { return new TicketStore(); }
}

async function main() {
  registerServiceWorker();
  const keys = keysSheet($('keys-sheet'), $('keys-btn')); // labelled before pairing can hold main() up
  const settings = loadSettings();
  const { outlet } = await loadOutlet();
  configure(outlet);
  const clientId = localStorage.getItem(CLIENT_KEY) || `kitchen-${uuid4().slice(0, 8)}`;
  localStorage.setItem(CLIENT_KEY, clientId);
  const store = loadStore(settings);
  store.prune();
  const acked = new Set(store.tickets.keys());
  const alerts = new TicketAlerts();
  const tenants = outlet.tenants || [];
  const stallNames = settings.tenantIds.map((id) => tenants.find((t) => t.id === id)?.name || t('kitchen.stall', { id }));
  // With pairing required this waits for the manager (PIN here, or the code at HQ).
  const session = await openDeviceSession({ outlet, stallText: stallNames.length ? stallNames.join(' · ') : t('kitchen.every_stall'),
    identity: { client_type: 'kitchen', name: params.get('name') || (stallNames.length ? `${t('kitchen.kitchen')} ${stallNames.join(', ')}` : t('kitchen.kitchen')),
      tenant_ids: settings.tenantIds } });
  const dayStartsAt = outlet.day_starts_at || '04:00';
  const filter = () => ({ tenantIds: settings.tenantIds.length ? settings.tenantIds : null, stations: settings.stations.length ? settings.stations : null, dayStartsAt });

  const socket = new HubSocket({ url: () => session.socketUrl(hubSocketUrl()), hello: () => session.hello({
    client_type: 'kitchen', client_id: clientId, outlet_id: outlet.outlet_id, tenant_ids: settings.tenantIds, since_rev: store.lastRev,
  }) });
  session.watch(socket);
  const printers = new PrinterPanel({ banner: $('printer-banner'), heldEl: $('held-tickets'), toast: (t) => toast(t), fetchImpl: session.fetch });
  socket.on('message', (m) => printers.onMessage(m));
  const soldOut = new SoldOutPanel({ el: $('soldout'), fetchImpl: session.fetch, tenantIds: settings.tenantIds, toast: (t) => toast(t) });
  socket.on('message', (m) => soldOut.onMessage(m));
  const board = new TicketBoard($('tickets'), { thresholds: settings, onAction: (uuid, status) => act(uuid, status),
    onReprint: (uuid) => printers.reprint(uuid) });
  const central = outlet.central_url && outlet.display_token ? { url: outlet.central_url, token: outlet.display_token } : null;
  const feed = new KitchenFeed({ socket, store, fetchImpl: session.fetch, outletId: outlet.outlet_id, tenantIds: settings.tenantIds, central,
    isHidden: () => document.hidden, onMode: showMode, onTickets: ({ newUuids, changed }) => { if (changed || newUuids.length) redraw(newUuids); } });

  let saveTimer = null;
  const saveNow = () => { clearTimeout(saveTimer); saveTimer = null; localStorage.setItem(stateKey(settings), JSON.stringify(store)); };
  function persist() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveNow, 200);
  }
  // A reload inside the 200 ms debounce (a busy tablet) would restore without the newest tickets.
  window.addEventListener('pagehide', () => { if (saveTimer) saveNow(); });

  function redraw(newUuids = []) {
    const visible = store.visible(filter());
    const names = settings.tenantIds.map((id) => tenants.find((t) => t.id === id)?.name).filter(Boolean);
    $('station-name').textContent = names.length ? names.join(' · ') : (outlet.name ? t('kitchen.outlet_kitchen', { outlet: outlet.name }) : t('kitchen.kitchen'));
    const open = visible.filter((t) => t.status !== 'cancelled').length;
    $('open-count').textContent = t('kitchen.open_count', { n: open });
    board.render(visible, { showTenant: settings.tenantIds.length !== 1, emptyText: t('kitchen.no_orders') });
    renderAllDay($('allday'), store.allDay(filter()));
    renderYesterday($('yesterday-btn'), $('yesterday'), store.yesterday(filter()), { onBumpAll: bumpAll });
    $('recall').disabled = !store.lastBumped();
    const fresh = visible.filter((t) => newUuids.includes(t.uuid) && t.status === 'pending');
    if (fresh.length) {
      alerts.beep();
      alerts.notify(fresh);
      for (const t of fresh) board.flash(t.uuid);
    }
    ackShown(visible);
    persist();
  }

  function ackShown(visible) {
    if (!socket.isOpen) return;
    for (const t of visible) {
      if (acked.has(t.uuid) || t.status !== 'pending') continue;
      if (socket.send('ack_order', { uuid: t.uuid, order_number: t.order_number })) acked.add(t.uuid);
    }
  }

  function showMode(mode) {
    const el = $('conn');
    el.dataset.mode = mode;
    el.textContent = modeLabel(mode);
    if (mode === 'live') ackShown(store.visible(filter()));
  }

  async function act(uuid, status) {
    try {
      await feed.setStatus(uuid, status);
    } catch (err) {
      toast(err.code === 'invalid_transition' ? t('kitchen.conflict') : t('kitchen.update_failed', { error: errorText(err) }));
      redraw();
    }
  }

  // The day's close: yesterday's open tickets leave the main screen and go in one tap.
  async function bumpAll(tickets) {
    for (const t of tickets) await act(t.uuid, 'completed');
    redraw();
  }

  function toast(text) {
    const el = $('toast');
    el.textContent = text;
    el.classList.remove('hidden');
    clearTimeout(toast.t);
    toast.t = setTimeout(() => el.classList.add('hidden'), 4000);
  }

  $('recall').addEventListener('click', () => {
    const t = store.lastBumped();
    if (t) act(t.uuid, 'recall');
  });
  attachKitchenKeys(document, { board, recall: () => $('recall').click(), toggleHelp: keys.toggle, closeSheet: keys.close,
    sheetOpen: () => keys.isOpen() || !$('settings-sheet').classList.contains('hidden') });
  $('allday-btn').addEventListener('click', () => $('allday').classList.toggle('hidden'));
  $('yesterday-btn').addEventListener('click', () => $('yesterday').classList.toggle('hidden'));
  $('soldout-btn').addEventListener('click', () => soldOut.toggle());
  $('settings-btn').addEventListener('click', async () => {
    const stations = [...new Set([...tenants.flatMap((t) => t.stations || []),
      ...[...store.tickets.values()].flatMap((t) => (t.items || []).map((i) => i.station))].filter(Boolean))].sort();
    const next = await editSettings($('settings-sheet'), settings, { tenants, stations,
      onAskNotifications: () => ('Notification' in window ? Notification.requestPermission() : null) });
    if (!next) return;
    saveSettings(next);
    location.search = ''; // reload with the new filter: the socket hello and saved state follow it
  });
  if (!alerts.ready) $('sound-hint').classList.remove('hidden');
  document.addEventListener('pointerdown', () => { if (alerts.unlock()) $('sound-hint').classList.add('hidden'); }, { once: false });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) feed.kick(); });
  window.addEventListener('online', () => { socket.reconnectNow(); feed.kick(); });
  setInterval(() => { board.tick(); $('clock').textContent = time(Date.now()); }, 1000);
  setInterval(() => { store.prune(); redraw(); }, 60000);

  $('settings-btn').after(languagePicker());
  // A language switch redraws every ticket (the board reuses unchanged ones otherwise).
  onLanguageChange(() => { board.els.clear(); redraw(); soldOut.draw(); showMode($('conn').dataset.mode); });
  redraw();
  feed.start();
  window.outletKitchen = { store, feed, socket, settings, session, soldOut };
}

main().catch((err) => {
  console.error(err);
  document.body.prepend(Object.assign(document.createElement('pre'), { textContent: t('kitchen.failed_start', { error: err.message }) }));
});
