// The status page's "Secure access" card (decision 1001): the hub's LAN certificate (until
// when, renewing from when, the names it covers) and the one-time downloads a device needs
// to trust HQ's CA — with QR codes a phone can scan (they point at plain HTTP on purpose:
// a device that does not trust the CA yet cannot fetch it over HTTPS).

import { h } from '../shared/dom.js';

const LEVEL = { ok: 'ok', expiring: 'warn', expired: 'bad', broken: 'bad', none: 'muted', disabled: 'muted' };
const TEXT = {
  ok: 'valid', expiring: 'renewal overdue — reconnect the hub to central', expired: 'expired — browsers refuse HTTPS',
  broken: 'unreadable', none: 'none yet (issued by central after enrollment)', disabled: 'off on this hub',
};
const DOWNLOADS = [
  ['Android, ChromeOS, Windows, macOS', 'outlet-ca.crt'],
  ['iPhone and iPad (profile)', 'outlet-ca.mobileconfig'],
  ['Chromium kiosks (managed policy)', 'chromium-policy.json'],
];

const day = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** The https:// address of this page's host, or null while the hub serves no HTTPS. */
export function httpsAddress(tls, loc = location) {
  if (!tls?.serving) return null;
  return `https://${loc.hostname.includes(':') ? `[${loc.hostname}]` : loc.hostname}:${tls.https_port}/`;
}

/** The card; `tls` is the `tls` object of /api/status. */
export function trustCard(tls) {
  if (!tls) return null;
  const state = tls.state || 'none';
  const https = httpsAddress(tls);
  const kv = (k, v, level) => [h('dt', {}, k), h('dd', { dataset: { testid: `tls-${k.toLowerCase().replace(/\W+/g, '-')}` } },
    level ? h('span', { class: `dot ${level}` }) : null, v ?? '—')];
  const hasCa = !['none', 'disabled'].includes(state);
  return h('section.card.wide', { dataset: { testid: 'status-tls', state } }, h('h2', {}, 'Secure access (HTTPS)'),
    h('dl.kv', {},
      kv('Certificate', TEXT[state] || state, LEVEL[state] || 'warn'),
      kv('Valid until', day(tls.not_after)),
      kv('Renews from', day(tls.renew_from)),
      kv('Names', (tls.names || []).join(', ') || '—'),
      kv('HTTPS address', https ? h('a', { href: https }, https) : 'not serving')),
    hasCa ? h('div.trust', {},
      h('p', {}, 'Each screen trusts this outlet\'s certificate authority once: download and install the file for it, or scan the code with the device.'),
      h('ul', {}, h('li', {}, h('a', { href: '/ca.pem', download: 'outlet-ca.pem' }, 'CA certificate (PEM, Linux)')),
        DOWNLOADS.map(([label, file]) => h('li', {}, h('a', { href: `/trust/${file}`, download: file, dataset: { testid: `trust-${file}` } }, label)))),
      h('div.qrs', {}, DOWNLOADS.slice(0, 2).map(([label, file]) => h('figure', {},
        h('img', { src: `/trust/qr.svg?file=${encodeURIComponent(file)}`, alt: `QR code: ${label}`, width: 148, height: 148 }),
        h('figcaption', {}, label))))) : null);
}
