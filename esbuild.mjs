// Builds three things with esbuild:
//   dist/extension.js       the extension (node, cjs, `vscode` external)
//   dist/cli.js             the `lanewatch` command line (node, cjs)
//   dist/webview/*.js|css   the webview bundle(s) (browser, iife), plus the codicon font they load
//   out/test/**             test files (node, cjs for mocha inside the extension host; esm-free so plain Node runs them)
// `--production` minifies and drops sourcemaps; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const root = path.dirname(new URL(import.meta.url).pathname);

function filesUnder(dir, pattern) {
  const out = [];
  if (!statSync(dir, { throwIfNoEntry: false })) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p, pattern));
    else if (pattern.test(entry.name)) out.push(p);
  }
  return out;
}

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const extension = {
  ...common,
  entryPoints: [path.join(root, 'src/vscode/extension.ts')],
  outfile: path.join(root, 'dist/extension.js'),
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  metafile: true,
};

// The terminal entry (`lanewatch status`, bin in package.json): same model, no `vscode`.
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const cli = {
  ...extension,
  entryPoints: [path.join(root, 'src/cli/bin.ts')],
  outfile: path.join(root, 'dist/cli.js'),
  metafile: false,
  banner: { js: '#!/usr/bin/env node' },
  define: { LANEWATCH_VERSION: JSON.stringify(pkg.version) },
};

const webviewEntries = filesUnder(path.join(root, 'webview'), /^[a-z-]+\.entry\.ts$/);
const webview = {
  ...common,
  entryPoints: Object.fromEntries(webviewEntries.map((p) => [path.basename(p).replace(/\.entry\.ts$/, ''), p])),
  outdir: path.join(root, 'dist/webview'),
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
};

// Tests are built file by file (not one bundle) so mocha/node:test see one module per suite. Imports of
// src/ are bundled into each file; fixtures under scripts/ stay plain ESM/CJS on disk and are loaded at run time.
const testEntries = filesUnder(path.join(root, 'test'), /\.(test|suite)\.ts$|^index\.ts$/);
// Unit tests of the VS Code adapters (the tree) run in plain Node: there `vscode` resolves to a stand-in with VS Code's
// shapes and semantics (test/shims/vscode.ts, also used by bench/fleet.mjs). Everything else keeps the real module.
const unitDir = path.join(root, 'test', 'unit') + path.sep;
const vscodeShim = {
  name: 'vscode-shim',
  setup(b) {
    b.onResolve({ filter: /^vscode$/ }, () => ({ path: path.join(root, 'test/shims/vscode.ts') }));
  },
};
const testsCommon = {
  ...common,
  sourcemap: 'inline',
  minify: false,
  outdir: path.join(root, 'out/test'),
  outbase: path.join(root, 'test'),
  platform: 'node',
  format: 'cjs',
  target: 'node20',
};
const unitTests = {
  ...testsCommon,
  entryPoints: testEntries.filter((p) => p.startsWith(unitDir)),
  external: ['mocha', 'bufferutil', 'utf-8-validate', 'playwright-core'],
  plugins: [vscodeShim],
};
const tests = {
  ...testsCommon,
  entryPoints: testEntries.filter((p) => !p.startsWith(unitDir)),
  external: ['vscode', 'mocha', 'bufferutil', 'utf-8-validate', 'playwright-core'],
};

function copyAssets() {
  const fontDir = path.join(root, 'dist/webview/codicons');
  mkdirSync(fontDir, { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf'])
    cpSync(path.join(root, 'node_modules/@vscode/codicons/dist', f), path.join(fontDir, f));
  // Each panel's stylesheet sits beside its entry (webview/<panel>/*.css, webview/shared/*.css); dist/webview is flat.
  for (const f of filesUnder(path.join(root, 'webview'), /\.css$/))
    cpSync(f, path.join(root, 'dist/webview', path.basename(f)));
}

const t0 = Date.now();
if (!watch) {
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  if (!production) rmSync(path.join(root, 'out'), { recursive: true, force: true });
}
const configs = [
  extension,
  cli,
  ...(webviewEntries.length ? [webview] : []),
  ...(testEntries.length && !production ? [unitTests, tests] : []),
];
if (watch) {
  for (const c of configs) await (await esbuild.context(c)).watch();
  copyAssets();
  console.log('[esbuild] watching');
} else {
  const results = await Promise.all(configs.map((c) => esbuild.build(c)));
  copyAssets();
  chmodSync(cli.outfile, 0o755);
  const extBytes = Object.values(results[0].metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(
    `[esbuild] built extension (${(extBytes / 1024).toFixed(0)} KB), ${webviewEntries.length} webview bundle(s), ${testEntries.length} test file(s) in ${Date.now() - t0} ms${production ? ' (production)' : ''}`,
  );
}
