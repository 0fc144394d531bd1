// The Transcript panel: one webview per gateway + session key, fed by a TranscriptModel on that gateway's
// watcher connection (read-only). The page handshake, the queue until `ready` and the full re-post when a hidden
// panel is shown again are the panel base's (webviewPanelBase.ts); this panel posts the model's changes and answers
// the page's requests. Panels come back after a window reload through the WebviewPanelSerializer, from the state the
// page keeps with setState ({gateway, sessionKey, scroll anchor, search, expanded parts}).
import * as vscode from 'vscode';
import type { Fleet } from '../../fleet/fleet';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import { TranscriptModel, type TranscriptChange } from '../../transcript/transcript';
import type { PageRequest } from '../../protocol/envelope';
import { isTranscriptPanelState, TRANSCRIPT, type TranscriptStatusView } from '../../protocol/webviewMessages';
import { entryView, liveView, snapshotChunks, statusView } from '../../transcript/transcriptView';
import type { SessionLaneView } from '../../protocol/laneView';
import { sessionLaneView } from '../../report/describe';
import { WebviewPanelBase, type PanelServices } from './webviewPanelBase';
import { panelServices } from './webviewHtml';

export const TRANSCRIPT_VIEW_TYPE = 'lanewatch.transcript';
/** Live updates (streamed text arrives every ~150 ms per run) are coalesced to at most one post per this many ms. */
const LIVE_POST_MS = 60;

const panelKey = (gateway: string, sessionKey: string) => `${gateway}\n${sessionKey}`;
const shortKey = (key: string) => key.replace(/^agent:[^:]+:/, '');

class TranscriptPanel extends WebviewPanelBase<'transcript'> {
  private model?: TranscriptModel;
  private watcher?: GatewayWatcher;
  private modelSub?: { dispose(): void };
  private liveTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private laneTimer?: NodeJS.Timeout;

  constructor(
    panel: vscode.WebviewPanel,
    readonly gateway: string,
    readonly sessionKey: string,
    private readonly fleet: Fleet,
    services: PanelServices,
  ) {
    super(panel, TRANSCRIPT, services, {
      entry: 'transcript',
      css: ['transcript.css'],
      title: `Transcript ${shortKey(sessionKey)} · ${gateway}`,
      label: 'Transcript',
    });
    this._register({
      dispose: () => {
        clearTimeout(this.liveTimer);
        clearTimeout(this.statusTimer);
        clearTimeout(this.laneTimer);
        this.detach();
      },
    });
    // Settings edits rebuild watchers: follow the new one (or wait for it to come back).
    this._register(
      fleet.onDidChange((c) => {
        if (c.what === 'gateways') this.attach();
        else if (
          c.gateway === this.gateway &&
          (c.what === 'connection' || (c.what === 'sessions' && (!c.keys || c.keys.includes(this.laneKey()))))
        )
          this.laneTimer ??= setTimeout(() => {
            this.laneTimer = undefined;
            this.post({ type: 'transcript/lane', lane: this.laneView() });
          }, LIVE_POST_MS);
      }),
    );
    this.attach();
    this.load();
  }

  get title(): string {
    return `${shortKey(this.sessionKey)} · ${this.gateway}`;
  }

  private attach(): void {
    const watcher = this.fleet.gateway(this.gateway);
    if (watcher === this.watcher && (this.model || !watcher)) return;
    this.detach();
    this.watcher = watcher;
    if (watcher) {
      const model = new TranscriptModel({
        api: watcher.api,
        sessionKey: this.sessionKey,
        evidence: watcher.evidenceSource(),
        log: (level, message) => this.services.output[level](`[${this.gateway}] ${message}`),
      });
      this.model = model;
      this.modelSub = model.onDidChange((c) => this.onChange(c));
      void model.start();
    }
    this.resync();
  }

  private detach(): void {
    this.modelSub?.dispose();
    this.modelSub = undefined;
    this.model?.dispose();
    this.model = undefined;
  }

  /** The key the watcher lists the session under (a bare key opened from the palette resolves once the gateway answers). */
  private laneKey(): string {
    return this.model?.key ?? this.sessionKey;
  }

  /** The one lane status of this session, as the tree shows it (the fleet watcher's), for the panel's header. */
  private laneView(): SessionLaneView | null {
    const key = this.laneKey();
    return this.watcher?.session(key) ? sessionLaneView(this.watcher.laneStatus(key)) : null;
  }

  private statusView(): TranscriptStatusView {
    if (this.model) return statusView(this.model);
    return {
      connection: 'waiting',
      connectionText: `Gateway "${this.gateway}" is not configured (or not loaded yet); the transcript opens when it is.`,
      session: 'unknown',
      loaded: false,
      hasOlder: false,
      dropped: 0,
      maxMessages: 0,
      notices: [],
    };
  }

  protected resync(): void {
    this.post({ type: 'transcript/init', gateway: this.gateway, sessionKey: this.sessionKey, title: this.title });
    this.post({ type: 'transcript/status', status: this.statusView() });
    this.post({ type: 'transcript/lane', lane: this.laneView() });
    if (!this.model) {
      this.post({ type: 'transcript/entries', op: 'replace', entries: [] });
      this.post({ type: 'transcript/live', live: { pending: [], pendingNotListed: 0, notRun: [] } });
      return;
    }
    for (const chunk of snapshotChunks(this.model.entries()))
      this.post({ type: 'transcript/entries', op: chunk.op, entries: chunk.entries });
    this.post({ type: 'transcript/live', live: liveView(this.model) });
  }

  private onChange(c: TranscriptChange): void {
    const model = this.model;
    if (!model) return;
    switch (c.type) {
      case 'snapshot':
        for (const chunk of snapshotChunks(model.entries()))
          this.post({ type: 'transcript/entries', op: chunk.op, entries: chunk.entries });
        return;
      case 'appended':
        this.post({ type: 'transcript/entries', op: 'append', entries: c.entries.map(entryView) });
        return;
      case 'prepended':
        this.post({ type: 'transcript/entries', op: 'prepend', entries: c.entries.map(entryView) });
        return;
      case 'dropped':
        this.post({ type: 'transcript/dropped', count: c.count });
        return;
      case 'live':
        this.liveTimer ??= setTimeout(() => {
          this.liveTimer = undefined;
          if (this.model) this.post({ type: 'transcript/live', live: liveView(this.model) });
        }, LIVE_POST_MS);
        return;
      case 'status':
        this.statusTimer ??= setTimeout(() => {
          this.statusTimer = undefined;
          this.post({ type: 'transcript/status', status: this.statusView() });
        }, LIVE_POST_MS);
        return;
    }
  }

  protected async onRequest(r: PageRequest<'transcript'>): Promise<string | undefined> {
    switch (r.type) {
      case 'transcript/loadOlder':
        return String(await (this.model?.loadOlder() ?? 0));
      case 'transcript/retry':
        if (this.model) await this.model.reload();
        else this.attach();
        return undefined;
      case 'transcript/copy': {
        const text = this.model?.entryText(r.key);
        if (text === undefined) throw new Error('that message is no longer loaded');
        await vscode.env.clipboard.writeText(text);
        return undefined;
      }
      case 'transcript/export': {
        const md = await this.markdown();
        const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
        const name = `transcript-${shortKey(this.sessionKey)
          .replace(/[^\w.-]+/g, '_')
          .slice(0, 80)}-${stamp}.md`;
        const base = vscode.workspace.workspaceFolders?.[0]?.uri;
        const uri = await vscode.window.showSaveDialog({
          title: `Export transcript of ${this.sessionKey}`,
          filters: { Markdown: ['md'] },
          ...(base ? { defaultUri: vscode.Uri.joinPath(base, name) } : {}),
        });
        if (!uri) return '';
        await vscode.workspace.fs.writeFile(uri, Buffer.from(md, 'utf8'));
        return uri.fsPath || uri.toString();
      }
      case 'transcript/openLink': {
        let url: URL;
        try {
          url = new URL(r.url);
        } catch {
          throw new Error('not a valid URL');
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          throw new Error('only http and https links are opened');
        // openExternal applies VS Code's own link protection (it asks before opening an untrusted domain).
        const opened = await vscode.env.openExternal(vscode.Uri.parse(url.toString(), true));
        return opened ? 'opened' : 'not opened';
      }
    }
  }

  async markdown(): Promise<string> {
    if (!this.model) throw new Error(`gateway "${this.gateway}" is not available`);
    await this.model.settled();
    return this.model.toMarkdown({
      title: `Transcript of ${this.sessionKey}`,
      source: `${this.gateway} (${this.watcher?.config.url ?? 'unknown URL'})`,
    });
  }
}

export class TranscriptPanels implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private readonly panels = new Map<string, TranscriptPanel>();
  /** Facts each webview reported about its own DOM (entries rendered, DOM size, in-flight shown), for tests. */
  readonly lastReports = new Map<string, Record<string, unknown>>();
  private readonly reportEmitter = new vscode.EventEmitter<{
    gateway: string;
    sessionKey: string;
    facts: Record<string, unknown>;
  }>();
  readonly onDidReport = this.reportEmitter.event;

  private readonly services: Omit<PanelServices, 'onReport'>;

  constructor(
    extensionUri: vscode.Uri,
    private readonly fleet: Fleet,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.services = panelServices(extensionUri, output);
  }

  show(gateway: string, sessionKey: string): void {
    const existing = this.panels.get(panelKey(gateway, sessionKey));
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      TRANSCRIPT_VIEW_TYPE,
      `Transcript: ${shortKey(sessionKey)}`,
      vscode.ViewColumn.Active,
      this.services.shell.options,
    );
    this.adopt(panel, gateway, sessionKey);
  }

  /** WebviewPanelSerializer: a panel that was open before the window reloaded. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (!isTranscriptPanelState(state)) {
      this.output.warn('transcript: a restored panel had no usable state; closing it');
      panel.dispose();
      return;
    }
    const existing = this.panels.get(panelKey(state.gateway, state.sessionKey));
    if (existing) {
      panel.dispose();
      existing.panel.reveal();
      return;
    }
    this.adopt(panel, state.gateway, state.sessionKey);
  }

  private adopt(panel: vscode.WebviewPanel, gateway: string, sessionKey: string): void {
    const key = panelKey(gateway, sessionKey);
    const entry = new TranscriptPanel(panel, gateway, sessionKey, this.fleet, {
      ...this.services,
      onReport: (facts) => {
        this.lastReports.set(key, facts);
        this.reportEmitter.fire({ gateway, sessionKey, facts });
      },
    });
    this.panels.set(key, entry);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === entry) this.panels.delete(key);
      this.lastReports.delete(key);
    });
  }

  html(gateway: string, sessionKey: string): string | undefined {
    return this.panels.get(panelKey(gateway, sessionKey))?.panel.webview.html;
  }

  /** The loaded transcript of an open panel as Markdown (what Export writes). */
  markdown(gateway: string, sessionKey: string): Promise<string> | undefined {
    return this.panels.get(panelKey(gateway, sessionKey))?.markdown();
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
    this.reportEmitter.dispose();
  }
}
