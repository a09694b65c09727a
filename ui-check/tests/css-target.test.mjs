// The CSS half of the browser-target lint fails on a property the target lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import stylelint from 'stylelint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const configFile = path.join(root, 'ui-check/stylelint.config.mjs');

async function problems(code) {
  const { results } = await stylelint.lint({ code, configFile, codeFilename: path.join(root, 'ui/shared/probe.css') });
  return results[0].warnings.map((w) => w.text);
}

test('inset (Chrome 87) fails; the four sides pass', async () => {
  const bad = await problems('.o { position: fixed; inset: 0; }\n');
  assert.equal(bad.length, 1, bad.join('\n'));
  assert.match(bad[0], /css-logical-props.*Chrome 84/);
  assert.deepEqual(await problems('.o { position: fixed; top: 0; right: 0; bottom: 0; left: 0; }\n'), []);
});

test('ui/ CSS as committed passes', async () => {
  const { results } = await stylelint.lint({ files: ['ui/**/*.css'], cwd: root, configFile });
  assert.ok(results.length >= 6, `linted ${results.length} files`);
  assert.deepEqual(results.flatMap((r) => r.warnings.map((w) => `${path.relative(root, r.source)}:${w.line} ${w.text}`)), []);
});
