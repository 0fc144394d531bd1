// What to do, worded for someone at a terminal. The model's problems and reports carry advice written for the
// extension (its commands and buttons: "Set Gateway Token", "Recover Session…", settings); the CLI says instead
// which `lanewatch` option or command to use. The extension's own wording is not touched.
import type { ConnectionProblem } from '../gateway/problems';

export interface AdviceContext {
  /** The gateway's URL. */
  url: string;
  /** The environment variable the token came from (--token-env), if one was named. */
  tokenEnv?: string;
  /** Why no token was found (the token source's warning: a config file without one, unreadable, …). */
  tokenWarning?: string;
  /** The session the command was about. */
  sessionKey?: string;
}

type ProblemLike = Pick<ConnectionProblem, 'kind' | 'summary' | 'advice'> &
  Partial<Pick<ConnectionProblem, 'requestId' | 'certificateFingerprint' | 'errorCode' | 'detailCode'>>;

const TOKEN_HINT =
  "put the token in an environment variable and pass --gateway URL --token-env NAME (or --config PATH to the gateway's openclaw.json)";

/** One line: what happened and what to do about it, for a terminal. */
export function cliProblemText(p: ProblemLike, ctx: AdviceContext): string {
  const { url } = ctx;
  const tokenFrom = ctx.tokenEnv ? `the token in ${ctx.tokenEnv}` : 'the token';
  const approve = `on the gateway host run: openclaw devices approve ${p.requestId ?? '<requestId>'}${p.requestId ? '' : ' (find the id with: openclaw devices list)'}, then run this command again`;
  switch (p.kind) {
    case 'unreachable':
      return `cannot reach the gateway at ${url}: connection refused — is it running? Start it (openclaw gateway run) or pass the right --gateway URL.`;
    case 'dns':
      return `cannot reach the gateway at ${url}: host not found — check the host name in --gateway URL.`;
    case 'network':
      return `cannot reach the gateway at ${url}: ${p.summary} — check that the host is up and reachable from here, then try again.`;
    case 'bad-url':
      return `${url} is not a valid ws:// or wss:// URL: pass --gateway ws://HOST:PORT.`;
    case 'upgrade-rejected':
    case 'upgrade-timeout':
    case 'bad-challenge':
      return `${url}: ${p.summary} — is this an OpenClaw gateway port? Check --gateway URL.`;
    case 'auth-token-mismatch':
      return `wrong token for ${url}: ${tokenFrom} does not match the gateway's gateway.auth.token. ${ctx.tokenEnv ? `Put the right token in ${ctx.tokenEnv}` : 'Put the right token in an environment variable and pass --token-env NAME after its --gateway URL'}.`;
    case 'auth-required':
      return `${url} needs a token and none was found${ctx.tokenWarning ? ` (${cliText(ctx.tokenWarning)})` : ''}: ${TOKEN_HINT}.`;
    case 'auth-not-configured':
      return `${url}: the gateway has no token configured (gateway.auth.token). Configure one on the gateway host, then pass it with --token-env NAME.`;
    case 'auth-rate-limited':
      return `${url}: too many failed logins — the gateway is rate-limiting this client. Fix ${tokenFrom} (--token-env NAME), then wait a minute before trying again.`;
    case 'device-identity-required':
      return `${url} requires a device identity and a token: ${TOKEN_HINT}. lanewatch signs every connection with its own device key.`;
    case 'pairing-required':
      return `${url} has not approved this device yet: ${approve}.`;
    case 'invalidated':
      return `${url} invalidated this client (auth changed or access revoked): pass a valid token with --token-env NAME, or re-pair the device.`;
    case 'plaintext-remote':
      return `${url} is plain ws:// to another host: the token and every transcript would cross the network unencrypted, so nothing was sent. Use wss:// (or an SSH tunnel to the gateway's loopback port), or allow unencrypted ws:// to it with --allow-plaintext if you accept that.`;
    case 'tls-untrusted':
    case 'tls-pin-mismatch':
      return `${url}: ${p.summary}. ${p.advice}${p.certificateFingerprint ? ` After comparing, pass --tls-fingerprint ${p.certificateFingerprint}.` : ''}`;
    case 'unavailable':
      return `${url}: the gateway is not ready (${p.summary}) — it is starting or busy; try again in a few seconds.`;
    case 'unknown-agent':
      return `${url}: the gateway does not know that agent id (it may have been removed); see lanewatch status.`;
    case 'closed-normal':
    case 'going-away':
    case 'connection-lost':
    case 'server-error':
    case 'restarting':
    case 'starting':
    case 'tick-timeout':
    case 'closed':
    case 'frame-too-large':
    case 'no-challenge':
    case 'hello-timeout':
      return `${url}: ${p.summary}. ${cliText(p.advice)}`;
    default:
      return `${url}: ${p.summary}. ${cliText(p.advice)}`;
  }
}

/** The fix line of `lanewatch status`, by the problem's action (the extension shows a button there). */
export function cliFix(
  p: Pick<ConnectionProblem, 'action'> & Partial<Pick<ConnectionProblem, 'requestId' | 'certificateFingerprint'>>,
  url: string,
): string {
  switch (p.action) {
    case 'set-token':
      return `--gateway ${url} --token-env NAME (the variable holding the token)`;
    case 'approve-pairing':
      return p.requestId
        ? `on the gateway host: openclaw devices approve ${p.requestId}`
        : 'on the gateway host: openclaw devices list, then openclaw devices approve <requestId>';
    case 'check-url':
      return `check the URL: --gateway ws://HOST:PORT (or --config PATH to the gateway's openclaw.json)`;
    case 'upgrade-gateway':
      return 'upgrade the gateway or lanewatch';
    case 'grant-scope':
      return 'on the gateway host: openclaw devices list, then openclaw devices approve <requestId> for the missing scope';
    case 'trust-certificate':
      return p.certificateFingerprint
        ? `after comparing it on the gateway host: --tls-fingerprint ${p.certificateFingerprint}`
        : 'compare the certificate on the gateway host, then pass --tls-fingerprint FP';
    case 'allow-plaintext':
      return 'use wss:// (or an SSH tunnel), or pass --allow-plaintext';
    default:
      return 'run the command again';
  }
}

/**
 * Rewrites the extension's wording in a model text (a report summary, a step message, a token warning) into the
 * terminal's. Only phrases known to name a VS Code command, button or setting are replaced.
 */
export function cliText(text: string, ctx: { sessionKey?: string } = {}): string {
  const key = ctx.sessionKey ?? 'KEY';
  return text
    .replace(/(?:use |run )?"Lanewatch: Set Gateway Token"(?: with [^.;]*)?/g, 'pass the token with --token-env NAME')
    .replace(/run "Recover Session…"/g, `run lanewatch recover ${key} --yes`)
    .replace(/"Recover Session…"/g, `lanewatch recover ${key} --yes`)
    .replace(
      /"Restart Gateway…" offers stop \+ start/g,
      'lanewatch restart --stop stops it (then start it again yourself)',
    )
    .replace(/"Restart Gateway…"/g, 'lanewatch restart')
    .replace(/try again with "restart now"/g, 'try again with lanewatch restart --now')
    .replace(/ in lanewatch\.gateways/g, ' (--gateway URL)')
    .replace(/Check the URL in settings/g, 'Check --gateway URL')
    .replace(/;? ?Lanewatch reconnects by itself\./g, '.')
    .replace(/ ?Lanewatch (?:retries|reconnects)[^.]*\./g, ' Try again shortly.')
    .replace(/\.\s*\./g, '.');
}

/** A step message without the outcome the step line already shows ("refused: refused: …"). */
export function stripOutcomePrefix(message: string, outcome: string): string {
  return message.startsWith(`${outcome}: `) ? message.slice(outcome.length + 2) : message;
}
