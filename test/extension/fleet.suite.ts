// The extension in the real VS Code extension host, against the real seeded gateway started by
// scripts/test.mjs (settings point at it; the token is read from its openclaw.json).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fleetWhere, lanewatch, type LanewatchTestHooks } from './lanewatch';

async function api(): Promise<LanewatchTestHooks> {
  return lanewatch();
}

describe('fleet view against a real gateway', function () {
  this.timeout(120_000);
  const gatewayUrl = process.env.LANEWATCH_TEST_GATEWAY_URL;

  before(function () {
    if (!gatewayUrl) throw new Error('LANEWATCH_TEST_GATEWAY_URL is not set: run through scripts/test.mjs');
  });

  it('activates in under 200 ms of its own time', async () => {
    const a = await api();
    assert.ok(a.activationMs < 200, `activation took ${a.activationMs.toFixed(1)} ms`);
    console.log(`    activation: ${a.activationMs.toFixed(1)} ms`);
  });

  it('connects to the configured gateway and shows its version', async () => {
    const gws = await fleetWhere(await api(), (g) =>
      g.some((x) => x.name === 'demo' && x.state === 'connected' && x.agents.length > 0),
    );
    const demo = gws.find((g) => g.name === 'demo')!;
    assert.equal(demo.url, gatewayUrl);
    assert.equal(demo.protocol, 4);
    assert.match(demo.description, /^connected · openclaw 2026\./);
    assert.deepEqual(demo.agents, ['main']);
  });

  it('lists the seeded sessions with what the gateway reports about their runs', async () => {
    const gws = await fleetWhere(await api(), (g) => (g.find((x) => x.name === 'demo')?.sessions.length ?? 0) >= 2);
    const sessions = gws.find((g) => g.name === 'demo')!.sessions;
    const hung = sessions.find((s) => s.key === 'agent:main:demo-hung');
    const idle = sessions.find((s) => s.key === 'agent:main:demo-idle');
    assert.ok(hung && idle, JSON.stringify(sessions));
    // Running; after a minute without an event of its run (the fake model holds it), Lanewatch's own "no progress".
    assert.ok(['running', 'no-progress'].includes(hung.status), hung.status);
    assert.match(hung.description, /^(running|no progress for) \d/);
    assert.equal(idle.status, 'idle');
  });

  it('registers its commands', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of [
      'lanewatch.refresh',
      'lanewatch.addGateway',
      'lanewatch.setGatewayToken',
      'lanewatch.reconnectGateway',
      'lanewatch.showConnectionReport',
    ])
      assert.ok(all.includes(id), id);
  });

  it('a bad settings entry is reported and the good gateway keeps working', async () => {
    const config = vscode.workspace.getConfiguration('lanewatch');
    const original = config.get<unknown[]>('gateways') ?? [];
    const a = await api();
    try {
      await config.update(
        'gateways',
        [...original, { name: 'broken', url: 'http://127.0.0.1:1' }, { name: 'unreachable', url: 'ws://127.0.0.1:9' }],
        vscode.ConfigurationTarget.Global,
      );
      const gws = await fleetWhere(a, (g) =>
        g.some((x) => x.name === 'unreachable' && x.problemKind === 'unreachable'),
      );
      assert.ok(!gws.some((g) => g.name === 'broken'), 'the invalid entry is not watched');
      assert.equal(gws.find((g) => g.name === 'demo')?.state, 'connected', 'the valid gateway kept its connection');
      assert.match(gws.find((g) => g.name === 'unreachable')!.description, /not running \(connection refused\)/);
    } finally {
      await config.update('gateways', original, vscode.ConfigurationTarget.Global);
    }
  });
});
