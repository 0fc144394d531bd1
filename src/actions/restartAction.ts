// Restart, decided once for the extension and the CLI: which route (the gateway's restart RPC, or a signal to the local
// process from its lock file, or nothing Lanewatch can do from here), what each choice will do (from the preflight),
// then the run on a connection from the one factory and its report. The host asks which choice and renders the report.
import type { GatewayConfig } from '../config/gatewaySettings';
import type { GatewayWatcher } from '../fleet/gatewayWatcher';
import type { ConnectionProblem, ConnectionSnapshot, RestartPreflightResultView } from '../gateway';
import type { AuditTrail } from './auditTrail';
import { type OperatorConnections, RECOVERY_SCOPES, RESTART_SCOPES } from './operatorConnection';
import {
  describePreflight,
  findLockFor,
  findRestartNowTarget,
  p3RestartChoice,
  planLocalRestart,
  restartExpectation,
  restartGateway,
  restartPreflight,
  signalRestart,
  stopLocalGateway,
  type LocalRestartPlan,
  type RestartMode,
  type RestartNowTarget,
  type SignalRestartChoice,
} from './restart';
import { declinedReport, restartReport, stopReport, type ActionReport } from './actionReport';
import type { ActionHost } from './sessionActions';

export type RestartRoute = 'rpc' | 'local';

/**
 * The route a restart takes. Local (a signal to the process in the lock file, or a stop) when asked to stop, when the
 * gateway has no restart RPC (2026.3.x/2026.4.x), or when its RPC does not answer (the watcher is down with a problem);
 * the RPC when the watcher is connected to a gateway that has it, or is still connecting with no problem yet (the
 * action's own connection then waits up to the connect timeout, for a gateway that is slow to answer connect).
 */
export function restartRoute(
  watcher: Pick<ConnectionSnapshot, 'state' | 'hello' | 'problem'> | undefined,
  stop: boolean,
): RestartRoute {
  if (stop) return 'local';
  if (!watcher) return 'rpc';
  if (watcher.hello && !watcher.hello.methods.has('gateway.restart.request')) return 'local';
  if (watcher.state === 'connected') return 'rpc';
  return watcher.problem ? 'local' : 'rpc';
}

export type RestartPlan =
  | {
      kind: 'rpc';
      gateway: string;
      preflight: RestartPreflightResultView;
      /** The lock identity for an interrupting restart, when the gateway runs on this machine. */
      target?: RestartNowTarget;
      serverVersion?: string;
      /** What each mode will do, from the preflight: said before the person picks, and kept in the report. */
      expect: Record<RestartMode, string>;
    }
  | {
      kind: 'local';
      gateway: string;
      local: Extract<LocalRestartPlan, { kind: 'signal' }>;
      /** Which of signal and stop to recommend, and why. */
      choice: SignalRestartChoice;
      /** Sessions with an evidently live run. */
      live: string[];
      serverVersion?: string;
      /** false: this gateway has no restart RPC (undefined: not known). */
      hasRpc?: boolean;
    }
  | {
      kind: 'not-possible';
      gateway: string;
      why: string;
      commands: string[];
      /** Why the gateway does not answer, when it does not. */
      problem?: ConnectionProblem;
      serverVersion?: string;
      hasRpc?: boolean;
    };

export interface RestartEnv {
  conns: OperatorConnections;
  config: GatewayConfig;
  watcher?: GatewayWatcher;
  /** The preflight's entry goes here. */
  audit: AuditTrail;
}

const portOf = (url: string) => Number(new URL(url).port) || undefined;

export async function planRestart(
  env: RestartEnv,
  opts: { stop?: boolean; signal?: AbortSignal } = {},
): Promise<RestartPlan> {
  const { config, watcher } = env;
  const snap = watcher?.snapshot();
  const hasRpc = snap?.hello ? snap.hello.methods.has('gateway.restart.request') : undefined;
  if (restartRoute(snap, opts.stop ?? false) === 'rpc') {
    const found = await env.conns.run(
      config,
      RESTART_SCOPES,
      { purpose: 'restart preflight', signal: opts.signal },
      async (api, connection) => {
        const preflight = await restartPreflight({ api, connection, signal: opts.signal });
        const hello = connection.helloSummary;
        const target = await findRestartNowTarget({
          port: portOf(config.url),
          configPath: hello?.configPath ?? config.configPath,
          stateDir: hello?.stateDir,
        });
        return { preflight, target, serverVersion: hello?.serverVersion };
      },
    );
    env.audit.record({
      gateway: config.name,
      call: 'gateway.restart.preflight',
      outcome: found.preflight.safe ? 'safe' : 'blocked',
      detail: describePreflight(found.preflight),
    });
    return {
      kind: 'rpc',
      gateway: config.name,
      ...found,
      expect: {
        'when-safe': restartExpectation(found.preflight, 'when-safe', !!found.target),
        now: restartExpectation(found.preflight, 'now', !!found.target),
      },
    };
  }
  const hello = snap?.hello;
  const lock = await findLockFor({
    port: portOf(config.url),
    configPath: hello?.configPath ?? config.configPath,
    stateDir: hello?.stateDir,
  });
  const local = await planLocalRestart(lock, hello?.protocol);
  if (local.kind === 'service-manager')
    return {
      kind: 'not-possible',
      gateway: config.name,
      why: local.why,
      commands: local.commands,
      problem: snap?.state !== 'connected' ? snap?.problem : undefined,
      serverVersion: hello?.serverVersion,
      hasRpc,
    };
  const live = (watcher?.sessionRows() ?? []).map((r) => r.key).filter((k) => watcher!.runEvidence(k).live === true);
  return {
    kind: 'local',
    gateway: config.name,
    local,
    choice: p3RestartChoice(hello?.serverVersion, live),
    live,
    serverVersion: hello?.serverVersion,
    hasRpc,
  };
}

/** Nothing Lanewatch can do from here: what to run instead. */
export function notPossibleReport(plan: Extract<RestartPlan, { kind: 'not-possible' }>): ActionReport<undefined> {
  const noRpc = plan.hasRpc === false ? `; openclaw ${plan.serverVersion ?? ''} has no restart RPC` : '';
  return {
    action: 'restart',
    gateway: plan.gateway,
    kind: 'not-possible-here',
    call: 'restart',
    outcome: 'not possible from here',
    summary: `Lanewatch cannot restart ${plan.gateway} itself: ${plan.why}${noRpc}. Run one of: ${plan.commands.join('  or  ')}`,
    details: [],
    auditDetail: plan.why,
    problem: plan.problem,
    result: undefined,
  };
}

/** What the person chose: a mode of the RPC restart, or (local) a signal or a stop. */
export type RestartChoice = { mode: RestartMode } | { local: 'signal' | 'stop' };

/** The call the audit trail names for a choice (and for declining it). */
export function restartCall(plan: Exclude<RestartPlan, { kind: 'not-possible' }>, choice?: RestartChoice): string {
  if (plan.kind === 'rpc') return 'gateway.restart.request';
  if (!choice || !('local' in choice)) return 'restart';
  return choice.local === 'stop'
    ? `kill -TERM ${plan.local.pid}`
    : `kill -${plan.local.signal.slice(3)} ${plan.local.pid}`;
}

export function declinedRestart(
  plan: Exclude<RestartPlan, { kind: 'not-possible' }>,
  choice?: RestartChoice,
): ActionReport<undefined> {
  return declinedReport('restart', plan.gateway, restartCall(plan, choice));
}

export async function runRestart(
  env: RestartEnv,
  plan: Exclude<RestartPlan, { kind: 'not-possible' }>,
  choice: RestartChoice,
  host: Pick<ActionHost, 'progress'>,
): Promise<ActionReport> {
  const { watcher } = env;
  const restarting = !('local' in choice && choice.local === 'stop');
  // While the gateway is down for a restart asked for here, its row says so instead of "not running … check the URL".
  if (restarting) watcher?.noteRestart(true);
  try {
    return await restartSteps(env, plan, choice, host);
  } finally {
    if (restarting) watcher?.noteRestart(false);
  }
}

async function restartSteps(
  env: RestartEnv,
  plan: Exclude<RestartPlan, { kind: 'not-possible' }>,
  choice: RestartChoice,
  host: Pick<ActionHost, 'progress'>,
): Promise<ActionReport> {
  const { config, watcher } = env;
  const call = restartCall(plan, choice);
  if (plan.kind === 'rpc') {
    const mode = 'mode' in choice ? choice.mode : 'now';
    // "Now" without the lock aborts the active runs first: that needs write scope besides admin.
    const scopes = mode === 'now' && !plan.target ? RECOVERY_SCOPES : RESTART_SCOPES;
    const report = await host.progress(
      `Restarting ${plan.gateway} (${mode === 'now' ? 'now' : 'when safe'})`,
      (signal, say) =>
        env.conns.run(
          config,
          scopes,
          { purpose: `restart (${mode})`, signal, reconnect: true },
          async (api, connection) => {
            say(
              mode === 'now'
                ? 'interrupting active work…'
                : 'waiting for active work to finish, then for the gateway to come back…',
            );
            return restartGateway(
              { api, connection, signal },
              { mode, target: mode === 'now' ? plan.target : undefined, preflight: plan.preflight },
            );
          },
        ),
    );
    return restartReport(plan.gateway, call, report);
  }
  if ('local' in choice && choice.local === 'stop') {
    const stopped = await host.progress(`Stopping ${plan.gateway}`, (signal) =>
      stopLocalGateway(plan.local.pid, { signal }),
    );
    return stopReport(plan.gateway, stopped);
  }
  // The watcher's own connection sees the gateway go down and come back, even when its RPC does not answer now.
  const report = await host.progress(`Restarting ${plan.gateway} (${plan.local.signal})`, (signal) =>
    watcher
      ? signalRestart({ api: watcher.api, connection: watcher.connection, signal }, plan.local)
      : env.conns.run(
          config,
          RESTART_SCOPES,
          { purpose: `restart (${plan.local.signal})`, signal, reconnect: true },
          (api, connection) => signalRestart({ api, connection, signal }, plan.local),
        ),
  );
  return restartReport(plan.gateway, call, report);
}
