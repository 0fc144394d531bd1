// How the extension-host suites reach the running extension: activate it and take its test hooks, which it exposes
// (as `testing` beside its small public API) only when the extension host runs with LANEWATCH_TEST_HOOKS=1 — set by
// scripts/vscode/run-extension-tests.mjs. Not a suite itself (index.ts loads *.suite.js only); bundled into each.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LanewatchApi } from '../../src/vscode/extension';
import type { FleetSnapshotGateway, LanewatchTestHooks } from '../../src/vscode/testHooks';

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

/**
 * The first fleet snapshot (now or after a fleet change event) that satisfies `pick`; rejects after `ms` with the
 * last snapshot, so a failure shows what the tree held instead.
 */
export async function fleetWhere(
  a: LanewatchTestHooks,
  pick: (gateways: FleetSnapshotGateway[]) => boolean,
  ms = 90_000,
): Promise<FleetSnapshotGateway[]> {
  const now = await a.fleetSnapshot();
  if (pick(now)) return now;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(timer);
      sub.dispose();
    };
    const timer = setTimeout(() => {
      finish();
      void a
        .fleetSnapshot()
        .then((last) => reject(new Error(`fleet condition not met in ${ms} ms: ${JSON.stringify(last)}`)));
    }, ms);
    const sub = a.onDidChangeFleet(() => {
      void a.fleetSnapshot().then((s) => {
        if (done || !pick(s)) return;
        finish();
        resolve(s);
      });
    });
  });
}
