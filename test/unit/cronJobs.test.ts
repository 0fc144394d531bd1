// Cron jobs as an operator reads them (issue 16 item 3): a next run in the past is overdue, a "running" flag older
// than the run's budget is stuck, three failures in a row is flapping, and a cron session row names its job. Jobs
// are shaped as 2026.9.6 and 2026.3.24 send them (probed on real gateways).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGENT_TURN_BUDGET_MS,
  CLEANUP_MARGIN_MS,
  OVERDUE_MARGIN_MS,
  cronJobLine,
  cronJobModel,
  cronJobOfSessionKey,
  cronSnapshot,
  linkCronSessions,
} from '../../src/fleet/cronJobs';
import type { CronJobView } from '../../src/gateway/schedulerApi';
import { describeCron } from '../../src/report/schedulerReport';

const NOW = 1_796_262_100_000;
const ID = 'd7f7229f-d585-4483-b57c-2e11d1adcff4';

/** A job as 2026.9.6's cron.list sends it (fields trimmed). */
function job(state: CronJobView['state'], over: Partial<CronJobView> = {}): CronJobView {
  return {
    id: ID,
    name: 'probe-hang',
    enabled: true,
    createdAtMs: NOW - 600_000,
    updatedAtMs: NOW - 600_000,
    schedule: { kind: 'every', everyMs: 20_000, anchorMs: NOW - 600_000 },
    sessionTarget: 'isolated',
    wakeMode: 'now',
    payload: { kind: 'agentTurn', message: 'probe [[hang]]', timeoutSeconds: 8 },
    delivery: { mode: 'none' },
    state,
    nextRunAtMs: state.nextRunAtMs,
    effectiveAgentId: 'main',
    ...over,
  };
}
const kinds = (j: CronJobView, now = NOW) => cronJobModel(j, now).facts.map((f) => f.kind);

describe('cron jobs: overdue', () => {
  it('a next run more than the margin in the past is overdue, and says how late and why', () => {
    const j = job({ nextRunAtMs: NOW - OVERDUE_MARGIN_MS - 5_000, runningAtMs: NOW - 40_000 });
    const m = cronJobModel(j, NOW);
    assert.deepEqual(
      m.facts.map((f) => f.kind),
      ['overdue'],
    );
    assert.match(m.facts[0].text, /^next run was due 35s ago .* has not started: a run of it has been going for 40s/);
    assert.equal(m.health, 'warn');
    assert.equal(cronJobLine(m, NOW), 'overdue');
  });
  it('a slot just due, a future one, or a disabled job is not overdue', () => {
    assert.deepEqual(kinds(job({ nextRunAtMs: NOW - OVERDUE_MARGIN_MS + 1_000 })), []);
    assert.deepEqual(kinds(job({ nextRunAtMs: NOW + 60_000 })), []);
    assert.deepEqual(kinds(job({ nextRunAtMs: NOW - 3_600_000 }, { enabled: false })), []);
  });
});

describe('cron jobs: running too long', () => {
  it('the flag older than the job’s own timeout plus the cleanup margin is stuck', () => {
    const since = NOW - (8_000 + CLEANUP_MARGIN_MS + 1_000);
    const m = cronJobModel(job({ nextRunAtMs: NOW + 10_000, runningAtMs: since }), NOW);
    assert.deepEqual(
      m.facts.map((f) => f.kind),
      ['running-too-long'],
    );
    assert.match(m.facts[0].text, /marked running for 1m09s .* longer than its timeout \(8s\) allows/);
  });
  it('within the budget it is only running', () => {
    const m = cronJobModel(job({ nextRunAtMs: NOW + 10_000, runningAtMs: NOW - 30_000 }), NOW);
    assert.deepEqual(m.facts, []);
    assert.equal(m.health, 'running');
    assert.equal(cronJobLine(m, NOW), 'running for 30s');
  });
  it('without a timeout an agent turn has the scheduler’s 60-minute watchdog', () => {
    const noTimeout = { kind: 'agentTurn', message: 'x' };
    const at = (ago: number) => job({ nextRunAtMs: NOW + 10_000, runningAtMs: NOW - ago }, { payload: noTimeout });
    assert.deepEqual(kinds(at(AGENT_TURN_BUDGET_MS)), []);
    assert.deepEqual(kinds(at(AGENT_TURN_BUDGET_MS + CLEANUP_MARGIN_MS + 1)), ['running-too-long']);
    assert.match(cronJobModel(at(2 * AGENT_TURN_BUDGET_MS), NOW).facts[0].text, /60-minute watchdog/);
  });
});

describe('cron jobs: flapping', () => {
  it('three failures in a row by the scheduler’s count', () => {
    const s = {
      nextRunAtMs: NOW + 10_000,
      lastRunStatus: 'error' as const,
      lastError: 'cron: job execution timed out',
    };
    assert.deepEqual(kinds(job({ ...s, consecutiveErrors: 2 })), []);
    const m = cronJobModel(job({ ...s, consecutiveErrors: 3 }), NOW);
    assert.deepEqual(
      m.facts.map((f) => f.kind),
      ['flapping'],
    );
    assert.match(m.facts[0].text, /failed 3 runs in a row \(last error: cron: job execution timed out\)/);
  });
  it('from the run history when the scheduler keeps no count (2026.3.x state has none)', () => {
    const entry = (i: number, status: 'ok' | 'error') => ({
      ts: NOW - i * 60_000,
      runAtMs: NOW - i * 60_000,
      jobId: ID,
      action: 'finished',
      status,
    });
    const three = [entry(1, 'error'), entry(2, 'error'), entry(3, 'error'), entry(4, 'ok')];
    const two = [entry(1, 'error'), entry(2, 'error'), entry(3, 'ok'), entry(4, 'error')];
    const j = job({ nextRunAtMs: NOW + 10_000 });
    assert.deepEqual(cronJobModel(j, NOW, { runs: new Map([[ID, three]]) }).facts[0]?.kind, 'flapping');
    assert.deepEqual(cronJobModel(j, NOW, { runs: new Map([[ID, two]]) }).facts, []);
  });
});

describe('cron jobs: sessions and listing', () => {
  it('a cron session row (and a run’s row) names its job', () => {
    assert.deepEqual(cronJobOfSessionKey(`agent:main:cron:${ID}`), { agentId: 'main', jobId: ID });
    assert.deepEqual(cronJobOfSessionKey(`agent:main:cron:${ID}:run:bf2cd2dc`), {
      agentId: 'main',
      jobId: ID,
      runSessionId: 'bf2cd2dc',
    });
    assert.equal(cronJobOfSessionKey('agent:main:main'), undefined);
    const snap = cronSnapshot([job({ nextRunAtMs: NOW + 1 })], NOW);
    const linked = linkCronSessions(snap, [`agent:main:cron:${ID}`, 'agent:main:cron:other', 'agent:main:main']);
    assert.deepEqual([...linked.keys()], [`agent:main:cron:${ID}`]);
    assert.equal(linked.get(`agent:main:cron:${ID}`)!.name, 'probe-hang');
    assert.equal(snap.jobs[0].sessionKey, `agent:main:cron:${ID}`);
  });
  it('jobs that need attention come first; the status lines name them with their facts', () => {
    const ok = job({ nextRunAtMs: NOW + 60_000, lastRunStatus: 'ok' }, { id: 'a-ok', name: 'fine' });
    const late = job({ nextRunAtMs: NOW - 120_000 }, { id: 'b-late', name: 'late' });
    const snap = cronSnapshot([ok, late], NOW);
    assert.deepEqual(
      snap.jobs.map((j) => j.name),
      ['late', 'fine'],
    );
    assert.equal(cronJobLine(snap.jobs[1], NOW), 'every 20s · next in 1m · last ok');
    const d = describeCron(snap, undefined, NOW);
    assert.equal(d.lines[0], 'cron: 2 jobs, 1 needs attention');
    assert.match(d.lines[1], /^ {2}late: overdue$/);
    assert.equal(d.jobs[0].facts[0].kind, 'overdue');
  });
});
