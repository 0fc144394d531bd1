// ESLint (flat config) for src/, webview/, test/ and bench/*.ts: `npm run lint`. Formatting is Prettier's job
// (`npm run format:check`), so no rule here is about layout. Three parts:
//   1. rules: typescript-eslint's type-checked recommended set everywhere, a stricter product tier for src/ and
//      webview/, a test tier that allows the untyped poking at JSON frames tests do;
//   2. import walls (no-restricted-imports, one complete option set per folder): who may import `vscode`, what the
//      webview bundles and src/protocol/ may reach, src/gateway/ standing alone, src/vscode/ imported by nobody in src/;
//   3. the TypeScript programs type-aware rules use: the same three tsconfigs `npm run typecheck` checks.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// ------------------------------------------------------------------------------------------------ import walls

// Each helper is one wall: a `paths` or `patterns` entry of no-restricted-imports. Patterns are regexes on the import
// string as written (all of src/ and webview/ import each other by relative path). A file gets exactly one
// no-restricted-imports option set (the last matching block wins), so every scope below lists all its walls.
const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('_') && !m.startsWith('node:'));

const noVscodeModule = {
  paths: [
    {
      name: 'vscode',
      message:
        'Only src/vscode/ (and test/extension/) may import `vscode`; the model, CLI and tests run in plain Node.',
    },
  ],
};
const noVscodeFolder = {
  patterns: [
    {
      regex: '^\\.{1,2}/(?:.*/)?vscode(?:/|$)',
      message:
        'Nothing outside src/vscode/ imports src/vscode/ (the VS Code adapters sit on top; data flows up to them).',
    },
  ],
};
const noWebviewFolder = {
  patterns: [
    {
      regex: '^(?:\\.\\./)+webview(?:/|$)',
      message: 'webview/ is a separate browser bundle; share code through src/protocol/ instead.',
    },
  ],
};
const noNodeBuiltins = (who) => ({
  paths: NODE_BUILTINS.map((name) => ({ name, message: `${who} runs in a browser (webview): no Node built-ins.` })),
  patterns: [{ regex: '^node:', message: `${who} runs in a browser (webview): no Node built-ins.` }],
});
const gatewayStandsAlone = {
  patterns: [
    {
      // src/gateway/ is flat, so every `../` import leaves it.
      regex: '^\\.\\.(?:/|$)',
      message: 'src/gateway/ (the wire) imports nothing from the rest of src/; other folders import it.',
    },
  ],
};
const protocolRuntimeOnlyItself = {
  patterns: [
    {
      regex: '^(?!\\./)',
      allowTypeImports: true,
      message:
        'src/protocol/ is bundled into the webviews: at run time it imports only src/protocol/ itself; use `import type` for anything else.',
    },
  ],
};
const webviewReachesOnlyProtocol = {
  patterns: [
    {
      regex: '^(?:\\.\\./)+src/(?!protocol/)',
      allowTypeImports: true,
      message:
        'webview/ imports from src/ only src/protocol/ at run time (move shared pure code there); `import type` of the rest is fine.',
    },
    {
      regex: '^(?:\\.\\./)+src/vscode(?:/|$)',
      message: 'webview/ never imports src/vscode/, not even its types.',
    },
  ],
};

/** One no-restricted-imports option set out of several walls. */
function walls(...parts) {
  return [
    'error',
    {
      paths: parts.flatMap((p) => p.paths ?? []),
      patterns: parts.flatMap((p) => p.patterns ?? []),
    },
  ];
}

const importWalls = [
  {
    name: 'lanewatch/walls/src',
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': walls(noVscodeModule, noVscodeFolder, noWebviewFolder) },
  },
  {
    name: 'lanewatch/walls/src-vscode',
    files: ['src/vscode/**/*.ts'],
    rules: { 'no-restricted-imports': walls(noWebviewFolder) },
  },
  {
    name: 'lanewatch/walls/src-gateway',
    files: ['src/gateway/**/*.ts'],
    rules: { 'no-restricted-imports': walls(noVscodeModule, gatewayStandsAlone) },
  },
  {
    name: 'lanewatch/walls/src-protocol',
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': walls(noVscodeModule, noNodeBuiltins('src/protocol/'), protocolRuntimeOnlyItself),
    },
  },
  {
    name: 'lanewatch/walls/webview',
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': walls(noVscodeModule, noNodeBuiltins('webview/'), webviewReachesOnlyProtocol),
    },
  },
  {
    // Tests and benches may import src/vscode/ (they test and measure it; in plain Node `vscode` resolves to
    // test/shims/vscode.ts), but only the extension-host suites and the fleet bench's host import `vscode` itself.
    name: 'lanewatch/walls/test-bench',
    files: ['test/**/*.{ts,mjs}', 'bench/*.ts'],
    ignores: ['test/extension/**', 'bench/fleet-host.ts'],
    rules: { 'no-restricted-imports': walls(noVscodeModule) },
  },
];

// ------------------------------------------------------------------------------------------------ rules

const TYPED_FILES = ['src/**/*.ts', 'webview/**/*.ts', 'test/**/*.ts', 'bench/*.ts'];
const PRODUCT_FILES = ['src/**/*.ts', 'webview/**/*.ts'];
const TEST_FILES = ['test/**/*.ts', 'bench/*.ts'];

export default defineConfig([
  globalIgnores([
    'dist/',
    'out/',
    'test-results/',
    'media/',
    'node_modules/',
    // npm start's demo gateway state (the gateway's own Control UI bundle among it): not ours, and left in the checkout.
    '.lanewatch-start/',
    // Not linted (yet): fixtures and tooling scripts, and the benches' plain-JS drivers.
    'scripts/',
    'bench/**/*.mjs',
    'bench/.build/',
    '*.mjs',
    '!eslint.config.mjs',
  ]),
  {
    name: 'lanewatch/linter-options',
    linterOptions: { reportUnusedDisableDirectives: 'error', reportUnusedInlineConfigs: 'error' },
  },
  js.configs.recommended,
  {
    name: 'lanewatch/all',
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'object-shorthand': 'error',
      // A regex that matches control characters on purpose (stripping escapes from untrusted text) says so inline.
      'no-control-regex': 'error',
    },
  },
  {
    name: 'lanewatch/typescript',
    files: TYPED_FILES,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // The programs `npm run typecheck` checks; a file belongs to the first that includes it.
        project: ['./tsconfig.json', './webview/tsconfig.json', './tsconfig.browser-tests.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `import type` is what the walls above let through, so say it whenever only types are used.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/consistent-type-exports': 'error',
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // An async function without await is how an API promises a promise (and no synchronous throw).
      '@typescript-eslint/require-await': 'off',
      // Untrusted wire values (`unknown`) are stringified for display on purpose; `${obj}` accidents are still caught
      // by restrict-template-expressions.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    name: 'lanewatch/product',
    files: PRODUCT_FILES,
    rules: {
      'no-console': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSEnumDeclaration',
          message: 'Use a union of string literals (erasable, and what the wire sends).',
        },
      ],
      '@typescript-eslint/prefer-readonly': 'error',
    },
  },
  {
    name: 'lanewatch/tests',
    files: TEST_FILES,
    rules: {
      // Tests read untyped frames and fixtures and assert on them.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] },
          ],
        },
      ],
    },
  },
  {
    // Findings in files this change did not edit (their owners will): each is an `eslint --fix` or a one-line change.
    // Remove an entry once its file passes.
    name: 'lanewatch/pending/5',
    files: ['test/ui/run-ui-tests.mjs'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    name: 'lanewatch/globals/node',
    files: ['src/**/*.ts', 'test/**/*.{ts,mjs}', 'bench/*.ts', 'eslint.config.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    name: 'lanewatch/globals/browser',
    // The webview bundles, and the test code that page.evaluate() runs in chromium.
    files: ['webview/**/*.ts', 'test/ui/**/*.mjs', 'test/support/hostileText.mjs'],
    languageOptions: { globals: globals.browser },
  },
  ...importWalls,
]);
