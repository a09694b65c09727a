// The message catalogs and the Intl formatting every app uses (ui/shared/i18n.js, decision 0901).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { CATALOGS, LANGUAGES, configure, setLanguage, t, money, number, duration, date, dateTime, normalizeLocale, language } from '../shared/i18n.js';

const nbsp = (s) => s.replace(/\u00a0/g, ' ');
const placeholders = (v) => [...JSON.stringify(v).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every catalog has every key another catalog has', () => {
  for (const a of LANGUAGES) {
    for (const b of LANGUAGES) {
      const missing = Object.keys(CATALOGS[a]).filter((k) => !(k in CATALOGS[b]));
      assert.deepEqual(missing, [], `${b} lacks keys that ${a} has`);
    }
  }
});

test('a translation fills the same placeholders as the English text', () => {
  for (const [key, en] of Object.entries(CATALOGS.en)) {
    assert.deepEqual([...new Set(placeholders(CATALOGS.id[key]))], [...new Set(placeholders(en))], key);
  }
});

test('no catalog value is empty', () => {
  for (const lang of LANGUAGES) {
    for (const [key, v] of Object.entries(CATALOGS[lang])) {
      for (const text of typeof v === 'object' ? Object.values(v) : [v]) assert.ok(String(text).trim(), `${lang} ${key}`);
    }
  }
});

// Every .js and .html file of the apps (not the tests, not the catalogs): {rel, src}.
function uiSources() {
  const root = new URL('../', import.meta.url);
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(new URL(dir, root), { withFileTypes: true })) {
      const rel = `${dir}${e.name}`;
      if (e.isDirectory()) { if (!['tests', 'i18n'].includes(e.name)) walk(`${rel}/`); continue; }
      if (/\.(js|html)$/.test(e.name)) out.push({ rel, src: readFileSync(new URL(rel, root), 'utf8') });
    }
  };
  walk('');
  return out;
}

test('every key the apps ask for is in the catalogs', () => {
  // t('a.b'), data-i18n="a.b", data-i18n-*="a.b" and template keys t(`progress.${…}`) in ui/.
  const asked = new Set();
  for (const { src } of uiSources()) {
    for (const m of src.matchAll(/\b(?:t|tr|translate)\('([a-z_]+\.[a-z0-9_]+)'|data-i18n(?:-[a-z-]+)?="([a-z_]+\.[a-z0-9_]+)"|label: '([a-z_]+\.[a-z0-9_]+)'/g)) asked.add(m[1] || m[2] || m[3]);
  }
  assert.ok(asked.size > 150, `found only ${asked.size} keys: the scan is broken`);
  assert.deepEqual([...asked].filter((k) => !(k in CATALOGS.en)), []);
});

// String literals of a JS source with the 40 characters before each (comments skipped;
// a template literal's ${…} parts become \u0000).
function literals(src) {
  const out = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') { i = src.indexOf('\n', i); if (i < 0) break; continue; }
    if (c === '/' && src[i + 1] === '*') { i = src.indexOf('*/', i) + 1; continue; }
    if (c !== "'" && c !== '"' && c !== '`') continue;
    const start = i;
    let text = '';
    for (i++; i < src.length && src[i] !== c; i++) {
      if (src[i] === '\\') { text += src[++i]; continue; }
      if (c === '`' && src[i] === '$' && src[i + 1] === '{') {
        text += '\u0000';
        let depth = 1;
        for (i += 2; depth && i < src.length; i++) { if (src[i] === '{') depth++; else if (src[i] === '}') depth--; }
        i--;
        continue;
      }
      text += src[i];
    }
    out.push({ text, before: src.slice(Math.max(0, start - 40), start), line: src.slice(0, start).split('\n').length });
  }
  return out;
}

// Where prose may stand in code: logs and thrown errors that carry a code (errorText() shows
// the catalog's words for the code), class names, and a shell command shown as <code>.
const NOT_SHOWN = [/(Error|console\.\w+|lost|warn|querySelector(All)?|closest)\(\s*$/, /'[a-z_]+',\s*$/, /class:\s*$/, /h\('code', \{\}, $/];

test('no app hard-codes a sentence: prose in ui/ code and markup comes from the catalogs', () => {
  const found = [];
  for (const { rel, src } of uiSources()) {
    if (rel.endsWith('.html')) {
      // Text in markup sits in an element that names its catalog key (the page translates it).
      for (const m of src.matchAll(/<([a-z0-9]+)([^>]*)>([^<]*[A-Za-z]{2}[^<]*)</g)) {
        if (!/data-i18n=/.test(m[2]) && m[1] !== 'script') found.push(`${rel}: <${m[1]}> ${m[3].trim()}`);
      }
    } else {
      for (const l of literals(src)) {
        const prose = l.text.split('\u0000').some((part) => /[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}/.test(part));
        if (prose && !NOT_SHOWN.some((re) => re.test(l.before))) found.push(`${rel}:${l.line}: ${JSON.stringify(l.text)}`);
      }
    }
  }
  assert.deepEqual(found, []);
});

// Branches written before the catalogs parked their words in const objects (MENU_TEXT,
// KEY_TEXT, SUMMARY_TEXT, …) for this move; single words ("Sold out", "Keys") slip past the
// prose scan above, so such an object anywhere in ui/ fails here, and each module that
// draws words must take them from i18n.js.
test('no module keeps its words in a *_TEXT object; the menus, day-close and keys modules use the catalogs', () => {
  const parked = [];
  for (const { rel, src } of uiSources()) {
    for (const m of src.matchAll(/\bconst\s+([A-Z][A-Z0-9_]*_TEXT)\s*=/g)) parked.push(`${rel}: ${m[1]}`);
  }
  assert.deepEqual(parked, []);
  const sources = new Map(uiSources().map(({ rel, src }) => [rel, src]));
  for (const rel of ['kiosk/kiosk-view.js', 'kitchen/kitchen-view.js', 'kitchen/kitchen-keys.js', 'kitchen/sold-out-panel.js',
    'admin/modifier-editor.js', 'admin/summary-view.js', 'admin/admin.js', 'status/today-card.js']) {
    assert.match(sources.get(rel), /from '\.\.\/shared\/i18n\.js'/, `${rel} does not import the catalogs`);
  }
});

test('trading days, ticket times and modifier prices read in the locale', () => {
  configure({ locale: 'id-ID', currency: 'IDR' });
  assert.equal(nbsp(date('2026-12-01')), '1 Des 2026');
  assert.equal(duration(312), '5 mnt');
  assert.equal(nbsp(money(500000)), 'Rp 5.000');
  assert.equal(t('kiosk.choose_up_to', { n: 2 }), 'Pilih maks. 2');
  configure({ locale: 'en-US', currency: 'IDR' });
  assert.equal(nbsp(date('2026-12-01')), 'Dec 1, 2026');
  assert.equal(t('kitchen.yesterday', { n: 3 }), 'Yesterday (3)');
  // The outlet's zone, not the browser's: 21:00 UTC is 04:00 the next day in Jakarta.
  assert.match(nbsp(dateTime('2026-11-30T21:00:00Z', { timeZone: 'Asia/Jakarta' })), /^Dec 1, 2026, 4:00 AM$/);
  assert.match(nbsp(dateTime('2026-11-30T21:00:00Z', { timeZone: 'Not/AZone' })), /2026/); // unknown zone: no throw
  configure({ locale: 'id-ID', currency: 'IDR' });
});

test('IDR has no minor unit: Rp 45.000 in id-ID, Rp 45,000 in en-US', () => {
  configure({ locale: 'id-ID', currency: 'IDR' });
  assert.equal(language(), 'id');
  assert.equal(nbsp(money(4500000)), 'Rp 45.000');
  assert.equal(nbsp(money(1234567800)), 'Rp 12.345.678');
  assert.equal(number(12345), '12.345');
  configure({ locale: 'en-US', currency: 'IDR' });
  assert.equal(language(), 'en');
  assert.equal(nbsp(money(4500000)), 'Rp 45,000');
  configure({ locale: 'en-SG', currency: 'SGD' });
  assert.match(nbsp(money(450)), /^\$4\.50$/);
});

test('the outlet locale picks the language; a screen can switch and the region stays', () => {
  configure({ locale: 'id-ID', currency: 'IDR' });
  assert.equal(t('board.ready'), 'Siap');
  setLanguage('en');
  assert.equal(t('board.ready'), 'Ready');
  assert.equal(nbsp(money(4500000)), 'Rp 45.000'); // English words, Indonesian digits (en-ID)
  setLanguage(null);
  assert.equal(t('board.ready'), 'Siap');
});

test('plural forms and placeholders', () => {
  configure({ locale: 'en-US' });
  assert.equal(t('conn.waiting', { n: 1 }), '1 order waiting to send');
  assert.equal(t('conn.waiting', { n: 3 }), '3 orders waiting to send');
  assert.equal(duration(3 * 86400), '3 days');
  configure({ locale: 'id-ID' });
  assert.equal(t('conn.waiting', { n: 3 }), '3 pesanan menunggu dikirim');
  assert.equal(duration(90), '2 mnt');
});

test('locales normalise like the hub and central do (outlet_protocol/locales.py)', () => {
  assert.equal(normalizeLocale('id'), 'id-ID');
  assert.equal(normalizeLocale('en'), 'en-US');
  assert.equal(normalizeLocale('en_gb'), 'en-GB');
  assert.equal(normalizeLocale('fr-FR'), 'id-ID');
  assert.equal(normalizeLocale(undefined), 'id-ID');
});
