// Typed calls for the gateway's scheduler (cron.*) and task ledger (tasks.*), as GatewayApi does for the rest: the
// method name ↔ params ↔ result mapping in one place, and a method the gateway did not advertise fails with a clear
// UNSUPPORTED error. Results are partial views: 2026.3.24 and 2026.4.26 have cron.list/status/add/update/remove/run/runs
// (no tasks.*, no runId in cron.run's answer), 2026.9.x all of them. Shapes as the gateway sends them (verified on
// 2026.9.6 and 2026.3.24; docs/automation/cron-jobs/*.md, docs/gateway/protocol/ledgers.md, docs/automation/tasks.md).
//
// Scopes (2026.9.6's method table): cron.list/status/runs/get and tasks.list/get/history operator.read; tasks.cancel,
// tasks.retry, tasks.dismiss operator.write; cron.run, cron.update, cron.add, cron.remove operator.admin.
import type { GatewayConnection, RequestOptions } from './connection';
import { GatewayRequestError } from './requestError';

export type CronScheduleView =
  | { kind: 'at'; at: string }
  | { kind: 'every'; everyMs: number; anchorMs?: number }
  | { kind: 'cron'; expr: string; tz?: string; staggerMs?: number }
  | { kind: 'on-exit'; command: string; cwd?: string }
  | { kind: 'stream'; command: string[]; cwd?: string }
  | { kind: string; [extra: string]: unknown };

export type CronRunStatus = 'ok' | 'error' | 'skipped';

/** The scheduler's own state of a job (CronJob.state). Every field may be absent. */
export interface CronJobStateView {
  nextRunAtMs?: number;
  /** Set while a run holds the job; the scheduler starts no other run of it meanwhile. */
  runningAtMs?: number;
  lastRunAtMs?: number;
  lastRunStatus?: CronRunStatus;
  /** Older name of lastRunStatus (both are sent by 2026.9.6). */
  lastStatus?: CronRunStatus;
  lastError?: string;
  lastErrorReason?: string;
  lastDurationMs?: number;
  /** Execution errors in a row (reset by a success); 2026.9.x auto-disables a recurring job at 10. */
  consecutiveErrors?: number;
  consecutiveSkipped?: number;
  autoDisabled?: { reason: string; atMs: number; consecutiveErrors: number };
  lastDeliveryStatus?: string;
  [extra: string]: unknown;
}

export interface CronJobView {
  id: string;
  name: string;
  displayName?: string;
  description?: string;
  agentId?: string;
  effectiveAgentId?: string | null;
  sessionKey?: string;
  enabled: boolean;
  createdAtMs?: number;
  updatedAtMs?: number;
  schedule: CronScheduleView;
  sessionTarget?: string;
  wakeMode?: string;
  payload?: { kind: string; message?: string; timeoutSeconds?: number; [extra: string]: unknown };
  delivery?: { mode?: string; [extra: string]: unknown };
  state: CronJobStateView;
  /** 2026.9.x repeats some state fields at the top level. */
  nextRunAtMs?: number;
  [extra: string]: unknown;
}

export interface CronListParams {
  includeDisabled?: boolean;
  limit?: number;
  offset?: number;
  /** 2026.9.x: smaller jobs without delivery previews. */
  compact?: boolean;
  /** 2026.9.x: skip the delivery previews. */
  includeDeliveryPreviews?: boolean;
}

export interface CronListResultView {
  jobs: CronJobView[];
  total?: number;
  offset?: number;
  limit?: number;
  hasMore?: boolean;
  nextOffset?: number | null;
}

export interface CronStatusResultView {
  enabled: boolean;
  jobs?: number;
  nextWakeAtMs?: number | null;
  triggersEnabled?: boolean;
  [extra: string]: unknown;
}

/**
 * cron.run's answer. 2026.9.x: `{ ok, enqueued, runId }` (enqueue-style: completion is read from cron.runs by runId).
 * 2026.3.24: `{ ok: true, ran: false, reason: "already-running" }` when the job is running — ok without a run.
 */
export interface CronRunResultView {
  ok: boolean;
  enqueued?: boolean;
  ran?: boolean;
  reason?: string;
  runId?: string;
  processInstanceId?: string;
}

export interface CronRunsParams {
  id: string;
  /** 2026.9.x: follow one run. */
  runId?: string;
  limit?: number;
  offset?: number;
  sortDir?: 'asc' | 'desc';
}

export interface CronRunLogEntryView {
  ts: number;
  jobId: string;
  action: string;
  status?: CronRunStatus;
  completionStatus?: 'succeeded' | 'failed' | 'unknown';
  error?: string;
  errorReason?: string;
  summary?: string;
  runId?: string;
  runAtMs?: number;
  durationMs?: number;
  nextRunAtMs?: number;
  sessionId?: string;
  sessionKey?: string;
  deliveryStatus?: string;
  [extra: string]: unknown;
}

export interface CronRunsResultView {
  entries: CronRunLogEntryView[];
  total?: number;
  hasMore?: boolean;
  nextOffset?: number | null;
}

export interface CronUpdateParams {
  id: string;
  patch: { enabled?: boolean; [field: string]: unknown };
}

/** queued, running, completed, failed, cancelled, timed_out, lost (the gateway may send others). */
export type TaskStatus = string;
/** pending, delivered, session_queued, failed, dismissed, parent_missing, not_applicable (or another). */
export type TaskDeliveryStatus = string;

/** TaskSummary (docs/gateway/protocol/ledgers.md): sanitized, not raw runtime state. */
export interface TaskSummaryView {
  id: string;
  status: TaskStatus;
  kind?: string;
  /** acp | subagent | cron | cli */
  runtime?: string;
  title?: string;
  agentId?: string;
  /** The requester: the session the result is owed to ("" for automation runs). */
  sessionKey?: string;
  childSessionKey?: string;
  ownerKey?: string;
  runId?: string;
  sourceId?: string;
  createdAt?: number | string;
  updatedAt?: number | string;
  startedAt?: number | string;
  endedAt?: number | string;
  progressSummary?: string;
  terminalSummary?: string;
  error?: string;
  deliveryStatus?: TaskDeliveryStatus;
  /** succeeded, or blocked: the work finished but its result could not be handed back. */
  terminalOutcome?: string;
  execution?: { state?: string };
  [extra: string]: unknown;
}

export interface TasksListParams {
  status?: string | string[];
  agentId?: string;
  sessionKey?: string;
  limit?: number;
  cursor?: string;
  sortBy?: 'updatedAt' | 'endedAt';
}

export interface TasksListResultView {
  tasks: TaskSummaryView[];
  nextCursor?: string;
}

export interface TasksCancelResultView {
  found: boolean;
  cancelled: boolean;
  reason?: string;
  task?: TaskSummaryView;
}

/** tasks.retry / tasks.dismiss: one result per task id (1–10 ids). */
export interface TasksRecoveryResultView {
  results: Array<{ taskId: string; ok: boolean; reason?: string; duplicateRisk?: boolean; task?: TaskSummaryView }>;
}

export class SchedulerApi {
  constructor(readonly connection: GatewayConnection) {}

  /** Whether the gateway advertises `method` (true when it lists no methods at all: it will answer or refuse). */
  offers(method: string): boolean {
    const hello = this.connection.helloSummary;
    return !hello || hello.methods.size === 0 || hello.methods.has(method);
  }

  private call<T>(method: string, params: object, options?: RequestOptions): Promise<T> {
    const hello = this.connection.helloSummary;
    if (!this.offers(method)) {
      return Promise.reject(
        GatewayRequestError.local(
          method,
          'UNSUPPORTED',
          `openclaw ${hello?.serverVersion} (protocol ${hello?.protocol}) does not offer ${method}`,
          { action: 'upgrade-gateway', reconnect: 'stop' },
        ),
      );
    }
    return this.connection.request<T>(method, params, options);
  }

  cronStatus = (o?: RequestOptions) => this.call<CronStatusResultView>('cron.status', {}, o);
  cronList = (p: CronListParams = {}, o?: RequestOptions) => this.call<CronListResultView>('cron.list', p, o);
  cronRuns = (p: CronRunsParams, o?: RequestOptions) => this.call<CronRunsResultView>('cron.runs', p, o);
  /** mode "force" runs a disabled or not-yet-due job too (what an operator's Run Now means). */
  cronRun = (p: { id: string; mode?: 'due' | 'force' | 'if-enabled' }, o?: RequestOptions) =>
    this.call<CronRunResultView>('cron.run', p, o);
  /** The job as it is after the patch. */
  cronUpdate = (p: CronUpdateParams, o?: RequestOptions) => this.call<CronJobView>('cron.update', p, o);
  tasksList = (p: TasksListParams = {}, o?: RequestOptions) => this.call<TasksListResultView>('tasks.list', p, o);
  /** A task id the ledger does not hold is an error (INVALID_REQUEST "task not found"). */
  tasksGet = (p: { taskId: string }, o?: RequestOptions) => this.call<{ task: TaskSummaryView }>('tasks.get', p, o);
  tasksCancel = (p: { taskId: string; reason?: string }, o?: RequestOptions) =>
    this.call<TasksCancelResultView>('tasks.cancel', p, o);
  tasksRetry = (p: { taskIds: string[] }, o?: RequestOptions) =>
    this.call<TasksRecoveryResultView>('tasks.retry', p, o);
}
