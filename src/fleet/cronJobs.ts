// The scheduler's jobs of one gateway as facts an operator acts on: schedule, last run and its outcome, next run, and
// three rules from the field (docs: shared/openclaw/field-2026-h2.md; OpenClaw #133223, #120683):
//   - running too long: the job's "running" flag is older than a run of it could be (its own timeoutSeconds, else the
//     scheduler's documented budget for its payload) plus a cleanup margin — the flag that never clears, so the job
//     silently stops firing;
//   - overdue: the next run is in the past by more than a margin (the scheduler's timer is on time to the millisecond
//     on an idle gateway: a run that has not started 30 s after its slot is held, usually by a run that does not end);
//   - flapping: three or more failed runs in a row (the scheduler's own consecutiveErrors, else the run history).
// The cron session's row (`agent:<agent>:cron:<jobId>`, and `…:run:<sessionId>` per run) is linked to its job.
// Pure code: reads what cron.list / cron.runs answered, at a given time.
import type { CronJobView, CronRunLogEntryView, CronScheduleView } from '../gateway/schedulerApi';
import { formatDuration } from '../protocol/duration';

/** docs/automation/cron-jobs/how-it-works.md: isolated agent turns are bounded by the scheduler's 60-minute watchdog. */
export const AGENT_TURN_BUDGET_MS = 60 * 60_000;
/** ... command payloads default to 10 minutes, script payloads to 5. */
export const COMMAND_BUDGET_MS = 10 * 60_000;
export const SCRIPT_BUDGET_MS = 5 * 60_000;
/**
 * After its timeout the scheduler aborts a run, gives it "a short cleanup window", then force-clears it (how-it-works.md).
 * Measured on 2026.9.6: a run with timeoutSeconds 8 was recorded after 9.3 s. A minute past the budget is not cleanup.
 */
export const CLEANUP_MARGIN_MS = 60_000;
/** A slot not started this long after it was due is overdue (2026.9.6 starts a due run within ~20 ms). */
export const OVERDUE_MARGIN_MS = 30_000;
/** Three failures in a row is flapping (the issue's rule; the scheduler alerts at 2 and auto-disables at 10). */
export const FLAPPING_RUNS = 3;

export type CronFactKind = 'running-too-long' | 'overdue' | 'flapping' | 'auto-disabled';

export interface CronFact {
  kind: CronFactKind;
  /** One line, plain words: what is wrong and since when. */
  text: string;
}

export type CronHealth = 'ok' | 'running' | 'warn' | 'disabled';

export interface CronJobModel {
  id: string;
  name: string;
  agentId: string;
  enabled: boolean;
  schedule: string;
  nextRunAtMs?: number;
  lastRunAtMs?: number;
  lastStatus?: 'ok' | 'error' | 'skipped';
  lastError?: string;
  lastDurationMs?: number;
  runningSinceMs?: number;
  /** The longest a run may take before the flag counts as stuck, and where that bound comes from. */
  runBudgetMs: number;
  runBudgetSource: string;
  failuresInARow: number;
  facts: CronFact[];
  health: CronHealth;
  /** The session row the scheduler runs this job in (isolated jobs). */
  sessionKey: string;
}

export interface CronSnapshot {
  readAtMs: number;
  jobs: CronJobModel[];
  /** The gateway had more jobs than were read (bounded). */
  truncated: boolean;
  total?: number;
  /** cron.status's `enabled`: false when the whole scheduler is off (cron.enabled false, OPENCLAW_SKIP_CRON). */
  schedulerEnabled?: boolean;
}

const timeText = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

export function describeSchedule(s: CronScheduleView): string {
  const v = s as Record<string, unknown>;
  switch (s.kind) {
    case 'every':
      return `every ${formatDuration(Number(v.everyMs))}`;
    case 'cron':
      return `cron ${String(v.expr)}${typeof v.tz === 'string' ? ` (${v.tz})` : ''}`;
    case 'at':
      return `once at ${String(v.at)}`;
    case 'on-exit':
      return 'when a command exits';
    case 'stream':
      return 'on command output';
    default:
      return String(s.kind);
  }
}

/** The budget a run of `job` has before its running flag is stuck, and where it comes from. */
export function runBudget(job: CronJobView): { ms: number; source: string } {
  const t = job.payload?.timeoutSeconds;
  if (typeof t === 'number' && t > 0) return { ms: t * 1000, source: `its timeout (${formatDuration(t * 1000)})` };
  switch (job.payload?.kind) {
    case 'command':
      return { ms: COMMAND_BUDGET_MS, source: "the scheduler's 10-minute default for commands" };
    case 'script':
      return { ms: SCRIPT_BUDGET_MS, source: "the scheduler's 5-minute default for scripts" };
    default:
      return { ms: AGENT_TURN_BUDGET_MS, source: "the scheduler's 60-minute watchdog" };
  }
}

/** Failed runs in a row at the end of a run history (newest first or not: sorted here). */
export function failuresInARow(entries: readonly CronRunLogEntryView[]): number {
  const finished = entries
    .filter((e) => e.action === 'finished' && e.status !== undefined)
    .sort((a, b) => (b.runAtMs ?? b.ts) - (a.runAtMs ?? a.ts));
  let n = 0;
  for (const e of finished) {
    if (e.status !== 'error') break;
    n++;
  }
  return n;
}

export interface CronModelOptions {
  /** Run histories by job id (cron.runs), used when the scheduler does not count failures itself (2026.3/2026.4). */
  runs?: ReadonlyMap<string, readonly CronRunLogEntryView[]>;
}

export function cronJobModel(job: CronJobView, now: number, opts: CronModelOptions = {}): CronJobModel {
  const st = job.state ?? {};
  const agentId = (typeof job.effectiveAgentId === 'string' && job.effectiveAgentId) || job.agentId || 'main';
  const nextRunAtMs = st.nextRunAtMs ?? job.nextRunAtMs;
  const lastStatus = st.lastRunStatus ?? st.lastStatus;
  const budget = runBudget(job);
  const history = opts.runs?.get(job.id);
  const failures = Math.max(st.consecutiveErrors ?? 0, history ? failuresInARow(history) : 0);
  const facts: CronFact[] = [];
  const running = st.runningAtMs;
  if (running !== undefined && now - running > budget.ms + CLEANUP_MARGIN_MS) {
    facts.push({
      kind: 'running-too-long',
      text: `marked running for ${formatDuration(now - running)} (since ${timeText(running)}), longer than ${budget.source} allows: the scheduler will not start it again until the flag clears`,
    });
  }
  if (job.enabled && nextRunAtMs !== undefined && now - nextRunAtMs > OVERDUE_MARGIN_MS) {
    facts.push({
      kind: 'overdue',
      text: `next run was due ${formatDuration(now - nextRunAtMs)} ago (${timeText(nextRunAtMs)}) and has not started${running !== undefined ? `: a run of it has been going for ${formatDuration(now - running)}` : ''}`,
    });
  }
  if (failures >= FLAPPING_RUNS) {
    facts.push({
      kind: 'flapping',
      text: `failed ${failures} runs in a row${st.lastError ? ` (last error: ${st.lastError.slice(0, 200)})` : ''}`,
    });
  }
  if (st.autoDisabled && !job.enabled) {
    facts.push({
      kind: 'auto-disabled',
      text: `disabled by the scheduler after ${st.autoDisabled.consecutiveErrors} failures in a row (${timeText(st.autoDisabled.atMs)}); enable it once the cause is fixed`,
    });
  }
  const health: CronHealth = facts.length
    ? 'warn'
    : !job.enabled
      ? 'disabled'
      : running !== undefined
        ? 'running'
        : 'ok';
  return {
    id: job.id,
    name: job.displayName || job.name || job.id,
    agentId,
    enabled: job.enabled,
    schedule: describeSchedule(job.schedule),
    nextRunAtMs: job.enabled ? nextRunAtMs : undefined,
    lastRunAtMs: st.lastRunAtMs,
    lastStatus,
    lastError: st.lastError,
    lastDurationMs: st.lastDurationMs,
    runningSinceMs: running,
    runBudgetMs: budget.ms,
    runBudgetSource: budget.source,
    failuresInARow: failures,
    facts,
    health,
    sessionKey: `agent:${agentId}:cron:${job.id}`,
  };
}

export function cronSnapshot(
  jobs: readonly CronJobView[],
  now: number,
  opts: CronModelOptions & { truncated?: boolean; total?: number; schedulerEnabled?: boolean } = {},
): CronSnapshot {
  const models = jobs.map((j) => cronJobModel(j, now, opts));
  // Jobs with facts first, then running, then by next run.
  const rank = (m: CronJobModel) => (m.health === 'warn' ? 0 : m.health === 'running' ? 1 : m.enabled ? 2 : 3);
  models.sort(
    (a, b) =>
      rank(a) - rank(b) || (a.nextRunAtMs ?? Infinity) - (b.nextRunAtMs ?? Infinity) || a.id.localeCompare(b.id),
  );
  return {
    readAtMs: now,
    jobs: models,
    truncated: opts.truncated ?? false,
    total: opts.total,
    ...(opts.schedulerEnabled !== undefined ? { schedulerEnabled: opts.schedulerEnabled } : {}),
  };
}

/** The job a cron session key belongs to: `agent:<agent>:cron:<jobId>` or `agent:<agent>:cron:<jobId>:run:<sessionId>`. */
export function cronJobOfSessionKey(
  key: string,
): { agentId: string; jobId: string; runSessionId?: string } | undefined {
  const m = /^agent:([^:]+):cron:([^:]+)(?::run:([^:]+))?$/.exec(key);
  return m ? { agentId: m[1], jobId: m[2], ...(m[3] ? { runSessionId: m[3] } : {}) } : undefined;
}

/** The job of each cron session row among `keys` (rows of jobs the snapshot does not hold are left out). */
export function linkCronSessions(snapshot: CronSnapshot, keys: Iterable<string>): Map<string, CronJobModel> {
  const byId = new Map(snapshot.jobs.map((j) => [j.id, j]));
  const out = new Map<string, CronJobModel>();
  for (const key of keys) {
    const job = byId.get(cronJobOfSessionKey(key)?.jobId ?? '');
    if (job) out.set(key, job);
  }
  return out;
}

/** One line per job: name, what is wrong (or its schedule and next run), for the tree's description and the CLI. */
export function cronJobLine(j: CronJobModel, now: number): string {
  if (j.facts.length) return j.facts.map((f) => f.kind.replace(/-/g, ' ')).join(', ');
  if (!j.enabled) return `disabled · ${j.schedule}`;
  if (j.runningSinceMs !== undefined) return `running for ${formatDuration(now - j.runningSinceMs, true)}`;
  const next = j.nextRunAtMs !== undefined ? `next in ${formatDuration(Math.max(0, j.nextRunAtMs - now), true)}` : '';
  const last = j.lastStatus
    ? `last ${j.lastStatus === 'ok' ? 'ok' : j.lastStatus === 'error' ? 'failed' : 'skipped'}`
    : '';
  return [j.schedule, next, last].filter(Boolean).join(' · ');
}
