import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HubSocket, hubSocketUrl } from '../shared/sync-client.js';
import { FakeTimers, makeFakeWebSocket, flush } from './fakes.mjs';

function setup(extra = {}) {
  const timers = new FakeTimers();
  const { FakeWS, sockets } = makeFakeWebSocket();
  let rev = 0;
  const sock = new HubSocket({ url: 'ws://hub/ws', WebSocketImpl: FakeWS, timers, now: timers.now,
    random: () => 1, hello: () => ({ client_type: 'kitchen', since_rev: rev }), ...extra });
  const states = [];
  sock.on('state', (s) => states.push(s));
  return { timers, sockets, sock, states, setRev: (r) => { rev = r; } };
}

test('the socket URL follows the page: ws for http, wss for https', () => {
  assert.equal(hubSocketUrl({ protocol: 'http:', host: '10.0.0.5:3001' }), 'ws://10.0.0.5:3001/ws');
  assert.equal(hubSocketUrl({ protocol: 'https:', host: 'hub.local' }), 'wss://hub.local/ws');
});

test('hello is sent on every connect with the current since_rev', async () => {
  const { timers, sockets, sock, states, setRev } = setup();
  sock.start();
  sockets[0].serverOpen();
  assert.deepEqual(sockets[0].lastSent('hello').payload, { client_type: 'kitchen', since_rev: 0 });
  setRev(42);
  sockets[0].serverFail();
  assert.equal(sock.state, 'closed');
  await timers.advance(600); // first retry after base backoff (500 ms with random=1)
  assert.equal(sockets.length, 2);
  sockets[1].serverOpen();
  assert.equal(sockets[1].lastSent('hello').payload.since_rev, 42);
  assert.deepEqual(states, ['connecting', 'open', 'closed', 'connecting', 'open']);
});

test('reconnect delays grow while the hub stays down and reset after success', async () => {
  const { timers, sockets, sock } = setup();
  sock.start();
  sockets[0].serverFail();
  await timers.advance(500); sockets[1].serverFail();
  await timers.advance(999);
  assert.equal(sockets.length, 2, 'second retry waits 1 s');
  await timers.advance(1); sockets[2].serverOpen();
  assert.equal(sock.failures, 0);
});

test('a connect that hangs is abandoned after the connect timeout', async () => {
  const { timers, sockets, sock } = setup({ connectTimeoutMs: 3000 });
  sock.start();
  await timers.advance(3000);
  assert.equal(sockets[0].readyState, 3);
  assert.equal(sock.state, 'closed');
});

test('submitOrder resolves on the ack with the same uuid, rejects on a validation error', async () => {
  const { sockets, sock } = setup();
  sock.start(); sockets[0].serverOpen();
  const p = sock.submitOrder({ uuid: 'u1', order_number: 'K1-0001' });
  const sent = sockets[0].lastSent('new_order');
  assert.equal(sent.payload.uuid, 'u1');
  sockets[0].serverSend({ type: 'ack', ref: sent.id, payload: { uuid: 'u1', id: 5, rev: 9, duplicate: false } });
  assert.equal((await p).rev, 9);

  const q = sock.submitOrder({ uuid: 'u2' });
  const sent2 = sockets[0].lastSent('new_order');
  sockets[0].serverSend({ type: 'error', ref: sent2.id, payload: { code: 'validation_failed', message: 'items' } });
  await assert.rejects(q, (e) => e.kind === 'rejected' && e.code === 'validation_failed');
});

test('an ack without ref still matches by uuid; pending requests fail when the socket drops', async () => {
  const { sockets, sock } = setup();
  sock.start(); sockets[0].serverOpen();
  const p = sock.submitOrder({ uuid: 'u3' });
  sockets[0].serverSend({ type: 'ack', payload: { uuid: 'u3', rev: 1 } });
  assert.equal((await p).uuid, 'u3');
  const q = sock.submitOrder({ uuid: 'u4' });
  sockets[0].serverFail();
  await assert.rejects(q, (e) => e.kind === 'unreachable');
});

test('no ack in time rejects as unreachable so the order stays queued', async () => {
  const { timers, sockets, sock } = setup();
  sock.start(); sockets[0].serverOpen();
  const p = sock.submitOrder({ uuid: 'u5' }, 2000);
  const r = assert.rejects(p, (e) => e.code === 'timeout');
  await timers.advance(2000);
  await r;
});

test('a silent dead connection is detected by the ping watchdog', async () => {
  const { timers, sockets, sock } = setup({ pingMs: 1000 });
  sock.start(); sockets[0].serverOpen();
  await timers.advance(1000);
  assert.ok(sockets[0].lastSent('ping'));
  await timers.advance(2000);
  assert.equal(sock.state, 'closed');
  await flush();
});

test('stop() closes for good: no reconnect afterwards', async () => {
  const { timers, sockets, sock } = setup();
  sock.start(); sockets[0].serverOpen();
  sock.stop();
  await timers.advance(60000);
  assert.equal(sockets.length, 1);
  assert.equal(sock.state, 'stopped');
});
