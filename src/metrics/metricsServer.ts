// The HTTP side of `lanewatch serve`: /metrics (OpenMetrics when the scraper asks for it, else the Prometheus text
// format) and /healthz (the exporter itself is up and serving), on the address the user chose with --metrics-listen.
// Nothing else is served; nothing here reads a request body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';

/** --metrics-listen default: this machine only (the metrics name sessions; expose them on purpose, not by default). */
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9464';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * HOST:PORT, [IPv6]:PORT. PORT 0 picks a free port (printed at start). The problem in words, or the address.
 * HOST is an IP address or a host name (localhost); there is no "all interfaces" default: say 0.0.0.0 or [::].
 */
export function parseListenAddress(raw: string): ListenAddress | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(raw.trim());
  if (!m)
    return `"${raw.slice(0, 80)}" is not HOST:PORT (e.g. 127.0.0.1:9464, 0.0.0.0:9464 for every interface, [::1]:9464)`;
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (!host) return `"${raw.slice(0, 80)}" has no host: write 127.0.0.1:${port} (this machine) or 0.0.0.0:${port}`;
  if (m[1] !== undefined && isIP(host) !== 6) return `"${host}" in brackets is not an IPv6 address`;
  if (!isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(host))
    return `"${host.slice(0, 80)}" is neither an IP address nor a host name`;
  if (port > 65535) return `port ${port} is out of range (0-65535)`;
  return { host, port };
}

/** A listen error as an operator reads it: what happened, what to do. */
export function listenErrorText(err: NodeJS.ErrnoException, addr: ListenAddress): string {
  const where = `${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `cannot serve metrics on ${where}: another program is already listening there. Stop it, or choose another port with --metrics-listen HOST:PORT`;
    case 'EADDRNOTAVAIL':
      return `cannot serve metrics on ${where}: ${addr.host} is not an address of this machine. Use one of its addresses, 127.0.0.1, or 0.0.0.0 for all`;
    case 'EACCES':
      return `cannot serve metrics on ${where}: permission denied (ports below 1024 need privileges). Choose a port above 1024, e.g. ${DEFAULT_METRICS_LISTEN}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot serve metrics on ${where}: the host name ${addr.host} does not resolve. Use an IP address`;
    default:
      return `cannot serve metrics on ${where}: ${err.message}`;
  }
}

export interface MetricsSource {
  render(openMetrics: boolean): Promise<{ contentType: string; body: string }>;
}

export interface MetricsServer {
  /** The address actually bound (the port chosen when 0 was asked). */
  address: ListenAddress;
  url: string;
  close(): Promise<void>;
}

/** Whether the scraper's Accept header asks for OpenMetrics (Prometheus sends it first, with q=1). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'application/openmetrics-text') return false;
    const q = params.find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

export interface HealthState {
  /** Short facts for /healthz (gateways configured, connected); never a token or a session key. */
  summary(): Record<string, unknown>;
}

/** Listens, or rejects with the listen error's words (EADDRINUSE and friends: see listenErrorText). */
export async function startMetricsServer(
  addr: ListenAddress,
  source: MetricsSource,
  health: HealthState,
  log: (message: string) => void = () => {},
): Promise<MetricsServer> {
  let closing = false;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      log(`scrape failed: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('metrics could not be collected; see the exporter log\n');
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('only GET and HEAD\n');
      return;
    }
    if (path === '/metrics') {
      const { contentType, body } = await source.render(wantsOpenMetrics(req.headers.accept));
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/healthz') {
      const body = JSON.stringify({ status: closing ? 'stopping' : 'ok', ...health.summary() });
      res.writeHead(closing ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('lanewatch serve: /metrics (Prometheus/OpenMetrics), /healthz\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found: /metrics or /healthz\n');
  }
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw new ListenError(listenErrorText(err, addr), err.code);
  });
  server.on('error', (err) => log(`metrics server: ${err.message}`));
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? { host: addr.host, port: bound.port } : addr;
  const hostPart = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    address,
    url: `http://${hostPart}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export class ListenError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
