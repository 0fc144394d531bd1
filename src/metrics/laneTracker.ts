// The lane state of every session of every gateway, as `lanewatch serve` exports and notifies it: read from each
// watcher's typed LaneStatus (never from display text), kept live from the fleet's change events, and re-derived in
// full at each scrape (so a state that changes with time alone, e.g. a diagnostic going stale, is current when read).
//
// Bounded: only sessions that are not idle are held as records (state, since when, run start); every session key is
// held once in a set (to tell a new session from an idle one), and idle sessions are only counted. A gateway's
// sessions are tracked while its watcher has a complete read (isSynced); while it resyncs or is down, the last
// picture is kept as it was, and the changes it missed are reported once it has read everything again.
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { Emitter, type Disposable } from '../gateway/emitter';
import { compareLaneStates, LANE_STATE_ORDER, type LaneState, type LaneStatus } from '../lanes/laneStatus';
import { agentOfSession } from '../report/fleetReport';

/** A session that is not idle, as the tracker last saw it. */
export interface TrackedSession {
  key: string;
  agent?: string;
  state: LaneState;
  /** false: "running (unverified)", the row says running but nothing live was seen. */
  verified: boolean;
  /** When this process first saw the session in `state` (it cannot know earlier: after a restart this starts over). */
  since: number;
  /** When the run started, as the gateway or the run's own events say (running states). */
  runStartedAt?: number;
  /** Inputs queued behind the run. */
  queued: number;
}

/** A session's lane state changed, a session appeared in a state other than idle, or a tracked one disappeared. */
export interface LaneTransition {
  gateway: string;
  key: string;
  agent?: string;
  /** undefined: a session not seen before (`initial`: read with the gateway's first complete read). */
  from?: LaneState;
  /** undefined: the session is no longer listed by the gateway. */
  to?: LaneState;
  verified: boolean;
  initial: boolean;
  at: number;
}

/** One gateway's sessions at a scrape. */
export interface GatewayLanes {
  name: string;
  /** The watcher has read every row on its current connection (the picture below is live). */
  synced: boolean;
  /** Sessions per lane state (every state present, 0 included); undefined before the first complete read and while
   * the gateway is not connected. */
  counts?: Record<LaneState, number>;
  /** Sessions that are not idle, most urgent first (none while the gateway is not connected). */
  busy: TrackedSession[];
}

export interface TrackerFleet {
  gateways(): GatewayWatcher[];
  gateway(name: string): GatewayWatcher | undefined;
  onDidChange(listener: (c: { gateway?: string; what: string; keys?: string[] }) => void): Disposable;
}

interface GatewayState {
  known: Set<string>;
  busy: Map<string, TrackedSession>;
  counts?: Record<LaneState, number>;
  baselined: boolean;
}

const zeroCounts = (): Record<LaneState, number> =>
  Object.fromEntries(LANE_STATE_ORDER.map((s) => [s, 0])) as Record<LaneState, number>;

export class LaneTracker {
  private readonly byGateway = new Map<string, GatewayState>();
  private readonly transitions = new Emitter<LaneTransition>();
  readonly onTransition = this.transitions.on.bind(this.transitions);
  private readonly sub: Disposable;
  private readonly now: () => number;

  constructor(
    private readonly fleet: TrackerFleet,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.sub = fleet.onDidChange((c) => this.onChange(c));
  }

  /** Re-derives every session of every gateway with a complete read (at each scrape), and returns the picture. */
  refresh(): GatewayLanes[] {
    const out: GatewayLanes[] = [];
    const names = new Set<string>();
    for (const w of this.fleet.gateways()) {
      names.add(w.name);
      if (w.isSynced()) this.refreshGateway(w);
      const g = this.byGateway.get(w.name);
      // While the gateway is not connected its last picture is kept (to tell what changed once it is back) but not
      // shown as if it were live; while it resyncs on a live connection, the last picture stands.
      const live = g && w.snapshot().state === 'connected';
      out.push({
        name: w.name,
        synced: w.isSynced(),
        counts: live && g.counts ? { ...g.counts } : undefined,
        busy: live ? [...g.busy.values()].sort((a, b) => compareLaneStates(a.state, b.state) || a.since - b.since) : [],
      });
    }
    for (const name of [...this.byGateway.keys()]) if (!names.has(name)) this.byGateway.delete(name);
    return out;
  }

  /** The tracked (not idle) session, if any. */
  session(gateway: string, key: string): TrackedSession | undefined {
    return this.byGateway.get(gateway)?.busy.get(key);
  }

  dispose(): void {
    this.sub.dispose();
    this.transitions.clear();
  }

  private onChange(c: { gateway?: string; what: string; keys?: string[] }): void {
    // The same events the watchdog reads: rows, run events and the diagnostics of the log arrive as `sessions` with
    // their keys; a (re)connect or a finished resync as `connection` or `sessions` without keys.
    if (c.what !== 'sessions' && c.what !== 'connection' && c.what !== 'gateways') return;
    const watchers = c.gateway ? [this.fleet.gateway(c.gateway)].filter((w) => w !== undefined) : this.fleet.gateways();
    for (const w of watchers) {
      if (!w.isSynced()) continue;
      const g = this.byGateway.get(w.name);
      if (c.keys && g?.baselined) for (const key of c.keys) this.update(w, g, key, w.session(key) !== undefined);
      else this.refreshGateway(w);
    }
  }

  private stateOf(w: GatewayWatcher): GatewayState {
    let g = this.byGateway.get(w.name);
    if (!g) this.byGateway.set(w.name, (g = { known: new Set(), busy: new Map(), baselined: false }));
    return g;
  }

  private refreshGateway(w: GatewayWatcher): void {
    const g = this.stateOf(w);
    const counts = zeroCounts();
    const listed = new Set<string>();
    for (const row of w.sessionRows()) {
      listed.add(row.key);
      counts[this.update(w, g, row.key, true)]++;
    }
    for (const key of [...g.known]) if (!listed.has(key)) this.update(w, g, key, false);
    g.counts = counts;
    g.baselined = true;
  }

  /** Derives one session's state, records it, says a change; returns the state (idle for a removed session). */
  private update(w: GatewayWatcher, g: GatewayState, key: string, listed: boolean): LaneState {
    const before = g.busy.get(key);
    const wasKnown = g.known.has(key);
    const at = this.now();
    if (!listed) {
      g.known.delete(key);
      g.busy.delete(key);
      if (before)
        this.transitions.fire({
          gateway: w.name,
          key,
          agent: before.agent,
          from: before.state,
          verified: before.verified,
          initial: false,
          at,
        });
      return 'idle';
    }
    const status: LaneStatus = w.laneStatus(key);
    const state = status.state;
    g.known.add(key);
    const agent = agentOfSession(key, w.session(key)?.agentId);
    if (state === 'idle') {
      g.busy.delete(key);
    } else {
      const same = before?.state === state;
      g.busy.set(key, {
        key,
        agent,
        state,
        verified: status.verified,
        since: same ? before.since : at,
        runStartedAt: status.startedAt,
        queued: status.queued,
      });
    }
    const from = before?.state ?? (wasKnown ? 'idle' : undefined);
    if (from !== state && !(from === undefined && state === 'idle'))
      this.transitions.fire({
        gateway: w.name,
        key,
        agent,
        from,
        to: state,
        verified: status.verified,
        initial: !g.baselined,
        at,
      });
    return state;
  }
}
