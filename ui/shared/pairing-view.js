// The full-screen pairing view every hub-served screen shows until the manager approves it:
// the code in large digits, what the screen will be paired as, a PIN field for the manager
// on the spot, and the HQ alternative. Draws PairingFlow's state; only wiring, no rules.

import { h, mount } from './dom.js';

const TYPE_TEXT = { pos: 'Kiosk / till', kitchen: 'Kitchen screen', board: 'Order-ready board', display: 'Display' };

/** "123456" → "123 456" for reading aloud over the phone to HQ. */
export function spacedCode(code) { return String(code || '').replace(/^(\d{3})(\d{3})$/, '$1 $2'); }

/** One overlay element appended to <body>; returns {update(state), remove()}. */
export function showPairingView({ identity, outletName = '', stallText = '', onPin, onAskAgain }) {
  const root = h('div.pairing', { dataset: { testid: 'pairing' }, role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Pair this screen' });
  document.body.append(root);
  const pin = h('input.pairing-pin', { type: 'password', inputMode: 'numeric', autocomplete: 'off', maxLength: 12,
    placeholder: 'Manager PIN', 'aria-label': 'Manager PIN', dataset: { testid: 'pairing-pin' } });
  const form = h('form.pairing-form', { onsubmit: (ev) => { ev.preventDefault(); onPin(pin.value); } },
    pin, h('button.primary', { type: 'submit', dataset: { testid: 'pairing-approve' } }, 'Approve here'));

  function update(state) {
    const code = state.code ? spacedCode(state.code) : '· · ·';
    mount(root, h('div.pairing-card', {},
      h('p.pairing-kicker', {}, outletName ? `${outletName} · Outlet Hub` : 'Outlet Hub'),
      h('h1', {}, 'Pair this screen'),
      h('p.pairing-as', { dataset: { testid: 'pairing-as' } }, 'Will be paired as ',
        h('strong', {}, TYPE_TEXT[identity.client_type] || identity.client_type),
        stallText ? [' for ', h('strong', {}, stallText)] : null,
        identity.name && !(stallText && identity.name.includes(stallText)) ? h('span.muted', {}, ` (“${identity.name}”)`) : null),
      h('div.pairing-code', { dataset: { testid: 'pairing-code', code: state.code || '' }, 'aria-live': 'polite' }, code),
      state.phase === 'rejected'
        ? h('div.pairing-rejected', {}, h('p', {}, state.message),
          h('button.primary', { onclick: onAskAgain, dataset: { testid: 'pairing-again' } }, 'Ask again'))
        : [form,
          h('p.pairing-error', { dataset: { testid: 'pairing-error' }, role: 'alert' }, state.pinError || ''),
          h('p.pairing-hq', {}, state.code ? `or approve code ${state.code} in the HQ admin panel` : 'Asking the hub for a code…')],
      h('p.pairing-note.muted', { dataset: { testid: 'pairing-message' } }, state.message || 'This screen carries on by itself once approved.')));
    form.querySelector('button').disabled = !!state.pinBusy || !state.code;
  }

  return { update, remove: () => root.remove(), pinInput: pin };
}
