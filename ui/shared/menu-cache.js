// The menu (products, categories, promotions, tenants) fetched incrementally from the hub's
// cache of central's master data and kept in IndexedDB, so the kiosk sells with no network.

export const MENU_KINDS = Object.freeze(['products', 'categories', 'promotions', 'tenants']);

/** Merge one page of `{<kind>: [...], deleted: [ids], current_version}` into a list. */
export function mergeMasterData(existing, page, kind) {
  const byId = new Map((existing || []).map((x) => [x.id, x]));
  for (const item of page[kind] || page.results || []) byId.set(item.id, item);
  for (const id of page.deleted || []) byId.delete(typeof id === 'object' ? id.id : id);
  return [...byId.values()];
}

export class MenuCache {
  constructor(store, { fetchImpl = (...a) => globalThis.fetch(...a), base = '', now = () => Date.now() } = {}) {
    this.store = store; // keyPath "kind": {kind, items, version, fetched_at}
    this.fetch = fetchImpl;
    this.base = base;
    this.now = now;
    this.data = Object.fromEntries(MENU_KINDS.map((k) => [k, { kind: k, items: [], version: 0, fetched_at: null }]));
  }

  /** Load what this device saved earlier. */
  async load() {
    for (const k of MENU_KINDS) {
      const saved = await this.store.get(k);
      if (saved) this.data[k] = saved;
    }
    return this;
  }

  /** Fetch changes since our versions; returns true if anything changed. Throws when unreachable. */
  async refresh() {
    let changed = false;
    for (const kind of MENU_KINDS) {
      const cur = this.data[kind];
      let version = cur.version || 0;
      let items = cur.items;
      for (let page = 0; page < 50; page++) { // 50 pages bound a buggy has_more loop
        const res = await this.fetch(`${this.base}/api/master-data/${kind}?since_version=${version}`, { cache: 'no-store' });
        if (!res.ok) throw new Error(`menu ${kind}: HTTP ${res.status}`);
        const body = await res.json();
        // With has_more, page by the rows' own versions (central gives every row one) so a
        // global current_version can never skip the rows of the next page.
        const rowVersions = (body[kind] || []).map((x) => Number(x.version)).filter(Number.isFinite);
        const next = body.has_more && rowVersions.length ? Math.max(...rowVersions) : Number(body.current_version ?? version);
        const hasItems = (body[kind] || []).length || (body.deleted || []).length;
        if (hasItems || next !== version) changed = true;
        if (next < version) items = []; // central was reset: start over rather than mix two histories
        items = mergeMasterData(items, body, kind);
        version = next;
        if (!body.has_more) break;
      }
      this.data[kind] = { kind, items, version, fetched_at: this.now() };
      await this.store.put(this.data[kind]);
    }
    return changed;
  }

  items(kind) { return this.data[kind]?.items || []; }
  get version() { return this.data.products?.version || 0; }

  /** When the menu was last confirmed fresh from the hub (oldest kind), or null. */
  get fetchedAt() {
    const times = MENU_KINDS.map((k) => this.data[k]?.fetched_at);
    return times.some((t) => t == null) ? null : Math.min(...times);
  }

  /** Products a customer can buy: available, sorted by category order then name. */
  sellable() {
    return this.items('products').filter((p) => p.is_available !== false && p.available !== false && p.active !== false);
  }
}
