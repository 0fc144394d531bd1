// The opt-in watchdog inside VS Code: `lanewatch.watchdog.*` settings → a Watchdog on the fleet, whose actions
// go to the audit trail and to a notification. Off by default; a settings change rebuilds it (armed sessions
// start their threshold over, which can only delay an action, never hasten one).
import * as vscode from 'vscode';
import type { Fleet } from '../fleet/fleet';
import type { AuditTrail } from '../actions/auditTrail';
import { RECOVERY_SCOPES, requestTimeoutFromSeconds, withOperatorConnection } from '../actions/operatorConnection';
import { recoverSession } from '../actions/recovery';
import {
  validateWatchdogRules,
  Watchdog,
  watchdogAuditEntry,
  watchdogRetryText,
  type WatchdogEvent,
} from '../watchdog/watchdog';

export class WatchdogHost implements vscode.Disposable {
  private dog?: Watchdog;
  private readonly subs: vscode.Disposable[] = [];
  readonly events: WatchdogEvent[] = [];
  private readonly emitter = new vscode.EventEmitter<WatchdogEvent>();
  readonly onDidEvent = this.emitter.event;

  constructor(
    private readonly fleet: Fleet,
    private readonly audit: AuditTrail,
    private readonly output: vscode.LogOutputChannel,
  ) {
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
    });
    if (problems.length) {
      // A bad rule must not turn into a watchdog that acts more than the user asked: stay off and say why.
      const text = `Lanewatch watchdog is off: invalid lanewatch.watchdog settings: ${problems.join('; ')}`;
      this.output.warn(text);
      void vscode.window
        .showWarningMessage(text, 'Open Settings')
        .then((x) => x && vscode.commands.executeCommand('workbench.action.openSettings', 'lanewatch.watchdog'));
      return;
    }
    this.output.info(
      `watchdog on: ${rules.states.join('/')} for ${rules.thresholdMs / 1000} s → recovery ladder; max ${rules.maxActionsPerHour}/hour per session; cool-down ${rules.cooldownMs / 1000} s${rules.exclude.length ? `; never ${rules.exclude.join(', ')}` : ''}`,
    );
    this.dog = new Watchdog(this.fleet, {
      rules,
      recover: (w, key) =>
        withOperatorConnection(
          this.fleet,
          w.config,
          RECOVERY_SCOPES,
          {
            requestTimeoutMs: requestTimeoutFromSeconds(
              vscode.workspace.getConfiguration('lanewatch').get<unknown>('requestTimeoutSeconds'),
            ),
          },
          (api, connection) =>
            recoverSession({ api, connection, settleTimeoutMs: 20_000, evidence: w.evidenceSource() }, key, (s) =>
              this.audit.record({ gateway: w.name, session: key, call: s.call, outcome: s.outcome, detail: s.message }),
            ),
        ),
      onEvent: (e) => this.onEvent(e),
    });
  }

  private onEvent(e: WatchdogEvent): void {
    this.events.push(e);
    if (this.events.length > 500) this.events.splice(0, this.events.length - 500);
    this.emitter.fire(e);
    // Outcomes and decisions not to act go to the audit trail (a failure with its cause and when it is retried).
    const entry = watchdogAuditEntry(e);
    if (entry) this.audit.record(entry);
    switch (e.kind) {
      case 'acted':
        void vscode.window[e.report.verdict === 'freed' ? 'showInformationMessage' : 'showWarningMessage'](
          `Lanewatch watchdog: ${e.key} on ${e.gateway} was ${e.state}; recovery ${e.report.verdict} — ${e.report.summary}`,
          'Show Log',
        ).then((x) => x && this.output.show(true));
        break;
      case 'failed':
        void vscode.window
          .showWarningMessage(
            `Lanewatch watchdog could not recover ${e.key} on ${e.gateway}: ${e.error} (${watchdogRetryText(e)})`,
            'Show Log',
          )
          .then((x) => x && this.output.show(true));
        break;
      case 'armed':
        this.output.info(
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
