// One webview panel per gateway showing its connection details, updated live from connection events. The handshake,
// the queue until the page is ready and requests are the panel base's (webviewPanelBase.ts).
import * as vscode from 'vscode';
import type { Fleet } from '../../fleet/fleet';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import type { PageRequest } from '../../protocol/envelope';
import { GATEWAY_DETAILS, type GatewayDetailsView, type GatewayHealthView } from '../../protocol/webviewMessages';
import { healthView } from '../../fleet/gatewayHealth';
import { describeConnection } from '../../report/describe';
import { GatewayPanels } from './gatewayPanels';
import { WebviewPanelBase, type PanelServices } from './webviewPanelBase';

export function gatewayDetailsView(watcher: GatewayWatcher, fleet: Fleet): GatewayDetailsView {
  const s = watcher.snapshot();
  const rows = watcher.sessionRows();
  return {
    name: watcher.name,
    url: watcher.config.url,
    state: s.state,
    summary: describeConnection(watcher, s).description,
    advice: s.problem?.advice,
    diagnosis: s.problem?.diagnosing
      ? 'Asking its HTTP probes to tell why…'
      : s.problem?.diagnosis
        ? `WebSocket: ${s.problem.diagnosis.wsSummary} · HTTP: ${s.problem.diagnosis.http}`
        : undefined,
    problemKind: s.problem?.kind,
    closeCode: s.problem?.closeCode,
    serverVersion: s.hello?.serverVersion,
    protocol: s.hello?.protocol,
    bootId: s.hello?.bootId,
    scopes: [...(s.hello?.grantedScopes ?? [])],
    missingScopes: [...s.missingScopes],
    methodCount: s.hello?.methods.size,
    tokenSource: fleet.tokenSource(watcher.name)?.source,
    handshake: s.handshake ? { ...s.handshake } : undefined,
    sessions: { total: rows.length, running: rows.filter((r) => r.hasActiveRun === true).length },
    gatewayRecovery: s.state === 'connected' ? watcher.gatewayRecoverySummary().text : undefined,
    logProblems: logProblemsView(watcher),
    health: gatewayHealthView(watcher),
  };
}

function logProblemsView(watcher: GatewayWatcher): GatewayDetailsView['logProblems'] {
  // The panel is redrawn when these change, not as time passes: the clock time of the latest line, not "N s ago".
  const summary = watcher.logProblemsSummary(undefined, (at) => new Date(at).toLocaleTimeString());
  return summary.text ? { text: summary.text, advice: summary.problems.map((p) => p.advice) } : undefined;
}

/** What the panel shows of the log's known failures changes only when one of these does. */
function logProblemsSignature(watcher: GatewayWatcher): string {
  return watcher
    .logProblemsSummary()
    .problems.map((p) => `${p.id}:${p.count}:${p.latestAt}:${p.sessions.length}`)
    .join(',');
}

export function gatewayHealthView(watcher: GatewayWatcher): GatewayHealthView {
  return healthView(watcher.healthVerdict(), watcher.health.history.samples(), watcher.health.history.maxAgeMs);
}

/** How often an open, visible details panel reads the process health (the gateway's own window is about 1 s). */
const DETAILS_HEALTH_INTERVAL_MS = 2_000;
let panelIds = 0;

class GatewayDetailsPanel extends WebviewPanelBase<'gatewayDetails'> {
  constructor(
    panel: vscode.WebviewPanel,
    private readonly watcher: GatewayWatcher,
    private readonly fleet: Fleet,
    services: PanelServices,
  ) {
    super(panel, GATEWAY_DETAILS, services, {
      entry: 'gateway-details',
      title: `Gateway ${watcher.name}`,
      label: 'Gateway details',
      css: ['gateway-details.css'],
    });
    let logProblems = logProblemsSignature(watcher);
    this._register(
      watcher.onDidChange((c) => {
        if (c.what === 'connection' || c.what === 'sessions') return this.resync();
        // A log read that brought (or aged out) a known failure: redrawn; any other log read is not this panel's.
        if (c.what !== 'logs') return;
        const now = logProblemsSignature(watcher);
        if (now === logProblems) return;
        logProblems = now;
        this.resync();
      }),
    );
    // Health is read only while this panel is visible: a hidden panel asks the gateway for nothing.
    const demand = `details-panel#${++panelIds}`;
    const needHealth = (visible: boolean) => watcher.setHealthDemand(demand, visible, DETAILS_HEALTH_INTERVAL_MS);
    needHealth(panel.visible);
    this._register(panel.onDidChangeViewState((e) => needHealth(e.webviewPanel.visible)));
    this._register({ dispose: () => needHealth(false) });
    const sub = watcher.health.onDidChange(() =>
      this.post({ type: 'gatewayDetails/health', health: gatewayHealthView(watcher) }),
    );
    this._register({ dispose: () => sub.dispose() });
    this.resync();
    this.load();
  }

  protected resync(): void {
    this.post({ type: 'gatewayDetails/details', details: gatewayDetailsView(this.watcher, this.fleet) });
  }

  protected async onRequest(r: PageRequest<'gatewayDetails'>): Promise<undefined> {
    const command =
      r.type === 'gatewayDetails/reconnect' ? 'lanewatch.reconnectGateway' : 'lanewatch.showConnectionReport';
    await vscode.commands.executeCommand(command, { gateway: this.watcher.name });
    return undefined;
  }
}

export class GatewayDetailsPanels extends GatewayPanels<GatewayDetailsPanel> {
  constructor(
    extensionUri: vscode.Uri,
    private readonly fleet: Fleet,
    output: vscode.LogOutputChannel,
  ) {
    super(extensionUri, output);
  }

  show(watcher: GatewayWatcher): void {
    const existing = this.panels.get(watcher.name);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const panel = this.createPanel('lanewatch.gatewayDetails', `Gateway: ${watcher.name}`);
    this.add(watcher.name, (services) => new GatewayDetailsPanel(panel, watcher, this.fleet, services));
  }
}
