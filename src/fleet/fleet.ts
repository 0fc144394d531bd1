// The set of gateways being watched. Rebuilt from settings; a gateway whose config did not change keeps its
// live connection across a settings edit.
import type { DeviceIdentityStore, GatewayConnectionOptions, LogLevel } from '../gateway';
import { Emitter } from '../gateway/emitter';
import type { GatewayConfig, SettingProblem } from '../config/gatewaySettings';
import { GatewayWatcher, type WatcherChange, type WatcherOptions } from './gatewayWatcher';
import { resolveToken, type SecretReader, type TokenSource } from '../config/tokenSources';

export interface FleetOptions {
  secrets: SecretReader;
  identityStore: DeviceIdentityStore;
  clientVersion: string;
  requestTimeoutMs: number;
  log: (level: LogLevel, message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The user allowed unencrypted ws:// to this (non-loopback) gateway. Asked at every connection attempt. */
  plaintextConsent?: (config: GatewayConfig) => boolean;
  /** How the watchers read rows (the CLI reads bigger pages, several at once, and more rows than the extension keeps). */
  reading?: Pick<WatcherOptions, 'pageSize' | 'pageParallel' | 'maxSessions'>;
  /** lanewatch.noProgressSeconds, read at each use (a settings edit applies without rebuilding the watchers). */
  noProgressMs?: () => number;
}

export type FleetChange = WatcherChange | { what: 'gateways' };

export class Fleet {
  private readonly watchers = new Map<
    string,
    { watcher: GatewayWatcher; signature: string; sub: { dispose(): void } }
  >();
  private settingProblems: SettingProblem[] = [];
  private readonly tokenSources = new Map<string, { source: TokenSource; warning?: string }>();
  private readonly changes = new Emitter<FleetChange>();
  readonly onDidChange = this.changes.on.bind(this.changes);

  constructor(private readonly opts: FleetOptions) {}

  setGateways(configs: GatewayConfig[], problems: SettingProblem[]): void {
    this.settingProblems = problems;
    const wanted = new Map(configs.map((c) => [c.name, c]));
    for (const [name, entry] of [...this.watchers]) {
      const next = wanted.get(name);
      if (!next || JSON.stringify(next) !== entry.signature) {
        entry.sub.dispose();
        entry.watcher.dispose();
        this.watchers.delete(name);
      }
    }
    for (const config of configs) {
      if (this.watchers.has(config.name)) continue;
      const watcher = new GatewayWatcher({
        config,
        identityStore: this.opts.identityStore,
        clientVersion: this.opts.clientVersion,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        log: this.opts.log,
        credentials: () => this.credentialsFor(config),
        connection: this.connectionSecurity(config),
        ...(this.opts.noProgressMs ? { noProgressMs: this.opts.noProgressMs } : {}),
        ...this.opts.reading,
      });
      const sub = watcher.onDidChange((c) => this.changes.fire(c));
      this.watchers.set(config.name, { watcher, signature: JSON.stringify(config), sub });
      watcher.start();
    }
    this.changes.fire({ what: 'gateways' });
  }

  /** Resolves the token each time it is needed (it may have been set or changed meanwhile). */
  async credentialsFor(config: GatewayConfig): Promise<{ token?: string }> {
    const resolved = await resolveToken(config, this.opts.secrets, this.opts.env);
    this.tokenSources.set(config.name, { source: resolved.source, warning: resolved.warning });
    if (resolved.warning) this.opts.log('warn', `[${config.name}] token: ${resolved.warning}`);
    return { token: resolved.token };
  }

  /** What every connection to this gateway (watcher, commands, test send) must hold to: see transportSecurity. */
  connectionSecurity(config: GatewayConfig): Pick<GatewayConnectionOptions, 'tlsFingerprint' | 'allowPlaintextRemote'> {
    return {
      tlsFingerprint: config.tlsFingerprint,
      allowPlaintextRemote: () => this.opts.plaintextConsent?.(config) ?? false,
    };
  }

  get identityStore(): DeviceIdentityStore {
    return this.opts.identityStore;
  }
  get clientVersion(): string {
    return this.opts.clientVersion;
  }

  gateways(): GatewayWatcher[] {
    return [...this.watchers.values()].map((e) => e.watcher);
  }
  gateway(name: string): GatewayWatcher | undefined {
    return this.watchers.get(name)?.watcher;
  }
  problems(): readonly SettingProblem[] {
    return this.settingProblems;
  }
  tokenSource(name: string): { source: TokenSource; warning?: string } | undefined {
    return this.tokenSources.get(name);
  }

  dispose(): void {
    for (const e of this.watchers.values()) {
      e.sub.dispose();
      e.watcher.dispose();
    }
    this.watchers.clear();
    this.changes.clear();
  }
}
