// Live runs per session, from the events the gateway broadcasts to every operator socket:
// `agent` lifecycle start → end/error, and `chat` final/aborted/error. This is the only live-run signal on
// protocol 3 gateways (their rows keep status "running" after aborts, timeouts, resets and restarts), and a
// cross-check on protocol 4. A run whose start this socket did not see is "unverified".
import type { EventFrame } from '../gateway';
import { MAX_SESSION_KEY_LENGTH } from '../fleet/wireGuards';

export interface TrackedRun {
  runId: string;
  sessionKey: string;
  startedAt: number;
  lastEventAt: number;
  /** true when this socket saw the lifecycle start (connected before the run began). */
  observedStart: boolean;
}

export interface RunEnd {
  runId: string;
  sessionKey: string;
  at: number;
  outcome: 'done' | 'aborted' | 'error';
  detail?: string;
}

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export class RunTracker {
  private readonly runs = new Map<string, TrackedRun>();
  private readonly lastEnd = new Map<string, RunEnd>();

  constructor(private readonly maxRuns = 2_000) {}

  /** Returns the session key the event was about when it changed what we know. */
  apply(frame: EventFrame, now = Date.now()): string | undefined {
    const p = rec(frame.payload);
    const runId = typeof p.runId === 'string' && p.runId.length <= 256 ? p.runId : undefined;
    const sessionKey =
      typeof p.sessionKey === 'string' && p.sessionKey.length <= MAX_SESSION_KEY_LENGTH ? p.sessionKey : undefined;
    if (!runId || !sessionKey) return undefined;
    if (frame.event === 'agent') {
      const data = rec(p.data);
      if (p.stream !== 'lifecycle') {
        this.touch(runId, sessionKey, now);
        return undefined;
      }
      if (data.phase === 'start') {
        this.runs.set(runId, {
          runId,
          sessionKey,
          startedAt: typeof data.startedAt === 'number' ? data.startedAt : now,
          lastEventAt: now,
          observedStart: true,
        });
        this.bound();
        return sessionKey;
      }
      if (data.phase === 'end' || data.phase === 'error') {
        return this.end({
          runId,
          sessionKey,
          at: now,
          outcome: data.aborted === true ? 'aborted' : data.phase === 'error' ? 'error' : 'done',
          detail: typeof data.error === 'string' ? data.error : undefined,
        });
      }
      this.touch(runId, sessionKey, now);
      return undefined;
    }
    if (frame.event === 'chat') {
      const state = p.state;
      // A queued input gets an immediate `final` without a message for its own runId; only a run we track ends here.
      if ((state === 'final' || state === 'aborted' || state === 'error') && this.runs.has(runId)) {
        return this.end({
          runId,
          sessionKey,
          at: now,
          outcome: state === 'final' ? 'done' : state === 'aborted' ? 'aborted' : 'error',
          detail: typeof p.errorMessage === 'string' ? p.errorMessage : undefined,
        });
      }
      if (state === 'delta' || state === 'status') this.touch(runId, sessionKey, now);
    }
    return undefined;
  }

  private touch(runId: string, sessionKey: string, now: number): void {
    const run = this.runs.get(runId);
    if (run) {
      run.lastEventAt = now;
      return;
    }
    // Output for a run whose start we did not see: it is alive, but we joined late.
    this.runs.set(runId, { runId, sessionKey, startedAt: now, lastEventAt: now, observedStart: false });
    this.bound();
  }

  private end(e: RunEnd): string {
    this.runs.delete(e.runId);
    this.lastEnd.delete(e.sessionKey); // re-insert: the map's order is the order of the latest end
    this.lastEnd.set(e.sessionKey, e);
    this.bound();
    return e.sessionKey;
  }

  /** Bounded memory: the oldest runs and run ends go first (a hostile gateway can invent any number of keys). */
  private bound(): void {
    while (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value as string);
    while (this.lastEnd.size > this.maxRuns) this.lastEnd.delete(this.lastEnd.keys().next().value as string);
  }

  get size(): { runs: number; ends: number } {
    return { runs: this.runs.size, ends: this.lastEnd.size };
  }

  activeRuns(sessionKey: string): TrackedRun[] {
    return [...this.runs.values()].filter((r) => r.sessionKey === sessionKey);
  }
  lastEnded(sessionKey: string): RunEnd | undefined {
    return this.lastEnd.get(sessionKey);
  }

  /** Forget everything: after a reconnect the events in between are lost, so only fresh observations count. */
  reset(): void {
    this.runs.clear();
  }
}
