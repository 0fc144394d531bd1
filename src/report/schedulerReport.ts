// Cron jobs and the task ledger of one gateway for `lanewatch status` (text and --json): facts like every other status,
// from what a SchedulerReader read. Plain data; the CLI prints `lines`, --json carries the object.
import type { CronSnapshot } from '../fleet/cronJobs';
import { cronJobLine } from '../fleet/cronJobs';
import type { PartProblem } from '../fleet/schedulerRead';
import { deliveryGroupLine, type TaskLedgerModel } from '../fleet/taskLedger';

export interface CronStatusJson {
  read: boolean;
  unsupported?: boolean;
  problem?: string;
  /** false: the gateway's whole scheduler is off, no job fires. */
  schedulerEnabled?: boolean;
  jobs: Array<{
    id: string;
    name: string;
    enabled: boolean;
    schedule: string;
    nextRunAtMs?: number;
    lastRunAtMs?: number;
    lastStatus?: string;
    runningSinceMs?: number;
    failuresInARow: number;
    sessionKey: string;
    facts: Array<{ kind: string; text: string }>;
  }>;
  truncated?: boolean;
  /** Text lines for the terminal. */
  lines: string[];
}

export function describeCron(
  snapshot: CronSnapshot | undefined,
  problem?: PartProblem,
  now = Date.now(),
): CronStatusJson {
  if (!snapshot)
    return {
      read: false,
      ...(problem ? { unsupported: problem.unsupported, problem: problem.text } : {}),
      jobs: [],
      lines: [
        problem?.unsupported
          ? 'cron: this gateway has no scheduler RPC'
          : `cron: not read${problem ? ` (${problem.text})` : ''}`,
      ],
    };
  const attention = snapshot.jobs.filter((j) => j.facts.length);
  return {
    read: true,
    ...(snapshot.schedulerEnabled !== undefined ? { schedulerEnabled: snapshot.schedulerEnabled } : {}),
    jobs: snapshot.jobs.map((j) => ({
      id: j.id,
      name: j.name,
      enabled: j.enabled,
      schedule: j.schedule,
      nextRunAtMs: j.nextRunAtMs,
      lastRunAtMs: j.lastRunAtMs,
      lastStatus: j.lastStatus,
      runningSinceMs: j.runningSinceMs,
      failuresInARow: j.failuresInARow,
      sessionKey: j.sessionKey,
      facts: j.facts.map((f) => ({ kind: f.kind, text: f.text })),
    })),
    ...(snapshot.truncated ? { truncated: true } : {}),
    lines: [
      `cron: ${snapshot.jobs.length} job${snapshot.jobs.length === 1 ? '' : 's'}${attention.length ? `, ${attention.length} need${attention.length === 1 ? 's' : ''} attention` : ''}${snapshot.schedulerEnabled === false ? ' (the scheduler is off on this gateway: no job fires until it is turned on)' : ''}`,
      ...attention.flatMap((j) => [`  ${j.name}: ${cronJobLine(j, now)}`, ...j.facts.map((f) => `    - ${f.text}`)]),
    ],
  };
}

export interface TasksStatusJson {
  read: boolean;
  unsupported?: boolean;
  problem?: string;
  pending: number;
  failed: number;
  active: number;
  groups: Array<{
    requester: string;
    pending: number;
    failed: number;
    oldestAgeMs?: number;
    taskIds: string[];
    giveUps: number;
  }>;
  stale: Array<{ id: string; status: string; ageMs: number; text: string }>;
  giveUpsWithoutTask: number;
  truncated?: boolean;
  lines: string[];
}

export function describeTasks(ledger: TaskLedgerModel | undefined, problem?: PartProblem): TasksStatusJson {
  if (!ledger)
    return {
      read: false,
      ...(problem ? { unsupported: problem.unsupported, problem: problem.text } : {}),
      pending: 0,
      failed: 0,
      active: 0,
      groups: [],
      stale: [],
      giveUpsWithoutTask: 0,
      lines: [
        problem?.unsupported
          ? 'tasks: this gateway has no task ledger (2026.9.x has one; 2026.3.x and 2026.4.x do not)'
          : `tasks: not read${problem ? ` (${problem.text})` : ''}`,
      ],
    };
  return {
    read: true,
    pending: ledger.pending,
    failed: ledger.failed,
    active: ledger.active,
    groups: ledger.groups.map((g) => ({
      requester: g.requester,
      pending: g.pending,
      failed: g.failed,
      oldestAgeMs: g.oldestAgeMs,
      taskIds: g.tasks.map((t) => t.id),
      giveUps: g.giveUps.length,
    })),
    stale: ledger.stale.map((s) => ({ id: s.id, status: s.status, ageMs: s.ageMs, text: s.text })),
    giveUpsWithoutTask: ledger.unmatchedGiveUps.length,
    ...(ledger.truncated ? { truncated: true } : {}),
    lines: [
      `tasks: ${ledger.pending + ledger.failed} undelivered results (${ledger.failed} failed), ${ledger.active} active`,
      ...ledger.groups.slice(0, 20).map((g) => `  for ${g.requester || '(no requester)'}: ${deliveryGroupLine(g)}`),
      ...ledger.stale.slice(0, 20).map((s) => `  stuck: ${s.title}: ${s.text}`),
      ...(ledger.unmatchedGiveUps.length
        ? [`  ${ledger.unmatchedGiveUps.length} "announce gave up" log lines without an undelivered task in the ledger`]
        : []),
    ],
  };
}
