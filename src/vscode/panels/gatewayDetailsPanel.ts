// One webview panel per gateway showing its connection details, updated live from connection events. The handshake,
// the queue until the page is ready and requests are the panel base's (webviewPanelBase.ts).
import * as vscode from 'vscode';
import type { Fleet } from '../../fleet/fleet';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import type { PageRequest } from '../../protocol/envelope';
import { GATEWAY_DETAILS, type GatewayDetailsView } from '../../protocol/webviewMessages';
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
  };
}

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
    });
    this._register(
      watcher.onDidChange((c) => {
        if (c.what === 'connection' || c.what === 'sessions') this.resync();
      }),
    );
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
