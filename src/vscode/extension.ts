// Activation: read settings, start one read-only watcher per gateway, show the tree. Everything slow
// (sockets, file reads, SecretStorage) happens after activate() returns, so activation stays cheap.
import { noProgressFromSeconds } from '../lanes/laneStatus';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { registerGatewayCommands } from './commands/gatewayCommands';
import { PlaintextConsent, registerTransportTrustCommands } from './commands/transportTrustCommands';
import { registerRecoveryCommands } from './commands/recoveryCommands';
import { registerProfileCommands } from './commands/profileCommands';
import { registerDiagnosticsCommands } from './commands/diagnosticsCommands';
import { registerSchedulerCommands } from './commands/schedulerCommands';
import { ActionServices } from './commands/commandHost';
import { requestTimeoutFromSeconds } from '../actions/operatorConnection';
import { WatchdogHost } from './watchdogHost';
import { registerTranscriptCommands } from './commands/transcriptCommands';
import { SecretDeviceIdentityStore, SecretStorageReader } from './secretStores';
import { Fleet } from '../fleet/fleet';
import { parseGatewaySettings } from '../config/gatewaySettings';
import { discoverDefaultGateways } from '../config/openclawConfig';
import { FleetTreeProvider } from './fleetTree';
import { reportFleet, type FleetReport } from '../report/fleetReport';
import { FleetStatusBar } from './statusBar';
import { LOG_TAIL_VIEW_TYPE, LogTailPanels, type LogTailShowOptions } from './panels/logTailPanel';
import { isLogTailPersistedState } from '../protocol/webviewMessages';
import type { LogPreset } from '../logs/logRing';
import { GatewayDetailsPanels } from './panels/gatewayDetailsPanel';
import { TRANSCRIPT_VIEW_TYPE, TranscriptPanels } from './panels/transcriptPanel';
import { createTestHooks, TEST_HOOKS_ENV, testHooksEnabled, type LanewatchTestHooks } from './testHooks';
import { pickGateway } from './commands/pickGateway';

/**
 * What `activate()` returns to other extensions: the fleet as `lanewatch status --json` reports it, and a signal when it
 * changes. The test suites' hooks are `testing`, present only when the extension host runs with LANEWATCH_TEST_HOOKS=1
 * (src/vscode/testHooks.ts).
 */
export interface LanewatchApi {
  /** Every configured gateway with its agents and sessions, lane statuses and the facts behind them; no tokens. */
  fleetReport(): FleetReport;
  /** Fires when a gateway's connection or sessions change (the report is then read again). */
  onDidChangeFleet(listener: () => void): vscode.Disposable;
  readonly testing?: LanewatchTestHooks;
}

let fleet: Fleet | undefined;

export function activate(context: vscode.ExtensionContext): LanewatchApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Lanewatch', { log: true });
  context.subscriptions.push(output);
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
  const requestTimeoutMs = requestTimeoutFromSeconds(
    vscode.workspace.getConfiguration('lanewatch').get<unknown>('requestTimeoutSeconds'),
  );
  // Read once and on edits: the lane status of every session asks for it at every refresh.
  const readNoProgress = () =>
    noProgressFromSeconds(vscode.workspace.getConfiguration('lanewatch').get<unknown>('noProgressSeconds'));
  let noProgressMs = readNoProgress();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('lanewatch.noProgressSeconds')) return;
      noProgressMs = readNoProgress();
      for (const w of fleet?.gateways() ?? []) w.statusRulesChanged();
    }),
  );
  const plaintextConsent = new PlaintextConsent(context.globalState);
  const activeFleet = new Fleet({
    secrets: new SecretStorageReader(context.secrets),
    identityStore: new SecretDeviceIdentityStore(context.secrets),
    clientVersion: version,
    requestTimeoutMs,
    noProgressMs: () => noProgressMs,
    plaintextConsent: (c) => plaintextConsent.allows(c),
    log: (level, message) =>
      output[level === 'debug' ? 'debug' : level === 'info' ? 'info' : level === 'warn' ? 'warn' : 'error'](message),
  });
  fleet = activeFleet;
  const tree = new FleetTreeProvider(activeFleet);
  const statusBar = new FleetStatusBar(activeFleet);
  const treeView = vscode.window.createTreeView('lanewatch.fleet', { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(tree, statusBar, treeView);
  // Gateway process health is read only while someone looks: the tree while its view is visible.
  tree.setVisible(treeView.visible);
  context.subscriptions.push(treeView.onDidChangeVisibility((e) => tree.setVisible(e.visible)));
  // The badge on the view's icon: how many sessions need someone, visible with the side bar closed.
  context.subscriptions.push(
    tree.onDidChangeTreeData(() => {
      const badge = tree.attentionBadge();
      if (badge?.value !== treeView.badge?.value) treeView.badge = badge;
    }),
  );
  const revealed = new vscode.EventEmitter<{ gateway: string; key: string; found: boolean }>();
  const revealSession = (gateway: string, key: string) => {
    const node = tree.sessionNode(gateway, key);
    revealed.fire({ gateway, key, found: !!node });
    if (!node) {
      void vscode.window.showInformationMessage(
        `Lanewatch: ${gateway} does not list the session ${key} (it may have been deleted or reset).`,
      );
      return;
    }
    if (tree.idleHidden && activeFleet.gateway(gateway)?.laneStatus(key).state === 'idle') tree.setHideIdle(false);
    void treeView.reveal(node, { select: true, focus: true, expand: true });
  };
  registerGatewayCommands(context, activeFleet, output, () => tree.refresh());
  registerTransportTrustCommands(context, activeFleet, plaintextConsent, output);
  const setHideIdle = (hide: boolean) => {
    tree.setHideIdle(hide);
    void vscode.commands.executeCommand('setContext', 'lanewatch.hideIdle', hide);
    void context.workspaceState.update('lanewatch.hideIdle', hide);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('lanewatch.hideIdleSessions', () => setHideIdle(true)),
    vscode.commands.registerCommand('lanewatch.showIdleSessions', () => setHideIdle(false)),
  );
  if (context.workspaceState.get<boolean>('lanewatch.hideIdle')) setHideIdle(true);
  // The audit trail, the one factory of action connections and the one command wrapper, for the commands and the watchdog.
  const actions = new ActionServices(context, activeFleet, output);
  const audit = actions.audit;
  registerRecoveryCommands(actions);
  registerProfileCommands(actions, context);
  registerDiagnosticsCommands(actions, context);
  registerSchedulerCommands(actions);
  const watchdog = new WatchdogHost(actions);
  context.subscriptions.push(watchdog);
  const details = new GatewayDetailsPanels(context.extensionUri, activeFleet, output);
  context.subscriptions.push(
    details,
    vscode.commands.registerCommand('lanewatch.showGatewayDetails', async (arg?: { gateway?: string }) => {
      const watcher = arg?.gateway
        ? activeFleet.gateway(arg.gateway)
        : await pickGateway(activeFleet.gateways(), 'Details of which gateway?');
      if (watcher) details.show(watcher);
    }),
  );

  const maxLines = vscode.workspace.getConfiguration('lanewatch').get<number>('logs.maxLines', 20_000);
  const logs = new LogTailPanels(
    context.extensionUri,
    output,
    { capacity: Number.isInteger(maxLines) && maxLines >= 1_000 && maxLines <= 200_000 ? maxLines : 20_000 },
    revealSession,
  );
  context.subscriptions.push(
    logs,
    revealed,
    vscode.commands.registerCommand('lanewatch.revealSession', (arg?: { gateway?: string; key?: string }) => {
      if (arg?.gateway && arg.key) revealSession(arg.gateway, arg.key);
    }),
    vscode.commands.registerCommand(
      'lanewatch.openGatewayLogs',
      async (arg?: { kind?: string; gateway?: string; key?: string; preset?: LogPreset }) => {
        const watcher = arg?.gateway
          ? activeFleet.gateway(arg.gateway)
          : await pickGateway(activeFleet.gateways(), 'Logs of which gateway?');
        if (!watcher) return;
        // From a session node: the lines about that session; from the lanes node: lane waits.
        const opts: LogTailShowOptions | undefined = arg?.preset
          ? { preset: arg.preset, sessionKey: arg.key }
          : arg?.kind === 'session' && arg.key
            ? { preset: 'session', sessionKey: arg.key }
            : arg?.kind === 'lanes'
              ? { preset: 'lane-waits' }
              : undefined;
        logs.show(watcher, opts);
      },
    ),
    vscode.window.registerWebviewPanelSerializer(LOG_TAIL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state: unknown) {
        const watcher = isLogTailPersistedState(state) ? activeFleet.gateway(state.gateway) : undefined;
        if (!watcher || !isLogTailPersistedState(state)) {
          // The gateway is gone from the settings (or the state is unreadable): say so rather than show an empty list.
          panel.webview.options = { enableScripts: false };
          panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>This log panel's gateway is no longer configured in lanewatch.gateways. Close this tab and use "Lanewatch: Open Gateway Logs".</p></body></html>`;
          return;
        }
        logs.restore(panel, watcher, state.filter);
      },
    }),
  );
  const transcripts = new TranscriptPanels(context.extensionUri, activeFleet, output);
  context.subscriptions.push(
    transcripts,
    vscode.window.registerWebviewPanelSerializer(TRANSCRIPT_VIEW_TYPE, transcripts),
  );
  registerTranscriptCommands(context, activeFleet, transcripts);

  let warnedProblems = '';
  let warnedConfig = '';
  const applySettings = async () => {
    const parsed = parseGatewaySettings(vscode.workspace.getConfiguration('lanewatch').get('gateways'));
    // A broken (not missing) ~/.openclaw/openclaw.json is said, once per message: discovery never guesses around it.
    const configErrors: string[] = [];
    const configs =
      parsed.gateways.length || parsed.problems.length
        ? parsed.gateways
        : await discoverDefaultGateways(process.env, (err) => configErrors.push(err.message));
    for (const message of configErrors) {
      output.warn(`gateway discovery: ${message}`);
      if (message !== warnedConfig) {
        warnedConfig = message;
        void vscode.window
          .showWarningMessage(
            `Lanewatch: the OpenClaw config file could not be used, so no gateway was discovered from it: ${message}`,
            'Add Gateway',
          )
          .then((choice) => choice && vscode.commands.executeCommand('lanewatch.addGateway'));
      }
    }
    if (!parsed.gateways.length && configs.length)
      output.info(
        `no lanewatch.gateways configured; watching ${configs.map((c) => `${c.name} (${c.url}, from ${c.source})`).join(', ')}`,
      );
    activeFleet.setGateways(configs, parsed.problems);
    const text = parsed.problems.map((p) => p.message).join('\n');
    if (text && text !== warnedProblems) {
      for (const p of parsed.problems) output.warn(`settings: ${p.message}`);
      void vscode.window
        .showWarningMessage(
          `Lanewatch: ${parsed.problems.length} problem(s) in lanewatch.gateways: ${parsed.problems[0].message}`,
          'Open Settings',
        )
        .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettingsJson'));
    }
    warnedProblems = text;
  };
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('lanewatch.gateways')) void applySettings();
    }),
  );
  void applySettings();

  const activationMs = performance.now() - started;
  output.info(`Lanewatch ${version} activated in ${activationMs.toFixed(1)} ms`);
  const api: LanewatchApi = {
    fleetReport: () => reportFleet(activeFleet),
    onDidChangeFleet: (listener) => {
      const sub = activeFleet.onDidChange(() => listener());
      return new vscode.Disposable(() => sub.dispose());
    },
  };
  if (!testHooksEnabled()) return api;
  const testing = createTestHooks({
    activationMs,
    logUri: context.logUri,
    fleet: activeFleet,
    statusBar,
    audit,
    watchdog,
    revealed: revealed.event,
    details,
    logs,
    transcripts,
  });
  output.info(`test hooks enabled (${TEST_HOOKS_ENV}=1)`);
  return { ...api, testing };
}

export function deactivate(): void {
  fleet?.dispose();
  fleet = undefined;
}
