// Recovering a parent that waits on its subagents (issue 16 item 4). A parent whose turn ended in sessions_yield has no
// run of its own and nothing to abort: what holds it is the subagent it waits on. The parent's own ladder cannot help
// and can harm (a session-wide sessions.abort also cancels its subagents, the gateway docs say, and a reset wipes the
// transcript whose turn is waiting), so recovery targets the subagent first: the least destructive step that works.
// Once the subagent's run ends, the gateway hands its result (an aborted one included) to the parent, which takes its
// turn. The plan is decided from the watcher's lane statuses (what the tree shows), the act re-checks the gateway's own
// rows on the action's connection before it touches anything, and the report says what became of the parent.
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { compareLaneStates, isBusyLane, type LaneState, type LaneStatus } from '../lanes/laneStatus';
import { isCanonicalSessionKey, resolveSessionKey } from '../lanes/sessionKey';
import { sessionLabel } from '../report/describe';
import { declinedReport, recoverReport, type ActionReport } from './actionReport';
import { RECOVERY_SCOPES } from './operatorConnection';
import {
  readBack,
  recoverSession,
  RunWatch,
  settle,
  type RecoveryContext,
  type RecoveryReport,
  type RecoveryStep,
  type SessionReadBack,
} from './recovery';
import {
  planSessionAction,
  recoveryContext,
  runSessionAction,
  type ActionHost,
  type Question,
  type SessionActionEnv,
} from './sessionActions';

/** A subagent in one of these states is wedged: its run holds the lane and shows no sign of getting anywhere. */
export const WEDGED_STATES: ReadonlySet<LaneState> = new Set<LaneState>(['stuck', 'stalled', 'stale', 'no-progress']);

export interface FamilyRecoveryPlan {
  parent: string;
  parentLabel: string;
  /** The subagent recovered first: the most urgent of those the parent waits on. */
  subagent: string;
  subagentLabel: string;
  subagentState: LaneState;
  /** The subagent is in a wedged state (recommended); otherwise it runs and Lanewatch sees no sign that it is stuck. */
  wedged: boolean;
  /** The other subagents the parent waits on. */
  others: number;
  /** "the parent waits on research, which is stuck (making no progress); recovering the subagent first". */
  reason: string;
}

const STATE_WORDS: Partial<Record<LaneState, string>> = {
  stuck: 'stuck (the gateway says so)',
  stalled: 'stuck (the gateway logged it stalled)',
  stale: 'stuck (its row says running with no run)',
  'no-progress': 'stuck (making no progress)',
  'long-running': 'running for long (the gateway logged it long-running)',
};

/**
 * The subagent to recover first when `parent` waits on subagents (its lane status names them, from the gateway's
 * childSessions and their active runs), or undefined when recovery should act on the parent itself: it waits on
 * nothing, a run of its own holds its lane, or none of the subagents it waits on holds a lane any more.
 */
export function planFamilyRecovery(
  parent: string,
  parentStatus: LaneStatus,
  statusOf: (key: string) => LaneStatus,
  labelOf: (key: string) => string = (k) => k,
): FamilyRecoveryPlan | undefined {
  const waiting = parentStatus.waitingOn ?? [];
  // A run of its own holds the parent: that run is the parent's to recover (the ordinary ladder).
  if (!waiting.length || isBusyLane(parentStatus.state)) return undefined;
  const holding = waiting
    .map((key, i) => ({ key, i, state: statusOf(key).state }))
    // A run holds the subagent's lane: recovering it is what ends the parent's wait (a stale row holds nothing).
    .filter((c) => isBusyLane(c.state));
  if (!holding.length) return undefined;
  // The most urgent first; among equals, the one the parent names first.
  holding.sort((a, b) => compareLaneStates(a.state, b.state) || a.i - b.i);
  const pick = holding[0];
  const wedged = WEDGED_STATES.has(pick.state);
  const label = labelOf(pick.key);
  const others = waiting.length - 1;
  const also = others ? ` (it also waits on ${others} other subagent${others === 1 ? '' : 's'})` : '';
  return {
    parent,
    parentLabel: labelOf(parent),
    subagent: pick.key,
    subagentLabel: label,
    subagentState: pick.state,
    wedged,
    others,
    reason: wedged
      ? `the parent waits on ${label}, which is ${STATE_WORDS[pick.state] ?? pick.state}; recovering the subagent first, so the parent keeps its turn${also}`
      : `the parent has no run of its own: it waits on ${label}, which is ${STATE_WORDS[pick.state] ?? pick.state} (Lanewatch sees no sign that it is stuck); recovering that subagent is what frees the parent, which keeps its turn${also}`,
  };
}

/** The plan from what the watcher shows now (undefined without a connected watcher that lists the session). */
export async function familyPlanOnWatcher(
  watcher: GatewayWatcher | undefined,
  input: string,
): Promise<FamilyRecoveryPlan | undefined> {
  if (!watcher || watcher.snapshot().state !== 'connected') return undefined;
  const key =
    isCanonicalSessionKey(input) && watcher.session(input) ? input : (await resolveSessionKey(watcher.api, input)).key;
  if (!watcher.session(key)) return undefined;
  return planFamilyRecovery(
    key,
    watcher.laneStatus(key),
    (k) => watcher.laneStatus(k),
    (k) => sessionLabel(watcher.session(k), k),
  );
}

/** The y/N question (CLI) or modal (a host without a choice of its own) for recovering the subagent. */
export function familyQuestion(plan: FamilyRecoveryPlan, gateway: string): Question {
  return {
    message: `Recover the subagent ${plan.subagentLabel} of ${plan.parentLabel} on ${gateway}?`,
    detail: `${capital(plan.reason)}. Lanewatch runs the recovery ladder on the subagent (${plan.subagent}): abort its run, then abort and drop its queued inputs, then reset it (/new), stopping at the first step that frees it; the parent then gets the subagent's result and takes its turn.`,
    confirm: 'Recover Subagent',
  };
}

/** A host's pick of what to recover (the extension's quick pick): the words of each choice, most advisable first. */
export function familyPick(plan: FamilyRecoveryPlan): {
  title: string;
  placeHolder: string;
  items: Array<{ label: string; detail: string; choice: FamilyChoice }>;
} {
  return {
    title: `Recover ${plan.parentLabel}: it waits on ${plan.subagentLabel}`,
    placeHolder: plan.wedged
      ? `${plan.subagentLabel} is stuck: recovering it first keeps the parent's turn`
      : `${plan.parentLabel} has no run of its own: what holds it is ${plan.subagentLabel}`,
    items: [
      {
        label: plan.wedged
          ? `Recover the stuck subagent ${plan.subagentLabel} (recommended)`
          : `Recover the subagent ${plan.subagentLabel}`,
        detail: `${capital(plan.reason)}. Its run is aborted (then its queue cleared, then /new) until it is free; the parent then gets its result and takes its turn.`,
        choice: 'subagent',
      },
      {
        label: 'Recover the parent itself',
        detail: `The ladder on ${plan.parent} alone. While it waits it has no run of its own, so there may be nothing to abort; an abort of it also cancels its subagents (the gateway's session-wide abort).`,
        choice: 'parent',
      },
      { label: 'Cancel', detail: 'Nothing is done.', choice: undefined },
    ],
  };
}

/** The parent after its subagent's recovery, as the gateway's row says. */
export type ParentAfter = 'took-its-turn' | 'no-longer-waiting' | 'still-waiting' | 'unknown';

export interface FamilyRecoveryResult {
  parent: string;
  subagent: string;
  subagentLabel: string;
  /** The subagent's lane state when the plan was made, and whether that counts as wedged. */
  subagentState: LaneState;
  wedged: boolean;
  reason: string;
  /** The subagent's own recovery (its steps are the report's steps). */
  subagentVerdict: RecoveryReport['verdict'];
  parentAfter: ParentAfter;
  /** The parent's run that started after the subagent's recovery (its turn). */
  parentRunId?: string;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The gateway's own word that the parent still waits on the subagent: no run of its own, the subagent's run active. */
function stillWaits(parent: SessionReadBack, subagent: SessionReadBack, key: string): boolean {
  return (
    parent.exists &&
    parent.activeRun === false &&
    (parent.childSessions === undefined || parent.childSessions.includes(key)) &&
    subagent.exists &&
    subagent.activeRun === true
  );
}

/**
 * Recovers the subagent the parent waits on, then reads the parent back until it no longer waits (it took its turn)
 * or the settle time passes. When the gateway no longer shows the parent waiting on that subagent (it ended meanwhile),
 * nothing is done to the subagent and the parent's own ladder runs, said so.
 */
export async function recoverWaitingParent(
  ctx: RecoveryContext,
  plan: FamilyRecoveryPlan,
  onStep?: (s: RecoveryStep, session: string) => void,
): Promise<RecoveryReport> {
  const [parentBefore, subagentBefore] = [await readBack(ctx, plan.parent), await readBack(ctx, plan.subagent)];
  if (!stillWaits(parentBefore, subagentBefore, plan.subagent)) {
    const own = await recoverSession(ctx, plan.parent, (s) => onStep?.(s, plan.parent));
    const why = !subagentBefore.exists
      ? `${plan.subagentLabel} is gone`
      : subagentBefore.activeRun === false
        ? `${plan.subagentLabel} has no active run any more`
        : parentBefore.activeRun === true
          ? 'the parent has a run of its own now'
          : `the gateway no longer lists ${plan.subagentLabel} among the parent's subagents`;
    return {
      ...own,
      summary: `the parent no longer waits on ${plan.subagentLabel} (${why}), so the parent itself was recovered: ${own.summary}`,
    };
  }
  // The parent's next turn is seen on this connection from before the subagent is touched.
  let onEnded: (() => void) | undefined;
  const parentRuns = new RunWatch(ctx.connection, plan.parent, () => onEnded?.());
  try {
    const sub = await recoverSession(ctx, plan.subagent, (s) => onStep?.(s, plan.subagent));
    let parentAfter: ParentAfter = 'unknown';
    let after: SessionReadBack | undefined;
    const released = sub.verdict === 'freed' || sub.verdict === 'nothing-to-do';
    if (released) {
      // The wait ends when the row no longer says a subagent of it is active (2026.9.6 then leaves hasActiveSubagentRun
      // out), or its turn starts. Not for the turn itself: 2026.9.6 starts it once it has delivered the subagent's
      // result, within about a minute of an abort (measured 33-66 s; the ledger shows the delivery pending). Waiting
      // on other subagents too: one read says so.
      const done = (s: SessionReadBack) => !s.exists || s.waitingOnSubagents !== true || parentRuns.started.size > 0;
      after = await settle(plan.others ? { ...ctx, settleTimeoutMs: 0 } : ctx, plan.parent, done, parentRuns, (l) => {
        onEnded = l;
      }).catch(() => undefined);
    }
    const turn = [...parentRuns.started.keys()][0];
    if (turn) parentAfter = 'took-its-turn';
    else if (after?.exists && after.waitingOnSubagents !== true) parentAfter = 'no-longer-waiting';
    else if (after?.exists && after.waitingOnSubagents === true) parentAfter = 'still-waiting';
    const family: FamilyRecoveryResult = {
      parent: plan.parent,
      subagent: plan.subagent,
      subagentLabel: plan.subagentLabel,
      subagentState: plan.subagentState,
      wedged: plan.wedged,
      reason: plan.reason,
      subagentVerdict: sub.verdict,
      parentAfter,
      ...(turn ? { parentRunId: turn } : {}),
    };
    return {
      sessionKey: plan.parent,
      steps: sub.steps,
      verdict: sub.verdict,
      summary: `${plan.reason}. The subagent (${plan.subagent}): ${sub.summary}. ${parentWords(family, !!after, plan)}`,
      family,
    };
  } finally {
    parentRuns.dispose();
  }
}

function parentWords(f: FamilyRecoveryResult, read: boolean, plan: FamilyRecoveryPlan): string {
  switch (f.parentAfter) {
    case 'took-its-turn':
      return `The parent took its turn (run ${f.parentRunId}).`;
    case 'no-longer-waiting':
      return "The parent no longer waits on a running subagent: it takes its turn once the gateway has delivered the subagent's result to it (on openclaw 2026.9.6 within about a minute of an abort; the task ledger shows that delivery pending meanwhile).";
    case 'still-waiting':
      return plan.others
        ? `The parent still waits on its other subagent${plan.others === 1 ? '' : 's'}.`
        : 'The gateway still shows the parent waiting on a subagent.';
    default:
      return read ? 'Whether the parent still waits was not reported.' : 'The parent was not touched.';
  }
}

const PROGRESS_WORDS: Record<RecoveryStep['action'], string> = {
  abort: 'aborting the run',
  'abort-clear-queue': 'aborting the run and dropping queued inputs',
  reset: 'resetting the session (/new)',
};

/** Which session the person chose to recover: the subagent (recommended when it is wedged), the parent, or neither. */
export type FamilyChoice = 'subagent' | 'parent' | undefined;

export interface RecoverOptions {
  /** `parent`: recover the session named, never its subagent (the CLI's flag); default: the subagent first. */
  target?: 'auto' | 'parent';
  /** A host that offers the choice itself (the extension's quick pick); its answer is the consent. */
  choose?: (plan: FamilyRecoveryPlan) => Promise<FamilyChoice>;
}

/**
 * Recover, family-aware, for every host: a parent that waits on a subagent holding its lane has that subagent recovered
 * first (asked through `choose`, else through the host's confirmation with the family's words); anything else is the
 * ordinary recover (runSessionAction).
 */
export async function runRecover(
  env: SessionActionEnv,
  input: string,
  host: ActionHost,
  opts: RecoverOptions = {},
): Promise<ActionReport> {
  const gateway = env.config.name;
  const plan = opts.target === 'parent' ? undefined : await familyPlanOnWatcher(env.watcher, input);
  if (!plan) return runSessionAction(env, planSessionAction('recover', gateway, input), host);
  const choice: FamilyChoice = opts.choose
    ? await opts.choose(plan)
    : (await host.confirm(familyQuestion(plan, gateway)))
      ? 'subagent'
      : undefined;
  if (!choice) return declinedReport('recover', gateway, 'recover', plan.parent);
  if (choice === 'parent')
    return runSessionAction(env, planSessionAction('recover', gateway, plan.parent), {
      confirm: async () => true,
      progress: (title, work) => host.progress(title, work),
      note: (text) => host.note(text),
    });
  return host.progress(`Recovering ${plan.subagentLabel}, subagent of ${plan.parentLabel}`, (signal, say) =>
    env.conns.run(
      env.config,
      RECOVERY_SCOPES,
      { purpose: `recover ${plan.subagent} (the subagent ${plan.parent} waits on)`, signal },
      async (api, connection) => {
        say(plan.reason);
        const ctx = recoveryContext(env, api, connection, signal);
        const report = await recoverWaitingParent(ctx, plan, (s, session) => {
          // Plain words in the progress; the call itself goes to the audit trail.
          say(
            `${session === plan.subagent ? plan.subagentLabel : plan.parentLabel}: ${PROGRESS_WORDS[s.action]}: ${s.outcome === 'freed' ? 'free' : s.outcome}`,
          );
          env.audit.record({ gateway, session, call: s.call, outcome: s.outcome, detail: s.message });
        });
        return recoverReport(gateway, report);
      },
    ),
  );
}
