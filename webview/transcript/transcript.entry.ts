// Transcript panel. The host posts display entries (src/protocol/webviewMessages.ts); this page lays every entry out as
// fixed-height rows — a header row, then its text wrapped at a column count measured from the monospace font, tool
// calls/results and thinking as collapsed toggle rows — and renders only the rows in view, so the DOM stays small
// however long the transcript is. It follows the tail only while scrolled to the bottom, loads older pages when the
// top comes into view, searches the loaded text, and keeps its place across reloads with getState/setState.
//
// Every string from the host is untrusted: it is set with textContent / text nodes only, never parsed as HTML.
// URLs (http/https only) become spans, not anchors; a click asks the host to open them.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  TRANSCRIPT,
  type TranscriptEntryView,
  type TranscriptLiveView,
  type TranscriptPanelState,
  type TranscriptPendingView,
  type TranscriptStatusView,
} from '../../src/protocol/webviewMessages';
import { formatDuration } from '../../src/protocol/duration';
import { laneText, type SessionLaneView } from '../../src/protocol/laneView';
import { button, codicon, el, toolbar, virtualListShell } from '../shared/dom';
import { connectToHost, reportSoon } from '../shared/host';
import { TailFollow } from '../shared/tailFollow';
import { drawRows, listEndKeys, showJump } from '../shared/virtualList';

const host = connectToHost(TRANSCRIPT);

const OVERSCAN = 10;
/** Rows shown per text part before "… N more lines" (copy and export have the full text). */
const MAX_PART_ROWS = 400;
const SEARCH_DEBOUNCE_MS = 200;
const LOAD_OLDER_WHEN_ROWS_FROM_TOP = 30;

// ------------------------------------------------------------------------------------------------ state

let gateway = '';
let sessionKey = '';
interface Prepared {
  v: TranscriptEntryView;
  /** Sources by name: text, status, think, t0, t1, … (tabs expanded so columns line up). */
  src: Record<string, string>;
  count: number;
  countVer: number;
  specs?: RowSpec[];
  specVer: number;
  /** Bumped when the entry's own layout changes (a part expanded or collapsed), so its rendered rows are rebuilt. */
  rev: number;
  lower?: Record<string, string>;
}
let entries: Prepared[] = [];
let live: TranscriptLiveView = { pending: [], pendingNotListed: 0, notRun: [] };
let status: TranscriptStatusView | undefined;
const saved = (() => {
  const s = host.getState() as Partial<TranscriptPanelState> | undefined;
  return s && typeof s === 'object' ? s : {};
})();
const expanded = new Set<string>(
  Array.isArray(saved.expanded) ? saved.expanded.filter((x): x is string => typeof x === 'string').slice(-500) : [],
);
let pendingRestore: { key: string; offset: number } | undefined =
  saved.following === false && typeof saved.anchorKey === 'string'
    ? { key: saved.anchorKey, offset: Number(saved.anchorOffset) || 0 }
    : undefined;
let rowHeight = 20;
let cols = 80;
let layoutVer = 1;
let liveVer = 1;
let searchVer = 1;
let olderRequested = false;
let firstEntriesAt: number | undefined;
let firstPaintMs: number | undefined;
let firstPaintAt: number | undefined;
let toast: { text: string; until: number } | undefined;

document.body.classList.add('list-page', 'transcript-page');
const app = document.getElementById('app')!;
app.removeAttribute('aria-live'); // a streaming transcript would flood screen readers

const titleEl = el('span', 'title');
// The session's lane status as the Gateways view shows it (the one state the fleet watcher derives), age ticking.
const laneEl = el('span', 'lane');
laneEl.setAttribute('role', 'status');
let lane: SessionLaneView | null = null;
const searchField = document.createElement('vscode-textfield');
searchField.placeholder = 'Search the loaded transcript';
searchField.setAttribute('aria-label', 'Search the loaded transcript');
searchField.className = 'search';
const matchCount = el('span', 'count');
const prevButton = button('', 'arrow-up', 'Previous match (Shift+Enter)');
prevButton.iconOnly = true;
prevButton.secondary = true;
const nextButton = button('', 'arrow-down', 'Next match (Enter)');
nextButton.iconOnly = true;
nextButton.secondary = true;
const jumpButton = button('Jump to latest', 'arrow-down', 'Scroll to the newest message and follow the tail (End)');
const exportButton = button('Export', 'export', 'Export the loaded transcript as Markdown');
exportButton.secondary = true;
const toolbarEl = toolbar(titleEl, laneEl, searchField, matchCount, prevButton, nextButton, jumpButton, exportButton);
const list = virtualListShell('banners', 'log', 'Transcript');
const { status: banners, viewport, spacer, rowsEl } = list;
const tail = new TailFollow(viewport, () => rowHeight, schedule, saved.following !== false);
const toastEl = el('div', 'toast');
toastEl.hidden = true;
app.replaceChildren(toolbarEl, banners, viewport, toastEl);

// Fixed row height and monospace character width, measured from the stylesheet.
function measure(): boolean {
  const probe = el('div', 'row text');
  const span = el('span', 'txt', 'X'.repeat(100));
  probe.append(span);
  rowsEl.append(probe);
  const h = probe.getBoundingClientRect().height;
  const w = span.getBoundingClientRect().width / 100;
  const indent = parseFloat(getComputedStyle(span).marginLeft) || 0;
  probe.remove();
  if (h > 0) rowHeight = h;
  const width = viewport.clientWidth - indent - 24;
  const next = w > 0 && width > 0 ? Math.max(20, Math.floor(width / w)) : cols;
  if (next === cols) return false;
  cols = next;
  return true;
}
measure();

// ------------------------------------------------------------------------------------------------ layout

type RowSpec =
  | { k: 'head' }
  | { k: 'text'; src: string; start: number; end: number }
  | { k: 'toggle'; part: string; open: boolean }
  | { k: 'more'; src: string; hidden: number }
  | { k: 'clipped'; chars: number }
  | { k: 'sep' }
  | { k: 'gap' }
  | { k: 'top' }
  | { k: 'runHead' }
  | { k: 'queueHead' }
  | { k: 'queued'; index: number }
  | { k: 'notRunHead' }
  | { k: 'notRun'; index: number };

type Item = { t: 'top' } | { t: 'entry'; p: Prepared } | { t: 'notRun' } | { t: 'run' } | { t: 'queue' };

interface Sink {
  row(spec: RowSpec): void;
  wrap(src: string, text: string): void;
}

// East Asian wide and fullwidth characters take two columns of the monospace grid, and so (about) do characters
// outside the BMP (emoji): a row of `cols` code units holding them would run past the right edge and be cut.
function columnsOf(code: number): number {
  return (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6)
    ? 2
    : 1;
}

/**
 * How many rows the line text[pos, end) takes wrapped at `cols` columns; with `starts`, also where each of the first
 * `maxStarts` rows begins. Never splits a surrogate pair. Layout runs this for every line at every resize, so the
 * common case (no character from U+1100 up, or a line too short to overflow) is plain arithmetic, without a copy.
 */
function wrapLine(text: string, pos: number, end: number, starts?: number[], maxStarts = Infinity): number {
  let mayBeWide = false;
  if (end - pos > cols / 2)
    for (let i = pos; i < end; i++)
      if (text.charCodeAt(i) >= 0x1100) {
        mayBeWide = true;
        break;
      }
  if (!mayBeWide) {
    const rows = Math.max(1, Math.ceil((end - pos) / cols));
    if (starts) for (let r = 0; r < Math.min(rows, maxStarts); r++) starts.push(pos + r * cols);
    return rows;
  }
  let rows = 1,
    col = 0;
  starts?.push(pos);
  for (let i = pos; i < end;) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < end;
    const w = pair ? 2 : columnsOf(c);
    if (col + w > cols && col > 0) {
      if (starts && rows < maxStarts) starts.push(i);
      rows++;
      col = 0;
    }
    col += w;
    i += pair ? 2 : 1;
  }
  return rows;
}

/** Rows for every line of `text`, `cols` columns each, at most MAX_PART_ROWS. */
function wrapInto(
  sink: { row(spec: RowSpec): void },
  src: string,
  text: string,
  counting: { n: number } | undefined,
): void {
  let rows = 0,
    pos = 0;
  const len = text.length;
  const starts: number[] = [];
  const emit = (nl: number, count: number) => {
    for (let r = 0; r < count; r++) sink.row({ k: 'text', src, start: starts[r], end: starts[r + 1] ?? nl });
  };
  while (pos <= len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    starts.length = 0;
    const lineRows = wrapLine(text, pos, nl, counting ? undefined : starts, MAX_PART_ROWS - rows + 1);
    if (rows + lineRows > MAX_PART_ROWS) {
      // Count the rest of the lines for the "more" row.
      let hidden = 0;
      for (let p = pos; p <= len;) {
        let q = text.indexOf('\n', p);
        if (q < 0) q = len;
        hidden += wrapLine(text, p, q);
        p = q + 1;
      }
      const room = MAX_PART_ROWS - rows;
      if (counting) counting.n += room + 1;
      else {
        emit(nl, room);
        sink.row({ k: 'more', src, hidden: hidden - room });
      }
      return;
    }
    if (counting) counting.n += lineRows;
    else emit(nl, lineRows);
    rows += lineRows;
    pos = nl + 1;
  }
}

function layoutEntry(p: Prepared, sink: Sink): void {
  const v = p.v;
  if (v.kind === 'separator') {
    sink.row({ k: 'sep' });
    sink.row({ k: 'gap' });
    return;
  }
  sink.row({ k: 'head' });
  if (p.src.text) sink.wrap('text', p.src.text);
  if (p.src.status) sink.wrap('status', p.src.status);
  if (p.src.think !== undefined) {
    const open = expanded.has(`${v.key}#think`);
    sink.row({ k: 'toggle', part: 'think', open });
    if (open) sink.wrap('think', p.src.think);
  }
  v.tools?.forEach((_, i) => {
    const part = `t${i}`;
    const open = expanded.has(`${v.key}#${part}`);
    sink.row({ k: 'toggle', part, open });
    if (open) sink.wrap(part, p.src[part] ?? '');
  });
  if (v.clipped) sink.row({ k: 'clipped', chars: v.clipped });
  sink.row({ k: 'gap' });
}

function countRows(item: Item): number {
  switch (item.t) {
    case 'top':
      return 1;
    case 'entry': {
      const p = item.p;
      if (p.countVer === layoutVer) return p.count;
      const counter = { n: 0 };
      layoutEntry(p, {
        row: () => {
          counter.n++;
        },
        wrap: (src, text) => wrapInto({ row: () => {} }, src, text, counter),
      });
      p.count = counter.n;
      p.countVer = layoutVer;
      return p.count;
    }
    case 'run':
      return 1 + Math.max(1, runRows().length);
    case 'queue':
      return 1 + live.pending.length + (live.pendingNotListed ? 1 : 0);
    case 'notRun':
      return 1 + live.notRun.length;
  }
}

function specsOf(item: Item): RowSpec[] {
  switch (item.t) {
    case 'top':
      return [{ k: 'top' }];
    case 'entry': {
      const p = item.p;
      if (p.specs && p.specVer === layoutVer && p.countVer === layoutVer) return p.specs;
      const specs: RowSpec[] = [];
      const sink: Sink = { row: (s) => specs.push(s), wrap: (src, text) => wrapInto(sink, src, text, undefined) };
      layoutEntry(p, sink);
      p.specs = specs;
      p.specVer = layoutVer;
      p.count = specs.length;
      p.countVer = layoutVer;
      return specs;
    }
    case 'run': {
      const rows = runRows();
      return [{ k: 'runHead' }, ...(rows.length ? rows : [{ k: 'text', src: 'run', start: 0, end: 0 } as RowSpec])];
    }
    case 'queue':
      return [
        { k: 'queueHead' },
        ...live.pending.map((_, index) => ({ k: 'queued', index }) satisfies RowSpec),
        ...(live.pendingNotListed ? [{ k: 'more', src: 'queue', hidden: live.pendingNotListed } as RowSpec] : []),
      ];
    case 'notRun':
      return [{ k: 'notRunHead' }, ...live.notRun.map((_, index) => ({ k: 'notRun', index }) satisfies RowSpec)];
  }
}

let runRowsCache: { ver: number; layout: number; rows: RowSpec[] } | undefined;
function runRows(): RowSpec[] {
  if (runRowsCache && runRowsCache.ver === liveVer && runRowsCache.layout === layoutVer) return runRowsCache.rows;
  const rows: RowSpec[] = [];
  const text = live.inFlight?.text ?? '';
  if (text) {
    const sink: Sink = { row: (s) => rows.push(s), wrap: () => {} };
    wrapInto(sink, 'run', expandTabs(text), undefined);
  }
  runRowsCache = { ver: liveVer, layout: layoutVer, rows };
  return rows;
}

let items: Item[] = [{ t: 'top' }];
let starts: number[] = [0, 1];
let indexByKey = new Map<string, number>();
let layoutDirty = true;

const itemKey = (it: Item) => (it.t === 'entry' ? `e:${it.p.v.key}` : it.t);

function rebuildItems(): void {
  items = [{ t: 'top' }, ...entries.map((p) => ({ t: 'entry', p }) satisfies Item)];
  if (live.notRun.length) items.push({ t: 'notRun' });
  if (live.inFlight) items.push({ t: 'run' });
  if (live.pending.length || live.pendingNotListed) items.push({ t: 'queue' });
  indexByKey = new Map(items.map((it, i) => [itemKey(it), i]));
  layoutDirty = true;
}

function ensureLayout(): void {
  if (!layoutDirty) return;
  starts = new Array<number>(items.length + 1);
  starts[0] = 0;
  for (let i = 0; i < items.length; i++) starts[i + 1] = starts[i] + countRows(items[i]);
  layoutDirty = false;
}

const totalRows = () => starts[items.length];

function itemAtRow(r: number): number {
  let lo = 0,
    hi = items.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= r) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function expandTabs(s: string): string {
  return s.includes('\t') ? s.replace(/\t/g, '    ') : s;
}

function prepare(v: TranscriptEntryView): Prepared {
  const src: Record<string, string> = {};
  if (v.text) src.text = expandTabs(v.text);
  if (v.statusText) src.status = expandTabs(v.statusText);
  if (v.thinking) src.think = expandTabs(v.thinking);
  v.tools?.forEach((t, i) => {
    src[`t${i}`] = expandTabs(t.text);
  });
  return { v, src, count: 0, countVer: 0, specVer: 0, rev: 0 };
}

// ------------------------------------------------------------------------------------------------ rendering

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function clock(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function dayClock(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms),
    now = new Date();
  return d.toDateString() === now.toDateString()
    ? clock(ms)
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ms)}`;
}
const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

const ROLE_ICONS: Record<string, string> = {
  user: 'account',
  assistant: 'hubot',
  system: 'info',
  tool: 'tools',
  other: 'question',
};
function entryIcon(v: TranscriptEntryView): string {
  if (v.kind === 'notice') return v.status === 'aborted' ? 'debug-stop' : v.status === 'error' ? 'error' : 'info';
  if (v.status === 'error') return 'error';
  if (v.status === 'aborted') return 'debug-stop';
  return ROLE_ICONS[v.role] ?? 'question';
}

// URLs: http and https only; trailing punctuation is not part of the link.
// eslint-disable-next-line no-control-regex -- a link ends at a control character
const URL_RE = /\bhttps?:\/\/[^\s<>"'`\u0000-\u001f\u007f]+/gi;
function linksIn(line: string): Array<{ start: number; end: number; url: string }> {
  const out: Array<{ start: number; end: number; url: string }> = [];
  URL_RE.lastIndex = 0;
  for (let m = URL_RE.exec(line); m; m = URL_RE.exec(line)) {
    let url = m[0];
    while (/[).,;:!?\]}'"]$/.test(url)) url = url.slice(0, -1);
    if (url.length > 8) out.push({ start: m.index, end: m.index + url.length, url });
  }
  return out;
}

/** Appends `text[start, end)` to `parent` as text nodes, links and search highlights (all text, never markup). */
function appendSegments(
  parent: HTMLElement,
  text: string,
  start: number,
  end: number,
  entryKey: string | undefined,
  src: string,
): void {
  // Link ranges come from the whole line, so a URL wrapped onto two rows is a link on both.
  let lineStart = text.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = text.indexOf('\n', start);
  if (lineEnd < 0) lineEnd = text.length;
  if (start === end) {
    parent.append(document.createTextNode('\u200b'));
    return;
  }
  const line = lineEnd - lineStart <= 20_000 ? text.slice(lineStart, lineEnd) : '';
  const links = line
    ? linksIn(line)
        .map((l) => ({ start: l.start + lineStart, end: l.end + lineStart, url: l.url }))
        .filter((l) => l.end > start && l.start < end)
    : [];
  lineStart = 0;
  const hits = entryKey ? highlightsFor(entryKey, src, start, end) : [];
  // Boundaries where the styling changes.
  const cuts = new Set<number>([start, end]);
  for (const l of links) {
    cuts.add(Math.max(start, l.start));
    cuts.add(Math.min(end, l.end));
  }
  for (const h of hits) {
    cuts.add(Math.max(start, h.start));
    cuts.add(Math.min(end, h.end));
  }
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i++) {
    const a = points[i],
      b = points[i + 1];
    if (a >= b) continue;
    const piece = text.slice(a, b);
    const link = links.find((l) => l.start <= a && l.end >= b);
    const hit = hits.find((h) => h.start <= a && h.end >= b);
    let node: Node = document.createTextNode(piece);
    if (hit) {
      const mark = el('mark', hit.current ? 'hit current' : 'hit');
      mark.append(node);
      node = mark;
    }
    if (link) {
      const span = el('span', 'link');
      span.setAttribute('role', 'link');
      span.tabIndex = 0;
      span.dataset.url = link.url;
      span.title = `Open ${link.url.length > 200 ? `${link.url.slice(0, 200)}…` : link.url} (click; the host asks before leaving VS Code)`;
      span.append(node);
      node = span;
    }
    parent.append(node);
  }
}

function fillRow(row: HTMLElement, r: number): void {
  const i = itemAtRow(r);
  const item = items[i];
  const li = r - starts[i];
  const spec = specsOf(item)[li];
  const key = itemKey(item);
  const id = `${key}|${li}|${layoutVer}|${searchVer}|${item.t === 'run' || item.t === 'queue' || item.t === 'notRun' || item.t === 'top' ? liveVer : item.p.rev}`;
  if (row.dataset.id === id) return;
  row.dataset.id = id;
  row.replaceChildren();
  row.removeAttribute('title');
  delete row.dataset.key;
  delete row.dataset.part;
  if (!spec) {
    row.className = 'row gap';
    return;
  }
  const p = item.t === 'entry' ? item.p : undefined;
  const v = p?.v;
  if (v) row.dataset.key = v.key;
  switch (spec.k) {
    case 'head': {
      row.className = `row head role-${v!.role} kind-${v!.kind}${v!.status ? ` status-${v!.status}` : ''}`;
      row.append(codicon(entryIcon(v!)), el('span', 'label', v!.label));
      const time = el('span', 'time', dayClock(v!.time));
      time.title = iso(v!.time);
      row.append(time);
      if (v!.model) row.append(el('span', 'meta', v!.model));
      if (v!.usage) row.append(el('span', 'meta usage', v!.usage));
      if (v!.status) row.append(el('span', `badge badge-${v!.status}`, v!.status));
      if (v!.truncatedByGateway) row.append(el('span', 'badge', 'shortened by the gateway'));
      row.append(el('span', 'fill'));
      if (v!.kind !== 'notice') {
        const copy = codicon('copy', 'Copy this message');
        copy.classList.add('action');
        copy.setAttribute('role', 'button');
        copy.tabIndex = 0;
        copy.dataset.action = 'copy';
        row.append(copy);
      }
      return;
    }
    case 'text': {
      const text = spec.src === 'run' ? expandTabs(live.inFlight?.text ?? '') : (p?.src[spec.src] ?? '');
      row.className = `row text src-${/^t\d+$/.test(spec.src) ? 'tool' : spec.src}${v?.kind === 'notice' ? ' notice' : ''}`;
      const span = el('span', 'txt');
      if (spec.src === 'run' && !text) {
        span.classList.add('muted');
        span.textContent = '(no output yet)';
      } else appendSegments(span, text, spec.start, spec.end, v?.key, spec.src);
      row.append(span);
      return;
    }
    case 'toggle': {
      const open = spec.open;
      row.className = `row toggle${open ? ' open' : ''}`;
      row.dataset.part = spec.part;
      row.setAttribute('role', 'button');
      row.setAttribute('aria-expanded', String(open));
      row.append(codicon(open ? 'chevron-down' : 'chevron-right'));
      if (spec.part === 'think') {
        row.append(
          codicon('lightbulb'),
          el('span', 'label', 'Thinking'),
          el('span', 'summary', preview(p!.src.think ?? '')),
        );
      } else {
        const t = v!.tools![Number(spec.part.slice(1))];
        row.append(
          codicon(t.kind === 'call' ? 'tools' : 'output'),
          el('span', 'label', `${t.kind === 'call' ? 'Tool call' : 'Tool result'}${t.name ? ` ${t.name}` : ''}`),
        );
        if (t.isError) row.append(el('span', 'badge badge-error', 'error'));
        if (t.clipped) row.append(el('span', 'badge', `${t.clipped.toLocaleString()} chars not loaded`));
        row.append(el('span', 'summary', preview(p!.src[spec.part] ?? '')));
      }
      row.title = open ? 'Collapse' : 'Expand';
      return;
    }
    case 'more':
      row.className = 'row more';
      row.append(
        codicon('ellipsis'),
        el(
          'span',
          'txt',
          spec.src === 'queue'
            ? `${spec.hidden.toLocaleString()} more queued input(s) not listed by the gateway`
            : `${spec.hidden.toLocaleString()} more line(s) not shown here — Copy or Export has the full text`,
        ),
      );
      return;
    case 'clipped':
      row.className = 'row more';
      row.append(
        codicon('fold'),
        el(
          'span',
          'txt',
          `${spec.chars.toLocaleString()} more character(s) not loaded into this view (Copy and Export include what Lanewatch holds)`,
        ),
      );
      return;
    case 'sep': {
      row.className = `row sep${v!.label.startsWith('Session reset') ? ' reset' : ''}`;
      const label = v!.label.startsWith('Session reset')
        ? `${v!.label}${v!.time ? ` · ${dayClock(v!.time)}` : ''}`
        : `${v!.label}: ${firstLine(v!.text)}`;
      row.append(
        el('span', 'line'),
        codicon(v!.label.startsWith('Session reset') ? 'debug-restart' : 'arrow-swap'),
        el('span', 'label', label),
        el('span', 'line'),
      );
      row.title = iso(v!.time);
      return;
    }
    case 'gap':
      row.className = 'row gap';
      return;
    case 'top': {
      row.className = 'row top';
      const s = status;
      const text =
        !s || !s.loaded
          ? s?.loading
            ? 'Loading the transcript…'
            : ''
          : s.loading === 'older'
            ? 'Loading older messages…'
            : s.hasOlder
              ? 'Older messages: scroll up to load them'
              : s.olderStop === 'version'
                ? `Older messages cannot be loaded: this openclaw version returns only the newest ${(1000).toLocaleString()} messages`
                : s.olderStop === 'cap'
                  ? `Older messages are not loaded: this panel keeps at most ${s.maxMessages.toLocaleString()} entries${s.dropped ? ` (${s.dropped.toLocaleString()} dropped)` : ''}`
                  : entries.length
                    ? 'Start of the transcript'
                    : s.session === 'missing'
                      ? 'No messages: the gateway has no session with this key (yet)'
                      : 'No messages yet';
      row.append(
        codicon(
          s?.loading === 'older' || s?.loading === 'initial' ? 'loading' : s?.hasOlder ? 'fold-up' : 'debug-start',
        ),
        el('span', 'txt', text),
      );
      if (s?.loading) row.firstElementChild!.classList.add('codicon-modifier-spin');
      return;
    }
    case 'runHead': {
      const run = live.inFlight!;
      row.className = 'row head run';
      const parts = [`run ${run.runId}`];
      // The run the lane status names is this run: its start as the Gateways view has it, so both read the same age.
      const startedAt = lane?.runId === run.runId && lane.startedAt !== undefined ? lane.startedAt : run.startedAt;
      if (startedAt) parts.push(`started ${formatDuration(Date.now() - startedAt)} ago`);
      if (run.phase) parts.push(run.phase);
      if (run.lastEventAt && Date.now() - run.lastEventAt > 60_000)
        parts.push(`no event for ${formatDuration(Date.now() - run.lastEventAt)}`);
      const spin = codicon('loading');
      spin.classList.add('codicon-modifier-spin');
      row.append(spin, el('span', 'label', 'In flight'), el('span', 'meta', parts.join(' · ')));
      row.title =
        run.source === 'history'
          ? 'Reported by chat.history (inFlightRun)'
          : run.source === 'watcher'
            ? "Seen by the Gateways view (run events on its connection); this gateway version's history does not report runs"
            : "Seen in this connection's run events";
      return;
    }
    case 'queueHead':
      row.className = 'row head queue';
      row.append(
        codicon('clock'),
        el('span', 'label', `Queued behind it (${(live.pending.length + live.pendingNotListed).toLocaleString()})`),
      );
      return;
    case 'queued':
      return inputRow(row, live.pending[spec.index], 'row queued', 'watch');
    case 'notRunHead':
      row.className = 'row head notrun';
      row.append(
        codicon('circle-slash'),
        el(
          'span',
          'label',
          `Not run (${live.notRun.length.toLocaleString()}): the gateway ${notRunVerb()} these inputs`,
        ),
      );
      return;
    case 'notRun':
      return inputRow(row, live.notRun[spec.index], 'row queued notrun', 'circle-slash');
  }
}

/** One pending input: waiting (queued) or one the gateway will not run (cancelled, interrupted). */
function inputRow(row: HTMLElement, q: TranscriptPendingView, className: string, icon: string): void {
  row.className = className;
  row.append(
    codicon(icon),
    el('span', 'time', clock(q.acceptedAt)),
    el('span', 'badge', q.state),
    el('span', 'summary', firstLine(q.text) || '(empty)'),
  );
  row.title = q.runId ? `run ${q.runId}` : '';
}

/** "cancelled", "interrupted" or "cancelled or interrupted", from the states the gateway gave. */
function notRunVerb(): string {
  const states = [...new Set(live.notRun.map((q) => q.state))];
  return states.length === 1 ? states[0] : 'cancelled or interrupted';
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  const line = nl < 0 ? s : s.slice(0, nl);
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** A one-line preview of a collapsed part (JSON arguments start with a lone "{"). */
function preview(s: string): string {
  const flat = s.slice(0, 400).replace(/\s+/g, ' ').trim();
  return s.length > 400 || flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

let frame = 0;
function schedule(): void {
  if (!frame) frame = requestAnimationFrame(render);
}

function render(): void {
  frame = 0;
  ensureLayout();
  const total = totalRows();
  if (pendingRestore && entries.length && status?.loaded) {
    spacer.style.height = `${total * rowHeight}px`; // tall enough to scroll to the anchor
    const at = indexByKey.get(`e:${pendingRestore.key}`);
    if (at !== undefined) tail.scrollTo(starts[at] * rowHeight + pendingRestore.offset);
    else tail.following = true;
    pendingRestore = undefined;
  }
  const first = drawRows(list, tail, total, rowHeight, OVERSCAN, fillRow);
  maybeLoadOlder(first);
  showJump(jumpButton, tail);
  if (firstEntriesAt !== undefined && firstPaintMs === undefined && entries.length && rowsEl.childElementCount) {
    const t0 = firstEntriesAt;
    requestAnimationFrame(() => {
      firstPaintAt = performance.now();
      firstPaintMs = firstPaintAt - t0;
      scheduleReport();
    });
  }
  scheduleReport();
  scheduleSave();
}

function jumpToLatest(): void {
  tail.jumpToLatest();
  schedule();
}

function maybeLoadOlder(firstRow: number): void {
  if (
    !status?.hasOlder ||
    status.loading ||
    olderRequested ||
    firstRow > LOAD_OLDER_WHEN_ROWS_FROM_TOP ||
    (tail.following && totalRows() * rowHeight > viewport.clientHeight)
  )
    return;
  olderRequested = true;
  void host.request('transcript/loadOlder', {}).finally(() => {
    olderRequested = false;
    schedule();
  });
}

// ------------------------------------------------------------------------------------------------ anchoring

function captureAnchor(): { key: string; offset: number } | undefined {
  ensureLayout();
  if (!items.length) return undefined;
  const r = Math.floor(viewport.scrollTop / rowHeight);
  const i = Math.min(itemAtRow(r), items.length - 1);
  return { key: itemKey(items[i]), offset: viewport.scrollTop - starts[i] * rowHeight };
}

function restoreAnchor(a: { key: string; offset: number } | undefined): void {
  if (!a || tail.following) return;
  ensureLayout();
  const i = indexByKey.get(a.key);
  if (i === undefined) return;
  spacer.style.height = `${totalRows() * rowHeight}px`;
  tail.scrollTo(starts[i] * rowHeight + a.offset);
}

/** Applies a change to the item list while keeping the rows the reader looks at in place. */
function mutate(fn: () => void): void {
  const anchor = tail.following ? undefined : captureAnchor();
  fn();
  rebuildItems();
  restoreAnchor(anchor);
  schedule();
}

// ------------------------------------------------------------------------------------------------ search

let query = typeof saved.search === 'string' ? saved.search.slice(0, 500) : '';
interface Match {
  key: string;
  src: string;
  pos: number;
}
let matches: Match[] = [];
let matchIndex = -1;
let matchesByEntry = new Map<string, Map<string, number[]>>();

function lowerOf(p: Prepared, src: string): string {
  p.lower ??= {};
  return (p.lower[src] ??= (p.src[src] ?? '').toLowerCase());
}

function runSearch(keepCurrent = false): void {
  const q = query.toLowerCase();
  const current = matches[matchIndex];
  matches = [];
  matchesByEntry = new Map();
  if (q) {
    for (const p of entries) {
      for (const src of Object.keys(p.src)) {
        const hay = lowerOf(p, src);
        let at = hay.indexOf(q);
        if (at < 0) continue;
        const list: number[] = [];
        while (at >= 0 && list.length < 10_000) {
          list.push(at);
          matches.push({ key: p.v.key, src, pos: at });
          at = hay.indexOf(q, at + Math.max(1, q.length));
        }
        let byEntry = matchesByEntry.get(p.v.key);
        if (!byEntry) {
          byEntry = new Map();
          matchesByEntry.set(p.v.key, byEntry);
        }
        byEntry.set(src, list);
      }
      if (matches.length > 100_000) break;
    }
  }
  matchIndex =
    keepCurrent && current
      ? matches.findIndex((m) => m.key === current.key && m.src === current.src && m.pos === current.pos)
      : -1;
  searchVer++;
  updateMatchCount();
  schedule();
}

function highlightsFor(
  key: string,
  src: string,
  start: number,
  end: number,
): Array<{ start: number; end: number; current: boolean }> {
  const list = matchesByEntry.get(key)?.get(src);
  if (!list?.length) return [];
  const len = query.length;
  const cur = matches[matchIndex];
  const out: Array<{ start: number; end: number; current: boolean }> = [];
  for (const pos of list) {
    if (pos >= end) break;
    if (pos + len <= start) continue;
    out.push({ start: pos, end: pos + len, current: !!cur && cur.key === key && cur.src === src && cur.pos === pos });
  }
  return out;
}

function updateMatchCount(): void {
  matchCount.textContent = !query
    ? ''
    : matches.length
      ? `${matchIndex >= 0 ? matchIndex + 1 : '–'} / ${matches.length.toLocaleString()}`
      : 'no match';
  prevButton.disabled = nextButton.disabled = matches.length === 0;
}

function gotoMatch(delta: number): void {
  if (!matches.length) return;
  matchIndex =
    matchIndex < 0 ? (delta > 0 ? 0 : matches.length - 1) : (matchIndex + delta + matches.length) % matches.length;
  const m = matches[matchIndex];
  const at = indexByKey.get(`e:${m.key}`);
  if (at === undefined) return;
  const p = (items[at] as { t: 'entry'; p: Prepared }).p;
  if ((m.src === 'think' || /^t\d+$/.test(m.src)) && !expanded.has(`${m.key}#${m.src}`)) {
    expanded.add(`${m.key}#${m.src}`);
    p.countVer = 0;
    p.specVer = 0;
    p.rev++;
    layoutDirty = true;
  }
  ensureLayout();
  const specs = specsOf(items[at]);
  const li = Math.max(
    0,
    specs.findIndex(
      (s) => s.k === 'text' && s.src === m.src && s.start <= m.pos && m.pos < Math.max(s.end, s.start + 1),
    ),
  );
  tail.stop();
  searchVer++;
  updateMatchCount();
  spacer.style.height = `${totalRows() * rowHeight}px`;
  tail.scrollTo(Math.max(0, (starts[at] + li) * rowHeight - viewport.clientHeight / 2));
  schedule();
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
searchField.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    query = searchField.value.slice(0, 500);
    runSearch();
    scheduleSave();
  }, SEARCH_DEBOUNCE_MS);
});
searchField.addEventListener('keydown', (e: KeyboardEvent) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    clearTimeout(searchTimer);
    const q = searchField.value.slice(0, 500);
    if (q !== query) {
      query = q;
      runSearch();
    }
    gotoMatch(e.shiftKey ? -1 : 1);
  } else if (e.key === 'Escape') {
    searchField.value = '';
    query = '';
    runSearch();
    viewport.focus();
  }
});
prevButton.addEventListener('click', () => gotoMatch(-1));
nextButton.addEventListener('click', () => gotoMatch(1));
if (query) searchField.value = query;

function showToast(text: string): void {
  toast = { text, until: Date.now() + 2500 };
  toastEl.textContent = text;
  toastEl.hidden = false;
  setTimeout(() => {
    if (toast && Date.now() >= toast.until) {
      toastEl.hidden = true;
      toast = undefined;
    }
  }, 2600);
}

jumpButton.addEventListener('click', jumpToLatest);
exportButton.addEventListener('click', () => {
  void host
    .request('transcript/export', {})
    .then((r) =>
      showToast(r.ok ? (r.result ? `Exported to ${r.result}` : 'Export cancelled') : `Export failed: ${r.error}`),
    );
});

function activate(target: HTMLElement): void {
  const link = target.closest<HTMLElement>('.link');
  if (link?.dataset.url) {
    void host.request('transcript/openLink', { url: link.dataset.url }).then((r) => {
      if (!r.ok) showToast(`Not opened: ${r.error}`);
    });
    return;
  }
  const action = target.closest<HTMLElement>('[data-action]');
  const row = target.closest<HTMLElement>('.row');
  const key = row?.dataset.key;
  if (action?.dataset.action === 'copy' && key) {
    void host
      .request('transcript/copy', { key })
      .then((r) => showToast(r.ok ? 'Message copied' : `Copy failed: ${r.error}`));
    return;
  }
  const part = row?.dataset.part;
  if (row?.classList.contains('toggle') && key && part) {
    const id = `${key}#${part}`;
    if (expanded.has(id)) expanded.delete(id);
    else expanded.add(id);
    const at = indexByKey.get(`e:${key}`);
    if (at !== undefined) {
      const p = (items[at] as { t: 'entry'; p: Prepared }).p;
      p.countVer = 0;
      p.specVer = 0;
      p.rev++;
    }
    const anchor = tail.following ? undefined : captureAnchor();
    layoutDirty = true;
    restoreAnchor(anchor);
    schedule();
  }
}
rowsEl.addEventListener('click', (e) => activate(e.target as HTMLElement));
rowsEl.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    const t = e.target as HTMLElement;
    if (t.closest('.link,[data-action],.toggle')) {
      e.preventDefault();
      activate(t);
    }
  }
});

listEndKeys(viewport, tail, jumpToLatest);
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
    e.preventDefault();
    searchField.focus();
  }
});
new ResizeObserver(() => {
  const anchor = tail.following ? undefined : captureAnchor();
  if (measure()) {
    layoutVer++;
    layoutDirty = true;
    restoreAnchor(anchor);
  }
  schedule();
}).observe(viewport);
function renderLane(): void {
  if (!lane) {
    laneEl.replaceChildren();
    laneEl.title = '';
    return;
  }
  const icon = codicon(lane.icon.replace(/~spin$/, ''));
  if (lane.icon.endsWith('~spin')) icon.classList.add('codicon-modifier-spin');
  laneEl.replaceChildren(icon, el('span', 'txt', laneText(lane, Date.now())));
  laneEl.className = `lane lane-${lane.state}`;
  laneEl.title = 'Lane status, as the Gateways view shows it';
}

// The in-flight row and the lane status show elapsed time.
setInterval(() => {
  if (lane?.aged) renderLane();
  if (live.inFlight) {
    liveVer++;
    runRowsCache = undefined;
    schedule();
  }
}, 1000);

// ------------------------------------------------------------------------------------------------ banners, state, reports

function banner(
  kind: 'info' | 'warning' | 'error',
  icon: string,
  text: string,
  action?: { label: string; run: () => void },
): HTMLElement {
  const n = el('div', `banner ${kind}`);
  n.append(codicon(icon), el('span', 'txt', text));
  if (action) {
    const b = button(action.label, '', action.label);
    b.secondary = true;
    b.addEventListener('click', action.run);
    n.append(b);
  }
  return n;
}

function updateBanners(): void {
  const list: HTMLElement[] = [];
  const s = status;
  if (s) {
    if (s.connection === 'waiting')
      list.push(banner('warning', 'plug', s.connectionText ?? `Waiting for gateway ${gateway}.`));
    else if (s.connection !== 'connected')
      list.push(
        banner(
          'warning',
          'debug-disconnect',
          `Gateway ${s.connection}${s.connectionText ? `: ${s.connectionText}` : ''}. Showing what was loaded; Lanewatch catches up when the connection is back.`,
        ),
      );
    if (s.session === 'deleted')
      list.push(banner('error', 'trash', s.sessionText ?? 'The session was deleted on the gateway.'));
    if (s.runUnverified) list.push(banner('warning', 'question', s.runUnverified));
    if (s.loading === 'catch-up') list.push(banner('info', 'sync', 'Catching up with the gateway…'));
    for (const n of s.notices.slice(-3)) list.push(banner('info', 'history', n));
    if (s.error)
      list.push(
        banner('error', 'error', s.error, { label: 'Retry', run: () => void host.request('transcript/retry', {}) }),
      );
  }
  banners.replaceChildren(...list);
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleSave(): void {
  if (saveTimer || !gateway) return;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    const a = tail.following ? undefined : captureAnchor();
    const state: TranscriptPanelState = {
      gateway,
      sessionKey,
      following: tail.following,
      search: query || undefined,
      expanded: [...expanded].slice(-200),
    };
    if (a && a.key.startsWith('e:')) {
      state.anchorKey = a.key.slice(2);
      state.anchorOffset = a.offset;
    }
    host.setState(state);
  }, 300);
}

const scheduleReport = reportSoon(host.report, () => {
  const rows = [...rowsEl.children] as HTMLElement[];
  return {
    gateway,
    sessionKey,
    entries: entries.length,
    messages: entries.filter((p) => p.v.kind === 'message').length,
    separators: entries.filter((p) => p.v.kind === 'separator').length,
    notices: entries.filter((p) => p.v.kind === 'notice').length,
    rowsInDom: rows.length,
    domNodes: document.getElementsByTagName('*').length,
    totalRows: totalRows(),
    cols,
    rowHeight,
    inFlightShown: !!live.inFlight && items.some((it) => it.t === 'run'),
    inFlightRunId: live.inFlight?.runId,
    laneText: laneEl.textContent ?? '',
    lane,
    inFlightText: (live.inFlight?.text ?? '').slice(0, 300),
    pendingShown: live.pending.length,
    notRunShown: live.notRun.length,
    following: tail.following,
    atBottom: tail.atBottom(),
    jumpEnabled: !jumpButton.disabled,
    hasOlder: status?.hasOlder,
    olderStop: status?.olderStop,
    loading: status?.loading,
    session: status?.session,
    connection: status?.connection,
    banners: [...banners.children].map((b) => b.textContent ?? ''),
    search: query,
    searchMatches: matches.length,
    expanded: expanded.size,
    firstPaintMs,
    firstPaintAt,
    firstEntriesAt,
    renderedText: rows
      .map((r) => r.textContent ?? '')
      .join('\n')
      .slice(0, 4000),
    elementsUpgraded: ['vscode-button', 'vscode-textfield'].every((t) => !!customElements.get(t)),
  };
});

// ------------------------------------------------------------------------------------------------ host messages

host.onMessage({
  'transcript/init': (msg) => {
    gateway = msg.gateway;
    sessionKey = msg.sessionKey;
    titleEl.textContent = msg.title;
    titleEl.title = `${sessionKey} on ${gateway}`;
    scheduleSave();
  },
  'transcript/entries': (msg) => {
    if (firstEntriesAt === undefined && msg.entries.length) firstEntriesAt = performance.now();
    const fresh = msg.entries.map(prepare);
    if (msg.op === 'append' && !tail.following) tail.unseen += fresh.filter((p) => p.v.kind === 'message').length;
    mutate(() => {
      if (msg.op === 'replace') entries = fresh;
      else if (msg.op === 'prepend') entries = fresh.concat(entries);
      else entries = entries.concat(fresh);
    });
    if (query) runSearch(true);
  },
  'transcript/dropped': (msg) => {
    mutate(() => {
      entries = entries.slice(Math.min(entries.length, Math.max(0, msg.count)));
    });
    if (query) runSearch(true);
  },
  'transcript/live': (msg) => {
    liveVer++;
    runRowsCache = undefined;
    mutate(() => {
      live = {
        inFlight: msg.live.inFlight,
        pending: Array.isArray(msg.live.pending) ? msg.live.pending : [],
        pendingNotListed: Number(msg.live.pendingNotListed) || 0,
        notRun: Array.isArray(msg.live.notRun) ? msg.live.notRun : [],
      };
    });
  },
  'transcript/lane': (msg) => {
    lane = msg.lane;
    renderLane();
    scheduleReport();
  },
  'transcript/status': (msg) => {
    status = msg.status;
    liveVer++;
    updateBanners();
    schedule();
  },
});
updateMatchCount();
host.ready();
