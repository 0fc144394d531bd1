// The fleet report (what `lanewatch status` prints and the extension's test API returns), the status-bar
// summary, and the CLI's arguments and exit codes, against scripted gateways.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { main, parseArgs } from '../../src/cli/main';
import { createCliFleet, settled } from '../../src/cli/cliFleet';
import {
  agentOfSession,
  renderFleetText,
  reportFleet,
  summarizeFleet,
  type FleetReport,
  type GatewayReport,
} from '../../src/report/fleetReport';
import { ScriptedGateway } from '../support/scriptedGateway';

const servers: ScriptedGateway[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

const STALLED = JSON.stringify({
  0: '{"subsystem":"diagnostic"}',
  _meta: { logLevelName: 'WARN' },
  time: new Date().toISOString(),
  message:
    'stalled session: sessionId=s1 sessionKey=agent:main:hung state=idle age=381s queueDepth=1 reason=active_work_without_progress classification=stalled_agent_run activeWorkKind=model_call recovery=none',
});

function gateway(rows: any[], logLines: string[] = []) {
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
        events: ['sessions.changed'],
      },
    },
    handleRequest: (method: string, params: any) => {
      switch (method) {
        case 'agents.list':
          return { defaultId: 'main', agents: [{ id: 'main' }, { id: 'ops' }] };
        case 'sessions.subscribe':
          return { subscribed: true };
        case 'sessions.list':
          return { sessions: rows.slice(params.offset ?? 0, (params.offset ?? 0) + params.limit), hasMore: false };
        case 'logs.tail':
          return { file: '/tmp/x.log', cursor: 1, lines: params.cursor === undefined ? logLines : [] };
        case 'diagnostics.lanes':
          return { lanes: [{ lane: 'main', activeCount: 1, queuedCount: 0, maxConcurrent: 4 }], dynamic: null };
        case 'chat.history':
          return { sessionKey: params.sessionKey, messages: [], pendingInputs: { items: [], total: 0 } };
        default:
          return {};
      }
    },
  }).then((g) => {
    servers.push(g);
    return g;
  });
}

function capture() {
  const out: string[] = [],
    err: string[] = [];
  return {
    io: {
      out: (s: string) => {
        out.push(s);
      },
      err: (s: string) => {
        err.push(s);
      },
      isTTY: false,
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

const env = () => ({ LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-cli-unit-')), LW_TOKEN: 'tok' });

describe('lanewatch status (CLI)', () => {
  it('prints gateways → agents → sessions as JSON with lane status and facts, and exits 0', async () => {
    const now = Date.now();
    const g = await gateway(
      [
        {
          key: 'agent:main:hung',
          sessionId: 's1',
          status: 'running',
          hasActiveRun: true,
          activeRunIds: ['r1'],
          startedAt: now - 400_000,
          updatedAt: now,
        },
        { key: 'agent:main:idle', sessionId: 's2', status: 'done', hasActiveRun: false, updatedAt: now },
        { key: 'agent:ops:zombie', sessionId: 's3', status: 'running', hasActiveRun: false, updatedAt: now },
      ],
      [STALLED],
    );
    const c = capture();
    const code = await withEnv(env(), () =>
      main(['status', '--json', '--gateway', g.url, '--token-env', 'LW_TOKEN', '--wait-ms', '5000'], c.io),
    );
    assert.equal(code, 0, c.err());
    const report = JSON.parse(c.out()) as FleetReport;
    const gw = report.gateways[0];
    assert.equal(gw.connected, true);
    assert.deepEqual(
      gw.agents.map((a) => a.id),
      ['main', 'ops'],
    );
    const byKey = Object.fromEntries(gw.agents.flatMap((a) => a.sessions).map((s) => [s.key, s]));
    assert.equal(byKey['agent:main:hung'].laneStatus, 'stalled', 'the stalled log line read before answering');
    assert.equal(byKey['agent:main:idle'].laneStatus, 'idle');
    assert.equal(byKey['agent:ops:zombie'].laneStatus, 'stale');
    assert.ok(byKey['agent:ops:zombie'].facts.some((f) => f.rule === 'p4.stale'));
    assert.deepEqual(gw.counts, { stalled: 1, idle: 1, stale: 1 });
    assert.ok(!c.out().includes('tok"') && !c.err().includes('tok'), 'the token is not printed');
    assert.equal(g.connectParams[0]?.auth?.token, 'tok', 'the token came from the named variable');
  });

  it('prints a text tree, urgent sessions first, with facts on request', async () => {
    const g = await gateway([
      { key: 'agent:main:a-idle', sessionId: 's2', status: 'done', hasActiveRun: false },
      {
        key: 'agent:main:zombie',
        sessionId: 's3',
        status: 'running',
        hasActiveRun: false,
        label: 'night <b>job</b>\u001b[31m',
      },
    ]);
    const c = capture();
    assert.equal(
      await withEnv(env(), () => main(['status', '--facts', '--gateway', g.url, '--token-env', 'LW_TOKEN'], c.io)),
      0,
      c.err(),
    );
    const lines = c.out().split('\n');
    assert.match(lines[0], /connected · openclaw 2026\.9\.6-test · 1 stale · 1 idle/);
    const zombie = lines.findIndex((l) => /stale +night <b>job<\/b> \[agent:main:zombie\]/.test(l));
    const idle = lines.findIndex((l) => /idle +a-idle \[agent:main:a-idle\]/.test(l));
    assert.ok(zombie > 0 && idle > zombie, c.out());
    assert.ok(!c.out().includes('\u001b'), 'control characters from the gateway are not passed to the terminal');
    assert.match(lines[zombie + 1], /- the row still says status "running".*\(p4\.stale\)/);
  });

  it('answers within its read budget when the log and a queue read hang, and says what it did not read', async () => {
    // A busy gateway: the rows come at once, but logs.tail and the running session's chat.history never answer.
    const now = Date.now();
    const rows = [
      {
        key: 'agent:main:busy',
        sessionId: 's1',
        status: 'running',
        hasActiveRun: true,
        startedAt: now,
        updatedAt: now,
      },
      { key: 'agent:main:idle', sessionId: 's2', status: 'done', hasActiveRun: false, updatedAt: now - 1000 },
    ];
    const g = await ScriptedGateway.start({
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
          events: ['sessions.changed'],
        },
      },
      handleRequest: (method: string) => {
        if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
        if (method === 'sessions.subscribe') return { subscribed: true };
        if (method === 'sessions.list') return { sessions: rows, hasMore: false, totalCount: 2 };
        if (method === 'diagnostics.lanes') return { lanes: [], dynamic: null };
        return undefined; // logs.tail, chat.history: no answer
      },
    });
    servers.push(g);
    const c = capture();
    const started = Date.now();
    const code = await withEnv(env(), () =>
      main(['status', '--json', '--gateway', g.url, '--token-env', 'LW_TOKEN', '--wait-ms', '8000'], c.io),
    );
    const took = Date.now() - started;
    assert.equal(code, 0, c.err());
    assert.ok(took < 4000, `answered after ${took} ms: the reads that hang cost the read budget, not the deadline`);
    const gw = (JSON.parse(c.out()) as FleetReport).gateways[0];
    assert.deepEqual((gw.notReadInTime ?? []).map((u) => `${u.what}${u.key ? ` ${u.key}` : ''}`).sort(), [
      'chat.history agent:main:busy',
      'logs.tail',
    ]);
    const byKey = Object.fromEntries(gw.agents.flatMap((a) => a.sessions).map((s) => [s.key, s]));
    assert.equal(byKey['agent:main:busy'].laneStatus, 'running');
    assert.deepEqual(
      byKey['agent:main:busy'].facts.filter((f) => f.rule.startsWith('unread.')).map((f) => f.rule),
      ['unread.chat.history', 'unread.logs.tail'],
    );
    assert.match(byKey['agent:main:busy'].facts.at(-2)!.text, /not read in time: chat\.history .*no reply by then/);
    assert.ok(
      !byKey['agent:main:idle'].facts.some((f) => f.rule.startsWith('unread.')),
      'an idle session is not flagged',
    );
    const text = renderFleetText(JSON.parse(c.out()) as FleetReport);
    assert.match(text, /\n {2}not read: logs\.tail asked \d+\.\d s before the answer was given, no reply by then/);
  });

  it("once its read budget is spent, answers as soon as the running sessions' queues are read, not after a log read", async () => {
    // The rows come after the budget has run out (a big gateway); the log never answers; the running session's queue
    // read answers at once. The answer must come with that queue count, without waiting out the grace for the log.
    const now = Date.now();
    const rows = [
      {
        key: 'agent:main:busy',
        sessionId: 's1',
        status: 'running',
        hasActiveRun: true,
        startedAt: now,
        updatedAt: now,
      },
      { key: 'agent:main:idle', sessionId: 's2', status: 'done', hasActiveRun: false, updatedAt: now - 1000 },
    ];
    const g = await ScriptedGateway.start({
      helloOverrides: {
        features: {
          methods: ['agents.list', 'sessions.list', 'logs.tail', 'diagnostics.lanes', 'chat.history'],
          events: ['sessions.changed'],
        },
      },
      handleRequest: (method: string, params: any, id: string, ws: any) => {
        if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
        if (method === 'diagnostics.lanes') return { lanes: [], dynamic: null };
        if (method === 'chat.history')
          return { sessionKey: params.sessionKey, messages: [], pendingInputs: { items: [], total: 2 } };
        if (method === 'sessions.list') {
          const t = setTimeout(() => {
            if (ws.readyState === 1)
              ws.send(
                JSON.stringify({
                  type: 'res',
                  id,
                  ok: true,
                  payload: { sessions: rows, hasMore: false, totalCount: 2 },
                }),
              );
          }, 300);
          t.unref?.();
          return undefined;
        }
        return undefined; // logs.tail: no answer
      },
    });
    servers.push(g);
    const fleet = createCliFleet(
      {
        gateways: [{ url: g.url, tokenEnv: 'LW_TOKEN' }],
        requestTimeoutMs: 20_000,
        verbose: false,
        version: 't',
        env: env(),
      },
      [{ config: { name: 'gw', url: g.url, source: 'settings' }, tokenEnv: 'LW_TOKEN' }],
      () => {},
    );
    try {
      fleet.setGateways([{ name: 'gw', url: g.url, source: 'settings' }], []);
      const started = Date.now();
      // A grace far longer than the test may take: waiting on the log for it would fail the test.
      await settled(fleet, 20_000, { readBudgetMs: 100, graceMs: 8_000 });
      const took = Date.now() - started;
      assert.ok(took < 4000, `answered after ${took} ms: it waited for the log after the queue read was in`);
      const gw = reportFleet(fleet).gateways[0];
      const busy = gw.agents.flatMap((a) => a.sessions).find((s) => s.key === 'agent:main:busy')!;
      assert.equal(busy.queued, 2, 'the queue read that came with the rows is in the answer');
      assert.deepEqual(
        (gw.notReadInTime ?? []).map((u) => u.what),
        ['logs.tail'],
        'the log is said to be missing; the queue read is not',
      );
    } finally {
      fleet.dispose();
    }
  });

  it('exits 1 and says why when a gateway is unreachable', async () => {
    const c = capture();
    assert.equal(
      await withEnv(env(), () => main(['status', '--gateway', 'ws://127.0.0.1:9', '--wait-ms', '3000'], c.io)),
      1,
    );
    assert.match(
      c.err(),
      /127\.0\.0\.1:9: cannot reach the gateway at ws:\/\/127\.0\.0\.1:9: connection refused — is it running\?/,
    );
    assert.match(c.out(), /127\.0\.0\.1:9.*not running \(connection refused\)/);
  });

  it('rejects bad arguments with exit 2 and never takes a token on the command line', async () => {
    assert.throws(() => parseArgs(['status', '--token', 'x']), /environment variable/);
    assert.throws(() => parseArgs(['status', '--gateway']), /needs a value/);
    assert.throws(() => parseArgs(['status', '--wait-ms', 'soon']), /needs a number/);
    assert.throws(() => parseArgs(['frobnicate']), /unknown command/);
    const c = capture();
    assert.equal(await main(['status', '--gateway', 'http://127.0.0.1:1'], c.io), 2);
    assert.match(c.err(), /must start with ws:\/\/ or wss:\/\//);
    const d = capture();
    assert.equal(
      await withEnv({ LW_EMPTY: '' }, () =>
        main(['status', '--gateway', 'ws://127.0.0.1:1', '--token-env', 'LW_EMPTY'], d.io),
      ),
      2,
    );
    assert.match(d.err(), /LW_EMPTY: that environment variable is not set/);
  });
});

describe('fleet summary (status bar)', () => {
  const gw = (over: Partial<GatewayReport>): GatewayReport => ({
    name: 'g',
    url: 'ws://x',
    source: 'settings',
    state: 'connected',
    connected: true,
    description: 'connected',
    scopes: [],
    counts: {},
    agents: [],
    ...over,
  });

  it('puts what needs attention first and flags it', () => {
    const s = summarizeFleet({
      generatedAt: '',
      settingProblems: [],
      gateways: [
        gw({ counts: { idle: 3, running: 2, stalled: 1 } }),
        gw({ name: 'h', connected: false, state: 'disconnected', description: 'not running' }),
      ],
    });
    assert.equal(s.text, 'Lanewatch $(warning) 1 stalled  $(sync~spin) 2 running  $(plug) 1/2 offline');
    assert.equal(s.severity, 'error');
    assert.match(s.words, /1 of 2 gateways offline/);
    assert.deepEqual(s.tooltipLines, ['g: connected · 1 stalled · 2 running · 3 idle', 'h: not running']);
  });

  it('says so when everything is idle, or when there is nothing to watch', () => {
    assert.equal(
      summarizeFleet({ generatedAt: '', settingProblems: [], gateways: [gw({ counts: { idle: 4 } })] }).text,
      'Lanewatch $(pass) 1 gateway idle',
    );
    assert.equal(
      summarizeFleet({ generatedAt: '', settingProblems: [], gateways: [gw({ counts: { idle: 4 } })] }).severity,
      'ok',
    );
    assert.equal(
      summarizeFleet({ generatedAt: '', settingProblems: [], gateways: [] }).text,
      'Lanewatch $(circle-slash) no gateways',
    );
    assert.equal(
      summarizeFleet({ generatedAt: '', settingProblems: [], gateways: [gw({ connected: false })] }).severity,
      'warning',
    );
  });

  it('renders a broken gateway with its advice and fix', () => {
    const text = renderFleetText({
      generatedAt: '',
      settingProblems: ['lanewatch.gateways[1].url: bad'],
      gateways: [
        gw({
          connected: false,
          description: 'wrong token',
          problem: {
            kind: 'auth-token-mismatch',
            summary: 'wrong token',
            advice: 'Run "Lanewatch: Set Gateway Token".',
            fix: 'Set token…',
          },
        }),
      ],
    });
    assert.equal(
      text,
      '! settings: lanewatch.gateways[1].url: bad\ng  ws://x  wrong token\n  Run "Lanewatch: Set Gateway Token".\n  fix: Set token…',
    );
  });

  it('finds the agent of a session from its key when the row does not say', () => {
    assert.equal(agentOfSession('agent:ops:x'), 'ops');
    assert.equal(agentOfSession('agent:ops:x', 'main'), 'main');
    assert.equal(agentOfSession('global'), undefined);
  });
});

async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
