// Log lines of failures the field hit in 2026.5–2026.9 (../shared/openclaw/field-2026-h2.md) that no lane status
// shows: a slow or locked session store, a restart that cut replies short, a reply whose delivery is unknown, a
// blocked event loop, a prompt over its context window, a turn claim never released. Each pattern is the gateway's own
// wording, read in the openclaw@2026.9.6 package (dist/), not a guess: a line that merely mentions the words in
// another sentence does not match. Pure code: the watcher sums them up per gateway (fleet/logProblemsSummary.ts).

export type KnownProblemId =
  | 'store-slow'
  | 'store-locked'
  | 'restart-drain'
  | 'reply-unknown'
  | 'event-loop-blocked'
  | 'context-overflow'
  | 'turn-claim';

export interface KnownProblem {
  id: KnownProblemId;
  /** What happened, in words that follow "the gateway's log says". */
  headline: string;
  /** What to do about it. */
  advice: string;
  pattern: RegExp;
}

export const KNOWN_PROBLEMS: readonly KnownProblem[] = [
  {
    id: 'store-slow',
    // transactionLogger().warn("slow SQLite transaction hold" | "… lock wait" | "slow SQLite coordinator lock wait", {…}),
    // and subsystem session-sqlite's "slow SQLite session write" ({operation, elapsedMs, queueWaitMs}). A 20 MB
    // chat.inject on a real 2026.9.6 gateway logged 8 holds and 8 session writes of 1.8-6.6 s.
    pattern: /^slow SQLite (?:transaction hold|transaction lock wait|coordinator lock wait|session write)\b/,
    headline: 'its session store (SQLite) was slow to lock',
    advice:
      'Turns wait on the store meanwhile. On the gateway host, check the size of the store’s -wal file and run `openclaw doctor --session-sqlite inspect` (then `compact`).',
  },
  {
    id: 'store-locked',
    pattern: /\bSQLITE_(?:BUSY|LOCKED)\b|\bdatabase (?:table )?is locked\b/,
    headline: 'its session store (SQLite) was locked',
    advice:
      'Writes to sessions failed or waited. On the gateway host, run `openclaw doctor --session-sqlite inspect`; if it recurs, restart the gateway.',
  },
  {
    id: 'restart-drain',
    // shutdownLog.warn(`restart reply drain timed out after ${ms}ms with ${details} still active; continuing shutdown`)
    pattern: /^restart reply drain timed out after \d+ms\b/,
    headline: 'a restart cut replies short (its reply drain timed out with work still active)',
    advice:
      'Replies in flight may not have been sent: check the sessions that were running and resend what did not arrive.',
  },
  {
    id: 'reply-unknown',
    // log.warn(`Delivery entry ${id} delivery state is ${state}; refusing blind replay …; preserving unknown_after_send`)
    pattern: /^Delivery entry \S+ .*(?:refusing (?:blind|full) replay|preserving unknown_after_send)/,
    headline: 'a reply may not have reached its channel (its delivery is unknown and the gateway will not resend it)',
    advice: 'Check the channel; resend the reply by hand if it did not arrive.',
  },
  {
    id: 'event-loop-blocked',
    // diagnosticLogger.warn(`liveness heartbeat delayed: overdue=${ms}ms elapsed=${ms}ms; deferring recovery decisions`)
    pattern: /^liveness heartbeat delayed: overdue=\d+ms\b/,
    headline: 'its event loop was blocked (a heartbeat came late; it put off its own recovery)',
    advice: 'Everything the gateway does waited meanwhile. "Capture Gateway CPU Profile…" shows what holds it.',
  },
  {
    id: 'context-overflow',
    // log.warn(`[context-overflow-diag] sessionKey=${key} provider=${p}/${m} source=… trigger=… messages=…`)
    pattern: /^\[context-overflow-diag\] /,
    headline: 'a prompt was larger than its model’s context window',
    advice: 'Compact that session, or start it anew (/new).',
  },
  {
    id: 'turn-claim',
    // ActiveTurnClaimError: `Session ${sessionId} already has an active turn claim`
    pattern: /\bActiveTurnClaimError\b|\balready has an active turn claim\b/,
    headline: 'a session’s turn claim was never released (“already has an active turn claim”)',
    advice: 'New turns of that session fail: abort its run; if that frees nothing, restart the gateway.',
  },
];

const BY_ID = new Map(KNOWN_PROBLEMS.map((p) => [p.id, p]));

export function knownProblem(id: KnownProblemId): KnownProblem {
  return BY_ID.get(id)!;
}

/** The known failure a log message reports, if any (the first that matches, in the table's order). */
export function knownProblemOf(message: string): KnownProblemId | undefined {
  for (const p of KNOWN_PROBLEMS) if (p.pattern.test(message)) return p.id;
  return undefined;
}
