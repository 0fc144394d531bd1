// The gateway's own Prometheus endpoint, when its `diagnostics-prometheus` plugin is enabled: GET
// /api/diagnostics/prometheus with the operator token (scope operator.read) in the Authorization header. OpenClaw's
// docs/gateway/prometheus.md gives the route, its auth and the series; 2026.4.26 bundles the plugin (enabled with
// plugins.entries["diagnostics-prometheus"].enabled), 2026.9.x installs it from npm or ClawHub first. Without the
// plugin the route does not exist (404 on 2026.9.6), which Lanewatch reports as "not enabled", plainly.
//
// Only a few series are read, summed over their labels so that nothing unbounded comes through (the plugin already
// keeps session keys out of its labels): runs completed and model calls by outcome, the commands queued across the
// gateway's lanes, the stuck-session reports, the process memory. The text is parsed line by line within a byte
// bound; anything that is not a sample of a wanted series is skipped.
import { fetchGatewayText } from '../gateway/httpProbe';

export const GATEWAY_PROMETHEUS_PATH = '/api/diagnostics/prometheus';
/** The plugin caps itself at 2,048 samples (histograms expand to ~19 lines each): a few MB at most. */
export const MAX_PROMETHEUS_BYTES = 8 * 1024 * 1024;

/** What the gateway's endpoint said. */
export type GatewayPrometheusState =
  /** 200 with Prometheus text: the plugin is enabled. */
  | 'enabled'
  /** 404: no such route, the plugin is not enabled (or not installed). */
  | 'not-enabled'
  /** 401/403: the token is refused, or lacks operator.read. */
  | 'refused'
  /** Another answer (e.g. a proxy's HTML page, a 5xx). */
  | 'unexpected'
  /** No answer (refused, timeout). */
  | 'unreachable';

export interface GatewayPrometheusFigures {
  /** openclaw_run_completed_total summed by outcome (completed, error, …). */
  runsCompleted: Record<string, number>;
  /** openclaw_model_call_total summed by outcome. */
  modelCalls: Record<string, number>;
  /** openclaw_queue_lane_size summed over lanes: commands waiting in the gateway's queues now. */
  queued?: number;
  /** openclaw_session_stuck_total summed (2026.9.x): how often the gateway itself reported a stuck session. */
  stuckReports?: number;
  /** openclaw_memory_bytes by kind (rss, heap_used, …), from the plugin's latest memory sample. */
  memory: Record<string, number>;
  /** openclaw_prometheus_series_dropped_total: the plugin's own series cap was hit (its figures are partial). */
  seriesDropped?: number;
  /** openclaw_gateway_build_info's process_instance_id (2026.9.x). */
  processInstanceId?: string;
}

export interface GatewayPrometheusRead {
  at: number;
  state: GatewayPrometheusState;
  /** The HTTP status, when there was an answer. */
  status?: number;
  ms: number;
  /** Present when enabled. */
  figures?: GatewayPrometheusFigures;
  /** The body was longer than MAX_PROMETHEUS_BYTES: the figures are from its first part. */
  truncated?: boolean;
  /** Why unreachable / unexpected (no token, no URL path). */
  error?: string;
}

export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?\s*$/;

/** Label pairs of `{a="x",b="y\"z"}` (Prometheus text escaping: \\, \", \n); undefined when malformed. */
function parseLabels(raw: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let i = 1;
  const end = raw.length - 1;
  while (i < end) {
    while (i < end && (raw[i] === ',' || raw[i] === ' ')) i++;
    if (i >= end) break;
    const eq = raw.indexOf('=', i);
    if (eq < 0 || raw[eq + 1] !== '"') return undefined;
    const name = raw.slice(i, eq).trim();
    let j = eq + 2;
    let value = '';
    while (j < end && raw[j] !== '"') {
      if (raw[j] === '\\' && j + 1 < end) {
        const c = raw[j + 1];
        value += c === 'n' ? '\n' : c;
        j += 2;
      } else value += raw[j++];
    }
    if (raw[j] !== '"') return undefined;
    labels[name] = value;
    i = j + 1;
  }
  return labels;
}

/** The samples of the wanted series in Prometheus text (0.0.4); comments, other series and bad lines are skipped. */
export function parsePrometheusText(text: string, wanted: ReadonlySet<string>): PrometheusSample[] {
  const out: PrometheusSample[] = [];
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const line = text.slice(start, nl);
    start = nl + 1;
    if (!line || line[0] === '#') continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const nameEnd = brace >= 0 && (space < 0 || brace < space) ? brace : space;
    if (nameEnd <= 0 || !wanted.has(line.slice(0, nameEnd))) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = m[2] ? parseLabels(m[2]) : {};
    const value = Number(m[3]);
    if (!labels || !Number.isFinite(value)) continue;
    out.push({ name: m[1], labels, value });
  }
  return out;
}

const WANTED = new Set([
  'openclaw_run_completed_total',
  'openclaw_model_call_total',
  'openclaw_queue_lane_size',
  'openclaw_session_stuck_total',
  'openclaw_memory_bytes',
  'openclaw_prometheus_series_dropped_total',
  'openclaw_gateway_build_info',
]);

/** A label value from the gateway used as a key of ours: short and plain, else "other". */
const key = (v: string | undefined) => (v && /^[A-Za-z0-9_.:-]{1,48}$/.test(v) ? v : 'other');

/** The figures Lanewatch reads from the endpoint's text. */
export function figuresFromText(text: string): GatewayPrometheusFigures {
  const f: GatewayPrometheusFigures = { runsCompleted: {}, modelCalls: {}, memory: {} };
  const addTo = (m: Record<string, number>, k: string, v: number) => (m[k] = (m[k] ?? 0) + v);
  for (const s of parsePrometheusText(text, WANTED)) {
    switch (s.name) {
      case 'openclaw_run_completed_total':
        addTo(f.runsCompleted, key(s.labels.outcome), s.value);
        break;
      case 'openclaw_model_call_total':
        addTo(f.modelCalls, key(s.labels.outcome), s.value);
        break;
      case 'openclaw_queue_lane_size':
        f.queued = (f.queued ?? 0) + s.value;
        break;
      case 'openclaw_session_stuck_total':
        f.stuckReports = (f.stuckReports ?? 0) + s.value;
        break;
      case 'openclaw_memory_bytes':
        f.memory[key(s.labels.kind)] = s.value;
        break;
      case 'openclaw_prometheus_series_dropped_total':
        f.seriesDropped = s.value;
        break;
      case 'openclaw_gateway_build_info':
        if (s.labels.process_instance_id) f.processInstanceId = s.labels.process_instance_id.slice(0, 64);
        break;
    }
  }
  return f;
}

/** Prometheus text, not a page or JSON that happens to answer 200 (a proxy, a UI fallback). */
function looksLikePrometheus(text: string, contentType: string): boolean {
  if (/^text\/plain|openmetrics/i.test(contentType)) return true;
  const first = text.trimStart().slice(0, 200);
  return first === '' || first.startsWith('# HELP') || first.startsWith('# TYPE') || /^[a-zA-Z_:]/.test(first);
}

/** One read of the gateway's endpoint; never throws, bounded in time and size. */
export async function readGatewayPrometheus(
  wsUrl: string,
  opts: { token?: string; timeoutMs?: number; tlsFingerprint?: string; now?: () => number } = {},
): Promise<GatewayPrometheusRead> {
  const now = opts.now ?? Date.now;
  const answer = await fetchGatewayText(wsUrl, GATEWAY_PROMETHEUS_PATH, {
    token: opts.token,
    timeoutMs: opts.timeoutMs ?? 2_000,
    maxBytes: MAX_PROMETHEUS_BYTES,
    ...(opts.tlsFingerprint ? { tlsFingerprint: opts.tlsFingerprint } : {}),
  });
  const at = now();
  if (!answer.answered) return { at, state: 'unreachable', ms: answer.ms, error: answer.error };
  const base = { at, status: answer.status, ms: answer.ms };
  if (answer.status === 404) return { ...base, state: 'not-enabled' };
  if (answer.status === 401 || answer.status === 403) return { ...base, state: 'refused' };
  const text = answer.text ?? '';
  if (answer.status !== 200 || !looksLikePrometheus(text, answer.contentType ?? ''))
    return { ...base, state: 'unexpected', error: `HTTP ${answer.status} ${answer.contentType ?? ''}`.trim() };
  return {
    ...base,
    state: 'enabled',
    figures: figuresFromText(text),
    ...(answer.truncated ? { truncated: true } : {}),
  };
}

const ENABLE_HINT =
  'to have it, enable the plugin: openclaw plugins enable diagnostics-prometheus (on 2026.9 install it first: openclaw plugins install clawhub:@openclaw/diagnostics-prometheus), then restart the gateway';

const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What the endpoint said, in words for an operator: the figures, or why there are none and what to do. */
export function describeGatewayPrometheus(r: GatewayPrometheusRead): string {
  switch (r.state) {
    case 'not-enabled':
      return `the gateway's Prometheus endpoint is not enabled (no ${GATEWAY_PROMETHEUS_PATH}): ${ENABLE_HINT}`;
    case 'refused':
      return `the gateway's Prometheus endpoint refused Lanewatch's token (HTTP ${r.status}): it needs operator.read`;
    case 'unreachable':
      return `the gateway's Prometheus endpoint did not answer (${r.error ?? 'no answer'})`;
    case 'unexpected':
      return `the gateway's Prometheus endpoint gave an answer that is not Prometheus text (${r.error ?? `HTTP ${r.status}`})`;
    case 'enabled': {
      const f = r.figures!;
      const runs = sum(f.runsCompleted);
      const notOk = runs - (f.runsCompleted.completed ?? 0);
      const callErrors = sum(f.modelCalls) - (f.modelCalls.completed ?? 0);
      const parts = [
        `${plural(runs, 'run')} completed${notOk ? ` (${notOk} not ok)` : ''}`,
        `${plural(sum(f.modelCalls), 'model call')}${callErrors ? ` (${callErrors} failed)` : ''}`,
        ...(f.queued !== undefined ? [`${f.queued} queued in its lanes`] : []),
        ...(f.stuckReports ? [`${plural(f.stuckReports, 'stuck-session report')}`] : []),
        ...(f.memory.rss !== undefined ? [`memory ${Math.round(f.memory.rss / 1024 ** 2)} MB resident`] : []),
      ];
      const partial = f.seriesDropped
        ? ' (partial: the plugin dropped series past its cap)'
        : r.truncated
          ? ' (partial: the answer was cut at 8 MB)'
          : '';
      return `the gateway's Prometheus endpoint: ${parts.join(', ')}${partial}`;
    }
  }
}
