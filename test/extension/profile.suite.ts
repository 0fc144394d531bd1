// "Capture Gateway CPU Profile…" and "Sample Gateway Heap Allocations…" in the real extension host against the real
// gateway: the command (as a gateway row's menu runs it, with the row's gateway) captures, writes the profile into
// the workspace's .lanewatch/profiles/ and opens it in an editor whose file is that profile.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { lanewatch } from './lanewatch';
import type { ProfileCommandResult } from '../../src/vscode/commands/profileCommands';

/** The file behind the active editor tab: a text editor's or a custom editor's (VS Code's profile viewer). */
function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
}

/** Resolves when the active tab shows `uri` (tabs change after vscode.open settles in some builds). */
function tabShowing(uri: vscode.Uri, ms = 20_000): Promise<void> {
  if (activeTabUri()?.fsPath === uri.fsPath) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no tab shows ${uri.fsPath} within ${ms} ms (active: ${activeTabUri()?.fsPath ?? 'none'})`));
    }, ms);
    const sub = vscode.window.tabGroups.onDidChangeTabs(() => {
      if (activeTabUri()?.fsPath !== uri.fsPath) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

describe('gateway profiles from the editor', function () {
  this.timeout(120_000);

  before(async () => {
    const api = await lanewatch();
    // The gateway row's menu is offered on connected gateways: wait for demo to be one.
    await new Promise<void>((resolve) => {
      const connected = () => api.fleetReport().gateways.some((g) => g.name === 'demo' && g.connected);
      if (connected()) return resolve();
      const sub = api.onDidChangeFleet(() => {
        if (!connected()) return;
        sub.dispose();
        resolve();
      });
    });
  });

  it('Capture Gateway CPU Profile: the profile saved in .lanewatch/profiles and opened in an editor', async () => {
    const result = await vscode.commands.executeCommand<ProfileCommandResult | undefined>(
      'lanewatch.captureCpuProfile',
      { gateway: 'demo' },
    );
    assert.ok(result, 'the command returned its result');
    assert.equal(result.report.ok, true, `${result.report.summary} ${result.report.details.join('; ')}`);
    const uri = result.uri!;
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.ok(uri.fsPath.startsWith(`${folder}/.lanewatch/profiles/demo-`), uri.fsPath);
    assert.ok(uri.fsPath.endsWith('.cpuprofile'));
    const profile = JSON.parse(readFileSync(uri.fsPath, 'utf8')) as Record<string, unknown[]>;
    assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 1);
    assert.equal(profile.samples.length, profile.timeDeltas.length);
    await tabShowing(uri);
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    console.log(
      `    opened in ${input instanceof vscode.TabInputCustom ? `custom editor ${input.viewType}` : 'a text editor'}`,
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Sample Gateway Heap Allocations (2 s): a .heapprofile saved and opened', async () => {
    const result = await vscode.commands.executeCommand<ProfileCommandResult | undefined>(
      'lanewatch.sampleHeapProfile',
      { gateway: 'demo', durationSeconds: 2 },
    );
    assert.ok(result);
    assert.equal(result.report.ok, true, result.report.summary);
    const uri = result.uri!;
    assert.ok(uri.fsPath.endsWith('.heapprofile'), uri.fsPath);
    const profile = JSON.parse(readFileSync(uri.fsPath, 'utf8')) as { head?: { callFrame?: unknown } };
    assert.ok(profile.head?.callFrame, 'a sampling heap profile');
    await tabShowing(uri);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
