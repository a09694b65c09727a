// The status page's printers card: each kitchen printer's state, queue and held tickets,
// and a "Test print" button (POST /api/printers/<name>/test) for IT at installation.

import { h } from '../shared/dom.js';
import { t, errorText } from '../shared/i18n.js';
import { managerPin, noteFor } from './screens.js';

const LEVEL = { online: 'ok', offline: 'bad', unknown: 'warn' };
const STATE = { online: 'status.printer_online', offline: 'status.printer_offline_state', unknown: 'status.printer_unknown' };

async function testPrint(name, button) {
  button.disabled = true;
  try {
    // A hub with pairing required takes the manager PIN entered under Screens.
    const pin = managerPin();
    const res = await fetch(`/api/printers/${encodeURIComponent(name)}/test`, { method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(pin ? { 'X-Manager-Pin': pin } : {}) }, body: '{}' });
    const body = await res.json().catch(() => null);
    button.textContent = res.ok ? t('status.test_sent') : (res.status === 401 && !pin ? t('status.pin_first') : t('status.refused', { error: noteFor({ code: body?.error?.code, message: body?.error?.message || res.status }) }));
  } catch (err) {
    button.textContent = t('status.failed', { error: errorText({ code: 'network' }) });
  }
  setTimeout(() => { button.disabled = false; button.textContent = t('status.test_print'); }, 4000);
}

/** The card, or null when the hub has no printers. */
export function printersCard(answer) {
  const printers = answer?.printers || [];
  if (!printers.length) return null;
  return h('section.card.wide', { dataset: { testid: 'printers-card' } }, h('h2', {}, t('status.printers')),
    h('dl.kv', {}, printers.map((p) => [
      h('dt', {}, p.name),
      h('dd', { dataset: { testid: `printer-${p.name}`, state: p.state } },
        h('span', { class: `dot ${LEVEL[p.state] || 'warn'}` }),
        t('status.printer_line', { state: STATE[p.state] ? t(STATE[p.state]) : p.state, reason: p.reason ? ` (${p.reason})` : '', queue: p.queue, held: p.held, url: p.url, width: p.width_mm }),
        h('button', { dataset: { testid: `test-print-${p.name}` }, onclick: (ev) => testPrint(p.name, ev.currentTarget) }, t('status.test_print'))),
    ])));
}
