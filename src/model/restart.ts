// Gateway restart, verified: preflight (blockers), the restart request, then proof that it happened — the
// shutdown/1012 close, a reconnect, a *new* bootId — and the sessions the gateway re-runs after it.
// When the RPC is dead and the gateway is local, the fallback is a signal to the pid from its lock file,
// only after checking that the process really is that gateway. Nothing is killed silently.
import { readFile } from 'node:fs/promises';
import type { GatewayApi, GatewayConnection, RestartPreflightResultView } from '../gateway';
import { processAlive, type GatewayLock } from './openclawConfig';

export interface RestartReport {
  ok: boolean;
  summary: string;
  preflight?: RestartPreflightResultView;
  oldBootId?: string;
  newBootId?: string;
  downMs?: number;
  rerunSessions: string[];
  steps: string[];
}

export interface RestartContext { api: GatewayApi; connection: GatewayConnection; signal?: AbortSignal; timeoutMs?: number }

export async function restartPreflight(ctx: RestartContext): Promise<RestartPreflightResultView> {
  return ctx.api.restartPreflight({ signal: ctx.signal });
}

export function describePreflight(p: RestartPreflightResultView): string {
  if (p.safe) return p.summary ?? 'safe to restart now';
  const blockers = p.blockers.map((b) => `${b.kind}${b.count !== undefined ? ` ×${b.count}` : ''}${b.message ? ` (${b.message})` : ''}`).join('; ');
  return `${p.summary ?? 'restart would be deferred'} — blockers: ${blockers || 'none listed'}`;
}

/** Requests the restart and waits for the proof. The connection must have operator.admin and reconnect enabled. */
export async function restartGateway(ctx: RestartContext, opts: { skipDeferral: boolean; preflight?: RestartPreflightResultView }): Promise<RestartReport> {
  const steps: string[] = [];
  const hello = ctx.connection.helloSummary;
  const oldBootId = hello?.bootId;
  const timeoutMs = ctx.timeoutMs ?? 5 * 60_000;
  let downAt: number | undefined;
  const down = new Promise<void>((resolve) => {
    const sub = ctx.connection.onDidChangeState((s) => { if (s.state !== 'connected') { downAt = Date.now(); steps.push(`connection closed: ${s.problem?.summary ?? s.state}`); sub.dispose(); resolve(); } });
  });
  const shutdownSub = ctx.connection.onEvent('shutdown', (f) => steps.push(`shutdown event: ${JSON.stringify(f.payload).slice(0, 160)}`));
  try {
    const answer = await ctx.api.restartRequest({ reason: 'Lanewatch: restart requested by the user', skipDeferral: opts.skipDeferral }, { signal: ctx.signal });
    steps.push(`gateway.restart.request answered ${answer.status}${answer.restart?.delayMs !== undefined ? ` (delay ${answer.restart.delayMs} ms)` : ''}`);
    if (!answer.ok) return { ok: false, summary: `the gateway refused the restart (${answer.status})`, preflight: opts.preflight, oldBootId, rerunSessions: [], steps };
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref?.());
    if ((await Promise.race([down, timeout])) === 'timeout') {
      return { ok: false, summary: `the restart was scheduled but the gateway did not go down within ${Math.round(timeoutMs / 1000)} s (deferred by active work? ${opts.skipDeferral ? '' : 'try again with "restart now"'})`, preflight: opts.preflight, oldBootId, rerunSessions: [], steps };
    }
    const back = await ctx.connection.waitForConnected(timeoutMs, ctx.signal);
    const downMs = downAt ? Date.now() - downAt : undefined;
    steps.push(`reconnected after ${downMs ?? '?'} ms: openclaw ${back.serverVersion}, boot ${back.bootId ?? 'n/a'}`);
    if (oldBootId && back.bootId === oldBootId) return { ok: false, summary: 'reconnected, but the bootId is unchanged: the gateway did not restart', preflight: opts.preflight, oldBootId, newBootId: back.bootId, downMs, rerunSessions: [], steps };
    const rows = (await ctx.api.sessionsList({ limit: 500 })).sessions;
    const rerun = rows.filter((r) => r.hasActiveRun === true).map((r) => r.key);
    return { ok: true, summary: `restarted: new boot ${back.bootId ?? '(not reported)'} after ${downMs !== undefined ? `${(downMs / 1000).toFixed(1)} s` : '?'} down${rerun.length ? `; re-running ${rerun.length} interrupted session(s): ${rerun.join(', ')}` : ''}`, preflight: opts.preflight, oldBootId, newBootId: back.bootId, downMs, rerunSessions: rerun, steps };
  } finally {
    shutdownSub.dispose();
  }
}

/** Is `pid` an OpenClaw gateway process? (Linux: its command name/line; elsewhere we cannot tell, so no.) */
export async function isGatewayProcess(pid: number): Promise<boolean> {
  if (!processAlive(pid)) return false;
  try {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
    if (comm === 'openclaw-gateway') return true;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    return /openclaw(\.mjs)?\s+gateway(\s|$)|openclaw-gateway/.test(cmdline);
  } catch { return false; }
}

export type LocalRestartPlan =
  | { kind: 'signal'; pid: number; signal: 'SIGUSR2' | 'SIGUSR1'; lockFile: string; why: string }
  | { kind: 'service-manager'; commands: string[]; why: string };

/** What to offer when the RPC is dead. `protocol` picks the signal: 2026.9.x restarts on SIGUSR2 (SIGUSR1 opens the inspector). */
export async function planLocalRestart(lock: GatewayLock | undefined, protocol: number | undefined, platform = process.platform, uid = process.getuid?.() ?? 0): Promise<LocalRestartPlan> {
  const serviceCommands = platform === 'darwin' ? [`launchctl kickstart -k gui/${uid}/ai.openclaw.gateway`] : ['systemctl --user restart openclaw-gateway'];
  if (lock && await isGatewayProcess(lock.pid)) {
    const signal = protocol !== undefined && protocol < 4 ? 'SIGUSR1' : 'SIGUSR2';
    return { kind: 'signal', pid: lock.pid, signal, lockFile: lock.file, why: `pid ${lock.pid} from ${lock.file} is an openclaw gateway process` };
  }
  return { kind: 'service-manager', commands: serviceCommands, why: lock ? `pid ${lock.pid} from the lock file is not a running openclaw gateway` : 'no lock file of a local gateway was found' };
}
