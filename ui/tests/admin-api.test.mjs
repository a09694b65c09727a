import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminApi, listFrom } from '../admin/admin-api.js';
import { memoryStorage, jsonResponse } from './fakes.mjs';

function api(handler) {
  const calls = [];
  const a = new AdminApi({ storage: memoryStorage(), fetchImpl: async (url, opts) => { calls.push({ url, opts }); return handler(url, opts); } });
  return { a, calls };
}

test('login stores the token and later calls send it as a bearer header', async () => {
  const { a, calls } = api((url) => (url.endsWith('/login') ? jsonResponse({ token: 't0k' }) : jsonResponse([{ id: 1, name: 'Mall' }])));
  await a.login('admin', 'pw');
  const outlets = await a.outlets();
  assert.equal(outlets[0].name, 'Mall');
  assert.equal(calls[1].opts.headers.Authorization, 'Bearer t0k');
  assert.equal(calls[1].url, '/api/tenants/outlets/');
});

test('pin sends the URL, unpin sends null, enrollment tokens are POSTed', async () => {
  const { a, calls } = api(() => jsonResponse({}));
  await a.pinUrl(3, 'ws://10.0.0.9:3001/ws');
  await a.unpinUrl(3);
  await a.enrollmentToken(3);
  assert.deepEqual(calls.map((c) => [c.opts.method, c.url, c.opts.body]), [
    ['PATCH', '/api/tenants/outlets/3/', '{"websocket_url":"ws://10.0.0.9:3001/ws"}'],
    ['PATCH', '/api/tenants/outlets/3/', '{"websocket_url":null}'],
    ['POST', '/api/outlets/3/enrollment-tokens', '{}'],
  ]);
});

test('a 401 forgets the token and tells the page; errors carry code and field', async () => {
  let told = false;
  const { a } = api(() => jsonResponse({ error: { code: 'unauthorized', message: 'login first' } }, 401));
  a.token = 'old';
  a.onUnauthorized = () => { told = true; };
  await assert.rejects(a.outlets(), (e) => e.status === 401 && e.code === 'unauthorized');
  assert.equal(a.token, null);
  assert.equal(told, true);
});

test('catalog reads items and the menu version; save picks POST or PATCH', async () => {
  const { a, calls } = api(() => jsonResponse({ products: [{ id: 1 }], deleted: [], current_version: 12, has_more: false }));
  assert.deepEqual(await a.catalog('products'), { items: [{ id: 1 }], version: 12 });
  await a.save('products', { name: 'x' });
  await a.save('products', { id: 4, name: 'x' });
  await a.remove('tenants', 2);
  assert.deepEqual(calls.slice(1).map((c) => [c.opts.method, c.url]), [['POST', '/api/products/'], ['PATCH', '/api/products/4/'], ['DELETE', '/api/tenants/2/']]);
  assert.deepEqual(listFrom({ results: [1] }, 'x'), [1]);
});
