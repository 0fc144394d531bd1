// Test send: one probe message over a fresh connection, timing every phase a field report may fail in —
// TCP/WebSocket open, challenge, hello-ok, request accepted, first event, final reply — and classifying a
// failure for a person. It never retries on its own (the connection does not reconnect).
import {
  GatewayApi,
  GatewayConnection,
  type ConnectionProblem,
  type ConnectionSnapshot,
  type DeviceIdentityStore,
  type GatewayConnectionOptions,
  type EventFrame,
  type HttpProbeResult,
  type ReachabilityCase,
} from '../gateway';
import { probeGatewayHttp, readinessEventLoop } from '../gateway';
import { GatewayRequestError } from '../gateway';
import { findSessionRow } from './recovery';

export interface TestSendOptions {
  url: string;
  token?: string;
  identityStore?: DeviceIdentityStore;
  identityKey?: string;
  sessionKey: string;
  message?: string;
  /** Wait this long for the final reply after the request was accepted. */
  replyTimeoutMs?: number;
  connectTimeoutMs?: number;
  clientVersion?: string;
  signal?: AbortSignal;
  /** Replaces the gateway's HTTP probes, which name a failed connection (tests). */
  httpProbe?: (wsUrl: string) => Promise<HttpProbeResult>;
  /** The gateway's transport rules (pinned certificate, consent to plain ws://): Fleet.connectionSecurity. */
  security?: Pick<GatewayConnectionOptions, 'tlsFingerprint' | 'allowPlaintextRemote'>;
  /**
   * The whole connection, from OperatorConnections (credentials, device, client version, transport rules, request
   * timeout, logger): used instead of url/token/identity/clientVersion/security. Its request timeout bounds chat.send
   * too (without it, 60 s: 2026.4.x stalls up to 55 s).
   */
  connection?: GatewayConnectionOptions;
}

export interface TestSendPhase {
  name: string;
  ms?: number;
  ok: boolean;
  detail?: string;
}

export interface TestSendReport {
  ok: boolean;
  /** Stable kind for the failure, e.g. `ws-wedged`, `preauth-timeout`, `auth`, `lane-held`, `no-reply`. */
  failure?: string;
  summary: string;
  phases: TestSendPhase[];
  runId?: string;
  reply?: string;
  idempotencyKey: string;
  /** What the probe leaves in the session, in words: the message stays in the transcript once accepted. */
  leftBehind: string;
  /** Why the connection failed, when it did (its kind decides the advice each host gives). */
  problem?: ConnectionProblem;
}

/** Said before sending, by the extension's confirmation and the CLI's prompt: a probe is not free of side effects. */
export function testSendNotice(sessionKey: string): string {
  return `This writes a message into ${sessionKey}'s transcript. It stays there, and the agent answers it: now, or later if the session is busy.`;
}

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Test send's failure kind for each case the HTTP probes name (reachability.ts). */
const FAILURE_OF_CASE: Record<ReachabilityCase, string> = {
  'http-only': 'ws-wedged',
  unresponsive: 'ws-timeout',
  'event-loop-blocked': 'overloaded',
  'no-hello': 'no-hello',
  draining: 'draining',
  starting: 'starting',
  'process-gone': 'gateway-gone',
};

/**
 * A request that timed out on a connected gateway: does the gateway say its event loop is degraded? Then that is
 * the likely cause, in words with its figures; else nothing.
 */
async function overloadNote(probe: (url: string) => Promise<HttpProbeResult>, url: string): Promise<string> {
  try {
    const loop = readinessEventLoop(await probe(url));
    if (!loop?.degraded) return '';
    const figures = [
      loop.utilization !== undefined ? `${Math.round(loop.utilization * 100)}% busy` : '',
      loop.delayP99Ms !== undefined ? `p99 delay ${Math.round(loop.delayP99Ms)} ms` : '',
    ].filter(Boolean);
    return ` The gateway reports its event loop as degraded${figures.length ? ` (${figures.join(', ')})` : ''}: it is overloaded, which explains the wait. Give it time, or find what keeps it busy (a CPU profile) and restart it.`;
  } catch {
    return '';
  }
}

function handshakePhases(s: ConnectionSnapshot): TestSendPhase[] {
  const t = s.handshake;
  const failedIn = t?.failedIn;
  return [
    { name: 'TCP + WebSocket open', ms: t?.socketOpenMs, ok: t?.socketOpenMs !== undefined },
    { name: 'connect.challenge', ms: t?.challengeMs, ok: t?.challengeMs !== undefined },
    {
      name: 'hello-ok',
      ms: t?.helloMs,
      ok: t?.helloMs !== undefined,
      detail: failedIn ? `failed during ${failedIn}` : undefined,
    },
  ];
}

function replyText(payload: Record<string, unknown>): string | undefined {
  const content = rec(payload.message).content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => (typeof rec(c).text === 'string' ? rec(c).text : '')).join('');
  return undefined;
}

export async function testSend(opts: TestSendOptions): Promise<TestSendReport> {
  const idempotencyKey = `lanewatch-probe-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const probe =
    opts.httpProbe ??
    ((url: string) =>
      probeGatewayHttp(url, { tlsFingerprint: opts.security?.tlsFingerprint ?? opts.connection?.tlsFingerprint }));
  const connection = new GatewayConnection(
    opts.connection
      ? { ...opts.connection, reconnect: false, httpProbe: probe }
      : {
          httpProbe: probe,
          url: opts.url,
          credentials: () => ({ token: opts.token }),
          scopes: ['operator.read', 'operator.write'],
          identityStore: opts.identityStore,
          identityKey: opts.identityKey,
          clientVersion: opts.clientVersion,
          clientDisplayName: 'Lanewatch test send',
          reconnect: false,
          ...opts.security,
        },
  );
  const api = new GatewayApi(connection);
  const started = Date.now();
  /** Whether the probe is in the transcript: yes once accepted; unknown when the send got no answer. */
  let written: 'no' | 'yes' | 'unknown' = 'no';
  const report = (r: Omit<TestSendReport, 'idempotencyKey' | 'leftBehind'>): TestSendReport => {
    const leftBehind =
      written === 'no'
        ? 'Nothing was written: the gateway did not accept the message.'
        : written === 'unknown'
          ? "The gateway did not answer the send: the message may or may not be in the session's transcript."
          : r.ok
            ? "The message and its reply stay in the session's transcript."
            : "The message stays in the session's transcript, and the agent may still answer it later.";
    return { ...r, summary: `${r.summary} ${leftBehind}`, idempotencyKey, leftBehind };
  };
  try {
    connection.start();
    try {
      await connection.waitForConnected(opts.connectTimeoutMs ?? 60_000, opts.signal);
    } catch (err) {
      const snap = connection.snapshot();
      const phases = handshakePhases(snap);
      const p = snap.problem ?? (err as GatewayRequestError).problem;
      const failedIn = snap.handshake?.failedIn;
      const named = p?.diagnosis?.case;
      if (p && named)
        return report({
          ok: false,
          failure: FAILURE_OF_CASE[named],
          phases,
          problem: p,
          summary: `${p.summary}: ${p.advice}`,
        });
      if (p?.closeCode === 1000 && failedIn && failedIn !== 'ready') {
        return report({
          ok: false,
          failure: 'preauth-timeout',
          phases,
          summary: `gateway closed (1000 normal closure) during the ${failedIn} phase: its pre-auth handshake timeout passed before hello-ok (the gateway is overloaded or its event loop is blocked).`,
        });
      }
      const authKinds = [
        'auth-token-mismatch',
        'auth-required',
        'auth-password',
        'auth-not-configured',
        'auth-rate-limited',
        'auth-device',
        'pairing-required',
        'device-identity-required',
        'no-scopes',
      ];
      return report({
        ok: false,
        failure: p && authKinds.includes(p.kind) ? 'auth' : (p?.kind ?? 'connect'),
        phases,
        problem: p,
        summary: p ? `${p.summary}: ${p.advice}` : (err as Error).message,
      });
    }
    const phases = handshakePhases(connection.snapshot());
    const events: EventFrame[] = [];
    let runId: string | undefined;
    let firstEventMs: number | undefined;
    let queuedBehind = false;
    const final = new Promise<{ state: string; payload: Record<string, unknown> }>((resolve) => {
      const onFrame = (f: EventFrame) => {
        const p = rec(f.payload);
        if (p.sessionKey !== opts.sessionKey) return;
        if (!runId || (p.runId !== runId && p.runId !== idempotencyKey)) {
          events.push(f);
          return;
        }
        firstEventMs ??= Date.now() - started;
        // A message queued behind another run gets a `final` without a message for its own run id: not a reply.
        if (f.event === 'chat' && p.state === 'final' && !p.message) {
          queuedBehind = true;
          return;
        }
        if (f.event === 'chat' && (p.state === 'final' || p.state === 'aborted' || p.state === 'error'))
          resolve({ state: String(p.state), payload: p });
      };
      connection.onEvent('chat', onFrame);
      connection.onEvent('agent', onFrame);
    });
    const tSend = Date.now();
    let accepted;
    try {
      accepted = await api.chatSend(
        {
          sessionKey: opts.sessionKey,
          message: opts.message ?? 'Lanewatch test send: please reply with one short sentence.',
          idempotencyKey,
        },
        // 2026.4.x stalls up to 55 s: 60 s unless the host's request timeout says otherwise.
        { signal: opts.signal, timeoutMs: opts.connection?.requestTimeoutMs ?? 60_000 },
      );
    } catch (err) {
      if (!(err instanceof GatewayRequestError && err.answered)) written = 'unknown';
      phases.push({ name: 'request accepted', ok: false, detail: (err as Error).message });
      const timedOut = err instanceof GatewayRequestError && err.code === 'TIMEOUT';
      const overloaded = timedOut ? await overloadNote(probe, opts.connection?.url ?? opts.url) : '';
      return report({
        ok: false,
        failure:
          err instanceof GatewayRequestError && err.problem.kind === 'missing-scope'
            ? 'auth'
            : overloaded
              ? 'overloaded'
              : 'not-accepted',
        phases,
        summary: `the message was not accepted: ${(err as Error).message}.${overloaded}`,
      });
    }
    written = 'yes';
    runId = accepted.runId ?? idempotencyKey;
    // Events that arrived before the answer to chat.send are replayed against the now-known run id.
    for (const f of events.splice(0)) {
      const p = rec(f.payload);
      if (p.runId === runId) firstEventMs ??= Date.now() - started;
    }
    phases.push({
      name: 'request accepted',
      ms: Date.now() - started,
      ok: true,
      detail: `${accepted.status} in ${Date.now() - tSend} ms`,
    });
    const timeoutMs = opts.replyTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      final,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
        opts.signal?.addEventListener('abort', () => resolve(undefined), { once: true });
      }),
    ]);
    clearTimeout(timer);
    phases.push({ name: 'first event', ms: firstEventMs, ok: firstEventMs !== undefined });
    if (!outcome) {
      phases.push({
        name: 'final reply',
        ok: false,
        detail: opts.signal?.aborted ? 'cancelled' : `none within ${Math.round(timeoutMs / 1000)} s`,
      });
      if (opts.signal?.aborted)
        return report({
          ok: false,
          failure: 'cancelled',
          phases,
          runId,
          summary: 'cancelled while waiting for the reply (the message was accepted and may still be answered)',
        });
      let holder = '';
      try {
        const row = await findSessionRow(api, opts.sessionKey);
        const h = await api.chatHistory({ sessionKey: opts.sessionKey, limit: 1 });
        const other =
          h.inFlightRun && h.inFlightRun.runId !== runId
            ? h.inFlightRun.runId
            : (Array.isArray(row?.activeRunIds) ? (row.activeRunIds as string[]) : []).find((id) => id !== runId);
        // Protocol 3 rows and histories say nothing about runs: being queued behind another run is the evidence there.
        const rowsSay = typeof row?.hasActiveRun === 'boolean';
        if (queuedBehind && !other && (row?.hasActiveRun || !rowsSay))
          holder = 'an active run (the probe was queued behind it)';
        else if (row?.hasActiveRun && other)
          holder = `run ${other}${typeof row.startedAt === 'number' ? ` (running since ${new Date(row.startedAt).toISOString()})` : ''}`;
        else if (row?.hasActiveRun) holder = 'an active run';
      } catch {
        /* diagnosis is best effort */
      }
      const overloaded = holder ? '' : await overloadNote(probe, opts.connection?.url ?? opts.url);
      return report({
        ok: false,
        failure: holder ? 'lane-held' : overloaded ? 'overloaded' : 'no-reply',
        phases,
        runId,
        summary: holder
          ? `accepted, but no reply within ${Math.round(timeoutMs / 1000)} s because the session's lane is held by ${holder}. Abort it, or recover the session.`
          : overloaded
            ? `accepted, but no reply within ${Math.round(timeoutMs / 1000)} s.${overloaded}`
            : `accepted, but no reply within ${Math.round(timeoutMs / 1000)} s and nothing else holds the lane: the model call itself is slow or hung.`,
      });
    }
    const reply = replyText(outcome.payload);
    phases.push({
      name: 'final reply',
      ms: Date.now() - started,
      ok: outcome.state === 'final',
      detail:
        outcome.state !== 'final'
          ? `${outcome.state}${typeof outcome.payload.errorMessage === 'string' ? `: ${outcome.payload.errorMessage}` : ''}`
          : undefined,
    });
    if (outcome.state !== 'final')
      return report({
        ok: false,
        failure: outcome.state === 'error' ? 'run-error' : 'run-aborted',
        phases,
        runId,
        summary: `the run ended ${outcome.state}${typeof outcome.payload.errorMessage === 'string' ? `: ${outcome.payload.errorMessage}` : ''}`,
      });
    return report({
      ok: true,
      phases,
      runId,
      reply,
      summary: `reply in ${Date.now() - started} ms: ${JSON.stringify((reply ?? '').slice(0, 120))}`,
    });
  } finally {
    connection.dispose();
  }
}
