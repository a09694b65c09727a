// A very small promise wrapper over IndexedDB (one database, object stores keyed by a path)
// and an in-memory twin with the same interface for Node tests.
// Interface of a store: get(key), put(value), delete(key), getAll(), clear().

const DB_NAME = 'outlet-hub';
const DB_VERSION = 1;
// Every store the apps use, with its key path; adding one means bumping DB_VERSION.
export const STORES = Object.freeze({ queue: 'uuid', menu: 'kind', kv: 'key' });

function req2promise(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Open (and create or upgrade) the apps' database. */
export function openDatabase(idb = globalThis.indexedDB, name = DB_NAME) {
  if (!idb) return Promise.reject(new Error('IndexedDB is not available in this browser'));
  return new Promise((resolve, reject) => {
    const req = idb.open(name, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const [store, keyPath] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store, { keyPath });
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('IndexedDB upgrade blocked by another tab'));
  });
}

/** One object store; every write waits for the transaction to COMMIT before resolving. */
export class IdbStore {
  constructor(db, name) { this.db = db; this.name = name; }

  #run(mode, fn) {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(this.name, mode, { durability: 'strict' });
      let result;
      const req = fn(tx.objectStore(this.name));
      req.onsuccess = () => { result = req.result; };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
    });
  }

  get(key) { return this.#run('readonly', (s) => s.get(key)); }
  put(value) { return this.#run('readwrite', (s) => s.put(value)); }
  delete(key) { return this.#run('readwrite', (s) => s.delete(key)); }
  getAll() { return this.#run('readonly', (s) => s.getAll()); }
  clear() { return this.#run('readwrite', (s) => s.clear()); }
}

// structuredClone is Safari 15.4 / Chrome 98; the records are plain JSON, so a JSON copy is
// the same thing on older tablets.
const copy = (v) => (typeof structuredClone === 'function' ? structuredClone(v) : v === undefined ? v : JSON.parse(JSON.stringify(v)));

/** Same interface in memory (tests, and a last resort when IndexedDB is unavailable). */
export class MemoryStore {
  constructor(keyPath) { this.keyPath = keyPath; this.map = new Map(); }
  async get(key) { return copy(this.map.get(key)); }
  async put(value) { this.map.set(value[this.keyPath], copy(value)); }
  async delete(key) { this.map.delete(key); }
  async getAll() { return [...this.map.values()].map((v) => copy(v)); }
  async clear() { this.map.clear(); }
}

/** All stores of the database, falling back to memory (and saying so) without IndexedDB. */
export async function openStores(idb = globalThis.indexedDB) {
  try {
    const db = await openDatabase(idb);
    return { persistent: true, ...Object.fromEntries(Object.keys(STORES).map((n) => [n, new IdbStore(db, n)])) };
  } catch (err) {
    console.error('IndexedDB unavailable, orders will not survive a reload:', err);
    return { persistent: false, ...Object.fromEntries(Object.entries(STORES).map(([n, k]) => [n, new MemoryStore(k)])) };
  }
}
