// What this screen shows (tenants, stations) and its timer thresholds, remembered in
// localStorage; URL parameters (?tenant=3&station=grill&warn=4&late=8) override for fixed installs.

import { parseThresholds } from '../shared/ticket-timer.js';
import { h, mount } from '../shared/dom.js';
import { t } from '../shared/i18n.js';

const KEY = 'outlet-hub.kitchen.settings';

export function loadSettings(storage = localStorage, search = location.search) {
  let saved = {};
  try { saved = JSON.parse(storage.getItem(KEY) || '{}') || {}; } catch { saved = {}; }
  const q = new URLSearchParams(search);
  const tenants = q.getAll('tenant').map(Number).filter(Number.isFinite);
  const stations = q.getAll('station').filter(Boolean);
  return {
    tenantIds: tenants.length ? tenants : (Array.isArray(saved.tenantIds) ? saved.tenantIds : []),
    stations: stations.length ? stations : (Array.isArray(saved.stations) ? saved.stations : []),
    ...parseThresholds({ warnMinutes: q.get('warn') ?? saved.warnMinutes, lateMinutes: q.get('late') ?? saved.lateMinutes }),
  };
}

export function saveSettings(s, storage = localStorage) {
  storage.setItem(KEY, JSON.stringify(s));
}

/** The settings sheet; resolves with new settings or null when cancelled. */
export function editSettings(sheet, current, { tenants, stations, onAskNotifications }) {
  return new Promise((resolve) => {
    const tSel = new Set(current.tenantIds);
    const sSel = new Set(current.stations);
    const chip = (set, value, label) => h('button', { class: set.has(value) ? 'on' : '', dataset: { testid: `pick-${label}` },
      onclick: (ev) => { if (set.has(value)) set.delete(value); else set.add(value); ev.currentTarget.classList.toggle('on'); } }, label);
    const warn = h('input', { type: 'number', min: 1, value: current.warnMinutes });
    const late = h('input', { type: 'number', min: 2, value: current.lateMinutes });
    const close = (v) => { sheet.classList.add('hidden'); mount(sheet); resolve(v); };
    mount(sheet, h('div.ksheet', {},
      h('h2', {}, t('kitchen.settings_title')),
      h('h3', {}, t('kitchen.settings_stalls')),
      h('div.chips', {}, tenants.length ? tenants.map((t) => chip(tSel, t.id, t.name)) : h('span.muted', {}, t('kitchen.single_kitchen'))),
      h('h3', {}, t('kitchen.settings_stations')),
      h('div.chips', {}, stations.length ? stations.map((s) => chip(sSel, s, s)) : h('span.muted', {}, t('kitchen.no_stations'))),
      h('h3', {}, t('kitchen.settings_timers')),
      h('div', {}, h('label', {}, t('kitchen.yellow_at'), warn), h('label', {}, t('kitchen.red_at'), late)),
      'Notification' in window && Notification.permission === 'default'
        ? h('p', {}, h('button.kbtn', { onclick: onAskNotifications }, t('kitchen.allow_notifications'))) : null,
      h('div.actions', {},
        h('button.kbtn', { onclick: () => close(null) }, t('common.cancel')),
        h('button.primary', { dataset: { testid: 'settings-save' }, onclick: () => close({
          tenantIds: [...tSel], stations: [...sSel],
          ...parseThresholds({ warnMinutes: warn.value, lateMinutes: late.value }),
        }) }, t('common.save')))));
    sheet.classList.remove('hidden');
  });
}
