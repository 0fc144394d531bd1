// The one factory of action connections: a short-lived connection for one action (recover, abort, reset, restart,
// send), with exactly the scopes that action needs (the watcher's own connection stays read-only: least privilege,
// as the OpenClaw CLI does it), and every setting the host has — request timeout, connect timeout, device identity,
// client version, pinned certificate, consent to plain ws:// — logging through the host's one logger (the extension's
// output channel, the CLI's stderr with --verbose). The extension's commands, its watchdog and the CLI all open their
// connections here.
import {
  GatewayApi,
  GatewayConnection,
  GatewayRequestError,
  type ConnectionProblem,
  type GatewayConnectionOptions,
  type LogLevel,
  type OperatorScope,
} from '../gateway';
import type { Fleet } from '../fleet/fleet';
import type { GatewayConfig } from '../config/gatewaySettings';

/** Abort needs admin on 2026.9.6: a write-only device gets "unauthorized" aborting a session it does not own. */
export const RECOVERY_SCOPES: OperatorScope[] = ['operator.read', 'operator.write', 'operator.admin'];
export const RESTART_SCOPES: OperatorScope[] = ['operator.read', 'operator.admin'];
export const SEND_SCOPES: OperatorScope[] = ['operator.read', 'operator.write'];

/** 2026.4.x may take 20 s and more to answer connect while it loads plugins. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
/** The connection's own default per-request timeout; 2026.4.x can stall its event loop for up to 55 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Problems where nothing answers at all: asked once more after this pause, then reported (no minute-long wait). */
export const UNREACHABLE_RETRY_MS = 500;
const UNREACHABLE_KINDS = new Set(['unreachable', 'dns']);

/** The host's one logger for actions: the extension's output channel, the CLI's stderr (with --verbose). */
export type ActionLog = (level: LogLevel, message: string) => void;

/** What an action connection needs of the fleet: credentials, device keys, client version, transport rules. */
export type OperatorFleet = Pick<Fleet, 'credentialsFor' | 'identityStore' | 'clientVersion' | 'connectionSecurity'>;

export interface OperatorSettings {
  /** Per-request timeout (lanewatch.requestTimeoutSeconds, --request-timeout-seconds), read at every connection. */
  requestTimeoutMs: () => number;
  /**
   * How long a gateway that accepts the connection may take to finish the handshake (default 60 s), read at every
   * connection. A refused port or an unknown host fails after one quick retry instead; a refusal by the gateway
   * (token, pairing, protocol) fails at once.
   */
  connectTimeoutMs?: () => number | undefined;
  log: ActionLog;
}

export interface OperatorRunOptions {
  /** What the connection is for, in the log ("abort agent:main:x", "restart"). */
  purpose: string;
  signal?: AbortSignal;
  /** Reconnect after the connection is up (restart: the gateway goes away and comes back). */
  reconnect?: boolean;
  /** The device and client name the connection shows (default: "Lanewatch command"). */
  clientDisplayName?: string;
}

/** The clamp the extension applies to `lanewatch.requestTimeoutSeconds`: 5–600 s, else 60 s. */
export function requestTimeoutFromSeconds(seconds: unknown): number {
  return (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 5 ? Math.min(seconds, 600) : 60) * 1000;
}

const secondsText = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 && ms % 1000 ? 1 : 0)} s`;

export class OperatorConnections {
  constructor(
    readonly fleet: OperatorFleet,
    private readonly settings: OperatorSettings,
  ) {}

  get requestTimeoutMs(): number {
    return this.settings.requestTimeoutMs();
  }

  get connectTimeoutMs(): number {
    return this.settings.connectTimeoutMs?.() ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** A line about one gateway's action, through the host's logger. */
  log(config: Pick<GatewayConfig, 'name'>, level: LogLevel, message: string): void {
    this.settings.log(level, `[${config.name}] ${message}`);
  }

  /**
   * The options of a connection for one action with exactly `scopes`: one device per scope set (a device paired with
   * read only would need a scope-upgrade approval to abort), the fleet's credentials and transport rules, this host's
   * request timeout and logger.
   */
  connectionOptions(
    config: GatewayConfig,
    scopes: readonly OperatorScope[],
    opts: Pick<OperatorRunOptions, 'purpose' | 'reconnect' | 'clientDisplayName'>,
  ): GatewayConnectionOptions {
    return {
      url: config.url,
      credentials: () => this.fleet.credentialsFor(config),
      scopes,
      identityStore: this.fleet.identityStore,
      identityKey: `${config.name}|${config.url}|${scopes.join(',')}`,
      clientVersion: this.fleet.clientVersion,
      clientDisplayName: opts.clientDisplayName ?? 'Lanewatch command',
      reconnect: opts.reconnect ?? false,
      requestTimeoutMs: this.requestTimeoutMs,
      log: (level, message) => this.log(config, level, `${opts.purpose}: ${message}`),
      ...this.fleet.connectionSecurity(config),
    };
  }

  /** Opens the action's connection, runs `fn` on it once connected (subscribed to sessions.changed), closes it. */
  async run<T>(
    config: GatewayConfig,
    scopes: readonly OperatorScope[],
    options: OperatorRunOptions,
    fn: (api: GatewayApi, connection: GatewayConnection) => Promise<T>,
  ): Promise<T> {
    const connectionOptions = this.connectionOptions(config, scopes, options);
    const connectTimeoutMs = this.connectTimeoutMs;
    const c = new GatewayConnection(connectionOptions);
    this.log(
      config,
      'info',
      `${options.purpose}: connecting to ${config.url} with ${scopes.join(', ')} (connect within ${secondsText(connectTimeoutMs)}, requests within ${secondsText(connectionOptions.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)})`,
    );
    try {
      await connectWithin(c, connectTimeoutMs, options.signal, options.reconnect ?? false);
      // Recovery waits for sessions.changed to see a session settle.
      await new GatewayApi(c).sessionsSubscribe({}).catch(() => undefined);
      return await fn(new GatewayApi(c), c);
    } catch (err) {
      this.log(config, 'warn', `${options.purpose}: ${(err as Error)?.message ?? String(err)}`);
      throw err;
    } finally {
      c.dispose();
    }
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
