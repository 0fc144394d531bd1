// The frame depth guard (src/gateway/frames.ts exceedsDepth) skips strings with indexOf to their closing quote. It must
// agree with the plain char-by-char reading on every input: brackets inside strings never count, an escaped quote
// (odd run of backslashes) does not end a string, an even run does. A guard that counts a bracket inside a string
// refuses a good frame; one that misses a closing quote lets a deep one through to code that recurses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame, exceedsDepth, MAX_JSON_DEPTH } from '../../src/gateway/frames';
import { prng } from '../support/prng';

/** The reference: one character at a time. */
function referenceExceedsDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > limit) return true;
    } else if (c === '}' || c === ']') depth--;
  }
  return false;
}

describe('frame depth guard', () => {
  it('agrees with the char-by-char reading on 50,000 random texts of quotes, backslashes and brackets', () => {
    const rand = prng(0x1a2e);
    const alphabet = ['"', '\\', '\\\\', '[', ']', '{', '}', 'a', ':', ','];
    for (let n = 0; n < 50_000; n++) {
      let text = '';
      const len = Math.floor(rand() * 40);
      for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
      const limit = Math.floor(rand() * 4);
      assert.equal(
        exceedsDepth(text, limit),
        referenceExceedsDepth(text, limit),
        `limit ${limit}: ${JSON.stringify(text)}`,
      );
    }
  });

  it('a deep frame hidden after strings with escaped quotes and backslashes is still refused; brackets in strings are not', () => {
    const deep = `{"type":"event","event":"x","payload":{"a":"\\\\","b":"\\"[[[","c":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}}`;
    assert.equal(decodeFrame(deep, 1 << 20).kind, 'rejected');
    const shallow = JSON.stringify({ type: 'event', event: 'x', seq: 1, payload: { s: '['.repeat(10_000) + '\\"' } });
    assert.equal(decodeFrame(shallow, 1 << 20).kind, 'event');
  });
});
