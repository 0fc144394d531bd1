import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { LogsTailResultView } from '../../src/gateway/types';
import { parseLogLine } from '../../src/logs/logLine';
import {
  defaultOpenClawLogFile,
  GatewayLogSource,
  isRpcDownError,
  localDateStamp,
  logFileCandidates,
  maskSecrets,
  resolveLocalLogFile,
  rollingLogFileForDate,
  type GatewayLogSourceOptions,
  type LogBatch,
  type LogSourceState,
} from '../../src/logs/logSource';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lanewatch-logsource-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tempLog = (content = '') => {
  const p = path.join(dir, `gw-${++fileNo}.log`);
  writeFileSync(p, content);
  return p;
};

const line = (n: number, msg = `line ${n}`) =>
  JSON.stringify({
    0: '{"subsystem":"diagnostic"}',
    _meta: { logLevelName: 'INFO' },
    time: '2026-11-21T14:47:37.128+00:00',
    message: msg,
  });
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i));
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');
// Read through a function: assert.equal narrows, and the state changes between awaits.
const kindOf = (s: GatewayLogSource) => s.state.kind;
const rpcDown = () =>
  Object.assign(new Error('logs.tail: not connected to ws://127.0.0.1:18789: connection refused'), {
    code: 'NOT_CONNECTED',
  });

/** A logs.tail stand-in with the gateway's cursor semantics, over a real file. */
function fakeGateway(file: () => string) {
  const g = { up: true, calls: [] as Array<number | undefined> };
  const tail = async (cursor: number | undefined): Promise<LogsTailResultView> => {
    g.calls.push(cursor);
    if (!g.up) throw rpcDown();
    const buf = readFileSync(file());
    let start = cursor ?? 0,
      reset = false;
    if (cursor !== undefined && cursor > buf.length) {
      reset = true;
      start = 0;
    }
    const chunk = buf.subarray(start);
    const nl = chunk.lastIndexOf(10);
    return {
      file: file(),
      cursor: start + nl + 1,
      size: buf.length,
      lines: nl < 0 ? [] : chunk.subarray(0, nl).toString('utf8').split('\n'),
      reset,
    };
  };
  return { g, tail };
}

function source(opts: Partial<GatewayLogSourceOptions> & Pick<GatewayLogSourceOptions, 'tail'>) {
  const s = new GatewayLogSource({ pollIntervalMs: 10, ...opts });
  const batches: LogBatch[] = [];
  const states: LogSourceState[] = [];
  s.onBatch((b) => batches.push(b));
  s.onDidChangeState((st) => states.push(st));
  const take = () => batches.splice(0);
  const got = () => take().flatMap((b) => b.lines);
  return { s, batches, states, take, got };
}

describe('GatewayLogSource over the gateway RPC', () => {
  it('reads the tail first, then only new lines, passing its cursor', async () => {
    const f = tempLog(text(lines(1, 3)));
    const { g, tail } = fakeGateway(() => f);
    const { s, take, states } = source({ tail });
    await s.readOnce();
    let b = take();
    assert.equal(b.length, 1);
    assert.equal(b[0].initial, true);
    assert.equal(b[0].source.kind, 'rpc');
    assert.deepEqual(b[0].lines, lines(1, 3));
    appendFileSync(f, text(lines(4, 5)));
    await s.readOnce();
    b = take();
    assert.deepEqual(b[0].lines, lines(4, 5));
    assert.equal(b[0].initial, false);
    await s.readOnce();
    assert.equal(take().length, 0, 'nothing new, no batch');
    assert.deepEqual(g.calls, [
      undefined,
      readFileSync(f).length - Buffer.byteLength(text(lines(4, 5))),
      readFileSync(f).length,
    ]);
    assert.deepEqual(
      states.map((x) => x.label),
      ['gateway RPC'],
    );
    assert.equal(s.lastRpcFile, f);
  });

  it('tells a file that started over (reset) from a read that skipped ahead (reset + skippedBytes)', async () => {
    const answers: LogsTailResultView[] = [
      { file: '/x.log', cursor: 100, lines: ['a'] },
      { file: '/x.log', cursor: 50, lines: ['b'], reset: true },
      { file: '/x.log', cursor: 900_000, lines: ['c'], reset: true, truncated: true, skippedBytes: 400_000 },
      { file: '/x.log', cursor: 900_100, lines: ['d'], truncated: true },
    ];
    const { s, take } = source({ tail: async () => answers.shift()! });
    for (let i = 0; i < 4; i++) await s.readOnce();
    const b = take();
    assert.deepEqual(
      b.map((x) => [x.lines[0], x.initial, x.reset, x.truncated, x.skippedBytes]),
      [
        ['a', true, false, false, undefined],
        ['b', false, true, false, undefined],
        ['c', false, false, true, 400_000],
        ['d', false, false, true, undefined],
      ],
    );
  });

  it('re-reads from the start when the gateway moved to another file (daily roll-over)', async () => {
    const calls: Array<number | undefined> = [];
    const { s, take } = source({
      tail: async (cursor) => {
        calls.push(cursor);
        if (cursor === undefined)
          return { file: '/tmp/openclaw/openclaw-2026-11-21.log', cursor: 5000, lines: ['old'] };
        if (cursor === 0)
          return { file: '/tmp/openclaw/openclaw-2026-11-22.log', cursor: 300, lines: ['new 1', 'new 2'] };
        return { file: '/tmp/openclaw/openclaw-2026-11-22.log', cursor: 5100, lines: ['from a meaningless offset'] };
      },
    });
    await s.readOnce();
    await s.readOnce();
    assert.deepEqual(calls, [undefined, 5000, 0]);
    const b = take();
    assert.deepEqual(b[1].lines, ['new 1', 'new 2']);
    assert.equal(b[1].reset, true);
    assert.equal(s.lastRpcFile, '/tmp/openclaw/openclaw-2026-11-22.log');
  });

  it('never overlaps reads: a second poll while one is in flight joins it', async () => {
    let release!: () => void;
    let calls = 0;
    const { s } = source({
      tail: () => {
        calls++;
        return new Promise((r) => {
          release = () => r({ cursor: 1, lines: ['x'] });
        });
      },
    });
    const a = s.readOnce(),
      b = s.readOnce();
    assert.equal(a, b);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    release();
    await a;
    const c = s.readOnce();
    assert.notEqual(c, a, 'a new read once the first finished');
    assert.equal(calls, 2);
    release();
    await c;
  });

  it('polls on its interval until stop(), and emits nothing afterwards', async () => {
    let calls = 0;
    const { s, batches } = source({
      tail: async () => {
        calls++;
        return { cursor: calls, lines: [`l${calls}`] };
      },
      pollIntervalMs: 5,
    });
    s.start();
    s.start(); // idempotent
    await new Promise((r) => setTimeout(r, 80));
    s.stop();
    const n = calls,
      emitted = batches.length;
    assert.ok(n >= 3, `polled ${n} times`);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(calls, n, 'no poll after stop()');
    assert.equal(batches.length, emitted);
  });

  it('an RPC error that is not "down" does not switch to the file', async () => {
    const f = tempLog(text(lines(1, 2)));
    const { s, take, states } = source({
      tail: async () => {
        throw Object.assign(new Error('logs.tail: invalid params'), { code: 'INVALID_REQUEST' });
      },
      localFiles: () => [f],
    });
    await s.readOnce();
    assert.equal(take().length, 0);
    assert.equal(s.state.kind, 'unavailable');
    assert.match((states.at(-1) as { reason: string }).reason, /invalid params/);
  });
});

describe('GatewayLogSource falling back to the local file', () => {
  it('tails the file when the RPC is down, then only appended lines; a partial line waits for its newline', async () => {
    const f = tempLog(text(lines(1, 3)));
    const { s, take, got, states } = source({
      tail: async () => {
        throw rpcDown();
      },
      localFiles: () => [f],
    });
    await s.readOnce();
    const b = take();
    assert.equal(b.length, 1);
    assert.equal(b[0].initial, true);
    assert.deepEqual(b[0].lines, lines(1, 3));
    assert.equal(b[0].source.kind, 'file');
    assert.equal(b[0].source.label, `local file ${f}`);
    assert.equal(states.at(-1)!.kind, 'file');
    assert.match((states.at(-1) as { reason: string }).reason, /not connected/);

    appendFileSync(f, text(lines(4, 5)));
    await s.readOnce();
    assert.deepEqual(got(), lines(4, 5));

    const six = line(6);
    appendFileSync(f, six.slice(0, 20));
    await s.readOnce();
    assert.deepEqual(got(), [], 'an unfinished line is not emitted');
    appendFileSync(f, `${six.slice(20)}\n`);
    await s.readOnce();
    assert.deepEqual(got(), [six]);
  });

  it('a file that shrank (truncated) is read again from its start and reported as reset', async () => {
    const f = tempLog(text(lines(1, 20)));
    const { s, take } = source({
      tail: async () => {
        throw rpcDown();
      },
      localFiles: () => [f],
    });
    await s.readOnce();
    take();
    truncateSync(f, 0);
    appendFileSync(f, text([line(100, 'after truncation')]));
    await s.readOnce();
    const b = take();
    assert.equal(b.length, 1);
    assert.equal(b[0].reset, true);
    assert.deepEqual(b[0].lines, [line(100, 'after truncation')]);
  });

  it('a rotated file (renamed away, new file at the same path) is reset even when the new one is larger', async () => {
    const f = tempLog(text(lines(1, 2)));
    const { s, take } = source({
      tail: async () => {
        throw rpcDown();
      },
      localFiles: () => [f],
    });
    await s.readOnce();
    take();
    renameSync(f, `${f}.1`);
    writeFileSync(f, text(lines(200, 210)));
    await s.readOnce();
    const b = take();
    assert.equal(b[0].reset, true);
    assert.deepEqual(b[0].lines, lines(200, 210));
  });

  it('bounds each read: the first read is a tail without a partial first line; a flood is skipped and reported', async () => {
    const f = tempLog(text(lines(1, 400)));
    const { s, take } = source({
      tail: async () => {
        throw rpcDown();
      },
      localFiles: () => [f],
      maxBytesPerRead: 4096,
    });
    await s.readOnce();
    let b = take()[0];
    assert.equal(b.initial, true);
    assert.equal(b.truncated, true);
    assert.ok(b.lines.length > 0 && b.lines.length < 400);
    assert.deepEqual(b.lines.at(-1), line(400));
    for (const l of b.lines) assert.equal(parseLogLine(l).parsed, true, 'no cut-off first line');
    appendFileSync(f, text(lines(401, 800)));
    await s.readOnce();
    b = take()[0];
    assert.ok(b.skippedBytes && b.skippedBytes > 0, 'skipped bytes reported');
    assert.equal(b.truncated, true);
    assert.deepEqual(b.lines.at(-1), line(800));
    for (const l of b.lines) assert.equal(parseLogLine(l).parsed, true);
  });

  it('caps the lines per read, keeping the newest', async () => {
    const f = tempLog(text(lines(1, 50)));
    const { s, take } = source({
      tail: async () => {
        throw rpcDown();
      },
      localFiles: () => [f],
      maxLinesPerRead: 10,
    });
    await s.readOnce();
    const b = take()[0];
    assert.deepEqual(b.lines, lines(41, 50));
    assert.equal(b.truncated, true);
  });

  it('masks credentials in lines read from the file (the gateway redacts logs.tail, not the file)', async () => {
    const secret = JSON.stringify({
      _meta: { logLevelName: 'INFO' },
      message:
        'provider request Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345 apiKey=sk-proj-abcdefghijklmnop',
    });
    const f = tempLog(`${secret}\n`);
    const { s, got } = source({
      tail: async () => {
        throw rpcDown();
      },
      localFiles: () => [f],
    });
    await s.readOnce();
    const [l] = got();
    assert.doesNotMatch(l, /abcdefghijklmnopqrstuvwxyz012345|sk-proj-abcdefghijklmnop/);
    assert.equal(parseLogLine(l).parsed, true, 'still valid JSON');
  });

  it('says there is no source when no candidate file is readable, and picks one up when it appears', async () => {
    const f = path.join(dir, 'appears-later.log');
    const { s, take, states } = source({
      tail: async () => {
        throw rpcDown();
      },
      localFiles: () => [f, path.join(dir, 'never.log')],
    });
    await s.readOnce();
    assert.equal(take().length, 0);
    const st = states.at(-1)!;
    assert.equal(st.kind, 'unavailable');
    assert.deepEqual((st as { tried: string[] }).tried, [f, path.join(dir, 'never.log')]);
    assert.match((st as { reason: string }).reason, /not connected.*no readable local log file/);
    writeFileSync(f, text(lines(1, 2)));
    await s.readOnce();
    assert.equal(s.state.kind, 'file');
    assert.deepEqual(
      take().flatMap((b) => b.lines),
      lines(1, 2),
    );
  });

  it('does not call the RPC at all while the connection is known to be down', async () => {
    const f = tempLog(text(lines(1, 1)));
    let calls = 0;
    const { s, states } = source({
      tail: async () => {
        calls++;
        return { cursor: 0, lines: [] };
      },
      localFiles: () => [f],
      rpcUnavailable: () => 'gateway reconnecting',
    });
    await s.readOnce();
    await s.readOnce();
    assert.equal(calls, 0);
    assert.equal((states.at(-1) as { reason: string }).reason, 'gateway reconnecting');
  });
});

describe('GatewayLogSource switching between RPC and file', () => {
  it('RPC → file → RPC: continues at the same byte offset each way, no line lost or repeated', async () => {
    const f = tempLog(text(lines(1, 3)));
    const { g, tail } = fakeGateway(() => f);
    const { s, got, states } = source({ tail, localFiles: () => [f] });
    const seen: string[] = [];
    await s.readOnce();
    seen.push(...got());
    assert.equal(s.state.kind, 'rpc');

    appendFileSync(f, text(lines(4, 6)));
    g.up = false;
    await s.readOnce();
    assert.equal(s.state.kind, 'file');
    seen.push(...got());

    appendFileSync(f, text(lines(7, 8)));
    await s.readOnce(); // probe fails (down), file read
    seen.push(...got());

    g.up = true;
    appendFileSync(f, text(lines(9, 10)));
    await new Promise((r) => setTimeout(r, 25)); // past the probe back-off
    await s.readOnce();
    assert.equal(kindOf(s), 'rpc', 'back on the RPC as soon as it answers');
    seen.push(...got());
    appendFileSync(f, text(lines(11, 11)));
    await s.readOnce();
    seen.push(...got());

    assert.deepEqual(seen, lines(1, 11));
    assert.deepEqual(
      states.map((x) => x.kind),
      ['rpc', 'file', 'rpc'],
    );
  });

  it('opened while the gateway is down: tails the file, then returns to the RPC without re-showing the tail', async () => {
    const f = tempLog(text(lines(1, 5)));
    const { g, tail } = fakeGateway(() => f);
    g.up = false;
    let down: string | undefined = 'gateway disconnected';
    const { s, got } = source({ tail, localFiles: () => [f], rpcUnavailable: () => down });
    await s.readOnce();
    assert.deepEqual(got(), lines(1, 5));
    appendFileSync(f, text(lines(6, 6)));
    g.up = true;
    down = undefined;
    await s.readOnce();
    assert.equal(s.state.kind, 'rpc');
    assert.deepEqual(got(), lines(6, 6), 'only the line after the file cursor');
    assert.deepEqual(
      g.calls.slice(-2),
      [undefined, Buffer.byteLength(text(lines(1, 5)))],
      'asked for the tail, saw it is our file, re-read from our cursor',
    );
  });

  it('backs off RPC probes while tailing the file when it cannot tell whether the gateway is up', async () => {
    const f = tempLog(text(lines(1, 1)));
    let now = 0,
      calls = 0;
    const { s } = source({
      tail: async () => {
        calls++;
        throw rpcDown();
      },
      localFiles: () => [f],
      now: () => now,
      pollIntervalMs: 1000,
      maxProbeIntervalMs: 4000,
    });
    await s.readOnce(); // RPC fails → file
    assert.equal(calls, 1);
    await s.readOnce(); // probe due at once (first fall-back sets no delay yet)
    const afterFirstProbe = calls;
    await s.readOnce();
    assert.equal(calls, afterFirstProbe, 'not again before the back-off');
    now += 1000;
    await s.readOnce();
    assert.equal(calls, afterFirstProbe + 1);
    now += 1000;
    await s.readOnce();
    assert.equal(calls, afterFirstProbe + 1, 'the delay doubled');
    now += 1000;
    await s.readOnce();
    assert.equal(calls, afterFirstProbe + 2);
  });
});

describe('log file candidates and names', () => {
  it("knows OpenClaw's default and dated rolling names (local date)", () => {
    const d = new Date(2026, 10, 21, 23, 59);
    assert.equal(localDateStamp(d), '2026-11-21');
    assert.equal(defaultOpenClawLogFile(d), '/tmp/openclaw/openclaw-2026-11-21.log');
    assert.equal(
      rollingLogFileForDate('/var/log/oc/openclaw-work-2026-11-20.log', d),
      '/var/log/oc/openclaw-work-2026-11-21.log',
    );
    assert.equal(rollingLogFileForDate('/srv/gw1/logs/openclaw.log', d), '/srv/gw1/logs/openclaw.log');
  });

  it('offers the RPC file and the default only for a gateway on this machine', () => {
    const now = new Date(2026, 10, 21);
    assert.deepEqual(logFileCandidates({ rpcFile: '/srv/a.log', configFile: '/srv/b.log', loopback: true, now }), [
      '/srv/a.log',
      '/srv/b.log',
      '/tmp/openclaw/openclaw-2026-11-21.log',
    ]);
    assert.deepEqual(logFileCandidates({ rpcFile: '/srv/a.log', configFile: '/srv/b.log', loopback: false, now }), [
      '/srv/b.log',
    ]);
    assert.deepEqual(
      logFileCandidates({ rpcFile: '/srv/a.log', configFile: '/srv/a.log', loopback: true, now }).length,
      2,
      'deduplicated',
    );
    assert.deepEqual(
      logFileCandidates({ configFile: 'relative.log', loopback: false }),
      [],
      'a relative path means nothing here',
    );
  });

  it("resolves a dated name to today's file, or the newest of its family when today's does not exist", async () => {
    const rolling = mkdtempSync(path.join(dir, 'rolling-'));
    const old = path.join(rolling, 'openclaw-2026-11-19.log'),
      newer = path.join(rolling, 'openclaw-2026-11-20.log');
    writeFileSync(old, 'a\n');
    writeFileSync(newer, 'b\n');
    writeFileSync(path.join(rolling, 'openclaw-other-2026-11-20.log'), 'other profile\n');
    utimesSync(old, new Date(2026, 10, 19), new Date(2026, 10, 19));
    utimesSync(newer, new Date(2026, 10, 20), new Date(2026, 10, 20));
    const today = new Date(2026, 10, 21);
    assert.equal(await resolveLocalLogFile(path.join(rolling, 'openclaw-2026-11-21.log'), today), newer);
    writeFileSync(path.join(rolling, 'openclaw-2026-11-21.log'), 'c\n');
    assert.equal(await resolveLocalLogFile(old, today), path.join(rolling, 'openclaw-2026-11-21.log'));
    assert.equal(await resolveLocalLogFile(path.join(rolling, 'plain.log'), today), undefined);
    assert.equal(await resolveLocalLogFile(rolling, today), undefined, 'a directory is not a log file');
  });
});

describe('helpers', () => {
  it('treats not-connected, timeout, closed and unsupported as "RPC down"', () => {
    for (const code of ['NOT_CONNECTED', 'TIMEOUT', 'CONNECTION_CLOSED', 'UNSUPPORTED'])
      assert.equal(isRpcDownError({ code }), true, code);
    for (const v of [{ code: 'INVALID_REQUEST' }, new Error('x'), null, undefined, 'TIMEOUT'])
      assert.equal(isRpcDownError(v), false);
  });

  it('masks common credential shapes and leaves ordinary fields readable', () => {
    const cases: Array<[string, RegExp]> = [
      ['Authorization: Bearer abcdefghijklmnopqrstuvwxyz', /abcdefghijklmnop/],
      ['key sk-ant-api03-abcdefghijklmnopqrstu used', /api03-abc/],
      ['token=tok-gw1-0123456789abcdef', /0123456789abcdef/],
      ['{"apiKey":"AIzaSyA1234567890abcdefghij"}', /1234567890abcdefghij/],
      ['url=wss://user:hunter2secret@example.com/x', /hunter2secret/],
      ['gh ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', /ABCDEFGHIJKLMNOP/],
      [
        'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
        /dozjgNryP4J3/,
      ],
      ['"password": "correct-horse-battery"', /correct-horse/],
    ];
    for (const [input, secret] of cases) assert.doesNotMatch(maskSecrets(input), secret, input);
    const plain =
      'lane wait exceeded: lane=session:agent:main:main waitedMs=37167 queueAhead=0 maxTokens=4096 sessionKey=agent:main:main tokenSource=settings';
    assert.equal(maskSecrets(plain), plain);
    const asJson = JSON.stringify({
      message: 'sending Authorization: Bearer abcdefghijklmnopqrstuvwxyz token="zzzzzzzzzzzz"',
    });
    assert.doesNotThrow(() => JSON.parse(maskSecrets(asJson)));
  });
});
