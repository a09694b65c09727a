// A tiny element builder so views stay declarative without a framework.
// h('button.big', {onclick, dataset: {testid: 'x'}}, 'text', child…)

export function h(tag, props = {}, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += ` ${v}`;
    else if (k in el && k !== 'list') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replace all children of `el`. */
export function mount(el, ...children) {
  const kids = children.flat(Infinity).filter((c) => c != null && c !== false);
  if (el.replaceChildren) { el.replaceChildren(...kids); return; }
  el.textContent = ''; // replaceChildren is Chrome 86: older WebViews clear and append
  el.append(...kids);
}

/** Register the root service worker when the browser allows it (secure contexts only). */
export function registerServiceWorker() {
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err) => console.warn('service worker:', err));
  }
}
