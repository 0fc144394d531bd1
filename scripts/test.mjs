#!/usr/bin/env node
// `npm test`: every suite, in order, against the real fixtures.
//   unit       plain Node (node:test), no network
//   gateway    the gateway client against a real openclaw gateway (node:test), 2026.9.x
//   gateway-legacy  the same suite against the protocol-3 versions of the field reports (2026.3.24, 2026.4.26),
//              scoped to what each does differently (test/support/scope.ts; LANEWATCH_GATEWAY_SCOPE=all runs every
//              test everywhere), both versions side by side (LANEWATCH_LEGACY_VERSIONS="v1 v2" overrides the list)
//   extension  mocha inside the real VS Code extension host (code-server), against a real gateway
//   ui         the packaged .vsix in real VS Code in headless chromium (playwright-core), screenshots
//   token-scan (last, whenever a stage ran real gateways) none of their tokens is in lanewatch.vsix, dist/, out/ or
//              test-results/ (screenshots, logs, each stage's output in test-results/logs/)
//
//   node scripts/test.mjs [unit|gateway|gateway-legacy|extension|ui ...]     (default: all)
//
// Installs (Node 24, openclaw, code-server, chromium) happen first, on the normal network. The suites then
// run inside a loopback-only network namespace: the real gateway looks up a public host at every start and
// no setting stops that, so the namespace guarantees every byte under test stays on this machine.
// Prints each stage's time, then one closing line `N passed, M failed`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['unit', 'gateway', 'gateway-legacy', 'extension', 'ui', 'ui-legacy'];
// The versions the field reports came from (protocol 3). Installed in `prepare`, before the network namespace.
const LEGACY_VERSIONS = (process.env.LANEWATCH_LEGACY_VERSIONS ?? '2026.3.24 2026.4.26')
  .split(/[\s,]+/)
  .filter(Boolean);
// The packaged extension in real VS Code on the version whose zombie rows the field reports describe.
const UI_LEGACY_VERSION = process.env.LANEWATCH_UI_LEGACY_VERSION ?? '2026.3.24';
const args = process.argv.slice(2);
const inNetns = args.includes('--in-netns');
const stages = args.filter((a) => !a.startsWith('--'));
const selected = stages.length ? stages : ALL;
for (const s of selected)
  if (!ALL.includes(s)) {
    console.error(`unknown stage "${s}" (stages: ${ALL.join(', ')})`);
    process.exit(2);
  }
const needsGateway = selected.some((s) => s !== 'unit');
const needsVscode = selected.includes('extension') || selected.includes('ui') || selected.includes('ui-legacy');

const t0 = Date.now();
const say = (m) => console.log(`[test ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const timings = [];
async function stage(name, fn) {
  const s = Date.now();
  say(`── ${name}`);
  try {
    return await fn();
  } finally {
    timings.push([name, Date.now() - s]);
  }
}

/**
 * Runs a suite, relaying its output (`opts.quiet`: kept only, for the caller to print); with `opts.log`, the output is
 * also kept in test-results/logs/<log>.log.
 */
function run(cmd, argv, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let out = '';
    const relay = (stream, sink) =>
      stream.on('data', (d) => {
        out += d;
        sink?.write(d);
      });
    relay(child.stdout, opts.quiet ? null : process.stdout);
    relay(child.stderr, opts.quiet ? null : process.stderr);
    // opts.exitGraceMs: a child that printed its verdict line ("N passed, M failed") but has not exited this long after
    // is ended, and its verdict stands (the token scan, twice in a few dozen runs on this machine, printed its verdict
    // and then sat in process.exit for 14 and 40 minutes, which in CI would be the whole run).
    let verdictTimer;
    if (opts.exitGraceMs)
      child.stdout.on('data', () => {
        if (verdictTimer || !/^\d+ passed, \d+ failed\s*$/m.test(out)) return;
        verdictTimer = setTimeout(() => {
          out += `# it printed its verdict and had not exited ${opts.exitGraceMs / 1000} s later: ended (pid ${child.pid})\n`;
          ended = true;
          child.kill('SIGKILL');
        }, opts.exitGraceMs);
      });
    let ended = false;
    child.on('close', (code, signal) => {
      clearTimeout(verdictTimer);
      if (ended) code = Number(/^\d+ passed, (\d+) failed\s*$/m.exec(out)?.[1] ?? 1) === 0 ? 0 : 1;
      if (opts.log) {
        mkdirSync(path.join(root, 'test-results', 'logs'), { recursive: true });
        writeFileSync(path.join(root, 'test-results', 'logs', `${opts.log}.log`), out);
      }
      resolve({ code: code ?? (signal ? 1 : 0), out });
    });
  });
}

const tools = await import('./fixtures/tools.mjs');
const nodeBin = tools.nodeBin;

if (!inNetns) {
  await stage('prepare', async () => {
    if (needsGateway) await tools.ensureInstalled(needsVscode ? 'all' : 'openclaw');
    // 2026.3.24 needs an npm override (linkedom) and 2026.4.26 stages its plugins' deps: both need the network.
    if (selected.includes('gateway-legacy'))
      for (const v of LEGACY_VERSIONS) await tools.ensureInstalled('openclaw', { openclawVersion: v });
    if (selected.includes('ui-legacy')) await tools.ensureInstalled('openclaw', { openclawVersion: UI_LEGACY_VERSION });
    // The tool cache can outlive the machine's packages (a restored cache on a new machine).
    if (needsVscode && !existsSync(process.env.CHROMIUM ?? '/usr/bin/chromium'))
      spawnSync('bash', [path.join(root, 'scripts/setup-tools.sh'), 'vscode'], { stdio: 'inherit' });
    const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) process.exit(1);
    // The static checks fail the run before any suite: the three typechecks always; ESLint (rules and import walls)
    // and Prettier whenever the unit stage runs (a full `npm test` does).
    const style = spawnSync(
      process.execPath,
      [path.join(root, 'scripts/check-style.mjs'), ...(selected.includes('unit') ? [] : ['typecheck'])],
      { cwd: root, stdio: 'inherit' },
    );
    if (style.status !== 0) {
      console.error('static checks failed (typecheck, lint or format: see above; `npm run format` fixes formatting)');
      process.exit(1);
    }
    if (selected.includes('ui') || selected.includes('ui-legacy')) {
      const pkg = spawnSync(process.execPath, [path.join(root, 'scripts/package-vsix.mjs')], {
        cwd: root,
        stdio: 'inherit',
      });
      if (pkg.status !== 0) process.exit(1);
    }
  });
  if (needsGateway && process.env.LANEWATCH_NO_NETNS !== '1') {
    const unshareArgs = process.getuid?.() === 0 ? ['-n'] : ['-rn'];
    const probe = spawnSync('unshare', [...unshareArgs, 'true']);
    if (probe.status === 0) {
      say('entering a loopback-only network namespace for the suites');
      const node = existsSync(nodeBin) ? nodeBin : process.execPath;
      const inner = `ip link set lo up && exec "${node}" "${path.join(root, 'scripts/test.mjs')}" --in-netns ${selected.join(' ')}`;
      const child = spawn('unshare', [...unshareArgs, 'sh', '-c', inner], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, LANEWATCH_PREPARE_MS: String(Date.now() - t0) },
      });
      child.on('close', (code) => process.exit(code ?? 1));
      await new Promise(() => {});
    }
    say(
      'WARNING: cannot create a network namespace (unshare refused); running on the normal network. Set LANEWATCH_NO_NETNS=1 to silence this.',
    );
  }
}

// ---------------------------------------------------------------- suites (inside the namespace when possible)
const results = [];
const record = (name, passed, failed, code) => {
  // A stage that ran no test is a failure, not a pass.
  if (passed + failed === 0) {
    console.error(`[test] stage ${name} ran no test`);
    failed = 1;
  }
  results.push({ name, passed, failed, code });
};

// What failed, printed again at the very end of the run: CI keeps only the tail of a long log, and a count without
// the failing test's name sends the reader to rerun a 9-minute stage to learn it.
const failureDigests = [];
/** Keeps the failing tests of one job's output (node --test's summary, mocha's, or the UI runner's `not ok` lines). */
function noteFailures(name, out) {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => /failing tests:|^\s*\d+ failing\s*$/.test(l));
  const picked = start >= 0 ? lines.slice(start + 1) : lines.filter((l) => /^not ok\b|✖/.test(l));
  const text = picked
    // Node's own stack frames say nothing about what failed.
    .filter((l) => l.trim() && !/^\s+at .*\bnode:/.test(l))
    .slice(0, 40)
    .map((l) => l.slice(0, 300));
  failureDigests.push({
    name,
    text: text.length ? text : ['(no failing test named: see its log in test-results/logs)'],
  });
}

function countNodeTest(out) {
  const pass = /^[ℹ#] pass (\d+)/m.exec(out),
    fail = /^[ℹ#] fail (\d+)/m.exec(out);
  return [Number(pass?.[1] ?? 0), Number(fail?.[1] ?? 0)];
}
function countMocha(out) {
  return [Number(/(\d+) passing/.exec(out)?.[1] ?? 0), Number(/(\d+) failing/.exec(out)?.[1] ?? 0)];
}
function countPlain(out) {
  const m = /^(\d+) passed, (\d+) failed\s*$/m.exec(out);
  return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)];
}

const resultsDir = path.join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });
rmSync(path.join(resultsDir, 'logs'), { recursive: true, force: true }); // this run's stage output only

// Every fixture gateway started from here on (in this process or a suite's) appends its token to this ledger, outside
// the repo and outside everything the closing scan reads; the scan then looks for each token in the artifacts.
let tokenLedgerDir;
if (needsGateway) {
  tokenLedgerDir = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-token-ledger-'));
  if (!path.relative(root, tokenLedgerDir).startsWith('..')) {
    console.error(`the token ledger must live outside the repo (TMPDIR is ${os.tmpdir()})`);
    process.exit(2);
  }
  process.env.LANEWATCH_TOKEN_LEDGER = path.join(tokenLedgerDir, 'tokens.jsonl');
  process.on('exit', () => rmSync(tokenLedgerDir, { recursive: true, force: true })); // also when interrupted
}

/** An empty folder for VS Code to open. */
function testWorkspace() {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-ws-'));
  writeFileSync(path.join(workspace, 'README.md'), '# Lanewatch test workspace\n');
  return workspace;
}

/** The UI test of the packaged extension (test/ui/run-ui-tests.mjs), recorded as stage `name`, screenshots in test-results/<shots>. */
async function uiStage(name, { shots, workspace, settings, env, checks }) {
  const r = await run(
    process.execPath,
    [
      path.join(root, 'test/ui/run-ui-tests.mjs'),
      '--vsix',
      path.join(root, 'lanewatch.vsix'),
      '--shots',
      path.join(resultsDir, shots),
      '--workspace',
      workspace,
      '--settings',
      JSON.stringify(settings),
      ...checks,
      '--timeout-ms',
      '300000',
    ],
    { env, log: name },
  );
  const [p, f] = countPlain(r.out);
  if (f || r.code) noteFailures(name, r.out);
  record(name, p, f || (r.code ? 1 : 0), r.code);
}

const testFiles = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.test.js'))
        .sort()
        .map((f) => path.join(dir, f))
    : [];

if (selected.includes('unit'))
  await stage('unit', async () => {
    const r = await run(
      process.execPath,
      ['--test', '--test-reporter=spec', ...testFiles(path.join(root, 'out/test/unit'))],
      { log: 'unit' },
    );
    const [p, f] = countNodeTest(r.out);
    if (f || r.code) noteFailures('unit', r.out);
    record('unit', p, f || (r.code ? 1 : 0), r.code);
  });

// The gateway suites: each (version, file) is one `node --test` process with its own gateway (a job). Jobs run in lanes:
// a lane runs its jobs one after another, the lanes side by side. Each gateway mostly waits (hung model calls, restarts,
// the gateway's own thresholds), so side by side they share 2 cores well. The files that bound detection and reconnect
// times (2026.9's faults and fleet, every 2026.3.24 file) never share their lane and run at normal priority; every
// other lane runs at `nice` 10, so it takes only the CPU they leave. 2026.4.26 is the costly version (~1 min of CPU per
// gateway start and per first turn; protocol3 waits out 3 minutes of the idle watchdog's silence): when both gateway
// stages run, its protocol3 and realGateway run in the `gateway` stage beside 2026.9's, its transcript and oracle in
// `gateway-legacy` beside 2026.3.24's, so that both stages take about as long. Lanes start `delayS` apart so that
// their gateways do not all start at once. A file no lane names runs in the last lane of its version.
// LANEWATCH_GATEWAY_LANES=1 runs one file at a time.
const DEFAULT_VERSION = tools.versions.openclaw;
const BOTH_GATEWAY_STAGES = selected.includes('gateway') && selected.includes('gateway-legacy');
const GATEWAY_LANES = {
  gateway: [
    { nice: 0, jobs: [[DEFAULT_VERSION, 'faults', 'fleet']] },
    {
      nice: 10,
      jobs: [
        [DEFAULT_VERSION, 'realGateway', 'oracle', 'transcript', 'protocol3'],
        ...(BOTH_GATEWAY_STAGES ? [['2026.4.26', 'realGateway']] : []),
      ],
    },
    ...(BOTH_GATEWAY_STAGES ? [{ nice: 10, delayS: 30, jobs: [['2026.4.26', 'protocol3']] }] : []),
    // The gateway process, subagents, cron and tasks, lanewatch serve and a remote gateway: 2026.9's features, mostly
    // waiting on it (hung model calls, the gateway's own delivery delays, namespaces), in two lanes.
    { nice: 10, delayS: 15, jobs: [[DEFAULT_VERSION, 'health', 'profile', 'prometheus', 'scheduler']] },
    { nice: 10, delayS: 25, jobs: [[DEFAULT_VERSION, 'subagents', 'remote']] },
  ],
  'gateway-legacy': [
    { nice: 0, jobs: [['2026.3.24', 'oracle', 'protocol3', 'transcript', 'realGateway', 'faults', 'fleet', 'remote']] },
    // health after transcript: as the last lane's leftover it ran after gatewayPrometheus and ended the stage.
    { nice: 10, jobs: [['2026.4.26', 'transcript', 'health']] },
    // gatewayPrometheus here: the transcript lane is the stage's longest (381 s in CI), this one ended 160 s sooner.
    { nice: 10, delayS: 40, jobs: [['2026.4.26', 'oracle', 'realGateway', 'gatewayPrometheus']] },
    // When the `gateway` stage does not run it:
    { nice: 10, delayS: 80, jobs: [['2026.4.26', 'protocol3']] },
  ],
};
const ONE_LANE = process.env.LANEWATCH_GATEWAY_LANES === '1';
const gatewayFiles = () => testFiles(path.join(root, 'out/test/gateway'));
const fileName = (f) => path.basename(f, '.test.js');
const gatewayVersions = [
  ...(selected.includes('gateway') ? [DEFAULT_VERSION] : []),
  ...(selected.includes('gateway-legacy') ? LEGACY_VERSIONS : []),
];
/**
 * What each selected gateway stage runs: { [stage]: [{ nice, delayS, jobs: [{ name, version, file }] }] }. Every file of
 * every version runs once: where a lane names it, else in the last lane that runs its version (a lane of its own for a
 * version no lane names, e.g. another LANEWATCH_LEGACY_VERSIONS).
 */
function planGatewayStages() {
  const files = gatewayFiles();
  const job = (version, file) => ({ name: `gateway@${version}-${fileName(file)}`, version, file });
  const stages = ['gateway', 'gateway-legacy'].filter((s) => selected.includes(s));
  if (ONE_LANE) {
    const own = (s) => (s === 'gateway' ? [DEFAULT_VERSION] : LEGACY_VERSIONS);
    return Object.fromEntries(
      stages.map((s) => [s, [{ nice: 0, delayS: 0, jobs: own(s).flatMap((v) => files.map((f) => job(v, f))) }]]),
    );
  }
  const plan = {};
  const placed = new Set();
  for (const s of stages) {
    plan[s] = GATEWAY_LANES[s].map((l) => ({
      nice: l.nice,
      delayS: l.delayS ?? 0,
      jobs: l.jobs.flatMap(([version, ...names]) =>
        gatewayVersions.includes(version)
          ? names
              .map((n) => files.find((f) => fileName(f) === n))
              .filter((f) => f && !placed.has(`${version} ${f}`))
              .map((f) => (placed.add(`${version} ${f}`), job(version, f)))
          : [],
      ),
    }));
  }
  for (const version of gatewayVersions) {
    const rest = files.filter((f) => !placed.has(`${version} ${f}`)).map((f) => job(version, f));
    if (!rest.length) continue;
    const home = stages.flatMap((s) => plan[s]).filter((l) => l.jobs.some((j) => j.version === version));
    if (home.length) home[home.length - 1].jobs.push(...rest);
    else
      plan[version === DEFAULT_VERSION ? 'gateway' : stages[stages.length - 1]].push({
        nice: 0,
        delayS: 0,
        jobs: rest,
      });
  }
  for (const s of stages) plan[s] = plan[s].filter((l) => l.jobs.length);
  return plan;
}

/** Per version, across both gateway stages: { passed, failed, code, out }. */
const gatewayResults = new Map();

/**
 * Runs the lanes side by side, each job a `node --test` of one file against one version (at the lane's `nice`). A job's
 * output is printed as one block when it ends (and kept in test-results/logs/<job>.log); every job's time is printed at
 * the end of the stage.
 */
async function runGatewayLanes(lanes) {
  const times = [];
  const niceBin = ['/usr/bin/nice', '/bin/nice'].find((p) => existsSync(p));
  for (const [i, l] of lanes.entries())
    say(
      `lane ${i + 1}${l.nice ? ` (nice ${l.nice})` : ''}${l.delayS ? ` from +${l.delayS} s` : ''}: ${l.jobs.map((j) => j.name.replace(/^gateway@/, '')).join(' → ')}`,
    );
  if (process.env.LANEWATCH_GATEWAY_DRY_RUN === '1') return;
  async function runLane(lane) {
    if (lane.delayS) await new Promise((r) => setTimeout(r, lane.delayS * 1000));
    for (const job of lane.jobs) {
      const s = Date.now();
      say(`start ${job.name}${lane.nice && niceBin ? ` (nice ${lane.nice})` : ''}`);
      const argv = [process.execPath, '--test', '--test-reporter=spec', '--test-concurrency=1', job.file];
      const [cmd, ...rest] = lane.nice && niceBin ? [niceBin, '-n', String(lane.nice), ...argv] : argv;
      const r = await run(cmd, rest, { env: { LANEWATCH_OPENCLAW_VERSION: job.version }, log: job.name, quiet: true });
      const ms = Date.now() - s;
      times.push([job.name, ms]);
      const [p, f] = countNodeTest(r.out);
      if (f || r.code) noteFailures(job.name, r.out);
      say(
        `end ${job.name}: ${p} passed, ${f} failed${r.code ? ` (exit ${r.code})` : ''} in ${(ms / 1000).toFixed(1)} s`,
      );
      process.stdout.write(`${r.out}${r.out.endsWith('\n') ? '' : '\n'}`.replace(/^(?=.)/gm, `[${job.name}] `));
      const v = gatewayResults.get(job.version) ?? { passed: 0, failed: 0, code: 0, out: '' };
      v.passed += p;
      v.failed += f || (r.code ? 1 : 0);
      v.code ||= r.code;
      v.out += `# ── ${job.name} (${(ms / 1000).toFixed(1)} s)\n${r.out}`;
      gatewayResults.set(job.version, v);
    }
  }
  await Promise.all(lanes.map(runLane));
  for (const [name, ms] of times) console.log(`[test] job ${name.padEnd(36)} ${(ms / 1000).toFixed(1)} s`);
}

/** A stage's temporary gateway root, once its gateways stopped: not left in /tmp run after run. Never fails the run. */
function removeFixtureRoot(dir) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    say(`note: could not remove ${dir}: ${err.message}`);
  }
}

const gatewayLabel = (v) => (v === DEFAULT_VERSION ? 'gateway' : `gateway@${v}`);
const gatewayPlan = gatewayVersions.length ? planGatewayStages() : {};
if (selected.includes('gateway')) await stage('gateway', () => runGatewayLanes(gatewayPlan.gateway));
if (selected.includes('gateway-legacy'))
  await stage('gateway-legacy', () => runGatewayLanes(gatewayPlan['gateway-legacy']));
// Recorded per version once all its jobs ran (2026.4.26's are split over both stages when both run).
for (const v of gatewayVersions) {
  const r = gatewayResults.get(v) ?? { passed: 0, failed: 0, code: 1, out: '' };
  mkdirSync(path.join(root, 'test-results', 'logs'), { recursive: true });
  writeFileSync(path.join(root, 'test-results', 'logs', `${gatewayLabel(v)}.log`), r.out);
  record(gatewayLabel(v), r.passed, r.failed, r.code);
}

if (selected.includes('extension') || selected.includes('ui')) {
  const { startFakeModel, startGateway, cleanupAll } = await import('./fixtures/openclaw-gateway.mjs');
  const { seedDemoSessions, seedTranscript, rehangDemoSession } = await import('./fixtures/seed-demo.mjs');
  const HOSTILE_KEY = 'agent:main:demo-hostile';
  const fixtureRoot = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-vscode-fixture-'));
  let gateway, fake, branch, branchStarting;
  /** The remote gateway's peer namespace and gateway, as soon as each exists (for the cleanup, whatever failed). */
  const branchParts = {};

  /**
   * The UI stage's remote gateway "branch": a second gateway (2026.9.x) on another host, i.e. in a peer network
   * namespace joined to this one by a veth pair, with its own TLS (the test certificate, pinned in the settings), where
   * Lanewatch's device must be approved by hand (over loopback the gateway approves it by itself). Started with the
   * gateway suite's own helpers (test/support/netns.ts, remoteGateway.ts), bundled here because the build compiles only
   * test entry files. Also writes the script that runs the real openclaw CLI on that host for the UI runner (the
   * gateway's config and state, where the CLI reads the token: never in an argument). Undefined, with the reason said,
   * where no peer namespace can be made (not inside unshare).
   */
  async function startBranchGateway() {
    const [esbuild, { X509Certificate }, { readFileSync }, { createRequire }] = await Promise.all(
      ['esbuild', 'node:crypto', 'node:fs', 'node:module'].map((m) => import(m)),
    );
    const bundle = path.join(root, 'out', 'test', 'support', 'ui-remote-gateway.js');
    await esbuild.build({
      stdin: {
        contents: "export * from './netns'; export { startRemoteGateway } from './remoteGateway';",
        resolveDir: path.join(root, 'test', 'support'),
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: bundle, // beside the compiled tests: fixtures.ts finds the repository from its own folder
      logLevel: 'warning',
    });
    const { createPeerNamespace, namespaceUnavailableReason, startRemoteGateway } = createRequire(import.meta.url)(
      bundle,
    );
    const unavailable = namespaceUnavailableReason();
    if (unavailable) {
      say(`WARNING: no remote gateway for the UI stage's pairing check (left out): ${unavailable}`);
      return undefined;
    }
    const ns = (branchParts.ns = await createPeerNamespace());
    const tlsDir = path.join(root, 'test', 'fixtures', 'tls');
    const tls = { certPath: path.join(tlsDir, 'gateway-cert.pem'), keyPath: path.join(tlsDir, 'gateway-key.pem') };
    const gw = (branchParts.gw = await startRemoteGateway({
      ns,
      root: fixtureRoot,
      name: 'branch',
      version: tools.versions.openclaw,
      tls,
    }));
    // The variables the gateway runs with beyond this process's own (its OPENCLAW_* paths, HOME, TMPDIR, PATH): the
    // CLI on its host runs with them too, and trusts the gateway's certificate (its SAN names 127.0.0.1).
    const own = Object.fromEntries(Object.entries(gw.gateway.env).filter(([k, v]) => process.env[k] !== v));
    const cli = path.join(fixtureRoot, 'branch-openclaw.mjs');
    const script = `// The real openclaw CLI on the host of the UI stage's remote gateway "branch": node ${path.basename(cli)} <args>.
import { spawnSync } from 'node:child_process';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENCLAW_') && k !== 'NODE_OPTIONS'));
Object.assign(env, ${JSON.stringify({ ...own, NODE_EXTRA_CA_CERTS: tls.certPath })});
const argv = ${JSON.stringify([...ns.nsenterArgv.slice(1), tools.nodeBin, tools.openclawEntry(gw.version)])};
const r = spawnSync(${JSON.stringify(ns.nsenterArgv[0])}, [...argv, ...process.argv.slice(2)], { env, cwd: ${JSON.stringify(path.dirname(gw.configPath))}, stdio: 'inherit' });
process.exit(r.status ?? 1);
`;
    if (script.includes(gw.token)) throw new Error("the remote gateway's CLI script would hold its token");
    writeFileSync(cli, script, { mode: 0o700 });
    return {
      url: gw.url,
      configPath: gw.configPath,
      readyMs: gw.readyMs,
      tlsFingerprint: new X509Certificate(readFileSync(tls.certPath)).fingerprint256,
      cli,
      where: `${ns.nsPath}, this side ${ns.hostAddress}`,
    };
  }

  try {
    await stage('fixture', async () => {
      // Started first and awaited last: it starts beside the demo gateway and its seeding, not after them.
      branchStarting = selected.includes('ui') ? startBranchGateway() : undefined;
      branchStarting?.catch(() => {}); // awaited below; a failure before that is the demo's to report
      fake = await startFakeModel({ root: fixtureRoot });
      gateway = await startGateway({ root: fixtureRoot, name: 'demo', modelBaseUrl: `${fake.url}/v1` });
      say(`gateway ready in ${gateway.readyMs} ms at ${gateway.url}`);
      if (selected.includes('ui')) {
        // The hostile-text corpus as a real transcript and session label, for the UI test to read back. Before the demo
        // sessions, whose hung runs would otherwise share the agent's lane with these turns.
        const { HOSTILE_SEED, HOSTILE_LABEL } = await import('../test/support/hostileText.mjs');
        const t = Date.now();
        await seedTranscript(gateway, {
          key: HOSTILE_KEY,
          messages: HOSTILE_SEED.sent,
          injected: HOSTILE_SEED.injected,
          label: HOSTILE_LABEL,
        });
        say(
          `seeded ${HOSTILE_KEY}: ${HOSTILE_SEED.sent.length} hostile messages sent and answered, ${HOSTILE_SEED.injected.length} injected, label set, in ${Date.now() - t} ms`,
        );
      }
      const seeded = await seedDemoSessions(gateway, { fakeModel: fake });
      say(`seeded ${Object.values(seeded.keys).join(', ')}`);
      branch = await branchStarting;
      if (branch) say(`remote gateway branch ready in ${branch.readyMs} ms at ${branch.url} (${branch.where})`);
    });
    const settings = {
      'lanewatch.gateways': [{ name: 'demo', url: gateway.url, configPath: gateway.configPath }],
      // The openclaw CLI the diagnostics export runs: the installed one, with this Node (it needs Node 24).
      'lanewatch.openclawCommand': [process.execPath, tools.openclawEntry()],
    };
    const workspace = testWorkspace();
    const env = {
      LANEWATCH_TEST_GATEWAY_URL: gateway.url,
      LANEWATCH_TEST_GATEWAY_CONFIG: gateway.configPath,
      LANEWATCH_TEST_FAKE_MODEL_URL: fake.url,
    };

    // UI first: it expects the seeded hung run to be alive; the extension suites then recover it.
    if (selected.includes('ui'))
      await stage('ui', async () => {
        // Beside the seeded gateway: one that is down and one without a token, so the tree and the status bar
        // show offline gateways with their fix actions next to live lane statuses.
        const { freePort } = await import('./fixtures/openclaw-gateway.mjs');
        const uiSettings = {
          // As npm start's demo: Lanewatch's own "no progress" after 30 s, so the hung runs show within a minute.
          'lanewatch.noProgressSeconds': 30,
          'lanewatch.gateways': [
            ...settings['lanewatch.gateways'],
            { name: 'offline', url: `ws://127.0.0.1:${await freePort()}` },
            { name: 'no-token', url: gateway.url },
            // On another host, waiting for its operator to approve Lanewatch's device (the pairing check below). Its
            // token from its own config file, as the demo's; its self-signed certificate pinned.
            ...(branch
              ? [
                  {
                    name: 'branch',
                    url: branch.url,
                    configPath: branch.configPath,
                    tlsFingerprint: branch.tlsFingerprint,
                  },
                ]
              : []),
          ],
        };
        const gatewayCount = uiSettings['lanewatch.gateways'].length;
        await uiStage('ui', {
          shots: 'ui',
          workspace,
          settings: uiSettings,
          env,
          checks: [
            '--expect-row',
            'demo.*\\bconnected',
            '--expect-row',
            'demo-hung.*(running|no progress|stalled).*2 queued',
            '--expect-row',
            'demo-idle.*idle',
            '--expect-row',
            'offline.*not running \\(connection refused\\)',
            '--expect-row',
            'Check the URL in settings',
            '--expect-row',
            'no-token.*token required',
            '--expect-row',
            'Set token',
            '--expect-status-bar',
            // All but the demo offline (branch too, until the pairing check approves it).
            `Lanewatch: .*(running|no progress|long-running|stalled).*${gatewayCount - 1} of ${gatewayCount} gateways offline`,
            '--age-ticks',
            'demo-hung',
            '--hover-row',
            'demo-hung',
            '--toggle-idle',
            'demo-idle',
            // The hung session with work queued behind it: freed by the first step, the tree idle without a Refresh, and the
            // transcript (history kept) lists the input the gateway cancelled as "Not run".
            '--recover-row',
            'demo-hung',
            '--recover-toast',
            'freed by aborting the run \\(step 1 of 3\\).*cancelled by the gateway.*transcript was kept',
            '--recover-expect',
            'idle',
            '--recover-within-ms',
            '5000',
            '--open-transcript',
            'demo-hung',
            '--expect-transcript',
            'Not run',
            '--open-logs',
            'demo',
            '--hostile-transcript',
            HOSTILE_KEY,
            // The hung run alone: Lanewatch's own signal within a minute of the page loading.
            '--no-progress-row',
            'demo-wedged',
            '--walkthrough',
            // The gateway's own event-loop numbers under a real load, on the gateway row and in its details.
            '--health-load',
            'demo',
            // 2026.9.x: the seeded parent and its hung subagent, Cron jobs, Tasks and Disable Cron Job (named, so these
            // checks cannot drop out silently).
            '--scheduler',
            'demo',
            // The remote gateway's pairing row, its fix and tooltip against the gateway's own pending request, then
            // approved with the real openclaw CLI on its host (25-27-*.png).
            ...(branch ? ['--pairing-row', 'branch', '--pairing-cli', branch.cli] : []),
          ],
        });
      });
    // Its work is done; the extension suites do not use it.
    await branchParts.gw?.stop();
    // The UI test recovered demo-hung; the extension suites expect it hung (with work queued behind it) again.
    if (selected.includes('ui') && selected.includes('extension'))
      await rehangDemoSession(gateway, { fakeModel: fake });
    if (selected.includes('extension'))
      await stage('extension', async () => {
        const r = await run(
          process.execPath,
          [
            path.join(root, 'scripts/vscode/run-extension-tests.mjs'),
            '--extension',
            root,
            '--tests',
            path.join(root, 'out/test/extension/index.js'),
            '--workspace',
            workspace,
            '--settings',
            JSON.stringify(settings),
          ],
          { env, log: 'extension' },
        );
        const [p, f] = countMocha(r.out);
        if (f || r.code) noteFailures('extension', r.out);
        record('extension', p, f || (r.code ? 1 : 0), r.code);
      });
  } catch (err) {
    console.error(err);
    record('fixture', 0, 1, 1);
  } finally {
    await branchStarting?.catch(() => {}); // a start still under way (the demo's failed first) ends before the cleanup
    await cleanupAll();
    // close() awaits the exit of the namespace's holder, an unref'd child (netns.ts): nothing else may be keeping this
    // process's loop alive by now, and an await on it alone would end the process (unsettled top-level await).
    const alive = setInterval(() => {}, 1000);
    await branchParts.ns?.close();
    clearInterval(alive);
    removeFixtureRoot(fixtureRoot); // its gateways' state: every one of them has stopped
  }
}

// The packaged extension in real VS Code on a protocol-3 gateway: the zombie row (aborted, row still "running") shown
// stale, runs that began before VS Code connected shown "running (unverified)" and said so in the transcript, and
// Recover Session freeing a hung run there. Its own gateway, after the 2026.9 one is gone.
if (selected.includes('ui-legacy')) {
  const { startFakeModel, startGateway, cleanupAll } = await import('./fixtures/openclaw-gateway.mjs');
  const { seedDemoSessions } = await import('./fixtures/seed-demo.mjs');
  const fixtureRoot = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-vscode-legacy-'));
  try {
    let gateway;
    await stage(`fixture@${UI_LEGACY_VERSION}`, async () => {
      const fake = await startFakeModel({ root: fixtureRoot });
      gateway = await startGateway({
        root: fixtureRoot,
        name: 'legacy',
        version: UI_LEGACY_VERSION,
        modelBaseUrl: `${fake.url}/v1`,
      });
      say(`gateway ${UI_LEGACY_VERSION} ready in ${gateway.readyMs} ms at ${gateway.url}`);
      const seeded = await seedDemoSessions(gateway, { fakeModel: fake });
      say(`seeded ${Object.values(seeded.keys).join(', ')}`);
      if (!seeded.keys.zombie)
        throw new Error(`openclaw ${UI_LEGACY_VERSION} did not get a zombie session: is it a protocol-3 version?`);
    });
    await stage(`ui@${UI_LEGACY_VERSION}`, async () => {
      const settings = { 'lanewatch.gateways': [{ name: 'legacy', url: gateway.url, configPath: gateway.configPath }] };
      await uiStage(`ui@${UI_LEGACY_VERSION}`, {
        shots: `ui-${UI_LEGACY_VERSION}`,
        workspace: testWorkspace(),
        settings,
        checks: [
          '--expect-row',
          `legacy.*\\bconnected.*openclaw ${UI_LEGACY_VERSION.replace(/\./g, '\\.')}`,
          '--expect-row',
          'demo-zombie.*\\bstale\\b',
          '--expect-row',
          'demo-hung.*running \\(unverified\\)',
          '--expect-row',
          'demo-idle.*\\bidle\\b',
          '--expect-status-bar',
          'Lanewatch: .*stale',
          '--hover-row',
          'demo-zombie',
          '--open-transcript',
          'demo-hung',
          '--expect-transcript',
          'cannot be verified',
          '--recover-row',
          'demo-wedged',
          '--recover-expect',
          '(idle|stale)',
        ],
      });
    });
  } catch (err) {
    console.error(err);
    record(`fixture@${UI_LEGACY_VERSION}`, 0, 1, 1);
  } finally {
    await cleanupAll();
    removeFixtureRoot(fixtureRoot);
  }
}

// Last: no token of this run's gateways in the .vsix, dist/, out/ or test-results/ (the stage logs included).
if (tokenLedgerDir) {
  await stage('token-scan', async () => {
    const r = await run(
      process.execPath,
      [path.join(root, 'scripts/scan-token-leaks.mjs'), ...(selected.includes('ui') ? ['--require-vsix'] : [])],
      { log: 'token-scan', exitGraceMs: 20_000 },
    );
    const [p, f] = countPlain(r.out);
    if (f || r.code) noteFailures('token-scan', r.out);
    record('token-scan', p, f || (r.code ? 1 : 0), r.code);
  });
}

const passed = results.reduce((n, r) => n + r.passed, 0),
  failed = results.reduce((n, r) => n + r.failed, 0);
console.log('');
if (process.env.LANEWATCH_PREPARE_MS)
  console.log(`[test] stage prepare    ${(Number(process.env.LANEWATCH_PREPARE_MS) / 1000).toFixed(1)} s`);
for (const [name, ms] of timings) console.log(`[test] stage ${name.padEnd(18)} ${(ms / 1000).toFixed(1)} s`);
for (const r of results)
  console.log(`[test] ${r.name.padEnd(18)} ${r.passed} passed, ${r.failed} failed${r.code ? ` (exit ${r.code})` : ''}`);
for (const { name, text } of failureDigests) {
  console.log(`[test] failed in ${name}:`);
  for (const l of text) console.log(`[test]   ${l}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || results.some((r) => r.code) ? 1 : 0);
