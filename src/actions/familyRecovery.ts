// Recovering a parent that waits on its subagents (issue 16 item 4). A parent whose turn ended in sessions_yield has no
// run of its own and nothing to abort: what holds it is the subagent it waits on. The parent's own ladder cannot help
// and can harm (a session-wide sessions.abort also cancels its subagents, the gateway docs say, and a reset wipes the
// transcript whose turn is waiting), so recovery targets the subagent first: the least destructive step that works.
// Once the subagent's run ends, the gateway hands its result (an aborted one included) to the parent, which takes its
// turn. Nested (the parent waits on a subagent that yielded in turn and waits for its own): what holds them all is the
// deepest one's run, so that one is recovered; the results then go back up one level at a time. The plan is decided from the watcher's lane statuses (what the tree shows), the act re-checks the gateway's own
// rows on the action's connection before it touches anything, and the report says what became of the parent.
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { compareLaneStates, isBusyLane, MAX_WAIT_DEPTH, type LaneState, type LaneStatus } from '../lanes/laneStatus';
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
  /**
   * The subagent recovered first: the most urgent of those whose run holds the parent (one it waits on, or, nested,
   * one that a subagent it waits on waits for in turn).
   */
  subagent: string;
  subagentLabel: string;
  subagentState: LaneState;
  /** The subagent is in a wedged state (recommended); otherwise it runs and Lanewatch sees no sign that it is stuck. */
  wedged: boolean;
  /** The other subagents the parent waits on. */
  others: number;
  /**
   * Nested sessions_yield: the subagents between the parent and `subagent`, each waiting on the next (P → C → G: [C]);
   * empty when the parent waits on `subagent` itself.
   */
  via: string[];
  viaLabels: string[];
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

/** Lanewatch's own no-progress signal was reached, whatever state won (a gateway diagnostic outranks it in the state). */
const hasNoProgressFact = (s: LaneStatus): boolean => s.facts.some((f) => f.rule === 'lanewatch.no-progress');

/** Sessions looked at to find what holds a waiting parent (the lane status walks its rows within the same bound). */
const MAX_LOOKED_AT = 1_000;

/**
 * The subagent to recover first when `parent` waits on subagents (its lane status names them, from the gateway's
 * childSessions and their active runs), or undefined when recovery should act on the parent itself: it waits on
 * nothing, a run of its own holds its lane, or none of the subagents it waits on holds a lane any more. A subagent it
 * waits on that has no run of its own and waits in turn (nested sessions_yield) is followed down to the one whose run
 * holds them: recovering the waiting one would abort nothing and could reset an orchestrator's transcript.
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
  // Breadth first from the subagents it waits on (with the chains its status found below them), then through what each
  // waiting one waits on in turn; bounded in depth (the gateway's maxSpawnDepth) and in sessions, cycles cut.
  const queue: Array<{ key: string; via: string[] }> = [];
  waiting.forEach((key, i) => {
    const chain = parentStatus.waitingChains?.[i]?.[0] === key ? parentStatus.waitingChains[i] : [key];
    chain.slice(0, MAX_WAIT_DEPTH).forEach((k, j) => queue.push({ key: k, via: chain.slice(0, j) }));
  });
  const seen = new Set([parent]);
  const holding: Array<{ key: string; via: string[]; i: number; state: LaneState; quiet: boolean }> = [];
  for (let i = 0; i < queue.length && i < MAX_LOOKED_AT; i++) {
    const { key, via } = queue[i];
    if (seen.has(key)) continue;
    seen.add(key);
    const s = statusOf(key);
    // A run holds the subagent's lane: recovering it is what ends the parent's wait (a stale row holds nothing).
    if (isBusyLane(s.state)) holding.push({ key, via, i, state: s.state, quiet: hasNoProgressFact(s) });
    else if (via.length + 1 < MAX_WAIT_DEPTH)
      for (const k of s.waitingOn ?? []) queue.push({ key: k, via: [...via, key] });
  }
  if (!holding.length) return undefined;
  // The most urgent first; among equals, the one found first (the parent's own subagents in the order it names them).
  holding.sort((a, b) => compareLaneStates(a.state, b.state) || a.i - b.i);
  const pick = holding[0];
  // The gateway's own "long-running" (it says so of a silent model call until its own abort threshold) does not hide
  // that the run has sent nothing for longer than Lanewatch's no-progress limit: that is a wedge to the operator too.
  const wedged = WEDGED_STATES.has(pick.state) || pick.quiet;
  const label = labelOf(pick.key);
  const viaLabels = pick.via.map(labelOf);
  const others = waiting.length - 1;
  const also = others ? ` (it also waits on ${others} other subagent${others === 1 ? '' : 's'})` : '';
  // "research", or nested "relay, which waits for its own subagent deep"
  const holder = [...viaLabels, label].join(', which waits for its own subagent ');
  const state =
    pick.quiet && !WEDGED_STATES.has(pick.state)
      ? `${STATE_WORDS[pick.state] ?? pick.state} and has sent no event for longer than the no-progress limit`
      : (STATE_WORDS[pick.state] ?? pick.state);
  return {
    parent,
    parentLabel: labelOf(parent),
    subagent: pick.key,
    subagentLabel: label,
    subagentState: pick.state,
    wedged,
    others,
    via: pick.via,
    viaLabels,
    reason: !viaLabels.length
      ? wedged
        ? `the parent waits on ${label}, which is ${state}; recovering the subagent first, so the parent keeps its turn${also}`
        : `the parent has no run of its own: it waits on ${label}, which is ${state} (Lanewatch sees no sign that it is stuck); recovering that subagent is what frees the parent, which keeps its turn${also}`
      : wedged
        ? `the parent waits on ${holder}, which is ${state}; recovering ${label} first, so ${viaLabels.join(', ')} and the parent keep their turns${also}`
        : `the parent has no run of its own: it waits on ${holder}, which is ${state} (Lanewatch sees no sign that it is stuck); recovering ${label} is what frees them, and they keep their turns${also}`,
  };
}

/** What happens after the subagent is freed, in words: who gets its result. */
function handBackWords(plan: FamilyRecoveryPlan): string {
  const waiter = plan.viaLabels[plan.viaLabels.length - 1];
  return waiter
    ? `${waiter} then gets its result and takes its turn, and the results go on up to the parent (the gateway hands them back one level at a time)`
    : "the parent then gets the subagent's result and takes its turn";
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
    message: `Recover the subagent ${plan.subagentLabel} of ${plan.viaLabels.length ? `${plan.viaLabels[plan.viaLabels.length - 1]} (under ${plan.parentLabel})` : plan.parentLabel} on ${gateway}?`,
    detail: `${capital(plan.reason)}. Lanewatch runs the recovery ladder on the subagent (${plan.subagent}): abort its run, then abort and drop its queued inputs, then reset it (/new), stopping at the first step that frees it; ${handBackWords(plan)}.`,
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
    title: `Recover ${plan.parentLabel}: it waits on ${[...plan.viaLabels, plan.subagentLabel].join(', which waits on ')}`,
    placeHolder: plan.wedged
      ? `${plan.subagentLabel} is stuck: recovering it first keeps the parent's turn`
      : `${plan.parentLabel} has no run of its own: what holds it is ${plan.subagentLabel}`,
    items: [
      {
        label: plan.wedged
          ? `Recover the stuck subagent ${plan.subagentLabel} (recommended)`
          : `Recover the subagent ${plan.subagentLabel}`,
        detail: `${capital(plan.reason)}. Its run is aborted (then its queue cleared, then /new) until it is free; ${handBackWords(plan)}.`,
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

/** The session that waited on the recovered subagent (the parent; nested, the subagent between), as its row says. */
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
  /** Nested: the subagents between the parent and the one recovered (see FamilyRecoveryPlan.via). */
  via?: string[];
  /**
   * What became of the session that waited directly on the recovered subagent: the parent, or nested, the last of
   * `via` (its result reaches the parent later, one level at a time).
   */
  parentAfter: ParentAfter;
  /** That session's run that started after the subagent's recovery (its turn). */
  parentRunId?: string;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Why the gateway's own rows no longer show the chain parent → … → subagent waiting (each with no run of its own and
 * listing the next among its subagents, the last one's run active), or undefined when they still do.
 */
function chainBroken(reads: SessionReadBack[], chain: string[], labelOf: (key: string) => string): string | undefined {
  const last = reads.length - 1;
  const name = (i: number) => (i === 0 ? 'the parent' : labelOf(chain[i]));
  if (!reads[last].exists) return `${labelOf(chain[last])} is gone`;
  if (reads[last].activeRun !== true) return `${labelOf(chain[last])} has no active run any more`;
  for (let i = 0; i < last; i++) {
    const r = reads[i];
    if (!r.exists) return `${name(i)} is gone`;
    if (r.activeRun === true) return `${name(i)} has a run of its own now`;
    if (r.activeRun !== false) return `whether ${name(i)} has a run of its own was not reported`;
    if (r.childSessions !== undefined && !r.childSessions.includes(chain[i + 1]))
      return `the gateway no longer lists ${labelOf(chain[i + 1])} among ${i === 0 ? "the parent's" : `${labelOf(chain[i])}'s`} subagents`;
  }
  return undefined;
}

/**
 * Recovers the subagent the parent waits on (nested: the one a subagent it waits on waits for in turn), then reads back
 * the session that waited on it directly until it no longer waits (it took its turn) or the settle time passes. When
 * the gateway no longer shows that wait, nothing is done to the subagent and the parent's own ladder runs, said so.
 */
export async function recoverWaitingParent(
  ctx: RecoveryContext,
  plan: FamilyRecoveryPlan,
  onStep?: (s: RecoveryStep, session: string) => void,
): Promise<RecoveryReport> {
  const chain = [plan.parent, ...plan.via, plan.subagent];
  const labels = new Map([
    [plan.parent, plan.parentLabel],
    ...plan.via.map((k, i): [string, string] => [k, plan.viaLabels[i] ?? k]),
    [plan.subagent, plan.subagentLabel],
  ]);
  const labelOf = (k: string) => labels.get(k) ?? k;
  const reads: SessionReadBack[] = [];
  for (const key of chain) reads.push(await readBack(ctx, key));
  const broken = chainBroken(reads, chain, labelOf);
  if (broken) {
    const own = await recoverSession(ctx, plan.parent, (s) => onStep?.(s, plan.parent));
    return {
      ...own,
      summary: `the parent no longer waits on ${plan.subagentLabel} (${broken}), so the parent itself was recovered: ${own.summary}`,
    };
  }
  // The session the subagent's result goes to: the parent, or nested, the subagent that waits on it.
  const waiter = chain[chain.length - 2];
  // The waiter's next turn is seen on this connection from before the subagent is touched.
  let onEnded: (() => void) | undefined;
  const parentRuns = new RunWatch(ctx.connection, waiter, () => onEnded?.());
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
      after = await settle(plan.others ? { ...ctx, settleTimeoutMs: 0 } : ctx, waiter, done, parentRuns, (l) => {
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
      ...(plan.via.length ? { via: plan.via } : {}),
      parentAfter,
      ...(turn ? { parentRunId: turn } : {}),
    };
    return {
      sessionKey: plan.parent,
      steps: sub.steps,
      verdict: sub.verdict,
      // Words for the operator: the sessions by their labels; keys and run ids are in `family` (details, --json, audit).
      summary: `${plan.reason}. The subagent ${plan.subagentLabel}: ${sub.summary}. ${parentWords(family, !!after, plan)}`,
      family,
    };
  } finally {
    parentRuns.dispose();
  }
}

function parentWords(f: FamilyRecoveryResult, read: boolean, plan: FamilyRecoveryPlan): string {
  const waiter = plan.viaLabels[plan.viaLabels.length - 1];
  if (waiter)
    switch (f.parentAfter) {
      case 'took-its-turn':
        return `${capital(waiter)} took its turn; its result goes on up to the parent (the gateway hands results back one level at a time).`;
      case 'no-longer-waiting':
        return `${capital(waiter)} no longer waits on a running subagent: it takes its turn once the gateway has delivered ${plan.subagentLabel}'s result to it (on openclaw 2026.9.6 within about a minute of an abort), and the parent gets ${waiter}'s result after that.`;
      case 'still-waiting':
        return `The gateway still shows ${waiter} waiting on a subagent.`;
      default:
        return read ? `Whether ${waiter} still waits was not reported.` : 'The parent was not touched.';
    }
  switch (f.parentAfter) {
    case 'took-its-turn':
      return 'The parent took its turn.';
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
  const of = plan.viaLabels.length
    ? `${plan.viaLabels[plan.viaLabels.length - 1]} (under ${plan.parentLabel})`
    : plan.parentLabel;
  return host.progress(`Recovering ${plan.subagentLabel}, subagent of ${of}`, (signal, say) =>
    env.conns.run(
      env.config,
      RECOVERY_SCOPES,
      {
        purpose: `recover ${plan.subagent} (the subagent ${plan.parent} waits on${plan.via.length ? `, through ${plan.via.join(' → ')}` : ''})`,
        signal,
      },
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
