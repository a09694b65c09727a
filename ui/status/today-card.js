// The hub status page's "Today" card (issue 14): the trading day's orders from the hub's own
// database (`/api/status` → `today`), so a manager sees the day without central.

import { h } from '../shared/dom.js';
import { t, number, date, dateTime } from '../shared/i18n.js';

/** The card, or null when the hub did not report today's figures. */
export function todayCard(today) {
  if (!today) return null;
  const row = (key, label) => [h('dt', {}, label), h('dd', { dataset: { testid: `today-${key}` } }, number(Number(today[key]) || 0))];
  return h('section.card', { dataset: { testid: 'status-today' } }, h('h2', {}, t('status.today_title', { day: date(today.business_day) })),
    h('dl.kv', {}, row('orders', t('status.today_orders')), row('open', t('status.today_open')),
      row('completed', t('status.today_completed')), row('cancelled', t('status.today_cancelled'))),
    today.since ? h('p.muted', {}, t('status.today_since', { time: dateTime(today.since) })) : null);
}
