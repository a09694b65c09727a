// The outlet's trading day in the screen's local time: before `day_starts_at` (default
// 04:00) it is still yesterday's. The same rule as outlet_protocol/business_day.py. Pure.

export const DEFAULT_DAY_START = '04:00';

function startMinutes(dayStartsAt) {
  const m = /^(\d{2}):(\d{2})$/.exec(String(dayStartsAt || ''));
  return m ? Number(m[1]) * 60 + Number(m[2]) : 4 * 60;
}

/** The trading day (YYYY-MM-DD, local) that the moment `ms` belongs to. */
export function businessDay(ms, dayStartsAt = DEFAULT_DAY_START) {
  const d = new Date(ms);
  if (d.getHours() * 60 + d.getMinutes() < startMinutes(dayStartsAt)) d.setDate(d.getDate() - 1);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** True when a ticket created at `createdAt` (ISO) belongs to a trading day before `now`'s. */
export function fromEarlierDay(createdAt, now, dayStartsAt = DEFAULT_DAY_START) {
  const t = Date.parse(createdAt || '');
  if (Number.isNaN(t)) return false;
  return businessDay(t, dayStartsAt) < businessDay(now, dayStartsAt);
}
