// A hostile gateway next to a well-behaved one, both watched by one Fleet. The hostile one sends oversized frames,
// deeply nested JSON, the wrong type in every field of hello-ok, of the answers the watcher reads (sessions.list rows
// included) and of the events it applies, responses to unknown ids, every response twice, and events before hello-ok.
// Each is rejected or ignored with a logged reason; nothing throws out of the model or the views; and the good
// gateway's sessions and statuses stay exactly right throughout (checked after every step and on every fleet change).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { Fleet } from '../../src/fleet/fleet';
import type { GatewayConfig } from '../../src/config/gatewaySettings';
import { tokenSecretKey } from '../../src/config/tokenSources';
import { checkLanes } from '../../src/fleet/wireGuards';
import { renderFleetText, reportFleet } from '../../src/report/fleetReport';
import { ScriptedGateway } from '../support/scriptedGateway';

// ---------------------------------------------------------------- the good gateway

const GOOD_ROWS = [
  {
    key: 'agent:main:good-idle',
    sessionId: 'g1',
    status: 'done',
    hasActiveRun: false,
    activeRunIds: [],
    agentId: 'main',
    label: 'Idle one',
  },
  {
    key: 'agent:main:good-busy',
    sessionId: 'g2',
    status: 'running',
    hasActiveRun: true,
    startedAt: Date.now() - 60_000,
    agentId: 'main',
  },
  {
    key: 'agent:main:good-zombie',
    sessionId: 'g3',
    status: 'running',
    hasActiveRun: false,
    activeRunIds: [],
    agentId: 'main',
  },
];
const GOOD_EXPECTED: Record<string, { state: string; queued: number }> = {
  'agent:main:good-idle': { state: 'idle', queued: 0 },
  'agent:main:good-busy': { state: 'running', queued: 2 },
  'agent:main:good-zombie': { state: 'stale', queued: 0 },
};

const FEATURES = {
  methods: [
    'agents.list',
    'sessions.subscribe',
    'sessions.list',
    'logs.tail',
    'diagnostics.lanes',
    'chat.history',
    'health',
  ],
  events: ['sessions.changed', 'agent', 'chat', 'tick'],
};

function normalAnswer(method: string, params: any, rows: any[]): unknown {
  switch (method) {
    case 'agents.list':
      return { defaultId: 'main', agents: [{ id: 'main' }] };
    case 'sessions.subscribe':
      return { subscribed: true };
    case 'sessions.list': {
      const offset = params.offset ?? 0;
      const page = rows.slice(offset, offset + params.limit);
      return { sessions: page, hasMore: offset + page.length < rows.length, nextOffset: offset + page.length };
    }
    case 'logs.tail':
      return { file: '/tmp/openclaw.log', cursor: 10, lines: [] };
    case 'diagnostics.lanes':
      return {
        lanes: [{ lane: 'main', activeCount: 1, queuedCount: 0, maxConcurrent: 4 }],
        dynamic: { laneCount: 1, activeCount: 1, queuedCount: 0 },
      };
    case 'chat.history':
      return {
        sessionKey: params.sessionKey,
        messages: [],
        pendingInputs: { items: [{ id: 'q1' }, { id: 'q2' }], total: 2 },
      };
    default:
      return { ok: true };
  }
}

// ---------------------------------------------------------------- the hostile gateway

const HOSTILE_ROWS = [
  { key: 'agent:main:h-idle', sessionId: 'h1', status: 'done', hasActiveRun: false, activeRunIds: [] },
];

interface Scenario {
  /** Sent before connect.challenge. */
  preHello?: (ws: WebSocket) => void;
  /** The hello-ok payload (default: a normal one). */
  hello?: (normal: Record<string, unknown>) => unknown;
  afterHello?: (ws: WebSocket) => void;
  /** Answer a request; return true when handled (the default answer is not sent). */
  request?: (method: string, params: any, id: string, ws: WebSocket) => boolean;
}

let scenario: Scenario = {};
const send = (ws: WebSocket, frame: unknown) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
const res = (id: string, payload: unknown) => ({
  type: 'res',
  id,
  ok: true,
  ...(payload === undefined ? {} : { payload }),
});
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function hostileConnection(ws: WebSocket, gw: ScriptedGateway): void {
  const sc = scenario;
  sc.preHello?.(ws);
  send(ws, { type: 'event', event: 'connect.challenge', payload: { nonce: 'nonce-h', ts: Date.now() } });
  ws.on('message', (raw) => {
    let f: any;
    try {
      f = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (f.method === 'connect') {
      const normal = gw.hello({ features: FEATURES, policy: { maxPayload: 256 * 1024, tickIntervalMs: 30_000 } });
      send(ws, res(f.id, sc.hello ? sc.hello(normal) : normal));
      sc.afterHello?.(ws);
      return;
    }
    if (sc.request?.(f.method, f.params, f.id, ws)) return;
    send(ws, res(f.id, normalAnswer(f.method, f.params, HOSTILE_ROWS)));
  });
}

// ---------------------------------------------------------------- fleet and checks

const logs: string[] = [];
let good: ScriptedGateway, hostile: ScriptedGateway, fleet: Fleet;
const viewErrors: string[] = [];
let goodChecks = 0;

function goodProblems(): string[] {
  const w = fleet.gateway('good');
  if (!w) return ['no good watcher'];
  const problems: string[] = [];
  if (w.snapshot().state !== 'connected')
    problems.push(`good is ${w.snapshot().state}: ${w.snapshot().problem?.summary}`);
  const keys = w
    .sessionRows()
    .map((r) => r.key)
    .sort();
  if (JSON.stringify(keys) !== JSON.stringify(Object.keys(GOOD_EXPECTED).sort()))
    problems.push(`good lists ${keys.join(',')}`);
  for (const [key, want] of Object.entries(GOOD_EXPECTED)) {
    const s = w.laneStatus(key);
    if (s.state !== want.state || s.queued !== want.queued)
      problems.push(`${key}: ${s.state} (${s.queued} queued), want ${want.state} (${want.queued})`);
  }
  return problems;
}

/** The views render the whole fleet, and the good gateway is exactly as expected. */
function assertFleetSound(what: string): void {
  const report = reportFleet(fleet);
  const text = renderFleetText(report, { facts: true });
  assert.ok(text.includes('good-busy'), `${what}: the report renders`);
  assert.deepEqual(goodProblems(), [], `${what}: the good gateway is intact`);
  const h = fleet.gateway('hostile')!;
  for (const row of h.sessionRows()) {
    assert.equal(typeof row.key, 'string', `${what}: hostile keys are strings`);
    assert.ok(row.key.length > 0 && row.key.length <= 512);
  }
  assert.ok(h.sessionRows().length <= 5000, `${what}: hostile rows are bounded (${h.sessionRows().length})`);
  assert.deepEqual(viewErrors, [], `${what}: no view threw`);
}

async function until(pred: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within ${ms} ms; hostile ${JSON.stringify(fleet.gateway('hostile')?.snapshot().problem?.summary ?? fleet.gateway('hostile')?.snapshot().state)}; last logs:\n${logs.slice(-8).join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Runs `scenario` on a fresh hostile connection; returns the log lines written meanwhile. */
async function step(sc: Scenario, what: string, settle: () => boolean, ms = 5_000): Promise<string> {
  const mark = logs.length;
  scenario = sc;
  const h = fleet.gateway('hostile')!;
  const attempts = h.snapshot().attempts;
  syncsAtStep = h.completedSyncs();
  h.connection.reconnectNow();
  await until(() => h.snapshot().attempts > attempts && settle(), what, ms);
  assertFleetSound(what);
  return logs.slice(mark).join('\n');
}

const hostileWatcher = () => fleet.gateway('hostile')!;
const connectedAndSettled = () => hostileWatcher().snapshot().state === 'connected' && hostileWatcher().isSynced();
// The error must come from a resync of this step, not linger from the previous scenario's.
let syncsAtStep = 0;
const syncFailed = () =>
  hostileWatcher().snapshot().state === 'connected' &&
  hostileWatcher().completedSyncs() > syncsAtStep &&
  !!hostileWatcher().lastSyncError();

before(async () => {
  good = await ScriptedGateway.start({
    helloOverrides: { features: FEATURES },
    handleRequest: (m, p) => normalAnswer(m, p, GOOD_ROWS),
  });
  hostile = await ScriptedGateway.start({ onConnection: hostileConnection });
  const configs: GatewayConfig[] = [
    { name: 'good', url: good.url, source: 'settings' },
    { name: 'hostile', url: hostile.url, source: 'settings' },
  ];
  const secrets = new Map(configs.map((c) => [tokenSecretKey(c), 'tok']));
  fleet = new Fleet({
    secrets: { get: async (k) => secrets.get(k) },
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'hostile-test',
    requestTimeoutMs: 2_000,
    log: (l, m) => logs.push(`${l} ${m}`),
    env: {},
  });
  // Throughout: on every fleet change, once it has synced, the good gateway must be exactly right; and the views must
  // render the whole fleet (at most every 100 ms: a report of 5,000 rows is not free).
  let last = 0;
  let goodSynced = false;
  fleet.onDidChange(() => {
    goodSynced ||= fleet.gateway('good')?.isSynced() === true && goodProblems().length === 0;
    if (goodSynced) {
      goodChecks++;
      const p = goodProblems();
      if (p.length) viewErrors.push(`good gateway drifted: ${p.join('; ')}`);
    }
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    try {
      renderFleetText(reportFleet(fleet), { facts: true });
    } catch (err) {
      viewErrors.push((err as Error).stack ?? String(err));
    }
  });
  fleet.setGateways(configs, []);
  await until(
    () => fleet.gateway('good')!.isSynced() && goodProblems().length === 0 && hostileWatcher().isSynced(),
    'both synced',
  );
});

after(async () => {
  fleet?.dispose();
  await good?.close();
  await hostile?.close();
  console.log(
    `# hostile gateway: the good gateway was checked on ${goodChecks} fleet changes and after every step; ${logs.filter((l) => l.includes('[hostile]')).length} log lines about the hostile one`,
  );
});

describe('a hostile gateway next to a good one, in one Fleet', () => {
  it('events before hello-ok, and a response before hello-ok, are ignored with a reason', async () => {
    const text = await step(
      {
        preHello: (ws) => {
          send(ws, {
            type: 'event',
            event: 'sessions.changed',
            payload: {
              sessionKey: 'agent:main:pre-hello',
              session: { key: 'agent:main:pre-hello', status: 'running', hasActiveRun: true },
            },
          });
          send(ws, {
            type: 'event',
            event: 'agent',
            payload: { runId: 'r-pre', sessionKey: 'agent:main:h-idle', stream: 'lifecycle', data: { phase: 'start' } },
          });
          send(ws, res('lw-1', { stolen: true }));
        },
      },
      'events before hello-ok',
      connectedAndSettled,
    );
    assert.match(text, /ignored event sessions\.changed before hello-ok/);
    assert.match(text, /ignored event agent before hello-ok/);
    assert.match(text, /unknown or expired request id "lw-1"/);
    assert.equal(hostileWatcher().session('agent:main:pre-hello'), undefined);
    assert.equal(
      hostileWatcher().laneStatus('agent:main:h-idle').state,
      'idle',
      'no run was started by the early event',
    );
  });

  it('oversized frames: before hello (over 1 MiB), as an event, and as the answer to sessions.list', async () => {
    const big = (n: number) => 'x'.repeat(n);
    let text = await step(
      {
        preHello: (ws) => send(ws, { type: 'event', event: 'tick', payload: { pad: big(1_100_000) } }),
        afterHello: (ws) =>
          send(ws, {
            type: 'event',
            event: 'sessions.changed',
            payload: { sessionKey: 'agent:main:huge', session: { key: 'agent:main:huge', pad: big(300_000) } },
          }),
      },
      'oversized event',
      connectedAndSettled,
    );
    assert.match(text, /dropped a frame: frame of 1100\d+ bytes exceeds the 1048576-byte limit/);
    assert.match(text, /dropped a frame: frame of 300\d+ bytes exceeds the 262144-byte limit/);
    assert.equal(hostileWatcher().session('agent:main:huge'), undefined);
    text = await step(
      {
        request: (m, _p, id, ws) => {
          if (m !== 'sessions.list') return false;
          send(ws, res(id, { sessions: [{ key: 'agent:main:big', pad: big(300_000) }] }));
          return true;
        },
      },
      'oversized answer',
      syncFailed,
    );
    assert.match(
      hostileWatcher().lastSyncError()!,
      /the gateway's answer was unusable: frame of \d+ bytes exceeds the 262144-byte limit/,
    );
    assert.match(text, /resync failed/);
    assert.equal(hostileWatcher().laneStatus('agent:main:h-idle').state, 'unknown', 'rows not re-read are not trusted');
  });

  it('deeply nested JSON: as an event (100,000 levels) and as an answer (fails its request at once)', async () => {
    const t0 = Date.now();
    const text = await step(
      {
        afterHello: (ws) => send(ws, `{"type":"event","event":"sessions.changed","payload":${nested(100_000)}}`),
        request: (m, _p, id, ws) => {
          if (m !== 'agents.list') return false;
          send(ws, `{"type":"res","id":"${id}","ok":true,"payload":{"agents":${nested(10_000)}}}`);
          return true;
        },
      },
      'deep nesting',
      syncFailed,
    );
    assert.match(text, /dropped a frame: JSON nested deeper than 2048 levels/);
    assert.match(
      hostileWatcher().lastSyncError()!,
      /agents\.list: the gateway's answer was unusable: JSON nested deeper than 2048 levels/,
    );
    assert.ok(Date.now() - t0 < 2_000, 'failed at once, not after the 2 s request timeout');
  });

  it('wrong types in every field of hello-ok: unusable ones refused with the reason, the rest read with safe defaults', async () => {
    const refused: Array<[string, (h: any) => unknown, RegExp]> = [
      ['payload null', () => null, /payload is null/],
      ['payload an array', () => [], /payload is an array/],
      ['payload a string', () => 'hello-ok', /payload is string/],
      ['type', (h) => ({ ...h, type: 'hello' }), /type is "hello", not "hello-ok"/],
      ['protocol a string', (h) => ({ ...h, protocol: '4' }), /protocol is "4", not an integer/],
      ['protocol fractional', (h) => ({ ...h, protocol: 4.5 }), /protocol is 4\.5, not an integer/],
      ['protocol out of range', (h) => ({ ...h, protocol: 99 }), /protocol 99 is outside the offered range 3–4/],
      ['protocol missing', (h) => ({ ...h, protocol: undefined }), /protocol is missing/],
    ];
    for (const [name, hello, reason] of refused) {
      const text = await step(
        { hello },
        `hello-ok: ${name}`,
        () => hostileWatcher().snapshot().state === 'disconnected',
      );
      const p = hostileWatcher().snapshot().problem!;
      assert.equal(p.kind, 'bad-hello', name);
      assert.match(p.advice, reason, name);
      assert.match(text, /rejected hello-ok: /, name);
      assert.equal(p.reconnect, 'stop', `${name}: no retry storm against a broken gateway`);
    }
    const noScopes: Array<[string, (h: any) => unknown]> = [
      ['auth a string', (h) => ({ ...h, auth: 'operator' })],
      ['auth.scopes a string', (h) => ({ ...h, auth: { role: 'operator', scopes: 'operator.read' } })],
      ['auth.scopes numbers', (h) => ({ ...h, auth: { role: 'operator', scopes: [1, 2] } })],
    ];
    for (const [name, hello] of noScopes) {
      await step({ hello }, `hello-ok: ${name}`, () => hostileWatcher().snapshot().state === 'disconnected');
      assert.equal(hostileWatcher().snapshot().problem?.kind, 'no-scopes', name);
    }
    const tolerated: Array<[string, (h: any) => unknown]> = [
      ['server a string', (h) => ({ ...h, server: 'openclaw' })],
      ['server fields', (h) => ({ ...h, server: { version: 42, bootId: {}, connId: [] } })],
      ['features an array', (h) => ({ ...h, features: [] })],
      ['features of wrong types', (h) => ({ ...h, features: { methods: 'all', events: 5 } })],
      [
        'methods with non-strings',
        (h) => ({ ...h, features: { methods: [1, null, {}, ...FEATURES.methods], events: FEATURES.events } }),
      ],
      ['auth.scopes mixed', (h) => ({ ...h, auth: { role: 7, scopes: [1, 'operator.read', null], deviceToken: 5 } })],
      ['policy of wrong types', (h) => ({ ...h, policy: { maxPayload: 'big', tickIntervalMs: -1 } })],
      ['policy a number', (h) => ({ ...h, policy: 5 })],
      [
        'snapshot of wrong types',
        (h) => ({ ...h, snapshot: { sessionDefaults: 'main', uptimeMs: 'long', configPath: 3 } }),
      ],
    ];
    for (const [name, hello] of tolerated) {
      await step(
        { hello },
        `hello-ok: ${name}`,
        () =>
          hostileWatcher().snapshot().state === 'connected' &&
          (hostileWatcher().isSynced() || !!hostileWatcher().lastSyncError()),
      );
      const h = hostileWatcher().snapshot().hello!;
      assert.equal(typeof h.serverVersion, 'string', name);
      assert.ok(h.bootId === undefined || typeof h.bootId === 'string', name);
      assert.ok(
        [...h.methods].every((m) => typeof m === 'string'),
        name,
      );
      assert.ok(h.grantedScopes.every((m) => typeof m === 'string') && h.grantedScopes.includes('operator.read'), name);
      assert.ok(
        Number.isFinite(h.maxPayload) && h.maxPayload > 0 && Number.isFinite(h.tickIntervalMs) && h.tickIntervalMs > 0,
        name,
      );
      assert.ok(h.role === undefined || typeof h.role === 'string', name);
    }
  });

  it('wrong types in every field the watcher reads from answers (agents.list, sessions.list rows, logs.tail, diagnostics.lanes, chat.history)', async () => {
    // Unusable as a whole: the resync fails with the reason, nothing is stored.
    const whole: Array<[string, string, unknown, RegExp]> = [
      ['agents.list', 'no payload', undefined, /unusable agents\.list answer: agents\.list answer is undefined/],
      ['agents.list', 'agents a string', { agents: 'main' }, /agents is string, not an array/],
      ['sessions.list', 'sessions a string', { sessions: 'abc' }, /sessions is string, not an array/],
      ['sessions.list', 'sessions null', { sessions: null }, /sessions is null, not an array/],
      ['sessions.list', 'payload an array', [1, 2], /sessions\.list answer is array, not an object/],
    ];
    for (const [method, name, payload, reason] of whole) {
      await step(
        {
          request: (m, _p, id, ws) => {
            if (m !== method) return false;
            send(ws, res(id, payload));
            return true;
          },
        },
        `${method}: ${name}`,
        syncFailed,
      );
      assert.match(hostileWatcher().lastSyncError()!, reason, `${method}: ${name}`);
    }
    // Usable in part: bad entries and fields dropped one by one, each with a reason.
    const rows = [
      null,
      1,
      'agent:main:x',
      [],
      { key: 5 },
      { key: '' },
      { key: 'k'.repeat(1000) },
      { nokey: true },
      {
        key: 'agent:main:typed',
        sessionId: 42,
        status: 7,
        hasActiveRun: 'yes',
        activeRunIds: 'r1',
        startedAt: 'yesterday',
        updatedAt: 1e300,
        label: {},
        displayName: 5,
        agentId: ['main'],
        totalTokens: 'many',
        abortedLastRun: 'no',
        lastRunId: 3,
      },
      { key: 'agent:main:typed-running', status: 'running', hasActiveRun: true, activeRunIds: [1, 2], startedAt: 9e15 },
      { key: 'agent:main:h-idle', sessionId: 'h1', status: 'done', hasActiveRun: false },
      { key: 'agent:main:h-idle', sessionId: 'dup', status: 'done', hasActiveRun: false },
    ];
    const text = await step(
      {
        request: (m, p, id, ws) => {
          const answers: Record<string, unknown> = {
            'agents.list': {
              agents: [null, 5, { id: 7 }, { id: '' }, { id: 'main' }, { id: 'main' }, 'ops'],
              defaultId: 9,
            },
            'sessions.list': p.offset
              ? { sessions: [], hasMore: false }
              : { sessions: rows, hasMore: 'yes', nextOffset: 'next' },
            'logs.tail': {
              lines: [
                1,
                null,
                {},
                JSON.stringify({
                  message: 'stalled session: sessionKey=agent:main:h-idle state=idle age=1s',
                  time: 'not a time',
                }),
              ],
              cursor: -5,
            },
            'diagnostics.lanes': {
              lanes: [
                null,
                'main',
                { lane: 5, activeCount: 1, queuedCount: 0 },
                { lane: 'main', activeCount: 'x', queuedCount: 1 },
                { lane: 'ok', activeCount: 1, queuedCount: 0, maxConcurrent: 'four' },
              ],
              dynamic: 5,
            },
            'chat.history': { pendingInputs: { total: '5', items: 'xx' } },
          };
          if (!(m in answers)) return false;
          send(ws, res(id, answers[m]));
          return true;
        },
      },
      'typed rows',
      () => connectedAndSettled() && !!hostileWatcher().laneTable(),
    );
    const w = hostileWatcher();
    assert.deepEqual(
      w
        .sessionRows()
        .map((r) => r.key)
        .sort(),
      ['agent:main:h-idle', 'agent:main:typed', 'agent:main:typed-running'],
    );
    const typed = w.session('agent:main:typed')!;
    for (const f of [
      'sessionId',
      'status',
      'hasActiveRun',
      'activeRunIds',
      'startedAt',
      'updatedAt',
      'label',
      'displayName',
      'agentId',
      'totalTokens',
      'abortedLastRun',
      'lastRunId',
    ])
      assert.ok(!(f in typed), `typed.${f} dropped`);
    assert.deepEqual(w.agentList(), [{ id: 'main', isDefault: true }]);
    assert.deepEqual(
      w.laneTable()!.lanes.map((l) => [l.lane, l.maxConcurrent]),
      [['ok', undefined]],
    );
    assert.equal(w.laneTable()!.dynamic, null);
    assert.equal(
      w.laneStatus('agent:main:typed').state,
      'idle',
      'without a usable hasActiveRun or status the row is idle, not invented',
    );
    assert.equal(w.laneStatus('agent:main:typed-running').state, 'running');
    assert.equal(w.laneStatus('agent:main:typed-running').runId, undefined, 'numeric run ids are not used');
    assert.equal(w.laneStatus('agent:main:typed-running').startedAt, undefined, 'an impossible start time is not used');
    assert.equal(w.session('agent:main:h-idle')?.sessionId, 'dup', 'a duplicate row replaces, it does not add');
    for (const reason of [
      /sessions\.list row 0: row is null, not an object/,
      /row 1: row is number/,
      /row 2: row is string/,
      /row 3: row is array/,
      /row 4: key is number, not a string/,
      /row 5: key is empty/,
      /row 6: key is 1000 characters long/,
      /row 7: key is undefined/,
      /agent:main:typed\.hasActiveRun is string; ignored/,
      /agent:main:typed\.updatedAt is number 1e\+300; ignored/,
      /agent:main:typed-running\.activeRunIds is array; ignored/,
      /typed-running\.startedAt is number 9000000000000000; ignored/,
      /hasMore is string; treated as false/,
      /nextOffset is string "next"; ignored/,
      /agents\.list entry 0: null; ignored/,
      /agents\.list entry 2: id is number; ignored/,
      /duplicate id main; ignored/,
      /defaultId is number; ignored/,
      /logs\.tail answer: 3 line\(s\) not strings; ignored/,
      /logs\.tail answer: cursor is number/,
      /diagnostics\.lanes entry 0: null; ignored/,
      /diagnostics\.lanes entry 3: lane, activeCount or queuedCount of the wrong type; ignored/,
      /diagnostics\.lanes answer: dynamic is number; ignored/,
    ])
      assert.match(text, reason);
    // chat.history is asked for the running row; its count is not a number: counted from items? items is a string, so nothing is stored.
    await until(
      () => /chat\.history answer: pendingInputs has no usable total or items/.test(logs.join('\n')),
      'chat.history reason logged',
    );
    assert.equal(w.laneStatus('agent:main:typed-running').queued, 0);
  });

  it('lane aggregates keep only counts', () => {
    const checked = checkLanes({
      lanes: [],
      dynamic: {
        queuedCount: 'many',
        activeCount: 2,
        laneCount: -1,
        queuedLaneCount: null,
        newerCount: 3,
        nested: { a: 1 },
      },
    });
    assert.deepEqual(checked.value?.dynamic, { activeCount: 2, newerCount: 3 });
  });

  it('paging that never advances is stopped, with a reason', async () => {
    let pages = 0;
    const text = await step(
      {
        request: (m, _p, id, ws) => {
          if (m !== 'sessions.list') return false;
          pages++;
          send(ws, res(id, { sessions: [{ key: `agent:main:page-${pages}` }], hasMore: true, nextOffset: 0 }));
          return true;
        },
      },
      'non-advancing paging',
      connectedAndSettled,
    );
    assert.equal(pages, 1);
    assert.match(text, /nextOffset 0 does not advance past 0; stopped paging/);
  });

  it('wrong types in every field of the events the watcher applies', async () => {
    const key = 'agent:main:h-idle';
    const events: unknown[] = [
      { sessionKey: 5 },
      { sessionKey: null, session: { key: null } },
      { sessionKey: '' },
      { sessionKey: 'k'.repeat(2000), sessionId: 's' },
      { sessionKey: key, session: 'x' },
      { sessionKey: key, session: [] },
      { sessionKey: key, session: { key: 5 } },
      {
        sessionKey: key,
        session: { key, hasActiveRun: 'yes', startedAt: 1e300, activeRunIds: [1, 2], status: 5, label: ['x'] },
      },
      { sessionKey: key, sessionId: 5 },
      { sessionKey: key, reason: 7, deleted: 'yes' },
    ];
    const text = await step(
      {
        afterHello: (ws) => {
          for (const payload of events) send(ws, { type: 'event', event: 'sessions.changed', payload });
        },
      },
      'sessions.changed of the wrong types',
      () => connectedAndSettled() && /sessions\.changed: agent:main:h-idle\.label is array/.test(logs.join('\n')),
    );
    for (const reason of [
      /sessions\.changed event: sessionKey is number, not a string/,
      /sessionKey is null/,
      /sessionKey is empty/,
      /sessionKey is 2000 characters long/,
      /sessions\.changed: agent:main:h-idle\.hasActiveRun is string; ignored/,
      /agent:main:h-idle\.startedAt is number 1e\+300/,
    ])
      assert.match(text, reason);
    const w = hostileWatcher();
    assert.equal(w.sessionRows().length, 1);
    assert.equal(typeof w.session(key)?.status, 'string');
    // Run events of the wrong types change nothing.
    const runEvents: Array<[string, unknown]> = [
      ['agent', { runId: 5, sessionKey: key, stream: 'lifecycle', data: { phase: 'start' } }],
      ['agent', { runId: 'r1', sessionKey: 5 }],
      ['agent', { runId: 'r1', sessionKey: key, stream: 'lifecycle', data: 'start' }],
      ['agent', { runId: 'r'.repeat(1000), sessionKey: key, stream: 'lifecycle', data: { phase: 'start' } }],
      ['chat', { runId: 'r1', sessionKey: key, state: 5 }],
      ['chat', 'final'],
      ['agent', null],
      ['shutdown', { restartExpectedMs: 'soon', reason: {} }],
      ['tick', 'x'],
    ];
    for (const [event, payload] of runEvents) hostile.broadcast({ type: 'event', event, payload });
    hostile.broadcast({ type: 'event', event: 'tick', payload: {}, seq: -1 });
    hostile.broadcast({ type: 'event', event: '', payload: {} });
    hostile.broadcast({ type: 'event', event: 'health', payload: { probe: true } });
    await until(() => logs.some((l) => l.includes('malformed event frame')), 'malformed event logged');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(w.laneStatus(key).state, 'idle', 'no run invented from events of the wrong types');
    assert.equal(w.snapshot().state, 'connected');
    assertFleetSound('run events of the wrong types');
  });

  it('a flood of sessions.changed for new keys is bounded (5,000 rows), with one reason logged', async () => {
    await step({}, 'before the flood', connectedAndSettled);
    const mark = logs.length;
    for (let i = 0; i < 5_200; i++)
      hostile.broadcast({
        type: 'event',
        event: 'sessions.changed',
        payload: {
          sessionKey: `agent:main:flood-${i}`,
          session: { key: `agent:main:flood-${i}`, status: 'done', hasActiveRun: false },
        },
      });
    await until(() => logs.slice(mark).some((l) => l.includes('(the bound)')), 'flood capped', 15_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(hostileWatcher().sessionRows().length, 5_000);
    assertFleetSound('after the flood');
    const capped = logs
      .slice(mark)
      .filter((l) => l.includes('(the bound); new keys are not added until the next resync'));
    assert.equal(capped.length, 1, 'one line, not one per event');
  });

  it('responses to unknown ids and every response twice are dropped with a reason; requests still correlate', async () => {
    const text = await step(
      {
        afterHello: (ws) => {
          send(ws, res('lw-999999', {}));
          send(ws, res('connect-1', {}));
          send(ws, { type: 'res', id: 'x'.repeat(5000), ok: true });
        },
        request: (m, p, id, ws) => {
          const a = res(id, normalAnswer(m, p, HOSTILE_ROWS));
          send(ws, a);
          send(ws, a);
          send(ws, { ...a, ok: false, error: { code: 'LATE', message: 'late error' } });
          return true;
        },
      },
      'duplicates',
      connectedAndSettled,
    );
    assert.match(text, /unknown or expired request id "lw-999999"/);
    assert.match(text, /unknown or expired request id "connect-1"/);
    assert.ok((text.match(/unknown or expired request id "lw-\d+"/g) ?? []).length >= 6, 'each duplicate logged');
    assert.deepEqual(
      hostileWatcher()
        .sessionRows()
        .map((r) => r.key),
      ['agent:main:h-idle'],
    );
    assert.equal(hostileWatcher().laneStatus('agent:main:h-idle').state, 'idle');
  });

  it('the warnings about one gateway are rate-limited (a hostile gateway cannot flood the log)', async () => {
    const mark = logs.length;
    const bad = Array.from({ length: 500 }, (_, i) => ({ key: i }));
    await step(
      {
        request: (m, _p, id, ws) => {
          if (m !== 'sessions.list') return false;
          send(ws, res(id, { sessions: bad }));
          return true;
        },
      },
      'many bad rows',
      connectedAndSettled,
    );
    const warned = logs.slice(mark).filter((l) => l.includes('[hostile] ignored:'));
    assert.ok(warned.length <= 31, `${warned.length} warnings logged for 500 bad rows`);
    assert.ok(
      warned.some((l) => l.includes('sessions.list: 470 more unusable value(s) in this answer')),
      'the rest are counted',
    );
    assertFleetSound('after the barrage');
  });
});
