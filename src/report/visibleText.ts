// Bidirectional-text controls (the "Trojan Source" characters) reorder what is shown without changing what is
// stored: "\u202Egnirts desrever" is displayed as "reversed string". In untrusted text they are made visible as a
// named marker, so what a reader sees is what the agent or gateway sent. The implicit marks (U+200E, U+200F) do not
// override anything on their own and are left alone.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
const NAMES: Record<string, string> = {
  '\u202a': 'LRE',
  '\u202b': 'RLE',
  '\u202c': 'PDF',
  '\u202d': 'LRO',
  '\u202e': 'RLO',
  '\u2066': 'LRI',
  '\u2067': 'RLI',
  '\u2068': 'FSI',
  '\u2069': 'PDI',
};

export function revealBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, (c) => `\u27e8${NAMES[c]}\u27e9`);
}
