// Names why a gateway cannot be used, from the WebSocket phase that failed and what its HTTP probes said at the
// same time. The field's hardest case is a gateway whose HTTP server answers while its WebSocket is silent: it
// "looks healthy" to every uptime check. Each case says what happened and what to do, in words; the probe's
// figures go into `http`, shown behind the details.
import {
  readinessEventLoop,
  readinessFailing,
  startupStatus,
  type HttpProbeResult,
  type ProbeOutcome,
} from './httpProbe';
import type { ConnectionProblem } from './problems';

export type ReachabilityCase =
  'process-gone' | 'unresponsive' | 'http-only' | 'no-hello' | 'event-loop-blocked' | 'draining' | 'starting';

/**
 * WebSocket failures an HTTP probe can tell apart. Refused connections, auth and TLS need no probe; a dropped
 * connection (1006) is not probed either: the next attempt tells (refused when the process is gone), and a probe
 * made while an in-process restart brings HTTP back first would misname it.
 */
const PROBED_KINDS = new Set([
  'no-challenge',
  'upgrade-timeout',
  'hello-timeout',
  'closed-normal',
  'tick-timeout',
  'unavailable',
  'starting',
]);

/** `wasReady`: the connection had finished its login; only its silence (tick timeout) is probed then. */
export function shouldProbeHttp(problem: ConnectionProblem, wasReady: boolean): boolean {
  if (problem.diagnosis) return false;
  return wasReady ? problem.kind === 'tick-timeout' : PROBED_KINDS.has(problem.kind);
}

function outcomeText(path: string, o: ProbeOutcome): string {
  return o.answered
    ? `${path} ${o.status} in ${o.ms} ms`
    : `${path} ${o.reason === 'refused' ? 'refused' : o.reason === 'timeout' ? 'no answer' : 'failed'} (${o.ms} ms)`;
}

/** One line of figures for the details: each probe's answer, and the event-loop sample when there is one. */
export function probeFacts(probe: HttpProbeResult): string {
  const parts = [
    outcomeText('/health', probe.health),
    outcomeText('/startupz', probe.startup),
    outcomeText('/readyz', probe.ready),
  ];
  const status = startupStatus(probe);
  if (status) parts.push(`startup ${status}`);
  const failing = readinessFailing(probe);
  if (failing.length) parts.push(`not ready: ${failing.join(', ')}`);
  const loop = readinessEventLoop(probe);
  if (loop) parts.push(eventLoopWords(loop));
  return parts.join('; ');
}

function eventLoopWords(loop: NonNullable<ReturnType<typeof readinessEventLoop>>): string {
  const bits: string[] = [];
  if (loop.utilization !== undefined) bits.push(`${Math.round(loop.utilization * 100)}% busy`);
  if (loop.delayP99Ms !== undefined) bits.push(`p99 delay ${Math.round(loop.delayP99Ms)} ms`);
  if (loop.cpuCoreRatio !== undefined) bits.push(`CPU ${loop.cpuCoreRatio.toFixed(2)} cores`);
  if (loop.degraded) bits.push(`degraded${loop.reasons?.length ? ` (${loop.reasons.join(', ')})` : ''}`);
  return `event loop ${bits.join(', ') || 'sampled'}`;
}

function phaseWords(problem: ConnectionProblem): string {
  switch (problem.kind) {
    case 'upgrade-timeout':
      return 'the WebSocket upgrade got no answer';
    case 'no-challenge':
      return 'the WebSocket opened but the gateway never started the login';
    case 'hello-timeout':
      return 'the gateway started the login but never finished it';
    case 'closed-normal':
      return 'the gateway closed the WebSocket before the login finished';
    case 'tick-timeout':
      return 'the WebSocket went silent';
    default:
      return `the WebSocket failed (${problem.summary})`;
  }
}

/**
 * The problem with the case named, or the problem unchanged (but marked as probed) when the probe adds nothing.
 * The reconnect policy and fix action are kept: naming a case must not change how Lanewatch retries.
 */
export function diagnoseWithHttp(problem: ConnectionProblem, probe: HttpProbeResult): ConnectionProblem {
  const http = probeFacts(probe);
  const named = (c: ReachabilityCase, summary: string, advice: string): ConnectionProblem => ({
    ...problem,
    summary,
    advice,
    diagnosis: { case: c, http, wsSummary: problem.summary },
  });
  const { health } = probe;
  const status = startupStatus(probe);
  const loop = readinessEventLoop(probe);
  const ws = phaseWords(problem);
  if (!health.answered && health.reason === 'refused')
    return named(
      'process-gone',
      'gateway process gone',
      `Nothing answers at ${probe.origin} any more, neither HTTP nor WebSocket: the gateway process has exited. Start it again (openclaw gateway run, or restart its service); Lanewatch reconnects when it is back.`,
    );
  // Silence on both cannot tell a blocked event loop from a broken network path: the WebSocket's own words stay.
  if (!health.answered)
    return named(
      'unresponsive',
      problem.summary,
      `${problem.advice} HTTP does not answer either (/health: ${health.reason === 'timeout' ? `no answer within ${health.ms} ms` : health.error}): either the gateway's event loop is blocked or the network path to it is broken. If the gateway runs on this machine, check it with openclaw gateway status; restart it if it stays like this.`,
    );
  if (status === 'draining')
    return named(
      'draining',
      'gateway draining for a restart',
      'The gateway is finishing its work before it restarts and admits no new connections. Lanewatch reconnects when it is back; if it drains for minutes, a run is holding it: abort it or restart now.',
    );
  if (status === 'starting')
    return named(
      'starting',
      'gateway still starting',
      'The gateway is up but still starting its services. Lanewatch reconnects as soon as it admits connections.',
    );
  if (loop?.degraded)
    return named(
      'event-loop-blocked',
      `gateway overloaded (${eventLoopWords(loop).replace(/^event loop /, 'event loop ')})`,
      `HTTP answers, but ${ws}: the gateway reports its own event loop as degraded. Work in progress is slowing it down; wait for it, or find what is busy (capture a CPU profile once it answers) and restart it if it does not recover.`,
    );
  if (problem.kind === 'hello-timeout')
    return named(
      'no-hello',
      'login not answered (HTTP answers)',
      `The gateway's HTTP answers and it started the WebSocket login, but never finished it. Usual causes: a device waiting for pairing approval (openclaw devices list), an auth problem in the gateway log, or a gateway too busy to answer. Check the gateway log, then restart it if nothing else explains it.`,
    );
  if (problem.kind === 'unavailable' || problem.kind === 'starting')
    return { ...problem, diagnosis: { http, wsSummary: problem.summary } };
  return named(
    'http-only',
    `HTTP answers, WebSocket ${problem.kind === 'closed-normal' ? 'closes before login' : 'silent'}`,
    `The gateway's HTTP server answers (/health ${health.status} in ${health.ms} ms), but ${ws}. Uptime checks call it healthy, yet no client can use it: its WebSocket handling is wedged. Restart the gateway (openclaw gateway restart); if it recurs, attach a diagnostics export to the bug report.`,
  );
}
