// What every action reports, the same for the extension and the CLI: the kind of outcome (which decides the exit code,
// the notification's level and the advice each host gives), a plain-language summary, the details behind it, and the
// model's own report (what `--json` prints and the extension's command returns). Hosts only render it.
import type { AuditEntry } from './auditTrail';
import type { RecoveryReport, RecoveryStep } from './recovery';
import { cannotAbortThroughApi } from './recovery';
import type { RestartReport, LocalStopReport } from './restart';
import type { TestSendPhase, TestSendReport } from './testSend';
import { GatewayRequestError, type ConnectionProblem } from '../gateway';

/** How an outcome counts: ok, the call made but nothing changed, refused (or declined), failed. */
export type OutcomeClass = 'ok' | 'ineffective' | 'refused' | 'failed';

export type OutcomeKind =
  // ok
  | 'freed'
  | 'reset'
  | 'nothing-to-do'
  | 'reply-received'
  | 'restarted'
  | 'stopped'
  // the call was made, the session did not change (or cannot be shown to have)
  | 'no-change'
  | 'ineffective'
  | 'needs-restart'
  | 'unverified'
  | 'lane-held'
  | 'no-reply'
  // refused
  | 'refused'
  | 'unknown-session'
  | 'declined'
  | 'cancelled'
  // failed
  | 'failed'
  | 'not-restarted'
  | 'still-draining'
  | 'not-possible-here';

export const OUTCOME_CLASS: Readonly<Record<OutcomeKind, OutcomeClass>> = {
  freed: 'ok',
  reset: 'ok',
  'nothing-to-do': 'ok',
  'reply-received': 'ok',
  restarted: 'ok',
  stopped: 'ok',
  'no-change': 'ineffective',
  ineffective: 'ineffective',
  'needs-restart': 'ineffective',
  unverified: 'ineffective',
  'lane-held': 'ineffective',
  'no-reply': 'ineffective',
  refused: 'refused',
  'unknown-session': 'refused',
  declined: 'refused',
  cancelled: 'refused',
  failed: 'failed',
  'not-restarted': 'failed',
  'still-draining': 'failed',
  'not-possible-here': 'failed',
};

export type ActionName = 'recover' | 'abort' | 'abort-clear-queue' | 'reset' | 'test-send' | 'send' | 'restart';

export interface ActionReport<R = unknown> {
  action: ActionName;
  gateway: string;
  sessionKey?: string;
  kind: OutcomeKind;
  /** The call the audit trail names: sessions.abort, recover, chat.send, gateway.restart.request, kill -TERM 123, … */
  call: string;
  /** The outcome word the audit trail and the terminal show: a step's outcome, a verdict, "reply received", … */
  outcome: string;
  /** What happened, in plain language and host-neutral words (no command, button or option names). */
  summary: string;
  /** The lines behind it: each step, each phase, each restart event. */
  details: string[];
  /** The audit entry's detail when it is not the summary (a send records its idempotency key). */
  auditDetail?: string;
  /** Why the connection failed, when it did: its kind decides the advice. */
  problem?: ConnectionProblem;
  /** The model's own report (RecoveryReport, RecoveryStep, TestSendReport, RestartReport, …); undefined when declined. */
  result: R;
}

export const isOk = (r: Pick<ActionReport, 'kind'>): boolean => OUTCOME_CLASS[r.kind] === 'ok';

/** The audit entry of an action's outcome (the steps of a recovery are recorded as they happen). */
export function auditEntryOf(r: ActionReport): Omit<AuditEntry, 'time'> {
  return {
    gateway: r.gateway,
    ...(r.sessionKey ? { session: r.sessionKey } : {}),
    call: r.call,
    outcome: r.outcome,
    ...(r.kind === 'declined' ? {} : { detail: r.auditDetail ?? r.summary }),
  };
}

/** A step message without the outcome the step line already shows ("refused: refused: …"). */
export function stripOutcomePrefix(message: string, outcome: string): string {
  return message.startsWith(`${outcome}: `) ? message.slice(outcome.length + 2) : message;
}

/** One recovery step on one line: the call, what came of it, what was read back, how long it took. */
export function stepLine(s: RecoveryStep): string {
  return `${s.call} ${JSON.stringify(s.params)} → ${s.outcome}${s.error ? ` (${s.error})` : ''}: ${stripOutcomePrefix(s.message, s.outcome)} [${s.durationMs} ms]`;
}

export function phaseLine(p: TestSendPhase): string {
  return `${p.ok ? '✓' : '✗'} ${p.name}${p.ms !== undefined ? ` ${p.ms} ms` : ''}${p.detail ? ` (${p.detail})` : ''}`;
}

/** A step's kind: a no-change that only a restart can fix, or that protocol 3 cannot verify, is told apart. */
export function stepKind(s: RecoveryStep, serverVersion: string | undefined): OutcomeKind {
  switch (s.outcome) {
    case 'freed':
    case 'reset':
    case 'refused':
    case 'cancelled':
    case 'failed':
      return s.outcome;
    case 'no-change':
      if (cannotAbortThroughApi(s, serverVersion)) return 'needs-restart';
      return s.action === 'abort' && s.before.statusTrusted === false && s.before.activeRun === undefined
        ? 'unverified'
        : 'no-change';
  }
}

export function stepReport(gateway: string, key: string, s: RecoveryStep, serverVersion?: string): ActionReport {
  return {
    action: s.action,
    gateway,
    sessionKey: key,
    kind: stepKind(s, serverVersion),
    call: s.call,
    outcome: s.outcome,
    summary: s.message,
    details: [stepLine(s)],
    result: s,
  };
}

export function recoverReport(gateway: string, r: RecoveryReport): ActionReport<RecoveryReport> {
  const kind: OutcomeKind = r.verdict;
  return {
    action: 'recover',
    gateway,
    sessionKey: r.sessionKey,
    kind,
    call: 'recover',
    outcome: r.verdict,
    summary: r.summary,
    details: r.steps.map((s, i) => `${i + 1}. ${stepLine(s)}`),
    result: r,
  };
}

export function sendReport(
  action: 'test-send' | 'send',
  gateway: string,
  key: string,
  r: TestSendReport,
): ActionReport<TestSendReport> {
  const kind: OutcomeKind = r.ok
    ? 'reply-received'
    : r.failure === 'no-reply' || r.failure === 'lane-held' || r.failure === 'cancelled'
      ? r.failure
      : r.failure === 'auth'
        ? 'refused'
        : 'failed';
  return {
    action,
    gateway,
    sessionKey: key,
    kind,
    call: 'chat.send',
    outcome: r.ok ? 'reply received' : (r.failure ?? 'failed'),
    // A connection problem is said by its summary here; its advice is the host's (by the problem's kind).
    summary: r.problem ? `${r.problem.summary}. ${r.leftBehind}` : r.summary,
    details: r.phases.map(phaseLine),
    auditDetail: `idempotencyKey ${r.idempotencyKey}`,
    problem: r.problem,
    result: r,
  };
}

export function restartReport(gateway: string, call: string, r: RestartReport): ActionReport<RestartReport> {
  return {
    action: 'restart',
    gateway,
    kind: r.ok ? 'restarted' : r.stillDraining ? 'still-draining' : 'not-restarted',
    call,
    outcome: r.ok ? 'restarted' : 'failed',
    summary: r.summary,
    details: r.steps.map((s) => `- ${s}`),
    result: r,
  };
}

export function stopReport(gateway: string, r: LocalStopReport): ActionReport<LocalStopReport> {
  return {
    action: 'restart',
    gateway,
    kind: r.ok ? 'stopped' : 'failed',
    call: `kill -TERM ${r.pid}`,
    outcome: r.ok ? 'stopped' : 'failed',
    summary: r.summary,
    details: [],
    result: r,
  };
}

/** The user said no: nothing was done. */
export function declinedReport(
  action: ActionName,
  gateway: string,
  call: string,
  sessionKey?: string,
): ActionReport<undefined> {
  return {
    action,
    gateway,
    sessionKey,
    kind: 'declined',
    call,
    outcome: 'cancelled by user',
    summary: 'cancelled: nothing was done',
    details: [],
    result: undefined,
  };
}

/** What a thrown error means for the person who asked: a local request timeout is told apart (a setting governs it). */
export interface ActionFailure {
  kind: 'failed' | 'refused';
  /** The error and the gateway's advice, said once. */
  text: string;
  problem?: ConnectionProblem;
  /** A request that got no answer in time: the per-request timeout it ran into. */
  requestTimeout?: { method: string };
  /** The connection was not made within the connect timeout. */
  connectTimeout?: boolean;
}

export function describeFailure(err: unknown): ActionFailure {
  if (err instanceof GatewayRequestError) {
    const advice = err.problem.advice;
    return {
      kind: err.problem.kind === 'missing-scope' || err.problem.kind === 'forbidden' ? 'refused' : 'failed',
      text: `${err.message}${advice && !err.message.includes(advice) ? ` — ${advice}` : ''}`,
      problem: err.problem,
      ...(err.code === 'TIMEOUT' && err.method !== 'connect' ? { requestTimeout: { method: err.method } } : {}),
      ...(err.code === 'TIMEOUT' && err.method === 'connect' ? { connectTimeout: true } : {}),
    };
  }
  return { kind: 'failed', text: (err as Error)?.message ?? String(err) };
}
