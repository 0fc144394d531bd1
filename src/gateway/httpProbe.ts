// The gateway's HTTP probes, asked next to the WebSocket when the WebSocket fails, so a failure can be named:
// "process gone" (nothing answers), "HTTP answers but the WebSocket does not" (the field's wedged gateway),
// "draining", "starting", "event loop blocked". `/health` says the HTTP server is live, `/startupz` whether it is
// starting or draining, `/readyz` whether it admits traffic, and to a local caller also the latest event-loop sample
// (openclaw 2026.9.x, docs/gateway/health.md "HTTP probes"). They are unauthenticated: no token is sent.
// fetchGatewayText reads one authenticated operator route as text (the diagnostics-prometheus plugin's
// /api/diagnostics/prometheus): the token goes in the Authorization header only, never in the URL or an error.
import http from 'node:http';
import https from 'node:https';
import tls, { type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { normalizeFingerprint } from './transportSecurity';

export type ProbeOutcome =
  | {
      answered: true;
      status: number;
      ms: number;
      body?: Record<string, unknown>;
      /** fetchGatewayText only: the body as text (up to its bound), its content type, and whether it was cut. */
      text?: string;
      contentType?: string;
      truncated?: boolean;
    }
  | { answered: false; reason: 'refused' | 'timeout' | 'error'; ms: number; error: string };

/** The event-loop sample `/readyz` gives a local caller (fields as the gateway names them; absent = not reported). */
export interface ProbeEventLoop {
  degraded?: boolean;
  reasons?: string[];
  delayP99Ms?: number;
  delayMaxMs?: number;
  utilization?: number;
  cpuCoreRatio?: number;
}

export interface HttpProbeResult {
  /** The HTTP origin asked (from the gateway's ws:// or wss:// URL). */
  origin: string;
  at: number;
  health: ProbeOutcome;
  startup: ProbeOutcome;
  ready: ProbeOutcome;
}

export interface HttpProbeOptions {
  /** Each request's bound; the three run side by side. */
  timeoutMs?: number;
  /** wss:// with a pinned self-signed certificate: only a server presenting it is read. */
  tlsFingerprint?: string;
  signal?: AbortSignal;
}

/** Bodies are small JSON objects; anything larger is not a probe answer and is not read further. */
const MAX_BODY_BYTES = 64 * 1024;

export function httpOriginOf(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  return u.origin;
}

/** How one request reads its answer: JSON probes (the default) or an authenticated text route. */
interface ReadMode {
  headers?: Record<string, string>;
  maxBytes: number;
  text: boolean;
}
const JSON_PROBE: ReadMode = { maxBytes: MAX_BODY_BYTES, text: false };

function getOnce(url: string, options: HttpProbeOptions, mode: ReadMode = JSON_PROBE): Promise<ProbeOutcome> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 2_000;
  const secure = url.startsWith('https:');
  const pinned = options.tlsFingerprint ? normalizeFingerprint(options.tlsFingerprint) : undefined;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(outcome);
    };
    const failed = (reason: 'refused' | 'timeout' | 'error', error: string) =>
      finish({ answered: false, reason, ms: Date.now() - started, error });
    const onAbort = () => failed('error', 'cancelled');
    // A pinned self-signed certificate: the TLS socket is made here and handed to the request only once the server
    // has presented exactly that certificate, so not one header (the token) is written to any other server.
    const pinnedConnection = (
      opts: { host?: string | null; hostname?: string | null; port?: number | string | null; servername?: string },
      ready: (err: Error | null, socket?: Duplex) => void,
    ): undefined => {
      const host = opts.hostname ?? opts.host ?? 'localhost';
      const socket = tls.connect({
        host,
        port: Number(opts.port),
        rejectUnauthorized: false,
        ...(/^[\d.:[\]]+$/.test(host) ? {} : { servername: host }),
      });
      socket.once('secureConnect', () => {
        if (socket.getPeerCertificate()?.fingerprint256 === pinned) ready(null, socket);
        else {
          socket.destroy();
          ready(new Error('the server did not present the pinned certificate'));
        }
      });
      socket.once('error', (err: Error) => ready(err));
      return undefined;
    };
    const requestOptions: https.RequestOptions = {
      method: 'GET',
      headers: { accept: mode.text ? 'text/plain' : 'application/json', ...mode.headers },
      // Node uses `createConnection` only without an agent (agent: false makes one, which would connect itself).
      ...(secure && pinned
        ? {
            agent: undefined,
            rejectUnauthorized: false,
            // An agent put on the request anyway (VS Code's) must not resume a cached TLS session: a resumed session
            // presents no certificate to compare with the pin (see connection.ts).
            session: undefined,
            createConnection: pinnedConnection as https.RequestOptions['createConnection'],
          }
        : { agent: false }),
    };
    const req = (secure ? https : http).request(url, requestOptions, (res) => {
      if (pinned) {
        const presented = (res.socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
        if (presented !== pinned) {
          failed('error', 'the server did not present the pinned certificate');
          return;
        }
      }
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const answered = () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (mode.text) {
          const contentType = String(res.headers['content-type'] ?? '');
          finish({ answered: true, status, ms: Date.now() - started, text: raw, contentType, truncated });
          return;
        }
        let body: Record<string, unknown> | undefined;
        try {
          const parsed: unknown = JSON.parse(raw);
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
        } catch {
          // not JSON: the status line is the answer
        }
        finish({ answered: true, status, ms: Date.now() - started, body });
      };
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > mode.maxBytes) {
          truncated = true;
          answered();
        } else chunks.push(chunk);
      });
      res.on('end', answered);
      res.on('error', answered);
      // A status line with a body that never ends still says the HTTP server answered.
      clearTimeout(timer);
      timer = setTimeout(answered, timeoutMs);
    });
    let timer = setTimeout(() => failed('timeout', `no answer within ${timeoutMs} ms`), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      failed(err.code === 'ECONNREFUSED' ? 'refused' : 'error', err.code ?? err.message),
    );
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

/** One probe (`/readyz`, `/health`, …) of the gateway at `wsUrl`; never throws, bounded in time and size. */
export function probeHttpPath(wsUrl: string, path: string, options: HttpProbeOptions = {}): Promise<ProbeOutcome> {
  return getOnce(httpOriginOf(wsUrl) + path, options);
}

export interface GatewayTextOptions extends HttpProbeOptions {
  /** Sent as `Authorization: Bearer …` (the gateway's operator auth); never put in the URL. */
  token?: string;
  /** The body is read up to this many bytes; past it the answer says `truncated`. */
  maxBytes: number;
}

/** GET an operator route of the gateway at `wsUrl` as text, authenticated by header; never throws, bounded. */
export function fetchGatewayText(wsUrl: string, path: string, options: GatewayTextOptions): Promise<ProbeOutcome> {
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : undefined;
  return getOnce(httpOriginOf(wsUrl) + path, options, { headers, maxBytes: options.maxBytes, text: true });
}

/** Asks `/health`, `/startupz` and `/readyz` side by side; never throws, bounded by `timeoutMs` (default 2 s). */
export async function probeGatewayHttp(wsUrl: string, options: HttpProbeOptions = {}): Promise<HttpProbeResult> {
  const origin = httpOriginOf(wsUrl);
  const at = Date.now();
  const [health, startup, ready] = await Promise.all(
    ['/health', '/startupz', '/readyz'].map((path) => getOnce(origin + path, options)),
  );
  return { origin, at, health, startup, ready };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The event-loop sample in `/readyz`'s detailed answer, when there is one. */
export function readinessEventLoop(probe: HttpProbeResult): ProbeEventLoop | undefined {
  if (!probe.ready.answered) return undefined;
  const loop = probe.ready.body?.eventLoop;
  if (!loop || typeof loop !== 'object') return undefined;
  const l = loop as Record<string, unknown>;
  return {
    degraded: typeof l.degraded === 'boolean' ? l.degraded : undefined,
    reasons: Array.isArray(l.reasons) ? l.reasons.filter((r): r is string => typeof r === 'string') : undefined,
    delayP99Ms: num(l.delayP99Ms),
    delayMaxMs: num(l.delayMaxMs),
    utilization: num(l.utilization),
    cpuCoreRatio: num(l.cpuCoreRatio),
  };
}

/** `/startupz`'s `status` ("starting", "draining", "started"), or `/readyz` failing with draining. */
export function startupStatus(probe: HttpProbeResult): string | undefined {
  const s = probe.startup.answered ? probe.startup.body?.status : undefined;
  return typeof s === 'string' ? s : undefined;
}

/** `/readyz`'s `failing` list (subsystems that keep the gateway from admitting traffic). */
export function readinessFailing(probe: HttpProbeResult): string[] {
  const f = probe.ready.answered ? probe.ready.body?.failing : undefined;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string').slice(0, 10) : [];
}
