// Cron "Run Now" / "Disable" / "Enable" and task "Cancel" / "Retry delivery", decided once for the extension and the
// CLI like the session actions (sessionActions.ts): a plan says what will be done and what to ask; the run asks through
// the host, acts on an action connection from the one factory, reads the scheduler or the ledger back, and reports.
// Never reported done when the read-back does not show it: Run Now is done when the run shows in the job's history or
// state (2026.3.24 answers `ok: true, ran: false` for a job already running), Disable/Enable when the job reads back
// with the new flag and its next run gone / in the future, Cancel when tasks.get says cancelled, Retry when the task's
// delivery left "failed". Every outcome goes to the audit trail.
import type { GatewayConfig } from '../config/gatewaySettings';
import type { OperatorScope } from '../gateway';
import {
  SchedulerApi,
  type CronJobView,
  type CronRunLogEntryView,
  type TaskSummaryView,
} from '../gateway/schedulerApi';
import { describeSchedule } from '../fleet/cronJobs';
import { readCronJobs } from '../fleet/schedulerRead';
import { FAILED_DELIVERY } from '../fleet/taskLedger';
import { formatDuration } from '../protocol/duration';
import { describeFailure, type OutcomeClass } from './actionReport';
import type { AuditTrail } from './auditTrail';
import type { OperatorConnections } from './operatorConnection';
import type { ActionHost, Question } from './sessionActions';

export type SchedulerActionName = 'cron-run-now' | 'cron-disable' | 'cron-enable' | 'task-cancel' | 'task-retry';

export type SchedulerOutcomeKind =
  | 'ran'
  | 'started'
  | 'disabled'
  | 'enabled'
  | 'cancelled'
  | 'retried'
  | 'nothing-to-do'
  | 'no-change'
  | 'unverified'
  | 'refused'
  | 'unknown-target'
  | 'declined'
  | 'failed';

export const SCHEDULER_OUTCOME_CLASS: Readonly<Record<SchedulerOutcomeKind, OutcomeClass>> = {
  ran: 'ok',
  started: 'ok',
  disabled: 'ok',
  enabled: 'ok',
  cancelled: 'ok',
  retried: 'ok',
  'nothing-to-do': 'ok',
  'no-change': 'ineffective',
  unverified: 'ineffective',
  refused: 'refused',
  'unknown-target': 'refused',
  declined: 'refused',
  failed: 'failed',
};

/** cron.run and cron.update need operator.admin (2026.9.6's method table). */
export const CRON_ACTION_SCOPES: OperatorScope[] = ['operator.read', 'operator.admin'];
/** tasks.cancel and tasks.retry need operator.write. */
export const TASK_ACTION_SCOPES: OperatorScope[] = ['operator.read', 'operator.write'];
/** How long a Run Now / Cancel is followed before it is reported unverified (the CLI's reply timeout). */
export const DEFAULT_SCHEDULER_SETTLE_MS = 20_000;
const POLL_MS = 500;

export interface SchedulerActionPlan {
  action: SchedulerActionName;
  gateway: string;
  /** The job id or task id. */
  target: string;
  /** The job's name or task's title when the host knows it (the tree does), else the id. */
  label: string;
  title: string;
  call: string;
  scopes: readonly OperatorScope[];
  question?: Question;
}

export function planSchedulerAction(
  action: SchedulerActionName,
  gateway: string,
  target: string,
  label = target,
): SchedulerActionPlan {
  const base = { action, gateway, target, label };
  switch (action) {
    case 'cron-run-now':
      return {
        ...base,
        title: 'Run cron job now',
        call: 'cron.run',
        scopes: CRON_ACTION_SCOPES,
        question: {
          message: `Run ${label} on ${gateway} now?`,
          detail:
            'The scheduler starts a run of this job now, outside its schedule (even when the job is disabled); the schedule itself is unchanged. Lanewatch then reads the job and its run history back to confirm the run.',
          confirm: 'Run Now',
        },
      };
    case 'cron-disable':
      return {
        ...base,
        title: 'Disable cron job',
        call: 'cron.update',
        scopes: CRON_ACTION_SCOPES,
        question: {
          message: `Disable ${label} on ${gateway}?`,
          detail:
            'The job stops firing until it is enabled again; a run of it in progress is stopped by the scheduler. Lanewatch reads the job back to confirm it is disabled and has no next run.',
          confirm: 'Disable',
        },
      };
    case 'cron-enable':
      return { ...base, title: 'Enable cron job', call: 'cron.update', scopes: CRON_ACTION_SCOPES };
    case 'task-cancel':
      return {
        ...base,
        title: 'Cancel task',
        call: 'tasks.cancel',
        scopes: TASK_ACTION_SCOPES,
        question: {
          message: `Cancel the task ${label} on ${gateway}?`,
          detail:
            "The task's run is stopped through its owner (a subagent's child session is ended). Lanewatch reads the task ledger back and reports it cancelled only when the ledger says so.",
          confirm: 'Cancel Task',
        },
      };
    case 'task-retry':
      return {
        ...base,
        title: 'Retry task delivery',
        call: 'tasks.retry',
        scopes: TASK_ACTION_SCOPES,
        question: {
          message: `Retry delivering the result of ${label} on ${gateway}?`,
          detail:
            'The gateway hands the finished result to the session that asked for it again. If an earlier delivery may have arrived, the result can show twice. Lanewatch reads the task ledger back to confirm the delivery left "failed".',
          confirm: 'Retry Delivery',
        },
      };
  }
}

export interface SchedulerActionReport<R = unknown> {
  action: SchedulerActionName;
  gateway: string;
  target: string;
  kind: SchedulerOutcomeKind;
  call: string;
  outcome: string;
  /** What happened, in plain language. */
  summary: string;
  /** The calls and what was read back. */
  details: string[];
  result: R;
}

export const schedulerOutcomeClass = (r: Pick<SchedulerActionReport, 'kind'>): OutcomeClass =>
  SCHEDULER_OUTCOME_CLASS[r.kind];

export interface SchedulerActionEnv {
  conns: OperatorConnections;
  config: GatewayConfig;
  audit: AuditTrail;
  /** How long a Run Now / Cancel is followed (default 20 s). */
  settleTimeoutMs?: number;
  now?: () => number;
}

const timeText = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

async function findJob(api: SchedulerApi, id: string): Promise<CronJobView | undefined> {
  return (await readCronJobs(api)).jobs.find((j) => j.id === id);
}

const nextRunText = (j: CronJobView | undefined) => {
  const next = j?.state?.nextRunAtMs ?? j?.nextRunAtMs;
  return j?.enabled && next !== undefined ? `next run ${timeText(next)}` : 'no next run';
};

interface Step {
  kind: SchedulerOutcomeKind;
  outcome: string;
  summary: string;
  details: string[];
  result: unknown;
}

/** An action that waits for the scheduler to settle: its plan, and how long and by which clock it waits. */
interface SettleStep {
  api: SchedulerApi;
  plan: SchedulerActionPlan;
  settleMs: number;
  now: () => number;
  signal?: AbortSignal;
}

async function runNow({ api, plan, settleMs, now, signal }: SettleStep): Promise<Step> {
  const before = await findJob(api, plan.target);
  if (!before) return unknownJob(plan);
  const details: string[] = [];
  const name = before.displayName || before.name;
  const t0 = now();
  const answer = await api.cronRun({ id: plan.target, mode: 'force' });
  details.push(`cron.run ${JSON.stringify({ id: plan.target, mode: 'force' })} → ${JSON.stringify(answer)}`);
  if (!answer.ok || answer.ran === false || answer.enqueued === false) {
    const why =
      answer.reason === 'already-running'
        ? `a run of it is already going${before.state?.runningAtMs !== undefined ? ` (since ${timeText(before.state.runningAtMs)})` : ''}`
        : (answer.reason ?? 'the scheduler gave no reason');
    return {
      kind: answer.ok ? 'no-change' : 'refused',
      outcome: answer.ok ? 'not run' : 'refused',
      summary: `The scheduler did not start ${name}: ${why}. Nothing was run.`,
      details,
      result: { answer, before },
    };
  }
  // Follow the run: its history entry (by runId on 2026.9.x), else the job's own state.
  const deadline = now() + settleMs;
  let entry: CronRunLogEntryView | undefined;
  let job: CronJobView | undefined = before;
  let startedAt: number | undefined;
  // 2026.3.24 answers a runId too but rejects it as a cron.runs filter ("unexpected property 'runId'") and records no
  // runId in its history: there the run is the finished entry that started after the request.
  let byRunId = answer.runId !== undefined;
  const readRuns = async (): Promise<CronRunLogEntryView[]> => {
    const p = { id: plan.target, limit: 20, sortDir: 'desc' as const };
    if (byRunId) {
      try {
        return (await api.cronRuns({ ...p, runId: answer.runId })).entries ?? [];
      } catch {
        byRunId = false;
      }
    }
    return (await api.cronRuns(p).catch(() => ({ entries: [] as CronRunLogEntryView[] }))).entries ?? [];
  };
  for (;;) {
    entry = (await readRuns()).find(
      (e) =>
        e.action === 'finished' &&
        (e.runId !== undefined && answer.runId !== undefined
          ? e.runId === answer.runId
          : (e.runAtMs ?? e.ts) >= t0 - 1_000),
    );
    job = (await findJob(api, plan.target)) ?? job;
    const running = job?.state?.runningAtMs;
    if (running !== undefined && running >= t0 - 1_000) startedAt = running;
    const lastRun = job?.state?.lastRunAtMs;
    if (!entry && !byRunId && lastRun !== undefined && lastRun >= t0 - 1_000 && running === undefined) {
      startedAt = lastRun;
      break;
    }
    if (entry || now() >= deadline || signal?.aborted) break;
    await sleep(POLL_MS, signal);
  }
  const next = nextRunText(job);
  if (entry) {
    const how =
      entry.status === 'ok'
        ? `finished ok${entry.durationMs !== undefined ? ` in ${formatDuration(entry.durationMs)}` : ''}`
        : `finished with ${entry.status === 'skipped' ? 'a skip' : 'an error'}${entry.error ? `: ${entry.error.slice(0, 200)}` : ''}`;
    details.push(`cron.runs → ${entry.action} ${entry.status ?? ''} ${entry.runId ?? ''}`.trim());
    return {
      kind: 'ran',
      outcome: entry.status === 'ok' ? 'ran' : `ran (${entry.status})`,
      summary: `Ran ${name}: the run ${how}; ${next}.`,
      details,
      result: { answer, entry, job },
    };
  }
  if (startedAt !== undefined) {
    const running = job?.state?.runningAtMs !== undefined;
    return {
      kind: running ? 'started' : 'ran',
      outcome: running ? 'started' : 'ran',
      summary: running
        ? `Started ${name} at ${timeText(startedAt)}; it is still running after ${formatDuration(now() - t0)}. ${next[0].toUpperCase()}${next.slice(1)}.`
        : `Ran ${name} at ${timeText(startedAt)} (last outcome: ${job?.state?.lastRunStatus ?? job?.state?.lastStatus ?? 'unknown'}); ${next}.`,
      details,
      result: { answer, job },
    };
  }
  return {
    kind: 'unverified',
    outcome: 'not confirmed',
    summary: `The scheduler accepted a run of ${name}${answer.runId ? ` (${answer.runId})` : ''}, but neither its run history nor the job showed it within ${formatDuration(settleMs)}. Check the job again before running it once more.`,
    details,
    result: { answer, job },
  };
}

function unknownJob(plan: SchedulerActionPlan): Step {
  return {
    kind: 'unknown-target',
    outcome: 'refused',
    summary: `There is no cron job ${plan.target} on ${plan.gateway}: nothing done.`,
    details: [],
    result: undefined,
  };
}

async function setEnabled(api: SchedulerApi, plan: SchedulerActionPlan, enabled: boolean): Promise<Step> {
  const details: string[] = [];
  const before = await findJob(api, plan.target);
  if (!before) return unknownJob(plan);
  const name = before.displayName || before.name;
  const word = enabled ? 'enabled' : 'disabled';
  if (before.enabled === enabled)
    return {
      kind: 'nothing-to-do',
      outcome: `already ${word}`,
      summary: `${name} is already ${word} (${nextRunText(before)}): nothing done.`,
      details,
      result: { before },
    };
  const answer = await api.cronUpdate({ id: plan.target, patch: { enabled } });
  details.push(`cron.update ${JSON.stringify({ id: plan.target, patch: { enabled } })} → enabled=${answer?.enabled}`);
  const after = await findJob(api, plan.target);
  const next = after?.state?.nextRunAtMs ?? after?.nextRunAtMs;
  details.push(`cron.list → ${after ? `enabled=${after.enabled} nextRunAtMs=${next ?? 'none'}` : 'job gone'}`);
  if (!after || after.enabled !== enabled || answer?.enabled !== enabled)
    return {
      kind: 'no-change',
      outcome: 'no change',
      summary: `The scheduler answered, but ${name} reads back ${after ? (after.enabled ? 'enabled' : 'disabled') : 'as gone'}: it was not ${word}.`,
      details,
      result: { answer, before, after },
    };
  const timeBased = ['at', 'every', 'cron'].includes(after.schedule?.kind);
  if (enabled && timeBased && next === undefined)
    return {
      kind: 'unverified',
      outcome: 'enabled, no next run',
      summary: `${name} reads back enabled, but the scheduler shows no next run for ${describeSchedule(after.schedule)}.`,
      details,
      result: { answer, before, after },
    };
  if (!enabled && next !== undefined)
    return {
      kind: 'unverified',
      outcome: 'disabled, next run kept',
      summary: `${name} reads back disabled, but the scheduler still shows a next run at ${timeText(next)}.`,
      details,
      result: { answer, before, after },
    };
  return {
    kind: word,
    outcome: word,
    summary: enabled
      ? `Enabled ${name}: ${next !== undefined ? `next run ${timeText(next)}` : 'it fires on its trigger'}.`
      : `Disabled ${name}: it has no next run${before.state?.runningAtMs !== undefined ? '; the run that was going is stopped by the scheduler' : ''}.`,
    details,
    result: { answer, before, after },
  };
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'timed_out', 'lost', 'succeeded']);

async function getTask(api: SchedulerApi, id: string): Promise<TaskSummaryView | undefined> {
  try {
    return (await api.tasksGet({ taskId: id })).task;
  } catch (err) {
    if (/not found/i.test((err as Error)?.message ?? '')) return undefined;
    throw err;
  }
}

function unknownTask(plan: SchedulerActionPlan): Step {
  return {
    kind: 'unknown-target',
    outcome: 'refused',
    summary: `The task ledger of ${plan.gateway} has no task ${plan.target}: nothing done.`,
    details: [],
    result: undefined,
  };
}

async function cancelTask({ api, plan, settleMs, now, signal }: SettleStep): Promise<Step> {
  const before = await getTask(api, plan.target);
  if (!before) return unknownTask(plan);
  const details: string[] = [];
  const title = before.title || plan.label;
  if (TERMINAL.has(before.status))
    return {
      kind: 'nothing-to-do',
      outcome: `already ${before.status}`,
      summary: `The task ${title} is already ${before.status}: nothing to cancel.`,
      details,
      result: { before },
    };
  const answer = await api.tasksCancel({ taskId: plan.target, reason: 'cancelled by an operator (Lanewatch)' });
  details.push(
    `tasks.cancel → found=${answer.found} cancelled=${answer.cancelled}${answer.reason ? ` (${answer.reason})` : ''}`,
  );
  if (!answer.found) return unknownTask(plan);
  if (!answer.cancelled)
    return {
      kind: 'refused',
      outcome: 'refused',
      summary: `The gateway did not cancel ${title}: ${answer.reason ?? 'no reason given'}.`,
      details,
      result: { answer, before },
    };
  const deadline = now() + settleMs;
  let after: TaskSummaryView | undefined;
  for (;;) {
    after = await getTask(api, plan.target);
    if (!after || after.status === 'cancelled' || now() >= deadline || signal?.aborted) break;
    await sleep(POLL_MS, signal);
  }
  details.push(`tasks.get → ${after ? `status=${after.status}` : 'task gone'}`);
  if (after?.status === 'cancelled')
    return {
      kind: 'cancelled',
      outcome: 'cancelled',
      summary: `Cancelled ${title}.`,
      details,
      result: { answer, after },
    };
  return {
    kind: 'no-change',
    outcome: 'not cancelled',
    summary: `The gateway said it cancelled ${title}, but the ledger still reads ${after ? after.status : 'no such task'} after ${formatDuration(settleMs)}.`,
    details,
    result: { answer, before, after },
  };
}

async function retryTask(api: SchedulerApi, plan: SchedulerActionPlan): Promise<Step> {
  const details: string[] = [];
  const before = await getTask(api, plan.target);
  if (!before) return unknownTask(plan);
  const title = before.title || plan.label;
  const answer = await api.tasksRetry({ taskIds: [plan.target] });
  const r = (answer.results ?? []).find((x) => x.taskId === plan.target);
  details.push(`tasks.retry → ${r ? `ok=${r.ok}${r.reason ? ` (${r.reason})` : ''}` : 'no result for this task'}`);
  if (!r?.ok)
    return {
      kind: 'refused',
      outcome: 'refused',
      summary: `The gateway did not retry the delivery of ${title}: ${r?.reason ?? 'it gave no result for this task'}.`,
      details,
      result: { answer, before },
    };
  const after = await getTask(api, plan.target);
  details.push(
    `tasks.get → ${after ? `deliveryStatus=${after.deliveryStatus} terminalOutcome=${after.terminalOutcome ?? 'none'}` : 'task gone'}`,
  );
  const stillFailed = !after || FAILED_DELIVERY.has(after.deliveryStatus ?? '') || after.terminalOutcome === 'blocked';
  if (stillFailed)
    return {
      kind: 'no-change',
      outcome: 'not retried',
      summary: `The gateway accepted the retry of ${title}, but the ledger still reads its delivery ${after ? (after.deliveryStatus ?? 'unknown') : 'as gone'}.`,
      details,
      result: { answer, before, after },
    };
  return {
    kind: 'retried',
    outcome: 'retried',
    summary: `Retrying the delivery of ${title}: the ledger now reads it ${after.deliveryStatus}${r.duplicateRisk ? ' (the result may show twice: an earlier delivery may have arrived)' : ''}.`,
    details,
    result: { answer, before, after },
  };
}

export async function runSchedulerAction(
  env: SchedulerActionEnv,
  plan: SchedulerActionPlan,
  host: ActionHost,
): Promise<SchedulerActionReport> {
  const report = (s: Step): SchedulerActionReport => ({
    action: plan.action,
    gateway: plan.gateway,
    target: plan.target,
    kind: s.kind,
    call: plan.call,
    outcome: s.outcome,
    summary: s.summary,
    details: s.details,
    result: s.result,
  });
  if (plan.question && !(await host.confirm(plan.question)))
    return report({
      kind: 'declined',
      outcome: 'cancelled by user',
      summary: 'cancelled: nothing was done',
      details: [],
      result: undefined,
    });
  const settle = env.settleTimeoutMs ?? DEFAULT_SCHEDULER_SETTLE_MS;
  const now = env.now ?? Date.now;
  let out: SchedulerActionReport;
  try {
    out = await host.progress(`${plan.title}: ${plan.label}`, (signal) =>
      env.conns.run(
        env.config,
        plan.scopes,
        { purpose: `${plan.action} ${plan.target}`, signal },
        async (_api, connection) => {
          const api = new SchedulerApi(connection);
          switch (plan.action) {
            case 'cron-run-now':
              return report(await runNow({ api, plan, settleMs: settle, now, signal }));
            case 'cron-disable':
              return report(await setEnabled(api, plan, false));
            case 'cron-enable':
              return report(await setEnabled(api, plan, true));
            case 'task-cancel':
              return report(await cancelTask({ api, plan, settleMs: settle, now, signal }));
            case 'task-retry':
              return report(await retryTask(api, plan));
          }
        },
      ),
    );
  } catch (err) {
    const f = describeFailure(err);
    out = report({ kind: f.kind, outcome: f.kind, summary: f.text, details: [], result: undefined });
  }
  env.audit.record({
    gateway: plan.gateway,
    call: plan.call,
    outcome: out.outcome,
    detail: `${plan.action} ${plan.target}: ${out.summary}`,
  });
  return out;
}
