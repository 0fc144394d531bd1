// The sessions of a gateway as a quick pick lists them: the ones that need someone first (stuck, stalled, stale, no
// progress, then running and queued, idle last; the most recently updated first within a state), each with the status
// and queue count the tree shows and its full key as the detail.
import type { GatewayWatcher } from '../../fleet/gatewayWatcher';
import { compareLaneStates } from '../../lanes/laneStatus';
import { describeSession } from '../../report/describe';

export interface SessionPick {
  label: string;
  description: string;
  detail: string;
  key: string;
}

export function sessionPicks(watcher: GatewayWatcher, now = Date.now()): SessionPick[] {
  return watcher
    .sessionRows()
    .map((row) => ({ row, status: watcher.laneStatus(row.key) }))
    .sort(
      (a, b) =>
        compareLaneStates(a.status.state, b.status.state) ||
        Number(b.row.updatedAt ?? 0) - Number(a.row.updatedAt ?? 0),
    )
    .map(({ row, status }) => {
      const d = describeSession(row, row.key, status, now, { tooltip: false });
      return {
        label: `$(${d.icon.replace(/~spin$/, '')}) ${d.label}`,
        description: d.description,
        detail: row.key,
        key: row.key,
      };
    });
}
