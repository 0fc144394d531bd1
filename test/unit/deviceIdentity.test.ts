import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildDeviceAuthPayloadV3 } from '@openclaw/gateway-client';
import { createDeviceIdentity, deviceSignaturePayloadV3, FileDeviceIdentityStore, loadOrCreateDeviceIdentity, signDeviceProof } from '../../src/gateway';

describe('device identity', () => {
  it('builds the same v3 signature payload as the official gateway client', () => {
    const cases = [
      { platform: 'linux', deviceFamily: '', scopes: ['operator.read'], token: 'tok' },
      { platform: '  Darwin ', deviceFamily: 'MacBookPro', scopes: ['operator.read', 'operator.write', 'operator.admin'], token: '' },
      { platform: 'Win32', deviceFamily: 'İstanbul-PC', scopes: [], token: 'a|b' },
    ];
    for (const c of cases) {
      const ours = deviceSignaturePayloadV3('dev-1', { clientId: 'gateway-client', clientMode: 'backend', role: 'operator', scopes: c.scopes, signedAt: 1795273705306, token: c.token, nonce: 'n-1', platform: c.platform, deviceFamily: c.deviceFamily });
      const theirs = buildDeviceAuthPayloadV3({ deviceId: 'dev-1', clientId: 'gateway-client', clientMode: 'backend', role: 'operator', scopes: c.scopes, signedAtMs: 1795273705306, token: c.token, nonce: 'n-1', platform: c.platform, deviceFamily: c.deviceFamily } as any);
      assert.equal(ours, theirs);
    }
  });

  it('derives the device id from the public key and refuses an inconsistent stored key', () => {
    const a = createDeviceIdentity(), b = createDeviceIdentity();
    assert.match(a.deviceId, /^[0-9a-f]{64}$/);
    assert.notEqual(a.deviceId, b.deviceId);
    const input = { clientId: 'gateway-client', clientMode: 'backend', role: 'operator', scopes: ['operator.read'], signedAt: 1, token: 't', nonce: 'n', platform: 'linux', deviceFamily: '' };
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
});
