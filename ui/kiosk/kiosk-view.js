// Drawing the kiosk: menu grid, cart, the receipt sheet. Reads state, calls back on taps.

import { h, mount } from '../shared/dom.js';
import { t, money as formatMoney } from '../shared/i18n.js';
import { bestPrice } from '../shared/promotions.js';
import { STEPS, stepText, stepOf } from '../shared/order-progress.js';

const PALETTE = ['#e8542f', '#2f6fde', '#1f9d55', '#8e44ad', '#d35400', '#16a085', '#c0392b', '#2c3e50'];
export const tileColor = (id) => PALETTE[Math.abs(Number(id) || 0) % PALETTE.length];
const initials = (name) => String(name || '?').split(/\s+/).slice(0, 2).map((w) => w[0]).join('').toUpperCase();

export function renderCategories(el, categories, active, onPick) {
  const all = h('button', { class: active == null ? 'on' : '', onclick: () => onPick(null) }, t('kiosk.all_categories'));
  mount(el, all, categories.map((c) => h('button', {
    class: active === c.id ? 'on' : '', onclick: () => onPick(c.id), dataset: { testid: `category-${c.id}` },
  }, c.name)));
}

export function renderMenu(el, { products, categories, promotions, tenantsById, activeCategory, cart, money, onAdd }) {
  const inCart = new Map();
  for (const l of cart.lines) inCart.set(l.product_id, (inCart.get(l.product_id) || 0) + l.qty);
  const cats = activeCategory == null ? [...categories, { id: null, name: t('kiosk.more_category') }] : categories.filter((c) => c.id === activeCategory);
  const known = new Set(categories.map((c) => c.id));
  const sections = [];
  for (const c of cats) {
    const list = products.filter((p) => (c.id == null ? !known.has(p.category_id) : p.category_id === c.id));
    if (!list.length) continue;
    sections.push(h('h3', {}, c.name), h('div.grid', {}, list.map((p) => productCard(p, { promotions, tenantsById, inCart, money, onAdd }))));
  }
  if (!sections.length) sections.push(h('p.muted.empty', {}, products.length ? t('kiosk.category_empty') : t('kiosk.menu_not_loaded')));
  mount(el, sections);
}

function productCard(p, { promotions, tenantsById, inCart, money, onAdd }) {
  const priced = bestPrice(p, promotions);
  const n = inCart.get(p.id);
  return h('button.product', { onclick: () => onAdd(p), dataset: { testid: 'product', productId: p.id, name: p.name } },
    h('div.tile', { style: { background: tileColor(p.category_id ?? p.id) } }, initials(p.name)),
    n ? h('span.in-cart', {}, n) : null,
    h('div.body', {},
      priced.promotion ? h('span.badge', {}, priced.promotion.name || t('kiosk.promo')) : null,
      h('span.name', {}, p.name),
      p.tenant_id != null ? h('span.tenant', {}, tenantsById.get(p.tenant_id)?.name ?? '') : null,
      h('span.price', {}, money(priced.unitCents),
        priced.promotion ? h('span.was', {}, money(priced.originalCents)) : null)));
}

export function renderCart(el, { cart, tenantsById, money, onQty }) {
  if (!cart.lines.length) { mount(el, h('p.muted.empty', {}, t('kiosk.cart_empty'))); return; }
  const groups = new Map();
  for (const l of cart.lines) {
    if (!groups.has(l.tenant_id)) groups.set(l.tenant_id, []);
    groups.get(l.tenant_id).push(l);
  }
  const out = [];
  for (const [tid, lines] of groups) {
    if (groups.size > 1 || tid != null) out.push(h('div.cart-group', {}, tenantsById.get(tid)?.name ?? t('kiosk.counter')));
    for (const l of lines) {
      out.push(h('div.line', { dataset: { testid: 'cart-line' } },
        h('span.n', {}, l.name),
        h('div.qty', {},
          h('button', { onclick: () => onQty(l.key, l.qty - 1), 'aria-label': t('kiosk.qty_less') }, '−'),
          h('span', {}, l.qty),
          h('button', { onclick: () => onQty(l.key, l.qty + 1), 'aria-label': t('kiosk.qty_more') }, '+')),
        (l.modifiers.length || l.notes) ? h('span.mods', {}, [...l.modifiers, l.notes].filter(Boolean).join(' · ')) : null,
        h('span.muted', {}, money(l.unitCents * l.qty))));
    }
  }
  mount(el, out);
}

/** One row per order: its number and how far it got (order-progress.js), as text and as steps. */
export function receiptRows(entries) {
  return entries.map((e) => {
    const step = stepOf(e);
    const reached = STEPS.indexOf(step);
    return h('div.r', { dataset: { testid: 'receipt-row', uuid: e.uuid, state: e.state, step } },
      h('div', {}, h('div.num', {}, e.order.order_number), h('div.muted', {}, e.order.tenant_name || '')),
      h('div.state', { dataset: { state: e.state, step, testid: 'order-step' } }, stepText(step),
        reached >= 0 ? h('div.steps', { 'aria-hidden': 'true' }, STEPS.slice(0, 4).map((s, i) =>
          h('span', { class: i <= reached ? 'done' : '', title: stepText(s) }))) : null));
  });
}

/** Money in the outlet's currency and the screen's locale (shared/i18n.js, set from /api/outlet). */
export function moneyFormatter() {
  return (cents) => formatMoney(cents);
}

/** The options sheet for a product with modifiers: resolves {modifiers, notes} or null. */
export function askOptions(sheetEl, product) {
  return new Promise((resolve) => {
    const chosen = new Set();
    const names = (product.modifiers || []).map((m) => (typeof m === 'string' ? m : m.name)).filter(Boolean);
    const notes = h('input.notes', { placeholder: t('kiosk.notes_placeholder'), maxLength: 120 });
    const close = (v) => { sheetEl.classList.add('hidden'); mount(sheetEl); resolve(v); };
    mount(sheetEl, h('div.sheet', {},
      h('h2', {}, product.name),
      h('div.chips', {}, names.map((n) => h('button', { onclick: (ev) => {
        if (chosen.has(n)) chosen.delete(n); else chosen.add(n);
        ev.currentTarget.classList.toggle('on');
      } }, n))),
      notes,
      h('div.actions', {},
        h('button.ghost', { onclick: () => close(null) }, t('common.cancel')),
        h('button.primary', { dataset: { testid: 'options-add' }, onclick: () => close({ modifiers: [...chosen], notes: notes.value }) }, t('kiosk.add_to_order')))));
    sheetEl.classList.remove('hidden');
  });
}
