// The kiosk cart and checkout: lines, totals, and the split of a food-court cart into one
// order per tenant. Pure: ids, numbers and clock are passed in.

import { fromCents } from './money.js';
import { bestPrice } from './promotions.js';
import { modifierCents } from './modifiers.js';

/** A line's identity: same product with same modifiers and notes merges into one line. */
export function lineKey(productId, modifiers = [], notes = '') {
  return JSON.stringify([productId, [...modifiers].sort(), notes.trim()]);
}

export class Cart {
  constructor() { this.lines = []; }

  /** Add qty of a product (already priced with bestPrice; option deltas added here); returns the line. */
  add(product, { qty = 1, modifiers = [], notes = '', priced }) {
    const extra = modifierCents(product, modifiers);
    const key = lineKey(product.id, modifiers, notes);
    let line = this.lines.find((l) => l.key === key);
    if (!line) {
      line = {
        key, product_id: product.id, name: product.name, tenant_id: product.tenant_id ?? null,
        station: product.station ?? null, unitCents: priced.unitCents + extra,
        originalCents: priced.originalCents + extra, extraCents: extra, promotion_id: priced.promotion?.id ?? null,
        modifiers: [...modifiers], notes: notes.trim(), qty: 0,
      };
      this.lines.push(line);
    }
    line.qty += qty;
    if (line.qty <= 0) this.remove(key);
    return line;
  }

  setQty(key, qty) {
    const line = this.lines.find((l) => l.key === key);
    if (!line) return;
    if (qty <= 0) this.remove(key); else line.qty = qty;
  }

  remove(key) { this.lines = this.lines.filter((l) => l.key !== key); }
  clear() { this.lines = []; }
  get count() { return this.lines.reduce((n, l) => n + l.qty, 0); }
  get totalCents() { return this.lines.reduce((n, l) => n + l.qty * l.unitCents, 0); }
  get savingsCents() { return this.lines.reduce((n, l) => n + l.qty * (l.originalCents - l.unitCents), 0); }
}

/** Re-price every line against the current menu (after a menu refresh). */
export function repriceCart(cart, productsById, promotions, now = Date.now()) {
  for (const line of cart.lines) {
    const p = productsById.get(line.product_id);
    if (!p) continue;
    const priced = bestPrice(p, promotions, now);
    let extra;
    try { extra = modifierCents(p, line.modifiers); } catch { extra = line.extraCents || 0; } // options changed under the cart: keep what was shown
    line.extraCents = extra;
    line.unitCents = priced.unitCents + extra;
    line.originalCents = priced.originalCents + extra;
    line.promotion_id = priced.promotion?.id ?? null;
  }
}

/**
 * Split the cart into one order per tenant (lines without a tenant form one order).
 * `newUuid` and `nextNumber` are called once per order; `meta` carries order_type, table…
 */
export function splitCartIntoOrders(cart, { outletId, tenantsById = new Map(), newUuid, nextNumber,
  now = new Date(), meta = {}, source = 'kiosk', groupId = null }) {
  const groups = new Map();
  for (const line of cart.lines) {
    const k = line.tenant_id ?? null;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(line);
  }
  const created = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const orders = [];
  for (const [tenantId, lines] of groups) {
    const total = lines.reduce((n, l) => n + l.qty * l.unitCents, 0);
    orders.push({
      uuid: newUuid(),
      order_number: nextNumber(),
      outlet_id: outletId,
      tenant_id: tenantId,
      tenant_name: tenantId == null ? null : (tenantsById.get(tenantId)?.name ?? null),
      status: 'pending',
      items: lines.map((l) => ({
        product_id: l.product_id, name: l.name, qty: l.qty, price: fromCents(l.unitCents),
        modifiers: l.modifiers, notes: l.notes, station: l.station,
        ...(l.promotion_id != null ? { promotion_id: l.promotion_id } : {}),
      })),
      total_amount: fromCents(total),
      order_type: meta.order_type || 'dine_in',
      table: meta.table || '',
      customer_name: meta.customer_name || '',
      notes: meta.notes || '',
      source,
      created_at: created,
      ...(groupId ? { group_id: groupId } : {}),
    });
  }
  return orders;
}
