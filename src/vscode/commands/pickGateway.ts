// The gateway a command acts on when it was not given one: the only candidate, or the one the user picks. Every
// command that asks says why in its own words (`placeHolder`) and decides itself what no candidate means.
import * as vscode from 'vscode';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';

export const NO_GATEWAY_CONFIGURED = 'Lanewatch: no gateway is configured. Run "Lanewatch: Add Gateway…" first.';

export async function pickGateway(
  candidates: readonly GatewayWatcher[],
  placeHolder: string,
  opts: { description?: (w: GatewayWatcher) => string; detail?: (w: GatewayWatcher) => string | undefined } = {},
): Promise<GatewayWatcher | undefined> {
  if (candidates.length <= 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((w) => ({
      label: w.name,
      description: opts.description?.(w) ?? w.config.url,
      ...(opts.detail ? { detail: opts.detail(w) } : {}),
      w,
    })),
    { placeHolder },
  );
  return picked?.w;
}
