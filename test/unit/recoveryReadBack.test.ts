// What recovery reads back before and after each step names the run that holds the lane, never a queued input's run
// (2026.9.6 may name a queued input's run as chat.history's inFlightRun while another run holds the lane).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayApi, GatewayConnection, MemoryDeviceIdentityStore } from '../../src/gateway';
import { readBack } from '../../src/actions/recovery';
import { readPendingInputs } from '../../src/lanes/pendingInputs';
import { repoRoot } from '../support/fixtures';
import { ScriptedGateway } from '../support/scriptedGateway';

const HUNG = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'captured', 'hung-run.json'), 'utf8'));
const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function readBackWith(history: Record<string, unknown>) {
  const row = { key: HUNG.sessionKey, sessionId: 's-1', status: 'running', hasActiveRun: true };
  const gw = await ScriptedGateway.start({
    handleRequest: (method) =>
      method === 'sessions.list'
        ? { sessions: [row], count: 1 }
        : method === 'chat.history'
          ? { sessionKey: HUNG.sessionKey, messages: [], ...history }
          : {},
  });
  cleanup.push(() => gw.close());
  const connection = new GatewayConnection({
    url: gw.url,
    credentials: () => ({ token: 't' }),
    scopes: ['operator.read'],
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 5000,
  });
  cleanup.push(() => connection.dispose());
  connection.start();
  await connection.waitForConnected(5000);
  return readBack({ api: new GatewayApi(connection), connection }, HUNG.sessionKey);
}

describe('recovery read-back', () => {
  it("does not report a queued input's run as the active run", async () => {
    const quirk = HUNG.results['chat.history (queued input while hung)'];
    const s = await readBackWith({ inFlightRun: quirk.inFlightRun, pendingInputs: quirk.pendingInputs });
    assert.equal(s.activeRun, true);
    assert.equal(s.pending, quirk.pendingInputs.items.length);
    assert.ok(!s.runIds.includes(quirk.inFlightRun.runId), `named the queued run: ${JSON.stringify(s.runIds)}`);
  });

  it('reports the run chat.history names when nothing is queued behind it', async () => {
    const history = HUNG.results['chat.history (at the first long-running line)'];
    const s = await readBackWith({ inFlightRun: history.inFlightRun, pendingInputs: { items: [], total: 0 } });
    assert.deepEqual(s.runIds, [history.inFlightRun.runId]);
  });
});

describe('recovery read-back of a queue longer than one page', () => {
  it('reads every page and lets readPendingInputs alone decide what each listed input is (as the tree does)', async () => {
    const key = 'agent:main:paged';
    const row = { key, sessionId: 's-2', status: 'running', hasActiveRun: true };
    const item = (id: string, state: unknown) => ({ id, state, runId: `run-${id}`, acceptedAt: 1, message: id });
    const page1 = [item('q1', 'queued'), item('c1', 'cancelled')];
    // An item whose state is not a string, and one with an over-long state: the tree names them "unknown" and by their
    // first 40 characters; recovery used to tally its own names for them.
    const page2 = [item('q2', 'queued'), item('n1', null), item('i1', 'interrupted'), item('l1', 'x'.repeat(60))];
    const gw = await ScriptedGateway.start({
      handleRequest: (method, params) =>
        method === 'sessions.list'
          ? { sessions: [row], count: 1 }
          : method === 'chat.history'
            ? {
                sessionKey: key,
                messages: [],
                pendingInputs:
                  params.pendingBefore === 10 ? { items: page2, total: 6 } : { items: page1, total: 6, nextBefore: 10 },
              }
            : {},
    });
    cleanup.push(() => gw.close());
    const connection = new GatewayConnection({
      url: gw.url,
      credentials: () => ({ token: 't' }),
      scopes: ['operator.read'],
      identityStore: new MemoryDeviceIdentityStore(),
      clientVersion: 'test',
      requestTimeoutMs: 5000,
    });
    cleanup.push(() => connection.dispose());
    connection.start();
    await connection.waitForConnected(5000);
    const s = await readBack({ api: new GatewayApi(connection), connection }, key);
    const all = readPendingInputs({ items: [...page1, ...page2], total: 6 }).value!;
    assert.equal(s.pending, 2);
    assert.deepEqual(s.notRun, all.finished);
    assert.deepEqual(s.notRun, { cancelled: 1, unknown: 1, interrupted: 1, ['x'.repeat(40)]: 1 });
    assert.deepEqual(s.queuedRunIds, ['run-q1', 'run-q2']);
  });
});
