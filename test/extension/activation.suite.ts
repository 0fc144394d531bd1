// First extension-host suite: the extension is there and activates; its public API is the fleet report and its change
// event only, and the test hooks are there because the runner asked for them (LANEWATCH_TEST_HOOKS=1).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, lanewatch, lanewatchApi } from './lanewatch';

describe('activation', () => {
  it(`finds the extension ${EXTENSION_ID}`, () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} is not installed`);
  });

  it('activates; the public API is fleetReport() and onDidChangeFleet(), the test hooks sit apart under `testing`', async () => {
    const api = await lanewatchApi();
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    assert.deepEqual(Object.keys(api).sort(), ['fleetReport', 'onDidChangeFleet', 'testing']);
    assert.ok(Array.isArray(api.fleetReport().gateways), 'fleetReport() has the gateways');
    const sub = api.onDidChangeFleet(() => undefined);
    assert.equal(typeof sub.dispose, 'function');
    sub.dispose();
    const hooks = await lanewatch();
    const snapshot = await hooks.fleetSnapshot();
    assert.ok(Array.isArray(snapshot), `fleetSnapshot() returned ${typeof snapshot}, expected an array`);
  });
});
