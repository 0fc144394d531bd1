// Recovery that tells the truth: every action is a call, then a read-back of the session, and the report
// says what the gateway answered *and* what changed. "Aborted" is only reported when the run really ended.
// No `vscode` import: the commands adapt this to progress UI, confirmations and the audit log.
import type { EventFrame, GatewayApi, GatewayConnection, SessionRowView } from '../gateway';
import { GatewayRequestError } from '../gateway';
import { describeFinished, isWaitingPendingInput, readPendingInputs } from '../lanes/pendingInputs';
import { abortReachesAgentRuns, rowsReportActiveRuns } from '../gateway/versionRules';
import { decodeRunEvent } from '../lanes/runEvent';
import type { RunEvidence, RunEvidenceSource } from '../lanes/runEvidence';
import type { FamilyRecoveryResult } from './familyRecovery';

export type { RunEvidence, RunEvidenceSource } from '../lanes/runEvidence';

/** What Lanewatch knows about a session at one moment, read from the gateway. */
export interface SessionReadBack {
  exists: boolean;
  /** Protocol 4: from the row. Protocol 3: from run evidence (events, logs); undefined when nothing says. */
  activeRun?: boolean;
  /** false on protocol 3, whose rows keep "running" after runs end: `status` then proves nothing. */
  statusTrusted?: boolean;
  /** Protocol 3: where activeRun came from. */
  evidence?: RunEvidence;
  runIds: string[];
  /** Inputs waiting to run (chat.history pendingInputs items in state "queued"); undefined where not reported. */
  pending?: number;
  /** Inputs the gateway lists but will not run, by state (cancelled, interrupted): history, not queue. */
  notRun?: Record<string, number>;
  /** State of each listed pending input by id (what became of a queued input is read from this). */
  inputStates?: Record<string, string>;
  /** Run ids of the inputs waiting (2026.9.6 may name one of them in an abort's answer or as inFlightRun). */
  queuedRunIds?: string[];
  /** A run that started after the action's call and has not ended (the next queued input), seen on its connection. */
  nextRun?: { runId: string; progressed: boolean };
  /** Messages in the transcript (chat.history totalMessages, protocol 4). */
  messages?: number;
  status?: string;
  sessionId?: string;
  sessionStartedAt?: number;
  /**
   * 2026.9.x: the row's hasActiveSubagentRun. A parent whose turn ended in sessions_yield has no run of its own while
   * its subagents work, and its row keeps status "running": that word is the wait, not a leftover.
   */
  waitingOnSubagents?: boolean;
  /** 2026.9.x: the row's childSessions (the subagents it spawned), at most MAX_CHILD_KEYS of them. */
  childSessions?: string[];
  at: number;
}

/** A row lists at most this many childSessions here (the gateway caps active children per session at 20). */
const MAX_CHILD_KEYS = 200;

/** freed: the step freed the session; reset: a new transcript generation was proven (the session may have been free). */
export type StepOutcome = 'freed' | 'reset' | 'no-change' | 'refused' | 'failed' | 'cancelled';

/** What became of the inputs that were waiting before a step, read from the gateway after it. */
export interface QueueFate {
  cancelled: number;
  interrupted: number;
  stillWaiting: number;
  takenUp: number;
  other: number;
}

export interface RecoveryStep {
  action: 'abort' | 'abort-clear-queue' | 'reset';
  call: string;
  params: Record<string, unknown>;
  outcome: StepOutcome;
  /** The gateway's answer, or the error. */
  answer?: unknown;
  error?: string;
  before: SessionReadBack;
  after?: SessionReadBack;
  /** The inputs waiting before the step, and what became of them (protocol 4). */
  queue?: QueueFate;
  /** Reset: what proves (or fails to prove) a new transcript generation. */
  resetProof?: string;
  message: string;
  durationMs: number;
}

export interface RecoveryReport {
  sessionKey: string;
  steps: RecoveryStep[];
  /**
   * needs-restart: the run is evidently alive but this gateway version cannot abort it through its API.
   * unverified: protocol 3, the gateway had nothing to abort and nothing shows whether a run holds the lane; the
   * ladder stops there rather than reset a transcript on a guess.
   */
  verdict:
    'freed' | 'ineffective' | 'failed' | 'refused' | 'cancelled' | 'nothing-to-do' | 'needs-restart' | 'unverified';
  summary: string;
  /** A parent that waited on a subagent: the subagent was recovered first (the steps are its), and what the parent did. */
  family?: FamilyRecoveryResult;
}

export interface RecoveryContext {
  api: GatewayApi;
  connection: GatewayConnection;
  signal?: AbortSignal;
  /** The longest wait for the gateway to settle a session after a call; the wait ends sooner on the proving event. */
  settleTimeoutMs?: number;
  /** Protocol 3: whether a run is alive, from the watcher (rows cannot say). */
  evidence?: RunEvidenceSource;
  now?: () => number;
}

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * The session row by exact key. sessions.describe exists only on 2026.9.x and lacks hasActiveRun there, so every
 * version searches sessions.list (the `search` filter exists on 2026.3.24 too) and keeps the exact key.
 */
export async function findSessionRow(
  api: GatewayApi,
  key: string,
  signal?: AbortSignal,
): Promise<SessionRowView | undefined> {
  const list = await api.sessionsList({ search: key, limit: 50 }, { signal });
  if (!Array.isArray(list?.sessions))
    throw new Error(
      `sessions.list answered without a "sessions" array (${typeof list?.sessions}): cannot tell whether ${key} exists`,
    );
  return list.sessions.find((r) => r?.key === key);
}

/**
 * The session's runs as the action's own connection sees them, from before the call: which ended (protocol 3: the
 * abort's own proof), which started after it (the next queued input taken up), and which of those made progress
 * (output, or an end). A run that took over the lane and shows no progress is not a free session.
 */
export class RunWatch {
  readonly ended = new Set<string>();
  /** Runs that started after the watch began, in order, with whether they made progress. */
  readonly started = new Map<string, { progressed: boolean }>();
  private readonly subs: Array<{ dispose(): void }>;
  constructor(connection: GatewayConnection, key: string, onChange: () => void) {
    // The shared decoder: a chat `final` without a message is a queued input's acknowledgement, not a run end.
    const on = (f: EventFrame) => {
      const ev = decodeRunEvent(f);
      if (!ev || ev.sessionKey !== key) return;
      if (ev.kind === 'start' && !this.started.has(ev.runId)) {
        this.started.set(ev.runId, { progressed: false });
        onChange();
      }
      const run = this.started.get(ev.runId);
      if (run && !run.progressed && (ev.kind === 'output' || ev.kind === 'end')) {
        run.progressed = true;
        onChange();
      }
      if (ev.kind === 'end' && !this.ended.has(ev.runId)) {
        this.ended.add(ev.runId);
        onChange();
      }
    };
    this.subs = [connection.onEvent('chat', on), connection.onEvent('agent', on)];
  }
  /** A run that started after the call and has not ended: the lane's new holder. */
  newRun(): { runId: string; progressed: boolean } | undefined {
    const open = [...this.started].filter(([id]) => !this.ended.has(id));
    const last = open[open.length - 1];
    return last && { runId: last[0], progressed: last[1].progressed };
  }
  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}

/** At most this many pages of pending inputs are read (20 items each on 2026.9.x). */
const MAX_PENDING_PAGES = 5;

/**
 * Protocol 4: the lane's queue and in-flight run as chat.history reports them, every listed item by its state. The
 * pages are read here; what each item means (waiting, or finished as cancelled/interrupted, or counted but unlisted)
 * is decided by readPendingInputs alone, over all pages at once, as for the tree and the transcript.
 */
async function readQueue(ctx: RecoveryContext, key: string) {
  const h = await ctx.api.chatHistory({ sessionKey: key, limit: 1 }, { signal: ctx.signal });
  const first = readPendingInputs(h.pendingInputs).value;
  /** Every item the gateway counts, listed or not (the first page's `total`). */
  const total = first ? first.items.length + first.unlisted : 0;
  const byId = new Map((first?.items ?? []).map((q) => [String(q.id), q]));
  // More inputs than one page lists: page back with pendingBefore (bounded) so none is counted by guess.
  let before = rec(h.pendingInputs).nextBefore;
  for (let page = 1; page < MAX_PENDING_PAGES && typeof before === 'number' && byId.size < total; page++) {
    const more = await ctx.api.chatHistory(
      { sessionKey: key, limit: 1, pendingBefore: before },
      { signal: ctx.signal },
    );
    const got = readPendingInputs(more.pendingInputs).value?.items ?? [];
    if (!got.length) break;
    for (const q of got) if (!byId.has(String(q.id))) byId.set(String(q.id), q);
    before = rec(more.pendingInputs).nextBefore;
  }
  // One decoding of all pages: listed items by state, and those counted but not listed even after paging (unknown
  // state, counted as waiting: never hide work).
  const all = first ? readPendingInputs({ items: [...byId.values()], total }).value : undefined;
  const waiting = [...byId.values()].filter(isWaitingPendingInput);
  // 2026.9.6 may name a queued input's run as inFlightRun while another run holds the lane: not the active run.
  const queuedRuns = new Set(waiting.map((q) => q.runId));
  const inFlight = h.inFlightRun?.runId && !queuedRuns.has(h.inFlightRun.runId) ? h.inFlightRun.runId : undefined;
  return {
    pending: all ? all.waiting + all.unlisted : undefined,
    notRun: all?.finished ?? {},
    inFlight,
    inputStates: Object.fromEntries([...byId.values()].map((q) => [String(q.id), String(q.state ?? 'queued')])),
    queuedRunIds: waiting.map((q) => q.runId).filter((id): id is string => typeof id === 'string'),
    messages: typeof h.totalMessages === 'number' ? h.totalMessages : undefined,
  };
}

export async function readBack(ctx: RecoveryContext, key: string, watch?: RunWatch): Promise<SessionReadBack> {
  const ended = watch?.ended;
  const now = ctx.now ?? Date.now;
  const row = await findSessionRow(ctx.api, key, ctx.signal);
  if (!row) return { exists: false, runIds: [], at: now() };
  const common = {
    exists: true,
    status: typeof row.status === 'string' ? row.status : undefined,
    sessionId: typeof row.sessionId === 'string' ? row.sessionId : undefined,
    sessionStartedAt: typeof rec(row).sessionStartedAt === 'number' ? (rec(row).sessionStartedAt as number) : undefined,
    ...(typeof row.hasActiveSubagentRun === 'boolean' ? { waitingOnSubagents: row.hasActiveSubagentRun } : {}),
    ...(Array.isArray(row.childSessions)
      ? {
          childSessions: row.childSessions
            .filter((k): k is string => typeof k === 'string' && k !== key)
            .slice(0, MAX_CHILD_KEYS),
        }
      : {}),
  };
  if (!rowsReportActiveRuns(ctx.connection.helloSummary)) {
    const evidence = ctx.evidence?.read(key);
    // A run this connection saw end is over even if the watcher has not processed the same event yet.
    const endedHere = evidence?.runId ? ended?.has(evidence.runId) : (ended?.size ?? 0) > 0;
    // A run this connection saw start after the call (the next queued input taken up) holds the lane until it ends.
    const next = watch?.newRun();
    if (next && next.runId !== evidence?.runId)
      return {
        ...common,
        activeRun: true,
        statusTrusted: false,
        evidence,
        runIds: [next.runId],
        nextRun: next,
        at: now(),
      };
    return {
      ...common,
      activeRun: endedHere ? false : evidence?.live,
      statusTrusted: false,
      evidence,
      runIds: evidence?.live && evidence.runId ? [evidence.runId] : [],
      nextRun: next,
      at: now(),
    };
  }
  let queue: Awaited<ReturnType<typeof readQueue>> | undefined;
  if ((ctx.connection.helloSummary?.protocol ?? 0) >= 4) {
    try {
      queue = await readQueue(ctx, key);
    } catch {
      /* the row alone still answers "is a run active" */
    }
  }
  const ids = Array.isArray(row.activeRunIds) ? [...(row.activeRunIds as string[])] : [];
  if (queue?.inFlight && !ids.includes(queue.inFlight) && row.hasActiveRun) ids.push(queue.inFlight);
  return {
    ...common,
    statusTrusted: true,
    activeRun: typeof row.hasActiveRun === 'boolean' ? row.hasActiveRun || ids.length > 0 : undefined,
    runIds: ids,
    pending: queue?.pending,
    notRun: queue?.notRun,
    inputStates: queue?.inputStates,
    queuedRunIds: queue?.queuedRunIds,
    messages: queue?.messages,
    nextRun: watch?.newRun(),
    at: now(),
  };
}

/**
 * Re-reads the session after every sessions.changed event for it (this connection subscribes), until `done`
 * holds or the timeout passes; then returns the last read. Events, not sleeps: the gateway says when it changed.
 */
export async function settle(
  ctx: RecoveryContext,
  key: string,
  done: (s: SessionReadBack) => boolean,
  watch?: RunWatch,
  onEnded?: (listener: () => void) => void,
): Promise<SessionReadBack> {
  let latest = await readBack(ctx, key, watch);
  if (done(latest)) return latest;
  const timeoutMs = ctx.settleTimeoutMs ?? 15_000;
  return new Promise<SessionReadBack>((resolve) => {
    let reading = false,
      again = false,
      finished = false;
    const finish = (s: SessionReadBack) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sub.dispose();
      evidenceSub?.dispose();
      ctx.signal?.removeEventListener('abort', onAbort);
      resolve(s);
    };
    const reread = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        latest = await readBack(ctx, key, watch);
        if (done(latest)) finish(latest);
      } catch {
        /* keep the last good read */
      }
      reading = false;
      if (again && !finished) {
        again = false;
        void reread();
      }
    };
    const onEvent = (f: { payload?: unknown }) => {
      if (rec(f.payload).sessionKey === key) void reread();
    };
    const sub = ctx.connection.onEvent('sessions.changed', onEvent);
    // Protocol 3: the row does not change when a run ends; the evidence (watcher) and this connection's events do.
    const evidenceSub = ctx.evidence?.onDidChange(() => void reread());
    onEnded?.(() => void reread());
    const onAbort = () => finish(latest);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      void readBack(ctx, key, watch).then(
        (s) => finish(s),
        () => finish(latest),
      );
    }, timeoutMs);
  });
}

function errorText(err: unknown): string {
  // A local failure (a timeout, a closed socket) carries its message as its advice too: say it once.
  if (err instanceof GatewayRequestError)
    return `${err.message}${err.problem.advice && !err.message.includes(err.problem.advice) ? ` — ${err.problem.advice}` : ''}`;
  return (err as Error)?.message ?? String(err);
}

/**
 * Free: the session exists, no run is active and no input is waiting. The row's `status` is not part of it: a
 * "running" left on a row whose run is over holds nothing (2026.9.x says so in hasActiveRun; protocol 3 rows keep it
 * after every run), and resetting a transcript to clear a word would be harm, not recovery.
 */
export const isFree = (s: SessionReadBack | undefined): boolean =>
  !!s && s.exists && s.activeRun === false && (s.pending ?? 0) === 0;

/**
 * The run that held the lane ended and the lane went on to the next waiting input, which is working: a run that
 * started after the call (seen on the action's own connection), is the one active now, and has made progress (output,
 * or an end). A next run that shows no progress is not "moved on": it may be as stuck as the one aborted (2026.4.26
 * takes up the queued input, and with the aborted message in its context it can hang again).
 */
export function laneMovedOn(before: SessionReadBack, after: SessionReadBack | undefined): boolean {
  const next = after?.nextRun;
  if (!after?.exists || after.activeRun !== true || !next?.progressed || before.runIds.includes(next.runId))
    return false;
  return after.runIds.length === 0 || after.runIds.includes(next.runId);
}

/** Why a session is not free, in words, from the same facts isFree reads. */
function notFreeBecause(s: SessionReadBack): string {
  if (!s.exists) return 'the session no longer exists';
  const why: string[] = [];
  if (
    s.activeRun === true &&
    s.nextRun &&
    !s.nextRun.progressed &&
    (!s.runIds.length || s.runIds.includes(s.nextRun.runId))
  )
    why.push(`the next queued input took the lane as run ${s.nextRun.runId} and shows no progress`);
  else if (s.activeRun === true)
    why.push(s.runIds.length ? `run ${s.runIds.join(', ')} is still active` : 'a run is still active');
  if (s.activeRun === undefined)
    why.push(
      s.statusTrusted === false
        ? 'whether a run is still active cannot be verified on this gateway version'
        : 'the gateway did not say whether a run is active',
    );
  if ((s.pending ?? 0) > 0) why.push(`${s.pending} input(s) are still waiting`);
  return why.join(' and ') || 'nothing';
}

/** What became of the inputs that were waiting before a step (protocol 4: each by its id and state). */
function queueFate(before: SessionReadBack, after: SessionReadBack | undefined): QueueFate | undefined {
  if (!before.inputStates || !after?.inputStates) return undefined;
  const fate: QueueFate = { cancelled: 0, interrupted: 0, stillWaiting: 0, takenUp: 0, other: 0 };
  for (const [id, state] of Object.entries(before.inputStates)) {
    if (state !== 'queued') continue;
    const now = after.inputStates[id];
    if (now === undefined) fate.takenUp++;
    else if (now === 'queued') fate.stillWaiting++;
    else if (now === 'cancelled') fate.cancelled++;
    else if (now === 'interrupted') fate.interrupted++;
    else fate.other++;
  }
  return fate;
}

export function describeQueueFate(f: QueueFate | undefined): string {
  if (!f) return '';
  const parts = [
    f.cancelled ? `${f.cancelled} cancelled by the gateway` : '',
    f.interrupted ? `${f.interrupted} interrupted` : '',
    f.takenUp ? `${f.takenUp} taken up to run next` : '',
    f.stillWaiting ? `${f.stillWaiting} still waiting` : '',
    f.other ? `${f.other} in another state` : '',
  ].filter(Boolean);
  const n = f.cancelled + f.interrupted + f.takenUp + f.stillWaiting + f.other;
  return n ? `queued inputs (${n}): ${parts.join(', ')}` : '';
}

/** A reset is proven by a new session id (protocol 3), a cleared history, or a transcript generation the gateway started during the call. */
function proveReset(
  before: SessionReadBack,
  after: SessionReadBack | undefined,
  answer: unknown,
  sentAt: number,
): { proven: boolean; text: string } {
  const entry = rec(rec(answer).entry);
  const proofs: string[] = [];
  if (after?.sessionId && before.sessionId && after.sessionId !== before.sessionId) proofs.push('a new session id');
  if (before.messages !== undefined && after?.messages !== undefined && after.messages < before.messages)
    proofs.push(`the history was cleared (${before.messages} → ${after.messages} message(s))`);
  const started = typeof entry.sessionStartedAt === 'number' ? entry.sessionStartedAt : undefined;
  // The gateway's clock may differ from ours: a start within a minute of the call counts as started by it.
  if (started !== undefined && started >= sentAt - 60_000 && started !== before.sessionStartedAt)
    proofs.push(`a new transcript generation started at ${new Date(started).toISOString()}`);
  if (proofs.length)
    return {
      proven: true,
      text: `proven by ${proofs.join(', ')}${entry.lifecycleRevision !== undefined ? ` (lifecycle revision ${String(entry.lifecycleRevision)})` : ''}`,
    };
  return {
    proven: false,
    text: 'the gateway answered ok, but neither the session id, the history nor the start of the transcript changed',
  };
}

type StepAction = RecoveryStep['action'];

async function step(
  ctx: RecoveryContext,
  action: StepAction,
  key: string,
  before: SessionReadBack,
  call: string,
  params: Record<string, unknown>,
  send: () => Promise<unknown>,
): Promise<RecoveryStep> {
  const now = ctx.now ?? Date.now;
  const t0 = now();
  const base = { action, call, params, before };
  if (ctx.signal?.aborted) return { ...base, outcome: 'cancelled', message: 'cancelled before sending', durationMs: 0 };
  let answer: unknown;
  // Protocol 3: the end of the run shows only as events; watch this connection for them from before the call.
  let onEnded: (() => void) | undefined;
  const watch = new RunWatch(ctx.connection, key, () => onEnded?.());
  try {
    try {
      answer = await send();
    } catch (err) {
      const missing = err instanceof GatewayRequestError && err.problem.kind === 'missing-scope';
      return {
        ...base,
        outcome: missing ? 'refused' : 'failed',
        error: errorText(err),
        message: missing ? (err.problem.advice ?? errorText(err)) : `the call failed: ${errorText(err)}`,
        durationMs: now() - t0,
      };
    }
    const a = rec(answer);
    // Nothing to wait for when the gateway said it found nothing to abort and nothing says a run is alive.
    const nothingToWaitFor =
      before.activeRun !== true &&
      (a.status === 'no-active-run' || (action === 'abort-clear-queue' && a.aborted === false));
    // The wait ends on the read that proves the outcome: the session free, or (abort) the lane gone on to the next input.
    const proven = action === 'abort' ? (s: SessionReadBack) => isFree(s) || laneMovedOn(before, s) : isFree;
    const after = await settle(
      { ...ctx, settleTimeoutMs: nothingToWaitFor ? 0 : ctx.settleTimeoutMs },
      key,
      proven,
      watch,
      (l) => {
        onEnded = l;
      },
    );
    const queue = queueFate(before, after);
    if (action === 'reset') {
      const proof = proveReset(before, after, answer, t0);
      const outcome: StepOutcome = !proof.proven ? 'no-change' : !isFree(before) && isFree(after) ? 'freed' : 'reset';
      const tail = isFree(after) ? 'the session is free' : `the session is still not free: ${notFreeBecause(after)}`;
      return {
        ...base,
        answer,
        after,
        queue,
        resetProof: proof.text,
        outcome,
        durationMs: now() - t0,
        message: `reset ${proof.proven ? '' : 'not proven: '}${proof.text}; ${tail}${queue && describeQueueFate(queue) ? `; ${describeQueueFate(queue)}` : ''} (${change(before, after)})`,
      };
    }
    // "freed" means this call freed it; a session that was already free stays "no-change".
    const freedNow = !isFree(before) && (isFree(after) || (action === 'abort' && laneMovedOn(before, after)));
    return {
      ...base,
      answer,
      after,
      queue,
      outcome: freedNow ? 'freed' : 'no-change',
      message: describeStep(action, answer, before, after, queue, ctx.connection.helloSummary?.serverVersion),
      durationMs: now() - t0,
    };
  } finally {
    watch.dispose();
  }
}

/**
 * 2026.3.x: sessions.abort answers no-active-run for a run started with the `agent` method (sessions_send,
 * `openclaw agent`) although it is alive. The API cannot abort it; only a gateway restart frees the lane.
 */
export function cannotAbortThroughApi(step: RecoveryStep, serverVersion: string | undefined): boolean {
  return (
    step.action === 'abort' &&
    rec(step.answer).status === 'no-active-run' &&
    step.before.activeRun === true &&
    step.after?.activeRun !== false &&
    step.before.statusTrusted === false &&
    !abortReachesAgentRuns(serverVersion)
  );
}

/** Host-neutral: which command does it (VS Code's "Restart Gateway…", `lanewatch restart --stop`) is each host's advice. */
export const RESTART_ADVICE_P3 =
  'Restart the gateway to free it: a stop + start frees the lane at once (a SIGUSR1 restart first waits for the hung run: 300 s deferral plus 90 s drain, 6.5 minutes measured on 2026.3.24).';

/** One state in words: the facts the verdict is computed from, so the text cannot contradict it. */
function stateText(s: SessionReadBack): string {
  if (!s.exists) return 'no such session';
  const run =
    s.activeRun === undefined
      ? `active run: ${s.statusTrusted === false ? 'not verifiable (protocol 3)' : 'not reported'}`
      : s.activeRun
        ? `active run ${s.runIds.join(', ')}`.trim()
        : 'no active run';
  const notRun = s.notRun && Object.keys(s.notRun).length ? ` (${describeFinished(s.notRun)} not run)` : '';
  const queued = s.pending !== undefined ? `, ${s.pending} waiting${notRun}` : '';
  const status = s.status
    ? `, row status ${s.status}${s.status === 'running' && s.activeRun !== true ? ' (a leftover: it holds nothing)' : ''}`
    : '';
  return `${run}${queued}${status}`;
}

const change = (before: SessionReadBack, after: SessionReadBack) =>
  `before: ${stateText(before)}; after: ${stateText(after)}`;

function describeStep(
  action: StepAction,
  answer: unknown,
  before: SessionReadBack,
  after: SessionReadBack,
  queue: QueueFate | undefined,
  serverVersion?: string,
): string {
  const a = rec(answer);
  const facts = `(${change(before, after)})`;
  const fate = describeQueueFate(queue);
  const withFate = (text: string) => `${text}${fate ? `; ${fate}` : ''} ${facts}`;
  const result = isFree(after)
    ? 'the session is free'
    : laneMovedOn(before, after)
      ? `the lane went on to the next queued input (run ${after.runIds.join(', ')})`
      : `the session is still not free: ${notFreeBecause(after)}`;
  if (action === 'abort') {
    if (a.status === 'aborted') {
      const named = typeof a.abortedRunId === 'string' ? a.abortedRunId : undefined;
      // 2026.9.6 may name a queued input's run in abortedRunId: say so rather than call it the run that was active.
      const namesQueued = !!named && !!before.queuedRunIds?.includes(named);
      const other = namesQueued
        ? ` (the gateway's answer names ${named}, one of the queued inputs)`
        : named && before.runIds.length && !before.runIds.includes(named)
          ? ` (the run Lanewatch saw active was ${before.runIds.join(', ')})`
          : '';
      const which = namesQueued
        ? `the active run${before.runIds.length ? ` ${before.runIds.join(', ')}` : ''}`
        : `run ${named ?? '(not named)'}`;
      // A new run holding the lane means the aborted one ended (it gave the lane up).
      const ended = after.activeRun === false || !!after.nextRun;
      if (ended) return withFate(`aborted ${which}${other}: the run ended; ${result}`);
      if (after.activeRun === undefined)
        return withFate(
          `the gateway answered "aborted" (run ${named ?? 'not named'})${other} but no end event confirmed it`,
        );
      return withFate(
        `the gateway answered "aborted" (run ${named ?? 'not named'})${other}, but ${notFreeBecause(after)}`,
      );
    }
    if (a.status === 'no-active-run') {
      if (before.activeRun === true && before.statusTrusted === false) {
        return `cannot abort through the API: openclaw ${serverVersion ?? ''} answered no-active-run while ${before.evidence?.runId ? `run ${before.evidence.runId}` : 'a run'} is evidently alive (${before.evidence?.why ?? 'run events'})${abortReachesAgentRuns(serverVersion) ? '' : '; this version does not register runs started with the agent method (sessions_send, openclaw agent) for abort'}. ${RESTART_ADVICE_P3} ${facts}`;
      }
      if (before.activeRun === true)
        return `the gateway answered no-active-run while it reports an active run: the API cannot abort this run; restart the gateway ${facts}`;
      if (before.activeRun === undefined && before.statusTrusted === false && !abortReachesAgentRuns(serverVersion)) {
        return `the gateway has no abortable run registered. On openclaw ${serverVersion ?? ''} that is also the answer for a run started with the agent method, which only a restart frees, and Lanewatch has no evidence either way (it connected after the run started and sees no stuck-session line; enable diagnostics.enabled on the gateway to get one). If the lane stays held: ${RESTART_ADVICE_P3} ${facts}`;
      }
      // Protocol 3 with no evidence either way: "nothing to abort" is the gateway's word, not proof that nothing runs.
      if (before.activeRun === undefined)
        return withFate(
          `the gateway had no abortable run registered for this session; whether a run holds it cannot be verified on openclaw ${serverVersion ?? ''}; ${result}`,
        );
      if (before.status === 'running')
        return `nothing was running: the row's "running" status is a leftover the gateway did not clear, and it holds nothing ${facts}`;
      return withFate(`nothing was running; ${result}`);
    }
    return withFate(`the gateway answered ${JSON.stringify(answer).slice(0, 160)}; ${result}`);
  }
  // abort-clear-queue (chat.abort)
  const ids = Array.isArray(a.runIds) ? a.runIds.length : undefined;
  const did =
    a.aborted === false
      ? 'nothing to abort or drop'
      : ids !== undefined
        ? `aborted ${ids} run(s) or queued input(s)`
        : `answered ${JSON.stringify(answer).slice(0, 120)}`;
  return withFate(`${did}; ${result}`);
}

/** The protocol decides the wire form; protocol 3 gateways reject fields they do not know. */
function isV4(ctx: RecoveryContext): boolean {
  return (ctx.connection.helloSummary?.protocol ?? 0) >= 4;
}

export async function abortRun(ctx: RecoveryContext, key: string, before?: SessionReadBack): Promise<RecoveryStep> {
  const b = before ?? (await readBack(ctx, key));
  return step(ctx, 'abort', key, b, 'sessions.abort', { key }, () =>
    ctx.api.sessionsAbort({ key }, { signal: ctx.signal }),
  );
}

export async function abortAndClearQueue(
  ctx: RecoveryContext,
  key: string,
  before?: SessionReadBack,
): Promise<RecoveryStep> {
  const b = before ?? (await readBack(ctx, key));
  // chat.abort with only the key cancels the active run and the queued inputs behind it on every version.
  return step(ctx, 'abort-clear-queue', key, b, 'chat.abort', { sessionKey: key }, () =>
    ctx.api.chatAbort({ sessionKey: key }, { signal: ctx.signal }),
  );
}

export async function resetSession(ctx: RecoveryContext, key: string, before?: SessionReadBack): Promise<RecoveryStep> {
  const b = before ?? (await readBack(ctx, key));
  const params: Record<string, unknown> = {
    key,
    reason: 'new',
    ...(isV4(ctx) && b.sessionId ? { expectedSessionId: b.sessionId } : {}),
  };
  const refused = (message: string): RecoveryStep => ({
    action: 'reset',
    call: 'sessions.reset',
    params,
    before: b,
    outcome: 'refused',
    message,
    durationMs: 0,
  });
  if (!b.exists) return refused(`${key} does not exist on this gateway (a reset would silently create it)`);
  if (ctx.connection.snapshot().missingScopes.includes('operator.admin'))
    return refused(
      'resetting needs operator.admin and this gateway did not grant it to Lanewatch\'s device. Approve the scope on the gateway host (openclaw devices list, then openclaw devices approve <requestId>), or connect with a token that carries admin rights. (Sending "/new" with write scope does not reset on 2026.9.x.)',
    );
  return step(ctx, 'reset', key, b, 'sessions.reset', params, () =>
    ctx.api.sessionsReset(params as { key: string }, { signal: ctx.signal }),
  );
}

const STEP_WORDS: Record<StepAction, string> = {
  abort: 'aborting the run',
  'abort-clear-queue': 'aborting the run and clearing its queue',
  reset: 'resetting the session (/new)',
};

/**
 * abort → verify → abort + clear queue → verify → reset → verify. Each step runs only while the session is not free
 * (a run active, or inputs waiting) and the ladder stops at the first step that frees it; a session an earlier step
 * freed is never reset.
 */
export async function recoverSession(
  ctx: RecoveryContext,
  key: string,
  onStep?: (s: RecoveryStep) => void,
): Promise<RecoveryReport> {
  const first = await readBack(ctx, key);
  if (!first.exists)
    return { sessionKey: key, steps: [], verdict: 'refused', summary: `${key} does not exist on this gateway` };
  if (isFree(first)) {
    return {
      sessionKey: key,
      steps: [],
      verdict: 'nothing-to-do',
      summary:
        first.statusTrusted === false
          ? `nothing to recover: ${first.evidence?.why ?? 'no run is alive'}${first.status === 'running' ? ' (the row\'s "running" is a protocol-3 leftover and holds nothing)' : ''}`
          : first.waitingOnSubagents
            ? `nothing of its own to recover: no run is active and nothing is waiting; its row says "running" because its turn waits for its subagents (sessions_yield), which is the subagents' work, not a leftover`
            : `nothing to recover: no run is active and nothing is waiting${first.status === 'running' ? ' (the row\'s "running" is a leftover and holds nothing)' : ''}`,
    };
  }
  const steps: RecoveryStep[] = [];
  let before = first;
  const version = ctx.connection.helloSummary?.serverVersion;
  for (const run of [abortRun, abortAndClearQueue, resetSession]) {
    // Protocol 3 cannot show whether a run holds the lane. When both aborts found nothing to abort and no evidence says
    // a run is alive, a reset would wipe the transcript on a guess (and cannot end a run the API does not reach).
    if (run === resetSession && before.statusTrusted === false && before.activeRun !== true) {
      return {
        sessionKey: key,
        steps,
        verdict: 'unverified',
        summary: `the gateway had no run to abort, and whether one holds this session cannot be verified on openclaw ${version ?? ''} (protocol 3); nothing more was done: a reset would wipe the transcript without freeing a run the API cannot reach. Send a test message to see whether it answers; if it does not, restart the gateway.`,
      };
    }
    const s = await run(ctx, key, before);
    steps.push(s);
    onStep?.(s);
    const moved = s.action === 'abort' && laneMovedOn(before, s.after);
    if (isFree(s.after) || moved) {
      const fate = describeQueueFate(
        steps.map((x) => x.queue).find((q) => q && (q.cancelled || q.interrupted || q.takenUp || q.stillWaiting)),
      );
      const how = moved ? `; the lane went on to the next queued input (run ${s.after!.runIds.join(', ')})` : '';
      const unlisted =
        first.pending === undefined && first.statusTrusted === false
          ? '; this gateway version does not list queued inputs, so what became of any queued behind the run cannot be read (open the transcript to see which ran)'
          : '';
      return {
        sessionKey: key,
        steps,
        verdict: 'freed',
        summary: `freed by ${STEP_WORDS[s.action]} (step ${steps.length} of 3)${how}${fate ? `; ${fate}` : unlisted}${s.action === 'reset' ? '; the transcript was reset' : '; the transcript was kept'}`,
      };
    }
    // Clearing the queue or resetting the transcript cannot end a run the API cannot reach: say so and stop.
    if (cannotAbortThroughApi(s, version))
      return {
        sessionKey: key,
        steps,
        verdict: 'needs-restart',
        summary: `the run cannot be aborted through the API on openclaw ${version ?? ''}. ${RESTART_ADVICE_P3}`,
      };
    if (s.outcome === 'cancelled' || ctx.signal?.aborted)
      return { sessionKey: key, steps, verdict: 'cancelled', summary: 'cancelled; the steps taken so far are listed' };
    // A failed call leaves no after-state: read again rather than act on an old one.
    before = s.after ?? (await readBack(ctx, key));
    if (isFree(before))
      return {
        sessionKey: key,
        steps,
        verdict: 'freed',
        summary: `the session became free after ${STEP_WORDS[s.action]} (step ${steps.length} of 3), on a later read; the transcript was kept`,
      };
  }
  const refused = steps.every((s) => s.outcome === 'refused' || s.outcome === 'failed');
  const last = steps[steps.length - 1]?.after ?? before;
  return {
    sessionKey: key,
    steps,
    verdict: refused ? 'failed' : 'ineffective',
    summary: refused
      ? 'every step failed or was refused; see each step'
      : `ineffective: the gateway answered every call, but ${notFreeBecause(last)}. Restart the gateway.`,
  };
}
