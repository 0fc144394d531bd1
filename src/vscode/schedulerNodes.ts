// "Cron jobs" and "Tasks" under each gateway in the fleet tree: nodes and their TreeItems, built from what a
// SchedulerReader last read (src/fleet/schedulerRead.ts). Pure over that state: the tree asks the reader to read when
// one of the two roots is expanded (on demand, never on a timer) and refreshes the roots when it has read.
// Gateway and agent text (job names, errors, task titles, log lines) is untrusted: plain text, or escaped in Markdown.
import * as vscode from 'vscode';
import { escapeMarkdown } from '../report/describe';
import { cronJobLine, type CronJobModel } from '../fleet/cronJobs';
import type { SchedulerState } from '../fleet/schedulerRead';
import { deliveryGroupLine, type AnnounceGiveUp, type DeliveryGroup, type OwedTask } from '../fleet/taskLedger';
import { formatDuration } from '../protocol/duration';

/** At most this many children under a root or a group; a last node says how many more there are. */
export const MAX_CHILDREN = 100;

export type SchedulerNode =
  | { kind: 'cron-root'; id: string; gateway: string }
  | { kind: 'cron-job'; id: string; gateway: string; jobId: string }
  | { kind: 'tasks-root'; id: string; gateway: string }
  | { kind: 'task-group'; id: string; gateway: string; requester: string }
  | { kind: 'task'; id: string; gateway: string; requester: string; taskId: string }
  | { kind: 'scheduler-note'; id: string; gateway: string; label: string; description?: string; tooltip?: string };

const KINDS = new Set(['cron-root', 'cron-job', 'tasks-root', 'task-group', 'task', 'scheduler-note']);
export const isSchedulerNode = (n: { kind: string }): n is SchedulerNode => KINDS.has(n.kind);

/**
 * The two roots under a gateway. `offers(method)` is the gateway's hello: a gateway without tasks.list (2026.3/2026.4)
 * gets no Tasks node, one without cron.list no Cron node.
 */
export function schedulerRootNodes(gateway: string, offers: (method: string) => boolean): SchedulerNode[] {
  return [
    ...(offers('cron.list') ? [{ kind: 'cron-root' as const, id: `cron:${gateway}`, gateway }] : []),
    ...(offers('tasks.list') ? [{ kind: 'tasks-root' as const, id: `tasks:${gateway}`, gateway }] : []),
  ];
}

const note = (gateway: string, id: string, label: string, description?: string, tooltip?: string): SchedulerNode => ({
  kind: 'scheduler-note',
  id: `note:${gateway}:${id}`,
  gateway,
  label,
  description,
  tooltip,
});

function capped<T>(items: readonly T[], gateway: string, id: string, make: (t: T) => SchedulerNode): SchedulerNode[] {
  const out = items.slice(0, MAX_CHILDREN).map(make);
  if (items.length > MAX_CHILDREN) out.push(note(gateway, `${id}:more`, `… ${items.length - MAX_CHILDREN} more`));
  return out;
}

const giveUpText = (g: AnnounceGiveUp) =>
  `announce gave up${g.reason ? ` (${g.reason})` : ''}${g.time ? ` at ${new Date(g.time).toISOString()}` : ''}: child ${g.child ?? '?'} → requester ${g.requester ?? '?'}${g.retries !== undefined ? ` after ${g.retries} retries` : ''}`;

/** Children of a scheduler node, from the reader's last state (undefined: not read yet). */
export function schedulerChildren(node: SchedulerNode, state: SchedulerState | undefined): SchedulerNode[] {
  const gw = node.gateway;
  if (node.kind === 'cron-root') {
    if (!state) return [note(gw, 'cron:reading', 'Reading the scheduler…')];
    if (state.cronProblem) return [note(gw, 'cron:problem', 'Could not read the scheduler', state.cronProblem.text)];
    const jobs = state.cron?.jobs ?? [];
    if (!jobs.length) return [note(gw, 'cron:none', 'No cron jobs')];
    const out = capped(jobs, gw, 'cron', (j) => ({
      kind: 'cron-job' as const,
      id: `cron:${gw}:${j.id}`,
      gateway: gw,
      jobId: j.id,
    }));
    if (state.cron?.truncated)
      out.push(note(gw, 'cron:truncated', `Only the first ${jobs.length} of ${state.cron.total ?? 'more'} jobs read`));
    return out;
  }
  if (node.kind === 'tasks-root') {
    if (!state) return [note(gw, 'tasks:reading', 'Reading the task ledger…')];
    if (state.tasksProblem)
      return [note(gw, 'tasks:problem', 'Could not read the task ledger', state.tasksProblem.text)];
    const t = state.tasks!;
    const out: SchedulerNode[] = capped(t.groups, gw, 'tasks', (g) => ({
      kind: 'task-group' as const,
      id: `taskgroup:${gw}:${g.requester}`,
      gateway: gw,
      requester: g.requester,
    }));
    for (const s of t.stale.slice(0, 20))
      out.push(note(gw, `stale:${s.id}`, s.title, s.text, `Task ${s.id}${s.requester ? `, for ${s.requester}` : ''}`));
    for (const [i, g] of t.unmatchedGiveUps.slice(-20).entries())
      out.push(note(gw, `giveup:${i}`, 'Announce gave up', `${g.child ?? '?'} → ${g.requester ?? '?'}`, g.message));
    if (!out.length) out.push(note(gw, 'tasks:none', 'No undelivered results', `${t.active} active tasks`));
    if (t.truncated) out.push(note(gw, 'tasks:truncated', `Only the newest ${t.tasksRead} tasks read`));
    return out;
  }
  if (node.kind === 'task-group') {
    const g = groupOf(state, node.requester);
    if (!g) return [];
    return [
      ...capped(g.tasks, gw, `group:${node.requester}`, (t) => ({
        kind: 'task' as const,
        id: `task:${gw}:${t.id}`,
        gateway: gw,
        requester: node.requester,
        taskId: t.id,
      })),
      ...g.giveUps
        .slice(-20)
        .map((x, i) => note(gw, `group:${node.requester}:giveup:${i}`, 'Announce gave up', giveUpText(x), x.message)),
    ];
  }
  return [];
}

function groupOf(state: SchedulerState | undefined, requester: string): DeliveryGroup | undefined {
  return state?.tasks?.groups.find((g) => g.requester === requester);
}
function jobOf(state: SchedulerState | undefined, id: string): CronJobModel | undefined {
  return state?.cron?.jobs.find((j) => j.id === id);
}
function taskOf(state: SchedulerState | undefined, requester: string, id: string): OwedTask | undefined {
  return groupOf(state, requester)?.tasks.find((t) => t.id === id);
}

const md = (lines: string[]) => new vscode.MarkdownString(lines.join('\n\n'));
const when = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString());

export function schedulerTreeItem(
  node: SchedulerNode,
  state: SchedulerState | undefined,
  now: number,
): vscode.TreeItem {
  const C = vscode.TreeItemCollapsibleState;
  let item: vscode.TreeItem;
  switch (node.kind) {
    case 'cron-root': {
      item = new vscode.TreeItem('Cron jobs', C.Collapsed);
      const jobs = state?.cron?.jobs;
      const warn = jobs?.filter((j) => j.facts.length).length ?? 0;
      item.description = jobs
        ? `${state?.cron?.schedulerEnabled === false ? 'scheduler off · ' : ''}${jobs.length} job${jobs.length === 1 ? '' : 's'}${warn ? ` · ${warn} need${warn === 1 ? 's' : ''} attention` : ''}`
        : state?.cronProblem
          ? 'not read'
          : '';
      item.iconPath = new vscode.ThemeIcon('clock', warn ? new vscode.ThemeColor('list.warningForeground') : undefined);
      item.contextValue = 'cronRoot';
      break;
    }
    case 'cron-job': {
      const j = jobOf(state, node.jobId);
      item = new vscode.TreeItem(j?.name ?? node.jobId, C.None);
      if (j) {
        item.description = cronJobLine(j, now);
        item.iconPath = new vscode.ThemeIcon(
          j.facts.length ? 'warning' : !j.enabled ? 'circle-slash' : j.runningSinceMs !== undefined ? 'sync' : 'clock',
          j.facts.length ? new vscode.ThemeColor('list.warningForeground') : undefined,
        );
        item.tooltip = md([
          `**${escapeMarkdown(j.name)}** — ${escapeMarkdown(j.schedule)}${j.enabled ? '' : ' (disabled)'}`,
          ...j.facts.map((f) => `⚠ ${escapeMarkdown(f.text)}`),
          `Last run: ${when(j.lastRunAtMs)}${j.lastStatus ? ` — ${j.lastStatus}` : ''}${j.lastDurationMs !== undefined ? ` in ${formatDuration(j.lastDurationMs)}` : ''}`,
          ...(j.lastError ? [`Last error: ${escapeMarkdown(j.lastError.slice(0, 300))}`] : []),
          `Next run: ${j.enabled ? when(j.nextRunAtMs) : 'none (disabled)'}`,
          ...(j.runningSinceMs !== undefined
            ? [`Running since ${when(j.runningSinceMs)} (allowed: ${escapeMarkdown(j.runBudgetSource)})`]
            : []),
          `Session: \`${escapeMarkdown(j.sessionKey)}\` · job id \`${escapeMarkdown(j.id)}\``,
        ]);
        item.contextValue = `cronJob.${j.enabled ? 'enabled' : 'disabled'}${j.facts.length ? '.attention' : ''}`;
        // A click shows the job's session row (where its run is, and Recover / Abort when it hangs); a job that never
        // ran has no session yet.
        if (j.lastRunAtMs !== undefined || j.runningSinceMs !== undefined)
          item.command = {
            command: 'lanewatch.revealSession',
            title: 'Show its session',
            arguments: [{ gateway: node.gateway, key: j.sessionKey }],
          };
        item.accessibilityInformation = { label: `${j.name}, ${item.description}` };
      }
      break;
    }
    case 'tasks-root': {
      item = new vscode.TreeItem('Tasks', C.Collapsed);
      const t = state?.tasks;
      item.description = t
        ? `${t.pending + t.failed} undelivered${t.failed ? ` (${t.failed} failed)` : ''} · ${t.active} active${t.stale.length ? ` · ${t.stale.length} stuck` : ''}`
        : state?.tasksProblem
          ? 'not read'
          : '';
      const attention = !!t && (t.failed > 0 || t.stale.length > 0 || t.unmatchedGiveUps.length > 0);
      item.iconPath = new vscode.ThemeIcon(
        'tasklist',
        attention ? new vscode.ThemeColor('list.warningForeground') : undefined,
      );
      item.contextValue = 'tasksRoot';
      break;
    }
    case 'task-group': {
      const g = groupOf(state, node.requester);
      item = new vscode.TreeItem(node.requester || '(no requester)', C.Collapsed);
      if (g) {
        item.description = deliveryGroupLine(g);
        item.tooltip = md([
          `Results owed to \`${escapeMarkdown(node.requester || '(none named)')}\``,
          `${g.pending} pending, ${g.failed} failed${g.oldestAgeMs !== undefined ? `; the oldest is ${formatDuration(g.oldestAgeMs)} old` : ''}`,
          ...g.giveUps.slice(-5).map((x) => escapeMarkdown(giveUpText(x))),
        ]);
        item.iconPath = new vscode.ThemeIcon(
          'inbox',
          g.failed ? new vscode.ThemeColor('list.warningForeground') : undefined,
        );
      }
      item.contextValue = 'taskGroup';
      break;
    }
    case 'task': {
      const t = taskOf(state, node.requester, node.taskId);
      item = new vscode.TreeItem(t?.title ?? node.taskId, C.None);
      if (t) {
        const failed = t.blocked || t.deliveryStatus === 'failed' || t.deliveryStatus === 'parent_missing';
        item.description = `${t.deliveryStatus.replace(/_/g, ' ')}${t.ageMs !== undefined ? ` · ${formatDuration(t.ageMs, true)}` : ''}`;
        item.tooltip = md([
          `Task \`${escapeMarkdown(t.id)}\`${t.runtime ? ` (${escapeMarkdown(t.runtime)})` : ''}: ${escapeMarkdown(t.status)}, delivery ${escapeMarkdown(t.deliveryStatus)}`,
          ...(t.childSessionKey ? [`Child session: \`${escapeMarkdown(t.childSessionKey)}\``] : []),
          `Owed to: \`${escapeMarkdown(node.requester || '(none named)')}\``,
          ...(t.error ? [`Error: ${escapeMarkdown(t.error)}`] : []),
        ]);
        item.iconPath = new vscode.ThemeIcon(
          failed ? 'error' : 'mail',
          failed ? new vscode.ThemeColor('list.errorForeground') : undefined,
        );
        const active = t.status === 'queued' || t.status === 'running';
        item.contextValue = `task${failed ? '.deliveryFailed' : '.deliveryPending'}${active ? '.active' : ''}`;
      }
      break;
    }
    case 'scheduler-note': {
      item = new vscode.TreeItem(node.label, C.None);
      item.description = node.description;
      if (node.tooltip) item.tooltip = node.tooltip; // plain text: gateway text is never Markdown here
      item.contextValue = 'schedulerNote';
      break;
    }
  }
  item.id = node.id;
  return item;
}
