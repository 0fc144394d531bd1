// Wire types. Params come from the official @openclaw/gateway-protocol where it defines them. Results are
// typed here as *partial* views because we read them from protocol 3 gateways too (2026.3.x/2026.4.x omit
// hasActiveRun, activeRunIds, lastRunId, paging fields, inFlightRun, pendingInputs …): every field that any
// supported version may omit is optional, so the compiler makes the model handle its absence.
import type {
  AgentsListResult,
  LogsTailResult,
  SessionRow,
  SessionsResetParams as ProtocolSessionsResetParams,
} from '@openclaw/gateway-protocol';

export type {
  ChatAbortParams,
  ChatHistoryParams,
  LogsTailParams,
  SessionsAbortParams,
  SessionsDescribeParams,
  SessionsListParams,
  SessionsMessagesSubscribeParams,
  SessionsMessagesUnsubscribeParams,
  SessionsPreviewParams,
  SessionsSendParams,
} from '@openclaw/gateway-protocol';

/**
 * Version skew: @openclaw/gateway-protocol 2026.9.1 (the newest on npm) lacks `expectedSessionId`, which
 * gateway 2026.9.6 accepts and which makes a reset refuse a session that changed meanwhile (proven in
 * test/gateway). Older gateways reject the field, so callers send it only on protocol 4.
 */
export type SessionsResetParams = ProtocolSessionsResetParams & { expectedSessionId?: string };

/** A session row as any supported gateway sends it. */
export type SessionRowView = Partial<SessionRow> & { key: string; [extra: string]: unknown };

export interface SessionsListResultView {
  ts?: number;
  path?: string;
  count?: number;
  totalCount?: number;
  limitApplied?: number;
  nextOffset?: number | null;
  hasMore?: boolean;
  sessions: SessionRowView[];
}

export interface SessionsDescribeResultView {
  session: SessionRowView | null;
}

export interface SessionsPreviewResultView {
  ts?: number;
  previews: Array<{
    key: string;
    // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the known values; the gateway may send others
    status: 'ok' | 'empty' | 'missing' | 'cold' | string;
    items: Array<{ role: string; text: string }>;
  }>;
}

export type AgentsListResultView = Partial<AgentsListResult> & {
  agents: Array<{ id: string; [extra: string]: unknown }>;
};

export interface ChatHistoryResultView {
  sessionKey: string;
  sessionId?: string;
  messages: Array<Record<string, unknown>>;
  pendingInputs?: {
    items: Array<{ id: string; acceptedAt?: number; state?: string; message?: unknown; runId?: string }>;
    total?: number;
  };
  inFlightRun?: { runId: string; text?: string; startedAt?: number; events?: unknown[]; sessionAbortable?: boolean };
  hasMore?: boolean;
  totalMessages?: number;
  /** 2026.9.x with `offset`: the tail offset of this page and of the next older one (offsets count from the newest message). */
  offset?: number;
  nextOffset?: number | null;
  /** Opaque; pass it back as `cursor` to read only what was appended since this page (see ChatHistoryCursorResultView). */
  deltaCursor?: string;
  sessionInfo?: SessionRowView;
}

/** A `session.message` event payload (also the element type of a chat.history delta's `messages`). */
export interface SessionMessagePayloadView {
  sessionKey?: string;
  agentId?: string;
  message?: unknown;
  messageId?: string;
  messageSeq?: number;
  sessionId?: string;
  session?: SessionRowView;
  [extra: string]: unknown;
}

/**
 * chat.history with `cursor` (2026.9.x): a bounded forward catch-up. `delta` carries the messages appended since the
 * cursor as session.message payloads; `reset` means the cursor no longer applies (transcript reset, too much to
 * replay): read a fresh tail page instead.
 */
export type ChatHistoryCursorResultView =
  | { kind: 'reset' }
  | {
      kind: 'delta';
      messages: SessionMessagePayloadView[];
      deltaCursor?: string;
      pendingInputs?: ChatHistoryResultView['pendingInputs'];
      inFlightRun?: ChatHistoryResultView['inFlightRun'];
      sessionInfo?: SessionRowView;
    };

export type LogsTailResultView = Partial<LogsTailResult> & {
  lines: string[];
  cursor: number;
  file?: string;
  reset?: boolean;
  truncated?: boolean;
  skippedBytes?: number;
};

export interface LaneView {
  lane: string;
  queuedCount: number;
  activeCount: number;
  maxConcurrent?: number;
  draining?: boolean;
  generation?: number;
  blockedBy?: unknown;
}
export interface DiagnosticsLanesResultView {
  ts?: number;
  lanes: LaneView[];
  dynamic: { laneCount?: number; activeCount?: number; queuedCount?: number; queuedLaneCount?: number } | null;
}

/** 2026.4.x: a ring of sanitized diagnostic records (no session keys); `source` is the lane name on queue.lane.* records. */
export interface DiagnosticsStabilityResultView {
  generatedAt?: string;
  count?: number;
  firstSeq?: number;
  lastSeq?: number;
  events: Array<{
    seq?: number;
    ts?: number;
    type: string;
    source?: string;
    queueSize?: number;
    waitMs?: number;
    outcome?: string;
    queueDepth?: number;
    active?: number;
    waiting?: number;
    queued?: number;
    [extra: string]: unknown;
  }>;
  summary?: Record<string, unknown>;
}

export interface ChatSendParams {
  sessionKey: string;
  message: string;
  idempotencyKey: string;
  agentId?: string;
  timeoutMs?: number;
  queueMode?: 'steer' | 'followup' | 'collect' | 'interrupt';
}
export interface RunStartedResult {
  runId: string;
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the known values; the gateway may send others
  status: 'started' | 'ok' | string;
  messageSeq?: number;
}

export interface ChatAbortResultView {
  ok: boolean;
  aborted: boolean;
  runIds: string[];
}
export interface SessionsAbortResultView {
  ok: boolean;
  abortedRunId: string | null;
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the known values; the gateway may send others
  status: 'aborted' | 'no-active-run' | string;
}
export interface SessionsResetResultView {
  ok: boolean;
  key: string;
  entry?: {
    sessionId?: string;
    lifecycleRevision?: number | string;
    sessionStartedAt?: number;
    [extra: string]: unknown;
  };
}

export interface RestartBlocker {
  kind: string;
  count?: number;
  message?: string;
  [extra: string]: unknown;
}
export interface RestartPreflightResultView {
  safe: boolean;
  counts?: Record<string, number>;
  blockers: RestartBlocker[];
  summary?: string;
}
/**
 * 2026.9.6's gateway.restart.request. `restartIntent` is honoured only with `target` (the live lock's pid, ownerId and
 * port) and without `safe`; `{force: true, drainBudgetMs: 0}` restarts without draining active work.
 */
export interface RestartRequestParams {
  reason?: string;
  skipDeferral?: boolean;
  safe?: boolean;
  target?: { pid: number; ownerId: string; port: number };
  restartIntent?: { force: true; drainBudgetMs?: number } | { waitMs: number };
}
export interface RestartRequestResultView {
  ok: boolean;
  status: string;
  preflight?: RestartPreflightResultView;
  restart?: { ok?: boolean; pid?: number; signal?: string; delayMs?: number; [extra: string]: unknown };
}

export interface HealthResultView {
  ok: boolean;
  ts?: number;
  durationMs?: number;
  defaultAgentId?: string;
  agents?: Array<{ agentId: string; isDefault?: boolean; sessions?: { count?: number } }>;
  sessions?: { count?: number };
  [extra: string]: unknown;
}
export type StatusResultView = Record<string, unknown> & { runtimeVersion?: string; pid?: number };
