// Kitchen printers on the kitchen screen: an "offline" banner from hub_status.printers,
// the held tickets (too old to print by themselves) with Print / Dismiss, and reprint.

import { h, mount } from '../shared/dom.js';
import { t, errorText } from '../shared/i18n.js';

const HELD_REASON = { too_old: 'kitchen.held_too_old' };
const HELD_KIND = { kitchen: 'kitchen.held_kind_kitchen', ready: 'kitchen.held_kind_ready', cancelled: 'kitchen.held_kind_cancelled' };

async function post(fetchImpl, path, body = {}) {
  const res = await fetchImpl(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), cache: 'no-store' });
  const answer = await res.json().catch(() => null);
  if (!res.ok) throw new Error(answer?.error?.message || `HTTP ${res.status}`);
  return answer;
}

export class PrinterPanel {
  /** `banner` shows offline printers, `heldEl` the held tickets; `toast(text)` reports results. */
  constructor({ banner, heldEl, toast, fetchImpl = (...a) => globalThis.fetch(...a) }) {
    // The device session's fetch: with pairing required it carries the kitchen's token.
    this.fetch = fetchImpl;
    this.banner = banner;
    this.heldEl = heldEl;
    this.toast = toast;
    this.printers = [];
    this.heldShown = -1;
  }

  /** Feed every socket message here; `connected` and `hub_status` carry the printers. */
  onMessage(msg) {
    const status = msg.type === 'hub_status' ? msg.payload : (msg.type === 'connected' ? msg.payload?.hub_status : null);
    if (status) this.update(status.printers || []);
  }

  update(printers) {
    this.printers = printers;
    const down = printers.filter((p) => p.state === 'offline');
    this.banner.classList.toggle('hidden', !down.length);
    mount(this.banner, down.map((p) => h('span', { dataset: { testid: 'printer-offline', printer: p.name } },
      t('kitchen.printer_offline', { printer: p.name, reason: p.reason ? ` (${p.reason})` : '' }))));
    const held = printers.reduce((n, p) => n + (p.held || 0), 0);
    if (held !== this.heldShown) this.refreshHeld();
  }

  async refreshHeld() {
    try {
      const res = await this.fetch('/api/printers', { cache: 'no-store' });
      if (!res.ok) return;
      const { held } = await res.json();
      this.heldShown = held.length;
      this.heldEl.classList.toggle('hidden', !held.length);
      mount(this.heldEl, held.length ? [h('b', {}, t('kitchen.held_count', { n: held.length })),
        ...held.map((j) => h('div.held-row', { dataset: { testid: 'held-ticket', job: String(j.id) } },
          h('span', {}, `${j.order_number} · ${HELD_KIND[j.kind] ? t(HELD_KIND[j.kind]) : j.kind} · ${j.printer} · ${t(HELD_REASON[j.reason] || 'kitchen.held_earlier_day')}`),
          h('button.kbtn', { onclick: () => this.decide(j.id, 'print') }, t('common.print')),
          h('button.kbtn', { onclick: () => this.decide(j.id, 'dismiss') }, t('common.dismiss'))))] : []);
    } catch { /* hub unreachable: the connection pill already says so */ }
  }

  async decide(job, action) {
    try { await post(this.fetch, `/api/printers/held/${job}/${action}`); } catch (err) { this.toast(t(action === 'print' ? 'kitchen.could_not_print' : 'kitchen.could_not_dismiss', { error: errorText(err) })); }
    this.refreshHeld();
  }

  /** Reprint an order's kitchen ticket on the printers that print it. */
  async reprint(uuid) {
    if (!this.printers.length) { this.toast(t('kitchen.no_printer')); return; }
    try {
      const { queued } = await post(this.fetch, `/api/orders/${encodeURIComponent(uuid)}/reprint`);
      this.toast(t('kitchen.reprinting', { printers: queued.map((q) => q.printer).join(', ') }));
    } catch (err) { this.toast(t('kitchen.could_not_reprint', { error: errorText(err) })); }
  }
}
