// The kitchen's sold-out switch (issue 14): the cook who runs out marks the dish, and every
// kiosk of the outlet greys it. Products come from the hub's menu cache, state from
// SoldOutList (pushed by the hub on every change).

import { h, mount } from '../shared/dom.js';
import { SoldOutList } from '../shared/sold-out.js';

// Issue 14 strings, kept together for the message catalogs.
export const SOLD_OUT_TEXT = {
  title: 'Sold out',
  hint: 'Tap a dish when it runs out; every kiosk greys it at once. Tap again when it is back.',
  out: 'Sold out', on: 'On sale',
  failed: (msg) => `Could not change it: ${msg}`,
};

export class SoldOutPanel {
  constructor({ el, fetchImpl, tenantIds = [], toast = () => {} }) {
    this.el = el;
    this.fetch = fetchImpl;
    this.tenantIds = tenantIds;
    this.toast = toast;
    this.products = [];
    this.list = new SoldOutList({ fetchImpl, onChange: () => this.draw() });
  }

  /** A hub message; true when it was a sold-out push. */
  onMessage(m) { return this.list.onMessage(m); }

  async toggle() {
    this.el.classList.toggle('hidden');
    if (this.el.classList.contains('hidden')) return;
    try {
      const res = await this.fetch('/api/master-data/products?since_version=0', { cache: 'no-store' });
      const body = res.ok ? await res.json() : {};
      this.products = (body.products || [])
        .filter((p) => !this.tenantIds.length || this.tenantIds.includes(p.tenant_id))
        .sort((a, b) => String(a.name).localeCompare(String(b.name)));
      await this.list.refresh();
    } catch (err) { this.toast(SOLD_OUT_TEXT.failed(err.message)); }
    this.draw();
  }

  draw() {
    if (this.el.classList.contains('hidden')) return;
    mount(this.el, h('h2', {}, SOLD_OUT_TEXT.title), h('p.muted', {}, SOLD_OUT_TEXT.hint),
      this.products.map((p) => {
        const out = this.list.ids.has(p.id);
        return h('button.row.sold-out-row', { class: out ? 'out' : '', 'aria-pressed': String(out),
          dataset: { testid: 'kitchen-sold-out', productId: p.id, out: out ? '1' : '0' },
          onclick: () => this.list.set(p.id, !out).catch((err) => this.toast(SOLD_OUT_TEXT.failed(err.message))) },
        h('span', {}, p.name), h('b', {}, out ? SOLD_OUT_TEXT.out : SOLD_OUT_TEXT.on));
      }));
  }
}
