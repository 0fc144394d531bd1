// The recovery ladder against a scripted gateway that behaves as openclaw 2026.9.6 does (observed with the official
// client on the real gateway): sessions.abort ends the hung run AND marks the inputs queued behind it "cancelled",
// keeping them listed in chat.history's pendingInputs with `total` unchanged; sessions.reset keeps the session id and
// starts a new transcript generation (new sessionStartedAt and lifecycleRevision, history cleared).
import type { RunEvidence } from '../../src/lanes/runEvidence';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { GatewayApi, GatewayConnection, MemoryDeviceIdentityStore } from '../../src/gateway';
import { abortAndClearQueue, recoverSession, resetSession } from '../../src/actions/recovery';
import { checkPendingInputs } from '../../src/fleet/wireGuards';
import { ScriptedGateway } from '../support/scriptedGateway';

const KEY = 'agent:main:demo-hung';
const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

interface SimSession {
  hasActiveRun: boolean;
  status: string;
  runId?: string;
  sessionId: string;
  startedAt: number;
  items: Array<{ id: string; state: string; runId: string; acceptedAt: number; message: string }>;
  messages: number;
  /** What sessions.abort does to the queued inputs: 2026.9.6 cancels them. */
  abortCancelsQueue: boolean;
  /** 2026.9.6 may name a queued input's run in sessions.abort's abortedRunId. */
  abortNames?: string;
}

/** A 2026.9.6-like gateway for one session; `calls` records every recovery call in order. */
async function simulatedGateway(
  session: SimSession,
  hello: Record<string, unknown> = {},
  afterCall?: (method: string, emit: (event: string, payload: Record<string, unknown>) => void) => void,
) {
  const calls: string[] = [];
  let gw: ScriptedGateway;
  const row = () => ({
    key: KEY,
    sessionId: session.sessionId,
    status: session.status,
    hasActiveRun: session.hasActiveRun,
    ...(session.hasActiveRun ? {} : { activeRunIds: [] }),
    updatedAt: Date.now(),
  });
  const changed = () =>
    setImmediate(() =>
      gw.broadcast({
        type: 'event',
        event: 'sessions.changed',
        payload: { sessionKey: KEY, reason: 'abort', session: row() },
      }),
    );
  const emit = (event: string, payload: Record<string, unknown>) =>
    setImmediate(() => gw.broadcast({ type: 'event', event, payload: { sessionKey: KEY, ...payload } }));
  const after = (method: string) => afterCall?.(method, emit);
  gw = await ScriptedGateway.start({
    helloOverrides: {
      auth: { role: 'operator', scopes: ['operator.read', 'operator.write', 'operator.admin'] },
      features: {
        methods: [
          'sessions.list',
          'sessions.subscribe',
          'chat.history',
          'sessions.abort',
          'chat.abort',
          'sessions.reset',
        ],
        events: ['sessions.changed', 'chat', 'agent'],
      },
      ...hello,
    },
    handleRequest: (method, params) => {
      switch (method) {
        case 'sessions.subscribe':
          return { subscribed: true };
        case 'sessions.list':
          return { sessions: [row()], count: 1 };
        case 'chat.history':
          return {
            sessionKey: KEY,
            sessionId: session.sessionId,
            messages: [],
            totalMessages: session.messages,
            pendingInputs: { items: session.items, total: session.items.length },
            ...(session.hasActiveRun && session.runId
              ? { inFlightRun: { runId: session.runId, startedAt: session.startedAt, events: [] } }
              : {}),
          };
        case 'sessions.abort': {
          calls.push(method);
          const aborted = session.hasActiveRun ? (session.abortNames ?? session.runId) : null;
          if (session.hasActiveRun) {
            session.hasActiveRun = false;
            session.status = 'killed';
          }
          if (session.abortCancelsQueue) for (const q of session.items) if (q.state === 'queued') q.state = 'cancelled';
          changed();
          after(method);
          return { ok: true, abortedRunId: aborted, status: aborted ? 'aborted' : 'no-active-run' };
        }
        case 'chat.abort': {
          calls.push(method);
          const ids = [
            ...(session.hasActiveRun && session.runId ? [session.runId] : []),
            ...session.items.filter((q) => q.state === 'queued').map((q) => q.runId),
          ];
          session.hasActiveRun = false;
          for (const q of session.items) if (q.state === 'queued') q.state = 'cancelled';
          changed();
          after(method);
          return { ok: true, aborted: ids.length > 0, runIds: ids };
        }
        case 'sessions.reset': {
          calls.push(method);
          assert.equal(params.expectedSessionId, session.sessionId);
          session.hasActiveRun = false;
          session.status = 'done';
          session.messages = 1;
          session.items = [];
          changed();
          return {
            ok: true,
            key: KEY,
            entry: { sessionId: session.sessionId, lifecycleRevision: 'rev-2', sessionStartedAt: Date.now() },
          };
        }
        default:
          return {};
      }
    },
  });
  cleanup.push(() => gw.close());
  const connection = new GatewayConnection({
    url: gw.url,
    credentials: () => ({ token: 't' }),
    scopes: ['operator.read', 'operator.write', 'operator.admin'],
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 5000,
  });
  cleanup.push(() => connection.dispose());
  connection.start();
  await connection.waitForConnected(5000);
  const api = new GatewayApi(connection);
  await api.sessionsSubscribe({});
  // A settle timeout far longer than the test's own: the ladder must end on the proving read, not on a timer.
  return { calls, ctx: { api, connection, settleTimeoutMs: 120_000 } };
}

const queued = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `in-${i}`,
    state: 'queued',
    runId: `q-${i}`,
    acceptedAt: 1,
    message: `queued ${i}`,
  }));
const hung = (over: Partial<SimSession> = {}): SimSession => ({
  hasActiveRun: true,
  status: 'running',
  runId: 'run-hung',
  sessionId: 'sess-1',
  startedAt: Date.now() - 60_000,
  items: queued(2),
  messages: 6,
  abortCancelsQueue: true,
  ...over,
});

describe('recovery ladder on a 2026.9.6-like gateway', { timeout: 10_000 }, () => {
  it('a hung run with two inputs queued is freed at step 1 when the gateway cancels the queue: no chat.abort, no reset', async () => {
    const { calls, ctx } = await simulatedGateway(hung());
    const report = await recoverSession(ctx, KEY);
    assert.equal(report.verdict, 'freed', report.summary);
    assert.deepEqual(calls, ['sessions.abort'], 'only the least destructive step was taken');
    assert.equal(report.steps.length, 1);
    assert.equal(report.steps[0].outcome, 'freed');
    assert.deepEqual(report.steps[0].queue, { cancelled: 2, interrupted: 0, stillWaiting: 0, takenUp: 0, other: 0 });
    assert.match(report.summary, /step 1 of 3/);
    assert.match(report.summary, /2 cancelled by the gateway/);
    assert.match(report.summary, /transcript was kept/);
    assert.equal(report.steps[0].after?.pending, 0, 'cancelled inputs are not waiting');
  });

  it("an abort answer that names a queued input's run is not reported as the run that was aborted", async () => {
    const { ctx } = await simulatedGateway(hung({ abortNames: 'q-0' }));
    const report = await recoverSession(ctx, KEY);
    assert.equal(report.verdict, 'freed', report.summary);
    assert.match(
      report.steps[0].message,
      /^aborted the active run run-hung \(the gateway's answer names q-0, one of the queued inputs\)/,
    );
  });

  it('when the abort leaves inputs waiting, the queue is cleared at step 2 and the transcript is never reset', async () => {
    const { calls, ctx } = await simulatedGateway(hung({ abortCancelsQueue: false }));
    // Waiting inputs that never start (the lane does not move on) are what step 2 is for: bound the wait on them.
    const report = await recoverSession({ ...ctx, settleTimeoutMs: 300 }, KEY);
    assert.equal(report.verdict, 'freed', report.summary);
    assert.deepEqual(calls, ['sessions.abort', 'chat.abort']);
    assert.match(report.steps[0].message, /2 input\(s\) are still waiting/);
    assert.doesNotMatch(
      report.steps[0].message,
      /run .* is still active/,
      'the text does not contradict its after-state (no active run)',
    );
    assert.match(report.summary, /step 2 of 3/);
  });

  it('an idle session with cancelled inputs in its history has nothing to recover', async () => {
    const { calls, ctx } = await simulatedGateway(
      hung({ hasActiveRun: false, status: 'killed', items: queued(2).map((q) => ({ ...q, state: 'cancelled' })) }),
    );
    const report = await recoverSession(ctx, KEY);
    assert.equal(report.verdict, 'nothing-to-do', report.summary);
    assert.deepEqual(calls, []);
  });

  it('abort + clear queue that worked is reported freed, not no-change', async () => {
    const { ctx } = await simulatedGateway(hung({ abortCancelsQueue: false }));
    const step = await abortAndClearQueue(ctx, KEY);
    assert.equal(step.outcome, 'freed', step.message);
    assert.match(step.message, /the session is free/);
  });

  it('a reset of an idle session with history is reported as a reset, with its proof', async () => {
    const { calls, ctx } = await simulatedGateway(
      hung({ hasActiveRun: false, status: 'done', items: [], messages: 8 }),
    );
    const step = await resetSession(ctx, KEY);
    assert.deepEqual(calls, ['sessions.reset']);
    assert.equal(step.outcome, 'reset', step.message);
    assert.match(step.message, /history was cleared \(8 → 1 message/);
    assert.match(step.resetProof ?? '', /new transcript generation/);
  });
});

describe('queue count read by the Gateways view', () => {
  it('counts only inputs still waiting: cancelled ones listed after an abort are history', () => {
    const history = {
      sessionKey: KEY,
      messages: [],
      pendingInputs: {
        items: [...queued(1), ...queued(2).map((q) => ({ ...q, id: `c-${q.id}`, state: 'cancelled' }))],
        total: 3,
      },
    };
    assert.equal(checkPendingInputs(history).value, 1);
    const afterAbort = {
      sessionKey: KEY,
      messages: [],
      pendingInputs: { items: queued(2).map((q) => ({ ...q, state: 'cancelled' })), total: 2 },
    };
    assert.equal(checkPendingInputs(afterAbort).value, 0);
  });
});

describe('recovery ladder on a protocol-3 gateway', { timeout: 10_000 }, () => {
  it('when nothing is there to abort and nothing shows a run, it stops unverified instead of resetting on a guess', async () => {
    // 2026.4.26: rows keep "running" and carry no hasActiveRun; no run events were seen (connected late).
    const { calls, ctx } = await simulatedGateway(hung({ hasActiveRun: false, status: 'running', items: [] }), {
      protocol: 3,
      server: { version: '2026.4.26', connId: 'c1' },
    });
    const report = await recoverSession({ ...ctx, settleTimeoutMs: 200 }, KEY);
    assert.equal(report.verdict, 'unverified', report.summary);
    assert.ok(!calls.includes('sessions.reset'), `no reset: ${calls.join(', ')}`);
    assert.match(report.summary, /cannot be verified/);
  });

  it('an abort whose lane is taken by a next input that shows no progress is not "freed": step 2 clears it, no reset', async () => {
    const P3 = { protocol: 3, server: { version: '2026.4.26', connId: 'c1' } };
    // 2026.4.26: the aborted run ends, the queued input is taken up as a new run, and (the aborted message in its
    // context) it hangs too; chat.abort then ends it and drops the rest of the queue.
    // The Gateways view's evidence follows the same events: the hung run, then the next one, then none.
    let seen: RunEvidence = {
      live: true,
      runId: 'run-hung',
      lane: { state: 'running', verified: true },
      why: 'run events',
    };
    const { calls, ctx } = await simulatedGateway(hung({ items: [] }), P3, (method, emit) => {
      if (method === 'sessions.abort') {
        emit('chat', { runId: 'run-hung', state: 'aborted' });
        emit('agent', { runId: 'q-0', stream: 'lifecycle', data: { phase: 'start' } });
        seen = { ...seen, runId: 'q-0' };
      }
      if (method === 'chat.abort') {
        emit('chat', { runId: 'q-0', state: 'aborted' });
        seen = { ...seen, live: false, lane: { state: 'idle', verified: true } };
      }
    });
    const evidence = { read: () => seen, onDidChange: () => ({ dispose() {} }) };
    const report = await recoverSession({ ...ctx, evidence, settleTimeoutMs: 300 }, KEY);
    assert.deepEqual(calls, ['sessions.abort', 'chat.abort'], report.summary);
    assert.equal(report.verdict, 'freed', report.summary);
    assert.match(report.summary, /step 2 of 3/);
    assert.match(report.steps[0].message, /took the lane as run q-0 and shows no progress/);
  });

  it('a next input that makes progress after the abort means the lane moved on: freed at step 1', async () => {
    const P3 = { protocol: 3, server: { version: '2026.4.26', connId: 'c1' } };
    const { calls, ctx } = await simulatedGateway(hung({ items: [] }), P3, (method, emit) => {
      if (method === 'sessions.abort') {
        emit('chat', { runId: 'run-hung', state: 'aborted' });
        emit('agent', { runId: 'q-0', stream: 'lifecycle', data: { phase: 'start' } });
        emit('agent', { runId: 'q-0', stream: 'assistant', data: { text: 'working on it' } });
      }
    });
    const evidence = {
      read: () => ({
        live: true,
        runId: 'run-hung',
        lane: { state: 'running' as const, verified: true },
        why: 'run events',
      }),
      onDidChange: () => ({ dispose() {} }),
    };
    const report = await recoverSession({ ...ctx, evidence, settleTimeoutMs: 5_000 }, KEY);
    assert.deepEqual(calls, ['sessions.abort']);
    assert.equal(report.verdict, 'freed', report.summary);
    assert.match(report.summary, /step 1 of 3.*went on to the next queued input \(run q-0\)/);
  });
});
