// The opt-in watchdog inside VS Code: `lanewatch.watchdog.*` settings → a Watchdog on the fleet, whose recovery is the
// actions layer's (the same ladder and connection factory as the commands and `lanewatch watch`) and whose outcomes go
// to the audit trail and to a notification. Off by default; a settings change rebuilds it (armed sessions start their
// threshold over, which can only delay an action, never hasten one).
import * as vscode from 'vscode';
import { watchdogRecovery } from '../actions/sessionActions';
import {
  validateWatchdogRules,
  Watchdog,
  watchdogAuditEntry,
  watchdogRetryText,
  type WatchdogEvent,
} from '../watchdog/watchdog';
import type { ActionServices } from './commands/commandHost';

export class WatchdogHost implements vscode.Disposable {
  private dog?: Watchdog;
  private readonly subs: vscode.Disposable[] = [];
  readonly events: WatchdogEvent[] = [];
  private readonly emitter = new vscode.EventEmitter<WatchdogEvent>();
  readonly onDidEvent = this.emitter.event;

  constructor(private readonly actions: ActionServices) {
    this.subs.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('lanewatch.watchdog')) this.configure();
      }),
    );
    this.configure();
  }

  get running(): boolean {
    return !!this.dog;
  }

  private configure(): void {
    this.dog?.dispose();
    this.dog = undefined;
    const { output } = this.actions;
    const c = vscode.workspace.getConfiguration('lanewatch.watchdog');
    if (!c.get<boolean>('enabled', false)) return;
    const seconds = (k: string) => {
      const v = c.get<unknown>(k);
      return typeof v === 'number' ? v * 1000 : v;
    };
    const { rules, problems } = validateWatchdogRules({
      states: c.get('states'),
      thresholdMs: seconds('thresholdSeconds'),
      maxActionsPerHour: c.get('maxActionsPerHour'),
      cooldownMs: seconds('cooldownSeconds'),
      exclude: c.get('exclude'),
      subagents: c.get('subagents'),
      cron: c.get('cron'),
    });
    if (problems.length) {
      // A bad rule must not turn into a watchdog that acts more than the user asked: stay off and say why.
      const text = `Lanewatch watchdog is off: invalid lanewatch.watchdog settings: ${problems.join('; ')}`;
      output.warn(text);
      void vscode.window
        .showWarningMessage(text, 'Open Settings')
        .then((x) => x && vscode.commands.executeCommand('workbench.action.openSettings', 'lanewatch.watchdog'));
      return;
    }
    output.info(
      `watchdog on: ${rules.states.join('/')} for ${rules.thresholdMs / 1000} s → recovery ladder; max ${rules.maxActionsPerHour}/hour per session; cool-down ${rules.cooldownMs / 1000} s${rules.exclude.length ? `; never ${rules.exclude.join(', ')}` : ''}; ${rules.subagents === false ? 'not ' : ''}subagent sessions, ${rules.cron === false ? 'not ' : ''}cron sessions`,
    );
    this.dog = new Watchdog(this.actions.fleet, {
      rules,
      recover: watchdogRecovery(this.actions.conns, this.actions.audit),
      onEvent: (e) => this.onEvent(e),
    });
  }

  private onEvent(e: WatchdogEvent): void {
    this.events.push(e);
    if (this.events.length > 500) this.events.splice(0, this.events.length - 500);
    this.emitter.fire(e);
    // Outcomes and decisions not to act go to the audit trail (a failure with its cause and when it is retried).
    const entry = watchdogAuditEntry(e);
    if (entry) this.actions.audit.record(entry);
    const notify = (ok: boolean, text: string) => this.actions.commands.notify(ok, text);
    switch (e.kind) {
      case 'acted':
        notify(
          e.report.verdict === 'freed',
          `Lanewatch watchdog: ${e.key} on ${e.gateway} was ${e.state}; recovery ${e.report.verdict} — ${e.report.summary}`,
        );
        break;
      case 'failed':
        notify(
          false,
          `Lanewatch watchdog could not recover ${e.key} on ${e.gateway}: ${e.error} (${watchdogRetryText(e)})`,
        );
        break;
      case 'armed':
        this.actions.output.info(
          `watchdog: ${e.key} on ${e.gateway} is ${e.state}; acting at ${new Date(e.actAt).toISOString()} if it stays so`,
        );
        break;
      default:
        break;
    }
  }

  dispose(): void {
    this.dog?.dispose();
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
