// Lane status of one session, derived from facts and never guessed. Every status carries the facts that
// produced it and the rule that applied, so the UI can say *why* a session is shown as stuck or stale.
//
// Facts used, by strength:
//   protocol 4 rows: hasActiveRun / activeRunIds (authoritative for "is a run active"), status, startedAt
//   events on this socket: agent lifecycle start/end, chat final/aborted/error (RunTracker)
//   gateway diagnostics (log lines): long-running / stalled / stuck session, lane wait exceeded
//   chat.history pendingInputs (queued work behind a run)
//   silence: a run this socket watches that sends no event for `noProgressMs` (Lanewatch's own signal, "no progress")
import type { SessionRowView } from '../gateway';
import type { RunEnd, TrackedRun } from './runTracker';

export type LaneState =
  'stuck' | 'stalled' | 'no-progress' | 'long-running' | 'stale' | 'running' | 'queued' | 'idle' | 'unknown';

/** Most urgent first: the tree sorts by this. */
export const LANE_STATE_ORDER: readonly LaneState[] = [
  'stuck',
  'stalled',
  'stale',
  'no-progress',
  'long-running',
  'running',
  'queued',
  'unknown',
  'idle',
];

export interface LaneFact {
  rule: string;
  text: string;
}

export interface DiagnosticSighting {
  kind: 'long-running' | 'stalled' | 'stuck';
  at: number;
  message: string;
  fields: Record<string, string>;
}

/**
 * The gateway's own stuck-session recovery, from its `stuck session recovery outcome: status=… action=… released=N
 * laneActive=N` line (openclaw 2026.5+). The field's worst outages were this reporting success while freeing nothing.
 */
export interface GatewayRecoverySighting {
  at: number;
  /** released, aborted, skipped, failed, … as the gateway says. */
  status: string;
  action?: string;
  reason?: string;
  /** How many lane entries the recovery released (0: nothing). */
  released?: number;
  /** Active entries left on the lane, as the gateway counted them after its recovery. */
  laneActive?: number;
  error?: string;
  message: string;
}

export interface LaneWaitSighting {
  at: number;
  waitedMs?: number;
  queueAhead?: number;
  activeAhead?: number;
  message: string;
}

export interface SessionEvidence {
  now: number;
  /**
   * A running run that sends no event (no delta, tool call or lifecycle event) for this long reads "no progress"
   * (Lanewatch's own signal; the gateway's own stalled/stuck lines win when present). undefined or 0: off.
   */
  noProgressMs?: number;
  connected: boolean;
  /** Why not connected, or which scope is missing. */
  unavailableReason?: string;
  protocol?: number;
  serverVersion?: string;
  /** When the socket that produced `trackedRuns` connected. */
  connectedAt?: number;
  /**
   * When this watcher first saw the row report an active run (cleared when it stops). A row turns active seconds
   * before the run's first event reaches the socket (2026.9.6: ~4 s for a parent's turn after its subagent's result),
   * so with no event seen yet the run is quiet since then, not since the connect.
   */
  activeSince?: number;
  /** When the gateway process started (hello-ok uptimeMs): no run survives a restart. */
  gatewayStartedAt?: number;
  /**
   * Protocol 3: a run seen starting that sends no event for this long is taken as ended (2026.4.x's LLM idle
   * watchdog ends runs without any event). undefined: silence proves nothing (2026.3.x hangs for up to 48 h).
   */
  runExpiryMs?: number;
  row?: SessionRowView;
  trackedRuns: readonly TrackedRun[];
  lastRunEnd?: RunEnd;
  /** Queued inputs from chat.history (undefined: not fetched). */
  pendingInputs?: number;
  diagnostic?: DiagnosticSighting;
  laneWait?: LaneWaitSighting;
  /** The gateway's own last stuck-session recovery of this session. */
  gatewayRecovery?: GatewayRecoverySighting;
  /** Protocol 3: the last message of the transcript (chat.history), read for rows that say "running". */
  transcriptTail?: TranscriptTail;
  /**
   * The watcher's row of another session (2026.9.x: a row's `childSessions` are its subagents; a parent whose turn
   * ended in sessions_yield keeps status "running" with no run of its own while they work).
   */
  childRow?: (key: string) => SessionRowView | undefined;
}

export interface TranscriptTail {
  role: string;
  at?: number;
  stopReason?: string;
  error?: string;
}

export interface LaneStatus {
  state: LaneState;
  /** false: "running (unverified)": the row says running but no live signal was seen by this socket. */
  verified: boolean;
  runId?: string;
  startedAt?: number;
  queued: number;
  /** The last run's outcome, shown as a badge (not a lane state). */
  outcome?: 'failed' | 'timeout' | 'killed';
  diagnostic?: DiagnosticSighting;
  laneWait?: LaneWaitSighting;
  /** The last sign of progress this socket has of the running run: its last event, or the connect if it saw none. */
  quietSince?: number;
  /** When a run still quiet then turns "no progress" (for views and timers; undefined: not running, or the signal is off). */
  noProgressAt?: number;
  /** When this status changes by time alone for another reason (a subagent's result not handed back in time). */
  changesAt?: number;
  /** The gateway's own recent recovery of this session, and whether it claimed to free a lane that is still held. */
  gatewayRecovery?: GatewayRecoverySighting & { ineffective: boolean };
  /**
   * 2026.9.x: the session's turn ended in sessions_yield and it waits for these subagents (its `childSessions` whose
   * own rows report an active run, or that wait in turn on an active subagent of their own); its row keeps status
   * "running" meanwhile. Its own lane is free (state idle).
   */
  waitingOn?: string[];
  /**
   * For each of `waitingOn`, in the same order: the chain from it down to the session whose run is active, e.g.
   * [C, G] when the subagent C yielded in turn and waits for its own subagent G; [C] when C's own run is active.
   */
  waitingChains?: string[][];
  facts: LaneFact[];
}

/** A state as a person reads it in counts: "no progress", "long-running". */
export const laneStateWords = (state: LaneState): string => (state === 'no-progress' ? 'no progress' : state);

/** States in which a run holds the lane. */
export const BUSY_LANE_STATES: ReadonlySet<LaneState> = new Set([
  'running',
  'no-progress',
  'long-running',
  'stalled',
  'stuck',
]);
export const isBusyLane = (state: LaneState): boolean => BUSY_LANE_STATES.has(state);

/** Default of lanewatch.noProgressSeconds: half the gateway's own stuck-session warning (120 s on 2026.9.x). */
export const DEFAULT_NO_PROGRESS_MS = 60_000;

/** lanewatch.noProgressSeconds as milliseconds: 0 turns the signal off; anything but a number ≥ 0 is the default. */
export function noProgressFromSeconds(seconds: unknown): number {
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
    ? Math.min(seconds, 86_400) * 1000
    : DEFAULT_NO_PROGRESS_MS;
}

/** A diagnostic is about the current run only if it was logged after the run started and is recent. */
export const DIAGNOSTIC_FRESH_MS = 10 * 60_000;
/** A lane-wait line is evidence of queued work for this long. */
export const LANE_WAIT_FRESH_MS = 5 * 60_000;
/** A run tracked from events with no event at all for this long is no longer trusted (4.26 ends runs silently). */
export const RUN_SILENCE_MS = 15 * 60_000;

const OUTCOMES = new Set(['failed', 'timeout', 'killed']);

function freshDiagnostic(ev: SessionEvidence, runStartedAt: number | undefined): DiagnosticSighting | undefined {
  const d = ev.diagnostic;
  if (!d || ev.now - d.at > DIAGNOSTIC_FRESH_MS) return undefined;
  if (runStartedAt !== undefined && d.at < runStartedAt - 1_000) return undefined;
  if (ev.lastRunEnd && ev.lastRunEnd.at > d.at) return undefined;
  return d;
}

function queuedFrom(ev: SessionEvidence, diag: DiagnosticSighting | undefined, facts: LaneFact[]): number {
  if (ev.pendingInputs !== undefined) {
    if (ev.pendingInputs > 0)
      facts.push({
        rule: 'history.pendingInputs',
        text: `${ev.pendingInputs} input(s) queued (chat.history pendingInputs)`,
      });
    return ev.pendingInputs;
  }
  const depth = diag ? Number.parseInt(diag.fields.queueDepth ?? '', 10) : NaN;
  if (Number.isFinite(depth) && depth > 0) {
    facts.push({ rule: 'log.queueDepth', text: `queueDepth=${depth} in the last ${diag!.kind} line` });
    return depth;
  }
  return 0;
}

/**
 * A run that holds the lane and has sent this socket no event for noProgressMs: "no progress". Its last event, or the
 * connect when this socket has seen none of it (no progress seen since then, at least). A gateway diagnostic applied
 * after this wins (it knows more: the gateway's own progress tracking).
 */
function applyNoProgress(status: LaneStatus, ev: SessionEvidence, run: TrackedRun | undefined): void {
  const limit = ev.noProgressMs;
  const activeAfterConnect =
    ev.activeSince !== undefined && (ev.connectedAt === undefined || ev.activeSince > ev.connectedAt);
  const quietSince = run?.lastEventAt ?? (activeAfterConnect ? ev.activeSince : ev.connectedAt);
  if (!limit || limit <= 0 || quietSince === undefined) return;
  status.quietSince = quietSince;
  status.noProgressAt = quietSince + limit;
  if (ev.now < status.noProgressAt) return;
  status.state = 'no-progress';
  const quiet = Math.floor((ev.now - quietSince) / 1000);
  status.facts.push({
    rule: 'lanewatch.no-progress',
    text: run
      ? `no event of the run (no text, tool call or lifecycle event) for ${quiet} s; Lanewatch calls that "no progress" after ${Math.round(limit / 1000)} s (the setting lanewatch.noProgressSeconds; --no-progress-seconds for lanewatch serve and watch). A long tool call without output is quiet too`
      : `no event of the run since ${activeAfterConnect ? 'the gateway reported it active' : 'Lanewatch connected'} ${quiet} s ago; Lanewatch calls that "no progress" after ${Math.round(limit / 1000)} s (the setting lanewatch.noProgressSeconds; --no-progress-seconds for lanewatch serve and watch)`,
  });
}

function applyDiagnostic(status: LaneStatus, diag: DiagnosticSighting | undefined): void {
  if (!diag) return;
  status.diagnostic = diag;
  status.state = diag.kind;
  const f = diag.fields;
  status.facts.push({
    rule: `log.${diag.kind}`,
    text: `gateway logged "${diag.kind} session" ${f.age ? `at age ${f.age}` : ''}${f.reason ? `, reason ${f.reason}` : ''}${f.lastProgress ? `, last progress ${f.lastProgress}${f.lastProgressAge ? ` ${f.lastProgressAge} ago` : ''}` : ''}${f.recovery ? `, recovery ${f.recovery}` : ''}`.replace(
      /\s+,/g,
      ',',
    ),
  });
}

/** How long after the gateway's recovery a lane still held counts against it (its own abort and drain take a moment). */
export const GATEWAY_RECOVERY_SETTLE_MS = 5_000;

function recoveryWords(r: GatewayRecoverySighting): string {
  switch (r.status) {
    case 'released':
      return r.released === 0
        ? 'released nothing (released=0)'
        : `released the lane${r.released ? ` (${r.released})` : ''}`;
    case 'aborted':
      return 'aborted the run';
    case 'skipped':
      return `skipped it${r.reason ? ` (${r.reason})` : ''}`;
    case 'failed':
      return `failed${r.error ? ` (${r.error})` : ''}`;
    default:
      return `reported "${r.status}"`;
  }
}

/**
 * The gateway's own stuck-session recovery, as a fact; and when it claimed to free the session (released, aborted)
 * while a run still holds the lane once it had time to settle, "stuck" with the reason: its recovery freed nothing.
 */
function applyGatewayRecovery(status: LaneStatus, ev: SessionEvidence): LaneStatus {
  const r = ev.gatewayRecovery;
  if (!r || ev.now - r.at > DIAGNOSTIC_FRESH_MS) return status;
  // A run that started after the recovery is new work, not what the recovery was about.
  if (status.startedAt !== undefined && status.startedAt > r.at + 1_000) return status;
  const ago = Math.max(0, Math.round((ev.now - r.at) / 1000));
  const claimsFreed = (r.status === 'released' && r.released !== 0) || r.status === 'aborted';
  const freedNothing = r.status === 'released' && r.released === 0;
  const held = isBusyLane(status.state) && ev.now - r.at >= GATEWAY_RECOVERY_SETTLE_MS;
  const ineffective = held && (claimsFreed || freedNothing);
  status.gatewayRecovery = { ...r, ineffective };
  status.facts.push({
    rule: 'log.recovery-outcome',
    text: `the gateway's own stuck-session recovery ${recoveryWords(r)} ${ago} s ago${r.laneActive !== undefined ? `, leaving ${r.laneActive} active on the lane` : ''}`,
  });
  if (ineffective) {
    status.state = 'stuck';
    status.facts.push({
      rule: 'gateway.recovery-ineffective',
      text: claimsFreed
        ? `yet a run still holds this lane: the gateway's recovery reported success and freed nothing`
        : `and a run still holds this lane: the gateway's recovery freed nothing`,
    });
  }
  return status;
}

export function deriveLaneStatus(ev: SessionEvidence): LaneStatus {
  return applyGatewayRecovery(deriveFromEvidence(ev), ev);
}

function deriveFromEvidence(ev: SessionEvidence): LaneStatus {
  const facts: LaneFact[] = [];
  const base = (state: LaneState, verified = true): LaneStatus => ({ state, verified, queued: 0, facts });
  if (!ev.connected) {
    facts.push({ rule: 'connection', text: `no live data: ${ev.unavailableReason ?? 'gateway not connected'}` });
    return base('unknown');
  }
  const row = ev.row;
  if (!row) {
    facts.push({ rule: 'row.missing', text: "the session is not in the gateway's last session list" });
    return base('unknown');
  }
  const outcome =
    typeof row.status === 'string' && OUTCOMES.has(row.status) ? (row.status as LaneStatus['outcome']) : undefined;
  const live = ev.trackedRuns.filter((r) => ev.now - r.lastEventAt < RUN_SILENCE_MS);
  const laneWait = ev.laneWait && ev.now - ev.laneWait.at < LANE_WAIT_FRESH_MS ? ev.laneWait : undefined;
  if (laneWait)
    facts.push({
      rule: 'log.lane-wait',
      text: `lane wait exceeded: work waited ${laneWait.waitedMs ?? '?'} ms with ${laneWait.queueAhead ?? '?'} queued ahead before it started`,
    });

  // ---- protocol 4: the row says whether a run is active.
  if (typeof row.hasActiveRun === 'boolean') {
    const activeIds = Array.isArray(row.activeRunIds) ? (row.activeRunIds as string[]) : [];
    const active = row.hasActiveRun || activeIds.length > 0;
    if (active) {
      const status = base('running');
      // The run this socket saw start is the one whose age counts: a row's startedAt can still be the previous run's
      // for the first changes of a new run.
      const seen = live.find((r) => r.observedStart && (activeIds.length === 0 || activeIds.includes(r.runId)));
      status.runId = seen?.runId ?? activeIds[0] ?? live[0]?.runId;
      status.startedAt = seen?.startedAt ?? (typeof row.startedAt === 'number' ? row.startedAt : live[0]?.startedAt);
      facts.unshift({
        rule: 'p4.hasActiveRun',
        text: `the gateway reports an active run${status.runId ? ` (${status.runId})` : ''}`,
      });
      const diag = freshDiagnostic(ev, status.startedAt);
      status.queued = queuedFrom(ev, diag, facts);
      applyNoProgress(status, ev, seen ?? live.find((r) => r.runId === status.runId));
      applyDiagnostic(status, diag);
      status.laneWait = laneWait;
      return status;
    }
    // A yielded subagent that waits in turn on its own subagents: 2026.9.6 lists it with no status at all (measured).
    const yieldedShape = row.status === 'running' || row.status === undefined;
    const chains = yieldedShape ? activeChildren(row, ev) : [];
    if (chains.length) {
      // A turn that ends in sessions_yield is not terminal for the gateway: the row stays "running" with no run while
      // its subagents work, and the parent's next turn starts when they settle (concepts/subagent-yield-handoff). A
      // subagent that yielded in turn holds it as long as its own subagents work: "active descendants ... still hold
      // the wake" (same page).
      const status = base('idle');
      status.waitingOn = chains.map((c) => c[0]);
      status.waitingChains = chains;
      status.queued = queuedFrom(ev, undefined, facts);
      if (status.queued > 0) status.state = 'queued';
      const rowWords =
        row.status === 'running' ? 'the row stays "running"' : 'the gateway lists the row with no status';
      facts.unshift({
        rule: 'p4.waiting-on-subagent',
        text:
          chains[0].length > 1
            ? `no run of its own: its turn ended waiting for its subagents (sessions_yield); ${rowWords} while they work: ${chainWords(chains[0])}${chains.length > 1 ? ` (and ${chains.length - 1} more of its subagents hold it)` : ''}`
            : `no run of its own: its turn ended waiting for its subagents (sessions_yield); ${rowWords} while ${chains.length === 1 ? 'a subagent of it has' : `${chains.length} subagents of it have`} an active run`,
      });
      return status;
    }
    if (row.status === 'running') {
      const handback = endedChild(row, ev);
      if (handback && ev.now - handback.endedAt < SUBAGENT_HANDBACK_MS) {
        // The subagent it waited on has ended (done, or aborted by a recovery) and the gateway has not yet handed its
        // result back: the parent's next turn starts when it does (2026.9.6: 33-66 s after an abort, measured). Not a
        // zombie yet; past the grace it is one. Nested: the subagent of a subagent that yielded in turn has ended, and
        // its result goes up one level at a time (tools/subagents/nesting.md, "Announce chain").
        const status = base('idle');
        status.waitingOn = [handback.chain[0]];
        status.waitingChains = [handback.chain];
        status.changesAt = handback.endedAt + SUBAGENT_HANDBACK_MS;
        status.queued = queuedFrom(ev, undefined, facts);
        if (status.queued > 0) status.state = 'queued';
        const ago = Math.round((ev.now - handback.endedAt) / 1000);
        const [first, ...below] = handback.chain;
        facts.unshift({
          rule: 'p4.awaiting-subagent-result',
          text: below.length
            ? `no run of its own: its subagent ${first} waits in turn, and ${below.length === 1 ? `its own subagent ${below[0]}` : `a subagent below it (${below.join(' → ')})`} ended ${ago} s ago; the gateway hands results back one level at a time and has not yet started this session's next turn; after ${SUBAGENT_HANDBACK_MS / 1000} s without it, the row is a zombie`
            : `no run of its own: the subagent it waited on ended ${ago} s ago and the gateway has not yet handed its result back (that starts this session's next turn); after ${SUBAGENT_HANDBACK_MS / 1000} s without it, the row is a zombie`,
        });
        return status;
      }
      const status = base('stale');
      if (row.hasActiveSubagentRun === true)
        facts.push({
          rule: 'p4.subagent-unlisted',
          text: 'the row also says a subagent of it is still active (hasActiveSubagentRun), but none of the subagents it lists (childSessions) has an active run in the session list',
        });
      facts.unshift({
        rule: 'p4.stale',
        text: 'the row still says status "running" but the gateway reports no active run: nothing holds this lane (a zombie row)',
      });
      status.startedAt = typeof row.startedAt === 'number' ? row.startedAt : undefined;
      return status;
    }
    const status = base('idle');
    status.outcome = outcome;
    status.queued = queuedFrom(ev, undefined, facts);
    // Not a fresh lane-wait line: the gateway logs it as the waiting work *starts* (command queue, on dequeue), so it
    // tells of a wait that is over; on an idle row that work has started and ended since.
    if (status.queued > 0 || row.status === 'queued') status.state = 'queued';
    status.laneWait = laneWait;
    facts.unshift(
      row.status === 'queued'
        ? { rule: 'p4.row-queued', text: "the gateway reports the session's work as queued (waiting for a lane)" }
        : { rule: 'p4.idle', text: `no active run${row.status ? `; last run ${row.status}` : ''}` },
    );
    return status;
  }

  // ---- protocol 3 (2026.3.x/2026.4.x): rows keep status "running" after aborts, timeouts, resets and restarts.
  const status = deriveProtocol3(ev, row, live, laneWait, outcome);
  status.facts.push({
    rule: 'p3.version',
    text: `openclaw ${ev.serverVersion ?? '?'} speaks protocol 3: its rows keep status "running" after aborts, timeouts, resets and restarts, so the status comes from run events seen live, gateway log lines and restarts${ev.runExpiryMs !== undefined ? `; a run silent for ${Math.round(ev.runExpiryMs / 1000)} s counts as ended (this version's LLM idle watchdog ends runs without an event)` : '; silence proves nothing on this version (a hung model call is never timed out)'}`,
  });
  return status;
}

/** Rows looked at to find what a session waits on, over the whole walk down its subagents (a fan-out of hundreds). */
const MAX_CHILDREN_CHECKED = 1_000;
/** How far down a chain of yielded subagents is followed: the gateway's own maxSpawnDepth is at most 5 (default 5). */
export const MAX_WAIT_DEPTH = 5;
/** How long a parent whose subagent ended may wait for the gateway to hand the result back before it reads stale. */
export const SUBAGENT_HANDBACK_MS = 120_000;

/** One walk down a session's subagents: rows it may still look at, and those seen (a cycle of rows ends there). */
interface Walk {
  left: number;
  seen: Set<string>;
}

const newWalk = (row: SessionRowView): Walk => ({ left: MAX_CHILDREN_CHECKED, seen: new Set([row.key]) });

/** The keys a row lists as its subagents (childSessions). */
const childKeys = (row: SessionRowView): string[] =>
  Array.isArray(row.childSessions) ? row.childSessions.filter((k): k is string => typeof k === 'string') : [];

/** The next row of the walk, or undefined when it is spent, the key was seen (a cycle), or the row is not listed. */
function visit(key: string, ev: SessionEvidence, walk: Walk): SessionRowView | undefined {
  if (walk.left <= 0 || walk.seen.has(key)) return undefined;
  walk.seen.add(key);
  walk.left--;
  return ev.childRow?.(key);
}

const hasOwnRun = (row: SessionRowView): boolean =>
  row.hasActiveRun === true || (Array.isArray(row.activeRunIds) && row.activeRunIds.length > 0);

/**
 * The chain from the subagent `key` down to a session whose own run is active: [key] when its own run is, else
 * [key, …] through a subagent of it that holds in turn (it yielded too), at most `depth` levels; undefined when
 * nothing below it runs.
 */
function activeChain(key: string, ev: SessionEvidence, walk: Walk, depth: number): string[] | undefined {
  const row = visit(key, ev, walk);
  if (!row) return undefined;
  if (hasOwnRun(row)) return [key];
  if (depth <= 1) return undefined;
  for (const child of childKeys(row)) {
    const below = activeChain(child, ev, walk, depth - 1);
    if (below) return [key, ...below];
  }
  return undefined;
}

/** The subagents of `row` that hold it (an active run of their own or below them), each with its chain; bounded. */
function activeChildren(row: SessionRowView, ev: SessionEvidence): string[][] {
  if (!ev.childRow) return [];
  const walk = newWalk(row);
  const held: string[][] = [];
  for (const key of childKeys(row)) {
    const chain = activeChain(key, ev, walk, MAX_WAIT_DEPTH);
    if (chain) held.push(chain);
  }
  return held;
}

/**
 * "its subagent C has no run of its own either and waits in turn for its own subagent G, which has an active run"
 * (keys here; the family's fact names them by label).
 */
function chainWords(chain: readonly string[]): string {
  const [first, ...below] = chain;
  return `its subagent ${first} has no run of its own either and waits in turn for ${below.map((k) => `its own subagent ${k}`).join(', which waits for ')}, which has an active run`;
}

/**
 * When a subagent's row, or one of the rows below it, last ended (its row no longer runs), with the chain down to that
 * one; a yielded subagent hands its own subagent's result up when it gets it, so the latest end below counts.
 */
function lastEnd(
  key: string,
  ev: SessionEvidence,
  walk: Walk,
  depth: number,
): { chain: string[]; endedAt: number } | undefined {
  const row = visit(key, ev, walk);
  if (!row) return undefined;
  const at =
    row.status === 'running'
      ? undefined
      : typeof row.endedAt === 'number'
        ? row.endedAt
        : typeof row.updatedAt === 'number'
          ? row.updatedAt
          : undefined;
  let last = at !== undefined ? { chain: [key], endedAt: at } : undefined;
  if (depth > 1)
    for (const child of childKeys(row)) {
      const below = lastEnd(child, ev, walk, depth - 1);
      if (below && (!last || below.endedAt > last.endedAt))
        last = { chain: [key, ...below.chain], endedAt: below.endedAt };
    }
  return last;
}

/** The subagent of `row` whose row (or one below it) ended last, with when; undefined when none is listed. */
function endedChild(row: SessionRowView, ev: SessionEvidence): { chain: string[]; endedAt: number } | undefined {
  if (!ev.childRow) return undefined;
  const walk = newWalk(row);
  let last: { chain: string[]; endedAt: number } | undefined;
  for (const key of childKeys(row)) {
    const ended = lastEnd(key, ev, walk, MAX_WAIT_DEPTH);
    if (ended && (!last || ended.endedAt > last.endedAt)) last = ended;
  }
  return last;
}

function deriveProtocol3(
  ev: SessionEvidence,
  row: SessionRowView,
  liveRuns: readonly TrackedRun[],
  laneWait: LaneWaitSighting | undefined,
  outcome: LaneStatus['outcome'],
): LaneStatus {
  const facts: LaneFact[] = [];
  const base = (state: LaneState, verified = true): LaneStatus => ({ state, verified, queued: 0, facts });
  if (laneWait)
    facts.push({
      rule: 'log.lane-wait',
      text: `lane wait exceeded: waited ${laneWait.waitedMs ?? '?'} ms with ${laneWait.queueAhead ?? '?'} queued ahead`,
    });
  const expiry = ev.runExpiryMs;
  const live = expiry === undefined ? liveRuns : liveRuns.filter((r) => ev.now - r.lastEventAt < expiry);
  const observed = live.find((r) => r.observedStart);
  if (observed || live.length) {
    const run = observed ?? live[0];
    const status = base('running', !!observed);
    status.runId = run.runId;
    status.startedAt = run.startedAt;
    facts.unshift(
      observed
        ? { rule: 'p3.events', text: `this connection saw the run start (${run.runId}) and no end yet` }
        : {
            rule: 'p3.output',
            text: `output events arrive for run ${run.runId}, whose start this connection did not see`,
          },
    );
    const diag = freshDiagnostic(ev, undefined);
    status.queued = queuedFrom(ev, diag, facts);
    if (observed) applyNoProgress(status, ev, run);
    applyDiagnostic(status, diag);
    status.laneWait = laneWait;
    return status;
  }
  const silent = ev.trackedRuns.find((r) => r.observedStart);
  if (silent && expiry !== undefined) {
    // 2026.4.x: its LLM idle watchdog ends a run whose model stops answering (after one retry) without any event.
    const silentFor = ev.now - silent.lastEventAt;
    const processing = freshDiagnostic(ev, silent.lastEventAt);
    if (processing)
      return unverifiedRun(ev, silent, facts, processing, {
        rule: 'p3.expired+log',
        text: `run ${silent.runId} sent no event for ${Math.round(silentFor / 1000)} s, but the gateway still logs "${processing.kind} session" for it: it is still being processed`,
      });
    const status = base(row.status === 'running' ? 'stale' : 'idle');
    status.startedAt = silent.startedAt;
    status.outcome = outcome;
    facts.unshift({
      rule: 'p3.expired',
      text: `run ${silent.runId} was seen starting but has sent no event for ${Math.round(silentFor / 1000)} s (expiry ${Math.round(expiry / 1000)} s): openclaw ${ev.serverVersion ?? ''} ends such runs with its LLM idle watchdog without any event, so it is taken as ended${row.status === 'running' ? '; the row\'s "running" is stale' : ''}`,
    });
    return status;
  }
  if (silent) {
    // Seen starting, then nothing for a long time: 3.24 hangs silently for hours, 4.26 ends runs without an event.
    return unverifiedRun(ev, silent, facts, freshDiagnostic(ev, undefined), {
      rule: 'p3.silent',
      text: `run ${silent.runId} was seen starting but has sent no event for ${Math.round((ev.now - silent.lastEventAt) / 60_000)} min: it may be hung, or may have ended without an event`,
    });
  }
  const stuck = freshDiagnostic(ev, undefined);
  if (row.status === 'running') {
    const startedAt = typeof row.startedAt === 'number' ? row.startedAt : undefined;
    if (
      startedAt !== undefined &&
      ev.gatewayStartedAt !== undefined &&
      startedAt < ev.gatewayStartedAt - 1_000 &&
      !(stuck && stuck.at >= ev.gatewayStartedAt)
    ) {
      const status = base('stale');
      status.startedAt = startedAt;
      facts.unshift({
        rule: 'p3.restarted',
        text: `the row says "running" since ${new Date(startedAt).toISOString()}, but the gateway process started after that (${new Date(ev.gatewayStartedAt).toISOString()}): no run survives a restart, so nothing holds this lane`,
      });
      return status;
    }
    if (stuck) {
      const status = base('running', false);
      status.startedAt = startedAt;
      facts.unshift({
        rule: 'p3.row-running+log',
        text: 'the row says running and the gateway still logs diagnostics for it',
      });
      status.queued = queuedFrom(ev, stuck, facts);
      applyDiagnostic(status, stuck);
      return status;
    }
    const endedWhileWatching = ev.lastRunEnd && startedAt !== undefined && ev.lastRunEnd.at >= startedAt;
    const startedWhileWatching = ev.connectedAt !== undefined && startedAt !== undefined && startedAt >= ev.connectedAt;
    if (endedWhileWatching || startedWhileWatching) {
      const status = base('stale');
      status.startedAt = startedAt;
      facts.unshift({
        rule: 'p3.stale',
        text: endedWhileWatching
          ? `the row says "running" but its run ended (${ev.lastRunEnd!.outcome}) while Lanewatch watched, and nothing has run since`
          : 'the row says "running" but no run start was seen although Lanewatch was connected before it',
      });
      return status;
    }
    const tail = ev.transcriptTail;
    if (
      tail?.role === 'assistant' &&
      startedAt !== undefined &&
      (tail.at === undefined || tail.at >= startedAt - 5_000)
    ) {
      const status = base('stale');
      status.startedAt = startedAt;
      facts.unshift({
        rule: 'p3.transcript',
        text: `the row says "running", but the transcript already ends with the run's reply${tail.stopReason ? ` (stopReason ${tail.stopReason}${tail.error ? `: ${tail.error}` : ''})` : ''}: the run is over and nothing holds this lane`,
      });
      return status;
    }
    const status = base('running', false);
    status.startedAt = startedAt;
    facts.unshift({
      rule: 'p3.unverified',
      text: `openclaw ${ev.serverVersion ?? ''} (protocol 3) keeps "running" in rows after runs end; Lanewatch connected after this run started and has seen no event for it yet, so it cannot verify it`,
    });
    return status;
  }
  const status = base('idle');
  status.outcome = outcome;
  status.queued = queuedFrom(ev, undefined, facts);
  if (status.queued > 0 || laneWait) status.state = 'queued';
  status.laneWait = laneWait;
  facts.unshift({ rule: 'p3.idle', text: `no run seen${row.status ? `; row status ${row.status}` : ''}` });
  return status;
}

/** Protocol 3: a run seen starting that has gone silent, still counted as running but not verified. */
function unverifiedRun(
  ev: SessionEvidence,
  run: TrackedRun,
  facts: LaneFact[],
  diag: DiagnosticSighting | undefined,
  why: LaneFact,
): LaneStatus {
  const status: LaneStatus = { state: 'running', verified: false, queued: 0, facts, runId: run.runId };
  status.startedAt = run.startedAt;
  facts.unshift(why);
  status.queued = queuedFrom(ev, diag, facts);
  applyDiagnostic(status, diag);
  return status;
}

export function compareLaneStates(a: LaneState, b: LaneState): number {
  return LANE_STATE_ORDER.indexOf(a) - LANE_STATE_ORDER.indexOf(b);
}
