// Reads one gateway's scheduler and task ledger on demand — when a view shows them or a status run asks — never on a
// timer of its own: single-flight (a read in progress is joined), and a read younger than `minIntervalMs` is reused.
// Bounded: at most MAX_CRON_JOBS jobs (cron.list pages of 200) and MAX_TASKS tasks (tasks.list pages of 500); the
// models say when the gateway had more. The give-up log lines come from the watcher's diagnostic lines.
import type { ParsedLogLine } from '../logs/logLine';
import { Emitter, GatewayRequestError, type Disposable } from '../gateway';
import type { CronJobView, SchedulerApi, TaskSummaryView } from '../gateway/schedulerApi';
import { cronSnapshot, type CronSnapshot } from './cronJobs';
import { taskLedgerModel, type TaskLedgerModel } from './taskLedger';

export const MAX_CRON_JOBS = 1_000;
export const MAX_TASKS = 1_000;
const CRON_PAGE = 200;
const TASK_PAGE = 500;

/** What a part could not be read as: the gateway does not have it (older version), or the read failed. */
export interface PartProblem {
  unsupported: boolean;
  text: string;
}

export interface SchedulerState {
  readAtMs: number;
  cron?: CronSnapshot;
  cronProblem?: PartProblem;
  tasks?: TaskLedgerModel;
  tasksProblem?: PartProblem;
}

const problemOf = (err: unknown): PartProblem => ({
  unsupported:
    err instanceof GatewayRequestError &&
    (err.code === 'UNSUPPORTED' || /unknown method/i.test(err.message) || err.problem.kind === 'unsupported'),
  text: (err as Error)?.message ?? String(err),
});

/** Every job (disabled ones too), up to `max`. */
export async function readCronJobs(
  api: SchedulerApi,
  max = MAX_CRON_JOBS,
): Promise<{ jobs: CronJobView[]; truncated: boolean; total?: number }> {
  const jobs: CronJobView[] = [];
  let offset = 0;
  let total: number | undefined;
  for (;;) {
    const page = await api.cronList({
      includeDisabled: true,
      limit: Math.min(CRON_PAGE, max - jobs.length),
      offset,
    });
    const got = Array.isArray(page.jobs) ? page.jobs.filter((j) => j && typeof j.id === 'string') : [];
    jobs.push(...got);
    total = typeof page.total === 'number' ? page.total : total;
    const next = typeof page.nextOffset === 'number' ? page.nextOffset : undefined;
    if (!page.hasMore || next === undefined || got.length === 0) return { jobs, truncated: false, total };
    if (jobs.length >= max) return { jobs, truncated: true, total };
    offset = next;
  }
}

/** The newest tasks (by last activity), up to `max`. */
export async function readTasks(
  api: SchedulerApi,
  max = MAX_TASKS,
): Promise<{ tasks: TaskSummaryView[]; truncated: boolean }> {
  const tasks: TaskSummaryView[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.tasksList({ limit: Math.min(TASK_PAGE, max - tasks.length), ...(cursor ? { cursor } : {}) });
    const got = Array.isArray(page.tasks) ? page.tasks.filter((t) => t && typeof t.id === 'string') : [];
    tasks.push(...got);
    if (!page.nextCursor || got.length === 0) return { tasks, truncated: false };
    if (tasks.length >= max) return { tasks, truncated: true };
    cursor = page.nextCursor;
  }
}

export async function readScheduler(
  api: SchedulerApi,
  now: () => number,
  logLines: () => readonly ParsedLogLine[] = () => [],
): Promise<SchedulerState> {
  const [cron, tasks, status] = await Promise.allSettled([readCronJobs(api), readTasks(api), api.cronStatus()]);
  const t = now();
  const state: SchedulerState = { readAtMs: t };
  if (cron.status === 'fulfilled')
    state.cron = cronSnapshot(cron.value.jobs, t, {
      truncated: cron.value.truncated,
      total: cron.value.total,
      ...(status.status === 'fulfilled' && typeof status.value?.enabled === 'boolean'
        ? { schedulerEnabled: status.value.enabled }
        : {}),
    });
  else state.cronProblem = problemOf(cron.reason);
  if (tasks.status === 'fulfilled')
    state.tasks = taskLedgerModel(tasks.value.tasks, t, { logLines: logLines(), truncated: tasks.value.truncated });
  else state.tasksProblem = problemOf(tasks.reason);
  return state;
}

export interface SchedulerReaderOptions {
  /** The gateway's scheduler calls when it is connected, else undefined. */
  api: () => SchedulerApi | undefined;
  logLines?: () => readonly ParsedLogLine[];
  now?: () => number;
  /** A read younger than this is reused (default 5 s). */
  minIntervalMs?: number;
}

/** One gateway's reader: reads when asked, joins a read in flight, reuses a fresh one, tells listeners. */
export class SchedulerReader implements Disposable {
  private latestState: SchedulerState | undefined;
  private inFlight: Promise<SchedulerState | undefined> | undefined;
  private again: Promise<SchedulerState | undefined> | undefined;
  private readonly changed = new Emitter<SchedulerState>();
  readonly onDidChange = (l: (s: SchedulerState) => void): Disposable => this.changed.on(l);
  reads = 0;

  constructor(private readonly opts: SchedulerReaderOptions) {}

  latest(): SchedulerState | undefined {
    return this.latestState;
  }

  /**
   * Reads now unless a read is in flight (joined) or the last one is fresh (reused); `force` skips the reuse. A forced
   * read asked for while one is in flight (a `cron` event: something changed after that read began) reads once more
   * when it ends, so the change is not lost in the joined read.
   */
  read(force = false): Promise<SchedulerState | undefined> {
    if (this.disposed) return Promise.resolve(undefined);
    if (this.inFlight) {
      if (!force) return this.inFlight;
      this.again ??= this.inFlight.then(() => {
        this.again = undefined;
        return this.read(true);
      });
      return this.again;
    }
    const now = this.opts.now ?? Date.now;
    const last = this.latestState;
    if (!force && last && now() - last.readAtMs < (this.opts.minIntervalMs ?? 5_000)) return Promise.resolve(last);
    const api = this.opts.api();
    if (!api) return Promise.resolve(last);
    this.reads++;
    this.inFlight = readScheduler(api, now, this.opts.logLines)
      .then((s) => {
        this.latestState = s;
        this.changed.fire(s);
        return s;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private disposed = false;
  dispose(): void {
    this.disposed = true;
    this.changed.clear();
    this.latestState = undefined;
  }
}
