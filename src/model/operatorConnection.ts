// A short-lived connection for one action (abort, reset, restart, send), with exactly the scopes that action
// needs: the watcher's own connection stays read-only (least privilege, as the OpenClaw CLI does it).
import { GatewayApi, GatewayConnection, type OperatorScope } from '../gateway';
import type { Fleet } from './fleet';
import type { GatewayConfig } from './gatewaySettings';
import type { RunEvidenceSource } from './recovery';

/** Abort needs admin on 2026.9.6: a write-only device gets "unauthorized" aborting a session it does not own. */
export const RECOVERY_SCOPES: OperatorScope[] = ['operator.read', 'operator.write', 'operator.admin'];
export const RESTART_SCOPES: OperatorScope[] = ['operator.read', 'operator.admin'];

export async function withOperatorConnection<T>(
  fleet: Fleet, config: GatewayConfig, scopes: OperatorScope[], signal: AbortSignal | undefined,
  fn: (api: GatewayApi, connection: GatewayConnection) => Promise<T>, reconnect = false,
): Promise<T> {
  const c = new GatewayConnection({
    url: config.url, credentials: () => fleet.credentialsFor(config), scopes, identityStore: fleet.identityStore,
    // One device per scope set: a device paired with read only would need a scope-upgrade approval to abort.
    identityKey: `${config.name}|${config.url}|${scopes.join(',')}`, clientVersion: fleet.clientVersion, clientDisplayName: 'Lanewatch command', reconnect,
    ...fleet.connectionSecurity(config),
  });
  try {
    c.start();
    await c.waitForConnected(60_000, signal); // 2026.4.x may take 20 s and more to answer connect while it loads plugins
    // Recovery waits for sessions.changed to see a session settle.
    await new GatewayApi(c).sessionsSubscribe({}).catch(() => undefined);
    return await fn(new GatewayApi(c), c);
  } finally {
    c.dispose();
  }
}

/** The fleet watcher's live-run evidence for recovery on protocol 3 gateways (undefined when not watched). */
export function evidenceFor(fleet: Fleet, config: GatewayConfig): RunEvidenceSource | undefined {
  return fleet.gateway(config.name)?.evidenceSource();
}
