// Gateway restart, verified: preflight (blockers), the restart request, then proof that it happened — the
// shutdown/1012 close, a reconnect, a *new* bootId — and the sessions the gateway re-runs after it.
// When the RPC is dead and the gateway is local, the fallback is a signal to the pid from its lock file,
// only after checking that the process really is that gateway. Nothing is killed silently.
import { readFile } from 'node:fs/promises';
import type { GatewayApi, GatewayConnection, RestartPreflightResultView, RestartRequestParams } from '../gateway';
import { findGatewayLocks, processAlive, type GatewayLock } from '../config/openclawConfig';

export interface RestartReport {
  ok: boolean;
  summary: string;
  preflight?: RestartPreflightResultView;
  oldBootId?: string;
  newBootId?: string;
  downMs?: number;
  rerunSessions: string[];
  steps: string[];
  /** The request was accepted but the gateway had not gone down by the deadline: it is still draining active work. */
  stillDraining?: boolean;
  /** When each phase was seen (ms since the epoch): the request, the gateway going down, answering again. */
  phases?: { requestedAt: number; shutdownAt?: number; downAt?: number; upAt?: number };
}

export interface RestartContext {
  api: GatewayApi;
  connection: GatewayConnection;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** when-safe: the gateway waits for active work (up to 5 minutes) before it restarts; now: it interrupts that work. */
export type RestartMode = 'when-safe' | 'now';

/**
 * What an interrupting restart needs on 2026.9.x: the gateway's lock identity. Only a *targeted* request may carry a
 * restart intent, and `{force: true, drainBudgetMs: 0}` is the one that cuts the drain short (openclaw 2026.9.6
 * restart-request/restart-budget code; measured: shutdown 40–370 ms after the request, answering again 6–20 s later).
 * An untargeted request, with or without skipDeferral, drains for up to 300 s with a hung run (measured 3 min 25 s).
 * The owner id is in no RPC, only in the lock file, so this works for a gateway on this machine.
 */
export interface RestartNowTarget {
  pid: number;
  ownerId: string;
  port: number;
  lockFile: string;
}

export async function restartPreflight(ctx: RestartContext): Promise<RestartPreflightResultView> {
  return ctx.api.restartPreflight({ signal: ctx.signal });
}

export function describePreflight(p: RestartPreflightResultView): string {
  if (p.safe) return p.summary ?? 'safe to restart now';
  // The gateway's own words for each blocker ("2 active gateway request(s)") read as a person would write them; a
  // blocker without words is named by its kind ("1 embedded-run"). The kinds stay in the report's details.
  const blockers = p.blockers
    .map((b) =>
      b.message
        ? b.message.replace(/\((s|es)\)/g, (_, plural: string) => (b.count === 1 ? '' : plural))
        : `${b.count ?? ''} ${b.kind.replace(/-/g, ' ')}`.trim(),
    )
    .join(', ');
  return `${p.summary ?? 'restart would be deferred'}: ${blockers || 'the gateway names nothing'}`;
}

/** What each choice will do, from the preflight: said before the user picks, and kept in the report. */
export function restartExpectation(
  p: RestartPreflightResultView | undefined,
  mode: RestartMode,
  canInterrupt: boolean,
): string {
  const busy = p && !p.safe;
  if (mode === 'when-safe')
    return busy
      ? 'The gateway finishes its active work first (it waits up to 5 minutes), then restarts; expect it back about 10 s after that.'
      : 'Nothing is active: the gateway restarts at once and is back in about 10 s.';
  if (!busy) return 'Nothing is active: the gateway restarts at once and is back in about 10 s.';
  return canInterrupt
    ? 'Active runs are interrupted at once; the gateway is back in about 10 s and re-runs an interrupted turn itself. Inputs queued behind a run are marked "interrupted" and do not run.'
    : "This gateway's lock file is not readable from here, so Lanewatch aborts the active runs first and then asks for the restart; expect it back within about 30 s.";
}

/** The owner id of a 2026.9.x lock file (absent on older versions). */
async function lockOwnerId(file: string): Promise<string | undefined> {
  try {
    const v = JSON.parse((await readFile(file, 'utf8')).trim()) as Record<string, unknown>;
    return typeof v.ownerId === 'string' && v.ownerId ? v.ownerId : undefined;
  } catch {
    return undefined;
  }
}

/** The lock identity for an interrupting restart of the gateway on `port`, when it runs on this machine. */
export async function findRestartNowTarget(where: {
  port?: number;
  configPath?: string;
  stateDir?: string;
}): Promise<RestartNowTarget | undefined> {
  const lock = await findLockFor(where);
  if (!lock || lock.port === undefined || (where.port !== undefined && lock.port !== where.port)) return undefined;
  const ownerId = await lockOwnerId(lock.file);
  return ownerId ? { pid: lock.pid, ownerId, port: lock.port, lockFile: lock.file } : undefined;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Requests the restart and waits for the proof: the shutdown, a reconnect, a *new* bootId. The connection must have
 * operator.admin and reconnect enabled. "now" interrupts active work: targeted with a zero drain budget when the lock
 * is known, else by aborting the active runs first (the drain then has nothing to wait for).
 */
export async function restartGateway(
  ctx: RestartContext,
  opts: { mode: RestartMode; target?: RestartNowTarget; preflight?: RestartPreflightResultView },
): Promise<RestartReport> {
  const steps: string[] = [];
  const hello = ctx.connection.helloSummary;
  const oldBootId = hello?.bootId;
  const timeoutMs = ctx.timeoutMs ?? (opts.mode === 'now' ? 2 * 60_000 : 7 * 60_000);
  const requestedAt = Date.now();
  const phases: NonNullable<RestartReport['phases']> = { requestedAt };
  const since = (t: number | undefined) => (t === undefined ? '?' : seconds(t - requestedAt));
  const down = new Promise<void>((resolve) => {
    const sub = ctx.connection.onDidChangeState((s) => {
      if (s.state !== 'connected') {
        phases.downAt = Date.now();
        steps.push(`connection closed at +${since(phases.downAt)}: ${s.problem?.summary ?? s.state}`);
        sub.dispose();
        resolve();
      }
    });
  });
  const shutdownSub = ctx.connection.onEvent('shutdown', (f) => {
    phases.shutdownAt ??= Date.now();
    steps.push(`shutdown event at +${since(phases.shutdownAt)}: ${JSON.stringify(f.payload).slice(0, 160)}`);
  });
  const base = { preflight: opts.preflight, oldBootId, rerunSessions: [] as string[], steps, phases };
  try {
    let params: RestartRequestParams;
    if (opts.mode === 'now' && opts.target) {
      params = {
        reason: 'Lanewatch: Restart Now (interrupts active work)',
        target: { pid: opts.target.pid, ownerId: opts.target.ownerId, port: opts.target.port },
        restartIntent: { force: true, drainBudgetMs: 0 },
      };
      steps.push(`interrupting restart of pid ${opts.target.pid} (lock ${opts.target.lockFile}): no drain`);
    } else {
      if (opts.mode === 'now') await abortActiveRuns(ctx, steps);
      params = {
        reason: opts.mode === 'now' ? 'Lanewatch: Restart Now' : 'Lanewatch: Restart When Safe',
        skipDeferral: opts.mode === 'now',
      };
    }
    const answer = await ctx.api.restartRequest(params, { signal: ctx.signal });
    steps.push(
      `the gateway answered "${answer.status}" at +${since(Date.now())}${answer.restart?.delayMs !== undefined ? ` (delay ${answer.restart.delayMs} ms)` : ''}${answer.status === 'deferred' || (answer.preflight && !answer.preflight.safe && opts.mode === 'when-safe') ? ': draining active work first' : ''}`,
    );
    if (!answer.ok) return { ...base, ok: false, summary: `the gateway refused the restart (${answer.status})` };
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref?.());
    if ((await Promise.race([down, timeout])) === 'timeout') {
      return {
        ...base,
        ok: false,
        summary: `the restart was accepted but the gateway did not go down within ${Math.round(timeoutMs / 1000)} s: it is still draining active work`,
        stillDraining: true,
      };
    }
    const back = await ctx.connection.waitForConnected(timeoutMs, ctx.signal);
    phases.upAt = Date.now();
    const downMs = phases.downAt ? phases.upAt - phases.downAt : undefined;
    steps.push(
      `answering again at +${since(phases.upAt)}: openclaw ${back.serverVersion}, boot ${back.bootId ?? 'n/a'}`,
    );
    if (oldBootId && back.bootId === oldBootId)
      return {
        ...base,
        ok: false,
        summary: 'reconnected, but the boot id is unchanged: the gateway did not restart',
        newBootId: back.bootId,
        downMs,
      };
    const rows = (await ctx.api.sessionsList({ limit: 500 })).sessions;
    const rerun = rows.filter((r) => r.hasActiveRun === true).map((r) => r.key);
    const draining =
      phases.downAt !== undefined && phases.downAt - requestedAt > 2_000
        ? `it drained active work for ${since(phases.downAt)}, `
        : '';
    return {
      ...base,
      ok: true,
      newBootId: back.bootId,
      downMs,
      rerunSessions: rerun,
      summary: `restarted: ${draining}went down ${draining ? 'then' : `${since(phases.downAt)} after the request`}, answered again ${downMs !== undefined ? seconds(downMs) : '?'} later (${since(phases.upAt)} in all); new boot ${back.bootId ?? '(not reported)'}${rerun.length ? `; re-running ${rerun.length} interrupted turn(s): ${rerun.join(', ')}` : ''}`,
    };
  } finally {
    shutdownSub.dispose();
  }
}

/** "Restart Now" without the lock: end the active runs first, so the gateway's drain has nothing to wait for. */
async function abortActiveRuns(ctx: RestartContext, steps: string[]): Promise<void> {
  const rows = (await ctx.api.sessionsList({ limit: 500 }, { signal: ctx.signal })).sessions.filter(
    (r) => r.hasActiveRun === true,
  );
  for (const r of rows) {
    try {
      const a = await ctx.api.sessionsAbort({ key: r.key }, { signal: ctx.signal });
      steps.push(`aborted the run of ${r.key} first (${a.status})`);
    } catch (err) {
      steps.push(`could not abort ${r.key} first: ${(err as Error).message}`);
    }
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
  } catch {
    return false;
  }
}

export type LocalRestartPlan =
  | { kind: 'signal'; pid: number; signal: 'SIGUSR2' | 'SIGUSR1'; lockFile: string; why: string }
  | { kind: 'service-manager'; commands: string[]; why: string };

/** What to offer when the RPC is dead. `protocol` picks the signal: 2026.9.x restarts on SIGUSR2 (SIGUSR1 opens the inspector). */
export async function planLocalRestart(
  lock: GatewayLock | undefined,
  protocol: number | undefined,
  platform = process.platform,
  uid = process.getuid?.() ?? 0,
): Promise<LocalRestartPlan> {
  const serviceCommands =
    platform === 'darwin'
      ? [`launchctl kickstart -k gui/${uid}/ai.openclaw.gateway`]
      : ['systemctl --user restart openclaw-gateway'];
  if (lock && (await isGatewayProcess(lock.pid))) {
    const signal = protocol !== undefined && protocol < 4 ? 'SIGUSR1' : 'SIGUSR2';
    return {
      kind: 'signal',
      pid: lock.pid,
      signal,
      lockFile: lock.file,
      why: `pid ${lock.pid} from ${lock.file} is an openclaw gateway process`,
    };
  }
  return {
    kind: 'service-manager',
    commands: serviceCommands,
    why: lock
      ? `pid ${lock.pid} from the lock file is not a running openclaw gateway`
      : 'no lock file of a local gateway was found',
  };
}

// ---------------------------------------------------------------- protocol 3 (2026.3.x/2026.4.x): no restart RPC

/**
 * The lock file of the gateway a connection talks to. 2026.9.x writes it under <stateDir>/tmp/openclaw-<uid>/ with
 * its port; 2026.3.x/2026.4.x under $TMPDIR/openclaw-<uid>/ with only {pid, configPath, createdAt}, so there the
 * config path (hello-ok snapshot or the gateway's configured configPath) identifies it.
 */
export async function findLockFor(target: {
  port?: number;
  configPath?: string;
  stateDir?: string;
  extraTmpDirs?: string[];
}): Promise<GatewayLock | undefined> {
  const locks: GatewayLock[] = [];
  const seen = new Set<string>();
  const dirs = [...(target.extraTmpDirs ?? []), undefined];
  for (const tmpDir of dirs) {
    for (const lock of await findGatewayLocks(target.stateDir ?? '/nonexistent', undefined, tmpDir))
      if (!seen.has(lock.file)) {
        seen.add(lock.file);
        locks.push(lock);
      }
  }
  const live = locks.filter((l) => processAlive(l.pid));
  return (
    live.find((l) => target.port !== undefined && l.port === target.port) ??
    live.find((l) => !!target.configPath && l.configPath === target.configPath) ??
    (live.length === 1 && live[0].port === undefined && !target.configPath ? live[0] : undefined)
  );
}

export interface LocalStopReport {
  ok: boolean;
  pid: number;
  summary: string;
  stoppedMs?: number;
}

/**
 * Stops a local gateway with SIGTERM (after checking that the pid is an openclaw gateway) and waits for it to exit.
 * That frees a hung 2026.3.x lane at once, where SIGUSR1 waits 6.5 minutes for the hung run; starting it again
 * is the user's (or their service manager's) part: Lanewatch does not know how the gateway was launched.
 */
export async function stopLocalGateway(
  pid: number,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<LocalStopReport> {
  if (!(await isGatewayProcess(pid)))
    return { ok: false, pid, summary: `pid ${pid} is not a running openclaw gateway; nothing was signalled` };
  const t0 = Date.now();
  process.kill(pid, 'SIGTERM');
  const deadline = t0 + (opts.timeoutMs ?? 60_000);
  while (processAlive(pid) && Date.now() < deadline && !opts.signal?.aborted)
    await new Promise((r) => setTimeout(r, 200));
  if (processAlive(pid))
    return {
      ok: false,
      pid,
      summary: `sent SIGTERM to pid ${pid}, but it was still running after ${Math.round((Date.now() - t0) / 1000)} s`,
    };
  const ms = Date.now() - t0;
  return {
    ok: true,
    pid,
    stoppedMs: ms,
    summary: `stopped pid ${pid} in ${(ms / 1000).toFixed(1)} s (SIGTERM). Start it again the way you run it (e.g. openclaw gateway run, or your service manager).`,
  };
}

/**
 * Restart by signal for gateways without gateway.restart.* (SIGUSR1 on 2026.3.x/2026.4.x), verified like the RPC
 * restart: the connection goes down, comes back, and the gateway's uptime shows a new process.
 */
export async function signalRestart(
  ctx: RestartContext,
  plan: Extract<LocalRestartPlan, { kind: 'signal' }>,
): Promise<RestartReport> {
  const steps: string[] = [];
  const timeoutMs = ctx.timeoutMs ?? 8 * 60_000;
  const sentAt = Date.now();
  let downAt: number | undefined;
  const wasUp = ctx.connection.isConnected();
  const down = !wasUp
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        const sub = ctx.connection.onDidChangeState((s) => {
          if (s.state !== 'connected') {
            downAt = Date.now();
            steps.push(`connection closed: ${s.problem?.summary ?? s.state}`);
            sub.dispose();
            resolve();
          }
        });
      });
  if (!wasUp) steps.push('the connection was already down');
  process.kill(plan.pid, plan.signal);
  steps.push(`sent ${plan.signal} to pid ${plan.pid} (${plan.why})`);
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref?.());
  if ((await Promise.race([down, timeout])) === 'timeout') {
    return {
      ok: false,
      summary: `sent ${plan.signal}, but the gateway did not go down within ${Math.round(timeoutMs / 1000)} s (it waits for active runs first)`,
      rerunSessions: [],
      steps,
    };
  }
  const back = await ctx.connection.waitForConnected(Math.max(1_000, timeoutMs - (Date.now() - sentAt)), ctx.signal);
  const downMs = downAt ? Date.now() - downAt : undefined;
  const fresh = back.uptimeMs !== undefined && back.uptimeMs < Date.now() - sentAt + 5_000;
  steps.push(
    `reconnected after ${downMs ?? '?'} ms: openclaw ${back.serverVersion}, uptime ${back.uptimeMs ?? '?'} ms`,
  );
  if (back.uptimeMs !== undefined && !fresh)
    return {
      ok: false,
      summary: "reconnected, but the gateway's uptime predates the signal: it did not restart",
      downMs,
      rerunSessions: [],
      steps,
    };
  return {
    ok: true,
    summary: `restarted by ${plan.signal}: a new gateway process after ${downMs !== undefined ? `${(downMs / 1000).toFixed(1)} s` : '?'} down (${((Date.now() - sentAt) / 1000).toFixed(1)} s from the signal)`,
    downMs,
    rerunSessions: [],
    steps,
  };
}

export interface SignalRestartChoice {
  recommend: 'stop-start' | 'signal';
  why: string;
}

/**
 * What to offer on a gateway without gateway.restart.*: SIGUSR1 restarts it in place, but only after the runs it
 * holds end (300 s deferral + 90 s drain: 6.5 minutes measured on 2026.3.24 with a hung run, after which the row
 * still says "running"); stop + start frees the lane at once. `liveRuns`: sessions with an evidently live run.
 */
export function p3RestartChoice(serverVersion: string | undefined, liveRuns: readonly string[]): SignalRestartChoice {
  if (!liveRuns.length)
    return {
      recommend: 'signal',
      why: `no run is evidently alive, so SIGUSR1 restarts openclaw ${serverVersion ?? ''} within seconds`,
    };
  return {
    recommend: 'stop-start',
    why: `${liveRuns.length} session(s) have a live run (${liveRuns.slice(0, 5).join(', ')}${liveRuns.length > 5 ? ', …' : ''}). openclaw ${serverVersion ?? ''} has no restart RPC, and SIGUSR1 waits for those runs before restarting: up to 300 s of deferral plus 90 s of drain (6.5 minutes measured on 2026.3.24 with a hung run). Stop + start frees the lane at once: Lanewatch stops the gateway (SIGTERM); start it again the way you run it (openclaw gateway run, or your service manager).`,
  };
}
