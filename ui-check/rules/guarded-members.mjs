// ESLint rule: a web API that a target browser lacks must sit behind a feature test.
// eslint-plugin-compat misses static members (`AbortSignal.timeout`, Chrome 103 / Safari 16,
// the bug that broke polling on older tablets) and methods called on an untyped receiver
// (`el.replaceChildren`, Chrome 86). This rule reads the same MDN data for both:
// - `Iface.member` where Iface is a web-API interface: checked against that entry;
// - `x.member(...)` on anything else: flagged only when EVERY interface that has a member of
//   that name is missing in some target and no ECMAScript built-in has it, so a new DOM
//   method is caught while `list.map()` or our own `store.apply()` are never confused.
// A use counts as guarded inside the consequent of an `if`, a `?:` or the right side of `&&`
// whose test mentions the member's name (`if (AbortSignal.timeout)`, `'replaceChildren' in el`).
import bcd from '@mdn/browser-compat-data' with { type: 'json' };
import browserslist from 'browserslist';

// browserslist family → MDN browser key.
const FAMILY = { chrome: 'chrome', and_chr: 'chrome_android', android: 'webview_android', safari: 'safari',
  ios_saf: 'safari_ios', samsung: 'samsunginternet_android', firefox: 'firefox', edge: 'edge' };

const num = (v) => Number.parseFloat(String(v).replace(/^≤/, ''));

/** The oldest version per MDN browser key among the browserslist entries. */
export function floors(browsers) {
  const out = {};
  for (const entry of browsers) {
    const [family, version] = entry.split(' ');
    const key = FAMILY[family];
    if (!key) continue;
    const v = num(version.split('-')[0]);
    if (!(key in out) || v < out[key]) out[key] = v;
  }
  return out;
}

/** Browsers (MDN key and version) among the floors that lack a feature, or [] when all have it. */
export function missingIn(compat, floorsByKey) {
  const missing = [];
  for (const [key, floor] of Object.entries(floorsByKey)) {
    const raw = compat?.support?.[key];
    const stmts = (Array.isArray(raw) ? raw : [raw]).filter((s) => s && !s.flags && !s.prefix && !s.alternative_name);
    const ok = stmts.some((s) => {
      const added = s.version_added;
      if (added === true) return true;
      if (typeof added !== 'string' || added === 'preview') return false;
      return num(added) <= floor && !(typeof s.version_removed === 'string' && num(s.version_removed) <= floor);
    });
    if (!ok) missing.push(`${key} ${floor}`);
  }
  return missing;
}

function memberIndex() {
  const byName = new Map(); // member name → [compat of each interface's member]
  for (const [iface, data] of Object.entries(bcd.api)) {
    for (const [member, sub] of Object.entries(data)) {
      if (member === '__compat' || !sub?.__compat) continue;
      const name = member.replace(/_static$/, '');
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push({ iface, compat: sub.__compat });
    }
  }
  const builtinNames = new Set();
  for (const data of Object.values(bcd.javascript.builtins)) for (const m of Object.keys(data)) builtinNames.add(m);
  // Intl's constructors sit one level down (Intl.NumberFormat.format, Intl.DateTimeFormat.format):
  // without them every formatter's .format() would read as VideoFrame.format.
  for (const ctor of Object.values(bcd.javascript.builtins.Intl)) {
    if (ctor && typeof ctor === 'object') for (const m of Object.keys(ctor)) builtinNames.add(m);
  }
  return { byName, builtinNames };
}

function mentions(test, names, source) {
  if (!test) return false;
  const text = source.getText(test);
  return names.some((n) => text.includes(n));
}

const exits = (stmt) => stmt.type === 'ReturnStatement' || stmt.type === 'ThrowStatement' ||
  (stmt.type === 'BlockStatement' && stmt.body.length > 0 && exits(stmt.body[stmt.body.length - 1]));

/** Inside a feature test for any of `names`: `if`, `?:`, `&&`, or an earlier `if (!X) return`. */
function guarded(node, names, source) {
  const called = (node.parent.type === 'CallExpression' || node.parent.type === 'NewExpression') && node.parent.callee === node;
  let child = node;
  for (let p = node.parent; p; child = p, p = p.parent) {
    if (p.type === 'IfStatement' && p.consequent === child && mentions(p.test, names, source)) return true;
    if (p.type === 'BlockStatement' || p.type === 'Program' || p.type === 'StaticBlock') {
      for (const stmt of p.body) {
        if (stmt === child) break;
        if (stmt.type === 'IfStatement' && exits(stmt.consequent) && mentions(stmt.test, names, source)) return true;
      }
    }
    if (p.type === 'ConditionalExpression' && child !== p.test && mentions(p.test, names, source)) return true;
    if (p.type === 'LogicalExpression' && p.right === child && mentions(p.left, names, source)) return true;
    // A presence check (`typeof AbortSignal.timeout === 'function'`, `if (el.replaceChildren)`)
    // is the guard itself, not a use; a call there still is one.
    if (called) continue;
    if ((p.type === 'IfStatement' || p.type === 'ConditionalExpression') && p.test === child) return true;
    if (p.type === 'LogicalExpression' && p.left === child) return true;
    if (p.type === 'UnaryExpression' && p.operator === 'typeof') return true;
    if (p.type === 'BinaryExpression' && p.operator === 'in') return true;
  }
  return false;
}

export default {
  meta: { type: 'problem', docs: { description: 'web-API members missing in a target browser need a feature test' },
    schema: [{ type: 'object', properties: { ownMethods: { type: 'array', items: { type: 'string' } } }, additionalProperties: false }] },
  create(context) {
    const browsers = context.settings.browsers || [];
    const floorsByKey = floors(browserslist(browsers));
    const { byName, builtinNames } = (this.index ||= memberIndex());
    const source = context.sourceCode;
    const own = new Set(context.options[0]?.ownMethods || []);
    const report = (node, label, missing) => context.report({ node,
      message: `${label} is missing in ${missing.join(', ')}: feature-test it and degrade (.browserslistrc)` });
    return {
      // Globals nobody declared (structuredClone, Notification, AbortSignal …).
      'Program:exit'(program) {
        for (const ref of source.getScope(program).through) {
          const { name } = ref.identifier;
          const entry = Object.hasOwn(bcd.api, name) ? bcd.api[name].__compat : null;
          if (!entry) continue;
          const missing = missingIn(entry, floorsByKey);
          if (missing.length && !guarded(ref.identifier, [name], source)) report(ref.identifier, name, missing);
        }
      },
      MemberExpression(node) {
        if (node.computed || node.property.type !== 'Identifier') return;
        const name = node.property.name;
        const entries = byName.get(name);
        if (!entries) return;
        const obj = node.object;
        let missing = [];
        let label = name;
        const names = [name];
        // `AbortSignal.timeout`: the interface's own entry. A global object such as `crypto`
        // or `navigator` has no member entries of its own and is checked like any receiver.
        const hit = obj.type === 'Identifier' ? entries.find((e) => e.iface === obj.name) : null;
        if (hit) {
          names.push(obj.name);
          missing = missingIn(hit.compat, floorsByKey);
          label = `${obj.name}.${name}`;
        } else {
          const isCall = node.parent.type === 'CallExpression' && node.parent.callee === node;
          if (!isCall || builtinNames.has(name) || own.has(name)) return;
          // Experimental or non-standard names (GPUDevice.lost, BackgroundFetchManager.fetch)
          // collide with our own methods far more often than they are used here.
          const standard = entries.filter((e) => e.compat.status?.standard_track && !e.compat.status?.experimental);
          if (!standard.length || bcd.api[name]) return;
          const lacks = standard.map((e) => missingIn(e.compat, floorsByKey));
          if (lacks.some((m) => m.length === 0)) return;
          missing = lacks[0];
          label = `.${name}() (${standard.map((e) => e.iface).join(', ')})`;
        }
        if (missing.length && !guarded(node, names, source)) {
          report(node, label, missing);
        }
      },
    };
  },
};
