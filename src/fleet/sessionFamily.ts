// Subagent sessions and the sessions that spawned them, from the gateway's own row fields (openclaw 2026.9.x): a
// child's row names its parent (`parentSessionKey`, the navigation parent, else `spawnedBy`) and its depth
// (`spawnDepth`) and role (`subagentRole`); a parent whose turn ended in sessions_yield waits on the subagents its lane
// status names (`LaneStatus.waitingOn`, from the row's `childSessions` and their own active runs, or, nested, the
// active runs of their own subagents: `waitingChains`). Nothing here is
// guessed from key shapes or timing: a session with no such field has no family. Older versions (2026.3.24, 2026.4.26)
// send none of these fields, so every session there is a root with no children.
//
// Verified on a real 2026.9.6 gateway (test/gateway/subagents.test.ts): a sessions_spawn tool call makes a row
// `agent:<id>:subagent:<uuid>` with spawnedBy = parentSessionKey = controlOwnerSessionKey = the parent's key,
// spawnDepth 1, subagentRole "orchestrator", createdVia "spawn"; the parent's row lists it in childSessions.
import type { SessionRowView } from '../gateway';
import { compareLaneStates, type LaneFact, type LaneState, type LaneStatus } from '../lanes/laneStatus';

/** Parent chains longer than this are cut (the gateway's own cap is depth 5). */
const MAX_CHAIN = 64;

export interface SessionFamily {
  /** The parent the session's row names, if that parent is in the list (and the link makes no cycle). */
  parentOf(key: string): string | undefined;
  /** The parent a row names, listed or not. */
  declaredParentOf(key: string): string | undefined;
  /** Listed sessions whose rows name this one as parent, in list order. */
  childrenOf(key: string): readonly string[];
  /** The row names a parent that is not in the session list. */
  isOrphan(key: string): boolean;
  /** Sessions with no listed parent (the top of the tree), in list order. */
  roots(): readonly string[];
  /** The session was in the rows the family was built from. */
  has(key: string): boolean;
  /** How many listed sessions have a listed parent. */
  readonly childCount: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The parent a row names: its navigation parent (parentSessionKey), else the session that spawned it (spawnedBy). */
export function declaredParent(row: SessionRowView): string | undefined {
  const parent = str(row.parentSessionKey) ?? str(row.spawnedBy);
  return parent === row.key ? undefined : parent;
}

export function buildSessionFamily(rows: Iterable<SessionRowView>): SessionFamily {
  const declared = new Map<string, string>();
  const order: string[] = [];
  const listed = new Set<string>();
  for (const row of rows) {
    if (listed.has(row.key)) continue;
    listed.add(row.key);
    order.push(row.key);
    const parent = declaredParent(row);
    if (parent) declared.set(row.key, parent);
  }
  const parent = new Map<string, string>();
  for (const [key, p] of declared) if (listed.has(p)) parent.set(key, p);
  // A chain that comes back to where it started (rows naming each other) or runs on without end: cut at this key.
  for (const key of [...parent.keys()]) {
    let at = parent.get(key);
    for (let steps = 0; at !== undefined; steps++) {
      if (at === key || steps >= MAX_CHAIN) {
        parent.delete(key);
        break;
      }
      at = parent.get(at);
    }
  }
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const key of order) {
    const p = parent.get(key);
    if (p === undefined) roots.push(key);
    else {
      const list = children.get(p);
      if (list) list.push(key);
      else children.set(p, [key]);
    }
  }
  const none: readonly string[] = [];
  return {
    parentOf: (key) => parent.get(key),
    declaredParentOf: (key) => declared.get(key),
    childrenOf: (key) => children.get(key) ?? none,
    isOrphan: (key) => declared.has(key) && !listed.has(declared.get(key)!),
    roots: () => roots,
    has: (key) => listed.has(key),
    childCount: parent.size,
  };
}

export interface FamilyView {
  /** The listed parent. */
  parent?: string;
  /** The parent the row names when it is not in the session list. */
  orphanOf?: string;
  /** spawnDepth as the gateway reports it. */
  depth?: number;
  /** subagentRole as the gateway reports it ("orchestrator", "leaf"). */
  role?: string;
  /** Direct children (listed sessions naming this one as parent). */
  children: readonly string[];
  /** Lane states of every descendant, counted. */
  descendants: Partial<Record<LaneState, number>>;
  descendantCount: number;
  /** The most urgent state among the descendants, one session in it, and how many are in it. */
  worst?: { state: LaneState; key: string; count: number };
  /** The subagents this session's turn waits on (sessions_yield), as its lane status says. */
  waitingOn?: readonly string[];
  facts: LaneFact[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "1 no progress, 2 running", most urgent first. */
export function countsWords(counts: Partial<Record<LaneState, number>>): string {
  return (Object.keys(counts) as LaneState[])
    .sort(compareLaneStates)
    .map((s) => `${counts[s]} ${s === 'no-progress' ? 'no progress' : s}`)
    .join(', ');
}

/**
 * A session's place in its family, with the facts behind it: parent (or orphan), depth and role as the gateway reports
 * them, its children, the roll-up of every descendant's lane state, and the subagents it waits on.
 * `statusOf` gives each descendant's lane status (the caller's cache); `labelOf` the words for a session in facts.
 */
export function familyView(
  family: SessionFamily,
  row: SessionRowView | undefined,
  key: string,
  status: LaneStatus,
  statusOf: (key: string) => LaneStatus,
  labelOf: (key: string) => string = (k) => k,
): FamilyView {
  const facts: LaneFact[] = [];
  const children = family.childrenOf(key);
  const view: FamilyView = { children, descendants: {}, descendantCount: 0, facts };
  const parent = family.parentOf(key);
  const depth = typeof row?.spawnDepth === 'number' && Number.isFinite(row.spawnDepth) ? row.spawnDepth : undefined;
  const role = str(row?.subagentRole);
  if (depth !== undefined) view.depth = depth;
  if (role) view.role = role;
  const lineage = [depth !== undefined ? `depth ${depth}` : undefined, role ? `role ${role}` : undefined].filter(
    Boolean,
  );
  if (parent) {
    view.parent = parent;
    facts.push({
      rule: 'family.parent',
      text: `subagent of ${labelOf(parent)}${lineage.length ? ` (${lineage.join(', ')}, as the gateway reports)` : ''}`,
    });
  } else if (family.isOrphan(key)) {
    view.orphanOf = family.declaredParentOf(key);
    facts.push({
      rule: 'family.orphan',
      text: `an orphan: the session that spawned it (${labelOf(view.orphanOf!)}) is not in the gateway's session list`,
    });
  } else if (family.declaredParentOf(key)) {
    facts.push({
      rule: 'family.cycle',
      text: `its row names ${labelOf(family.declaredParentOf(key)!)} as parent, but that chain of parents comes back to it: shown at the top`,
    });
  }

  // Every descendant, breadth first; the family has no cycles, and each session has one parent.
  const queue = [...children];
  for (let i = 0; i < queue.length; i++) {
    const k = queue[i];
    const state = statusOf(k).state;
    view.descendants[state] = (view.descendants[state] ?? 0) + 1;
    if (!view.worst || compareLaneStates(state, view.worst.state) < 0) view.worst = { state, key: k, count: 0 };
    for (const c of family.childrenOf(k)) queue.push(c);
  }
  view.descendantCount = queue.length;
  if (view.worst) view.worst.count = view.descendants[view.worst.state] ?? 0;
  if (children.length)
    facts.push({
      rule: 'family.children',
      text: `${plural(children.length, 'subagent')}${queue.length > children.length ? ` (${queue.length} with theirs)` : ''}: ${countsWords(view.descendants)}`,
    });

  if (status.waitingOn?.length) {
    view.waitingOn = status.waitingOn;
    const first = status.waitingOn[0];
    // Nested sessions_yield: the subagent it waits on yielded in turn and waits for its own (the lane status's chain
    // down to the session whose run holds them all). The state worth saying is that last one's.
    const chain = status.waitingChains?.[0]?.[0] === first ? status.waitingChains[0] : [first];
    const last = chain[chain.length - 1];
    const through = chain
      .slice(1)
      .map((k) => `, which waits for its own subagent ${labelOf(k)}`)
      .join('');
    const listed = children.includes(last) || family.parentOf(last) !== undefined;
    const others = status.waitingOn.length > 1 ? ` and ${plural(status.waitingOn.length - 1, 'other subagent')}` : '';
    facts.push({
      rule: 'family.waiting-on',
      text: status.facts.some((f) => f.rule === 'p4.awaiting-subagent-result')
        ? `waiting for the result of ${labelOf(first)}${through}, which has ended`
        : `${chain.length > 1 ? 'waiting for' : 'waiting on'} ${labelOf(first)}${through}${listed ? `, which is ${laneWords(statusOf(last).state)}` : ''}${others}`,
    });
  }
  return view;
}

const laneWords = (state: LaneState) => (state === 'no-progress' ? 'making no progress' : state);

/** The more urgent of a session's own state and its descendants' worst: what its row's icon and sort order show. */
export function rolledUpState(own: LaneState, view: FamilyView | undefined): LaneState {
  const worst = view?.worst?.state;
  return worst !== undefined && compareLaneStates(worst, own) < 0 ? worst : own;
}
