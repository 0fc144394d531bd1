// Where the Log Tail panel gets its lines: the gateway's `logs.tail` RPC with a byte cursor, or — when the
// RPC is down but the gateway's log file is on this machine — the file itself, read the same way (byte
// cursor, bounded reads, rotation and truncation detected). Which one is in use is always reported, because
// "these lines came from the file, the gateway did not answer" is itself a diagnostic fact.
//
// No `vscode` import: unit-tested in plain Node with a temp file and a scripted `tail`.
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { expandHome, readOpenClawConfig } from '../config/openclawConfig';
import { Emitter, type Disposable } from '../gateway/emitter';
import type { LogsTailResultView } from '../gateway/types';

export type LogSourceState =
  | { kind: 'rpc'; label: 'gateway RPC'; file?: string }
  | { kind: 'file'; label: string; path: string; reason: string }
  | { kind: 'unavailable'; label: 'no log source'; reason: string; tried: string[] };

export interface LogBatch {
  source: LogSourceState;
  lines: string[];
  /** First read from this source or file: the tail of the log, not only lines written since the last read. */
  initial: boolean;
  /** The file started over (rotated, truncated or replaced): these lines come from its beginning. */
  reset: boolean;
  /** Older lines were left out of this read (the first read is a tail; or more new lines than one read returns). */
  truncated: boolean;
  /** Bytes between the previous cursor and this read that were never read (the log grew faster than we read). */
  skippedBytes?: number;
  /**
   * Lines older than every line emitted before: a deeper read of the log's tail (GatewayLogSource.readTail) found
   * them. The new lines that read found come in a batch of their own.
   */
  older?: boolean;
}

/** How much one logs.tail call may return. */
export interface LogReadSize {
  maxBytes: number;
  limit: number;
}

export interface GatewayLogSourceOptions {
  /**
   * One `logs.tail` call from the cursor (undefined: the tail of the log). `size` is given for a deeper read of the
   * tail (readTail); otherwise the caller's own bounds apply.
   */
  tail: (cursor: number | undefined, size?: LogReadSize) => Promise<LogsTailResultView>;
  /** Candidate local log files, best first; asked again whenever the file is needed (the date and config change). */
  localFiles?: () => readonly string[] | Promise<readonly string[]>;
  /** Why the RPC cannot work right now (connection down), or undefined when it may. Saves waiting for a timeout. */
  rpcUnavailable?: () => string | undefined;
  /** Whether an RPC failure means "use the file" (default: not connected, timeout, closed, method not offered). */
  shouldFallBack?: (err: unknown) => boolean;
  /** Applied to every line read from the file (the gateway redacts what logs.tail returns; the file is raw). */
  redact?: (line: string) => string;
  pollIntervalMs?: number;
  maxBytesPerRead?: number;
  maxLinesPerRead?: number;
  /** Longest wait between RPC probes while tailing the file. */
  maxProbeIntervalMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

export const DEFAULT_LOG_POLL_MS = 2_000;
export const DEFAULT_LOG_READ_BYTES = 512 * 1024;
export const DEFAULT_LOG_READ_LINES = 5_000;

const FALLBACK_CODES = new Set(['NOT_CONNECTED', 'TIMEOUT', 'CONNECTION_CLOSED', 'UNSUPPORTED']);

export function isRpcDownError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FALLBACK_CODES.has(code);
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const usableCursor = (c: unknown): c is number => typeof c === 'number' && Number.isFinite(c) && c >= 0;

// ------------------------------------------------------------------------------------------------ file names

/** OpenClaw's dated log names: `openclaw-YYYY-MM-DD.log`, `openclaw-<profile>-YYYY-MM-DD.log`. */
const ROLLING_LOG_RE = /^(openclaw(?:-[a-z0-9-]+)?)-(\d{4}-\d{2}-\d{2})\.log$/;

/** The gateway names its daily file by its *local* date. */
export function localDateStamp(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

export function defaultOpenClawLogFile(date: Date = new Date(), dir = '/tmp/openclaw'): string {
  return path.join(dir, `openclaw-${localDateStamp(date)}.log`);
}

/** A dated rolling path moved to another date (same folder and profile); other paths unchanged. */
export function rollingLogFileForDate(file: string, date: Date): string {
  const m = ROLLING_LOG_RE.exec(path.basename(file));
  return m ? path.join(path.dirname(file), `${m[1]}-${localDateStamp(date)}.log`) : file;
}

/**
 * Local files that may hold this gateway's log, best first: the file logs.tail last named, the config's
 * `logging.file`, OpenClaw's default. Paths on the gateway's machine mean nothing for a remote gateway, so
 * without `loopback` only a configured `logging.file` (the user pointed us at that config) is offered.
 */
export function logFileCandidates(input: {
  rpcFile?: string;
  configFile?: string;
  loopback: boolean;
  now?: Date;
}): string[] {
  const out: string[] = [];
  const add = (p: string | undefined) => {
    if (p && path.isAbsolute(p) && !out.includes(path.resolve(p))) out.push(path.resolve(p));
  };
  if (input.loopback) add(input.rpcFile);
  add(input.configFile);
  if (input.loopback) add(defaultOpenClawLogFile(input.now ?? new Date()));
  return out;
}

function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

const CONFIG_CACHE_MS = 30_000;

/**
 * The local files that may hold this gateway's log, asked for whenever the file is needed: logs.tail's last `file`,
 * the config's `logging.file` (read again at most every 30 s), OpenClaw's default; only paths that can be this
 * gateway's (see logFileCandidates).
 */
export function gatewayLogFiles(
  gateway: { url: string; configPath?: string },
  rpcFile: () => string | undefined,
  now: () => number = Date.now,
): () => Promise<string[]> {
  let config: { at: number; file?: string } | undefined;
  return async () => {
    const configPath = gateway.configPath;
    if (configPath && (!config || now() - config.at > CONFIG_CACHE_MS)) {
      let file: string | undefined;
      try {
        const raw = (await readOpenClawConfig(configPath)).logFile;
        // A relative logging.file is relative to the gateway's working directory, which we do not know.
        file = raw && path.isAbsolute(expandHome(raw)) ? expandHome(raw) : undefined;
      } catch {
        file = undefined;
      }
      config = { at: now(), file };
    }
    return logFileCandidates({ rpcFile: rpcFile(), configFile: config?.file, loopback: isLoopbackUrl(gateway.url) });
  };
}

async function regularFile(
  p: string,
): Promise<{ size: number; ino: number; dev: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(p);
    return s.isFile() ? { size: s.size, ino: s.ino, dev: s.dev, mtimeMs: s.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

async function readable(p: string): Promise<boolean> {
  if (!(await regularFile(p))) return false;
  try {
    const h = await open(p, 'r');
    await h.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Like the gateway's own resolution: a dated rolling name means "today's file", and when that does not exist
 * (the gateway stopped yesterday) the newest file of the same family in that folder.
 */
export async function resolveLocalLogFile(candidate: string, now: Date = new Date()): Promise<string | undefined> {
  const m = ROLLING_LOG_RE.exec(path.basename(candidate));
  if (!m) return (await readable(candidate)) ? candidate : undefined;
  for (const p of [rollingLogFileForDate(candidate, now), candidate]) if (await readable(p)) return p;
  const dir = path.dirname(candidate);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const family = names.filter((n) => ROLLING_LOG_RE.exec(n)?.[1] === m[1]);
  const stats = await Promise.all(
    family.map(async (n) => ({ p: path.join(dir, n), s: await regularFile(path.join(dir, n)) })),
  );
  const newest = stats.filter((x) => x.s).sort((a, b) => b.s!.mtimeMs - a.s!.mtimeMs)[0];
  return newest && (await readable(newest.p)) ? newest.p : undefined;
}

async function samePath(a: string | undefined, b: string | undefined): Promise<boolean> {
  if (!a || !b) return false;
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return (await realpath(a)) === (await realpath(b));
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------------ redaction

// logs.tail answers are redacted by the gateway (about a hundred patterns). Reading the file directly skips
// that, so the common credential shapes are masked here. Replacements never touch quotes or backslashes, so a
// JSON line stays valid JSON. Best effort, and the panel says the file is read directly.
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '-----PRIVATE KEY ***-----'],
  [/\b(Bearer\s+)[-A-Za-z0-9._~+/=]{12,}/g, '$1***'],
  [/(Authorization\\?["']?\s*[:=]\s*\\?["']?(?:Basic|Bot|Token)\s+)[^\s"'\\,;]+/gi, '$1***'],
  [
    /\b((?:https?|wss?|ftp|postgres(?:ql)?|mysql|mongodb(?:\+srv)?|rediss?|amqps?):\/\/[^/\s:@"\\]*:)[^/\s@"\\]+@/g,
    '$1***@',
  ],
  [/\b(?:sk|pk|rk)[-_](?:live_|test_|proj-|ant-)?[A-Za-z0-9_-]{8,}/g, '***'],
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{10,}|\bgithub_pat_[A-Za-z0-9_]{10,}|\bglpat-[A-Za-z0-9._=-]{20,}/g, '***'],
  [/\bxox[baprs]-[A-Za-z0-9-]{10,}|\bxapp-[A-Za-z0-9-]{10,}/g, '***'],
  [/\bAIza[0-9A-Za-z_-]{20,}|\bya29\.[0-9A-Za-z_./+=-]{10,}/g, '***'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, '***'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '***'],
  [/\b(?:hf|npm|gsk|pplx|r8)_[A-Za-z0-9]{10,}/g, '***'],
  [/\bbot\d{6,}:[A-Za-z0-9_-]{20,}/g, 'bot***'],
];
// key=value / "key":"value" where the key names a secret (token, apiKey, password, …).
const SECRET_ASSIGNMENT =
  /((?:[A-Za-z0-9]+[_-]?)?(?:token|secret|password|passwd|api[_-]?key|access[_-]?key|private[_-]?key|credential)s?\\?["']?\s*[=:]\s*\\?["']?)([^\s"'\\,;&}]{6,})/gi;

export function maskSecrets(line: string): string {
  let out = line;
  for (const [re, replacement] of SECRET_PATTERNS) out = out.replace(re, replacement);
  // Only values that look like credentials: counts such as maxTokens=4096 stay readable.
  return out.replace(SECRET_ASSIGNMENT, (whole, prefix: string, value: string) =>
    value.includes('***') || /^\d+$/.test(value) || value === 'undefined' || value === 'null' ? whole : `${prefix}***`,
  );
}

// ------------------------------------------------------------------------------------------------ the source

interface FileCursor {
  path: string;
  cursor?: number;
  ino?: number;
  dev?: number;
}

/**
 * Polls one gateway's log. Reads never overlap (a slow RPC delays the next poll instead of stacking calls),
 * and each poll emits at most one batch.
 */
export class GatewayLogSource {
  private mode: 'rpc' | 'file' = 'rpc';
  private current: LogSourceState = { kind: 'rpc', label: 'gateway RPC' };
  private announced = false;
  private rpcCursor?: number;
  private rpcFile?: string;
  private file?: FileCursor;
  private fallbackReason = '';
  private nextProbeAt = 0;
  private probeDelayMs: number;
  private wasDown = false;
  private reading?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;
  private readonly batches: Emitter<LogBatch>;
  private readonly states: Emitter<LogSourceState>;
  private readonly interval: number;
  private readonly maxBytes: number;
  private readonly maxLines: number;
  private readonly now: () => number;

  constructor(private readonly opts: GatewayLogSourceOptions) {
    const log = (err: unknown) => opts.log?.(`log source listener failed: ${errorText(err)}`);
    this.batches = new Emitter<LogBatch>(log);
    this.states = new Emitter<LogSourceState>(log);
    this.interval = opts.pollIntervalMs ?? DEFAULT_LOG_POLL_MS;
    this.maxBytes = Math.max(1024, opts.maxBytesPerRead ?? DEFAULT_LOG_READ_BYTES);
    this.maxLines = Math.max(1, opts.maxLinesPerRead ?? DEFAULT_LOG_READ_LINES);
    this.now = opts.now ?? Date.now;
    this.probeDelayMs = this.interval;
  }

  onBatch(listener: (batch: LogBatch) => void): Disposable {
    return this.batches.on(listener);
  }
  onDidChangeState(listener: (state: LogSourceState) => void): Disposable {
    return this.states.on(listener);
  }
  get state(): LogSourceState {
    return this.current;
  }
  /** The file logs.tail last named (a local path when the gateway runs on this machine). */
  get lastRpcFile(): string | undefined {
    return this.rpcFile;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const tick = () => {
      void this.readOnce().finally(() => {
        if (!this.running) return;
        this.timer = setTimeout(tick, this.interval);
        this.timer.unref?.();
      });
    };
    tick();
  }

  /** Ends polling; a read in flight finishes but emits nothing. */
  stop(): void {
    this.running = false;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.batches.clear();
    this.states.clear();
  }

  /** One poll. A call while a read is in flight returns that read instead of starting another. Public for tests. */
  readOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading) return this.reading;
    const read: Promise<void> = this.poll()
      .catch((err: unknown) => this.opts.log?.(`log read failed: ${errorText(err)}`))
      .finally(() => {
        if (this.reading === read) this.reading = undefined;
      });
    this.reading = read;
    return read;
  }

  /**
   * A deeper read of the log's tail (`tail(undefined, size)`) for history older than the reads so far reached: only
   * while reading through the RPC from a cursor, after any read in flight. `place` says where the answer meets the
   * lines already emitted (see spliceTail in logPoller.ts; `atCursor`: the answer ends exactly at this source's
   * cursor). The lines before them are emitted as an `older` batch and returned; the lines after them as an ordinary
   * batch, and the cursor moves to the answer's end. Undefined, with nothing changed or emitted, when the read fails,
   * the gateway moved to another file or started it over, or `place` cannot tell.
   */
  readTail(
    size: LogReadSize,
    place: (lines: readonly string[], atCursor: boolean) => { older: number; newer: number } | undefined,
  ): Promise<{ lines: string[]; truncated: boolean } | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const before = this.reading;
    const deeper = (async () => {
      await before;
      return this.tailDeeper(size, place);
    })().catch((err: unknown) => {
      this.opts.log?.(`deeper log read failed: ${errorText(err)}`);
      return undefined;
    });
    const read: Promise<void> = deeper.then(() => undefined);
    this.reading = read;
    void read.finally(() => {
      if (this.reading === read) this.reading = undefined;
    });
    return deeper;
  }

  private async tailDeeper(
    size: LogReadSize,
    place: (lines: readonly string[], atCursor: boolean) => { older: number; newer: number } | undefined,
  ): Promise<{ lines: string[]; truncated: boolean } | undefined> {
    const cursor = this.rpcCursor;
    if (this.stopped || this.mode !== 'rpc' || cursor === undefined) return undefined;
    const r = await this.callRpc(undefined, size);
    if (!r.ok || this.stopped || this.mode !== 'rpc' || this.rpcCursor !== cursor) return undefined;
    const { result } = r;
    if (result.file && this.rpcFile && result.file !== this.rpcFile) return undefined;
    if (!usableCursor(result.cursor) || result.cursor < cursor) return undefined;
    const at = place(result.lines, result.cursor === cursor);
    if (!at || at.older > at.newer || at.newer > result.lines.length) return undefined;
    this.rpcCursor = result.cursor;
    const older = result.lines.slice(0, at.older);
    const truncated = result.truncated === true;
    this.emit({ lines: older, initial: false, reset: false, truncated, older: true });
    this.emit({ lines: result.lines.slice(at.newer), initial: false, reset: false, truncated: false });
    return { lines: older, truncated };
  }

  private async poll(): Promise<void> {
    if (this.mode === 'rpc') {
      const r = await this.callRpc(this.rpcCursor);
      if (r.ok) {
        await this.acceptRpc(r.result, this.rpcCursor);
        return;
      }
      if (!r.fallBack) {
        this.setState({
          kind: 'unavailable',
          label: 'no log source',
          reason: `logs.tail failed: ${r.reason}`,
          tried: [],
        });
        return;
      }
      this.fallbackReason = r.reason;
      await this.readFile();
      return;
    }
    // Tailing the file: go back to the gateway as soon as it answers, without waiting for a timeout every poll.
    const down = this.opts.rpcUnavailable?.();
    if (down !== undefined) {
      this.wasDown = true;
      this.fallbackReason = down;
    } else {
      if (this.wasDown) {
        this.wasDown = false;
        this.nextProbeAt = 0;
        this.probeDelayMs = this.interval;
      }
      if (this.now() >= this.nextProbeAt && (await this.probeRpc())) return;
    }
    await this.readFile();
  }

  private async callRpc(
    cursor: number | undefined,
    size?: LogReadSize,
  ): Promise<{ ok: true; result: LogsTailResultView } | { ok: false; fallBack: boolean; reason: string }> {
    const down = this.opts.rpcUnavailable?.();
    if (down !== undefined) return { ok: false, fallBack: true, reason: down };
    try {
      const result = size ? await this.opts.tail(cursor, size) : await this.opts.tail(cursor);
      if (!result || !Array.isArray(result.lines))
        return { ok: false, fallBack: false, reason: 'logs.tail returned no lines' };
      return { ok: true, result };
    } catch (err) {
      return { ok: false, fallBack: (this.opts.shouldFallBack ?? isRpcDownError)(err), reason: errorText(err) };
    }
  }

  private async acceptRpc(first: LogsTailResultView, passedCursor: number | undefined): Promise<void> {
    let result = first,
      cursor = passedCursor,
      movedFile = false;
    // The gateway moved to another file (daily roll-over, config change): our cursor was an offset into the
    // old one, so read the new file from its start instead of from a meaningless offset.
    if (cursor !== undefined && this.rpcFile && result.file && result.file !== this.rpcFile) {
      const again = await this.callRpc(0);
      if (!again.ok) return; // the next poll retries; nothing emitted from a misplaced cursor
      result = again.result;
      cursor = 0;
      movedFile = true;
    }
    this.mode = 'rpc';
    // An answer without a usable cursor still has its lines; the next read asks for the tail again.
    this.rpcCursor = usableCursor(result.cursor) ? result.cursor : undefined;
    if (this.rpcCursor === undefined)
      this.opts.log?.('logs.tail answered without a usable cursor; reading the tail next');
    this.rpcFile = result.file ?? this.rpcFile;
    this.probeDelayMs = this.interval;
    this.setState({ kind: 'rpc', label: 'gateway RPC', file: this.rpcFile });
    const skipped =
      typeof result.skippedBytes === 'number' && result.skippedBytes > 0 ? result.skippedBytes : undefined;
    const initial = cursor === undefined;
    // logs.tail also sets `reset` when it skipped ahead (skippedBytes); only a cursor past the end means the
    // file started over.
    this.emit({
      lines: result.lines,
      initial,
      reset: movedFile || (result.reset === true && !initial && skipped === undefined),
      truncated: result.truncated === true,
      skippedBytes: skipped,
    });
  }

  /** While tailing the file: one logs.tail attempt; true when the gateway answered and we switched back. */
  private async probeRpc(): Promise<boolean> {
    const file = this.file;
    const sameFile = file?.cursor !== undefined && (await samePath(this.rpcFile, file.path));
    const r = await this.callRpc(sameFile ? file.cursor : undefined);
    if (!r.ok) {
      if (r.fallBack) this.fallbackReason = r.reason;
      this.nextProbeAt = this.now() + this.probeDelayMs;
      this.probeDelayMs = Math.min(this.probeDelayMs * 2, this.opts.maxProbeIntervalMs ?? 30_000);
      return false;
    }
    // Asked for the tail but the gateway writes the file we were reading: continue from our own cursor
    // instead of showing its tail a second time.
    if (!sameFile && file?.cursor !== undefined && r.result.file && (await samePath(r.result.file, file.path))) {
      this.rpcFile = r.result.file;
      const again = await this.callRpc(file.cursor);
      if (!again.ok) return false;
      this.rpcCursor = file.cursor;
      await this.acceptRpc(again.result, file.cursor);
      return true;
    }
    if (sameFile) this.rpcCursor = file.cursor;
    await this.acceptRpc(r.result, sameFile ? file.cursor : undefined);
    return true;
  }

  private async readFile(): Promise<void> {
    const now = new Date(this.now());
    // The caller decides which paths are this gateway's (logs.tail's `file` only counts for a local gateway).
    const candidates = [...new Set((await this.opts.localFiles?.()) ?? [])];
    let chosen: string | undefined;
    for (const c of candidates) {
      chosen = await resolveLocalLogFile(c, now);
      if (chosen) break;
    }
    if (!chosen) {
      this.mode = 'file'; // keep probing the RPC, and look for a file again next poll
      this.file = undefined;
      this.setState({
        kind: 'unavailable',
        label: 'no log source',
        reason: `gateway RPC: ${this.fallbackReason}; no readable local log file`,
        tried: candidates,
      });
      return;
    }
    const entering = this.mode === 'rpc';
    if (entering || !this.file || !(await samePath(this.file.path, chosen))) {
      // Continuing exactly where the RPC stopped avoids showing the same lines twice (and a cursor kept from an
      // earlier stretch on the file would repeat what the RPC has shown since).
      const continueRpc = this.rpcCursor !== undefined && (await samePath(this.rpcFile, chosen));
      this.file = { path: chosen, cursor: continueRpc ? this.rpcCursor : undefined };
    }
    this.mode = 'file';
    this.setState({ kind: 'file', label: `local file ${chosen}`, path: chosen, reason: this.fallbackReason });
    await this.readFileChunk(this.file);
  }

  private async readFileChunk(f: FileCursor): Promise<void> {
    const handle = await open(f.path, 'r');
    try {
      const st = await handle.stat();
      const size = st.size;
      let reset = false,
        truncated = false,
        skippedBytes: number | undefined;
      const initial = f.cursor === undefined;
      let start: number;
      if (initial) {
        start = Math.max(0, size - this.maxBytes);
        truncated = start > 0;
      } else {
        start = f.cursor!;
        // Rotation replaces the file (new inode); truncation shrinks it. Either way: read the new content from 0.
        const replaced = f.ino !== undefined && st.ino !== 0 && (st.ino !== f.ino || st.dev !== f.dev);
        if (replaced || size < start) {
          start = 0;
          reset = true;
        }
        if (size - start > this.maxBytes) {
          const bounded = size - this.maxBytes;
          skippedBytes = bounded - start;
          start = bounded;
          truncated = true;
        }
      }
      f.ino = st.ino;
      f.dev = st.dev;
      if (size <= start) {
        f.cursor = size;
        if (reset || skippedBytes) this.emit({ lines: [], initial, reset, truncated, skippedBytes });
        return;
      }
      const buffer = Buffer.alloc(size - start);
      let got = 0;
      while (got < buffer.length) {
        const { bytesRead } = await handle.read(buffer, got, buffer.length - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      let from = 0;
      if (start > 0) {
        // Starting mid-file: drop the partial first line unless the previous byte ends a line.
        const prev = Buffer.alloc(1);
        await handle.read(prev, 0, 1, start - 1);
        if (prev[0] !== 0x0a) from = buffer.subarray(0, got).indexOf(0x0a) + 1 || got;
      }
      const lastNewline = buffer.subarray(0, got).lastIndexOf(0x0a);
      if (lastNewline < from) {
        // No complete line yet. A single line longer than a whole read can never complete: skip past it.
        if (got >= this.maxBytes) {
          f.cursor = start + got;
          this.emit({ lines: [], initial, reset, truncated: true, skippedBytes: (skippedBytes ?? 0) + got });
          return;
        }
        f.cursor = start + from;
        if (reset || skippedBytes) this.emit({ lines: [], initial, reset, truncated, skippedBytes });
        return;
      }
      f.cursor = start + lastNewline + 1;
      let lines = buffer
        .toString('utf8', from, lastNewline)
        .split('\n')
        .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      if (lines.length > this.maxLines) {
        lines = lines.slice(lines.length - this.maxLines);
        truncated = true;
      }
      const redact = this.opts.redact ?? maskSecrets;
      this.emit({ lines: lines.map(redact), initial, reset, truncated, skippedBytes });
    } finally {
      await handle.close();
    }
  }

  private emit(batch: Omit<LogBatch, 'source'>): void {
    if (this.stopped) return;
    if (!batch.lines.length && !batch.reset && !batch.skippedBytes && !batch.initial) return;
    this.batches.fire({ ...batch, source: this.current });
  }

  private setState(next: LogSourceState): void {
    const prev = this.current;
    this.current = next;
    if (this.stopped) return;
    const same =
      this.announced &&
      prev.kind === next.kind &&
      prev.label === next.label &&
      (prev.kind !== 'file' || prev.reason === (next as { reason: string }).reason) &&
      (prev.kind !== 'unavailable' || prev.reason === (next as { reason: string }).reason);
    if (same) return;
    this.announced = true;
    this.states.fire(next);
  }
}
