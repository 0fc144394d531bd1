// `lanewatch recover|abort|reset|send|restart|watch`: the extension's verified recovery for terminals and
// scripts. Each action opens its own connection with the scopes it needs, reports what the read-back proves,
// and writes an audit line per call (stderr, or JSON lines with --json). Destructive actions ask on a terminal
// and refuse without --yes when there is no terminal to ask.
import { createInterface } from 'node:readline/promises';
import type { Fleet } from '../fleet/fleet';
import type { GatewayConfig } from '../config/gatewaySettings';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { AuditTrail } from '../actions/auditTrail';
import type { GatewayApi, GatewayConnection, LogLevel } from '../gateway';
import {
  evidenceFor,
  RECOVERY_SCOPES,
  RESTART_SCOPES,
  withOperatorConnection,
  type OperatorConnectionOptions,
} from '../actions/operatorConnection';
import { resolveSessionKey, type ResolvedSessionKey } from '../lanes/sessionKey';
import {
  abortAndClearQueue,
  abortRun,
  recoverSession,
  resetSession,
  type RecoveryReport,
  type RecoveryStep,
} from '../actions/recovery';
import {
  describePreflight,
  findLockFor,
  findRestartNowTarget,
  p3RestartChoice,
  planLocalRestart,
  restartExpectation,
  restartGateway,
  restartPreflight,
  signalRestart,
  stopLocalGateway,
} from '../actions/restart';
import { testSend, testSendNotice } from '../actions/testSend';
import {
  Watchdog,
  watchdogAuditEntry,
  watchdogRetryText,
  type WatchdogEvent,
  type WatchdogRules,
} from '../watchdog/watchdog';
import { settled, UsageError } from './cliFleet';
import { cliText, stripOutcomePrefix } from './cliAdvice';

/** Exit codes, stable for scripts. */
export const EXIT = { ok: 0, failed: 1, usage: 2, ineffective: 3, refused: 4 } as const;

export interface Io {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
  ask?: (question: string) => Promise<string>;
}

export interface ActionContext {
  fleet: Fleet;
  config: GatewayConfig;
  json: boolean;
  yes: boolean;
  io: Io;
  audit: AuditTrail;
  /** --connect-timeout-seconds: how long a gateway that accepts the connection may take to answer connect. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** --reply-timeout-seconds: send's reply wait; recover/abort/reset's settle wait after each call. */
  replyTimeoutMs?: number;
  log?: (level: LogLevel, message: string) => void;
}

/** How long recover/abort/reset wait for a session to settle after a call, without --reply-timeout-seconds. */
export const DEFAULT_SETTLE_MS = 20_000;
/** How long send waits for the reply, without --reply-timeout-seconds. */
export const DEFAULT_REPLY_MS = 120_000;

function connectionOptions(
  ctx: Pick<ActionContext, 'connectTimeoutMs' | 'requestTimeoutMs' | 'log'>,
  reconnect = false,
): OperatorConnectionOptions {
  return { connectTimeoutMs: ctx.connectTimeoutMs, requestTimeoutMs: ctx.requestTimeoutMs, log: ctx.log, reconnect };
}

export function auditTrailFor(io: Io, json: boolean): AuditTrail {
  return new AuditTrail((entry, line) => io.err(json ? `${JSON.stringify({ audit: entry })}\n` : `${line}\n`));
}

async function confirm(ctx: ActionContext, question: string): Promise<boolean> {
  if (ctx.yes) return true;
  if (!ctx.io.isTTY) throw new UsageError(`${question} — refusing without --yes (no terminal to ask)`);
  const ask =
    ctx.io.ask ??
    (async (q: string) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(q);
      } finally {
        rl.close();
      }
    });
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `)).trim());
}

const stepLine = (s: RecoveryStep, key?: string) =>
  `${s.call} ${JSON.stringify(s.params)} → ${s.outcome}${s.error ? ` (${s.error})` : ''}: ${cliText(stripOutcomePrefix(s.message, s.outcome), { sessionKey: key })} [${s.durationMs} ms]`;

function stepExit(outcome: RecoveryStep['outcome']): number {
  return outcome === 'freed' || outcome === 'reset'
    ? EXIT.ok
    : outcome === 'no-change'
      ? EXIT.ineffective
      : outcome === 'refused' || outcome === 'cancelled'
        ? EXIT.refused
        : EXIT.failed;
}

/**
 * The gateway's own key for `key` ("idle" → "agent:main:idle"), said on stderr when it differs. Read on `api`, or on
 * the watcher's connection when it is up (so the question asked names the real key before a write connection opens).
 */
async function resolveKey(ctx: ActionContext, key: string, api?: GatewayApi): Promise<ResolvedSessionKey> {
  const watcher = ctx.fleet.gateway(ctx.config.name);
  const via = api ?? (watcher?.snapshot().state === 'connected' ? watcher.api : undefined);
  if (!via) throw new Error('no connection to resolve the session key on');
  const r = await resolveSessionKey(via, key);
  if (r.changed)
    ctx.io.err(
      `${key} → ${r.key}${r.agentFromGateway === false ? ' (the gateway named no default agent: "main" assumed)' : ''}\n`,
    );
  return r;
}

function unknownKey(ctx: ActionContext, r: ResolvedSessionKey, call: string): number {
  const text = `${r.key}${r.changed ? ` (from "${r.input}")` : ''} does not exist on ${ctx.config.name}: nothing done. See the keys with lanewatch status`;
  ctx.audit.record({
    gateway: ctx.config.name,
    session: r.key,
    call,
    outcome: 'refused',
    detail: 'unknown session key',
  });
  ctx.io.err(`lanewatch: ${text}\n`);
  return EXIT.refused;
}

/**
 * Opens the action's connection and runs `act` on the resolved key, after asking. The key is resolved (and the
 * question asked) before connecting when the watcher is connected, else on the action's own connection.
 */
async function onSession<T>(
  ctx: ActionContext,
  key: string,
  call: string,
  question: (k: string) => string,
  act: (api: GatewayApi, connection: GatewayConnection, k: string) => Promise<T>,
): Promise<{ value: T } | { exit: number }> {
  const gate = async (r: ResolvedSessionKey): Promise<number | undefined> => {
    if (!r.exists) return unknownKey(ctx, r, call);
    if (!(await confirm(ctx, question(r.key)))) {
      ctx.audit.record({ gateway: ctx.config.name, session: r.key, call, outcome: 'cancelled by user' });
      return EXIT.refused;
    }
    return undefined;
  };
  const watcher = ctx.fleet.gateway(ctx.config.name);
  const early = watcher?.snapshot().state === 'connected' ? await resolveKey(ctx, key) : undefined;
  if (early) {
    const stop = await gate(early);
    if (stop !== undefined) return { exit: stop };
  }
  return withOperatorConnection(
    ctx.fleet,
    ctx.config,
    RECOVERY_SCOPES,
    connectionOptions(ctx),
    async (api, connection) => {
      let r = early;
      if (!r) {
        r = await resolveKey(ctx, key, api);
        const stop = await gate(r);
        if (stop !== undefined) return { exit: stop };
      }
      return { value: await act(api, connection, r.key) };
    },
  );
}

export async function runStep(
  ctx: ActionContext,
  kind: 'abort' | 'abort-clear-queue' | 'reset',
  key: string,
): Promise<number> {
  const what = {
    abort: ['Abort the active run of', abortRun],
    'abort-clear-queue': ['Abort and drop every queued input of', abortAndClearQueue],
    reset: ['Reset (/new, a new transcript generation)', resetSession],
  } as const;
  const [question, run] = what[kind];
  const settleTimeoutMs = ctx.replyTimeoutMs ?? DEFAULT_SETTLE_MS;
  const done = await onSession(
    ctx,
    key,
    kind,
    (k) => `${question} ${k} on ${ctx.config.name}?`,
    (api, connection, k) => run({ api, connection, settleTimeoutMs, evidence: evidenceFor(ctx.fleet, ctx.config) }, k),
  );
  if ('exit' in done) return done.exit;
  const step = done.value;
  ctx.audit.record({
    gateway: ctx.config.name,
    session: key,
    call: step.call,
    outcome: step.outcome,
    detail: step.message,
  });
  ctx.io.out(ctx.json ? `${JSON.stringify(step, null, 2)}\n` : `${stepLine(step, key)}\n`);
  return stepExit(step.outcome);
}

export function recoverReportText(report: RecoveryReport): string {
  const k = report.sessionKey;
  return [
    `${k}: ${report.verdict} — ${cliText(report.summary, { sessionKey: k })}`,
    ...report.steps.map((s, i) => `  ${i + 1}. ${stepLine(s, k)}`),
  ].join('\n');
}

const recoverExit = (v: RecoveryReport['verdict']) =>
  v === 'freed' || v === 'nothing-to-do'
    ? EXIT.ok
    : v === 'ineffective' || v === 'needs-restart' || v === 'unverified'
      ? EXIT.ineffective
      : v === 'refused' || v === 'cancelled'
        ? EXIT.refused
        : EXIT.failed;

export async function runRecover(ctx: ActionContext, key: string): Promise<number> {
  const settleTimeoutMs = ctx.replyTimeoutMs ?? DEFAULT_SETTLE_MS;
  const done = await onSession(
    ctx,
    key,
    'recover',
    (k) =>
      `Recover ${k} on ${ctx.config.name} (abort → abort + clear queue → reset, stopping at the first step that frees it)?`,
    (api, connection, k) =>
      recoverSession({ api, connection, settleTimeoutMs, evidence: evidenceFor(ctx.fleet, ctx.config) }, k, (s) =>
        ctx.audit.record({ gateway: ctx.config.name, session: k, call: s.call, outcome: s.outcome, detail: s.message }),
      ),
  );
  if ('exit' in done) return done.exit;
  const report = done.value;
  ctx.audit.record({
    gateway: ctx.config.name,
    session: report.sessionKey,
    call: 'recover',
    outcome: report.verdict,
    detail: report.summary,
  });
  ctx.io.out(ctx.json ? `${JSON.stringify(report, null, 2)}\n` : `${recoverReportText(report)}\n`);
  return recoverExit(report.verdict);
}

export async function runSend(ctx: ActionContext, key: string, message: string | undefined): Promise<number> {
  // The reply comes under the gateway's key (agent:main:idle for "idle"): wait for that one. Resolved on a connection
  // with send's own scopes (the same device as the send), which also fails fast when nothing listens.
  const r = await withOperatorConnection(
    ctx.fleet,
    ctx.config,
    ['operator.read', 'operator.write'],
    connectionOptions(ctx),
    (api) => resolveKey(ctx, key, api),
  );
  if (!r.exists)
    ctx.io.err(`${r.key} does not exist yet on ${ctx.config.name}: the gateway creates it with this message\n`);
  if (!ctx.json) ctx.io.err(`note: ${testSendNotice(r.key)}\n`);
  const creds = await ctx.fleet.credentialsFor(ctx.config);
  const report = await testSend({
    url: ctx.config.url,
    token: creds.token,
    identityStore: ctx.fleet.identityStore,
    identityKey: `${ctx.config.name}|${ctx.config.url}|operator.read,operator.write`,
    sessionKey: r.key,
    message,
    replyTimeoutMs: ctx.replyTimeoutMs ?? DEFAULT_REPLY_MS,
    connectTimeoutMs: ctx.connectTimeoutMs,
    clientVersion: ctx.fleet.clientVersion,
    security: ctx.fleet.connectionSecurity(ctx.config),
  });
  ctx.audit.record({
    gateway: ctx.config.name,
    session: r.key,
    call: 'chat.send',
    outcome: report.ok ? 'reply received' : (report.failure ?? 'failed'),
    detail: `idempotencyKey ${report.idempotencyKey}`,
  });
  ctx.io.out(
    ctx.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${report.ok ? 'ok' : report.failure}: ${cliText(report.summary, { sessionKey: r.key })}\n${report.phases.map((p) => `  ${p.ok ? '✓' : '✗'} ${p.name}${p.ms !== undefined ? ` ${p.ms} ms` : ''}${p.detail ? ` (${p.detail})` : ''}`).join('\n')}\n`,
  );
  if (report.ok) return EXIT.ok;
  return report.failure === 'no-reply' || report.failure === 'lane-held'
    ? EXIT.ineffective
    : report.failure === 'auth'
      ? EXIT.refused
      : EXIT.failed;
}

/** Gateways without gateway.restart.* (2026.3.x/2026.4.x): SIGUSR1 to the pid in the lock file, or stop (SIGTERM). */
async function runSignalRestart(ctx: ActionContext, stop: boolean): Promise<number> {
  const watcher = ctx.fleet.gateway(ctx.config.name);
  const hello = watcher?.snapshot().hello;
  const port = Number(new URL(ctx.config.url).port) || undefined;
  const lock = await findLockFor({
    port,
    configPath: hello?.configPath ?? ctx.config.configPath,
    stateDir: hello?.stateDir,
  });
  const plan = await planLocalRestart(lock, hello?.protocol);
  if (plan.kind !== 'signal') {
    ctx.audit.record({
      gateway: ctx.config.name,
      call: 'restart',
      outcome: 'not possible from here',
      detail: plan.why,
    });
    ctx.io.err(
      `lanewatch: cannot restart ${ctx.config.name} from here: ${plan.why}. openclaw ${hello?.serverVersion ?? ''} has no restart RPC; run one of: ${plan.commands.join('  or  ')}\n`,
    );
    return EXIT.failed;
  }
  const live = (watcher?.sessionRows() ?? []).map((r) => r.key).filter((k) => watcher!.runEvidence(k).live === true);
  const choice = p3RestartChoice(hello?.serverVersion, live);
  if (!ctx.json) ctx.io.err(`no restart RPC on openclaw ${hello?.serverVersion ?? '?'}: ${cliText(choice.why)}\n`);
  if (stop) {
    if (
      !(await confirm(
        ctx,
        `Stop gateway ${ctx.config.name} (SIGTERM to pid ${plan.pid}); you start it again yourself?`,
      ))
    ) {
      ctx.audit.record({ gateway: ctx.config.name, call: `kill -TERM ${plan.pid}`, outcome: 'cancelled by user' });
      return EXIT.refused;
    }
    const report = await stopLocalGateway(plan.pid);
    ctx.audit.record({
      gateway: ctx.config.name,
      call: `kill -TERM ${plan.pid}`,
      outcome: report.ok ? 'stopped' : 'failed',
      detail: report.summary,
    });
    ctx.io.out(ctx.json ? `${JSON.stringify({ ...report, choice }, null, 2)}\n` : `${cliText(report.summary)}\n`);
    return report.ok ? EXIT.ok : EXIT.failed;
  }
  if (choice.recommend === 'stop-start' && !ctx.json) ctx.io.err('(use --stop to stop it now instead)\n');
  if (
    !(await confirm(
      ctx,
      `Send SIGUSR1 to ${ctx.config.name} (pid ${plan.pid})${live.length ? ', which waits for the live runs first' : ''}?`,
    ))
  ) {
    ctx.audit.record({ gateway: ctx.config.name, call: `kill -USR1 ${plan.pid}`, outcome: 'cancelled by user' });
    return EXIT.refused;
  }
  const report = await withOperatorConnection(
    ctx.fleet,
    ctx.config,
    RESTART_SCOPES,
    connectionOptions(ctx, true),
    (api, connection) => signalRestart({ api, connection }, plan),
  );
  ctx.audit.record({
    gateway: ctx.config.name,
    call: `kill -USR1 ${plan.pid}`,
    outcome: report.ok ? 'restarted' : 'failed',
    detail: report.summary,
  });
  ctx.io.out(
    ctx.json
      ? `${JSON.stringify({ ...report, choice }, null, 2)}\n`
      : `${cliText(report.summary)}\n${report.steps.map((s) => `  - ${s}`).join('\n')}\n`,
  );
  return report.ok ? EXIT.ok : EXIT.failed;
}

export async function runRestart(ctx: ActionContext, now: boolean, stop = false): Promise<number> {
  const hello = ctx.fleet.gateway(ctx.config.name)?.snapshot().hello;
  if (stop || (hello && !hello.methods.has('gateway.restart.request'))) return runSignalRestart(ctx, stop);
  const report = await withOperatorConnection(
    ctx.fleet,
    ctx.config,
    RESTART_SCOPES,
    connectionOptions(ctx, true),
    async (api, connection) => {
      const pre = await restartPreflight({ api, connection });
      ctx.audit.record({
        gateway: ctx.config.name,
        call: 'gateway.restart.preflight',
        outcome: pre.safe ? 'safe' : 'blocked',
        detail: describePreflight(pre),
      });
      // "Now" interrupts at once when the gateway's lock is readable here (targeted restart, no drain).
      const hello = connection.helloSummary;
      const target = now
        ? await findRestartNowTarget({
            port: Number(new URL(ctx.config.url).port) || undefined,
            configPath: hello?.configPath ?? ctx.config.configPath,
            stateDir: hello?.stateDir,
          })
        : undefined;
      const expect = restartExpectation(pre, now ? 'now' : 'when-safe', !!target);
      if (!ctx.json) ctx.io.err(`preflight: ${describePreflight(pre)}\nexpect: ${expect}\n`);
      if (
        !(await confirm(
          ctx,
          `Restart gateway ${ctx.config.name}${now ? ' now, interrupting active work' : ' when safe (it may wait up to 5 minutes for active work; --now interrupts it)'}?`,
        ))
      )
        return undefined;
      return restartGateway({ api, connection }, { mode: now ? 'now' : 'when-safe', target, preflight: pre });
    },
  );
  if (!report) {
    ctx.audit.record({ gateway: ctx.config.name, call: 'gateway.restart.request', outcome: 'cancelled by user' });
    return EXIT.refused;
  }
  ctx.audit.record({
    gateway: ctx.config.name,
    call: 'gateway.restart.request',
    outcome: report.ok ? 'restarted' : 'failed',
    detail: report.summary,
  });
  ctx.io.out(
    ctx.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${cliText(report.summary)}\n${report.steps.map((s) => `  - ${s}`).join('\n')}\n`,
  );
  return report.ok ? EXIT.ok : EXIT.failed;
}

function watchEventText(e: WatchdogEvent): string {
  const at = `${e.gateway} ${e.key}`;
  switch (e.kind) {
    case 'armed':
      return `armed    ${at}: ${e.state}; acting at ${new Date(e.actAt).toISOString()} if it stays so`;
    case 'disarmed':
      return `cleared  ${at}: no longer ${e.state}`;
    case 'skipped':
      return `skipped  ${at}: ${e.reason}`;
    case 'acting':
      return `acting   ${at}: ${e.state} for ${Math.round(e.sinceMs / 1000)} s — running the recovery ladder`;
    case 'acted':
      return `acted    ${at}: ${recoverReportText(e.report).replace(/\n/g, '\n         ')}`;
    case 'failed':
      return `failed   ${at}: ${e.error} (${watchdogRetryText(e)})`;
  }
}

/** The foreground watchdog: runs until SIGINT/SIGTERM (or `until` resolves), printing every decision. */
export async function runWatch(
  fleet: Fleet,
  rules: WatchdogRules,
  io: Io,
  json: boolean,
  until: Promise<void>,
  opts: Pick<ActionContext, 'connectTimeoutMs' | 'requestTimeoutMs' | 'replyTimeoutMs' | 'log'> & {
    waitMs?: number;
  } = {},
): Promise<number> {
  const audit = auditTrailFor(io, json);
  await settled(fleet, opts.waitMs ?? 15_000);
  const down = fleet.gateways().filter((g) => g.snapshot().state !== 'connected');
  for (const g of down)
    io.err(
      `lanewatch watch: ${g.name} (${g.config.url}) is not connected yet: ${g.snapshot().problem?.summary ?? g.snapshot().state}; watching it anyway\n`,
    );
  io.err(
    `lanewatch watch: ${fleet
      .gateways()
      .map((g) => g.name)
      .join(
        ', ',
      )}; acting on ${rules.states.join('/')} after ${rules.thresholdMs / 1000} s, at most ${rules.maxActionsPerHour}/hour per session, cool-down ${rules.cooldownMs / 1000} s${rules.exclude.length ? `, never on ${rules.exclude.join(', ')}` : ''}\n`,
  );
  const recover = (w: GatewayWatcher, key: string) =>
    withOperatorConnection(fleet, w.config, RECOVERY_SCOPES, connectionOptions(opts), (api, connection) =>
      recoverSession(
        { api, connection, settleTimeoutMs: opts.replyTimeoutMs ?? DEFAULT_SETTLE_MS, evidence: w.evidenceSource() },
        key,
        (s) => audit.record({ gateway: w.name, session: key, call: s.call, outcome: s.outcome, detail: s.message }),
      ),
    );
  const dog = new Watchdog(fleet, {
    rules,
    recover,
    onEvent: (e) => {
      io.out(
        json
          ? `${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`
          : `${new Date().toISOString()} ${watchEventText(e)}\n`,
      );
      const entry = watchdogAuditEntry(e);
      if (entry) audit.record(entry);
    },
  });
  try {
    await until;
  } finally {
    dog.dispose();
  }
  return EXIT.ok;
}
