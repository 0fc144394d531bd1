// The CSP every Lanewatch webview must carry: nothing by default, scripts only by nonce, no inline or eval'd script.
import * as assert from 'node:assert/strict';

export function assertStrictCsp(html: string | undefined): void {
  assert.ok(html, 'panel open');
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]{16,}'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.doesNotMatch(html, /<script(?![^>]*nonce=)/, 'every script carries the nonce');
  assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, 'no inline script bodies');
}
