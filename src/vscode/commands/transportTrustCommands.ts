// The two transport decisions only the user can make (see gateway/transportSecurity): connecting over unencrypted
// ws:// to another host, and trusting a gateway's self-signed wss:// certificate. Consent to plain ws:// is kept per
// gateway name + URL in global state (not a secret; a changed URL asks again); a trusted certificate is pinned by
// fingerprint in that gateway's settings entry, where the user can see and remove it.
import * as vscode from 'vscode';
import { plaintextRemoteProblem } from '../../gateway/transportSecurity';
import type { Fleet } from '../../fleet/fleet';
import type { GatewayConfig } from '../../config/gatewaySettings';
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import { CommandHost } from './commandHost';
import { pickGateway } from './pickGateway';

const CONSENT_KEY = 'lanewatch.plaintextConsent';
const consentId = (c: GatewayConfig) => `${c.name}|${c.url}`;

export class PlaintextConsent {
  constructor(private readonly state: vscode.Memento) {}
  allows(config: GatewayConfig): boolean {
    return (this.state.get<string[]>(CONSENT_KEY) ?? []).includes(consentId(config));
  }
  async grant(config: GatewayConfig): Promise<void> {
    const ids = new Set(this.state.get<string[]>(CONSENT_KEY) ?? []);
    ids.add(consentId(config));
    await this.state.update(CONSENT_KEY, [...ids]);
  }
  async revokeAll(): Promise<number> {
    const n = (this.state.get<string[]>(CONSENT_KEY) ?? []).length;
    await this.state.update(CONSENT_KEY, undefined);
    return n;
  }
}

type Arg = { gateway?: string; assumeYes?: boolean } | undefined;
const ALLOW = 'Connect Unencrypted';

export function registerTransportTrustCommands(
  context: vscode.ExtensionContext,
  fleet: Fleet,
  consent: PlaintextConsent,
  output: vscode.LogOutputChannel,
): void {
  // Every command through the one wrapper (errors logged and shown).
  const host = new CommandHost(context, output);
  const reg = (id: string, fn: (arg: Arg) => unknown) => host.register<NonNullable<Arg>>(id, (arg) => fn(arg));
  const pick = async (
    arg: Arg,
    want: (w: GatewayWatcher) => boolean,
    none: string,
  ): Promise<GatewayWatcher | undefined> => {
    if (arg?.gateway) return fleet.gateway(arg.gateway);
    const candidates = fleet.gateways().filter(want);
    if (!candidates.length) {
      void vscode.window.showInformationMessage(`Lanewatch: ${none}`);
      return undefined;
    }
    return pickGateway(candidates, 'Which gateway?');
  };

  const allow = async (watcher: GatewayWatcher, assumeYes: boolean): Promise<boolean> => {
    const problem = plaintextRemoteProblem(watcher.config.url);
    if (!problem) {
      void vscode.window.showInformationMessage(
        `Lanewatch: ${watcher.name} (${watcher.config.url}) needs no consent: it is encrypted or on this machine.`,
      );
      return false;
    }
    if (!assumeYes) {
      const answer = await vscode.window.showWarningMessage(
        `Connect to ${watcher.name} over unencrypted ws://?`,
        {
          modal: true,
          detail: `${problem.advice}\n\nLanewatch will remember this for ${watcher.config.url} only ("Lanewatch: Forget Unencrypted-Connection Consent" takes it back).`,
        },
        ALLOW,
      );
      if (answer !== ALLOW) {
        output.info(`[${watcher.name}] unencrypted ws:// not allowed: stays disconnected`);
        return false;
      }
    }
    await consent.grant(watcher.config);
    output.warn(`[${watcher.name}] the user allowed unencrypted ws:// to ${watcher.config.url}`);
    watcher.connection.reconnectNow();
    return true;
  };

  reg('lanewatch.allowPlaintextGateway', async (arg) => {
    const watcher = await pick(
      arg,
      (w) => w.snapshot().problem?.kind === 'plaintext-remote',
      'no gateway is waiting for consent to use unencrypted ws://.',
    );
    return watcher ? allow(watcher, !!arg?.assumeYes) : false;
  });

  reg('lanewatch.forgetPlaintextConsent', async () => {
    const n = await consent.revokeAll();
    for (const w of fleet.gateways()) if (plaintextRemoteProblem(w.config.url)) w.connection.reconnectNow();
    void vscode.window.showInformationMessage(
      `Lanewatch: forgot ${n} consent(s) to unencrypted ws://; those gateways are disconnected until allowed again.`,
    );
  });

  reg('lanewatch.trustGatewayCertificate', async (arg) => {
    const watcher = await pick(
      arg,
      (w) => !!w.snapshot().problem?.certificateFingerprint,
      'no gateway has a rejected certificate to trust.',
    );
    if (!watcher) return false;
    const problem = watcher.snapshot().problem;
    const fingerprint = problem?.certificateFingerprint;
    if (!problem || !fingerprint) {
      void vscode.window.showInformationMessage(`Lanewatch: ${watcher.name} has no rejected certificate to trust.`);
      return false;
    }
    const changed = problem.kind === 'tls-pin-mismatch';
    if (!arg?.assumeYes) {
      const action = changed ? 'Trust the New Certificate' : 'Trust This Certificate';
      const answer = await vscode.window.showWarningMessage(
        changed
          ? `The certificate of ${watcher.name} CHANGED. Trust the new one?`
          : `Trust the certificate of ${watcher.name}?`,
        {
          modal: true,
          detail: `SHA-256 fingerprint:\n${fingerprint}\n\nCompare it with the gateway host's: openssl x509 -noout -fingerprint -sha256 -in <the gateway's certificate>. Trust it only if they are equal: ${watcher.config.url} will then be trusted with exactly this certificate, and any other is refused.${changed ? '\n\nA changed certificate is expected after the gateway regenerated it; otherwise something between you and the gateway may be presenting its own.' : ''}`,
        },
        action,
      );
      if (answer !== action) return false;
    }
    if (watcher.config.source !== 'settings') {
      // Lanewatch never writes OpenClaw's files: say the one command that pins it there, for the OpenClaw CLI too.
      const where =
        watcher.config.source === 'openclaw-config'
          ? `run: openclaw config set gateway.remote.tlsFingerprint "${fingerprint}" (the OpenClaw CLI then pins it too), or add`
          : 'add';
      void vscode.window.showWarningMessage(
        `Lanewatch: ${watcher.name} comes from ${watcher.config.source}, not from settings. To trust this certificate, ${where} a lanewatch.gateways entry for ${watcher.config.url} with "tlsFingerprint": "${fingerprint}".`,
      );
      return false;
    }
    const config = vscode.workspace.getConfiguration('lanewatch');
    const inspected = config.inspect<unknown[]>('gateways');
    const withPin = (list: unknown[] | undefined) =>
      list?.map((e) =>
        (e as { name?: unknown })?.name === watcher.name ? { ...(e as object), tlsFingerprint: fingerprint } : e,
      );
    // Write where the entry is defined, so a workspace entry is not shadowed by a new user-level copy.
    const target = inspected?.workspaceValue?.some((e) => (e as { name?: unknown })?.name === watcher.name)
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await config.update(
      'gateways',
      withPin(target === vscode.ConfigurationTarget.Workspace ? inspected?.workspaceValue : inspected?.globalValue),
      target,
    );
    output.warn(`[${watcher.name}] trusted the certificate with SHA-256 ${fingerprint} for ${watcher.config.url}`);
    return true;
  });

  // Warn once per gateway URL and window: a notification, not a modal, because it can come up at startup.
  const warned = new Set<string>();
  const warnIfNeeded = () => {
    for (const w of fleet.gateways()) {
      if (w.snapshot().problem?.kind !== 'plaintext-remote' || warned.has(consentId(w.config))) continue;
      warned.add(consentId(w.config));
      void vscode.window
        .showWarningMessage(
          `Lanewatch: ${w.name} uses unencrypted ws:// to another host (${w.config.url}); its token and transcripts would cross the network in clear. Not connected.`,
          ALLOW,
          'Open Settings',
        )
        .then((answer) => {
          if (answer === ALLOW) void allow(w, true);
          else if (answer === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettingsJson');
        });
    }
  };
  context.subscriptions.push(
    fleet.onDidChange((c) => {
      if (c.what === 'connection' || c.what === 'gateways') warnIfNeeded();
    }),
  );
  warnIfNeeded();
}
