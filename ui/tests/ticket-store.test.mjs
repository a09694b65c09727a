import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TicketStore } from '../shared/ticket-store.js';
import { timerLevel, formatAge, parseThresholds, ticketAgeMs } from '../shared/ticket-timer.js';
import { nextPollDelay } from '../shared/poll-policy.js';

const order = (uuid, rev, extra = {}) => ({ uuid, rev, id: rev, order_number: `K1-${uuid}`, tenant_id: 3,
  status: 'pending', created_at: '2026-01-03T10:00:00Z', items: [{ name: 'Margherita', qty: 2, station: 'oven' },
    { name: 'Cola', qty: 1, station: 'bar' }], ...extra });

test('the same order twice (replay, poll overlap) makes one ticket', () => {
  const s = new TicketStore();
  assert.equal(s.apply(order('a', 1)), 'new');
  assert.equal(s.apply(order('a', 1)), 'ignored');
  assert.equal(s.apply({ order: order('a', 1) }), 'ignored');
  assert.equal(s.visible().length, 1);
});

test('changes apply by rev: an older rev never rolls a ticket back', () => {
  const s = new TicketStore();
  s.apply(order('a', 1));
  assert.equal(s.apply({ uuid: 'a', rev: 5, status: 'ready' }), 'updated');
  assert.equal(s.apply({ uuid: 'a', rev: 3, status: 'preparing' }), 'ignored');
  assert.equal(s.tickets.get('a').status, 'ready');
  assert.equal(s.lastRev, 5);
});

test('a status update for an unknown order does not invent a ticket', () => {
  const s = new TicketStore();
  assert.equal(s.apply({ uuid: 'zz', rev: 9, status: 'ready' }), 'ignored');
  assert.equal(s.visible().length, 0);
  assert.equal(s.lastRev, 9);
});

test('bumped tickets leave the screen and recall finds the last one', () => {
  const s = new TicketStore();
  s.apply(order('a', 1)); s.apply(order('b', 2));
  s.apply({ uuid: 'a', rev: 3, status: 'completed' });
  s.apply({ uuid: 'b', rev: 4, status: 'completed' });
  assert.equal(s.visible().length, 0);
  assert.equal(s.lastBumped().uuid, 'b');
  s.apply({ uuid: 'b', rev: 5, status: 'ready' }); // recalled
  assert.equal(s.lastBumped().uuid, 'a');
  assert.equal(s.visible().length, 1);
});

test('an order first seen already completed (replay) is not offered for recall before newer bumps', () => {
  const s = new TicketStore();
  s.apply(order('old', 1, { status: 'completed' }));
  assert.equal(s.lastBumped(), null);
});

test('cancelled tickets stay visible briefly, then go', () => {
  let now = 0;
  const s = new TicketStore({ now: () => now });
  s.apply(order('a', 1));
  s.apply({ uuid: 'a', rev: 2, status: 'cancelled' });
  assert.equal(s.visible()[0].status, 'cancelled');
  now += 3 * 60000;
  assert.equal(s.visible().length, 0);
});

test('tenant and station filters, and the all-day count of open items', () => {
  const s = new TicketStore();
  s.apply(order('a', 1)); s.apply(order('b', 2, { tenant_id: 4 })); s.apply(order('c', 3, { status: 'ready' }));
  assert.equal(s.visible({ tenantIds: [3] }).length, 2);
  const bar = s.visible({ stations: ['bar'] });
  assert.deepEqual(bar[0].items.map((i) => i.name), ['Cola']);
  assert.deepEqual(s.allDay(), [['Margherita', 4], ['Cola', 2]]);
  assert.deepEqual(s.allDay({ tenantIds: [4] }), [['Margherita', 2], ['Cola', 1]]);
});

test('the store survives a reload through JSON with its rev', () => {
  const s = new TicketStore();
  s.apply(order('a', 7));
  const back = TicketStore.fromJSON(JSON.parse(JSON.stringify(s)));
  assert.equal(back.lastRev, 7);
  assert.equal(back.apply(order('a', 7)), 'ignored');
  assert.equal(back.visible().length, 1);
});

test('timer colours: yellow at 5 min, red at 10 min, configurable', () => {
  assert.equal(timerLevel(4 * 60000 + 59000), 'ok');
  assert.equal(timerLevel(5 * 60000), 'warn');
  assert.equal(timerLevel(10 * 60000), 'late');
  assert.equal(timerLevel(3 * 60000, { warnMinutes: 2, lateMinutes: 3 }), 'late');
  assert.deepEqual(parseThresholds({ warnMinutes: '8', lateMinutes: 6 }), { warnMinutes: 8, lateMinutes: 10 });
  assert.deepEqual(parseThresholds(null), { warnMinutes: 5, lateMinutes: 10 });
  assert.equal(formatAge(65000), '1:05');
  assert.equal(formatAge(3723000), '1:02:03');
  assert.equal(ticketAgeMs({ created_at: '2026-01-03T10:00:00Z' }, Date.parse('2026-01-03T10:01:00Z')), 60000);
});

test('poll interval: 3 s normally, faster when busy, slower when idle, paused when hidden', () => {
  assert.equal(nextPollDelay({}), 3000);
  assert.equal(nextPollDelay({ lastChanges: 2 }), 1000);
  assert.equal(nextPollDelay({ idleForMs: 2 * 60000 }), 6000);
  assert.equal(nextPollDelay({ idleForMs: 10 * 60000 }), 10000);
  assert.equal(nextPollDelay({ hidden: true, lastChanges: 5 }), null);
  assert.equal(nextPollDelay({ failures: 1 }), 3000);
  assert.equal(nextPollDelay({ failures: 9 }), 15000);
});
