// The session key the gateway itself uses. OpenClaw keys sessions `agent:<agentId>:<rest>`; a bare key such as
// `idle` is canonicalised by the gateway to `agent:<defaultAgentId>:idle`, and its events, rows and replies carry
// that canonical key. Acting on or waiting for the bare key would miss all of them.
import type { GatewayApi } from '../gateway';
import { findSessionRow } from '../actions/recovery';

export interface ResolvedSessionKey {
  /** What the user gave. */
  input: string;
  /** The key the gateway uses for it. */
  key: string;
  /** key !== input. */
  changed: boolean;
  /** A session with exactly `key` exists on the gateway now. */
  exists: boolean;
  /** For a bare key: the agent it was given to, and whether the gateway named it (false: fell back to "main"). */
  agentId?: string;
  agentFromGateway?: boolean;
}

/** `agent:<id>:<rest>` with a non-empty id and rest. */
export function isCanonicalSessionKey(key: string): boolean {
  return /^agent:[^:]+:.+/.test(key);
}

export async function resolveSessionKey(
  api: GatewayApi,
  key: string,
  signal?: AbortSignal,
): Promise<ResolvedSessionKey> {
  let canonical = key,
    agentId: string | undefined,
    agentFromGateway: boolean | undefined;
  if (!isCanonicalSessionKey(key)) {
    const list = await api.agentsList({ signal });
    const named = typeof list?.defaultId === 'string' && list.defaultId ? list.defaultId : undefined;
    agentId = named ?? 'main';
    agentFromGateway = named !== undefined;
    canonical = `agent:${agentId}:${key}`;
  }
  const row = await findSessionRow(api, canonical, signal);
  return {
    input: key,
    key: canonical,
    changed: canonical !== key,
    exists: row !== undefined,
    ...(agentId !== undefined ? { agentId, agentFromGateway } : {}),
  };
}
