// A Fleet for the terminal: the same watchers, discovery and token order as the extension, with the VS Code
// pieces replaced — device keys in a 0600 file under the user's state directory instead of SecretStorage, and
// tokens from an environment variable the user names (never from argv, which other users can read in `ps`).
import os from 'node:os';
import path from 'node:path';
import { FileDeviceIdentityStore, type LogLevel } from '../gateway';
import { Fleet } from '../fleet/fleet';
import { validateGatewayUrl, type GatewayConfig } from '../config/gatewaySettings';
import { discoverDefaultGateways, gatewayFromConfig, readOpenClawConfig } from '../config/openclawConfig';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { tokenSecretKey } from '../config/tokenSources';

export class UsageError extends Error {}

/** One --gateway URL, with the --token-env that followed it. */
export interface GatewaySpec {
  url: string;
  tokenEnv?: string;
}

export interface CliFleetOptions {
  /** --gateway URL (repeatable), each with its own --token-env; with none, discovery as in the extension. */
  gateways: GatewaySpec[];
  /** --token-env NAME given before any --gateway and with none: the token for the one discovered gateway. */
  tokenEnv?: string;
  /** --config PATH: an openclaw.json to read the token (and, without --gateway, the port) from. */
  configPath?: string;
  /** --tls-fingerprint SHA256: trust this (self-signed) certificate for the wss:// --gateway URLs. */
  tlsFingerprint?: string;
  /** --allow-plaintext: consent to unencrypted ws:// to a host other than this machine. */
  allowPlaintext?: boolean;
  requestTimeoutMs: number;
  /**
   * --no-progress-seconds (serve and watch; default 60 there, as the extension's lanewatch.noProgressSeconds): a
   * running run silent this long reads "no progress". Off (0) for one-shot commands, whose silence would be measured
   * from their own connect.
   */
  noProgressMs?: number;
  verbose: boolean;
  env?: NodeJS.ProcessEnv;
  version: string;
}

/** A gateway to watch, and the environment variable its token comes from when the user named one. */
export interface CliGateway {
  config: GatewayConfig;
  tokenEnv?: string;
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LANEWATCH_STATE_DIR) return env.LANEWATCH_STATE_DIR;
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'lanewatch');
}

export async function gatewayConfigs(opts: CliFleetOptions): Promise<CliGateway[]> {
  const env = opts.env ?? process.env;
  // A --config that cannot be read is reported as such, never later as "token required" or a default port.
  const facts = opts.configPath
    ? await readOpenClawConfig(opts.configPath).catch((err: Error) => {
        throw new UsageError(`--config: ${err.message}`);
      })
    : undefined;
  let found: CliGateway[];
  if (opts.gateways.length) {
    found = opts.gateways.map(({ url, tokenEnv }, i) => {
      const problem = validateGatewayUrl(url);
      if (problem) throw new UsageError(`--gateway ${problem}`);
      const u = new URL(url);
      const tls = opts.tlsFingerprint && u.protocol === 'wss:' ? { tlsFingerprint: opts.tlsFingerprint } : {};
      return {
        config: {
          name: opts.gateways.length === 1 ? u.host : `${u.host}#${i + 1}`,
          url,
          configPath: opts.configPath,
          ...tls,
          source: 'settings' as const,
        },
        tokenEnv,
      };
    });
  } else if (facts && opts.configPath) {
    found = [{ config: gatewayFromConfig(facts, opts.configPath) }];
  } else {
    const broken: Error[] = [];
    found = (await discoverDefaultGateways(env, (err) => broken.push(err))).map((config) => ({ config }));
    if (broken.length)
      throw new ConfigError(
        `${broken.map((e) => e.message).join('; ')}. Fix it, or pass --gateway URL (or --config PATH)`,
      );
  }
  if (opts.tokenEnv && !opts.gateways.length) {
    if (found.length > 1)
      throw new UsageError(
        `--token-env ${opts.tokenEnv} names one token, but ${found.length} gateways were found (${found.map((g) => g.config.url).join(', ')}): pass --gateway URL --token-env NAME for each`,
      );
    for (const g of found) g.tokenEnv = opts.tokenEnv;
  }
  for (const g of found) {
    if (g.tokenEnv && !env[g.tokenEnv])
      throw new UsageError(
        `--token-env ${g.tokenEnv}: that environment variable is not set or empty (${g.tokenEnv} should hold the token for ${g.config.url})`,
      );
  }
  return found;
}

/** A config file that exists but cannot be used: a failure (exit 1), not a usage error. */
export class ConfigError extends Error {}

export function createCliFleet(
  opts: CliFleetOptions,
  gateways: readonly CliGateway[],
  log: (level: LogLevel, message: string) => void,
): Fleet {
  const env = opts.env ?? process.env;
  // A token named with --token-env belongs to its own gateway only: it is served where the extension serves the
  // token the user stored for that gateway, so it comes first (before the gateway's openclaw.json and
  // OPENCLAW_GATEWAY_TOKEN), and two gateways never share one by accident.
  const tokens = new Map<string, string>();
  for (const g of gateways) if (g.tokenEnv && env[g.tokenEnv]) tokens.set(tokenSecretKey(g.config), env[g.tokenEnv]!);
  return new Fleet({
    secrets: { get: async (key) => tokens.get(key), source: 'environment' },
    identityStore: new FileDeviceIdentityStore(path.join(stateDir(env), 'device-identities')),
    clientVersion: opts.version,
    requestTimeoutMs: opts.requestTimeoutMs,
    ...(opts.noProgressMs ? { noProgressMs: () => opts.noProgressMs! } : {}),
    env,
    plaintextConsent: () => opts.allowPlaintext === true,
    reading: CLI_READING,
    log: (level, message) => {
      if (opts.verbose || level === 'error') log(level, message);
    },
  });
}

/**
 * How the CLI reads rows: pages of 2,500 with four sessions.list requests in flight (the second asked for with the
 * first, before the first answer says how many rows there are), up to 50,000 rows (the extension reads 200 at a time,
 * one after the other, and keeps 5,000). The gateway answers one request at a time, and each costs it a fixed part
 * (it filters and sorts every session at every call) besides its rows, so pages in flight only help while this side
 * decodes an answer as the gateway builds the next. Every row of 10,000 on 2026.9.6 (bench/status-profile.mjs, three
 * runs of 5–7 on a shared 2-core machine, medians): 332–452 ms in pages of 2,500 four at a time, 362–545 ms in pages
 * of 2,000 two at a time, 392–581 ms in one page of 10,000 — the same within the noise, so the gateway's own time
 * bounds it; a loaded gateway took 4.4 s in pages of 200. bench/status.mjs measures the whole status.
 */
export const CLI_READING = { pageSize: 2_500, pageParallel: 4, maxSessions: 50_000 } as const;

/**
 * How long after a gateway's hello-ok the reads that complete its picture — the log tail (diagnostics: stalled,
 * stuck, lane waits), the lane table, the queued inputs of running sessions (protocol 3: their transcript tails) —
 * may take before the CLI answers without them (but see READ_GRACE_MS). They start at once, in parallel with the rows;
 * the rows themselves are always read in full (up to the deadline). What was not read by then is said in the report: the sessions'
 * facts and `notReadInTime` in --json.
 */
export const READ_BUDGET_MS = 150;
/**
 * Reads that could only start with the last page of rows (the queued inputs of a running session listed there) get
 * up to this long after the rows are complete, even when the budget ran out while the rows were read. Only those are
 * waited for then: the answer comes as soon as they are in.
 */
export const READ_GRACE_MS = 50;

export interface SettleOptions {
  /** See READ_BUDGET_MS (the default); Infinity waits for every read, up to the deadline. */
  readBudgetMs?: number;
  /** See READ_GRACE_MS (the default); counted from the end of the rows, whatever the budget. */
  graceMs?: number;
}

/**
 * Resolves once every gateway has either synced (agents and all sessions read) and read the rest of its picture
 * within the read budget, or failed in a way that will not fix itself soon; or when the deadline passes.
 * Event-driven, not polled. Reads still in flight at that point are recorded (GatewayWatcher.noteUnread) so that a
 * report made next says what it lacks.
 */
export function settled(fleet: Fleet, deadlineMs: number, opts: SettleOptions = {}): Promise<void> {
  const budget = opts.readBudgetMs ?? READ_BUDGET_MS;
  const grace = opts.graceMs ?? READ_GRACE_MS;
  const watchers = fleet.gateways();
  const reading = new Set<GatewayWatcher>(),
    read = new Set<GatewayWatcher>();
  const timers: NodeJS.Timeout[] = [];
  const done = (w: GatewayWatcher) => {
    const snap = w.snapshot();
    if (snap.state === 'connected') {
      if (!w.isSynced() && !w.lastSyncError()) return false;
      // The log, lanes and queued inputs were asked for at hello-ok and while the rows were read: wait for them
      // until the budget (counted from hello-ok) runs out.
      if (!reading.has(w)) {
        reading.add(w);
        const finish = () => {
          if (read.has(w)) return;
          read.add(w);
          w.noteUnread();
          check();
        };
        void w.whenRead().then(finish, finish);
        if (Number.isFinite(budget)) {
          // The rows are complete now: every read gets what is left of the budget. After that only the queue reads
          // (chat.history of running sessions, started as their page came in) are waited for, and no longer than the
          // grace: a log read still in flight then is said to be missing, not waited out.
          const left = (snap.connectedAt ?? Date.now()) + budget - Date.now();
          const atBudget = () => void w.whenQuiet().then(finish, finish);
          if (left > 0) {
            const t = setTimeout(atBudget, left);
            t.unref?.();
            timers.push(t);
          } else atBudget();
          const t = setTimeout(finish, Math.max(grace, left));
          t.unref?.();
          timers.push(t);
        }
      }
      return read.has(w);
    }
    // A failure that stops reconnecting (token, pairing, protocol) or a refused connection is the answer, once the
    // gateway's HTTP probes have named it (they take at most a few seconds).
    return (
      snap.problem !== undefined &&
      !snap.problem.diagnosing &&
      (snap.problem.reconnect === 'stop' || snap.problem.reconnect === 'slow' || snap.state === 'disconnected')
    );
  };
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => {
    resolveAll = r;
  });
  const check = () => {
    if (watchers.every(done)) resolveAll();
  };
  const sub = fleet.onDidChange(check);
  const timer = setTimeout(() => {
    for (const w of watchers) if (w.snapshot().state === 'connected') w.noteUnread();
    resolveAll();
  }, deadlineMs);
  check();
  return all.finally(() => {
    sub.dispose();
    clearTimeout(timer);
    for (const t of timers) clearTimeout(t);
  });
}
