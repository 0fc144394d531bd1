import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildDeviceAuthPayloadV3 } from '@openclaw/gateway-client';
import {
  createDeviceIdentity,
  deviceSignaturePayloadV3,
  FileDeviceIdentityStore,
  GatewayConnection,
  loadOrCreateDeviceIdentity,
  signDeviceProof,
  type DeviceIdentityStore,
  type StoredDeviceIdentity,
} from '../../src/gateway';
import { SecretDeviceIdentityStore } from '../../src/vscode/secretStores';
import { ScriptedGateway } from '../support/scriptedGateway';

const freshDir = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'lw-id-')), 'ids');

describe('device identity', () => {
  it('builds the same v3 signature payload as the official gateway client', () => {
    const cases = [
      { platform: 'linux', deviceFamily: '', scopes: ['operator.read'], token: 'tok' },
      {
        platform: '  Darwin ',
        deviceFamily: 'MacBookPro',
        scopes: ['operator.read', 'operator.write', 'operator.admin'],
        token: '',
      },
      { platform: 'Win32', deviceFamily: 'İstanbul-PC', scopes: [], token: 'a|b' },
    ];
    for (const c of cases) {
      const ours = deviceSignaturePayloadV3('dev-1', {
        clientId: 'gateway-client',
        clientMode: 'backend',
        role: 'operator',
        scopes: c.scopes,
        signedAt: 1795273705306,
        token: c.token,
        nonce: 'n-1',
        platform: c.platform,
        deviceFamily: c.deviceFamily,
      });
      const theirs = buildDeviceAuthPayloadV3({
        deviceId: 'dev-1',
        clientId: 'gateway-client',
        clientMode: 'backend',
        role: 'operator',
        scopes: c.scopes,
        signedAtMs: 1795273705306,
        token: c.token,
        nonce: 'n-1',
        platform: c.platform,
        deviceFamily: c.deviceFamily,
      });
      assert.equal(ours, theirs);
    }
  });

  it('derives the device id from the public key and refuses an inconsistent stored key', () => {
    const a = createDeviceIdentity(),
      b = createDeviceIdentity();
    assert.match(a.deviceId, /^[0-9a-f]{64}$/);
    assert.notEqual(a.deviceId, b.deviceId);
    const input = {
      clientId: 'gateway-client',
      clientMode: 'backend',
      role: 'operator',
      scopes: ['operator.read'],
      signedAt: 1,
      token: 't',
      nonce: 'n',
      platform: 'linux',
      deviceFamily: '',
    };
    assert.equal(signDeviceProof(a, input).id, a.deviceId);
    assert.throws(() => signDeviceProof({ ...a, privateKeyPem: b.privateKeyPem }, input), /inconsistent/);
  });

  it('file store keeps one key per gateway in owner-only files and replaces a corrupt one', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'lw-id-')), 'ids');
    const store = new FileDeviceIdentityStore(dir);
    const one = await loadOrCreateDeviceIdentity(store, 'gw-a');
    assert.deepEqual(await loadOrCreateDeviceIdentity(store, 'gw-a'), one, 'same key on reload');
    const other = await loadOrCreateDeviceIdentity(store, 'gw-b');
    assert.notEqual(other.deviceId, one.deviceId, 'one key per gateway');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const f of readdirSync(dir)) assert.equal(statSync(path.join(dir, f)).mode & 0o777, 0o600);
    for (const f of readdirSync(dir)) writeFileSync(path.join(dir, f), '{half-written');
    const replaced = await loadOrCreateDeviceIdentity(store, 'gw-a');
    assert.notEqual(replaced.deviceId, one.deviceId);
  });

  // Issue 12 item 3: the watchdog recovered 2–3 sessions at once, each on its own operator connection with the same
  // (new) identity key; all but one failed with "could not prepare the connect request".
  it('concurrent first uses of one key in one process share one identity and leave one file, no temp files', async () => {
    const dir = freshDir();
    const store = new FileDeviceIdentityStore(dir);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        loadOrCreateDeviceIdentity(store, 'gw|ws://127.0.0.1:1|operator.read,operator.write,operator.admin'),
      ),
    );
    const failures = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => String(r.reason));
    assert.deepEqual(failures, [], 'every concurrent creation resolves');
    const ids = new Set(results.map((r) => (r as PromiseFulfilledResult<StoredDeviceIdentity>).value.deviceId));
    assert.equal(ids.size, 1, `one identity for one key, got ${ids.size}`);
    const files = readdirSync(dir);
    assert.equal(files.length, 1, `exactly one file, no temp files: ${files.join(', ')}`);
    assert.equal(statSync(path.join(dir, files[0])).mode & 0o777, 0o600);
    assert.equal(
      JSON.parse(readFileSync(path.join(dir, files[0]), 'utf8')).deviceId,
      [...ids][0],
      'the identity handed out is the one on disk',
    );
  });

  it("two processes racing on one key both use the key that is on disk (the loser adopts the winner's)", async () => {
    const dir = freshDir();
    // Two store instances on one directory: what the CLI and the extension (or two windows) are to each other.
    for (let round = 0; round < 5; round++) {
      const key = `gw-${round}`;
      const a = new FileDeviceIdentityStore(dir),
        b = new FileDeviceIdentityStore(dir);
      const [x, y] = await Promise.all([loadOrCreateDeviceIdentity(a, key), loadOrCreateDeviceIdentity(b, key)]);
      const onDisk = await new FileDeviceIdentityStore(dir).load(key);
      assert.ok(onDisk, 'a key is stored');
      assert.equal(x.deviceId, onDisk.deviceId, `round ${round}: the first process signs with the stored key`);
      assert.equal(y.deviceId, onDisk.deviceId, `round ${round}: the second process signs with the stored key`);
    }
    assert.deepEqual(
      readdirSync(dir).filter((f) => !f.endsWith('.json')),
      [],
      'no temp files left',
    );
  });

  it('a key already stored by another process is never replaced by a later creation', async () => {
    const dir = freshDir();
    const first = await loadOrCreateDeviceIdentity(new FileDeviceIdentityStore(dir), 'gw');
    // A second process that looked before the first one saved (it saw nothing) and now stores its own new key.
    const late = new FileDeviceIdentityStore(dir);
    const kept = await late.saveIfAbsent('gw', createDeviceIdentity());
    assert.equal(kept.deviceId, first.deviceId);
    assert.equal((await late.load('gw'))!.deviceId, first.deviceId);
  });

  it('SecretStorage: concurrent creations in one extension host store one key and all use it', async () => {
    // A SecretStorage whose calls take a turn of the event loop, as the keychain's do.
    const entries = new Map<string, string>();
    let stores = 0;
    const later = () => new Promise<void>((r) => setImmediate(r));
    const secrets = {
      get: async (k: string) => {
        await later();
        return entries.get(k);
      },
      store: async (k: string, v: string) => {
        await later();
        stores++;
        entries.set(k, v);
      },
      delete: async (k: string) => {
        entries.delete(k);
      },
      onDidChange: () => ({ dispose() {} }),
    } as unknown as ConstructorParameters<typeof SecretDeviceIdentityStore>[0];
    const one = new SecretDeviceIdentityStore(secrets),
      two = new SecretDeviceIdentityStore(secrets);
    const got = await Promise.all([
      ...Array.from({ length: 4 }, () => loadOrCreateDeviceIdentity(one, 'gw')),
      ...Array.from({ length: 4 }, () => loadOrCreateDeviceIdentity(two, 'gw')),
    ]);
    const stored = JSON.parse(entries.get('lanewatch.device:gw')!) as StoredDeviceIdentity;
    assert.deepEqual([...new Set(got.map((x) => x.deviceId))], [stored.deviceId], 'every caller uses the stored key');
    assert.equal(stores, 1, 'the key is stored once');
  });

  it('a connect that cannot be prepared says why, without the token', async () => {
    const gw = await ScriptedGateway.start();
    const broken: DeviceIdentityStore = {
      load: async () => undefined,
      // A message that (however unlikely) quotes the token must not carry it into the problem or the audit trail.
      save: async () => {
        throw Object.assign(
          new Error("EACCES: permission denied, open '/state/device-identities/x.json' (tok-should-not-leak-1234)"),
          { code: 'EACCES' },
        );
      },
    };
    const c = new GatewayConnection({
      url: gw.url,
      credentials: () => ({ token: 'tok-should-not-leak-1234' }),
      scopes: ['operator.read'],
      identityStore: broken,
      reconnect: false,
    });
    try {
      c.start();
      const err = await c.waitForConnected(5_000).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(err, 'the connection failed');
      assert.match(err.message, /could not prepare the connect request: .*EACCES: permission denied/);
      assert.doesNotMatch(err.message, /tok-should-not-leak/);
      assert.match(c.snapshot().problem!.summary, /EACCES/);
      assert.doesNotMatch(`${c.snapshot().problem!.summary} ${c.snapshot().problem!.advice}`, /tok-should-not-leak/);
    } finally {
      c.dispose();
      await gw.close();
    }
  });
});
