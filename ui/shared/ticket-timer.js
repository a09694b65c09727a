// Ticket age and its colour. Pure. Defaults: yellow at 5 min, red at 10 min.

export const DEFAULT_THRESHOLDS = Object.freeze({ warnMinutes: 5, lateMinutes: 10 });

/** Milliseconds since the order was created (or first seen when created_at is missing/bad). */
export function ticketAgeMs(ticket, now = Date.now()) {
  const start = Date.parse(ticket.created_at) || ticket.seen_at || now;
  return Math.max(0, now - start);
}

/** "ok" | "warn" | "late" for an age in ms. */
export function timerLevel(ageMs, { warnMinutes, lateMinutes } = DEFAULT_THRESHOLDS) {
  if (ageMs >= lateMinutes * 60000) return 'late';
  if (ageMs >= warnMinutes * 60000) return 'warn';
  return 'ok';
}

/** "m:ss" under an hour, "h:mm:ss" above. */
export function formatAge(ageMs) {
  const s = Math.floor(ageMs / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Read thresholds from saved settings, falling back to the defaults on nonsense. */
export function parseThresholds(saved) {
  const warn = Number(saved?.warnMinutes);
  const late = Number(saved?.lateMinutes);
  const w = Number.isFinite(warn) && warn > 0 ? warn : DEFAULT_THRESHOLDS.warnMinutes;
  const l = Number.isFinite(late) && late > w ? late : Math.max(w + 1, DEFAULT_THRESHOLDS.lateMinutes);
  return { warnMinutes: w, lateMinutes: l };
}
