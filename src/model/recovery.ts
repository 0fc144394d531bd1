// Recovery that tells the truth: every action is a call, then a read-back of the session, and the report
// says what the gateway answered *and* what changed. "Aborted" is only reported when the run really ended.
// No `vscode` import: the commands adapt this to progress UI, confirmations and the audit log.
import type { GatewayApi, GatewayConnection, SessionRowView } from '../gateway';
import { GatewayRequestError } from '../gateway';
import { abortReachesAgentRuns, rowsReportActiveRuns } from './versionRules';

/**
 * Live-run evidence from outside the action's own connection: the watcher's lane status (run events it saw,
 * the gateway's diagnostic log lines, restarts). Protocol 3 rows cannot say whether a run is active.
 */
export interface RunEvidence {
  /** true: a run is evidently alive; false: evidently none; undefined: cannot tell (e.g. "running (unverified)"). */
  live: boolean | undefined;
  runId?: string;
  /** When the run started, when known. */
  startedAt?: number;
  /** The lane status and the facts behind it, quoted in reports. */
  state: string;
  why: string;
  /** The version rule behind the status (e.g. p3.unverified), when a fact names one. */
  rule?: string;
}

export interface RunEvidenceSource {
  read(key: string): RunEvidence | undefined;
  /** Fires when the evidence may have changed (re-read then). */
  onDidChange(listener: () => void): { dispose(): void };
}

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
  /** Queued inputs (chat.history pendingInputs); undefined where the gateway does not report them. */
  pending?: number;
  status?: string;
  sessionId?: string;
  sessionStartedAt?: number;
  at: number;
}

export type StepOutcome = 'freed' | 'no-change' | 'refused' | 'failed' | 'cancelled';

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
  message: string;
  durationMs: number;
}

export interface RecoveryReport {
  sessionKey: string;
  steps: RecoveryStep[];
  /** needs-restart: the run is evidently alive but this gateway version cannot abort it through its API. */
  verdict: 'freed' | 'ineffective' | 'failed' | 'refused' | 'cancelled' | 'nothing-to-do' | 'needs-restart';
  summary: string;
}

export interface RecoveryContext {
  api: GatewayApi;
  connection: GatewayConnection;
  signal?: AbortSignal;
  /** How long to wait for the gateway to settle a session after a call. */
  settleTimeoutMs?: number;
  /** Protocol 3: whether a run is alive, from the watcher (rows cannot say). */
  evidence?: RunEvidenceSource;
  now?: () => number;
}

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The session row by exact key. sessions.describe exists only on 2026.9.x and lacks hasActiveRun there, so every
 * version searches sessions.list (the `search` filter exists on 2026.3.24 too) and keeps the exact key.
 */
export async function findSessionRow(api: GatewayApi, key: string, signal?: AbortSignal): Promise<SessionRowView | undefined> {
  const list = await api.sessionsList({ search: key, limit: 50 }, { signal });
  if (!Array.isArray(list?.sessions)) throw new Error(`sessions.list answered without a "sessions" array (${typeof list?.sessions}): cannot tell whether ${key} exists`);
  return list.sessions.find((r) => r?.key === key);
}

/** Runs seen ending on the action's own connection (protocol 3: the abort's own proof). */
class EndWatch {
  readonly ended = new Set<string>();
  private readonly subs: Array<{ dispose(): void }>;
  constructor(connection: GatewayConnection, key: string, onEnd: () => void) {
    const on = (f: { event: string; payload?: unknown }) => {
      const p = rec(f.payload);
      if (p.sessionKey !== key || typeof p.runId !== 'string') return;
      const phase = rec(p.data).phase;
      const end = f.event === 'chat' ? p.state === 'aborted' || p.state === 'error' || (p.state === 'final' && p.message !== undefined)
        : p.stream === 'lifecycle' && (phase === 'end' || phase === 'error');
      if (end) { this.ended.add(p.runId); onEnd(); }
    };
    this.subs = [connection.onEvent('chat', on), connection.onEvent('agent', on)];
  }
  dispose(): void { for (const s of this.subs) s.dispose(); }
}

export async function readBack(ctx: RecoveryContext, key: string, ended?: ReadonlySet<string>): Promise<SessionReadBack> {
  const now = ctx.now ?? Date.now;
  const row = await findSessionRow(ctx.api, key, ctx.signal);
  if (!row) return { exists: false, runIds: [], at: now() };
  let pending: number | undefined;
  let inFlight: string | undefined;
  if (!rowsReportActiveRuns(ctx.connection.helloSummary)) {
    const evidence = ctx.evidence?.read(key);
    // A run this connection saw end is over even if the watcher has not processed the same event yet.
    const endedHere = evidence?.runId ? ended?.has(evidence.runId) : (ended?.size ?? 0) > 0;
    return {
      exists: true, activeRun: endedHere ? false : evidence?.live, statusTrusted: false, evidence, runIds: evidence?.live && evidence.runId ? [evidence.runId] : [],
      status: typeof row.status === 'string' ? row.status : undefined,
      sessionId: typeof row.sessionId === 'string' ? row.sessionId : undefined, at: now(),
    };
  }
  if ((ctx.connection.helloSummary?.protocol ?? 0) >= 4) {
    try {
      const h = await ctx.api.chatHistory({ sessionKey: key, limit: 1 }, { signal: ctx.signal });
      pending = h.pendingInputs?.total ?? h.pendingInputs?.items.length;
      // 2026.9.6 may name a queued input's run as inFlightRun while another run holds the lane: not the active run.
      const queued = new Set((Array.isArray(h.pendingInputs?.items) ? h.pendingInputs.items : []).map((q) => q?.runId));
      inFlight = h.inFlightRun?.runId && !queued.has(h.inFlightRun.runId) ? h.inFlightRun.runId : undefined;
    } catch { /* the row alone still answers "is a run active" */ }
  }
  const ids = Array.isArray(row.activeRunIds) ? [...row.activeRunIds] : [];
  if (inFlight && !ids.includes(inFlight) && row.hasActiveRun) ids.push(inFlight);
  return {
    exists: true, statusTrusted: true,
    activeRun: typeof row.hasActiveRun === 'boolean' ? row.hasActiveRun || ids.length > 0 : undefined,
    runIds: ids, pending, status: typeof row.status === 'string' ? row.status : undefined,
    sessionId: typeof row.sessionId === 'string' ? row.sessionId : undefined,
    sessionStartedAt: typeof rec(row).sessionStartedAt === 'number' ? (rec(row).sessionStartedAt as number) : undefined,
    at: now(),
  };
}

/**
 * Re-reads the session after every sessions.changed event for it (this connection subscribes), until `done`
 * holds or the timeout passes; then returns the last read. Events, not sleeps: the gateway says when it changed.
 */
export async function settle(ctx: RecoveryContext, key: string, done: (s: SessionReadBack) => boolean, ended?: ReadonlySet<string>, onEnded?: (listener: () => void) => void): Promise<SessionReadBack> {
  let latest = await readBack(ctx, key, ended);
  if (done(latest)) return latest;
  const timeoutMs = ctx.settleTimeoutMs ?? 15_000;
  return new Promise<SessionReadBack>((resolve) => {
    let reading = false, again = false, finished = false;
    const finish = (s: SessionReadBack) => { if (finished) return; finished = true; clearTimeout(timer); sub.dispose(); evidenceSub?.dispose(); ctx.signal?.removeEventListener('abort', onAbort); resolve(s); };
    const reread = async () => {
      if (reading) { again = true; return; }
      reading = true;
      try { latest = await readBack(ctx, key, ended); if (done(latest)) finish(latest); } catch { /* keep the last good read */ }
      reading = false;
      if (again && !finished) { again = false; void reread(); }
    };
    const onEvent = (f: { payload?: unknown }) => { if (rec(f.payload).sessionKey === key) void reread(); };
    const sub = ctx.connection.onEvent('sessions.changed', onEvent);
    // Protocol 3: the row does not change when a run ends; the evidence (watcher) and this connection's events do.
    const evidenceSub = ctx.evidence?.onDidChange(() => void reread());
    onEnded?.(() => void reread());
    const onAbort = () => finish(latest);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => { void readBack(ctx, key, ended).then((s) => finish(s), () => finish(latest)); }, timeoutMs);
  });
}

function errorText(err: unknown): string {
  if (err instanceof GatewayRequestError) return `${err.message}${err.problem.advice && err.problem.advice !== err.message ? ` — ${err.problem.advice}` : ''}`;
  return (err as Error)?.message ?? String(err);
}

/** Free: no active run, nothing queued, and (where rows can be trusted) no "running" status left behind. */
const freed = (s: SessionReadBack | undefined) => !!s && s.exists && s.activeRun === false && (s.pending ?? 0) === 0 && (s.statusTrusted === false || s.status !== 'running');

async function step(ctx: RecoveryContext, action: RecoveryStep['action'], key: string, before: SessionReadBack, call: string, params: Record<string, unknown>, send: () => Promise<unknown>): Promise<RecoveryStep> {
  const now = ctx.now ?? Date.now;
  const t0 = now();
  const base = { action, call, params, before };
  if (ctx.signal?.aborted) return { ...base, outcome: 'cancelled', message: 'cancelled before sending', durationMs: 0 };
  let answer: unknown;
  // Protocol 3: the end of the run shows only as events; watch this connection for them from before the call.
  let onEnded: (() => void) | undefined;
  const endWatch = rowsReportActiveRuns(ctx.connection.helloSummary) ? undefined : new EndWatch(ctx.connection, key, () => onEnded?.());
  try {
    try {
      answer = await send();
    } catch (err) {
      const missing = err instanceof GatewayRequestError && err.problem.kind === 'missing-scope';
      return { ...base, outcome: missing ? 'refused' : 'failed', error: errorText(err), message: missing ? `refused: ${err.problem.advice}` : `${call} failed: ${errorText(err)}`, durationMs: now() - t0 };
    }
    const wantQueueCleared = action !== 'abort';
    // Nothing to wait for when the gateway said it found no run and nothing says one is alive.
    const nothingToAbort = rec(answer).status === 'no-active-run' && before.activeRun !== true;
    const after = await settle({ ...ctx, settleTimeoutMs: nothingToAbort ? 0 : ctx.settleTimeoutMs }, key,
      (s) => s.activeRun === false && (!wantQueueCleared || (s.pending ?? 0) === 0), endWatch?.ended, (l) => { onEnded = l; });
    // Abort answers for the run only (its queue is the next step's business); the others also need the queue empty.
    // "freed" means this call freed it; a session that was already free stays "no-change".
    const done = action === 'abort' ? (s: SessionReadBack) => s.exists && s.activeRun === false && (s.statusTrusted === false || s.status !== 'running') : freed;
    const outcome: StepOutcome = done(after) && !done(before) ? 'freed' : 'no-change';
    return { ...base, answer, after, outcome, message: describeStep(action, answer, before, after, ctx.connection.helloSummary?.serverVersion), durationMs: now() - t0 };
  } finally {
    endWatch?.dispose();
  }
}

/**
 * 2026.3.x: sessions.abort answers no-active-run for a run started with the `agent` method (sessions_send,
 * `openclaw agent`) although it is alive. The API cannot abort it; only a gateway restart frees the lane.
 */
export function cannotAbortThroughApi(step: RecoveryStep, serverVersion: string | undefined): boolean {
  return step.action === 'abort' && rec(step.answer).status === 'no-active-run' && step.before.activeRun === true && step.after?.activeRun !== false
    && step.before.statusTrusted === false && !abortReachesAgentRuns(serverVersion);
}

export const RESTART_ADVICE_P3 = 'Restart the gateway to free it: "Restart Gateway…" offers stop + start, which frees the lane at once (a SIGUSR1 restart first waits for the hung run: 300 s deferral plus 90 s drain, 6.5 minutes measured on 2026.3.24).';

function describeStep(action: RecoveryStep['action'], answer: unknown, before: SessionReadBack, after: SessionReadBack, serverVersion?: string): string {
  const a = rec(answer);
  const state = (s: SessionReadBack) => `${s.activeRun === undefined ? `active run: ${s.statusTrusted === false ? 'not verifiable (protocol 3)' : 'not reported'}` : s.activeRun ? `active run ${s.runIds[0] ?? ''}`.trim() : 'no active run'}${s.pending !== undefined ? `, ${s.pending} queued` : ''}${s.status ? `, row status ${s.status}${s.statusTrusted === false && s.status === 'running' ? ' (protocol 3 rows keep it after runs end)' : ''}` : ''}`;
  const change = `before: ${state(before)}; after: ${state(after)}`;
  if (action === 'abort') {
    if (a.status === 'aborted') {
      if (after.activeRun === false) return `aborted run ${String(a.abortedRunId ?? '')}: the run ended (${change})`;
      if (after.activeRun === undefined) return `the gateway answered "aborted" (run ${String(a.abortedRunId ?? '')}) but no end event confirmed it (${change})`;
      return `the gateway answered "aborted" but a run is still active (${change})`;
    }
    if (a.status === 'no-active-run') {
      if (before.activeRun === true && before.statusTrusted === false) {
        return `cannot abort through the API: openclaw ${serverVersion ?? ''} answered no-active-run while ${before.evidence?.runId ? `run ${before.evidence.runId}` : 'a run'} is evidently alive (${before.evidence?.why ?? 'run events'})${abortReachesAgentRuns(serverVersion) ? '' : '; this version does not register runs started with the agent method (sessions_send, openclaw agent) for abort'}. ${RESTART_ADVICE_P3} (${change})`;
      }
      if (before.activeRun === true) return `the gateway answered no-active-run while it reports an active run: the API cannot abort this run; restart the gateway (${change})`;
      if (before.activeRun === undefined && before.statusTrusted === false && !abortReachesAgentRuns(serverVersion)) {
        return `the gateway has no abortable run registered. On openclaw ${serverVersion ?? ''} that is also the answer for a run started with the agent method, which only a restart frees, and Lanewatch has no evidence either way (it connected after the run started and sees no stuck-session line; enable diagnostics.enabled on the gateway to get one). If the lane stays held: ${RESTART_ADVICE_P3} (${change})`;
      }
      if (before.status === 'running') return `nothing was running: the row's "running" status is stale (a leftover the gateway did not clear)${before.statusTrusted === false ? '' : '; a reset clears it'} (${change})`;
      return `nothing was running (${change})`;
    }
    return `sessions.abort answered ${JSON.stringify(answer)} (${change})`;
  }
  if (action === 'abort-clear-queue') {
    const ids = Array.isArray(a.runIds) ? a.runIds.length : undefined;
    return `${ids !== undefined ? `aborted ${ids} run(s)/input(s)` : `answered ${JSON.stringify(answer).slice(0, 120)}`}; ${freed(after) ? 'the lane is free and the queue is empty' : 'work is still active or queued'} (${change})`;
  }
  const rev = rec(a.entry).lifecycleRevision;
  return `reset answered ok${rev !== undefined ? ` (lifecycle revision ${String(rev)})` : ''}; ${freed(after) ? 'no run active afterwards' : 'a run is still active afterwards'} (${change})`;
}

/** The protocol decides the wire form; protocol 3 gateways reject fields they do not know. */
function isV4(ctx: RecoveryContext): boolean { return (ctx.connection.helloSummary?.protocol ?? 0) >= 4; }

export async function abortRun(ctx: RecoveryContext, key: string, before?: SessionReadBack): Promise<RecoveryStep> {
  const b = before ?? await readBack(ctx, key);
  return step(ctx, 'abort', key, b, 'sessions.abort', { key }, () => ctx.api.sessionsAbort({ key }, { signal: ctx.signal }));
}

export async function abortAndClearQueue(ctx: RecoveryContext, key: string, before?: SessionReadBack): Promise<RecoveryStep> {
  const b = before ?? await readBack(ctx, key);
  // chat.abort with only the key cancels the active run and the queued inputs behind it on every version.
  return step(ctx, 'abort-clear-queue', key, b, 'chat.abort', { sessionKey: key }, () => ctx.api.chatAbort({ sessionKey: key }, { signal: ctx.signal }));
}

export async function resetSession(ctx: RecoveryContext, key: string, before?: SessionReadBack): Promise<RecoveryStep> {
  const b = before ?? await readBack(ctx, key);
  const params: Record<string, unknown> = { key, reason: 'new', ...(isV4(ctx) && b.sessionId ? { expectedSessionId: b.sessionId } : {}) };
  if (!b.exists) return { action: 'reset', call: 'sessions.reset', params, before: b, outcome: 'refused', message: `refused: ${key} does not exist on this gateway, and sessions.reset would silently create it`, durationMs: 0 };
  const missing = ctx.connection.snapshot().missingScopes;
  if (missing.includes('operator.admin')) {
    return { action: 'reset', call: 'sessions.reset', params, before: b, outcome: 'refused', durationMs: 0,
      message: 'refused: resetting needs operator.admin and this gateway did not grant it to Lanewatch\'s device. Approve the scope on the gateway host (openclaw devices list, then openclaw devices approve <requestId>), or connect with a token that carries admin rights. (Sending "/new" with write scope does not reset on 2026.9.x.)' };
  }
  return step(ctx, 'reset', key, b, 'sessions.reset', params, () => ctx.api.sessionsReset(params as { key: string }, { signal: ctx.signal }));
}

/** abort → verify → abort + clear queue → verify → reset → verify; stops at the first step that frees the session. */
export async function recoverSession(ctx: RecoveryContext, key: string, onStep?: (s: RecoveryStep) => void): Promise<RecoveryReport> {
  const first = await readBack(ctx, key);
  if (!first.exists) return { sessionKey: key, steps: [], verdict: 'refused', summary: `${key} does not exist on this gateway` };
  if (freed(first)) {
    return { sessionKey: key, steps: [], verdict: 'nothing-to-do', summary: first.statusTrusted === false
      ? `nothing to recover: ${first.evidence?.why ?? 'no run is alive'}${first.status === 'running' ? ' (the row\'s "running" is a protocol-3 leftover and holds nothing)' : ''}`
      : 'the session has no active run, nothing queued and no stale status: nothing to recover' };
  }
  const steps: RecoveryStep[] = [];
  let before = first;
  const version = ctx.connection.helloSummary?.serverVersion;
  for (const run of [abortRun, abortAndClearQueue, resetSession]) {
    const s = await run(ctx, key, before);
    steps.push(s);
    onStep?.(s);
    if (freed(s.after)) return { sessionKey: key, steps, verdict: 'freed', summary: `freed by ${s.call} (step ${steps.length} of 3)` };
    // Clearing the queue or resetting the transcript cannot end a run the API cannot reach: say so and stop.
    if (cannotAbortThroughApi(s, version)) return { sessionKey: key, steps, verdict: 'needs-restart', summary: `the run cannot be aborted through the API on openclaw ${version ?? ''}. ${RESTART_ADVICE_P3}` };
    if (s.outcome === 'cancelled' || ctx.signal?.aborted) return { sessionKey: key, steps, verdict: 'cancelled', summary: 'cancelled; the steps taken so far are listed' };
    before = s.after ?? before;
  }
  const refused = steps.every((s) => s.outcome === 'refused' || s.outcome === 'failed');
  return { sessionKey: key, steps, verdict: refused ? 'failed' : 'ineffective', summary: refused ? 'every step failed or was refused; see each step' : 'ineffective: the gateway answered every call, but the session is still not free. Restart the gateway.' };
}
