// One webview panel per gateway showing its connection details, updated live from connection events.
// The host posts only after the webview said `ready` (messages posted earlier would be dropped).
import * as vscode from 'vscode';
import type { Fleet } from '../../fleet/fleet';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import { isWebviewToHost, type GatewayDetailsView, type HostToWebview } from '../../protocol/webviewMessages';
import { describeConnection } from '../../report/describe';
import { webviewHtml, webviewOptions } from './webviewHtml';

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

export class GatewayDetailsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  /** Facts the webview reported about its own DOM (for tests and diagnostics). */
  readonly lastReports = new Map<string, Record<string, unknown>>();
  private readonly reportEmitter = new vscode.EventEmitter<{ gateway: string; facts: Record<string, unknown> }>();
  readonly onDidReport = this.reportEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly fleet: Fleet,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  show(watcher: GatewayWatcher): void {
    const existing = this.panels.get(watcher.name);
    if (existing) {
      existing.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      'lanewatch.gatewayDetails',
      `Gateway: ${watcher.name}`,
      vscode.ViewColumn.Active,
      webviewOptions(this.extensionUri),
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'lanewatch.svg');
    this.panels.set(watcher.name, panel);
    let ready = false;
    const post = (message: HostToWebview) => {
      if (ready) void panel.webview.postMessage(message);
    };
    const update = () => post({ type: 'gatewayDetails', details: gatewayDetailsView(watcher, this.fleet) });
    const subs = [
      watcher.onDidChange((c) => {
        if (c.what === 'connection' || c.what === 'sessions') update();
      }),
      panel.webview.onDidReceiveMessage((msg: unknown) => {
        if (!isWebviewToHost(msg)) {
          this.output.warn(`gateway details: ignored a malformed message from the webview`);
          return;
        }
        if (msg.type === 'ready') {
          ready = true;
          update();
          return;
        }
        if (msg.type === 'report') {
          this.lastReports.set(watcher.name, msg.facts);
          this.reportEmitter.fire({ gateway: watcher.name, facts: msg.facts });
          return;
        }
        const command = msg.command === 'reconnect' ? 'lanewatch.reconnectGateway' : 'lanewatch.showConnectionReport';
        void vscode.commands.executeCommand(command, { gateway: watcher.name }).then(
          () => post({ type: 'response', id: msg.id, ok: true }),
          (err: unknown) =>
            post({ type: 'response', id: msg.id, ok: false, error: String((err as Error)?.message ?? err) }),
        );
      }),
    ];
    panel.onDidDispose(() => {
      for (const s of subs) s.dispose();
      this.panels.delete(watcher.name);
    });
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'gateway-details', `Gateway ${watcher.name}`);
  }

  html(name: string): string | undefined {
    return this.panels.get(name)?.webview.html;
  }

  dispose(): void {
    for (const p of this.panels.values()) p.dispose();
    this.reportEmitter.dispose();
  }
}
