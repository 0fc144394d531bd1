// Ed25519 device identity for the OpenClaw connect handshake.
//
// Why every connection is signed: openclaw 2026.3.24 grants a token-only client no scopes at all, and
// only a device-signed client is auto-paired on loopback by every version. One key per gateway keeps a
// pairing approval on one gateway from identifying the user to another.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
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
  /**
   * Stores `identity` only if no valid identity is stored for the key yet, and returns the one that is stored
   * afterwards: `identity` itself, or the one another writer (another process, another window) stored first.
   * Stores shared between processes implement it so that a key someone may already have signed a connect with is
   * never replaced; without it, `loadOrCreateDeviceIdentity` falls back to `save`.
   */
  saveIfAbsent?(gatewayKey: string, identity: StoredDeviceIdentity): Promise<StoredDeviceIdentity>;
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
    'v3',
    deviceId,
    input.clientId,
    input.clientMode,
    input.role,
    input.scopes.join(','),
    String(input.signedAt),
    input.token,
    input.nonce,
    normalizeDeviceMetadata(input.platform),
    normalizeDeviceMetadata(input.deviceFamily),
  ].join('|');
}

export function signDeviceProof(identity: StoredDeviceIdentity, input: SignatureInput): DeviceProof {
  const key = createPrivateKey(identity.privateKeyPem);
  const derivedPublic = base64url(rawPublicKey(createPublicKey(key)));
  if (derivedPublic !== identity.publicKey)
    throw new Error('stored device identity is inconsistent (public key does not match private key)');
  const signature = sign(null, Buffer.from(deviceSignaturePayloadV3(identity.deviceId, input), 'utf8'), key);
  return {
    id: identity.deviceId,
    publicKey: identity.publicKey,
    signature: base64url(signature),
    signedAt: input.signedAt,
    nonce: input.nonce,
  };
}

export function isStoredDeviceIdentity(value: unknown): value is StoredDeviceIdentity {
  const v = value as Partial<StoredDeviceIdentity> | null;
  return (
    !!v &&
    v.version === 1 &&
    typeof v.deviceId === 'string' &&
    /^[0-9a-f]{64}$/.test(v.deviceId) &&
    typeof v.publicKey === 'string' &&
    typeof v.privateKeyPem === 'string' &&
    v.privateKeyPem.includes('PRIVATE KEY')
  );
}

// Creations in flight, per store and key. Every connection calls loadOrCreateDeviceIdentity before it signs, and
// the watchdog may open several operator connections with one (new) identity key at the same moment (issue 12):
// they must all wait for one creation and sign with the one key it stores, not each make a key of their own.
const creating = new WeakMap<DeviceIdentityStore, Map<string, Promise<StoredDeviceIdentity>>>();

/**
 * Loads the identity for a gateway, creating and saving one on first use. A corrupt entry is replaced, not fatal.
 * Single-flight per store and key within this process: concurrent callers share one promise and get the same
 * identity. Across processes the store's `saveIfAbsent` decides (the first key stored wins; see the file store).
 */
export function loadOrCreateDeviceIdentity(
  store: DeviceIdentityStore,
  gatewayKey: string,
): Promise<StoredDeviceIdentity> {
  let forStore = creating.get(store);
  if (!forStore) creating.set(store, (forStore = new Map<string, Promise<StoredDeviceIdentity>>()));
  const pending = forStore.get(gatewayKey);
  if (pending) return pending;
  const p = loadOrCreateOnce(store, gatewayKey).finally(() => {
    if (forStore.get(gatewayKey) === p) forStore.delete(gatewayKey);
  });
  forStore.set(gatewayKey, p);
  return p;
}

async function loadOrCreateOnce(store: DeviceIdentityStore, gatewayKey: string): Promise<StoredDeviceIdentity> {
  const existing = await store.load(gatewayKey).catch(() => undefined);
  if (existing && isStoredDeviceIdentity(existing)) return existing;
  const created = createDeviceIdentity();
  if (store.saveIfAbsent) return store.saveIfAbsent(gatewayKey, created);
  await store.save(gatewayKey, created);
  return created;
}

/** Keeps identities in memory only (tests, one-shot probes). */
export class MemoryDeviceIdentityStore implements DeviceIdentityStore {
  private readonly entries = new Map<string, StoredDeviceIdentity>();
  async load(gatewayKey: string) {
    return this.entries.get(gatewayKey);
  }
  async save(gatewayKey: string, identity: StoredDeviceIdentity) {
    this.entries.set(gatewayKey, identity);
  }
}

/**
 * One JSON file per gateway in an owner-only directory (mode 0700, files 0600), written atomically: a reader sees
 * no file or a whole one, never a half-written one.
 *
 * Creating a key when the CLI and the extension (or two windows) race on one gateway: the first key to reach the
 * disk wins and the other process adopts it (`saveIfAbsent`). The new key is written to a temporary file of its own
 * (pid + random, created exclusively, 0600) and hard-linked to the final name: link(2) fails with EEXIST when the
 * name exists, so it is an atomic create-if-absent of a complete file. Rename-then-re-read was the alternative, but
 * rename overwrites: a process that has already signed a connect with the winner's key would find it replaced under
 * it. A stored key is only ever replaced when it is unreadable (corrupt): nobody can have signed with it.
 */
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

  /** Writes the identity to a temporary file of its own (never shared with a concurrent save) and returns its path. */
  private async writeTemp(file: string, identity: StoredDeviceIdentity): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(identity), { mode: 0o600, flag: 'wx' });
    return tmp;
  }

  /** Replaces whatever is stored (atomically). Creating a key goes through `saveIfAbsent`. */
  async save(gatewayKey: string, identity: StoredDeviceIdentity): Promise<void> {
    const file = this.fileFor(gatewayKey);
    const tmp = await this.writeTemp(file, identity);
    try {
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  async saveIfAbsent(gatewayKey: string, identity: StoredDeviceIdentity): Promise<StoredDeviceIdentity> {
    const file = this.fileFor(gatewayKey);
    const tmp = await this.writeTemp(file, identity);
    try {
      try {
        await link(tmp, file);
        return identity;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // A file system without hard links: rename, then use what is on disk (the weaker variant described above).
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
          await rename(tmp, file);
          return (await this.load(gatewayKey)) ?? identity;
        }
        if (code !== 'EEXIST') throw err;
      }
      // Someone stored a key first: use theirs. Only a corrupt entry is replaced (unparsable or not an identity, as
      // `load` and loadOrCreateDeviceIdentity treat it); an entry that cannot be read (EACCES…) is an error.
      const stored = await this.load(gatewayKey).catch((err: unknown) => {
        if (err instanceof SyntaxError) return undefined;
        throw err;
      });
      if (stored) return stored;
      await rename(tmp, file);
      // Two processes replacing the same corrupt entry at once: the later rename wins, and both use what is on disk
      // now. (One of them could still sign this one connect with the key the other then overwrites; its next
      // connect loads the stored key. Only possible after the entry was corrupted, which atomic writes prevent.)
      return (await this.load(gatewayKey).catch(() => undefined)) ?? identity;
    } finally {
      await unlink(tmp).catch(() => undefined); // after link it is a second name of the stored file; after rename it is gone
    }
  }
}
