// The fleet model against two real gateways at once (different ports and tokens), the way an operator with
// 18789 and 18790 on one machine runs them: live lane status from a real hung run and its queued work, the
// gateway's own long-running diagnostic, offline and back after a kill, a wrong token, and `lanewatch status`
// (the CLI) agreeing with the model.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayApi, GatewayConnection, MemoryDeviceIdentityStore, type EventFrame } from '../../src/gateway';
import { Fleet } from '../../src/fleet/fleet';
import { abortAndClearQueue, abortRun } from '../../src/actions/recovery';
import { findRestartNowTarget, restartGateway, restartPreflight } from '../../src/actions/restart';
import { testSend } from '../../src/actions/testSend';
import { exportGatewayDiagnostics } from '../../src/actions/diagnosticsExport';
import type { GatewayConfig } from '../../src/config/gatewaySettings';
import type { LaneStatus } from '../../src/lanes/laneStatus';
import { tokenSecretKey } from '../../src/config/tokenSources';
import { reportFleet, summarizeFleet, type FleetReport } from '../../src/report/fleetReport';
import { parseLogLine, type ParsedLogLine } from '../../src/logs/logLine';
import { compileLogFilter } from '../../src/logs/logRing';
import { GatewayLogSource, logFileCandidates, type LogSourceState } from '../../src/logs/logSource';
import { importFixture, repoRoot } from '../support/fixtures';
import { runCli } from '../support/cli';

// The fleet scenarios here rely on 2026.9.x row fields (hasActiveRun, chat.history pendingInputs) and its
// long-running diagnostic. On 2026.3.x/2026.4.x the same questions (running, stale, CLI agreement, recovery) are
// answered by protocol3.test.ts with that version's evidence.
const V9 = !/^2026\.[34]\./.test(process.env.LANEWATCH_OPENCLAW_VERSION ?? '');

const LONG = { timeout: 300_000 };
let fixtures: any, fake: any, alpha: any, beta: any;
let fleet: Fleet;
let alphaOps: GatewayConnection;
const HUNG = 'agent:main:fleet-hung',
  HUNG_ALONE = 'agent:main:fleet-hung-alone',
  IDLE = 'agent:main:fleet-idle';
const fleetLog: string[] = [];
/** What the Gateway Logs panel reads, per gateway: its source (RPC or the local file) and every line, parsed. */
const logTails = new Map<
  string,
  { source: GatewayLogSource; lines: ParsedLogLine[]; states: LogSourceState[]; onLine: Set<() => void> }
>();

function tailLogs(name: string): void {
  const w = fleet.gateway(name)!;
  const entry = {
    source: undefined as unknown as GatewayLogSource,
    lines: [] as ParsedLogLine[],
    states: [] as LogSourceState[],
    onLine: new Set<() => void>(),
  };
  entry.source = new GatewayLogSource({
    tail: (cursor) =>
      w.api.logsTail(
        { ...(cursor !== undefined ? { cursor } : {}), limit: 5000, maxBytes: 512 * 1024 },
        { timeoutMs: 10_000 },
      ),
    rpcUnavailable: () => (w.connection.isConnected() ? undefined : (w.snapshot().problem?.summary ?? 'down')),
    localFiles: () => logFileCandidates({ rpcFile: entry.source.lastRpcFile ?? w.logFilePath(), loopback: true }),
    pollIntervalMs: 500,
    maxProbeIntervalMs: 1000,
  });
  entry.source.onBatch((b) => {
    entry.lines.push(...b.lines.map((l) => parseLogLine(l)));
    for (const f of entry.onLine) f();
  });
  entry.source.onDidChangeState((st) => {
    entry.states.push(st);
    for (const f of entry.onLine) f();
  });
  entry.source.start();
  logTails.set(name, entry);
}

/** Resolves when the log tail of `name` has a line (or state) that `pick` accepts. */
function logUntil<T>(name: string, pick: () => T | undefined | false, what: string, ms = 120_000): Promise<T> {
  const e = logTails.get(name)!;
  return new Promise((resolve, reject) => {
    const check = () => {
      const v = pick();
      if (v) {
        clearTimeout(timer);
        e.onLine.delete(check);
        resolve(v);
      }
    };
    const timer = setTimeout(() => {
      e.onLine.delete(check);
      reject(
        new Error(`${what}: not within ${ms} ms; source ${JSON.stringify(e.source.state)}, ${e.lines.length} lines`),
      );
    }, ms);
    e.onLine.add(check);
    check();
  });
}

const payload = (f: EventFrame) => (f.payload ?? {}) as Record<string, any>;

/** Resolves when `pick` holds, re-checked on every fleet change (no polling). */
function fleetUntil<T>(pick: () => T | undefined | false, what: string, ms = 120_000): Promise<T> {
  const now = pick();
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(
        new Error(
          `${what}: not within ${ms} ms; fleet: ${JSON.stringify(reportFleet(fleet).gateways.map((g) => ({ n: g.name, d: g.description, s: g.agents.flatMap((a) => a.sessions).map((s) => `${s.key} ${s.laneStatus} ${s.description}`) })))}`,
        ),
      );
    }, ms);
    const sub = fleet.onDidChange(() => {
      const v = pick();
      if (v) {
        clearTimeout(timer);
        sub.dispose();
        resolve(v);
      }
    });
  });
}

const status = (gw: string, key: string): LaneStatus | undefined => {
  const w = fleet.gateway(gw);
  return w?.session(key) || (w && w.laneStatus(key).state !== 'unknown') ? w.laneStatus(key) : undefined;
};

function nextEvent(
  c: GatewayConnection,
  name: string,
  pick: (f: EventFrame) => boolean,
  ms = 120_000,
): Promise<EventFrame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${name} event within ${ms} ms`));
    }, ms);
    const sub = c.onEvent(name, (f) => {
      if (pick(f)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(f);
      }
    });
  });
}

before(async () => {
  if (!V9) return;
  fixtures = await importFixture('openclaw-gateway');
  const root = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-fleet-'));
  fake = await fixtures.startFakeModel({});
  // Two gateways side by side, each with its own port, token and state; alpha logs diagnostics.
  [alpha, beta] = await Promise.all([
    fixtures.startGateway({ root, name: 'alpha', modelBaseUrl: `${fake.url}/v1`, diagnostics: true }),
    fixtures.startGateway({ root, name: 'beta', modelBaseUrl: `${fake.url}/v1` }),
  ]);
  assert.notEqual(alpha.token, beta.token);
  console.log(
    `# alpha ${alpha.url} ready in ${alpha.readyMs} ms; beta ${beta.url} ready in ${beta.readyMs} ms (openclaw ${alpha.version})`,
  );
  const secrets = new Map<string, string>();
  const configs: GatewayConfig[] = [
    { name: 'alpha', url: alpha.url, source: 'settings' }, // token from "SecretStorage"
    { name: 'beta', url: beta.url, configPath: beta.configPath, source: 'settings' }, // token from beta's openclaw.json
    { name: 'beta-wrong-token', url: beta.url, source: 'settings' },
  ];
  secrets.set(tokenSecretKey(configs[0]), alpha.token);
  secrets.set(tokenSecretKey(configs[2]), 'not-the-token');
  fleet = new Fleet({
    secrets: { get: async (k) => secrets.get(k) },
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: '0.1.0-it',
    requestTimeoutMs: 60_000,
    log: (level, m) => {
      fleetLog.push(`${level} ${m}`);
    },
    env: {},
  });
  fleet.setGateways(configs, []);
  alphaOps = new GatewayConnection({
    url: alpha.url,
    credentials: () => ({ token: alpha.token }),
    scopes: ['operator.read', 'operator.write', 'operator.admin'],
    identityStore: new MemoryDeviceIdentityStore(),
    identityKey: 'ops',
    clientVersion: '0.1.0-it',
    requestTimeoutMs: 60_000,
  });
  alphaOps.start();
  await alphaOps.waitForConnected(60_000);
}, LONG);

after(async () => {
  for (const t of logTails.values()) t.source.stop();
  // Free the hung run so the gateway stops promptly.
  if (alphaOps)
    for (const k of [HUNG, HUNG_ALONE])
      await new GatewayApi(alphaOps).chatAbort({ sessionKey: k }).catch(() => undefined);
  alphaOps?.dispose();
  fleet?.dispose();
  await fixtures?.cleanupAll();
});

describe(
  'fleet: two real gateways at once',
  { skip: V9 ? false : 'protocol 3 (2026.3.x/2026.4.x): see protocol3.test.ts' },
  () => {
    it('connects to both with their own tokens and reports a wrong token with the set-token fix', LONG, async () => {
      await fleetUntil(() => fleet.gateway('alpha')!.isSynced() && fleet.gateway('beta')!.isSynced(), 'both synced');
      tailLogs('alpha');
      tailLogs('beta');
      const report = await fleetUntil(() => {
        const r = reportFleet(fleet);
        return r.gateways.find((g) => g.name === 'beta-wrong-token')?.problem ? r : undefined;
      }, 'wrong token reported');
      const [a, b, wrong] = report.gateways;
      assert.match(a.description, /^connected · openclaw 2026\.9\./);
      assert.match(b.description, /^connected · openclaw 2026\.9\./);
      assert.notEqual(a.url, b.url);
      assert.equal(fleet.tokenSource('alpha')?.source, 'secret-storage');
      assert.equal(fleet.tokenSource('beta')?.source, 'config-file');
      assert.equal(wrong.connected, false);
      assert.equal(wrong.problem?.kind, 'auth-token-mismatch');
      assert.equal(wrong.problem?.fix, 'Set token…');
      assert.match(wrong.description, /wrong token/);
      assert.ok(
        !JSON.stringify(report).includes(alpha.token) && !JSON.stringify(report).includes(beta.token),
        'no token in the report',
      );
      assert.ok(!fleetLog.join('\n').includes(alpha.token), 'no token in the log');
    });

    it('an answered turn leaves its session idle', LONG, async () => {
      const api = new GatewayApi(alphaOps);
      const final = nextEvent(
        alphaOps,
        'chat',
        (f) => payload(f).sessionKey === IDLE && payload(f).state === 'final' && !!payload(f).message,
      );
      await api.chatSend({ sessionKey: IDLE, message: 'hello', idempotencyKey: `fleet-idle-${Date.now()}` });
      await final;
      const s = await fleetUntil(() => {
        const x = status('alpha', IDLE);
        return x?.state === 'idle' ? x : undefined;
      }, 'idle');
      assert.ok(
        s.facts.some((f) => f.rule.startsWith('p4.')),
        JSON.stringify(s.facts),
      );
    });

    it(
      'a hung model call shows running within 1 s of the run starting; work queued behind it is counted',
      LONG,
      async () => {
        const api = new GatewayApi(alphaOps);
        const lifecycleStart = nextEvent(
          alphaOps,
          'agent',
          (f) =>
            payload(f).sessionKey === HUNG && payload(f).stream === 'lifecycle' && payload(f).data?.phase === 'start',
        );
        let runningAt = 0;
        const running = fleetUntil(() => {
          const x = status('alpha', HUNG);
          if (x && x.state === 'running' && !runningAt) runningAt = Date.now();
          return runningAt ? x : undefined;
        }, 'running');
        const sentAt = Date.now();
        const started = await api.chatSend({
          sessionKey: HUNG,
          message: 'fleet test [[hang]]',
          idempotencyKey: `fleet-hung-${Date.now()}`,
        });
        const ackAt = Date.now();
        const s = await running;
        const startFrame = await lifecycleStart;
        // The run starts when the gateway accepts it (the ack); the tree may even know before the ack arrives.
        const delay = Math.max(0, runningAt - ackAt);
        console.log(`# running shown ${runningAt - sentAt} ms after chat.send, ${runningAt - ackAt} ms after its ack`);
        assert.ok(delay < 1000, `running shown ${delay} ms after the run started`);
        assert.equal(s.runId ?? started.runId, started.runId);
        assert.equal(payload(startFrame).runId, started.runId);

        // Queue work behind the hung run: a follow-up message and an `agent` run on the same key.
        await api.chatSend({ sessionKey: HUNG, message: 'queued follow-up', idempotencyKey: `fleet-q1-${Date.now()}` });
        await alphaOps.request('agent', {
          sessionKey: HUNG,
          message: 'queued agent run',
          idempotencyKey: `fleet-q2-${Date.now()}`,
        });
        const q = await fleetUntil(() => {
          const x = status('alpha', HUNG);
          return x && x.queued >= 1 ? x : undefined;
        }, 'queued counted');
        assert.ok(
          q.facts.some((f) => f.rule === 'history.pendingInputs'),
          JSON.stringify(q.facts),
        );
        const d = reportFleet(fleet)
          .gateways[0].agents.flatMap((a) => a.sessions)
          .find((x) => x.key === HUNG)!;
        assert.match(d.description, /^running \d+s · \d+ queued/);
        // A second hung run, with nothing queued behind it, for the abort test.
        await api.chatSend({
          sessionKey: HUNG_ALONE,
          message: 'fleet test alone [[hang]]',
          idempotencyKey: `fleet-alone-${Date.now()}`,
        });
        await fleetUntil(() => status('alpha', HUNG_ALONE)?.state === 'running', 'second run running');
        const summary = summarizeFleet(reportFleet(fleet));
        assert.match(summary.text, /2 running/);
        assert.match(summary.text, /1\/3 offline/);
      },
    );

    it(
      'a killed gateway shows offline with the reason and comes back by itself; the other is untouched',
      LONG,
      async () => {
        const betaWatcher = fleet.gateway('beta')!;
        const bootBefore = betaWatcher.snapshot().hello?.bootId;
        await beta.kill('SIGKILL');
        const offline = await fleetUntil(
          () => {
            const g = reportFleet(fleet).gateways.find((x) => x.name === 'beta')!;
            return !g.connected && g.problem ? g : undefined;
          },
          'beta offline',
          30_000,
        );
        assert.match(offline.problem!.kind, /^(connection-lost|unreachable)$/);
        assert.match(offline.description, /connection lost|not running/);
        assert.equal(
          status('beta', 'agent:main:main')?.state ?? 'unknown',
          'unknown',
          'no status is claimed for an offline gateway',
        );
        assert.equal(fleet.gateway('alpha')!.snapshot().state, 'connected');
        // A test send to the dead gateway says so, not "timed out" (once the port refuses: right after the kill the
        // dying listener can still reset a connect).
        await fleetUntil(
          () => betaWatcher.snapshot().problem?.kind === 'unreachable',
          'beta refuses connections',
          30_000,
        );
        const probe = await testSend({
          url: beta.url,
          token: beta.token,
          identityStore: new MemoryDeviceIdentityStore(),
          identityKey: 'probe',
          sessionKey: 'agent:main:probe',
          connectTimeoutMs: 10_000,
        });
        assert.equal(probe.ok, false);
        assert.equal(probe.failure, 'unreachable', probe.summary);
        assert.match(probe.summary, /not running \(connection refused\)/);
        // The logs panel's source: the RPC is dead, the gateway's own log file is on this machine.
        const fileState = await logUntil(
          'beta',
          () => logTails.get('beta')!.states.find((x) => x.kind === 'file'),
          'log tail switched to the file',
          30_000,
        );
        assert.equal(fileState.path, beta.logFile);
        const rpcStatesBefore = logTails.get('beta')!.states.filter((x) => x.kind === 'rpc').length;
        const trace: string[] = [];
        const t = betaWatcher.connection.onDidChangeState((x) =>
          trace.push(
            `${Date.now()} ${x.state}:${x.problem?.kind ?? ''}${x.nextRetryAt ? ` retry+${x.nextRetryAt - Date.now()}` : ''}`,
          ),
        );
        await beta.start();
        const readyAt = Date.now();
        const connectedAt =
          betaWatcher.snapshot().state === 'connected'
            ? Date.now()
            : await new Promise<number>((resolve) => {
                const sub = betaWatcher.connection.onDidChangeState((x) => {
                  if (x.state === 'connected') {
                    sub.dispose();
                    resolve(Date.now());
                  }
                });
              });
        await fleetUntil(
          () => betaWatcher.isSynced() && betaWatcher.snapshot().hello?.bootId !== bootBefore,
          'beta back',
          60_000,
        );
        t.dispose();
        // The reconnect itself is quick; the first reads on a just-started gateway are slow (it warms up on first use).
        console.log(
          `# beta reconnected ${connectedAt - readyAt} ms and resynced ${Date.now() - readyAt} ms after its process reported ready; trace: ${trace.map((x) => x.replace(/^\d+/, (n) => `+${Number(n) - readyAt}`)).join(' | ')}`,
        );
        assert.ok(connectedAt - readyAt < 5_000, `reconnected ${connectedAt - readyAt} ms after ready`);
        await logUntil(
          'beta',
          () => logTails.get('beta')!.states.filter((x) => x.kind === 'rpc').length > rpcStatesBefore,
          'log tail back on the RPC',
          30_000,
        );
        assert.ok(
          logTails.get('beta')!.lines.some((l) => /gateway ready/.test(l.message)),
          'lines of the restarted gateway were read',
        );
        assert.ok(Date.now() - readyAt < 30_000);
      },
    );

    it(
      '`lanewatch status --json` reports the same statuses as the model; a wrong token exits 1 and says why',
      LONG,
      async () => {
        const ok = await runCli(['status', '--json', '--gateway', alpha.url, '--token-env', 'LW_ALPHA_TOKEN'], {
          LW_ALPHA_TOKEN: alpha.token,
          LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-cli-')),
        });
        assert.equal(ok.code, 0, ok.stderr);
        const cli = JSON.parse(ok.stdout) as FleetReport;
        const cliSessions = cli.gateways[0].agents.flatMap((a) => a.sessions);
        for (const key of [HUNG, IDLE]) {
          const mine = fleet.gateway('alpha')!.laneStatus(key).state;
          assert.equal(cliSessions.find((s) => s.key === key)?.laneStatus, mine, `${key}: CLI vs model`);
        }
        assert.ok(cliSessions.find((s) => s.key === HUNG)!.facts.length > 0);
        assert.ok(!ok.stdout.includes(alpha.token) && !ok.stderr.includes(alpha.token));
        const text = await runCli(['status', '--gateway', alpha.url, '--token-env', 'LW_ALPHA_TOKEN'], {
          LW_ALPHA_TOKEN: alpha.token,
          LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-cli-')),
        });
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /running .*fleet-hung/);
        const wrong = await runCli(['status', '--gateway', beta.url, '--token-env', 'LW_BAD'], {
          LW_BAD: 'nope',
          LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-cli-')),
        });
        assert.equal(wrong.code, 1);
        assert.match(wrong.stderr, /wrong token/);
      },
    );

    it(
      'work that waited in a lane produces a real lane-wait line: the session shows it, the Lane waits preset finds it',
      LONG,
      async () => {
        const LANEWAIT = 'agent:main:fleet-lanewait';
        const api = new GatewayApi(alphaOps);
        const firstDelta = nextEvent(
          alphaOps,
          'chat',
          (f) => payload(f).sessionKey === LANEWAIT && payload(f).state === 'delta',
        );
        await api.chatSend({
          sessionKey: LANEWAIT,
          message: `lane wait ${Date.now()} [[slow]]`,
          idempotencyKey: `fleet-lw-${Date.now()}`,
        });
        await firstDelta;
        // An agent run on the same key waits in the session lane until the slow turn ends (~15 s).
        await alphaOps.request('agent', {
          sessionKey: LANEWAIT,
          message: 'queued behind the slow turn',
          idempotencyKey: `fleet-lw-agent-${Date.now()}`,
        });
        const lanePreset = compileLogFilter({ preset: 'lane-waits' });
        const line = await logUntil(
          'alpha',
          () => logTails.get('alpha')!.lines.find((l) => lanePreset(l) && l.sessionKey === LANEWAIT),
          'lane wait line',
          180_000,
        );
        assert.match(line.message, /lane wait exceeded: lane=session:agent:main:fleet-lanewait waitedMs=\d+/);
        console.log(`# ${line.message}`);
        const s = await fleetUntil(
          () => {
            const x = status('alpha', LANEWAIT);
            return x?.laneWait ? x : undefined;
          },
          'lane wait in the status',
          30_000,
        );
        assert.ok(
          s.facts.some((f) => f.rule === 'log.lane-wait'),
          JSON.stringify(s.facts),
        );
      },
    );

    it(
      "the gateway's long-running diagnostic turns the hung session long-running, with the line as evidence",
      { timeout: 420_000 },
      async () => {
        // openclaw 2026.9.x logs it once the model call has made no progress for ~2 minutes (hard-coded).
        const s = await fleetUntil(
          () => {
            const x = status('alpha', HUNG);
            return x && ['long-running', 'stalled', 'stuck'].includes(x.state) ? x : undefined;
          },
          'long-running',
          400_000,
        );
        assert.ok(s.diagnostic, 'the diagnostic line is kept');
        assert.match(s.diagnostic.message, /(long-running|stalled) session/);
        assert.ok(
          s.facts.some((f) => f.rule.startsWith('log.')),
          JSON.stringify(s.facts),
        );
        console.log(`# ${s.state}: ${s.diagnostic.message.slice(0, 160)}`);
        // The Gateway Logs panel's "Stuck & stalled" preset shows the same line, linked to this session.
        const stuckPreset = compileLogFilter({ preset: 'stuck' });
        const line = await logUntil(
          'alpha',
          () => logTails.get('alpha')!.lines.find((l) => stuckPreset(l) && l.sessionKey === HUNG),
          'stuck preset line',
        );
        assert.match(line.message, /(long-running|stalled) session/);
        assert.equal(line.level, 'WARN');
      },
    );

    it('after an abort the session is idle with the killed run as a badge', LONG, async () => {
      const step = await abortRun({ api: new GatewayApi(alphaOps), connection: alphaOps }, HUNG_ALONE);
      console.log(`# abort: ${step.outcome}: ${step.message}`);
      assert.equal(step.outcome, 'freed');
      const s = await fleetUntil(() => {
        const x = status('alpha', HUNG_ALONE);
        return x && x.state === 'idle' && x.outcome ? x : undefined;
      }, 'idle after abort');
      assert.equal(s.outcome, 'killed');
      const d = reportFleet(fleet)
        .gateways[0].agents.flatMap((a) => a.sessions)
        .find((x) => x.key === HUNG_ALONE)!;
      assert.match(d.description, /^idle · last run killed$/);
    });

    it(
      'after abort + clear queue, queued inputs the gateway still lists keep the session queued, with the reason',
      LONG,
      async () => {
        const ctx = { api: new GatewayApi(alphaOps), connection: alphaOps };
        const step = await abortAndClearQueue(ctx, HUNG);
        console.log(`# abort + clear queue: ${step.outcome}: ${step.message}`);
        const s = await fleetUntil(() => {
          const x = status('alpha', HUNG);
          return x && !['running', 'long-running', 'stalled', 'stuck'].includes(x.state) && x.outcome ? x : undefined;
        }, 'run ended');
        console.log(`# then: ${s.state}, queued ${s.queued}, facts ${s.facts.map((f) => f.rule).join(', ')}`);
        // Whatever the gateway still lists as pending is shown as queued, never as idle or running.
        if (step.after?.pending) {
          assert.equal(s.state, 'queued');
          assert.equal(s.queued, step.after.pending);
        } else assert.equal(s.state, 'idle');
      },
    );

    it(
      '`lanewatch watch` frees a session that stays wedged past its threshold, then respects the hourly limit',
      LONG,
      async () => {
        const WATCHED = 'agent:main:fleet-watched';
        const api = new GatewayApi(alphaOps);
        await api.chatSend({
          sessionKey: WATCHED,
          message: 'watched [[hang]]',
          idempotencyKey: `fleet-w1-${Date.now()}`,
        });
        await fleetUntil(() => status('alpha', WATCHED)?.state === 'running', 'watched run running');
        // Short rules for the test: "running for 3 s" counts as wedged; one action per hour.
        const child = spawn(
          process.execPath,
          [
            path.join(repoRoot, 'dist', 'cli.js'),
            'watch',
            '--gateway',
            alpha.url,
            '--token-env',
            'LW_ALPHA_TOKEN',
            '--json',
            '--states',
            'running,long-running',
            '--threshold-seconds',
            '3',
            '--max-per-hour',
            '1',
            '--cooldown-seconds',
            '0',
            '--exclude',
            HUNG,
            '--exclude',
            HUNG_ALONE,
          ],
          {
            env: {
              ...process.env,
              LW_ALPHA_TOKEN: alpha.token,
              LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-watch-')),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        const events: any[] = [];
        let stderr = '';
        const waiters = new Set<() => void>();
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) events.push(JSON.parse(line));
          }
          for (const w of waiters) w();
        });
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        const nextWatch = (pick: (e: any) => boolean, ms = 120_000) =>
          new Promise<any>((resolve, reject) => {
            const check = () => {
              const e = events.find(pick);
              if (e) {
                clearTimeout(t);
                waiters.delete(check);
                resolve(e);
              }
            };
            const t = setTimeout(() => {
              waiters.delete(check);
              reject(new Error(`watch: no such event in ${ms} ms; got ${JSON.stringify(events)}; stderr ${stderr}`));
            }, ms);
            waiters.add(check);
            check();
          });
        try {
          const acted = await nextWatch((e) => e.kind === 'acted' && e.key === WATCHED);
          assert.equal(acted.report.verdict, 'freed', JSON.stringify(acted.report));
          assert.equal(acted.report.steps[0].call, 'sessions.abort');
          const armed = events.find((e) => e.kind === 'armed' && e.key === WATCHED);
          const acting = events.find((e) => e.kind === 'acting' && e.key === WATCHED);
          assert.ok(acting.sinceMs >= 3000, `acted after ${acting.sinceMs} ms`);
          assert.ok(Date.parse(acting.time) >= armed.actAt - 50);
          await fleetUntil(() => {
            const x = status('alpha', WATCHED);
            return x && x.state === 'idle' ? x : undefined;
          }, 'watched idle');
          assert.ok(
            !events.some((e) => e.kind === 'acting' && (e.key === HUNG || e.key === HUNG_ALONE)),
            'excluded sessions untouched',
          );

          // Wedged again within the hour: the watchdog says why it does not act, and leaves the run alone.
          await api.chatSend({
            sessionKey: WATCHED,
            message: 'watched again [[hang]]',
            idempotencyKey: `fleet-w2-${Date.now()}`,
          });
          const skipped = await nextWatch((e) => e.kind === 'skipped' && e.key === WATCHED);
          assert.match(skipped.reason, /rate limit: 1 action\(s\) in the last hour \(max 1\)/);
          assert.equal(status('alpha', WATCHED)?.state, 'running', 'not acted on');
          assert.equal(events.filter((e) => e.kind === 'acting' && e.key === WATCHED).length, 1);
          assert.match(stderr, /"call":"watchdog recover","outcome":"freed"/);
          assert.ok(
            !stderr.includes(alpha.token) && !JSON.stringify(events).includes(alpha.token),
            'no token in the watch output',
          );
        } finally {
          child.kill('SIGTERM');
        }
        assert.equal(await exited, 0, stderr);
        await api.chatAbort({ sessionKey: WATCHED }).catch(() => undefined);
      },
    );

    it(
      'restart with a hung run: the preflight names the blocker, "restart now" restarts, reconnects and reports the new boot',
      { timeout: 240_000 },
      async () => {
        const betaOps = new GatewayConnection({
          url: beta.url,
          credentials: () => ({ token: beta.token }),
          scopes: ['operator.read', 'operator.write', 'operator.admin'],
          identityStore: new MemoryDeviceIdentityStore(),
          identityKey: 'beta-ops',
          clientVersion: '0.1.0-it',
          requestTimeoutMs: 60_000,
        });
        betaOps.start();
        try {
          await betaOps.waitForConnected(60_000);
          const api = new GatewayApi(betaOps);
          const key = 'agent:main:restart-hung';
          await api.chatSend({
            sessionKey: key,
            message: `restart with a hung run ${Date.now()} [[hang]]`,
            idempotencyKey: `fleet-rh-${Date.now()}`,
          });
          await fleetUntil(() => status('beta', key)?.state === 'running', 'beta hung run');
          const pre = await restartPreflight({ api, connection: betaOps });
          console.log(
            `# preflight with a hung run: safe=${pre.safe} blockers=${JSON.stringify(pre.blockers).slice(0, 300)}`,
          );
          assert.equal(pre.safe, false);
          assert.ok(pre.blockers.length > 0);
          // "Restart Now" on a local 2026.9.x gateway: targeted at its lock, no drain (an untargeted request drains 300 s).
          const hello = betaOps.helloSummary!;
          const target = await findRestartNowTarget({
            port: Number(new URL(beta.url).port),
            stateDir: hello.stateDir,
            configPath: hello.configPath,
          });
          assert.ok(target, 'the lock identity of the local gateway is found');
          // The oracle: the official client, on its own connection, sees the new boot.
          const seed = await importFixture('seed-demo');
          const oracle = await seed.connectOperator({ url: beta.url, token: beta.token });
          const oldBoot = oracle.hello?.server?.bootId;
          await oracle.close();
          const startedAt = Date.now();
          const report = await restartGateway({ api, connection: betaOps }, { mode: 'now', target, preflight: pre });
          const tookS = (Date.now() - startedAt) / 1000;
          console.log(
            `# Restart Now with a hung run: ${report.summary} in ${tookS.toFixed(1)} s; steps: ${report.steps.join(' | ')}`,
          );
          assert.equal(report.ok, true, report.summary);
          assert.ok(report.newBootId && report.newBootId !== report.oldBootId);
          assert.ok(tookS < 60, `back in ${tookS.toFixed(1)} s, well under the 300 s drain`);
          const after = await seed.connectOperator({ url: beta.url, token: beta.token });
          try {
            assert.ok(
              after.hello?.server?.bootId && after.hello.server.bootId !== oldBoot,
              `the official client sees a new boot (${oldBoot} → ${after.hello?.server?.bootId})`,
            );
            assert.equal(
              after.hello.server.bootId,
              report.newBootId,
              'the boot Lanewatch reports is the one the official client sees',
            );
          } finally {
            await after.close();
          }
          await fleetUntil(
            () =>
              fleet.gateway('beta')!.isSynced() && fleet.gateway('beta')!.snapshot().hello?.bootId === report.newBootId,
            'the fleet follows the new boot',
            60_000,
          );
        } finally {
          betaOps.dispose();
        }
      },
    );

    it(
      'Export Gateway Diagnostics: the installed openclaw CLI writes a redacted zip for this gateway; the token stays off its command line and out of the zip',
      LONG,
      async () => {
        const hello = alphaOps.helloSummary!;
        const tools = await importFixture('tools');
        const outputDir = mkdtempSync(path.join(os.tmpdir(), 'lw-diag-'));
        const t0 = Date.now();
        const r = await exportGatewayDiagnostics({
          url: alpha.url,
          token: alpha.token,
          stateDir: hello.stateDir,
          configPath: hello.configPath,
          openclaw: [process.execPath, tools.openclawEntry()],
          outputDir,
        });
        assert.ok(r.ok, r.ok ? '' : `${r.summary}\n${r.detail ?? ''}`);
        const zip = readFileSync(r.file);
        console.log(`# diagnostics export: ${Math.round(r.bytes / 1024)} KB in ${Date.now() - t0} ms`);
        assert.equal(path.dirname(r.file), outputDir);
        assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'a zip file');
        for (const entry of ['manifest.json', 'summary.md']) assert.ok(zip.includes(entry), `the zip lists ${entry}`);
        assert.ok(!zip.includes(alpha.token), 'no token in the zip');
        assert.ok(!r.summary.includes(alpha.token));
        const remote = await exportGatewayDiagnostics({ url: 'wss://gw.example.net', outputDir });
        assert.equal(remote.ok, false);
        assert.match(remote.ok ? '' : remote.summary, /runs on the gateway's host/);
        const missing = await exportGatewayDiagnostics({
          url: alpha.url,
          openclaw: ['openclaw-not-installed'],
          outputDir,
        });
        assert.equal(missing.ok ? '' : missing.reason, 'no-cli');
        // The same from a terminal: lanewatch diagnostics export, the CLI named by LANEWATCH_OPENCLAW.
        const cliDir = mkdtempSync(path.join(os.tmpdir(), 'lw-diag-cli-'));
        const cli = await runCli(
          ['diagnostics', 'export', '--gateway', alpha.url, '--token-env', 'LW_ALPHA_TOKEN', '--out', cliDir, '--json'],
          {
            LW_ALPHA_TOKEN: alpha.token,
            LANEWATCH_OPENCLAW: path.join(tools.openclawDir(), 'node_modules', '.bin', 'openclaw'),
            LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-diag-state-')),
          },
        );
        assert.equal(cli.code, 0, cli.stderr);
        const written = JSON.parse(cli.stdout) as { ok: boolean; file: string };
        assert.equal(path.dirname(written.file), cliDir);
        assert.equal(readFileSync(written.file).subarray(0, 4).toString('latin1'), 'PK\x03\x04');
        assert.ok(!cli.stdout.includes(alpha.token) && !cli.stderr.includes(alpha.token), 'no token in the output');
      },
    );
  },
);
