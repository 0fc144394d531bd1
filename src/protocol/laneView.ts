// A session's lane status as every view shows it, with the age left to the view so it can tick: the tree builds
// "running 3m07s · 2 queued" from it when a row is drawn, the transcript webview once a second. Produced only by
// sessionLaneView() (src/report/describe.ts) from the one LaneStatus the fleet watcher derives; here, beside the
// duration format and nothing else, so the webview bundle can render it.
import { formatDuration } from './duration';

export interface SessionLaneView {
  state: 'stuck' | 'stalled' | 'no-progress' | 'long-running' | 'stale' | 'running' | 'queued' | 'idle' | 'unknown';
  verified: boolean;
  /** "running (unverified)", "stalled", "no progress for", "stale: row says running, no run", "idle". */
  head: string;
  /** The age (now − since) goes right after `head`. */
  aged: boolean;
  /** What the age counts from: the run's start, or for "no progress" its last event. */
  since?: number;
  /** What follows, joined with " · ": the kind of work, "2 queued", "last run failed". */
  rest: string[];
  /** A codicon id. */
  icon: string;
  queued: number;
  startedAt?: number;
  runId?: string;
}

/** "running 3m07s · 2 queued" at `now` ("running 3m · 2 queued" when `coarse`: see formatDuration). */
export function laneText(lane: SessionLaneView, now: number, coarse = false): string {
  const age = lane.aged && lane.since !== undefined ? ` ${formatDuration(now - lane.since, coarse)}` : '';
  return [`${lane.head}${age}`, ...lane.rest].join(' · ');
}
