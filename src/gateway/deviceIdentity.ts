// Ed25519 device identity for the OpenClaw connect handshake.
//
// Why every connection is signed: openclaw 2026.3.24 grants a token-only client no scopes at all, and
// only a device-signed client is auto-paired on loopback by every version. One key per gateway keeps a
// pairing approval on one gateway from identifying the user to another.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What is persisted per gateway. The private key is PKCS#8 PEM: it lives in SecretStorage or an owner-only file. */
export interface StoredDeviceIdentity {
  version: 1;
  deviceId: string;
  publicKey: string; // raw 32-byte Ed25519 key, base64url
  privateKeyPem: string;
  createdAt: string;
  /** Issued by the gateway in hello-ok.auth.deviceToken after pairing; kept for diagnostics. */
  deviceToken?: string;
}

export interface DeviceIdentityStore {
  load(gatewayKey: string): Promise<StoredDeviceIdentity | undefined>;
  save(gatewayKey: string, identity: StoredDeviceIdentity): Promise<void>;
}

/** The fields of the `connect.params.device` object. */
export interface DeviceProof {
  id: string;
  publicKey: string;
  signature: string;
  signedAt: number;
  nonce: string;
}

export interface SignatureInput {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  signedAt: number;
  token: string;
  nonce: string;
  platform: string;
  deviceFamily: string;
}

const base64url = (buf: Buffer): string => buf.toString('base64url');

/** Raw Ed25519 public key bytes out of the SPKI DER (the last 32 bytes). */
function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

export function createDeviceIdentity(now: Date = new Date()): StoredDeviceIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return {
    version: 1,
    deviceId: createHash('sha256').update(raw).digest('hex'),
    publicKey: base64url(raw),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    createdAt: now.toISOString(),
  };
}

/** The gateway lowercases ASCII only and trims, so e.g. a Turkish dotted İ must stay as it is. */
export function normalizeDeviceMetadata(value: string): string {
  return value.trim().replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** The v3 string the gateway verifies (same field order and normalisation as the gateway and its reference client). */
export function deviceSignaturePayloadV3(deviceId: string, input: SignatureInput): string {
  return [
    'v3', deviceId, input.clientId, input.clientMode, input.role, input.scopes.join(','),
    String(input.signedAt), input.token, input.nonce, normalizeDeviceMetadata(input.platform), normalizeDeviceMetadata(input.deviceFamily),
  ].join('|');
}

export function signDeviceProof(identity: StoredDeviceIdentity, input: SignatureInput): DeviceProof {
  const key = createPrivateKey(identity.privateKeyPem);
  const derivedPublic = base64url(rawPublicKey(createPublicKey(key)));
  if (derivedPublic !== identity.publicKey) throw new Error('stored device identity is inconsistent (public key does not match private key)');
  const signature = sign(null, Buffer.from(deviceSignaturePayloadV3(identity.deviceId, input), 'utf8'), key);
  return { id: identity.deviceId, publicKey: identity.publicKey, signature: base64url(signature), signedAt: input.signedAt, nonce: input.nonce };
}

export function isStoredDeviceIdentity(value: unknown): value is StoredDeviceIdentity {
  const v = value as Partial<StoredDeviceIdentity> | null;
  return !!v && v.version === 1 && typeof v.deviceId === 'string' && /^[0-9a-f]{64}$/.test(v.deviceId)
    && typeof v.publicKey === 'string' && typeof v.privateKeyPem === 'string' && v.privateKeyPem.includes('PRIVATE KEY');
}

/** Loads the identity for a gateway, creating and saving one on first use. A corrupt entry is replaced, not fatal. */
export async function loadOrCreateDeviceIdentity(store: DeviceIdentityStore, gatewayKey: string): Promise<StoredDeviceIdentity> {
  const existing = await store.load(gatewayKey).catch(() => undefined);
  if (existing && isStoredDeviceIdentity(existing)) return existing;
  const created = createDeviceIdentity();
  await store.save(gatewayKey, created);
  return created;
}

/** Keeps identities in memory only (tests, one-shot probes). */
export class MemoryDeviceIdentityStore implements DeviceIdentityStore {
  private readonly entries = new Map<string, StoredDeviceIdentity>();
  async load(gatewayKey: string) { return this.entries.get(gatewayKey); }
  async save(gatewayKey: string, identity: StoredDeviceIdentity) { this.entries.set(gatewayKey, identity); }
}

/** One JSON file per gateway in an owner-only directory (mode 0700, files 0600), written atomically. */
export class FileDeviceIdentityStore implements DeviceIdentityStore {
  constructor(private readonly dir: string) {}
  private fileFor(gatewayKey: string): string {
    return path.join(this.dir, `${createHash('sha256').update(gatewayKey).digest('hex').slice(0, 24)}.json`);
  }
  async load(gatewayKey: string): Promise<StoredDeviceIdentity | undefined> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.fileFor(gatewayKey), 'utf8'));
      return isStoredDeviceIdentity(parsed) ? parsed : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  async save(gatewayKey: string, identity: StoredDeviceIdentity): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const file = this.fileFor(gatewayKey);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(identity), { mode: 0o600 });
    await rename(tmp, file);
  }
}
