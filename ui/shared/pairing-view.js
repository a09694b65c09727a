// The full-screen pairing view every hub-served screen shows until the manager approves it:
// the code in large digits, what the screen will be paired as, a PIN field for the manager
// on the spot, and the HQ alternative. Draws PairingFlow's state; only wiring, no rules.

import { h, mount } from './dom.js';
import { t, screenType } from './i18n.js';

/** "123456" → "123 456" for reading aloud over the phone to HQ. */
export function spacedCode(code) { return String(code || '').replace(/^(\d{3})(\d{3})$/, '$1 $2'); }

/** One overlay element appended to <body>; returns {update(state), remove()}. */
export function showPairingView({ identity, outletName = '', stallText = '', onPin, onAskAgain }) {
  const root = h('div.pairing', { dataset: { testid: 'pairing' }, role: 'dialog', 'aria-modal': 'true', 'aria-label': t('pairing.title') });
  document.body.append(root);
  const pin = h('input.pairing-pin', { type: 'password', inputMode: 'numeric', autocomplete: 'off', maxLength: 12,
    placeholder: t('pairing.manager_pin'), 'aria-label': t('pairing.manager_pin'), dataset: { testid: 'pairing-pin' } });
  const form = h('form.pairing-form', { onsubmit: (ev) => { ev.preventDefault(); onPin(pin.value); } },
    pin, h('button.primary', { type: 'submit', dataset: { testid: 'pairing-approve' } }, t('pairing.approve_here')));

  function update(state) {
    const code = state.code ? spacedCode(state.code) : '· · ·';
    mount(root, h('div.pairing-card', {},
      h('p.pairing-kicker', {}, outletName ? `${outletName} · ${t('common.brand')}` : t('common.brand')),
      h('h1', {}, t('pairing.title')),
      h('p.pairing-as', { dataset: { testid: 'pairing-as' } }, `${t('pairing.paired_as')} `,
        h('strong', {}, screenType(identity.client_type)),
        stallText ? [` ${t('pairing.for')} `, h('strong', {}, stallText)] : null,
        identity.name && !(stallText && identity.name.includes(stallText)) ? h('span.muted', {}, ` (“${identity.name}”)`) : null),
      h('div.pairing-code', { dataset: { testid: 'pairing-code', code: state.code || '' }, 'aria-live': 'polite' }, code),
      state.phase === 'rejected'
        ? h('div.pairing-rejected', {}, h('p', {}, state.message),
          h('button.primary', { onclick: onAskAgain, dataset: { testid: 'pairing-again' } }, t('pairing.ask_again')))
        : [form,
          h('p.pairing-error', { dataset: { testid: 'pairing-error' }, role: 'alert' }, state.pinError || ''),
          h('p.pairing-hq', {}, state.code ? t('pairing.approve_at_hq', { code: state.code }) : t('pairing.asking'))],
      h('p.pairing-note.muted', { dataset: { testid: 'pairing-message' } }, state.message || t('pairing.carries_on'))));
    form.querySelector('button').disabled = !!state.pinBusy || !state.code;
  }

  return { update, remove: () => root.remove(), pinInput: pin };
}
