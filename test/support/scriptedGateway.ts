// A scripted stand-in for a gateway, for unit tests of the connection's edge cases (the real gateway is
// used by test/gateway/**). Each behaviour is something a real or broken gateway does on the wire.
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ScriptedGatewayOptions {
  /** What to do once the socket is upgraded. Default: a well-behaved protocol-4 gateway. */
  onConnection?: (ws: WebSocket, gw: ScriptedGateway) => void;
  helloOverrides?: Record<string, unknown>;
  /** Respond to requests (after hello). Return undefined to not answer. */
  handleRequest?: (method: string, params: any, id: string, ws: WebSocket) => unknown;
  /** Serve wss:// with this certificate (PEM) instead of ws://. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export class ScriptedGateway {
  readonly sockets = new Set<WebSocket>();
  readonly connectParams: any[] = [];
  connections = 0;
  /** wss:// only: TLS handshakes completed, and HTTP requests (upgrades included) that reached the server after one. */
  tlsHandshakes = 0;
  httpRequests = 0;
  /** Resolves when the first TCP connection of a wss:// gateway has closed on the server side: everything it carried has arrived. */
  readonly firstTlsConnectionClosed: Promise<void>;
  private tlsClosed!: () => void;
  private constructor(
    readonly wss: WebSocketServer,
    readonly port: number,
    private readonly opts: ScriptedGatewayOptions,
    private readonly https?: HttpsServer,
  ) {
    this.firstTlsConnectionClosed = new Promise((r) => {
      this.tlsClosed = r;
    });
  }

  static async start(opts: ScriptedGatewayOptions = {}): Promise<ScriptedGateway> {
    let wss: WebSocketServer;
    let https: HttpsServer | undefined;
    let port: number;
    if (opts.tls) {
      https = createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert });
      wss = new WebSocketServer({ server: https });
      await new Promise<void>((r) => https!.listen(0, '127.0.0.1', () => r()));
      port = (https.address() as { port: number }).port;
    } else {
      wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise<void>((r) => wss.once('listening', () => r()));
      port = (wss.address() as { port: number }).port;
    }
    const gw = new ScriptedGateway(wss, port, opts, https);
    https?.on('connection', (socket) => {
      socket.once('close', () => gw.tlsClosed());
    });
    https?.on('secureConnection', () => {
      gw.tlsHandshakes++;
    });
    https?.on('request', () => {
      gw.httpRequests++;
    });
    https?.on('upgrade', () => {
      gw.httpRequests++;
    });
    https?.on('tlsClientError', () => {});
    wss.on('connection', (ws) => {
      gw.connections++;
      gw.sockets.add(ws);
      ws.on('close', () => gw.sockets.delete(ws));
      (opts.onConnection ?? ((s, g) => g.behaveNormally(s)))(ws, gw);
    });
    return gw;
  }

  get url(): string {
    return `${this.https ? 'wss' : 'ws'}://127.0.0.1:${this.port}`;
  }

  hello(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      type: 'hello-ok',
      protocol: 4,
      server: { version: '2026.9.6-test', bootId: 'boot-1', connId: `c${this.connections}` },
      features: {
        methods: ['health', 'sessions.list', 'sessions.abort', 'chat.history'],
        events: ['tick', 'sessions.changed', 'shutdown'],
      },
      snapshot: { sessionDefaults: { defaultAgentId: 'main', mainSessionKey: 'agent:main:main' } },
      auth: { role: 'operator', scopes: ['operator.read'] },
      policy: { maxPayload: 1024 * 1024, tickIntervalMs: 30_000 },
      ...this.opts.helloOverrides,
      ...overrides,
    };
  }

  /** challenge → connect → hello-ok, then answers requests through handleRequest (default: echo `{ok:true}`). */
  behaveNormally(ws: WebSocket, helloOverrides: Record<string, unknown> = {}): void {
    ws.send(
      JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'nonce-1', ts: Date.now() } }),
    );
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.method === 'connect') {
        this.connectParams.push(frame.params);
        ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: this.hello(helloOverrides) }));
        return;
      }
      const answer = this.opts.handleRequest
        ? this.opts.handleRequest(frame.method, frame.params, frame.id, ws)
        : { ok: true };
      if (answer !== undefined) ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: answer }));
    });
  }

  broadcast(frame: unknown): void {
    for (const s of this.sockets) s.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    if (this.https) {
      this.https.closeAllConnections();
      await new Promise<void>((r) => this.https!.close(() => r()));
    }
  }
}

/** A TCP listener that accepts connections and never answers (the upgrade never completes). */
export async function startSilentTcpListener(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Resolves with the first value `pick` returns for a state change, or rejects after `ms`. */
export function waitFor<T>(
  subscribe: (listener: (v: any) => void) => { dispose(): void },
  pick: (v: any) => T | undefined,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`condition not met within ${ms} ms`));
    }, ms);
    const sub = subscribe((v) => {
      const r = pick(v);
      if (r !== undefined) {
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      }
    });
  });
}
