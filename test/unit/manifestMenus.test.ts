// The session rows' menus in package.json against the lane states the tree can show: every state but idle offers
// Recover, Abort and Abort + Clear Queue (a state added to the model and not to the menus once hid them on exactly
// the rows that needed them: "no progress").
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LANE_STATE_ORDER } from '../../src/lanes/laneStatus';

interface MenuItem {
  command: string;
  when?: string;
}

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { menus: Record<string, MenuItem[]> };
};

/** Whether `when` lets the item show on a row with this contextValue (only the viewItem =~ /re/ part is read). */
function shows(when: string | undefined, contextValue: string): boolean {
  const m = /viewItem =~ \/(.+)\/$/.exec(when ?? '');
  assert.ok(m, `no viewItem pattern in ${when}`);
  return new RegExp(m[1]).test(contextValue);
}

describe('session row menus (package.json)', () => {
  const items = manifest.contributes.menus['view/item/context'];
  for (const command of ['lanewatch.recoverSession', 'lanewatch.abortRun', 'lanewatch.abortAndClearQueue']) {
    it(`${command} is offered on every state but idle, verified or not`, () => {
      const mine = items.filter((i) => i.command === command);
      assert.ok(mine.length > 0, `${command} is not in the row menu`);
      for (const state of LANE_STATE_ORDER)
        for (const contextValue of [`session.${state}`, `session.${state}.unverified`])
          for (const item of mine)
            assert.equal(shows(item.when, contextValue), state !== 'idle', `${command} on ${contextValue}`);
    });
  }
});

describe('a parent waiting on its subagents (package.json)', () => {
  // Its own state is idle (no run of its own), yet Recover is what frees it: the family recovery offers the subagent
  // that holds it. The tree marks such rows `.waiting`; aborting the parent itself is not offered there.
  const items = manifest.contributes.menus['view/item/context'];
  const on = (command: string, contextValue: string) =>
    items.filter((i) => i.command === command).some((i) => shows(i.when, contextValue));
  it('offers Recover Session, not Abort, on a waiting row, verified or not', () => {
    for (const contextValue of ['session.idle.waiting', 'session.idle.unverified.waiting', 'session.queued.waiting']) {
      assert.equal(on('lanewatch.recoverSession', contextValue), true, `recover on ${contextValue}`);
    }
    for (const contextValue of ['session.idle.waiting', 'session.idle.unverified.waiting']) {
      assert.equal(on('lanewatch.abortRun', contextValue), false, `abort on ${contextValue}`);
      assert.equal(on('lanewatch.abortAndClearQueue', contextValue), false, `abort + clear on ${contextValue}`);
    }
    assert.equal(on('lanewatch.recoverSession', 'session.idle'), false, 'an idle row that waits on nothing');
  });
});

describe('cron job and task row menus (package.json)', () => {
  const items = manifest.contributes.menus['view/item/context'];
  // The context values src/vscode/schedulerNodes.ts gives the rows, and what each row must (not) offer.
  const cases: Array<[string, string[]]> = [
    ['cronJob.enabled', ['lanewatch.cronRunNow', 'lanewatch.cronDisable']],
    ['cronJob.enabled.attention', ['lanewatch.cronRunNow', 'lanewatch.cronDisable']],
    ['cronJob.disabled', ['lanewatch.cronRunNow', 'lanewatch.cronEnable']],
    ['cronJob.disabled.attention', ['lanewatch.cronRunNow', 'lanewatch.cronEnable']],
    ['task.deliveryPending', []],
    ['task.deliveryPending.active', ['lanewatch.taskCancel']],
    ['task.deliveryFailed', ['lanewatch.taskRetry']],
    ['task.deliveryFailed.active', ['lanewatch.taskCancel', 'lanewatch.taskRetry']],
    ['cronRoot', ['lanewatch.refreshScheduler']],
    ['tasksRoot', ['lanewatch.refreshScheduler']],
    ['schedulerNote', []],
  ];
  const scheduler = [
    'lanewatch.cronRunNow',
    'lanewatch.cronDisable',
    'lanewatch.cronEnable',
    'lanewatch.taskCancel',
    'lanewatch.taskRetry',
    'lanewatch.refreshScheduler',
  ];
  for (const [contextValue, expected] of cases)
    it(`${contextValue} offers ${expected.join(', ') || 'nothing'}`, () => {
      const offered = items
        .filter((i) => scheduler.includes(i.command) && shows(i.when, contextValue))
        .map((i) => i.command)
        .sort();
      assert.deepEqual(offered, [...expected].sort());
    });
});
