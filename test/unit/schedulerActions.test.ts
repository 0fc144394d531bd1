// Cron Run Now / Disable / Enable and task Cancel / Retry (issue 16 items 2–3) against scripted gateways: reported done
// only when the scheduler or the ledger reads back so — a gateway that answers "cancelled" while its ledger still says
// running, "ok" to a retry whose delivery stays failed, or `ok: true, ran: false` to a Run Now (2026.3.24, a job
// already running) is reported as not done. Also: the reader reads on demand only, and joins a read in flight.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { GatewayConnection, MemoryDeviceIdentityStore } from '../../src/gateway';
import { SchedulerApi } from '../../src/gateway/schedulerApi';
import { AuditTrail } from '../../src/actions/auditTrail';
import { OperatorConnections } from '../../src/actions/operatorConnection';
import type { ActionHost } from '../../src/actions/sessionActions';
import {
  planSchedulerAction,
  runSchedulerAction,
  schedulerOutcomeClass,
  type SchedulerActionName,
} from '../../src/actions/schedulerActions';
import { SchedulerReader } from '../../src/fleet/schedulerRead';
import { describeCron } from '../../src/report/schedulerReport';
import type { GatewayConfig } from '../../src/config/gatewaySettings';
import { ScriptedGateway } from '../support/scriptedGateway';

const servers: ScriptedGateway[] = [];
const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanup) await c();
  for (const s of servers) await s.close();
});

const JOB = 'job-1';
const TASK = 'task-1';

interface World {
  job: any;
  runs: any[];
  task: any;
  /** What each method does to the world and answers. */
  on: Record<string, (p: any) => unknown>;
  calls: string[];
}

function world(): World {
  const w: World = {
    job: {
      id: JOB,
      name: 'nightly report',
      enabled: true,
      schedule: { kind: 'every', everyMs: 3_600_000 },
      payload: { kind: 'agentTurn', message: 'x', timeoutSeconds: 60 },
      state: { nextRunAtMs: Date.now() + 3_600_000 },
    },
    runs: [],
    task: {
      id: TASK,
      status: 'running',
      title: 'research child',
      sessionKey: 'agent:main:main',
      deliveryStatus: 'pending',
    },
    calls: [],
    on: {},
  };
  return w;
}

async function gatewayFor(w: World, methods?: string[]) {
  const g = await ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: methods ?? [
          'sessions.subscribe',
          'cron.list',
          'cron.runs',
          'cron.run',
          'cron.update',
          'tasks.list',
          'tasks.get',
          'tasks.cancel',
          'tasks.retry',
        ],
        events: [],
      },
      auth: { role: 'operator', scopes: ['operator.read', 'operator.write', 'operator.admin'] },
    },
    onConnection: (ws: WebSocket, gw) => {
      ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }));
      ws.on('message', (raw) => {
        const f = JSON.parse(String(raw));
        if (f.method === 'connect') {
          ws.send(JSON.stringify({ type: 'res', id: f.id, ok: true, payload: gw.hello() }));
          return;
        }
        w.calls.push(f.method);
        const p = f.params ?? {};
        const reply = (payload: unknown) => ws.send(JSON.stringify({ type: 'res', id: f.id, ok: true, payload }));
        const custom = w.on[f.method];
        if (custom) return reply(custom(p));
        switch (f.method) {
          case 'sessions.subscribe':
            return reply({ subscribed: true });
          case 'cron.list':
            return reply({ jobs: [structuredClone(w.job)], total: 1, hasMore: false, nextOffset: null });
          case 'cron.runs':
            return reply({ entries: w.runs.filter((r) => !p.runId || r.runId === p.runId) });
          case 'tasks.list':
            return reply({ tasks: [structuredClone(w.task)] });
          case 'tasks.get':
            if (p.taskId !== w.task.id)
              return ws.send(
                JSON.stringify({
                  type: 'res',
                  id: f.id,
                  ok: false,
                  error: { code: 'INVALID_REQUEST', message: `task not found: ${p.taskId}` },
                }),
              );
            return reply({ task: structuredClone(w.task) });
          default:
            return reply({});
        }
      });
    },
  });
  servers.push(g);
  return { name: 'gw', url: g.url, source: 'settings' } as GatewayConfig;
}

function env(config: GatewayConfig, audit = new AuditTrail(() => undefined)) {
  const conns = new OperatorConnections(
    {
      credentialsFor: async () => ({ token: 't' }),
      identityStore: new MemoryDeviceIdentityStore(),
      clientVersion: 'test',
      connectionSecurity: () => ({}),
    },
    { requestTimeoutMs: () => 5_000, connectTimeoutMs: () => 5_000, log: () => {} },
  );
  return { conns, config, audit, settleTimeoutMs: 1_500 };
}

const asked: string[] = [];
const yes: ActionHost = {
  confirm: async (q) => {
    asked.push(q.message);
    return true;
  },
  progress: (_t, work) => work(undefined, () => undefined),
  note: () => {},
};
const no: ActionHost = { ...yes, confirm: async () => false };

async function act(w: World, action: SchedulerActionName, target: string, host = yes) {
  const config = await gatewayFor(w);
  const audit = new AuditTrail(() => undefined);
  const r = await runSchedulerAction(env(config, audit), planSchedulerAction(action, 'gw', target), host);
  return { r, audit };
}

describe('cron Run Now: done when the run shows in the scheduler', { timeout: 20_000 }, () => {
  it('an enqueued run whose history entry appears is reported ran, with its outcome and the next run', async () => {
    const w = world();
    w.on['cron.run'] = () => {
      // The scheduler records the run a moment later (the history entry appears on a later read).
      setTimeout(() => {
        w.runs.push({
          ts: Date.now(),
          jobId: JOB,
          action: 'finished',
          status: 'ok',
          runId: 'manual:1',
          durationMs: 2_800,
        });
        w.job.state.lastRunAtMs = Date.now();
      }, 300);
      return { ok: true, enqueued: true, runId: 'manual:1' };
    };
    const { r, audit } = await act(w, 'cron-run-now', JOB);
    assert.equal(r.kind, 'ran');
    assert.equal(schedulerOutcomeClass(r), 'ok');
    assert.match(r.summary, /^Ran nightly report: the run finished ok in 2s; next run \d{4}-/);
    assert.equal(audit.entries.at(-1)!.call, 'cron.run');
    assert.equal(audit.entries.at(-1)!.outcome, 'ran');
  });

  it('`ok: true, ran: false` (a job already running, 2026.3.24) is not reported as a run', async () => {
    const w = world();
    w.job.state.runningAtMs = Date.now() - 30_000;
    w.on['cron.run'] = () => ({ ok: true, ran: false, reason: 'already-running' });
    const { r } = await act(w, 'cron-run-now', JOB);
    assert.equal(r.kind, 'no-change');
    assert.equal(schedulerOutcomeClass(r), 'ineffective');
    assert.match(
      r.summary,
      /did not start nightly report: a run of it is already going \(since .*\)\. Nothing was run\./,
    );
  });

  it('an accepted run that never shows is unverified, not done', async () => {
    const w = world();
    w.on['cron.run'] = () => ({ ok: true, enqueued: true, runId: 'manual:ghost' });
    const { r } = await act(w, 'cron-run-now', JOB);
    assert.equal(r.kind, 'unverified');
    assert.match(
      r.summary,
      /accepted a run of nightly report \(manual:ghost\), but neither its run history nor the job showed it/,
    );
  });

  it('declined: nothing is called', async () => {
    const w = world();
    const { r } = await act(w, 'cron-run-now', JOB, no);
    assert.equal(r.kind, 'declined');
    assert.deepEqual(w.calls, []);
  });
});

describe('cron Disable / Enable: done when the job reads back so', { timeout: 20_000 }, () => {
  it('disabled: the job reads back disabled with no next run', async () => {
    const w = world();
    w.on['cron.update'] = (p) => {
      w.job.enabled = p.patch.enabled;
      delete w.job.state.nextRunAtMs;
      return structuredClone(w.job);
    };
    const { r } = await act(w, 'cron-disable', JOB);
    assert.equal(r.kind, 'disabled');
    assert.equal(r.summary, 'Disabled nightly report: it has no next run.');
    assert.ok(asked.includes(`Disable ${JOB} on gw?`), 'asked first (the tree passes the job name as the label)');
  });

  it('an answer that says disabled while the job reads back enabled is no change', async () => {
    const w = world();
    w.on['cron.update'] = () => ({ ...structuredClone(w.job), enabled: false });
    const { r } = await act(w, 'cron-disable', JOB);
    assert.equal(r.kind, 'no-change');
    assert.match(r.summary, /reads back enabled: it was not disabled/);
  });

  it('enabled: the job reads back enabled with its next run; one without a next run is unverified', async () => {
    const w = world();
    w.job.enabled = false;
    delete w.job.state.nextRunAtMs;
    w.on['cron.update'] = (p) => {
      w.job.enabled = p.patch.enabled;
      w.job.state.nextRunAtMs = Date.now() + 60_000;
      return structuredClone(w.job);
    };
    assert.equal((await act(w, 'cron-enable', JOB)).r.kind, 'enabled');
    const w2 = world();
    w2.job.enabled = false;
    delete w2.job.state.nextRunAtMs;
    w2.on['cron.update'] = (p) => {
      w2.job.enabled = p.patch.enabled;
      return structuredClone(w2.job);
    };
    const { r } = await act(w2, 'cron-enable', JOB);
    assert.equal(r.kind, 'unverified');
    assert.match(r.summary, /shows no next run for every 1h00m/);
  });

  it('an unknown job id is refused with nothing done', async () => {
    const w = world();
    const { r } = await act(w, 'cron-disable', 'nope');
    assert.equal(r.kind, 'unknown-target');
    assert.ok(!w.calls.includes('cron.update'));
  });
});

describe('task Cancel / Retry: done when the ledger reads back so', { timeout: 20_000 }, () => {
  it('cancel: "cancelled" while tasks.get still says running is reported not cancelled', async () => {
    const w = world();
    w.on['tasks.cancel'] = () => ({ found: true, cancelled: true });
    const { r } = await act(w, 'task-cancel', TASK);
    assert.equal(r.kind, 'no-change');
    assert.match(r.summary, /said it cancelled research child, but the ledger still reads running after 1s/);
  });

  it('cancel: the ledger reading cancelled is reported cancelled', async () => {
    const w = world();
    w.on['tasks.cancel'] = () => {
      w.task.status = 'cancelled';
      return { found: true, cancelled: true };
    };
    const { r } = await act(w, 'task-cancel', TASK);
    assert.equal(r.kind, 'cancelled');
    assert.equal(r.summary, 'Cancelled research child.');
  });

  it('cancel: the gateway’s refusal is said with its reason', async () => {
    const w = world();
    w.on['tasks.cancel'] = () => ({
      found: true,
      cancelled: false,
      reason: 'Native harness subagents are observation-only.',
    });
    const { r } = await act(w, 'task-cancel', TASK);
    assert.equal(r.kind, 'refused');
    assert.match(r.summary, /did not cancel research child: Native harness subagents are observation-only\./);
  });

  it('retry: ok while the delivery still reads failed is reported not retried', async () => {
    const w = world();
    Object.assign(w.task, { status: 'completed', deliveryStatus: 'failed', terminalOutcome: 'blocked' });
    w.on['tasks.retry'] = () => ({ results: [{ taskId: TASK, ok: true }] });
    const { r } = await act(w, 'task-retry', TASK);
    assert.equal(r.kind, 'no-change');
    assert.match(r.summary, /accepted the retry of research child, but the ledger still reads its delivery failed/);
  });

  it('retry: the delivery leaving failed is reported retried; a refusal is said with its reason', async () => {
    const w = world();
    Object.assign(w.task, { status: 'completed', deliveryStatus: 'failed', terminalOutcome: 'blocked' });
    w.on['tasks.retry'] = () => {
      Object.assign(w.task, { deliveryStatus: 'pending', terminalOutcome: undefined });
      return { results: [{ taskId: TASK, ok: true, duplicateRisk: true }] };
    };
    const { r } = await act(w, 'task-retry', TASK);
    assert.equal(r.kind, 'retried');
    assert.match(r.summary, /now reads it pending \(the result may show twice/);
    const w2 = world();
    w2.on['tasks.retry'] = () => ({
      results: [{ taskId: TASK, ok: false, reason: 'task has no recoverable subagent completion' }],
    });
    const { r: r2 } = await act(w2, 'task-retry', TASK);
    assert.equal(r2.kind, 'refused');
    assert.match(r2.summary, /task has no recoverable subagent completion/);
  });

  it('an unknown task id is refused with nothing done', async () => {
    const w = world();
    const { r } = await act(w, 'task-cancel', 'nope');
    assert.equal(r.kind, 'unknown-target');
    assert.ok(!w.calls.includes('tasks.cancel'));
  });
});

describe('the scheduler reader: on demand, bounded, joins a read in flight', { timeout: 20_000 }, () => {
  async function connected(methods: string[], w: World) {
    const config = await gatewayFor(w, methods);
    const c = new GatewayConnection({
      url: config.url,
      credentials: () => ({ token: 't' }),
      scopes: ['operator.read'],
      identityStore: new MemoryDeviceIdentityStore(),
      clientVersion: 'test',
      requestTimeoutMs: 5_000,
    });
    cleanup.push(() => c.dispose());
    c.start();
    await c.waitForConnected(5_000);
    return new SchedulerApi(c);
  }

  it('reads nothing until asked; two asks at once are one read; a fresh read is reused', async () => {
    const w = world();
    w.task.deliveryStatus = 'failed';
    const api = await connected(['cron.list', 'tasks.list'], w);
    let t = 1_000_000;
    const reader = new SchedulerReader({ api: () => api, now: () => t, minIntervalMs: 5_000 });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(w.calls, [], 'connected, nothing shown: nothing read');
    const [a, b] = await Promise.all([reader.read(), reader.read()]);
    assert.equal(a, b);
    assert.equal(reader.reads, 1);
    assert.deepEqual(w.calls.sort(), ['cron.list', 'tasks.list']);
    assert.equal(a!.cron!.jobs[0].name, 'nightly report');
    assert.equal(a!.tasks!.groups[0].failed, 1);
    t += 1_000;
    await reader.read();
    assert.equal(reader.reads, 1, 'reused within the interval');
    t += 5_000;
    await reader.read();
    assert.equal(reader.reads, 2);
  });

  it('a gateway whose whole scheduler is off says so (cron.status enabled: false)', async () => {
    const w = world();
    w.on['cron.status'] = () => ({ enabled: false, jobs: 1, nextWakeAtMs: null });
    const api = await connected(['cron.list', 'cron.status'], w);
    const s = await new SchedulerReader({ api: () => api }).read();
    assert.equal(s!.cron!.schedulerEnabled, false);
    assert.match(
      describeCron(s!.cron, undefined).lines[0],
      /^cron: 1 job \(the scheduler is off on this gateway: no job fires until it is turned on\)$/,
    );
  });

  it('a gateway without tasks.* (2026.3/2026.4) has its cron read and its ledger said unsupported', async () => {
    const w = world();
    const api = await connected(['cron.list'], w);
    const s = await new SchedulerReader({ api: () => api }).read();
    assert.equal(s!.cron!.jobs.length, 1);
    assert.equal(s!.tasksProblem!.unsupported, true);
    assert.ok(!w.calls.includes('tasks.list'), 'not asked of a gateway that does not offer it');
  });
});
