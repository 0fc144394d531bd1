// Fault injection against a real openclaw gateway. Network faults go through a TCP proxy on loopback
// (test/support/faultProxy.ts); process faults are real: SIGTERM and start again, gateway.restart.request, and a
// storm of in-process restarts. For each: GatewayConnection and GatewayWatcher detect it within their timeout, name
// the right reason, and recover (reconnect, resync, no stale rows or statuses) once the fault is gone.
//
// Short timeouts used here (connection options): challengeTimeoutMs 1500 (also the WebSocket upgrade timeout),
// helloTimeoutMs 3000, pingIntervalMs 1500 (liveness probe: a ping unanswered for 1.5 s means the link is dead),
// requestTimeoutMs 5000. The restart tests use the defaults (no ping; the gateway's own close frames drive them).
// Figures are printed as `# ` lines.
//
// Protocol 3 (LANEWATCH_OPENCLAW_VERSION=2026.3.24 / 2026.4.26): there is no gateway.restart.* and no boot id, so the
// in-process restarts are SIGUSR1 to the pid in the gateway's lock file (what Lanewatch's restart does there) and a
// "new boot" is a hello whose uptime starts after the fault. Those versions also answer the first connects after
// /readyz says ready slowly (the socket opens 1–2 s later), so there the bound is on the client: its successful attempt
// starts within 2 s of ready.
//
// Runs on 2026.9.x and 2026.3.24 (test/support/scope.ts). On 2026.4.26 none of it runs: its network faults and restarts
// are protocol 3's as on 2026.3.24 (no boot id, SIGUSR1, the new process proven by its uptime); what 2026.4.26 does
// differently there (a restart takes ~40-60 s, chat.history answers UNAVAILABLE meanwhile) is proven by
// transcript.test.ts's restart.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import WebSocket from 'ws';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  GatewayApi,
  GatewayConnection,
  type GatewayRequestError,
  MemoryDeviceIdentityStore,
  type ConnectionSnapshot,
  type GatewayConnectionOptions,
} from '../../src/gateway';
import { GatewayWatcher, type WatcherOptions } from '../../src/fleet/gatewayWatcher';
import { findLockFor, planLocalRestart } from '../../src/actions/restart';
import { testSend } from '../../src/actions/testSend';
import { describeConnection } from '../../src/report/describe';
import { FaultProxy, type FaultKind } from '../support/faultProxy';
import { importFixture, repoRoot } from '../support/fixtures';
import { protocol3Alike, VERSION } from '../support/scope';

const LONG = { timeout: 300_000 };
const FAST = {
  challengeTimeoutMs: 1_500,
  helloTimeoutMs: 3_000,
  pingIntervalMs: 1_500,
} satisfies WatcherOptions['connection'];
const REQUEST_TIMEOUT_MS = 5_000;
/** Scheduling slack on a shared 2-core machine (other suites run real gateways at the same time). */
const SLACK_MS = 2_500;
/** The liveness probe's bound: silence ≥ ping interval, the ping sent within a quarter interval, unanswered for one more. */
const PROBE_BOUND_MS = 2.5 * FAST.pingIntervalMs;
const RESET_REASONS = ['network error (ECONNRESET)', 'connection lost (1006)'];
const STORM_MS = Number(process.env.LANEWATCH_RESTART_STORM_MS ?? 120_000);
/** 2026.9.x (protocol 4); the others here are the protocol-3 versions 2026.3.24 and 2026.4.26. */
const V9 = !/^2026\.[34]\./.test(VERSION);

const identities = new MemoryDeviceIdentityStore();
const logs: string[] = [];
let fixtures: any, fake: any, gw: any, proxy: FaultProxy, admin: GatewayConnection, adminApi: GatewayApi;
const disposables: Array<{ dispose(): void }> = [];
const figures = {
  detect: new Map<string, number[]>(),
  recover: new Map<string, number[]>(),
  reconnectAfterReady: [] as Array<{ what: string; ms: number }>,
};
const KEYS = ['agent:main:faults-a', 'agent:main:faults-b', 'agent:main:faults-c'];

const record = (map: Map<string, number[]>, name: string, ms: number) => {
  const list = map.get(name) ?? [];
  list.push(ms);
  map.set(name, list);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
};

function log(level: string, message: string) {
  logs.push(`${new Date().toISOString()} ${level} ${message}`);
  if (logs.length > 5000) logs.splice(0, 1000);
}

function connectionTo(url: string, name: string, extra: Partial<GatewayConnectionOptions> = {}): GatewayConnection {
  const c = new GatewayConnection({
    url,
    credentials: () => ({ token: gw.token }),
    scopes: ['operator.read'],
    identityStore: identities,
    identityKey: `faults-${name}`,
    clientVersion: '0.1.0-faults',
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    log: (l, m) => log(l, `[${name}] ${m}`),
    ...extra,
  });
  disposables.push(c);
  c.start();
  return c;
}

function watcherTo(url: string, name: string, connection: WatcherOptions['connection']): GatewayWatcher {
  const w = new GatewayWatcher({
    config: { name, url, source: 'settings' },
    credentials: async () => ({ token: gw.token }),
    identityStore: identities,
    clientVersion: '0.1.0-faults',
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    log,
    pollIntervalMs: 60_000,
    connection,
  });
  disposables.push(w);
  w.start();
  return w;
}

/** Resolves with the first snapshot (now or later) that satisfies `pick`. */
function stateOf(
  c: GatewayConnection,
  pick: (s: ConnectionSnapshot) => boolean,
  what: string,
  ms = 60_000,
): Promise<ConnectionSnapshot & { at: number }> {
  const now = c.snapshot();
  if (pick(now)) return Promise.resolve({ ...now, at: Date.now() });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(
        new Error(
          `${what}: not within ${ms} ms; now ${c.snapshot().state} ${JSON.stringify(c.snapshot().problem?.summary ?? '')}`,
        ),
      );
    }, ms);
    const sub = c.onDidChangeState((s) => {
      if (pick(s)) {
        clearTimeout(timer);
        sub.dispose();
        resolve({ ...s, at: Date.now() });
      }
    });
  });
}

/** Next snapshot (from now on) that satisfies `pick`; ignores the current one. */
function nextStateOf(
  c: GatewayConnection,
  pick: (s: ConnectionSnapshot) => boolean,
  what: string,
  ms = 60_000,
): Promise<ConnectionSnapshot & { at: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(
        new Error(
          `${what}: not within ${ms} ms; now ${c.snapshot().state} ${JSON.stringify(c.snapshot().problem?.summary ?? '')}`,
        ),
      );
    }, ms);
    const sub = c.onDidChangeState((s) => {
      if (pick(s)) {
        clearTimeout(timer);
        sub.dispose();
        resolve({ ...s, at: Date.now() });
      }
    });
  });
}

/** Resolves when the watcher is connected and has read agents and every row on this connection. */
function synced(w: GatewayWatcher, what: string, ms = 60_000): Promise<number> {
  if (w.isSynced()) return Promise.resolve(Date.now());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(
        new Error(
          `${what}: watcher ${w.name} not synced within ${ms} ms (${w.snapshot().state}, ${w.lastSyncError() ?? w.snapshot().problem?.summary ?? ''})`,
        ),
      );
    }, ms);
    const sub = w.onDidChange(() => {
      if (w.isSynced()) {
        clearTimeout(timer);
        sub.dispose();
        resolve(Date.now());
      }
    });
  });
}

/** The watcher's rows and statuses agree with a fresh sessions.list read on another connection: nothing stale. */
async function assertInSync(w: GatewayWatcher, what: string): Promise<void> {
  const fresh = (await adminApi.sessionsList({ limit: 500 })).sessions;
  assert.deepEqual(
    w
      .sessionRows()
      .map((r) => r.key)
      .sort(),
    fresh.map((r) => r.key).sort(),
    `${what}: ${w.name} lists exactly the gateway's sessions`,
  );
  for (const row of fresh) {
    const status = w.laneStatus(row.key);
    assert.equal(status.state, 'idle', `${what}: ${row.key} is idle (${status.facts.map((f) => f.text).join('; ')})`);
    assert.equal(w.session(row.key)?.sessionId, row.sessionId, `${what}: ${row.key} has the current sessionId`);
  }
  assert.equal(w.snapshot().hello?.bootId, admin.helloSummary?.bootId, `${what}: ${w.name} is on the current boot`);
}

/** While down, the watcher shows every session as unknown with the connection's current reason, never a stale live state. */
function assertShowsDown(w: GatewayWatcher, what: string): void {
  const snap = w.snapshot();
  assert.notEqual(snap.state, 'connected', `${what}: ${w.name} is down`);
  assert.ok(w.sessionRows().length > 0, `${what}: rows are kept while down`);
  for (const key of w.sessionRows().map((r) => r.key)) {
    const status = w.laneStatus(key);
    assert.equal(status.state, 'unknown', `${what}: ${key} is unknown while the link is down`);
    assert.ok(
      status.facts[0].text.includes(snap.problem!.summary),
      `${what}: the fact names the reason (${status.facts[0].text} / ${snap.problem?.summary})`,
    );
  }
}

/** /readyz (the fixture's readiness signal) polled every 50 ms: when the gateway booted after `since` is ready. */
async function readyAfter(since: number, ms = 180_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const body = await new Promise<string>((resolve) => {
      const req = http.get(`${gw.httpUrl}/readyz`, { agent: false, timeout: 1_000 }, (res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
        });
        res.on('end', () => resolve(b));
        res.on('error', () => resolve(''));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(''));
    });
    const at = Date.now();
    try {
      const r = JSON.parse(body) as { ready?: boolean; uptimeMs?: number };
      if (r.ready === true && typeof r.uptimeMs === 'number' && at - r.uptimeMs >= since - 250) return at;
    } catch {
      /* refused or starting */
    }
    await sleep(50);
  }
  throw new Error(`gateway not ready within ${ms} ms`);
}

/** The whole file: protocol 3 as on 2026.3.24 (see the header). */
const SCOPE = protocol3Alike(
  "network faults and restarts behave as on 2026.3.24 (protocol 3, SIGUSR1); 2026.4.26's slow restart is transcript.test.ts's",
);

before(async () => {
  if (SCOPE.skip) return; // no gateway for a file with nothing to run
  fixtures = await importFixture('openclaw-gateway');
  const root = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-faults-'));
  fake = await fixtures.startFakeModel({});
  gw = await fixtures.startGateway({ root, name: 'faults', modelBaseUrl: `${fake.url}/v1` });
  proxy = await FaultProxy.start({ port: gw.port }, { latencyMs: 500 });
  console.log(`# gateway ${gw.version} ready in ${gw.readyMs} ms at ${gw.url}; fault proxy at ${proxy.url}`);
  admin = connectionTo(gw.url, 'admin', {
    scopes: ['operator.read', 'operator.write', 'operator.admin'],
    requestTimeoutMs: 60_000,
  });
  adminApi = new GatewayApi(admin);
  await admin.waitForConnected(60_000);
  for (const key of KEYS) await admin.request('sessions.create', { key }, { timeoutMs: 60_000 });
}, LONG);

after(async () => {
  if (SCOPE.skip) return;
  for (const d of disposables.splice(0).reverse()) d.dispose();
  await proxy?.close();
  await fixtures?.cleanupAll();
  const line = (name: string, v: number[]) => `${name} ${v.length}× median ${median(v)} ms, max ${Math.max(...v)} ms`;
  for (const [name, v] of figures.detect) console.log(`# detect ${line(name, v)}`);
  for (const [name, v] of figures.recover) console.log(`# recover after clear ${line(name, v)}`);
  if (figures.reconnectAfterReady.length) {
    const v = figures.reconnectAfterReady.map((r) => r.ms);
    console.log(
      `# reconnect after gateway ready (all restarts): ${line(
        '',
        v.map((x) => Math.max(0, x)),
      )}; raw min ${Math.min(...v)} ms`,
    );
  }
  console.log(
    `# fault proxy: ${proxy?.stats.accepted ?? 0} connections accepted, ${proxy?.stats.resets ?? 0} reset, ${proxy?.stats.withheldBytes ?? 0} bytes withheld; injected ${JSON.stringify(proxy?.stats.injected ?? {})}`,
  );
});

describe('network faults through a proxy (GatewayConnection and GatewayWatcher)', SCOPE, () => {
  let conn: GatewayConnection, watcher: GatewayWatcher;

  before(async () => {
    conn = connectionTo(proxy.url, 'proxied', FAST);
    watcher = watcherTo(proxy.url, 'proxied-watcher', FAST);
    await conn.waitForConnected(60_000);
    await synced(watcher, 'initial sync');
    await assertInSync(watcher, 'initial');
  }, LONG);

  /** Every fault starts from a healthy pair, whatever the test before it left behind. */
  beforeEach(async () => {
    proxy.clear();
    await stateOf(conn, (s) => s.state === 'connected', 'healthy before the fault');
    await synced(watcher, 'healthy before the fault');
  });
  afterEach(() => proxy.clear());

  /** Both healthy again after `proxy.clear()`; records the time from clear to connected and resynced. */
  async function recovers(fault: FaultKind, clearedAt: number): Promise<void> {
    const up = await stateOf(conn, (s) => s.state === 'connected', `${fault}: connection back`);
    const syncedAt = await synced(watcher, `${fault}: watcher back`);
    record(figures.recover, `${fault} (connection)`, up.at - clearedAt);
    record(figures.recover, `${fault} (watcher resynced)`, syncedAt - clearedAt);
    assert.equal((await conn.request<{ ok: boolean }>('health')).ok, true, `${fault}: requests flow again`);
    await assertInSync(watcher, `${fault}: after recovery`);
  }

  it(
    'latency (+500 ms per chunk): slow but alive; a short request timeout and a short hello timeout fire with their reasons; clears',
    LONG,
    async () => {
      proxy.inject('latency');
      try {
        const t0 = Date.now();
        await assert.rejects(
          conn.request('health', {}, { timeoutMs: 800 }),
          (e: GatewayRequestError) => e.code === 'TIMEOUT' && /no answer within 0\.8 s/.test(e.message),
        );
        record(figures.detect, 'latency: request timeout 0.8 s', Date.now() - t0);
        const t1 = Date.now();
        await conn.request('health');
        const rtt = Date.now() - t1;
        assert.ok(rtt >= 950, `round trip includes 2 × 500 ms (${rtt} ms)`);
        await watcher.pollOnce();
        // Longer than the liveness probe's bound: the probe's pong comes back in ~1 s, so nothing is declared dead.
        await sleep(PROBE_BOUND_MS + 1_000);
        assert.equal(conn.snapshot().state, 'connected', 'no false dead-link detection under latency');
        assert.equal(watcher.snapshot().state, 'connected');
        assert.ok(watcher.isSynced());
        // A fresh handshake: ~2 s through the proxy. Within a 3 s hello timeout it connects; within 0.8 s it cannot.
        const patient = connectionTo(proxy.url, 'latency-patient', FAST);
        const impatient = connectionTo(proxy.url, 'latency-impatient', { ...FAST, helloTimeoutMs: 800 });
        const impatientDown = stateOf(impatient, (s) => s.state === 'disconnected', 'impatient hello timeout', 30_000);
        const hello = await patient.waitForConnected(30_000);
        assert.equal(hello.protocol, V9 ? 4 : 3);
        const t = patient.snapshot().handshake!;
        console.log(
          `# latency: request round trip ${rtt} ms; handshake through +500 ms/chunk: open ${t.socketOpenMs} ms, challenge ${t.challengeMs} ms, hello ${t.helloMs} ms`,
        );
        const failed = await impatientDown;
        assert.equal(failed.problem?.kind, 'hello-timeout');
        assert.equal(failed.problem?.summary, 'no answer to connect');
        assert.equal(failed.handshake?.failedIn, 'hello');
        const sentAt = failed.handshake.startedAt + failed.handshake.connectSentMs!;
        assert.ok(
          failed.at - sentAt >= 750 && failed.at - sentAt <= 800 + SLACK_MS,
          `hello timeout after ${failed.at - sentAt} ms`,
        );
        record(figures.detect, 'latency: hello timeout 0.8 s (from connect sent)', failed.at - sentAt);
        const clearedAt = Date.now();
        proxy.clear();
        await stateOf(impatient, (s) => s.state === 'connected', 'impatient connects once latency clears', 30_000);
        record(figures.recover, 'latency (impatient connection)', Date.now() - clearedAt);
        patient.dispose();
        impatient.dispose();
        await recovers('latency', clearedAt);
      } finally {
        proxy.clear();
      }
    },
  );

  it(
    'stall in the middle of a frame: detected by the liveness probe, reconnects stall at the challenge; recovers',
    LONG,
    async () => {
      const cDown = nextStateOf(conn, (s) => s.state === 'disconnected', 'stall: connection down');
      const wDown = nextStateOf(watcher.connection, (s) => s.state === 'disconnected', 'stall: watcher down');
      proxy.inject('stall-mid-frame');
      const t0 = Date.now();
      // The next frame from the gateway on each link is cut in half: ask for one.
      const pending = conn.request('health').then(
        () => undefined,
        (e: GatewayRequestError) => e,
      );
      void watcher.pollOnce();
      const d = await cDown,
        wd = await wDown;
      for (const [who, s] of [
        ['connection', d],
        ['watcher', wd],
      ] as const) {
        assert.equal(s.problem?.kind, 'tick-timeout', `${who}: ${s.problem?.summary}`);
        assert.match(s.problem.summary, /no pong to a ping/);
        assert.ok(s.at - t0 <= PROBE_BOUND_MS + SLACK_MS, `${who}: detected in ${s.at - t0} ms`);
        record(figures.detect, `stall-mid-frame (${who})`, s.at - t0);
      }
      const err = await pending;
      assert.equal(err?.code, 'CONNECTION_CLOSED', 'the request cut in half fails, it does not hang');
      assert.match(err.message, /may or may not have been applied/);
      assertShowsDown(watcher, 'stall');
      // While the fault lasts, each new connection stalls at its first frame: the challenge.
      const again = await stateOf(
        conn,
        (s) => s.state === 'disconnected' && s.problem?.kind === 'no-challenge',
        'stall: reconnect stalls at the challenge',
        20_000,
      );
      assert.equal(again.handshake?.failedIn, 'challenge');
      const clearedAt = Date.now();
      proxy.clear();
      await recovers('stall-mid-frame', clearedAt);
    },
  );

  it(
    'half-open (no FIN, nothing forwarded): detected by the liveness probe; a change made meanwhile is picked up by the resync',
    LONG,
    async () => {
      const cDown = nextStateOf(conn, (s) => s.state === 'disconnected', 'half-open: connection down');
      const wDown = nextStateOf(watcher.connection, (s) => s.state === 'disconnected', 'half-open: watcher down');
      proxy.inject('half-open');
      const t0 = Date.now();
      const pending = conn.request('health').then(
        () => undefined,
        (e: GatewayRequestError) => e,
      );
      const d = await cDown,
        wd = await wDown;
      for (const [who, s] of [
        ['connection', d],
        ['watcher', wd],
      ] as const) {
        assert.equal(s.problem?.kind, 'tick-timeout', `${who}: ${s.problem?.summary}`);
        assert.match(s.problem.summary, /no pong to a ping/);
        assert.ok(s.at - t0 <= PROBE_BOUND_MS + SLACK_MS, `${who}: detected in ${s.at - t0} ms`);
        record(figures.detect, `half-open (${who})`, s.at - t0);
      }
      assert.equal((await pending)?.code, 'CONNECTION_CLOSED');
      assertShowsDown(watcher, 'half-open');
      // New connections are accepted and hear nothing: the upgrade times out.
      const again = await stateOf(
        conn,
        (s) => s.state === 'disconnected' && s.problem?.kind === 'upgrade-timeout',
        'half-open: reconnect gets no upgrade',
        20_000,
      );
      assert.equal(again.handshake?.failedIn, 'socket');
      // The gateway changes while the watcher is blind: one session added, one deleted.
      await admin.request('sessions.create', { key: 'agent:main:faults-born-while-blind' }, { timeoutMs: 60_000 });
      await admin.request('sessions.delete', { key: KEYS[2] }, { timeoutMs: 60_000 });
      assert.ok(watcher.session(KEYS[2]), 'the blind watcher still holds the deleted row (as unknown)');
      const clearedAt = Date.now();
      proxy.clear();
      await recovers('half-open', clearedAt);
      assert.ok(watcher.session('agent:main:faults-born-while-blind'), 'the session created meanwhile is listed');
      assert.equal(watcher.session(KEYS[2]), undefined, 'the session deleted meanwhile is gone');
    },
  );

  it(
    'connection reset (RST): detected at once as a lost connection / ECONNRESET; reconnects are reset too; recovers',
    LONG,
    async () => {
      const cDown = nextStateOf(conn, (s) => s.state === 'disconnected', 'reset: connection down');
      const wDown = nextStateOf(watcher.connection, (s) => s.state === 'disconnected', 'reset: watcher down');
      const t0 = Date.now();
      proxy.inject('reset');
      const d = await cDown,
        wd = await wDown;
      for (const [who, s] of [
        ['connection', d],
        ['watcher', wd],
      ] as const) {
        // ws reports an RST on an open socket either as an ECONNRESET error or as a bare close 1006: both name the loss.
        assert.ok(RESET_REASONS.includes(s.problem!.summary), `${who}: ${s.problem?.kind} ${s.problem?.summary}`);
        assert.ok(s.at - t0 <= SLACK_MS, `${who}: detected in ${s.at - t0} ms`);
        record(figures.detect, `reset (${who})`, s.at - t0);
      }
      assertShowsDown(watcher, 'reset');
      const again = await stateOf(
        conn,
        (s) => s.state === 'disconnected' && s.attempts > d.attempts,
        'reset: a reconnect is reset',
        20_000,
      );
      assert.ok(
        RESET_REASONS.includes(again.problem!.summary),
        `reconnect reset: ${again.problem?.kind} ${again.problem?.summary}`,
      );
      console.log(
        `# reset: open link → ${d.problem?.summary}; reconnect reset on accept → ${again.problem?.summary} [${again.problem?.kind}]`,
      );
      const clearedAt = Date.now();
      proxy.clear();
      await recovers('reset', clearedAt);
    },
  );

  it('TCP accepted but never upgraded: "upgrade timed out" within the upgrade timeout; recovers', LONG, async () => {
    proxy.inject('no-upgrade');
    const cDown = nextStateOf(conn, (s) => s.state === 'disconnected', 'no-upgrade: connection down');
    const wDown = nextStateOf(watcher.connection, (s) => s.state === 'disconnected', 'no-upgrade: watcher down');
    const t0 = Date.now();
    conn.reconnectNow();
    watcher.connection.reconnectNow();
    const d = await cDown,
      wd = await wDown;
    for (const [who, s] of [
      ['connection', d],
      ['watcher', wd],
    ] as const) {
      assert.equal(s.problem?.kind, 'upgrade-timeout', `${who}: ${s.problem?.summary}`);
      assert.equal(s.problem?.summary, 'WebSocket upgrade timed out');
      assert.equal(s.handshake?.failedIn, 'socket');
      assert.ok(
        s.at - t0 >= FAST.challengeTimeoutMs - 50 && s.at - t0 <= FAST.challengeTimeoutMs + SLACK_MS,
        `${who}: detected in ${s.at - t0} ms`,
      );
      record(figures.detect, `no-upgrade (${who})`, s.at - t0);
    }
    assertShowsDown(watcher, 'no-upgrade');
    const clearedAt = Date.now();
    proxy.clear();
    await recovers('no-upgrade', clearedAt);
  });

  it(
    'upgraded but the challenge never comes: "WebSocket open but no challenge" within the challenge timeout; recovers',
    LONG,
    async () => {
      proxy.inject('no-challenge');
      const cDown = nextStateOf(conn, (s) => s.state === 'disconnected', 'no-challenge: connection down');
      const wDown = nextStateOf(watcher.connection, (s) => s.state === 'disconnected', 'no-challenge: watcher down');
      const t0 = Date.now();
      conn.reconnectNow();
      watcher.connection.reconnectNow();
      const d = await cDown,
        wd = await wDown;
      for (const [who, s] of [
        ['connection', d],
        ['watcher', wd],
      ] as const) {
        assert.equal(s.problem?.kind, 'no-challenge', `${who}: ${s.problem?.summary}`);
        assert.equal(s.problem?.summary, 'WebSocket open but no challenge');
        assert.equal(s.handshake?.failedIn, 'challenge');
        assert.ok(s.handshake?.socketOpenMs !== undefined, 'the upgrade itself succeeded');
        assert.ok(s.at - t0 <= FAST.challengeTimeoutMs + SLACK_MS, `${who}: detected in ${s.at - t0} ms`);
        record(figures.detect, `no-challenge (${who})`, s.at - t0);
      }
      assertShowsDown(watcher, 'no-challenge');
      const clearedAt = Date.now();
      proxy.clear();
      await recovers('no-challenge', clearedAt);
    },
  );
  it(
    'HTTP answers but every WebSocket upgrade is held: named "HTTP answers, WebSocket silent" in the connection, the gateway row, test send and the CLI; recovers',
    LONG,
    async () => {
      proxy.inject('hold-upgrade');
      const named = (s: ConnectionSnapshot) => s.state !== 'connected' && s.problem?.diagnosis?.case === 'http-only';
      const cNamed = stateOf(conn, named, 'hold-upgrade: connection names it', 20_000);
      const wNamed = stateOf(watcher.connection, named, 'hold-upgrade: watcher names it', 20_000);
      const t0 = Date.now();
      conn.reconnectNow();
      watcher.connection.reconnectNow();
      // Judged without Lanewatch: plain HTTP through the same path answers, a plain WebSocket never opens.
      const health = await new Promise<number>((resolve) => {
        http
          .get(`${proxy.url.replace('ws:', 'http:')}/health`, { agent: false, timeout: 5_000 }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', () => resolve(0));
      });
      assert.equal(health, 200, 'HTTP /health answers through the proxy');
      const opened = await new Promise<boolean>((resolve) => {
        const ws = new WebSocket(proxy.url, { handshakeTimeout: FAST.challengeTimeoutMs });
        ws.on('open', () => resolve(true));
        ws.on('error', () => resolve(false));
      });
      assert.equal(opened, false, 'a plain WebSocket does not open either');
      for (const [who, s] of [
        ['connection', await cNamed],
        ['watcher', await wNamed],
      ] as const) {
        assert.equal(s.problem?.summary, 'HTTP answers, WebSocket silent', who);
        assert.equal(s.problem?.kind, 'upgrade-timeout', `${who}: the failed phase is kept`);
        assert.match(s.problem.diagnosis!.http, /\/health 200 in \d+ ms/);
        record(figures.detect, `hold-upgrade named (${who})`, s.at - t0);
      }
      // Between attempts the row leads with the case; while the next attempt runs it reads "reconnecting… (<case>)".
      // Which one the row shows depends on when the retry timer fires, so both are the row naming it.
      const row = describeConnection(watcher, watcher.snapshot());
      assert.match(
        row.description,
        /^(reconnecting… \()?HTTP answers, WebSocket silent/,
        `gateway row: ${row.description}`,
      );
      const tSend = Date.now();
      const report = await testSend({
        url: proxy.url,
        sessionKey: KEYS[0],
        connection: {
          url: proxy.url,
          credentials: () => ({ token: gw.token }),
          scopes: ['operator.read', 'operator.write'],
          identityStore: identities,
          identityKey: 'faults-send',
          challengeTimeoutMs: FAST.challengeTimeoutMs,
        },
      });
      assert.equal(report.failure, 'ws-wedged', report.summary);
      assert.match(report.summary, /^HTTP answers, WebSocket silent: /);
      record(figures.detect, 'hold-upgrade named (test send)', Date.now() - tSend);
      const tCli = Date.now();
      const cli = await new Promise<{ code: number; stdout: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [path.join(repoRoot, 'dist', 'cli.js'), 'status', '--gateway', proxy.url, '--token-env', 'LW_FAULTS_TOKEN'],
          {
            env: {
              ...process.env,
              LW_FAULTS_TOKEN: gw.token,
              LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-faults-cli-')),
            },
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        );
        let stdout = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
      });
      assert.match(cli.stdout, /HTTP answers, WebSocket silent/, cli.stdout);
      assert.match(cli.stdout, /Restart the gateway/);
      record(figures.detect, 'hold-upgrade named (CLI status)', Date.now() - tCli);
      const clearedAt = Date.now();
      proxy.clear();
      await recovers('hold-upgrade', clearedAt);
    },
  );
});

describe('process faults: SIGTERM, in-process restart, restart storm', SCOPE, () => {
  let conn: GatewayConnection, watcher: GatewayWatcher;

  before(async () => {
    // Default options, straight to the gateway: what the extension runs with.
    conn = connectionTo(gw.url, 'direct');
    watcher = watcherTo(gw.url, 'direct-watcher', undefined);
    await conn.waitForConnected(60_000);
    await synced(watcher, 'direct watcher');
  }, LONG);

  /** Connected to the gateway process started after `since`: a new boot id (9.x), or on protocol 3 (no boot id) an uptime that starts after it. */
  const onNewBoot = (s: ConnectionSnapshot, bootBefore: string | undefined, since: number) =>
    s.state === 'connected' &&
    (bootBefore !== undefined
      ? s.hello?.bootId !== bootBefore
      : s.hello?.uptimeMs !== undefined && (s.connectedAt ?? Date.now()) - s.hello.uptimeMs >= since - 1_000);

  /**
   * After the gateway is ready again: both reconnected, the watcher resynced on the new boot, nothing stale. Returns the
   * lag from ready to both connected, and the lag from ready to the start of the later successful attempt.
   */
  async function backAfterReady(
    what: string,
    readyAt: number,
    bootBefore: string | undefined,
    since: number,
  ): Promise<{ lag: number; startLag: number }> {
    const up = await stateOf(conn, (s) => onNewBoot(s, bootBefore, since), `${what}: connection back`, 60_000);
    const wUp = await stateOf(
      watcher.connection,
      (s) => onNewBoot(s, bootBefore, since),
      `${what}: watcher back`,
      60_000,
    );
    const lag = Math.max(up.connectedAt!, wUp.connectedAt!) - readyAt;
    const startLag = Math.max(up.handshake!.startedAt, wUp.handshake!.startedAt) - readyAt;
    figures.reconnectAfterReady.push({ what, ms: lag });
    // Where the time went: when the successful attempt started relative to ready, and how long its handshake took.
    const phases = (s: ConnectionSnapshot) =>
      `attempt ${s.handshake!.attempt} started ${s.handshake!.startedAt - readyAt} ms after ready, socket open after ${s.handshake!.socketOpenMs} ms, hello-ok after ${s.handshake!.helloMs} ms`;
    if (lag > 1_000) console.log(`# ${what}: connection ${phases(up)}; watcher ${phases(wUp)}`);
    await stateOf(admin, (s) => onNewBoot(s, bootBefore, since), `${what}: admin back`, 60_000);
    await synced(watcher, `${what}: resync`);
    await assertInSync(watcher, what);
    return { lag, startLag };
  }

  /** 9.x: connected within 2 s of ready. Protocol 3: the client's successful attempt started within 2 s of ready (the gateway then takes 1–2 s to open the socket). */
  function assertPrompt(what: string, r: { lag: number; startLag: number }): void {
    if (V9) assert.ok(r.lag < 2_000, `${what}: reconnected within 2 s of ready (${r.lag} ms)`);
    else
      assert.ok(
        r.startLag < 2_000,
        `${what}: reconnect attempt started within 2 s of ready (${r.startLag} ms; connected ${r.lag} ms after ready)`,
      );
  }

  it(
    'SIGTERM: the close is explained, and both are back within 2 s of the gateway being ready, resynced',
    LONG,
    async () => {
      const bootBefore = conn.helloSummary?.bootId;
      const cDown = nextStateOf(conn, (s) => s.state === 'disconnected', 'SIGTERM: down');
      const t0 = Date.now();
      gw.kill('SIGTERM');
      const d = await cDown;
      console.log(`# SIGTERM: client saw ${d.problem?.summary} [${d.problem?.kind}] after ${d.at - t0} ms`);
      assert.ok(
        ['restarting', 'going-away', 'connection-lost'].includes(d.problem!.kind),
        `${d.problem?.kind}: ${d.problem?.summary}`,
      );
      await stateOf(watcher.connection, (s) => s.state !== 'connected', 'SIGTERM: watcher down', 30_000);
      assertShowsDown(watcher, 'SIGTERM');
      const deadline = Date.now() + 60_000;
      while (gw.running && Date.now() < deadline) await sleep(100);
      const startAt = Date.now();
      const ready = readyAfter(startAt);
      await gw.start();
      const readyAt = Math.min(await ready, Date.now());
      const r = await backAfterReady('SIGTERM', readyAt, bootBefore, startAt);
      console.log(
        `# SIGTERM: stopped in ${startAt - t0} ms; started again in ${gw.readyMs} ms; reconnected ${r.lag} ms after ready (attempt started ${r.startLag} ms after)`,
      );
      assertPrompt('SIGTERM', r);
    },
  );

  /** 9.x: gateway.restart.request. Protocol 3 (no restart RPC): SIGUSR1 to the pid in the lock file, as Lanewatch's restart does. */
  async function requestRestart(what: string): Promise<void> {
    if (V9) {
      const answer = await adminApi.restartRequest({ skipDeferral: true, reason: `lanewatch faults: ${what}` });
      assert.equal(answer.ok, true, JSON.stringify(answer).slice(0, 300));
      return;
    }
    const hello = admin.helloSummary!;
    const lock = await findLockFor({
      configPath: hello.configPath ?? gw.configPath,
      stateDir: hello.stateDir,
      extraTmpDirs: [gw.tmpDir],
    });
    const plan = await planLocalRestart(lock, hello.protocol);
    assert.ok(plan.kind === 'signal' && plan.signal === 'SIGUSR1', JSON.stringify(plan));
    process.kill(plan.pid, plan.signal);
  }

  async function restartOnce(what: string): Promise<{ lag: number; startLag: number; downMs: number }> {
    await admin.waitForConnected(60_000);
    const bootBefore = conn.helloSummary?.bootId;
    const cDown = nextStateOf(conn, (s) => s.state === 'disconnected', `${what}: down`);
    const t0 = Date.now();
    await requestRestart(what);
    const d = await cDown;
    assert.equal(d.problem?.kind, 'restarting', `${what}: ${d.problem?.summary}`);
    assert.equal(d.problem?.closeCode, 1012);
    const readyAt = await readyAfter(t0);
    const r = await backAfterReady(what, readyAt, bootBefore, t0);
    return { ...r, downMs: readyAt - d.at };
  }

  it(
    V9
      ? 'gateway.restart.request: 1012 "restarting", back within 2 s of ready on the new boot, resynced'
      : 'SIGUSR1 restart (no restart RPC on protocol 3): 1012 "restarting", reconnecting within 2 s of ready to the new process, resynced',
    LONG,
    async () => {
      const r = await restartOnce('in-process restart');
      console.log(
        `# in-process restart (${V9 ? 'gateway.restart.request' : 'SIGUSR1'}): gateway ready ${r.downMs} ms after the close; reconnected ${r.lag} ms after ready (attempt started ${r.startLag} ms after)`,
      );
      assertPrompt('in-process restart', r);
    },
  );

  // 2026.4.26 takes ~40 s per restart (38-42 s down seen), so only 2-3 restarts fit in 120 s; it must do at least 2.
  const V426 = /^2026\.4\./.test(VERSION);
  it(
    `restart storm${V9 ? '' : ' (SIGUSR1)'}: as many in-process restarts as fit in ${Math.round(STORM_MS / 1000)} s${V426 ? ' (2026.4.26: ~40 s each, so only 2–3)' : ''}, each back within 2 s of ready, nothing stale`,
    { timeout: STORM_MS + 300_000 },
    async () => {
      const lags: number[] = [];
      const stormStart = Date.now();
      let n = 0;
      while (Date.now() - stormStart < STORM_MS) {
        n++;
        // Something changes between restarts, so a stale cache would show.
        await admin.waitForConnected(60_000);
        await admin.request('sessions.create', { key: `agent:main:storm-${n}` }, { timeoutMs: 60_000 });
        if (n > 1) await admin.request('sessions.delete', { key: `agent:main:storm-${n - 1}` }, { timeoutMs: 60_000 });
        const r = await restartOnce(`storm restart ${n}`);
        lags.push(V9 ? r.lag : r.startLag);
        if (!V9)
          console.log(
            `# storm restart ${n}: down ${r.downMs} ms, reconnected ${r.lag} ms after ready (attempt started ${r.startLag} ms after)`,
          );
      }
      const over = lags.filter((l) => l >= 2_000);
      console.log(
        `# restart storm (${V9 ? 'gateway.restart.request' : 'SIGUSR1'}): ${n} restarts in ${((Date.now() - stormStart) / 1000).toFixed(0)} s; ${V9 ? 'reconnect' : 'reconnect attempt start'} after ready median ${median(lags.map((l) => Math.max(0, l)))} ms, max ${Math.max(...lags)} ms; ${over.length} over 2 s`,
      );
      // 2026.4.26 stalls ~40 s at every start while it loads plugins: fewer restarts fit.
      const minRestarts = V426 ? Math.min(2, Math.max(1, Math.floor(STORM_MS / 60_000))) : 3;
      assert.ok(n >= minRestarts, `at least ${minRestarts} restarts fit (${n})`);
      assert.deepEqual(
        over,
        [],
        V9 ? 'every reconnect within 2 s of ready' : 'every reconnect attempt started within 2 s of ready',
      );
      assert.equal(watcher.lastSyncError(), undefined);
      assert.ok(
        watcher.session(`agent:main:storm-${n}`) && !watcher.session(`agent:main:storm-${n - 1}`),
        'the last change is reflected',
      );
    },
  );
});
