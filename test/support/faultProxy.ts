// A TCP proxy on loopback that sits between a client and a gateway and injects network faults on demand.
// It knows nothing about WebSocket framing except where the HTTP upgrade response ends, which is enough to
// break a connection "after the upgrade" or "in the middle of a frame".
//
//   const proxy = await FaultProxy.start({ port: gateway.port });
//   connect to proxy.url …
//   proxy.inject('half-open'); … proxy.clear();
//
// Faults (each stays on until clear() or the next inject()):
//   latency          every chunk, both directions, is delivered `latencyMs` (default 500 ms) after it arrived, in order
//   stall-mid-frame  gateway → client: the next chunk after the upgrade response is cut in half; the first half is
//                    delivered, nothing after it (the client holds an incomplete frame); client → gateway still flows
//   half-open        nothing is forwarded either way and no FIN is sent (a peer that vanished, a dead NAT entry);
//                    new connections are accepted and get nothing
//   reset            open connections are reset (RST, socket.resetAndDestroy()); new ones are reset on accept
//   no-upgrade       new connections: TCP is accepted, the upgrade request is swallowed, no HTTP response ever comes
//   no-challenge     new connections: the upgrade response is forwarded, every gateway frame after it is dropped
//   hold-upgrade     new connections: plain HTTP requests (/health, /readyz) pass, a WebSocket upgrade request is
//                    swallowed and never answered — the field's "HTTP answers, every WebSocket call times out"
// clear() ends the fault: connections it poisoned (stalled, half-open, swallowed) are destroyed, data flows again.
import net from 'node:net';

export type FaultKind =
  'latency' | 'stall-mid-frame' | 'half-open' | 'reset' | 'no-upgrade' | 'no-challenge' | 'hold-upgrade';

interface Pipe {
  queue: Array<{ data: Buffer; at: number }>;
  timer?: NodeJS.Timeout;
}

interface Link {
  id: number;
  client: net.Socket;
  upstream?: net.Socket;
  /** Bytes of the HTTP response head seen so far (until the blank line), gateway → client. */
  head: string;
  upgraded: boolean;
  /** This link no longer carries a usable stream (stalled, half-open, swallowed): destroyed on clear(). */
  poisoned: boolean;
  /** The fault fixed at accept time for connect-time faults. */
  openedUnder?: FaultKind;
  stalled: boolean;
  toClient: Pipe;
  toUpstream: Pipe;
  closed: boolean;
}

export interface FaultProxyStats {
  accepted: number;
  injected: Partial<Record<FaultKind, number>>;
  resets: number;
  /** Bytes held back or dropped by a fault. */
  withheldBytes: number;
}

export class FaultProxy {
  private fault?: FaultKind;
  private readonly links = new Set<Link>();
  private nextId = 1;
  readonly stats: FaultProxyStats = { accepted: 0, injected: {}, resets: 0, withheldBytes: 0 };

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
    readonly latencyMs: number,
  ) {}

  static async start(
    target: { host?: string; port: number },
    options: { latencyMs?: number } = {},
  ): Promise<FaultProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new FaultProxy(
      server,
      (server.address() as net.AddressInfo).port,
      { host: target.host ?? '127.0.0.1', port: target.port },
      options.latencyMs ?? 500,
    );
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }
  get activeFault(): FaultKind | undefined {
    return this.fault;
  }
  get openLinks(): number {
    return this.links.size;
  }

  inject(kind: FaultKind): void {
    this.fault = kind;
    this.stats.injected[kind] = (this.stats.injected[kind] ?? 0) + 1;
    if (kind === 'reset') for (const link of [...this.links]) this.reset(link);
    if (kind === 'half-open')
      for (const link of this.links) {
        link.poisoned = true;
        this.dropQueued(link);
      }
  }

  /** Ends the fault. Links it left without a usable stream are destroyed; healthy ones carry on. */
  clear(): void {
    this.fault = undefined;
    for (const link of [...this.links]) if (link.poisoned) this.destroy(link);
  }

  async close(): Promise<void> {
    this.fault = undefined;
    for (const link of [...this.links]) this.destroy(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- internals

  private accept(client: net.Socket): void {
    this.stats.accepted++;
    client.setNoDelay(true);
    const link: Link = {
      id: this.nextId++,
      client,
      head: '',
      upgraded: false,
      poisoned: false,
      stalled: false,
      toClient: { queue: [] },
      toUpstream: { queue: [] },
      closed: false,
      openedUnder: this.fault,
    };
    this.links.add(link);
    client.on('error', () => this.destroy(link));
    client.on('close', () => this.destroy(link));
    if (this.fault === 'reset') {
      this.reset(link);
      return;
    }
    if (this.fault === 'no-upgrade' || this.fault === 'half-open') {
      // Accept TCP and swallow everything: no upstream, no HTTP answer, no FIN.
      link.poisoned = true;
      client.on('data', (d: Buffer) => {
        this.stats.withheldBytes += d.length;
      });
      return;
    }
    if (this.fault === 'hold-upgrade') {
      // Decide on the request head: an upgrade is swallowed, anything else is proxied as usual.
      client.once('data', (first: Buffer) => {
        if (/^upgrade:\s*websocket/im.test(first.toString('latin1'))) {
          link.poisoned = true;
          this.stats.withheldBytes += first.length;
          client.on('data', (d: Buffer) => {
            this.stats.withheldBytes += d.length;
          });
          return;
        }
        this.connectUpstream(link, client);
        this.fromClient(link, first);
      });
      return;
    }
    this.connectUpstream(link, client);
  }

  private connectUpstream(link: Link, client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    upstream.setNoDelay(true);
    link.upstream = upstream;
    upstream.on('error', () => this.upstreamGone(link));
    upstream.on('close', () => this.upstreamGone(link));
    client.on('data', (d: Buffer) => this.fromClient(link, d));
    upstream.on('data', (d: Buffer) => this.fromUpstream(link, d));
    client.on('end', () => {
      const finish = () => {
        if (link.toUpstream.queue.length) {
          setTimeout(finish, 20);
          return;
        }
        if (!this.withholding(link)) link.upstream?.end();
      };
      finish();
    });
  }

  /** Is this link's traffic currently being held back or dropped (so a FIN must not pass either)? */
  private withholding(link: Link): boolean {
    return link.poisoned || this.fault === 'half-open';
  }

  private fromClient(link: Link, data: Buffer): void {
    if (link.closed) return;
    if (this.fault === 'half-open' || (link.poisoned && link.openedUnder !== 'no-challenge' && !link.stalled)) {
      this.stats.withheldBytes += data.length;
      return;
    }
    this.enqueue(link, link.toUpstream, data, () => link.upstream);
  }

  private fromUpstream(link: Link, data: Buffer): void {
    if (link.closed) return;
    if (this.fault === 'half-open' || link.stalled) {
      this.stats.withheldBytes += data.length;
      return;
    }
    let pass = data;
    if (!link.upgraded) {
      // Find the end of the HTTP response head (the upgrade answer); whatever follows is WebSocket frames.
      const before = link.head.length;
      link.head += data.toString('latin1');
      const end = link.head.indexOf('\r\n\r\n');
      if (end < 0) {
        this.enqueue(link, link.toClient, data, () => link.client);
        return;
      }
      link.upgraded = true;
      const headBytes = end + 4 - before;
      this.enqueue(link, link.toClient, data.subarray(0, headBytes), () => link.client);
      pass = data.subarray(headBytes);
      if (pass.length === 0) return;
    }
    if (link.openedUnder === 'no-challenge') {
      link.poisoned = true;
      this.stats.withheldBytes += pass.length;
      return;
    }
    if (this.fault === 'stall-mid-frame') {
      // Cut inside the chunk's first frame: a chunk may carry several (2026.3.24 sends a response and a broadcast in one),
      // and half a chunk could hold a whole response.
      const half = Math.min(Math.floor(pass.length / 2), midFirstFrame(pass));
      if (half > 0) this.enqueue(link, link.toClient, pass.subarray(0, half), () => link.client);
      this.stats.withheldBytes += pass.length - half;
      link.stalled = true;
      link.poisoned = true;
      return;
    }
    this.enqueue(link, link.toClient, pass, () => link.client);
  }

  /** In-order delivery with the current latency (a chunk never overtakes one queued before it). */
  private enqueue(link: Link, pipe: Pipe, data: Buffer, target: () => net.Socket | undefined): void {
    const delay = this.fault === 'latency' ? this.latencyMs : 0;
    const now = Date.now();
    if (delay === 0 && pipe.queue.length === 0) {
      this.write(target(), data);
      return;
    }
    pipe.queue.push({ data: Buffer.from(data), at: Math.max(now + delay, pipe.queue.at(-1)?.at ?? 0) });
    this.pump(link, pipe, target);
  }

  private pump(link: Link, pipe: Pipe, target: () => net.Socket | undefined): void {
    if (pipe.timer) return;
    const step = () => {
      pipe.timer = undefined;
      if (link.closed) {
        pipe.queue.length = 0;
        return;
      }
      const now = Date.now();
      while (pipe.queue.length && pipe.queue[0].at <= now) this.write(target(), pipe.queue.shift()!.data);
      if (pipe.queue.length) pipe.timer = setTimeout(step, pipe.queue[0].at - now);
    };
    pipe.timer = setTimeout(step, Math.max(0, (pipe.queue[0]?.at ?? 0) - Date.now()));
  }

  private write(socket: net.Socket | undefined, data: Buffer): void {
    if (socket && !socket.destroyed && socket.writable) socket.write(data);
  }

  private dropQueued(link: Link): void {
    for (const pipe of [link.toClient, link.toUpstream]) {
      for (const q of pipe.queue) this.stats.withheldBytes += q.data.length;
      pipe.queue.length = 0;
      clearTimeout(pipe.timer);
      pipe.timer = undefined;
    }
  }

  private upstreamGone(link: Link): void {
    // A wedged or vanished peer sends no FIN: keep the client side open while the fault withholds traffic.
    if (this.withholding(link) || link.stalled) {
      link.upstream = undefined;
      return;
    }
    // Otherwise pass the close on once everything queued has been delivered.
    const finish = () => {
      if (link.toClient.queue.length) {
        setTimeout(finish, 20);
        return;
      }
      this.destroy(link);
    };
    finish();
  }

  private reset(link: Link): void {
    this.stats.resets++;
    link.closed = true;
    this.dropQueued(link);
    this.links.delete(link);
    try {
      link.client.resetAndDestroy();
    } catch {
      link.client.destroy();
    }
    link.upstream?.destroy();
  }

  private destroy(link: Link): void {
    if (link.closed) return;
    link.closed = true;
    this.dropQueued(link);
    this.links.delete(link);
    link.client.destroy();
    link.upstream?.destroy();
  }
}

/** Offset of the middle of the first (unmasked, server → client) WebSocket frame that starts at the chunk's start. */
function midFirstFrame(chunk: Buffer): number {
  if (chunk.length < 2) return 0;
  const len7 = chunk[1] & 0x7f;
  const header = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
  if (chunk.length < header) return Math.floor(chunk.length / 2);
  const payload = len7 === 126 ? chunk.readUInt16BE(2) : len7 === 127 ? Number(chunk.readBigUInt64BE(2)) : len7;
  return header + Math.max(1, Math.floor(payload / 2));
}
