// The status page's "Software update" card (decision 1101): what IT reads from /health.
import test from 'node:test';
import assert from 'node:assert/strict';
import { updateRows } from '../status/status-model.js';
import { configure, t } from '../shared/i18n.js';

// These tests read the English texts (the outlet default is id-ID; i18n.test.mjs covers both).
configure({ locale: 'en-US' });
// A row's name is a catalog key; the page shows it translated.
const byName = (rows, name) => rows.find((r) => t(r.name) === name);

test('no update object means no card (updates off on this hub)', () => {
  assert.deepEqual(updateRows({ version: '1.0.0' }), []);
  assert.deepEqual(updateRows(null), []);
});

test('a rolled back release shows the version running, the refused target and why', () => {
  const rows = updateRows({ version: '1.0.1', update: { state: 'rolled_back', target: '1.0.2', last_error: '1.0.2 stopped 3 times before it verified' } });
  assert.deepEqual(rows.map((r) => [t(r.name), r.text]), [
    ['Running', '1.0.1'], ['Target', '1.0.2'], ['State', 'rolled back'],
    ['Why', '1.0.2 stopped 3 times before it verified']]);
  assert.equal(byName(rows, 'State').level, 'bad');
});

test('waiting for the window names the open orders as a warning', () => {
  const rows = updateRows({ version: '1.0.0', update: { state: 'waiting_window', target: '1.0.1', last_error: '2 order(s) open on a kitchen screen' } });
  assert.equal(byName(rows, 'State').text, 'waiting for the update window');
  assert.equal(byName(rows, 'Why').level, 'warn');
});

test('the state reads in Indonesian when the outlet speaks it', () => {
  configure({ locale: 'id-ID' });
  try {
    const rows = updateRows({ version: '1.0.0', update: { state: 'waiting_window', target: '1.0.1' } });
    assert.deepEqual(rows.map((r) => [t(r.name), r.text]), [['Versi sekarang', '1.0.0'], ['Versi tujuan', '1.0.1'], ['Status', 'menunggu jam pembaruan']]);
    assert.equal(updateRows({ version: '1.0.0', update: { state: 'new_state' } })[2].text, 'new_state'); // a newer hub's word, as sent
  } finally { configure({ locale: 'en-US' }); }
});
