// The kitchen's sold-out switch (issue 14): the cook who runs out marks the dish, and every
// kiosk of the outlet greys it. Products come from the hub's menu cache, state from
// SoldOutList (pushed by the hub on every change).

import { h, mount } from '../shared/dom.js';
import { SoldOutList } from '../shared/sold-out.js';
import { t, errorText } from '../shared/i18n.js';

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
    } catch (err) { this.toast(t('sold_out.failed', { error: errorText(err) })); }
    this.draw();
  }

  draw() {
    if (this.el.classList.contains('hidden')) return;
    mount(this.el, h('h2', {}, t('sold_out.title')), h('p.muted', {}, t('sold_out.hint')),
      this.products.map((p) => {
        const out = this.list.ids.has(p.id);
        return h('button.row.sold-out-row', { class: out ? 'out' : '', 'aria-pressed': String(out),
          dataset: { testid: 'kitchen-sold-out', productId: p.id, out: out ? '1' : '0' },
          onclick: () => this.list.set(p.id, !out).catch((err) => this.toast(t('sold_out.failed', { error: errorText(err) }))) },
        h('span', {}, p.name), h('b', {}, t(out ? 'sold_out.out' : 'sold_out.on')));
      }));
  }
}
