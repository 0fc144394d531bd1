// The gateway client against a real openclaw gateway (2026.9.x by default; LANEWATCH_OPENCLAW_VERSION picks
// another) with the fake model. Every protocol behaviour the extension relies on is proven here, on every
// supported version: where 2026.3.24/2026.4.26 (protocol 3) differ, the test asserts that version's documented
// behaviour (UNSUPPORTED for a missing method, the fallback Lanewatch uses instead) rather than skipping.
// Tests that run real turns, hung runs or restarts whose protocol-3 behaviour 2026.4.26 shares with 2026.3.24 run on
// 2026.9.x and 2026.3.24 only (test/support/scope.ts: 2026.4.26 takes ~1 min per start and per first turn); what
// 2026.4.26 does differently (hello-ok, diagnostics.stability, its answer to an abort of an idle session, late ticks,
// the slow signal restart in transcript.test.ts) runs there.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GatewayApi,
  GatewayConnection,
  type GatewayRequestError,
  MemoryDeviceIdentityStore,
  type ConnectionSnapshot,
  type EventFrame,
  type GatewayConnectionOptions,
  type OperatorScope,
} from '../../src/gateway';
import { importFixture } from '../support/fixtures';
import { abortRun, findSessionRow, readBack, recoverSession, resetSession } from '../../src/actions/recovery';
import {
  findLockFor,
  planLocalRestart,
  restartGateway,
  restartPreflight,
  signalRestart,
} from '../../src/actions/restart';
import { testSend } from '../../src/actions/testSend';
import { protocol3Alike } from '../support/scope';

// 2026.4.26 starts in 40-90 s and can stall 20-55 s at a time; 9.x and 3.24 need far less.
const LONG = { timeout: 420_000 };
const identities = new MemoryDeviceIdentityStore();
let gw: any, fake: any, fixtures: any;
/** Protocol 4 (2026.9.x) or 3 (2026.3.x/2026.4.x), from the gateway's own hello-ok. */
let V4 = true;
const is426 = () => /^2026\.4\./.test(gw.version);
const connections: GatewayConnection[] = [];

function connection(
  scopes: OperatorScope[] = ['operator.read', 'operator.write', 'operator.admin'],
  extra: Partial<GatewayConnectionOptions> = {},
) {
  const c = new GatewayConnection({
    url: gw.url,
    credentials: () => ({ token: gw.token }),
    scopes,
    identityStore: identities,
    identityKey: 'it',
    clientVersion: '0.1.0-it',
    requestTimeoutMs: 60_000,
    ...extra,
  });
  connections.push(c);
  c.start();
  return c;
}

// 240 s: a first turn on 2026.4.26 takes 40-110 s to reach the model (plugin loading blocks its event loop).
function nextEvent(
  c: GatewayConnection,
  name: string,
  pick: (f: EventFrame) => boolean = () => true,
  ms = 240_000,
): Promise<EventFrame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${name} event within ${ms} ms`));
    }, ms);
    const sub = c.onEvent(name, (f) => {
      if (pick(f)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(f);
      }
    });
  });
}

function nextState(
  c: GatewayConnection,
  pick: (s: ConnectionSnapshot) => boolean,
  ms = 120_000,
): Promise<ConnectionSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(
        new Error(
          `state not reached within ${ms} ms; now ${JSON.stringify(c.snapshot().problem ?? c.snapshot().state)}`,
        ),
      );
    }, ms);
    const sub = c.onDidChangeState((s) => {
      if (pick(s)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(s);
      }
    });
  });
}

const payload = (f: EventFrame) => (f.payload ?? {}) as Record<string, any>;
/** The session `key` exists (created empty when an earlier test that would have made it did not run on this version). */
async function ensureSession(api: GatewayApi, key: string): Promise<void> {
  if (!(await findSessionRow(api, key))) await api.connection.request('sessions.create', { key });
}
const P3_TURN = protocol3Alike('a real turn on protocol 3 shows what it shows on 2026.3.24, where it runs');

before(async () => {
  fixtures = await importFixture('openclaw-gateway');
  const root = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-it-'));
  fake = await fixtures.startFakeModel({});
  gw = await fixtures.startGateway({ root, name: 'it', modelBaseUrl: `${fake.url}/v1` });
  console.log(`# gateway ${gw.version} ready in ${gw.readyMs} ms at ${gw.url}`);
  const probe = connection(['operator.read'], { identityKey: 'version-probe' });
  V4 = (await probe.waitForConnected(60_000)).protocol >= 4;
  probe.dispose();
}, LONG);

/** The row of `key` once `pick` holds (sessions.list re-read every 250 ms, at most `ms`); the last row otherwise. */
async function rowWhere(api: GatewayApi, key: string, pick: (r: Record<string, any>) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const row = await findSessionRow(api, key);
    if ((row && pick(row)) || Date.now() > deadline) return row;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const unsupported = (method: string) => (e: GatewayRequestError) =>
  e.code === 'UNSUPPORTED' && e.message.includes(method) && e.message.includes(gw.version);
/** Resolves with the run id once the gateway broadcasts the lifecycle start of a run on `key` (every version). */
const runStarted = (c: GatewayConnection, key: string, ms = 180_000) =>
  nextEvent(
    c,
    'agent',
    (f) => payload(f).sessionKey === key && payload(f).stream === 'lifecycle' && payload(f).data?.phase === 'start',
    ms,
  ).then((f) => String(payload(f).runId));
/** 2026.9.x: the row says hasActiveRun; protocol 3 rows cannot, so the lifecycle start is the signal. */
const activeRunSeen = (c: GatewayConnection, key: string, ms = 180_000) =>
  V4
    ? nextEvent(
        c,
        'sessions.changed',
        (f) =>
          payload(f).sessionKey === key &&
          (payload(f).session?.hasActiveRun === true || payload(f).hasActiveRun === true),
        ms,
      )
    : // Protocol 3: the lifecycle start, and the row update that follows it (status "running"), needs sessions.subscribe.
      Promise.all([
        runStarted(c, key, ms),
        nextEvent(
          c,
          'sessions.changed',
          (f) =>
            payload(f).sessionKey === key &&
            (payload(f).session?.status === 'running' || payload(f).status === 'running'),
          ms,
        ),
      ]);

after(async () => {
  for (const c of connections) c.dispose();
  await fixtures?.cleanupAll();
});

describe('real gateway: handshake', () => {
  it(
    'negotiates protocol 4 on 2026.9.x and 3 on 2026.3.x/2026.4.x with a device-signed identity and reports phase timings',
    LONG,
    async () => {
      const c = connection();
      const hello = await c.waitForConnected(60_000);
      assert.equal(hello.protocol, /^2026\.9\./.test(gw.version) ? 4 : 3);
      assert.equal(hello.serverVersion, gw.version);
      if (V4) assert.ok(hello.bootId, 'bootId');
      else assert.equal(hello.bootId, undefined, 'protocol 3 has no bootId');
      assert.deepEqual([...hello.grantedScopes].sort(), ['operator.admin', 'operator.read', 'operator.write']);
      // 2026.3.24 sends no auth block to a device-signed gateway-client/backend on loopback (it skips pairing and
      // issues no device token): the connection proved the scopes with a read call instead.
      console.log(
        `# device token issued: ${hello.deviceToken ? 'yes' : 'no'}; auth block in hello-ok: ${hello.authReported ? 'yes' : 'no'}${hello.scopesInferred ? ' (scopes proven by a read call)' : ''}`,
      );
      if (/^2026\.3\./.test(gw.version)) assert.equal(hello.scopesInferred, true);
      assert.ok(hello.tickIntervalMs > 0 && hello.maxPayload > 0);
      assert.equal(hello.sessionDefaults?.mainSessionKey, 'agent:main:main');
      for (const m of [
        'health',
        'status',
        'agents.list',
        'sessions.list',
        'sessions.subscribe',
        'sessions.preview',
        'chat.history',
        'logs.tail',
        'chat.send',
        'sessions.send',
        'chat.abort',
        'sessions.abort',
        'sessions.reset',
      ])
        assert.ok(hello.methods.has(m), `advertises ${m}`);
      const v4Only = ['sessions.describe', 'diagnostics.lanes', 'gateway.restart.preflight', 'gateway.restart.request'];
      for (const m of v4Only)
        assert.equal(hello.methods.has(m), V4, `${m} ${V4 ? 'advertised' : 'absent'} on ${gw.version}`);
      if (!V4)
        assert.equal(
          hello.methods.has('diagnostics.stability'),
          is426(),
          'diagnostics.stability exists on 2026.4.x only',
        );
      const t = c.snapshot().handshake!;
      assert.ok(
        t.socketOpenMs! >= 0 && t.challengeMs! >= t.socketOpenMs! && t.helloMs! >= t.challengeMs!,
        JSON.stringify(t),
      );
      console.log(`# handshake: open ${t.socketOpenMs} ms, challenge ${t.challengeMs} ms, hello ${t.helloMs} ms`);
    },
  );

  it('a wrong token is refused with AUTH_TOKEN_MISMATCH and advice, without retry storms', LONG, async () => {
    const c = connection(['operator.read'], {
      credentials: () => ({ token: 'not-the-token' }),
      identityKey: 'wrong-token',
    });
    await assert.rejects(
      c.waitForConnected(30_000),
      (e: GatewayRequestError) => e.problem.kind === 'auth-token-mismatch',
    );
    const s = c.snapshot();
    assert.equal(s.problem?.closeCode, 1008);
    assert.equal(s.nextRetryAt, undefined);
    assert.match(s.problem.advice, /Set Gateway Token/);
  });

  it(
    'a read-only connection is refused an admin method: FORBIDDEN/MISSING_SCOPE (4) or INVALID_REQUEST "missing scope" (3)',
    LONG,
    async () => {
      const c = connection(['operator.read'], { identityKey: 'read-only' });
      await c.waitForConnected(60_000);
      assert.deepEqual(c.snapshot().missingScopes, []);
      await assert.rejects(
        new GatewayApi(c).sessionsReset({ key: 'agent:main:main', reason: 'new' }),
        (e: GatewayRequestError) =>
          e.code === (V4 ? 'FORBIDDEN' : 'INVALID_REQUEST') &&
          e.problem.kind === 'missing-scope' &&
          /operator\.admin/.test(e.problem.summary),
      );
    },
  );
});

describe('real gateway: typed calls and events', () => {
  let c: GatewayConnection, api: GatewayApi;
  const key = 'agent:main:it-basic';
  before(async () => {
    c = connection();
    api = new GatewayApi(c);
    await c.waitForConnected(60_000);
  });

  it(
    'health, status, agents.list; lanes (diagnostics.lanes → diagnostics.stability → none) and restart preflight where offered',
    LONG,
    async () => {
      assert.equal((await api.health()).ok, true);
      const status = await api.status();
      if (V4) assert.ok(typeof status.runtimeVersion === 'string');
      else assert.equal(typeof status, 'object');
      assert.ok((await api.agentsList()).agents.some((a) => a.id === 'main'));
      if (V4) {
        const lanes = await api.diagnosticsLanes();
        assert.ok(lanes.lanes.some((l) => l.lane === 'main' && typeof l.maxConcurrent === 'number'));
        const pre = await api.restartPreflight();
        assert.equal(typeof pre.safe, 'boolean');
        assert.ok(Array.isArray(pre.blockers));
        return;
      }
      await assert.rejects(api.diagnosticsLanes(), unsupported('diagnostics.lanes'));
      await assert.rejects(api.restartPreflight(), unsupported('gateway.restart.preflight'));
      if (is426()) {
        const stability = await api.diagnosticsStability({ limit: 100 });
        assert.ok(Array.isArray(stability.events));
        console.log(
          `# diagnostics.stability: ${stability.events.length} records, types ${[...new Set(stability.events.map((e) => e.type))].join(', ')}`,
        );
      } else await assert.rejects(api.diagnosticsStability(), unsupported('diagnostics.stability'));
    },
  );

  it(
    'chat.send runs a real turn: sessions.changed, agent lifecycle and chat final arrive; list/describe/preview/history see it',
    { ...LONG, ...P3_TURN },
    async () => {
      assert.deepEqual(await api.sessionsSubscribe({}), { subscribed: true });
      const changed = nextEvent(c, 'sessions.changed', (f) => payload(f).sessionKey === key);
      const lifecycleEnd = nextEvent(
        c,
        'agent',
        (f) => payload(f).sessionKey === key && payload(f).stream === 'lifecycle' && payload(f).data?.phase === 'end',
      );
      const final = nextEvent(
        c,
        'chat',
        (f) => payload(f).sessionKey === key && payload(f).state === 'final' && !!payload(f).message,
      );
      const started = await api.chatSend({
        sessionKey: key,
        message: 'hello from the integration test',
        idempotencyKey: `it-${Date.now()}`,
      });
      assert.equal(started.status, 'started');
      await changed;
      const fin = await final;
      assert.match(JSON.stringify(payload(fin).message), /fake reply/);
      await lifecycleEnd;
      const list = await api.sessionsList({ limit: 50 });
      const row = list.sessions.find((r) => r.key === key);
      assert.ok(row, 'listed');
      // Protocol 3 rows have no run fields and lists have no paging fields.
      assert.equal(row.hasActiveRun, V4 ? false : undefined);
      assert.equal(typeof list.hasMore, V4 ? 'boolean' : 'undefined');
      if (V4) {
        assert.equal((await api.sessionsDescribe({ key })).session?.key, key);
        assert.equal((await api.sessionsDescribe({ key: 'agent:main:does-not-exist-xyz' })).session, null);
      } else await assert.rejects(api.sessionsDescribe({ key }), unsupported('sessions.describe'));
      // One session by key on every version: sessions.list filtered by key (what recovery uses).
      assert.equal((await findSessionRow(api, key))?.key, key);
      assert.equal(await findSessionRow(api, 'agent:main:does-not-exist-xyz'), undefined);
      const preview = await api.sessionsPreview({ keys: [key, 'agent:main:does-not-exist-xyz'], limit: 5 });
      assert.deepEqual(
        preview.previews.map((p) => p.status),
        ['ok', 'missing'],
      );
      const history = await api.chatHistory({ sessionKey: key, limit: 20 });
      assert.ok(history.messages.some((m) => m.role === 'assistant'));
    },
  );

  it('sessions.send to an existing key, and its clear error for an unknown key', { ...LONG, ...P3_TURN }, async () => {
    const final = nextEvent(
      c,
      'chat',
      (f) => payload(f).sessionKey === key && payload(f).state === 'final' && !!payload(f).message,
    );
    assert.equal(
      (await api.sessionsSend({ key, message: 'second turn', idempotencyKey: `it-s-${Date.now()}` })).status,
      'started',
    );
    await final;
    await assert.rejects(
      api.sessionsSend({ key: 'agent:main:does-not-exist-xyz', message: 'x' }),
      (e: GatewayRequestError) => e.answered && /session not found/.test(e.message),
    );
  });

  it(
    'sessions.messages.subscribe delivers session.message for that key; unsubscribe answers',
    { ...LONG, ...P3_TURN },
    async (t) => {
      if (!c.helloSummary!.methods.has('sessions.messages.subscribe')) {
        t.diagnostic(`${gw.version} does not offer sessions.messages.subscribe`);
        await assert.rejects(api.sessionsMessagesSubscribe({ key }), unsupported('sessions.messages.subscribe'));
        return;
      }
      const other = connection(['operator.read', 'operator.write'], { identityKey: 'messages' });
      const otherApi = new GatewayApi(other);
      await other.waitForConnected(60_000);
      assert.equal((await otherApi.sessionsMessagesSubscribe({ key })).subscribed, true);
      const msg = nextEvent(other, 'session.message', (f) => payload(f).sessionKey === key);
      await otherApi.chatSend({ sessionKey: key, message: 'third turn', idempotencyKey: `it-m-${Date.now()}` });
      assert.ok(payload(await msg).message);
      await otherApi.sessionsMessagesUnsubscribe({ key });
    },
  );

  it('logs.tail returns JSON lines and a cursor that only yields new lines', LONG, async () => {
    const first = await api.logsTail({ limit: 50 });
    assert.ok(first.lines.length > 0);
    assert.ok(
      first.lines.every((l) => {
        try {
          JSON.parse(l);
          return true;
        } catch {
          return false;
        }
      }),
      'JSON lines',
    );
    assert.equal(typeof first.cursor, 'number');
    const again = await api.logsTail({ cursor: first.cursor, limit: 50 });
    assert.ok(again.cursor >= first.cursor);
    const past = await api.logsTail({ cursor: first.cursor + 10_000_000, limit: 5 });
    assert.equal(past.reset, true, 'a cursor past EOF resets');
  });

  it('sessions.reset with admin scope starts a new session (expectedSessionId only on protocol 4)', LONG, async () => {
    await ensureSession(api, key);
    const before = await findSessionRow(api, key);
    assert.ok(before?.sessionId, 'the session has an id before the reset');
    if (!V4) {
      // Closed schema: the 2026.9 field is refused, which is why recovery sends it only on protocol 4.
      await assert.rejects(
        api.sessionsReset({ key, reason: 'new', expectedSessionId: String(before?.sessionId) }),
        (e: GatewayRequestError) => e.answered && e.code === 'INVALID_REQUEST',
      );
      const reset = await api.sessionsReset({ key, reason: 'new' });
      assert.equal(reset.ok, true);
      assert.equal(reset.key, key);
      const after = await findSessionRow(api, key);
      assert.notEqual(after?.sessionId, before?.sessionId, 'a new session id');
      return;
    }
    const reset = await api.sessionsReset({ key, reason: 'new', expectedSessionId: String(before?.sessionId) });
    assert.equal(reset.ok, true);
    assert.equal(reset.key, key);
    assert.ok(reset.entry?.lifecycleRevision !== undefined);
    await assert.rejects(
      api.sessionsReset({ key, reason: 'new', expectedSessionId: 'not-the-session' }),
      (e: GatewayRequestError) => /changed before reset/.test(e.message),
    );
  });

  it('tick events arrive within the tick interval', LONG, async () => {
    // 2026.4.26 sends its 30 s ticks 40-45 s apart while its event loop is blocked (hence the 90 s watchdog floor on protocol 3).
    const tick = await nextEvent(c, 'tick', () => true, c.helloSummary!.tickIntervalMs + (V4 ? 15_000 : 60_000));
    assert.equal(typeof payload(tick).ts, 'number');
  });
});

describe('real gateway: a hung run', P3_TURN, () => {
  it(
    'is running per the row (4) or the lifecycle start (3), shows in preflight where offered, and sessions.abort ends it',
    LONG,
    async () => {
      const c = connection();
      const api = new GatewayApi(c);
      await c.waitForConnected(60_000);
      await api.sessionsSubscribe({});
      const key = 'agent:main:it-hung';
      const running = activeRunSeen(c, key);
      await api.chatSend({
        sessionKey: key,
        message: 'please [[hang]] forever',
        idempotencyKey: `it-hang-${Date.now()}`,
      });
      await running;
      // 2026.3.24 broadcasts the start before its session store says "running": read until it does (bounded).
      const row = (await rowWhere(api, key, (r) => r.status === 'running'))!;
      assert.equal(row.hasActiveRun, V4 ? true : undefined);
      assert.equal(row.status, 'running');
      if (V4) {
        const pre = await api.restartPreflight();
        assert.equal(pre.safe, false);
        assert.ok(pre.blockers.length > 0);
      }
      const aborted = nextEvent(c, 'chat', (f) => payload(f).sessionKey === key && payload(f).state === 'aborted');
      const res = await api.sessionsAbort({ key });
      assert.equal(res.status, 'aborted');
      // 2026.9.6 names the run it aborted only when it aborts it through the chat run's controller; when its embedded
      // run is aborted directly (a timing of its own, seen twice in CI on a busy machine) abortedRunId is null. The
      // run's end is proven below either way; Lanewatch's recovery never relies on the id.
      if (!res.abortedRunId) console.log('# sessions.abort answered aborted without abortedRunId');
      const settledEvent = V4
        ? nextEvent(
            c,
            'sessions.changed',
            (f) =>
              payload(f).sessionKey === key &&
              (payload(f).session?.hasActiveRun === false || payload(f).hasActiveRun === false),
          )
        : undefined;
      await aborted;
      await settledEvent;
      const settled = (await api.sessionsList({ limit: 100 })).sessions.find((r) => r.key === key)!;
      console.log(
        `# row after sessions.abort: status ${settled.status}, abortedLastRun ${String(settled.abortedLastRun)}`,
      );
      if (V4) {
        assert.equal(settled.hasActiveRun, false, 'the run really ended');
        assert.notEqual(settled.status, 'running');
      } else {
        // The zombie row of the field reports: the run ended (chat aborted above) but the row keeps "running".
        assert.equal(settled.status, 'running', 'protocol 3 rows keep "running" after an abort');
      }
      assert.equal((await api.sessionsAbort({ key })).status, 'no-active-run', 'nothing left to abort');
    },
  );

  it('chat.abort clears the active run and the queued inputs behind it', LONG, async () => {
    const c = connection();
    const api = new GatewayApi(c);
    await c.waitForConnected(60_000);
    await api.sessionsSubscribe({});
    const key = 'agent:main:it-queue';
    const running = activeRunSeen(c, key);
    const hangId = `it-q1-${Date.now()}`,
      queuedId = `it-q2-${Date.now()}`;
    await api.chatSend({ sessionKey: key, message: 'block the lane [[hang]]', idempotencyKey: hangId });
    await running;
    await api.chatSend({ sessionKey: key, message: 'queued behind the hang', idempotencyKey: queuedId });
    const history = await api.chatHistory({ sessionKey: key, limit: 20 });
    if (V4) {
      assert.ok(history.inFlightRun?.runId, 'in-flight run reported');
      assert.ok((history.pendingInputs?.items.length ?? 0) >= 1, 'queued input reported');
    } else {
      assert.equal(history.inFlightRun, undefined, 'protocol 3 chat.history has no inFlightRun');
      assert.equal(history.pendingInputs, undefined, 'protocol 3 chat.history has no pendingInputs');
    }
    const res = await api.chatAbort({ sessionKey: key });
    assert.equal(res.aborted, true);
    assert.ok(res.runIds.includes(hangId), `aborted the hung run: ${res.runIds.join(',')}`);
    console.log(`# chat.abort aborted ${res.runIds.length} run(s)/input(s): ${res.runIds.join(', ')}`);
    if (V4) assert.ok(res.runIds.length >= 2, `aborted the queued input too: ${res.runIds.join(',')}`);
    if (!V4) return;
    const after = await api.chatHistory({ sessionKey: key, limit: 20 });
    console.log(
      `# after chat.abort: pendingInputs ${after.pendingInputs?.items.length ?? 0}, inFlightRun ${after.inFlightRun?.runId ?? 'none'}`,
    );
    assert.ok(!after.inFlightRun || after.inFlightRun.runId !== hangId, 'the hung run is no longer in flight');
  });
});

describe('real gateway: recovery that tells the truth', () => {
  let c: GatewayConnection, api: GatewayApi;
  before(async () => {
    c = connection();
    api = new GatewayApi(c);
    await c.waitForConnected(60_000);
    await api.sessionsSubscribe({});
  });
  const startHung = async (key: string) => {
    const running = activeRunSeen(c, key);
    await api.chatSend({
      sessionKey: key,
      message: `stuck here ${key} [[hang]]`,
      idempotencyKey: `it-r-${key}-${Date.now()}`,
    });
    await running;
  };

  it(
    'recover ladder: abort frees a hung run at step 1 and the read-back proves it',
    { ...LONG, ...P3_TURN },
    async () => {
      const key = 'agent:main:it-recover';
      await startHung(key);
      const before = await readBack({ api, connection: c }, key);
      // Protocol 3 rows cannot say; without a watcher's evidence the read-back says so instead of guessing.
      assert.equal(before.activeRun, V4 ? true : undefined);
      assert.equal(before.statusTrusted, V4);
      const report = await recoverSession({ api, connection: c, settleTimeoutMs: 30_000 }, key);
      assert.equal(report.verdict, 'freed', JSON.stringify(report, null, 1));
      assert.equal(report.steps.length, 1);
      assert.equal(report.steps[0].call, 'sessions.abort');
      assert.equal(report.steps[0].after?.activeRun, false);
      assert.match(report.steps[0].message, /the run ended/);
    },
  );

  it('abort on an idle session says nothing was running, not "aborted"', LONG, async () => {
    await ensureSession(api, 'agent:main:it-recover');
    const step = await abortRun({ api, connection: c }, 'agent:main:it-recover');
    assert.equal(step.outcome, 'no-change');
    assert.equal((step.answer as any).status, 'no-active-run');
    // 2026.3.24 gives the same answer for an `agent`-started run it cannot abort: without evidence Lanewatch says so.
    // 2026.4.26 (protocol 3, no evidence either way): "nothing to abort" is the gateway's word, not proof that nothing runs.
    assert.match(
      step.message,
      /^2026\.3\./.test(gw.version)
        ? /no abortable run registered.*only a restart frees/
        : V4
          ? /nothing was running/
          : /no abortable run registered for this session; whether a run holds it cannot be verified/,
    );
  });

  it('reset refuses a key that does not exist instead of creating it', LONG, async () => {
    const key = `agent:main:it-no-such-${Date.now()}`;
    const step = await resetSession({ api, connection: c }, key);
    assert.equal(step.outcome, 'refused');
    assert.match(step.message, /does not exist/);
    assert.equal((await readBack({ api, connection: c }, key)).exists, false, 'still does not exist');
  });

  it('reset without operator.admin is refused with the missing scope named', LONG, async () => {
    const w = connection(['operator.read', 'operator.write'], { identityKey: 'write-only' });
    await w.waitForConnected(60_000);
    const step = await resetSession({ api: new GatewayApi(w), connection: w }, 'agent:main:it-recover');
    assert.equal(step.outcome, 'refused');
    assert.match(step.message, /operator\.admin/);
  });

  it(
    'test send: every phase timed on an idle session; "lane held" named on a hung one',
    { ...LONG, ...P3_TURN },
    async () => {
      const ok = await testSend({
        url: gw.url,
        token: gw.token,
        identityStore: identities,
        identityKey: 'probe',
        sessionKey: 'agent:main:it-probe',
        replyTimeoutMs: 120_000,
      });
      assert.equal(ok.ok, true, ok.summary);
      assert.deepEqual(
        ok.phases.map((p) => p.name),
        ['TCP + WebSocket open', 'connect.challenge', 'hello-ok', 'request accepted', 'first event', 'final reply'],
      );
      assert.ok(
        ok.phases.every((p) => p.ok && typeof p.ms === 'number'),
        JSON.stringify(ok.phases),
      );
      assert.match(ok.reply ?? '', /fake reply/);
      assert.match(ok.summary, /message and its reply stay in the session's transcript/);
      console.log(`# test send phases: ${ok.phases.map((p) => `${p.name} ${p.ms} ms`).join(', ')}`);
      const key = 'agent:main:it-held';
      await startHung(key);
      try {
        const held = await testSend({
          url: gw.url,
          token: gw.token,
          identityStore: identities,
          identityKey: 'probe',
          sessionKey: key,
          replyTimeoutMs: 5_000,
        });
        assert.equal(held.ok, false, held.summary);
        assert.equal(held.failure, 'lane-held', held.summary);
        assert.match(held.summary, /lane is held by/);
        assert.match(
          held.summary,
          /message stays in the session's transcript, and the agent may still answer it later/,
        );
      } finally {
        await api.chatAbort({ sessionKey: key });
      }
    },
  );

  it('test send with a wrong token is classified as auth, with what to do', LONG, async () => {
    const r = await testSend({
      url: gw.url,
      token: 'wrong',
      identityStore: identities,
      identityKey: 'probe-wrong',
      sessionKey: 'agent:main:it-probe',
    });
    assert.equal(r.failure, 'auth');
    assert.match(r.summary, /Set Gateway Token/);
    assert.match(r.summary, /Nothing was written/);
  });
});

describe('real gateway: restarts', () => {
  // A hung run left by an earlier failure would make the gateway drain for 5 minutes before restarting.
  before(async () => {
    const c = connection();
    const api = new GatewayApi(c);
    await c.waitForConnected(60_000);
    // Protocol 3 rows cannot say which runs are alive: abort wherever the row says running (harmless otherwise).
    for (const row of (await api.sessionsList({ limit: 500 })).sessions)
      if (row.hasActiveRun || (!V4 && row.status === 'running'))
        await api.chatAbort({ sessionKey: row.key }).catch(() => undefined);
  });

  it(
    'no restart RPC on protocol 3: SIGUSR1 to the pid from the lock file, verified by a new process (close 1012, reconnect)',
    {
      ...LONG,
      ...protocol3Alike(
        "2026.4.26's signal restart (the same steps, ~1 min) is transcript.test.ts's restart, which checks the panel across it too",
      ),
    },
    async (t) => {
      if (V4) {
        t.diagnostic('2026.9.x has gateway.restart.request (next test)');
        return;
      }
      const c = connection(['operator.read', 'operator.admin'], { identityKey: 'restart-signal' });
      const first = await c.waitForConnected(60_000);
      const lock = await findLockFor({
        configPath: first.configPath ?? gw.configPath,
        stateDir: first.stateDir,
        extraTmpDirs: [gw.tmpDir],
      });
      assert.ok(lock, "found the gateway's lock file by its config path");
      assert.equal(lock.pid, gw.pid);
      const plan = await planLocalRestart(lock, first.protocol);
      assert.equal(plan.kind, 'signal');
      if (plan.kind !== 'signal') return;
      assert.equal(plan.signal, 'SIGUSR1');
      const oldPid = gw.pid;
      const report = await signalRestart({ api: new GatewayApi(c), connection: c, timeoutMs: 240_000 }, plan);
      console.log(`# ${report.summary}; ${report.steps.join(' | ')}`);
      assert.equal(report.ok, true, report.summary);
      await gw.waitReady({ timeoutMs: 180_000 });
      console.log(`# pid ${oldPid} → ${gw.pid}`);
    },
  );

  it('gateway.restart.request: shutdown event, close 1012, prompt reconnect with a new boot', LONG, async (t) => {
    if (!V4) {
      t.diagnostic(`${gw.version} has no gateway.restart.*: restart by signal (previous test)`);
      const c = connection();
      await c.waitForConnected(60_000);
      await assert.rejects(new GatewayApi(c).restartRequest(), unsupported('gateway.restart.request'));
      return;
    }
    const c = connection();
    const api = new GatewayApi(c);
    const first = await c.waitForConnected(60_000);
    const pre = await restartPreflight({ api, connection: c });
    assert.equal(typeof pre.safe, 'boolean');
    const shutdown = nextEvent(c, 'shutdown');
    const down = nextState(c, (s) => s.state === 'disconnected');
    const verified = restartGateway({ api, connection: c }, { mode: 'now', preflight: pre });
    assert.match(String(payload(await shutdown).reason), /restart/);
    const d = await down;
    const downAt = Date.now();
    assert.equal(d.problem?.kind, 'restarting');
    assert.equal(d.problem?.closeCode, 1012);
    const up = await nextState(c, (s) => s.state === 'connected', 180_000);
    assert.notEqual(up.hello?.bootId, first.bootId, 'a new boot');
    console.log(
      `# back ${((up.connectedAt! - downAt) / 1000).toFixed(1)} s after close 1012 (${up.attempts - 1} attempts)`,
    );
    const report = await verified;
    assert.equal(report.ok, true, report.summary);
    assert.equal(report.newBootId, up.hello?.bootId);
    assert.match(report.summary, /^restarted: .*went down.*answered again.*; new boot/);
  });

  it(
    'SIGKILL: close 1006 explained, then reconnect once the gateway is started again',
    { ...LONG, ...protocol3Alike('the client sees a killed gateway as on 2026.3.24, where it runs') },
    async () => {
      const c = connection();
      await c.waitForConnected(60_000);
      const down = nextState(c, (s) => s.state === 'disconnected');
      gw.kill('SIGKILL');
      const d = await down;
      assert.equal(d.problem?.kind, 'connection-lost');
      assert.equal(d.problem?.closeCode, 1006);
      const refused = await nextState(
        c,
        (s) => s.state === 'disconnected' && s.problem?.kind === 'unreachable',
        30_000,
      );
      assert.match(refused.problem!.advice, /Nothing listens/);
      const seen: string[] = [];
      const trace = c.onDidChangeState((s) =>
        seen.push(`${s.state}:${s.problem?.kind ?? ''}:${s.nextRetryAt ? s.nextRetryAt - Date.now() : ''}`),
      );
      await gw.start();
      const readyAt = Date.now();
      const up = c.isConnected() ? c.snapshot() : await nextState(c, (s) => s.state === 'connected', 60_000);
      const lagMs = Math.max(0, up.connectedAt! - readyAt);
      trace.dispose();
      // The handshake of the attempt that succeeded is the gateway's time (a just-started 2026.3.24 answers connect slowly).
      const handshakeMs = up.handshake?.helloMs ?? 0;
      console.log(
        `# reconnect after gateway ready: ${lagMs} ms (of which the successful handshake ${handshakeMs} ms); states during start: ${seen.slice(-8).join(' ')}`,
      );
      // Loopback backoff is ≤ 1.5 s; measured 433 ms on a quiet machine, ~3 s with three suites sharing 2 cores.
      assert.ok(
        lagMs - handshakeMs < 5_000,
        `reconnect attempted within 5 s of ready (${lagMs} ms, handshake ${handshakeMs} ms)`,
      );
    },
  );
});
