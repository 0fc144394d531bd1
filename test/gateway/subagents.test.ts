// Subagent sessions under their parent against a real gateway (issue 16 items 1, 4 and 5), one shared 2026.9.6 gateway
// (~210 s: two tests wait for the gateway to give a parent its turn after its subagent is aborted, 33-66 s, and the
// nested one for two such hand-backs, measured 112-116 s in all).
// A real agent turn (the fake model's [[spawn:…]] [[yield]] markers: a sessions_spawn tool call, then sessions_yield)
// spawns a real subagent whose own model call hangs ([[hang]] in its task). Lanewatch shows it under the parent, the
// parent "waiting on" it and, once the hung subagent makes no progress, saying so. Read through `status --json`
// (reportFleet): the same family model (src/fleet/sessionFamily.ts) and row words (describeSession) as the tree, whose
// nesting, collapse and icons test/unit/sessionFamily.test.ts checks (the tree needs the vscode stand-in, built for
// unit tests only). Every fact is checked against the official client's rows and events. 2026.3.24 and 2026.4.26 (probed
// on both; run on 2026.3.24, where a gateway starts in seconds): their rows name the parent (parentSessionKey,
// spawnedBy) and the parent lists its subagents (childSessions), so subagents nest there too; 2026.4.26 adds spawnDepth
// and subagentRole. Neither keeps a yielded parent's turn open (its row says "done", its lifecycle end says nothing of
// a yield), so there is no "waiting on" to show.
// Recovery (item 4): `lanewatch recover <parent>` on a parent waiting on a hung subagent recovers the subagent, never
// the parent; the official client sees the subagent free and the parent's next turn, not aborted.
// Nested waits (issue 16): 2026.9.6 nests by default (docs/tools/subagents/nesting.md: "By default, sub-agents can
// recursively delegate through depth `5`", agents.defaults.subagents.maxSpawnDepth). A parent P yields on its subagent C,
// which spawns its own subagent G and yields in turn (the fake model's nested [[spawn:…]] markers); G hangs. P must read
// as waiting on C (which waits on G), never as a zombie, and `lanewatch recover P` recovers G, after which the gateway
// hands the results back up: C's turn, then P's.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { Fleet } from '../../src/fleet/fleet';
import type { GatewayWatcher } from '../../src/fleet/gatewayWatcher';
import { buildSessionFamily } from '../../src/fleet/sessionFamily';
import { reportFleet, summarizeFleet, type SessionReport } from '../../src/report/fleetReport';
import { runCli } from '../support/cli';
import { importFixture } from '../support/fixtures';
import { on, VERSION } from '../support/scope';

const LONG = { timeout: 240_000 };
const ONLY_9 = on(['2026.9'], 'only 2026.9 keeps a yielded parent waiting (see the 2026.3.24 test)');
const OLD = on(['2026.3'], '2026.4.26 nests alike (probed; its rows add spawnDepth and subagentRole)');
/** A hung subagent reads "no progress" after this long without an event (lanewatch.noProgressSeconds). */
const NO_PROGRESS_MS = 4_000;
// Not the agent's main session, which the gateway does not delete: the last test deletes this one.
const PARENT = 'agent:main:delegator';
const nonce = crypto.randomBytes(3).toString('hex');
const TASK = `research ${nonce}`;

let gw: any, fake: any, fixtures: any, op: any, fleet: Fleet, watcher: GatewayWatcher;
let childKey = '';
const log: string[] = [];

before(async () => {
  if (ONLY_9.skip && OLD.skip) return;
  fixtures = await importFixture('openclaw-gateway');
  const seed = await importFixture('seed-demo');
  const root = mkdtempSync(path.join(os.tmpdir(), 'lw-subagents-'));
  fake = await fixtures.startFakeModel({ logFile: path.join(root, 'fake-model.jsonl') });
  log.push(`# fake model log: ${path.join(root, 'fake-model.jsonl')}`);
  gw = await fixtures.startGateway({ root, name: 'subagents', modelBaseUrl: `${fake.url}/v1` });
  // The official client: the oracle for the gateway's rows and events.
  op = await seed.connectOperator({ url: gw.url, token: gw.token, requestTimeoutMs: 60_000 });
  fleet = new Fleet({
    secrets: { get: async () => gw.token },
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: '0.1.0-it',
    requestTimeoutMs: 60_000,
    log: (level, m) => log.push(`${level} ${m}`),
    noProgressMs: () => NO_PROGRESS_MS,
    env: {},
  });
  fleet.setGateways([{ name: 'subagents', url: gw.url, source: 'settings' }], []);
  watcher = fleet.gateway('subagents')!;
  await watcher.connection.waitForConnected(120_000);
}, LONG);

after(async () => {
  fleet?.setGateways([], []);
  await op?.close?.();
  await fixtures?.cleanupAll();
});

/** What `lanewatch status --json` says of each session now. */
function sessions(): Map<string, SessionReport> {
  const report = reportFleet(fleet);
  return new Map(report.gateways[0].agents.flatMap((a) => a.sessions).map((x) => [x.key, x]));
}
/** The sessions shown at the top (no listed parent), as the tree lists them. */
const topKeys = () => buildSessionFamily(watcher.sessionRows()).roots();
const parentText = () => sessions().get(PARENT)?.description ?? '(not listed)';

/** Resolves once `check` holds, checked now and at every change the watcher reports; the parent's words on timeout. */
function until<T>(check: () => T | undefined, what: string, ms = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      const value = check();
      if (value === undefined) return false;
      clearTimeout(timer);
      sub.dispose();
      resolve(value);
      return true;
    };
    const sub = watcher.onDidChange(() => done());
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${what}: not within ${ms} ms; parent row: ${parentText()}`));
    }, ms);
    done();
  });
}

/** The fake model's counters once `pick` holds (read every 250 ms; the fake model process sends no events). */
async function fakeStatsUntil(pick: (stats: any) => boolean, ms: number): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const stats = await fake.stats();
    if (pick(stats)) return stats;
    if (Date.now() > deadline) throw new Error(`fake model: not within ${ms} ms: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const officialRows = async (): Promise<any[]> => (await op.request('sessions.list', {})).sessions ?? [];

/** The `lanewatch` CLI against the shared gateway, in its own state directory; the token in its environment. */
const lanewatch = (args: string[]) =>
  runCli([...args, '--gateway', gw.url, '--token-env', 'LW_SUBAGENTS_TOKEN'], {
    LW_SUBAGENTS_TOKEN: gw.token,
    LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-subagents-cli-')),
  });

const lifecycle = (key: string, phase: string) => (e: any) =>
  e.event === 'agent' &&
  e.payload?.sessionKey === key &&
  e.payload?.stream === 'lifecycle' &&
  e.payload?.data?.phase === phase;

describe(`subagents under their parent (openclaw ${VERSION})`, () => {
  it(
    'a real agent turn spawns a subagent: shown under its parent, which waits on it, as the official client sees it',
    { ...LONG, ...ONLY_9 },
    async () => {
      const hangingBefore = (await fake.stats()).hanging;
      const sent = await op.request('chat.send', {
        sessionKey: PARENT,
        message: `delegate ${nonce} [[spawn:${TASK} [[hang]]]] [[yield]]`,
        idempotencyKey: `subagents-${nonce}`,
      });
      // The parent's turn ends in sessions_yield: the gateway's own lifecycle end says so (yielded, paused).
      const yielded = await op.waitForEvent(
        (e: any) =>
          e.event === 'agent' &&
          e.payload?.runId === sent.runId &&
          e.payload?.stream === 'lifecycle' &&
          e.payload?.data?.phase === 'end',
        { timeoutMs: 120_000, description: `the end of the parent's turn ${sent.runId}` },
      );
      assert.equal(yielded.payload.data.yielded, true, 'the parent’s turn ended in sessions_yield');
      assert.equal(yielded.payload.data.livenessState, 'paused');

      // Lanewatch: the subagent under the parent, the parent waiting on it.
      const p = await until(() => {
        const x = sessions().get(PARENT);
        return x?.family?.children.length && /^waiting on /.test(x.description) ? x : undefined;
      }, 'the subagent under its parent, the parent waiting on it');
      childKey = p.family!.children[0];
      const c = sessions().get(childKey)!;
      log.push(`# parent row: ${p.description}; subagent row: ${c.label}: ${c.description}`);

      // The official client's rows: the same subagent, its lineage, and the parent holding its yield open.
      const rows = await officialRows();
      const officialChild = rows.find((r) => r.key === childKey);
      const officialParent = rows.find((r) => r.key === PARENT);
      assert.ok(officialChild, `the gateway lists ${childKey}`);
      assert.match(childKey, /^agent:main:subagent:[0-9a-f-]{36}$/);
      assert.equal(officialChild.parentSessionKey, PARENT);
      assert.equal(officialChild.spawnedBy, PARENT);
      assert.equal(officialChild.createdVia, 'spawn');
      assert.equal(officialChild.hasActiveRun, true, 'its own run is at the model, hung');
      assert.equal(officialChild.label, TASK, 'the label the spawn gave it');
      assert.deepEqual(officialParent.childSessions, [childKey]);
      assert.equal(officialParent.status, 'running');
      assert.equal(officialParent.hasActiveRun, false, 'no run of its own while it waits');
      assert.equal(officialParent.hasActiveSubagentRun, true);
      // The subagent's own turn reaches the model a moment after the spawn (its workspace is prepared first). The fake
      // model is a separate process with no event to await: its counters are read until the call arrives.
      const stats = await fakeStatsUntil((x) => x.hanging > hangingBefore, 60_000);
      assert.equal(stats.byMode.hang, 1, `the subagent’s model call is the one hanging: ${JSON.stringify(stats)}`);
      // Only sessions with no parent at the top; the subagent's depth and role as the gateway reports them.
      assert.ok(topKeys().includes(PARENT) && !topKeys().includes(childKey), 'not also listed at the top');
      assert.equal(p.description.split(' · ')[0], `waiting on ${TASK}`);
      assert.equal(c.label, TASK);
      assert.deepEqual(p.family?.waitingOn, [childKey]);
      assert.equal(p.laneStatus, 'idle', 'its own lane is free: not a zombie for the watchdog');
      assert.match(c.laneStatus, /^(running|no-progress)$/, 'its own lane status: a run at work');
      assert.equal(c.family?.parent, PARENT);
      assert.equal(c.family?.depth, officialChild.spawnDepth);
      assert.equal(c.family?.role, officialChild.subagentRole);
    },
  );

  it('the hung subagent makes no progress: the parent’s row says so', { ...LONG, ...ONLY_9 }, async () => {
    assert.ok(childKey, 'needs the subagent of the test before');
    const p = await until(
      () => (/1 no progress$/.test(parentText()) ? sessions().get(PARENT) : undefined),
      'the parent rolling up its hung subagent',
    );
    log.push(`# parent row: ${p.description}`);
    assert.equal(p.description, `waiting on ${TASK} · 1 subagent: 1 no progress`);
    assert.deepEqual(p.family?.descendants, { 'no-progress': 1 });
    assert.ok(
      p.facts.some(
        (f) => f.rule === 'family.waiting-on' && f.text === `waiting on ${TASK}, which is making no progress`,
      ),
    );
    const c = sessions().get(childKey)!;
    assert.equal(c.laneStatus, 'no-progress');
    assert.match(c.description, /^no progress for \d+s/);
    // The official client: the subagent's run is still active, the parent still has none of its own.
    const rows = await officialRows();
    assert.equal(rows.find((r) => r.key === childKey).hasActiveRun, true);
    assert.equal(rows.find((r) => r.key === PARENT).hasActiveRun, false);
    assert.match(
      summarizeFleet(reportFleet(fleet)).words,
      /^Lanewatch: 1 no progress$/,
      'the hung subagent is the one session needing attention, not its parent too',
    );
  });

  it(
    'protocol 3: a real spawn nests under its parent; the parent’s row says nothing of waiting, as the gateway keeps none',
    { ...LONG, ...OLD },
    async () => {
      const sent = await op.request('chat.send', {
        sessionKey: PARENT,
        message: `delegate ${nonce} [[spawn:${TASK}]] [[yield]]`,
        idempotencyKey: `subagents-${nonce}`,
      });
      const p = await until(() => {
        const x = sessions().get(PARENT);
        return x?.family?.children.length ? x : undefined;
      }, 'the subagent under its parent');
      const key = p.family!.children[0];
      const rows = await officialRows();
      const officialChild = rows.find((r) => r.key === key);
      assert.equal(officialChild.spawnedBy, PARENT);
      // 2026.4.26 lists the subagent with spawnedBy alone at first, parentSessionKey a moment later.
      assert.ok([undefined, PARENT].includes(officialChild.parentSessionKey), officialChild.parentSessionKey);
      assert.ok(rows.find((r) => r.key === PARENT).childSessions.includes(key));
      const c = sessions().get(key)!;
      assert.equal(c.family?.parent, PARENT);
      assert.equal(c.label, TASK);
      assert.equal(c.family?.depth, officialChild.spawnDepth, 'the depth only where the gateway reports one');
      assert.ok(topKeys().includes(PARENT) && !topKeys().includes(key));
      // The parent's turn ended without a yield the gateway keeps: nothing says it waits.
      const end = await op.waitForEvent(
        (e: any) =>
          e.event === 'agent' &&
          e.payload?.runId === sent.runId &&
          e.payload?.stream === 'lifecycle' &&
          e.payload?.data?.phase === 'end',
        { timeoutMs: 120_000, description: `the end of the parent's turn ${sent.runId}` },
      );
      assert.equal(end.payload.data.yielded, undefined);
      assert.doesNotMatch(sessions().get(PARENT)!.description, /waiting/);
      assert.equal(sessions().get(PARENT)!.family?.waitingOn, undefined);
      log.push(`# ${VERSION} parent row: ${sessions().get(PARENT)!.description}; subagent: ${c.description}`);
      console.log(log.filter((l) => l.startsWith('#')).join('\n'));
    },
  );

  it(
    'the subagent’s run ends: the parent is no longer waiting and takes its turn',
    { ...LONG, ...ONLY_9 },
    async () => {
      assert.ok(childKey, 'needs the subagent of the tests before');
      assert.ok((await fake.release()) >= 1, 'the hung model call released (answered with an error)');
      await until(() => (!/^waiting on/.test(parentText()) ? true : undefined), 'the parent no longer waiting');
      // The official client: the subagent's run has ended, and the gateway gave the parent its next turn.
      const ended = await op.waitForEvent(
        (e: any) =>
          e.event === 'agent' &&
          e.payload?.sessionKey === PARENT &&
          e.payload?.stream === 'lifecycle' &&
          e.payload?.data?.phase === 'start' &&
          !String(e.payload?.runId).startsWith('subagents-'),
        { timeoutMs: 120_000, description: 'the parent’s turn after its subagent settled' },
      );
      assert.ok(ended);
      const rows = await officialRows();
      assert.equal(rows.find((r) => r.key === childKey).hasActiveRun, false);
    },
  );
  it('the parent deleted: its subagent is shown as an orphan', { ...LONG, ...ONLY_9 }, async () => {
    assert.ok(childKey, 'needs the subagent of the tests before');
    await op.request('sessions.delete', { key: PARENT });
    const c = await until(() => {
      const x = sessions().get(childKey);
      return x?.family?.orphanOf ? x : undefined;
    }, 'the subagent shown as an orphan');
    const rows = await officialRows();
    assert.ok(!rows.some((r) => r.key === PARENT), 'the gateway no longer lists the parent');
    const official = rows.find((r) => r.key === childKey);
    assert.ok(official, 'the gateway still lists the subagent');
    assert.equal(official.parentSessionKey ?? official.spawnedBy, PARENT, 'its row still names the parent');
    assert.equal(c.family?.orphanOf, PARENT);
    assert.match(c.description, /orphan: parent gone$/);
    assert.ok(topKeys().includes(childKey), 'shown at the top, not lost');
    log.push(`# orphan row: ${c.label}: ${c.description}`);
    console.log(log.filter((l) => l.startsWith('#')).join('\n'));
  });
  it(
    'lanewatch recover <parent> on a parent waiting on a hung subagent recovers the subagent: freed, and the parent takes its turn, not aborted',
    { ...LONG, ...ONLY_9 },
    async () => {
      // A parent of its own (the one above is deleted), whose subagent's model call hangs.
      const parent = 'agent:main:rescuer';
      const task = `rescue ${nonce}`;
      const hangingBefore = (await fake.stats()).hanging;
      const sent = await op.request('chat.send', {
        sessionKey: parent,
        message: `delegate ${nonce} [[spawn:${task} [[hang]]]] [[yield]]`,
        idempotencyKey: `rescue-${nonce}`,
      });
      await op.waitForEvent((e: any) => lifecycle(parent, 'end')(e) && e.payload.runId === sent.runId, {
        timeoutMs: 120_000,
        description: 'the parent’s turn ending in sessions_yield',
      });
      await fakeStatsUntil((x) => x.hanging > hangingBefore, 60_000);
      // The official client: the parent waits (no run of its own) on a subagent whose run is active.
      const rows = await officialRows();
      const before = rows.find((r) => r.key === parent);
      const child = rows.find((r) => r.parentSessionKey === parent)?.key;
      assert.ok(child, `the gateway lists the subagent of ${parent}`);
      assert.deepEqual(before.childSessions, [child]);
      assert.equal(before.hasActiveRun, false);
      assert.equal(rows.find((r) => r.key === child).hasActiveRun, true, 'the subagent’s run hangs');

      const t0 = Date.now();
      const r = await lanewatch(['recover', parent, '--yes', '--json']);
      log.push(`# lanewatch recover ${parent}: exit ${r.code}; ${JSON.parse(r.stdout || '{}').summary ?? r.stderr}`);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(r.stdout);
      assert.equal(report.family?.subagent, child, 'the subagent is what was recovered');
      assert.match(report.summary, new RegExp(`waits on ${task}, which is `));
      assert.ok(
        report.steps.every((s: any) => s.params.key === child || s.params.sessionKey === child),
        'every step acted on the subagent, none on the parent',
      );

      // The official client: the subagent has no active run; the parent takes its next turn and it is not aborted.
      const freed = await officialRows();
      assert.equal(freed.find((x) => x.key === child).hasActiveRun, false, 'the subagent is free');
      assert.equal(
        freed.find((x) => x.key === parent).hasActiveRun,
        false,
        'nothing was started or ended on the parent',
      );
      const pending = sessions().get(parent);
      log.push(`# the parent while its turn is pending (Lanewatch): ${pending?.laneStatus}: ${pending?.description}`);
      // Not a zombie: the gateway is handing the subagent's result back (the watchdog acts on stale).
      assert.notEqual(pending?.laneStatus, 'stale', `the parent while its turn is pending: ${pending?.description}`);
      // 2026.9.6 starts the parent's turn once it has delivered the subagent's (cancelled) result: within about a minute
      // of the abort (33-66 s measured; tasks.list shows the delivery pending meanwhile).
      const turn = await op.waitForEvent((e: any) => lifecycle(parent, 'start')(e) && e.payload.runId !== sent.runId, {
        timeoutMs: 150_000,
        description: 'the parent’s turn after its subagent was recovered',
      });
      log.push(`# the parent's turn started ${Math.round((Date.now() - t0) / 1000)} s after lanewatch recover began`);
      const end = await op.waitForEvent(
        (e: any) => lifecycle(parent, 'end')(e) && e.payload.runId === turn.payload.runId,
        {
          timeoutMs: 60_000,
          description: `the end of the parent’s turn ${turn.payload.runId}`,
        },
      );
      assert.notEqual(end.payload.data.aborted, true, 'the parent’s turn was not aborted');
      assert.equal(report.family.parentAfter, 'no-longer-waiting', report.summary);
      console.log(log.filter((l) => l.startsWith('#')).join('\n'));
    },
  );
  it(
    'nested: a parent waits on a subagent that yielded in turn, whose own subagent hangs: waiting, not a zombie; lanewatch recover <parent> recovers the deepest, and the results go back up',
    { timeout: 420_000, ...ONLY_9 },
    async () => {
      const parent = 'agent:main:nester';
      const relay = `relay ${nonce}`;
      const deep = `deep ${nonce}`;
      const hangingBefore = (await fake.stats()).hanging;
      const sent = await op.request('chat.send', {
        sessionKey: parent,
        message: `delegate ${nonce} [[spawn:${relay} [[spawn:${deep} [[hang]]]] [[yield]]]] [[yield]]`,
        idempotencyKey: `nested-${nonce}`,
      });
      const parentEnd = await op.waitForEvent(
        (e: any) => lifecycle(parent, 'end')(e) && e.payload.runId === sent.runId,
        { timeoutMs: 120_000, description: 'the parent’s turn ending in sessions_yield' },
      );
      assert.equal(parentEnd.payload.data.yielded, true);
      await fakeStatsUntil((x) => x.hanging > hangingBefore, 90_000);

      // The official client: P and C have no run of their own, each lists the next, G's run is the active one.
      const rows = await officialRows();
      const p = rows.find((r) => r.key === parent);
      const c = rows.find((r) => r.parentSessionKey === parent);
      assert.ok(c, `the gateway lists the subagent of ${parent}`);
      const g = rows.find((r) => r.parentSessionKey === c.key);
      assert.ok(g, `the gateway lists the subagent of ${c.key}`);
      log.push(
        `# nested rows: P status ${p.status} run ${p.hasActiveRun}; C status ${c.status} run ${c.hasActiveRun} depth ${c.spawnDepth}; G status ${g.status} run ${g.hasActiveRun} depth ${g.spawnDepth}`,
      );
      assert.equal(p.status, 'running');
      assert.equal(p.hasActiveRun, false, 'the parent has no run of its own');
      assert.deepEqual(p.childSessions, [c.key]);
      assert.equal(c.label, relay);
      assert.equal(c.hasActiveRun, false, 'the subagent between has no run of its own either');
      assert.ok([undefined, 'running'].includes(c.status), `not ended: status ${c.status}`);
      assert.deepEqual(c.childSessions, [g.key]);
      assert.equal(c.hasActiveSubagentRun, true);
      assert.equal(g.label, deep);
      assert.equal(g.hasActiveRun, true, 'the deepest subagent’s run is the active one (its model call hangs)');
      assert.equal(g.spawnDepth, 2);
      // C's own turn ended in sessions_yield too (the gateway's lifecycle end says so).
      const cEnd = await op.waitForEvent((e: any) => lifecycle(c.key, 'end')(e), {
        timeoutMs: 10_000,
        description: 'the end of the subagent’s turn',
      });
      assert.equal(cEnd.payload.data.yielded, true, 'the subagent between yielded in turn');

      // Lanewatch (status --json, the tree's words): P waits on C and says C waits on G; G's no progress rolled up.
      const waiting = await until(() => {
        const x = sessions().get(parent);
        return x && /1 no progress$/.test(x.description) ? x : undefined;
      }, 'the parent waiting on the subagent between, its hung grandchild rolled up');
      log.push(`# nested parent row: ${waiting.laneStatus}: ${waiting.description}`);
      assert.equal(waiting.laneStatus, 'idle', 'not "stale": the watchdog and recover act on stale');
      assert.equal(waiting.description, `waiting on ${relay} · 1 subagent: 1 no progress`);
      assert.deepEqual(waiting.family?.waitingOn, [c.key]);
      const own = waiting.facts.find((f) => f.rule === 'p4.waiting-on-subagent');
      assert.ok(own && own.text.includes(c.key) && own.text.includes(g.key), JSON.stringify(waiting.facts));
      assert.ok(
        waiting.facts.some(
          (f) =>
            f.rule === 'family.waiting-on' &&
            f.text === `waiting for ${relay}, which waits for its own subagent ${deep}, which is making no progress`,
        ),
        JSON.stringify(waiting.facts),
      );
      const between = sessions().get(c.key)!;
      assert.equal(between.laneStatus, 'idle');
      assert.deepEqual(between.family?.waitingOn, [g.key]);
      assert.equal(sessions().get(g.key)?.laneStatus, 'no-progress');
      const words = summarizeFleet(reportFleet(fleet)).words;
      assert.doesNotMatch(words, /stale/, `no false zombie in the summary: ${words}`);

      // From here until P's turn starts, every state Lanewatch shows for P (at each change the watcher reports): the
      // results come back up one level at a time (about a minute each on 2026.9.6 after an abort), never a zombie.
      const shown = new Map<string, number>();
      const note = () => {
        const x = sessions().get(parent);
        if (x) shown.set(x.laneStatus, (shown.get(x.laneStatus) ?? 0) + 1);
      };
      const recorder = watcher.onDidChange(note);

      // lanewatch recover P: the deepest subagent is what is recovered, nothing done to P or C.
      const t0 = Date.now();
      const r = await lanewatch(['recover', parent, '--yes', '--json']);
      log.push(`# lanewatch recover ${parent}: exit ${r.code}; ${JSON.parse(r.stdout || '{}').summary ?? r.stderr}`);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(r.stdout);
      assert.equal(report.family?.subagent, g.key, 'the deepest subagent is what was recovered');
      assert.deepEqual(report.family?.via, [c.key]);
      assert.match(
        report.summary,
        new RegExp(`waits on ${relay}, which waits for its own subagent ${deep}, which is `),
      );
      assert.ok(
        report.steps.every((x: any) => x.params.key === g.key || x.params.sessionKey === g.key),
        'every step acted on the deepest subagent',
      );
      assert.ok(['took-its-turn', 'no-longer-waiting'].includes(report.family.parentAfter), report.summary);

      // The official client: G is free; the gateway hands its result to C, which takes its turn, then C's to P, whose
      // turn is not aborted.
      assert.equal((await officialRows()).find((x) => x.key === g.key).hasActiveRun, false, 'the subagent is free');
      // Meanwhile Lanewatch: P awaits the result coming up through C, from G's end (not from C's older yield).
      const pending = await until(() => {
        const x = sessions().get(parent);
        const f = x?.facts.find((y) => y.rule === 'p4.awaiting-subagent-result');
        return f?.text.includes(g.key) ? x : undefined;
      }, 'the parent awaiting the result through the subagent between');
      log.push(`# nested parent while the results come back up: ${pending.laneStatus}: ${pending.description}`);
      assert.deepEqual(pending.family?.waitingOn, [c.key]);
      const cTurn = await op.waitForEvent(
        (e: any) => lifecycle(c.key, 'start')(e) && e.payload.runId !== cEnd.payload.runId,
        { timeoutMs: 150_000, description: 'the subagent between taking its turn' },
      );
      log.push(`# nested: C's turn started ${Math.round((Date.now() - t0) / 1000)} s after lanewatch recover began`);
      await op.waitForEvent((e: any) => lifecycle(c.key, 'end')(e) && e.payload.runId === cTurn.payload.runId, {
        timeoutMs: 60_000,
        description: 'the end of the subagent’s turn',
      });
      log.push(`# nested: C's turn ended ${Math.round((Date.now() - t0) / 1000)} s after lanewatch recover began`);
      const pTurn = await op.waitForEvent((e: any) => lifecycle(parent, 'start')(e) && e.payload.runId !== sent.runId, {
        timeoutMs: 150_000,
        description: 'the parent’s turn after the results came back up',
      });
      log.push(`# nested: P's turn started ${Math.round((Date.now() - t0) / 1000)} s after lanewatch recover began`);
      recorder.dispose();
      log.push(`# nested: P's states shown meanwhile (changes seen): ${JSON.stringify(Object.fromEntries(shown))}`);
      assert.ok(!shown.has('stale'), `P never shown as a zombie while the results came back up`);
      const pTurnEnd = await op.waitForEvent(
        (e: any) => lifecycle(parent, 'end')(e) && e.payload.runId === pTurn.payload.runId,
        { timeoutMs: 60_000, description: `the end of the parent’s turn ${pTurn.payload.runId}` },
      );
      assert.notEqual(pTurnEnd.payload.data.aborted, true, 'the parent’s turn was not aborted');
      console.log(log.filter((l) => l.startsWith('#')).join('\n'));
    },
  );
});
