// The deploy/ assets and docs/metrics.md against what `lanewatch serve` really exports: every metric the rules, their
// tests and the Grafana dashboard query exists, every exported metric is documented (and nothing documented is
// missing); and, where promtool is installed (Debian: apt-get install prometheus), the rules pass
// `promtool check rules` and their unit tests pass `promtool test rules`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FleetMetrics } from '../../src/metrics/fleetMetrics';
import { LaneTracker } from '../../src/metrics/laneTracker';
import { repoRoot } from '../support/fixtures';

const read = (rel: string) => readFileSync(path.join(repoRoot, rel), 'utf8');

/** Every lanewatch_ metric family the exporter declares (with the watchdog on, so all of them). */
async function exported(): Promise<Set<string>> {
  const fleet = { gateways: () => [], gateway: () => undefined, onDidChange: () => ({ dispose() {} }) };
  const tracker = new LaneTracker(fleet);
  const m = new FleetMetrics({ fleet, tracker, version: 'test', watchdog: { armed: () => [] }, processMetrics: false });
  const { body } = await m.render(false);
  m.dispose();
  tracker.dispose();
  return new Set([...body.matchAll(/^# TYPE (lanewatch_\w+) /gm)].map((x) => x[1]));
}

/** lanewatch_ names in a text, with a counter's _total suffix kept as written. */
const namesIn = (text: string) => new Set([...text.matchAll(/\b(lanewatch_[a-z_]+)\b/g)].map((x) => x[1]));

describe('deploy/ and docs/metrics.md', () => {
  it('the rules, their tests and the dashboard query only metrics the exporter exports', async () => {
    const names = await exported();
    assert.ok(names.has('lanewatch_session_state_seconds'));
    for (const file of [
      'deploy/prometheus/lanewatch-rules.yml',
      'deploy/prometheus/lanewatch-rules.test.yml',
      'deploy/grafana/lanewatch-dashboard.json',
    ]) {
      const used = namesIn(read(file));
      assert.ok(used.size > 0, file);
      for (const n of used) assert.ok(names.has(n), `${file} uses ${n}, which lanewatch serve does not export`);
    }
    const dashboard = JSON.parse(read('deploy/grafana/lanewatch-dashboard.json')) as { panels: unknown[] };
    assert.ok(dashboard.panels.length > 5);
  });

  it('docs/metrics.md documents every exported metric, and no other', async () => {
    const names = await exported();
    const doc = read('docs/metrics.md');
    const documented = new Set([...doc.matchAll(/^\| `(lanewatch_\w+)`/gm)].map((x) => x[1]));
    assert.deepEqual([...documented].sort(), [...names].sort());
  });

  it('promtool check rules and promtool test rules pass', (t) => {
    const has = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (has.error) {
      t.skip('promtool is not installed (Debian: apt-get install prometheus)');
      return;
    }
    const dir = path.join(repoRoot, 'deploy/prometheus');
    const check = spawnSync('promtool', ['check', 'rules', 'lanewatch-rules.yml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /SUCCESS: 6 rules found/);
    const test = spawnSync('promtool', ['test', 'rules', 'lanewatch-rules.test.yml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    assert.match(test.stdout, /SUCCESS/);
  });
});
