// Recovering a parent that waits on a subagent (issue 16 item 4): the plan picks the subagent that holds the parent,
// the act recovers it (never the parent: a session-wide abort of the parent would also cancel its subagents and lose its
// turn) and reads the parent back; `lanewatch recover <parent>` does so and says it; a host's choice (the extension's
// quick pick) can take the parent instead, or nothing. Against a scripted 2026.9-like gateway whose rows carry the
// fields a real 2026.9.6 parent in sessions_yield has (test/gateway/subagents.test.ts checks them on a real one).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { main } from '../../src/cli/main';
import { EXIT } from '../../src/cli/actionCommands';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { AuditTrail } from '../../src/actions/auditTrail';
import { OperatorConnections, type OperatorFleet } from '../../src/actions/operatorConnection';
import type { ActionHost } from '../../src/actions/sessionActions';
import {
  familyPick,
  planFamilyRecovery,
  runRecover,
  type FamilyChoice,
  type FamilyRecoveryPlan,
} from '../../src/actions/familyRecovery';
import type { RecoveryReport } from '../../src/actions/recovery';
import type { GatewayConfig } from '../../src/config/gatewaySettings';
import type { GatewayWatcher } from '../../src/fleet/gatewayWatcher';
import type { LaneState, LaneStatus } from '../../src/lanes/laneStatus';
import { ScriptedGateway } from '../support/scriptedGateway';

const PARENT = 'agent:main:delegator',
  CHILD = 'agent:main:subagent:1111',
  OTHER = 'agent:main:subagent:2222',
  // Nested sessions_yield: CHILD yielded in turn and waits on GRAND, whose run hangs.
  GRAND = 'agent:main:subagent:3333';

const status = (state: LaneState, waitingOn?: string[]): LaneStatus => ({
  state,
  verified: true,
  queued: 0,
  facts: [],
  ...(waitingOn ? { waitingOn } : {}),
});

describe('the plan: which session a recover of a waiting parent acts on', () => {
  const labels: Record<string, string> = {
    [PARENT]: 'delegator',
    [CHILD]: 'research',
    [OTHER]: 'summary',
    [GRAND]: 'deep',
  };
  const plan = (parent: LaneStatus, children: Record<string, LaneState>) =>
    planFamilyRecovery(
      PARENT,
      parent,
      (k) => status(children[k] ?? 'unknown'),
      (k) => labels[k] ?? k,
    );

  it('a parent waiting on a subagent that makes no progress: the subagent first, said in plain words', () => {
    const p = plan(status('idle', [CHILD]), { [CHILD]: 'no-progress' })!;
    assert.equal(p.subagent, CHILD);
    assert.equal(p.wedged, true);
    assert.equal(
      p.reason,
      'the parent waits on research, which is stuck (making no progress); recovering the subagent first, so the parent keeps its turn',
    );
  });

  it('of several subagents, the most stuck one, and the others counted', () => {
    const p = plan(status('idle', [OTHER, CHILD]), { [OTHER]: 'running', [CHILD]: 'stalled' })!;
    assert.equal(p.subagent, CHILD);
    assert.equal(p.others, 1);
    assert.match(p.reason, /which is stuck \(the gateway logged it stalled\).*\(it also waits on 1 other subagent\)$/);
    const tie = plan(status('idle', [OTHER, CHILD]), { [OTHER]: 'stuck', [CHILD]: 'stuck' })!;
    assert.equal(tie.subagent, OTHER, 'among equals, the one the parent names first');
  });

  it('a running subagent not shown stuck: still the one that holds the parent, but not called stuck', () => {
    const p = plan(status('idle', [CHILD]), { [CHILD]: 'running' })!;
    assert.equal(p.subagent, CHILD);
    assert.equal(p.wedged, false);
    assert.match(
      p.reason,
      /^the parent has no run of its own: it waits on research, which is running \(Lanewatch sees no sign that it is stuck\)/,
    );
  });

  it('a subagent the gateway calls long-running whose run has sent nothing past the no-progress limit: called stuck, recommended', () => {
    // 2026.9.6 logs a silent model call "long-running" (not stalled) until its own abort threshold; the state shows the
    // gateway's word, and Lanewatch's own no-progress fact is kept beside it.
    const quiet: LaneStatus = {
      ...status('long-running'),
      facts: [{ rule: 'lanewatch.no-progress', text: 'no event of the run for 95 s; …' }],
    };
    const p = planFamilyRecovery(
      PARENT,
      status('idle', [CHILD]),
      (k) => (k === CHILD ? quiet : status('unknown')),
      (k) => labels[k] ?? k,
    )!;
    assert.equal(p.wedged, true);
    assert.match(
      p.reason,
      /which is running for long \(the gateway logged it long-running\) and has sent no event for longer than the no-progress limit; recovering the subagent first/,
    );
    assert.doesNotMatch(p.reason, /sees no sign that it is stuck/);
    assert.equal(familyPick(p).items[0].label, 'Recover the stuck subagent research (recommended)');
    // Long-running and still talking: not called stuck.
    const talking = plan(status('idle', [CHILD]), { [CHILD]: 'long-running' })!;
    assert.equal(talking.wedged, false);
    assert.match(talking.reason, /\(Lanewatch sees no sign that it is stuck\)/);
  });

  it('the parent itself when it waits on nothing, runs a turn of its own, or its subagents hold nothing any more', () => {
    assert.equal(plan(status('stuck'), {}), undefined, 'not waiting: the ordinary ladder');
    assert.equal(plan(status('running', [CHILD]), { [CHILD]: 'stuck' }), undefined, 'its own run holds it');
    assert.equal(plan(status('idle', [CHILD]), { [CHILD]: 'idle' }), undefined, 'the subagent ended meanwhile');
    assert.equal(plan(status('idle', [CHILD]), {}), undefined, 'the subagent is not listed');
    assert.equal(plan(status('idle', [CHILD]), { [CHILD]: 'stale' }), undefined, 'a stale row holds nothing');
  });

  it('the host’s pick: the stuck subagent first and recommended, then the parent itself, then cancel', () => {
    const stuck = familyPick(plan(status('idle', [CHILD]), { [CHILD]: 'no-progress' })!);
    assert.deepEqual(
      stuck.items.map((i) => [i.label, i.choice]),
      [
        ['Recover the stuck subagent research (recommended)', 'subagent'],
        ['Recover the parent itself', 'parent'],
        ['Cancel', undefined],
      ],
    );
    assert.equal(stuck.title, 'Recover delegator: it waits on research');
    assert.match(stuck.items[0].detail, /^The parent waits on research, which is stuck \(making no progress\)/);
    const running = familyPick(plan(status('idle', [CHILD]), { [CHILD]: 'running' })!);
    assert.equal(running.items[0].label, 'Recover the subagent research', 'not recommended when not shown stuck');
  });

  it('a parent with inputs queued behind its wait: still the subagent first (the inputs run after its turn)', () => {
    const p = plan({ ...status('queued', [CHILD]), queued: 2 }, { [CHILD]: 'no-progress' });
    assert.equal(p?.subagent, CHILD);
  });

  // Nested sessions_yield: CHILD has no run of its own and waits in turn on GRAND, whose run holds them both.
  const nested = (states: Record<string, LaneState>, waits: Record<string, string[]>, chains?: string[][]) =>
    planFamilyRecovery(
      PARENT,
      { ...status('idle', [CHILD]), ...(chains ? { waitingChains: chains } : {}) },
      (k) => status(states[k] ?? 'unknown', waits[k]),
      (k) => labels[k] ?? k,
    );

  it('nested: the subagent it waits on waits in turn on its own: the deepest, whose run holds them all', () => {
    const p = nested({ [CHILD]: 'idle', [GRAND]: 'no-progress' }, { [CHILD]: [GRAND] }, [[CHILD, GRAND]])!;
    assert.ok(p, 'not the parent’s own ladder (it has no run; an abort of it cancels its subagents)');
    assert.equal(p.subagent, GRAND, 'not the waiting subagent between them: it has no run to abort either');
    assert.deepEqual(p.via, [CHILD]);
    assert.equal(p.wedged, true);
    assert.equal(
      p.reason,
      'the parent waits on research, which waits for its own subagent deep, which is stuck (making no progress); recovering deep first, so research and the parent keep their turns',
    );
    const pick = familyPick(p);
    assert.equal(pick.title, 'Recover delegator: it waits on research, which waits on deep');
    assert.equal(pick.items[0].label, 'Recover the stuck subagent deep (recommended)');
    assert.match(
      pick.items[0].detail,
      /research then gets its result and takes its turn, and the results go on up to the parent/,
    );
    // The chain from the parent's own status alone (its subagent's status not read as waiting) is enough.
    assert.equal(nested({ [CHILD]: 'idle', [GRAND]: 'running' }, {}, [[CHILD, GRAND]])?.subagent, GRAND);
  });

  it('nested, several below: the most stuck of them, through what each waiting subagent waits on', () => {
    const G2 = 'agent:main:subagent:4444';
    const p = nested({ [CHILD]: 'idle', [GRAND]: 'running', [G2]: 'stalled' }, { [CHILD]: [GRAND, G2] }, [
      [CHILD, GRAND],
    ])!;
    assert.equal(p.subagent, G2);
    assert.deepEqual(p.via, [CHILD]);
    assert.equal(nested({ [CHILD]: 'idle', [GRAND]: 'idle' }, { [CHILD]: [GRAND] }), undefined, 'nothing holds');
    const loop = nested({ [CHILD]: 'idle', [GRAND]: 'idle' }, { [CHILD]: [GRAND], [GRAND]: [CHILD, PARENT] });
    assert.equal(loop, undefined, 'statuses naming each other: the search ends');
  });
});

// ---- against a scripted gateway

const servers: ScriptedGateway[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/**
 * A 2026.9-like gateway with a parent in sessions_yield (status running, no run of its own, hasActiveSubagentRun,
 * childSessions) and its subagent's run hung. Aborting the subagent ends its run and, as on 2026.9.6, the parent takes
 * its next turn. Aborting the parent answers no-active-run (it has no run) and is recorded: it must never happen.
 */
async function familyGateway(opts: { turn?: boolean; subagentEnded?: boolean; nested?: boolean } = {}) {
  const calls: Array<{ method: string; params: any }> = [];
  // Nested: the hung run is GRAND's, and CHILD (yielded in turn: no status, no run, as 2026.9.6 lists it) waits on it.
  const [hung, waiter, hungRun, turnRun] = opts.nested
    ? [GRAND, CHILD, 'grand-run', 'child-turn']
    : [CHILD, PARENT, 'child-run', 'parent-turn'];
  const rows = new Map<string, Record<string, unknown>>([
    [
      PARENT,
      {
        key: PARENT,
        sessionId: 'sp',
        status: 'running',
        hasActiveRun: false,
        activeRunIds: [],
        hasActiveSubagentRun: true,
        childSessions: [CHILD],
        updatedAt: Date.now(),
      },
    ],
    [
      CHILD,
      {
        key: CHILD,
        sessionId: 'sc',
        label: 'research',
        status: 'running',
        hasActiveRun: !opts.subagentEnded,
        activeRunIds: opts.subagentEnded ? [] : ['child-run'],
        parentSessionKey: PARENT,
        spawnedBy: PARENT,
        spawnDepth: 1,
        updatedAt: Date.now(),
      },
    ],
  ]);
  if (opts.nested) {
    const child = rows.get(CHILD)!;
    delete child.status;
    Object.assign(child, {
      hasActiveRun: false,
      activeRunIds: [],
      childSessions: [GRAND],
      hasActiveSubagentRun: true,
      endedAt: Date.now() - 600_000,
    });
    rows.set(GRAND, {
      key: GRAND,
      sessionId: 'sg',
      label: 'deep',
      status: 'running',
      hasActiveRun: !opts.subagentEnded,
      activeRunIds: opts.subagentEnded ? [] : ['grand-run'],
      parentSessionKey: CHILD,
      spawnedBy: CHILD,
      spawnDepth: 2,
      updatedAt: Date.now(),
    });
  }
  const g = await ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: [
          'agents.list',
          'sessions.subscribe',
          'sessions.list',
          'logs.tail',
          'chat.history',
          'sessions.abort',
          'chat.abort',
          'sessions.reset',
        ],
        events: ['sessions.changed', 'chat', 'agent'],
      },
      auth: { role: 'operator', scopes: ['operator.read', 'operator.write', 'operator.admin'] },
    },
    onConnection: (ws: WebSocket, gw) => {
      const broadcast = (event: string, payload: unknown) => {
        for (const s of gw.sockets) s.send(JSON.stringify({ type: 'event', event, payload }));
      };
      ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }));
      ws.on('message', (raw) => {
        const frame = JSON.parse(String(raw));
        if (frame.method === 'connect') {
          gw.connectParams.push(frame.params);
          ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: gw.hello() }));
          return;
        }
        const p = frame.params ?? {};
        calls.push({ method: frame.method, params: p });
        let after: (() => void) | undefined;
        const answer = ((): unknown => {
          switch (frame.method) {
            case 'agents.list':
              return { defaultId: 'main', agents: [{ id: 'main' }] };
            case 'sessions.subscribe':
              return { subscribed: true };
            case 'sessions.list': {
              const all = [...rows.values()];
              return {
                sessions: p.search ? all.filter((r) => String(r.key).includes(p.search)) : all,
                hasMore: false,
              };
            }
            case 'logs.tail':
              return { file: '/tmp/x.log', cursor: 1, lines: [] };
            case 'chat.history':
              return { sessionKey: p.sessionKey, messages: [], pendingInputs: { items: [], total: 0 } };
            case 'sessions.abort': {
              const row = rows.get(p.key);
              if (p.key !== hung || !row?.hasActiveRun) return { ok: true, status: 'no-active-run' };
              after = () => {
                Object.assign(row, { hasActiveRun: false, activeRunIds: [], status: 'done', endedAt: Date.now() });
                broadcast('agent', {
                  runId: hungRun,
                  sessionKey: hung,
                  stream: 'lifecycle',
                  data: { phase: 'end', aborted: true },
                });
                broadcast('sessions.changed', { sessionKey: hung });
                // The subagent's result reaches the parent, which takes its turn (or, as on 2026.9.6 after an abort,
                // only a minute later: the row no longer names an active subagent meanwhile).
                if (opts.turn === false) {
                  delete rows.get(waiter)!.hasActiveSubagentRun;
                  broadcast('sessions.changed', { sessionKey: waiter });
                  return;
                }
                Object.assign(rows.get(waiter)!, {
                  hasActiveSubagentRun: false,
                  hasActiveRun: true,
                  activeRunIds: [turnRun],
                });
                broadcast('agent', {
                  runId: turnRun,
                  sessionKey: waiter,
                  stream: 'lifecycle',
                  data: { phase: 'start' },
                });
                broadcast('sessions.changed', { sessionKey: waiter });
              };
              return { ok: true, status: 'aborted', abortedRunId: hungRun };
            }
            case 'chat.abort':
              return { ok: true, aborted: false, runIds: [] };
            default:
              return {};
          }
        })();
        ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: answer }));
        after?.();
      });
    },
  });
  servers.push(g);
  const acted = () =>
    calls
      .filter((c) => ['sessions.abort', 'chat.abort', 'sessions.reset'].includes(c.method))
      .map((c) => `${c.method} ${c.params.key ?? c.params.sessionKey}`);
  return { g, calls, acted, config: { name: 'gw', url: g.url, source: 'settings' } as GatewayConfig };
}

function conns() {
  const fleet: OperatorFleet = {
    credentialsFor: async () => ({ token: 't' }),
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    connectionSecurity: () => ({}),
  };
  return new OperatorConnections(fleet, {
    requestTimeoutMs: () => 5_000,
    connectTimeoutMs: () => 5_000,
    log: () => {},
  });
}

/** What the extension's watcher shows: the parent waiting, its subagent making no progress. */
function watcherShowing(config: GatewayConfig, childState: LaneState): GatewayWatcher {
  const rows: Record<string, unknown> = {
    [PARENT]: { key: PARENT },
    [CHILD]: { key: CHILD, label: 'research', parentSessionKey: PARENT },
  };
  return {
    name: 'gw',
    config,
    snapshot: () => ({ state: 'connected' }),
    session: (k: string) => rows[k],
    sessionRows: () => Object.values(rows),
    laneStatus: (k: string) => (k === PARENT ? status('idle', [CHILD]) : status(childState)),
    evidenceSource: () => undefined,
  } as unknown as GatewayWatcher;
}

const host = (answers: boolean[] = []): ActionHost & { asked: string[] } => {
  const asked: string[] = [];
  return {
    asked,
    confirm: async (q) => {
      asked.push(q.message);
      return answers.shift() ?? true;
    },
    progress: (_t, work) => work(undefined, () => undefined),
    note: () => {},
  };
};

describe('recovering a parent that waits on a hung subagent', { timeout: 30_000 }, () => {
  it('lanewatch recover <parent>: the subagent is aborted, never the parent, and the parent takes its turn', async () => {
    const { g, acted } = await familyGateway();
    const out: string[] = [],
      err: string[] = [];
    const saved = { ...process.env };
    process.env.LANEWATCH_STATE_DIR = mkdtempSync(path.join(os.tmpdir(), 'lw-family-'));
    process.env.OPENCLAW_STATE_DIR = mkdtempSync(path.join(os.tmpdir(), 'lw-family-oc-'));
    for (const k of ['OPENCLAW_GATEWAY_URL', 'OPENCLAW_GATEWAY_TOKEN', 'OPENCLAW_CONFIG_PATH']) delete process.env[k];
    let code: number;
    try {
      code = await main(['recover', PARENT, '--yes', '--json', '--gateway', g.url, '--wait-ms', '3000'], {
        out: (s) => void out.push(s),
        err: (s) => void err.push(s),
        isTTY: false,
      });
    } finally {
      process.env = saved;
    }
    assert.equal(code, EXIT.ok, err.join(''));
    assert.deepEqual(acted(), [`sessions.abort ${CHILD}`], 'the subagent’s run aborted, nothing done to the parent');
    const report = JSON.parse(out.join('')) as RecoveryReport;
    assert.equal(report.verdict, 'freed');
    assert.equal(report.sessionKey, PARENT);
    assert.equal(report.family?.subagent, CHILD);
    assert.equal(report.family?.parentAfter, 'took-its-turn');
    assert.equal(report.family?.parentRunId, 'parent-turn');
    assert.match(
      report.summary,
      /^the parent has no run of its own: it waits on research, which is running .*The subagent research: freed by aborting the run \(step 1 of 3\).*The parent took its turn\.$/,
    );
    // The audit trail names the session each step acted on.
    assert.match(err.join(''), /"session":"agent:main:subagent:1111","call":"sessions\.abort","outcome":"freed"/);
  });

  it('a terminal without --yes is asked about the subagent by name, and nothing is done without an answer', async () => {
    const { g, acted } = await familyGateway();
    const saved = { ...process.env };
    process.env.LANEWATCH_STATE_DIR = mkdtempSync(path.join(os.tmpdir(), 'lw-family-'));
    process.env.OPENCLAW_STATE_DIR = mkdtempSync(path.join(os.tmpdir(), 'lw-family-oc-'));
    const err: string[] = [];
    let code: number;
    try {
      code = await main(['recover', PARENT, '--gateway', g.url, '--wait-ms', '3000'], {
        out: () => {},
        err: (s) => void err.push(s),
        isTTY: false,
      });
    } finally {
      process.env = saved;
    }
    assert.equal(code, EXIT.usage);
    assert.match(
      err.join(''),
      /Recover the subagent research of delegator on 127\.0\.0\.1:\d+\? — refusing without --yes/,
    );
    assert.deepEqual(acted(), []);
  });

  it('the extension’s choice: the stuck subagent (recommended), the parent itself, or nothing', async () => {
    const seen: FamilyRecoveryPlan[] = [];
    const pick = (c: FamilyChoice) => async (p: FamilyRecoveryPlan) => {
      seen.push(p);
      return c;
    };
    const env = async () => {
      const gw = await familyGateway();
      return {
        gw,
        env: {
          conns: conns(),
          config: gw.config,
          watcher: watcherShowing(gw.config, 'no-progress'),
          audit: new AuditTrail(() => {}),
          settleTimeoutMs: 2_000,
        },
      };
    };

    const a = await env();
    const h = host();
    const sub = await runRecover(a.env, PARENT, h, { choose: pick('subagent') });
    assert.equal(sub.kind, 'freed');
    assert.deepEqual(a.gw.acted(), [`sessions.abort ${CHILD}`]);
    assert.deepEqual(h.asked, [], 'the pick is the consent: no second question');
    assert.equal(seen[0].wedged, true);
    assert.match(
      seen[0].reason,
      /^the parent waits on research, which is stuck \(making no progress\); recovering the subagent first/,
    );

    const b = await env();
    const own = await runRecover(b.env, PARENT, host(), { choose: pick('parent') });
    assert.equal(own.kind, 'nothing-to-do', own.summary);
    assert.match(own.summary, /nothing of its own to recover: .* because its turn waits for its subagents/);
    assert.deepEqual(
      b.gw.acted(),
      [],
      'the parent has no run of its own: nothing to abort, and its subagent untouched',
    );

    const c = await env();
    const none = await runRecover(c.env, PARENT, host(), { choose: pick(undefined) });
    assert.equal(none.kind, 'declined');
    assert.deepEqual(c.gw.acted(), []);

    const d = await env();
    const forced = await runRecover(d.env, PARENT, host(), { target: 'parent' });
    assert.equal(forced.kind, 'nothing-to-do', 'the CLI’s --parent-itself: the ladder on the parent alone');
    assert.deepEqual(d.gw.acted(), []);
  });

  it('the parent’s turn not started yet: the report says it no longer waits and when its turn comes', async () => {
    const gw = await familyGateway({ turn: false });
    const env = {
      conns: conns(),
      config: gw.config,
      watcher: watcherShowing(gw.config, 'no-progress'),
      audit: new AuditTrail(() => {}),
      settleTimeoutMs: 5_000,
    };
    const t0 = Date.now();
    const r = await runRecover(env, PARENT, host());
    assert.ok(
      Date.now() - t0 < 4_000,
      `ended on the read that shows it, not the settle timeout: ${Date.now() - t0} ms`,
    );
    const report = r.result as RecoveryReport;
    assert.equal(report.family?.parentAfter, 'no-longer-waiting');
    assert.match(
      r.summary,
      /The parent no longer waits on a running subagent: it takes its turn once the gateway has delivered/,
    );
    assert.deepEqual(gw.acted(), [`sessions.abort ${CHILD}`]);
  });

  it('the subagent ended between the look and the act: nothing is done to it, the parent itself is recovered, said so', async () => {
    const gw = await familyGateway({ subagentEnded: true });
    const env = {
      conns: conns(),
      config: gw.config,
      watcher: watcherShowing(gw.config, 'no-progress'),
      audit: new AuditTrail(() => {}),
      settleTimeoutMs: 2_000,
    };
    const r = await runRecover(env, PARENT, host());
    assert.deepEqual(gw.acted(), [], 'no abort of a subagent the gateway says has no run');
    assert.equal(r.kind, 'nothing-to-do');
    assert.match(
      r.summary,
      /^the parent no longer waits on research \(research has no active run any more\), so the parent itself was recovered: nothing of its own to recover/,
    );
  });
});

describe('recovering a parent at the top of a nested wait (P → C → G, G’s run hung)', { timeout: 30_000 }, () => {
  it('lanewatch recover <parent>: only the deepest subagent’s run is aborted; the subagent between takes its turn', async () => {
    const { g, acted } = await familyGateway({ nested: true });
    const out: string[] = [],
      err: string[] = [];
    const saved = { ...process.env };
    process.env.LANEWATCH_STATE_DIR = mkdtempSync(path.join(os.tmpdir(), 'lw-family-'));
    process.env.OPENCLAW_STATE_DIR = mkdtempSync(path.join(os.tmpdir(), 'lw-family-oc-'));
    for (const k of ['OPENCLAW_GATEWAY_URL', 'OPENCLAW_GATEWAY_TOKEN', 'OPENCLAW_CONFIG_PATH']) delete process.env[k];
    let code: number;
    try {
      code = await main(['recover', PARENT, '--yes', '--json', '--gateway', g.url, '--wait-ms', '3000'], {
        out: (s) => void out.push(s),
        err: (s) => void err.push(s),
        isTTY: false,
      });
    } finally {
      process.env = saved;
    }
    assert.equal(code, EXIT.ok, err.join(''));
    assert.deepEqual(acted(), [`sessions.abort ${GRAND}`], 'nothing done to the parent or to the subagent between');
    const report = JSON.parse(out.join('')) as RecoveryReport;
    assert.equal(report.verdict, 'freed');
    assert.equal(report.sessionKey, PARENT);
    assert.equal(report.family?.subagent, GRAND);
    assert.deepEqual(report.family?.via, [CHILD]);
    assert.equal(report.family?.parentAfter, 'took-its-turn', 'the subagent between got the result and took its turn');
    assert.equal(report.family?.parentRunId, 'child-turn');
    assert.match(
      report.summary,
      /^the parent has no run of its own: it waits on research, which waits for its own subagent deep, which is running .*The subagent deep: freed by aborting the run \(step 1 of 3\).*Research took its turn; its result goes on up to the parent/,
    );
  });

  it('the deepest subagent ended between the look and the act: nothing is done to it, said so', async () => {
    const gw = await familyGateway({ nested: true, subagentEnded: true });
    const rows: Record<string, unknown> = {
      [PARENT]: { key: PARENT },
      [CHILD]: { key: CHILD, label: 'research', parentSessionKey: PARENT },
      [GRAND]: { key: GRAND, label: 'deep', parentSessionKey: CHILD },
    };
    const watcher = {
      name: 'gw',
      config: gw.config,
      snapshot: () => ({ state: 'connected' }),
      session: (k: string) => rows[k],
      sessionRows: () => Object.values(rows),
      laneStatus: (k: string) =>
        k === PARENT
          ? { ...status('idle', [CHILD]), waitingChains: [[CHILD, GRAND]] }
          : k === CHILD
            ? status('idle', [GRAND])
            : status('no-progress'),
      evidenceSource: () => undefined,
    } as unknown as GatewayWatcher;
    const env = { conns: conns(), config: gw.config, watcher, audit: new AuditTrail(() => {}), settleTimeoutMs: 2_000 };
    const r = await runRecover(env, PARENT, host());
    assert.deepEqual(gw.acted(), [], 'no abort of a subagent the gateway says has no run');
    assert.match(
      r.summary,
      /^the parent no longer waits on deep \(deep has no active run any more\), so the parent itself/,
    );
  });
});
