// The transcript panel in the real workbench against the real seeded gateway: opens from the command with a
// strict CSP, shows the answered turn of demo-idle, and shows demo-hung's hung run as in flight with its
// queued inputs. (Runs before recovery.suite, which aborts demo-hung.)
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { lanewatch, type LanewatchTestHooks } from './lanewatch';
import { assertStrictCsp } from '../support/csp';

type Facts = Record<string, any>;

describe('transcript panel', function () {
  this.timeout(120_000);
  let api: LanewatchTestHooks;
  const report = (key: string, pick: (f: Facts) => boolean, ms = 60_000) =>
    new Promise<Facts>((resolve, reject) => {
      let last: Facts | undefined;
      const timer = setTimeout(() => {
        sub.dispose();
        reject(
          new Error(`no matching report for ${key} within ${ms} ms; last: ${JSON.stringify(last)?.slice(0, 1500)}`),
        );
      }, ms);
      const sub = api.onDidReportTranscript((r) => {
        if (r.gateway !== 'demo' || r.sessionKey !== key) return;
        last = r.facts;
        if (pick(r.facts)) {
          clearTimeout(timer);
          sub.dispose();
          resolve(r.facts);
        }
      });
    });

  before(async () => {
    api = await lanewatch();
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens an answered session with a strict CSP and renders its messages', async () => {
    const key = 'agent:main:demo-idle';
    const shown = report(key, (f) => f.messages >= 2);
    await vscode.commands.executeCommand('lanewatch.openTranscript', { gateway: 'demo', key });
    assertStrictCsp(api.transcriptHtml('demo', key));
    const f = await shown;
    assert.match(f.renderedText, /hello/);
    assert.match(f.renderedText, /fake reply/);
    assert.equal(f.inFlightShown, false);
    assert.ok(f.domNodes < 1500, `${f.domNodes} DOM nodes`);
  });

  it('shows a hung run as in flight, with the inputs queued behind it', async () => {
    const key = 'agent:main:demo-hung';
    const shown = report(key, (f) => f.inFlightShown === true && f.pendingShown >= 1);
    await vscode.commands.executeCommand('lanewatch.openTranscript', { gateway: 'demo', key });
    const f = await shown;
    assert.ok(f.inFlightRunId, 'the run id is shown');
    assert.match(f.renderedText, /queued/i);
  });
});
