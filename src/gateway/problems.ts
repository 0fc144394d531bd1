// Turns what the gateway (or the network) said into something a person can act on.
// Every close code and every error `details.code` the extension may meet maps to: a short reason, a sentence
// that says what to do, an action the UI can offer, and whether reconnecting on our own makes sense.
import { ConnectErrorDetailCodes } from '@openclaw/gateway-protocol/connect-error-details';
import { ErrorCodes, GatewayErrorDetailCodes } from '@openclaw/gateway-protocol/gateway-error-details';
import type { ReachabilityCase } from './reachability';

export type FixAction =
  | 'set-token'
  | 'approve-pairing'
  | 'retry'
  | 'upgrade-gateway'
  | 'check-url'
  | 'grant-scope'
  | 'trust-certificate'
  | 'allow-plaintext'
  | 'none';

/** How the connection should react to a problem. */
export type ReconnectPolicy =
  | 'prompt' // the gateway said it is restarting: come back right away
  | 'backoff' // transient: retry with exponential backoff
  | 'slow' // needs a human elsewhere (pairing approval): retry rarely to notice when it is done
  | 'stop'; // retrying cannot help (wrong token, protocol mismatch): wait for the user

export interface ConnectionProblem {
  /** Stable machine-readable kind, e.g. `auth-token-mismatch`, `restarting`, `tick-timeout`. */
  kind: string;
  /** One line for a tree item or status bar. */
  summary: string;
  /** What to do about it, in the user's terms. */
  advice: string;
  action: FixAction;
  reconnect: ReconnectPolicy;
  closeCode?: number;
  closeReason?: string;
  errorCode?: string;
  detailCode?: string;
  /** For pairing: the id to pass to `openclaw devices approve`. */
  requestId?: string;
  /** For pairing: what the pending request asks for, to say why the gateway asks (again). */
  pairing?: PairingAsk;
  retryAfterMs?: number;
  /** For a rejected wss:// certificate: its SHA-256 fingerprint (`AB:CD:…`), to compare and pin. */
  certificateFingerprint?: string;
  /** The gateway's HTTP probes are being asked, to name this failure (reachability.ts); a verdict follows. */
  diagnosing?: boolean;
  /** What the HTTP probes said about this failure: the case they name, if any, and their figures. */
  diagnosis?: { case?: ReachabilityCase; http: string; wsSummary: string };
}

/**
 * What a pairing request asks for. OpenClaw 2026.9 names it in the error's details (`reason`: not-paired,
 * scope-upgrade, role-upgrade, metadata-upgrade; `requestedScopes`, `approvedScopes`); older versions say only
 * "pairing required", and then the scopes are the ones this connection asked for.
 */
export interface PairingAsk {
  reason?: string;
  requestedScopes: string[];
  approvedScopes?: string[];
}

export interface GatewayErrorShape {
  code: string;
  message: string;
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function detailCodeOf(error: GatewayErrorShape | undefined): string | undefined {
  return str(record(error?.details).code);
}

/** openclaw 2026.3/2026.4 report a missing scope only in the message: `missing scope: operator.read`. */
export function missingScopeOf(error: GatewayErrorShape | undefined): string | undefined {
  if (!error) return undefined;
  const details = record(error.details);
  if (details.code === GatewayErrorDetailCodes.MISSING_SCOPE)
    return str(details.missingScope) ?? str((details.requiredScopes as unknown[] | undefined)?.[0]);
  const m = /missing scope:\s*([\w.]+)/i.exec(error.message);
  return m?.[1];
}

function pairingRequestId(error: GatewayErrorShape): string | undefined {
  const d = record(error.details);
  return str(d.requestId) ?? str(record(d.pairing).requestId) ?? /requestId[=: ]+([\w-]+)/.exec(error.message)?.[1];
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;

function pairingAsk(error: GatewayErrorShape, requestedScopes: readonly string[] | undefined): PairingAsk {
  const d = record(error.details);
  const reason = str(d.reason);
  return {
    ...(reason && /^[a-z-]{1,40}$/.test(reason) ? { reason } : {}),
    requestedScopes: strings(d.requestedScopes) ?? [...(requestedScopes ?? [])],
    ...(strings(d.approvedScopes) ? { approvedScopes: strings(d.approvedScopes) } : {}),
  };
}

/** Scopes beyond reading: what a command (recover, abort, reset, restart, send) asks for and the tree never does. */
export function pairingExtraScopes(ask: PairingAsk): string[] {
  const approved = new Set(ask.approvedScopes ?? ['operator.read']);
  return ask.requestedScopes.filter((s) => !approved.has(s));
}

/**
 * The pairing problem's short words and first sentence. A device asking for more than reading is asking again: the
 * read-only access the tree and `lanewatch status` use is approved on its own (one device per scope set, see
 * src/actions/operatorConnection.ts), so approving it never grants a command's scopes, and the gateway holds a new
 * request that the operator must approve too.
 */
function pairingWords(ask: PairingAsk, approve: string): { summary: string; advice: string } {
  const extra = pairingExtraScopes(ask);
  if (ask.reason === 'scope-upgrade' || ask.reason === 'role-upgrade')
    return {
      summary: `waiting for approval of more scopes (${extra.join(', ') || ask.requestedScopes.join(', ')})`,
      advice: `This gateway asks for approval again: this device is approved for ${ask.approvedScopes?.join(', ') || 'less'}, and now asks for ${ask.requestedScopes.join(', ')}. On the gateway host run: ${approve}.`,
    };
  if (ask.reason === 'metadata-upgrade')
    return {
      summary: 'waiting for approval again (device details changed)',
      advice: `This gateway asks for approval again because this device's details changed. On the gateway host run: ${approve}.`,
    };
  if (extra.length)
    return {
      summary: `waiting for approval of ${extra.join(', ')}`,
      advice: `This gateway asks for approval again: this action needs ${ask.requestedScopes.join(', ')}, more than the read-only access Lanewatch watches with (approved on its own), and the gateway has not approved that yet. On the gateway host run: ${approve}, then run the action again.`,
    };
  return {
    summary: 'waiting for pairing approval',
    advice: `This gateway needs to approve Lanewatch's device first. On the gateway host run: ${approve}.`,
  };
}

/** Advice for an error returned by a method call or by `connect`. */
export function describeGatewayError(
  error: GatewayErrorShape,
  context: { method?: string; requestedScopes?: readonly string[] } = {},
): ConnectionProblem {
  const detail = detailCodeOf(error);
  const base = { errorCode: error.code, detailCode: detail, retryAfterMs: error.retryAfterMs };
  const scope = missingScopeOf(error);
  if (scope) {
    return {
      ...base,
      kind: 'missing-scope',
      summary: `missing scope ${scope}`,
      advice: `The gateway refused ${context.method ?? 'the call'}: this connection lacks ${scope}. Lanewatch asks for it only for the commands that need it; if it was asked for and not granted, the device needs approval for that scope (openclaw devices list, then openclaw devices approve <requestId>).`,
      action: 'grant-scope',
      reconnect: 'stop',
    };
  }
  switch (detail) {
    case ConnectErrorDetailCodes.AUTH_TOKEN_MISMATCH:
      return {
        ...base,
        kind: 'auth-token-mismatch',
        summary: 'wrong token',
        advice:
          'The token does not match this gateway\'s gateway.auth.token. Run "Lanewatch: Set Gateway Token" with the token from that gateway\'s openclaw.json (or OPENCLAW_GATEWAY_TOKEN).',
        action: 'set-token',
        reconnect: 'stop',
      };
    case ConnectErrorDetailCodes.AUTH_TOKEN_MISSING:
    case ConnectErrorDetailCodes.AUTH_REQUIRED:
    case ConnectErrorDetailCodes.AUTH_UNAUTHORIZED:
      return {
        ...base,
        kind: 'auth-required',
        summary: 'token required',
        advice:
          'This gateway needs a token. Run "Lanewatch: Set Gateway Token", or set configPath to the gateway\'s openclaw.json.',
        action: 'set-token',
        reconnect: 'stop',
      };
    case ConnectErrorDetailCodes.AUTH_PASSWORD_MISSING:
    case ConnectErrorDetailCodes.AUTH_PASSWORD_MISMATCH:
    case ConnectErrorDetailCodes.AUTH_PASSWORD_NOT_CONFIGURED:
      return {
        ...base,
        kind: 'auth-password',
        summary: 'password auth',
        advice:
          'This gateway uses password auth (gateway.auth.mode "password"); Lanewatch supports token auth. Switch the gateway to token auth or use a token-auth gateway.',
        action: 'set-token',
        reconnect: 'stop',
      };
    case ConnectErrorDetailCodes.AUTH_TOKEN_NOT_CONFIGURED:
      return {
        ...base,
        kind: 'auth-not-configured',
        summary: 'gateway has no token',
        advice:
          'The gateway has no token configured (gateway.auth.token). Configure one on the gateway, then set it in Lanewatch.',
        action: 'set-token',
        reconnect: 'stop',
      };
    case ConnectErrorDetailCodes.AUTH_RATE_LIMITED:
      return {
        ...base,
        kind: 'auth-rate-limited',
        summary: 'too many failed logins',
        advice:
          'The gateway is rate-limiting this client after failed logins. Fix the token, then wait a minute before reconnecting.',
        action: 'set-token',
        reconnect: 'stop',
      };
    case ConnectErrorDetailCodes.AUTH_DEVICE_TOKEN_MISMATCH:
    case ConnectErrorDetailCodes.AUTH_SCOPE_MISMATCH:
      return {
        ...base,
        kind: 'auth-device',
        summary: 'device credentials rejected',
        advice:
          'The gateway rejected this device\'s credentials (revoked or changed). Remove the device with "openclaw devices remove" and reconnect to pair again.',
        action: 'approve-pairing',
        reconnect: 'stop',
      };
    case ConnectErrorDetailCodes.PAIRING_REQUIRED:
    case 'NOT_PAIRED': {
      const requestId = pairingRequestId(error);
      const pairing = pairingAsk(error, context.requestedScopes);
      const words = pairingWords(
        pairing,
        `openclaw devices approve ${requestId ?? '<requestId>'}${requestId ? '' : ' (find the id with: openclaw devices list)'}`,
      );
      return {
        ...base,
        kind: 'pairing-required',
        summary: words.summary,
        requestId,
        pairing,
        advice: pairingExtraScopes(pairing).length
          ? words.advice
          : `${words.advice} Lanewatch retries every 30 s and connects once approved.`,
        action: 'approve-pairing',
        reconnect: 'slow',
      };
    }
    case ConnectErrorDetailCodes.DEVICE_IDENTITY_REQUIRED:
      return {
        ...base,
        kind: 'device-identity-required',
        summary: 'device identity required',
        advice:
          'The gateway requires a device identity and a token. Set the gateway token; Lanewatch signs every connection with its own device key.',
        action: 'set-token',
        reconnect: 'stop',
      };
    case ConnectErrorDetailCodes.PROTOCOL_MISMATCH:
      return {
        ...base,
        kind: 'protocol-mismatch',
        summary: 'protocol version not supported',
        advice: `The gateway speaks a protocol outside 3–4 (${JSON.stringify(record(error.details).expectedProtocol ?? 'unknown')}). Lanewatch supports openclaw 2026.3.x and later; upgrade the gateway or Lanewatch.`,
        action: 'upgrade-gateway',
        reconnect: 'stop',
      };
    case ConnectErrorDetailCodes.CLIENT_VERSION_MISMATCH:
      return {
        ...base,
        kind: 'client-version',
        summary: 'client version refused',
        advice: 'The gateway refuses this client version. Update Lanewatch or the gateway.',
        action: 'upgrade-gateway',
        reconnect: 'stop',
      };
    case GatewayErrorDetailCodes.UNKNOWN_AGENT_ID:
      return {
        ...base,
        kind: 'unknown-agent',
        summary: 'unknown agent',
        advice: 'The gateway does not know that agent id; refresh the tree (the agent may have been removed).',
        action: 'retry',
        reconnect: 'stop',
      };
    default:
      break;
  }
  if (detail?.startsWith('DEVICE_AUTH_')) {
    return {
      ...base,
      kind: 'device-auth-invalid',
      summary: 'device signature rejected',
      advice: `The gateway rejected the device signature (${detail}). Check the machine clock; if it persists, report it with the connection report.`,
      action: 'retry',
      reconnect: 'backoff',
    };
  }
  if (/protocol mismatch/i.test(error.message)) {
    const expected = record(error.details).expectedProtocol;
    return {
      ...base,
      kind: 'protocol-mismatch',
      summary: `protocol mismatch (gateway speaks ${String(expected ?? '?')})`,
      advice: 'The gateway speaks a protocol Lanewatch does not offer (3–4). Upgrade the gateway or Lanewatch.',
      action: 'upgrade-gateway',
      reconnect: 'stop',
    };
  }
  if (/invalid connect params/i.test(error.message)) {
    return {
      ...base,
      kind: 'connect-rejected',
      summary: 'connect rejected by schema',
      advice: `The gateway rejected Lanewatch's connect request (${error.message}). This gateway version is not supported yet; please report it.`,
      action: 'upgrade-gateway',
      reconnect: 'stop',
    };
  }
  if (error.code === ErrorCodes.UNAVAILABLE) {
    return {
      ...base,
      kind: 'unavailable',
      summary: 'gateway busy or starting',
      advice: `The gateway is not ready (${error.message}). Lanewatch retries automatically.`,
      action: 'retry',
      reconnect: 'backoff',
    };
  }
  if (error.code === ErrorCodes.NOT_PAIRED) {
    return describeGatewayError(
      { ...error, details: { ...record(error.details), code: ConnectErrorDetailCodes.PAIRING_REQUIRED } },
      context,
    );
  }
  if (error.code === ErrorCodes.FORBIDDEN) {
    return {
      ...base,
      kind: 'forbidden',
      summary: 'not allowed',
      advice: `The gateway refused ${context.method ?? 'the call'}: ${error.message}`,
      action: 'grant-scope',
      reconnect: 'stop',
    };
  }
  return {
    ...base,
    kind: 'request-failed',
    summary: error.message.slice(0, 120),
    advice: `${context.method ?? 'The call'} failed: ${error.message}`,
    action: 'none',
    reconnect: 'backoff',
  };
}

/** What a close code means when no error frame explained it first. */
export function describeClose(code: number, reason: string): ConnectionProblem {
  const base = { closeCode: code, closeReason: reason };
  switch (code) {
    case 1000:
      return {
        ...base,
        kind: 'closed-normal',
        summary: 'gateway closed the connection (1000 normal closure)',
        advice:
          'The gateway ended the connection normally. Before the handshake finished this usually means its pre-auth handshake timeout passed (the gateway is overloaded or its event loop is blocked). Lanewatch reconnects.',
        action: 'retry',
        reconnect: 'backoff',
      };
    case 1001:
      return {
        ...base,
        kind: 'going-away',
        summary: 'gateway going away',
        advice: 'The gateway is shutting down. Lanewatch reconnects when it is back.',
        action: 'retry',
        reconnect: 'backoff',
      };
    case 1002:
      return {
        ...base,
        kind: 'protocol-mismatch',
        summary: 'protocol mismatch (1002)',
        advice: 'The gateway speaks a protocol Lanewatch does not offer (3–4). Upgrade the gateway or Lanewatch.',
        action: 'upgrade-gateway',
        reconnect: 'stop',
      };
    case 1005:
    case 1006:
      return {
        ...base,
        kind: 'connection-lost',
        summary: `connection lost (${code})`,
        advice:
          'The connection dropped without a close frame: the gateway process died or the network broke. Lanewatch reconnects with backoff.',
        action: 'retry',
        reconnect: 'backoff',
      };
    case 1008:
      return {
        ...base,
        kind: 'policy-violation',
        summary: `rejected by gateway (1008${reason ? `: ${reason}` : ''})`,
        advice:
          'The gateway rejected the connection (authentication, pairing or an invalid handshake). Check the token and pairing.',
        action: 'set-token',
        reconnect: 'stop',
      };
    case 1009:
      return {
        ...base,
        kind: 'frame-too-large',
        summary: 'frame too large (1009)',
        advice: 'A frame exceeded the size limit. Lanewatch reconnects; if it repeats, a session payload is oversized.',
        action: 'retry',
        reconnect: 'backoff',
      };
    case 1011:
      return {
        ...base,
        kind: 'server-error',
        summary: 'gateway internal error (1011)',
        advice:
          'The gateway hit an internal error (handler unavailable or stale install). Check the gateway log; Lanewatch retries.',
        action: 'retry',
        reconnect: 'backoff',
      };
    case 1012:
      return {
        ...base,
        kind: 'restarting',
        summary: 'gateway restarting (1012)',
        advice: 'The gateway is restarting. Lanewatch reconnects as soon as it is back.',
        action: 'none',
        reconnect: 'prompt',
      };
    case 1013:
      return {
        ...base,
        kind: 'starting',
        summary: 'gateway starting (1013)',
        advice: 'The gateway is starting or not admitting work yet. Lanewatch retries shortly.',
        action: 'none',
        reconnect: 'backoff',
      };
    case 4000:
      return {
        ...base,
        kind: 'tick-timeout',
        summary: 'gateway went silent',
        advice:
          "No frame (not even a tick) arrived for more than twice the tick interval: the link or the gateway's event loop is stuck. Lanewatch reconnects.",
        action: 'retry',
        reconnect: 'backoff',
      };
    case 4001:
      return {
        ...base,
        kind: 'invalidated',
        summary: 'access revoked',
        advice:
          'The gateway invalidated this client (auth changed or access revoked). Set the token again or re-pair the device.',
        action: 'set-token',
        reconnect: 'stop',
      };
    default:
      return {
        ...base,
        kind: 'closed',
        summary: `connection closed (${code}${reason ? `: ${reason}` : ''})`,
        advice: 'The connection closed. Lanewatch reconnects with backoff.',
        action: 'retry',
        reconnect: 'backoff',
      };
  }
}

/** Socket-level failures before or during the upgrade (no close code). */
export function describeTransportError(
  err: NodeJS.ErrnoException & { statusCode?: number },
  url: string,
): ConnectionProblem {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED')
    return {
      kind: 'unreachable',
      summary: 'not running (connection refused)',
      advice: `Nothing listens at ${url}. Start the gateway (openclaw gateway run) or fix the URL; Lanewatch retries.`,
      action: 'check-url',
      reconnect: 'backoff',
    };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return {
      kind: 'dns',
      summary: 'host not found',
      advice: `The host in ${url} does not resolve. Fix the URL in lanewatch.gateways.`,
      action: 'check-url',
      reconnect: 'backoff',
    };
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return {
      kind: 'network',
      summary: `network error (${code})`,
      advice: `The network to ${url} failed (${code}). Lanewatch retries.`,
      action: 'retry',
      reconnect: 'backoff',
    };
  if (code.startsWith('ERR_TLS') || /certificate|self[- ]signed/i.test(err.message))
    return {
      kind: 'tls',
      summary: 'TLS certificate rejected',
      advice: `The certificate of ${url} was not accepted (${err.message}).`,
      action: 'check-url',
      reconnect: 'stop',
    };
  if (err.statusCode)
    return {
      kind: 'upgrade-rejected',
      summary: `HTTP ${err.statusCode} instead of a WebSocket`,
      advice: `${url} answered HTTP ${err.statusCode} to the WebSocket upgrade: is this an OpenClaw gateway port?`,
      action: 'check-url',
      reconnect: 'backoff',
    };
  return {
    kind: 'transport',
    summary: err.message.slice(0, 120) || 'connection failed',
    advice: `Connecting to ${url} failed: ${err.message}`,
    action: 'retry',
    reconnect: 'backoff',
  };
}
