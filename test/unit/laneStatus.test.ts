import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareLaneStates,
  deriveLaneStatus,
  LANE_STATE_ORDER,
  type LaneState,
  type SessionEvidence,
} from '../../src/lanes/laneStatus';
import { parseLogLine } from '../../src/logs/logLine';
import { RunTracker } from '../../src/lanes/runTracker';
import type { SessionRowView } from '../../src/gateway';

const NOW = 1_795_280_000_000;
const MIN = 60_000;
// Row shapes as sessions.list returns them (2026.9.6: hasActiveRun; 2026.3.24: no run fields).
const idleRow96 = {
  key: 'agent:main:main',
  status: 'done',
  startedAt: NOW - 30 * MIN,
  endedAt: NOW - 29 * MIN,
  hasActiveRun: false,
  activeRunIds: [],
  lastRunId: 'idem-1',
} as SessionRowView;
const runningRow96 = {
  key: 'agent:main:main',
  status: 'running',
  startedAt: NOW - 7 * MIN,
  hasActiveRun: true,
} as SessionRowView;
const killedRow96 = {
  key: 'agent:main:main',
  status: 'killed',
  abortedLastRun: true,
  hasActiveRun: false,
  activeRunIds: [],
  startedAt: NOW - 9 * MIN,
  endedAt: NOW - MIN,
} as SessionRowView;
const zombieRow96 = {
  key: 'agent:main:main',
  status: 'running',
  startedAt: NOW - 60 * MIN,
  hasActiveRun: false,
  activeRunIds: [],
} as SessionRowView;
const runningRow324 = {
  key: 'agent:main:main',
  status: 'running',
  startedAt: NOW - 20 * MIN,
  abortedLastRun: false,
} as SessionRowView;
const doneRow324 = {
  key: 'agent:main:main',
  status: 'done',
  startedAt: NOW - 20 * MIN,
  endedAt: NOW - 19 * MIN,
} as SessionRowView;

const diag = (line: string, at: number) => {
  const l = parseLogLine(line);
  return { kind: l.diagnostic as 'long-running' | 'stalled' | 'stuck', at, message: l.message, fields: l.fields };
};
const STALLED = diag(
  'stalled session: sessionId=66e4 sessionKey=agent:main:main state=idle age=381s queueDepth=1 reason=active_work_without_progress classification=stalled_agent_run activeWorkKind=model_call lastProgress=model_call:started lastProgressAge=381s recovery=none',
  NOW - 10_000,
);
const LONG = diag(
  'long-running session: sessionId=66e4 sessionKey=agent:main:main state=idle age=141s queueDepth=1 reason=active_model_call_without_progress classification=long_running activeWorkKind=model_call lastProgress=model_call:started lastProgressAge=141s recovery=none',
  NOW - 4 * MIN,
);
const STUCK324 = diag(
  'stuck session: sessionId=276f sessionKey=agent:main:main state=processing age=55s queueDepth=1',
  NOW - 20_000,
);

const ev = (over: Partial<SessionEvidence>): SessionEvidence => ({
  now: NOW,
  connected: true,
  protocol: 4,
  serverVersion: '2026.9.6',
  connectedAt: NOW - 60 * MIN,
  trackedRuns: [],
  ...over,
});

describe('lane status derivation (table)', () => {
  const table: Array<
    [
      string,
      Partial<SessionEvidence>,
      LaneState,
      RegExp,
      Partial<{ verified: boolean; queued: number; outcome: string; runId: string }>?,
    ]
  > = [
    [
      'disconnected gateway → unknown',
      { connected: false, unavailableReason: 'connection lost (1006)', row: runningRow96 },
      'unknown',
      /connection lost \(1006\)/,
    ],
    ['row missing → unknown', { row: undefined }, 'unknown', /not in the gateway's last session list/],
    ['9.x idle, last run done', { row: idleRow96 }, 'idle', /no active run; last run done/],
    ['9.x last run killed → idle with a badge', { row: killedRow96 }, 'idle', /last run killed/, { outcome: 'killed' }],
    ['9.x active run', { row: runningRow96 }, 'running', /reports an active run/],
    [
      '9.x active run with activeRunIds → run id',
      { row: { ...runningRow96, activeRunIds: ['59cb8d3e'] } },
      'running',
      /59cb8d3e/,
      { runId: '59cb8d3e' },
    ],
    [
      '9.x active + queued inputs',
      { row: runningRow96, pendingInputs: 2 },
      'running',
      /2 input\(s\) queued/,
      { queued: 2 },
    ],
    [
      '9.x active + long-running line',
      { row: runningRow96, diagnostic: LONG },
      'long-running',
      /reason active_model_call_without_progress/,
    ],
    [
      '9.x active + stalled line (queueDepth counts as queued)',
      { row: runningRow96, diagnostic: STALLED },
      'stalled',
      /last progress model_call:started 381s ago, recovery none/,
      { queued: 1 },
    ],
    [
      '9.x stalled line older than the run → not applied',
      { row: { ...runningRow96, startedAt: NOW - 5_000 }, diagnostic: STALLED },
      'running',
      /active run/,
    ],
    [
      '9.x stalled line after the run ended → not applied',
      {
        row: runningRow96,
        diagnostic: STALLED,
        lastRunEnd: { runId: 'r', sessionKey: 'agent:main:main', at: NOW - 5_000, outcome: 'aborted' },
      },
      'running',
      /active run/,
    ],
    [
      '9.x stale diagnostic (15 min old) → not applied',
      { row: runningRow96, diagnostic: { ...STALLED, at: NOW - 15 * MIN } },
      'running',
      /active run/,
    ],
    ['9.x zombie row: running but no active run → stale', { row: zombieRow96 }, 'stale', /zombie row/],
    [
      '9.x row status queued → queued',
      { row: { ...idleRow96, status: 'queued' } },
      'queued',
      /queued \(waiting for a lane\)/,
    ],
    [
      '9.x idle with pending inputs → queued',
      { row: idleRow96, pendingInputs: 1 },
      'queued',
      /1 input\(s\) queued/,
      { queued: 1 },
    ],
    [
      // The gateway logs the line as the waiting work starts: the wait is over (read wrong, the demo's recovered
      // session read "queued" for 5 minutes).
      '9.x idle with a fresh lane-wait line → idle, the wait as history',
      { row: idleRow96, laneWait: { at: NOW - MIN, waitedMs: 37167, queueAhead: 0, message: 'lane wait exceeded: …' } },
      'idle',
      /waited 37167 ms with 0 queued ahead before it started/,
    ],
    [
      '3.x run start seen on this socket → running (verified)',
      {
        protocol: 3,
        row: runningRow324,
        trackedRuns: [
          {
            runId: 'idem-hang-1',
            sessionKey: 'agent:main:main',
            startedAt: NOW - MIN,
            lastEventAt: NOW - MIN,
            observedStart: true,
          },
        ],
      },
      'running',
      /saw the run start/,
      { verified: true },
    ],
    [
      '3.x only output seen → running (unverified)',
      {
        protocol: 3,
        row: runningRow324,
        trackedRuns: [
          { runId: 'r2', sessionKey: 'agent:main:main', startedAt: NOW, lastEventAt: NOW, observedStart: false },
        ],
      },
      'running',
      /whose start this connection did not see/,
      { verified: false },
    ],
    [
      '3.x tracked run silent for 20 min → running (unverified), says so',
      {
        protocol: 3,
        connectedAt: NOW - 30 * MIN,
        row: runningRow324,
        trackedRuns: [
          {
            runId: 'r3',
            sessionKey: 'agent:main:main',
            startedAt: NOW - 25 * MIN,
            lastEventAt: NOW - 20 * MIN,
            observedStart: true,
          },
        ],
      },
      'running',
      /no event for 20 min/,
      { verified: false, runId: 'r3' },
    ],
    [
      '3.x row running, connected after it started, no events → running (unverified)',
      { protocol: 3, connectedAt: NOW - 5 * MIN, row: runningRow324 },
      'running',
      /cannot verify/,
      { verified: false },
    ],
    [
      '3.x row running, run ended while watching → stale',
      {
        protocol: 3,
        row: runningRow324,
        lastRunEnd: { runId: 'idem-hang-1', sessionKey: 'agent:main:main', at: NOW - 10 * MIN, outcome: 'aborted' },
      },
      'stale',
      /ended \(aborted\) while Lanewatch watched/,
    ],
    [
      '3.x row running, connected before it started, no start seen → stale',
      { protocol: 3, connectedAt: NOW - 60 * MIN, row: runningRow324 },
      'stale',
      /no run start was seen/,
    ],
    [
      '3.x row running + stuck session state=processing line → stuck',
      { protocol: 3, connectedAt: NOW - 5 * MIN, row: runningRow324, diagnostic: STUCK324 },
      'stuck',
      /"stuck session" at age 55s/,
      { verified: false, queued: 1 },
    ],
    ['3.x row done → idle', { protocol: 3, row: doneRow324 }, 'idle', /row status done/],
    [
      '3.x row running, connected late, transcript ends with the aborted reply → stale',
      {
        protocol: 3,
        serverVersion: '2026.3.24',
        connectedAt: NOW - MIN,
        row: runningRow324,
        transcriptTail: { role: 'assistant', at: NOW - 19 * MIN, stopReason: 'aborted', error: 'Request was aborted.' },
      },
      'stale',
      /transcript already ends with the run's reply \(stopReason aborted: Request was aborted\.\)/,
    ],
    [
      '3.x row running, connected late, transcript ends with the user turn → running (unverified)',
      {
        protocol: 3,
        serverVersion: '2026.3.24',
        connectedAt: NOW - MIN,
        row: runningRow324,
        transcriptTail: { role: 'user', at: NOW - 20 * MIN },
      },
      'running',
      /cannot verify/,
      { verified: false },
    ],
    [
      '3.x transcript reply older than the run start proves nothing',
      {
        protocol: 3,
        serverVersion: '2026.3.24',
        connectedAt: NOW - MIN,
        row: runningRow324,
        transcriptTail: { role: 'assistant', at: NOW - 40 * MIN, stopReason: 'stop' },
      },
      'running',
      /cannot verify/,
      { verified: false },
    ],
    [
      '3.x row running since before the gateway process started → stale (no run survives a restart)',
      {
        protocol: 3,
        serverVersion: '2026.3.24',
        connectedAt: NOW - MIN,
        gatewayStartedAt: NOW - 2 * MIN,
        row: runningRow324,
      },
      'stale',
      /no run survives a restart/,
    ],
    [
      '3.x restart rule yields to a stuck line logged after the restart',
      {
        protocol: 3,
        connectedAt: NOW - MIN,
        gatewayStartedAt: NOW - 2 * MIN,
        row: runningRow324,
        diagnostic: STUCK324,
      },
      'stuck',
      /"stuck session"/,
    ],
    [
      '3.24: a silent run stays running (no idle watchdog on this version; silence proves nothing)',
      {
        protocol: 3,
        serverVersion: '2026.3.24',
        connectedAt: NOW - 30 * MIN,
        row: runningRow324,
        trackedRuns: [
          {
            runId: 'r4',
            sessionKey: 'agent:main:main',
            startedAt: NOW - 5 * MIN,
            lastEventAt: NOW - 5 * MIN,
            observedStart: true,
          },
        ],
      },
      'running',
      /silence proves nothing/,
      { verified: true },
    ],
    [
      '4.26: a run silent past the expiry is over (idle watchdog ends it without an event) → stale row',
      {
        protocol: 3,
        serverVersion: '2026.4.26',
        runExpiryMs: 180_000,
        connectedAt: NOW - 30 * MIN,
        row: runningRow324,
        trackedRuns: [
          {
            runId: 'r5',
            sessionKey: 'agent:main:main',
            startedAt: NOW - 6 * MIN,
            lastEventAt: NOW - 4 * MIN,
            observedStart: true,
          },
        ],
      },
      'stale',
      /no event for 240 s \(expiry 180 s\).*LLM idle watchdog/,
    ],
    [
      '4.26: silent past the expiry but a stuck line after its last event → still processing',
      {
        protocol: 3,
        serverVersion: '2026.4.26',
        runExpiryMs: 180_000,
        connectedAt: NOW - 30 * MIN,
        row: runningRow324,
        diagnostic: STUCK324,
        trackedRuns: [
          {
            runId: 'r6',
            sessionKey: 'agent:main:main',
            startedAt: NOW - 6 * MIN,
            lastEventAt: NOW - 4 * MIN,
            observedStart: true,
          },
        ],
      },
      'stuck',
      /still logs "stuck session"/,
      { verified: false },
    ],
    [
      '4.26: within the expiry a seen run is running',
      {
        protocol: 3,
        serverVersion: '2026.4.26',
        runExpiryMs: 180_000,
        row: runningRow324,
        trackedRuns: [
          {
            runId: 'r7',
            sessionKey: 'agent:main:main',
            startedAt: NOW - 2 * MIN,
            lastEventAt: NOW - 2 * MIN,
            observedStart: true,
          },
        ],
      },
      'running',
      /saw the run start/,
      { verified: true },
    ],
  ];
  for (const [name, evidence, state, factRe, extra] of table) {
    it(name, () => {
      const s = deriveLaneStatus(ev(evidence));
      assert.equal(s.state, state, JSON.stringify(s.facts));
      assert.match(s.facts.map((f) => f.text).join(' | '), factRe);
      assert.ok(
        s.facts.every((f) => f.rule.length > 0),
        'every fact names its rule',
      );
      if (evidence.protocol === 3 && evidence.connected !== false && evidence.row)
        assert.ok(
          s.facts.some((f) => f.rule === 'p3.version'),
          'protocol-3 statuses say which version rule applies',
        );
      for (const [k, v] of Object.entries(extra ?? {})) assert.deepEqual((s as any)[k], v, k);
    });
  }
});

describe('lane status transitions from real event sequences', () => {
  const frame = (event: string, payload: Record<string, unknown>) => ({ type: 'event' as const, event, payload });
  it('3.x: start → running; queued input final does not end it; abort → stale row', () => {
    const t = new RunTracker();
    const key = 'agent:main:main';
    const evidence = () =>
      ev({
        protocol: 3,
        connectedAt: NOW - 60 * MIN,
        row: { ...runningRow324, startedAt: NOW - 2 * MIN },
        trackedRuns: t.activeRuns(key),
        lastRunEnd: t.lastEnded(key),
      });
    assert.equal(
      t.apply(
        frame('agent', {
          runId: 'idem-hang-1',
          sessionKey: key,
          stream: 'lifecycle',
          data: { phase: 'start', startedAt: NOW - 2 * MIN },
        }),
        NOW - 2 * MIN,
      ),
      key,
    );
    assert.equal(deriveLaneStatus(evidence()).state, 'running');
    assert.equal(
      t.apply(frame('chat', { runId: 'idem-q-1', sessionKey: key, state: 'final' }), NOW - MIN),
      undefined,
      "a queued input's final is not the run ending",
    );
    assert.equal(deriveLaneStatus(evidence()).state, 'running');
    assert.equal(
      t.apply(
        frame('chat', { runId: 'idem-hang-1', sessionKey: key, state: 'aborted', stopReason: 'rpc' }),
        NOW - 30_000,
      ),
      key,
    );
    const after = deriveLaneStatus(evidence());
    assert.equal(after.state, 'stale', 'row still says running (3.24 behaviour) after the run ended');
    assert.equal(t.lastEnded(key)?.outcome, 'aborted');
  });
  it('9.x: sessions.changed rows drive idle → running → stalled → idle(killed)', () => {
    const states = [
      deriveLaneStatus(ev({ row: idleRow96 })).state,
      deriveLaneStatus(ev({ row: runningRow96 })).state,
      deriveLaneStatus(ev({ row: runningRow96, diagnostic: STALLED })).state,
      deriveLaneStatus(
        ev({
          row: killedRow96,
          diagnostic: STALLED,
          lastRunEnd: { runId: 'x', sessionKey: 'agent:main:main', at: NOW - 1000, outcome: 'aborted' },
        }),
      ).state,
    ];
    assert.deepEqual(states, ['idle', 'running', 'stalled', 'idle']);
  });
  it("9.x: a new run's age starts from its own start, not the row's startedAt left from the run before", () => {
    // The first sessions.changed of a new run can still carry the previous run's startedAt (bench/control-ui.mjs saw
    // "running 4s"…"running 10s" for 1–2 s on a run that had just begun); the lifecycle start this socket saw is the run's.
    const row = { ...runningRow96, startedAt: NOW - 10_000, activeRunIds: ['run-new'] } as SessionRowView;
    const s = deriveLaneStatus(
      ev({
        row,
        trackedRuns: [
          {
            runId: 'run-new',
            sessionKey: 'agent:main:main',
            startedAt: NOW - 200,
            lastEventAt: NOW,
            observedStart: true,
          },
        ],
      }),
    );
    assert.equal(s.state, 'running');
    assert.equal(s.runId, 'run-new');
    assert.equal(s.startedAt, NOW - 200);
    // Without a start seen on this socket, the row is all there is.
    assert.equal(deriveLaneStatus(ev({ row })).startedAt, NOW - 10_000);
  });
  it('a run that sends no event for noProgressMs reads "no progress", counted from its last event; the gateway\'s own stalled line wins', () => {
    const row = { ...runningRow96, startedAt: NOW - 5 * MIN, activeRunIds: ['r'] } as SessionRowView;
    const run = (lastEventAt: number) => ({
      runId: 'r',
      sessionKey: 'agent:main:main',
      startedAt: NOW - 5 * MIN,
      lastEventAt,
      observedStart: true,
    });
    const quiet = deriveLaneStatus(ev({ row, trackedRuns: [run(NOW - 70_000)], noProgressMs: 60_000 }));
    assert.equal(quiet.state, 'no-progress');
    assert.equal(quiet.quietSince, NOW - 70_000);
    assert.ok(quiet.facts.some((f) => f.rule === 'lanewatch.no-progress' && /for 70 s/.test(f.text)));
    // Still within the limit: running, and when it would turn.
    const talking = deriveLaneStatus(ev({ row, trackedRuns: [run(NOW - 30_000)], noProgressMs: 60_000 }));
    assert.equal(talking.state, 'running');
    assert.equal(talking.noProgressAt, NOW + 30_000);
    // Off.
    assert.equal(deriveLaneStatus(ev({ row, trackedRuns: [run(NOW - 70_000)], noProgressMs: 0 })).state, 'running');
    // No event of the run seen at all: quiet since this socket connected.
    const late = deriveLaneStatus(ev({ row, trackedRuns: [], connectedAt: NOW - 90_000, noProgressMs: 60_000 }));
    assert.equal(late.state, 'no-progress');
    assert.match(
      late.facts.find((f) => f.rule === 'lanewatch.no-progress')!.text,
      /since Lanewatch connected 90 s ago/,
    );
    // A row that turned active after the connect, its run's first event not here yet (2026.9.6: a parent's turn after
    // its subagent's result, ~4 s): quiet since the row turned active, not since the connect.
    const resumed = { row, trackedRuns: [], connectedAt: NOW - 300_000, noProgressMs: 60_000 };
    const fresh = deriveLaneStatus(ev({ ...resumed, activeSince: NOW - 4_000 }));
    assert.equal(fresh.state, 'running', 'a run the gateway started 4 s ago is not "no progress"');
    assert.equal(fresh.noProgressAt, NOW + 56_000);
    const silent = deriveLaneStatus(ev({ ...resumed, activeSince: NOW - 75_000 }));
    assert.equal(silent.state, 'no-progress');
    assert.match(
      silent.facts.find((f) => f.rule === 'lanewatch.no-progress')!.text,
      /since the gateway reported it active 75 s ago/,
    );
    // The gateway's own diagnostic knows more (its own progress tracking): it wins.
    const stalled = deriveLaneStatus(
      ev({
        row,
        trackedRuns: [run(NOW - 70_000)],
        noProgressMs: 60_000,
        diagnostic: { kind: 'stalled', at: NOW - 1_000, message: 'stalled session', fields: {} },
      }),
    );
    assert.equal(stalled.state, 'stalled');
  });
  it('sorts the most urgent first', () => {
    const shuffled: LaneState[] = [
      'idle',
      'running',
      'no-progress',
      'stuck',
      'unknown',
      'stale',
      'queued',
      'stalled',
      'long-running',
    ];
    assert.deepEqual([...shuffled].sort(compareLaneStates), [...LANE_STATE_ORDER]);
  });
});

// Issue 15, item 4: the gateway's own stuck-session recovery, read from its log line, is shown on the session; when it
// claimed to free the session and a run still holds the lane, the session reads stuck with that reason.
describe("the gateway's own stuck-session recovery", () => {
  const outcome = (fields: string, at: number) => {
    const l = parseLogLine(
      JSON.stringify({
        0: '{"subsystem":"diagnostic"}',
        1: `stuck session recovery outcome: ${fields}`,
        _meta: { logLevelName: 'WARN' },
        time: new Date(at).toISOString(),
      }),
    );
    assert.equal(l.diagnostic, 'recovery-outcome');
    assert.equal(l.sessionKey, 'agent:main:main');
    const num = (k: string) => (l.fields[k] === undefined ? undefined : Number(l.fields[k]));
    return {
      at,
      status: l.fields.status,
      action: l.fields.action,
      reason: l.fields.reason,
      released: num('released'),
      laneActive: num('laneActive'),
      message: l.message,
    };
  };

  it('reported success (released=1) while the row still has an active run: stuck, "freed nothing"', () => {
    const s = deriveLaneStatus(
      ev({
        row: runningRow96,
        gatewayRecovery: outcome(
          'status=released action=abort-and-release sessionId=66e4 sessionKey=agent:main:main released=1 laneActive=1',
          NOW - 40_000,
        ),
      }),
    );
    assert.equal(s.state, 'stuck');
    assert.equal(s.gatewayRecovery?.ineffective, true);
    assert.match(s.facts.map((f) => f.text).join(' | '), /recovery released the lane \(1\) 40 s ago, leaving 1 active/);
    assert.ok(s.facts.some((f) => f.rule === 'gateway.recovery-ineffective'));
  });

  it('released=0 on a held lane is called out as freeing nothing, even without a success claim', () => {
    const s = deriveLaneStatus(
      ev({
        row: runningRow96,
        gatewayRecovery: outcome('status=released action=release sessionKey=agent:main:main released=0', NOW - 60_000),
      }),
    );
    assert.equal(s.state, 'stuck');
    assert.match(s.facts.map((f) => f.text).join(' | '), /released nothing \(released=0\)/);
  });

  it('a recovery that worked (the lane is free now) is a fact, not a verdict', () => {
    const s = deriveLaneStatus(
      ev({
        row: idleRow96,
        gatewayRecovery: outcome('status=aborted action=abort sessionKey=agent:main:main', NOW - 30_000),
      }),
    );
    assert.equal(s.state, 'idle');
    assert.equal(s.gatewayRecovery?.ineffective, false);
    assert.match(s.facts.map((f) => f.text).join(' | '), /recovery aborted the run 30 s ago/);
  });

  it('a skipped recovery leaves the state as the other facts make it, with its reason', () => {
    const s = deriveLaneStatus(
      ev({
        row: runningRow96,
        diagnostic: STALLED,
        gatewayRecovery: outcome(
          'status=skipped action=none sessionKey=agent:main:main reason=active_reply_work',
          NOW - 20_000,
        ),
      }),
    );
    assert.equal(s.state, 'stalled');
    assert.match(s.facts.map((f) => f.text).join(' | '), /skipped it \(active_reply_work\)/);
  });

  it('inside the settle time the lane may still be draining: no verdict yet', () => {
    const s = deriveLaneStatus(
      ev({
        row: runningRow96,
        gatewayRecovery: outcome('status=aborted action=abort sessionKey=agent:main:main', NOW - 1_000),
      }),
    );
    assert.equal(s.state, 'running');
    assert.equal(s.gatewayRecovery?.ineffective, false);
  });
});
