// The kitchen without touch: a keyboard or a USB bump bar (it types ordinary keys) drives the
// ticket rail. One table of keys, shown in the Keys sheet and in README / docs/decisions/0920:
//   ← → ↑ ↓ previous / next ticket   1 … 9 the ticket with that badge   Home / End first / last
//   Enter   the ticket's next step (Start → Ready → Bump), the same as its first button
//   R       recall the last bumped ticket   ?  show or hide the keys   Esc  close the sheet
// Keys are left alone while a text field or a sheet has focus, and Enter on a focused button
// stays that button's own click, so typing and tabbing work as usual.

import { h, mount } from '../shared/dom.js';
import { t, onLanguageChange } from '../shared/i18n.js';

// The help sheet's rows: the key caps as printed on a keyboard (not translated) and the
// catalog key of what they do (ui/shared/i18n/*.js).
export const KEY_ROWS = Object.freeze([
  ['← → ↑ ↓', 'keys.move'],
  ['1 … 9', 'keys.number'],
  ['Home / End', 'keys.first_last'],
  ['Enter', 'keys.enter'],
  ['R', 'keys.recall'],
  ['?', 'keys.help'],
  ['Esc', 'keys.close'],
]);

/** What a key does: {move}, {index} (-1 = last), {bump}, {recall}, {help}, {close}, or null. */
export function keyAction(key) {
  switch (key) {
    case 'ArrowRight': case 'ArrowDown': return { move: 1 };
    case 'ArrowLeft': case 'ArrowUp': return { move: -1 };
    case 'Home': return { index: 0 };
    case 'End': return { index: -1 };
    case 'Enter': return { bump: true };
    case 'r': case 'R': return { recall: true };
    case '?': return { help: true };
    case 'Escape': return { close: true };
    default: return /^[1-9]$/.test(key) ? { index: Number(key) - 1 } : null;
  }
}

/** The ticket index selected after `action` among `count`, from `current` (-1 = none). */
export function nextIndex(current, count, action) {
  if (!count) return -1;
  if ('index' in action) {
    if (action.index < 0) return count - 1;
    return action.index < count ? action.index : current; // "7" with five tickets: stay put
  }
  if ('move' in action) {
    if (current < 0) return action.move > 0 ? 0 : count - 1;
    return Math.min(count - 1, Math.max(0, current + action.move));
  }
  return current;
}

/** Listen on `doc`; board is a TicketBoard, the callbacks are the page's buttons. */
export function attachKitchenKeys(doc, { board, recall, toggleHelp, closeSheet, sheetOpen }) {
  doc.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.isComposing) return;
    const action = keyAction(ev.key);
    if (!action) return;
    const target = ev.target instanceof Element ? ev.target : null;
    if (action.close) { if (sheetOpen()) { ev.preventDefault(); closeSheet(); } return; }
    if (target && target.closest('input, select, textarea, [contenteditable]')) return;
    if (action.help) { ev.preventDefault(); toggleHelp(); return; }
    if (sheetOpen()) return;
    if (action.bump) {
      if (target && target.closest('button, a[href]')) return; // that control's own Enter
      const el = board.selectedEl();
      const first = el && el.querySelector('.acts button');
      if (first) { ev.preventDefault(); first.click(); }
      return;
    }
    if (action.recall) { ev.preventDefault(); recall(); return; }
    ev.preventDefault(); // arrows would scroll the rail under the selection
    board.selectIndex(nextIndex(board.selectedIndex(), board.count(), action));
  });
}

/** The Keys sheet: a dialog listing KEY_ROWS in the screen's language; focus goes in on open and back on close. */
export function keysSheet(el, opener) {
  let back = null;
  const isOpen = () => !el.classList.contains('hidden');
  function close() {
    if (!isOpen()) return;
    el.classList.add('hidden');
    mount(el);
    if (back && back.isConnected) back.focus();
  }
  function draw() {
    const done = h('button.primary', { type: 'button', onclick: close, dataset: { testid: 'keys-close' } }, t('common.close'));
    mount(el, h('div.ksheet', { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'keys-title', dataset: { testid: 'keys-sheet' } },
      h('h2', { id: 'keys-title' }, t('keys.title')),
      h('dl.keys', {}, KEY_ROWS.map(([k, what]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, t(what))])),
      h('div.actions', {}, done)));
    return done;
  }
  function open() {
    back = el.ownerDocument.activeElement;
    const done = draw();
    el.classList.remove('hidden');
    done.focus();
  }
  function label() {
    opener.textContent = t('keys.button');
    opener.setAttribute('aria-label', t('keys.button_label'));
  }
  label();
  // A language switch relabels the button and redraws an open sheet (focus back on its Close).
  onLanguageChange(() => { label(); if (isOpen()) draw().focus(); });
  opener.addEventListener('click', () => (isOpen() ? close() : open()));
  return { isOpen, open, close, toggle: () => (isOpen() ? close() : open()) };
}
