// A Fleet watching one gateway (a scripted one, by its URL) and the Gateways tree over it, as the tree tests set them
// up: the gateway is named "gw"; both are disposed with the test file's other disposables.
import { MemoryDeviceIdentityStore } from '../../src/gateway';
import { Fleet } from '../../src/fleet/fleet';
import { FleetTreeProvider } from '../../src/vscode/fleetTree';

export function fleetTreeOn(url: string, disposables: Array<{ dispose(): void }>) {
  const fleet = new Fleet({
    secrets: { get: async () => 't' },
    identityStore: new MemoryDeviceIdentityStore(),
    clientVersion: 'test',
    requestTimeoutMs: 5000,
    log: () => {},
  });
  const tree = new FleetTreeProvider(fleet);
  disposables.push(tree, { dispose: () => fleet.setGateways([], []) });
  fleet.setGateways([{ name: 'gw', url, source: 'settings' }], []);
  return { fleet, tree, watcher: fleet.gateway('gw')! };
}
