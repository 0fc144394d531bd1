// The "Gateways" tree: gateways → agents → sessions with derived lane status. Node objects are cached by
// id so that a change on one gateway refreshes only that gateway's subtree (VS Code matches refreshed
// elements by identity). Stuck, stalled and stale sessions sort first; idle ones can be hidden.
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Fleet, FleetChange } from '../fleet/fleet';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { compareLaneStates } from '../lanes/laneStatus';
import {
  describeConnection,
  describeSession,
  escapeMarkdown,
  fixFor,
  gatewayContextValue,
  summarizeCounts,
} from '../report/describe';

/** Minimum time between two onDidChangeTreeData fires; see queue(). Just over VS Code's own 200 ms debounce. */
export const REFRESH_SPACING_MS = 210;

export type FleetNode =
  | { kind: 'gateway'; id: string; gateway: string }
  | { kind: 'fix'; id: string; gateway: string }
  | { kind: 'lanes'; id: string; gateway: string }
  | { kind: 'agent'; id: string; gateway: string; agentId: string }
  | { kind: 'session'; id: string; gateway: string; key: string }
  | { kind: 'settings-problem'; id: string; message: string; setting: string };

export class FleetTreeProvider implements vscode.TreeDataProvider<FleetNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<FleetNode | FleetNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, FleetNode>();
  private readonly sub: { dispose(): void };
  private hideIdle = false;
  private readonly pending = new Set<FleetNode | undefined>();
  private flushTimer?: NodeJS.Timeout;
  private lastFlush = -Infinity;

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
   * Leading edge plus trailing batch. The first change after a quiet spell refreshes on the next macrotask (so the
   * changes of one socket read still go out together); changes that arrive within REFRESH_SPACING_MS of the last
   * refresh wait for the next slot and go out as one batch, so a burst (a turn produces ~27 events) is still one
   * refresh per spacing, whatever its size.
   *
   * Why not the former 100 ms trailing timer: every change, even a lone one on a quiet fleet, waited 100 ms, so
   * the p95 from event to refresh could not be under 100 ms (bench/fleet.mjs: 101–104 ms for isolated events).
   * Why the spacing is just over 200 ms, with one timer for the whole tree rather than one per gateway: VS Code's
   * extension host debounces onDidChangeTreeData itself (ExtHostTreeView: Event.debounce(…, 200, leading=true)).
   * A fire less than 200 ms after the previous one restarts that timer, so under steady load fires every 100 ms
   * kept VS Code from refreshing until a 200 ms lull: at 50 events/s the bench measured p95 1.2 s (old code) and
   * 2.8 s (this code with a 100 ms spacing) from event to VS Code's refresh, against ~0.3 s with 210 ms. Fires
   * spaced more than 200 ms apart land on VS Code's leading edge and are refreshed at once. The price: under
   * steady load a change waits up to the spacing for its slot, so the provider-side p95 is ~200 ms there.
   */
  private queue(node: FleetNode | undefined): void {
    this.pending.add(node);
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastFlush + REFRESH_SPACING_MS - performance.now());
    this.flushTimer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.flushTimer = undefined;
    this.lastFlush = performance.now();
    const all = this.pending.has(undefined);
    const nodes = [...this.pending];
    this.pending.clear();
    // One fire for the whole batch: VS Code refreshes the first fire after a lull at once but holds any further fire
    // for 200 ms, so one fire per gateway node delayed every gateway but the first.
    this.emitter.fire(all ? undefined : (nodes as FleetNode[]));
  }

  private onFleetChange(change: FleetChange): void {
    if (change.what === 'gateways') {
      this.nodes.clear();
      this.queue(undefined);
      return;
    }
    if (change.what === 'logs') return;
    this.queue(this.nodes.get(`gw:${change.gateway}`));
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
    if (element.kind !== 'session') return gatewayNode;
    const watcher = this.fleet.gateway(element.gateway);
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
      const problems = this.fleet
        .problems()
        .map((p, i) =>
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
        return snap.problem && snap.problem.action !== 'none'
          ? [this.node({ kind: 'fix' as const, id: `fix:${watcher.name}`, gateway: watcher.name })]
          : [];
      const lanes = watcher.laneTable()
        ? [this.node({ kind: 'lanes' as const, id: `lanes:${watcher.name}`, gateway: watcher.name })]
        : [];
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
    if (element.kind === 'agent') return this.sessionNodes(watcher, element.agentId);
    return [];
  }

  private sessionsOf(watcher: GatewayWatcher, agentId: string | undefined) {
    return watcher
      .sessionRows()
      .filter((r) => !agentId || !r.agentId || r.agentId === agentId)
      .map((r) => ({ row: r, status: watcher.laneStatus(r.key) }));
  }

  private sessionNodes(watcher: GatewayWatcher, agentId: string | undefined): FleetNode[] {
    return this.sessionsOf(watcher, agentId)
      .filter((s) => !this.hideIdle || s.status.state !== 'idle')
      .sort(
        (a, b) => compareLaneStates(a.status.state, b.status.state) || (b.row.updatedAt ?? 0) - (a.row.updatedAt ?? 0),
      )
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
    const snap = watcher.snapshot();
    if (element.kind === 'gateway') {
      const d = describeConnection(watcher, snap, this.fleet.tokenSource(watcher.name));
      // Always expandable: VS Code remembers a node's collapsible state by id, so a gateway first shown while
      // connecting (no children) would otherwise stay collapsed once its sessions arrive.
      const item = new vscode.TreeItem(watcher.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = element.id;
      item.description =
        snap.state === 'connected'
          ? `${d.description} · ${summarizeCounts(this.sessionsOf(watcher, undefined).map((s) => s.status.state))}`
          : d.description;
      item.tooltip = new vscode.MarkdownString(d.tooltipMarkdown);
      item.iconPath = new vscode.ThemeIcon(d.icon, new vscode.ThemeColor(d.color));
      item.contextValue = gatewayContextValue(snap);
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
          dyn ? `Session lanes (aggregate): ${escapeMarkdown(JSON.stringify(dyn))}` : 'Session lanes: idle',
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
    const status = watcher.laneStatus(element.key);
    const d = describeSession(watcher.session(element.key), element.key, status, Date.now(), { tooltip: false });
    const item = new vscode.TreeItem(d.label, vscode.TreeItemCollapsibleState.None);
    item.id = element.id;
    item.description = d.description;
    // The tooltip (facts, run, diagnostic line) is built in resolveTreeItem, on hover: building it for every
    // row at every refresh was a large part of the refresh cost on big fleets (bench/fleet.mjs profile).
    item.iconPath = new vscode.ThemeIcon(d.icon, d.color ? new vscode.ThemeColor(d.color) : undefined);
    item.contextValue = `session.${d.status}${status.verified ? '' : '.unverified'}`;
    item.accessibilityInformation = { label: `${d.label}, ${d.description}` };
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, element: FleetNode): vscode.TreeItem {
    if (element.kind !== 'session' || item.tooltip) return item;
    const watcher = this.fleet.gateway(element.gateway);
    if (watcher)
      item.tooltip = new vscode.MarkdownString(
        describeSession(watcher.session(element.key), element.key, watcher.laneStatus(element.key)).tooltipMarkdown,
      );
    return item;
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    this.sub.dispose();
    this.emitter.dispose();
  }
}
