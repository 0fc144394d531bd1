// Bounded memory for the log tail: a ring buffer that keeps the newest N lines and counts the ones it had to
// drop, plus the filters the Log Tail panel offers (presets, level, free text). Pure code (no `vscode`, no
// Node APIs) so it is unit-tested in plain Node. How a row's message is split into highlighted fields is in
// src/protocol/logSegments.ts (the webview runs it).
import type { LogLevel, ParsedLogLine } from './logLine';

export const DEFAULT_LOG_CAPACITY = 20_000;

export interface LogRingEntry<T> {
  seq: number;
  item: T;
}

/**
 * Fixed-capacity FIFO. Every pushed item gets a sequence number (0, 1, 2, … since creation) that never
 * changes, so a view can refer to "line #1234" while older lines are being evicted around it.
 */
export class LogRing<T = ParsedLogLine> {
  private readonly buf: Array<T | undefined>;
  private head = 0;
  private count = 0;
  private next = 0;
  private droppedCount = 0;

  constructor(readonly capacity: number = DEFAULT_LOG_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.buf = new Array<T | undefined>(capacity);
  }

  /** Items currently kept. */
  get size(): number {
    return this.count;
  }
  /** Items evicted because the ring was full (since creation or the last clear()). */
  get dropped(): number {
    return this.droppedCount;
  }
  /** Sequence number of the oldest kept item (== nextSeq when empty). */
  get firstSeq(): number {
    return this.next - this.count;
  }
  /** Sequence number the next pushed item will get; also the number of items ever pushed. */
  get nextSeq(): number {
    return this.next;
  }

  /** Appends items, evicting the oldest when full; returns how many were evicted by this call. */
  push(items: Iterable<T>): number {
    let evicted = 0;
    for (const item of items) {
      if (this.count < this.capacity) {
        this.buf[(this.head + this.count) % this.capacity] = item;
        this.count++;
      } else {
        this.buf[this.head] = item;
        this.head = (this.head + 1) % this.capacity;
        evicted++;
      }
      this.next++;
    }
    this.droppedCount += evicted;
    return evicted;
  }

  /** The item with this sequence number, if it is still kept. */
  at(seq: number): T | undefined {
    const i = seq - this.firstSeq;
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined;
    return this.buf[(this.head + i) % this.capacity];
  }

  /** Items with fromSeq <= seq < toSeq, oldest first (clamped to what is kept). */
  slice(fromSeq: number = this.firstSeq, toSeq: number = this.next): T[] {
    const out: T[] = [];
    for (const { item } of this.entries(fromSeq, toSeq)) out.push(item);
    return out;
  }

  *entries(fromSeq: number = this.firstSeq, toSeq: number = this.next): Generator<LogRingEntry<T>> {
    const from = Math.max(fromSeq, this.firstSeq),
      to = Math.min(toSeq, this.next);
    for (let seq = from; seq < to; seq++)
      yield { seq, item: this.buf[(this.head + seq - this.firstSeq) % this.capacity] as T };
  }

  /** Kept items that satisfy the predicate, with their sequence numbers, oldest first. */
  filter(predicate: (item: T, seq: number) => boolean, fromSeq?: number): Array<LogRingEntry<T>> {
    const out: Array<LogRingEntry<T>> = [];
    for (const e of this.entries(fromSeq)) if (predicate(e.item, e.seq)) out.push(e);
    return out;
  }

  toArray(): T[] {
    return this.slice();
  }

  /** Forgets every item (the user asked to clear); sequence numbers keep counting up. */
  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.droppedCount = 0;
  }
}

// ------------------------------------------------------------------------------------------------ filters

export type LogPreset = 'all' | 'lane-waits' | 'stuck' | 'errors' | 'session';

export const LOG_PRESETS: ReadonlyArray<{ id: LogPreset; label: string }> = [
  { id: 'all', label: 'All lines' },
  { id: 'lane-waits', label: 'Lane waits' },
  { id: 'stuck', label: 'Stuck & stalled' },
  { id: 'errors', label: 'Errors' },
  { id: 'session', label: 'This session' },
];

export interface LogFilterOptions {
  sessionKey?: string;
  sessionId?: string;
  /** Free text: every whitespace-separated word (or "quoted phrase") must occur, case-insensitive. */
  text?: string;
  /** Lines below this level are hidden. Lines whose level is unknown (raw text) always pass: see levelPasses. */
  minLevel?: LogLevel;
}

export interface LogFilter extends LogFilterOptions {
  preset: LogPreset;
}

const LEVEL_RANK: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5, UNKNOWN: -1 };

/**
 * An unparsable line has no level; hiding it under "warnings and above" would hide exactly the lines most
 * likely to matter (a crash trace printed as plain text), so the level filter never hides it.
 */
export function levelPasses(level: LogLevel, minLevel: LogLevel | undefined): boolean {
  if (!minLevel || minLevel === 'UNKNOWN' || level === 'UNKNOWN') return true;
  return LEVEL_RANK[level] >= LEVEL_RANK[minLevel];
}

/** Words and "quoted phrases", lower-cased. */
export function searchTerms(text: string | undefined): string[] {
  if (!text) return [];
  const terms: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|(\S+)/g)) {
    const t = (m[1] ?? m[2] ?? '').toLowerCase();
    if (t) terms.push(t);
  }
  return terms;
}

/**
 * Whether `text` mentions `needle` as a whole token. A key like `agent:main:main` must match inside
 * `lane=session:agent:main:main` but not inside `agent:main:main-2`, so ':' and '=' may precede it while
 * nothing key-like may follow it.
 */
export function mentions(text: string, needle: string): boolean {
  if (!needle) return false;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) {
    const before = i === 0 ? '' : text[i - 1];
    const after = text[i + needle.length] ?? '';
    if (!/[\w.-]/.test(before) && !/[\w:.-]/.test(after)) return true;
  }
  return false;
}

const STUCK_KINDS = new Set(['stuck', 'stalled', 'long-running', 'restart-recovery', 'idle-timeout']);
// Restart recovery is logged by subsystem `main-session-restart-recovery` ("marked 1 startup-orphaned main
// session(s) for restart recovery", "started interrupted main session: …"); classify() only sees some of them.
const RECOVERY_TEXT =
  /restart recovery|startup-orphaned|interrupted main session|\brecovered\b|recovery (?:started|failed|completed|scheduled|exhausted)/i;
// `TypeError: …`, `ECONNREFUSED … error`, `Unhandled promise rejection`, a Python-style traceback from a tool.
const ERROR_WORDS = /\w*(?:error|exception)s?\b|\b(?:fatal|uncaught|unhandled|panic|traceback)\b/i;
const STACK_FRAME = /^\s+at\s+\S/;

function isLaneWait(line: ParsedLogLine): boolean {
  return line.diagnostic === 'lane-wait' || /lane wait exceeded/i.test(line.message);
}

function isStuckOrRecovery(line: ParsedLogLine): boolean {
  if (line.diagnostic && STUCK_KINDS.has(line.diagnostic)) return true;
  if (line.subsystem && /recovery/i.test(line.subsystem)) return true;
  const recovery = line.fields.recovery;
  if (recovery && recovery !== 'none') return true;
  return RECOVERY_TEXT.test(line.message);
}

function isError(line: ParsedLogLine): boolean {
  if (line.level === 'ERROR' || line.level === 'FATAL') return true;
  if (line.diagnostic === 'lane-task-error' || line.knownProblem) return true;
  if ('error' in line.fields || 'errorName' in line.fields) return true;
  // A raw (unparsed) line has no level: judge it by its words, and keep stack frames with their error.
  return line.level === 'UNKNOWN' && (ERROR_WORDS.test(line.message) || STACK_FRAME.test(line.message));
}

function isAboutSession(line: ParsedLogLine, key: string | undefined, id: string | undefined): boolean {
  if (key && (line.sessionKey === key || line.fields.sessionKey === key || mentions(line.message, key))) return true;
  if (id && (line.fields.sessionId === id || mentions(line.message, id))) return true;
  return false;
}

/** Compiles a filter once (search terms, session ids) so it can be run over 20,000 lines cheaply. */
export function compileLogFilter(filter: LogFilter): (line: ParsedLogLine) => boolean {
  const terms = searchTerms(filter.text);
  const key = filter.sessionKey?.trim() || undefined;
  const id = filter.sessionId?.trim() || undefined;
  const { preset, minLevel } = filter;
  return (line) => {
    if (!levelPasses(line.level, minLevel)) return false;
    switch (preset) {
      case 'lane-waits':
        if (!isLaneWait(line)) return false;
        break;
      case 'stuck':
        if (!isStuckOrRecovery(line)) return false;
        break;
      case 'errors':
        if (!isError(line)) return false;
        break;
      // "This session" without a key or id shows nothing rather than everything: the user asked for one session.
      case 'session':
        if (!isAboutSession(line, key, id)) return false;
        break;
      case 'all':
        break;
    }
    if (terms.length) {
      const hay = `${line.subsystem ?? ''} ${line.message}`.toLowerCase();
      for (const t of terms) if (!hay.includes(t)) return false;
    }
    return true;
  };
}

export function matchesPreset(line: ParsedLogLine, preset: LogPreset, options: LogFilterOptions = {}): boolean {
  return compileLogFilter({ preset, ...options })(line);
}
