// "Lanewatch: Capture Gateway CPU Profile…" and "Lanewatch: Sample Gateway Heap Allocations…": the gateway from its
// tree row (or a pick), the heap sampler's duration from a pick (the CPU profile is always 5 s: the gateway's RPC takes
// no duration), cancellable progress, the file in the workspace's .lanewatch/profiles/ (global storage without a
// workspace) and opened with `vscode.open`, so VS Code's own profile viewer shows it. "Save As…" on the result moves it
// elsewhere in one step. The capture itself, its checks and its words are src/actions/gatewayProfile.ts, shared with
// `lanewatch profile`.
import os from 'node:os';
import * as vscode from 'vscode';
import {
  captureGatewayProfile,
  DEFAULT_PROFILE_SECONDS,
  gatewayOffersProfile,
  NEEDS_VERSION_TEXT,
  PROFILE_EXTENSIONS,
  PROFILE_METHODS,
  PROFILE_NOUNS,
  profileDurationProblem,
  profileFileName,
  CPU_PROFILE_SECONDS,
  type ProfileKind,
  type ProfileReport,
} from '../../actions/gatewayProfile';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import type { ActionServices } from './commandHost';
import { NO_GATEWAY_CONFIGURED, pickGateway as pickFrom } from './pickGateway';

/** From a gateway row (the tree passes its node), a test, or nothing (then a pick). */
export interface ProfileCommandArg {
  gateway?: string;
  /** Heap only: skip the duration pick. */
  durationSeconds?: number;
  /** Write here instead of the default folder. */
  file?: string;
}

/** What the command returns (for tests and other extensions): the report and the file it opened. */
export interface ProfileCommandResult {
  report: ProfileReport;
  uri?: vscode.Uri;
}

/** Set while every connected gateway is one without the RPCs (2026.3.x/2026.4.x): the commands are disabled then. */
export const PROFILE_UNAVAILABLE_CONTEXT = 'lanewatch.profileUnavailable';

const COMMANDS: Readonly<Record<ProfileKind, string>> = {
  cpu: 'lanewatch.captureCpuProfile',
  heap: 'lanewatch.sampleHeapProfile',
};

/**
 * Where profiles (and diagnostics exports) go unless the person chooses: the first workspace folder's
 * .lanewatch/<kind>, else global storage.
 */
export function defaultProfileFolder(
  context: Pick<vscode.ExtensionContext, 'globalStorageUri'>,
  kind: 'profiles' | 'diagnostics' = 'profiles',
): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder
    ? vscode.Uri.joinPath(folder.uri, '.lanewatch', kind)
    : vscode.Uri.joinPath(context.globalStorageUri, kind);
}

function versionNote(w: GatewayWatcher, kind: ProfileKind): string | undefined {
  const hello = w.snapshot().hello;
  if (gatewayOffersProfile(hello, kind) === false) return `${NEEDS_VERSION_TEXT} (runs ${hello?.serverVersion ?? '?'})`;
  return w.connection.isConnected() ? undefined : 'not connected';
}

async function pickGateway(actions: ActionServices, kind: ProfileKind): Promise<GatewayWatcher | undefined> {
  const all = actions.fleet.gateways();
  if (all.length === 0) void vscode.window.showWarningMessage(NO_GATEWAY_CONFIGURED);
  return pickFrom(all, `${PROFILE_NOUNS[kind][0].toUpperCase()}${PROFILE_NOUNS[kind].slice(1)} of which gateway?`, {
    detail: (w) => versionNote(w, kind),
  });
}

async function pickDuration(): Promise<number | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: `${DEFAULT_PROFILE_SECONDS} seconds`, description: 'default', seconds: DEFAULT_PROFILE_SECONDS },
      { label: '10 seconds', seconds: 10 },
      { label: '30 seconds', description: 'the longest the gateway samples', seconds: 30 },
    ],
    { placeHolder: 'Sample the gateway’s heap allocations for how long?' },
  );
  return picked?.seconds;
}

/** Moves the profile to a place the person picks, and opens it there. */
async function saveAs(from: vscode.Uri, kind: ProfileKind): Promise<void> {
  const ext = PROFILE_EXTENSIONS[kind].slice(1);
  const to = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(vscode.Uri.file(os.homedir()), from.path.split('/').pop()!),
    filters: { [kind === 'cpu' ? 'CPU profile' : 'Heap profile']: [ext], 'All files': ['*'] },
    title: 'Save the profile as',
  });
  if (!to || to.toString() === from.toString()) return;
  await vscode.workspace.fs.copy(from, to, { overwrite: true });
  await vscode.workspace.fs.delete(from);
  await vscode.commands.executeCommand('vscode.open', to);
}

export function registerProfileCommands(actions: ActionServices, context: vscode.ExtensionContext): void {
  const { commands, fleet, output, conns, audit } = actions;

  // Disabled while every connected gateway is one that cannot profile itself (a pick says why per gateway, and the
  // command refuses with the version when run on one from its row).
  let last: boolean | undefined;
  const updateContext = () => {
    const hellos = fleet.gateways().map((w) => w.snapshot().hello);
    const unavailable = hellos.some((h) => h) && hellos.every((h) => !h || gatewayOffersProfile(h, 'cpu') === false);
    if (unavailable === last) return;
    last = unavailable;
    void vscode.commands.executeCommand('setContext', PROFILE_UNAVAILABLE_CONTEXT, unavailable);
  };
  const sub = fleet.onDidChange(updateContext);
  context.subscriptions.push({ dispose: () => sub.dispose() });
  updateContext();

  const register = (kind: ProfileKind) =>
    commands.register<ProfileCommandArg>(
      COMMANDS[kind],
      async (arg, run): Promise<ProfileCommandResult | undefined> => {
        const watcher = arg?.gateway ? fleet.gateway(arg.gateway) : await pickGateway(actions, kind);
        if (!watcher) return undefined;
        const noun = PROFILE_NOUNS[kind];
        run.acting({ gateway: watcher.name, call: PROFILE_METHODS[kind], title: `${noun} of ${watcher.name}` });
        let durationSeconds: number | undefined = CPU_PROFILE_SECONDS;
        if (kind === 'heap') {
          durationSeconds = arg?.durationSeconds ?? (await pickDuration());
          if (durationSeconds === undefined) return undefined;
          const bad = profileDurationProblem(kind, durationSeconds);
          if (bad) throw new Error(bad);
        }
        const file =
          arg?.file ?? vscode.Uri.joinPath(defaultProfileFolder(context), profileFileName(watcher.name, kind)).fsPath;
        const title = `Lanewatch: ${noun} of ${watcher.name} (${durationSeconds} s)`;
        const report = await commands.progress(title, (signal, say) =>
          captureGatewayProfile(
            { conns, config: watcher.config, audit },
            { kind, durationSeconds: kind === 'heap' ? durationSeconds : undefined, file, signal, progress: say },
          ),
        );
        output.info(`${report.summary}\n${report.details.map((d) => `  ${d}`).join('\n')}`);
        if (!report.ok) {
          if (report.failure !== 'cancelled')
            void vscode.window
              .showWarningMessage(`Lanewatch: ${report.summary}${report.advice ? ` ${report.advice}` : ''}`, 'Show Log')
              .then((c) => c && output.show(true));
          return { report };
        }
        const uri = vscode.Uri.file(report.file!);
        await vscode.commands.executeCommand('vscode.open', uri);
        void vscode.window.showInformationMessage(`Lanewatch: ${report.summary}`, 'Save As…', 'Show Log').then((c) => {
          if (c === 'Save As…') return saveAs(uri, kind).catch((err) => output.warn(`Save As failed: ${String(err)}`));
          if (c === 'Show Log') output.show(true);
        });
        return { report, uri };
      },
    );
  register('cpu');
  register('heap');
}
