// The gateway's own stuck-session recovery, gateway-wide: how often it ran in the last ten minutes, what it said, and
// on which sessions a run still holds the lane after it claimed to free it ("freed nothing"). Two sources:
// - its `stuck session recovery outcome` log lines (every version that writes them; per session, the latest one);
// - on 2026.9.x, its stability recorder's `session.recovery.completed` records (diagnostics.stability): every attempt,
//   including those whose line Lanewatch has not read, but without the session (the recorder keeps no key).
// The per-session verdict ("stuck: its recovery freed nothing") is the lane status's (lanes/laneStatus.ts); this only
// counts and names, so that a gateway whose own recovery keeps failing is visible on the gateway, not only row by row.
import type { GatewayRecoverySighting } from '../lanes/laneStatus';

/** The same window a recovery line counts for on its session. */
export const RECOVERY_SUMMARY_WINDOW_MS = 10 * 60_000;

/** One `session.recovery.completed` record as the stability recorder keeps it (sanitized: no session key). */
export interface RecorderRecovery {
  ts: number;
  /** aborted | released | skipped | noop | failed */
  outcome: string;
  action?: string;
  /** How many lane entries it released. */
  count?: number;
}

export interface GatewayRecoverySummary {
  windowMs: number;
  /** Sessions whose latest recovery line falls in the window, newest first. */
  sessions: Array<{ key: string; at: number; status: string; released?: number; freedNothing: boolean }>;
  /** The recorder's attempts in the window (2026.9.x, once read), by outcome. */
  recorder?: { attempts: number; byOutcome: Record<string, number>; releasedNothing: number; latestAt?: number };
  /** One line for the gateway's tooltip and `lanewatch status`; undefined when there is nothing in the window. */
  text?: string;
}

/** The records of a diagnostics.stability answer that are recovery outcomes (anything else, or malformed, skipped). */
export function recorderRecoveries(events: unknown): RecorderRecovery[] {
  if (!Array.isArray(events)) return [];
  const out: RecorderRecovery[] = [];
  for (const e of events as Array<Record<string, unknown>>) {
    if (!e || typeof e !== 'object' || e.type !== 'session.recovery.completed' || typeof e.ts !== 'number') continue;
    out.push({
      ts: e.ts,
      outcome: typeof e.outcome === 'string' ? e.outcome : 'unknown',
      ...(typeof e.action === 'string' ? { action: e.action } : {}),
      ...(typeof e.count === 'number' ? { count: e.count } : {}),
    });
  }
  return out;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function summarizeGatewayRecoveries(
  sightings: Iterable<[string, GatewayRecoverySighting]>,
  freedNothing: (key: string) => boolean,
  records: readonly RecorderRecovery[] | undefined,
  now: number,
  label: (key: string) => string = (k) => k,
  windowMs = RECOVERY_SUMMARY_WINDOW_MS,
): GatewayRecoverySummary {
  const sessions = [...sightings]
    .filter(([, s]) => now - s.at <= windowMs)
    .map(([key, s]) => ({
      key,
      at: s.at,
      status: s.status,
      ...(s.released !== undefined ? { released: s.released } : {}),
      freedNothing: freedNothing(key),
    }))
    .sort((a, b) => b.at - a.at);
  const recent = records?.filter((r) => now - r.ts <= windowMs);
  const recorder = recent
    ? {
        attempts: recent.length,
        byOutcome: recent.reduce<Record<string, number>>((m, r) => ((m[r.outcome] = (m[r.outcome] ?? 0) + 1), m), {}),
        releasedNothing: recent.filter((r) => r.outcome === 'noop' || (r.outcome === 'released' && r.count === 0))
          .length,
        ...(recent.length ? { latestAt: Math.max(...recent.map((r) => r.ts)) } : {}),
      }
    : undefined;
  const summary: GatewayRecoverySummary = { windowMs, sessions, ...(recorder ? { recorder } : {}) };
  const attempts = recorder?.attempts ?? 0;
  if (!sessions.length && !attempts) return summary;
  const minutes = Math.round(windowMs / 60_000);
  const parts: string[] = [];
  if (attempts) {
    const outcomes = Object.entries(recorder!.byOutcome)
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${n} ${o}`)
      .join(', ');
    parts.push(`ran ${plural(attempts, 'time')} in the last ${minutes} min (${outcomes})`);
  } else parts.push(`ran on ${plural(sessions.length, 'session')} in the last ${minutes} min`);
  const stuck = sessions.filter((s) => s.freedNothing);
  if (stuck.length)
    parts.push(
      `freed nothing on ${plural(stuck.length, 'session')} a run still holds: ${stuck
        .slice(0, 3)
        .map((s) => label(s.key))
        .join(', ')}${stuck.length > 3 ? ` and ${stuck.length - 3} more` : ''}`,
    );
  summary.text = `The gateway's own stuck-session recovery ${parts.join('; ')}.`;
  return summary;
}
