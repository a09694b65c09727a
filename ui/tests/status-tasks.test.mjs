import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overall, taskRows } from '../status/status-model.js';
import { configure } from '../shared/i18n.js';

// These tests read the English texts (the outlet default is id-ID; i18n.test.mjs covers both).
configure({ locale: 'en-US' });

test('a restarting background task is named on the status page, with its last error', () => {
  const tasks = [
    { name: 'central-outbox', state: 'restarting', restarts: 3, last_error: 'OperationalError: disk I/O error' },
    { name: 'backlog', state: 'running', restarts: 1, last_error: 'x' },
    { name: 'retention', state: 'running', restarts: 0, last_error: '' },
  ];
  assert.deepEqual(taskRows(tasks), [
    { name: 'central-outbox', text: 'restarting (3 restarts: OperationalError: disk I/O error)', level: 'warn' },
    { name: 'backlog', text: 'running (1 restarts)', level: 'ok' },
    { name: 'retention', text: 'running', level: 'ok' },
  ]);
  assert.deepEqual(overall({ status: { central: 'ok', mqtt: 'disabled', tasks }, health: null, reachable: true }),
    { level: 'warn', text: 'Recovering: central-outbox restarting' });
  assert.deepEqual(taskRows(undefined), []);
});
