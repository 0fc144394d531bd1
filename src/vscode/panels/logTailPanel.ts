// The gateway Log Tail panel: one webview per gateway, fed by its own GatewayLogSource (logs.tail with a
// cursor, or the local log file while the RPC is down) into a bounded LogRing.
//
// Filters run here, in the host, not in the webview: the host already holds the ring, so the webview keeps
// only the rows that match (not a second copy of 20,000 lines); lines that do not match are never posted; and
// "This session" can be resolved against the watcher's rows (a key also finds lines that only name its
// sessionId, and the other way round). A filter change re-posts the matching rows in chunks.
import path from 'node:path';
import * as vscode from 'vscode';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import type { LogLevel, ParsedLogLine } from '../../logs/logLine';
import { compileLogFilter, DEFAULT_LOG_CAPACITY, LogRing, type LogPreset } from '../../logs/logRing';
import { ingestLogLines, logLineDetail, logLinesMessage, logRowView } from '../../logs/logRows';
import {
  DEFAULT_LOG_READ_BYTES,
  DEFAULT_LOG_READ_LINES,
  GatewayLogSource,
  logFileCandidates,
  type LogBatch,
  type LogSourceState,
} from '../../logs/logSource';
import { expandHome, readOpenClawConfig } from '../../config/openclawConfig';
import type { PageNotification } from '../../protocol/envelope';
import {
  LOG_TAIL,
  type LogItemView,
  type LogMarkerView,
  type LogSourceView,
  type LogTailFilterView,
} from '../../protocol/webviewMessages';
import { WebviewPanelBase, type PanelServices } from './webviewPanelBase';
import { panelServices } from './webviewHtml';

export const LOG_TAIL_VIEW_TYPE = 'lanewatch.gatewayLogs';

export interface LogTailShowOptions {
  preset?: LogPreset;
  /** For "This session": a session key (or id). */
  sessionKey?: string;
  sessionId?: string;
  text?: string;
  minLevel?: LogLevel;
}

export interface LogTailPanelsOptions {
  /** Lines kept per gateway (default 20,000). */
  capacity?: number;
  pollIntervalMs?: number;
  /** logs.tail timeout: short, so a hung gateway falls back to the file quickly (default 15 s). */
  rpcTimeoutMs?: number;
}

/** Rows per postMessage when re-sending a filtered snapshot. */
const SNAPSHOT_CHUNK = 2_000;
const MAX_MARKERS = 200;
const CONFIG_CACHE_MS = 30_000;

// Row shaping lives in src/logs/logRows.ts (no `vscode`), so the webview test and bench/tail.mjs post what this panel posts.
export { logRowView } from '../../logs/logRows';

export function logSourceView(s: LogSourceState): LogSourceView {
  switch (s.kind) {
    case 'rpc':
      return { kind: 'rpc', label: s.label };
    case 'file':
      return { kind: 'file', label: s.label, path: s.path, reason: s.reason };
    case 'unavailable':
      return { kind: 'unavailable', label: s.label, reason: s.reason, tried: s.tried };
  }
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

const kib = (n: number) =>
  n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;

/** One open panel: its source, ring, markers, filter and webview. */
class LogTailPanel extends WebviewPanelBase<'logTail'> {
  readonly ring: LogRing<ParsedLogLine>;
  private markers: LogMarkerView[] = [];
  private filter: LogTailFilterView;
  private matches: (line: ParsedLogLine) => boolean;
  private readonly source: GatewayLogSource;
  private configLogFile?: { at: number; file?: string };
  private firstState = true;

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
    this.ring = new LogRing<ParsedLogLine>(options.capacity ?? DEFAULT_LOG_CAPACITY);
    this.filter = filterFrom(initial);
    this.matches = this.compile();
    const timeoutMs = options.rpcTimeoutMs ?? 15_000;
    const output = services.output;
    this.source = new GatewayLogSource({
      tail: (cursor) =>
        watcher.api.logsTail(
          {
            ...(cursor !== undefined ? { cursor } : {}),
            limit: DEFAULT_LOG_READ_LINES,
            maxBytes: DEFAULT_LOG_READ_BYTES,
          },
          { timeoutMs },
        ),
      rpcUnavailable: () => {
        if (watcher.connection.isConnected()) return undefined;
        const s = watcher.snapshot();
        return s.problem?.summary ?? `gateway ${s.state}`;
      },
      localFiles: () => this.localLogFiles(),
      pollIntervalMs: options.pollIntervalMs,
      log: (m) => output.debug(`[${watcher.name}] log tail: ${m}`),
    });
    this._register({ dispose: () => this.source.stop() });
    this.source.onBatch((b) => this.onBatch(b));
    this.source.onDidChangeState((s) => this.onSourceState(s));
    this.resync();
    this.source.start();
    this.load();
  }

  /** logs.tail's `file`, the config's logging.file, OpenClaw's default; only paths that can be this gateway's. */
  private async localLogFiles(): Promise<string[]> {
    const configPath = this.watcher.config.configPath;
    if (configPath && (!this.configLogFile || Date.now() - this.configLogFile.at > CONFIG_CACHE_MS)) {
      let file: string | undefined;
      try {
        const raw = (await readOpenClawConfig(configPath)).logFile;
        // A relative logging.file is relative to the gateway's working directory, which we do not know.
        file = raw && path.isAbsolute(expandHome(raw)) ? expandHome(raw) : undefined;
      } catch {
        file = undefined;
      }
      this.configLogFile = { at: Date.now(), file };
    }
    return logFileCandidates({
      rpcFile: this.source.lastRpcFile ?? this.watcher.logFilePath(),
      configFile: this.configLogFile?.file,
      loopback: isLoopback(this.watcher.config.url),
    });
  }

  private compile(): (line: ParsedLogLine) => boolean {
    const f = this.filter;
    let sessionKey: string | undefined, sessionId: string | undefined;
    const wanted = f.session.trim();
    if (f.preset === 'session' && wanted) {
      const byKey = this.watcher.session(wanted);
      const byId = byKey ? undefined : this.watcher.sessionRows().find((r) => r.sessionId === wanted);
      if (byKey) {
        sessionKey = wanted;
        sessionId = typeof byKey.sessionId === 'string' ? byKey.sessionId : undefined;
      } else if (byId) {
        sessionKey = byId.key;
        sessionId = wanted;
      } else {
        sessionKey = wanted;
        sessionId = wanted;
      } // unknown to the watcher: match it either way
    }
    return compileLogFilter({ preset: f.preset, minLevel: f.minLevel, text: f.text, sessionKey, sessionId });
  }

  protected resync(): void {
    this.post({ type: 'logTail/init', gateway: this.watcher.name, capacity: this.ring.capacity, filter: this.filter });
    this.post({ type: 'logTail/source', source: logSourceView(this.source.state) });
    this.postSnapshot();
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
        this.setFilter(msg.filter, false);
        return;
      case 'logTail/clear':
        this.ring.clear();
        this.markers = [];
        this.addMarker('cleared', 'cleared; showing lines read from now on');
        this.postSnapshot();
        return;
      case 'logTail/showLine':
        this.post(logLineDetail(this.ring, msg.seq));
        return;
    }
  }

  setFilter(filter: LogTailFilterView, echo: boolean): void {
    this.filter = { ...filter };
    this.matches = this.compile();
    if (echo) this.post({ type: 'logTail/filter', filter: this.filter });
    this.postSnapshot();
  }

  currentFilter(): LogTailFilterView {
    return { ...this.filter };
  }

  private addMarker(marker: LogMarkerView['marker'], text: string): LogMarkerView {
    const m: LogMarkerView = { kind: 'marker', beforeSeq: this.ring.nextSeq, marker, text, at: Date.now() };
    this.markers.push(m);
    if (this.markers.length > MAX_MARKERS) this.markers.splice(0, this.markers.length - MAX_MARKERS);
    return m;
  }

  private onSourceState(s: LogSourceState): void {
    const first = this.firstState;
    this.firstState = false;
    if (s.kind === 'file')
      this.services.output.info(
        `[${this.watcher.name}] log tail: gateway RPC unavailable (${s.reason}); tailing ${s.path} directly`,
      );
    // Where the source changes, the list says so, so lines before and after are read knowing where they came from.
    const text =
      s.kind === 'rpc'
        ? 'reading through the gateway RPC (logs.tail)'
        : s.kind === 'file'
          ? `gateway RPC unavailable (${s.reason}); tailing the local file ${s.path} directly`
          : `no log source: ${s.reason}`;
    const items: LogItemView[] = first && s.kind === 'rpc' ? [] : [this.addMarker('source', text)];
    this.post({ type: 'logTail/source', source: logSourceView(s) });
    if (items.length) this.postLines(items);
  }

  private onBatch(b: LogBatch): void {
    const items: LogItemView[] = [];
    const where = b.source.kind === 'file' ? `the local file` : 'the log';
    if (b.reset)
      items.push(
        this.addMarker('reset', `log file was reset (rotated, truncated or replaced); reading ${where} from its start`),
      );
    if (b.skippedBytes)
      items.push(
        this.addMarker('skipped', `${kib(b.skippedBytes)} of log skipped: it grew faster than it could be read`),
      );
    else if (b.truncated && b.initial && b.lines.length)
      items.push(
        this.addMarker(
          'truncated',
          `older lines not loaded: showing the newest ${kib(DEFAULT_LOG_READ_BYTES)} of ${where}`,
        ),
      );
    else if (b.truncated && !b.initial)
      items.push(this.addMarker('truncated', 'more new lines than one read returns: some were left out'));
    if (this.filter.preset === 'session') this.matches = this.compile(); // a reset session gets a new sessionId
    ingestLogLines(this.ring, b.lines, this.matches, items);
    this.pruneMarkers();
    // Post even when nothing matched: the webview's counts and its copy of firstSeq/dropped must follow the ring.
    if (items.length || b.lines.length) this.postLines(items);
  }

  private pruneMarkers(): void {
    const first = this.ring.firstSeq;
    const keep = this.markers.findIndex((m) => m.beforeSeq >= first);
    if (keep > 0) this.markers.splice(0, keep);
    else if (keep === -1) this.markers = [];
  }

  private postLines(items: LogItemView[], replace = false, done = true): void {
    this.post(logLinesMessage(this.ring, items, replace, done));
  }

  /** Every kept line that matches the filter, markers interleaved by position, in chunks. */
  private postSnapshot(): void {
    this.pruneMarkers();
    const items: LogItemView[] = [];
    let mi = 0;
    for (const { seq, item } of this.ring.entries()) {
      while (mi < this.markers.length && this.markers[mi].beforeSeq <= seq) items.push(this.markers[mi++]);
      if (this.matches(item)) items.push(logRowView(seq, item));
    }
    while (mi < this.markers.length) items.push(this.markers[mi++]);
    if (!items.length) {
      this.postLines([], true, true);
      return;
    }
    for (let i = 0; i < items.length; i += SNAPSHOT_CHUNK)
      this.postLines(items.slice(i, i + SNAPSHOT_CHUNK), i === 0, i + SNAPSHOT_CHUNK >= items.length);
  }
}

function filterFrom(o: LogTailShowOptions | undefined): LogTailFilterView {
  const session = o?.sessionKey ?? o?.sessionId ?? '';
  return {
    preset: o?.preset ?? (session ? 'session' : 'all'),
    minLevel: o?.minLevel ?? 'TRACE',
    text: o?.text ?? '',
    session,
  };
}

export class LogTailPanels implements vscode.Disposable {
  private readonly panels = new Map<string, LogTailPanel>();
  /** Facts the webview reported about its own DOM (rows in the DOM, lines, follow state), for tests. */
  readonly lastReports = new Map<string, Record<string, unknown>>();
  private readonly reportEmitter = new vscode.EventEmitter<{ gateway: string; facts: Record<string, unknown> }>();
  readonly onDidReport = this.reportEmitter.event;

  private readonly services: Omit<PanelServices, 'onReport'>;

  constructor(
    extensionUri: vscode.Uri,
    output: vscode.LogOutputChannel,
    private readonly options: LogTailPanelsOptions = {},
    private readonly onRevealSession: (gateway: string, sessionKey: string) => void = () => undefined,
  ) {
    this.services = panelServices(extensionUri, output);
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
    this.attach(
      vscode.window.createWebviewPanel(
        LOG_TAIL_VIEW_TYPE,
        `Logs: ${watcher.name}`,
        vscode.ViewColumn.Active,
        this.services.shell.options,
      ),
      watcher,
      opts,
    );
  }

  private attach(panel: vscode.WebviewPanel, watcher: GatewayWatcher, opts: LogTailShowOptions | undefined): void {
    const entry = new LogTailPanel(
      panel,
      watcher,
      this.options,
      opts,
      {
        ...this.services,
        onReport: (facts) => {
          this.lastReports.set(watcher.name, facts);
          this.reportEmitter.fire({ gateway: watcher.name, facts });
        },
      },
      this.onRevealSession,
    );
    this.panels.set(watcher.name, entry);
    panel.onDidDispose(() => {
      if (this.panels.get(watcher.name) !== entry) return;
      this.panels.delete(watcher.name);
      this.lastReports.delete(watcher.name);
    });
  }

  /** Applies a filter as if chosen in the panel (commands and tests); false when no panel is open. */
  setFilter(name: string, filter: Partial<LogTailFilterView>): boolean {
    const p = this.panels.get(name);
    if (!p) return false;
    p.setFilter({ ...p.currentFilter(), ...filter }, true);
    return true;
  }

  html(name: string): string | undefined {
    return this.panels.get(name)?.panel.webview.html;
  }

  isOpen(name: string): boolean {
    return this.panels.has(name);
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
    this.reportEmitter.dispose();
  }
}
