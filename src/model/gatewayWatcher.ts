// Keeps one gateway's state live for the fleet view: connection, agents and session rows.
// The connection is read-only (operator.read): watching never needs more, and commands that do open their
// own short-lived connection with the scope they need (least privilege, like the OpenClaw CLI).
import { GatewayApi, GatewayConnection, type ConnectionSnapshot, type DeviceIdentityStore, type Disposable, type EventFrame, type HelloSummary, type LogLevel, type SessionRowView } from '../gateway';
import { Emitter } from '../gateway/emitter';
import type { GatewayConfig } from './gatewaySettings';

export interface AgentView { id: string; isDefault: boolean }

export type WatcherChange = { gateway: string; what: 'connection' | 'agents' | 'sessions'; keys?: string[] };

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
}

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export class GatewayWatcher {
  readonly connection: GatewayConnection;
  readonly api: GatewayApi;
  private agents: AgentView[] = [];
  private readonly sessions = new Map<string, SessionRowView>();
  private syncError?: string;
  private syncing?: Promise<void>;
  private readonly subscriptions: Disposable[] = [];
  private readonly changes = new Emitter<WatcherChange>();
  readonly onDidChange = this.changes.on.bind(this.changes);

  constructor(private readonly opts: WatcherOptions) {
    this.connection = new GatewayConnection({
      url: opts.config.url, credentials: opts.credentials, scopes: ['operator.read'], identityStore: opts.identityStore,
      identityKey: `${opts.config.name}|${opts.config.url}`, clientVersion: opts.clientVersion, clientDisplayName: 'Lanewatch',
      requestTimeoutMs: opts.requestTimeoutMs, log: (level, m) => opts.log(level, `[${opts.config.name}] ${m}`),
    });
    this.api = new GatewayApi(this.connection);
    this.subscriptions.push(
      this.connection.onDidChangeState(() => this.changes.fire({ gateway: this.name, what: 'connection' })),
      this.connection.onDidConnect((hello) => { void this.resync(hello); }),
      this.connection.onSequenceGap(() => { const h = this.connection.helloSummary; if (h) void this.resync(h); }),
      this.connection.onEvent('sessions.changed', (f) => this.onSessionsChanged(f)),
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

  /** Re-reads everything after a (re)connect: events missed while down are not replayed by the gateway. */
  resync(hello: HelloSummary): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = this.doResync(hello).finally(() => { this.syncing = undefined; });
    return this.syncing;
  }

  private async doResync(hello: HelloSummary): Promise<void> {
    try {
      const agents = await this.api.agentsList();
      const defaultId = (agents as { defaultId?: string }).defaultId ?? hello.sessionDefaults?.defaultAgentId;
      this.agents = agents.agents.map((a) => ({ id: a.id, isDefault: a.id === defaultId }));
      this.changes.fire({ gateway: this.name, what: 'agents' });
      if (hello.methods.has('sessions.subscribe')) await this.api.sessionsSubscribe({});
      const rows = await this.listAllSessions(hello);
      this.sessions.clear();
      for (const row of rows) this.sessions.set(row.key, row);
      this.syncError = undefined;
    } catch (err) {
      this.syncError = (err as Error).message;
      this.opts.log('warn', `[${this.name}] resync failed: ${this.syncError}`);
    }
    this.changes.fire({ gateway: this.name, what: 'sessions' });
  }

  /** 2026.9.x pages (100 rows by default); older gateways return everything up to `limit` in one answer. */
  private async listAllSessions(hello: HelloSummary): Promise<SessionRowView[]> {
    const pageSize = this.opts.pageSize ?? 200;
    const max = this.opts.maxSessions ?? 5000;
    if (hello.protocol < 4) return (await this.api.sessionsList({ limit: max })).sessions;
    const rows: SessionRowView[] = [];
    let offset = 0;
    for (;;) {
      const page = await this.api.sessionsList({ limit: pageSize, offset });
      rows.push(...page.sessions);
      if (!page.hasMore || page.sessions.length === 0 || rows.length >= max) break;
      offset = typeof page.nextOffset === 'number' ? page.nextOffset : offset + page.sessions.length;
    }
    return rows.slice(0, max);
  }

  private onSessionsChanged(frame: EventFrame): void {
    const p = rec(frame.payload);
    const key = typeof p.sessionKey === 'string' ? p.sessionKey : undefined;
    if (!key) return;
    // Phase events carry the full row in `session`; reason events carry it flattened at the top level.
    const row = rec(p.session).key === key ? (p.session as SessionRowView) : typeof p.sessionId === 'string' ? ({ ...(this.sessions.get(key) ?? {}), ...p, key } as SessionRowView) : undefined;
    if (p.reason === 'deleted' || p.deleted === true) this.sessions.delete(key);
    else if (row) this.sessions.set(key, { ...(this.sessions.get(key) ?? {}), ...row });
    else return;
    this.changes.fire({ gateway: this.name, what: 'sessions', keys: [key] });
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.connection.dispose();
    this.changes.clear();
  }
}
