// The browser-target lint itself: it must fail on an API the target lacks when nothing
// guards it, pass when a feature test does, and pass on ui/ as committed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root, overrideConfigFile: path.join(root, 'ui-check/eslint.config.mjs') });

async function problems(code) {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, 'ui/shared/probe.js') });
  return r.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test('bare AbortSignal.timeout fails (Chrome 103 / Safari 16, newer than the target)', async () => {
  const out = await problems("export const s = () => fetch('/x', { signal: AbortSignal.timeout(5000) });\n");
  assert.equal(out.length, 1, out.join('\n'));
  assert.match(out[0], /outlet\/guarded-members: AbortSignal\.timeout is missing in .*safari 15/);
});

test('feature-tested AbortSignal.timeout passes', async () => {
  for (const code of [
    "export const s = (ms) => (typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(ms) : null);\n",
    'export function s(ms) { if (AbortSignal.timeout) return AbortSignal.timeout(ms); return null; }\n',
    'export function s(ms) { if (!AbortSignal.timeout) return null; return AbortSignal.timeout(ms); }\n',
  ]) assert.deepEqual(await problems(code), [], code);
});

test('a presence check does not excuse a call in the same test', async () => {
  const out = await problems('export const s = () => { if (AbortSignal.timeout(1).aborted) return 1; return 0; };\n');
  assert.equal(out.length, 1, out.join('\n'));
});

test('globals and new DOM methods on any receiver are checked too', async () => {
  const out = await problems('export const a = (v) => structuredClone(v);\nexport const b = (el) => el.replaceChildren();\n');
  assert.equal(out.length, 2, out.join('\n'));
  assert.match(out[0], /structuredClone is missing/);
  assert.match(out[1], /\.replaceChildren\(\) .*chrome 84/);
  assert.deepEqual(await problems("export const c = (el) => { if ('replaceChildren' in el) el.replaceChildren(); };\n"), []);
});

test('crypto.randomUUID (Safari 15.4, Chrome 92; secure contexts only) needs its fallback', async () => {
  const out = await problems('export const id = () => crypto.randomUUID();\n');
  assert.equal(out.length, 1, out.join('\n'));
  assert.match(out[0], /randomUUID\(\) \(Crypto\) is missing/);
  assert.deepEqual(await problems("export const id = (c = globalThis.crypto) => (typeof c.randomUUID === 'function' ? c.randomUUID() : 'v4');\n"), []);
});

test('syntax the target cannot parse fails: no guard can help a parse error', async () => {
  const out = await problems('export const f = (o) => { o.a ??= 1; return [1].at(-1) + o.x?.y; };\n');
  assert.deepEqual(out.map((m) => m.split(':')[0]).sort(), ['es-x/no-array-prototype-at', 'es-x/no-logical-assignment-operators']);
});

test('Intl formatters (Chrome 24, Safari 10) pass: .format() is a built-in, not VideoFrame.format', async () => {
  assert.deepEqual(await problems("export const f = (n) => new Intl.NumberFormat('id-ID').format(n);\n"), []);
  assert.deepEqual(await problems('export const g = (fmt, d) => fmt.format(d);\n'), []);
});

test('well-supported APIs and our own method names pass', async () => {
  assert.deepEqual(await problems("export const f = async (s) => { await fetch('/'); s.lost('x'); return [1, 2].map((x) => x).flat(); };\n"), []);
});

test('ui/ as committed passes', async () => {
  const results = await eslint.lintFiles(['ui']);
  const errors = results.flatMap((r) => r.messages.map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.message}`));
  assert.deepEqual(errors, []);
  assert.ok(results.length > 30, `linted ${results.length} files`);
});
