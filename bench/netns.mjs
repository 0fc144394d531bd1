// Every real-gateway bench runs inside a loopback-only network namespace, as the tests do: its gateways and the
// tool a user would pick instead see only 127.0.0.1, and nothing of the machine's network (or a gateway already on
// 18789) changes a figure. A bench calls enterLoopbackNamespace() first; outside a namespace it re-runs itself under
// `unshare -n` and never returns, inside one it brings lo up and returns.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** True when this process's network namespace has no interface but lo (read from /proc/self/net, which is per namespace). */
export function loopbackOnly() {
  try {
    const names = readFileSync('/proc/self/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0].trim())
      .filter(Boolean);
    return names.length > 0 && names.every((n) => n === 'lo');
  } catch {
    return false;
  }
}

/**
 * `script`: the bench's own import.meta.url; `args`: the arguments to run it with again; `install`: what to install on
 * the normal network first (scripts/fixtures/tools.mjs ensureInstalled's name), since the namespace has no network.
 * LANEWATCH_NO_NETNS=1 benchmarks on the normal network instead.
 */
export async function enterLoopbackNamespace({ script, args, install }) {
  if (process.env.LANEWATCH_BENCH_IN_NETNS !== '1' && !loopbackOnly() && process.env.LANEWATCH_NO_NETNS !== '1') {
    const tools = await import('../scripts/fixtures/tools.mjs');
    if (install) await tools.ensureInstalled(install);
    const unshareArgs = process.getuid?.() === 0 ? ['-n'] : ['-rn'];
    if (spawnSync('unshare', [...unshareArgs, 'true']).status !== 0) {
      console.error(
        'cannot create a network namespace (unshare refused). Run as root, or set LANEWATCH_NO_NETNS=1 to benchmark on the normal network.',
      );
      process.exit(1);
    }
    const node = existsSync(tools.nodeBin) ? tools.nodeBin : process.execPath;
    const quoted = [node, fileURLToPath(script), ...args].map((s) => `'${s.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('unshare', [...unshareArgs, 'sh', '-c', `ip link set lo up && exec ${quoted}`], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, LANEWATCH_BENCH_IN_NETNS: '1' },
    });
    // Ctrl-C reaches the inner run too; it stops what it started. Wait for it instead of dying here.
    for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => {});
    child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    await new Promise(() => {});
  }
  if (loopbackOnly()) spawnSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'ignore' }); // harmless when it is up already
}
