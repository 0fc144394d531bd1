// Gateway Log Tail panel. The host filters and posts only matching rows (each with a stable seq); this page
// renders them as a virtual list of fixed-height rows (only the rows in view exist in the DOM), follows the
// tail only while scrolled to the bottom, and reports DOM facts back for tests. Every piece of log text is
// untrusted and set with textContent / text nodes, never parsed as HTML.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { messageSegments } from '../../src/protocol/logSegments';
import { button, codicon, el, select, textfield, toolbar, virtualListShell } from '../shared/dom';
import { connectToHost, reportSoon } from '../shared/host';
import { TailFollow } from '../shared/tailFollow';
import { drawRows, listEndKeys, showJump } from '../shared/virtualList';
import {
  LOG_TAIL,
  type LogItemView,
  type LogMarkerView,
  type LogSourceView,
  type LogTailFilterView,
  type LogTailLevel,
  type LogTailLineDetail,
  type LogTailLinesMessage,
  type LogTailPersistedState,
  type LogTailPreset,
} from '../../src/protocol/webviewMessages';

const host = connectToHost(LOG_TAIL);
const post = host.post;

const OVERSCAN = 8;
/** Text rendered per row: the host's own bound (src/logs/logRows.ts), kept here too so an unclipped row cannot stall the page. */
const MAX_ROW_TEXT = 2_000;
/** key=value fields highlighted per row (a real stalled-session line has 11); the rest stay plain text, so a line made of fields cannot flood the DOM. */
const MAX_ROW_FIELDS = 12;
const TEXT_DEBOUNCE_MS = 250;

// ------------------------------------------------------------------------------------------------ state

let gateway = '';
let capacity = 0;
let filter: LogTailFilterView = { preset: 'all', minLevel: 'TRACE', text: '', session: '' };
let items: LogItemView[] = [];
let lineCount = 0;
let firstSeq = 0;
let dropped = 0;
let kept = 0;
let source: LogSourceView | undefined;
let selectedSeq: number | undefined;
let rowHeight = 20;
/** While a chunked snapshot arrives, the place to return to once it is complete. */
let pendingAnchor: { key: number; offset: number } | undefined;
let snapshotOpen = false;

document.body.classList.add('list-page', 'log-tail-page');
const app = document.getElementById('app')!;
app.removeAttribute('aria-live'); // the shell's default; a live log would flood screen readers

/** The menu's presets, in its order: every preset of the protocol, each with its label. */
const PRESET_LABELS: Record<LogTailPreset, string> = {
  all: 'All lines',
  'lane-waits': 'Lane waits',
  stuck: 'Stuck & stalled',
  errors: 'Errors',
  session: 'This session',
};
/** The lowest levels the menu offers, in its order (FATAL lines show under "Errors only"). */
const MIN_LEVEL_LABELS: Record<Exclude<LogTailLevel, 'FATAL' | 'UNKNOWN'>, string> = {
  TRACE: 'All levels',
  DEBUG: 'Debug and above',
  INFO: 'Info and above',
  WARN: 'Warnings and errors',
  ERROR: 'Errors only',
};
const presetSelect = select('Preset', Object.entries(PRESET_LABELS));
const sessionField = textfield('Session key or id', 'session key or id');
sessionField.className = 'session';
const levelSelect = select('Level', Object.entries(MIN_LEVEL_LABELS));
const textField = textfield('Filter text', 'filter: words or "a phrase"');
textField.className = 'text';
const countEl = el('span', 'count');
const jumpButton = button('Jump to latest', 'arrow-down', 'Scroll to the newest line and follow the tail (End)');
const clearButton = button('Clear', 'clear-all', 'Forget the lines read so far');
clearButton.secondary = true;
const toolbarEl = toolbar(presetSelect, sessionField, levelSelect, textField, countEl, jumpButton, clearButton);
const list = virtualListShell('notices', 'list', 'Gateway log lines');
const { status: notices, viewport, spacer, rowsEl } = list;
const tail = new TailFollow(viewport, () => rowHeight, schedule);
const detail = el('section', 'detail');
detail.hidden = true;
app.replaceChildren(toolbarEl, notices, viewport, detail);

// Rows are fixed-height; measure the height the stylesheet gives them instead of hard-coding it twice.
{
  const probe = el('div', 'row line', 'X');
  rowsEl.append(probe);
  const h = probe.getBoundingClientRect().height;
  if (h > 0) rowHeight = h;
  probe.remove();
}

// ------------------------------------------------------------------------------------------------ list model

type DisplayItem = LogItemView | { kind: 'dropped'; count: number };

const droppedRows = () => (dropped > 0 ? 1 : 0);
const displayCount = () => items.length + droppedRows();
const displayAt = (i: number): DisplayItem | undefined =>
  dropped > 0 ? (i === 0 ? { kind: 'dropped', count: dropped } : items[i - 1]) : items[i];
/** Sort key of an item: lines by seq, a marker just before the line it precedes. */
const keyOf = (it: DisplayItem) =>
  it.kind === 'line' ? it.seq : it.kind === 'marker' ? it.beforeSeq - 0.5 : -Infinity;

function captureAnchor(): { key: number; offset: number } | undefined {
  if (tail.following) return undefined;
  const idx = Math.floor(viewport.scrollTop / rowHeight);
  const it = displayAt(Math.min(idx, displayCount() - 1));
  return it ? { key: keyOf(it), offset: viewport.scrollTop - idx * rowHeight } : undefined;
}

/** Scrolls so the first item at or after the anchor is where the anchored item was. */
function restoreAnchor(a: { key: number; offset: number }): void {
  let lo = 0,
    hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(items[mid]) < a.key) lo = mid + 1;
    else hi = mid;
  }
  spacer.style.height = `${displayCount() * rowHeight}px`;
  viewport.scrollTop = Math.max(0, (lo + droppedRows()) * rowHeight + a.offset);
}

function applyLines(m: Omit<LogTailLinesMessage, 'type'>): void {
  // Not following: keep the lines the user is reading in place while rows are added, dropped or re-filtered.
  let anchor: { key: number; offset: number } | undefined;
  if (m.replace) {
    pendingAnchor = captureAnchor();
    items = [];
    snapshotOpen = true;
  } else if (!snapshotOpen) anchor = captureAnchor();
  capacity = m.capacity;
  kept = m.kept;
  dropped = m.dropped;
  firstSeq = m.firstSeq;
  // Drop what the host's ring dropped, so this list stays bounded by the same capacity.
  let cut = 0;
  while (cut < items.length && keyOf(items[cut]) < firstSeq) cut++;
  if (cut) items.splice(0, cut);
  for (const it of m.items) {
    if (keyOf(it) < firstSeq) continue;
    items.push(it);
    if (!snapshotOpen && !tail.following && it.kind === 'line') tail.unseen++;
  }
  lineCount = 0;
  for (const it of items) if (it.kind === 'line') lineCount++;
  if (m.done && snapshotOpen) {
    snapshotOpen = false;
    anchor = pendingAnchor;
    pendingAnchor = undefined;
  }
  if (anchor && !tail.following) restoreAnchor(anchor);
  updateChrome();
  schedule();
}

// ------------------------------------------------------------------------------------------------ rendering

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function clock(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

const MARKER_ICONS: Record<LogMarkerView['marker'] | 'dropped', string> = {
  reset: 'debug-restart',
  skipped: 'fold',
  truncated: 'ellipsis',
  source: 'plug',
  cleared: 'clear-all',
  dropped: 'history',
};

function idOf(it: DisplayItem): string {
  return it.kind === 'line'
    ? `l${it.seq}`
    : it.kind === 'marker'
      ? `m${it.beforeSeq}:${it.at}:${it.marker}`
      : `d${it.count}`;
}

function fillRow(row: HTMLElement, it: DisplayItem): void {
  const id = idOf(it);
  row.classList.toggle('selected', it.kind === 'line' && it.seq === selectedSeq);
  if (row.dataset.id === id) return;
  row.dataset.id = id;
  row.replaceChildren();
  if (it.kind !== 'line') {
    row.className = `row marker marker-${it.kind === 'marker' ? it.marker : 'dropped'}`;
    delete row.dataset.seq;
    const text =
      it.kind === 'marker'
        ? `${clock(it.at)}  ${it.text}`
        : `${it.count.toLocaleString()} older lines dropped (this panel keeps the newest ${capacity.toLocaleString()})`;
    const msg = el('span', 'msg', text);
    row.title = text;
    row.append(codicon(MARKER_ICONS[it.kind === 'marker' ? it.marker : 'dropped']), msg);
    return;
  }
  row.className = `row line${it.diagnostic ? ` diag-${it.diagnostic}` : ''}`;
  row.dataset.seq = String(it.seq);
  row.title = '';
  const time = el('span', 't', clock(it.time));
  time.title = iso(it.time);
  const levelText = it.parsed ? (it.level === 'UNKNOWN' ? '—' : it.level) : 'raw';
  const level = el('span', `lv lv-${it.parsed ? it.level.toLowerCase() : 'raw'}`, levelText);
  const sub = el('span', 'sub', it.subsystem ?? '');
  sub.title = it.subsystem ?? '';
  const msg = el('span', 'msg');
  const cut = it.message.length > MAX_ROW_TEXT;
  let fields = 0,
    plain = '';
  for (const seg of messageSegments(cut ? it.message.slice(0, MAX_ROW_TEXT) : it.message)) {
    if (!('key' in seg) || fields >= MAX_ROW_FIELDS) {
      plain += seg.text;
      continue;
    }
    if (plain) {
      msg.append(document.createTextNode(plain));
      plain = '';
    }
    fields++;
    const f = el('span', seg.operator ? 'f op' : 'f');
    f.append(el('span', 'k', seg.key), document.createTextNode('='), el('span', 'v', seg.value));
    msg.append(f);
  }
  if (plain) msg.append(document.createTextNode(plain));
  if (it.clipped || cut) msg.append(el('span', 'clip', ' … (open the line for the rest)'));
  msg.title = it.message.length > 600 ? `${it.message.slice(0, 600)}…` : it.message;
  row.append(time, level, sub, msg);
  if (it.diagnostic && it.sessionKey) row.append(sessionLink(it.sessionKey));
}

/** A lane-wait or stuck line names a session: one click shows that session in the Gateways tree. */
function sessionLink(sessionKey: string): HTMLElement {
  const a = el('a', 'session-link');
  a.href = '#';
  a.dataset.sessionKey = sessionKey;
  a.title = `Show ${sessionKey} in the Gateways view`;
  a.setAttribute('aria-label', a.title);
  a.append(codicon('go-to-file'));
  return a;
}

let frame = 0;
function schedule(): void {
  if (!frame) frame = requestAnimationFrame(render);
}

function listItem(): HTMLElement {
  const r = el('div', 'row');
  r.setAttribute('role', 'listitem');
  return r;
}

function render(): void {
  frame = 0;
  drawRows(list, tail, displayCount(), rowHeight, OVERSCAN, (row, i) => fillRow(row, displayAt(i)!), listItem);
  showJump(jumpButton, tail);
  scheduleReport();
}

function jumpToLatest(): void {
  tail.jumpToLatest();
  schedule();
}

function notice(kind: 'info' | 'warning' | 'error', icon: string, text: string): HTMLElement {
  const n = el('div', `notice ${kind}`);
  n.append(codicon(icon), el('span', undefined, text));
  return n;
}

function updateChrome(): void {
  const list: HTMLElement[] = [];
  if (source?.kind === 'file')
    list.push(
      notice(
        'warning',
        'file',
        `Gateway RPC is down (${source.reason ?? 'no answer'}): tailing the local file ${source.path ?? ''} directly. Lanewatch masks common credentials; the gateway's own log redaction does not apply.`,
      ),
    );
  if (source?.kind === 'unavailable')
    list.push(
      notice(
        'error',
        'error',
        `No log source. ${source.reason ?? ''}${source.tried?.length ? ` Looked for: ${source.tried.join(', ')}.` : ''}`,
      ),
    );
  if (dropped > 0)
    list.push(
      notice(
        'info',
        'history',
        `${dropped.toLocaleString()} older lines dropped: this panel keeps the newest ${capacity.toLocaleString()} lines.`,
      ),
    );
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.kind === 'marker' && (it.marker === 'reset' || it.marker === 'skipped')) {
      list.push(
        notice(
          'info',
          MARKER_ICONS[it.marker],
          it.marker === 'reset'
            ? `Log file was reset at ${clock(it.at)} (rotated, truncated or replaced).`
            : `At ${clock(it.at)}: ${it.text}.`,
        ),
      );
      break;
    }
  }
  if (filter.preset === 'session' && !filter.session.trim())
    list.push(notice('info', 'info', 'Enter a session key or session id to see its lines.'));
  else if (kept > 0 && lineCount === 0 && !snapshotOpen)
    list.push(notice('info', 'filter', `No line matches this filter (${kept.toLocaleString()} lines read).`));
  notices.replaceChildren(...list);
  countEl.textContent = `${lineCount.toLocaleString()} shown · ${kept.toLocaleString()} read`;
  scheduleReport();
}

function showDetail(d: LogTailLineDetail): void {
  if (d.seq !== selectedSeq) return;
  detail.replaceChildren();
  const head = el('div', 'detail-head');
  const close = button('', 'close', 'Close (Escape)');
  close.iconOnly = true;
  close.secondary = true;
  close.addEventListener('click', closeDetail);
  if (!d.found) {
    head.append(el('span', undefined, `Line #${d.seq} is no longer kept.`), close);
    detail.append(head);
  } else {
    head.append(
      el('strong', undefined, `#${d.seq}`),
      el('span', 'muted', iso(d.time)),
      el('span', `lv lv-${(d.level ?? 'unknown').toLowerCase()}`, d.level ?? ''),
      el('span', 'sub', d.subsystem ?? ''),
      close,
    );
    const pre = el('pre', 'full', d.message ?? '');
    detail.append(head, pre);
    if (d.fields?.length) {
      const dl = el('dl', 'facts');
      for (const [k, v] of d.fields) dl.append(el('dt', undefined, k), el('dd', undefined, v));
      detail.append(dl);
    }
  }
  detail.hidden = false;
  schedule();
}

function closeDetail(): void {
  detail.hidden = true;
  selectedSeq = undefined;
  schedule();
  viewport.focus();
}

// ------------------------------------------------------------------------------------------------ reports

const scheduleReport = reportSoon(host.report, () => {
  const rows = [...rowsEl.children] as HTMLElement[];
  const seqs = rows
    .map((r) => r.dataset.seq)
    .filter((s): s is string => s !== undefined)
    .map(Number);
  return {
    gateway,
    rowsInDom: rows.length,
    displayRows: displayCount(),
    lines: lineCount,
    markers: items.length - lineCount,
    kept,
    dropped,
    capacity,
    firstSeq,
    following: tail.following,
    atBottom: tail.atBottom(),
    jumpEnabled: !jumpButton.disabled,
    unseen: tail.unseen,
    source: source?.kind,
    sourceLabel: source?.label,
    preset: filter.preset,
    minLevel: filter.minLevel,
    text: filter.text,
    session: filter.session,
    notices: [...notices.children].map((n) => n.textContent ?? ''),
    highlightedFields: rowsEl.querySelectorAll('.f.op').length,
    firstRenderedSeq: seqs.length ? Math.min(...seqs) : undefined,
    lastRenderedSeq: seqs.length ? Math.max(...seqs) : undefined,
    lastRowText: (rows.at(-1)?.textContent ?? '').slice(0, 300),
    rowHeight,
    viewportHeight: viewport.clientHeight,
    elementsUpgraded: ['vscode-single-select', 'vscode-textfield', 'vscode-button', 'vscode-option'].every(
      (t) => !!customElements.get(t),
    ),
  };
});

// ------------------------------------------------------------------------------------------------ controls

let applyingHostFilter = false;
function applyFilterToControls(f: LogTailFilterView): void {
  applyingHostFilter = true;
  filter = { ...f };
  presetSelect.value = f.preset;
  levelSelect.value = f.minLevel === 'UNKNOWN' ? 'TRACE' : f.minLevel;
  if (textField.value !== f.text) textField.value = f.text;
  if (sessionField.value !== f.session) sessionField.value = f.session;
  sessionField.hidden = f.preset !== 'session';
  applyingHostFilter = false;
  updateChrome();
}

function sendFilter(): void {
  if (applyingHostFilter) return;
  post({ type: 'logTail/filter', filter });
  persist();
  updateChrome();
}

let textTimer: ReturnType<typeof setTimeout> | undefined;
function debounced(fn: () => void): void {
  clearTimeout(textTimer);
  textTimer = setTimeout(fn, TEXT_DEBOUNCE_MS);
}

presetSelect.addEventListener('change', () => {
  if (applyingHostFilter) return;
  filter = { ...filter, preset: presetSelect.value as LogTailPreset };
  sessionField.hidden = filter.preset !== 'session';
  sendFilter();
  if (filter.preset === 'session' && !filter.session) sessionField.focus();
});
levelSelect.addEventListener('change', () => {
  if (!applyingHostFilter) {
    filter = { ...filter, minLevel: levelSelect.value as LogTailLevel };
    sendFilter();
  }
});
textField.addEventListener('input', () => {
  if (!applyingHostFilter)
    debounced(() => {
      filter = { ...filter, text: textField.value };
      sendFilter();
    });
});
sessionField.addEventListener('input', () => {
  if (!applyingHostFilter)
    debounced(() => {
      filter = { ...filter, session: sessionField.value };
      sendFilter();
    });
});
jumpButton.addEventListener('click', jumpToLatest);
clearButton.addEventListener('click', () => post({ type: 'logTail/clear' }));

new ResizeObserver(() => schedule()).observe(viewport);

rowsEl.addEventListener('click', (e) => {
  const link = (e.target as HTMLElement).closest<HTMLElement>('.session-link');
  if (link?.dataset.sessionKey) {
    e.preventDefault();
    e.stopPropagation();
    post({ type: 'logTail/revealSession', sessionKey: link.dataset.sessionKey });
    return;
  }
  const row = (e.target as HTMLElement).closest<HTMLElement>('.row.line');
  const seq = row?.dataset.seq;
  if (seq === undefined) return;
  selectedSeq = Number(seq);
  post({ type: 'logTail/showLine', seq: selectedSeq });
  schedule();
});

listEndKeys(viewport, tail, jumpToLatest);
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !detail.hidden) closeDetail();
});

// ------------------------------------------------------------------------------------------------ host messages

host.onMessage({
  'logTail/init': (msg) => {
    gateway = msg.gateway;
    capacity = msg.capacity;
    applyFilterToControls(msg.filter);
    persist();
  },
  'logTail/filter': (msg) => {
    applyFilterToControls(msg.filter);
    persist();
  },
  'logTail/source': (msg) => {
    source = msg.source;
    updateChrome();
  },
  'logTail/lines': (msg) => applyLines(msg),
  'logTail/lineDetail': (msg) => showDetail(msg),
});
/** Enough to reopen this panel after a window reload: the gateway and the filter, nothing from the log. */
function persist(): void {
  if (gateway) host.setState({ gateway, filter } satisfies LogTailPersistedState);
}

host.ready();
