// Keeps one gateway's state live for the fleet view: connection, agents, session rows, live runs from
// events, the gateway's diagnostic log lines and its lane table; derives each session's lane status.
// The connection is read-only (operator.read): watching never needs more, and commands that do open their
// own short-lived connection with the scope they need (least privilege, like the OpenClaw CLI).
//
// Live where the gateway pushes (sessions.changed, agent, chat); logs.tail and diagnostics.lanes have no push
// form, so they are read on a timer while connected. The log has one reader per gateway, `logs` (GatewayLogPoller):
// it feeds this model's diagnostics and every open log panel, which subscribe to it instead of reading on their own.
import {
  GatewayApi,
  GatewayConnection,
  type ConnectionSnapshot,
  type DeviceIdentityStore,
  type DiagnosticsStabilityResultView,
  type Disposable,
  type EventFrame,
  type GatewayConnectionOptions,
  type HelloSummary,
  type LaneView,
  type LogLevel,
  type LogsTailResultView,
  type SessionRowView,
} from '../gateway';
import { Emitter } from '../gateway/emitter';
import type { GatewayConfig } from '../config/gatewaySettings';
import {
  DIAGNOSTIC_FRESH_MS,
  MAX_WAIT_DEPTH,
  deriveLaneStatus,
  isBusyLane,
  type DiagnosticSighting,
  type GatewayRecoverySighting,
  type LaneStatus,
  type LaneWaitSighting,
  type TranscriptTail,
} from '../lanes/laneStatus';
import { numberField, parseLogLine, type ParsedLogLine } from '../logs/logLine';
import { GatewayLogPoller } from '../logs/logPoller';
import { gatewayLogFiles, type LogBatch } from '../logs/logSource';
import { RunTracker } from '../lanes/runTracker';
import {
  checkAgentsList,
  checkLanes,
  checkLogsTail,
  checkPendingInputs,
  checkSessionKey,
  checkSessionRow,
  checkSessionsPage,
} from './wireGuards';
import { runExpiryMs } from '../gateway/versionRules';
import type { RunEvidence, RunEvidenceSource } from '../lanes/runEvidence';
import { readSessions, type ListedPage, type PageRequest, type RowChange } from './sessionPaging';
import { SchedulerApi } from '../gateway/schedulerApi';
import { SchedulerReader } from './schedulerRead';
import { declaredParent } from './sessionFamily';
import { readGatewayPrometheus } from './gatewayPrometheus';
import {
  recorderRecoveries,
  summarizeGatewayRecoveries,
  type GatewayRecoverySummary,
  type RecorderRecovery,
} from './gatewayRecoverySummary';
import { summarizeLogProblems, type LogProblemSighting, type LogProblemsSummary } from './logProblemsSummary';

/** Known-failure lines kept per gateway: enough for ten minutes of a store that logs a slow lock a second. */
const MAX_LOG_PROBLEMS = 1_000;
import { GatewayRequestError } from '../gateway/requestError';
import {
  GatewayHealthPoller,
  latestLivenessWarning,
  readReadiness,
  type HealthThresholds,
  type HealthVerdict,
} from './gatewayHealth';

export interface AgentView {
  id: string;
  isDefault: boolean;
}

export interface LaneTable {
  lanes: LaneView[];
  dynamic: Record<string, number | undefined> | null;
  at: number;
  /** Where the table comes from; older gateways have no lane RPC. */
  source: 'diagnostics.lanes' | 'diagnostics.stability' | 'logs';
  /** What the source cannot tell (shown with the table). */
  note?: string;
}

/** How the last resync read the rows. */
export interface ListingStats {
  rows: number;
  totalCount?: number;
  pages: number;
  rereads: number;
  headPages: number;
  passes: number;
  truncated: boolean;
  ms: number;
}

export type WatcherChange = {
  gateway: string;
  /**
   * `health`: the process health verdict or its short words changed (not every sample: see watcher.health.onSample).
   * `scheduler`: the cron jobs or the task ledger were read again (watcher.scheduler).
   */
  what: 'connection' | 'agents' | 'sessions' | 'lanes' | 'logs' | 'health' | 'scheduler';
  keys?: string[];
};

export interface WatcherOptions {
  config: GatewayConfig;
  credentials: () => Promise<{ token?: string }>;
  identityStore: DeviceIdentityStore;
  clientVersion: string;
  requestTimeoutMs: number;
  log: (level: LogLevel, message: string) => void;
  /** Rows fetched per sessions.list page on gateways that page (2026.9.x). */
  pageSize?: number;
  /** sessions.list requests in flight at once while paging (default 1; one-shot readers use more). */
  pageParallel?: number;
  /** Upper bound of rows kept per gateway (bounded memory). */
  maxSessions?: number;
  /** How often logs.tail and diagnostics.lanes are read while connected (ms). */
  pollIntervalMs?: number;
  /** How often logs.tail is read while a log panel is subscribed (ms; default 2 s). */
  livePollIntervalMs?: number;
  /** Diagnostic log lines kept for the UI (ring buffer). */
  maxDiagnosticLines?: number;
  /** Connection timeouts, liveness probe and backoff (defaults: GatewayConnection's). */
  connection?: Pick<
    GatewayConnectionOptions,
    | 'challengeTimeoutMs'
    | 'helloTimeoutMs'
    | 'pingIntervalMs'
    | 'minTickWatchMs'
    | 'backoff'
    | 'slowRetryMs'
    | 'tlsFingerprint'
    | 'allowPlaintextRemote'
  >;
  /** Protocol 3: silence after which a tracked run counts as ended (default: by version, see versionRules). */
  runExpiryMs?: number;
  /**
   * A running run quiet this long reads "no progress" (the extension passes lanewatch.noProgressSeconds; read at each
   * use). Without it the signal is off: the CLI and library users see the gateway's own signals only.
   */
  noProgressMs?: () => number;
  /** Process health: Lanewatch's thresholds (defaults in gatewayHealth.ts) and how far back the history reaches. */
  health?: { thresholds?: Partial<HealthThresholds>; historyMs?: number; readinessTimeoutMs?: number };
  now?: () => number;
}

/** Bytes of the deepest log read (the poller's bound too). */
const LOG_MAX_BYTES = 512 * 1024;

/** A read in flight (since when). */
export interface PendingRead {
  what: 'logs.tail' | 'diagnostics.lanes' | 'diagnostics.stability' | 'chat.history';
  key?: string;
  since: number;
}
export interface FailedRead {
  what: PendingRead['what'];
  key?: string;
  at: number;
  message: string;
}
/** How far back the first log read reached: `complete` when it covers DIAGNOSTIC_FRESH_MS or the whole file. */
export interface LogCoverage {
  since?: number;
  bytes: number;
  complete: boolean;
}

/** What a one-shot reader had not read when it answered (see GatewayWatcher.noteUnread). */
export interface UnreadNote {
  at: number;
  pending: PendingRead[];
  failed: FailedRead[];
  logPartial?: LogCoverage;
  rowsBeyond?: { bound: number; totalCount?: number };
  /** The rows were still being read (the deadline passed first). */
  rowsPending?: boolean;
}

/** Unusable values named one by one per answer; the rest of that answer's problems are counted in one line. */
const MAX_PROBLEMS_PER_ANSWER = 30;
/** How far up a subagent's chain of parents a change of it re-arms their timers (the depth laneStatus walks down). */
const MAX_ANCESTORS_ARMED = MAX_WAIT_DEPTH;
/** At most this many warnings about unusable gateway data per minute and gateway; the rest are counted. */
const MAX_DATA_WARNINGS_PER_MINUTE = 200;

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export class GatewayWatcher {
  readonly connection: GatewayConnection;
  readonly api: GatewayApi;
  private agents: AgentView[] = [];
  private readonly sessions = new Map<string, SessionRowView>();
  /** When each row was first seen reporting an active run (only rows that do; see SessionEvidence.activeSince). */
  private readonly activeSince = new Map<string, number>();
  private readonly runs = new RunTracker();
  private readonly diagnostics = new Map<string, DiagnosticSighting>();
  private readonly laneWaits = new Map<string, LaneWaitSighting>();
  /** The gateway's own stuck-session recovery outcomes, per session (its `stuck session recovery outcome` lines). */
  private readonly gatewayRecoveries = new Map<string, GatewayRecoverySighting>();
  /** The stability recorder's recovery attempts (2026.9.x), read beside the health samples; the newest 200. */
  private recorderRecoveries?: RecorderRecovery[];
  private readonly pendingInputs = new Map<string, number>();
  private readonly transcriptTails = new Map<string, TranscriptTail>();
  private readonly recentDiagnostics: ParsedLogLine[] = [];
  /** Known failures its log reported (logs/knownProblems.ts), oldest first, at most MAX_LOG_PROBLEMS. */
  private readonly logProblems: LogProblemSighting[] = [];
  private lanes?: LaneTable;
  private stabilitySeq?: number;
  private gatewayStartedAt?: number;
  /** The gateway's log: one poller for this model and any open log panel. */
  readonly logs: GatewayLogPoller;
  /** The gateway process's health: read only while someone needs it (setHealthDemand). */
  readonly health: GatewayHealthPoller;
  /**
   * The gateway's cron jobs and task ledger: read when a view or a command asks (the tree's Cron jobs and Tasks nodes
   * when expanded), then again on each of the gateway's `cron` events; never on a timer of its own.
   */
  readonly scheduler: SchedulerReader;
  private shownHealth = '';
  private syncError?: string;
  private syncedBootId?: string;
  private syncing?: Promise<void>;
  private syncsDone = 0;
  private resyncTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private firstPoll?: Promise<void>;
  private readonly historyInFlight = new Set<string>();
  /** While a resync reads the rows: the sessions.changed events received, with arrival stamps. */
  private journal?: RowChange[];
  /** While a resync reads the rows: keys whose queue (or transcript tail) read started on this connection. */
  private syncReads?: Set<string>;
  /** Arrival order of pages and sessions.changed events. */
  private arrival = 0;
  private listing?: ListingStats;
  private readonly subscriptions: Disposable[] = [];
  private readonly changes = new Emitter<WatcherChange>();
  readonly onDidChange = this.changes.on.bind(this.changes);
  private readonly now: () => number;
  private warnWindow = { start: 0, count: 0, suppressed: 0 };
  private capWarned = false;

  constructor(private readonly opts: WatcherOptions) {
    this.now = opts.now ?? Date.now;
    this.connection = new GatewayConnection({
      url: opts.config.url,
      credentials: opts.credentials,
      scopes: ['operator.read'],
      identityStore: opts.identityStore,
      identityKey: `${opts.config.name}|${opts.config.url}`,
      clientVersion: opts.clientVersion,
      clientDisplayName: 'Lanewatch',
      requestTimeoutMs: opts.requestTimeoutMs,
      log: (level, m) => opts.log(level, `[${opts.config.name}] ${m}`),
      ...opts.connection,
    });
    this.api = new GatewayApi(this.connection);
    this.logs = new GatewayLogPoller({
      tail: (params, timeoutMs) => this.reading('logs.tail', undefined, () => this.logsTail(params, timeoutMs)),
      rpcUnavailable: () => {
        if (!this.connection.isConnected()) {
          const snap = this.connection.snapshot();
          return snap.problem?.summary ?? `gateway ${snap.state}`;
        }
        return this.connection.helloSummary?.methods.has('logs.tail') === false
          ? 'this gateway does not offer logs.tail'
          : undefined;
      },
      localFiles: gatewayLogFiles(opts.config, () => this.logs.lastRpcFile),
      intervalMs: opts.pollIntervalMs ?? 5_000,
      liveIntervalMs: opts.livePollIntervalMs,
      history: (h, last) => this.logBytesNeeded(h, h.askedBytes, last),
      now: this.now,
      log: (m) => opts.log('debug', `[${opts.config.name}] log: ${m}`),
    });
    this.logs.onLines((b) => this.onLogBatch(b));
    this.health = new GatewayHealthPoller({
      read: () => this.readVitals(),
      // /readyz over plain HTTP(S), no token; not where a pinned certificate guards the WebSocket (the probe does not pin).
      ...(opts.config.tlsFingerprint
        ? {}
        : { readiness: () => readReadiness(opts.config.url, opts.health?.readinessTimeoutMs ?? 3_000) }),
      liveness: async () => {
        const h = this.connection.helloSummary;
        // 2026.9.x records liveness warnings; 2026.4.x has the recorder but no event-loop monitor behind it.
        if (!h?.methods.has('diagnostics.stability') || !h.methods.has('system.info')) return undefined;
        // Beside it, the recorder's own recovery attempts (they name no session): the gateway-wide summary.
        const [snap] = await Promise.all([
          this.api.diagnosticsStability({ type: 'diagnostic.liveness.warning', limit: 5 }),
          this.api
            .diagnosticsStability({ type: 'session.recovery.completed', limit: 200 })
            .then((r) => (this.recorderRecoveries = recorderRecoveries((r as { events?: unknown }).events)))
            .catch(() => undefined),
        ]);
        return latestLivenessWarning((snap as { events?: unknown }).events);
      },
      connected: () => this.connection.isConnected(),
      // The gateway's own Prometheus endpoint (diagnostics-prometheus), when enabled: a fact, and memory where the
      // version's vitals have none. The token goes in a header only, after a pinned certificate has been shown.
      prometheus: async () =>
        readGatewayPrometheus(opts.config.url, {
          token: (await opts.credentials()).token,
          ...(opts.config.tlsFingerprint ? { tlsFingerprint: opts.config.tlsFingerprint } : {}),
        }),
      now: this.now,
      log: (m) => opts.log('debug', `[${opts.config.name}] health: ${m}`),
      ...(opts.health?.historyMs !== undefined ? { historyMs: opts.health.historyMs } : {}),
      ...(opts.health?.thresholds ? { thresholds: opts.health.thresholds } : {}),
    });
    this.health.onDidChange(() => this.noteHealth());
    this.scheduler = new SchedulerReader({
      api: () => (this.connection.isConnected() ? new SchedulerApi(this.connection) : undefined),
      logLines: () => this.diagnosticLines(),
      now: this.now,
    });
    this.scheduler.onDidChange(() => this.changes.fire({ gateway: this.name, what: 'scheduler' }));
    // Silence changes a status by itself ("no progress" once a run has been quiet long enough): say so when it does.
    this.subscriptions.push(
      this.changes.on((c) => {
        if (c.what === 'sessions') this.armNoProgress(c.keys);
      }),
    );
    this.subscriptions.push(
      this.connection.onDidChangeState((s) => {
        if (s.state !== 'connected') {
          this.stopPolling();
          this.syncedBootId = undefined;
        }
        this.health.connectionChanged();
        this.changes.fire({ gateway: this.name, what: 'connection' });
      }),
      this.connection.onDidConnect((hello) => {
        this.runs.reset();
        this.gatewayStartedAt = hello.uptimeMs !== undefined ? this.now() - hello.uptimeMs : undefined;
        // The log and lane reads go out first: the gateway starts them before the first (large) page of rows, which
        // would otherwise hold them up behind it.
        this.startPolling();
        void this.resync(hello);
        // A new connection may be a new gateway process: jobs someone is looking at are read from it again.
        if (this.scheduler.latest()) void this.scheduler.read(true);
      }),
      this.connection.onSequenceGap(() => {
        const h = this.connection.helloSummary;
        if (h) void this.resync(h);
      }),
      this.connection.onEvent('sessions.changed', (f) => this.onSessionsChanged(f)),
      this.connection.onEvent('agent', (f) => this.onRunEvent(f)),
      this.connection.onEvent('chat', (f) => this.onRunEvent(f)),
      // A job added, changed, started or finished: read the jobs again, but only once someone has asked for them.
      this.connection.onEvent('cron', () => {
        if (this.scheduler.latest()) void this.scheduler.read(true);
      }),
    );
  }

  get name(): string {
    return this.opts.config.name;
  }
  get config(): GatewayConfig {
    return this.opts.config;
  }
  start(): void {
    this.connection.start();
  }
  snapshot(): ConnectionSnapshot {
    return this.connection.snapshot();
  }
  agentList(): readonly AgentView[] {
    return this.agents;
  }
  sessionRows(): SessionRowView[] {
    return [...this.sessions.values()];
  }
  session(key: string): SessionRowView | undefined {
    return this.sessions.get(key);
  }
  lastSyncError(): string | undefined {
    return this.syncError;
  }
  /** A resync (agents + every session row) is being read right now. */
  isSyncing(): boolean {
    return this.syncing !== undefined;
  }
  /** Resyncs finished (ok or failed) since this watcher started: tells a fresh outcome from a previous one. */
  completedSyncs(): number {
    return this.syncsDone;
  }
  /** True once agents and every session row were read on the current connection. */
  isSynced(): boolean {
    return this.connection.isConnected() && this.syncedBootId !== undefined && !this.syncError && !this.syncing;
  }
  /** The gateway's lanes: diagnostics.lanes (9.x), diagnostics.stability (4.x) or lane-wait log lines (3.x). */
  laneTable(): LaneTable | undefined {
    return this.lanes;
  }
  diagnosticLines(): readonly ParsedLogLine[] {
    return this.recentDiagnostics;
  }
  logFilePath(): string | undefined {
    return this.logs.lastRpcFile;
  }

  /** The derived lane status of one session, with the facts behind it. */
  laneStatus(key: string): LaneStatus {
    const snap = this.connection.snapshot();
    const hello = snap.hello;
    return deriveLaneStatus({
      now: this.now(),
      noProgressMs: this.opts.noProgressMs?.() ?? 0,
      connected: snap.state === 'connected' && !this.syncError,
      unavailableReason:
        snap.state !== 'connected' ? (snap.problem?.summary ?? `gateway ${snap.state}`) : this.syncError,
      protocol: hello?.protocol,
      serverVersion: hello?.serverVersion,
      connectedAt: snap.connectedAt,
      activeSince: this.activeSince.get(key),
      gatewayStartedAt: this.gatewayStartedAt,
      runExpiryMs: this.opts.runExpiryMs ?? runExpiryMs(hello),
      row: this.sessions.get(key),
      trackedRuns: this.runs.activeRuns(key),
      lastRunEnd: this.runs.lastEnded(key),
      pendingInputs: this.pendingInputs.get(key),
      diagnostic: this.diagnostics.get(key),
      laneWait: this.laneWaits.get(key),
      gatewayRecovery: this.gatewayRecoveries.get(key),
      transcriptTail: this.transcriptTails.get(key),
      childRow: (child) => this.sessions.get(child),
    });
  }

  /** What the lane status says about a live run, for recovery on protocol 3 (whose rows cannot say). */
  runEvidence(key: string): RunEvidence {
    const s = this.laneStatus(key);
    const busy = isBusyLane(s.state);
    // An unverified "running" is a row nobody saw start; a gateway diagnostic (stuck/stalled line) is evidence of work.
    const live = busy
      ? s.verified || s.state !== 'running'
        ? true
        : undefined
      : s.state === 'unknown'
        ? undefined
        : false;
    return {
      live,
      runId: s.runId,
      ...(s.startedAt ? { startedAt: s.startedAt } : {}),
      lane: { state: s.state, verified: s.verified },
      why: s.facts[0] ? `${s.facts[0].text} (${s.facts[0].rule})` : s.state,
      ...(s.facts[0] ? { rule: s.facts[0].rule } : {}),
    };
  }

  /** Re-reads everything after a (re)connect: events missed while down are not replayed by the gateway. */
  resync(hello: HelloSummary): Promise<void> {
    if (this.syncing) return this.syncing;
    // The change fires after `syncing` is cleared, so a listener that sees it finds isSynced() already true.
    this.syncing = this.doResync(hello).finally(() => {
      this.syncing = undefined;
      this.syncsDone++;
      this.changes.fire({ gateway: this.name, what: 'sessions' });
    });
    return this.syncing;
  }

  private async doResync(hello: HelloSummary): Promise<void> {
    // Changes that arrive while the rows are read are recorded and reconciled with them (sessionPaging.ts).
    const journal: RowChange[] = [];
    this.journal = journal;
    const startedReads = new Set<string>();
    this.syncReads = startedReads;
    try {
      // agents.list in parallel with the rows: neither needs the other.
      const agentsRead = this.api.agentsList();
      agentsRead.catch(() => undefined);
      const rows = await this.listAllSessions(hello, journal);
      const agents = this.accept(checkAgentsList(await agentsRead), 'agents.list');
      const defaultId = agents.defaultId ?? hello.sessionDefaults?.defaultAgentId;
      this.agents = agents.agents.map((a) => ({ id: a.id, isDefault: a.id === defaultId }));
      this.changes.fire({ gateway: this.name, what: 'agents' });
      this.sessions.clear();
      this.capWarned = false;
      for (const [key, row] of rows) this.sessions.set(key, row);
      for (const key of [...this.activeSince.keys()]) if (!this.sessions.has(key)) this.activeSince.delete(key);
      for (const [key, row] of rows) this.noteActive(key, row);
      // Queue counts read on this connection while paging stay; older ones (from before a reconnect) go.
      for (const key of [...this.pendingInputs.keys()])
        if (!startedReads.has(key) || !this.sessions.has(key)) this.pendingInputs.delete(key);
      this.syncError = undefined;
      this.syncedBootId = hello.bootId ?? '';
      for (const key of [...this.transcriptTails.keys()]) if (!startedReads.has(key)) this.transcriptTails.delete(key);
      for (const row of rows.values())
        if (!startedReads.has(row.key) && (row.hasActiveRun === true || row.status === 'running'))
          this.refreshPendingInputs(row.key);
    } catch (err) {
      this.syncError = (err as Error).message;
      this.opts.log('warn', `[${this.name}] resync failed: ${this.syncError}; retrying in 5 s`);
      // A failed read (a stalled 2026.4.x, a gateway still starting) must not leave the view unsynced until the next reconnect.
      clearTimeout(this.resyncTimer);
      this.resyncTimer = setTimeout(() => {
        const h = this.connection.helloSummary;
        if (this.connection.isConnected() && h) void this.resync(h);
      }, 5_000);
      this.resyncTimer.unref?.();
    } finally {
      if (this.journal === journal) this.journal = undefined;
      if (this.syncReads === startedReads) this.syncReads = undefined;
    }
  }

  /** What the last resync's read of the rows took (pages, re-reads, passes), for diagnostics and benchmarks. */
  lastListing(): ListingStats | undefined {
    return this.listing;
  }

  /**
   * Every session row. 2026.9.x pages (sessions.list limit/offset, ordered by update time: see sessionPaging.ts for
   * how no row is lost or doubled while rows move); older gateways return everything up to `limit` in one answer.
   * The first page comes with the subscription (sessions.subscribe with list parameters) where the gateway offers it.
   */
  private async listAllSessions(hello: HelloSummary, journal: RowChange[]): Promise<Map<string, SessionRowView>> {
    const pageSize = this.opts.pageSize ?? 200;
    const max = this.opts.maxSessions ?? 5000;
    const started = this.now();
    const subscribe = hello.methods.has('sessions.subscribe');
    let bootstrap: Promise<unknown> | undefined;
    if (subscribe && hello.protocol >= 4) {
      // Subscribed before the snapshot is built: changes made while it is read arrive as events (recorded above).
      bootstrap = this.api.sessionsSubscribe({ limit: pageSize });
    } else if (subscribe) await this.api.sessionsSubscribe({});
    const fetch = async (req: PageRequest): Promise<ListedPage> => {
      const boot = bootstrap;
      bootstrap = undefined;
      let fromBoot: unknown;
      if (boot) {
        try {
          fromBoot = req.offset === 0 && req.limit === pageSize ? rec(await boot).list : undefined;
        } catch (err) {
          // A gateway that takes no list parameters on sessions.subscribe: subscribe plainly, then list.
          this.opts.log('debug', `[${this.name}] sessions.subscribe with a first page: ${(err as Error).message}`);
          await this.api.sessionsSubscribe({});
        }
      }
      const raw = fromBoot ?? (await this.listPage(req));
      const at = ++this.arrival;
      const page = this.accept(checkSessionsPage(raw), 'sessions.list');
      const r = rec(raw);
      if (page.sessions.length) this.readEarly(page.sessions);
      return {
        ...page,
        at,
        totalCount: typeof r.totalCount === 'number' && r.totalCount >= 0 ? r.totalCount : undefined,
        ts: typeof r.ts === 'number' && Number.isFinite(r.ts) ? r.ts : undefined,
      };
    };
    const read = await readSessions({
      fetch:
        hello.protocol < 4
          ? (req) => fetch({ offset: 0, limit: Math.max(req.limit, max) }).then((p) => ({ ...p, hasMore: false }))
          : fetch,
      pageSize: hello.protocol < 4 ? max : pageSize,
      maxRows: max,
      parallel: this.opts.pageParallel ?? 1,
      warn: (m) => this.warnData(m),
      stamp: () => this.arrival,
      changes: (since) => journal.filter((c) => c.at > since),
    });
    if (read.read.truncated && !this.capWarned) {
      this.capWarned = true;
      this.warnData(`sessions.list: more than ${max} sessions (the bound); the rest are not listed`);
    }
    this.listing = {
      rows: read.rows.size,
      totalCount: read.read.totalCount,
      pages: read.read.pages,
      rereads: read.read.rereads,
      headPages: read.read.headPages,
      passes: read.passes,
      truncated: read.read.truncated,
      ms: this.now() - started,
    };
    const l = this.listing;
    this.opts.log(
      'debug',
      `[${this.name}] sessions.list: ${l.rows} rows (gateway counts ${l.totalCount ?? '?'}) in ${l.pages} page(s) of ${pageSize}, ${l.headPages} of the head again, ${l.rereads} re-read, ${l.passes} pass(es), ${l.ms} ms`,
    );
    return read.rows;
  }

  /** One page, asked again (up to 3 times) when a loaded gateway refuses it as overloaded (UNAVAILABLE). */
  private async listPage(req: PageRequest): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.api.sessionsList(req.offset ? req : { limit: req.limit });
      } catch (err) {
        if (!(err instanceof GatewayRequestError) || err.code !== 'UNAVAILABLE' || attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  /** While the rows are read: queued inputs (or transcript tails) of running rows are asked for at once, in parallel. */
  private readEarly(rows: readonly SessionRowView[]): void {
    const started = this.syncReads;
    if (!started) return;
    for (const row of rows)
      if (!started.has(row.key) && (row.hasActiveRun === true || row.status === 'running')) {
        this.refreshPendingInputs(row.key);
        // Not started (too many in flight): left for the end of the resync, when the row is in the model.
        if (this.historyInFlight.has(row.key)) started.add(row.key);
        else this.pendingAgain.delete(row.key);
      }
  }

  /** The checked value, after logging what was dropped; throws (failing the resync with that reason) when nothing is usable. */
  private accept<T>(checked: { value?: T; problems: string[] }, what: string): T {
    this.warnProblems(checked.problems, what);
    if (checked.value === undefined) throw new Error(`unusable ${what} answer: ${checked.problems[0] ?? 'no value'}`);
    return checked.value;
  }

  private warnProblems(problems: readonly string[], what: string): void {
    for (const p of problems.slice(0, MAX_PROBLEMS_PER_ANSWER)) this.warnData(p);
    if (problems.length > MAX_PROBLEMS_PER_ANSWER)
      this.warnData(`${what}: ${problems.length - MAX_PROBLEMS_PER_ANSWER} more unusable value(s) in this answer`);
  }

  /** Logs a reason for dropped gateway data, rate-limited so a hostile gateway cannot flood the log. */
  private warnData(message: string): void {
    const now = this.now();
    const w = this.warnWindow;
    if (now - w.start >= 60_000) {
      if (w.suppressed)
        this.opts.log(
          'warn',
          `[${this.name}] ${w.suppressed} more unusable value(s) from the gateway in the last minute (not logged one by one)`,
        );
      this.warnWindow = { start: now, count: 0, suppressed: 0 };
    }
    if (this.warnWindow.count++ < MAX_DATA_WARNINGS_PER_MINUTE)
      this.opts.log('warn', `[${this.name}] ignored: ${message.slice(0, 300)}`);
    else this.warnWindow.suppressed++;
  }

  private onSessionsChanged(frame: EventFrame): void {
    const p = rec(frame.payload);
    const keyProblem = checkSessionKey(p.sessionKey);
    if (keyProblem) {
      this.warnData(`sessions.changed event: ${keyProblem.replace(/^key/, 'sessionKey')}`);
      return;
    }
    const key = p.sessionKey as string;
    // Phase events carry the full row in `session`; reason events carry it flattened at the top level.
    const raw = rec(p.session).key === key ? p.session : typeof p.sessionId === 'string' ? { ...p, key } : undefined;
    let row: SessionRowView | undefined;
    if (raw) {
      const checked = checkSessionRow(raw, 'sessions.changed');
      this.warnProblems(checked.problems, 'sessions.changed');
      row = checked.value;
    }
    const deleted = p.reason === 'delete' || p.reason === 'deleted' || p.deleted === true;
    if (this.journal && (deleted || row))
      this.journal.push({
        key,
        at: ++this.arrival,
        ...(typeof p.ts === 'number' && Number.isFinite(p.ts) ? { ts: p.ts } : {}),
        ...(deleted ? { deleted: { sessionId: typeof p.sessionId === 'string' ? p.sessionId : undefined } } : { row }),
      });
    if (deleted) {
      this.sessions.delete(key);
      this.activeSince.delete(key);
      this.pendingInputs.delete(key);
    } else if (row) {
      if (!this.sessions.has(key) && this.sessions.size >= (this.opts.maxSessions ?? 5000)) {
        if (!this.capWarned) {
          this.capWarned = true;
          this.warnData(
            `sessions.changed: already ${this.sessions.size} sessions (the bound); new keys are not added until the next resync`,
          );
        }
        return;
      }
      const merged = { ...(this.sessions.get(key) ?? {}), ...row };
      // activeRunIds is omitted (not emptied) while a run is active: do not keep a stale [] from an older row.
      if (!('activeRunIds' in row)) delete merged.activeRunIds;
      this.sessions.set(key, merged);
      this.noteActive(key, merged);
      if (merged.hasActiveRun === false && merged.status === 'running') this.confirmRow(key);
      if (
        merged.hasActiveRun === true ||
        this.pendingInputs.has(key) ||
        (typeof merged.hasActiveRun !== 'boolean' && merged.status === 'running')
      )
        this.refreshPendingInputs(key);
    } else return;
    this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
  }

  private noteActive(key: string, row: SessionRowView): void {
    const active = row.hasActiveRun === true || (Array.isArray(row.activeRunIds) && row.activeRunIds.length > 0);
    if (!active) this.activeSince.delete(key);
    else if (!this.activeSince.has(key)) this.activeSince.set(key, this.now());
  }

  private readonly confirming = new Map<string, NodeJS.Timeout>();
  /**
   * A 2026.9.x row that an event left at status "running" with no active run reads stale (a zombie). The gateway
   * sends sessions.changed with dropIfSlow, so on a busy machine the event that finished the row (status killed /
   * done) can be the one dropped: read the row back once, a second later, before a zombie is shown for good.
   */
  private confirmRow(key: string): void {
    if (this.confirming.has(key) || this.confirming.size >= 8) return;
    const timer = setTimeout(() => {
      // sessions.list, found by a search for its key, else for its label: a cron run's row ("Automation: <job>") is
      // not found by its key. (sessions.describe cannot serve: its row has no status and no hasActiveRun.)
      const find = async (search: string) => {
        const a = await this.api.sessionsList({ search, limit: 20 });
        return (Array.isArray(rec(a).sessions) ? (rec(a).sessions as unknown[]) : []).find((r) => rec(r).key === key);
      };
      const label = this.sessions.get(key)?.label;
      const read = find(key).then((r) =>
        r !== undefined || typeof label !== 'string' || !label ? r : find(label.slice(0, 200)),
      );
      void this.track(read)
        .then((raw) => {
          const current = this.sessions.get(key);
          if (!raw || !current) return;
          const checked = checkSessionRow(raw, 'sessions.list');
          this.warnProblems(checked.problems, 'sessions.list');
          const row = checked.value;
          if (!row || (row.status === current.status && row.hasActiveRun === current.hasActiveRun)) return;
          this.sessions.set(key, row);
          this.noteActive(key, row);
          this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
        })
        .catch((err: Error) => this.opts.log('debug', `[${this.name}] re-reading ${key}: ${err.message}`))
        .finally(() => this.confirming.delete(key));
    }, 1_000);
    timer.unref?.();
    this.confirming.set(key, timer);
  }

  private onRunEvent(frame: EventFrame): void {
    const key = this.runs.apply(frame, this.now());
    if (key) this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
    const touched =
      typeof rec(frame.payload).sessionKey === 'string' ? String(rec(frame.payload).sessionKey) : undefined;
    if (touched) this.armExpiry(touched);
  }

  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private readonly noProgressTimers = new Map<string, NodeJS.Timeout>();

  /**
   * A running session turns "no progress" when its run stays quiet past the limit, with no event to say so: one timer
   * per running session, at the moment it would turn, re-armed whenever the session changes (an event moves it).
   */
  private armNoProgress(keys: readonly string[] | undefined): void {
    const candidates = new Set(
      keys ?? [...this.sessions.keys()].filter((k) => this.sessions.get(k)?.status === 'running'),
    );
    // A subagent's change can change its ancestors' status by time too (a result not handed back in time): in a nested
    // chain (a parent waiting on a subagent that waits on its own) every one of them up to the root, within the
    // gateway's spawn depth.
    if (keys)
      for (const key of keys) {
        const seen = new Set([key]);
        for (let row = this.sessions.get(key), n = 0; row && n < MAX_ANCESTORS_ARMED; n++) {
          const up = declaredParent(row);
          if (!up || seen.has(up)) break;
          seen.add(up);
          candidates.add(up);
          row = this.sessions.get(up);
        }
      }
    for (const key of candidates) {
      clearTimeout(this.noProgressTimers.get(key));
      this.noProgressTimers.delete(key);
      if (!this.sessions.has(key)) continue;
      const s = this.laneStatus(key);
      const at = s.noProgressAt ?? s.changesAt;
      const wait = at === undefined ? -1 : at - this.now();
      if (wait < 0) continue;
      const timer = setTimeout(() => {
        this.noProgressTimers.delete(key);
        this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
      }, wait + 50);
      timer.unref?.();
      this.noProgressTimers.set(key, timer);
    }
  }

  /** Protocol 3 with a run expiry: silence changes the status by itself, so say so when the expiry passes. */
  private armExpiry(key: string): void {
    const expiry = this.opts.runExpiryMs ?? runExpiryMs(this.connection.helloSummary);
    if (expiry === undefined) return;
    clearTimeout(this.expiryTimers.get(key));
    const runs = this.runs.activeRuns(key);
    if (!runs.length) {
      this.expiryTimers.delete(key);
      return;
    }
    const due = Math.max(...runs.map((r) => r.lastEventAt)) + expiry - this.now() + 50;
    const timer = setTimeout(
      () => {
        this.expiryTimers.delete(key);
        this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
      },
      Math.max(0, due),
    );
    timer.unref?.();
    this.expiryTimers.set(key, timer);
  }

  /**
   * Protocol 4: queued inputs behind a run (chat.history pendingInputs). Protocol 3: the transcript's last message,
   * the evidence that a row still saying "running" belongs to a run that is over. Only for sessions with (possible)
   * active work, one request per key at a time; a request still in flight is followed by one more.
   */
  private refreshPendingInputs(key: string): void {
    const hello = this.connection.helloSummary;
    if (!hello) return;
    if (hello.protocol < 4) {
      this.refreshTranscriptTail(key);
      return;
    }
    // A change that arrives while this key's read is in flight (or while 8 reads are) is read after it, never dropped:
    // dropping it left the count of a queue an abort had just cancelled on screen until a manual Refresh.
    if (this.historyInFlight.has(key) || this.historyInFlight.size >= 8) {
      this.pendingAgain.add(key);
      return;
    }
    this.historyInFlight.add(key);
    this.track(this.reading('chat.history', key, () => this.api.chatHistory({ sessionKey: key, limit: 1 })))
      .then((h) => {
        const checked = checkPendingInputs(h);
        this.warnProblems(checked.problems, 'chat.history');
        const n = checked.value;
        if (n === undefined || (!this.sessions.has(key) && !this.syncReads?.has(key))) return;
        if (this.pendingInputs.get(key) === n) return;
        this.pendingInputs.set(key, n);
        this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
      })
      .catch((err: Error) => this.opts.log('debug', `[${this.name}] chat.history for ${key}: ${err.message}`))
      .finally(() => {
        this.historyInFlight.delete(key);
        const next = this.pendingAgain.has(key) ? key : this.pendingAgain.values().next().value;
        if (next !== undefined && this.sessions.has(next)) {
          this.pendingAgain.delete(next);
          this.refreshPendingInputs(next);
        } else if (next !== undefined) this.pendingAgain.delete(next);
      });
  }

  private readonly pendingAgain = new Set<string>();

  private readonly tailAgain = new Set<string>();
  private readonly reads = new Set<Promise<unknown>>();

  /** Resolves once no chat.history read (pending inputs, transcript tails) is in flight: for one-shot readers (CLI). */
  async whenQuiet(): Promise<void> {
    while (this.reads.size) await Promise.allSettled([...this.reads]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.reads.add(p);
    void p.finally(() => this.reads.delete(p)).catch(() => undefined);
    return p;
  }

  private refreshTranscriptTail(key: string): void {
    if (this.historyInFlight.has(key)) {
      this.tailAgain.add(key);
      return;
    }
    if (this.historyInFlight.size >= 4) return;
    this.historyInFlight.add(key);
    this.track(this.reading('chat.history', key, () => this.api.chatHistory({ sessionKey: key, limit: 4 })))
      .then((h) => {
        const last = h.messages.filter((m) => m.role === 'user' || m.role === 'assistant').at(-1);
        if (!last) return;
        const tail: TranscriptTail = {
          role: String(last.role),
          at: typeof last.timestamp === 'number' ? last.timestamp : undefined,
          stopReason: typeof last.stopReason === 'string' ? last.stopReason : undefined,
          error: typeof last.errorMessage === 'string' ? last.errorMessage : undefined,
        };
        if (JSON.stringify(this.transcriptTails.get(key)) === JSON.stringify(tail)) return;
        this.transcriptTails.set(key, tail);
        this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
      })
      .catch((err: Error) =>
        this.opts.log('debug', `[${this.name}] chat.history (transcript tail) for ${key}: ${err.message}`),
      )
      .finally(() => {
        this.historyInFlight.delete(key);
        if (this.tailAgain.delete(key)) this.refreshTranscriptTail(key);
      });
  }

  // ---------------------------------------------------------------- logs and lanes (no push form: cursor reads)

  /** Reads the log and the lanes now; then the lanes every interval (the log poller keeps its own pace). */
  private startPolling(): void {
    this.stopPolling();
    const interval = this.opts.pollIntervalMs ?? 5_000;
    const first = this.pollOnce();
    const next = (read: Promise<void>) =>
      void read.finally(() => {
        if (this.connection.isConnected() && this.firstPoll === first)
          this.pollTimer = setTimeout(() => next(this.readLanesOnce()), interval);
      });
    this.firstPoll = first;
    next(first);
  }

  private stopPolling(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.firstPoll = undefined;
  }

  /** One read of logs.tail (from the cursor) and diagnostics.lanes, in parallel; joins a read already in flight. */
  pollOnce(): Promise<void> {
    if (!this.connection.isConnected()) return Promise.resolve();
    this.polling ??= this.readLogsAndLanes().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** One read of the lanes; joins a read already in flight. */
  private readLanesOnce(): Promise<void> {
    if (!this.connection.isConnected()) return Promise.resolve();
    this.lanesPolling ??= this.readLanes(Promise.resolve()).finally(() => {
      this.lanesPolling = undefined;
    });
    return this.lanesPolling;
  }
  private lanesPolling?: Promise<void>;

  /**
   * Resolves once this connection's first log and lane read is done and no chat.history read (queued inputs,
   * transcript tails) is in flight: what a one-shot reader (the CLI) waits for, within its own budget.
   */
  async whenRead(): Promise<void> {
    await (this.firstPoll ?? this.pollOnce());
    await this.whenQuiet();
  }

  /** Reads in flight now: what a report made now has not seen (the CLI says so when its budget ran out). */
  pendingReads(): PendingRead[] {
    return [...this.inFlight.values()].map((r) => ({ ...r }));
  }

  /** Reads that failed, newest per read (cleared when the same read succeeds). */
  failedReads(): FailedRead[] {
    return [...this.failed.values()].map((r) => ({ ...r }));
  }

  /** How far back the first read of the log on this watcher reached (the diagnostics a status can use are 10 min old at most). */
  logCoverage(): LogCoverage | undefined {
    return this.coverage && { ...this.coverage };
  }

  /**
   * For one-shot readers (the CLI, when its budget for reads has run out): records what has not been read by now —
   * reads in flight or failed, a first log read that did not reach back far enough, rows beyond the bound. Reports
   * made afterwards say so (GatewayReport.notReadInTime and the sessions' facts). Nothing records it in the extension.
   */
  noteUnread(): void {
    const l = this.listing;
    this.unreadNote = {
      at: this.now(),
      pending: this.pendingReads(),
      failed: this.failedReads(),
      ...(this.coverage && !this.coverage.complete ? { logPartial: { ...this.coverage } } : {}),
      ...(l?.truncated ? { rowsBeyond: { bound: this.opts.maxSessions ?? 5000, totalCount: l.totalCount } } : {}),
      ...(this.syncing ? { rowsPending: true } : {}),
    };
  }

  /** What noteUnread() recorded, if anything was left unread. */
  unread(): UnreadNote | undefined {
    const n = this.unreadNote;
    return n && (n.pending.length || n.failed.length || n.logPartial || n.rowsBeyond || n.rowsPending) ? n : undefined;
  }

  private unreadNote?: UnreadNote;
  private readonly inFlight = new Map<string, PendingRead>();
  private readonly failed = new Map<string, FailedRead>();
  private coverage?: LogCoverage;

  /** Runs one read, recorded as in flight until it settles (and as failed when it fails). */
  private reading<T>(what: PendingRead['what'], key: string | undefined, run: () => Promise<T>): Promise<T> {
    const id = key === undefined ? what : `${what}\u0000${key}`;
    this.inFlight.set(id, { what, ...(key !== undefined ? { key } : {}), since: this.now() });
    const p = run();
    const since = this.now();
    void p.then(
      () => {
        this.inFlight.delete(id);
        this.failed.delete(id);
        this.opts.log('debug', `[${this.name}] ${what}${key !== undefined ? ` ${key}` : ''}: ${this.now() - since} ms`);
      },
      (err: Error) => {
        this.inFlight.delete(id);
        this.failed.set(id, {
          what,
          ...(key !== undefined ? { key } : {}),
          at: this.now(),
          message: err.message.slice(0, 300),
        });
      },
    );
    return p;
  }

  private async readLogsAndLanes(): Promise<void> {
    // The poller reads nothing when the gateway does not offer logs.tail.
    const log = this.logs.pollOnce();
    await Promise.all([log, this.readLanes(log)]);
  }

  /** The lanes; on 2026.3.x (no lane RPC) from the lane-wait lines, after `log` (a log read in flight) is done. */
  private async readLanes(log: Promise<void>): Promise<void> {
    const hello = this.connection.helloSummary;
    const before = JSON.stringify(this.lanes && { l: this.lanes.lanes, d: this.lanes.dynamic });
    const lanes = (async () => {
      if (hello?.methods.has('diagnostics.lanes')) {
        const lanes = this.accept(
          checkLanes(await this.reading('diagnostics.lanes', undefined, () => this.api.diagnosticsLanes())),
          'diagnostics.lanes',
        );
        this.lanes = { lanes: lanes.lanes, dynamic: lanes.dynamic, at: this.now(), source: 'diagnostics.lanes' };
      } else if (hello?.methods.has('diagnostics.stability')) {
        this.lanes = this.lanesFromStability(
          await this.reading('diagnostics.stability', undefined, () =>
            this.api.diagnosticsStability({
              limit: 1000,
              ...(this.stabilitySeq !== undefined ? { sinceSeq: this.stabilitySeq } : {}),
            }),
          ),
        );
      } else if (hello) {
        await log;
        this.lanes = this.lanesFromLogs();
      }
    })().catch((err: Error) => this.opts.log('debug', `[${this.name}] lane read failed: ${err.message}`));
    await lanes;
    if (this.lanes && JSON.stringify({ l: this.lanes.lanes, d: this.lanes.dynamic }) !== before)
      this.changes.fire({ gateway: this.name, what: 'lanes' });
  }

  /** One logs.tail call, through the wire guard: unusable lines are dropped with a logged reason. */
  private async logsTail(
    params: { cursor?: number; limit: number; maxBytes: number },
    timeoutMs: number | undefined,
  ): Promise<LogsTailResultView> {
    const raw: unknown = await this.api.logsTail(params, timeoutMs !== undefined ? { timeoutMs } : undefined);
    const tail = this.accept(checkLogsTail(raw), 'logs.tail');
    const r = rec(raw);
    const skipped = r.skippedBytes;
    return {
      lines: tail.lines,
      // No usable cursor: the poller reads the tail again next time.
      cursor: tail.cursor ?? Number.NaN,
      ...(tail.file !== undefined ? { file: tail.file } : {}),
      ...(tail.truncated !== undefined ? { truncated: tail.truncated } : {}),
      ...(r.reset === true ? { reset: true } : {}),
      ...(typeof skipped === 'number' && Number.isFinite(skipped) && skipped > 0 ? { skippedBytes: skipped } : {}),
    };
  }

  /** Every batch the log poller reads: diagnostics per session, and the lanes where only the log tells them (3.x). */
  private onLogBatch(b: LogBatch): void {
    const touched = this.ingestLogLines(b.lines);
    if (touched.length) this.changes.fire({ gateway: this.name, what: 'sessions', keys: touched });
    if (!b.lines.length) return;
    this.changes.fire({ gateway: this.name, what: 'logs' });
    const hello = this.connection.helloSummary;
    if (hello && !hello.methods.has('diagnostics.lanes') && !hello.methods.has('diagnostics.stability')) {
      const before = JSON.stringify(this.lanes?.lanes);
      this.lanes = this.lanesFromLogs();
      if (JSON.stringify(this.lanes.lanes) !== before) this.changes.fire({ gateway: this.name, what: 'lanes' });
    }
  }

  private coverageText(lines: readonly string[]): string {
    const t = lines[0] ? parseLogLine(lines[0]).time : undefined;
    return t === undefined ? 'an unknown time' : `${Math.round((this.now() - t) / 1000)} s ago`;
  }

  /**
   * How far back the log poller's first read must reach (its `history` hook): the first read on a watcher asks only
   * for the last 64 KB; when those lines do not reach back as far as a diagnostic can still count (DIAGNOSTIC_FRESH_MS),
   * the poller reads the tail once more, as much as the span needs at the first read's bytes per minute (at most
   * 512 KB), and delivers only the lines that read adds: the cost follows the log of the last minutes, not the log's
   * size. Records how far back the reads reached (`last`: after that second read).
   */
  private logBytesNeeded(
    tail: { lines: readonly string[]; truncated?: boolean },
    asked: number,
    last = false,
  ): number | undefined {
    const bytes = tail.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    const times = [tail.lines[0], tail.lines.at(-1)].map((l) => (l ? parseLogLine(l).time : undefined));
    const oldest = times[0];
    const horizon = this.now() - DIAGNOSTIC_FRESH_MS;
    // The whole file was read (the gateway says so, or the answer did not fill the window), or far enough back.
    const whole = tail.truncated === false || bytes < asked * 0.75;
    const complete = whole || (oldest !== undefined && oldest <= horizon);
    this.coverage = { ...(oldest !== undefined ? { since: oldest } : {}), bytes, complete };
    if (complete || last) return undefined;
    const newest = times[1];
    const span = oldest !== undefined && newest !== undefined ? newest - oldest : 0;
    const need = span <= 0 ? LOG_MAX_BYTES : Math.ceil((bytes * (newest! - horizon) * 1.25) / span) + 4096;
    this.opts.log(
      'debug',
      `[${this.name}] logs.tail: the last ${Math.round(asked / 1024)} KB reached back to ${this.coverageText(tail.lines)}; reading ${Math.round(Math.min(need, LOG_MAX_BYTES) / 1024)} KB to reach 10 min`,
    );
    return need;
  }

  /**
   * 2026.4.x has no lane RPC; diagnostics.stability keeps a ring of `queue.lane.enqueue/dequeue` (lane name and
   * queue size) and `diagnostic.heartbeat` (aggregate active/waiting/queued) records, without session keys. Read
   * incrementally by sequence number; the latest size per lane wins.
   */
  private lanesFromStability(snap: DiagnosticsStabilityResultView): LaneTable {
    const prev = this.lanes?.source === 'diagnostics.stability' ? this.lanes : undefined;
    const byLane = new Map((prev?.lanes ?? []).map((l) => [l.lane, { ...l }]));
    let dynamic = prev?.dynamic ?? null;
    // Wire guard (as wireGuards.ts does for diagnostics.lanes): entries of the wrong shape are skipped, counts must be
    // finite and non-negative, lane names bounded in length and number.
    const events: unknown[] = Array.isArray((snap as { events?: unknown }).events) ? snap.events : [];
    if (!Array.isArray((snap as { events?: unknown }).events) && (snap as { events?: unknown }).events !== undefined)
      this.warnProblems(['diagnostics.stability answer: events is not an array; ignored'], 'diagnostics.stability');
    const count = (v: unknown): number | undefined =>
      typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
    for (const raw of events) {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) continue;
      const e = raw as Record<string, unknown>;
      const seq = count(e.seq);
      if (seq !== undefined) this.stabilitySeq = Math.max(this.stabilitySeq ?? 0, seq);
      if (
        (e.type === 'queue.lane.enqueue' || e.type === 'queue.lane.dequeue') &&
        typeof e.source === 'string' &&
        e.source.length <= 512
      ) {
        if (!byLane.has(e.source) && byLane.size >= 500) continue;
        const lane = byLane.get(e.source) ?? { lane: e.source, queuedCount: 0, activeCount: 0 };
        lane.queuedCount = count(e.queueSize) ?? lane.queuedCount;
        byLane.set(e.source, lane);
      } else if (e.type === 'diagnostic.heartbeat') {
        dynamic = { activeCount: count(e.active), waitingCount: count(e.waiting), queuedCount: count(e.queued) };
      }
    }
    return {
      lanes: [...byLane.values()],
      dynamic,
      at: this.now(),
      source: 'diagnostics.stability',
      note: 'from diagnostics.stability (openclaw 4.x): queue sizes per lane and aggregate active/queued counts; active runs per lane are not reported',
    };
  }

  /** 2026.3.x: no lane RPC at all; recent `lane wait exceeded` lines are the only lane evidence. */
  private lanesFromLogs(): LaneTable {
    const lanes: LaneView[] = [];
    for (const [key, w] of this.laneWaits) {
      if (this.now() - w.at > 5 * 60_000) continue;
      lanes.push({ lane: `session:${key}`, queuedCount: Math.max(1, (w.queueAhead ?? 0) + 1), activeCount: 1 });
    }
    return {
      lanes,
      dynamic: null,
      at: this.now(),
      source: 'logs',
      note: 'this gateway has no lane RPC (openclaw 3.x): lanes are inferred from "lane wait exceeded" log lines of the last 5 minutes',
    };
  }

  /** Records diagnostics per session key; returns the keys whose evidence changed. */
  ingestLogLines(lines: readonly string[]): string[] {
    const touched = new Set<string>();
    const max = this.opts.maxDiagnosticLines ?? 2_000;
    let unordered = false;
    for (const raw of lines) {
      if (typeof raw !== 'string') continue;
      const line = parseLogLine(raw);
      if (line.knownProblem) this.noteLogProblem(line);
      if (!line.diagnostic) continue;
      // Lines may come older than those already kept (the first read's second, larger window): kept in time order.
      const last = this.recentDiagnostics.at(-1);
      if (last?.time !== undefined && line.time !== undefined && line.time < last.time) unordered = true;
      this.recentDiagnostics.push(line);
      const key = line.sessionKey;
      if (!key) continue;
      const at = line.time ?? this.now();
      if (line.diagnostic === 'lane-wait') {
        const prev = this.laneWaits.get(key);
        if (prev && prev.at > at) continue;
        this.laneWaits.set(key, {
          at,
          waitedMs: numberField(line.fields, 'waitedMs'),
          queueAhead: numberField(line.fields, 'queueAhead'),
          activeAhead: numberField(line.fields, 'activeAhead'),
          message: line.message,
        });
        touched.add(key);
      } else if (line.diagnostic === 'recovery-outcome') {
        const prev = this.gatewayRecoveries.get(key);
        if (prev && prev.at > at) continue;
        const f = line.fields;
        this.gatewayRecoveries.set(key, {
          at,
          status: f.status ?? 'unknown',
          action: f.action,
          reason: f.reason,
          released: numberField(f, 'released'),
          laneActive: numberField(f, 'laneActive'),
          error: f.error,
          message: line.message,
        });
        touched.add(key);
      } else if (line.diagnostic === 'long-running' || line.diagnostic === 'stalled' || line.diagnostic === 'stuck') {
        const prev = this.diagnostics.get(key);
        if (!prev || prev.at <= at) {
          this.diagnostics.set(key, { kind: line.diagnostic, at, message: line.message, fields: line.fields });
          touched.add(key);
        }
      }
    }
    if (unordered) this.recentDiagnostics.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
    if (this.recentDiagnostics.length > max) this.recentDiagnostics.splice(0, this.recentDiagnostics.length - max);
    // Bounded: forget evidence about sessions the gateway no longer lists.
    if (this.diagnostics.size > (this.opts.maxSessions ?? 5000))
      for (const k of this.diagnostics.keys()) if (!this.sessions.has(k)) this.diagnostics.delete(k);
    if (this.laneWaits.size > (this.opts.maxSessions ?? 5000))
      for (const k of this.laneWaits.keys()) if (!this.sessions.has(k)) this.laneWaits.delete(k);
    if (this.gatewayRecoveries.size > (this.opts.maxSessions ?? 5000))
      for (const k of this.gatewayRecoveries.keys()) if (!this.sessions.has(k)) this.gatewayRecoveries.delete(k);
    return [...touched];
  }

  // ---------------------------------------------------------------- process health

  /**
   * Someone needs the gateway's process health (`reason`: 'tree', 'details-panel', 'watchdog', …) read every
   * `intervalMs` (default 5 s; never faster than the gateway's own ~1 s sampler window), or no longer. With no demand
   * nothing is read.
   */
  setHealthDemand(reason: string, on: boolean, intervalMs?: number): void {
    this.health.setDemand(reason, on, intervalMs);
  }

  /** The process health verdict now, with its facts and the latest numbers. */
  healthVerdict(): HealthVerdict {
    return this.health.verdict();
  }

  /** system.info (2026.9.x: event loop, memory, instance id) or health (older versions: only its answer time). */
  private async readVitals(): Promise<{ raw: unknown; source: 'system.info' | 'health' }> {
    const h = this.connection.helloSummary;
    const timeoutMs = Math.min(this.opts.requestTimeoutMs, 15_000);
    if (!h || h.methods.has('system.info'))
      return { raw: await this.api.systemInfo({ timeoutMs }), source: 'system.info' };
    return { raw: await this.api.health({ timeoutMs }), source: 'health' };
  }

  /**
   * The gateway's own stuck-session recovery over the last 10 minutes: its outcome lines per session, the sessions a
   * run still holds after it (freed nothing), and on 2026.9.x the recorder's count of every attempt (read while the
   * process health is read).
   */
  /** The known failures its log reported in the last 10 minutes (fleet/logProblemsSummary.ts). */
  logProblemsSummary(now = this.now(), clockTime?: (at: number) => string): LogProblemsSummary {
    return summarizeLogProblems(
      this.logProblems,
      now,
      (key) => {
        const label = this.sessions.get(key)?.label;
        return typeof label === 'string' && label ? label : key;
      },
      undefined,
      clockTime,
    );
  }

  private noteLogProblem(line: ParsedLogLine): void {
    const at = line.time ?? this.now();
    const message = line.message.slice(0, 400);
    // A log read again (a reconnect's first read reaches back over lines already seen) counts each line once.
    if (this.logProblems.some((p) => p.at === at && p.message === message)) return;
    this.logProblems.push({
      id: line.knownProblem!,
      at,
      message,
      ...(line.sessionKey ? { sessionKey: line.sessionKey } : {}),
    });
    if (this.logProblems.length > MAX_LOG_PROBLEMS)
      this.logProblems.splice(0, this.logProblems.length - MAX_LOG_PROBLEMS);
  }

  gatewayRecoverySummary(now = this.now()): GatewayRecoverySummary {
    return summarizeGatewayRecoveries(
      this.gatewayRecoveries.entries(),
      (key) => this.laneStatus(key).gatewayRecovery?.ineffective === true,
      this.recorderRecoveries,
      now,
      (key) => {
        const label = this.sessions.get(key)?.label;
        return typeof label === 'string' && label ? label : key;
      },
    );
  }

  /** After each sample: tell the views when what they show (the verdict and its short words) changed. */
  private noteHealth(): void {
    const v = this.health.verdict();
    const shown = `${v.state}\u0000${v.words}`;
    if (shown === this.shownHealth) return;
    this.shownHealth = shown;
    this.changes.fire({ gateway: this.name, what: 'health' });
  }

  /** When a restart Lanewatch asked for began, while it lasts: the gateway row says "restarting", not "not running". */
  restartRequestedAt?: number;
  noteRestart(inProgress: boolean): void {
    this.restartRequestedAt = inProgress ? this.now() : undefined;
    this.changes.fire({ gateway: this.name, what: 'connection' });
  }

  /** Something every status depends on changed (a setting): views re-read them, timers re-arm. */
  statusRulesChanged(): void {
    this.changes.fire({ gateway: this.name, what: 'sessions' });
  }

  /** The watcher as a recovery evidence source: re-read on every change it reports. */
  evidenceSource(): RunEvidenceSource {
    return {
      read: (key) => this.runEvidence(key),
      onDidChange: (listener) => this.onDidChange(() => listener()),
      notePendingInputs: (key, count) => this.notePendingInputs(key, count),
    };
  }

  /**
   * A queue count read by someone else's chat.history (the transcript panel's): the latest answer wins, as with the
   * watcher's own reads. Without it the tree kept "2 queued" for minutes after a recovery that the open transcript
   * already showed as cleared, until something else made the watcher read the queue again.
   */
  notePendingInputs(key: string, count: number): void {
    if (!this.sessions.has(key) || (this.connection.helloSummary?.protocol ?? 0) < 4) return;
    if (this.pendingInputs.get(key) === count) return;
    this.pendingInputs.set(key, count);
    this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
  }

  dispose(): void {
    this.stopPolling();
    this.logs.dispose();
    this.health.dispose();
    this.scheduler.dispose();
    clearTimeout(this.resyncTimer);
    for (const t of this.expiryTimers.values()) clearTimeout(t);
    this.expiryTimers.clear();
    for (const t of this.noProgressTimers.values()) clearTimeout(t);
    this.noProgressTimers.clear();
    for (const t of this.confirming.values()) clearTimeout(t);
    this.confirming.clear();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.connection.dispose();
    this.changes.clear();
  }
}
