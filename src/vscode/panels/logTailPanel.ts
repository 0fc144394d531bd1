// The Gateway Logs panel: one webview per gateway on a LogTailModel (src/logs/logTailModel.ts: the ring, markers,
// filters and what is posted), which reads from the gateway's one log poller (`watcher.logs`): opening a panel
// subscribes to it and never starts a second reader; closing the last one lets the poller drop back to its own pace.
import type * as vscode from 'vscode';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import { filterFrom, LogTailModel, type LogTailShowOptions } from '../../logs/logTailModel';
import type { PageNotification } from '../../protocol/envelope';
import { LOG_TAIL, type LogTailFilterView } from '../../protocol/webviewMessages';
import { GatewayPanels } from './gatewayPanels';
import { WebviewPanelBase, type PanelServices } from './webviewPanelBase';

export const LOG_TAIL_VIEW_TYPE = 'lanewatch.gatewayLogs';

export type { LogTailShowOptions } from '../../logs/logTailModel';
// Row shaping lives in src/logs/logRows.ts (no `vscode`), so the webview test and bench/tail.mjs post what this panel posts.
export { logRowView } from '../../logs/logRows';
export { logSourceView } from '../../logs/logTailModel';

export interface LogTailPanelsOptions {
  /** Lines kept per gateway (default 20,000). */
  capacity?: number;
}

/** A session key or id as the watcher knows it: its key and id ("This session" matches lines naming either). */
function sessionOf(watcher: GatewayWatcher, wanted: string): { sessionKey?: string; sessionId?: string } {
  const byKey = watcher.session(wanted);
  if (byKey)
    return { sessionKey: wanted, sessionId: typeof byKey.sessionId === 'string' ? byKey.sessionId : undefined };
  const byId = watcher.sessionRows().find((r) => r.sessionId === wanted);
  if (byId) return { sessionKey: byId.key, sessionId: wanted };
  return { sessionKey: wanted, sessionId: wanted }; // unknown to the watcher: match it either way
}

/** One open panel: the webview on its model. */
class LogTailPanel extends WebviewPanelBase<'logTail'> {
  private readonly model: LogTailModel;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly watcher: GatewayWatcher,
    options: LogTailPanelsOptions,
    initial: LogTailShowOptions | undefined,
    services: PanelServices,
    private readonly onRevealSession: (gateway: string, sessionKey: string) => void,
  ) {
    super(panel, LOG_TAIL, services, {
      entry: 'log-tail',
      css: ['log-tail.css'],
      title: `Logs ${watcher.name}`,
      label: 'Gateway Logs',
    });
    panel.title = `Logs: ${watcher.name}`;
    this.model = this._register(
      new LogTailModel({
        feed: watcher.logs,
        gateway: watcher.name,
        capacity: options.capacity,
        initial,
        resolveSession: (wanted) => sessionOf(watcher, wanted),
        post: (message) => this.post(message),
        info: (message) => services.output.info(`[${watcher.name}] ${message}`),
      }),
    );
    this.resync();
    this.load();
  }

  protected resync(): void {
    this.model.resync();
  }

  protected async onRequest(): Promise<undefined> {
    return undefined; // this panel's page asks nothing: it posts notifications only
  }

  protected override onNotification(msg: PageNotification<'logTail'>): void {
    switch (msg.type) {
      case 'logTail/revealSession':
        this.onRevealSession(this.watcher.name, msg.sessionKey);
        return;
      case 'logTail/filter':
        this.model.setFilter(msg.filter, false);
        return;
      case 'logTail/clear':
        this.model.clear();
        return;
      case 'logTail/showLine':
        this.model.showLine(msg.seq);
        return;
    }
  }

  setFilter(filter: LogTailFilterView, echo: boolean): void {
    this.model.setFilter(filter, echo);
  }

  currentFilter(): LogTailFilterView {
    return this.model.currentFilter();
  }
}

export class LogTailPanels extends GatewayPanels<LogTailPanel> {
  constructor(
    extensionUri: vscode.Uri,
    output: vscode.LogOutputChannel,
    private readonly options: LogTailPanelsOptions = {},
    private readonly onRevealSession: (gateway: string, sessionKey: string) => void = () => undefined,
  ) {
    super(extensionUri, output);
  }

  /** A panel VS Code restores after a window reload (WebviewPanelSerializer), with the filter it had. */
  restore(panel: vscode.WebviewPanel, watcher: GatewayWatcher, filter: LogTailFilterView): void {
    this.panels.get(watcher.name)?.panel.dispose();
    this.attach(panel, watcher, {
      preset: filter.preset,
      sessionKey: filter.session || undefined,
      text: filter.text,
      minLevel: filter.minLevel,
    });
  }

  show(watcher: GatewayWatcher, opts?: LogTailShowOptions): void {
    const existing = this.panels.get(watcher.name);
    if (existing) {
      existing.panel.reveal();
      if (opts && (opts.preset || opts.sessionKey || opts.sessionId || opts.text !== undefined || opts.minLevel)) {
        const f = filterFrom(opts);
        if (opts.minLevel === undefined) f.minLevel = existing.currentFilter().minLevel;
        existing.setFilter(f, true);
      }
      return;
    }
    this.attach(this.createPanel(LOG_TAIL_VIEW_TYPE, `Logs: ${watcher.name}`), watcher, opts);
  }

  private attach(panel: vscode.WebviewPanel, watcher: GatewayWatcher, opts: LogTailShowOptions | undefined): void {
    this.add(
      watcher.name,
      (services) => new LogTailPanel(panel, watcher, this.options, opts, services, this.onRevealSession),
    );
  }

  /** Applies a filter as if chosen in the panel (commands and tests); false when no panel is open. */
  setFilter(name: string, filter: Partial<LogTailFilterView>): boolean {
    const p = this.panels.get(name);
    if (!p) return false;
    p.setFilter({ ...p.currentFilter(), ...filter }, true);
    return true;
  }
}
