// What the lane status says about a live run, for the readers that act on it or show it: recovery (protocol 3 rows
// cannot say whether a run is active), test send and the transcript. The lane state is typed, never a display string.
import type { LaneState } from './laneStatus';

/**
 * Live-run evidence from outside an action's own connection: the watcher's lane status (run events it saw, the
 * gateway's diagnostic log lines, restarts).
 */
export interface RunEvidence {
  /** true: a run is evidently alive; false: evidently none; undefined: cannot tell (e.g. "running (unverified)"). */
  live: boolean | undefined;
  runId?: string;
  /** When the run started, when known. */
  startedAt?: number;
  /** The lane status behind the evidence. */
  lane: { state: LaneState; verified: boolean };
  /** The first fact behind the status, quoted in reports. */
  why: string;
  /** The version rule behind the status (e.g. p3.unverified), when a fact names one. */
  rule?: string;
}

export interface RunEvidenceSource {
  read(key: string): RunEvidence | undefined;
  /** Fires when the evidence may have changed (re-read then). */
  onDidChange(listener: () => void): { dispose(): void };
  /**
   * A reader that asked chat.history itself (the transcript panel, on every change of its session) hands the queue
   * count it read to the one session state, so the tree and the CLI count what the panel lists.
   */
  notePendingInputs?(key: string, count: number): void;
}

/** "running (unverified)", "stalled": the lane state as the tree words it. */
export function laneWords(lane: RunEvidence['lane']): string {
  return `${lane.state}${lane.verified ? '' : ' (unverified)'}`;
}
