import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseGatewaySettings } from '../../src/model/gatewaySettings';
import { defaultOpenClawConfigPath, discoverDefaultGateways, parseOpenClawConfig, readOpenClawConfig } from '../../src/model/openclawConfig';
import { resolveToken, tokenSecretKey } from '../../src/model/tokenSources';

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
    assert.deepEqual(gateways.map((g) => [g.name, g.url]), [['main', 'ws://127.0.0.1:18789'], ['second', 'ws://127.0.0.1:18790'], ['leaky', 'ws://127.0.0.1:1']]);
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
    const facts = parseOpenClawConfig(`// comment\n{ gateway: { mode: "local", port: 28789, auth: { mode: "token", token: 'tok-1', }, }, logging: { file: "/tmp/x.log" } }`, 'f');
    assert.deepEqual(facts, { port: 28789, token: 'tok-1', bind: undefined, authMode: 'token', logFile: '/tmp/x.log' });
  });

  it('says clearly what is wrong with a malformed, missing or unreadable file', async () => {
    const dir = tmp();
    const bad = path.join(dir, 'bad.json'); writeFileSync(bad, '{ gateway: { port: 1 ');
    await assert.rejects(readOpenClawConfig(bad), /bad\.json is not valid JSON5/);
    await assert.rejects(readOpenClawConfig(path.join(dir, 'none.json')), /none\.json does not exist/);
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir, 'locked.json'); writeFileSync(locked, '{}'); chmodSync(locked, 0);
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
    assert.deepEqual(await discoverDefaultGateways({ OPENCLAW_STATE_DIR: dir }), [{ name: 'local', url: 'ws://127.0.0.1:18790', configPath: path.join(dir, 'openclaw.json'), source: 'openclaw-config' }]);
    assert.deepEqual(await discoverDefaultGateways({ OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:1' }), [{ name: 'openclaw', url: 'ws://127.0.0.1:1', source: 'env' }]);
    assert.deepEqual(await discoverDefaultGateways({ OPENCLAW_STATE_DIR: path.join(dir, 'nothing-here') }), []);
  });
});

describe('token sources', () => {
  const secrets = (entries: Record<string, string>) => ({ get: async (k: string) => entries[k] });
  it('prefers secret storage, then the gateway config file, then the environment', async () => {
    const dir = tmp();
    const cfg = path.join(dir, 'openclaw.json'); writeFileSync(cfg, '{ gateway: { auth: { token: "from-file" } } }');
    const gw = { name: 'a', url: 'ws://127.0.0.1:18789', configPath: cfg, source: 'settings' as const };
    assert.deepEqual(await resolveToken(gw, secrets({ [tokenSecretKey(gw)]: 'from-secret' }), {}), { token: 'from-secret', source: 'secret-storage' });
    assert.deepEqual(await resolveToken(gw, secrets({}), { OPENCLAW_GATEWAY_TOKEN: 'from-env' }), { token: 'from-file', source: 'config-file' });
    const noFile = { ...gw, configPath: path.join(dir, 'missing.json') };
    const r = await resolveToken(noFile, secrets({}), { OPENCLAW_GATEWAY_TOKEN: 'from-env' });
    assert.equal(r.token, 'from-env');
    assert.match(r.warning!, /does not exist/);
  });

  it('uses OPENCLAW_GATEWAY_TOKEN only for the gateway at OPENCLAW_GATEWAY_URL', async () => {
    const gw = { name: 'b', url: 'ws://localhost:18790', source: 'settings' as const };
    assert.equal((await resolveToken(gw, secrets({}), { OPENCLAW_GATEWAY_TOKEN: 't', OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:18789' })).source, 'none');
    assert.equal((await resolveToken(gw, secrets({}), { OPENCLAW_GATEWAY_TOKEN: 't', OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:18790' })).source, 'environment');
  });
});

describe('running gateways from lock files', () => {
  it('reads the lock JSON with padding, ignores half-written and dead ones', async () => {
    const { findGatewayLocks, readGatewayLock } = await import('../../src/model/openclawConfig');
    const state = tmp();
    const dir = path.join(state, 'tmp', `openclaw-${process.getuid?.() ?? 0}`);
    (await import('node:fs')).mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'gateway.state.lock'), JSON.stringify({ pid: process.pid, port: 28789, configPath: '/x/openclaw.json', stateDir: state }) + ' '.repeat(200));
    writeFileSync(path.join(dir, 'gateway.abc.lock'), '{"pid": 12');
    writeFileSync(path.join(dir, 'other.txt'), 'x');
    const locks = await findGatewayLocks(state, process.getuid?.() ?? 0, path.join(state, 'no-tmp'));
    assert.deepEqual(locks.map((l) => [l.pid, l.port, l.configPath]), [[process.pid, 28789, '/x/openclaw.json']]);
    assert.equal(await readGatewayLock(path.join(dir, 'missing.lock')), undefined);
  });
  it('offers a running gateway found by its lock file when no config file exists', async () => {
    const state = tmp();
    const dir = path.join(state, 'tmp', `openclaw-${process.getuid?.() ?? 0}`);
    (await import('node:fs')).mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'gateway.state.lock'), JSON.stringify({ pid: process.pid, port: 18790, configPath: path.join(state, 'cfg.json') }));
    const found = await discoverDefaultGateways({ OPENCLAW_STATE_DIR: state });
    assert.deepEqual(found, [{ name: 'local-18790', url: 'ws://127.0.0.1:18790', configPath: path.join(state, 'cfg.json'), source: 'lock-file' }]);
  });
});
