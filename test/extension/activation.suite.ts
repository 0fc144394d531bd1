// First extension-host suite: the extension is there, activates, and exposes its test API.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'lanewatch.lanewatch';

interface LanewatchApi {
  fleetSnapshot(): Promise<unknown>;
}

describe('activation', () => {
  it(`finds the extension ${EXTENSION_ID}`, () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} is not installed`);
  });

  it('activates and exports fleetSnapshot() returning an array', async () => {
    const ext = vscode.extensions.getExtension<LanewatchApi>(EXTENSION_ID);
    assert.ok(ext);
    const api = await ext.activate();
    assert.equal(ext.isActive, true);
    assert.equal(typeof api?.fleetSnapshot, 'function', 'activate() should return an object with fleetSnapshot()');
    const snapshot = await api.fleetSnapshot();
    assert.ok(Array.isArray(snapshot), `fleetSnapshot() returned ${typeof snapshot}, expected an array`);
  });
});
