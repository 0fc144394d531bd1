// When the Gateways tree fires (src/vscode/fleetTreeRefresh.ts). VS Code holds any fire that comes within 200 ms of the
// previous one (ExtHostTreeView: Event.debounce(…, 200, leading=true)), so the tree spaces its fires REFRESH_SPACING_MS
// apart. What a user must still get: a change a row shows (a run ending, a rename) that comes just after a refresh is
// not held back for that spacing (the provider fires, and the view's badge is set, at once), and nothing fires again
// while VS Code holds the early one, but for a change soon enough to join it. First against a scripted gateway (plain
// Node; `vscode` is test/shims/vscode.ts), then the schedule alone on a fake clock against a copy of VS Code's debounce.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it, mock } from 'node:test';
import type { FleetNode } from '../../src/vscode/fleetTree';
import {
  REFRESH_SPACING_MS,
  RefreshSchedule,
  RIDE_MS,
  STATE_JOIN_MS,
  STATE_WAIT_MAX_MS,
} from '../../src/vscode/fleetTreeRefresh';
import { fleetTreeOn } from '../support/fleetTree';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const KEYS = ['agent:main:one', 'agent:main:two', 'agent:main:three'];
const VSCODE_DEBOUNCE_MS = 200;
const servers: ScriptedGateway[] = [];
const disposables: Array<{ dispose(): void }> = [];
after(async () => {
  for (const d of disposables) d.dispose();
  for (const s of servers) await s.close();
});

const runningRow = (key: string, i: number) => ({
  key,
  sessionId: `s${i}`,
  status: 'running',
  hasActiveRun: true,
  // Past the first minute: the rows' clocks tick once a minute, so no clock refresh falls inside a test.
  startedAt: Date.now() - 65_000,
  agentId: 'main',
  updatedAt: 10 - i,
});

async function setup() {
  const rows = KEYS.map(runningRow);
  const g = await ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: ['agents.list', 'sessions.subscribe', 'sessions.list', 'chat.history'],
        events: ['sessions.changed', 'agent', 'chat'],
      },
    },
    handleRequest: (method: string, params: any) => {
      switch (method) {
        case 'agents.list':
          return { defaultId: 'main', agents: [{ id: 'main' }] };
        case 'sessions.subscribe':
          return { subscribed: true };
        case 'sessions.list':
          return { sessions: rows, hasMore: false };
        case 'chat.history':
          return { sessionKey: params.sessionKey, messages: [], pendingInputs: { items: [], total: 0 } };
        default:
          return {};
      }
    },
  });
  servers.push(g);
  const { tree, watcher } = fleetTreeOn(g.url, disposables);
  const gatewayNode = () => tree.getChildren()[0];
  const gatewayText = () => String(tree.getTreeItem(gatewayNode()).description);
  const item = (key: string) => {
    const node = tree
      .getChildren(gatewayNode())
      .find((n): n is Extract<FleetNode, { kind: 'session' }> => n.kind === 'session' && n.key === key)!;
    return tree.getTreeItem(node);
  };
  // Every fire, with when it came (performance.now(), the clock the tree spaces its fires by) and whether it named the
  // gateway (its counts and the order of its rows) or the root.
  const fires: Array<{ at: number; gateway: boolean }> = [];
  disposables.push(
    tree.onDidChangeTreeData((e) =>
      fires.push({
        at: performance.now(),
        gateway: (Array.isArray(e) ? e : [e]).some((n) => !n || n.kind === 'gateway'),
      }),
    ),
  );
  // The rows are read (as VS Code would) once every session shows running; then the tree is left to go quiet.
  await waitFor(
    (l) => tree.onDidChangeTreeData(l),
    () => (KEYS.every((k) => watcher.session(k) && /^running/.test(String(item(k).description))) ? true : undefined),
  );
  for (const k of KEYS) item(k);
  await new Promise((r) => setTimeout(r, REFRESH_SPACING_MS + 50));
  const send = (key: string, session: Record<string, unknown>) =>
    g.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: { sessionKey: key, phase: 'message', session: { ...rows[KEYS.indexOf(key)], ...session } },
    });
  /** When (performance.now()) the watcher took in the change that makes `key` pass `done`. */
  const changed = (key: string, done: () => boolean) =>
    waitFor(
      (l) => watcher.onDidChange(l),
      (c: { keys?: string[] }) => (c.keys?.includes(key) && done() ? performance.now() : undefined),
    );
  /** When the tree fires with `key`'s row showing `text`. */
  const shown = (key: string, text: RegExp) =>
    waitFor(
      (l) => tree.onDidChangeTreeData(l),
      () => (text.test(String(item(key).description)) ? performance.now() : undefined),
    );
  return { tree, watcher, fires, item, gatewayText, send, changed, shown };
}

const end = { status: 'done', hasActiveRun: false, activeRunIds: [], updatedAt: 20 };

describe('Gateways tree: when it fires', () => {
  it('a run that ends just after a refresh is shown at once, not held for the spacing; then the tree waits out VS Code', async (ctx) => {
    const t = await setup();
    // The first run ends on a quiet tree: one fire at once (VS Code's leading edge).
    const firstShown = t.shown(KEYS[0], /^idle/);
    t.send(KEYS[0], end);
    const first = await firstShown;
    // The second ends right after that refresh. On a busy machine the event may come too late to test the rule
    // (near the end of the spacing, waiting is the rule): the test is then skipped, saying so, not passed.
    const secondChanged = t.changed(KEYS[1], () => t.watcher.laneStatus(KEYS[1]).state === 'idle');
    const secondShown = t.shown(KEYS[1], /^idle/);
    t.send(KEYS[1], end);
    const [changedAt, shownAt] = await Promise.all([secondChanged, secondShown]);
    if (first + REFRESH_SPACING_MS - changedAt <= STATE_WAIT_MAX_MS + 20) {
      ctx.skip(
        `the change came ${(changedAt - first).toFixed(0)} ms after the refresh, too late to tell (busy machine?)`,
      );
      return;
    }
    // Held for the spacing it would have come no sooner than REFRESH_SPACING_MS after the first fire.
    assert.ok(
      shownAt - first < VSCODE_DEBOUNCE_MS,
      `the run's end was held: fired ${(shownAt - first).toFixed(0)} ms after the previous refresh (change ${(changedAt - first).toFixed(0)} ms after it)`,
    );
    assert.ok(shownAt - changedAt < 100, `fired ${(shownAt - changedAt).toFixed(0)} ms after the change`);
    // VS Code holds the early fire for 200 ms; a change that comes later than STATE_JOIN_MS after it must not restart
    // that hold: the third run's end goes out when the hold is over, on VS Code's leading edge.
    const sinceEarly = performance.now() - shownAt;
    await new Promise((r) => setTimeout(r, Math.max(0, STATE_JOIN_MS + 20 - sinceEarly)));
    const thirdChanged = t.changed(KEYS[2], () => t.watcher.laneStatus(KEYS[2]).state === 'idle');
    const thirdShown = t.shown(KEYS[2], /^idle/);
    t.send(KEYS[2], end);
    const [thirdChangedAt, thirdAt] = await Promise.all([thirdChanged, thirdShown]);
    assert.ok(
      thirdAt - shownAt >= VSCODE_DEBOUNCE_MS,
      `the third run's end (${(thirdChangedAt - shownAt).toFixed(0)} ms after the early fire) fired ${(thirdAt - shownAt).toFixed(0)} ms after it, restarting VS Code's hold; fires: ${JSON.stringify(t.fires.map((f) => Math.round(f.at - first)))}`,
    );
    // The gateway's counts and the order of its rows followed, with the third change's fire.
    const counts = t.fires.find((f) => f.gateway && f.at > shownAt);
    assert.ok(counts && counts.at - shownAt < REFRESH_SPACING_MS + 100, "no refresh of the gateway's counts after it");
    assert.match(t.gatewayText(), /3 idle/);
  });

  it('a change of words only (a renamed session) just after a refresh goes out at once too, naming its row alone', async () => {
    const t = await setup();
    const firstShown = t.shown(KEYS[0], /^idle/);
    t.send(KEYS[0], end);
    const first = await firstShown;
    const renamed = t.changed(KEYS[1], () => t.watcher.session(KEYS[1])?.label === 'nightly report');
    const labelShown = waitFor(
      (l) => t.tree.onDidChangeTreeData(l),
      (e: FleetNode | FleetNode[] | undefined) =>
        t.item(KEYS[1]).label === 'nightly report' ? { at: performance.now(), nodes: e } : undefined,
    );
    t.send(KEYS[1], { label: 'nightly report', updatedAt: 21 });
    const [changedAt, shown] = await Promise.all([renamed, labelShown]);
    // Waiting for the spacing (the old rule for words) fired it REFRESH_SPACING_MS after the previous refresh: the
    // provider's p95 counts every change a row shows, a label as much as a state.
    assert.ok(
      shown.at - changedAt < 100,
      `the rename fired ${(shown.at - changedAt).toFixed(0)} ms after the change, ${(shown.at - first).toFixed(0)} ms after the previous refresh`,
    );
    const named = (Array.isArray(shown.nodes) ? shown.nodes : [shown.nodes]).map((n) => n?.kind);
    assert.deepEqual(named, ['session'], 'the early fire names the row alone (VS Code re-reads one row, not all)');
  });
});

// ---------------------------------------------------------------- the schedule itself, on a fake clock
// RefreshSchedule (src/vscode/fleetTreeRefresh.ts) drives a copy of VS Code's debounce of the tree's event
// (Event.debounce(…, 200, leading=true), as bench/fleet-host.ts models it): a fire with no fire in the last 200 ms is
// refreshed at once, any other restarts the 200 ms timer and everything fired since is refreshed when it runs out. The
// timers are node:test's mock timers, advanced a millisecond at a time so that every callback reads its own time.
// Nodes are strings: 'gw1' is a gateway (a refresh of it re-reads all of its rows), 'gw1/a' one of its rows.

function scheduleOnFakeClock(rideMs = RIDE_MS) {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  // Every timer set, counted: a schedule that re-arms a timer for a moment already past would spin (and, on the fake
  // clock, never let a tick end); past the limit setting one throws instead.
  const setTimer = globalThis.setTimeout;
  const timers = { set: 0 };
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    if (++timers.set > 50_000) throw new Error('the schedule keeps setting timers: it spins');
    return setTimer(...args);
  }) as typeof setTimeout;
  restoreTimers = () => (globalThis.setTimeout = setTimer);
  const fires: Array<{ at: number; nodes: string[] | undefined }> = [];
  const refreshes: Array<{ at: number; nodes: string[] }> = [];
  // VS Code's side.
  let handle: ReturnType<typeof setTimeout> | undefined;
  let output: string[] = [];
  let calls = 0;
  const vscodeFire = (nodes: string[] | undefined) => {
    calls++;
    output.push(...(nodes ?? ['*']));
    if (!handle) {
      refreshes.push({ at: Date.now(), nodes: output });
      output = [];
    }
    clearTimeout(handle);
    handle = setTimeout(() => {
      handle = undefined;
      if (calls > 1 && output.length) refreshes.push({ at: Date.now(), nodes: output });
      output = [];
      calls = 0;
    }, VSCODE_DEBOUNCE_MS);
  };
  const schedule = new RefreshSchedule<string>(
    (nodes) => {
      fires.push({ at: Date.now(), nodes });
      vscodeFire(nodes);
    },
    () => Date.now(),
    rideMs,
  );
  // A timer runs in the tick that reaches its time, and reads that time; tick(0) runs the ones set for now.
  const advance = (ms: number) => {
    mock.timers.tick(0);
    for (let i = 0; i < ms; i++) {
      mock.timers.tick(1);
      mock.timers.tick(0);
    }
  };
  /** Advance to `t` ms on the fake clock. */
  const at = (t: number) => advance(t - Date.now());
  const covers = (nodes: string[] | undefined, row: string) =>
    !nodes || nodes.includes('*') || nodes.includes(row) || nodes.includes(row.split('/')[0]);
  /** When the provider first fired for `row` at or after `since`. */
  const firedAt = (row: string, since: number) => fires.find((f) => f.at >= since && covers(f.nodes, row))?.at;
  /** When VS Code first showed `row` (refreshed it or its gateway) at or after `since`. */
  const shownAt = (row: string, since: number) => refreshes.find((r) => r.at >= since && covers(r.nodes, row))?.at;
  return { schedule, fires, refreshes, advance, at, firedAt, shownAt, timers };
}
let restoreTimers = () => {};

describe('Gateways tree: the refresh schedule against VS Code’s debounce (fake clock)', () => {
  afterEach(() => {
    restoreTimers();
    mock.timers.reset();
  });

  it('a change on a quiet tree goes out on the next macrotask with its gateway’s counts, and VS Code shows it at once', () => {
    const t = scheduleOnFakeClock();
    t.at(1_000);
    t.schedule.changed('gw1/a', 'gw1');
    t.advance(5);
    assert.deepEqual(t.fires, [{ at: 1_000, nodes: ['gw1/a', 'gw1'] }]);
    assert.equal(t.shownAt('gw1/a', 1_000), 1_000);
    t.schedule.dispose();
  });

  it('a change that waits for VS Code’s hold goes out when the hold is over, 202 ms after the last fire, not 210', () => {
    const t = scheduleOnFakeClock();
    t.schedule.changed('gw1/a', 'gw1');
    t.advance(1); // fired at 0: VS Code holds further fires until 200
    t.at(150);
    t.schedule.changed('gw1/b', 'gw1'); // would wait 52 ms: it waits
    t.advance(100);
    assert.equal(t.firedAt('gw1/b', 150), REFRESH_SPACING_MS);
    assert.equal(REFRESH_SPACING_MS, 202);
    assert.equal(t.shownAt('gw1/b', 150), 202, 'on VS Code’s leading edge: shown at once');
    t.schedule.dispose();
  });

  it('after an early fire the gateway’s counts wait for a fire to ride with: a change 230 ms later is shown at once', () => {
    const t = scheduleOnFakeClock();
    t.schedule.changed('gw1/a', 'gw1');
    t.advance(1);
    t.at(20);
    t.schedule.changed('gw1/b', 'gw1'); // would wait 182 ms: goes at once, alone
    t.advance(1);
    assert.deepEqual(t.fires[1], { at: 20, nodes: ['gw1/b'] });
    // The old rule fired the gateway's counts on their own at the end of the early fire's spacing (230): that took VS
    // Code's leading edge, and the next change, inside its hold, was shown 200 ms after it.
    t.at(250);
    t.schedule.changed('gw2/c', 'gw2');
    t.advance(300);
    assert.equal(t.firedAt('gw2/c', 250), 250);
    assert.equal(t.shownAt('gw2/c', 250), 250, `fires: ${JSON.stringify(t.fires)}`);
    // The counts went with it.
    assert.ok(t.fires.some((f) => f.at === 250 && f.nodes?.includes('gw1')));
    t.schedule.dispose();
  });

  it('a row rebuilt for its clock, or the Lanes row, rides with a change 300 ms later instead of taking VS Code’s leading edge', () => {
    const t = scheduleOnFakeClock();
    t.at(1_000);
    t.schedule.ride('gw1/lanes');
    // A rider on its own after 250 ms (the old ride) took VS Code's leading edge, and the change 50 ms later was shown
    // 200 ms after it.
    t.at(1_300);
    assert.equal(t.fires.length, 0, 'the rider waits');
    t.schedule.changed('gw1/a', 'gw1');
    t.advance(1);
    assert.equal(t.fires.length, 1);
    assert.deepEqual(t.fires[0].nodes, ['gw1/a', 'gw1/lanes', 'gw1']);
    assert.equal(t.shownAt('gw1/a', 1_000), t.fires[0].at, 'the change is shown at once');
    // Alone, a rider fires after RIDE_MS.
    t.at(2_000);
    t.schedule.ride('gw1/a');
    t.advance(RIDE_MS + 5);
    assert.equal(t.firedAt('gw1/a', 2_000), 2_000 + RIDE_MS);
    t.schedule.dispose();
  });

  it('a change arriving STATE_JOIN_MS after an early fire waits out VS Code’s hold; one within it joins the early fire', () => {
    const t = scheduleOnFakeClock();
    t.schedule.changed('gw1/a');
    t.advance(1);
    t.at(10);
    t.schedule.changed('gw1/b'); // early: wait 192
    t.advance(1);
    t.at(10 + STATE_JOIN_MS - 5);
    t.schedule.changed('gw1/c'); // joins: VS Code shows b and c at its fire + 200
    t.advance(1);
    t.at(10 + STATE_JOIN_MS + 10);
    t.schedule.changed('gw1/d'); // waits for the end of the spacing
    t.advance(400);
    assert.equal(t.firedAt('gw1/c', 10), 10 + STATE_JOIN_MS - 5);
    assert.equal(t.shownAt('gw1/b', 10), 10 + STATE_JOIN_MS - 5 + VSCODE_DEBOUNCE_MS, 'b: shown when c’s hold ends');
    const d = t.firedAt('gw1/d', 10 + STATE_JOIN_MS + 10)!;
    assert.equal(d, 10 + STATE_JOIN_MS - 5 + REFRESH_SPACING_MS, 'd: when VS Code’s hold of c is over');
    assert.equal(t.shownAt('gw1/d', d), d, 'd: on the leading edge');
    t.schedule.dispose();
  });

  it('a change 90 ms after an early fire waits: joining it would show the early row only 290 ms after its change', () => {
    const t = scheduleOnFakeClock();
    t.schedule.changed('gw1/a');
    t.advance(1);
    t.at(10);
    t.schedule.changed('gw1/b'); // early
    t.advance(1);
    t.at(100);
    t.schedule.changed('gw1/c');
    t.advance(400);
    const b = t.shownAt('gw1/b', 10)! - 10;
    assert.ok(
      b <= 250,
      `the early change was shown ${b} ms after it (VS Code's 200 ms from the last fire of its chain)`,
    );
    assert.equal(t.firedAt('gw1/c', 100), 10 + REFRESH_SPACING_MS, 'the later one went when the hold was over');
    t.schedule.dispose();
  });

  it('counts whose ride is over while VS Code holds wait for the end of the hold, setting no timer meanwhile', () => {
    // A ride of 250 ms runs out inside a hold that a join stretched to 300 (RIDE_MS itself outlasts any hold).
    const ride = 250;
    const t = scheduleOnFakeClock(ride);
    t.schedule.changed('gw1/a', 'gw1');
    t.advance(1);
    t.at(20);
    t.schedule.changed('gw1/b', 'gw1'); // early; gw1's counts wait from here
    t.advance(1);
    t.at(100);
    t.schedule.changed('gw1/c', 'gw1'); // joins (80 ms): VS Code holds until 300
    t.advance(1);
    const before = t.timers.set;
    t.at(20 + ride + 20); // the counts' ride ran out at 20 + ride, inside the hold
    assert.ok(t.timers.set - before <= 2, `${t.timers.set - before} timers set while the counts waited`);
    t.advance(300);
    const counts = t.fires.find((f) => f.at > 100 && f.nodes?.includes('gw1'));
    assert.equal(counts?.at, 100 + REFRESH_SPACING_MS, `fires: ${JSON.stringify(t.fires)}`);
    t.schedule.dispose();
  });

  it('a gateway whose rows came or went is re-read whole with the next leading edge, and an early fire naming it does too', () => {
    const t = scheduleOnFakeClock();
    t.schedule.structure('gw1');
    t.advance(1);
    assert.deepEqual(t.fires, [{ at: 0, nodes: ['gw1'] }]);
    t.at(50);
    t.schedule.structure('gw2'); // inside the hold: waits
    t.schedule.changed('gw2'); // its connection changed too: early, naming it
    t.advance(400);
    assert.deepEqual(
      t.fires.map((f) => f.nodes),
      [['gw1'], ['gw2']],
      `the early fire re-read gw2 whole; nothing of it waited: ${JSON.stringify(t.fires)}`,
    );
    t.schedule.dispose();
  });

  it('under 50 changes a second every change reaches the provider within 100 ms and VS Code’s view within 270 ms, p95 within 100 and 250', () => {
    const t = scheduleOnFakeClock();
    // Changes at random (a fixed seed), a few tens of milliseconds to a second apart, on five gateways, with a
    // rider now and then (a clock row): the fleet bench's mix without its CPU.
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const changes: Array<{ row: string; at: number }> = [];
    for (let now = 0, i = 0; now < 60_000; i++) {
      now += Math.round(-Math.log(1 - rand()) * 430); // about 2.3 changes a second, as the bench's load makes
      changes.push({ row: `gw${1 + (i % 5)}/r${i}`, at: now });
    }
    for (const c of changes) {
      t.at(c.at);
      t.schedule.changed(c.row, c.row.split('/')[0]);
      if (rand() < 0.3) t.schedule.ride(`gw${1 + Math.floor(rand() * 5)}/clock`);
    }
    t.advance(2_000);
    const a = changes.map((c) => t.firedAt(c.row, c.at)! - c.at).sort((x, y) => x - y);
    const b = changes.map((c) => t.shownAt(c.row, c.at)! - c.at).sort((x, y) => x - y);
    const p95 = (v: number[]) => v[Math.ceil(v.length * 0.95) - 1];
    assert.ok(p95(a) < 100 && p95(b) <= 250, `p95: provider ${p95(a)} ms, view ${p95(b)} ms`);
    assert.ok(a[a.length - 1] <= REFRESH_SPACING_MS, `provider max ${a[a.length - 1]} ms`);
    assert.ok(b[b.length - 1] <= VSCODE_DEBOUNCE_MS + STATE_JOIN_MS, `view max ${b[b.length - 1]} ms`);
    t.schedule.dispose();
  });
});
