// Service worker: keeps the app shell (HTML, JS, CSS) so an open kiosk or kitchen tab can
// reload while the hub restarts. Network first (a fresh deploy wins at once), cache when the
// network fails. Orders and status (/api/…) are never answered from a cache: the menu is
// kept by the page itself in IndexedDB, and order freshness matters more than speed.

const CACHE = 'outlet-hub-shell-v5';
const SHELL = [
  '/', '/kiosk/', '/kitchen/', '/board/',
  '/shared/base.css', '/shared/shell-guard.js', '/shared/dom.js', '/shared/idb.js', '/shared/backoff.js', '/shared/money.js',
  '/shared/order-number.js', '/shared/promotions.js', '/shared/cart.js', '/shared/order-queue.js',
  '/shared/order-sender.js', '/shared/sync-client.js', '/shared/menu-cache.js', '/shared/status-bar.js',
  '/shared/hub-link.js', '/shared/uuid.js', '/shared/ticket-store.js', '/shared/ticket-timer.js',
  '/shared/poll-policy.js', '/shared/kitchen-feed.js', '/shared/pairing.js', '/shared/pairing-view.js',
  '/shared/device-session.js', '/shared/order-progress.js', '/shared/i18n.js', '/shared/i18n/id.js', '/shared/i18n/en.js',
  '/shared/abort.js', '/shared/modifiers.js', '/shared/sold-out.js', '/shared/business-day.js',
  '/kiosk/kiosk.js', '/kiosk/kiosk-view.js', '/kiosk/kiosk.css',
  '/kitchen/kitchen.js', '/kitchen/kitchen-view.js', '/kitchen/kitchen-settings.js', '/kitchen/alerts.js', '/kitchen/printer-panel.js', '/kitchen/kitchen-keys.js', '/kitchen/sold-out-panel.js', '/kitchen/kitchen.css',
  '/board/board.js', '/board/board.css',
  '/status/status.js', '/status/status-model.js', '/status/status.css', '/status/screens.js', '/status/printers-card.js', '/status/today-card.js',
  '/status/trust-card.js',
];
const NEVER_CACHE = /^\/(api|ws|health|clients|metrics|emit|trust|ca\.pem)(\/|$)/;
const NETWORK_TIMEOUT_MS = 4000; // a hub that accepts but hangs must not freeze a reload

// AbortSignal.timeout is Safari 16 / Chrome 103 (ui/shared/abort.js says why; a classic
// service worker cannot import that module).
function timeoutSignal(ms) {
  if (typeof AbortSignal.timeout === 'function') return AbortSignal.timeout(ms);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
}

self.addEventListener('install', (event) => {
  // One missing file must not block the rest: cache what answers.
  event.waitUntil(caches.open(CACHE).then((c) => Promise.all(SHELL.map((u) => c.add(u).catch(() => null)))).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('outlet-hub-shell-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request, { signal: timeoutSignal(NETWORK_TIMEOUT_MS) });
    if (res.ok && res.type === 'basic') cache.put(request, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (NEVER_CACHE.test(url.pathname)) return; // straight to the network, no respondWith
  event.respondWith(networkFirst(event.request));
});
