// The gateway details webview: strict CSP, renders in the real workbench, and reports back over the
// typed protocol after the ready handshake.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { lanewatch } from './lanewatch';
import { assertStrictCsp } from '../support/csp';

describe('gateway details webview', function () {
  this.timeout(120_000);

  it('opens with a strict CSP and renders the live connection', async () => {
    const api = await lanewatch();
    const reported = new Promise<Record<string, unknown>>((resolve) => {
      const sub = api.onDidReportGatewayDetails((r) => {
        if (r.gateway === 'demo' && r.facts.state === 'connected') {
          sub.dispose();
          resolve(r.facts);
        }
      });
    });
    await vscode.commands.executeCommand('lanewatch.showGatewayDetails', { gateway: 'demo' });
    assertStrictCsp(api.gatewayDetailsHtml('demo'));
    const facts = await reported;
    assert.equal(facts.rendered, 'demo');
    assert.equal(facts.buttons, 2);
    assert.equal(facts.badgeUpgraded, true, 'vscode-elements registered in the webview');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
