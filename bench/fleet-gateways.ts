// The fake gateways of bench/fleet.mjs, run in their own child process (forked by fleet.mjs) so that their CPU and
// heap stay out of the measured process. Each is a ScriptedGateway (test/support) on 127.0.0.1, port 0, speaking
// protocol 4 with frames cloned from test/fixtures/captured (openclaw 2026.9.6):
//   hello-ok        restart.json "hello-ok (before restart)", fresh connId/bootId, scopes = what the watcher asks for
//   sessions.list   the row of normal-turn.json "sessions.list (after final)", cloned per session (key, sessionId,
//                   lastRunId and every timestamp varied), paged with offset/limit/nextOffset/hasMore like 2026.9.x
//   events          the event sequences of normal-turn, lane-wait and error-turn.json, replayed per "turn" on one
//                   session with their captured spacing; key, sessionId, runIds and timestamps rewritten
//   logs.tail       the log lines of the same captures, appended as their turn reaches them, read with a byte cursor
//   chat.history    normal-turn.json "chat.history", rewritten for the asked session
//   diagnostics.lanes  hung-run.json "diagnostics.lanes (settled after abort)"
//   sessions.subscribe {subscribed:true} as captured; agents.list is NOT captured anywhere: it is built from the
//                   hello-ok sessionDefaults (one agent "main", the agent of every captured key)
// Every event frame carries a top-level `benchSentAt` (performance.timeOrigin + performance.now() at send) that
// the measured process reads; the frame guards ignore unknown top-level fields, and the payload is untouched.
//
// IPC (process.send): in {cmd:'start', ...} → out {type:'ready', urls}; {cmd:'load', rate, seconds} runs the
// mixed replay; {cmd:'quiet', turns, gapMs} replays normal turns one event at a time; {cmd:'clock', id} → {type:'clock', id, t};
// {cmd:'stop'} closes everything.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { ScriptedGateway } from '../test/support/scriptedGateway';

const now = () => performance.timeOrigin + performance.now();
const send = (m: unknown) => process.send?.(m);

interface StartOptions {
  gateways: number;
  sessions: number;
  fixtures: string;
  seed: number;
  listDelayMs: number;
  /** The last `children` sessions of each gateway are subagents (see FakeGateway.familyFields). */
  children: number;
}

// ---------------------------------------------------------------- deterministic randomness (mulberry32)
let rngState = 1;
const rand = () => {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = Math.imul(rngState ^ (rngState >>> 15), 1 | rngState);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const uuid = () =>
  'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = (rand() * 16) | 0;
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });

// ---------------------------------------------------------------- templates: captured JSON text with its variable tokens marked

type Token = { kind: 'key' | 'sessionId' | 'runId' | 'ms' | 'iso'; value: string };
interface Vars {
  key: string;
  sessionId: string;
  runIds: Map<string, string>;
  shiftMs: number;
}

/** Splits captured JSON text at the tokens that make a clone distinct: session key, sessionId, runIds, timestamps. */
class Template {
  private readonly parts: Array<string | Token> = [];
  constructor(text: string, ids: { key: string; sessionIds: string[]; runIds: string[] }) {
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const alternatives = [
      esc(ids.key),
      ...ids.sessionIds.map(esc),
      ...ids.runIds.map(esc),
      '\\b1795\\d{9}\\b',
      '2026-11-2\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}',
    ];
    const re = new RegExp(`(${alternatives.join('|')})`, 'g');
    let last = 0;
    for (const m of text.matchAll(re)) {
      if (m.index > last) this.parts.push(text.slice(last, m.index));
      const v = m[0];
      this.parts.push({
        kind:
          v === ids.key
            ? 'key'
            : ids.sessionIds.includes(v)
              ? 'sessionId'
              : ids.runIds.includes(v)
                ? 'runId'
                : /^\d+$/.test(v)
                  ? 'ms'
                  : 'iso',
        value: v,
      });
      last = m.index + v.length;
    }
    if (last < text.length) this.parts.push(text.slice(last));
  }
  render(v: Vars): string {
    let out = '';
    for (const p of this.parts) {
      if (typeof p === 'string') {
        out += p;
        continue;
      }
      switch (p.kind) {
        case 'key':
          out += v.key;
          break;
        case 'sessionId':
          out += v.sessionId;
          break;
        case 'runId': {
          let r = v.runIds.get(p.value);
          if (!r) {
            r = `bench-${uuid()}`;
            v.runIds.set(p.value, r);
          }
          out += r;
          break;
        }
        case 'ms':
          out += String(Number(p.value) + v.shiftMs);
          break;
        case 'iso':
          out += new Date(Date.parse(`${p.value}Z`) + v.shiftMs).toISOString().slice(0, 23);
          break;
      }
    }
    return out;
  }
}

interface TurnTemplate {
  name: string;
  weight: number;
  t0: number;
  span: number;
  events: Array<{ rel: number; event: string; payload: Template }>;
  logs: Array<{ rel: number; line: Template }>;
}

function loadFixture(dir: string, name: string): any {
  return JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
}

function idsOf(fixture: any): { key: string; sessionIds: string[]; runIds: string[] } {
  const sessionIds = new Set<string>(),
    runIds = new Set<string>();
  for (const e of fixture.events) {
    const p = e.frame.payload ?? {};
    if (typeof p.runId === 'string') runIds.add(p.runId);
    if (typeof p.sessionId === 'string') sessionIds.add(p.sessionId);
    if (typeof p.session?.sessionId === 'string') sessionIds.add(p.session.sessionId);
  }
  return { key: fixture.sessionKey, sessionIds: [...sessionIds], runIds: [...runIds] };
}

function turnTemplate(dir: string, name: string, weight: number): TurnTemplate {
  const f = loadFixture(dir, name);
  const ids = idsOf(f);
  const t0 = f.events[0].t;
  const events = f.events.map((e: any) => ({
    rel: e.t - t0,
    event: e.frame.event,
    payload: new Template(JSON.stringify(e.frame.payload ?? {}), ids),
  }));
  const logs = f.logLines.map((line: string) => {
    let at = t0;
    try {
      at = Date.parse(JSON.parse(line).time) || t0;
    } catch {
      /* keep t0 */
    }
    return { rel: Math.max(0, at - t0), line: new Template(line, ids) };
  });
  return { name, weight, t0, span: events[events.length - 1].rel, events, logs };
}

// ---------------------------------------------------------------- one fake gateway

interface Session {
  key: string;
  sessionId: string;
  busy: boolean;
}

class FakeGateway {
  gw!: ScriptedGateway;
  readonly sessions: Session[] = [];
  private readonly byKey = new Map<string, Session>();
  private rowTexts: string[] = [];
  private readonly seqs = new Map<WebSocket, number>();
  private logBuf: Array<{ end: number; line: string }> = [];
  private logSize = 0;
  eventsSent = 0;
  bytesSent = 0;
  requests: Record<string, number> = {};

  constructor(
    readonly index: number,
    private readonly c: Captured,
    private readonly opts: StartOptions,
  ) {
    const firstChild = opts.sessions - Math.min(opts.children, opts.sessions - 1);
    for (let i = 0; i < opts.sessions; i++) {
      const n = `g${index + 1}-${String(i + 1).padStart(4, '0')}`;
      const s = {
        // A subagent's key as 2026.9.6 makes it (agent:<id>:subagent:<uuid>), with the bench's number in it.
        key: i < firstChild ? `agent:main:bench-${n}` : `agent:main:subagent:bench-${n}`,
        sessionId: uuid(),
        busy: false,
      };
      this.sessions.push(s);
      this.byKey.set(s.key, s);
    }
  }

  async start(): Promise<void> {
    // Rows as the list would return them: the captured done/idle row, last touched at some time in the past week.
    const base = Date.now();
    const family = this.familyFields();
    this.rowTexts = this.sessions.map((s) => {
      const text = this.c.row.render({
        key: s.key,
        sessionId: s.sessionId,
        runIds: new Map(),
        shiftMs: base - Math.floor(rand() * 7 * 86_400_000) - this.c.rowT0,
      });
      const extra = family.get(s.key);
      return extra ? JSON.stringify({ ...JSON.parse(text), ...extra }) : text;
    });
    const hello = JSON.parse(JSON.stringify(this.c.hello));
    this.gw = await ScriptedGateway.start({
      helloOverrides: hello,
      handleRequest: (method, params, id, ws) => this.onRequest(method, params, id, ws),
    });
    this.gw.wss.on('connection', (ws) => {
      this.seqs.set(ws, 0);
      ws.on('close', () => this.seqs.delete(ws));
      // The real hello-ok names this connection and boot; the rest is the captured payload.
      hello.server = { ...hello.server, connId: uuid(), bootId: this.bootId };
    });
    const tick = setInterval(
      () => this.event('tick', JSON.stringify({ ts: Date.now() })),
      this.c.hello.policy.tickIntervalMs,
    );
    tick.unref();
  }

  /**
   * --children: the row fields of a real spawn (test/gateway/subagents.test.ts, 2026.9.6): the child names its parent in
   * spawnedBy and parentSessionKey, with spawnDepth, subagentRole and createdVia "spawn"; the parent lists its children
   * in childSessions. The parents are the first children/5 other sessions, so about five subagents each; every tenth
   * subagent is a subagent of the one before it instead (depth 2). Events for these sessions come from the same captured turns:
   * their rows carry no family fields, and the watcher keeps the listed ones (it merges each row into the last).
   */
  private familyFields(): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    const n = Math.min(this.opts.children, this.sessions.length - 1);
    if (n <= 0) return out;
    const firstChild = this.sessions.length - n;
    const parents = Math.max(1, Math.min(firstChild, Math.round(n / 5)));
    const childSessions = new Map<string, string[]>();
    for (let j = 0; j < n; j++) {
      const child = this.sessions[firstChild + j].key;
      const nested = j % 10 === 9;
      const parent = nested ? this.sessions[firstChild + j - 1].key : this.sessions[j % parents].key;
      out.set(child, {
        spawnedBy: parent,
        parentSessionKey: parent,
        spawnDepth: nested ? 2 : 1,
        subagentRole: nested ? 'leaf' : 'orchestrator',
        createdVia: 'spawn',
      });
      const list = childSessions.get(parent) ?? [];
      list.push(child);
      childSessions.set(parent, list);
    }
    for (const [parent, list] of childSessions) out.set(parent, { ...out.get(parent), childSessions: list });
    return out;
  }

  private readonly bootId = uuid();
  get url(): string {
    return this.gw.url;
  }

  private onRequest(method: string, params: any, id: string, ws: WebSocket): unknown {
    this.requests[method] = (this.requests[method] ?? 0) + 1;
    const reply = (payloadText: string) => {
      const text = `{"type":"res","id":${JSON.stringify(id)},"ok":true,"payload":${payloadText}}`;
      this.bytesSent += text.length;
      ws.send(text);
    };
    switch (method) {
      case 'agents.list':
        return this.c.agents;
      case 'sessions.subscribe':
        return this.c.subscribed;
      case 'sessions.list': {
        const limit = Math.max(1, Math.min(Number(params?.limit) || 100, 5000));
        const offset = Math.max(0, Number(params?.offset) || 0);
        const page = this.rowTexts.slice(offset, offset + limit);
        const next = offset + page.length;
        const hasMore = next < this.rowTexts.length;
        const env = {
          ...this.c.listEnvelope,
          ts: Date.now(),
          count: page.length,
          totalCount: this.rowTexts.length,
          limitApplied: limit,
          nextOffset: hasMore ? next : null,
          hasMore,
        };
        const text = `${JSON.stringify(env).slice(0, -1)},"sessions":[${page.join(',')}]}`;
        if (this.opts.listDelayMs > 0) setTimeout(() => reply(text), this.opts.listDelayMs);
        else reply(text);
        return undefined;
      }
      case 'chat.history': {
        const s = this.byKey.get(String(params?.sessionKey));
        if (!s) return { sessionKey: params?.sessionKey, messages: [], pendingInputs: { items: [], total: 0 } };
        reply(
          this.c.history.render({
            key: s.key,
            sessionId: s.sessionId,
            runIds: new Map(),
            shiftMs: Date.now() - this.c.historyT0,
          }),
        );
        return undefined;
      }
      case 'logs.tail':
        return this.logsTail(params ?? {});
      case 'diagnostics.lanes':
        return { ...this.c.lanes, ts: Date.now() };
      default:
        return {};
    }
  }

  private logsTail(p: { cursor?: number; limit?: number; maxBytes?: number }): unknown {
    const limit = Math.max(1, Math.min(Number(p.limit) || 200, 5000));
    const maxBytes = Math.max(1, Number(p.maxBytes) || 512 * 1024);
    let lines: Array<{ end: number; line: string }>;
    if (typeof p.cursor !== 'number') lines = this.logBuf.slice(-limit);
    else lines = this.logBuf.filter((l) => l.end > p.cursor!).slice(0, limit);
    const out: string[] = [];
    let bytes = 0,
      cursor = typeof p.cursor === 'number' ? p.cursor : this.logSize;
    for (const l of lines) {
      if (bytes + l.line.length > maxBytes && out.length) break;
      out.push(l.line);
      bytes += l.line.length;
      cursor = l.end;
    }
    if (typeof p.cursor !== 'number') cursor = this.logSize;
    return { file: this.c.logFile, cursor, size: this.logSize, lines: out, truncated: false, reset: false };
  }

  appendLog(line: string): void {
    this.logSize += Buffer.byteLength(line) + 1;
    this.logBuf.push({ end: this.logSize, line });
    if (this.logBuf.length > 5000) this.logBuf.splice(0, this.logBuf.length - 4000);
  }

  /** Sends one event frame to every socket of this gateway with its own per-connection seq, stamped with the send time. */
  event(name: string, payloadText: string): void {
    for (const ws of this.gw.sockets) {
      const seq = (this.seqs.get(ws) ?? 0) + 1;
      this.seqs.set(ws, seq);
      const text = `{"type":"event","event":${JSON.stringify(name)},"payload":${payloadText},"seq":${seq},"benchSentAt":${now()}}`;
      ws.send(text);
      this.eventsSent++;
      this.bytesSent += text.length;
    }
  }

  idleSession(): Session | undefined {
    for (let tries = 0; tries < 50; tries++) {
      const s = this.sessions[Math.floor(rand() * this.sessions.length)];
      if (!s.busy) return s;
    }
    return this.sessions.find((s) => !s.busy);
  }

  async close(): Promise<void> {
    await this.gw.close();
  }
}

interface Captured {
  hello: any;
  agents: unknown;
  subscribed: unknown;
  listEnvelope: Record<string, unknown>;
  row: Template;
  rowT0: number;
  history: Template;
  historyT0: number;
  lanes: Record<string, unknown>;
  logFile: string;
  turns: TurnTemplate[];
}

function loadCaptured(dir: string): Captured {
  const normal = loadFixture(dir, 'normal-turn'),
    restart = loadFixture(dir, 'restart'),
    hung = loadFixture(dir, 'hung-run');
  const ids = idsOf(normal);
  const list = normal.results['sessions.list (after final)'];
  const { sessions, ...listEnvelope } = list;
  const hello = restart.results['hello-ok (before restart)'];
  // The watcher asks for operator.read only (src/fleet/gatewayWatcher.ts); a gateway grants what a paired device asks.
  hello.auth = { ...hello.auth, scopes: ['operator.read'] };
  const d = hello.snapshot.sessionDefaults;
  return {
    hello,
    agents: {
      defaultId: d.defaultAgentId,
      ownership: d.ownership,
      selectionRequired: d.selectionRequired,
      mainKey: d.mainKey,
      scope: d.scope,
      agents: [{ id: d.defaultAgentId, kind: 'agent', createdVia: 'operator', name: d.defaultAgentId }],
    },
    subscribed: normal.results['sessions.subscribe (first call on the connection)'],
    listEnvelope,
    row: new Template(JSON.stringify(sessions[0]), ids),
    rowT0: sessions[0].updatedAt,
    history: new Template(JSON.stringify(normal.results['chat.history']), ids),
    historyT0: normal.events[normal.events.length - 1].t,
    lanes: hung.results['diagnostics.lanes (settled after abort)'],
    logFile: normal.results['logs.tail (limit 3, sample of the RPC shape)'].file,
    turns: [
      turnTemplate(dir, 'normal-turn', 0.7),
      turnTemplate(dir, 'lane-wait', 0.2),
      turnTemplate(dir, 'error-turn', 0.1),
    ],
  };
}

// ---------------------------------------------------------------- scheduling

/** A time-ordered queue of sends, run by one timer. */
class Scheduler {
  private queue: Array<{ at: number; run: () => void }> = [];
  private timer?: NodeJS.Timeout;
  add(at: number, run: () => void): void {
    // Insert keeping order (binary search): a few hundred entries at most.
    let lo = 0,
      hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid].at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, { at, run });
    if (lo === 0) this.arm();
  }
  private arm(): void {
    clearTimeout(this.timer);
    if (!this.queue.length) return;
    this.timer = setTimeout(() => this.drain(), Math.max(0, this.queue[0].at - Date.now()));
  }
  private drain(): void {
    const t = Date.now();
    while (this.queue.length && this.queue[0].at <= t) this.queue.shift()!.run();
    this.arm();
  }
  clear(): void {
    this.queue = [];
    clearTimeout(this.timer);
  }
  get size(): number {
    return this.queue.length;
  }
}

let gateways: FakeGateway[] = [];
let captured: Captured;
const scheduler = new Scheduler();
let loadStats = { turns: {} as Record<string, number>, events: 0, started: 0, ended: 0 };

/**
 * Schedules one turn of `t` on a random idle session of a random gateway, starting at `start` (may be in the past).
 * Only its events in [from, until] are sent; one already due (its timer ran late) is sent at once.
 */
function scheduleTurn(t: TurnTemplate, start: number, from: number, until: number): void {
  const g = gateways[Math.floor(rand() * gateways.length)];
  const s = g.idleSession();
  if (!s) return;
  s.busy = true;
  loadStats.turns[t.name] = (loadStats.turns[t.name] ?? 0) + 1;
  const vars: Vars = { key: s.key, sessionId: s.sessionId, runIds: new Map(), shiftMs: start - t.t0 };
  for (const e of t.events) {
    const at = start + e.rel;
    if (at < from || at > until) continue; // a turn already under way at the start: only its remaining events
    scheduler.add(at, () => {
      g.event(e.event, e.payload.render(vars));
      loadStats.events++;
    });
  }
  for (const l of t.logs) {
    const at = start + l.rel;
    if (at < from || at > until) continue;
    scheduler.add(at, () => g.appendLog(l.line.render(vars)));
  }
  scheduler.add(Math.max(from, Math.min(until, start + t.span)) + 1, () => {
    s.busy = false;
  });
}

function pickTemplate(): TurnTemplate {
  let r = rand() * captured.turns.reduce((n, t) => n + t.weight, 0);
  for (const t of captured.turns) {
    r -= t.weight;
    if (r <= 0) return t;
  }
  return captured.turns[0];
}

/**
 * Turns arrive as a Poisson process whose rate gives `rate` events/s on average (mean events per turn from the
 * template mix). Turns that would already be under way at the start are seeded too, so the rate is steady from the
 * first second instead of ramping up over the longest turn (error-turn: ~114 s).
 */
function runLoad(rate: number, seconds: number): void {
  const meanEvents =
    captured.turns.reduce((n, t) => n + t.weight * t.events.length, 0) /
    captured.turns.reduce((n, t) => n + t.weight, 0);
  const turnsPerMs = rate / meanEvents / 1000;
  const start = Date.now(),
    until = start + seconds * 1000;
  const longest = Math.max(...captured.turns.map((t) => t.span));
  loadStats = { turns: {}, events: 0, started: start, ended: until };
  let at = start - longest;
  const next = () => {
    at += -Math.log(1 - rand()) / turnsPerMs;
  };
  next();
  while (at < start) {
    scheduleTurn(pickTemplate(), at, start, until);
    next();
  }
  const arrive = () => {
    if (at > until) return;
    scheduleTurn(pickTemplate(), at, start, until);
    next();
    scheduler.add(at, arrive);
  };
  scheduler.add(at, arrive);
  scheduler.add(until + 1, () =>
    send({
      type: 'load-done',
      events: loadStats.events,
      turns: loadStats.turns,
      seconds: (Date.now() - start) / 1000,
      meanEventsPerTurn: meanEvents,
    }),
  );
}

/** Normal turns replayed one event at a time, `gapMs` apart: each event arrives alone (no burst, no other traffic). */
function runQuiet(turns: number, gapMs: number): void {
  const t = captured.turns[0];
  let at = Date.now() + 50,
    count = 0;
  for (let i = 0; i < turns; i++) {
    const g = gateways[i % gateways.length];
    const s = g.idleSession()!;
    s.busy = true;
    const vars: Vars = { key: s.key, sessionId: s.sessionId, runIds: new Map(), shiftMs: at - t.t0 };
    for (const e of t.events) {
      scheduler.add(at, () => {
        vars.shiftMs = Date.now() - t.t0 - e.rel;
        g.event(e.event, e.payload.render(vars));
      });
      at += gapMs;
      count++;
    }
    scheduler.add(at, () => {
      s.busy = false;
    });
  }
  scheduler.add(at + 1, () => send({ type: 'quiet-done', events: count }));
}

async function onCommand(m: any): Promise<void> {
  try {
    if (m.cmd === 'start') {
      rngState = m.seed | 0 || 1;
      captured = loadCaptured(m.fixtures);
      gateways = Array.from({ length: m.gateways }, (_, i) => new FakeGateway(i, captured, m));
      await Promise.all(gateways.map((g) => g.start()));
      send({
        type: 'ready',
        urls: gateways.map((g) => g.url),
        rowBytes: Math.round(gateways[0]['rowTexts'].reduce((n, r) => n + r.length, 0) / m.sessions),
        templates: captured.turns.map((t) => ({
          name: t.name,
          weight: t.weight,
          events: t.events.length,
          spanMs: t.span,
          logLines: t.logs.length,
        })),
      });
    } else if (m.cmd === 'clock') {
      send({ type: 'clock', id: m.id, t: now() });
    } else if (m.cmd === 'load') {
      runLoad(m.rate, m.seconds);
    } else if (m.cmd === 'quiet') {
      runQuiet(m.turns, m.gapMs);
    } else if (m.cmd === 'stats') {
      send({
        type: 'stats',
        gateways: gateways.map((g) => ({
          url: g.url,
          eventsSent: g.eventsSent,
          bytesSent: g.bytesSent,
          requests: g.requests,
          sockets: g.gw.sockets.size,
          connections: g.gw.connections,
        })),
      });
    } else if (m.cmd === 'stop') {
      scheduler.clear();
      await Promise.all(gateways.map((g) => g.close()));
      send({ type: 'stopped' });
      process.exit(0);
    }
  } catch (err) {
    send({ type: 'error', message: (err as Error).stack ?? String(err) });
  }
}
// Each command's failure is sent back to the parent (the catch above); the listener itself only starts it.
process.on('message', (m) => void onCommand(m));
process.on('disconnect', () => process.exit(0));
