// Where a gateway's token comes from, in order: the user's SecretStorage entry, the gateway's own
// openclaw.json (configPath), then OPENCLAW_GATEWAY_TOKEN. The token itself never leaves this function
// except into the connect frame; callers log only `source`.
import { readOpenClawConfig } from './openclawConfig';
import type { GatewayConfig } from './gatewaySettings';

export interface SecretReader {
  get(key: string): Promise<string | undefined>;
  /** What a token this reader returns is reported as (default: secret-storage; the CLI's --token-env: environment). */
  readonly source?: TokenSource;
}

export type TokenSource = 'secret-storage' | 'config-file' | 'environment' | 'none';

export interface ResolvedToken {
  token?: string;
  source: TokenSource;
  warning?: string;
}

export const tokenSecretKey = (gateway: Pick<GatewayConfig, 'name' | 'url'>): string =>
  `lanewatch.token:${gateway.name}:${gateway.url}`;

function sameEndpoint(a: string, b: string): boolean {
  try {
    const x = new URL(a),
      y = new URL(b);
    const norm = (h: string) => (h === 'localhost' || h === '[::1]' ? '127.0.0.1' : h);
    return x.protocol === y.protocol && norm(x.hostname) === norm(y.hostname) && x.port === y.port;
  } catch {
    return false;
  }
}

export async function resolveToken(
  gateway: GatewayConfig,
  secrets: SecretReader,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedToken> {
  const stored = await secrets.get(tokenSecretKey(gateway));
  if (stored) return { token: stored, source: secrets.source ?? 'secret-storage' };
  let warning: string | undefined;
  if (gateway.configPath) {
    try {
      const facts = await readOpenClawConfig(gateway.configPath);
      // The remote gateway the config points at authenticates with gateway.remote.token, as the OpenClaw CLI does.
      const remote = facts.remote?.url && sameEndpoint(facts.remote.url, gateway.url) ? facts.remote : undefined;
      if (remote?.token) return { token: remote.token, source: 'config-file' };
      if (!remote && facts.token) return { token: facts.token, source: 'config-file' };
      warning = remote?.tokenIsSecretRef
        ? `${gateway.configPath} keeps gateway.remote.token as a SecretRef, which Lanewatch does not resolve: use "Lanewatch: Set Gateway Token"`
        : `${gateway.configPath} has no ${remote ? 'gateway.remote.token' : 'gateway.auth.token'}`;
    } catch (err) {
      warning = (err as Error).message;
    }
  }
  const envToken = env.OPENCLAW_GATEWAY_TOKEN;
  if (envToken && (!env.OPENCLAW_GATEWAY_URL || sameEndpoint(env.OPENCLAW_GATEWAY_URL, gateway.url)))
    return { token: envToken, source: 'environment', warning };
  return { source: 'none', warning };
}
