// A gateway on another host, for real: the gateway runs in a second network namespace (made by this test, joined to
// the test's own by one veth pair: 10.231.N.1 here, 10.231.N.2 there), bound to 10.231.N.2 with its own TLS and a
// self-signed certificate; Lanewatch (the `lanewatch` CLI, and a Fleet in this process for the tree's rows) connects
// from this namespace to wss://10.231.N.2 and to nothing else. Over loopback a device-signed client is paired without
// asking; from another address it is not, and this is where that path is exercised:
//   - plain ws:// to the remote address is refused before a socket exists (a listener there sees no connection), and
//     goes out only with --allow-plaintext;
//   - wss:// with the self-signed certificate is refused, naming the certificate's fingerprint (nothing sent: the
//     gateway holds no pairing request);
//   - pinned by that fingerprint, the first connect gets pairing-required, and the CLI and the tree's rows name the
//     exact `openclaw devices approve <id>` of the request the gateway holds;
//   - approved with the real `openclaw` CLI on the gateway host, it connects, read-only;
//   - a recovery command (read, write, admin) asks again and says so; approved, it works;
//   - (2026.9) the read-only device itself asking for more is the gateway's own scope upgrade, said as one;
//   - the gateway's certificate replaced, the old pin refuses it, naming the new fingerprint.
// The verifier is the gateway's own `openclaw devices list` on the gateway host (the peer namespace, over its own
// loopback, as an operator there runs it), never Lanewatch's read. Before 2026.9 the gateway binds "lan" there, which
// in that namespace is its loopback and 10.231.N.2 only: its "custom" bind has no loopback listener for its own CLI.
// Runs inside the suite's network namespace (`unshare -n`, or `-rn` when not root); skipped with the reason where a
// veth pair cannot be made, and never on the machine's own network. On 2026.9.6 and 2026.3.24 (pairing exists on both).
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { FileDeviceIdentityStore, GatewayConnection, type ConnectionProblem } from '../../src/gateway';
import { RECOVERY_SCOPES } from '../../src/actions/operatorConnection';
import { Fleet } from '../../src/fleet/fleet';
import { reportFleet, type GatewayReport } from '../../src/report/fleetReport';
import { createPeerNamespace, namespaceUnavailableReason, type PeerNamespace } from '../support/netns';
import { startRemoteGateway, type RemoteGateway } from '../support/remoteGateway';
import { repoRoot } from '../support/fixtures';
import { runCli } from '../support/cli';
import { GENERATION, on, VERSION } from '../support/scope';

const LONG = { timeout: 240_000 };
// 2026.4.26 behaves as 2026.3.24 here (run with LANEWATCH_GATEWAY_SCOPE=all: it passes, ~85 s).
const scoped = on(['2026.9', '2026.3'], 'device pairing and TLS pinning are proven on 2026.9.6 and 2026.3.24');
const nsProblem = scoped.skip ? undefined : namespaceUnavailableReason();
const skip = scoped.skip || (nsProblem ? `cannot make a second network namespace here: ${nsProblem}` : false);

const tlsFixtures = path.join(repoRoot, 'test', 'fixtures', 'tls');
const certOf = (name: string) => fs.readFileSync(path.join(tlsFixtures, `${name}-cert.pem`));
const fingerprintOf = (name: string) => new X509Certificate(certOf(name)).fingerprint256;
const SESSION = 'agent:main:remote-probe';

let ns: PeerNamespace, gw: RemoteGateway, root: string, certDir: string;
let fleet: Fleet | undefined;
/** The gateway's pairing state as last read (after the recovery device's approval). */
let lastDevices: { pending: DeviceEntry[]; paired: DeviceEntry[] } | undefined;
let lanewatchEnv: NodeJS.ProcessEnv;
const started = Date.now();
const phases: string[] = [];
const mark = (what: string) => phases.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);

/** The CLI as the operator runs it, with this test's environment (its token variable, its own device state). */
const lanewatch = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { ...lanewatchEnv, ...env });
const gatewayArgs = (url: string, extra: string[] = []) => [
  '--gateway',
  url,
  '--token-env',
  'LW_REMOTE_TOKEN',
  ...extra,
];
const statusJson = async (url: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => {
  const r = await lanewatch(['status', '--json', ...gatewayArgs(url, extra)], env);
  const report = JSON.parse(r.stdout) as { gateways: GatewayReport[] };
  return { ...r, gateway: report.gateways[0] };
};

/** The gateway's own view of pairing, from its own CLI on the gateway host. */
interface DeviceEntry {
  requestId?: string;
  deviceId: string;
  clientId?: string;
  displayName?: string;
  scopes?: string[];
  remoteIp?: string;
  lastSeenAtMs?: number;
}
async function devices(): Promise<{ pending: DeviceEntry[]; paired: DeviceEntry[] }> {
  const r = await gw.openclaw(['devices', 'list', '--json']);
  assert.equal(r.code, 0, `openclaw devices list: ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as { pending?: DeviceEntry[]; paired?: DeviceEntry[] };
  // Lanewatch's devices only (client id gateway-client): 2026.3.24 lists its own CLI's device, paired over loopback.
  const ours = (list: DeviceEntry[] = []) => list.filter((d) => d.clientId === 'gateway-client');
  return { pending: ours(parsed.pending), paired: ours(parsed.paired) };
}
async function approve(requestId: string): Promise<void> {
  const r = await gw.openclaw(['devices', 'approve', requestId, '--json']);
  assert.equal(r.code, 0, `openclaw devices approve ${requestId}: ${r.stdout} ${r.stderr}`);
}

/** The certificate the gateway presents now, read by this test's own TLS client (not Lanewatch's). */
function presentedFingerprint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: ns.peerAddress, port: gw.port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

/** Resolves when `pick` holds, re-checked on every fleet change. */
function fleetUntil<T>(pick: () => T | undefined | false, what: string, ms = 60_000): Promise<T> {
  const now = pick();
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${what}: not within ${ms} ms; ${JSON.stringify(reportFleet(fleet!).gateways)}`));
    }, ms);
    const sub = fleet!.onDidChange(() => {
      const v = pick();
      if (v) {
        clearTimeout(timer);
        sub.dispose();
        resolve(v);
      }
    });
  });
}
const treeRow = () => reportFleet(fleet!).gateways[0];

/**
 * A TCP listener on the remote address (in the peer namespace) that reports each connection it is offered.
 * connectionsSoFar() counts them after one of this test's own: the listener reports connections in the order it
 * accepted them, so once it reports ours every earlier one has been counted (ours is left out).
 */
async function startSentinel(port: number): Promise<{ connectionsSoFar(): Promise<number>; stop(): void }> {
  const child: ChildProcessWithoutNullStreams = spawn(
    ns.nsenterArgv[0],
    [
      ...ns.nsenterArgv.slice(1),
      process.execPath,
      '-e',
      `require('node:net').createServer((s) => { console.log('connection'); s.destroy(); }).listen(${port}, ${JSON.stringify(ns.peerAddress)}, () => console.log('listening'));`,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let count = 0;
  let probes = 0;
  const waiters: (() => void)[] = [];
  const lines = readline.createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sentinel exited (${code})`)));
    lines.on('line', (line) => {
      if (line === 'listening') resolve();
      if (line === 'connection') {
        count++;
        waiters.splice(0).forEach((w) => w());
      }
    });
  });
  return {
    async connectionsSoFar() {
      const reported = new Promise<void>((resolve) => waiters.push(resolve));
      const probe = net.connect({ host: ns.peerAddress, port });
      probe.on('error', () => undefined);
      await reported;
      probe.destroy();
      probes++;
      return count - probes;
    },
    stop: () => {
      process.removeListener('exit', kill);
      kill();
    },
  };
}

describe(`a remote gateway (openclaw ${VERSION}) in another network namespace`, { skip }, () => {
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'lanewatch-remote-'));
    ns = await createPeerNamespace();
    // The gateway serves its own copy of the certificate: the last test replaces it.
    certDir = path.join(root, 'tls');
    fs.mkdirSync(certDir, { mode: 0o700 });
    fs.copyFileSync(path.join(tlsFixtures, 'gateway-cert.pem'), path.join(certDir, 'cert.pem'));
    fs.copyFileSync(path.join(tlsFixtures, 'gateway-key.pem'), path.join(certDir, 'key.pem'));
    gw = await startRemoteGateway({
      ns,
      root,
      version: VERSION,
      bind: GENERATION === '2026.9' ? 'custom' : 'lan',
      tls: { certPath: path.join(certDir, 'cert.pem'), keyPath: path.join(certDir, 'key.pem') },
    });
    lanewatchEnv = { LW_REMOTE_TOKEN: gw.token, LANEWATCH_STATE_DIR: path.join(root, 'lanewatch-state') };
    mark(`gateway ready (${gw.readyMs} ms)`);
    console.log(`# ${gw.url} (openclaw ${VERSION}) in ${ns.nsPath}; this side ${ns.hostAddress}`);
  });

  after(async () => {
    fleet?.dispose();
    await gw?.stop();
    await ns?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
    mark('cleaned up');
    console.log(`# remote.test timings: ${phases.join(' · ')}`);
  });

  it(
    'plain ws:// to the remote address is refused before any connection; with --allow-plaintext it goes out',
    LONG,
    async () => {
      const sentinel = await startSentinel(gw.port + 1);
      try {
        const url = `ws://${ns.peerAddress}:${gw.port + 1}`;
        const refused = await statusJson(url);
        // The remote host's view first: no connection was offered.
        assert.equal(await sentinel.connectionsSoFar(), 0, 'a connection reached the remote host without consent');
        assert.equal(refused.code, 1);
        assert.equal(refused.gateway.problem?.kind, 'plaintext-remote');
        assert.match(refused.stderr, /plain ws:\/\/ to another host.*nothing was sent.*--allow-plaintext/);

        const consented = await statusJson(url, ['--allow-plaintext']);
        assert.ok((await sentinel.connectionsSoFar()) >= 1, 'with --allow-plaintext nothing reached the remote host');
        assert.notEqual(consented.gateway.problem?.kind, 'plaintext-remote');
      } finally {
        sentinel.stop();
      }
      mark('ws:// consent');
    },
  );

  it(
    'wss:// with the self-signed certificate is refused, naming its fingerprint, and nothing reaches the gateway',
    LONG,
    async () => {
      const r = await statusJson(gw.url);
      // The gateway's view first: a device that got through would have left a pairing request.
      const d = await devices();
      assert.deepEqual(d.pending, [], 'a pairing request reached the gateway through an untrusted certificate');
      assert.deepEqual(d.paired, []);
      assert.equal(r.code, 1);
      assert.equal(r.gateway.problem?.kind, 'tls-untrusted');
      assert.equal(r.gateway.problem?.certificateFingerprint, fingerprintOf('gateway'));
      assert.match(r.stderr, new RegExp(`self-signed.*--tls-fingerprint ${fingerprintOf('gateway')}`));
      mark('wss:// untrusted');
    },
  );

  let readRequest: DeviceEntry;
  it(
    'pinned, the first connect gets pairing-required; the CLI and the tree name the exact openclaw devices approve',
    LONG,
    async () => {
      const pin = ['--tls-fingerprint', fingerprintOf('gateway')];
      const text = await lanewatch(['status', ...gatewayArgs(gw.url, pin)]);
      assert.equal(text.code, 1);

      // The tree: the same device (the CLI's key store), watched the way the extension watches it.
      const config = { name: `${ns.peerAddress}:${gw.port}`, url: gw.url, tlsFingerprint: fingerprintOf('gateway') };
      fleet = new Fleet({
        secrets: { get: async () => gw.token },
        identityStore: new FileDeviceIdentityStore(path.join(lanewatchEnv.LANEWATCH_STATE_DIR!, 'device-identities')),
        clientVersion: '0.1.0-it',
        requestTimeoutMs: 30_000,
        log: () => undefined,
        env: {},
      });
      fleet.setGateways([{ ...config, source: 'settings' }], []);
      const row = await fleetUntil(
        () => (treeRow().problem?.kind === 'pairing-required' ? treeRow() : undefined),
        'tree: pairing',
      );

      // One request, held by the gateway, that both name.
      const { pending } = await devices();
      assert.equal(pending.length, 1, JSON.stringify(pending));
      readRequest = pending[0];
      assert.deepEqual(readRequest.scopes, ['operator.read']);
      assert.equal(readRequest.remoteIp, ns.hostAddress, 'the request did not come over the veth pair');
      const approveLine = `openclaw devices approve ${readRequest.requestId}`;
      assert.match(text.stdout, /waiting for pairing approval/);
      assert.ok(text.stdout.includes(`fix: on the gateway host: ${approveLine}`), text.stdout);
      assert.ok(
        text.stderr.includes(`has not approved this device yet: on the gateway host run: ${approveLine}`),
        text.stderr,
      );
      assert.match(row.description, /^waiting for pairing approval · retry in \d+s$/);
      assert.equal(row.problem?.fix, `Approve pairing: ${approveLine}`);
      assert.ok(row.problem?.advice.includes(`On the gateway host run: ${approveLine}.`), row.problem?.advice);
      console.log(`# tree row: "${row.description}" / fix row: "${row.problem?.fix}"`);
      mark('pairing-required');
    },
  );

  it('approved with the real openclaw CLI, it connects read-only (CLI and tree)', LONG, async () => {
    await approve(readRequest.requestId!);
    const { paired, pending } = await devices();
    assert.deepEqual(pending, []);
    assert.deepEqual(
      paired.map((p) => [p.deviceId, p.scopes]),
      [[readRequest.deviceId, ['operator.read']]],
    );
    const r = await statusJson(gw.url, ['--tls-fingerprint', fingerprintOf('gateway')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.gateway.connected, true);
    assert.deepEqual(r.gateway.scopes, ['operator.read']);
    // The tree retries every 30 s; "Retry now" picks the approval up at once.
    fleet!.gateways()[0].connection.reconnectNow();
    const row = await fleetUntil(() => (treeRow().connected ? treeRow() : undefined), 'tree: connected');
    assert.match(row.description, new RegExp(`^connected · openclaw ${VERSION.replace(/\./g, '\\.')}`));
    mark('approved');
  });

  it('a recovery command (read → read, write, admin) asks again and says so; approved, it runs', LONG, async () => {
    // A session to recover, made on the gateway host (no model is configured: the turn starts and hangs or fails).
    const made = await gw.openclaw([
      'gateway',
      'call',
      'chat.send',
      '--json',
      '--params',
      JSON.stringify({ sessionKey: SESSION, message: 'hello', idempotencyKey: `remote-${Date.now()}` }),
    ]);
    assert.equal(made.code, 0, `${made.stdout} ${made.stderr}`);
    // The gateway writes the session's row after answering (on a busy 2026.3.24, seconds later): recover refuses a key
    // it cannot find, so wait until the tree's watcher lists it.
    await fleetUntil(() => fleet!.gateways()[0].session(SESSION), `${SESSION} listed`);
    mark('session listed');
    fleet!.dispose();
    fleet = undefined;
    const pin = ['--tls-fingerprint', fingerprintOf('gateway')];
    const asked = await lanewatch(['recover', SESSION, '--yes', ...gatewayArgs(gw.url, pin)]);
    mark('recover asked');
    assert.notEqual(asked.code, 0);
    const { pending, paired } = await devices();
    assert.equal(
      pending.length,
      1,
      `${JSON.stringify(pending)}; lanewatch recover said: ${asked.stdout} ${asked.stderr}`,
    );
    const upgrade = pending[0];
    assert.deepEqual([...(upgrade.scopes ?? [])].sort(), ['operator.admin', 'operator.read', 'operator.write']);
    assert.deepEqual(
      paired.map((p) => [p.deviceId, p.scopes]),
      [[readRequest.deviceId, ['operator.read']]],
      'the read-only approval changed',
    );
    assert.ok(
      asked.stderr.includes(
        `asks for approval again: this command needs operator.write, operator.admin (more than the read-only access lanewatch status uses, which is approved on its own): on the gateway host run: openclaw devices approve ${upgrade.requestId}, then run this command again.`,
      ),
      asked.stderr,
    );

    await approve(upgrade.requestId!);
    const ran = await lanewatch(['recover', SESSION, '--yes', ...gatewayArgs(gw.url, pin)]);
    mark('recover ran');
    assert.doesNotMatch(ran.stderr, /approv/, ran.stderr);
    assert.notEqual(ran.code, 1, `${ran.stdout} ${ran.stderr}`);
    const after = await devices();
    lastDevices = after;
    assert.deepEqual(after.pending, []);
    assert.deepEqual(
      after.paired
        .find((p) => p.deviceId === upgrade.deviceId)
        ?.scopes?.slice()
        .sort(),
      ['operator.admin', 'operator.read', 'operator.write'],
    );
    console.log(`# recover after approval: exit ${ran.code}: ${(ran.stdout + ran.stderr).trim().split('\n').at(-1)}`);
    mark('scope ask');
  });

  it(
    "2026.9's own scope upgrade (the read-only device asking for recovery scopes) is said as one, with both sets",
    {
      ...LONG,
      // Not a choice of scope: older versions answer "pairing required" without the reason or the approved scopes.
      skip: GENERATION === '2026.9' ? false : `not on ${VERSION}: only 2026.9 names the reason and the approved scopes`,
    },
    async () => {
      // Lanewatch asks for a command's scopes with a device of their own; a device that was approved for less and asks
      // for more (an older pairing, another client on the same key) gets the gateway's scope-upgrade answer instead.
      const c = new GatewayConnection({
        url: gw.url,
        credentials: () => ({ token: gw.token }),
        scopes: RECOVERY_SCOPES,
        identityStore: new FileDeviceIdentityStore(path.join(lanewatchEnv.LANEWATCH_STATE_DIR!, 'device-identities')),
        identityKey: `${ns.peerAddress}:${gw.port}|${gw.url}`, // the read-only device of the tests above
        clientVersion: '0.1.0-it',
        clientDisplayName: 'Lanewatch',
        tlsFingerprint: fingerprintOf('gateway'),
        reconnect: false,
        httpProbe: false,
      });
      let askId: string | undefined;
      try {
        const problem = await new Promise<ConnectionProblem>((resolve) => {
          const sub = c.onDidChangeState((snap) => {
            if (snap.problem && !snap.problem.diagnosing) {
              sub.dispose();
              resolve(snap.problem);
            }
          });
          c.start();
        });
        const { pending } = await devices();
        askId = pending.find((p) => p.deviceId === readRequest.deviceId)?.requestId;
        assert.ok(askId, `no upgrade request for the read-only device: ${JSON.stringify(pending)}`);
        assert.equal(problem.kind, 'pairing-required');
        assert.equal(problem.requestId, askId);
        assert.equal(problem.summary, 'waiting for approval of more scopes (operator.write, operator.admin)');
        assert.ok(
          problem.advice.includes(
            `asks for approval again: this device is approved for operator.read, and now asks for operator.read, operator.write, operator.admin. On the gateway host run: openclaw devices approve ${askId}.`,
          ),
          problem.advice,
        );
      } finally {
        c.dispose();
        // Left as it was: the upgrade refused with the real CLI (also when an assertion failed, for the next test).
        if (askId) {
          const rejected = await gw.openclaw(['devices', 'reject', askId, '--json']);
          assert.equal(rejected.code, 0, rejected.stderr);
        }
      }
      lastDevices = await devices();
      assert.deepEqual(lastDevices.pending, []);
      mark('scope upgrade');
    },
  );

  it(
    'the gateway presenting a different certificate is refused under the old pin, naming the new one',
    LONG,
    async () => {
      const before = lastDevices ?? (await devices());
      // Replace the certificate the way an operator would (new files, renamed into place); 2026.9 reloads them without
      // a restart (gateway.tls, "automatic reload"); older versions read them at start.
      for (const [from, to] of [
        ['other-key.pem', 'key.pem'],
        ['other-cert.pem', 'cert.pem'],
      ]) {
        fs.copyFileSync(path.join(tlsFixtures, from), path.join(certDir, `${to}.new`));
        fs.renameSync(path.join(certDir, `${to}.new`), path.join(certDir, to));
      }
      if (/^2026\.9\./.test(VERSION)) {
        const deadline = Date.now() + 30_000;
        // The reload is the gateway's own file watch: no event reaches this process, so ask its TLS every 200 ms.
        while ((await presentedFingerprint()) !== fingerprintOf('other')) {
          assert.ok(Date.now() < deadline, 'the gateway did not reload its certificate within 30 s');
          await new Promise((r) => setTimeout(r, 200));
        }
      } else {
        await gw.gateway.stop();
        await gw.gateway.start();
      }
      assert.equal(await presentedFingerprint(), fingerprintOf('other'));
      mark('certificate replaced');

      // Twice: the paired device, and a new one (which, had it got through, would have left a pairing request: the
      // proof on versions whose device list has no last-seen time).
      const pin = ['--tls-fingerprint', fingerprintOf('gateway')];
      const r = await statusJson(gw.url, pin);
      const fresh = await statusJson(gw.url, pin, { LANEWATCH_STATE_DIR: path.join(root, 'fresh-lanewatch-state') });
      const now = await devices();
      assert.deepEqual(now.pending, [], 'a new device got through a certificate that does not match its pin');
      assert.deepEqual(
        now.paired.map((p) => [p.deviceId, p.lastSeenAtMs]),
        before.paired.map((p) => [p.deviceId, p.lastSeenAtMs]),
        'a device connected through a certificate that does not match its pin',
      );
      for (const run of [r, fresh]) {
        assert.equal(run.code, 1);
        assert.equal(run.gateway.problem?.kind, 'tls-pin-mismatch');
        assert.equal(run.gateway.problem?.certificateFingerprint, fingerprintOf('other'));
        assert.match(run.stderr, /does not match the pinned fingerprint/);
      }
      mark('pin mismatch');
    },
  );
});
