// Runs last (file order): after every other suite has connected, recovered, sent, opened panels and written logs,
// the gateway token must appear nowhere VS Code keeps state for this profile — settings, logs (the output channel
// included), global and workspace storage (where webview state lives) — nor in what the extension reports.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { lanewatch } from './lanewatch';

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('the gateway token does not leak', function () {
  this.timeout(60_000);

  it('appears in no file of the VS Code profile, and in nothing the extension reports', async () => {
    const token = /"token":\s*"([^"]+)"/.exec(readFileSync(process.env.LANEWATCH_TEST_GATEWAY_CONFIG!, 'utf8'))?.[1];
    assert.ok(token && token.length >= 16, 'token read from the fixture config');
    const api = await lanewatch();
    // <user-data-dir>/logs/<session>/exthostN/<extension id> → walk up to the directory that holds logs/ and User/.
    let root = api.logUri.fsPath;
    while (
      path.dirname(root) !== root &&
      !(
        statSync(path.join(root, 'User'), { throwIfNoEntry: false })?.isDirectory() &&
        statSync(path.join(root, 'logs'), { throwIfNoEntry: false })?.isDirectory()
      )
    )
      root = path.dirname(root);
    assert.ok(
      statSync(path.join(root, 'User'), { throwIfNoEntry: false }),
      `found the profile root from ${api.logUri.fsPath}`,
    );
    const files = filesUnder(root).filter((f) => statSync(f).size < 64 * 1024 * 1024);
    const lanewatchLogs = files.filter((f) => /Lanewatch/i.test(path.basename(f)) && f.endsWith('.log'));
    assert.ok(lanewatchLogs.length > 0, `the output channel's log file exists under ${root}`);
    assert.ok(
      lanewatchLogs.some((f) => /audit gateway=demo/.test(readFileSync(f, 'utf8'))),
      'the audit trail was written to it (so the scan reads real content)',
    );
    const hits = files.filter((f) => readFileSync(f).includes(Buffer.from(token)));
    assert.deepEqual(hits, [], `token found in ${hits.join(', ')}`);
    console.log(
      `    scanned ${files.length} files under the profile (${lanewatchLogs.length} Lanewatch log file(s)); no token`,
    );
    for (const [what, data] of [
      ['fleet report', api.fleetReport()],
      ['audit', api.auditEntries()],
      ['watchdog events', api.watchdogEvents()],
      ['status bar', api.statusBarSummary()],
    ] as const) {
      assert.ok(!JSON.stringify(data ?? null).includes(token), `no token in the ${what}`);
    }
  });
});
