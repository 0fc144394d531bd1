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

/** An answer holding a list, checked item by item: the answer, the items kept, how many it listed, the problems found. */
interface ListAnswer<T> {
  v: Record<string, unknown>;
  items: T[];
  listed: number;
  problems: string[];
}

/**
 * `answer` as the answer of `method` holding the list `field`, each item passed through `checkItem` (its value kept,
 * its problems said); no `v` (and the problem) when the answer is not an object or the list not an array.
 */
function checkListAnswer<T>(
  answer: unknown,
  method: string,
  field: string,
  checkItem: (raw: unknown, i: number) => Checked<T>,
): ListAnswer<T> | { v?: undefined; problems: string[] } {
  if (!isRecord(answer)) return { problems: [`${method} answer is ${typeName(answer)}, not an object`] };
  const list = answer[field];
  if (!Array.isArray(list)) return { problems: [`${method} answer: ${field} is ${typeName(list)}, not an array`] };
  const items: T[] = [];
  const problems: string[] = [];
  list.forEach((raw, i) => {
    const r = checkItem(raw, i);
    problems.push(...r.problems);
    if (r.value !== undefined) items.push(r.value);
  });
  return { v: answer, items, listed: list.length, problems };
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
export function checkSessionsPage(answer: unknown): Checked<SessionsPage> {
  const a = checkListAnswer(answer, 'sessions.list', 'sessions', (raw, i) =>
    checkSessionRow(raw, `sessions.list row ${i}`),
  );
  if (!a.v) return a;
  const { v, items: sessions, problems } = a;
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

export function checkAgentsList(answer: unknown): Checked<AgentsList> {
  const seen = new Set<string>();
  const a = checkListAnswer(answer, 'agents.list', 'agents', (e, i): Checked<{ id: string }> => {
    if (!isRecord(e) || typeof e.id !== 'string' || !e.id || e.id.length > 200)
      return {
        problems: [`agents.list entry ${i}: ${isRecord(e) ? `id is ${typeName(e.id)}` : typeName(e)}; ignored`],
      };
    if (seen.has(e.id)) return { problems: [`agents.list entry ${i}: duplicate id ${e.id}; ignored`] };
    seen.add(e.id);
    return { value: { id: e.id }, problems: [] };
  });
  if (!a.v) return a;
  const { v, items: agents, problems } = a;
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

export function checkLogsTail(answer: unknown): Checked<LogsTail> {
  const a = checkListAnswer(answer, 'logs.tail', 'lines', (l) => ({
    value: typeof l === 'string' ? l : undefined,
    problems: [],
  }));
  if (!a.v) return a;
  const { v, items: lines, problems } = a;
  if (lines.length !== a.listed)
    problems.push(`logs.tail answer: ${a.listed - lines.length} line(s) not strings; ignored`);
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

export function checkLanes(answer: unknown): Checked<LanesTable> {
  const a = checkListAnswer(answer, 'diagnostics.lanes', 'lanes', (l, i): Checked<LaneView> => {
    if (
      !isRecord(l) ||
      typeof l.lane !== 'string' ||
      count(l.activeCount) === undefined ||
      count(l.queuedCount) === undefined
    )
      return {
        problems: [
          `diagnostics.lanes entry ${i}: ${isRecord(l) ? 'lane, activeCount or queuedCount of the wrong type' : typeName(l)}; ignored`,
        ],
      };
    return {
      value: {
        lane: l.lane,
        activeCount: l.activeCount as number,
        queuedCount: l.queuedCount as number,
        maxConcurrent: count(l.maxConcurrent),
        draining: typeof l.draining === 'boolean' ? l.draining : undefined,
        generation: count(l.generation),
        blockedBy: l.blockedBy,
      },
      problems: [],
    };
  });
  if (!a.v) return a;
  const { v, items: lanes, problems } = a;
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
