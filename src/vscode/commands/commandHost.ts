// The one wrapper every Lanewatch command goes through, and what the actions need from VS Code. A command's error is
// caught here: logged to the "Lanewatch" output channel, recorded in the audit trail when the command acts on a
// gateway, and shown as a notification. An action's report is rendered here: its audit entry, its details in the output
// channel, and a notification whose level follows the outcome kind and whose advice names this extension's commands
// (the CLI words the same kinds as its options). Actions ask through a modal and show cancellable progress.
import * as vscode from 'vscode';
import { AuditTrail } from '../../actions/auditTrail';
import { auditEntryOf, describeFailure, isOk, type ActionReport } from '../../actions/actionReport';
import { OperatorConnections, requestTimeoutFromSeconds } from '../../actions/operatorConnection';
import type { ActionHost, Question } from '../../actions/sessionActions';
import type { Fleet } from '../../fleet/fleet';

/** The audit trail, written to the "Lanewatch" output channel. */
export class AuditLog extends AuditTrail {
  constructor(output: vscode.LogOutputChannel, max = 1_000) {
    super((_e, line) => output.info(line), max);
  }
}

/** What a running action command acts on: its failure is audited and said under this name. */
export interface CommandSubject {
  gateway: string;
  session?: string;
  /** The call the audit trail names (sessions.abort, recover, chat.send, gateway.restart.request, …). */
  call: string;
  /** How the notification names it: "Abort run (agent:main:x)", "Recover agent:main:x", "Restart gw". */
  title: string;
}

/** The advice after an outcome, by its kind, worded as this extension's commands. */
export function extensionNextStep(r: Pick<ActionReport, 'kind' | 'problem'>): string | undefined {
  switch (r.kind) {
    case 'needs-restart':
      return 'Use "Restart Gateway…": it offers stop + start.';
    case 'ineffective':
      return 'Use "Restart Gateway…".';
    case 'unverified':
      return 'Use "Test Send" to see whether it answers; if it does not, "Restart Gateway…".';
    case 'lane-held':
      return 'Use "Recover Session…".';
    case 'still-draining':
      return '"Restart Gateway…" → "Restart Now" interrupts it.';
    case 'stopped':
      return 'Lanewatch reconnects by itself once it is back.';
    default:
      return r.problem && (r.kind === 'failed' || r.kind === 'refused') ? r.problem.advice : undefined;
  }
}

export class CommandRun {
  subject?: CommandSubject;
  constructor(
    private readonly host: CommandHost,
    private readonly assumeYes: boolean,
  ) {}

  /** Names what the command acts on (for the audit entry and notification of a failure). */
  acting(subject: CommandSubject): void {
    this.subject = subject;
  }

  /** Asks, progress and notes for an action: a modal (unless assumeYes), cancellable progress, the output channel. */
  get actionHost(): ActionHost {
    return {
      confirm: (q) => this.confirm(q),
      progress: (title, work) => Promise.resolve(this.host.progress(title, work)),
      note: (text) => this.host.output?.info(text),
    };
  }

  async confirm(q: Question): Promise<boolean> {
    if (this.assumeYes) return true;
    return (
      (await vscode.window.showWarningMessage(q.message, { modal: true, detail: q.detail }, q.confirm)) === q.confirm
    );
  }

  /**
   * Renders an action's report: its audit entry, its details in the output channel, a notification (none when the
   * person declined). `headline` is how the notification begins ("Recover agent:main:x: freed — …").
   */
  finish<R>(report: ActionReport<R>, headline: string, opts: { modal?: boolean } = {}): R {
    // The details first, the audit line of the outcome last: the output channel shows its end.
    if (report.details.length) this.host.output?.info(`${headline}\n${report.details.map((d) => `  ${d}`).join('\n')}`);
    this.host.audit?.record(auditEntryOf(report));
    if (report.kind === 'declined') return report.result;
    const next = extensionNextStep(report);
    const text = `${headline}${next ? ` ${next}` : ''}`;
    if (opts.modal) void vscode.window.showWarningMessage(text, { modal: true });
    else this.host.notify(isOk(report), text);
    return report.result;
  }
}

export class CommandHost {
  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output?: vscode.LogOutputChannel,
    readonly audit?: AuditTrail,
  ) {}

  /**
   * Registers a command. Whatever it throws is logged, audited under its subject (when it named one) and shown; the
   * command then returns undefined.
   */
  register<A>(id: string, fn: (arg: A | undefined, run: CommandRun) => unknown): void {
    this.context.subscriptions.push(
      vscode.commands.registerCommand(id, async (arg?: A) => {
        const run = new CommandRun(this, !!(arg as { assumeYes?: unknown } | undefined)?.assumeYes);
        try {
          return await fn(arg, run);
        } catch (err) {
          this.failed(id, run.subject, err);
          return undefined;
        }
      }),
    );
  }

  private failed(id: string, subject: CommandSubject | undefined, err: unknown): void {
    const failure = describeFailure(err);
    const hint = failure.requestTimeout
      ? ` (the limit is the setting lanewatch.requestTimeoutSeconds)`
      : failure.connectTimeout
        ? ' (the gateway accepted the connection but did not finish the handshake)'
        : '';
    if (subject) {
      this.audit?.record({
        gateway: subject.gateway,
        ...(subject.session ? { session: subject.session } : {}),
        call: subject.call,
        outcome: 'failed',
        detail: failure.text,
      });
      this.output?.warn(`${subject.title} failed: ${failure.text}`);
      this.notify(false, `${subject.title} failed: ${(err as Error)?.message ?? String(err)}${hint}`);
      return;
    }
    this.output?.error(`${id} failed: ${(err as Error)?.stack ?? String(err)}`);
    void vscode.window.showErrorMessage(`Lanewatch: ${id} failed: ${(err as Error)?.message ?? String(err)}${hint}`);
  }

  /** A result: information when it went as asked, a warning otherwise; "Show Log" opens the output channel. */
  notify(ok: boolean, text: string): void {
    void (
      ok ? vscode.window.showInformationMessage(text, 'Show Log') : vscode.window.showWarningMessage(text, 'Show Log')
    ).then((c) => c && this.output?.show(true));
  }

  progress<T>(
    title: string,
    work: (signal: AbortSignal | undefined, say: (m: string) => void) => Promise<T>,
  ): Thenable<T> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return work(ac.signal, (message) => p.report({ message }));
      },
    );
  }
}

/**
 * What the action commands and the watchdog share: the audit trail (output channel), the one factory of action
 * connections (lanewatch.requestTimeoutSeconds read at every connection, logging to the output channel) and the
 * command wrapper.
 */
export class ActionServices {
  readonly audit: AuditLog;
  readonly conns: OperatorConnections;
  readonly commands: CommandHost;
  constructor(
    context: vscode.ExtensionContext,
    readonly fleet: Fleet,
    readonly output: vscode.LogOutputChannel,
  ) {
    this.audit = new AuditLog(output);
    this.conns = new OperatorConnections(fleet, {
      requestTimeoutMs: () =>
        requestTimeoutFromSeconds(vscode.workspace.getConfiguration('lanewatch').get<unknown>('requestTimeoutSeconds')),
      log: (level, message) => output[level](message),
    });
    this.commands = new CommandHost(context, output, this.audit);
  }
}
