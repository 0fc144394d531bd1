#!/usr/bin/env node
// `lanewatch status` against the official listing, `openclaw sessions --json --all-agents --limit all`, on one real
// OpenClaw gateway (2026.9.6) as its session count grows. Not a test: it prints figures, the ratio per size and PASS
// or MISS against the target (status ≥ 5× faster than the official listing), and fails only when the setup fails.
//
//   node bench/status.mjs [--sizes 200,2000,10000] [--runs 7] [--running 3] [--in-flight 10] [--log-kb 2048]
//                         [--churn-runs 3] [--churn-rate 20] [--churn-deletes 1] [--compare DIR] [--state DIR]
//
//   --sizes      session counts to measure at, ascending; sessions are created up to each size in turn
//   --runs       measured runs per contestant and size (one warm-up run each is left out)
//   --running    sessions kept running (a turn whose model call never answers: the fake model's [[hang]]), so
//                status has running sessions to read queued inputs for, as on a busy gateway
//   --in-flight  sessions.create calls in flight while creating
//   --churn-runs after the timed runs, this many more `lanewatch status --json` runs (not timed) while the admin
//                connection keeps changing rows (old rows updated to the top, rows created and deleted): each is
//                checked against what existed for the whole run (none lost, none doubled, no deleted row listed);
//                0 skips them
//   --churn-rate changes per second made meanwhile (0: as fast as the gateway answers, two at a time)
//   --churn-deletes  sessions.delete calls in flight at most (each takes seconds on 2026.9.6; while several are
//                queued one after the other, the gateway answered no sessions.list for 15 s here)
//   --log-kb     before the gateway starts, its log is grown to at least this size with captured 2026.9.6 lines
//                timed over the hour before (a gateway that has run for a while); 0 leaves it as it is
//   --compare    also time the `lanewatch status` of another checkout of this repository (e.g. a `git worktree`
//                of an older commit), interleaved with the others
//   --state      keep the gateway's root in DIR and reuse it next time (its sessions survive: creating 10,000
//                takes minutes); without it a temporary root is removed at the end
//
// Each run is a fresh process, as a user would start it: `node <bundle> status --json --gateway <url>
// --token-env …` for Lanewatch (src/cli/bin.ts bundled by esbuild into bench/.build/, so the current source is
// measured), `node openclaw.mjs sessions --json --all-agents --limit all` with the gateway's own environment for
// the official CLI. The contestants alternate run by run. Each answer is checked: the keys listed by each against
// the gateway's own (sessions.list, paged on the admin connection while nothing changes; their number against its
// totalCount): none missing, none extra, none twice; and what Lanewatch reports it could not read in time.
//
// Per size it also prints the calls a status makes, each alone on the admin connection, beside the fastest way
// measured to get every row from the gateway (sessions.list in pages of 2,500, four in flight) and both process
// floors, and from them the most any status could reach: official / (our process floor + every row the fastest way),
// before connecting, the log, the queues or the report. Where that is under 5×, the gateway's own answer time bounds
// the ratio, not Lanewatch. bench/status-profile.mjs splits one status into its phases on a root kept with --state.
//
// Like bench/run.mjs it runs inside a loopback-only network namespace (re-executing itself under `unshare -n`
// when started outside one); LANEWATCH_NO_NETNS=1 runs on the normal network instead (not recommended).
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { enterLoopbackNamespace } from './netns.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const SIZES = opt('sizes', '200,2000,10000')
  .split(',')
  .map((s) => Number.parseInt(s, 10))
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const RUNS = Number(opt('runs', '7'));
const RUNNING = Number(opt('running', '3'));
const IN_FLIGHT = Number(opt('in-flight', '10'));
const LOG_KB = Number(opt('log-kb', '2048'));
const CHURN_RUNS = Number(opt('churn-runs', '3'));
const CHURN_RATE = Number(opt('churn-rate', '20'));
const CHURN_DELETES = Number(opt('churn-deletes', '1'));
const COMPARE = opt('compare', undefined);
const STATE = opt('state', undefined);
const TARGET = 5;
const FASTEST = 'every row: sessions.list in pages of 2,500, 4 in flight (the fastest way measured; + totalCount)';
const FLOOR = 'node <bundle> --help (process floor: start, load the bundle, exit)';

const tools = await import('../scripts/fixtures/tools.mjs');

// ---------------------------------------------------------------- network namespace (as bench/run.mjs)

await enterLoopbackNamespace({ script: import.meta.url, args: argv, install: 'openclaw' });

// ---------------------------------------------------------------- figures

function summarize(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!s.length) return { n: 0, median: NaN, p90: NaN, min: NaN, max: NaN };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const p90 = s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)];
  return { n: s.length, median, p90, min: s[0], max: s[s.length - 1] };
}
const fmt = (v, digits) => {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (typeof v === 'string') return v;
  if (digits !== undefined) return v.toFixed(digits);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
};
function table(title, columns, rows, notes = []) {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : String(c ?? '–'))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (r) =>
    '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(`\n### ${title}\n`);
  console.log(line(columns));
  console.log(
    '|' + widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|',
  );
  for (const r of cells) console.log(line(r));
  for (const n of notes) console.log(`\n${n}`);
}
const t0 = performance.now();
const say = (m) => console.log(`[status bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- build

const buildDir = path.join(benchDir, '.build');
mkdirSync(buildDir, { recursive: true });
const esbuild = await import('esbuild');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
/** Bundles <checkout>/src/cli/bin.ts as esbuild.mjs bundles dist/cli.js. */
async function bundleCli(checkout, outfile) {
  await esbuild.build({
    entryPoints: [path.join(checkout, 'src/cli/bin.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: false,
    minify: false,
    logLevel: 'warning',
    legalComments: 'none',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
    banner: { js: '#!/usr/bin/env node' },
    define: { LANEWATCH_VERSION: JSON.stringify(pkg.version) },
    nodePaths: [path.join(root, 'node_modules')],
  });
  return outfile;
}
const cliBundle = await bundleCli(root, path.join(buildDir, 'status-cli.cjs'));
const compareBundle = COMPARE
  ? await bundleCli(path.resolve(COMPARE), path.join(buildDir, 'status-cli-compare.cjs'))
  : undefined;
await esbuild.build({
  entryPoints: [path.join(root, 'src/gateway/index.ts')],
  outfile: path.join(buildDir, 'gateway.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  external: ['bufferutil', 'utf-8-validate'],
});
const require = createRequire(import.meta.url);
const gw = require(path.join(buildDir, 'gateway.cjs'));
say(`bundled src/cli/bin.ts → ${path.relative(root, cliBundle)}${compareBundle ? ` and ${COMPARE}` : ''}`);
const { startFakeModel, startGateway, cleanupAll } = await import('../scripts/fixtures/openclaw-gateway.mjs');

// ---------------------------------------------------------------- processes

/**
 * Runs a command to its end: wall ms from spawn to exit, stdout, stderr, exit code. With `lines`, each line of
 * stderr is kept with the ms since spawn at which it arrived (a timeline of a --verbose run). A process still
 * running after 15 minutes is killed (so a hung contestant cannot keep the bench and its gateway up for good);
 * the run then says so.
 */
function timed(cmd, args, env, { lines = false } = {}) {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [],
      err = [],
      stamped = [];
    let partial = '';
    let killed = false;
    const guard = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 15 * 60_000);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      err.push(d);
      if (!lines) return;
      const at = performance.now() - start;
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop();
      for (const l of parts) stamped.push({ at, line: l });
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({
        ms: performance.now() - start,
        code: code ?? signal,
        killed,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        lines: stamped,
      });
    });
  });
}

/** The kind of a notReadInTime entry, from its detail (src/report/fleetReport.ts unreadFacts). */
const unreadKind = (detail) =>
  /^asked/.test(detail)
    ? '(no reply in time)'
    : /^failed/.test(detail)
      ? '(failed)'
      : /^read back to/.test(detail)
        ? '(partial: read back to the bound only)'
        : `(${String(detail).slice(0, 40)})`;
const keysOurs = (report) => report.gateways.flatMap((g) => g.agents.flatMap((a) => a.sessions.map((s) => s.key)));
/** The keys of `openclaw sessions --json`: rows in `sessions`, each with its `key`. */
const keysOfficial = (j) =>
  Array.isArray(j.sessions) ? j.sessions.map((x) => x?.key ?? x?.sessionKey).filter((k) => typeof k === 'string') : [];
/** What a listing lacks or has too much of against `expected` (a Set of keys). */
function compareKeys(keys, expected) {
  const seen = new Set();
  let dup = 0;
  for (const k of keys) {
    if (seen.has(k)) dup++;
    seen.add(k);
  }
  let missing = 0;
  for (const k of expected) if (!seen.has(k)) missing++;
  let extra = 0;
  for (const k of seen) if (!expected.has(k)) extra++;
  return { listed: keys.length, dup, missing, extra };
}

// ---------------------------------------------------------------- main

const tmpRoot = STATE ? path.resolve(STATE) : mkdtempSync(path.join(os.tmpdir(), 'lanewatch-status-bench-'));
mkdirSync(tmpRoot, { recursive: true });
const lwState = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-status-bench-lw-'));
let exitCode = 0;
let admin;
console.log(
  `Lanewatch status bench: sizes ${SIZES.join(', ')}, ${RUNS} runs each, ${RUNNING} running — node ${process.version}, ` +
    `${os.cpus().length} CPU (${os.cpus()[0]?.model ?? '?'}), load ${load()}, ` +
    `${process.env.LANEWATCH_BENCH_IN_NETNS === '1' || loopbackOnly() ? 'loopback-only network namespace' : 'NORMAL network (no namespace)'}`,
);
const results = [];
try {
  const fake = await startFakeModel({});
  // A gateway that has run for a while: its log already holds LOG_KB of lines from the hour before this start
  // (the captured 2026.9.6 lines of test/fixtures/captured, diagnostics left out, re-timed in order).
  const logFile = path.join(tmpRoot, 'status', 'logs', 'openclaw.log');
  const had = statSync(logFile, { throwIfNoEntry: false })?.size ?? 0;
  if (LOG_KB > 0 && had < LOG_KB * 1024) {
    const dir = path.join(root, 'test/fixtures/captured');
    const lines = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).logLines ?? [])
      .filter((l) => !/stalled session|stuck session|long-running session|lane wait exceeded/.test(l));
    const per = Math.max(
      1,
      Math.ceil((LOG_KB * 1024 - had) / (lines.reduce((n, l) => n + l.length + 1, 0) / lines.length)),
    );
    const from = Date.now() - 3600_000;
    const out = [];
    for (let i = 0; i < per; i++) {
      const at = new Date(from + Math.floor((i * 3000_000) / per)).toISOString();
      out.push(
        lines[i % lines.length].replace(/"time":"[^"]*"/, `"time":"${at}"`).replace(/"date":"[^"]*"/, `"date":"${at}"`),
      );
    }
    mkdirSync(path.dirname(logFile), { recursive: true });
    appendFileSync(logFile, out.join('\n') + '\n');
  }
  const gateway = await startGateway({
    root: tmpRoot,
    name: 'status',
    modelBaseUrl: fake.baseUrl,
    diagnostics: true,
    // The gateway archives the oldest sessions beyond session.maintenance.maxEntries (default 5,000) and lists only
    // unarchived ones, while the official CLI lists archived rows too: raised, so that both list every session.
    extraConfig: { session: { maintenance: { maxEntries: Math.max(5_000, 2 * SIZES.at(-1)) } } },
  });
  say(`gateway openclaw ${gateway.version} ready in ${(gateway.readyMs / 1000).toFixed(1)} s at ${gateway.url}`);

  // One admin connection creates the sessions and starts the runs that never end.
  const connection = new gw.GatewayConnection({
    url: gateway.url,
    credentials: () => ({ token: gateway.token }),
    scopes: ['operator.read', 'operator.write', 'operator.admin'],
    identityStore: new gw.MemoryDeviceIdentityStore(),
    reconnect: false,
    clientVersion: 'bench',
    requestTimeoutMs: 300_000,
    log: () => {},
  });
  admin = connection;
  connection.start();
  await connection.waitForConnected(120_000);
  const api = new gw.GatewayApi(connection);
  // A loaded gateway refuses work with UNAVAILABLE "worker task capacity reached" (code=overloaded): try again.
  const retrying = async (fn) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err?.code !== 'UNAVAILABLE' || attempt >= 20) throw err;
        await sleep(250 * (attempt + 1));
      }
    }
  };
  const totalCount = async () => {
    const r = await retrying(() => api.sessionsList({ limit: 1 }, { timeoutMs: 300_000 }));
    return r.totalCount ?? r.count;
  };
  /**
   * Every key the gateway lists: one sessions.list with a limit of its totalCount on the admin connection (then
   * further pages, should the gateway cap the limit). Only called while nothing changes rows; checked: the keys are
   * distinct and as many as the gateway's totalCount, before and after (asked again up to 3 times if not).
   */
  const gatewayKeys = async () => {
    for (let attempt = 1; ; attempt++) {
      const before = await totalCount();
      const keys = [];
      for (let offset = 0; ;) {
        const page = await retrying(() =>
          api.sessionsList({ limit: Math.max(before, 2000), offset }, { timeoutMs: 300_000 }),
        );
        keys.push(...page.sessions.map((x) => x.key));
        offset += page.sessions.length;
        if (!page.sessions.length || page.hasMore === false || offset >= (page.totalCount ?? Infinity)) break;
      }
      const after = await totalCount();
      const set = new Set(keys);
      if (set.size === keys.length && set.size === before && before === after) return set;
      const why = `${keys.length} keys (${set.size} distinct), totalCount ${before} before and ${after} after`;
      if (attempt >= 3) throw new Error(`the gateway's own listing is not stable: ${why}`);
      say(`the gateway's own listing changed while read (${why}): asked again`);
      await sleep(2000);
    }
  };

  /**
   * Every row by plain offset pages of `size`, `parallel` requests in flight, on the admin connection, nothing else
   * asked meanwhile: the least any client of this gateway waits for all its rows (no completeness checks).
   */
  const everyRow = async (size, parallel) => {
    const total = await totalCount();
    let next = 0,
      kb = 0;
    const worker = async () => {
      while (next < total) {
        const offset = next;
        next += size;
        const page = await retrying(() =>
          api.sessionsList(offset ? { limit: size, offset } : { limit: size }, { timeoutMs: 300_000 }),
        );
        kb += Buffer.byteLength(JSON.stringify(page)) / 1024;
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return { kb };
  };

  // Runs that never end: a turn whose model call the fake model never answers.
  const runningKeys = Array.from({ length: RUNNING }, (_, i) => `agent:main:status-running-${i + 1}`);
  if (RUNNING) {
    say(`starting ${RUNNING} runs that never end (fake model [[hang]]); the first turn bootstraps the workspace`);
    for (const key of runningKeys)
      await api.chatSend(
        {
          sessionKey: key,
          message: `status bench ${Date.now()} [[hang]]`,
          idempotencyKey: `status-${key}-${Date.now()}`,
        },
        { timeoutMs: 300_000 },
      );
    for (let i = 0; i < 600; i++) {
      const page = await retrying(() => api.sessionsList({ limit: 200, activeOnly: true }));
      const active = page.sessions.filter((s) => runningKeys.includes(s.key) && s.hasActiveRun === true).length;
      if (active === RUNNING) break;
      await sleep(500);
    }
    say(`${RUNNING} sessions running`);
  }

  const ourEnv = {
    ...process.env,
    LANEWATCH_BENCH_TOKEN: gateway.token,
    LANEWATCH_STATE_DIR: lwState,
  };
  for (const k of Object.keys(ourEnv)) if (k.startsWith('OPENCLAW_')) delete ourEnv[k];
  const ours =
    (bundle, extra = []) =>
    (o) =>
      timed(
        tools.nodeBin,
        [bundle, 'status', '--json', ...extra, '--gateway', gateway.url, '--token-env', 'LANEWATCH_BENCH_TOKEN'],
        ourEnv,
        o,
      );
  const official = () =>
    timed(tools.nodeBin, [gateway.entry, 'sessions', '--json', '--all-agents', '--limit', 'all'], gateway.env);
  const contestants = [
    { name: 'lanewatch status --json', run: ours(cliBundle), kind: 'ours' },
    ...(compareBundle
      ? [{ name: `lanewatch status --json (${COMPARE})`, run: ours(compareBundle), kind: 'ours' }]
      : []),
    { name: 'openclaw sessions --json --all-agents --limit all', run: official, kind: 'official' },
  ];

  /**
   * CHURN_RUNS runs of `lanewatch status --json` (not timed) while the admin connection keeps changing rows, two
   * changes in flight, in turn: an old row (from the older half of the list, so on a later page) updated
   * (sessions.patch of its label, which moves it to the top of the default order), a row created (at the top), one of
   * those deleted (above the rows not read yet, shifting them up). Each run is checked against what existed for all
   * of it: every row that existed from its start to its end listed, none twice, none that never existed or was
   * deleted before it started. Rows created or deleted while it ran may be listed or not. The rows it created are
   * deleted at the end (the count is back where it was).
   */
  async function churnCheck(expected) {
    const initial = [...expected];
    const deep = initial.slice(Math.floor(initial.length / 2)).filter((k) => !runningKeys.includes(k));
    const created = new Map(); // key → { start, end } of its sessions.create
    const deleted = new Map(); // key → { start, end } of its sessions.delete
    const alive = [];
    const made = { updated: 0, created: 0, deleted: 0, refused: 0, failed: 0, lastError: '' };
    const stamp = `churn-${Date.now().toString(36)}`;
    // Whether an update moves a row to the top here: patch the last row, then look at the first page.
    const probeKey = deep.at(-1);
    await retrying(() => connection.request('sessions.patch', { key: probeKey, label: `${stamp} probe` }));
    const head = await retrying(() => api.sessionsList({ limit: 5 }));
    const moves = head.sessions.some((x) => x.key === probeKey);
    let stop = false,
      n = 0;
    const inFlight = new Map();
    const opMs = {};
    /** One change, timed; a refusal as overloaded (or a failure) is counted and `undo` says it did not happen. */
    const change = async (kind, fn, undo = () => {}) => {
      const began = performance.now();
      inFlight.set(began, kind);
      try {
        await fn();
      } catch (err) {
        undo();
        if (err?.code === 'UNAVAILABLE') made.refused++;
        else {
          made.failed++;
          made.lastError = `${kind}: ${err?.code ?? ''} ${err?.message ?? err}`.slice(0, 200);
        }
        await sleep(250);
      } finally {
        inFlight.delete(began);
        (opMs[kind] ??= []).push(performance.now() - began);
      }
    };
    // sessions.delete answers only after seconds here (2026.9.6): deletes are not waited for, CHURN_DELETES at once.
    const deletes = new Set();
    // At most 20 rows of its own alive, and CHURN_DELETES deletes in flight: a change that cannot be made now is an
    // update.
    let nextAt = performance.now();
    const worker = async () => {
      while (!stop) {
        if (CHURN_RATE > 0) {
          const at = Math.max(nextAt, performance.now());
          nextAt = at + 1000 / CHURN_RATE;
          await sleep(Math.max(0, at - performance.now()));
          if (stop) break;
        }
        const op = n++ % 3;
        if (op === 1 && alive.length < 20) {
          const key = `agent:main:status-${stamp}-${n}`;
          const t = { start: performance.now(), end: Infinity };
          created.set(key, t);
          await change('sessions.create', async () => {
            await connection.request('sessions.create', { key });
            t.end = performance.now();
            alive.push(key);
            made.created++;
          });
        } else if (op === 2 && alive.length >= 5 && deletes.size < CHURN_DELETES) {
          const key = alive.shift();
          const t = { start: performance.now(), end: Infinity };
          deleted.set(key, t);
          const p = change(
            'sessions.delete',
            async () => {
              await connection.request('sessions.delete', { key });
              t.end = performance.now();
              made.deleted++;
            },
            // A refused delete did not happen: the row is still there, to be deleted later.
            () => {
              deleted.delete(key);
              alive.push(key);
            },
          ).finally(() => deletes.delete(p));
          deletes.add(p);
        } else {
          const key = deep[Math.floor(Math.random() * deep.length)];
          await change('sessions.patch', async () => {
            await connection.request('sessions.patch', { key, label: `${stamp} ${n}` });
            made.updated++;
          });
        }
      }
    };
    const workers = [worker(), worker()];
    // Whether the gateway answers lists at all meanwhile: sessions.list {limit: 1} on the admin connection, each
    // second (its answer time; one still unanswered when the runs end counts with its age).
    const listMs = [];
    let listOpen;
    const lister = (async () => {
      while (!stop) {
        listOpen = performance.now();
        try {
          await api.sessionsList({ limit: 1 }, { timeoutMs: 300_000 });
        } catch {
          // counted by its time all the same
        }
        if (listOpen !== undefined) listMs.push(performance.now() - listOpen);
        listOpen = undefined;
        if (!stop) await sleep(1000);
      }
    })();
    let complete = 0,
      announced = 0;
    const notes = [];
    const per = [];
    let stillOpen = [];
    try {
      for (let run = 0; run < CHURN_RUNS; run++) {
        const before = { ...made };
        const start = performance.now();
        const r = await ours(cliBundle, ['--verbose'])({ lines: true });
        const end = performance.now();
        let keys, said;
        try {
          const j = JSON.parse(r.stdout);
          keys = keysOurs(j);
          said = j.gateways
            .flatMap((g) => g.notReadInTime ?? [])
            .filter((u) => u.what === 'sessions.list')
            .map((u) => u.detail);
        } catch (err) {
          notes.push(`run ${run + 1}: exit ${r.code}, no JSON (${err.message})`);
          per.push('no JSON');
          continue;
        }
        // Existed for the whole run: the rows from before (only rows created here are deleted) and the rows whose
        // create was answered before the run started and whose delete was not asked before it ended.
        const stable = new Set(initial);
        const allowed = new Set(initial);
        for (const [key, t] of created) {
          const d = deleted.get(key);
          if (t.start > end || (d && d.end < start)) continue; // did not exist while the run ran
          allowed.add(key);
          if (t.end < start && !(d && d.start <= end)) stable.add(key);
        }
        const seen = new Set();
        let dup = 0;
        for (const k of keys) seen.has(k) ? dup++ : seen.add(k);
        let missing = 0;
        for (const k of stable) if (!seen.has(k)) missing++;
        let extra = 0;
        for (const k of seen) if (!allowed.has(k)) extra++;
        const changes = made.updated - before.updated + made.created - before.created + made.deleted - before.deleted;
        const ok = !dup && !missing && !extra && r.code === 0;
        if (ok) complete++;
        else if (said.length) announced++;
        // How it read the rows, from its --verbose log: the sessions.list summary line (pages, re-reads, passes).
        const how = r.lines.find((l) => /\] sessions\.list: \d+ rows/.test(l.line));
        per.push(
          `${ok ? 'complete' : said.length ? 'INCOMPLETE, and says so' : 'INCOMPLETE, not said'} — ${keys.length} listed, ${stable.size} existed throughout: ${missing} missing, ${extra} that did not exist, ${dup} twice; exit ${r.code}; ${changes} changes during its ${r.ms.toFixed(0)} ms; ` +
            (how
              ? `read: ${how.line.replace(/^.*\] sessions\.list: /, '')}`
              : `no sessions.list summary in its log${said.length ? `; notReadInTime: ${said.join('; ')}` : ''}`),
        );
        if (!ok) {
          // Its log, a line repeated later shown once with how often it came.
          const seen = new Map();
          const ls = [];
          for (const l of r.lines.filter((x) => x.line.trim())) {
            const text = l.line.slice(0, 200);
            if (seen.has(text)) {
              seen.get(text).n++;
              continue;
            }
            const entry = { ...l, text, n: 1 };
            ls.push(entry);
            seen.set(text, entry);
          }
          const shown =
            ls.length > 30 ? [...ls.slice(0, 15), { text: `… ${ls.length - 30} more` }, ...ls.slice(-15)] : ls;
          for (const l of shown)
            per.push(
              `    ${l.at === undefined ? '' : `${l.at.toFixed(0)} ms `}${l.text}${l.n > 1 ? ` (×${l.n})` : ''}`,
            );
        }
      }
    } finally {
      stop = true;
      stillOpen = [...inFlight.values()];
      if (listOpen !== undefined) {
        listMs.push(performance.now() - listOpen);
        listOpen = undefined;
      }
      await Promise.allSettled([...workers, lister]);
      await Promise.allSettled([...deletes]);
      await Promise.all(alive.splice(0).map((key) => retrying(() => connection.request('sessions.delete', { key }))));
    }
    const after = await totalCount();
    console.log(
      `\n### while rows change (${initial.length} sessions, ${CHURN_RATE > 0 ? `${CHURN_RATE} changes/s asked` : 'changes as fast as answered'}, ≤${CHURN_DELETES} delete(s) in flight): ${CHURN_RUNS} runs of lanewatch status --json --verbose, not timed\n`,
    );
    console.log(
      `changes made: ${made.updated} old rows updated (sessions.patch of the label; ${moves ? 'an update moves the row to the top here' : 'NOTE: an update did NOT move the row to the top here'}), ${made.created} created, ${made.deleted} deleted, ${made.refused} refused as overloaded${made.failed ? `, ${made.failed} failed (last: ${made.lastError})` : ''}`,
    );
    let runNo = 0;
    for (const p of per) console.log(p.startsWith('    ') ? p : `- run ${++runNo}: ${p}`);
    console.log(
      `complete: ${complete}/${CHURN_RUNS}; incomplete and said so (notReadInTime sessions.list): ${announced}; incomplete without saying so: ${CHURN_RUNS - complete - announced}. totalCount after the rows created here were deleted: ${after}`,
    );
    console.log(
      `ms per change (median, max): ${
        Object.entries(opMs)
          .map(([k, v]) => `${k} ${fmt(summarize(v).median)}, ${fmt(summarize(v).max)}`)
          .join('; ') || 'none'
      }; unanswered when the runs ended: ${stillOpen.join(', ') || 'none'}`,
    );
    const ls = summarize(listMs);
    console.log(
      `the gateway's own sessions.list {limit: 1} meanwhile (admin connection, each second): ${ls.n} calls, median ${fmt(ls.median)} ms, max ${fmt(ls.max)} ms`,
    );
    for (const note of notes) console.log(`- ${note}`);
    return { runs: CHURN_RUNS, complete, announced, made, moves, listMax: ls.max };
  }

  for (const size of SIZES) {
    let have = await totalCount();
    if (have < size) {
      const need = size - have;
      say(`creating ${need} sessions (${have} → ${size}), ${IN_FLIGHT} in flight; load ${load()}`);
      const start = performance.now();
      let next = 0,
        made = 0;
      const stamp = Date.now().toString(36);
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < need) {
            const i = next++;
            await retrying(() =>
              connection.request(
                'sessions.create',
                { key: `agent:main:status-${stamp}-${String(i).padStart(5, '0')}` },
                { timeoutMs: 300_000 },
              ),
            );
            made++;
            if (made % 1000 === 0) say(`  ${made}/${need} created`);
          }
        }),
      );
      const s = (performance.now() - start) / 1000;
      have = await totalCount();
      say(`created ${need} in ${s.toFixed(1)} s (${(need / s).toFixed(1)}/s); totalCount ${have}`);
    }
    const logBytes = statSync(gateway.logFile, { throwIfNoEntry: false })?.size ?? 0;
    say(`size ${size}: ${have} sessions on the gateway, log ${(logBytes / 1024).toFixed(0)} KB; load ${load()}`);

    // What every listing must equal: the gateway's own keys, while nothing changes.
    const expected = await gatewayKeys();
    const runs = contestants.map(() => []);
    const notes = [];
    for (let round = 0; round <= RUNS; round++) {
      // Alternate who goes first, so drift in load hits all alike.
      const order = contestants.map((_, i) => i);
      if (round % 2) order.reverse();
      for (const i of order) {
        const c = contestants[i];
        const r = await c.run();
        const entry = { ms: r.ms, listed: NaN, check: undefined, unread: new Map(), archived: 0 };
        try {
          const j = JSON.parse(r.stdout);
          const keys = c.kind === 'ours' ? keysOurs(j) : keysOfficial(j);
          entry.listed = keys.length;
          entry.check = compareKeys(keys, expected);
          if (c.kind === 'ours')
            for (const u of j.gateways.flatMap((g) => g.notReadInTime ?? [])) {
              const label = `${u.what} ${unreadKind(u.detail)}`;
              entry.unread.set(label, (entry.unread.get(label) ?? 0) + 1);
            }
          else entry.archived = Array.isArray(j.sessions) ? j.sessions.filter((x) => x?.archived === true).length : 0;
          const { dup, missing, extra } = entry.check;
          if (dup || missing || extra)
            notes.push(
              `${c.name}: run ${round} listed ${keys.length} rows: ${missing} of the gateway's ${expected.size} missing, ${extra} not on the gateway, ${dup} twice`,
            );
        } catch (err) {
          notes.push(
            `${c.name}: run ${round} exit ${r.code}, no JSON (${err.message}; ${r.stderr.trim().slice(0, 200)})`,
          );
        }
        if (r.code !== 0 || r.killed)
          notes.push(
            `${c.name}: run ${round} exit ${r.code}${r.killed ? ' (killed after 15 min)' : ''}: ${r.stderr.trim().slice(0, 200)}`,
          );
        if (round > 0) runs[i].push(entry);
      }
    }

    // One more run of ours with --verbose, not timed with the others: its log, each line with the ms since spawn
    // at which it arrived. The process's own account of where its time went.
    const verbose = await ours(cliBundle, ['--verbose'])({ lines: true });
    console.log(
      `\n### one \`lanewatch status --json --verbose\` (${have} sessions, not in the figures): stderr, ms since spawn\n`,
    );
    console.log('```');
    const vlines = verbose.lines.filter((l) => l.line.trim());
    for (const l of vlines.slice(0, 40)) console.log(`${l.at.toFixed(0).padStart(6)}  ${l.line.slice(0, 220)}`);
    if (vlines.length > 40) console.log(`        … ${vlines.length - 40} more lines`);
    console.log(`${verbose.ms.toFixed(0).padStart(6)}  (exit ${verbose.code})`);
    console.log('```');

    // Where a status's time goes on this gateway: each call it makes, alone, on the admin connection; and the
    // process floor (node starting the bundle and printing its usage, no connection).
    const lastPage = Math.max(0, have - 2000);
    const probes = [
      [FLOOR, () => timed(tools.nodeBin, [cliBundle, '--help'], ourEnv)],
      ['agents.list', () => retrying(() => api.agentsList())],
      ['sessions.list {limit: 1} (the fixed part of a call)', () => retrying(() => api.sessionsList({ limit: 1 }))],
      [
        'sessions.list {limit: 2000} at offset 0 (the first page)',
        () => retrying(() => api.sessionsList({ limit: 2000 })),
      ],
      ...(lastPage > 0
        ? [
            [
              `sessions.list {limit: 2000} at offset ${lastPage} (the last page)`,
              () => retrying(() => api.sessionsList({ limit: 2000, offset: lastPage })),
            ],
            [
              `sessions.list {limit: ${have}} (every row in one page)`,
              () => retrying(() => api.sessionsList({ limit: have }, { timeoutMs: 300_000 })),
            ],
          ]
        : []),
      [
        'logs.tail {maxBytes: 64 KB} (the first log read)',
        () => retrying(() => api.logsTail({ limit: 1000, maxBytes: 64 * 1024 })),
      ],
      [
        'logs.tail {maxBytes: 512 KB} (the second read, at most)',
        () => retrying(() => api.logsTail({ limit: 5000, maxBytes: 512 * 1024 })),
      ],
      ...(runningKeys.length
        ? [
            [
              'chat.history {limit: 1} of a running session',
              () => retrying(() => api.chatHistory({ sessionKey: runningKeys[0], limit: 1 })),
            ],
          ]
        : []),
      ['diagnostics.lanes', () => retrying(() => api.diagnosticsLanes())],
      [FASTEST, () => everyRow(2500, 4)],
      [
        "node openclaw.mjs --version (the official CLI's process floor)",
        () => timed(tools.nodeBin, [gateway.entry, '--version'], gateway.env),
      ],
    ];
    const probeMs = probes.map(() => []);
    const probeKb = probes.map(() => 0);
    for (let round = 0; round < 5; round++)
      for (const [i, [, call]] of probes.entries()) {
        const start = performance.now();
        const result = await call();
        probeMs[i].push(performance.now() - start);
        probeKb[i] =
          result?.stdout !== undefined ? NaN : (result?.kb ?? Buffer.byteLength(JSON.stringify(result)) / 1024);
      }
    table(
      `the calls a status makes, each alone (${have} sessions, 5 runs each, admin connection)`,
      ['call', 'median ms', 'min', 'max', 'KB'],
      probes.map(([label], i) => {
        const st = summarize(probeMs[i]);
        return [label, st.median, st.min, st.max, probeKb[i]];
      }),
    );

    const probeMedian = (label) => summarize(probeMs[probes.findIndex(([l]) => l === label)]).median;
    const floorMs = probeMedian(FLOOR),
      fastestMs = probeMedian(FASTEST);
    const officialIndex = contestants.findIndex((c) => c.kind === 'official');
    const om = summarize(runs[officialIndex].map((r) => r.ms)).median;
    const rows = contestants.map((c, i) => {
      const rs = runs[i];
      const s = summarize(rs.map((r) => r.ms));
      const listed = [...new Set(rs.map((r) => r.listed))].join('/');
      const complete = rs.filter((r) => r.check && !r.check.dup && !r.check.missing && !r.check.extra).length;
      const labels = [...new Set(rs.flatMap((r) => [...r.unread.keys()]))];
      const unread =
        c.kind === 'ours'
          ? labels
              .map((l) => {
                const counts = rs.map((r) => r.unread.get(l) ?? 0);
                const most = Math.max(...counts);
                return `${l} ${counts.filter(Boolean).length}/${rs.length}${most > 1 ? ` (≤${most})` : ''}`;
              })
              .join('; ') || `none 0/${rs.length}`
          : rs.some((r) => r.archived)
            ? `${Math.max(...rs.map((r) => r.archived))} archived`
            : '(n/a)';
      return { c, s, listed, complete, unread, ratio: om / s.median };
    });
    const ratio = rows[0].ratio;
    const verdict = ratio >= TARGET ? 'PASS' : 'MISS';
    const loadNow = load();
    table(
      `${have} sessions (${RUNNING} running), log ${(logBytes / 1024).toFixed(0)} KB: wall ms per run, fresh process each`,
      [
        'command',
        'n',
        'median',
        'p90',
        'min',
        'max',
        'listed',
        `= gateway's ${expected.size}`,
        'not read in time',
        '× official',
      ],
      rows.map((r) => [
        r.c.name,
        r.s.n,
        r.s.median,
        r.s.p90,
        r.s.min,
        r.s.max,
        r.listed,
        `${r.complete}/${r.s.n}`,
        r.unread,
        r.ratio,
      ]),
      [
        `ratio official / lanewatch (medians, unrounded): ${om.toFixed(1)} / ${rows[0].s.median.toFixed(1)} = ${ratio.toFixed(2)}× — target ≥ ${TARGET}× — ${verdict}`,
        `the most any status could reach here: official / (process floor + every row the fastest way, medians above, no connect, no log, no report) = ${om.toFixed(0)} / (${floorMs.toFixed(0)} + ${fastestMs.toFixed(0)}) = ${(om / (floorMs + fastestMs)).toFixed(2)}×; the ${TARGET}× target leaves ${(om / TARGET).toFixed(0)} ms`,
        `gateway: ${expected.size} keys listed on the admin connection, totalCount ${await totalCount()}; load average ${loadNow} (1, 5, 15 min)`,
        ...(notes.length
          ? [`${notes.length} note(s):`, ...notes.slice(0, 12)]
          : ['no run failed, lost, added or doubled a row']),
      ],
    );

    const churn = CHURN_RUNS > 0 ? await churnCheck(expected) : undefined;
    const ceiling = om / (floorMs + fastestMs);
    results.push({ size, have, logBytes, ratio, verdict, rows, load: loadNow, churn, ceiling });
  }
  table(
    'summary: lanewatch status against the official listing (medians; ratio = official / lanewatch)',
    [
      'sessions',
      'log KB',
      'lanewatch ms',
      ...(compareBundle ? [`${COMPARE} ms`, `${COMPARE} ratio`] : []),
      'official ms',
      'ratio',
      `target ≥ ${TARGET}×`,
      'most reachable (floor + fastest rows)',
      'complete (ours, official)',
      'not read in time (ours)',
      ...(CHURN_RUNS > 0 ? [`complete while rows change (${CHURN_RATE || 'max'}/s, ≤${CHURN_DELETES} delete)`] : []),
      'load after',
    ],
    results.map((r) => {
      const o = r.rows.at(-1);
      const compare = compareBundle ? [r.rows[1].s.median, `${r.rows[1].ratio.toFixed(2)}×`] : [];
      return [
        r.have,
        r.logBytes / 1024,
        r.rows[0].s.median,
        ...compare,
        o.s.median,
        `${r.ratio.toFixed(2)}×`,
        r.verdict,
        `${r.ceiling.toFixed(2)}×`,
        `${r.rows[0].complete}/${r.rows[0].s.n}, ${o.complete}/${o.s.n}`,
        r.rows[0].unread,
        ...(CHURN_RUNS > 0
          ? [
              r.churn
                ? `${r.churn.complete}/${r.churn.runs}${r.churn.announced ? ` (+${r.churn.announced} said incomplete)` : ''}`
                : '–',
            ]
          : []),
        r.load,
      ];
    }),
  );
} catch (err) {
  console.error(`bench failed: ${err?.stack ?? err}`);
  exitCode = 1;
} finally {
  admin?.dispose();
  await cleanupAll();
  rmSync(lwState, { recursive: true, force: true });
  if (!STATE) rmSync(tmpRoot, { recursive: true, force: true, maxRetries: 5 });
  say('stopped everything this run started');
}
process.exit(exitCode);
