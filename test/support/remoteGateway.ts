// A real openclaw gateway on "another host": started inside a peer network namespace (test/support/netns.ts), bound
// to that namespace's veth address with gateway.bind "custom" (which on 2026.9 also listens on the peer's own
// 127.0.0.1, as OpenClaw requires for same-host clients such as its own CLI), with its own TLS when asked. The gateway process is
// the fixture's OpenClawGateway (its stop, lock-file and straggler handling), started through a small launcher that
// runs `nsenter --net=<peer> node openclaw.mjs …`: the launcher is the process group leader the fixture signals, and
// nsenter execs the gateway launcher in that same group. The real `openclaw` CLI is run in the peer namespace too, as
// an operator on the gateway host would run it.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import { importFixture } from './fixtures';
import type { PeerNamespace } from './netns';

export interface RemoteGateway {
  /** ws(s)://<peer address>:<port>: the only address Lanewatch uses. */
  url: string;
  port: number;
  token: string;
  version: string;
  configPath: string;
  readyMs: number;
  /** The fixture's OpenClawGateway (stop(), pid, logFile, …). */
  gateway: any;
  /** Runs the real openclaw CLI on the gateway host (the peer namespace, the gateway's own config and state). */
  openclaw(args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface RemoteGatewayOptions {
  ns: PeerNamespace;
  root: string;
  name?: string;
  version: string;
  port?: number;
  /**
   * gateway.bind: "custom" (default) listens on the peer address, and on 2026.9 also on the peer's 127.0.0.1 for
   * same-host clients; 2026.3.24's and 2026.4.26's "custom" listens on the peer address only, so its own CLI on the gateway host (which
   * connects to 127.0.0.1) cannot reach it: "lan" (0.0.0.0) there, which in the peer namespace is exactly those two.
   */
  bind?: 'custom' | 'lan';
  /** The gateway's own TLS (gateway.tls): PEM files it serves. Omit for plain ws://. */
  tls?: { certPath: string; keyPath: string };
  readyTimeoutMs?: number;
}

/** GET /readyz over http(s) on the peer address, accepting any certificate (only readiness is read). */
function readyz(url: string): Promise<string> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { agent: false, timeout: 2000, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', () => resolve(''));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
  });
}

export async function startRemoteGateway(opts: RemoteGatewayOptions): Promise<RemoteGateway> {
  const fixtures = await importFixture('openclaw-gateway');
  const tools = await importFixture('tools');
  const { ns, version } = opts;
  await tools.ensureInstalled('openclaw', { openclawVersion: version });
  const name = opts.name ?? 'remote';
  const port = opts.port ?? 18789;
  const token = crypto.randomBytes(24).toString('hex');
  const instanceDir = path.resolve(opts.root, name);
  for (const dir of ['state', 'home', 'tmp', 'logs']) fs.mkdirSync(path.join(instanceDir, dir), { recursive: true });
  const logFile = path.join(instanceDir, 'logs', 'openclaw.log');
  const configPath = path.join(instanceDir, 'openclaw.json');

  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENCLAW_') && k !== 'NODE_OPTIONS') env[k] = v;
  Object.assign(env, {
    OPENCLAW_HOME: path.join(instanceDir, 'home'),
    OPENCLAW_STATE_DIR: path.join(instanceDir, 'state'),
    OPENCLAW_CONFIG_PATH: configPath,
    OPENCLAW_DISABLE_BONJOUR: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    OPENCLAW_OFFLINE: '1',
    DO_NOT_TRACK: '1',
    NODE_COMPILE_CACHE: path.join(instanceDir, 'tmp', 'node-compile-cache'),
    TMPDIR: path.join(instanceDir, 'tmp'),
    HOME: path.join(instanceDir, 'home'),
    PATH: `${tools.nodeBinDir}${path.delimiter}${process.env.PATH ?? ''}`,
    OPENCLAW_PLUGIN_STAGE_DIR: tools.pluginStageDir(version),
    npm_config_offline: 'true',
    npm_config_fetch_retries: '0',
  });

  // The same config as the fixture's loopback gateways (scripts/fixtures/openclaw-gateway.mjs buildGatewayConfig),
  // except the bind: "custom" with one IPv4 address (docs/gateway/config-gateway.md, `bind`), and gateway.tls.
  const models: Record<string, unknown> = { mode: 'merge' };
  if (/^2026\.9\./.test(version)) models.catalogRefresh = { enabled: false };
  const gatewayConfig: Record<string, unknown> = {
    mode: 'local',
    port,
    ...(opts.bind === 'lan' ? { bind: 'lan' } : { bind: 'custom', customBindHost: ns.peerAddress }),
    auth: { mode: 'token', token },
  };
  if (opts.tls)
    gatewayConfig.tls = { enabled: true, autoGenerate: false, certPath: opts.tls.certPath, keyPath: opts.tls.keyPath };
  const config = {
    gateway: gatewayConfig,
    update: { checkOnStart: false, auto: { enabled: false } },
    discovery: { mdns: { mode: 'off' } },
    logging: { file: logFile, level: 'info' },
    models,
    agents: { defaults: { heartbeat: { every: '0m' } } },
  };
  fs.writeFileSync(
    configPath,
    `// Lanewatch remote test gateway "${name}" (openclaw ${version}) in a peer network namespace.\n${JSON.stringify(config, null, 2)}\n`,
    { mode: 0o600 },
  );
  const ledger = process.env.LANEWATCH_TOKEN_LEDGER;
  if (ledger) fs.appendFileSync(ledger, JSON.stringify({ token, gateway: name, version }) + '\n', { mode: 0o600 });

  // The launcher the fixture spawns (as `node <entry> gateway run --port N`): nsenter into the peer namespace, then
  // the real openclaw entry with the same arguments. It leads the process group (the fixture's stop() signals the
  // group) and ends with its child.
  const launcher = path.join(instanceDir, 'nsenter-launcher.cjs');
  fs.writeFileSync(
    launcher,
    `const { spawn } = require('node:child_process');
const child = spawn(${JSON.stringify(ns.nsenterArgv[0])}, ${JSON.stringify([...ns.nsenterArgv.slice(1), tools.nodeBin, tools.openclawEntry(version)])}.concat(process.argv.slice(2)), { stdio: 'inherit' });
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => {}); // the group signal reaches the child too
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
`,
  );
  const scheme = opts.tls ? 'wss' : 'ws';
  const gateway = new fixtures.OpenClawGateway({
    name,
    root: path.resolve(opts.root),
    port,
    token,
    version,
    entry: launcher,
    instanceDir,
    env,
  });
  gateway.url = `${scheme}://${ns.peerAddress}:${port}`;
  gateway.httpUrl = `${opts.tls ? 'https' : 'http'}://${ns.peerAddress}:${port}`;
  // The fixture's readiness poll speaks plain http; this one reads /readyz over the gateway's TLS when it has one.
  const readyTimeoutMs = opts.readyTimeoutMs ?? 180_000;
  gateway.waitReady = async ({ timeoutMs = readyTimeoutMs }: { timeoutMs?: number } = {}) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (/"ready"\s*:\s*true/.test(await readyz(`${gateway.httpUrl}/readyz`))) return;
      if (!gateway.running) throw new Error(`remote gateway exited before it was ready; see ${gateway.stdoutFile}`);
      if (Date.now() > deadline)
        throw new Error(`remote gateway not ready after ${timeoutMs} ms; see ${gateway.stdoutFile}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await gateway.start({ timeoutMs: readyTimeoutMs });

  // The operator on the gateway host trusts the gateway's own certificate (the file it serves now, whatever it holds;
  // its SAN names 127.0.0.1, where the CLI connects): 2026.3.24's CLI verifies it like any wss:// peer.
  const cliEnv = opts.tls ? { ...env, NODE_EXTRA_CA_CERTS: opts.tls.certPath } : env;
  const openclaw: RemoteGateway['openclaw'] = (args, timeoutMs = 60_000) =>
    new Promise((resolve) => {
      const child = spawn(
        ns.nsenterArgv[0],
        [...ns.nsenterArgv.slice(1), tools.nodeBin, tools.openclawEntry(version), ...args],
        { env: cliEnv, cwd: instanceDir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '',
        stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stdout, stderr });
      });
    });

  return {
    url: gateway.url,
    port,
    token,
    version,
    configPath,
    get readyMs() {
      return gateway.readyMs;
    },
    gateway,
    openclaw,
    stop: () => gateway.stop(),
  };
}
