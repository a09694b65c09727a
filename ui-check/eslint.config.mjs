// The browser-target check for ui/ (run by `make test-ui-compat`). Two halves:
// - eslint-plugin-compat: web APIs (AbortSignal.timeout, structuredClone, …) against the
//   browsers in ../.browserslistrc, from MDN's compatibility data. A use inside a feature
//   test (`if (AbortSignal.timeout) …`, `'x' in obj ? … : …`) passes; a bare use fails.
// - eslint-plugin-es-x: syntax and built-ins, which compat does not check. A browser that
//   cannot parse one module shows a blank page, so these have no guard: everything after
//   ES2020 is refused except what every target parses (see the list below).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import browserslist from 'browserslist';
import esx from 'eslint-plugin-es-x';
import guardedMembers from './rules/guarded-members.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const browsers = browserslist.loadConfig({ path: root });
if (!browsers) throw new Error(`no browserslist found above ${root}`);

// Run from the repository root (`-c ui-check/eslint.config.mjs ui`): paths are relative to it.
export default [
  { ignores: ['ui/tests/**', '**/node_modules/**'] },
  {
    files: ['ui/**/*.js', 'ui/**/*.mjs'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'es-x': esx, outlet: { rules: { 'guarded-members': guardedMembers } } },
    settings: { browsers },
    rules: {
      // ownMethods: our classes' methods that share a name with a new web API
      // (DeviceSession.lost vs GPUDevice.lost, AdminApi.login, KitchenFeed.setStatus,
      // TicketAlerts.unlock vs ScreenOrientation.unlock).
      'outlet/guarded-members': ['error', { ownMethods: ['lost', 'login', 'setStatus', 'unlock', 'draw'] }],
      ...esx.configs['flat/restrict-to-es2020'].rules,
      // ES2021+ that Safari 15 and Chrome 84 both parse or have (MDN): allowed.
      'es-x/no-numeric-separators': 'off', // Safari 13, Chrome 75
      'es-x/no-weakrefs': 'off', // Safari 14.1, Chrome 84
      'es-x/no-class-instance-fields': 'off', // Safari 14, Chrome 72
      'es-x/no-class-static-fields': 'off', // Safari 14.1, Chrome 72
      'es-x/no-class-private-fields': 'off', // Safari 14.1, Chrome 74
      'es-x/no-class-private-methods': 'off', // Safari 15, Chrome 84: the floor of the target
      // Prototype methods: without types es-x cannot tell an Array from an Iterator, so only
      // the names that exist on nothing older are checked on every receiver.
      'es-x/no-array-prototype-at': ['error', { aggressive: true }],
      'es-x/no-string-prototype-at': ['error', { aggressive: true }],
      'es-x/no-string-prototype-replaceall': ['error', { aggressive: true }],
      'es-x/no-array-prototype-findlast-findlastindex': ['error', { aggressive: true }],
      'es-x/no-array-prototype-toreversed': ['error', { aggressive: true }],
      'es-x/no-array-prototype-tosorted': ['error', { aggressive: true }],
      'es-x/no-array-prototype-tospliced': ['error', { aggressive: true }],
      'es-x/no-array-prototype-with': ['error', { aggressive: true }],
    },
  },
];
