// The Cron jobs and Tasks nodes wired into the Gateways tree (plain Node, `vscode` is test/shims/vscode.ts) against a
// scripted gateway: they sit under a gateway that offers cron.list / tasks.list (none under one that does not), their
// rows say what needs attention without being opened, opening them lists the jobs and the owed results, and a job the
// gateway changes shows changed after its `cron` event, with no refresh asked for and no timer of Lanewatch's own.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CronJobView, TaskSummaryView } from '../../src/gateway/schedulerApi';
import type { FleetNode } from '../../src/vscode/fleetTree';
import { fleetTreeOn } from '../support/fleetTree';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const disposables: Array<{ dispose(): void }> = [];
const servers: ScriptedGateway[] = [];
after(async () => {
  for (const d of disposables) d.dispose();
  for (const s of servers) await s.close();
});

const BASE = ['agents.list', 'sessions.list'];
const SCHEDULER = ['cron.list', 'cron.status', 'cron.runs', 'tasks.list', 'tasks.get'];

async function treeOn(methods: string[], jobs: () => CronJobView[], tasks: () => TaskSummaryView[] = () => []) {
  const calls: string[] = [];
  const g = await ScriptedGateway.start({
    helloOverrides: { features: { methods, events: ['cron'] } },
    handleRequest: (method: string) => {
      calls.push(method);
      if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
      if (method === 'sessions.list')
        return {
          sessions: [{ key: 'agent:main:main', sessionId: 's1', updatedAt: Date.now(), status: 'done' }],
          hasMore: false,
          totalCount: 1,
        };
      if (method === 'cron.list') return { jobs: jobs(), total: jobs().length, hasMore: false };
      if (method === 'cron.status') return { enabled: true, jobs: jobs().length };
      if (method === 'tasks.list') return { tasks: tasks() };
      return {};
    },
  });
  servers.push(g);
  const { tree, watcher: w } = fleetTreeOn(g.url, disposables);
  const until = <T>(pick: () => T | undefined) => {
    const now = pick();
    return now !== undefined ? Promise.resolve(now) : waitFor((l) => tree.onDidChangeTreeData(l), pick, 10_000);
  };
  await until(() => (w.snapshot().state === 'connected' && w.session('agent:main:main') ? true : undefined));
  const gatewayNode = tree.getChildren()[0];
  const labelOf = (n: FleetNode) => String(tree.getTreeItem(n).label);
  const child = (parent: FleetNode, label: string) => tree.getChildren(parent).find((n) => labelOf(n) === label);
  return { g, tree, w, calls, gatewayNode, labelOf, child, until };
}

const job = (id: string, name: string, state: CronJobView['state'], enabled = true): CronJobView => ({
  id,
  name,
  enabled,
  schedule: { kind: 'every', everyMs: 60_000 },
  payload: { kind: 'agentTurn', timeoutSeconds: 30 },
  state,
});

describe('Gateways tree: Cron jobs and Tasks under a gateway', () => {
  it('lists them above the sessions, says what needs attention, and follows the gateway’s cron events', async () => {
    const now = Date.now();
    let jobs = [
      job('j1', 'nightly report', { nextRunAtMs: now + 600_000, lastRunStatus: 'ok' }),
      job('j2', 'inbox sweep', { nextRunAtMs: now - 300_000 }),
    ];
    const tasks: TaskSummaryView[] = [
      {
        id: 't1',
        status: 'completed',
        runtime: 'subagent',
        title: 'summarise the thread',
        sessionKey: 'agent:main:main',
        childSessionKey: 'agent:main:subagent:c1',
        deliveryStatus: 'failed',
        terminalOutcome: 'blocked',
        endedAt: now - 120_000,
      },
    ];
    const t = await treeOn(
      [...BASE, ...SCHEDULER],
      () => jobs,
      () => tasks,
    );
    const top = t.tree.getChildren(t.gatewayNode).map(t.labelOf);
    assert.deepEqual(
      top.filter((l) => l !== 'Lanes'),
      ['Cron jobs', 'Tasks', 'main'],
      `gateway children, the fixed nodes first: ${top.join(', ')}`,
    );

    // Shown, not opened: the root rows read the scheduler and say what needs attention.
    const cronRoot = t.child(t.gatewayNode, 'Cron jobs')!;
    const tasksRoot = t.child(t.gatewayNode, 'Tasks')!;
    const cronText = await t.until(() => {
      const d = String(t.tree.getTreeItem(cronRoot).description ?? '');
      return d.includes('jobs') ? d : undefined;
    });
    assert.match(cronText, /2 jobs · 1 needs attention/);
    assert.match(String(t.tree.getTreeItem(tasksRoot).description), /1 undelivered \(1 failed\)/);

    // Opened: the jobs, the overdue one flagged and offered Run Now / Disable (its context value).
    const rows = t.tree.getChildren(cronRoot).map((n) => t.tree.getTreeItem(n));
    const sweep = rows.find((r) => r.label === 'inbox sweep');
    assert.ok(sweep, `jobs: ${rows.map((r) => r.label).join(', ')}`);
    assert.match(String(sweep.description), /overdue/);
    assert.match(String(sweep.contextValue), /^cronJob\.enabled\.attention$/);
    const owed = t.tree.getChildren(tasksRoot).map(t.labelOf);
    assert.deepEqual(owed, ['agent:main:main'], 'the failed delivery is grouped under the session it is owed to');

    // The gateway disables the overdue job and says so with a `cron` event: the row follows, nothing else asked.
    const listsBefore = t.calls.filter((c) => c === 'cron.list').length;
    jobs = [jobs[0], job('j2', 'inbox sweep', {}, false)];
    t.g.broadcast({ type: 'event', event: 'cron', payload: { action: 'updated', jobId: 'j2' }, seq: 900 });
    const after = await t.until(() => {
      const r = t.tree
        .getChildren(cronRoot)
        .map((n) => t.tree.getTreeItem(n))
        .find((i) => i.label === 'inbox sweep');
      return r && /disabled/.test(String(r.contextValue)) ? r : undefined;
    });
    assert.match(String(after.contextValue), /^cronJob\.disabled$/);
    assert.match(String(t.tree.getTreeItem(cronRoot).description), /^2 jobs$/);
    assert.ok(t.calls.filter((c) => c === 'cron.list').length > listsBefore, 'read again after the event');
  });

  it('a gateway without the scheduler RPCs (2026.3/2026.4 have no tasks.list) gets no such node', async () => {
    const t = await treeOn([...BASE, 'cron.list', 'cron.status'], () => []);
    const top = t.tree.getChildren(t.gatewayNode).map(t.labelOf);
    assert.ok(top.includes('Cron jobs'), top.join(', '));
    assert.ok(!top.includes('Tasks'), `no task ledger on this version: ${top.join(', ')}`);
    const none = await treeOn(BASE, () => []);
    const plain = none.tree.getChildren(none.gatewayNode).map(none.labelOf);
    assert.ok(!plain.includes('Cron jobs') && !plain.includes('Tasks'), plain.join(', '));
    assert.ok(!none.calls.includes('cron.list'), 'nothing is read from a gateway that does not offer it');
  });
});
