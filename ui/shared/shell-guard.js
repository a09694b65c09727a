// Loaded by every page's index.html as a classic script ahead of its stylesheets and modules.
// Wi-Fi that roams while a page loads (Chromium's net::ERR_NETWORK_CHANGED, a DHCP renewal)
// aborts the requests in flight. A module lost that way fails the whole module graph, and the
// screen stays blank (or bare, for a stylesheet) until somebody reloads it; on a first visit
// the service worker has nothing cached to fall back on. This reloads the page instead,
// 1, 2, 4 … 30 s apart (the count in sessionStorage, cleared by the next script that loads).
// Should this file itself be lost, its tag's onerror reloads once after 3 s.
(() => {
  const KEY = 'outlet-hub.shell-retries';
  let reloading = false;
  document.addEventListener('error', (e) => {
    const el = e.target;
    const shell = el instanceof HTMLScriptElement || (el instanceof HTMLLinkElement && el.rel === 'stylesheet');
    if (!shell || reloading) return;
    reloading = true;
    const n = Number(sessionStorage.getItem(KEY)) || 0;
    sessionStorage.setItem(KEY, String(n + 1));
    setTimeout(() => location.reload(), Math.min(30000, 1000 * 2 ** n));
  }, true);
  // A load event at an element does not reach window (HTML spec), so this listens on document.
  document.addEventListener('load', (e) => {
    if (e.target instanceof HTMLScriptElement) sessionStorage.removeItem(KEY);
  }, true);
})();
