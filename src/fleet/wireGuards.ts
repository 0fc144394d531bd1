// Shape checks for the answers and events the watcher keeps. The connection guarantees a frame is a JSON object
// with the right envelope; what is inside the payload is the gateway's word, and a broken or hostile gateway can
// send any type in any field. Everything the model stores passes through here: a value of the wrong type is dropped
// (with a reason the watcher logs), never stored, so the views can rely on the types in src/gateway/types.ts.
import type { LaneView, SessionRowView } from '../gateway';
import { queuedCount, readPendingInputs } from '../lanes/pendingInputs';

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Longest session key kept (OpenClaw keys are `agent:<id>:<name>`, well under this). */
export const MAX_SESSION_KEY_LENGTH = 512;
/** Date's own range: a larger timestamp makes `new Date(t).toISOString()` throw. */
const MAX_TIME = 8.64e15;

type FieldCheck = (v: unknown) => boolean;
const str: FieldCheck = (v) => typeof v === 'string';
const strOrNull: FieldCheck = (v) => v === null || typeof v === 'string';
const bool: FieldCheck = (v) => typeof v === 'boolean';
const finite: FieldCheck = (v) => typeof v === 'number' && Number.isFinite(v);
const time: FieldCheck = (v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_TIME;
const strings: FieldCheck = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The row fields the model and the views read, with the type each must have. Other fields are kept as they are. */
const ROW_FIELDS: Record<string, FieldCheck> = {
  sessionId: str,
  status: str,
  hasActiveRun: bool,
  activeRunIds: strings,
  startedAt: time,
  updatedAt: time,
  endedAt: time,
  label: strOrNull,
  displayName: strOrNull,
  agentId: str,
  totalTokens: finite,
  abortedLastRun: bool,
  lastRunId: strOrNull,
};

export interface Checked<T> {
  value?: T;
  /** why the value (or some of its fields) was not kept */ problems: string[];
}

export function checkSessionKey(key: unknown): string | undefined {
  if (typeof key !== 'string') return `key is ${typeName(key)}, not a string`;
  if (!key) return 'key is empty';
  if (key.length > MAX_SESSION_KEY_LENGTH)
    return `key is ${key.length} characters long (limit ${MAX_SESSION_KEY_LENGTH})`;
  return undefined;
}

/** A session row, with fields of the wrong type removed; no value when the row itself is unusable. */
export function checkSessionRow(v: unknown, where: string): Checked<SessionRowView> {
  if (!isRecord(v)) return { problems: [`${where}: row is ${typeName(v)}, not an object`] };
  const keyProblem = checkSessionKey(v.key);
  if (keyProblem) return { problems: [`${where}: ${keyProblem}`] };
  const row: Record<string, unknown> = { ...v };
  const problems: string[] = [];
  for (const [field, ok] of Object.entries(ROW_FIELDS)) {
    if (field in row && row[field] !== undefined && !ok(row[field])) {
      problems.push(
        `${where}: ${v.key as string}.${field} is ${typeName(row[field])}${typeof row[field] === 'number' ? ` ${String(row[field])}` : ''}; ignored`,
      );
      delete row[field];
    }
  }
  return { value: row as SessionRowView, problems };
}

export interface SessionsPage {
  sessions: SessionRowView[];
  hasMore: boolean;
  nextOffset?: number;
}

/** One sessions.list answer: unusable rows dropped one by one, paging fields only when they have the right type. */
export function checkSessionsPage(v: unknown): Checked<SessionsPage> {
  if (!isRecord(v)) return { problems: [`sessions.list answer is ${typeName(v)}, not an object`] };
  if (!Array.isArray(v.sessions))
    return { problems: [`sessions.list answer: sessions is ${typeName(v.sessions)}, not an array`] };
  const problems: string[] = [];
  const sessions: SessionRowView[] = [];
  v.sessions.forEach((raw, i) => {
    const r = checkSessionRow(raw, `sessions.list row ${i}`);
    problems.push(...r.problems);
    if (r.value) sessions.push(r.value);
  });
  if (v.hasMore !== undefined && typeof v.hasMore !== 'boolean')
    problems.push(`sessions.list answer: hasMore is ${typeName(v.hasMore)}; treated as false`);
  const offsetOk = typeof v.nextOffset === 'number' && Number.isInteger(v.nextOffset) && v.nextOffset >= 0;
  if (v.nextOffset !== undefined && v.nextOffset !== null && !offsetOk)
    problems.push(
      `sessions.list answer: nextOffset is ${typeName(v.nextOffset)} ${JSON.stringify(v.nextOffset)?.slice(0, 30)}; ignored`,
    );
  return {
    value: { sessions, hasMore: v.hasMore === true, nextOffset: offsetOk ? (v.nextOffset as number) : undefined },
    problems,
  };
}

export interface AgentsList {
  agents: Array<{ id: string }>;
  defaultId?: string;
}

export function checkAgentsList(v: unknown): Checked<AgentsList> {
  if (!isRecord(v)) return { problems: [`agents.list answer is ${typeName(v)}, not an object`] };
  if (!Array.isArray(v.agents))
    return { problems: [`agents.list answer: agents is ${typeName(v.agents)}, not an array`] };
  const problems: string[] = [];
  const agents: Array<{ id: string }> = [];
  const seen = new Set<string>();
  v.agents.forEach((a, i) => {
    if (!isRecord(a) || typeof a.id !== 'string' || !a.id || a.id.length > 200) {
      problems.push(`agents.list entry ${i}: ${isRecord(a) ? `id is ${typeName(a.id)}` : typeName(a)}; ignored`);
      return;
    }
    if (seen.has(a.id)) {
      problems.push(`agents.list entry ${i}: duplicate id ${a.id}; ignored`);
      return;
    }
    seen.add(a.id);
    agents.push({ id: a.id });
  });
  if (v.defaultId !== undefined && typeof v.defaultId !== 'string')
    problems.push(`agents.list answer: defaultId is ${typeName(v.defaultId)}; ignored`);
  return { value: { agents, defaultId: typeof v.defaultId === 'string' ? v.defaultId : undefined }, problems };
}

export interface LogsTail {
  lines: string[];
  cursor?: number;
  file?: string;
  /** The gateway left older lines out (its window or line limit was full); undefined when it does not say. */
  truncated?: boolean;
}

export function checkLogsTail(v: unknown): Checked<LogsTail> {
  if (!isRecord(v)) return { problems: [`logs.tail answer is ${typeName(v)}, not an object`] };
  if (!Array.isArray(v.lines)) return { problems: [`logs.tail answer: lines is ${typeName(v.lines)}, not an array`] };
  const problems: string[] = [];
  const lines = v.lines.filter((l): l is string => typeof l === 'string');
  if (lines.length !== v.lines.length)
    problems.push(`logs.tail answer: ${v.lines.length - lines.length} line(s) not strings; ignored`);
  const cursorOk = typeof v.cursor === 'number' && Number.isFinite(v.cursor) && v.cursor >= 0;
  if (!cursorOk) problems.push(`logs.tail answer: cursor is ${typeName(v.cursor)}; reading from the end next time`);
  return {
    value: {
      lines,
      cursor: cursorOk ? (v.cursor as number) : undefined,
      file: typeof v.file === 'string' ? v.file : undefined,
      ...(typeof v.truncated === 'boolean' ? { truncated: v.truncated } : {}),
    },
    problems,
  };
}

export interface LanesTable {
  lanes: LaneView[];
  dynamic: Record<string, number | undefined> | null;
}

const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

export function checkLanes(v: unknown): Checked<LanesTable> {
  if (!isRecord(v)) return { problems: [`diagnostics.lanes answer is ${typeName(v)}, not an object`] };
  if (!Array.isArray(v.lanes))
    return { problems: [`diagnostics.lanes answer: lanes is ${typeName(v.lanes)}, not an array`] };
  const problems: string[] = [];
  const lanes: LaneView[] = [];
  v.lanes.forEach((l, i) => {
    if (
      !isRecord(l) ||
      typeof l.lane !== 'string' ||
      count(l.activeCount) === undefined ||
      count(l.queuedCount) === undefined
    ) {
      problems.push(
        `diagnostics.lanes entry ${i}: ${isRecord(l) ? 'lane, activeCount or queuedCount of the wrong type' : typeName(l)}; ignored`,
      );
      return;
    }
    lanes.push({
      lane: l.lane,
      activeCount: l.activeCount as number,
      queuedCount: l.queuedCount as number,
      maxConcurrent: count(l.maxConcurrent),
      draining: typeof l.draining === 'boolean' ? l.draining : undefined,
      generation: count(l.generation),
      blockedBy: l.blockedBy,
    });
  });
  let dynamic: Record<string, number | undefined> | null = null;
  if (isRecord(v.dynamic)) {
    // Counts only (laneCount, activeCount, queuedCount, queuedLaneCount on 2026.9.6; newer counts kept too, up to 20).
    dynamic = {};
    for (const [k, n] of Object.entries(v.dynamic).slice(0, 20)) if (count(n) !== undefined) dynamic[k] = n as number;
  } else if (v.dynamic !== undefined && v.dynamic !== null)
    problems.push(`diagnostics.lanes answer: dynamic is ${typeName(v.dynamic)}; ignored`);
  return { value: { lanes, dynamic }, problems };
}

/**
 * Inputs waiting to run, from a chat.history answer: the `pendingInputs` items in the waiting state. Cancelled and
 * interrupted items stay listed (and counted in `total`) after an abort; they are history, not queue. Items the
 * gateway counts but does not list are assumed waiting only when every listed item is (the safer reading for a
 * queue count: it never hides work that may still run, and never invents work that an abort cancelled).
 */
export function checkPendingInputs(v: unknown): Checked<number> {
  if (!isRecord(v)) return { problems: [`chat.history answer is ${typeName(v)}, not an object`] };
  const read = readPendingInputs(v.pendingInputs);
  const problems = read.problems.map((p) => `chat.history answer: ${p}`);
  if (!read.value) return { problems };
  return { value: queuedCount(read.value), problems };
}
