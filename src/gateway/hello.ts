// A protocol-neutral view of hello-ok. Protocol 4 (openclaw 2026.9.x) and protocol 3 (2026.3.x/2026.4.x)
// carry different subsets; we read defensively and keep only what the extension uses.
import type { HelloOk } from '@openclaw/gateway-protocol';

export interface HelloSummary {
  protocol: number;
  serverVersion: string;
  bootId?: string;
  connId?: string;
  methods: ReadonlySet<string>;
  events: ReadonlySet<string>;
  /** Scopes from hello-ok.auth.scopes; empty when the gateway sent none (see authReported). */
  grantedScopes: readonly string[];
  /**
   * false when hello-ok had no `auth` block. 2026.3.24 omits it whenever it issues no device token: for a
   * token-only client (which it grants nothing) and for a device-signed gateway-client/backend on loopback (which
   * skips pairing and keeps its requested scopes). The connection tells the two apart with one read call.
   */
  authReported: boolean;
  /** true when grantedScopes were not reported but proven by a scoped call (see authReported). */
  scopesInferred?: boolean;
  role?: string;
  deviceToken?: string;
  maxPayload: number;
  tickIntervalMs: number;
  sessionDefaults?: {
    defaultAgentId?: string;
    mainSessionKey?: string;
    mainKey?: string;
    scope?: string;
    modelConfigured?: boolean;
  };
  configPath?: string;
  stateDir?: string;
  uptimeMs?: number;
}

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export const DEFAULT_MAX_PAYLOAD = 25 * 1024 * 1024;
export const DEFAULT_TICK_INTERVAL_MS = 30_000;

/** Why a hello-ok payload cannot be used at all (undefined: it can; fields of the wrong type fall back to defaults). */
export function unusableHelloReason(payload: unknown, offered: { min: number; max: number }): string | undefined {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload))
    return `payload is ${Array.isArray(payload) ? 'an array' : payload === null ? 'null' : typeof payload}, not an object`;
  const p = payload as Record<string, unknown>;
  if (p.type !== 'hello-ok') return `type is ${JSON.stringify(p.type)?.slice(0, 40) ?? 'missing'}, not "hello-ok"`;
  if (typeof p.protocol !== 'number' || !Number.isInteger(p.protocol))
    return `protocol is ${JSON.stringify(p.protocol)?.slice(0, 40) ?? 'missing'}, not an integer`;
  if (p.protocol < offered.min || p.protocol > offered.max)
    return `protocol ${p.protocol} is outside the offered range ${offered.min}–${offered.max}`;
  return undefined;
}

export function readHello(payload: unknown): HelloSummary | undefined {
  const p = rec(payload) as Partial<HelloOk> & Record<string, unknown>;
  if (p.type !== 'hello-ok' || typeof p.protocol !== 'number' || !Number.isInteger(p.protocol)) return undefined;
  const server = rec(p.server),
    features = rec(p.features),
    auth = rec(p.auth),
    policy = rec(p.policy),
    snapshot = rec(p.snapshot);
  const defaults = rec(snapshot.sessionDefaults);
  return {
    protocol: p.protocol,
    serverVersion: optStr(server.version) ?? 'unknown',
    bootId: optStr(server.bootId),
    connId: optStr(server.connId),
    methods: new Set(strings(features.methods)),
    events: new Set(strings(features.events)),
    grantedScopes: strings(auth.scopes),
    authReported: p.auth !== undefined && p.auth !== null,
    role: optStr(auth.role),
    deviceToken: optStr(auth.deviceToken),
    maxPayload: num(policy.maxPayload, DEFAULT_MAX_PAYLOAD),
    tickIntervalMs: num(policy.tickIntervalMs, DEFAULT_TICK_INTERVAL_MS),
    sessionDefaults: Object.keys(defaults).length
      ? {
          defaultAgentId: optStr(defaults.defaultAgentId),
          mainSessionKey: optStr(defaults.mainSessionKey),
          mainKey: optStr(defaults.mainKey),
          scope: optStr(defaults.scope),
          modelConfigured: typeof defaults.modelConfigured === 'boolean' ? defaults.modelConfigured : undefined,
        }
      : undefined,
    configPath: optStr(snapshot.configPath),
    stateDir: optStr(snapshot.stateDir),
    uptimeMs: typeof snapshot.uptimeMs === 'number' ? snapshot.uptimeMs : undefined,
  };
}
