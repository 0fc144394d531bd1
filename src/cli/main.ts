// `lanewatch` on a terminal: the extension's fleet model and verified recovery without VS Code, for servers,
// cron jobs and scripts. See USAGE for commands and exit codes.
import { createCliFleet, gatewayConfigs, settled, UsageError, type CliFleetOptions } from './cliFleet';
import { normalizeFingerprint } from '../gateway/transportSecurity';
import { auditTrailFor, EXIT, runRecover, runRestart, runSend, runStep, runWatch, type Io } from './actionCommands';
import { reportFleet, renderFleetText } from '../views/fleetReport';
import { validateWatchdogRules, type WatchdogRules } from '../model/watchdog';

declare const LANEWATCH_VERSION: string;
const version = typeof LANEWATCH_VERSION === 'string' ? LANEWATCH_VERSION : '0.0.0-dev';

const USAGE = `usage: lanewatch <command> [options]

commands:
  status                 every gateway's agents and sessions with their lane status and the facts behind it
  recover <sessionKey>   abort → abort + clear queue → reset (/new), stopping at the first step that frees it
  abort <sessionKey>     abort the active run (--clear-queue: and drop queued inputs)
  reset <sessionKey>     sessions.reset (reason "new") with admin scope; refuses keys that do not exist
  send <sessionKey>      send --message TEXT and wait for the reply, timing every phase
  restart                restart the gateway (preflight first; --now skips waiting for active work)
  watch                  foreground watchdog: recover sessions that stay wedged past a threshold

gateway selection (all commands):
  --gateway URL          ws:// or wss:// (repeatable for status and watch). Without it: OPENCLAW_GATEWAY_URL, then
                         ~/.openclaw/openclaw.json (OPENCLAW_CONFIG_PATH, OPENCLAW_STATE_DIR), then running
                         gateways' lock files — the VS Code extension's discovery.
  --token-env NAME       read the token from environment variable NAME (default: the gateway's openclaw.json,
                         then OPENCLAW_GATEWAY_TOKEN). Tokens are never taken on the command line.
  --config PATH          an openclaw.json to read the port and token from
  --tls-fingerprint FP   wss:// --gateway only: trust the certificate with this SHA-256 fingerprint (self-signed)
  --allow-plaintext      allow unencrypted ws:// to a host other than this machine (refused without it: the token
                         and transcripts would cross the network in clear)
  --json                 machine-readable output (status: one JSON document; watch: JSON lines; audit lines on
                         stderr as JSON too)
  --wait-ms N            how long status/watch wait for gateways to answer first (default 15000)
  --verbose              connection details on stderr

status:   --facts                 list the facts behind each status in the text tree
actions:  --yes                   do not ask (required when there is no terminal to ask on)
          --clear-queue           (abort) also drop queued inputs (chat.abort)
          --message TEXT          (send) the message; default: a probe text
          --reply-timeout-seconds N  (send) wait this long for the reply (default 120)
          --now                   (restart) interrupt active work instead of waiting for it (2026.9.x)
          --stop                  (restart, 2026.3.x/2026.4.x) stop the gateway (SIGTERM) instead of SIGUSR1, which
                                  waits for hung runs (6.5 min on 2026.3.24); start it again yourself
watch:    --states LIST           comma-separated: stalled,stuck,stale (default), long-running, running, queued
          --threshold-seconds N   how long a session must stay so before acting (default 600)
          --max-per-hour N        actions per session per hour (default 2)
          --cooldown-seconds N    quiet time after each action (default 300)
          --exclude KEY           never act on this session key (or pattern with *); repeatable

exit codes: 0 ok (freed, nothing to do, reply received, restarted; status: every gateway answered)
            1 failed (a gateway unreachable or an error)   2 usage error
            3 ineffective (the call was made, the session did not change / no reply in time)
            4 refused (missing scope, unknown session key, cancelled)
`;

const COMMANDS = ['status', 'recover', 'abort', 'reset', 'send', 'restart', 'watch'] as const;
type Command = (typeof COMMANDS)[number];

export interface Parsed {
  command: Command;
  sessionKey?: string;
  json: boolean; facts: boolean; yes: boolean; clearQueue: boolean; now: boolean; stop: boolean;
  message?: string; replyTimeoutMs: number; waitMs: number;
  watch: Partial<Record<keyof WatchdogRules, unknown>>;
  fleet: Omit<CliFleetOptions, 'version'>;
}

export function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') throw new UsageError('');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command "${command}"`);
  const out: Parsed = {
    command: command as Command, json: false, facts: false, yes: false, clearQueue: false, now: false, stop: false, replyTimeoutMs: 120_000, waitMs: 15_000, watch: {},
    fleet: { gateways: [], requestTimeoutMs: 60_000, verbose: false },
  };
  const positional: string[] = [];
  const exclude: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => { const v = rest[++i]; if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`); return v; };
    const number = (min: number) => { const n = Number(value()); if (!Number.isFinite(n) || n < min) throw new UsageError(`${a} needs a number ≥ ${min}`); return n; };
    switch (a) {
      case '--gateway': out.fleet.gateways.push(value()); break;
      case '--token-env': out.fleet.tokenEnv = value(); break;
      case '--config': out.fleet.configPath = value(); break;
      case '--tls-fingerprint': { const v = value(); const fp = normalizeFingerprint(v); if (!fp) throw new UsageError(`--tls-fingerprint "${v}" is not a SHA-256 fingerprint (64 hex digits, colons optional)`); out.fleet.tlsFingerprint = fp; break; }
      case '--allow-plaintext': out.fleet.allowPlaintext = true; break;
      case '--json': out.json = true; break;
      case '--facts': out.facts = true; break;
      case '--verbose': out.fleet.verbose = true; break;
      case '--yes': case '-y': out.yes = true; break;
      case '--clear-queue': out.clearQueue = true; break;
      case '--now': out.now = true; break;
      case '--stop': out.stop = true; break;
      case '--message': out.message = value(); break;
      case '--wait-ms': out.waitMs = number(100); break;
      case '--reply-timeout-seconds': out.replyTimeoutMs = number(1) * 1000; break;
      case '--states': out.watch.states = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--threshold-seconds': out.watch.thresholdMs = number(1) * 1000; break;
      case '--max-per-hour': out.watch.maxActionsPerHour = number(0); break;
      case '--cooldown-seconds': out.watch.cooldownMs = number(0) * 1000; break;
      case '--exclude': exclude.push(value()); break;
      case '--token': throw new UsageError('--token is not accepted: other users can read command lines. Put the token in an environment variable and pass --token-env NAME');
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option "${a}"`);
        positional.push(a);
    }
  }
  if (exclude.length) out.watch.exclude = exclude;
  const needsKey = ['recover', 'abort', 'reset', 'send'].includes(out.command);
  if (needsKey && positional.length !== 1) throw new UsageError(`${out.command} needs exactly one session key, e.g. lanewatch ${out.command} agent:main:main`);
  if (!needsKey && positional.length) throw new UsageError(`${out.command} takes no positional argument (got "${positional[0]}")`);
  if (needsKey || out.command === 'restart') { if (out.fleet.gateways.length > 1) throw new UsageError(`${out.command} acts on one gateway: pass --gateway once`); }
  out.sessionKey = positional[0];
  return out;
}

/** The command-line form of the fixes the extension offers as buttons. */
function cliFix(problem: { kind: string; certificateFingerprint?: string }): string {
  if (problem.kind === 'plaintext-remote') return ' From the command line: --allow-plaintext.';
  if (problem.kind.startsWith('tls-') && problem.certificateFingerprint) return ` From the command line, after comparing: --tls-fingerprint ${problem.certificateFingerprint}`;
  return '';
}

const defaultIo: Io = { out: (s) => { process.stdout.write(s); }, err: (s) => { process.stderr.write(s); }, isTTY: !!process.stdin.isTTY && !!process.stderr.isTTY };

function stopSignal(): Promise<void> {
  return new Promise((resolve) => { process.once('SIGINT', () => resolve()); process.once('SIGTERM', () => resolve()); });
}

export async function main(argv: readonly string[], io: Io = defaultIo, until: () => Promise<void> = stopSignal): Promise<number> {
  let parsed: Parsed;
  let rules: WatchdogRules | undefined;
  try {
    parsed = parseArgs(argv);
    if (parsed.command === 'watch') {
      const v = validateWatchdogRules(parsed.watch);
      if (v.problems.length) throw new UsageError(`watch: ${v.problems.join('; ')}`);
      rules = v.rules;
    }
  } catch (err) {
    if (err instanceof UsageError) { if (err.message) io.err(`lanewatch: ${err.message}\n`); io.err(USAGE); return EXIT.usage; }
    throw err;
  }
  const options = { ...parsed.fleet, version };
  let fleet;
  try {
    const configs = await gatewayConfigs(options);
    if (!configs.length) { io.err('lanewatch: no gateway to read: pass --gateway URL or start a local gateway\n'); return EXIT.failed; }
    if (parsed.command !== 'status' && parsed.command !== 'watch' && configs.length > 1) {
      throw new UsageError(`several gateways found (${configs.map((c) => `${c.name} ${c.url}`).join(', ')}): pass --gateway URL`);
    }
    fleet = createCliFleet(options, (level, m) => io.err(`[${level}] ${m}\n`));
    // Every command watches its gateway: recovery on protocol 3 needs the live-run evidence (events, logs, transcript).
    fleet.setGateways(configs, []);
    if (parsed.command !== 'status' && parsed.command !== 'watch' && parsed.command !== 'send') await settled(fleet, parsed.waitMs);
    const ctx = { fleet, config: configs[0], json: parsed.json, yes: parsed.yes, io, audit: auditTrailFor(io, parsed.json) };
    switch (parsed.command) {
      case 'status': return await status(fleet, parsed, io);
      case 'watch': return await runWatch(fleet, rules!, io, parsed.json, until());
      case 'recover': return await runRecover(ctx, parsed.sessionKey!);
      case 'abort': return await runStep(ctx, parsed.clearQueue ? 'abort-clear-queue' : 'abort', parsed.sessionKey!);
      case 'reset': return await runStep(ctx, 'reset', parsed.sessionKey!);
      case 'send': return await runSend(ctx, parsed.sessionKey!, parsed.message, parsed.replyTimeoutMs);
      case 'restart': return await runRestart(ctx, parsed.now, parsed.stop);
    }
    return EXIT.usage;
  } catch (err) {
    if (err instanceof UsageError) { io.err(`lanewatch: ${err.message}\n`); return EXIT.usage; }
    const e = err as Error & { problem?: { summary: string; advice: string; kind: string } };
    // A connection or request failure: say what happened and what to do, not a stack trace.
    io.err(`lanewatch: ${e.problem ? `${e.problem.summary}. ${e.problem.advice}${cliFix(e.problem)}` : e.message}\n`);
    return e.problem?.kind === 'missing-scope' || e.problem?.kind === 'forbidden' ? EXIT.refused : EXIT.failed;
  } finally {
    fleet?.dispose();
  }
}

async function status(fleet: NonNullable<ReturnType<typeof createCliFleet>>, parsed: Parsed, io: Io): Promise<number> {
  await settled(fleet, parsed.waitMs);
  const report = reportFleet(fleet);
  io.out(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderFleetText(report, { facts: parsed.facts })}\n`);
  const broken = report.gateways.filter((g) => !g.connected);
  for (const g of broken) io.err(`lanewatch: ${g.name} (${g.url}): ${g.problem ? `${g.problem.summary}. ${g.problem.advice}${cliFix(g.problem)}` : `no answer within ${parsed.waitMs} ms (${g.state})`}\n`);
  return broken.length ? EXIT.failed : EXIT.ok;
}
