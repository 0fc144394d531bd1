// The page side of the protocol (src/protocol/envelope.ts), the same for every panel: one acquireVsCodeApi() per page
// (VS Code allows one call), `ready` said once when the page listens, typed posting in the envelope, requests answered
// by the host's `response` (or by a timeout), and every message from the host checked before a handler sees it. What
// fails here — a message the page rejects, an uncaught error, a rejected promise — is posted to the host as `error`,
// which logs it and tells the user once, in plain words.
import type {
  Answer,
  HostMessage,
  PagePost,
  PanelDefinition,
  PanelName,
  RequestParams,
  RequestResult,
  RequestType,
} from '../../src/protocol/envelope';
import type { PanelProtocols } from '../../src/protocol/webviewMessages';

declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};

/** How long a request waits for the host's answer (an export waits for the user's save dialog). */
const REQUEST_TIMEOUT_MS = 120_000;
/** Errors a page posts at most (a page that fails in a loop must not flood the host). */
const MAX_ERRORS = 10;
/** Said by Chromium when a ResizeObserver callback resizes what it observes; harmless, not a failure of the page. */
const BENIGN_ERRORS = /ResizeObserver loop/;

/** One handler per message type the host may post to this panel (a missing one does not compile). */
export type HostHandlers<P extends PanelName> = {
  [T in keyof PanelProtocols[P]['toWebview'] & string]: (message: Extract<HostMessage<P>, { type: T }>) => void;
};

export interface HostConnection<P extends PanelName> {
  /** Starts delivery of the host's messages to `handlers`. */
  readonly onMessage: (handlers: HostHandlers<P>) => void;
  /** Says `ready` (once): the host then delivers what it queued. Call when the page and its handlers are set up. */
  readonly ready: () => void;
  readonly post: (message: Exclude<PagePost<P>, { type: 'ready' }>) => void;
  readonly report: (facts: Record<string, unknown>) => void;
  readonly request: <T extends RequestType<P>>(
    type: T,
    params: RequestParams<P, T>,
  ) => Promise<Answer<RequestResult<P, T>>>;
  readonly getState: () => unknown;
  readonly setState: (state: unknown) => void;
}

let api: ReturnType<typeof acquireVsCodeApi> | undefined;

export function connectToHost<P extends PanelName>(protocol: PanelDefinition<P>): HostConnection<P> {
  const vscode = (api ??= acquireVsCodeApi());
  const send = (message: { type: string; id?: number } & Record<string, unknown>) =>
    vscode.postMessage(protocol.sealToHost(message));
  let handlers: HostHandlers<P> | undefined;
  let saidReady = false;
  let errors = 0;
  let requestSeq = 0;
  const pending = new Map<number, (answer: Answer<string | undefined>) => void>();

  const reportError = (message: string) => {
    if (BENIGN_ERRORS.test(message) || ++errors > MAX_ERRORS) return;
    send({ type: 'error', message: message.slice(0, 4_000) });
  };
  window.addEventListener('error', (e: ErrorEvent) =>
    reportError(`${e.message || 'error'}${e.lineno ? ` (line ${e.lineno}:${e.colno})` : ''}`),
  );
  window.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) =>
    reportError(`unhandled rejection: ${e.reason instanceof Error ? e.reason.message : String(e.reason)}`),
  );

  window.addEventListener('message', (event: MessageEvent) => {
    const checked = protocol.checkToWebview(event.data);
    if (!checked.ok) {
      reportError(`rejected a message from the extension: ${checked.reason}`);
      return;
    }
    const message = checked.message as HostMessage<P> & { type: string; id?: number };
    if (checked.kind === 'response') {
      const resolve = pending.get(message.id ?? -1);
      if (!resolve) return; // answered after its timeout, or meant for the page before a reload
      pending.delete(message.id ?? -1);
      const r = message as unknown as { ok: boolean; result?: string; error?: string };
      resolve(r.ok ? { ok: true, result: r.result } : { ok: false, error: r.error ?? 'failed' });
      return;
    }
    const handler = (handlers as Record<string, ((m: unknown) => void) | undefined> | undefined)?.[message.type];
    if (!handler) {
      reportError(`no handler for ${message.type}`);
      return;
    }
    handler(message);
  });

  return {
    onMessage: (h) => {
      handlers = h;
    },
    ready: () => {
      if (saidReady) return;
      saidReady = true;
      send({ type: 'ready' });
    },
    post: (message) => send(message),
    report: (facts) => send({ type: 'report', facts }),
    request: (type, params) => {
      const id = ++requestSeq;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          if (pending.delete(id)) resolve({ ok: false, error: 'no answer from the extension' });
        }, REQUEST_TIMEOUT_MS);
        pending.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer as Answer<RequestResult<P, typeof type>>);
        });
        send({ ...(params as object), type, id });
      });
    },
    getState: () => vscode.getState(),
    setState: (state) => vscode.setState(state),
  };
}

/** How long a page gathers changes before it reports its DOM facts. */
const REPORT_DELAY_MS = 150;

/**
 * Returns what a page calls after each change to report its DOM facts to the host (tests read them): `collect()`
 * runs REPORT_DELAY_MS after the first call (calls meanwhile join that report), and facts equal to the last report's
 * are not sent again.
 */
export function reportSoon(
  report: (facts: Record<string, unknown>) => void,
  collect: () => Record<string, unknown>,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = '';
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      const facts = collect();
      const text = JSON.stringify(facts);
      if (text === last) return;
      last = text;
      report(facts);
    }, REPORT_DELAY_MS);
  };
}
