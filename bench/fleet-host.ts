// The measured process of bench/fleet.mjs: a stand-in for the extension host. It runs the real Fleet, GatewayWatcher
// and FleetTreeProvider (src/), with `vscode` resolved to bench/vscode-shim.ts, against the fake gateways of
// bench/fleet-gateways.ts (another process, reached over ws://127.0.0.1 like a real gateway). Forked by fleet.mjs with
// --expose-gc; talks to it over IPC and sends back one result object. Nothing else runs here, so the heap figures
// are those of the extension's model and tree plus this file's preallocated bookkeeping.
//
// "The tree" is read two ways, and both are reported:
//   A  provider  FleetTreeProvider fires onDidChangeTreeData with a node that covers the session (the root, its
//                gateway, or its own row), and getTreeItem(session) then returns the description the model has after
//                the event.
//   B  VS Code   the same fires go through a copy of what ExtHostTreeView does with them (VS Code's
//                src/vs/workbench/api/common/extHostTreeViews.ts: Event.debounce(onDidChangeData, merge, 200,
//                leading=true), then per refreshed element getTreeItem + getChildren + getTreeItem of every child
//                of an expanded node, turned into the ITreeItem DTOs sent to the renderer). The renderer round trip
//                itself is not modelled.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { MemoryDeviceIdentityStore } from '../src/gateway';
import { Fleet, type FleetChange } from '../src/fleet/fleet';
import type { GatewayConfig } from '../src/config/gatewaySettings';
import { describeSession, sessionLabel } from '../src/report/describe';
import { buildSessionFamily, familyView, type SessionFamily } from '../src/fleet/sessionFamily';
import type { GatewayWatcher } from '../src/fleet/gatewayWatcher';
import { FleetTreeProvider, type FleetNode } from '../src/vscode/fleetTree';

const now = () => performance.now();
const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;

interface Config {
  urls: string[];
  token: string;
  sessions: number;
  rate: number;
  seconds: number;
  heapEveryMs: number;
  quietTurns: number;
  quietGapMs: number;
  completeTimeoutMs: number;
  /** Sessions per gateway that are subagents of another (listed under their parent, not under the gateway). */
  children: number;
}

// ---------------------------------------------------------------- IPC with fleet.mjs (and, relayed, the gateways process)

const send = (m: unknown) => process.send?.(m);
const waiters = new Map<string, (m: any) => void>();
function waitMessage(type: string, timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(type);
      reject(new Error(`no "${type}" from the gateways within ${timeoutMs} ms`));
    }, timeoutMs);
    waiters.set(type, (m) => {
      clearTimeout(timer);
      waiters.delete(type);
      resolve(m);
    });
  });
}
const toGateways = (msg: unknown) => send({ type: 'to-gateways', msg });

/** Offset of the gateways' clock (performance.timeOrigin + now, ms) from ours: min-RTT sample of 40 relayed pings. */
async function calibrateClock(): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Infinity };
  for (let i = 0; i < 40; i++) {
    const t0 = wall();
    const reply = waitMessage('clock', 5_000);
    toGateways({ cmd: 'clock', id: i });
    const { t } = await reply;
    const t1 = wall();
    if (t1 - t0 < best.rttMs) best = { offsetMs: t - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return best;
}

// ---------------------------------------------------------------- bookkeeping, preallocated before the first heap sample

const maskDurations = (d: string) => d.replace(/\b\d+(?:s|m\d\ds|h\d\dm|d)\b/g, '·');
const PHASE = { quiet: 1, load: 2 } as const;
const KINDS = ['sessions.changed', 'agent', 'chat', 'other'] as const;

class Records {
  n = 0;
  readonly sent: Float64Array;
  readonly applied: Float64Array;
  readonly doneA: Float64Array;
  readonly doneB: Float64Array;
  readonly phase: Uint8Array;
  readonly kind: Uint8Array;
  readonly changed: Uint8Array;
  readonly matchA: Uint8Array;
  readonly matchB: Uint8Array;
  /** What the event changed in the row: 0 nothing shown, 1 its state (lane state or queue count), 2 words only. */
  readonly cls: Uint8Array;
  constructor(readonly capacity: number) {
    this.sent = new Float64Array(capacity);
    this.applied = new Float64Array(capacity);
    this.doneA = new Float64Array(capacity).fill(NaN);
    this.doneB = new Float64Array(capacity).fill(NaN);
    this.phase = new Uint8Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.changed = new Uint8Array(capacity);
    this.matchA = new Uint8Array(capacity);
    this.matchB = new Uint8Array(capacity);
    this.cls = new Uint8Array(capacity);
  }
  add(phase: number, kind: number, sent: number, applied: number, changed: boolean, cls = 0): number {
    if (this.n >= this.capacity) return -1;
    const i = this.n++;
    this.phase[i] = phase;
    this.kind[i] = kind;
    this.sent[i] = sent;
    this.applied[i] = applied;
    this.changed[i] = changed ? 1 : 0;
    this.cls[i] = cls;
    return i;
  }
}

interface Pending {
  id: number;
  key: string;
  expected: string;
}

// ---------------------------------------------------------------- the run

async function main(cfg: Config): Promise<unknown> {
  if (!gc) throw new Error('run with --expose-gc (bench/fleet.mjs does)');
  const clock = await calibrateClock();
  const toLocal = (gatewaysWall: number) => gatewaysWall - clock.offsetMs - performance.timeOrigin; // → our performance.now()

  const warnings: string[] = [];
  const logCounts = { debug: 0, info: 0, warn: 0, error: 0 };
  const fleet = new Fleet({
    secrets: { get: async () => cfg.token },
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'bench-fleet',
    requestTimeoutMs: 60_000,
    log: (level, message) => {
      logCounts[level]++;
      if ((level === 'warn' || level === 'error') && warnings.length < 20) warnings.push(`${level}: ${message}`);
    },
    env: {},
  });
  const provider = new FleetTreeProvider(fleet);
  const names = cfg.urls.map((_, i) => `gw${i + 1}`);
  const configs: GatewayConfig[] = cfg.urls.map((url, i) => ({ name: names[i], url, source: 'settings' }));

  const records = new Records(Math.ceil(cfg.rate * cfg.seconds * 1.6) + 20_000);
  const pendingA = new Map<string, Pending[]>(names.map((n) => [n, []]));
  const pendingB = new Map<string, Pending[]>(names.map((n) => [n, []]));
  const lastDesc = new Map<string, string>();
  // --children: each gateway's family, built once its list is complete (the bench adds and removes no session), and
  // the description a row should show, with the family words the tree adds (computed here from the same rules).
  const families = new Map<string, SessionFamily>();
  const familyOf = (w: GatewayWatcher): SessionFamily | undefined => {
    if (!(cfg.children > 0) || Number.isNaN(t[w.name].model)) return undefined;
    let f = families.get(w.name);
    if (!f) families.set(w.name, (f = buildSessionFamily(w.sessionRows())));
    return f;
  };
  const describeNow = (w: GatewayWatcher, key: string) => {
    const status = w.laneStatus(key);
    const family = familyOf(w);
    const labelOf = (k: string) => sessionLabel(w.session(k), k);
    const view =
      family && (family.childrenOf(key).length || family.declaredParentOf(key))
        ? familyView(family, w.session(key), key, status, (k) => w.laneStatus(k), labelOf)
        : undefined;
    return describeSession(w.session(key), key, status, Date.now(), { tooltip: false, family: view, labelOf });
  };
  const lastState = new Map<string, string>();
  // Every provider fire: when, and how many timed events it covered (0: a fire for the clock, counts or other rows).
  const fires = { at: new Float64Array(200_000), events: new Uint32Array(200_000), n: 0 };
  const noChange: Record<string, number> = {};
  let phase = 0;
  let overflow = 0;
  let sequenceGaps = 0,
    disconnects = 0,
    measuring = true;

  // Per gateway: hello-ok, model complete (every row in the watcher), tree complete as read by A and by B.
  const t = Object.fromEntries(
    names.map((n) => [n, { hello: NaN, model: NaN, treeA: NaN, treeB: NaN, rowsA: 0, rowsB: 0 }]),
  );
  const sessionNode = (gateway: string, key: string): FleetNode => ({
    kind: 'session',
    id: `session:${gateway}:${key}`,
    gateway,
    key,
  });
  const gatewayNode = (gateway: string): FleetNode => ({ kind: 'gateway', id: `gw:${gateway}`, gateway });
  const countSessions = (nodes: FleetNode[]) => nodes.filter((n) => n.kind === 'session').length;

  // ---- which keys the model changed while one event frame was dispatched
  // A frame is dispatched synchronously (watcher listeners → fleet change → our onAnyEvent below), so the keys are
  // consumed before any microtask runs. Keys changed outside a frame (a chat.history answer, a log poll) are
  // dropped by the microtask, so they are never charged to the next frame of that gateway.
  const changedKeys = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));
  let clearQueued = false;
  const clearChangedKeys = () => {
    clearQueued = false;
    for (const s of changedKeys.values()) s.clear();
  };
  fleet.onDidChange((c: FleetChange) => {
    if (c.what === 'gateways') return;
    if (c.what === 'sessions' && c.keys) {
      for (const k of c.keys) changedKeys.get(c.gateway)?.add(k);
      if (!clearQueued) {
        clearQueued = true;
        queueMicrotask(clearChangedKeys);
      }
    }
    if (c.what === 'sessions' && !c.keys) {
      const w = fleet.gateway(c.gateway);
      if (w && Number.isNaN(t[c.gateway].model) && w.sessionRows().length >= cfg.sessions) t[c.gateway].model = now();
    }
  });

  const t0 = now();
  fleet.setGateways(configs, []);
  for (const name of names) {
    const w = fleet.gateway(name)!;
    w.connection.onDidConnect(() => {
      if (Number.isNaN(t[name].hello)) t[name].hello = now();
    });
    w.connection.onDidChangeState((s) => {
      if (measuring && s.state !== 'connected' && !Number.isNaN(t[name].hello)) disconnects++;
    });
    w.connection.onSequenceGap(() => {
      if (measuring) sequenceGaps++;
    });
    // Runs after the watcher's own listeners for this frame (onAnyEvent fires after the per-event emitters).
    w.connection.onAnyEvent((frame) => {
      const stamp = (frame as { benchSentAt?: unknown }).benchSentAt;
      const keys = changedKeys.get(name)!;
      if (typeof stamp !== 'number' || !phase) {
        keys.clear();
        return;
      }
      if (!keys.size) {
        noChange[frame.event] = (noChange[frame.event] ?? 0) + 1;
        return;
      }
      const applied = now();
      const k = KINDS.indexOf(frame.event as (typeof KINDS)[number]);
      const kind = k >= 0 ? k : KINDS.length - 1;
      // With subagents, a child's change can change the rows above it (counts, worst state, "waiting on"): those
      // rows are what a user sees of it while the parent is closed, so they are timed too.
      const family = familyOf(w);
      if (family)
        for (const key of [...keys])
          for (let p = family.parentOf(key), n = 0; p !== undefined && n < 64; p = family.parentOf(p), n++) keys.add(p);
      for (const key of keys) {
        const d = describeNow(w, key);
        const expected = maskDurations(d.description);
        const changed = lastDesc.get(key) !== expected;
        lastDesc.set(key, expected);
        // A change of state in the sense: running ↔ idle, → stalled/stuck/stale, the queue count (and for a
        // parent the worst state of its subagents, which its icon shows).
        const state = `${d.status}\u0000${d.lane.queued}\u0000${d.icon}`;
        const cls = !changed ? 0 : lastState.get(key) !== state ? 1 : 2;
        lastState.set(key, state);
        const id = records.add(phase, kind, toLocal(stamp), applied, changed, cls);
        if (id < 0) {
          overflow++;
          continue;
        }
        pendingA.get(name)!.push({ id, key, expected });
        pendingB.get(name)!.push({ id, key, expected });
      }
      keys.clear();
    });
  }

  // ---- A: the provider's own signal
  // A fire covers a session when it names the root, the session's gateway or agent, the session itself, or (only
  // when the view keeps parents open, as in the --children case) a session above it. A fire of one row does not
  // cover its neighbours: VS Code re-reads only what was named.
  const covers = (list: FleetNode[], g: string, key: string): boolean => {
    for (const n of list) {
      if (!('gateway' in n) || n.gateway !== g) continue;
      if (n.kind === 'gateway') return true;
      if (n.kind === 'agent' && key.startsWith(`agent:${n.agentId}:`)) return true;
      if (n.kind === 'session' && n.key === key) return true;
    }
    if (!(cfg.children > 0)) return false;
    for (let up = provider.getParent(sessionNode(g, key)), i = 0; up && i < 64; up = provider.getParent(up), i++) {
      const above = up;
      if (above.kind === 'session' && list.some((n) => n.kind === 'session' && n.gateway === g && n.key === above.key))
        return true;
    }
    return false;
  };
  provider.onDidChangeTreeData((e) => {
    const fired = now();
    const root = !e || (Array.isArray(e) && e.some((n) => !n));
    const list = root ? [] : Array.isArray(e) ? e : [e];
    let covered = 0;
    for (const g of names) {
      const whole = root || list.some((n) => n.kind === 'gateway' && n.gateway === g);
      if (whole && !Number.isNaN(t[g].model) && Number.isNaN(t[g].treeA)) {
        const rows = countSessions(provider.getChildren(gatewayNode(g)));
        if (rows >= cfg.sessions - cfg.children) {
          t[g].treeA = now();
          t[g].rowsA = rows;
        }
      }
      const pending = pendingA.get(g)!;
      if (!pending.length) continue;
      const seen = new Map<string, string>();
      let kept = 0;
      for (const p of pending) {
        if (!whole && !covers(list, g, p.key)) {
          pending[kept++] = p;
          continue;
        }
        let d = seen.get(p.key);
        if (d === undefined) {
          d = maskDurations(String(provider.getTreeItem(sessionNode(g, p.key)).description));
          seen.set(p.key, d);
        }
        records.doneA[p.id] = fired;
        records.matchA[p.id] = d === lastDesc.get(p.key) ? 1 : 0;
        covered++;
      }
      pending.length = kept;
    }
    if (fires.n < fires.at.length) {
      fires.at[fires.n] = fired;
      fires.events[fires.n++] = covered;
    }
  });

  // ---- B: what VS Code's extension host does with those fires
  const view = new ExtHostTreeViewModel(
    provider,
    (refreshedGateways, descs, at) => {
      for (const g of refreshedGateways) {
        const rows = descs.rows.get(g) ?? 0;
        if (!Number.isNaN(t[g].model) && Number.isNaN(t[g].treeB) && rows >= cfg.sessions) {
          t[g].treeB = at;
          t[g].rowsB = rows;
        }
        // Only the rows this refresh re-read are shown anew: a refresh of one row leaves the others as they were.
        const list = pendingB.get(g)!;
        let kept = 0;
        for (const p of list) {
          const d = descs.sessions.get(`${g}\u0000${p.key}`);
          if (d === undefined) {
            list[kept++] = p;
            continue;
          }
          records.doneB[p.id] = at;
          records.matchB[p.id] = maskDurations(d) === lastDesc.get(p.key) ? 1 : 0;
        }
        list.length = kept;
      }
    },
    (g) => pendingB.get(g)!.map((p) => p.key),
    cfg.children > 0,
  );
  view.refreshRoot(); // the view is open when the extension starts

  // ---- 1. hello-ok → complete model, all gateways
  const deadline = now() + cfg.completeTimeoutMs;
  while (names.some((n) => Number.isNaN(t[n].treeA) || Number.isNaN(t[n].treeB))) {
    if (now() > deadline) {
      const state = names
        .map((n) => `${n}: ${fleet.gateway(n)!.snapshot().state}, ${fleet.gateway(n)!.sessionRows().length} rows`)
        .join('; ');
      throw new Error(
        `the model was not complete within ${cfg.completeTimeoutMs} ms (${state}); warnings: ${warnings.join(' | ')}`,
      );
    }
    await sleep(5);
  }
  const complete = names.map((n) => ({ name: n, ...t[n] }));
  for (const n of names)
    for (const r of fleet.gateway(n)!.sessionRows()) {
      lastDesc.set(r.key, maskDurations(String(provider.getTreeItem(sessionNode(n, r.key)).description)));
      const d = describeNow(fleet.gateway(n)!, r.key);
      lastState.set(r.key, `${d.status}\u0000${d.lane.queued}\u0000${d.icon}`);
    }

  // ---- 2. isolated events (each alone, quietGapMs apart)
  await sleep(2_000);
  phase = PHASE.quiet;
  const quietDone = waitMessage('quiet-done', 600_000);
  toGateways({ cmd: 'quiet', turns: cfg.quietTurns, gapMs: cfg.quietGapMs });
  const quiet = await quietDone;
  await sleep(1_000);
  phase = 0;

  // ---- 3. load: rate events/s for `seconds`, heap sampled with a forced gc
  const heap: Array<{ label: string; atS: number; heapUsed: number; rss: number; gcMs: number }> = new Array(
    Math.ceil((cfg.seconds * 1000) / cfg.heapEveryMs) + 4,
  );
  let heapN = 0;
  const gcWindows: Array<[number, number]> = new Array(heap.length);
  let gcN = 0;
  let loadStart = 0;
  const sample = (label: string) => {
    const a = now();
    gc();
    gc();
    const b = now();
    gcWindows[gcN++] = [a, b];
    const m = process.memoryUsage();
    heap[heapN++] = {
      label,
      atS: loadStart ? (a - loadStart) / 1000 : 0,
      heapUsed: m.heapUsed,
      rss: m.rss,
      gcMs: b - a,
    };
  };
  sample('start');
  const elDelay = monitorEventLoopDelay({ resolution: 10 });
  const cpu0 = process.cpuUsage();
  loadStart = now();
  elDelay.enable();
  phase = PHASE.load;
  const loadDone = waitMessage('load-done', cfg.seconds * 1000 + 120_000);
  toGateways({ cmd: 'load', rate: cfg.rate, seconds: cfg.seconds });
  const sampler = setInterval(() => sample(`${Math.round((now() - loadStart) / 1000)} s`), cfg.heapEveryMs);
  const load = await loadDone;
  clearInterval(sampler);
  const loadEnd = now();
  elDelay.disable();
  const cpu = process.cpuUsage(cpu0);
  await sleep(2_000); // let the last refreshes happen
  phase = 0;
  sample('end');
  const statsReply = waitMessage('stats', 10_000);
  toGateways({ cmd: 'stats' });
  const gatewayStats = (await statsReply).gateways;

  // ---- results: plain arrays from here on (after the last heap sample)
  const inGc = (a: number, b: number) => {
    for (let i = 0; i < gcN; i++) if (a <= gcWindows[i][1] && b >= gcWindows[i][0]) return true;
    return false;
  };
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < records.n; i++) {
    const end = Math.max(records.doneA[i] || 0, records.doneB[i] || 0, records.applied[i]);
    out.push({
      phase: records.phase[i],
      kind: KINDS[records.kind[i]],
      sent: records.sent[i],
      applied: records.applied[i],
      a: records.doneA[i] - records.sent[i],
      b: records.doneB[i] - records.sent[i],
      changed: records.changed[i] === 1,
      cls: (['none', 'state', 'words'] as const)[records.cls[i]],
      matchA: records.matchA[i] === 1,
      matchB: records.matchB[i] === 1,
      gc: inGc(records.sent[i], end),
    });
  }
  measuring = false;
  provider.dispose();
  fleet.dispose();
  return {
    node: process.version,
    clock,
    startToLastHelloMs: Math.max(...complete.map((c) => c.hello)) - t0,
    t0,
    complete,
    quiet,
    load,
    loadSeconds: (loadEnd - loadStart) / 1000,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    eventLoopDelay: { p50: elDelay.percentile(50) / 1e6, p99: elDelay.percentile(99) / 1e6, max: elDelay.max / 1e6 },
    heap: heap.slice(0, heapN),
    records: out,
    overflow,
    noChange,
    fireLog: { at: Array.from(fires.at.subarray(0, fires.n)), events: Array.from(fires.events.subarray(0, fires.n)) },
    view: {
      fires: view.stats.fires,
      refreshes: view.stats.refreshes,
      itemsResolved: view.stats.itemsResolved,
      dtoBytes: view.stats.dtoBytes,
      refreshMs: Array.from(view.stats.refreshMs.subarray(0, view.stats.refreshN)),
      refreshAt: Array.from(view.stats.refreshAt.subarray(0, view.stats.refreshN)),
      refreshItems: Array.from(view.stats.refreshItems.subarray(0, view.stats.refreshN)),
    },
    loadStart,
    loadEnd,
    logCounts,
    warnings,
    sequenceGaps,
    disconnects,
    gatewayStats,
  };
}

// ---------------------------------------------------------------- ExtHostTreeView, as far as refreshes go

type Root = undefined;

/**
 * Mirrors ExtHostTreeView's handling of onDidChangeTreeData: Event.debounce with delay 200 and leading=true (the
 * first fire after 200 ms without one refreshes at once; every further fire restarts the 200 ms timer, and the
 * merged elements refresh when it expires), then _refresh: the root refetches everything; an element gets
 * getTreeItem, and since gateway and agent nodes are expanded the renderer asks for their children at once,
 * which the extension host answers with getChildren + getTreeItem per child, converted to ITreeItem DTOs.
 */
class ExtHostTreeViewModel {
  private handle?: NodeJS.Timeout;
  private output?: Array<FleetNode | Root>;
  private calls = 0;
  readonly stats = {
    fires: 0,
    refreshes: 0,
    itemsResolved: 0,
    dtoBytes: 0,
    refreshMs: new Float64Array(50_000),
    refreshAt: new Float64Array(50_000),
    /** getTreeItem calls per refresh: 1 for a row named alone, ~2,000 per gateway re-read. */
    refreshItems: new Uint32Array(50_000),
    refreshN: 0,
  };

  constructor(
    private readonly provider: FleetTreeProvider,
    private readonly onRefreshed: (
      gateways: Set<string>,
      seen: { rows: Map<string, number>; sessions: Map<string, string> },
      at: number,
    ) => void,
    private readonly watchedKeys: (gateway: string) => string[],
    /** The user has opened every parent session (the --children case): their subagents are re-read with them. */
    readonly parentsOpen = false,
  ) {
    provider.onDidChangeTreeData((e) => {
      if (Array.isArray(e) && e.length === 0) return; // ExtHostTreeView ignores an empty array
      this.onFire(e ?? undefined);
    });
  }

  private onFire(e: FleetNode | FleetNode[] | Root): void {
    this.stats.fires++;
    this.calls++;
    if (Array.isArray(e)) (this.output ??= []).push(...e);
    else (this.output ??= []).push(e);
    if (!this.handle) {
      const o = this.output;
      this.output = undefined;
      this.enqueue(o);
    }
    clearTimeout(this.handle);
    this.handle = setTimeout(() => {
      const o = this.output;
      this.output = undefined;
      this.handle = undefined;
      if (this.calls > 1 && o) this.enqueue(o);
      this.calls = 0;
    }, 200);
  }

  private isOpen(item: vscode.TreeItem): boolean {
    return (
      item.collapsibleState === vscode.TreeItemCollapsibleState.Expanded ||
      (this.parentsOpen && item.collapsibleState === vscode.TreeItemCollapsibleState.Collapsed)
    );
  }

  /** Like ExtHostTreeView's _refreshQueue: refreshes run one after another, each in a promise continuation. */
  private chain: Promise<void> = Promise.resolve();
  private enqueue(elements: Array<FleetNode | Root>): void {
    this.chain = this.chain.then(() => this.refresh(elements));
  }

  refreshRoot(): void {
    this.enqueue([undefined]);
  }

  private refresh(elements: Array<FleetNode | Root>): void {
    const start = now();
    this.stats.refreshes++;
    const seen = { rows: new Map<string, number>(), sessions: new Map<string, string>() };
    const gateways = new Set<string>();
    const watch = new Map<string, Set<string>>();
    const watched = (g: string) => {
      let s = watch.get(g);
      if (!s) {
        s = new Set(this.watchedKeys(g));
        watch.set(g, s);
      }
      return s;
    };
    const dtos: unknown[] = [];
    const fetchChildren = (parent: FleetNode | Root) => {
      const children = this.provider.getChildren(parent);
      const items = children.map((c) => this.provider.getTreeItem(c));
      this.stats.itemsResolved += items.length;
      if (parent && parent.kind !== 'settings-problem') {
        const g = parent.gateway;
        gateways.add(g);
        seen.rows.set(g, (seen.rows.get(g) ?? 0) + children.filter((c) => c.kind === 'session').length);
        const keys = watched(g);
        children.forEach((c, i) => {
          if (c.kind === 'session' && keys.has(c.key))
            seen.sessions.set(`${g}\u0000${c.key}`, String(items[i].description));
        });
      }
      items.forEach((item, i) => {
        dtos.push(toDto(item));
        if (this.isOpen(item)) fetchChildren(children[i]);
      });
    };
    const distinct = [...new Set(elements)];
    if (distinct.includes(undefined)) fetchChildren(undefined);
    else
      for (const e of distinct as FleetNode[]) {
        const item = this.provider.getTreeItem(e);
        dtos.push(toDto(item));
        if (e.kind === 'session') {
          // One row named on its own: VS Code re-reads that row, and its children only when it is open.
          gateways.add(e.gateway);
          if (watched(e.gateway).has(e.key)) seen.sessions.set(`${e.gateway}\u0000${e.key}`, String(item.description));
          if (this.isOpen(item)) fetchChildren(e);
        } else fetchChildren(e);
      }
    this.stats.dtoBytes += JSON.stringify(dtos).length; // what the RPC to the renderer serializes
    const at = now();
    if (this.stats.refreshN < this.stats.refreshMs.length) {
      this.stats.refreshAt[this.stats.refreshN] = start;
      this.stats.refreshItems[this.stats.refreshN] = dtos.length;
      this.stats.refreshMs[this.stats.refreshN++] = at - start;
    }
    this.onRefreshed(gateways, seen, at);
  }
}

function toDto(item: vscode.TreeItem): Record<string, unknown> {
  const tooltip =
    item.tooltip instanceof vscode.MarkdownString
      ? { value: item.tooltip.value, isTrusted: item.tooltip.isTrusted }
      : item.tooltip;
  const icon =
    item.iconPath instanceof vscode.ThemeIcon
      ? { id: item.iconPath.id, color: item.iconPath.color ? { id: item.iconPath.color.id } : undefined }
      : undefined;
  return {
    handle: `1/${item.id ?? String(item.label)}`,
    label: { label: item.label },
    description: item.description,
    tooltip,
    contextValue: item.contextValue,
    themeIcon: icon,
    collapsibleState: item.collapsibleState ?? vscode.TreeItemCollapsibleState.None,
    accessibilityInformation: item.accessibilityInformation,
    command: item.command,
  };
}

// ---------------------------------------------------------------- entry

process.on('message', (m: any) => {
  if (m?.type === 'run') {
    main(m.config).then(
      (result) => send({ type: 'result', result }),
      (err: Error) => send({ type: 'failed', message: err.stack ?? String(err) }),
    );
    return;
  }
  const w = m?.type ? waiters.get(m.type) : undefined;
  if (w) w(m);
});
process.on('disconnect', () => process.exit(0));
