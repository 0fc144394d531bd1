import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseGatewaySettings } from '../../src/config/gatewaySettings';
import {
  defaultOpenClawConfigPath,
  discoverDefaultGateways,
  findGatewayLocks,
  parseOpenClawConfig,
  readGatewayLock,
  readOpenClawConfig,
} from '../../src/config/openclawConfig';
import { resolveToken, tokenSecretKey } from '../../src/config/tokenSources';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'lw-cfg-'));

describe('lanewatch.gateways validation', () => {
  it('keeps valid entries and names the setting of each bad one', () => {
    const { gateways, problems } = parseGatewaySettings([
      { name: 'main', url: 'ws://127.0.0.1:18789' },
      { name: 'second', url: 'ws://127.0.0.1:18790/', configPath: '~/gw2/openclaw.json' },
      { name: 'web', url: 'http://127.0.0.1:18789' },
      { name: 'MAIN', url: 'ws://127.0.0.1:18791' },
      { url: 'ws://x' },
      'nonsense',
      { name: 'leaky', url: 'ws://127.0.0.1:1', token: 'abc' },
      { name: 'bad', url: 'ws://[::1' },
    ]);
    assert.deepEqual(
      gateways.map((g) => [g.name, g.url]),
      [
        ['main', 'ws://127.0.0.1:18789'],
        ['second', 'ws://127.0.0.1:18790'],
        ['leaky', 'ws://127.0.0.1:1'],
      ],
    );
    const text = problems.map((p) => `${p.setting}: ${p.message}`).join('\n');
    assert.match(text, /lanewatch\.gateways\[2\]\.url: .*must start with ws:\/\/ or wss:\/\//);
    assert.match(text, /lanewatch\.gateways\[3\]\.name: .*"MAIN" is used twice/);
    assert.match(text, /lanewatch\.gateways\[4\]\.name: .*missing/);
    assert.match(text, /lanewatch\.gateways\[5\]: .*must be an object/);
    assert.match(text, /lanewatch\.gateways\[6\]\.token: .*tokens never live in settings/);
    assert.match(text, /lanewatch\.gateways\[7\]\.url: .*not a URL/);
  });

  it('rejects a non-array setting without throwing', () => {
    assert.equal(parseGatewaySettings({ name: 'x' }).problems.length, 1);
    assert.deepEqual(parseGatewaySettings(undefined), { gateways: [], problems: [] });
  });
});

describe('OpenClaw config files', () => {
  it('reads port, token and log file from JSON5', () => {
    const facts = parseOpenClawConfig(
      `// comment\n{ gateway: { mode: "local", port: 28789, auth: { mode: "token", token: 'tok-1', }, }, logging: { file: "/tmp/x.log" } }`,
      'f',
    );
    assert.deepEqual(facts, {
      port: 28789,
      token: 'tok-1',
      bind: undefined,
      authMode: 'token',
      logFile: '/tmp/x.log',
      mode: 'local',
      remote: undefined,
    });
  });

  it('says clearly what is wrong with a malformed, missing or unreadable file', async () => {
    const dir = tmp();
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ gateway: { port: 1 ');
    await assert.rejects(readOpenClawConfig(bad), /bad\.json is not valid JSON5/);
    await assert.rejects(readOpenClawConfig(path.join(dir, 'none.json')), /none\.json does not exist/);
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir, 'locked.json');
      writeFileSync(locked, '{}');
      chmodSync(locked, 0);
      await assert.rejects(readOpenClawConfig(locked), /not readable/);
    }
  });

  it('finds the default config path the way OpenClaw does', () => {
    assert.equal(defaultOpenClawConfigPath({ OPENCLAW_CONFIG_PATH: '/x/oc.json' }), '/x/oc.json');
    assert.equal(defaultOpenClawConfigPath({ OPENCLAW_STATE_DIR: '/state' }), '/state/openclaw.json');
    assert.equal(defaultOpenClawConfigPath({}, '/home/u'), '/home/u/.openclaw/openclaw.json');
  });

  it('discovers the local gateway from OpenClaw config or OPENCLAW_GATEWAY_URL', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'openclaw.json'), '{ gateway: { port: 18790, auth: { token: "t" } } }');
    assert.deepEqual(await discoverDefaultGateways({ OPENCLAW_STATE_DIR: dir }), [
      {
        name: 'local',
        url: 'ws://127.0.0.1:18790',
        configPath: path.join(dir, 'openclaw.json'),
        source: 'openclaw-config',
      },
    ]);
    assert.deepEqual(await discoverDefaultGateways({ OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:1' }), [
      { name: 'openclaw', url: 'ws://127.0.0.1:1', source: 'env' },
    ]);
    assert.deepEqual(await discoverDefaultGateways({ OPENCLAW_STATE_DIR: path.join(dir, 'nothing-here') }), []);
  });
});

describe('token sources', () => {
  const secrets = (entries: Record<string, string>) => ({ get: async (k: string) => entries[k] });
  it('prefers secret storage, then the gateway config file, then the environment', async () => {
    const dir = tmp();
    const cfg = path.join(dir, 'openclaw.json');
    writeFileSync(cfg, '{ gateway: { auth: { token: "from-file" } } }');
    const gw = { name: 'a', url: 'ws://127.0.0.1:18789', configPath: cfg, source: 'settings' as const };
    assert.deepEqual(await resolveToken(gw, secrets({ [tokenSecretKey(gw)]: 'from-secret' }), {}), {
      token: 'from-secret',
      source: 'secret-storage',
    });
    assert.deepEqual(await resolveToken(gw, secrets({}), { OPENCLAW_GATEWAY_TOKEN: 'from-env' }), {
      token: 'from-file',
      source: 'config-file',
    });
    const noFile = { ...gw, configPath: path.join(dir, 'missing.json') };
    const r = await resolveToken(noFile, secrets({}), { OPENCLAW_GATEWAY_TOKEN: 'from-env' });
    assert.equal(r.token, 'from-env');
    assert.match(r.warning!, /does not exist/);
  });

  it('uses OPENCLAW_GATEWAY_TOKEN only for the gateway at OPENCLAW_GATEWAY_URL', async () => {
    const gw = { name: 'b', url: 'ws://localhost:18790', source: 'settings' as const };
    assert.equal(
      (
        await resolveToken(gw, secrets({}), {
          OPENCLAW_GATEWAY_TOKEN: 't',
          OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:18789',
        })
      ).source,
      'none',
    );
    assert.equal(
      (
        await resolveToken(gw, secrets({}), {
          OPENCLAW_GATEWAY_TOKEN: 't',
          OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:18790',
        })
      ).source,
      'environment',
    );
  });
});

describe('running gateways from lock files', () => {
  it('reads the lock JSON with padding, ignores half-written and dead ones', async () => {
    const { findGatewayLocks, readGatewayLock } = await import('../../src/config/openclawConfig');
    const state = tmp();
    const dir = path.join(state, 'tmp', `openclaw-${process.getuid?.() ?? 0}`);
    (await import('node:fs')).mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'gateway.state.lock'),
      JSON.stringify({ pid: process.pid, port: 28789, configPath: '/x/openclaw.json', stateDir: state }) +
        ' '.repeat(200),
    );
    writeFileSync(path.join(dir, 'gateway.abc.lock'), '{"pid": 12');
    writeFileSync(path.join(dir, 'other.txt'), 'x');
    const locks = await findGatewayLocks(state, process.getuid?.() ?? 0, path.join(state, 'no-tmp'));
    assert.deepEqual(
      locks.map((l) => [l.pid, l.port, l.configPath]),
      [[process.pid, 28789, '/x/openclaw.json']],
    );
    assert.equal(await readGatewayLock(path.join(dir, 'missing.lock')), undefined);
  });
  it('offers a running gateway found by its lock file when no config file exists', async () => {
    const state = tmp();
    const dir = path.join(state, 'tmp', `openclaw-${process.getuid?.() ?? 0}`);
    (await import('node:fs')).mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'gateway.state.lock'),
      JSON.stringify({ pid: process.pid, port: 18790, configPath: path.join(state, 'cfg.json') }),
    );
    const found = await discoverDefaultGateways({ OPENCLAW_STATE_DIR: state });
    assert.deepEqual(found, [
      {
        name: 'local-18790',
        url: 'ws://127.0.0.1:18790',
        configPath: path.join(state, 'cfg.json'),
        source: 'lock-file',
      },
    ]);
  });
});

// ---------------------------------------------------------------- hostile files and settings

/** True when chmod 000 does not stop this process from reading (root, or CAP_DAC_OVERRIDE): then it is said, not assumed. */
function chmodBlocksReads(dir: string): boolean {
  const probe = path.join(dir, 'probe-000');
  writeFileSync(probe, 'x');
  chmodSync(probe, 0);
  try {
    readFileSync(probe);
    return false;
  } catch {
    return true;
  }
}
/** A file even root cannot read (write-only sysctl), to reach the EACCES path when chmod cannot. */
const ROOT_UNREADABLE = '/proc/sys/vm/drop_caches';
function rootUnreadableAvailable(): boolean {
  try {
    readFileSync(ROOT_UNREADABLE);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EACCES';
  }
}

describe('malformed, mistyped, missing and unreadable files', () => {
  it('malformed JSON5 in the gateway config: a clear error naming the file, never a throw elsewhere', async () => {
    const dir = tmp();
    const cases: Array<[string, string]> = [
      ['truncated', '{ gateway: { port: 18789, auth: { token: "t'],
      ['empty', ''],
      ['only a comment', '// nothing\n'],
      ['trailing garbage', '{ gateway: {} } }'],
      ['binary', '\u0000\u0001\u0002\u00ff'],
      ['unterminated comment', '{ /* gateway: {} '],
      ['two documents', '{}{}'],
      ['JSON with NaN key', '{ NaN: }'],
      ['a BOM then garbage', '\ufeff{ gateway: { port: } }'],
    ];
    for (const [name, text] of cases) {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, text);
      await assert.rejects(
        readOpenClawConfig(file),
        (e: Error) => e.name === 'ConfigFileError' && e.message.startsWith(`${file} is not valid JSON5: `),
        name,
      );
      const gw = { name: 'g', url: 'ws://127.0.0.1:1', configPath: file, source: 'settings' as const };
      const r = await resolveToken(gw, { get: async () => undefined }, { OPENCLAW_GATEWAY_TOKEN: 'env-token' });
      assert.equal(r.token, 'env-token', `${name}: falls back to the environment`);
      assert.match(r.warning!, /is not valid JSON5/, `${name}: and says why`);
      writeFileSync(path.join(dir, 'openclaw.json'), text);
      assert.deepEqual(
        await discoverDefaultGateways({ OPENCLAW_STATE_DIR: dir }),
        [],
        `${name}: discovery finds nothing, quietly`,
      );
    }
    // Deep nesting parses (json5 is not recursive); where an object belongs it is a clear error, not a crash.
    writeFileSync(path.join(dir, 'deep.json'), `{ gateway: ${'['.repeat(50_000)}${']'.repeat(50_000)} }`);
    await assert.rejects(
      readOpenClawConfig(path.join(dir, 'deep.json')),
      /deep\.json is not a usable OpenClaw config: gateway must be an object, got an array$/,
    );
  });

  it('wrong types in the gateway config are errors naming the file, the field and what was expected', () => {
    const none = {
      port: undefined,
      token: undefined,
      bind: undefined,
      authMode: undefined,
      logFile: undefined,
      mode: undefined,
      remote: undefined,
    };
    assert.deepEqual(parseOpenClawConfig('{}', 'f'), none);
    for (const [text, got] of [
      ['null', 'null'],
      ['[]', 'an array'],
      ['"a string"', 'a string'],
      ['42', 'the number 42'],
      ['true', 'true'],
    ]) {
      assert.throws(
        () => parseOpenClawConfig(text, '/x/openclaw.json'),
        new RegExp(
          `^ConfigFileError: /x/openclaw\\.json is not a usable OpenClaw config: the top level must be an object \\(\\{ … \\}\\), got ${got}$`,
        ),
        text,
      );
    }
    for (const [text, field] of [
      ['{ gateway: null }', 'gateway'],
      ['{ gateway: "x" }', 'gateway'],
      ['{ gateway: [1, 2] }', 'gateway'],
      ['{ gateway: { auth: "token" } }', 'gateway.auth'],
      ['{ logging: "file" }', 'logging'],
    ]) {
      assert.throws(
        () => parseOpenClawConfig(text, 'f'),
        new RegExp(`f is not a usable OpenClaw config: ${field.replace('.', '\\.')} must be an object, got`),
        text,
      );
    }
    for (const [port, got] of [
      ['"18789"', 'a string'],
      ['0', 'the number 0'],
      ['-1', 'the number -1'],
      ['1.5', 'the number 1.5'],
      ['65536', 'the number 65536'],
      ['Infinity', 'the number Infinity'],
      ['NaN', 'the number NaN'],
      ['[18789]', 'an array'],
      ['{}', 'an object'],
      ['null', 'null'],
    ]) {
      assert.throws(
        () => parseOpenClawConfig(`{ gateway: { port: ${port} } }`, 'f'),
        new RegExp(`gateway\\.port must be a port number \\(an integer 1–65535\\), got ${got}$`),
        `port ${port}`,
      );
    }
    for (const token of ['123', '[]', 'null', 'true'])
      assert.throws(
        () => parseOpenClawConfig(`{ gateway: { auth: { token: ${token} } } }`, 'f'),
        /gateway\.auth\.token must be a string \(or a SecretRef object\)/,
        `token ${token}`,
      );
    // A SecretRef object and an empty string are valid OpenClaw config: no token, no error.
    for (const token of ['""', '{ source: "env", id: "X" }'])
      assert.equal(
        parseOpenClawConfig(`{ gateway: { auth: { token: ${token} } } }`, 'f').token,
        undefined,
        `token ${token}`,
      );
    for (const url of ['5', '[]', 'null'])
      assert.throws(
        () => parseOpenClawConfig(`{ gateway: { mode: "remote", remote: { url: ${url} } } }`, 'f'),
        /gateway\.remote\.url must be a string/,
        `remote.url ${url}`,
      );
    // Every wrong field is named at once; a string's content (it may be a token) never is.
    assert.throws(
      () =>
        parseOpenClawConfig(
          '{ gateway: { bind: 5, port: "s3cret", auth: { mode: null } }, logging: { file: [] } }',
          'f',
        ),
      (e: Error) =>
        /gateway\.port must be .*, got a string; gateway\.bind must be a string, got the number 5; gateway\.auth\.mode must be a string, got null; logging\.file must be a string, got an array$/.test(
          e.message,
        ) && !e.message.includes('s3cret'),
    );
  });

  it('a wrong-typed config is never guessed around: discovery and the token source report it', async () => {
    const dir = tmp();
    const file = path.join(dir, 'openclaw.json');
    writeFileSync(file, '{ gateway: { port: "28789", auth: { token: 12345 } } }');
    const reported: string[] = [];
    assert.deepEqual(
      await discoverDefaultGateways({ OPENCLAW_STATE_DIR: dir }, (e) => reported.push(e.message)),
      [],
      'no gateway on the default port',
    );
    assert.equal(reported.length, 1);
    assert.match(
      reported[0],
      /gateway\.port must be a port number .*, got a string; gateway\.auth\.token must be a string \(or a SecretRef object\), got the number 12345/,
    );
    const r = await resolveToken(
      { name: 'g', url: 'ws://127.0.0.1:18789', configPath: file, source: 'settings' },
      { get: async () => undefined },
      {},
    );
    assert.equal(r.source, 'none');
    assert.match(r.warning!, /openclaw\.json is not a usable OpenClaw config: gateway\.port/);
  });

  it('missing files and a directory where a file should be', async () => {
    const dir = tmp();
    await assert.rejects(readOpenClawConfig(path.join(dir, 'nope', 'openclaw.json')), /does not exist/);
    mkdirSync(path.join(dir, 'isdir.json'));
    await assert.rejects(readOpenClawConfig(path.join(dir, 'isdir.json')), /isdir\.json could not be read: EISDIR/);
    const r = await resolveToken(
      { name: 'g', url: 'ws://127.0.0.1:1', configPath: path.join(dir, 'gone.json'), source: 'settings' },
      { get: async () => undefined },
      {},
    );
    assert.deepEqual(r, { source: 'none', warning: `${path.join(dir, 'gone.json')} does not exist` });
    assert.deepEqual(await discoverDefaultGateways({ OPENCLAW_STATE_DIR: path.join(dir, 'no-such-state') }), []);
    assert.deepEqual(await findGatewayLocks(path.join(dir, 'no-such-state'), 0, path.join(dir, 'no-such-tmp')), []);
    assert.equal(
      await readGatewayLock(path.join(dir, 'isdir.json')),
      undefined,
      'a directory named like a lock is not one',
    );
  });

  it('an unreadable config (chmod 000) says "permission denied"; as root, where chmod does not block reads, that is detected and said', async (t) => {
    const dir = tmp();
    const locked = path.join(dir, 'locked.json');
    writeFileSync(locked, '{ gateway: { port: 28789, auth: { token: "secret" } } }');
    chmodSync(locked, 0);
    if (chmodBlocksReads(dir)) {
      await assert.rejects(readOpenClawConfig(locked), new RegExp(`${locked} is not readable \\(permission denied\\)`));
      const r = await resolveToken(
        { name: 'g', url: 'ws://127.0.0.1:1', configPath: locked, source: 'settings' },
        { get: async () => undefined },
        {},
      );
      assert.match(r.warning!, /not readable \(permission denied\)/);
      return;
    }
    t.diagnostic(
      `running as uid ${process.getuid?.()}: chmod 000 does not block reads here, so the chmod-000 file is read`,
    );
    console.log(
      `# settings: uid ${process.getuid?.()} reads a chmod-000 file (root / CAP_DAC_OVERRIDE): chmod cannot make it unreadable; EACCES checked with ${ROOT_UNREADABLE} instead`,
    );
    assert.equal((await readOpenClawConfig(locked)).token, 'secret', 'as root the file is simply read');
    if (!rootUnreadableAvailable()) {
      t.skip(`${ROOT_UNREADABLE} is readable or missing here: no file root cannot read`);
      return;
    }
    await assert.rejects(
      readOpenClawConfig(ROOT_UNREADABLE),
      new RegExp(`${ROOT_UNREADABLE} is not readable \\(permission denied\\)`),
    );
    const r = await resolveToken(
      { name: 'g', url: 'ws://127.0.0.1:1', configPath: ROOT_UNREADABLE, source: 'settings' },
      { get: async () => undefined },
      { OPENCLAW_GATEWAY_TOKEN: 'env' },
    );
    assert.deepEqual(r, {
      token: 'env',
      source: 'environment',
      warning: `${ROOT_UNREADABLE} is not readable (permission denied)`,
    });
  });

  it('half-written, mistyped, unreadable and stale lock files are skipped; a good one next to them is found', async () => {
    const state = tmp();
    const uid = process.getuid?.() ?? 0;
    const dir = path.join(state, 'tmp', `openclaw-${uid}`);
    mkdirSync(dir, { recursive: true });
    const good = { pid: process.pid, port: 28790, configPath: path.join(state, 'openclaw.json') };
    const full = JSON.stringify(good) + ' '.repeat(512);
    // A writer caught at every length: each prefix of the real content is either skipped or, once complete, read.
    for (let n = 0; n < full.length; n += 7) {
      writeFileSync(path.join(dir, 'gateway.partial.lock'), full.slice(0, n));
      const lock = await readGatewayLock(path.join(dir, 'gateway.partial.lock'));
      assert.ok(lock === undefined || (lock.pid === process.pid && lock.port === 28790), `prefix ${n}`);
    }
    rmSync(path.join(dir, 'gateway.partial.lock'));
    const exited = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    const junk: Record<string, string> = {
      'gateway.empty.lock': '',
      'gateway.spaces.lock': ' '.repeat(4096),
      'gateway.null.lock': 'null',
      'gateway.array.lock': '[1234]',
      'gateway.pidstr.lock': '{"pid":"1234","port":1}',
      'gateway.pidneg.lock': '{"pid":-5,"port":1}',
      'gateway.pidfloat.lock': '{"pid":1.5,"port":1}',
      'gateway.pidzero.lock': '{"pid":0,"port":1}',
      'gateway.binary.lock': '\u0000\u0001\u0002',
      'gateway.nul.lock': '{"pid":1,\u0000}',
      'gateway.dead.lock': JSON.stringify({ pid: exited, port: 28791 }),
      'gateway.portstr.lock': JSON.stringify({ pid: process.ppid, port: '28792', configPath: 7 }),
    };
    for (const [name, text] of Object.entries(junk)) writeFileSync(path.join(dir, name), text);
    mkdirSync(path.join(dir, 'gateway.dir.lock'));
    writeFileSync(path.join(dir, 'gateway.good.lock'), full);
    const locks = await findGatewayLocks(state, uid, path.join(state, 'no-tmp'));
    // A lock with a string port and a numeric configPath keeps its valid pid, without a port or a config path.
    assert.deepEqual(
      locks.map((l) => [path.basename(l.file), l.pid, l.port, l.configPath]),
      [
        ['gateway.dead.lock', exited, 28791, undefined],
        ['gateway.good.lock', process.pid, 28790, good.configPath],
        ['gateway.portstr.lock', process.ppid, undefined, undefined],
      ],
      'junk skipped',
    );
    // Discovery offers only the live one: the dead pid is skipped, the string port is not a port.
    const found = await discoverDefaultGateways({ OPENCLAW_STATE_DIR: state });
    assert.deepEqual(
      found.map((g) => g.url),
      ['ws://127.0.0.1:28790'],
    );
    // Unreadable lock: skipped without a throw (as root, read; said above).
    writeFileSync(path.join(dir, 'gateway.locked.lock'), JSON.stringify({ pid: process.pid, port: 28793 }));
    chmodSync(path.join(dir, 'gateway.locked.lock'), 0);
    const lock = await readGatewayLock(path.join(dir, 'gateway.locked.lock'));
    if (chmodBlocksReads(state)) assert.equal(lock, undefined);
    else assert.equal(lock?.port, 28793, 'root reads it');
    if (rootUnreadableAvailable()) assert.equal(await readGatewayLock(ROOT_UNREADABLE), undefined, 'EACCES: skipped');
  });

  it('lanewatch.gateways with the wrong type in every field: each named with its setting path, the good entry kept', () => {
    for (const v of ['ws://127.0.0.1:1', 42, true, { gateways: [] }])
      assert.equal(parseGatewaySettings(v).problems.length, 1, JSON.stringify(v));
    const { gateways, problems } = parseGatewaySettings([
      null,
      7,
      [],
      { name: 5, url: 'ws://127.0.0.1:1' },
      { name: '   ', url: 'ws://127.0.0.1:1' },
      { name: 'n-url', url: 18789 },
      { name: 'n-cfg', url: 'ws://127.0.0.1:2', configPath: 5 },
      { name: 'creds', url: 'ws://user:pw@127.0.0.1:3' },
      { name: 'nohost', url: 'ws://' },
      { name: 'ok', url: ' ws://127.0.0.1:18789/// ', configPath: '  ' },
    ]);
    assert.deepEqual(gateways, [
      { name: 'ok', url: 'ws://127.0.0.1:18789', configPath: undefined, source: 'settings' },
    ]);
    assert.deepEqual(
      problems.map((p) => p.setting),
      [
        'lanewatch.gateways[0]',
        'lanewatch.gateways[1]',
        'lanewatch.gateways[2]',
        'lanewatch.gateways[3].name',
        'lanewatch.gateways[4].name',
        'lanewatch.gateways[5].url',
        'lanewatch.gateways[6].configPath',
        'lanewatch.gateways[7].url',
        'lanewatch.gateways[8].url',
      ],
    );
    assert.match(problems[7].message, /must not carry credentials/);
  });
});
