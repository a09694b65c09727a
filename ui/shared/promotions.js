// Which promotions apply now and what they take off a line. Pure.
// Promotion fields (central's master data; tolerant of the seed's shape):
//   {id, name, active, start_date|starts_at, end_date|ends_at,
//    discount_percent (central) | discount_type: "percent"|"amount" with discount|value,
//    product_ids?|product_id?, category_ids?|category_id?, tenant_id?}
// A promotion with no product/category/tenant scope applies to every line.

import { toCents } from './money.js';

function parseTime(v) {
  if (v == null || v === '') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/** True when the promotion is switched on and `now` (ms) lies inside its window. */
export function isPromotionActive(promo, now = Date.now()) {
  if (!promo || promo.active === false || promo.is_active === false) return false;
  const start = parseTime(promo.start_date ?? promo.starts_at ?? promo.valid_from);
  const end = parseTime(promo.end_date ?? promo.ends_at ?? promo.valid_until);
  if (start != null && now < start) return false;
  if (end != null && now > end) return false;
  return true;
}

function ids(one, many) {
  const list = Array.isArray(many) ? many : [];
  return one != null ? [...list, one] : list;
}

/** Does this promotion cover this product? */
export function promotionCovers(promo, product) {
  const products = ids(promo.product_id, promo.product_ids ?? promo.products);
  const categories = ids(promo.category_id, promo.category_ids ?? promo.categories);
  if (promo.tenant_id != null && product.tenant_id != null && promo.tenant_id !== product.tenant_id) return false;
  if (products.length === 0 && categories.length === 0) return true;
  return products.includes(product.id) || categories.includes(product.category_id);
}

/** Discount in cents off one unit of `product` (price in cents) for one promotion. */
export function unitDiscount(promo, product, unitCents) {
  const type = promo.discount_percent != null ? 'percent' : String(promo.discount_type ?? promo.type ?? 'percent').toLowerCase();
  const raw = promo.discount_percent ?? promo.discount ?? promo.value ?? promo.discount_value ?? 0;
  let off;
  if (type.startsWith('percent') || type === '%') {
    const pct = Math.min(100, Math.max(0, Number(raw)));
    off = Math.round((unitCents * pct) / 100);
  } else {
    off = toCents(raw);
  }
  return Math.max(0, Math.min(unitCents, off));
}

/**
 * The best active promotion for a product and its discounted unit price.
 * Promotions never stack: the customer gets the single largest discount.
 */
export function bestPrice(product, promotions, now = Date.now()) {
  const unit = toCents(product.price);
  let best = null;
  let bestOff = 0;
  for (const p of promotions || []) {
    if (!isPromotionActive(p, now) || !promotionCovers(p, product)) continue;
    const off = unitDiscount(p, product, unit);
    if (off > bestOff) { best = p; bestOff = off; }
  }
  return { unitCents: unit - bestOff, originalCents: unit, promotion: best };
}
