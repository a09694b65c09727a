// Field specs for central's master data and a generic table + edit dialog built from them.

import { h, mount } from '../shared/dom.js';
import { t, dateTime } from '../shared/i18n.js';
import { modifierEditor } from './modifier-editor.js';

/** What each kind shows in its table and edits in its form. `ref` names a lookup list;
 *  `title` and `label` are catalog keys (i18n.js). */
export const KINDS = {
  tenants: { title: 'kind.tenants', fields: [
    { name: 'name', label: 'field.name', required: true },
    { name: 'outlet_id', label: 'field.outlet', type: 'ref', ref: 'outlets', required: true },
    { name: 'stations', label: 'field.stations_list', type: 'list' },
    { name: 'is_active', label: 'field.active', type: 'bool', default: true },
  ] },
  categories: { title: 'kind.categories', fields: [
    { name: 'name', label: 'field.name', required: true },
    { name: 'tenant_id', label: 'field.stall_shared', type: 'ref', ref: 'tenants' },
    { name: 'sort_order', label: 'field.sort_order', type: 'int', default: 0 },
    { name: 'description', label: 'field.description' },
  ] },
  products: { title: 'kind.products', fields: [
    { name: 'name', label: 'field.name', required: true },
    { name: 'tenant_id', label: 'field.stall', type: 'ref', ref: 'tenants', required: true },
    { name: 'category_id', label: 'field.category', type: 'ref', ref: 'categories' },
    { name: 'price', label: 'field.price', type: 'money', required: true },
    { name: 'station', label: 'field.station' },
    { name: 'is_available', label: 'field.available', type: 'bool', default: true },
    { name: 'allow_notes', label: 'field.allow_notes', type: 'bool', default: false, hideInTable: true },
    { name: 'modifier_groups', label: 'field.options', type: 'modifiers', default: [] },
    { name: 'description', label: 'field.description', hideInTable: true },
  ] },
  promotions: { title: 'kind.promotions', fields: [
    { name: 'name', label: 'field.name', required: true },
    { name: 'discount_percent', label: 'field.discount', type: 'money', required: true },
    { name: 'tenant_id', label: 'field.stall_all', type: 'ref', ref: 'tenants' },
    { name: 'product_id', label: 'field.product_all', type: 'ref', ref: 'products' },
    { name: 'start_date', label: 'field.starts', type: 'datetime' },
    { name: 'end_date', label: 'field.ends', type: 'datetime' },
    { name: 'is_active', label: 'field.active', type: 'bool', default: true },
  ] },
  // Kitchen printers (docs/protocol.md section 8): central checks them with the hub's own rules.
  printers: { title: 'kind.printers', fields: [
    { name: 'name', label: 'field.printer_name', required: true },
    { name: 'outlet_id', label: 'field.outlet', type: 'ref', ref: 'outlets', required: true },
    { name: 'url', label: 'field.printer_url', required: true },
    { name: 'width_mm', label: 'field.paper', type: 'int', default: 80 },
    { name: 'tenants', label: 'field.printer_stalls', type: 'intlist' },
    { name: 'stations', label: 'field.printer_stations', type: 'list' },
    { name: 'prints', label: 'field.prints', type: 'list', default: ['kitchen'] },
    { name: 'backup', label: 'field.backup', default: '' },
    { name: 'backup_after_seconds', label: 'field.backup_after', type: 'int', default: 120, hideInTable: true },
    { name: 'hold_after_minutes', label: 'field.hold_after', type: 'int', default: 30, hideInTable: true },
    { name: 'status_query', label: 'field.status_query', type: 'bool', default: true, hideInTable: true },
  ] },
};

/** Display text of one value in a table cell. */
export function cellText(field, value, refs) {
  if (value == null || value === '') return '—';
  switch (field.type) {
    case 'bool': return t(value ? 'common.yes' : 'common.no');
    case 'modifiers': return Array.isArray(value) && value.length ? value.map((g) => `${g.name} (${g.options.length})`).join(', ') : '—';
    case 'list': case 'intlist': return Array.isArray(value) ? value.join(', ') || '—' : String(value);
    case 'ref': return refs[field.ref]?.find((r) => r.id === value)?.name ?? `#${value}`;
    case 'datetime': return dateTime(value);
    default: return String(value);
  }
}

/** Form values → the JSON body central expects. */
export function formToBody(fields, form) {
  const body = {};
  for (const f of fields) {
    if (f.type === 'modifiers') {
      const editor = form.querySelector('[data-modifiers]');
      if (editor) body[f.name] = editor.readGroups();
      continue;
    }
    const el = form.elements[f.name];
    if (!el) continue;
    if (f.type === 'bool') body[f.name] = el.checked;
    else if (f.type === 'list') body[f.name] = el.value.split(',').map((s) => s.trim()).filter(Boolean);
    else if (f.type === 'intlist') body[f.name] = el.value.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    else if (f.type === 'ref') body[f.name] = el.value === '' ? null : Number(el.value);
    else if (f.type === 'int') body[f.name] = el.value === '' ? 0 : Number(el.value);
    else if (f.type === 'datetime') body[f.name] = el.value ? new Date(el.value).toISOString() : null;
    else body[f.name] = el.value.trim();
  }
  return body;
}

function input(f, value, refs) {
  const v = value ?? f.default ?? '';
  if (f.type === 'modifiers') return modifierEditor(Array.isArray(value) ? value : []);
  if (f.type === 'bool') return h('label.check', {}, h('input', { type: 'checkbox', name: f.name, checked: !!v, style: { width: '22px', minHeight: '22px' } }), t(f.label));
  let el;
  if (f.type === 'ref') {
    el = h('select', { name: f.name }, h('option', { value: '' }, '—'),
      (refs[f.ref] || []).map((r) => h('option', { value: r.id, selected: r.id === value }, r.name)));
  } else if (f.type === 'datetime') {
    el = h('input', { type: 'datetime-local', name: f.name, value: v ? new Date(v).toISOString().slice(0, 16) : '' });
  } else {
    el = h('input', { name: f.name, value: Array.isArray(v) ? v.join(', ') : v, required: !!f.required,
      inputMode: f.type === 'money' || f.type === 'int' ? 'decimal' : undefined });
  }
  return h('label', {}, t(f.label), el);
}

/** Open the edit dialog; resolves with the body to save, or null. */
export function editDialog(modal, kind, item, refs) {
  const spec = KINDS[kind];
  return new Promise((resolve) => {
    const close = (v) => { modal.classList.add('hidden'); mount(modal); resolve(v); };
    const form = h('form', { onsubmit: (ev) => { ev.preventDefault(); close(formToBody(spec.fields, form)); } },
      spec.fields.map((f) => input(f, item?.[f.name], refs)),
      h('div.actions', {}, h('button.ghost', { type: 'button', onclick: () => close(null) }, t('common.cancel')),
        h('button.primary', { type: 'submit', dataset: { testid: 'save' } }, t('common.save'))));
    mount(modal, h('div.dialog', {}, h('h2', {}, item?.id != null ? t('admin.edit_item', { name: item.name }) : t('admin.new_item', { kind: t(`${spec.title}_one`) })), form));
    modal.classList.remove('hidden');
  });
}

export function catalogTable(kind, items, refs, { onEdit, onDelete }) {
  const cols = KINDS[kind].fields.filter((f) => !f.hideInTable);
  return h('table.table', { dataset: { testid: `${kind}-table` } },
    h('thead', {}, h('tr', {}, cols.map((f) => h('th', {}, t(f.label).replace(/ \(.*\)$/, ''))), h('th', {}))),
    h('tbody', {}, items.length ? items.map((it) => h('tr', { dataset: { id: it.id } },
      cols.map((f) => h('td', {}, cellText(f, it[f.name], refs))),
      h('td.actions', {}, h('button', { onclick: () => onEdit(it) }, t('admin.edit')), h('button.danger', { onclick: () => onDelete(it) }, t('admin.delete')))))
      : h('tr', {}, h('td', { colSpan: cols.length + 1, class: 'muted' }, t('admin.nothing_yet')))));
}
