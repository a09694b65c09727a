// The shared vectors (outlet_protocol/vectors/*.json) against ui/shared/: the kiosk prices a
// cart exactly as central and the hub do (tests/protocol/test_vectors.py runs the same files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toCents } from '../shared/money.js';
import { bestPrice, isPromotionActive } from '../shared/promotions.js';
import { Cart, splitCartIntoOrders } from '../shared/cart.js';

const load = (name) => JSON.parse(readFileSync(new URL(`../../outlet_protocol/vectors/${name}`, import.meta.url)));
const pricing = load('pricing.json');

test('toCents equals outlet_protocol.pricing.to_cents on every vector', () => {
  for (const [text, cents] of pricing.to_cents) assert.equal(toCents(text), cents, String(text));
});

for (const c of pricing.active) {
  test(`promotion activity: ${c.name}`, () => {
    assert.equal(isPromotionActive(c.promo, Date.parse(c.now)), c.active);
  });
}

for (const c of pricing.best_price) {
  test(`best price: ${c.name}`, () => {
    const got = bestPrice(c.product, c.promotions, Date.parse(c.now));
    assert.deepEqual({ unit_cents: got.unitCents, original_cents: got.originalCents,
      promotion_id: got.promotion ? got.promotion.id : null }, c.expect);
  });
}

// The browser does not judge orders (the hub does), but what the kiosk builds must pass
// the schema the servers read their limits from: a small checker of the keywords it uses.
const schema = JSON.parse(readFileSync(new URL('../../outlet_protocol/schema/order.schema.json', import.meta.url)));
const resolve = (s) => (s.$ref ? { ...s.$ref.slice(2).split('/').reduce((o, k) => o[k], schema), ...s } : s);
function problems(value, rule, where) {
  const s = resolve(rule);
  if (s.anyOf) return s.anyOf.some((r) => problems(value, r, where).length === 0) ? [] : [`${where}: anyOf`];
  const out = [];
  if (s.enum && !s.enum.includes(value)) out.push(`${where}: not in enum`);
  if (typeof value === 'string') {
    if (s.maxLength != null && value.length > s.maxLength) out.push(`${where}: too long`);
    if (s.pattern && !new RegExp(s.pattern).test(value)) out.push(`${where}: pattern`);
  }
  if (typeof value === 'number' && ((s.minimum != null && value < s.minimum) || (s.maximum != null && value > s.maximum))) out.push(`${where}: range`);
  if (Array.isArray(value)) {
    if (s.maxItems != null && value.length > s.maxItems) out.push(`${where}: too many`);
    value.forEach((v, i) => s.items && out.push(...problems(v, s.items, `${where}[${i}]`)));
  } else if (value && typeof value === 'object' && s.properties) {
    for (const key of s.required || []) if (value[key] == null) out.push(`${where}.${key}: required`);
    for (const [key, sub] of Object.entries(s.properties)) if (value[key] != null) out.push(...problems(value[key], sub, `${where}.${key}`));
  }
  return out;
}

test('orders the kiosk builds satisfy the order schema', () => {
  const cart = new Cart();
  const pizza = { id: 7, name: 'Margherita', price: '45000', tenant_id: 3, station: 'oven' };
  cart.add(pizza, { qty: 2, modifiers: ['extra cheese'], priced: bestPrice(pizza, [], Date.now()) });
  const [order] = splitCartIntoOrders(cart, { outletId: 1, newUuid: () => '7d2c0a8e-1111-4222-8333-944455556666',
    nextNumber: () => 'K1-0001', now: new Date('2026-12-01T08:00:00Z'), meta: { order_type: 'takeaway' } });
  assert.deepEqual(problems(order, schema, 'order'), []);
  assert.deepEqual(problems({ ...order, order_type: 'drive', items: [] }, schema, 'order').length > 0, true);
});
