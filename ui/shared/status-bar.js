// What the kiosk's status bar says. `connectionMode` is pure; `renderStatusBar` only
// writes into the element it is given. Words come from the catalogs (i18n.js).

import { t, duration } from './i18n.js';

export const MENU_STALE_MS = 24 * 3600 * 1000;

/**
 * hubReachable: the hub answered lately (socket open or HTTP ok);
 * central: the hub's view of central ("ok" | "unreachable" | "disabled" | undefined).
 * "disabled" (no central configured: a standalone outlet) counts as fully online.
 */
export function connectionMode({ hubReachable, central }) {
  if (!hubReachable) return 'offline';
  if (central === 'ok' || central === 'disabled') return 'online';
  return 'sync-only';
}

const MODE_KEY = Object.freeze({ online: 'conn.online', 'sync-only': 'conn.sync_only', offline: 'conn.offline' });

/** The pill's label and hint for a mode, in the screen's language. */
export function modeText(mode) { return { label: t(MODE_KEY[mode]), hint: t(`${MODE_KEY[mode]}_hint`) }; }

/** The whole status line as data (so tests can check it without a DOM). */
export function statusModel({ hubReachable, central, waiting = 0, menuFetchedAt = null, now = Date.now() }) {
  const mode = connectionMode({ hubReachable, central });
  const menuStale = menuFetchedAt != null && now - menuFetchedAt > MENU_STALE_MS;
  const noMenu = menuFetchedAt == null;
  return {
    mode, ...modeText(mode), waiting,
    waitingText: waiting === 0 ? '' : t('conn.waiting', { n: waiting }),
    menuWarning: noMenu ? t('conn.menu_not_loaded') : menuStale ? t('conn.menu_stale', { age: ageText(now - menuFetchedAt) }) : '',
  };
}

export function ageText(ms) { return duration(Math.max(60, ms / 1000)); }

/** Draw the model into `el` (a <div class="status-bar">). */
export function renderStatusBar(el, model) {
  el.dataset.mode = model.mode;
  el.innerHTML = '';
  const doc = el.ownerDocument;
  const pill = doc.createElement('span');
  pill.className = 'status-pill';
  pill.dataset.testid = 'connection-mode';
  pill.textContent = model.label;
  pill.title = model.hint;
  el.append(pill);
  const waiting = doc.createElement('span');
  waiting.className = 'status-waiting';
  waiting.dataset.testid = 'queue-count';
  waiting.dataset.count = String(model.waiting);
  waiting.textContent = model.waitingText;
  el.append(waiting);
  if (model.menuWarning) {
    const w = doc.createElement('span');
    w.className = 'status-warning';
    w.textContent = `⚠ ${model.menuWarning}`;
    el.append(w);
  }
}
