// Products the outlet has run out of (issue 14): the hub's `GET /api/sold-out`, kept fresh
// by its `product_availability` pushes; kiosks grey them, a kitchen or POS switches them.

export class SoldOutList {
  constructor({ fetchImpl = (...a) => globalThis.fetch(...a), onChange = () => {} } = {}) {
    this.fetch = fetchImpl;
    this.onChange = onChange;
    this.ids = new Set();
  }

  #replace(ids) {
    const same = ids.size === this.ids.size && [...ids].every((id) => this.ids.has(id));
    if (same) return false;
    this.ids = ids;
    this.onChange(this.ids);
    return true;
  }

  /** Read the whole list from the hub (after a reconnect, on each status poll). */
  async refresh() {
    const res = await this.fetch('/api/sold-out', { cache: 'no-store' });
    if (!res.ok) throw new Error(`sold out: HTTP ${res.status}`);
    const body = await res.json();
    return this.#replace(new Set((body.sold_out || []).map((r) => Number(r.product_id))));
  }

  /** Apply a pushed `product_availability` message; true when it was one. */
  onMessage(m) {
    if (!m || m.type !== 'product_availability' || !m.payload) return false;
    const next = new Set(this.ids);
    if (m.payload.sold_out) next.add(Number(m.payload.product_id)); else next.delete(Number(m.payload.product_id));
    this.#replace(next);
    return true;
  }

  /** Mark (`out` true) or unmark a product at the hub; the push updates every screen. */
  async set(productId, out) {
    const res = await this.fetch(`/api/sold-out/${encodeURIComponent(productId)}`, {
      method: out ? 'PUT' : 'DELETE', headers: { 'Content-Type': 'application/json' }, body: out ? '{}' : undefined,
    });
    const body = await res.json().catch(() => ({}));
    // The code lets the screen word it (errorText: forbidden, not_found, …).
    if (!res.ok) throw Object.assign(new Error(body?.error?.message || `HTTP ${res.status}`), { code: body?.error?.code });
    const next = new Set(this.ids);
    if (out) next.add(Number(productId)); else next.delete(Number(productId));
    this.#replace(next);
    return body;
  }
}
