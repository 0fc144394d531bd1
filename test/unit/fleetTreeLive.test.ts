// The Gateways tree in plain Node (`vscode` is test/shims/vscode.ts here) against a scripted gateway: row updates that change nothing shown cost no refresh (so a state change that follows goes out at once),
// and the tree, the status bar summary and `lanewatch status --json` say the same state, queue and age.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { Fleet } from '../../src/fleet/fleet';
import { reportFleet, summarizeFleet } from '../../src/report/fleetReport';
import { FleetTreeProvider, REFRESH_SPACING_MS, type FleetNode } from '../../src/vscode/fleetTree';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const HUNG = 'agent:main:hung',
  IDLE = 'agent:main:idle';
const servers: ScriptedGateway[] = [];
const disposables: Array<{ dispose(): void }> = [];
after(async () => {
  for (const d of disposables) d.dispose();
  for (const s of servers) await s.close();
});

async function setup(initialQueue = 2) {
  const startedAt = Date.now() - 65_000;
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
    rows,
    startedAt,
    description,
    nextFire,
    setQueued: (n: number) => (queued = n),
  };
}

const ageSeconds = (description: string): number => {
  const m = /running (?:(\d+)m)?(\d+)s/.exec(description);
  assert.ok(m, `no age in "${description}"`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
};

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

  it('the tree, the status bar summary and `status --json` agree on state, queue and age', async () => {
    const t = await setup();
    const now = Date.now();
    const report = reportFleet(t.fleet, now);
    const session = report.gateways[0].agents[0].sessions.find((s) => s.key === HUNG)!;
    const treeText = t.description(HUNG);
    assert.equal(session.laneStatus, 'running');
    assert.equal(session.queued, 2);
    assert.match(treeText, /2 queued/);
    assert.ok(
      Math.abs(ageSeconds(treeText) - ageSeconds(session.description)) <= 1,
      `${treeText} vs ${session.description}`,
    );
    assert.equal(ageSeconds(session.description), Math.floor((now - t.startedAt) / 1000));
    const summary = summarizeFleet(report);
    assert.match(summary.words, /1 running/);
  });
});
