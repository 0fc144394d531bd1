// A profile of the gateway process itself, for the extension's "Capture Gateway CPU Profile…" / "Sample Gateway Heap
// Allocations…" and `lanewatch profile cpu|heap`: openclaw 2026.9's `diagnostics.cpuProfile` (a V8 CPU profile of the
// gateway's main isolate, always 5 s at a 10 ms interval: the RPC takes no parameters) and `diagnostics.heapProfile` (a
// sampling heap profile, 1–30 s). Both need operator.admin, answer at most 1 MiB and write nothing on the gateway. The
// answer is checked to be a V8 profile and written to a file (complete or not at all: a temporary file renamed into
// place), so VS Code's own profile viewer, Chrome DevTools or speedscope open it. Every refusal says why in an
// operator's words and what to do; the RPC names and the gateway's own words are in `details`.
//
// Cancelling closes the action's own connection: the gateway cancels a capture whose caller disconnected (its docs:
// "A disconnected caller or Gateway shutdown cancels the capture and runs profiler cleanup"), and nothing is written.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayRequestError, type ConnectionProblem, type GatewayConnection, type OperatorScope } from '../gateway';
import type { GatewayConfig } from '../config/gatewaySettings';
import type { OutcomeClass } from './actionReport';
import type { AuditTrail } from './auditTrail';
import type { OperatorConnections } from './operatorConnection';

export type ProfileKind = 'cpu' | 'heap';

export const PROFILE_METHODS: Readonly<Record<ProfileKind, string>> = {
  cpu: 'diagnostics.cpuProfile',
  heap: 'diagnostics.heapProfile',
};
/** The file types VS Code's profile viewer (and Chrome DevTools) open. */
export const PROFILE_EXTENSIONS: Readonly<Record<ProfileKind, string>> = { cpu: '.cpuprofile', heap: '.heapprofile' };
/** What each is called in a sentence. */
export const PROFILE_NOUNS: Readonly<Record<ProfileKind, string>> = {
  cpu: 'CPU profile',
  heap: 'heap allocation profile',
};
/** Both RPCs are operator.admin ("Administrative access"); read so the connection is a normal operator one. */
export const PROFILE_SCOPES: OperatorScope[] = ['operator.read', 'operator.admin'];
/** diagnostics.cpuProfile samples for a fixed 5 s (it accepts only empty params). */
export const CPU_PROFILE_SECONDS = 5;
/** diagnostics.heapProfile clamps longer durations to 30 s; Lanewatch refuses them instead of asking for less. */
export const HEAP_PROFILE_MAX_SECONDS = 30;
export const DEFAULT_PROFILE_SECONDS = 5;
/** The first version with both RPCs (2026.3.24 and 2026.4.26 have neither). */
export const PROFILE_MIN_VERSION = '2026.9';
export const NEEDS_VERSION_TEXT = `needs OpenClaw ${PROFILE_MIN_VERSION} or later`;
/** What the answer may take beyond the capture itself when no request timeout is set. */
const DEFAULT_ANSWER_MARGIN_MS = 60_000;

/** Why a capture did not produce a file; each has its own words and next step. */
export type ProfileFailure =
  | 'missing-scope'
  | 'needs-pairing'
  | 'busy'
  | 'conflict'
  | 'unsupported-version'
  | 'unsupported-runtime'
  | 'too-large'
  | 'timeout'
  | 'cancelled'
  | 'invalid-profile'
  | 'write-failed'
  | 'failed';

/** How each failure counts for exit codes and notification levels (the actions' classes: refused 4, failed 1). */
const FAILURE_CLASS: Readonly<Record<ProfileFailure, OutcomeClass>> = {
  'missing-scope': 'refused',
  'needs-pairing': 'refused',
  busy: 'refused',
  conflict: 'refused',
  cancelled: 'refused',
  'unsupported-version': 'failed',
  'unsupported-runtime': 'failed',
  'too-large': 'failed',
  timeout: 'failed',
  'invalid-profile': 'failed',
  'write-failed': 'failed',
  failed: 'failed',
};

export interface ProfileMeasurement {
  /** What was asked for. */
  requestedMs: number;
  /** From sending the request to its answer (connection not included). */
  wallMs: number;
  /** The sampling time the gateway reports (actualDurationMs / durationMs). */
  capturedMs?: number;
  /** The file's size. */
  bytes?: number;
  /** CPU: call-tree nodes and samples; heap: call-tree nodes and sampled allocations. */
  nodes?: number;
  samples?: number;
  /** Heap: the gateway's own heap and RSS around the capture. */
  heapUsedBefore?: number;
  heapUsedAfter?: number;
  rssBefore?: number;
  rssAfter?: number;
  /** Frames whose names or paths the gateway redacted. */
  redactedNodeCount?: number;
}

export interface ProfileReport {
  ok: boolean;
  /** The class of the outcome: ok, refused, failed (the CLI's exit code, the notification's level). */
  outcomeClass: OutcomeClass;
  failure?: ProfileFailure;
  gateway: string;
  profile: ProfileKind;
  /** The written file (ok), or the summary file when the heap tree did not fit in 1 MiB. */
  file?: string;
  /** What happened, in plain words. */
  summary: string;
  /** What to do next, when something is to be done. */
  advice?: string;
  /** The lines behind it: the RPC, timings, the gateway's own words. */
  details: string[];
  measured?: ProfileMeasurement;
  /** The gateway's version, when connected. */
  serverVersion?: string;
  /** A connection that failed: its kind decides each host's advice (the extension's commands, the CLI's options). */
  problem?: ConnectionProblem;
}

export interface ProfileRequest {
  kind: ProfileKind;
  /** Heap only (1–30 s); CPU is always 5 s. Default 5 s. */
  durationSeconds?: number;
  /** Heap only: the average bytes between samples (the gateway's default 32 KiB; at least 4 KiB). */
  samplingIntervalBytes?: number;
  /** Where the profile is written (its folder is created). */
  file: string;
  signal?: AbortSignal;
}

/** Checks a duration for `kind`: undefined when usable, else why not (for a usage error or a rejected pick). */
export function profileDurationProblem(kind: ProfileKind, seconds: number | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  if (kind === 'cpu')
    return seconds === CPU_PROFILE_SECONDS
      ? undefined
      : `the gateway records CPU profiles for a fixed ${CPU_PROFILE_SECONDS} s (its diagnostics.cpuProfile takes no duration); leave out --duration, or sample heap allocations for up to ${HEAP_PROFILE_MAX_SECONDS} s`;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > HEAP_PROFILE_MAX_SECONDS)
    return `a heap allocation profile lasts 1 to ${HEAP_PROFILE_MAX_SECONDS} whole seconds (the gateway caps it at ${HEAP_PROFILE_MAX_SECONDS} s)`;
  return undefined;
}

/** The duration a capture of `kind` asks for, in ms. */
export function profileDurationMs(kind: ProfileKind, seconds?: number): number {
  return (kind === 'cpu' ? CPU_PROFILE_SECONDS : (seconds ?? DEFAULT_PROFILE_SECONDS)) * 1000;
}

/** A file name for a profile of `gateway` taken at `at`: `demo-2026-12-03T00-41-07.cpuprofile` (safe on every OS). */
export function profileFileName(gateway: string, kind: ProfileKind, at: Date = new Date()): string {
  const safe =
    gateway
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[.]+/, '_')
      .slice(0, 60) || 'gateway';
  const time = at
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/:/g, '-');
  return `${safe}-${time}${PROFILE_EXTENSIONS[kind]}`;
}

/** Whether a gateway's hello-ok lists the RPC: true / false, undefined when it listed no methods (not known). */
export function gatewayOffersProfile(
  hello: { methods: ReadonlySet<string> } | undefined,
  kind: ProfileKind,
): boolean | undefined {
  if (!hello || hello.methods.size === 0) return undefined;
  return hello.methods.has(PROFILE_METHODS[kind]);
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCallFrame = (f: unknown) =>
  isRecord(f) &&
  typeof f.functionName === 'string' &&
  typeof f.url === 'string' &&
  typeof f.scriptId === 'string' &&
  isInt(f.lineNumber) &&
  isInt(f.columnNumber);

/**
 * Checks that `p` is a V8 CPU profile (`Profiler.Profile`: nodes with id and callFrame, startTime ≤ endTime, samples
 * naming known nodes, one time delta per sample). Returns why not, or undefined.
 */
export function cpuProfileProblem(p: unknown): string | undefined {
  if (!isRecord(p)) return 'not an object';
  if (!Array.isArray(p.nodes) || p.nodes.length === 0) return 'no call-tree nodes';
  if (!isNum(p.startTime) || !isNum(p.endTime) || p.endTime < p.startTime) return 'no valid startTime/endTime';
  if (!Array.isArray(p.samples) || !Array.isArray(p.timeDeltas)) return 'no samples/timeDeltas';
  if (p.samples.length !== p.timeDeltas.length) return 'samples and timeDeltas differ in length';
  const ids = new Set<number>();
  for (const n of p.nodes) {
    if (!isRecord(n) || !isInt(n.id) || !isCallFrame(n.callFrame)) return 'a node without id or callFrame';
    if (n.children !== undefined && (!Array.isArray(n.children) || !n.children.every(isInt)))
      return 'a node with unusable children';
    ids.add(n.id);
  }
  if (!p.samples.every((s) => isInt(s) && ids.has(s))) return 'a sample naming no node';
  if (!p.timeDeltas.every(isNum)) return 'a time delta that is not a number';
  return undefined;
}

/**
 * Checks that `p` is a V8 sampling heap profile (`HeapProfiler.SamplingHeapProfile`: a head node with callFrame,
 * selfSize and children, recursively; samples naming known nodes). Returns why not, or undefined.
 */
export function heapProfileProblem(p: unknown): string | undefined {
  if (!isRecord(p) || !isRecord(p.head)) return 'no head node';
  const ids = new Set<number>();
  const pending: unknown[] = [p.head];
  while (pending.length) {
    const n = pending.pop();
    if (!isRecord(n) || !isCallFrame(n.callFrame) || !isNum(n.selfSize) || n.selfSize < 0 || !Array.isArray(n.children))
      return 'a node without callFrame, selfSize or children';
    if (isInt(n.id)) ids.add(n.id);
    pending.push(...(n.children as unknown[]));
  }
  if (p.samples !== undefined) {
    if (!Array.isArray(p.samples)) return 'samples is not a list';
    if (!p.samples.every((s) => isRecord(s) && isInt(s.nodeId) && ids.has(s.nodeId) && isNum(s.size)))
      return 'a sample naming no node';
  }
  return undefined;
}

function countHeapNodes(head: unknown): number {
  let count = 0;
  const pending: unknown[] = [head];
  while (pending.length) {
    const n = pending.pop() as { children?: unknown[] };
    count++;
    pending.push(...(n.children ?? []));
  }
  return count;
}

/** Writes `text` to `file` completely or not at all: a temporary file beside it, renamed into place. */
export async function writeWhole(file: string, text: string, signal?: AbortSignal): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await writeFile(temp, text, { mode: 0o600, signal });
    if (signal?.aborted) throw GatewayRequestError.local('write', 'CANCELLED', 'cancelled');
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Context for the words of a report. */
interface ReportContext {
  gateway: string;
  kind: ProfileKind;
  serverVersion?: string;
  requestedMs: number;
}

function failed(
  ctx: ReportContext,
  failure: ProfileFailure,
  summary: string,
  advice: string | undefined,
  details: string[],
  measured?: ProfileMeasurement,
): ProfileReport {
  return {
    ok: false,
    outcomeClass: FAILURE_CLASS[failure],
    failure,
    gateway: ctx.gateway,
    profile: ctx.kind,
    summary,
    advice,
    details,
    measured,
    serverVersion: ctx.serverVersion,
  };
}

/** A report for a gateway without the RPC (2026.3.x, 2026.4.x). */
export function unsupportedVersionReport(ctx: ReportContext, details: string[] = []): ProfileReport {
  const runs = ctx.serverVersion ? ` (${ctx.gateway} runs OpenClaw ${ctx.serverVersion})` : '';
  return failed(
    ctx,
    'unsupported-version',
    `Profiling the gateway ${NEEDS_VERSION_TEXT}${runs}: this version cannot capture a ${PROFILE_NOUNS[ctx.kind]}.`,
    `Upgrade the gateway to OpenClaw ${PROFILE_MIN_VERSION} or later. Until then, its health and diagnostics.stability show what it records.`,
    [`${PROFILE_METHODS[ctx.kind]} is not among the methods this gateway offers`, ...details],
  );
}

/** A failed request or connection, in an operator's words. */
export function failureReport(ctx: ReportContext, err: unknown, wallMs?: number): ProfileReport {
  const noun = PROFILE_NOUNS[ctx.kind];
  const measured = wallMs === undefined ? undefined : { requestedMs: ctx.requestedMs, wallMs };
  if (!(err instanceof GatewayRequestError)) {
    const text = (err as Error)?.message ?? String(err);
    return failed(ctx, 'failed', `The ${noun} of ${ctx.gateway} failed: ${text}.`, undefined, [text], measured);
  }
  const said = `${err.method} → ${err.code}${err.detailCode ? `/${err.detailCode}` : ''}: ${err.message}`;
  const details = [said];
  if (err.code === 'CANCELLED')
    return failed(
      ctx,
      'cancelled',
      `Cancelled: no ${noun} was saved. The gateway stops a capture when its caller disconnects.`,
      undefined,
      details,
      measured,
    );
  if (err.method === 'connect') {
    if (err.problem.kind === 'pairing-required')
      return failed(
        ctx,
        'needs-pairing',
        `The gateway ${ctx.gateway} has not approved Lanewatch's device for operator.admin, which profiling needs.`,
        `On the gateway host run "openclaw devices list" (the request shows the access it asks for), then "openclaw devices approve ${err.problem.requestId ?? '<requestId>'}".`,
        details,
      );
    // Any other connection problem: its own words and advice (token, URL, certificate…).
    return {
      ...failed(
        ctx,
        'failed',
        `Could not connect to ${ctx.gateway} to profile it: ${err.problem.summary}.`,
        err.problem.advice,
        details,
      ),
      problem: err.problem,
    };
  }
  if (err.problem.kind === 'missing-scope')
    return failed(
      ctx,
      'missing-scope',
      `The gateway refused the ${noun}: this connection to ${ctx.gateway} was not granted operator.admin, which profiling needs.`,
      `Approve the admin scope for Lanewatch's device on the gateway host: "openclaw devices list" shows its pending request (requested next to approved access), "openclaw devices approve <requestId>" grants it. A gateway token configured for Lanewatch (its openclaw.json gateway.auth.token) connects as the owner.`,
      details,
      measured,
    );
  if (err.code === 'INVALID_REQUEST' && /unknown method/i.test(err.message))
    return unsupportedVersionReport(ctx, details);
  if (err.code === 'TIMEOUT')
    return failed(
      ctx,
      'timeout',
      `${ctx.gateway} did not answer the ${noun} within ${seconds(wallMs ?? 0)} (${seconds(ctx.requestedMs)} of sampling asked for): its event loop may be blocked. Nothing was saved.`,
      'Try again; if it keeps happening the gateway is stalled: its health and logs say more, and restarting it frees it.',
      details,
      measured,
    );
  const reason =
    typeof (err.details as { reason?: unknown })?.reason === 'string'
      ? (err.details as { reason: string }).reason
      : undefined;
  const cleanupFailed = (err.details as { cleanupFailed?: unknown })?.cleanupFailed === true;
  if (err.code === 'UNAVAILABLE' && reason) {
    switch (reason) {
      case 'busy':
        return failed(
          ctx,
          'busy',
          `${ctx.gateway} is already capturing a profile (one at a time: a CPU or heap capture by someone else, or one just cancelled still cleaning up).`,
          'Try again in a few seconds.',
          details,
          measured,
        );
      case 'cleanup-failed':
        return failed(
          ctx,
          'failed',
          `${ctx.gateway} refuses profiles since an earlier capture could not be cleaned up.`,
          'Restart the gateway to profile it again.',
          details,
          measured,
        );
      case 'conflict':
      case 'tracing-active':
        return failed(
          ctx,
          'conflict',
          reason === 'tracing-active'
            ? `${ctx.gateway} refused the ${noun}: Node tracing is active in the gateway process.`
            : `${ctx.gateway} refused the ${noun}: the gateway process runs with an inspector, profiler or coverage option (--inspect, --cpu-prof, NODE_V8_COVERAGE…) that owns the profiler.`,
          reason === 'tracing-active'
            ? 'Stop the tracing (trace-event categories), then try again.'
            : 'Start the gateway without --inspect/--prof/--cpu-prof/--heap-prof or coverage options (check NODE_OPTIONS), then try again.',
          details,
          measured,
        );
      case 'unsupported':
        return failed(
          ctx,
          'unsupported-runtime',
          `${ctx.gateway} cannot profile itself: it does not run on Node (the RPC is Node-only).`,
          undefined,
          details,
          measured,
        );
      case 'profile-too-large':
        return failed(
          ctx,
          'too-large',
          `The ${noun} of ${ctx.gateway} was larger than the gateway's 1 MiB limit, so it sent none.`,
          'Try again when the gateway is less busy (fewer distinct call paths).',
          details,
          measured,
        );
      case 'cancelled':
        return failed(
          ctx,
          'cancelled',
          `The gateway cancelled the capture: no ${noun} was saved.`,
          undefined,
          details,
          measured,
        );
      case 'invalid-profile':
        return failed(
          ctx,
          'invalid-profile',
          `The gateway could not produce a valid ${noun}.`,
          'Try again.',
          details,
          measured,
        );
    }
    return failed(
      ctx,
      'failed',
      `${ctx.gateway} could not capture the ${noun} (${reason}${cleanupFailed ? ', and its cleanup failed' : ''}).`,
      cleanupFailed ? 'Further captures are refused until the gateway restarts.' : 'Try again.',
      details,
      measured,
    );
  }
  return failed(
    ctx,
    'failed',
    `The ${noun} of ${ctx.gateway} failed: ${err.problem.summary}.`,
    err.problem.advice,
    details,
    measured,
  );
}

export interface CaptureOptions extends ProfileRequest {
  /** The gateway's name, in the report's words. */
  gateway: string;
  /** The usual request timeout: the RPC is given the capture's duration plus this for its answer. */
  answerTimeoutMs?: number;
  /** Progress lines ("sampling 5 s…", "writing…"). */
  progress?: (message: string) => void;
}

/**
 * Captures on a connected connection (which needs operator.admin) and writes the file. Never throws for a gateway or
 * connection failure: the report says it.
 */
export async function captureProfileOn(connection: GatewayConnection, o: CaptureOptions): Promise<ProfileReport> {
  const requestedMs = profileDurationMs(o.kind, o.durationSeconds);
  const hello = connection.snapshot().hello;
  const ctx: ReportContext = { gateway: o.gateway, kind: o.kind, serverVersion: hello?.serverVersion, requestedMs };
  const bad = profileDurationProblem(o.kind, o.durationSeconds);
  if (bad) throw new RangeError(bad);
  if (gatewayOffersProfile(hello, o.kind) === false) return unsupportedVersionReport(ctx);
  const method = PROFILE_METHODS[o.kind];
  const params =
    o.kind === 'cpu'
      ? {}
      : {
          durationMs: requestedMs,
          ...(o.samplingIntervalBytes !== undefined ? { samplingIntervalBytes: o.samplingIntervalBytes } : {}),
        };
  const timeoutMs = requestedMs + (o.answerTimeoutMs ?? DEFAULT_ANSWER_MARGIN_MS);
  o.progress?.(`sampling for ${seconds(requestedMs)}…`);
  const started = performance.now();
  let result: Record<string, unknown>;
  try {
    result = await connection.request<Record<string, unknown>>(method, params, { timeoutMs, signal: o.signal });
  } catch (err) {
    return failureReport(ctx, err, Math.round(performance.now() - started));
  }
  const wallMs = Math.round(performance.now() - started);
  const base = [`${method} ${JSON.stringify(params)} answered in ${wallMs} ms (request timeout ${seconds(timeoutMs)})`];
  if (o.signal?.aborted) return failureReport(ctx, GatewayRequestError.local(method, 'CANCELLED', 'cancelled'), wallMs);
  const measured: ProfileMeasurement = {
    requestedMs,
    wallMs,
    ...(isNum(result?.redactedNodeCount) ? { redactedNodeCount: result.redactedNodeCount } : {}),
  };
  let body: unknown;
  let file = o.file;
  let note = '';
  const invalidProfile = (what: string, why: string) =>
    failed(
      ctx,
      'invalid-profile',
      `${o.gateway} answered, but not with a usable ${what} (${why}). Nothing was saved.`,
      'Try again; if it repeats, report it to OpenClaw with the gateway version.',
      base,
      measured,
    );
  if (o.kind === 'cpu') {
    const why = cpuProfileProblem(result?.profile);
    if (why) return invalidProfile('CPU profile', why);
    const p = result.profile as { nodes: unknown[]; samples: unknown[] };
    body = result.profile;
    measured.capturedMs = isNum(result.actualDurationMs) ? Math.round(result.actualDurationMs) : undefined;
    measured.nodes = p.nodes.length;
    measured.samples = p.samples.length;
  } else {
    if (result?.profile === undefined && Array.isArray(result?.summary)) {
      // Larger than 1 MiB: the gateway sent its top allocation sites instead of the tree. Kept as JSON, said so.
      body = { note: 'diagnostics.heapProfile summary (the full profile exceeded 1 MiB)', ...result };
      file = o.file.replace(/\.heapprofile$/i, '') + '.heap-summary.json';
      note =
        ' The full tree was larger than the gateway’s 1 MiB limit, so it sent its top allocation sites instead (not a .heapprofile; open it as JSON).';
    } else {
      const why = heapProfileProblem(result?.profile);
      if (why) return invalidProfile('heap profile', why);
      const p = result.profile as { head: unknown; samples?: unknown[] };
      body = result.profile;
      measured.nodes = countHeapNodes(p.head);
      measured.samples = p.samples?.length ?? 0;
    }
    measured.capturedMs = isNum(result.durationMs) ? Math.round(result.durationMs) : undefined;
    for (const k of ['heapUsedBefore', 'heapUsedAfter', 'rssBefore', 'rssAfter'] as const)
      if (isNum(result[k])) measured[k] = result[k];
  }
  const text = JSON.stringify(body);
  o.progress?.('writing the file…');
  try {
    await writeWhole(file, text, o.signal);
  } catch (err) {
    if (o.signal?.aborted)
      return failureReport(ctx, GatewayRequestError.local(method, 'CANCELLED', 'cancelled while writing'), wallMs);
    const why = (err as Error)?.message ?? String(err);
    return failed(
      ctx,
      'write-failed',
      `The ${PROFILE_NOUNS[o.kind]} of ${o.gateway} was captured but could not be written to ${file}: ${why}.`,
      'Choose another place (a folder you can write to).',
      [...base, why],
      measured,
    );
  }
  measured.bytes = Buffer.byteLength(text);
  const what =
    o.kind === 'cpu'
      ? `${measured.samples} samples over ${seconds(measured.capturedMs ?? requestedMs)}`
      : `${measured.samples} sampled allocations over ${seconds(measured.capturedMs ?? requestedMs)}${measured.heapUsedAfter !== undefined ? `, heap ${mb(measured.heapUsedBefore ?? 0)} → ${mb(measured.heapUsedAfter)}, RSS ${mb(measured.rssAfter ?? 0)}` : ''}`;
  const details = [
    ...base,
    `sampled ${seconds(measured.capturedMs ?? 0)} (asked ${seconds(requestedMs)}); ${measured.nodes} call-tree nodes, ${measured.samples} samples${measured.redactedNodeCount ? `, ${measured.redactedNodeCount} frames redacted by the gateway` : ''}; ${measured.bytes} bytes written`,
  ];
  return {
    ok: true,
    outcomeClass: 'ok',
    gateway: o.gateway,
    profile: o.kind,
    file,
    summary: `${PROFILE_NOUNS[o.kind][0].toUpperCase()}${PROFILE_NOUNS[o.kind].slice(1)} of ${o.gateway} saved (${what}): ${file}.${note}`,
    details,
    measured,
    serverVersion: ctx.serverVersion,
  };
}

export interface ProfileHost {
  conns: OperatorConnections;
  config: GatewayConfig;
  audit?: AuditTrail;
}

/**
 * Opens an admin connection to the gateway (the actions' one factory), captures, writes the file, closes it, and
 * records the outcome in the audit trail. Cancelling `request.signal` closes the connection (the gateway stops the
 * capture) and nothing is written.
 */
export async function captureGatewayProfile(
  host: ProfileHost,
  request: ProfileRequest & { progress?: (message: string) => void },
): Promise<ProfileReport> {
  const kind = request.kind;
  const ctx: ReportContext = {
    gateway: host.config.name,
    kind,
    requestedMs: profileDurationMs(kind, request.durationSeconds),
  };
  const bad = profileDurationProblem(kind, request.durationSeconds);
  if (bad) throw new RangeError(bad);
  let report: ProfileReport;
  try {
    report = await host.conns.run(
      host.config,
      PROFILE_SCOPES,
      { purpose: `${kind} profile`, signal: request.signal },
      (_api, connection) =>
        captureProfileOn(connection, {
          ...request,
          gateway: host.config.name,
          answerTimeoutMs: host.conns.requestTimeoutMs,
        }),
    );
  } catch (err) {
    report = failureReport(ctx, err);
  }
  host.conns.log(
    host.config,
    report.ok ? 'info' : 'warn',
    `${kind} profile: ${report.summary} ${report.details.join('; ')}`,
  );
  host.audit?.record({
    gateway: host.config.name,
    call: PROFILE_METHODS[kind],
    outcome: report.ok ? 'saved' : (report.failure ?? 'failed'),
    detail: report.ok ? report.file : report.summary,
  });
  return report;
}
