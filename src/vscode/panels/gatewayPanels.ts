// What every family of per-gateway panels (Gateway details, Gateway Logs) keeps alike: at most one panel per gateway,
// the facts each page reported last (tests and diagnostics read them) and an event for them, the services a panel
// gets with its page reports wired in, and closing them all.
import * as vscode from 'vscode';
import type { PanelServices } from './webviewPanelBase';
import { panelServices } from './webviewHtml';

export class GatewayPanels<T extends { readonly panel: vscode.WebviewPanel }> implements vscode.Disposable {
  protected readonly panels = new Map<string, T>();
  /** Facts each webview reported about its own DOM, by gateway (for tests and diagnostics). */
  readonly lastReports = new Map<string, Record<string, unknown>>();
  private readonly reportEmitter = new vscode.EventEmitter<{ gateway: string; facts: Record<string, unknown> }>();
  readonly onDidReport = this.reportEmitter.event;
  protected readonly services: Omit<PanelServices, 'onReport'>;

  constructor(extensionUri: vscode.Uri, output: vscode.LogOutputChannel) {
    this.services = panelServices(extensionUri, output);
  }

  /** A new webview panel in the active editor column, with the page options every panel uses. */
  protected createPanel(viewType: string, title: string): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, this.services.shell.options);
  }

  /** Makes what `create` builds the gateway's panel: its page's reports are kept and fired; closed, it is forgotten. */
  protected add(gateway: string, create: (services: PanelServices) => T): T {
    const entry = create({
      ...this.services,
      onReport: (facts) => {
        this.lastReports.set(gateway, facts);
        this.reportEmitter.fire({ gateway, facts });
      },
    });
    this.panels.set(gateway, entry);
    entry.panel.onDidDispose(() => {
      if (this.panels.get(gateway) !== entry) return;
      this.panels.delete(gateway);
      this.lastReports.delete(gateway);
    });
    return entry;
  }

  html(gateway: string): string | undefined {
    return this.panels.get(gateway)?.panel.webview.html;
  }

  isOpen(gateway: string): boolean {
    return this.panels.has(gateway);
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
    this.reportEmitter.dispose();
  }
}
