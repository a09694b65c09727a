// The status page's "Software update" card (decision 1101): what IT reads from /health.
import test from 'node:test';
import assert from 'node:assert/strict';
import { updateRows } from '../status/status-model.js';

test('no update object means no card (updates off on this hub)', () => {
  assert.deepEqual(updateRows({ version: '1.0.0' }), []);
  assert.deepEqual(updateRows(null), []);
});

test('a rolled back release shows the version running, the refused target and why', () => {
  const rows = updateRows({ version: '1.0.1', update: { state: 'rolled_back', target: '1.0.2', last_error: '1.0.2 stopped 3 times before it verified' } });
  assert.deepEqual(rows.map((r) => [r.name, r.text]), [
    ['Running', '1.0.1'], ['Target', '1.0.2'], ['State', 'rolled back'],
    ['Why', '1.0.2 stopped 3 times before it verified']]);
  assert.equal(rows.find((r) => r.name === 'State').level, 'bad');
});

test('waiting for the window names the open orders as a warning', () => {
  const rows = updateRows({ version: '1.0.0', update: { state: 'waiting_window', target: '1.0.1', last_error: '2 order(s) open on a kitchen screen' } });
  assert.equal(rows.find((r) => r.name === 'State').text, 'waiting for the update window');
  assert.equal(rows.find((r) => r.name === 'Why').level, 'warn');
});
