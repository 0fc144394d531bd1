// The gateway's own stuck-session recovery summed up for the gateway (src/fleet/gatewayRecoverySummary.ts): the
// recorder's records (2026.9.x diagnostics.stability, no session in them) counted by outcome within the window, the
// sessions it freed nothing on named, nothing said when it did not run lately, malformed records skipped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recorderRecoveries, summarizeGatewayRecoveries } from '../../src/fleet/gatewayRecoverySummary';
import type { GatewayRecoverySighting } from '../../src/lanes/laneStatus';

const NOW = 1_796_262_100_000;
const sighting = (agoMs: number, status: string, released?: number): GatewayRecoverySighting => ({
  at: NOW - agoMs,
  status,
  ...(released !== undefined ? { released } : {}),
  message: 'stuck session recovery outcome: …',
});

describe('gateway recovery summary', () => {
  it("counts the recorder's attempts by outcome in the window and names the sessions a run still holds", () => {
    const records = recorderRecoveries([
      { seq: 1, ts: NOW - 30_000, type: 'session.recovery.completed', outcome: 'released', action: 'abort', count: 1 },
      { seq: 2, ts: NOW - 60_000, type: 'session.recovery.completed', outcome: 'noop', count: 0 },
      { seq: 3, ts: NOW - 90_000, type: 'session.recovery.completed', outcome: 'released', count: 0 },
      { seq: 4, ts: NOW - 20 * 60_000, type: 'session.recovery.completed', outcome: 'failed' }, // outside the window
      { seq: 5, ts: NOW - 10_000, type: 'session.recovery.requested', state: 'processing' }, // not an outcome
      { seq: 6, type: 'session.recovery.completed', outcome: 'released' }, // no time: skipped
      null,
    ]);
    assert.equal(records.length, 4);
    const s = summarizeGatewayRecoveries(
      [
        ['agent:main:a', sighting(30_000, 'released', 1)],
        ['agent:main:b', sighting(90_000, 'released', 0)],
        ['agent:main:old', sighting(11 * 60_000, 'released', 0)],
      ],
      (k) => k === 'agent:main:a',
      records,
      NOW,
      (k) => (k === 'agent:main:a' ? 'Support inbox' : k),
    );
    assert.deepEqual(s.recorder, {
      attempts: 3,
      byOutcome: { released: 2, noop: 1 },
      releasedNothing: 2,
      latestAt: NOW - 30_000,
    });
    assert.deepEqual(
      s.sessions.map((x) => [x.key, x.freedNothing]),
      [
        ['agent:main:a', true],
        ['agent:main:b', false],
      ],
      'newest first; the line older than 10 min is left out',
    );
    assert.equal(
      s.text,
      "The gateway's own stuck-session recovery ran 3 times in the last 10 min (2 released, 1 noop); freed nothing on 1 session a run still holds: Support inbox.",
    );
  });

  it('says nothing when the gateway’s recovery did not run in the window', () => {
    const s = summarizeGatewayRecoveries([['k', sighting(11 * 60_000, 'aborted')]], () => false, [], NOW);
    assert.equal(s.text, undefined);
    assert.equal(recorderRecoveries({ events: 'no' }).length, 0);
  });
});
