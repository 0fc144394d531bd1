// The opt-in watchdog in the real extension host against the real gateway: off by default; once enabled (with a
// short threshold for the test) it frees a session that stays wedged, records it in the audit trail, and leaves
// excluded sessions alone.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { lanewatch } from './lanewatch';
import { GatewayApi, GatewayConnection, MemoryDeviceIdentityStore } from '../../src/gateway';
import type { WatchdogEvent } from '../../src/watchdog/watchdog';

const WEDGED = 'agent:main:watchdog-wedged';

describe('watchdog (opt-in)', function () {
  this.timeout(180_000);
  let ops: GatewayConnection;

  before(async () => {
    const token = /"token":\s*"([^"]+)"/.exec(readFileSync(process.env.LANEWATCH_TEST_GATEWAY_CONFIG!, 'utf8'))?.[1];
    ops = new GatewayConnection({
      url: process.env.LANEWATCH_TEST_GATEWAY_URL!,
      credentials: () => ({ token }),
      scopes: ['operator.read', 'operator.write', 'operator.admin'],
      identityStore: new MemoryDeviceIdentityStore(),
      identityKey: 'watchdog-suite',
      clientVersion: 'test',
      requestTimeoutMs: 60_000,
    });
    ops.start();
    await ops.waitForConnected(60_000);
  });
  after(async () => {
    await vscode.workspace
      .getConfiguration('lanewatch.watchdog')
      .update('enabled', undefined, vscode.ConfigurationTarget.Global);
    await new GatewayApi(ops).chatAbort({ sessionKey: WEDGED }).catch(() => undefined);
    ops.dispose();
  });

  it('is off by default', async () => {
    const api = await lanewatch();
    assert.equal(vscode.workspace.getConfiguration('lanewatch.watchdog').get('enabled'), false);
    assert.deepEqual(api.watchdogEvents(), []);
  });

  it('frees a session that stays wedged past the threshold and audits it', async () => {
    const api = await lanewatch();
    await new GatewayApi(ops).chatSend({
      sessionKey: WEDGED,
      message: `watchdog suite ${Date.now()} [[hang]]`,
      idempotencyKey: `wd-${Date.now()}`,
    });
    const acted = new Promise<Extract<WatchdogEvent, { kind: 'acted' }>>((resolve) => {
      const sub = api.onDidWatchdogEvent((e) => {
        if (e.kind === 'acted' && e.key === WEDGED) {
          sub.dispose();
          resolve(e);
        }
      });
    });
    const c = vscode.workspace.getConfiguration('lanewatch.watchdog');
    await c.update('states', ['running', 'no-progress', 'long-running'], vscode.ConfigurationTarget.Global);
    await c.update('thresholdSeconds', 3, vscode.ConfigurationTarget.Global);
    // The seed's other hung runs (2026.9.x: a subagent of demo-parent, a cron job's run) are the demo's, not this test's.
    await c.update(
      'exclude',
      ['agent:main:demo-*', 'agent:main:subagent:*', 'agent:main:cron:*'],
      vscode.ConfigurationTarget.Global,
    );
    await c.update('enabled', true, vscode.ConfigurationTarget.Global);
    try {
      const e = await acted;
      assert.equal(e.report.verdict, 'freed', JSON.stringify(e.report));
      const armed = api.watchdogEvents().find((x) => x.kind === 'armed' && x.key === WEDGED);
      const acting = api.watchdogEvents().find((x) => x.kind === 'acting' && x.key === WEDGED) as Extract<
        WatchdogEvent,
        { kind: 'acting' }
      >;
      assert.ok(armed && acting.sinceMs >= 3000, `acted after ${acting?.sinceMs} ms`);
      assert.ok(
        api.auditEntries().some((x) => x.session === WEDGED && x.call === 'watchdog recover' && x.outcome === 'freed'),
      );
      assert.ok(
        !api.watchdogEvents().some((x) => x.kind === 'acting' && /^agent:main:(demo-|subagent:|cron:)/.test(x.key)),
        'excluded sessions untouched',
      );
    } finally {
      for (const k of ['states', 'thresholdSeconds', 'exclude', 'enabled'])
        await c.update(k, undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
