// Every word an app shows comes from a catalog here (i18n/id.js, i18n/en.js); money, numbers,
// dates and times go through Intl with the outlet's locale and currency (decision 0901).
// The outlet (GET /api/outlet: locale "id-ID", currency "IDR") sets the default; a screen may
// pick the other language from its menu, remembered in localStorage. No framework: t(key),
// a few formatters, and data-i18n attributes for the static HTML.

import id from './i18n/id.js';
import en from './i18n/en.js';

export const CATALOGS = Object.freeze({ id, en });
export const LANGUAGES = Object.freeze(['id', 'en']);
export const DEFAULT_LOCALE = 'id-ID';
export const DEFAULT_CURRENCY = 'IDR';
const LANG_KEY = 'outlet-hub.lang';
const USUAL_REGION = { id: 'ID', en: 'US' };
// Currencies whose cents nobody writes (ISO 4217 still gives IDR two decimals; old ICU follows it).
const NO_MINOR_UNIT = new Set(['IDR', 'JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX']);

const state = { lang: 'id', region: 'ID', currency: DEFAULT_CURRENCY, outletLang: 'id' };
const listeners = new Set();
const formatters = new Map();

/** "id", "en-us", "id_ID" → "id-ID", "en-US"; anything unknown → the default locale. */
export function normalizeLocale(value) {
  const m = /^([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?$/.exec(String(value ?? '').trim());
  if (!m || !LANGUAGES.includes(m[1].toLowerCase())) return DEFAULT_LOCALE;
  const lang = m[1].toLowerCase();
  return `${lang}-${(m[2] || USUAL_REGION[lang]).toUpperCase()}`;
}

function storage() {
  try { return globalThis.localStorage || null; } catch { return null; } // file:// or a locked-down browser
}

/**
 * An error as staff read it: the catalog's words for its code (error.*) when it has one,
 * else its own message (a server's validation text, a browser's storage error).
 */
export function errorText(err) {
  const key = `error.${err?.code}`;
  return typeof err?.code === 'string' && key in CATALOGS.en ? t(key) : String(err?.message ?? err);
}

/** A kind of screen as the hub names it (pos, kitchen, board, display) in words. */
export function screenType(type) {
  return ['pos', 'kitchen', 'board', 'display'].includes(type) ? t(`pairing.type_${type}`) : type;
}

/** A hub's update state (idle, waiting_window, rolled_back, …, decision 1101) in words; an unknown one as sent. */
export function updateState(state) {
  const key = `update.state_${state}`;
  return key in CATALOGS.en ? t(key) : String(state);
}

/** The language shown now ("id" | "en"). */
export function language() { return state.lang; }
/** The BCP 47 locale for Intl: the shown language in the outlet's region ("en-ID" reads Rp 45.000). */
export function formatLocale() { return `${state.lang}-${state.region}`; }
/** The outlet's currency (ISO 4217). */
export function currency() { return state.currency; }

/**
 * Take the outlet's locale and currency (from /api/outlet) and the language this screen
 * remembered, then translate the page. Call once at start and again when the outlet changes.
 */
export function configure({ locale, currency: cur } = {}) {
  const [lang, region] = normalizeLocale(locale || DEFAULT_LOCALE).split('-');
  state.outletLang = lang;
  state.region = region;
  state.currency = /^[A-Za-z]{3}$/.test(String(cur || '')) ? String(cur).toUpperCase() : DEFAULT_CURRENCY;
  const saved = storage()?.getItem(LANG_KEY);
  apply(LANGUAGES.includes(saved) ? saved : lang);
}

/** Switch this screen's language (from its menu) and remember it; `null` follows the outlet again. */
export function setLanguage(lang) {
  const s = storage();
  if (lang == null) s?.removeItem(LANG_KEY); else if (LANGUAGES.includes(lang)) s?.setItem(LANG_KEY, lang);
  apply(LANGUAGES.includes(lang) ? lang : state.outletLang);
}

function apply(lang) {
  const changed = lang !== state.lang;
  state.lang = lang;
  formatters.clear();
  if (typeof document !== 'undefined') {
    document.documentElement.lang = formatLocale();
    translatePage(document);
  }
  if (changed) for (const fn of listeners) fn(lang);
}

/** Call `fn(lang)` after every language switch (to redraw what JS drew); returns an unsubscribe. */
export function onLanguageChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/**
 * The text for `key` in the shown language, `{name}` filled from `params`. A value may be
 * {one, other} (English plurals); `params.n` picks the form. A key missing from the shown
 * catalog falls back to English, then to the key itself (the catalog test stops that).
 */
export function t(key, params = {}) {
  let text = CATALOGS[state.lang][key] ?? CATALOGS.en[key] ?? key;
  if (typeof text === 'object') {
    const form = new Intl.PluralRules(state.lang).select(Number(params.n) || 0);
    text = text[form] ?? text.other;
  }
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}

/**
 * The text for `key` as a list of strings and elements: each `{name}` with an element in
 * `parts` (a <code> sample, a link) stands where the translation puts it; for h()/append().
 */
export function fill(key, parts) {
  return t(key).split(/(\{\w+\})/).map((bit) => { const m = /^\{(\w+)\}$/.exec(bit); return m && parts[m[1]] ? parts[m[1]] : bit; });
}

function formatter(kind, options) {
  const key = `${kind}:${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    try {
      f = kind === 'date' ? new Intl.DateTimeFormat(formatLocale(), options) : new Intl.NumberFormat(formatLocale(), options);
    } catch (err) {
      if (kind === 'date') throw err; // an unknown time zone: the caller decides
      // Safari < 14.1 has no currencyDisplay "narrowSymbol": the code (IDR 45.000) is still right.
      const { currencyDisplay, ...rest } = options;
      f = new Intl.NumberFormat(formatLocale(), { ...rest, currencyDisplay: currencyDisplay === 'narrowSymbol' ? 'symbol' : currencyDisplay });
    }
    formatters.set(key, f);
  }
  return f;
}

/** Integer cents as the outlet's money: "Rp 45.000" (id-ID, IDR), "Rp 45,000" (en-US, IDR), "$4.50". */
export function money(cents, { currency: cur = state.currency } = {}) {
  const frac = Math.abs(cents) % 100 !== 0;
  const whole = NO_MINOR_UNIT.has(cur) ? 0 : undefined;
  const digits = frac ? 2 : whole;
  return formatter('number', { style: 'currency', currency: cur, currencyDisplay: 'narrowSymbol',
    ...(digits != null ? { minimumFractionDigits: digits, maximumFractionDigits: digits } : {}) }).format(cents / 100);
}

/** A count or measure with the locale's grouping: 12.345 (id) / 12,345 (en). */
export function number(n, options = {}) { return formatter('number', options).format(n); }

/** Clock time: "14.05" (id) / "2:05 PM" (en-US). */
export function time(when, { seconds = false } = {}) {
  return formatter('date', { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) }).format(new Date(when));
}

/**
 * Date and time, medium length: "1 Des 2026, 14.05". `timeZone` (IANA) shows it as the
 * outlet's clock reads it; a zone this browser does not know falls back to its own clock.
 */
export function dateTime(when, { timeZone } = {}) {
  if (timeZone) {
    try { return formatter('date', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(when)); } catch { /* below */ }
  }
  return formatter('date', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(when));
}

/** A calendar day "YYYY-MM-DD" (a trading day) as the locale writes it: "1 Des 2026" / "Dec 1, 2026". */
export function date(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day ?? ''));
  if (!m) return String(day ?? '');
  // Noon UTC shown in UTC: the same calendar day whatever zone this browser is in.
  return formatter('date', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], 12)));
}

/** A duration in seconds, short: "45 dtk", "12 mnt", "3 jam", "2 hari" / "45 s", "12 min", …. */
export function duration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return t('time.seconds', { n: s });
  if (s < 3600) return t('time.minutes', { n: Math.round(s / 60) });
  if (s < 172800) return t('time.hours', { n: Math.round(s / 3600) });
  return t('time.days', { n: Math.round(s / 86400) });
}

/** "3 mnt lalu" / "3 min ago" since an ISO time; "belum pernah"/"never" when missing. */
export function ago(iso, now = Date.now()) {
  if (!iso) return t('time.never');
  return t('time.ago', { time: duration((now - Date.parse(iso)) / 1000) });
}

/**
 * Translate static markup (the <title> too): data-i18n (text), data-i18n-placeholder,
 * data-i18n-aria-label, data-i18n-title. What JS draws calls t() itself and redraws on a switch.
 */
export function translatePage(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const [attr, prop] of [['placeholder', 'i18nPlaceholder'], ['aria-label', 'i18nAriaLabel'], ['title', 'i18nTitle']]) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.dataset[prop]));
  }
}

/** The language menu a screen shows: each language named in itself; a switch is remembered. */
export function languagePicker(doc = document) {
  const sel = doc.createElement('select');
  sel.className = 'lang-picker';
  sel.dataset.testid = 'language';
  sel.setAttribute('aria-label', `${CATALOGS.id['lang.label']} / ${CATALOGS.en['lang.label']}`);
  for (const lang of LANGUAGES) {
    const opt = doc.createElement('option');
    opt.value = lang;
    opt.textContent = CATALOGS[lang][`lang.${lang}`];
    opt.lang = lang;
    sel.append(opt);
  }
  sel.value = state.lang;
  sel.addEventListener('change', () => setLanguage(sel.value));
  onLanguageChange((lang) => { sel.value = lang; });
  return sel;
}
