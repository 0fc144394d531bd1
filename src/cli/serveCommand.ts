// `lanewatch serve`: a long-running Prometheus/OpenMetrics exporter over the gateways `status` would read (the same
// Fleet, built by main.ts), with the watchdog when asked (--watchdog, the rules of `lanewatch watch`) and webhook
// notifications (--notify-webhook). The metrics themselves: src/metrics/ and docs/metrics.md.
//
// Registering it in main.ts takes: its options routed here (isServeOption/serveOption), the watchdog rules validated
// when --watchdog is given, several gateways allowed, and runServe called with the Fleet.
import type { CliGateway } from './cliFleet';
import { UsageError } from './cliFleet';
import { auditTrailFor, EXIT, type Io } from './actionCommands';
import type { Fleet } from '../fleet/fleet';
import type { OperatorConnections } from '../actions/operatorConnection';
import { DEFAULT_SETTLE_MS, watchdogRecovery } from '../actions/sessionActions';
import { LANE_STATE_ORDER, laneStateWords, type LaneState } from '../lanes/laneStatus';
import {
  validateWatchdogRules,
  Watchdog,
  watchdogAuditEntry,
  type WatchdogEvent,
  type WatchdogRules,
} from '../watchdog/watchdog';
import { LaneTracker, type LaneTransition } from '../metrics/laneTracker';
import { FleetMetrics } from '../metrics/fleetMetrics';
import { describeGatewayPrometheus } from '../fleet/gatewayPrometheus';
import {
  DEFAULT_METRICS_LISTEN,
  ListenError,
  parseListenAddress,
  startMetricsServer,
  type ListenAddress,
} from '../metrics/metricsServer';
import {
  DEFAULT_NOTIFY_PER_MINUTE,
  DEFAULT_NOTIFY_STATES,
  WebhookNotifier,
  webhookUrlProblem,
} from '../metrics/webhook';

export interface ServeArgs {
  listen: ListenAddress;
  /** --notify-webhook URL, or the NAME of --notify-webhook-env (the URL read from it at start). */
  webhookUrl?: string;
  webhookEnv?: string;
  notifyStates: LaneState[];
  notifyPerMinute: number;
  watchdog: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SERVE_OPTIONS = new Set([
  '--metrics-listen',
  '--notify-webhook',
  '--notify-webhook-env',
  '--notify-states',
  '--notify-max-per-minute',
  '--watchdog',
]);

export const isServeOption = (name: string): boolean => SERVE_OPTIONS.has(name);

export function defaultServeArgs(): ServeArgs {
  const listen = parseListenAddress(DEFAULT_METRICS_LISTEN) as ListenAddress;
  return {
    listen,
    notifyStates: [...DEFAULT_NOTIFY_STATES],
    notifyPerMinute: DEFAULT_NOTIFY_PER_MINUTE,
    watchdog: false,
  };
}

/** One serve option: `inline` is the value after `=`, `value()` takes it (or the next argument). */
export function serveOption(args: ServeArgs, name: string, inline: string | undefined, value: () => string): void {
  switch (name) {
    case '--watchdog':
      if (inline !== undefined)
        throw new UsageError('--watchdog takes no value (its rules: --states, --threshold-seconds, …)');
      args.watchdog = true;
      return;
    case '--metrics-listen': {
      const a = parseListenAddress(value());
      if (typeof a === 'string') throw new UsageError(`--metrics-listen: ${a}`);
      args.listen = a;
      return;
    }
    case '--notify-webhook': {
      const v = value();
      // The URL is not repeated: a chat tool's webhook URL is itself a secret.
      const bad = webhookUrlProblem(v);
      if (bad) throw new UsageError(`--notify-webhook: the URL ${bad}`);
      if (args.webhookEnv) throw new UsageError('--notify-webhook and --notify-webhook-env: give one of them');
      args.webhookUrl = v;
      return;
    }
    case '--notify-webhook-env': {
      const v = value();
      if (!ENV_NAME.test(v))
        throw new UsageError('--notify-webhook-env needs the NAME of an environment variable that holds the URL');
      if (args.webhookUrl) throw new UsageError('--notify-webhook and --notify-webhook-env: give one of them');
      args.webhookEnv = v;
      return;
    }
    case '--notify-states': {
      const states = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = states.filter((s) => !(LANE_STATE_ORDER as readonly string[]).includes(s));
      if (!states.length || bad.length)
        throw new UsageError(
          `--notify-states: ${bad.length ? `unknown state ${bad.map((b) => `"${b.slice(0, 20)}"`).join(', ')}; ` : ''}use a comma-separated list of ${LANE_STATE_ORDER.join(', ')}`,
        );
      args.notifyStates = states as LaneState[];
      return;
    }
    case '--notify-max-per-minute': {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 600)
        throw new UsageError('--notify-max-per-minute needs a whole number from 1 to 600');
      args.notifyPerMinute = n;
      return;
    }
  }
}

export const SERVE_SUMMARY =
  'serve                  a Prometheus/OpenMetrics exporter (/metrics, /healthz) over the gateways, until stopped';

export const SERVE_USAGE = `usage: lanewatch serve [--metrics-listen HOST:PORT] [--watchdog [watch options]] [--notify-webhook URL]
                       [--gateway URL [--token-env NAME]]...

Exports every gateway's sessions per lane state, the sessions that are not idle with their state and age, gateway
connection facts, and watchdog decisions at http://HOST:PORT/metrics (Prometheus text, or OpenMetrics when asked),
and the exporter's own health at /healthz, until SIGINT/SIGTERM. Metric names: docs/metrics.md.
  --metrics-listen HOST:PORT  where to listen (default ${DEFAULT_METRICS_LISTEN}: this machine only; 0.0.0.0:9464 for
                         every interface; port 0 picks a free one, printed at start)
  --watchdog             also run the watchdog, with lanewatch watch's options (--states, --threshold-seconds,
                         --max-per-hour, --cooldown-seconds, --exclude); its decisions are counted in the metrics
  --notify-webhook URL   POST a JSON message (with a Slack-compatible "text") when a session enters or leaves a
                         notify state, a gateway is lost or back, and for each watchdog outcome
  --notify-webhook-env NAME  the webhook URL is in environment variable NAME (for URLs that carry a secret)
  --notify-states LIST   lane states that notify (default ${DEFAULT_NOTIFY_STATES.join(',')})
  --notify-max-per-minute N  at most N messages a minute (default ${DEFAULT_NOTIFY_PER_MINUTE}); the rest are summed up in one later message
  --no-progress-seconds N  a running run with no event for N s is in state no-progress (default 60; 0: off), as in
                         the extension`;

export interface ServeContext {
  fleet: Fleet;
  gateways: readonly CliGateway[];
  args: ServeArgs;
  /** The watchdog options as parsed (--states, --threshold-seconds, …): used, and only allowed, with --watchdog. */
  watch: Partial<Record<keyof WatchdogRules, unknown>>;
  conns: OperatorConnections;
  io: Io;
  json: boolean;
  version: string;
  replyTimeoutMs?: number;
  until: Promise<void>;
  env?: NodeJS.ProcessEnv;
}

const line = (json: boolean, fields: Record<string, unknown>, text: string) =>
  json ? `${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n` : `${new Date().toISOString()} ${text}\n`;

export async function runServe(ctx: ServeContext): Promise<number> {
  const { fleet, args, io, json } = ctx;
  const env = ctx.env ?? process.env;
  let rules: WatchdogRules | undefined;
  if (args.watchdog) {
    const v = validateWatchdogRules(ctx.watch);
    if (v.problems.length) throw new UsageError(`serve --watchdog: ${v.problems.join('; ')}`);
    rules = v.rules;
  } else if (Object.keys(ctx.watch).length)
    throw new UsageError(
      `${Object.keys(ctx.watch).length > 1 ? 'the watchdog options' : 'a watchdog option'} (--states, --threshold-seconds, --max-per-hour, --cooldown-seconds, --exclude, --subagents, --cron) need --watchdog`,
    );
  let webhookUrl = args.webhookUrl;
  if (args.webhookEnv) {
    webhookUrl = env[args.webhookEnv];
    if (!webhookUrl)
      throw new UsageError(`--notify-webhook-env ${args.webhookEnv}: that environment variable is not set or empty`);
    const bad = webhookUrlProblem(webhookUrl);
    if (bad) throw new UsageError(`--notify-webhook-env ${args.webhookEnv}: the URL in it ${bad}`);
  }
  // Every token the gateways were given, masked from anything the webhook sends (defence in depth: nothing sent is
  // meant to carry one).
  const secrets: string[] = [];
  for (const g of ctx.gateways) {
    const { token } = await fleet.credentialsFor(g.config).catch(() => ({ token: undefined }));
    if (token) secrets.push(token);
  }
  const log = (fields: Record<string, unknown>, text: string) => io.err(line(json, fields, text));
  const tracker = new LaneTracker(fleet);
  let dog: Watchdog | undefined;
  const metrics = new FleetMetrics({
    fleet,
    tracker,
    version: ctx.version,
    ...(args.watchdog ? { watchdog: { armed: () => dog?.armed() ?? [] } } : {}),
    // What the gateway's own Prometheus endpoint answers, said when it changes ("not enabled: …" plainly).
    onGatewayEndpoint: (gateway, read) =>
      log(
        { event: 'gateway-prometheus', gateway, state: read.state },
        `prometheus ${gateway}: ${describeGatewayPrometheus(read)}`,
      ),
  });
  const notifier = webhookUrl
    ? new WebhookNotifier({
        url: webhookUrl,
        maxPerMinute: args.notifyPerMinute,
        states: args.notifyStates,
        secrets: () => secrets,
        onResult: (r) => metrics.recordNotification(r),
        log: (m) => log({ webhook: m }, `webhook: ${m}`),
      })
    : undefined;
  let server;
  try {
    server = await startMetricsServer(
      args.listen,
      metrics,
      {
        summary: () => {
          const ws = fleet.gateways();
          return {
            gateways: ws.length,
            connected: ws.filter((w) => w.snapshot().state === 'connected').length,
            synced: ws.filter((w) => w.isSynced()).length,
            watchdog: args.watchdog,
          };
        },
      },
      (m) => log({ error: m }, m),
    );
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    io.err(`lanewatch serve: ${err.message}\n`);
    metrics.dispose();
    tracker.dispose();
    notifier?.dispose();
    return EXIT.failed;
  }
  const names = fleet.gateways().map((w) => w.name);
  io.err(
    `lanewatch serve: metrics at ${server.url}/metrics, health at ${server.url}/healthz; gateways ${names.join(', ')}` +
      `${rules ? `; watchdog on ${rules.states.join('/')} after ${rules.thresholdMs / 1000} s` : '; no watchdog'}` +
      `${notifier ? `; webhook ${notifier.origin} on ${args.notifyStates.join('/')}, at most ${args.notifyPerMinute}/min` : ''}\n`,
  );
  if (!['127.0.0.1', 'localhost', '::1'].includes(args.listen.host))
    io.err(
      `lanewatch serve: /metrics is reachable from other machines on ${args.listen.host}: it names gateways and session keys (never tokens)\n`,
    );

  // Notable lane changes (the notify states) and gateways lost or back: in the log, and to the webhook.
  const notable = new Set<LaneState>(args.notifyStates);
  const subs = [
    tracker.onTransition((t: LaneTransition) => {
      if ((t.to && notable.has(t.to)) || (t.from && notable.has(t.from)))
        log(
          { lane: { gateway: t.gateway, session: t.key, from: t.from, to: t.to, verified: t.verified } },
          `lane     ${t.gateway} ${t.key}: ${t.from ? laneStateWords(t.from) : 'new'} → ${t.to ? laneStateWords(t.to) : 'not listed'}`,
        );
      notifier?.lane(t);
    }),
  ];
  const up = new Map<string, boolean>();
  subs.push(
    fleet.onDidChange((c) => {
      if (c.what !== 'connection' || !c.gateway) return;
      const w = fleet.gateway(c.gateway);
      if (!w) return;
      const snap = w.snapshot();
      const now = snap.state === 'connected';
      const before = up.get(w.name);
      if (before === now) return;
      // A gateway that is down from the start is said once its problem is named (not while it is being diagnosed).
      if (!now && (!snap.problem || snap.problem.diagnosing)) return;
      up.set(w.name, now);
      if (before === undefined && now) return;
      const problem = snap.problem ? { kind: snap.problem.kind, summary: snap.problem.summary } : undefined;
      log(
        { gateway: { name: w.name, event: now ? 'back' : 'lost', problem: problem?.kind } },
        now
          ? `gateway  ${w.name}: reachable again`
          : `gateway  ${w.name}: not reachable: ${problem?.summary ?? snap.state}`,
      );
      notifier?.gateway(w.name, now ? 'back' : 'lost', problem);
    }),
  );

  // Each gateway's first complete picture (rows, then the log, lane and queue reads asked at hello-ok), once per
  // connection: from then on its metrics are whole.
  const synced = new Map<string, boolean>();
  subs.push(
    fleet.onDidChange((c) => {
      const w = 'gateway' in c ? fleet.gateway(c.gateway) : undefined;
      if (!w) return;
      const now = w.isSynced();
      if (synced.get(w.name) === now || (!now && c.what !== 'connection')) return;
      synced.set(w.name, now);
      if (!now) return;
      const said = () => {
        if (!w.isSynced()) return;
        const mine = tracker.refresh().find((l) => l.name === w.name);
        const counts = Object.entries(mine?.counts ?? {})
          .filter(([, n]) => n > 0)
          .map(([s, n]) => `${n} ${laneStateWords(s as LaneState)}`);
        const total = w.sessionRows().length;
        log(
          { read: { gateway: w.name, sessions: total, counts: mine?.counts } },
          `read     ${w.name}: ${total} session(s)${counts.length ? `: ${counts.join(', ')}` : ''}`,
        );
      };
      void w.whenRead().then(said, said);
    }),
  );

  if (rules) {
    const audit = auditTrailFor(io, json);
    dog = new Watchdog(fleet, {
      rules,
      recover: watchdogRecovery(ctx.conns, audit, ctx.replyTimeoutMs ?? DEFAULT_SETTLE_MS),
      onEvent: (e: WatchdogEvent) => {
        metrics.recordWatchdog(e);
        notifier?.watchdog(e);
        const entry = watchdogAuditEntry(e);
        if (entry) audit.record(entry);
        else
          log(
            { watchdog: { decision: e.kind, gateway: e.gateway, session: e.key, state: e.state } },
            `watchdog ${e.kind} ${e.gateway} ${e.key}: ${laneStateWords(e.state)}`,
          );
      },
    });
  }

  try {
    await ctx.until;
  } finally {
    dog?.dispose();
    for (const s of subs) s.dispose();
    await server.close();
    // What the webhook is still sending gets a moment to leave; a shutdown never waits on a slow receiver for long.
    if (notifier) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([notifier.whenIdle(), new Promise<void>((r) => (timer = setTimeout(r, 2_000)))]);
      clearTimeout(timer);
      notifier.dispose();
    }
    metrics.dispose();
    tracker.dispose();
  }
  io.err('lanewatch serve: stopped\n');
  return EXIT.ok;
}
