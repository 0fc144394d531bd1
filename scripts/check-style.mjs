#!/usr/bin/env node
// The static checks, each timed with a one-line verdict: the three TypeScript programs (Node side, browser bundles,
// Node tests that drive browser code), that no Node/mocha/vscode types leak into the browser program, ESLint (rules
// and import walls, eslint.config.mjs) and Prettier. Exits non-zero if any fails; a failing check's output is printed
// after the verdicts.
//
//   node scripts/check-style.mjs              everything
//   node scripts/check-style.mjs typecheck    only the typechecks (what `npm run typecheck` checks, plus the leak check)
//   --jobs N                                  checks run at once (default 2: this is a 2-core machine)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = (p) => path.join(root, 'node_modules', p);
const TSC = bin('typescript/bin/tsc');
const ESLINT = bin('eslint/bin/eslint.js');
const PRETTIER = bin('prettier/bin/prettier.cjs');
// Same list as `npm run format:check`.
const FORMATTED = ['src', 'webview', 'test', 'bench', 'scripts', 'esbuild.mjs', 'eslint.config.mjs', 'tsconfig*.json'];

/** @type {Array<{ name: string, group: string, args: string[], judge?: (out: string) => string | undefined }>} */
const CHECKS = [
  { name: 'typecheck: Node side (tsconfig.json)', group: 'typecheck', args: [TSC, '-p', '.'] },
  { name: 'typecheck: webviews (webview/tsconfig.json)', group: 'typecheck', args: [TSC, '-p', 'webview'] },
  {
    name: 'typecheck: browser-driving tests (tsconfig.browser-tests.json)',
    group: 'typecheck',
    args: [TSC, '-p', 'tsconfig.browser-tests.json'],
  },
  {
    // `types: []` keeps @types/node out of the webview program only until something it imports references it
    // (a type import of Node-side code is enough): then the bundles would typecheck against APIs they do not have.
    name: 'webview program has no Node, mocha or vscode types',
    group: 'typecheck',
    args: [TSC, '-p', 'webview', '--listFilesOnly'],
    judge: (out) => {
      const leaked = out.split('\n').filter((f) => /node_modules\/@types\/(node|mocha|vscode)\//.test(f));
      if (!leaked.length) return undefined;
      const users = out
        .split('\n')
        .filter((f) => f.startsWith(root) && !f.includes('/node_modules/'))
        .map((f) => path.relative(root, f));
      return `${leaked.length} files of @types/node|mocha|vscode in the webview program; its own files:\n  ${users.join('\n  ')}`;
    },
  },
  { name: 'eslint', group: 'lint', args: [ESLINT, '.'] },
  { name: 'prettier --check', group: 'format', args: [PRETTIER, '--check', '--log-level', 'warn', ...FORMATTED] },
];

const argv = process.argv.slice(2);
const jobsAt = argv.indexOf('--jobs');
const jobs = jobsAt >= 0 ? Math.max(1, Number(argv[jobsAt + 1]) || 1) : 2;
const groups = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--jobs');
const selected = groups.length ? CHECKS.filter((c) => groups.includes(c.group)) : CHECKS;
if (!selected.length) {
  console.error(`unknown check group(s) ${groups.join(', ')}; known: ${[...new Set(CHECKS.map((c) => c.group))]}`);
  process.exit(2);
}

function run(check) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, check.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      let problem = code === 0 ? undefined : `exit ${code ?? signal}`;
      const judged = !problem && check.judge ? check.judge(out) : undefined;
      problem ??= judged;
      const verdict = problem ? 'FAIL' : 'ok';
      console.log(`${verdict.padEnd(4)} ${seconds.toFixed(1).padStart(5)} s  ${check.name}`);
      // A judged failure says what matters itself; the raw output (a file list) would bury it.
      resolve({ check, problem, out: judged ? '' : out, seconds });
    });
  });
}

const started = performance.now();
const results = [];
// Longest first (eslint builds the same three programs and then runs type-aware rules), so the typechecks run beside it.
const queue = [...selected].sort((a, b) => Number(b.group === 'lint') - Number(a.group === 'lint'));
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (queue.length) results.push(await run(queue.shift()));
  }),
);
const failed = results.filter((r) => r.problem);
for (const r of failed) {
  console.log(`\n---- ${r.check.name}: ${r.problem}`);
  if (r.out.trim()) console.log(r.out.trimEnd());
}
const total = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  failed.length
    ? `\ncheck-style: ${failed.length} of ${results.length} checks failed (${total} s)`
    : `\ncheck-style: all ${results.length} checks passed (${total} s)`,
);
process.exit(failed.length ? 1 : 0);
