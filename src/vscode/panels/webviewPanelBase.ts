// The host side of every Lanewatch webview panel (Transcript, Gateway Logs, Gateway details), like
// vscode-pull-request-github's WebviewBase. It owns:
//   - the page: options, the HTML shell with the strict CSP (webviewHtml.ts), the icon;
//   - the ready handshake: what the panel posts before its page said `ready` is queued and delivered once, in order,
//     when it does. retainContextWhenHidden is off, so a hidden panel's page is torn down and a new page says `ready`
//     when the panel is shown again (a page reload does too): what was posted in between is dropped and the panel posts
//     its whole state again (`resync`). So does a queue that grew past MAX_QUEUE before the first `ready`;
//   - messages from the page, checked by the panel's protocol (src/protocol/envelope.ts): rejected ones are logged
//     with the reason; requests are answered with one `response` (the handler's result, or its error as text);
//     `report` facts go to the panel's owner; the page's own errors are logged and said once, in plain words;
//   - disposal: everything `_register`ed goes with the panel.
import type * as vscode from 'vscode';
import type {
  HostMessage,
  HostPost,
  PageMessage,
  PageNotification,
  PageRequest,
  PanelDefinition,
  PanelName,
} from '../../protocol/envelope';
import type { PageShell } from './webviewHtml';

/** What a panel needs from the extension. */
export interface PanelServices {
  readonly shell: PageShell;
  readonly output: vscode.LogOutputChannel;
  /** Says a problem to the user in plain words (a warning notification in the extension). */
  notify(message: string): void;
  /** The facts the page reported about its own DOM (tests, diagnostics). */
  onReport?(facts: Record<string, unknown>): void;
}

export interface PanelPage {
  /** The page's bundle: dist/webview/<entry>.js. */
  entry: string;
  /** Its stylesheets beside the shared webview.css, from dist/webview/. */
  css?: string[];
  /** The document title (not the tab title). */
  title: string;
  /** What the user calls this panel, for messages ("Transcript", "Gateway Logs"). */
  label: string;
}

/** Posts queued before the first `ready`; past this the queue is dropped and the page gets the whole state instead. */
export const MAX_QUEUE = 1_000;
/** Rejected messages logged per panel; the rest are counted. */
const MAX_LOGGED_REJECTIONS = 20;

export abstract class WebviewPanelBase<P extends PanelName> implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private pageReady = false;
  private handshakes = 0;
  /** The page lost (or never got) what was posted: at its next `ready` the panel posts its whole state. */
  private stale = false;
  private queue: HostMessage<P>[] = [];
  private rejected = 0;
  private errorSaid = false;
  private disposed = false;
  private panelDisposed = false;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly protocol: PanelDefinition<P>,
    protected readonly services: PanelServices,
    private readonly page: PanelPage,
  ) {
    this._register(panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this._register(
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.pageLost();
      }),
    );
    this._register(
      panel.onDidDispose(() => {
        this.panelDisposed = true;
        this.dispose();
      }),
    );
    panel.iconPath = services.shell.icon;
    panel.webview.options = services.shell.options;
  }

  /** Sets the page's HTML; the page then loads and says `ready`. Call once, at the end of the subclass's constructor. */
  protected load(): void {
    this.panel.webview.html = this.services.shell.html(
      this.panel.webview,
      this.page.entry,
      this.page.title,
      this.page.css,
    );
  }

  /** Disposed with the panel. */
  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.disposables.push(d);
    return d;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Whether the page said `ready` and has not been torn down since. */
  get isReady(): boolean {
    return this.pageReady;
  }

  /** Delivers now, or after the page's `ready` (in order); dropped while the page will get the whole state anyway. */
  protected post(message: HostPost<P>): void {
    if (this.disposed) return;
    const sealed = this.protocol.sealToWebview(message);
    if (this.pageReady) {
      this.deliver(sealed);
      return;
    }
    if (this.stale) return;
    this.queue.push(sealed);
    if (this.queue.length > MAX_QUEUE) this.pageLost();
  }

  /** Posts the panel's whole state, for a page that has none of it (after a reload, or shown again after hidden). */
  protected abstract resync(): void;

  /** Answers one of the page's requests: the result goes back in the response, a throw as its error text. */
  protected abstract onRequest(request: PageRequest<P>): Promise<string | undefined>;

  /** The page's notifications of this panel's own protocol. */
  protected onNotification(_message: PageNotification<P>): void {}

  /** The page is gone (hidden, reloading) or will not get the queue: it gets the whole state at its next `ready`. */
  private pageLost(): void {
    this.pageReady = false;
    this.stale = true;
    this.queue = [];
  }

  private handshake(): void {
    const first = this.handshakes++ === 0;
    this.pageReady = true;
    if (first && !this.stale) {
      const queued = this.queue;
      this.queue = [];
      for (const m of queued) this.deliver(m);
      return;
    }
    // A second `ready` is a new page (reloaded, or shown again): whatever the old one had is gone.
    this.stale = false;
    this.queue = [];
    this.resync();
  }

  private deliver(message: HostMessage<P>): void {
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        if (!delivered && !this.disposed)
          this.services.output.debug(`${this.page.label}: ${message.type} not delivered (the page is not live)`);
      },
      (err: unknown) => this.services.output.warn(`${this.page.label}: posting ${message.type} failed: ${String(err)}`),
    );
  }

  private receive(raw: unknown): void {
    if (this.disposed) return;
    const checked = this.protocol.checkToHost(raw);
    if (!checked.ok) {
      this.rejected++;
      if (this.rejected <= MAX_LOGGED_REJECTIONS)
        this.services.output.warn(`${this.page.label}: ignored a message from the page: ${checked.reason}`);
      if (this.rejected === MAX_LOGGED_REJECTIONS)
        this.services.output.warn(`${this.page.label}: further ignored messages from this page are not logged`);
      return;
    }
    const message: PageMessage<P> = checked.message;
    switch (checked.kind) {
      case 'ready':
        this.handshake();
        return;
      case 'report':
        this.services.onReport?.((message as { facts: Record<string, unknown> }).facts);
        return;
      case 'error':
        this.pageError((message as { message: string }).message);
        return;
      case 'request':
        void this.answer(message as PageRequest<P>);
        return;
      case 'notification':
        this.onNotification(message as PageNotification<P>);
        return;
      case 'response':
        return; // the page answers nothing; the checker never says so for a message from the page
    }
  }

  private async answer(request: PageRequest<P>): Promise<void> {
    const id = (request as { id: number }).id;
    let response: HostPost<P>;
    try {
      const result = await this.onRequest(request);
      response = {
        type: 'response',
        id,
        ok: true,
        ...(result !== undefined ? { result } : {}),
      } as unknown as HostPost<P>;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.services.output.debug(`${this.page.label}: ${request.type} failed: ${error}`);
      response = { type: 'response', id, ok: false, error } as unknown as HostPost<P>;
    }
    this.post(response);
  }

  private pageError(message: string): void {
    this.services.output.error(`${this.page.label} panel: its page reported a problem: ${message}`);
    if (this.errorSaid) return;
    this.errorSaid = true;
    this.services.notify(
      `Lanewatch: the ${this.page.label} panel ran into a problem and may show incomplete or outdated information. Closing and reopening it usually helps; the details are in the Lanewatch output.`,
    );
  }

  /** Disposes what was registered and the panel itself (once). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.queue = [];
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        this.services.output.warn(`${this.page.label}: disposing failed: ${String(err)}`);
      }
    }
    if (!this.panelDisposed) {
      this.panelDisposed = true;
      this.panel.dispose();
    }
  }
}
