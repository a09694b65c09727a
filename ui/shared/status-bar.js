// What the kiosk's status bar says. `connectionMode` is pure; `renderStatusBar` only
// writes into the element it is given.

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

export const MODE_TEXT = Object.freeze({
  online: { label: 'Online', hint: 'Orders go straight to the kitchen' },
  'sync-only': { label: 'Sync only', hint: 'No internet: kitchen still gets orders, HQ syncs later' },
  offline: { label: 'Offline', hint: 'Hub not reachable: orders are kept on this device and sent automatically' },
});

/** The whole status line as data (so tests can check it without a DOM). */
export function statusModel({ hubReachable, central, waiting = 0, menuFetchedAt = null, now = Date.now() }) {
  const mode = connectionMode({ hubReachable, central });
  const menuStale = menuFetchedAt != null && now - menuFetchedAt > MENU_STALE_MS;
  const noMenu = menuFetchedAt == null;
  return {
    mode, ...MODE_TEXT[mode], waiting,
    waitingText: waiting === 0 ? '' : `${waiting} order${waiting === 1 ? '' : 's'} waiting to send`,
    menuWarning: noMenu ? 'Menu not loaded yet' : menuStale ? `Menu last updated ${ageText(now - menuFetchedAt)} ago` : '',
  };
}

export function ageText(ms) {
  const m = Math.round(ms / 60000);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} days`;
}

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
