// Decimal money as strings on the wire ("45000", "12.50"); integer cents in memory, never floats.
// Display ("Rp 45.000") is i18n.js money(): Intl with the outlet's locale and currency.

/** Parse a decimal string (or integer) into integer cents; throws on garbage. */
export function toCents(value) {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`bad amount: ${value}`);
    return Math.round(value * 100);
  }
  const s = String(value ?? '').trim();
  const m = /^(-)?(\d*)(?:\.(\d{0,}))?$/.exec(s);
  if (!m || (m[2] === '' && !m[3])) throw new TypeError(`bad amount: ${JSON.stringify(value)}`);
  const frac = (m[3] || '').padEnd(3, '0');
  let cents = Number(m[2] || '0') * 100 + Number(frac.slice(0, 2));
  if (Number(frac[2]) >= 5) cents += 1; // half-up on the third decimal
  return m[1] ? -cents : cents;
}

/** Integer cents back to the wire form: "90000" when whole, "90000.50" otherwise. */
export function fromCents(cents) {
  const neg = cents < 0;
  const abs = Math.abs(Math.round(cents));
  const whole = Math.floor(abs / 100);
  const frac = abs % 100;
  const s = frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}
