// "Lanewatch: Export Gateway Diagnostics…": for a bug report about a gateway on this machine, runs the installed
// `openclaw gateway diagnostics export` (src/actions/diagnosticsExport.ts, shared with `lanewatch diagnostics`) with
// cancellable progress, writes the zip to the workspace's .lanewatch/diagnostics/ (global storage without a
// workspace) and offers to reveal it. A remote gateway, or no openclaw CLI here, is told what to run on its host.
import * as vscode from 'vscode';
import {
  exportGatewayDiagnostics,
  openclawCommandFrom,
  type DiagnosticsExportResult,
} from '../../actions/diagnosticsExport';
import type { ActionServices } from './commandHost';
import { defaultProfileFolder } from './profileCommands';
import { pickGateway } from './pickGateway';

export interface DiagnosticsCommandArg {
  gateway?: string;
  /** Write into this folder instead of the default one (tests). */
  folder?: string;
}

export const EXPORT_DIAGNOSTICS_COMMAND = 'lanewatch.exportGatewayDiagnostics';

export function registerDiagnosticsCommands(actions: ActionServices, context: vscode.ExtensionContext): void {
  const { commands, fleet, output } = actions;
  commands.register<DiagnosticsCommandArg>(
    EXPORT_DIAGNOSTICS_COMMAND,
    async (arg, run): Promise<DiagnosticsExportResult | undefined> => {
      const watcher = arg?.gateway
        ? fleet.gateway(arg.gateway)
        : await pickGateway(fleet.gateways(), 'Export the diagnostics of which gateway?');
      if (!watcher) return undefined;
      run.acting({ gateway: watcher.name, call: 'diagnostics export', title: `Diagnostics export of ${watcher.name}` });
      const hello = watcher.snapshot().hello;
      const folder = arg?.folder ?? defaultProfileFolder(context, 'diagnostics').fsPath;
      const result = await commands.progress(`Lanewatch: exporting ${watcher.name}'s diagnostics`, async (signal) =>
        exportGatewayDiagnostics({
          url: watcher.config.url,
          token: (await fleet.credentialsFor(watcher.config)).token,
          stateDir: hello?.stateDir,
          configPath: hello?.configPath ?? watcher.config.configPath,
          outputDir: folder,
          openclaw: openclawCommandFrom(vscode.workspace.getConfiguration('lanewatch').get<unknown>('openclawCommand')),
          signal,
        }),
      );
      actions.audit.record({
        gateway: watcher.name,
        call: 'diagnostics export',
        outcome: result.ok ? 'ok' : result.reason === 'cancelled' ? 'cancelled' : 'failed',
        detail: result.ok ? result.file : result.reason,
      });
      if (!result.ok) {
        output.warn(`${result.summary}${result.detail ? `\n${result.detail}` : ''}`);
        if (result.reason !== 'cancelled')
          void vscode.window
            .showWarningMessage(`Lanewatch: ${result.summary}`, 'Show Log')
            .then((c) => c && output.show(true));
        return result;
      }
      output.info(result.summary);
      const uri = vscode.Uri.file(result.file);
      void vscode.window
        .showInformationMessage(`Lanewatch: ${result.summary}`, 'Reveal', 'Copy Path')
        .then(async (c) => {
          if (c === 'Copy Path') await vscode.env.clipboard.writeText(result.file);
          if (c === 'Reveal')
            await vscode.commands.executeCommand(vscode.env.remoteName ? 'revealInExplorer' : 'revealFileInOS', uri);
        });
      return result;
    },
  );
}
