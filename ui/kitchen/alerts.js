// New-ticket alerts: a WebAudio beep (no sound file to download) and a system notification
// when the cook allowed them. Browsers start audio only after a user gesture.

import { t as tr } from '../shared/i18n.js';

export class TicketAlerts {
  constructor() { this.ctx = null; }

  /** Call from a tap/click handler: creates or resumes the AudioContext. */
  unlock() {
    try {
      if (!this.ctx) this.ctx = new (window.AudioContext || window.webkitAudioContext)();
      if (this.ctx.state === 'suspended') this.ctx.resume();
    } catch { this.ctx = null; }
    return this.ready;
  }

  get ready() { return !!this.ctx && this.ctx.state === 'running'; }

  /** Two short rising tones (880 Hz then 1320 Hz): audible over a kitchen fan. */
  beep() {
    if (!this.ready) return;
    const t0 = this.ctx.currentTime;
    for (const [i, f] of [880, 1320].entries()) {
      const osc = this.ctx.createOscillator();
      const gain = this.ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.18 + 0.16);
      osc.connect(gain).connect(this.ctx.destination);
      osc.start(t0 + i * 0.18);
      osc.stop(t0 + i * 0.18 + 0.17);
    }
  }

  notify(tickets) {
    if (!('Notification' in window) || Notification.permission !== 'granted' || !document.hidden) return;
    for (const t of tickets.slice(0, 3)) {
      try {
        new Notification(tr('kitchen.notify_title', { number: t.order_number }), {
          body: `${t.items.map((i) => `${i.qty}× ${i.name}`).join(', ')}${t.tenant_name ? ` — ${t.tenant_name}` : ''}`,
          tag: t.uuid,
        });
      } catch { /* some browsers only allow notifications from a service worker */ }
    }
  }
}
