import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeoutSignal } from '../shared/abort.js';

test('without AbortSignal.timeout (Safari 15, Chrome 84) the signal aborts after the delay', () => {
  const native = AbortSignal.timeout;
  const pending = [];
  try {
    delete AbortSignal.timeout;
    assert.equal(AbortSignal.timeout, undefined);
    const signal = timeoutSignal(5000, { timers: { setTimeout: (fn, ms) => pending.push([fn, ms]) } });
    assert.equal(signal.aborted, false);
    assert.deepEqual(pending.map(([, ms]) => ms), [5000]);
    pending[0][0]();
    assert.equal(signal.aborted, true);
  } finally {
    AbortSignal.timeout = native;
  }
});

test('where AbortSignal.timeout exists it is used', () => {
  const signal = timeoutSignal(60000, { timers: { setTimeout: () => assert.fail('no timer of our own') } });
  assert.equal(signal.aborted, false);
});
