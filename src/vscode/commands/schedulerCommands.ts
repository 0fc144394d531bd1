// The cron and task commands: "Run Cron Job Now", "Disable Cron Job", "Enable Cron Job", "Cancel Task", "Retry Task
// Delivery" and "Refresh Cron Jobs and Tasks". From a row of the tree (its node names the gateway and the job or task)
// or from the palette (a gateway pick, then a pick of the jobs or tasks the action applies to, from a fresh read). The
// plan, the question, the call and the read-back that confirms it are src/actions/schedulerActions.ts, shared with
// `lanewatch cron` and `lanewatch tasks`; this file only asks, shows progress and says the outcome. After an action
// the scheduler is read again, so the tree shows what the gateway now says rather than what was asked for.
import * as vscode from 'vscode';
import {
  planSchedulerAction,
  runSchedulerAction,
  schedulerOutcomeClass,
  type SchedulerActionName,
  type SchedulerActionReport,
} from '../../actions/schedulerActions';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import type { SchedulerState } from '../../fleet/schedulerRead';
import type { ActionServices } from './commandHost';
import { pickGateway } from './pickGateway';

/** From a tree row (its node), a test, or nothing (then picks). `assumeYes` skips the question (tests). */
export interface SchedulerCommandArg {
  gateway?: string;
  jobId?: string;
  taskId?: string;
  assumeYes?: boolean;
}

export const SCHEDULER_COMMANDS: Readonly<Record<SchedulerActionName, string>> = {
  'cron-run-now': 'lanewatch.cronRunNow',
  'cron-disable': 'lanewatch.cronDisable',
  'cron-enable': 'lanewatch.cronEnable',
  'task-cancel': 'lanewatch.taskCancel',
  'task-retry': 'lanewatch.taskRetry',
};
export const REFRESH_SCHEDULER_COMMAND = 'lanewatch.refreshScheduler';

const isCron = (a: SchedulerActionName) => a.startsWith('cron-');

interface Target {
  id: string;
  label: string;
  detail?: string;
}

/** The jobs or tasks an action applies to, as the last read shows them. */
function targetsOf(action: SchedulerActionName, s: SchedulerState | undefined): Target[] {
  if (isCron(action))
    return (s?.cron?.jobs ?? [])
      .filter((j) => action === 'cron-run-now' || j.enabled === (action === 'cron-disable'))
      .map((j) => ({
        id: j.id,
        label: j.name,
        detail: `${j.schedule}${j.facts.length ? ` · ${j.facts[0].text}` : ''}`,
      }));
  return (s?.tasks?.groups ?? []).flatMap((g) =>
    g.tasks
      .filter((t) =>
        action === 'task-cancel'
          ? t.status === 'queued' || t.status === 'running'
          : t.blocked || t.deliveryStatus === 'failed' || t.deliveryStatus === 'parent_missing',
      )
      .map((t) => ({
        id: t.id,
        label: t.title,
        detail: `${t.status}, delivery ${t.deliveryStatus}, owed to ${g.requester || '(none named)'}`,
      })),
  );
}

const NONE_TEXT: Readonly<Record<SchedulerActionName, string>> = {
  'cron-run-now': 'has no cron jobs',
  'cron-disable': 'has no enabled cron job',
  'cron-enable': 'has no disabled cron job',
  'task-cancel': 'has no queued or running task',
  'task-retry': 'has no task whose delivery failed',
};

async function pickWatcher(actions: ActionServices, method: string, placeHolder: string) {
  return pickGateway(
    actions.fleet.gateways().filter((w) => w.snapshot().hello?.methods.has(method)),
    placeHolder,
  );
}

export function registerSchedulerCommands(actions: ActionServices): void {
  const { commands, fleet } = actions;
  for (const [action, id] of Object.entries(SCHEDULER_COMMANDS) as Array<[SchedulerActionName, string]>)
    commands.register<SchedulerCommandArg>(id, async (arg, run): Promise<SchedulerActionReport | undefined> => {
      const method = isCron(action) ? 'cron.list' : 'tasks.list';
      const watcher: GatewayWatcher | undefined = arg?.gateway
        ? fleet.gateway(arg.gateway)
        : await pickWatcher(actions, method, `${isCron(action) ? 'Cron jobs' : 'Tasks'} of which gateway?`);
      if (!watcher) {
        if (!arg?.gateway && !fleet.gateways().some((w) => w.snapshot().hello?.methods.has(method)))
          void vscode.window.showWarningMessage(
            isCron(action)
              ? 'Lanewatch: no connected gateway has a scheduler.'
              : 'Lanewatch: no connected gateway has a task ledger (2026.9.x has one; 2026.3.x and 2026.4.x do not).',
          );
        return undefined;
      }
      let target = isCron(action) ? arg?.jobId : arg?.taskId;
      let label = target;
      const known = targetsOf(action, watcher.scheduler.latest()).find((t) => t.id === target);
      if (known) label = known.label;
      if (!target) {
        const state = await watcher.scheduler.read(true);
        const targets = targetsOf(action, state);
        if (!targets.length) {
          void vscode.window.showInformationMessage(`Lanewatch: ${watcher.name} ${NONE_TEXT[action]}.`);
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(
          targets.map((t) => ({ label: t.label, description: t.id, detail: t.detail, t })),
          { placeHolder: `Which ${isCron(action) ? 'job' : 'task'} on ${watcher.name}?` },
        );
        if (!picked) return undefined;
        target = picked.t.id;
        label = picked.t.label;
      }
      const plan = planSchedulerAction(action, watcher.name, target, label);
      run.acting({ gateway: watcher.name, call: plan.call, title: `${plan.title} (${plan.label})` });
      const report = await runSchedulerAction(
        { conns: actions.conns, config: watcher.config, audit: actions.audit },
        plan,
        run.actionHost,
      );
      if (report.details.length)
        actions.output.info(`${plan.title} ${plan.label}\n${report.details.map((d) => `  ${d}`).join('\n')}`);
      // What the gateway now says, whatever the outcome: a refused or unconfirmed action leaves the row as it is.
      void watcher.scheduler.read(true);
      if (report.kind !== 'declined') commands.notify(schedulerOutcomeClass(report) === 'ok', report.summary);
      return report;
    });

  commands.register<SchedulerCommandArg>(REFRESH_SCHEDULER_COMMAND, async (arg) => {
    const targets = arg?.gateway
      ? [fleet.gateway(arg.gateway)].filter((w) => !!w)
      : fleet.gateways().filter((w) => w.snapshot().hello?.methods.has('cron.list'));
    return Promise.all(targets.map((w) => w.scheduler.read(true)));
  });
}
