// The one message protocol between the extension host and every Lanewatch webview (imported by both
// bundles). The webview says `ready` first; the host posts nothing before it (messages sent earlier are lost).
// Requests carry an id and get exactly one `response`; everything else is a notification.
import type { TranscriptStatus } from '../transcript/transcriptStatus';

export interface HandshakeView {
  attempt: number;
  socketOpenMs?: number;
  challengeMs?: number;
  connectSentMs?: number;
  helloMs?: number;
  failedIn?: string;
}

/** Everything here is display data; it never contains a token. */
export interface GatewayDetailsView {
  name: string;
  url: string;
  state: string;
  summary: string;
  advice?: string;
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
}

export type HostToWebview =
  | { type: 'gatewayDetails'; details: GatewayDetailsView }
  | { type: 'response'; id: number; ok: boolean; error?: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'request'; id: number; command: 'reconnect' | 'showReport' }
  | { type: 'report'; facts: Record<string, unknown> };

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  const v = value as { type?: unknown; id?: unknown; command?: unknown } | null;
  if (!v || typeof v !== 'object') return false;
  if (v.type === 'ready') return true;
  if (v.type === 'report') return typeof (v as { facts?: unknown }).facts === 'object';
  return v.type === 'request' && typeof v.id === 'number' && (v.command === 'reconnect' || v.command === 'showReport');
}

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

export type LogTailHostToWebview =
  | { type: 'logTail/init'; gateway: string; capacity: number; filter: LogTailFilterView }
  | { type: 'logTail/filter'; filter: LogTailFilterView }
  | LogTailLinesMessage
  | { type: 'logTail/source'; source: LogSourceView }
  | {
      type: 'logTail/lineDetail';
      seq: number;
      found: boolean;
      time?: number;
      level?: LogTailLevel;
      subsystem?: string;
      message?: string;
      fields?: Array<[string, string]>;
    };

export type LogTailWebviewToHost =
  | { type: 'ready' }
  | { type: 'report'; facts: Record<string, unknown> }
  | { type: 'logTail/filter'; filter: LogTailFilterView }
  | { type: 'logTail/showLine'; seq: number }
  | { type: 'logTail/revealSession'; sessionKey: string }
  | { type: 'logTail/clear' };

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

export function isLogTailWebviewToHost(value: unknown): value is LogTailWebviewToHost {
  const v = value as { type?: unknown; facts?: unknown; filter?: unknown; seq?: unknown } | null;
  if (!v || typeof v !== 'object') return false;
  switch (v.type) {
    case 'ready':
    case 'logTail/clear':
      return true;
    case 'report':
      return !!v.facts && typeof v.facts === 'object';
    case 'logTail/filter':
      return isLogTailFilter(v.filter);
    case 'logTail/showLine':
      return typeof v.seq === 'number' && Number.isInteger(v.seq) && v.seq >= 0;
    case 'logTail/revealSession':
      return (
        typeof (v as { sessionKey?: unknown }).sessionKey === 'string' &&
        (v as { sessionKey: string }).sessionKey.length < 1000
      );
    default:
      return false;
  }
}

export function isLogTailHostToWebview(value: unknown): value is LogTailHostToWebview {
  const v = value as { type?: unknown; items?: unknown; filter?: unknown; source?: unknown; seq?: unknown } | null;
  if (!v || typeof v !== 'object') return false;
  switch (v.type) {
    case 'logTail/init':
    case 'logTail/filter':
      return isLogTailFilter(v.filter);
    case 'logTail/lines':
      return Array.isArray(v.items);
    case 'logTail/source':
      return !!v.source && typeof v.source === 'object';
    case 'logTail/lineDetail':
      return typeof v.seq === 'number';
    default:
      return false;
  }
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

export type TranscriptHostToWebview =
  | { type: 'transcript/init'; gateway: string; sessionKey: string; title: string }
  /** replace: forget every entry first. Large snapshots come newest chunk first ('replace'), then older chunks ('prepend'). */
  | { type: 'transcript/entries'; op: 'replace' | 'append' | 'prepend'; entries: TranscriptEntryView[] }
  /** The host dropped this many of the oldest entries (memory bound). */
  | { type: 'transcript/dropped'; count: number }
  | { type: 'transcript/live'; live: TranscriptLiveView }
  | { type: 'transcript/status'; status: TranscriptStatusView }
  | { type: 'transcript/response'; id: number; ok: boolean; error?: string; result?: string };

export type TranscriptRequest =
  | { kind: 'loadOlder' }
  | { kind: 'copy'; key: string }
  | { kind: 'export' }
  | { kind: 'openLink'; url: string }
  | { kind: 'retry' };

export type TranscriptWebviewToHost =
  | { type: 'ready' }
  | { type: 'report'; facts: Record<string, unknown> }
  | { type: 'transcript/request'; id: number; request: TranscriptRequest };

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

function isTranscriptRequest(value: unknown): value is TranscriptRequest {
  const r = value as { kind?: unknown; key?: unknown; url?: unknown } | null;
  if (!r || typeof r !== 'object') return false;
  switch (r.kind) {
    case 'loadOlder':
    case 'export':
    case 'retry':
      return true;
    case 'copy':
      return shortString(r.key, 1_000);
    case 'openLink':
      return shortString(r.url, 8_192);
    default:
      return false;
  }
}

export function isTranscriptWebviewToHost(value: unknown): value is TranscriptWebviewToHost {
  const v = value as { type?: unknown; id?: unknown; facts?: unknown; request?: unknown } | null;
  if (!v || typeof v !== 'object') return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'report':
      return !!v.facts && typeof v.facts === 'object';
    case 'transcript/request':
      return typeof v.id === 'number' && Number.isInteger(v.id) && isTranscriptRequest(v.request);
    default:
      return false;
  }
}

export function isTranscriptHostToWebview(value: unknown): value is TranscriptHostToWebview {
  const v = value as {
    type?: unknown;
    entries?: unknown;
    op?: unknown;
    live?: unknown;
    status?: unknown;
    count?: unknown;
    id?: unknown;
  } | null;
  if (!v || typeof v !== 'object') return false;
  switch (v.type) {
    case 'transcript/init':
      return true;
    case 'transcript/entries':
      return Array.isArray(v.entries) && (v.op === 'replace' || v.op === 'append' || v.op === 'prepend');
    case 'transcript/dropped':
      return typeof v.count === 'number';
    case 'transcript/live':
      return !!v.live && typeof v.live === 'object';
    case 'transcript/status':
      return !!v.status && typeof v.status === 'object';
    case 'transcript/response':
      return typeof v.id === 'number';
    default:
      return false;
  }
}
