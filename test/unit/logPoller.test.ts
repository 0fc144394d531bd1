// One log poller per gateway: the fleet watcher's model and every open Gateway Logs panel (its host-side model,
// LogTailModel) read the gateway log through `watcher.logs`. Against a scripted gateway whose logs.tail keeps
// 2026.9.6's cursor semantics over a real file, every request is recorded: the gateway must see one stream (one
// request in flight at a time, each cursor the one the previous answer returned), whatever is attached.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { GatewayWatcher } from '../../src/fleet/gatewayWatcher';
import { spliceTail } from '../../src/logs/logPoller';
import { LogTailModel } from '../../src/logs/logTailModel';
import type { LogTailHostToWebview } from '../../src/protocol/webviewMessages';
import { ScriptedGateway } from '../support/scriptedGateway';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-logpoller-'));
const servers: ScriptedGateway[] = [];
const disposables: Array<{ dispose(): void }> = [];
after(async () => {
  for (const d of disposables.splice(0).reverse()) d.dispose();
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const HUNG = 'agent:main:hung';
let lineNo = 0;
const logLine = (text: string, at = Date.now(), level = 'INFO') =>
  JSON.stringify({
    0: '{"subsystem":"gateway"}',
    1: text,
    _meta: { logLevelName: level },
    time: new Date(at).toISOString(),
  });
const plain = (n: number, at?: number) =>
  Array.from({ length: n }, () => logLine(`line ${++lineNo} ${'x'.repeat(80)}`, at));
const stuckLine = () =>
  JSON.stringify({
    0: '{"subsystem":"diagnostic"}',
    1: `stuck session: sessionId=h1 sessionKey=${HUNG} state=processing age=55s queueDepth=1`,
    _meta: { logLevelName: 'WARN' },
    time: new Date().toISOString(),
  });

interface TailRequest {
  cursor?: number;
  maxBytes: number;
  limit: number;
  /** What the answer said (filled when it is sent). */
  answeredCursor?: number;
  lines?: number;
}

/** 2026.9.6's logs.tail over a real file (src/logging/log-tail.ts: readLogSlice), byte for byte. */
function readLogSlice(file: string, params: { cursor?: number; maxBytes: number; limit: number }) {
  const buf = readFileSync(file);
  const size = buf.length;
  let start: number,
    reset = false,
    truncated = false,
    skippedBytes: number | undefined;
  if (params.cursor !== undefined) {
    if (params.cursor > size) {
      reset = true;
      start = Math.max(0, size - params.maxBytes);
      truncated = start > 0;
    } else {
      start = params.cursor;
      if (size - start > params.maxBytes) {
        reset = truncated = true;
        skippedBytes = size - params.maxBytes - start;
        start = size - params.maxBytes;
      }
    }
  } else {
    start = Math.max(0, size - params.maxBytes);
    truncated = start > 0;
  }
  if (size <= start) return { file, cursor: size, size, lines: [] as string[], truncated, reset, skippedBytes };
  const chunk = buf.subarray(start);
  let lines = chunk.toString('utf8').split('\n');
  lines.pop();
  if (start > 0 && buf[start - 1] !== 0x0a) lines.shift();
  if (lines.length > params.limit) {
    truncated = true;
    lines = lines.slice(lines.length - params.limit);
  }
  return { file, cursor: start + chunk.lastIndexOf(0x0a) + 1, size, lines, truncated, reset, skippedBytes };
}

/** A gateway with one running session and a log file; records every logs.tail request and how many overlap. */
async function gatewayWithLog(initialLines: string[]) {
  const file = path.join(dir, `openclaw-${servers.length}.log`);
  writeFileSync(file, initialLines.map((l) => `${l}\n`).join(''));
  const requests: TailRequest[] = [];
  const state = { inFlight: 0, maxInFlight: 0, down: false };
  const g = await ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: [
          'agents.list',
          'sessions.subscribe',
          'sessions.list',
          'logs.tail',
          'diagnostics.lanes',
          'chat.history',
        ],
        events: ['sessions.changed', 'agent', 'chat'],
      },
    },
    onConnection: (ws, gw) => (state.down ? ws.close(1012, 'restarting') : gw.behaveNormally(ws)),
    handleRequest: (method: string, params: any, id: string, ws: WebSocket) => {
      switch (method) {
        case 'agents.list':
          return { defaultId: 'main', agents: [{ id: 'main' }] };
        case 'sessions.subscribe':
          return { subscribed: true };
        case 'sessions.list':
          return {
            sessions: [
              { key: HUNG, sessionId: 'h1', status: 'running', hasActiveRun: true, startedAt: Date.now() - 120_000 },
            ],
            hasMore: false,
          };
        case 'diagnostics.lanes':
          return { lanes: [], dynamic: null };
        case 'chat.history':
          return { sessionKey: params.sessionKey, messages: [], pendingInputs: { items: [], total: 0 } };
        case 'logs.tail': {
          const req: TailRequest = { cursor: params.cursor, maxBytes: params.maxBytes, limit: params.limit };
          requests.push(req);
          state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight);
          // Answered a little later, so that overlapping readers would show as two requests in flight.
          setTimeout(() => {
            state.inFlight--;
            if (ws.readyState !== ws.OPEN) return; // closed meanwhile (the suite's end removes the file)
            const answer = readLogSlice(file, params);
            req.answeredCursor = answer.cursor;
            req.lines = answer.lines.length;
            ws.send(JSON.stringify({ type: 'res', id, ok: true, payload: answer }));
          }, 15);
          return undefined;
        }
        default:
          return {};
      }
    },
  });
  servers.push(g);
  return {
    g,
    file,
    requests,
    state,
    append: (lines: string[]) => appendFileSync(file, lines.map((l) => `${l}\n`).join('')),
    all: () => readFileSync(file, 'utf8').split('\n').filter(Boolean),
  };
}

function watch(url: string, pollIntervalMs: number, livePollIntervalMs: number) {
  const w = new GatewayWatcher({
    config: { name: 'gw', url, source: 'settings' },
    credentials: async () => ({ token: 't' }),
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 5000,
    log: () => {},
    pollIntervalMs,
    livePollIntervalMs,
    connection: { backoff: { initialMs: 50, maxMs: 100, factor: 2, jitter: 0 } },
  });
  disposables.push(w);
  w.start();
  return w;
}

/** What a Gateway Logs panel holds on the host: the model, with what it posted. */
function openPanel(w: GatewayWatcher) {
  const posted: LogTailHostToWebview[] = [];
  const model = new LogTailModel({ feed: w.logs, gateway: w.name, post: (m) => posted.push(m) });
  model.resync();
  disposables.push(model);
  return { model, posted, raw: () => model.ring.toArray().map((l) => l.raw) };
}

/** Resolves once `pick` holds: checked now, then after every change the watcher reports (and every 20 ms). */
function until(w: GatewayWatcher, pick: () => boolean, what: string, ms = 10_000): Promise<void> {
  if (pick()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearInterval(tick);
      clearTimeout(timer);
      sub.dispose();
      if (err) reject(err);
      else resolve();
    };
    const check = () => pick() && done();
    const sub = w.onDidChange(check);
    const tick = setInterval(check, 20);
    const timer = setTimeout(() => done(new Error(`${what}: not within ${ms} ms`)), ms);
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One stream: at most one request in flight, and every read from a cursor asks from where the answer before it ended.
 * Returns the counts for the report.
 */
function assertOneStream(
  requests: TailRequest[],
  maxInFlight: number,
  from?: number,
): { reads: number; tails: number } {
  assert.equal(maxInFlight, 1, `logs.tail requests in flight at once: ${maxInFlight}`);
  let last = from;
  requests.forEach((r, i) => {
    if (r.cursor !== undefined)
      assert.equal(r.cursor, last, `request ${i} reads from ${r.cursor}, the answer before it ended at ${last}`);
    if (r.answeredCursor !== undefined) last = r.answeredCursor;
  });
  return { reads: requests.length, tails: requests.filter((r) => r.cursor === undefined).length };
}

describe('one log poller per gateway', () => {
  it('the watcher and two open log panels: one logs.tail stream, every line to both panels, a stuck line to the lane status', async () => {
    const gw = await gatewayWithLog(plain(30, Date.now() - 60_000));
    const w = watch(gw.g.url, 1_000, 50);
    await until(w, () => w.isSynced() && gw.requests.length >= 1 && w.logCoverage() !== undefined, 'first log read');
    const a = openPanel(w),
      b = openPanel(w);
    assert.equal(w.logs.subscriberCount, 2);
    for (let wave = 0; wave < 5; wave++) {
      gw.append(wave === 4 ? [...plain(5), stuckLine(), ...plain(4)] : plain(10));
      await sleep(60);
    }
    const all = gw.all();
    await until(w, () => a.raw().length === all.length && b.raw().length === all.length, 'both panels have every line');
    await until(w, () => w.laneStatus(HUNG).state === 'stuck', 'the stuck line reaches the lane status');
    assert.deepEqual(a.raw(), all, 'panel A: every line, in order, once');
    assert.deepEqual(b.raw(), all, 'panel B: every line, in order, once');
    assert.equal(
      w.diagnosticLines().filter((l) => l.diagnostic === 'stuck').length,
      1,
      'the model: the stuck line once',
    );
    assert.ok(
      a.posted.some(
        (m) => m.type === 'logTail/lines' && m.items.some((i) => i.kind === 'line' && i.diagnostic === 'stuck'),
      ),
      'the panel posted the stuck line',
    );
    const counts = assertOneStream(gw.requests, gw.state.maxInFlight);
    console.log(
      `# watcher + 2 panels, 5 waves: ${counts.reads} logs.tail requests (${counts.tails} without a cursor), at most ${gw.state.maxInFlight} in flight`,
    );

    // Attached: the panel's pace (50 ms). Detached: back to the model's (1 s).
    let from = gw.requests.length;
    await sleep(500);
    const live = gw.requests.length - from;
    a.model.dispose();
    b.model.dispose();
    assert.equal(w.logs.subscriberCount, 0);
    await sleep(150); // a read already armed at the live pace may still go out
    from = gw.requests.length;
    await sleep(500);
    const idle = gw.requests.length - from;
    console.log(`# logs.tail requests in 500 ms: ${live} with panels open, ${idle} after the last closed`);
    assert.ok(live >= 3, `with panels open the log is read at their pace (${live} reads in 500 ms)`);
    assert.ok(idle <= 1, `after the last panel closed the pace drops back (${idle} reads in 500 ms)`);
    assertOneStream(gw.requests, gw.state.maxInFlight);
  });

  it("a panel opened later starts with the log's first page: one deeper read in the same stream, no line twice", async () => {
    // ~200 KB of history, older than the 10 minutes a diagnostic counts: the model's first read stops at 64 KB.
    const old = Date.now() - 3_600_000;
    const history = plain(2_000, old);
    const gw = await gatewayWithLog(history);
    const w = watch(gw.g.url, 60_000, 50);
    await until(w, () => w.logCoverage() !== undefined && gw.requests[0]?.answeredCursor !== undefined, 'first read');
    assert.ok(gw.requests[0].maxBytes <= 64 * 1024, `the model's first read asks ${gw.requests[0].maxBytes} bytes`);
    assert.equal(w.logCoverage()?.complete, true, '64 KB reach back past 10 minutes: the model asks no more');
    const before = gw.requests.length;
    const p = openPanel(w);
    gw.append(plain(3));
    const all = gw.all();
    await until(w, () => p.raw().length === all.length, 'the panel has the whole log');
    assert.deepEqual(p.raw(), all, 'the history and the new lines, in order, once');
    const lines = p.posted.filter((m) => m.type === 'logTail/lines').flatMap((m) => m.items);
    assert.ok(!lines.some((i) => i.kind === 'marker' && i.marker === 'truncated'), 'the whole file: no lines left out');
    const tails = gw.requests.slice(before).filter((r) => r.cursor === undefined);
    assert.equal(tails.length, 1, 'one deeper read of the tail for the panel');
    assert.equal(tails[0].maxBytes, 512 * 1024);
    assertOneStream(gw.requests, gw.state.maxInFlight);

    // A second panel is served from what the poller keeps: no read for it.
    const count = gw.requests.length;
    const q = openPanel(w);
    assert.deepEqual(q.raw(), all, 'the second panel has the history at once');
    assert.equal(gw.requests.length, count);
  });

  it('with a panel open the gateway goes away: the panel tails the local file, and reads through the gateway again after the reconnect, from the same byte', async () => {
    const gw = await gatewayWithLog(plain(20));
    const w = watch(gw.g.url, 60_000, 50);
    await until(w, () => w.isSynced() && w.logs.lastRpcFile === gw.file, 'first read');
    const p = openPanel(w);
    await until(w, () => p.raw().length === 20, 'history');
    gw.state.down = true;
    for (const s of gw.g.sockets) s.terminate();
    await until(w, () => w.snapshot().state !== 'connected', 'down');
    gw.append(plain(5));
    await until(w, () => w.logs.state.kind === 'file' && p.raw().length === 25, 'the file while the gateway is down');
    const readUpTo = Buffer.byteLength(readFileSync(gw.file));
    const requestsWhileDown = gw.requests.length;
    gw.state.down = false;
    await until(w, () => w.isSynced(), 'reconnected');
    gw.append([...plain(2), stuckLine()]);
    await until(w, () => w.logs.state.kind === 'rpc' && p.raw().length === 28, 'the RPC again');
    assert.deepEqual(p.raw(), gw.all(), 'no line lost or repeated across the switches');
    const sources = p.posted.filter((m) => m.type === 'logTail/source').map((m) => m.source.kind);
    assert.deepEqual(sources.slice(-2), ['file', 'rpc'], sources.join(' → '));
    await until(w, () => w.laneStatus(HUNG).state === 'stuck', 'the stuck line reaches the lane status');
    assert.equal(gw.requests[requestsWhileDown].cursor, readUpTo, 'back on the RPC from where the file was read to');
    assertOneStream(gw.requests.slice(requestsWhileDown), gw.state.maxInFlight, readUpTo);

    // Without a panel, the model reads only through the gateway: nothing while it is down.
    p.model.dispose();
    gw.state.down = true;
    for (const s of gw.g.sockets) s.terminate();
    await until(w, () => w.snapshot().state !== 'connected', 'down again');
    gw.append(plain(2));
    await sleep(300);
    assert.equal(w.logs.state.kind, 'rpc', 'the file is not read for the model alone');
  });
});

describe('spliceTail', () => {
  const L = (...n: number[]) => n.map((i) => `l${i}`);
  it('places a deeper tail read against the lines already read', () => {
    assert.deepEqual(spliceTail(L(4, 5, 6), L(1, 2, 3, 4, 5, 6), true), { older: 3, newer: 6 });
    assert.deepEqual(spliceTail(L(4, 5, 6), L(1, 2, 3, 4, 5, 6, 7, 8), false), { older: 3, newer: 6 });
    assert.deepEqual(spliceTail(L(1, 2, 3, 4), L(3, 4, 5), false), { older: 0, newer: 2 }, 'starts inside the known');
    assert.equal(spliceTail(L(4, 5, 6), L(1, 2, 3), false), undefined, 'not found');
    assert.equal(spliceTail(L(4, 5, 6), L(1, 4, 5, 6, 7), true), undefined, 'at the cursor, but it does not end there');
    assert.deepEqual(spliceTail([], L(1, 2), true), { older: 2, newer: 2 });
    assert.equal(spliceTail([], L(1, 2), false), undefined);
    assert.deepEqual(spliceTail(L(1, 9, 4, 5, 6), L(0, 1, 2, 4, 5, 6), true, 3), { older: 0, newer: 6 }, 'a gap');
    assert.equal(spliceTail(L(1, 9, 4, 5, 6), L(0, 1, 2, 4, 5, 6), true), undefined, 'the anchor spans the gap');
  });
});
