// The order-ready board: numbers preparing and ready, per stall. Same feed as the kitchen
// (socket, polling fallback, dedupe by uuid/rev), read-only, every tenant of the outlet.

import { HubSocket, hubSocketUrl } from '../shared/sync-client.js';
import { KitchenFeed, modeLabel } from '../shared/kitchen-feed.js';
import { TicketStore } from '../shared/ticket-store.js';
import { loadOutlet } from '../shared/hub-link.js';
import { h, mount, registerServiceWorker } from '../shared/dom.js';
import { openDeviceSession } from '../shared/device-session.js';
import { t, configure, languagePicker, onLanguageChange } from '../shared/i18n.js';

const $ = (id) => document.getElementById(id);
const KEY = 'outlet-hub.board.state';

/** Group order numbers by tenant name for one column. */
export function columns(tickets) {
  const out = { preparing: new Map(), ready: new Map() };
  for (const t of tickets) {
    const col = t.status === 'ready' ? out.ready : (t.status === 'pending' || t.status === 'preparing') ? out.preparing : null;
    if (!col) continue;
    const name = t.tenant_name || '';
    if (!col.has(name)) col.set(name, []);
    col.get(name).push(t.order_number);
  }
  return out;
}

function draw(el, groups) {
  if (!groups.size) { mount(el, h('div.none', {}, '—')); return; }
  mount(el, [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, nums]) =>
    h('div.tgroup', { dataset: { testid: 'board-group' } }, name ? h('h3', {}, name) : null,
      h('div.nums', {}, nums.map((n) => h('span', { dataset: { testid: 'board-number', number: n } }, n))))));
}

async function main() {
  registerServiceWorker();
  const { outlet } = await loadOutlet();
  configure(outlet);
  const name = new URLSearchParams(location.search).get('name') || t('board.name');
  const session = await openDeviceSession({ outlet, stallText: t('kitchen.every_stall'), identity: { client_type: 'board', name, tenant_ids: [] } });
  let store;
  try { store = TicketStore.fromJSON(JSON.parse(localStorage.getItem(KEY) || 'null')); } catch { store = new TicketStore(); }
  store.prune(3600000);
  const drawTitle = () => { $('title').textContent = outlet.name ? t('board.outlet_your_order', { outlet: outlet.name }) : t('board.your_order'); };
  drawTitle();
  const socket = new HubSocket({ url: () => session.socketUrl(hubSocketUrl()),
    hello: () => session.hello({ client_type: 'board', client_id: 'board', outlet_id: outlet.outlet_id, since_rev: store.lastRev }) });
  session.watch(socket);
  const central = outlet.central_url && outlet.display_token ? { url: outlet.central_url, token: outlet.display_token } : null;
  const redraw = () => {
    const c = columns(store.visible());
    draw($('preparing'), c.preparing);
    draw($('ready'), c.ready);
    localStorage.setItem(KEY, JSON.stringify(store));
  };
  const feed = new KitchenFeed({ socket, store, fetchImpl: session.fetch, outletId: outlet.outlet_id, central, isHidden: () => document.hidden,
    onMode: (m) => { $('conn').dataset.mode = m; $('conn').textContent = modeLabel(m); }, onTickets: redraw });
  $('conn').before(languagePicker());
  onLanguageChange(() => { drawTitle(); $('conn').textContent = modeLabel($('conn').dataset.mode); });
  redraw();
  feed.start();
  setInterval(() => { store.prune(3600000); redraw(); }, 60000);
  window.outletBoard = { store, feed, session };
}

if (typeof document !== 'undefined') main().catch((err) => console.error(err));
