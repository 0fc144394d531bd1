// `lanewatch serve` in front of a real gateway, scraped by a real Prometheus (Debian's `prometheus` package) that sends
// its alerts to a real Alertmanager (Debian's `prometheus-alertmanager`): a PromQL query returns the seeded hung
// session with its state, an alert on it fires and Alertmanager delivers it to a webhook receiver of this test; after
// `lanewatch recover` the series is gone (the session is idle again, counted only), the alert resolves and
// Alertmanager delivers the resolved notification. The shipped rules file is loaded by the same Prometheus. The
// gateway's state is checked with the official client (the fixtures' connectOperator).
//
// Runs only where the `prometheus` and `prometheus-alertmanager` binaries are installed (apt-get install prometheus
// prometheus-alertmanager) and on 2026.9.x; otherwise it is skipped with the reason.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { importFixture, repoRoot } from '../support/fixtures';

const V9 = !/^2026\.[34]\./.test(process.env.LANEWATCH_OPENCLAW_VERSION ?? '');
const HAS_PROMETHEUS = !spawnSync('prometheus', ['--version']).error;
const HAS_ALERTMANAGER = !spawnSync('prometheus-alertmanager', ['--version']).error;
const SKIP = !HAS_PROMETHEUS
  ? 'the prometheus binary is not installed (Debian: apt-get install prometheus)'
  : !HAS_ALERTMANAGER
    ? 'the prometheus-alertmanager binary is not installed (Debian: apt-get install prometheus-alertmanager)'
    : !V9
      ? 'runs on 2026.9.x only'
      : false;
const HUNG = 'agent:main:prom-hung';
const LONG = { timeout: 300_000 };

let fixtures: any, fake: any, gw: any, oracle: any, prom: ChildProcess | undefined, am: ChildProcess | undefined;
let promUrl = '';
let receiver: Server | undefined;
let stopServe: () => void = () => {};
let served: Promise<number> | undefined;
const serveErr: string[] = [];
const promLog: string[] = [];
const amLog: string[] = [];

/** One Alertmanager webhook delivery (its JSON body, version 4). */
interface Notification {
  status: 'firing' | 'resolved';
  receiver: string;
  alerts: Array<{ status: string; labels: Record<string, string>; startsAt: string; endsAt: string }>;
}
const notifications: Notification[] = [];
let notified: () => void = () => {};

/** Waits for the webhook receiver to get a notification that `pick` accepts (each POST wakes it), or fails. */
async function delivered(what: string, pick: (n: Notification) => boolean, ms = 60_000): Promise<Notification> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = notifications.find(pick);
    if (hit) return hit;
    const left = end - Date.now();
    if (left <= 0)
      throw new Error(
        `${what}: not delivered within ${ms} ms; deliveries: ${JSON.stringify(notifications)}\nalertmanager:\n${amLog.join('').slice(-3000)}\nprometheus:\n${promLog.join('').slice(-2000)}`,
      );
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((r) => {
      notified = r;
      timer = setTimeout(r, left);
    });
    clearTimeout(timer);
  }
}

/** Starts a program of the monitoring stack, its output kept for failure messages. */
function start(bin: string, args: string[], log: string[]): ChildProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

/** Polls an external process's HTTP API (it has no event to wait for) until `pick` accepts, or fails after `ms`. */
async function until<T>(what: string, read: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await read();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(
        `${what}: not within ${ms} ms (${String(last ?? '')})\nserve:\n${serveErr.join('')}\nprometheus:\n${promLog.join('').slice(-3000)}\nalertmanager:\n${amLog.join('').slice(-2000)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: any[] } };
  assert.equal(body.status, 'success');
  return body.data.result;
}

async function firing(alertname: string): Promise<Array<{ labels: Record<string, string>; state: string }>> {
  const res = await fetch(`${promUrl}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
  return body.data.alerts.filter((a) => a.labels.alertname === alertname && a.state === 'firing');
}

before(async () => {
  if (SKIP) return;
  fixtures = await importFixture('openclaw-gateway');
  const seed = await importFixture('seed-demo');
  const root = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-prom-'));
  fake = await fixtures.startFakeModel({});
  gw = await fixtures.startGateway({ root, name: 'prom', modelBaseUrl: `${fake.url}/v1` });
  oracle = await seed.connectOperator({ url: gw.url, token: gw.token, requestTimeoutMs: 120_000 });
  process.env.LW_PROM_TOKEN = gw.token;
  process.env.LANEWATCH_STATE_DIR = path.join(root, 'lanewatch-state');
  // lanewatch serve, as a user starts it (in this process: main() with a stop signal of our own).
  let metricsUrl: (u: string) => void = () => {};
  const listening = new Promise<string>((r) => (metricsUrl = r));
  served = main(
    ['serve', '--gateway', gw.url, '--token-env', 'LW_PROM_TOKEN', '--metrics-listen', '127.0.0.1:0'],
    {
      out: () => {},
      err: (s) => {
        serveErr.push(s);
        const m = /metrics at http:\/\/(\S+)\/metrics/.exec(s);
        if (m) metricsUrl(m[1]);
      },
      isTTY: false,
    },
    () => new Promise<void>((r) => (stopServe = r)),
  );
  const target = await Promise.race([listening, served.then((c) => Promise.reject(new Error(`serve exited ${c}`)))]);
  // The webhook receiver a team's pager or chat bridge would be: it records what Alertmanager POSTs.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      try {
        notifications.push(JSON.parse(body) as Notification);
      } catch {
        // not JSON: not an Alertmanager delivery; the assertions will say nothing matching arrived
      }
      res.end('ok');
      notified();
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
  // Alertmanager: group per alert and session, flush every second, and say when an alert resolves. No cluster
  // (its gossip listens on every interface and looks for a private address this namespace does not have).
  const amPort = await fixtures.freePort();
  writeFileSync(
    path.join(root, 'alertmanager.yml'),
    [
      'global: { resolve_timeout: 5s }',
      'route:',
      '  receiver: lanewatch-test',
      '  group_by: [alertname, gateway, session]',
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: lanewatch-test',
      '    webhook_configs:',
      `      - { url: ${JSON.stringify(hookUrl)}, send_resolved: true }`,
      '',
    ].join('\n'),
  );
  am = start(
    'prometheus-alertmanager',
    [
      `--config.file=${path.join(root, 'alertmanager.yml')}`,
      `--storage.path=${path.join(root, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ],
    amLog,
  );
  // Prometheus: scrape every second, evaluate every second; the shipped rules plus one that fires on a busy session.
  const port = await fixtures.freePort();
  promUrl = `http://127.0.0.1:${port}`;
  writeFileSync(
    path.join(root, 'busy.rules.yml'),
    [
      'groups:',
      '  - name: lanewatch-test',
      '    rules:',
      '      - alert: LanewatchTestSessionBusy',
      '        expr: lanewatch_session_state{state=~"running|long-running|stalled|stuck"} == 1',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(root, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'alerting:',
      `  alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:${amPort}'] }] }]`,
      'rule_files:',
      `  - ${JSON.stringify(path.join(repoRoot, 'deploy/prometheus/lanewatch-rules.yml'))}`,
      `  - ${JSON.stringify(path.join(root, 'busy.rules.yml'))}`,
      'scrape_configs:',
      '  - job_name: lanewatch',
      `    static_configs: [{ targets: [${JSON.stringify(target)}] }]`,
      '',
    ].join('\n'),
  );
  prom = start(
    'prometheus',
    [
      `--config.file=${path.join(root, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(root, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    promLog,
  );
  await until('alertmanager ready', async () =>
    (await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok ? true : undefined,
  );
  await until('prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));
  const rules = await (await fetch(`${promUrl}/api/v1/rules`)).json();
  const names = (rules as any).data.groups.flatMap((g: any) => g.rules.map((r: any) => r.name));
  assert.ok(names.includes('LanewatchSessionStuck'), `the shipped rules load in Prometheus: ${names.join(', ')}`);
}, LONG);

after(async () => {
  stopServe();
  await served?.catch(() => undefined);
  prom?.kill('SIGTERM');
  am?.kill('SIGTERM');
  receiver?.close();
  await oracle?.close().catch(() => undefined);
  await fixtures?.cleanupAll();
});

describe('a real Prometheus and Alertmanager over lanewatch serve', { skip: SKIP }, () => {
  it(
    'a query returns the hung session with its state, the alert fires and is delivered; after lanewatch recover it is idle and the resolved alert is delivered',
    LONG,
    async () => {
      await oracle.request('chat.send', {
        sessionKey: HUNG,
        message: 'prometheus test [[hang]]',
        idempotencyKey: `prom-hang-${Date.now()}`,
      });
      const [series] = await until('the hung session in Prometheus', async () => {
        const r = await query(`lanewatch_session_state{session="${HUNG}"}`);
        return r.length ? r : undefined;
      });
      assert.equal(series.metric.state, 'running');
      assert.equal(series.metric.verified, 'true');
      assert.equal(series.metric.agent, 'main');
      assert.equal(series.metric.job, 'lanewatch');
      const row = (await oracle.request('sessions.list', { search: HUNG, limit: 50 })).sessions.find(
        (r: any) => r.key === HUNG,
      );
      assert.equal(row?.hasActiveRun, true, 'the official client sees the run too');
      const alerts = await until('LanewatchTestSessionBusy firing', async () => {
        const a = await firing('LanewatchTestSessionBusy');
        return a.length ? a : undefined;
      });
      assert.equal(alerts[0].labels.session, HUNG);
      // Alertmanager delivers it to the receiver, with the labels a person paged needs.
      const page = await delivered(
        'the firing alert at the webhook receiver',
        (n) => n.status === 'firing' && n.alerts.some((a) => a.labels.alertname === 'LanewatchTestSessionBusy'),
      );
      assert.equal(page.receiver, 'lanewatch-test');
      const paged = page.alerts.find((a) => a.labels.alertname === 'LanewatchTestSessionBusy')!;
      assert.equal(paged.status, 'firing');
      assert.equal(paged.labels.session, HUNG);
      assert.equal(paged.labels.state, 'running');
      assert.equal(paged.labels.gateway, series.metric.gateway);

      // Recover it with the CLI, as an operator paged at night would.
      let err = '';
      const code = await main(['recover', HUNG, '--gateway', gw.url, '--token-env', 'LW_PROM_TOKEN', '--yes'], {
        out: () => {},
        err: (s) => (err += s),
        isTTY: false,
      });
      assert.equal(code, 0, err);
      const after = (await oracle.request('sessions.list', { search: HUNG, limit: 50 })).sessions.find(
        (r: any) => r.key === HUNG,
      );
      assert.equal(after?.hasActiveRun, false, 'the official client sees no active run');
      await until('the session series gone (idle: counted only)', async () =>
        (await query(`lanewatch_session_state{session="${HUNG}"}`)).length === 0 ? true : undefined,
      );
      const idle = await query('lanewatch_sessions{state="idle"}');
      assert.ok(Number(idle[0].value[1]) >= 1);
      await until('LanewatchTestSessionBusy resolved', async () =>
        (await firing('LanewatchTestSessionBusy')).length === 0 ? true : undefined,
      );
      const resolved = await delivered(
        'the resolved alert at the webhook receiver',
        (n) => n.status === 'resolved' && n.alerts.some((a) => a.labels.alertname === 'LanewatchTestSessionBusy'),
      );
      const cleared = resolved.alerts.find((a) => a.labels.alertname === 'LanewatchTestSessionBusy')!;
      assert.equal(cleared.labels.session, HUNG);
      assert.equal(cleared.status, 'resolved');
      assert.ok(Date.parse(cleared.endsAt) >= Date.parse(paged.startsAt), 'it ends after it started');
      const up = await query('lanewatch_gateway_up');
      assert.equal(up[0].value[1], '1');
    },
  );

  it(
    "says plainly that the gateway's own Prometheus endpoint is not enabled (2026.9.6 without the plugin)",
    LONG,
    async () => {
      // The gateway itself, read directly with its token: no such route without the diagnostics-prometheus plugin.
      const direct = await fetch(`${gw.url.replace(/^ws/, 'http')}/api/diagnostics/prometheus`, {
        headers: { authorization: `Bearer ${gw.token}` },
      });
      assert.equal(direct.status, 404);
      const [state] = await until("the gateway's endpoint state in Prometheus", async () => {
        const r = await query('lanewatch_gateway_prometheus_endpoint');
        return r.length ? r : undefined;
      });
      assert.equal(state.metric.state, 'not-enabled');
      assert.equal(state.value[1], '1');
      assert.deepEqual(
        await query('lanewatch_gateway_runs_completed_total'),
        [],
        'no figures from an endpoint that is not there',
      );
    },
  );
});
