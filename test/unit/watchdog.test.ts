// The watchdog's rules on a fake clock: it acts only after a session stayed wedged for the threshold, never on
// excluded sessions, at most N times per hour with a cool-down, and says why whenever it does not act.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayWatcher } from '../../src/fleet/gatewayWatcher';
import type { LaneState, LaneStatus } from '../../src/lanes/laneStatus';
import { AuditTrail } from '../../src/actions/auditTrail';
import {
  excludedBy,
  validateWatchdogRules,
  Watchdog,
  watchdogAuditEntry,
  type WatchdogEvent,
  type WatchdogRules,
} from '../../src/watchdog/watchdog';
import { parseArgs } from '../../src/cli/main';

class FakeClock {
  t = 1_000_000;
  /** Fires timers this many ms before they are due, as Node's setTimeout can against Date.now(). */
  constructor(private readonly early = 0) {}
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const timer = { at: this.t + (ms > 0 ? Math.max(1, ms - this.early) : 0), fn, live: true };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.live = false;
      },
    };
  };
  /** Moves time forward, firing due timers in order (and the promises they start). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.live = false;
      next.fn();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    this.t = end;
  }
}

function fakeFleet(states: Record<string, LaneState>) {
  const listeners = new Set<(c: { gateway?: string; what: string; keys?: string[] }) => void>();
  const watcher = {
    name: 'gw',
    sessionRows: () => Object.keys(states).map((key) => ({ key })),
    laneStatus: (key: string) =>
      ({ state: states[key] ?? 'unknown', verified: true, queued: 0, facts: [] }) as LaneStatus,
  } as unknown as GatewayWatcher;
  return {
    states,
    fleet: {
      gateways: () => [watcher],
      gateway: (n: string) => (n === 'gw' ? watcher : undefined),
      onDidChange: (l: any) => {
        listeners.add(l);
        return { dispose: () => listeners.delete(l) };
      },
    },
    change: (key: string, state: LaneState) => {
      states[key] = state;
      for (const l of listeners) l({ gateway: 'gw', what: 'sessions', keys: [key] });
    },
  };
}

function setup(
  states: Record<string, LaneState>,
  rules: Partial<WatchdogRules>,
  outcome: (key: string) => LaneState | Error = () => 'idle',
  earlyTimersMs = 0,
) {
  const clock = new FakeClock(earlyTimersMs);
  const f = fakeFleet(states);
  const events: WatchdogEvent[] = [];
  const recovered: string[] = [];
  const dog = new Watchdog(f.fleet, {
    rules: {
      states: ['stalled', 'stuck', 'stale'],
      thresholdMs: 60_000,
      maxActionsPerHour: 2,
      cooldownMs: 300_000,
      exclude: [],
      ...rules,
    },
    recover: async (_w, key) => {
      recovered.push(key);
      const o = outcome(key);
      if (o instanceof Error) throw o; // the recovery never ran (e.g. its connection could not be opened): nothing changed
      f.change(key, o);
      return { sessionKey: key, steps: [], verdict: 'freed', summary: 'freed by sessions.abort' };
    },
    onEvent: (e) => events.push(e),
    now: clock.now,
    setTimer: clock.setTimer,
  });
  return { clock, f, events, recovered, dog };
}

describe('watchdog', () => {
  it('acts once a session has stayed stalled for the threshold, not before', async () => {
    const { clock, f, events, recovered, dog } = setup({ 'agent:main:a': 'running' }, {});
    f.change('agent:main:a', 'stalled');
    assert.equal(events[0].kind, 'armed');
    await clock.advance(59_000);
    assert.deepEqual(recovered, []);
    await clock.advance(1_000);
    assert.deepEqual(recovered, ['agent:main:a']);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['armed', 'acting', 'disarmed', 'acted'],
    );
    dog.dispose();
  });

  it('does not act early when the timer fires before the threshold is reached', async () => {
    const { clock, f, events, recovered, dog } = setup(
      { 'agent:main:a': 'running' },
      { thresholdMs: 3_000 },
      () => 'idle',
      1,
    );
    f.change('agent:main:a', 'stalled');
    await clock.advance(2_999);
    assert.deepEqual(recovered, [], 'acted 1 ms before the threshold');
    await clock.advance(1);
    assert.deepEqual(recovered, ['agent:main:a']);
    const acting = events.find((e) => e.kind === 'acting') as Extract<WatchdogEvent, { kind: 'acting' }>;
    assert.ok(acting.sinceMs >= 3_000, `acted after ${acting.sinceMs} ms`);
    dog.dispose();
  });

  it('forgets a session that recovers on its own before the threshold', async () => {
    const { clock, f, events, recovered, dog } = setup({ 'agent:main:a': 'stale' }, {});
    await clock.advance(30_000);
    f.change('agent:main:a', 'idle');
    await clock.advance(60_000);
    assert.deepEqual(recovered, []);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['armed', 'disarmed'],
    );
    dog.dispose();
  });

  it('keeps the first "since" when stalled turns stuck', async () => {
    const { clock, f, recovered, dog } = setup({ 'agent:main:a': 'stalled' }, {});
    await clock.advance(40_000);
    f.change('agent:main:a', 'stuck');
    await clock.advance(20_000);
    assert.deepEqual(recovered, ['agent:main:a']);
    dog.dispose();
  });

  it('never acts on an excluded session, and says so once', async () => {
    const { clock, events, recovered, dog } = setup(
      { 'agent:main:main': 'stalled', 'agent:ops:x': 'stalled' },
      { exclude: ['agent:main:main', 'agent:ops:*'] },
    );
    await clock.advance(10 * 60_000);
    assert.deepEqual(recovered, []);
    const skipped = events.filter((e) => e.kind === 'skipped');
    assert.equal(skipped.length, 2);
    assert.match((skipped[0] as any).reason, /excluded by "agent:main:main"/);
    assert.match((skipped[1] as any).reason, /excluded by "agent:ops:\*"/);
    dog.dispose();
  });

  it('respects the cool-down and the hourly rate limit when recovery does not stick', async () => {
    // Recovery "frees" nothing: the session stays stalled.
    const { clock, events, recovered, dog } = setup(
      { 'agent:main:a': 'stalled' },
      { maxActionsPerHour: 2, cooldownMs: 5 * 60_000 },
      () => 'stalled',
    );
    await clock.advance(60_000);
    assert.equal(recovered.length, 1);
    await clock.advance(4 * 60_000); // threshold passed again, but within the cool-down
    assert.equal(recovered.length, 1);
    await clock.advance(60_000); // cool-down over
    assert.equal(recovered.length, 2);
    await clock.advance(30 * 60_000); // 2 in the last hour: rate-limited
    assert.equal(recovered.length, 2);
    const limited = events.filter(
      (e) => e.kind === 'skipped' && /rate limit: 2 action\(s\) in the last hour \(max 2\)/.test(e.reason),
    );
    assert.equal(limited.length, 1, 'the rate limit is reported once');
    await clock.advance(25 * 60_000); // the first action left the hour window
    assert.equal(recovered.length, 3);
    dog.dispose();
  });

  it('retries a failed recovery after the cool-down, and every failure event carries its cause', async () => {
    // Issue 12: recoveries that threw (their operator connection could not be prepared) were never retried.
    let attempt = 0;
    const { clock, events, recovered, dog } = setup(
      { 'agent:main:a': 'stalled' },
      { thresholdMs: 120_000, cooldownMs: 60_000, maxActionsPerHour: 3 },
      () =>
        ++attempt === 1
          ? new Error('not connected within 60 s (could not prepare the connect request: ENOENT: rename x.tmp)')
          : 'idle',
    );
    await clock.advance(120_000);
    assert.equal(recovered.length, 1);
    const failed = events.find((e) => e.kind === 'failed') as Extract<WatchdogEvent, { kind: 'failed' }>;
    assert.ok(failed, `no failed event: ${events.map((e) => e.kind).join(', ')}`);
    assert.match(failed.error, /could not prepare the connect request: ENOENT/);
    // Nothing was done to the session, so it is not made to wait a whole threshold again: only the cool-down.
    assert.equal(
      failed.retryAt,
      1_000_000 + 120_000 + 60_000,
      'the failed event says when it will be retried (after the cool-down)',
    );
    assert.equal(failed.attemptsInLastHour, 1, 'a failed attempt counts toward the hourly limit');
    await clock.advance(59_000); // within the cool-down: no retry yet
    assert.equal(recovered.length, 1);
    await clock.advance(1_000); // cool-down over, the session is still stalled: retried (not a threshold later)
    assert.equal(recovered.length, 2);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['armed', 'acting', 'failed', 'acting', 'disarmed', 'acted'],
    );
    dog.dispose();
  });

  it('a failed attempt counts toward the hourly limit, and a rate-limited retry says when it will be', async () => {
    const { clock, events, recovered, dog } = setup(
      { 'agent:main:a': 'stalled' },
      { thresholdMs: 30_000, cooldownMs: 60_000, maxActionsPerHour: 2 },
      () => new Error('boom'),
    );
    await clock.advance(10 * 60_000);
    assert.equal(recovered.length, 2, 'two attempts, then the hourly limit');
    const failed = events.filter((e): e is Extract<WatchdogEvent, { kind: 'failed' }> => e.kind === 'failed');
    assert.equal(failed.length, 2);
    assert.equal(failed[0].retryAt, 1_000_000 + 30_000 + 60_000);
    assert.equal(
      failed[1].retryAt,
      1_000_000 + 30_000 + 60 * 60_000,
      'the second failure is retried once the first attempt leaves the hour',
    );
    assert.equal(events.filter((e) => e.kind === 'skipped' && /rate limit/.test(e.reason)).length, 1);
    dog.dispose();
  });

  it('after a failure: no retry once the session is no longer wedged, and never sooner than 10 s with a cool-down of 0', async () => {
    const a = setup(
      { 'agent:main:a': 'stalled' },
      { thresholdMs: 30_000, cooldownMs: 0, maxActionsPerHour: 60 },
      () => new Error('boom'),
    );
    await a.clock.advance(30_000);
    assert.equal(a.recovered.length, 1);
    assert.equal(
      (a.events.find((e) => e.kind === 'failed') as Extract<WatchdogEvent, { kind: 'failed' }>).retryAt,
      1_000_000 + 30_000 + 10_000,
    );
    await a.clock.advance(9_999);
    assert.equal(a.recovered.length, 1, 'a failing connect is not retried in a tight loop');
    await a.clock.advance(1);
    assert.equal(a.recovered.length, 2);
    a.dog.dispose();

    const b = setup(
      { 'agent:main:a': 'stalled' },
      { thresholdMs: 30_000, cooldownMs: 60_000 },
      () => new Error('boom'),
    );
    await b.clock.advance(30_000);
    b.f.change('agent:main:a', 'idle'); // it came back on its own
    await b.clock.advance(10 * 60_000);
    assert.equal(b.recovered.length, 1);
    assert.deepEqual(
      b.events.map((e) => e.kind),
      ['armed', 'acting', 'failed', 'disarmed'],
    );
    b.dog.dispose();
  });

  it('a failed attempt goes to the audit trail with its cause and when it is retried (as WatchdogHost and lanewatch watch record it)', async () => {
    // WatchdogHost needs vscode, so this drives the same mapping it uses: watchdogAuditEntry for every event.
    const lines: string[] = [];
    const { clock, events, dog } = setup(
      { 'agent:main:a': 'stalled' },
      { thresholdMs: 30_000, cooldownMs: 60_000 },
      () =>
        new Error(
          "connect: could not prepare the connect request: ENOENT: no such file or directory, rename 'x.json.7148.tmp' -> 'x.json'",
        ),
    );
    const audit = new AuditTrail((_e, line) => lines.push(line), 100, clock.now);
    await clock.advance(30_000);
    for (const e of events) {
      const entry = watchdogAuditEntry(e);
      if (entry) audit.record(entry);
    }
    assert.equal(lines.length, 1, `only the outcome is audited: ${lines.join(' | ')}`);
    assert.equal(
      lines[0],
      `audit gateway=gw session=agent:main:a call=watchdog recover outcome=failed — connect: could not prepare the connect request: ENOENT: no such file or directory, rename 'x.json.7148.tmp' -> 'x.json' (attempt 1 in the last hour, counted toward the limit; tried again at ${new Date(1_000_000 + 90_000).toISOString()} if still stalled)`,
    );
    assert.deepEqual(
      watchdogAuditEntry({ kind: 'skipped', gateway: 'gw', key: 'k', state: 'stuck', reason: 'excluded by "k"' }),
      { gateway: 'gw', session: 'k', call: 'watchdog recover', outcome: 'skipped', detail: 'excluded by "k"' },
    );
    assert.equal(watchdogAuditEntry({ kind: 'armed', gateway: 'gw', key: 'k', state: 'stuck', actAt: 1 }), undefined);
    dog.dispose();
  });

  it('ignores unverified and unknown statuses', async () => {
    const { clock, recovered, dog } = setup({ 'agent:main:a': 'unknown' }, { states: ['stalled', 'stuck', 'stale'] });
    await clock.advance(10 * 60_000);
    assert.deepEqual(recovered, []);
    dog.dispose();
  });

  it('validates rules with a message per problem', () => {
    assert.deepEqual(validateWatchdogRules({ states: ['stalled', 'bogus'], thresholdMs: -1, exclude: [3] }).problems, [
      'states must be a non-empty list of stuck, stalled, stale, no-progress, long-running, running, queued',
      'thresholdMs must be a number from 1000 to 604800000',
      'exclude must be a list of session keys or patterns',
    ]);
    assert.equal(validateWatchdogRules({}).rules.thresholdMs, 600_000);
    assert.equal(excludedBy('agent:main:x', ['agent:*:x']), 'agent:*:x');
    assert.equal(excludedBy('agent:main:xy', ['agent:main:x']), undefined);
  });

  it('lanewatch watch parses its rules; actions need exactly one session key', () => {
    const p = parseArgs([
      'watch',
      '--states',
      'running,stalled',
      '--threshold-seconds',
      '5',
      '--max-per-hour',
      '1',
      '--cooldown-seconds',
      '0',
      '--exclude',
      'agent:main:main',
    ]);
    assert.deepEqual(p.watch, {
      states: ['running', 'stalled'],
      thresholdMs: 5000,
      maxActionsPerHour: 1,
      cooldownMs: 0,
      exclude: ['agent:main:main'],
    });
    assert.throws(() => parseArgs(['recover']), /exactly one session key/);
    assert.throws(() => parseArgs(['abort', 'a', 'b']), /exactly one session key/);
    assert.throws(() => parseArgs(['reset', 'k', '--gateway', 'ws://a:1', '--gateway', 'ws://b:1']), /one gateway/);
    assert.equal(parseArgs(['abort', 'k', '--clear-queue', '--yes']).clearQueue, true);
  });
});
