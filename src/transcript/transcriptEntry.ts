// One transcript message as Lanewatch displays it: the gateway's message shapes (chat.history messages,
// session.message payloads, pending inputs) normalized into a display entry with role, text, tool calls and
// results, thinking, error/abort status, timestamp and token usage.
//
// Every string here came from the gateway and is untrusted. Normalization makes it *displayable* text, never
// markup: ANSI/terminal escape sequences are removed, other control characters are shown as visible symbols
// (bidirectional overrides as named markers: see visibleText),
// lone UTF-16 surrogates (invalid UTF-8 on the wire becomes U+FFFD in the socket decoder; a JSON "\ud800" does
// not) become U+FFFD, and each text is clipped at a length bound. Rendering it as text is the webview's job.
//
// Shapes (2026.9.6, test/fixtures/captured): user `{role:"user", content:"hello", timestamp, __openclaw{id, seq}}`,
// assistant `{role:"assistant", content:[{type:"text"|"thinking"|"toolCall", ...}], usage{input, output,
// totalTokens, cost{total}}, stopReason:"stop"|"error"|"aborted", model, __openclaw{runId, id, seq}}`, tool results
// `{role:"toolResult", toolCallId, toolName, content, isError}`, the reset marker `{role:"system",
// content:[{type:"text", text:"Reset"}], __openclaw{kind:"reset", id, seq:1}}`.
import type { TranscriptToolView } from '../protocol/webviewMessages';
import { revealBidiControls } from '../report/visibleText';

export type TranscriptRole = 'user' | 'assistant' | 'system' | 'tool' | 'other';

/** A tool call or result in an entry: the same shape the webview gets (src/protocol/webviewMessages.ts). */
export type TranscriptToolPart = TranscriptToolView;

export interface TranscriptUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  total?: number;
  costUsd?: number;
}

export interface TranscriptEntry {
  /** Stable identity: the message id, or a synthetic key for notices and messages without one. */
  key: string;
  /** message: a transcript message. separator: a /new reset or a new session id. notice: something Lanewatch saw (run aborted, gap). */
  kind: 'message' | 'separator' | 'notice';
  role: TranscriptRole;
  /** The raw role when it is not one of the known ones (shown as-is, as text). */
  rawRole?: string;
  text: string;
  /** Characters cut from `text` by Lanewatch's length bound. */
  clipped?: number;
  /** The gateway itself shortened the text (chat.history's maxChars, or its oversized-message placeholder). */
  truncatedByGateway?: boolean;
  thinking?: string;
  tools?: TranscriptToolPart[];
  status?: 'error' | 'aborted';
  statusText?: string;
  timestamp?: number;
  usage?: TranscriptUsage;
  model?: string;
  provider?: string;
  messageId?: string;
  seq?: number;
  runId?: string;
  /** __openclaw.kind (reset, compaction, …) when the gateway marked the message. */
  openclawKind?: string;
  sessionId?: string;
}

export const DEFAULT_MAX_TEXT_CHARS = 256 * 1024;

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST, e.g. OSC 8 hyperlinks), DCS/SOS/PM/APC strings, two-byte escapes,
// and the 8-bit C1 CSI/OSC forms.
const ANSI =
  // eslint-disable-next-line no-control-regex -- matching escape sequences is the point
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*(?:\x07|\x9c)?/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Untrusted text → displayable plain text (see the file comment). Newlines and tabs stay. */
export function cleanText(input: string): string {
  let s = input;
  if (LONE_SURROGATE.test(s)) s = s.replace(LONE_SURROGATE, '\ufffd');
  LONE_SURROGATE.lastIndex = 0;
  if (s.includes('\x1b') || /[\x9b\x9d]/.test(s)) s = s.replace(ANSI, '');
  s = s.replace(/\r\n?/g, '\n');
  s = revealBidiControls(s);
  // C0 controls become their visible "control picture" (␀ ␁ … ␛), DEL and C1 controls become U+FFFD.
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? String.fromCharCode(0x2400 + code) : '\ufffd';
  });
}

/** Clips to at most `max` characters without splitting a surrogate pair. */
export function clip(text: string, max: number): { text: string; clipped?: number } {
  if (text.length <= max) return { text };
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return { text: text.slice(0, end), clipped: text.length - end };
}

function displayText(raw: string, max: number): { text: string; clipped?: number } {
  // Clean at most twice the bound (cleaning only shortens or keeps lengths), then clip; count against the original.
  const out = clip(cleanText(raw.length > max * 2 ? raw.slice(0, max * 2) : raw), max);
  return out.text.length < raw.length && out.clipped !== undefined
    ? { text: out.text, clipped: raw.length - out.text.length }
    : out;
}

function jsonText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  try {
    return JSON.stringify(v, null, 2) ?? '';
  } catch {
    return String(v);
  }
}

const TEXT_TYPES = new Set(['text', 'input_text', 'output_text']);
const THINKING_TYPES = new Set(['thinking', 'reasoning', 'redacted_thinking']);
const isToolCallType = (t: string) => ['toolcall', 'tool_call', 'tooluse', 'tool_use'].includes(t.toLowerCase());
const isToolResultType = (t: string) => ['toolresult', 'tool_result'].includes(t.toLowerCase());
const toolUseId = (b: Record<string, unknown>) =>
  str(b.toolCallId) ?? str(b.tool_call_id) ?? str(b.toolUseId) ?? str(b.tool_use_id) ?? str(b.id);

/** A tool's output as a transcript part: from a tool_result block, or a whole tool-role message. */
function toolResult(
  from: Record<string, unknown>,
  name: string | undefined,
  raw: string,
  max: number,
): TranscriptToolPart {
  const out = displayText(raw, max);
  return {
    kind: 'result',
    name,
    callId: toolUseId(from),
    text: out.text,
    isError: from.isError === true || from.is_error === true,
    ...(out.clipped ? { clipped: out.clipped } : {}),
  };
}

function roleOf(raw: string | undefined): TranscriptRole {
  const r = (raw ?? '').toLowerCase();
  if (r === 'user') return 'user';
  if (r === 'assistant') return 'assistant';
  if (r === 'system') return 'system';
  if (r === 'toolresult' || r === 'tool_result' || r === 'tool' || r === 'function') return 'tool';
  return 'other';
}

function usageOf(v: unknown): TranscriptUsage | undefined {
  const u = rec(v);
  const out: TranscriptUsage = {
    input: num(u.input) ?? num(u.inputTokens) ?? num(u.input_tokens) ?? num(u.prompt_tokens),
    output: num(u.output) ?? num(u.outputTokens) ?? num(u.output_tokens) ?? num(u.completion_tokens),
    cacheRead: num(u.cacheRead),
    cacheWrite: num(u.cacheWrite),
    total: num(u.totalTokens) ?? num(u.total_tokens) ?? num(u.total),
    costUsd: num(rec(u.cost).total) ?? num(u.cost),
  };
  for (const k of Object.keys(out) as Array<keyof TranscriptUsage>) if (out[k] === undefined) delete out[k];
  return Object.keys(out).length ? out : undefined;
}

/** The message id and seq the gateway puts in `__openclaw` (and which chat.history's messageId param takes). */
export function messageIdentity(message: unknown): { id?: string; seq?: number; kind?: string; runId?: string } {
  const meta = rec(rec(message).__openclaw);
  const id = str(meta.id);
  const seq = num(meta.seq);
  return {
    id: id || undefined,
    seq: seq !== undefined && seq > 0 ? seq : undefined,
    kind: str(meta.kind),
    runId: str(meta.runId),
  };
}

const GATEWAY_TRUNCATION = /\n\.\.\.\(truncated\)\.\.\.$|^\[chat\.history (omitted|unavailable)[^\]]*\]$/;

/**
 * Normalizes one gateway message. `key` is used when the message carries no id (every 2026.9.6 message does).
 * Never throws: anything unreadable becomes an `other` entry saying so.
 */
export function normalizeMessage(
  message: unknown,
  options: { key?: string; messageId?: string; messageSeq?: number; maxTextChars?: number } = {},
): TranscriptEntry {
  const max = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
  const m = rec(message);
  const ident = messageIdentity(m);
  const messageId = options.messageId ?? ident.id;
  const seq = options.messageSeq ?? ident.seq;
  const rawRole = str(m.role);
  const role = roleOf(rawRole);
  const texts: string[] = [];
  const thinking: string[] = [];
  const tools: TranscriptToolPart[] = [];
  const content = m.content ?? m.text;
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (typeof part === 'string') {
        texts.push(part);
        continue;
      }
      const b = rec(part);
      const type = str(b.type) ?? '';
      if (TEXT_TYPES.has(type)) {
        if (typeof b.text === 'string') texts.push(b.text);
      } else if (THINKING_TYPES.has(type)) {
        const t = str(b.thinking) ?? str(b.text) ?? (type === 'redacted_thinking' ? '(redacted)' : '');
        if (t) thinking.push(t);
      } else if (isToolCallType(type)) {
        const args = displayText(jsonText(b.arguments ?? b.input ?? b.args ?? b.params), max);
        tools.push({
          kind: 'call',
          name: cleanText(str(b.name) ?? str(b.toolName) ?? 'tool').slice(0, 200),
          callId: toolUseId(b),
          text: args.text,
          ...(args.clipped ? { clipped: args.clipped } : {}),
        });
      } else if (isToolResultType(type)) {
        tools.push(toolResult(b, str(b.name) ?? str(b.toolName), jsonText(b.content ?? b.output ?? b.text), max));
      } else if (type === 'image' || type === 'input_image')
        texts.push(`[image${str(b.mimeType) ? ` ${String(b.mimeType)}` : ''}]`);
      else if (type) texts.push(`[${type} content]`);
    }
  } else if (content !== undefined && content !== null) texts.push(jsonText(content));

  // A tool-result message: its own text is the tool's output.
  if (role === 'tool' && tools.length === 0) {
    tools.push(toolResult(m, str(m.toolName) ?? str(m.name), texts.join('\n'), max));
    texts.length = 0;
  }

  const joined = texts.join('\n');
  const body = displayText(joined, max);
  const stopReason = str(m.stopReason);
  const errorMessage = str(m.errorMessage);
  const status: TranscriptEntry['status'] =
    stopReason === 'error' || (errorMessage && role === 'assistant')
      ? 'error'
      : stopReason === 'aborted'
        ? 'aborted'
        : undefined;
  const meta = rec(m.__openclaw);
  const entry: TranscriptEntry = {
    key: messageId ?? options.key ?? (seq !== undefined ? `seq:${seq}` : `anon:${Math.random().toString(36).slice(2)}`),
    kind: ident.kind === 'reset' ? 'separator' : 'message',
    role,
    text: body.text,
    timestamp: num(m.timestamp) ?? num(meta.recordTimestampMs),
  };
  if (role === 'other') entry.rawRole = cleanText(rawRole ?? 'unknown').slice(0, 60);
  if (body.clipped) entry.clipped = body.clipped;
  if (GATEWAY_TRUNCATION.test(joined) || meta.truncated === true) entry.truncatedByGateway = true;
  if (thinking.length) entry.thinking = displayText(thinking.join('\n\n'), max).text;
  if (tools.length) entry.tools = tools;
  if (status) {
    entry.status = status;
    if (errorMessage) entry.statusText = displayText(errorMessage, 4_000).text;
  }
  const usage = usageOf(m.usage);
  if (usage) entry.usage = usage;
  if (str(m.model)) entry.model = cleanText(String(m.model)).slice(0, 200);
  if (str(m.provider)) entry.provider = cleanText(String(m.provider)).slice(0, 200);
  if (messageId) entry.messageId = messageId;
  if (seq !== undefined) entry.seq = seq;
  if (ident.runId) entry.runId = ident.runId;
  if (ident.kind) entry.openclawKind = cleanText(ident.kind).slice(0, 60);
  return entry;
}

/** The text of a pending (queued) input, for display. */
export function pendingInputText(message: unknown, max = 4_000): string {
  const e = normalizeMessage(message, { key: 'pending', maxTextChars: max });
  return e.text || (e.tools?.map((t) => t.text).join('\n') ?? '');
}
