// `lanewatch` on a terminal: the extension's fleet model and verified recovery without VS Code, for servers,
// cron jobs and scripts. See usage.ts for commands and exit codes.
import { ConfigError, createCliFleet, gatewayConfigs, settled, UsageError, type CliFleetOptions } from './cliFleet';
import { normalizeFingerprint } from '../gateway/transportSecurity';
import { GatewayRequestError } from '../gateway/requestError';
import {
  auditTrailFor,
  EXIT,
  runRestartCommand,
  runSessionCommand,
  runWatch,
  type ActionContext,
  type Io,
} from './actionCommands';
import { OperatorConnections } from '../actions/operatorConnection';
import { profileDurationProblem, type ProfileKind } from '../actions/gatewayProfile';
import { PROFILE_KINDS, runProfileCommand } from './profileCommand';
import { runDiagnosticsExport } from './diagnosticsCommand';
import { runSchedulerCommand, schedulerActionOf } from './schedulerCommand';
import type { SchedulerActionName } from '../actions/schedulerActions';
import { defaultServeArgs, isServeOption, runServe, serveOption, type ServeArgs } from './serveCommand';
import { describeFailure } from '../actions/actionReport';
import { cliFix, cliProblemText, type AdviceContext } from './cliAdvice';
import { COMMANDS, usageText, type Command } from './usage';
import type { Fleet } from '../fleet/fleet';
import { reportFleet, renderFleetText, type FleetReport } from '../report/fleetReport';
import { validateWatchdogRules, type WatchdogRules } from '../watchdog/watchdog';
import { DEFAULT_NO_PROGRESS_MS } from '../lanes/laneStatus';

declare const LANEWATCH_VERSION: string;
const version = typeof LANEWATCH_VERSION === 'string' ? LANEWATCH_VERSION : '0.0.0-dev';

export interface Parsed {
  /** undefined only with `help` and no command named. */
  command: Command;
  /** --help / -h / `help`: print the usage (of `command`, if one was named) on stdout and exit 0. */
  help?: boolean;
  sessionKey?: string;
  json: boolean;
  facts: boolean;
  yes: boolean;
  clearQueue: boolean;
  now: boolean;
  stop: boolean;
  /** recover --parent-itself: a parent waiting on a subagent is recovered itself, not the subagent first. */
  parentItself: boolean;
  message?: string;
  /** profile: cpu or heap, its --duration (seconds) and --out (a file or a folder). */
  profileKind?: ProfileKind;
  durationSeconds?: number;
  out?: string;
  /** --reply-timeout-seconds; undefined: each command's default (send: 120 s for the reply; others: 20 s to settle). */
  replyTimeoutMs?: number;
  /** --connect-timeout-seconds (default 30 s): how long a gateway that accepts the connection may take to answer. */
  connectTimeoutMs: number;
  waitMs: number;
  watch: Partial<Record<keyof WatchdogRules, unknown>>;
  fleet: Omit<CliFleetOptions, 'version'>;
  /** cron run|disable|enable <jobId>, tasks cancel|retry <taskId>: the action and the job or task id. */
  schedulerAction?: SchedulerActionName;
  schedulerTarget?: string;
  /** serve: --metrics-listen, --watchdog, --notify-webhook… (serveCommand.ts). */
  serve?: ServeArgs;
}

const TOKEN_REFUSED =
  '--token is not accepted: other users can read command lines. Put the token in an environment variable and pass --token-env NAME';
/** Options that take no value: each turns one switch on. */
const FLAGS: ReadonlyMap<string, (out: Parsed) => void> = new Map([
  ['--allow-plaintext', (o) => (o.fleet.allowPlaintext = true)],
  ['--json', (o) => (o.json = true)],
  ['--facts', (o) => (o.facts = true)],
  ['--verbose', (o) => (o.fleet.verbose = true)],
  ['--yes', (o) => (o.yes = true)],
  ['-y', (o) => (o.yes = true)],
  ['--clear-queue', (o) => (o.clearQueue = true)],
  ['--now', (o) => (o.now = true)],
  ['--stop', (o) => (o.stop = true)],
  ['--parent-itself', (o) => (o.parentItself = true)],
]);
/** Options that take one number: the least it may be, and where it goes (seconds become milliseconds there). */
const NUMBERS: ReadonlyMap<string, { min: number; set: (out: Parsed, n: number) => void }> = new Map([
  ['--duration', { min: 1, set: (o, n) => (o.durationSeconds = n) }],
  ['--wait-ms', { min: 100, set: (o, n) => (o.waitMs = n) }],
  ['--reply-timeout-seconds', { min: 1, set: (o, n) => (o.replyTimeoutMs = n * 1000) }],
  ['--connect-timeout-seconds', { min: 1, set: (o, n) => (o.connectTimeoutMs = n * 1000) }],
  // Every request's answer, on the watcher's connection and the actions' (the extension's requestTimeoutSeconds).
  ['--request-timeout-seconds', { min: 1, set: (o, n) => (o.fleet.requestTimeoutMs = n * 1000) }],
  ['--threshold-seconds', { min: 1, set: (o, n) => (o.watch.thresholdMs = n * 1000) }],
  ['--max-per-hour', { min: 0, set: (o, n) => (o.watch.maxActionsPerHour = n) }],
  ['--cooldown-seconds', { min: 0, set: (o, n) => (o.watch.cooldownMs = n * 1000) }],
]);
/** An option's name without its `=value`, which may be a secret: the only part of an option an error repeats. */
const optionName = (a: string) => (a.startsWith('--') && a.includes('=') ? a.slice(0, a.indexOf('=')) : a);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isHelp = (a: string) => a === '--help' || a === '-h';

function emptyParsed(command: Command): Parsed {
  return {
    command,
    json: false,
    facts: false,
    yes: false,
    clearQueue: false,
    now: false,
    stop: false,
    parentItself: false,
    waitMs: 15_000,
    connectTimeoutMs: 30_000,
    watch: {},
    fleet: { gateways: [], requestTimeoutMs: 60_000, verbose: false },
  };
}

export function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (!command) throw new UsageError('');
  const known = (c: string | undefined): c is Command => (COMMANDS as readonly string[]).includes(c ?? '');
  if (isHelp(command) || command === 'help')
    return { ...emptyParsed(known(rest[0]) ? rest[0] : (undefined as unknown as Command)), help: true };
  if (command.startsWith('-')) {
    if (optionName(command) === '--token') throw new UsageError(TOKEN_REFUSED);
    throw new UsageError(
      `the command comes first: lanewatch <command> [options] (got the option ${optionName(command)} first)`,
    );
  }
  if (!known(command)) throw new UsageError(`unknown command "${command.slice(0, 40)}"`);
  const out = emptyParsed(command);
  if (rest.some(isHelp)) return { ...out, help: true };
  const positional: string[] = [];
  const exclude: string[] = [];
  let leadingTokenEnv: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const name = optionName(arg);
    const inline = name !== arg ? arg.slice(name.length + 1) : undefined;
    if (name === '--token') throw new UsageError(TOKEN_REFUSED);
    if (inline !== undefined && FLAGS.has(name)) throw new UsageError(`${name} takes no value`);
    const value = () => {
      if (inline !== undefined) {
        if (!inline) throw new UsageError(`${name} needs a value`);
        return inline;
      }
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
      return v;
    };
    const number = (min: number) => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < min) throw new UsageError(`${name} needs a number ≥ ${min}`);
      return n;
    };
    if (out.command === 'serve' && isServeOption(name)) {
      serveOption((out.serve ??= defaultServeArgs()), name, inline, value);
      continue;
    }
    const flag = FLAGS.get(name);
    if (flag) {
      flag(out);
      continue;
    }
    const numeric = NUMBERS.get(name);
    if (numeric) {
      numeric.set(out, number(numeric.min));
      continue;
    }
    switch (name) {
      case '--gateway':
        out.fleet.gateways.push({ url: value() });
        break;
      case '--token-env': {
        const v = value();
        // Not repeated back when it is no variable name: it may be the token itself, pasted by mistake.
        if (!ENV_NAME.test(v))
          throw new UsageError(
            '--token-env needs the NAME of an environment variable (letters, digits and _), not the token itself',
          );
        const last = out.fleet.gateways.at(-1);
        if (!last) {
          if (leadingTokenEnv)
            throw new UsageError(
              `--token-env given twice before any --gateway (${leadingTokenEnv}, ${v}): put each --token-env right after its --gateway URL`,
            );
          leadingTokenEnv = v;
        } else {
          if (last.tokenEnv)
            throw new UsageError(
              `two --token-env for --gateway ${last.url} (${last.tokenEnv}, ${v}): give each gateway one --token-env, right after its --gateway URL`,
            );
          last.tokenEnv = v;
        }
        break;
      }
      case '--config':
        out.fleet.configPath = value();
        break;
      case '--tls-fingerprint': {
        const v = value();
        const fp = normalizeFingerprint(v);
        if (!fp) throw new UsageError('--tls-fingerprint needs a SHA-256 fingerprint (64 hex digits, colons optional)');
        out.fleet.tlsFingerprint = fp;
        break;
      }
      case '--message':
        out.message = value();
        break;
      case '--out':
        out.out = value();
        break;
      case '--no-progress-seconds':
        if (out.command !== 'serve' && out.command !== 'watch')
          throw new UsageError('--no-progress-seconds applies to serve and watch (long-running commands)');
        out.fleet.noProgressMs = number(0) * 1000;
        break;
      case '--states':
        out.watch.states = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--subagents':
      case '--cron': {
        const v = value();
        if (v !== 'on' && v !== 'off') throw new UsageError(`${name} takes on or off`);
        out.watch[name === '--subagents' ? 'subagents' : 'cron'] = v === 'on';
        break;
      }
      case '--exclude':
        exclude.push(value());
        break;
      default:
        // The name only: the value of an unknown --opt=value may be a secret.
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${name}`);
        positional.push(arg);
    }
  }
  if (leadingTokenEnv) {
    const gws = out.fleet.gateways;
    if (gws.length > 1)
      throw new UsageError(
        `--token-env ${leadingTokenEnv} comes before any --gateway, but there are ${gws.length} gateways: put each --token-env right after its --gateway URL`,
      );
    if (gws.length === 1 && gws[0].tokenEnv)
      throw new UsageError(
        `two --token-env for --gateway ${gws[0].url} (${leadingTokenEnv} before it, ${gws[0].tokenEnv} after it): give it one`,
      );
    if (gws.length === 1) gws[0].tokenEnv = leadingTokenEnv;
    else out.fleet.tokenEnv = leadingTokenEnv;
  }
  if (exclude.length) out.watch.exclude = exclude;
  if (out.parentItself && out.command !== 'recover') throw new UsageError('--parent-itself applies to recover');
  // Long-running commands see silence as the extension does; 0 turns it off.
  if ((out.command === 'serve' || out.command === 'watch') && out.fleet.noProgressMs === undefined)
    out.fleet.noProgressMs = DEFAULT_NO_PROGRESS_MS;
  const needsKey = ['recover', 'abort', 'reset', 'send'].includes(out.command);
  if (out.command === 'profile') {
    const kind = positional.shift();
    if (!kind || !(PROFILE_KINDS as readonly string[]).includes(kind) || positional.length)
      throw new UsageError('profile needs what to capture: lanewatch profile cpu|heap [--duration S] [--out FILE]');
    out.profileKind = kind as ProfileKind;
    const bad = profileDurationProblem(out.profileKind, out.durationSeconds);
    if (bad) throw new UsageError(`profile ${kind} --duration: ${bad}`);
    if (out.fleet.gateways.length > 1) throw new UsageError('profile acts on one gateway: pass --gateway once');
  }
  if (out.command === 'diagnostics') {
    if (positional.shift() !== 'export' || positional.length)
      throw new UsageError('diagnostics needs what to do: lanewatch diagnostics export [--out DIR]');
    if (out.fleet.gateways.length > 1)
      throw new UsageError('diagnostics export acts on one gateway: pass --gateway once');
  }
  if (out.command === 'cron' || out.command === 'tasks') {
    const verbs = out.command === 'cron' ? 'run|disable|enable <jobId>' : 'cancel|retry <taskId>';
    const verb = positional.shift();
    out.schedulerAction = schedulerActionOf(out.command, verb);
    if (!out.schedulerAction || positional.length !== 1)
      throw new UsageError(`${out.command} needs what to do and to which: lanewatch ${out.command} ${verbs}`);
    out.schedulerTarget = positional.shift();
    if (out.fleet.gateways.length > 1) throw new UsageError(`${out.command} acts on one gateway: pass --gateway once`);
  }
  if (needsKey && positional.length !== 1)
    throw new UsageError(`${out.command} needs exactly one session key, e.g. lanewatch ${out.command} agent:main:main`);
  if (!needsKey && positional.length)
    throw new UsageError(`${out.command} takes no positional argument (got ${positional.length})`);
  if (needsKey || out.command === 'restart') {
    if (out.fleet.gateways.length > 1) throw new UsageError(`${out.command} acts on one gateway: pass --gateway once`);
  }
  out.sessionKey = positional[0];
  return out;
}

const defaultIo: Io = {
  out: (s) => {
    process.stdout.write(s);
  },
  err: (s) => {
    process.stderr.write(s);
  },
  isTTY: !!process.stdin.isTTY && !!process.stderr.isTTY,
};

function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** A failed connect or call, for a terminal: what happened and which option or command helps. */
export function cliErrorText(err: unknown, ctx: AdviceContext): string {
  if (err instanceof GatewayRequestError) {
    const failure = describeFailure(err);
    if (failure.connectTimeout) {
      return `the gateway at ${ctx.url} accepted the connection but did not finish connecting: ${err.problem.summary}. It may be starting or overloaded (2026.4.x loads plugins for ~20 s): try again, or allow longer with --connect-timeout-seconds N.`;
    }
    if (failure.requestTimeout) {
      return `the gateway at ${ctx.url} did not answer ${failure.requestTimeout.method}: ${err.problem.summary}. Try again, or allow longer with --request-timeout-seconds N.`;
    }
    return cliProblemText(err.problem, ctx);
  }
  return (err as Error).message;
}

export async function main(
  argv: readonly string[],
  io: Io = defaultIo,
  until: () => Promise<void> = stopSignal,
): Promise<number> {
  let parsed: Parsed;
  let rules: WatchdogRules | undefined;
  try {
    parsed = parseArgs(argv);
    if (parsed.help) {
      io.out(usageText(parsed.command));
      return EXIT.ok;
    }
    if (parsed.command === 'watch') {
      const v = validateWatchdogRules(parsed.watch);
      if (v.problems.length) throw new UsageError(`watch: ${v.problems.join('; ')}`);
      rules = v.rules;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) io.err(`lanewatch: ${err.message}\n`);
      io.err(usageText());
      return EXIT.usage;
    }
    throw err;
  }
  const options = { ...parsed.fleet, version };
  let fleet: Fleet | undefined;
  let advice = (): AdviceContext => ({ url: '?' });
  try {
    const gateways = await gatewayConfigs(options);
    if (!gateways.length) {
      io.err('lanewatch: no gateway to read: pass --gateway URL (with --token-env NAME) or start a local gateway\n');
      return EXIT.failed;
    }
    if (
      parsed.command !== 'status' &&
      parsed.command !== 'watch' &&
      parsed.command !== 'serve' &&
      gateways.length > 1
    ) {
      throw new UsageError(
        `several gateways found (${gateways.map((g) => `${g.config.name} ${g.config.url}`).join(', ')}): pass --gateway URL`,
      );
    }
    const f = (fleet = createCliFleet(options, gateways, (level, m) => io.err(`[${level}] ${m}\n`)));
    const adviceFor = (name: string): AdviceContext => {
      const g = gateways.find((x) => x.config.name === name)!;
      return {
        url: g.config.url,
        tokenEnv: g.tokenEnv,
        tokenWarning: f.tokenSource(name)?.warning,
        sessionKey: parsed.sessionKey,
      };
    };
    // Every command watches its gateway: recovery on protocol 3 needs the live-run evidence (events, logs, transcript).
    fleet.setGateways(
      gateways.map((g) => g.config),
      [],
    );
    const first = gateways[0];
    advice = () => adviceFor(first.config.name);
    if (parsed.command === 'status') return await status(fleet, parsed, io, adviceFor);
    // The one factory of action connections: every setting, and its log on stderr with --verbose.
    const conns = new OperatorConnections(fleet, {
      requestTimeoutMs: () => options.requestTimeoutMs,
      connectTimeoutMs: () => parsed.connectTimeoutMs,
      log: (level, m) => {
        if (options.verbose) io.err(`[${level}] [command] ${m}\n`);
      },
    });
    if (parsed.command === 'watch')
      return await runWatch(fleet, rules!, io, parsed.json, until(), {
        conns,
        replyTimeoutMs: parsed.replyTimeoutMs,
        waitMs: parsed.waitMs,
      });
    if (parsed.command === 'serve')
      return await runServe({
        fleet,
        gateways,
        conns,
        io,
        version,
        json: parsed.json,
        replyTimeoutMs: parsed.replyTimeoutMs,
        args: parsed.serve ?? defaultServeArgs(),
        watch: parsed.watch,
        until: until(),
      });
    // send, profile, cron and tasks open their own connection and need nothing the watcher reads first.
    if (!['send', 'profile', 'cron', 'tasks'].includes(parsed.command)) await settled(fleet, parsed.waitMs);
    const ctx: ActionContext = {
      fleet,
      config: first.config,
      json: parsed.json,
      yes: parsed.yes,
      io,
      audit: auditTrailFor(io, parsed.json),
      conns,
      replyTimeoutMs: parsed.replyTimeoutMs,
      advice: advice(),
      recoverTarget: parsed.parentItself ? 'parent' : 'auto',
    };
    switch (parsed.command) {
      case 'recover':
        return await runSessionCommand(ctx, 'recover', parsed.sessionKey!);
      case 'abort':
        return await runSessionCommand(ctx, parsed.clearQueue ? 'abort-clear-queue' : 'abort', parsed.sessionKey!);
      case 'reset':
        return await runSessionCommand(ctx, 'reset', parsed.sessionKey!);
      case 'send':
        return await runSessionCommand(ctx, 'send', parsed.sessionKey!, parsed.message);
      case 'restart':
        return await runRestartCommand(ctx, parsed.now, parsed.stop);
      case 'profile':
        return await runProfileCommand(ctx, parsed.profileKind!, parsed.durationSeconds, parsed.out, until());
      case 'diagnostics':
        return await runDiagnosticsExport(ctx, parsed.out, until());
      case 'cron':
      case 'tasks':
        return await runSchedulerCommand(ctx, parsed.schedulerAction!, parsed.schedulerTarget!);
    }
    return EXIT.usage;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`lanewatch: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.err(`lanewatch: ${err.message}\n`);
      return EXIT.failed;
    }
    if (!(err instanceof GatewayRequestError)) throw err;
    // A connection or request failure: say what happened and what to do, not a stack trace.
    io.err(`lanewatch: ${cliErrorText(err, advice())}\n`);
    return describeFailure(err).kind === 'refused' ? EXIT.refused : EXIT.failed;
  } finally {
    fleet?.dispose();
  }
}

/** The report with the extension's advice and fix buttons replaced by the terminal's. */
export function cliReport(report: FleetReport, fleet: Fleet, adviceFor: (name: string) => AdviceContext): FleetReport {
  return {
    ...report,
    gateways: report.gateways.map((g) => {
      if (!g.problem) return g;
      const raw = fleet.gateway(g.name)?.snapshot().problem;
      return {
        ...g,
        problem: {
          ...g.problem,
          advice: cliProblemText(raw ?? g.problem, adviceFor(g.name)),
          fix: raw ? cliFix(raw, g.url) : g.problem.fix,
        },
      };
    }),
  };
}

/** How long `status` waits for the cron jobs and the task ledger after the sessions (they are read side by side). */
const SCHEDULER_BUDGET_MS = 5_000;

/**
 * Reads the cron jobs and the task ledger of every connected gateway that has them, side by side, for at most
 * `budgetMs`; returns the gateways whose read had not answered by then (their report then says so).
 */
async function readSchedulers(fleet: Fleet, budgetMs: number): Promise<Set<string>> {
  const offering = fleet
    .gateways()
    .filter((w) => w.connection.isConnected() && w.snapshot().hello?.methods.has('cron.list'));
  const pending = new Set(offering.map((w) => w.name));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(offering.map((w) => w.scheduler.read(true).finally(() => pending.delete(w.name)))),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs))),
  ]);
  clearTimeout(timer);
  return pending;
}

async function status(
  fleet: Fleet,
  parsed: Parsed,
  io: Io,
  adviceFor: (name: string) => AdviceContext,
): Promise<number> {
  await settled(fleet, parsed.waitMs);
  const schedulerUnread = await readSchedulers(fleet, Math.min(parsed.waitMs, SCHEDULER_BUDGET_MS));
  const report = cliReport(reportFleet(fleet), fleet, adviceFor);
  for (const g of report.gateways)
    if (schedulerUnread.has(g.name))
      (g.notReadInTime ??= []).push({
        what: 'cron.list',
        detail: `the cron jobs and tasks did not answer within ${Math.min(parsed.waitMs, SCHEDULER_BUDGET_MS)} ms`,
      });
  io.out(
    parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderFleetText(report, { facts: parsed.facts })}\n`,
  );
  const broken = report.gateways.filter((g) => !g.connected);
  for (const g of broken)
    io.err(
      `lanewatch: ${g.name}: ${g.problem ? g.problem.advice : `no answer from ${g.url} within ${parsed.waitMs} ms (${g.state})`}\n`,
    );
  return broken.length ? EXIT.failed : EXIT.ok;
}
