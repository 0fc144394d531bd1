// A GatewayWatcher on a fixture gateway (scripts/fixtures/openclaw-gateway.mjs), as the real-gateway suites make it:
// the gateway's token, a device identity of its own, and a slow log poll (the suites read what they need themselves).
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { GatewayWatcher, type WatcherOptions } from '../../src/fleet/gatewayWatcher';

export function watcherOn(
  gw: { url: string; token: string },
  name: string,
  extra: Partial<WatcherOptions> = {},
): GatewayWatcher {
  return new GatewayWatcher({
    config: { name, url: gw.url, source: 'settings' },
    credentials: async () => ({ token: gw.token }),
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: '0.1.0-it',
    requestTimeoutMs: 60_000,
    log: () => {},
    pollIntervalMs: 60_000,
    ...extra,
  });
}
