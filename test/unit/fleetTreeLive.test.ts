// The Gateways tree in plain Node (`vscode` is test/shims/vscode.ts here) against a scripted gateway: row updates that change nothing shown cost no refresh (so a state change that follows goes out at once),
// and the tree, the status bar summary and `lanewatch status --json` say the same state, queue and age.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { Fleet } from '../../src/fleet/fleet';
import { reportFleet, summarizeFleet } from '../../src/report/fleetReport';
import { FleetTreeProvider, HOVER_HOLD_MS, type FleetNode } from '../../src/vscode/fleetTree';
import { REFRESH_SPACING_MS } from '../../src/vscode/fleetTreeRefresh';
import { laneText } from '../../src/protocol/laneView';
import { sessionLaneView } from '../../src/report/describe';
import { TranscriptModel } from '../../src/transcript/transcript';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const HUNG = 'agent:main:hung',
  IDLE = 'agent:main:idle';
const servers: ScriptedGateway[] = [];
const disposables: Array<{ dispose(): void }> = [];
after(async () => {
  for (const d of disposables) d.dispose();
  for (const s of servers) await s.close();
});

async function setup(initialQueue = 2, runAgeMs = 65_000, noProgressMs: number | (() => number) = 0) {
  const startedAt = Date.now() - runAgeMs;
  const rows = [
    { key: HUNG, sessionId: 'h', status: 'running', hasActiveRun: true, startedAt, agentId: 'main', updatedAt: 2 },
    { key: IDLE, sessionId: 'i', status: 'done', hasActiveRun: false, activeRunIds: [], agentId: 'main', updatedAt: 1 },
  ];
  let queued = initialQueue;
  const g = await ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: ['agents.list', 'sessions.subscribe', 'sessions.list', 'chat.history'],
        events: ['sessions.changed', 'agent', 'chat'],
      },
    },
    handleRequest: (method: string, params: any) => {
      switch (method) {
        case 'agents.list':
          return { defaultId: 'main', agents: [{ id: 'main' }] };
        case 'sessions.subscribe':
          return { subscribed: true };
        case 'sessions.list':
          return { sessions: rows, hasMore: false };
        case 'chat.history':
          return {
            sessionKey: params.sessionKey,
            messages: [],
            pendingInputs: {
              items: Array.from({ length: params.sessionKey === HUNG ? queued : 0 }, (_, i) => ({
                id: `q${i}`,
                state: 'queued',
              })),
              total: params.sessionKey === HUNG ? queued : 0,
            },
          };
        default:
          return {};
      }
    },
  });
  servers.push(g);
  const fleet = new Fleet({
    secrets: { get: async () => 't' },
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 5000,
    log: () => {},
    noProgressMs: typeof noProgressMs === 'function' ? noProgressMs : () => noProgressMs,
  });
  const tree = new FleetTreeProvider(fleet);
  disposables.push(tree, { dispose: () => fleet.setGateways([], []) });
  fleet.setGateways([{ name: 'gw', url: g.url, source: 'settings' }], []);
  const watcher = fleet.gateway('gw')!;
  const gatewayNode = () => tree.getChildren()[0];
  const sessionNode = (key: string) =>
    tree
      .getChildren(gatewayNode())
      .find((n): n is Extract<FleetNode, { kind: 'session' }> => n.kind === 'session' && n.key === key);
  const description = (key: string) => String(tree.getTreeItem(sessionNode(key)!).description);
  /** The next fire of the tree, with the time it came. */
  const nextFire = (ms = 5000) =>
    waitFor(
      (l) => tree.onDidChangeTreeData(l),
      () => ({ at: Date.now() }),
      ms,
    );
  // The tree fires until the row shows what the gateway said (and its queue, read after).
  const expected = initialQueue ? `${initialQueue} queued` : 'running';
  await waitFor(
    (l) => tree.onDidChangeTreeData(l),
    () => (sessionNode(HUNG) && description(HUNG).includes(expected) ? true : undefined),
  );
  return {
    g,
    fleet,
    tree,
    watcher,
    sessionNode,
    rows,
    startedAt,
    description,
    nextFire,
    setQueued: (n: number) => (queued = n),
  };
}

/** The age a row shows, in seconds; the tree shows whole minutes past the first one ("running 1m"). */
const ageSeconds = (description: string): number => {
  const m = /running (?:(\d+)m)?(?:(\d+)s)?/.exec(description);
  assert.ok(m && (m[1] || m[2]), `no age in "${description}"`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
};

/** The fires of the tree that rebuild the row of `key` (or everything), with when each came. */
function rowFires(t: Awaited<ReturnType<typeof setup>>, key: string) {
  const fires: Array<{ at: number; text: string }> = [];
  const sub = t.tree.onDidChangeTreeData((e) => {
    const nodes = Array.isArray(e) ? e : [e];
    if (nodes.some((n) => !n || n.kind === 'gateway' || (n.kind === 'session' && n.key === key)))
      fires.push({ at: Date.now(), text: t.description(key) });
  });
  disposables.push(sub);
  return { fires, stop: () => sub.dispose() };
}

describe('Gateways tree: refreshes for what rows show', () => {
  it('row updates that change nothing shown cost no refresh: the run end that follows is the one refresh (not queued behind them)', async () => {
    const t = await setup(0);
    const fires: Array<{ at: number; gateway: boolean }> = [];
    const sub = t.tree.onDidChangeTreeData((e) => {
      const nodes = Array.isArray(e) ? e : [e];
      fires.push({ at: Date.now(), gateway: nodes.some((n) => !n || n.kind === 'gateway') });
    });
    disposables.push(sub);
    // A burst of row updates of a running turn (tokens, updatedAt): the row still shows the same thing.
    for (let i = 0; i < 5; i++)
      t.g.broadcast({
        type: 'event',
        event: 'sessions.changed',
        payload: {
          sessionKey: HUNG,
          phase: 'message',
          session: { ...t.rows[0], updatedAt: 10 + i, totalTokens: 100 * i },
        },
      });
    // The watcher takes all five in; then the tree's next fire (the running row's clock tick) must not be a refresh.
    await waitFor(
      (l) => t.watcher.onDidChange(l),
      () => (t.watcher.session(HUNG)?.updatedAt === 14 ? true : undefined),
    );
    // Let the refresh slot of the setup's last fire pass, so that a fire for the burst (the old behaviour) would go
    // out on its own before the end arrives.
    await new Promise((r) => setTimeout(r, REFRESH_SPACING_MS + 50));
    // Then the run ends.
    t.g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: {
        sessionKey: HUNG,
        phase: 'end',
        session: { ...t.rows[0], status: 'done', hasActiveRun: false, activeRunIds: [], updatedAt: 20 },
      },
    });
    await waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      () => (/^idle/.test(t.description(HUNG)) ? true : undefined),
    );
    sub.dispose();
    const changeFires = fires.filter((f) => f.gateway);
    assert.equal(changeFires.length, 1, `the row updates refreshed the tree too: ${JSON.stringify(fires)}`);
  });

  it('a refresh after one row changed recomputes that row alone: the rest are kept (2,000 of them per gateway in the bench)', async () => {
    const t = await setup(0);
    const gateway = () => t.tree.getChildren().find((n) => n.kind === 'gateway')!;
    // What VS Code does when a gateway is named: its item, then every row under it.
    const reread = () => {
      t.tree.getTreeItem(gateway());
      return t.tree.getChildren(gateway()).map((n) => t.tree.getTreeItem(n).description);
    };
    reread();
    const asked: string[] = [];
    const laneStatus = t.watcher.laneStatus.bind(t.watcher);
    t.watcher.laneStatus = (key: string) => {
      asked.push(key);
      return laneStatus(key);
    };
    reread();
    assert.equal(asked.length, 0, `nothing changed, yet ${JSON.stringify(asked)} was recomputed`);
    // The idle session starts a run.
    t.g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: {
        sessionKey: IDLE,
        phase: 'start',
        session: { ...t.rows[1], status: 'running', hasActiveRun: true, startedAt: Date.now(), updatedAt: 30 },
      },
    });
    // The fire that names it (read nothing before: that is VS Code's refresh, next).
    await waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      (e: FleetNode | FleetNode[] | undefined) =>
        (Array.isArray(e) ? e : [e]).some((n) => n?.kind === 'session' && n.key === IDLE) ? true : undefined,
    );
    // Only what the refresh asks counts (the watcher asks for running rows' statuses itself, for its own timers).
    asked.length = 0;
    const texts = reread();
    assert.ok(texts.some((d) => /^running/.test(String(d))));
    assert.ok(!asked.includes(HUNG), `the unchanged row was recomputed: ${JSON.stringify(asked)}`);
  });

  it('the tree, the status bar summary, the transcript header and `status --json` agree on state, queue and age', async () => {
    const t = await setup();
    const now = Date.now();
    const report = reportFleet(t.fleet, now);
    const session = report.gateways[0].agents[0].sessions.find((s) => s.key === HUNG)!;
    const treeText = t.description(HUNG);
    // What the transcript panel posts for its header, rendered as its webview renders it (exact seconds).
    const panelText = laneText(sessionLaneView(t.watcher.laneStatus(HUNG)), now);
    assert.equal(session.laneStatus, 'running');
    assert.equal(session.queued, 2);
    assert.match(treeText, /^running 1m · 2 queued$/, 'the tree shows whole minutes past the first one');
    assert.equal(panelText, session.description, 'the transcript header reads as `lanewatch status`');
    assert.equal(ageSeconds(session.description), Math.floor((now - t.startedAt) / 1000));
    assert.equal(Math.floor(ageSeconds(session.description) / 60) * 60, ageSeconds(treeText));
    const summary = summarizeFleet(report);
    assert.match(summary.words, /1 running/);
  });

  it("a run's age ticks by itself: every second in its first minute, with no event", async () => {
    const t = await setup(0, 3_000);
    const first = ageSeconds(t.description(HUNG));
    const f = rowFires(t, HUNG);
    await waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      () => (f.fires.length >= 3 ? true : undefined),
      6_000,
    );
    f.stop();
    const ages = f.fires.map((x) => ageSeconds(x.text));
    assert.deepEqual(
      ages,
      [first + 1, first + 2, first + 3],
      `one rebuild per second, each a second older: ${JSON.stringify(f.fires)}`,
    );
  });

  it('past its first minute a row shows minutes and is rebuilt when the minute turns, not every second', async () => {
    const t = await setup(0, 118_500);
    assert.match(t.description(HUNG), /^running 1m$/);
    const f = rowFires(t, HUNG);
    await waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      () => (f.fires.length ? true : undefined),
      4_000,
    );
    f.stop();
    assert.equal(f.fires.length, 1, JSON.stringify(f.fires));
    assert.match(f.fires[0].text, /^running 2m$/);
  });

  it('a row whose tooltip VS Code asked for (the pointer rests on it) keeps its text, so the tooltip stays open', async () => {
    const t = await setup(0, 2_000);
    const node = t.sessionNode(HUNG)!;
    t.tree.resolveTreeItem(t.tree.getTreeItem(node), node);
    const f = rowFires(t, HUNG);
    // A ticking row is rebuilt within a second (previous test); this one must not be, for as long as one is read.
    await new Promise((r) => setTimeout(r, 2_500));
    f.stop();
    assert.deepEqual(f.fires, [], 'the row was rebuilt while its tooltip was open');
    assert.ok(HOVER_HOLD_MS >= 10_000);
  });

  it('a run that stays quiet turns "no progress" in the tree and the status bar by itself, with no event', async () => {
    // A run past its first minute: its row's clock next ticks at the minute turn, so only the watcher can say it.
    const t = await setup(0, 65_000, 1_500);
    assert.match(t.description(HUNG), /^running 1m$/);
    assert.equal(t.tree.attentionBadge(), undefined, 'a running session needs nobody yet');
    // The status bar and the tree's gateway counts refresh on the fleet's changes: one must come, and say it.
    await waitFor(
      (l) => t.fleet.onDidChange(l),
      () => (t.watcher.laneStatus(HUNG).state === 'no-progress' ? true : undefined),
      5_000,
    );
    await waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      () => (/^no progress for \d+s$/.test(t.description(HUNG)) ? true : undefined),
      5_000,
    );
    const report = reportFleet(t.fleet);
    assert.equal(report.gateways[0].agents[0].sessions.find((s) => s.key === HUNG)!.laneStatus, 'no-progress');
    assert.match(summarizeFleet(report).words, /1 no progress/);
    const gateway = t.tree.getChildren().find((n) => n.kind === 'gateway')!;
    const item = t.tree.getTreeItem(gateway);
    assert.match(String(item.description), /1 no progress/, JSON.stringify(item));
    // The view's badge counts it as needing attention.
    assert.deepEqual(t.tree.attentionBadge(), { value: 1, tooltip: '1 session needs attention' });
  });

  it('a row past "no progress" is rebuilt only when its text changes: its passed threshold arms no timer', async () => {
    const t = await setup(0, 65_000, 1_000);
    await waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      () => (/^no progress for \d+s$/.test(t.description(HUNG)) ? true : undefined),
      5_000,
    );
    // Each fire naming the row: what it shows then. A rebuild that shows the same text was for nothing, and one under
    // the pointer drops its tooltip (the UI test's hover of demo-wedged never got one while rows were rebuilt so).
    const shown: string[] = [t.description(HUNG)];
    const sub = t.tree.onDidChangeTreeData((e) => {
      if ((Array.isArray(e) ? e : [e]).some((n) => !n || (n.kind === 'session' && n.key === HUNG)))
        shown.push(t.description(HUNG));
    });
    disposables.push(sub);
    await new Promise((r) => setTimeout(r, 3_000));
    sub.dispose();
    assert.ok(shown.length >= 2, `the row's age did not move in 3 s: ${JSON.stringify(shown)}`);
    for (let i = 1; i < shown.length; i++)
      assert.notEqual(shown[i], shown[i - 1], `rebuilt with nothing new: ${JSON.stringify(shown)}`);
  });

  it("a row whose clock finds its state changed by time refreshes the gateway's counts too", async () => {
    // The limit lowered under a running row (a settings edit): no watcher timer knows; the row's own tick finds it.
    let limit = 0;
    const t = await setup(0, 3_000, () => limit);
    limit = 1;
    const gatewayText = () =>
      String(t.tree.getTreeItem(t.tree.getChildren().find((n) => n.kind === 'gateway')!).description);
    let gatewayFired = false;
    const sub = t.tree.onDidChangeTreeData((e) => {
      if ((Array.isArray(e) ? e : [e]).some((n) => !n || n.kind === 'gateway')) gatewayFired = true;
    });
    disposables.push(sub);
    await waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      () => (/^no progress for/.test(t.description(HUNG)) && gatewayFired ? true : undefined),
      5_000,
    );
    sub.dispose();
    assert.match(gatewayText(), /1 no progress/);
  });

  it("after a recovery the open transcript's read of the queue reaches the tree: no manual Refresh", async () => {
    const t = await setup(2, 5_000);
    assert.match(t.description(HUNG), /2 queued/);
    // The gateway cancels the queue (an abort) and says nothing the watcher would re-read the queue for.
    t.setQueued(0);
    const model = new TranscriptModel({ api: t.watcher.api, sessionKey: HUNG, evidence: t.watcher.evidenceSource() });
    disposables.push(model);
    await model.start();
    await waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      () => (!/queued/.test(t.description(HUNG)) ? true : undefined),
      3_000,
    );
    assert.equal(model.pending().length, 0);
    assert.equal(reportFleet(t.fleet).gateways[0].agents[0].sessions.find((s) => s.key === HUNG)!.queued, 0);
  });
});
