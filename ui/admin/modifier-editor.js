// The product form's modifier groups (issue 14): name, min/max choices, options with a price
// delta. The DOM is the state; `readGroups()` turns it into central's `modifier_groups`.

import { h } from '../shared/dom.js';

// Issue 14 strings, kept together for the message catalogs.
export const MODIFIER_TEXT = {
  legend: 'Options (modifier groups)',
  hint: 'e.g. "Topping", choose 0 to 2: Egg +5000, Cheese +7000. Option names must differ within a product.',
  addGroup: 'Add option group',
  removeGroup: 'Remove group',
  groupName: 'Group name',
  min: 'Min', max: 'Max',
  optionName: 'Option', delta: 'Price +',
  addOption: 'Add option',
  removeOption: 'Remove',
};

function optionRow(o = {}) {
  const row = h('div.mod-option', { dataset: { testid: 'option-row' } },
    h('input', { value: o.name ?? '', placeholder: MODIFIER_TEXT.optionName, 'aria-label': MODIFIER_TEXT.optionName, dataset: { testid: 'option-name', part: 'name' } }),
    h('input', { value: o.price_delta ?? '0', inputMode: 'decimal', 'aria-label': MODIFIER_TEXT.delta, dataset: { testid: 'option-delta', part: 'delta' } }),
    h('button.ghost', { type: 'button', onclick: () => row.remove() }, MODIFIER_TEXT.removeOption));
  return row;
}

function groupBox(g = {}) {
  const options = h('div.mod-options', {}, (g.options || [{}]).map(optionRow));
  const box = h('fieldset.mod-group', { dataset: { testid: 'modifier-group' } },
    h('div.mod-head', {},
      h('label', {}, MODIFIER_TEXT.groupName, h('input', { value: g.name ?? '', dataset: { testid: 'group-name', part: 'name' } })),
      h('label', {}, MODIFIER_TEXT.min, h('input', { type: 'number', min: 0, max: 20, value: g.min ?? 0, dataset: { testid: 'group-min', part: 'min' } })),
      h('label', {}, MODIFIER_TEXT.max, h('input', { type: 'number', min: 1, max: 20, value: g.max ?? 1, dataset: { testid: 'group-max', part: 'max' } })),
      h('button.ghost', { type: 'button', onclick: () => box.remove() }, MODIFIER_TEXT.removeGroup)),
    options,
    h('button', { type: 'button', dataset: { testid: 'add-option' }, onclick: () => options.append(optionRow()) }, MODIFIER_TEXT.addOption));
  return box;
}

/** The editor element for `groups`; its `readGroups()` gives the body value. */
export function modifierEditor(groups) {
  const list = h('div.mod-groups', {}, (groups || []).map(groupBox));
  const root = h('div.modifier-editor', { dataset: { testid: 'modifier-editor', modifiers: '1' } },
    h('div.label', {}, MODIFIER_TEXT.legend), h('p.muted', {}, MODIFIER_TEXT.hint), list,
    h('button', { type: 'button', dataset: { testid: 'add-group' }, onclick: () => list.append(groupBox()) }, MODIFIER_TEXT.addGroup));
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
