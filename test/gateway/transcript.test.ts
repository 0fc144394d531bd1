// TranscriptModel against a real openclaw gateway (2026.9.6) with the fake model: which chat.history parameters
// page on this version, a live turn streaming into an open transcript, a hung run shown as in flight with the input
// queued behind it, a /new reset and a deletion said plainly, and catching up after a dropped socket and a restart.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayApi, GatewayConnection, MemoryDeviceIdentityStore, type ConnectionSnapshot, type OperatorScope } from '../../src/gateway';
import { TranscriptModel } from '../../src/model/transcript';
import { messageIdentity } from '../../src/model/transcriptEntry';
import { importFixture } from '../support/fixtures';

const LONG = { timeout: 240_000 };
const identities = new MemoryDeviceIdentityStore();
let gw: any, fake: any, fixtures: any;
const connections: GatewayConnection[] = [];
const models: TranscriptModel[] = [];
let admin: GatewayApi;

function connection(scopes: OperatorScope[], identityKey: string) {
  const c = new GatewayConnection({ url: gw.url, credentials: () => ({ token: gw.token }), scopes, identityStore: identities, identityKey, clientVersion: '0.1.0-it', requestTimeoutMs: 60_000 });
  connections.push(c);
  c.start();
  return c;
}

/** A model the way the panel opens one: on a read-only connection that, like the fleet watcher's, called sessions.subscribe. */
async function openModel(sessionKey: string, opts: Partial<ConstructorParameters<typeof TranscriptModel>[0]> = {}) {
  const c = connection(['operator.read'], `reader-${sessionKey}`);
  await c.waitForConnected(60_000);
  const api = new GatewayApi(c);
  await api.sessionsSubscribe({});
  const model = new TranscriptModel({ api, sessionKey, ...opts });
  models.push(model);
  await model.start();
  await model.settled();
  return { model, api, c };
}

function until(model: TranscriptModel, pred: () => boolean, what: string, ms = 120_000): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error(`${what}: not within ${ms} ms; status ${JSON.stringify(model.status())}, in flight ${JSON.stringify(model.inFlight())}`)); }, ms);
    const sub = model.onDidChange(() => { if (pred()) { clearTimeout(timer); sub.dispose(); resolve(); } });
  });
}

function nextState(c: GatewayConnection, pick: (s: ConnectionSnapshot) => boolean, ms = 180_000): Promise<ConnectionSnapshot> {
  if (pick(c.snapshot())) return Promise.resolve(c.snapshot());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error(`state not reached within ${ms} ms`)); }, ms);
    const sub = c.onDidChangeState((s) => { if (pick(s)) { clearTimeout(timer); sub.dispose(); resolve(s); } });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idsOf = (messages: unknown[]) => messages.map((m) => messageIdentity(m).id);
const loadedIds = (model: TranscriptModel) => model.entries().filter((e) => e.messageId).map((e) => e.messageId);

/** Runs one answered turn and waits until the history shows the reply and nothing in flight. */
async function answeredTurn(sessionKey: string, message: string): Promise<void> {
  await admin.chatSend({ sessionKey, message, idempotencyKey: `it-tx-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  for (let i = 0; i < 240; i++) {
    const h = await admin.chatHistory({ sessionKey, limit: 5 });
    if (!h.inFlightRun && h.messages.at(-1)?.role === 'assistant' && JSON.stringify(h.messages.at(-1)).includes(message.replace(/\[\[\w+\]\]\s*/g, '').trim())) return;
    await sleep(500);
  }
  throw new Error(`no answer to "${message}" on ${sessionKey}`);
}

/** Model requests the fake model is holding open ([[hang]]). */
const hanging = async () => Number(((await (await fetch(`${fake.url}/__stats`)).json()) as { hanging?: number }).hanging ?? 0);

/** chat.inject (operator.admin) appends an assistant message without a model call: a quick way to a long transcript. */
const inject = (sessionKey: string, text: string) => admin.connection.request<{ ok: boolean; messageId: string }>('chat.inject', { sessionKey, message: text });

before(async () => {
  fixtures = await importFixture('openclaw-gateway');
  const root = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-it-transcript-'));
  fake = await fixtures.startFakeModel({ slowMs: 700 });
  gw = await fixtures.startGateway({ root, name: 'it-transcript', modelBaseUrl: `${fake.url}/v1` });
  console.log(`# gateway ${gw.version} ready in ${gw.readyMs} ms at ${gw.url}`);
  const c = connection(['operator.read', 'operator.write', 'operator.admin'], 'admin');
  await c.waitForConnected(60_000);
  admin = new GatewayApi(c);
}, LONG);

after(async () => {
  for (const m of models) m.dispose();
  for (const c of connections) c.dispose();
  await fixtures?.cleanupAll();
});

describe('real gateway: chat.history paging on 2026.9.6', () => {
  const key = 'agent:main:it-tx-pages';
  let all: unknown[] = [];
  before(async () => {
    await answeredTurn(key, 'first turn');
    for (let i = 1; i <= 12; i++) await inject(key, `injected message ${i}`);
    all = (await admin.chatHistory({ sessionKey: key, limit: 100 })).messages;
    assert.equal(all.length, 14);
  }, LONG);

  it('offset counts from the newest message and shifts with every append; messageId answers a window around the id; cursor answers what was appended', LONG, async () => {
    const ids = idsOf(all);
    const tail = await admin.chatHistory({ sessionKey: key, limit: 4 });
    assert.deepEqual(idsOf(tail.messages), ids.slice(-4));
    assert.equal(tail.hasMore, true);
    assert.equal(tail.nextOffset, 4);
    assert.equal(typeof tail.deltaCursor, 'string');
    const byOffset = await admin.chatHistory({ sessionKey: key, limit: 4, offset: 4 });
    assert.deepEqual(idsOf(byOffset.messages), ids.slice(-8, -4), 'offset 4 = the 4 before the newest 4');
    assert.equal(byOffset.nextOffset, 8);
    // messageId: a window centred on the anchor (limit 5: 2 older, the anchor, 2 newer), not "before the anchor".
    const window = await admin.chatHistory({ sessionKey: key, limit: 5, messageId: ids[6]! });
    assert.deepEqual(idsOf(window.messages), ids.slice(4, 9));
    assert.equal(window.hasMore, undefined, 'no paging fields with messageId');
    // Near the newest message the window is pushed back: more older messages.
    const nearTail = await admin.chatHistory({ sessionKey: key, limit: 6, messageId: ids[12]! });
    assert.deepEqual(idsOf(nearTail.messages), ids.slice(8, 14));
    const unknown = await admin.chatHistory({ sessionKey: key, limit: 4, messageId: 'not-a-message-id' });
    assert.deepEqual(unknown.messages, []);
    // cursor: nothing new, then exactly the appended message (as a session.message payload).
    const none = await admin.chatHistoryDelta({ sessionKey: key, cursor: tail.deltaCursor! });
    assert.equal(none.kind, 'delta');
    await inject(key, 'appended after the cursor');
    const one = await admin.chatHistoryDelta({ sessionKey: key, cursor: tail.deltaCursor! });
    assert.equal(one.kind, 'delta');
    assert.equal(one.kind === 'delta' && one.messages.length, 1);
    assert.match(JSON.stringify(one.kind === 'delta' && one.messages[0].message), /appended after the cursor/);
    assert.equal(typeof (one.kind === 'delta' && one.messages[0].messageId), 'string');
    // The same offset now names other messages: an offset anchor drifts, an id anchor does not.
    const shifted = await admin.chatHistory({ sessionKey: key, limit: 4, offset: 4 });
    assert.deepEqual(idsOf(shifted.messages), ids.slice(-7, -3), 'offset 4 moved by the one appended message');
    const sameWindow = await admin.chatHistory({ sessionKey: key, limit: 5, messageId: ids[6]! });
    assert.deepEqual(idsOf(sameWindow.messages), ids.slice(4, 9), 'the id window did not move');
    console.log('# chat.history on 2026.9.6: offset = from the newest (nextOffset/hasMore), shifts with appends; messageId = window centred on the id (no paging fields); cursor = delta since a page');
  });

  it('TranscriptModel pages back anchored on message ids to the first message', LONG, async () => {
    const { model, api } = await openModel(key, { pageSize: 4, olderPageSize: 6 });
    const requests: unknown[] = [];
    const original = api.chatHistory.bind(api);
    api.chatHistory = (params, o) => { requests.push(params); return original(params, o); };
    assert.equal(model.entries().length, 4);
    assert.equal(model.status().hasOlder, true);
    for (let i = 0; i < 20 && model.status().hasOlder; i++) await model.loadOlder();
    const now = idsOf((await admin.chatHistory({ sessionKey: key, limit: 100 })).messages);
    assert.deepEqual(loadedIds(model), now, 'every message once, in order');
    assert.equal(model.status().olderStop, 'start');
    assert.ok(requests.length >= 3 && requests.every((p: any) => typeof p.messageId === 'string' && p.offset === undefined), JSON.stringify(requests));
  });
});

describe('real gateway: a live transcript', () => {
  it('a live turn streams into an open transcript: in-flight text grows, then the reply is a message, once', LONG, async () => {
    const key = 'agent:main:it-tx-live';
    await answeredTurn(key, 'warm up');
    const { model } = await openModel(key);
    const before = model.entries().length;
    const streamed = new Set<string>();
    model.onDidChange(() => { const t = model.inFlight()?.text; if (t) streamed.add(t); });
    await admin.chatSend({ sessionKey: key, message: 'stream this slowly [[slow]]', idempotencyKey: `it-tx-slow-${Date.now()}` });
    await until(model, () => !!model.inFlight(), 'the run shows as in flight');
    await until(model, () => model.entries().some((e) => e.role === 'assistant' && /to: stream this slowly/.test(e.text)) && !model.inFlight(), 'the reply arrives and the run ends');
    console.log(`# streamed in-flight texts: ${[...streamed].map((t) => JSON.stringify(t)).join(' → ')}`);
    assert.ok(streamed.size >= 2, `the in-flight text grew while streaming (${streamed.size} distinct)`);
    const added = model.entries().slice(before).filter((e) => e.kind === 'message');
    assert.deepEqual(added.map((e) => e.role), ['user', 'assistant']);
    assert.ok(added[1].usage?.output, 'token usage on the reply');
    const ids = loadedIds(model);
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  });

  it('a hung run shows as in flight from chat.history, the input queued behind it as pending; an abort ends both', LONG, async () => {
    const key = 'agent:main:it-tx-hung';
    const hangId = `it-tx-hang-${Date.now()}`;
    const hangingBefore = await hanging();
    await admin.chatSend({ sessionKey: key, message: 'hang here [[hang]]', idempotencyKey: hangId });
    // Until the model call hangs, a second message steers the starting run instead of queueing behind it.
    for (let i = 0; i < 360 && (await hanging()) <= hangingBefore; i++) await sleep(500);
    const { model } = await openModel(key);
    const run = model.inFlight();
    assert.ok(run, 'in flight after opening');
    assert.equal(run.source, 'history');
    assert.equal(run.runId, hangId);
    assert.equal(typeof run.startedAt, 'number');
    const queuedId = `it-tx-queued-${Date.now()}`;
    await admin.chatSend({ sessionKey: key, message: 'queued behind the hang', idempotencyKey: queuedId });
    await until(model, () => model.pending().some((q) => q.text === 'queued behind the hang'), 'the queued input shows as pending');
    assert.equal(model.inFlight()?.runId, hangId, 'still in flight');
    console.log(`# hung: in flight ${hangId} (${model.inFlight()?.phase ?? 'no phase'}), pending ${model.pending().map((q) => `${q.state}:${q.runId}`).join(', ')}`);
    await admin.chatAbort({ sessionKey: key });
    await until(model, () => !model.inFlight() && model.pending().length === 0, 'abort clears the run and the queue');
    assert.ok(model.entries().some((e) => e.kind === 'notice' && e.status === 'aborted' && e.text.includes(hangId)), 'the abort is shown');
  });

  it('a /new reset while open shows a separator; a deleted session is said plainly', LONG, async () => {
    const key = 'agent:main:it-tx-reset';
    await answeredTurn(key, 'before the reset');
    const { model } = await openModel(key);
    const before = model.entries().length;
    const described = await admin.sessionsDescribe({ key });
    await admin.sessionsReset({ key, reason: 'new', expectedSessionId: String(described.session?.sessionId) });
    await until(model, () => model.entries().some((e) => e.kind === 'separator' && e.openclawKind === 'reset'), 'a reset separator');
    assert.equal(model.entries().slice(0, before).filter((e) => e.kind === 'message').length, before, 'the messages before the reset stay');
    assert.match(model.status().notices.join(' '), /reset \(\/new\)/);
    await admin.connection.request('sessions.delete', { key });
    await until(model, () => model.status().session === 'deleted', 'deleted');
    console.log(`# after delete: ${model.status().sessionText}`);
  });
});

describe('real gateway: reconnects and restarts', () => {
  it('after a dropped socket it resubscribes and catches up through the delta cursor', LONG, async () => {
    const key = 'agent:main:it-tx-reconnect';
    await answeredTurn(key, 'before the drop');
    const { model, api, c } = await openModel(key);
    let deltas = 0, subscribes = 0;
    const d = api.chatHistoryDelta.bind(api), s = api.sessionsMessagesSubscribe.bind(api);
    api.chatHistoryDelta = (p, o) => { deltas++; return d(p, o); };
    api.sessionsMessagesSubscribe = (p, o) => { subscribes++; return s(p, o); };
    c.stop();
    for (let i = 1; i <= 3; i++) await inject(key, `while disconnected ${i}`);
    const catchUps = model.status().catchUps;
    c.start();
    await until(model, () => model.status().catchUps > catchUps, 'a catch-up after the reconnect');
    const texts = model.entries().map((e) => e.text);
    assert.deepEqual(texts.filter((t) => t.startsWith('while disconnected')), ['while disconnected 1', 'while disconnected 2', 'while disconnected 3']);
    assert.equal(subscribes, 1, 'resubscribed on the new socket');
    assert.ok(deltas >= 1, 'caught up through the delta cursor');
  });

  it('across a gateway restart it reconnects, catches up, and follows live again', LONG, async () => {
    const key = 'agent:main:it-tx-restart';
    await answeredTurn(key, 'before the restart');
    // A run left active would make the restart wait up to 5 minutes for it.
    for (const row of (await admin.sessionsList({ limit: 500 })).sessions) if (row.hasActiveRun) await admin.chatAbort({ sessionKey: row.key }).catch(() => undefined);
    const { model, c } = await openModel(key);
    const catchUps = model.status().catchUps;
    const down = nextState(c, (s) => s.state !== 'connected');
    await admin.restartRequest({ reason: 'lanewatch transcript test', skipDeferral: true });
    await down;
    assert.notEqual(model.status().connection, 'connected');
    await nextState(c, (s) => s.state === 'connected');
    await until(model, () => model.status().catchUps > catchUps, 'a catch-up after the restart');
    await nextState(admin.connection, (s) => s.state === 'connected');
    const entriesBefore = model.entries().length;
    await admin.chatSend({ sessionKey: key, message: 'after the restart', idempotencyKey: `it-tx-after-${Date.now()}` });
    await until(model, () => model.entries().some((e) => e.role === 'assistant' && /to: after the restart/.test(e.text)), 'the next turn arrives live');
    assert.equal(model.entries().length, entriesBefore + 2);
    const ids = loadedIds(model);
    assert.equal(new Set(ids).size, ids.length, 'no duplicates after the restart');
  });
});
