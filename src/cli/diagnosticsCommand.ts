// `lanewatch diagnostics export [--out DIR]`: OpenClaw's own diagnostics zip for a bug report, made by the installed
// `openclaw gateway diagnostics export` for a gateway on this machine (src/actions/diagnosticsExport.ts, shared with
// the extension's "Export Gateway Diagnostics…"). LANEWATCH_OPENCLAW names the CLI when it is not `openclaw` on PATH.
// Exit codes as every command: 0 written, 1 failed (no CLI, a CLI too old, no zip), 4 refused (a remote gateway:
// the export must run on its host), cancelled by Ctrl+C.
import path from 'node:path';
import { exportGatewayDiagnostics, openclawCommandFrom } from '../actions/diagnosticsExport';
import { EXIT, type ActionContext } from './actionCommands';

export async function runDiagnosticsExport(
  ctx: ActionContext,
  out: string | undefined,
  stop: Promise<void>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const watcher = ctx.fleet.gateway(ctx.config.name);
  const hello = watcher?.snapshot().hello;
  const cancel = new AbortController();
  void stop.then(() => cancel.abort());
  if (!ctx.json) ctx.io.err(`exporting ${ctx.config.name}'s diagnostics with the openclaw CLI (Ctrl+C cancels)…\n`);
  const result = await exportGatewayDiagnostics({
    url: ctx.config.url,
    token: (await ctx.fleet.credentialsFor(ctx.config)).token,
    stateDir: hello?.stateDir,
    configPath: hello?.configPath ?? ctx.config.configPath,
    openclaw: openclawCommandFrom(env.LANEWATCH_OPENCLAW),
    outputDir: path.resolve(out ?? '.'),
    signal: cancel.signal,
  });
  ctx.audit.record({
    gateway: ctx.config.name,
    call: 'diagnostics export',
    outcome: result.ok ? 'ok' : result.reason,
    detail: result.ok ? result.file : undefined,
  });
  if (ctx.json) ctx.io.out(`${JSON.stringify(result, null, 2)}\n`);
  else if (result.ok) ctx.io.out(`${result.summary}\n`);
  else
    ctx.io.err(`lanewatch: ${result.summary}${result.detail ? `\n  ${result.detail.split('\n').join('\n  ')}` : ''}\n`);
  if (result.ok) return EXIT.ok;
  return result.reason === 'remote' || result.reason === 'cancelled' ? EXIT.refused : EXIT.failed;
}
