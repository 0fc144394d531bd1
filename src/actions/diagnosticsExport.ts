// "Export Gateway Diagnostics" for bug reports: runs the installed `openclaw gateway diagnostics export` against a
// gateway on this machine and returns the zip it wrote. OpenClaw builds the bundle (redacted logs, status and health
// snapshots, the newest stability bundle, config shape; no chat text, no secrets: docs/gateway/diagnostics.md), so
// Lanewatch only finds the CLI, points it at the right gateway and proves the file is there. The token goes to the CLI
// through its environment (OPENCLAW_GATEWAY_TOKEN), never on its command line, where any process can read it.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { isLoopbackUrl } from '../gateway';

export interface DiagnosticsExportRequest {
  url: string;
  token?: string;
  /** The gateway's state directory and config file, as its hello-ok snapshot names them (where its logs are). */
  stateDir?: string;
  configPath?: string;
  /** How to run the openclaw CLI: its command and leading arguments (default: `openclaw` on PATH). */
  openclaw?: readonly string[];
  outputDir: string;
  signal?: AbortSignal;
  /** The export reads up to 1 MB of log: 2 minutes by default. */
  timeoutMs?: number;
  now?: () => number;
}

export type DiagnosticsExportResult =
  | { ok: true; file: string; bytes: number; ms: number; summary: string }
  | {
      ok: false;
      reason: 'remote' | 'no-cli' | 'failed' | 'cancelled';
      summary: string;
      /** What the CLI printed (its last lines), for the details. */
      detail?: string;
    };

/** The setting lanewatch.openclawCommand (a command, a path, or [program, ...arguments]); anything else: `openclaw`. */
export function openclawCommandFrom(setting: unknown): string[] {
  if (typeof setting === 'string' && setting.trim()) return [setting.trim()];
  if (Array.isArray(setting) && setting.length > 0 && setting.every((a) => typeof a === 'string' && a.length > 0))
    return setting as string[];
  return ['openclaw'];
}

const REMOTE_ADVICE =
  'The diagnostics export reads the gateway\'s own files, so it runs on the gateway\'s host: there, run "openclaw gateway diagnostics export" and attach the zip it names.';

/** An executable named `name` in one of PATH's directories, or undefined. */
async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The last few lines of the CLI's output, without anything shaped like the token. */
function tailOf(text: string, token: string | undefined): string {
  const masked = token ? text.split(token).join('***') : text;
  return masked.trim().split('\n').slice(-8).join('\n').slice(-2_000);
}

async function isZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    return head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  } finally {
    await handle.close();
  }
}

export async function exportGatewayDiagnostics(req: DiagnosticsExportRequest): Promise<DiagnosticsExportResult> {
  const now = req.now ?? Date.now;
  if (!isLoopbackUrl(req.url)) return { ok: false, reason: 'remote', summary: REMOTE_ADVICE };
  const [command, ...leading] = req.openclaw?.length ? req.openclaw : ['openclaw'];
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The caller's own OpenClaw settings must not point the export at another gateway.
  for (const key of Object.keys(env)) if (key.startsWith('OPENCLAW_')) delete env[key];
  if (req.token) env.OPENCLAW_GATEWAY_TOKEN = req.token;
  if (req.stateDir) env.OPENCLAW_STATE_DIR = req.stateDir;
  if (req.configPath) env.OPENCLAW_CONFIG_PATH = req.configPath;
  const executable = command.includes(path.sep) ? command : await onPath(command, env);
  if (!executable)
    return {
      ok: false,
      reason: 'no-cli',
      summary: `The openclaw command is not installed here (not on PATH), so Lanewatch cannot run the export. Install it (npm install -g openclaw), or on the gateway's host run "openclaw gateway diagnostics export" and attach the zip it names.`,
    };
  await mkdir(req.outputDir, { recursive: true });
  const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
  const file = path.join(req.outputDir, `openclaw-diagnostics-${stamp}.zip`);
  const started = now();
  const args = [...leading, 'gateway', 'diagnostics', 'export', '--output', file, '--url', req.url, '--json'];
  const outcome = await new Promise<{ code: number | string | null; out: string; cancelled: boolean }>((resolve) => {
    execFile(
      executable,
      args,
      { env, timeout: req.timeoutMs ?? 120_000, maxBuffer: 4 * 1024 * 1024, signal: req.signal, windowsHide: true },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        resolve({
          code: e ? (e.code ?? 1) : 0,
          out: `${String(stdout)}\n${String(stderr)}`,
          cancelled: e?.name === 'AbortError',
        });
      },
    );
  });
  if (outcome.cancelled) return { ok: false, reason: 'cancelled', summary: 'Export cancelled; nothing was kept.' };
  const detail = tailOf(outcome.out, req.token);
  const bytes = await stat(file).then(
    async (st) => ((await isZip(file)) ? st.size : 0),
    () => 0,
  );
  if (outcome.code !== 0 || bytes === 0)
    return {
      ok: false,
      reason: 'failed',
      summary: `The openclaw diagnostics export did not produce a zip${outcome.code !== 0 ? ` (it exited with ${String(outcome.code)})` : ''}. An openclaw older than 2026.4 has no "gateway diagnostics export": see the details, or run it on the gateway's host.`,
      detail,
    };
  return {
    ok: true,
    file,
    bytes,
    ms: now() - started,
    summary: `Diagnostics exported to ${file} (${Math.max(1, Math.round(bytes / 1024))} KB). OpenClaw leaves out chat text and secrets; look it over before you attach it to a bug report.`,
  };
}
