// Decodes what arrives on the socket into one of three frame kinds, or a reason it was rejected.
// Nothing here throws: a bad frame is a value the connection logs and survives.
import { isGatewayEventFrame, isGatewayResponseFrame } from '@openclaw/gateway-protocol/frame-guards';
import type { GatewayErrorShape } from './problems';

export interface EventFrame {
  type: 'event';
  event: string;
  payload?: unknown;
  seq?: number;
  stateVersion?: unknown;
}
export interface ResponseFrame {
  type: 'res';
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: GatewayErrorShape;
}

export type DecodedFrame =
  | { kind: 'event'; frame: EventFrame; bytes: number }
  | { kind: 'response'; frame: ResponseFrame; bytes: number }
  | {
      kind: 'rejected';
      reason: string;
      bytes: number;
      /** a response id recovered from a rejected frame, to fail its request fast */ id?: string;
    };

/**
 * JSON nesting deeper than this is refused before parsing: a hostile peer must not blow the stack. Not lower: a V8 heap
 * profile nests two levels per stack frame, and 2026.9.6 answered diagnostics.heapProfile more than 256 levels deep on a
 * busy CI machine (a 1,000-frame stack fits; a 10,000-level frame is still refused).
 */
export const MAX_JSON_DEPTH = 2_048;

/**
 * Whether the JSON text nests deeper than `limit` (strings skipped; malformed text is left to JSON.parse). A string is
 * skipped with indexOf to its closing quote (one not escaped by an odd run of backslashes) rather than char by char:
 * strings are most of a frame's bytes, and this check runs on every frame (10,000 rows: 6 MB, ~2× faster).
 */
export function exceedsDepth(text: string, limit: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q < 0) return false; // unterminated: JSON.parse rejects it
        let b = q - 1;
        while (text.charCodeAt(b) === 92 /* \ */) b--;
        i = q;
        if ((q - 1 - b) % 2 === 0) break;
      }
    } else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** Best effort: the id of a response frame we will not parse (too big), so its caller gets an error now. */
function peekResponseId(text: string): string | undefined {
  const head = text.slice(0, 512);
  if (!/"type"\s*:\s*"res"/.test(head)) return undefined;
  return /"id"\s*:\s*"([^"\\]{1,128})"/.exec(head)?.[1];
}

export function decodeFrame(data: string, maxBytes: number): DecodedFrame {
  const bytes = Buffer.byteLength(data, 'utf8');
  if (bytes > maxBytes)
    return {
      kind: 'rejected',
      reason: `frame of ${bytes} bytes exceeds the ${maxBytes}-byte limit`,
      bytes,
      id: peekResponseId(data),
    };
  if (exceedsDepth(data, MAX_JSON_DEPTH))
    return {
      kind: 'rejected',
      reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
      bytes,
      id: peekResponseId(data),
    };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (err) {
    return {
      kind: 'rejected',
      reason: `not JSON (${(err as Error).message.slice(0, 80)}): ${JSON.stringify(data.slice(0, 60))}`,
      bytes,
    };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return {
      kind: 'rejected',
      reason: `frame is not an object (${Array.isArray(value) ? 'array' : typeof value})`,
      bytes,
    };
  const type = (value as { type?: unknown }).type;
  if (type === 'event') {
    if (!isGatewayEventFrame(value))
      return { kind: 'rejected', reason: 'malformed event frame (event name or seq invalid)', bytes };
    return { kind: 'event', frame: value, bytes };
  }
  if (type === 'res') {
    if (!isGatewayResponseFrame(value)) {
      const id = (value as { id?: unknown }).id;
      // Our request ids are short (`lw-<n>`, `connect-<n>`): a longer one cannot fail a request of ours.
      return {
        kind: 'rejected',
        reason: 'malformed response frame (id, ok or error invalid)',
        bytes,
        id: typeof id === 'string' && id.length <= 128 ? id : undefined,
      };
    }
    return { kind: 'response', frame: value, bytes };
  }
  return { kind: 'rejected', reason: `unknown frame type ${JSON.stringify(type)?.slice(0, 40) ?? 'undefined'}`, bytes };
}
