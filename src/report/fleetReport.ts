// The fleet as plain data and as a text tree: what `lanewatch status` prints and what the extension's test API
// returns, built from the same watchers and the same describe* functions as the tree, so the CLI, the tree and
// the tests cannot disagree. No `vscode` import.
import type { Fleet } from '../fleet/fleet';
import type { GatewayWatcher, UnreadNote } from '../fleet/gatewayWatcher';
import { compareLaneStates, isBusyLane, laneStateWords, type LaneState, type LaneStatus } from '../lanes/laneStatus';
import { revealBidiControls } from './visibleText';
import { describeConnection, describeSession, fixFor, sessionLabel, summarizeCounts } from './describe';
import { buildSessionFamily, familyView, type SessionFamily } from '../fleet/sessionFamily';
import type { GatewayRecoverySummary } from '../fleet/gatewayRecoverySummary';
import type { LogProblemsSummary } from '../fleet/logProblemsSummary';
import { describeCron, describeTasks, type CronStatusJson, type TasksStatusJson } from './schedulerReport';

export interface SessionReport {
  key: string;
  label: string;
  agentId?: string;
  laneStatus: LaneState;
  verified: boolean;
  /** The tree's description, e.g. "running 4m12s · 2 queued". */
  description: string;
  queued: number;
  runId?: string;
  startedAt?: number;
  lastRunOutcome?: string;
  facts: Array<{ rule: string; text: string }>;
  /**
   * 2026.9 subagents, as the gateway's rows say: the listed parent (or `orphanOf`, a parent not in the list), depth
   * and role, the subagents (direct), the lane states of every descendant counted, and those it waits on
   * (sessions_yield). Absent for a session with neither parent nor subagents.
   */
  family?: {
    parent?: string;
    orphanOf?: string;
    depth?: number;
    role?: string;
    children: string[];
    descendants: Partial<Record<LaneState, number>>;
    waitingOn?: string[];
  };
}

export interface GatewayReport {
  name: string;
  url: string;
  source: string;
  state: string;
  connected: boolean;
  /** The tree's description: "connected · openclaw 2026.9.6", "not running (connection refused) · retry in 2s", … */
  description: string;
  problem?: { kind: string; summary: string; advice: string; fix: string; certificateFingerprint?: string };
  serverVersion?: string;
  protocol?: number;
  bootId?: string;
  scopes: string[];
  counts: Partial<Record<LaneState, number>>;
  lanes?: Array<{ lane: string; active: number; queued: number; max?: number }>;
  /** diagnostics.lanes (9.x), diagnostics.stability (4.x) or logs (3.x: lane-wait lines only). */
  lanesSource?: string;
  lanesNote?: string;
  /**
   * What this report lacks because a read had not answered (or had failed) when a one-shot reader (the CLI) stopped
   * waiting: `what` is the gateway method, `key` the session it was for. Absent when everything was read.
   */
  notReadInTime?: Array<{ what: string; key?: string; detail: string }>;
  /**
   * The cron jobs and the task ledger as last read (watcher.scheduler): absent until someone read them (`lanewatch
   * status` does; the extension once the tree has shown them) and on gateways without them.
   */
  cron?: CronStatusJson;
  tasks?: TasksStatusJson;
  /** The gateway's own stuck-session recovery in the last 10 minutes, when it ran (fleet/gatewayRecoverySummary.ts). */
  gatewayRecovery?: GatewayRecoverySummary;
  /** Known failures its log reported in the last 10 minutes that no lane shows (fleet/logProblemsSummary.ts). */
  logProblems?: LogProblemsSummary;
  agents: Array<{
    id: string;
    isDefault: boolean;
    counts: Partial<Record<LaneState, number>>;
    sessions: SessionReport[];
  }>;
}

export interface FleetReport {
  generatedAt: string;
  gateways: GatewayReport[];
  settingProblems: string[];
}

/** "agent:<id>:…" is how OpenClaw keys sessions; rows may also carry agentId. */
export function agentOfSession(key: string, agentId?: unknown): string | undefined {
  if (typeof agentId === 'string' && agentId) return agentId;
  const m = /^agent:([^:]+):/.exec(key);
  return m ? m[1] : undefined;
}

function countStates(states: readonly LaneState[]): Partial<Record<LaneState, number>> {
  const counts: Partial<Record<LaneState, number>> = {};
  for (const s of states) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

const seconds = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;

/** What was not read, gateway-wide and per session, from the watcher's note (the CLI's read budget). */
export function unreadFacts(note: UnreadNote | undefined): {
  gateway: Array<{ what: string; key?: string; detail: string }>;
  bySession: Map<string, Array<{ rule: string; text: string }>>;
  log?: { rule: string; text: string };
} {
  const gateway: Array<{ what: string; key?: string; detail: string }> = [];
  const bySession = new Map<string, Array<{ rule: string; text: string }>>();
  if (!note) return { gateway, bySession };
  const forSession = (key: string, fact: { rule: string; text: string }) =>
    bySession.set(key, [...(bySession.get(key) ?? []), fact]);
  let log: { rule: string; text: string } | undefined;
  for (const p of note.pending) {
    const detail = `asked ${seconds(note.at - p.since)} before the answer was given, no reply by then`;
    gateway.push({ what: p.what, ...(p.key !== undefined ? { key: p.key } : {}), detail });
    if (p.what === 'chat.history' && p.key !== undefined)
      forSession(p.key, {
        rule: 'unread.chat.history',
        text: `not read in time: chat.history (queued inputs, transcript tail) ${detail}`,
      });
    if (p.what === 'logs.tail')
      log = {
        rule: 'unread.logs.tail',
        text: `not read in time: the gateway log (stalled/stuck diagnostics, lane waits), ${detail}`,
      };
  }
  for (const f of note.failed) {
    const detail = `failed: ${f.message}`;
    gateway.push({ what: f.what, ...(f.key !== undefined ? { key: f.key } : {}), detail });
    if (f.what === 'chat.history' && f.key !== undefined)
      forSession(f.key, { rule: 'unread.chat.history', text: `not read: chat.history (queued inputs) ${detail}` });
    if (f.what === 'logs.tail' && !log)
      log = {
        rule: 'unread.logs.tail',
        text: `not read: the gateway log (stalled/stuck diagnostics, lane waits) ${detail}`,
      };
  }
  if (note.logPartial && !log) {
    const from =
      note.logPartial.since !== undefined ? new Date(note.logPartial.since).toISOString() : 'an unknown time';
    const detail = `read back to ${from} only (${Math.round(note.logPartial.bytes / 1024)} KB, the bound): diagnostics older than that were not seen`;
    gateway.push({ what: 'logs.tail', detail });
    log = { rule: 'unread.logs.tail', text: `not read: the gateway log ${detail}` };
  }
  if (note.rowsBeyond)
    gateway.push({
      what: 'sessions.list',
      detail: `more sessions (${note.rowsBeyond.totalCount ?? '?'}) than this reader keeps (${note.rowsBeyond.bound}): the rest are not listed`,
    });
  if (note.rowsPending)
    gateway.push({ what: 'sessions.list', detail: 'the session list was still being read: sessions may be missing' });
  return { gateway, bySession, ...(log ? { log } : {}) };
}

export function reportSession(watcher: GatewayWatcher, key: string, now = Date.now()): SessionReport {
  return sessionReport(watcher, key, now, unreadFacts(watcher.unread()), buildSessionFamily(watcher.sessionRows()));
}

function sessionReport(
  watcher: GatewayWatcher,
  key: string,
  now: number,
  unread: ReturnType<typeof unreadFacts>,
  family: SessionFamily,
  statusOf: (key: string) => LaneStatus = (k) => watcher.laneStatus(k),
): SessionReport {
  const row = watcher.session(key);
  const status = statusOf(key);
  const labelOf = (k: string) => sessionLabel(watcher.session(k), k);
  const fv =
    family.childCount || family.declaredParentOf(key)
      ? familyView(family, row, key, status, statusOf, labelOf)
      : undefined;
  // No tooltip: the report carries the facts themselves (the markdown cost a 10,000-row report about 14 of its 57 ms).
  const d = describeSession(row, key, status, now, { tooltip: false, family: fv, labelOf });
  // Unread evidence that could change this session's status: its own queue read, and the log for a session at work.
  const missing = [
    ...(unread.bySession.get(key) ?? []),
    ...(unread.log && isBusyLane(status.state) ? [unread.log] : []),
  ];
  return {
    key,
    label: d.label,
    agentId: agentOfSession(key, row?.agentId),
    laneStatus: status.state,
    verified: status.verified,
    description: d.description,
    queued: status.queued,
    runId: status.runId,
    startedAt: status.startedAt,
    lastRunOutcome: status.outcome,
    facts: [...status.facts.map((f) => ({ rule: f.rule, text: f.text })), ...(fv?.facts ?? []), ...missing],
    ...(fv && (fv.parent || fv.orphanOf || fv.children.length || fv.waitingOn)
      ? {
          family: {
            ...(fv.parent ? { parent: fv.parent } : {}),
            ...(fv.orphanOf ? { orphanOf: fv.orphanOf } : {}),
            ...(fv.depth !== undefined ? { depth: fv.depth } : {}),
            ...(fv.role ? { role: fv.role } : {}),
            children: [...fv.children],
            descendants: fv.descendants,
            ...(fv.waitingOn ? { waitingOn: [...fv.waitingOn] } : {}),
          },
        }
      : {}),
  };
}

export function reportGateway(fleet: Fleet, watcher: GatewayWatcher, now = Date.now()): GatewayReport {
  const snap = watcher.snapshot();
  const unread = unreadFacts(watcher.unread());
  const rows = watcher.sessionRows();
  const family = buildSessionFamily(rows);
  // Each status once: a parent's roll-up reads its subagents' statuses.
  const statuses = new Map<string, LaneStatus>();
  const statusOf = (k: string) => {
    let s = statuses.get(k);
    if (!s) statuses.set(k, (s = watcher.laneStatus(k)));
    return s;
  };
  const sessions = rows
    .map((r) => sessionReport(watcher, r.key, now, unread, family, statusOf))
    .sort((a, b) => compareLaneStates(a.laneStatus, b.laneStatus) || a.key.localeCompare(b.key));
  const agentIds = new Set(watcher.agentList().map((a) => a.id));
  for (const s of sessions) if (s.agentId) agentIds.add(s.agentId);
  const agents = [...agentIds].sort().map((id) => {
    const own = sessions.filter((s) => s.agentId === id);
    return {
      id,
      isDefault: watcher.agentList().some((a) => a.id === id && a.isDefault),
      counts: countStates(own.map((s) => s.laneStatus)),
      sessions: own,
    };
  });
  const orphans = sessions.filter((s) => !s.agentId);
  if (orphans.length)
    agents.push({
      id: '(no agent)',
      isDefault: false,
      counts: countStates(orphans.map((s) => s.laneStatus)),
      sessions: orphans,
    });
  const table = watcher.laneTable();
  const scheduler = watcher.scheduler.latest();
  const recovery = snap.state === 'connected' ? watcher.gatewayRecoverySummary(now) : undefined;
  const logProblems = watcher.logProblemsSummary(now);
  const methods = snap.hello?.methods;
  return {
    name: watcher.name,
    url: watcher.config.url,
    source: watcher.config.source,
    state: snap.state,
    connected: snap.state === 'connected',
    description: describeConnection(watcher, snap, fleet.tokenSource(watcher.name), now).description,
    problem: snap.problem
      ? {
          kind: snap.problem.kind,
          summary: snap.problem.summary,
          advice: snap.problem.advice,
          fix: fixFor(snap.problem).label,
          ...(snap.problem.certificateFingerprint
            ? { certificateFingerprint: snap.problem.certificateFingerprint }
            : {}),
        }
      : undefined,
    serverVersion: snap.hello?.serverVersion,
    protocol: snap.hello?.protocol,
    bootId: snap.hello?.bootId,
    scopes: [...(snap.hello?.grantedScopes ?? [])],
    counts: countStates(sessions.map((s) => s.laneStatus)),
    lanes: table?.lanes.map((l) => ({
      lane: l.lane,
      active: l.activeCount,
      queued: l.queuedCount,
      max: l.maxConcurrent ?? undefined,
    })),
    lanesSource: table?.source,
    lanesNote: table?.note,
    ...(unread.gateway.length ? { notReadInTime: unread.gateway } : {}),
    ...(recovery?.text ? { gatewayRecovery: recovery } : {}),
    ...(logProblems.text ? { logProblems } : {}),
    ...(scheduler && methods?.has('cron.list')
      ? { cron: describeCron(scheduler.cron, scheduler.cronProblem, now) }
      : {}),
    ...(scheduler && methods?.has('tasks.list')
      ? { tasks: describeTasks(scheduler.tasks, scheduler.tasksProblem) }
      : {}),
    agents,
  };
}

export function reportFleet(fleet: Fleet, now = Date.now()): FleetReport {
  return {
    generatedAt: new Date(now).toISOString(),
    gateways: fleet.gateways().map((g) => reportGateway(fleet, g, now)),
    settingProblems: fleet.problems().map((p) => p.message),
  };
}

const countsText = (counts: Partial<Record<LaneState, number>>): string =>
  summarizeCounts(Object.entries(counts).flatMap(([s, n]) => Array<LaneState>(n ?? 0).fill(s as LaneState)));

/** The text tree `lanewatch status` prints: the same words as the sidebar. Untrusted text is stripped of control characters. */
export function renderFleetText(report: FleetReport, opts: { facts?: boolean; now?: number } = {}): string {
  // ANSI escapes from agent text would recolour or rewrite the operator's terminal: drop them, then any control
  // character; bidirectional overrides would reorder what the terminal shows: name them.
  const clean = (s: string) =>
    revealBidiControls(s)
      // eslint-disable-next-line no-control-regex -- dropping escape sequences is the point
      .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
      // eslint-disable-next-line no-control-regex -- and control characters
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  const out: string[] = [];
  for (const p of report.settingProblems) out.push(`! settings: ${clean(p)}`);
  for (const g of report.gateways) {
    out.push(
      `${clean(g.name)}  ${clean(g.url)}  ${clean(g.description)}${g.connected ? ` · ${countsText(g.counts)}` : ''}`,
    );
    if (g.problem) {
      out.push(`  ${clean(g.problem.advice)}`);
      out.push(`  fix: ${clean(g.problem.fix)}`);
      continue;
    }
    for (const u of g.notReadInTime ?? [])
      out.push(`  not read: ${clean(u.what)}${u.key ? ` [${clean(u.key)}]` : ''} ${clean(u.detail)}`);
    const busyLanes = (g.lanes ?? []).filter((l) => l.active > 0 || l.queued > 0);
    if (busyLanes.length)
      out.push(
        `  lanes: ${busyLanes.map((l) => `${clean(l.lane)} ${l.active}/${l.max ?? '?'}${l.queued ? ` +${l.queued} queued` : ''}`).join(', ')}`,
      );
    if (g.gatewayRecovery?.text) out.push(`  ${clean(g.gatewayRecovery.text)}`);
    if (g.logProblems?.text) {
      out.push(`  ${clean(g.logProblems.text)}`);
      for (const p of g.logProblems.problems) out.push(`    ${clean(p.advice)}`);
    }
    // Cron and tasks only when there is something to say: a job at all, an undelivered result, a task running.
    if (g.cron && (g.cron.jobs.length || !g.cron.read)) for (const l of g.cron.lines) out.push(`  ${clean(l)}`);
    if (g.tasks && (g.tasks.pending + g.tasks.failed + g.tasks.active + g.tasks.stale.length || !g.tasks.read))
      for (const l of g.tasks.lines) out.push(`  ${clean(l)}`);
    for (const a of g.agents) {
      out.push(`  ${clean(a.id)}${a.isDefault ? ' (default)' : ''}  ${countsText(a.counts)}`);
      for (const s of a.sessions) {
        const label = s.label !== s.key ? `${clean(s.label)} [${clean(s.key)}]` : clean(s.key);
        out.push(`    ${s.laneStatus.padEnd(12)} ${label}  ${clean(s.description)}`);
        if (opts.facts) for (const f of s.facts) out.push(`        - ${clean(f.text)} (${f.rule})`);
      }
    }
  }
  if (!report.gateways.length)
    out.push(
      'no gateways: none configured and none found (~/.openclaw/openclaw.json, OPENCLAW_GATEWAY_URL, running gateway lock files)',
    );
  return out.join('\n');
}

export interface FleetSummary {
  /** Status-bar text with codicons, e.g. "$(warning) 1 stalled  $(sync~spin) 2 running  $(debug-disconnect) 1/3 offline". */
  text: string;
  /** Plain words for screen readers and the tooltip. */
  words: string;
  tooltipLines: string[];
  severity: 'ok' | 'warning' | 'error';
}

const SUMMARY_ICONS: Array<[LaneState, string]> = [
  ['stuck', 'error'],
  ['stalled', 'warning'],
  ['stale', 'debug-disconnect'],
  ['no-progress', 'debug-pause'],
  ['long-running', 'watch'],
  ['running', 'sync~spin'],
  ['queued', 'clock'],
];

/** The status-bar summary of the whole fleet: what needs attention first, idle sessions not counted. */
export function summarizeFleet(report: FleetReport): FleetSummary {
  const totals: Partial<Record<LaneState, number>> = {};
  for (const g of report.gateways)
    for (const [s, n] of Object.entries(g.counts)) totals[s as LaneState] = (totals[s as LaneState] ?? 0) + (n ?? 0);
  const offline = report.gateways.filter((g) => !g.connected);
  const parts: string[] = [],
    words: string[] = [];
  for (const [state, icon] of SUMMARY_ICONS) {
    const n = totals[state];
    if (n) {
      parts.push(`$(${icon}) ${n} ${laneStateWords(state)}`);
      words.push(`${n} ${laneStateWords(state)}`);
    }
  }
  if (offline.length) {
    parts.push(`$(plug) ${offline.length}/${report.gateways.length} offline`);
    words.push(`${offline.length} of ${report.gateways.length} gateways offline`);
  }
  if (!parts.length) {
    const n = report.gateways.length;
    parts.push(n ? `$(pass) ${n} gateway${n === 1 ? '' : 's'} idle` : '$(circle-slash) no gateways');
    words.push(n ? `${n} gateway${n === 1 ? '' : 's'}, nothing running` : 'no gateways');
  }
  const severity =
    totals.stuck || totals.stalled || totals.stale
      ? 'error'
      : offline.length || totals['no-progress']
        ? 'warning'
        : 'ok';
  const tooltipLines = report.gateways.map(
    (g) => `${g.name}: ${g.connected ? `${g.description} · ${countsText(g.counts)}` : g.description}`,
  );
  return { text: `Lanewatch ${parts.join('  ')}`, words: `Lanewatch: ${words.join(', ')}`, tooltipLines, severity };
}
