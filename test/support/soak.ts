// A soak against a scripted gateway: connect/disconnect churn, event bursts, request bursts (some timing out, some
// cancelled), 1012 restarts, and short-lived watchers that are created, synced and disposed — while sampling what
// must not grow: sockets and timers (process.getActiveResourcesInfo()), listeners on the long-lived objects, pending
// requests, and heapUsed after GC. Shared by the short form (test/unit/soak.test.ts, 60 s) and the long form
// (bench/soak.mjs, 2 h by default), so both exercise the same thing.
import v8 from 'node:v8';
import vm from 'node:vm';
import { GatewayConnection, MemoryDeviceIdentityStore } from '../../src/gateway';
import { GatewayWatcher } from '../../src/fleet/gatewayWatcher';
import { ScriptedGateway } from './scriptedGateway';
import { prng } from './prng';

export interface SoakOptions {
  durationMs: number;
  /** How often to sample (default: every 5 s). */
  sampleEveryMs?: number;
  /** Samples taken before this are warm-up: bounds are measured against the first sample after it (default 10 s). */
  warmupMs?: number;
  seed?: number;
  /** Sessions the scripted gateway lists. */
  sessions?: number;
  log?: (line: string) => void;
}

export interface SoakSample {
  atMs: number;
  heapUsed: number;
  rss: number;
  /** process.getActiveResourcesInfo(), counted by type. */
  resources: Record<string, number>;
  serverSockets: number;
  /** Listeners on the long-lived connection and watcher (all their emitters), and pending requests. */
  listeners: number;
  pending: number;
  watcherRows: number;
}

export interface SoakCounts {
  serverDrops: number;
  restarts: number;
  reconnectNow: number;
  shortLivedWatchers: number;
  events: number;
  requests: number;
  requestTimeouts: number;
  requestsCancelled: number;
  requestsClosed: number;
  connects: number;
}

export interface SoakResult {
  baseline: SoakSample;
  samples: SoakSample[];
  /** After every client was disposed and the gateway closed. */
  final: SoakSample;
  counts: SoakCounts;
  seed: number;
  durationMs: number;
}

const gcNow: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Total listeners on every Emitter a connection or watcher owns (private fields: this is a leak probe). */
export function listenerCount(c: GatewayConnection, w?: GatewayWatcher): number {
  const x = c as unknown as {
    stateEmitter: { size: number };
    anyEventEmitter: { size: number };
    helloEmitter: { size: number };
    gapEmitter: { size: number };
    eventEmitters: Map<string, { size: number }>;
  };
  let n = x.stateEmitter.size + x.anyEventEmitter.size + x.helloEmitter.size + x.gapEmitter.size;
  for (const e of x.eventEmitters.values()) n += e.size;
  if (w) n += (w as unknown as { changes: { size: number } }).changes.size;
  return n;
}

export function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const seed = opts.seed ?? 1;
  const rand = prng(seed);
  const log = opts.log ?? (() => {});
  const sampleEvery = opts.sampleEveryMs ?? 5_000;
  const warmupMs = opts.warmupMs ?? 10_000;
  const counts: SoakCounts = {
    serverDrops: 0,
    restarts: 0,
    reconnectNow: 0,
    shortLivedWatchers: 0,
    events: 0,
    requests: 0,
    requestTimeouts: 0,
    requestsCancelled: 0,
    requestsClosed: 0,
    connects: 0,
  };
  const nSessions = opts.sessions ?? 200;
  const rows = Array.from({ length: nSessions }, (_, i) => ({
    key: `agent:main:soak-${i}`,
    sessionId: `s${i}`,
    status: 'done',
    hasActiveRun: false,
    activeRunIds: [] as string[],
    agentId: 'main',
    updatedAt: Date.now(),
  }));

  const sample = (
    atMs: number,
    gw: ScriptedGateway | undefined,
    c?: GatewayConnection,
    w?: GatewayWatcher,
  ): SoakSample => {
    gcNow();
    gcNow();
    const mem = process.memoryUsage();
    return {
      atMs,
      heapUsed: mem.heapUsed,
      rss: mem.rss,
      resources: resourceCounts(),
      serverSockets: gw?.sockets.size ?? 0,
      listeners: c ? listenerCount(c, w) + (w ? listenerCount(w.connection) : 0) : 0,
      pending: c
        ? (c as unknown as { pending: Map<string, unknown> }).pending.size +
          (w ? (w.connection as unknown as { pending: Map<string, unknown> }).pending.size : 0)
        : 0,
      watcherRows: w?.sessionRows().length ?? 0,
    };
  };

  const baseline = sample(0, undefined);
  const gw = await ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: [
          'health',
          'agents.list',
          'sessions.subscribe',
          'sessions.list',
          'logs.tail',
          'diagnostics.lanes',
          'chat.history',
        ],
        events: ['tick', 'sessions.changed', 'agent', 'chat', 'shutdown'],
      },
    },
    handleRequest: (method, params) => {
      switch (method) {
        case 'agents.list':
          return { defaultId: 'main', agents: [{ id: 'main' }] };
        case 'sessions.subscribe':
          return { subscribed: true };
        case 'sessions.list': {
          const offset = params.offset ?? 0;
          const page = rows.slice(offset, offset + params.limit);
          return { sessions: page, hasMore: offset + page.length < rows.length, nextOffset: offset + page.length };
        }
        case 'logs.tail':
          return { cursor: 1, lines: [] };
        case 'diagnostics.lanes':
          return { lanes: [{ lane: 'main', activeCount: 0, queuedCount: 0, maxConcurrent: 4 }], dynamic: null };
        case 'chat.history':
          return { sessionKey: params.sessionKey, messages: [], pendingInputs: { items: [], total: 0 } };
        case 'health':
          return params?.hold ? undefined : { ok: true }; // `hold`: never answered (the request times out)
        default:
          return {};
      }
    },
  });
  const identityStore = new MemoryDeviceIdentityStore();
  const backoff = { initialMs: 20, maxMs: 200, factor: 2, jitter: 0.3 };
  const makeWatcher = (name: string) =>
    new GatewayWatcher({
      config: { name, url: gw.url, source: 'settings' },
      credentials: async () => ({ token: 't' }),
      identityStore,
      clientVersion: 'soak',
      requestTimeoutMs: 2_000,
      log: () => {},
      pollIntervalMs: 1_000,
      pageSize: 100,
      connection: { backoff, pingIntervalMs: 1_000 },
    });
  const conn = new GatewayConnection({
    url: gw.url,
    credentials: () => ({ token: 't' }),
    scopes: ['operator.read'],
    identityStore,
    clientVersion: 'soak',
    requestTimeoutMs: 2_000,
    backoff,
    pingIntervalMs: 1_000,
    log: () => {},
  });
  const connectsSub = conn.onDidConnect(() => {
    counts.connects++;
  });
  const watcher = makeWatcher('soak');
  conn.start();
  watcher.start();

  const samples: SoakSample[] = [];
  const started = Date.now();
  let nextSample = started + sampleEvery;
  let nextDisruption = started + 1_000;
  let seq = 0;
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  try {
    while (Date.now() - started < opts.durationMs) {
      // Event burst: row changes, run lifecycles and chat finals for rotating keys, and ticks.
      for (let i = 0; i < 20; i++) {
        const key = rows[Math.floor(rand() * rows.length)].key;
        const runId = `run-${seq}`;
        const r = rand();
        const frame =
          r < 0.4
            ? {
                type: 'event',
                event: 'sessions.changed',
                payload: { sessionKey: key, session: { ...rows.find((x) => x.key === key), updatedAt: Date.now() } },
                seq: ++seq,
              }
            : r < 0.6
              ? {
                  type: 'event',
                  event: 'agent',
                  payload: { runId, sessionKey: key, stream: 'lifecycle', data: { phase: 'start' } },
                  seq: ++seq,
                }
              : r < 0.8
                ? {
                    type: 'event',
                    event: 'agent',
                    payload: {
                      runId: `run-${Math.max(0, seq - 3)}`,
                      sessionKey: key,
                      stream: 'lifecycle',
                      data: { phase: 'end' },
                    },
                    seq: ++seq,
                  }
                : r < 0.95
                  ? { type: 'event', event: 'chat', payload: { runId, sessionKey: key, state: 'final' }, seq: ++seq }
                  : { type: 'event', event: 'tick', payload: { ts: Date.now() }, seq: ++seq };
        gw.broadcast(frame);
        counts.events += gw.sockets.size;
      }
      // Requests on the long-lived connection: answered, timing out, cancelled.
      if (conn.isConnected()) {
        for (let i = 0; i < 5; i++) {
          counts.requests++;
          const k = rand();
          const ac = new AbortController();
          const p = conn
            .request('health', k < 0.1 ? { hold: true } : {}, {
              timeoutMs: k < 0.1 ? 50 + Math.floor(rand() * 200) : 2_000,
              signal: ac.signal,
            })
            .catch((e: { code?: string }) => {
              if (e.code === 'TIMEOUT') counts.requestTimeouts++;
              else if (e.code === 'CANCELLED') counts.requestsCancelled++;
              else counts.requestsClosed++;
            });
          if (k > 0.9) ac.abort();
          track(p);
        }
      }
      const now = Date.now();
      if (now >= nextDisruption) {
        nextDisruption = now + 500 + Math.floor(rand() * 1_500);
        const d = rand();
        if (d < 0.25) {
          counts.serverDrops++;
          for (const s of gw.sockets) s.terminate();
        } else if (d < 0.45) {
          counts.restarts++;
          gw.broadcast({
            type: 'event',
            event: 'shutdown',
            payload: { reason: 'soak restart', restartExpectedMs: 500 },
          });
          for (const s of gw.sockets) s.close(1012, 'service restart');
        } else if (d < 0.6) {
          counts.reconnectNow++;
          conn.reconnectNow();
        } else if (d < 0.75) {
          counts.reconnectNow++;
          watcher.connection.reconnectNow();
        } else {
          counts.shortLivedWatchers++;
          // A few names in rotation: the device identity store keeps one key per name, as it does per configured gateway.
          const w = makeWatcher(`short-${counts.shortLivedWatchers % 3}`);
          w.start();
          const until = Date.now() + 1_500;
          while (!w.isSynced() && Date.now() < until) await sleep(10);
          w.dispose();
        }
      }
      if (now >= nextSample) {
        nextSample = now + sampleEvery;
        gw.connectParams.length = 0; // the scripted gateway's own record of connects is test state, not the client's
        const s = sample(now - started, gw, conn, watcher);
        samples.push(s);
        log(
          `soak ${(s.atMs / 1000).toFixed(0)} s: heap ${(s.heapUsed / 1048576).toFixed(1)} MB, rss ${(s.rss / 1048576).toFixed(0)} MB, sockets ${s.resources.TCPSocketWrap ?? 0} (server side ${s.serverSockets}), timers ${s.resources.Timeout ?? 0}, listeners ${s.listeners}, pending ${s.pending}, rows ${s.watcherRows}`,
        );
      }
      await sleep(50);
    }
  } finally {
    await Promise.allSettled([...inFlight]);
    connectsSub.dispose();
    watcher.dispose();
    conn.dispose();
    await gw.close();
  }
  // Let closing sockets and their timers finish before the final count.
  await sleep(500);
  const final = sample(Date.now() - started, undefined);
  return {
    baseline,
    samples: samples.filter((s) => s.atMs >= warmupMs),
    final,
    counts,
    seed,
    durationMs: opts.durationMs,
  };
}

const MB = 1024 * 1024;

/**
 * Bounds after warm-up, at every sample (heap after GC), and after dispose:
 *   sockets (TCPSocketWrap, both ends in this process) ≤ 8: 2 long-lived clients × 2 ends, a short-lived watcher's 2, 2 closing
 *   pending requests ≤ 20 (5 are issued every 50 ms, some held up to 250 ms)
 *   timers (Timeout) ≤ 30: one per pending request plus about 10 fixed ones
 *   listeners on the long-lived connection and watcher: exactly as many as at the first sample
 *   heapUsed: last − first ≤ 8 MB, max − min ≤ 16 MB
 *   after everything is disposed: sockets, servers and timers back to the baseline
 */
export const SOAK_BOUNDS = { sockets: 8, timers: 30, pending: 20, heapDriftBytes: 8 * MB, heapSpreadBytes: 16 * MB };

/** Figures as printable lines, and every bound that did not hold. */
export function soakReport(r: SoakResult): { lines: string[]; violations: string[] } {
  const s = r.samples;
  const violations: string[] = [];
  if (s.length < 2)
    return { lines: [`only ${s.length} sample(s) after warm-up`], violations: ['fewer than 2 samples after warm-up'] };
  const max = (f: (x: SoakSample) => number) => Math.max(...s.map(f));
  const min = (f: (x: SoakSample) => number) => Math.min(...s.map(f));
  const sockets = (x: SoakSample) => x.resources.TCPSocketWrap ?? 0;
  const timers = (x: SoakSample) => x.resources.Timeout ?? 0;
  const heap = (x: SoakSample) => x.heapUsed;
  const hours = (s[s.length - 1].atMs - s[0].atMs) / 3_600_000;
  // Least-squares slope of heapUsed over time, MB per hour.
  const mx = s.reduce((a, x) => a + x.atMs, 0) / s.length,
    my = s.reduce((a, x) => a + x.heapUsed, 0) / s.length;
  const slope =
    ((s.reduce((a, x) => a + (x.atMs - mx) * (x.heapUsed - my), 0) /
      (s.reduce((a, x) => a + (x.atMs - mx) ** 2, 0) || 1)) *
      3_600_000) /
    MB;
  const c = r.counts;
  const lines = [
    `seed ${r.seed}: ${c.connects} connects of the long-lived connection, ${c.serverDrops} server drops, ${c.restarts} 1012 restarts, ${c.reconnectNow} reconnectNow, ${c.shortLivedWatchers} short-lived watchers, ${c.events} events delivered, ${c.requests} requests (${c.requestTimeouts} timed out, ${c.requestsCancelled} cancelled, ${c.requestsClosed} closed by a drop)`,
    `${s.length} samples after warm-up: sockets ${min(sockets)}–${max(sockets)} (bound ${SOAK_BOUNDS.sockets}), timers ${min(timers)}–${max(timers)} (bound ${SOAK_BOUNDS.timers}), listeners ${min((x) => x.listeners)}–${max((x) => x.listeners)} (constant), pending ${min((x) => x.pending)}–${max((x) => x.pending)} (bound ${SOAK_BOUNDS.pending}), rss ${(min((x) => x.rss) / MB).toFixed(0)}–${(max((x) => x.rss) / MB).toFixed(0)} MB`,
    `heapUsed after GC: first ${(heap(s[0]) / MB).toFixed(1)} MB, last ${(heap(s[s.length - 1]) / MB).toFixed(1)} MB, min ${(min(heap) / MB).toFixed(1)}, max ${(max(heap) / MB).toFixed(1)} MB, ${hours * 60 >= 5 ? `slope ${slope.toFixed(2)} MB/h over ${hours < 1 ? `${(hours * 60).toFixed(1)} min` : `${hours.toFixed(2)} h`}` : 'no slope under 5 min (warm-up dominates)'} (bounds: drift ${SOAK_BOUNDS.heapDriftBytes / MB} MB, spread ${SOAK_BOUNDS.heapSpreadBytes / MB} MB)`,
    `resources: baseline ${JSON.stringify(r.baseline.resources)}, after dispose ${JSON.stringify(r.final.resources)}`,
  ];
  // The churn must really have happened: about one reconnect every 2 s and one drop or restart every 4 s are scheduled.
  const seconds = r.durationMs / 1000;
  if (c.connects < seconds / 6 || c.serverDrops + c.restarts < seconds / 10)
    violations.push(
      `too little churn (${c.connects} connects, ${c.serverDrops + c.restarts} drops/restarts in ${seconds} s)`,
    );
  if (max(sockets) > SOAK_BOUNDS.sockets)
    violations.push(`sockets reached ${max(sockets)} (bound ${SOAK_BOUNDS.sockets})`);
  if (max(timers) > SOAK_BOUNDS.timers) violations.push(`timers reached ${max(timers)} (bound ${SOAK_BOUNDS.timers})`);
  if (!s.every((x) => x.listeners === s[0].listeners))
    violations.push(`listeners changed: ${s.map((x) => x.listeners).join(',')}`);
  if (max((x) => x.pending) > SOAK_BOUNDS.pending)
    violations.push(`pending requests reached ${max((x) => x.pending)} (bound ${SOAK_BOUNDS.pending})`);
  if (heap(s[s.length - 1]) - heap(s[0]) > SOAK_BOUNDS.heapDriftBytes)
    violations.push(`heap drifted ${((heap(s[s.length - 1]) - heap(s[0])) / MB).toFixed(1)} MB`);
  if (max(heap) - min(heap) > SOAK_BOUNDS.heapSpreadBytes)
    violations.push(`heap spread ${((max(heap) - min(heap)) / MB).toFixed(1)} MB`);
  for (const type of ['TCPSocketWrap', 'TCPServerWrap', 'Timeout']) {
    if ((r.final.resources[type] ?? 0) > (r.baseline.resources[type] ?? 0))
      violations.push(`${type}: ${r.final.resources[type]} after dispose, baseline ${r.baseline.resources[type] ?? 0}`);
  }
  return { lines, violations };
}
