// The fleet as plain data and as a text tree: what `lanewatch status` prints and what the extension's test API
// returns, built from the same watchers and the same describe* functions as the tree, so the CLI, the tree and
// the tests cannot disagree. No `vscode` import.
import type { Fleet } from '../fleet/fleet';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { compareLaneStates, type LaneState } from '../lanes/laneStatus';
import { revealBidiControls } from './visibleText';
import { describeConnection, describeSession, fixFor, summarizeCounts } from './describe';

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

export function reportSession(watcher: GatewayWatcher, key: string, now = Date.now()): SessionReport {
  const row = watcher.session(key);
  const status = watcher.laneStatus(key);
  const d = describeSession(row, key, status, now);
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
    facts: status.facts.map((f) => ({ rule: f.rule, text: f.text })),
  };
}

export function reportGateway(fleet: Fleet, watcher: GatewayWatcher, now = Date.now()): GatewayReport {
  const snap = watcher.snapshot();
  const sessions = watcher
    .sessionRows()
    .map((r) => reportSession(watcher, r.key, now))
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
    const busyLanes = (g.lanes ?? []).filter((l) => l.active > 0 || l.queued > 0);
    if (busyLanes.length)
      out.push(
        `  lanes: ${busyLanes.map((l) => `${clean(l.lane)} ${l.active}/${l.max ?? '?'}${l.queued ? ` +${l.queued} queued` : ''}`).join(', ')}`,
      );
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
      parts.push(`$(${icon}) ${n} ${state}`);
      words.push(`${n} ${state}`);
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
  const severity = totals.stuck || totals.stalled || totals.stale ? 'error' : offline.length ? 'warning' : 'ok';
  const tooltipLines = report.gateways.map(
    (g) => `${g.name}: ${g.connected ? `${g.description} · ${countsText(g.counts)}` : g.description}`,
  );
  return { text: `Lanewatch ${parts.join('  ')}`, words: `Lanewatch: ${words.join(', ')}`, tooltipLines, severity };
}
