// What the Log Tail panel posts to its webview, shaped without `vscode`: the row view of one parsed line, the
// rows a batch of raw lines adds to the ring, and the `logTail/lines` message. LogTailPanel (src/vscode/panels/logTailPanel.ts)
// uses exactly these; the webview test and bench/tail.mjs drive them too, so they measure what the panel posts.
import type { LogItemView, LogRowView, LogTailHostToWebview, LogTailLinesMessage } from '../protocol/webviewMessages';
import { parseLogLine, type ParsedLogLine } from './logLine';
import type { LogRing } from './logRing';

/** Longest message text posted per row; the full line (≤ 8,000 chars) is fetched when the row is opened. */
export const MAX_ROW_TEXT = 2_000;

export function logRowView(seq: number, line: ParsedLogLine): LogRowView {
  const clipped = line.message.length > MAX_ROW_TEXT;
  return {
    kind: 'line',
    seq,
    time: line.time,
    level: line.level,
    subsystem: line.subsystem,
    message: clipped ? line.message.slice(0, MAX_ROW_TEXT) : line.message,
    parsed: line.parsed,
    diagnostic: line.diagnostic,
    sessionKey: line.sessionKey,
    ...(clipped ? { clipped } : {}),
  };
}

/**
 * Parses raw lines, pushes them into the ring and appends to `items` the rows of those still kept that match
 * (a batch larger than the ring keeps only its newest lines).
 */
export function ingestLogLines(
  ring: LogRing<ParsedLogLine>,
  rawLines: readonly string[],
  matches: (line: ParsedLogLine) => boolean,
  items: LogItemView[] = [],
): LogItemView[] {
  const firstSeq = ring.nextSeq;
  const parsed = rawLines.map((raw) => parseLogLine(raw));
  ring.push(parsed);
  parsed.forEach((line, i) => {
    const seq = firstSeq + i;
    if (seq >= ring.firstSeq && matches(line)) items.push(logRowView(seq, line));
  });
  return items;
}

/** The `logTail/lines` message for these items, with the ring's counts. */
export function logLinesMessage(
  ring: LogRing<unknown>,
  items: LogItemView[],
  replace = false,
  done = true,
): LogTailLinesMessage {
  return {
    type: 'logTail/lines',
    replace,
    done,
    items,
    firstSeq: ring.firstSeq,
    dropped: ring.dropped,
    kept: ring.size,
    capacity: ring.capacity,
  };
}

/** The `logTail/lineDetail` answer to the webview's `logTail/showLine`: the full kept line, or not found. */
export function logLineDetail(
  ring: LogRing<ParsedLogLine>,
  seq: number,
): Extract<LogTailHostToWebview, { type: 'logTail/lineDetail' }> {
  const line = ring.at(seq);
  return line
    ? {
        type: 'logTail/lineDetail',
        seq,
        found: true,
        time: line.time,
        level: line.level,
        subsystem: line.subsystem,
        message: line.message,
        fields: Object.entries(line.fields),
      }
    : { type: 'logTail/lineDetail', seq, found: false };
}
