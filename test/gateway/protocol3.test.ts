// The field reports' own gateways: openclaw 2026.3.24 and 2026.4.26 (protocol 3), where the zombie sessions
// really happen. Runs with LANEWATCH_OPENCLAW_VERSION=2026.3.24 or 2026.4.26 (the `gateway-legacy` stage);
// on 2026.9.x there is nothing protocol-3 to prove and the file says so.
//
// 2026.3.24: a run started with `agent` on a hanging model shows running; sessions.abort answers no-active-run and
//            Lanewatch says the API cannot abort it; stop + start (the restart path) frees it; a chat run aborted
//            through the API leaves its row at "running" and shows stale, not running; `lanewatch status --json`
//            (connected late) agrees with the tree.
// 2026.4.26: a run ended by the LLM idle watchdog without any event shows stale (with the reason) within the
//            expiry Lanewatch uses for that version, never running forever, and not before the run really ended.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayApi, GatewayConnection, MemoryDeviceIdentityStore, type EventFrame } from '../../src/gateway';
import { Fleet } from '../../src/fleet/fleet';
import type { GatewayConfig } from '../../src/config/gatewaySettings';
import type { LaneStatus } from '../../src/lanes/laneStatus';
import { abortRun, cannotAbortThroughApi, findSessionRow, recoverSession } from '../../src/actions/recovery';
import { findLockFor, p3RestartChoice, planLocalRestart, stopLocalGateway } from '../../src/actions/restart';
import { testSend } from '../../src/actions/testSend';
import { P3_RUN_EXPIRY_MS } from '../../src/gateway/versionRules';
import type { FleetReport } from '../../src/report/fleetReport';
import { importFixture, repoRoot } from '../support/fixtures';

const LONG = { timeout: 600_000 };
let fixtures: any, tools: any, fake: any, gw: any, fleet: Fleet, ops: GatewayConnection, api: GatewayApi;
let version = '';
const identities = new MemoryDeviceIdentityStore();
const log: string[] = [];
const payload = (f: EventFrame) => (f.payload ?? {}) as Record<string, any>;

function fleetUntil<T>(pick: () => T | undefined | false, what: string, ms = 120_000): Promise<T> {
  const now = pick();
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      const w = fleet.gateway('p3')!;
      reject(
        new Error(
          `${what}: not within ${ms} ms; connection ${w.snapshot().state} ${w.snapshot().problem?.summary ?? ''}, sync error ${w.lastSyncError() ?? 'none'}; statuses: ${JSON.stringify(w.sessionRows().map((r) => [r.key, r.status, w.laneStatus(r.key).state, w.laneStatus(r.key).facts.map((f) => f.rule)]))}; fleet log: ${log.slice(-12).join(' | ')}`,
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
const status = (key: string): LaneStatus | undefined =>
  fleet.gateway('p3')!.session(key) ? fleet.gateway('p3')!.laneStatus(key) : undefined;
const rules = (s: LaneStatus | undefined) => (s?.facts ?? []).map((f) => f.rule);

function nextEvent(
  c: GatewayConnection,
  name: string,
  pick: (f: EventFrame) => boolean,
  ms = 240_000,
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
const runStart = (key: string, ms?: number) =>
  nextEvent(
    ops,
    'agent',
    (f) => payload(f).sessionKey === key && payload(f).stream === 'lifecycle' && payload(f).data?.phase === 'start',
    ms,
  ).then((f) => String(payload(f).runId));
/** The listed row once its status is `want` (2026.3.24 writes its session store a moment after the event), at most 15 s. */
async function rowStatus(key: string, want: string): Promise<string | undefined> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const s = (await findSessionRow(api, key))?.status as string | undefined;
    if (s === want || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'dist', 'cli.js'), ...args, '--gateway', gw.url, '--token-env', 'LW_P3_TOKEN'],
      {
        env: {
          ...process.env,
          LW_P3_TOKEN: gw.token,
          LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-p3-cli-')),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
const cliSessions = (out: string) => (JSON.parse(out) as FleetReport).gateways[0].agents.flatMap((a) => a.sessions);

async function startWatching(extra: { diagnostics?: boolean; extraConfig?: Record<string, unknown> } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-p3-'));
  fake = await fixtures.startFakeModel({});
  gw = await fixtures.startGateway({ root, name: 'p3', version, modelBaseUrl: `${fake.url}/v1`, ...extra });
  console.log(`# openclaw ${gw.version} ready in ${gw.readyMs} ms at ${gw.url}`);
  const configs: GatewayConfig[] = [{ name: 'p3', url: gw.url, configPath: gw.configPath, source: 'settings' }];
  fleet = new Fleet({
    secrets: { get: async () => undefined },
    identityStore: identities,
    clientVersion: '0.1.0-p3',
    requestTimeoutMs: 60_000,
    log: (l, m) => {
      if (l !== 'debug') log.push(`${l} ${m}`);
    },
    env: {},
  });
  fleet.setGateways(configs, []);
  ops = new GatewayConnection({
    url: gw.url,
    credentials: () => ({ token: gw.token }),
    scopes: ['operator.read', 'operator.write', 'operator.admin'],
    identityStore: identities,
    identityKey: 'p3-ops',
    clientVersion: '0.1.0-p3',
    requestTimeoutMs: 90_000,
  });
  ops.start();
  await ops.waitForConnected(90_000);
  api = new GatewayApi(ops);
  await api.sessionsSubscribe({});
  await fleetUntil(() => fleet.gateway('p3')!.isSynced(), 'fleet synced');
  assert.equal(fleet.gateway('p3')!.snapshot().hello?.protocol, 3);
}

before(async () => {
  fixtures = await importFixture('openclaw-gateway');
  tools = await importFixture('tools');
  version = tools.versions.openclaw;
});

after(async () => {
  ops?.dispose();
  fleet?.dispose();
  await fixtures?.cleanupAll();
});

describe('protocol 3 applies to 2026.3.x/2026.4.x only', () => {
  it("this run's version", (t) => {
    if (/^2026\.9\./.test(version))
      t.skip(`openclaw ${version} speaks protocol 4; run with LANEWATCH_OPENCLAW_VERSION=2026.3.24 or 2026.4.26`);
    else assert.match(version, /^2026\.[34]\./);
  });
});

describe(
  'openclaw 2026.3.24: the stuck lane of the field reports',
  { skip: !/^2026\.3\./.test(process.env.LANEWATCH_OPENCLAW_VERSION ?? '') },
  () => {
    const AGENT = 'agent:main:p3-agent-hung',
      CHAT = 'agent:main:p3-chat-aborted',
      IDLE = 'agent:main:p3-idle';
    // diagnostics.enabled: 3.24 logs "stuck session … state=processing" only then (threshold 30 s here).
    before(() => startWatching({ diagnostics: true }), LONG);

    it(
      'an answered turn is idle; a run started with `agent` on a hanging model shows running (its start was seen)',
      LONG,
      async () => {
        const final = nextEvent(
          ops,
          'chat',
          (f) => payload(f).sessionKey === IDLE && payload(f).state === 'final' && !!payload(f).message,
        );
        await api.chatSend({ sessionKey: IDLE, message: 'hello', idempotencyKey: `p3-idle-${Date.now()}` });
        await final;
        const idle = await fleetUntil(() => {
          const s = status(IDLE);
          return s?.state === 'idle' ? s : undefined;
        }, 'idle');
        assert.ok(rules(idle).includes('p3.version'), JSON.stringify(idle.facts));

        const started = runStart(AGENT);
        const accepted = await ops.request<{ runId: string; status: string }>('agent', {
          sessionKey: AGENT,
          message: `p3 ${AGENT} hangs here [[hang]]`,
          idempotencyKey: `p3-agent-${Date.now()}`,
        });
        assert.equal(await started, accepted.runId);
        const s = await fleetUntil(() => {
          const x = status(AGENT);
          return x?.state === 'running' ? x : undefined;
        }, 'agent run running');
        assert.equal(s.verified, true);
        assert.equal(s.runId, accepted.runId);
        assert.ok(rules(s).includes('p3.events'), JSON.stringify(s.facts));
        console.log(
          `# ${AGENT}: ${s.state} — ${s.facts
            .map((f) => `${f.rule}: ${f.text}`)
            .join(' | ')
            .slice(0, 400)}`,
        );
      },
    );

    it(
      'sessions.abort answers no-active-run: reported as "cannot abort through the API", and recovery stops there (no reset)',
      LONG,
      async () => {
        const ctx = { api, connection: ops, evidence: fleet.gateway('p3')!.evidenceSource(), settleTimeoutMs: 5_000 };
        const step = await abortRun(ctx, AGENT);
        console.log(`# abort: ${step.outcome}: ${step.message}`);
        assert.equal((step.answer as any).status, 'no-active-run');
        assert.equal(step.outcome, 'no-change');
        assert.equal(step.before.activeRun, true, 'the run is evidently alive');
        assert.match(step.message, /cannot abort through the API/);
        assert.match(step.message, /stop \+ start/);
        assert.equal(cannotAbortThroughApi(step, gw.version), true);
        const before = (await findSessionRow(api, AGENT))!.sessionId;
        const report = await recoverSession(ctx, AGENT);
        assert.equal(report.verdict, 'needs-restart', JSON.stringify(report, null, 1));
        assert.equal(report.steps.length, 1, 'no queue clearing or reset of a run the API cannot reach');
        assert.equal((await findSessionRow(api, AGENT))!.sessionId, before, 'the transcript was not reset');
        assert.equal(status(AGENT)?.state, 'running', 'still running: nothing was freed');
      },
    );

    it(
      "the gateway's stuck-session lines turn it stuck; `lanewatch status --json`, connected late, agrees with the tree; `lanewatch recover` says restart",
      LONG,
      async () => {
        const stuck = await fleetUntil(
          () => {
            const x = status(AGENT);
            return x?.state === 'stuck' ? x : undefined;
          },
          'stuck line',
          180_000,
        );
        assert.match(stuck.diagnostic!.message, /stuck session: .*state=processing/);
        const out = await cli(['status', '--json']);
        assert.equal(out.code, 0, out.stderr);
        const sessions = cliSessions(out.stdout);
        for (const key of [AGENT, IDLE])
          assert.equal(sessions.find((x) => x.key === key)?.laneStatus, status(key)?.state, `${key}: CLI vs tree`);
        const rec = await cli(['recover', AGENT, '--yes', '--json']);
        console.log(`# lanewatch recover: exit ${rec.code}: ${rec.stdout.slice(0, 600)}`);
        assert.equal(rec.code, 3, rec.stderr);
        assert.equal(JSON.parse(rec.stdout).verdict, 'needs-restart');
      },
    );

    it(
      'a chat run aborted through the API leaves its row at "running": the session shows stale, not running (tree and CLI)',
      LONG,
      async () => {
        const started = runStart(CHAT);
        await api.chatSend({
          sessionKey: CHAT,
          message: `p3 ${CHAT} hangs here [[hang]]`,
          idempotencyKey: `p3-chat-${Date.now()}`,
        });
        await started;
        await fleetUntil(() => status(CHAT)?.state === 'running', 'chat run running');
        const step = await abortRun(
          { api, connection: ops, evidence: fleet.gateway('p3')!.evidenceSource(), settleTimeoutMs: 30_000 },
          CHAT,
        );
        console.log(`# abort: ${step.outcome}: ${step.message}`);
        assert.equal((step.answer as any).status, 'aborted');
        assert.equal(step.outcome, 'freed');
        const s = await fleetUntil(() => {
          const x = status(CHAT);
          return x?.state === 'stale' ? x : undefined;
        }, 'stale after abort');
        assert.equal(await rowStatus(CHAT, 'running'), 'running', 'the row still says running (2026.3.24)');
        assert.ok(rules(s).includes('p3.stale'), JSON.stringify(s.facts));
        const out = await cli(['status', '--json']);
        const mine = cliSessions(out.stdout).find((x) => x.key === CHAT)!;
        console.log(
          `# CLI (connected after the abort): ${mine.laneStatus} — ${mine.facts.map((f) => f.rule).join(', ')}`,
        );
        assert.equal(mine.laneStatus, 'stale', JSON.stringify(mine.facts));
      },
    );

    it(
      'the restart path frees the unabortable run: stop (SIGTERM) + start; the row keeps "running" but shows stale, and the lane answers',
      LONG,
      async () => {
        const watcher = fleet.gateway('p3')!;
        const hello = watcher.snapshot().hello!;
        const lock = await findLockFor({
          configPath: hello.configPath ?? gw.configPath,
          stateDir: hello.stateDir,
          extraTmpDirs: [gw.tmpDir],
        });
        assert.ok(lock, 'lock file found');
        const plan = await planLocalRestart(lock, hello.protocol);
        assert.equal(plan.kind, 'signal');
        const live = watcher
          .sessionRows()
          .map((r) => r.key)
          .filter((k) => watcher.runEvidence(k).live === true);
        assert.deepEqual(live, [AGENT]);
        const choice = p3RestartChoice(hello.serverVersion, live);
        assert.equal(choice.recommend, 'stop-start');
        assert.match(choice.why, /6\.5 minutes/);
        const stopped = await stopLocalGateway(lock.pid);
        console.log(`# ${stopped.summary}`);
        assert.equal(stopped.ok, true, stopped.summary);
        await gw.start(); // the user's part: start it the way they run it
        const s = await fleetUntil(
          () => {
            const x = status(AGENT);
            return watcher.isSynced() && x?.state === 'stale' ? x : undefined;
          },
          'stale after restart',
          120_000,
        );
        assert.ok(rules(s).includes('p3.restarted'), JSON.stringify(s.facts));
        assert.equal(
          (await findSessionRow(new GatewayApi(watcher.connection), AGENT))!.status,
          'running',
          'no replay: the row still says running',
        );
        const probe = await testSend({
          url: gw.url,
          token: gw.token,
          identityStore: identities,
          identityKey: 'p3-probe',
          sessionKey: AGENT,
          message: 'are you free again?',
          replyTimeoutMs: 120_000,
        });
        assert.equal(probe.ok, true, probe.summary);
      },
    );
  },
);

describe(
  'openclaw 2026.4.26: a run the LLM idle watchdog ends without any event',
  { skip: !/^2026\.4\./.test(process.env.LANEWATCH_OPENCLAW_VERSION ?? '') },
  () => {
    const KEY = 'agent:main:p3-idle-timeout';
    // timeoutSeconds bounds the model call, so the idle watchdog fires after 30 s instead of 120 s (one retry, then
    // the run ends silently). Default diagnostics, as users run it.
    before(() => startWatching({ extraConfig: { models: { providers: { fake: { timeoutSeconds: 30 } } } } }), LONG);

    it(
      `shows running while the run is alive, then stale with the reason within the ${P3_RUN_EXPIRY_MS / 1000} s expiry — never running forever`,
      LONG,
      async () => {
        await fake.setMode('hang', true); // every model call hangs, the watchdog's retry too
        const started = runStart(KEY, 300_000);
        const t0 = Date.now();
        await api.chatSend({ sessionKey: KEY, message: `p3 ${KEY} [[hang]]`, idempotencyKey: `p3-idle-${Date.now()}` });
        const runId = await started;
        const running = await fleetUntil(
          () => {
            const x = status(KEY);
            return x?.state === 'running' ? x : undefined;
          },
          'running',
          120_000,
        );
        assert.equal(running.verified, true);
        let lastStart = Date.now();
        const retry = ops.onEvent('agent', (f) => {
          if (payload(f).sessionKey === KEY && payload(f).data?.phase === 'start') {
            lastStart = Date.now();
            console.log(`# lifecycle start again (watchdog retry) after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
          }
        });
        const ended: string[] = [];
        const endSub = ops.onEvent('agent', (f) => {
          if (payload(f).sessionKey === KEY && ['end', 'error'].includes(payload(f).data?.phase))
            ended.push(JSON.stringify(payload(f).data));
        });
        try {
          const stale = await fleetUntil(
            () => {
              const x = status(KEY);
              return x && x.state !== 'running' ? x : undefined;
            },
            'no longer running',
            540_000,
          );
          const staleAt = Date.now();
          const since = staleAt - lastStart;
          console.log(
            `# ${stale.state} ${((Date.now() - t0) / 1000).toFixed(0)} s after the send, ${(since / 1000).toFixed(0)} s after the last lifecycle start; end events seen: ${ended.length ? ended.join(' ') : 'none'}`,
          );
          console.log(
            `# facts: ${stale.facts
              .map((f) => `${f.rule}: ${f.text}`)
              .join(' | ')
              .slice(0, 600)}`,
          );
          assert.ok(['stale', 'idle'].includes(stale.state), stale.state);
          if (!ended.length) {
            assert.ok(rules(stale).includes('p3.expired'), JSON.stringify(stale.facts));
            assert.match(stale.facts[0].text, /LLM idle watchdog/);
            assert.ok(since <= P3_RUN_EXPIRY_MS + 15_000, `within the expiry (${since} ms after the last event)`);
            assert.ok(since >= P3_RUN_EXPIRY_MS - 1_000, `not before the expiry (${since} ms after the last event)`);
            assert.equal(await rowStatus(KEY, 'running'), 'running', 'the row still says running (2026.4.26)');
          }
          const ended2 = await ops.request<{ status: string; endedAt?: number }>('agent.wait', { runId, timeoutMs: 0 });
          console.log(`# agent.wait ${runId}: ${JSON.stringify(ended2)}`);
          // The gateway's own word: the run had ended when Lanewatch stopped calling it running.
          assert.notEqual(ended2.status, 'timeout', `the run still runs: ${JSON.stringify(ended2)}`);
          if (typeof ended2.endedAt === 'number')
            assert.ok(
              ended2.endedAt <= staleAt + 1_000,
              `ended at ${ended2.endedAt}, shown ${stale.state} at ${staleAt}`,
            );
        } finally {
          retry.dispose();
          endSub.dispose();
          await fake.setMode('echo', false);
        }
      },
    );
  },
);
