// The "Cron jobs" and "Tasks" nodes under a gateway (issue 16 items 2–3), built from what the scheduler reader read:
// what each row says, the context values the menus key on (Run Now / Disable / Enable, Cancel / Retry), no Tasks node
// on a gateway without a ledger, bounded children, and gateway text never rendered as Markdown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronSnapshot } from '../../src/fleet/cronJobs';
import { taskLedgerModel } from '../../src/fleet/taskLedger';
import type { SchedulerState } from '../../src/fleet/schedulerRead';
import type { CronJobView, TaskSummaryView } from '../../src/gateway/schedulerApi';
import { parseLogLine } from '../../src/logs/logLine';
import {
  MAX_CHILDREN,
  schedulerChildren,
  schedulerRootNodes,
  schedulerTreeItem,
  type SchedulerNode,
} from '../../src/vscode/schedulerNodes';
import type { MarkdownString, ThemeIcon } from '../shims/vscode';

const NOW = 1_796_262_100_000;
const HOSTILE = '**bold** [link](command:lanewatch.reset) <img src=x>';

const job = (id: string, name: string, state: CronJobView['state'], enabled = true): CronJobView => ({
  id,
  name,
  enabled,
  schedule: { kind: 'every', everyMs: 60_000 },
  payload: { kind: 'agentTurn', timeoutSeconds: 30 },
  state,
});
const task = (id: string, over: Partial<TaskSummaryView>): TaskSummaryView => ({
  id,
  status: 'completed',
  runtime: 'subagent',
  title: `child ${id}`,
  childSessionKey: `agent:main:subagent:${id}`,
  endedAt: NOW - 120_000,
  ...over,
});

function state(): SchedulerState {
  return {
    readAtMs: NOW,
    cron: cronSnapshot(
      [
        job('ok', 'nightly', { nextRunAtMs: NOW + 600_000, lastRunStatus: 'ok' }),
        job('late', HOSTILE, { nextRunAtMs: NOW - 300_000, runningAtMs: NOW - 310_000 }),
        job('off', 'paused', {}, false),
      ],
      NOW,
    ),
    tasks: taskLedgerModel(
      [
        task('t1', { sessionKey: 'agent:main:main', deliveryStatus: 'failed', terminalOutcome: 'blocked' }),
        task('t2', { sessionKey: 'agent:main:main', deliveryStatus: 'pending' }),
        task('t3', { sessionKey: 'agent:main:dm', deliveryStatus: 'pending', status: 'running' }),
      ],
      NOW,
      {
        logLines: [
          parseLogLine(
            'Subagent announce give up (retry-limit) run=r9 child=agent:main:subagent:zz requester=agent:main:gone retries=3 endedAgo=60s',
          ),
        ],
      },
    ),
  };
}
const children = (n: SchedulerNode, s = state()) => schedulerChildren(n, s);
const item = (n: SchedulerNode, s = state()) => schedulerTreeItem(n, s, NOW);

describe('scheduler nodes under a gateway', () => {
  it('Cron jobs and Tasks roots only where the gateway offers them', () => {
    assert.deepEqual(
      schedulerRootNodes('gw', () => true).map((n) => n.kind),
      ['cron-root', 'tasks-root'],
    );
    assert.deepEqual(
      schedulerRootNodes('old', (m) => m.startsWith('cron.')).map((n) => n.kind),
      ['cron-root'],
      '2026.3/2026.4: no task ledger, no Tasks node',
    );
  });

  it('cron jobs: the one needing attention first, with what is wrong; menus keyed on enabled/disabled', () => {
    const [root] = schedulerRootNodes('gw', () => true);
    assert.equal(item(root).description, '3 jobs · 1 needs attention');
    const jobs = children(root).map((n) => item(n));
    assert.deepEqual(
      jobs.map((j) => [j.label, j.description, j.contextValue]),
      [
        [HOSTILE, 'running too long, overdue', 'cronJob.enabled.attention'],
        ['nightly', 'every 1m00s · next in 10m · last ok', 'cronJob.enabled'],
        ['paused', 'disabled · every 1m00s', 'cronJob.disabled'],
      ],
    );
    assert.deepEqual(
      jobs[0].command?.arguments,
      [{ gateway: 'gw', key: 'agent:main:cron:late' }],
      'a click shows the job’s session row',
    );
    assert.equal(jobs[0].command?.command, 'lanewatch.revealSession');
    const tip = (jobs[0].tooltip as MarkdownString).value;
    assert.ok(!tip.includes('**bold**'), `the job's name is escaped in the tooltip: ${tip}`);
    assert.match(tip, /marked running for 5m10s .* longer than its timeout \\\(30s\\\) allows/);
    assert.match(tip, /next run was due 5m00s ago/);
    assert.equal((jobs[0].iconPath as ThemeIcon).id, 'warning');
  });

  it('tasks: undelivered results grouped by the session they are owed to, failed first; give-ups without a task shown', () => {
    const root = schedulerRootNodes('gw', () => true)[1];
    assert.equal(item(root).description, '3 undelivered (1 failed) · 1 active');
    const top = children(root);
    assert.deepEqual(
      top.map((n) => [item(n).label, item(n).description]),
      [
        ['agent:main:main', '2 undelivered (1 failed), oldest 2m'],
        ['agent:main:dm', '1 undelivered, oldest 2m'],
        ['Announce gave up', 'agent:main:subagent:zz → agent:main:gone'],
      ],
    );
    assert.equal(typeof item(top[2]).tooltip, 'string', 'a log line is plain text, never Markdown');
    const inMain = children(top[0]).map((n) => item(n));
    assert.deepEqual(
      inMain.map((t) => [t.label, t.description, t.contextValue]),
      [
        ['child t1', 'failed · 2m', 'task.deliveryFailed'],
        ['child t2', 'pending · 2m', 'task.deliveryPending'],
      ],
    );
    const inDm = children(top[1]).map((n) => item(n));
    assert.equal(inDm[0].contextValue, 'task.deliveryPending.active', 'a running task can be cancelled');
  });

  it('not read yet, not readable, and many jobs: said, and bounded', () => {
    const [root] = schedulerRootNodes('gw', () => true);
    assert.equal(item(schedulerChildren(root, undefined)[0]).label, 'Reading the scheduler…');
    const failed: SchedulerState = { readAtMs: NOW, cronProblem: { unsupported: false, text: 'cron.list: timeout' } };
    const n = children(root, failed)[0];
    assert.deepEqual(
      [item(n, failed).label, item(n, failed).description],
      ['Could not read the scheduler', 'cron.list: timeout'],
    );
    const many: SchedulerState = {
      readAtMs: NOW,
      cron: cronSnapshot(
        Array.from({ length: MAX_CHILDREN + 5 }, (_, i) => job(`j${i}`, `job ${i}`, { nextRunAtMs: NOW + 1_000 })),
        NOW,
      ),
    };
    const kids = children(root, many);
    assert.equal(kids.length, MAX_CHILDREN + 1);
    assert.equal(item(kids.at(-1)!, many).label, '… 5 more');
  });
});
