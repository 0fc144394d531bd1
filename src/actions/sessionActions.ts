// Recover, abort, abort + clear queue, reset, test send and send: decided once for the extension and the CLI. The plan
// says what will be done and what to ask; the run resolves the key as the gateway reads it, refuses one that does not
// exist (a send creates it instead), asks through the host, acts on an action connection from the one factory, records
// each recovery step in the audit trail, and returns a report. The host only renders: the extension asks in a modal and
// shows progress and a notification, the CLI asks on the terminal (or takes --yes) and prints and exits.
import type { GatewayConfig } from '../config/gatewaySettings';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import type { OperatorScope } from '../gateway';
import { isCanonicalSessionKey, resolveSessionKey, type ResolvedSessionKey } from '../lanes/sessionKey';
import type { AuditTrail } from './auditTrail';
import { type OperatorConnections, RECOVERY_SCOPES, SEND_SCOPES } from './operatorConnection';
import {
  abortAndClearQueue,
  abortRun,
  recoverSession,
  resetSession,
  type RecoveryContext,
  type RecoveryReport,
  type StepOutcome,
} from './recovery';
import { testSend, testSendNotice } from './testSend';
import { declinedReport, recoverReport, sendReport, stepReport, type ActionReport } from './actionReport';

export type SessionActionName = 'recover' | 'abort' | 'abort-clear-queue' | 'reset' | 'test-send' | 'send';

/** What to ask before acting: the extension shows it as a modal (message, detail, one button), the CLI as y/N. */
export interface Question {
  message: string;
  detail: string;
  confirm: string;
}

export interface SessionActionPlan {
  action: SessionActionName;
  gateway: string;
  /** The key as given: the tree's, or typed on a terminal (a bare "idle" is resolved as the gateway reads it). */
  input: string;
  /** "Abort run", "Recover", … (notification and progress titles). */
  title: string;
  /** The progress title, once the key is known. */
  progressTitle: (key: string) => string;
  /** The call the audit trail names for the action as a whole. */
  call: string;
  scopes: readonly OperatorScope[];
  /** undefined: nothing to ask (a typed message is its own consent). */
  question?: (key: string) => Question;
  /** A send creates a session that does not exist; every other action refuses it. */
  createsSession: boolean;
}

/** A recovery step as the progress notification says it (the RPC name goes to the audit trail and the log). */
const STEP_WORDS: Record<string, string> = {
  'sessions.abort': 'aborting the run',
  'chat.abort': 'aborting the run and dropping queued inputs',
  'sessions.reset': 'resetting the session (/new)',
};
const OUTCOME_WORDS: Record<StepOutcome, string> = {
  freed: 'the session is free',
  reset: 'a new transcript was started',
  'no-change': 'not freed yet',
  refused: 'refused',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** How long recover/abort/reset wait for a session to settle after a call (the CLI's --reply-timeout-seconds). */
export const DEFAULT_SETTLE_MS = 20_000;

const PLANS: Record<
  SessionActionName,
  Omit<SessionActionPlan, 'action' | 'gateway' | 'input' | 'question' | 'progressTitle'> & {
    question?: (key: string, gateway: string) => Question;
    progress?: (key: string) => string;
  }
> = {
  recover: {
    title: 'Recover',
    call: 'recover',
    scopes: RECOVERY_SCOPES,
    createsSession: false,
    progress: (key) => `Recovering ${key}`,
    question: (key, gateway) => ({
      message: `Recover ${key} on ${gateway}?`,
      detail:
        'Lanewatch tries, stopping at the first step that frees the session: 1) abort the run, 2) abort and drop queued inputs, 3) reset the session (/new, needs operator.admin). Each step is verified by reading the session back.',
      confirm: 'Recover',
    }),
  },
  abort: {
    title: 'Abort run',
    call: 'sessions.abort',
    scopes: RECOVERY_SCOPES,
    createsSession: false,
    question: (key, gateway) => ({
      message: `Abort the active run of ${key} on ${gateway}?`,
      detail:
        'The run is cancelled (its model call is cut off). Queued inputs stay queued. Lanewatch then reads the session back and reports whether the run really ended.',
      confirm: 'Abort Run',
    }),
  },
  'abort-clear-queue': {
    title: 'Abort and clear queue',
    call: 'chat.abort',
    scopes: RECOVERY_SCOPES,
    createsSession: false,
    question: (key, gateway) => ({
      message: `Abort ${key} on ${gateway} and drop its queued inputs?`,
      detail: 'The active run and every input queued behind it are cancelled (chat.abort). Queued messages are lost.',
      confirm: 'Abort and Clear',
    }),
  },
  reset: {
    title: 'Reset session (/new)',
    call: 'sessions.reset',
    scopes: RECOVERY_SCOPES,
    createsSession: false,
    question: (key, gateway) => ({
      message: `Reset ${key} on ${gateway} (/new)?`,
      detail:
        'The session starts a new transcript generation (sessions.reset, reason "new"); a run in progress is cancelled. This needs operator.admin. The old transcript stays on the gateway but is no longer shown.',
      confirm: 'Reset Session',
    }),
  },
  'test-send': {
    title: 'Test send',
    call: 'chat.send',
    scopes: SEND_SCOPES,
    createsSession: true,
    question: (key) => ({ message: `Send a test message to ${key}?`, detail: testSendNotice(key), confirm: 'Send' }),
  },
  send: { title: 'Send message', call: 'chat.send', scopes: SEND_SCOPES, createsSession: true },
};

export function planSessionAction(action: SessionActionName, gateway: string, input: string): SessionActionPlan {
  const p = PLANS[action];
  const question = p.question;
  return {
    action,
    gateway,
    input,
    title: p.title,
    call: p.call,
    scopes: p.scopes,
    createsSession: p.createsSession,
    progressTitle: p.progress ?? ((key) => `${p.title}: ${key}`),
    question: question && ((key) => question(key, gateway)),
  };
}

/** What the host does for an action: ask, show progress (with cancellation), say a fact on the way. */
export interface ActionHost {
  /** Resolves false when the person declines (`--yes` and tests' assumeYes: true without asking). */
  confirm(q: Question): Promise<boolean>;
  progress<T>(
    title: string,
    work: (signal: AbortSignal | undefined, say: (m: string) => void) => Promise<T>,
  ): Promise<T>;
  /** The key as the gateway reads it when it differs, a session a send will create, what a send leaves behind. */
  note(text: string): void;
}

/** What a recovery step needs on an action connection: the settle wait and the watcher's run evidence. */
export function recoveryContext(
  env: Pick<SessionActionEnv, 'settleTimeoutMs' | 'watcher'>,
  api: RecoveryContext['api'],
  connection: RecoveryContext['connection'],
  signal: AbortSignal | undefined,
): RecoveryContext {
  return {
    api,
    connection,
    signal,
    settleTimeoutMs: env.settleTimeoutMs ?? DEFAULT_SETTLE_MS,
    evidence: env.watcher?.evidenceSource(),
  };
}

export interface SessionActionEnv {
  conns: OperatorConnections;
  config: GatewayConfig;
  /** The gateway's watcher: protocol-3 run evidence, and the key resolved on its read-only connection before asking. */
  watcher?: GatewayWatcher;
  /** Each recovery step's entry goes here as it happens. */
  audit: AuditTrail;
  /** recover/abort/reset: the longest wait for the session to settle after each call (default 20 s). */
  settleTimeoutMs?: number;
  /** send: how long to wait for the reply (default 60 s). */
  replyTimeoutMs?: number;
}

/** What an unknown key's refusal returns in place of the model's report (a step's and a verdict's shape at once). */
export interface UnknownSessionResult {
  sessionKey: string;
  input: string;
  exists: false;
  outcome: 'refused';
  verdict: 'refused';
  message: string;
  summary: string;
  steps: [];
}

function unknownSessionReport(plan: SessionActionPlan, r: ResolvedSessionKey): ActionReport<UnknownSessionResult> {
  const text = `${r.key}${r.changed ? ` (from "${r.input}")` : ''} does not exist on ${plan.gateway}: nothing done.`;
  return {
    action: plan.action,
    gateway: plan.gateway,
    sessionKey: r.key,
    kind: 'unknown-session',
    call: plan.call,
    outcome: 'refused',
    summary: text,
    details: [],
    auditDetail: 'unknown session key',
    result: {
      sessionKey: r.key,
      input: r.input,
      exists: false,
      outcome: 'refused',
      verdict: 'refused',
      message: text,
      summary: text,
      steps: [],
    },
  };
}

/**
 * The key as the gateway reads it, on the watcher's read-only connection when it is up (so the question names the real
 * key before a write connection opens). A canonical key the watcher lists needs no call.
 */
async function resolveOnWatcher(
  watcher: GatewayWatcher | undefined,
  input: string,
): Promise<ResolvedSessionKey | undefined> {
  if (!watcher || watcher.snapshot().state !== 'connected') return undefined;
  if (isCanonicalSessionKey(input) && watcher.sessionRows().some((r) => r.key === input))
    return { input, key: input, changed: false, exists: true };
  return resolveSessionKey(watcher.api, input);
}

const STEPS = { abort: abortRun, 'abort-clear-queue': abortAndClearQueue, reset: resetSession } as const;

export async function runSessionAction(
  env: SessionActionEnv,
  plan: SessionActionPlan,
  host: ActionHost,
  opts: { message?: string } = {},
): Promise<ActionReport> {
  const { config } = env;
  /** Says the resolved key, refuses an unknown one, asks: a report when the action stops here. */
  const gate = async (r: ResolvedSessionKey): Promise<ActionReport | undefined> => {
    if (r.changed)
      host.note(
        `${r.input} → ${r.key}${r.agentFromGateway === false ? ' (the gateway named no default agent: "main" assumed)' : ''}`,
      );
    if (!r.exists) {
      if (!plan.createsSession) return unknownSessionReport(plan, r);
      host.note(`${r.key} does not exist yet on ${plan.gateway}: the gateway creates it with this message`);
    }
    if (plan.question && !(await host.confirm(plan.question(r.key))))
      return declinedReport(plan.action, plan.gateway, plan.call, r.key);
    return undefined;
  };
  const early = await resolveOnWatcher(env.watcher, plan.input);
  if (early) {
    const stop = await gate(early);
    if (stop) return stop;
  }

  if (plan.action === 'test-send' || plan.action === 'send') {
    // Resolved on a connection with send's own scopes (the same device as the send), which also fails fast when
    // nothing listens.
    let r = early;
    if (!r) {
      r = await env.conns.run(config, SEND_SCOPES, { purpose: `resolve ${plan.input}` }, (api) =>
        resolveSessionKey(api, plan.input),
      );
      const stop = await gate(r);
      if (stop) return stop;
    }
    if (!plan.question) host.note(testSendNotice(r.key));
    const key = r.key;
    const report = await host.progress(plan.progressTitle(key), (signal) =>
      testSend({
        url: config.url,
        sessionKey: key,
        message: opts.message,
        signal,
        replyTimeoutMs: env.replyTimeoutMs,
        connectTimeoutMs: env.conns.connectTimeoutMs,
        connection: env.conns.connectionOptions(config, SEND_SCOPES, {
          purpose: `${plan.action} ${key}`,
          clientDisplayName: 'Lanewatch test send',
        }),
      }),
    );
    return sendReport(plan.action, plan.gateway, key, report);
  }

  const act = async (ctx: RecoveryContext, key: string, say: (m: string) => void) => {
    if (plan.action === 'recover') {
      const report: RecoveryReport = await recoverSession(ctx, key, (s) => {
        say(`${STEP_WORDS[s.call] ?? 'a recovery step'}: ${OUTCOME_WORDS[s.outcome]}`);
        env.audit.record({ gateway: plan.gateway, session: key, call: s.call, outcome: s.outcome, detail: s.message });
      });
      return recoverReport(plan.gateway, report);
    }
    const step = await STEPS[plan.action as keyof typeof STEPS](ctx, key);
    return stepReport(plan.gateway, key, step, ctx.connection.helloSummary?.serverVersion);
  };
  return host.progress(plan.progressTitle(early?.key ?? plan.input), (signal, say) =>
    env.conns.run(
      config,
      plan.scopes,
      { purpose: `${plan.action} ${early?.key ?? plan.input}`, signal },
      async (api, connection) => {
        let r = early;
        if (!r) {
          r = await resolveSessionKey(api, plan.input, signal);
          const stop = await gate(r);
          if (stop) return stop;
        }
        return act(recoveryContext(env, api, connection, signal), r.key, say);
      },
    ),
  );
}

/** The watchdog's recovery: the same ladder on a connection from the same factory, each step in the audit trail. */
export function watchdogRecovery(
  conns: OperatorConnections,
  audit: AuditTrail,
  settleTimeoutMs = DEFAULT_SETTLE_MS,
): (watcher: GatewayWatcher, key: string) => Promise<RecoveryReport> {
  return (w, key) =>
    conns.run(w.config, RECOVERY_SCOPES, { purpose: `watchdog recover ${key}` }, (api, connection) =>
      recoverSession({ api, connection, settleTimeoutMs, evidence: w.evidenceSource() }, key, (s) =>
        audit.record({ gateway: w.name, session: key, call: s.call, outcome: s.outcome, detail: s.message }),
      ),
    );
}
