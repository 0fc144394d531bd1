// The status-bar summary: the whole fleet in one line, most urgent first; a click opens the Gateways view.
// Refreshes are coalesced like the tree's, so a burst of events costs one update.
import * as vscode from 'vscode';
import type { Fleet } from '../fleet/fleet';
import { reportFleet, summarizeFleet, type FleetSummary } from '../report/fleetReport';

export class FleetStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('lanewatch.summary', vscode.StatusBarAlignment.Left, 50);
  private readonly sub: { dispose(): void };
  private timer?: NodeJS.Timeout;
  private lastUpdate = 0;
  private current?: FleetSummary;

  constructor(private readonly fleet: Fleet) {
    this.item.name = 'Lanewatch';
    this.item.command = 'lanewatch.fleet.focus';
    this.sub = fleet.onDidChange((c) => {
      if (!('what' in c) || c.what !== 'logs') this.schedule();
    });
    this.update();
    this.item.show();
  }

  get summary(): FleetSummary | undefined {
    return this.current;
  }

  /** Leading edge: the first change after a quiet 100 ms shows on the next macrotask; a burst shares one update. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.update();
      },
      Math.max(0, this.lastUpdate + 100 - Date.now()),
    );
  }

  update(): void {
    this.lastUpdate = Date.now();
    const s = summarizeFleet(reportFleet(this.fleet));
    this.current = s;
    this.item.text = s.text;
    this.item.accessibilityInformation = { label: s.words };
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.appendText(`${s.words}\n\n`);
    for (const line of s.tooltipLines) md.appendText(`${line}\n\n`);
    md.appendMarkdown('Click to open the Gateways view.');
    this.item.tooltip = md;
    this.item.backgroundColor =
      s.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : s.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.sub.dispose();
    this.item.dispose();
  }
}
