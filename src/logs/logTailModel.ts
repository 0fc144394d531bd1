// What one Gateway Logs panel holds, without `vscode`: its bounded ring of parsed lines, the markers between them
// (source switches, resets, skipped bytes, dropped history), its filter, and the messages it posts to the webview.
// It reads from the gateway's one log poller (LogFeed, logPoller.ts): attaching subscribes, it never polls itself.
// LogTailPanel (src/vscode/panels/logTailPanel.ts) puts a webview on it; the unit tests drive it directly.
//
// Filters run here, in the host, not in the webview: the host already holds the ring, so the webview keeps only the
// rows that match (not a second copy of 20,000 lines); lines that do not match are never posted; and "This session"
// can be resolved against the watcher's rows (a key also finds lines that only name its sessionId, and the other way
// round). A filter change re-posts the matching rows in chunks.
import type { Disposable } from '../gateway/emitter';
import type {
  LogItemView,
  LogMarkerView,
  LogSourceView,
  LogTailFilterView,
  LogTailHostToWebview,
} from '../protocol/webviewMessages';
import type { LogLevel, ParsedLogLine } from './logLine';
import type { LogFeed } from './logPoller';
import { compileLogFilter, DEFAULT_LOG_CAPACITY, LogRing, type LogPreset } from './logRing';
import { ingestLogLines, logLineDetail, logLinesMessage, logRowView } from './logRows';
import type { LogBatch, LogSourceState } from './logSource';

export interface LogTailShowOptions {
  preset?: LogPreset;
  /** For "This session": a session key (or id). */
  sessionKey?: string;
  sessionId?: string;
  text?: string;
  minLevel?: LogLevel;
}

export interface LogTailModelOptions {
  /** The gateway's log poller. */
  feed: LogFeed;
  gateway: string;
  /** Lines kept (default 20,000). */
  capacity?: number;
  initial?: LogTailShowOptions;
  /** A session key or id as the watcher knows it: the key and id to match "This session" lines by. */
  resolveSession?: (wanted: string) => { sessionKey?: string; sessionId?: string };
  post: (message: LogTailHostToWebview) => void;
  /** A note for the output channel (the log is read from the local file). */
  info?: (message: string) => void;
  now?: () => number;
}

/** Rows per postMessage when re-sending a filtered snapshot. */
const SNAPSHOT_CHUNK = 2_000;
const MAX_MARKERS = 200;

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

export function filterFrom(o: LogTailShowOptions | undefined): LogTailFilterView {
  const session = o?.sessionKey ?? o?.sessionId ?? '';
  return {
    preset: o?.preset ?? (session ? 'session' : 'all'),
    minLevel: o?.minLevel ?? 'TRACE',
    text: o?.text ?? '',
    session,
  };
}

const kib = (n: number) =>
  n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;

/** One panel's view of the gateway log: see the top of this file. */
export class LogTailModel implements Disposable {
  readonly ring: LogRing<ParsedLogLine>;
  private markers: LogMarkerView[] = [];
  private filter: LogTailFilterView;
  private matches: (line: ParsedLogLine) => boolean;
  private firstState = true;
  private posting = false;
  private readonly subscription: Disposable;
  private readonly now: () => number;

  constructor(private readonly opts: LogTailModelOptions) {
    this.now = opts.now ?? Date.now;
    this.ring = new LogRing<ParsedLogLine>(opts.capacity ?? DEFAULT_LOG_CAPACITY);
    this.filter = filterFrom(opts.initial);
    this.matches = this.compile();
    // What the poller hands over while attaching goes into the ring; the first resync() posts it all.
    this.subscription = opts.feed.subscribe({ batch: (b) => this.onBatch(b), state: (s) => this.onSourceState(s) });
    this.posting = true;
  }

  /** The whole state for a (new) page: init, where the lines come from, every matching row. */
  resync(): void {
    const o = this.opts;
    o.post({ type: 'logTail/init', gateway: o.gateway, capacity: this.ring.capacity, filter: this.filter });
    o.post({ type: 'logTail/source', source: logSourceView(o.feed.state) });
    this.postSnapshot();
  }

  setFilter(filter: LogTailFilterView, echo: boolean): void {
    this.filter = { ...filter };
    this.matches = this.compile();
    if (echo) this.opts.post({ type: 'logTail/filter', filter: this.filter });
    this.postSnapshot();
  }

  currentFilter(): LogTailFilterView {
    return { ...this.filter };
  }

  /** The user cleared the list: only lines read from now on are shown. */
  clear(): void {
    this.ring.clear();
    this.markers = [];
    this.addMarker('cleared', 'cleared; showing lines read from now on');
    this.postSnapshot();
  }

  showLine(seq: number): void {
    this.opts.post(logLineDetail(this.ring, seq));
  }

  dispose(): void {
    this.posting = false;
    this.subscription.dispose();
  }

  private compile(): (line: ParsedLogLine) => boolean {
    const f = this.filter;
    let sessionKey: string | undefined, sessionId: string | undefined;
    const wanted = f.session.trim();
    if (f.preset === 'session' && wanted) {
      // Unknown to the watcher: match it either way.
      ({ sessionKey, sessionId } = this.opts.resolveSession?.(wanted) ?? { sessionKey: wanted, sessionId: wanted });
    }
    return compileLogFilter({ preset: f.preset, minLevel: f.minLevel, text: f.text, sessionKey, sessionId });
  }

  private addMarker(marker: LogMarkerView['marker'], text: string): LogMarkerView {
    const m: LogMarkerView = { kind: 'marker', beforeSeq: this.ring.nextSeq, marker, text, at: this.now() };
    this.markers.push(m);
    if (this.markers.length > MAX_MARKERS) this.markers.splice(0, this.markers.length - MAX_MARKERS);
    return m;
  }

  private onSourceState(s: LogSourceState): void {
    const first = this.firstState;
    this.firstState = false;
    if (s.kind === 'file')
      this.opts.info?.(`log tail: gateway RPC unavailable (${s.reason}); tailing ${s.path} directly`);
    // Where the source changes, the list says so, so lines before and after are read knowing where they came from.
    const text =
      s.kind === 'rpc'
        ? 'reading through the gateway RPC (logs.tail)'
        : s.kind === 'file'
          ? `gateway RPC unavailable (${s.reason}); tailing the local file ${s.path} directly`
          : `no log source: ${s.reason}`;
    const items: LogItemView[] = first && s.kind === 'rpc' ? [] : [this.addMarker('source', text)];
    if (!this.posting) return;
    this.opts.post({ type: 'logTail/source', source: logSourceView(s) });
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
    else if (b.truncated && b.initial && b.lines.length) {
      const bytes = b.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
      items.push(this.addMarker('truncated', `older lines not loaded: showing the newest ${kib(bytes)} of ${where}`));
    } else if (b.truncated && !b.initial)
      items.push(this.addMarker('truncated', 'more new lines than one read returns: some were left out'));
    if (this.filter.preset === 'session') this.matches = this.compile(); // a reset session gets a new sessionId
    ingestLogLines(this.ring, b.lines, this.matches, items);
    this.pruneMarkers();
    // Post even when nothing matched: the webview's counts and its copy of firstSeq/dropped must follow the ring.
    if (this.posting && (items.length || b.lines.length)) this.postLines(items);
  }

  private pruneMarkers(): void {
    const first = this.ring.firstSeq;
    const keep = this.markers.findIndex((m) => m.beforeSeq >= first);
    if (keep > 0) this.markers.splice(0, keep);
    else if (keep === -1) this.markers = [];
  }

  private postLines(items: LogItemView[], replace = false, done = true): void {
    this.opts.post(logLinesMessage(this.ring, items, replace, done));
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
