#!/usr/bin/env node
// Fleet benchmark: 5 gateways × 2,000 sessions, driven by frames captured from the real gateway (openclaw 2026.9.6,
// test/fixtures/captured). Not a test: it prints figures, targets and PASS/MISS, and exits 0 unless the setup fails.
//
//   node bench/fleet.mjs                 10 minutes at 50 events/s (the issue's figure)
//   node bench/fleet.mjs --quick         30 seconds at 50 events/s
//   node bench/fleet.mjs --minutes 3     any length
//   options: --rate 50 (events/s, whole fleet)  --gateways 5  --sessions 2000  --quiet-turns 2  --quiet-gap-ms 400
//            --list-delay-ms 0 (extra delay per sessions.list page, to stand in for the gateway's own time)  --seed 1
//            --children 0 (per gateway: how many of its sessions are subagents under parents; issue 16: 500 of 2,000)
//
// Three processes, all on this machine, sockets on 127.0.0.1 only:
//   this script     bundles bench/fleet-host.ts and bench/fleet-gateways.ts with esbuild into bench/.build/
//                   (gitignored), forks the two below, relays their IPC, prints the results
//   fake gateways   bench/fleet-gateways.ts in a child process: 5 ScriptedGateways serving 2,000 sessions each
//                   (paged sessions.list) and replaying captured events; a child PROCESS rather than a worker thread,
//                   so its CPU, heap and GC are wholly outside the measured process
//   "extension host" bench/fleet-host.ts in a child process started with --expose-gc: the real Fleet, GatewayWatcher
//                   and FleetTreeProvider (vscode → test/shims/vscode.ts), plus a copy of VS Code's refresh handling
//
// Measured (see bench/README.md, "Fleet benchmark", for what each figure means exactly):
//   1. hello-ok → complete model, per gateway and for the fleet
//   2. event → tree refresh delay (p50/p95/max), for isolated events and under load, at the provider (A) and
//      through VS Code's own 200 ms debounce (B)
//   3. heapUsed after a forced gc: before the load, every minute of it, and at the end; the growth
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = {
    minutes: 10,
    rate: 50,
    gateways: 5,
    sessions: 2000,
    quietTurns: 2,
    quietGapMs: 400,
    listDelayMs: 0,
    seed: 1,
    children: 0,
    quick: false,
  };
  const num = (name, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      console.error(`${name} needs a number, got "${v}"`);
      process.exit(2);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const take = () => {
      if (i + 1 >= argv.length) {
        console.error(`${a} needs a value`);
        process.exit(2);
      }
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--minutes') o.minutes = num(a, take());
    else if (a === '--rate') o.rate = num(a, take());
    else if (a === '--gateways') o.gateways = Math.max(1, Math.round(num(a, take())));
    else if (a === '--sessions') o.sessions = Math.max(1, Math.round(num(a, take())));
    else if (a === '--quiet-turns') o.quietTurns = Math.round(num(a, take()));
    else if (a === '--quiet-gap-ms') o.quietGapMs = num(a, take());
    else if (a === '--list-delay-ms') o.listDelayMs = num(a, take());
    else if (a === '--seed') o.seed = Math.round(num(a, take()));
    else if (a === '--children') o.children = Math.round(num(a, take()));
    else if (a === '--help' || a === '-h') {
      console.log(readUsage());
      process.exit(0);
    } else {
      console.error(`unknown option "${a}"\n${readUsage()}`);
      process.exit(2);
    }
  }
  if (o.quick) {
    o.minutes = 0.5;
    if (!argv.includes('--quiet-turns')) o.quietTurns = 1;
  }
  return o;
}
function readUsage() {
  return 'usage: node bench/fleet.mjs [--quick | --minutes N] [--rate 50] [--gateways 5] [--sessions 2000] [--quiet-turns 2] [--quiet-gap-ms 400] [--list-delay-ms 0] [--seed 1] [--children 0]';
}

const opts = parseArgs(process.argv.slice(2));
const seconds = Math.max(1, Math.round(opts.minutes * 60));
const heapEveryMs = seconds >= 180 ? 60_000 : Math.max(5_000, Math.round((seconds * 1000) / 3));

const t0 = performance.now();
const say = (m) => console.log(`[fleet ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// ---------------------------------------------------------------- build

const buildDir = path.join(benchDir, '.build');
mkdirSync(buildDir, { recursive: true });
const hostBundle = path.join(buildDir, 'fleet-host.cjs');
const gatewaysBundle = path.join(buildDir, 'fleet-gateways.cjs');
{
  const esbuild = await import('esbuild');
  const shim = path.join(root, 'test/shims/vscode.ts');
  const vscodeShim = {
    name: 'vscode-shim',
    setup(b) {
      b.onResolve({ filter: /^vscode$/ }, () => ({ path: shim }));
    },
  };
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: false,
    minify: false,
    logLevel: 'warning',
    external: ['bufferutil', 'utf-8-validate'],
  };
  const s = performance.now();
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [path.join(benchDir, 'fleet-host.ts')],
      outfile: hostBundle,
      plugins: [vscodeShim],
    }),
    esbuild.build({ ...common, entryPoints: [path.join(benchDir, 'fleet-gateways.ts')], outfile: gatewaysBundle }),
  ]);
  say(
    `bundled bench/fleet-host.ts (src/ + vscode shim) and bench/fleet-gateways.ts → ${path.relative(root, buildDir)}/ in ${(performance.now() - s).toFixed(0)} ms`,
  );
}

// ---------------------------------------------------------------- processes

const children = [];
function start(file, execArgv, name) {
  const child = fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: root });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!finished) fail(`${name} exited early (code ${code}, signal ${signal})`);
  });
  return child;
}
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
  `node ${process.version}, ${os.cpus().length} CPU, load ${load()}; ${opts.gateways} gateways × ${opts.sessions} sessions${opts.children ? ` (${opts.children} of them subagents under parents, every parent open in the view)` : ''}, ${opts.rate} events/s for ${seconds} s, heap every ${heapEveryMs / 1000} s`,
);
const gateways = start(gatewaysBundle, [], 'the fake gateways');
const ready = await new Promise((resolve) => {
  const timer = setTimeout(() => fail('the fake gateways did not start within 60 s'), 60_000);
  gateways.on('message', function onReady(m) {
    if (m.type === 'error') fail(`fake gateways: ${m.message}`);
    if (m.type === 'ready') {
      clearTimeout(timer);
      gateways.off('message', onReady);
      resolve(m);
    }
  });
  gateways.send({
    cmd: 'start',
    gateways: opts.gateways,
    sessions: opts.sessions,
    fixtures: path.join(root, 'test/fixtures/captured'),
    seed: opts.seed,
    listDelayMs: opts.listDelayMs,
    children: opts.children,
  });
});
say(
  `fake gateways up: ${ready.urls.join(' ')}; a session row is ${ready.rowBytes} bytes; turns: ${ready.templates.map((t) => `${t.name} (${t.events} events over ${(t.spanMs / 1000).toFixed(1)} s, weight ${t.weight})`).join(', ')}`,
);

// LANEWATCH_BENCH_HOST_ARGS adds Node flags to the measured process, e.g. "--cpu-prof --cpu-prof-dir=bench/.build".
const hostArgs = ['--expose-gc', ...(process.env.LANEWATCH_BENCH_HOST_ARGS ?? '').split(/\s+/).filter(Boolean)];
const host = start(hostBundle, hostArgs, 'the measured process');
gateways.on('message', (m) => {
  if (m.type === 'error') fail(`fake gateways: ${m.message}`);
  else if (host.connected) host.send(m);
});
const result = await new Promise((resolve) => {
  host.on('message', (m) => {
    if (m.type === 'to-gateways') gateways.send(m.msg);
    else if (m.type === 'result') resolve(m.result);
    else if (m.type === 'failed') fail(`measured process: ${m.message}`);
  });
  host.send({
    type: 'run',
    config: {
      urls: ready.urls,
      token: 'bench-token',
      sessions: opts.sessions,
      rate: opts.rate,
      seconds,
      heapEveryMs,
      quietTurns: opts.quietTurns,
      quietGapMs: opts.quietGapMs,
      completeTimeoutMs: 120_000,
      children: opts.children,
    },
  });
  say(
    `measured process started (${hostArgs.join(' ')}); connecting, then ${opts.quietTurns} quiet turn(s), then ${seconds} s of load`,
  );
});
finished = true;
gateways.send({ cmd: 'stop' });
host.disconnect();
setTimeout(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}, 3_000).unref();

// ---------------------------------------------------------------- report

const rawFile = path.join(buildDir, 'fleet-result.json');
writeFileSync(rawFile, JSON.stringify({ opts, seconds, result }));

function pct(sorted, p) {
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
    : NaN;
} // nearest rank
function stats(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    n: s.length,
    p50: pct(s, 50),
    p95: pct(s, 95),
    max: s.length ? s[s.length - 1] : NaN,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
  };
}
const f1 = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');
const mb = (b) => (b / 1024 / 1024).toFixed(1);

function table(title, columns, rows, notes = []) {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? f1(c) : String(c ?? '–'))));
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

const r = result;
console.log(
  `\n## Fleet benchmark: ${opts.gateways} gateways × ${opts.sessions} sessions${opts.children ? ` (${opts.children} of each gateway's sessions are subagents under parents)` : ''}, ${opts.rate} events/s for ${seconds} s (node ${r.node}, load now ${load()})`,
);

// 1. complete model
const firstHello = Math.min(...r.complete.map((c) => c.hello));
const lastA = Math.max(...r.complete.map((c) => c.treeA)),
  lastB = Math.max(...r.complete.map((c) => c.treeB));
const lastModel = Math.max(...r.complete.map((c) => c.model));
table(
  'hello-ok → complete model (ms)',
  [
    'gateway',
    'hello-ok (from start)',
    'all rows in the watcher',
    'A: provider fired, getChildren = all',
    'B: VS Code view refreshed with all',
    'rows',
  ],
  [
    ...r.complete.map((c) => [
      c.name,
      c.hello - r.t0,
      c.model - c.hello,
      c.treeA - c.hello,
      c.treeB - c.hello,
      `${c.rowsA}`,
    ]),
    [
      'fleet: first hello-ok → last gateway',
      firstHello - r.t0,
      lastModel - firstHello,
      lastA - firstHello,
      lastB - firstHello,
      `${r.complete.reduce((n, c) => n + c.rowsA, 0)}`,
    ],
    ['fleet: start (setGateways) → last gateway', 0, lastModel - r.t0, lastA - r.t0, lastB - r.t0, ''],
  ],
  [
    `Each gateway: agents.list, sessions.subscribe, then sessions.list in pages of 200 (the watcher's default) until hasMore is false; ${opts.listDelayMs ? `each page answered after ${opts.listDelayMs} ms extra` : "the fake answers from memory, so the time is the extension's (plus loopback), not a real gateway's list time"}. Clock offset to the gateways process ${f1(r.clock.offsetMs)} ms (min RTT ${f1(r.clock.rttMs)} ms over IPC).`,
  ],
);

// 2. event → refresh
const recs = r.records;
const sel = (phase, pred = () => true) => recs.filter((x) => x.phase === phase && !x.gc && pred(x));
function delayRows(label, list) {
  const a = stats(list.map((x) => x.a)),
    b = stats(list.map((x) => x.b));
  return [
    [`${label}: A provider`, a.n, a.p50, a.p95, a.max],
    [`${label}: B VS Code`, b.n, b.p50, b.p95, b.max],
  ];
}
const quietAll = sel(1),
  loadAll = sel(2);
table(
  'event → tree refresh (ms, sent by the gateway → the tree item shows the new state)',
  ['events that changed the model', 'n', 'p50', 'p95', 'max'],
  [
    ...delayRows(
      'isolated, description changed',
      quietAll.filter((x) => x.changed),
    ),
    ...delayRows(
      `load ${opts.rate}/s, description changed`,
      loadAll.filter((x) => x.changed),
    ),
    ...['sessions.changed', 'agent', 'chat'].flatMap((k) =>
      delayRows(
        `load, ${k}, changed`,
        loadAll.filter((x) => x.kind === k && x.changed),
      ),
    ),
  ],
  [
    "A: FleetTreeProvider fires onDidChangeTreeData naming the session's row, its gateway node or the root, and getTreeItem(session) then returns the description the model has after the event.",
    'B: the same fires through a copy of ExtHostTreeView (Event.debounce 200 ms, leading edge; then getTreeItem + getChildren + getTreeItem of every child), i.e. when VS Code would have the new item. The renderer round trip is not included.',
    `Isolated: ${r.quiet.events} events of normal turns, one every ${opts.quietGapMs} ms, nothing else running. Events that changed nothing the tree shows (agent/chat deltas, run_status, session.message, ticks) are not in the table: ${
      Object.entries(r.noChange)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }.`,
    `Events that changed the model but not what the row shows (a row update with the same state, queue and label): ${recs.filter((x) => !x.gc && !x.changed).length}; the tree does not refresh for them (their row ages by the clock tick), so they are not timed.`,
    `Excluded: ${recs.filter((x) => x.gc).length} events in flight during a forced gc (heap samples); ${r.overflow} not recorded (buffer full). Description check failed for A ${recs.filter((x) => !x.gc && Number.isFinite(x.a) && !x.matchA).length}, B ${recs.filter((x) => !x.gc && Number.isFinite(x.b) && !x.matchB).length} (a later change of the same session, e.g. a log poll, had already moved it on); changes never refreshed: A ${recs.filter((x) => !x.gc && x.changed && !Number.isFinite(x.a)).length}, B ${recs.filter((x) => !x.gc && x.changed && !Number.isFinite(x.b)).length}.`,
  ],
);

// 2b. what the provider's delay under load is made of
{
  const fireAt = r.fireLog.at,
    fireEvents = r.fireLog.events;
  // The last provider fire at or before t (binary search), or -1.
  const lastFireBefore = (t) => {
    let lo = 0,
      hi = fireAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (fireAt[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };
  const changedLoad = loadAll.filter((x) => x.changed);
  const rows = [];
  for (const [cls, label] of [
    ['state', 'state change (lane state or queue count)'],
    ['words', 'words only (same state and queue)'],
  ]) {
    const list = changedLoad.filter((x) => x.cls === cls);
    rows.push(...delayRows(`load, ${label}`, list));
  }
  const tail = changedLoad.filter((x) => x.a > 100);
  const heldBy = { clock: 0, changes: 0, none: 0 };
  let waitSum = 0;
  for (const x of tail) {
    const i = lastFireBefore(x.applied);
    const held = i >= 0 && x.applied - fireAt[i] < 202;
    if (!held) heldBy.none++;
    else if (fireEvents[i] === 0) heldBy.clock++;
    else heldBy.changes++;
    waitSum += x.a - (x.applied - x.sent);
  }
  const loadFires = fireAt.filter((t) => t >= r.loadStart && t <= r.loadEnd).length;
  const loadClockFires = fireAt.filter((t, i) => t >= r.loadStart && t <= r.loadEnd && fireEvents[i] === 0).length;
  const byCls = (c) => tail.filter((x) => x.cls === c).length;
  table(
    'event → provider fire under load, by what the event changed (ms)',
    ['events', 'n', 'p50', 'p95', 'max'],
    rows,
    [
      `Over 100 ms at A: ${tail.length} of ${changedLoad.length} (${byCls('state')} state changes, ${byCls('words')} words only). The slot they waited for (the provider spaces its fires 202 ms apart, VS Code's 200 ms hold and a margin; a change goes out sooner when it would wait more than 70 ms, or joins an early fire of the last 85 ms) was held by a fire for the clock, counts or other rows (no timed event in it): ${heldBy.clock}; by a fire for other events: ${heldBy.changes}; not held (the delay is elsewhere): ${heldBy.none}. Mean wait from the model's change to the fire: ${f1(tail.length ? waitSum / tail.length : NaN)} ms.`,
      `Provider fires during the load: ${loadFires} (${(loadFires / r.loadSeconds).toFixed(1)}/s), of which ${loadClockFires} carried no timed event (rows rebuilt for their clock, a parent's counts, the lanes row).`,
    ],
  );
}

// 3. heap
const h0 = r.heap[0],
  hEnd = r.heap[r.heap.length - 1];
table(
  'heap of the measured process after a forced gc (MB)',
  ['when', 'heapUsed', 'Δ from start', 'rss', 'gc ms'],
  r.heap.map((h) => [h.label, mb(h.heapUsed), (h.heapUsed - h0.heapUsed) / 1024 / 1024, mb(h.rss), h.gcMs]),
  [
    'start = all gateways complete and the isolated events done, just before the load; end = 2 s after the load stopped.',
  ],
);

// load facts
const loadRefresh = r.view.refreshMs.filter(
  (_, i) => r.view.refreshAt[i] >= r.loadStart && r.view.refreshAt[i] <= r.loadEnd,
);
const rs = stats(loadRefresh);
const totalEvents = r.gatewayStats.reduce((n, g) => n + g.eventsSent, 0);
console.log(`\n### during the load\n`);
console.log(
  `- replayed ${r.load.events} events in ${r.load.seconds.toFixed(1)} s = ${(r.load.events / r.load.seconds).toFixed(1)} events/s (turns started: ${Object.entries(
    r.load.turns,
  )
    .map(([k, v]) => `${k} ${v}`)
    .join(
      ', ',
    )}; ${r.load.meanEventsPerTurn.toFixed(1)} events per turn on average); ${totalEvents} event frames in the whole run incl. ticks and the isolated phase`,
);
console.log(
  `- measured process CPU: ${(((r.cpuUserMs + r.cpuSystemMs) / (r.loadSeconds * 1000)) * 100).toFixed(1)} % of one core (user ${(r.cpuUserMs / 1000).toFixed(1)} s, system ${(r.cpuSystemMs / 1000).toFixed(1)} s); event-loop delay p50 ${f1(r.eventLoopDelay.p50)} ms, p99 ${f1(r.eventLoopDelay.p99)} ms, max ${f1(r.eventLoopDelay.max)} ms`,
);
console.log(
  `- provider fires (whole run) ${r.view.fires}; VS Code-style refreshes during the load ${loadRefresh.length} (${(loadRefresh.length / r.loadSeconds).toFixed(1)}/s), each ${f1(rs.p50)} ms median, ${f1(rs.p95)} ms p95, ${f1(rs.max)} ms max of synchronous extension-host work; ${r.view.itemsResolved} getTreeItem calls by the view in the whole run`,
);
{
  // Refreshes that re-read whole gateways (each re-read is ~2,000 items): what one row costs the extension host there.
  const whole = r.view.refreshMs
    .map((ms, i) => ({ ms, items: r.view.refreshItems[i], at: r.view.refreshAt[i] }))
    .filter((x) => x.at >= r.loadStart && x.at <= r.loadEnd && x.items >= opts.sessions / 2);
  const perRow = stats(whole.map((x) => (x.ms * 1000) / x.items));
  const rowOnly = loadRefresh.length - whole.length;
  console.log(
    `- of those, ${whole.length} re-read whole gateways (${stats(whole.map((x) => x.items)).p50} items at the median): ${f1(perRow.p50)} µs per item median, ${f1(perRow.p95)} µs p95; ${rowOnly} named rows only`,
  );
}
console.log(
  `- requests served: ${r.gatewayStats
    .map(
      (g, i) =>
        `gw${i + 1} ${Object.entries(g.requests)
          .map(([k, v]) => `${k}×${v}`)
          .join(' ')}`,
    )
    .join('; ')}`,
);
console.log(
  `- connection: ${r.disconnects} disconnects, ${r.sequenceGaps} sequence gaps; log lines warn ${r.logCounts.warn}, error ${r.logCounts.error}${r.warnings.length ? `: ${r.warnings.slice(0, 5).join(' | ')}` : ''}`,
);

// targets
const fleetComplete = lastA - firstHello;
// Only events that changed what a row shows are expected to refresh it: the tree fires for nothing else.
const p95A = stats(loadAll.filter((x) => x.changed).map((x) => x.a)).p95,
  p95B = stats(loadAll.filter((x) => x.changed).map((x) => x.b)).p95;
const p95qA = stats(quietAll.filter((x) => x.changed).map((x) => x.a)).p95,
  p95qB = stats(quietAll.filter((x) => x.changed).map((x) => x.b)).p95;
const growth = (hEnd.heapUsed - h0.heapUsed) / 1024 / 1024;
const verdict = (ok) => (ok ? 'PASS' : 'MISS');
table(
  'targets',
  ['figure', 'target', 'measured', ''],
  [
    ['hello-ok → complete model, fleet (A)', '< 1000 ms', `${f1(fleetComplete)} ms`, verdict(fleetComplete < 1000)],
    [`event → refresh p95, load ${opts.rate}/s (A provider)`, '< 100 ms', `${f1(p95A)} ms`, verdict(p95A < 100)],
    ['event → refresh p95, isolated (A provider)', '< 100 ms', `${f1(p95qA)} ms`, verdict(p95qA < 100)],
    [`heap growth over ${seconds} s at ${opts.rate}/s`, '< 50 MB', `${growth.toFixed(1)} MB`, verdict(growth < 50)],
    // Issue 13: VS Code debounces tree refreshes itself (200 ms), so under load the view's target is ≤ 250 ms.
    [`(VS Code view) event → refresh p95, load ${opts.rate}/s (B)`, '≤ 250 ms', `${f1(p95B)} ms`, verdict(p95B <= 250)],
    ['(VS Code view) event → refresh p95, isolated (B)', '< 100 ms', `${f1(p95qB)} ms`, verdict(p95qB < 100)],
    [
      '(VS Code view) hello-ok → complete model, fleet (B)',
      '< 1000 ms',
      `${f1(lastB - firstHello)} ms`,
      verdict(lastB - firstHello < 1000),
    ],
  ],
  [
    "The issue's targets are the first four rows; the (VS Code view) rows apply the same targets to what VS Code itself would show, including its own 200 ms debounce of onDidChangeTreeData, which the extension cannot turn off.",
  ],
);
say(`done; raw figures in ${path.relative(root, rawFile)}`);
process.exit(0);
