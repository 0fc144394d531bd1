// --notify-webhook's messages as a local receiver gets them: generic JSON fields plus a Slack-compatible `text`,
// untrusted names escaped, tokens masked, the rate limit (what it holds back is summed up in one later message),
// and a receiver that fails.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, describe, it } from 'node:test';
import { WebhookNotifier, type NoticeResult, type WebhookPayload } from '../../src/metrics/webhook';
import type { WatchdogEvent } from '../../src/watchdog/watchdog';

const TOKEN = 'tok-SECRET-0b5d7e21aa';
const servers: Server[] = [];
after(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

/** An HTTP receiver on 127.0.0.1: every body it got, and the request paths. */
async function receiver(status = 200) {
  const bodies: WebhookPayload[] = [];
  const raw: string[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      raw.push(data);
      bodies.push(JSON.parse(data) as WebhookPayload);
      assert.equal(req.headers['content-type'], 'application/json');
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/T000/B000/secretpath`,
    bodies,
    raw,
  };
}

class FakeClock {
  t = 1_800_000_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => (timer.live = false) };
  };
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.t = next.at;
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
}

const transition = (key: string, from: string | undefined, to: string | undefined) =>
  ({ gateway: 'hq', key, agent: 'main', from, to, verified: true, initial: false, at: 0 }) as Parameters<
    WebhookNotifier['lane']
  >[0];

describe('webhook notifications', { timeout: 10_000 }, () => {
  it('sends generic JSON with a Slack-compatible text; untrusted names are escaped and tokens masked', async () => {
    const r = await receiver();
    const results: NoticeResult[] = [];
    const n = new WebhookNotifier({ url: r.url, secrets: () => [TOKEN], onResult: (x) => results.push(x) });
    n.lane(transition('agent:main:<!channel>', 'running', 'stalled'));
    n.lane(transition('agent:main:quiet', 'idle', 'running')); // not a notify state: nothing sent
    n.gateway('hq', 'lost', { kind: 'unreachable', summary: 'not running (connection refused)' });
    const acted: WatchdogEvent = {
      kind: 'acted',
      gateway: 'hq',
      key: 'agent:main:hung',
      state: 'stalled',
      report: {
        sessionKey: 'agent:main:hung',
        verdict: 'freed',
        summary: 'freed',
        steps: [{ action: 'abort', outcome: 'freed' } as never],
      },
    };
    n.watchdog(acted);
    n.watchdog({
      kind: 'failed',
      gateway: 'hq',
      key: 'agent:main:hung',
      state: 'stalled',
      error: `connect refused: token ${TOKEN} rejected`,
      attemptsInLastHour: 1,
      retryAt: 0,
    });
    n.watchdog({ kind: 'armed', gateway: 'hq', key: 'agent:main:hung', state: 'stalled', actAt: 0 }); // not sent
    await n.whenIdle();
    assert.deepEqual(
      r.bodies.map((b) => [b.kind, b.decision ?? b.event ?? b.to]),
      [
        ['lane-state', 'stalled'],
        ['gateway', 'lost'],
        ['watchdog', 'acted'],
        ['watchdog', 'failed'],
      ],
    );
    const [lane, lost, done, failed] = r.bodies;
    assert.equal(lane.source, 'lanewatch');
    assert.deepEqual(
      { gateway: lane.gateway, session: lane.session, agent: lane.agent, from: lane.from, to: lane.to },
      { gateway: 'hq', session: 'agent:main:<!channel>', agent: 'main', from: 'running', to: 'stalled' },
    );
    assert.equal(
      lane.text,
      'Lanewatch: session agent:main:&lt;!channel&gt; on gateway hq is now stalled (was running)',
      'Slack mrkdwn escaping: a session key cannot mention @channel or make a link',
    );
    assert.equal(lost.problem, 'unreachable');
    assert.match(lost.text, /gateway hq is not reachable: not running \(connection refused\)/);
    assert.equal(done.verdict, 'freed');
    assert.deepEqual(done.steps, [{ step: 'abort', outcome: 'freed' }]);
    assert.match(
      done.text,
      /watchdog recovered session agent:main:hung on gateway hq \(stalled\): freed after abort → freed/,
    );
    assert.match(failed.text, /token \*\*\* rejected/);
    assert.ok(!r.raw.some((b) => b.includes(TOKEN)), 'the token never leaves');
    assert.ok(!isNaN(Date.parse(lane.time)));
    assert.deepEqual(results, ['sent', 'sent', 'sent', 'sent']);
  });

  it('sends at most N a minute; what it holds back arrives as one summary once the minute has passed', async () => {
    const r = await receiver();
    const clock = new FakeClock();
    const results: NoticeResult[] = [];
    const n = new WebhookNotifier({
      url: r.url,
      maxPerMinute: 3,
      now: clock.now,
      setTimer: clock.setTimer,
      onResult: (x) => results.push(x),
    });
    for (let i = 0; i < 8; i++) {
      n.lane(transition(`agent:main:s${i}`, 'running', 'stuck'));
      clock.advance(1_000);
    }
    n.watchdog({ kind: 'skipped', gateway: 'hq', key: 'agent:main:s0', state: 'stuck', reason: 'excluded by "x"' });
    await n.whenIdle();
    assert.equal(r.bodies.length, 3, 'three in the first minute');
    assert.deepEqual(
      r.bodies.map((b) => b.session),
      ['agent:main:s0', 'agent:main:s1', 'agent:main:s2'],
    );
    assert.equal(results.filter((x) => x === 'rate_limited').length, 6);
    // 59 s after the first: still nothing more.
    clock.advance(59_000 - 8_000);
    await n.whenIdle();
    assert.equal(r.bodies.length, 3);
    clock.advance(1_100);
    await n.whenIdle();
    assert.equal(r.bodies.length, 4);
    const summary = r.bodies[3];
    assert.equal(summary.kind, 'held-back');
    assert.deepEqual(summary.heldBack, { 'lane-state': 5, watchdog: 1 });
    assert.match(summary.text, /6 more notification\(s\) held back by the rate limit \(at most 3 a minute\)/);
    assert.match(summary.text, /Latest: watchdog left session agent:main:s0 on gateway hq \(stuck\) alone/);
    // The limit holds across the summary too: in any 60 s, at most 3.
    const times = r.bodies.map((b) => Date.parse(b.time));
    for (let i = 3; i < times.length; i++) assert.ok(times[i] - times[i - 3] >= 60_000);
  });

  it('a receiver that fails is counted and logged by its origin only (its path may be a secret)', async () => {
    const r = await receiver(500);
    const results: NoticeResult[] = [];
    const logs: string[] = [];
    const n = new WebhookNotifier({ url: r.url, onResult: (x) => results.push(x), log: (m) => logs.push(m) });
    n.gateway('hq', 'back');
    await n.whenIdle();
    assert.deepEqual(results, ['failed']);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /^webhook http:\/\/127\.0\.0\.1:\d+ answered HTTP 500 to a gateway notification$/);
    // Nothing listening at all: a port that was free a moment ago.
    const probe = createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', () => res()));
    const freePort = (probe.address() as { port: number }).port;
    await new Promise((res) => probe.close(res));
    const gone = new WebhookNotifier({
      url: `http://127.0.0.1:${freePort}/hooks/secretpath`,
      onResult: (x) => results.push(x),
      log: (m) => logs.push(m),
    });
    gone.gateway('hq', 'back');
    await gone.whenIdle();
    assert.equal(results.at(-1), 'failed');
    assert.match(logs.at(-1)!, /not reached .*ECONNREFUSED/);
    assert.ok(!logs.some((l) => l.includes('secretpath')));
  });
});
