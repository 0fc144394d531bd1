// The usage text of `lanewatch` and of each command (`lanewatch <command> --help`).

import { SERVE_SUMMARY, SERVE_USAGE } from './serveCommand';

export const COMMANDS = [
  'status',
  'recover',
  'abort',
  'reset',
  'send',
  'restart',
  'watch',
  'profile',
  'diagnostics',
  'cron',
  'tasks',
  'serve',
] as const;
export type Command = (typeof COMMANDS)[number];

const GATEWAY_OPTIONS = `gateway selection (all commands):
  --gateway URL          ws:// or wss:// (repeatable for status, watch, serve). Without it: OPENCLAW_GATEWAY_URL, then
                         ~/.openclaw/openclaw.json (OPENCLAW_CONFIG_PATH, OPENCLAW_STATE_DIR), then running
                         gateways' lock files — the VS Code extension's discovery.
  --token-env NAME       the token of the --gateway just before it is in environment variable NAME, e.g.
                         --gateway URL1 --token-env TOKEN1 --gateway URL2 --token-env TOKEN2. Before any --gateway:
                         the token of the one gateway given or discovered. Default: the gateway's openclaw.json,
                         then OPENCLAW_GATEWAY_TOKEN. Tokens are never taken on the command line.
  --config PATH          an openclaw.json to read the port and token from (an unusable file is an error, never
                         guessed around)
  --tls-fingerprint FP   wss:// --gateway only: trust the certificate with this SHA-256 fingerprint (self-signed)
  --allow-plaintext      allow unencrypted ws:// to a host other than this machine (refused without it: the token
                         and transcripts would cross the network in clear)
  --connect-timeout-seconds N  how long a gateway that accepts the connection may take to answer connect (default
                         30; 2026.4.x loads plugins for ~20 s). A refused port or an unknown host fails at once.
  --request-timeout-seconds N  how long any request may wait for its answer (default 60; 2026.4.x can stall for up
                         to 55 s); the extension's lanewatch.requestTimeoutSeconds
  --json                 machine-readable output (status: one JSON document; watch: JSON lines; audit lines on
                         stderr as JSON too)
  --wait-ms N            how long commands wait for the gateways' first full read (default 15000)
  --verbose              connection details on stderr (the watcher's and every action connection's)
  -h, --help             usage (lanewatch <command> --help: that command's)`;

const EXIT_CODES = `exit codes: 0 ok (freed, nothing to do, reset proven, reply received, restarted, profile saved; status: every gateway answered; --help)
            1 failed (a gateway unreachable, an unusable config file, an error)   2 usage error
            3 ineffective (the call was made, the session did not change / no reply in time; unverified on protocol 3)
            4 refused (missing scope, unknown session key, cancelled; profile: a capture already running)`;

const KEY_NOTE = `A bare key such as "idle" is the default agent's session (agent:<defaultAgentId>:idle), as the gateway reads
it; the resolved key is printed (stderr) when it differs.`;

const SETTLE = '--reply-timeout-seconds N  how long to wait for the session to settle after each call (default 20)';
const YES = '--yes, -y               do not ask (required when there is no terminal to ask on)';

const COMMAND_USAGE: Record<Command, string> = {
  status: `usage: lanewatch status [--facts] [--json] [--gateway URL [--token-env NAME]]...

Every gateway's agents and sessions with their lane status and the facts behind it.
  --facts                 list the facts behind each status in the text tree`,
  recover: `usage: lanewatch recover <sessionKey> [--yes] [--parent-itself] [--reply-timeout-seconds N]

abort → abort + clear queue → reset (/new), stopping at the first step that frees it. Refuses keys that do not exist.
A parent waiting on a subagent (2026.9.x sessions_yield) has that subagent recovered first, said in the report.
  ${YES}
  --parent-itself         recover the parent itself, not the subagent it waits on
  ${SETTLE}
${KEY_NOTE}`,
  abort: `usage: lanewatch abort <sessionKey> [--clear-queue] [--yes] [--reply-timeout-seconds N]

Abort the active run. Refuses keys that do not exist.
  --clear-queue           also drop queued inputs (chat.abort)
  ${YES}
  ${SETTLE}
${KEY_NOTE}`,
  reset: `usage: lanewatch reset <sessionKey> [--yes] [--reply-timeout-seconds N]

sessions.reset (reason "new") with admin scope. Refuses keys that do not exist.
  ${YES}
  ${SETTLE}
${KEY_NOTE}`,
  send: `usage: lanewatch send <sessionKey> [--message TEXT] [--reply-timeout-seconds N]

Send a message and wait for the reply, timing every phase (open, challenge, hello, accepted, first event, reply).
  --message TEXT          the message; default: a probe text
  --reply-timeout-seconds N  wait this long for the reply (default 120)
${KEY_NOTE}`,
  restart: `usage: lanewatch restart [--yes] [--now | --stop]

Restart the gateway (preflight first), verified by a new boot id or a new process.
  ${YES}
  --now                   interrupt active work instead of waiting for it (2026.9.x)
  --stop                  (2026.3.x/2026.4.x) stop the gateway (SIGTERM) instead of SIGUSR1, which waits for hung
                          runs (6.5 min on 2026.3.24); start it again yourself`,
  watch: `usage: lanewatch watch [--states LIST] [--threshold-seconds N] [--max-per-hour N] [--cooldown-seconds N] [--exclude KEY]...

Foreground watchdog: recovers sessions that stay wedged past a threshold and prints every decision, until SIGINT/SIGTERM.
  --states LIST           comma-separated: stalled,stuck,stale (default), long-running, running, queued
  --threshold-seconds N   how long a session must stay so before acting (default 600)
  --max-per-hour N        actions per session per hour (default 2)
  --cooldown-seconds N    quiet time after each action (default 300)
  --exclude KEY           never act on this session key (or pattern with *); repeatable
  --no-progress-seconds N a running run with no event for N s reads "no progress" (default 60; 0: off), as in the
                          extension; add no-progress to --states to act on it
  --subagents on|off      act on subagent sessions, whose row names a parent (default on)
  --cron on|off           act on cron sessions, agent:<id>:cron:<jobId>… (default on)
  ${SETTLE}`,
  profile: `usage: lanewatch profile cpu|heap [--duration S] [--out FILE|DIR]

A profile of the gateway process (OpenClaw 2026.9 or later, operator.admin), written to a file that VS Code, Chrome
DevTools or speedscope open. Nothing is written on the gateway; Ctrl+C cancels the capture and writes nothing.
  cpu                     a V8 CPU profile (.cpuprofile) of the gateway's main thread: 5 s, fixed by the gateway
  heap                    a sampling heap profile (.heapprofile): where it allocates memory
  --duration S            (heap) sample for S seconds, 1 to 30 (default 5)
  --out FILE|DIR          where to write it (default: <gateway>-<time>.cpuprofile/.heapprofile in the current folder)`,
  diagnostics: `usage: lanewatch diagnostics export [--out DIR]

OpenClaw's own diagnostics zip for a bug report (redacted log lines, status and health snapshots, the newest
stability bundle, the config's shape; no chat text or secrets), made by the installed openclaw CLI
(\`openclaw gateway diagnostics export\`, OpenClaw 2026.4.26 or later) for a gateway on this machine. The token goes to
the CLI in its environment, never its command line. For a remote gateway, run that command on its host.
  --out DIR               where to write the zip (default: the current folder)
  LANEWATCH_OPENCLAW      the openclaw CLI to run when it is not \`openclaw\` on PATH (a path)`,
  cron: `usage: lanewatch cron run|disable|enable <jobId> [--yes] [--reply-timeout-seconds N]

A cron job of the gateway's scheduler (operator.admin). Each is confirmed by reading the scheduler back, never by its
answer alone: \`run\` starts a run now, outside the schedule (the schedule is unchanged), and follows it in the job's
run history; \`disable\` stops the job firing (a run in progress is stopped by the scheduler) and is confirmed when the
job reads back disabled with no next run; \`enable\` when it reads back enabled with a next run. \`lanewatch status
--json\` lists the jobs with their ids.
  ${YES}
  --reply-timeout-seconds N  (run) how long to follow the run before saying it is not confirmed (default 20)`,
  tasks: `usage: lanewatch tasks cancel|retry <taskId> [--yes] [--reply-timeout-seconds N]

A task of the gateway's task ledger (operator.write; 2026.9.x has one, 2026.3.x and 2026.4.x do not): \`cancel\` stops a queued or running
task through its owner and is confirmed when the ledger reads it cancelled; \`retry\` hands a finished result whose
delivery failed to the session that asked for it again (it can show twice if an earlier delivery arrived) and is
confirmed when the delivery leaves "failed". \`lanewatch status --json\` lists the undelivered tasks with their ids.
  ${YES}
  --reply-timeout-seconds N  (cancel) how long to wait for the ledger to say cancelled (default 20)`,
  serve: SERVE_USAGE,
};

const USAGE = `usage: lanewatch <command> [options]        (lanewatch <command> --help for one command)

commands:
  status                 every gateway's agents and sessions with their lane status and the facts behind it
  recover <sessionKey>   abort → abort + clear queue → reset (/new), stopping at the first step that frees it
  abort <sessionKey>     abort the active run (--clear-queue: and drop queued inputs)
  reset <sessionKey>     sessions.reset (reason "new") with admin scope; refuses keys that do not exist
  send <sessionKey>      send --message TEXT and wait for the reply, timing every phase
  restart                restart the gateway (preflight first; --now skips waiting for active work)
  watch                  foreground watchdog: recover sessions that stay wedged past a threshold
  profile cpu|heap       a CPU profile (5 s) or heap allocation profile (--duration S) of the gateway, to --out FILE
  diagnostics export     OpenClaw's redacted diagnostics zip of a gateway on this machine, for a bug report
  cron run|disable|enable <jobId>   run a cron job now, or disable / enable it, confirmed by the scheduler
  tasks cancel|retry <taskId>       cancel a task, or retry delivering its result, confirmed by the ledger
  ${SERVE_SUMMARY}

${GATEWAY_OPTIONS}

status:   --facts                 list the facts behind each status in the text tree
actions:  ${YES}
          --clear-queue           (abort) also drop queued inputs (chat.abort)
          --message TEXT          (send) the message; default: a probe text
          --reply-timeout-seconds N  (send) wait this long for the reply (default 120); (recover, abort, reset, watch)
                                  wait this long for the session to settle after each call (default 20)
          --now                   (restart) interrupt active work instead of waiting for it (2026.9.x)
          --stop                  (restart, 2026.3.x/2026.4.x) stop the gateway (SIGTERM) instead of SIGUSR1, which
                                  waits for hung runs (6.5 min on 2026.3.24); start it again yourself
watch:    --states LIST           comma-separated: stalled,stuck,stale (default), long-running, running, queued
          --threshold-seconds N   how long a session must stay so before acting (default 600)
          --max-per-hour N        actions per session per hour (default 2)
          --cooldown-seconds N    quiet time after each action (default 300)
          --exclude KEY           never act on this session key (or pattern with *); repeatable
          --no-progress-seconds N  (watch, serve) a running run silent N s reads "no progress" (default 60; 0: off)
profile:  --duration S            (heap) sample for S seconds, 1 to 30 (default 5; cpu is always 5)
          --out FILE|DIR          where to write the profile (default: the current folder)

${KEY_NOTE}

${EXIT_CODES}
`;

/** The usage of one command, or of all. */
export function usageText(command?: Command): string {
  return command ? `${COMMAND_USAGE[command]}\n\n${GATEWAY_OPTIONS}\n\n${EXIT_CODES}\n` : USAGE;
}
