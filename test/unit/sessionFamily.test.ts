// Subagent sessions under their parent (issue 16 item 1), from scripted rows shaped as a real 2026.9.6 gateway sends
// them (test/gateway/subagents.test.ts reads them from a real one): the family model (parents, children, depth as the
// gateway reports it, orphans, the roll-up of the children's worst state), a parent in sessions_yield waiting on its
// subagent, and the Gateways tree nesting them (collapsed, counted, readable with hundreds), the same in `status --json`.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import type { SessionRowView } from '../../src/gateway';
import { Fleet } from '../../src/fleet/fleet';
import { buildSessionFamily, familyView, rolledUpState } from '../../src/fleet/sessionFamily';
import {
  deriveLaneStatus,
  SUBAGENT_HANDBACK_MS,
  type LaneState,
  type LaneStatus,
  type SessionEvidence,
} from '../../src/lanes/laneStatus';
import { describeSession, sessionLabel } from '../../src/report/describe';
import { reportFleet } from '../../src/report/fleetReport';
import { FleetTreeProvider, type FleetNode } from '../../src/vscode/fleetTree';
import { TreeItemCollapsibleState } from '../shims/vscode';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const NOW = 1_796_262_400_000;
const PARENT = 'agent:main:main';
const CHILD = 'agent:main:subagent:435cb5b9-801f-427e-a84c-a98001b80810';

/** A subagent row as 2026.9.6 lists it right after a sessions_spawn tool call. */
function childRow(key: string, parent: string, extra: Partial<SessionRowView> = {}): SessionRowView {
  return {
    key,
    kind: 'direct',
    status: 'running',
    hasActiveRun: true,
    spawnedBy: parent,
    parentSessionKey: parent,
    controlOwnerSessionKey: parent,
    spawnDepth: 1,
    subagentRole: 'orchestrator',
    subagentControlScope: 'children',
    createdVia: 'spawn',
    subagentRunState: 'active',
    hasActiveSubagentRun: true,
    agentId: 'main',
    ...extra,
  };
}
/** The parent after its turn ended in sessions_yield: the row stays "running" with no run of its own. */
const yieldedParent = (children: string[], extra: Partial<SessionRowView> = {}) =>
  ({
    key: PARENT,
    kind: 'direct',
    status: 'running',
    hasActiveRun: false,
    activeRunIds: [],
    childSessions: children,
    createdVia: 'operator',
    hasActiveSubagentRun: true,
    agentId: 'main',
    ...extra,
  }) as SessionRowView;

function statusOf(rows: SessionRowView[], key: string): LaneStatus {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const ev: SessionEvidence = {
    now: NOW,
    connected: true,
    protocol: 4,
    row: byKey.get(key),
    trackedRuns: [],
    childRow: (k) => byKey.get(k),
  };
  return deriveLaneStatus(ev);
}

describe('session family: the gateway’s row fields', () => {
  it('children under the parent their rows name, depth and role as the gateway reports them', () => {
    const grandchild = 'agent:main:subagent:g1';
    const rows = [
      yieldedParent([CHILD]),
      childRow(CHILD, PARENT, { label: 'research' }),
      childRow(grandchild, CHILD, { spawnDepth: 2, subagentRole: 'leaf' }),
      { key: 'agent:main:other', status: 'done', hasActiveRun: false } as SessionRowView,
    ];
    const family = buildSessionFamily(rows);
    assert.deepEqual(family.roots(), [PARENT, 'agent:main:other']);
    assert.deepEqual(family.childrenOf(PARENT), [CHILD]);
    assert.deepEqual(family.childrenOf(CHILD), [grandchild]);
    assert.equal(family.parentOf(grandchild), CHILD);
    assert.equal(family.childCount, 2);
    const byKey = (k: string) => statusOf(rows, k);
    const g = familyView(family, rows[2], grandchild, byKey(grandchild), byKey, (k) => sessionLabel(undefined, k));
    assert.equal(g.depth, 2, 'the depth the gateway reports (spawnDepth), not one counted from the tree');
    assert.equal(g.role, 'leaf');
    assert.equal(g.parent, CHILD);
    assert.match(g.facts[0].text, /^subagent of subagent:435cb5b9.* \(depth 2, role leaf, as the gateway reports\)$/);
    const p = familyView(family, rows[0], PARENT, byKey(PARENT), byKey);
    assert.equal(p.descendantCount, 2);
    assert.deepEqual(p.descendants, { running: 2 });
  });

  it('a subagent whose parent is not in the list is an orphan, said so on its row', () => {
    const rows = [childRow(CHILD, 'agent:main:gone', { status: 'done', hasActiveRun: false })];
    const family = buildSessionFamily(rows);
    assert.deepEqual(family.roots(), [CHILD], 'shown at the top, not lost');
    assert.equal(family.isOrphan(CHILD), true);
    const s = statusOf(rows, CHILD);
    const v = familyView(
      family,
      rows[0],
      CHILD,
      s,
      (k) => statusOf(rows, k),
      (k) => sessionLabel(undefined, k),
    );
    assert.equal(v.orphanOf, 'agent:main:gone');
    assert.equal(v.facts[0].rule, 'family.orphan');
    assert.match(v.facts[0].text, /the session that spawned it \(gone\) is not in the gateway's session list/);
    const d = describeSession(rows[0], CHILD, s, NOW, { family: v });
    assert.equal(d.description, 'idle · orphan: parent gone');
  });

  it('rows that name each other as parents: the loop is cut, both shown, not lost', () => {
    const a = childRow('agent:main:a', 'agent:main:b');
    const b = childRow('agent:main:b', 'agent:main:a');
    const family = buildSessionFamily([a, b]);
    assert.deepEqual(family.roots(), ['agent:main:a']);
    assert.deepEqual(family.childrenOf('agent:main:a'), ['agent:main:b']);
    const v = familyView(family, a, a.key, statusOf([a, b], a.key), (k) => statusOf([a, b], k));
    assert.equal(v.facts[0].rule, 'family.cycle');
  });

  it('a parent rolls up its subagents’ worst state, with the count in its row', () => {
    const kids = ['agent:main:subagent:k1', 'agent:main:subagent:k2', 'agent:main:subagent:k3'];
    const rows = [
      { key: PARENT, status: 'done', hasActiveRun: false, childSessions: kids } as SessionRowView,
      ...kids.map((k) => childRow(k, PARENT)),
    ];
    const states: Record<string, LaneState> = { [kids[0]]: 'running', [kids[1]]: 'no-progress', [kids[2]]: 'idle' };
    const fake = (k: string): LaneStatus => ({ ...statusOf(rows, k), state: states[k] ?? statusOf(rows, k).state });
    const family = buildSessionFamily(rows);
    const own = fake(PARENT);
    const v = familyView(family, rows[0], PARENT, own, fake);
    assert.deepEqual(v.worst, { state: 'no-progress', key: kids[1], count: 1 });
    assert.equal(rolledUpState(own.state, v), 'no-progress');
    const d = describeSession(rows[0], PARENT, own, NOW, { family: v });
    assert.equal(d.description, 'idle · 3 subagents: 1 no progress');
    assert.equal(d.icon, 'debug-pause', 'the parent shows its worst subagent’s icon');
    assert.equal(d.status, 'idle', 'its own state stays its own (commands act on it)');
    assert.ok(
      v.facts.some((f) => f.rule === 'family.children' && /3 subagents: 1 no progress, 1 running, 1 idle/.test(f.text)),
    );
  });
});

describe('a parent in sessions_yield waits on its subagent', () => {
  it('row "running" with no run of its own while a subagent it lists runs: waiting, not a zombie', () => {
    const rows = [yieldedParent([CHILD]), childRow(CHILD, PARENT, { label: 'research' })];
    const s = statusOf(rows, PARENT);
    assert.equal(s.state, 'idle', 'its own lane is free: not "stale" (the watchdog acts on stale)');
    assert.deepEqual(s.waitingOn, [CHILD]);
    assert.equal(s.facts[0].rule, 'p4.waiting-on-subagent');
    const family = buildSessionFamily(rows);
    const labelOf = (k: string) =>
      sessionLabel(
        rows.find((r) => r.key === k),
        k,
      );
    const v = familyView(family, rows[0], PARENT, s, (k) => statusOf(rows, k), labelOf);
    assert.ok(
      v.facts.some((f) => f.rule === 'family.waiting-on' && f.text === 'waiting on research, which is running'),
    );
    const d = describeSession(rows[0], PARENT, s, NOW, { family: v, labelOf });
    assert.equal(d.description, 'waiting on research · 1 subagent');
    assert.equal(d.icon, 'type-hierarchy-sub', 'not long-running’s watch');
  });

  it('once its subagents have all ended and it still says "running", it is stale again (the parent never heard)', () => {
    const rows = [
      yieldedParent([CHILD]),
      childRow(CHILD, PARENT, {
        status: 'done',
        hasActiveRun: false,
        activeRunIds: [],
        subagentRunState: 'historical',
      }),
    ];
    const s = statusOf(rows, PARENT);
    assert.equal(s.state, 'stale');
    assert.equal(s.waitingOn, undefined);
    assert.ok(
      s.facts.some((f) => f.rule === 'p4.subagent-unlisted'),
      'the row’s own claim is a fact, not the status',
    );
  });
});

describe('a parent whose subagent just ended (done, or aborted by a recovery)', () => {
  const ended = (agoMs: number) => [
    yieldedParent([CHILD], { hasActiveSubagentRun: false }),
    childRow(CHILD, PARENT, {
      label: 'research',
      status: 'killed',
      hasActiveRun: false,
      activeRunIds: [],
      subagentRunState: 'historical',
      endedAt: NOW - agoMs,
    }),
  ];
  it('waits for the gateway to hand the result back, not a zombie, for up to 2 minutes', () => {
    const rows = ended(30_000);
    const s = statusOf(rows, PARENT);
    assert.equal(s.state, 'idle', 'not "stale" while the gateway delivers the result (33-66 s on 2026.9.6)');
    assert.deepEqual(s.waitingOn, [CHILD]);
    assert.equal(s.facts[0].rule, 'p4.awaiting-subagent-result');
    assert.match(s.facts[0].text, /ended 30 s ago and the gateway has not yet handed its result back/);
    assert.equal(s.changesAt, NOW - 30_000 + SUBAGENT_HANDBACK_MS, 'a timer turns it stale without an event');
    const labelOf = (k: string) =>
      sessionLabel(
        rows.find((r) => r.key === k),
        k,
      );
    const v = familyView(buildSessionFamily(rows), rows[0], PARENT, s, (k) => statusOf(rows, k), labelOf);
    assert.ok(v.facts.some((f) => f.text === 'waiting for the result of research, which has ended'));
  });
  it('past the grace the row is a zombie again', () => {
    const s = statusOf(ended(SUBAGENT_HANDBACK_MS + 1_000), PARENT);
    assert.equal(s.state, 'stale');
    assert.equal(s.facts[0].rule, 'p4.stale');
  });
});

// ------------------------------------------------------------------ the tree, against a scripted gateway

const servers: ScriptedGateway[] = [];
const disposables: Array<{ dispose(): void }> = [];
after(async () => {
  for (const d of disposables) d.dispose();
  for (const s of servers) await s.close();
});

describe('Gateways tree: subagents under the session that spawned them', () => {
  it('nested, collapsed, counted; the parent says whom it waits on and rolls up a hung subagent; orphans labelled; status --json agrees', async () => {
    const BIG = 'agent:main:fanout';
    const many = Array.from({ length: 300 }, (_, i) => `agent:main:subagent:m${i}`);
    const rows: SessionRowView[] = [
      yieldedParent([CHILD], { updatedAt: 3 }),
      childRow(CHILD, PARENT, { label: 'research', startedAt: Date.now() - 5_000 }),
      // Updated later than the waiting parent: by their own (idle) states they would sort above it.
      {
        key: BIG,
        status: 'done',
        hasActiveRun: false,
        activeRunIds: [],
        childSessions: many,
        agentId: 'main',
        updatedAt: 9,
      },
      ...many.map((k) =>
        childRow(k, BIG, { status: 'done', hasActiveRun: false, activeRunIds: [], subagentRunState: 'historical' }),
      ),
      childRow('agent:main:subagent:lost', 'agent:main:deleted', { status: 'done', hasActiveRun: false, updatedAt: 8 }),
    ] as SessionRowView[];
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
            return { sessionKey: params.sessionKey, messages: [], pendingInputs: { items: [], total: 0 } };
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
      noProgressMs: () => 300,
    });
    const tree = new FleetTreeProvider(fleet);
    disposables.push(tree, { dispose: () => fleet.setGateways([], []) });
    fleet.setGateways([{ name: 'gw', url: g.url, source: 'settings' }], []);
    const top = () => tree.getChildren(tree.getChildren()[0]).filter((n) => n.kind === 'session');
    const node = (key: string, list: FleetNode[] = top()) =>
      list.find((n): n is Extract<FleetNode, { kind: 'session' }> => n.kind === 'session' && n.key === key);
    const text = (n: FleetNode | undefined) => (n ? String(tree.getTreeItem(n).description) : '(no row)');

    // The hung subagent turns "no progress" (no event for 300 ms): its parent's row says so.
    await waitFor(
      (l) => tree.onDidChangeTreeData(l),
      () => (/no progress/.test(text(node(PARENT))) ? true : undefined),
      10_000,
    );
    const keys = top().map((n) => (n.kind === 'session' ? n.key : n.kind));
    assert.deepEqual(
      [...keys].sort(),
      [PARENT, BIG, 'agent:main:subagent:lost'].sort(),
      'only sessions without a listed parent at the top',
    );
    assert.equal(keys[0], PARENT, 'a parent with a hung subagent sorts with the sessions that need attention');
    const parentItem = tree.getTreeItem(node(PARENT)!);
    assert.equal(parentItem.collapsibleState, TreeItemCollapsibleState.Collapsed);
    assert.equal(parentItem.description, 'waiting on research · 1 subagent: 1 no progress');
    assert.equal((parentItem.iconPath as any).id, 'debug-pause', 'the hung subagent’s icon on the parent');
    assert.equal(
      parentItem.contextValue,
      'session.idle.waiting',
      'idle, held by its subagent: its menu offers Recover',
    );

    const kids = tree.getChildren(node(PARENT));
    assert.deepEqual(
      kids.map((n) => n.kind === 'session' && n.key),
      [CHILD],
    );
    assert.match(text(kids[0]), /^no progress for \d+s$/, 'the subagent with its own lane status');
    assert.equal(tree.getTreeItem(kids[0]).label, 'research');
    assert.equal(tree.getParent(kids[0]), node(PARENT), 'reveal finds it under its parent');
    const tip = String((tree.resolveTreeItem(tree.getTreeItem(node(PARENT)!), node(PARENT)!).tooltip as any).value);
    assert.match(tip, /waiting on research, which is making no progress/);

    // Hundreds of subagents: one collapsed row with the count.
    const bigItem = tree.getTreeItem(node(BIG)!);
    assert.equal(bigItem.collapsibleState, TreeItemCollapsibleState.Collapsed);
    assert.equal(bigItem.description, 'idle · 300 subagents');
    assert.equal(tree.getChildren(node(BIG)).length, 300);
    assert.match(text(node('agent:main:subagent:lost')), /orphan: parent gone/);

    // Idle rows hidden: the waiting parent stays (its subagent is not idle), and the hung subagent under it.
    tree.setHideIdle(true);
    assert.deepEqual(
      top().map((n) => n.kind === 'session' && n.key),
      [PARENT],
    );
    assert.equal(tree.getChildren(node(PARENT)).length, 1);
    // Its idle subagents hidden, a parent has nothing to open: its row is not expandable then.
    const big = tree.getTreeItem({ kind: 'session', id: `session:gw:${BIG}`, gateway: 'gw', key: BIG });
    assert.equal(big.collapsibleState, TreeItemCollapsibleState.None);
    tree.setHideIdle(false);

    // status --json: the same family.
    const report = reportFleet(fleet);
    const sessions = report.gateways[0].agents.flatMap((a) => a.sessions);
    const p = sessions.find((s) => s.key === PARENT)!;
    assert.deepEqual(p.family?.children, [CHILD]);
    assert.deepEqual(p.family?.waitingOn, [CHILD]);
    assert.deepEqual(p.family?.descendants, { 'no-progress': 1 });
    assert.equal(p.description, parentItem.description);
    const c = sessions.find((s) => s.key === CHILD)!;
    assert.equal(c.family?.parent, PARENT);
    assert.equal(c.family?.depth, 1);
    assert.equal(sessions.find((s) => s.key === 'agent:main:subagent:lost')!.family?.orphanOf, 'agent:main:deleted');

    // Only the subagent's row changes (its run ends): the parent's row is redrawn too, and is no longer waiting.
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: {
        sessionKey: CHILD,
        phase: 'end',
        session: { ...rows[1], status: 'done', hasActiveRun: false, activeRunIds: [], subagentRunState: 'historical' },
      },
    });
    await waitFor(
      (l) => tree.onDidChangeTreeData(l),
      () => (/^stale/.test(text(node(PARENT))) ? true : undefined),
      5_000,
    );
    assert.equal(text(node(PARENT)), 'stale: row says running, no run · 1 subagent');
  });
});
