#!/usr/bin/env node
// Long soak: the same churn as test/unit/soak.test.ts (test/support/soak.ts), for hours. A long-lived
// GatewayConnection and GatewayWatcher (liveness probe on) against a scripted gateway on 127.0.0.1 that drops every
// socket, restarts with 1012 and floods events, while requests are answered, time out or are cancelled, and
// short-lived watchers are created, synced and disposed. Prints one line per sample and then the figures: sockets,
// timers, listeners, pending requests, rss, heapUsed after GC (with its slope per hour), and whether the short
// form's bounds held for the whole run. Not a test: the exit code is 0 unless the setup fails or --strict is given
// and a bound did not hold.
//
//   node bench/soak.mjs                    2 hours, a sample every minute
//   node bench/soak.mjs --minutes 10       any duration (samples: every minute, or every 5 s for runs under an hour)
//   node bench/soak.mjs --seed 7 --strict  another churn sequence; exit 1 when a bound did not hold
//
// No real gateway and no network namespace needed: everything listens on 127.0.0.1 in this process. esbuild bundles
// test/support/soak.ts into bench/.build/soak.cjs (gitignored) at every run, so the current source is measured.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const minutes = option('minutes', 120);
const seed = option('seed', 42);
const strict = args.includes('--strict');
if (!(minutes > 0) || !Number.isFinite(seed)) {
  console.error('usage: node bench/soak.mjs [--minutes N] [--seed N] [--strict]');
  process.exit(2);
}

const buildDir = path.join(benchDir, '.build');
mkdirSync(buildDir, { recursive: true });
const bundle = path.join(buildDir, 'soak.cjs');
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [path.join(root, 'test/support/soak.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: false,
  minify: false,
  logLevel: 'warning',
  external: ['bufferutil', 'utf-8-validate'],
});
const { runSoak, soakReport, SOAK_BOUNDS } = createRequire(import.meta.url)(bundle);

const durationMs = minutes * 60_000;
const sampleEveryMs = minutes >= 60 ? 60_000 : 5_000;
const warmupMs = Math.min(60_000, durationMs / 10);
const t0 = Date.now();
console.log(
  `# soak: ${minutes} min, seed ${seed}, a sample every ${sampleEveryMs / 1000} s after ${warmupMs / 1000} s of warm-up; Node ${process.version}, ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`# bounds: ${JSON.stringify(SOAK_BOUNDS)}`);
const result = await runSoak({
  durationMs,
  sampleEveryMs,
  warmupMs,
  seed,
  log: (line) => console.log(`[${((Date.now() - t0) / 60_000).toFixed(1)} min] ${line}`),
});
const { lines, violations } = soakReport(result);
console.log('');
for (const line of lines) console.log(`# ${line}`);
console.log(violations.length ? `# bounds NOT held: ${violations.join('; ')}` : '# every bound held for the whole run');
process.exit(strict && violations.length ? 1 : 0);
