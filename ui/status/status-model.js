// Turns the hub's /api/outlet, /api/status and /health answers into what the IT page shows.
// Pure but for the words, which come from the catalogs (i18n.js).

import { t, CATALOGS, duration, updateState } from '../shared/i18n.js';

const LEVEL = { ok: 'ok', connected: 'ok', disabled: 'muted', unreachable: 'bad', disconnected: 'bad', degraded: 'warn' };

export function levelOf(v) { return LEVEL[v] || (v ? 'warn' : 'muted'); }

export function ageText(seconds) {
  if (seconds == null || !Number.isFinite(Number(seconds))) return '—';
  return duration(seconds);
}

/** A state word from the hub (ok, connected, unreachable, …) in the screen's language. */
export function valueText(v) {
  const key = `status.value_${v}`;
  return key in CATALOGS.en ? t(key) : v;
}

/** Counts of connected clients by type from /clients or a {type: n} map. */
export function clientsByType(src) {
  if (!src) return null;
  if (Array.isArray(src.clients)) {
    const out = {};
    for (const c of src.clients) out[c.type || 'display'] = (out[c.type || 'display'] || 0) + 1;
    return out;
  }
  if (typeof src === 'object') return { ...src };
  return null;
}

/** Overall verdict shown at the top: hub is fine / degraded and why / not answering. */
export function overall({ status, health, reachable }) {
  if (!reachable) return { level: 'bad', text: t('status.not_answering') };
  const why = [];
  if (status?.central === 'unreachable') why.push(t('status.central_unreachable'));
  if (status?.mqtt === 'disconnected') why.push(t('status.mqtt_down'));
  for (const p of status?.printers || []) if (p.state === 'offline') why.push(t('status.printer_offline', { name: p.name }));
  if (health?.status === 'degraded' && !why.length) why.push(t('status.degraded'));
  // A background task restarting is not "offline": name it (issue 13, supervised tasks).
  const restarting = (status?.tasks || []).filter((t) => t.state === 'restarting').map((t) => t.name);
  if (restarting.length && !why.length) return { level: 'warn', text: t('status.recovering', { tasks: restarting.join(', ') }) };
  return why.length ? { level: 'warn', text: t('status.working_offline', { why: why.join(', ') }) } : { level: 'ok', text: t('status.all_normal') };
}

/** Enrollment: explicit `enrolled`, else inferred from central being configured and answering. */
export function enrollment(outlet, status) {
  if (outlet?.enrolled === true) return 'enrolled';
  if (outlet?.enrolled === false) return status?.central === 'disabled' ? 'standalone' : 'not_enrolled';
  if (status?.central === 'disabled') return 'standalone';
  if (status?.central === 'ok') return 'enrolled';
  return 'unknown';
}

/** Rows for the "Background work" card: each supervised task, its state and restarts. */
export function taskRows(tasks) {
  return (Array.isArray(tasks) ? tasks : []).map((task) => ({
    name: String(task.name),
    text: task.state === 'restarting' ? t('status.task_restarting', { n: task.restarts, error: task.last_error || t('status.task_error') })
      : task.restarts ? t('status.task_running_restarts', { n: task.restarts }) : t('status.task_running'),
    level: task.state === 'restarting' ? 'warn' : 'ok',
  }));
}

/**
 * Rows for the "Software update" card from /health's `update` (decision 1101); [] when off.
 * `name` is a catalog key: the page shows it translated and keeps the English word as test id.
 */
export function updateRows(health) {
  const u = health?.update;
  if (!u || typeof u !== 'object') return [];
  const bad = u.state === 'rolled_back' || u.state === 'failed';
  const rows = [
    { name: 'status.update_running', text: health.version || '—', level: bad ? 'warn' : 'ok' },
    { name: 'status.update_target', text: u.target || health.version || '—' },
    { name: 'status.update_state', text: updateState(u.state), level: bad ? 'bad' : u.state === 'waiting_window' ? 'warn' : 'ok' },
  ];
  if (u.last_error) rows.push({ name: 'status.update_why', text: String(u.last_error), level: bad ? 'bad' : 'warn' });
  return rows;
}
