// `lanewatch profile cpu|heap [--duration S] [--out FILE]`: a profile of the gateway process (src/actions/gatewayProfile.ts)
// written to a file a profile viewer opens (VS Code, Chrome DevTools). The report on stdout (or its JSON with --json),
// a refusal on stderr with what to do; SIGINT/SIGTERM cancel the capture (nothing is written); the exit code by the
// outcome's class, as every other command: 0 saved, 1 failed (unsupported version, timeout, write error), 4 refused
// (missing scope, a capture already running, cancelled).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  captureGatewayProfile,
  profileFileName,
  type ProfileKind,
  type ProfileReport,
} from '../actions/gatewayProfile';
import { EXIT, type ActionContext } from './actionCommands';
import { cliProblemText } from './cliAdvice';

export const PROFILE_KINDS: readonly ProfileKind[] = ['cpu', 'heap'];

/** Where the profile goes: --out FILE, or a new file in --out DIR, or in the current directory. */
export async function profileTarget(
  out: string | undefined,
  gateway: string,
  kind: ProfileKind,
  cwd = process.cwd(),
): Promise<string> {
  const name = profileFileName(gateway, kind);
  if (!out) return path.join(cwd, name);
  const resolved = path.resolve(cwd, out);
  const isDir = await stat(resolved).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isDir || /[\\/]$/.test(out) ? path.join(resolved, name) : resolved;
}

/** The report for a terminal: the summary, the lines behind it, and the next step. */
export function profileReportText(r: ProfileReport, ctx: Pick<ActionContext, 'advice'>): string {
  const advice = r.problem ? cliProblemText(r.problem, ctx.advice) : r.advice;
  return [r.summary, ...r.details.map((d) => `  ${d}`), ...(advice ? [`next: ${advice}`] : [])].join('\n');
}

export async function runProfileCommand(
  ctx: ActionContext,
  kind: ProfileKind,
  durationSeconds: number | undefined,
  out: string | undefined,
  stop: Promise<void>,
): Promise<number> {
  const file = await profileTarget(out, ctx.config.name, kind);
  const cancel = new AbortController();
  void stop.then(() => cancel.abort());
  if (!ctx.json)
    ctx.io.err(
      `capturing a ${kind === 'cpu' ? 'CPU' : 'heap allocation'} profile of ${ctx.config.name} (${durationSeconds ?? 5} s; Ctrl+C cancels)…\n`,
    );
  const report = await captureGatewayProfile(
    { conns: ctx.conns, config: ctx.config, audit: ctx.audit },
    { kind, durationSeconds, file, signal: cancel.signal },
  );
  if (ctx.json) ctx.io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.ok) ctx.io.out(`${profileReportText(report, ctx)}\n`);
  else ctx.io.err(`lanewatch: ${profileReportText(report, ctx)}\n`);
  return EXIT[report.outcomeClass];
}
