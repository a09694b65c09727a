// The product form's modifier groups (issue 14): name, min/max choices, options with a price
// delta. The DOM is the state; `readGroups()` turns it into central's `modifier_groups`.

import { h } from '../shared/dom.js';
import { t, money } from '../shared/i18n.js';
import { toCents } from '../shared/money.js';

/** "+Rp 5.000" beside a delta as typed ("5000"), so an admin sees the unit; blank while it is not a number. */
function deltaText(value) {
  try { const c = toCents(value); return c ? `${c > 0 ? '+' : '−'}${money(Math.abs(c))}` : ''; } catch { return ''; }
}

function optionRow(o = {}) {
  const shown = h('span.mod-delta.muted', { dataset: { testid: 'option-delta-money' } }, deltaText(o.price_delta ?? '0'));
  const row = h('div.mod-option', { dataset: { testid: 'option-row' } },
    h('input', { value: o.name ?? '', placeholder: t('modifiers.option'), 'aria-label': t('modifiers.option'), dataset: { testid: 'option-name', part: 'name' } }),
    h('input', { value: o.price_delta ?? '0', inputMode: 'decimal', 'aria-label': t('modifiers.delta'), dataset: { testid: 'option-delta', part: 'delta' },
      oninput: (ev) => { shown.textContent = deltaText(ev.currentTarget.value); } }),
    shown,
    h('button.ghost', { type: 'button', onclick: () => row.remove() }, t('modifiers.remove_option')));
  return row;
}

function groupBox(g = {}) {
  const options = h('div.mod-options', {}, (g.options || [{}]).map(optionRow));
  const box = h('fieldset.mod-group', { dataset: { testid: 'modifier-group' } },
    h('div.mod-head', {},
      h('label', {}, t('modifiers.group_name'), h('input', { value: g.name ?? '', dataset: { testid: 'group-name', part: 'name' } })),
      h('label', {}, t('modifiers.min'), h('input', { type: 'number', min: 0, max: 20, value: g.min ?? 0, dataset: { testid: 'group-min', part: 'min' } })),
      h('label', {}, t('modifiers.max'), h('input', { type: 'number', min: 1, max: 20, value: g.max ?? 1, dataset: { testid: 'group-max', part: 'max' } })),
      h('button.ghost', { type: 'button', onclick: () => box.remove() }, t('modifiers.remove_group'))),
    options,
    h('button', { type: 'button', dataset: { testid: 'add-option' }, onclick: () => options.append(optionRow()) }, t('modifiers.add_option')));
  return box;
}

/** The editor element for `groups`; its `readGroups()` gives the body value. */
export function modifierEditor(groups) {
  const list = h('div.mod-groups', {}, (groups || []).map(groupBox));
  const root = h('div.modifier-editor', { dataset: { testid: 'modifier-editor', modifiers: '1' } },
    h('div.label', {}, t('modifiers.legend')), h('p.muted', {}, t('modifiers.hint')), list,
    h('button', { type: 'button', dataset: { testid: 'add-group' }, onclick: () => list.append(groupBox()) }, t('modifiers.add_group')));
  root.readGroups = () => [...list.querySelectorAll('.mod-group')].map((box) => {
    const part = (el, name) => el.querySelector(`[data-part="${name}"]`).value.trim();
    const head = box.querySelector('.mod-head');
    return {
      name: part(head, 'name'), min: Number(part(head, 'min') || 0), max: Number(part(head, 'max') || 1),
      options: [...box.querySelectorAll('.mod-option')].map((o) => ({ name: part(o, 'name'), price_delta: part(o, 'delta') || '0' }))
        .filter((o) => o.name),
    };
  }).filter((g) => g.name || g.options.length);
  return root;
}
