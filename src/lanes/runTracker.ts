// Live runs per session, from the events the gateway broadcasts to every operator socket:
// `agent` lifecycle start → end/error, and `chat` final/aborted/error. This is the only live-run signal on
// protocol 3 gateways (their rows keep status "running" after aborts, timeouts, resets and restarts), and a
// cross-check on protocol 4. A run whose start this socket did not see is "unverified".
import type { EventFrame } from '../gateway';
import { decodeRunEvent } from './runEvent';

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

export class RunTracker {
  private readonly runs = new Map<string, TrackedRun>();
  private readonly lastEnd = new Map<string, RunEnd>();

  constructor(private readonly maxRuns = 2_000) {}

  /** Returns the session key the event was about when it changed what we know. */
  apply(frame: EventFrame, now = Date.now()): string | undefined {
    const ev = decodeRunEvent(frame);
    if (!ev) return undefined;
    switch (ev.kind) {
      case 'start':
        this.runs.set(ev.runId, {
          runId: ev.runId,
          sessionKey: ev.sessionKey,
          startedAt: ev.startedAt ?? now,
          lastEventAt: now,
          observedStart: true,
        });
        this.bound();
        return ev.sessionKey;
      case 'end':
        // The lifecycle end is the run's own; a chat end counts for a run this socket follows (it may be the only end
        // a late joiner sees).
        if (ev.source === 'chat' && !this.runs.has(ev.runId)) return undefined;
        return this.end({
          runId: ev.runId,
          sessionKey: ev.sessionKey,
          at: now,
          outcome: ev.outcome,
          detail: ev.detail,
        });
      case 'queued-ack':
        return undefined;
      case 'output':
      case 'phase':
        this.touch(ev.runId, ev.sessionKey, now);
        return undefined;
      case 'activity':
        // Tool and other agent streams show the run alive; chat frames of other states do not start one.
        if (ev.source === 'agent') this.touch(ev.runId, ev.sessionKey, now);
        return undefined;
    }
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
