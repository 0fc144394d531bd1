#!/usr/bin/env node
// Where the time of one `lanewatch status` goes, and where the official listing's goes, on the gateway root that
// bench/status.mjs kept with --state (its sessions are reused; nothing is created here). Not a test: it prints
// figures. Run it after `node bench/status.mjs --state DIR` has created the sessions:
//
//   node bench/status-profile.mjs --state DIR [--rounds 5] [--plans 10000x1,2000x2,2500x4]
//
// Each round, interleaved (medians printed):
// - sessions.list read in full on one connection by plain offset pages, per plan "<page size>x<in flight>" (the
//   gateway's own answer time for every row, with no completeness logic): what any gateway client must pay;
// - sessions.list {limit: 1} (the fixed part) and the answer's size and JSON.parse time of one page of every row;
// - `lanewatch status --json` in phases (bench/statusPhases.ts: process start, connected, rows read, settled, report
//   built, JSON text, written), and the CLI itself (bench/.build/status-cli.cjs, the current source);
// - the official `openclaw sessions --json --all-agents --limit all`, and `openclaw --version` (its process floor).
// Runs inside a loopback-only network namespace as bench/status.mjs does.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { enterLoopbackNamespace } from './netns.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const STATE = opt('state', undefined);
const ROUNDS = Number(opt('rounds', '5'));
const PLANS = opt('plans', '10000x1,2000x1,2000x2,2500x4,1000x4')
  .split(',')
  .map((p) => p.split('x').map(Number))
  .map(([size, parallel]) => ({ size, parallel: parallel || 1 }));
if (!STATE || !existsSync(STATE)) {
  console.error('--state DIR: the gateway root bench/status.mjs kept (run it with --state first)');
  process.exit(2);
}
const tools = await import('../scripts/fixtures/tools.mjs');

await enterLoopbackNamespace({ script: import.meta.url, args: argv });

const esbuild = await import('esbuild');
const buildDir = path.join(benchDir, '.build');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  define: { LANEWATCH_VERSION: '"bench"' },
};
await esbuild.build({
  ...common,
  entryPoints: [path.join(root, 'src/cli/bin.ts')],
  outfile: path.join(buildDir, 'status-cli.cjs'),
});
await esbuild.build({
  ...common,
  entryPoints: [path.join(benchDir, 'statusPhases.ts')],
  outfile: path.join(buildDir, 'status-phases.cjs'),
});
await esbuild.build({
  ...common,
  entryPoints: [path.join(root, 'src/gateway/index.ts')],
  outfile: path.join(buildDir, 'gateway.cjs'),
});
const gw = createRequire(import.meta.url)(path.join(buildDir, 'gateway.cjs'));
const { startFakeModel, startGateway, cleanupAll } = await import('../scripts/fixtures/openclaw-gateway.mjs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (v) => {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f0 = (v) => (Number.isFinite(v) ? v.toFixed(0) : '–');
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
function timed(cmd, args, env) {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [],
      err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('close', (code) =>
      resolve({
        ms: performance.now() - start,
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

let admin;
try {
  const fake = await startFakeModel({});
  const gateway = await startGateway({
    root: STATE,
    name: 'status',
    modelBaseUrl: fake.baseUrl,
    diagnostics: true,
    extraConfig: { session: { maintenance: { maxEntries: 20_000 } } },
  });
  const conn = new gw.GatewayConnection({
    url: gateway.url,
    credentials: () => ({ token: gateway.token }),
    scopes: ['operator.read'],
    identityStore: new gw.MemoryDeviceIdentityStore(),
    reconnect: false,
    clientVersion: 'bench',
    requestTimeoutMs: 300_000,
    log: () => {},
  });
  admin = conn;
  conn.start();
  await conn.waitForConnected(120_000);
  const api = new gw.GatewayApi(conn);
  const total = (await api.sessionsList({ limit: 1 })).totalCount;
  console.log(
    `status profile: gateway ${gateway.version}, ${total} sessions, ${ROUNDS} rounds; node ${process.version}, ${os.cpus().length} CPU, load ${load()}`,
  );
  // Warm the gateway's caches as a status before would.
  await api.sessionsList({ limit: total });

  /** Every row by plain offset pages of `size`, `parallel` in flight. */
  const readAll = async ({ size, parallel }) => {
    const start = performance.now();
    let next = 0,
      rows = 0;
    const worker = async () => {
      while (next < total) {
        const offset = next;
        next += size;
        const page = await api.sessionsList(offset ? { limit: size, offset } : { limit: size });
        rows += page.sessions.length;
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return { ms: performance.now() - start, rows };
  };
  const ourEnv = {
    ...process.env,
    LW_PROFILE_TOKEN: gateway.token,
    LANEWATCH_STATE_DIR: path.join(STATE, 'lw-profile'),
  };
  for (const k of Object.keys(ourEnv)) if (k.startsWith('OPENCLAW_')) delete ourEnv[k];
  const figures = new Map();
  const put = (k, v) => (figures.get(k) ?? figures.set(k, []).get(k)).push(v);
  let page;
  for (let round = 0; round < ROUNDS; round++) {
    for (const plan of PLANS) {
      const r = await readAll(plan);
      put(`sessions.list every row, pages of ${plan.size}, ${plan.parallel} in flight`, r.ms);
    }
    let t = performance.now();
    await api.sessionsList({ limit: 1 });
    put('sessions.list {limit: 1}', performance.now() - t);
    t = performance.now();
    page = await api.sessionsList({ limit: total });
    put(`sessions.list {limit: ${total}} (one page, client wall incl. parse)`, performance.now() - t);
    const text = JSON.stringify(page);
    t = performance.now();
    JSON.parse(text);
    put(`JSON.parse of that answer (${(text.length / 1048576).toFixed(1)} MB)`, performance.now() - t);
    t = performance.now();
    await api.logsTail({ limit: 1000, maxBytes: 64 * 1024 });
    put('logs.tail 64 KB', performance.now() - t);
    t = performance.now();
    await api.logsTail({ limit: 200, maxBytes: 16 * 1024 });
    put('logs.tail 16 KB', performance.now() - t);

    const ph = await timed(
      tools.nodeBin,
      [path.join(buildDir, 'status-phases.cjs'), gateway.url, 'LW_PROFILE_TOKEN'],
      ourEnv,
    );
    try {
      const j = JSON.parse(ph.stderr.trim().split('\n').at(-1));
      const m = j.marks;
      put('phases: process start → bundle loaded', m.loaded);
      put('phases: bundle loaded → connected (hello-ok)', m.connected - m.loaded);
      put('phases: connected → rows read', m.rows - m.connected);
      put('phases: rows read → settled (reads, grace)', m.settled - m.rows);
      put('phases: report built', m.report - m.settled);
      put(`phases: JSON text (${j.outKB} KB)`, m.stringify - m.report);
      put('phases: written', m.written - m.stringify);
      put('phases: whole process (wall)', ph.ms);
      if (round === 0)
        console.log(
          `phases run 1: ${JSON.stringify(j.listing)}; unread ${JSON.stringify(j.unread ?? null).slice(0, 300)}`,
        );
    } catch (err) {
      console.log(`phases run failed: ${err.message} ${ph.stderr.slice(0, 300)}`);
    }
    const ours = await timed(
      tools.nodeBin,
      [
        path.join(buildDir, 'status-cli.cjs'),
        'status',
        '--json',
        '--gateway',
        gateway.url,
        '--token-env',
        'LW_PROFILE_TOKEN',
      ],
      ourEnv,
    );
    put('lanewatch status --json (wall)', ours.ms);
    const off = await timed(
      tools.nodeBin,
      [gateway.entry, 'sessions', '--json', '--all-agents', '--limit', 'all'],
      gateway.env,
    );
    put('openclaw sessions --json --all-agents --limit all (wall)', off.ms);
    if (round === 0) console.log(`official output ${(off.stdout.length / 1024).toFixed(0)} KB, exit ${off.code}`);
    const ver = await timed(tools.nodeBin, [gateway.entry, '--version'], gateway.env);
    put('openclaw --version (its process floor)', ver.ms);
    const help = await timed(tools.nodeBin, [path.join(buildDir, 'status-cli.cjs'), '--help'], ourEnv);
    put('lanewatch --help (our process floor)', help.ms);
  }
  console.log(`\n| what | median ms | runs (ms) |\n|:--|--:|:--|`);
  for (const [k, v] of figures) console.log(`| ${k} | ${f0(median(v))} | ${v.map(f0).join(', ')} |`);
  console.log(`\nload after: ${load()}`);
} catch (err) {
  console.error(`profile failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  admin?.dispose();
  await cleanupAll();
  await sleep(10);
}
process.exit(process.exitCode ?? 0);
