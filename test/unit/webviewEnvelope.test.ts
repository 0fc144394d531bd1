// The one envelope of the webview messages (src/protocol/envelope.ts) and the three panels' guards
// (src/protocol/webviewMessages.ts): every panel's real messages pass both ways; what is not a message, another
// version, another panel's, an unknown type, too large or malformed is rejected with a reason that says which, and
// nothing thrown, whatever the value is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LIST, MAX_TO_HOST_CHARS, type Checked } from '../../src/protocol/envelope';
import { GATEWAY_DETAILS, LOG_TAIL, TRANSCRIPT } from '../../src/protocol/webviewMessages';
import { LogRing } from '../../src/logs/logRing';
import { ingestLogLines, logLineDetail, logLinesMessage } from '../../src/logs/logRows';
import type { ParsedLogLine } from '../../src/logs/logLine';

const FILTER = { preset: 'all', minLevel: 'TRACE', text: '', session: '' } as const;

function rejected(c: Checked<unknown>, why: RegExp): string {
  assert.equal(c.ok, false, `accepted: ${JSON.stringify(c)}`);
  const reason = (c as { reason: string }).reason;
  assert.match(reason, why);
  return reason;
}

function accepted(c: Checked<unknown>, kind?: string): void {
  assert.equal(c.ok, true, (c as { reason?: string }).reason);
  if (kind) assert.equal((c as { kind: string }).kind, kind);
}

describe('webview message envelope', () => {
  it("accepts every panel's own messages in both directions, with their kind", () => {
    const ring = new LogRing<ParsedLogLine>(100);
    const items = ingestLogLines(
      ring,
      ['2026-11-21T17:40:04.041+00:00 [diagnostic] lane wait exceeded: lane=x'],
      () => true,
    );
    for (const m of [
      LOG_TAIL.sealToWebview({ type: 'logTail/init', gateway: 'gw', capacity: 100, filter: FILTER }),
      LOG_TAIL.sealToWebview(logLinesMessage(ring, items, true, true)),
      LOG_TAIL.sealToWebview(logLineDetail(ring, 0)),
      LOG_TAIL.sealToWebview({ type: 'logTail/source', source: { kind: 'rpc', label: 'gateway RPC' } }),
    ])
      accepted(LOG_TAIL.checkToWebview(m), 'notification');
    accepted(LOG_TAIL.checkToHost({ v: 1, panel: 'logTail', type: 'ready' }), 'ready');
    accepted(LOG_TAIL.checkToHost({ v: 1, panel: 'logTail', type: 'logTail/showLine', seq: 3 }), 'notification');
    accepted(LOG_TAIL.checkToHost({ v: 1, panel: 'logTail', type: 'report', facts: { rows: 1 } }), 'report');
    accepted(LOG_TAIL.checkToHost({ v: 1, panel: 'logTail', type: 'error', message: 'boom' }), 'error');
    accepted(
      TRANSCRIPT.checkToHost({ v: 1, panel: 'transcript', type: 'transcript/copy', id: 7, key: 'm1' }),
      'request',
    );
    accepted(
      TRANSCRIPT.checkToWebview(TRANSCRIPT.sealToWebview({ type: 'transcript/entries', op: 'append', entries: [] })),
    );
    accepted(TRANSCRIPT.checkToWebview({ v: 1, panel: 'transcript', type: 'response', id: 7, ok: true }), 'response');
    accepted(
      TRANSCRIPT.checkToWebview({ v: 1, panel: 'transcript', type: 'response', id: 8, ok: false, error: 'no' }),
      'response',
    );
    accepted(GATEWAY_DETAILS.checkToHost({ v: 1, panel: 'gatewayDetails', type: 'gatewayDetails/reconnect', id: 1 }));
  });

  it('rejects what is not a message at all, without throwing', () => {
    for (const raw of [
      undefined,
      null,
      0,
      1n,
      true,
      'ready',
      [],
      [{ v: 1, panel: 'transcript', type: 'ready' }],
      () => 1,
      Symbol('s'),
    ]) {
      assert.doesNotThrow(() => TRANSCRIPT.checkToHost(raw));
      rejected(TRANSCRIPT.checkToHost(raw), /transcript panel, message from the page: not a message/);
      rejected(TRANSCRIPT.checkToWebview(raw), /transcript panel, message to the page: not a message/);
    }
  });

  it('rejects another protocol version, or none (the dialects before the envelope)', () => {
    rejected(LOG_TAIL.checkToHost({ type: 'ready' }), /protocol version undefined, expected 1/);
    rejected(LOG_TAIL.checkToHost({ type: 'logTail/clear' }), /protocol version undefined/);
    rejected(LOG_TAIL.checkToHost({ v: 2, panel: 'logTail', type: 'ready' }), /protocol version 2, expected 1/);
    rejected(LOG_TAIL.checkToHost({ v: '1', panel: 'logTail', type: 'ready' }), /protocol version "1"/);
    rejected(TRANSCRIPT.checkToWebview({ type: 'transcript/entries', op: 'append', entries: [] }), /protocol version/);
  });

  it("rejects another panel's message, even one of a type both panels have", () => {
    rejected(TRANSCRIPT.checkToHost({ v: 1, panel: 'logTail', type: 'ready' }), /addressed to panel "logTail"/);
    rejected(
      LOG_TAIL.checkToWebview(TRANSCRIPT.sealToWebview({ type: 'transcript/dropped', count: 1 })),
      /addressed to panel "transcript"/,
    );
    rejected(GATEWAY_DETAILS.checkToHost({ v: 1, type: 'ready' }), /addressed to panel undefined/);
    // Right panel name, another panel's type.
    rejected(
      TRANSCRIPT.checkToHost({ v: 1, panel: 'transcript', type: 'logTail/clear' }),
      /unknown type "logTail\/clear"/,
    );
  });

  it('rejects unknown types, including what only the other direction may say and names every object has', () => {
    for (const type of [
      'transcript/delete',
      'response',
      'transcript/entries',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
    ])
      rejected(TRANSCRIPT.checkToHost({ v: 1, panel: 'transcript', type, id: 1 }), /unknown type/);
    for (const type of ['ready', 'report', 'error', 'transcript/copy', '__proto__', 'valueOf'])
      rejected(TRANSCRIPT.checkToWebview({ v: 1, panel: 'transcript', type, id: 1, key: 'k' }), /unknown type/);
    rejected(TRANSCRIPT.checkToHost({ v: 1, panel: 'transcript' }), /type is undefined/);
    rejected(TRANSCRIPT.checkToHost({ v: 1, panel: 'transcript', type: 'x'.repeat(101) }), /type is "x{40}…"/);
  });

  it('rejects oversized messages: a page message past its JSON bound, a list past its item bound', () => {
    const facts = { text: 'x'.repeat(MAX_TO_HOST_CHARS) };
    rejected(
      LOG_TAIL.checkToHost({ v: 1, panel: 'logTail', type: 'report', facts }),
      /oversized: report is \d+ characters of JSON \(at most 262144\)/,
    );
    rejected(
      TRANSCRIPT.checkToHost({
        v: 1,
        panel: 'transcript',
        type: 'transcript/openLink',
        id: 1,
        url: `https://x/${'a'.repeat(9_000)}`,
      }),
      /url is too long/,
    );
    const entries = new Array(MAX_LIST + 1);
    rejected(
      TRANSCRIPT.checkToWebview({ v: 1, panel: 'transcript', type: 'transcript/entries', op: 'append', entries }),
      /oversized: entries has 100001 items/,
    );
    rejected(
      LOG_TAIL.checkToWebview({
        ...LOG_TAIL.sealToWebview(logLinesMessage(new LogRing(10), [])),
        items: new Array(MAX_LIST + 1),
      }),
      /oversized: items has/,
    );
  });

  it('rejects malformed bodies and ids, naming the field', () => {
    const t = (m: object) => TRANSCRIPT.checkToHost({ v: 1, panel: 'transcript', ...m });
    rejected(t({ type: 'transcript/copy', id: 1 }), /transcript\/copy: key is undefined, not a string/);
    rejected(t({ type: 'transcript/openLink', id: 1, url: 5 }), /url is 5, not a string/);
    rejected(t({ type: 'transcript/loadOlder' }), /transcript\/loadOlder: id is undefined, not a number/);
    rejected(t({ type: 'transcript/loadOlder', id: -1 }), /id is -1, less than 0/);
    rejected(t({ type: 'transcript/loadOlder', id: 1.5 }), /id is 1.5, not an integer/);
    rejected(t({ type: 'report', facts: [1] }), /facts is an array, not an object/);
    rejected(t({ type: 'error', message: { text: 'x' } }), /message is an object, not a string/);
    const l = (m: object) => LOG_TAIL.checkToHost({ v: 1, panel: 'logTail', ...m });
    rejected(l({ type: 'logTail/showLine', seq: 'x' }), /seq is "x", not a number/);
    rejected(l({ type: 'logTail/filter', filter: { ...FILTER, preset: 'everything' } }), /filter is not a log filter/);
    rejected(l({ type: 'logTail/revealSession', sessionKey: null }), /sessionKey is null/);
    const w = (m: object) => TRANSCRIPT.checkToWebview({ v: 1, panel: 'transcript', ...m });
    rejected(
      w({ type: 'transcript/entries', op: 'delete', entries: [] }),
      /op is "delete", not one of replace, append, prepend/,
    );
    rejected(w({ type: 'transcript/live', live: 'x' }), /live is "x", not an object/);
    rejected(w({ type: 'transcript/live', live: { pending: {} } }), /pending is an object, not a list/);
    rejected(w({ type: 'response', id: 1 }), /ok is undefined, not true or false/);
    rejected(w({ type: 'response', ok: true }), /response: id is undefined/);
    rejected(w({ type: 'response', id: 1, ok: false }), /error is undefined, not a string/);
  });

  it('never throws, whatever the object does when read, and logs untrusted text escaped and cut', () => {
    const cyclic: Record<string, unknown> = { v: 1, panel: 'logTail', type: 'report', facts: {} };
    (cyclic.facts as Record<string, unknown>).self = cyclic;
    const throwingGetter = Object.defineProperty({ v: 1, panel: 'logTail' }, 'type', {
      get() {
        throw new Error('getter');
      },
      enumerable: true,
    });
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    const toJson = {
      v: 1,
      panel: 'logTail',
      type: 'report',
      facts: {},
      toJSON: () => {
        throw new Error('toJSON');
      },
    };
    for (const [raw, why] of [
      [cyclic, /unreadable \(.*circular/i],
      [throwingGetter, /unreadable \(getter\)/],
      [trap, /unreadable \(trap\)/],
      [toJson, /unreadable \(toJSON\)/],
    ] as const) {
      let c: Checked<unknown> | undefined;
      assert.doesNotThrow(() => (c = LOG_TAIL.checkToHost(raw)));
      rejected(c!, why);
    }
    const reason = rejected(
      LOG_TAIL.checkToHost({
        v: 1,
        panel: 'logTail',
        type: '\u202egnirts\u0007\n<img src=x onerror=alert(1)>' + 'y'.repeat(40),
      }),
      /unknown type/,
    );
    assert.ok(reason.includes('"\\u202egnirts\\u0007\\n<img src=x onerror=alert(1)>'), reason);
    assert.ok(
      !['\u202e', '\u0007', '\n'].some((c) => reason.includes(c)),
      'no raw control or bidi character in the reason',
    );
    assert.ok(reason.length < 200, reason);
  });
});
