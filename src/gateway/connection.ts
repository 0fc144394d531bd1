// One live connection to one OpenClaw gateway: challenge → connect → hello-ok handshake (timed per phase),
// request/response correlation with per-call timeouts and cancellation, event dispatch by name, a tick
// watchdog, and reconnects with backoff. It never throws out of a socket handler and never leaves a promise
// pending forever: every request ends in a result or a GatewayRequestError.
//
// Why our own layer over `ws` rather than @openclaw/gateway-client: see docs/architecture.md (phase timings
// and raw close codes are part of the product; the connect frame must fit protocol 3's closed schema).
import WebSocket from 'ws';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { loadOrCreateDeviceIdentity, signDeviceProof, type DeviceIdentityStore } from './deviceIdentity';
import { Emitter, type Disposable } from './emitter';
import { decodeFrame, type EventFrame, type ResponseFrame } from './frames';
import { readHello, unusableHelloReason, type HelloSummary } from './hello';
import {
  describeClose,
  describeGatewayError,
  describeTransportError,
  missingScopeOf,
  type ConnectionProblem,
} from './problems';
import { probeGatewayHttp, type HttpProbeResult } from './httpProbe';
import { diagnoseWithHttp, probeFacts, shouldProbeHttp } from './reachability';
import { GatewayRequestError } from './requestError';
import { guardTlsSocket, isLoopbackUrl, plaintextRemoteProblem } from './transportSecurity';

export const MIN_PROTOCOL = 3;
export const MAX_PROTOCOL = 4;

export type OperatorScope =
  'operator.read' | 'operator.write' | 'operator.admin' | 'operator.approvals' | 'operator.pairing';

/** Lifecycle as a person would describe it. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'stopped';

export type HandshakePhase = 'socket' | 'challenge' | 'hello' | 'ready';

/** Milliseconds from the start of the attempt to each milestone. */
export interface HandshakeTiming {
  attempt: number;
  startedAt: number;
  socketOpenMs?: number;
  challengeMs?: number;
  connectSentMs?: number;
  helloMs?: number;
  /** The phase the attempt was in when it ended without hello-ok. */
  failedIn?: HandshakePhase;
}

export interface ConnectionSnapshot {
  state: ConnectionState;
  url: string;
  hello?: HelloSummary;
  problem?: ConnectionProblem;
  /** Requested scopes the gateway did not grant (the connection still works for the others). */
  missingScopes: readonly string[];
  handshake?: HandshakeTiming;
  connectedAt?: number;
  nextRetryAt?: number;
  attempts: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Credentials {
  token?: string;
}

export interface GatewayConnectionOptions {
  url: string;
  /** Read at every attempt, so a token set while disconnected is used on the next try. */
  credentials: () => Credentials | Promise<Credentials>;
  scopes: readonly OperatorScope[];
  /** Signs every connect with this store's key for `identityKey` (default: the URL). Omit only in tests. */
  identityStore?: DeviceIdentityStore;
  identityKey?: string;
  clientVersion?: string;
  clientDisplayName?: string;
  requestTimeoutMs?: number;
  /** Socket open → connect.challenge. The gateway sends it within milliseconds; silence means it is wedged. */
  challengeTimeoutMs?: number;
  /** connect sent → hello-ok. 2026.4.x can take 7–20 s while its event loop is blocked. */
  helloTimeoutMs?: number;
  /** Lower bound of the silence window; the window is max(this, 2 × tickIntervalMs), and ≥ 90 s on protocol 3. */
  minTickWatchMs?: number;
  /**
   * Active liveness probe (off by default): after this much silence send a WebSocket ping and count its pong as a
   * sign of life; a ping unanswered for this long (no pong, no frame) means the link is dead (half-open, or stalled
   * in mid-frame): it is closed (4000) and reconnected, within about 2.5 × this. It must exceed the round trip.
   * Off by default because a gateway whose event loop is blocked (2026.4.x, up to a minute) answers no ping either.
   */
  pingIntervalMs?: number;
  /** Frames before hello-ok larger than this are refused (hello-ok itself is ~24 KB). */
  preHelloMaxBytes?: number;
  reconnect?: boolean;
  backoff?: BackoffOptions;
  /** Delay between attempts while waiting for a pairing approval. */
  slowRetryMs?: number;
  log?: (level: LogLevel, message: string) => void;
  /** wss://: trust exactly the certificate with this SHA-256 fingerprint (a self-signed one), instead of a public authority. */
  tlsFingerprint?: string;
  /** ws:// to a host other than this machine: read at every attempt; without it nothing is sent (see transportSecurity). */
  allowPlaintextRemote?: () => boolean;
  /**
   * Asks the gateway's HTTP probes (/health, /startupz, /readyz) when the WebSocket fails in a way they can name
   * ("HTTP answers but the WebSocket is silent", draining, event loop blocked): reachability.ts. Default: on; false
   * turns it off; a function replaces the probe (tests).
   */
  httpProbe?: false | ((wsUrl: string) => Promise<HttpProbeResult>);
  /** For tests: build the socket. */
  createSocket?: (url: string, options: WebSocket.ClientOptions) => WebSocket;
  now?: () => number;
}

interface PendingRequest {
  method: string;
  resolve: (payload: unknown) => void;
  reject: (err: GatewayRequestError) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const CLIENT_ID = 'gateway-client';
const CLIENT_MODE = 'backend';
const ROLE = 'operator';
/** ws refuses larger frames outright (close 1009); the gateway's own default limit is 25 MiB. */
const SOCKET_MAX_PAYLOAD = 64 * 1024 * 1024;

/**
 * Why preparing a connect failed, fit to show and log: the error's message on one line, at most 300 characters,
 * with the token (if the failure came after it was resolved) and anything shaped like a PEM key masked.
 */
function preparationCause(err: unknown, token: string | undefined): string {
  let text = err instanceof Error ? err.message : String(err);
  if (token) text = text.split(token).join('***');
  text = text
    .replace(/-----BEGIN [A-Z ]*-----[\s\S]*?(-----END [A-Z ]*-----|$)/g, '***')
    .replace(/\s+/g, ' ')
    .trim();
  return (text.length > 300 ? `${text.slice(0, 299)}…` : text) || 'unknown error';
}

/** Refused connections on loopback cost nothing, so poll fast enough to be back within ~1.5 s of the gateway being ready. */
const LOOPBACK_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 1_500, factor: 2, jitter: 0.3 };

export class GatewayConnection {
  private readonly opts: Required<
    Pick<
      GatewayConnectionOptions,
      | 'requestTimeoutMs'
      | 'challengeTimeoutMs'
      | 'helloTimeoutMs'
      | 'minTickWatchMs'
      | 'preHelloMaxBytes'
      | 'reconnect'
      | 'slowRetryMs'
    >
  > &
    GatewayConnectionOptions;
  private readonly now: () => number;
  private readonly backoff: Backoff;
  private socket?: WebSocket;
  private phase: HandshakePhase = 'socket';
  private state: ConnectionState = 'idle';
  private hello?: HelloSummary;
  private problem?: ConnectionProblem;
  private missingScopes: string[] = [];
  private timing?: HandshakeTiming;
  private attemptCount = 0;
  private connectedAt?: number;
  private nextRetryAt?: number;
  private retryTimer?: NodeJS.Timeout;
  private phaseTimer?: NodeJS.Timeout;
  private watchdogTimer?: NodeJS.Timeout;
  private lastFrameAt = 0;
  private pingSentAt = 0;
  private lastSeq?: number;
  private requestSeq = 0;
  private connectRequestId?: string;
  private probeRequestId?: string;
  private probeHello?: HelloSummary;
  /** An error frame that explains the close that follows it (e.g. AUTH_TOKEN_MISMATCH before 1008). */
  private pendingProblem?: ConnectionProblem;
  private restartExpectedUntil = 0;
  /** The last HTTP probe (reused for 5 s: a wedged gateway fails every retry the same way) and the one in flight. */
  private lastHttpProbe?: { kind: string; result: HttpProbeResult };
  private httpProbeInFlight = false;
  private readonly pending = new Map<string, PendingRequest>();

  private readonly stateEmitter: Emitter<ConnectionSnapshot>;
  private readonly eventEmitters = new Map<string, Emitter<EventFrame>>();
  private readonly anyEventEmitter: Emitter<EventFrame>;
  private readonly helloEmitter: Emitter<HelloSummary>;
  private readonly gapEmitter: Emitter<{ expected: number; received: number }>;

  constructor(options: GatewayConnectionOptions) {
    this.opts = {
      requestTimeoutMs: 60_000,
      challengeTimeoutMs: 10_000,
      helloTimeoutMs: 30_000,
      minTickWatchMs: 0,
      preHelloMaxBytes: 1024 * 1024,
      reconnect: true,
      slowRetryMs: 30_000,
      ...options,
    };
    this.now = options.now ?? Date.now;
    this.backoff = new Backoff(options.backoff ?? (isLoopbackUrl(options.url) ? LOOPBACK_BACKOFF : DEFAULT_BACKOFF));
    const report = (err: unknown) => this.log('error', `listener failed: ${(err as Error)?.stack ?? String(err)}`);
    this.stateEmitter = new Emitter(report);
    this.anyEventEmitter = new Emitter(report);
    this.helloEmitter = new Emitter(report);
    this.gapEmitter = new Emitter(report);
  }

  get url(): string {
    return this.opts.url;
  }

  snapshot(): ConnectionSnapshot {
    return {
      state: this.state,
      url: this.opts.url,
      hello: this.hello,
      problem: this.problem,
      missingScopes: [...this.missingScopes],
      handshake: this.timing ? { ...this.timing } : undefined,
      connectedAt: this.connectedAt,
      nextRetryAt: this.nextRetryAt,
      attempts: this.attemptCount,
    };
  }

  /** Fires on every state or problem change. */
  onDidChangeState(listener: (snapshot: ConnectionSnapshot) => void): Disposable {
    return this.stateEmitter.on(listener);
  }
  /** Fires after each successful handshake (also after reconnects: resync there). */
  onDidConnect(listener: (hello: HelloSummary) => void): Disposable {
    return this.helloEmitter.on(listener);
  }
  onEvent(name: string, listener: (frame: EventFrame) => void): Disposable {
    let emitter = this.eventEmitters.get(name);
    if (!emitter) {
      emitter = new Emitter((err) => this.log('error', `listener for ${name} failed: ${String(err)}`));
      this.eventEmitters.set(name, emitter);
    }
    return emitter.on(listener);
  }
  onAnyEvent(listener: (frame: EventFrame) => void): Disposable {
    return this.anyEventEmitter.on(listener);
  }
  /** Protocol 4 numbers events per connection; a gap means events were lost and state should be re-read. */
  onSequenceGap(listener: (gap: { expected: number; received: number }) => void): Disposable {
    return this.gapEmitter.on(listener);
  }

  /** Starts connecting (idempotent). */
  start(): void {
    if (this.state === 'connecting' || this.state === 'connected') return;
    this.clearRetry();
    this.open();
  }

  /** Drops the current socket and connects again now, with a fresh backoff (after the user fixed something). */
  reconnectNow(): void {
    this.backoff.reset();
    this.clearRetry();
    if (this.socket) this.closeSocket(4002, 'reconnect requested', undefined);
    this.failPending(
      'CONNECTION_CLOSED',
      'the connection was restarted before the gateway answered; the request may or may not have been applied',
    );
    this.open();
  }

  /** Closes for good: pending requests fail, no reconnect. */
  stop(): void {
    this.clearRetry();
    this.state = 'stopped';
    if (this.socket) this.closeSocket(1000, 'client stopped', undefined);
    this.failPending('CONNECTION_CLOSED', 'the connection was closed by Lanewatch');
    this.emitState();
  }

  dispose(): void {
    this.stop();
    this.stateEmitter.clear();
    this.anyEventEmitter.clear();
    this.helloEmitter.clear();
    this.gapEmitter.clear();
    for (const e of this.eventEmitters.values()) e.clear();
  }

  isConnected(): boolean {
    return this.state === 'connected';
  }

  /** The negotiated facts, when connected. */
  get helloSummary(): HelloSummary | undefined {
    return this.hello;
  }

  supportsMethod(method: string): boolean {
    return this.hello?.methods.has(method) ?? false;
  }

  /** Resolves when connected; rejects on timeout, abort, stop, or a problem that will not resolve by retrying. */
  waitForConnected(timeoutMs: number, signal?: AbortSignal): Promise<HelloSummary> {
    if (this.state === 'connected' && this.hello) return Promise.resolve(this.hello);
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        sub.dispose();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              GatewayRequestError.local(
                'connect',
                'TIMEOUT',
                `not connected within ${Math.round(timeoutMs / 1000)} s${this.problem ? ` (${this.problem.summary})` : ''}`,
                this.problem,
              ),
            ),
          ),
        timeoutMs,
      );
      const onAbort = () => done(() => reject(GatewayRequestError.local('connect', 'CANCELLED', 'cancelled')));
      signal?.addEventListener('abort', onAbort, { once: true });
      const sub = this.onDidChangeState((s) => {
        if (s.state === 'connected' && s.hello) done(() => resolve(s.hello!));
        else if (s.state === 'stopped')
          done(() => reject(GatewayRequestError.local('connect', 'CONNECTION_CLOSED', 'connection stopped')));
        // Without reconnects a failed attempt is the answer too, once its HTTP probes have named it.
        else if (
          s.state === 'disconnected' &&
          (s.problem?.reconnect === 'stop' || (!this.opts.reconnect && s.problem && !s.problem.diagnosing))
        )
          done(() =>
            reject(
              new GatewayRequestError('connect', s.problem!, {
                code: s.problem!.errorCode ?? 'CONNECT_FAILED',
                message: s.problem!.summary,
                answered: true,
              }),
            ),
          );
      });
    });
  }

  /** Sends one request; resolves with the payload of an ok response. */
  request<T = unknown>(method: string, params: unknown = {}, options: RequestOptions = {}): Promise<T> {
    const socket = this.socket;
    if (this.state !== 'connected' || !socket || socket.readyState !== WebSocket.OPEN) {
      const why = this.problem ? `${this.problem.summary}. ${this.problem.advice}` : `the connection is ${this.state}`;
      return Promise.reject(
        GatewayRequestError.local(method, 'NOT_CONNECTED', `not connected to ${this.opts.url}: ${why}`, this.problem),
      );
    }
    if (options.signal?.aborted)
      return Promise.reject(GatewayRequestError.local(method, 'CANCELLED', 'cancelled before sending'));
    const id = `lw-${++this.requestSeq}`;
    const text = JSON.stringify({ type: 'req', id, method, params });
    const limit = this.hello?.maxPayload ?? this.opts.preHelloMaxBytes;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limit)
      return Promise.reject(
        GatewayRequestError.local(
          method,
          'PAYLOAD_TOO_LARGE',
          `request of ${bytes} bytes exceeds the gateway's ${limit}-byte limit; nothing was sent`,
        ),
      );
    const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () =>
        this.settle(
          id,
          GatewayRequestError.local(method, 'CANCELLED', 'cancelled (the gateway may still complete it)'),
        );
      const timer = setTimeout(
        () =>
          this.settle(
            id,
            GatewayRequestError.local(
              method,
              'TIMEOUT',
              `no answer within ${(timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0)} s (the gateway may be busy, or its lane for this session is held)`,
            ),
          ),
        timeoutMs,
      );
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        timer,
        resolve: resolve as (p: unknown) => void,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      });
      socket.send(text, (err) => {
        if (err) this.settle(id, GatewayRequestError.local(method, 'CONNECTION_CLOSED', `send failed: ${err.message}`));
      });
    });
  }

  // ---------------------------------------------------------------- internals

  private log(level: LogLevel, message: string): void {
    this.opts.log?.(level, message);
  }

  private setState(state: ConnectionState, problem: ConnectionProblem | undefined): void {
    this.state = state;
    this.problem = problem;
    this.emitState();
  }

  private emitState(): void {
    this.stateEmitter.fire(this.snapshot());
  }

  private open(): void {
    this.attemptCount++;
    this.phase = 'socket';
    this.nextRetryAt = undefined;
    this.pendingProblem = undefined;
    this.lastSeq = undefined;
    this.timing = { attempt: this.attemptCount, startedAt: this.now() };
    this.setState('connecting', this.problem);
    const refusal = this.opts.allowPlaintextRemote?.() ? undefined : plaintextRemoteProblem(this.opts.url);
    if (refusal) {
      this.onAttemptEnded(undefined, refusal);
      return;
    }
    let socket: WebSocket;
    let certificateProblem: ConnectionProblem | undefined;
    try {
      const options: WebSocket.ClientOptions = {
        maxPayload: SOCKET_MAX_PAYLOAD,
        handshakeTimeout: this.opts.challengeTimeoutMs,
        perMessageDeflate: false,
        followRedirects: false,
      };
      const secure = this.opts.url.startsWith('wss:');
      if (secure) {
        options.rejectUnauthorized = false; // the verdict is ours, made before anything is sent: guardTlsSocket
        // A full handshake every time: VS Code sends requests to other hosts through one shared agent that caches TLS
        // sessions, and a resumed session presents no certificate to check (the pinned gateway then read "does not
        // match" at its first reconnect). Set, even undefined, it overrides the agent's cached session.
        (options as { session?: Buffer }).session = undefined;
      }
      socket = this.opts.createSocket
        ? this.opts.createSocket(this.opts.url, options)
        : new WebSocket(this.opts.url, options);
      if (secure)
        guardTlsSocket(socket, this.opts.url, this.opts.tlsFingerprint, (p) => {
          certificateProblem = p;
        });
    } catch (err) {
      this.onAttemptEnded(undefined, {
        kind: 'bad-url',
        summary: 'invalid gateway URL',
        advice: `${this.opts.url} is not a valid ws:// or wss:// URL: ${(err as Error).message}`,
        action: 'check-url',
        reconnect: 'stop',
      });
      return;
    }
    this.socket = socket;
    let transportProblem: ConnectionProblem | undefined;
    socket.on('open', () => {
      if (this.socket !== socket) return;
      this.timing!.socketOpenMs = this.now() - this.timing!.startedAt;
      this.phase = 'challenge';
      this.lastFrameAt = this.now();
      this.armPhaseTimer(this.opts.challengeTimeoutMs, {
        kind: 'no-challenge',
        summary: 'WebSocket open but no challenge',
        advice: `The WebSocket upgrade succeeded but the gateway sent no connect.challenge within ${this.opts.challengeTimeoutMs / 1000} s. HTTP may answer while the gateway's WebSocket handling is wedged (blocked event loop); check /readyz and the gateway log, or restart it.`,
        action: 'retry',
        reconnect: 'backoff',
      });
    });
    socket.on('unexpected-response', (_req, res) => {
      transportProblem = describeTransportError(
        Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode }),
        this.opts.url,
      );
      res.resume();
      socket.terminate();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      if (!transportProblem) {
        transportProblem =
          certificateProblem ??
          (/handshake has timed out/i.test(err.message)
            ? {
                kind: 'upgrade-timeout',
                summary: 'WebSocket upgrade timed out',
                advice: `TCP connected but the WebSocket upgrade got no answer within ${this.opts.challengeTimeoutMs / 1000} s: something accepts connections on that port without speaking WebSocket, or the gateway is stuck.`,
                action: 'check-url',
                reconnect: 'backoff',
              }
            : /max payload size exceeded/i.test(err.message)
              ? describeClose(1009, err.message)
              : describeTransportError(err, this.opts.url));
      }
      this.log('debug', `socket error: ${err.code ?? ''} ${err.message}`);
    });
    socket.on('pong', () => {
      if (this.socket === socket) this.lastFrameAt = this.now();
    });
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (this.socket !== socket) return;
      this.lastFrameAt = this.now();
      if (isBinary) {
        this.log('warn', 'ignored a binary frame (the protocol is JSON text)');
        return;
      }
      this.onText(data.toString());
    });
    socket.on('close', (code: number, reasonBuf: Buffer) => {
      if (this.socket !== socket) return;
      const reason = reasonBuf.toString().slice(0, 200);
      const problem = this.pendingProblem ?? transportProblem ?? describeClose(code, reason);
      this.onAttemptEnded(code, { ...problem, closeCode: code, closeReason: reason || problem.closeReason });
    });
  }

  private armPhaseTimer(ms: number, problem: ConnectionProblem): void {
    clearTimeout(this.phaseTimer);
    this.phaseTimer = setTimeout(() => {
      this.pendingProblem = problem;
      this.log('warn', `${problem.summary} (phase ${this.phase})`);
      this.socket?.terminate();
    }, ms);
  }

  private onText(text: string): void {
    const limit = this.phase === 'ready' && this.hello ? this.hello.maxPayload : this.opts.preHelloMaxBytes;
    const decoded = decodeFrame(text, limit);
    if (decoded.kind === 'rejected') {
      this.log('warn', `dropped a frame: ${decoded.reason}`);
      if (decoded.id && this.pending.has(decoded.id)) {
        const method = this.pending.get(decoded.id)!.method;
        this.settle(
          decoded.id,
          GatewayRequestError.local(method, 'BAD_RESPONSE', `the gateway's answer was unusable: ${decoded.reason}`),
        );
      }
      return;
    }
    if (decoded.kind === 'event') this.onEventFrame(decoded.frame);
    else this.onResponseFrame(decoded.frame);
  }

  private onEventFrame(frame: EventFrame): void {
    if (frame.event === 'connect.challenge') {
      this.onChallenge(frame.payload);
      return;
    }
    if (this.phase !== 'ready') {
      this.log('warn', `ignored event ${frame.event} before hello-ok`);
      return;
    }
    if (typeof frame.seq === 'number' && this.hello && this.hello.protocol >= 4) {
      // Protocol 3 numbers events with a global broadcast counter, so gaps there are normal.
      if (this.lastSeq !== undefined && frame.seq > this.lastSeq + 1)
        this.gapEmitter.fire({ expected: this.lastSeq + 1, received: frame.seq });
      this.lastSeq = frame.seq;
    }
    if (frame.event === 'shutdown') {
      const p = (frame.payload ?? {}) as { reason?: unknown; restartExpectedMs?: unknown };
      if (typeof p.restartExpectedMs === 'number') this.restartExpectedUntil = this.now() + 120_000;
      this.log('info', `gateway announced shutdown: ${String(p.reason ?? 'no reason')}`);
    }
    this.eventEmitters.get(frame.event)?.fire(frame);
    this.anyEventEmitter.fire(frame);
  }

  private onChallenge(payload: unknown): void {
    if (this.phase !== 'challenge') {
      this.log('warn', 'ignored a second connect.challenge');
      return;
    }
    const p = (payload ?? {}) as { nonce?: unknown; ts?: unknown };
    if (typeof p.nonce !== 'string' || !p.nonce) {
      this.pendingProblem = {
        kind: 'bad-challenge',
        summary: 'malformed connect.challenge',
        advice: 'The gateway sent a challenge without a nonce; is this an OpenClaw gateway?',
        action: 'check-url',
        reconnect: 'backoff',
      };
      this.socket?.terminate();
      return;
    }
    this.timing!.challengeMs = this.now() - this.timing!.startedAt;
    this.phase = 'hello';
    const signedAt = typeof p.ts === 'number' ? p.ts : this.now();
    void this.sendConnect(p.nonce, signedAt);
  }

  private async sendConnect(nonce: string, signedAt: number): Promise<void> {
    const socket = this.socket;
    let token: string | undefined;
    try {
      ({ token } = await this.opts.credentials());
      const client = {
        id: CLIENT_ID,
        version: this.opts.clientVersion ?? '0.0.0',
        platform: process.platform,
        mode: CLIENT_MODE,
        ...(this.opts.clientDisplayName ? { displayName: this.opts.clientDisplayName } : {}),
      };
      const scopes = [...this.opts.scopes];
      let device: unknown;
      if (this.opts.identityStore) {
        const identity = await loadOrCreateDeviceIdentity(
          this.opts.identityStore,
          this.opts.identityKey ?? this.opts.url,
        );
        device = signDeviceProof(identity, {
          clientId: CLIENT_ID,
          clientMode: CLIENT_MODE,
          role: ROLE,
          scopes,
          signedAt,
          token: token ?? '',
          nonce,
          platform: client.platform,
          deviceFamily: '',
        });
      }
      if (this.socket !== socket || this.phase !== 'hello' || socket?.readyState !== WebSocket.OPEN) return;
      // Only fields protocol 3's closed connect schema accepts (2026.3.24 rejects e.g. client.timeZone with 1008).
      const params = {
        minProtocol: MIN_PROTOCOL,
        maxProtocol: MAX_PROTOCOL,
        client,
        role: ROLE,
        scopes,
        ...(token ? { auth: { token } } : {}),
        ...(device ? { device } : {}),
      };
      this.connectRequestId = `connect-${this.attemptCount}`;
      socket.send(JSON.stringify({ type: 'req', id: this.connectRequestId, method: 'connect', params }));
      this.timing!.connectSentMs = this.now() - this.timing!.startedAt;
      this.armPhaseTimer(this.opts.helloTimeoutMs, {
        kind: 'hello-timeout',
        summary: 'no answer to connect',
        advice: `The gateway sent its challenge but did not answer the connect request within ${this.opts.helloTimeoutMs / 1000} s: it is overloaded or its event loop is blocked (2026.4.x does this while installing plugins).`,
        action: 'retry',
        reconnect: 'backoff',
      });
    } catch (err) {
      // The cause goes into the summary: it is what a failed command, the watchdog's audit line and `--verbose` show
      // (short-lived operator connections log nowhere). Never the token or a key, even if a message quoted one.
      const cause = preparationCause(err, token);
      this.pendingProblem = {
        kind: 'identity',
        summary: `could not prepare the connect request: ${cause}`,
        advice: `Preparing credentials or the device signature failed: ${cause}`,
        action: 'retry',
        reconnect: 'stop',
      };
      this.log('error', this.pendingProblem.advice);
      socket?.terminate();
    }
  }

  private onResponseFrame(frame: ResponseFrame): void {
    if (frame.id === this.connectRequestId && this.phase === 'hello') {
      this.onConnectResponse(frame);
      return;
    }
    if (this.probeRequestId && frame.id === this.probeRequestId && this.phase === 'hello') {
      this.onProbeResponse(frame);
      return;
    }
    const entry = this.pending.get(frame.id);
    if (!entry) {
      this.log(
        'warn',
        `dropped a response for an unknown or expired request id ${JSON.stringify(frame.id).slice(0, 60)}`,
      );
      return;
    }
    if (frame.ok) this.settle(frame.id, undefined, frame.payload);
    else
      this.settle(
        frame.id,
        GatewayRequestError.fromGateway(
          entry.method,
          frame.error ?? { code: 'UNKNOWN', message: 'error without details' },
        ),
      );
  }

  private onConnectResponse(frame: ResponseFrame): void {
    clearTimeout(this.phaseTimer);
    if (!frame.ok) {
      // The close frame (1008/1002) follows; this error says why, so it wins over the bare close code.
      // The scopes asked for let a pairing refusal say what it is for where the gateway does not (2026.3.24/2026.4.26).
      this.pendingProblem = describeGatewayError(frame.error ?? { code: 'UNKNOWN', message: 'connect failed' }, {
        method: 'connect',
        requestedScopes: this.opts.scopes,
      });
      this.log('warn', `connect refused: ${frame.error?.code} ${frame.error?.message} (${this.pendingProblem.kind})`);
      return;
    }
    const unusable = unusableHelloReason(frame.payload, { min: MIN_PROTOCOL, max: MAX_PROTOCOL });
    const hello = unusable ? undefined : readHello(frame.payload);
    if (!hello) {
      this.pendingProblem = {
        kind: 'bad-hello',
        summary: 'unusable hello-ok',
        advice: `The gateway accepted the connection but its hello-ok could not be used (${unusable ?? 'unreadable'}). This gateway version may not be supported.`,
        action: 'upgrade-gateway',
        reconnect: 'stop',
      };
      this.log('warn', `rejected hello-ok: ${unusable ?? 'unreadable'}`);
      this.socket?.close(1002, 'unusable hello-ok');
      return;
    }
    if (hello.grantedScopes.length === 0 && this.opts.scopes.length > 0) {
      // No `auth` block (2026.3.24 issues none without a device token): one read call proves whether the scopes
      // were kept (device-signed backend client on loopback) or cleared (token only). An empty list is final.
      if (!hello.authReported && this.opts.scopes.some((s) => s === 'operator.read' || s === 'operator.write')) {
        this.probeScopes(hello);
        return;
      }
      this.refuseWithoutScopes(hello);
      return;
    }
    this.completeHandshake(hello);
  }

  private refuseWithoutScopes(hello: HelloSummary): void {
    this.pendingProblem = {
      kind: 'no-scopes',
      summary: 'this gateway needs a device identity / pairing',
      advice: `openclaw ${hello.serverVersion} accepted the connection but granted no scopes${hello.authReported ? '' : ' (its hello-ok carried no auth block, and a read call was refused for a missing scope)'}, so it cannot be read. It needs a paired device identity: approve this device on the gateway host (openclaw devices list, then openclaw devices approve <requestId>) — loopback gateways approve it automatically.`,
      action: 'approve-pairing',
      reconnect: 'slow',
    };
    this.log('warn', `hello-ok from ${hello.serverVersion} granted no scopes`);
    this.socket?.close(1000, 'no scopes granted');
  }

  private probeScopes(hello: HelloSummary): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    this.probeRequestId = `scope-probe-${this.attemptCount}`;
    this.probeHello = hello;
    socket.send(JSON.stringify({ type: 'req', id: this.probeRequestId, method: 'agents.list', params: {} }));
    this.armPhaseTimer(this.opts.helloTimeoutMs, {
      kind: 'hello-timeout',
      summary: 'no answer to the scope check',
      advice: `The gateway sent hello-ok without an auth block and did not answer a read call within ${this.opts.helloTimeoutMs / 1000} s: it is overloaded or its event loop is blocked.`,
      action: 'retry',
      reconnect: 'backoff',
    });
  }

  private onProbeResponse(frame: ResponseFrame): void {
    clearTimeout(this.phaseTimer);
    const hello = this.probeHello!;
    this.probeRequestId = undefined;
    this.probeHello = undefined;
    if (!frame.ok && missingScopeOf(frame.error)) {
      this.refuseWithoutScopes(hello);
      return;
    }
    // Any other answer passed the scope check: the requested scopes stand (a later call may still name one missing).
    this.log(
      'info',
      `hello-ok from ${hello.serverVersion} reported no scopes; a read call ${frame.ok ? 'succeeded' : `passed the scope check (${frame.error?.code})`}, so the requested scopes are in effect`,
    );
    this.completeHandshake({ ...hello, grantedScopes: [...this.opts.scopes], scopesInferred: true });
  }

  private completeHandshake(hello: HelloSummary): void {
    this.timing!.helloMs = this.now() - this.timing!.startedAt;
    this.phase = 'ready';
    this.lastHttpProbe = undefined; // a probe of an earlier outage says nothing of the next one
    this.hello = hello;
    this.missingScopes = this.opts.scopes.filter(
      (s) =>
        !hello.grantedScopes.includes(s) && !(s === 'operator.read' && hello.grantedScopes.includes('operator.write')),
    );
    this.connectedAt = this.now();
    this.backoff.reset();
    this.armWatchdog(hello);
    this.log(
      'info',
      `connected to ${this.opts.url}: openclaw ${hello.serverVersion}, protocol ${hello.protocol}, hello in ${this.timing!.helloMs} ms (open ${this.timing!.socketOpenMs} ms, challenge ${this.timing!.challengeMs} ms)`,
    );
    this.setState('connected', undefined);
    this.helloEmitter.fire(hello);
  }

  private watchWindowMs(hello: HelloSummary): number {
    const protocolFloor = hello.protocol <= 3 ? 90_000 : 0;
    return Math.max(2 * hello.tickIntervalMs, protocolFloor, this.opts.minTickWatchMs);
  }

  private armWatchdog(hello: HelloSummary): void {
    clearInterval(this.watchdogTimer);
    const windowMs = this.watchWindowMs(hello);
    const pingMs = this.opts.pingIntervalMs ?? 0;
    this.pingSentAt = 0;
    const dead = (summary: string, why: string) => {
      this.pendingProblem = { ...describeClose(4000, 'tick timeout'), closeCode: 4000, summary };
      this.log('warn', `${why}: closing the link as dead`);
      this.socket?.terminate();
    };
    this.watchdogTimer = setInterval(
      () => {
        const now = this.now();
        const silentMs = now - this.lastFrameAt;
        if (silentMs > windowMs) {
          dead(
            `gateway silent for ${Math.round(silentMs / 1000)} s`,
            `no frame for ${silentMs} ms (window ${windowMs} ms)`,
          );
          return;
        }
        if (pingMs <= 0) return;
        const outstanding = this.pingSentAt > this.lastFrameAt;
        if (outstanding && now - this.pingSentAt > pingMs) {
          dead(
            `gateway silent for ${(silentMs / 1000).toFixed(1)} s (no pong to a ping)`,
            `no frame for ${silentMs} ms and no pong ${now - this.pingSentAt} ms after a ping`,
          );
          return;
        }
        const socket = this.socket;
        if (!outstanding && silentMs >= pingMs && socket?.readyState === WebSocket.OPEN) {
          this.pingSentAt = now;
          try {
            socket.ping();
          } catch {
            /* closing: the close handler reports it */
          }
        }
      },
      Math.max(100, Math.min(windowMs / 4, pingMs > 0 ? pingMs / 4 : Infinity, 5_000)),
    );
    this.watchdogTimer.unref?.();
  }

  private closeSocket(code: number, reason: string, problem: ConnectionProblem | undefined): void {
    const socket = this.socket;
    this.socket = undefined;
    clearTimeout(this.phaseTimer);
    clearInterval(this.watchdogTimer);
    if (!socket) return;
    socket.removeAllListeners('message');
    socket.on('error', () => {});
    try {
      socket.readyState === WebSocket.OPEN ? socket.close(code, reason) : socket.terminate();
    } catch {
      /* already gone */
    }
    if (problem) this.problem = problem;
  }

  private lastFailureLine?: string;

  private onAttemptEnded(code: number | undefined, problem: ConnectionProblem): void {
    const wasReady = this.phase === 'ready';
    if (this.timing && !wasReady) this.timing.failedIn = this.phase;
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => {});
    this.socket = undefined;
    clearTimeout(this.phaseTimer);
    clearInterval(this.watchdogTimer);
    this.connectRequestId = undefined;
    this.probeRequestId = undefined;
    this.probeHello = undefined;
    this.connectedAt = undefined;
    this.failPending(
      'CONNECTION_CLOSED',
      `the connection closed before the gateway answered (${problem.summary}); the request may or may not have been applied`,
      problem,
    );
    // A gateway that stays down would otherwise write the same warning at every retry (about one a second on
    // loopback) and bury everything else in the output channel: the first of a run of identical failures is a
    // warning, the repeats are debug, and a change of reason is a warning again.
    const line = `disconnected from ${this.opts.url}${code !== undefined ? ` (close ${code})` : ''}: ${problem.summary}`;
    const repeat = !wasReady && this.lastFailureLine === line;
    this.lastFailureLine = wasReady ? undefined : line;
    this.log(repeat ? 'debug' : problem.reconnect === 'prompt' ? 'info' : 'warn', line);
    if (this.state === 'stopped') return;
    this.state = 'disconnected';
    this.problem = shouldProbeHttp(problem, wasReady) ? this.diagnose(problem) : problem;
    this.scheduleRetry(problem);
    this.emitState();
  }

  /**
   * The problem named by the gateway's HTTP probes: at once from a probe made in the last 5 s, else marked
   * `diagnosing` while one runs; its answer replaces whatever problem is still waiting for it.
   */
  private diagnose(problem: ConnectionProblem): ConnectionProblem {
    if (this.opts.httpProbe === false) return problem;
    // Only for the same failure: a probe made for another one (another fault, another moment) says nothing of this.
    const recent = this.lastHttpProbe;
    if (recent && recent.kind === problem.kind && this.now() - recent.result.at < 5_000)
      return diagnoseWithHttp(problem, recent.result);
    if (!this.httpProbeInFlight) {
      this.httpProbeInFlight = true;
      const probe =
        this.opts.httpProbe ?? ((url: string) => probeGatewayHttp(url, { tlsFingerprint: this.opts.tlsFingerprint }));
      void probe(this.opts.url)
        .then(
          (result) => {
            this.lastHttpProbe = { kind: problem.kind, result: { ...result, at: this.now() } };
            const waiting = this.problem;
            if (this.state === 'stopped' || !waiting?.diagnosing) return;
            const { diagnosing: _, ...asked } = waiting;
            this.problem = diagnoseWithHttp(asked, result);
            this.log('info', `HTTP probes after "${asked.summary}": ${probeFacts(result)}`);
            this.emitState();
          },
          (err: unknown) => {
            this.log('debug', `HTTP probe failed: ${(err as Error).message}`);
            if (!this.problem?.diagnosing || this.state === 'stopped') return;
            const { diagnosing: _, ...asked } = this.problem;
            this.problem = asked;
            this.emitState();
          },
        )
        .finally(() => {
          this.httpProbeInFlight = false;
        });
    }
    return { ...problem, diagnosing: true };
  }

  private scheduleRetry(problem: ConnectionProblem): void {
    if (!this.opts.reconnect || problem.reconnect === 'stop') return;
    let delay: number;
    if (problem.reconnect === 'prompt') {
      this.backoff.reset();
      this.restartExpectedUntil = this.now() + 120_000;
      delay = 250;
    } else if (problem.reconnect === 'slow') delay = this.opts.slowRetryMs;
    else delay = this.backoff.next();
    // While a restart is expected, poll often so we are back soon after the gateway is ready: every second, every
    // half second on loopback (measured under load: a 1 s poll plus the handshake came within 0.2 s of a 2 s bound).
    const loopback = isLoopbackUrl(this.opts.url);
    const restartPollMs = loopback ? 500 : 1_000;
    const restartExpected = this.now() < this.restartExpectedUntil && problem.reconnect !== 'slow';
    if (restartExpected) delay = Math.min(delay, restartPollMs);
    // Honour the gateway's retryAfterMs, but a starting loopback gateway is cheap to ask again within a second.
    if (problem.retryAfterMs)
      delay = Math.max(
        delay,
        loopback ? Math.min(problem.retryAfterMs, restartExpected ? restartPollMs : 1_000) : problem.retryAfterMs,
      );
    this.nextRetryAt = this.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state === 'disconnected') this.open();
    }, delay);
  }

  private clearRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextRetryAt = undefined;
  }

  private settle(id: string, error: GatewayRequestError | undefined, payload?: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.cleanup();
    if (error) entry.reject(error);
    else entry.resolve(payload);
  }

  private failPending(code: 'CONNECTION_CLOSED', message: string, problem?: ConnectionProblem): void {
    for (const [id, entry] of [...this.pending])
      this.settle(
        id,
        GatewayRequestError.local(entry.method, code, message, problem ? { ...problem, summary: message } : undefined),
      );
  }
}
