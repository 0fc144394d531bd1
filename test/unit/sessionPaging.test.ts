// Reading every session row while the rows change (issue 13 item 8): a status of a gateway with 5,000 sessions once
// listed 4,999 — paging by offset through a list ordered by update time skips a row that moves while it is paged.
// A scripted gateway at unit level holds 10,000 rows in 2026.9.6's order (pinned first by pinnedAt, then updatedAt
// newest first, then key) and changes them at every sessions.list it answers, before selecting the page: rows updated
// (to the top), created, deleted (above and below the offset), pinned, unpinned (down to their old place, shifting the
// rows between up). It sends sessions.changed for each change the way the gateway does: the row in `session`, deletes
// without one — and, like the gateway's dropIfSlow, it can drop events. Deterministic (seeded).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { GatewayWatcher } from '../../src/fleet/gatewayWatcher';
import { CLI_READING } from '../../src/cli/cliFleet';
import { prng } from '../support/prng';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const servers: ScriptedGateway[] = [];
const watchers: GatewayWatcher[] = [];
after(async () => {
  for (const w of watchers) w.dispose();
  for (const s of servers) await s.close();
});

interface Row {
  key: string;
  sessionId: string;
  status: string;
  hasActiveRun: boolean;
  activeRunIds: string[];
  updatedAt: number;
  pinned: boolean;
  pinnedAt?: number;
  agentId: string;
  rev: number;
}

interface Churn {
  /** Changes made before each sessions.list answer (while the watcher pages). */
  perList: number;
  /** Every this many answers, also this many rows above the offset deleted at once (more than a page's overlap). */
  burstEvery?: number;
  burst?: number;
  /** Stop changing after this many sessions.list answers (Infinity: never). */
  lists: number;
  /** Probability that a change's event is not sent (the gateway's dropIfSlow). */
  dropUpdates: number;
  dropDeletes: number;
}

/** 2026.9.6's order: pinned rows first (pinnedAt newest first), then updatedAt newest first, then key. */
const order = (a: Row, b: Row) =>
  (b.pinnedAt ?? 0) - (a.pinnedAt ?? 0) || b.updatedAt - a.updatedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

class ChurningList {
  readonly rows = new Map<string, Row>();
  clock = 1_800_000_000_000;
  lists = 0;
  made = { updated: 0, created: 0, deletedAbove: 0, deletedBelow: 0, pinned: 0, unpinned: 0, dropped: 0 };
  private next = 0;
  private readonly random: () => number;
  gateway!: ScriptedGateway;

  constructor(
    count: number,
    seed: number,
    readonly churn: Churn,
  ) {
    this.random = prng(seed);
    for (let i = 0; i < count; i++) this.add(this.clock - Math.floor(this.random() * 7 * 86_400_000));
    // A few pinned rows at the top.
    for (const r of [...this.rows.values()].slice(0, 5)) Object.assign(r, { pinned: true, pinnedAt: r.updatedAt });
  }

  private add(updatedAt: number): Row {
    const n = this.next++;
    const row: Row = {
      key: `agent:main:s${String(n).padStart(6, '0')}`,
      sessionId: `sid-${n}-${this.next}`,
      status: 'done',
      hasActiveRun: false,
      activeRunIds: [],
      updatedAt,
      pinned: false,
      agentId: 'main',
      rev: 0,
    };
    this.rows.set(row.key, row);
    this.cached = undefined;
    return row;
  }

  private cached?: Row[];
  /** The rows in the gateway's order (sorted again only after a change). */
  sorted(): Row[] {
    this.cached ??= [...this.rows.values()].sort(order);
    return this.cached;
  }

  private pick(list: Row[], from: number, to: number): Row | undefined {
    if (to <= from) return undefined;
    const row = list[from + Math.floor(this.random() * (to - from))];
    return row && this.rows.get(row.key) === row && !this.touched.has(row.key) ? row : undefined;
  }
  /** Rows changed during the current answer: picked once at most, so the positions used stay true. */
  private readonly touched = new Set<string>();

  private send(key: string, payload: Record<string, unknown>, drop: number) {
    if (this.random() < drop) {
      this.made.dropped++;
      return;
    }
    this.gateway.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: { sessionKey: key, ts: this.clock, ...payload },
    });
  }

  /** Changes made while the page at `offset` is being asked for: some above it, some below. */
  change(offset: number) {
    if (this.lists++ >= this.churn.lists) return;
    // Positions from one sort per answer (rows changed since are skipped when picked again).
    const list = this.sorted();
    this.cached = undefined;
    this.touched.clear();
    if (this.churn.burstEvery && this.lists % this.churn.burstEvery === 0)
      for (let i = 0; i < (this.churn.burst ?? 0); i++) {
        this.clock += 1;
        const row = this.pick(list, 0, Math.min(offset, list.length));
        if (!row) continue;
        this.touched.add(row.key);
        this.rows.delete(row.key);
        this.made.deletedAbove++;
        this.send(row.key, { reason: 'delete', ts: this.clock }, this.churn.dropDeletes);
      }
    for (let i = 0; i < this.churn.perList; i++) {
      this.clock += 7;
      const r = this.random();
      if (r < 0.35) {
        // Updated: jumps to the top (most often a row not read yet).
        const row = this.pick(list, this.random() < 0.7 ? offset : 0, list.length);
        if (!row) continue;
        this.touched.add(row.key);
        Object.assign(row, { updatedAt: this.clock, rev: row.rev + 1, status: row.rev % 2 ? 'done' : 'failed' });
        this.made.updated++;
        this.send(row.key, { reason: 'patch', session: { ...row } }, this.churn.dropUpdates);
      } else if (r < 0.5) {
        const row = this.add(this.clock);
        this.made.created++;
        this.send(row.key, { reason: 'create', session: { ...row } }, this.churn.dropUpdates);
      } else if (r < 0.75) {
        // Deleted above the offset (the unread rows shift up by one) or below it.
        const above = this.random() < 0.6;
        const row = above ? this.pick(list, 0, Math.min(offset, list.length)) : this.pick(list, offset, list.length);
        if (!row) continue;
        this.touched.add(row.key);
        this.rows.delete(row.key);
        if (above) this.made.deletedAbove++;
        else this.made.deletedBelow++;
        this.send(row.key, { reason: 'delete', ts: this.clock }, this.churn.dropDeletes);
      } else if (r < 0.87) {
        const row = this.pick(list, 0, list.length);
        if (!row || row.pinned) continue;
        this.touched.add(row.key);
        Object.assign(row, { pinned: true, pinnedAt: this.clock, updatedAt: this.clock, rev: row.rev + 1 });
        this.made.pinned++;
        this.send(row.key, { reason: 'patch', session: { ...row } }, this.churn.dropUpdates);
      } else {
        // Unpinned: falls back to its old place by updatedAt, so every row between moves up by one.
        const pinned = list.filter((x) => x.pinned && this.rows.get(x.key) === x && !this.touched.has(x.key));
        const row = pinned[Math.floor(this.random() * pinned.length)];
        if (!row) continue;
        this.touched.add(row.key);
        row.pinned = false;
        delete row.pinnedAt;
        row.rev++;
        this.made.unpinned++;
        this.send(row.key, { reason: 'patch', session: { ...row } }, this.churn.dropUpdates);
      }
    }
  }

  page(params: { offset?: number; limit?: number }) {
    const offset = params.offset ?? 0;
    const limit = params.limit ?? 100;
    this.change(offset);
    this.clock += 3;
    const all = this.sorted();
    const sessions = all.slice(offset, offset + limit).map((r) => ({ ...r }));
    const hasMore = offset + sessions.length < all.length;
    return {
      ts: this.clock,
      count: sessions.length,
      totalCount: all.length,
      limitApplied: limit,
      ...(offset ? { offset } : {}),
      nextOffset: hasMore ? offset + sessions.length : null,
      hasMore,
      sessions,
    };
  }
}

async function churningGateway(list: ChurningList) {
  const g = await ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: ['agents.list', 'sessions.subscribe', 'sessions.list', 'logs.tail', 'diagnostics.lanes'],
        events: ['sessions.changed'],
      },
    },
    handleRequest: (method: string, params: any) => {
      switch (method) {
        case 'agents.list':
          return { defaultId: 'main', agents: [{ id: 'main' }] };
        case 'sessions.subscribe':
          // With list parameters the first page comes with the subscription (2026.9.6).
          return params && Object.keys(params).length
            ? { subscribed: true, list: list.page(params) }
            : { subscribed: true };
        case 'sessions.list':
          return list.page(params);
        case 'logs.tail':
          return { file: '/tmp/x.log', cursor: 0, lines: [] };
        case 'diagnostics.lanes':
          return { lanes: [], dynamic: null };
        default:
          return {};
      }
    },
  });
  list.gateway = g;
  servers.push(g);
  return g;
}

async function syncedRows(url: string, reading: { pageSize?: number; pageParallel?: number }) {
  const warnings: string[] = [];
  const w = new GatewayWatcher({
    config: { name: 'gw', url, source: 'settings' },
    credentials: async () => ({ token: 't' }),
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 20_000,
    log: (level, m) => {
      if (level === 'warn') warnings.push(m);
    },
    pollIntervalMs: 600_000,
    maxSessions: 50_000,
    ...reading,
  });
  watchers.push(w);
  w.start();
  if (!w.isSynced())
    await waitFor(
      (l) => w.onDidChange(l),
      () => (w.isSynced() ? true : undefined),
      60_000,
    );
  return { w, warnings };
}

/** `fresh`: 'rev' — every row as the gateway has it now; 'updatedAt' — every row's last update (events were dropped). */
function assertSameRows(w: GatewayWatcher, list: ChurningList, fresh: 'rev' | 'updatedAt' = 'rev') {
  const got = w.sessionRows();
  const keys = got.map((r) => r.key);
  assert.equal(new Set(keys).size, keys.length, 'no row twice');
  const want = list.sorted();
  const missing = want.filter((r) => !w.session(r.key)).map((r) => r.key);
  const extra = keys.filter((k) => !list.rows.has(k));
  assert.deepEqual(
    { missing: missing.slice(0, 5), missingCount: missing.length, extra: extra.slice(0, 5), extraCount: extra.length },
    { missing: [], missingCount: 0, extra: [], extraCount: 0 },
    `every row the gateway has, and none it does not (changes made: ${JSON.stringify(list.made)})`,
  );
  assert.equal(got.length, want.length);
  const stale = want.filter((r) => w.session(r.key)?.[fresh] !== r[fresh]).map((r) => r.key);
  assert.deepEqual(stale.slice(0, 5), [], `every row's ${fresh} as the gateway has it now (${stale.length} stale)`);
}

describe('reading 10,000 session rows while they change', () => {
  // Bigger pages take the gateway longer: more changes per page, so that both see as many as a page's overlap and more.
  for (const { name, reading, perList, burstEvery, burst } of [
    { name: 'the extension: pages of 200, one at a time', reading: {}, perList: 6, burstEvery: 9, burst: 20 },
    {
      name: `the CLI: pages of ${CLI_READING.pageSize}, ${CLI_READING.pageParallel} in flight`,
      reading: CLI_READING,
      perList: Math.ceil((6 * CLI_READING.pageSize) / 200),
      burstEvery: 1,
      burst: 60,
    },
  ]) {
    it(`${name}: no row lost or doubled while rows are updated, created, deleted, pinned and unpinned`, async () => {
      const list = new ChurningList(10_000, 13, {
        perList,
        burstEvery,
        burst,
        lists: Infinity,
        dropUpdates: 0,
        dropDeletes: 0,
      });
      const g = await churningGateway(list);
      const { w } = await syncedRows(g.url, reading);
      assertSameRows(w, list);
      const s = w.lastListing()!;
      assert.ok(
        list.made.updated > 20 && list.made.deletedAbove > 10 && list.made.unpinned > 5,
        JSON.stringify(list.made),
      );
      assert.ok(s.rereads > 0, 'pages were read again where rows above them had gone');
      assert.equal(s.passes, 1, 'with every event received, one pass over the list');
      assert.equal(s.rows, list.rows.size);
    });
  }

  it(`the CLI asks for the second page without waiting for the first answer, and reads lists of any length whole`, async () => {
    // The gateway answers one request at a time: the CLI's next page must already be asked for while it builds the
    // first, or it sits idle while the first is decoded. Here the first page is held back until another request
    // arrives (or 5 s pass).
    const list = new ChurningList(3 * CLI_READING.pageSize + 7, 5, {
      perList: 0,
      lists: 0,
      dropUpdates: 0,
      dropDeletes: 0,
    });
    let release!: () => void;
    const another = new Promise<void>((r) => {
      release = r;
      setTimeout(r, 5_000).unref?.();
    });
    let askedBeforeFirst = 0;
    let firstAnswered = false;
    const g = await ScriptedGateway.start({
      helloOverrides: {
        features: {
          methods: ['agents.list', 'sessions.subscribe', 'sessions.list', 'logs.tail', 'diagnostics.lanes'],
          events: ['sessions.changed'],
        },
      },
      handleRequest: (method: string, params: any, id: string, ws: any) => {
        if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
        if (method === 'logs.tail') return { file: '/tmp/x.log', cursor: 0, lines: [] };
        if (method === 'diagnostics.lanes') return { lanes: [], dynamic: null };
        if (method === 'sessions.subscribe' && params && Object.keys(params).length) {
          void another.then(() => {
            firstAnswered = true;
            ws.send(
              JSON.stringify({ type: 'res', id, ok: true, payload: { subscribed: true, list: list.page(params) } }),
            );
          });
          return undefined;
        }
        if (method === 'sessions.subscribe') return { subscribed: true };
        if (method === 'sessions.list') {
          if (!firstAnswered) askedBeforeFirst++;
          release();
          return list.page(params);
        }
        return {};
      },
    });
    list.gateway = g;
    servers.push(g);
    const { w } = await syncedRows(g.url, CLI_READING);
    assert.equal(askedBeforeFirst, 1, 'the second page is asked for before the first answer (and no more)');
    assertSameRows(w, list);
    assert.equal(w.lastListing()!.passes, 1);

    // Lists shorter than, as long as, and just longer than a page, read the same way: every row once.
    for (const n of [1, CLI_READING.pageSize - 1, CLI_READING.pageSize, CLI_READING.pageSize + 1]) {
      const short = new ChurningList(n, n, { perList: 0, lists: 0, dropUpdates: 0, dropDeletes: 0 });
      const sg = await churningGateway(short);
      const { w: sw } = await syncedRows(sg.url, CLI_READING);
      assertSameRows(sw, short);
      assert.equal(sw.lastListing()!.passes, 1, `${n} rows: one pass`);
    }
  });

  it('rows that moved are found without their events (the gateway drops events to slow clients)', async () => {
    // Changes while the 50 pages of the main pass are read; the rows they moved must be found by reading the head again.
    const list = new ChurningList(10_000, 7, { perList: 6, lists: 50, dropUpdates: 1, dropDeletes: 0 });
    const g = await churningGateway(list);
    const { w } = await syncedRows(g.url, {});
    assert.ok(list.made.dropped > 50, JSON.stringify(list.made));
    // An unpin that moves a row without a newer updatedAt cannot be seen without its event: its row is there, with
    // its last update; its `pinned` may be stale.
    assertSameRows(w, list, 'updatedAt');
    assert.ok(w.lastListing()!.headPages >= 1, 'the head of the list was read again');
  });

  it('a delete whose event never came is noticed by the count, and the list is read once more', async () => {
    // Changes while the first pass reads (50 pages of 200), none after: the second pass must find the list as it is.
    const list = new ChurningList(10_000, 21, { perList: 6, lists: 40, dropUpdates: 0.3, dropDeletes: 0.5 });
    const g = await churningGateway(list);
    const { w } = await syncedRows(g.url, {});
    assertSameRows(w, list, 'updatedAt');
    assert.equal(w.lastListing()!.passes, 2);
  });
});
