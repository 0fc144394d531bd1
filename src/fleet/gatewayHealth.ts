// The gateway process's health, live: samples of what the gateway says about its own event loop, CPU and memory
// (`system.info` on 2026.9.x, `health` on older versions), its readiness (`/readyz`) and its persistent-degradation
// warnings (`diagnostic.liveness.warning` in `diagnostics.stability`), kept as a bounded history, and one verdict
// derived from them as facts with rules, like a session's lane status (src/lanes/laneStatus.ts): each fact says what
// was observed and which rule made it count. No `vscode` here; the watcher owns one poller per gateway and reads only
// while someone needs it (a visible view, the watchdog): see GatewayHealthPoller.setDemand.
//
// Rules, the gateway's own first:
//   gateway.event-loop   the gateway's monitor says its last window was degraded (its reasons and numbers). One window
//                        is about a second; Lanewatch calls the gateway degraded when it stays so for two reads in a
//                        row or for SUSTAINED_MS by the gateway's own count (lanewatch.sustained); a single busy window
//                        is a "brief spike" fact and stays in the history.
//   gateway.liveness     a liveness warning in diagnostics.stability (the gateway records one after 60 s degraded)
//   gateway.readiness    /readyz says not ready, with the failing checks
//   lanewatch.slow-answer    the read took ≥ SLOW_ANSWER_MS: the gateway's sample cannot show a loop blocked right now,
//                            the answer's delay does
//   lanewatch.no-answer      the read failed or timed out while connected
//   lanewatch.memory         resident memory ≥ MEMORY_WARN_BYTES (the field's wedged gateway sat at 2.8 GB)
//   lanewatch.restarted      a new process instance id since the last sample (not a degradation; said once)
//   gateway.prometheus       what the gateway's own Prometheus endpoint (diagnostics-prometheus) says: its run,
//                            model-call, queue and memory figures, or plainly that it is not enabled. Its memory
//                            sample stands in for system.info's where the version has none (2026.4.x), for
//                            lanewatch.memory too.
import { probeHttpPath } from '../gateway/httpProbe';
import { Emitter } from '../gateway/emitter';
import type { EventLoopHealthView, LivenessWarningView, ProcessMemoryView } from '../gateway/vitalsTypes';
import type { GatewayHealthView, HealthPointView } from '../protocol/webviewMessages';
import { describeGatewayPrometheus, type GatewayPrometheusRead } from './gatewayPrometheus';

export type HealthState = 'ok' | 'degraded' | 'unknown';

export interface HealthFact {
  rule: string;
  text: string;
  /** This fact makes the verdict "degraded". */
  degrades?: boolean;
}

export interface Readiness {
  ready: boolean;
  failing: string[];
  /** The HTTP status /readyz answered with. */
  status: number;
}

/** One read of the gateway's vitals. */
export interface HealthSample {
  /** When the answer arrived (Lanewatch's clock). */
  at: number;
  /** How long the read took, ms. */
  answerMs: number;
  source: 'system.info' | 'health';
  eventLoop?: EventLoopHealthView;
  memory?: ProcessMemoryView;
  uptimeMs?: number;
  instanceId?: string;
  pid?: number;
  readiness?: Readiness;
  /** The read failed (timeout, error): the other fields are absent. */
  error?: string;
}

export interface HealthThresholds {
  /** A read slower than this says the gateway is slow to answer (ms). */
  slowAnswerMs: number;
  /** The gateway's degraded verdict counts once it has lasted this long by its own count (ms). */
  sustainedMs: number;
  /** Resident memory at or above this is a fact that degrades (bytes). */
  memoryWarnBytes: number;
  /** A liveness warning newer than this counts (ms). */
  livenessFreshMs: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  slowAnswerMs: 2_000,
  sustainedMs: 3_000,
  memoryWarnBytes: 2 * 1024 ** 3,
  // The gateway's heartbeat runs every 30 s and repeats a warning at most every 120 s.
  livenessFreshMs: 150_000,
};

export interface HealthVerdict {
  state: HealthState;
  facts: HealthFact[];
  /** The latest sample with numbers (the last read may have failed). */
  sample?: HealthSample;
  /** Short words for the tree: empty when healthy (nothing noisy), else what is wrong with the gateway's numbers. */
  words: string;
}

export interface HealthEvidence {
  now: number;
  connected: boolean;
  /** Oldest first. */
  samples: readonly HealthSample[];
  liveness?: LivenessWarningView;
  thresholds?: Partial<HealthThresholds>;
  /** Nothing needed health (no demand): no verdict is claimed. */
  idle?: boolean;
  /** A read in flight since then (a blocked gateway answers nothing: its silence is the first sign). */
  pendingSince?: number;
  /** The latest read of the gateway's own Prometheus endpoint on this connection. */
  prometheus?: GatewayPrometheusRead;
}

// ---------------------------------------------------------------- words

const pct = (x: number) => `${Math.round(x * 100)}%`;
const ms = (x: number) =>
  x >= 10_000 ? `${(x / 1000).toFixed(0)} s` : x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
export const cores = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} core${x === 1 ? '' : 's'}`;
export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${Math.round(n / 1024 ** 2)} MB`;
  return `${Math.round(n / 1024)} KB`;
}

const REASON_WORDS: Record<string, string> = {
  event_loop_delay: 'event loop delayed',
  event_loop_utilization: 'event loop saturated',
  cpu: 'CPU pressure',
};
export const reasonWords = (reasons: readonly string[]): string =>
  reasons.map((r) => REASON_WORDS[r] ?? r.replace(/_/g, ' ')).join(', ');

/** "event loop 82% busy, 340 ms delay, CPU 1.10 cores": the gateway's numbers of one window. */
export function eventLoopWords(e: EventLoopHealthView): string {
  return `event loop ${pct(e.utilization)} busy, ${ms(Math.max(e.delayP99Ms, e.delayMaxMs))} delay, CPU ${cores(e.cpuCoreRatio)}`;
}

// ---------------------------------------------------------------- the verdict

/** The verdict from the samples (oldest first) and the latest liveness warning: facts with rules, never guessed. */
export function deriveHealth(ev: HealthEvidence): HealthVerdict {
  const t = { ...DEFAULT_HEALTH_THRESHOLDS, ...ev.thresholds };
  const facts: HealthFact[] = [];
  const last = ev.samples.at(-1);
  const withData = [...ev.samples].reverse().find((s) => !s.error);
  if (!ev.connected) {
    facts.push({ rule: 'connection', text: 'not connected: no process health' });
    return { state: 'unknown', facts, words: '', sample: withData };
  }
  if (!last) {
    facts.push({
      rule: 'no-sample',
      text: ev.idle ? 'not read: no view or watchdog needs it right now' : 'not read yet',
    });
    return { state: 'unknown', facts, words: '' };
  }
  // The row's words, the gateway's own numbers first: [order, text].
  const said: Array<[number, string]> = [];
  const words = { push: (text: string, order: number) => said.push([order, text]) };
  const waited = ev.pendingSince !== undefined ? ev.now - ev.pendingSince : 0;
  if (waited >= t.slowAnswerMs) {
    facts.push({
      rule: 'lanewatch.slow-answer',
      text: `no answer to the health read for ${ms(waited)} (Lanewatch counts ${ms(t.slowAnswerMs)} or more as slow): the gateway may be blocked`,
      degrades: true,
    });
    // No number in the row's words: they are redrawn when the verdict changes, not as the wait grows.
    words.push('not answering health reads', 5);
  } else if (last.error) {
    facts.push({
      rule: 'lanewatch.no-answer',
      text: `the gateway did not answer the health read: ${last.error}`,
      degrades: true,
    });
    words.push('not answering', 5);
  } else if (last.answerMs >= t.slowAnswerMs) {
    facts.push({
      rule: 'lanewatch.slow-answer',
      text: `the gateway took ${ms(last.answerMs)} to answer the health read (Lanewatch counts ${ms(t.slowAnswerMs)} or more as slow)`,
      degrades: true,
    });
    words.push(`answers in ${ms(last.answerMs)}`, 5);
  }
  const s = withData;
  const e = s?.eventLoop;
  if (s && e) {
    if (e.degraded) {
      const prev = ev.samples.at(-2);
      const sustainedByGateway = typeof e.degradedSinceMs === 'number' && e.degradedSinceMs >= t.sustainedMs;
      const sustainedByReads = !!prev && !prev.error && prev.eventLoop?.degraded === true && s === last;
      // One window can be long: the window closes at the first tick after a blocked stretch, however long it was.
      const longWindow = e.intervalMs >= t.sustainedMs;
      const since =
        typeof e.degradedSinceMs === 'number' && e.degradedSinceMs >= 1_000
          ? ` for ${ms(e.degradedSinceMs)} by its own count`
          : '';
      if (sustainedByGateway || sustainedByReads || longWindow) {
        facts.push({
          rule: 'gateway.event-loop',
          text: `the gateway reports its event loop degraded (${reasonWords(e.reasons)})${since}: ${eventLoopWords(e)} over ${ms(e.intervalMs)}`,
          degrades: true,
        });
        facts.push({
          rule: 'lanewatch.sustained',
          text: sustainedByReads
            ? 'degraded in two reads in a row'
            : longWindow
              ? `one degraded window of ${ms(e.intervalMs)}: the event loop was blocked that long`
              : `degraded for ${ms(t.sustainedMs)} or more (Lanewatch ignores a single short busy window)`,
        });
        words.push(eventLoopWords(e), 1);
      } else
        facts.push({
          rule: 'gateway.event-loop',
          text: `brief spike: the gateway's last window was degraded (${reasonWords(e.reasons)}): ${eventLoopWords(e)}; not counted until it lasts ${ms(t.sustainedMs)} or two reads`,
        });
    } else
      facts.push({
        rule: 'gateway.event-loop',
        text: `event loop fine by the gateway's own thresholds: ${eventLoopWords(e)} over ${ms(e.intervalMs)}`,
      });
  } else if (s)
    facts.push({
      rule: 'gateway.event-loop',
      text:
        s.source === 'health'
          ? 'this gateway version reports no event-loop sample (openclaw 2026.9 does); only its answer time and readiness are known'
          : 'the gateway has no completed event-loop window yet',
    });
  const pm = ev.prometheus?.figures?.memory;
  // The plugin's memory sample where the version's own read has none (2026.4.x's health has no process memory).
  const memory =
    s?.memory ??
    (pm?.rss !== undefined
      ? { rssBytes: pm.rss, heapUsedBytes: pm.heap_used ?? 0, from: ' (from its Prometheus endpoint)' }
      : undefined);
  if (memory && memory.rssBytes >= t.memoryWarnBytes) {
    facts.push({
      rule: 'lanewatch.memory',
      text: `resident memory ${bytes(memory.rssBytes)} (heap ${bytes(memory.heapUsedBytes)} used)${'from' in memory ? memory.from : ''}; Lanewatch flags ${bytes(t.memoryWarnBytes)} or more`,
      degrades: true,
    });
    words.push(`memory ${bytes(memory.rssBytes)}`, 4);
  }
  if (ev.prometheus) facts.push({ rule: 'gateway.prometheus', text: describeGatewayPrometheus(ev.prometheus) });
  const r = s?.readiness;
  if (r && !r.ready) {
    facts.push({
      rule: 'gateway.readiness',
      text: `the gateway says it is not ready (HTTP ${r.status})${r.failing.length ? `: failing ${r.failing.join(', ')}` : ''}`,
      degrades: true,
    });
    words.push(`not ready${r.failing.length ? `: ${r.failing.slice(0, 3).join(', ')}` : ''}`, 2);
  }
  const lw = ev.liveness;
  if (lw?.ts !== undefined && ev.now - lw.ts <= t.livenessFreshMs) {
    const parts = [
      lw.eventLoopDelayP99Ms !== undefined ? `delay p99 ${ms(lw.eventLoopDelayP99Ms)}` : '',
      lw.eventLoopUtilization !== undefined ? `${pct(lw.eventLoopUtilization)} busy` : '',
      lw.cpuCoreRatio !== undefined ? `CPU ${cores(lw.cpuCoreRatio)}` : '',
      lw.active !== undefined ? `${lw.active} active, ${lw.waiting ?? 0} waiting, ${lw.queued ?? 0} queued` : '',
    ].filter(Boolean);
    facts.push({
      rule: 'gateway.liveness',
      text: `the gateway recorded a liveness warning ${ms(ev.now - lw.ts)} ago (${reasonWords(lw.reasons ?? [])}${lw.degradedSinceMs !== undefined ? `, degraded ${ms(lw.degradedSinceMs)}` : ''})${parts.length ? `: ${parts.join(', ')}` : ''}`,
      degrades: true,
    });
    if (!said.length) words.push(`liveness warning ${ms(ev.now - lw.ts)} ago`, 3);
  }
  const before = ev.samples
    .slice(0, -1)
    .reverse()
    .find((x) => x.instanceId);
  if (s?.instanceId && before?.instanceId && before.instanceId !== s.instanceId)
    facts.push({ rule: 'lanewatch.restarted', text: 'the gateway process restarted (a new process instance id)' });
  const degraded = facts.some((f) => f.degrades);
  return {
    state: degraded ? 'degraded' : 'ok',
    facts,
    sample: s,
    words: degraded
      ? said
          .sort((a, b) => a[0] - b[0])
          .map((w) => w[1])
          .join('; ')
      : '',
  };
}

/** One line for the tooltip and `lanewatch status`: the numbers of the latest sample, healthy or not. */
export function describeHealthSample(s: HealthSample | undefined): string | undefined {
  if (!s || s.error) return undefined;
  const parts: string[] = [];
  if (s.eventLoop) parts.push(eventLoopWords(s.eventLoop));
  if (s.memory) parts.push(`memory ${bytes(s.memory.rssBytes)} (heap ${bytes(s.memory.heapUsedBytes)})`);
  if (s.uptimeMs !== undefined) parts.push(`up ${upWords(s.uptimeMs)}`);
  if (s.readiness) parts.push(s.readiness.ready ? 'ready' : 'not ready');
  parts.push(`answered in ${ms(s.answerMs)}`);
  return parts.join(', ');
}

export function upWords(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 1) return `${Math.floor(ms / 1000)}s`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d`;
}

/** The verdict in one line for `lanewatch status` and logs: "degraded: event loop 97% busy, …" or "ok: …". */
export function describeHealth(v: HealthVerdict): string {
  if (v.state === 'unknown') return `process health unknown: ${v.facts[0]?.text ?? 'not read'}`;
  if (v.state === 'degraded') return `degraded: ${v.words}`;
  return `ok: ${describeHealthSample(v.sample) ?? 'no numbers'}`;
}

// ---------------------------------------------------------------- wire guards

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const nonNeg = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
const REASONS = new Set(['event_loop_delay', 'event_loop_utilization', 'cpu']);

/** The eventLoop object as the gateway sends it; undefined (and a problem) when unusable. */
export function checkEventLoop(raw: unknown, problems: string[]): EventLoopHealthView | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw) || typeof raw.degraded !== 'boolean') {
    problems.push('eventLoop is not an object with a boolean degraded');
    return undefined;
  }
  const need = ['intervalMs', 'delayP99Ms', 'delayMaxMs', 'utilization', 'cpuCoreRatio'] as const;
  const nums: Partial<Record<(typeof need)[number], number>> = {};
  for (const k of need) {
    const v = nonNeg(raw[k]);
    if (v === undefined) {
      problems.push(`eventLoop.${k} is not a number ≥ 0`);
      return undefined;
    }
    nums[k] = v;
  }
  const reasons = Array.isArray(raw.reasons)
    ? raw.reasons.filter((r): r is EventLoopHealthView['reasons'][number] => typeof r === 'string' && REASONS.has(r))
    : [];
  const b = isRecord(raw.cpuBreakdown) ? raw.cpuBreakdown : undefined;
  const breakdown: NonNullable<EventLoopHealthView['cpuBreakdown']> = {};
  for (const k of [
    'mainThreadCoreRatio',
    'workerCoreRatio',
    'otherThreadsCoreRatio',
    'hostUtilization',
    'hostCpuCount',
  ] as const) {
    const v = nonNeg(b?.[k]);
    if (v !== undefined) breakdown[k] = v;
  }
  const since = raw.degradedSinceMs === null ? null : nonNeg(raw.degradedSinceMs);
  return {
    degraded: raw.degraded,
    ...(since !== undefined ? { degradedSinceMs: since } : {}),
    reasons,
    intervalMs: nums.intervalMs!,
    delayP99Ms: nums.delayP99Ms!,
    delayMaxMs: nums.delayMaxMs!,
    utilization: nums.utilization!,
    cpuCoreRatio: nums.cpuCoreRatio!,
    ...(Object.keys(breakdown).length ? { cpuBreakdown: breakdown } : {}),
  };
}

/** A `system.info` or `health` answer as a sample (at, answerMs and readiness are the caller's). */
export function sampleFromAnswer(
  raw: unknown,
  source: HealthSample['source'],
): { sample: Omit<HealthSample, 'at' | 'answerMs'>; problems: string[] } {
  const problems: string[] = [];
  if (!isRecord(raw))
    return {
      sample: { source, error: `${source} answer is not an object` },
      problems: [`${source} answer is not an object`],
    };
  const eventLoop = checkEventLoop(raw.eventLoop, problems);
  const m = isRecord(raw.processMemory) ? raw.processMemory : undefined;
  const rss = nonNeg(m?.rssBytes);
  const heapUsed = nonNeg(m?.heapUsedBytes);
  const heapTotal = nonNeg(m?.heapTotalBytes);
  if (m && (rss === undefined || heapUsed === undefined || heapTotal === undefined))
    problems.push('processMemory lacks rssBytes/heapUsedBytes/heapTotalBytes');
  const id =
    typeof raw.processInstanceId === 'string' && raw.processInstanceId.length <= 200
      ? raw.processInstanceId
      : undefined;
  return {
    sample: {
      source,
      ...(eventLoop ? { eventLoop } : {}),
      ...(rss !== undefined && heapUsed !== undefined && heapTotal !== undefined
        ? { memory: { rssBytes: rss, heapUsedBytes: heapUsed, heapTotalBytes: heapTotal } }
        : {}),
      ...(nonNeg(raw.uptimeMs) !== undefined ? { uptimeMs: nonNeg(raw.uptimeMs) } : {}),
      ...(id ? { instanceId: id } : {}),
      ...(nonNeg(raw.pid) !== undefined ? { pid: nonNeg(raw.pid) } : {}),
    },
    problems,
  };
}

/** The newest `diagnostic.liveness.warning` among stability events (any other record is skipped). */
export function latestLivenessWarning(events: unknown): LivenessWarningView | undefined {
  if (!Array.isArray(events)) return undefined;
  let best: LivenessWarningView | undefined;
  for (const raw of events) {
    if (!isRecord(raw) || raw.type !== 'diagnostic.liveness.warning') continue;
    const ts = nonNeg(raw.ts);
    if (ts === undefined || (best?.ts !== undefined && best.ts >= ts)) continue;
    const num = (k: string) => nonNeg(raw[k]);
    best = {
      type: 'diagnostic.liveness.warning',
      ts,
      ...(num('seq') !== undefined ? { seq: num('seq') } : {}),
      reasons: Array.isArray(raw.reasons)
        ? raw.reasons.filter((r): r is string => typeof r === 'string').slice(0, 5)
        : [],
      ...Object.fromEntries(
        (
          [
            'intervalMs',
            'degradedSinceMs',
            'eventLoopDelayP99Ms',
            'eventLoopDelayMaxMs',
            'eventLoopUtilization',
            'cpuCoreRatio',
            'active',
            'waiting',
            'queued',
          ] as const
        )
          .filter((k) => num(k) !== undefined)
          .map((k) => [k, num(k)]),
      ),
    };
  }
  return best;
}

/** /readyz's answer as readiness; undefined when the body is not the gateway's readiness JSON. */
export function readinessFrom(status: number, body: unknown): Readiness | undefined {
  if (!isRecord(body) || typeof body.ready !== 'boolean') return undefined;
  const failing = Array.isArray(body.failing)
    ? body.failing
        .filter((f): f is string => typeof f === 'string')
        .map((f) => f.slice(0, 120))
        .slice(0, 20)
    : [];
  return { ready: body.ready, failing, status };
}

/** GET /readyz of the gateway at `wsUrl` (no token: a local caller gets the details), bounded in time and size. */
export async function readReadiness(wsUrl: string, timeoutMs: number): Promise<Readiness | undefined> {
  const answer = await probeHttpPath(wsUrl, '/readyz', { timeoutMs });
  return answer.answered ? readinessFrom(answer.status, answer.body) : undefined;
}

// ---------------------------------------------------------------- the history and the poller

/** Samples of the last `maxAgeMs`, at most `maxSamples` (bounded memory whatever the pace). */
export class HealthHistory {
  private readonly items: HealthSample[] = [];
  constructor(
    readonly maxAgeMs = 10 * 60_000,
    readonly maxSamples = 600,
  ) {}
  add(s: HealthSample): void {
    this.items.push(s);
    this.prune(s.at);
  }
  prune(now: number): void {
    let drop = 0;
    while (drop < this.items.length && now - this.items[drop].at > this.maxAgeMs) drop++;
    drop = Math.max(drop, this.items.length - this.maxSamples);
    if (drop > 0) this.items.splice(0, drop);
  }
  samples(): readonly HealthSample[] {
    return this.items;
  }
  clear(): void {
    this.items.length = 0;
  }
}

export interface HealthPollerOptions {
  /** One read of the vitals (system.info or health); rejects on failure. */
  read: () => Promise<{ raw: unknown; source: HealthSample['source'] }>;
  /** /readyz, when it can be read (undefined: not known). */
  readiness?: () => Promise<Readiness | undefined>;
  /** The latest liveness warning, when the gateway records them (read every LIVENESS_EVERY_MS at most). */
  liveness?: () => Promise<LivenessWarningView | undefined>;
  connected: () => boolean;
  now?: () => number;
  log?: (message: string) => void;
  historyMs?: number;
  thresholds?: Partial<HealthThresholds>;
  /** Lowest interval ever used (ms); the gateway's own sampler window raises it. Default 1 s. */
  minIntervalMs?: number;
  /** The gateway's own Prometheus endpoint (read every PROMETHEUS_EVERY_MS at most; undefined: not asked). */
  prometheus?: () => Promise<GatewayPrometheusRead | undefined>;
}

/** How often the liveness record and /readyz are read while polling (ms): the gateway's heartbeat is 30 s. */
export const LIVENESS_EVERY_MS = 30_000;
export const READINESS_EVERY_MS = 10_000;
/** The plugin's figures move with runs and its 30 s memory heartbeat: read as often as the liveness record. */
export const PROMETHEUS_EVERY_MS = 30_000;
/** Default poll interval for a demand that names none. */
export const DEFAULT_HEALTH_INTERVAL_MS = 5_000;

/**
 * Reads the vitals while there is demand and the gateway is connected; nothing at all otherwise. One read at a time
 * (a slow gateway is not asked again before it answered); the next read is due `interval` after the last one started,
 * where `interval` is the shortest interval any demand asks for, never below the gateway's own sampler window (the
 * latest sample's intervalMs): reading faster would return the same window twice.
 */
export class GatewayHealthPoller {
  readonly history: HealthHistory;
  private readonly demands = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private lastStart = -Infinity;
  private lastReadiness?: { at: number; value?: Readiness };
  private lastLivenessRead = -Infinity;
  private liveness?: LivenessWarningView;
  private lastPrometheusRead = -Infinity;
  private prometheus?: GatewayPrometheusRead;
  private readonly samplesEmitter = new Emitter<HealthSample>();
  /** Every sample read (the details panel's history). */
  readonly onSample = this.samplesEmitter.on.bind(this.samplesEmitter);
  private readonly changeEmitter = new Emitter<void>();
  /** A sample arrived, or a read has gone unanswered for slowAnswerMs (the verdict may have changed). */
  readonly onDidChange = this.changeEmitter.on.bind(this.changeEmitter);
  private pendingSince?: number;
  private slowTimer?: NodeJS.Timeout;
  private readonly now: () => number;
  private disposed = false;
  /** Reads started since creation (tests, the bench). */
  reads = 0;

  constructor(private readonly opts: HealthPollerOptions) {
    this.now = opts.now ?? Date.now;
    this.history = new HealthHistory(opts.historyMs);
  }

  /** Someone (`reason`: a view, the watchdog) needs health read every `intervalMs` (default 5 s), or no longer. */
  setDemand(reason: string, on: boolean, intervalMs = DEFAULT_HEALTH_INTERVAL_MS): void {
    const had = this.demands.size > 0;
    if (on) this.demands.set(reason, Math.max(intervalMs, this.opts.minIntervalMs ?? 1_000));
    else this.demands.delete(reason);
    if (!this.demands.size) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (!had) this.kick();
    else this.schedule();
  }

  /** A read is armed on the timer (tests: nothing is without demand). */
  scheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Resolves once no read is in flight. */
  async whenIdle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  demandReasons(): string[] {
    return [...this.demands.keys()];
  }

  /** The interval in force: the shortest demanded, raised to the gateway's own sampler window. */
  intervalMs(): number | undefined {
    if (!this.demands.size) return undefined;
    const asked = Math.min(...this.demands.values());
    const window = [...this.history.samples()].reverse().find((s) => s.eventLoop)?.eventLoop?.intervalMs ?? 0;
    return Math.max(asked, Math.ceil(window), this.opts.minIntervalMs ?? 1_000);
  }

  /** The connection came up (read now if needed) or went down (stop; the history of a dead process stays). */
  connectionChanged(): void {
    if (!this.opts.connected()) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.lastReadiness = undefined;
      // A new connection may be a new process with other plugins: read the endpoint again.
      this.prometheus = undefined;
      this.lastPrometheusRead = -Infinity;
      return;
    }
    if (this.demands.size) this.kick();
  }

  verdict(): HealthVerdict {
    this.history.prune(this.now());
    return deriveHealth({
      now: this.now(),
      connected: this.opts.connected(),
      samples: this.history.samples(),
      liveness: this.liveness,
      thresholds: this.opts.thresholds,
      idle: this.demands.size === 0,
      ...(this.pendingSince !== undefined ? { pendingSince: this.pendingSince } : {}),
      ...(this.prometheus ? { prometheus: this.prometheus } : {}),
    });
  }

  /** The latest read of the gateway's own Prometheus endpoint (undefined: not read on this connection). */
  prometheusRead(): GatewayPrometheusRead | undefined {
    return this.prometheus;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || !this.opts.connected() || this.disposed) return;
    const wait = this.lastStart + (this.intervalMs() ?? 0) - this.now();
    if (wait > 0) this.schedule();
    else void this.readOnce();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const interval = this.intervalMs();
    if (interval === undefined || this.inFlight || !this.opts.connected() || this.disposed) return;
    const wait = Math.max(0, this.lastStart + interval - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.readOnce();
    }, wait);
    this.timer.unref?.();
  }

  /** One read now (joins one in flight). Public for one-shot readers (the CLI) and tests. */
  readOnce(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (!this.opts.connected() || this.disposed) return Promise.resolve();
    this.inFlight = this.doRead().finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
    return this.inFlight;
  }

  private async doRead(): Promise<void> {
    const started = this.now();
    this.lastStart = started;
    this.reads++;
    this.pendingSince = started;
    const slowMs = { ...DEFAULT_HEALTH_THRESHOLDS, ...this.opts.thresholds }.slowAnswerMs;
    this.slowTimer = setTimeout(() => this.changeEmitter.fire(), slowMs + 10);
    this.slowTimer.unref?.();
    const wantReadiness =
      this.opts.readiness && (!this.lastReadiness || started - this.lastReadiness.at >= READINESS_EVERY_MS);
    const readiness = wantReadiness ? this.opts.readiness!().catch(() => undefined) : undefined;
    const wantLiveness = this.opts.liveness && started - this.lastLivenessRead >= LIVENESS_EVERY_MS;
    if (wantLiveness) {
      this.lastLivenessRead = started;
      void this.opts.liveness!().then(
        (w) => {
          if (w && (!this.liveness || (w.ts ?? 0) > (this.liveness.ts ?? 0))) this.liveness = w;
        },
        (err: Error) => this.opts.log?.(`liveness read failed: ${err.message}`),
      );
    }
    const wantPrometheus = this.opts.prometheus && started - this.lastPrometheusRead >= PROMETHEUS_EVERY_MS;
    const prometheus = wantPrometheus ? this.opts.prometheus!().catch(() => undefined) : undefined;
    if (wantPrometheus) this.lastPrometheusRead = started;
    let sample: HealthSample;
    try {
      const { raw, source } = await this.opts.read();
      const got = sampleFromAnswer(raw, source);
      for (const p of got.problems) this.opts.log?.(`ignored: ${p}`);
      sample = { ...got.sample, at: this.now(), answerMs: this.now() - started };
    } catch (err) {
      if (!this.opts.connected()) {
        clearTimeout(this.slowTimer);
        this.pendingSince = undefined;
        return;
      }
      sample = {
        source: 'system.info',
        at: this.now(),
        answerMs: this.now() - started,
        error: (err as Error).message.slice(0, 300),
      };
    }
    if (readiness) this.lastReadiness = { at: started, value: await readiness };
    if (prometheus) this.prometheus = (await prometheus) ?? this.prometheus;
    const r = this.lastReadiness?.value;
    if (r && !sample.error) sample.readiness = r;
    clearTimeout(this.slowTimer);
    this.pendingSince = undefined;
    if (this.disposed) return;
    this.history.add(sample);
    this.samplesEmitter.fire(sample);
    this.changeEmitter.fire();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    clearTimeout(this.slowTimer);
    this.changeEmitter.clear();
    this.demands.clear();
    this.samplesEmitter.clear();
  }
}

// ---------------------------------------------------------------- views (tree row, details panel)

/**
 * The gateway row's health, as plain text (the tree escapes it for its Markdown tooltip): a description suffix only
 * when degraded (a healthy row says nothing more), the facts that degrade, and the latest numbers.
 */
export function healthRowText(v: HealthVerdict): { description?: string; why: string[]; numbers?: string } {
  const numbers = describeHealthSample(v.sample);
  return {
    ...(v.state === 'degraded' ? { description: `degraded: ${v.words}` } : {}),
    why: v.state === 'degraded' ? v.facts.filter((f) => f.degrades).map((f) => f.text) : [],
    ...(numbers ? { numbers } : {}),
  };
}

const point = (s: HealthSample): HealthPointView => ({
  at: s.at,
  degraded: s.eventLoop?.degraded === true || !!s.error,
  answerMs: Math.round(s.answerMs),
  ...(s.eventLoop
    ? {
        busyPct: Math.round(s.eventLoop.utilization * 100),
        delayMs: Math.round(Math.max(s.eventLoop.delayP99Ms, s.eventLoop.delayMaxMs)),
        cpuCores: Math.round(s.eventLoop.cpuCoreRatio * 100) / 100,
      }
    : {}),
  ...(s.memory ? { rssBytes: s.memory.rssBytes } : {}),
  ...(s.error ? { error: s.error } : {}),
});

/** The details panel's health section: the verdict, its facts, the latest numbers and the bounded history. */
export function healthView(v: HealthVerdict, samples: readonly HealthSample[], historyMs: number): GatewayHealthView {
  const s = v.sample;
  const e = s?.eventLoop;
  const current: Array<[string, string]> = [];
  if (e) {
    current.push(['event loop', `${pct(e.utilization)} busy over ${ms(e.intervalMs)}`]);
    current.push(['event-loop delay', `p99 ${ms(e.delayP99Ms)}, max ${ms(e.delayMaxMs)}`]);
    const b = e.cpuBreakdown;
    const split = [
      b?.mainThreadCoreRatio !== undefined ? `main thread ${cores(b.mainThreadCoreRatio)}` : '',
      b?.workerCoreRatio !== undefined ? `workers ${cores(b.workerCoreRatio)}` : '',
      b?.otherThreadsCoreRatio !== undefined ? `other threads ~${cores(b.otherThreadsCoreRatio)}` : '',
    ].filter(Boolean);
    current.push(['CPU (gateway process)', `${cores(e.cpuCoreRatio)}${split.length ? ` (${split.join(', ')})` : ''}`]);
    if (b?.hostUtilization !== undefined)
      current.push(['CPU (whole host)', `${pct(b.hostUtilization)} of ${b.hostCpuCount ?? '?'} CPUs`]);
  }
  if (s?.memory)
    current.push([
      'memory',
      `${bytes(s.memory.rssBytes)} resident, heap ${bytes(s.memory.heapUsedBytes)} of ${bytes(s.memory.heapTotalBytes)}`,
    ]);
  if (s?.uptimeMs !== undefined) current.push(['up for', upWords(s.uptimeMs)]);
  if (s?.readiness)
    current.push([
      'ready for traffic',
      s.readiness.ready ? 'yes' : `no${s.readiness.failing.length ? `: ${s.readiness.failing.join(', ')}` : ''}`,
    ]);
  if (s) current.push(['health read answered in', ms(s.answerMs)]);
  if (s?.pid !== undefined) current.push(['process id', String(s.pid)]);
  if (s?.instanceId) current.push(['process instance', s.instanceId]);
  const headline =
    v.state === 'degraded'
      ? `Degraded: ${v.words}`
      : v.state === 'ok'
        ? 'Healthy'
        : `Not known: ${v.facts[0]?.text ?? 'not read'}`;
  return {
    state: v.state,
    headline,
    facts: v.facts.map((f) => ({ rule: f.rule, text: f.text, ...(f.degrades ? { degrades: true } : {}) })),
    current,
    history: samples.map(point),
    historyMinutes: Math.round(historyMs / 60_000),
  };
}
