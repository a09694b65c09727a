import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrderNumberAllocator, sanitizePrefix, formatOrderNumber } from '../shared/order-number.js';
import { memoryStorage } from './fakes.mjs';

test('numbers on one device never repeat, even across a reload', () => {
  const storage = memoryStorage();
  const a = new OrderNumberAllocator(storage);
  const first = [a.next(), a.next()];
  const b = new OrderNumberAllocator(storage); // the page reloaded
  const third = b.next();
  assert.equal(new Set([...first, third]).size, 3);
  assert.equal(b.prefix, a.prefix);
  assert.match(third, /^[A-Z0-9]{4}-0003$/);
});

test('two devices get different prefixes without talking to each other', () => {
  let seed = 1;
  const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const prefixes = new Set();
  for (let i = 0; i < 50; i++) prefixes.add(new OrderNumberAllocator(memoryStorage(), { random: rnd }).prefix);
  assert.equal(prefixes.size, 50);
});

test('an explicit device prefix is cleaned and restarts its counter', () => {
  const storage = memoryStorage();
  const a = new OrderNumberAllocator(storage, { prefix: 'k1' });
  assert.equal(a.next(), 'K1-0001');
  const b = new OrderNumberAllocator(storage, { prefix: 'K1' });
  assert.equal(b.next(), 'K1-0002');
  assert.equal(sanitizePrefix(' a b<c> '), 'ABC');
  assert.equal(sanitizePrefix('!!'), null);
  assert.equal(formatOrderNumber('K2', 12345), 'K2-12345');
});
