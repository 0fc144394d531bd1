// Issue 16 item 4 in the real extension host: "Recover Session…" on a parent that waits on a wedged subagent offers the
// subagent first. A parent of this suite's own (2026.9.x), seeded as scripts/fixtures/seed-demo.mjs seeds demo-parent:
// a real agent turn spawns a subagent whose model call hangs, then yields (sessions_yield), so the parent's row says
// "running" with no run of its own. Not demo-parent itself: in `npm test` the UI stage runs first on the same gateway,
// and by the time this suite runs, demo-parent's subagent has hung about two minutes, past the gateway's own two-minute
// stuck-session threshold, whose "long-running" line (not stuck) outweighs Lanewatch's "no progress". The command runs
// as the tree's row menu runs it (the row's node), and its quick pick is answered through VS Code's own quick-input
// commands (Escape; Enter on the item it focuses, the first): what the pick offers is read as the extension hands it
// to VS Code, and what happened at the gateway is judged with the official client (@openclaw/gateway-client, through
// the fixtures' connectOperator), never by Lanewatch's own read-back. The cancel runs first: choosing the subagent
// aborts its run for good. The parent's key is under demo-*, which watchdog.suite leaves alone as the demo's.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { importFixture } from '../support/fixtures';
import { fleetWhere, lanewatch, type LanewatchTestHooks } from './lanewatch';

const GATEWAY = 'demo';
const PARENT = 'agent:main:demo-family-recovery';
/** Lanewatch's own "no progress" after this long (lanewatch.noProgressSeconds), so the hung subagent reads wedged now. */
const NO_PROGRESS_SECONDS = 3;
/** The lane states in which Lanewatch calls a subagent stuck (actions/familyRecovery.ts WEDGED_STATES, those a run holds). */
const WEDGED = ['no-progress', 'stalled', 'stuck'];

interface SeenPick {
  items: readonly (vscode.QuickPickItem & { choice?: unknown })[];
  options: vscode.QuickPickOptions | undefined;
}

type WindowMethods = {
  showQuickPick: typeof vscode.window.showQuickPick;
  showWarningMessage: typeof vscode.window.showWarningMessage;
  showInformationMessage: typeof vscode.window.showInformationMessage;
};
const win = vscode.window as unknown as WindowMethods;
const real: WindowMethods = {
  showQuickPick: win.showQuickPick.bind(vscode.window),
  showWarningMessage: win.showWarningMessage.bind(vscode.window),
  showInformationMessage: win.showInformationMessage.bind(vscode.window),
};

/**
 * What the next quick pick offers, as the extension hands it to VS Code, answered in the real workbench as a person
 * would: `enter` takes the item the pick focuses (the first), `escape` closes it. The extension shares this `vscode`
 * API object (one per extension), so the call is seen here and passed on unchanged.
 */
function answerNextQuickPick(answer: 'enter' | 'escape'): { seen: Promise<SeenPick>; offered(): boolean } {
  let offered = false;
  const seen = new Promise<SeenPick>((resolve, reject) => {
    win.showQuickPick = ((items: any, options: any, token: any) => {
      offered = true;
      win.showQuickPick = real.showQuickPick;
      const shown = real.showQuickPick(items, options, token);
      void (async () => {
        const list = await items;
        // The pick and then its items are sent to the workbench a few ticks after the call; a command round trip that
        // starts after them is answered once the workbench has handled them (one ordered channel), so the answer
        // below finds the items in place.
        await new Promise((r) => setImmediate(r));
        await vscode.commands.executeCommand('workbench.action.focusQuickOpen');
        await vscode.commands.executeCommand(
          answer === 'enter' ? 'workbench.action.acceptSelectedQuickOpenItem' : 'workbench.action.closeQuickOpen',
        );
        resolve({ items: list, options });
      })().catch(reject);
      return shown;
    }) as typeof vscode.window.showQuickPick;
  });
  return { seen, offered: () => offered };
}

/** The notifications and questions the extension shows meanwhile; a modal question is recorded and left unanswered. */
function watchMessages(): { said: string[]; asked: string[]; dispose(): void } {
  const said: string[] = [],
    asked: string[] = [];
  win.showInformationMessage = ((m: string, ...rest: any[]) => {
    said.push(m);
    return real.showInformationMessage(m, ...rest);
  }) as typeof vscode.window.showInformationMessage;
  win.showWarningMessage = ((m: string, ...rest: any[]) => {
    // A modal would wait for a person forever: the test records it and answers as closing it would.
    if (rest[0]?.modal) {
      asked.push(`${m} ${rest[0].detail ?? ''}`);
      return Promise.resolve(undefined);
    }
    said.push(m);
    return real.showWarningMessage(m, ...rest);
  }) as typeof vscode.window.showWarningMessage;
  return {
    said,
    asked,
    dispose: () => {
      win.showInformationMessage = real.showInformationMessage;
      win.showWarningMessage = real.showWarningMessage;
    },
  };
}

/** The fake model's counters (requests, hanging: calls it holds unanswered). */
async function fakeModelStats(): Promise<{ requests: number; hanging: number }> {
  return (await fetch(`${process.env.LANEWATCH_TEST_FAKE_MODEL_URL}/__stats`)).json() as Promise<any>;
}

/** The fake model's counters once `pick` holds: read every 250 ms (the fake model process sends no events). */
async function fakeModelUntil(pick: (x: { hanging: number }) => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (let x = await fakeModelStats(); !pick(x); x = await fakeModelStats()) {
    if (Date.now() > deadline) throw new Error(`fake model: not within ${ms} ms: ${JSON.stringify(x)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Recover Session on a parent waiting on a wedged subagent', function () {
  this.timeout(120_000);
  let op: any, seed: any, a: LanewatchTestHooks;
  let parent: string, parentLabel: string, child: string, childLabel: string, childState: string;
  let parentSessionId: string;
  /** The row's node, as the Gateways view hands it to its context menu's commands. */
  let node: { kind: 'session'; id: string; gateway: string; key: string };

  const officialRows = async (): Promise<any[]> => (await op.request('sessions.list', {})).sessions ?? [];
  const officialRow = async (key: string) => (await officialRows()).find((r) => r.key === key);

  before(async function () {
    seed = await importFixture('seed-demo');
    const token = /"token":\s*"([^"]+)"/.exec(readFileSync(process.env.LANEWATCH_TEST_GATEWAY_CONFIG!, 'utf8'))?.[1];
    op = await seed.connectOperator({ url: process.env.LANEWATCH_TEST_GATEWAY_URL!, token, requestTimeoutMs: 30_000 });
    // A yielded parent waits on its subagents on 2026.9.x (the versions with a task ledger) only.
    if (!(op.hello?.features?.methods ?? []).includes('tasks.list')) this.skip();
    parent = PARENT;
    node = { kind: 'session', id: `session:${GATEWAY}:${parent}`, gateway: GATEWAY, key: parent };

    // The parent's turn: the fake model answers with a sessions_spawn call (the subagent's task hangs at the model),
    // then sessions_yield; the gateway ends the turn yielded.
    const nonce = randomBytes(4).toString('hex');
    const hangingBefore = (await fakeModelStats()).hanging;
    const sent = await op.request('chat.send', {
      sessionKey: parent,
      message: `delegate ${nonce} [[spawn:check the backups ${nonce} [[hang]]]] [[yield]]`,
      idempotencyKey: `family-recovery-${nonce}`,
    });
    const end = await op.waitForEvent(
      (e: any) =>
        e.event === 'agent' &&
        e.payload?.runId === sent.runId &&
        e.payload?.stream === 'lifecycle' &&
        e.payload?.data?.phase === 'end',
      { timeoutMs: 60_000, description: `the end of ${parent}'s turn (a spawn, then a yield)` },
    );
    assert.equal(end.payload.data?.yielded, true, `the turn ended yielded: ${JSON.stringify(end.payload.data)}`);
    // Hung for real: the subagent's model call is held (until then its run still sends events as it starts, and a
    // 3 s "no progress" read then would not last).
    await fakeModelUntil((x) => x.hanging > hangingBefore, 60_000);

    // The hung subagent reads wedged in the tree (Lanewatch's own "no progress", as an operator would set it shorter).
    await vscode.workspace
      .getConfiguration('lanewatch')
      .update('noProgressSeconds', NO_PROGRESS_SECONDS, vscode.ConfigurationTarget.Global);
    a = await lanewatch();
    await fleetWhere(a, () => {
      const sessions = a
        .fleetReport()
        .gateways.find((g) => g.name === GATEWAY)
        ?.agents.flatMap((x) => x.sessions);
      const pr = sessions?.find((s) => s.key === parent);
      const cr = sessions?.find((s) => s.key === pr?.family?.waitingOn?.[0]);
      [parentLabel, child, childLabel, childState] = [
        pr?.label ?? '',
        cr?.key ?? '',
        cr?.label ?? '',
        cr?.laneStatus ?? '',
      ];
      return WEDGED.includes(childState);
    });
    console.log(`    the tree: ${parentLabel} waits on "${childLabel}" (${child}), ${childState}`);

    // The official client: the parent has no run of its own and waits on that subagent, whose run is active.
    const rows = await officialRows();
    const p = rows.find((r) => r.key === parent);
    assert.ok(p?.childSessions?.includes(child), `the gateway lists ${child} under ${parent}: ${JSON.stringify(p)}`);
    assert.equal(p.hasActiveRun, false, 'the parent has no run of its own');
    assert.equal(rows.find((r) => r.key === child)?.hasActiveRun, true, 'the subagent’s run is active');
    parentSessionId = p.sessionId;
    assert.ok(parentSessionId, 'the parent row names its transcript (sessionId)');
  });

  after(async () => {
    win.showQuickPick = real.showQuickPick;
    await vscode.workspace
      .getConfiguration('lanewatch')
      .update('noProgressSeconds', undefined, vscode.ConfigurationTarget.Global);
    await op?.close();
  });

  /** The pick's words: the stuck subagent first, named as the tree names it, with what recovering it does. */
  function assertOffersSubagentFirst(seen: SeenPick) {
    const labels = seen.items.map((i) => i.label);
    console.log(`    the pick: ${seen.options?.title} | ${labels.join(' | ')}`);
    assert.equal(seen.options?.title, `Recover ${parentLabel}: it waits on ${childLabel}`);
    assert.deepEqual(labels, [
      `$(debug-restart) Recover the stuck subagent ${childLabel} (recommended)`,
      'Recover the parent itself',
      'Cancel',
    ]);
    assert.equal(seen.items[0].choice, 'subagent');
    assert.match(seen.options?.placeHolder ?? '', /is stuck: recovering it first keeps the parent's turn$/);
    // What recovering it does, in words (the exact sentence is the unit tests'): the subagent named and called stuck,
    // its run aborted, the parent then taking its turn.
    const first = seen.items[0].detail ?? '';
    assert.ok(first.includes(`waits on ${childLabel}, which is stuck`), first);
    assert.match(first, /Its run is aborted .*the parent then gets .*result and takes its turn\.$/);
    assert.match(seen.items[1].detail ?? '', /also cancels its subagents/);
    assert.equal(seen.items[2].detail, 'Nothing is done.');
  }

  it('Escape on the pick does nothing: the official client still sees the subagent’s run active', async () => {
    const audited = a.auditEntries().length;
    const msgs = watchMessages();
    try {
      const pick = answerNextQuickPick('escape');
      const result = await vscode.commands.executeCommand('lanewatch.recoverSession', node);
      assert.deepEqual(msgs.asked, [], 'no modal question: the pick is the question');
      assert.ok(pick.offered(), `no choice was offered: ${JSON.stringify(result)}`);
      assertOffersSubagentFirst(await pick.seen);
      assert.equal(result, undefined, JSON.stringify(result));
      assert.deepEqual(msgs.said, [], 'nothing is reported: nothing was done');
    } finally {
      msgs.dispose();
      win.showQuickPick = real.showQuickPick;
    }
    const entries = a.auditEntries().slice(audited);
    assert.deepEqual(
      entries.map((e) => [e.session, e.call, e.outcome]),
      [[parent, 'recover', 'cancelled by user']],
    );
    const [c, p] = [await officialRow(child), await officialRow(parent)];
    assert.equal(c?.hasActiveRun, true, 'the subagent’s run is still active');
    assert.equal(p?.sessionId, parentSessionId, 'the parent’s transcript is the same');
    assert.equal(p?.hasActiveRun, false);
  });

  it('Enter takes the subagent: reported freed; the official client sees its run ended and the parent not aborted or reset', async () => {
    const audited = a.auditEntries().length;
    const eventsBefore = op.events.length;
    const msgs = watchMessages();
    let report: any;
    try {
      const pick = answerNextQuickPick('enter');
      report = await vscode.commands.executeCommand('lanewatch.recoverSession', node);
      assert.deepEqual(msgs.asked, [], 'no modal question: the pick is the question');
      assert.ok(pick.offered(), `no choice was offered: ${JSON.stringify(report)?.slice(0, 500)}`);
      assertOffersSubagentFirst(await pick.seen);
    } finally {
      msgs.dispose();
      win.showQuickPick = real.showQuickPick;
    }
    // The extension's report: the subagent freed, every step on it, none on the parent.
    assert.equal(report?.verdict, 'freed', JSON.stringify(report));
    assert.equal(report.family?.subagent, child);
    assert.equal(report.family.subagentVerdict, 'freed');
    assert.ok(['no-longer-waiting', 'took-its-turn'].includes(report.family.parentAfter), report.summary);
    assert.ok(
      report.steps.every((s: any) => (s.params.key ?? s.params.sessionKey) === child),
      `every step on the subagent: ${JSON.stringify(report.steps.map((s: any) => [s.call, s.params]))}`,
    );
    // What the operator reads: the notification names the subagent freed.
    console.log(`    notification: ${msgs.said.join(' / ')}`);
    assert.equal(msgs.said.length, 1, JSON.stringify(msgs.said));
    // The outcome is the subagent's: the parent itself was not freed (nor touched), and the headline says whose it is.
    assert.ok(msgs.said[0].startsWith(`Recover ${parent}: its subagent ${childLabel} freed — `), msgs.said[0]);
    assert.ok(msgs.said[0].includes(`The subagent ${childLabel}: freed by aborting the run`), msgs.said[0]);
    // Operator words: the subagent by its label; its key (a UUID) stays in the details and the audit trail.
    assert.doesNotMatch(msgs.said[0], /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, msgs.said[0]);
    const entries = a.auditEntries().slice(audited);
    assert.ok(entries.some((e) => e.session === child && e.call === 'sessions.abort' && e.outcome === 'freed'));
    assert.ok(!entries.some((e) => e.session === parent && e.call !== 'recover'), JSON.stringify(entries));

    // The official client: the subagent's run is over; the parent kept its transcript, no run of it was aborted, and
    // the gateway no longer has it waiting on a running subagent.
    const [c, p] = [await officialRow(child), await officialRow(parent)];
    console.log(
      `    the gateway: subagent hasActiveRun ${c?.hasActiveRun}; parent status ${p?.status}, hasActiveRun ${p?.hasActiveRun}, hasActiveSubagentRun ${p?.hasActiveSubagentRun}, abortedLastRun ${p?.abortedLastRun}`,
    );
    assert.equal(c?.hasActiveRun, false, 'the subagent’s run is no longer active');
    assert.equal(p?.sessionId, parentSessionId, 'the parent was not reset: the same transcript');
    assert.ok(p.childSessions?.includes(child), 'the parent still lists its subagent');
    assert.notEqual(p.abortedLastRun, true, 'the parent’s last run was not aborted');
    assert.notEqual(p.hasActiveSubagentRun, true, 'the parent no longer waits on a running subagent');
    const events = op.events.slice(eventsBefore);
    const ended = (key: string) =>
      events.filter(
        (e: any) =>
          e.event === 'agent' &&
          e.payload?.sessionKey === key &&
          e.payload?.stream === 'lifecycle' &&
          e.payload?.data?.phase === 'end',
      );
    assert.ok(ended(child).length > 0, 'the gateway ended the subagent’s run');
    assert.ok(!ended(parent).some((e: any) => e.payload.data.aborted === true), 'no run of the parent was aborted');
  });
});
