// The built Gateway details webview (dist/webview/gateway-details.js) in headless chromium
// (scripts/fixtures/webview-harness.mjs), fed what the panel posts (healthView over deriveHealth, src/fleet/gatewayHealth.ts):
// the process health section shows the verdict, the gateway's numbers, a text sparkline and a table of the last reads;
// a health update redraws that section only (the buttons stay the same elements); text from the gateway renders inert.
// Skipped (with the reason) when chromium or the bundle is missing: run `npm run build` first.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deriveHealth, healthView, type HealthSample } from '../../src/fleet/gatewayHealth';
import { GATEWAY_DETAILS, type GatewayDetailsView, type GatewayHealthView } from '../../src/protocol/webviewMessages';
import { importFixture, repoRoot } from '../support/fixtures';

const distDir = path.join(repoRoot, 'dist', 'webview');
let harness: any;
let skip: string | false = false;
before(async () => {
  const h = await importFixture('webview-harness');
  if (!h.chromiumAvailable()) skip = `chromium not found at ${h.CHROMIUM}`;
  else if (!existsSync(path.join(distDir, 'gateway-details.js')))
    skip = 'dist/webview/gateway-details.js not built (npm run build)';
  harness = h;
});
const opened: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const w of opened) await w.close();
});

const HOSTILE = `<img src=x onerror="window.__pwned='img'"><script>window.__pwned='script'</script>`;
const T0 = 1_800_000_000_000;
function samples(degradedTail: boolean): HealthSample[] {
  return Array.from({ length: 40 }, (_, i) => {
    const busy = degradedTail && i >= 36;
    return {
      at: T0 + i * 2_000,
      answerMs: busy ? 2_400 : 4,
      source: 'system.info' as const,
      eventLoop: {
        degraded: busy,
        degradedSinceMs: busy ? (i - 35) * 2_000 : null,
        reasons: busy ? ['event_loop_delay' as const] : [],
        intervalMs: 1_000,
        delayP99Ms: busy ? 1_600 : 20,
        delayMaxMs: busy ? 1_900 : 25,
        utilization: busy ? 0.99 : 0.05,
        cpuCoreRatio: busy ? 1.01 : 0.04,
      },
      memory: { rssBytes: 900 * 1024 ** 2, heapUsedBytes: 3e8, heapTotalBytes: 4e8 },
      uptimeMs: 3_600_000,
      instanceId: HOSTILE,
      readiness: { ready: !busy, failing: busy ? [HOSTILE] : [], status: busy ? 503 : 200 },
    };
  });
}
const health = (degraded: boolean): GatewayHealthView => {
  const s = samples(degraded);
  return healthView(deriveHealth({ now: s.at(-1)!.at, connected: true, samples: s }), s, 600_000);
};
const details = (h: GatewayHealthView): GatewayDetailsView => ({
  name: 'gw',
  url: 'ws://127.0.0.1:1',
  state: 'connected',
  summary: 'Connected',
  scopes: ['operator.read'],
  missingScopes: [],
  sessions: { total: 0, running: 0 },
  health: h,
});

describe('Gateway details webview: process health', () => {
  it('shows the verdict, numbers, sparklines and history as inert text; a health update keeps the buttons', async (t) => {
    if (skip) return t.skip(skip);
    const w = await harness.openWebview({
      distDir,
      entry: 'gateway-details',
      css: ['webview.css', 'gateway-details.css'],
    });
    opened.push(w);
    const post = (m: Parameters<typeof GATEWAY_DETAILS.sealToWebview>[0]) => w.post(GATEWAY_DETAILS.sealToWebview(m));
    await post({ type: 'gatewayDetails/details', details: details(health(false)) });
    await w.report((f: any) => f.health === 'ok' && f.rendered === 'gw');
    const button = await w.page.$('vscode-button');
    // The page's globals, untyped: this Node program has no DOM types (the callbacks run in chromium).
    await w.page.evaluate(() => {
      const g = globalThis as any;
      g.__firstButton = g.document.querySelector('vscode-button');
    });
    assert.ok(button);

    await post({ type: 'gatewayDetails/health', health: health(true) });
    const f = await w.report((x: any) => x.health === 'degraded');
    assert.equal(f.rendered, 'gw', 'the details facts stay in the report');
    assert.equal(f.buttons, 2);
    const dom = await w.page.evaluate(() => {
      const g = globalThis as any;
      const all = (q: string): any[] => [...g.document.querySelectorAll(q)];
      return {
        headline: g.document.querySelector('#health p')?.textContent as string,
        numbers: all('#health dl.facts dt').map((d) => d.textContent as string),
        sparkRows: all('#health .spark').length,
        sparkChars: g.document.querySelector('#health .spark')?.textContent?.length as number,
        badChars: all('#health .spark .bad').length,
        rows: all('#health table.history tr').length,
        badRows: all('#health table.history tr.bad').length,
        text: (g.document.getElementById('health')?.textContent ?? '') as string,
        imgs: all('#health img, #health script').length,
        sameButton: g.__firstButton === g.document.querySelector('vscode-button'),
        pwned: g.__pwned as unknown,
      };
    });
    assert.match(
      dom.headline,
      /^Degraded: event loop 99% busy, 1\.9 s delay, CPU 1\.01 cores; not ready: <img .*; answers in 2\.4 s$/,
    );
    assert.deepEqual(dom.numbers.slice(0, 3), ['event loop', 'event-loop delay', 'CPU (gateway process)']);
    assert.equal(dom.sparkRows, 4, 'busy, delay, CPU, answer time');
    assert.equal(dom.sparkChars, 40, 'one character per read');
    assert.equal(dom.badChars, 4 * 4, 'the 4 degraded reads marked on each line');
    assert.equal(dom.rows, 11, 'header + the last 10 reads');
    assert.equal(dom.badRows, 4);
    assert.ok(dom.text.includes(HOSTILE), 'gateway text shown as text');
    assert.equal(dom.imgs, 0);
    assert.equal(dom.pwned, undefined);
    assert.equal(dom.sameButton, true, 'a health update redraws only the health section');
    assert.deepEqual(w.errors, []);
  });
});

describe('Gateway details webview: the gateway’s own recovery', () => {
  it('says it, with a session label shown as text', async (t) => {
    if (skip) return t.skip(skip);
    const w = await harness.openWebview({
      distDir,
      entry: 'gateway-details',
      css: ['webview.css', 'gateway-details.css'],
    });
    opened.push(w);
    const text = `The gateway's own stuck-session recovery ran 2 times in the last 10 min (2 released); freed nothing on 1 session a run still holds: ${HOSTILE}.`;
    await w.post(
      GATEWAY_DETAILS.sealToWebview({
        type: 'gatewayDetails/details',
        details: { ...details(health(false)), gatewayRecovery: text },
      }),
    );
    await w.report((f: any) => f.rendered === 'gw');
    const dom = await w.page.evaluate(() => {
      const g = globalThis as any;
      return {
        problems: [...g.document.querySelectorAll('#app > p.problem')].map((p: any) => p.textContent as string),
        imgs: g.document.querySelectorAll('#app img, #app script').length as number,
        pwned: g.__pwned as unknown,
      };
    });
    assert.deepEqual(dom.problems, [text]);
    assert.equal(dom.imgs, 0);
    // Failures its log reported that hold no lane: the summary and the advice for each, as text.
    const logText = `In its log, the last 10 min: a prompt was larger than its model’s context window (${HOSTILE}), once, last 1m00s ago.`;
    await w.post(
      GATEWAY_DETAILS.sealToWebview({
        type: 'gatewayDetails/details',
        details: {
          ...details(health(false)),
          logProblems: { text: logText, advice: ['Compact that session, or start it anew (/new).'] },
        },
      }),
    );
    await w.page.waitForFunction(() => (globalThis as any).document.querySelector('#app > ul.advice li') !== null);
    const logDom = await w.page.evaluate(() => {
      const g = globalThis as any;
      return {
        problems: [...g.document.querySelectorAll('#app > p.problem')].map((p: any) => p.textContent as string),
        advice: [...g.document.querySelectorAll('#app > ul.advice li')].map((li: any) => li.textContent as string),
        imgs: g.document.querySelectorAll('#app img, #app script').length as number,
      };
    });
    assert.deepEqual(logDom.problems, [logText]);
    assert.deepEqual(logDom.advice, ['Compact that session, or start it anew (/new).']);
    assert.equal(logDom.imgs, 0);
    assert.equal(dom.pwned, undefined);
    assert.deepEqual(w.errors, []);
  });
});

describe('Gateway details webview: a gateway that does not answer', () => {
  it('shows what its HTTP probes said beside the WebSocket', async (t) => {
    if (skip) return t.skip(skip);
    const w = await harness.openWebview({
      distDir,
      entry: 'gateway-details',
      css: ['webview.css', 'gateway-details.css'],
    });
    opened.push(w);
    const diagnosis = 'WebSocket: no challenge within 10 s · HTTP: /health 200 in 3 ms, /readyz 200 in 2 ms';
    await w.post(
      GATEWAY_DETAILS.sealToWebview({
        type: 'gatewayDetails/details',
        details: {
          ...details(health(false)),
          state: 'disconnected',
          summary: 'HTTP answers, WebSocket silent',
          advice: 'The gateway answers HTTP but its WebSocket never sends the challenge.',
          problemKind: 'http-only',
          diagnosis,
        },
      }),
    );
    await w.report((f: any) => f.rendered === 'gw');
    const text = await w.page.evaluate(
      () => ((globalThis as any).document.getElementById('app')?.textContent ?? '') as string,
    );
    assert.ok(text.includes(diagnosis), text.slice(0, 400));
    assert.deepEqual(w.errors, []);
  });
});
