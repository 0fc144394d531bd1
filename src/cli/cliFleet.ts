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
    env,
    plaintextConsent: () => opts.allowPlaintext === true,
    log: (level, message) => {
      if (opts.verbose || level === 'error') log(level, message);
    },
  });
}

/**
 * Resolves once every gateway has either synced (agents and all sessions read, one log/lane read done) or
 * failed in a way that will not fix itself soon; or when the deadline passes. Event-driven, not polled.
 */
export function settled(fleet: Fleet, deadlineMs: number): Promise<void> {
  const watchers = fleet.gateways();
  const polling = new Set<GatewayWatcher>(),
    polled = new Set<GatewayWatcher>();
  const done = (w: GatewayWatcher) => {
    const snap = w.snapshot();
    if (snap.state === 'connected') {
      if (!w.isSynced() && !w.lastSyncError()) return false;
      // The diagnostics (stalled, lane waits) only come from the log: one complete read before answering.
      // Transcript tails (protocol 3 evidence) and pending inputs are read after the sync: wait for those too.
      if (!polling.has(w)) {
        polling.add(w);
        void w
          .pollOnce()
          .then(() => w.whenQuiet())
          .then(() => {
            polled.add(w);
            check();
          });
      }
      return polled.has(w);
    }
    // A failure that stops reconnecting (token, pairing, protocol) or a refused connection is the answer.
    return (
      snap.problem !== undefined &&
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
  const timer = setTimeout(resolveAll, deadlineMs);
  check();
  return all.finally(() => {
    sub.dispose();
    clearTimeout(timer);
  });
}
