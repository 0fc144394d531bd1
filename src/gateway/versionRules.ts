// What Lanewatch knows about each supported openclaw generation, in one place. Everything here was observed on
// running gateways (test/gateway runs the suite against 2026.3.24, 2026.4.26 and 2026.9.x); the rest of the model
// asks these functions instead of comparing version strings itself.
import type { HelloSummary } from './';

/** `2026.4.26` → [2026, 4, 26]; unparseable parts are 0. */
export function parseOpenClawVersion(version: string | undefined): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

function atLeast(version: string | undefined, year: number, month: number): boolean {
  const [y, m] = parseOpenClawVersion(version);
  return y > year || (y === year && m >= month);
}

/**
 * How long a protocol-3 run may stay silent (no agent/chat event) before it counts as ended. 2026.4.x aborts a
 * model call after 120 s without a token (its LLM idle watchdog, one retry with a new lifecycle start) and then
 * ends the run without any event, so 180 s of silence after the last event means it is over. 2026.3.x has no such
 * watchdog (a hung call runs for up to 48 h), so silence proves nothing there: undefined.
 */
export const P3_RUN_EXPIRY_MS = 180_000;

export function runExpiryMs(hello: Pick<HelloSummary, 'protocol' | 'serverVersion'> | undefined): number | undefined {
  if (!hello || hello.protocol >= 4) return undefined;
  return atLeast(hello.serverVersion, 2026, 4) ? P3_RUN_EXPIRY_MS : undefined;
}

/** 2026.3.x registers only chat.send/sessions.send runs for abort: a run started with the `agent` method answers no-active-run. */
export function abortReachesAgentRuns(serverVersion: string | undefined): boolean {
  return atLeast(serverVersion, 2026, 4);
}

/** Rows carry hasActiveRun/activeRunIds (protocol 4): the row's status can be trusted. */
export function rowsReportActiveRuns(hello: Pick<HelloSummary, 'protocol'> | undefined): boolean {
  return (hello?.protocol ?? 0) >= 4;
}

/**
 * SIGUSR1 on 2026.3.x/2026.4.x waits for active runs before restarting: 300 s of deferral, then 90 s of drain
 * (6.5 minutes measured on 2026.3.24 with a hung run). Stop + start frees a hung lane at once.
 */
export const P3_SIGNAL_RESTART_WAIT_S = 390;
