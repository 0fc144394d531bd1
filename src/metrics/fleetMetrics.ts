// The metrics of `lanewatch serve`, through prom-client: what the fleet's watchers know (gateways, sessions per lane
// state, the sessions that are not idle with their state and age), and what happened in this process (watchdog
// decisions, recovery steps and verdicts, webhook notifications). docs/metrics.md lists every name, label and help.
//
// Collected on scrape: each /metrics request re-derives the lane states (LaneTracker.refresh) and fills every metric
// from that one picture; nothing polls. Counters are this module's own tallies, copied into the metrics at each
// scrape. Two registries (the Prometheus text format and OpenMetrics) render the same picture: prom-client renames
// a registry's counters for OpenMetrics in place, so one registry cannot serve both formats.
//
// Bounded cardinality: sessions are labelled one by one only while they are not idle (idle ones are counted per
// gateway), at most `maxSessionSeries` per gateway (the most urgent first; the rest counted as omitted), and every
// other label takes its values from a fixed set (lane states, recovery steps and verdicts, watchdog decisions,
// connection problem kinds) or from the gateways the user configured. No token, URL path or transcript text is a
// label: gateway URLs are reduced to scheme, host and port.
//
// The gateway's own Prometheus endpoint (its diagnostics-prometheus plugin, src/fleet/gatewayPrometheus.ts) is read
// at scrape time for each connected gateway, at most every `gatewayPrometheusEveryMs`, all side by side and bounded
// in time: whether it is enabled (said as a state, "not-enabled" included), and a few of its figures summed over their
// labels (runs and model calls by outcome, commands queued in its lanes, stuck-session reports, process memory).
import { collectDefaultMetrics, Counter, Gauge, Registry, type RegistryContentType } from 'prom-client';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import { readGatewayPrometheus, type GatewayPrometheusRead } from '../fleet/gatewayPrometheus';
import type { GatewayConfig } from '../config/gatewaySettings';
import type { Disposable } from '../gateway/emitter';
import { LANE_STATE_ORDER } from '../lanes/laneStatus';
import type { WatchdogEvent } from '../watchdog/watchdog';
import type { RecoveryReport } from '../actions/recovery';
import type { GatewayLanes, LaneTracker, TrackerFleet } from './laneTracker';

export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** With --watchdog these are exported at 0 for every gateway from the start (see the counters' `zeros`). */
const WATCHDOG_DECISIONS: ReadonlyArray<WatchdogEvent['kind']> = [
  'armed',
  'disarmed',
  'skipped',
  'acting',
  'acted',
  'failed',
];
const RECOVERY_VERDICTS: ReadonlyArray<RecoveryReport['verdict']> = [
  'freed',
  'nothing-to-do',
  'ineffective',
  'needs-restart',
  'unverified',
  'refused',
  'failed',
  'cancelled',
];

/** Per gateway, at most this many sessions get series of their own (the most urgent first). */
export const DEFAULT_MAX_SESSION_SERIES = 500;

/** How often a gateway's own Prometheus endpoint is read at most (scrapes in between reuse the last read). */
export const GATEWAY_PROMETHEUS_EVERY_MS = 5_000;

export interface FleetMetricsOptions {
  /** `credentialsFor` (the real Fleet has it) lets the exporter read each gateway's own Prometheus endpoint. */
  fleet: TrackerFleet & { credentialsFor?(config: GatewayConfig): Promise<{ token?: string }> };
  tracker: LaneTracker;
  version: string;
  /** The watchdog, when `serve` runs one: sessions it has armed now. */
  watchdog?: { armed(): ReadonlyArray<{ gateway: string }> };
  maxSessionSeries?: number;
  /** process_* and nodejs_* metrics of the exporter itself (default on). */
  processMetrics?: boolean;
  now?: () => number;
  /** Read each gateway's /api/diagnostics/prometheus (default on when the fleet gives credentials). */
  gatewayPrometheus?: boolean;
  gatewayPrometheusEveryMs?: number;
  /**
   * Called when what a gateway's own endpoint answers changes (its first read on a connection included), so the
   * caller can say it in its log: describeGatewayPrometheus(read) gives the words.
   */
  onGatewayEndpoint?: (gateway: string, read: GatewayPrometheusRead) => void;
}

type Labels = Record<string, string>;

/** A tally of one counter: label values → count. */
class Tally {
  private readonly rows = new Map<string, { labels: Labels; value: number }>();
  add(labels: Labels, by = 1): void {
    const id = JSON.stringify(labels);
    const row = this.rows.get(id);
    if (row) row.value += by;
    else this.rows.set(id, { labels, value: by });
  }
  entries(): Iterable<{ labels: Labels; value: number }> {
    return this.rows.values();
  }
  get(labels: Labels): number {
    return this.rows.get(JSON.stringify(labels))?.value ?? 0;
  }
}

/** The gateway facts of one scrape. */
interface GatewayFacts {
  name: string;
  up: boolean;
  url: string;
  serverVersion: string;
  protocol: string;
  connectedAt?: number;
  handshake: Array<{ phase: string; seconds: number }>;
  problem?: { kind: string; current: boolean };
  /** The gateway's own Prometheus endpoint, when read on the current connection. */
  prometheus?: GatewayPrometheusRead;
}

interface ScrapeView {
  at: number;
  gateways: GatewayFacts[];
  lanes: GatewayLanes[];
  armed: Map<string, number>;
}

/** Untrusted or free text as a label value: one line, at most 200 characters. */
export function labelValue(v: unknown, max = 200): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  // eslint-disable-next-line no-control-regex
  const line = s.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A value from a fixed vocabulary (problem kinds, verdicts): anything else is "other". */
export function kindValue(v: unknown): string {
  return typeof v === 'string' && /^[a-z0-9][a-z0-9_-]{0,47}$/.test(v) ? v : 'other';
}

/** scheme://host:port of a gateway URL: never a path, query or credentials. */
export function urlOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'invalid';
  }
}

export class FleetMetrics {
  readonly watchdogDecisions = new Tally();
  readonly recoveries = new Tally();
  readonly recoverySteps = new Tally();
  readonly notifications = new Tally();
  private readonly lastProblem = new Map<string, string>();
  private readonly registries: { text: Registry<RegistryContentType>; open: Registry<RegistryContentType> };
  private readonly sub: Disposable;
  private readonly now: () => number;
  private readonly maxSessionSeries: number;
  private view: ScrapeView = { at: 0, gateways: [], lanes: [], armed: new Map() };
  private lastCollectSeconds = 0;
  private scrapes = 0;
  /** Per gateway name: the last read of its own endpoint, and the connection it was made on. */
  private readonly endpointReads = new Map<string, { read: GatewayPrometheusRead; connectedAt?: number }>();
  private endpointPending?: Promise<void>;

  constructor(private readonly opts: FleetMetricsOptions) {
    this.now = opts.now ?? Date.now;
    this.maxSessionSeries = opts.maxSessionSeries ?? DEFAULT_MAX_SESSION_SERIES;
    this.registries = {
      text: this.registry(Registry.PROMETHEUS_CONTENT_TYPE),
      open: this.registry(Registry.OPENMETRICS_CONTENT_TYPE),
    };
    // A problem that came and went between two scrapes is still the gateway's last error class.
    this.sub = opts.fleet.onDidChange((c) => {
      if (c.what !== 'connection' || !c.gateway) return;
      const kind = opts.fleet.gateway(c.gateway)?.snapshot().problem?.kind;
      if (kind) this.lastProblem.set(c.gateway, kindValue(kind));
    });
  }

  /** One scrape: the lane states re-derived, every metric filled from them, rendered in the format asked for. */
  async render(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
    await this.readGatewayEndpoints();
    const started = performance.now();
    this.view = this.collect();
    this.lastCollectSeconds = (performance.now() - started) / 1000;
    this.scrapes++;
    const reg = openMetrics ? this.registries.open : this.registries.text;
    return { contentType: reg.contentType, body: await reg.metrics() };
  }

  /** Counts a watchdog decision, and for a finished recovery its verdict and each step's outcome. */
  recordWatchdog(e: WatchdogEvent): void {
    this.watchdogDecisions.add({ gateway: labelValue(e.gateway), decision: e.kind });
    if (e.kind !== 'acted') return;
    this.recoveries.add({ gateway: labelValue(e.gateway), verdict: kindValue(e.report.verdict) });
    for (const s of e.report.steps)
      this.recoverySteps.add({
        gateway: labelValue(e.gateway),
        step: kindValue(s.action),
        outcome: kindValue(s.outcome),
      });
  }

  recordNotification(result: 'sent' | 'failed' | 'rate_limited' | 'dropped'): void {
    this.notifications.add({ result });
  }

  dispose(): void {
    this.sub.dispose();
  }

  /** The last read of a gateway's own Prometheus endpoint on its current connection (tests, status). */
  gatewayEndpoint(name: string): GatewayPrometheusRead | undefined {
    return this.endpointReads.get(name)?.read;
  }

  /** Reads the endpoints that are due, side by side; concurrent scrapes share one round. Never throws. */
  private readGatewayEndpoints(): Promise<void> {
    const fleet = this.opts.fleet;
    if (this.opts.gatewayPrometheus === false || !fleet.credentialsFor) return Promise.resolve();
    if (this.endpointPending) return this.endpointPending;
    const every = this.opts.gatewayPrometheusEveryMs ?? GATEWAY_PROMETHEUS_EVERY_MS;
    const due: GatewayWatcher[] = [];
    for (const w of fleet.gateways()) {
      const snap = w.snapshot();
      const had = this.endpointReads.get(w.name);
      if (snap.state !== 'connected') {
        this.endpointReads.delete(w.name);
        continue;
      }
      if (!had || had.connectedAt !== snap.connectedAt || this.now() - had.read.at >= every) due.push(w);
    }
    if (!due.length) return Promise.resolve();
    const round = Promise.all(
      due.map(async (w) => {
        const connectedAt = w.snapshot().connectedAt;
        const { token } = await fleet.credentialsFor!(w.config).catch(() => ({ token: undefined }));
        const read = await readGatewayPrometheus(w.config.url, {
          token,
          now: this.now,
          ...(w.config.tlsFingerprint ? { tlsFingerprint: w.config.tlsFingerprint } : {}),
        });
        const before = this.endpointReads.get(w.name);
        this.endpointReads.set(w.name, { read, connectedAt });
        if (!before || before.connectedAt !== connectedAt || before.read.state !== read.state)
          this.opts.onGatewayEndpoint?.(w.name, read);
      }),
    ).then(
      () => undefined,
      () => undefined,
    );
    this.endpointPending = round.finally(() => (this.endpointPending = undefined));
    return this.endpointPending;
  }

  private collect(): ScrapeView {
    const lanes = this.opts.tracker.refresh();
    const gateways = this.opts.fleet.gateways().map((w) => this.gatewayFacts(w));
    const armed = new Map<string, number>();
    for (const a of this.opts.watchdog?.armed() ?? []) armed.set(a.gateway, (armed.get(a.gateway) ?? 0) + 1);
    return { at: this.now(), gateways, lanes, armed };
  }

  private gatewayFacts(w: GatewayWatcher): GatewayFacts {
    const snap = w.snapshot();
    if (snap.problem) this.lastProblem.set(w.name, kindValue(snap.problem.kind));
    const last = this.lastProblem.get(w.name);
    const h = snap.handshake;
    const handshake: GatewayFacts['handshake'] = [];
    if (h) {
      for (const [phase, ms] of [
        ['socket_open', h.socketOpenMs],
        ['challenge', h.challengeMs],
        ['hello', h.helloMs],
      ] as const)
        if (typeof ms === 'number') handshake.push({ phase, seconds: ms / 1000 });
    }
    return {
      name: labelValue(w.name),
      up: snap.state === 'connected',
      url: urlOrigin(w.config.url),
      serverVersion: labelValue(snap.hello?.serverVersion ?? '', 64),
      protocol: snap.hello?.protocol !== undefined ? String(snap.hello.protocol) : '',
      connectedAt: snap.state === 'connected' ? snap.connectedAt : undefined,
      handshake,
      problem: last ? { kind: last, current: snap.problem !== undefined } : undefined,
      prometheus: snap.state === 'connected' ? this.endpointReads.get(w.name)?.read : undefined,
    };
  }

  private registry(contentType: RegistryContentType) {
    const reg = new Registry<RegistryContentType>();
    reg.setContentType(contentType);
    const registers = [reg];
    const view = () => this.view;
    type Fill = (set: (labels: Labels, value: number) => void) => void;
    // Every metric here is filled at each scrape: emptied, then given each value `fill` reads from the model.
    const scraped = <M extends { reset(): void }>(
      name: string,
      help: string,
      labelNames: string[],
      fill: Fill,
      put: (metric: M, labels: Labels, value: number) => void,
    ) => ({
      name,
      help,
      labelNames,
      registers,
      collect(this: M) {
        this.reset();
        fill((labels, value) => put(this, labels, value));
      },
    });
    const gauge = (name: string, help: string, labelNames: string[], fill: Fill) =>
      new Gauge(scraped<Gauge>(name, help, labelNames, fill, (g, labels, value) => g.set(labels, value)));
    // A counter: also the gateway's counters, copied; they start over when the gateway restarts, which rate() and
    // increase() handle.
    const mirror = (name: string, help: string, labelNames: string[], fill: Fill) =>
      new Counter(
        scraped<Counter>(name, help, labelNames, fill, (c, labels, value) => c.inc(labels, Math.max(0, value))),
      );
    // `zeros`: label sets shown at 0 before their first event, so that increase() in an alert sees the first one.
    const counter = (name: string, help: string, labelNames: string[], tally: Tally, zeros?: () => Labels[]) =>
      mirror(name, help, labelNames, (set) => {
        for (const { labels, value } of tally.entries()) set(labels, value);
        for (const labels of zeros?.() ?? []) if (!tally.get(labels)) set(labels, 0);
      });
    const perGateway = (label: string, values: readonly string[]) => () =>
      this.opts.watchdog ? view().gateways.flatMap((g) => values.map((v) => ({ gateway: g.name, [label]: v }))) : [];

    // ---- the exporter itself
    gauge('lanewatch_build_info', 'Always 1: the Lanewatch version serving these metrics.', ['version'], (set) =>
      set({ version: labelValue(this.opts.version, 64) }, 1),
    );
    gauge(
      'lanewatch_exporter_collect_seconds',
      'Time the previous scrape took to derive every lane state and fill the metrics.',
      [],
      (set) => set({}, this.lastCollectSeconds),
    );
    gauge('lanewatch_watchdog_enabled', '1 when this exporter runs the watchdog (--watchdog), else 0.', [], (set) =>
      set({}, this.opts.watchdog ? 1 : 0),
    );

    // ---- gateways
    gauge(
      'lanewatch_gateway_up',
      '1 while Lanewatch holds a connection to the gateway (hello-ok received), else 0.',
      ['gateway'],
      (set) => {
        for (const g of view().gateways) set({ gateway: g.name }, g.up ? 1 : 0);
      },
    );
    gauge(
      'lanewatch_gateway_synced',
      '1 while every agent and session row of the gateway has been read on the current connection, else 0.',
      ['gateway'],
      (set) => {
        for (const l of view().lanes) set({ gateway: labelValue(l.name) }, l.synced ? 1 : 0);
      },
    );
    gauge(
      'lanewatch_gateway_info',
      'Always 1: the gateway address (scheme, host, port), its OpenClaw version and protocol (empty until connected).',
      ['gateway', 'url', 'server_version', 'protocol'],
      (set) => {
        for (const g of view().gateways)
          set({ gateway: g.name, url: g.url, server_version: g.serverVersion, protocol: g.protocol }, 1);
      },
    );
    gauge(
      'lanewatch_gateway_connected_timestamp_seconds',
      'When the current connection to the gateway was established (Unix time); absent while not connected.',
      ['gateway'],
      (set) => {
        for (const g of view().gateways)
          if (g.connectedAt !== undefined) set({ gateway: g.name }, g.connectedAt / 1000);
      },
    );
    gauge(
      'lanewatch_gateway_handshake_seconds',
      "The last connection attempt's handshake: seconds from its start until the socket opened (socket_open), the gateway's challenge arrived (challenge) and hello-ok arrived (hello).",
      ['gateway', 'phase'],
      (set) => {
        for (const g of view().gateways)
          for (const p of g.handshake) set({ gateway: g.name, phase: p.phase }, p.seconds);
      },
    );
    gauge(
      'lanewatch_gateway_problem',
      "The gateway connection's last problem class (e.g. unreachable, auth-token-mismatch, pairing-required, tick-timeout): 1 while it lasts, 0 once the connection recovered. One series per gateway; absent if there never was one.",
      ['gateway', 'kind'],
      (set) => {
        for (const g of view().gateways)
          if (g.problem) set({ gateway: g.name, kind: g.problem.kind }, g.problem.current ? 1 : 0);
      },
    );

    // ---- the gateway's own Prometheus endpoint (diagnostics-prometheus)
    gauge(
      'lanewatch_gateway_prometheus_endpoint',
      'Always 1, per connected gateway: what its own Prometheus endpoint (/api/diagnostics/prometheus, plugin diagnostics-prometheus) answered: enabled, not-enabled (no such route: the plugin is not enabled), refused (the token lacks operator.read), unexpected (not Prometheus text), unreachable.',
      ['gateway', 'state'],
      (set) => {
        for (const g of view().gateways) if (g.prometheus) set({ gateway: g.name, state: g.prometheus.state }, 1);
      },
    );
    const figures = (g: GatewayFacts) => g.prometheus?.figures;
    type Figures = NonNullable<ReturnType<typeof figures>>;
    /** One series per gateway whose endpoint gave this figure. */
    const figurePerGateway =
      (pick: (f: Figures) => number | undefined): Fill =>
      (set) => {
        for (const g of view().gateways) {
          const f = figures(g);
          const n = f && pick(f);
          if (n !== undefined) set({ gateway: g.name }, n);
        }
      };
    /** One series per gateway and key of this figure (outcome, kind). */
    const figureByKey =
      (label: string, pick: (f: Figures) => Record<string, number> | undefined): Fill =>
      (set) => {
        for (const g of view().gateways) {
          const f = figures(g);
          for (const [key, n] of Object.entries((f && pick(f)) ?? {})) set({ gateway: g.name, [label]: key }, n);
        }
      };
    mirror(
      'lanewatch_gateway_runs_completed_total',
      "The gateway's own count of agent runs completed since it started, by outcome (its openclaw_run_completed_total summed over channel, model, provider and trigger). Only where its Prometheus endpoint is enabled.",
      ['gateway', 'outcome'],
      figureByKey('outcome', (f) => f.runsCompleted),
    );
    mirror(
      'lanewatch_gateway_model_calls_total',
      "The gateway's own count of model calls since it started, by outcome (its openclaw_model_call_total summed). Only where its Prometheus endpoint is enabled.",
      ['gateway', 'outcome'],
      figureByKey('outcome', (f) => f.modelCalls),
    );
    gauge(
      'lanewatch_gateway_queued_commands',
      "Commands waiting in the gateway's queue lanes, by its own count (openclaw_queue_lane_size summed over lanes). Only where its Prometheus endpoint is enabled and has seen a queue event.",
      ['gateway'],
      figurePerGateway((f) => f.queued),
    );
    mirror(
      'lanewatch_gateway_stuck_reports_total',
      'How often the gateway itself reported a stuck session since it started (openclaw_session_stuck_total summed; openclaw 2026.9). Only where its Prometheus endpoint is enabled.',
      ['gateway'],
      figurePerGateway((f) => f.stuckReports),
    );
    gauge(
      'lanewatch_gateway_memory_bytes',
      "The gateway process's memory by kind (rss, heap_used, heap_total, …) from its own latest memory sample (openclaw_memory_bytes). Only where its Prometheus endpoint is enabled and has sampled.",
      ['gateway', 'kind'],
      figureByKey('kind', (f) => f.memory),
    );

    // ---- sessions
    gauge(
      'lanewatch_sessions',
      "Sessions of the gateway per lane state (Lanewatch's derived status: idle, queued, running, long-running, no-progress, stalled, stuck, stale, unknown). Absent until the first complete read.",
      ['gateway', 'state'],
      (set) => {
        for (const l of view().lanes)
          if (l.counts) for (const s of LANE_STATE_ORDER) set({ gateway: labelValue(l.name), state: s }, l.counts[s]);
      },
    );
    const shown = (l: GatewayLanes) => l.busy.slice(0, this.maxSessionSeries);
    const sessionLabels = (l: GatewayLanes, s: GatewayLanes['busy'][number]) => ({
      gateway: labelValue(l.name),
      agent: labelValue(s.agent ?? ''),
      session: labelValue(s.key),
      state: s.state,
    });
    gauge(
      'lanewatch_session_state',
      'Always 1, per session that is not idle: its lane state, and verified="false" for a row that says running while nothing live was seen. Idle sessions are only counted (lanewatch_sessions).',
      ['gateway', 'agent', 'session', 'state', 'verified'],
      (set) => {
        for (const l of view().lanes)
          for (const s of shown(l)) set({ ...sessionLabels(l, s), verified: String(s.verified) }, 1);
      },
    );
    gauge(
      'lanewatch_session_state_seconds',
      'Per session that is not idle: seconds since this exporter first saw it in its current lane state (starts over when the exporter restarts).',
      ['gateway', 'agent', 'session', 'state'],
      (set) => {
        const at = view().at;
        for (const l of view().lanes)
          for (const s of shown(l)) set(sessionLabels(l, s), Math.max(0, (at - s.since) / 1000));
      },
    );
    gauge(
      'lanewatch_session_run_seconds',
      "Per session that is not idle and whose run start is known: seconds since the run started (the gateway's row or the run's own events).",
      ['gateway', 'agent', 'session'],
      (set) => {
        const at = view().at;
        for (const l of view().lanes)
          for (const s of shown(l))
            if (s.runStartedAt !== undefined)
              set(
                { gateway: labelValue(l.name), agent: labelValue(s.agent ?? ''), session: labelValue(s.key) },
                Math.max(0, (at - s.runStartedAt) / 1000),
              );
      },
    );
    gauge(
      'lanewatch_session_series_omitted',
      `Sessions that are not idle but got no series of their own because the gateway has more than ${this.maxSessionSeries} (the most urgent are shown).`,
      ['gateway'],
      (set) => {
        for (const l of view().lanes)
          set({ gateway: labelValue(l.name) }, Math.max(0, l.busy.length - this.maxSessionSeries));
      },
    );

    // ---- watchdog and recovery
    gauge(
      'lanewatch_watchdog_armed_sessions',
      'Sessions the watchdog is timing now (in a watched state, waiting for the threshold); absent without --watchdog.',
      ['gateway'],
      (set) => {
        if (!this.opts.watchdog) return;
        for (const g of view().gateways) set({ gateway: g.name }, view().armed.get(g.name) ?? 0);
      },
    );
    counter(
      'lanewatch_watchdog_decisions_total',
      'Watchdog decisions: armed (a session entered a watched state), disarmed (it left), skipped (excluded, cooling down or rate-limited), acting, acted (the recovery ladder finished) and failed (the recovery could not run).',
      ['gateway', 'decision'],
      this.watchdogDecisions,
      perGateway('decision', WATCHDOG_DECISIONS),
    );
    counter(
      'lanewatch_recoveries_total',
      'Recovery ladders run by the watchdog, by verdict: freed, nothing-to-do, ineffective, needs-restart, unverified, refused, failed, cancelled.',
      ['gateway', 'verdict'],
      this.recoveries,
      perGateway('verdict', RECOVERY_VERDICTS),
    );
    counter(
      'lanewatch_recovery_steps_total',
      'Recovery steps taken, by step (abort, abort-clear-queue, reset) and outcome read back from the gateway (freed, reset, no-change, refused, failed, cancelled).',
      ['gateway', 'step', 'outcome'],
      this.recoverySteps,
    );
    counter(
      'lanewatch_webhook_notifications_total',
      'Webhook notifications (--notify-webhook) by result: sent, failed (no 2xx answer), rate_limited (held back and summed up in a later message), dropped (held back past the queue bound).',
      ['result'],
      this.notifications,
    );
    if (this.opts.processMetrics !== false) collectDefaultMetrics({ register: reg });
    return reg;
  }
}
