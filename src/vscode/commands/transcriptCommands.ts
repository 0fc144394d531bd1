// "Lanewatch: Open Transcript": from a session node ({gateway, key}), or from the palette (quick-pick the gateway,
// then the session, or type a key).
import { sessionPicks } from './sessionPicks';
import * as vscode from 'vscode';
import type { Fleet } from '../../fleet/fleet';
import type { TranscriptPanels } from '../panels/transcriptPanel';
import { CommandHost } from './commandHost';
import { NO_GATEWAY_CONFIGURED, pickGateway } from './pickGateway';

export interface TranscriptArg {
  gateway?: string;
  key?: string;
}

async function pickTarget(
  fleet: Fleet,
  arg: TranscriptArg | undefined,
): Promise<{ gateway: string; key: string } | undefined> {
  let gateway = arg?.gateway;
  if (!gateway) {
    const all = fleet.gateways();
    if (all.length === 0) void vscode.window.showWarningMessage(NO_GATEWAY_CONFIGURED);
    gateway = (
      await pickGateway(all, 'Transcript of a session on which gateway?', {
        description: (g) => `${g.config.url} · ${g.snapshot().state}`,
      })
    )?.name;
  }
  if (!gateway) return undefined;
  if (arg?.key) return { gateway, key: arg.key };
  const watcher = fleet.gateway(gateway);
  const typeKey = { label: '$(edit) Enter a session key…', alwaysShow: true, key: undefined as string | undefined };
  const picked = await vscode.window.showQuickPick<{ label: string; key?: string }>(
    [...(watcher ? sessionPicks(watcher) : []), typeKey],
    { placeHolder: `Which session on ${gateway}?`, matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) return undefined;
  const key =
    picked.key ??
    (
      await vscode.window.showInputBox({
        title: `Transcript on ${gateway}`,
        prompt: 'Session key, e.g. agent:main:main',
        validateInput: (v) => (v.trim() ? undefined : 'a session key'),
      })
    )?.trim();
  return key ? { gateway, key } : undefined;
}

export function registerTranscriptCommands(
  context: vscode.ExtensionContext,
  fleet: Fleet,
  panels: TranscriptPanels,
): void {
  // Through the one command wrapper (errors shown).
  new CommandHost(context).register<TranscriptArg>('lanewatch.openTranscript', async (arg) => {
    const target = await pickTarget(fleet, arg);
    if (target) panels.show(target.gateway, target.key);
  });
}
