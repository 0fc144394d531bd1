// `lanewatch cron run|disable|enable <jobId>` and `lanewatch tasks cancel|retry <taskId>`: the extension's cron and
// task actions (src/actions/schedulerActions.ts: the question, the call, the read-back that confirms it) on a
// terminal. The summary on stdout (the report as JSON with --json), the calls behind it indented, the exit code by the
// outcome's class as every other command: 0 done (or nothing to do), 3 not confirmed, 4 refused (unknown id, declined,
// missing scope), 1 failed.
import {
  planSchedulerAction,
  runSchedulerAction,
  schedulerOutcomeClass,
  type SchedulerActionName,
} from '../actions/schedulerActions';
import { EXIT, terminalHost, type ActionContext } from './actionCommands';

export const CRON_VERBS = { run: 'cron-run-now', disable: 'cron-disable', enable: 'cron-enable' } as const;
export const TASK_VERBS = { cancel: 'task-cancel', retry: 'task-retry' } as const;

/** The action a `cron <verb>` / `tasks <verb>` names, or undefined. */
export function schedulerActionOf(
  command: 'cron' | 'tasks',
  verb: string | undefined,
): SchedulerActionName | undefined {
  const verbs: Record<string, SchedulerActionName> = command === 'cron' ? CRON_VERBS : TASK_VERBS;
  return verb !== undefined && Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
}

export async function runSchedulerCommand(
  ctx: ActionContext,
  action: SchedulerActionName,
  target: string,
): Promise<number> {
  const plan = planSchedulerAction(action, ctx.config.name, target);
  const report = await runSchedulerAction(
    {
      conns: ctx.conns,
      config: ctx.config,
      audit: ctx.audit,
      ...(ctx.replyTimeoutMs !== undefined ? { settleTimeoutMs: ctx.replyTimeoutMs } : {}),
    },
    plan,
    terminalHost(ctx),
  );
  const cls = schedulerOutcomeClass(report);
  if (report.kind === 'declined') return EXIT.refused;
  if (report.kind === 'unknown-target') {
    // Nothing was done: said on stderr, nothing on stdout (as for an unknown session key).
    ctx.io.err(
      `lanewatch: ${report.summary} (\`lanewatch status --json\` lists the ${action.startsWith('cron-') ? 'jobs' : 'undelivered tasks'} with their ids)\n`,
    );
    return EXIT.refused;
  }
  ctx.io.out(
    ctx.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${[report.summary, ...report.details.map((d) => `  ${d}`)].join('\n')}\n`,
  );
  return EXIT[cls];
}
