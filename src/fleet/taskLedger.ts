// The gateway's task ledger (tasks.list, 2026.9.x) as an operator reads it: results owed to a session that never got
// them, grouped by that session (an announce backlog of 112 pending deliveries on one DM, OpenClaw #120402), with their
// age; tasks stuck queued or running past the gateway's own audit bounds; and the gateway's
// "Subagent announce give up … child=… requester=…" log lines (#90178, #109217) linked to both sessions.
// Pure code over what tasks.list answered and log lines already parsed, at a given time.
import type { TaskSummaryView } from '../gateway/schedulerApi';
import type { ParsedLogLine } from '../logs/logLine';
import { formatDuration } from '../protocol/duration';

/** docs/automation/tasks.md, `tasks audit`: stale_queued after 10 minutes, stale_running after 30. */
export const STALE_QUEUED_MS = 10 * 60_000;
export const STALE_RUNNING_MS = 30 * 60_000;
/** Give-up lines kept per gateway (newest). */
export const MAX_GIVE_UPS = 200;
/** Tasks kept per group in the model (the count stays exact). */
export const MAX_TASKS_PER_GROUP = 50;

/**
 * Delivery states of a result not (yet) handed back: pending (being handed), session_queued (queued in the
 * requester's session for its next turn), failed (gave up), parent_missing (the requester is gone). `delivered`,
 * `dismissed` (an operator stopped it) and `not_applicable` (automation runs) are not owed.
 */
export const OWED_DELIVERY = new Set(['pending', 'session_queued', 'failed', 'parent_missing']);
/** Of those, the ones nothing will deliver any more without an operator (retry or dismiss). */
export const FAILED_DELIVERY = new Set(['failed', 'parent_missing']);

export interface OwedTask {
  id: string;
  title: string;
  runtime?: string;
  status: string;
  deliveryStatus: string;
  childSessionKey?: string;
  /** Since the result was ready (endedAt), else since the task was last updated. */
  ageMs?: number;
  error?: string;
  blocked: boolean;
}

export interface DeliveryGroup {
  /** The session the results are owed to ("" when the ledger names none). */
  requester: string;
  pending: number;
  failed: number;
  oldestAgeMs?: number;
  tasks: OwedTask[];
  /** Give-up lines naming this requester. */
  giveUps: AnnounceGiveUp[];
}

export interface StaleTask {
  id: string;
  title: string;
  status: 'queued' | 'running';
  ageMs: number;
  requester?: string;
  childSessionKey?: string;
  text: string;
}

export interface AnnounceGiveUp {
  time?: number;
  reason?: string;
  runId?: string;
  child?: string;
  requester?: string;
  retries?: number;
  /** The line's message as the gateway wrote it (untrusted text). */
  message: string;
}

export interface TaskLedgerModel {
  readAtMs: number;
  /** Owed deliveries by requester, the group with failures (then the most owed, then the oldest) first. */
  groups: DeliveryGroup[];
  pending: number;
  failed: number;
  active: number;
  stale: StaleTask[];
  /** Give-up lines whose requester has no owed task in the ledger read (they are still shown). */
  unmatchedGiveUps: AnnounceGiveUp[];
  /** The ledger had more tasks than were read (bounded). */
  truncated: boolean;
  tasksRead: number;
}

export function timestampMs(v: number | string | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v) {
    const n = Date.parse(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A "Subagent announce give up" line's fields (`(reason) run=… child=… requester=… retries=…`). */
export function announceGiveUpOf(line: ParsedLogLine): AnnounceGiveUp | undefined {
  if (line.diagnostic !== 'announce-give-up') return undefined;
  const reason = /^Subagent announce give up \(([^)]*)\)/.exec(line.message)?.[1];
  const retries = Number.parseInt(line.fields.retries ?? '', 10);
  return {
    time: line.time,
    reason,
    runId: line.fields.run,
    child: line.fields.child,
    requester: line.fields.requester,
    ...(Number.isFinite(retries) ? { retries } : {}),
    message: line.message,
  };
}

const titleOf = (t: TaskSummaryView) => (t.title || t.childSessionKey || t.id).slice(0, 200);

export function taskLedgerModel(
  tasks: readonly TaskSummaryView[],
  now: number,
  opts: { logLines?: readonly ParsedLogLine[]; truncated?: boolean } = {},
): TaskLedgerModel {
  const groups = new Map<string, DeliveryGroup>();
  const stale: StaleTask[] = [];
  let pending = 0,
    failed = 0,
    active = 0;
  for (const t of tasks) {
    const requester = t.sessionKey || t.ownerKey || '';
    if (t.status === 'queued' || t.status === 'running') {
      active++;
      const since = timestampMs(t.status === 'running' ? (t.startedAt ?? t.createdAt) : t.createdAt);
      const bound = t.status === 'running' ? STALE_RUNNING_MS : STALE_QUEUED_MS;
      if (since !== undefined && now - since > bound) {
        stale.push({
          id: t.id,
          title: titleOf(t),
          status: t.status,
          ageMs: now - since,
          requester: requester || undefined,
          childSessionKey: t.childSessionKey,
          text: `${t.status} for ${formatDuration(now - since)}, past the gateway's own ${t.status === 'running' ? '30-minute' : '10-minute'} audit bound`,
        });
      }
    }
    const d = t.deliveryStatus ?? '';
    const blocked = t.terminalOutcome === 'blocked';
    if (!OWED_DELIVERY.has(d) && !blocked) continue;
    const isFailed = FAILED_DELIVERY.has(d) || blocked;
    let g = groups.get(requester);
    if (!g) groups.set(requester, (g = { requester, pending: 0, failed: 0, tasks: [], giveUps: [] }));
    const ready = timestampMs(t.endedAt) ?? timestampMs(t.updatedAt) ?? timestampMs(t.createdAt);
    const ageMs = ready !== undefined ? Math.max(0, now - ready) : undefined;
    if (isFailed) {
      g.failed++;
      failed++;
    } else {
      g.pending++;
      pending++;
    }
    if (ageMs !== undefined) g.oldestAgeMs = Math.max(g.oldestAgeMs ?? 0, ageMs);
    if (g.tasks.length < MAX_TASKS_PER_GROUP)
      g.tasks.push({
        id: t.id,
        title: titleOf(t),
        runtime: t.runtime,
        status: t.status,
        deliveryStatus: d || 'blocked',
        childSessionKey: t.childSessionKey,
        ageMs,
        error: t.error?.slice(0, 500),
        blocked,
      });
  }
  const giveUps: AnnounceGiveUp[] = [];
  for (const l of opts.logLines ?? []) {
    const g = announceGiveUpOf(l);
    if (g) giveUps.push(g);
  }
  const unmatched: AnnounceGiveUp[] = [];
  for (const g of giveUps.slice(-MAX_GIVE_UPS)) {
    const group = g.requester !== undefined ? groups.get(g.requester) : undefined;
    if (group) group.giveUps.push(g);
    else unmatched.push(g);
  }
  const list = [...groups.values()];
  for (const g of list)
    g.tasks.sort((a, b) => Number(b.blocked) - Number(a.blocked) || (b.ageMs ?? 0) - (a.ageMs ?? 0));
  list.sort(
    (a, b) =>
      Number(b.failed > 0) - Number(a.failed > 0) ||
      b.pending + b.failed - (a.pending + a.failed) ||
      (b.oldestAgeMs ?? 0) - (a.oldestAgeMs ?? 0) ||
      a.requester.localeCompare(b.requester),
  );
  stale.sort((a, b) => b.ageMs - a.ageMs);
  return {
    readAtMs: now,
    groups: list,
    pending,
    failed,
    active,
    stale,
    unmatchedGiveUps: unmatched,
    truncated: opts.truncated ?? false,
    tasksRead: tasks.length,
  };
}

/** One line for a requester's group: "3 undelivered (1 failed), oldest 12m". */
export function deliveryGroupLine(g: DeliveryGroup): string {
  const n = g.pending + g.failed;
  return `${n} undelivered${g.failed ? ` (${g.failed} failed)` : ''}${g.oldestAgeMs !== undefined ? `, oldest ${formatDuration(g.oldestAgeMs, true)}` : ''}${g.giveUps.length ? `, ${g.giveUps.length} gave up in the log` : ''}`;
}
