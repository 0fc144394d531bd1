// Failures of the field's list that hold no lane (a slow or locked session store, a restart that cut replies short, a
// reply whose delivery is unknown, a blocked event loop, a prompt over its context window, a turn claim never
// released), read from the gateway's log as 2026.9.6 writes them (the templates in its package's dist/), and summed up
// for the gateway: src/logs/knownProblems.ts, src/fleet/logProblemsSummary.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeLogProblems } from '../../src/fleet/logProblemsSummary';
import type { KnownProblemId } from '../../src/logs/knownProblems';
import { parseLogLine } from '../../src/logs/logLine';
import { matchesPreset } from '../../src/logs/logRing';

/** A tslog JSON line as the gateway writes it (2026.4+: `message`; the subsystem as JSON in "0"). */
function gatewayLogLine(message: string, level = 'WARN', at = Date.now(), subsystem = 'gateway'): string {
  return JSON.stringify({
    0: JSON.stringify({ subsystem }),
    1: message,
    _meta: { logLevelName: level, date: new Date(at).toISOString() },
    time: new Date(at).toISOString(),
    message,
  });
}

/** One line per known failure, each filled in from the gateway's own template. */
const KNOWN_PROBLEM_LINES: Array<[KnownProblemId, string, string?]> = [
  ['store-slow', 'slow SQLite transaction lock wait'],
  ['store-slow', 'slow SQLite transaction hold'],
  ['store-slow', 'slow SQLite coordinator lock wait'],
  ['store-slow', 'slow SQLite session write'],
  ['store-locked', 'sessions.patch failed: SqliteError: database is locked', 'ERROR'],
  ['store-locked', 'write failed (SQLITE_BUSY): retrying'],
  [
    'restart-drain',
    'restart reply drain timed out after 0ms with 2 replies, 1 queued turn still active; continuing shutdown',
  ],
  [
    'reply-unknown',
    'Delivery entry d-71 delivery state is unknown_after_send; refusing blind replay without adapter reconciliation; preserving unknown_after_send',
  ],
  ['event-loop-blocked', 'liveness heartbeat delayed: overdue=41230ms elapsed=71230ms; deferring recovery decisions'],
  [
    'context-overflow',
    '[context-overflow-diag] sessionKey=agent:main:big provider=fake/fake-model source=provider trigger=overflow messages=412',
  ],
  ['turn-claim', 'turn failed: ActiveTurnClaimError: Session 7f3a already has an active turn claim', 'ERROR'],
];

describe('known failures in the gateway log', () => {
  it('each is recognized in the gateway’s own wording, and shows under the log panel’s "Errors" though logged as a warning', () => {
    for (const [id, message, level] of KNOWN_PROBLEM_LINES) {
      const line = parseLogLine(gatewayLogLine(message, level));
      assert.equal(line.knownProblem, id, message);
      assert.ok(matchesPreset(line, 'errors'), `not under Errors: ${message}`);
    }
    assert.equal(parseLogLine(gatewayLogLine(KNOWN_PROBLEM_LINES.at(-2)![1])).sessionKey, 'agent:main:big');
  });

  it('the lines a real 2026.9.6 gateway wrote under a 20 MB chat.inject, both shapes (message in "1" or "2"), read as a slow store', () => {
    // From its logs/openclaw.log (paths shortened): session-sqlite has no `message`; sqlite/transaction has one.
    const write = JSON.stringify({
      0: '{"subsystem":"session-sqlite"}',
      1: 'slow SQLite session write',
      2: {
        agentId: 'main',
        operation: 'session-entry.patch',
        elapsedMs: 1817,
        queueWaitMs: 1809,
        writerExecutionMs: 8,
      },
      _meta: { logLevelId: 4, logLevelName: 'WARN', date: '2026-12-03T16:37:59.085Z' },
      time: '2026-12-03T16:37:59.085+00:00',
    });
    const hold = JSON.stringify({
      0: '{"subsystem":"sqlite/transaction"}',
      1: { async: false, elapsedMs: 6558, isMainThread: true, operation: 'agent.write', thresholdMs: 1000 },
      2: 'slow SQLite transaction hold',
      _meta: { logLevelId: 4, logLevelName: 'WARN', date: '2026-12-03T16:38:09.540Z' },
      time: '2026-12-03T16:38:09.540+00:00',
      message: 'slow SQLite transaction hold',
    });
    for (const raw of [write, hold]) assert.equal(parseLogLine(raw).knownProblem, 'store-slow', raw);
  });

  it('the same words elsewhere in a sentence, or a lane diagnostic, are not one of them', () => {
    for (const message of [
      'user asked: why was there a slow SQLite transaction lock wait yesterday?',
      'docs: restart reply drain timed out after 0ms is fixed in 2026.6',
      'the liveness heartbeat delayed: no',
      'lane wait exceeded: lane=session:agent:main:x waitedMs=120000 queueAhead=1',
    ])
      assert.equal(parseLogLine(gatewayLogLine(message)).knownProblem, undefined, message);
    assert.equal(parseLogLine(gatewayLogLine('slow SQLite transaction hold', 'WARN')).diagnostic, undefined);
  });

  it('summed up for the gateway: what, how often, on which session, the latest first, and only the last 10 minutes', () => {
    const now = Date.UTC(2026, 11, 3, 17, 0, 0);
    const s = summarizeLogProblems(
      [
        { id: 'store-slow', at: now - 20 * 60_000, message: 'slow SQLite transaction hold' }, // outside the window
        { id: 'store-slow', at: now - 5 * 60_000, message: 'slow SQLite transaction lock wait' },
        { id: 'store-slow', at: now - 2 * 60_000, message: 'slow SQLite transaction hold' },
        {
          id: 'context-overflow',
          at: now - 60_000,
          message: '[context-overflow-diag] …',
          sessionKey: 'agent:main:big',
        },
      ],
      now,
      (k) => (k === 'agent:main:big' ? 'big report' : k),
    );
    assert.deepEqual(
      s.problems.map((p) => [p.id, p.count, p.sessions]),
      [
        ['context-overflow', 1, ['agent:main:big']],
        ['store-slow', 2, []],
      ],
    );
    assert.equal(
      s.text,
      'In its log, the last 10 min: a prompt was larger than its model’s context window (big report), once, last 1m00s ago; its session store (SQLite) was slow to lock, 2 times, last 2m00s ago.',
    );
    assert.equal(summarizeLogProblems([], now).text, undefined, 'nothing to say: no line');
  });
});
