// Recovery commands: abort, abort + clear queue, reset (/new), the recover ladder, test send, send message, and gateway
// restart. What each does, what it asks and what it reports is decided in src/actions/ (the same code the CLI runs);
// here the session or gateway is picked, the question is a modal, the progress is cancellable, and the report becomes
// an audit line, the details in the "Lanewatch" output channel and a notification (commandHost.ts).
import { sessionPicks } from './sessionPicks';
import * as vscode from 'vscode';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import type { Fleet } from '../../fleet/fleet';
import {
  planSessionAction,
  runSessionAction,
  type SessionActionEnv,
  type SessionActionName,
} from '../../actions/sessionActions';
import {
  declinedRestart,
  notPossibleReport,
  planRestart,
  runRestart,
  type RestartChoice,
} from '../../actions/restartAction';
import { describePreflight } from '../../actions/restart';
import { testSendNotice } from '../../actions/testSend';
import { familyPick, runRecover, type FamilyChoice, type FamilyRecoveryPlan } from '../../actions/familyRecovery';
import type { ActionReport } from '../../actions/actionReport';
import type { RecoveryReport } from '../../actions/recovery';
import type { ActionServices, CommandRun } from './commandHost';
import { pickGateway } from './pickGateway';

/** Arguments from tree nodes, or from tests (`assumeYes` is never passed by menus or the palette). */
export interface SessionArg {
  gateway?: string;
  key?: string;
  message?: string;
  assumeYes?: boolean;
}

/** The settle wait after each recovery call here (the CLI's default too). */
const SETTLE_MS = 20_000;

async function pickSession(
  fleet: Fleet,
  arg: SessionArg | undefined,
): Promise<{ watcher: GatewayWatcher; key: string } | undefined> {
  let watcher = arg?.gateway ? fleet.gateway(arg.gateway) : undefined;
  if (!watcher) {
    const all = fleet.gateways().filter((g) => g.snapshot().state === 'connected');
    if (all.length === 0) {
      void vscode.window.showWarningMessage('Lanewatch: no connected gateway.');
      return undefined;
    }
    watcher = await pickGateway(all, 'Which gateway?');
  }
  if (!watcher) return undefined;
  if (arg?.key) return { watcher, key: arg.key };
  const w = watcher;
  const picked = await vscode.window.showQuickPick(sessionPicks(w), {
    placeHolder: `Which session on ${w.name}? (those that need help first)`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked ? { watcher: w, key: picked.key } : undefined;
}

/**
 * Recovering a parent that waits on a subagent: which one. The stuck subagent is offered first (recommended when it is
 * wedged: aborting the parent would lose its turn while the subagent is what is stuck); the parent itself, or nothing.
 * The pick is the consent (no modal after it). Tests pass assumeYes: the subagent.
 */
async function chooseFamilyTarget(plan: FamilyRecoveryPlan, assumeYes: boolean | undefined): Promise<FamilyChoice> {
  if (assumeYes) return 'subagent';
  const pick = familyPick(plan);
  const picked = await vscode.window.showQuickPick(
    pick.items.map((i, n) => ({ ...i, label: n === 0 ? `$(debug-restart) ${i.label}` : i.label })),
    { title: pick.title, placeHolder: pick.placeHolder, matchOnDetail: true },
  );
  return picked?.choice;
}

/** How a report's notification begins, per action. */
function headline(r: ActionReport, title: string): string {
  const key = r.sessionKey ?? '';
  switch (r.action) {
    case 'recover': {
      // A parent waiting on a subagent: the steps acted on the subagent, so the outcome is the subagent's, said so (the
      // parent itself was not freed, nor touched).
      const family = (r.result as RecoveryReport | undefined)?.family;
      return `Recover ${key}: ${family ? `its subagent ${family.subagentLabel} ${r.outcome}` : r.outcome} — ${r.summary}`;
    }
    case 'abort':
    case 'abort-clear-queue':
    case 'reset':
      return `${title} (${key}): ${r.summary}`;
    case 'test-send':
    case 'send':
      return `${title} ${key}: ${r.summary}`;
    case 'restart':
      if (r.kind === 'not-possible-here') return r.summary;
      return r.kind === 'stopped' || r.call.startsWith('kill -TERM')
        ? `${r.gateway}: ${r.summary}`
        : `Restart ${r.gateway}: ${r.summary}`;
  }
}

export function registerRecoveryCommands(actions: ActionServices): void {
  const { fleet, conns, audit, commands } = actions;
  const env = (watcher: GatewayWatcher): SessionActionEnv => ({
    conns,
    config: watcher.config,
    watcher,
    audit,
    settleTimeoutMs: SETTLE_MS,
  });

  const sessionAction = async (
    run: CommandRun,
    action: SessionActionName,
    target: { watcher: GatewayWatcher; key: string },
    message?: string,
  ) => {
    const plan = planSessionAction(action, target.watcher.name, target.key);
    run.acting({
      gateway: target.watcher.name,
      session: target.key,
      call: plan.call,
      title: action === 'recover' ? `Recover ${target.key}` : `${plan.title} (${target.key})`,
    });
    const report = await runSessionAction(env(target.watcher), plan, run.actionHost, { message });
    return run.finish(report, headline(report, plan.title));
  };

  for (const [id, action] of [
    ['lanewatch.abortRun', 'abort'],
    ['lanewatch.abortAndClearQueue', 'abort-clear-queue'],
    ['lanewatch.resetSession', 'reset'],
  ] as const)
    commands.register<SessionArg>(id, async (arg, run) => {
      const target = await pickSession(fleet, arg);
      return target ? sessionAction(run, action, target) : undefined;
    });

  // Recover: a parent waiting on a stuck subagent is offered the subagent first (actions/familyRecovery.ts).
  commands.register<SessionArg>('lanewatch.recoverSession', async (arg, run) => {
    const target = await pickSession(fleet, arg);
    if (!target) return undefined;
    run.acting({ gateway: target.watcher.name, session: target.key, call: 'recover', title: `Recover ${target.key}` });
    const report = await runRecover(env(target.watcher), target.key, run.actionHost, {
      choose: (plan) => chooseFamilyTarget(plan, arg?.assumeYes),
    });
    return run.finish(report, headline(report, 'Recover'));
  });

  commands.register<SessionArg>('lanewatch.testSend', async (arg, run) => {
    const w = arg?.gateway && !arg.key ? fleet.gateway(arg.gateway) : undefined;
    const target = w ? { watcher: w, key: 'agent:main:lanewatch-probe' } : await pickSession(fleet, arg);
    return target ? sessionAction(run, 'test-send', target, arg?.message) : undefined;
  });

  commands.register<SessionArg>('lanewatch.sendMessage', async (arg, run) => {
    const target = await pickSession(fleet, arg);
    if (!target) return undefined;
    const message =
      arg?.message ??
      (await vscode.window.showInputBox({
        title: `Send to ${target.key} on ${target.watcher.name}`,
        prompt: `Message to send (verified like a test send: accepted, first event, final reply). ${testSendNotice(target.key)}`,
      }));
    return message ? sessionAction(run, 'send', target, message) : undefined;
  });

  commands.register<SessionArg>('lanewatch.restartGateway', async (arg, run) => {
    const watcher = arg?.gateway
      ? fleet.gateway(arg.gateway)
      : (
          await vscode.window.showQuickPick(
            fleet.gateways().map((g) => ({ label: g.name, g })),
            { placeHolder: 'Restart which gateway?' },
          )
        )?.g;
    if (!watcher) return undefined;
    run.acting({
      gateway: watcher.name,
      call: 'gateway.restart.request',
      title: `Restart ${watcher.name}`,
    });
    const renv = { conns, config: watcher.config, watcher, audit };
    // The preflight and the question first, then the progress notification: nothing says "restarting" before the
    // person agreed.
    const plan = await planRestart(renv);
    if (plan.kind === 'not-possible') {
      const report = notPossibleReport(plan);
      return run.finish(report, headline(report, 'Restart'), { modal: true });
    }
    let choice: RestartChoice;
    if (plan.kind === 'local') {
      // No restart RPC (2026.3.x/2026.4.x), or it does not answer: a signal to the local process, or a stop.
      run.acting({ gateway: watcher.name, call: 'restart', title: `Restart ${watcher.name}` });
      const stopNow = 'Stop Now (SIGTERM)',
        signalIt = `Restart (${plan.local.signal})`;
      const picked = arg?.assumeYes
        ? plan.choice.recommend === 'stop-start'
          ? stopNow
          : signalIt
        : await vscode.window.showWarningMessage(
            `Restart ${watcher.name} (pid ${plan.local.pid})?`,
            { modal: true, detail: `${plan.local.why}. ${plan.choice.why}` },
            ...(plan.choice.recommend === 'stop-start' ? [stopNow, signalIt] : [signalIt, stopNow]),
          );
      if (!picked) return run.finish(declinedRestart(plan), '');
      choice = { local: picked === stopNow ? 'stop' : 'signal' };
    } else {
      let mode: 'now' | 'when-safe' = 'now';
      if (!arg?.assumeYes) {
        const now = 'Restart Now',
          safe = 'Restart When Safe';
        const detail = `${plan.preflight.safe ? 'Nothing is active.' : `Active work: ${describePreflight(plan.preflight)}.`}\n\n"${safe}": ${plan.expect['when-safe']}\n\n"${now}": ${plan.expect.now}`;
        const picked = await vscode.window.showWarningMessage(
          `Restart gateway ${watcher.name}?`,
          { modal: true, detail },
          safe,
          now,
        );
        if (!picked) return run.finish(declinedRestart(plan), '');
        mode = picked === now ? 'now' : 'when-safe';
      }
      choice = { mode };
    }
    const report = await runRestart(renv, plan, choice, run.actionHost);
    return run.finish(report, headline(report, 'Restart'));
  });
}
