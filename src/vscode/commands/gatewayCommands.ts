// Commands that manage gateway connections: add, set token, reconnect, connection report.
import * as vscode from 'vscode';
import { validateGatewayUrl } from '../../config/gatewaySettings';
import type { Fleet } from '../../fleet/fleet';
import { tokenSecretKey } from '../../config/tokenSources';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import { CommandHost } from './commandHost';
import { NO_GATEWAY_CONFIGURED, pickGateway } from './pickGateway';

type GatewayArg = { gateway?: string } | undefined;

async function pickFleetGateway(
  fleet: Fleet,
  arg: GatewayArg,
  placeHolder: string,
): Promise<GatewayWatcher | undefined> {
  if (arg?.gateway) return fleet.gateway(arg.gateway);
  const all = fleet.gateways();
  if (all.length === 0) void vscode.window.showWarningMessage(NO_GATEWAY_CONFIGURED);
  return pickGateway(all, placeHolder);
}

export function connectionReport(watcher: GatewayWatcher, fleet: Fleet): string {
  const s = watcher.snapshot();
  const token = fleet.tokenSource(watcher.name);
  const lines = [
    `Gateway ${watcher.name} (${watcher.config.url}, from ${watcher.config.source}${watcher.config.configPath ? `, config ${watcher.config.configPath}` : ''})`,
    `  state: ${s.state}${s.attempts ? ` after ${s.attempts} attempt(s)` : ''}`,
  ];
  if (s.hello)
    lines.push(
      `  server: openclaw ${s.hello.serverVersion}, protocol ${s.hello.protocol}, boot ${s.hello.bootId ?? 'n/a'}, ${s.hello.methods.size} methods, ${s.hello.events.size} events`,
      `  scopes granted: ${s.hello.grantedScopes.join(', ') || 'none'}${s.hello.scopesInferred ? ' (hello-ok reported none; proven by a read call)' : ''}${s.missingScopes.length ? `; not granted: ${s.missingScopes.join(', ')}` : ''}`,
      `  policy: maxPayload ${s.hello.maxPayload} B, tick ${s.hello.tickIntervalMs} ms`,
    );
  if (s.handshake)
    lines.push(
      `  handshake #${s.handshake.attempt}: socket open ${s.handshake.socketOpenMs ?? '–'} ms, challenge ${s.handshake.challengeMs ?? '–'} ms, connect sent ${s.handshake.connectSentMs ?? '–'} ms, hello-ok ${s.handshake.helloMs ?? '–'} ms${s.handshake.failedIn ? `, FAILED during ${s.handshake.failedIn}` : ''}`,
    );
  if (s.problem)
    lines.push(
      `  problem: ${s.problem.summary} [${s.problem.kind}${s.problem.closeCode !== undefined ? `, close ${s.problem.closeCode}` : ''}${s.problem.detailCode ? `, ${s.problem.detailCode}` : ''}]`,
      `  what to do: ${s.problem.advice}`,
    );
  if (s.nextRetryAt) lines.push(`  next retry in ${Math.max(0, Math.round((s.nextRetryAt - Date.now()) / 1000))} s`);
  lines.push(`  token source: ${token?.source ?? 'not resolved yet'}${token?.warning ? ` (${token.warning})` : ''}`);
  return lines.join('\n');
}

export function registerGatewayCommands(
  context: vscode.ExtensionContext,
  fleet: Fleet,
  output: vscode.LogOutputChannel,
  refresh: () => void,
): void {
  // Every command through the one wrapper (errors logged and shown).
  const host = new CommandHost(context, output);
  const reg = <A>(id: string, fn: (arg: A | undefined) => unknown) => host.register<A>(id, (arg) => fn(arg));

  reg('lanewatch.refresh', async () => {
    refresh();
    await Promise.all(
      fleet.gateways().map((g) => {
        const h = g.connection.helloSummary;
        return h && g.connection.isConnected() ? g.resync(h) : (g.connection.reconnectNow(), Promise.resolve());
      }),
    );
  });

  reg('lanewatch.addGateway', async () => {
    const url = await vscode.window.showInputBox({
      title: 'Add OpenClaw gateway (1/2)',
      prompt: 'WebSocket URL of the gateway',
      value: 'ws://127.0.0.1:18789',
      validateInput: (v) => validateGatewayUrl(v.trim()),
    });
    if (!url) return;
    const existing = vscode.workspace.getConfiguration('lanewatch').get<unknown[]>('gateways') ?? [];
    const taken = new Set(existing.map((e) => String((e as { name?: unknown })?.name ?? '').toLowerCase()));
    const name = await vscode.window.showInputBox({
      title: 'Add OpenClaw gateway (2/2)',
      prompt: 'A unique name for the tree',
      value: `gateway-${new URL(url.trim()).port || 'default'}`,
      validateInput: (v) =>
        !v.trim()
          ? 'A name is required'
          : taken.has(v.trim().toLowerCase())
            ? `"${v.trim()}" is already used`
            : undefined,
    });
    if (!name) return;
    await vscode.workspace
      .getConfiguration('lanewatch')
      .update('gateways', [...existing, { name: name.trim(), url: url.trim() }], vscode.ConfigurationTarget.Global);
    output.info(`added gateway ${name.trim()} (${url.trim()})`);
    const next = await vscode.window.showInformationMessage(
      `Gateway "${name.trim()}" added. Set its token now?`,
      'Set Token',
    );
    if (next) await vscode.commands.executeCommand('lanewatch.setGatewayToken', { gateway: name.trim() });
  });

  reg<GatewayArg>('lanewatch.setGatewayToken', async (arg) => {
    const watcher = await pickFleetGateway(fleet, arg, 'Set the token of which gateway?');
    if (!watcher) return;
    const token = await vscode.window.showInputBox({
      title: `Token for ${watcher.name}`,
      prompt: `The gateway's gateway.auth.token (stored in VS Code's secret storage, never in settings)`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'The token cannot be empty'),
    });
    if (token === undefined) return;
    await context.secrets.store(tokenSecretKey(watcher.config), token.trim());
    output.info(`[${watcher.name}] token updated in secret storage; reconnecting`);
    watcher.connection.reconnectNow();
  });

  reg<GatewayArg>('lanewatch.reconnectGateway', async (arg) => {
    const watcher = await pickFleetGateway(fleet, arg, 'Reconnect which gateway?');
    if (!watcher) return;
    output.info(`[${watcher.name}] reconnect requested`);
    watcher.connection.reconnectNow();
  });

  reg<GatewayArg>('lanewatch.showConnectionReport', async (arg) => {
    const watcher = await pickFleetGateway(fleet, arg, 'Report on which gateway?');
    if (!watcher) return;
    output.info(`connection report\n${connectionReport(watcher, fleet)}`);
    output.show(true);
  });
}
