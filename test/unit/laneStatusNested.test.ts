// Nested sessions_yield (issue 16, "nested waits"): a parent P whose turn ended in sessions_yield waits on its subagent C,
// which yielded in turn and waits on its own subagent G, whose run is the active one. From rows shaped as a real
// 2026.9.6 gateway lists them (probed, and checked on a real one in test/gateway/subagents.test.ts): P keeps status
// "running" with no run; C has no status at all, no run, childSessions [G]; G runs. P must read as waiting (idle), never
// as a zombie ("stale": the watchdog and recover act on it), and say that C waits on G; bounded in depth and work.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionRowView } from '../../src/gateway';
import { buildSessionFamily, familyView, rolledUpState } from '../../src/fleet/sessionFamily';
import { deriveLaneStatus, MAX_WAIT_DEPTH, SUBAGENT_HANDBACK_MS, type LaneStatus } from '../../src/lanes/laneStatus';
import { describeSession, sessionLabel } from '../../src/report/describe';

const NOW = 1_796_298_200_000;
const P = 'agent:main:nestp';
const C = 'agent:main:subagent:20f36c79-5b4e-4ae6-801a-1492a99ffbb8';
const G = 'agent:main:subagent:f051ec54-6aba-481b-85dd-bdfc52b42757';

/** P after its turn ended in sessions_yield (2026.9.6): "running", no run, its subagent listed. */
const yielded = (key: string, children: string[], extra: Partial<SessionRowView> = {}): SessionRowView => ({
  key,
  status: 'running',
  hasActiveRun: false,
  activeRunIds: [],
  childSessions: children,
  hasActiveSubagentRun: true,
  endedAt: NOW - 601_000,
  updatedAt: NOW - 601_000,
  ...extra,
});
/**
 * C, a subagent that yielded in turn: 2026.9.6 lists it with no status, no run, its own subagent listed. It yielded
 * ten minutes ago (its subagent has hung since), so no recent end makes its parent await a hand-back.
 */
const yieldedSubagent = (key: string, parent: string, children: string[], depth: number): SessionRowView => ({
  key,
  label: `relay ${depth}`,
  hasActiveRun: false,
  activeRunIds: [],
  childSessions: children,
  hasActiveSubagentRun: true,
  parentSessionKey: parent,
  spawnedBy: parent,
  spawnDepth: depth,
  subagentRole: 'orchestrator',
  subagentRunState: 'historical',
  endedAt: NOW - 600_000,
  updatedAt: NOW - 600_000,
});
/** G, whose own model call hangs: its run is active. */
const running = (key: string, parent: string, depth: number, extra: Partial<SessionRowView> = {}): SessionRowView => ({
  key,
  label: 'deep',
  status: 'running',
  hasActiveRun: true,
  hasActiveSubagentRun: true,
  parentSessionKey: parent,
  spawnedBy: parent,
  spawnDepth: depth,
  subagentRole: 'orchestrator',
  subagentRunState: 'active',
  updatedAt: NOW - 32_000,
  ...extra,
});

function statuses(rows: SessionRowView[], lookups?: { count: number }) {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return (key: string): LaneStatus =>
    deriveLaneStatus({
      now: NOW,
      connected: true,
      protocol: 4,
      row: byKey.get(key),
      trackedRuns: [],
      childRow: (k) => {
        if (lookups) lookups.count++;
        return byKey.get(k);
      },
    });
}

const chain = () => [yielded(P, [C]), yieldedSubagent(C, P, [G], 1), running(G, C, 2)];

describe('a parent waiting on a subagent that waits in turn on its own (nested sessions_yield)', () => {
  it('P waits on C, and says C waits on G: idle, not a zombie', () => {
    const rows = chain();
    const s = statuses(rows)(P);
    assert.equal(s.state, 'idle', 'its lane is free and nothing is wedged: not "stale" (the watchdog acts on stale)');
    assert.deepEqual(s.waitingOn, [C], 'it waits on its own subagent');
    assert.deepEqual(s.waitingChains, [[C, G]]);
    assert.equal(s.facts[0].rule, 'p4.waiting-on-subagent');
    assert.equal(
      s.facts[0].text,
      `no run of its own: its turn ended waiting for its subagents (sessions_yield); the row stays "running" while they work: its subagent ${C} has no run of its own either and waits in turn for its own subagent ${G}, which has an active run`,
    );
    assert.ok(!s.facts.some((f) => f.rule === 'p4.stale'));
  });

  it('C itself (no status in its row) reads as waiting on G, not as an idle session with nothing to do', () => {
    const s = statuses(chain())(C);
    assert.equal(s.state, 'idle');
    assert.deepEqual(s.waitingOn, [G]);
    assert.match(s.facts[0].text, /the gateway lists the row with no status while a subagent of it has an active run/);
  });

  it('the tree and status --json: P "waiting on relay", the fact names both, G’s no progress rolled up', () => {
    const rows = chain();
    const base = statuses(rows);
    const of = (k: string): LaneStatus => (k === G ? { ...base(G), state: 'no-progress' } : base(k));
    const labelOf = (k: string) =>
      sessionLabel(
        rows.find((r) => r.key === k),
        k,
      );
    const family = buildSessionFamily(rows);
    const own = of(P);
    const v = familyView(family, rows[0], P, own, of, labelOf);
    assert.ok(
      v.facts.some(
        (f) =>
          f.rule === 'family.waiting-on' &&
          f.text === 'waiting for relay 1, which waits for its own subagent deep, which is making no progress',
      ),
      JSON.stringify(v.facts),
    );
    assert.deepEqual(v.descendants, { idle: 1, 'no-progress': 1 });
    assert.equal(rolledUpState(own.state, v), 'no-progress', 'the hung grandchild’s state on the parent’s row');
    const d = describeSession(rows[0], P, own, NOW, { family: v, labelOf });
    assert.equal(d.description, 'waiting on relay 1 · 1 subagent: 1 no progress');
    assert.equal(d.icon, 'debug-pause');
  });

  it(`followed down to the gateway's maximum depth (${MAX_WAIT_DEPTH}), no further`, () => {
    // P → S1 → … → Sn, every one yielded, the last one's run active.
    const deep = (n: number) => {
      const keys = Array.from({ length: n }, (_, i) => `agent:main:subagent:s${i + 1}`);
      return [
        yielded(P, [keys[0]]),
        ...keys.slice(0, -1).map((k, i) => yieldedSubagent(k, i === 0 ? P : keys[i - 1], [keys[i + 1]], i + 1)),
        running(keys[n - 1], keys[n - 2], n),
      ];
    };
    const atLimit = statuses(deep(MAX_WAIT_DEPTH))(P);
    assert.equal(atLimit.state, 'idle');
    assert.equal(atLimit.waitingChains?.[0].length, MAX_WAIT_DEPTH);
    assert.match(
      atLimit.facts[0].text,
      /which waits for its own subagent agent:main:subagent:s5, which has an active run$/,
    );
    const past = statuses(deep(MAX_WAIT_DEPTH + 1))(P);
    assert.equal(past.state, 'stale', 'a run deeper than any the gateway can spawn is not looked for');
  });

  it('rows that list each other as subagents: the walk ends; a run past the loop still found, none a zombie', () => {
    const X = 'agent:main:subagent:x';
    const loop = (runs: boolean) => [
      yielded(P, [C]),
      yieldedSubagent(C, P, [G, C, P], 1),
      { ...yieldedSubagent(G, C, [C, P, X], 2), label: 'deep' },
      runs ? running(X, G, 3) : { ...yieldedSubagent(X, G, [G, C], 3), label: 'x' },
    ];
    const found = statuses(loop(true))(P);
    assert.equal(found.state, 'idle');
    assert.deepEqual(found.waitingChains, [[C, G, X]]);
    const none = statuses(loop(false))(P);
    assert.equal(none.state, 'stale');
    assert.equal(none.waitingOn, undefined);
  });

  it('the work is bounded: a yielded subagent with thousands of subagents is not walked past the bound', () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `agent:main:subagent:m${i}`);
    const rows = (active: number) => [
      yielded(P, [C]),
      yieldedSubagent(C, P, many, 1),
      ...many.map((k, i) =>
        i === active ? running(k, C, 2) : { ...yieldedSubagent(k, C, [], 2), status: 'done' as const },
      ),
    ];
    const near = statuses(rows(500))(P);
    assert.deepEqual(near.waitingChains, [[C, many[500]]], 'a run within the bound is found');
    const lookups = { count: 0 };
    const far = statuses(rows(4_000), lookups)(P);
    assert.equal(far.state, 'stale', 'one past the bound is not looked for');
    assert.ok(
      lookups.count <= 2_000,
      `rows looked at: ${lookups.count} (one walk for the wait, one for the hand-back)`,
    );
  });
});

describe('the hand-back up a nested chain: G ended, its result not yet back up to P', () => {
  const ended = (agoMs: number) => [
    yielded(P, [C]),
    // C yielded long before (its own end is old) and has not taken its turn yet.
    yieldedSubagent(C, P, [G], 1),
    running(G, C, 2, {
      status: 'killed',
      hasActiveRun: false,
      activeRunIds: [],
      subagentRunState: 'historical',
      endedAt: NOW - agoMs,
    }),
  ];

  it('P awaits the result through C, not a zombie, for the same grace from G’s end; past it, a zombie again', () => {
    const s = statuses(ended(20_000))(P);
    assert.equal(s.state, 'idle', 'not "stale" while the gateway hands the result up one level at a time');
    assert.deepEqual(s.waitingOn, [C]);
    assert.deepEqual(s.waitingChains, [[C, G]]);
    assert.equal(s.facts[0].rule, 'p4.awaiting-subagent-result');
    assert.match(
      s.facts[0].text,
      new RegExp(`its subagent ${C} waits in turn, and its own subagent ${G} ended 20 s ago`),
    );
    assert.equal(s.changesAt, NOW - 20_000 + SUBAGENT_HANDBACK_MS, 'a timer turns it stale without an event');
    const rows = ended(20_000);
    const labelOf = (k: string) =>
      sessionLabel(
        rows.find((r) => r.key === k),
        k,
      );
    const v = familyView(buildSessionFamily(rows), rows[0], P, s, statuses(rows), labelOf);
    assert.ok(
      v.facts.some(
        (f) => f.text === 'waiting for the result of relay 1, which waits for its own subagent deep, which has ended',
      ),
      JSON.stringify(v.facts),
    );
    const past = statuses(ended(SUBAGENT_HANDBACK_MS + 1_000))(P);
    assert.equal(past.state, 'stale');
    assert.equal(past.facts[0].rule, 'p4.stale');
  });
});
