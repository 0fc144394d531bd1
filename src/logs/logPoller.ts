// One reader of a gateway's log for everyone who needs it: the fleet watcher's model (diagnostic lines → lane status)
// and any number of open Gateway Logs panels. One cursor, one loop, at most one `logs.tail` in flight, whatever is
// attached: opening a panel never starts a second reader, it subscribes. OpenClaw has no push form of the log, so it
// is polled: at the model's pace while nobody else listens, at a panel's pace while one does, and only while the
// gateway answers — or, with a panel open, from the local log file while it does not (GatewayLogSource).
//
// A bounded history of the newest lines (as many lines and bytes as a panel's first page) lets a panel opened later
// start with the log's recent past. The model's first read is small (64 KB, the cost of a one-shot `lanewatch
// status`); when a panel wants more, one deeper read of the tail is placed against the lines already read
// (spliceTail), so nobody gets a line twice.
//
// No `vscode` import: unit-tested in plain Node against a scripted gateway.
import { Emitter, type Disposable } from '../gateway/emitter';
import type { LogsTailResultView } from '../gateway/types';
import {
  DEFAULT_LOG_POLL_MS,
  DEFAULT_LOG_READ_BYTES,
  DEFAULT_LOG_READ_LINES,
  GatewayLogSource,
  type GatewayLogSourceOptions,
  type LogBatch,
  type LogReadSize,
  type LogSourceState,
} from './logSource';

export interface LogSubscriber {
  /** First one `initial` batch (the newest lines kept, `truncated` when older ones exist), then every batch read. */
  batch(b: LogBatch): void;
  /** Where the lines come from: the current state at once (once one is known), then every change. */
  state?(s: LogSourceState): void;
}

/** What a log panel reads from: the gateway's one log poller. */
export interface LogFeed {
  readonly state: LogSourceState;
  subscribe(subscriber: LogSubscriber): Disposable;
}

/** The parameters of one logs.tail call. */
export interface LogsTailCall {
  cursor?: number;
  limit: number;
  maxBytes: number;
}

/** The first read for the model alone: the last 64 KB (what a one-shot status can afford). */
export const FIRST_LOG_READ: LogReadSize = { maxBytes: 64 * 1024, limit: 1_000 };
/** A panel's first page, each read from the cursor, and the history kept: 512 KB or 5,000 lines. */
export const HISTORY_LOG_READ: LogReadSize = { maxBytes: DEFAULT_LOG_READ_BYTES, limit: DEFAULT_LOG_READ_LINES };
/** Between reads while only the model reads. */
export const DEFAULT_MODEL_LOG_POLL_MS = 5_000;
/** logs.tail timeout while a panel is open: short, so a hung gateway falls back to the local file quickly. */
export const DEFAULT_LIVE_LOG_TIMEOUT_MS = 15_000;

export interface GatewayLogPollerOptions extends Pick<
  GatewayLogSourceOptions,
  'rpcUnavailable' | 'localFiles' | 'shouldFallBack' | 'redact' | 'maxProbeIntervalMs' | 'now' | 'log'
> {
  /** One logs.tail call; `timeoutMs` is set while a subscriber is attached (undefined: the connection's own). */
  tail: (params: LogsTailCall, timeoutMs: number | undefined) => Promise<LogsTailResultView>;
  /** Between reads while only the model reads (default 5 s). */
  intervalMs?: number;
  /** Between reads while a subscriber is attached (default 2 s). */
  liveIntervalMs?: number;
  liveTimeoutMs?: number;
  firstRead?: LogReadSize;
  /** A subscriber's first page, the bound of each read and of the history kept. */
  historyRead?: LogReadSize;
  /**
   * The model's say on how far back the first read must reach: called with the first lines read through the RPC
   * (`last` false) and returns the bytes of the tail it wants, if more; called again (`last` true) with the history
   * after that deeper read.
   */
  history?: (
    h: { lines: readonly string[]; truncated: boolean | undefined; askedBytes: number },
    last: boolean,
  ) => number | undefined;
}

/**
 * Where a fresh read of the log's tail meets the lines already known (oldest first): `older` is the index where the
 * known lines begin in it (the lines before are older history), `newer` the index after the last known line (the
 * lines from there on are new). Matched on the newest known lines (up to `anchor` of them, from the end of the fresh
 * read) and extended back over the rest; lines older than known lines that are missing from the fresh read (a gap)
 * are not offered. `atCursor`: the fresh read ends exactly where the known lines end. Undefined when it cannot tell.
 */
export function spliceTail(
  known: readonly string[],
  fresh: readonly string[],
  atCursor: boolean,
  anchor = 8,
): { older: number; newer: number } | undefined {
  if (!known.length) return atCursor ? { older: fresh.length, newer: fresh.length } : undefined;
  for (let end = fresh.length; end > 0; end--) {
    // The newest known lines end here; a fresh read shorter than the anchor must start inside them.
    const k = Math.min(anchor, known.length, end);
    if (k < Math.min(anchor, known.length) && end !== k) continue;
    let same = true;
    for (let i = 0; i < k && same; i++) same = fresh[end - k + i] === known[known.length - k + i];
    if (!same) continue;
    if (atCursor && end !== fresh.length) return undefined;
    let start = end - k,
      j = known.length - k;
    while (start > 0 && j > 0 && fresh[start - 1] === known[j - 1]) {
      start--;
      j--;
    }
    // Every known line found (j == 0): what precedes them is older. Otherwise the fresh read either starts inside
    // the known lines (start == 0) or leaves a gap: nothing older to offer.
    return { older: j === 0 ? start : 0, newer: end };
  }
  return undefined;
}

const lineBytes = (l: string) => Buffer.byteLength(l) + 1;

/** The newest lines read, bounded by lines and bytes (oldest dropped first). */
class LineHistory {
  private buf: string[] = [];
  private head = 0;
  private bytes = 0;
  /** The lines reach back to the log's beginning. */
  complete = false;
  /** As deep as a subscriber's first page (read that deep, or full), or a deeper read was tried. */
  deep = false;
  private trimmed = false;

  constructor(
    private readonly maxLines: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.buf.length - this.head;
  }
  lines(): string[] {
    return this.buf.slice(this.head);
  }
  reset(lines: readonly string[], complete: boolean, deep: boolean): void {
    this.buf = [];
    this.head = 0;
    this.bytes = 0;
    this.trimmed = false;
    this.complete = complete;
    this.deep = deep;
    this.append(lines);
  }
  append(lines: readonly string[]): void {
    for (const l of lines) {
      this.buf.push(l);
      this.bytes += lineBytes(l);
    }
    this.trim();
  }
  prepend(lines: readonly string[]): void {
    if (!lines.length) return;
    this.buf = [...lines, ...this.lines()];
    this.head = 0;
    for (const l of lines) this.bytes += lineBytes(l);
    this.trim();
  }
  /** After a deeper read: `complete` when it reached the log's beginning (and nothing was dropped since). */
  deepened(complete: boolean, deep: boolean): void {
    this.deep ||= deep;
    if (!this.trimmed) this.complete = complete;
  }
  private trim(): void {
    while (this.size > 0 && (this.size > this.maxLines || this.bytes > this.maxBytes)) {
      this.bytes -= lineBytes(this.buf[this.head]);
      this.buf[this.head++] = '';
      this.trimmed = true;
      this.complete = false;
      this.deep = true;
    }
    if (this.head > 1_024 && this.head * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
  }
}

interface Subscription {
  subscriber: LogSubscriber;
  /** Has had its history batch and gets every batch read since. */
  attached: boolean;
}

/** One gateway's log poller: see the top of this file. */
export class GatewayLogPoller implements LogFeed {
  private readonly source: GatewayLogSource;
  private readonly kept: LineHistory;
  private readonly model: Emitter<LogBatch>;
  private readonly subscriptions = new Set<Subscription>();
  private readonly idleMs: number;
  private readonly liveMs: number;
  private readonly liveTimeoutMs: number;
  private readonly firstRead: LogReadSize;
  private readonly historyRead: LogReadSize;
  private primed = false;
  private announced = false;
  private historyAsked = false;
  /** The bytes of the deeper read the model's history hook asked for, until it has been told how far that reached. */
  private modelAsked?: number;
  private asked = 0;
  /** The last answer's `truncated` as the gateway said it (older gateways may not say). */
  private answeredTruncated?: boolean;
  private firstRpc?: LogBatch;
  private stepping?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private timerDue = 0;
  private disposed = false;

  constructor(private readonly opts: GatewayLogPollerOptions) {
    this.idleMs = opts.intervalMs ?? DEFAULT_MODEL_LOG_POLL_MS;
    this.liveMs = opts.liveIntervalMs ?? DEFAULT_LOG_POLL_MS;
    this.liveTimeoutMs = opts.liveTimeoutMs ?? DEFAULT_LIVE_LOG_TIMEOUT_MS;
    this.firstRead = opts.firstRead ?? FIRST_LOG_READ;
    this.historyRead = opts.historyRead ?? HISTORY_LOG_READ;
    this.kept = new LineHistory(this.historyRead.limit, this.historyRead.maxBytes);
    this.model = new Emitter<LogBatch>((err) => opts.log?.(`log listener failed: ${String(err)}`));
    this.source = new GatewayLogSource({
      tail: (cursor, size) => this.call(cursor, size),
      rpcUnavailable: opts.rpcUnavailable,
      localFiles: opts.localFiles,
      shouldFallBack: opts.shouldFallBack,
      redact: opts.redact,
      maxProbeIntervalMs: opts.maxProbeIntervalMs,
      now: opts.now,
      log: opts.log,
      // Only the file fallback and the RPC probes use these: both only while a subscriber is attached.
      pollIntervalMs: this.liveMs,
      maxBytesPerRead: this.historyRead.maxBytes,
      maxLinesPerRead: this.historyRead.limit,
    });
    this.source.onBatch((b) => this.onBatch(b));
    this.source.onDidChangeState((s) => this.onState(s));
  }

  /** Every batch read, for the model: new lines in read order, and `older` lines a deeper read found. */
  onLines(listener: (b: LogBatch) => void): Disposable {
    return this.model.on(listener);
  }

  /**
   * Attaches a reader (a log panel): it gets the history first (at once when the kept lines suffice, else after one
   * read), then every batch; while any is attached the poll runs at the live pace and falls back to the local file
   * when the gateway does not answer. Disposing detaches; after the last one the pace drops back.
   */
  subscribe(subscriber: LogSubscriber): Disposable {
    if (this.disposed) return { dispose: () => undefined };
    const sub: Subscription = { subscriber, attached: false };
    this.subscriptions.add(sub);
    if (this.announced) this.tell(sub, this.source.state);
    if (this.historyReady()) this.attach(sub);
    if (sub.attached) this.schedule(this.liveMs);
    else void this.pollOnce();
    return {
      dispose: () => {
        if (this.subscriptions.delete(sub)) this.schedule();
      },
    };
  }

  get state(): LogSourceState {
    return this.source.state;
  }
  /** The file logs.tail last named (a local path when the gateway runs on this machine). */
  get lastRpcFile(): string | undefined {
    return this.source.lastRpcFile;
  }
  /** Readers attached now (log panels; the model is not counted). */
  get subscriberCount(): number {
    return this.subscriptions.size;
  }
  /**
   * One read now (joins one in flight), then the loop goes on at its pace. Call it when the gateway connects. Reads
   * nothing while the gateway is unavailable and no reader is attached (the model reads only through the gateway).
   */
  pollOnce(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.stepping) return this.stepping;
    clearTimeout(this.timer);
    this.timer = undefined;
    const step: Promise<void> = this.step()
      .catch((err: unknown) => this.opts.log?.(`log read failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        if (this.stepping === step) this.stepping = undefined;
        // A reader that came during this read and waits for a deeper history: read again at once (once).
        const waiting = [...this.subscriptions].some((s) => !s.attached);
        this.schedule(waiting && this.primed && !this.historyReady() ? 0 : undefined);
      });
    this.stepping = step;
    return step;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.subscriptions.clear();
    this.source.stop();
    this.model.clear();
  }

  private active(): boolean {
    return !this.disposed && (this.subscriptions.size > 0 || this.opts.rpcUnavailable?.() === undefined);
  }

  /** Arms the next read in `delayMs` (default: the current pace), unless an earlier one is armed or a read runs. */
  private schedule(delayMs?: number): void {
    if (this.stepping) return; // its end schedules the next
    if (!this.active()) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    const delay = delayMs ?? (this.subscriptions.size ? this.liveMs : this.idleMs);
    const due = Date.now() + delay;
    if (this.timer && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollOnce();
    }, delay);
    this.timer.unref?.();
  }

  private async step(): Promise<void> {
    if (!this.subscriptions.size && this.opts.rpcUnavailable?.() !== undefined) return;
    this.firstRpc = undefined;
    await this.source.readOnce();
    let want = 0;
    const first = this.firstRpc as LogBatch | undefined;
    if (first && !this.historyAsked && this.opts.history) {
      this.historyAsked = true;
      const truncated = this.answeredTruncated;
      const more = this.opts.history({ lines: first.lines, truncated, askedBytes: this.asked }, false);
      if (more !== undefined && more > this.asked) {
        want = Math.min(more, this.historyRead.maxBytes);
        this.modelAsked = want;
      }
    }
    const waiting = [...this.subscriptions].some((s) => !s.attached);
    if (waiting && this.primed && !this.historyReady()) want = Math.max(want, this.historyRead.maxBytes);
    if (want > 0) {
      const got = await this.source.readTail({ maxBytes: want, limit: this.historyRead.limit }, (lines, atCursor) =>
        spliceTail(this.kept.lines(), lines, atCursor),
      );
      if (got) this.kept.deepened(!got.truncated, want >= this.historyRead.maxBytes);
      // Tried once per history: a read that cannot be placed is not repeated at every poll.
      else if (want >= this.historyRead.maxBytes) this.kept.deep = true;
      if (got) this.tellModelHistory(); // when the read found no older lines (no `older` batch)
      this.modelAsked = undefined;
    }
    for (const sub of this.subscriptions) if (!sub.attached && this.historyReady()) this.attach(sub);
  }

  /** A new reader can have its history now: lines were read, and they are as deep as a first page can be. */
  private historyReady(): boolean {
    return this.primed && (this.kept.deep || this.kept.complete || this.source.state.kind !== 'rpc');
  }

  private attach(sub: Subscription): void {
    sub.attached = true;
    this.deliver(sub, {
      source: this.source.state,
      lines: this.kept.lines(),
      initial: true,
      reset: false,
      truncated: !this.kept.complete,
    });
  }

  private call(cursor: number | undefined, size: LogReadSize | undefined): Promise<LogsTailResultView> {
    const live = this.subscriptions.size > 0;
    // The model alone starts small; a reader's first page and every read from the cursor take the full bound.
    const s = size ?? (cursor !== undefined || live ? this.historyRead : this.firstRead);
    this.asked = s.maxBytes;
    return this.opts
      .tail(
        { ...(cursor !== undefined ? { cursor } : {}), limit: s.limit, maxBytes: s.maxBytes },
        live ? this.liveTimeoutMs : undefined,
      )
      .then((answer) => {
        this.answeredTruncated = typeof answer?.truncated === 'boolean' ? answer.truncated : undefined;
        return answer;
      });
  }

  /** The model's history hook, once, after the deeper read it asked for: before it gets that read's lines. */
  private tellModelHistory(): void {
    const asked = this.modelAsked;
    this.modelAsked = undefined;
    if (asked !== undefined)
      this.opts.history?.({ lines: this.kept.lines(), truncated: this.answeredTruncated, askedBytes: asked }, true);
  }

  private onBatch(b: LogBatch): void {
    if (b.older) {
      this.kept.prepend(b.lines);
      this.tellModelHistory();
    } else if (b.initial) {
      // A file is read as deep as a first page; the RPC as deep as this read asked.
      const deep = b.source.kind === 'file' || this.asked >= this.historyRead.maxBytes;
      this.kept.reset(b.lines, !b.truncated, deep);
      this.primed = true;
      if (b.source.kind === 'rpc') this.firstRpc = b;
    } else this.kept.append(b.lines);
    this.model.fire(b);
    if (!b.older) for (const sub of this.subscriptions) if (sub.attached) this.deliver(sub, b);
  }

  private onState(s: LogSourceState): void {
    this.announced = true;
    for (const sub of this.subscriptions) this.tell(sub, s);
  }

  private deliver(sub: Subscription, b: LogBatch): void {
    try {
      sub.subscriber.batch(b);
    } catch (err) {
      this.opts.log?.(`log subscriber failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private tell(sub: Subscription, s: LogSourceState): void {
    try {
      sub.subscriber.state?.(s);
    } catch (err) {
      this.opts.log?.(`log subscriber failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
