// What the extension host and the Lanewatch webviews say to each other, panel by panel: the display data, and each
// panel's typed message maps with a guard for every message type (src/protocol/envelope.ts has the envelope, the
// checkers and the types derived from these maps). Imported by the host (src/vscode/panels/) and by the page bundles
// (webview/). Every string in here can come from a gateway or an agent: the pages render it as text only.
import type { SessionLaneView } from './laneView';
import { all, bool, list, num, obj, oneOf, PanelDefinition, str, type HostPost } from './envelope';
import type { TranscriptStatus } from '../transcript/transcriptStatus';

export interface HandshakeView {
  attempt: number;
  socketOpenMs?: number;
  challengeMs?: number;
  connectSentMs?: number;
  helloMs?: number;
  failedIn?: string;
}

/** One read of the gateway's process health, as the details panel's history shows it (absent numbers: not reported). */
export interface HealthPointView {
  at: number;
  degraded: boolean;
  /** Event-loop utilization, percent. */
  busyPct?: number;
  /** The larger of the window's p99 and max delay, ms. */
  delayMs?: number;
  /** Process CPU, core equivalents. */
  cpuCores?: number;
  rssBytes?: number;
  answerMs: number;
  /** The read failed (timeout, error), in words. */
  error?: string;
}

/** The gateway process's health for the details panel: the verdict, its facts, the latest numbers, the history. */
export interface GatewayHealthView {
  state: 'ok' | 'degraded' | 'unknown';
  /** One line: "Degraded: event loop 97% busy, 1.4 s delay, CPU 1.02 cores", "Healthy", "Not read: …". */
  headline: string;
  facts: Array<{ rule: string; text: string; degrades?: boolean }>;
  /** The latest numbers, label → value, in display order. */
  current: Array<[string, string]>;
  /** Oldest first, bounded (the last `historyMinutes`). */
  history: HealthPointView[];
  historyMinutes: number;
}

/** Everything here is display data; it never contains a token. */
export interface GatewayDetailsView {
  name: string;
  url: string;
  state: string;
  summary: string;
  advice?: string;
  /** When the WebSocket failed: what its HTTP probes said beside it ("WebSocket: … · HTTP: …"), or that they are asked. */
  diagnosis?: string;
  problemKind?: string;
  closeCode?: number;
  serverVersion?: string;
  protocol?: number;
  bootId?: string;
  scopes: string[];
  missingScopes: string[];
  methodCount?: number;
  tokenSource?: string;
  handshake?: HandshakeView;
  sessions: { total: number; running: number };
  /** The gateway's own stuck-session recovery in the last 10 minutes, in words (absent: it did not run). */
  gatewayRecovery?: string;
  /** Failures its log reported in the last 10 minutes that hold no lane, in words, and what to do about each. */
  logProblems?: { text: string; advice: string[] };
  /** The process behind the connection (absent: the host sent none). */
  health?: GatewayHealthView;
}

/** The Gateway details panel (one per gateway): the connection, updated live; two buttons that ask the host. */
export type GatewayDetailsProtocol = {
  toWebview: {
    'gatewayDetails/details': { details: GatewayDetailsView };
    /** A new health sample: only the health section is redrawn (the buttons stay put). */
    'gatewayDetails/health': { health: GatewayHealthView };
  };
  toHost: Record<never, never>;
  requests: {
    'gatewayDetails/reconnect': { params: Record<never, never>; result: undefined };
    'gatewayDetails/showReport': { params: Record<never, never>; result: undefined };
  };
};

export const GATEWAY_DETAILS = new PanelDefinition('gatewayDetails', {
  toWebview: { 'gatewayDetails/details': (m) => obj(m, 'details'), 'gatewayDetails/health': (m) => obj(m, 'health') },
  toHost: {},
  requests: { 'gatewayDetails/reconnect': () => undefined, 'gatewayDetails/showReport': () => undefined },
});

// ---- log tail
// The Log Tail panel (one per gateway). Filtering happens in the host, which holds the ring buffer: the
// webview receives only the rows that match, each with a stable `seq`, and renders them virtualized. Rows
// carry display fields only (never the raw JSON line of a parsed entry); all text is untrusted.

export type LogTailPreset = 'all' | 'lane-waits' | 'stuck' | 'errors' | 'session';
export type LogTailLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'UNKNOWN';

export interface LogTailFilterView {
  preset: LogTailPreset;
  /** Lowest level shown; 'TRACE' shows everything. Lines without a level always show. */
  minLevel: LogTailLevel;
  /** Free text: every word (or "quoted phrase") must occur in the message or subsystem. */
  text: string;
  /** For preset 'session': a session key or a session id. */
  session: string;
}

export interface LogRowView {
  kind: 'line';
  seq: number;
  time?: number;
  level: LogTailLevel;
  subsystem?: string;
  /** Message text (for a line that did not parse: the raw line), cut at a display limit when `clipped`. */
  message: string;
  parsed: boolean;
  diagnostic?: string;
  sessionKey?: string;
  clipped?: boolean;
}

export interface LogMarkerView {
  kind: 'marker';
  /** The marker sits before the line with this seq (or at the end when no such line exists yet). */
  beforeSeq: number;
  marker: 'reset' | 'skipped' | 'truncated' | 'source' | 'cleared';
  text: string;
  at: number;
}

export type LogItemView = LogRowView | LogMarkerView;

export interface LogSourceView {
  kind: 'rpc' | 'file' | 'unavailable';
  /** "gateway RPC" | "local file <path>" | "no log source" */
  label: string;
  path?: string;
  /** Why the RPC is not used (file, unavailable). */
  reason?: string;
  tried?: string[];
}

export interface LogTailLinesMessage {
  type: 'logTail/lines';
  /** true: forget every item and start from these (first chunk of a snapshot). */
  replace: boolean;
  /** false while more chunks of the same snapshot follow. */
  done: boolean;
  items: LogItemView[];
  /** Lines with a smaller seq were dropped from the host's buffer; drop them here too. */
  firstSeq: number;
  dropped: number;
  /** Lines kept by the host (all levels and presets) and its capacity. */
  kept: number;
  capacity: number;
}

export interface LogTailLineDetail {
  seq: number;
  found: boolean;
  time?: number;
  level?: LogTailLevel;
  subsystem?: string;
  message?: string;
  fields?: Array<[string, string]>;
}

export type LogTailProtocol = {
  toWebview: {
    'logTail/init': { gateway: string; capacity: number; filter: LogTailFilterView };
    /** The filter changed on the host's side (a command): the controls show it. */
    'logTail/filter': { filter: LogTailFilterView };
    'logTail/lines': Omit<LogTailLinesMessage, 'type'>;
    'logTail/source': { source: LogSourceView };
    /** The answer to `logTail/showLine`: the full kept line, or not found. */
    'logTail/lineDetail': LogTailLineDetail;
  };
  toHost: {
    'logTail/filter': { filter: LogTailFilterView };
    'logTail/showLine': { seq: number };
    'logTail/revealSession': { sessionKey: string };
    'logTail/clear': Record<never, never>;
  };
  requests: Record<never, never>;
};

/** What the Log Tail host posts (src/logs/logRows.ts builds the `lines` and `lineDetail` ones). */
export type LogTailHostToWebview = HostPost<'logTail'>;

/** What a log panel keeps across a window reload (webview getState/setState): never log text, never a token. */
export interface LogTailPersistedState {
  gateway: string;
  filter: LogTailFilterView;
}

export function isLogTailPersistedState(v: unknown): v is LogTailPersistedState {
  const s = v as { gateway?: unknown; filter?: unknown } | null;
  return (
    !!s &&
    typeof s === 'object' &&
    typeof s.gateway === 'string' &&
    s.gateway.length > 0 &&
    s.gateway.length < 500 &&
    isLogTailFilter(s.filter)
  );
}

const LOG_TAIL_PRESETS: readonly string[] = ['all', 'lane-waits', 'stuck', 'errors', 'session'];
const LOG_TAIL_LEVELS: readonly string[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'UNKNOWN'];

export function isLogTailFilter(value: unknown): value is LogTailFilterView {
  const f = value as Partial<LogTailFilterView> | null;
  return (
    !!f &&
    typeof f === 'object' &&
    LOG_TAIL_PRESETS.includes(f.preset as string) &&
    LOG_TAIL_LEVELS.includes(f.minLevel as string) &&
    typeof f.text === 'string' &&
    f.text.length <= 1_000 &&
    typeof f.session === 'string' &&
    f.session.length <= 1_000
  );
}

export const LOG_TAIL = new PanelDefinition('logTail', {
  toWebview: {
    'logTail/init': (m) => all(str(m, 'gateway', 1_000), num(m, 'capacity', { min: 0 }), filterGuard(m)),
    'logTail/filter': (m) => filterGuard(m),
    'logTail/lines': (m) =>
      all(
        list(m, 'items'),
        bool(m, 'replace'),
        bool(m, 'done'),
        num(m, 'firstSeq'),
        num(m, 'dropped'),
        num(m, 'kept'),
        num(m, 'capacity'),
      ),
    'logTail/source': (m) => obj(m, 'source'),
    'logTail/lineDetail': (m) => all(num(m, 'seq'), bool(m, 'found'), list(m, 'fields', { optional: true })),
  },
  toHost: {
    'logTail/filter': (m) => filterGuard(m),
    'logTail/showLine': (m) => num(m, 'seq', { integer: true, min: 0 }),
    'logTail/revealSession': (m) => str(m, 'sessionKey', 1_000),
    'logTail/clear': () => undefined,
  },
  requests: {},
});

function filterGuard(m: Readonly<Record<string, unknown>>): string | undefined {
  return isLogTailFilter(m.filter) ? undefined : 'filter is not a log filter';
}

// ---- transcript
// The Transcript panel (one per gateway and session key). The host holds the TranscriptModel and posts display
// entries; the webview lays them out as fixed-height rows (wrapped at a column count it measures) and renders only
// the rows in view. Every string is untrusted and rendered as text; links open only through a `openLink` request
// the host checks (http and https only), never by navigation.

export interface TranscriptToolView {
  kind: 'call' | 'result';
  name?: string;
  /** The tool-use id that links a call to its result. */
  callId?: string;
  /** Call: the arguments as JSON text. Result: the output text. */
  text: string;
  isError?: boolean;
  clipped?: number;
}

export interface TranscriptEntryView {
  key: string;
  kind: 'message' | 'separator' | 'notice';
  role: 'user' | 'assistant' | 'system' | 'tool' | 'other';
  /** Display label chosen by the host ("User", "Assistant", "Tool result", "Session reset (/new)", …). */
  label: string;
  time?: number;
  text: string;
  /** Characters not sent to the webview (copy and export still have them up to the model's bound). */
  clipped?: number;
  truncatedByGateway?: boolean;
  thinking?: string;
  tools?: TranscriptToolView[];
  status?: 'error' | 'aborted';
  statusText?: string;
  /** Preformatted token usage ("in 10 · out 5 · 15 tokens"). */
  usage?: string;
  model?: string;
}

export interface TranscriptInFlightView {
  runId: string;
  startedAt?: number;
  /** The last phase the gateway reported (preparing_context, starting_model, model, retrying 1/8, …). */
  phase?: string;
  /** Streamed text of the run not yet in the transcript. */
  text: string;
  /** Where the run is known from: chat.history's inFlightRun, run events, or (protocol 3) the watcher's run evidence. */
  source: 'history' | 'events' | 'watcher';
  /** Last run event seen (undefined: none since the run was reported). */
  lastEventAt?: number;
}
export interface TranscriptPendingView {
  id: string;
  acceptedAt?: number;
  state: string;
  text: string;
  runId?: string;
}
export interface TranscriptLiveView {
  inFlight?: TranscriptInFlightView;
  /** Inputs waiting to run (state "queued"). */
  pending: TranscriptPendingView[];
  pendingNotListed: number;
  /** Inputs the gateway still lists but will not run (cancelled by an abort, interrupted): history, not queue. */
  notRun: TranscriptPendingView[];
}

/**
 * What the panel shows of the transcript model's status: the model's own type (one definition), minus what stays on
 * the host; the connection may also be "waiting" while the gateway is not configured (yet).
 */
export type TranscriptStatusView = Omit<TranscriptStatus, 'connection' | 'sessionId' | 'catchUps'> & {
  connection: TranscriptStatus['connection'] | 'waiting';
};

export type TranscriptProtocol = {
  toWebview: {
    'transcript/init': { gateway: string; sessionKey: string; title: string };
    /** replace: forget every entry first. Large snapshots come newest chunk first ('replace'), then older chunks ('prepend'). */
    'transcript/entries': { op: 'replace' | 'append' | 'prepend'; entries: TranscriptEntryView[] };
    /** The host dropped this many of the oldest entries (memory bound). */
    'transcript/dropped': { count: number };
    'transcript/live': { live: TranscriptLiveView };
    'transcript/status': { status: TranscriptStatusView };
    /**
     * The session's lane status as the Gateways view and `lanewatch status` derive it (the one state, from the fleet
     * watcher): the panel's header shows it with a ticking age. null: the gateway does not list the session (yet).
     */
    'transcript/lane': { lane: SessionLaneView | null };
  };
  toHost: Record<never, never>;
  requests: {
    /** Pages back; the result is how many older messages arrived. */
    'transcript/loadOlder': { params: Record<never, never>; result: string };
    'transcript/copy': { params: { key: string }; result: undefined };
    /** The result is where the Markdown was written, '' when the user cancelled. */
    'transcript/export': { params: Record<never, never>; result: string };
    /** http and https only, through openExternal; the result is 'opened' or 'not opened'. */
    'transcript/openLink': { params: { url: string }; result: string };
    'transcript/retry': { params: Record<never, never>; result: undefined };
  };
};

/** What the Transcript host posts. */
export type TranscriptHostToWebview = HostPost<'transcript'>;

/** What the webview keeps with getState/setState; the serializer hands it back after a window reload. */
export interface TranscriptPanelState {
  gateway: string;
  sessionKey: string;
  following?: boolean;
  anchorKey?: string;
  anchorOffset?: number;
  search?: string;
  expanded?: string[];
}

const shortString = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max;

export function isTranscriptPanelState(value: unknown): value is TranscriptPanelState {
  const v = value as Partial<TranscriptPanelState> | null;
  return !!v && typeof v === 'object' && shortString(v.gateway, 200) && shortString(v.sessionKey, 1_000);
}

export const TRANSCRIPT = new PanelDefinition('transcript', {
  toWebview: {
    'transcript/init': (m) => all(str(m, 'gateway', 1_000), str(m, 'sessionKey', 1_000), str(m, 'title', 4_000)),
    'transcript/entries': (m) => all(oneOf(m, 'op', ['replace', 'append', 'prepend']), list(m, 'entries')),
    'transcript/dropped': (m) => num(m, 'count', { min: 0 }),
    'transcript/live': (m) => obj(m, 'live') ?? liveLists(m.live as Record<string, unknown>),
    'transcript/status': (m) => obj(m, 'status'),
    'transcript/lane': (m) =>
      m.lane === null ? undefined : (obj(m, 'lane') ?? laneShape(m.lane as Record<string, unknown>)),
  },
  toHost: {},
  requests: {
    'transcript/loadOlder': () => undefined,
    'transcript/copy': (m) => str(m, 'key', 1_000, { nonEmpty: true }),
    'transcript/export': () => undefined,
    'transcript/openLink': (m) => str(m, 'url', 8_192, { nonEmpty: true }),
    'transcript/retry': () => undefined,
  },
});

function laneShape(lane: Readonly<Record<string, unknown>>): string | undefined {
  return all(str(lane, 'head', 200), list(lane, 'rest'), num(lane, 'queued', { min: 0 }));
}

function liveLists(live: Readonly<Record<string, unknown>>): string | undefined {
  return all(list(live, 'pending', { optional: true }), list(live, 'notRun', { optional: true }));
}

/** The three panels' protocols by name (the envelope's `panel`). */
export interface PanelProtocols {
  transcript: TranscriptProtocol;
  logTail: LogTailProtocol;
  gatewayDetails: GatewayDetailsProtocol;
}
