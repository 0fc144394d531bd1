// One `lanewatch status --json` in phases, for bench/status-profile.mjs: the same pieces as src/cli/main.ts's
// status (createCliFleet, settled, reportFleet, JSON text), each stamped in ms since the process started, printed
// as one JSON line on stderr. Bundled by the profile script; not part of the extension or the CLI.
//
//   node statusPhases.cjs <url> <TOKEN_ENV_NAME>
import { performance } from 'node:perf_hooks';
import { createCliFleet, settled } from '../src/cli/cliFleet';
import { reportFleet } from '../src/report/fleetReport';

const loaded = performance.now();
const [url, tokenEnv] = process.argv.slice(2);

async function run(): Promise<void> {
  const marks: Record<string, number> = { loaded };
  const opts = {
    gateways: [{ url, tokenEnv }],
    requestTimeoutMs: 60_000,
    verbose: false,
    version: 'bench',
  };
  const fleet = createCliFleet(
    opts,
    [{ config: { name: 'bench', url, source: 'settings' as const }, tokenEnv }],
    () => {},
  );
  fleet.setGateways([{ name: 'bench', url, source: 'settings' }], []);
  const w = fleet.gateways()[0];
  const sub = fleet.onDidChange(() => {
    const s = w.snapshot();
    if (s.state === 'connected' && marks.connected === undefined) marks.connected = performance.now();
    if (w.isSynced() && marks.rows === undefined) marks.rows = performance.now();
  });
  await settled(fleet, 60_000);
  marks.settled = performance.now();
  sub.dispose();
  const report = reportFleet(fleet);
  marks.report = performance.now();
  const text = `${JSON.stringify(report, null, 2)}\n`;
  marks.stringify = performance.now();
  await new Promise<void>((r) => process.stdout.write(text, () => r()));
  marks.written = performance.now();
  const l = w.lastListing();
  process.stderr.write(
    `${JSON.stringify({ marks, listing: l, outKB: Math.round(Buffer.byteLength(text) / 1024), unread: w.unread() })}\n`,
  );
  fleet.dispose();
}
run().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
