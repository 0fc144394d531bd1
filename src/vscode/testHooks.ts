// What the extension-host test suites (test/extension/) read and drive inside a running extension: the fleet as the
// tree sees it, the panels' HTML and the DOM facts their pages report, the audit trail, the watchdog's decisions.
// Not part of the extension's API: `activate()` returns it as `testing` only when the extension host runs with
// LANEWATCH_TEST_HOOKS=1, which scripts/vscode/run-extension-tests.mjs sets (the packaged extension a user installs
// never sees it).
import type * as vscode from 'vscode';
import type { AuditEntry } from '../actions/auditTrail';
import type { Fleet } from '../fleet/fleet';
import type { LogTailFilterView } from '../protocol/webviewMessages';
import { reportFleet, type FleetReport, type FleetSummary } from '../report/fleetReport';
import type { WatchdogEvent } from '../watchdog/watchdog';
import type { GatewayDetailsPanels } from './panels/gatewayDetailsPanel';
import type { LogTailPanels } from './panels/logTailPanel';
import type { TranscriptPanels } from './panels/transcriptPanel';

export const TEST_HOOKS_ENV = 'LANEWATCH_TEST_HOOKS';

export function testHooksEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[TEST_HOOKS_ENV] === '1';
}

export interface FleetSnapshotGateway {
  name: string;
  url: string;
  state: string;
  description: string;
  problemKind?: string;
  serverVersion?: string;
  protocol?: number;
  agents: string[];
  sessions: Array<{ key: string; description: string; status: string; verified: boolean; facts: string[] }>;
}

type Report<K = object> = K & { facts: Record<string, unknown> };

export interface LanewatchTestHooks {
  /** Time spent inside activate(), in ms. */
  readonly activationMs: number;
  /** Where VS Code keeps this extension's logs (the output channel), for the token-leak test. */
  readonly logUri: vscode.Uri;
  fleetSnapshot(): Promise<FleetSnapshotGateway[]>;
  /** The same data `lanewatch status --json` prints. */
  fleetReport(): FleetReport;
  onDidChangeFleet(listener: () => void): vscode.Disposable;
  /** What the status-bar item shows now. */
  statusBarSummary(): FleetSummary | undefined;
  /** Every recovery action and its result, as written to the output channel. */
  auditEntries(): readonly AuditEntry[];
  /** The watchdog's decisions (armed, acting, acted, skipped…) since activation. */
  watchdogEvents(): readonly WatchdogEvent[];
  onDidWatchdogEvent(listener: (e: WatchdogEvent) => void): vscode.Disposable;
  /** Sessions revealed in the tree from a log line's link. */
  onDidRevealSession(listener: (e: { gateway: string; key: string; found: boolean }) => void): vscode.Disposable;
  /** The HTML of an open panel (for CSP checks) and the DOM facts its page reported. */
  gatewayDetailsHtml(name: string): string | undefined;
  onDidReportGatewayDetails(listener: (report: Report<{ gateway: string }>) => void): vscode.Disposable;
  gatewayLogsHtml(name: string): string | undefined;
  onDidReportGatewayLogs(listener: (report: Report<{ gateway: string }>) => void): vscode.Disposable;
  /** The last DOM facts the gateway-logs page reported (it reports only when something changed). */
  gatewayLogsLastReport(name: string): Record<string, unknown> | undefined;
  /** Applies a filter as if chosen in the panel; false when no panel is open. */
  setGatewayLogsFilter(name: string, filter: Partial<LogTailFilterView>): boolean;
  transcriptHtml(gateway: string, key: string): string | undefined;
  onDidReportTranscript(listener: (report: Report<{ gateway: string; sessionKey: string }>) => void): vscode.Disposable;
}

export interface TestHookSources {
  activationMs: number;
  logUri: vscode.Uri;
  fleet: Fleet;
  statusBar: { readonly summary: FleetSummary | undefined };
  audit: { readonly entries: readonly AuditEntry[] };
  watchdog: { readonly events: readonly WatchdogEvent[]; readonly onDidEvent: vscode.Event<WatchdogEvent> };
  revealed: vscode.Event<{ gateway: string; key: string; found: boolean }>;
  details: GatewayDetailsPanels;
  logs: LogTailPanels;
  transcripts: TranscriptPanels;
}

export function createTestHooks(s: TestHookSources): LanewatchTestHooks {
  return {
    activationMs: s.activationMs,
    logUri: s.logUri,
    fleetSnapshot: async () => fleetSnapshot(s.fleet),
    fleetReport: () => reportFleet(s.fleet),
    onDidChangeFleet: (listener) => disposable(s.fleet.onDidChange(() => listener())),
    statusBarSummary: () => s.statusBar.summary,
    auditEntries: () => s.audit.entries,
    watchdogEvents: () => s.watchdog.events,
    onDidWatchdogEvent: (listener) => s.watchdog.onDidEvent(listener),
    onDidRevealSession: (listener) => s.revealed(listener),
    gatewayDetailsHtml: (name) => s.details.html(name),
    onDidReportGatewayDetails: (listener) => s.details.onDidReport(listener),
    gatewayLogsHtml: (name) => s.logs.html(name),
    onDidReportGatewayLogs: (listener) => s.logs.onDidReport(listener),
    gatewayLogsLastReport: (name) => s.logs.lastReports.get(name),
    setGatewayLogsFilter: (name, filter) => s.logs.setFilter(name, filter),
    transcriptHtml: (gateway, key) => s.transcripts.html(gateway, key),
    onDidReportTranscript: (listener) => s.transcripts.onDidReport(listener),
  };
}

/** The fleet flattened for assertions: one row per gateway, its sessions' status words and facts as text. */
function fleetSnapshot(fleet: Fleet): FleetSnapshotGateway[] {
  return reportFleet(fleet).gateways.map((g) => ({
    name: g.name,
    url: g.url,
    state: g.state,
    description: g.description,
    problemKind: g.problem?.kind,
    serverVersion: g.serverVersion,
    protocol: g.protocol,
    agents: g.agents.filter((a) => a.id !== '(no agent)').map((a) => a.id),
    sessions: g.agents
      .flatMap((a) => a.sessions)
      .map((x) => ({
        key: x.key,
        description: x.description,
        status: x.laneStatus,
        verified: x.verified,
        facts: x.facts.map((f) => f.text),
      })),
  }));
}

const disposable = (d: { dispose(): void }): vscode.Disposable => ({ dispose: () => d.dispose() });
