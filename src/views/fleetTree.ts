// The "Gateways" tree: gateways → agents → sessions. Node objects are cached by id so that a change on
// one gateway refreshes only that gateway's subtree (VS Code matches refreshed elements by identity).
import * as vscode from 'vscode';
import type { Fleet, FleetChange } from '../model/fleet';
import type { GatewayWatcher } from '../model/gatewayWatcher';
import { describeConnection, describeSessionRow, gatewayContextValue } from './describe';

export type FleetNode =
  | { kind: 'gateway'; id: string; gateway: string }
  | { kind: 'fix'; id: string; gateway: string }
  | { kind: 'agent'; id: string; gateway: string; agentId: string }
  | { kind: 'session'; id: string; gateway: string; key: string }
  | { kind: 'settings-problem'; id: string; message: string; setting: string };

export class FleetTreeProvider implements vscode.TreeDataProvider<FleetNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<FleetNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, FleetNode>();
  private readonly sub: { dispose(): void };

  constructor(private readonly fleet: Fleet) {
    this.sub = fleet.onDidChange((c) => this.onFleetChange(c));
  }

  private node<T extends FleetNode>(n: T): T {
    const cached = this.nodes.get(n.id) as T | undefined;
    if (cached) return cached;
    this.nodes.set(n.id, n);
    return n;
  }

  private onFleetChange(change: FleetChange): void {
    if (change.what === 'gateways') { this.nodes.clear(); this.emitter.fire(undefined); return; }
    const gatewayNode = this.nodes.get(`gw:${change.gateway}`);
    this.emitter.fire(gatewayNode);
  }

  refresh(): void { this.emitter.fire(undefined); }

  getChildren(element?: FleetNode): FleetNode[] {
    if (!element) {
      const problems = this.fleet.problems().map((p, i) => this.node({ kind: 'settings-problem' as const, id: `problem:${i}:${p.message}`, message: p.message, setting: p.setting }));
      return [...problems, ...this.fleet.gateways().map((g) => this.node({ kind: 'gateway' as const, id: `gw:${g.name}`, gateway: g.name }))];
    }
    if (element.kind === 'settings-problem') return [];
    const watcher = this.fleet.gateway(element.gateway);
    if (!watcher) return [];
    if (element.kind === 'gateway') {
      const snap = watcher.snapshot();
      if (snap.state !== 'connected') return snap.problem && snap.problem.action !== 'none' ? [this.node({ kind: 'fix' as const, id: `fix:${watcher.name}`, gateway: watcher.name })] : [];
      const agents = watcher.agentList();
      if (agents.length <= 1) return this.sessionNodes(watcher, agents[0]?.id);
      return agents.map((a) => this.node({ kind: 'agent' as const, id: `agent:${watcher.name}:${a.id}`, gateway: watcher.name, agentId: a.id }));
    }
    if (element.kind === 'agent') return this.sessionNodes(watcher, element.agentId);
    return [];
  }

  private sessionNodes(watcher: GatewayWatcher, agentId: string | undefined): FleetNode[] {
    return watcher.sessionRows()
      .filter((r) => !agentId || !r.agentId || r.agentId === agentId)
      .sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0))
      .map((r) => this.node({ kind: 'session' as const, id: `session:${watcher.name}:${r.key}`, gateway: watcher.name, key: r.key }));
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
      const item = new vscode.TreeItem(watcher.name, snap.state === 'connected' ? vscode.TreeItemCollapsibleState.Expanded : snap.problem?.action && snap.problem.action !== 'none' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.id = element.id;
      item.description = d.description;
      item.tooltip = new vscode.MarkdownString(d.tooltipMarkdown);
      item.iconPath = new vscode.ThemeIcon(d.icon, new vscode.ThemeColor(d.color));
      item.contextValue = gatewayContextValue(snap);
      return item;
    }
    if (element.kind === 'fix') {
      const p = snap.problem!;
      const fixes: Record<string, { label: string; command: string }> = {
        'set-token': { label: 'Set token…', command: 'lanewatch.setGatewayToken' },
        'approve-pairing': { label: p.requestId ? `Approve pairing: openclaw devices approve ${p.requestId}` : 'Approve pairing on the gateway host', command: 'lanewatch.showConnectionReport' },
        'check-url': { label: 'Check the URL in settings', command: 'workbench.action.openSettingsJson' },
        'upgrade-gateway': { label: 'Unsupported gateway version: see report', command: 'lanewatch.showConnectionReport' },
        'grant-scope': { label: 'Missing scope: see report', command: 'lanewatch.showConnectionReport' },
        retry: { label: 'Retry now', command: 'lanewatch.reconnectGateway' },
      };
      const fix = fixes[p.action] ?? fixes.retry;
      const item = new vscode.TreeItem(fix.label, vscode.TreeItemCollapsibleState.None);
      item.id = element.id;
      item.tooltip = p.advice;
      item.iconPath = new vscode.ThemeIcon('wrench');
      item.command = { command: fix.command, title: fix.label, arguments: [{ kind: 'gateway', id: `gw:${watcher.name}`, gateway: watcher.name }] };
      item.contextValue = `fix.${p.action}`;
      return item;
    }
    if (element.kind === 'agent') {
      const count = watcher.sessionRows().filter((r) => r.agentId === element.agentId).length;
      const item = new vscode.TreeItem(element.agentId, vscode.TreeItemCollapsibleState.Expanded);
      item.id = element.id;
      item.description = `${count} session${count === 1 ? '' : 's'}`;
      item.iconPath = new vscode.ThemeIcon('hubot');
      item.contextValue = 'agent';
      return item;
    }
    const row = watcher.session(element.key);
    const d = describeSessionRow(row, element.key);
    const item = new vscode.TreeItem(d.label, vscode.TreeItemCollapsibleState.None);
    item.id = element.id;
    item.description = d.description;
    item.tooltip = new vscode.MarkdownString(d.tooltipMarkdown);
    item.iconPath = new vscode.ThemeIcon(d.icon, d.color ? new vscode.ThemeColor(d.color) : undefined);
    item.contextValue = `session.${d.status}`;
    return item;
  }

  dispose(): void { this.sub.dispose(); this.emitter.dispose(); }
}
