// TranscriptModel against a scripted gateway that answers chat.history the way 2026.9.6 does (tail page with
// hasMore/deltaCursor, a window *around* `messageId`, `cursor` deltas or {kind:"reset"}), with frames and
// messages taken from the real captures in test/fixtures/captured.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayApi, GatewayConnection, MemoryDeviceIdentityStore } from '../../src/gateway';
import { TranscriptModel, UNNAMED_RUN, fenced, type TranscriptChange } from '../../src/transcript/transcript';
import { cleanText, normalizeMessage } from '../../src/transcript/transcriptEntry';
import type { RunEvidence } from '../../src/actions/recovery';
import { repoRoot } from '../support/fixtures';
import { ScriptedGateway } from '../support/scriptedGateway';

const captured = (name: string) =>
  JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'captured', `${name}.json`), 'utf8'));
const NORMAL = captured('normal-turn');
const HUNG = captured('hung-run');
const RESET = captured('reset');
const ERROR = captured('error-turn');

const servers: ScriptedGateway[] = [];
const models: TranscriptModel[] = [];
const connections: GatewayConnection[] = [];
after(async () => {
  for (const m of models) m.dispose();
  for (const c of connections) c.dispose();
  for (const s of servers) await s.close();
});

/** A message in the real 2026.9.6 shape (from the normal-turn capture), with its own id and seq. */
function message(
  i: number,
  role: 'user' | 'assistant' = i % 2 ? 'user' : 'assistant',
  text = `message ${i}`,
  id = `m-${i}`,
): any {
  const [user, assistant] = NORMAL.results['chat.history'].messages;
  const m = structuredClone(role === 'user' ? user : assistant);
  if (role === 'user') m.content = text;
  else m.content = [{ type: 'text', text }];
  m.__openclaw.id = id;
  m.__openclaw.seq = i;
  return m;
}

interface Store {
  key: string;
  sessionId: string;
  generation: number;
  messages: any[];
  inFlightRun?: any;
  pendingInputs?: any;
  deleted?: boolean;
  /** What sessions.list answers instead of the session's row (a malformed answer). */
  listAnswer?: unknown;
}

/** chat.history as 2026.9.6 answers it (see the gateway's chat-history-page-kernel / transcript-anchor-page). */
function chatHistory(store: Store, params: any): any {
  const all = store.messages;
  const base = {
    sessionKey: params.sessionKey,
    sessionId: store.deleted ? undefined : store.sessionId,
    pendingInputs: store.pendingInputs ?? { items: [], total: 0 },
    ...(store.inFlightRun ? { inFlightRun: store.inFlightRun } : {}),
    sessionInfo: { key: store.key, sessionId: store.sessionId },
  };
  if (params.cursor !== undefined) {
    const m = /^c:(\d+):(\d+)$/.exec(params.cursor);
    if (!m || Number(m[1]) !== store.generation) return { kind: 'reset' };
    const since = all.slice(Number(m[2]));
    if (since.length > 200) return { kind: 'reset' };
    return {
      kind: 'delta',
      deltaCursor: `c:${store.generation}:${all.length}`,
      pendingInputs: base.pendingInputs,
      sessionInfo: base.sessionInfo,
      ...(store.inFlightRun ? { inFlightRun: store.inFlightRun } : {}),
      messages: since.map((msg) => ({
        sessionKey: store.key,
        agentId: 'main',
        message: msg,
        messageId: msg.__openclaw.id,
        messageSeq: msg.__openclaw.seq,
      })),
    };
  }
  const limit = Math.min(1000, params.limit ?? 200);
  if (params.messageId !== undefined) {
    const at = all.findIndex((msg) => msg.__openclaw.id === params.messageId);
    if (at < 0) return { ...base, messages: [] };
    const olderCount = limit - Math.floor(limit / 2) - 1;
    const start = Math.min(Math.max(0, at - olderCount), Math.max(0, all.length - limit));
    return { ...base, messages: all.slice(start, Math.min(all.length, start + limit)) };
  }
  const page = all.slice(Math.max(0, all.length - limit));
  return {
    ...base,
    messages: page,
    hasMore: all.length > page.length,
    totalMessages: all.length,
    deltaCursor: `c:${store.generation}:${all.length}`,
  };
}

async function setup(
  store: Store,
  opts: Partial<ConstructorParameters<typeof TranscriptModel>[0]> = {},
  hello: Record<string, unknown> = {},
) {
  const calls: Array<{ method: string; params: any }> = [];
  const gw = await ScriptedGateway.start({
    helloOverrides: {
      features: {
        methods: [
          'chat.history',
          'sessions.describe',
          'sessions.messages.subscribe',
          'sessions.messages.unsubscribe',
          'sessions.subscribe',
        ],
        events: ['session.message', 'chat', 'agent', 'sessions.changed'],
      },
      ...hello,
    },
    handleRequest: (method, params) => {
      calls.push({ method, params });
      switch (method) {
        case 'chat.history':
          return chatHistory(store, params);
        case 'sessions.describe':
          return { session: store.deleted ? null : { key: store.key, sessionId: store.sessionId } };
        case 'sessions.list':
          return (
            store.listAnswer ?? {
              sessions: store.deleted ? [] : [{ key: store.key, sessionId: store.sessionId, status: 'running' }],
              count: store.deleted ? 0 : 1,
            }
          );
        case 'sessions.messages.subscribe':
        case 'sessions.messages.unsubscribe':
          return { subscribed: method.endsWith('.subscribe'), key: params.key };
        default:
          return {};
      }
    },
  });
  servers.push(gw);
  const connection = new GatewayConnection({
    url: gw.url,
    credentials: () => ({ token: 't' }),
    scopes: ['operator.read'],
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 5000,
  });
  connections.push(connection);
  connection.start();
  await connection.waitForConnected(5000);
  const model = new TranscriptModel({
    api: new GatewayApi(connection),
    sessionKey: store.key,
    refreshDelayMs: 20,
    ...opts,
  });
  models.push(model);
  const changes: TranscriptChange[] = [];
  model.onDidChange((c) => changes.push(c));
  await model.start();
  await model.settled();
  return { gw, model, calls, changes, connection };
}

/** Resolves once `pred` holds (checked now and after every model change). */
function until(model: TranscriptModel, pred: () => boolean, ms = 5000): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`condition not met within ${ms} ms; status ${JSON.stringify(model.status())}`));
    }, ms);
    const sub = model.onDidChange(() => {
      if (pred()) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const replay = (gw: ScriptedGateway, frames: Array<{ frame: any }>, keep: (f: any) => boolean = () => true) => {
  for (const { frame } of frames) if (keep(frame)) gw.broadcast({ ...frame, seq: undefined });
};
const ids = (model: TranscriptModel) =>
  model
    .entries()
    .filter((e) => e.kind === 'message')
    .map((e) => e.messageId);

describe('TranscriptModel: live turn (captured normal-turn frames)', () => {
  it('follows session.message once, streams the in-flight text from chat/agent events, and clears it at the end', async () => {
    const store: Store = {
      key: NORMAL.sessionKey,
      sessionId: 'cbcffdee-9c4d-4763-8656-07d1e348effa',
      generation: 1,
      messages: [],
    };
    const { gw, model, calls } = await setup(store);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['sessions.messages.subscribe', 'sessions.describe', 'chat.history'],
    );
    assert.equal(calls[2].params.limit, 80, 'the newest page of about 80 messages');
    const streamed: string[] = [];
    const afterMessage: string[] = [];
    model.onDidChange((c) => {
      const text = model.inFlight()?.text;
      if (c.type !== 'live' || !text) return;
      (model.entries().some((e) => e.role === 'assistant') ? afterMessage : streamed).push(text);
    });
    const events = NORMAL.events.filter((e: any) => e.frame.event !== 'sessions.changed');
    replay(gw, events);
    await until(model, () => ids(model).length === 2 && !model.inFlight());
    assert.ok(streamed.includes('fake reply #2 to:'), `streamed text seen: ${JSON.stringify(streamed)}`);
    assert.deepEqual(afterMessage, [], 'once the message is in the transcript, its text is not also shown in flight');
    const [user, assistant] = model.entries();
    assert.equal(user.role, 'user');
    assert.equal(user.text, 'hello');
    assert.equal(assistant.role, 'assistant');
    assert.equal(assistant.text, 'fake reply #2 to: hello');
    assert.deepEqual(assistant.usage, { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, total: 15, costUsd: 0 });
    assert.equal(assistant.model, 'fake-model');
    assert.equal(typeof assistant.timestamp, 'number');
    // The same session.message again (a second subscription, a replay): no duplicate.
    replay(gw, events, (f) => f.event === 'session.message');
    await sleep(100);
    assert.equal(model.entries().length, 2);
  });
});

describe('TranscriptModel: a hung run (captured hung-run)', () => {
  it('shows chat.history inFlightRun and pendingInputs, then an abort as a notice', async () => {
    const history = HUNG.results['chat.history (at the first long-running line)'];
    const store: Store = {
      key: HUNG.sessionKey,
      sessionId: history.sessionId,
      generation: 1,
      messages: history.messages,
      inFlightRun: history.inFlightRun,
      pendingInputs: history.pendingInputs,
    };
    const { gw, model } = await setup(store);
    const run = model.inFlight();
    assert.equal(run?.runId, 'cap-hung-1');
    assert.equal(run?.source, 'history');
    assert.equal(run?.phase, 'starting_model');
    assert.equal(run?.startedAt, 1795282661927);
    assert.deepEqual(
      model.pending().map((q) => [q.state, q.text, q.runId]),
      [
        ['queued', 'follow-up queued behind the hung run', 'cap-hung-queued-chat'],
        ['queued', 'agent run queued behind the hung run', 'cap-hung-queued-agent'],
      ],
    );
    // The abort, as captured; afterwards the gateway reports the queue cancelled.
    store.inFlightRun = undefined;
    store.pendingInputs = HUNG.results['chat.history (settled after abort)'].pendingInputs;
    replay(
      gw,
      HUNG.events.filter((e: any) => e.frame.event === 'chat' && e.frame.payload.state === 'aborted'),
    );
    await until(model, () => !model.inFlight() && model.pending().length === 0);
    const notices = model
      .entries()
      .filter((e) => e.kind === 'notice')
      .map((e) => e.text);
    assert.deepEqual(notices, [
      'Run cap-hung-1 was aborted (rpc).',
      'Queued input cap-hung-queued-agent was aborted (rpc).',
    ]);
    assert.ok(
      model
        .entries()
        .filter((e) => e.kind === 'notice')
        .every((e) => e.status === 'aborted'),
    );
  });

  it("keeps the executing run when chat.history names a queued input's run id as inFlightRun (seen on 2026.9.6)", async () => {
    const history = HUNG.results['chat.history (at the first long-running line)'];
    const store: Store = {
      key: HUNG.sessionKey,
      sessionId: history.sessionId,
      generation: 1,
      messages: history.messages,
      inFlightRun: history.inFlightRun,
      pendingInputs: { items: [], total: 0 },
    };
    const { gw, model, calls } = await setup(store, { busyPollMs: 50 });
    assert.equal(model.inFlight()?.runId, 'cap-hung-1');
    const quirk = HUNG.results['chat.history (queued input while hung)'];
    store.inFlightRun = quirk.inFlightRun;
    store.pendingInputs = quirk.pendingInputs;
    assert.equal(store.inFlightRun.runId, 'cap-hung-queued-chat');
    const polls = calls.length;
    await until(model, () => model.pending().length === 1 && calls.length > polls + 1);
    assert.equal(model.inFlight()?.runId, 'cap-hung-1');
    void gw;
  });

  it("opened late while chat.history names a queued input's run: shows the run the Gateways view saw holding the lane, or says its id is unknown", async () => {
    const quirk = HUNG.results['chat.history (queued input while hung)'];
    assert.ok(
      quirk.pendingInputs.items.some((q: any) => q.runId === quirk.inFlightRun.runId),
      'the capture names a queued run',
    );
    const fresh = (): Store => ({
      key: HUNG.sessionKey,
      sessionId: quirk.sessionId,
      generation: 1,
      messages: quirk.messages,
      inFlightRun: quirk.inFlightRun,
      pendingInputs: quirk.pendingInputs,
    });
    const evidence = (runId?: string) => ({
      read: () => ({
        live: true,
        runId,
        startedAt: 1_795_000_000_000,
        lane: { state: 'running' as const, verified: true },
        why: 'test',
      }),
      onDidChange: () => ({ dispose() {} }),
    });
    const seen = await setup(fresh(), { evidence: evidence('cap-hung-1') });
    assert.equal(seen.model.inFlight()?.runId, 'cap-hung-1');
    assert.equal(seen.model.inFlight()?.source, 'watcher');
    assert.equal(seen.model.pending().length, quirk.pendingInputs.items.length, 'the queued input stays queued');
    const unseen = await setup(fresh(), { evidence: evidence(undefined) });
    assert.equal(unseen.model.inFlight()?.runId, UNNAMED_RUN);
    const store = fresh();
    const none = await setup(store, { busyPollMs: 50 });
    assert.equal(none.model.inFlight()?.runId, UNNAMED_RUN);
    // Once the lane frees and the named run really runs (no longer queued), it is shown.
    store.pendingInputs = { items: [], total: 0 };
    await until(none.model, () => none.model.inFlight()?.runId === quirk.inFlightRun.runId);
  });

  it('protocol 3, connected after a run began: says whether a run is in flight cannot be verified, until the Gateways view knows', async () => {
    const store: Store = {
      key: 'agent:main:p3-late',
      sessionId: 's',
      generation: 1,
      messages: [message(1, 'user', 'a question')],
    };
    const listeners = new Set<() => void>();
    let evidence: RunEvidence = {
      live: undefined,
      lane: { state: 'running', verified: false },
      why: 'openclaw 2026.3.24 (protocol 3) keeps "running" in rows after runs end (p3.unverified)',
      rule: 'p3.unverified',
    };
    const source = {
      read: () => evidence,
      onDidChange: (l: () => void) => {
        listeners.add(l);
        return { dispose: () => listeners.delete(l) };
      },
    };
    const set = (e: RunEvidence) => {
      evidence = e;
      for (const l of listeners) l();
    };
    const p3 = {
      protocol: 3,
      server: { version: '2026.3.24', connId: 'c1' },
      features: {
        methods: ['chat.history', 'chat.send', 'chat.abort', 'sessions.list'],
        events: ['chat', 'agent', 'sessions.changed'],
      },
    };
    const { model, gw } = await setup(store, { evidence: source }, p3);
    assert.match(model.status().runUnverified ?? '', /cannot be verified.*p3\.unverified/);
    assert.equal(model.inFlight(), undefined, 'no run is shown as in flight on a guess');
    set({
      live: false,
      lane: { state: 'stale', verified: true },
      why: 'the row says "running" but its run ended (aborted) while Lanewatch watched (p3.stale)',
    });
    assert.equal(model.status().runUnverified, undefined, 'the stale verdict replaces it');
    // A run event on the panel's own socket verifies a run even before the Gateways view has processed it.
    set({
      live: undefined,
      lane: { state: 'running', verified: false },
      why: 'again (p3.unverified)',
      rule: 'p3.unverified',
    });
    assert.ok(model.status().runUnverified);
    replay(
      gw,
      HUNG.events
        .filter((e: any) => e.frame.event === 'agent' && e.frame.payload.runId === 'cap-hung-1')
        .map((e: any) => ({ frame: { ...e.frame, payload: { ...e.frame.payload, sessionKey: store.key } } })),
    );
    await until(model, () => model.inFlight()?.runId === 'cap-hung-1');
    assert.equal(model.status().runUnverified, undefined);
    set({ live: false, lane: { state: 'stale', verified: true }, why: 'ended (p3.stale)' });
    set({
      live: true,
      runId: 'r-2',
      lane: { state: 'running', verified: true },
      why: 'this connection saw the run start (p3.events)',
    });
    assert.equal(model.inFlight()?.runId, 'r-2');
    assert.equal(model.status().runUnverified, undefined);
  });

  it('protocol 3: a sessions.list answer it cannot read does not stop the transcript from loading', async () => {
    const store: Store = {
      key: 'agent:main:p3-odd-list',
      sessionId: 's',
      generation: 1,
      messages: [message(1, 'user', 'still shown')],
      listAnswer: { sessions: 'not a list' },
    };
    const p3 = {
      protocol: 3,
      server: { version: '2026.3.24', connId: 'c1' },
      features: { methods: ['chat.history', 'sessions.list'], events: ['chat', 'agent', 'sessions.changed'] },
    };
    const logged: string[] = [];
    const { model } = await setup(store, { log: (_level, m) => logged.push(m) }, p3);
    assert.equal(model.status().loaded, true);
    assert.equal(model.status().error, undefined);
    assert.deepEqual(
      model
        .entries()
        .filter((e) => e.kind === 'message')
        .map((e) => e.text),
      ['still shown'],
    );
    assert.match(logged.join('\n'), /sessions\.list answered without a "sessions" array/);
  });

  it('adopts a run it only learns about from events (joined late), with its phase', async () => {
    const store: Store = { key: HUNG.sessionKey, sessionId: 's', generation: 1, messages: [] };
    const { gw, model } = await setup(store);
    replay(
      gw,
      HUNG.events.filter(
        (e: any) =>
          e.frame.event === 'agent' && e.frame.payload.runId === 'cap-hung-1' && e.frame.payload.stream !== 'lifecycle',
      ),
    );
    await until(model, () => model.inFlight()?.phase === 'starting_model');
    assert.equal(model.inFlight()?.source, 'events');
  });
});

describe('TranscriptModel: message shapes', () => {
  it('an error turn is an assistant message with status error; the reset marker is a separator', async () => {
    const err = normalizeMessage(ERROR.results['chat.history'].messages[1]);
    assert.equal(err.status, 'error');
    assert.match(err.text, /HTTP 500/);
    const reset = normalizeMessage(RESET.results['chat.history (after reset)'].messages[0]);
    assert.equal(reset.kind, 'separator');
    assert.equal(reset.openclawKind, 'reset');
  });

  it('tool calls, tool results, thinking and unknown roles', () => {
    const call = normalizeMessage({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'hmm' },
        { type: 'text', text: 'let me look' },
        { type: 'toolCall', id: 'call-1', name: 'read', arguments: { path: '/etc/hosts' } },
      ],
      stopReason: 'toolUse',
      __openclaw: { id: 'a1', seq: 3 },
    });
    assert.equal(call.thinking, 'hmm');
    assert.equal(call.text, 'let me look');
    assert.deepEqual(call.tools, [
      { kind: 'call', name: 'read', callId: 'call-1', text: '{\n  "path": "/etc/hosts"\n}' },
    ]);
    const result = normalizeMessage({
      role: 'toolResult',
      toolCallId: 'call-1',
      toolName: 'read',
      content: [{ type: 'text', text: '127.0.0.1 localhost' }],
      isError: true,
      __openclaw: { id: 'r1', seq: 4 },
    });
    assert.equal(result.role, 'tool');
    assert.deepEqual(result.tools, [
      { kind: 'result', name: 'read', callId: 'call-1', text: '127.0.0.1 localhost', isError: true },
    ]);
    const odd = normalizeMessage({ role: '<b>robot</b>', content: 42 });
    assert.equal(odd.role, 'other');
    assert.equal(odd.rawRole, '<b>robot</b>', 'kept as text; the view never parses it');
    assert.equal(odd.text, '42');
  });

  it('hostile text becomes inert plain text: ANSI removed, controls visible, lone surrogates replaced, clipped', () => {
    assert.equal(cleanText('\x1b[31mred\x1b[0m \x1b]8;;javascript:alert(1)\x07link\x1b]8;;\x07 \x1b[2J'), 'red link ');
    assert.equal(cleanText('a\x00b\x07c\x7fd\r\ne\rf'), 'a\u2400b\u2407c\ufffdd\ne\nf');
    assert.equal(cleanText('x\ud800y\udc00z\ud83d\ude00'), 'x\ufffdy\ufffdz\ud83d\ude00');
    const big = normalizeMessage(
      { role: 'user', content: '<script>alert(1)</script>'.repeat(50_000), __openclaw: { id: 'big' } },
      { maxTextChars: 64 * 1024 },
    );
    assert.equal(big.text.length, 64 * 1024);
    assert.equal(big.clipped, 50_000 * 25 - 64 * 1024);
    assert.ok(big.text.startsWith('<script>'), 'the text is kept as written: the view renders it as text');
  });

  it('Markdown export puts message text in fences no backtick run can close', async () => {
    assert.deepEqual(fenced('a ``` b ```` c'), ['`````text', 'a ``` b ```` c', '`````']);
    const store: Store = {
      key: 'agent:main:md',
      sessionId: 's',
      generation: 1,
      messages: [
        message(1, 'user', '<img src=x onerror=alert(1)> [x](javascript:alert(1)) ```'),
        message(2, 'assistant', '# not a heading'),
      ],
    };
    const { model } = await setup(store);
    const md = model.toMarkdown({ title: 'T', source: 'gw <ws://x>' });
    assert.match(md, /^# T$/m);
    assert.match(md, /Gateway: gw \\<ws:\/\/x\\>/);
    assert.match(md, /^### User · /m);
    assert.match(md, /^````text\n<img src=x onerror=alert\(1\)> \[x\]\(javascript:alert\(1\)\) ```\n````$/m);
    assert.match(md, /^```text\n# not a heading\n```$/m);
    assert.match(md, /^\*model fake-model · in 10 · out 5 · 15 tokens\*$/m);
  });
});

describe('TranscriptModel: paging back anchored on message ids', () => {
  it('prepends older pages from chat.history {messageId} windows until the start, without duplicates or offsets', async () => {
    const store: Store = {
      key: 'agent:main:long',
      sessionId: 's',
      generation: 1,
      messages: Array.from({ length: 300 }, (_, i) => message(i + 1)),
    };
    const { model, calls } = await setup(store, { olderPageSize: 100 });
    assert.equal(model.entries().length, 80);
    assert.equal(model.status().hasOlder, true);
    let pages = 0;
    while (model.status().hasOlder && pages < 20) {
      await model.loadOlder();
      pages++;
    }
    assert.deepEqual(
      ids(model),
      store.messages.map((m) => m.__openclaw.id),
      'every message once, in order',
    );
    assert.equal(model.status().olderStop, 'start');
    const older = calls.filter((c) => c.method === 'chat.history' && c.params.messageId);
    assert.ok(older.length >= 4, `${older.length} back pages`);
    assert.ok(
      calls.every((c) => c.params.offset === undefined),
      'no offsets',
    );
    assert.equal(older[0].params.messageId, 'm-221', 'anchored on the oldest loaded id');
    // New messages arriving meanwhile do not disturb id anchors (they would shift an offset).
  });

  it('stops at the memory bound and says so', async () => {
    const store: Store = {
      key: 'agent:main:cap',
      sessionId: 's',
      generation: 1,
      messages: Array.from({ length: 300 }, (_, i) => message(i + 1)),
    };
    const { model } = await setup(store, { olderPageSize: 200, maxMessages: 150 });
    while (model.status().hasOlder) await model.loadOlder();
    assert.equal(model.entries().length, 150);
    assert.equal(model.status().olderStop, 'cap');
    assert.equal(model.entries()[0].messageId, 'm-151', 'the newest 150');
  });

  it('drops the oldest entries when live messages exceed the bound', async () => {
    const store: Store = {
      key: 'agent:main:live-cap',
      sessionId: 's',
      generation: 1,
      messages: Array.from({ length: 40 }, (_, i) => message(i + 1)),
    };
    const { gw, model, changes } = await setup(store, { maxMessages: 50 });
    for (let i = 41; i <= 80; i++)
      gw.broadcast({
        type: 'event',
        event: 'session.message',
        payload: { sessionKey: store.key, message: message(i), messageId: `m-${i}`, messageSeq: i },
      });
    await until(model, () => model.entries().at(-1)?.messageId === 'm-80');
    assert.equal(model.entries().length, 50);
    assert.equal(model.entries()[0].messageId, 'm-31');
    assert.equal(model.status().dropped, 30);
    assert.equal(model.status().olderStop, 'cap');
    assert.ok(changes.some((c) => c.type === 'dropped'));
  });
});

describe('TranscriptModel: reconnects', () => {
  const drop = (gw: ScriptedGateway) => {
    for (const s of gw.sockets) s.terminate();
  };

  it('resubscribes and catches up through the delta cursor', async () => {
    const store: Store = { key: 'agent:main:rc', sessionId: 's', generation: 1, messages: [message(1), message(2)] };
    const { gw, model, calls } = await setup(store);
    drop(gw);
    await until(model, () => model.status().connection !== 'connected');
    store.messages.push(message(3), message(4), message(5));
    await until(model, () => ids(model).length === 5 && model.status().catchUps >= 1, 10_000);
    assert.deepEqual(ids(model), ['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
    const after = calls.slice(3).map((c) => `${c.method}${c.params.cursor ? ' cursor' : ''}`);
    assert.deepEqual(after, ['sessions.messages.subscribe', 'sessions.describe', 'chat.history cursor']);
  });

  it('after a gap larger than a page (cursor refused), pages back by id until it meets what was loaded', async () => {
    const store: Store = {
      key: 'agent:main:gap',
      sessionId: 's',
      generation: 1,
      messages: Array.from({ length: 10 }, (_, i) => message(i + 1)),
    };
    const { gw, model, calls } = await setup(store, { pageSize: 20, olderPageSize: 200 });
    drop(gw);
    await until(model, () => model.status().connection !== 'connected');
    store.messages.push(...Array.from({ length: 250 }, (_, i) => message(i + 11)));
    await until(model, () => ids(model).length === 260, 10_000);
    assert.deepEqual(
      ids(model),
      store.messages.map((m) => m.__openclaw.id),
    );
    assert.equal(model.entries().filter((e) => e.kind === 'notice').length, 0, 'no gap notice: the gap was closed');
    assert.ok(
      calls.some((c) => c.params.messageId === 'm-241'),
      'paged back from the oldest message of the new tail page',
    );
  });

  it('a gap it cannot close within a few pages is said plainly, and the new messages still follow', async () => {
    const store: Store = {
      key: 'agent:main:gap2',
      sessionId: 's',
      generation: 1,
      messages: Array.from({ length: 10 }, (_, i) => message(i + 1)),
    };
    const { gw, model } = await setup(store, { pageSize: 20, olderPageSize: 10 });
    drop(gw);
    await until(model, () => model.status().connection !== 'connected');
    store.messages.push(...Array.from({ length: 250 }, (_, i) => message(i + 11)));
    await until(model, () => ids(model).at(-1) === 'm-260', 10_000);
    const kinds = model.entries().map((e) => e.kind);
    assert.equal(kinds[10], 'notice');
    assert.match(model.entries()[10].text, /may be missing/);
    assert.deepEqual(
      ids(model).slice(0, 10),
      store.messages.slice(0, 10).map((m) => m.__openclaw.id),
    );
  });

  it('a /new reset while disconnected: separator, and a plain statement', async () => {
    const store: Store = {
      key: RESET.sessionKey,
      sessionId: 'd5bdbb8c-433a-4b71-81e1-74b5763f39b7',
      generation: 1,
      messages: [message(1, 'user', 'hello before reset'), message(2)],
    };
    const { gw, model } = await setup(store);
    drop(gw);
    await until(model, () => model.status().connection !== 'connected');
    store.generation = 2; // the old cursor is refused
    store.messages = RESET.results['chat.history (after reset)'].messages;
    await until(model, () => model.entries().some((e) => e.kind === 'separator'), 10_000);
    assert.deepEqual(
      model.entries().map((e) => e.kind),
      ['message', 'message', 'separator'],
    );
    assert.match(
      model.status().notices.join('\n'),
      /reset \(\/new\) at \d\d:\d\d:\d\d UTC while Lanewatch was disconnected/,
    );
  });

  it('a new session id adds a separator', async () => {
    const store: Store = { key: 'agent:main:sid', sessionId: 'old', generation: 1, messages: [message(1), message(2)] };
    const { gw, model } = await setup(store);
    drop(gw);
    await until(model, () => model.status().connection !== 'connected');
    store.sessionId = 'new';
    store.generation = 2;
    store.messages = [message(1, 'user', 'fresh start', 'n-1')];
    await until(model, () => ids(model).includes('n-1'), 10_000);
    const sep = model.entries().find((e) => e.kind === 'separator');
    assert.match(sep!.text, /New session id new \(was old\)/);
    assert.equal(model.status().sessionId, 'new');
  });

  it('a session deleted while disconnected is reported as deleted; the loaded transcript stays', async () => {
    const store: Store = {
      key: 'agent:main:del',
      sessionId: 's',
      generation: 1,
      messages: [message(1), message(2)],
      inFlightRun: { runId: 'r1', text: '', startedAt: 1 },
    };
    const { gw, model } = await setup(store);
    assert.equal(model.inFlight()?.runId, 'r1');
    drop(gw);
    await until(model, () => model.status().connection !== 'connected');
    store.deleted = true;
    await until(model, () => model.status().session === 'deleted', 10_000);
    assert.match(model.status().sessionText!, /deleted on the gateway while Lanewatch was disconnected/);
    assert.equal(ids(model).length, 2);
    assert.equal(model.inFlight(), undefined);
  });

  it('a sessions.changed "delete" event while connected (as 2026.9.6 sends it), confirmed by sessions.describe', async () => {
    const store: Store = { key: 'agent:main:del2', sessionId: 's', generation: 1, messages: [message(1)] };
    const { gw, model, calls } = await setup(store);
    gw.broadcast({ type: 'event', event: 'sessions.changed', payload: { sessionKey: store.key, reason: 'delete' } });
    await until(model, () => calls.filter((c) => c.method === 'sessions.describe').length === 2);
    await sleep(50);
    assert.equal(model.status().session, 'ok', 'the gateway still knows the key: not deleted');
    store.deleted = true;
    gw.broadcast({
      type: 'event',
      event: 'sessions.changed',
      payload: { sessionKey: store.key, sessionId: 's', agentId: 'main', reason: 'delete' },
    });
    await until(model, () => model.status().session === 'deleted');
    assert.equal(model.status().sessionText, 'The session was deleted on the gateway.');
  });
});
