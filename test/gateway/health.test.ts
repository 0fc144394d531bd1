// The gateway process's health against a real gateway. 2026.9.x: the numbers Lanewatch reads and shows are the
// gateway's own (checked against the official client's system.info), and a gateway whose event loop is really blocked
// (a 20 MB chat.inject: the gateway parses, validates, projects and stores it on its main thread, ~10 s on the
// test machine) reads as degraded with the gateway's own numbers, then healthy again. Older versions: what they can
// give (no event-loop sample; readiness and the answer time only).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GatewayWatcher, WatcherChange } from '../../src/fleet/gatewayWatcher';
import { describeHealth, healthRowText, healthView, type HealthVerdict } from '../../src/fleet/gatewayHealth';
import { describeConnection } from '../../src/report/describe';
import { importFixture } from '../support/fixtures';
import { watcherOn } from '../support/fixtureWatcher';
import { GENERATION, on, VERSION } from '../support/scope';

const LONG = { timeout: 420_000 };
const KEY = 'agent:main:health-load';
let gw: any, fake: any, fixtures: any, op: any, watcher: GatewayWatcher;
const log: string[] = [];

before(async () => {
  fixtures = await importFixture('openclaw-gateway');
  const seed = await importFixture('seed-demo');
  const root = mkdtempSync(path.join(os.tmpdir(), 'lw-health-'));
  fake = await fixtures.startFakeModel({});
  gw = await fixtures.startGateway({ root, name: 'health', modelBaseUrl: `${fake.url}/v1`, diagnostics: true });
  // The official client: the oracle for what the gateway says, and the one that loads it.
  op = await seed.connectOperator({ url: gw.url, token: gw.token, requestTimeoutMs: 180_000 });
  if (GENERATION === '2026.9') await seed.seedTranscript(gw, { key: KEY, messages: ['hello'] });
  watcher = watcherOn(gw, 'health', { log: (level, m) => log.push(`${level} ${m}`) });
  watcher.start();
}, LONG);

after(async () => {
  watcher?.dispose();
  await op?.close?.();
  await fixtures?.cleanupAll();
});

/** Resolves with the verdict once `pick` holds: checked now, then after every health change the watcher reports. */
function verdictUntil(pick: (v: HealthVerdict) => boolean, what: string, ms = 120_000): Promise<HealthVerdict> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const check = () => {
      const v = watcher.healthVerdict();
      seen.push(`${v.state} ${v.words}`);
      if (!pick(v)) return false;
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
      return true;
    };
    // Every sample too: the numbers can change while the verdict's words do not.
    const subs = [
      watcher.onDidChange((c: WatcherChange) => {
        if (c.what === 'health' || c.what === 'connection') check();
      }),
      watcher.health.onSample(() => check()),
    ];
    const sub = { dispose: () => subs.forEach((x) => x.dispose()) };
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${what}: not within ${ms} ms; verdicts seen: ${seen.slice(-8).join(' | ')}`));
    }, ms);
    check();
  });
}

/** The next sample the watcher reads. */
const nextSample = () =>
  new Promise<void>((resolve) => {
    const sub = watcher.health.onSample(() => {
      sub.dispose();
      resolve();
    });
  });

describe(`process health (openclaw ${VERSION})`, () => {
  it(
    'reads the gateway’s own event loop, CPU, memory, uptime and instance id, as the official client sees them',
    { ...LONG, ...on(['2026.9'], 'older versions have no event-loop sample: see the next test') },
    async () => {
      await watcher.connection.waitForConnected(120_000);
      assert.equal(watcher.health.reads, 0, 'connected, no demand: nothing read');
      const first = nextSample();
      watcher.setHealthDemand('test', true, 1_000);
      await first;
      const official = await op.request('system.info', {});
      const s = watcher.healthVerdict().sample!;
      assert.equal(s.source, 'system.info');
      assert.equal(s.instanceId, official.processInstanceId, 'the same gateway process');
      assert.equal(s.pid, official.pid);
      assert.ok(s.uptimeMs! > 0 && s.uptimeMs! <= official.uptimeMs, 'uptime read before the official read');
      assert.ok(s.eventLoop && official.eventLoop, 'both see an event-loop window');
      assert.equal(typeof s.eventLoop.cpuCoreRatio, 'number');
      assert.ok(s.eventLoop.intervalMs >= 900, `the sampler window is about 1 s (${s.eventLoop.intervalMs})`);
      assert.ok(s.memory!.rssBytes > 50 * 1024 ** 2 && s.memory!.heapUsedBytes > 0);
      const ready = (await (await fetch(`${gw.httpUrl}/readyz`)).json()) as { ready: boolean };
      assert.equal(s.readiness?.ready, ready.ready, "readiness as the gateway's /readyz says");
      // Shown: the details panel's numbers and the tree's tooltip line carry them.
      const view = healthView(watcher.healthVerdict(), watcher.health.history.samples(), 600_000);
      const current = Object.fromEntries(view.current);
      assert.equal(current['process instance'], official.processInstanceId);
      assert.match(current['event loop'], /^\d+% busy over \d/);
      assert.match(current['CPU (gateway process)'], /cores?/);
      assert.match(current.memory, /resident, heap/);
      assert.match(healthRowText(watcher.healthVerdict()).numbers!, /event loop \d+% busy, .* delay, CPU .*memory/);
      // The poller never reads faster than the gateway's own window.
      assert.ok(watcher.health.intervalMs()! >= Math.ceil(s.eventLoop.intervalMs));
    },
  );

  it(
    'a real blocked event loop reads degraded with the gateway’s own numbers, then healthy again',
    { ...LONG, ...on(['2026.9'], 'older versions have no event-loop sample') },
    async () => {
      watcher.setHealthDemand('test', true, 1_000);
      // The gateway starts busy (its own verdict is "cpu" for the first seconds): start from a healthy verdict.
      await verdictUntil((v) => v.state === 'ok' && v.sample?.eventLoop?.degraded === false, 'healthy before the load');
      const reads = watcher.health.reads;
      // 20 MB in one chat.inject: the gateway's main thread is busy with it for seconds (no mock, no signal).
      const big = 'x'.repeat(20 * 1000 * 1000);
      const injected = op.request('chat.inject', { sessionKey: KEY, message: big }, { timeoutMs: 180_000 });
      const started = Date.now();
      // While the loop is blocked the gateway cannot answer: Lanewatch's own rule says so first, before any number.
      const silent = await verdictUntil((v) => v.state === 'degraded', 'degraded while the gateway is blocked');
      const silentAfter = Date.now() - started;
      log.push(`# first degraded after ${silentAfter} ms: ${describeHealth(silent)} [${silent.facts[0].rule}]`);
      assert.equal(silent.facts[0].rule, 'lanewatch.slow-answer', 'the first sign is the unanswered read');
      const degraded = await verdictUntil(
        (v) => v.facts.some((f) => f.rule === 'gateway.event-loop' && f.degrades),
        'degraded by the gateway’s own event-loop monitor',
      );
      const e = degraded.sample!.eventLoop!;
      log.push(`# degraded after ${Date.now() - started} ms: ${describeHealth(degraded)}`);
      assert.equal(e.degraded, true);
      assert.ok(e.reasons.includes('event_loop_delay'), `reasons ${e.reasons.join(',')}`);
      assert.ok(Math.max(e.delayP99Ms, e.delayMaxMs) >= 1_000, 'the gateway measured a delay of 1 s or more');
      assert.equal(degraded.state, 'degraded');
      assert.equal(healthRowText(degraded).description, `degraded: ${degraded.words}`);
      assert.match(degraded.words, new RegExp(`event loop ${Math.round(e.utilization * 100)}% busy`));
      // The official client's read of the same window.
      const official = await op.request('system.info', {});
      assert.ok(
        official.eventLoop.degraded || official.eventLoop.intervalMs < e.intervalMs,
        'the official client sees the degraded window, or a newer one after it',
      );
      const ack = await injected;
      assert.equal(ack.ok, true, 'the gateway stored the message');
      const healthy = await verdictUntil((v) => v.state === 'ok', 'healthy again after the load');
      log.push(`# healthy again ${Date.now() - started} ms after the load began: ${describeHealth(healthy)}`);
      const after = await op.request('system.info', {});
      assert.equal(healthy.sample!.eventLoop!.degraded, false);
      assert.ok(after.eventLoop, 'the official client reads a window too');
      const history = watcher.health.history.samples();
      assert.ok(history.some((x) => x.eventLoop?.degraded) && history.at(-1)!.eventLoop!.degraded === false);
      assert.ok(watcher.health.reads > reads);
      // The same load held the gateway's session store for seconds, and the gateway logged it: read here from its own
      // log file, not through Lanewatch. A watcher reading that log names it on the gateway (tooltip), with the advice.
      const slowLines = readFileSync(gw.logFile, 'utf8')
        .split('\n')
        .filter((l) =>
          /"slow SQLite (?:transaction hold|transaction lock wait|coordinator lock wait|session write)"/.test(l),
        );
      assert.ok(slowLines.length > 0, 'the gateway logged a slow SQLite operation under the load');
      const reader = watcherOn(gw, 'health-log');
      try {
        reader.start();
        const named = () => reader.logProblemsSummary().problems.find((p) => p.id === 'store-slow');
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the log was read, yet no slow store named')), 60_000);
          const sub = reader.onDidChange(() => {
            if (!named()) return;
            clearTimeout(timer);
            sub.dispose();
            resolve();
          });
        });
        assert.ok(named()!.count <= slowLines.length, `${named()!.count} named, ${slowLines.length} in the log file`);
        const tip = describeConnection(reader, reader.snapshot()).tooltipMarkdown.replace(/\\/g, '');
        assert.match(
          tip,
          /In its log, the last 10 min: .*its session store \(SQLite\) was slow to lock, (once|\d+ times)/,
        );
        log.push(`# ${slowLines.length} slow SQLite line(s) in the gateway's log; tooltip: ${named()!.count} named`);
      } finally {
        reader.dispose();
      }
      console.log(log.filter((l) => l.startsWith('#')).join('\n'));
    },
  );

  it(
    'older versions: no event-loop sample; Lanewatch says so and reads the health answer time and readiness',
    { ...LONG, ...on(['2026.3', '2026.4'], '2026.9 gives the event loop: see the tests above') },
    async () => {
      await watcher.connection.waitForConnected(240_000);
      const first = nextSample();
      watcher.setHealthDemand('test', true, 1_000);
      await first;
      const v = watcher.healthVerdict();
      assert.equal(v.sample?.source, 'health', 'no system.info on this version: the health RPC');
      assert.equal(v.sample?.eventLoop, undefined);
      assert.match(v.facts.find((f) => f.rule === 'gateway.event-loop')!.text, /reports no event-loop sample/);
      const ready = (await (await fetch(`${gw.httpUrl}/readyz`)).json()) as { ready: boolean };
      assert.equal(v.sample?.readiness?.ready, ready.ready);
      assert.deepEqual(await op.request('health', {}).then((h: any) => h.eventLoop), undefined);
    },
  );
});
