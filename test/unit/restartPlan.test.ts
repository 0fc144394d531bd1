import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  describePreflight,
  findLockFor,
  isGatewayProcess,
  p3RestartChoice,
  planLocalRestart,
} from '../../src/actions/restart';

describe('restart planning when the RPC is dead', () => {
  it('never signals a pid that is not an openclaw gateway (here: this test process)', async () => {
    assert.equal(await isGatewayProcess(process.pid), false);
    const plan = await planLocalRestart({ pid: process.pid, port: 1, file: '/tmp/x.lock' }, 4, 'linux', 1000);
    assert.equal(plan.kind, 'service-manager');
    assert.deepEqual(plan.kind === 'service-manager' && plan.commands, ['systemctl --user restart openclaw-gateway']);
    assert.match(plan.why, /not a running openclaw gateway/);
  });

  it('offers launchctl on macOS and says when there is no lock file', async () => {
    const plan = await planLocalRestart(undefined, 4, 'darwin', 501);
    assert.deepEqual(plan.kind === 'service-manager' && plan.commands, [
      'launchctl kickstart -k gui/501/ai.openclaw.gateway',
    ]);
    assert.match(plan.why, /no lock file/);
  });

  it('recognises a gateway process by its command line and picks the signal by protocol', async () => {
    // A stand-in whose command line looks like `node openclaw.mjs gateway run` (it only sleeps).
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'openclaw.mjs', 'gateway', 'run'], {
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => child.once('spawn', r));
      assert.equal(await isGatewayProcess(child.pid!), process.platform === 'linux');
      if (process.platform === 'linux') {
        const v4 = await planLocalRestart({ pid: child.pid!, file: '/x.lock' }, 4);
        const v3 = await planLocalRestart({ pid: child.pid!, file: '/x.lock' }, 3);
        assert.deepEqual(
          [v4.kind === 'signal' && v4.signal, v3.kind === 'signal' && v3.signal],
          ['SIGUSR2', 'SIGUSR1'],
        );
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('describes preflight blockers', () => {
    assert.equal(
      describePreflight({ safe: true, blockers: [], summary: 'safe to restart now' }),
      'safe to restart now',
    );
    assert.equal(
      describePreflight({
        safe: false,
        blockers: [
          { kind: 'embedded-run', count: 1 },
          { kind: 'root-request', count: 2, message: '2 active gateway request(s)' },
        ],
        summary: 'restart deferred',
      }),
      'restart deferred: 1 embedded run, 2 active gateway requests',
    );
  });
  it('protocol 3: recommends stop + start while a run is evidently alive (SIGUSR1 would wait for it), the signal otherwise', () => {
    const busy = p3RestartChoice('2026.3.24', ['agent:main:main']);
    assert.equal(busy.recommend, 'stop-start');
    assert.match(busy.why, /agent:main:main/);
    assert.match(busy.why, /300 s of deferral plus 90 s of drain \(6\.5 minutes/);
    assert.equal(p3RestartChoice('2026.4.26', []).recommend, 'signal');
  });

  it("finds a 2026.3/2026.4 lock file (no port, no stateDir) by the gateway's config path", async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'lw-lock-'));
    const uid = process.getuid?.() ?? 0;
    mkdirSync(path.join(tmp, `openclaw-${uid}`));
    // The pid must be alive: this process stands in; its config path is what identifies the gateway.
    writeFileSync(
      path.join(tmp, `openclaw-${uid}`, 'gateway.a1b2.lock'),
      `${JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString(), configPath: '/srv/gw-a/openclaw.json', startTime: 1 })}${' '.repeat(64)}`,
    );
    const found = await findLockFor({ configPath: '/srv/gw-a/openclaw.json', extraTmpDirs: [tmp] });
    assert.equal(found?.pid, process.pid);
    assert.equal(found?.port, undefined);
    assert.equal(
      await findLockFor({ configPath: '/srv/other/openclaw.json', extraTmpDirs: [tmp] }),
      undefined,
      "another gateway's config path does not match",
    );
  });
});
