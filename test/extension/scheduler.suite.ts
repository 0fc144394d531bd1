// Cron commands in the real extension host against the real seeded gateway (2026.9.x, where
// scripts/fixtures/seed-demo.mjs adds cron jobs): "Disable Cron Job…" and "Enable Cron Job…" run as the tree's row menu
// runs them (gateway and job id, assumeYes in place of the question), each reported only as the scheduler reads back,
// and judged with the official client (@openclaw/gateway-client, through the fixtures' connectOperator). The demo's
// hourly job: no run of it is started (a Run Now would wait behind the demo's hung cron run, which holds the scheduler).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { importFixture } from '../support/fixtures';
import { fleetWhere, lanewatch } from './lanewatch';

describe('cron commands against a real gateway', function () {
  this.timeout(120_000);
  let op: any, seed: any, jobId: string;

  const officialJob = async (id: string) =>
    ((await op.request('cron.list', { includeDisabled: true })).jobs as any[]).find((j) => j.id === id);

  before(async function () {
    seed = await importFixture('seed-demo');
    const token = /"token":\s*"([^"]+)"/.exec(readFileSync(process.env.LANEWATCH_TEST_GATEWAY_CONFIG!, 'utf8'))?.[1];
    op = await seed.connectOperator({ url: process.env.LANEWATCH_TEST_GATEWAY_URL!, token, requestTimeoutMs: 30_000 });
    // The seed adds its cron jobs where there is a task ledger (2026.9.x) only.
    if (!(op.hello?.features?.methods ?? []).includes('tasks.list')) this.skip();
    const jobs = (await op.request('cron.list', { includeDisabled: true })).jobs as any[];
    const hourly = jobs.find((j) => j.name === seed.DEMO_CRON.hourly);
    assert.ok(hourly, `the seeded job "${seed.DEMO_CRON.hourly}": ${JSON.stringify(jobs.map((j) => j.name))}`);
    assert.equal(hourly.enabled, true, 'seeded enabled');
    jobId = hourly.id;
    await fleetWhere(await lanewatch(), (g) => g.some((x) => x.name === 'demo' && x.state === 'connected'));
  });
  after(async () => {
    // As seeded, whatever the tests did.
    if (jobId) await op.request('cron.update', { id: jobId, patch: { enabled: true } }).catch(() => undefined);
    await op?.close();
  });

  it('Disable Cron Job… reports the job disabled; the official client reads it disabled with no next run', async () => {
    const r: any = await vscode.commands.executeCommand('lanewatch.cronDisable', {
      gateway: 'demo',
      jobId,
      assumeYes: true,
    });
    assert.equal(r?.kind, 'disabled', JSON.stringify(r));
    const job = await officialJob(jobId);
    assert.equal(job.enabled, false);
    assert.equal(job.state?.nextRunAtMs, undefined, 'no next run');
    console.log(`    ${r.summary}`);
  });

  it('Enable Cron Job… reports the job enabled with the next run the official client reads', async () => {
    const r: any = await vscode.commands.executeCommand('lanewatch.cronEnable', {
      gateway: 'demo',
      jobId,
      assumeYes: true,
    });
    assert.equal(r?.kind, 'enabled', JSON.stringify(r));
    const job = await officialJob(jobId);
    assert.equal(job.enabled, true);
    assert.ok(job.state?.nextRunAtMs > Date.now(), `a next run ahead: ${JSON.stringify(job.state)}`);
    assert.match(
      r.summary,
      new RegExp(`next run ${new Date(job.state.nextRunAtMs).toISOString().slice(0, 19).replace('T', ' ')}`),
    );
    console.log(`    ${r.summary}`);
  });
});
