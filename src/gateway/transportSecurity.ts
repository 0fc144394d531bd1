// What may cross the network before the gateway has proven who it is. The token and every transcript travel inside
// the WebSocket, so: plain ws:// leaves this machine only with the user's consent, and wss:// must present a
// certificate a public authority vouches for (with a matching host name) or the one this gateway's settings pin by
// its SHA-256 fingerprint (OpenClaw's own `gateway.remote.tlsFingerprint` works the same way). Both are decided
// before a single byte of HTTP is written, so nothing is sent to a host that fails them.
import type { ClientRequest } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ConnectionProblem } from './problems';

export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** `AB:CD:…` (64 hex digits, as Node's fingerprint256 prints it), from any case, with or without colons; else undefined. */
export function normalizeFingerprint(raw: string): string | undefined {
  const hex = raw
    .trim()
    .replace(/^sha-?256[:=\s]*/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex.match(/../g)!.join(':') : undefined;
}

export function plaintextRemoteProblem(url: string): ConnectionProblem | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'ws:' || isLoopbackUrl(url)) return undefined;
  return {
    kind: 'plaintext-remote',
    summary: 'unencrypted ws:// to another host: not connected without your consent',
    advice: `${url} is plain ws:// to ${parsed.hostname}: the gateway token and every transcript would cross the network unencrypted. Use wss:// (or an SSH tunnel / Tailscale Serve to the gateway's loopback port), or allow unencrypted ws:// for this gateway.`,
    action: 'allow-plaintext',
    reconnect: 'stop',
  };
}

/** A TLS failure with the certificate that caused it, so the user can compare and choose to trust it. */
export class CertificateRejectedError extends Error {
  constructor(readonly problem: ConnectionProblem) {
    super(problem.summary);
  }
}

function tlsProblem(
  url: string,
  kind: 'tls-untrusted' | 'tls-pin-mismatch',
  reason: string,
  fingerprint: string | undefined,
  pinned?: string,
): ConnectionProblem {
  const fp = fingerprint ?? 'unknown';
  return kind === 'tls-pin-mismatch'
    ? {
        kind,
        summary: 'certificate does not match the pinned fingerprint',
        certificateFingerprint: fingerprint,
        action: 'trust-certificate',
        reconnect: 'stop',
        advice: `${url} presented a certificate with SHA-256 ${fp}, but this gateway's settings pin ${pinned}. If the gateway's certificate was regenerated, compare the new fingerprint on the gateway host and trust it; otherwise something between you and the gateway is presenting its own certificate. Nothing was sent.`,
      }
    : {
        kind,
        summary: `certificate not trusted (${reason})`,
        certificateFingerprint: fingerprint,
        action: 'trust-certificate',
        reconnect: 'stop',
        advice: `${url} presented a certificate that is not trusted (${reason}); its SHA-256 fingerprint is ${fp}. If this is the gateway's own self-signed certificate, compare that fingerprint with the one on the gateway host (openssl x509 -noout -fingerprint -sha256 -in <its certificate>) and trust it for this gateway only. Nothing was sent.`,
      };
}

/**
 * Verifies the certificate of a wss:// WebSocket's TLS socket at `secureConnect`, before the HTTP upgrade request is
 * written (a destroyed socket flushes nothing): with a pin, it must have exactly that fingerprint (a self-signed one
 * is fine; the host name is not checked: the pin is stronger); without one, Node's own verdict (chain to a trusted
 * authority and host name) must be "authorized". The socket is opened with `rejectUnauthorized: false` so that the
 * verdict and the certificate reach us instead of a bare TLS error.
 *
 * Hooked on the upgrade request's `socket` event rather than ws's `createConnection`, because an http agent takes
 * precedence over `createConnection`, and VS Code's extension host puts its own proxy agent on every request: the
 * socket event sees the TLS socket whichever agent made it. If ws's internals ever change so that the request is
 * not reachable, the connection is refused rather than left unverified.
 */
export function guardTlsSocket(
  ws: { _req?: unknown; terminate(): void },
  url: string,
  pinnedFingerprint: string | undefined,
  onRejected: (problem: ConnectionProblem) => void,
): void {
  const pin = pinnedFingerprint ? normalizeFingerprint(pinnedFingerprint) : undefined;
  const req = ws._req as ClientRequest | undefined;
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- only asks whether `once` exists (its 'abort' overload is the deprecated one)
  if (!req || typeof req.once !== 'function') {
    onRejected({
      kind: 'tls-unverifiable',
      summary: 'cannot verify the certificate',
      advice: `Lanewatch could not reach the TLS socket of ${url} to verify its certificate, so it did not connect. Please report this.`,
      action: 'none',
      reconnect: 'stop',
    });
    ws.terminate();
    return;
  }
  req.once('socket', (raw) => {
    const socket = raw as TLSSocket;
    const check = () => {
      const fingerprint = socket.getPeerCertificate?.()?.fingerprint256 || undefined;
      let problem: ConnectionProblem | undefined;
      if (pin) {
        if (fingerprint !== pin) problem = tlsProblem(url, 'tls-pin-mismatch', 'pin mismatch', fingerprint, pin);
      } else if (!socket.authorized)
        problem = tlsProblem(
          url,
          'tls-untrusted',
          humanTlsReason(String(socket.authorizationError ?? 'unverified')),
          fingerprint,
        );
      if (problem) {
        onRejected(problem);
        socket.destroy(new CertificateRejectedError(problem));
      }
    };
    // A socket handed over already secure (a proxy tunnel, a pooled socket) is checked now, before the request is flushed.
    const established = Object.keys(socket.getPeerCertificate?.() ?? {}).length > 0;
    if (established) check();
    else socket.once('secureConnect', check);
  });
}

function humanTlsReason(code: string): string {
  if (/SELF_SIGNED/i.test(code)) return 'self-signed';
  if (/UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF/i.test(code)) return 'unknown issuer';
  if (/EXPIRED/i.test(code)) return 'expired';
  if (/ALTNAME|HOST/i.test(code)) return 'host name mismatch';
  return code.slice(0, 80);
}
