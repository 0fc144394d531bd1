// The gateway's own Prometheus endpoint (diagnostics-prometheus), read by Lanewatch: the text parsed within bounds,
// the figures summed over the plugin's labels, each answer named (enabled, not enabled, refused, not Prometheus
// text, no answer) in words an operator can act on, the token only in the Authorization header, and what
// `lanewatch serve` exports and the health verdict says from it. Against a local HTTP server standing in for the
// gateway's route (the real route: test/gateway/gatewayPrometheus.test.ts and prometheus.test.ts).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  describeGatewayPrometheus,
  figuresFromText,
  parsePrometheusText,
  readGatewayPrometheus,
} from '../../src/fleet/gatewayPrometheus';
import { deriveHealth, type HealthSample } from '../../src/fleet/gatewayHealth';
import { FleetMetrics } from '../../src/metrics/fleetMetrics';
import { repoRoot } from '../support/fixtures';

const TOKEN = 'tok-PROM-SECRET-19c7';

// What a 2026.4.26 gateway's plugin answered after one turn with the fake model (trimmed), plus 2026.9 series.
const TEXT = [
  '# HELP openclaw_run_completed_total Agent runs completed by outcome.',
  '# TYPE openclaw_run_completed_total counter',
  'openclaw_run_completed_total{channel="webchat",model="fake-model",outcome="completed",provider="fake",trigger="user"} 3',
  'openclaw_run_completed_total{channel="cron",model="fake-model",outcome="error",provider="fake",trigger="cron"} 1',
  'openclaw_model_call_total{api="openai-completions",error_category="none",model="fake-model",outcome="completed",provider="fake",transport="sse"} 4',
  'openclaw_model_call_total{api="openai-completions",error_category="timeout",model="fake-model",outcome="error",provider="fake",transport="sse"} 2',
  'openclaw_model_call_duration_seconds_bucket{api="openai-completions",le="0.005"} 0',
  'openclaw_queue_lane_size{lane="main"} 2',
  'openclaw_queue_lane_size{lane="cron"} 1',
  'openclaw_session_stuck_total{reason="stalled_agent_run",state="processing"} 5',
  'openclaw_memory_bytes{kind="rss"} 314572800',
  'openclaw_memory_bytes{kind="heap_used"} 104857600',
  'openclaw_gateway_build_info{process_instance_id="8d2e-uuid",build_id="b1"} 1',
  'openclaw_telemetry_exporter_total{exporter="diagnostics-prometheus",reason="configured",signal="metrics",status="started"} 1',
  '',
].join('\n');

let answer: (req: IncomingMessage) => { status: number; type: string; body: string } = () => ({
  status: 200,
  type: 'text/plain; version=0.0.4; charset=utf-8',
  body: TEXT,
});
const seen: Array<{ url: string; auth?: string }> = [];
const server: Server = createServer((req, res) => {
  seen.push({ url: req.url ?? '', auth: req.headers.authorization });
  const a = answer(req);
  res.writeHead(a.status, { 'content-type': a.type });
  res.end(a.body);
});
const ready = new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const wsUrl = async () => {
  await ready;
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
after(() => server.close());

describe('parsing the plugin text', () => {
  it('reads the wanted series with their labels, escapes included, and skips the rest', () => {
    const text = [
      '# HELP x_total a comment with openclaw_memory_bytes in it',
      'openclaw_memory_bytes{kind="rss"} 12 1700000000000',
      'openclaw_memory_bytes{kind="a\\"b\\\\c\\nd",other="x"} 7',
      'openclaw_memory_bytes 3',
      'openclaw_memory_bytes{kind="rss"} NaN-ish',
      'openclaw_memory_bytes{kind="unterminated} 4',
      'openclaw_memory_bytes_total{kind="rss"} 99',
      'other_metric{kind="rss"} 1',
    ].join('\n');
    const got = parsePrometheusText(text, new Set(['openclaw_memory_bytes']));
    assert.deepEqual(got, [
      { name: 'openclaw_memory_bytes', labels: { kind: 'rss' }, value: 12 },
      { name: 'openclaw_memory_bytes', labels: { kind: 'a"b\\c\nd', other: 'x' }, value: 7 },
      { name: 'openclaw_memory_bytes', labels: {}, value: 3 },
    ]);
  });

  it('sums each figure over the labels the plugin adds', () => {
    const f = figuresFromText(TEXT);
    assert.deepEqual(f.runsCompleted, { completed: 3, error: 1 });
    assert.deepEqual(f.modelCalls, { completed: 4, error: 2 });
    assert.equal(f.queued, 3);
    assert.equal(f.stuckReports, 5);
    assert.deepEqual(f.memory, { rss: 314572800, heap_used: 104857600 });
    assert.equal(f.processInstanceId, '8d2e-uuid');
    assert.equal(f.seriesDropped, undefined);
  });

  it('an empty answer (diagnostics off, or nothing happened yet) is enabled with no figures', () => {
    const f = figuresFromText('');
    assert.deepEqual(f, { runsCompleted: {}, modelCalls: {}, memory: {} });
    assert.match(
      describeGatewayPrometheus({ at: 0, ms: 1, state: 'enabled', figures: f }),
      /0 runs completed, 0 model calls/,
    );
  });
});

describe('reading the endpoint', () => {
  it('enabled: the figures, with the token only in the Authorization header', async () => {
    answer = () => ({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: TEXT });
    seen.length = 0;
    const r = await readGatewayPrometheus(await wsUrl(), { token: TOKEN });
    assert.equal(r.state, 'enabled');
    assert.equal(r.figures?.runsCompleted.completed, 3);
    assert.deepEqual(seen, [{ url: '/api/diagnostics/prometheus', auth: `Bearer ${TOKEN}` }]);
    const words = describeGatewayPrometheus(r);
    assert.equal(
      words,
      "the gateway's Prometheus endpoint: 4 runs completed (1 not ok), 6 model calls (2 failed), 3 queued in its lanes, 5 stuck-session reports, memory 300 MB resident",
    );
    assert.ok(!words.includes(TOKEN));
  });

  it('not enabled (404): says so plainly, and how to enable it', async () => {
    answer = () => ({ status: 404, type: 'text/plain; charset=utf-8', body: 'Not Found' });
    const r = await readGatewayPrometheus(await wsUrl(), { token: TOKEN });
    assert.equal(r.state, 'not-enabled');
    assert.equal(r.figures, undefined);
    const words = describeGatewayPrometheus(r);
    assert.match(words, /^the gateway's Prometheus endpoint is not enabled/);
    assert.match(words, /openclaw plugins enable diagnostics-prometheus/);
    assert.match(words, /restart the gateway/);
  });

  it('refused (401/403): names the scope it needs', async () => {
    for (const status of [401, 403]) {
      answer = () => ({ status, type: 'application/json', body: '{"error":{"message":"Unauthorized"}}' });
      const r = await readGatewayPrometheus(await wsUrl(), { token: 'wrong' });
      assert.equal(r.state, 'refused');
      assert.match(describeGatewayPrometheus(r), new RegExp(`HTTP ${status}.*operator\\.read`));
    }
  });

  it('a page that answers 200 (a proxy, a UI fallback) is not taken for metrics', async () => {
    answer = () => ({ status: 200, type: 'text/html', body: '<!doctype html><html>control ui</html>' });
    const r = await readGatewayPrometheus(await wsUrl(), { token: TOKEN });
    assert.equal(r.state, 'unexpected');
    assert.equal(r.figures, undefined);
  });

  it('wss:// with a pinned certificate: the token goes only to the server presenting it', async () => {
    const pem = (name: string) => readFileSync(path.join(repoRoot, 'test', 'fixtures', 'tls', name));
    const cert = pem('gateway-cert.pem');
    const got: Array<string | undefined> = [];
    const tlsServer = createHttpsServer({ key: pem('gateway-key.pem'), cert }, (req, res) => {
      got.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(TEXT);
    });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    const url = `wss://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
    try {
      const other = new X509Certificate(pem('other-cert.pem')).fingerprint256;
      const refused = await readGatewayPrometheus(url, { token: TOKEN, tlsFingerprint: other });
      assert.equal(refused.state, 'unreachable');
      assert.match(refused.error ?? '', /pinned certificate/);
      assert.deepEqual(got, [], 'nothing was sent to a server with another certificate');
      const unpinned = await readGatewayPrometheus(url, { token: TOKEN });
      assert.equal(unpinned.state, 'unreachable', 'a self-signed certificate is not trusted without the pin');
      assert.deepEqual(got, []);
      const pinned = await readGatewayPrometheus(url, {
        token: TOKEN,
        tlsFingerprint: new X509Certificate(cert).fingerprint256,
      });
      assert.equal(pinned.state, 'enabled');
      assert.deepEqual(got, [`Bearer ${TOKEN}`]);
    } finally {
      tlsServer.close();
    }
  });

  it('no answer: unreachable, without the token in the error', async () => {
    const r = await readGatewayPrometheus('ws://127.0.0.1:9', { token: TOKEN, timeoutMs: 1_000 });
    assert.equal(r.state, 'unreachable');
    assert.ok(!JSON.stringify(r).includes(TOKEN));
    assert.match(describeGatewayPrometheus(r), /did not answer/);
  });
});

describe('lanewatch serve and the health verdict', () => {
  /** A connected watcher as FleetMetrics sees it, its gateway at `url`. */
  const fakeFleet = (url: string) => {
    const w = {
      name: 'hq',
      config: { name: 'hq', url },
      snapshot: () => ({ state: 'connected', connectedAt: 1_000, hello: { serverVersion: '2026.4.26', protocol: 3 } }),
    };
    return {
      gateways: () => [w as any],
      gateway: () => w as any,
      onDidChange: () => ({ dispose() {} }),
      credentialsFor: () => Promise.resolve({ token: TOKEN }),
    };
  };
  const tracker = { refresh: () => [] } as any;

  it('exports the endpoint state and the figures; a not-enabled gateway has the state and no figures', async () => {
    answer = () => ({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: TEXT });
    const m = new FleetMetrics({ fleet: fakeFleet(await wsUrl()), tracker, version: 't', processMetrics: false });
    const { body } = await m.render(false);
    assert.match(body, /^lanewatch_gateway_prometheus_endpoint\{gateway="hq",state="enabled"\} 1$/m);
    assert.match(body, /^lanewatch_gateway_runs_completed_total\{gateway="hq",outcome="completed"\} 3$/m);
    assert.match(body, /^lanewatch_gateway_runs_completed_total\{gateway="hq",outcome="error"\} 1$/m);
    assert.match(body, /^lanewatch_gateway_model_calls_total\{gateway="hq",outcome="error"\} 2$/m);
    assert.match(body, /^lanewatch_gateway_queued_commands\{gateway="hq"\} 3$/m);
    assert.match(body, /^lanewatch_gateway_stuck_reports_total\{gateway="hq"\} 5$/m);
    assert.match(body, /^lanewatch_gateway_memory_bytes\{gateway="hq",kind="rss"\} 314572800$/m);
    assert.ok(!body.includes(TOKEN));
    m.dispose();

    answer = () => ({ status: 404, type: 'text/plain', body: 'Not Found' });
    const n = new FleetMetrics({ fleet: fakeFleet(await wsUrl()), tracker, version: 't', processMetrics: false });
    const off = (await n.render(false)).body;
    assert.match(off, /^lanewatch_gateway_prometheus_endpoint\{gateway="hq",state="not-enabled"\} 1$/m);
    assert.doesNotMatch(off, /^lanewatch_gateway_runs_completed_total\{/m);
    assert.doesNotMatch(off, /^lanewatch_gateway_memory_bytes\{/m);
    n.dispose();
  });

  it('tells its caller when what the endpoint answers changes, once per change', async () => {
    answer = () => ({ status: 404, type: 'text/plain', body: 'Not Found' });
    let now = 50_000;
    const said: string[] = [];
    const m = new FleetMetrics({
      fleet: fakeFleet(await wsUrl()),
      tracker,
      version: 't',
      processMetrics: false,
      now: () => now,
      onGatewayEndpoint: (g, r) => said.push(`${g}: ${r.state}`),
    });
    await m.render(false);
    now += 5_000;
    await m.render(false);
    assert.deepEqual(said, ['hq: not-enabled']);
    answer = () => ({ status: 200, type: 'text/plain', body: TEXT });
    now += 5_000;
    await m.render(false);
    assert.deepEqual(said, ['hq: not-enabled', 'hq: enabled']);
    m.dispose();
  });

  it('reads the endpoint at most every few seconds, however often it is scraped', async () => {
    answer = () => ({ status: 200, type: 'text/plain', body: TEXT });
    let now = 10_000;
    const m = new FleetMetrics({
      fleet: fakeFleet(await wsUrl()),
      tracker,
      version: 't',
      processMetrics: false,
      now: () => now,
    });
    seen.length = 0;
    await m.render(false);
    await m.render(false);
    assert.equal(seen.length, 1);
    now += 5_000;
    await m.render(false);
    assert.equal(seen.length, 2);
    m.dispose();
  });

  it('the health verdict says what the endpoint says, and takes its memory where the version gives none', () => {
    const sample: HealthSample = { at: 1, answerMs: 20, source: 'health' };
    const notEnabled = deriveHealth({
      now: 2,
      connected: true,
      samples: [sample],
      prometheus: { at: 1, ms: 3, status: 404, state: 'not-enabled' },
    });
    assert.equal(notEnabled.state, 'ok');
    assert.match(notEnabled.facts.find((f) => f.rule === 'gateway.prometheus')!.text, /is not enabled/);
    const big = deriveHealth({
      now: 2,
      connected: true,
      samples: [sample],
      prometheus: {
        at: 1,
        ms: 3,
        status: 200,
        state: 'enabled',
        figures: { runsCompleted: {}, modelCalls: {}, memory: { rss: 3 * 1024 ** 3, heap_used: 1024 ** 3 } },
      },
    });
    assert.equal(big.state, 'degraded');
    assert.match(big.facts.find((f) => f.rule === 'lanewatch.memory')!.text, /3\.0 GB.*from its Prometheus endpoint/);
    assert.match(big.words, /memory 3\.0 GB/);
  });
});
