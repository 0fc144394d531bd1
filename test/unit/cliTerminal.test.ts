// `lanewatch` fit for terminals and cron (issue 12, item 5): one token per --gateway, fast failure on a port nobody
// listens on, --reply-timeout-seconds on every action that waits, bare session keys resolved as the gateway does,
// config files validated, no option value echoed, terminal advice, --help. Against scripted gateways.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { main, parseArgs } from '../../src/cli/main';
import { GatewayApi, GatewayConnection } from '../../src/gateway';
import { resolveSessionKey } from '../../src/lanes/sessionKey';
import { ScriptedGateway } from '../support/scriptedGateway';

const servers: ScriptedGateway[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

const ALL_SCOPES = ['operator.read', 'operator.write', 'operator.admin'];
const canonical = (key: string, defaultId = 'main') =>
  /^agent:[^:]+:.+/.test(key) ? key : `agent:${defaultId}:${key}`;

interface Script {
  rows?: any[];
  defaultId?: string | null;
  scopes?: string[];
  /** Delay of hello-ok after connect (a 2026.4.x gateway loading plugins). */
  helloDelayMs?: number;
  /** Refuse every connect with this detail code. */
  refuseConnect?: string;
}

function gateway(script: Script = {}) {
  const rows = script.rows ?? [];
  const handle = (method: string, params: any, ws: WebSocket): unknown => {
    switch (method) {
      case 'agents.list':
        return script.defaultId === null
          ? { agents: [{ id: 'main' }] }
          : { defaultId: script.defaultId ?? 'main', agents: [{ id: script.defaultId ?? 'main' }] };
      case 'sessions.subscribe':
        return { subscribed: true };
      case 'sessions.list': {
        const found = params.search ? rows.filter((r) => String(r.key).includes(params.search)) : rows;
        return {
          sessions: found.slice(params.offset ?? 0, (params.offset ?? 0) + (params.limit ?? 100)),
          hasMore: false,
        };
      }
      case 'logs.tail':
        return { file: '/tmp/x.log', cursor: 1, lines: [] };
      case 'chat.history':
        return { sessionKey: params.sessionKey, messages: [], pendingInputs: { items: [], total: 0 } };
      case 'sessions.abort':
        return { ok: true, status: 'aborted', abortedRunId: 'r1' };
      case 'sessions.reset':
        return { ok: true };
      case 'chat.send': {
        // The gateway canonicalises a bare key: its events carry agent:<default>:<key>.
        const sessionKey = canonical(params.sessionKey, script.defaultId ?? 'main');
        // A model that answers in 100 ms (testSend misses a final that overtakes the answer to chat.send).
        setTimeout(
          () =>
            ws.send(
              JSON.stringify({
                type: 'event',
                event: 'chat',
                payload: {
                  sessionKey,
                  runId: 'run-1',
                  state: 'final',
                  message: { role: 'assistant', content: 'pong' },
                },
              }),
            ),
          100,
        );
        return { runId: 'run-1', status: 'started' };
      }
      default:
        return {};
    }
  };
  const helloOverrides = {
    features: {
      methods: [
        'agents.list',
        'sessions.subscribe',
        'sessions.list',
        'logs.tail',
        'chat.history',
        'sessions.abort',
        'sessions.reset',
        'chat.send',
        'chat.abort',
      ],
      events: ['sessions.changed', 'chat', 'agent'],
    },
    auth: { role: 'operator', scopes: script.scopes ?? ALL_SCOPES },
  };
  return ScriptedGateway.start({
    helloOverrides,
    onConnection: (ws, gw) => {
      ws.send(
        JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'nonce-1', ts: Date.now() } }),
      );
      ws.on('message', (raw) => {
        const frame = JSON.parse(String(raw));
        if (frame.method === 'connect') {
          gw.connectParams.push(frame.params);
          if (script.refuseConnect) {
            ws.send(
              JSON.stringify({
                type: 'res',
                id: frame.id,
                ok: false,
                error: { code: 'INVALID_REQUEST', message: 'unauthorized', details: { code: script.refuseConnect } },
              }),
            );
            ws.close(1008, 'unauthorized');
            return;
          }
          const answer = () => {
            if (ws.readyState === ws.OPEN)
              ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: gw.hello() }));
          };
          if (script.helloDelayMs) setTimeout(answer, script.helloDelayMs);
          else answer();
          return;
        }
        const payload = handle(frame.method, frame.params, ws);
        if (payload !== undefined) ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload }));
      });
    },
  }).then((g) => {
    servers.push(g);
    return g;
  });
}

function capture() {
  const out: string[] = [],
    err: string[] = [];
  return {
    io: {
      out: (s: string) => {
        out.push(s);
      },
      err: (s: string) => {
        err.push(s);
      },
      isTTY: false,
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** An isolated environment: own device keys, no OpenClaw config or gateway from the machine running the tests. */
const baseEnv = (extra: Record<string, string> = {}) => ({
  LANEWATCH_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-cli-term-')),
  OPENCLAW_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'lw-cli-oc-')),
  OPENCLAW_GATEWAY_URL: undefined,
  OPENCLAW_GATEWAY_TOKEN: undefined,
  OPENCLAW_CONFIG_PATH: undefined,
  ...extra,
});

const run = (args: string[], env: Record<string, string | undefined> = baseEnv()) => {
  const c = capture();
  const t0 = Date.now();
  return withEnv(env, () => main(args, c.io)).then((code) => ({
    code,
    out: c.out(),
    err: c.err(),
    ms: Date.now() - t0,
  }));
};

/** A port nothing listens on (bound, then released). */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const ROWS = [
  {
    key: 'agent:main:hung',
    sessionId: 's1',
    status: 'running',
    hasActiveRun: true,
    activeRunIds: ['r1'],
    updatedAt: Date.now(),
  },
  { key: 'agent:main:idle', sessionId: 's2', status: 'done', hasActiveRun: false, updatedAt: Date.now() },
];

describe('family options: recover --parent-itself, watch --subagents / --cron', () => {
  it('parses them for the commands they belong to and refuses them elsewhere', () => {
    assert.equal(parseArgs(['recover', 'agent:main:p', '--parent-itself']).parentItself, true);
    assert.equal(parseArgs(['recover', 'agent:main:p']).parentItself, false);
    assert.throws(() => parseArgs(['abort', 'agent:main:p', '--parent-itself']), /--parent-itself applies to recover/);
    assert.deepEqual(parseArgs(['watch', '--subagents', 'off', '--cron', 'on']).watch, {
      subagents: false,
      cron: true,
    });
    assert.throws(() => parseArgs(['watch', '--cron', 'maybe']), /--cron takes on or off/);
  });
});

describe('a. --token-env pairs with the --gateway before it', () => {
  it('parses one token per gateway', () => {
    const p = parseArgs([
      'status',
      '--gateway',
      'ws://127.0.0.1:1',
      '--token-env',
      'TA',
      '--gateway',
      'ws://127.0.0.1:2',
      '--token-env',
      'TB',
    ]);
    assert.deepEqual(p.fleet.gateways, [
      { url: 'ws://127.0.0.1:1', tokenEnv: 'TA' },
      { url: 'ws://127.0.0.1:2', tokenEnv: 'TB' },
    ]);
    assert.deepEqual(
      parseArgs(['status', '--token-env', 'TA', '--gateway', 'ws://127.0.0.1:1']).fleet.gateways,
      [{ url: 'ws://127.0.0.1:1', tokenEnv: 'TA' }],
      'before the only --gateway: its token',
    );
    const discovered = parseArgs(['status', '--token-env', 'TA']);
    assert.equal(discovered.fleet.tokenEnv, 'TA', "no --gateway: the discovered gateway's token");
    assert.deepEqual(discovered.fleet.gateways, []);
    assert.deepEqual(
      parseArgs(['status', '--gateway', 'ws://127.0.0.1:1', '--gateway', 'ws://127.0.0.1:2', '--token-env', 'TB']).fleet
        .gateways,
      [{ url: 'ws://127.0.0.1:1' }, { url: 'ws://127.0.0.1:2', tokenEnv: 'TB' }],
    );
  });

  it('refuses every ambiguous pairing with exit 2 and says why', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--gateway', 'ws://127.0.0.1:1', '--token-env', 'TA', '--token-env', 'TB'],
        /two --token-env for --gateway ws:\/\/127\.0\.0\.1:1 \(TA, TB\)/,
      ],
      [
        ['--token-env', 'TA', '--gateway', 'ws://127.0.0.1:1', '--token-env', 'TB'],
        /two --token-env for --gateway ws:\/\/127\.0\.0\.1:1 \(TA before it, TB after it\)/,
      ],
      [
        ['--token-env', 'TA', '--gateway', 'ws://127.0.0.1:1', '--gateway', 'ws://127.0.0.1:2'],
        /--token-env TA comes before any --gateway, but there are 2 gateways/,
      ],
      [['--token-env', 'TA', '--token-env', 'TB'], /--token-env given twice before any --gateway/],
    ];
    for (const [args, why] of cases) {
      const r = await run(['status', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, why, args.join(' '));
    }
  });

  it('status and watch connect to each gateway with its own token', async () => {
    const a = await gateway({ rows: ROWS }),
      b = await gateway({ rows: ROWS });
    const r = await run(
      [
        'status',
        '--json',
        '--gateway',
        a.url,
        '--token-env',
        'LW_TA',
        '--gateway',
        b.url,
        '--token-env',
        'LW_TB',
        '--wait-ms',
        '5000',
      ],
      baseEnv({ LW_TA: 'token-a', LW_TB: 'token-b' }),
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(a.connectParams[0]?.auth?.token, 'token-a');
    assert.equal(b.connectParams[0]?.auth?.token, 'token-b');
    assert.ok(!r.out.includes('token-a') && !r.err.includes('token-b'), 'no token printed');
  });

  it('a --token-env that is not set names the variable', async () => {
    const r = await run(
      [
        'status',
        '--gateway',
        'ws://127.0.0.1:1',
        '--token-env',
        'LW_TA',
        '--gateway',
        'ws://127.0.0.1:2',
        '--token-env',
        'LW_UNSET_TB',
      ],
      baseEnv({ LW_TA: 'x' }),
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /LW_UNSET_TB: that environment variable is not set or empty/);
    assert.match(r.err, /LW_UNSET_TB should hold the token for ws:\/\/127\.0\.0\.1:2/);
  });
});

describe('b. actions fail fast on a port nobody listens on, and wait for a slow gateway', () => {
  for (const command of [
    ['abort', 'agent:main:hung'],
    ['recover', 'agent:main:hung'],
    ['reset', 'agent:main:hung'],
    ['send', 'agent:main:hung'],
    ['restart'],
  ]) {
    it(`${command[0]}: a refused port fails within seconds, saying so (exit 1)`, { timeout: 20_000 }, async () => {
      const url = `ws://127.0.0.1:${await refusedPort()}`;
      const r = await run([...command, '--yes', '--gateway', url, '--wait-ms', '1000']);
      assert.equal(r.code, 1, r.err);
      assert.ok(r.ms < 8_000, `took ${r.ms} ms`);
      assert.match(
        r.err,
        new RegExp(
          `cannot reach the gateway at ${url.replace(/[./]/g, '\\$&')}: connection refused — is it running\\?`,
        ),
      );
      assert.doesNotMatch(r.err, /Lanewatch retries|in settings/);
    });
  }

  it(
    'a gateway that takes a while to answer connect gets --connect-timeout-seconds, and is told when it runs out',
    { timeout: 20_000 },
    async () => {
      const slow = await gateway({ rows: ROWS, helloDelayMs: 1_500 });
      const ok = await run(
        [
          'abort',
          'agent:main:idle',
          '--yes',
          '--gateway',
          slow.url,
          '--wait-ms',
          '200',
          '--connect-timeout-seconds',
          '10',
        ],
        baseEnv(),
      );
      assert.equal(ok.code, 3, ok.err); // connected and called: nothing was running, so nothing changed
      assert.match(ok.err, /call=sessions\.abort outcome=no-change/);
      const slower = await gateway({ rows: ROWS, helloDelayMs: 8_000 });
      const late = await run(
        [
          'abort',
          'agent:main:idle',
          '--yes',
          '--gateway',
          slower.url,
          '--wait-ms',
          '200',
          '--connect-timeout-seconds',
          '1',
        ],
        baseEnv(),
      );
      assert.equal(late.code, 1, late.err);
      assert.ok(late.ms < 6_000, `took ${late.ms} ms`);
      assert.match(
        late.err,
        /accepted the connection but did not finish connecting: not connected within 1 s.*--connect-timeout-seconds/,
      );
    },
  );
});

describe('c. --reply-timeout-seconds bounds every wait', () => {
  for (const command of ['abort', 'recover']) {
    it(`${command}: the settle wait after a call that changes nothing`, { timeout: 15_000 }, async () => {
      // The row stays "active run r1" whatever is called: each step waits for it to settle until the timeout.
      const g = await gateway({ rows: ROWS });
      const r = await run(
        [command, 'agent:main:hung', '--yes', '--json', '--gateway', g.url, '--reply-timeout-seconds', '1'],
        baseEnv(),
      );
      assert.equal(r.code, 3, r.err);
      // recover: abort, abort + clear queue, reset: three 1 s waits (the default 20 s each would take a minute).
      assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    });
  }
});

describe('d. session keys as the gateway reads them', () => {
  const api = async (script: Script) => {
    const g = await gateway(script);
    const c = new GatewayConnection({
      url: g.url,
      credentials: () => ({}),
      scopes: ['operator.read'],
      reconnect: false,
    });
    c.start();
    await c.waitForConnected(5_000);
    return { api: new GatewayApi(c), c };
  };

  it('resolveSessionKey: bare keys get the default agent from agents.list; canonical keys stay; existence is reported', async () => {
    const ops = await api({
      defaultId: 'ops',
      rows: [
        { key: 'agent:ops:idle', sessionId: 'x' },
        { key: 'agent:main:idle', sessionId: 'y' },
      ],
    });
    try {
      assert.deepEqual(await resolveSessionKey(ops.api, 'idle'), {
        input: 'idle',
        key: 'agent:ops:idle',
        changed: true,
        exists: true,
        agentId: 'ops',
        agentFromGateway: true,
      });
      assert.deepEqual(await resolveSessionKey(ops.api, 'agent:main:idle'), {
        input: 'agent:main:idle',
        key: 'agent:main:idle',
        changed: false,
        exists: true,
      });
      assert.deepEqual(await resolveSessionKey(ops.api, 'nosuch'), {
        input: 'nosuch',
        key: 'agent:ops:nosuch',
        changed: true,
        exists: false,
        agentId: 'ops',
        agentFromGateway: true,
      });
      // A search hit that is not exactly the key is not the session.
      assert.equal((await resolveSessionKey(ops.api, 'agent:ops:id')).exists, false);
    } finally {
      ops.c.dispose();
    }
    const silent = await api({ defaultId: null, rows: [] });
    try {
      assert.deepEqual(await resolveSessionKey(silent.api, 'idle'), {
        input: 'idle',
        key: 'agent:main:idle',
        changed: true,
        exists: false,
        agentId: 'main',
        agentFromGateway: false,
      });
    } finally {
      silent.c.dispose();
    }
  });

  it(
    'send with a bare key waits for the reply under the canonical key and says which key it used',
    { timeout: 15_000 },
    async () => {
      const g = await gateway({ rows: ROWS });
      const r = await run(
        ['send', 'idle', '--message', 'ping', '--gateway', g.url, '--reply-timeout-seconds', '5'],
        baseEnv(),
      );
      assert.equal(r.code, 0, `${r.out}\n${r.err}`);
      assert.match(r.out, /^ok: reply in \d+ ms: "pong"/);
      assert.match(r.err, /^idle → agent:main:idle$/m);
    },
  );

  it(
    'reset, abort and recover refuse a key that does not exist, naming the resolved key (exit 4)',
    { timeout: 15_000 },
    async () => {
      const g = await gateway({ rows: ROWS });
      for (const command of ['reset', 'abort', 'recover']) {
        const r = await run([command, 'nosuch', '--yes', '--gateway', g.url], baseEnv());
        assert.equal(r.code, 4, `${command}: ${r.err}`);
        assert.match(
          r.err,
          /agent:main:nosuch \(from "nosuch"\) does not exist on 127\.0\.0\.1:\d+: nothing done/,
          command,
        );
      }
    },
  );
});

describe('e. config files are validated, never defaulted around', () => {
  const write = (text: string) => {
    const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'lw-cli-cfg-')), 'openclaw.json');
    writeFileSync(f, text);
    return f;
  };

  it('--config with a mistyped gateway.port or a non-object document is an error naming file, field and expectation', async () => {
    for (const [text, why] of [
      ['{ gateway: { port: "28789" } }', /gateway\.port must be a port number \(an integer 1–65535\), got a string/],
      [
        '{ gateway: { port: { value: 1 } } }',
        /gateway\.port must be a port number \(an integer 1–65535\), got an object/,
      ],
      ['[1, 2]', /the top level must be an object \(\{ … \}\), got an array/],
    ] as const) {
      const file = write(text);
      const r = await run(['status', '--config', file, '--wait-ms', '500']);
      assert.equal(r.code, 2, `${text}: ${r.err}`);
      assert.ok(r.err.includes(file), `${text}: names the file: ${r.err}`);
      assert.match(r.err, why, text);
      assert.doesNotMatch(r.err, /18789/, 'no default port');
    }
  });

  it('with --gateway, a broken --config is reported as such, not as "token required"', async () => {
    const g = await gateway({ refuseConnect: 'AUTH_TOKEN_MISSING' });
    const file = write('{ gateway: { auth: { token: 12345 } } }');
    const r = await run(['status', '--gateway', g.url, '--config', file, '--wait-ms', '2000']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /gateway\.auth\.token must be a string \(or a SecretRef object\), got the number 12345/);
    assert.doesNotMatch(r.err, /token required|needs a token/);
  });

  it('a broken default config (discovery) is reported, exit 1', async () => {
    const env = baseEnv();
    writeFileSync(path.join(env.OPENCLAW_STATE_DIR, 'openclaw.json'), '{ gateway: { port: "18790" } }');
    const r = await run(['status', '--wait-ms', '500'], env);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /openclaw\.json is not a usable OpenClaw config: gateway\.port must be a port number/);
  });
});

describe('f. no option value is echoed', () => {
  it('--token=SECRET, --opt=SECRET and unknown options print the option name only', async () => {
    for (const args of [
      ['status', '--token=SECRET-1'],
      ['--token=SECRET-1'],
      ['status', '--bogus=SECRET-1'],
      ['status', '--json=SECRET-1'],
      ['status', '--token-env=SECRET-1!'],
      ['status', '--token-env', 'SECRET-1!'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(
        !r.err.includes('SECRET-1') && !r.out.includes('SECRET-1'),
        `${args.join(' ')}: ${r.err.split('\n')[0]}`,
      );
    }
    assert.match((await run(['status', '--token=SECRET-1'])).err, /--token is not accepted: .*--token-env NAME/);
    assert.match((await run(['status', '--token', 'SECRET-1'])).err, /--token is not accepted/);
    assert.match((await run(['status', '--bogus=SECRET-1'])).err, /^lanewatch: unknown option --bogus$/m);
  });

  it('--opt=value works for options that take a value', () => {
    const p = parseArgs(['status', '--gateway=ws://127.0.0.1:1', '--token-env=TA', '--wait-ms=500']);
    assert.deepEqual(p.fleet.gateways, [{ url: 'ws://127.0.0.1:1', tokenEnv: 'TA' }]);
    assert.equal(p.waitMs, 500);
  });
});

describe('g. advice for a terminal', () => {
  const VSCODE =
    /Set Gateway Token|Set token…|Recover Session…|Restart Gateway…|in settings|Lanewatch retries|Lanewatch reconnects|lanewatch\.gateways/;

  it('a gateway that needs a token: --token-env advice, no VS Code commands (text and JSON)', async () => {
    const g = await gateway({ refuseConnect: 'AUTH_TOKEN_MISSING' });
    const text = await run(['status', '--gateway', g.url, '--wait-ms', '3000']);
    assert.equal(text.code, 1);
    assert.match(
      text.err,
      /needs a token and none was found: put the token in an environment variable and pass --gateway URL --token-env NAME/,
    );
    assert.match(text.out, /fix: --gateway ws:\/\/127\.0\.0\.1:\d+ --token-env NAME/);
    assert.doesNotMatch(text.out + text.err, VSCODE);
    const json = await run(['status', '--json', '--gateway', g.url, '--wait-ms', '3000']);
    assert.doesNotMatch(json.out, VSCODE);
  });

  it('a wrong token names the variable it came from', async () => {
    const g = await gateway({ refuseConnect: 'AUTH_TOKEN_MISMATCH' });
    const r = await run(
      ['abort', 'agent:main:hung', '--yes', '--gateway', g.url, '--token-env', 'LW_WRONG', '--wait-ms', '2000'],
      baseEnv({ LW_WRONG: 'nope' }),
    );
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /wrong token for ws:\/\/127\.0\.0\.1:\d+: the token in LW_WRONG does not match/);
    assert.doesNotMatch(r.err, VSCODE);
  });

  it('an unreachable gateway in status: terminal advice', async () => {
    const url = `ws://127.0.0.1:${await refusedPort()}`;
    const r = await run(['status', '--gateway', url, '--wait-ms', '2000']);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot reach the gateway at ws:\/\/127\.0\.0\.1:\d+: connection refused — is it running\?/);
    assert.doesNotMatch(r.out + r.err, VSCODE);
  });

  it('a refused step is said once ("refused: …", not "refused: refused: …")', { timeout: 15_000 }, async () => {
    const g = await gateway({ rows: ROWS, scopes: ['operator.read', 'operator.write'] });
    const r = await run(['reset', 'agent:main:idle', '--yes', '--gateway', g.url], baseEnv());
    assert.equal(r.code, 4, r.err);
    assert.match(r.out, /→ refused: /);
    assert.doesNotMatch(r.out, /refused: refused/);
  });
});

describe('h. --help', () => {
  it('lanewatch --help, -h and help print the usage on stdout and exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await run(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.out, /^usage: lanewatch <command> \[options\]/);
      assert.equal(r.err, '');
    }
  });

  it("lanewatch <command> --help prints that command's usage and exits 0", async () => {
    for (const command of ['status', 'recover', 'abort', 'reset', 'send', 'restart', 'watch']) {
      for (const flag of ['--help', '-h']) {
        const r = await run([command, flag]);
        assert.equal(r.code, 0, `${command} ${flag}: ${r.err}`);
        assert.match(r.out, new RegExp(`^usage: lanewatch ${command}`), `${command} ${flag}`);
        assert.match(r.out, /--token-env NAME/);
      }
    }
    assert.match((await run(['help', 'send'])).out, /^usage: lanewatch send <sessionKey>/);
  });

  it('no command is still a usage error (exit 2)', async () => {
    const r = await run([]);
    assert.equal(r.code, 2);
    assert.match(r.err, /usage: lanewatch/);
  });
});
