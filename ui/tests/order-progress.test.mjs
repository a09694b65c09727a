import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeProgress, noteFromMessage, noteFromRow, stepOf, isOpen } from '../shared/order-progress.js';
import { OrderQueue } from '../shared/order-queue.js';
import { OrderSender, httpSubmit } from '../shared/order-sender.js';
import { SubmitError, errorKind } from '../shared/sync-client.js';
import { MemoryStore } from '../shared/idb.js';
import { FakeTimers, jsonResponse } from './fakes.mjs';

const order = (n) => ({ uuid: `u${n}`, order_number: `K1-000${n}`, tenant_id: 1, items: [{ product_id: 1, qty: 1 }] });

test('"My orders" walks received → seen by kitchen → preparing → ready', async () => {
  const queue = new OrderQueue(new MemoryStore('uuid'));
  await queue.enqueue([order(1)]);
  const step = async () => stepOf((await queue.all())[0]);
  assert.equal(await step(), 'saving');
  await queue.markSent('u1', { uuid: 'u1', status: 'pending', rev: 5 }, 'ws');
  assert.equal(await step(), 'received');
  const seen = noteFromMessage({ type: 'order_acknowledged', payload: { uuid: 'u1', order_number: 'K1-0001', client_id: 'kitchen-1' } });
  assert.equal(await queue.noteProgress('u1', seen), true);
  assert.equal(await step(), 'seen');
  assert.equal(await queue.noteProgress('u1', seen), false, 'the same news twice is not news');
  await queue.noteProgress('u1', noteFromMessage({ type: 'order_status_update', payload: { uuid: 'u1', status: 'preparing', rev: 7 } }));
  assert.equal(await step(), 'preparing');
  await queue.noteProgress('u1', noteFromMessage({ type: 'order_status_update', payload: { uuid: 'u1', status: 'ready', rev: 8 } }));
  assert.equal(await step(), 'ready');
  assert.equal(isOpen((await queue.all())[0]), true);
});

test('an older status update never moves an order back; a newer undo does', () => {
  let p = mergeProgress(undefined, { status: 'ready', rev: 8 });
  assert.equal(mergeProgress(p, { status: 'preparing', rev: 7 }), p);
  p = mergeProgress(p, { status: 'preparing', rev: 9 }); // the cook pressed undo
  assert.equal(p.status, 'preparing');
  p = mergeProgress(p, { seen: true });
  assert.equal(stepOf({ state: 'sent', progress: p }), 'preparing');
  assert.equal(stepOf({ state: 'sent', progress: mergeProgress(p, { status: 'cancelled', rev: 10 }) }), 'cancelled');
});

test('orders that are not ours are ignored, and an order row carries the same facts', async () => {
  const queue = new OrderQueue(new MemoryStore('uuid'));
  assert.equal(await queue.noteProgress('someone-elses', { status: 'ready', rev: 3 }), false);
  assert.equal(noteFromMessage({ type: 'hub_status', payload: {} }), null);
  assert.deepEqual(noteFromRow({ uuid: 'u1', status: 'pending', rev: 4, acknowledged_by: ['kitchen-1'] }),
    { uuid: 'u1', status: 'pending', rev: 4, seen: true });
});

test('a refused token keeps the order queued, stops the sender and asks to pair again', async () => {
  const timers = new FakeTimers();
  const queue = new OrderQueue(new MemoryStore('uuid'), { now: timers.now });
  await queue.enqueue([order(1), order(2)]);
  const unauthorized = [];
  let central = 0;
  const sender = new OrderSender(queue, { timers, random: () => 1, now: timers.now, centralAfterMs: 0,
    submitHttp: (o) => httpSubmit(o, { fetchImpl: async () => jsonResponse({ error: { code: 'unauthorized', message: 'revoked' } }, 401) }),
    submitCentral: async () => { central += 1; return { results: [] }; },
    onUnauthorized: (err) => unauthorized.push(err.code) });
  await sender.drain();
  assert.deepEqual(unauthorized, ['unauthorized']);
  assert.equal(central, 0, 'a revoked device does not detour through central');
  assert.deepEqual((await queue.waiting()).map((e) => [e.uuid, e.state, e.attempts]), [['u1', 'queued', 0], ['u2', 'queued', 0]]);
  await timers.advance(120000);
  assert.equal(central, 0, 'retries never detour through central either');
  assert.equal((await queue.waiting()).length, 2);
  assert.ok(unauthorized.length < 10, 'retries back off');
});

test('after pairing again (a reload) the same queue drains with the new token', async () => {
  const store = new MemoryStore('uuid');
  const queue = new OrderQueue(store);
  await queue.enqueue([order(1)]);
  const sent = [];
  const sender = new OrderSender(new OrderQueue(store), { submitHttp: (o) => httpSubmit(o, {
    fetchImpl: async (url, init) => { sent.push(init.headers); return jsonResponse({ uuid: o.uuid, status: 'pending', rev: 1 }, 201); } }) });
  await sender.drain();
  assert.equal(sent.length, 1);
  assert.equal(sent[0]['Content-Type'], 'application/json');
  assert.equal((await queue.all())[0].state, 'sent');
});

test('a 403 (a token of another role) is not the order\'s fault either', async () => {
  await assert.rejects(httpSubmit(order(1), { fetchImpl: async () => jsonResponse({ error: { code: 'forbidden' } }, 403) }),
    (err) => err instanceof SubmitError && err.kind === 'unauthorized');
  await assert.rejects(httpSubmit(order(1), { fetchImpl: async () => jsonResponse({ error: { code: 'validation_failed' } }, 400) }),
    (err) => err.kind === 'rejected');
  assert.equal(errorKind('unauthorized'), 'unauthorized');
  assert.equal(errorKind('conflict'), 'rejected');
});
