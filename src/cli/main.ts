// `lanewatch` on a terminal: the extension's fleet model without VS Code, for servers and scripts.
//   lanewatch status [--gateway URL]... [--token-env NAME] [--config openclaw.json] [--json] [--facts] [--wait-ms N] [--verbose]
// Exit codes: 0 every gateway answered; 1 at least one gateway is unreachable or refused us (stderr says why);
// 2 usage error.
import { createCliFleet, gatewayConfigs, settled, UsageError, type CliFleetOptions } from './cliFleet';
import { reportFleet, renderFleetText } from '../views/fleetReport';

declare const LANEWATCH_VERSION: string;
const version = typeof LANEWATCH_VERSION === 'string' ? LANEWATCH_VERSION : '0.0.0-dev';

const USAGE = `usage: lanewatch status [options]

Shows every OpenClaw gateway's agents and sessions with their lane status (idle, queued, running,
long-running, stalled, stuck, stale, unknown) and the facts behind each status.

options:
  --gateway URL      a gateway to read (ws:// or wss://; repeatable). Without it: OPENCLAW_GATEWAY_URL,
                     then ~/.openclaw/openclaw.json (OPENCLAW_CONFIG_PATH, OPENCLAW_STATE_DIR), then the lock
                     files of running gateways — the same discovery as the VS Code extension.
  --token-env NAME   read the gateway token from environment variable NAME (default: the gateway's
                     openclaw.json, then OPENCLAW_GATEWAY_TOKEN). Tokens are never taken on the command line.
  --config PATH      an openclaw.json to read the port and token from
  --json             print JSON: gateways → agents → sessions, each with key, laneStatus and facts
  --facts            in the text tree, list the facts behind each status
  --wait-ms N        how long to wait for gateways to answer (default 15000)
  --verbose          log connection details to stderr
`;

interface Parsed { command: string; json: boolean; facts: boolean; waitMs: number; fleet: Omit<CliFleetOptions, 'version'> }

export function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') throw new UsageError('');
  if (command !== 'status') throw new UsageError(`unknown command "${command}"`);
  const out: Parsed = { command, json: false, facts: false, waitMs: 15_000, fleet: { gateways: [], requestTimeoutMs: 60_000, verbose: false } };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => { const v = rest[++i]; if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`); return v; };
    switch (a) {
      case '--gateway': out.fleet.gateways.push(value()); break;
      case '--token-env': out.fleet.tokenEnv = value(); break;
      case '--config': out.fleet.configPath = value(); break;
      case '--json': out.json = true; break;
      case '--facts': out.facts = true; break;
      case '--verbose': out.fleet.verbose = true; break;
      case '--wait-ms': {
        const n = Number(value());
        if (!Number.isFinite(n) || n < 100) throw new UsageError('--wait-ms needs a number of milliseconds ≥ 100');
        out.waitMs = n; break;
      }
      case '--token': throw new UsageError('--token is not accepted: other users can read command lines. Put the token in an environment variable and pass --token-env NAME');
      default: throw new UsageError(`unknown option "${a}"`);
    }
  }
  return out;
}

export async function main(argv: readonly string[], io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) }): Promise<number> {
  let parsed: Parsed;
  try { parsed = parseArgs(argv); } catch (err) {
    if (err instanceof UsageError) { if (err.message) io.err(`lanewatch: ${err.message}\n`); io.err(USAGE); return 2; }
    throw err;
  }
  const options = { ...parsed.fleet, version };
  let fleet;
  try {
    const configs = await gatewayConfigs(options);
    fleet = createCliFleet(options, (level, m) => io.err(`[${level}] ${m}\n`));
    fleet.setGateways(configs, []);
  } catch (err) {
    if (err instanceof UsageError) { io.err(`lanewatch: ${err.message}\n`); return 2; }
    throw err;
  }
  try {
    await settled(fleet, parsed.waitMs);
    const report = reportFleet(fleet);
    io.out(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderFleetText(report, { facts: parsed.facts })}\n`);
    const broken = report.gateways.filter((g) => !g.connected);
    for (const g of broken) io.err(`lanewatch: ${g.name} (${g.url}): ${g.problem ? `${g.problem.summary}. ${g.problem.advice}` : `no answer within ${parsed.waitMs} ms (${g.state})`}\n`);
    if (!report.gateways.length) { io.err('lanewatch: no gateway to read: pass --gateway URL or start a local gateway\n'); return 1; }
    return broken.length ? 1 : 0;
  } finally {
    fleet.dispose();
  }
}
