// Issue 14 in the browser code: option deltas and the trading day on the vectors the Python
// side runs (outlet_protocol/vectors/modifiers.json), the cart's price, the kitchen's
// yesterday list, and the sold-out list's pushes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { modifierCents, needsOptions } from '../shared/modifiers.js';
import { businessDay } from '../shared/business-day.js';
import { Cart } from '../shared/cart.js';
import { TicketStore } from '../shared/ticket-store.js';
import { SoldOutList } from '../shared/sold-out.js';

process.env.TZ = 'UTC';
const v = JSON.parse(readFileSync(new URL('../../outlet_protocol/vectors/modifiers.json', import.meta.url)));

for (const c of v.cases) {
  test(`option deltas: ${c.name}`, () => {
    if (c.cents === null) assert.throws(() => modifierCents(v.product, c.chosen));
    else assert.equal(modifierCents(v.product, c.chosen), c.cents);
  });
}

test('a product without groups takes free-text modifiers free', () => {
  assert.equal(modifierCents(v.no_groups.product, v.no_groups.chosen), v.no_groups.cents);
  assert.equal(needsOptions({ id: 1 }), false);
  assert.equal(needsOptions({ id: 1, allow_notes: true }), true);
});

for (const c of v.business_day) {
  test(`trading day of ${c.at} (starts ${c.day_starts_at})`, () => {
    assert.equal(businessDay(Date.parse(c.at), c.day_starts_at), c.day);
  });
}

test('the cart charges the chosen options on top of the promotion price', () => {
  const cart = new Cart();
  const line = cart.add(v.product, { modifiers: ['Telur', 'Merah'], priced: { unitCents: 2000000, originalCents: 2500000 } });
  assert.equal(line.unitCents, 2000000 + 500000 + 300000);
  assert.equal(cart.savingsCents, 500000);
});

test("yesterday's open tickets leave the main list; finished ones never join it", () => {
  let now = Date.parse('2026-03-09T20:00:00Z');
  const store = new TicketStore({ now: () => now });
  const t = (uuid, status, created) => store.apply({ uuid, rev: 1, status, created_at: created, items: [{ name: 'x', qty: 1 }] });
  t('open', 'pending', '2026-03-09T19:00:00Z');
  t('done', 'completed', '2026-03-09T19:00:00Z');
  const filter = { dayStartsAt: '04:00' };
  assert.deepEqual(store.visible(filter).map((x) => x.uuid), ['open']);
  assert.deepEqual(store.yesterday(filter), []);
  now = Date.parse('2026-03-10T04:01:00Z');
  t('fresh', 'pending', '2026-03-10T04:00:30Z');
  assert.deepEqual(store.visible(filter).map((x) => x.uuid), ['fresh']);
  assert.deepEqual(store.yesterday(filter).map((x) => x.uuid), ['open']);
});

test('the sold-out list follows pushes and ignores other messages', () => {
  const seen = [];
  const list = new SoldOutList({ onChange: (ids) => seen.push([...ids]) });
  assert.equal(list.onMessage({ type: 'new_order', payload: {} }), false);
  assert.equal(list.onMessage({ type: 'product_availability', payload: { product_id: 3, sold_out: true } }), true);
  list.onMessage({ type: 'product_availability', payload: { product_id: 3, sold_out: true } });
  list.onMessage({ type: 'product_availability', payload: { product_id: 3, sold_out: false } });
  assert.deepEqual(seen, [[3], []]);
});

test("the hub's received_at, not a kiosk's wrong clock, decides the trading day", () => {
  const now = Date.parse('2026-03-10T10:00:00Z');
  const store = new TicketStore({ now: () => now });
  store.apply({ uuid: 'skewed', rev: 1, status: 'pending', created_at: '2026-03-09T10:00:00Z',
    received_at: '2026-03-10T09:59:00Z', items: [{ name: 'x', qty: 1 }] });
  assert.deepEqual(store.visible({ dayStartsAt: '04:00' }).map((x) => x.uuid), ['skewed']);
  assert.deepEqual(store.yesterday({ dayStartsAt: '04:00' }), []);
});
