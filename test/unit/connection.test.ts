import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, afterEach, describe, it } from 'node:test';
import {
  deviceSignaturePayloadV3,
  GatewayApi,
  GatewayConnection,
  type GatewayRequestError,
  MemoryDeviceIdentityStore,
  type ConnectionSnapshot,
  type GatewayConnectionOptions,
} from '../../src/gateway';
import { ScriptedGateway, startSilentTcpListener, waitFor } from '../support/scriptedGateway';

const logs: string[] = [];
const open: GatewayConnection[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

function connect(url: string, extra: Partial<GatewayConnectionOptions> = {}): GatewayConnection {
  const c = new GatewayConnection({
    url,
    credentials: () => ({ token: 'secret-token' }),
    scopes: ['operator.read'],
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: '0.1.0-test',
    log: (level, m) => logs.push(`${level} ${m}`),
    backoff: { initialMs: 20, maxMs: 200, factor: 2, jitter: 0 },
    ...extra,
  });
  open.push(c);
  c.start();
  return c;
}
const until = (c: GatewayConnection, pick: (s: ConnectionSnapshot) => boolean, ms = 5000) =>
  waitFor(
    (l) => c.onDidChangeState(l),
    (s: ConnectionSnapshot) => (pick(s) ? s : undefined),
    ms,
  );
async function gateway(opts: ConstructorParameters<typeof Object>[0] = {}) {
  const g = await ScriptedGateway.start(opts);
  servers.push(g);
  return g;
}

/** A loopback port nothing listens on (bound, then closed). */
async function freePortNumber(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

afterEach(() => {
  for (const c of open.splice(0)) c.dispose();
  logs.length = 0;
});
after(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('GatewayConnection handshake', () => {
  it('connects with protocol 3..4, a signed device proof, and records phase timings', async () => {
    const gw = await gateway();
    const c = connect(gw.url);
    const hello = await c.waitForConnected(3000);
    assert.equal(hello.protocol, 4);
    assert.equal(hello.serverVersion, '2026.9.6-test');
    assert.ok(hello.methods.has('sessions.list'));
    const params = gw.connectParams[0];
    assert.equal(params.minProtocol, 3);
    assert.equal(params.maxProtocol, 4);
    assert.deepEqual(
      Object.keys(params.client).sort(),
      ['id', 'mode', 'platform', 'version'],
      'only fields the protocol-3 closed schema accepts',
    );
    assert.equal(params.client.id, 'gateway-client');
    assert.equal(params.auth.token, 'secret-token');
    const d = params.device;
    const payload = deviceSignaturePayloadV3(d.id, {
      clientId: 'gateway-client',
      clientMode: 'backend',
      role: 'operator',
      scopes: ['operator.read'],
      signedAt: d.signedAt,
      token: 'secret-token',
      nonce: 'nonce-1',
      platform: process.platform,
      deviceFamily: '',
    });
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(d.publicKey, 'base64url')]);
    assert.ok(
      verify(
        null,
        Buffer.from(payload),
        createPublicKey({ key: spki, format: 'der', type: 'spki' }),
        Buffer.from(d.signature, 'base64url'),
      ),
      'signature verifies',
    );
    const t = c.snapshot().handshake!;
    assert.ok(
      t.socketOpenMs! <= t.challengeMs! && t.challengeMs! <= t.connectSentMs! && t.connectSentMs! <= t.helloMs!,
      JSON.stringify(t),
    );
  });

  it('reuses one device identity per gateway across reconnects', async () => {
    const gw = await gateway();
    const store = new MemoryDeviceIdentityStore();
    const c = connect(gw.url, { identityStore: store });
    await c.waitForConnected(3000);
    c.reconnectNow();
    await until(c, (s) => s.state === 'connected' && s.attempts === 2);
    assert.equal(gw.connectParams[0].device.id, gw.connectParams[1].device.id);
  });

  it('treats hello-ok without scopes as "needs pairing", not as connected', async () => {
    const gw = await gateway({ helloOverrides: { auth: { role: 'operator', scopes: [] } } });
    const c = connect(gw.url, { slowRetryMs: 60_000 });
    const s = await until(c, (x) => x.state === 'disconnected');
    assert.equal(s.problem?.kind, 'no-scopes');
    assert.match(s.problem.advice, /openclaw devices approve/);
    assert.equal(c.isConnected(), false);
  });

  it('hello-ok without an auth block (2026.3.24): a read call that passes proves the requested scopes', async () => {
    const gw = await gateway({
      helloOverrides: { protocol: 3, auth: undefined },
      handleRequest: (method: string) => (method === 'agents.list' ? { agents: [{ id: 'main' }] } : { ok: true }),
    });
    const c = connect(gw.url, { scopes: ['operator.read', 'operator.write'] });
    const hello = await c.waitForConnected(3000);
    assert.equal(hello.authReported, false);
    assert.equal(hello.scopesInferred, true);
    assert.deepEqual([...hello.grantedScopes], ['operator.read', 'operator.write']);
    assert.deepEqual(c.snapshot().missingScopes, []);
  });

  it('hello-ok without an auth block and a read call refused for a missing scope (3.x wording) is "needs pairing"', async () => {
    const gw = await gateway({
      onConnection: (ws: any) => {
        ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }));
        ws.on('message', (raw: any) => {
          const f = JSON.parse(String(raw));
          if (f.method === 'connect')
            ws.send(
              JSON.stringify({
                type: 'res',
                id: f.id,
                ok: true,
                payload: {
                  type: 'hello-ok',
                  protocol: 3,
                  server: { version: '2026.3.24', connId: 'x' },
                  features: { methods: ['agents.list'], events: [] },
                  snapshot: {},
                  policy: { tickIntervalMs: 30000 },
                },
              }),
            );
          else
            ws.send(
              JSON.stringify({
                type: 'res',
                id: f.id,
                ok: false,
                error: { code: 'INVALID_REQUEST', message: 'missing scope: operator.read' },
              }),
            );
        });
      },
    });
    const c = connect(gw.url, { slowRetryMs: 60_000 });
    const s = await until(c, (x) => x.state === 'disconnected');
    assert.equal(s.problem?.kind, 'no-scopes');
    assert.match(s.problem.summary, /needs a device identity \/ pairing/);
    assert.equal(c.isConnected(), false);
  });

  it('reports scopes asked for but not granted while staying connected', async () => {
    const gw = await gateway();
    const c = connect(gw.url, { scopes: ['operator.read', 'operator.admin'] });
    await c.waitForConnected(3000);
    assert.deepEqual(c.snapshot().missingScopes, ['operator.admin']);
  });
});

describe('GatewayConnection failures a person must understand', () => {
  it('wrong token: says what to do and does not retry', async () => {
    const gw = await gateway({
      onConnection: (ws: any) => {
        ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: 1 } }));
        ws.on('message', (raw: any) => {
          const f = JSON.parse(String(raw));
          ws.send(
            JSON.stringify({
              type: 'res',
              id: f.id,
              ok: false,
              error: {
                code: 'INVALID_REQUEST',
                message: 'unauthorized: gateway token mismatch',
                details: { code: 'AUTH_TOKEN_MISMATCH' },
              },
            }),
          );
          ws.close(1008, 'unauthorized');
        });
      },
    });
    const c = connect(gw.url);
    await assert.rejects(
      c.waitForConnected(3000),
      (e: GatewayRequestError) => e.problem.kind === 'auth-token-mismatch',
    );
    const s = c.snapshot();
    assert.equal(s.problem?.closeCode, 1008);
    assert.equal(s.problem?.action, 'set-token');
    assert.match(s.problem.advice, /Set Gateway Token/);
    assert.equal(s.nextRetryAt, undefined, 'no automatic retry with a wrong token');
  });

  it('pairing required: names the exact approve command', async () => {
    const gw = await gateway({
      onConnection: (ws: any) => {
        ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: 1 } }));
        ws.on('message', (raw: any) => {
          const f = JSON.parse(String(raw));
          ws.send(
            JSON.stringify({
              type: 'res',
              id: f.id,
              ok: false,
              error: {
                code: 'NOT_PAIRED',
                message: 'pairing required',
                details: { code: 'PAIRING_REQUIRED', requestId: 'req-42' },
              },
            }),
          );
          ws.close(1008, 'pairing required');
        });
      },
    });
    const c = connect(gw.url, { slowRetryMs: 60_000 });
    const s = await until(c, (x) => x.state === 'disconnected');
    assert.equal(s.problem?.kind, 'pairing-required');
    assert.match(s.problem.advice, /openclaw devices approve req-42/);
    assert.ok(s.nextRetryAt! - Date.now() > 30_000, 'retries slowly to notice the approval');
  });

  it('protocol mismatch (1002) stops retrying', async () => {
    const gw = await gateway({
      onConnection: (ws: any) => {
        ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: 1 } }));
        ws.on('message', (raw: any) => {
          const f = JSON.parse(String(raw));
          ws.send(
            JSON.stringify({
              type: 'res',
              id: f.id,
              ok: false,
              error: {
                code: 'INVALID_REQUEST',
                message: 'protocol mismatch',
                details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: 5 },
              },
            }),
          );
          ws.close(1002, 'protocol mismatch');
        });
      },
    });
    const c = connect(gw.url);
    const s = await until(c, (x) => x.state === 'disconnected');
    assert.equal(s.problem?.kind, 'protocol-mismatch');
    assert.equal(s.problem?.closeCode, 1002);
    assert.equal(s.nextRetryAt, undefined);
  });

  it('a gateway that upgrades but never sends the challenge is detected within its timeout', async () => {
    const gw = await gateway({ onConnection: () => {} });
    const c = connect(gw.url, { challengeTimeoutMs: 300 });
    const started = Date.now();
    const s = await until(c, (x) => x.state === 'disconnected');
    assert.equal(s.problem?.kind, 'no-challenge');
    assert.equal(s.handshake?.failedIn, 'challenge');
    assert.ok(Date.now() - started < 2000);
    assert.ok(s.nextRetryAt, 'retries');
  });

  it('a listener that accepts TCP but never upgrades is detected within its timeout', async () => {
    const tcp = await startSilentTcpListener();
    servers.push(tcp);
    const c = connect(`ws://127.0.0.1:${tcp.port}`, { challengeTimeoutMs: 300 });
    const s = await until(c, (x) => x.state === 'disconnected');
    assert.equal(s.problem?.kind, 'upgrade-timeout');
    assert.equal(s.handshake?.failedIn, 'socket');
  });

  it('connection refused: says nothing is listening and retries with backoff', async () => {
    const tcp = await startSilentTcpListener();
    const port = tcp.port;
    await tcp.close();
    const c = connect(`ws://127.0.0.1:${port}`);
    const s = await until(c, (x) => x.state === 'disconnected' && x.attempts >= 3);
    assert.equal(s.problem?.kind, 'unreachable');
    assert.match(s.problem.advice, /Nothing listens/);
  });

  it('an invalid URL is reported, not thrown', async () => {
    const c = new GatewayConnection({ url: 'http//nope', credentials: () => ({}), scopes: ['operator.read'] });
    open.push(c);
    c.start();
    assert.equal(c.snapshot().problem?.kind, 'bad-url');
  });
});

describe('GatewayConnection requests', () => {
  it('correlates responses that arrive out of order', async () => {
    const held: Array<() => void> = [];
    const gw = await gateway({
      handleRequest: (_method: string, params: any, id: string, ws: any) => {
        const send = () => ws.send(JSON.stringify({ type: 'res', id, ok: true, payload: { echo: params.n } }));
        if (params.n === 1) {
          held.push(send);
          return undefined;
        }
        send();
        held.forEach((f) => f());
        return undefined;
      },
    });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    const first = c.request<{ echo: number }>('health', { n: 1 });
    const second = c.request<{ echo: number }>('health', { n: 2 });
    assert.deepEqual(await Promise.all([first, second]), [{ echo: 1 }, { echo: 2 }]);
  });

  it('times out a request, and drops the late answer without harm', async () => {
    let lateSend: (() => void) | undefined;
    const gw = await gateway({
      handleRequest: (_m: string, _p: any, id: string, ws: any) => {
        lateSend = () => ws.send(JSON.stringify({ type: 'res', id, ok: true, payload: {} }));
        return undefined;
      },
    });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    await assert.rejects(
      c.request('health', {}, { timeoutMs: 100 }),
      (e: GatewayRequestError) => e.code === 'TIMEOUT' && /no answer within 0.1 s/.test(e.message),
    );
    lateSend!();
    await waitFor(
      (l) => {
        const t = setInterval(() => l(logs.join('\n')), 10);
        return { dispose: () => clearInterval(t) };
      },
      (text: string) => (/unknown or expired request id/.test(text) ? true : undefined),
    );
    assert.ok(c.isConnected());
  });

  it('cancels a request through an AbortSignal', async () => {
    const gw = await gateway({ handleRequest: () => undefined });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    const ac = new AbortController();
    const p = c.request('health', {}, { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, (e: GatewayRequestError) => e.code === 'CANCELLED');
  });

  it('fails pending requests when the socket closes instead of leaving them hanging', async () => {
    const gw = await gateway({
      handleRequest: (_m: string, _p: any, _id: string, ws: any) => {
        setTimeout(() => ws.terminate(), 20);
        return undefined;
      },
    });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    await assert.rejects(
      c.request('health', {}, { timeoutMs: 5000 }),
      (e: GatewayRequestError) => e.code === 'CONNECTION_CLOSED' && /may or may not have been applied/.test(e.message),
    );
  });

  it('rejects immediately when not connected, with the reason', async () => {
    const tcp = await startSilentTcpListener();
    const port = tcp.port;
    await tcp.close();
    const c = connect(`ws://127.0.0.1:${port}`);
    await until(c, (x) => x.state === 'disconnected');
    await assert.rejects(
      c.request('health'),
      (e: GatewayRequestError) => e.code === 'NOT_CONNECTED' && /Nothing listens/.test(e.message),
    );
  });

  it('surfaces gateway errors with advice (missing scope, both wire formats)', async () => {
    const gw = await gateway({
      handleRequest: (m: string, _p: any, id: string, ws: any) => {
        const error =
          m === 'sessions.list'
            ? {
                code: 'FORBIDDEN',
                message: 'missing scope: operator.read',
                details: { code: 'MISSING_SCOPE', missingScope: 'operator.read' },
              }
            : { code: 'INVALID_REQUEST', message: 'missing scope: operator.admin' };
        ws.send(JSON.stringify({ type: 'res', id, ok: false, error }));
        return undefined;
      },
    });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    await assert.rejects(
      c.request('sessions.list'),
      (e: GatewayRequestError) => e.problem.kind === 'missing-scope' && /operator\.read/.test(e.problem.summary),
    );
    await assert.rejects(
      c.request('sessions.reset'),
      (e: GatewayRequestError) => e.problem.kind === 'missing-scope' && /operator\.admin/.test(e.problem.summary),
    );
  });

  it('refuses to send a request larger than the gateway accepts', async () => {
    const gw = await gateway({ helloOverrides: { policy: { maxPayload: 1000, tickIntervalMs: 30_000 } } });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    await assert.rejects(
      c.request('chat.send', { message: 'x'.repeat(2000) }),
      (e: GatewayRequestError) => e.code === 'PAYLOAD_TOO_LARGE',
    );
  });

  it('the typed API refuses methods the gateway did not advertise', async () => {
    const gw = await gateway();
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    await assert.rejects(
      new GatewayApi(c).restartPreflight(),
      (e: GatewayRequestError) =>
        e.code === 'UNSUPPORTED' && /does not offer gateway\.restart\.preflight/.test(e.message),
    );
  });
});

describe('GatewayConnection survives bad input', () => {
  it('non-JSON, wrong types, unknown frame types, deep nesting and unknown ids are logged and ignored', async () => {
    const gw = await gateway();
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    const events: string[] = [];
    c.onAnyEvent((f) => events.push(f.event));
    gw.broadcast('this is not json {');
    gw.broadcast('[1,2,3]');
    gw.broadcast({ type: 'mystery', x: 1 });
    gw.broadcast({ type: 'event', event: 42 });
    gw.broadcast('{"type":"event","event":"deep","payload":' + '['.repeat(5000) + ']'.repeat(5000) + '}');
    gw.broadcast({ type: 'res', id: 'never-sent', ok: true, payload: {} });
    gw.broadcast({ type: 'event', event: 'tick', payload: { ts: 1 } });
    await waitFor(
      (l) => c.onAnyEvent(l),
      (f: any) => (f.event === 'tick' ? true : undefined),
    );
    assert.deepEqual(events, ['tick'], 'only the valid event is dispatched');
    const text = logs.join('\n');
    for (const reason of [
      'not JSON',
      'frame is not an object (array)',
      'unknown frame type "mystery"',
      'malformed event frame',
      'nested deeper',
      'unknown or expired request id',
    ])
      assert.ok(text.includes(reason), `logged: ${reason}`);
    assert.ok(c.isConnected());
    assert.deepEqual(await c.request('health'), { ok: true }, 'still answers requests');
  });

  it('an oversized response fails its request at once with a reason', async () => {
    const gw = await gateway({
      helloOverrides: { policy: { maxPayload: 4096, tickIntervalMs: 30_000 } },
      handleRequest: (_m: string, _p: any, id: string, ws: any) => {
        ws.send(JSON.stringify({ type: 'res', id, ok: true, payload: { blob: 'x'.repeat(10_000) } }));
        return undefined;
      },
    });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    await assert.rejects(
      c.request('sessions.list', {}, { timeoutMs: 5000 }),
      (e: GatewayRequestError) => e.code === 'BAD_RESPONSE' && /exceeds the 4096-byte limit/.test(e.message),
    );
    assert.ok(c.isConnected());
  });

  it('events before hello-ok are ignored', async () => {
    const gw = await gateway({
      onConnection: (ws: any, g: ScriptedGateway) => {
        ws.send(JSON.stringify({ type: 'event', event: 'sessions.changed', payload: {} }));
        g.behaveNormally(ws);
      },
    });
    const c = connect(gw.url);
    const seen: string[] = [];
    c.onAnyEvent((f) => seen.push(f.event));
    await c.waitForConnected(3000);
    assert.deepEqual(seen, []);
    assert.ok(logs.some((l) => l.includes('ignored event sessions.changed before hello-ok')));
  });

  it('a throwing event listener does not stop the others', async () => {
    const gw = await gateway();
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    c.onEvent('tick', () => {
      throw new Error('boom');
    });
    const got = waitFor(
      (l) => c.onEvent('tick', l),
      (f: any) => f.payload.ts,
    );
    gw.broadcast({ type: 'event', event: 'tick', payload: { ts: 7 } });
    assert.equal(await got, 7);
  });

  it('reports sequence gaps on protocol 4', async () => {
    const gw = await gateway();
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    const gap = waitFor(
      (l) => c.onSequenceGap(l),
      (g: any) => g,
    );
    gw.broadcast({ type: 'event', event: 'tick', payload: {}, seq: 1 });
    gw.broadcast({ type: 'event', event: 'tick', payload: {}, seq: 5 });
    assert.deepEqual(await gap, { expected: 2, received: 5 });
  });
});

describe('GatewayConnection liveness and reconnect', () => {
  it('declares a silent link dead after 2 × tickIntervalMs and reconnects', async () => {
    const gw = await gateway({ helloOverrides: { policy: { maxPayload: 1 << 20, tickIntervalMs: 100 } } });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    const s = await until(c, (x) => x.state === 'disconnected', 3000);
    assert.equal(s.problem?.kind, 'tick-timeout');
    await until(c, (x) => x.state === 'connected', 3000);
  });

  it('the liveness probe (pingIntervalMs) keeps an idle healthy link up: pongs count as life', async () => {
    const gw = await gateway();
    const c = connect(gw.url, { pingIntervalMs: 100 });
    await c.waitForConnected(3000);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(c.snapshot().state, 'connected');
    assert.equal(c.snapshot().attempts, 1, 'never declared dead');
  });

  it('the liveness probe declares a link dead when a ping goes unanswered (peer stopped reading), within ~2.5 × the interval', async () => {
    const gw = await gateway();
    const c = connect(gw.url, { pingIntervalMs: 200 });
    await c.waitForConnected(3000);
    const started = Date.now();
    for (const s of gw.sockets) s.pause(); // the server reads nothing more: no pong, like a half-open link
    const s = await until(c, (x) => x.state === 'disconnected', 3000);
    assert.equal(s.problem?.kind, 'tick-timeout');
    assert.match(s.problem.summary, /no pong to a ping/);
    assert.ok(Date.now() - started < 200 * 2.5 + 300, `detected in ${Date.now() - started} ms`);
    assert.ok(logs.some((l) => /no pong \d+ ms after a ping/.test(l)));
    await until(c, (x) => x.state === 'connected', 3000);
  });

  it('reconnects promptly after shutdown + 1012 (gateway restarting)', async () => {
    const gw = await gateway();
    const c = connect(gw.url, { backoff: { initialMs: 5000, maxMs: 30_000, factor: 2, jitter: 0 } });
    await c.waitForConnected(3000);
    const closedAt = Date.now();
    gw.broadcast({
      type: 'event',
      event: 'shutdown',
      payload: { reason: 'gateway restarting', restartExpectedMs: 1500 },
    });
    for (const s of gw.sockets) s.close(1012, 'service restart');
    const down = await until(c, (x) => x.state === 'disconnected');
    assert.equal(down.problem?.kind, 'restarting');
    await until(c, (x) => x.state === 'connected' && x.attempts === 2);
    assert.ok(Date.now() - closedAt < 1500, 'did not wait for the 5 s backoff');
  });

  it('a gateway that stays down is reported once as a warning, not at every retry', async () => {
    const port = await freePortNumber();
    const c = connect(`ws://127.0.0.1:${port}`);
    await until(c, (x) => x.state === 'disconnected' && x.attempts >= 4, 5000);
    const warnings = logs.filter((l) => l.startsWith('warn ') && l.includes('connection refused'));
    const repeats = logs.filter((l) => l.startsWith('debug ') && l.includes('connection refused'));
    assert.equal(warnings.length, 1, logs.join('\n'));
    assert.ok(repeats.length >= 3, logs.join('\n'));
  });

  it('stop() ends everything: no reconnect, pending requests fail', async () => {
    const gw = await gateway({ handleRequest: () => undefined });
    const c = connect(gw.url);
    await c.waitForConnected(3000);
    const p = c.request('health');
    c.stop();
    await assert.rejects(p, (e: GatewayRequestError) => e.code === 'CONNECTION_CLOSED');
    assert.equal(c.snapshot().state, 'stopped');
    assert.equal(c.snapshot().nextRetryAt, undefined);
  });
});
