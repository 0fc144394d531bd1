#!/usr/bin/env node
// `npm start`: Lanewatch working in real VS Code against a real OpenClaw gateway.
//   1. builds and packages the extension (lanewatch.vsix)
//   2. uses your gateway when you have one (OPENCLAW_GATEWAY_URL + OPENCLAW_GATEWAY_TOKEN, or
//      ~/.openclaw/openclaw.json / OPENCLAW_CONFIG_PATH); otherwise starts a local openclaw gateway with a fake
//      model and seeds demo sessions (one idle, one with a hung run, work queued behind it)
//   3. opens VS Code with Lanewatch installed: your desktop `code` when it is on PATH, else code-server
// Ctrl-C stops everything this script started (and nothing else).
// The demo gateway starts from a fresh state every time (the previous run's queued inputs and resets are gone);
// `npm start -- --keep` (or LANEWATCH_KEEP_DEMO=1) keeps the previous run's sessions instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
const say = (m) => console.log(`[lanewatch ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${m}`);
const stops = [];
let stopping = false;
async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping what npm start started…');
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (err) {
      console.error(err?.message ?? err);
    }
  }
  say(code === 0 ? 'stopped: everything npm start started has ended' : 'stopped after an error (see above)');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

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
    const { startFakeModel, startGateway, cleanupAll } = await import('./fixtures/openclaw-gateway.mjs');
    const { seedDemoSessions } = await import('./fixtures/seed-demo.mjs');
    stops.push(() => cleanupAll());
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
    settings = { 'lanewatch.gateways': [{ name: 'demo', url: gateway.url, configPath: gateway.configPath }] };
  }
  writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(
    path.join(workspace, 'README.md'),
    '# Lanewatch demo workspace\n\nOpen the Lanewatch view in the activity bar.\n',
  );

  if (hasCommand('code') && process.env.LANEWATCH_USE_CODE_SERVER !== '1') {
    say('installing lanewatch.vsix into your VS Code and opening the demo workspace');
    spawnSync('code', ['--install-extension', vsix, '--force'], { stdio: 'inherit' });
    spawn('code', ['--new-window', workspace], { stdio: 'inherit', detached: true }).unref();
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
