import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionMode, statusModel } from '../shared/status-bar.js';
import { MenuCache, mergeMasterData } from '../shared/menu-cache.js';
import { MemoryStore } from '../shared/idb.js';
import { jsonResponse } from './fakes.mjs';
import { configure } from '../shared/i18n.js';

// These tests read the English texts (the outlet default is id-ID; i18n.test.mjs covers both).
configure({ locale: 'en-US' });

test('mode: Online needs hub and central, Sync only is hub without central, Offline is no hub', () => {
  assert.equal(connectionMode({ hubReachable: true, central: 'ok' }), 'online');
  assert.equal(connectionMode({ hubReachable: true, central: 'disabled' }), 'online');
  assert.equal(connectionMode({ hubReachable: true, central: 'unreachable' }), 'sync-only');
  assert.equal(connectionMode({ hubReachable: false, central: 'ok' }), 'offline');
});

test('status model counts waiting orders and warns about a menu older than 24 h', () => {
  const now = Date.parse('2026-01-03T10:00:00Z');
  const m = statusModel({ hubReachable: false, waiting: 3, menuFetchedAt: now - 30 * 3600e3, now });
  assert.equal(m.label, 'Offline');
  assert.equal(m.waitingText, '3 orders waiting to send');
  assert.equal(m.menuWarning, 'Menu last updated 30 h ago');
  const ok = statusModel({ hubReachable: true, central: 'ok', waiting: 0, menuFetchedAt: now - 3600e3, now });
  assert.equal(ok.menuWarning, '');
  assert.equal(ok.waitingText, '');
  assert.equal(statusModel({ hubReachable: true, central: 'ok', waiting: 1, now }).waitingText, '1 order waiting to send');
});

test('master data pages merge: upserts by id, deletions removed', () => {
  const merged = mergeMasterData([{ id: 1, name: 'a' }, { id: 2, name: 'b' }],
    { products: [{ id: 2, name: 'B' }, { id: 3, name: 'c' }], deleted: [1] }, 'products');
  assert.deepEqual(merged.map((p) => p.name), ['B', 'c']);
});

test('the menu is fetched incrementally, saved, and served from storage when the hub is gone', async () => {
  const store = new MemoryStore('kind');
  const calls = [];
  let version = 3;
  const fetchImpl = async (url) => {
    calls.push(url);
    const kind = url.match(/master-data\/(\w+)/)[1];
    const since = Number(new URL(url, 'http://h').searchParams.get('since_version'));
    const items = kind === 'products' && since < version ? [{ id: 1, name: 'Soup', price: '10000' }] : [];
    return jsonResponse({ [kind]: items, deleted: [], current_version: version, has_more: false });
  };
  const menu = new MenuCache(store, { fetchImpl, now: () => 1000 });
  assert.equal(await menu.refresh(), true);
  assert.equal(menu.version, 3);
  assert.equal(menu.fetchedAt, 1000);
  assert.equal(await menu.refresh(), false);
  assert.match(calls.at(-4), /products\?since_version=3/);
  const offline = new MenuCache(store, { fetchImpl: async () => { throw new TypeError('offline'); } });
  await offline.load();
  await assert.rejects(offline.refresh());
  assert.deepEqual(offline.sellable().map((p) => p.name), ['Soup']);
});

test('paging with has_more follows the rows versions, then the global version', async () => {
  const pages = [
    { products: [{ id: 1, version: 4 }, { id: 2, version: 5 }], deleted: [], current_version: 9, has_more: true },
    { products: [{ id: 3, version: 9 }], deleted: [], current_version: 9, has_more: false },
  ];
  const urls = [];
  const fetchImpl = async (url) => {
    urls.push(url);
    if (!url.includes('/products')) return jsonResponse({ deleted: [], current_version: 9, has_more: false });
    return jsonResponse(pages.shift());
  };
  const menu = new MenuCache(new MemoryStore('kind'), { fetchImpl });
  await menu.refresh();
  assert.deepEqual(urls.filter((u) => u.includes('/products')), ['/api/master-data/products?since_version=0', '/api/master-data/products?since_version=5']);
  assert.equal(menu.items('products').length, 3);
  assert.equal(menu.version, 9);
});
