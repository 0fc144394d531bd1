// SecretStorage-backed stores: gateway tokens and per-gateway device keys live only here
// (the OS keychain on desktop), never in settings, logs or webview state.
import type * as vscode from 'vscode';
import { isStoredDeviceIdentity, type DeviceIdentityStore, type StoredDeviceIdentity } from '../gateway';
import type { SecretReader } from '../config/tokenSources';

// Creations in flight per SecretStorage and entry, so that two store objects on one SecretStorage cannot both create.
const creating = new WeakMap<vscode.SecretStorage, Map<string, Promise<StoredDeviceIdentity>>>();

/**
 * Device keys in SecretStorage. Creating one (`saveIfAbsent`) is single-flight within this extension host: one
 * check-and-store per entry at a time, so concurrent first connects (the watchdog recovering several sessions at
 * once) all get the key that was stored first. loadOrCreateDeviceIdentity adds its own single flight per store.
 *
 * SecretStorage has no atomic create, so two windows (two extension hosts) creating the same entry at the same
 * moment can still both store; each re-reads after storing and uses what is stored then, which narrows that window
 * but cannot close it. The cost if it happens: one window signs one connect with a key that is then replaced, and
 * its next connect uses the stored key (a loopback gateway pairs it automatically; a remote one asks once more).
 */
export class SecretDeviceIdentityStore implements DeviceIdentityStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}
  private key(gatewayKey: string) {
    return `lanewatch.device:${gatewayKey}`;
  }
  async load(gatewayKey: string): Promise<StoredDeviceIdentity | undefined> {
    const raw = await this.secrets.get(this.key(gatewayKey));
    if (!raw) return undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      return isStoredDeviceIdentity(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  async save(gatewayKey: string, identity: StoredDeviceIdentity): Promise<void> {
    await this.secrets.store(this.key(gatewayKey), JSON.stringify(identity));
  }
  saveIfAbsent(gatewayKey: string, identity: StoredDeviceIdentity): Promise<StoredDeviceIdentity> {
    let inFlight = creating.get(this.secrets);
    if (!inFlight) creating.set(this.secrets, (inFlight = new Map<string, Promise<StoredDeviceIdentity>>()));
    const entry = this.key(gatewayKey);
    const pending = inFlight.get(entry);
    if (pending) return pending; // someone here is creating it now: use the key they store
    const p = (async () => {
      const stored = await this.load(gatewayKey);
      if (stored) return stored;
      await this.save(gatewayKey, identity);
      return (await this.load(gatewayKey)) ?? identity;
    })().finally(() => {
      if (inFlight.get(entry) === p) inFlight.delete(entry);
    });
    inFlight.set(entry, p);
    return p;
  }
}

export class SecretStorageReader implements SecretReader {
  constructor(private readonly secrets: vscode.SecretStorage) {}
  get(key: string) {
    return Promise.resolve(this.secrets.get(key));
  }
}
