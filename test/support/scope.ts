// Which openclaw version this run of the gateway suite (test/gateway) talks to, and which of its tests run there.
//
// The suite runs once per supported version: 2026.9.x in the `gateway` stage, 2026.3.24 and 2026.4.26 in
// `gateway-legacy` (docs/testing.md, "What runs on which version", says per test file what runs where). A test whose
// behaviour is the same on every version runs on 2026.9.x only; one that proves protocol 3 behaviour that 2026.3.24 and
// 2026.4.26 share runs on 2026.3.24 (the protocol-3 gateway that starts in seconds; 2026.4.26 needs about a minute per
// start and per first turn); everything a version does differently runs on that version. LANEWATCH_GATEWAY_SCOPE=all
// runs every test on every version (the full matrix), as the suite did before it was scoped.

/** The openclaw version under test (LANEWATCH_OPENCLAW_VERSION, default 2026.9.6, as scripts/fixtures/tools.mjs). */
export const VERSION = process.env.LANEWATCH_OPENCLAW_VERSION || '2026.9.6';

export type Generation = '2026.9' | '2026.4' | '2026.3';
/** 2026.9.x speaks protocol 4; 2026.4.x and 2026.3.x protocol 3. */
export const GENERATION: Generation = /^2026\.3\./.test(VERSION)
  ? '2026.3'
  : /^2026\.4\./.test(VERSION)
    ? '2026.4'
    : '2026.9';

/** Every test on every version: LANEWATCH_GATEWAY_SCOPE=all. */
export const FULL_MATRIX = process.env.LANEWATCH_GATEWAY_SCOPE === 'all';

/**
 * Test options that run a test only on the listed generations (merge with the timeout: `{ ...LONG, ...on(...) }`).
 * Elsewhere it is skipped with the reason, which the spec reporter prints next to the test.
 * @param gens where it runs
 * @param why why the other versions need not run it (what they would prove again)
 */
export function on(gens: readonly Generation[], why: string): { skip: string | false } {
  if (FULL_MATRIX || gens.includes(GENERATION)) return { skip: false };
  return { skip: `not on ${VERSION}: ${why} (LANEWATCH_GATEWAY_SCOPE=all runs it)` };
}

/** Runs on 2026.9.x only: what it proves does not depend on the gateway's version. */
export const everyVersionAlike = (what = 'Lanewatch does the same on every version') => on(['2026.9'], what);

/** Runs on 2026.9.x and 2026.3.24: the protocol-3 behaviour it proves is the same on 2026.4.26. */
export const protocol3Alike = (what = 'protocol 3 behaves here as on 2026.3.24, where it runs') =>
  on(['2026.9', '2026.3'], what);
