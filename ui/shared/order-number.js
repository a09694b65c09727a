// Human order numbers unique across devices without coordination: a per-device prefix
// (chosen once, kept in storage) plus a per-device counter, e.g. "Q7XK-0042".
// Four characters from a 28-symbol alphabet give 614,656 prefixes, so two of 20 kiosks
// in a food court share one with odds of about 1 in 3,000; a prefix can also be set
// explicitly (?device=K1) when IT wants short numbers.

const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'.slice(0, 28); // no I, L, O, 0, 1: read aloud safely

/** A random device code of `len` letters/digits from the unambiguous alphabet. */
export function randomDeviceCode(len = 4, random = Math.random) {
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

/** Clean a user-supplied prefix: upper case, A-Z/0-9/-, at most 16 characters. */
export function sanitizePrefix(raw) {
  const s = String(raw || '').toUpperCase().replace(/[^A-Z0-9-]/g, '').slice(0, 16);
  return s || null;
}

/** Format one number: prefix, dash, counter zero-padded to 4 (grows past 9999). */
export function formatOrderNumber(prefix, counter) {
  return `${prefix}-${String(counter).padStart(4, '0')}`;
}

/**
 * Allocator over a key/value storage ({getItem,setItem}, e.g. localStorage).
 * The counter is persisted BEFORE the number is returned, so a crash never reuses one.
 */
export class OrderNumberAllocator {
  constructor(storage, { prefix = null, random = Math.random, key = 'outlet-hub.order-number' } = {}) {
    this.storage = storage;
    this.key = key;
    const saved = this.#load();
    const wanted = sanitizePrefix(prefix);
    this.prefix = wanted || saved.prefix || randomDeviceCode(4, random);
    this.counter = wanted && wanted !== saved.prefix ? 0 : saved.counter || 0;
    this.#save();
  }

  #load() {
    try {
      const v = JSON.parse(this.storage.getItem(this.key) || 'null');
      return v && typeof v === 'object' ? v : {};
    } catch { return {}; }
  }

  #save() {
    this.storage.setItem(this.key, JSON.stringify({ prefix: this.prefix, counter: this.counter }));
  }

  /** The next number; never repeats on this device. */
  next() {
    this.counter += 1;
    this.#save();
    return formatOrderNumber(this.prefix, this.counter);
  }
}
