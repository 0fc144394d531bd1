// Gateway profiles against answers a real 2026.9.6 gateway does not give on demand (test/gateway/profile.test.ts has
// the real ones): an answer that is not a V8 profile, the heap summary a gateway sends instead of a tree over 1 MiB, an
// answer that never comes, a gateway without the RPC in its hello; and `lanewatch profile`'s usage errors.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayConnection, MemoryDeviceIdentityStore } from '../../src/gateway';
import { captureProfileOn, profileFileName } from '../../src/actions/gatewayProfile';
import { parseArgs } from '../../src/cli/main';
import { UsageError } from '../../src/cli/cliFleet';
import { ScriptedGateway } from '../support/scriptedGateway';

const gateways: ScriptedGateway[] = [];
const connections: GatewayConnection[] = [];
after(async () => {
  for (const c of connections) c.dispose();
  await Promise.all(gateways.map((g) => g.close()));
});

const METHODS = ['health', 'diagnostics.cpuProfile', 'diagnostics.heapProfile'];

async function connected(answer: (method: string, params: any) => unknown, methods = METHODS) {
  const g = await ScriptedGateway.start({
    helloOverrides: {
      features: { methods, events: [] },
      auth: { role: 'operator', scopes: ['operator.read', 'operator.admin'] },
    },
    handleRequest: (method, params) => answer(method, params),
  });
  gateways.push(g);
  const c = new GatewayConnection({
    url: g.url,
    credentials: () => ({ token: 't' }),
    scopes: ['operator.read', 'operator.admin'],
    identityStore: new MemoryDeviceIdentityStore(),
    identityKey: 'k',
    clientVersion: 'test',
  });
  connections.push(c);
  c.start();
  await c.waitForConnected(5_000);
  return c;
}

const dir = () => mkdtempSync(path.join(os.tmpdir(), 'lw-profile-unit-'));

describe('gateway profile: what the gateway answers', () => {
  it('an answer that is not a V8 CPU profile is refused and nothing is written', async () => {
    const c = await connected(() => ({ requestedDurationMs: 5000, profile: { nodes: [{ id: 1 }], samples: [1] } }));
    const d = dir();
    const r = await captureProfileOn(c, { gateway: 'gw', kind: 'cpu', file: path.join(d, 'x.cpuprofile') });
    assert.equal(r.failure, 'invalid-profile');
    assert.match(r.summary, /not with a usable CPU profile \(no valid startTime\/endTime\)\. Nothing was saved\./);
    assert.deepEqual(readdirSync(d), []);
  });

  it('a heap answer over 1 MiB (summary instead of the tree) is saved as JSON and said so', async () => {
    const summary = [
      { stack: [{ functionName: 'f', url: 'openclaw:dist/x.js' }], selfBytes: 10, totalBytes: 20, count: 1 },
    ];
    const c = await connected((_m, p) => ({ durationMs: p.durationMs, truncated: true, summary }));
    const d = dir();
    const r = await captureProfileOn(c, {
      gateway: 'gw',
      kind: 'heap',
      durationSeconds: 2,
      file: path.join(d, 'gw.heapprofile'),
    });
    assert.equal(r.ok, true, r.summary);
    assert.equal(r.file, path.join(d, 'gw.heap-summary.json'));
    assert.match(r.summary, /larger than the gateway’s 1 MiB limit.*top allocation sites/);
    assert.deepEqual(JSON.parse(readFileSync(r.file, 'utf8')).summary, summary);
    assert.deepEqual(readdirSync(d), ['gw.heap-summary.json']);
  });

  it('no answer: the request waits the capture plus the answer time, then says the gateway may be blocked', async () => {
    const asked: unknown[] = [];
    const c = await connected((m, p) => (asked.push([m, p]), undefined));
    const d = dir();
    const t = performance.now();
    const r = await captureProfileOn(c, {
      gateway: 'gw',
      kind: 'heap',
      durationSeconds: 1,
      answerTimeoutMs: 300,
      file: path.join(d, 'x.heapprofile'),
    });
    const waited = performance.now() - t;
    assert.deepEqual(asked, [['diagnostics.heapProfile', { durationMs: 1000 }]]);
    assert.equal(r.failure, 'timeout');
    assert.ok(waited >= 1_250 && waited < 5_000, `waited the 1 s capture + 0.3 s (${Math.round(waited)} ms)`);
    assert.match(r.summary, /did not answer .* its event loop may be blocked\. Nothing was saved\./);
    assert.deepEqual(readdirSync(d), []);
  });

  it('a gateway whose hello lists no such method is told "needs OpenClaw 2026.9 or later" without a call', async () => {
    const asked: string[] = [];
    const c = await connected((m) => (asked.push(m), {}), ['health', 'sessions.list']);
    const r = await captureProfileOn(c, { gateway: 'gw', kind: 'cpu', file: path.join(dir(), 'x.cpuprofile') });
    assert.equal(r.failure, 'unsupported-version');
    assert.match(r.summary, /needs OpenClaw 2026\.9 or later \(gw runs OpenClaw 2026\.9\.6-test\)/);
    assert.deepEqual(asked, []);
  });
});

describe('lanewatch profile: usage', () => {
  const usage = (args: string[]) =>
    assert.throws(
      () => parseArgs(args),
      (e: Error) => e instanceof UsageError && /profile/.test(e.message),
    );
  it('needs cpu or heap; CPU takes no other duration; heap 1–30 whole seconds', () => {
    usage(['profile']);
    usage(['profile', 'memory']);
    usage(['profile', 'cpu', '--duration', '10']);
    usage(['profile', 'heap', '--duration', '31']);
    usage(['profile', 'heap', '--duration', '2.5']);
    usage(['profile', 'cpu', '--gateway', 'ws://a:1', '--gateway', 'ws://b:1']);
    const p = parseArgs(['profile', 'heap', '--duration', '30', '--out', 'x.heapprofile']);
    assert.deepEqual([p.profileKind, p.durationSeconds, p.out], ['heap', 30, 'x.heapprofile']);
    assert.equal(parseArgs(['profile', 'cpu', '--duration', '5']).durationSeconds, 5);
  });
  it('default file names are safe on every OS', () => {
    assert.equal(
      profileFileName('my gw/../x:1', 'cpu', new Date('2026-12-03T01:02:03.456Z')),
      'my_gw_.._x_1-2026-12-03T01-02-03.cpuprofile',
    );
    assert.equal(profileFileName('..', 'heap', new Date('2026-12-03T01:02:03Z')), '_-2026-12-03T01-02-03.heapprofile');
  });
});
