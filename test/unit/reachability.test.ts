// Issue 15, item 2: when the WebSocket fails, the gateway's HTTP probes are asked beside it and the case is named in
// words: "HTTP answers, WebSocket silent" (the field's wedged gateway), draining, starting, event loop blocked,
// process gone. Against small HTTP servers that answer the probes as a 2026.9.x gateway does and hold the upgrade.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { GatewayConnection, probeGatewayHttp, type ConnectionSnapshot } from '../../src/gateway';
import { diagnoseWithHttp } from '../../src/gateway/reachability';
import { testSend } from '../../src/actions/testSend';
import { waitFor } from '../support/scriptedGateway';

interface Answers {
  health?: number;
  startup?: { status: number; body: unknown };
  ready?: { status: number; body: unknown };
}

const servers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of servers) await close();
});

/** An HTTP server that answers the probes with `answers` and accepts WebSocket upgrades without ever answering them. */
async function wedgedGateway(answers: Answers = {}): Promise<{ url: string; upgrades: () => number }> {
  const sockets = new Set<Socket>();
  let upgrades = 0;
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/health') json(answers.health ?? 200, { ok: true, status: 'live' });
    else if (req.url === '/startupz')
      json(answers.startup?.status ?? 200, answers.startup?.body ?? { ok: true, status: 'started' });
    else if (req.url === '/readyz')
      json(answers.ready?.status ?? 200, answers.ready?.body ?? { ready: true, failing: [] });
    else json(404, {});
  });
  server.on('upgrade', (_req, socket: Socket) => {
    upgrades++;
    sockets.add(socket); // held: no 101, no close
    socket.on('error', () => {});
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  servers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`, upgrades: () => upgrades };
}

function connect(url: string): GatewayConnection {
  const c = new GatewayConnection({
    url,
    credentials: () => ({ token: 't' }),
    scopes: ['operator.read'],
    challengeTimeoutMs: 300,
    backoff: { initialMs: 5_000, maxMs: 5_000, factor: 1, jitter: 0 },
  });
  c.start();
  return c;
}

const named = (c: GatewayConnection) =>
  waitFor<ConnectionSnapshot>(
    (l) => c.onDidChangeState(l),
    (s: ConnectionSnapshot) => (s.problem?.diagnosis ? s : undefined),
  );

describe('a failed WebSocket is named from the HTTP probes', { timeout: 20_000 }, () => {
  it('HTTP answers, upgrade held: "HTTP answers, WebSocket silent", with the probe figures behind it', async () => {
    const g = await wedgedGateway();
    const c = connect(g.url);
    try {
      const s = await named(c);
      assert.equal(s.problem?.kind, 'upgrade-timeout', 'the WebSocket phase that failed is kept');
      assert.equal(s.problem?.diagnosis?.case, 'http-only');
      assert.equal(s.problem?.summary, 'HTTP answers, WebSocket silent');
      assert.match(s.problem.advice, /Restart the gateway/);
      assert.match(s.problem.diagnosis.http, /\/health 200 in \d+ ms/);
      assert.equal(s.problem?.reconnect, 'backoff', 'naming the case does not change how it retries');
      assert.ok(g.upgrades() >= 1);
    } finally {
      c.dispose();
    }
  });

  it('draining: /startupz 503 "draining" names a restart in progress, not a wedge', async () => {
    const g = await wedgedGateway({ startup: { status: 503, body: { ok: false, status: 'draining' } } });
    const c = connect(g.url);
    try {
      const s = await named(c);
      assert.equal(s.problem?.diagnosis?.case, 'draining');
      assert.equal(s.problem?.summary, 'gateway draining for a restart');
    } finally {
      c.dispose();
    }
  });

  it("the gateway's own degraded event loop names it overloaded, with its figures", async () => {
    const g = await wedgedGateway({
      ready: {
        status: 200,
        body: {
          ready: true,
          failing: [],
          eventLoop: { degraded: true, reasons: ['delay'], delayP99Ms: 1840.2, utilization: 0.97, cpuCoreRatio: 1.01 },
        },
      },
    });
    const c = connect(g.url);
    try {
      const s = await named(c);
      assert.equal(s.problem?.diagnosis?.case, 'event-loop-blocked');
      assert.match(s.problem.summary, /gateway overloaded \(event loop 97% busy, p99 delay 1840 ms/);
    } finally {
      c.dispose();
    }
  });

  it('process gone (HTTP refused) and unresponsive (HTTP silent) are told apart', async () => {
    const problem = {
      kind: 'no-challenge',
      summary: 'WebSocket open but no challenge',
      advice: '',
      action: 'retry' as const,
      reconnect: 'backoff' as const,
    };
    const gone = await probeGatewayHttp('ws://127.0.0.1:1', { timeoutMs: 500 });
    assert.equal(diagnoseWithHttp(problem, gone).diagnosis?.case, 'process-gone');
    const silent = {
      origin: 'http://x',
      at: 0,
      health: { answered: false as const, reason: 'timeout' as const, ms: 2000, error: '' },
      startup: { answered: false as const, reason: 'timeout' as const, ms: 2000, error: '' },
      ready: { answered: false as const, reason: 'timeout' as const, ms: 2000, error: '' },
    };
    const s = diagnoseWithHttp(problem, silent);
    assert.equal(s.diagnosis?.case, 'unresponsive');
    assert.equal(s.summary, 'WebSocket open but no challenge', "silence on both keeps the WebSocket's own words");
    assert.match(s.advice, /HTTP does not answer either .*event loop is blocked or the network path to it is broken/);
  });

  it('test send names the wedge and returns within seconds (it used to wait out the whole connect timeout)', async () => {
    const g = await wedgedGateway();
    const t0 = Date.now();
    const report = await testSend({
      url: g.url,
      sessionKey: 'agent:main:main',
      connection: {
        url: g.url,
        credentials: () => ({ token: 't' }),
        scopes: ['operator.read', 'operator.write'],
        challengeTimeoutMs: 300,
      },
      connectTimeoutMs: 15_000,
    });
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
    assert.equal(report.ok, false);
    assert.equal(report.failure, 'ws-wedged');
    assert.match(report.summary, /^HTTP answers, WebSocket silent: The gateway's HTTP server answers/);
    assert.match(report.summary, /Nothing was written/);
  });
});
