// Text for tree items, kept free of `vscode` so it is unit-tested in plain Node. Everything that comes from
// the gateway is untrusted and is escaped before it goes into Markdown tooltips.
import type { ConnectionSnapshot, SessionRowView } from '../gateway';
import type { GatewayWatcher } from '../model/gatewayWatcher';
import type { TokenSource } from '../model/tokenSources';

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d`;
}

export function gatewayContextValue(snap: ConnectionSnapshot): string {
  return `gateway.${snap.state}${snap.problem ? `.${snap.problem.action}` : ''}`;
}

export interface ConnectionDescription { description: string; icon: string; color: string; tooltipMarkdown: string }

export function describeConnection(watcher: Pick<GatewayWatcher, 'name' | 'config' | 'lastSyncError'>, snap: ConnectionSnapshot, token?: { source: TokenSource; warning?: string }, now = Date.now()): ConnectionDescription {
  const lines = [`**${escapeMarkdown(watcher.name)}** — ${escapeMarkdown(watcher.config.url)}`, ''];
  let description: string, icon: string, color: string;
  if (snap.state === 'connected' && snap.hello) {
    description = `connected · openclaw ${snap.hello.serverVersion}`;
    icon = 'vm-running'; color = 'testing.iconPassed';
    lines.push(`Connected ${snap.connectedAt ? formatDuration(now - snap.connectedAt) : ''} ago · protocol ${snap.hello.protocol} · scopes ${escapeMarkdown(snap.hello.grantedScopes.join(', '))}`);
    if (snap.missingScopes.length) lines.push('', `Not granted: ${escapeMarkdown(snap.missingScopes.join(', '))}`);
    const sync = watcher.lastSyncError();
    if (sync) { description += ' · sync failed'; lines.push('', `Last sync failed: ${escapeMarkdown(sync)}`); }
  } else if (snap.state === 'connecting') {
    description = snap.problem ? `reconnecting… (${snap.problem.summary})` : 'connecting…';
    icon = 'loading~spin'; color = 'foreground';
  } else if (snap.state === 'stopped') {
    description = 'stopped'; icon = 'debug-stop'; color = 'disabledForeground';
  } else {
    const p = snap.problem;
    const retry = snap.nextRetryAt ? ` · retry in ${formatDuration(Math.max(0, snap.nextRetryAt - now))}` : '';
    description = `${p?.summary ?? 'disconnected'}${retry}`;
    const blocking = p?.reconnect === 'stop' || p?.reconnect === 'slow';
    icon = blocking ? 'error' : 'debug-disconnect'; color = blocking ? 'errorForeground' : 'list.warningForeground';
  }
  if (snap.problem) lines.push('', `**${escapeMarkdown(snap.problem.summary)}**`, '', escapeMarkdown(snap.problem.advice));
  const t = snap.handshake;
  if (t) lines.push('', `Last handshake: open ${t.socketOpenMs ?? '–'} ms · challenge ${t.challengeMs ?? '–'} ms · hello ${t.helloMs ?? '–'} ms${t.failedIn ? ` · failed during ${t.failedIn}` : ''} (attempt ${t.attempt})`);
  if (token) lines.push('', `Token from: ${token.source}${token.warning ? ` (${escapeMarkdown(token.warning)})` : ''}`);
  return { description, icon, color, tooltipMarkdown: lines.join('\n') };
}

export interface SessionDescription { label: string; description: string; icon: string; color?: string; status: string; tooltipMarkdown: string }

/**
 * Foundation-level session text: what the row itself says (run state as reported, active run flag where the
 * gateway has it). The derived lane status (stale, stuck, queued…) is computed by the fleet model.
 */
export function describeSessionRow(row: SessionRowView | undefined, key: string, now = Date.now()): SessionDescription {
  if (!row) return { label: key, description: 'unknown (not in the last list)', icon: 'question', status: 'unknown', tooltipMarkdown: escapeMarkdown(key) };
  const label = typeof row.label === 'string' && row.label ? row.label : key;
  const active = row.hasActiveRun === true;
  const status = active ? 'running' : row.hasActiveRun === false ? 'idle' : 'unknown';
  const parts = [status === 'running' && typeof row.startedAt === 'number' ? `running ${formatDuration(now - row.startedAt)}` : status];
  if (row.status && !(active && row.status === 'running')) parts.push(`last run ${row.status}`);
  const tooltip = [`**${escapeMarkdown(label)}**`, '', `key \`${escapeMarkdown(key)}\``];
  if (row.sessionId) tooltip.push(`session ${escapeMarkdown(String(row.sessionId))}`);
  tooltip.push(`row status: ${escapeMarkdown(String(row.status ?? 'none'))} · hasActiveRun: ${String(row.hasActiveRun ?? 'not reported')}`);
  return {
    label, description: parts.join(' · '), status,
    icon: status === 'running' ? 'sync~spin' : status === 'idle' ? 'circle-outline' : 'question',
    color: status === 'running' ? 'charts.blue' : undefined,
    tooltipMarkdown: tooltip.join('\n\n'),
  };
}
