// The watchdog: when a session stays in a wedged state (stalled, stuck, stale by default) past a threshold, run
// the recovery ladder on it — at most N times per hour per session, with a cool-down after each action, never on
// excluded sessions. What users' cron-and-grep scripts do, but on derived, verified status and with a report.
//
// Event-driven: a session is armed when it enters a watched state (from the fleet's change events) and a timer
// fires when its threshold passes; nothing polls. "Since" is when this watchdog first saw the state, so a
// restart of the watchdog never acts on a session it has not itself watched for the full threshold.
import type { AuditEntry } from '../actions/auditTrail';
import { cronJobOfSessionKey } from '../fleet/cronJobs';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { declaredParent } from '../fleet/sessionFamily';
import type { LaneState } from '../lanes/laneStatus';
import type { RecoveryReport } from '../actions/recovery';

export interface WatchdogRules {
  states: LaneState[];
  thresholdMs: number;
  maxActionsPerHour: number;
  cooldownMs: number;
  /** Session keys never acted on: exact keys, or patterns with `*` (e.g. "agent:main:main", "agent:ops:*"). */
  exclude: string[];
  /**
   * Act on subagent sessions (rows that name a parent: parentSessionKey / spawnedBy). Default on: a wedged subagent
   * blocks the parent that waits on it (whose own lane is free, so the watchdog never arms it), and recovering the
   * subagent is the least destructive way to give the parent its turn back. Unset: on.
   */
  subagents?: boolean;
  /**
   * Act on cron sessions (`agent:<id>:cron:<jobId>`, `…:run:<id>`). Default on: a cron run wedged past the threshold
   * holds the scheduler's lane (with maxConcurrentRuns 1, every job), and its zombie rows are among the field's
   * reports. Off for operators who leave cron runs to the scheduler's own timeouts (each abort counts as a failed run
   * toward its failure alerts and auto-disable). Unset: on.
   */
  cron?: boolean;
}

export const DEFAULT_WATCHDOG_RULES: Required<WatchdogRules> = {
  states: ['stalled', 'stuck', 'stale'],
  thresholdMs: 10 * 60_000,
  maxActionsPerHour: 2,
  cooldownMs: 5 * 60_000,
  exclude: [],
  subagents: true,
  cron: true,
};

/** A session's kind for the watchdog's cover rules: what its row and key say, never a guess from timing. */
export function sessionKindOf(
  key: string,
  row: Parameters<typeof declaredParent>[0] | undefined,
): {
  subagent: boolean;
  cron: boolean;
} {
  return {
    subagent: !!row && declaredParent(row) !== undefined,
    // The gateway's canonical cron keys are agent-scoped (verified on 2026.9.6); its docs also name the bare form.
    cron: cronJobOfSessionKey(key) !== undefined || key.startsWith('cron:'),
  };
}

/** Why the rules leave this session to others (subagents or cron not covered), or undefined. */
export function notCoveredBecause(
  rules: Pick<WatchdogRules, 'subagents' | 'cron'>,
  kind: { subagent: boolean; cron: boolean },
): string | undefined {
  if (kind.subagent && rules.subagents === false)
    return 'a subagent session, and the watchdog is set not to cover subagent sessions';
  if (kind.cron && rules.cron === false) return 'a cron session, and the watchdog is set not to cover cron sessions';
  return undefined;
}

export type WatchdogEvent =
  | { kind: 'armed'; gateway: string; key: string; state: LaneState; actAt: number }
  | { kind: 'disarmed'; gateway: string; key: string; state: LaneState }
  | { kind: 'skipped'; gateway: string; key: string; state: LaneState; reason: string; retryAt?: number }
  | { kind: 'acting'; gateway: string; key: string; state: LaneState; sinceMs: number }
  | { kind: 'acted'; gateway: string; key: string; state: LaneState; report: RecoveryReport }
  /**
   * The recovery threw (e.g. its operator connection could not be opened); `error` says why. It counts as an
   * action (`attemptsInLastHour` includes it): the ladder may have acted before it threw, and a gateway that keeps
   * failing must not be hit more often than the rules allow. If the session is still in a watched state at
   * `retryAt` (the cool-down, the hourly limit and at least FAILED_RETRY_MIN_MS), the watchdog tries again; the
   * threshold does not start over, as it does after a completed action.
   */
  | {
      kind: 'failed';
      gateway: string;
      key: string;
      state: LaneState;
      error: string;
      attemptsInLastHour: number;
      retryAt: number;
    };

/** A failed attempt is retried no sooner than this, even with a cool-down of 0 (a failing connect fails at once). */
export const FAILED_RETRY_MIN_MS = 10_000;

/**
 * The audit line for a watchdog event, or undefined for events that are not audited (armed, disarmed, acting):
 * every outcome of an attempt (acted, failed with its cause) and every decision not to act (skipped, why). The
 * extension's WatchdogHost and `lanewatch watch` both record exactly these.
 */
export function watchdogAuditEntry(e: WatchdogEvent): Omit<AuditEntry, 'time'> | undefined {
  const base = { gateway: e.gateway, session: e.key, call: 'watchdog recover' };
  switch (e.kind) {
    case 'acted':
      return { ...base, outcome: e.report.verdict, detail: e.report.summary };
    case 'failed':
      return { ...base, outcome: 'failed', detail: `${e.error} (${watchdogRetryText(e)})` };
    case 'skipped':
      return { ...base, outcome: 'skipped', detail: e.reason };
    default:
      return undefined;
  }
}

/** "attempt 1 in the last hour, counted toward the limit; tried again at … if still stalled". */
export function watchdogRetryText(e: Extract<WatchdogEvent, { kind: 'failed' }>): string {
  return `attempt ${e.attemptsInLastHour} in the last hour, counted toward the limit; tried again at ${new Date(e.retryAt).toISOString()} if still ${e.state}`;
}

export interface WatchdogFleet {
  gateways(): GatewayWatcher[];
  gateway(name: string): GatewayWatcher | undefined;
  onDidChange(listener: (c: { gateway?: string; what: string; keys?: string[] }) => void): { dispose(): void };
}

export interface WatchdogOptions {
  rules: WatchdogRules;
  recover: (watcher: GatewayWatcher, key: string) => Promise<RecoveryReport>;
  onEvent: (e: WatchdogEvent) => void;
  now?: () => number;
  /** Injected for tests (fake clocks). */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

interface Tracked {
  state: LaneState;
  since: number;
  timer?: { cancel(): void };
  skippedFor?: string;
}

const HOUR = 60 * 60_000;

export function validateWatchdogRules(raw: Partial<Record<keyof WatchdogRules, unknown>>): {
  rules: WatchdogRules;
  problems: string[];
} {
  const problems: string[] = [];
  const rules = { ...DEFAULT_WATCHDOG_RULES };
  const allowed: LaneState[] = ['stuck', 'stalled', 'stale', 'no-progress', 'long-running', 'running', 'queued'];
  if (raw.states !== undefined) {
    const states = Array.isArray(raw.states)
      ? raw.states.filter((s): s is LaneState => typeof s === 'string' && (allowed as string[]).includes(s))
      : [];
    if (!Array.isArray(raw.states) || states.length !== raw.states.length || !states.length)
      problems.push(`states must be a non-empty list of ${allowed.join(', ')}`);
    if (states.length) rules.states = states;
  }
  const num = (key: 'thresholdMs' | 'maxActionsPerHour' | 'cooldownMs', min: number, max: number) => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      problems.push(`${key} must be a number from ${min} to ${max}`);
      return;
    }
    rules[key] = v;
  };
  num('thresholdMs', 1_000, 7 * 24 * HOUR);
  num('maxActionsPerHour', 0, 60);
  num('cooldownMs', 0, 24 * HOUR);
  if (raw.exclude !== undefined) {
    if (!Array.isArray(raw.exclude) || raw.exclude.some((x) => typeof x !== 'string'))
      problems.push('exclude must be a list of session keys or patterns');
    else rules.exclude = raw.exclude as string[];
  }
  for (const key of ['subagents', 'cron'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') problems.push(`${key} must be true or false`);
    else rules[key] = v;
  }
  return { rules, problems };
}

export function excludedBy(key: string, patterns: readonly string[]): string | undefined {
  return patterns.find((p) =>
    p.includes('*')
      ? new RegExp(
          `^${p
            .split('*')
            .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        ).test(key)
      : p === key,
  );
}

export class Watchdog {
  private readonly tracked = new Map<string, Tracked>();
  private readonly actions = new Map<string, number[]>();
  private readonly inFlight = new Set<string>();
  private readonly sub: { dispose(): void };
  private readonly now: () => number;
  private readonly setTimer: NonNullable<WatchdogOptions['setTimer']>;
  private disposed = false;

  constructor(
    private readonly fleet: WatchdogFleet,
    private readonly opts: WatchdogOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, Math.max(0, ms));
        return { cancel: () => clearTimeout(t) };
      });
    this.sub = fleet.onDidChange((c) => this.onChange(c));
    for (const w of fleet.gateways()) this.evaluateGateway(w);
  }

  get rules(): WatchdogRules {
    return this.opts.rules;
  }

  /** Sessions armed now, with the time the watchdog will act (for the UI and tests). */
  armed(): Array<{ gateway: string; key: string; state: LaneState; since: number }> {
    return [...this.tracked.entries()].map(([id, t]) => {
      const [gateway, key] = split(id);
      return { gateway, key, state: t.state, since: t.since };
    });
  }

  actionsInLastHour(gateway: string, key: string): number {
    return (this.actions.get(id(gateway, key)) ?? []).filter((t) => t > this.now() - HOUR).length;
  }

  private onChange(c: { gateway?: string; what: string; keys?: string[] }): void {
    if (this.disposed || c.what === 'logs' || c.what === 'lanes' || c.what === 'agents') return;
    if (!c.gateway) {
      for (const w of this.fleet.gateways()) this.evaluateGateway(w);
      this.forgetRemovedGateways();
      return;
    }
    const w = this.fleet.gateway(c.gateway);
    if (!w) return;
    if (c.keys) for (const k of c.keys) this.evaluate(w, k);
    else this.evaluateGateway(w);
  }

  private forgetRemovedGateways(): void {
    for (const [key, t] of this.tracked)
      if (!this.fleet.gateway(split(key)[0])) {
        t.timer?.cancel();
        this.tracked.delete(key);
      }
  }

  private evaluateGateway(w: GatewayWatcher): void {
    const keys = new Set(w.sessionRows().map((r) => r.key));
    for (const k of keys) this.evaluate(w, k);
    for (const tid of [...this.tracked.keys()]) {
      const [g, k] = split(tid);
      if (g === w.name && !keys.has(k)) this.disarm(w.name, k, this.tracked.get(tid)!.state);
    }
  }

  private evaluate(w: GatewayWatcher, key: string): void {
    const tid = id(w.name, key);
    const status = w.laneStatus(key);
    const watched = this.opts.rules.states.includes(status.state) && status.verified;
    const t = this.tracked.get(tid);
    if (!watched) {
      if (t) this.disarm(w.name, key, t.state);
      return;
    }
    if (t) {
      t.state = status.state;
      return;
    } // still wedged (maybe stalled → stuck): keep the original "since"
    const since = this.now();
    this.tracked.set(tid, { state: status.state, since });
    const actAt = since + this.opts.rules.thresholdMs;
    this.schedule(tid, actAt);
    this.opts.onEvent({ kind: 'armed', gateway: w.name, key, state: status.state, actAt });
  }

  private disarm(gateway: string, key: string, state: LaneState): void {
    const tid = id(gateway, key);
    const t = this.tracked.get(tid);
    if (!t) return;
    t.timer?.cancel();
    this.tracked.delete(tid);
    this.opts.onEvent({ kind: 'disarmed', gateway, key, state });
  }

  private schedule(tid: string, at: number): void {
    const t = this.tracked.get(tid);
    if (!t) return;
    t.timer?.cancel();
    t.timer = this.setTimer(() => {
      void this.due(tid);
    }, at - this.now());
  }

  private async due(tid: string): Promise<void> {
    const t = this.tracked.get(tid);
    if (!t || this.disposed || this.inFlight.has(tid)) return;
    const [gateway, key] = split(tid);
    const w = this.fleet.gateway(gateway);
    if (!w) return;
    const status = w.laneStatus(key);
    if (!this.opts.rules.states.includes(status.state) || !status.verified) {
      this.disarm(gateway, key, t.state);
      return;
    }
    const now = this.now();
    // setTimeout may fire a millisecond before Date.now() reaches the due time (its clock is not Date's): never act
    // before the session has been wedged for the whole threshold, which is the promise the setting makes.
    if (now < t.since + this.opts.rules.thresholdMs) {
      this.schedule(tid, t.since + this.opts.rules.thresholdMs);
      return;
    }
    const skip = (reason: string, retryAt?: number) => {
      // Say it once per reason, not on every re-check.
      if (t.skippedFor !== reason)
        this.opts.onEvent({ kind: 'skipped', gateway, key, state: status.state, reason, retryAt });
      t.skippedFor = reason;
      if (retryAt !== undefined) this.schedule(tid, retryAt);
    };
    const excluded = excludedBy(key, this.opts.rules.exclude);
    if (excluded) {
      skip(`excluded by "${excluded}"`);
      return;
    }
    // Read once per due session (not per change): a scan of the rows is cheap at that rate.
    const row = w.sessionRows().find((r) => r.key === key);
    const notCovered = notCoveredBecause(this.opts.rules, sessionKindOf(key, row));
    if (notCovered) {
      skip(notCovered);
      return;
    }
    const history = (this.actions.get(tid) ?? []).filter((x) => x > now - HOUR);
    this.actions.set(tid, history);
    const last = history.at(-1);
    if (last !== undefined && now < last + this.opts.rules.cooldownMs) {
      skip(
        `cooling down until ${new Date(last + this.opts.rules.cooldownMs).toISOString()}`,
        last + this.opts.rules.cooldownMs,
      );
      return;
    }
    if (history.length >= this.opts.rules.maxActionsPerHour) {
      skip(
        `rate limit: ${history.length} action(s) in the last hour (max ${this.opts.rules.maxActionsPerHour})`,
        history[0] + HOUR,
      );
      return;
    }
    t.skippedFor = undefined;
    history.push(now);
    this.inFlight.add(tid);
    this.opts.onEvent({ kind: 'acting', gateway, key, state: status.state, sinceMs: now - t.since });
    let retryAfterFailure: number | undefined;
    try {
      const report = await this.opts.recover(w, key);
      if (!this.disposed) this.opts.onEvent({ kind: 'acted', gateway, key, state: status.state, report });
    } catch (err) {
      const failedAt = this.now();
      // The next time the rules allow an attempt; `due` checks them again then (and says so if it still cannot act).
      retryAfterFailure = Math.max(now + this.opts.rules.cooldownMs, failedAt + FAILED_RETRY_MIN_MS);
      const recent = history.filter((x) => x > failedAt - HOUR);
      const max = this.opts.rules.maxActionsPerHour;
      const retryAt =
        recent.length >= max ? Math.max(retryAfterFailure, recent[recent.length - max] + HOUR) : retryAfterFailure;
      if (!this.disposed)
        this.opts.onEvent({
          kind: 'failed',
          gateway,
          key,
          state: status.state,
          error: errorText(err),
          attemptsInLastHour: recent.length,
          retryAt,
        });
    } finally {
      this.inFlight.delete(tid);
    }
    if (this.disposed) return;
    const after = this.tracked.get(tid);
    if (after && retryAfterFailure !== undefined) {
      // Nothing is known to have changed: the session has been wedged past its threshold already, so it is tried
      // again once the cool-down allows (issue 12: a failed attempt waited a whole new threshold).
      this.schedule(tid, retryAfterFailure);
    } else if (after) {
      // Start over: if the session is still (or again) wedged, it must stay so for a full threshold again.
      after.since = this.now();
      this.schedule(
        tid,
        Math.max(after.since + this.opts.rules.thresholdMs, (history.at(-1) ?? 0) + this.opts.rules.cooldownMs),
      );
    }
    this.evaluate(w, key);
  }

  dispose(): void {
    this.disposed = true;
    this.sub.dispose();
    for (const t of this.tracked.values()) t.timer?.cancel();
    this.tracked.clear();
  }
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)) || 'unknown error';
const id = (gateway: string, key: string) => `${gateway}\u0000${key}`;
const split = (tid: string): [string, string] => {
  const i = tid.indexOf('\u0000');
  return [tid.slice(0, i), tid.slice(i + 1)];
};
