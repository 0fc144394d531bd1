// --notify-webhook: a JSON POST per notable change, for people without Prometheus. One body serves both kinds of
// receiver: generic fields (kind, gateway, session, from, to, verdict, …) and a Slack-compatible `text` (Slack, and
// the many chat tools that take Slack's incoming-webhook format, read `text` and ignore the rest).
//
// What is sent: a session entering or leaving one of the notify states (default stuck, stalled, stale), a gateway
// lost or back, and the watchdog's outcomes (acted with its verdict and step outcomes, failed, skipped). Never a
// token (every known token is masked from every text, in case an error message carries one), never transcript text
// or a row's free text: only names, keys, states and Lanewatch's own words.
//
// Rate limit: at most `maxPerMinute` POSTs in any 60 s (default 10). What comes on top is held back, counted, and
// said in one summary message as soon as the window allows (with the latest held-back change): memory stays bounded
// however fast sessions change. One POST at a time; a receiver that does not answer within the timeout counts as
// failed; at most 2 × maxPerMinute messages wait behind a slow receiver, more are dropped and counted.
import type { LaneState } from '../lanes/laneStatus';
import type { WatchdogEvent } from '../watchdog/watchdog';
import type { LaneTransition } from './laneTracker';

export const DEFAULT_NOTIFY_STATES: readonly LaneState[] = ['stuck', 'stalled', 'stale'];
export const DEFAULT_NOTIFY_PER_MINUTE = 10;
const WINDOW_MS = 60_000;

export type NoticeResult = 'sent' | 'failed' | 'rate_limited' | 'dropped';

/** The JSON body of one notification. */
export interface WebhookPayload {
  /** Slack-compatible one-paragraph text (mrkdwn-escaped). */
  text: string;
  source: 'lanewatch';
  kind: 'lane-state' | 'gateway' | 'watchdog' | 'held-back';
  time: string;
  gateway?: string;
  session?: string;
  agent?: string;
  /** lane-state: the state before and after (absent: not seen before / no longer listed). */
  from?: string;
  to?: string;
  verified?: boolean;
  /** gateway: lost or back, and the connection problem class while lost. */
  event?: 'lost' | 'back';
  problem?: string;
  /** watchdog: acted, failed or skipped; for acted the ladder's verdict and each step's outcome. */
  decision?: string;
  verdict?: string;
  steps?: Array<{ step: string; outcome: string }>;
  reason?: string;
  /** held-back: how many notifications the rate limit held back, by kind. */
  heldBack?: Record<string, number>;
}

export interface WebhookOptions {
  url: string;
  maxPerMinute?: number;
  states?: readonly LaneState[];
  timeoutMs?: number;
  /** Every value returned is replaced by *** in every text sent (the gateways' tokens). */
  secrets?: () => readonly string[];
  onResult?: (result: NoticeResult) => void;
  log?: (message: string) => void;
  now?: () => number;
  /** Injected for tests (fake clocks): schedules the held-back summary. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

/** A webhook URL's problem in words, or undefined. The URL itself is never repeated: its path may be a secret. */
export function webhookUrlProblem(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'is not a URL (http://… or https://…)';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `must be http:// or https://, not ${u.protocol}//`;
  if (u.username || u.password) return 'must not carry a user or password (user:pass@host)';
  return undefined;
}

/** Slack mrkdwn: &, < and > must be escaped; untrusted names must not become links or mentions. */
const slack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const words = (s: string | undefined) => (s === undefined ? 'not listed' : s === 'no-progress' ? 'no progress' : s);

export class WebhookNotifier {
  private readonly sentAt: number[] = [];
  private readonly queue: WebhookPayload[] = [];
  private held: Record<string, number> = {};
  private latestHeld?: WebhookPayload;
  private flushTimer?: { cancel(): void };
  private sending = false;
  private idle: Array<() => void> = [];
  private disposed = false;
  readonly maxPerMinute: number;
  readonly states: ReadonlySet<LaneState>;
  private readonly now: () => number;
  private readonly setTimer: NonNullable<WebhookOptions['setTimer']>;
  readonly origin: string;

  constructor(private readonly opts: WebhookOptions) {
    this.maxPerMinute = opts.maxPerMinute ?? DEFAULT_NOTIFY_PER_MINUTE;
    this.states = new Set(opts.states ?? DEFAULT_NOTIFY_STATES);
    this.now = opts.now ?? Date.now;
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        return { cancel: () => clearTimeout(t) };
      });
    this.origin = new URL(opts.url).origin;
  }

  /** A lane transition: notified when the session enters or leaves one of the notify states. */
  lane(t: LaneTransition): void {
    const entered = t.to !== undefined && this.states.has(t.to);
    const left = t.from !== undefined && this.states.has(t.from) && !entered;
    if (!entered && !left) return;
    const text = entered
      ? t.initial
        ? `session ${t.key} on gateway ${t.gateway} is ${words(t.to)}${t.verified ? '' : ' (unverified)'} (already so when Lanewatch started watching)`
        : `session ${t.key} on gateway ${t.gateway} is now ${words(t.to)}${t.verified ? '' : ' (unverified)'}${t.from ? ` (was ${words(t.from)})` : ''}`
      : t.to === undefined
        ? `session ${t.key} on gateway ${t.gateway} is no longer listed (was ${words(t.from)})`
        : `session ${t.key} on gateway ${t.gateway} is no longer ${words(t.from)}: now ${words(t.to)}`;
    this.notify({
      kind: 'lane-state',
      text,
      gateway: t.gateway,
      session: t.key,
      ...(t.agent ? { agent: t.agent } : {}),
      ...(t.from ? { from: t.from } : {}),
      ...(t.to ? { to: t.to } : {}),
      verified: t.verified,
    });
  }

  /** A gateway lost (with its problem class) or back. */
  gateway(name: string, event: 'lost' | 'back', problem?: { kind: string; summary: string }): void {
    this.notify({
      kind: 'gateway',
      text:
        event === 'lost'
          ? `gateway ${name} is not reachable: ${problem?.summary ?? 'connection lost'}`
          : `gateway ${name} is reachable again`,
      gateway: name,
      event,
      ...(problem ? { problem: problem.kind } : {}),
    });
  }

  /** The watchdog's outcomes (acted, failed, skipped); armed, disarmed and acting are not sent. */
  watchdog(e: WatchdogEvent): void {
    const base = { kind: 'watchdog' as const, gateway: e.gateway, session: e.key, decision: e.kind };
    switch (e.kind) {
      case 'acted':
        this.notify({
          ...base,
          text: `watchdog recovered session ${e.key} on gateway ${e.gateway} (${words(e.state)}): ${e.report.verdict}${e.report.steps.length ? ` after ${e.report.steps.map((s) => `${s.action} → ${s.outcome}`).join(', ')}` : ''}`,
          verdict: e.report.verdict,
          steps: e.report.steps.map((s) => ({ step: s.action, outcome: s.outcome })),
        });
        return;
      case 'failed':
        this.notify({
          ...base,
          text: `watchdog could not recover session ${e.key} on gateway ${e.gateway} (${words(e.state)}): ${e.error.slice(0, 300)}`,
          reason: e.error.slice(0, 300),
        });
        return;
      case 'skipped':
        this.notify({
          ...base,
          text: `watchdog left session ${e.key} on gateway ${e.gateway} (${words(e.state)}) alone: ${e.reason}`,
          reason: e.reason,
        });
        return;
      default:
        return;
    }
  }

  /** Resolves when nothing is being sent or waiting to be (tests, and a clean shutdown). */
  whenIdle(): Promise<void> {
    if (!this.sending && !this.queue.length) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  dispose(): void {
    this.disposed = true;
    this.flushTimer?.cancel();
    this.queue.length = 0;
  }

  private notify(p: Omit<WebhookPayload, 'source' | 'time'>): void {
    if (this.disposed) return;
    const payload: WebhookPayload = { source: 'lanewatch', time: new Date(this.now()).toISOString(), ...p };
    if (!this.takeSlot()) {
      this.held[p.kind] = (this.held[p.kind] ?? 0) + 1;
      this.latestHeld = payload;
      this.opts.onResult?.('rate_limited');
      this.scheduleFlush();
      return;
    }
    this.enqueue(payload);
  }

  /** Takes one of this minute's slots, if one is free. */
  private takeSlot(): boolean {
    const now = this.now();
    while (this.sentAt.length && this.sentAt[0] <= now - WINDOW_MS) this.sentAt.shift();
    if (this.sentAt.length >= this.maxPerMinute) return false;
    this.sentAt.push(now);
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.disposed) return;
    const wait = Math.max(0, (this.sentAt[0] ?? this.now()) + WINDOW_MS - this.now());
    this.flushTimer = this.setTimer(() => {
      this.flushTimer = undefined;
      if (this.disposed) return;
      if (!this.takeSlot()) return this.scheduleFlush();
      const held = this.held;
      const total = Object.values(held).reduce((a, b) => a + b, 0);
      const latest = this.latestHeld;
      this.held = {};
      this.latestHeld = undefined;
      const byKind = Object.entries(held)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ');
      this.enqueue({
        source: 'lanewatch',
        kind: 'held-back',
        time: new Date(this.now()).toISOString(),
        text: `${total} more notification(s) held back by the rate limit (at most ${this.maxPerMinute} a minute): ${byKind}.${latest ? ` Latest: ${latest.text}` : ''} The current state is in lanewatch serve's /metrics and its log.`,
        heldBack: held,
      });
    }, wait + 5);
  }

  private enqueue(p: WebhookPayload): void {
    if (this.queue.length >= 2 * this.maxPerMinute) {
      this.opts.onResult?.('dropped');
      return;
    }
    this.queue.push(p);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (let p = this.queue.shift(); p && !this.disposed; p = this.queue.shift()) await this.post(p);
    } finally {
      this.sending = false;
      const waiting = this.idle;
      this.idle = [];
      for (const r of waiting) r();
    }
  }

  private mask(s: string): string {
    let out = s;
    for (const secret of this.opts.secrets?.() ?? []) if (secret.length >= 4) out = out.split(secret).join('***');
    return out;
  }

  private async post(p: WebhookPayload): Promise<void> {
    const body = JSON.stringify({ ...p, text: `Lanewatch: ${slack(this.mask(p.text))}` }, (_k, v: unknown) =>
      typeof v === 'string' ? this.mask(v) : v,
    );
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'lanewatch' },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.opts.onResult?.('sent');
        return;
      }
      this.opts.onResult?.('failed');
      this.opts.log?.(`webhook ${this.origin} answered HTTP ${res.status} to a ${p.kind} notification`);
    } catch (err) {
      this.opts.onResult?.('failed');
      const e = err as Error & { cause?: { code?: string; message?: string } };
      this.opts.log?.(
        `webhook ${this.origin} not reached for a ${p.kind} notification: ${e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.cause?.message ?? e.message)}`,
      );
    }
  }
}
