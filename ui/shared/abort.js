// Timeouts for fetch. AbortSignal.timeout is Chrome 103 / Safari 16, newer than the tablets
// outlets keep (.browserslistrc: Safari 15, Chrome 84): there a bare call threw, so the
// kitchen's polling fallback never fetched. AbortController + setTimeout does the same job.

/** A signal that aborts after `ms` milliseconds, on every target browser. */
export function timeoutSignal(ms, { timers = globalThis } = {}) {
  if (typeof AbortSignal.timeout === 'function') return AbortSignal.timeout(ms);
  const controller = new AbortController();
  timers.setTimeout(() => controller.abort(), ms);
  return controller.signal;
}
