// TranscriptModel → the Transcript webview's display data (src/protocol/webviewMessages.ts). No `vscode` import: the unit
// tests and bench/transcript.mjs use it too.
import type { PendingInput, TranscriptModel } from './transcript';
import { roleLabel, usageText } from './transcript';
import type { TranscriptEntry } from './transcriptEntry';
import type {
  TranscriptEntryView,
  TranscriptLiveView,
  TranscriptPendingView,
  TranscriptStatusView,
} from '../protocol/webviewMessages';

/** Longest text posted per part; the rest stays in the host (copy and export use it). */
export const VIEW_TEXT_CHARS = 64 * 1024;
/** Entries per postMessage when a large snapshot is sent (newest chunk first). */
export const SNAPSHOT_CHUNK = 1_000;

function cut(text: string, already = 0): { text: string; clipped?: number } {
  if (text.length <= VIEW_TEXT_CHARS) return already ? { text, clipped: already } : { text };
  let end = VIEW_TEXT_CHARS;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return { text: text.slice(0, end), clipped: text.length - end + already };
}

export function entryView(e: TranscriptEntry): TranscriptEntryView {
  const body = cut(e.text, e.clipped);
  const v: TranscriptEntryView = { key: e.key, kind: e.kind, role: e.role, label: roleLabel(e), text: body.text };
  if (e.timestamp !== undefined) v.time = e.timestamp;
  if (body.clipped) v.clipped = body.clipped;
  if (e.truncatedByGateway) v.truncatedByGateway = true;
  if (e.thinking) v.thinking = cut(e.thinking).text;
  if (e.tools?.length)
    v.tools = e.tools.map((t) => {
      const x = cut(t.text, t.clipped);
      return {
        kind: t.kind,
        name: t.name,
        callId: t.callId,
        text: x.text,
        ...(t.isError ? { isError: true } : {}),
        ...(x.clipped ? { clipped: x.clipped } : {}),
      };
    });
  if (e.status) v.status = e.status;
  if (e.statusText) v.statusText = cut(e.statusText).text;
  const usage = usageText(e.usage);
  if (usage) v.usage = usage;
  if (e.model) v.model = e.model;
  return v;
}

const pendingView = (q: PendingInput): TranscriptPendingView => ({
  id: q.id,
  acceptedAt: q.acceptedAt,
  state: q.state,
  text: cut(q.text).text,
  runId: q.runId,
});

export function liveView(model: TranscriptModel): TranscriptLiveView {
  const run = model.inFlight();
  return {
    ...(run
      ? {
          inFlight: {
            runId: run.runId,
            startedAt: run.startedAt,
            phase: run.phase,
            text: cut(run.text).text,
            source: run.source,
            lastEventAt: run.lastEventAt,
          },
        }
      : {}),
    pending: model.pending().map(pendingView),
    pendingNotListed: model.pendingNotListed(),
    notRun: model.notRun().map(pendingView),
  };
}

export function statusView(model: TranscriptModel): TranscriptStatusView {
  const s = model.status();
  return {
    connection: s.connection,
    connectionText: s.connectionText,
    session: s.session,
    sessionText: s.sessionText,
    loading: s.loading,
    loaded: s.loaded,
    hasOlder: s.hasOlder,
    olderStop: s.olderStop,
    dropped: s.dropped,
    maxMessages: s.maxMessages,
    notices: s.notices,
    error: s.error,
    runUnverified: s.runUnverified,
  };
}

/** A full snapshot as posted to a webview: the newest chunk replaces, older chunks are prepended, newest first. */
export function snapshotChunks(
  entries: readonly TranscriptEntry[],
  chunk = SNAPSHOT_CHUNK,
): Array<{ op: 'replace' | 'prepend'; entries: TranscriptEntryView[] }> {
  if (!entries.length) return [{ op: 'replace', entries: [] }];
  const out: Array<{ op: 'replace' | 'prepend'; entries: TranscriptEntryView[] }> = [];
  for (let end = entries.length; end > 0; end -= chunk) {
    out.push({
      op: out.length ? 'prepend' : 'replace',
      entries: entries.slice(Math.max(0, end - chunk), end).map(entryView),
    });
  }
  return out;
}
