// The hostile-text corpus: everything a hostile transcript (or session label) can throw at a renderer. One copy,
// shared by the chromium webview unit test (test/unit/transcriptWebview.test.ts, bundled by esbuild), the demo
// seeding (scripts/fixtures/seed-demo.mjs puts it into a real gateway's transcript) and the real-VS Code UI test
// (test/ui/run-ui-tests.mjs reads it back off the screen). Plain ESM without dependencies, so plain `node` imports it.
//
// `window.__pwned` is set if any of it ever runs.

/** Bytes that are not UTF-8, decoded the way a socket decoder does (each bad sequence becomes U+FFFD). */
const INVALID_UTF8 = new TextDecoder('utf-8').decode(new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]));

/** @type {readonly string[]} */
export const HOSTILE = Object.freeze([
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'">',
  '<svg onload="window.__pwned = \'svg\'"><a xlink:href="javascript:window.__pwned=\'svg-a\'">x</a></svg>',
  "[click me](javascript:window.__pwned='md') and javascript:window.__pwned='raw' and <a href=\"javascript:window.__pwned='a'\">a</a>",
  '<iframe src="javascript:window.__pwned=\'iframe\'"></iframe><style>body{display:none}</style>',
  'https://example.invalid/"><img src=x onerror="window.__pwned=\'attr\'">',
  '\x1b[31mred\x1b[0m \x1b]8;;javascript:window.__pwned=1\x07osc8 link\x1b]8;;\x07 \x1b[2J\x1b[H cleared? \x07 bell',
  `invalid utf-8 ${INVALID_UTF8} lone ${'\ud800'} and ${'\udfff'} end`,
  '\u202egnirts desrever\u202c and zero\u200bwidth',
  "**not bold** _not em_ `not code` ![not an image](https://example.invalid/x.png) <b>not bold</b> &lt;not a tag&gt; &amp;amp; {{constructor.constructor('window.__pwned=1')()}} ${window.__pwned=1}",
]);

/**
 * What a reader must see for each HOSTILE string (same index): the string itself, except where Lanewatch's
 * normalization (src/transcript/transcriptEntry.ts cleanText) deliberately changes it: terminal escape sequences are
 * removed, a lone BEL becomes its control picture ␇, lone surrogates become U+FFFD, bidirectional overrides
 * (which would show "gnirts desrever" as "reversed string") become named markers ⟨RLO⟩ … ⟨PDF⟩. Written out by hand (not computed
 * with the code under test); the unit test checks the model agrees.
 * @type {readonly string[]}
 */
export const HOSTILE_SHOWN = Object.freeze(
  HOSTILE.map((text, i) => {
    if (i === 6) return 'red osc8 link  cleared? \u2407 bell';
    if (i === 7) return `invalid utf-8 ${'\ufffd\ufffd\ufffd(\ufffd'} lone \ufffd and \ufffd end`;
    if (i === 8) return '\u27e8RLO\u27e9gnirts desrever\u27e8PDF\u27e9 and zero\u200bwidth';
    return text;
  }),
);

/**
 * What a reader must see of each HOSTILE string sent as a user message with chat.send to openclaw 2026.9: the gateway
 * itself strips C0 control characters other than tab and line breaks, and DEL (its chat-input-sanitize), so the
 * terminal escapes arrive without their ESC and BEL bytes and show as the plain text they leave behind.
 * (chat.inject stores an assistant message verbatim: for those, HOSTILE_SHOWN holds.)
 * @type {readonly string[]}
 */
export const HOSTILE_SHOWN_AFTER_CHAT_SEND = Object.freeze(
  HOSTILE_SHOWN.map((shown, i) =>
    i === 6 ? '[31mred[0m ]8;;javascript:window.__pwned=1osc8 link]8;; [2J[H cleared?  bell' : shown,
  ),
);

/** A session label for the tree (sessions.patch `label`, at most 512 characters on 2026.9). */
export const HOSTILE_LABEL =
  "<img src=x onerror=\"window.__pwned='label'\"> **label** [x](javascript:window.__pwned='label-md') &amp; <b>b</b>";

/**
 * A huge hostile string: markup repeated on many lines, `chars` characters long.
 * @param {number} chars
 */
export function hugeHostile(chars) {
  const line = '<b>bold</b><img src=x onerror=window.__pwned=1>\n';
  return line.repeat(Math.ceil(chars / line.length)).slice(0, chars);
}

/** Characters of the huge message the UI test seeds (a real gateway keeps it and shortens it for display). */
export const HOSTILE_HUGE_CHARS = 100_000;

/**
 * What the UI test puts into a real transcript: one chat.send (a user message the fake model answers) for every HOSTILE
 * string and then a huge one, and one chat.inject (an assistant message, stored verbatim) for every HOSTILE string.
 */
export const HOSTILE_SEED = Object.freeze({
  sent: Object.freeze([...HOSTILE, hugeHostile(HOSTILE_HUGE_CHARS)]),
  injected: HOSTILE,
});
