// Drawing the kiosk: menu grid, cart, the receipt sheet. Reads state, calls back on taps.

import { h, mount } from '../shared/dom.js';
import { t, money as formatMoney } from '../shared/i18n.js';
import { bestPrice } from '../shared/promotions.js';
import { STEPS, stepText, stepOf } from '../shared/order-progress.js';
import { groupsOf, legacyOptions, choicesComplete } from '../shared/modifiers.js';
import { toCents } from '../shared/money.js';


const PALETTE = ['#e8542f', '#2f6fde', '#1f9d55', '#8e44ad', '#d35400', '#16a085', '#c0392b', '#2c3e50'];
export const tileColor = (id) => PALETTE[Math.abs(Number(id) || 0) % PALETTE.length];
const initials = (name) => String(name || '?').split(/\s+/).slice(0, 2).map((w) => w[0]).join('').toUpperCase();

export function renderCategories(el, categories, active, onPick) {
  const all = h('button', { class: active == null ? 'on' : '', onclick: () => onPick(null) }, t('kiosk.all_categories'));
  mount(el, all, categories.map((c) => h('button', {
    class: active === c.id ? 'on' : '', onclick: () => onPick(c.id), dataset: { testid: `category-${c.id}` },
  }, c.name)));
}

export function renderMenu(el, { products, categories, promotions, tenantsById, activeCategory, cart, money, onAdd, soldOut, staff, onToggleSoldOut }) {
  const inCart = new Map();
  for (const l of cart.lines) inCart.set(l.product_id, (inCart.get(l.product_id) || 0) + l.qty);
  const cats = activeCategory == null ? [...categories, { id: null, name: t('kiosk.more_category') }] : categories.filter((c) => c.id === activeCategory);
  const known = new Set(categories.map((c) => c.id));
  const sections = [];
  for (const c of cats) {
    const list = products.filter((p) => (c.id == null ? !known.has(p.category_id) : p.category_id === c.id));
    if (!list.length) continue;
    sections.push(h('h3', {}, c.name), h('div.grid', {}, list.map((p) => productCard(p, { promotions, tenantsById, inCart, money, onAdd, soldOut, staff, onToggleSoldOut }))));
  }
  if (!sections.length) sections.push(h('p.muted.empty', {}, products.length ? t('kiosk.category_empty') : t('kiosk.menu_not_loaded')));
  mount(el, sections);
}

function productCard(p, { promotions, tenantsById, inCart, money, onAdd, soldOut, staff, onToggleSoldOut }) {
  const priced = bestPrice(p, promotions);
  const n = inCart.get(p.id);
  const out = soldOut?.has(p.id) ?? false;
  const card = h('button.product', { class: out ? 'sold-out' : '', disabled: out && !staff, 'aria-disabled': out ? 'true' : null,
    onclick: () => { if (!out) onAdd(p); },
    dataset: { testid: 'product', productId: p.id, name: p.name, soldOut: out ? '1' : '0' } },
    h('div.tile', { style: { background: tileColor(p.category_id ?? p.id) } }, initials(p.name)),
    n ? h('span.in-cart', {}, n) : null,
    out ? h('span.sold-out-badge', {}, t('kiosk.sold_out')) : null,
    h('div.body', {},
      priced.promotion ? h('span.badge', {}, priced.promotion.name || t('kiosk.promo')) : null,
      h('span.name', {}, p.name),
      p.tenant_id != null ? h('span.tenant', {}, tenantsById.get(p.tenant_id)?.name ?? '') : null,
      h('span.price', {}, money(priced.unitCents),
        priced.promotion ? h('span.was', {}, money(priced.originalCents)) : null)));
  if (!staff) return card;
  // Staff (a POS, `?staff=1`) switch a product off and on from the same grid.
  return h('div.product-cell', {}, card,
    h('button.sold-out-toggle', { dataset: { testid: 'toggle-sold-out', productId: p.id },
      onclick: () => onToggleSoldOut(p, !out) }, t(out ? 'kiosk.back_on_sale' : 'kiosk.mark_sold_out')));
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

function groupHint(g) {
  if (g.min === g.max) return t('kiosk.choose_exactly', { n: g.min });
  if (g.min === 0) return t('kiosk.choose_up_to', { n: g.max });
  return t('kiosk.choose_between', { min: g.min, max: g.max });
}

/**
 * The options sheet: central's modifier groups (min/max, price deltas), the seed's free-text
 * modifiers, and a note when the product allows one. Resolves {modifiers, notes} or null.
 */
export function askOptions(sheetEl, product, money = (c) => String(c)) {
  return new Promise((resolve) => {
    const chosen = new Set();
    const groups = groupsOf(product);
    const legacy = groups.length ? [] : legacyOptions(product);
    const wantsNotes = product.allow_notes === true || (!groups.length && product.allow_notes !== false);
    const notes = wantsNotes ? h('input.notes', { placeholder: t('kiosk.notes_placeholder'), maxLength: 120,
      'aria-label': t('kiosk.notes_label'), dataset: { testid: 'options-notes' } }) : null;
    const add = h('button.primary', { dataset: { testid: 'options-add' },
      onclick: () => close({ modifiers: [...chosen], notes: notes ? notes.value : '' }) }, t('kiosk.add_to_order'));
    const refresh = () => { add.disabled = groups.length > 0 && !choicesComplete(product, [...chosen]); };
    const close = (v) => { sheetEl.classList.add('hidden'); mount(sheetEl); resolve(v); };
    const chip = (name, label, group) => h('button', { 'aria-pressed': 'false', dataset: { testid: 'option', option: name },
      onclick: (ev) => {
        const el = ev.currentTarget;
        if (chosen.has(name)) chosen.delete(name);
        else {
          // A pick-one group swaps its choice instead of refusing the tap.
          if (group && group.max === 1) for (const o of group.options) chosen.delete(o.name);
          chosen.add(name);
        }
        for (const b of el.parentElement.querySelectorAll('button')) {
          const on = chosen.has(b.dataset.option);
          b.classList.toggle('on', on);
          b.setAttribute('aria-pressed', String(on));
        }
        refresh();
      } }, label);
    mount(sheetEl, h('div.sheet', { dataset: { testid: 'options-sheet' } },
      h('h2', {}, product.name),
      groups.map((g) => h('fieldset.group', { dataset: { testid: 'option-group' } },
        h('legend', {}, g.name, ' · ', h('span.muted', {}, groupHint(g))),
        h('div.chips', {}, g.options.map((o) => {
          const delta = toCents(o.price_delta ?? '0');
          return chip(o.name, delta ? `${o.name} +${money(delta)}` : o.name, g);
        })))),
      legacy.length ? h('div.chips', {}, legacy.map((n) => chip(n, n, null))) : null,
      notes ? h('label.notes-label', {}, t('kiosk.notes_label'), notes) : null,
      h('div.actions', {},
        h('button.ghost', { onclick: () => close(null) }, t('common.cancel')),
        add)));
    refresh();
    sheetEl.classList.remove('hidden');
  });
}
