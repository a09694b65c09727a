// How long to wait before the next HTTP poll of the change feed. Pure.
// 3 s by default (the seed polled every 5 s; cooks notice anything above ~5 s), 1 s while
// orders keep arriving, slowing to 10 s after 5 idle minutes, paused while the tab is hidden,
// backing off to 15 s while the hub does not answer at all.

export const POLL = Object.freeze({ baseMs: 3000, busyMs: 1000, idleMs: 6000, sleepyMs: 10000, maxFailMs: 15000 });

/**
 * @param {{hidden:boolean, lastChanges:number, idleForMs:number, failures:number}} s
 * @returns {number|null} delay in ms, or null for "do not poll now"
 */
export function nextPollDelay({ hidden = false, lastChanges = 0, idleForMs = 0, failures = 0 }, p = POLL) {
  if (hidden) return null;
  if (failures > 0) return Math.min(p.maxFailMs, p.baseMs * Math.pow(2, Math.min(failures - 1, 4)));
  if (lastChanges > 0) return p.busyMs;
  if (idleForMs >= 5 * 60000) return p.sleepyMs;
  if (idleForMs >= 60000) return p.idleMs;
  return p.baseMs;
}
