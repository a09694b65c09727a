import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, normalize } from 'node:path';

const UI = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every module a page loads, following relative imports. */
function modulesOf(entry) {
  const seen = new Set();
  const walk = (rel) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const text = readFileSync(join(UI, rel), 'utf8');
    for (const m of text.matchAll(/^import\s[^'"]*['"](\.[^'"]+)['"]/gm)) walk(normalize(join(dirname(rel), m[1])));
  };
  walk(entry);
  return [...seen].map((r) => `/${r}`);
}

test('the service worker keeps every module the kiosk, kitchen and board load (a reload with the hub down works)', () => {
  const sw = readFileSync(join(UI, 'sw.js'), 'utf8');
  const shell = new Set([...sw.slice(sw.indexOf('const SHELL'), sw.indexOf('];')).matchAll(/'([^']+)'/g)].map((m) => m[1]));
  for (const page of ['kiosk/kiosk.js', 'kitchen/kitchen.js', 'board/board.js']) {
    const missing = modulesOf(page).filter((m) => !shell.has(m));
    assert.deepEqual(missing, [], `${page} loads modules the service worker does not keep`);
  }
});

test('every page loads the shell guard first, and the service worker keeps it', () => {
  const tag = '<script src="/shared/shell-guard.js" onerror="setTimeout(() => location.reload(), 3000)"></script>';
  for (const app of ['admin', 'board', 'kiosk', 'kitchen', 'status']) {
    const html = readFileSync(join(UI, app, 'index.html'), 'utf8');
    const at = html.indexOf(tag);
    assert.ok(at > 0, `${app}/index.html does not load the shell guard`);
    for (const watched of ['<link rel="stylesheet"', '<script type="module"']) {
      assert.ok(html.indexOf(watched) > at, `${app}/index.html: the guard must come before ${watched}`);
    }
  }
  const sw = readFileSync(join(UI, 'sw.js'), 'utf8');
  assert.match(sw.slice(sw.indexOf('const SHELL'), sw.indexOf('];')), /'\/shared\/shell-guard\.js'/);
});
