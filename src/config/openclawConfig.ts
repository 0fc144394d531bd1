// Reads what Lanewatch needs from an OpenClaw config file (JSON5, as the OpenClaw CLI reads it) and finds
// local gateways the way OpenClaw does. Read-only: Lanewatch never writes the user's OpenClaw files.
import JSON5 from 'json5';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { normalizeFingerprint } from '../gateway/transportSecurity';
import { validateGatewayUrl, type GatewayConfig } from './gatewaySettings';

export interface OpenClawConfigFacts {
  port?: number;
  bind?: string;
  authMode?: string;
  token?: string;
  logFile?: string;
  /** `gateway.mode`: "remote" means the CLI on this machine talks to `gateway.remote.url`, not a local gateway. */
  mode?: string;
  /** `gateway.remote.*`: what the OpenClaw CLI uses for a remote gateway (token only when it is a plain string). */
  remote?: { url?: string; token?: string; tokenIsSecretRef?: boolean; tlsFingerprint?: string };
}

export class ConfigFileError extends Error {
  /** missing: the file does not exist (as opposed to unreadable, malformed or mistyped). */
  constructor(
    readonly file: string,
    message: string,
    readonly missing = false,
  ) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function expandHome(p: string, home = os.homedir()): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/** What a value is, for an error message. Never the content of a string: the field may hold a token. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : `the number ${String(v)}`;
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return `${v}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks the type of every field Lanewatch reads. A wrong type is an error naming the file, the field and what was
 * expected: a mistyped `gateway.port` must not quietly become the default port (another gateway may listen there).
 */
function configProblems(doc: unknown): string[] {
  if (!isObject(doc)) return [`the top level must be an object ({ … }), got ${kindOf(doc)}`];
  const problems: string[] = [];
  const expect = (field: string, v: unknown, ok: boolean, what: string) => {
    if (v !== undefined && !ok) problems.push(`${field} must be ${what}, got ${kindOf(v)}`);
  };
  const object = (field: string, v: unknown): Record<string, unknown> => {
    expect(field, v, isObject(v), 'an object');
    return rec(v);
  };
  const string = (field: string, v: unknown) => expect(field, v, typeof v === 'string', 'a string');
  // A SecretRef (an object) is valid OpenClaw config; Lanewatch does not resolve it (see tokenSources).
  const secret = (field: string, v: unknown) =>
    expect(field, v, typeof v === 'string' || isObject(v), 'a string (or a SecretRef object)');
  const gateway = object('gateway', doc.gateway);
  const port = gateway.port;
  expect(
    'gateway.port',
    port,
    typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536,
    'a port number (an integer 1–65535)',
  );
  string('gateway.bind', gateway.bind);
  string('gateway.mode', gateway.mode);
  const auth = object('gateway.auth', gateway.auth);
  string('gateway.auth.mode', auth.mode);
  secret('gateway.auth.token', auth.token);
  const remote = object('gateway.remote', gateway.remote);
  string('gateway.remote.url', remote.url);
  secret('gateway.remote.token', remote.token);
  string('gateway.remote.tlsFingerprint', remote.tlsFingerprint);
  const logging = object('logging', doc.logging);
  string('logging.file', logging.file);
  return problems;
}

export function parseOpenClawConfig(text: string, file: string): OpenClawConfigFacts {
  let doc: unknown;
  try {
    doc = JSON5.parse(text);
  } catch (err) {
    throw new ConfigFileError(file, `${file} is not valid JSON5: ${(err as Error).message}`);
  }
  const problems = configProblems(doc);
  if (problems.length)
    throw new ConfigFileError(file, `${file} is not a usable OpenClaw config: ${problems.join('; ')}`);
  const gateway = rec(rec(doc).gateway),
    auth = rec(gateway.auth),
    logging = rec(rec(doc).logging),
    remote = rec(gateway.remote);
  const port = typeof gateway.port === 'number' ? gateway.port : undefined;
  const token = typeof auth.token === 'string' && auth.token ? auth.token : undefined;
  return {
    port,
    token,
    bind: typeof gateway.bind === 'string' ? gateway.bind : undefined,
    authMode: typeof auth.mode === 'string' ? auth.mode : undefined,
    logFile: typeof logging.file === 'string' ? logging.file : undefined,
    mode: typeof gateway.mode === 'string' ? gateway.mode : undefined,
    remote: Object.keys(remote).length
      ? {
          url: typeof remote.url === 'string' && remote.url.trim() ? remote.url.trim() : undefined,
          token: typeof remote.token === 'string' && remote.token ? remote.token : undefined,
          tokenIsSecretRef: !!remote.token && typeof remote.token === 'object',
          tlsFingerprint: typeof remote.tlsFingerprint === 'string' ? remote.tlsFingerprint : undefined,
        }
      : undefined,
  };
}

export async function readOpenClawConfig(file: string): Promise<OpenClawConfigFacts> {
  const resolved = expandHome(file);
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(
      resolved,
      code === 'ENOENT'
        ? `${resolved} does not exist`
        : code === 'EACCES'
          ? `${resolved} is not readable (permission denied)`
          : `${resolved} could not be read: ${(err as Error).message}`,
      code === 'ENOENT',
    );
  }
  return parseOpenClawConfig(text, resolved);
}

/** Where OpenClaw itself looks for its config: OPENCLAW_CONFIG_PATH, else <OPENCLAW_STATE_DIR or ~/.openclaw>/openclaw.json. */
export function defaultOpenClawConfigPath(
  env: NodeJS.ProcessEnv = process.env,
  home = env.OPENCLAW_HOME || os.homedir(),
): string {
  if (env.OPENCLAW_CONFIG_PATH) return expandHome(env.OPENCLAW_CONFIG_PATH, home);
  const stateDir = env.OPENCLAW_STATE_DIR ? expandHome(env.OPENCLAW_STATE_DIR, home) : path.join(home, '.openclaw');
  return path.join(stateDir, 'openclaw.json');
}

export const DEFAULT_GATEWAY_PORT = 18789;

/**
 * The gateway an OpenClaw config file describes: the local one on its port, or with `gateway.mode: "remote"` the one
 * the OpenClaw CLI here talks to (`gateway.remote.url`, its pinned `tlsFingerprint`; the token is read when used).
 */
export function gatewayFromConfig(facts: OpenClawConfigFacts, configPath: string, name?: string): GatewayConfig {
  const remoteUrl =
    facts.mode === 'remote' && facts.remote?.url && !validateGatewayUrl(facts.remote.url)
      ? facts.remote.url.replace(/\/+$/, '')
      : undefined;
  if (!remoteUrl)
    return {
      name: name ?? 'local',
      url: `ws://127.0.0.1:${facts.port ?? DEFAULT_GATEWAY_PORT}`,
      configPath,
      source: 'openclaw-config',
    };
  const pin = facts.remote?.tlsFingerprint ? normalizeFingerprint(facts.remote.tlsFingerprint) : undefined;
  return {
    name: name ?? 'remote',
    url: remoteUrl,
    configPath,
    ...(pin && remoteUrl.startsWith('wss:') ? { tlsFingerprint: pin } : {}),
    source: 'openclaw-config',
  };
}

/**
 * The gateways to watch when the user configured none: OPENCLAW_GATEWAY_URL if set, else the local gateway
 * described by OpenClaw's own config file. Returns [] when neither exists.
 */
export async function discoverDefaultGateways(
  env: NodeJS.ProcessEnv = process.env,
  onConfigError?: (err: ConfigFileError) => void,
): Promise<GatewayConfig[]> {
  if (env.OPENCLAW_GATEWAY_URL) return [{ name: 'openclaw', url: env.OPENCLAW_GATEWAY_URL, source: 'env' }];
  const found: GatewayConfig[] = [];
  const configPath = defaultOpenClawConfigPath(env);
  try {
    const facts = await readOpenClawConfig(configPath);
    found.push(gatewayFromConfig(facts, configPath));
  } catch (err) {
    // No config file: maybe a running gateway says where it is. A broken one is not guessed around: it is reported.
    if (err instanceof ConfigFileError && !err.missing) onConfigError?.(err);
  }
  const home = env.OPENCLAW_HOME || os.homedir();
  const stateDir = env.OPENCLAW_STATE_DIR ? expandHome(env.OPENCLAW_STATE_DIR, home) : path.join(home, '.openclaw');
  for (const lock of await findGatewayLocks(stateDir)) {
    if (!lock.port || !processAlive(lock.pid)) continue;
    const url = `ws://127.0.0.1:${lock.port}`;
    if (found.some((g) => g.url === url)) continue;
    found.push({ name: `local-${lock.port}`, url, configPath: lock.configPath, source: 'lock-file' });
  }
  return found;
}

/** What a running gateway writes to <stateDir>/tmp/openclaw-<uid>/gateway*.lock (JSON followed by padding). */
export interface GatewayLock {
  pid: number;
  port?: number;
  configPath?: string;
  stateDir?: string;
  createdAt?: string;
  file: string;
}

/** Reads one lock file; a half-written or foreign file yields undefined (never throws). */
export async function readGatewayLock(file: string): Promise<GatewayLock | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return undefined;
    return {
      pid: v.pid,
      file,
      port: typeof v.port === 'number' ? v.port : undefined,
      configPath: typeof v.configPath === 'string' ? v.configPath : undefined,
      stateDir: typeof v.stateDir === 'string' ? v.stateDir : undefined,
      createdAt: typeof v.createdAt === 'string' ? v.createdAt : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Lock files of gateways that use `stateDir` (2026.9.x writes them under <stateDir>/tmp, older ones under $TMPDIR). */
export async function findGatewayLocks(
  stateDir: string,
  uid = process.getuid?.() ?? 0,
  tmpDir = os.tmpdir(),
): Promise<GatewayLock[]> {
  const dirs = [path.join(stateDir, 'tmp', `openclaw-${uid}`), path.join(tmpDir, `openclaw-${uid}`)];
  const locks: GatewayLock[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => /^gateway\..*lock$/.test(n)).sort()) {
      const lock = await readGatewayLock(path.join(dir, name));
      if (lock && !locks.some((l) => l.pid === lock.pid)) locks.push(lock);
    }
  }
  return locks;
}

/** Is `pid` alive (signal 0)? EPERM means alive but not ours. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
