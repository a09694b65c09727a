// Drawing kitchen tickets. Ticket elements are reused while their rev is unchanged so a
// cook's tap never lands on a node that was just replaced; timers tick in place.

import { h, mount } from '../shared/dom.js';
import { ticketAgeMs, timerLevel, formatAge } from '../shared/ticket-timer.js';
import { t as tr } from '../shared/i18n.js'; // `t` is a ticket below

const TYPES = new Set(['dine_in', 'takeaway', 'delivery']);
const STATUSES = { pending: 'new', preparing: 'preparing', ready: 'ready', completed: 'completed', cancelled: 'cancelled' };
const typeText = (type) => (TYPES.has(type || 'dine_in') ? tr(`order_type.${type || 'dine_in'}`) : type);
const statusText = (status) => (STATUSES[status] ? tr(`kitchen.status_${STATUSES[status]}`) : status);

// A printer, drawn: the emoji (U+1F5A8) needs a font Debian's Chromium kiosks do not have.
const SVG_NS = 'http://www.w3.org/2000/svg';
const PRINTER_PATH = 'M6 2h12v5H6zM4 8h16a2 2 0 0 1 2 2v6h-4v6H6v-6H2v-6a2 2 0 0 1 2-2zm4 7v5h8v-5zm9-5a1 1 0 1 0 0 2a1 1 0 1 0 0-2z';
function printerIcon() {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon-print');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('fill-rule', 'evenodd');
  path.setAttribute('d', PRINTER_PATH);
  svg.append(path);
  return svg;
}

/** The buttons a ticket offers in its status. */
export function actionsFor(status) {
  switch (status) {
    case 'pending': return [['start', tr('kitchen.start'), 'preparing'], ['ready', tr('kitchen.ready'), 'ready'], ['cancel', '✕', 'cancelled']];
    case 'preparing': return [['ready', tr('kitchen.ready'), 'ready'], ['cancel', '✕', 'cancelled']];
    case 'ready': return [['bump', tr('kitchen.bump'), 'completed']];
    default: return [];
  }
}

function ticketEl(t, { onAction, onReprint, showTenant }) {
  const meta = [
    h('span.status', {}, statusText(t.status)),
    h(`span.tag.${t.order_type || 'dine_in'}`, {}, typeText(t.order_type)),
    t.table ? h('span.tag', {}, tr('kitchen.table', { table: t.table })) : null,
    t.customer_name ? h('span.tag', {}, t.customer_name) : null,
    showTenant && t.tenant_name ? h('span', {}, t.tenant_name) : null,
  ];
  return h('article.ticket', { dataset: { testid: 'ticket', uuid: t.uuid, number: t.order_number, status: t.status, rev: String(t.rev), created: t.created_at || '' } },
    h('div.th', {}, h('span.kidx', { 'aria-hidden': 'true' }, ''), h('span.num', {}, t.order_number), h('span.timer', {}, '')),
    h('div.meta', {}, meta),
    h('ul', {}, (t.items || []).map((i) => h('li', {},
      h('span.q', {}, `${i.qty}×`), i.name,
      ...(i.modifiers || []).map((m) => h('span.mod', {}, `+ ${typeof m === 'string' ? m : m.name}`)),
      i.notes ? h('span.note', {}, `“${i.notes}”`) : null))),
    t.notes ? h('div.onote', {}, t.notes) : null,
    h('div.acts', {}, actionsFor(t.status).map(([cls, label, status]) =>
      h(`button.${cls}`, { dataset: { testid: `action-${cls}` }, title: cls === 'cancel' ? tr('kitchen.cancel_order') : null, 'aria-label': cls === 'cancel' ? tr('kitchen.cancel_order') : null,
        onclick: (ev) => { ev.currentTarget.disabled = true; onAction(t.uuid, status); } }, label)),
      onReprint ? h('button.reprint', { title: tr('kitchen.reprint'), 'aria-label': tr('kitchen.reprint'), dataset: { testid: 'action-reprint' }, onclick: () => onReprint(t.uuid) }, printerIcon()) : null));
}

export class TicketBoard {
  constructor(root, { onAction, onReprint, thresholds }) {
    this.root = root;
    this.onAction = onAction;
    this.onReprint = onReprint;
    this.thresholds = thresholds;
    this.els = new Map(); // uuid → {rev, status, el}
    this.order = []; // uuids as drawn: what arrows and 1…9 walk
    this.selected = null; // keyboard selection (kitchen-keys.js); null until a key is pressed
  }

  render(tickets, { showTenant, emptyText }) {
    const active = this.root.ownerDocument.activeElement;
    const hadFocus = !!active && this.root.contains(active); // keep the keyboard where it was
    const wasAt = this.order.indexOf(this.selected);
    const next = new Map();
    const list = tickets.map((t) => {
      const prev = this.els.get(t.uuid);
      const el = prev && prev.rev === t.rev && prev.status === t.status && prev.n === t.items.length ? prev.el : ticketEl(t, { onAction: this.onAction, onReprint: this.onReprint, showTenant });
      next.set(t.uuid, { rev: t.rev, status: t.status, n: t.items.length, el });
      return el;
    });
    this.els = next;
    this.order = tickets.map((t) => t.uuid);
    // A bumped ticket leaves: the one that takes its place is selected, so Enter, Enter… works.
    if (this.selected && !next.has(this.selected)) this.selected = this.order[Math.min(wasAt, this.order.length - 1)] || null;
    if (list.length) mount(this.root, list); else mount(this.root, h('div.empty-k', { dataset: { testid: 'no-tickets' } }, emptyText));
    this.#markSelection(hadFocus);
    this.tick();
  }

  count() { return this.order.length; }
  selectedIndex() { return this.order.indexOf(this.selected); }
  selectedEl() { return this.els.get(this.selected)?.el || null; }

  /** Select (and focus) the ticket at `index`; -1 clears. */
  selectIndex(index) {
    this.selected = this.order[index] || null;
    this.#markSelection(true);
  }

  // Roving tabindex: one ticket is in the tab order (the selected one, else the first), its
  // badge 1…9 says which number key reaches it.
  #markSelection(focus) {
    const entry = this.selected || this.order[0];
    this.order.forEach((uuid, i) => {
      const { el } = this.els.get(uuid);
      el.tabIndex = uuid === entry ? 0 : -1;
      el.classList.toggle('selected', uuid === this.selected);
      el.setAttribute('aria-current', uuid === this.selected ? 'true' : 'false');
      el.querySelector('.kidx').textContent = i < 9 ? String(i + 1) : '';
    });
    if (focus && this.selected) this.els.get(this.selected).el.focus();
  }

  /** Update every timer and colour; called each second. */
  tick(now = Date.now()) {
    for (const { el } of this.els.values()) {
      const age = ticketAgeMs({ created_at: el.dataset.created }, now);
      el.querySelector('.timer').textContent = formatAge(age);
      el.dataset.level = el.dataset.status === 'ready' || el.dataset.status === 'cancelled' ? 'done' : timerLevel(age, this.thresholds);
    }
  }

  flash(uuid) { this.els.get(uuid)?.el.classList.add('fresh-flash'); }
}

export function renderAllDay(el, rows) {
  mount(el, h('h2', {}, tr('kitchen.all_day')), rows.length ? rows.map(([name, n]) => h('div.row', { dataset: { testid: 'allday-row' } }, h('span', {}, name), h('b', {}, n)))
    : h('p.muted', {}, tr('kitchen.nothing_open')));
}

/** The "yesterday" list: open tickets from an earlier trading day, bumped in one go. */
export function renderYesterday(btn, el, tickets, { onBumpAll }) {
  btn.classList.toggle('hidden', tickets.length === 0);
  btn.textContent = tr('kitchen.yesterday', { n: tickets.length });
  btn.dataset.count = String(tickets.length);
  if (!tickets.length) el.classList.add('hidden');
  mount(el, h('h2', {}, tr('kitchen.yesterday_title')), h('p.muted', {}, tr('kitchen.yesterday_hint')),
    tickets.map((t) => h('div.row', { dataset: { testid: 'yesterday-ticket', number: t.order_number, uuid: t.uuid } },
      h('span', {}, t.order_number), h('span.muted', {}, (t.items || []).map((i) => `${i.qty}× ${i.name}`).join(', ')))),
    tickets.length ? h('button.kbtn.bump-all', { dataset: { testid: 'bump-all-yesterday' },
      onclick: (ev) => { ev.currentTarget.disabled = true; onBumpAll(tickets); } }, tr('kitchen.bump_all')) : null);
}
