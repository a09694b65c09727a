import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrderQueue } from '../shared/order-queue.js';
import { OrderSender } from '../shared/order-sender.js';
import { SubmitError } from '../shared/sync-client.js';
import { MemoryStore } from '../shared/idb.js';
import { FakeTimers } from './fakes.mjs';

const order = (n) => ({ uuid: `u${n}`, order_number: `K1-000${n}`, items: [{ name: 'x', qty: 1 }] });

function setup({ http, socket = null, central = null } = {}) {
  const timers = new FakeTimers();
  const store = new MemoryStore('uuid');
  const queue = new OrderQueue(store, { now: timers.now });
  const sent = [];
  const sender = new OrderSender(queue, { socket, timers, random: () => 1, now: timers.now,
    submitHttp: http, submitCentral: central, backoff: { baseMs: 1000, capMs: 8000 }, centralAfterMs: 30000 });
  return { timers, store, queue, sender, sent };
}

test('enqueue commits orders before returning and keeps them in order', async () => {
  const { queue, store } = setup();
  await queue.enqueue([order(1), order(2)]);
  await queue.enqueue([order(3), order(1)]); // same uuid again is the same order
  assert.equal((await store.getAll()).length, 3);
  assert.deepEqual((await queue.waiting()).map((e) => e.uuid), ['u1', 'u2', 'u3']);
});

test('a queue reopened on the same storage (a reload) still holds waiting orders', async () => {
  const { queue, store } = setup();
  await queue.enqueue([order(1)]);
  const again = new OrderQueue(store);
  assert.equal(await again.count(), 1);
});

test('orders go over the socket first; an ack empties the queue', async () => {
  const calls = [];
  const socket = { isOpen: true, submitOrder: async (o) => { calls.push(o.uuid); return { uuid: o.uuid, rev: 1 }; } };
  const { queue, sender } = setup({ socket, http: async () => { throw new Error('not used'); } });
  await queue.enqueue([order(1), order(2)]);
  await sender.drain();
  assert.deepEqual(calls, ['u1', 'u2']);
  assert.equal(await queue.count(), 0);
  assert.equal((await queue.all())[0].via, 'ws');
});

test('socket failure falls back to HTTP with the same uuid', async () => {
  const socket = { isOpen: true, submitOrder: async () => { throw new SubmitError('unreachable', 'timeout'); } };
  const posted = [];
  const { queue, sender } = setup({ socket, http: async (o) => { posted.push(o.uuid); return { uuid: o.uuid }; } });
  await queue.enqueue([order(1)]);
  await sender.drain();
  assert.deepEqual(posted, ['u1']);
  assert.equal((await queue.all())[0].via, 'http');
});

test('while the hub is down orders stay queued and are retried with backoff, same uuid', async () => {
  let up = false;
  const attempts = [];
  const http = async (o) => { attempts.push(o.uuid); if (!up) throw new SubmitError('unreachable', 'network'); return { uuid: o.uuid }; };
  const { queue, sender, timers } = setup({ http });
  await queue.enqueue([order(1), order(2), order(3)]);
  await sender.drain();
  assert.equal(await queue.count(), 3);
  assert.deepEqual(attempts, ['u1'], 'stops at the first unreachable answer');
  await timers.advance(1000);
  assert.deepEqual(attempts, ['u1', 'u1']);
  up = true;
  await timers.advance(2000);
  assert.equal(await queue.count(), 0);
  assert.deepEqual(attempts, ['u1', 'u1', 'u1', 'u2', 'u3']);
  assert.equal((await queue.all()).find((e) => e.uuid === 'u1').attempts, 2);
});

test('an order the hub refuses is kept as rejected, not retried, and does not block others', async () => {
  const http = async (o) => {
    if (o.uuid === 'u1') throw new SubmitError('rejected', 'validation_failed', 'items: empty');
    return { uuid: o.uuid };
  };
  const { queue, sender } = setup({ http });
  await queue.enqueue([order(1), order(2)]);
  await sender.drain();
  const all = await queue.all();
  assert.equal(all[0].state, 'rejected');
  assert.match(all[0].last_error, /validation_failed/);
  assert.equal(all[1].state, 'sent');
  assert.equal(await queue.count(), 0);
});

test('concurrent drains coalesce: each order is sent once', async () => {
  const seen = [];
  const http = async (o) => { seen.push(o.uuid); await new Promise((r) => setImmediate(r)); return {}; };
  const { queue, sender } = setup({ http });
  await queue.enqueue([order(1), order(2)]);
  await Promise.all([sender.drain(), sender.drain(), sender.drain()]);
  await sender.drain();
  assert.deepEqual(seen, ['u1', 'u2']);
});

test('only a hub down for 30 s sends the queue to central, with the same uuids', async () => {
  const toCentral = [];
  const http = async () => { throw new SubmitError('unreachable', 'network'); };
  const central = async (orders) => { toCentral.push(...orders.map((o) => o.uuid));
    return { results: orders.map((o) => ({ uuid: o.uuid, result: 'created' })) }; };
  const { queue, sender, timers } = setup({ http, central });
  await queue.enqueue([order(1), order(2)]);
  await sender.drain();
  assert.deepEqual(toCentral, []);
  await timers.advance(31000);
  assert.deepEqual(toCentral, ['u1', 'u2']);
  assert.equal(await queue.count(), 0);
  assert.ok((await queue.all()).every((e) => e.via === 'central'));
});

test('prune forgets acked orders after a day but never waiting ones', async () => {
  const { queue, sender, timers } = setup({ http: async () => ({}) });
  await queue.enqueue([order(1)]);
  await sender.drain();
  await queue.enqueue([order(2)]);
  sender.submitHttp = async () => { throw new SubmitError('unreachable', 'x'); };
  timers.t += 25 * 3600 * 1000;
  await queue.prune();
  assert.deepEqual((await queue.all()).map((e) => e.uuid), ['u2']);
});

test('queued orders become one central cart per checkout, keeping each tenant uuid', async () => {
  const { centralCarts } = await import('../shared/order-sender.js');
  const a = { uuid: 'ua', group_id: 'g', outlet_id: 1, tenant_id: 3, order_number: 'K1-0001', order_type: 'takeaway',
    items: [{ product_id: 7, qty: 2, modifiers: ['x'], notes: '' }] };
  const b = { ...a, uuid: 'ub', tenant_id: 4, order_number: 'K1-0002', items: [{ product_id: 9, qty: 1 }] };
  const c = { ...a, uuid: 'uc', group_id: 'g2' };
  const carts = centralCarts([a, b, c]);
  assert.equal(carts.length, 2);
  assert.deepEqual(carts[0].uuids, { 3: 'ua', 4: 'ub' });
  assert.equal(carts[0].client_uuid, 'g');
  assert.deepEqual(carts[0].items.map((i) => [i.product_id, i.qty]), [[7, 2], [9, 1]]);
  assert.equal(carts[0].order_type, 'takeaway');
});

test('an ack and a progress note arriving together both stick (no lost update)', async () => {
  // A store like IndexedDB: each call resolves on a later turn, so two changes of one entry
  // overlap unless the queue takes them one at a time.
  class SlowStore extends MemoryStore {
    async get(key) { await new Promise((r) => setTimeout(r, 5)); return super.get(key); }
    async put(value) { await new Promise((r) => setTimeout(r, 5)); return super.put(value); }
  }
  const store = new SlowStore('uuid');
  const queue = new OrderQueue(store);
  await queue.enqueue([order(1)]);
  await Promise.all([
    queue.markSent('u1', { uuid: 'u1', rev: 1 }, 'ws'),
    queue.noteProgress('u1', { uuid: 'u1', status: 'pending', rev: 1 }),
  ]);
  const entry = await store.get('u1');
  assert.equal(entry.state, 'sent', 'the progress note wrote back a stale "queued"');
  assert.equal(entry.progress.status, 'pending');
  assert.equal(await queue.count(), 0);
});
