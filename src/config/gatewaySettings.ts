import { normalizeFingerprint } from '../gateway/transportSecurity';

// Validates the `lanewatch.gateways` setting. A bad entry is reported with the setting path and a fix,
// and never stops the valid entries from working.
export interface GatewayConfig {
  /** Unique label; also the key for the token and device identity in SecretStorage. */
  name: string;
  url: string;
  configPath?: string;
  /** wss:// only: trust the certificate with this SHA-256 fingerprint (`AB:CD:…`), e.g. the gateway's self-signed one. */
  tlsFingerprint?: string;
  /** Where this entry came from, for the tree tooltip. */
  source: 'settings' | 'env' | 'openclaw-config' | 'lock-file';
}

export interface SettingProblem {
  index: number;
  setting: string;
  message: string;
}

export interface ParsedGatewaySettings {
  gateways: GatewayConfig[];
  problems: SettingProblem[];
}

const SETTING = 'lanewatch.gateways';

export function validateGatewayUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw}" is not a URL; use ws://host:port, e.g. ws://127.0.0.1:18789`;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    return `"${raw}" must start with ws:// or wss:// (the gateway's WebSocket), not ${url.protocol}//`;
  if (!url.hostname) return `"${raw}" has no host`;
  if (url.username || url.password)
    return `"${raw}" must not carry credentials; set the token with "Lanewatch: Set Gateway Token"`;
  return undefined;
}

export function parseGatewaySettings(value: unknown): ParsedGatewaySettings {
  const gateways: GatewayConfig[] = [];
  const problems: SettingProblem[] = [];
  if (value === undefined || value === null) return { gateways, problems };
  if (!Array.isArray(value)) {
    problems.push({ index: -1, setting: SETTING, message: `${SETTING} must be an array of { name, url } objects` });
    return { gateways, problems };
  }
  const seen = new Set<string>();
  value.forEach((entry, index) => {
    const at = `${SETTING}[${index}]`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push({ index, setting: at, message: `${at} must be an object with name and url` });
      return;
    }
    const e = entry as Record<string, unknown>;
    const name = typeof e.name === 'string' ? e.name.trim() : '';
    if (!name) {
      problems.push({ index, setting: `${at}.name`, message: `${at}.name is missing; give the gateway a label` });
      return;
    }
    if (typeof e.url !== 'string') {
      problems.push({ index, setting: `${at}.url`, message: `${at}.url is missing (gateway "${name}")` });
      return;
    }
    const urlProblem = validateGatewayUrl(e.url.trim());
    if (urlProblem) {
      problems.push({ index, setting: `${at}.url`, message: `${at}.url: ${urlProblem}` });
      return;
    }
    if (e.configPath !== undefined && typeof e.configPath !== 'string') {
      problems.push({ index, setting: `${at}.configPath`, message: `${at}.configPath must be a file path string` });
      return;
    }
    if ('token' in e)
      problems.push({
        index,
        setting: `${at}.token`,
        message: `${at}.token is ignored: tokens never live in settings. Use "Lanewatch: Set Gateway Token" and remove it from settings.json`,
      });
    let tlsFingerprint: string | undefined;
    if (e.tlsFingerprint !== undefined) {
      tlsFingerprint = typeof e.tlsFingerprint === 'string' ? normalizeFingerprint(e.tlsFingerprint) : undefined;
      if (!tlsFingerprint) {
        problems.push({
          index,
          setting: `${at}.tlsFingerprint`,
          message: `${at}.tlsFingerprint must be a SHA-256 fingerprint: 64 hex digits, colons optional (openssl x509 -noout -fingerprint -sha256 -in <certificate>)`,
        });
        return;
      }
      if (!e.url.trim().startsWith('wss:')) {
        problems.push({
          index,
          setting: `${at}.tlsFingerprint`,
          message: `${at}.tlsFingerprint only applies to wss:// URLs (gateway "${name}" uses ${e.url.trim().split(':')[0]}://); it is ignored`,
        });
        tlsFingerprint = undefined;
      }
    }
    if (seen.has(name.toLowerCase())) {
      problems.push({
        index,
        setting: `${at}.name`,
        message: `${at}.name "${name}" is used twice; names must be unique`,
      });
      return;
    }
    seen.add(name.toLowerCase());
    gateways.push({
      name,
      url: e.url.trim().replace(/\/+$/, ''),
      configPath: typeof e.configPath === 'string' && e.configPath.trim() ? e.configPath.trim() : undefined,
      ...(tlsFingerprint ? { tlsFingerprint } : {}),
      source: 'settings',
    });
  });
  return { gateways, problems };
}
