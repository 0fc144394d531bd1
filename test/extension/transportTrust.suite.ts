// The two transport decisions, end to end in the real extension host: a gateway on unencrypted ws:// to another host
// stays disconnected (nothing sent) until the user allows it, and a wss:// gateway with a self-signed certificate is
// refused until the user trusts that certificate, which pins its fingerprint in the gateway's settings entry.
// The modal questions are answered by `assumeYes`, as in the recovery suite; the commands are the ones the tree runs.
import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { fleetWhere, lanewatch, type FleetSnapshotGateway, type LanewatchTestHooks } from './lanewatch';
import { repoRoot } from '../support/fixtures';
import { ScriptedGateway } from '../support/scriptedGateway';

async function api(): Promise<LanewatchTestHooks> {
  return lanewatch();
}

async function gatewayWhere(
  a: LanewatchTestHooks,
  name: string,
  pick: (g: FleetSnapshotGateway) => boolean,
  ms = 30_000,
): Promise<FleetSnapshotGateway> {
  const has = (gws: FleetSnapshotGateway[]) => gws.find((g) => g.name === name);
  return has(await fleetWhere(a, (gws) => !!has(gws) && pick(has(gws)!), ms))!;
}

describe('transport trust: unencrypted ws:// consent and self-signed wss:// certificates', function () {
  this.timeout(90_000);
  const settings = () => vscode.workspace.getConfiguration('lanewatch');
  let original: unknown[] | undefined;
  let tlsGateway: ScriptedGateway;
  const tlsDir = path.join(repoRoot, 'test', 'fixtures', 'tls');

  before(async () => {
    original = settings().inspect<unknown[]>('gateways')?.globalValue;
    tlsGateway = await ScriptedGateway.start({
      tls: {
        key: readFileSync(path.join(tlsDir, 'gateway-key.pem')),
        cert: readFileSync(path.join(tlsDir, 'gateway-cert.pem')),
      },
    });
    await settings().update(
      'gateways',
      [
        ...(original ?? []),
        { name: 'lan-plain', url: 'ws://192.0.2.10:18789' },
        { name: 'tls-self-signed', url: tlsGateway.url },
      ],
      vscode.ConfigurationTarget.Global,
    );
  });
  after(async () => {
    await settings().update('gateways', original, vscode.ConfigurationTarget.Global);
    await tlsGateway?.close();
  });

  it('ws:// to another host is not connected until allowed; allowing makes the next attempt, and is remembered', async () => {
    const a = await api();
    const refused = await gatewayWhere(a, 'lan-plain', (g) => g.problemKind === 'plaintext-remote');
    assert.match(refused.description, /unencrypted ws:\/\/ to another host/);
    assert.match(
      a.fleetReport().gateways.find((g) => g.name === 'lan-plain')!.problem!.fix,
      /Allow unencrypted ws:\/\//,
    );
    assert.equal(
      await vscode.commands.executeCommand('lanewatch.allowPlaintextGateway', {
        gateway: 'lan-plain',
        assumeYes: true,
      }),
      true,
    );
    // 192.0.2.10 is TEST-NET-1: the attempt is made and fails on the network, which proves the refusal is lifted.
    const attempted = await gatewayWhere(
      a,
      'lan-plain',
      (g) => !!g.problemKind && g.problemKind !== 'plaintext-remote',
    );
    console.log(`    after consent: ${attempted.problemKind} (${attempted.description})`);
  });

  it('a self-signed wss:// certificate is refused with its fingerprint; trusting it pins it in settings and connects', async () => {
    const a = await api();
    const expected = new X509Certificate(readFileSync(path.join(tlsDir, 'gateway-cert.pem'))).fingerprint256;
    const refused = await gatewayWhere(a, 'tls-self-signed', (g) => g.problemKind === 'tls-untrusted');
    assert.match(refused.description, /certificate not trusted \(self-signed\)/);
    assert.equal(
      a.fleetReport().gateways.find((g) => g.name === 'tls-self-signed')!.problem!.certificateFingerprint,
      expected,
    );
    assert.equal(tlsGateway.connectParams.length, 0, 'nothing (no token) was sent to the untrusted gateway');
    assert.equal(
      await vscode.commands.executeCommand('lanewatch.trustGatewayCertificate', {
        gateway: 'tls-self-signed',
        assumeYes: true,
      }),
      true,
    );
    const entry = (
      settings().inspect<Array<{ name: string; tlsFingerprint?: string }>>('gateways')?.globalValue ?? []
    ).find((g) => g.name === 'tls-self-signed');
    assert.equal(entry?.tlsFingerprint, expected, 'the fingerprint is pinned in the settings entry');
    await gatewayWhere(a, 'tls-self-signed', (g) => g.state === 'connected');
    assert.equal(tlsGateway.connectParams.length, 1, 'connected over the pinned certificate');
  });
});
