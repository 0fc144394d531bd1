// chat.history's `pendingInputs`, read as the gateway means it. One decoder for the watcher (the queue count in the
// tree, status bar and CLI), recovery's read-back and the transcript panel, so they cannot disagree.
//
// The protocol (@openclaw/gateway-protocol 2026.9.1, ChatHistory*Result.pendingInputs) lists at most 20 items, each
// with `state` "queued" | "cancelled" | "interrupted", and a `total` that counts every listed-or-not item whatever
// its state. Only "queued" items are still waiting to run: after sessions.abort on 2026.9.6 the gateway keeps the
// inputs it cancelled in the list as "cancelled", with `total` unchanged. Counting `total` (as Lanewatch did) showed
// a phantom "2 queued" for good and made recovery reset sessions that an abort had already freed.
import type { ChatHistoryResultView } from '../gateway';

/** The one state that means "still waiting to run". An item without a state predates the field (queued then). */
export const WAITING_PENDING_STATE = 'queued';

export interface PendingInputsView {
  /** Items waiting to run, among those listed. */
  waiting: number;
  /** Listed items no longer waiting, by state (cancelled, interrupted, …): history, not queue. */
  finished: Record<string, number>;
  /** Items the gateway counts in `total` but did not list (their states are unknown). */
  unlisted: number;
  /** The listed items, as the gateway sent them. */
  items: NonNullable<ChatHistoryResultView['pendingInputs']>['items'];
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export const isWaitingPendingInput = (item: { state?: unknown } | undefined): boolean =>
  !!item && (item.state === undefined || item.state === WAITING_PENDING_STATE);

/**
 * How many inputs wait behind the run: the waiting ones listed, plus those counted but not listed unless the list
 * already shows finished ones (then the unlisted are of unknown state, and not counted as waiting). The one count the
 * tree, the CLI and the transcript panel show.
 */
export function queuedCount(view: PendingInputsView): number {
  return view.waiting + (Object.keys(view.finished).length ? 0 : view.unlisted);
}

/**
 * Decodes a `pendingInputs` value. Undefined when the answer has none (protocol 3) or it is unusable; `problems`
 * says why in the latter case.
 */
export function readPendingInputs(raw: unknown): { value?: PendingInputsView; problems: string[] } {
  if (raw === undefined) return { problems: [] };
  if (!isRecord(raw))
    return {
      problems: [`pendingInputs is ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}; ignored`],
    };
  const problems: string[] = [];
  const listed = Array.isArray(raw.items) ? raw.items : undefined;
  if (!listed && raw.items !== undefined) problems.push('pendingInputs.items is not a list; ignored');
  const items = (listed ?? []).filter(isRecord) as PendingInputsView['items'];
  if (listed && items.length !== listed.length)
    problems.push(`pendingInputs: ${listed.length - items.length} item(s) are not objects; ignored`);
  const total = typeof raw.total === 'number' && Number.isInteger(raw.total) && raw.total >= 0 ? raw.total : undefined;
  if (raw.total !== undefined && total === undefined)
    problems.push('pendingInputs.total is not a whole number; counted the items instead');
  if (!listed && total === undefined) return { problems: [...problems, 'pendingInputs has no usable total or items'] };
  let waiting = 0;
  const finished: Record<string, number> = {};
  for (const item of items) {
    if (isWaitingPendingInput(item)) waiting++;
    else {
      const s = typeof item.state === 'string' ? item.state.slice(0, 40) : 'unknown';
      finished[s] = (finished[s] ?? 0) + 1;
    }
  }
  return {
    value: { waiting, finished, unlisted: Math.max(0, (total ?? items.length) - items.length), items },
    problems,
  };
}

/** "2 cancelled, 1 interrupted" — what became of inputs that are no longer waiting. */
export function describeFinished(finished: Readonly<Record<string, number>>): string {
  return Object.entries(finished)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
}
