// The hub status page's "Today" card (issue 14): the trading day's orders from the hub's own
// database (`/api/status` → `today`), so a manager sees the day without central.

import { h } from '../shared/dom.js';

// Issue 14 strings, kept together for the message catalogs.
export const TODAY_TEXT = {
  title: (day) => `Today (${day})`,
  orders: 'Orders', open: 'Still open', completed: 'Completed', cancelled: 'Cancelled',
  since: (at) => `Counted since ${at}`,
};

/** The card, or null when the hub did not report today's figures. */
export function todayCard(today) {
  if (!today) return null;
  const row = (key, label) => [h('dt', {}, label), h('dd', { dataset: { testid: `today-${key}` } }, String(today[key] ?? 0))];
  return h('section.card', { dataset: { testid: 'status-today' } }, h('h2', {}, TODAY_TEXT.title(today.business_day)),
    h('dl.kv', {}, row('orders', TODAY_TEXT.orders), row('open', TODAY_TEXT.open),
      row('completed', TODAY_TEXT.completed), row('cancelled', TODAY_TEXT.cancelled)),
    today.since ? h('p.muted', {}, TODAY_TEXT.since(new Date(today.since).toLocaleString())) : null);
}
