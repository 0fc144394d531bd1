import assert from 'node:assert/strict';
import { describeConnection } from '../../src/report/describe';
import { after, describe, it } from 'node:test';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { GatewayWatcher, type WatcherChange, type WatcherOptions } from '../../src/fleet/gatewayWatcher';
import { SUBAGENT_HANDBACK_MS } from '../../src/lanes/laneStatus';
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

function fakeGateway(rows: () => any[], logLines: string[], opts: { searchMatchesLabels?: boolean } = {}) {
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
          // As 2026.9.6 finds a cron run's row: by its label, not by its key.
          const all =
            opts.searchMatchesLabels && params.search
              ? rows().filter((r) => typeof r.label === 'string' && r.label.includes(params.search))
              : rows();
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

function watch(url: string, extra: Partial<WatcherOptions> = {}) {
  const w = new GatewayWatcher({
    config: { name: 'gw', url, source: 'settings' },
    credentials: async () => ({ token: 't' }),
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 5000,
    log: () => {},
    pageSize: 2,
    pollIntervalMs: 60_000,
    ...extra,
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

  it("the gateway's own recovery that reports success while the run still holds the lane: the session reads stuck, with both facts", async () => {
    const at = new Date(Date.now() - 30_000).toISOString();
    const outcome = JSON.stringify({
      0: '{"subsystem":"diagnostic"}',
      1: 'x',
      _meta: { logLevelName: 'WARN' },
      time: at,
      message: `stuck session recovery outcome: status=released action=abort-and-release sessionId=s1 sessionKey=${KEY_HUNG} released=1 laneActive=1`,
    });
    const rows = [
      { key: KEY_HUNG, status: 'running', hasActiveRun: true, startedAt: Date.now() - 9 * 60_000, agentId: 'main' },
    ];
    const { g } = await fakeGateway(() => rows, [outcome]);
    const w = watch(g.url);
    await change(w, () => w.laneStatus(KEY_HUNG).state === 'stuck');
    const s = w.laneStatus(KEY_HUNG);
    assert.equal(s.gatewayRecovery?.ineffective, true);
    const facts = s.facts.map((f) => f.text).join(' | ');
    assert.match(facts, /the gateway's own stuck-session recovery released the lane \(1\) 3\d s ago, leaving 1 active/);
    assert.match(facts, /recovery reported success and freed nothing/);
    // Gateway-wide too: its tooltip says the gateway's own recovery ran and on which session it freed nothing.
    const tip = describeConnection(w, w.snapshot()).tooltipMarkdown.replace(/\\/g, ''); // Markdown escapes off
    assert.match(
      tip,
      new RegExp(
        `The gateway's own stuck-session recovery ran on 1 session in the last 10 min; freed nothing on 1 session a run still holds: ${KEY_HUNG}`,
      ),
    );
  });

  it("failures its log reports that hold no lane (a slow session store, a restart that cut replies short) are on the gateway's tooltip, each line once", async () => {
    const line = (message: string, agoMs: number) =>
      JSON.stringify({
        0: '{"subsystem":"gateway"}',
        1: message,
        _meta: { logLevelName: 'WARN' },
        time: new Date(Date.now() - agoMs).toISOString(),
        message,
      });
    const slow = line('slow SQLite transaction lock wait', 90_000);
    const rows = [{ key: KEY_IDLE, status: 'done', hasActiveRun: false, activeRunIds: [], agentId: 'main' }];
    const { g } = await fakeGateway(
      () => rows,
      [
        slow,
        line('slow SQLite transaction hold', 30_000),
        line('restart reply drain timed out after 0ms with 2 replies still active; continuing shutdown', 60_000),
        line('user asked why a slow SQLite transaction lock wait happens', 10_000),
      ],
    );
    const w = watch(g.url);
    await change(w, () => w.logProblemsSummary().problems.length === 2);
    w.ingestLogLines([slow]); // the same line read again (a reconnect's first read reaches back over it)
    const tip = describeConnection(w, w.snapshot()).tooltipMarkdown.replace(/\\/g, '');
    assert.match(
      tip,
      /In its log, the last 10 min: its session store \(SQLite\) was slow to lock, 2 times, last 3\ds ago; a restart cut replies short \(its reply drain timed out with work still active\), once, last 1m0\ds ago\./,
    );
    assert.match(tip, /openclaw doctor --session-sqlite inspect/);
    assert.match(tip, /resend what did not arrive/);
  });

  it('a row an event leaves "running" with no active run is read back: when the finishing event was dropped, it is idle, not a zombie', async () => {
    const rows = [{ key: KEY_HUNG, sessionId: 's', status: 'running', hasActiveRun: true, agentId: 'main' }];
    const { g, calls } = await fakeGateway(() => rows, []);
    const w = watch(g.url);
    await change(w, () => w.laneStatus(KEY_HUNG).state === 'running');
    // The abort's intermediate event (run gone, status not yet final); the gateway's final "killed" event is dropped
    // (it sends sessions.changed with dropIfSlow), but its list has the final row.
    rows[0] = { key: KEY_HUNG, sessionId: 's', status: 'killed', hasActiveRun: false, agentId: 'main' };
    const listsBefore = calls.filter((m) => m === 'sessions.list').length;
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: {
        sessionKey: KEY_HUNG,
        session: { key: KEY_HUNG, sessionId: 's', status: 'running', hasActiveRun: false, activeRunIds: [] },
      },
    });
    const seen: string[] = [];
    const sub = w.onDidChange(() => seen.push(w.laneStatus(KEY_HUNG).state));
    await change(w, () => w.laneStatus(KEY_HUNG).state === 'stale').catch((e: Error) => {
      throw new Error(`${e.message}; states seen: ${seen.join(' → ')}`);
    });
    await change(w, () => w.laneStatus(KEY_HUNG).state !== 'stale').catch((e: Error) => {
      throw new Error(`${e.message}; states seen: ${seen.join(' → ')}`);
    });
    sub.dispose();
    // The gateway's row: no run, status killed (this scripted gateway also says 2 inputs are queued: "queued").
    assert.ok(['idle', 'queued'].includes(w.laneStatus(KEY_HUNG).state), w.laneStatus(KEY_HUNG).state);
    assert.equal(w.laneStatus(KEY_HUNG).outcome, 'killed');
    assert.equal(calls.filter((m) => m === 'sessions.list').length, listsBefore + 1, 'one read-back');
  });

  it('a cron run row the gateway lists without a status after its run ends is read back (found by its label): idle, not a zombie', async () => {
    // 2026.9.6: after Disable Cron Job the job's agent:main:cron:<id> row has no status field any more, in
    // sessions.list and in the sessions.changed event (reason cron-binding), which carries no status to merge; and a
    // list search for its key does not find it (sessions.describe does, but its row has no status or hasActiveRun).
    const key = 'agent:main:cron:job-1';
    const rows: any[] = [
      { key, sessionId: 's', label: 'Automation: inbox', status: 'running', hasActiveRun: true, agentId: 'main' },
    ];
    const { g, calls } = await fakeGateway(() => rows, [], { searchMatchesLabels: true });
    const w = watch(g.url);
    await change(w, () => w.laneStatus(key).state === 'running');
    rows[0] = { key, sessionId: 's', label: 'Automation: inbox', hasActiveRun: false, agentId: 'main' };
    const listsBefore = calls.filter((m) => m === 'sessions.list').length;
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: { sessionKey: key, reason: 'cron-binding', sessionId: 's', hasActiveRun: false, activeRunIds: [] },
    });
    const seen: string[] = [];
    const sub = w.onDidChange(() => seen.push(w.laneStatus(key).state));
    const fail = (e: Error) => {
      throw new Error(`${e.message}; states seen: ${seen.join(' → ')}; calls: ${calls.slice(-4).join(', ')}`);
    };
    await change(w, () => w.laneStatus(key).state === 'stale').catch(fail);
    // Idle (this scripted gateway also says 2 inputs are queued: "queued"); not the zombie.
    await change(w, () => ['idle', 'queued'].includes(w.laneStatus(key).state)).catch(fail);
    sub.dispose();
    assert.equal(w.session(key)?.status, undefined, 'the gateway’s row, as read back');
    assert.equal(calls.filter((m) => m === 'sessions.list').length, listsBefore + 2, 'by its key, then by its label');
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

describe('what a status reads, and when', () => {
  it('reads the log as far back as a diagnostic can count (10 min), not 512 KB of it', async () => {
    // Two hours of log, a line every 2 s (~500 bytes each, ~1.8 MB); the session stalled 5 min ago.
    const now = Date.now();
    const line = (at: number, message: string) =>
      JSON.stringify({
        0: '{"subsystem":"gateway"}',
        _meta: { logLevelName: 'INFO' },
        time: new Date(at).toISOString(),
        message,
      }).padEnd(500, ' ');
    const lines: string[] = [];
    for (let at = now - 2 * 3600_000; at <= now; at += 2_000)
      lines.push(
        at === now - 300_000
          ? STALLED_LINE(new Date(at).toISOString())
          : line(at, `⇄ res ✓ sessions.list 12ms conn=abc id=${at}`),
      );
    if (!lines.some((l) => l.includes('stalled session')))
      lines.splice(lines.length - 150, 0, STALLED_LINE(new Date(now - 300_000).toISOString()));
    const file = lines.map((l) => `${l}\n`).join('');
    const asked: number[] = [];
    const g = await ScriptedGateway.start({
      helloOverrides: {
        features: { methods: ['agents.list', 'sessions.list', 'logs.tail', 'diagnostics.lanes'], events: [] },
      },
      handleRequest: (method: string, params: any) => {
        if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
        if (method === 'sessions.list')
          return {
            sessions: [
              { key: KEY_HUNG, sessionId: 's1', status: 'running', hasActiveRun: true, startedAt: now - 600_000 },
            ],
            hasMore: false,
          };
        if (method === 'diagnostics.lanes') return { lanes: [], dynamic: null };
        if (method !== 'logs.tail') return {};
        // 2026.9.6's logs.tail: without a cursor, the last maxBytes of the file from the first whole line.
        asked.push(params.maxBytes);
        const size = Buffer.byteLength(file);
        const start = params.cursor ?? Math.max(0, size - params.maxBytes);
        let text = file.slice(start);
        if (start > 0 && file[start - 1] !== '\n') text = text.slice(text.indexOf('\n') + 1);
        return {
          file: '/tmp/openclaw.log',
          cursor: size,
          size,
          lines: text.split('\n').filter(Boolean),
          truncated: start > 0,
        };
      },
    });
    servers.push(g);
    const w = watch(g.url);
    await change(w, () => w.laneStatus(KEY_HUNG).state === 'stalled');
    assert.ok(asked[0] <= 64 * 1024, `the first read asked for ${asked[0]} bytes`);
    const total = asked.reduce((a, b) => a + b, 0);
    assert.ok(
      total < 300 * 1024,
      `asked ${asked.join(' + ')} bytes: about the 10 minutes a diagnostic can count, not 512 KB`,
    );
    assert.equal(w.logCoverage()?.complete, true);
    assert.ok(w.logCoverage()!.since! <= now - 10 * 60_000, 'the log read reaches 10 minutes back');
    assert.equal(w.diagnosticLines().length, 1, 'the stalled line, once');
  });

  it('asks for the queued inputs of a running session while the other pages are still being read', async () => {
    const now = Date.now();
    const events: string[] = [];
    let lists = 0;
    const rows = [
      { key: KEY_HUNG, sessionId: 's1', status: 'running', hasActiveRun: true, startedAt: now, updatedAt: now },
      { key: KEY_IDLE, sessionId: 's2', status: 'done', hasActiveRun: false, updatedAt: now - 1 },
      { key: KEY_ZOMBIE, sessionId: 's3', status: 'done', hasActiveRun: false, updatedAt: now - 2 },
    ];
    const g = await ScriptedGateway.start({
      helloOverrides: {
        features: { methods: ['agents.list', 'sessions.list', 'chat.history'], events: [] },
      },
      handleRequest: (method: string, params: any, id: string, ws: any) => {
        if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
        if (method === 'chat.history') {
          events.push('chat.history');
          return { sessionKey: params.sessionKey, messages: [], pendingInputs: { items: [{ id: 'q1' }], total: 1 } };
        }
        if (method !== 'sessions.list') return {};
        const offset = params.offset ?? 0;
        const page = rows.slice(offset, offset + params.limit);
        const call = ++lists;
        const payload = {
          sessions: page,
          hasMore: offset + page.length < rows.length,
          nextOffset: offset + page.length,
          totalCount: 3,
        };
        if (call === 1) return payload;
        // Later pages take a while (a loaded gateway).
        setTimeout(() => {
          events.push(`page ${call}`);
          ws.send(JSON.stringify({ type: 'res', id, ok: true, payload }));
        }, 300);
        return undefined;
      },
    });
    servers.push(g);
    const w = watch(g.url);
    await change(w, () => w.isSynced() && w.laneStatus(KEY_HUNG).queued === 1);
    assert.deepEqual(events.slice(0, 2), ['chat.history', 'page 2'], events.join(', '));
  });

  it('a nested chain: when the deepest subagent ends, the outer parent turns stale on time if no result comes back, without another event', async () => {
    // P yielded waiting on C, which yielded waiting on G (2026.9.6 lists C with no status). When G ends, P and C wait
    // for the result to come back up (SUBAGENT_HANDBACK_MS from G's end); past that, P is a zombie. Only G's row
    // changes, so P's change must come from a timer the watcher arms for every ancestor of G, not only for C.
    const P = 'agent:main:nest-p',
      C = 'agent:main:subagent:nest-c',
      G = 'agent:main:subagent:nest-g';
    const parent = (up: string) => ({ parentSessionKey: up, spawnedBy: up, spawnDepth: 1 });
    const rows: any[] = [
      { key: P, sessionId: 'p', status: 'running', hasActiveRun: false, activeRunIds: [], childSessions: [C] },
      { key: C, sessionId: 'c', hasActiveRun: false, activeRunIds: [], childSessions: [G], ...parent(P) },
      { key: G, sessionId: 'g', status: 'running', hasActiveRun: true, ...parent(C) },
    ];
    const { g } = await fakeGateway(() => rows, []);
    const w = watch(g.url);
    await change(w, () => w.isSynced() && w.laneStatus(P).waitingOn?.[0] === C);
    const endedAt = Date.now() - SUBAGENT_HANDBACK_MS + 400;
    const gDone = {
      key: G,
      sessionId: 'g',
      status: 'done',
      hasActiveRun: false,
      activeRunIds: [],
      endedAt,
      ...parent(C),
    };
    rows[2] = gDone;
    const changedKeys: string[][] = [];
    const sub = w.onDidChange((c) => {
      if (c.what === 'sessions') changedKeys.push([...(c.keys ?? ['(all)'])]);
    });
    g.broadcast({ type: 'event', event: 'sessions.changed', payload: { sessionKey: G, session: gDone } });
    await change(w, () => w.laneStatus(G).state !== 'running');
    assert.notEqual(w.laneStatus(P).state, 'stale', 'within the hand-back grace P waits');
    await change(w, (c) => c?.what === 'sessions' && !!c.keys?.includes(P)).catch((e: Error) => {
      throw new Error(`${e.message}; changes seen: ${JSON.stringify(changedKeys)}`);
    });
    sub.dispose();
    assert.equal(w.laneStatus(P).state, 'stale', 'past the grace with no turn of its own, P is a zombie');
  });

  it('a row that turns active long after the connect is not "no progress" before its run had a chance to speak', async () => {
    // The gateway reports a session's run active (sessions.changed) a few seconds before the run's first event reaches
    // this socket; counting its quiet from the connect, minutes earlier, flagged every such run at once.
    const key = 'agent:main:resumed';
    const rows: any[] = [{ key, sessionId: 's', status: 'done', hasActiveRun: false, activeRunIds: [] }];
    const { g } = await fakeGateway(() => rows, []);
    let skew = 0;
    const w = watch(g.url, { noProgressMs: () => 60_000, now: () => Date.now() + skew });
    await change(w, () => w.isSynced() && w.laneStatus(key).state === 'idle');
    skew = 5 * 60_000; // five minutes connected
    const active = { key, sessionId: 's', status: 'running', hasActiveRun: true, startedAt: Date.now() + skew };
    g.broadcast({ type: 'event', event: 'sessions.changed', payload: { sessionKey: key, session: active } });
    await change(w, () => w.laneStatus(key).state !== 'idle');
    assert.equal(w.laneStatus(key).state, 'running');
    skew += 61_000; // and still no event of the run a minute later: now it is
    assert.equal(w.laneStatus(key).state, 'no-progress');
  });
});
