// What openclaw 2026.9.x says about its own process: the `eventLoop` sample of its event-loop monitor (in `health`,
// `system.info` and detailed `/readyz`) and the process memory (`system.info`). Field names and units as the
// gateway's schema (packages/gateway-protocol/src/schema/runtime-vitals.ts in the 2026.9.6 dist) and
// docs/gateway/health.md give them; checked on a real 2026.9.6 gateway (test/gateway/health.test.ts). Partial on
// purpose: every field may be missing ("missing fields mean unavailable, not zero"), 2026.3.x/2026.4.x send none.

/** The gateway's reasons for `degraded`, per sampler window. */
export type EventLoopDegradedReason = 'event_loop_delay' | 'event_loop_utilization' | 'cpu';

/**
 * One completed window of the gateway's event-loop monitor (about 1 s: the window closes at the first 20 ms tick
 * after 1 s, or at once when a tick was 1 s late). The gateway's own verdict per window: `event_loop_delay` when p99
 * or max delay ≥ 1000 ms; with delay ≥ 25 ms as co-evidence and a window ≥ 1 s, `event_loop_utilization` at ≥ 0.95
 * and `cpu` at ≥ 0.9 core equivalents.
 */
export interface EventLoopHealthView {
  degraded: boolean;
  /** ms the monitor has been degraded without a healthy window in between (null: not degraded). */
  degradedSinceMs?: number | null;
  reasons: EventLoopDegradedReason[];
  /** The window's length, ms. */
  intervalMs: number;
  delayP99Ms: number;
  delayMaxMs: number;
  /** Event-loop utilization of the main thread, 0..1. */
  utilization: number;
  /** Process CPU (user + system, all threads) over wall time, in core equivalents (1 = one core busy). */
  cpuCoreRatio: number;
  cpuBreakdown?: {
    mainThreadCoreRatio?: number;
    workerCoreRatio?: number;
    otherThreadsCoreRatio?: number;
    /** Busy fraction of the whole host, 0..1 over hostCpuCount logical CPUs (other processes included). */
    hostUtilization?: number;
    hostCpuCount?: number;
  };
}

export interface ProcessMemoryView {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes?: number;
  arrayBuffersBytes?: number;
}

/** `system.info` (2026.9.x, operator.read): host facts plus the process vitals. Only the fields Lanewatch reads. */
export interface SystemInfoResultView {
  pid?: number;
  /** A new id for every gateway process: a changed id means the gateway restarted. */
  processInstanceId?: string;
  uptimeMs?: number;
  nodeVersion?: string;
  cpuCount?: number;
  eventLoop?: EventLoopHealthView;
  processMemory?: ProcessMemoryView;
  [extra: string]: unknown;
}

/** One `diagnostic.liveness.warning` record of `diagnostics.stability` (2026.9.x: degraded for ≥ 60 s in a row). */
export interface LivenessWarningView {
  seq?: number;
  ts?: number;
  type: 'diagnostic.liveness.warning';
  reasons?: string[];
  intervalMs?: number;
  degradedSinceMs?: number;
  eventLoopDelayP99Ms?: number;
  eventLoopDelayMaxMs?: number;
  eventLoopUtilization?: number;
  cpuCoreRatio?: number;
  active?: number;
  waiting?: number;
  queued?: number;
  phase?: string;
}
