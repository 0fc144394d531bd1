import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, decodeFrame, describeClose, describeGatewayError, describeTransportError } from '../../src/gateway';
import {
  describeConnection,
  describeSession,
  escapeMarkdown,
  formatDuration,
  sessionLabel,
  summarizeCounts,
} from '../../src/report/describe';
import { deriveLaneStatus } from '../../src/lanes/laneStatus';
import { MAX_JSON_DEPTH } from '../../src/gateway/frames';

describe('close codes are explained for humans', () => {
  const table: Array<[number, string, string]> = [
    [1000, 'closed-normal', 'backoff'],
    [1002, 'protocol-mismatch', 'stop'],
    [1006, 'connection-lost', 'backoff'],
    [1008, 'policy-violation', 'stop'],
    [1009, 'frame-too-large', 'backoff'],
    [1011, 'server-error', 'backoff'],
    [1012, 'restarting', 'prompt'],
    [1013, 'starting', 'backoff'],
    [4000, 'tick-timeout', 'backoff'],
    [4001, 'invalidated', 'stop'],
    [4999, 'closed', 'backoff'],
  ];
  for (const [code, kind, reconnect] of table) {
    it(`${code} → ${kind}, reconnect ${reconnect}`, () => {
      const p = describeClose(code, '');
      assert.equal(p.kind, kind);
      assert.equal(p.reconnect, reconnect);
      assert.ok(p.advice.length > 30, 'says what to do');
    });
  }
  it('1000 before hello points at the pre-auth handshake timeout (the field report)', () => {
    assert.match(describeClose(1000, '').advice, /pre-auth handshake timeout/);
  });
});

describe('gateway error codes map to actions', () => {
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [
      { code: 'INVALID_REQUEST', message: 'unauthorized', details: { code: 'AUTH_TOKEN_MISMATCH' } },
      'auth-token-mismatch',
      'set-token',
    ],
    [{ code: 'INVALID_REQUEST', message: 'x', details: { code: 'AUTH_TOKEN_MISSING' } }, 'auth-required', 'set-token'],
    [
      { code: 'INVALID_REQUEST', message: 'x', details: { code: 'AUTH_RATE_LIMITED' } },
      'auth-rate-limited',
      'set-token',
    ],
    [
      { code: 'NOT_PAIRED', message: 'device identity required', details: { code: 'DEVICE_IDENTITY_REQUIRED' } },
      'device-identity-required',
      'set-token',
    ],
    [{ code: 'NOT_PAIRED', message: 'pairing required' }, 'pairing-required', 'approve-pairing'],
    [
      {
        code: 'INVALID_REQUEST',
        message: 'device signature invalid',
        details: { code: 'DEVICE_AUTH_SIGNATURE_INVALID' },
      },
      'device-auth-invalid',
      'retry',
    ],
    [
      { code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { expectedProtocol: 3 } },
      'protocol-mismatch',
      'upgrade-gateway',
    ],
    [
      { code: 'INVALID_REQUEST', message: "invalid connect params: at /client: unexpected property 'timeZone'" },
      'connect-rejected',
      'upgrade-gateway',
    ],
    [
      { code: 'UNAVAILABLE', message: 'starting', details: { reason: 'startup-sidecars' }, retryAfterMs: 500 },
      'unavailable',
      'retry',
    ],
    [
      {
        code: 'FORBIDDEN',
        message: 'missing scope: operator.admin',
        details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin' },
      },
      'missing-scope',
      'grant-scope',
    ],
    [{ code: 'INVALID_REQUEST', message: 'missing scope: operator.read' }, 'missing-scope', 'grant-scope'],
    [{ code: 'INVALID_REQUEST', message: 'x', details: { code: 'UNKNOWN_AGENT_ID' } }, 'unknown-agent', 'retry'],
  ];
  for (const [error, kind, action] of cases) {
    it(`${(error.details as any)?.code ?? error.code} ${String(error.message)} → ${kind}`, () => {
      const p = describeGatewayError(error as any);
      assert.equal(p.kind, kind);
      assert.equal(p.action, action);
    });
  }
  it('transport errors', () => {
    assert.equal(
      describeTransportError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'ws://h:1').kind,
      'unreachable',
    );
    assert.equal(describeTransportError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 'ws://h:1').kind, 'dns');
    assert.equal(
      describeTransportError(Object.assign(new Error('HTTP 404'), { statusCode: 404 }), 'ws://h:1').kind,
      'upgrade-rejected',
    );
    assert.equal(
      describeTransportError(
        Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
        'wss://h:1',
      ).kind,
      'tls',
    );
  });
});

describe('frame decoding', () => {
  it('accepts events and responses, rejects everything else with a reason', () => {
    assert.equal(decodeFrame('{"type":"event","event":"tick","payload":{}}', 1000).kind, 'event');
    assert.equal(decodeFrame('{"type":"res","id":"1","ok":true,"payload":{}}', 1000).kind, 'response');
    const tooBig = decodeFrame(`{"type":"res","id":"r9","ok":true,"payload":"${'x'.repeat(200)}"}`, 100);
    assert.deepEqual([tooBig.kind, (tooBig as any).id], ['rejected', 'r9']);
    assert.equal(decodeFrame('{"type":"res","id":"1","ok":"yes"}', 1000).kind, 'rejected');
    assert.equal(decodeFrame('null', 1000).kind, 'rejected');
    assert.equal(decodeFrame('"string"', 1000).kind, 'rejected');
  });
  it('counts nesting outside strings only', () => {
    assert.equal(
      decodeFrame(`{"type":"event","event":"x","payload":"${'['.repeat(MAX_JSON_DEPTH * 2)}"}`, 1e6).kind,
      'event',
    );
    assert.equal(
      decodeFrame(
        `{"type":"event","event":"x","payload":${'['.repeat(MAX_JSON_DEPTH + 50)}${']'.repeat(MAX_JSON_DEPTH + 50)}}`,
        1e6,
      ).kind,
      'rejected',
    );
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, with jitter inside the ceiling', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
    const j = new Backoff({ initialMs: 1000, maxMs: 1000, factor: 2, jitter: 0.5 }, () => 0);
    assert.equal(j.next(), 500);
    b.reset();
    assert.equal(b.next(), 100);
  });
});

/** A gateway whose connection was lost (1006), retrying at 11 s, described at `now`. */
const describeDown = (watcher: { restartRequestedAt?: number }, now: number) =>
  describeConnection(
    {
      name: 'gw',
      config: { name: 'gw', url: 'ws://x:1', source: 'settings' },
      lastSyncError: () => undefined,
      ...watcher,
    },
    {
      state: 'disconnected',
      url: 'ws://x:1',
      missingScopes: [],
      attempts: 3,
      nextRetryAt: 11_000,
      problem: describeClose(1006, ''),
    },
    undefined,
    now,
  );

describe('tree text', () => {
  it('escapes untrusted text for Markdown tooltips', () => {
    assert.equal(
      escapeMarkdown('[click](command:evil) <img src=x> *b*'),
      '\\[click\\]\\(command:evil\\) \\<img src=x\\> \\*b\\*',
    );
  });
  it('formats durations', () => {
    assert.deepEqual(
      [formatDuration(4_000), formatDuration(252_000), formatDuration(3_900_000), formatDuration(-1)],
      ['4s', '4m12s', '1h05m', '?'],
    );
  });
  it('describes a disconnected gateway with its reason and retry', () => {
    const d = describeDown({}, 1_000);
    assert.equal(d.description, 'connection lost (1006) · retry in 10s');
    assert.match(d.tooltipMarkdown, /process died/);
  });
  it('a gateway down for a restart Lanewatch asked for says "restarting", not its connection error', () => {
    const d = describeDown({ restartRequestedAt: 0 }, 12_000);
    assert.equal(d.description, 'restarting (requested 12s ago)');
    assert.doesNotMatch(d.tooltipMarkdown, /process died/);
  });
  it('describes sessions from their derived lane status', () => {
    const at = (row: any, now: number, extra: any = {}) =>
      describeSession(
        row,
        row.key,
        deriveLaneStatus({ now, connected: true, protocol: 4, trackedRuns: [], row, ...extra }),
        now,
      );
    assert.equal(
      at({ key: 'k', hasActiveRun: true, status: 'running', startedAt: 0 }, 252_000, { pendingInputs: 2 }).description,
      'running 4m12s · 2 queued',
    );
    assert.equal(at({ key: 'k', hasActiveRun: false, status: 'killed' }, 0).description, 'idle · last run killed');
    const stale = at({ key: 'k', hasActiveRun: false, status: 'running', label: '<b>x</b>' }, 0);
    assert.equal(stale.status, 'stale');
    assert.equal(stale.icon, 'debug-disconnect');
    assert.match(stale.tooltipMarkdown, /\\<b\\>x\\</, 'label escaped');
    assert.ok(stale.tooltipMarkdown.includes('a zombie row\\)'), 'tooltip names the facts');
    assert.ok(!stale.tooltipMarkdown.includes('p4'), 'rule names stay out of the tooltip (they are in status --json)');
    assert.doesNotMatch(stale.tooltipMarkdown, /\n\n\n/);
    assert.equal(summarizeCounts(['idle', 'running', 'stuck', 'idle']), '1 stuck · 1 running · 2 idle');
  });
});

describe('bidirectional overrides in untrusted text', () => {
  it('are shown as named markers in transcripts, tree labels and the CLI, so "gnirts desrever" is not displayed reversed', async () => {
    const { cleanText } = await import('../../src/transcript/transcriptEntry');
    const { renderFleetText } = await import('../../src/report/fleetReport');
    const hostile = '\u202egnirts desrever\u202c \u2067isolate\u2069';
    const shown = '\u27e8RLO\u27e9gnirts desrever\u27e8PDF\u27e9 \u27e8RLI\u27e9isolate\u27e8PDI\u27e9';
    assert.equal(cleanText(hostile), shown);
    assert.equal(
      cleanText('left\u200eright\u200f'),
      'left\u200eright\u200f',
      'implicit marks override nothing and stay',
    );
    const label = describeSession({ key: 'agent:main:x', label: hostile }, 'agent:main:x', {
      state: 'idle',
      facts: [],
    } as never).label;
    assert.equal(label, shown);
    const text = renderFleetText({
      generatedAt: '',
      settingProblems: [],
      gateways: [
        { name: hostile, url: 'ws://127.0.0.1:1', description: 'd', connected: false, agents: [], counts: {} } as never,
      ],
    });
    assert.ok(text.startsWith(shown), text);
  });
});

describe('pairing: what the gateway asks approval for, in words', () => {
  const details = (extra: Record<string, unknown>) => ({
    code: 'NOT_PAIRED',
    message: 'pairing required',
    details: { requestId: 'req-1', ...extra },
  });
  it('a first pairing names the exact approve command', () => {
    const p = describeGatewayError(details({ reason: 'not-paired' }), { requestedScopes: ['operator.read'] });
    assert.equal(p.summary, 'waiting for pairing approval');
    assert.match(p.advice, /On the gateway host run: openclaw devices approve req-1\. Lanewatch retries every 30 s/);
  });
  it("2026.9's scope upgrade is said as one, with what is approved and what is asked", () => {
    const p = describeGatewayError(
      details({
        reason: 'scope-upgrade',
        approvedScopes: ['operator.read'],
        requestedScopes: ['operator.read', 'operator.write', 'operator.admin'],
      }),
    );
    assert.equal(p.summary, 'waiting for approval of more scopes (operator.write, operator.admin)');
    assert.match(
      p.advice,
      /approved for operator\.read, and now asks for operator\.read, operator\.write, operator\.admin/,
    );
  });
  it('a version without details: an action asking for more than reading says the gateway asks again', () => {
    const p = describeGatewayError(
      { code: 'NOT_PAIRED', message: 'pairing required', details: { requestId: 'r2' } },
      {
        requestedScopes: ['operator.read', 'operator.write'],
      },
    );
    assert.equal(p.summary, 'waiting for approval of operator.write');
    assert.match(p.advice, /asks for approval again: this action needs operator\.read, operator\.write/);
    assert.match(p.advice, /openclaw devices approve r2, then run the action again/);
  });
  it('gateway text in the reason cannot inject words', () => {
    const p = describeGatewayError(details({ reason: 'Run rm -rf / now' }), {
      requestedScopes: ['operator.read'],
    });
    assert.equal(p.summary, 'waiting for pairing approval');
    assert.ok(!p.advice.includes('rm -rf'));
  });
});

describe('session labels', () => {
  it('a cron run’s row says which run, so it is told apart from its job’s row with the same label', () => {
    const job = 'agent:main:cron:3f2a';
    const run = 'agent:main:cron:3f2a:run:9c41e0d2-7b1a-4c2e-8f00-1234567890ab';
    assert.equal(sessionLabel({ key: job, label: 'Automation: inbox' }, job), 'Automation: inbox');
    assert.equal(sessionLabel({ key: run, label: 'Automation: inbox' }, run), 'Automation: inbox (run 9c41e0d2)');
    assert.equal(sessionLabel({ key: run }, run), 'cron:3f2a:run:9c41e0d2-7b1a-4c2e-8f00-1234567890ab');
  });
});
