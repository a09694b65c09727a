// The admin's Releases section (decision 1101): the rollout body it sends and how it
// describes the ring in force.
import test from 'node:test';
import assert from 'node:assert/strict';
import { rolloutBody, ringText } from '../admin/admin-releases.js';
import { configure } from '../shared/i18n.js';

// These tests read the English texts (the outlet default is id-ID; i18n.test.mjs covers both).
configure({ locale: 'en-US' });

test('the form becomes central\'s rollout body', () => {
  assert.deepEqual(rolloutBody({ version: '1.0.1', ring: 'percent', canaries: '3, 17 4', percentage: '25', force: false }),
    { version: '1.0.1', ring: 'percent', canary_outlets: [3, 17, 4], percentage: 25, force: false });
  assert.deepEqual(rolloutBody({ version: '1.0.1', ring: 'all', canaries: '', percentage: '', force: true }),
    { version: '1.0.1', ring: 'all', canary_outlets: [], percentage: 0, force: true });
});

test('the ring in force is said in one line', () => {
  assert.equal(ringText(null), 'No rollout: hubs keep the version they run.');
  assert.equal(ringText({ version: '1.0.2', ring: 'canary', canary_outlets: [3], percentage: 0, force: false, generation: 2 }),
    '1.0.2 to canary outlets 3, inside each outlet\'s update window · generation 2');
  assert.match(ringText({ version: '1.0.2', ring: 'percent', canary_outlets: [], percentage: 10, force: true, generation: 3 }),
    /none and 10% of the other hubs, installed at once/);
});

test('the ring reads in Indonesian with the locale\'s percent', () => {
  configure({ locale: 'id-ID' });
  try {
    assert.equal(ringText({ version: '1.0.2', ring: 'percent', canary_outlets: [3, 17], percentage: 12.5, force: true, generation: 4 }).replace(/\u00a0/g, ' '),
      '1.0.2 untuk outlet uji coba 3, 17 dan 12,5% dari hub lainnya, langsung dipasang (dipaksa) · generasi 4');
  } finally { configure({ locale: 'en-US' }); }
});
