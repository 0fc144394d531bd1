// Short soak (60 s; LANEWATCH_SOAK_MS changes it): a long-lived GatewayConnection and GatewayWatcher (liveness probe
// on) against a scripted gateway that drops every socket, restarts with 1012 and floods events, while requests are
// answered, time out or are cancelled and short-lived watchers are created, synced and disposed. Sampled every 5 s
// after a 10 s warm-up; the bounds (SOAK_BOUNDS in test/support/soak.ts) are:
//   sockets ≤ 8, pending requests ≤ 20, timers ≤ 30, listeners constant, heapUsed after GC drift ≤ 8 MB and
//   spread ≤ 16 MB, and after dispose sockets, servers and timers back to the baseline.
// The long form is bench/soak.mjs (2 h by default), with the same code and bounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSoak, soakReport } from '../support/soak';

const DURATION_MS = Number(process.env.LANEWATCH_SOAK_MS ?? 60_000);

describe('soak (short form)', () => {
  it(
    `${DURATION_MS / 1000} s of connect/disconnect/restart churn, events and requests: sockets, timers, listeners and heap stay bounded`,
    { timeout: DURATION_MS + 60_000 },
    async () => {
      const r = await runSoak({
        durationMs: DURATION_MS,
        sampleEveryMs: 5_000,
        warmupMs: Math.min(10_000, DURATION_MS / 3),
        seed: 42,
      });
      const { lines, violations } = soakReport(r);
      for (const l of lines) console.log(`# soak ${DURATION_MS / 1000} s: ${l}`);
      assert.deepEqual(violations, [], 'every soak bound held');
    },
  );
});
