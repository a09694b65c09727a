import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyAction, nextIndex, KEY_ROWS } from '../kitchen/kitchen-keys.js';
import { CATALOGS, LANGUAGES } from '../shared/i18n.js';

test('bump bar keys map to actions; anything else is left alone', () => {
  assert.deepEqual(keyAction('ArrowDown'), { move: 1 });
  assert.deepEqual(keyAction('ArrowLeft'), { move: -1 });
  assert.deepEqual(keyAction('1'), { index: 0 });
  assert.deepEqual(keyAction('9'), { index: 8 });
  assert.deepEqual(keyAction('End'), { index: -1 });
  assert.deepEqual(keyAction('Enter'), { bump: true });
  assert.deepEqual(keyAction('R'), { recall: true });
  assert.deepEqual(keyAction('r'), { recall: true });
  for (const k of ['0', 'a', 'Tab', ' ', 'F5']) assert.equal(keyAction(k), null, k);
});

test('selection walks the rail and stops at its ends', () => {
  assert.equal(nextIndex(-1, 3, { move: 1 }), 0);
  assert.equal(nextIndex(-1, 3, { move: -1 }), 2);
  assert.equal(nextIndex(2, 3, { move: 1 }), 2);
  assert.equal(nextIndex(0, 3, { move: -1 }), 0);
  assert.equal(nextIndex(0, 3, { index: -1 }), 2);
  assert.equal(nextIndex(1, 3, { index: 6 }), 1); // "7" with three tickets: stay
  assert.equal(nextIndex(1, 0, { move: 1 }), -1);
});

test('every key the handler knows is in the help sheet', () => {
  const help = KEY_ROWS.map(([k]) => k).join(' ');
  for (const k of ['Enter', 'R', '1 … 9', 'Home / End', '←', 'Esc', '?']) assert.ok(help.includes(k), k);
});

test('every row of the help sheet is worded in both catalogs', () => {
  for (const [, key] of KEY_ROWS) {
    for (const lang of LANGUAGES) assert.ok(CATALOGS[lang][key], `${lang} lacks ${key}`);
  }
});
