// The admin panel's daily summary (issue 14): per outlet and stall, one trading day, with a
// CSV download. Figures come from central's `/api/admin/summary`.

import { h, mount } from '../shared/dom.js';

// Issue 14 strings, kept together for the message catalogs.
export const SUMMARY_TEXT = {
  title: 'Daily summary',
  outlet: 'Outlet', day: 'Trading day', show: 'Show', csv: 'Download CSV',
  columns: ['Stall', 'Orders', 'Items', 'Revenue', 'Avg. ticket time', 'Cancelled'],
  empty: 'No orders on this day.',
  dayNote: (s) => `Trading day ${s.business_day}: from ${new Date(s.from).toLocaleString()} to ${new Date(s.to).toLocaleString()} (${s.timezone}, starts ${s.day_starts_at})`,
  total: 'Total',
};

function minutes(seconds) {
  if (seconds == null) return '—';
  const m = Math.floor(seconds / 60);
  return `${m}:${String(Math.round(seconds - m * 60)).padStart(2, '0')}`;
}

/** Draw the view into `view` (tools into `tools`); `state` keeps the outlet and day picked. */
export async function renderSummary(api, { view, tools, title, outlets, state, flash }) {
  title.textContent = SUMMARY_TEXT.title;
  if (!outlets.length) { mount(tools); mount(view, h('p.muted', {}, SUMMARY_TEXT.empty)); return; }
  if (state.outletId == null) state.outletId = outlets[0].id;
  const outletSel = h('select', { dataset: { testid: 'summary-outlet' } },
    outlets.map((o) => h('option', { value: o.id, selected: o.id === state.outletId }, o.name)));
  const dayInput = h('input', { type: 'date', value: state.date || '', dataset: { testid: 'summary-date' } });
  const show = () => { state.outletId = Number(outletSel.value); state.date = dayInput.value || null;
    renderSummary(api, { view, tools, title, outlets, state, flash }); };
  const download = async () => {
    try {
      const text = await api.summaryCsv(state.outletId, state.date);
      const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })),
        download: `summary-outlet${state.outletId}-${state.date || 'today'}.csv` });
      document.body.append(a); a.click(); a.remove();
    } catch (err) { flash(err.message, true); }
  };
  mount(tools, h('div.summary-tools', {},
    h('label', {}, SUMMARY_TEXT.outlet, outletSel), h('label', {}, SUMMARY_TEXT.day, dayInput),
    h('button', { onclick: show, dataset: { testid: 'summary-show' } }, SUMMARY_TEXT.show),
    h('button.primary', { onclick: download, dataset: { testid: 'summary-csv' } }, SUMMARY_TEXT.csv)));
  const s = await api.summary(state.outletId, state.date);
  if (!state.date) dayInput.value = s.business_day;
  const sum = (k) => s.rows.reduce((n, r) => n + Number(r[k] || 0), 0);
  mount(view, h('p.muted', { dataset: { testid: 'summary-day', day: s.business_day } }, SUMMARY_TEXT.dayNote(s)),
    h('table.table', { dataset: { testid: 'summary-table' } },
      h('thead', {}, h('tr', {}, SUMMARY_TEXT.columns.map((c) => h('th', {}, c)))),
      h('tbody', {}, s.rows.length ? s.rows.map((r) => h('tr', { dataset: { testid: 'summary-row', tenantId: r.tenant_id ?? '' } },
        h('td', {}, r.tenant_name || `#${r.tenant_id ?? '—'}`), h('td', { dataset: { testid: 'orders' } }, r.orders),
        h('td', { dataset: { testid: 'items' } }, r.items), h('td', { dataset: { testid: 'revenue' } }, r.revenue),
        h('td', {}, minutes(r.avg_ticket_seconds)), h('td', { dataset: { testid: 'cancellations' } }, r.cancellations)))
        : h('tr', {}, h('td', { colSpan: 6, class: 'muted' }, SUMMARY_TEXT.empty))),
      s.rows.length > 1 ? h('tfoot', {}, h('tr', {}, h('th', {}, SUMMARY_TEXT.total), h('th', {}, sum('orders')), h('th', {}, sum('items')),
        h('th', {}, String(sum('revenue'))), h('th', {}, ''), h('th', {}, sum('cancellations')))) : null));
}
