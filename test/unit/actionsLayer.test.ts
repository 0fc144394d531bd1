// One actions layer (issue 13, item 4): the extension's commands, its watchdog and the CLI open their connections
// through one factory that honours the request timeout and logs through the host's logger, run the same plans, and
// report an outcome kind that each host words for itself. Against scripted gateways.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { main } from '../../src/cli/main';
import { exitCode, EXIT } from '../../src/cli/actionCommands';
import { cliNextStep } from '../../src/cli/cliAdvice';
import { MemoryDeviceIdentityStore, type LogLevel } from '../../src/gateway';
import { AuditTrail } from '../../src/actions/auditTrail';
import { OperatorConnections, type OperatorFleet } from '../../src/actions/operatorConnection';
import { OUTCOME_CLASS, type OutcomeKind } from '../../src/actions/actionReport';
import {
  planSessionAction,
  runSessionAction,
  watchdogRecovery,
  type ActionHost,
} from '../../src/actions/sessionActions';
import { planRestart, restartRoute, runRestart } from '../../src/actions/restartAction';
import type { GatewayConfig } from '../../src/config/gatewaySettings';
import type { GatewayWatcher } from '../../src/fleet/gatewayWatcher';
import { ScriptedGateway } from '../support/scriptedGateway';

const servers: ScriptedGateway[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

const HUNG = 'agent:main:hung',
  IDLE = 'agent:main:idle';
const ROWS = [
  { key: HUNG, sessionId: 's1', status: 'running', hasActiveRun: true, activeRunIds: ['r1'], updatedAt: Date.now() },
  { key: IDLE, sessionId: 's2', status: 'done', hasActiveRun: false, updatedAt: Date.now() },
];
const METHODS = [
  'agents.list',
  'sessions.subscribe',
  'sessions.list',
  'logs.tail',
  'chat.history',
  'sessions.abort',
  'sessions.reset',
  'chat.send',
  'chat.abort',
  'gateway.restart.preflight',
  'gateway.restart.request',
];

interface Script {
  /** Methods the gateway never answers (a stalled gateway: 2026.4.x can stall its event loop for 55 s). */
  silent?: string[];
  /** chat.send is accepted, no reply ever comes, and another run holds the lane. */
  laneHeld?: boolean;
}

/** A 2026.9-like gateway with all scopes; `calls` records every method with the scopes of its connection. */
async function gateway(script: Script = {}) {
  const calls: Array<{ method: string; scopes: string[] }> = [];
  const rows = ROWS.map((r) => ({ ...r }));
  const g = await ScriptedGateway.start({
    helloOverrides: {
      features: { methods: METHODS, events: ['sessions.changed', 'chat', 'agent'] },
      auth: { role: 'operator', scopes: ['operator.read', 'operator.write', 'operator.admin'] },
    },
    onConnection: (ws: WebSocket, gw) => {
      let scopes: string[] = [];
      ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }));
      ws.on('message', (raw) => {
        const frame = JSON.parse(String(raw));
        if (frame.method === 'connect') {
          gw.connectParams.push(frame.params);
          scopes = frame.params?.scopes ?? [];
          ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: gw.hello() }));
          return;
        }
        calls.push({ method: frame.method, scopes });
        if (script.silent?.includes(frame.method)) return;
        const p = frame.params ?? {};
        const answer = ((): unknown => {
          switch (frame.method) {
            case 'agents.list':
              return { defaultId: 'main', agents: [{ id: 'main' }] };
            case 'sessions.subscribe':
              return { subscribed: true };
            case 'sessions.list': {
              const found = p.search ? rows.filter((r) => r.key.includes(p.search)) : rows;
              return { sessions: found, hasMore: false };
            }
            case 'logs.tail':
              return { file: '/tmp/x.log', cursor: 1, lines: [] };
            case 'chat.history':
              return {
                sessionKey: p.sessionKey,
                messages: [],
                pendingInputs: { items: [], total: 0 },
                ...(script.laneHeld && p.sessionKey === HUNG ? { inFlightRun: { runId: 'r1', startedAt: 1 } } : {}),
              };
            case 'sessions.abort':
              return { ok: true, status: 'no-active-run' };
            case 'chat.send':
              return { runId: 'probe-run', status: 'started' };
            case 'gateway.restart.preflight':
              return { safe: false, blockers: [{ kind: 'embedded-run', count: 1 }], summary: 'restart deferred' };
            case 'gateway.restart.request':
              return { ok: false, status: 'refused' };
            default:
              return {};
          }
        })();
        ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: answer }));
      });
    },
  });
  servers.push(g);
  return { g, calls, config: { name: 'gw', url: g.url, source: 'settings' } as GatewayConfig };
}

/** The factory as a host builds it: the request timeout it reads, the logger it passes. */
function factory(requestTimeoutMs: number) {
  const lines: Array<[LogLevel, string]> = [];
  const fleet: OperatorFleet = {
    credentialsFor: async () => ({ token: 't' }),
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    connectionSecurity: () => ({}),
  };
  const conns = new OperatorConnections(fleet, {
    requestTimeoutMs: () => requestTimeoutMs,
    connectTimeoutMs: () => 5_000,
    log: (level, m) => lines.push([level, m]),
  });
  return { conns, lines, text: () => lines.map(([l, m]) => `[${l}] ${m}`).join('\n') };
}

const yes: ActionHost = {
  confirm: async () => true,
  progress: (_t, work) => work(undefined, () => undefined),
  note: () => {},
};
const audit = () => new AuditTrail(() => undefined);

/** An isolated environment for the CLI: own device keys, no gateway or config from this machine. */
const cliEnv = () => ({
  LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-actions-')),
  OPENCLAW_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-actions-oc-')),
  OPENCLAW_GATEWAY_URL: undefined,
  OPENCLAW_GATEWAY_TOKEN: undefined,
  OPENCLAW_CONFIG_PATH: undefined,
});

async function cli(args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const env = cliEnv();
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const t0 = Date.now();
  try {
    const code = await main(args, {
      out: (s) => {
        out.push(s);
      },
      err: (s) => {
        err.push(s);
      },
      isTTY: false,
    });
    return { code, out: out.join(''), err: err.join(''), ms: Date.now() - t0 };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('the one operator connection factory honours the request timeout', { timeout: 20_000 }, () => {
  it('abort: a gateway that never answers the call fails after the configured time, saying so', async () => {
    const { config } = await gateway({ silent: ['sessions.abort'] });
    const f = factory(1_000);
    const t0 = Date.now();
    const report = await runSessionAction(
      { conns: f.conns, config, audit: audit(), settleTimeoutMs: 200 },
      planSessionAction('abort', 'gw', HUNG),
      yes,
    );
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
    assert.equal(report.kind, 'failed');
    assert.match(report.summary, /sessions\.abort: no answer within 1\.0 s/);
  });

  it('test send: chat.send that is never answered fails after the configured time, not after 60 s', async () => {
    const { config } = await gateway({ silent: ['chat.send'] });
    const f = factory(1_000);
    const t0 = Date.now();
    const report = await runSessionAction(
      { conns: f.conns, config, audit: audit(), replyTimeoutMs: 5_000 },
      planSessionAction('test-send', 'gw', IDLE),
      yes,
    );
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
    assert.equal(report.kind, 'failed');
    assert.match(report.summary, /the message was not accepted: chat\.send: no answer within 1\.0 s/);
  });

  it("the watchdog's recovery: a gateway that never answers the read-back fails after the configured time", async () => {
    const { config } = await gateway({ silent: ['sessions.list'] });
    const f = factory(1_000);
    const w = { config, name: 'gw', evidenceSource: () => undefined } as unknown as GatewayWatcher;
    const t0 = Date.now();
    await assert.rejects(watchdogRecovery(f.conns, audit())(w, HUNG), /sessions\.list: no answer within 1\.0 s/);
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
  });

  it('lanewatch --request-timeout-seconds: a stalled call fails after it, with advice naming the option', async () => {
    const { g } = await gateway({ silent: ['sessions.abort'] });
    const r = await cli([
      'abort',
      HUNG,
      '--yes',
      '--gateway',
      g.url,
      '--request-timeout-seconds',
      '1',
      '--wait-ms',
      '3000',
    ]);
    assert.equal(r.code, EXIT.failed, r.err);
    assert.ok(r.ms < 8_000, `took ${r.ms} ms`);
    assert.match(r.out, /sessions\.abort .*→ failed \(sessions\.abort: no answer within 1\.0 s/);
    const stalled = await gateway({ silent: ['agents.list'] });
    const s = await cli(['abort', 'idle', '--yes', '--gateway', stalled.g.url, '--request-timeout-seconds', '1']);
    assert.equal(s.code, EXIT.failed, s.err);
    assert.match(
      s.err,
      /did not answer agents\.list: no answer within 1\.0 s .*allow longer with --request-timeout-seconds N/,
    );
    const send = await gateway({ silent: ['chat.send'] });
    const t = await cli(['send', IDLE, '--message', 'hi', '--gateway', send.g.url, '--request-timeout-seconds', '1']);
    assert.equal(t.code, EXIT.failed, t.err);
    assert.ok(t.ms < 8_000, `took ${t.ms} ms`);
    assert.match(t.out, /the message was not accepted: chat\.send: no answer within 1\.0 s/);
  });
});

describe('the factory logs through the host logger', { timeout: 20_000 }, () => {
  it('every action connection (recover, test send) says what it is for, where it connects and with what limits', async () => {
    const { config } = await gateway();
    const f = factory(2_000);
    await runSessionAction(
      { conns: f.conns, config, audit: audit(), settleTimeoutMs: 200 },
      planSessionAction('recover', 'gw', IDLE),
      yes,
    );
    await runSessionAction(
      { conns: f.conns, config, audit: audit(), replyTimeoutMs: 300 },
      planSessionAction('test-send', 'gw', IDLE),
      yes,
    );
    const log = f.text();
    assert.match(
      log,
      /\[info\] \[gw\] recover agent:main:idle: connecting to ws:\/\/127\.0\.0\.1:\d+ with operator\.read, operator\.write, operator\.admin \(connect within 5 s, requests within 2 s\)/,
    );
    assert.match(
      log,
      /\[info\] \[gw\] recover agent:main:idle: connected to ws:\/\/127\.0\.0\.1:\d+: openclaw 2026\.9\.6-test/,
    );
    assert.match(log, /\[info\] \[gw\] test-send agent:main:idle: connected to ws:\/\/127\.0\.0\.1:\d+/);
  });

  it('lanewatch --verbose: the send connection logs too, not only the one that resolves the key', async () => {
    const { g } = await gateway();
    const r = await cli([
      'send',
      IDLE,
      '--message',
      'hi',
      '--gateway',
      g.url,
      '--reply-timeout-seconds',
      '1',
      '--verbose',
    ]);
    assert.match(r.err, /\[info\] \[command\] \[127\.0\.0\.1:\d+\] send agent:main:idle: connected to ws:\/\//);
  });
});

describe('restart: one plan for both hosts', { timeout: 20_000 }, () => {
  it('picks the route from what the watcher knows', () => {
    const hello = (methods: string[]) => ({ methods: new Set(methods) }) as never;
    const rpc = hello(['gateway.restart.request']);
    assert.equal(restartRoute({ state: 'connected', hello: rpc }, false), 'rpc');
    assert.equal(restartRoute({ state: 'connected', hello: rpc }, true), 'local', '--stop');
    assert.equal(restartRoute({ state: 'connected', hello: hello(['sessions.list']) }, false), 'local', 'protocol 3');
    assert.equal(
      restartRoute({ state: 'disconnected', hello: rpc, problem: { kind: 'unreachable' } as never }, false),
      'local',
      'the RPC does not answer',
    );
    assert.equal(restartRoute({ state: 'connecting' }, false), 'rpc', 'still connecting: the action waits for it');
    assert.equal(restartRoute(undefined, false), 'rpc');
  });

  it('"now" without the lock file aborts the active runs first, so its connection asks for write scope', async () => {
    const { config, calls } = await gateway();
    const f = factory(2_000);
    const env = { conns: f.conns, config, audit: audit() };
    const plan = await planRestart(env);
    assert.equal(plan.kind, 'rpc');
    if (plan.kind !== 'rpc') return;
    assert.equal(plan.target, undefined, 'no lock file of this scripted gateway');
    const report = await runRestart(env, plan, { mode: 'now' }, yes);
    assert.equal(report.kind, 'not-restarted');
    const abort = calls.find((c) => c.method === 'sessions.abort');
    assert.ok(abort, `the active run is aborted first: ${calls.map((c) => c.method).join(', ')}`);
    assert.ok(abort.scopes.includes('operator.write'), `scopes: ${abort.scopes.join(', ')}`);
    assert.equal(calls.find((c) => c.method === 'gateway.restart.preflight')?.scopes.includes('operator.write'), false);
  });

  it('lanewatch restart --now: the same (it used to ask for read + admin only, and the abort was refused)', async () => {
    const { g, calls } = await gateway();
    const r = await cli(['restart', '--now', '--yes', '--gateway', g.url, '--wait-ms', '3000']);
    assert.equal(r.code, EXIT.failed, r.err); // the scripted gateway refuses the restart itself
    assert.match(r.out, /the gateway refused the restart/);
    const abort = calls.find((c) => c.method === 'sessions.abort');
    assert.ok(abort?.scopes.includes('operator.write'), JSON.stringify(calls));
  });
});

describe('advice keyed by the kind of outcome', { timeout: 20_000 }, () => {
  const VSCODE = /Set Gateway Token|Recover Session…|Restart Gateway…|"Restart Now"|in settings|Lanewatch reconnects/;

  it('the CLI words each kind as its own commands', () => {
    const ctx = { url: 'ws://h:1' };
    assert.match(cliNextStep({ kind: 'needs-restart', action: 'abort' }, ctx)!, /lanewatch restart --stop/);
    assert.match(
      cliNextStep({ kind: 'lane-held', action: 'send', sessionKey: HUNG }, ctx)!,
      /lanewatch recover agent:main:hung --yes/,
    );
    assert.match(cliNextStep({ kind: 'still-draining', action: 'restart' }, ctx)!, /lanewatch restart --now/);
    assert.equal(cliNextStep({ kind: 'freed', action: 'recover' }, ctx), undefined);
    for (const kind of Object.keys(OUTCOME_CLASS) as OutcomeKind[])
      assert.doesNotMatch(cliNextStep({ kind, action: 'recover', sessionKey: HUNG }, ctx) ?? '', VSCODE, kind);
  });

  it('a send whose lane is held: the next step on the terminal, and no VS Code command in the JSON either', async () => {
    const { g } = await gateway({ laneHeld: true });
    // The model's own report (what --json prints) is worded for neither face: it used to say 'run "Recover Session…"'.
    const json = await cli([
      'send',
      HUNG,
      '--json',
      '--message',
      'hi',
      '--gateway',
      g.url,
      '--reply-timeout-seconds',
      '1',
    ]);
    assert.equal(JSON.parse(json.out).failure, 'lane-held');
    assert.doesNotMatch(json.out, VSCODE);
    const text = await cli(['send', HUNG, '--message', 'hi', '--gateway', g.url, '--reply-timeout-seconds', '1']);
    assert.equal(text.code, EXIT.ineffective, text.err);
    assert.match(
      text.out,
      /^lane-held: accepted, but no reply within 1 s because the session's lane is held by run r1/,
    );
    assert.match(text.out, /^next: free the lane: lanewatch recover agent:main:hung --yes$/m);
  });

  it('exit codes follow the outcome class, as the CLI has always numbered them', () => {
    const expected: Record<OutcomeKind, number> = {
      freed: 0,
      reset: 0,
      'nothing-to-do': 0,
      'reply-received': 0,
      restarted: 0,
      stopped: 0,
      'no-change': 3,
      ineffective: 3,
      'needs-restart': 3,
      unverified: 3,
      'lane-held': 3,
      'no-reply': 3,
      refused: 4,
      'unknown-session': 4,
      declined: 4,
      cancelled: 4,
      failed: 1,
      'not-restarted': 1,
      'still-draining': 1,
      'not-possible-here': 1,
    };
    for (const [kind, code] of Object.entries(expected)) assert.equal(exitCode(kind as OutcomeKind), code, kind);
  });
});
