// Recovery commands: abort, abort + clear queue, reset (/new), the recover ladder, test send, send message,
// and gateway restart. Each opens its own short-lived connection with exactly the scope it needs, asks before
// anything destructive, shows cancellable progress, reports only what the read-back proves, and writes an
// audit line per call to the "Lanewatch" output channel (never a token).
import * as vscode from 'vscode';
import type { GatewayApi, GatewayConnection, OperatorScope } from '../../gateway';
import { AuditTrail } from '../../actions/auditTrail';
import { RECOVERY_SCOPES, requestTimeoutFromSeconds, withOperatorConnection } from '../../actions/operatorConnection';
import type { Fleet } from '../../fleet/fleet';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import {
  abortAndClearQueue,
  abortRun,
  recoverSession,
  resetSession,
  type RecoveryReport,
  type RecoveryStep,
} from '../../actions/recovery';
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
  type RestartMode,
} from '../../actions/restart';
import { testSend, testSendNotice, type TestSendReport } from '../../actions/testSend';

/** Arguments from tree nodes, or from tests (`assumeYes` is never passed by menus or the palette). */
export interface SessionArg {
  gateway?: string;
  key?: string;
  message?: string;
  assumeYes?: boolean;
}

/** The audit trail, written to the "Lanewatch" output channel. */
export class AuditLog extends AuditTrail {
  constructor(output: vscode.LogOutputChannel, max = 1_000) {
    super((_e, line) => output.info(line), max);
  }
}

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
    watcher =
      all.length === 1
        ? all[0]
        : (
            await vscode.window.showQuickPick(
              all.map((g) => ({ label: g.name, description: g.config.url, g })),
              { placeHolder: 'Which gateway?' },
            )
          )?.g;
  }
  if (!watcher) return undefined;
  if (arg?.key) return { watcher, key: arg.key };
  const w = watcher;
  const picked = await vscode.window.showQuickPick(
    w.sessionRows().map((r) => ({ label: r.key, description: w.laneStatus(r.key).state })),
    { placeHolder: `Which session on ${w.name}?`, matchOnDescription: true },
  );
  return picked ? { watcher: w, key: picked.label } : undefined;
}

/** A connection for one command, with exactly `scopes`; closed when the command ends. */
function withConnection<T>(
  fleet: Fleet,
  watcher: GatewayWatcher,
  scopes: OperatorScope[],
  signal: AbortSignal,
  fn: (api: GatewayApi, c: GatewayConnection) => Promise<T>,
  reconnect = false,
): Promise<T> {
  const requestTimeoutMs = requestTimeoutFromSeconds(
    vscode.workspace.getConfiguration('lanewatch').get<unknown>('requestTimeoutSeconds'),
  );
  return withOperatorConnection(fleet, watcher.config, scopes, { signal, reconnect, requestTimeoutMs }, fn);
}

async function confirm(arg: SessionArg | undefined, message: string, detail: string, action: string): Promise<boolean> {
  if (arg?.assumeYes) return true;
  return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
}

function stepLine(s: RecoveryStep): string {
  return `${s.call} ${JSON.stringify(s.params)} → ${s.outcome}${s.error ? ` (${s.error})` : ''}: ${s.message} [${s.durationMs} ms]`;
}

export interface RecoveryCommandResults {
  lastReport?: RecoveryReport | RecoveryStep | TestSendReport | { summary: string; ok: boolean };
}

export function registerRecoveryCommands(
  context: vscode.ExtensionContext,
  fleet: Fleet,
  output: vscode.LogOutputChannel,
  audit: AuditLog,
): RecoveryCommandResults {
  const results: RecoveryCommandResults = {};
  const reg = (id: string, fn: (arg?: SessionArg) => Promise<unknown>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  const progress = <T>(title: string, fn: (signal: AbortSignal, report: (m: string) => void) => Promise<T>) =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return fn(ac.signal, (message) => p.report({ message }));
      },
    );
  const show = (ok: boolean, text: string) => {
    void (
      ok ? vscode.window.showInformationMessage(text, 'Show Log') : vscode.window.showWarningMessage(text, 'Show Log')
    ).then((c) => c && output.show(true));
  };

  const singleStep = (
    id: string,
    title: string,
    scopes: OperatorScope[],
    run: typeof abortRun,
    ask?: (key: string) => [string, string, string],
  ) =>
    reg(id, async (arg) => {
      const target = await pickSession(fleet, arg);
      if (!target) return undefined;
      const { watcher, key } = target;
      if (ask) {
        const [m, d, a] = ask(key);
        if (!(await confirm(arg, m, d, a))) {
          audit.record({ gateway: watcher.name, session: key, call: id, outcome: 'cancelled by user' });
          return undefined;
        }
      }
      try {
        const step = await progress(`${title}: ${key}`, (signal) =>
          withConnection(fleet, watcher, scopes, signal, (api, c) =>
            run({ api, connection: c, signal, settleTimeoutMs: 20_000, evidence: watcher.evidenceSource() }, key),
          ),
        );
        audit.record({
          gateway: watcher.name,
          session: key,
          call: step.call,
          outcome: step.outcome,
          detail: step.message,
        });
        results.lastReport = step;
        show(step.outcome === 'freed' || step.outcome === 'reset', `${title} (${key}): ${step.message}`);
        return step;
      } catch (err) {
        audit.record({
          gateway: watcher.name,
          session: key,
          call: id,
          outcome: 'failed',
          detail: (err as Error).message,
        });
        show(false, `${title} (${key}) failed: ${(err as Error).message}`);
        return undefined;
      }
    });

  const ABORT_SCOPES = RECOVERY_SCOPES;
  singleStep('lanewatch.abortRun', 'Abort run', ABORT_SCOPES, abortRun, (key) => [
    `Abort the active run of ${key}?`,
    'The run is cancelled (its model call is cut off). Queued inputs stay queued. Lanewatch then reads the session back and reports whether the run really ended.',
    'Abort Run',
  ]);
  singleStep('lanewatch.abortAndClearQueue', 'Abort and clear queue', ABORT_SCOPES, abortAndClearQueue, (key) => [
    `Abort ${key} and drop its queued inputs?`,
    'The active run and every input queued behind it are cancelled (chat.abort). Queued messages are lost.',
    'Abort and Clear',
  ]);
  singleStep(
    'lanewatch.resetSession',
    'Reset session (/new)',
    ['operator.read', 'operator.write', 'operator.admin'],
    resetSession,
    (key) => [
      `Reset ${key} (/new)?`,
      'The session starts a new transcript generation (sessions.reset, reason "new"); a run in progress is cancelled. This needs operator.admin. The old transcript stays on the gateway but is no longer shown.',
      'Reset Session',
    ],
  );

  reg('lanewatch.recoverSession', async (arg) => {
    const target = await pickSession(fleet, arg);
    if (!target) return undefined;
    const { watcher, key } = target;
    if (
      !(await confirm(
        arg,
        `Recover ${key}?`,
        'Lanewatch tries, stopping at the first step that frees the session: 1) abort the run, 2) abort and drop queued inputs, 3) reset the session (/new, needs operator.admin). Each step is verified by reading the session back.',
        'Recover',
      ))
    ) {
      audit.record({ gateway: watcher.name, session: key, call: 'recover', outcome: 'cancelled by user' });
      return undefined;
    }
    try {
      const report = await progress(`Recovering ${key}`, (signal, say) =>
        withConnection(fleet, watcher, ['operator.read', 'operator.write', 'operator.admin'], signal, (api, c) =>
          recoverSession(
            { api, connection: c, signal, settleTimeoutMs: 20_000, evidence: watcher.evidenceSource() },
            key,
            (s) => {
              say(`${s.call}: ${s.outcome}`);
              audit.record({
                gateway: watcher.name,
                session: key,
                call: s.call,
                outcome: s.outcome,
                detail: s.message,
              });
            },
          ),
        ),
      );
      output.info(
        `recovery report for ${key} on ${watcher.name}: ${report.verdict} — ${report.summary}\n${report.steps.map((s, i) => `  ${i + 1}. ${stepLine(s)}`).join('\n')}`,
      );
      audit.record({
        gateway: watcher.name,
        session: key,
        call: 'recover',
        outcome: report.verdict,
        detail: report.summary,
      });
      results.lastReport = report;
      show(
        report.verdict === 'freed' || report.verdict === 'nothing-to-do',
        `Recover ${key}: ${report.verdict} — ${report.summary}`,
      );
      return report;
    } catch (err) {
      audit.record({
        gateway: watcher.name,
        session: key,
        call: 'recover',
        outcome: 'failed',
        detail: (err as Error).message,
      });
      show(false, `Recover ${key} failed: ${(err as Error).message}`);
      return undefined;
    }
  });

  const send = (id: string, title: string, probe: boolean) =>
    reg(id, async (arg) => {
      let target: { watcher: GatewayWatcher; key: string } | undefined;
      if (probe && arg?.gateway && !arg.key) {
        const w = fleet.gateway(arg.gateway);
        target = w && { watcher: w, key: 'agent:main:lanewatch-probe' };
      } else target = await pickSession(fleet, arg);
      if (!target) return undefined;
      const { watcher, key } = target;
      const message = probe
        ? arg?.message
        : (arg?.message ??
          (await vscode.window.showInputBox({
            title: `Send to ${key} on ${watcher.name}`,
            prompt: `Message to send (verified like a test send: accepted, first event, final reply). ${testSendNotice(key)}`,
          })));
      if (!probe && !message) return undefined;
      if (probe && !(await confirm(arg, `Send a test message to ${key}?`, testSendNotice(key), 'Send'))) {
        audit.record({ gateway: watcher.name, session: key, call: 'chat.send', outcome: 'cancelled by user' });
        return undefined;
      }
      const creds = await fleet.credentialsFor(watcher.config);
      const report = await progress(`${title}: ${key}`, (signal) =>
        testSend({
          url: watcher.config.url,
          token: creds.token,
          identityStore: fleet.identityStore,
          identityKey: `${watcher.config.name}|${watcher.config.url}|operator.read,operator.write`,
          sessionKey: key,
          message,
          signal,
          clientVersion: fleet.clientVersion,
          security: fleet.connectionSecurity(watcher.config),
        }),
      );
      output.info(
        `${title.toLowerCase()} to ${key} on ${watcher.name}: ${report.ok ? 'ok' : report.failure} — ${report.summary}\n${report.phases.map((p) => `  ${p.ok ? '✓' : '✗'} ${p.name}${p.ms !== undefined ? ` ${p.ms} ms` : ''}${p.detail ? ` (${p.detail})` : ''}`).join('\n')}`,
      );
      audit.record({
        gateway: watcher.name,
        session: key,
        call: 'chat.send',
        outcome: report.ok ? 'reply received' : (report.failure ?? 'failed'),
        detail: `idempotencyKey ${report.idempotencyKey}`,
      });
      results.lastReport = report;
      show(report.ok, `${title} ${key}: ${report.summary}`);
      return report;
    });
  send('lanewatch.testSend', 'Test send', true);
  send('lanewatch.sendMessage', 'Send message', false);

  reg('lanewatch.restartGateway', async (arg) => {
    const watcher = arg?.gateway
      ? fleet.gateway(arg.gateway)
      : (
          await vscode.window.showQuickPick(
            fleet.gateways().map((g) => ({ label: g.name, g })),
            { placeHolder: 'Restart which gateway?' },
          )
        )?.g;
    if (!watcher) return undefined;
    const protocol = watcher.snapshot().hello?.protocol;
    if (watcher.snapshot().state !== 'connected' || !watcher.snapshot().hello?.methods.has('gateway.restart.request')) {
      // The RPC is dead, or this version (2026.3.x/2026.4.x) has none: offer a local signal or a stop, never silently.
      const hello = watcher.snapshot().hello;
      const lock = await findLockFor({
        port: Number(new URL(watcher.config.url).port) || undefined,
        configPath: hello?.configPath ?? watcher.config.configPath,
        stateDir: hello?.stateDir,
      });
      const plan = await planLocalRestart(lock, protocol);
      if (plan.kind === 'service-manager') {
        audit.record({ gateway: watcher.name, call: 'restart', outcome: 'not possible from here', detail: plan.why });
        void vscode.window.showWarningMessage(
          `Lanewatch cannot restart ${watcher.name} itself: ${plan.why}. Run one of: ${plan.commands.join('  or  ')}`,
          { modal: true },
        );
        return undefined;
      }
      const live = watcher
        .sessionRows()
        .map((r) => r.key)
        .filter((k) => watcher.runEvidence(k).live === true);
      const choice = p3RestartChoice(hello?.serverVersion, live);
      const stopNow = 'Stop Now (SIGTERM)',
        signalIt = `Restart (${plan.signal})`;
      const picked = arg?.assumeYes
        ? choice.recommend === 'stop-start'
          ? stopNow
          : signalIt
        : await vscode.window.showWarningMessage(
            `Restart ${watcher.name} (pid ${plan.pid})?`,
            { modal: true, detail: `${plan.why}. ${choice.why}` },
            ...(choice.recommend === 'stop-start' ? [stopNow, signalIt] : [signalIt, stopNow]),
          );
      if (!picked) {
        audit.record({ gateway: watcher.name, call: 'restart', outcome: 'cancelled by user' });
        return undefined;
      }
      if (picked === stopNow) {
        const stopped = await progress(`Stopping ${watcher.name}`, (signal) => stopLocalGateway(plan.pid, { signal }));
        audit.record({
          gateway: watcher.name,
          call: `kill -TERM ${plan.pid}`,
          outcome: stopped.ok ? 'stopped' : 'failed',
          detail: stopped.summary,
        });
        results.lastReport = { ok: stopped.ok, summary: stopped.summary };
        show(stopped.ok, `${watcher.name}: ${stopped.summary}`);
        return stopped;
      }
      const report = await progress(`Restarting ${watcher.name} (${plan.signal})`, (signal) =>
        signalRestart({ api: watcher.api, connection: watcher.connection, signal }, plan),
      );
      audit.record({
        gateway: watcher.name,
        call: `kill -${plan.signal.slice(3)} ${plan.pid}`,
        outcome: report.ok ? 'restarted' : 'failed',
        detail: report.summary,
      });
      output.info(`restart of ${watcher.name}: ${report.summary}\n${report.steps.map((x) => `  - ${x}`).join('\n')}`);
      results.lastReport = report;
      show(report.ok, `Restart ${watcher.name}: ${report.summary}`);
      return report;
    }
    try {
      // Preflight and the question first, then the progress notification: nothing says "restarting" before the user agreed.
      const hello = watcher.snapshot().hello;
      const target = await findRestartNowTarget({
        port: Number(new URL(watcher.config.url).port) || undefined,
        configPath: hello?.configPath ?? watcher.config.configPath,
        stateDir: hello?.stateDir,
      });
      const pre = await withConnection(
        fleet,
        watcher,
        ['operator.read', 'operator.admin'],
        new AbortController().signal,
        (api, c) => restartPreflight({ api, connection: c }),
      );
      audit.record({
        gateway: watcher.name,
        call: 'gateway.restart.preflight',
        outcome: pre.safe ? 'safe' : 'blocked',
        detail: describePreflight(pre),
      });
      let mode: RestartMode = 'now';
      if (!arg?.assumeYes) {
        const now = 'Restart Now',
          safe = 'Restart When Safe';
        const detail = `${pre.safe ? 'Nothing is active.' : `Active work: ${describePreflight(pre)}.`}\n\n"${safe}": ${restartExpectation(pre, 'when-safe', !!target)}\n\n"${now}": ${restartExpectation(pre, 'now', !!target)}`;
        const choice = await vscode.window.showWarningMessage(
          `Restart gateway ${watcher.name}?`,
          { modal: true, detail },
          safe,
          now,
        );
        if (!choice) {
          audit.record({ gateway: watcher.name, call: 'gateway.restart.request', outcome: 'cancelled by user' });
          return undefined;
        }
        mode = choice === now ? 'now' : 'when-safe';
      }
      // "Now" without the lock aborts the active runs first: that needs write scope besides admin.
      const scopes: OperatorScope[] =
        mode === 'now' && !target
          ? ['operator.read', 'operator.write', 'operator.admin']
          : ['operator.read', 'operator.admin'];
      const report = await progress(
        `Restarting ${watcher.name} (${mode === 'now' ? 'now' : 'when safe'})`,
        (signal, say) =>
          withConnection(
            fleet,
            watcher,
            scopes,
            signal,
            async (api, c) => {
              say(
                mode === 'now'
                  ? 'interrupting active work…'
                  : 'waiting for active work to finish, then for the gateway to come back…',
              );
              return restartGateway(
                { api, connection: c, signal },
                { mode, target: mode === 'now' ? target : undefined, preflight: pre },
              );
            },
            true,
          ),
      );
      audit.record({
        gateway: watcher.name,
        call: 'gateway.restart.request',
        outcome: report.ok ? 'restarted' : 'failed',
        detail: report.summary,
      });
      output.info(`restart of ${watcher.name}: ${report.summary}\n${report.steps.map((s) => `  - ${s}`).join('\n')}`);
      show(report.ok, `Restart ${watcher.name}: ${report.summary}`);
      results.lastReport = report;
      return report;
    } catch (err) {
      audit.record({
        gateway: watcher.name,
        call: 'gateway.restart.request',
        outcome: 'failed',
        detail: (err as Error).message,
      });
      show(false, `Restart ${watcher.name} failed: ${(err as Error).message}`);
      return undefined;
    }
  });
  return results;
}
