// Text for tree items, kept free of `vscode` so it is unit-tested in plain Node. Everything that comes from
// the gateway is untrusted and is escaped before it goes into Markdown tooltips.
import type { ConnectionSnapshot, SessionRowView } from '../gateway';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import type { TokenSource } from '../config/tokenSources';
import { revealBidiControls } from './visibleText';
import { formatDuration } from '../protocol/duration';
import { laneText, type SessionLaneView } from '../protocol/laneView';
import {
  compareLaneStates,
  isBusyLane,
  LANE_STATE_ORDER,
  laneStateWords,
  type LaneState,
  type LaneStatus,
} from '../lanes/laneStatus';
import { countsWords, type FamilyView } from '../fleet/sessionFamily';

export { formatDuration };

/** "demo-hung" for "agent:main:demo-hung"; other keys as they are. */
export function shortSessionKey(key: string): string {
  return /^agent:[^:]+:(.+)$/.exec(key)?.[1] ?? key;
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

export function gatewayContextValue(snap: ConnectionSnapshot): string {
  return `gateway.${snap.state}${snap.problem ? `.${snap.problem.action}` : ''}`;
}

/** The one thing to do about a broken connection: the tree's fix node, the CLI's hint. */
export function fixFor(problem: { action: string; requestId?: string }): { label: string; command: string } {
  switch (problem.action) {
    case 'set-token':
      return { label: 'Set token…', command: 'lanewatch.setGatewayToken' };
    case 'approve-pairing':
      return {
        label: problem.requestId
          ? `Approve pairing: openclaw devices approve ${problem.requestId}`
          : 'Approve pairing on the gateway host',
        command: 'lanewatch.showGatewayDetails',
      };
    case 'check-url':
      return { label: 'Check the URL in settings', command: 'workbench.action.openSettingsJson' };
    case 'upgrade-gateway':
      return { label: 'Unsupported gateway version: see details', command: 'lanewatch.showGatewayDetails' };
    case 'grant-scope':
      return { label: 'Missing scope: see details', command: 'lanewatch.showGatewayDetails' };
    case 'trust-certificate':
      return { label: 'Compare and trust this certificate…', command: 'lanewatch.trustGatewayCertificate' };
    case 'allow-plaintext':
      return { label: 'Allow unencrypted ws:// for this gateway…', command: 'lanewatch.allowPlaintextGateway' };
    default:
      return { label: 'Retry now', command: 'lanewatch.reconnectGateway' };
  }
}

export interface ConnectionDescription {
  description: string;
  icon: string;
  color: string;
  tooltipMarkdown: string;
}

export function describeConnection(
  watcher: Pick<GatewayWatcher, 'name' | 'config' | 'lastSyncError'> & {
    restartRequestedAt?: number;
    gatewayRecoverySummary?: GatewayWatcher['gatewayRecoverySummary'];
    logProblemsSummary?: GatewayWatcher['logProblemsSummary'];
  },
  snap: ConnectionSnapshot,
  token?: { source: TokenSource; warning?: string },
  now = Date.now(),
): ConnectionDescription {
  const lines = [`**${escapeMarkdown(watcher.name)}** — ${escapeMarkdown(watcher.config.url)}`, ''];
  let description: string, icon: string, color: string;
  if (snap.state === 'connected' && snap.hello) {
    description = `connected · openclaw ${snap.hello.serverVersion}`;
    icon = 'vm-running';
    color = 'testing.iconPassed';
    lines.push(
      `Connected ${snap.connectedAt ? formatDuration(now - snap.connectedAt) : ''} ago · protocol ${snap.hello.protocol} · scopes ${escapeMarkdown(snap.hello.grantedScopes.join(', '))}${snap.hello.scopesInferred ? ' (not reported by this version; proven by a read call)' : ''}`,
    );
    if (snap.hello.protocol < 4)
      lines.push(
        '',
        `openclaw ${escapeMarkdown(snap.hello.serverVersion)} speaks protocol 3: session status comes from run events, logs and transcripts (its rows keep "running" after runs end).`,
      );
    if (snap.missingScopes.length) lines.push('', `Not granted: ${escapeMarkdown(snap.missingScopes.join(', '))}`);
    // The gateway's own stuck-session recovery, when it ran lately (and where it freed nothing).
    const recovery = watcher.gatewayRecoverySummary?.(now).text;
    if (recovery) lines.push('', escapeMarkdown(recovery));
    // Failures its log reported that hold no lane (a slow session store, a restart that cut replies short, …).
    const logProblems = watcher.logProblemsSummary?.(now);
    if (logProblems?.text) {
      lines.push('', escapeMarkdown(logProblems.text));
      for (const p of logProblems.problems) lines.push(`- ${escapeMarkdown(p.advice)}`);
    }
    const sync = watcher.lastSyncError();
    if (sync) {
      description += ' · sync failed';
      lines.push('', `Last sync failed: ${escapeMarkdown(sync)}`);
    }
  } else if (watcher.restartRequestedAt !== undefined) {
    description = `restarting (requested ${formatDuration(now - watcher.restartRequestedAt)} ago)`;
    icon = 'debug-restart';
    color = 'charts.yellow';
    lines.push('', 'Lanewatch asked this gateway to restart; it reconnects when the gateway is back.');
  } else if (snap.state === 'connecting') {
    description = snap.problem ? `reconnecting… (${snap.problem.summary})` : 'connecting…';
    icon = 'loading~spin';
    color = 'foreground';
  } else if (snap.state === 'stopped') {
    description = 'stopped';
    icon = 'debug-stop';
    color = 'disabledForeground';
  } else {
    const p = snap.problem;
    const retry = snap.nextRetryAt ? ` · retry in ${formatDuration(Math.max(0, snap.nextRetryAt - now))}` : '';
    description = `${p?.summary ?? 'disconnected'}${retry}`;
    const blocking = p?.reconnect === 'stop' || p?.reconnect === 'slow';
    icon = blocking ? 'error' : 'debug-disconnect';
    color = blocking ? 'errorForeground' : 'list.warningForeground';
  }
  if (snap.problem && watcher.restartRequestedAt === undefined) {
    lines.push('', `**${escapeMarkdown(snap.problem.summary)}**`, '', escapeMarkdown(snap.problem.advice));
    const d = snap.problem.diagnosis;
    if (snap.problem.diagnosing) lines.push('', 'Asking its HTTP probes to tell why…');
    else if (d) lines.push('', `WebSocket: ${escapeMarkdown(d.wsSummary)} · HTTP: ${escapeMarkdown(d.http)}`);
  }
  const t = snap.handshake;
  if (t)
    lines.push(
      '',
      `Last handshake: open ${t.socketOpenMs ?? '–'} ms · challenge ${t.challengeMs ?? '–'} ms · hello ${t.helloMs ?? '–'} ms${t.failedIn ? ` · failed during ${t.failedIn}` : ''} (attempt ${t.attempt})`,
    );
  if (token) lines.push('', `Token from: ${token.source}${token.warning ? ` (${escapeMarkdown(token.warning)})` : ''}`);
  return { description, icon, color, tooltipMarkdown: lines.join('\n') };
}

export interface SessionDescription {
  label: string;
  description: string;
  icon: string;
  color?: string;
  status: LaneState;
  /** The words behind `description`, the age left out (what a row shows apart from the clock). */
  lane: SessionLaneView;
  tooltipMarkdown: string;
}

const ICONS: Record<LaneState, [string, string | undefined]> = {
  stuck: ['error', 'errorForeground'],
  stalled: ['warning', 'list.warningForeground'],
  stale: ['debug-disconnect', 'list.warningForeground'],
  'no-progress': ['debug-pause', 'list.warningForeground'],
  'long-running': ['watch', 'charts.yellow'],
  running: ['sync~spin', 'charts.blue'],
  queued: ['clock', 'charts.purple'],
  unknown: ['question', 'disabledForeground'],
  idle: ['circle-outline', undefined],
};

/**
 * What a session's lane status says, in the words every view shows: "running (unverified)" + the age + "tool" ·
 * "2 queued" · "last run failed". The age is left to the view (`aged`: it goes right after `head`), which computes it
 * from `startedAt` when it draws: the tree when a row is built, the transcript webview once a second.
 */
export function sessionLaneView(status: LaneStatus): SessionLaneView {
  let head: string = status.state;
  let aged = false;
  let since = status.startedAt;
  const rest: string[] = [];
  switch (status.state) {
    case 'running':
      head = `running${status.verified ? '' : ' (unverified)'}`;
      aged = status.startedAt !== undefined;
      break;
    case 'no-progress':
      head = 'no progress for';
      since = status.quietSince;
      aged = since !== undefined;
      break;
    case 'long-running':
    case 'stalled':
    case 'stuck': {
      aged = status.startedAt !== undefined;
      const kind = status.diagnostic?.fields.activeWorkKind;
      if (kind) rest.push(kind);
      break;
    }
    case 'stale':
      head = 'stale: row says running, no run';
      break;
    case 'queued':
    case 'idle':
      // 2026.9: a turn that ended in sessions_yield; its row stays "running" while its subagents work.
      if (status.waitingOn?.length)
        head = `waiting on ${status.waitingOn.length === 1 ? 'a subagent' : `${status.waitingOn.length} subagents`}`;
      break;
    case 'unknown':
      break;
  }
  if (status.queued > 0) rest.push(`${status.queued} queued`);
  if (status.outcome) rest.push(`last run ${status.outcome}`);
  const [icon] = ICONS[status.state];
  return {
    state: status.state,
    verified: status.verified,
    head,
    aged,
    rest,
    icon,
    queued: status.queued,
    ...(aged && since !== undefined ? { since } : {}),
    ...(status.startedAt !== undefined ? { startedAt: status.startedAt } : {}),
    ...(status.runId ? { runId: status.runId } : {}),
  };
}

/** A session's label: its row's label, else its key without the "agent:<id>:" prefix. */
export function sessionLabel(row: SessionRowView | undefined, key: string): string {
  // The key without its "agent:<id>:" prefix, which every session of an agent shares: in a narrow sidebar the full
  // key left "agent:mai…" on every row. The full key is in the tooltip (and the agent is the row's parent, or the
  // gateway's only agent).
  const label = row && typeof row.label === 'string' && row.label ? row.label : undefined;
  // A cron job's row and each of its runs' rows carry the same label ("Automation: <job>"): the run's says which run.
  const run = label ? /:cron:[^:]+:run:([^:]{1,64})$/.exec(key)?.[1] : undefined;
  return revealBidiControls(label ? (run ? `${label} (run ${run.slice(0, 8)})` : label) : shortSessionKey(key));
}

/** States a parent's row takes on from its subagents (its icon, and words in its description). */
const ROLL_UP: ReadonlySet<LaneState> = new Set(['stuck', 'stalled', 'stale', 'no-progress', 'long-running']);

/**
 * The words a session's family adds to its row: "waiting on <child>" for a parent in sessions_yield, "3 subagents:
 * 1 no progress, 2 running" for a parent (the count stays readable with hundreds), "orphan" for a subagent whose parent
 * is gone; and the icon of its worst subagent when that is worse than its own.
 */
function familyWords(
  lane: SessionLaneView,
  family: FamilyView,
  labelOf: (key: string) => string,
): { lane: SessionLaneView; rolledUp?: LaneState } {
  const rest = [...lane.rest];
  let head = lane.head;
  if (family.waitingOn?.length) {
    head = `waiting on ${labelOf(family.waitingOn[0])}${family.waitingOn.length > 1 ? ` +${family.waitingOn.length - 1}` : ''}`;
  }
  const n = family.children.length;
  if (n) {
    const worst = family.worst && ROLL_UP.has(family.worst.state) ? family.worst.state : undefined;
    rest.push(
      `${n} subagent${n === 1 ? '' : 's'}${worst ? `: ${countsWords({ [worst]: family.descendants[worst] })}` : ''}`,
    );
  }
  if (family.orphanOf !== undefined) rest.push('orphan: parent gone');
  const worst = family.worst?.state;
  const rolledUp = worst && ROLL_UP.has(worst) && compareLaneStates(worst, lane.state) < 0 ? worst : undefined;
  return { lane: { ...lane, head, rest }, rolledUp };
}

/** Tree text for a session: label, "running 4m12s · 2 queued", the icon, and a tooltip listing the facts. */
export function describeSession(
  row: SessionRowView | undefined,
  key: string,
  status: LaneStatus,
  now = Date.now(),
  opts: {
    tooltip?: boolean;
    coarseAge?: boolean;
    /** The session's family (2026.9 subagents), and how its members are named. */
    family?: FamilyView;
    labelOf?: (key: string) => string;
  } = {},
): SessionDescription {
  const label = sessionLabel(row, key);
  let lane = sessionLaneView(status);
  let [icon, color] = ICONS[status.state];
  if (opts.family) {
    const words = familyWords(lane, opts.family, opts.labelOf ?? shortSessionKey);
    lane = words.lane;
    if (words.rolledUp) [icon, color] = ICONS[words.rolledUp];
    // Waiting on its subagents: the subtree icon ('watch' is long-running's).
    else if (opts.family.waitingOn?.length) [icon, color] = ['type-hierarchy-sub', 'charts.blue'];
  }
  const description = laneText(lane, now, opts.coarseAge);
  if (opts.tooltip === false)
    return { label, description, icon, color, status: status.state, lane, tooltipMarkdown: '' };
  const tooltip = [
    `**${escapeMarkdown(label)}** — ${laneStateWords(status.state)}${status.verified ? '' : ' (unverified)'}`,
    `key \`${key.replace(/`/g, "'")}\``,
  ];
  if (row?.sessionId) tooltip.push(`session ${escapeMarkdown(String(row.sessionId))}`);
  if (status.runId) tooltip.push(`run ${escapeMarkdown(status.runId)}`);
  if (status.startedAt !== undefined)
    tooltip.push(
      `started ${formatDuration(now - status.startedAt)} ago (${new Date(status.startedAt).toLocaleTimeString('en-GB')})`,
    );
  if (status.quietSince !== undefined && isBusyLane(status.state))
    tooltip.push(`last sign of progress ${formatDuration(now - status.quietSince)} ago`);
  const f = status.diagnostic?.fields;
  if (f?.lastProgress)
    tooltip.push(
      `last progress ${escapeMarkdown(f.lastProgress)}${f.lastProgressAge ? ` (${escapeMarkdown(f.lastProgressAge)} ago)` : ''}`,
    );
  if (status.diagnostic)
    tooltip.push(`last diagnostic: \`${escapeMarkdown(status.diagnostic.message.slice(0, 300))}\``);
  if (row && typeof row.totalTokens === 'number') tooltip.push(`tokens ${row.totalTokens}`);
  if (opts.family?.depth !== undefined || opts.family?.role)
    tooltip.push(
      `subagent${opts.family.depth !== undefined ? ` depth ${opts.family.depth}` : ''}${opts.family.role ? `, ${escapeMarkdown(opts.family.role)}` : ''}`,
    );
  // The rule behind each fact is for `lanewatch status --json` and the output channel; the tooltip says what it means.
  const why = [...status.facts, ...(opts.family?.facts ?? [])].map((x) => `- ${escapeMarkdown(x.text)}`).join('\n');
  return {
    label,
    description,
    lane,
    icon,
    color,
    status: status.state,
    tooltipMarkdown: `${tooltip.join('\n\n')}\n\n**Why:**\n${why}`,
  };
}

/** "1 stalled · 2 running · 5 idle", most urgent first. */
export function summarizeCounts(states: readonly LaneState[]): string {
  const counts = new Map<LaneState, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return (
    LANE_STATE_ORDER.filter((s) => counts.has(s))
      .map((s) => `${counts.get(s)} ${laneStateWords(s)}`)
      .join(' · ') || 'no sessions'
  );
}
