// The "Gateways" tree: gateways → agents → sessions with derived lane status, and (2026.9) subagent sessions under
// the session that spawned them, collapsed, their count and worst state on the parent's row. Node objects are cached
// by id so that a change on one gateway refreshes only that gateway's subtree (VS Code matches refreshed elements by
// identity). Stuck, stalled and stale sessions sort first (a parent by the worse of its own and its subagents' states);
// idle ones can be hidden (a parent stays while a subagent of it is not idle).
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Fleet, FleetChange } from '../fleet/fleet';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { compareLaneStates, type LaneState, type LaneStatus } from '../lanes/laneStatus';
import {
  describeConnection,
  describeSession,
  escapeMarkdown,
  fixFor,
  gatewayContextValue,
  sessionLabel,
  summarizeCounts,
  type SessionDescription,
} from '../report/describe';
import {
  buildSessionFamily,
  declaredParent,
  familyView,
  rolledUpState,
  type FamilyView,
  type SessionFamily,
} from '../fleet/sessionFamily';
import { msUntilDurationChanges } from '../protocol/duration';
import { healthRowText } from '../fleet/gatewayHealth';
import {
  isSchedulerNode,
  schedulerChildren,
  schedulerRootNodes,
  schedulerTreeItem,
  type SchedulerNode,
} from './schedulerNodes';

/** How often the tree reads each gateway's process health while the view is visible (ms). */
export const TREE_HEALTH_INTERVAL_MS = 5_000;

/** VS Code's own debounce of onDidChangeTreeData (ExtHostTreeView); see queue(). */
const VSCODE_DEBOUNCE_MS = 200;
/** How long VS Code holds further fires after one, plus a margin for timer jitter; see queue(). */
export const REFRESH_SPACING_MS = VSCODE_DEBOUNCE_MS + 10;
/** A change of state that would wait longer than this for the end of that spacing goes out at once instead. */
export const STATE_WAIT_MAX_MS = 70;
/** A change of state this soon after such a fire goes out at once too: VS Code then shows both at most this much later. */
export const STATE_JOIN_MS = 100;
/** States the view's badge counts. */
const NEEDS_ATTENTION: ReadonlySet<LaneState> = new Set(['stuck', 'stalled', 'stale', 'no-progress']);
/** How long a clock tick waits for a refresh it can join before it fires alone. */
const TICK_RIDE_MS = 250;
/** After VS Code asks for a row's tooltip (the pointer rests on it), its clock is held this long: see tick(). */
export const HOVER_HOLD_MS = 30_000;

/**
 * What a session row shows apart from its age: a change here is worth a refresh. It starts with the row's state (its
 * lane state, queue count and icon, which for a parent is its worst subagent's): a change there is not held back.
 */
function shownSignature(d: SessionDescription): string {
  const state = `${d.status}\u0000${d.lane.queued}\u0000${d.icon}`;
  return `${state}\u0002${d.label}\u0000${d.lane.head}\u0000${d.lane.rest.join('\u0001')}\u0000${d.lane.verified}`;
}
/** The two signatures differ in the row's state, not only in its words (or the row came or went). */
function stateChanged(before: string | undefined, after: string | undefined): boolean {
  if (before === undefined || after === undefined) return before !== after;
  return before.slice(0, before.indexOf('\u0002')) !== after.slice(0, after.indexOf('\u0002'));
}

/** The gateway's aggregate of its per-session lanes in words: "2 active, 1 queued in 3 lanes" (no raw JSON). */
function sessionLanesWords(dyn: Record<string, number | undefined>): string {
  const n = (k: string) => (typeof dyn[k] === 'number' ? dyn[k] : undefined);
  const parts = [`${n('activeCount') ?? 0} active`, `${n('queuedCount') ?? 0} queued`];
  const lanes = n('laneCount');
  return `${parts.join(', ')}${lanes !== undefined ? ` in ${lanes} lane${lanes === 1 ? '' : 's'}` : ''}`;
}

export type FleetNode =
  | { kind: 'gateway'; id: string; gateway: string }
  | { kind: 'fix'; id: string; gateway: string }
  | { kind: 'lanes'; id: string; gateway: string }
  | { kind: 'agent'; id: string; gateway: string; agentId: string }
  | { kind: 'session'; id: string; gateway: string; key: string }
  | { kind: 'settings-problem'; id: string; message: string; setting: string }
  | SchedulerNode;

export class FleetTreeProvider implements vscode.TreeDataProvider<FleetNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<FleetNode | FleetNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, FleetNode>();
  private readonly sub: { dispose(): void };
  private hideIdle = false;
  private readonly pending = new Set<FleetNode | undefined>();
  private flushTimer?: NodeJS.Timeout;
  private lastFlush = -Infinity;
  /** When a change of state went out inside VS Code's hold of the fire before it (see queue()); reset by a fire after. */
  private stateFireAt?: number;
  /** Rows whose state changed, going out at once on their own (see queueState()). */
  private readonly early = new Set<FleetNode>();
  private earlyTimer?: NodeJS.Timeout;

  constructor(private readonly fleet: Fleet) {
    this.sub = fleet.onDidChange((c) => this.onFleetChange(c));
  }

  get idleHidden(): boolean {
    return this.hideIdle;
  }
  setHideIdle(hide: boolean): void {
    this.hideIdle = hide;
    this.refresh();
  }

  private node<T extends FleetNode>(n: T): T {
    const cached = this.nodes.get(n.id) as T | undefined;
    if (cached) return cached;
    this.nodes.set(n.id, n);
    return n;
  }

  /**
   * When the tree fires. VS Code's extension host debounces onDidChangeTreeData itself (ExtHostTreeView:
   * Event.debounce(…, 200, leading=true)): the first fire after 200 ms without one is refreshed at once; a fire within
   * 200 ms of the previous one restarts that timer and is refreshed only when it runs out. So fires less than 200 ms
   * apart, kept up under load, held VS Code off until a lull (bench/fleet.mjs: p95 1.2–2.8 s from event to VS Code's
   * refresh with fires every 100 ms). One timer for the whole tree, one fire for every node in a batch.
   *
   * - Quiet tree (no fire in the last REFRESH_SPACING_MS): a change fires on the next macrotask (the changes of one
   *   socket read go out together), and VS Code refreshes at once.
   * - Otherwise it waits for the end of that spacing and goes out with everything else that waited, landing on VS
   *   Code's leading edge again. That is how words-only changes, the Lanes, Cron and Tasks rows, the clock and the
   *   gateways' counts and order share one refresh per spacing, whatever the burst.
   * - A change of state goes out at once in some cases: see queueState().
   */
  private queue(node: FleetNode | undefined): void {
    this.pending.add(node);
    const now = performance.now();
    const due = Math.max(now, this.lastFlush + REFRESH_SPACING_MS);
    if (this.flushTimer && this.flushDue <= due) return;
    clearTimeout(this.flushTimer);
    this.flushDue = due;
    this.flushTimer = setTimeout(() => this.flush(), Math.max(0, due - now));
  }
  private flushDue = 0;

  /**
   * A change of state (running ↔ idle, → stalled/stuck/stale, the queue count) of `rows`. When waiting for the end of
   * the spacing would take more than STATE_WAIT_MAX_MS, the rows go out at once, named on their own: the provider's
   * fire, and the view's badge set on it (extension.ts; VS Code does not debounce the badge), carry the change within
   * milliseconds. VS Code shows those rows 200 ms after this fire (its own timer), later than waiting would have for
   * most of them: the price of the provider's promptness (bench/README.md has both figures). Naming the rows alone
   * keeps VS Code's refresh of them to those rows; their gateway's counts and order (`batch`) go with the next batch.
   * The batch then waits for the end of this fire's spacing, so VS Code's timer is not restarted by it, and so does
   * any later change of state, unless it comes within STATE_JOIN_MS of the first early fire (VS Code then shows the
   * rows of both that much later). Rows not shown yet cannot be named alone: their gateway goes at once instead.
   */
  private queueState(rows: FleetNode[], batch: FleetNode | undefined): void {
    const now = performance.now();
    const spacingEnd = this.lastFlush + REFRESH_SPACING_MS;
    const goNow =
      now < spacingEnd &&
      (this.stateFireAt === undefined ? spacingEnd - now > STATE_WAIT_MAX_MS : now - this.stateFireAt <= STATE_JOIN_MS);
    if (!goNow || !rows.length) return this.queue(batch);
    for (const r of rows) this.early.add(r);
    if (batch && !rows.includes(batch)) this.pending.add(batch);
    this.earlyTimer ??= setTimeout(() => this.flushEarly(), 0);
  }

  private flushEarly(): void {
    this.earlyTimer = undefined;
    if (!this.early.size) return;
    const now = performance.now();
    this.stateFireAt = now - this.lastFlush < VSCODE_DEBOUNCE_MS ? (this.stateFireAt ?? now) : undefined;
    this.lastFlush = now;
    const rows = [...this.early];
    this.early.clear();
    for (const r of rows) this.pending.delete(r); // refreshed now with all they show
    this.statuses.clear();
    this.views.clear();
    this.emitter.fire(rows);
    // The batch (counts, order, words) waits for the end of this fire's spacing: sooner would restart VS Code's timer.
    if (this.pending.size) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.queue(this.pending.values().next().value);
    }
  }

  private flush(): void {
    this.flushTimer = undefined;
    clearTimeout(this.rideTimer);
    this.rideTimer = undefined;
    const now = performance.now();
    // A fire while VS Code still holds the last one can only follow an early fire (see queueState()).
    this.stateFireAt = now - this.lastFlush < VSCODE_DEBOUNCE_MS ? (this.stateFireAt ?? now) : undefined;
    this.lastFlush = now;
    const all = this.pending.has(undefined);
    const nodes = [...this.pending, ...this.early];
    this.pending.clear();
    this.early.clear();
    this.statuses.clear();
    this.views.clear();
    // One fire for the whole batch: VS Code refreshes the first fire after a lull at once but holds any further fire
    // for 200 ms, so one fire per gateway node delayed every gateway but the first.
    this.emitter.fire(all ? undefined : (nodes as FleetNode[]));
    this.armTick();
  }

  private visible = false;
  /**
   * The view is visible (or not): each gateway's process health is read only while it is (and as long as nothing else
   * needs it, nothing is read). The extension calls this from TreeView.onDidChangeVisibility.
   */
  setVisible(visible: boolean): void {
    this.visible = visible;
    for (const w of this.fleet.gateways()) w.setHealthDemand('tree', visible, TREE_HEALTH_INTERVAL_MS);
  }

  private onFleetChange(change: FleetChange): void {
    if (change.what === 'gateways') {
      if (this.visible) this.setVisible(true);
      this.nodes.clear();
      this.shown.clear();
      this.ticking.clear();
      this.held.clear();
      this.queue(undefined);
      return;
    }
    if (change.what === 'logs') return;
    if (change.what === 'scheduler') {
      // A new read of the jobs or the ledger: only the two roots (and what is open under them) are redrawn.
      for (const id of [`cron:${change.gateway}`, `tasks:${change.gateway}`]) {
        const root = this.nodes.get(id);
        if (root) this.queue(root);
      }
      return;
    }
    const watcher = this.fleet.gateway(change.gateway);
    this.statuses.delete(change.gateway);
    this.views.delete(change.gateway);
    if (change.what !== 'sessions' || !change.keys) this.families.delete(change.gateway);
    const gatewayNode = this.nodes.get(`gw:${change.gateway}`);
    // The connection or the agents changed: the gateway row's state. The lanes and health are words.
    if (change.what === 'connection' || change.what === 'agents')
      return gatewayNode ? this.queueState([gatewayNode], gatewayNode) : this.queue(undefined);
    if (change.what === 'sessions' && change.keys && watcher) {
      // Fire only when something a row shows changed (state, queue, outcome, label, and for a parent its subagents').
      const shown = this.shownOf(change.gateway);
      let changed = false;
      // The rows whose state changed, when each is shown (else the gateway's whole list is what changed).
      let stateRows: FleetNode[] | undefined;
      const family = this.familyOf(watcher, change.keys);
      const keys = new Set(change.keys);
      for (const key of change.keys)
        for (let p = family.parentOf(key), n = 0; p !== undefined && n < 64; p = family.parentOf(p), n++) keys.add(p);
      for (const key of keys) {
        const row = watcher.session(key);
        const sig = row ? shownSignature(this.describe(watcher, key, 0, { tooltip: false })) : undefined;
        const before = shown.get(key);
        if (before !== sig) changed = true;
        if (before !== sig && stateChanged(before, sig)) {
          const node = this.nodes.get(`session:${change.gateway}:${key}`);
          stateRows ??= [];
          stateRows.push(node && before !== undefined && sig !== undefined ? node : gatewayNode!);
        }
        if (sig === undefined) shown.delete(key);
        else shown.set(key, sig);
      }
      if (!changed) return;
      if (stateRows && gatewayNode) return this.queueState([...new Set(stateRows)], gatewayNode);
    }
    if (change.what === 'lanes') {
      const lanes = this.nodes.get(`lanes:${change.gateway}`);
      if (lanes) return this.queue(lanes);
    }
    this.queue(gatewayNode);
  }

  /** The signature of each session row as last computed, per gateway: what a refresh would change. */
  private readonly shown = new Map<string, Map<string, string>>();
  private shownOf(gateway: string): Map<string, string> {
    let m = this.shown.get(gateway);
    if (!m) this.shown.set(gateway, (m = new Map<string, string>()));
    return m;
  }

  /**
   * Each gateway's session family (parents and subagents), kept until a row's parent link changes or a session comes
   * or goes: a turn's many row updates do not rebuild it.
   */
  private readonly families = new Map<string, SessionFamily>();
  private familyOf(watcher: GatewayWatcher, changedKeys?: readonly string[]): SessionFamily {
    let f = this.families.get(watcher.name);
    if (f && changedKeys)
      for (const key of changedKeys) {
        const row = watcher.session(key);
        if (!row || !f.has(key) || declaredParent(row) !== f.declaredParentOf(key)) {
          f = undefined;
          break;
        }
      }
    if (!f) this.families.set(watcher.name, (f = buildSessionFamily(watcher.sessionRows())));
    return f;
  }
  /** Family views computed for the current refresh (a parent's roll-up reads its subagents' statuses). */
  private readonly views = new Map<string, Map<string, FamilyView | undefined>>();
  private familyViewOf(watcher: GatewayWatcher, key: string): FamilyView | undefined {
    const family = this.familyOf(watcher);
    if (!family.childCount && !family.declaredParentOf(key)) return undefined;
    let m = this.views.get(watcher.name);
    if (!m) this.views.set(watcher.name, (m = new Map<string, FamilyView | undefined>()));
    if (!m.has(key))
      m.set(
        key,
        familyView(
          family,
          watcher.session(key),
          key,
          this.statusOf(watcher, key),
          (k) => this.statusOf(watcher, k),
          (k) => sessionLabel(watcher.session(k), k),
        ),
      );
    return m.get(key);
  }
  private describe(
    watcher: GatewayWatcher,
    key: string,
    now: number,
    opts: { tooltip?: boolean; coarseAge?: boolean },
  ): SessionDescription {
    return describeSession(watcher.session(key), key, this.statusOf(watcher, key), now, {
      ...opts,
      family: this.familyViewOf(watcher, key),
      labelOf: (k) => sessionLabel(watcher.session(k), k),
    });
  }

  /** Lane statuses computed for the current refresh: each session's status once per refresh, not once per use. */
  private readonly statuses = new Map<string, Map<string, LaneStatus>>();
  private statusOf(watcher: GatewayWatcher, key: string): LaneStatus {
    let m = this.statuses.get(watcher.name);
    if (!m) this.statuses.set(watcher.name, (m = new Map<string, LaneStatus>()));
    let s = m.get(key);
    if (!s) m.set(key, (s = watcher.laneStatus(key)));
    return s;
  }

  // ---------------------------------------------------------------- live time
  // Ages ("running 42s", "stuck 7m") and retry countdowns are computed when a row is built, and the row is rebuilt when
  // the text it shows would change: every second while a run is under a minute old or a retry counts down, every
  // minute after that (the tree shows minutes, not seconds, past the first minute; the tooltip and the transcript
  // give the exact age). Why not every second throughout: in VS Code a row that is rebuilt closes its open tooltip,
  // and a row rebuilt every second never gets to show one (the UI test's hover failed in CI that way). For the same
  // reason a row whose tooltip VS Code just asked for keeps its text for HOVER_HOLD_MS. A fleet with nothing running
  // and nothing counting down arms no timer at all.
  private tickTimer?: NodeJS.Timeout;
  private tickDue = Infinity;
  /** Rows that show the clock, with when (Date.now()) their text next changes. */
  private readonly ticking = new Map<FleetNode, number>();
  /** Rows whose tooltip was asked for, with when the hold ends. */
  private readonly held = new Map<FleetNode, number>();
  private rideTimer?: NodeJS.Timeout;

  private armTick(): void {
    if (!this.ticking.size) return;
    const now = Date.now();
    let due = Infinity;
    for (const [n, at] of this.ticking) due = Math.min(due, Math.max(at, this.held.get(n) ?? 0));
    if (this.tickTimer && this.tickDue <= due) return;
    clearTimeout(this.tickTimer);
    this.tickDue = due;
    this.tickTimer = setTimeout(() => this.tick(), Math.max(0, due - now));
    this.tickTimer.unref?.();
  }

  private tick(): void {
    this.tickTimer = undefined;
    this.tickDue = Infinity;
    const now = Date.now();
    for (const [n, due] of this.ticking) {
      const heldUntil = this.held.get(n) ?? 0;
      if (heldUntil > now || due > now + 20) continue;
      this.held.delete(n);
      this.ticking.delete(n); // added back by getTreeItem when VS Code rebuilds the row
      if (this.nodes.get(n.id) === n) this.pending.add(n);
    }
    // The rows ride along with the next refresh for a change if one comes within TICK_RIDE_MS; only a quiet tree
    // fires for the clock alone. Every fire holds the refresh slot for REFRESH_SPACING_MS, so a fire of its own per
    // tick would make the next change of state wait behind it.
    if (this.pending.size && !this.flushTimer && !this.rideTimer)
      this.rideTimer = setTimeout(() => {
        this.rideTimer = undefined;
        if (this.pending.size) this.queue(this.pending.values().next().value);
      }, TICK_RIDE_MS);
    this.armTick();
  }

  /** Rows whose text depends on the clock, for tests and the bench. */
  get tickingNodes(): number {
    return this.ticking.size;
  }

  refresh(): void {
    this.queue(undefined);
  }

  /** The node of a session, for TreeView.reveal (from a log line's link); undefined when not listed. */
  sessionNode(gateway: string, key: string): FleetNode | undefined {
    const watcher = this.fleet.gateway(gateway);
    if (!watcher?.session(key)) return undefined;
    return this.node({ kind: 'session' as const, id: `session:${gateway}:${key}`, gateway, key });
  }

  getParent(element: FleetNode): FleetNode | undefined {
    if (element.kind === 'gateway' || element.kind === 'settings-problem') return undefined;
    const gatewayNode = this.node({ kind: 'gateway' as const, id: `gw:${element.gateway}`, gateway: element.gateway });
    if (isSchedulerNode(element)) {
      const up =
        element.kind === 'cron-job'
          ? `cron:${element.gateway}`
          : element.kind === 'task-group'
            ? `tasks:${element.gateway}`
            : element.kind === 'task'
              ? `taskgroup:${element.gateway}:${element.requester}`
              : undefined;
      return (up && this.nodes.get(up)) || gatewayNode;
    }
    if (element.kind !== 'session') return gatewayNode;
    const watcher = this.fleet.gateway(element.gateway);
    const parentKey = watcher && this.familyOf(watcher).parentOf(element.key);
    if (parentKey) return this.sessionNode(element.gateway, parentKey);
    if (!watcher || watcher.agentList().length <= 1) return gatewayNode;
    const row = watcher.session(element.key);
    const agentId = row?.agentId ?? /^agent:([^:]+):/.exec(element.key)?.[1];
    return agentId
      ? this.node({
          kind: 'agent' as const,
          id: `agent:${element.gateway}:${agentId}`,
          gateway: element.gateway,
          agentId,
        })
      : gatewayNode;
  }

  getChildren(element?: FleetNode): FleetNode[] {
    if (!element) {
      const problems = this.fleet.problems().map((p, i) =>
        this.node({
          kind: 'settings-problem' as const,
          id: `problem:${i}:${p.message}`,
          message: p.message,
          setting: p.setting,
        }),
      );
      return [
        ...problems,
        ...this.fleet
          .gateways()
          .map((g) => this.node({ kind: 'gateway' as const, id: `gw:${g.name}`, gateway: g.name })),
      ];
    }
    if (element.kind === 'settings-problem') return [];
    const watcher = this.fleet.gateway(element.gateway);
    if (!watcher) return [];
    if (element.kind === 'gateway') {
      const snap = watcher.snapshot();
      if (snap.state !== 'connected')
        return snap.problem && snap.problem.action !== 'none' && watcher.restartRequestedAt === undefined
          ? [this.node({ kind: 'fix' as const, id: `fix:${watcher.name}`, gateway: watcher.name })]
          : [];
      // Lanes, then the scheduler's Cron jobs and Tasks (on versions that have them), then the sessions: the few fixed
      // nodes stay at the top, where hundreds of sessions below cannot push them out of sight.
      const methods = snap.hello?.methods;
      const lanes = [
        ...(watcher.laneTable()
          ? [this.node({ kind: 'lanes' as const, id: `lanes:${watcher.name}`, gateway: watcher.name })]
          : []),
        ...schedulerRootNodes(watcher.name, (m) => !!methods?.has(m)).map((n) => this.node(n)),
      ];
      const agents = watcher.agentList();
      if (agents.length <= 1) return [...lanes, ...this.sessionNodes(watcher, undefined)];
      return [
        ...lanes,
        ...agents.map((a) =>
          this.node({
            kind: 'agent' as const,
            id: `agent:${watcher.name}:${a.id}`,
            gateway: watcher.name,
            agentId: a.id,
          }),
        ),
      ];
    }
    if (isSchedulerNode(element)) {
      if (element.kind === 'cron-root' || element.kind === 'tasks-root') void watcher.scheduler.read();
      return schedulerChildren(element, watcher.scheduler.latest()).map((n) => this.node(n));
    }
    if (element.kind === 'agent') return this.sessionNodes(watcher, element.agentId);
    if (element.kind === 'session') return this.sessionNodes(watcher, undefined, element.key);
    return [];
  }

  /**
   * The view's badge: sessions that need someone (stuck, stalled, stale, no progress), over every gateway, or
   * undefined when none do. Read after each refresh; the statuses are the ones that refresh computed.
   */
  attentionBadge(): { value: number; tooltip: string } | undefined {
    let n = 0;
    for (const watcher of this.fleet.gateways())
      for (const s of this.sessionsOf(watcher, undefined)) if (NEEDS_ATTENTION.has(s.status.state)) n++;
    return n ? { value: n, tooltip: `${n} session${n === 1 ? ' needs' : 's need'} attention` } : undefined;
  }

  private sessionsOf(watcher: GatewayWatcher, agentId: string | undefined) {
    return watcher
      .sessionRows()
      .filter((r) => !agentId || !r.agentId || r.agentId === agentId)
      .map((r) => ({ row: r, status: this.statusOf(watcher, r.key) }));
  }

  /**
   * The session rows under a node: an agent's (or the gateway's) sessions with no listed parent, or the subagents of
   * `parentKey`. Sorted by the worse of each session's own state and its subagents' (a parent with a stuck subagent
   * sorts with the stuck sessions).
   */
  private sessionNodes(watcher: GatewayWatcher, agentId: string | undefined, parentKey?: string): FleetNode[] {
    const family = this.familyOf(watcher);
    const members =
      parentKey !== undefined
        ? family.childrenOf(parentKey).flatMap((key) => {
            const row = watcher.session(key);
            return row ? [{ row, status: this.statusOf(watcher, key) }] : [];
          })
        : this.sessionsOf(watcher, agentId).filter((s) => family.parentOf(s.row.key) === undefined);
    return members
      .map((s) => {
        const view = this.familyViewOf(watcher, s.row.key);
        return { ...s, shownState: rolledUpState(s.status.state, view), waiting: !!view?.waitingOn?.length };
      })
      .filter((s) => !this.hideIdle || s.shownState !== 'idle' || s.waiting)
      .sort((a, b) => compareLaneStates(a.shownState, b.shownState) || (b.row.updatedAt ?? 0) - (a.row.updatedAt ?? 0))
      .map((s) =>
        this.node({
          kind: 'session' as const,
          id: `session:${watcher.name}:${s.row.key}`,
          gateway: watcher.name,
          key: s.row.key,
        }),
      );
  }

  getTreeItem(element: FleetNode): vscode.TreeItem {
    if (element.kind === 'settings-problem') {
      const item = new vscode.TreeItem(element.message, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.command = { command: 'workbench.action.openSettingsJson', title: 'Open settings' };
      item.contextValue = 'settingsProblem';
      return item;
    }
    const watcher = this.fleet.gateway(element.gateway);
    if (!watcher) return new vscode.TreeItem('(removed)');
    if (isSchedulerNode(element)) {
      // A root's row says what needs attention without being opened ("3 jobs · 1 needs attention"): showing it reads
      // the scheduler (a read younger than 5 s is reused; the read's end redraws the root).
      if (element.kind === 'cron-root' || element.kind === 'tasks-root') void watcher.scheduler.read();
      return schedulerTreeItem(element, watcher.scheduler.latest(), Date.now());
    }
    const snap = watcher.snapshot();
    if (element.kind === 'gateway') {
      const d = describeConnection(watcher, snap, this.fleet.tokenSource(watcher.name));
      // Always expandable: VS Code remembers a node's collapsible state by id, so a gateway first shown while
      // connecting (no children) would otherwise stay collapsed once its sessions arrive.
      const item = new vscode.TreeItem(watcher.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = element.id;
      // The process health adds words only when the gateway is degraded ("degraded: event loop 97% busy, 1.4 s delay").
      const health = snap.state === 'connected' ? healthRowText(watcher.healthVerdict()) : undefined;
      item.description =
        snap.state === 'connected'
          ? `${d.description} · ${summarizeCounts(this.sessionsOf(watcher, undefined).map((s) => s.status.state))}${health?.description ? ` · ${health.description}` : ''}`
          : d.description;
      // The tooltip ("Connected 4m ago", handshake times) is built on hover, in resolveTreeItem, so it is never stale.
      item.iconPath = new vscode.ThemeIcon(
        d.icon,
        new vscode.ThemeColor(health?.description ? 'list.warningForeground' : d.color),
      );
      item.contextValue = gatewayContextValue(snap);
      if (snap.nextRetryAt !== undefined && snap.state !== 'connected') {
        // A countdown shows whole seconds, floored: its text changes when the time left crosses the next second down.
        const left = snap.nextRetryAt - Date.now();
        this.ticking.set(element, Date.now() + (left > 0 ? left % 1_000 || 1_000 : 1_000));
      } else this.ticking.delete(element);
      this.armTick();
      return item;
    }
    if (element.kind === 'fix') {
      const p = snap.problem!;
      const fix = fixFor(p);
      const item = new vscode.TreeItem(fix.label, vscode.TreeItemCollapsibleState.None);
      item.id = element.id;
      item.tooltip = p.advice;
      item.iconPath = new vscode.ThemeIcon('wrench');
      item.command = {
        command: fix.command,
        title: fix.label,
        arguments: [{ kind: 'gateway', id: `gw:${watcher.name}`, gateway: watcher.name }],
      };
      item.contextValue = `fix.${p.action}`;
      return item;
    }
    if (element.kind === 'lanes') {
      const t = watcher.laneTable()!;
      const busy = t.lanes.filter((l) => l.activeCount > 0 || l.queuedCount > 0);
      const dyn = t.dynamic;
      const item = new vscode.TreeItem('Lanes', vscode.TreeItemCollapsibleState.None);
      item.id = element.id;
      item.description =
        [
          ...busy.map(
            (l) =>
              `${l.lane} ${l.activeCount}/${l.maxConcurrent ?? '?'}${l.queuedCount ? ` +${l.queuedCount} queued` : ''}`,
          ),
          dyn ? `session lanes: ${dyn.activeCount ?? 0} active, ${dyn.queuedCount ?? 0} queued` : '',
        ]
          .filter(Boolean)
          .join(' · ') || (t.source === 'logs' ? 'no lane wait logged (this version has no lane RPC)' : 'all idle');
      item.tooltip = new vscode.MarkdownString(
        [
          '| lane | active | queued | max |',
          '|---|---|---|---|',
          ...t.lanes.map(
            (l) =>
              `| ${escapeMarkdown(String(l.lane))} | ${l.activeCount} | ${l.queuedCount} | ${l.maxConcurrent ?? ''} |`,
          ),
          '',
          dyn ? `Session lanes: ${escapeMarkdown(sessionLanesWords(dyn))}` : 'Session lanes: idle',
          ...(t.note ? ['', `_${escapeMarkdown(t.note)}_`] : []),
        ].join('\n'),
      );
      item.iconPath = new vscode.ThemeIcon('list-flat');
      item.contextValue = 'lanes';
      return item;
    }
    if (element.kind === 'agent') {
      const states = this.sessionsOf(watcher, element.agentId).map((s) => s.status.state);
      const item = new vscode.TreeItem(element.agentId, vscode.TreeItemCollapsibleState.Expanded);
      item.id = element.id;
      item.description = summarizeCounts(states);
      item.iconPath = new vscode.ThemeIcon('hubot');
      item.contextValue = 'agent';
      return item;
    }
    const status = this.statusOf(watcher, element.key);
    const row = watcher.session(element.key);
    const now = Date.now();
    const d = this.describe(watcher, element.key, now, { tooltip: false, coarseAge: true });
    if (row) {
      // A row rebuilt for its clock can find its state changed by time alone (a quiet run turning "no progress"):
      // the gateway's counts and the badge then refresh too, as for any change of what a row shows.
      const shown = this.shownOf(element.gateway);
      const sig = shownSignature(d);
      const before = shown.get(element.key);
      shown.set(element.key, sig);
      const gatewayNode = this.nodes.get(`gw:${element.gateway}`);
      if (before !== undefined && before !== sig) {
        if (stateChanged(before, sig)) this.queueState([element], gatewayNode);
        else this.queue(gatewayNode);
      }
    }
    const since = d.lane.since;
    if (since !== undefined) this.ticking.set(element, now + msUntilDurationChanges(now - since, true));
    else this.ticking.delete(element);
    this.armTick();
    // Subagents stay collapsed until opened: hundreds of them under one parent show as a count on its row.
    const children = this.familyOf(watcher).childrenOf(element.key).length;
    const hasChildren =
      children > 0 && (!this.hideIdle || this.sessionNodes(watcher, undefined, element.key).length > 0);
    const item = new vscode.TreeItem(
      d.label,
      hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = element.id;
    item.description = d.description;
    // The tooltip (facts, run, diagnostic line) is built in resolveTreeItem, on hover: building it for every
    // row at every refresh was a large part of the refresh cost on big fleets (bench/fleet.mjs profile).
    item.iconPath = new vscode.ThemeIcon(d.icon, d.color ? new vscode.ThemeColor(d.color) : undefined);
    // `.waiting`: no run of its own, held by its subagents; its menu offers Recover (which offers the subagent first).
    item.contextValue = `session.${d.status}${status.verified ? '' : '.unverified'}${status.waitingOn?.length ? '.waiting' : ''}`;
    item.accessibilityInformation = { label: `${d.label}, ${d.description}` };
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, element: FleetNode): vscode.TreeItem {
    if (element.kind === 'session' || element.kind === 'gateway') this.held.set(element, Date.now() + HOVER_HOLD_MS);
    if (item.tooltip || element.kind === 'settings-problem') return item;
    const watcher = this.fleet.gateway(element.gateway);
    if (watcher && element.kind === 'gateway') {
      const snap = watcher.snapshot();
      const health = snap.state === 'connected' ? healthRowText(watcher.healthVerdict()) : undefined;
      item.tooltip = new vscode.MarkdownString(
        [
          describeConnection(watcher, snap, this.fleet.tokenSource(watcher.name)).tooltipMarkdown,
          ...(health?.description ? ['', `**Process ${escapeMarkdown(health.description)}**`] : []),
          ...(health?.why ?? []).map((t) => `- ${escapeMarkdown(t)}`),
          ...(health?.numbers ? ['', `Process: ${escapeMarkdown(health.numbers)}`] : []),
        ].join('\n'),
      );
    }
    if (watcher && element.kind === 'session')
      item.tooltip = new vscode.MarkdownString(
        describeSession(watcher.session(element.key), element.key, watcher.laneStatus(element.key), Date.now(), {
          family: this.familyViewOf(watcher, element.key),
          labelOf: (k) => sessionLabel(watcher.session(k), k),
        }).tooltipMarkdown,
      );
    return item;
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    clearTimeout(this.earlyTimer);
    clearTimeout(this.tickTimer);
    clearTimeout(this.rideTimer);
    this.sub.dispose();
    this.emitter.dispose();
  }
}
