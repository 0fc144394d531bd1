// Recovery commands in the real extension host against the real seeded gateway: each reports only what
// the read-back proves, and leaves an audit entry. (Runs after the UI stage, which needs demo-hung alive.)
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { fleetWhere, lanewatch, type FleetSnapshotGateway, type LanewatchTestHooks } from './lanewatch';

const HUNG = 'agent:main:demo-hung',
  IDLE = 'agent:main:demo-idle';

async function api(): Promise<LanewatchTestHooks> {
  return lanewatch();
}

const session = (g: FleetSnapshotGateway[], key: string) =>
  g.find((x) => x.name === 'demo')?.sessions.find((s) => s.key === key);

describe('recovery commands against a real gateway', function () {
  this.timeout(180_000);

  it('Abort Run frees the hung demo session, says so, and the tree follows', async () => {
    const a = await api();
    await fleetWhere(a, (g) =>
      ['running', 'no-progress', 'long-running', 'stalled'].includes(session(g, HUNG)?.status ?? ''),
    );
    const step: any = await vscode.commands.executeCommand('lanewatch.abortRun', {
      gateway: 'demo',
      key: HUNG,
      assumeYes: true,
    });
    assert.equal(step?.outcome, 'freed', JSON.stringify(step));
    assert.match(step.message, /the run ended/);
    assert.equal(step.after.activeRun, false);
    const g = await fleetWhere(
      a,
      (x) =>
        session(x, HUNG)?.status !== 'running' &&
        session(x, HUNG)?.status !== 'no-progress' &&
        session(x, HUNG)?.status !== 'long-running' &&
        session(x, HUNG)?.status !== 'stalled',
    );
    console.log(`    after abort the tree says: ${session(g, HUNG)?.description}`);
    assert.ok(a.auditEntries().some((e) => e.session === HUNG && e.call === 'sessions.abort' && e.outcome === 'freed'));
  });

  it('Recover Session on an idle session does nothing and says why', async () => {
    const report: any = await vscode.commands.executeCommand('lanewatch.recoverSession', {
      gateway: 'demo',
      key: IDLE,
      assumeYes: true,
    });
    assert.equal(report?.verdict, 'nothing-to-do', JSON.stringify(report));
    assert.equal(report.steps.length, 0);
  });

  it('Reset refuses a session key that does not exist', async () => {
    const step: any = await vscode.commands.executeCommand('lanewatch.resetSession', {
      gateway: 'demo',
      key: 'agent:main:no-such-session',
      assumeYes: true,
    });
    assert.equal(step?.outcome, 'refused');
    assert.match(step.message, /does not exist/);
  });

  it('Test Send on the gateway measures every phase and gets a reply', async () => {
    const report: any = await vscode.commands.executeCommand('lanewatch.testSend', {
      gateway: 'demo',
      assumeYes: true,
    });
    assert.equal(report?.ok, true, report?.summary);
    assert.equal(report.phases.length, 6);
  });

  it('the audit trail never contains the token', async () => {
    const config = process.env.LANEWATCH_TEST_GATEWAY_CONFIG!;
    const token = /"token":\s*"([^"]+)"/.exec(readFileSync(config, 'utf8'))?.[1];
    assert.ok(token && token.length > 10, 'token read from the fixture config');
    const a = await api();
    assert.ok(a.auditEntries().length >= 4);
    assert.ok(!JSON.stringify(a.auditEntries()).includes(token), 'no token in audit entries');
    assert.ok(!JSON.stringify(await a.fleetSnapshot()).includes(token), 'no token in the fleet snapshot');
  });
});
