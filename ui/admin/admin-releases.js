// Releases at HQ (decision 1101): published hub releases, the rollout in force (which
// release, which ring) and per outlet the version its hub runs, its target, its update
// state and last error. Releases are published with `outlet-central release publish`.

import { h, mount } from '../shared/dom.js';
import { t, fill, number, dateTime, updateState } from '../shared/i18n.js';

const STATE_LEVEL = { done: 'on', rolled_back: 'off', failed: 'off', waiting_window: 'warn' };

/** The rollout body from the form's values (pure: tested in ui/tests/admin-releases.test.mjs). */
export function rolloutBody({ version, ring, canaries, percentage, force }) {
  const ids = String(canaries || '').split(/[\s,]+/).filter(Boolean).map(Number);
  return { version, ring, canary_outlets: ids, percentage: Number(percentage) || 0, force: !!force };
}

/** One line saying who gets the release, in the screen's language. */
export function ringText(r) {
  if (!r) return t('releases.no_rollout');
  const canaries = r.canary_outlets.join(', ');
  const who = r.ring === 'all' ? t('releases.to_all')
    : r.ring === 'percent' ? t('releases.to_percent', { canaries: canaries || t('releases.no_canaries'), percent: number(r.percentage / 100, { style: 'percent', maximumFractionDigits: 1 }) })
      : t('releases.to_canaries', { canaries });
  return t(r.force ? 'releases.ring_forced' : 'releases.ring_window', { version: r.version, who, generation: r.generation });
}

function outletRow(r) {
  return h('tr', { dataset: { testid: 'release-outlet', outletId: r.outlet_id } },
    h('td', {}, h('b', {}, r.outlet_name), h('div.sub', {}, `#${r.outlet_id}${r.hub_id ? ` · ${r.hub_id}` : ''}`)),
    h('td', { dataset: { testid: 'release-current' } }, r.current_version || '—'),
    h('td', {}, r.target_version || '—'),
    h('td', {}, r.state ? h('span', { class: `badge ${STATE_LEVEL[r.state] || ''}`, dataset: { testid: 'release-state', state: r.state } }, updateState(r.state)) : '—'),
    h('td', { dataset: { testid: 'release-error' } }, r.last_error || ''));
}

/** Render the Releases view; `done(text, bad)` reports an action's result. */
export async function renderReleases(api, view, done) {
  const [list, perOutlet] = await Promise.all([api.call('GET', '/api/releases'), api.call('GET', '/api/releases/outlets')]);
  const releases = list?.releases || [];
  const form = h('form.rollout', { dataset: { testid: 'rollout-form' } },
    h('label', {}, t('releases.release'), h('select', { name: 'version' }, releases.map((r) => h('option', { value: r.version }, r.version)))),
    h('label', {}, t('releases.ring'), h('select', { name: 'ring' }, ['canary', 'percent', 'all'].map((v) => h('option', { value: v }, t(`releases.ring_${v}`))))),
    h('label', {}, t('releases.canary_ids'), h('input', { name: 'canaries', placeholder: '3, 17' })),
    h('label', {}, t('releases.percentage'), h('input', { name: 'percentage', type: 'number', min: 0, max: 100, value: 0 })),
    h('label', {}, h('input', { name: 'force', type: 'checkbox' }), ' ', t('releases.force')),
    h('div.actions', {}, h('button.primary', { type: 'submit' }, t('releases.assign'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget;
    try {
      await api.call('PUT', '/api/releases/rollout', rolloutBody({ version: f.version.value, ring: f.ring.value, canaries: f.canaries.value, percentage: f.percentage.value, force: f.force.checked }));
      done(t('releases.assigned'));
    } catch (err) { done(err.message, true); }
  });
  mount(view,
    h('p', { dataset: { testid: 'rollout-text' } }, ringText(list?.rollout)),
    releases.length ? form : h('p.muted', {}, fill('releases.none_published', { command: h('code', {}, 'outlet-central release publish BUNDLE') })),
    h('table.table', { dataset: { testid: 'releases-outlets' } },
      h('thead', {}, h('tr', {}, ['outlet', 'running', 'target', 'state', 'last_error'].map((k) => h('th', {}, t(`releases.col_${k}`))))),
      h('tbody', {}, (perOutlet?.outlets || []).map(outletRow))),
    h('table.table', {}, h('caption', {}, t('releases.published')),
      h('tbody', {}, releases.map((r) => h('tr', {}, h('td', {}, r.version), h('td', {}, number(r.size / 1048576, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 0 })),
        h('td.sub', {}, r.sha256.slice(0, 16)), h('td', {}, t(r.backward_compatible ? 'releases.schema_compatible' : 'releases.backup_first')),
        h('td', {}, dateTime(r.published_at)))))));
}
