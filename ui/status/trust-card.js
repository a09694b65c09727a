// The status page's "Secure access" card (decision 1001): the hub's LAN certificate (until
// when, renewing from when, the names it covers) and the one-time downloads a device needs
// to trust HQ's CA — with QR codes a phone can scan (they point at plain HTTP on purpose:
// a device that does not trust the CA yet cannot fetch it over HTTPS).

import { h } from '../shared/dom.js';
import { t, CATALOGS, dateTime } from '../shared/i18n.js';

const LEVEL = { ok: 'ok', expiring: 'warn', expired: 'bad', broken: 'bad', none: 'muted', disabled: 'muted' };
// Each download: its label's catalog key and the file /trust/ serves.
const DOWNLOADS = [
  ['trust.for_devices', 'outlet-ca.crt'],
  ['trust.for_apple', 'outlet-ca.mobileconfig'],
  ['trust.for_kiosks', 'chromium-policy.json'],
];

const day = (iso) => (iso ? dateTime(iso) : '—');
const stateText = (state) => (`trust.cert_${state}` in CATALOGS.en ? t(`trust.cert_${state}`) : state);

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
  // `k` is a catalog key; the test id stays its English word (tls-valid-until) in either language.
  const kv = (k, v, level) => [h('dt', {}, t(k)), h('dd', { dataset: { testid: `tls-${CATALOGS.en[k].toLowerCase().replace(/\W+/g, '-')}` } },
    level ? h('span', { class: `dot ${level}` }) : null, v ?? '—')];
  const hasCa = !['none', 'disabled'].includes(state);
  return h('section.card.wide', { dataset: { testid: 'status-tls', state } }, h('h2', {}, t('trust.title')),
    h('dl.kv', {},
      kv('trust.certificate', stateText(state), LEVEL[state] || 'warn'),
      kv('trust.valid_until', day(tls.not_after)),
      kv('trust.renews_from', day(tls.renew_from)),
      kv('trust.names', (tls.names || []).join(', ') || '—'),
      kv('trust.https_address', https ? h('a', { href: https }, https) : t('trust.not_serving'))),
    hasCa ? h('div.trust', {},
      h('p', {}, t('trust.explain')),
      h('ul', {}, h('li', {}, h('a', { href: '/ca.pem', download: 'outlet-ca.pem' }, t('trust.pem'))),
        DOWNLOADS.map(([label, file]) => h('li', {}, h('a', { href: `/trust/${file}`, download: file, dataset: { testid: `trust-${file}` } }, t(label))))),
      h('div.qrs', {}, DOWNLOADS.slice(0, 2).map(([label, file]) => h('figure', {},
        h('img', { src: `/trust/qr.svg?file=${encodeURIComponent(file)}`, alt: t('trust.qr_alt', { label: t(label) }), width: 148, height: 148 }),
        h('figcaption', {}, t(label)))))) : null);
}
