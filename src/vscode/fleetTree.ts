// The "Gateways" tree: gateways → agents → sessions with derived lane status, and (2026.9) subagent sessions under
// the session that spawned them, collapsed, their count and worst state on the parent's row. Node objects are cached
// by id so that a change on one gateway refreshes only that gateway's subtree (VS Code matches refreshed elements by
// identity). Stuck, stalled and stale sessions sort first (a parent by the worse of its own and its subagents' states);
// idle ones can be hidden (a parent stays while a subagent of it is not idle).
import * as vscode from 'vscode';
import type { Fleet, FleetChange } from '../fleet/fleet';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import type { SessionRowView } from '../gateway';
import { LANE_STATE_ORDER, type LaneState, type LaneStatus } from '../lanes/laneStatus';
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
import { RefreshSchedule } from './fleetTreeRefresh';
import {
  isSchedulerNode,
  schedulerChildren,
  schedulerRootNodes,
  schedulerTreeItem,
  type SchedulerNode,
} from './schedulerNodes';

/** How often the tree reads each gateway's process health while the view is visible (ms). */
export const TREE_HEALTH_INTERVAL_MS = 5_000;

/**
 * How long what the tree derived for a row is kept at most, though no change was reported for it. Every input of a
 * row's status is reported by the watcher when it changes (and a change by time alone says when it comes), so this only
 * bounds what a missed report would leave on screen.
 */
const ROW_STATE_MAX_AGE_MS = 30_000;
/** A session row's status and what the tree shows of it (see FleetTreeProvider.rowStates). */
interface RowState {
  status: LaneStatus;
  /** Date.now() from which the entry is made again. */
  until: number;
  /** The row's family view (undefined: none); not there until first asked for. */
  view?: FamilyView;
  /** The row's words with coarse ages, made at most once until `until`. */
  shown?: SessionDescription;
}
/** States the view's badge counts. */
const NEEDS_ATTENTION: ReadonlySet<LaneState> = new Set(['stuck', 'stalled', 'stale', 'no-progress']);
/** After VS Code asks for a row's tooltip (the pointer rests on it), its clock is held this long: see tick(). */
export const HOVER_HOLD_MS = 30_000;

/**
 * What a session row shows apart from its age: a change here is worth a refresh. It starts with the row's state (its
 * lane state, queue count and icon, which for a parent is its worst subagent's), which the view's badge counts.
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
  /** When the tree fires, and which nodes each fire names (fleetTreeRefresh.ts). */
  private readonly schedule = new RefreshSchedule<FleetNode>((nodes) => {
    this.emitter.fire(nodes);
    this.armTick();
  });

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
  /** Session nodes by gateway and key: a refresh looks up thousands, without building each id. */
  private readonly sessionNodesBy = new Map<string, Map<string, FleetNode>>();
  private sessionNodeOf(gateway: string, key: string): FleetNode {
    let m = this.sessionNodesBy.get(gateway);
    if (!m) this.sessionNodesBy.set(gateway, (m = new Map<string, FleetNode>()));
    let n = m.get(key);
    if (!n) m.set(key, (n = this.node({ kind: 'session' as const, id: `session:${gateway}:${key}`, gateway, key })));
    return n;
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
      this.sessionNodesBy.clear();
      this.shown.clear();
      this.ticking.clear();
      this.held.clear();
      this.rowStates.clear();
      this.families.clear();
      this.schedule.structure(undefined);
      return;
    }
    if (change.what === 'logs') return;
    if (change.what === 'scheduler') {
      // A new read of the jobs or the ledger: only the two roots (and what is open under them) are redrawn.
      for (const id of [`cron:${change.gateway}`, `tasks:${change.gateway}`]) {
        const root = this.nodes.get(id);
        if (root) this.schedule.ride(root);
      }
      return;
    }
    const watcher = this.fleet.gateway(change.gateway);
    // What the tree derived for the gateway's rows stays until the watcher says what changed: its connection, its agents
    // or its whole list (a resync, a new status rule) drop all of it, a row's change that row and the rows above it.
    // The lanes table and the process health are in no row's status.
    if (change.what === 'connection' || change.what === 'agents' || (change.what === 'sessions' && !change.keys)) {
      this.families.delete(change.gateway);
      this.rowStates.delete(change.gateway);
    }
    const gatewayNode = this.nodes.get(`gw:${change.gateway}`);
    // The connection or the agents changed: the gateway row's state, and what is under it.
    if (change.what === 'connection' || change.what === 'agents')
      return gatewayNode ? this.schedule.changed(gatewayNode) : this.schedule.structure(undefined);
    if (change.what === 'sessions' && change.keys && watcher) {
      // Fire only when something a row shows changed (state, queue, outcome, label, and for a parent its subagents').
      const shown = this.shownOf(change.gateway);
      const family = this.familyOf(watcher, change.keys);
      const keys = new Set(change.keys);
      for (const key of change.keys)
        for (let p = family.parentOf(key), n = 0; p !== undefined && n < 64; p = family.parentOf(p), n++) keys.add(p);
      const states = this.rowStates.get(change.gateway);
      for (const key of keys) states?.delete(key);
      const now = Date.now();
      let changed = false;
      for (const key of keys) {
        const row = watcher.session(key);
        const sig = row ? shownSignature(this.shownRow(watcher, key, now).d) : undefined;
        const before = shown.get(key);
        if (sig === undefined) shown.delete(key);
        else shown.set(key, sig);
        if (before === sig) continue;
        changed = true;
        const node = this.sessionNodesBy.get(change.gateway)?.get(key);
        // A shown row goes alone (its gateway's counts and order follow); one that came or went changes its gateway's
        // list, and so does any change while idle sessions are hidden (the row may leave or join it). A subagent never
        // shown (its parent closed) shows only through its parent's row, which is among the keys.
        if (node && before !== undefined && sig !== undefined) {
          this.schedule.changed(node, gatewayNode);
          if (this.hideIdle) this.schedule.structure(gatewayNode);
        } else if (node || family.parentOf(key) === undefined) this.schedule.structure(gatewayNode);
      }
      if (changed && gatewayNode) this.schedule.counted(gatewayNode);
      return;
    }
    if (change.what === 'lanes') {
      const lanes = this.nodes.get(`lanes:${change.gateway}`);
      if (lanes) return this.schedule.ride(lanes);
    }
    // The process health: words on the gateway's own row, which only a re-read of the gateway redraws.
    if (change.what === 'health' && gatewayNode) return this.schedule.counted(gatewayNode);
    this.schedule.structure(gatewayNode);
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
    if (!f) {
      this.families.set(watcher.name, (f = buildSessionFamily(watcher.sessionRows())));
      this.rowStates.delete(watcher.name);
    }
    return f;
  }
  /**
   * What the tree derived for each session row, per gateway, kept across refreshes: a refresh of a gateway re-reads
   * 2,000 rows, and recomputing each one's status, family roll-up and words every time was most of the extension's
   * share of a refresh (bench/fleet.mjs). An entry goes when the watcher reports a change of its row or of a row below
   * it (onFleetChange), when its gateway's connection, agents, list or family change, and by itself at `until`: when
   * its status changes by time alone (the lane status says when), when its age text next changes, or, read later than
   * ROW_STATE_MAX_AGE_MS after it was made, in case something changed that no change reported.
   */
  private readonly rowStates = new Map<string, Map<string, RowState>>();
  private rowState(watcher: GatewayWatcher, key: string, now = Date.now(), m = this.rowStatesOf(watcher)): RowState {
    let r = m.get(key);
    if (!r || now >= r.until) {
      const status = watcher.laneStatus(key);
      // Only a threshold still ahead changes the status: a run past "no progress" keeps its noProgressAt, and an entry
      // that ran out at once would be made again, and its row rebuilt, at every read.
      const ahead = (at: number | undefined) => (at !== undefined && at > now ? at : Infinity);
      r = {
        status,
        until: Math.min(ahead(status.noProgressAt), ahead(status.changesAt), now + ROW_STATE_MAX_AGE_MS),
      };
      m.set(key, r);
    }
    return r;
  }
  private rowStatesOf(watcher: GatewayWatcher): Map<string, RowState> {
    let m = this.rowStates.get(watcher.name);
    if (!m) this.rowStates.set(watcher.name, (m = new Map<string, RowState>()));
    return m;
  }
  private statusOf(watcher: GatewayWatcher, key: string): LaneStatus {
    return this.rowState(watcher, key).status;
  }
  private familyViewOf(
    watcher: GatewayWatcher,
    key: string,
    r = this.rowState(watcher, key),
    family = this.familyOf(watcher),
  ): FamilyView | undefined {
    if (!family.declaredParentOf(key) && !family.childrenOf(key).length) {
      // A session with no parent, no subagents, nothing it waits on and no lineage on its row has an empty view, which
      // shows as no view at all: most rows of a gateway with subagents, skipped at every refresh.
      if (!family.childCount) return undefined;
      const row = watcher.session(key);
      if (typeof row?.spawnDepth !== 'number' && !row?.subagentRole && !r.status.waitingOn?.length) return undefined;
    }
    if (!('view' in r)) {
      let until = r.until;
      r.view = familyView(
        family,
        watcher.session(key),
        key,
        r.status,
        (k) => {
          // The roll-up is as good as the statuses it read: it is made again when one of them runs out.
          const below = this.rowState(watcher, k);
          until = Math.min(until, below.until);
          return below.status;
        },
        (k) => sessionLabel(watcher.session(k), k),
      );
      r.until = until;
    }
    return r.view;
  }
  /** The row's words as the tree shows them (coarse ages), kept until its age text next changes. */
  private shownRow(
    watcher: GatewayWatcher,
    key: string,
    now: number,
    r = this.rowState(watcher, key, now),
  ): { d: SessionDescription; fresh: boolean } {
    if (r.shown) return { d: r.shown, fresh: false };
    const d = describeSession(watcher.session(key), key, r.status, now, {
      tooltip: false,
      coarseAge: true,
      family: this.familyViewOf(watcher, key, r),
      labelOf: (k) => sessionLabel(watcher.session(k), k),
    });
    r.shown = d;
    if (d.lane.since !== undefined) r.until = Math.min(r.until, now + msUntilDurationChanges(now - d.lane.since, true));
    return { d, fresh: true };
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

  /**
   * A row's text next changes at `at`: re-arms the clock only when that is sooner than its timer (a refresh sets this
   * for thousands of rows; a timer that runs early finds nothing due and re-arms).
   */
  private tickAt(node: FleetNode, at: number): void {
    this.ticking.set(node, at);
    const due = Math.max(at, this.held.get(node) ?? 0);
    if (this.tickTimer && this.tickDue <= due) return;
    clearTimeout(this.tickTimer);
    this.tickDue = due;
    this.tickTimer = setTimeout(() => this.tick(), Math.max(0, due - Date.now()));
    this.tickTimer.unref?.();
  }

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
      // The row rides along with the next fire for a change, if one comes soon; only a quiet tree fires for the clock
      // alone (every fire holds VS Code's refresh, so a fire of its own per tick would make the next change wait).
      if (this.nodes.get(n.id) === n) this.schedule.ride(n);
    }
    this.armTick();
  }

  /** Rows whose text depends on the clock, for tests and the bench. */
  get tickingNodes(): number {
    return this.ticking.size;
  }

  refresh(): void {
    this.schedule.structure(undefined);
  }

  /** The node of a session, for TreeView.reveal (from a log line's link); undefined when not listed. */
  sessionNode(gateway: string, key: string): FleetNode | undefined {
    const watcher = this.fleet.gateway(gateway);
    if (!watcher?.session(key)) return undefined;
    return this.sessionNodeOf(gateway, key);
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
   * undefined when none do. Read on each fire; the statuses are the ones the tree keeps (see rowStates).
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
    const members: Array<{ key: string; rank: number; updatedAt: number }> = [];
    const states = this.rowStatesOf(watcher);
    const now = Date.now();
    const add = (row: SessionRowView) => {
      const r = this.rowState(watcher, row.key, now, states);
      const view = this.familyViewOf(watcher, row.key, r, family);
      const shownState = rolledUpState(r.status.state, view);
      if (this.hideIdle && shownState === 'idle' && !view?.waitingOn?.length) return;
      members.push({ key: row.key, rank: LANE_STATE_ORDER.indexOf(shownState), updatedAt: row.updatedAt ?? 0 });
    };
    if (parentKey !== undefined)
      for (const key of family.childrenOf(parentKey)) {
        const row = watcher.session(key);
        if (row) add(row);
      }
    else
      for (const row of watcher.sessionRows())
        if ((!agentId || !row.agentId || row.agentId === agentId) && family.parentOf(row.key) === undefined) add(row);
    // compareLaneStates, then the most recently updated first.
    members.sort((a, b) => a.rank - b.rank || b.updatedAt - a.updatedAt);
    return members.map((m) => this.sessionNodeOf(watcher.name, m.key));
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
        this.tickAt(element, Date.now() + (left > 0 ? left % 1_000 || 1_000 : 1_000));
      } else this.ticking.delete(element);
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
    const row = watcher.session(element.key);
    const now = Date.now();
    const family = this.familyOf(watcher); // first: a family made anew drops the rows' states
    const r = this.rowState(watcher, element.key, now);
    const status = r.status;
    const { d, fresh } = this.shownRow(watcher, element.key, now, r);
    if (row && fresh) {
      // A row rebuilt for its clock can find its state changed by time alone (a quiet run turning "no progress"):
      // the gateway's counts and the badge then refresh too, as for any change of what a row shows.
      const shown = this.shownOf(element.gateway);
      const sig = shownSignature(d);
      const before = shown.get(element.key);
      shown.set(element.key, sig);
      if (before !== undefined && before !== sig) {
        const gatewayNode = this.nodes.get(`gw:${element.gateway}`);
        // The row is being redrawn now; a fire for it again carries the state to the view's badge.
        if (stateChanged(before, sig)) this.schedule.changed(element, gatewayNode);
        else if (gatewayNode) this.schedule.counted(gatewayNode);
      }
    }
    const since = d.lane.since;
    if (since !== undefined) this.tickAt(element, r.until);
    else this.ticking.delete(element);
    // Subagents stay collapsed until opened: hundreds of them under one parent show as a count on its row.
    const children = family.childrenOf(element.key).length;
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
    item.iconPath = this.icon(d.icon, d.color);
    // `.waiting`: no run of its own, held by its subagents; its menu offers Recover (which offers the subagent first).
    item.contextValue = `session.${d.status}${status.verified ? '' : '.unverified'}${status.waitingOn?.length ? '.waiting' : ''}`;
    item.accessibilityInformation = { label: `${d.label}, ${d.description}` };
    return item;
  }

  /** One ThemeIcon per icon and colour, shared by the rows that show it (a few kinds for thousands of rows). */
  private readonly icons = new Map<string, Map<string, vscode.ThemeIcon>>();
  private icon(id: string, color = ''): vscode.ThemeIcon {
    let byColor = this.icons.get(id);
    if (!byColor) this.icons.set(id, (byColor = new Map<string, vscode.ThemeIcon>()));
    let icon = byColor.get(color);
    if (!icon) byColor.set(color, (icon = new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined)));
    return icon;
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
    this.schedule.dispose();
    clearTimeout(this.tickTimer);
    this.sub.dispose();
    this.emitter.dispose();
  }
}
