// Runs mocha inside the REAL VS Code Node extension host (code-server) and exits with its result.
//
//   node scripts/vscode/run-extension-tests.mjs --extension . --tests out/test/extension/index.js \
//        --workspace DIR [--settings JSON] [--timeout-ms N] [--screenshot FILE]
//
// How: code-server runs with --enable-smoke-test-driver, which makes the workbench honour the `payload`
// URL parameter (extensionDevelopmentPath + extensionTestsPath, as vscode-remote URIs; server-side
// --vscode-option extensionTestsPath=... does nothing). The extension host then `require`s the tests module
// and calls its `run()`. Its console output (mocha's spec reporter) comes back through
// window.codeAutomationLog, and when run() settles the workbench calls window.codeAutomationExit(code).
// Both are exposed to the page with Playwright. Environment variables of this process reach the
// extension host (code-server passes its env on); LANEWATCH_TEST_HOOKS=1 is added, so the extension's activate()
// returns its test hooks (`testing`, src/vscode/testHooks.ts) for the suites. Exit code: that of the tests; 1 on
// timeout or harness error.
// On failure: test-results/extension-host-failure.png and test-results/extension-host-logs/ (the workbench's logs).
import { cpSync, mkdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { format, parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startCodeServer, launchChromium, blockExternal, log, onSignals, VERBOSE } from './code-server.mjs';

// Workbench log lines that are always there and say nothing about the tests.
const NOISE = [
  /^\[driver\]/,
  /^(Ignoring fetching additional builtin|Updating additional builtin)/,
  /^(Creating a socket|Resolv(ing|ed) connection token)/,
  /^\[reconnection-grace-time\]/,
  /vsda/,
  /allow-scripts and allow-same-origin/,
  /GitHub.*(auth|authentication)|github-authentication/i,
  /^Started local extension host/,
  /^Extension host \(.*\) is unresponsive/,
  /^\[(Extension Host|ExtensionService|remote-connection)\]/,
  /No search provider registered|workbench\.action\.chat/,
  /^Creation of workbench contribution '.*' took \d+ms/,
  /^\[(Service Worker|AgentHost[^\]]*|AccountPolicyGate)\]/,
  /^Canceled: Canceled/, // extension hosts being stopped once run() settled
];

function isNoise(text) {
  return NOISE.some((re) => re.test(text));
}

/**
 * @param {object} o
 * @param {string} o.extensionPath   folder with the extension's package.json (extensionDevelopmentPath)
 * @param {string} o.testsPath       CJS module exporting run(): Promise<void> (extensionTestsPath)
 * @param {string} o.workspace       folder opened in the workbench (created if missing)
 * @param {object} [o.settings]      user settings merged over the harness defaults
 * @param {object} [o.env]           extra environment for the extension host (process.env is passed anyway)
 * @param {number} [o.timeoutMs]     whole-run deadline (default 180000); on expiry the result is 1
 * @param {string} [o.screenshot]    where to save a screenshot on failure
 * @returns {Promise<number>} the exit code (0 = all tests passed)
 */
export async function runExtensionTests({
  extensionPath,
  testsPath,
  workspace,
  settings = {},
  env = {},
  timeoutMs = 180000,
  screenshot = 'test-results/extension-host-failure.png',
}) {
  const started = Date.now();
  extensionPath = path.resolve(extensionPath);
  testsPath = path.resolve(testsPath);
  workspace = path.resolve(workspace);
  if (!existsSync(path.join(extensionPath, 'package.json'))) throw new Error(`no package.json in ${extensionPath}`);
  if (!existsSync(testsPath)) throw new Error(`tests module ${testsPath} not found (build first: node esbuild.mjs)`);

  if (screenshot) {
    // no stale artifacts from an earlier run
    rmSync(path.resolve(screenshot), { force: true });
    rmSync(path.join(path.dirname(path.resolve(screenshot)), 'extension-host-logs'), { recursive: true, force: true });
  }

  let server,
    browser,
    page,
    timer,
    finished = false;
  let cleaning;
  // Memoized: the signal handler and `finally` may both call it; both wait for the one teardown.
  const cleanup = () =>
    (cleaning ??= (async () => {
      clearTimeout(timer);
      await browser?.close().catch(() => {});
      await server?.stop();
    })());
  const removeSignals = onSignals(cleanup);
  let code = 1;
  try {
    // The suites drive the extension through its test hooks, which it exposes only when asked.
    server = await startCodeServer({
      workspace,
      settings,
      env: { LANEWATCH_TEST_HOOKS: '1', ...env },
      smokeTestDriver: true,
    });
    browser = await launchChromium(server);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await blockExternal(page, server.url);

    let settle,
      settled = false;
    const exited = new Promise((r) => {
      settle = (v) => {
        settled = true;
        r(v);
      };
    });
    let workbenchLogs = [];
    await page.exposeFunction('codeAutomationExit', (c, logs) => {
      if (Array.isArray(logs)) workbenchLogs = logs;
      settle(typeof c === 'number' ? c : 1);
    });
    await page.exposeFunction('codeAutomationLog', (_level, args) => {
      if (settled) return; // teardown chatter (e.g. 'Canceled') after the result is in
      // args = [message, ...params] of a console.log in the extension host (mocha uses printf-style '%s').
      const text = Array.isArray(args) ? format(...args) : String(args);
      if (VERBOSE) console.log(`[${_level}] ${text}`);
      else if (!isNoise(text)) console.log(text);
    });
    // The raw page console repeats the same log with %c styling; only show it when asked.
    if (VERBOSE) page.on('console', (m) => console.error(`[page ${m.type()}] ${m.text()}`));
    page.on('crash', () => {
      log('page crashed');
      settle(1);
    });

    const remaining = () => Math.max(1000, timeoutMs - (Date.now() - started));
    timer = setTimeout(() => {
      log(`timeout after ${timeoutMs} ms`);
      settle('timeout');
    }, remaining());
    const tHost = Date.now();
    await page.goto(
      server.workbenchUrl([
        ['extensionDevelopmentPath', server.remoteUri(extensionPath)],
        ['extensionTestsPath', server.remoteUri(testsPath)],
      ]),
      { timeout: remaining() },
    );
    const r = await exited;
    finished = true;
    clearTimeout(timer);
    code = typeof r === 'number' ? r : 1;
    log(`extension host tests finished with ${r} in ${Date.now() - tHost} ms`);
    if (code !== 0) {
      await saveFailure(page, screenshot, workbenchLogs, server);
    }
  } catch (e) {
    console.error(`run-extension-tests: ${e?.stack ?? e}`);
    code = 1;
    if (page && !finished) await saveFailure(page, screenshot, [], server);
  } finally {
    await cleanup();
    removeSignals();
  }
  log(`total ${Date.now() - started} ms, exit ${code}`);
  return code;
}

// Screenshot + logs next to it: extension-host-logs/ gets the workbench's logs (window, web worker) and
// server/ (code-server.log and the server-side logs, including the remote extension host's).
async function saveFailure(page, screenshot, logs, server) {
  if (!screenshot) return;
  const file = path.resolve(screenshot);
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, timeout: 10000 }).then(
    () => log(`screenshot: ${file}`),
    () => {},
  );
  const dir = path.join(path.dirname(file), 'extension-host-logs');
  try {
    mkdirSync(path.join(dir, 'server'), { recursive: true });
    cpSync(server.logFile, path.join(dir, 'server', 'code-server.log'));
    const serverLogs = path.join(server.root, 'ud', 'logs');
    if (existsSync(serverLogs)) cpSync(serverLogs, path.join(dir, 'server'), { recursive: true });
  } catch (e) {
    log(`could not copy server logs: ${e.message}`);
  }
  if (logs.length) {
    for (const { relativePath, contents } of logs) {
      const p = path.join(dir, relativePath);
      if (!p.startsWith(dir + path.sep)) continue;
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, contents);
    }
  }
  log(`logs: ${dir}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      extension: { type: 'string', default: '.' },
      tests: { type: 'string', default: 'out/test/extension/index.js' },
      workspace: { type: 'string' },
      settings: { type: 'string' },
      'timeout-ms': { type: 'string', default: '180000' },
      screenshot: { type: 'string', default: 'test-results/extension-host-failure.png' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.workspace) {
    console.error(
      'usage: node scripts/vscode/run-extension-tests.mjs --extension . --tests out/test/extension/index.js --workspace DIR [--settings JSON] [--timeout-ms N] [--screenshot FILE]',
    );
    return values.help ? 0 : 2;
  }
  let settings = {};
  if (values.settings) {
    try {
      settings = JSON.parse(values.settings);
    } catch (e) {
      console.error(`--settings is not JSON: ${e.message}`);
      return 2;
    }
  }
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    console.error('--timeout-ms must be a positive number');
    return 2;
  }
  // Backstop: never outlive the deadline by much, whatever hangs (the 'exit' hook kills our process groups).
  setTimeout(() => {
    log('hard deadline reached');
    process.exit(1);
  }, timeoutMs + 60000).unref();
  return runExtensionTests({
    extensionPath: values.extension,
    testsPath: values.tests,
    workspace: values.workspace,
    settings,
    timeoutMs,
    screenshot: values.screenshot,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (c) => process.exit(c),
    (e) => {
      console.error(e?.stack ?? e);
      process.exit(1);
    },
  );
}
