import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PairingApi, PairingFlow, DeviceCredentials, authorizedFetch, withToken, isUnauthorized, pairingRequired,
  credentialsKey, REQUEST_KEY } from '../shared/pairing.js';
import { DeviceSession } from '../shared/device-session.js';
import { HubSocket } from '../shared/sync-client.js';
import { MemoryStore } from '../shared/idb.js';
import { FakeTimers, memoryStorage, jsonResponse, makeFakeWebSocket, flush } from './fakes.mjs';
import { configure } from '../shared/i18n.js';

// These tests read the English texts (the outlet default is id-ID; i18n.test.mjs covers both).
configure({ locale: 'en-US' });

/** A hub double that answers the pairing endpoints as docs/protocol.md says. */
function fakeHub({ pin = '4321' } = {}) {
  const calls = [];
  const hub = { requests: new Map(), n: 0, wrong: 0 };
  hub.fetch = async (url, init = {}) => {
    const body = init.body ? JSON.parse(init.body) : null;
    calls.push({ url, method: init.method || 'GET', body, headers: init.headers || {} });
    if (url === '/api/pairing' && init.method === 'POST') {
      const id = `req${++hub.n}`;
      const r = { request_id: id, code: String(100000 + hub.n), expires_at: new Date(Date.now() + 600000).toISOString(), status: 'pending' };
      hub.requests.set(id, r);
      return jsonResponse({ request_id: id, code: r.code, expires_at: r.expires_at }, 201);
    }
    if (url === '/api/pairing/approve') {
      const r = [...hub.requests.values()].find((x) => x.code === body.code);
      if (hub.wrong >= 5) return jsonResponse({ error: { code: 'rate_limited', message: 'wait' } }, 429);
      if (body.pin !== pin) { hub.wrong += 1; return jsonResponse({ error: { code: 'unauthorized', message: 'wrong PIN' } }, 401); }
      if (!r) return jsonResponse({ error: { code: 'not_found', message: 'no such code' } }, 404);
      r.status = 'approved';
      return jsonResponse({ status: 'approved' });
    }
    const m = url.match(/^\/api\/pairing\/(\w+)$/);
    if (m) {
      const r = hub.requests.get(m[1]);
      if (!r) return jsonResponse({ error: { code: 'not_found' } }, 404);
      if (r.status === 'approved' && !r.delivered) { r.delivered = true; return jsonResponse({ status: 'approved', device_id: 'dev-1', token: 'tok-secret' }); }
      return jsonResponse({ status: r.status });
    }
    return jsonResponse({ error: { code: 'not_found' } }, 404);
  };
  hub.calls = calls;
  return hub;
}

function flowFor(hub, { storage = memoryStorage(), identity = { client_type: 'kitchen', name: 'Kitchen Bakmi', tenant_ids: [2] } } = {}) {
  const timers = new FakeTimers();
  const states = [];
  const paired = [];
  const flow = new PairingFlow({ api: new PairingApi({ fetchImpl: hub.fetch }), identity, storage, timers, now: timers.now,
    onChange: (s) => states.push(s), onPaired: (c) => { paired.push(c); } });
  return { flow, timers, states, paired, storage };
}

test('pairing is only asked for when the hub says it is required', () => {
  assert.equal(pairingRequired({ pairing: 'required' }), true);
  assert.equal(pairingRequired({ pairing: 'off' }), false);
  assert.equal(pairingRequired({}), false);
});

test('the flow shows a code, and a right PIN pairs the screen with the token read exactly once', async () => {
  const hub = fakeHub();
  const { flow, timers, paired, states } = flowFor(hub);
  flow.start();
  await flush();
  assert.equal(flow.state.phase, 'waiting');
  assert.equal(flow.state.code, '100001');
  assert.deepEqual(hub.calls[0].body, { client_type: 'kitchen', name: 'Kitchen Bakmi', tenant_ids: [2] });
  assert.equal(await flow.submitPin('1111'), false);
  assert.equal(flow.state.pinError, 'Wrong PIN.');
  assert.equal(await flow.submitPin('4321'), true);
  assert.equal(paired.length, 1);
  assert.equal(paired[0].token, 'tok-secret');
  assert.equal(paired[0].device_id, 'dev-1');
  assert.deepEqual(paired[0].tenant_ids, [2]);
  assert.equal(states.at(-1).phase, 'paired');
  await timers.advance(60000);
  assert.equal(timers.pending(), 0, 'nothing polls after pairing');
});

test('approval at HQ is noticed by polling, with no PIN typed', async () => {
  const hub = fakeHub();
  const { flow, timers, paired } = flowFor(hub);
  flow.start();
  await flush();
  await timers.advance(6000);
  assert.equal(paired.length, 0);
  hub.requests.get('req1').status = 'approved'; // HQ approved code 100001
  await timers.advance(2000);
  assert.equal(paired.length, 1);
  assert.equal(paired[0].token, 'tok-secret');
});

test('an expired code is replaced by a new one; a rejected one waits for "ask again"', async () => {
  const hub = fakeHub();
  const { flow, timers } = flowFor(hub);
  flow.start();
  await flush();
  hub.requests.get('req1').status = 'expired';
  await timers.advance(2000);
  assert.equal(flow.state.code, '100002');
  hub.requests.get('req2').status = 'rejected';
  await timers.advance(2000);
  assert.equal(flow.state.phase, 'rejected');
  await timers.advance(60000);
  assert.equal(hub.requests.size, 2, 'no new request until asked');
  await flow.requestCode();
  assert.equal(flow.state.code, '100003');
});

test('a reload keeps the open code instead of asking for another', async () => {
  const hub = fakeHub();
  const first = flowFor(hub);
  first.flow.start();
  await flush();
  first.flow.stop();
  assert.ok(first.storage.getItem(REQUEST_KEY));
  const again = flowFor(hub, { storage: first.storage });
  again.flow.start();
  await flush();
  assert.equal(again.flow.state.code, '100001');
  assert.equal(hub.requests.size, 1);
});

test('too many wrong PINs say so in words the manager can act on', async () => {
  const hub = fakeHub();
  hub.wrong = 5;
  const { flow } = flowFor(hub);
  flow.start();
  await flush();
  await flow.submitPin('4321');
  assert.match(flow.state.pinError, /Too many wrong PINs.*5 minutes/);
});

test('a hub that does not answer is retried, and the view says why', async () => {
  let up = false;
  const hub = fakeHub();
  const fetchImpl = async (...a) => { if (!up) throw new Error('connection refused'); return hub.fetch(...a); };
  const timers = new FakeTimers();
  const flow = new PairingFlow({ api: new PairingApi({ fetchImpl }), identity: { client_type: 'pos', name: 'K' }, timers, now: timers.now });
  flow.start();
  await flush();
  assert.match(flow.state.message, /Cannot reach the hub/);
  up = true;
  await timers.advance(4000);
  assert.equal(flow.state.phase, 'waiting');
  assert.equal(flow.state.code, '100001');
});

test('credentials live in localStorage and IndexedDB; either one is enough to carry on', async () => {
  const storage = memoryStorage();
  const kv = new MemoryStore('key');
  const creds = new DeviceCredentials({ storage, kv, key: credentialsKey('pos') });
  await creds.save({ token: 't1', device_id: 'd1', client_type: 'pos' });
  storage.removeItem(credentialsKey('pos')); // someone cleared site data but IndexedDB survived
  const back = await creds.loadDurable();
  assert.equal(back.token, 't1');
  assert.equal(JSON.parse(storage.getItem(credentialsKey('pos'))).token, 't1');
  await creds.clear();
  assert.equal(await creds.loadDurable(), null);
  assert.equal(await kv.get(credentialsKey('pos')), undefined);
  assert.notEqual(credentialsKey('pos'), credentialsKey('kitchen'));
});

test('the token rides on the hub\'s own requests and socket URL, never to another origin', async () => {
  const seen = [];
  let lost = 0;
  const f = authorizedFetch({ fetchImpl: async (url, init) => { seen.push({ url, init }); return jsonResponse({}, url.includes('revoked') ? 401 : 200); },
    token: () => 'tok', onUnauthorized: () => { lost += 1; } });
  await f('/api/orders', { method: 'POST', headers: { 'Content-Type': 'application/json' } });
  await f('https://central.example/api/orders/', { headers: { Authorization: 'Bearer display' } });
  await f('/api/revoked');
  assert.equal(seen[0].init.headers.Authorization, 'Bearer tok');
  assert.equal(seen[0].init.headers['Content-Type'], 'application/json');
  assert.equal(seen[1].init.headers.Authorization, 'Bearer display');
  assert.equal(lost, 1);
  assert.equal(withToken('ws://h/ws', 'a b'), 'ws://h/ws?token=a%20b');
  assert.equal(withToken('ws://h/ws', null), 'ws://h/ws');
});

test('what counts as "pair again": 401, close 4001, an unauthorized error', () => {
  assert.ok(isUnauthorized({ status: 401 }));
  assert.ok(isUnauthorized({ closeCode: 4001 }));
  assert.ok(isUnauthorized({ closeCode: 1008, reason: 'unauthorized' }));
  assert.ok(isUnauthorized({ code: 'unauthorized' }));
  assert.ok(!isUnauthorized({ closeCode: 1006 }));
  assert.ok(!isUnauthorized({ status: 403 }));
});

test('a socket closed with 4001 ends the session once and forgets the token', async () => {
  const { FakeWS, sockets } = makeFakeWebSocket();
  const timers = new FakeTimers();
  const storage = memoryStorage();
  const creds = new DeviceCredentials({ storage, key: credentialsKey('kitchen') });
  await creds.save({ token: 'tok', client_type: 'kitchen' });
  const lost = [];
  const session = new DeviceSession({ creds, cred: creds.load(), required: true, onLost: (why) => lost.push(why) });
  const socket = new HubSocket({ url: () => session.socketUrl('ws://hub/ws'), hello: () => session.hello({ client_type: 'kitchen' }),
    WebSocketImpl: FakeWS, timers, random: () => 0, now: timers.now });
  session.watch(socket);
  socket.start();
  assert.equal(sockets[0].url, 'ws://hub/ws?token=tok');
  sockets[0].serverOpen();
  assert.equal(sockets[0].lastSent('hello').payload.token, 'tok');
  sockets[0].readyState = 3;
  sockets[0].onclose({ code: 4001, reason: 'revoked' });
  await flush();
  sockets[0].serverSend({ type: 'error', payload: { code: 'unauthorized' } });
  await flush();
  assert.deepEqual(lost, ['socket closed 4001']);
  assert.equal(creds.load(), null);
});

test('refused handshakes (a bare 1006 in a browser) lead to an HTTP probe that finds the 401', async () => {
  const { FakeWS, sockets } = makeFakeWebSocket();
  const timers = new FakeTimers();
  const lost = [];
  const probes = [];
  const session = new DeviceSession({ cred: { token: 'old' }, required: true, onLost: (w) => lost.push(w), now: timers.now,
    fetchImpl: async (url, init) => { probes.push([url, init.headers.Authorization]); return jsonResponse({ error: { code: 'unauthorized' } }, 401); } });
  const socket = new HubSocket({ url: 'ws://hub/ws', WebSocketImpl: FakeWS, timers, random: () => 0, now: timers.now });
  session.watch(socket);
  socket.start();
  sockets[0].serverFail();
  await flush();
  assert.equal(probes.length, 0, 'one failure can be a restart');
  await timers.advance(1000);
  sockets[1].serverFail();
  await flush();
  assert.equal(probes.length, 1);
  assert.equal(probes[0][1], 'Bearer old');
  assert.deepEqual(lost, ['http 401']);
});

test('with pairing off a session changes nothing: no token, no header, never "lost"', async () => {
  const seen = [];
  const lost = [];
  const session = new DeviceSession({ required: false, onLost: (w) => lost.push(w), fetchImpl: async (url, init) => { seen.push(init); return jsonResponse({}, 401); } });
  await session.fetch('/api/orders', { method: 'POST', headers: { 'Content-Type': 'application/json' } });
  assert.deepEqual(seen[0].headers, { 'Content-Type': 'application/json' });
  assert.deepEqual(session.hello({ client_type: 'pos' }), { client_type: 'pos' });
  assert.equal(session.socketUrl('ws://h/ws'), 'ws://h/ws');
  assert.deepEqual(lost, []);
});
