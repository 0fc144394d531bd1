// The known failures a gateway's log reported lately (logs/knownProblems.ts), summed up for the gateway: what, how
// often, when last, and on which sessions where the line names one. Shown on the gateway's tooltip and in `lanewatch
// status`; a lane status never depends on it (these failures hold no lane: that is why they need saying).
import { formatDuration } from '../protocol/duration';
import { knownProblem, type KnownProblemId } from '../logs/knownProblems';

/** The same window as the gateway's own recovery summary and the diagnostics a lane status counts. */
export const LOG_PROBLEMS_WINDOW_MS = 10 * 60_000;

export interface LogProblemSighting {
  id: KnownProblemId;
  at: number;
  sessionKey?: string;
  /** The line's message, shortened: the example a report shows behind "details". */
  message: string;
}

export interface LogProblemsSummary {
  windowMs: number;
  /** Most recent first. */
  problems: Array<{
    id: KnownProblemId;
    headline: string;
    advice: string;
    count: number;
    latestAt: number;
    sessions: string[];
    example: string;
  }>;
  /** One line for the gateway's tooltip and `lanewatch status`; undefined when the window holds nothing. */
  text?: string;
}

export function summarizeLogProblems(
  sightings: readonly LogProblemSighting[],
  now: number,
  label: (key: string) => string = (k) => k,
  windowMs = LOG_PROBLEMS_WINDOW_MS,
  /** When given, the latest line's time as the clock shows it ("last at 17:08:19"), for a view that is not rebuilt as time passes. */
  clockTime?: (at: number) => string,
): LogProblemsSummary {
  const byId = new Map<KnownProblemId, LogProblemsSummary['problems'][number]>();
  for (const s of sightings) {
    if (now - s.at > windowMs || s.at - now > 60_000) continue; // a clock far ahead of ours says nothing of "lately"
    const p = knownProblem(s.id);
    let e = byId.get(s.id);
    if (!e) byId.set(s.id, (e = { ...p, count: 0, latestAt: s.at, sessions: [], example: s.message }));
    e.count++;
    if (s.at >= e.latestAt) {
      e.latestAt = s.at;
      e.example = s.message;
    }
    if (s.sessionKey && !e.sessions.includes(s.sessionKey)) e.sessions.push(s.sessionKey);
  }
  const problems = [...byId.values()]
    .map(({ id, headline, advice, count, latestAt, sessions, example }) => ({
      id,
      headline,
      advice,
      count,
      latestAt,
      sessions,
      example,
    }))
    .sort((a, b) => b.latestAt - a.latestAt);
  const summary: LogProblemsSummary = { windowMs, problems };
  if (problems.length)
    summary.text = `In its log, the last ${Math.round(windowMs / 60_000)} min: ${problems
      .map((p) => {
        const on = p.sessions.length
          ? ` (${p.sessions.slice(0, 3).map(label).join(', ')}${p.sessions.length > 3 ? ', …' : ''})`
          : '';
        const last = clockTime
          ? `last at ${clockTime(p.latestAt)}`
          : `last ${formatDuration(Math.max(0, now - p.latestAt))} ago`;
        return `${p.headline}${on}, ${p.count === 1 ? 'once' : `${p.count} times`}, ${last}`;
      })
      .join('; ')}.`;
  return summary;
}
