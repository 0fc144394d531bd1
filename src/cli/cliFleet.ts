// A Fleet for the terminal: the same watchers, discovery and token order as the extension, with the VS Code
// pieces replaced — device keys in a 0600 file under the user's state directory instead of SecretStorage, and
// tokens from an environment variable the user names (never from argv, which other users can read in `ps`).
import os from 'node:os';
import path from 'node:path';
import { FileDeviceIdentityStore, type LogLevel } from '../gateway';
import { Fleet } from '../model/fleet';
import { validateGatewayUrl, type GatewayConfig } from '../model/gatewaySettings';
import { discoverDefaultGateways } from '../model/openclawConfig';
import type { GatewayWatcher } from '../model/gatewayWatcher';

export class UsageError extends Error {}

export interface CliFleetOptions {
  /** --gateway URL (repeatable); with none, discovery as in the extension. */
  gateways: string[];
  /** --token-env NAME: the environment variable holding the token for the --gateway URLs. */
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

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LANEWATCH_STATE_DIR) return env.LANEWATCH_STATE_DIR;
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'lanewatch');
}

export async function gatewayConfigs(opts: CliFleetOptions): Promise<GatewayConfig[]> {
  const env = opts.env ?? process.env;
  if (opts.gateways.length) {
    return opts.gateways.map((url, i) => {
      const problem = validateGatewayUrl(url);
      if (problem) throw new UsageError(`--gateway ${problem}`);
      const u = new URL(url);
      const tls = opts.tlsFingerprint && u.protocol === 'wss:' ? { tlsFingerprint: opts.tlsFingerprint } : {};
      return { name: opts.gateways.length === 1 ? u.host : `${u.host}#${i + 1}`, url, configPath: opts.configPath, ...tls, source: 'settings' as const };
    });
  }
  if (opts.configPath) {
    const { readOpenClawConfig, gatewayFromConfig } = await import('../model/openclawConfig');
    const facts = await readOpenClawConfig(opts.configPath).catch((err: Error) => { throw new UsageError(`--config: ${err.message}`); });
    return [gatewayFromConfig(facts, opts.configPath)];
  }
  return discoverDefaultGateways(env);
}

export function createCliFleet(opts: CliFleetOptions, log: (level: LogLevel, message: string) => void): Fleet {
  const env = { ...(opts.env ?? process.env) };
  if (opts.tokenEnv) {
    const token = env[opts.tokenEnv];
    if (!token) throw new UsageError(`--token-env ${opts.tokenEnv}: that environment variable is not set or empty`);
    // The named variable plays the role of OPENCLAW_GATEWAY_TOKEN for the gateways given on the command line.
    env.OPENCLAW_GATEWAY_TOKEN = token;
    delete env.OPENCLAW_GATEWAY_URL;
  }
  return new Fleet({
    secrets: { get: async () => undefined },
    identityStore: new FileDeviceIdentityStore(path.join(stateDir(env), 'device-identities')),
    clientVersion: opts.version, requestTimeoutMs: opts.requestTimeoutMs, env, plaintextConsent: () => opts.allowPlaintext === true,
    log: (level, message) => { if (opts.verbose || level === 'error') log(level, message); },
  });
}

/**
 * Resolves once every gateway has either synced (agents and all sessions read, one log/lane read done) or
 * failed in a way that will not fix itself soon; or when the deadline passes. Event-driven, not polled.
 */
export function settled(fleet: Fleet, deadlineMs: number): Promise<void> {
  const watchers = fleet.gateways();
  const polling = new Set<GatewayWatcher>(), polled = new Set<GatewayWatcher>();
  const done = (w: GatewayWatcher) => {
    const snap = w.snapshot();
    if (snap.state === 'connected') {
      if (!w.isSynced() && !w.lastSyncError()) return false;
      // The diagnostics (stalled, lane waits) only come from the log: one complete read before answering.
      // Transcript tails (protocol 3 evidence) and pending inputs are read after the sync: wait for those too.
      if (!polling.has(w)) { polling.add(w); void w.pollOnce().then(() => w.whenQuiet()).then(() => { polled.add(w); check(); }); }
      return polled.has(w);
    }
    // A failure that stops reconnecting (token, pairing, protocol) or a refused connection is the answer.
    return snap.problem !== undefined && (snap.problem.reconnect === 'stop' || snap.problem.reconnect === 'slow' || snap.state === 'disconnected');
  };
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => { resolveAll = r; });
  const check = () => { if (watchers.every(done)) resolveAll(); };
  const sub = fleet.onDidChange(check);
  const timer = setTimeout(resolveAll, deadlineMs);
  check();
  return all.finally(() => { sub.dispose(); clearTimeout(timer); });
}
