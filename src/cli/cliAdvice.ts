// What to do, worded for someone at a terminal, keyed by the kind of outcome — never by rewriting the extension's words.
// A connection problem's advice is chosen by the problem's kind (the extension shows its own advice and buttons for
// the same kinds); an action's next step by its report's outcome kind (src/actions/actionReport.ts), the same kinds the
// extension words as its commands ("Restart Gateway…", "Recover Session…").
import { pairingExtraScopes, type ConnectionProblem } from '../gateway/problems';
import type { ActionReport } from '../actions/actionReport';

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
  Partial<
    Pick<
      ConnectionProblem,
      'requestId' | 'certificateFingerprint' | 'errorCode' | 'detailCode' | 'diagnosis' | 'pairing'
    >
  >;

const TOKEN_HINT =
  "put the token in an environment variable and pass --gateway URL --token-env NAME (or --config PATH to the gateway's openclaw.json)";

/** One line: what happened and what to do about it, for a terminal. */
export function cliProblemText(p: ProblemLike, ctx: AdviceContext): string {
  const { url } = ctx;
  const tokenFrom = ctx.tokenEnv ? `the token in ${ctx.tokenEnv}` : 'the token';
  const approve = `on the gateway host run: openclaw devices approve ${p.requestId ?? '<requestId>'}${p.requestId ? '' : ' (find the id with: openclaw devices list)'}, then run this command again`;
  // A case the gateway's HTTP probes named: its advice names only openclaw commands, fit for a terminal as it is.
  if (p.diagnosis?.case) return `${url}: ${p.summary}. ${p.advice}`;
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
      return `${url} needs a token and none was found${ctx.tokenWarning ? ` (${tokenWarningText(ctx.tokenWarning)})` : ''}: ${TOKEN_HINT}.`;
    case 'auth-not-configured':
      return `${url}: the gateway has no token configured (gateway.auth.token). Configure one on the gateway host, then pass it with --token-env NAME.`;
    case 'auth-rate-limited':
      return `${url}: too many failed logins — the gateway is rate-limiting this client. Fix ${tokenFrom} (--token-env NAME), then wait a minute before trying again.`;
    case 'device-identity-required':
      return `${url} requires a device identity and a token: ${TOKEN_HINT}. lanewatch signs every connection with its own device key.`;
    case 'pairing-required': {
      // A command's scopes are approved apart from the read-only access `status` uses: say that this is a second ask.
      const extra = p.pairing ? pairingExtraScopes(p.pairing) : [];
      if (extra.length)
        return `${url} asks for approval again: this command needs ${extra.join(', ')} (more than the read-only access lanewatch status uses, which is approved on its own): ${approve}.`;
      return `${url} has not approved this device yet: ${approve}.`;
    }
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
      return `${url}: ${p.summary}. Before the handshake finished this usually means the gateway's pre-auth handshake timeout passed (it is overloaded or its event loop is blocked): try again.`;
    case 'going-away':
      return `${url}: the gateway is shutting down; try again when it is back.`;
    case 'restarting':
      return `${url}: the gateway is restarting; try again in a few seconds.`;
    case 'starting':
      return `${url}: the gateway is starting or not admitting work yet; try again in a few seconds.`;
    case 'connection-lost':
      return `${url}: ${p.summary}: the gateway process died or the network broke. Check that the gateway runs, then try again.`;
    case 'server-error':
      return `${url}: ${p.summary}: the gateway hit an internal error (handler unavailable or stale install). Check the gateway log, then try again.`;
    case 'tick-timeout':
      return `${url}: ${p.summary}: no frame arrived for more than twice the tick interval (the link or the gateway's event loop is stuck). Try again.`;
    case 'frame-too-large':
      return `${url}: ${p.summary}: a frame exceeded the size limit; if it repeats, a session payload is oversized.`;
    case 'closed':
      return `${url}: ${p.summary}. Try again.`;
    case 'policy-violation':
      return `${url}: ${p.summary}: check the token (--token-env NAME) and the pairing (openclaw devices list).`;
    case 'auth-device':
      return `${url}: ${p.summary}: remove the device with "openclaw devices remove" on the gateway host, then run this command again to pair it anew.`;
    case 'device-auth-invalid':
      return `${url}: ${p.summary}: check this machine's clock; if it persists, report it with the output of lanewatch status --json.`;
    default:
      // The remaining kinds' advice names no VS Code command, button or setting (it says what the gateway did and
      // what to check on it): said as is.
      return `${url}: ${p.summary}. ${p.advice}`;
  }
}

/**
 * The token source's warning (why no token was found). It comes from src/config, worded for both faces; its closing
 * pointer to the extension's token command is the one clause a terminal cannot use, and is left off.
 */
function tokenWarningText(warning: string): string {
  const i = warning.indexOf(': use "Lanewatch: Set Gateway Token"');
  return i >= 0 ? warning.slice(0, i) : warning;
}

/**
 * What to do next after an action, keyed by its outcome kind (the extension words the same kinds as its commands);
 * undefined when nothing is left to do or the summary already says it in terms a terminal can use.
 */
export function cliNextStep(
  r: Pick<ActionReport, 'kind' | 'sessionKey' | 'problem' | 'action'>,
  ctx: AdviceContext,
): string | undefined {
  const key = r.sessionKey ?? ctx.sessionKey ?? 'KEY';
  switch (r.kind) {
    case 'needs-restart':
      return 'stop the gateway with lanewatch restart --stop (then start it again yourself): a stop + start frees the lane at once.';
    case 'ineffective':
      return 'restart the gateway: lanewatch restart (--now interrupts active work).';
    case 'unverified':
      return `see whether it answers with lanewatch send ${key}; if it does not, restart the gateway: lanewatch restart${r.action === 'recover' ? '' : ` (or lanewatch recover ${key} --yes first)`}.`;
    case 'lane-held':
      return `free the lane: lanewatch recover ${key} --yes`;
    case 'still-draining':
      return 'lanewatch restart --now interrupts the active work instead of waiting for it.';
    case 'unknown-session':
      return 'see the keys with lanewatch status';
    case 'stopped':
      return 'start it again the way you run it; lanewatch status then shows it back.';
    default:
      if (r.problem && (r.kind === 'failed' || r.kind === 'refused')) return cliProblemText(r.problem, ctx);
      return undefined;
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
