import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { GatewayWatcher, type WatcherChange } from '../../src/fleet/gatewayWatcher';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const servers: ScriptedGateway[] = [];
const watchers: GatewayWatcher[] = [];
after(async () => {
  for (const w of watchers) w.dispose();
  for (const s of servers) await s.close();
});

const KEY_HUNG = 'agent:main:hung',
  KEY_IDLE = 'agent:main:idle',
  KEY_ZOMBIE = 'agent:main:zombie';
const STALLED_LINE = (at: string) =>
  JSON.stringify({
    0: '{"subsystem":"diagnostic"}',
    1: 'x',
    _meta: { logLevelName: 'WARN' },
    time: at,
    message: `stalled session: sessionId=s1 sessionKey=${KEY_HUNG} state=idle age=381s queueDepth=1 reason=active_work_without_progress classification=stalled_agent_run activeWorkKind=model_call lastProgress=model_call:started lastProgressAge=381s recovery=none`,
  });

function fakeGateway(rows: () => any[], logLines: string[]) {
  const calls: string[] = [];
  return ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: [
          'agents.list',
          'sessions.subscribe',
          'sessions.list',
          'logs.tail',
          'diagnostics.lanes',
          'chat.history',
        ],
        events: ['sessions.changed', 'agent', 'chat'],
      },
    },
    handleRequest: (method: string, params: any) => {
      calls.push(method);
      switch (method) {
        case 'agents.list':
          return { defaultId: 'main', agents: [{ id: 'main' }] };
        case 'sessions.subscribe':
          return { subscribed: true };
        case 'sessions.list': {
          const all = rows();
          const offset = params.offset ?? 0;
          const page = all.slice(offset, offset + params.limit);
          return {
            sessions: page,
            hasMore: offset + page.length < all.length,
            nextOffset: offset + page.length,
            totalCount: all.length,
          };
        }
        case 'logs.tail': {
          const lines = params.cursor === undefined ? logLines.splice(0) : [];
          return { file: '/tmp/openclaw.log', cursor: 100, lines };
        }
        case 'diagnostics.lanes':
          return {
            lanes: [{ lane: 'main', activeCount: 1, queuedCount: 0, maxConcurrent: 8 }],
            dynamic: { laneCount: 1, activeCount: 1, queuedCount: 1 },
          };
        case 'chat.history':
          return {
            sessionKey: params.sessionKey,
            messages: [],
            pendingInputs: { items: [{ id: 'q1' }, { id: 'q2' }], total: 2 },
          };
        default:
          return {};
      }
    },
  }).then((g) => {
    servers.push(g);
    return { g, calls };
  });
}

function watch(url: string) {
  const w = new GatewayWatcher({
    config: { name: 'gw', url, source: 'settings' },
    credentials: async () => ({ token: 't' }),
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 5000,
    log: () => {},
    pageSize: 2,
    pollIntervalMs: 60_000,
  });
  watchers.push(w);
  w.start();
  return w;
}
/** Resolves once `pick` holds: checked now, then after every change the watcher reports. */
const change = (w: GatewayWatcher, pick: (c?: WatcherChange) => boolean): Promise<unknown> =>
  pick(undefined)
    ? Promise.resolve()
    : waitFor(
        (l) => w.onDidChange(l),
        (c: WatcherChange) => (pick(c) ? c : undefined),
      );

describe('GatewayWatcher against a scripted gateway', () => {
  it('resyncs agents and every page of sessions, derives status, reads diagnostics and pending inputs', async () => {
    const now = new Date().toISOString();
    const rows = [
      { key: KEY_HUNG, status: 'running', hasActiveRun: true, startedAt: Date.now() - 7 * 60_000, agentId: 'main' },
      { key: KEY_IDLE, status: 'done', hasActiveRun: false, activeRunIds: [], agentId: 'main' },
      { key: KEY_ZOMBIE, status: 'running', hasActiveRun: false, activeRunIds: [], agentId: 'main' },
    ];
    const { g, calls } = await fakeGateway(() => rows, [STALLED_LINE(now)]);
    const w = watch(g.url);
    await change(w, (c) => c?.what === 'sessions' && w.sessionRows().length === 3);
    assert.equal(calls.filter((m) => m === 'sessions.list').length, 2, 'paged with offset (page size 2)');
    assert.deepEqual(w.agentList(), [{ id: 'main', isDefault: true }]);
    assert.equal(w.laneStatus(KEY_IDLE).state, 'idle');
    assert.equal(w.laneStatus(KEY_ZOMBIE).state, 'stale');
    await change(w, () => w.laneStatus(KEY_HUNG).state === 'stalled');
    await change(w, () => w.laneStatus(KEY_HUNG).queued === 2);
    const hung = w.laneStatus(KEY_HUNG);
    assert.equal(hung.state, 'stalled');
    assert.equal(hung.queued, 2, 'pending inputs from chat.history');
    assert.equal(w.laneTable()?.dynamic?.queuedCount, 1);
    assert.equal(w.diagnosticLines().length, 1);
  });

  it('applies sessions.changed (full row and flattened forms) and run events live', async () => {
    const rows = [{ key: KEY_IDLE, sessionId: 's', status: 'done', hasActiveRun: false, activeRunIds: [] }];
    const { g } = await fakeGateway(() => rows, []);
    const w = watch(g.url);
    await change(w, () => w.sessionRows().length === 1);
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: {
        sessionKey: KEY_IDLE,
        phase: 'start',
        session: { key: KEY_IDLE, sessionId: 's', status: 'running', hasActiveRun: true, startedAt: Date.now() },
      },
    });
    await change(w, () => w.laneStatus(KEY_IDLE).state === 'running');
    assert.equal(
      w.session(KEY_IDLE)?.activeRunIds,
      undefined,
      'stale activeRunIds [] is not kept while a run is active',
    );
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: {
        sessionKey: KEY_IDLE,
        reason: 'abort',
        sessionId: 's',
        status: 'killed',
        hasActiveRun: false,
        activeRunIds: [],
      },
    });
    await change(w, () => w.laneStatus(KEY_IDLE).state === 'idle');
    assert.equal(w.laneStatus(KEY_IDLE).outcome, 'killed');
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: {
        sessionKey: 'agent:main:new',
        phase: 'start',
        session: { key: 'agent:main:new', status: 'running', hasActiveRun: true },
      },
    });
    await change(w, () => !!w.session('agent:main:new'));
  });

  it('shows unknown, with the reason, when the gateway goes away, and resyncs on reconnect', async () => {
    const rows = [{ key: KEY_IDLE, status: 'done', hasActiveRun: false }];
    const { g, calls } = await fakeGateway(() => rows, []);
    const w = watch(g.url);
    await change(w, () => w.sessionRows().length === 1);
    for (const s of g.sockets) s.close(1012, 'service restart');
    await change(w, () => w.laneStatus(KEY_IDLE).state === 'unknown');
    assert.match(w.laneStatus(KEY_IDLE).facts[0].text, /restarting/);
    const listsBefore = calls.filter((m) => m === 'sessions.list').length;
    await change(w, () => w.snapshot().state === 'connected');
    await change(
      w,
      () => calls.filter((m) => m === 'sessions.list').length > listsBefore && w.laneStatus(KEY_IDLE).state === 'idle',
    );
    assert.equal(w.laneStatus(KEY_IDLE).state, 'idle');
  });
});

describe('queue count after an abort', () => {
  it('a change that arrives while the queue is being read is read after it, so a cancelled queue never stays on screen', async () => {
    const row = {
      key: KEY_HUNG,
      sessionId: 's',
      status: 'running',
      hasActiveRun: true,
      startedAt: Date.now(),
      agentId: 'main',
    };
    let states = ['queued', 'queued'];
    const held: Array<() => void> = [];
    let holdNext = false;
    const g = await ScriptedGateway.start({
      helloOverrides: {
        features: {
          methods: ['agents.list', 'sessions.subscribe', 'sessions.list', 'chat.history'],
          events: ['sessions.changed'],
        },
      },
      handleRequest: (method: string, params: any, id: string, ws: any) => {
        if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
        if (method === 'sessions.list') return { sessions: [row], hasMore: false, totalCount: 1 };
        if (method !== 'chat.history') return {};
        // The answer reflects the queue when the gateway read it, not when it is sent.
        const payload = {
          sessionKey: params.sessionKey,
          messages: [],
          pendingInputs: { items: states.map((state, i) => ({ id: `q${i}`, state })), total: 2 },
        };
        if (!holdNext) return payload;
        holdNext = false;
        held.push(() => ws.send(JSON.stringify({ type: 'res', id, ok: true, payload })));
        return undefined;
      },
    });
    servers.push(g);
    const w = watch(g.url);
    await change(w, () => w.laneStatus(KEY_HUNG).queued === 2);
    // A change starts a read that the gateway answers late; the abort lands meanwhile and its change event arrives
    // while that read is still in flight.
    holdNext = true;
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: { sessionKey: KEY_HUNG, reason: 'send', session: row },
    });
    await waitFor(
      (l) => {
        const t = setInterval(() => l(undefined), 10);
        return { dispose: () => clearInterval(t) };
      },
      () => (held.length ? true : undefined),
    );
    states = ['cancelled', 'cancelled'];
    Object.assign(row, { status: 'killed', hasActiveRun: false, activeRunIds: [] });
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: { sessionKey: KEY_HUNG, reason: 'abort', session: row },
    });
    held.splice(0).forEach((answer) => answer());
    await change(w, () => w.laneStatus(KEY_HUNG).queued === 0 && w.laneStatus(KEY_HUNG).state === 'idle');
  });
});
