#!/usr/bin/env node
// `npm start`: Lanewatch working in real VS Code against a real OpenClaw gateway.
//   1. builds and packages the extension (lanewatch.vsix)
//   2. uses your gateway when you have one (OPENCLAW_GATEWAY_URL + OPENCLAW_GATEWAY_TOKEN, or
//      ~/.openclaw/openclaw.json / OPENCLAW_CONFIG_PATH); otherwise starts a local openclaw gateway with a fake
//      model and seeds demo sessions (one idle, one with a hung run, work queued behind it; the gateway logs a real
//      "lane wait exceeded" line on the way: scripts/fixtures/seed-demo.mjs)
//   3. opens VS Code with Lanewatch installed: your desktop `code` when it is on PATH, else code-server
// Ctrl-C stops everything this script started (and nothing else), checks that all of it has ended and says so, or names
// what is still running. Every process it starts inherits LANEWATCH_STARTED_BY=<pid>@<checkout>, which is how that
// check (and the next `npm start`, for a demo gateway an earlier one left behind) finds them.
// The demo gateway starts from a fresh state every time (the previous run's queued inputs and resets are gone);
// `npm start -- --keep` (or LANEWATCH_KEEP_DEMO=1) keeps the previous run's sessions instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
const say = (m) => console.log(`[lanewatch ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${m}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Inherited by everything started from here on (the gateway fixture and code-server pass the environment on).
const STARTED_BY = 'LANEWATCH_STARTED_BY';
const runMark = `${process.pid}@${root}`;
const startedBy = `${STARTED_BY}=${runMark}`;
process.env[STARTED_BY] = runMark;
const canCheck = existsSync('/proc/self/environ');

/**
 * Live processes (not zombies, not this one) whose initial environment satisfies `test` (its NAME=value entries).
 * Linux /proc; none where there is no /proc.
 * @param {(environ: string[]) => boolean} test
 */
function processesWhere(test) {
  const found = [];
  let names = [];
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
  } catch {
    return found;
  }
  for (const name of names) {
    try {
      if (!isLive(name) || !test(readFileSync(`/proc/${name}/environ`, 'utf8').split('\0'))) continue;
      found.push({ pid: Number(name), command: commandOf(name) });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/** @param {number | string} pid */
function isLive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** A process's command line, absolute paths cut to their last two parts. @param {string | number} pid */
function commandOf(pid) {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  return args
    .map((arg) => (path.isAbsolute(arg) ? arg.split(path.sep).slice(-2).join(path.sep) : arg))
    .join(' ')
    .slice(0, 120);
}
const describe = (procs) => procs.map((p) => `${p.pid} (${p.command})`).join(', ');
const ours = () => processesWhere((environ) => environ.includes(startedBy));

/** @param {number[]} pids @param {NodeJS.Signals} sig */
function signal(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

const stops = [];
let stopping = false;
async function stopAll(code = 0) {
  if (stopping) {
    say('still stopping; one moment');
    return;
  }
  stopping = true;
  say('stopping what npm start started…');
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (err) {
      console.error(err?.message ?? err);
    }
  }
  // The stops above know their processes; this checks that none of ours outlived them, whatever its process group.
  let left = ours();
  if (left.length) {
    say(`still running after their stop: ${describe(left)}; killing them`);
    signal(
      left.map((p) => p.pid),
      'SIGKILL',
    );
    for (let i = 0; i < 50 && (left = ours()).length; i++) await sleep(100);
  }
  const how = code === 0 ? 'stopped' : 'stopped after an error (see above)';
  if (left.length) say(`${how}, but these processes npm start started are still running: ${describe(left)}`);
  else if (!canCheck) say(`${how} (no /proc here to check that nothing it started is left)`);
  else say(`${how}: everything npm start started has ended`);
  process.exit(left.length && code === 0 ? 1 : code);
}
// SIGHUP: the terminal was closed. Started processes run in sessions of their own and would not get it.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stopAll(0));

/** @param {number | string} pid @returns {string[]} */
const environOf = (pid) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
/** The LANEWATCH_STARTED_BY value in an environment. @param {string[]} environ */
const markIn = (environ) => environ.find((e) => e.startsWith(`${STARTED_BY}=`))?.slice(STARTED_BY.length + 1);
/** @param {number | string} pid */
const parentOf = (pid) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.split(' ')[1]);

/**
 * Stops what an earlier `npm start` of this checkout left running because it was killed before it could stop it
 * (SIGKILL, a crash): the processes marked with its LANEWATCH_STARTED_BY, and those of the demo gateway (by its
 * config or directory: older versions marked nothing), which hold the gateway's state locks: a new demo gateway on
 * that state exits at start. Left alone: the processes of an `npm start` that is still running (an error if they are
 * the demo gateway's and `demoDir` is given: a demo gateway is about to start), and those of the run this one runs
 * under (a terminal in the code-server an earlier one started).
 * @param {string | null} demoDir
 */
async function stopLeftovers(demoDir) {
  const demoConfig = demoDir && `OPENCLAW_CONFIG_PATH=${path.join(demoDir, 'openclaw.json')}`;
  const ancestors = new Set();
  try {
    for (let pid = process.ppid; pid > 1; pid = parentOf(pid)) ancestors.add(markIn(environOf(pid)));
  } catch {
    /* the chain ends where /proc cannot be read */
  }
  const isNpmStart = (/** @type {number} */ pid) => isLive(pid) && commandOf(pid).includes('start.mjs');
  const leftovers = [];
  const running = new Set();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)) {
    try {
      if (!isLive(name)) continue;
      const environ = environOf(name);
      const mark = markIn(environ);
      const cwd = readlinkSync(`/proc/${name}/cwd`).replace(/ \(deleted\)$/, '');
      const ofDemo =
        !!demoDir && (environ.includes(demoConfig) || cwd === demoDir || cwd.startsWith(demoDir + path.sep));
      const ofEarlierRun = !!mark && mark.endsWith(`@${root}`) && mark !== runMark;
      if ((!ofDemo && !ofEarlierRun) || (mark && ancestors.has(mark))) continue;
      const owner = mark ? Number(mark.split('@')[0]) : 0;
      if (owner && isNpmStart(owner)) {
        if (ofDemo) running.add(owner);
        continue;
      }
      leftovers.push({ pid: Number(name), command: commandOf(name) });
    } catch {
      /* gone, or not ours to read */
    }
  }
  if (running.size)
    throw new Error(
      `another npm start (pid ${[...running].join(', ')}) is running this checkout's demo gateway; stop it first (Ctrl-C there)`,
    );
  if (!leftovers.length) return;
  say(`stopping what an earlier npm start left running: ${describe(leftovers)}`);
  const pids = leftovers.map((p) => p.pid);
  const alive = () => pids.filter(isLive);
  signal(pids, 'SIGTERM');
  for (let i = 0; i < 50 && alive().length; i++) await sleep(100);
  signal(alive(), 'SIGKILL');
  for (let i = 0; i < 50 && alive().length; i++) await sleep(100);
  if (alive().length) throw new Error(`could not stop what an earlier npm start left running: ${alive().join(', ')}`);
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function userGateway() {
  if (process.env.OPENCLAW_GATEWAY_URL && process.env.OPENCLAW_GATEWAY_TOKEN)
    return { why: 'OPENCLAW_GATEWAY_URL and OPENCLAW_GATEWAY_TOKEN' };
  const home = process.env.OPENCLAW_HOME || os.homedir();
  const config =
    process.env.OPENCLAW_CONFIG_PATH ||
    path.join(process.env.OPENCLAW_STATE_DIR || path.join(home, '.openclaw'), 'openclaw.json');
  if (existsSync(config) && process.env.LANEWATCH_DEMO !== '1') return { why: config };
  return undefined;
}

try {
  say('building and packaging the extension');
  const pkg = spawnSync(process.execPath, [path.join(root, 'scripts/package-vsix.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (pkg.status !== 0) throw new Error('packaging failed');
  const vsix = path.join(root, 'lanewatch.vsix');

  const workspace = path.join(root, '.lanewatch-start', 'workspace');
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  let settings = {};
  const mine = userGateway();
  if (canCheck) await stopLeftovers(mine ? null : path.join(root, '.lanewatch-start', 'gateways', 'demo'));
  if (mine) {
    say(`using your gateway (${mine.why}); starting none`);
  } else {
    const tools = await import('./fixtures/tools.mjs');
    say(
      `no gateway of yours found: starting a local OpenClaw gateway with a fake model${tools.isInstalled('openclaw') ? '' : ' (installing Node 24 and openclaw first, ~1–2 min)'}`,
    );
    await tools.ensureInstalled('openclaw');
    const gatewaysRoot = path.join(root, '.lanewatch-start', 'gateways');
    const keep = process.argv.includes('--keep') || process.env.LANEWATCH_KEEP_DEMO === '1';
    if (!keep && existsSync(path.join(gatewaysRoot, 'demo'))) {
      rmSync(path.join(gatewaysRoot, 'demo'), { recursive: true, force: true });
      say("fresh demo state (the previous run's sessions are gone; `npm start -- --keep` keeps them)");
    }
    const { startFakeModel, startGateway, cleanupAll, exitOnSignals } = await import('./fixtures/openclaw-gateway.mjs');
    const { seedDemoSessions } = await import('./fixtures/seed-demo.mjs');
    exitOnSignals(false); // stopAll() stops the gateway and the fake model, and exits once all of it has ended
    // 5 s, not 20: the demo's hung runs never finish, so the gateway's SIGTERM drain would only run out the grace.
    stops.push(() => cleanupAll({ graceMs: 5000 }));
    const fake = await startFakeModel({ logFile: path.join(root, '.lanewatch-start', 'fake-model.log') });
    say(`fake model at ${fake.url}`);
    const gateway = await startGateway({
      root: gatewaysRoot,
      name: 'demo',
      modelBaseUrl: `${fake.url}/v1`,
    });
    say(
      `gateway openclaw ${gateway.version} ready at ${gateway.url} in ${(gateway.readyMs / 1000).toFixed(0)} s (log ${gateway.logFile})`,
    );
    say('seeding demo sessions (the first turn on a fresh gateway takes up to a minute)…');
    const seeded = await seedDemoSessions(gateway, { fakeModel: fake });
    say(
      `seeded: ${Object.entries(seeded.keys)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
    // The token stays in the gateway's own config file; settings only point at it.
    // The demo's hung runs read "no progress" half a minute after Lanewatch connects (the default is 60 s; 2026.9.x's
    // own stuck-session warning comes after 2 min and cannot be set earlier).
    settings = {
      'lanewatch.noProgressSeconds': 30,
      'lanewatch.gateways': [{ name: 'demo', url: gateway.url, configPath: gateway.configPath }],
      // "Export Gateway Diagnostics…" runs the openclaw CLI installed for the demo, with its Node 24.
      'lanewatch.openclawCommand': [tools.nodeBin, tools.openclawEntry()],
    };
  }
  writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(
    path.join(workspace, 'README.md'),
    '# Lanewatch demo workspace\n\nOpen the Lanewatch view in the activity bar.\n',
  );

  if (hasCommand('code') && process.env.LANEWATCH_USE_CODE_SERVER !== '1') {
    say('installing lanewatch.vsix into your VS Code and opening the demo workspace');
    // Your VS Code stays open after Ctrl-C: it does not get the variable that marks what npm start has to stop.
    const { [STARTED_BY]: _mark, ...codeEnv } = process.env;
    spawnSync('code', ['--install-extension', vsix, '--force'], { stdio: 'inherit', env: codeEnv });
    spawn('code', ['--new-window', workspace], { stdio: 'inherit', detached: true, env: codeEnv }).unref();
    say('VS Code is open: click the Lanewatch icon in the activity bar. Ctrl-C here stops the demo gateway.');
  } else {
    const tools = await import('./fixtures/tools.mjs');
    say(
      `no desktop \`code\` on PATH: using code-server${tools.isInstalled('vscode') ? '' : ' (installing it first, 3–4 min)'}`,
    );
    await tools.ensureInstalled('vscode');
    const { startCodeServer } = await import('./vscode/code-server.mjs');
    const server = await startCodeServer({ workspace, installVsix: vsix, settings });
    stops.push(() => server.stop());
    const url =
      typeof server.workbenchUrl === 'function'
        ? server.workbenchUrl()
        : `${server.url}/?folder=${encodeURIComponent(workspace)}`;
    console.log(
      `\n  Lanewatch is running in VS Code (code-server). Open:\n\n    ${url}\n\n  then click the Lanewatch icon in the activity bar. Ctrl-C stops everything.\n`,
    );
  }
  await new Promise(() => {});
} catch (err) {
  console.error(`npm start failed: ${err?.stack ?? err}`);
  await stopAll(1);
}
