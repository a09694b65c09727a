// Releases at HQ (decision 1101): published hub releases, the rollout in force (which
// release, which ring) and per outlet the version its hub runs, its target, its update
// state and last error. Releases are published with `outlet-central release publish`.

import { h, mount } from '../shared/dom.js';

const STATE_LEVEL = { done: 'on', rolled_back: 'off', failed: 'off', waiting_window: 'warn' };

/** The rollout body from the form's values (pure: tested in ui/tests/admin-releases.test.mjs). */
export function rolloutBody({ version, ring, canaries, percentage, force }) {
  const ids = String(canaries || '').split(/[\s,]+/).filter(Boolean).map(Number);
  return { version, ring, canary_outlets: ids, percentage: Number(percentage) || 0, force: !!force };
}

/** One line saying who gets the release. */
export function ringText(r) {
  if (!r) return 'No rollout: hubs keep the version they run.';
  const who = r.ring === 'all' ? 'every outlet'
    : r.ring === 'percent' ? `canaries ${r.canary_outlets.join(', ') || 'none'} and ${r.percentage} % of the other hubs`
      : `canary outlets ${r.canary_outlets.join(', ')}`;
  return `${r.version} to ${who}${r.force ? ', installed at once (forced)' : ', inside each outlet\'s update window'} · generation ${r.generation}`;
}

function outletRow(r) {
  return h('tr', { dataset: { testid: 'release-outlet', outletId: r.outlet_id } },
    h('td', {}, h('b', {}, r.outlet_name), h('div.sub', {}, `#${r.outlet_id}${r.hub_id ? ` · ${r.hub_id}` : ''}`)),
    h('td', { dataset: { testid: 'release-current' } }, r.current_version || '—'),
    h('td', {}, r.target_version || '—'),
    h('td', {}, r.state ? h('span', { class: `badge ${STATE_LEVEL[r.state] || ''}`, dataset: { testid: 'release-state' } }, r.state) : '—'),
    h('td', { dataset: { testid: 'release-error' } }, r.last_error || ''));
}

/** Render the Releases view; `done(text, bad)` reports an action's result. */
export async function renderReleases(api, view, done) {
  const [list, perOutlet] = await Promise.all([api.call('GET', '/api/releases'), api.call('GET', '/api/releases/outlets')]);
  const releases = list?.releases || [];
  const form = h('form.rollout', { dataset: { testid: 'rollout-form' } },
    h('label', {}, 'Release', h('select', { name: 'version' }, releases.map((r) => h('option', { value: r.version }, r.version)))),
    h('label', {}, 'Ring', h('select', { name: 'ring' }, ['canary', 'percent', 'all'].map((v) => h('option', { value: v }, v)))),
    h('label', {}, 'Canary outlet ids', h('input', { name: 'canaries', placeholder: '3, 17' })),
    h('label', {}, 'Percent of other hubs', h('input', { name: 'percentage', type: 'number', min: 0, max: 100, value: 0 })),
    h('label', {}, h('input', { name: 'force', type: 'checkbox' }), ' Install at once (ignore the window and open orders)'),
    h('div.actions', {}, h('button.primary', { type: 'submit' }, 'Assign')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget;
    try {
      await api.call('PUT', '/api/releases/rollout', rolloutBody({ version: f.version.value, ring: f.ring.value, canaries: f.canaries.value, percentage: f.percentage.value, force: f.force.checked }));
      done('Rollout assigned: hubs in the ring pick it up at their next heartbeat');
    } catch (err) { done(err.message, true); }
  });
  mount(view,
    h('p', { dataset: { testid: 'rollout-text' } }, ringText(list?.rollout)),
    releases.length ? form : h('p.muted', {}, 'No release published yet: run `outlet-central release publish BUNDLE`.'),
    h('table.table', { dataset: { testid: 'releases-outlets' } },
      h('thead', {}, h('tr', {}, ['Outlet', 'Running', 'Target', 'State', 'Last error'].map((t) => h('th', {}, t)))),
      h('tbody', {}, (perOutlet?.outlets || []).map(outletRow))),
    h('table.table', {}, h('caption', {}, 'Published releases'),
      h('tbody', {}, releases.map((r) => h('tr', {}, h('td', {}, r.version), h('td', {}, `${Math.round(r.size / 1048576)} MB`),
        h('td.sub', {}, r.sha256.slice(0, 16)), h('td', {}, r.backward_compatible ? 'schema compatible' : 'backup before install'),
        h('td', {}, new Date(r.published_at).toLocaleString()))))));
}
