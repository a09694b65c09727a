import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toCents, fromCents } from '../shared/money.js';
import { backoffDelay } from '../shared/backoff.js';

test('decimal strings parse to exact cents without floats', () => {
  assert.equal(toCents('45000'), 4500000);
  assert.equal(toCents('12.5'), 1250);
  assert.equal(toCents('0.105'), 11);
  assert.equal(toCents('-3.20'), -320);
  assert.throws(() => toCents('abc'));
  assert.throws(() => toCents(''));
});

test('cents go back to the wire form: whole numbers without decimals', () => {
  assert.equal(fromCents(9000000), '90000');
  assert.equal(fromCents(1250), '12.50');
  assert.equal(fromCents(toCents('0.1') + toCents('0.2')), '0.30');
});

test('backoff grows exponentially, is capped, and never drops below half', () => {
  const o = { baseMs: 1000, capMs: 8000, factor: 2, jitter: 0.5 };
  assert.equal(backoffDelay(0, o, () => 0), 500);
  assert.equal(backoffDelay(0, o, () => 1), 1000);
  assert.equal(backoffDelay(2, o, () => 1), 4000);
  assert.equal(backoffDelay(10, o, () => 1), 8000);
  assert.equal(backoffDelay(10, o, () => 0), 4000);
});
