// The one decoder of the gateway's run events (`agent` and `chat`), for everything that follows runs: the lane
// status (RunTracker), the transcript and recovery's watch of its own action. They used to decode these events each on
// their own and disagreed on what a `chat final` means.
//
// What the gateway sends for one run (2026.3.24 … 2026.9.6, test/fixtures/captured):
//   agent lifecycle start → agent assistant / run_status / tool … → chat delta … → agent lifecycle end|error
//   (`data.aborted: true` on an abort) and chat final (with the reply) | aborted | error.
//   A chat.send that is queued behind a running turn gets an immediate `chat final` WITHOUT a message for its own
//   runId: an acknowledgement that the input is queued, not the end of a run.
import type { EventFrame } from '../gateway';
import { MAX_SESSION_KEY_LENGTH } from '../fleet/wireGuards';

export type RunOutcome = 'done' | 'aborted' | 'error';

interface RunEventBase {
  runId: string;
  sessionKey: string;
  /** Which frame it came from: the lifecycle (agent) and the chat stream can both end a run. */
  source: 'agent' | 'chat';
}

export type RunEvent =
  | (RunEventBase & { kind: 'start'; startedAt?: number })
  | (RunEventBase & { kind: 'end'; outcome: RunOutcome; detail?: string; stopReason?: string })
  /** The gateway took an input up as queued (chat final without a message for the input's own runId). */
  | (RunEventBase & { kind: 'queued-ack' })
  /** Model output: assistant text (full so far) or a chat delta. */
  | (RunEventBase & { kind: 'output'; text?: string; deltaText?: string; message?: unknown })
  /** A phase of the run (lifecycle phases other than start/end, run_status, chat status). */
  | (RunEventBase & {
      kind: 'phase';
      /** lifecycle or run_status (agent); undefined for a chat status. */
      stream?: 'lifecycle' | 'run_status';
      phase?: string;
      retryAttempt?: number;
      maxRetries?: unknown;
    })
  /** Anything else about a run (tool events, …): it is alive. */
  | (RunEventBase & { kind: 'activity'; stream?: string });

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The run event in an `agent` or `chat` frame; undefined for anything else, or without a usable runId/sessionKey. */
export function decodeRunEvent(frame: Pick<EventFrame, 'event' | 'payload'>): RunEvent | undefined {
  if (frame.event !== 'agent' && frame.event !== 'chat') return undefined;
  const p = rec(frame.payload);
  const runId = typeof p.runId === 'string' && p.runId && p.runId.length <= 256 ? p.runId : undefined;
  const sessionKey =
    typeof p.sessionKey === 'string' && p.sessionKey && p.sessionKey.length <= MAX_SESSION_KEY_LENGTH
      ? p.sessionKey
      : undefined;
  if (!runId || !sessionKey) return undefined;
  const base = { runId, sessionKey, source: frame.event } as const;
  if (frame.event === 'agent') {
    const data = rec(p.data);
    const phase = str(data.phase);
    if (p.stream === 'lifecycle') {
      if (phase === 'start') return { ...base, kind: 'start', startedAt: num(data.startedAt) };
      if (phase === 'end' || phase === 'error')
        return {
          ...base,
          kind: 'end',
          outcome: data.aborted === true ? 'aborted' : phase === 'error' ? 'error' : 'done',
          detail: str(data.error),
          stopReason: str(data.stopReason),
        };
      return { ...base, kind: 'phase', stream: 'lifecycle', phase };
    }
    if (p.stream === 'assistant') return { ...base, kind: 'output', text: str(data.text) };
    if (p.stream === 'run_status')
      return {
        ...base,
        kind: 'phase',
        stream: 'run_status',
        phase,
        retryAttempt: num(data.retryAttempt),
        maxRetries: data.maxRetries,
      };
    return { ...base, kind: 'activity', stream: str(p.stream) };
  }
  switch (p.state) {
    case 'final':
      return p.message === undefined ? { ...base, kind: 'queued-ack' } : { ...base, kind: 'end', outcome: 'done' };
    case 'aborted':
      return { ...base, kind: 'end', outcome: 'aborted', stopReason: str(p.stopReason) };
    case 'error':
      return { ...base, kind: 'end', outcome: 'error', detail: str(p.errorMessage) };
    case 'delta':
      return { ...base, kind: 'output', deltaText: str(p.deltaText), message: p.message };
    case 'status':
      return { ...base, kind: 'phase', phase: str(p.phase) };
    default:
      return { ...base, kind: 'activity' };
  }
}
