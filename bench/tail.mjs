#!/usr/bin/env node
// Gateway Logs panel under a fast log: 100,000 lines at 5,000 lines/s into an open panel. Not a test: it prints
// figures, targets and PASS/MISS, and exits 0 unless the setup fails.
//
//   node bench/tail.mjs [--lines 100000] [--rate 5000] [--batch-ms 10] [--capacity 20000] [--width 1000] [--height 700]
//
// Host side (this process, plain Node): the panel's own vscode-free code, bundled by esbuild from src/ into
// bench/.build/tail-host.cjs: parseLogLine → LogRing (capacity 20,000, the lanewatch.logs.maxLines default) →
// compileLogFilter (preset "all") → logRowView, and the `logTail/lines` message from logLinesMessage, which is what
// LogTailPanel.onBatch/postLines post (src/logs/logRows.ts). Every --batch-ms the lines that are due at --rate are
// ingested as one batch (50 lines per 10 ms), like one logs.tail poll returning what was written since the cursor.
// The lines are the real gateway log lines in test/fixtures/captured/*.json (logLines), with the captured
// lane-wait, long-running and stalled lines mixed in more often than they occur (one line in 25 is a diagnostic).
//
// Webview side: the built bundle dist/webview/log-tail.js (`npm run build`) in headless Debian chromium
// (playwright-core, /usr/bin/chromium) with a stub acquireVsCodeApi (scripts/fixtures/webview-harness.mjs). Each
// message is delivered as a message event, as VS Code does, and carries `benchSentAt` (this process's
// performance.timeOrigin + now(); the protocol guard ignores extra fields). A listener registered after the page's
// own records when the message was applied, and a requestAnimationFrame after that when it was painted.
//
// Measured:
//   lines        dropped by the ring by design (ingested − capacity), and lost: lines that should be visible (kept
//                by the ring and matching the filter) but are not in the webview's list, or messages never applied
//   delay        host → webview per batch: benchSentAt → applied, and → painted (p50/p95/max); includes the CDP
//                transfer that stands in for VS Code's postMessage
//   DOM          elements (getElementsByTagName('*')) and all nodes, sampled every 250 ms during the run, and after
//   frames       requestAnimationFrame deltas while the list is scrolled during ingest (scrollTop steps of 3 rows per
//                frame up, then mouse-wheel events down), and while following the tail
//   follow tail  at the bottom every painted batch shows the newest line; scrolled up, it does not follow; End follows again
import { mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const LINES = arg('lines', 100_000);
const RATE = arg('rate', 5_000);
const BATCH_MS = arg('batch-ms', 10);
const CAPACITY = arg('capacity', 20_000);
const WIDTH = arg('width', 1000),
  HEIGHT = arg('height', 700);
const say = (m) => console.log(`[bench tail] ${m}`);
const DURATION_MS = (LINES / RATE) * 1000;

// ---------------------------------------------------------------- build the host side (what the extension runs)

const distDir = path.join(root, 'dist', 'webview');
if (!existsSync(path.join(distDir, 'log-tail.js'))) {
  console.error('dist/webview/log-tail.js not built: run `npm run build` first');
  process.exit(1);
}
const buildDir = path.join(benchDir, '.build');
mkdirSync(buildDir, { recursive: true });
{
  const esbuild = await import('esbuild');
  const helper = path.join(buildDir, 'tail-host-entry.ts');
  writeFileSync(
    helper,
    [
      "export { parseLogLine } from '../../src/logs/logLine';",
      "export { LogRing, compileLogFilter } from '../../src/logs/logRing';",
      "export { ingestLogLines, logLinesMessage } from '../../src/logs/logRows';",
      '',
    ].join('\n'),
  );
  await esbuild.build({
    entryPoints: [helper],
    outfile: path.join(buildDir, 'tail-host.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
}
const require = createRequire(import.meta.url);
const { LogRing, compileLogFilter, ingestLogLines, logLinesMessage } = require(path.join(buildDir, 'tail-host.cjs'));
const { openWebview, chromiumAvailable, CHROMIUM } = await import('../scripts/fixtures/webview-harness.mjs');
if (!chromiumAvailable()) {
  console.error(`chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  process.exit(1);
}

// ---------------------------------------------------------------- realistic lines

const capturedDir = path.join(root, 'test/fixtures/captured');
const captured = readdirSync(capturedDir)
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) => JSON.parse(readFileSync(path.join(capturedDir, f), 'utf8')).logLines ?? []);
const isDiag = (l) => /lane wait exceeded:|stalled session:|long-running session:|stuck session:/.test(l);
const diagnostics = captured.filter(isDiag);
const ordinary = captured.filter((l) => !isDiag(l));
// Vary the session keys and numbers, so the rows differ (and the lane-wait/stalled lines name many sessions).
const POOL = 4_000;
const pool = Array.from({ length: POOL }, (_, i) => {
  if (i % 25 === 0) {
    const tpl = diagnostics[(i / 25) % diagnostics.length];
    return tpl
      .replaceAll(/agent:main:[\w-]+/g, `agent:main:bench-${String(i % 200).padStart(3, '0')}`)
      .replace(/waitedMs=\d+/, `waitedMs=${10_000 + i}`)
      .replace(/age=\d+s/g, `age=${60 + (i % 600)}s`);
  }
  return ordinary[i % ordinary.length].replace(/(\d+)ms/, (_m, n) => `${Number(n) + (i % 97)}ms`);
});
const poolBytes = pool.reduce((n, l) => n + Buffer.byteLength(l), 0);
say(
  `${captured.length} captured lines (${diagnostics.length} lane-wait/long-running/stalled), pool of ${POOL} variants, ${(poolBytes / POOL).toFixed(0)} bytes per line on average`,
);

// ---------------------------------------------------------------- page

const w = await openWebview({
  distDir,
  entry: 'log-tail',
  css: ['webview.css', 'log-tail.css'],
  width: WIDTH,
  height: HEIGHT,
});
const filter = { preset: 'all', minLevel: 'TRACE', text: '', session: '' };
// Every message in the envelope the panel base puts around what the panel posts (src/protocol/envelope.ts).
const envelope = { v: 1, panel: 'logTail' };
await w.post(
  { ...envelope, type: 'logTail/init', gateway: 'bench', capacity: CAPACITY, filter },
  { ...envelope, type: 'logTail/source', source: { kind: 'rpc', label: 'gateway RPC' } },
);
// The page-side recorder. Registered after the bundle's own listener, so it runs after applyLines for each message.
await w.page.evaluate(() => {
  const vp = document.querySelector('.viewport');
  const rows = document.querySelector('.rows');
  const now = () => performance.timeOrigin + performance.now();
  const b = (window.__bench = {
    transport: [],
    applied: [],
    painted: [],
    received: 0,
    phase: 'follow',
    frames: { follow: [], scroll: [], wheel: [], 'follow-end': [] },
    dom: [],
    follow: { follow: [0, 0], 'follow-end': [0, 0] },
    notFollowingWhileUp: 0,
    upChecks: 0,
  });
  // A capture listener on window runs before the bundle's (target phase: capture first): when the event arrived.
  let arrived = 0;
  window.addEventListener(
    'message',
    () => {
      arrived = now();
    },
    { capture: true },
  );
  window.addEventListener('message', (e) => {
    const m = e.data;
    if (m?.type !== 'logTail/lines' || m.benchSentAt === undefined) return;
    b.received++;
    const applied = now();
    b.transport.push(arrived - m.benchSentAt);
    b.applied.push(applied - m.benchSentAt);
    const lastSeq = m.items.length ? m.items[m.items.length - 1].seq : undefined;
    requestAnimationFrame(() => {
      b.painted.push(now() - m.benchSentAt);
      const last = rows.lastElementChild?.dataset.seq;
      const f = b.follow[b.phase];
      if (f && lastSeq !== undefined) {
        f[0]++;
        if (Number(last) >= lastSeq) f[1]++;
        // A miss: does the page itself think it is following (its Jump button is disabled then)?
        else
          document.querySelector('vscode-button')?.textContent?.startsWith('Jump') &&
          document.querySelectorAll('vscode-button')[0].disabled
            ? (b.missFollowing = (b.missFollowing ?? 0) + 1)
            : (b.missNotFollowing = (b.missNotFollowing ?? 0) + 1);
      }
      // (Batches painted in the first 100 ms of the phase are left out: the first scroll step may not have landed.)
      if (b.phase === 'up' && performance.now() - b.phaseAt > 100) {
        b.upChecks++;
        if (vp.scrollTop + vp.clientHeight >= vp.scrollHeight - 10) b.notFollowingWhileUp++;
      }
    });
  });
  // Frame times: every requestAnimationFrame delta, filed under the phase it ended in.
  let prev = 0;
  const tick = (t) => {
    const list = b.frames[b.phase === 'up' ? 'scroll' : b.phase];
    if (prev && list) list.push(t - prev);
    prev = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // Scrolling up in scrollTop steps of 3 rows, one step per 60 Hz frame, from a task (as input would: the scroll
  // event then reaches the page before its next render).
  setInterval(() => {
    if (b.phase === 'up') vp.scrollTop = Math.max(0, vp.scrollTop - 60);
  }, 1000 / 60);
  const countNodes = () => {
    let n = 0;
    const it = document.createNodeIterator(document, NodeFilter.SHOW_ALL);
    while (it.nextNode()) n++;
    return n;
  };
  b.sampleDom = () => ({
    elements: document.getElementsByTagName('*').length,
    nodes: countNodes(),
    rows: rows.childElementCount,
  });
  setInterval(() => b.dom.push(b.sampleDom()), 250);
});

// ---------------------------------------------------------------- ingest

const ring = new LogRing(CAPACITY);
const matches = compileLogFilter(filter);
const hostMs = [];
let sent = 0,
  messages = 0,
  batches = 0;
const posts = [];
// Messages go through a raw CDP session (Runtime.evaluate of window.postMessage(<JSON>), sent without waiting, in
// order): page.evaluate's argument serializer cost 7–30 ms per 50-row batch on this machine, more than the batch period.
const cdp = await w.page.context().newCDPSession(w.page);
const deliver = (msg) =>
  cdp.send('Runtime.evaluate', { expression: `window.postMessage(${JSON.stringify(msg)}, '*')` });
const setPhase = (phase) =>
  cdp.send('Runtime.evaluate', {
    expression: `window.__bench.phase = ${JSON.stringify(phase)}; window.__bench.phaseAt = performance.now()`,
  });
const phases = [
  [
    0.25,
    async () => {
      await setPhase('up');
    },
  ], // scroll up 3 rows per frame (scrollTop steps)
  [
    0.55,
    async () => {
      await setPhase('wheel');
      await w.page.mouse.move(WIDTH / 2, HEIGHT / 2);
    },
  ], // mouse wheel down
  // End in the list (keyboard focus on it, as after a click): back to the tail, following again.
  [
    0.85,
    async () => {
      await setPhase('end');
      await w.page.focus('.viewport');
      await w.page.keyboard.press('End');
      await new Promise((r) => setTimeout(r, 100));
      await setPhase('follow-end');
    },
  ],
];
let wheelTimer;
say(
  `ingesting ${LINES.toLocaleString('en-US')} lines at ${RATE.toLocaleString('en-US')} lines/s (${Math.round((RATE * BATCH_MS) / 1000)} per ${BATCH_MS} ms) for ${(DURATION_MS / 1000).toFixed(0)} s into a ring of ${CAPACITY.toLocaleString('en-US')}; load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const t0 = performance.now();
let nextPhase = 0;
while (sent < LINES) {
  const elapsed = performance.now() - t0;
  while (nextPhase < phases.length && elapsed >= phases[nextPhase][0] * DURATION_MS) {
    await phases[nextPhase][1]();
    if (nextPhase === 1)
      wheelTimer = setInterval(() => {
        void w.page.mouse.wheel(0, 100).catch(() => {});
      }, 50);
    if (nextPhase === 2) clearInterval(wheelTimer);
    nextPhase++;
  }
  const due = Math.min(LINES, Math.floor((elapsed / 1000) * RATE));
  if (due > sent) {
    const s = performance.now();
    const raw = [];
    for (let i = sent; i < due; i++) raw.push(pool[i % POOL]);
    const items = ingestLogLines(ring, raw, matches);
    const msg = {
      ...envelope,
      ...logLinesMessage(ring, items),
      benchSentAt: performance.timeOrigin + performance.now(),
    };
    hostMs.push(performance.now() - s);
    posts.push(deliver(msg));
    messages++;
    sent = due;
    batches++;
  }
  const wait = t0 + (batches + 1) * BATCH_MS - performance.now();
  await new Promise((r) => setTimeout(r, Math.max(0, wait)));
}
const ingestMs = performance.now() - t0;
clearInterval(wheelTimer);
await Promise.all(posts);
await w.page
  .waitForFunction((n) => window.__bench.received >= n && window.__bench.painted.length >= n, messages, {
    timeout: 60_000,
  })
  .catch(() => {});
await new Promise((r) => setTimeout(r, 500));
const expectedVisible = [...ring.entries()].filter((e) => matches(e.item)).length;
const finalFacts = await w
  .report((f) => f.kept === ring.size && f.firstSeq === ring.firstSeq && f.following === true, 10_000)
  .catch(async () => (await w.posted()).filter((m) => m.type === 'report').at(-1)?.facts);
const page = await w.page.evaluate(() => {
  const b = window.__bench;
  const after = b.sampleDom();
  // Scroll to the top: the oldest kept line must be the first row (nothing lost at the old end either).
  const vp = document.querySelector('.viewport');
  vp.scrollTop = 0;
  return new Promise((r) =>
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        const rows = [...document.querySelectorAll('.rows .row')];
        r({
          ...b,
          after,
          topRowText: rows[0]?.textContent?.slice(0, 120),
          topSeqs: rows
            .map((x) => x.dataset.seq)
            .filter(Boolean)
            .map(Number)
            .slice(0, 3),
        });
      }),
    ),
  );
});
await w.close();

// ---------------------------------------------------------------- figures

const sorted = (a) => [...a].sort((x, y) => x - y);
const pct = (a, p) => {
  const s = sorted(a);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : NaN;
};
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const stat = (a) =>
  `p50 ${f1(pct(a, 0.5))} · p95 ${f1(pct(a, 0.95))} · max ${f1(Math.max(...a))} ms (n = ${a.length.toLocaleString('en-US')})`;
// rAF deltas come in multiples of 16.7 ms with a little jitter (16.6–16.8 is one frame): "> 16.7 ms" counts deltas over 20 ms.
const frameStat = (a) =>
  `${stat(a)}; > 16.7 ms (one vsync or more missed): ${a.filter((x) => x > 20).length} (${f1((100 * a.filter((x) => x > 20).length) / a.length)} %), > 50 ms: ${a.filter((x) => x > 50).length}`;
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

const droppedByDesign = Math.max(0, LINES - CAPACITY);
const shown = finalFacts?.lines ?? NaN;
const lost = expectedVisible - shown + (messages - page.received);
const domMax = Math.max(...page.dom.map((d) => d.elements));
const nodesMax = Math.max(...page.dom.map((d) => d.nodes));
const scrollFrames = [...page.frames.scroll, ...page.frames.wheel];
const topOk = page.topSeqs[0] === ring.firstSeq;

console.log('');
console.log(
  `Gateway Logs webview, ${LINES.toLocaleString('en-US')} lines at ${RATE.toLocaleString('en-US')}/s, headless chromium ${CHROMIUM}, ${WIDTH}×${HEIGHT}, ${os.cpus().length} CPU(s), load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `  ingest took ${(ingestMs / 1000).toFixed(2)} s (${Math.round(LINES / (ingestMs / 1000)).toLocaleString('en-US')} lines/s), ${messages.toLocaleString('en-US')} messages; host work per batch (parse → ring → filter → message) ${stat(hostMs)}`,
);
console.log(
  `  lines: ingested ${LINES.toLocaleString('en-US')}, dropped by the ring by design ${ring.dropped.toLocaleString('en-US')} (expected ${droppedByDesign.toLocaleString('en-US')}), kept ${ring.size.toLocaleString('en-US')}, should be visible ${expectedVisible.toLocaleString('en-US')}, in the webview ${shown.toLocaleString('en-US')} (its dropped count ${finalFacts?.dropped?.toLocaleString('en-US')}), messages applied ${page.received}/${messages}`,
);
console.log(
  `  lost: ${lost}; first row after scrolling to the top is seq ${page.topSeqs[0]} (ring.firstSeq ${ring.firstSeq}): ${topOk ? 'ok' : 'WRONG'}`,
);
console.log(`  host → page event (CDP)  ${stat(page.transport)}`);
console.log(`  host → webview applied   ${stat(page.applied)}`);
console.log(`  host → webview painted   ${stat(page.painted)}`);
console.log(
  `  DOM during: max ${domMax} elements (${nodesMax} nodes incl. text), median ${pct(
    page.dom.map((d) => d.elements),
    0.5,
  )}; after: ${page.after.elements} elements, ${page.after.nodes} nodes, ${page.after.rows} rows`,
);
console.log(`  frames while following   ${frameStat([...page.frames.follow, ...page.frames['follow-end']])}`);
console.log(`  frames scrolling up (scrollTop −60 px per frame)  ${frameStat(page.frames.scroll)}`);
console.log(`  frames mouse-wheel down  ${frameStat(page.frames.wheel)}`);
const fol = page.follow.follow,
  fend = page.follow['follow-end'];
console.log(
  `  follow tail: newest line shown after ${fol[1]}/${fol[0]} painted batches at the bottom before scrolling, ${fend[1]}/${fend[0]} after End (misses: ${page.missFollowing ?? 0} with the page following, ${page.missNotFollowing ?? 0} with it no longer following); scrolled up, the view stayed off the bottom after ${page.upChecks - page.notFollowingWhileUp}/${page.upChecks}; after End: following ${finalFacts?.following}, at bottom ${finalFacts?.atBottom}`,
);
// Changing the filter re-runs it over the whole ring (LogTailPanel.refilter): a session preset plus text, 5 runs.
const refilterMs = [];
let refiltered = 0;
for (let i = 0; i < 5; i++) {
  const s = performance.now();
  refiltered = ring.filter(
    compileLogFilter({ preset: 'session', sessionKey: 'agent:main:hung-run', text: 'session', minLevel: 'INFO' }),
  ).length;
  refilterMs.push(performance.now() - s);
}
console.log(
  `  re-filter the full ring (${ring.size.toLocaleString('en-US')} lines, session preset + text, ${refiltered.toLocaleString('en-US')} hits) ${stat(refilterMs)}`,
);
console.log('');
const targets = [
  ['lost lines (kept by the ring, not shown)', '0', String(lost), lost === 0 && topOk],
  [
    `dropped by the ring (capacity ${CAPACITY.toLocaleString('en-US')})`,
    `${droppedByDesign.toLocaleString('en-US')} by design`,
    ring.dropped.toLocaleString('en-US'),
    ring.dropped === droppedByDesign,
  ],
  [
    'host → webview delay p95 (painted)',
    '< 100 ms',
    `${f1(pct(page.painted, 0.95))} ms`,
    pct(page.painted, 0.95) < 100,
  ],
  ['DOM elements, max during the run', '< 1,500', String(domMax), domMax < 1_500],
  ['DOM elements after', '< 1,500', String(page.after.elements), page.after.elements < 1_500],
  [
    'scroll frame time p95 while ingesting',
    '≤ 16.7 ms (one frame)',
    `${f1(pct(scrollFrames, 0.95))} ms`,
    pct(scrollFrames, 0.95) < 20,
  ],
  [
    'follows the tail at the bottom (before scrolling + after End)',
    'every batch',
    `${fol[1] + fend[1]}/${fol[0] + fend[0]}`,
    fol[1] === fol[0] && fend[1] === fend[0] && fend[0] > 0 && finalFacts?.following === true,
  ],
  ['re-filter the full ring, p95', '< 100 ms', `${f1(pct(refilterMs, 0.95))} ms`, pct(refilterMs, 0.95) < 100],
  [
    'does not follow while scrolled up',
    'every batch',
    `${page.upChecks - page.notFollowingWhileUp}/${page.upChecks}`,
    page.notFollowingWhileUp === 0,
  ],
];
console.log('| target | goal | measured | |');
console.log('|---|---:|---:|---|');
for (const [name, goal, measured, ok] of targets) console.log(`| ${name} | ${goal} | ${measured} | ${verdict(ok)} |`);
console.log('');
console.log(
  "The 100 ms delay target is this script's choice (the issue names none); the frame target is one 60 Hz frame.",
);
if (w.errors.length) console.log(`page errors: ${w.errors.join(' | ')}`);
process.exit(0);
