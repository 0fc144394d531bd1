// The HTTP probe of a wss:// gateway pinned by fingerprint, when the request goes through one shared https agent, as
// VS Code's extension host puts its own on every request to another host: the agent caches TLS sessions, and a resumed
// session presents no certificate, so every probe after the first read "did not present the pinned certificate".
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeHttpPath } from '../../src/gateway/httpProbe';
import { repoRoot } from '../support/fixtures';

const pem = (name: string) => readFileSync(path.join(repoRoot, 'test', 'fixtures', 'tls', name));
const CERT = pem('gateway-cert.pem');
const FP = new X509Certificate(CERT).fingerprint256;

let server: https.Server;
let url: string;
let handshakes = 0;
const originalRequest = https.request;
before(async () => {
  server = https.createServer({ key: pem('gateway-key.pem'), cert: CERT }, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ready":true}');
  });
  server.on('secureConnection', () => handshakes++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `wss://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  https.request = originalRequest;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('HTTP probe of a pinned wss:// gateway through a shared agent', () => {
  it('every probe checks the certificate again (no TLS session resumed), and every one is answered', async () => {
    // What VS Code's proxy support does to https.request: one agent of its own on every request.
    const shared = new https.Agent({ keepAlive: false });
    https.request = (...args: unknown[]) => {
      const [target, options, cb] = args as [string, https.RequestOptions, () => void];
      return originalRequest(target, { ...options, agent: shared }, cb);
    };
    try {
      for (const attempt of [1, 2, 3]) {
        const r = await probeHttpPath(url, '/readyz', { tlsFingerprint: FP, timeoutMs: 5_000 });
        assert.equal(r.answered, true, `probe ${attempt}: ${r.answered ? '' : r.error}`);
      }
    } finally {
      https.request = originalRequest;
    }
    assert.equal(handshakes, 3, 'a full TLS handshake each time');
  });
});
