// SecretStorage-backed stores: gateway tokens and per-gateway device keys live only here
// (the OS keychain on desktop), never in settings, logs or webview state.
import type * as vscode from 'vscode';
import { isStoredDeviceIdentity, type DeviceIdentityStore, type StoredDeviceIdentity } from '../gateway';
import type { SecretReader } from '../model/tokenSources';

export class SecretDeviceIdentityStore implements DeviceIdentityStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}
  private key(gatewayKey: string) { return `lanewatch.device:${gatewayKey}`; }
  async load(gatewayKey: string): Promise<StoredDeviceIdentity | undefined> {
    const raw = await this.secrets.get(this.key(gatewayKey));
    if (!raw) return undefined;
    try { const parsed: unknown = JSON.parse(raw); return isStoredDeviceIdentity(parsed) ? parsed : undefined; } catch { return undefined; }
  }
  async save(gatewayKey: string, identity: StoredDeviceIdentity): Promise<void> {
    await this.secrets.store(this.key(gatewayKey), JSON.stringify(identity));
  }
}

export class SecretStorageReader implements SecretReader {
  constructor(private readonly secrets: vscode.SecretStorage) {}
  get(key: string) { return Promise.resolve(this.secrets.get(key)); }
}
