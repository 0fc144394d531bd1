// The task ledger as an operator reads it (issue 16 item 2): results owed to a session, grouped by it, with their age;
// tasks stuck past the gateway's own audit bounds; the gateway's "Subagent announce give up" lines linked to both
// sessions. Task summaries are shaped as 2026.9.6's tasks.list sends them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskSummaryView } from '../../src/gateway/schedulerApi';
import { parseLogLine } from '../../src/logs/logLine';
import { STALE_RUNNING_MS, taskLedgerModel } from '../../src/fleet/taskLedger';
import { describeTasks } from '../../src/report/schedulerReport';

const NOW = 1_796_262_100_000;
const DM = 'agent:main:telegram:dm:42';
const OPS = 'agent:main:main';

function task(id: string, over: Partial<TaskSummaryView>): TaskSummaryView {
  return {
    id,
    taskId: id,
    kind: 'subagent_run',
    runtime: 'subagent',
    status: 'completed',
    title: `child ${id}`,
    agentId: 'main',
    childSessionKey: `agent:main:subagent:${id}`,
    createdAt: NOW - 3_600_000,
    updatedAt: NOW - 60_000,
    ...over,
  };
}

/** A give-up line as 2026.9.6 writes it to its JSON log (the message is the string in "1"). */
const giveUp = (child: string, requester: string, t = NOW - 30_000) =>
  JSON.stringify({
    0: '{"subsystem":"subagents"}',
    1: `Subagent announce give up (retry-limit) run=r-${child} child=${child} requester=${requester} retries=5 endedAgo=120s`,
    _meta: { logLevelName: 'WARN', date: new Date(t).toISOString() },
    time: new Date(t).toISOString(),
  });

describe('task ledger: undelivered results by the session they are owed to', () => {
  const tasks = [
    task('t1', { sessionKey: DM, deliveryStatus: 'pending', endedAt: NOW - 5 * 60_000 }),
    task('t2', { sessionKey: DM, deliveryStatus: 'session_queued', endedAt: NOW - 12 * 60_000 }),
    task('t3', { sessionKey: OPS, deliveryStatus: 'failed', terminalOutcome: 'blocked', endedAt: NOW - 60_000 }),
    task('t4', { sessionKey: OPS, deliveryStatus: 'delivered', endedAt: NOW - 60_000 }),
    task('t5', { sessionKey: '', runtime: 'cron', deliveryStatus: 'not_applicable', status: 'failed' }),
    task('t6', { sessionKey: DM, deliveryStatus: 'dismissed' }),
  ];

  it('groups pending and failed deliveries by requester with their age, failed groups first; delivered ones are not owed', () => {
    const m = taskLedgerModel(tasks, NOW);
    assert.equal(m.pending, 2);
    assert.equal(m.failed, 1);
    assert.deepEqual(
      m.groups.map((g) => [g.requester, g.pending, g.failed]),
      [
        [OPS, 0, 1],
        [DM, 2, 0],
      ],
    );
    const dm = m.groups[1];
    assert.equal(dm.oldestAgeMs, 12 * 60_000, 'age since the result was ready (endedAt)');
    assert.deepEqual(
      dm.tasks.map((t) => t.id),
      ['t2', 't1'],
      'oldest first',
    );
    const d = describeTasks(m);
    assert.equal(d.lines[0], 'tasks: 3 undelivered results (1 failed), 0 active');
    assert.equal(d.lines[1], `  for ${OPS}: 1 undelivered (1 failed), oldest 1m`);
    assert.equal(d.lines[2], `  for ${DM}: 2 undelivered, oldest 12m`);
  });

  it('a backlog on one session counts every task but keeps a bounded list', () => {
    const many = Array.from({ length: 112 }, (_, i) =>
      task(`b${i}`, { sessionKey: DM, deliveryStatus: 'pending', endedAt: NOW - i * 1_000 }),
    );
    const g = taskLedgerModel(many, NOW).groups[0];
    assert.equal(g.pending, 112);
    assert.equal(g.tasks.length, 50);
  });

  it('links "announce give up" lines to the requester’s group, and keeps the others', () => {
    const lines = [giveUp('agent:main:subagent:t3', OPS), giveUp('agent:main:subagent:zz', 'agent:main:gone')].map(
      parseLogLine,
    );
    assert.equal(lines[0].diagnostic, 'announce-give-up');
    const m = taskLedgerModel(tasks, NOW, { logLines: lines });
    const ops = m.groups.find((g) => g.requester === OPS)!;
    assert.equal(ops.giveUps.length, 1);
    assert.equal(ops.giveUps[0].child, 'agent:main:subagent:t3');
    assert.equal(ops.giveUps[0].reason, 'retry-limit');
    assert.equal(ops.giveUps[0].retries, 5);
    assert.equal(m.unmatchedGiveUps.length, 1);
    assert.equal(m.unmatchedGiveUps[0].requester, 'agent:main:gone');
  });

  it('a task running past the gateway’s 30-minute audit bound is stuck; one within it is only active', () => {
    const m = taskLedgerModel(
      [
        task('r1', { status: 'running', startedAt: NOW - STALE_RUNNING_MS - 60_000, sessionKey: DM }),
        task('r2', { status: 'running', startedAt: NOW - 60_000, sessionKey: DM }),
        task('q1', { status: 'queued', createdAt: new Date(NOW - 11 * 60_000).toISOString() }),
      ],
      NOW,
    );
    assert.equal(m.active, 3);
    assert.deepEqual(
      m.stale.map((s) => s.id),
      ['r1', 'q1'],
    );
    assert.match(m.stale[0].text, /running for 31m00s, past the gateway's own 30-minute audit bound/);
  });
});
