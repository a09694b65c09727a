// Field specs for central's master data and a generic table + edit dialog built from them.

import { h, mount } from '../shared/dom.js';
import { modifierEditor } from './modifier-editor.js';

/** What each kind shows in its table and edits in its form. `ref` names a lookup list. */
export const KINDS = {
  tenants: { title: 'Stalls', fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'outlet_id', label: 'Outlet', type: 'ref', ref: 'outlets', required: true },
    { name: 'stations', label: 'Stations (comma separated)', type: 'list' },
    { name: 'is_active', label: 'Active', type: 'bool', default: true },
  ] },
  categories: { title: 'Categories', fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'tenant_id', label: 'Stall (empty = shared)', type: 'ref', ref: 'tenants' },
    { name: 'sort_order', label: 'Order', type: 'int', default: 0 },
    { name: 'description', label: 'Description' },
  ] },
  products: { title: 'Products', fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'tenant_id', label: 'Stall', type: 'ref', ref: 'tenants', required: true },
    { name: 'category_id', label: 'Category', type: 'ref', ref: 'categories' },
    { name: 'price', label: 'Price', type: 'money', required: true },
    { name: 'station', label: 'Station' },
    { name: 'is_available', label: 'Available', type: 'bool', default: true },
    { name: 'allow_notes', label: 'Customer may add a note', type: 'bool', default: false, hideInTable: true },
    { name: 'modifier_groups', label: 'Options', type: 'modifiers', default: [] },
    { name: 'description', label: 'Description', hideInTable: true },
  ] },
  promotions: { title: 'Promotions', fields: [
    { name: 'name', label: 'Name', required: true },
    { name: 'discount_percent', label: 'Discount %', type: 'money', required: true },
    { name: 'tenant_id', label: 'Stall (empty = all)', type: 'ref', ref: 'tenants' },
    { name: 'product_id', label: 'Product (empty = all)', type: 'ref', ref: 'products' },
    { name: 'start_date', label: 'Starts', type: 'datetime' },
    { name: 'end_date', label: 'Ends', type: 'datetime' },
    { name: 'is_active', label: 'Active', type: 'bool', default: true },
  ] },
  // Kitchen printers (docs/protocol.md section 8): central checks them with the hub's own rules.
  printers: { title: 'Printers', fields: [
    { name: 'name', label: 'Name (a-z, 0-9, -)', required: true },
    { name: 'outlet_id', label: 'Outlet', type: 'ref', ref: 'outlets', required: true },
    { name: 'url', label: 'Address (tcp://host:9100 or usb:///dev/usb/lp0)', required: true },
    { name: 'width_mm', label: 'Paper mm (58 or 80)', type: 'int', default: 80 },
    { name: 'tenants', label: 'Stall ids (comma separated, empty = all)', type: 'intlist' },
    { name: 'stations', label: 'Stations (comma separated, empty = all)', type: 'list' },
    { name: 'prints', label: 'Prints (kitchen, ready, cancelled)', type: 'list', default: ['kitchen'] },
    { name: 'backup', label: 'Backup printer', default: '' },
    { name: 'backup_after_seconds', label: 'Backup after (s)', type: 'int', default: 120, hideInTable: true },
    { name: 'hold_after_minutes', label: 'Hold after (min)', type: 'int', default: 30, hideInTable: true },
    { name: 'status_query', label: 'Answers status queries', type: 'bool', default: true, hideInTable: true },
  ] },
};

/** Display text of one value in a table cell. */
export function cellText(field, value, refs) {
  if (value == null || value === '') return '—';
  switch (field.type) {
    case 'bool': return value ? 'yes' : 'no';
    case 'modifiers': return Array.isArray(value) && value.length ? value.map((g) => `${g.name} (${g.options.length})`).join(', ') : '—';
    case 'list': case 'intlist': return Array.isArray(value) ? value.join(', ') || '—' : String(value);
    case 'ref': return refs[field.ref]?.find((r) => r.id === value)?.name ?? `#${value}`;
    case 'datetime': return new Date(value).toLocaleString();
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
  if (f.type === 'bool') return h('label.check', {}, h('input', { type: 'checkbox', name: f.name, checked: !!v, style: { width: '22px', minHeight: '22px' } }), f.label);
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
  return h('label', {}, f.label, el);
}

/** Open the edit dialog; resolves with the body to save, or null. */
export function editDialog(modal, kind, item, refs) {
  const spec = KINDS[kind];
  return new Promise((resolve) => {
    const close = (v) => { modal.classList.add('hidden'); mount(modal); resolve(v); };
    const form = h('form', { onsubmit: (ev) => { ev.preventDefault(); close(formToBody(spec.fields, form)); } },
      spec.fields.map((f) => input(f, item?.[f.name], refs)),
      h('div.actions', {}, h('button.ghost', { type: 'button', onclick: () => close(null) }, 'Cancel'),
        h('button.primary', { type: 'submit', dataset: { testid: 'save' } }, 'Save')));
    mount(modal, h('div.dialog', {}, h('h2', {}, item?.id != null ? `Edit ${item.name}` : `New ${spec.title.toLowerCase().replace(/s$/, '')}`), form));
    modal.classList.remove('hidden');
  });
}

export function catalogTable(kind, items, refs, { onEdit, onDelete }) {
  const cols = KINDS[kind].fields.filter((f) => !f.hideInTable);
  return h('table.table', { dataset: { testid: `${kind}-table` } },
    h('thead', {}, h('tr', {}, cols.map((f) => h('th', {}, f.label.replace(/ \(.*\)$/, ''))), h('th', {}))),
    h('tbody', {}, items.length ? items.map((it) => h('tr', { dataset: { id: it.id } },
      cols.map((f) => h('td', {}, cellText(f, it[f.name], refs))),
      h('td.actions', {}, h('button', { onclick: () => onEdit(it) }, 'Edit'), h('button.danger', { onclick: () => onDelete(it) }, 'Delete'))))
      : h('tr', {}, h('td', { colSpan: cols.length + 1, class: 'muted' }, 'Nothing yet.'))));
}
