#!/usr/bin/env node
// `lanewatch serve` over 20 gateways × 500 sessions: memory (RSS), CPU, scrape time and series count, quiet and
// under event load, side by side with what a user without the exporter would run instead: `lanewatch status --json`
// over the same gateways once per scrape interval (a cron job feeding a textfile collector, say). Not a test: it
// prints figures and ratios and exits 0 unless the setup fails.
//
//   node bench/serve.mjs [--gateways 20] [--sessions 500] [--scrapes 30] [--rate 50] [--load-seconds 40]
//                        [--interval 15] [--status-runs 3]
//
// Three processes, all on this machine, sockets on 127.0.0.1 only:
//   this script     bundles bench/fleet-gateways.ts and src/cli/bin.ts with esbuild into bench/.build/ (gitignored),
//                   starts the two below, scrapes /metrics, reads the exporter's CPU and RSS from /proc
//   fake gateways   bench/fleet-gateways.ts (see bench/fleet.mjs): ScriptedGateways serving captured 2026.9.6 rows
//                   (paged sessions.list) and replaying captured turns (running, lane-wait and error turns) on --rate
//   the exporter    `lanewatch serve --gateway … (×20) --metrics-listen 127.0.0.1:0`, as a user starts it
// Not compared: the gateway's own Prometheus plugin (diagnostics-prometheus): the fake gateways have none, and it
// reports the gateway process, not Lanewatch's verified lane status per session.
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) {
    console.error(`--${name} needs a number`);
    process.exit(2);
  }
  return v;
};
const GATEWAYS = opt('gateways', 20);
const SESSIONS = opt('sessions', 500);
const SCRAPES = opt('scrapes', 30);
const RATE = opt('rate', 50);
const LOAD_SECONDS = opt('load-seconds', 40);
const INTERVAL = opt('interval', 15);
const STATUS_RUNS = opt('status-runs', 3);
const TOKEN_ENV = 'LANEWATCH_BENCH_TOKEN';

const say = (s) => console.log(s);
const ms = (x) => `${x.toFixed(1)} ms`;
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const median = (a) => pct(a, 50);
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) and RSS / peak RSS (kB) of a process, from /proc. */
function proc(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { cpu: (Number(f[11]) + Number(f[12])) / TICK, rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

// ---------------------------------------------------------------- build

const buildDir = path.join(benchDir, '.build');
mkdirSync(buildDir, { recursive: true });
const gatewaysBundle = path.join(buildDir, 'fleet-gateways.cjs');
const cliBundle = path.join(buildDir, 'serve-cli.cjs');
{
  const esbuild = await import('esbuild');
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' };
  const external = ['bufferutil', 'utf-8-validate'];
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  await Promise.all([
    esbuild.build({
      ...common,
      external,
      entryPoints: [path.join(benchDir, 'fleet-gateways.ts')],
      outfile: gatewaysBundle,
    }),
    esbuild.build({
      ...common,
      external,
      entryPoints: [path.join(root, 'src/cli/bin.ts')],
      outfile: cliBundle,
      define: { LANEWATCH_VERSION: JSON.stringify(pkg.version) },
    }),
  ]);
}

// ---------------------------------------------------------------- processes

const children = [];
let finished = false;
function fail(message) {
  if (finished) return;
  finished = true;
  console.error(`\nSETUP FAILED: ${message}`);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  process.exit(1);
}
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => fail(`interrupted (${s})`));

say(
  `node ${process.version}, ${os.cpus().length} CPU, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${GATEWAYS} gateways × ${SESSIONS} sessions`,
);
const gateways = fork(gatewaysBundle, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: root });
children.push(gateways);
gateways.on('exit', (code) => !finished && fail(`the fake gateways exited (${code})`));
const messages = [];
const waitMessage = (type, timeoutMs) =>
  new Promise((resolve) => {
    const timer = setTimeout(() => fail(`no "${type}" from the fake gateways within ${timeoutMs / 1000} s`), timeoutMs);
    const check = () => {
      const i = messages.findIndex((m) => m.type === type);
      if (i < 0) return;
      clearTimeout(timer);
      gateways.off('message', check);
      resolve(messages.splice(i, 1)[0]);
    };
    gateways.on('message', check);
    check();
  });
gateways.on('message', (m) => {
  if (m.type === 'error') fail(`fake gateways: ${m.message}`);
  messages.push(m);
});
gateways.send({
  cmd: 'start',
  gateways: GATEWAYS,
  sessions: SESSIONS,
  fixtures: path.join(root, 'test/fixtures/captured'),
  seed: 1,
  listDelayMs: 0,
});
const { urls } = await waitMessage('ready', 60_000);
const env = { ...process.env, [TOKEN_ENV]: 'bench-token', LANEWATCH_STATE_DIR: path.join(buildDir, 'serve-state') };
const gatewayArgs = urls.flatMap((u) => ['--gateway', u, '--token-env', TOKEN_ENV]);

const t0 = performance.now();
const serve = spawn(process.execPath, [cliBundle, 'serve', ...gatewayArgs, '--metrics-listen', '127.0.0.1:0'], {
  env,
  stdio: ['ignore', 'ignore', 'pipe'],
});
children.push(serve);
serve.on('exit', (code) => !finished && fail(`lanewatch serve exited (${code})`));
let base;
const readAt = new Map();
let errBuf = '';
const allRead = new Promise((resolve) => {
  serve.stderr.on('data', (d) => {
    errBuf += d.toString();
    let nl;
    while ((nl = errBuf.indexOf('\n')) >= 0) {
      const line = errBuf.slice(0, nl);
      errBuf = errBuf.slice(nl + 1);
      const m = /metrics at (http:\/\/\S+)\/metrics/.exec(line);
      if (m) base = m[1];
      const r = /^\S+ read +(\S+): (\d+) session/.exec(line);
      if (r && !readAt.has(r[1])) {
        readAt.set(r[1], { ms: performance.now() - t0, sessions: Number(r[2]) });
        if (readAt.size === GATEWAYS) resolve();
      }
    }
  });
});
await Promise.race([allRead, new Promise((r) => setTimeout(r, 120_000))]);
if (readAt.size < GATEWAYS) fail(`only ${readAt.size} of ${GATEWAYS} gateways read within 120 s`);
const readMs = [...readAt.values()].map((r) => r.ms);
const listed = [...readAt.values()].reduce((n, r) => n + r.sessions, 0);
say(
  `lanewatch serve: every gateway read ${ms(Math.max(...readMs))} after start (first ${ms(Math.min(...readMs))}); ${listed} sessions listed`,
);

async function scrape() {
  const s = performance.now();
  const res = await fetch(`${base}/metrics`, {
    headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
  });
  const body = await res.text();
  const took = performance.now() - s;
  const samples = body.split('\n').filter((l) => l && !l.startsWith('#'));
  return {
    ms: took,
    bytes: Buffer.byteLength(body),
    series: samples.length,
    lanewatch: samples.filter((l) => l.startsWith('lanewatch_')).length,
    sessionSeries: samples.filter((l) => l.startsWith('lanewatch_session_state{')).length,
  };
}
const pause = (t) => new Promise((r) => setTimeout(r, t));

/** CPU per second of the exporter with no scrape, then SCRAPES scrapes 250 ms apart. */
async function phase(name) {
  const a = proc(serve.pid);
  const quietMs = 10_000;
  await pause(quietMs);
  const b = proc(serve.pid);
  const idleCpuPerS = (b.cpu - a.cpu) / (quietMs / 1000);
  const scrapes = [];
  const s0 = proc(serve.pid);
  const w0 = performance.now();
  for (let i = 0; i < SCRAPES; i++) {
    scrapes.push(await scrape());
    await pause(250);
  }
  const wall = (performance.now() - w0) / 1000;
  const s1 = proc(serve.pid);
  const cpuPerScrape = Math.max(0, (s1.cpu - s0.cpu - idleCpuPerS * wall) / SCRAPES);
  const last = scrapes.at(-1);
  say(`\n${name}`);
  say(`  exporter CPU without scrapes: ${(idleCpuPerS * 100).toFixed(2)} % of one core`);
  say(
    `  scrape: p50 ${ms(median(scrapes.map((x) => x.ms)))}, p95 ${ms(
      pct(
        scrapes.map((x) => x.ms),
        95,
      ),
    )}, max ${ms(Math.max(...scrapes.map((x) => x.ms)))} (wall, ${SCRAPES} scrapes); CPU ≈ ${(cpuPerScrape * 1000).toFixed(1)} ms per scrape`,
  );
  say(
    `  series: ${last.series} in all, ${last.lanewatch} lanewatch_*, ${last.sessionSeries} sessions with a series of their own (not idle); ${(last.bytes / 1024).toFixed(1)} KB per scrape`,
  );
  say(`  RSS ${mb(s1.rss)} (peak so far ${mb(s1.hwm)})`);
  return { idleCpuPerS, cpuPerScrape, scrapes, rss: s1.rss };
}

const quiet = await phase(`quiet: ${listed} sessions, all idle`);
gateways.send({ cmd: 'load', rate: RATE, seconds: LOAD_SECONDS + 30 });
await pause(5_000);
const loaded = await phase(`under load: ${RATE} events/s replayed (running, lane-wait and error turns)`);

// ---------------------------------------------------------------- what a user would run instead

say(`\ninstead: \`lanewatch status --json\` over the same ${GATEWAYS} gateways (one process, as cron would start it)`);
const runs = [];
for (let i = 0; i < STATUS_RUNS; i++) {
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%e %U %S %M', process.execPath, cliBundle, 'status', '--json', ...gatewayArgs],
    { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const t = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  if (r.status !== 0 || t.length !== 4) fail(`status run failed (${r.status}): ${r.stderr.slice(-500)}`);
  runs.push({ wall: t[0], cpu: t[1] + t[2], rssKb: t[3], bytes: Buffer.byteLength(r.stdout) });
}
const sWall = median(runs.map((r) => r.wall));
const sCpu = median(runs.map((r) => r.cpu));
const sRss = median(runs.map((r) => r.rssKb));
say(
  `  one run: ${sWall.toFixed(2)} s wall, ${sCpu.toFixed(2)} s CPU, peak RSS ${mb(sRss)}, ${(median(runs.map((r) => r.bytes)) / 1024 / 1024).toFixed(1)} MB of JSON (median of ${STATUS_RUNS})`,
);
const perInterval = (p) => p.idleCpuPerS * INTERVAL + p.cpuPerScrape;
say(`\nper ${INTERVAL} s scrape interval (CPU seconds):`);
for (const [name, p] of [
  ['quiet', quiet],
  ['load', loaded],
]) {
  const e = perInterval(p);
  say(
    `  ${name.padEnd(5)} lanewatch serve ${e.toFixed(3)} s (watching ${(p.idleCpuPerS * INTERVAL).toFixed(3)} + one scrape ${p.cpuPerScrape.toFixed(3)})  vs  status --json ${sCpu.toFixed(2)} s  → ${(sCpu / e).toFixed(1)}× less CPU with serve`,
  );
}
say(
  `  freshness: serve answers a scrape in ${ms(median(loaded.scrapes.map((x) => x.ms)))} from its live model; a status run takes ${sWall.toFixed(2)} s to connect and read everything again`,
);
say(`  memory: serve holds ${mb(loaded.rss)} resident all the time; a status run peaks at ${mb(sRss)} while it runs`);

finished = true;
serve.kill('SIGTERM');
gateways.send({ cmd: 'stop' });
await new Promise((r) => serve.once('exit', r));
setTimeout(() => process.exit(0), 2_000).unref();
