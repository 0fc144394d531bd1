// How the Gateway Logs panel splits a row's message into plain text and key=value fields (the fields operators
// search for are highlighted). Pure code with no imports: the webview bundle runs it on every row it renders, and
// it is unit-tested in plain Node (test/unit/logRing.test.ts).

/** The key=value fields operators search for when a lane is stuck; the panel highlights them. */
export const OPERATOR_FIELDS: ReadonlySet<string> = new Set([
  'lane',
  'waitedMs',
  'queueAhead',
  'activeAhead',
  'sessionKey',
  'sessionId',
  'state',
  'age',
  'queueDepth',
  'reason',
  'classification',
  'recovery',
]);

export type MessageSegment = { text: string } | { text: string; key: string; value: string; operator: boolean };

// Same shape as the field extraction in src/logs/logLine.ts, so what is highlighted is what the filters and lane status read.
const FIELD_RE = /(?:^|\s)([A-Za-z][\w.]*)=("(?:[^"\\]|\\.)*"|\S+)/g;

/**
 * Splits a message into plain text and key=value fields, losslessly (joining every `text` gives the
 * message back). `value` is as written (quotes kept), so the row shows exactly what the gateway logged.
 */
export function messageSegments(message: string): MessageSegment[] {
  const out: MessageSegment[] = [];
  let pos = 0;
  for (const m of message.matchAll(FIELD_RE)) {
    const key = m[1],
      value = m[2];
    const start = (m.index ?? 0) + m[0].length - key.length - 1 - value.length;
    if (start > pos) out.push({ text: message.slice(pos, start) });
    out.push({ text: `${key}=${value}`, key, value, operator: OPERATOR_FIELDS.has(key) });
    pos = start + key.length + 1 + value.length;
  }
  if (pos < message.length) out.push({ text: message.slice(pos) });
  return out;
}
