// Reads every session row of a gateway that pages sessions.list, without losing or doubling a row while rows change.
//
// What the gateway offers (openclaw 2026.9.6, docs gateway/protocol/rpc-session-control.md and
// rpc-bootstrap-and-events.md; SessionsListParamsSchema): `limit` and `offset` only. No cursor, and every order is by
// time: `sortBy` "updatedAt" (the default: pinned rows first by pinnedAt, then updatedAt newest first, then key),
// "lastInteractionAt" or "activity". Answers carry `totalCount`, `nextOffset`, `hasMore` and `ts` (the gateway's clock
// when it selected the page). "Pages are a live view, not a frozen snapshot": a row that is updated while we page
// jumps to the top, into pages already read, and a row removed above the offset shifts the unread rows up by one, so
// one of them is never read. sessions.changed events are no complete record of the moves either: the gateway sends
// most of them with `dropIfSlow`, and coalesces rapid ones.
//
// So the read relies on the order itself, not on events:
// - Rows that did not change keep their relative order. Every page after the first starts `overlap` rows before the
//   previous page's end and must contain a row already read whose sort key (pinned, updatedAt) is unchanged: then no
//   unchanged row lies between the pages. When none is there (rows above were removed or unpinned), the page is read
//   again from further back.
// - Rows that changed (updated, created, pinned) carry an updatedAt (or pinnedAt) at or after the first page's `ts`, and
//   the default order puts them above every row that did not: after the last page, the head of the list is read again
//   down to the first unpinned row older than that `ts`.
// - Removals: a delete event received while paging removes a row already read; when the count still differs from
//   the gateway's totalCount, the list is read once more.
// sessions.changed events received while paging still freshen the rows they name (see reconcileRows).
import type { SessionRowView } from '../gateway';
import type { SessionsPage } from './wireGuards';

export interface PageRequest {
  offset: number;
  limit: number;
}

/**
 * When a page or a change happened: `ts` is the gateway's clock (a page's selection, an event's broadcast), `at` the
 * caller's arrival stamp, shared by pages and events. The gateway's clock decides where both have it: arrival order
 * can invert a page and an event that come in the same read from the socket (the event's handler runs before the
 * page's promise resumes), and two pages in flight at once make that common.
 */
export interface When {
  at: number;
  ts?: number;
}

/** a happened after b. */
export const later = (a: When, b: When): boolean =>
  a.ts !== undefined && b.ts !== undefined && a.ts !== b.ts ? a.ts > b.ts : a.at > b.at;

/** One checked sessions.list answer, and when it arrived (the caller's arrival stamp, shared with events). */
export interface ListedPage extends SessionsPage, When {
  totalCount?: number;
}

export interface ReadAllOptions {
  fetch: (req: PageRequest) => Promise<ListedPage>;
  pageSize: number;
  maxRows: number;
  /** Rows re-read before each page boundary to prove continuity (default 8). */
  overlap?: number;
  /** sessions.list requests in flight at once (default 1: one after the other). */
  parallel?: number;
  /** Rows per page when re-reading the head of the list (default min(pageSize, 100)). */
  headPageSize?: number;
  /**
   * Ask for the page after the first before the first answer says how many rows there are (default: when `parallel`
   * > 1 and a page holds fewer rows than maxRows). A list that fits in one page costs one more, empty, answer.
   */
  speculate?: boolean;
  warn: (message: string) => void;
}

export interface ReadRows {
  /** Every row read, with when the page it came from was selected (the newest read of it). */
  rows: Map<string, { row: SessionRowView } & When>;
  /** The last page (its totalCount reflects the changes before it). */
  last: When;
  /** The head re-read's first page (rows created after it may be in no page). */
  headFrom: When;
  totalCount?: number;
  pages: number;
  /** Pages read again because no unchanged row was found at their start. */
  rereads: number;
  /** Pages of the head re-read. */
  headPages: number;
  /** Stopped at maxRows. */
  truncated: boolean;
}

const isPinned = (r: SessionRowView): boolean =>
  (r as { pinned?: unknown }).pinned === true || typeof (r as { pinnedAt?: unknown }).pinnedAt === 'number';
/** Where the default order puts a row: pinned first (by pinnedAt), then updatedAt; equal keys, equal places. */
const sortKey = (r: SessionRowView): string =>
  `${isPinned(r) ? String((r as { pinnedAt?: unknown }).pinnedAt ?? 'p') : ''}|${typeof r.updatedAt === 'number' ? r.updatedAt : ''}`;

/** Reads every row: paged with overlap and continuity checks, then the head again for rows that moved meanwhile. */
export async function readAllRows(o: ReadAllOptions): Promise<ReadRows> {
  const pageSize = Math.max(1, Math.floor(o.pageSize));
  const overlap = Math.max(1, o.overlap ?? 8);
  const parallel = Math.max(1, o.parallel ?? 1);
  // A gateway whose paging never ends (or goes backwards) is stopped by the row bound and this page bound.
  const maxPages = Math.ceil(o.maxRows / pageSize) * 2 + 20;
  const out: ReadRows = {
    rows: new Map(),
    last: { at: 0 },
    headFrom: { at: 0 },
    pages: 0,
    rereads: 0,
    headPages: 0,
    truncated: false,
  };
  const add = (page: ListedPage) => {
    const when = { at: page.at, ...(page.ts !== undefined ? { ts: page.ts } : {}) };
    if (!later(out.last, when)) {
      out.last = when;
      if (page.totalCount !== undefined) out.totalCount = page.totalCount;
    }
    for (const row of page.sessions) {
      if (out.rows.size >= o.maxRows && !out.rows.has(row.key)) {
        out.truncated = true;
        continue;
      }
      const had = out.rows.get(row.key);
      if (!had || !later(had, when)) out.rows.set(row.key, { row, at: when.at, ts: when.ts });
    }
  };
  /**
   * The page holds a row read earlier in the same pass whose place in the order cannot have changed (same sort key):
   * every unchanged row after it is then in this page or a later one. Only rows of the same pass count — a row from
   * the main pass may lie anywhere below the head being re-read.
   */
  const continues = (page: ListedPage, seen: ReadonlyMap<string, string>): boolean =>
    page.sessions.some((r) => seen.get(r.key) === sortKey(r));

  // Pages a list that does not move would need next, requested ahead (parallel > 1) and used when asked for.
  const ahead = new Map<number, { limit: number; page: Promise<ListedPage> }>();
  const get = (r: PageRequest): Promise<ListedPage> => {
    const a = ahead.get(r.offset);
    ahead.delete(r.offset);
    if (a && a.limit === r.limit) return a.page;
    return o.fetch(r);
  };
  const request = (start: number, size: number, back: number): PageRequest => ({
    offset: Math.max(0, start - back),
    limit: size + Math.min(start, back),
  });
  /** `speculative`: the total is not known yet (the first page is not in); the next pages are asked for all the same. */
  const readAhead = (next: number, size: number, total: number | undefined, speculative = false) => {
    for (const offset of ahead.keys()) if (offset < next - overlap) ahead.delete(offset);
    if (parallel <= 1 || (total === undefined && !speculative)) return;
    // Unknown total: one page ahead is enough to keep the gateway busy while the first is decoded (the rest are asked
    // for as soon as it is in), and a list that fits in one page costs one empty answer, not parallel - 1.
    const most = speculative ? 1 : parallel - 1;
    for (let start = next + size; ahead.size < most && start < (total ?? Infinity); start += size) {
      const r = request(start, size, overlap);
      if (ahead.has(r.offset)) continue;
      const page = o.fetch(r);
      page.catch(() => undefined); // a read-ahead nobody asks for again may fail unseen
      ahead.set(r.offset, { limit: r.limit, page });
    }
  };

  /**
   * One pass from the top: pages of `size` until the list ends, or `enough` says the rest is known. `speculate`: the
   * next page is asked for with the first (the gateway works on it while this side reads the first), at the cost of
   * an empty answer when the list fits in one page.
   */
  const pass = async (size: number, enough: (page: ListedPage) => boolean, speculate = false) => {
    const seen = new Map<string, string>();
    const accept = (page: ListedPage) => {
      add(page);
      for (const r of page.sessions) seen.set(r.key, sortKey(r));
    };
    // The first page is asked for first: the caller's fetch may answer it from what it already asked for.
    const asked = get({ offset: 0, limit: size });
    if (speculate) readAhead(0, size, undefined, true);
    const first = await asked;
    accept(first);
    let last = first;
    let pages = 1;
    let next = 0;
    let back = overlap;
    for (let req: PageRequest = { offset: 0, limit: size }, page = first; ;) {
      const advanced = page.nextOffset ?? req.offset + page.sessions.length;
      if (page.hasMore && advanced <= next) {
        o.warn(`sessions.list: nextOffset ${advanced} does not advance past ${next}; stopped paging`);
        break;
      }
      next = advanced;
      if (!last.hasMore || !last.sessions.length || out.truncated || enough(last) || pages >= maxPages) break;
      for (;;) {
        req = request(next, size, back);
        const pending = get(req);
        readAhead(next, size, last.totalCount);
        page = await pending;
        if (req.offset === 0 || continues(page, seen)) break;
        // Rows above the offset went away (deleted, archived, unpinned) or every row of the overlap changed: an
        // unread row may have slipped above this page. Read it again from further back.
        out.rereads++;
        back = Math.min(next, back * 4);
      }
      accept(page);
      pages++;
      last = page;
      back = overlap;
    }
    ahead.clear();
    return { first, pages };
  };

  // A page that holds every row kept has no next page to ask for (and on gateways that do not page, none exists).
  const main = await pass(pageSize, () => false, o.speculate ?? (parallel > 1 && pageSize < o.maxRows));
  out.pages = main.pages;
  out.headFrom = out.last;
  // The head again: rows updated, created or pinned while we paged sit above every row that did not move. One page
  // is all there was to read when the list fit in one answer.
  const since = main.first.ts ?? newestUnpinned(main.first.sessions);
  if (main.pages > 1 && since !== undefined && !out.truncated) {
    // A change committed just before the first page may have become visible only after it: a margin of 2 s.
    const old = since - 2_000;
    const head = await pass(Math.max(1, Math.min(o.headPageSize ?? 100, pageSize)), (page) =>
      page.sessions.some((r) => !isPinned(r) && (typeof r.updatedAt !== 'number' || r.updatedAt < old)),
    );
    out.headFrom = { at: head.first.at, ...(head.first.ts !== undefined ? { ts: head.first.ts } : {}) };
    out.headPages = head.pages;
  }
  return out;
}

function newestUnpinned(rows: readonly SessionRowView[]): number | undefined {
  let newest: number | undefined;
  for (const r of rows)
    if (!isPinned(r) && typeof r.updatedAt === 'number') newest = Math.max(newest ?? r.updatedAt, r.updatedAt);
  return newest;
}

/** A sessions.changed event recorded while the rows were being read: arrival stamp, and its `ts` when it has one. */
export interface RowChange extends When {
  key: string;
  /** The row the event carries (full, or the flattened fields of a reason event). */
  row?: SessionRowView;
  /** A delete: the sessionId it removed, when the event says. */
  deleted?: { sessionId?: string };
}

/** The changes' effect on the rows read, per key: the row as it is now, or null where it was removed. */
function changedRows(
  read: ReadRows,
  changes: readonly RowChange[],
): Map<string, ({ row: SessionRowView } & When) | null> {
  const over = new Map<string, ({ row: SessionRowView } & When) | null>();
  for (const c of changes) {
    const have = over.has(c.key) ? (over.get(c.key) ?? undefined) : read.rows.get(c.key);
    if (c.deleted) {
      if (!have) continue;
      const sameLife = c.deleted.sessionId !== undefined && c.deleted.sessionId === have.row.sessionId;
      if (later(c, have) || sameLife) over.set(c.key, null);
      continue;
    }
    if (!c.row) continue;
    if (!have) {
      if (later(c, read.headFrom))
        over.set(c.key, { row: c.row, at: c.at, ...(c.ts !== undefined ? { ts: c.ts } : {}) });
      continue;
    }
    const newer =
      later(c, have) ||
      (typeof c.row.updatedAt === 'number' &&
        (typeof have.row.updatedAt !== 'number' || c.row.updatedAt > have.row.updatedAt));
    if (!newer) continue;
    const merged = { ...have.row, ...c.row };
    // activeRunIds is omitted (not emptied) while a run is active: do not keep a stale [] from an older row.
    if (!('activeRunIds' in c.row)) delete merged.activeRunIds;
    over.set(c.key, { row: merged, at: c.at, ...(c.ts !== undefined ? { ts: c.ts } : {}) });
  }
  return over;
}

/**
 * The rows read, freshened by the changes received meanwhile: a change newer than the page a row came from (or
 * carrying a newer updatedAt) is merged over it; a delete removes a row read before it (or the same sessionId); a
 * row no page held is added only when its change came after the head re-read began.
 */
export function reconcileRows(read: ReadRows, changes: readonly RowChange[]): Map<string, SessionRowView> {
  const over = changedRows(read, changes);
  const out = new Map<string, SessionRowView>();
  for (const [k, v] of read.rows) {
    const now = over.get(k);
    if (now !== null) out.set(k, (now ?? v).row);
  }
  for (const [k, now] of over) if (now && !read.rows.has(k)) out.set(k, now.row);
  return out;
}

/** How many rows reconcileRows would give (without building them). */
function reconciledCount(read: ReadRows, changes: readonly RowChange[]): number {
  let n = read.rows.size;
  for (const [k, now] of changedRows(read, changes)) {
    const had = read.rows.has(k);
    if (now === null && had) n--;
    else if (now && !had) n++;
  }
  return n;
}

export interface SessionsRead {
  rows: Map<string, SessionRowView>;
  /** The last pass's figures. */
  read: ReadRows;
  /** Passes over the list: 2 when the first one's count differed from the gateway's totalCount. */
  passes: number;
}

/**
 * Every row, reconciled with the changes received while reading. When the rows read (less the deletes seen) do not
 * add up to the gateway's totalCount, a removal went by without an event: the list is read once more.
 */
export async function readSessions(
  o: ReadAllOptions & {
    /** The arrival stamp now (no increment). */
    stamp: () => number;
    /** Changes recorded with a stamp greater than `since`. */
    changes: (since: number) => readonly RowChange[];
  },
): Promise<SessionsRead> {
  for (let passes = 1; ; passes++) {
    const since = o.stamp();
    const read = await readAllRows(o);
    const changes = o.changes(since);
    // The changes that came before the last page are the ones its totalCount reflects.
    const counted = reconciledCount(
      read,
      changes.filter((c) => !later(c, read.last)),
    );
    const off = read.totalCount !== undefined && counted !== read.totalCount && !read.truncated;
    if (!off || passes >= 2) {
      if (off)
        o.warn(
          `sessions.list: read ${counted} rows where the gateway counts ${read.totalCount} (the list changed while it was read twice)`,
        );
      return { rows: reconcileRows(read, changes), read, passes };
    }
  }
}
