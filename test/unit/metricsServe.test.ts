// `lanewatch serve` end to end against scripted gateways: /metrics scraped and parsed as Prometheus does, the series
// of running, stalled and stale sessions and the counts per state, a state change in the next scrape, bounded
// cardinality (idle sessions are counts only), OpenMetrics when asked, /healthz, bad listen addresses and a port in
// use, the watchdog's counters after it frees a stalled session, and no token anywhere.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { main, parseArgs } from '../../src/cli/main';
import { ScriptedGateway } from '../support/scriptedGateway';

const TOKEN = 'tok-SECRET-7f3a9c1e5b';
const TRANSCRIPT = 'TRANSCRIPT-PRIVATE-TEXT-4421';
const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

const stalledLine = (key: string) =>
  JSON.stringify({
    0: '{"subsystem":"diagnostic"}',
    _meta: { logLevelName: 'WARN' },
    time: new Date().toISOString(),
    message: `stalled session: sessionId=s-${key} sessionKey=${key} state=processing age=381s queueDepth=0 reason=active_work_without_progress classification=stalled_agent_run activeWorkKind=model_call recovery=none`,
  });

interface Row {
  key: string;
  sessionId: string;
  status: string;
  hasActiveRun: boolean;
  activeRunIds?: string[];
  startedAt?: number;
  updatedAt: number;
}

const idleRow = (key: string): Row => ({
  key,
  sessionId: `s-${key}`,
  status: 'done',
  hasActiveRun: false,
  activeRunIds: [],
  updatedAt: Date.now() - 60_000,
});
const runningRow = (key: string, startedAgoMs: number): Row => ({
  key,
  sessionId: `s-${key}`,
  status: 'running',
  hasActiveRun: true,
  startedAt: Date.now() - startedAgoMs,
  updatedAt: Date.now(),
});

/** A 2026.9.6-like gateway: paged rows, a log with stalled lines, transcripts with private text, and abort. */
async function gateway(rows: Row[], logLines: string[] = []) {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const gw: ScriptedGateway = await ScriptedGateway.start({
    helloOverrides: {
      auth: { role: 'operator', scopes: ['operator.read', 'operator.write', 'operator.admin'] },
      features: {
        methods: [
          'agents.list',
          'sessions.subscribe',
          'sessions.list',
          'logs.tail',
          'diagnostics.lanes',
          'chat.history',
          'sessions.abort',
          'chat.abort',
          'sessions.reset',
        ],
        events: ['sessions.changed', 'chat', 'agent'],
      },
    },
    handleRequest: (method: string, params: any) => {
      switch (method) {
        case 'agents.list':
          return { defaultId: 'main', agents: [{ id: 'main' }, { id: 'ops' }] };
        case 'sessions.subscribe':
          return { subscribed: true };
        case 'sessions.list': {
          const all = [...byKey.values()];
          const list = params.search ? all.filter((r) => r.key.includes(params.search)) : all;
          const offset = params.offset ?? 0;
          const page = list.slice(offset, offset + (params.limit ?? 100));
          const hasMore = offset + page.length < list.length;
          return {
            sessions: page,
            count: page.length,
            totalCount: list.length,
            hasMore,
            nextOffset: hasMore ? offset + page.length : null,
          };
        }
        case 'logs.tail':
          return { file: '/tmp/gw.log', cursor: 1, lines: params.cursor === undefined ? logLines : [] };
        case 'diagnostics.lanes':
          return { lanes: [], dynamic: null };
        case 'chat.history':
          return {
            sessionKey: params.sessionKey,
            messages: [{ role: 'user', content: [{ type: 'text', text: TRANSCRIPT }], timestamp: Date.now() }],
            totalMessages: 1,
            pendingInputs: { items: [], total: 0 },
          };
        case 'sessions.abort': {
          const r = byKey.get(params.key ?? params.sessionKey);
          const aborted = r?.hasActiveRun ? 'run-1' : null;
          if (r) setRow({ ...r, hasActiveRun: false, activeRunIds: [], status: 'killed', updatedAt: Date.now() });
          return { ok: true, abortedRunId: aborted, status: aborted ? 'aborted' : 'no-active-run' };
        }
        default:
          return {};
      }
    },
  });
  cleanup.push(() => gw.close());
  /** Changes a row, as the gateway does: the new row in sessions.list and a sessions.changed event. */
  const setRow = (row: Row) => {
    byKey.set(row.key, row);
    setImmediate(() =>
      gw.broadcast({ type: 'event', event: 'sessions.changed', payload: { sessionKey: row.key, session: row } }),
    );
  };
  return { gw, setRow };
}

/** `lanewatch serve` in this process, its stderr awaitable line by line, stopped by `stop()`. */
async function serve(urls: string[], extra: string[] = []) {
  const errLines: string[] = [];
  const waiters: Array<{ re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }> = [];
  let outText = '';
  const check = () => {
    for (const w of [...waiters]) {
      for (let i = w.from; i < errLines.length; i++) {
        const m = w.re.exec(errLines[i]);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
          break;
        }
      }
    }
  };
  /** The next stderr line matching `re` (from line `from` on: by default one not yet seen). */
  const line = (re: RegExp, from = errLines.length, ms = 10_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no stderr line matching ${re} within ${ms} ms; stderr:\n${errLines.join('\n')}`)),
        ms,
      );
      waiters.push({
        re,
        from,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      check();
    });
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const env = { LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-serve-')), LW_TOKEN: TOKEN };
  Object.assign(process.env, env);
  const args = ['serve', ...urls.flatMap((u) => ['--gateway', u, '--token-env', 'LW_TOKEN'])];
  const code = main(
    [...args, '--metrics-listen', '127.0.0.1:0', ...extra],
    {
      out: (s) => {
        outText += s;
      },
      err: (s) => {
        errLines.push(...s.split('\n').filter(Boolean));
        check();
      },
      isTTY: false,
    },
    () => stopped,
  );
  const first = await Promise.race([line(/metrics at (http:\/\/[^\s/]+)\/metrics/, 0), code.then(() => null)]);
  const base = first?.[1];
  const finish = async () => {
    stop();
    return code;
  };
  cleanup.push(finish);
  return { base, code, line, finish, stderr: () => errLines.join('\n'), stdout: () => outText };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format (and OpenMetrics), as a scraper reads it: every sample with its labels. */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    if (!raw || raw.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(raw);
    assert.ok(m, `unparsable line: ${raw}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
    for (let l = re.exec(m[2] ?? ''); l; l = re.exec(m[2] ?? ''))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(base: string, accept?: string) {
  const res = await fetch(`${base}/metrics`, accept ? { headers: { accept } } : {});
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, samples: parseExposition(text), contentType: res.headers.get('content-type') ?? '' };
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const one = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const found = find(samples, name, labels);
  assert.equal(found.length, 1, `one ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0];
};

describe('lanewatch serve: /metrics', { timeout: 30_000 }, () => {
  it('exports the running, stalled and stale sessions with state and age, and every state count', async () => {
    const { gw } = await gateway(
      [
        runningRow('agent:main:hung', 400_000),
        runningRow('agent:ops:busy', 30_000),
        { ...idleRow('agent:main:zombie'), status: 'running' },
        idleRow('agent:main:a'),
        idleRow('agent:main:b'),
        idleRow('agent:ops:c'),
      ],
      [stalledLine('agent:main:hung')],
    );
    const s = await serve([gw.url]);
    assert.ok(s.base, s.stderr());
    await s.line(/read +127\.0\.0\.1:\d+: 6 session/, 0);
    const { samples, contentType } = await scrape(s.base);
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const gwName = `127.0.0.1:${gw.port}`;
    assert.equal(one(samples, 'lanewatch_gateway_up', { gateway: gwName }).value, 1);
    assert.equal(one(samples, 'lanewatch_gateway_synced', { gateway: gwName }).value, 1);
    const count = (state: string) => one(samples, 'lanewatch_sessions', { gateway: gwName, state }).value;
    assert.deepEqual(
      { idle: count('idle'), running: count('running'), stalled: count('stalled'), stale: count('stale') },
      { idle: 3, running: 1, stalled: 1, stale: 1 },
    );
    assert.equal(find(samples, 'lanewatch_sessions', { gateway: gwName }).length, 9, 'every lane state, 0 included');
    const stalled = one(samples, 'lanewatch_session_state', { session: 'agent:main:hung' });
    assert.deepEqual(stalled.labels, {
      gateway: gwName,
      agent: 'main',
      session: 'agent:main:hung',
      state: 'stalled',
      verified: 'true',
    });
    assert.equal(one(samples, 'lanewatch_session_state', { session: 'agent:ops:busy' }).labels.state, 'running');
    assert.equal(one(samples, 'lanewatch_session_state', { session: 'agent:ops:busy' }).labels.agent, 'ops');
    assert.equal(one(samples, 'lanewatch_session_state', { session: 'agent:main:zombie' }).labels.state, 'stale');
    assert.equal(find(samples, 'lanewatch_session_state').length, 3, 'idle sessions have no series of their own');
    const runAge = one(samples, 'lanewatch_session_run_seconds', { session: 'agent:main:hung' }).value;
    assert.ok(runAge >= 400 && runAge < 430, `run age ${runAge}`);
    const inState = one(samples, 'lanewatch_session_state_seconds', { session: 'agent:main:hung', state: 'stalled' });
    assert.ok(inState.value >= 0 && inState.value < 30, `seconds in state ${inState.value}`);
    const hs = find(samples, 'lanewatch_gateway_handshake_seconds', { gateway: gwName });
    assert.deepEqual(hs.map((h) => h.labels.phase).sort(), ['challenge', 'hello', 'socket_open']);
    assert.ok(hs.every((h) => h.value >= 0 && h.value < 10));
    assert.equal(find(samples, 'lanewatch_gateway_problem').length, 0, 'no problem yet');
    const info = one(samples, 'lanewatch_gateway_info', { gateway: gwName });
    assert.equal(info.labels.url, `ws://${gwName}`);
    assert.equal(info.labels.server_version, '2026.9.6-test');
    // The exporter itself.
    const health = await fetch(`${s.base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', gateways: 1, connected: 1, synced: 1, watchdog: false });
    assert.equal((await fetch(`${s.base}/nope`)).status, 404);
    assert.equal(await s.finish(), 0);
  });

  it('a running run that sends nothing reads "no progress" after --no-progress-seconds, as in the extension', async () => {
    const { gw } = await gateway([runningRow('agent:main:quiet', 5_000)]);
    const s = await serve([gw.url], ['--no-progress-seconds', '1', '--notify-states', 'no-progress']);
    await s.line(/read +\S+: 1 session/, 0);
    await s.line(/lane +\S+ agent:main:quiet: running → no progress/, 0);
    const { samples } = await scrape(s.base!);
    assert.equal(one(samples, 'lanewatch_session_state', { session: 'agent:main:quiet' }).labels.state, 'no-progress');
    assert.equal(one(samples, 'lanewatch_sessions', { state: 'no-progress' }).value, 1);
    assert.equal(await s.finish(), 0);
    // On by default for serve and watch (60 s); a one-shot status measures no silence of its own.
    assert.equal(parseArgs(['serve']).fleet.noProgressMs, 60_000);
    assert.equal(parseArgs(['watch', '--no-progress-seconds', '0']).fleet.noProgressMs, 0);
    assert.equal(parseArgs(['status']).fleet.noProgressMs, undefined);
    assert.throws(() => parseArgs(['status', '--no-progress-seconds', '5']), /applies to serve and watch/);
  });

  it('a state change shows in the next scrape, and a lost gateway reads down with its problem class', async () => {
    const { gw, setRow } = await gateway([idleRow('agent:main:w'), idleRow('agent:main:x')]);
    const s = await serve([gw.url]);
    await s.line(/read +\S+: 2 session/, 0);
    let { samples } = await scrape(s.base!);
    assert.equal(find(samples, 'lanewatch_session_state', { session: 'agent:main:w' }).length, 0);
    // The row keeps saying running after its run ended (a zombie): stale.
    setRow({ ...idleRow('agent:main:w'), status: 'running' });
    await s.line(/lane +\S+ agent:main:w: idle → stale/);
    ({ samples } = await scrape(s.base!));
    assert.equal(one(samples, 'lanewatch_session_state', { session: 'agent:main:w' }).labels.state, 'stale');
    assert.equal(one(samples, 'lanewatch_sessions', { state: 'stale' }).value, 1);
    assert.equal(one(samples, 'lanewatch_sessions', { state: 'idle' }).value, 1);
    setRow(idleRow('agent:main:w'));
    await s.line(/lane +\S+ agent:main:w: stale → idle/);
    ({ samples } = await scrape(s.base!));
    assert.equal(find(samples, 'lanewatch_session_state', { session: 'agent:main:w' }).length, 0);
    assert.equal(one(samples, 'lanewatch_sessions', { state: 'idle' }).value, 2);
    // The gateway goes away: down, with the problem class; its sessions are no longer exported as if live.
    setRow({ ...idleRow('agent:main:x'), status: 'running' });
    await s.line(/lane +\S+ agent:main:x: idle → stale/);
    await gw.close();
    await s.line(/gateway +\S+: not reachable/);
    ({ samples } = await scrape(s.base!));
    assert.equal(one(samples, 'lanewatch_gateway_up').value, 0);
    const problem = one(samples, 'lanewatch_gateway_problem');
    assert.equal(problem.value, 1);
    assert.match(problem.labels.kind, /^[a-z-]+$/);
    assert.equal(find(samples, 'lanewatch_session_state').length, 0);
    assert.equal(find(samples, 'lanewatch_sessions').length, 0);
    assert.equal(await s.finish(), 0);
  });

  it('1,000 idle sessions add no per-session series: the exposition has as many lanewatch series as with 2', async () => {
    const many = await gateway([
      ...Array.from({ length: 1000 }, (_, i) => idleRow(`agent:main:idle-${i}`)),
      runningRow('agent:main:live', 5_000),
    ]);
    const few = await gateway([
      idleRow('agent:main:idle-a'),
      idleRow('agent:main:idle-b'),
      runningRow('agent:main:live', 5_000),
    ]);
    const s = await serve([many.gw.url, few.gw.url]);
    await s.line(/read +\S+#1: 1001 session/, 0);
    await s.line(/read +\S+#2: 3 session/, 0);
    const { samples, text } = await scrape(s.base!);
    const ours = (gateway: string) =>
      samples.filter((x) => x.name.startsWith('lanewatch_') && x.labels.gateway === gateway);
    const a = ours(`127.0.0.1:${many.gw.port}#1`);
    const b = ours(`127.0.0.1:${few.gw.port}#2`);
    assert.equal(
      one(samples, 'lanewatch_sessions', { gateway: `127.0.0.1:${many.gw.port}#1`, state: 'idle' }).value,
      1000,
    );
    assert.equal(a.length, b.length, 'the same series for 1,000 idle sessions as for 2');
    assert.ok(a.length < 30, `${a.length} series for one gateway`);
    assert.equal(find(samples, 'lanewatch_session_state').length, 2);
    assert.ok(!text.includes('idle-1'), 'no idle session key anywhere in the exposition');
    assert.equal(await s.finish(), 0);
  });

  it('OpenMetrics when the scraper asks for it, the Prometheus text format otherwise', async () => {
    const { gw } = await gateway([runningRow('agent:main:r', 1_000)]);
    const s = await serve([gw.url]);
    await s.line(/read +\S+: 1 session/, 0);
    const om = await scrape(
      s.base!,
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    );
    assert.match(om.contentType, /^application\/openmetrics-text; version=1\.0\.0/);
    assert.ok(om.text.endsWith('# EOF\n'));
    assert.match(om.text, /^# TYPE lanewatch_watchdog_decisions counter$/m);
    assert.equal(one(om.samples, 'lanewatch_session_state', { session: 'agent:main:r' }).labels.state, 'running');
    // Asked again in the text format after an OpenMetrics scrape: the counter keeps its _total name.
    const text = await scrape(s.base!);
    assert.match(text.contentType, /^text\/plain/);
    assert.match(text.text, /^# TYPE lanewatch_watchdog_decisions_total counter$/m);
    assert.ok(!text.text.includes('# EOF'));
    assert.equal(await s.finish(), 0);
  });
});

describe('lanewatch serve: bad input', { timeout: 20_000 }, () => {
  const run = async (args: string[]) => {
    let err = '';
    const code = await main(
      ['serve', '--gateway', 'ws://127.0.0.1:9', ...args],
      { out: () => {}, err: (s) => (err += s), isTTY: false },
      () => Promise.resolve(),
    );
    return { code, err };
  };

  it('an invalid listen address is a usage error that says what form is expected', async () => {
    for (const bad of ['9464', 'localhost', '127.0.0.1:99999', '[nope]:1', 'a b:1', ':9464']) {
      const r = await run(['--metrics-listen', bad]);
      assert.equal(r.code, 2, `${bad}: ${r.err}`);
      assert.match(r.err, /--metrics-listen: .*(HOST:PORT|out of range|IPv6|no host|neither)/, bad);
    }
  });

  it('a port in use fails with exit code 1 and says to choose another', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise((r) => busy.close(r)));
    const port = (busy.address() as { port: number }).port;
    const r = await run(['--metrics-listen', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1, r.err);
    assert.match(
      r.err,
      new RegExp(
        `cannot serve metrics on 127\\.0\\.0\\.1:${port}: another program is already listening there.*--metrics-listen`,
      ),
    );
  });

  it('watchdog options without --watchdog, and a webhook that is no http(s) URL, are refused', async () => {
    let r = await run(['--states', 'stalled']);
    assert.equal(r.code, 2);
    assert.match(r.err, /need --watchdog/);
    r = await run(['--notify-webhook', 'ftp://hooks.example/secret-path']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--notify-webhook: the URL must be http:\/\/ or https:\/\//);
    assert.ok(!r.err.includes('secret-path'), 'the URL (which may be a secret) is not repeated');
    r = await run(['--notify-states', 'stalled,wedged']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown state "wedged"/);
  });
});

/** A local webhook receiver: the JSON bodies it got, awaitable by count. */
async function webhookReceiver() {
  const bodies: any[] = [];
  const raw: string[] = [];
  let wake = () => {};
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      raw.push(data);
      bodies.push(JSON.parse(data));
      res.writeHead(204).end();
      wake();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise((r) => server.close(r)));
  const received = (n: number, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`webhook got ${bodies.length} of ${n}: ${raw.join('\n')}`)), ms);
      wake = () => {
        if (bodies.length >= n) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hooks/T1/B2/secretpath`, bodies, raw, received };
}

describe('lanewatch serve --watchdog', { timeout: 30_000 }, () => {
  it('frees a stalled session and counts it: decisions, the verdict and the step; the session reads idle; no token anywhere', async () => {
    const hook = await webhookReceiver();
    const { gw } = await gateway(
      [runningRow('agent:main:hung', 400_000), idleRow('agent:main:ok')],
      [stalledLine('agent:main:hung')],
    );
    const s = await serve(
      [gw.url],
      ['--watchdog', '--states', 'stalled', '--threshold-seconds', '1', '--json', '--notify-webhook', hook.url],
    );
    await s.line(/"read":\{"gateway"/, 0);
    await s.line(/"outcome":"freed"/, 0);
    await s.line(/"to":"idle"/, 0);
    const { samples, text } = await scrape(s.base!);
    const gwName = `127.0.0.1:${gw.port}`;
    for (const decision of ['armed', 'acting', 'acted'])
      assert.equal(
        one(samples, 'lanewatch_watchdog_decisions_total', { gateway: gwName, decision }).value,
        1,
        decision,
      );
    assert.equal(one(samples, 'lanewatch_recoveries_total', { gateway: gwName, verdict: 'freed' }).value, 1);
    assert.equal(
      one(samples, 'lanewatch_recovery_steps_total', { gateway: gwName, step: 'abort', outcome: 'freed' }).value,
      1,
    );
    assert.equal(one(samples, 'lanewatch_watchdog_enabled').value, 1);
    // What the alerts watch is there at 0 before its first event (increase() would miss a series born at 1).
    assert.equal(one(samples, 'lanewatch_watchdog_decisions_total', { gateway: gwName, decision: 'failed' }).value, 0);
    assert.equal(one(samples, 'lanewatch_recoveries_total', { gateway: gwName, verdict: 'ineffective' }).value, 0);
    assert.equal(find(samples, 'lanewatch_session_state', { session: 'agent:main:hung' }).length, 0);
    assert.equal(one(samples, 'lanewatch_sessions', { state: 'idle' }).value, 2);
    assert.equal(await s.finish(), 0);
    // The webhook: the session already stalled at start, the watchdog's outcome, the session free again.
    await hook.received(3);
    const got = hook.bodies.map((b) => [b.kind, b.session, b.to ?? b.verdict].join(' '));
    assert.equal(got[0], 'lane-state agent:main:hung stalled');
    // The session reads idle as soon as the abort lands, which may be before the ladder has read it back.
    assert.deepEqual(got.slice(1).sort(), ['lane-state agent:main:hung idle', 'watchdog agent:main:hung freed']);
    assert.match(hook.bodies[0].text, /^Lanewatch: session agent:main:hung on gateway \S+ is stalled/);
    assert.ok(!s.stderr().includes('secretpath'), 'the webhook URL path (a secret in chat tools) is not logged');
    for (const [where, t] of [
      ['webhook', hook.raw.join('\n')],
      ['metrics', text],
      ['stderr', s.stderr()],
      ['stdout', s.stdout()],
    ]) {
      assert.ok(!t.includes(TOKEN), `no token in ${where}`);
      assert.ok(!t.includes(TRANSCRIPT), `no transcript text in ${where}`);
    }
  });
});
