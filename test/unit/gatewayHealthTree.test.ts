// The gateway row's process health in the Gateways tree (plain Node, `vscode` is test/shims/vscode.ts) against a
// scripted gateway: read only while the view is visible; a healthy gateway adds nothing to the row; a degraded one says
// so in the gateway's own numbers, with the facts in the tooltip; the row goes back when the gateway recovers.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { EventLoopHealthView } from '../../src/gateway/vitalsTypes';
import { fleetTreeOn } from '../support/fleetTree';
import { ScriptedGateway, waitFor } from '../support/scriptedGateway';

const calm: EventLoopHealthView = {
  degraded: false,
  degradedSinceMs: null,
  reasons: [],
  intervalMs: 1_000,
  delayP99Ms: 20,
  delayMaxMs: 22,
  utilization: 0.03,
  cpuCoreRatio: 0.02,
};
const busy: EventLoopHealthView = {
  degraded: true,
  degradedSinceMs: 8_000,
  reasons: ['event_loop_utilization', 'cpu'],
  intervalMs: 1_000,
  delayP99Ms: 180,
  delayMaxMs: 340,
  utilization: 0.82,
  cpuCoreRatio: 0.97,
};

const disposables: Array<{ dispose(): void }> = [];
const servers: ScriptedGateway[] = [];
after(async () => {
  for (const d of disposables) d.dispose();
  for (const s of servers) await s.close();
});

describe('Gateways tree: process health on the gateway row', () => {
  it('reads only while visible; healthy says nothing more; degraded says so in the gateway’s numbers', async () => {
    let eventLoop = calm;
    const calls: string[] = [];
    const g = await ScriptedGateway.start({
      helloOverrides: { features: { methods: ['agents.list', 'sessions.list', 'system.info'], events: [] } },
      handleRequest: (method: string) => {
        calls.push(method);
        if (method === 'agents.list') return { defaultId: 'main', agents: [{ id: 'main' }] };
        if (method === 'sessions.list') return { sessions: [], hasMore: false, totalCount: 0 };
        if (method === 'system.info')
          return {
            processInstanceId: 'p1',
            uptimeMs: 7_200_000,
            eventLoop,
            processMemory: { rssBytes: 780 * 1024 ** 2, heapUsedBytes: 2e8, heapTotalBytes: 3e8 },
          };
        return {};
      },
    });
    servers.push(g);
    const { tree, watcher: w } = fleetTreeOn(g.url, disposables);
    const row = () => tree.getTreeItem(tree.getChildren()[0]);
    const until = (pick: () => boolean) =>
      pick()
        ? Promise.resolve(true)
        : waitFor(
            (l) => tree.onDidChangeTreeData(l),
            () => (pick() ? true : undefined),
            15_000, // the tree reads every 5 s
          );
    await waitFor(
      (l) => w.onDidChange(l),
      () => (w.isSynced() ? true : undefined),
    );
    assert.equal(calls.includes('system.info'), false, 'view not visible: nothing read');

    tree.setVisible(true);
    await waitFor(
      (l) => w.health.onSample(l),
      () => true,
      15_000,
    );
    assert.doesNotMatch(String(row().description), /degraded|event loop/, 'a healthy gateway adds nothing to the row');
    const tip = tree.resolveTreeItem(row(), tree.getChildren()[0]).tooltip as { value: string };
    assert.match(tip.value, /Process: event loop 3% busy, 22 ms delay, CPU 0\\?\.02 cores, memory 780 MB .* up 2h00m/);
    // The gateway's own Prometheus endpoint is read beside it (this gateway has none) and said plainly.
    const endpoint = w.healthVerdict().facts.find((f) => f.rule === 'gateway.prometheus');
    assert.ok(endpoint, `facts: ${JSON.stringify(w.healthVerdict().facts)}`);
    console.log(`# ${endpoint.text}`);

    eventLoop = busy;
    await until(() => /degraded/.test(String(row().description)));
    assert.match(String(row().description), /· degraded: event loop 82% busy, 340 ms delay, CPU 0\.97 cores$/);
    const item = row();
    assert.equal((item.iconPath as { color?: { id: string } }).color?.id, 'list.warningForeground');
    const degradedTip = (tree.resolveTreeItem(item, tree.getChildren()[0]).tooltip as { value: string }).value;
    assert.match(degradedTip, /event loop saturated, CPU pressure/);

    eventLoop = calm;
    await until(() => !/degraded/.test(String(row().description)));

    tree.setVisible(false);
    await w.health.whenIdle();
    assert.equal(w.health.scheduled(), false, 'view hidden: no read scheduled');
  });
});
