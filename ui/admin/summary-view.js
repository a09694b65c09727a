// The admin panel's daily summary (issue 14): per outlet and stall, one trading day, with a
// CSV download. Figures come from central's `/api/admin/summary`.

import { h, mount } from '../shared/dom.js';
import { t, money, number, duration, date, dateTime, errorText } from '../shared/i18n.js';
import { toCents } from '../shared/money.js';

const columns = () => [t('summary.col_stall'), t('summary.col_orders'), t('summary.col_items'), t('summary.col_revenue'),
  t('summary.col_avg_time'), t('summary.col_cancelled')];

/** Draw the view into `view` (tools into `tools`); `state` keeps the outlet and day picked. */
export async function renderSummary(api, { view, tools, title, outlets, state, flash }) {
  title.textContent = t('summary.title');
  if (!outlets.length) { mount(tools); mount(view, h('p.muted', {}, t('summary.empty'))); return; }
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
    } catch (err) { flash(errorText(err), true); }
  };
  mount(tools, h('div.summary-tools', {},
    h('label', {}, t('summary.outlet'), outletSel), h('label', {}, t('summary.day'), dayInput),
    h('button', { onclick: show, dataset: { testid: 'summary-show' } }, t('summary.show')),
    h('button.primary', { onclick: download, dataset: { testid: 'summary-csv' } }, t('summary.csv'))));
  const s = await api.summary(state.outletId, state.date);
  if (!state.date) dayInput.value = s.business_day;
  // Revenue in the outlet's own currency (central keeps it per outlet, decision 0901).
  const currency = outlets.find((o) => o.id === state.outletId)?.currency || undefined;
  const cash = (cents) => money(cents, currency ? { currency } : {});
  const sum = (k) => s.rows.reduce((n, r) => n + Number(r[k] || 0), 0);
  const revenue = (r) => { try { return toCents(r.revenue ?? '0'); } catch { return 0; } };
  const when = (iso) => dateTime(iso, { timeZone: s.timezone });
  mount(view, h('p.muted', { dataset: { testid: 'summary-day', day: s.business_day } },
    t('summary.day_note', { day: date(s.business_day), from: when(s.from), to: when(s.to), zone: s.timezone, starts: s.day_starts_at })),
  h('table.table', { dataset: { testid: 'summary-table' } },
    h('thead', {}, h('tr', {}, columns().map((c) => h('th', {}, c)))),
    h('tbody', {}, s.rows.length ? s.rows.map((r) => h('tr', { dataset: { testid: 'summary-row', tenantId: r.tenant_id ?? '' } },
      h('td', {}, r.tenant_name || `#${r.tenant_id ?? '—'}`), h('td', { dataset: { testid: 'orders' } }, number(r.orders)),
      h('td', { dataset: { testid: 'items' } }, number(r.items)), h('td', { dataset: { testid: 'revenue', cents: String(revenue(r)) } }, cash(revenue(r))),
      h('td', { dataset: { testid: 'avg-ticket-time' } }, r.avg_ticket_seconds == null ? '—' : duration(r.avg_ticket_seconds)),
      h('td', { dataset: { testid: 'cancellations' } }, number(r.cancellations))))
      : h('tr', {}, h('td', { colSpan: 6, class: 'muted' }, t('summary.empty')))),
    s.rows.length > 1 ? h('tfoot', {}, h('tr', {}, h('th', {}, t('summary.total')), h('th', {}, number(sum('orders'))), h('th', {}, number(sum('items'))),
      h('th', {}, cash(s.rows.reduce((n, r) => n + revenue(r), 0))), h('th', {}, ''), h('th', {}, number(sum('cancellations'))))) : null));
}
