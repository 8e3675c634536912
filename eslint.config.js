import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * The gateway's layers (docs/architecture.md). Imports point down only:
 *   surfaces  cli, server, pipeline, admin, oauth, console, demo
 *   domain    credentials, crypto, state, observe
 *   base      store, http, config, lib   (and the @portcullis/protocol package)
 * `server` is the composition root that wires the surfaces together; `cli` may start it (and the demo).
 * No other surface imports another surface, no domain folder imports a surface, and the base imports
 * neither. Packages import each other only by name, never by relative path into `src/`.
 */
const SURFACES = ['cli', 'server', 'pipeline', 'admin', 'oauth', 'console', 'demo'];
const DOMAIN = ['credentials', 'accounts', 'crypto', 'state', 'observe', 'scan', 'check'];
const BASE = ['store', 'http', 'config', 'lib'];
const SRC = 'packages/gateway/src';

/** A no-restricted-imports rule that forbids `../<folder>/` for each folder named. */
function forbid(folders, why, except = []) {
  const up = (path) => [`../${path}`, `../../${path}`, `../../../${path}`];
  return [
    'error',
    {
      patterns: [
        ...(folders.length > 0 ? [{ group: [...folders.flatMap((f) => up(`${f}/*`)), ...except.flatMap((path) => up(path).map((p) => `!${p}`))], message: why }] : []),
        { group: ['**/packages/*/src/*', '@portcullis/*/src/*'], message: 'Import another package by its name and exports map.' },
      ],
    },
  ];
}

const layerRules = [
  ...SURFACES.map((surface) => {
    const allowed = surface === 'server' ? SURFACES : surface === 'cli' ? ['server', 'demo'] : surface === 'demo' ? ['server'] : [];
    const others = SURFACES.filter((s) => s !== surface && !allowed.includes(s));
    return {
      files: [`${SRC}/${surface}/**/*.ts`],
      // admin/api-types.ts is the admin API's published request and response types (type-only): the CLI and the console share them.
      rules: { 'no-restricted-imports': forbid(others, `A surface does not import another surface (${others.join(', ')}): move the shared part down to http/, lib/ or a domain folder.`, ['admin/api-types.js']) },
    };
  }),
  ...DOMAIN.map((domain) => ({
    files: [`${SRC}/${domain}/**/*.ts`],
    rules: { 'no-restricted-imports': forbid(SURFACES, 'A domain folder does not import a surface: pass what it needs in, or move it down.') },
  })),
  ...BASE.map((base) => ({
    files: [`${SRC}/${base}/**/*.ts`],
    rules: {
      'no-restricted-imports': forbid(
        [...SURFACES, ...DOMAIN],
        'The base layer (store, http, config, lib) imports neither surfaces nor domain folders.',
      ),
    },
  })),
  {
    files: ['packages/protocol/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['portcullis', 'portcullis/*', '@portcullis/*'], message: 'protocol depends on nothing of ours.' }] }],
    },
  },
  {
    files: ['packages/client/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['portcullis', 'portcullis/*', '**/gateway/**'], message: 'The SDK depends on protocol only, never on the gateway.' }] }],
    },
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Name each export: no `export *` barrels (STYLE.md).' },
      ],
    },
  },
  ...layerRules,
  {
    // The console's front end runs in the browser and talks only to the admin API over HTTP.
    files: ['packages/console/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['portcullis', 'portcullis/*', '**/gateway/**'], message: 'The console talks to the admin API over HTTP only.' }] }],
    },
  },
);
