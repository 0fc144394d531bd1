// Keeps one gateway's state live for the fleet view: connection, agents, session rows, live runs from
// events, the gateway's diagnostic log lines and its lane table; derives each session's lane status.
// The connection is read-only (operator.read): watching never needs more, and commands that do open their
// own short-lived connection with the scope they need (least privilege, like the OpenClaw CLI).
//
// Live where the gateway pushes (sessions.changed, agent, chat); logs.tail and diagnostics.lanes have no push
// form, so they are read with a cursor on a timer, and only while connected.
import { GatewayApi, GatewayConnection, type ConnectionSnapshot, type DeviceIdentityStore, type Disposable, type EventFrame, type GatewayConnectionOptions, type HelloSummary, type LaneView, type LogLevel, type SessionRowView } from '../gateway';
import { Emitter } from '../gateway/emitter';
import type { GatewayConfig } from './gatewaySettings';
import { deriveLaneStatus, type DiagnosticSighting, type LaneStatus, type LaneWaitSighting } from './laneStatus';
import { numberField, parseLogLine, type ParsedLogLine } from './logLine';
import { RunTracker } from './runTracker';
import { checkAgentsList, checkLanes, checkLogsTail, checkPendingInputs, checkSessionKey, checkSessionRow, checkSessionsPage } from './wireGuards';

export interface AgentView { id: string; isDefault: boolean }

export type WatcherChange = { gateway: string; what: 'connection' | 'agents' | 'sessions' | 'lanes' | 'logs'; keys?: string[] };

export interface WatcherOptions {
  config: GatewayConfig;
  credentials: () => Promise<{ token?: string }>;
  identityStore: DeviceIdentityStore;
  clientVersion: string;
  requestTimeoutMs: number;
  log: (level: LogLevel, message: string) => void;
  /** Rows fetched per sessions.list page on gateways that page (2026.9.x). */
  pageSize?: number;
  /** Upper bound of rows kept per gateway (bounded memory). */
  maxSessions?: number;
  /** How often logs.tail and diagnostics.lanes are read while connected (ms). */
  pollIntervalMs?: number;
  /** Diagnostic log lines kept for the UI (ring buffer). */
  maxDiagnosticLines?: number;
  /** Connection timeouts, liveness probe and backoff (defaults: GatewayConnection's). */
  connection?: Pick<GatewayConnectionOptions, 'challengeTimeoutMs' | 'helloTimeoutMs' | 'pingIntervalMs' | 'minTickWatchMs' | 'backoff' | 'slowRetryMs'>;
  now?: () => number;
}

/** Unusable values named one by one per answer; the rest of that answer's problems are counted in one line. */
const MAX_PROBLEMS_PER_ANSWER = 30;
/** At most this many warnings about unusable gateway data per minute and gateway; the rest are counted. */
const MAX_DATA_WARNINGS_PER_MINUTE = 200;

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export class GatewayWatcher {
  readonly connection: GatewayConnection;
  readonly api: GatewayApi;
  private agents: AgentView[] = [];
  private readonly sessions = new Map<string, SessionRowView>();
  private readonly runs = new RunTracker();
  private readonly diagnostics = new Map<string, DiagnosticSighting>();
  private readonly laneWaits = new Map<string, LaneWaitSighting>();
  private readonly pendingInputs = new Map<string, number>();
  private readonly recentDiagnostics: ParsedLogLine[] = [];
  private lanes?: { lanes: LaneView[]; dynamic: Record<string, number | undefined> | null; at: number };
  private logCursor?: number;
  private logFile?: string;
  private syncError?: string;
  private syncedBootId?: string;
  private syncing?: Promise<void>;
  private syncsDone = 0;
  private pollTimer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private readonly historyInFlight = new Set<string>();
  private readonly subscriptions: Disposable[] = [];
  private readonly changes = new Emitter<WatcherChange>();
  readonly onDidChange = this.changes.on.bind(this.changes);
  private readonly now: () => number;
  private warnWindow = { start: 0, count: 0, suppressed: 0 };
  private capWarned = false;

  constructor(private readonly opts: WatcherOptions) {
    this.now = opts.now ?? Date.now;
    this.connection = new GatewayConnection({
      url: opts.config.url, credentials: opts.credentials, scopes: ['operator.read'], identityStore: opts.identityStore,
      identityKey: `${opts.config.name}|${opts.config.url}`, clientVersion: opts.clientVersion, clientDisplayName: 'Lanewatch',
      requestTimeoutMs: opts.requestTimeoutMs, log: (level, m) => opts.log(level, `[${opts.config.name}] ${m}`), ...opts.connection,
    });
    this.api = new GatewayApi(this.connection);
    this.subscriptions.push(
      this.connection.onDidChangeState((s) => {
        if (s.state !== 'connected') { this.stopPolling(); this.syncedBootId = undefined; }
        this.changes.fire({ gateway: this.name, what: 'connection' });
      }),
      this.connection.onDidConnect((hello) => { this.runs.reset(); void this.resync(hello); this.startPolling(); }),
      this.connection.onSequenceGap(() => { const h = this.connection.helloSummary; if (h) void this.resync(h); }),
      this.connection.onEvent('sessions.changed', (f) => this.onSessionsChanged(f)),
      this.connection.onEvent('agent', (f) => this.onRunEvent(f)),
      this.connection.onEvent('chat', (f) => this.onRunEvent(f)),
    );
  }

  get name(): string { return this.opts.config.name; }
  get config(): GatewayConfig { return this.opts.config; }
  start(): void { this.connection.start(); }
  snapshot(): ConnectionSnapshot { return this.connection.snapshot(); }
  agentList(): readonly AgentView[] { return this.agents; }
  sessionRows(): SessionRowView[] { return [...this.sessions.values()]; }
  session(key: string): SessionRowView | undefined { return this.sessions.get(key); }
  lastSyncError(): string | undefined { return this.syncError; }
  /** A resync (agents + every session row) is being read right now. */
  isSyncing(): boolean { return this.syncing !== undefined; }
  /** Resyncs finished (ok or failed) since this watcher started: tells a fresh outcome from a previous one. */
  completedSyncs(): number { return this.syncsDone; }
  /** True once agents and every session row were read on the current connection. */
  isSynced(): boolean { return this.connection.isConnected() && this.syncedBootId !== undefined && !this.syncError && !this.syncing; }
  laneTable(): { lanes: LaneView[]; dynamic: Record<string, number | undefined> | null; at: number } | undefined { return this.lanes; }
  diagnosticLines(): readonly ParsedLogLine[] { return this.recentDiagnostics; }
  logFilePath(): string | undefined { return this.logFile; }

  /** The derived lane status of one session, with the facts behind it. */
  laneStatus(key: string): LaneStatus {
    const snap = this.connection.snapshot();
    const hello = snap.hello;
    return deriveLaneStatus({
      now: this.now(),
      connected: snap.state === 'connected' && !this.syncError,
      unavailableReason: snap.state !== 'connected' ? (snap.problem?.summary ?? `gateway ${snap.state}`) : this.syncError,
      protocol: hello?.protocol, serverVersion: hello?.serverVersion, connectedAt: snap.connectedAt,
      row: this.sessions.get(key),
      trackedRuns: this.runs.activeRuns(key), lastRunEnd: this.runs.lastEnded(key),
      pendingInputs: this.pendingInputs.get(key),
      diagnostic: this.diagnostics.get(key), laneWait: this.laneWaits.get(key),
    });
  }

  /** Re-reads everything after a (re)connect: events missed while down are not replayed by the gateway. */
  resync(hello: HelloSummary): Promise<void> {
    if (this.syncing) return this.syncing;
    // The change fires after `syncing` is cleared, so a listener that sees it finds isSynced() already true.
    this.syncing = this.doResync(hello).finally(() => { this.syncing = undefined; this.syncsDone++; this.changes.fire({ gateway: this.name, what: "sessions" }); });
    return this.syncing;
  }

  private async doResync(hello: HelloSummary): Promise<void> {
    try {
      const agents = this.accept(checkAgentsList(await this.api.agentsList()), 'agents.list');
      const defaultId = agents.defaultId ?? hello.sessionDefaults?.defaultAgentId;
      this.agents = agents.agents.map((a) => ({ id: a.id, isDefault: a.id === defaultId }));
      this.changes.fire({ gateway: this.name, what: 'agents' });
      if (hello.methods.has('sessions.subscribe')) await this.api.sessionsSubscribe({});
      const rows = await this.listAllSessions(hello);
      this.sessions.clear();
      this.pendingInputs.clear();
      this.capWarned = false;
      for (const row of rows) this.sessions.set(row.key, row);
      this.syncError = undefined;
      this.syncedBootId = hello.bootId ?? '';
      for (const row of rows) if (row.hasActiveRun === true || row.status === 'running') this.refreshPendingInputs(row.key);
    } catch (err) {
      this.syncError = (err as Error).message;
      this.opts.log('warn', `[${this.name}] resync failed: ${this.syncError}`);
    }
  }

  /** 2026.9.x pages (100 rows by default); older gateways return everything up to `limit` in one answer. */
  private async listAllSessions(hello: HelloSummary): Promise<SessionRowView[]> {
    const pageSize = this.opts.pageSize ?? 200;
    const max = this.opts.maxSessions ?? 5000;
    const rows = new Map<string, SessionRowView>();
    const add = (page: { sessions: SessionRowView[] }) => { for (const r of page.sessions) if (rows.size < max || rows.has(r.key)) rows.set(r.key, r); };
    if (hello.protocol < 4) { add(this.accept(checkSessionsPage(await this.api.sessionsList({ limit: max })), 'sessions.list')); return [...rows.values()]; }
    let offset = 0;
    // A gateway whose paging never ends (or goes backwards) is stopped by the row bound and a page bound.
    for (let pages = 0; pages <= Math.ceil(max / pageSize); pages++) {
      const page = this.accept(checkSessionsPage(await this.api.sessionsList({ limit: pageSize, offset })), 'sessions.list');
      add(page);
      if (!page.hasMore || page.sessions.length === 0 || rows.size >= max) break;
      const next = page.nextOffset ?? offset + page.sessions.length;
      if (next <= offset) { this.warnData(`sessions.list: nextOffset ${next} does not advance past ${offset}; stopped paging`); break; }
      offset = next;
    }
    return [...rows.values()];
  }

  /** The checked value, after logging what was dropped; throws (failing the resync with that reason) when nothing is usable. */
  private accept<T>(checked: { value?: T; problems: string[] }, what: string): T {
    this.warnProblems(checked.problems, what);
    if (checked.value === undefined) throw new Error(`unusable ${what} answer: ${checked.problems[0] ?? 'no value'}`);
    return checked.value;
  }

  private warnProblems(problems: readonly string[], what: string): void {
    for (const p of problems.slice(0, MAX_PROBLEMS_PER_ANSWER)) this.warnData(p);
    if (problems.length > MAX_PROBLEMS_PER_ANSWER) this.warnData(`${what}: ${problems.length - MAX_PROBLEMS_PER_ANSWER} more unusable value(s) in this answer`);
  }

  /** Logs a reason for dropped gateway data, rate-limited so a hostile gateway cannot flood the log. */
  private warnData(message: string): void {
    const now = this.now();
    const w = this.warnWindow;
    if (now - w.start >= 60_000) {
      if (w.suppressed) this.opts.log('warn', `[${this.name}] ${w.suppressed} more unusable value(s) from the gateway in the last minute (not logged one by one)`);
      this.warnWindow = { start: now, count: 0, suppressed: 0 };
    }
    if (this.warnWindow.count++ < MAX_DATA_WARNINGS_PER_MINUTE) this.opts.log('warn', `[${this.name}] ignored: ${message.slice(0, 300)}`);
    else this.warnWindow.suppressed++;
  }

  private onSessionsChanged(frame: EventFrame): void {
    const p = rec(frame.payload);
    const keyProblem = checkSessionKey(p.sessionKey);
    if (keyProblem) { this.warnData(`sessions.changed event: ${keyProblem.replace(/^key/, 'sessionKey')}`); return; }
    const key = p.sessionKey as string;
    // Phase events carry the full row in `session`; reason events carry it flattened at the top level.
    const raw = rec(p.session).key === key ? p.session : typeof p.sessionId === 'string' ? { ...p, key } : undefined;
    let row: SessionRowView | undefined;
    if (raw) {
      const checked = checkSessionRow(raw, 'sessions.changed');
      this.warnProblems(checked.problems, 'sessions.changed');
      row = checked.value;
    }
    if (p.reason === 'delete' || p.reason === 'deleted' || p.deleted === true) { this.sessions.delete(key); this.pendingInputs.delete(key); }
    else if (row) {
      if (!this.sessions.has(key) && this.sessions.size >= (this.opts.maxSessions ?? 5000)) {
        if (!this.capWarned) { this.capWarned = true; this.warnData(`sessions.changed: already ${this.sessions.size} sessions (the bound); new keys are not added until the next resync`); }
        return;
      }
      const merged = { ...(this.sessions.get(key) ?? {}), ...row };
      // activeRunIds is omitted (not emptied) while a run is active: do not keep a stale [] from an older row.
      if (!('activeRunIds' in row)) delete merged.activeRunIds;
      this.sessions.set(key, merged);
      if (merged.hasActiveRun === true || this.pendingInputs.has(key)) this.refreshPendingInputs(key);
    } else return;
    this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
  }

  private onRunEvent(frame: EventFrame): void {
    const key = this.runs.apply(frame, this.now());
    if (key) this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
  }

  /** Queued inputs behind a run; only for sessions with (possible) active work, one request per key at a time. */
  private refreshPendingInputs(key: string): void {
    const hello = this.connection.helloSummary;
    if (!hello || hello.protocol < 4 || this.historyInFlight.has(key) || this.historyInFlight.size >= 8) return;
    this.historyInFlight.add(key);
    this.api.chatHistory({ sessionKey: key, limit: 1 })
      .then((h) => {
        const checked = checkPendingInputs(h);
        this.warnProblems(checked.problems, 'chat.history');
        const n = checked.value;
        if (n === undefined || !this.sessions.has(key)) return;
        if (this.pendingInputs.get(key) === n) return;
        this.pendingInputs.set(key, n);
        this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
      })
      .catch((err: Error) => this.opts.log('debug', `[${this.name}] chat.history for ${key}: ${err.message}`))
      .finally(() => this.historyInFlight.delete(key));
  }

  // ---------------------------------------------------------------- logs and lanes (no push form: cursor reads)

  private startPolling(): void {
    this.stopPolling();
    const interval = this.opts.pollIntervalMs ?? 5_000;
    const tick = () => { void this.pollOnce().finally(() => { if (this.connection.isConnected()) this.pollTimer = setTimeout(tick, interval); }); };
    tick();
  }

  private stopPolling(): void { clearTimeout(this.pollTimer); this.pollTimer = undefined; }

  /** One read of logs.tail (from the cursor) and diagnostics.lanes; joins a read already in flight. */
  pollOnce(): Promise<void> {
    if (!this.connection.isConnected()) return Promise.resolve();
    this.polling ??= this.readLogsAndLanes().finally(() => { this.polling = undefined; });
    return this.polling;
  }

  private async readLogsAndLanes(): Promise<void> {
    try {
      const hello = this.connection.helloSummary;
      if (hello?.methods.has('logs.tail')) {
        const tail = this.accept(checkLogsTail(await this.api.logsTail({ ...(this.logCursor !== undefined ? { cursor: this.logCursor } : {}), limit: 1000, maxBytes: 512 * 1024 })), 'logs.tail');
        this.logCursor = tail.cursor;
        this.logFile = tail.file ?? this.logFile;
        const touched = this.ingestLogLines(tail.lines);
        if (touched.length) this.changes.fire({ gateway: this.name, what: 'sessions', keys: touched });
        if (tail.lines.length) this.changes.fire({ gateway: this.name, what: 'logs' });
      }
      if (hello?.methods.has('diagnostics.lanes')) {
        const lanes = this.accept(checkLanes(await this.api.diagnosticsLanes()), 'diagnostics.lanes');
        const before = JSON.stringify(this.lanes && { l: this.lanes.lanes, d: this.lanes.dynamic });
        this.lanes = { lanes: lanes.lanes, dynamic: lanes.dynamic, at: this.now() };
        if (JSON.stringify({ l: this.lanes.lanes, d: this.lanes.dynamic }) !== before) this.changes.fire({ gateway: this.name, what: 'lanes' });
      }
    } catch (err) {
      this.opts.log('debug', `[${this.name}] log/lane read failed: ${(err as Error).message}`);
    }
  }

  /** Records diagnostics per session key; returns the keys whose evidence changed. */
  ingestLogLines(lines: readonly string[]): string[] {
    const touched = new Set<string>();
    const max = this.opts.maxDiagnosticLines ?? 2_000;
    for (const raw of lines) {
      if (typeof raw !== 'string') continue;
      const line = parseLogLine(raw);
      if (!line.diagnostic) continue;
      this.recentDiagnostics.push(line);
      if (this.recentDiagnostics.length > max) this.recentDiagnostics.splice(0, this.recentDiagnostics.length - max);
      const key = line.sessionKey;
      if (!key) continue;
      const at = line.time ?? this.now();
      if (line.diagnostic === 'lane-wait') {
        this.laneWaits.set(key, { at, waitedMs: numberField(line.fields, 'waitedMs'), queueAhead: numberField(line.fields, 'queueAhead'), activeAhead: numberField(line.fields, 'activeAhead'), message: line.message });
        touched.add(key);
      } else if (line.diagnostic === 'long-running' || line.diagnostic === 'stalled' || line.diagnostic === 'stuck') {
        const prev = this.diagnostics.get(key);
        if (!prev || prev.at <= at) { this.diagnostics.set(key, { kind: line.diagnostic, at, message: line.message, fields: line.fields }); touched.add(key); }
      }
    }
    // Bounded: forget evidence about sessions the gateway no longer lists.
    if (this.diagnostics.size > (this.opts.maxSessions ?? 5000)) for (const k of this.diagnostics.keys()) if (!this.sessions.has(k)) this.diagnostics.delete(k);
    if (this.laneWaits.size > (this.opts.maxSessions ?? 5000)) for (const k of this.laneWaits.keys()) if (!this.sessions.has(k)) this.laneWaits.delete(k);
    return [...touched];
  }

  dispose(): void {
    this.stopPolling();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.connection.dispose();
    this.changes.clear();
  }
}
