// The one envelope of every message between the extension host and a Lanewatch webview, in both directions:
//
//   { v: 1, panel: 'transcript' | 'logTail' | 'gatewayDetails', type: '<message type>', id?: <request id>, ...body }
//
// The four header fields sit beside the message's own fields (a body never uses those names), so a message reads as
// its type and its data, and the bodies built outside this folder (src/logs/logRows.ts) are posted as they are.
// Each panel declares three typed maps (src/protocol/webviewMessages.ts, like GitLens's webviews/protocol.ts):
//   toWebview  what the host posts (notifications);
//   toHost     what the page posts besides the messages every page posts (`ready`, `report`, `error`);
//   requests   what the page asks, with an `id`; the host answers each with one `response` carrying the same id.
// One checker per direction (`checkToHost`, `checkToWebview`) rejects what does not fit (not an object, another
// version, another panel, an unknown type, too large, a field of the wrong type) with a reason, and never throws.
// Used by the host's panel base (src/vscode/panels/webviewPanelBase.ts) and the pages' client (webview/shared/host.ts).
import type { PanelProtocols } from './webviewMessages';

export const PROTOCOL_VERSION = 1;
/** A message from a page is at most this long as JSON (reports are the largest, a few KB). */
export const MAX_TO_HOST_CHARS = 256 * 1024;
/** At most this many items in one list of a message to a page (rows, entries); the host sends far fewer per message. */
export const MAX_LIST = 100_000;
const MAX_TYPE_CHARS = 100;

export type PanelName = keyof PanelProtocols;

/** The type → body maps of one panel. */
export interface PanelProtocol {
  toWebview: Record<string, object>;
  toHost: Record<string, object>;
  requests: Record<string, { params: object; result: string | undefined }>;
}

type Empty = Record<never, never>;

/** What every page posts, whatever its panel. */
export type CommonToHost = {
  /** The page is listening: the host delivers what it queued, or the panel's whole state after a reload. */
  ready: Empty;
  /** Facts the page measured about its own DOM (tests and diagnostics). */
  report: { facts: Record<string, unknown> };
  /** The page failed (an uncaught error, or a message from the host it rejected). */
  error: { message: string };
};

/** The host's answer to the page's request `id`. */
export type ResponseBody = { id: number } & ({ ok: true; result?: string } | { ok: false; error: string });

type ParamsOf<R> = R extends { params: infer X } ? X : never;
type ResultOf<R> = R extends { result: infer X } ? X : never;

export type ToWebviewMap<P extends PanelName> = PanelProtocols[P]['toWebview'] & { response: ResponseBody };
export type RequestMap<P extends PanelName> = {
  [T in keyof PanelProtocols[P]['requests']]: ParamsOf<PanelProtocols[P]['requests'][T]> & { id: number };
};
export type ToHostMap<P extends PanelName> = CommonToHost & PanelProtocols[P]['toHost'] & RequestMap<P>;

type Sealed<P extends PanelName, M> = {
  [T in keyof M & string]: { v: typeof PROTOCOL_VERSION; panel: P; type: T } & M[T];
}[keyof M & string];
type Unsealed<M> = { [T in keyof M & string]: { type: T } & M[T] }[keyof M & string];

/** A message to panel P's page, as the page receives it. */
export type HostMessage<P extends PanelName> = Sealed<P, ToWebviewMap<P>>;
/** What the host's code posts to panel P's page (the envelope adds `v` and `panel`). */
export type HostPost<P extends PanelName> = Unsealed<ToWebviewMap<P>>;
/** A message from panel P's page, as the host receives it. */
export type PageMessage<P extends PanelName> = Sealed<P, ToHostMap<P>>;
/** The page's requests and notifications of its own panel (not `ready`, `report`, `error`). */
export type PageRequest<P extends PanelName> = Sealed<P, RequestMap<P>>;
export type PageNotification<P extends PanelName> = Sealed<P, PanelProtocols[P]['toHost']>;
/** What the page's code posts (the envelope adds `v` and `panel`; requests get their `id` from the client). */
export type PagePost<P extends PanelName> = Unsealed<CommonToHost & PanelProtocols[P]['toHost']>;
export type RequestType<P extends PanelName> = keyof PanelProtocols[P]['requests'] & string;
export type RequestParams<P extends PanelName, T extends RequestType<P>> = ParamsOf<PanelProtocols[P]['requests'][T]>;
export type RequestResult<P extends PanelName, T extends RequestType<P>> = ResultOf<PanelProtocols[P]['requests'][T]>;
/** How a request ended, as the page sees it: the host's result, or why not (the host's error, or no answer). */
export type Answer<R> = { ok: true; result: R } | { ok: false; error: string };

/** Checks one message's body: undefined when it fits, otherwise the reason. It may assume a non-array object. */
export type Guard = (m: Readonly<Record<string, unknown>>) => string | undefined;
/** A guard for every type of each map: a message type without a guard does not compile. */
export interface PanelGuards<P extends PanelName> {
  toWebview: { [T in keyof PanelProtocols[P]['toWebview']]-?: Guard };
  toHost: { [T in keyof PanelProtocols[P]['toHost']]-?: Guard };
  requests: { [T in keyof PanelProtocols[P]['requests']]-?: Guard };
}

export type MessageKind = 'ready' | 'report' | 'error' | 'request' | 'notification' | 'response';
export type Checked<M> = { ok: true; message: M; kind: MessageKind } | { ok: false; reason: string };

// ------------------------------------------------------------------------------------------------ field guards
// Each returns undefined when the field fits, otherwise a reason naming the field; `all` returns the first reason.

/** An untrusted value, short and quoted, for a reason that is logged: control, bidi and zero-width characters escaped. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(cut).replace(
      /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value === 'number' ? String(value) : `a ${typeof value}`;
}

export const all = (...reasons: Array<string | undefined>): string | undefined => reasons.find((r) => r !== undefined);

export function str(
  m: Readonly<Record<string, unknown>>,
  key: string,
  max: number,
  o: { optional?: boolean; nonEmpty?: boolean } = {},
): string | undefined {
  const v = m[key];
  if (v === undefined && o.optional) return undefined;
  if (typeof v !== 'string') return `${key} is ${describeValue(v)}, not a string`;
  if (o.nonEmpty && !v.length) return `${key} is empty`;
  return v.length > max ? `${key} is too long (${v.length} characters, at most ${max})` : undefined;
}

export function num(
  m: Readonly<Record<string, unknown>>,
  key: string,
  o: { optional?: boolean; integer?: boolean; min?: number } = {},
): string | undefined {
  const v = m[key];
  if (v === undefined && o.optional) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${key} is ${describeValue(v)}, not a number`;
  if (o.integer && !Number.isSafeInteger(v)) return `${key} is ${v}, not an integer`;
  return o.min !== undefined && v < o.min ? `${key} is ${v}, less than ${o.min}` : undefined;
}

export function bool(m: Readonly<Record<string, unknown>>, key: string): string | undefined {
  return typeof m[key] === 'boolean' ? undefined : `${key} is ${describeValue(m[key])}, not true or false`;
}

export function obj(m: Readonly<Record<string, unknown>>, key: string, o: { optional?: boolean } = {}) {
  const v = m[key];
  if (v === undefined && o.optional) return undefined;
  return v && typeof v === 'object' && !Array.isArray(v) ? undefined : `${key} is ${describeValue(v)}, not an object`;
}

export function list(
  m: Readonly<Record<string, unknown>>,
  key: string,
  o: { optional?: boolean; max?: number } = {},
): string | undefined {
  const v = m[key];
  if (v === undefined && o.optional) return undefined;
  if (!Array.isArray(v)) return `${key} is ${describeValue(v)}, not a list`;
  const max = o.max ?? MAX_LIST;
  return v.length > max ? `oversized: ${key} has ${v.length} items (at most ${max})` : undefined;
}

export function oneOf(m: Readonly<Record<string, unknown>>, key: string, values: readonly string[]) {
  return values.includes(m[key] as string)
    ? undefined
    : `${key} is ${describeValue(m[key])}, not one of ${values.join(', ')}`;
}

const none: Guard = () => undefined;

const COMMON_TO_HOST: { [T in keyof CommonToHost]: Guard } = {
  ready: none,
  report: (m) => obj(m, 'facts'),
  error: (m) => str(m, 'message', 10_000),
};

const checkResponse: Guard = (m) =>
  all(bool(m, 'ok'), m.ok === true ? str(m, 'result', MAX_TO_HOST_CHARS, { optional: true }) : str(m, 'error', 10_000));

// ------------------------------------------------------------------------------------------------ panels

/** One panel's side of the protocol at run time: its name, its checkers, and the envelope for what it posts. */
export class PanelDefinition<P extends PanelName> {
  constructor(
    readonly panel: P,
    private readonly guards: PanelGuards<P>,
  ) {}

  isRequest(type: string): boolean {
    return Object.hasOwn(this.guards.requests, type);
  }

  /** A message from this panel's page, or why it was rejected. Never throws, whatever `raw` is. */
  checkToHost(raw: unknown): Checked<PageMessage<P>> {
    return this.check<PageMessage<P>>(raw, 'from', (type) => {
      if (Object.hasOwn(COMMON_TO_HOST, type))
        return { guard: COMMON_TO_HOST[type as keyof CommonToHost], kind: type as MessageKind };
      const requests = this.guards.requests as Record<string, Guard>;
      if (Object.hasOwn(requests, type)) return { guard: requests[type], kind: 'request' };
      const toHost = this.guards.toHost as Record<string, Guard>;
      return Object.hasOwn(toHost, type) ? { guard: toHost[type], kind: 'notification' } : undefined;
    });
  }

  /** A message from the host to this panel's page, or why it was rejected. Never throws, whatever `raw` is. */
  checkToWebview(raw: unknown): Checked<HostMessage<P>> {
    return this.check<HostMessage<P>>(raw, 'to', (type) => {
      if (type === 'response') return { guard: checkResponse, kind: 'response' };
      const toWebview = this.guards.toWebview as Record<string, Guard>;
      return Object.hasOwn(toWebview, type) ? { guard: toWebview[type], kind: 'notification' } : undefined;
    });
  }

  /** The envelope around what this panel's host code posts. */
  sealToWebview(message: HostPost<P>): HostMessage<P> {
    return { v: PROTOCOL_VERSION, panel: this.panel, ...message } as HostMessage<P>;
  }

  /** The envelope around what this panel's page posts (`id` for a request). */
  sealToHost(message: { type: string; id?: number } & Record<string, unknown>): PageMessage<P> {
    return { v: PROTOCOL_VERSION, panel: this.panel, ...message } as unknown as PageMessage<P>;
  }

  private check<M>(
    raw: unknown,
    direction: 'from' | 'to',
    lookup: (type: string) => { guard: Guard; kind: MessageKind } | undefined,
  ): Checked<M> {
    const fail = (why: string): Checked<M> => ({
      ok: false,
      reason: `${this.panel} panel, message ${direction} the page: ${why}`,
    });
    try {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail(`not a message (${describeValue(raw)})`);
      const m = raw as Record<string, unknown>;
      if (m.v !== PROTOCOL_VERSION) return fail(`protocol version ${describeValue(m.v)}, expected ${PROTOCOL_VERSION}`);
      if (m.panel !== this.panel) return fail(`addressed to panel ${describeValue(m.panel)}`);
      if (typeof m.type !== 'string' || !m.type.length || m.type.length > MAX_TYPE_CHARS)
        return fail(`type is ${describeValue(m.type)}`);
      const known = lookup(m.type);
      if (!known) return fail(`unknown type ${describeValue(m.type)}`);
      if (direction === 'from') {
        // Messages from a page are small; one that is not may come from a page that went wrong, and is not read.
        const chars = JSON.stringify(m).length;
        if (chars > MAX_TO_HOST_CHARS)
          return fail(`oversized: ${m.type} is ${chars} characters of JSON (at most ${MAX_TO_HOST_CHARS})`);
      }
      const needsId = known.kind === 'request' || known.kind === 'response';
      if (needsId || m.id !== undefined) {
        const bad = num(m, 'id', { integer: true, min: 0 });
        if (bad) return fail(`${m.type}: ${bad}`);
      }
      const bad = known.guard(m);
      return bad ? fail(`${m.type}: ${bad}`) : { ok: true, message: m as M, kind: known.kind };
    } catch (err) {
      // A cycle, a getter that throws (a structured clone has neither, but the checker is not where to learn that).
      return fail(`unreadable (${err instanceof Error ? err.message : describeValue(err)})`);
    }
  }
}
