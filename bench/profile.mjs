#!/usr/bin/env node
// What a gateway profile costs, `lanewatch profile cpu|heap` side by side with the official way to get one,
// `openclaw gateway call diagnostics.cpuProfile|heapProfile --json` (which prints the RPC's answer; the profile still
// has to be cut out of it to open it in a viewer), on one real OpenClaw gateway (2026.9.6). Not a test: it prints
// figures and fails only when the setup fails.
//
//   node bench/profile.mjs [--runs 3] [--heap-seconds 5]
//
// Per contestant and kind: the whole command's wall time (process start to exit) against the 5 s of sampling asked
// for, and the gateway's answer time to `health` calls made back to back on a separate connection (the official
// client) while the capture runs, against the same calls with the gateway idle: the overhead the capture puts on the
// gateway's event loop. The contestants alternate run by run. Each Lanewatch file is checked to be a V8 profile.
//
// Like bench/status.mjs it runs inside a loopback-only network namespace (re-executing itself under `unshare -n` when
// started outside one); LANEWATCH_NO_NETNS=1 runs on the normal network instead (not recommended). Build first
// (`node esbuild.mjs`): it runs dist/cli.js.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { enterLoopbackNamespace } from './netns.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const { values: opts } = parseArgs({
  args: argv,
  options: { runs: { type: 'string', default: '3' }, 'heap-seconds': { type: 'string', default: '5' } },
});
const RUNS = Number(opts.runs);
const HEAP_S = Number(opts['heap-seconds']);
const tools = await import('../scripts/fixtures/tools.mjs');

await enterLoopbackNamespace({ script: import.meta.url, args: argv, install: 'openclaw' });

const cli = path.join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  console.error('dist/cli.js is missing: run `node esbuild.mjs` first');
  process.exit(1);
}
const fixtures = await import('../scripts/fixtures/openclaw-gateway.mjs');
const { connectOperator } = await import('../scripts/fixtures/seed-demo.mjs');

/** Runs a command; resolves with its wall time, exit code and stdout. */
function timed(cmd, args, env) {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      resolve({ ms: performance.now() - t, code, stdout: Buffer.concat(out).toString('utf8'), stderr: err }),
    );
  });
}

/** `health` latencies, back to back on `op`, while `until` is pending. */
async function healthDuring(op, until) {
  let done = false;
  void until.finally(() => (done = true));
  const out = [];
  while (!done) {
    const t = performance.now();
    await op.request('health', {});
    out.push(performance.now() - t);
  }
  return out;
}
const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))] : NaN;
};
const median = (xs) => q(xs, 0.5);
const f1 = (x) => x.toFixed(1);

const base = mkdtempSync(path.join(os.tmpdir(), 'lw-bench-profile-'));
const gateway = await fixtures.startGateway({ root: base, name: 'bench' });
console.log(`# openclaw ${gateway.version} ready in ${gateway.readyMs} ms at ${gateway.url}; ${os.cpus().length} CPUs`);
const op = await connectOperator({ url: gateway.url, token: gateway.token });
try {
  const idle = await healthDuring(op, new Promise((r) => setTimeout(r, 5_000)));
  console.log(
    `idle gateway: health p50 ${f1(median(idle))} ms, p95 ${f1(q(idle, 0.95))} ms, max ${f1(Math.max(...idle))} ms (${idle.length} calls in 5 s)`,
  );
  const rows = [];
  const env = { ...process.env, LW_BENCH_TOKEN: gateway.token, LANEWATCH_STATE_DIR: path.join(base, 'lw-state') };
  const contestants = [];
  for (const kind of ['cpu', 'heap']) {
    const seconds = kind === 'cpu' ? 5 : HEAP_S;
    const method = kind === 'cpu' ? 'diagnostics.cpuProfile' : 'diagnostics.heapProfile';
    const params = kind === 'cpu' ? '{}' : JSON.stringify({ durationMs: seconds * 1000 });
    contestants.push({
      name: `lanewatch profile ${kind}`,
      kind,
      seconds,
      run: async (dir) => {
        const r = await timed(
          process.execPath,
          [
            cli,
            'profile',
            kind,
            ...(kind === 'heap' ? ['--duration', String(seconds)] : []),
            '--out',
            dir,
            '--gateway',
            gateway.url,
            '--token-env',
            'LW_BENCH_TOKEN',
          ],
          env,
        );
        const file = readdirSync(dir).find((f) => f.endsWith(kind === 'cpu' ? '.cpuprofile' : '.heapprofile'));
        if (r.code !== 0 || !file) throw new Error(`lanewatch profile ${kind} failed (${r.code}): ${r.stderr}`);
        const p = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
        if (kind === 'cpu' ? !(p.nodes?.length && p.samples?.length === p.timeDeltas?.length) : !p.head?.callFrame)
          throw new Error(`not a V8 ${kind} profile: ${file}`);
        return { ...r, bytes: statSync(path.join(dir, file)).size };
      },
    });
    contestants.push({
      name: `openclaw gateway call ${method}`,
      kind,
      seconds,
      run: async (dir) => {
        const r = await timed(
          tools.nodeBin,
          [
            gateway.entry,
            'gateway',
            'call',
            method,
            '--params',
            params,
            '--timeout',
            String(seconds * 1000 + 30_000),
            '--json',
          ],
          gateway.env,
        );
        if (r.code !== 0)
          throw new Error(`openclaw gateway call ${method} failed (${r.code}): ${r.stderr.slice(0, 400)}`);
        // What a user does next: cut the profile out of the answer to open it.
        const answer = JSON.parse(r.stdout);
        const profile = answer.profile ?? answer.result?.profile ?? answer.payload?.profile;
        const file = path.join(dir, `official.${kind === 'cpu' ? 'cpuprofile' : 'heapprofile'}`);
        writeFileSync(file, JSON.stringify(profile ?? answer));
        return { ...r, bytes: statSync(file).size };
      },
    });
  }
  for (let i = 0; i < RUNS; i++)
    for (const c of contestants) {
      const dir = mkdtempSync(path.join(base, 'out-'));
      const run = c.run(dir);
      const during = await healthDuring(op, run);
      const r = await run;
      rows.push({ name: c.name, kind: c.kind, seconds: c.seconds, ms: r.ms, bytes: r.bytes, during });
      process.stdout.write('.');
    }
  console.log('\n');
  console.log(
    'contestant                                    | asked | wall p50 (min–max) | over asked | health p50 / p95 / max during | bytes',
  );
  for (const c of contestants) {
    const mine = rows.filter((r) => r.name === c.name);
    const ms = mine.map((r) => r.ms);
    const during = mine.flatMap((r) => r.during);
    console.log(
      `${c.name.padEnd(45)} | ${String(c.seconds).padStart(3)} s | ${f1(median(ms) / 1000)} s (${f1(Math.min(...ms) / 1000)}–${f1(Math.max(...ms) / 1000)}) | +${f1(median(ms) / 1000 - c.seconds)} s | ${f1(median(during))} / ${f1(q(during, 0.95))} / ${f1(Math.max(...during))} ms | ${mine[0].bytes}`,
    );
  }
  for (const kind of ['cpu', 'heap']) {
    const [lw, off] = contestants
      .filter((c) => c.kind === kind)
      .map((c) => median(rows.filter((r) => r.name === c.name).map((r) => r.ms)));
    console.log(`${kind}: lanewatch / official wall time = ${(lw / off).toFixed(2)}`);
  }
  console.log(
    `health during capture vs idle (p50): ${contestants.map((c) => `${c.name} ×${(median(rows.filter((r) => r.name === c.name).flatMap((r) => r.during)) / median(idle)).toFixed(2)}`).join(', ')}`,
  );
} finally {
  await op.close().catch(() => undefined);
  await fixtures.cleanupAll();
  if (process.env.LANEWATCH_BENCH_KEEP !== '1') rmSync(base, { recursive: true, force: true });
}
