#!/usr/bin/env node
// Transcript panel: time to first paint of a 10,000-message transcript in the real webview bundle.
//
//   node bench/transcript.mjs [--messages 10000] [--runs 7]
//
// Bundles webview/transcript/transcript.entry.ts as the extension ships it (esbuild, minified) into bench/.build/webview/,
// builds 10,000 transcript messages in the 2026.9.6 shapes (from test/fixtures/captured: user text, assistant text
// with usage, every tenth assistant message with a tool call followed by a tool result, multi-line answers),
// normalizes them with the extension's own code (normalizeMessage → entryView → snapshotChunks) and loads the
// bundle in headless Debian chromium (playwright-core, /usr/bin/chromium) in a small page with a stub
// acquireVsCodeApi (scripts/fixtures/webview-harness.mjs). Each run reloads the page, stages the host's messages
// in the page, then delivers them as message events the way VS Code does and measures, in page time:
//
//   first paint   from the first delivered message to the first frame with rows (the newest chunk: 1,000 entries)
//   all loaded    until every chunk is applied (the webview reported 10,000 entries)
//   single post   first paint when all 10,000 entries come in one message (worst case)
//   search        typing a query that matches ~1,000 times across all entries, until the match count is reported
//
// plus the DOM size after loading. No network: the page loads file: URLs only. Not a test: it prints figures.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const MESSAGES = arg('messages', 10_000);
const RUNS = arg('runs', 7);
const TARGET_MS = 300;
const say = (m) => console.log(`[bench transcript] ${m}`);

// ---------------------------------------------------------------- build (what the extension ships)

const buildDir = path.join(benchDir, '.build');
const webDir = path.join(buildDir, 'webview');
mkdirSync(path.join(webDir, 'codicons'), { recursive: true });
const esbuild = await import('esbuild');
{
  const s = performance.now();
  await esbuild.build({
    entryPoints: { transcript: path.join(root, 'webview/transcript/transcript.entry.ts') },
    outdir: webDir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const helper = path.join(buildDir, 'transcript-view-entry.ts');
  writeFileSync(
    helper,
    `export { normalizeMessage } from '../../src/transcript/transcriptEntry';\nexport { entryView, snapshotChunks } from '../../src/transcript/transcriptView';\n`,
  );
  await esbuild.build({
    entryPoints: [helper],
    outfile: path.join(buildDir, 'transcript-view.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const f of ['shared/webview.css', 'transcript/transcript.css'])
    cpSync(path.join(root, 'webview', f), path.join(webDir, path.basename(f)));
  for (const f of ['codicon.css', 'codicon.ttf'])
    cpSync(path.join(root, 'node_modules/@vscode/codicons/dist', f), path.join(webDir, 'codicons', f));
  const bytes = readFileSync(path.join(webDir, 'transcript.js')).length;
  say(
    `bundled webview/transcript/transcript.entry.ts (${(bytes / 1024).toFixed(0)} KB minified) in ${(performance.now() - s).toFixed(0)} ms`,
  );
}
const require = createRequire(import.meta.url);
const { normalizeMessage, entryView, snapshotChunks } = require(path.join(buildDir, 'transcript-view.cjs'));
const { openWebview, chromiumAvailable, CHROMIUM } = await import('../scripts/fixtures/webview-harness.mjs');
if (!chromiumAvailable()) {
  console.error(`chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  process.exit(1);
}

// ---------------------------------------------------------------- a realistic 10,000-message transcript

const captured = JSON.parse(readFileSync(path.join(root, 'test/fixtures/captured/normal-turn.json'), 'utf8'));
const [userTpl, assistantTpl] = captured.results['chat.history'].messages;
const WORDS =
  'the gateway session lane run model tool queue abort reset transcript message answer question file line error retry stream token usage cost agent'.split(
    ' ',
  );
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const sentence = (n) => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
function buildMessages(n) {
  const out = [];
  const t0 = Date.now() - n * 5_000;
  for (let i = 0; out.length < n; i++) {
    const seq = out.length + 1;
    const meta = (id) => ({ ...userTpl.__openclaw, id, seq });
    const user = structuredClone(userTpl);
    user.content = `${sentence(8 + Math.floor(rand() * 20))}?`;
    user.timestamp = t0 + seq * 5_000;
    user.__openclaw = meta(`u-${i}`);
    out.push(user);
    if (out.length >= n) break;
    const a = structuredClone(assistantTpl);
    const lines = 1 + Math.floor(rand() * 12);
    a.content = [
      { type: 'text', text: Array.from({ length: lines }, () => sentence(6 + Math.floor(rand() * 30))).join('\n') },
    ];
    if (i % 10 === 0)
      a.content.push({
        type: 'toolCall',
        id: `call-${i}`,
        name: 'read',
        arguments: { path: `/work/src/file-${i}.ts`, lines: [1, 200] },
      });
    a.timestamp = t0 + (seq + 1) * 5_000;
    a.__openclaw = { ...assistantTpl.__openclaw, id: `a-${i}`, seq: seq + 1 };
    out.push(a);
    if (i % 10 === 0 && out.length < n) {
      out.push({
        role: 'toolResult',
        toolCallId: `call-${i}`,
        toolName: 'read',
        content: [{ type: 'text', text: Array.from({ length: 40 }, (_, l) => `${l + 1}\t${sentence(10)}`).join('\n') }],
        isError: false,
        timestamp: a.timestamp + 100,
        __openclaw: { id: `r-${i}`, seq: seq + 2 },
      });
    }
  }
  return out.slice(0, n);
}
const sBuild = performance.now();
const raw = buildMessages(MESSAGES);
const entries = raw.map((m) => normalizeMessage(m));
const chunks = snapshotChunks(entries);
const single = [{ op: 'replace', entries: entries.map(entryView) }];
const payloadBytes = Buffer.byteLength(JSON.stringify(chunks));
say(
  `${MESSAGES.toLocaleString('en-US')} messages (${entries.filter((e) => e.tools).length} with tool parts), ${chunks.length} chunks, ${(payloadBytes / 1024 / 1024).toFixed(1)} MB as JSON; normalized in ${(performance.now() - sBuild).toFixed(0)} ms`,
);

// Every message in the envelope the panel base puts around what the panel posts (src/protocol/envelope.ts).
const envelope = { v: 1, panel: 'transcript' };
const INIT = {
  ...envelope,
  type: 'transcript/init',
  gateway: 'bench',
  sessionKey: 'agent:main:bench',
  title: 'bench · bench',
};
const STATUS = {
  ...envelope,
  type: 'transcript/status',
  status: {
    connection: 'connected',
    session: 'ok',
    loaded: true,
    hasOlder: false,
    olderStop: 'start',
    dropped: 0,
    maxMessages: 20_000,
    notices: [],
  },
};

// ---------------------------------------------------------------- runs

const w = await openWebview({ distDir: webDir, width: 1200, height: 800 });
const results = { firstPaint: [], allLoaded: [], singleFirstPaint: [], search: [], domNodes: [], rowsInDom: [] };
try {
  for (let run = 0; run <= RUNS; run++) {
    for (const variant of ['chunked', 'single']) {
      await w.page.reload();
      await w.page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));
      const messages = variant === 'chunked' ? chunks : single;
      // Stage the host's messages in the page first (CDP transfer is not part of the measurement). A sentinel
      // message after them marks when every chunk was handled; two frames later the result is painted.
      await w.page.evaluate(
        ([init, status, ms]) => {
          window.__staged = [
            init,
            status,
            ...ms.map((c) => ({ v: 1, panel: 'transcript', type: 'transcript/entries', op: c.op, entries: c.entries })),
            { type: '__bench/done' }, // not a panel message: the page ignores it (and reports it), the bench sees it
          ];
          window.__allPainted = undefined;
          window.addEventListener('message', (e) => {
            if (e.data?.type === '__bench/done')
              requestAnimationFrame(() =>
                requestAnimationFrame(() => {
                  window.__allPainted = performance.now();
                }),
              );
          });
        },
        [INIT, STATUS, messages],
      );
      const t0 = await w.page.evaluate(() => {
        const t = performance.now();
        for (const m of window.__staged) window.postMessage(m, '*');
        window.__staged = undefined;
        return t;
      });
      const painted = await w.report((f) => f.firstPaintAt !== undefined, 60_000);
      await w.page.waitForFunction(() => window.__allPainted !== undefined, null, { timeout: 60_000 });
      const allPainted = await w.page.evaluate(() => window.__allPainted);
      const loaded = await w.report((f) => f.entries === MESSAGES, 60_000);
      if (run === 0) continue; // warm-up
      if (variant === 'single') {
        results.singleFirstPaint.push(painted.firstPaintAt - t0);
        continue;
      }
      results.firstPaint.push(painted.firstPaintAt - t0);
      results.allLoaded.push(allPainted - t0);
      results.domNodes.push(loaded.domNodes);
      results.rowsInDom.push(loaded.rowsInDom);
      // Search across every entry: from the input event to the match count on screen, minus the field's 200 ms debounce.
      const q = 'queue abort';
      const measured = await w.page.evaluate(
        (query) =>
          new Promise((resolve) => {
            const count = document.querySelector('.toolbar .count');
            const field = document.querySelector('vscode-textfield.search');
            let ts = 0;
            new MutationObserver((_, obs) => {
              if (count.textContent) {
                obs.disconnect();
                requestAnimationFrame(() => resolve({ ms: performance.now() - ts - 200, text: count.textContent }));
              }
            }).observe(count, { childList: true, characterData: true, subtree: true });
            ts = performance.now();
            field.value = query;
            field.dispatchEvent(new Event('input'));
          }),
        q,
      );
      const found = await w.report((f) => f.search === q, 30_000);
      results.search.push({ ms: measured.ms, matches: found.searchMatches });
    }
  }
} finally {
  await w.close();
}

// ---------------------------------------------------------------- figures

const sorted = (a) => [...a].sort((x, y) => x - y);
const median = (a) => {
  const s = sorted(a);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const p90 = (a) => {
  const s = sorted(a);
  return s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)];
};
const fmt = (a) =>
  `median ${median(a).toFixed(0)} ms · p90 ${p90(a).toFixed(0)} ms · min ${Math.min(...a).toFixed(0)} · max ${Math.max(...a).toFixed(0)} (${a.length} runs)`;
console.log('');
console.log(
  `Transcript webview, ${MESSAGES.toLocaleString('en-US')} messages, headless chromium ${CHROMIUM}, 1200×800, ${os.cpus().length} CPU(s), load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `  time to first paint (host chunks, newest 1,000 first)   ${fmt(results.firstPaint)}   target < ${TARGET_MS} ms: ${median(results.firstPaint) < TARGET_MS ? 'met' : 'NOT met'}`,
);
console.log(`  every chunk applied and painted                           ${fmt(results.allLoaded)}`);
console.log(
  `  time to first paint (all ${MESSAGES.toLocaleString('en-US')} in one message)        ${fmt(results.singleFirstPaint)}`,
);
console.log(
  `  search "queue abort" over every entry                    ${fmt(results.search.map((s) => Math.max(0, s.ms)))} · ${results.search[0]?.matches} matches`,
);
console.log(`  DOM after loading: ${median(results.domNodes)} elements, ${median(results.rowsInDom)} rows in the DOM`);
