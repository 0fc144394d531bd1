// `lanewatch recover|abort|reset|send|restart|watch`: the extension's actions (src/actions/: the same plans, the same
// decisions, connections from the same factory) rendered for terminals and scripts. This file only asks (on a
// terminal, or takes --yes; without a terminal and without --yes a destructive action is refused), prints the report
// (text with the next step keyed by its outcome kind, or the model's report as JSON), writes the audit lines (stderr,
// or JSON lines with --json) and turns the outcome kind into the exit code.
import { createInterface } from 'node:readline/promises';
import type { Fleet } from '../fleet/fleet';
import type { GatewayConfig } from '../config/gatewaySettings';
import { AuditTrail } from '../actions/auditTrail';
import type { OperatorConnections } from '../actions/operatorConnection';
import {
  auditEntryOf,
  OUTCOME_CLASS,
  recoverReport,
  type ActionReport,
  type OutcomeKind,
} from '../actions/actionReport';
import {
  DEFAULT_SETTLE_MS,
  planSessionAction,
  runSessionAction,
  watchdogRecovery,
  type ActionHost,
  type Question,
  type SessionActionName,
} from '../actions/sessionActions';
import {
  declinedRestart,
  notPossibleReport,
  planRestart,
  runRestart,
  type RestartChoice,
} from '../actions/restartAction';
import { describePreflight, type RestartMode } from '../actions/restart';
import {
  Watchdog,
  watchdogAuditEntry,
  watchdogRetryText,
  type WatchdogEvent,
  type WatchdogRules,
} from '../watchdog/watchdog';
import { runRecover } from '../actions/familyRecovery';
import { settled, UsageError } from './cliFleet';
import { cliNextStep, cliProblemText, type AdviceContext } from './cliAdvice';

/** Exit codes, stable for scripts. */
export const EXIT = { ok: 0, failed: 1, usage: 2, ineffective: 3, refused: 4 } as const;

/** The exit code of an outcome kind: by its class (ok, ineffective, refused, failed). */
export function exitCode(kind: OutcomeKind): number {
  return EXIT[OUTCOME_CLASS[kind]];
}

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
  /** The one factory of action connections (timeouts, identity, transport rules, --verbose logging). */
  conns: OperatorConnections;
  /** --reply-timeout-seconds: send's reply wait; recover/abort/reset's settle wait after each call. */
  replyTimeoutMs?: number;
  /** For advice about a connection problem (the URL, the token's variable). */
  advice: AdviceContext;
  /**
   * recover: `auto` (default) recovers first the subagent a waiting parent waits on; `parent` (--parent-itself) runs
   * the ladder on the session named, as for any other session.
   */
  recoverTarget?: 'auto' | 'parent';
}

/** How long send waits for the reply, without --reply-timeout-seconds. */
export const DEFAULT_REPLY_MS = 120_000;
export { DEFAULT_SETTLE_MS };

export function auditTrailFor(io: Io, json: boolean): AuditTrail {
  return new AuditTrail((entry, line) => io.err(json ? `${JSON.stringify({ audit: entry })}\n` : `${line}\n`));
}

async function ask(ctx: Pick<ActionContext, 'yes' | 'io'>, q: Question): Promise<boolean> {
  if (ctx.yes) return true;
  if (!ctx.io.isTTY) throw new UsageError(`${q.message} — refusing without --yes (no terminal to ask)`);
  if (q.detail) ctx.io.err(`${q.detail}\n`);
  const prompt =
    ctx.io.ask ??
    (async (text: string) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(text);
      } finally {
        rl.close();
      }
    });
  return /^y(es)?$/i.test((await prompt(`${q.message} [y/N] `)).trim());
}

/** A terminal has no progress UI and no cancel button: the work runs as is. */
export function terminalHost(ctx: ActionContext): ActionHost {
  return {
    confirm: (q) => ask(ctx, q),
    progress: (_title, work) => work(undefined, () => undefined),
    note: (text) => ctx.io.err(`${text}\n`),
  };
}

const STEP_ACTIONS = new Set(['abort', 'abort-clear-queue', 'reset']);

/** A report for a terminal: what happened, the lines behind it, and the next step keyed by its outcome kind. */
export function reportText(r: ActionReport, advice: AdviceContext): string {
  const head =
    r.action === 'recover'
      ? `${r.sessionKey}: ${r.outcome} — ${r.summary}`
      : STEP_ACTIONS.has(r.action)
        ? (r.details[0] ?? `${r.outcome}: ${r.summary}`)
        : r.action === 'send' || r.action === 'test-send'
          ? `${r.kind === 'reply-received' ? 'ok' : r.outcome}: ${r.summary}`
          : r.summary;
  const lines = STEP_ACTIONS.has(r.action) ? [] : r.details.map((d) => `  ${d}`);
  const next = cliNextStep(r, advice);
  return [head, ...lines, ...(next ? [`next: ${next}`] : [])].join('\n');
}

/** Records the outcome, prints it (or the model's report as JSON), and says which exit code it is. */
function finish(ctx: ActionContext, r: ActionReport, json: unknown = r.result): number {
  ctx.audit.record(auditEntryOf(r));
  if (r.kind === 'declined') return exitCode(r.kind);
  if (r.kind === 'unknown-session' || r.kind === 'not-possible-here') {
    // Nothing was done: said on stderr, nothing on stdout.
    const problem = r.problem ? `${cliProblemText(r.problem, ctx.advice)} ` : '';
    const next = cliNextStep(r, ctx.advice);
    ctx.io.err(`lanewatch: ${problem}${r.summary}${next ? ` (${next})` : ''}\n`);
    return exitCode(r.kind);
  }
  ctx.io.out(ctx.json ? `${JSON.stringify(json, null, 2)}\n` : `${reportText(r, ctx.advice)}\n`);
  return exitCode(r.kind);
}

/** recover, abort, abort --clear-queue, reset, send. */
export async function runSessionCommand(
  ctx: ActionContext,
  action: SessionActionName,
  key: string,
  message?: string,
): Promise<number> {
  const env = {
    conns: ctx.conns,
    config: ctx.config,
    watcher: ctx.fleet.gateway(ctx.config.name),
    audit: ctx.audit,
    settleTimeoutMs: ctx.replyTimeoutMs ?? DEFAULT_SETTLE_MS,
    replyTimeoutMs: ctx.replyTimeoutMs ?? DEFAULT_REPLY_MS,
  };
  // recover: a parent waiting on a subagent that holds its lane has that subagent recovered first (asked y/N on a
  // terminal, or taken with --yes), said in the report; --parent-itself acts on the parent alone.
  const report =
    action === 'recover'
      ? await runRecover(env, key, terminalHost(ctx), { target: ctx.recoverTarget ?? 'auto' })
      : await runSessionAction(env, planSessionAction(action, ctx.config.name, key), terminalHost(ctx), { message });
  return finish(ctx, report);
}

/** restart [--now | --stop]: the gateway's restart RPC, or on gateways without one a signal (or a stop) to its pid. */
export async function runRestartCommand(ctx: ActionContext, now: boolean, stop = false): Promise<number> {
  const env = {
    conns: ctx.conns,
    config: ctx.config,
    watcher: ctx.fleet.gateway(ctx.config.name),
    audit: ctx.audit,
  };
  const name = ctx.config.name;
  const plan = await planRestart(env, { stop });
  if (plan.kind === 'not-possible') return finish(ctx, notPossibleReport(plan));
  if (plan.kind === 'rpc') {
    const mode: RestartMode = now ? 'now' : 'when-safe';
    const choice: RestartChoice = { mode };
    if (!ctx.json) ctx.io.err(`preflight: ${describePreflight(plan.preflight)}\nexpect: ${plan.expect[mode]}\n`);
    const agreed = await ask(ctx, {
      message: `Restart gateway ${name}${now ? ' now, interrupting active work' : ' when safe (it may wait up to 5 minutes for active work; --now interrupts it)'}?`,
      detail: '',
      confirm: 'Restart',
    });
    if (!agreed) return finish(ctx, declinedRestart(plan, choice));
    return finish(ctx, await runRestart(env, plan, choice, terminalHost(ctx)));
  }
  const { pid, signal } = plan.local;
  if (!ctx.json && plan.hasRpc === false)
    ctx.io.err(`no restart RPC on openclaw ${plan.serverVersion ?? '?'}: ${plan.choice.why}\n`);
  const choice: RestartChoice = { local: stop ? 'stop' : 'signal' };
  if (!stop && plan.choice.recommend === 'stop-start' && !ctx.json) ctx.io.err('(use --stop to stop it now instead)\n');
  const agreed = await ask(ctx, {
    message: stop
      ? `Stop gateway ${name} (SIGTERM to pid ${pid}); you start it again yourself?`
      : `Send ${signal} to ${name} (pid ${pid})${plan.live.length ? ', which waits for the live runs first' : ''}?`,
    detail: '',
    confirm: stop ? 'Stop' : 'Restart',
  });
  if (!agreed) return finish(ctx, declinedRestart(plan, choice));
  const report = await runRestart(env, plan, choice, terminalHost(ctx));
  return finish(ctx, report, { ...(report.result as object), choice: plan.choice });
}

function watchEventText(e: WatchdogEvent, advice: AdviceContext): string {
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
      return `acted    ${at}: ${reportText(recoverReport(e.gateway, e.report), advice).replace(/\n/g, '\n         ')}`;
    case 'failed':
      return `failed   ${at}: ${e.error} (${watchdogRetryText(e)})`;
  }
}

/** Which families of sessions the watchdog covers, as the startup line says it. */
export function coverText(rules: Pick<WatchdogRules, 'subagents' | 'cron'>): string {
  const word = (on: boolean | undefined) => (on === false ? 'not covered' : 'covered');
  return `subagent sessions ${word(rules.subagents)}, cron sessions ${word(rules.cron)}`;
}

/** The foreground watchdog: runs until SIGINT/SIGTERM (or `until` resolves), printing every decision. */
export async function runWatch(
  fleet: Fleet,
  rules: WatchdogRules,
  io: Io,
  json: boolean,
  until: Promise<void>,
  opts: { conns: OperatorConnections; replyTimeoutMs?: number; waitMs?: number },
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
      )}; acting on ${rules.states.join('/')} after ${rules.thresholdMs / 1000} s, at most ${rules.maxActionsPerHour}/hour per session, cool-down ${rules.cooldownMs / 1000} s${rules.exclude.length ? `, never on ${rules.exclude.join(', ')}` : ''}; ${coverText(rules)}\n`,
  );
  const dog = new Watchdog(fleet, {
    rules,
    recover: watchdogRecovery(opts.conns, audit, opts.replyTimeoutMs ?? DEFAULT_SETTLE_MS),
    onEvent: (e) => {
      const advice = { url: fleet.gateway(e.gateway)?.config.url ?? '?', sessionKey: e.key };
      io.out(
        json
          ? `${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`
          : `${new Date().toISOString()} ${watchEventText(e, advice)}\n`,
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
