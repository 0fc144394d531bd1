// A short-lived connection for one action (abort, reset, restart, send), with exactly the scopes that action
// needs: the watcher's own connection stays read-only (least privilege, as the OpenClaw CLI does it).
import {
  GatewayApi,
  GatewayConnection,
  GatewayRequestError,
  type ConnectionProblem,
  type LogLevel,
  type OperatorScope,
} from '../gateway';
import type { Fleet } from '../fleet/fleet';
import type { GatewayConfig } from '../config/gatewaySettings';
import type { RunEvidenceSource } from '../lanes/runEvidence';

/** Abort needs admin on 2026.9.6: a write-only device gets "unauthorized" aborting a session it does not own. */
export const RECOVERY_SCOPES: OperatorScope[] = ['operator.read', 'operator.write', 'operator.admin'];
export const RESTART_SCOPES: OperatorScope[] = ['operator.read', 'operator.admin'];

/** 2026.4.x may take 20 s and more to answer connect while it loads plugins. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
/** Problems where nothing answers at all: asked once more after this pause, then reported (no minute-long wait). */
export const UNREACHABLE_RETRY_MS = 500;
const UNREACHABLE_KINDS = new Set(['unreachable', 'dns']);

export interface OperatorConnectionOptions {
  signal?: AbortSignal;
  /** Reconnect after the connection is up (restart: the gateway goes away and comes back). */
  reconnect?: boolean;
  /**
   * How long a gateway that accepts the connection may take to finish the handshake (default 60 s). A refused
   * port or an unknown host fails after one quick retry instead; a refusal by the gateway (token, pairing,
   * protocol) fails at once.
   */
  connectTimeoutMs?: number;
  /** Per-request timeout of this connection (default: the connection's, 60 s). */
  requestTimeoutMs?: number;
  log?: (level: LogLevel, message: string) => void;
}

/** The clamp the extension applies to `lanewatch.requestTimeoutSeconds`: 5–600 s, else 60 s. */
export function requestTimeoutFromSeconds(seconds: unknown): number {
  return (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 5 ? Math.min(seconds, 600) : 60) * 1000;
}

export async function withOperatorConnection<T>(
  fleet: Fleet,
  config: GatewayConfig,
  scopes: OperatorScope[],
  options: OperatorConnectionOptions,
  fn: (api: GatewayApi, connection: GatewayConnection) => Promise<T>,
): Promise<T> {
  const c = new GatewayConnection({
    url: config.url,
    credentials: () => fleet.credentialsFor(config),
    scopes,
    identityStore: fleet.identityStore,
    // One device per scope set: a device paired with read only would need a scope-upgrade approval to abort.
    identityKey: `${config.name}|${config.url}|${scopes.join(',')}`,
    clientVersion: fleet.clientVersion,
    clientDisplayName: 'Lanewatch command',
    reconnect: options.reconnect ?? false,
    requestTimeoutMs: options.requestTimeoutMs,
    log: options.log,
    ...fleet.connectionSecurity(config),
  });
  try {
    await connectWithin(
      c,
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      options.signal,
      options.reconnect ?? false,
    );
    // Recovery waits for sessions.changed to see a session settle.
    await new GatewayApi(c).sessionsSubscribe({}).catch(() => undefined);
    return await fn(new GatewayApi(c), c);
  } finally {
    c.dispose();
  }
}

const connectError = (problem: ConnectionProblem) =>
  new GatewayRequestError('connect', problem, {
    code: problem.errorCode ?? 'CONNECT_FAILED',
    message: `connect: ${problem.summary}`,
    answered: problem.errorCode !== undefined,
  });

/**
 * Starts `c` and resolves once it is connected. Within `timeoutMs` a transient failure is tried again (the
 * connection does not retry on its own when `reconnect` is off); a port nobody listens on or a host that does not
 * resolve is tried once more after a short pause and then reported; a problem that retrying cannot fix (wrong
 * token, protocol, certificate) or one that needs a person elsewhere (pairing approval) is reported at once.
 */
export function connectWithin(
  c: GatewayConnection,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  reconnect: boolean,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let unreachable = 0;
    let transient = 0;
    let retry: NodeJS.Timeout | undefined;
    const done = (fn: () => void) => {
      clearTimeout(timer);
      clearTimeout(retry);
      sub.dispose();
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      const p = c.snapshot().problem;
      done(() =>
        reject(
          GatewayRequestError.local(
            'connect',
            'TIMEOUT',
            `not connected within ${Math.round(timeoutMs / 1000)} s${p ? ` (${p.summary})` : ''}`,
            p
              ? { ...p, summary: `not connected within ${Math.round(timeoutMs / 1000)} s (${p.summary})` }
              : { kind: 'connect-timeout' },
          ),
        ),
      );
    }, timeoutMs);
    const onAbort = () => done(() => reject(GatewayRequestError.local('connect', 'CANCELLED', 'cancelled')));
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    const again = (ms: number) => {
      if (!reconnect) {
        clearTimeout(retry);
        retry = setTimeout(() => c.start(), ms);
      }
    };
    const sub = c.onDidChangeState((s) => {
      if (s.state === 'connected' && s.hello) {
        done(resolve);
        return;
      }
      if (s.state === 'stopped') {
        done(() => reject(GatewayRequestError.local('connect', 'CONNECTION_CLOSED', 'connection stopped')));
        return;
      }
      if (s.state !== 'disconnected' || !s.problem) return;
      const p = s.problem;
      if (p.reconnect === 'stop' || p.reconnect === 'slow') {
        done(() => reject(connectError(p)));
        return;
      }
      if (UNREACHABLE_KINDS.has(p.kind)) {
        if (++unreachable >= 2) {
          done(() => reject(connectError(p)));
          return;
        }
        again(UNREACHABLE_RETRY_MS);
        return;
      }
      // Accepted but not answered (a starting or overloaded gateway): keep asking until the deadline.
      again(Math.min(5_000, 500 * 2 ** transient++));
    });
    c.start();
  });
}

/** The fleet watcher's live-run evidence for recovery on protocol 3 gateways (undefined when not watched). */
export function evidenceFor(fleet: Fleet, config: GatewayConfig): RunEvidenceSource | undefined {
  return fleet.gateway(config.name)?.evidenceSource();
}
