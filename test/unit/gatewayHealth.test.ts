// The process health model: scripted samples → verdicts (facts with rules, the gateway's own numbers in the words),
// a bounded history, and a poller that reads nothing without demand and never faster than the gateway's sampler window.
import assert from 'node:assert/strict';
import { after, describe, it, mock } from 'node:test';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import type { EventLoopHealthView } from '../../src/gateway/vitalsTypes';
import {
  deriveHealth,
  describeHealth,
  GatewayHealthPoller,
  HealthHistory,
  latestLivenessWarning,
  sampleFromAnswer,
  type HealthSample,
} from '../../src/fleet/gatewayHealth';
import { GatewayWatcher, type WatcherChange } from '../../src/fleet/gatewayWatcher';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const T0 = 1_800_000_000_000;
const calm: EventLoopHealthView = {
  degraded: false,
  degradedSinceMs: null,
  reasons: [],
  intervalMs: 1_020,
  delayP99Ms: 21,
  delayMaxMs: 24,
  utilization: 0.04,
  cpuCoreRatio: 0.03,
};
const busy = (since: number | null = 0): EventLoopHealthView => ({
  degraded: true,
  degradedSinceMs: since,
  reasons: ['event_loop_delay', 'event_loop_utilization'],
  intervalMs: 1_480,
  delayP99Ms: 1_210,
  delayMaxMs: 1_390,
  utilization: 0.97,
  cpuCoreRatio: 1.02,
});
let clock = T0;
const sample = (extra: Partial<HealthSample> = {}): HealthSample => ({
  at: (clock += 2_000),
  answerMs: 12,
  source: 'system.info',
  eventLoop: calm,
  memory: { rssBytes: 800 * 1024 ** 2, heapUsedBytes: 240 * 1024 ** 2, heapTotalBytes: 380 * 1024 ** 2 },
  uptimeMs: 3_600_000,
  instanceId: 'i-1',
  ...extra,
});
const verdict = (samples: HealthSample[], extra: Partial<Parameters<typeof deriveHealth>[0]> = {}) =>
  deriveHealth({ now: clock, connected: true, samples, ...extra });
const rules = (v: ReturnType<typeof deriveHealth>) => v.facts.map((f) => f.rule);

describe('process health verdict', () => {
  it('a healthy gateway: ok, no words for the tree, the numbers in one line', () => {
    const v = verdict([sample(), sample()]);
    assert.equal(v.state, 'ok');
    assert.equal(v.words, '', 'nothing noisy on a healthy row');
    assert.match(describeHealth(v), /^ok: event loop 4% busy, 24 ms delay, CPU 0\.03 cores, memory 800 MB/);
  });

  it('one busy window is a brief spike (kept as a fact), not a degraded gateway', () => {
    const v = verdict([sample(), sample({ eventLoop: busy(0) })]);
    assert.equal(v.state, 'ok');
    assert.match(v.facts.find((f) => f.rule === 'gateway.event-loop')!.text, /brief spike/);
  });

  it('degraded in two reads in a row: degraded with the gateway’s reasons and numbers', () => {
    const v = verdict([sample(), sample({ eventLoop: busy(0) }), sample({ eventLoop: busy(0) })]);
    assert.equal(v.state, 'degraded');
    assert.deepEqual(rules(v).slice(0, 2), ['gateway.event-loop', 'lanewatch.sustained']);
    assert.equal(v.words, 'event loop 97% busy, 1.4 s delay, CPU 1.02 cores');
    assert.match(v.facts[0].text, /event loop delayed, event loop saturated/);
  });

  it('degraded for 3 s or more by the gateway’s own count counts at the first read', () => {
    assert.equal(verdict([sample({ eventLoop: busy(4_000) })]).state, 'degraded');
    assert.equal(verdict([sample({ eventLoop: busy(1_000) })]).state, 'ok');
  });

  it('recovers as soon as the gateway’s window is calm again', () => {
    const v = verdict([sample({ eventLoop: busy(5_000) }), sample({ eventLoop: busy(7_000) }), sample()]);
    assert.equal(v.state, 'ok');
    assert.equal(v.words, '');
  });

  it('Lanewatch’s own rules: slow answer, no answer, memory, readiness, liveness warning, restart', () => {
    const slow = verdict([sample({ answerMs: 4_200 })]);
    assert.equal(slow.state, 'degraded');
    assert.equal(slow.words, 'answers in 4.2 s');
    const none = verdict([
      sample(),
      { at: (clock += 2_000), answerMs: 15_000, source: 'system.info', error: 'no answer within 15 s' },
    ]);
    assert.equal(none.state, 'degraded');
    assert.equal(none.words, 'not answering');
    assert.equal(none.sample?.eventLoop, calm, 'the last numbers stay shown');
    const blocked = verdict([sample()], { pendingSince: clock - 3_000 });
    assert.equal(blocked.state, 'degraded', 'a read unanswered for 3 s: the gateway may be blocked');
    assert.equal(blocked.words, 'not answering health reads');
    assert.equal(
      verdict([sample()], { pendingSince: clock - 500 }).state,
      'ok',
      'a read in flight for 0.5 s is normal',
    );
    const fat = verdict([sample({ memory: { rssBytes: 2.8 * 1024 ** 3, heapUsedBytes: 1e9, heapTotalBytes: 1.2e9 } })]);
    assert.equal(fat.words, 'memory 2.8 GB');
    const notReady = verdict([
      sample({ readiness: { ready: false, failing: ['telegram', 'agent-database:ops'], status: 503 } }),
    ]);
    assert.equal(notReady.words, 'not ready: telegram, agent-database:ops');
    assert.ok(rules(notReady).includes('gateway.readiness'));
    const live = verdict([sample()], {
      liveness: {
        type: 'diagnostic.liveness.warning',
        ts: clock - 40_000,
        reasons: ['cpu'],
        degradedSinceMs: 61_000,
        cpuCoreRatio: 1.3,
        active: 2,
        waiting: 0,
        queued: 1,
      },
    });
    assert.equal(live.state, 'degraded');
    assert.match(
      live.facts.find((f) => f.rule === 'gateway.liveness')!.text,
      /40 s ago \(CPU pressure, degraded 61 s\).*2 active, 0 waiting, 1 queued/,
    );
    const old = verdict([sample()], {
      liveness: { type: 'diagnostic.liveness.warning', ts: clock - 10 * 60_000, reasons: ['cpu'] },
    });
    assert.equal(old.state, 'ok', 'an old liveness warning does not count');
    const restarted = verdict([sample(), sample({ instanceId: 'i-2' })]);
    assert.equal(restarted.state, 'ok');
    assert.ok(rules(restarted).includes('lanewatch.restarted'));
  });

  it('unknown when not connected or not read; older gateways say what they cannot tell', () => {
    assert.equal(verdict([sample()], { connected: false }).state, 'unknown');
    const idle = verdict([], { idle: true });
    assert.equal(idle.state, 'unknown');
    assert.match(idle.facts[0].text, /no view or watchdog needs it/);
    const old = verdict([{ at: clock, answerMs: 30, source: 'health' }]);
    assert.equal(old.state, 'ok');
    assert.match(old.facts[0].text, /reports no event-loop sample/);
  });
});

describe('wire guards', () => {
  it('keeps usable fields of system.info and drops the rest with a reason', () => {
    const got = sampleFromAnswer(
      {
        pid: 7,
        processInstanceId: 'abc',
        uptimeMs: 5000,
        eventLoop: {
          ...calm,
          reasons: ['cpu', '<script>'],
          cpuBreakdown: { hostUtilization: 0.5, workerCoreRatio: -1 },
        },
        processMemory: { rssBytes: 1, heapUsedBytes: 2, heapTotalBytes: 3 },
      },
      'system.info',
    );
    assert.deepEqual(got.problems, []);
    assert.deepEqual(got.sample.eventLoop?.reasons, ['cpu']);
    assert.deepEqual(got.sample.eventLoop?.cpuBreakdown, { hostUtilization: 0.5 });
    assert.equal(got.sample.instanceId, 'abc');
    const bad = sampleFromAnswer({ eventLoop: { degraded: 'yes' }, processMemory: { rssBytes: 'x' } }, 'system.info');
    assert.equal(bad.sample.eventLoop, undefined);
    assert.equal(bad.sample.memory, undefined);
    assert.equal(bad.problems.length, 2);
  });

  it('finds the newest liveness warning among stability records', () => {
    const w = latestLivenessWarning([
      { type: 'diagnostic.liveness.warning', ts: 10, reasons: ['cpu'] },
      { type: 'diagnostic.phase.completed', ts: 30 },
      { type: 'diagnostic.liveness.warning', ts: 20, reasons: ['event_loop_delay'], eventLoopDelayP99Ms: 1500 },
      'junk',
    ]);
    assert.equal(w?.ts, 20);
    assert.equal(w?.eventLoopDelayP99Ms, 1500);
  });
});

describe('bounded history', () => {
  it('keeps the last minutes and at most maxSamples', () => {
    const h = new HealthHistory(60_000, 5);
    for (let i = 0; i < 20; i++) h.add({ at: T0 + i * 1_000, answerMs: 1, source: 'system.info' });
    assert.equal(h.samples().length, 5, 'count bound');
    assert.equal(h.samples().at(-1)!.at, T0 + 19_000);
    const byAge = new HealthHistory(10_000, 1_000);
    for (let i = 0; i < 60; i++) byAge.add({ at: T0 + i * 1_000, answerMs: 1, source: 'system.info' });
    assert.equal(byAge.samples().length, 11, 'the last 10 s only');
    assert.equal(byAge.samples()[0].at, T0 + 49_000);
  });
});

describe('poller demand', () => {
  it('reads nothing without demand, at the demanded pace with it, never faster than the sampler window', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
    try {
      let window = 1_000;
      const reads: number[] = [];
      const p = new GatewayHealthPoller({
        read: async () => {
          reads.push(Date.now());
          return { raw: { eventLoop: { ...calm, intervalMs: window } }, source: 'system.info' };
        },
        connected: () => true,
        now: () => Date.now(),
      });
      const settle = async () => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
      };
      mock.timers.tick(60_000);
      await settle();
      assert.equal(reads.length, 0, 'no demand: no read in a minute');
      p.setDemand('details-panel', true, 2_000);
      await settle();
      assert.equal(reads.length, 1, 'demand: one read at once');
      for (let i = 0; i < 5; i++) {
        mock.timers.tick(2_000);
        await settle();
      }
      assert.equal(reads.length, 6, 'then every 2 s');
      window = 5_000; // the gateway's sampler window grew: reading every 2 s would return the same window
      mock.timers.tick(2_000);
      await settle();
      assert.equal(p.intervalMs(), 5_000);
      const before = reads.length;
      for (let i = 0; i < 10; i++) {
        mock.timers.tick(1_000);
        await settle();
      }
      assert.equal(reads.length - before, 2, 'every 5 s, the window');
      p.setDemand('details-panel', false);
      const stopped = reads.length;
      mock.timers.tick(60_000);
      await settle();
      assert.equal(reads.length, stopped, 'demand withdrawn: no more reads');
      p.dispose();
    } finally {
      mock.timers.reset();
    }
  });
});

// ---- the watcher: the demand switch against a scripted gateway
const servers: ScriptedGateway[] = [];
const watchers: GatewayWatcher[] = [];
after(async () => {
  for (const w of watchers) w.dispose();
  for (const s of servers) await s.close();
});

describe('GatewayWatcher process health', () => {
  it('asks system.info only while a view needs it, and reports the gateway degraded in its own numbers', async () => {
    const calls: string[] = [];
    let eventLoop: EventLoopHealthView = calm;
    const g = await ScriptedGateway.start({
      helloOverrides: {
        features: { methods: ['agents.list', 'sessions.list', 'system.info'], events: [] },
      },
      handleRequest: (method: string) => {
        calls.push(method);
        if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
        if (method === 'sessions.list') return { sessions: [], hasMore: false, totalCount: 0 };
        if (method === 'system.info')
          return {
            pid: 1,
            processInstanceId: 'p1',
            uptimeMs: 1000,
            eventLoop,
            processMemory: { rssBytes: 5e8, heapUsedBytes: 1e8, heapTotalBytes: 2e8 },
          };
        return {};
      },
    });
    servers.push(g);
    const w = new GatewayWatcher({
      config: { name: 'gw', url: g.url, source: 'settings' },
      credentials: async () => ({ token: 't' }),
      identityStore: new MemoryDeviceIdentityStore(),
      clientVersion: 'test',
      requestTimeoutMs: 5000,
      log: () => {},
      pollIntervalMs: 60_000,
    });
    watchers.push(w);
    w.start();
    const next = (pick: (c: WatcherChange) => boolean) =>
      waitFor(
        (l) => w.onDidChange(l),
        (c: WatcherChange) => (pick(c) ? c : undefined),
      );
    await next((c) => c.what === 'sessions' && w.isSynced());
    assert.equal(calls.includes('system.info'), false, 'connected and synced, no demand: system.info never asked');
    assert.equal(w.healthVerdict().state, 'unknown');
    eventLoop = busy(6_000);
    const degraded = next((c) => c.what === 'health');
    w.setHealthDemand('tree', true, 1_000);
    await degraded;
    const v = w.healthVerdict();
    assert.equal(v.state, 'degraded');
    assert.equal(v.words, 'event loop 97% busy, 1.4 s delay, CPU 1.02 cores');
    eventLoop = calm;
    await next((c) => c.what === 'health' && w.healthVerdict().state === 'ok');
    w.setHealthDemand('tree', false);
    await w.health.whenIdle();
    assert.equal(w.health.scheduled(), false, 'demand withdrawn: no read is scheduled');
  });
});
