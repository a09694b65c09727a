import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cart, splitCartIntoOrders, repriceCart } from '../shared/cart.js';
import { bestPrice, isPromotionActive, promotionCovers } from '../shared/promotions.js';

const pizza = { id: 7, name: 'Margherita', price: '45000', tenant_id: 3, category_id: 1, station: 'oven' };
const burger = { id: 9, name: 'Cheeseburger', price: '30000.50', tenant_id: 4, category_id: 2, station: 'grill' };
const water = { id: 11, name: 'Water', price: '5000', tenant_id: null, category_id: 3 };
const NOW = Date.parse('2026-01-03T10:00:00Z');

test('a percent promotion on a category discounts only that category', () => {
  const promo = { id: 1, name: '10% pizza', discount_type: 'percent', discount: '10', category_ids: [1], active: true };
  assert.equal(bestPrice(pizza, [promo], NOW).unitCents, 4050000);
  assert.equal(bestPrice(burger, [promo], NOW).unitCents, 3000050);
});

test('promotions outside their window or switched off do not apply', () => {
  const past = { id: 2, discount_type: 'amount', value: '1000', end_date: '2026-01-01T00:00:00Z' };
  const future = { id: 3, discount_type: 'amount', value: '1000', start_date: '2026-02-01' };
  const off = { id: 4, discount_type: 'amount', value: '1000', active: false };
  assert.equal(isPromotionActive(past, NOW), false);
  assert.equal(isPromotionActive(future, NOW), false);
  assert.equal(isPromotionActive(off, NOW), false);
  assert.equal(bestPrice(pizza, [past, future, off], NOW).unitCents, 4500000);
});

test('the best single promotion wins and a discount never makes a price negative', () => {
  const small = { id: 5, discount_type: 'amount', discount: '1000', product_ids: [7] };
  const big = { id: 6, discount_type: 'amount', discount: '99999999', product_id: 7 };
  const r = bestPrice(pizza, [small, big], NOW);
  assert.equal(r.unitCents, 0);
  assert.equal(r.promotion.id, 6);
  assert.equal(promotionCovers({ tenant_id: 4 }, pizza), false);
});

test('a food-court cart splits into one order per tenant with its own uuid and number', () => {
  const cart = new Cart();
  cart.add(pizza, { qty: 2, priced: bestPrice(pizza, [], NOW) });
  cart.add(burger, { qty: 1, modifiers: ['no onion'], priced: bestPrice(burger, [], NOW) });
  cart.add(pizza, { qty: 1, priced: bestPrice(pizza, [], NOW) });
  cart.add(water, { qty: 3, priced: bestPrice(water, [], NOW) });
  assert.equal(cart.lines.length, 3);
  assert.equal(cart.count, 7);
  let u = 0; let n = 0;
  const orders = splitCartIntoOrders(cart, {
    outletId: 1, tenantsById: new Map([[3, { name: 'Pizza Paradise' }], [4, { name: 'Burger Bros' }]]),
    newUuid: () => `uuid-${++u}`, nextNumber: () => `K1-000${++n}`, now: new Date(NOW),
    meta: { order_type: 'takeaway', table: '12' }, groupId: 'g1',
  });
  assert.equal(orders.length, 3);
  const byTenant = Object.fromEntries(orders.map((o) => [o.tenant_id, o]));
  assert.equal(byTenant[3].tenant_name, 'Pizza Paradise');
  assert.deepEqual(byTenant[3].items.map((i) => [i.name, i.qty, i.price, i.station]), [['Margherita', 3, '45000', 'oven']]);
  assert.equal(byTenant[3].total_amount, '135000');
  assert.equal(byTenant[4].total_amount, '30000.50');
  assert.deepEqual(byTenant[4].items[0].modifiers, ['no onion']);
  assert.equal(byTenant[null].tenant_name, null);
  assert.equal(new Set(orders.map((o) => o.uuid)).size, 3);
  assert.equal(new Set(orders.map((o) => o.order_number)).size, 3);
  for (const o of orders) {
    assert.equal(o.order_type, 'takeaway');
    assert.equal(o.group_id, 'g1');
    assert.equal(o.created_at, '2026-01-03T10:00:00Z');
    assert.equal(o.status, 'pending');
  }
});

test('cart lines merge by product+modifiers, and repricing follows a new menu', () => {
  const cart = new Cart();
  cart.add(pizza, { qty: 1, priced: bestPrice(pizza, [], NOW) });
  cart.add(pizza, { qty: 1, modifiers: ['extra cheese'], priced: bestPrice(pizza, [], NOW) });
  assert.equal(cart.lines.length, 2);
  cart.setQty(cart.lines[0].key, 0);
  assert.equal(cart.lines.length, 1);
  repriceCart(cart, new Map([[7, { ...pizza, price: '50000' }]]), [], NOW);
  assert.equal(cart.totalCents, 5000000);
});

test("central's promotion shape (discount_percent on a tenant) applies", () => {
  const promo = { id: 9, name: 'Happy hour', discount_percent: '20.00', tenant_id: 3, is_active: true };
  assert.equal(bestPrice(pizza, [promo], NOW).unitCents, 3600000);
  assert.equal(bestPrice(burger, [promo], NOW).unitCents, 3000050);
  assert.equal(bestPrice(pizza, [{ ...promo, is_active: false }], NOW).unitCents, 4500000);
});
