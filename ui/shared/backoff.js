// Retry delays: exponential with full jitter, capped. Pure; `random` is injectable for tests.
// Base 1 s and cap 30 s: a hub restart takes ~2-5 s, so the first retries land right after it,
// and 30 s keeps a whole food court of tablets from hammering a hub that is down for hours.

export const DEFAULT_BACKOFF = Object.freeze({ baseMs: 1000, capMs: 30000, factor: 2, jitter: 0.5 });

/** Delay before retry number `attempt` (0 = first retry). */
export function backoffDelay(attempt, opts = {}, random = Math.random) {
  const { baseMs, capMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...opts };
  const n = Math.max(0, Math.floor(attempt));
  const raw = Math.min(capMs, baseMs * Math.pow(factor, Math.min(n, 30)));
  // Keep (1 - jitter) of the delay fixed so retries never collapse to 0 ms.
  return Math.round(raw * (1 - jitter) + raw * jitter * random());
}
