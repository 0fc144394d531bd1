#!/usr/bin/env node
// Control UI side by side: how soon a run's START and END become visible in the official OpenClaw Control UI and in
// Lanewatch's Gateways tree in real VS Code, on ONE real local gateway (openclaw 2026.9.6). Not a test: it prints
// figures, targets and PASS/MISS, and exits 0 unless the setup fails.
//
//   node bench/control-ui.mjs                      20 runs after 1 warm-up run (about 3–4 minutes in all)
//   node bench/control-ui.mjs --runs 50            any number of runs
//   options: --warmup-runs 1 (runs before the measured ones, left out)
//            --model-delay-ms 2000 (the fake model answers this long after the request)  --gap-ms 2000 (idle time
//            between runs)  --run-timeout-ms 60000  --vsix lanewatch.vsix (the packaged extension: `npm run package`)
//
// What runs (everything on 127.0.0.1, inside a loopback-only network namespace, like bench/run.mjs):
//   - a fake model in this process (OpenAI Chat Completions, streamed or not) that answers every request after a fixed
//     delay and records when its reply went out
//   - one real gateway (scripts/fixtures/openclaw-gateway.mjs) using that model
//   - code-server with the packaged .vsix installed, its lanewatch.gateways setting naming the gateway (the token is
//     read from the gateway's config file, as a user's would be)
//   - ONE headless Debian chromium (playwright-core) with two pages: the Control UI the gateway serves itself
//     (/chat/main/bench-cui, token in the #token= fragment, see docs/web/urls.md) and the VS Code workbench
// Each page gets a MutationObserver that records, with the page's Date.now() (the same system clock as this process),
// when the watched element changes state, and the next animation frame after that change:
//   Control UI  the session's sidebar row: `.session-row-host[data-session-key="agent:main:bench-cui"]` carries the
//               class `session-row-host--running` and an "Active run" ring while a run is active; also, for
//               information, the open chat pane's "Stop generating" button (`.chat-send-btn--stop`) in the composer
//   Lanewatch   the tree row of bench-cui in the Gateways view: its description (`.label-description`) reads
//               "running …" while a run is active and "idle …" after it
// A run is a chat.send through the official client (@openclaw/gateway-client, via scripts/fixtures/seed-demo.mjs
// connectOperator) on agent:main:bench-cui; its send time is taken just before the request goes out.
import crypto from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { enterLoopbackNamespace } from './netns.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');

// ---------------------------------------------------------------- options

function usage() {
  return 'usage: node bench/control-ui.mjs [--runs 20] [--warmup-runs 1] [--model-delay-ms 2000] [--gap-ms 2000] [--run-timeout-ms 60000] [--vsix lanewatch.vsix]';
}
function parseArgs(argv) {
  const o = {
    runs: 20,
    warmupRuns: 1,
    modelDelayMs: 2000,
    gapMs: 2000,
    runTimeoutMs: 60_000,
    vsix: path.join(root, 'lanewatch.vsix'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const take = () => {
      if (i + 1 >= argv.length) {
        console.error(`${a} needs a value\n${usage()}`);
        process.exit(2);
      }
      return argv[++i];
    };
    const num = () => {
      const v = take();
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) {
        console.error(`${a} needs a number, got "${v}"`);
        process.exit(2);
      }
      return n;
    };
    if (a === '--runs') o.runs = Math.max(1, Math.round(num()));
    else if (a === '--warmup-runs') o.warmupRuns = Math.round(num());
    else if (a === '--model-delay-ms') o.modelDelayMs = num();
    else if (a === '--gap-ms') o.gapMs = num();
    else if (a === '--run-timeout-ms') o.runTimeoutMs = num();
    else if (a === '--vsix') o.vsix = path.resolve(take());
    else if (a === '--help' || a === '-h') {
      console.log(usage());
      process.exit(0);
    } else {
      console.error(`unknown option "${a}"\n${usage()}`);
      process.exit(2);
    }
  }
  return o;
}
const opts = parseArgs(process.argv.slice(2));

const tools = await import('../scripts/fixtures/tools.mjs');

// ---------------------------------------------------------------- network namespace (as bench/run.mjs)

await enterLoopbackNamespace({ script: import.meta.url, args: process.argv.slice(2), install: 'all' });

// ---------------------------------------------------------------- helpers

const t0 = Date.now();
const say = (m) => console.log(`[control-ui ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pct(sorted, p) {
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
    : NaN;
} // nearest rank
function stats(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), min: s.length ? s[0] : NaN, max: s.at(-1) ?? NaN };
}
const f0 = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '–');

function table(title, columns, rows, notes = []) {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? f0(c) : String(c ?? '–'))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (r) =>
    '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(`\n### ${title}\n`);
  console.log(line(columns));
  console.log(
    '|' + widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|',
  );
  for (const r of cells) console.log(line(r));
  for (const n of notes) console.log(`\n${n}`);
}

// ---------------------------------------------------------------- the fake model: a fixed delay, then the answer

/**
 * An OpenAI Chat Completions server on 127.0.0.1 that answers every request `delayMs` after it arrived, all at once
 * (streamed as SSE when asked). `replies` maps the run number named in the newest user text ("cui-bench-run-<n>") to
 * { received, sent }: when the request arrived and when the last byte of the answer was handed to the socket.
 */
async function startDelayedModel({ delayMs }) {
  const replies = new Map();
  let count = 0;
  const server = http.createServer(async (req, res) => {
    const json = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'GET' && req.url?.endsWith('/models'))
      return json(200, { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }] });
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions'))
      return json(404, { error: { message: 'no' } });
    const received = Date.now();
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let body = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      /* answered like an empty conversation */
    }
    // The newest user turn: every user message after the last assistant one (2026.9 appends context blocks).
    const messages = Array.isArray(body.messages) ? body.messages : [];
    let last = messages.length - 1;
    while (last >= 0 && messages[last]?.role !== 'assistant') last--;
    const text = messages
      .slice(last + 1)
      .filter((m) => m?.role === 'user')
      .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')))
      .join('\n');
    const run = Number(/cui-bench-run-(\d+)/.exec(text)?.[1] ?? NaN);
    const hold = /\[\[hold (\d+)\]\]/.exec(text);
    count++;
    const reply = `fake reply #${count}`;
    await sleep(hold ? Number(hold[1]) : delayMs);
    const record = (sent) => Number.isFinite(run) && replies.set(run, { received, sent });
    const id = `chatcmpl-bench-${count}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model: 'fake-model',
          choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
          usage,
        }),
        () => record(Date.now()),
      );
      return;
    }
    const sse = (delta, finish = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'fake-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let out = sse({ role: 'assistant', content: '' }) + sse({ content: reply }) + sse({}, 'stop');
    if (body.stream_options?.include_usage)
      out += `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'fake-model', choices: [], usage })}\n\n`;
    res.end(out + 'data: [DONE]\n\n', () => record(Date.now()));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    replies,
    requests: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------- the probe installed in both pages

/**
 * Runs in a page. Watches `signals` ([{ name, read }], `read` names a reader below) with one MutationObserver and
 * records every change of each signal's state: { state, text, t (Date.now() in the observer callback), frame (Date.now()
 * in the next animation frame) } into window.__lwBench[name].events, and every change of its text into .texts.
 */
function pageProbe({ signals, key, label }) {
  const readers = {
    // Control UI sidebar row of the session: the running class / "Active run" ring.
    cuiRow() {
      const row = document.querySelector(`.session-row-host[data-session-key="${CSS.escape(key)}"]`);
      if (!row) return { state: 'absent', text: '' };
      const running =
        row.classList.contains('session-row-host--running') || !!row.querySelector('.session-glyph--running');
      const glyph = row.querySelector('.session-glyph');
      return { state: running ? 'running' : 'idle', text: glyph ? glyph.className : '(no glyph)' };
    },
    // Control UI open chat pane: the composer's "Stop generating" button, there while the session's run is active.
    cuiChat() {
      const pane = document.querySelector('.chat-pane-cache__pane--active') ?? document;
      const stop = pane.querySelector('.chat-send-btn--stop');
      return { state: stop ? 'running' : 'idle', text: stop ? (stop.getAttribute('aria-label') ?? '') : '' };
    },
    // Lanewatch tree row in VS Code: the description next to the session's label.
    vsRow() {
      for (const row of document.querySelectorAll('.monaco-list-row')) {
        const name = row.querySelector('.label-name')?.textContent ?? '';
        if (!name.endsWith(label)) continue;
        const text = (row.querySelector('.label-description')?.textContent ?? '').trim();
        const state = /^(running|long-running|stalled|stuck)\b/.test(text)
          ? 'running'
          : /^idle\b/.test(text)
            ? 'idle'
            : `other:${text.split(/\s/)[0]}`;
        return { state, text };
      }
      return { state: 'absent', text: '' };
    },
  };
  const store = (window.__lwBench = {});
  const check = () => {
    for (const s of signals) {
      const st = (store[s.name] ??= { state: undefined, text: undefined, events: [], texts: [] });
      const { state, text } = readers[s.read]();
      if (text !== st.text && st.texts.length < 5000) st.texts.push({ text, t: Date.now() });
      st.text = text;
      if (state === st.state) continue;
      const ev = { state, text, t: Date.now(), frame: NaN };
      st.events.push(ev);
      st.state = state;
      requestAnimationFrame(() => (ev.frame = Date.now()));
    }
  };
  new MutationObserver(check).observe(document.body, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ['class', 'aria-label'],
  });
  check();
  return document.visibilityState;
}

/** window.__lwBench of a page: each signal's current state, and its events and texts since `since`. */
const probeEvents = (page, since) =>
  page.evaluate(
    (since) =>
      Object.fromEntries(
        Object.entries(window.__lwBench).map(([name, s]) => [
          name,
          { state: s.state, events: s.events.filter((e) => e.t >= since), texts: s.texts.filter((e) => e.t >= since) },
        ]),
      ),
    since,
  );

/** Offset of the page's Date.now() against ours (the lowest round trip of 7), in ms. */
async function clockOffset(page) {
  let best = { rtt: Infinity, offset: NaN };
  for (let i = 0; i < 7; i++) {
    const a = Date.now();
    const p = await page.evaluate(() => Date.now());
    const b = Date.now();
    if (b - a < best.rtt) best = { rtt: b - a, offset: p - (a + b) / 2 };
  }
  return best;
}

// ---------------------------------------------------------------- setup

const { startGateway, cleanupAll } = await import('../scripts/fixtures/openclaw-gateway.mjs');
const { connectOperator } = await import('../scripts/fixtures/seed-demo.mjs');
const { startCodeServer, launchChromium, blockExternal } = await import('../scripts/vscode/code-server.mjs');

const KEY = 'agent:main:bench-cui';
const LABEL = 'bench-cui';
const buildDir = path.join(benchDir, '.build');
mkdirSync(buildDir, { recursive: true });
if (!existsSync(opts.vsix)) {
  console.error(`SETUP FAILED: no packaged extension at ${opts.vsix}: run \`npm run package\` first (or pass --vsix)`);
  process.exit(1);
}
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-bench-control-ui-'));
let model, gateway, operator, server, browser;
let cleaned;
const cleanup = () =>
  (cleaned ??= (async () => {
    await operator?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await cleanupAll();
    await model?.close().catch(() => {});
    if (process.env.LANEWATCH_BENCH_KEEP === '1') say(`kept ${tmpRoot}`);
    else rmSync(tmpRoot, { recursive: true, force: true });
  })());
async function fail(message) {
  console.error(`\nSETUP FAILED: ${message}`);
  await cleanup();
  process.exit(1);
}
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(s, () => {
    console.error(`\n${s}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });

const vsixInfo = `${path.relative(root, opts.vsix)} (${(statSync(opts.vsix).size / 1024).toFixed(0)} KB, built ${statSync(opts.vsix).mtime.toISOString().slice(0, 16).replace('T', ' ')})`;
say(
  `node ${process.version}, ${os.cpus().length} CPU, load ${load()}; ${opts.runs} runs, model answers after ${opts.modelDelayMs} ms, ${opts.gapMs} ms between runs; extension ${vsixInfo}`,
);

let cuiPage, vsPage, visibility;
try {
  model = await startDelayedModel({ delayMs: opts.modelDelayMs });
  gateway = await startGateway({ root: tmpRoot, name: 'bench', modelBaseUrl: model.baseUrl });
  say(`gateway openclaw ${tools.versions.openclaw} ready in ${gateway.readyMs} ms at ${gateway.httpUrl}`);
  operator = await connectOperator({ url: gateway.url, token: gateway.token });
  await operator.request('sessions.subscribe', {}); // sessions.changed events, as the extension gets them
  // Every event the official client receives, with its arrival time: connectOperator pushes each one onto `events`.
  const push = operator.events.push.bind(operator.events);
  operator.events.push = (...events) => {
    const at = Date.now();
    for (const e of events) Object.defineProperty(e, 'receivedAt', { value: at });
    return push(...events);
  };
  // The first turn of a fresh state dir bootstraps the workspace (10–55 s); it also creates the session's row.
  {
    const s = Date.now();
    const warm = await operator.request('chat.send', {
      sessionKey: KEY,
      message: 'cui-bench warm-up',
      idempotencyKey: `cui-warm-${crypto.randomUUID()}`,
    });
    await operator.waitForEvent(
      (e) =>
        e.event === 'chat' &&
        e.payload?.runId === warm.runId &&
        ['final', 'error', 'aborted'].includes(e.payload?.state),
      { timeoutMs: 180_000, description: 'the warm-up turn' },
    );
    say(`warm-up turn on ${KEY} done in ${Date.now() - s} ms`);
  }

  server = await startCodeServer({
    workspace: path.join(tmpRoot, 'workspace'),
    settings: { 'lanewatch.gateways': [{ name: 'bench', url: gateway.url, configPath: gateway.configPath }] },
    installVsix: opts.vsix,
  });
  browser = await launchChromium(server);
  say(`chromium ${browser.version()} up`);

  // The Control UI, served by the gateway, on the session's chat (what a user watching that session would open).
  cuiPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await blockExternal(cuiPage, gateway.httpUrl);
  await cuiPage.goto(`${gateway.httpUrl}/chat/main/${LABEL}#token=${gateway.token}`, { timeout: 60_000 });
  await cuiPage
    .locator(`.session-row-host[data-session-key="${KEY}"]`)
    .first()
    .waitFor({ timeout: 90_000 })
    .catch((e) => fail(`the Control UI shows no sidebar row for ${KEY}: ${e.message.split('\n')[0]}`));
  say('Control UI shows the session row');

  // VS Code with the packaged extension: open the Lanewatch container, wait for the session's row.
  vsPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await blockExternal(vsPage, server.url);
  await vsPage.goto(server.workbenchUrl(), { timeout: 60_000 });
  await vsPage.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  const item = vsPage.locator('.activitybar [aria-label^="Lanewatch"]').first();
  await item.waitFor({ timeout: 60_000 });
  const pane = vsPage
    .locator(
      '.pane:has(> .pane-header .icon[class*="view-lanewatch-fleet"]), .pane:has(> .pane-header[aria-label^="Gateways"])',
    )
    .first();
  if (!(await pane.isVisible())) await item.click();
  await pane.waitFor({ state: 'visible', timeout: 30_000 });
  // A wider side bar, so the screenshot shows the whole description.
  // Drag the sash on its right edge (found by position, as test/ui/run-ui-tests.mjs does: sashes carry no names).
  const bar = await vsPage.locator('.part.sidebar').boundingBox();
  if (bar) {
    const edge = bar.x + bar.width;
    let from = { x: edge - 1, y: bar.y + bar.height / 2 };
    for (const sash of await vsPage.locator('.monaco-sash.vertical').all()) {
      const b = await sash.boundingBox().catch(() => null);
      if (b && Math.abs(b.x + b.width / 2 - edge) < 6 && b.height > bar.height / 2) {
        from = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
        break;
      }
    }
    await vsPage.mouse.move(from.x, from.y);
    await vsPage.mouse.down();
    await vsPage.mouse.move(from.x + 250, from.y, { steps: 8 });
    await vsPage.mouse.up();
  }
  await vsPage.mouse.move(1300, 800);
  await vsPage
    .locator('.monaco-list-row', { hasText: LABEL })
    .filter({ hasText: /idle/ })
    .first()
    .waitFor({ timeout: 90_000 })
    .catch((e) => fail(`the Gateways tree shows no idle row for ${LABEL}: ${e.message.split('\n')[0]}`));
  say('VS Code shows the session row in the Gateways tree');

  visibility = {
    cui: await cuiPage.evaluate(pageProbe, {
      signals: [
        { name: 'row', read: 'cuiRow' },
        { name: 'chat', read: 'cuiChat' },
      ],
      key: KEY,
      label: LABEL,
    }),
    vs: await vsPage.evaluate(pageProbe, { signals: [{ name: 'row', read: 'vsRow' }], key: KEY, label: LABEL }),
  };
} catch (e) {
  await fail(e?.stack ?? String(e));
}

// ---------------------------------------------------------------- runs

const state = async (since = Date.now()) => {
  const [c, v] = await Promise.all([probeEvents(cuiPage, since), probeEvents(vsPage, since)]);
  return { cuiRow: c.row, cuiChat: c.chat, vsRow: v.row };
};
/** First change to `running` at or after `since`, then the first change to `idle` after that. */
function startEnd(signal, since) {
  const evs = (signal?.events ?? []).filter((e) => e.t >= since);
  const start = evs.find((e) => e.state === 'running');
  const end = start && evs.find((e) => e.t >= start.t && e.state === 'idle');
  return { start, end, states: evs.map((e) => e.state).join('>') };
}
const offsetsBefore = { cui: await clockOffset(cuiPage), vs: await clockOffset(vsPage) };
const loadBefore = load();
const results = [];
say(
  `pages visible: Control UI ${visibility.cui}, VS Code ${visibility.vs}; clock offset page − here: Control UI ${f0(offsetsBefore.cui.offset)} ms (rtt ${offsetsBefore.cui.rtt}), VS Code ${f0(offsetsBefore.vs.offset)} ms (rtt ${offsetsBefore.vs.rtt})`,
);

async function oneRun(run, { message, timeoutMs }) {
  // Both sides idle first.
  const idleBy = Date.now() + timeoutMs;
  for (;;) {
    const s = await state();
    if (s.cuiRow?.state === 'idle' && s.vsRow?.state === 'idle') break;
    if (Date.now() > idleBy)
      throw new Error(`not idle before run ${run}: Control UI ${s.cuiRow?.state}, Lanewatch ${s.vsRow?.state}`);
    await sleep(200);
  }
  const sentAt = Date.now();
  const ack = await operator.request('chat.send', {
    sessionKey: KEY,
    message,
    idempotencyKey: `cui-bench-${run}-${crypto.randomUUID()}`,
  });
  const ackAt = Date.now();
  const deadline = sentAt + timeoutMs;
  let s;
  for (;;) {
    await sleep(200);
    s = await state(sentAt);
    const done =
      startEnd(s.cuiRow, sentAt).end && startEnd(s.vsRow, sentAt).end && model.replies.has(run + opts.warmupRuns);
    if (done || Date.now() > deadline) break;
  }
  const ev = operator.events.filter((e) => e.receivedAt >= sentAt);
  const final = ev.find((e) => e.event === 'chat' && e.payload?.runId === ack.runId && e.payload?.state === 'final');
  const changed = (e) => e.event === 'sessions.changed' && (e.payload?.sessionKey ?? e.payload?.key) === KEY;
  const activeRow = (e) =>
    (e.payload?.session?.status ?? e.payload?.status) === 'running' ||
    (e.payload?.session?.hasActiveRun ?? e.payload?.hasActiveRun) === true;
  const gwStart = ev.find((e) => changed(e) && activeRow(e));
  const gwDone = final && ev.find((e) => changed(e) && e.receivedAt >= final.receivedAt && !activeRow(e));
  const reply = model.replies.get(run + opts.warmupRuns);
  const r = {
    run,
    sentAt,
    ackMs: ackAt - sentAt,
    runId: ack.runId,
    reply: reply && { receivedMs: reply.received - sentAt, sentMs: reply.sent - sentAt },
    gateway: {
      startMs: gwStart ? gwStart.receivedAt - sentAt : NaN,
      finalMs: final ? final.receivedAt - sentAt : NaN,
      doneMs: gwDone ? gwDone.receivedAt - sentAt : NaN,
    },
  };
  for (const [name, sig] of Object.entries(s)) {
    const { start, end, states } = startEnd(sig, sentAt);
    r[name] = {
      startMs: start ? start.t - sentAt : NaN,
      startFrameMs: start ? start.frame - sentAt : NaN,
      endMs: end ? end.t - sentAt : NaN,
      endFrameMs: end ? end.frame - sentAt : NaN,
      startText: start?.text,
      endText: end?.text,
      states,
      texts: sig.texts.map((x) => `+${x.t - sentAt} ${x.text}`),
    };
  }
  return r;
}

try {
  for (let run = 1 - opts.warmupRuns; run <= opts.runs; run++) {
    await sleep(opts.gapMs);
    // Run numbers below 1 are warm-ups (the pages' first run), left out of the figures.
    const r = await oneRun(run, { message: `cui-bench-run-${run + opts.warmupRuns}`, timeoutMs: opts.runTimeoutMs });
    if (run >= 1) results.push(r);
    const rel = (x) => (Number.isFinite(x) ? `${x}` : 'never');
    say(
      `${run < 1 ? 'warm-up run' : `run ${run}/${opts.runs}`}: model reply at +${rel(r.reply?.sentMs)} ms; start seen Control UI +${rel(r.cuiRow.startMs)}, Lanewatch +${rel(r.vsRow.startMs)}; end seen Control UI +${rel(r.cuiRow.endMs)}, Lanewatch +${rel(r.vsRow.endMs)} (load ${load()})`,
    );
  }
} catch (e) {
  await fail(e?.stack ?? String(e));
}
const loadAfter = load();
const offsetsAfter = { cui: await clockOffset(cuiPage), vs: await clockOffset(vsPage) };

// ---------------------------------------------------------------- screenshots: one more run, held at the model

const shotFiles = {
  cui: path.join(buildDir, 'control-ui-controlui.png'),
  vs: path.join(buildDir, 'control-ui-vscode.png'),
};
try {
  const sentAt = Date.now();
  const shotRun = opts.runs + opts.warmupRuns + 1;
  const send = operator.request('chat.send', {
    sessionKey: KEY,
    message: `cui-bench-run-${shotRun} (screenshot) [[hold 8000]]`,
    idempotencyKey: `cui-bench-shot-${crypto.randomUUID()}`,
  });
  for (;;) {
    const s = await state(sentAt);
    if (startEnd(s.cuiRow, sentAt).start && startEnd(s.vsRow, sentAt).start) break;
    if (Date.now() - sentAt > 30_000) throw new Error('the screenshot run did not show as running on both sides');
    await sleep(200);
  }
  await send;
  await sleep(1500); // the age ticks on both sides
  // Outline the measured elements (after the measurement, so nothing measured was touched).
  await cuiPage.evaluate((key) => {
    const row = document.querySelector(`.session-row-host[data-session-key="${CSS.escape(key)}"]`);
    if (row) row.style.outline = '2px solid red';
    const stop = document.querySelector('.chat-pane-cache__pane--active .chat-send-btn--stop');
    if (stop) stop.style.outline = '2px dashed red';
  }, KEY);
  await vsPage.evaluate((label) => {
    for (const row of document.querySelectorAll('.monaco-list-row'))
      if ((row.querySelector('.label-name')?.textContent ?? '').endsWith(label)) {
        const d = row.querySelector('.label-description');
        if (d) d.style.outline = '2px solid red';
      }
  }, LABEL);
  await cuiPage.screenshot({ path: shotFiles.cui });
  await vsPage.screenshot({ path: shotFiles.vs });
  say(
    `screenshots (a run in progress, measured elements outlined in red): ${Object.values(shotFiles)
      .map((f) => path.relative(root, f))
      .join(', ')}`,
  );
  for (;;) {
    const s = await state(sentAt);
    if (startEnd(s.cuiRow, sentAt).end && startEnd(s.vsRow, sentAt).end) break;
    if (Date.now() - sentAt > 60_000) break;
    await sleep(300);
  }
} catch (e) {
  say(`screenshots failed: ${e.message}`);
}
const modelRequests = model.requests();
await cleanup();

// ---------------------------------------------------------------- report

writeFileSync(
  path.join(buildDir, 'control-ui-result.json'),
  JSON.stringify({ opts, visibility, offsetsBefore, offsetsAfter, loadBefore, loadAfter, results }, null, 1),
);
const col = (f) => results.map(f);
const ok = results.filter((r) => r.reply);
const rowsFor = (label, get) => {
  const s = stats(col(get));
  return [label, String(s.n), s.p50, s.p95, s.max];
};
console.log(
  `\n## Control UI side by side: ${results.length} runs on one openclaw ${tools.versions.openclaw} gateway, model answers after ${opts.modelDelayMs} ms (node ${process.version}, ${os.cpus().length} CPU, load ${loadBefore} before the runs, ${loadAfter} after)`,
);
const SIDES = [
  ['Control UI: sidebar row ring (DOM)', (r) => r.cuiRow, 'startMs', 'endMs'],
  ['Control UI: sidebar row ring (next frame)', (r) => r.cuiRow, 'startFrameMs', 'endFrameMs'],
  ['Lanewatch: tree row description (DOM)', (r) => r.vsRow, 'startMs', 'endMs'],
  ['Lanewatch: tree row description (next frame)', (r) => r.vsRow, 'startFrameMs', 'endFrameMs'],
  ['(info) Control UI: chat pane Stop button (DOM)', (r) => r.cuiChat, 'startMs', 'endMs'],
  ['(info) Control UI: chat pane Stop button (next frame)', (r) => r.cuiChat, 'startFrameMs', 'endFrameMs'],
];
const COLS = ['', 'n', 'p50', 'p95', 'max'];
table(
  'run start: chat.send → visible (ms)',
  COLS,
  [
    ...SIDES.map(([label, side, k]) => rowsFor(label, (r) => side(r)[k])),
    rowsFor('(reference) official client: sessions.changed running', (r) => r.gateway.startMs),
    rowsFor('(reference) chat.send acknowledged', (r) => r.ackMs),
  ],
  [
    'DOM: the MutationObserver callback that saw the change; next frame: the requestAnimationFrame after it. Both in the page, with Date.now() (same clock as the send).',
  ],
);
table(
  'run end: model reply → visible (ms)',
  COLS,
  [
    ...SIDES.map(([label, side, , k]) => rowsFor(label, (r) => side(r)[k] - r.reply?.sentMs)),
    rowsFor('(reference) official client: chat final', (r) => r.gateway.finalMs - r.reply?.sentMs),
    rowsFor('(reference) official client: sessions.changed not running', (r) => r.gateway.doneMs - r.reply?.sentMs),
  ],
  [
    `Model reply = the fake model handed the last byte of its answer to the socket (${opts.modelDelayMs} ms after the request arrived; the request came ${f0(stats(col((r) => r.reply?.receivedMs)).p50)} ms after the send at p50).`,
  ],
);
table(
  'run end: chat.send → visible (ms)',
  COLS,
  SIDES.map(([label, side, , k]) => rowsFor(label, (r) => side(r)[k])),
);

// Per run: Lanewatch's time against the Control UI's, both from the same origin (send, or model reply for the end).
const fromReply = (r, v) => v - r.reply?.sentMs;
const sooner = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? Math.min(a, b) : Number.isFinite(a) ? a : b);
const compare = (label, lw, cui) => {
  const l = stats(col(lw)),
    c = stats(col(cui)),
    d = stats(col((r) => lw(r) - cui(r)));
  const first = col((r) => lw(r) <= cui(r)).filter(Boolean).length;
  return [
    label,
    l.p50,
    c.p50,
    ratio(l.p50, c.p50),
    ratio(l.p95, c.p95),
    `${f0(d.p50)} / ${f0(d.p95)} / ${f0(d.max)}`,
    `${first} of ${d.n}`,
    { l, c },
  ];
};
const cmp = [
  compare(
    'start, next frame: vs Control UI sidebar row',
    (r) => r.vsRow.startFrameMs,
    (r) => r.cuiRow.startFrameMs,
  ),
  compare(
    'start, DOM: vs Control UI sidebar row',
    (r) => r.vsRow.startMs,
    (r) => r.cuiRow.startMs,
  ),
  compare(
    '(info) start, next frame: vs the sooner of row and Stop button',
    (r) => r.vsRow.startFrameMs,
    (r) => sooner(r.cuiRow.startFrameMs, r.cuiChat.startFrameMs),
  ),
  compare(
    'end, next frame: vs Control UI sidebar row',
    (r) => fromReply(r, r.vsRow.endFrameMs),
    (r) => fromReply(r, r.cuiRow.endFrameMs),
  ),
  compare(
    'end, DOM: vs Control UI sidebar row',
    (r) => fromReply(r, r.vsRow.endMs),
    (r) => fromReply(r, r.cuiRow.endMs),
  ),
  compare(
    '(info) end, next frame: vs the sooner of row and Stop button',
    (r) => fromReply(r, r.vsRow.endFrameMs),
    (r) => fromReply(r, sooner(r.cuiRow.endFrameMs, r.cuiChat.endFrameMs)),
  ),
];
table(
  'Lanewatch against the Control UI (start from chat.send, end from the model reply; ms)',
  [
    '',
    'Lanewatch p50',
    'Control UI p50',
    'ratio p50',
    'ratio p95',
    'Lanewatch − Control UI per run: p50 / p95 / max',
    'Lanewatch first in',
  ],
  cmp.map((row) => row.slice(0, -1)),
  ['ratio = Lanewatch / Control UI (below 1: Lanewatch shows it sooner). Negative differences: Lanewatch first.'],
);
const { l: ls, c: cs } = cmp[0].at(-1);
const { l: le, c: ce } = cmp[3].at(-1);
const { l: lsd, c: csd } = cmp[1].at(-1);
const { l: led, c: ced } = cmp[4].at(-1);

const verdict = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? (a <= b ? 'PASS' : 'MISS') : 'MISS (no data)');
table(
  'targets',
  ['figure', 'target', 'measured', ''],
  [
    [
      'run start visible (chat.send → next frame), p50',
      'no later than the Control UI (p50)',
      `Lanewatch ${f0(ls.p50)} ms, Control UI ${f0(cs.p50)} ms`,
      verdict(ls.p50, cs.p50),
    ],
    [
      'run end visible (model reply → next frame), p50',
      'no later than the Control UI (p50)',
      `Lanewatch ${f0(le.p50)} ms, Control UI ${f0(ce.p50)} ms`,
      verdict(le.p50, ce.p50),
    ],
    [
      '(stricter) run start in the DOM (chat.send → DOM), p50',
      'no later than the Control UI (p50)',
      `Lanewatch ${f0(lsd.p50)} ms, Control UI ${f0(csd.p50)} ms`,
      verdict(lsd.p50, csd.p50),
    ],
    [
      '(stricter) run end in the DOM (model reply → DOM), p50',
      'no later than the Control UI (p50)',
      `Lanewatch ${f0(led.p50)} ms, Control UI ${f0(ced.p50)} ms`,
      verdict(led.p50, ced.p50),
    ],
  ],
  [
    "The issue's targets are the first two rows: what is on screen, i.e. the first animation frame after the DOM changed (a page whose main thread is busy paints later). The (stricter) rows compare the DOM changes themselves. Control UI = the session's sidebar row, the element that says running/idle as Lanewatch's tree row does.",
  ],
);

const missed = results.filter((r) => !Number.isFinite(r.cuiRow.endMs) || !Number.isFinite(r.vsRow.endMs) || !r.reply);
console.log(`\n### run facts\n`);
console.log(
  `- ${results.length} runs, ${ok.length} answered by the model (${modelRequests} model requests in all, warm-up and screenshot run included); ${missed.length} runs where a side never showed the end within ${opts.runTimeoutMs} ms${missed.length ? `: ${missed.map((r) => r.run).join(', ')}` : ''}`,
);
const seqs = (k) => {
  const m = new Map();
  for (const r of results) m.set(r[k].states, (m.get(r[k].states) ?? 0) + 1);
  return [...m].map(([s, n]) => `${s || '(none)'} ×${n}`).join(', ');
};
console.log(
  `- states seen per run: Control UI row ${seqs('cuiRow')}; Lanewatch row ${seqs('vsRow')}; Control UI chat ${seqs('cuiChat')}`,
);
console.log(
  `- what the rows showed, run 1: Control UI row glyph "${results[0]?.cuiRow.startText}" then "${results[0]?.cuiRow.endText}"; Lanewatch "${results[0]?.vsRow.startText}" then "${results[0]?.vsRow.endText}"`,
);
console.log(
  `- Lanewatch's first "running" text of each run: ${results.map((r) => r.vsRow.startText ?? '–').join(' | ')}`,
);
console.log(
  `- page clocks against this process (lowest of 7 round trips), before / after: Control UI ${f0(offsetsBefore.cui.offset)} / ${f0(offsetsAfter.cui.offset)} ms, VS Code ${f0(offsetsBefore.vs.offset)} / ${f0(offsetsAfter.vs.offset)} ms; pages visible: ${visibility.cui} / ${visibility.vs}`,
);
say(`done; raw figures in ${path.relative(root, path.join(buildDir, 'control-ui-result.json'))}`);
process.exit(0);
