// Activation: read settings, start one read-only watcher per gateway, show the tree. Everything slow
// (sockets, file reads, SecretStorage) happens after activate() returns, so activation stays cheap.
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { registerGatewayCommands } from './commands/gatewayCommands';
import { registerTranscriptCommands } from './commands/transcriptCommands';
import { AuditLog, registerRecoveryCommands, type AuditEntry } from './commands/recoveryCommands';
import { SecretDeviceIdentityStore, SecretStorageReader } from './host/secretStores';
import { Fleet, type FleetChange } from './model/fleet';
import { parseGatewaySettings } from './model/gatewaySettings';
import { discoverDefaultGateways } from './model/openclawConfig';
import { describeConnection, describeSession } from './views/describe';
import { FleetTreeProvider } from './views/fleetTree';
import { GatewayDetailsPanels } from './views/gatewayDetailsPanel';
import { TRANSCRIPT_VIEW_TYPE, TranscriptPanels } from './views/transcriptPanel';

export interface LanewatchApi {
  /** Time spent inside activate(), in ms. */
  readonly activationMs: number;
  fleetSnapshot(): Promise<FleetSnapshotGateway[]>;
  onDidChangeFleet(listener: (change: FleetChange) => void): vscode.Disposable;
  /** The HTML of an open gateway-details panel (for CSP checks) and the DOM facts its script reported. */
  gatewayDetailsHtml(name: string): string | undefined;
  onDidReportGatewayDetails(listener: (report: { gateway: string; facts: Record<string, unknown> }) => void): vscode.Disposable;
  /** Every recovery action and its result, as written to the output channel. */
  auditEntries(): readonly AuditEntry[];
  /** The HTML of an open transcript panel and the DOM facts its script reported (entries rendered, DOM size, in flight shown). */
  transcriptHtml(gateway: string, key: string): string | undefined;
  onDidReportTranscript(listener: (report: { gateway: string; sessionKey: string; facts: Record<string, unknown> }) => void): vscode.Disposable;
}

export interface FleetSnapshotGateway {
  name: string; url: string; state: string; description: string; problemKind?: string; serverVersion?: string; protocol?: number;
  agents: string[]; sessions: Array<{ key: string; description: string; status: string; verified: boolean; facts: string[] }>;
}

let fleet: Fleet | undefined;

export function activate(context: vscode.ExtensionContext): LanewatchApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Lanewatch', { log: true });
  context.subscriptions.push(output);
  const version = String(context.extension.packageJSON.version ?? '0.0.0');
  const timeoutSeconds = vscode.workspace.getConfiguration('lanewatch').get<number>('requestTimeoutSeconds', 60);
  const requestTimeoutMs = (Number.isFinite(timeoutSeconds) && timeoutSeconds >= 5 ? Math.min(timeoutSeconds, 600) : 60) * 1000;
  const activeFleet = new Fleet({
    secrets: new SecretStorageReader(context.secrets), identityStore: new SecretDeviceIdentityStore(context.secrets),
    clientVersion: version, requestTimeoutMs,
    log: (level, message) => output[level === 'debug' ? 'debug' : level === 'info' ? 'info' : level === 'warn' ? 'warn' : 'error'](message),
  });
  fleet = activeFleet;
  const tree = new FleetTreeProvider(activeFleet);
  context.subscriptions.push(tree, vscode.window.createTreeView('lanewatch.fleet', { treeDataProvider: tree, showCollapseAll: true }));
  registerGatewayCommands(context, activeFleet, output, () => tree.refresh());
  const setHideIdle = (hide: boolean) => { tree.setHideIdle(hide); void vscode.commands.executeCommand('setContext', 'lanewatch.hideIdle', hide); void context.workspaceState.update('lanewatch.hideIdle', hide); };
  context.subscriptions.push(
    vscode.commands.registerCommand('lanewatch.hideIdleSessions', () => setHideIdle(true)),
    vscode.commands.registerCommand('lanewatch.showIdleSessions', () => setHideIdle(false)),
  );
  if (context.workspaceState.get<boolean>('lanewatch.hideIdle')) setHideIdle(true);
  const audit = new AuditLog(output);
  registerRecoveryCommands(context, activeFleet, output, audit);
  const details = new GatewayDetailsPanels(context.extensionUri, activeFleet, output);
  context.subscriptions.push(details, vscode.commands.registerCommand('lanewatch.showGatewayDetails', async (arg?: { gateway?: string }) => {
    const name = arg?.gateway ?? (activeFleet.gateways().length === 1 ? activeFleet.gateways()[0].name : (await vscode.window.showQuickPick(activeFleet.gateways().map((g) => g.name), { placeHolder: 'Details of which gateway?' })));
    const watcher = name ? activeFleet.gateway(name) : undefined;
    if (watcher) details.show(watcher);
  }));

  const transcripts = new TranscriptPanels(context.extensionUri, activeFleet, output);
  context.subscriptions.push(transcripts, vscode.window.registerWebviewPanelSerializer(TRANSCRIPT_VIEW_TYPE, transcripts));
  registerTranscriptCommands(context, activeFleet, transcripts);

  let warnedProblems = '';
  const applySettings = async () => {
    const parsed = parseGatewaySettings(vscode.workspace.getConfiguration('lanewatch').get('gateways'));
    const configs = parsed.gateways.length || parsed.problems.length ? parsed.gateways : await discoverDefaultGateways();
    if (!parsed.gateways.length && configs.length) output.info(`no lanewatch.gateways configured; watching ${configs.map((c) => `${c.name} (${c.url}, from ${c.source})`).join(', ')}`);
    activeFleet.setGateways(configs, parsed.problems);
    const text = parsed.problems.map((p) => p.message).join('\n');
    if (text && text !== warnedProblems) {
      for (const p of parsed.problems) output.warn(`settings: ${p.message}`);
      void vscode.window.showWarningMessage(`Lanewatch: ${parsed.problems.length} problem(s) in lanewatch.gateways: ${parsed.problems[0].message}`, 'Open Settings')
        .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettingsJson'));
    }
    warnedProblems = text;
  };
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('lanewatch.gateways')) void applySettings(); }));
  void applySettings();

  const activationMs = performance.now() - started;
  output.info(`Lanewatch ${version} activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    fleetSnapshot: async () => activeFleet.gateways().map((g) => {
      const snap = g.snapshot();
      return {
        name: g.name, url: g.config.url, state: snap.state, description: describeConnection(g, snap).description, problemKind: snap.problem?.kind,
        serverVersion: snap.hello?.serverVersion, protocol: snap.hello?.protocol, agents: g.agentList().map((a) => a.id),
        sessions: g.sessionRows().map((r) => { const status = g.laneStatus(r.key); const d = describeSession(r, r.key, status); return { key: r.key, description: d.description, status: d.status, verified: status.verified, facts: status.facts.map((f) => f.text) }; }),
      };
    }),
    onDidChangeFleet: (listener) => { const sub = activeFleet.onDidChange(listener); return new vscode.Disposable(() => sub.dispose()); },
    gatewayDetailsHtml: (name) => details.html(name),
    onDidReportGatewayDetails: (listener) => details.onDidReport(listener),
    auditEntries: () => audit.entries,
    transcriptHtml: (gateway, key) => transcripts.html(gateway, key),
    onDidReportTranscript: (listener) => transcripts.onDidReport(listener),
  };
}

export function deactivate(): void {
  fleet?.dispose();
  fleet = undefined;
}
