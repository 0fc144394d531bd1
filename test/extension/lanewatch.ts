// How the extension-host suites reach the running extension: activate it and take its test hooks, which it exposes
// (as `testing` beside its small public API) only when the extension host runs with LANEWATCH_TEST_HOOKS=1 — set by
// scripts/vscode/run-extension-tests.mjs. Not a suite itself (index.ts loads *.suite.js only); bundled into each.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LanewatchApi } from '../../src/vscode/extension';
import type { LanewatchTestHooks } from '../../src/vscode/testHooks';

export type { FleetSnapshotGateway, LanewatchTestHooks } from '../../src/vscode/testHooks';
export const EXTENSION_ID = 'lanewatch.lanewatch';

/** The extension's public API (what another extension gets from `activate()`). */
export async function lanewatchApi(): Promise<LanewatchApi> {
  const ext = vscode.extensions.getExtension<LanewatchApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  return ext.activate();
}

/** The test hooks of the running extension. */
export async function lanewatch(): Promise<LanewatchTestHooks> {
  const api = await lanewatchApi();
  assert.ok(
    api.testing,
    'the extension exposes no test hooks: run the suites through scripts/vscode/run-extension-tests.mjs (it sets LANEWATCH_TEST_HOOKS=1)',
  );
  return api.testing;
}
