import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KitchenFeed, feedQuery } from '../shared/kitchen-feed.js';
import { HubSocket } from '../shared/sync-client.js';
import { TicketStore } from '../shared/ticket-store.js';
import { FakeTimers, makeFakeWebSocket, jsonResponse } from './fakes.mjs';

const order = (uuid, rev, extra = {}) => ({ uuid, rev, id: rev, order_number: uuid, tenant_id: 3, status: 'pending',
  created_at: '2026-01-03T10:00:00Z', items: [{ name: 'Soup', qty: 1 }], ...extra });

function setup({ feed = [], hubUp = true, central = null, centralRows = [] } = {}) {
  const timers = new FakeTimers();
  const { FakeWS, sockets } = makeFakeWebSocket();
  const store = new TicketStore({ now: timers.now });
  const socket = new HubSocket({ url: 'ws://hub/ws', WebSocketImpl: FakeWS, timers, now: timers.now, random: () => 1,
    hello: () => ({ client_type: 'kitchen', since_rev: store.lastRev }) });
  const env = { hubUp, feed, requests: [], modes: [], fresh: [] };
  const fetchImpl = async (url, opts = {}) => {
    env.requests.push({ url, opts });
    if (url.startsWith('http://central')) return jsonResponse(centralRows);
    if (!env.hubUp) throw new TypeError('Failed to fetch');
    const since = Number(new URL(url, 'http://hub').searchParams.get('since_rev'));
    const rows = env.feed.filter((o) => o.rev > since);
    return jsonResponse(rows, 200, { 'X-Last-Rev': String(Math.max(since, ...env.feed.map((o) => o.rev), 0)) });
  };
  const kf = new KitchenFeed({ socket, store, fetchImpl, timers, now: timers.now, outletId: 1, tenantIds: [3], central,
    onMode: (m) => env.modes.push(m), onTickets: ({ newUuids }) => env.fresh.push(...newUuids) });
  return { timers, sockets, store, kf, env };
}

test('the poll query carries since_rev, outlet and every tenant', () => {
  assert.equal(feedQuery({ sinceRev: 5, outletId: 1, tenantIds: [3, 4] }), 'since_rev=5&outlet_id=1&tenant_id=3&tenant_id=4');
});

test('live socket: new orders become tickets once, even if replayed', async () => {
  const { sockets, kf, env, store } = setup();
  kf.start(); sockets[0].serverOpen();
  assert.equal(kf.mode, 'live');
  sockets[0].serverSend({ type: 'new_order', payload: order('a', 1) });
  sockets[0].serverSend({ type: 'new_order', payload: { ...order('a', 1), replay: true } });
  sockets[0].serverSend({ type: 'order_status_update', payload: { uuid: 'a', rev: 2, status: 'preparing' } });
  sockets[0].serverSend({ type: 'replay_done', payload: { last_rev: 2 } });
  assert.deepEqual(env.fresh, ['a']);
  assert.equal(store.tickets.get('a').status, 'preparing');
});

test('socket down → polling from the last rev, orders still arrive; socket back → live, polling stops', async () => {
  const { timers, sockets, kf, env, store } = setup({ feed: [order('a', 1)] });
  kf.start(); sockets[0].serverOpen();
  sockets[0].serverSend({ type: 'new_order', payload: order('a', 1) });
  sockets[0].serverFail();
  env.feed.push(order('b', 2));
  await timers.advance(10);
  assert.equal(kf.mode, 'polling');
  assert.deepEqual(env.fresh, ['a', 'b']);
  assert.match(env.requests.at(-1).url, /since_rev=1&outlet_id=1&tenant_id=3/);
  // the hub keeps refusing upgrades: every retry fails, polling continues
  for (let i = 1; i < sockets.length; i++) sockets[i].serverFail();
  env.feed.push(order('c', 3));
  await timers.advance(3000);
  assert.deepEqual(env.fresh, ['a', 'b', 'c']);
  const last = sockets.at(-1);
  if (last.readyState !== 3) last.serverFail();
  const n = sockets.length;
  while (sockets.length === n) await timers.advance(100); // the next reconnect attempt
  const s = sockets.at(-1);
  s.serverOpen();
  assert.equal(kf.mode, 'live');
  assert.equal(s.lastSent('hello').payload.since_rev, 3);
  const before = env.requests.length;
  await timers.advance(20000);
  assert.equal(env.requests.length, before, 'no polling while live');
  assert.equal(store.visible().length, 3);
  assert.ok(last);
});

test('hub unreachable both ways → offline; with a display token and central → central mode', async () => {
  const central = { url: 'http://central:8000', token: 'disp-tok' };
  const { timers, sockets, kf, env } = setup({ hubUp: false, central, centralRows: [order('x', 1, { id: 77, rev: 999 })] });
  kf.start(); sockets[0].serverFail();
  await timers.advance(10);
  assert.equal(kf.mode, 'offline');
  await timers.advance(20000);
  assert.equal(kf.mode, 'central');
  const req = env.requests.find((r) => r.url.startsWith('http://central'));
  assert.match(req.url, /\/api\/orders\/\?outlet_id=1&since_id=0/);
  assert.equal(req.opts.headers.Authorization, 'Bearer disp-tok');
  assert.deepEqual(env.fresh, ['x']);
  assert.equal(kf.store.lastRev, 0, "central's numbers never move the hub resume point");
  assert.equal(kf.centralLastId, 77);
});

test('polling pauses while the tab is hidden and resumes on kick()', async () => {
  const { timers, sockets, kf, env } = setup();
  let hidden = false;
  kf.isHidden = () => hidden;
  kf.start(); sockets[0].serverFail();
  await timers.advance(10);
  hidden = true;
  await timers.advance(3000); // one poll ran and saw the hidden tab
  const n = env.requests.length;
  for (const s of sockets.slice(1)) s.serverFail();
  await timers.advance(30000);
  for (const s of sockets.slice(1)) if (s.readyState !== 3) s.serverFail();
  assert.equal(env.requests.length, n);
  hidden = false;
  kf.kick();
  await timers.advance(10);
  assert.equal(env.requests.length, n + 1);
});

test('status changes go over the socket when live, PATCH over HTTP otherwise', async () => {
  const { sockets, kf, env } = setup();
  kf.start(); sockets[0].serverOpen();
  const p = kf.setStatus('a', 'ready');
  const m = sockets[0].lastSent('order_update');
  assert.deepEqual(m.payload, { uuid: 'a', status: 'ready' });
  sockets[0].serverSend({ type: 'ack', ref: m.id, payload: { uuid: 'a', status: 'ready', rev: 4 } });
  assert.equal((await p).rev, 4);
  sockets[0].serverFail();
  kf.fetch = async (url, opts) => { env.requests.push({ url, opts }); return jsonResponse({ ...order('a', 5), status: 'completed' }); };
  await kf.setStatus('a', 'completed');
  const patch = env.requests.at(-1);
  assert.equal(patch.opts.method, 'PATCH');
  assert.match(patch.url, /\/api\/orders\/a$/);
});
