// The transcript of one session on one gateway connection, kept live:
//
//  - opens with the newest page of chat.history (~80 messages);
//  - follows through sessions.messages.subscribe (`session.message`, deduplicated by message id / seq) and the
//    `chat`/`agent` events of the session's runs, which give the in-flight run and its streamed text;
//  - shows what chat.history reports as in flight (`inFlightRun`) and queued behind it (`pendingInputs`);
//  - pages back on demand in large pages anchored on the oldest loaded message id (chat.history `messageId`, which
//    on 2026.9.6 answers a window *around* that message; offsets count from the newest message and shift with every
//    append, so they are not used — see test/gateway/transcript.test.ts for the proof);
//  - after every reconnect resubscribes and catches up: the deltaCursor of the last page (chat.history `cursor`)
//    when the gateway still accepts it, else a fresh tail page merged by message id, paging back until it meets
//    what is loaded. A /new reset shows as the gateway's own reset marker (system message, `__openclaw.kind:
//    "reset"`); a changed sessionId adds a separator; a key that is gone is reported as deleted;
//  - on protocol 3 (openclaw 2026.3.x/2026.4.x), whose chat.history takes only {sessionKey, limit ≤ 1000} and says nothing
//    about runs or queues: pages back by reading a larger newest page (so at most the newest 1000 messages), takes the
//    in-flight run from this socket's events or the fleet watcher's run evidence, shows inputs the gateway echoed
//    without a message id (accepted, not yet in the transcript) as queued, and says plainly what the version cannot do;
//  - keeps memory bounded: at most `maxMessages` entries and `maxTotalChars` of text (the oldest are dropped and
//    counted).
//
// No `vscode` import: tested in plain Node against a scripted gateway and against a real one.
import type {
  ChatHistoryResultView,
  Disposable,
  EventFrame,
  GatewayApi,
  GatewayConnection,
  LogLevel,
  SessionMessagePayloadView,
} from '../gateway';
import { Emitter } from '../gateway/emitter';
import { findSessionRow } from '../actions/recovery';
import { decodeRunEvent } from '../lanes/runEvent';
import { laneWords, type RunEvidence, type RunEvidenceSource } from '../lanes/runEvidence';
import { isWaitingPendingInput, queuedCount, readPendingInputs, WAITING_PENDING_STATE } from '../lanes/pendingInputs';
import {
  clip,
  cleanText,
  DEFAULT_MAX_TEXT_CHARS,
  messageIdentity,
  normalizeMessage,
  pendingInputText,
  type TranscriptEntry,
} from './transcriptEntry';
import type { TranscriptInFlightView } from '../protocol/webviewMessages';
import type { TranscriptStatus } from './transcriptStatus';

export type { TranscriptStatus } from './transcriptStatus';

/** The run in flight: the same shape the webview gets (src/protocol/webviewMessages.ts). */
export type InFlightRun = TranscriptInFlightView;

export interface PendingInput {
  id: string;
  acceptedAt?: number;
  state: string;
  text: string;
  runId?: string;
}

export type TranscriptChange =
  | { type: 'snapshot' }
  | { type: 'appended'; entries: TranscriptEntry[] }
  | { type: 'prepended'; entries: TranscriptEntry[] }
  | { type: 'dropped'; count: number }
  | { type: 'live' }
  | { type: 'status' };

export interface TranscriptModelOptions {
  api: GatewayApi;
  sessionKey: string;
  agentId?: string;
  /** Messages in the first (newest) page. */
  pageSize?: number;
  /** `limit` of a back-page request; the gateway centres the window on the anchor, so about half of it is older. */
  olderPageSize?: number;
  maxMessages?: number;
  maxTotalChars?: number;
  maxTextChars?: number;
  /** Debounce of the catch-up that follows run ends and session changes. */
  refreshDelayMs?: number;
  /** Re-read interval while a run is in flight or inputs are queued. */
  busyPollMs?: number;
  log?: (level: LogLevel, message: string) => void;
  now?: () => number;
  /** Protocol 3: the fleet watcher's run evidence (chat.history there does not say what is in flight). */
  evidence?: RunEvidenceSource;
}

export const DEFAULT_TRANSCRIPT_PAGE = 80;
export const DEFAULT_OLDER_PAGE = 1_000;
export const DEFAULT_MAX_MESSAGES = 20_000;
/** Pages read backwards to close the gap after a long disconnect before giving up and saying so. */
const MAX_GAP_PAGES = 5;
/** chat.history's `limit` bound on protocol 3 (2026.3.x/2026.4.x), which takes no offset, messageId or cursor. */
export const P3_HISTORY_LIMIT = 1_000;
/** 2026.3.24 wraps live user messages in a sender envelope that chat.history strips: "Sender (untrusted metadata):" + json + "[<time> UTC] ". */
const SENDER_ENVELOPE = /^Sender \(untrusted metadata\):\s*```json[\s\S]*?```\s*(?:\[[^\]\n]*\]\s*)?/;
/** A reset reason seen this recently explains a new session id (protocol 3 starts a new transcript on /new). */
const RESET_REASON_FRESH_MS = 60_000;
/** Protocol 3: an input echo not written within this long, with no run in flight, is no longer shown as queued. */
const ECHO_EXPIRY_MS = 60_000;
const MAX_NOTICES = 5;
const MAX_STREAM_CHARS = 64 * 1024;
/** The run id shown when a run holds the lane but the gateway named another (queued) one and nothing else names it. */
export const UNNAMED_RUN = '(not named by the gateway)';

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const idOf = (m: unknown) => messageIdentity(m).id;
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function textOfMessage(message: unknown): string | undefined {
  const m = rec(message);
  if (typeof m.content === 'string') return m.content;
  if (!Array.isArray(m.content)) return undefined;
  return m.content
    .map((b) => (typeof b === 'string' ? b : str(rec(b).type) === 'text' ? String(rec(b).text ?? '') : ''))
    .join('');
}

function entryChars(e: TranscriptEntry): number {
  return e.text.length + (e.thinking?.length ?? 0) + (e.tools?.reduce((n, t) => n + t.text.length, 0) ?? 0) + 200;
}

export class TranscriptModel {
  readonly sessionKey: string;
  private canonicalKey: string;
  /** The session's key as the gateway spells it (a bare key given at open resolves to it once the gateway answers). */
  get key(): string {
    return this.canonicalKey;
  }
  private readonly connection: GatewayConnection;
  private readonly opts: Required<
    Pick<
      TranscriptModelOptions,
      'pageSize' | 'olderPageSize' | 'maxMessages' | 'maxTotalChars' | 'maxTextChars' | 'refreshDelayMs' | 'busyPollMs'
    >
  > &
    TranscriptModelOptions;
  private readonly now: () => number;
  private list: TranscriptEntry[] = [];
  private readonly keys = new Set<string>();
  private totalChars = 0;
  private run?: InFlightRun & { suppress?: string };
  private pendingInputs: PendingInput[] = [];
  private pendingMore = 0;
  /** Inputs the gateway lists but will not run (cancelled by an abort, interrupted by a restart): history, not queue. */
  private notRunInputs: PendingInput[] = [];
  private deltaCursor?: string;
  private readonly state: TranscriptStatus;
  private readonly subs: Disposable[] = [];
  private readonly changes = new Emitter<TranscriptChange>();
  private syncing?: Promise<void>;
  private syncAgain?: 'reconnect' | 'refresh';
  private refreshTimer?: NodeJS.Timeout;
  private busyTimer?: NodeJS.Timeout;
  /** Retry of a load the gateway refused with UNAVAILABLE (still starting), and the delay of the next one. */
  private unavailableTimer?: NodeJS.Timeout;
  private unavailableDelayMs = 0;
  private started = false;
  private disposed = false;
  private noticeSeq = 0;
  private readonly noticed = new Set<string>();
  /** Set on every reconnect until the catch-up after it ran: what it finds happened "while disconnected". */
  private reconnecting = false;
  /** When a sessions.changed with reason new/reset was seen (protocol 3 then starts a new session id). */
  private resetReasonAt?: number;

  constructor(options: TranscriptModelOptions) {
    this.opts = {
      pageSize: DEFAULT_TRANSCRIPT_PAGE,
      olderPageSize: DEFAULT_OLDER_PAGE,
      maxMessages: DEFAULT_MAX_MESSAGES,
      maxTotalChars: 32 * 1024 * 1024,
      maxTextChars: DEFAULT_MAX_TEXT_CHARS,
      refreshDelayMs: 250,
      busyPollMs: 3_000,
      ...options,
    };
    this.now = options.now ?? Date.now;
    this.sessionKey = options.sessionKey;
    this.canonicalKey = options.sessionKey;
    this.connection = options.api.connection;
    this.state = {
      connection: 'idle',
      session: 'unknown',
      loaded: false,
      hasOlder: false,
      dropped: 0,
      maxMessages: this.opts.maxMessages,
      notices: [],
      catchUps: 0,
    };
    this.onConnectionState();
    this.subs.push(
      this.connection.onDidChangeState(() => {
        if (this.onConnectionState()) this.emit({ type: 'status' });
      }),
      this.connection.onDidConnect(() => {
        if (this.started) {
          this.reconnecting = this.state.loaded;
          void this.sync(this.state.loaded ? 'reconnect' : 'initial');
        }
      }),
      this.connection.onEvent('session.message', (f) => this.onSessionMessage(f)),
      this.connection.onEvent('chat', (f) => this.onRunEvent(f)),
      this.connection.onEvent('agent', (f) => this.onRunEvent(f)),
      this.connection.onEvent('sessions.changed', (f) => this.onSessionsChanged(f)),
    );
    if (options.evidence)
      this.subs.push(
        options.evidence.onDidChange(() => {
          if (this.state.loaded && this.applyEvidence()) this.emit({ type: 'live' });
        }),
      );
  }

  readonly onDidChange = (listener: (change: TranscriptChange) => void): Disposable => this.changes.on(listener);

  entries(): readonly TranscriptEntry[] {
    return this.list;
  }
  inFlight(): InFlightRun | undefined {
    return (
      this.run && {
        runId: this.run.runId,
        startedAt: this.run.startedAt,
        phase: this.run.phase,
        text: this.run.text,
        source: this.run.source,
        lastEventAt: this.run.lastEventAt,
      }
    );
  }
  pending(): readonly PendingInput[] {
    return this.pendingInputs;
  }
  /** Queued inputs the gateway reported beyond those listed. */
  pendingNotListed(): number {
    return this.pendingMore;
  }
  /** Inputs the gateway still lists but will not run (state cancelled, interrupted): shown as history. */
  notRun(): readonly PendingInput[] {
    return this.notRunInputs;
  }
  status(): TranscriptStatus {
    return { ...this.state, notices: [...this.state.notices] };
  }
  entry(key: string): TranscriptEntry | undefined {
    return this.list.find((e) => e.key === key);
  }

  /** Starts loading (now if connected, else at the next connect). Idempotent. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      if (this.connection.isConnected()) return this.sync('initial');
    }
    return this.syncing ?? Promise.resolve();
  }

  /** Loads again now (the panel's Retry after an error): a first load if nothing loaded yet, else a full catch-up. */
  reload(): Promise<void> {
    this.started = true;
    if (!this.connection.isConnected()) return Promise.resolve();
    return this.sync(this.state.loaded ? 'reconnect' : 'initial');
  }

  /** Resolves when no load or catch-up is running (tests, and the panel before an export). */
  async settled(): Promise<void> {
    while (this.syncing) await this.syncing;
  }

  // ------------------------------------------------------------------------------------------------ loading

  private sync(mode: 'initial' | 'reconnect' | 'refresh'): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.syncing) {
      if (mode === 'reconnect' || !this.syncAgain) this.syncAgain = mode === 'initial' ? 'reconnect' : mode;
      return this.syncing;
    }
    const run = async () => {
      let next: 'initial' | 'reconnect' | 'refresh' | undefined = mode;
      while (next && !this.disposed && this.connection.isConnected()) {
        await this.doSync(next);
        next = this.syncAgain;
        this.syncAgain = undefined;
      }
    };
    this.syncing = run().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private supports(method: string): boolean {
    const hello = this.connection.helloSummary;
    return !hello || hello.methods.size === 0 || hello.methods.has(method);
  }

  /** Protocol 3 (2026.3.x/2026.4.x): chat.history takes only {sessionKey, limit} and carries no run or queue. */
  private legacy(): boolean {
    const p = this.connection.helloSummary?.protocol;
    return p !== undefined && p < 4;
  }

  private versionName(): string {
    return `openclaw ${this.connection.helloSummary?.serverVersion ?? '(protocol 3)'}`;
  }

  private agentParam(): { agentId?: string } {
    return this.opts.agentId ? { agentId: this.opts.agentId } : {};
  }

  private async doSync(mode: 'initial' | 'reconnect' | 'refresh'): Promise<void> {
    const api = this.opts.api;
    const first = !this.state.loaded;
    this.state.loading = first ? 'initial' : 'catch-up';
    this.emit({ type: 'status' });
    try {
      if (mode !== 'refresh' && this.supports('sessions.messages.subscribe')) {
        // Subscriptions belong to the socket: every new connection needs its own.
        await api
          .sessionsMessagesSubscribe({ key: this.sessionKey, ...this.agentParam() })
          .catch((err: Error) => this.log('warn', `sessions.messages.subscribe ${this.sessionKey}: ${err.message}`));
      }
      const found = mode === 'refresh' ? undefined : await this.findSession();
      if (found) {
        if (!found.exists) {
          if (first) this.setSession('missing', 'The gateway has no session with this key (yet).');
          else if (this.state.session !== 'deleted' && this.state.session !== 'missing') {
            this.markDeleted(
              this.reconnecting
                ? 'The session was deleted on the gateway while Lanewatch was disconnected.'
                : 'The session was deleted on the gateway.',
            );
          }
          if (!first) return;
        } else {
          if (found.key) this.canonicalKey = found.key;
          if (this.state.session === 'deleted')
            this.addNotice(
              'separator',
              'session-recreated',
              'A session with this key exists again on the gateway (it was deleted and created anew).',
            );
          this.setSession('ok');
        }
      }
      if (first) await this.loadTail();
      else await this.catchUp(mode === 'refresh');
      this.state.error = undefined;
      this.unavailableDelayMs = 0;
      if (!first) this.state.catchUps++;
    } catch (err) {
      this.state.error = (err as Error).message;
      this.log('warn', `transcript ${this.sessionKey}: ${mode} failed: ${this.state.error}`);
      // 2026.4.x accepts connects while it still starts its channels and sidecars (20-55 s) and answers chat.history
      // with UNAVAILABLE "unavailable during gateway startup" meanwhile; no event says when it is ready, so try again.
      if ((err as { code?: unknown }).code === 'UNAVAILABLE') this.retryWhenAvailable(mode);
    } finally {
      this.state.loading = undefined;
      if (mode === 'reconnect') this.reconnecting = false;
      this.emit({ type: 'status' });
    }
  }

  private async loadTail(): Promise<void> {
    const page = await this.opts.api.chatHistory({
      sessionKey: this.sessionKey,
      limit: this.opts.pageSize,
      ...this.agentParam(),
    });
    this.readPageMeta(page);
    const seen = new Set<string>();
    const entries: TranscriptEntry[] = [];
    for (const m of page.messages) {
      const e = this.normalize(m);
      if (seen.has(e.key)) continue;
      seen.add(e.key);
      entries.push(e);
    }
    this.list = entries;
    this.keys.clear();
    for (const e of entries) this.keys.add(e.key);
    this.totalChars = entries.reduce((n, e) => n + entryChars(e), 0);
    const oldestSeq = page.messages.length ? messageIdentity(page.messages[0]).seq : undefined;
    this.state.hasOlder =
      typeof page.hasMore === 'boolean' ? page.hasMore : page.messages.length >= this.opts.pageSize && oldestSeq !== 1;
    this.state.olderStop = this.state.hasOlder ? undefined : 'start';
    this.state.loaded = true;
    if (page.sessionId && this.state.session === 'unknown') this.setSession('ok');
    if (this.legacy()) {
      this.recordNotice(
        `${this.versionName()} (protocol 3): its history has no paging cursor and does not say what runs or is queued. Lanewatch loads at most the newest ${P3_HISTORY_LIMIT.toLocaleString('en-US')} messages and shows a run or queued input only when this connection or the Gateways view saw it.`,
      );
    }
    this.applyLive(page.inFlightRun, page.pendingInputs, 0);
    this.emit({ type: 'snapshot' });
    this.emit({ type: 'live' });
    this.enforceBounds();
  }

  private readPageMeta(page: {
    sessionId?: string;
    deltaCursor?: unknown;
    sessionInfo?: { key?: unknown; sessionId?: unknown };
  }): boolean {
    if (typeof page.sessionInfo?.key === 'string') this.canonicalKey = page.sessionInfo.key;
    this.deltaCursor = typeof page.deltaCursor === 'string' && page.deltaCursor ? page.deltaCursor : undefined;
    const sessionId = page.sessionId ?? str(page.sessionInfo?.sessionId);
    const changed = !!(sessionId && this.state.sessionId && sessionId !== this.state.sessionId);
    if (sessionId) this.state.sessionId = sessionId;
    return changed;
  }

  /** After a reconnect, or when events say something changed: read what was appended since the last page. */
  private async catchUp(light: boolean): Promise<void> {
    const api = this.opts.api;
    const requestedAt = this.now();
    if (!this.deltaCursor && light) {
      // No cursor (2026.9.6 omits it from some pages, e.g. while a run starts): read only the newest message with the run and
      // the queue; a full merge is needed only when that message is new to us.
      const probe = await api.chatHistory({ sessionKey: this.sessionKey, limit: 1, ...this.agentParam() });
      const newest = probe.messages.at(-1);
      const newestId = newest === undefined ? undefined : idOf(newest);
      const sid = probe.sessionId;
      if (
        (newest === undefined || (newestId && this.keys.has(newestId))) &&
        !(sid && this.state.sessionId && sid !== this.state.sessionId)
      ) {
        this.readPageMeta(probe);
        this.applyLive(probe.inFlightRun, probe.pendingInputs, requestedAt);
        this.emit({ type: 'live' });
        return;
      }
      await this.mergeTail(requestedAt);
      return;
    }
    if (this.deltaCursor) {
      const delta = await api.chatHistoryDelta({
        sessionKey: this.sessionKey,
        cursor: this.deltaCursor,
        ...this.agentParam(),
      });
      if (delta.kind === 'delta') {
        if (typeof delta.sessionInfo?.key === 'string') this.canonicalKey = delta.sessionInfo.key;
        const sid = str(delta.sessionInfo?.sessionId);
        if (sid && this.state.sessionId && sid !== this.state.sessionId) this.sessionChanged(sid);
        else if (sid) this.state.sessionId = sid;
        for (const payload of delta.messages ?? []) this.applyPayload(rec(payload));
        this.deltaCursor = typeof delta.deltaCursor === 'string' && delta.deltaCursor ? delta.deltaCursor : undefined;
        this.applyLive(delta.inFlightRun, delta.pendingInputs, requestedAt);
        this.emit({ type: 'live' });
        return;
      }
      // kind "reset": the cursor no longer applies (a /new reset, or too much to replay): merge a fresh tail page.
    }
    await this.mergeTail(requestedAt);
  }

  private async mergeTail(requestedAt: number): Promise<void> {
    const page = await this.opts.api.chatHistory({
      sessionKey: this.sessionKey,
      limit: this.opts.pageSize,
      ...this.agentParam(),
    });
    const previousSessionId = this.state.sessionId;
    const sessionChanged = this.readPageMeta(page);
    let messages: unknown[] = page.messages;
    const known = (m: unknown) => {
      const id = idOf(m);
      return !!id && this.keys.has(id);
    };
    const hasResetMarker = (ms: unknown[]) => ms.some((m) => messageIdentity(m).kind === 'reset' && !known(m));
    let overlap = messages.some(known);
    // Close the gap: read backwards, anchored on the oldest message of what we have read, until it meets what is
    // loaded (or a reset marker, or the start).
    for (
      let round = 0;
      !overlap &&
      !sessionChanged &&
      this.list.some((e) => e.messageId) &&
      messages.length &&
      round < MAX_GAP_PAGES &&
      !hasResetMarker(messages);
      round++
    ) {
      const anchor = messages.map(idOf).find((id) => !!id);
      if (!anchor) break;
      const { older } = await this.readOlder(anchor, messages.length);
      if (!older.length) break;
      messages = [...older, ...messages];
      overlap = older.some(known);
    }
    let start = 0;
    if (overlap)
      for (let i = messages.length - 1; i >= 0; i--)
        if (known(messages[i])) {
          start = i + 1;
          break;
        }
    const fresh = messages.slice(start).filter((m) => !known(m));
    if (sessionChanged) this.sessionChanged(this.state.sessionId!, previousSessionId);
    else if (!overlap && fresh.length && this.list.length && !hasResetMarker(fresh)) {
      this.addNotice(
        'notice',
        `gap:${this.noticeSeq}`,
        'Some messages between those loaded before and these may be missing: the gateway returned no page that continues the loaded transcript.',
      );
    }
    this.appendEntries(fresh.map((m) => this.normalize(m)));
    this.applyLive(page.inFlightRun, page.pendingInputs, requestedAt);
    this.emit({ type: 'live' });
  }

  /**
   * Messages older than `anchorId` (oldest first): from a chat.history window around it, or on protocol 3 from a newest
   * page `have + olderPageSize` long (at most 1000), `have` being about how many newer messages are already read.
   * `capped`: protocol 3's limit was reached and older messages exist that no request can return.
   */
  private async readOlder(anchorId: string, have = 0): Promise<{ older: unknown[]; capped: boolean }> {
    if (!this.legacy()) {
      const page = await this.opts.api.chatHistory({
        sessionKey: this.sessionKey,
        messageId: anchorId,
        limit: this.opts.olderPageSize,
        ...this.agentParam(),
      });
      const at = page.messages.findIndex((m) => idOf(m) === anchorId);
      return { older: at > 0 ? page.messages.slice(0, at) : [], capped: false };
    }
    for (let limit = Math.min(P3_HISTORY_LIMIT, have + this.opts.olderPageSize); ; limit = P3_HISTORY_LIMIT) {
      const page = await this.opts.api.chatHistory({ sessionKey: this.sessionKey, limit, ...this.agentParam() });
      const at = page.messages.findIndex((m) => idOf(m) === anchorId);
      const full = page.messages.length >= limit;
      const capped =
        limit >= P3_HISTORY_LIMIT && full && page.messages.length > 0 && messageIdentity(page.messages[0]).seq !== 1;
      // More was appended than expected and the anchor fell out of the page: once more with the largest page.
      if (at < 0 && full && limit < P3_HISTORY_LIMIT) continue;
      return { older: at > 0 ? page.messages.slice(0, at) : [], capped };
    }
  }

  private versionStop(): void {
    this.state.hasOlder = false;
    this.state.olderStop = 'version';
    this.recordNotice(
      `${this.versionName()} cannot page back past the newest ${P3_HISTORY_LIMIT.toLocaleString('en-US')} messages (its chat.history takes no offset, message id or cursor); older messages are only in the session's transcript file on the gateway host.`,
    );
  }

  /** Loads the next older page; resolves with the number of entries added at the top. */
  async loadOlder(): Promise<number> {
    if (!this.state.hasOlder || this.state.loading || !this.connection.isConnected()) return 0;
    const anchor = this.list.find((e) => e.messageId)?.messageId;
    if (!anchor) {
      this.state.hasOlder = false;
      this.state.olderStop = 'start';
      this.emit({ type: 'status' });
      return 0;
    }
    const room = this.opts.maxMessages - this.list.length;
    if (room <= 0) {
      this.state.hasOlder = false;
      this.state.olderStop = 'cap';
      this.emit({ type: 'status' });
      return 0;
    }
    this.state.loading = 'older';
    this.emit({ type: 'status' });
    try {
      const read = await this.readOlder(anchor, this.list.filter((e) => e.messageId).length);
      let older = read.older.filter((m) => {
        const id = idOf(m);
        return !id || !this.keys.has(id);
      });
      if (!older.length) {
        if (read.capped) this.versionStop();
        else {
          this.state.hasOlder = false;
          this.state.olderStop = 'start';
        }
        return 0;
      }
      if (older.length > room) {
        older = older.slice(older.length - room);
        this.state.hasOlder = false;
        this.state.olderStop = 'cap';
      } else if (read.capped) this.versionStop();
      else {
        this.state.hasOlder = messageIdentity(older[0]).seq !== 1;
        this.state.olderStop = this.state.hasOlder ? undefined : 'start';
      }
      const entries = older.map((m) => this.normalize(m)).filter((e) => !this.keys.has(e.key));
      for (const e of entries) {
        this.keys.add(e.key);
        this.totalChars += entryChars(e);
      }
      this.list = entries.concat(this.list);
      this.state.error = undefined;
      this.emit({ type: 'prepended', entries });
      return entries.length;
    } catch (err) {
      this.state.error = `could not load older messages: ${(err as Error).message}`;
      return 0;
    } finally {
      this.state.loading = undefined;
      this.emit({ type: 'status' });
    }
  }

  // ------------------------------------------------------------------------------------------------ entries

  private normalize(message: unknown, messageId?: string, messageSeq?: number): TranscriptEntry {
    const ident = messageIdentity(message);
    const id = messageId ?? ident.id;
    const seq = messageSeq ?? ident.seq;
    const key =
      id ??
      (seq !== undefined ? `seq:${this.state.sessionId ?? ''}:${seq}:${this.noticeSeq}` : `anon:${++this.noticeSeq}`);
    const e = normalizeMessage(message, { key, messageId: id, messageSeq: seq, maxTextChars: this.opts.maxTextChars });
    if (e.role === 'user' && SENDER_ENVELOPE.test(e.text)) e.text = e.text.replace(SENDER_ENVELOPE, '');
    if (this.state.sessionId) e.sessionId = this.state.sessionId;
    return e;
  }

  private appendEntries(entries: TranscriptEntry[]): void {
    const fresh = entries.filter((e) => !this.keys.has(e.key));
    if (!fresh.length) return;
    this.dropEchoes(fresh);
    for (const e of fresh) {
      this.keys.add(e.key);
      this.totalChars += entryChars(e);
      this.list.push(e);
      if (e.openclawKind === 'reset')
        this.recordNotice(
          this.reconnecting
            ? `The session was reset (/new)${e.timestamp ? ` at ${clock(e.timestamp)} UTC` : ''} while Lanewatch was disconnected; the separator marks where.`
            : `The session was reset (/new)${e.timestamp ? ` at ${clock(e.timestamp)} UTC` : ''}; the separator marks where.`,
        );
    }
    this.emit({ type: 'appended', entries: fresh });
    this.enforceBounds();
  }

  private enforceBounds(): void {
    let drop = 0;
    let chars = this.totalChars;
    while (
      drop < this.list.length - 1 &&
      (this.list.length - drop > this.opts.maxMessages || chars > this.opts.maxTotalChars)
    ) {
      chars -= entryChars(this.list[drop]);
      drop++;
    }
    if (!drop) return;
    for (const e of this.list.slice(0, drop)) this.keys.delete(e.key);
    this.list = this.list.slice(drop);
    this.totalChars = chars;
    this.state.dropped += drop;
    // Loading them again would only push out the newest: say where the bound is instead.
    this.state.hasOlder = false;
    this.state.olderStop = 'cap';
    this.emit({ type: 'dropped', count: drop });
    this.emit({ type: 'status' });
  }

  private addNotice(
    kind: 'notice' | 'separator',
    id: string,
    text: string,
    status?: 'error' | 'aborted',
    timestamp = this.now(),
  ): void {
    if (this.noticed.has(id)) return;
    this.noticed.add(id);
    if (this.noticed.size > 10_000) this.noticed.clear();
    const e: TranscriptEntry = {
      key: `lw:${id}:${++this.noticeSeq}`,
      kind,
      role: 'system',
      text,
      timestamp,
      ...(status ? { status } : {}),
    };
    this.appendEntries([e]);
  }

  private recordNotice(text: string): void {
    this.state.notices.push(text);
    if (this.state.notices.length > MAX_NOTICES) this.state.notices.splice(0, this.state.notices.length - MAX_NOTICES);
    this.emit({ type: 'status' });
  }

  private sessionChanged(sessionId: string, previous = this.state.sessionId): void {
    this.state.sessionId = sessionId;
    // Protocol 3 answers a /new reset with a new session id (and no reset marker): the sessions.changed reason says which.
    const reset = this.resetReasonAt !== undefined && this.now() - this.resetReasonAt < RESET_REASON_FRESH_MS;
    this.resetReasonAt = undefined;
    const echoes = this.pendingInputs.length;
    this.pendingInputs = this.pendingInputs.filter((q) => !q.id.startsWith('echo:'));
    if (echoes !== this.pendingInputs.length) this.emit({ type: 'live' });
    if (reset) {
      const text = `The session was reset (/new): new session id ${sessionId}${previous ? ` (was ${previous})` : ''}, a new transcript for this key.`;
      if (this.noticed.has(`sid:${sessionId}`)) return;
      this.noticed.add(`sid:${sessionId}`);
      this.appendEntries([
        {
          key: `lw:sid:${sessionId}:${++this.noticeSeq}`,
          kind: 'separator',
          role: 'system',
          text,
          timestamp: this.now(),
          openclawKind: 'reset',
        },
      ]);
      this.recordNotice(
        this.reconnecting
          ? 'The session was reset (/new) while Lanewatch was disconnected (new session id); the separator marks where.'
          : `The session was reset (/new) at ${clock(this.now())} UTC (new session id); the separator marks where.`,
      );
      return;
    }
    const text = `New session id ${sessionId}${previous ? ` (was ${previous})` : ''}: the gateway started a new transcript for this key.`;
    this.addNotice('separator', `sid:${sessionId}`, text);
    this.recordNotice(
      this.reconnecting
        ? `The session was replaced by a new one (new session id) while Lanewatch was disconnected.`
        : `The session was replaced by a new one (new session id).`,
    );
  }

  private setSession(session: TranscriptStatus['session'], text?: string): void {
    if (this.state.session === session && this.state.sessionText === text) return;
    this.state.session = session;
    this.state.sessionText = text;
    this.emit({ type: 'status' });
  }

  private markDeleted(text: string): void {
    this.setSession('deleted', text);
    this.recordNotice(text);
    this.addNotice('notice', `deleted:${this.noticeSeq}`, text);
    this.run = undefined;
    this.pendingInputs = [];
    this.pendingMore = 0;
    this.notRunInputs = [];
    this.deltaCursor = undefined;
    this.emit({ type: 'live' });
  }

  // ------------------------------------------------------------------------------------------------ live

  private matches(key: unknown): boolean {
    return key === this.sessionKey || key === this.canonicalKey;
  }

  /** One session.message payload (live, or replayed from a chat.history delta). */
  private applyPayload(p: SessionMessagePayloadView): void {
    if (p.message === undefined) return;
    const id = str(p.messageId) ?? idOf(p.message);
    if (!id && this.legacy() && str(rec(p.message).role) === 'user') {
      this.addEcho(p.message);
      return;
    }
    if (id && this.keys.has(id)) return;
    const sid = str(p.sessionId);
    if (sid && this.state.sessionId && sid !== this.state.sessionId) this.sessionChanged(sid);
    else if (sid) this.state.sessionId = sid;
    const entry = this.normalize(p.message, id, num(p.messageSeq));
    if (this.keys.has(entry.key)) return;
    if (this.state.session === 'deleted' || this.state.session === 'missing' || this.state.session === 'unknown')
      this.setSession('ok');
    this.appendEntries([entry]);
    let live = false;
    if (id) {
      // A queued input that was taken up becomes a user message with the pending item's id.
      const before = this.pendingInputs.length;
      this.pendingInputs = this.pendingInputs.filter((q) => q.id !== id && `pending:${q.id}` !== id);
      live = before !== this.pendingInputs.length;
    }
    if (entry.role === 'assistant' && this.run && (!entry.runId || entry.runId === this.run.runId)) {
      // Its streamed text is in the transcript now; later deltas that repeat it are not shown twice.
      this.run.suppress = textOfMessage(p.message) ?? entry.text;
      this.run.text = '';
      live = true;
    }
    if (live) this.emit({ type: 'live' });
  }

  private onSessionMessage(frame: EventFrame): void {
    const p = rec(frame.payload) as SessionMessagePayloadView;
    if (!this.matches(p.sessionKey) || !this.state.loaded) return;
    this.applyPayload(p);
  }

  /** Runs that ended: late deltas and status events for them (the gateway sends a last `chat delta` after the lifecycle end) must not revive them. */
  private readonly endedRuns = new Set<string>();

  private ensureRun(runId: string, startedAt?: number): InFlightRun & { suppress?: string } {
    if (this.run?.runId !== runId) this.run = { runId, startedAt: startedAt ?? this.now(), text: '', source: 'events' };
    this.run.lastEventAt = this.now();
    if (this.state.runUnverified) this.setRunUnverified(undefined); // a run event is the verification
    return this.run;
  }

  private setStreamText(runId: string, text: string | undefined): void {
    if (text === undefined || this.endedRuns.has(runId)) return;
    const run = this.ensureRun(runId);
    let t = text;
    if (run.suppress !== undefined) {
      if (t === run.suppress || run.suppress.startsWith(t)) t = '';
      else if (t.startsWith(run.suppress)) t = t.slice(run.suppress.length).replace(/^\s+/, '');
    }
    run.text = clip(cleanText(t), MAX_STREAM_CHARS).text;
    this.emit({ type: 'live' });
  }

  private endRun(runId: string | undefined): void {
    if (!runId) return;
    this.endedRuns.add(runId);
    if (this.endedRuns.size > 200) this.endedRuns.delete(this.endedRuns.values().next().value as string);
    if (this.run?.runId === runId) {
      this.run = undefined;
      this.emit({ type: 'live' });
    }
  }

  private runLabel(runId: string): string {
    const queued = this.pendingInputs.some((q) => q.runId === runId);
    return `${queued ? 'Queued input' : 'Run'} ${cleanText(runId).slice(0, 80)}`;
  }

  /** Run events of this session, decoded once (lanes/runEvent.ts) as the lane status decodes them. */
  private onRunEvent(frame: EventFrame): void {
    const ev = decodeRunEvent(frame);
    if (!ev || !this.matches(ev.sessionKey) || !this.state.loaded) return;
    const runId = ev.runId;
    switch (ev.kind) {
      case 'start': {
        this.endedRuns.delete(runId);
        const run = this.ensureRun(runId, ev.startedAt);
        run.phase = 'running';
        if (ev.startedAt) run.startedAt = ev.startedAt;
        this.emit({ type: 'live' });
        return;
      }
      case 'end':
        if (ev.outcome === 'aborted')
          this.addNotice(
            'notice',
            `aborted:${runId}`,
            `${this.runLabel(runId)} was aborted${ev.stopReason ? ` (${cleanText(ev.stopReason).slice(0, 80)})` : ''}.`,
            'aborted',
          );
        else if (ev.outcome === 'error')
          this.addNotice(
            'notice',
            `error:${runId}`,
            `${this.runLabel(runId)} failed: ${clip(cleanText(ev.detail ?? (ev.source === 'chat' ? 'the run failed' : 'error')), 4_000).text}`,
            'error',
          );
        this.endRun(runId);
        this.scheduleRefresh();
        return;
      case 'queued-ack':
        // The gateway took an input up as queued: only the pending list changed.
        this.endRun(runId);
        this.scheduleRefresh();
        return;
      case 'output':
        this.setStreamText(
          runId,
          ev.source === 'agent'
            ? ev.text
            : (textOfMessage(ev.message) ?? (this.run?.runId === runId ? this.run.text : '') + (ev.deltaText ?? '')),
        );
        return;
      case 'phase':
        if (ev.stream === 'lifecycle') {
          if (this.run?.runId === runId && ev.phase) {
            this.run.phase = ev.phase;
            this.run.lastEventAt = this.now();
            this.emit({ type: 'live' });
          }
          return;
        }
        if (this.endedRuns.has(runId)) return;
        this.ensureRun(runId).phase =
          ev.stream === 'run_status' && ev.phase === 'retrying' && ev.retryAttempt !== undefined
            ? `retrying ${String(ev.retryAttempt)}/${String(ev.maxRetries ?? '?')}`
            : ev.phase;
        this.emit({ type: 'live' });
        return;
      case 'activity':
        if (ev.source === 'agent' && this.run?.runId === runId) this.run.lastEventAt = this.now();
        return;
    }
  }

  private onSessionsChanged(frame: EventFrame): void {
    const p = rec(frame.payload);
    if (!this.matches(p.sessionKey) || !this.state.loaded) return;
    // 2026.9.6 sends reason "delete" (after sessions.delete); "deleted" is accepted too. Confirmed by describe.
    if (p.reason === 'delete' || p.reason === 'deleted' || p.deleted === true) {
      void this.confirmDeleted();
      return;
    }
    if (p.reason === 'new' || p.reason === 'reset') this.resetReasonAt = this.now();
    if (this.state.session === 'deleted') this.setSession('ok');
    this.scheduleRefresh();
  }

  /**
   * Whether the gateway knows the session, and its canonical key: sessions.describe where it exists; elsewhere
   * (protocol 3) the `sessions.list` search by key. undefined: this gateway cannot say. A key that is not canonical
   * (`agent:<id>:…`) is not looked up in the list, where it could only be missed and wrongly called deleted.
   */
  private async findSession(): Promise<{ exists: boolean; key?: string } | undefined> {
    if (this.supports('sessions.describe')) {
      const described = await this.opts.api.sessionsDescribe({ key: this.sessionKey, ...this.agentParam() });
      return described.session
        ? { exists: true, ...(typeof described.session.key === 'string' ? { key: described.session.key } : {}) }
        : { exists: false };
    }
    if (!this.supports('sessions.list') || !/^agent:[^:]+:./.test(this.sessionKey)) return undefined;
    try {
      return { exists: !!(await findSessionRow(this.opts.api, this.sessionKey)) };
    } catch (err) {
      // The lookup only adds "deleted"/"missing"; the transcript itself can still load.
      this.log(
        'warn',
        `transcript ${this.sessionKey}: looking the session up in sessions.list: ${(err as Error).message}`,
      );
      return undefined;
    }
  }

  private async confirmDeleted(): Promise<void> {
    try {
      if ((await this.findSession())?.exists) {
        this.scheduleRefresh();
        return;
      }
    } catch (err) {
      this.log(
        'debug',
        `transcript ${this.sessionKey}: looking the session up after a delete event: ${(err as Error).message}`,
      );
    }
    if (this.state.session !== 'deleted') this.markDeleted('The session was deleted on the gateway.');
  }

  /**
   * While a run is in flight or inputs are queued, the gateway pushes no event for every change of the queue (an
   * input queued by another client), so it is re-read every `busyPollMs` through the cheap delta cursor.
   */
  private armBusyPoll(): void {
    const busy = !!this.run || this.pendingInputs.length > 0;
    if (!busy || this.busyTimer || this.disposed || !this.state.loaded) return;
    this.busyTimer = setTimeout(() => {
      this.busyTimer = undefined;
      if (this.connection.isConnected() && (this.run || this.pendingInputs.length)) void this.sync('refresh');
    }, this.opts.busyPollMs);
  }

  private retryWhenAvailable(mode: 'initial' | 'reconnect' | 'refresh'): void {
    if (this.unavailableTimer || this.disposed) return;
    this.unavailableDelayMs = Math.min(Math.max(1_000, this.unavailableDelayMs * 2), 10_000);
    this.unavailableTimer = setTimeout(() => {
      this.unavailableTimer = undefined;
      if (!this.connection.isConnected()) return; // the next connect loads anyway
      if (mode === 'reconnect') this.reconnecting = true; // what the catch-up finds still happened while disconnected
      void this.sync(this.state.loaded ? (mode === 'refresh' ? 'refresh' : 'reconnect') : 'initial');
    }, this.unavailableDelayMs);
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer || this.disposed) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (this.connection.isConnected() && this.state.loaded) void this.sync('refresh');
    }, this.opts.refreshDelayMs);
  }

  /** The gateway's view of the run and queue at `requestedAt`; events newer than that win. */
  private applyLive(
    inFlight: ChatHistoryResultView['inFlightRun'],
    pending: ChatHistoryResultView['pendingInputs'],
    requestedAt: number,
  ): void {
    const read = readPendingInputs(pending);
    if (read.value) {
      const view = (q: (typeof read.value.items)[number]): PendingInput => ({
        id: cleanText(String(q.id)).slice(0, 200),
        state: cleanText(String(q.state ?? WAITING_PENDING_STATE)).slice(0, 40),
        text: pendingInputText(q.message),
        ...(num(q.acceptedAt) ? { acceptedAt: num(q.acceptedAt) } : {}),
        ...(str(q.runId) ? { runId: String(q.runId) } : {}),
      });
      this.pendingInputs = read.value.items.filter(isWaitingPendingInput).slice(0, 200).map(view);
      this.notRunInputs = read.value.items
        .filter((q) => !isWaitingPendingInput(q))
        .slice(0, 200)
        .map(view);
      this.pendingMore = read.value.unlisted;
      if (!this.legacy()) this.opts.evidence?.notePendingInputs?.(this.canonicalKey, queuedCount(read.value));
    }
    if (this.legacy()) {
      this.applyEvidence();
      this.expireEchoes();
      return;
    }
    const queuedRunIds = new Set(this.pendingInputs.map((q) => q.runId).filter((id): id is string => !!id));
    const newerEvents = !!this.run && (this.run.lastEventAt ?? 0) > requestedAt;
    if (inFlight?.runId && this.endedRuns.has(String(inFlight.runId))) {
      // Answered before the end event of that run reached us: the events are newer.
    } else if (inFlight?.runId) {
      const reported = {
        runId: String(inFlight.runId),
        startedAt: num(inFlight.startedAt),
        text: clip(cleanText(str(inFlight.text) ?? ''), MAX_STREAM_CHARS).text,
      };
      const events = Array.isArray(inFlight.events) ? inFlight.events.map(rec) : [];
      const lastPhase = [...events]
        .reverse()
        .map((e) => str(rec(e.data).phase))
        .find((x) => !!x);
      if (this.run?.runId === reported.runId) {
        if (reported.startedAt) this.run.startedAt = reported.startedAt;
        if (!this.run.text && reported.text && this.run.suppress === undefined) this.run.text = reported.text;
        if (!this.run.phase && lastPhase) this.run.phase = lastPhase;
      } else if (this.run && !queuedRunIds.has(this.run.runId) && queuedRunIds.has(reported.runId)) {
        // 2026.9.6 sometimes names a *queued* input's run id as inFlightRun while another run holds the lane
        // (seen in the hung-run capture and in test/gateway): keep the run that is really executing.
      } else if (!this.run && queuedRunIds.has(reported.runId)) {
        // The same quirk when the panel opens late: the run holding the lane is not the one named. The Gateways
        // view knows it when its connection saw that run start; otherwise the panel says the id is unknown.
        this.run = this.laneHolder(queuedRunIds);
      } else if (!newerEvents) {
        this.run = { ...reported, source: 'history', ...(lastPhase ? { phase: lastPhase } : {}) };
      }
    } else if (this.run && !newerEvents) {
      this.run = undefined;
    }
  }

  /** The run that holds the lane when chat.history named a queued one: from the watcher's evidence, or unnamed. */
  private laneHolder(queuedRunIds: Set<string>): InFlightRun {
    const ev = this.opts.evidence?.read(this.canonicalKey);
    const started = ev?.live === true && ev.startedAt ? { startedAt: ev.startedAt } : {};
    if (ev?.live === true && ev.runId && !queuedRunIds.has(ev.runId))
      return { runId: ev.runId, ...started, text: '', source: 'watcher' };
    return { runId: UNNAMED_RUN, ...started, text: '', source: 'history' };
  }

  /**
   * Protocol 3: a run this socket saw no event of, but the fleet watcher did (it was connected when the run started).
   * Events seen here win; a run whose end was seen here is not revived. Returns true when the run changed.
   */
  private applyEvidence(): boolean {
    const source = this.opts.evidence;
    if (!source || !this.legacy()) return false;
    const ev =
      source.read(this.canonicalKey) ??
      (this.canonicalKey !== this.sessionKey ? source.read(this.sessionKey) : undefined);
    this.setRunUnverified(ev);
    if (ev?.live === true && ev.runId && !this.endedRuns.has(ev.runId)) {
      if (this.run) return false;
      this.run = {
        runId: ev.runId,
        ...(ev.startedAt ? { startedAt: ev.startedAt } : {}),
        text: '',
        source: 'watcher',
        phase: laneWords(ev.lane),
      };
      return true;
    }
    if (ev?.live === false && this.run?.source === 'watcher') {
      this.run = undefined;
      return true;
    }
    return false;
  }

  /**
   * Protocol 3, connected after a run began: the row says running and nothing seen can confirm or deny it. The panel
   * says so, as the tree does ("running (unverified)"), rather than showing a run in flight or an idle session.
   */
  private setRunUnverified(ev: RunEvidence | undefined): void {
    const text =
      ev && ev.live === undefined && !this.run && ev.lane.state === 'running'
        ? `The session's row says "running", but Lanewatch connected after that run began and has seen no event of it, so whether a run is in flight cannot be verified: ${this.versionName()} keeps "running" in rows after runs end${ev.rule ? ` (${ev.rule})` : ''}.`
        : undefined;
    if (text === this.state.runUnverified) return;
    if (text) this.state.runUnverified = text;
    else delete this.state.runUnverified;
    this.emit({ type: 'status' });
  }

  /** Protocol 3 echoes an accepted user input without a message id before it is written (at once, or after the run ahead of it). */
  private addEcho(message: unknown): void {
    const text = clip(cleanText(textOfMessage(message) ?? ''), 4_000).text;
    if (!text) return;
    this.pendingInputs = [
      ...this.pendingInputs,
      { id: `echo:${++this.noticeSeq}`, state: this.run ? 'queued' : 'accepted', text, acceptedAt: this.now() },
    ].slice(-200);
    this.emit({ type: 'live' });
  }

  /**
   * An echo never written (4.26 drops a /new it does not act on; an input cancelled elsewhere) would stay "accepted"
   * forever: with no run in flight for ECHO_EXPIRY_MS it is dropped (the re-read while inputs are pending checks).
   */
  private expireEchoes(): void {
    if (this.run) return;
    const before = this.pendingInputs.length;
    const cutoff = this.now() - ECHO_EXPIRY_MS;
    this.pendingInputs = this.pendingInputs.filter((q) => !q.id.startsWith('echo:') || (q.acceptedAt ?? 0) > cutoff);
    if (before !== this.pendingInputs.length)
      this.log(
        'debug',
        `transcript ${this.sessionKey}: dropped ${before - this.pendingInputs.length} input echo(es) never written`,
      );
  }

  /** The written user message of an echoed input replaces it. */
  private dropEchoes(entries: TranscriptEntry[]): void {
    if (!this.pendingInputs.some((q) => q.id.startsWith('echo:'))) return;
    let changed = false;
    for (const e of entries) {
      if (e.role !== 'user' || e.kind !== 'message') continue;
      const text = e.text.trim();
      const i = this.pendingInputs.findIndex(
        (q) => q.id.startsWith('echo:') && (text === q.text.trim() || text.endsWith(q.text.trim())),
      );
      if (i >= 0) {
        this.pendingInputs = this.pendingInputs.filter((_, j) => j !== i);
        changed = true;
      }
    }
    if (changed) this.emit({ type: 'live' });
  }

  private onConnectionState(): boolean {
    const s = this.connection.snapshot();
    const text =
      s.state === 'connected'
        ? undefined
        : s.problem
          ? `${s.problem.summary}${s.nextRetryAt ? ' (reconnecting)' : ''}`
          : undefined;
    if (this.state.connection === s.state && this.state.connectionText === text) return false;
    this.state.connection = s.state;
    this.state.connectionText = text;
    return true;
  }

  // ------------------------------------------------------------------------------------------------ export

  /** The loaded transcript as Markdown. Message text goes into fenced blocks, so nothing in it becomes markup. */
  toMarkdown(header: { title?: string; source?: string; exportedAt?: number } = {}): string {
    const out: string[] = [];
    out.push(`# ${mdInline(header.title ?? `Transcript of ${this.sessionKey}`)}`, '');
    const s = this.state;
    const facts = [
      header.source ? `Gateway: ${mdInline(header.source)}` : undefined,
      `Session: ${mdInline(this.sessionKey)}${s.sessionId ? ` (session id ${mdInline(s.sessionId)})` : ''}`,
      `Exported ${new Date(header.exportedAt ?? this.now()).toISOString()} by Lanewatch: ${this.list.length} entries loaded${s.hasOlder ? '; older messages were not loaded' : s.olderStop === 'cap' || s.dropped ? `; older messages not loaded (memory bound${s.dropped ? `, ${s.dropped} dropped` : ''})` : ''}.`,
    ].filter(Boolean);
    out.push(...facts.map((f) => `${f}  `), '');
    for (const e of this.list) out.push(...entryMarkdown(e), '');
    const run = this.run;
    if (run)
      out.push(
        `## In flight: run ${mdInline(run.runId)}${run.startedAt ? ` (started ${new Date(run.startedAt).toISOString()})` : ''}`,
        '',
        ...fenced(run.text || '(no output yet)'),
        '',
      );
    const inputs = (title: string, list: readonly PendingInput[]) => {
      out.push(title, '');
      for (const q of list)
        out.push(
          `- ${q.acceptedAt ? `${new Date(q.acceptedAt).toISOString()} ` : ''}${mdInline(q.state)}:`,
          '',
          ...fenced(q.text),
          '',
        );
    };
    if (this.pendingInputs.length)
      inputs(`## Queued inputs (${this.pendingInputs.length + this.pendingMore})`, this.pendingInputs);
    if (this.notRunInputs.length)
      inputs(`## Inputs the gateway did not run (${this.notRunInputs.length})`, this.notRunInputs);
    return out.join('\n');
  }

  /** Plain text of one entry, for "copy message". */
  entryText(key: string): string | undefined {
    const e = this.entry(key);
    return e ? entryPlainText(e) : undefined;
  }

  // ------------------------------------------------------------------------------------------------ plumbing

  private emit(change: TranscriptChange): void {
    if (this.disposed) return;
    if (change.type === 'live') this.armBusyPoll();
    this.changes.fire(change);
  }
  private log(level: LogLevel, message: string): void {
    this.opts.log?.(level, message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.busyTimer);
    clearTimeout(this.unavailableTimer);
    for (const s of this.subs.splice(0)) s.dispose();
    this.changes.clear();
    if (this.connection.isConnected() && this.supports('sessions.messages.unsubscribe')) {
      this.opts.api.sessionsMessagesUnsubscribe({ key: this.sessionKey, ...this.agentParam() }).catch(() => undefined);
    }
  }
}

// ------------------------------------------------------------------------------------------------ text forms

export function roleLabel(e: TranscriptEntry): string {
  if (e.kind === 'separator') return e.openclawKind === 'reset' ? 'Session reset (/new)' : 'Session changed';
  if (e.kind === 'notice') return e.status === 'aborted' ? 'Aborted' : e.status === 'error' ? 'Error' : 'Lanewatch';
  switch (e.role) {
    case 'user':
      return 'User';
    case 'assistant':
      return 'Assistant';
    case 'system':
      return e.openclawKind === 'compaction' ? 'Compaction' : 'System';
    case 'tool':
      return 'Tool result';
    default:
      return `Role "${e.rawRole ?? 'unknown'}"`;
  }
}

export function usageText(u: TranscriptEntry['usage']): string | undefined {
  if (!u) return undefined;
  const parts: string[] = [];
  if (u.input !== undefined) parts.push(`in ${u.input.toLocaleString('en-US')}`);
  if (u.output !== undefined) parts.push(`out ${u.output.toLocaleString('en-US')}`);
  if (u.cacheRead) parts.push(`cache ${u.cacheRead.toLocaleString('en-US')}`);
  if (u.total !== undefined) parts.push(`${u.total.toLocaleString('en-US')} tokens`);
  if (u.costUsd) parts.push(`$${u.costUsd.toFixed(4)}`);
  return parts.length ? parts.join(' · ') : undefined;
}

export function entryPlainText(e: TranscriptEntry): string {
  const parts = [e.text];
  if (e.statusText) parts.push(e.statusText);
  for (const t of e.tools ?? [])
    parts.push(`${t.kind === 'call' ? 'Tool call' : 'Tool result'}${t.name ? ` ${t.name}` : ''}:\n${t.text}`);
  return parts.filter((p) => p).join('\n\n');
}

/** Escapes text for a Markdown line (headings, list items): no markup, no raw HTML, no line breaks. */
export function mdInline(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()<>#!|~&]/g, (c) => `\\${c}`);
}

/** A fenced block that no backtick run inside the text can close. */
export function fenced(text: string, info = 'text'): string[] {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${info}`, text, fence];
}

function entryMarkdown(e: TranscriptEntry): string[] {
  const when = e.timestamp ? ` · ${new Date(e.timestamp).toISOString()}` : '';
  if (e.kind === 'separator')
    return [
      '---',
      '',
      `**${mdInline(roleLabel(e))}**${when}${e.openclawKind === 'reset' ? '' : `: ${mdInline(e.text)}`}`,
      '',
      '---',
    ];
  if (e.kind === 'notice') return [`> **${mdInline(roleLabel(e))}**${when}: ${mdInline(e.text)}`];
  const out = [`### ${mdInline(roleLabel(e))}${when}`, ''];
  const meta = [
    e.model ? `model ${mdInline(e.model)}` : undefined,
    usageText(e.usage),
    e.status ? `**${e.status}**` : undefined,
    e.clipped ? `${e.clipped.toLocaleString('en-US')} characters not loaded` : undefined,
    e.truncatedByGateway ? 'shortened by the gateway' : undefined,
  ].filter(Boolean);
  if (meta.length) out.push(`*${meta.join(' · ')}*`, '');
  if (e.text) out.push(...fenced(e.text), '');
  if (e.statusText) out.push(...fenced(e.statusText), '');
  if (e.thinking) out.push('Thinking:', '', ...fenced(e.thinking), '');
  for (const t of e.tools ?? [])
    out.push(
      `${t.kind === 'call' ? 'Tool call' : t.isError ? 'Tool result (error)' : 'Tool result'}${t.name ? ` \`${t.name.replace(/[`\r\n]/g, '')}\`` : ''}:`,
      '',
      ...fenced(t.text, t.kind === 'call' ? 'json' : 'text'),
      '',
    );
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}
