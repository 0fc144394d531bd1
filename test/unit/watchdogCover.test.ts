// The watchdog's cover rules (issue 16 item 4): it can be told to leave subagent sessions (rows that name a parent)
// and cron sessions (`agent:<id>:cron:<jobId>`, `…:run:<id>`) alone, and says so when it does; by default it covers
// both. On a fake clock, with rows shaped like a real 2026.9.6 gateway's (test/gateway/subagents.test.ts,
// scheduler.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayWatcher } from '../../src/fleet/gatewayWatcher';
import type { LaneState, LaneStatus } from '../../src/lanes/laneStatus';
import {
  DEFAULT_WATCHDOG_RULES,
  sessionKindOf,
  validateWatchdogRules,
  Watchdog,
  watchdogAuditEntry,
  type WatchdogEvent,
  type WatchdogRules,
} from '../../src/watchdog/watchdog';
import { coverText } from '../../src/cli/actionCommands';

const PARENT = 'agent:main:delegator',
  CHILD = 'agent:main:subagent:1111',
  CRON = 'agent:main:cron:job1',
  CRON_RUN = 'agent:main:cron:job1:run:abc',
  MAIN = 'agent:main:main';

/** Rows as the gateway lists them: the subagent names its parent; cron keys are what mark cron sessions. */
const ROWS: Record<string, Record<string, unknown>> = {
  [PARENT]: { key: PARENT, childSessions: [CHILD] },
  [CHILD]: { key: CHILD, parentSessionKey: PARENT, spawnedBy: PARENT, spawnDepth: 1 },
  [CRON]: { key: CRON },
  [CRON_RUN]: { key: CRON_RUN },
  [MAIN]: { key: MAIN },
};
/** Every session but the waiting parent (idle: its own lane is free) is stalled. */
const STATES: Record<string, LaneState> = {
  [PARENT]: 'idle',
  [CHILD]: 'stalled',
  [CRON]: 'stalled',
  [CRON_RUN]: 'stalled',
  [MAIN]: 'stalled',
};

function run(rules: Partial<WatchdogRules>) {
  let t = 1_000_000;
  const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const watcher = {
    name: 'gw',
    sessionRows: () => Object.values(ROWS),
    session: (k: string) => ROWS[k],
    laneStatus: (k: string) => ({ state: STATES[k] ?? 'unknown', verified: true, queued: 0, facts: [] }) as LaneStatus,
  } as unknown as GatewayWatcher;
  const events: WatchdogEvent[] = [];
  const recovered: string[] = [];
  const dog = new Watchdog(
    { gateways: () => [watcher], gateway: () => watcher, onDidChange: () => ({ dispose: () => {} }) },
    {
      rules: { ...DEFAULT_WATCHDOG_RULES, thresholdMs: 60_000, ...rules },
      recover: async (_w, key) => {
        recovered.push(key);
        return { sessionKey: key, steps: [], verdict: 'freed', summary: 'freed' };
      },
      onEvent: (e) => events.push(e),
      now: () => t,
      setTimer: (fn, ms) => {
        const timer = { at: t + ms, fn, live: true };
        timers.push(timer);
        return { cancel: () => void (timer.live = false) };
      },
    },
  );
  return {
    events,
    recovered,
    /** Past the threshold: every due timer fires. */
    async pastThreshold() {
      t += 61_000;
      for (const x of timers.filter((y) => y.live && y.at <= t)) {
        x.live = false;
        x.fn();
      }
      for (let i = 0; i < 10; i++) await Promise.resolve();
      dog.dispose();
    },
    skipped: () =>
      Object.fromEntries(
        events.filter((e) => e.kind === 'skipped').map((e) => [e.key, (e as { reason: string }).reason]),
      ),
  };
}

describe('the watchdog covers subagent and cron sessions, or not', () => {
  it('by default it covers both: every stalled session is recovered (the waiting parent is not: its lane is free)', async () => {
    const w = run({});
    await w.pastThreshold();
    assert.deepEqual(w.recovered.sort(), [CHILD, CRON, CRON_RUN, MAIN].sort());
    assert.deepEqual(w.skipped(), {});
  });

  it('subagents off: the stalled subagent is left alone, said once with the reason, and audited', async () => {
    const w = run({ subagents: false });
    await w.pastThreshold();
    assert.deepEqual(w.recovered.sort(), [CRON, CRON_RUN, MAIN].sort());
    assert.deepEqual(w.skipped(), {
      [CHILD]: 'a subagent session, and the watchdog is set not to cover subagent sessions',
    });
    const skipped = w.events.find((e) => e.kind === 'skipped')!;
    assert.deepEqual(watchdogAuditEntry(skipped), {
      gateway: 'gw',
      session: CHILD,
      call: 'watchdog recover',
      outcome: 'skipped',
      detail: 'a subagent session, and the watchdog is set not to cover subagent sessions',
    });
  });

  it('cron off: the job’s session and its run’s session are left alone; the subagent is recovered', async () => {
    const w = run({ cron: false });
    await w.pastThreshold();
    assert.deepEqual(w.recovered.sort(), [CHILD, MAIN].sort());
    assert.deepEqual(Object.keys(w.skipped()).sort(), [CRON, CRON_RUN].sort());
    assert.equal(w.skipped()[CRON], 'a cron session, and the watchdog is set not to cover cron sessions');
  });

  it('what counts as which: a row naming a parent, a cron key (agent-scoped or bare), nothing guessed', () => {
    assert.deepEqual(sessionKindOf(CHILD, ROWS[CHILD] as never), { subagent: true, cron: false });
    assert.deepEqual(sessionKindOf(CHILD, undefined), { subagent: false, cron: false }, 'no row, no family');
    assert.deepEqual(sessionKindOf(CRON_RUN, ROWS[CRON_RUN] as never), { subagent: false, cron: true });
    assert.equal(sessionKindOf('cron:job1', { key: 'cron:job1' }).cron, true, 'the docs’ bare form');
    assert.equal(sessionKindOf('agent:main:cronjob', { key: 'agent:main:cronjob' }).cron, false);
    assert.equal(sessionKindOf(MAIN, { key: MAIN, spawnedBy: MAIN }).subagent, false, 'a row naming itself');
  });

  it('the rules: on by default, booleans only, and the startup line says which are covered', () => {
    const d = validateWatchdogRules({});
    assert.equal(d.rules.subagents, true);
    assert.equal(d.rules.cron, true);
    assert.deepEqual(validateWatchdogRules({ subagents: 'off', cron: 0 }).problems, [
      'subagents must be true or false',
      'cron must be true or false',
    ]);
    const off = validateWatchdogRules({ subagents: false, cron: false });
    assert.deepEqual(off.problems, []);
    assert.equal(coverText(off.rules), 'subagent sessions not covered, cron sessions not covered');
    assert.equal(coverText(d.rules), 'subagent sessions covered, cron sessions covered');
  });
});
