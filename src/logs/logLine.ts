// Parses one gateway log line. OpenClaw writes tslog JSON lines: `message` (2026.4+) or the positional
// "1"/"2" arguments (2026.3.x), `_meta.logLevelName`, `time`, and the subsystem as a JSON string in "0".
// A line that does not parse is kept raw, never dropped. Key=value fields operators search for are
// extracted from the message (`lane=… waitedMs=… sessionKey=…`).
import { knownProblemOf, type KnownProblemId } from './knownProblems';

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'UNKNOWN';

export type DiagnosticKind =
  | 'lane-wait'
  | 'long-running'
  | 'stalled'
  | 'stuck'
  | 'recovery-outcome'
  | 'lane-task-error'
  | 'idle-timeout'
  | 'restart-recovery'
  | 'announce-give-up';

export interface ParsedLogLine {
  raw: string;
  /** false when the line was not JSON (or not an object); `message` is then the raw text. */
  parsed: boolean;
  time?: number;
  level: LogLevel;
  subsystem?: string;
  message: string;
  fields: Record<string, string>;
  diagnostic?: DiagnosticKind;
  /** A failure of the field's list that no lane status shows (knownProblems.ts). */
  knownProblem?: KnownProblemId;
  /** The session key the line is about, from sessionKey= or lane=session:<key>. */
  sessionKey?: string;
}

const MAX_MESSAGE = 8_000;
const FIELD_RE = /(?:^|\s)([A-Za-z][\w.]*)=("(?:[^"\\]|\\.)*"|\S+)/g;

const DIAGNOSTIC_PATTERNS: Array<[RegExp, DiagnosticKind]> = [
  [/^lane wait exceeded:/, 'lane-wait'],
  [/^long-running session:/, 'long-running'],
  [/^stalled session:/, 'stalled'],
  [/^stuck session:/, 'stuck'],
  // The gateway's own stuck-session recovery (2026.5+): status=released|aborted|skipped|failed, released=N, laneActive=N.
  [/^stuck session recovery outcome:/, 'recovery-outcome'],
  [/^lane task error:/, 'lane-task-error'],
  [/llm-idle-timeout|LLM idle timeout/, 'idle-timeout'],
  [/restart-recovery|interrupted main session/, 'restart-recovery'],
  // A subagent's result was never handed to its requester (2026.5+): `… (reason) run=… child=… requester=… retries=…`.
  [/^Subagent announce give up/, 'announce-give-up'],
];

function levelOf(v: unknown): LogLevel {
  const s = typeof v === 'string' ? v.toUpperCase() : '';
  return (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const).find((l) => l === s) ?? 'UNKNOWN';
}

function stringOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function subsystemOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const o = JSON.parse(v) as Record<string, unknown>;
    if (typeof o.subsystem === 'string') return o.subsystem;
    if (typeof o.module === 'string') return o.module;
  } catch {
    /* not JSON: a plain name */
  }
  return v.length < 80 ? v : undefined;
}

export function extractFields(message: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of message.matchAll(FIELD_RE)) {
    let value = m[2];
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        value = value.slice(1, -1);
      }
    }
    if (!(m[1] in fields)) fields[m[1]] = value;
  }
  return fields;
}

function classify(
  message: string,
  fields: Record<string, string>,
): Pick<ParsedLogLine, 'diagnostic' | 'knownProblem' | 'sessionKey'> {
  const diagnostic = DIAGNOSTIC_PATTERNS.find(([re]) => re.test(message))?.[1];
  const knownProblem = diagnostic ? undefined : knownProblemOf(message);
  const lane = fields.lane;
  const sessionKey = fields.sessionKey ?? (lane?.startsWith('session:') ? lane.slice('session:'.length) : undefined);
  return { diagnostic, ...(knownProblem ? { knownProblem } : {}), sessionKey };
}

export function parseLogLine(raw: string): ParsedLogLine {
  // logs.tail bounds a whole answer to 1 MB; a single longer line is kept raw rather than parsed.
  const line = raw.length > 1_000_000 ? raw.slice(0, MAX_MESSAGE) : raw;
  let obj: Record<string, unknown> | undefined;
  try {
    const v: unknown = JSON.parse(line);
    if (v && typeof v === 'object' && !Array.isArray(v)) obj = v as Record<string, unknown>;
  } catch {
    /* raw text line */
  }
  if (!obj) {
    // Console format: `2026-11-21T14:39:41.778+00:00 [diagnostic] long-running session: ...` (ANSI stripped).
    // eslint-disable-next-line no-control-regex -- ESC is what an ANSI colour code starts with
    const text = line.replace(/\x1b\[[0-9;]*m/g, '');
    const m = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))\s+(?:\[([\w/.-]+)\]\s+)?(.*)$/s.exec(text);
    const message = (m ? m[3] : text).slice(0, MAX_MESSAGE);
    const fields = extractFields(message);
    return {
      raw,
      parsed: false,
      time: m ? Date.parse(m[1]) || undefined : undefined,
      level: 'UNKNOWN',
      subsystem: m?.[2],
      message,
      fields,
      ...classify(message, fields),
    };
  }
  const meta = (obj._meta && typeof obj._meta === 'object' ? obj._meta : {}) as Record<string, unknown>;
  const one = obj['1'],
    two = obj['2'];
  const message = (
    typeof obj.message === 'string'
      ? obj.message
      : typeof one === 'string'
        ? one
        : typeof two === 'string'
          ? two
          : (stringOf(one) ?? stringOf(obj.msg) ?? '')
  ).slice(0, MAX_MESSAGE);
  const timeText = typeof obj.time === 'string' ? obj.time : typeof meta.date === 'string' ? meta.date : undefined;
  const fields = extractFields(message);
  return {
    raw,
    parsed: true,
    time: timeText ? Date.parse(timeText) || undefined : undefined,
    level: levelOf(meta.logLevelName ?? obj.level),
    subsystem: subsystemOf(obj['0']) ?? subsystemOf(meta.name),
    message,
    fields,
    ...classify(message, fields),
  };
}

/** Numeric field, or undefined when absent/garbled (`age=141s` → 141). */
export function numberField(fields: Record<string, string>, name: string): number | undefined {
  const v = fields[name];
  if (v === undefined) return undefined;
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : undefined;
}
