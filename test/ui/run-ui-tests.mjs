// UI smoke tests of the PACKAGED extension in real VS Code (code-server) driven by headless chromium.
//
//   node test/ui/run-ui-tests.mjs --vsix lanewatch.vsix --shots test-results/ui --workspace DIR \
//        [--settings JSON] [--expect-row REGEX]... [--expect-status-bar REGEX] [--hover-row TEXT] [--timeout-ms 180000]
//
// Installs the VSIX into a fresh profile, opens the workbench, opens the Lanewatch view container and checks
// the Gateways tree. Prints one line per check, `ok - <check>` / `not ok - <check>`, then `N passed, M failed`
// alone on the last line; exit code 0 only if every check passed. Screenshots go to --shots
// (1-fleet.png, 2-fleet-connected.png, …, 9-hostile-label-tooltip.png, 10-hostile-transcript.png, failure.png on any failure).
// With --open-logs: 5a-lane-waits.png, the "Lane waits" preset showing the gateway's own lane-wait lines within 60 s of the
// page loading. With --no-progress-row KEY: the official client confirms KEY's run is still active when the tree says
// "no progress"; then KEY's tooltip in a dark and a light theme (14-tooltip-dark.png, 14-tooltip-light.png), its status
// readable on hover at the side bar's default width (15-hover-default-width.png), and the rows beside it told apart in a
// 220 px side bar (16-narrow-sidebar.png).
// --expect-row: a regex the text of one tree row must match: its label, description etc. joined by single
// spaces ("demo connected"; its aria-label is appended after " | " when different), e.g. 'demo.*\bconnected'
// or '/^demo connected/i' (`/re/flags` form); repeatable. A check that fails makes the
// remaining checks `not ok ... # skipped` (they build on each other) unless the step says `independent: true`.
// --age-ticks TEXT: the row containing TEXT shows a run's age; screenshots 2a/2b are taken 5 s apart, the age grown by ≥ 4 s, every
// second shown on the way (the tree's clock, not a gateway event, moves it).
// --open-transcript KEY [--expect-transcript REGEX]: opens KEY's transcript from its row; its text must match REGEX.
// --recover-row KEY [--recover-expect REGEX] [--recover-toast REGEX] [--recover-within-ms N]: recovers KEY from its context
//   menu; the notification must match --recover-toast and, within N ms of it, the row must match REGEX
// (default "idle"; protocol 3 rows keep "running", so there the status is "stale").
// --hostile-transcript KEY: the session KEY holds the hostile corpus (test/support/hostileText.mjs HOSTILE_SEED, one
// answered chat.send each) and carries HOSTILE_LABEL as its label; the tree row and its tooltip must show the label
// as text, and the transcript must show every string as text with nothing run or created from it.
// --scheduler GATEWAY (default: the seeded gateway, when it has cron.add and tasks.list, i.e. 2026.9.x; '' for none): what
// scripts/fixtures/seed-demo.mjs puts there, in the tree: demo-parent "waiting on" its hung subagent, opened to show it
// (20-parent-with-subagent.png); "Cron jobs" opened, the hung job overdue first (21-cron-jobs.png); "Tasks" opened, the
// subagent's result owed to demo-parent (22-tasks.png); "Disable Cron Job…" on the hung job, confirmed
// (23-cron-disable-confirm.png), the row then disabled (24-cron-disabled.png). Each judged with the official client too.
// --pairing-row NAME --pairing-cli SCRIPT: NAME is a gateway on another host (scripts/test.mjs: a peer network namespace,
// wss:// pinned) that has not approved Lanewatch's device; `node SCRIPT <args>` runs the real openclaw CLI on that host
// (its config holds the token; no argument does). NAME's row reads "waiting for pairing approval · retry in Ns" and,
// opened, its fix row "Approve pairing: openclaw devices approve <id>" with the id of the one request of Lanewatch's
// client that `openclaw devices list --json` there holds (25-pairing-row.png); its tooltip says the same command
// (26-pairing-tooltip.png); `openclaw devices approve <id>` there, and with nothing pressed in VS Code the row reads
// connected by the retry it announced, the device listed paired read-only and the status bar one gateway less offline
// (27-pairing-approved.png).
// To add a check: push a { name, run(ctx) } onto the array returned by steps().
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startCodeServer, launchChromium, blockExternal, log, onSignals } from '../../scripts/vscode/code-server.mjs';
import JSON5 from 'json5';
import { connectOperator, DEMO_CRON, PARENT_KEY, seedTranscript } from '../../scripts/fixtures/seed-demo.mjs';
import {
  HOSTILE,
  HOSTILE_LABEL,
  HOSTILE_SHOWN,
  HOSTILE_SHOWN_AFTER_CHAT_SEND,
  hugeHostile,
} from '../support/hostileText.mjs';

const CONTAINER_LABEL = 'Lanewatch'; // activity-bar item aria-label prefix (viewsContainers.activitybar title)
const VIEW_ID = 'lanewatch.fleet';
const VIEW_TITLE = 'Gateways';

export function toRegExp(s) {
  const m = /^\/(.*)\/([dgimsuvy]*)$/s.exec(s);
  return m ? new RegExp(m[1], m[2]) : new RegExp(s);
}

/** The side-bar pane of the view VIEW_ID (its header carries the view title; the icon class derives from the id). */
function fleetView(page) {
  const cls = `view-${VIEW_ID.replace(/\./g, '-')}`;
  return page
    .locator(`.pane:has(> .pane-header .icon[class*="${cls}"]), .pane:has(> .pane-header[aria-label^="${VIEW_TITLE}"])`)
    .first();
}

/**
 * Texts of the tree rows in `view`: the visible text with a space between label, description etc.
 * ("demo connected", where textContent would give "democonnected"), plus the row's aria-label if different.
 */
async function rowTexts(view) {
  return view.evaluate((pane) =>
    [...pane.querySelectorAll('.monaco-list-row')].map((row) => {
      const parts = [];
      const walk = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) if (n.textContent.trim()) parts.push(n.textContent.trim());
      const text = parts.join(' ').replace(/\s+/g, ' ');
      const aria = (row.getAttribute('aria-label') ?? '').trim();
      return aria && aria !== text ? `${text} | ${aria}` : text;
    }),
  );
}

/** Poll until a row of `view` matches `re`; returns the row text. */
/** When the workbench finished loading (the "within 60 s of the page loading" checks count from it). */
let workbenchLoadedAt = Date.now();

async function waitForRow(view, re, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let rows = [];
  for (;;) {
    rows = await rowTexts(view).catch(() => rows);
    const hit = rows.find((t) => {
      re.lastIndex = 0;
      return re.test(t);
    });
    if (hit !== undefined) return hit;
    if (Date.now() > end) throw new Error(`no row matched ${re} within ${timeoutMs} ms; rows: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The official client (@openclaw/gateway-client, through the fixtures' connectOperator) on the first configured gateway
 * with a configPath, its token read from that file.
 */
async function officialClient(opts, requestTimeoutMs = 15_000) {
  const { url, token } = seededGateway(opts);
  return connectOperator({ url, token, requestTimeoutMs, connectTimeoutMs: 15_000 });
}

/** The URL and token of the first configured gateway with a configPath (the token read from that file). */
function seededGateway(opts) {
  const gw = (opts.settings?.['lanewatch.gateways'] ?? []).find((g) => g.configPath);
  if (!gw) throw new Error('no gateway with a configPath in the settings: the official client has no token');
  const token = JSON5.parse(readFileSync(gw.configPath, 'utf8'))?.gateway?.auth?.token; // openclaw.json is JSON5
  if (typeof token !== 'string') throw new Error(`no gateway.auth.token in ${gw.configPath}`);
  return { url: gw.url, token };
}

/** The row of the Gateways view whose label is exactly `label` (a row's description may name another row's label). */
function rowLabelled(page, label) {
  return fleetView(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) })
    .first();
}

/** Opens a collapsed tree row by its twistie, as a person does, and waits until the tree says it is open. */
async function expandRow(row) {
  await row.waitFor({ timeout: 30_000 });
  if ((await row.getAttribute('aria-expanded')) === 'true') return;
  await row.locator('.monaco-tl-twistie').click();
  const end = Date.now() + 10_000;
  while ((await row.getAttribute('aria-expanded')) !== 'true') {
    if (Date.now() > end) throw new Error(`the row "${await row.textContent()}" did not open`);
    await sleep(100);
  }
}

/** Closes an open tree row by its twistie and waits until the tree says it is closed. */
async function collapseRow(row) {
  await row.waitFor({ timeout: 30_000 });
  if ((await row.getAttribute('aria-expanded')) !== 'true') return;
  await row.locator('.monaco-tl-twistie').click();
  const end = Date.now() + 10_000;
  while ((await row.getAttribute('aria-expanded')) === 'true') {
    if (Date.now() > end) throw new Error(`the row "${await row.textContent()}" did not close`);
    await sleep(100);
  }
}

/**
 * Runs the real openclaw CLI on a gateway's own host through the script the fixture wrote for it (scripts/test.mjs: it
 * enters that host's network namespace with the gateway's config and state, where the CLI reads the token; the token is
 * never in an argument). Resolves with the exit code and output.
 */
function gatewayHostCli(script, args, timeoutMs = 60_000) {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Lanewatch's devices in the gateway's own pairing list (`openclaw devices list --json` on the gateway host). */
async function pairingState(script) {
  const r = await gatewayHostCli(script, ['devices', 'list', '--json']);
  if (r.code !== 0)
    throw new Error(`openclaw devices list on the gateway host: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  const parsed = JSON.parse(r.stdout);
  // Lanewatch connects as the client "gateway-client"; the gateway host's own CLI has a device of its own.
  const ours = (list = []) => list.filter((d) => d.clientId === 'gateway-client');
  return { pending: ours(parsed.pending), paired: ours(parsed.paired) };
}

/**
 * The rows one level under the row labelled `label` ({label, description, text}), once `pick` holds for them; throws
 * with the last ones seen after `timeoutMs`.
 */
async function childRowsUntil(page, label, pick, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let kids;
  for (;;) {
    kids = await fleetView(page).evaluate((pane, anchor) => {
      const rows = [...pane.querySelectorAll('.monaco-list-row')];
      const name = (r) => r.querySelector('.label-name')?.textContent?.trim() ?? '';
      const at = rows.findIndex((r) => name(r) === anchor);
      if (at < 0) return [];
      const level = Number(rows[at].getAttribute('aria-level'));
      const out = [];
      for (const r of rows.slice(at + 1)) {
        const l = Number(r.getAttribute('aria-level'));
        if (l <= level) break;
        if (l === level + 1)
          out.push({
            label: name(r),
            description: r.querySelector('.label-description')?.textContent?.trim() ?? '',
            text: `${name(r)} ${r.querySelector('.label-description')?.textContent?.trim() ?? ''}`.trim(),
          });
      }
      return out;
    }, label);
    if (pick(kids)) return kids;
    if (Date.now() > end)
      throw new Error(
        `under "${label}" the tree shows ${JSON.stringify(kids.map((k) => k.text))} after ${timeoutMs} ms`,
      );
    await sleep(250);
  }
}

/**
 * The seeded gateway's name when it has the scheduler and task ledger the demo seed fills there (cron.add and tasks.list:
 * 2026.9.x); undefined for 2026.3.24/2026.4.26 (the legacy UI stage), which the seed leaves without them.
 */
async function schedulerGateway(opts) {
  const gw = (opts.settings?.['lanewatch.gateways'] ?? []).find((g) => g.configPath);
  if (!gw) return undefined;
  const oracle = await officialClient(opts);
  try {
    const methods = oracle.hello?.features?.methods ?? [];
    return methods.includes('tasks.list') && methods.includes('cron.add') ? gw.name : undefined;
  } finally {
    await oracle.close();
  }
}

/** Runs the item `label` of the context menu of a tree row (session rows carry no inline actions: see package.json). */
async function fromContextMenu(page, row, label) {
  const item = page.locator('.context-view .action-item', { hasText: label }).first();
  // A right click that lands while a tooltip or a redraw takes the row opens no menu (seen once in CI): once more.
  for (let attempt = 0; ; attempt++) {
    await row.click({ button: 'right' });
    const shown = await item.waitFor({ timeout: 5000 }).then(
      () => true,
      () => false,
    );
    if (shown) break;
    if (attempt >= 1) await item.waitFor({ timeout: 5000 });
    await page.keyboard.press('Escape');
  }
  // Hover + Enter rather than a click: the menu ignores a click that lands while it is still settling.
  await item.hover();
  await page.keyboard.press('Enter');
  // The pointer, left where the menu was, rests on another row: away, and that row's tooltip closed.
  await page.mouse.move(1200, 700);
  await page
    .locator('.monaco-hover, .workbench-hover')
    .filter({ hasText: 'Why:' })
    .first()
    .waitFor({ state: 'hidden', timeout: 5000 })
    .catch(() => page.keyboard.press('Escape'));
}

/**
 * Runs a command from the palette (F1), the focus given to the workbench first. `pick`: when the command then asks which
 * gateway (its quick pick's placeholder ends with `placeholderEnd`, e.g. with several configured), answer `item`.
 */
async function runCommand(page, title, pick) {
  await page
    .locator('.part.statusbar')
    .first()
    .click({ position: { x: 5, y: 5 } })
    .catch(() => {});
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
  if (!pick) return;
  const asked = page.locator(`.quick-input-widget input[placeholder$="${pick.placeholderEnd}"]`);
  if (
    !(await asked.waitFor({ timeout: 5000 }).then(
      () => true,
      () => false,
    ))
  )
    return;
  await asked.fill(pick.item);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: pick.item }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

/** The side bar's width as VS Code opened it, before the checks widened it (set by the view-container step). */
let defaultSidebarWidth = 0;

/** Drags the sash on the side bar's right edge (found by position: sashes carry no names) until the bar is `width` px. */
async function setSidebarWidth(page, width) {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar) throw new Error('no side bar to resize');
  const edge = bar.x + bar.width;
  let from = { x: edge - 1, y: bar.y + bar.height / 2 };
  for (const sash of await page.locator('.monaco-sash.vertical').all()) {
    const b = await sash.boundingBox().catch(() => null);
    if (b && Math.abs(b.x + b.width / 2 - edge) < 6 && b.height > bar.height / 2) {
      from = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
      break;
    }
  }
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + (width - bar.width), from.y, { steps: 8 });
  await page.mouse.up();
  await page.mouse.move(1200, 700);
  return (await page.locator('.part.sidebar').boundingBox())?.width ?? 0;
}

/** Switches the colour theme with the theme picker (Ctrl+K Ctrl+T) and waits for the workbench to follow. */
async function switchTheme(page, name, dark) {
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    (d) => document.querySelector('.monaco-workbench')?.classList.contains('vs-dark') === d,
    dark,
    { timeout: 15000 },
  );
}

/**
 * Hovers the tree row containing `text` until its tooltip ("Why: …") shows; returns the number of hovers it took. A row
 * that ticks every second (a run in its first minute) is rebuilt under the pointer, and VS Code drops a hover whose row
 * was rebuilt before its delay ran out. Hovered right after a tick the tooltip shows and the tree then holds that row's
 * clock while it is read. A user who hits the tick moves the mouse and tries again; so does this, a few times.
 */
async function hoverUntilTooltip(page, text, { tip = 'Why:', row: rowLocator } = {}) {
  // `tip`: words the row's tooltip carries (a session's "Why:"; a gateway's own words); `row`: the row, when `text`
  // alone could match another (a gateway's name inside a session's label).
  const row = rowLocator ?? fleetView(page).locator('.monaco-list-row', { hasText: text }).first();
  const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: tip }).first();
  let tries = 0;
  for (;;) {
    tries++;
    const before = await row.textContent();
    await page
      .waitForFunction(
        ([sel, t, was]) =>
          [...document.querySelectorAll(sel)].find((r) => r.textContent?.includes(t))?.textContent !== was,
        ['.monaco-list-row', text, before],
        { timeout: 1_500 },
      )
      .catch(() => {}); // a row that does not tick this second: hover it as it is
    await row.hover();
    const shown = await hover
      .waitFor({ state: 'visible', timeout: tries < 6 ? 3_000 : 15_000 })
      .then(() => true)
      .catch(() => false);
    if (shown) return { tries, hover };
    if (tries >= 6) throw new Error(`no tooltip on ${text} after ${tries} hovers`);
    await page.mouse.move(1200, 700);
  }
}

/**
 * What a person sees of each row of the tree level that holds the row labelled `anchor` or "…:anchor" (it and its siblings
 * under the same parent): the label and the description as far as they are painted inside the row's clip (characters
 * cut by an overflow are not seen; a cut text ends in "…"), plus where the row's inline actions are, if shown.
 */
function visibleSiblingRows(page, anchor) {
  return fleetView(page).evaluate((pane, anchorText) => {
    const rows = [...pane.querySelectorAll('.monaco-list-row')];
    const at = rows.findIndex((r) => r.querySelector('.label-name')?.textContent?.trim().endsWith(anchorText));
    if (at < 0) return { error: `no row labelled ${anchorText}` };
    const level = rows[at].getAttribute('aria-level');
    let first = at;
    while (first > 0 && Number(rows[first - 1].getAttribute('aria-level')) >= Number(level)) first--;
    let last = at;
    while (last < rows.length - 1 && Number(rows[last + 1].getAttribute('aria-level')) >= Number(level)) last++;
    /** The right edge of what `el` may paint: the nearest clipping ancestors up to the row. */
    const clipRight = (el, row) => {
      let right = row.getBoundingClientRect().right;
      for (let e = el.parentElement; e && e !== row.parentElement; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.overflowX !== 'visible') right = Math.min(right, e.getBoundingClientRect().right);
      }
      return right;
    };
    /** The characters of `el` painted left of `limit` (an ellipsis replaces the last ones when the text is cut). */
    const seen = (el, limit) => {
      if (!el) return { text: '', full: '', cut: false, right: 0 };
      const full = el.textContent ?? '';
      const range = document.createRange();
      let text = '';
      let right = el.getBoundingClientRect().left;
      const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode())
        for (let i = 0; i < n.data.length; i++) {
          range.setStart(n, i);
          range.setEnd(n, i + 1);
          const r = range.getBoundingClientRect();
          if (r.width > 0 && r.right > limit + 0.5) return { text: text.trimEnd() + '…', full, cut: true, right };
          text += n.data[i];
          right = Math.max(right, r.right);
        }
      // text-overflow: ellipsis paints "…" over the last characters that fit when the element overflows.
      const cut = el.scrollWidth > el.clientWidth + 1;
      return { text: cut ? text.trimEnd() + '…' : text, full, cut, right };
    };
    return {
      rows: rows.slice(first, last + 1).flatMap((row) => {
        if (row.getAttribute('aria-level') !== level) return [];
        const name = row.querySelector('.label-name');
        const description = row.querySelector('.label-description');
        const actions = [...row.querySelectorAll('.actions .action-label')].filter(
          (a) => a.getBoundingClientRect().width > 0 && getComputedStyle(a).visibility !== 'hidden',
        );
        const actionsLeft = actions.length ? Math.min(...actions.map((a) => a.getBoundingClientRect().left)) : Infinity;
        const limit = (el) => (el ? Math.min(clipRight(el, row), actionsLeft) : 0);
        return [
          {
            label: seen(name, limit(name)),
            description: seen(description, limit(description)),
            actions: actions.map((a) => a.getAttribute('aria-label')),
            actionsLeft: Number.isFinite(actionsLeft) ? actionsLeft : null,
          },
        ];
      }),
    };
  }, anchor);
}
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The frame (inside VS Code's webview iframe) of the Transcript panel of `key`, once it shows a message. */
async function transcriptFrame(page, key, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      const hit = await f
        .evaluate(
          (k) =>
            document.querySelector('.toolbar .title')?.getAttribute('title')?.startsWith(`${k} on `) &&
            !!document.querySelector('.rows .row.head'),
          key,
        )
        .catch(() => false);
      if (hit) return f;
    }
    if (Date.now() > end) throw new Error(`no Transcript panel of ${key} showed a message within ${timeoutMs} ms`);
    await sleep(250);
  }
}

/**
 * Scrolls the transcript in `frame` from top to bottom (rows are virtual: only those in view exist) and returns, per
 * entry, its role, header text and message text (its wrapped text rows joined), plus everything inside the rows that is
 * not what the renderer itself makes: an element other than div/span/mark, an attribute outside the renderer's set, a
 * javascript: value, a link to anything but http(s).
 */
function sweepTranscript(frame) {
  return frame.evaluate(async () => {
    const vp = document.querySelector('.viewport');
    const painted = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const ATTRS = new Set([
      'class',
      'data-id',
      'data-key',
      'data-part',
      'data-url',
      'data-action',
      'title',
      'role',
      'tabindex',
      'aria-expanded',
      'aria-hidden',
    ]);
    const rows = new Map();
    const bad = new Set();
    let positions = 0,
      top = '',
      elements = 0;
    vp.scrollTop = 0;
    await painted();
    for (; positions < 500; positions++) {
      for (const r of document.querySelectorAll('.rows > .row')) {
        if (r.classList.contains('top')) top = r.textContent;
        const parts = (r.dataset.id ?? '').split('|');
        if (!r.dataset.key || parts.length < 5) continue;
        rows.set(`${parts.at(-3)}|${r.dataset.key}|${parts.at(-4)}`, {
          layout: Number(parts.at(-3)),
          key: r.dataset.key,
          li: Number(parts.at(-4)),
          cls: r.className,
          text: r.textContent ?? '',
        });
      }
      for (const e of document.querySelectorAll('.rows *')) {
        elements++;
        if (!['DIV', 'SPAN', 'MARK'].includes(e.tagName)) bad.add(`<${e.tagName.toLowerCase()}> element`);
        for (const a of e.attributes) {
          if (!ATTRS.has(a.name)) bad.add(`${e.tagName.toLowerCase()}[${a.name}] attribute`);
          if (a.name !== 'title' && /^\s*javascript:/i.test(a.value))
            bad.add(`${e.tagName.toLowerCase()}[${a.name}="${a.value.slice(0, 60)}"]`);
        }
        if (e.classList.contains('link') && !/^https?:\/\//.test(e.getAttribute('data-url') ?? ''))
          bad.add(`link to ${e.getAttribute('data-url')}`);
      }
      if (vp.scrollTop + vp.clientHeight >= vp.scrollHeight - 1) break;
      vp.scrollTop += Math.max(20, vp.clientHeight - 40);
      await painted();
    }
    const all = [...rows.values()];
    const layout = Math.max(...all.map((r) => r.layout));
    const entries = new Map();
    for (const r of all.filter((x) => x.layout === layout).sort((a, b) => a.li - b.li)) {
      let e = entries.get(r.key);
      if (!e) entries.set(r.key, (e = { key: r.key, role: '', head: '', text: '', rows: 0 }));
      e.rows++;
      if (/\bhead\b/.test(r.cls)) {
        e.role = /\brole-(\w+)/.exec(r.cls)?.[1] ?? '';
        e.head = r.text;
      } else if (/\bsrc-text\b/.test(r.cls)) e.text += r.text === '\u200b' ? '' : r.text;
    }
    return {
      entries: [...entries.values()],
      bad: [...bad],
      positions: positions + 1,
      elements,
      top,
      pwned: window.__pwned === undefined ? null : String(window.__pwned),
    };
  });
}

/** `window.__pwned` in every frame of the page (workbench, webview hosts, webview contents). */
async function pwnedMarkers(page) {
  const found = [];
  let checked = 0;
  for (const f of page.frames()) {
    const v = await f
      .evaluate(() => (window.__pwned === undefined ? null : String(window.__pwned)))
      .catch(() => undefined);
    if (v === undefined) continue; // detached meanwhile
    checked++;
    if (v !== null) found.push(`${f.url().slice(0, 80)}: ${v}`);
  }
  return { checked, found };
}

/**
 * The checks, in order. Each: { name, run(ctx), independent?: boolean }. `ctx` = { page, server, opts, shot(name), log(msg),
 * remainingMs() }.
 * A step throws to fail; ctx.log(msg) prints a `# msg` comment line. Keep per-wait timeouts below the overall --timeout-ms.
 */
export function steps(opts) {
  const list = [
    {
      name: 'workbench loads',
      async run({ page }) {
        await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
        workbenchLoadedAt = Date.now();
        // Every notification message shown from here on, for the operator-language check at the end.
        await page.evaluate(() => {
          const seen = (window.__lanewatchNotifications = new Set());
          const grab = () => {
            for (const m of document.querySelectorAll('.notification-list-item-message'))
              if (m.textContent?.trim()) seen.add(m.textContent.trim());
          };
          new MutationObserver(grab).observe(document.body, { childList: true, subtree: true, characterData: true });
          grab();
        });
      },
    },
    {
      name: `activity bar item "${CONTAINER_LABEL}" opens the view container`,
      async run({ page }) {
        const item = page.locator(`.activitybar [aria-label^="${CONTAINER_LABEL}"]`).first();
        await item.waitFor({ timeout: 60000 });
        // Clicking the active container would close the side bar, so click only when the view is not shown.
        if (!(await fleetView(page).isVisible())) await item.click();
        await fleetView(page).waitFor({ state: 'visible', timeout: 30000 });
        // A wider side bar so the screenshots show the session descriptions, not "long-ru…" (the default width is
        // checked on its own near the end).
        defaultSidebarWidth = (await page.locator('.part.sidebar').boundingBox())?.width ?? 0;
        if (defaultSidebarWidth) await setSidebarWidth(page, defaultSidebarWidth + 320);
        await page.mouse.move(1200, 700); // no hover tooltip in the screenshots
      },
    },
    {
      name: `"${VIEW_TITLE}" view (${VIEW_ID}) shows at least one row`,
      async run({ page, shot }) {
        await fleetView(page).locator('.monaco-list-row').first().waitFor({ timeout: 30000 });
        await shot('1-fleet.png');
      },
    },
  ];
  for (const re of opts.expectRows) {
    list.push({
      name: `"${VIEW_TITLE}" has a row matching ${re}`,
      async run({ page, log, remainingMs }) {
        const hit = await waitForRow(fleetView(page), re, Math.min(60000, remainingMs() - 3000));
        log(`row matched ${re}: "${hit}"`);
      },
    });
  }
  if (opts.expectStatusBar) {
    list.push({
      name: `the status bar summary matches ${opts.expectStatusBar}`,
      async run({ page, log, remainingMs }) {
        // The item's accessibility label carries the words ("Lanewatch: 1 running, 2 of 3 gateways offline").
        const item = page.locator('.part.statusbar [aria-label^="Lanewatch:"]').first();
        await item.waitFor({ timeout: Math.min(60000, remainingMs() - 3000) });
        const re = opts.expectStatusBar;
        const label = await page
          .waitForFunction(
            (src) => {
              const el = document.querySelector('.part.statusbar [aria-label^="Lanewatch:"]');
              const text = el?.getAttribute('aria-label') ?? '';
              return new RegExp(src.source, src.flags).test(text) ? text : false;
            },
            { source: re.source, flags: re.flags },
            { timeout: Math.min(60000, remainingMs() - 3000), polling: 250 },
          )
          .then((h) => h.jsonValue())
          .catch(async (e) => {
            throw new Error(`${e.message}; status bar says "${await item.getAttribute('aria-label')}"`);
          });
        log(`status bar: "${label}" / "${(await item.textContent())?.trim()}"`);
      },
    });
  }
  if (opts.expectRows.length) {
    list.push({ name: 'screenshot 2-fleet-connected.png', run: ({ shot }) => shot('2-fleet-connected.png') });
  }
  if (opts.openLogs) {
    list.push({
      name: `within 60 s of the page loading, the "Lane waits" preset of ${opts.openLogs}'s Gateway Logs shows the gateway's own "lane wait exceeded" lines, and only those`,
      async run({ page, shot, log }) {
        const row = fleetView(page).locator('.monaco-list-row', { hasText: opts.openLogs }).first();
        await row.hover();
        await row.locator('.action-label[aria-label="Open Gateway Logs"]').first().click();
        const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
        await frame.locator('.row.line').first().waitFor({ timeout: 30000 });
        // The preset menu, as a person uses it: open it, pick the entry.
        const preset = frame.locator('vscode-single-select[aria-label="Preset"]');
        const choose = async (label) => {
          await preset.click();
          await preset.locator('li[role="option"]', { hasText: label }).first().click();
        };
        await choose('Lane waits');
        // Once the filter is applied: at least one row, every row a lane-wait line (the rows of "All lines" are still
        // drawn for a moment after the choice, the lane-wait line among them).
        let shown;
        const end = workbenchLoadedAt + 60_000;
        for (;;) {
          shown = await frame.locator('.row.line').allTextContents();
          if (shown.length && shown.every((t) => /lane wait exceeded/.test(t))) break;
          if (Date.now() > end)
            throw new Error(
              `${shown.length ? 'not only lane waits' : 'no line'} under "Lane waits" 60 s after the page loaded (${await frame.locator('.count').textContent()}): ${JSON.stringify(shown.slice(0, 3).map((t) => t.slice(0, 120)))}`,
            );
          await sleep(250);
        }
        const after = (Date.now() - workbenchLoadedAt) / 1000;
        log(
          `${after.toFixed(1)} s after the page loaded, "Lane waits" shows ${shown.length} line(s) (${await frame.locator('.count').textContent()}): ${JSON.stringify(shown[0]?.replace(/\s+/g, ' ').slice(0, 200))}`,
        );
        const laneWait = frame.locator('.row.line', { hasText: 'lane wait exceeded' }).first();
        // The line opened, as a person reads a line the narrow panel cuts: its whole text and fields below the list.
        await laneWait.click();
        await frame.locator('section.detail', { hasText: 'waitedMs' }).waitFor({ timeout: 10000 });
        await page.mouse.move(1200, 700);
        await shot('5a-lane-waits.png');
        await frame.locator('body').press('Escape');
        // Back to all lines (the panel keeps its filter) and closed: a later check opens it afresh.
        await choose('All lines');
        const tab = page.locator('.tabs-container .tab', { hasText: `Logs: ${opts.openLogs}` }).first();
        await tab.hover();
        await tab.locator('.tab-actions .action-label').first().click({ timeout: 5000 });
        await tab.waitFor({ state: 'detached', timeout: 5000 });
      },
    });
  }
  if (opts.ageTicks) {
    list.push({
      name: `the age on ${opts.ageTicks}'s row ticks by itself: two screenshots 5 s apart show it grown with the clock`,
      async run({ page, shot, log }) {
        const key = opts.ageTicks;
        // "running 42s" in a run's first minute (ticks every second), "stuck 7m" / "running 1h05m" after it (ticks when
        // the minute turns; the tree drops the seconds there so that hovering a row can show its tooltip).
        const ageOf = (text) => {
          const m =
            /\b(?:running(?: \(unverified\))?|no progress for|long-running|stalled|stuck) (?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?\b/.exec(
              text,
            );
          if (!m || !(m[1] || m[2] || m[3])) return undefined;
          return {
            s: Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0),
            seconds: m[3] !== undefined,
          };
        };
        const readAge = async () => {
          const row = (await rowTexts(fleetView(page))).find((t) => t.includes(key));
          return { row, age: row === undefined ? undefined : ageOf(row) };
        };
        const first = await readAge();
        if (first.age === undefined) throw new Error(`no age on the row of ${key}: ${JSON.stringify(first.row)}`);
        await shot('2a-age-before.png');
        const t0 = Date.now();
        // Every value the row shows on the way: a clock that ticks shows each step, a frozen one none. In the run's
        // first minute the second screenshot is taken 5 s after the first, and the age (floored to the second, a tick a
        // second) must have grown by at least 4 s; past it, the row must turn to the next minute within a minute.
        const window = first.age.seconds ? 5_000 : 62_000;
        const seen = new Set([first.age.s]);
        let now = first;
        while (Date.now() - t0 < window) {
          await page.waitForTimeout(200);
          now = await readAge();
          if (now.age !== undefined) seen.add(now.age.s);
          if (!first.age.seconds && now.age && now.age.s > first.age.s) break;
        }
        await shot('2b-age-after.png');
        const elapsed = (Date.now() - t0) / 1000;
        log(
          `"${first.row}" → "${now.row}" after ${elapsed.toFixed(1)} s; ages shown on the way: ${[...seen].join(', ')}`,
        );
        const grown = now.age === undefined ? -1 : now.age.s - first.age.s;
        if (first.age.seconds ? grown < 4 : grown !== 60)
          throw new Error(
            `the age did not grow with the clock: "${first.row}" then, ${elapsed.toFixed(1)} s later, "${now.row}"`,
          );
        if (first.age.seconds && now.age.seconds && seen.size < 4)
          throw new Error(`the row jumped instead of ticking: ages shown ${[...seen].join(', ')}`);
      },
    });
  }
  if (opts.hoverRow) {
    list.push({
      name: `hovering ${opts.hoverRow} shows the facts behind its status`,
      async run({ page, shot, log }) {
        // Held: the tooltip is still open two seconds later (a ticking row rebuilt under it would close it, at every
        // hover). Another session changing state meanwhile (demo-wedged turning "no progress" about now) makes VS Code
        // redraw the gateway's rows and closes it too; that happens once, so a hover after it must stay open.
        for (let attempt = 1; ; attempt++) {
          const { tries, hover } = await hoverUntilTooltip(page, opts.hoverRow);
          log(`tooltip shown on hover ${tries} (attempt ${attempt})`);
          if (attempt === 1) await shot('3-session-tooltip.png');
          await page.waitForTimeout(2_000);
          if (await hover.isVisible()) break;
          if (attempt >= 3)
            throw new Error(`the tooltip of ${opts.hoverRow} closed while the pointer rested on it, ${attempt} times`);
          log(`the tooltip closed within 2 s (attempt ${attempt}): hovering again`);
          await page.mouse.move(1200, 700);
        }
        await page.mouse.move(1200, 700);
      },
    });
  }

  if (opts.toggleIdle) {
    list.push({
      name: `"Hide Idle Sessions" hides ${opts.toggleIdle}, "Show Idle Sessions" brings it back`,
      async run({ page }) {
        const view = fleetView(page);
        // The only view in its container has no pane header: its title actions sit in the side bar's title.
        const title = page.locator('.part.sidebar .composite.title');
        await title.hover();
        await title.locator('[aria-label="Hide Idle Sessions"]').first().click();
        await view
          .locator('.monaco-list-row', { hasText: opts.toggleIdle })
          .waitFor({ state: 'detached', timeout: 15000 });
        await title.hover();
        await title.locator('[aria-label="Show Idle Sessions"]').first().click();
        await view.locator('.monaco-list-row', { hasText: opts.toggleIdle }).first().waitFor({ timeout: 15000 });
      },
    });
  }
  if (opts.recoverRow) {
    list.push({
      name: `"Recover Session…" from the context menu of ${opts.recoverRow} asks first, frees it and reports each step`,
      async run({ page, shot, log }) {
        const view = fleetView(page);
        const row = view.locator('.monaco-list-row', { hasText: opts.recoverRow }).first();
        await row.click({ button: 'right' });
        const item = page.locator('.context-view .action-item', { hasText: 'Recover Session' }).first();
        await item.waitFor({ timeout: 10000 });
        // Hover + Enter rather than a click: the menu ignores a click that lands while it is still settling.
        await item.hover();
        await page.keyboard.press('Enter');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ timeout: 10000 });
        const dialogText = (await dialog.textContent()) ?? '';
        if (!/abort the run/.test(dialogText))
          throw new Error(`the confirmation does not say what will happen: ${dialogText}`);
        await shot('7-recover-confirm.png');
        await dialog.locator('.monaco-button', { hasText: /^Recover$/ }).click();
        // The row turns idle (protocol 3: stale, its row keeps "running") with the killed run as a badge, and a
        // notification carries the verdict.
        const re = new RegExp(
          `${opts.recoverRow.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*${opts.recoverExpect ?? 'idle'}`,
        );
        // The verdict's notification, not the progress one ("Recovering …").
        const toast = page
          .locator('.notification-toast', {
            hasText: /Recover \S+: (freed|ineffective|failed|refused|nothing-to-do|needs-restart|cancelled) —/,
          })
          .first();
        await toast.waitFor({ timeout: 90000 });
        const toastAt = Date.now();
        const toastText = ((await toast.textContent()) ?? '').replace(/\s+/g, ' ');
        // The tree follows the verdict without a manual Refresh, within the bound the caller sets.
        const hit = await waitForRow(view, re, opts.recoverWithinMs ?? 60000);
        log(`notification: "${toastText.slice(0, 300)}"; row "${hit}" ${Date.now() - toastAt} ms after it`);
        if (!/freed/.test(toastText))
          throw new Error(`the notification does not report the session freed: ${toastText}`);
        if (opts.recoverToast && !new RegExp(opts.recoverToast).test(toastText))
          throw new Error(`the notification does not match ${opts.recoverToast}: ${toastText}`);
        // "Show Log" opens the output channel with the step-by-step report (call, outcome, state read back).
        await toast.locator('.monaco-button', { hasText: 'Show Log' }).click();
        // The output channel scrolls to its end, the audit line of the verdict (the report above it may be scrolled out of
        // the rendered lines when it is long). Monaco renders spaces as no-break spaces: match words, not the string.
        await page
          .locator('.part.panel .view-lines', { hasText: /call=recover\soutcome=(freed|nothing-to-do)/ })
          .first()
          .waitFor({ timeout: 15000 });
        await page.mouse.move(1200, 300);
        await shot('8-recover-done.png');
      },
    });
  }
  if (opts.openTranscript) {
    list.push({
      name: `the session row's "Open Transcript" action shows ${opts.openTranscript} with its messages${opts.expectTranscript ? ` and ${opts.expectTranscript}` : ''}`,
      async run({ page, shot, log }) {
        const row = fleetView(page).locator('.monaco-list-row', { hasText: opts.openTranscript }).first();
        await fromContextMenu(page, row, 'Open Transcript');
        const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
        // A message's head row; protocol 3 writes a hung run's user message only when the run ends, so there the
        // panel's own words (--expect-transcript) are waited for instead.
        if (!opts.expectTranscript) await frame.locator('.row.head').first().waitFor({ timeout: 30000 });
        else {
          // What the panel says (banners, rows) must match: e.g. protocol 3's "cannot be verified" for a late-seen run.
          const body = frame.locator('body');
          await body
            .filter({ hasText: opts.expectTranscript })
            .waitFor({ timeout: 30000 })
            .catch(async (e) => {
              throw new Error(
                `the transcript never matched ${opts.expectTranscript}: ${(await body.innerText()).slice(0, 600)} (${e.message.split('\n')[0]})`,
              );
            });
          log(
            `transcript matched ${opts.expectTranscript}: "${(await body.innerText()).replace(/\s+/g, ' ').slice(0, 300)}"`,
          );
        }
        // The panel's header shows the session's lane status as the tree row does (one state); ages aside, which the
        // tree shows to the minute past the first one and the panel to the second.
        const laneEl = frame.locator('.toolbar .lane');
        await laneEl.filter({ hasText: /\S/ }).waitFor({ timeout: 10_000 });
        const noAge = (t) => t.replace(/ \d+(?:h\d+m|m\d+s|m|s|d)\b/g, ' <age>').trim();
        const header = noAge((await laneEl.textContent()) ?? '');
        const treeRow = (await rowTexts(fleetView(page))).find((t) => t.includes(opts.openTranscript)) ?? '';
        log(`transcript header "${header}"; tree row "${treeRow}"`);
        if (!noAge(treeRow).includes(header))
          throw new Error(`the transcript header says "${header}" but the tree row says "${treeRow}"`);
        await page.mouse.move(1200, 700);
        await shot('4-transcript-light.png');
      },
    });
  }
  if (opts.openLogs) {
    list.push({
      name: `the gateway row's "Open Gateway Logs" action opens a populated log panel for ${opts.openLogs}`,
      async run({ page, shot }) {
        const row = fleetView(page).locator('.monaco-list-row', { hasText: opts.openLogs }).first();
        await row.hover();
        await row.locator('.action-label[aria-label="Open Gateway Logs"]').first().click();
        const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
        await frame.locator('.row.line').first().waitFor({ timeout: 30000 });
        await page.mouse.move(1200, 700);
        await shot('5-gateway-logs-light.png');
      },
    });
    list.push({
      name: 'in a dark theme the log panel follows the theme colours',
      async run({ page, shot }) {
        const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
        const background = () => frame.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
        const before = await background();
        // The theme picker (Ctrl+K Ctrl+T) rather than the palette: fewer keystrokes to race with focus changes.
        await page.keyboard.press('Control+K');
        await page.keyboard.press('Control+T');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ timeout: 10000 });
        await input.fill('Dark Modern');
        await page
          .locator('.quick-input-list .monaco-list-row', { hasText: 'Dark Modern' })
          .first()
          .waitFor({ timeout: 10000 });
        await page.keyboard.press('Enter');
        await page.waitForFunction(
          () => document.querySelector('.monaco-workbench')?.classList.contains('vs-dark'),
          undefined,
          { timeout: 15000 },
        );
        // VS Code pushes the new theme's colours into the webview as CSS variables on <html>: wait for that change.
        await frame.locator('body').evaluate(
          (b, was) =>
            new Promise((resolve, reject) => {
              const changed = () => getComputedStyle(b).backgroundColor !== was;
              if (changed()) {
                resolve(undefined);
                return;
              }
              const mo = new MutationObserver(() => {
                if (changed()) {
                  mo.disconnect();
                  clearTimeout(t);
                  resolve(undefined);
                }
              });
              mo.observe(document.documentElement, { attributes: true });
              const t = setTimeout(() => {
                mo.disconnect();
                reject(new Error(`the webview background stayed ${was} after switching to a dark theme`));
              }, 15000);
            }),
          before,
        );
        await page.mouse.move(1200, 700);
        await shot('6-gateway-logs-dark.png');
        if (opts.openTranscript) {
          // The transcript tab, now in the dark theme.
          await page.locator('.tabs-container .tab', { hasText: 'Transcript' }).first().click();
          await page
            .frameLocator('iframe.webview.ready')
            .frameLocator('#active-frame')
            .locator('.row.head')
            .first()
            .waitFor({ timeout: 30000 });
          await page.mouse.move(1200, 700);
          await shot('6-transcript-dark.png');
        }
      },
    });
  }
  if (opts.openDetails) {
    list.push({
      name: 'Lanewatch: Show Gateway Details renders the connection in a webview',
      async run({ page, shot }) {
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ timeout: 10000 });
        await input.fill('>Lanewatch: Show Gateway Details');
        await page
          .locator('.quick-input-list .monaco-list-row', { hasText: 'Show Gateway Details' })
          .first()
          .waitFor({ timeout: 10000 });
        await page.keyboard.press('Enter');
        const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
        await frame.locator('h1', { hasText: opts.openDetails }).waitFor({ timeout: 30000 });
        await frame.locator('.phase', { hasText: 'hello-ok' }).first().waitFor({ timeout: 10000 });
        await shot('4-gateway-details.png');
      },
    });
  }
  if (opts.hostileTranscript) {
    const key = opts.hostileTranscript;
    list.push({
      name: `the tree row of ${key} and its tooltip show its hostile label as text`,
      async run({ page, shot, log, remainingMs }) {
        const view = fleetView(page);
        // The row text must contain the label character for character (an escaped literal, not a pattern).
        const hit = await waitForRow(view, new RegExp(escapeRe(HOSTILE_LABEL)), Math.min(60000, remainingMs() - 3000));
        log(`row: "${hit.slice(0, 200)}"`);
        const row = view.locator('.monaco-list-row', { hasText: HOSTILE_LABEL }).first();
        const created = () =>
          page.evaluate(
            () =>
              document.querySelectorAll('img[src="x"], a[href^="javascript:" i], [onerror], [onload], [onmouseover]')
                .length,
          );
        if (await created())
          throw new Error(
            'the workbench has an element made from the label (img[src=x], javascript: link or inline handler)',
          );
        await row.hover();
        const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Why:' }).first();
        await hover.waitFor({ state: 'visible', timeout: 15000 });
        const tip = ((await hover.textContent()) ?? '').replace(/\s+/g, ' ');
        if (!tip.includes(HOSTILE_LABEL))
          throw new Error(`the tooltip does not show the label as written: ${JSON.stringify(tip.slice(0, 300))}`);
        if (await created()) throw new Error('the tooltip made an element from the label');
        await shot('9-hostile-label-tooltip.png');
        await page.mouse.move(1200, 700);
      },
    });
    list.push({
      name: `${key}'s transcript shows ${HOSTILE.length} hostile strings sent, the same injected, and a huge one, as text; nothing ran, no element came of them`,
      async run({ page, shot, log, remainingMs }) {
        // The bottom panel (the recovery log) closed: a taller transcript, fewer scroll positions, a fuller screenshot.
        const hidePanel = page
          .locator(
            '.part.panel .action-label[aria-label^="Hide Panel"], .part.panel .action-label[aria-label^="Close Panel"]',
          )
          .first();
        if (await hidePanel.isVisible()) await hidePanel.click();
        const row = fleetView(page).locator('.monaco-list-row', { hasText: HOSTILE_LABEL }).first();
        await fromContextMenu(page, row, 'Open Transcript');
        await page.mouse.move(1200, 700);
        const frame = await transcriptFrame(page, key, Math.min(60000, remainingMs() - 3000));
        const hugeLine = hugeHostile(1000).split('\n')[0];
        const end = Date.now() + Math.min(60000, remainingMs() - 3000);
        let sweep, missing, huge;
        // Swept again while messages are still arriving (the panel loads, then catches up).
        for (;;) {
          sweep = await sweepTranscript(frame);
          const users = sweep.entries.filter((e) => e.role === 'user'),
            replies = sweep.entries.filter((e) => e.role === 'assistant');
          // Character for character: each sent string as a user message, each injected one as an assistant message.
          missing = [
            ...HOSTILE_SHOWN_AFTER_CHAT_SEND.map((s, i) =>
              users.some((e) => e.text === s) ? '' : `sent #${i} ${JSON.stringify(s).slice(0, 80)}`,
            ),
            ...HOSTILE_SHOWN.map((s, i) =>
              replies.some((e) => e.text === s) ? '' : `injected #${i} ${JSON.stringify(s).slice(0, 80)}`,
            ),
          ].filter(Boolean);
          huge = users.find((e) => e.text.startsWith(hugeLine.repeat(3)));
          if (!huge) missing.push('the huge message');
          if (!missing.length || sweep.bad.length || Date.now() > end) {
            log(
              `${sweep.entries.length} entries (${users.length} user, ${replies.length} assistant), ${sweep.positions} scroll positions, ${sweep.elements} elements checked; top row "${sweep.top}"` +
                (huge
                  ? `; the huge message: ${huge.rows} rows, header "${huge.head.replace(/\s+/g, ' ').trim()}"`
                  : ''),
            );
            break;
          }
          await sleep(500);
        }
        if (sweep.bad.length) throw new Error(`made from the text: ${sweep.bad.slice(0, 10).join(', ')}`);
        if (missing.length) {
          throw new Error(
            `not shown as written: ${missing.join('; ')}; entries: ${JSON.stringify(sweep.entries.map((e) => `${e.role}: ${e.text.slice(0, 50)}`))}`,
          );
        }
        const pwned = await pwnedMarkers(page);
        log(`window.__pwned undefined in ${pwned.checked} of ${page.frames().length} frames`);
        if (pwned.found.length || sweep.pwned !== null)
          throw new Error(`a payload ran: ${[...pwned.found, sweep.pwned].filter(Boolean).join('; ')}`);
        if (pwned.checked < 3)
          throw new Error(
            `only ${pwned.checked} frames could be checked (the workbench, the webview host and its content are expected)`,
          );
        // The start of the corpus in view for the screenshot.
        await frame.evaluate(
          () =>
            new Promise((r) => {
              document.querySelector('.viewport').scrollTop = 0;
              requestAnimationFrame(() => requestAnimationFrame(r));
            }),
        );
        // The row's tooltip (shown by the hover that reached its action) must not cover the panel in the screenshot.
        await page
          .locator('.monaco-hover, .workbench-hover')
          .filter({ hasText: 'Why:' })
          .first()
          .waitFor({ state: 'hidden', timeout: 10000 })
          .catch(() => page.keyboard.press('Escape'));
        await shot('10-hostile-transcript.png');
        // And the end: the injected strings (terminal escapes, bidi and zero-width among them) and the huge message.
        await frame.evaluate(
          () =>
            new Promise((r) => {
              const vp = document.querySelector('.viewport');
              vp.scrollTop = vp.scrollHeight;
              requestAnimationFrame(() => requestAnimationFrame(r));
            }),
        );
        await shot('11-hostile-transcript-end.png');
      },
    });
  }
  if (opts.noProgressRow) {
    list.push({
      name: `within 60 s of the page loading, the hung run of ${opts.noProgressRow} reads "no progress" (or the gateway's stalled/stuck), not plain running`,
      async run({ page, shot, log }) {
        const re = new RegExp(`${opts.noProgressRow}.*\\b(no progress for|stalled|stuck)\\b`);
        const left = workbenchLoadedAt + 60_000 - Date.now();
        const hit = await waitForRow(fleetView(page), re, Math.max(1_000, left));
        const after = (Date.now() - workbenchLoadedAt) / 1000;
        log(`${after.toFixed(1)} s after the page loaded: "${hit}"`);
        if (after > 61)
          throw new Error(`seen only ${after.toFixed(0)} s after the page loaded (the checks before it took long)`);
        // Judged by someone other than Lanewatch: the official client, on a connection of its own, must find the run
        // still active at this moment (a tree that calls an ended run "no progress" would be wrong).
        const oracle = await officialClient(opts);
        try {
          const list = await oracle.request('sessions.list', { search: opts.noProgressRow, limit: 50 });
          const row = (list.sessions ?? []).find((r) => r.key?.split(':').slice(2).join(':') === opts.noProgressRow);
          if (!row) throw new Error(`the official client finds no session ${opts.noProgressRow} in sessions.list`);
          log(
            `the official client (@openclaw/gateway-client) reads ${row.key}: hasActiveRun ${row.hasActiveRun}, activeRunIds ${JSON.stringify(row.activeRunIds ?? null)}, status ${row.status}`,
          );
          if (row.hasActiveRun !== true)
            throw new Error(
              `the tree says "${hit}", but the gateway reports no active run for ${row.key} (hasActiveRun ${row.hasActiveRun}, status ${row.status})`,
            );
        } finally {
          await oracle.close();
        }
        await page.mouse.move(1200, 700);
        await shot('12-no-progress.png');
      },
    });
  }
  if (opts.walkthrough) {
    list.push({
      name: 'the "Get started with Lanewatch" walkthrough opens, and each step\'s action runs',
      async run({ page, shot, log }) {
        // Opened from the palette, as a person finds it again: VS Code opens it at the first step not done yet.
        const openWalkthrough = async () => {
          // Closed first, so it opens afresh (an open walkthrough keeps the step it shows).
          const tab = page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first();
          if (await tab.isVisible()) {
            await tab.hover();
            await tab.locator('.tab-actions .action-label').first().click({ timeout: 5000 });
            await tab.waitFor({ state: 'detached', timeout: 5000 });
          }
          // The palette answers F1 from the workbench: give it the focus (a closed editor leaves it nowhere).
          await page
            .locator('.part.statusbar')
            .first()
            .click({ position: { x: 5, y: 5 } })
            .catch(() => {});
          await page.keyboard.press('F1');
          const input = page.locator('.quick-input-widget input');
          await input.waitFor({ timeout: 10000 });
          await input.fill('>Welcome: Open Walkthrough');
          await page
            .locator('.quick-input-list .monaco-list-row', { hasText: 'Open Walkthrough' })
            .first()
            .waitFor({ timeout: 10000 });
          await page.keyboard.press('Enter');
          // A list of walkthroughs to pick from, or (when one is open already) the walkthrough itself.
          const pick = page
            .locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with Lanewatch' })
            .first();
          const shown = container.locator('text=Get started with Lanewatch').first();
          await pick.or(shown).first().waitFor({ timeout: 15000 });
          if (await pick.isVisible()) await pick.click();
          await shown.waitFor({ timeout: 15000 });
        };
        const container = page.locator('.gettingStartedContainer');
        // Each step: open it, press its action, see the action happen, put things back.
        const quickInput = page.locator('.quick-input-widget');
        const steps = [
          {
            title: 'Connect a gateway',
            action: 'Add Gateway',
            saw: () => quickInput.waitFor({ state: 'visible', timeout: 10000 }),
          },
          {
            title: "Read a session's status",
            action: 'Show the Gateways view',
            saw: () => fleetView(page).waitFor({ state: 'visible', timeout: 10000 }),
          },
          {
            title: 'Recover a session',
            action: 'Recover Session',
            saw: () => quickInput.waitFor({ state: 'visible', timeout: 10000 }),
          },
          {
            title: 'Open a transcript and the logs',
            action: 'Open Transcript',
            saw: () => quickInput.waitFor({ state: 'visible', timeout: 10000 }),
          },
          {
            title: 'Turn on the watchdog',
            action: 'Open the watchdog settings',
            saw: () => page.locator('.settings-editor').first().waitFor({ state: 'visible', timeout: 15000 }),
          },
        ];
        const t0 = Date.now();
        for (const step of steps) {
          await openWalkthrough();
          // The step to do next is the one open.
          const header = container
            .locator('.getting-started-step[aria-expanded="true"]', { hasText: step.title })
            .first();
          await header.waitFor({ timeout: 10000 });
          const action = header.locator('a, button', { hasText: step.action }).first();
          await action.waitFor({ state: 'visible', timeout: 10000 });
          if (step.title === 'Turn on the watchdog') await shot('13-walkthrough.png');
          await action.click();
          await step.saw();
          log(`step "${step.title}": "${step.action}" ran (${Date.now() - t0} ms into the check)`);
          await page.keyboard.press('Escape');
          await quickInput.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
        }
        // Each reopening showed the next step open, so VS Code had marked the one before done (a walkthrough opens at the
        // first step not done); the last completes when the watchdog setting changes, which this check leaves alone.
        log('steps 1-4 marked done by their actions (each reopening opened the next step)');
      },
    });
  }
  if (opts.noProgressRow) {
    const key = opts.noProgressRow;
    list.push({
      name: `the tooltip of ${key} in a dark and a light theme (14-tooltip-dark.png, 14-tooltip-light.png)`,
      async run({ page, shot, log }) {
        await page.keyboard.press('Escape');
        await runCommand(page, 'View: Close All Editors');
        await page.locator('.part.editor .tabs-container .tab').first().waitFor({ state: 'detached', timeout: 10000 });
        for (const [theme, dark, file] of [
          ['Dark Modern', true, '14-tooltip-dark.png'],
          ['Light Modern', false, '14-tooltip-light.png'],
        ]) {
          await switchTheme(page, theme, dark);
          await page.mouse.move(1200, 700);
          const { tries } = await hoverUntilTooltip(page, key);
          await shot(file);
          log(`${theme}: tooltip shown on hover ${tries}`);
          await page.mouse.move(1200, 700);
        }
      },
    });
    list.push({
      name: `at the default side bar width, hovering ${key} leaves its status readable: its inline actions cover none of it`,
      async run({ page, shot, log }) {
        const width = await setSidebarWidth(page, defaultSidebarWidth);
        const row = fleetView(page).locator('.monaco-list-row', { hasText: key }).first();
        await row.hover();
        // Hovered: the row's inline actions (if any) are shown, the row highlighted.
        await page.waitForFunction(
          (t) =>
            [...document.querySelectorAll('.monaco-list-row')].some(
              (r) => r.textContent?.includes(t) && r.matches(':hover'),
            ),
          key,
          { timeout: 10000 },
        );
        const seen = await visibleSiblingRows(page, key);
        if (seen.error) throw new Error(seen.error);
        await shot('15-hover-default-width.png');
        const hovered = seen.rows.find((r) => r.label.full.trim().endsWith(key));
        log(
          `side bar ${width} px (as opened: ${defaultSidebarWidth} px); hovered row: "${hovered?.label.text}" "${hovered?.description.text}" with ${hovered?.actions.length} inline action(s) [${hovered?.actions.join(', ')}]`,
        );
        if (!hovered) throw new Error(`no row labelled ${key}`);
        if (hovered.description.cut || !hovered.description.full.trim())
          throw new Error(
            `on hover the status of ${key} reads "${hovered.description.text}" of "${hovered.description.full}"${hovered.actions.length ? `: its inline actions (${hovered.actions.join(', ')}) take the room` : ''}`,
          );
        await page.mouse.move(1200, 700);
      },
    });
    list.push({
      name: 'in a 220 px side bar the session rows still tell the sessions apart (labels without "agent:<id>:", each different as seen)',
      async run({ page, shot, log }) {
        const width = await setSidebarWidth(page, 220);
        const seen = await visibleSiblingRows(page, key);
        if (seen.error) throw new Error(seen.error);
        await shot('16-narrow-sidebar.png');
        const labels = seen.rows.map((r) => r.label.text);
        log(`side bar ${width} px; the rows beside ${key} read ${JSON.stringify(labels)}`);
        await setSidebarWidth(page, defaultSidebarWidth + 320);
        if (Math.abs(width - 220) > 30) throw new Error(`the side bar could not be made 220 px wide (${width} px)`);
        if (labels.length < 3) throw new Error(`only ${labels.length} rows beside ${key}: nothing to tell apart`);
        const same = labels.filter((l, i) => labels.indexOf(l) !== i);
        if (same.length) throw new Error(`rows read the same at ${width} px: ${JSON.stringify([...new Set(same)])}`);
        const prefixed = seen.rows.filter((r) => /^agent:/.test(r.label.full));
        if (prefixed.length)
          throw new Error(`labels still carry the agent prefix: ${prefixed.map((r) => r.label.full).join(', ')}`);
      },
    });
  }
  if (opts.healthLoad) {
    list.push({
      name: `a real load on ${opts.healthLoad}'s event loop (one 20 MB message injected with the official client) turns its gateway row "degraded" with the gateway's own numbers, shown in Gateway Details; then healthy again; Gateway Details names the slow session store the gateway's log reports, with what to do (18b-health-log-problems.png)`,
      async run({ page, shot, log }) {
        const view = fleetView(page);
        const healthy = await waitForRow(view, new RegExp(`^${opts.healthLoad} connected`), 30_000);
        if (/degraded/.test(healthy)) log(`already degraded before the load: "${healthy}"`);
        // chat.inject needs a session with a transcript: one answered turn first.
        await seedTranscript(seededGateway(opts), { key: 'agent:main:health-load', messages: ['hello'] });
        const oracle = await officialClient(opts, 180_000);
        const started = Date.now();
        // The gateway parses, validates and stores the message on its main thread: seconds of real event-loop load.
        const injected = oracle
          .request(
            'chat.inject',
            { sessionKey: 'agent:main:health-load', message: 'x'.repeat(20_000_000) },
            { timeoutMs: 180_000 },
          )
          .then(
            () => 'stored',
            (e) => `failed: ${e?.message ?? e}`,
          );
        try {
          const degraded = await waitForRow(
            view,
            new RegExp(`^${opts.healthLoad} connected.*degraded: event loop \\d+% busy`),
            90_000,
          );
          log(`${((Date.now() - started) / 1000).toFixed(1)} s after the load began: "${degraded}"`);
          await shot('17-health-degraded-row.png');
          // Several gateways are configured: the command asks which one.
          await runCommand(page, 'Lanewatch: Show Gateway Details', {
            placeholderEnd: 'of which gateway?',
            item: opts.healthLoad,
          });
          const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
          const section = frame.locator('section', { hasText: 'Gateway process' }).first();
          await section.waitFor({ timeout: 30000 });
          await section.locator('table tr').nth(2).waitFor({ timeout: 30000 });
          await section.locator('table').scrollIntoViewIfNeeded();
          await shot('18-health-details.png');
          log(`injection ${await injected}`);
          const back = await waitForRow(view, new RegExp(`^${opts.healthLoad} connected(?!.*degraded)`), 90_000);
          log(`healthy again ${((Date.now() - started) / 1000).toFixed(1)} s after the load began: "${back}"`);
          // Loads like this one (and the seeding before it, on a busy machine) hold the gateway's session store for
          // seconds, which its log says ("slow SQLite …"): the open panel is redrawn when a log read brings it, with
          // what to do. health.test checks the count against the gateway's own log file.
          const logProblem = frame.locator('p.problem', { hasText: 'In its log, the last 10 min' }).first();
          await logProblem.waitFor({ timeout: 60_000 });
          const said = (await logProblem.textContent()) ?? '';
          if (!/its session store \(SQLite\) was slow to lock, (once|\d+ times), last at /.test(said))
            throw new Error(`Gateway Details says: "${said}"`);
          const advice = frame.locator('ul.advice li', { hasText: 'openclaw doctor --session-sqlite inspect' }).first();
          await advice.waitFor({ timeout: 5_000 });
          await logProblem.evaluate((e) => e.scrollIntoView({ block: 'start' }));
          await shot('18b-health-log-problems.png');
          log(`Gateway Details: "${said}"`);
        } catch (err) {
          log(`injection ${await injected}`);
          throw err;
        } finally {
          await injected;
          await oracle.close();
        }
      },
    });
  }
  if (opts.healthLoad) {
    list.push({
      name: `"Capture Gateway CPU Profile…" on ${opts.healthLoad} opens the profile in VS Code's own profile viewer`,
      async run({ page, shot, log }) {
        await page.keyboard.press('Escape');
        await runCommand(page, 'Lanewatch: Capture Gateway CPU Profile', {
          placeholderEnd: 'of which gateway?',
          item: opts.healthLoad,
        });
        const started = Date.now();
        // The gateway records 5 s; the saved file opens in an editor tab named after it.
        const tab = page.locator('.tabs-container .tab', { hasText: '.cpuprofile' }).first();
        await tab.waitFor({ timeout: 60000 });
        log(
          `profile tab "${(await tab.textContent())?.trim()}" ${((Date.now() - started) / 1000).toFixed(1)} s after the command`,
        );
        await page.mouse.move(1200, 700);
        await shot('19-cpu-profile.png');
      },
    });
  }
  if (opts.scheduler) {
    const gw = opts.scheduler;
    const parentLabel = PARENT_KEY.split(':').slice(2).join(':');
    list.push({
      name: `on ${gw}, ${parentLabel} waits on its hung subagent: its row says "waiting on <subagent>", and opened it shows the subagent under it, its run active as the official client reads it (20-parent-with-subagent.png)`,
      independent: true,
      async run({ page, shot, log }) {
        // The tree beside nothing else in these screenshots: the editors the checks before opened closed, their
        // notifications cleared.
        await page.keyboard.press('Escape');
        await runCommand(page, 'View: Close All Editors');
        await runCommand(page, 'Notifications: Clear All Notifications');
        await page.mouse.move(1200, 700);
        const view = fleetView(page);
        const oracle = await officialClient(opts);
        try {
          const family = async () => {
            const rows = (await oracle.request('sessions.list', {})).sessions ?? [];
            const parent = rows.find((r) => r.key === PARENT_KEY);
            return { parent, child: rows.find((r) => r.key === parent?.childSessions?.[0]) };
          };
          const { parent, child } = await family();
          if (!child)
            throw new Error(
              `the official client lists no subagent of ${PARENT_KEY} (childSessions ${JSON.stringify(parent?.childSessions ?? null)})`,
            );
          const childLabel = child.label || child.key.split(':').slice(2).join(':');
          const top = await waitForRow(
            view,
            new RegExp(`^${escapeRe(parentLabel)} waiting on ${escapeRe(childLabel)}\\b`),
            30_000,
          );
          const parentRow = rowLabelled(page, parentLabel);
          await expandRow(parentRow);
          // Opened, the subagent is its row's one child: its own label, its own lane status (a run at work).
          const kids = await childRowsUntil(
            page,
            parentLabel,
            (k) =>
              k.length === 1 &&
              k[0].label === childLabel &&
              /\b(running|no progress for|stalled|stuck)\b/.test(k[0].text),
            15_000,
          );
          log(`parent "${top}"; under it: ${JSON.stringify(kids.map((k) => k.text))}`);
          // The gateway's own rows, read now: the subagent names the parent and is still at work; the parent has no
          // run of its own (it waits).
          const now = await family();
          if (
            now.child?.key !== child.key ||
            now.child.parentSessionKey !== PARENT_KEY ||
            now.child.hasActiveRun !== true
          )
            throw new Error(
              `the tree shows ${childLabel} at work under ${parentLabel}, but the official client reads ${JSON.stringify({ key: now.child?.key, parentSessionKey: now.child?.parentSessionKey, hasActiveRun: now.child?.hasActiveRun })}`,
            );
          if (now.parent.hasActiveRun !== false)
            throw new Error(
              `the official client reads a run of ${PARENT_KEY} itself (hasActiveRun ${now.parent.hasActiveRun})`,
            );
          log(
            `the official client reads ${child.key}: parentSessionKey ${now.child.parentSessionKey}, hasActiveRun ${now.child.hasActiveRun}; ${PARENT_KEY}: status ${now.parent.status}, hasActiveRun ${now.parent.hasActiveRun}, hasActiveSubagentRun ${now.parent.hasActiveSubagentRun}`,
          );
          await page.mouse.move(1200, 700);
          await shot('20-parent-with-subagent.png');
        } finally {
          await oracle.close();
        }
      },
    });
    list.push({
      name: `on ${gw}, "Cron jobs" opened lists the seeded jobs as the scheduler reads them: "${DEMO_CRON.hung}" overdue (its slot long past while its hung run holds it), "${DEMO_CRON.hourly}" with its next run, "${DEMO_CRON.paused}" disabled (21-cron-jobs.png)`,
      independent: true,
      async run({ page, shot, log }) {
        const oracle = await officialClient(opts);
        try {
          const jobs = (await oracle.request('cron.list', { includeDisabled: true })).jobs ?? [];
          const job = (name) => {
            const j = jobs.find((x) => x.name === name);
            if (!j)
              throw new Error(
                `the official client lists no cron job "${name}": ${JSON.stringify(jobs.map((x) => x.name))}`,
              );
            return j;
          };
          const hung = job(DEMO_CRON.hung),
            hourly = job(DEMO_CRON.hourly),
            paused = job(DEMO_CRON.paused);
          // The scheduler's word on each: the hung job enabled, its run going, its next slot long past (Lanewatch calls a
          // slot more than 30 s past overdue); the hourly job's next run ahead; the paused job disabled.
          const pastMs = Date.now() - hung.state?.nextRunAtMs;
          log(
            `the official client reads "${hung.name}": enabled ${hung.enabled}, running since ${hung.state?.runningAtMs}, next run ${(pastMs / 1000).toFixed(0)} s ago; "${hourly.name}": next run in ${((hourly.state?.nextRunAtMs - Date.now()) / 60000).toFixed(0)} min; "${paused.name}": enabled ${paused.enabled}`,
          );
          if (!hung.enabled || hung.state?.runningAtMs === undefined || !(pastMs > 35_000))
            throw new Error(
              `"${hung.name}" is not an enabled job held by a run with its slot long past: ${JSON.stringify(hung.state)}`,
            );
          if (!(hourly.enabled && hourly.state?.nextRunAtMs > Date.now()))
            throw new Error(`"${hourly.name}" has no next run ahead: ${JSON.stringify(hourly.state)}`);
          if (paused.enabled !== false) throw new Error(`"${paused.name}" is enabled`);
          const attention = jobs.filter((j) => j.enabled && Date.now() - j.state?.nextRunAtMs > 35_000).length;
          const root = rowLabelled(page, 'Cron jobs');
          await expandRow(root);
          const rootText = await waitForRow(
            fleetView(page),
            new RegExp(`^Cron jobs ${jobs.length} jobs · ${attention} needs? attention\\b`),
            20_000,
          );
          const kids = await childRowsUntil(
            page,
            'Cron jobs',
            (k) =>
              /^overdue\b/.test(k.find((x) => x.label === DEMO_CRON.hung)?.description ?? '') &&
              /\bnext in \d+m\b/.test(k.find((x) => x.label === DEMO_CRON.hourly)?.description ?? '') &&
              /^disabled\b/.test(k.find((x) => x.label === DEMO_CRON.paused)?.description ?? ''),
            20_000,
          );
          log(`"${rootText}"; jobs: ${JSON.stringify(kids.map((k) => `${k.label}: ${k.description}`))}`);
          if (kids[0].label !== DEMO_CRON.hung)
            throw new Error(`the job needing attention is not listed first: ${kids[0].label}`);
          await page.mouse.move(1200, 700);
          await shot('21-cron-jobs.png');
        } finally {
          await oracle.close();
        }
      },
    });
    list.push({
      name: `on ${gw}, "Tasks" opened shows the hung subagent's result owed to ${parentLabel}, as the task ledger reads it (22-tasks.png)`,
      independent: true,
      async run({ page, shot, log }) {
        const oracle = await officialClient(opts);
        try {
          const tasks = (await oracle.request('tasks.list', {})).tasks ?? [];
          const owed = tasks.filter((t) =>
            ['pending', 'session_queued', 'failed', 'parent_missing'].includes(t.deliveryStatus),
          );
          const task = owed.find((t) => t.sessionKey === PARENT_KEY && t.runtime === 'subagent');
          if (!task)
            throw new Error(
              `the ledger owes ${PARENT_KEY} no subagent result: ${JSON.stringify(tasks.map((t) => [t.title, t.status, t.deliveryStatus, t.sessionKey]))}`,
            );
          log(
            `the official client reads task "${task.title}": status ${task.status}, delivery ${task.deliveryStatus}, owed to ${task.sessionKey}; ${owed.length} owed in all`,
          );
          await expandRow(rowLabelled(page, 'Tasks'));
          const rootText = await waitForRow(
            fleetView(page),
            new RegExp(`^Tasks ${owed.length} undelivered · \\d+ active`),
            20_000,
          );
          const group = rowLabelled(page, PARENT_KEY);
          await expandRow(group);
          const kids = await childRowsUntil(
            page,
            PARENT_KEY,
            (k) => k.some((x) => x.label === task.title && /^pending\b/.test(x.description)),
            15_000,
          );
          log(
            `"${rootText}"; owed to ${PARENT_KEY}: ${JSON.stringify(kids.map((k) => `${k.label}: ${k.description}`))}`,
          );
          await page.mouse.move(1200, 700);
          await shot('22-tasks.png');
        } finally {
          await oracle.close();
        }
      },
    });
    list.push({
      name: `"Disable Cron Job…" from the context menu of "${DEMO_CRON.hung}" asks first; confirmed, the row reads disabled and the official client reads the job disabled with no next run (23-cron-disable-confirm.png, 24-cron-disabled.png)`,
      independent: true,
      async run({ page, shot, log }) {
        await expandRow(rowLabelled(page, 'Cron jobs'));
        const row = rowLabelled(page, DEMO_CRON.hung);
        await row.waitFor({ timeout: 20_000 });
        await fromContextMenu(page, row, 'Disable Cron Job');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ timeout: 10000 });
        const dialogText = ((await dialog.textContent()) ?? '').replace(/\s+/g, ' ');
        log(`the question: "${dialogText.slice(0, 300)}"`);
        if (!dialogText.includes(DEMO_CRON.hung) || !/stops firing/.test(dialogText))
          throw new Error(`the question does not name the job and say what will happen: ${dialogText}`);
        await shot('23-cron-disable-confirm.png');
        await dialog.locator('.monaco-button', { hasText: /^Disable$/ }).click();
        await dialog.waitFor({ state: 'detached', timeout: 10000 });
        const hit = await waitForRow(fleetView(page), new RegExp(`^${escapeRe(DEMO_CRON.hung)} disabled\\b`), 15_000);
        // The verdict's notification (not the progress one, which names the job too).
        const toast = page.locator('.notification-toast', { hasText: `Disabled ${DEMO_CRON.hung}:` }).first();
        await toast.waitFor({ timeout: 60_000 });
        const toastText = ((await toast.locator('.notification-list-item-message').textContent()) ?? '').trim();
        log(`notification "${toastText.slice(0, 300)}"; row "${hit}"`);
        const oracle = await officialClient(opts);
        try {
          const job = ((await oracle.request('cron.list', { includeDisabled: true })).jobs ?? []).find(
            (j) => j.name === DEMO_CRON.hung,
          );
          // The job's session row, for the record: the scheduler says it stops the run that was going.
          const cronRow = ((await oracle.request('sessions.list', {})).sessions ?? []).find(
            (r) => r.key === `agent:main:cron:${job?.id}`,
          );
          log(
            `the official client reads "${job?.name}": enabled ${job?.enabled}, next run ${job?.state?.nextRunAtMs}; its session ${cronRow?.key}: status ${cronRow?.status}, hasActiveRun ${cronRow?.hasActiveRun}`,
          );
          if (job?.enabled !== false || job.state?.nextRunAtMs !== undefined)
            throw new Error(
              `the row reads "${hit}", but the official client reads the job ${JSON.stringify({ enabled: job?.enabled, state: job?.state })}`,
            );
          // Its session row is no zombie: the gateway lists it with no run (and, on 2026.9.6, no status at all).
          if (cronRow && cronRow.hasActiveRun !== true) {
            const sessionRow = await waitForRow(
              fleetView(page),
              new RegExp(`^Automation: ${escapeRe(DEMO_CRON.hung)} (idle|queued)\\b`),
              15_000,
            );
            log(`its session row: "${sessionRow}"`);
          }
        } finally {
          await oracle.close();
        }
        await page.mouse.move(1200, 700);
        await shot('24-cron-disabled.png');
      },
    });
  }
  if (opts.pairingRow) {
    const gw = opts.pairingRow;
    const cli = opts.pairingCli;
    /** The request the gateway holds for Lanewatch's device, read by its own CLI (set by the first check). */
    let request;
    list.push({
      name: `"${gw}", a gateway on another host (its own network namespace, wss:// pinned), reads "waiting for pairing approval"; opened, its fix row names the exact "openclaw devices approve <id>" of the one request the gateway holds, as its own openclaw CLI on the gateway host lists it (25-pairing-row.png)`,
      independent: true,
      async run({ page, shot, log }) {
        await page.keyboard.press('Escape');
        await runCommand(page, 'View: Close All Editors');
        await runCommand(page, 'Notifications: Clear All Notifications');
        await page.mouse.move(1200, 700);
        const view = fleetView(page);
        // The fleet at a glance for the screenshot: the tree scrolled to its top, the connected gateways closed (the
        // seeded one's sessions would push the remote gateway out of view), the broken ones left open on their fixes.
        await view.hover();
        await page.mouse.wheel(0, -100_000);
        const rows = await rowTexts(view);
        for (const { name } of opts.settings?.['lanewatch.gateways'] ?? [])
          if (name !== gw && rows.some((t) => t.startsWith(`${name} connected`)))
            await collapseRow(rowLabelled(page, name));
        const row = rowLabelled(page, gw);
        await expandRow(row);
        const waiting = await waitForRow(
          view,
          new RegExp(`^${escapeRe(gw)} waiting for pairing approval · retry in \\d+s\\b`),
          60_000,
        );
        // The gateway's own word on who waits: Lanewatch's device, one request, nothing of it paired yet.
        const before = await pairingState(cli);
        log(
          `the gateway host's openclaw devices list: pending ${JSON.stringify(before.pending.map((d) => ({ requestId: d.requestId, scopes: d.scopes, remoteIp: d.remoteIp, displayName: d.displayName })))}; paired ${before.paired.length}`,
        );
        if (before.pending.length !== 1 || before.paired.length)
          throw new Error(
            `the tree reads "${waiting}", but the gateway holds ${before.pending.length} request(s) of Lanewatch's client and ${before.paired.length} paired device(s) of it`,
          );
        request = before.pending[0];
        const fix = `Approve pairing: openclaw devices approve ${request.requestId}`;
        // The id of a request the device supersedes (new details) changes: the row must name the one held now.
        const kids = await childRowsUntil(page, gw, (k) => k.some((x) => x.label === fix), 15_000).catch((e) => {
          throw new Error(`${e.message}; the gateway holds request ${request.requestId}`);
        });
        log(`row "${waiting}"; under it: ${JSON.stringify(kids.map((k) => k.text))}`);
        // The command is read off the row: wide enough, its id is not cut (the side bar back to its width after).
        const width = await setSidebarWidth(page, defaultSidebarWidth + 420);
        try {
          const seen = await visibleSiblingRows(page, request.requestId);
          const fixRow = seen.rows?.find((r) => r.label.full.trim() === fix);
          log(`side bar ${width} px: the fix row reads "${fixRow?.label.text}"`);
          if (!fixRow || fixRow.label.cut)
            throw new Error(`at ${width} px the fix row reads "${fixRow?.label.text}" ${seen.error ?? ''}`);
          await page.mouse.move(1200, 700);
          await shot('25-pairing-row.png');
        } finally {
          await setSidebarWidth(page, defaultSidebarWidth + 320);
        }
      },
    });
    list.push({
      name: `hovering "${gw}" shows why it waits and the same "openclaw devices approve <id>" to run on the gateway host (26-pairing-tooltip.png)`,
      async run({ page, shot, log }) {
        const approve = `On the gateway host run: openclaw devices approve ${request.requestId}.`;
        const { tries, hover } = await hoverUntilTooltip(page, gw, {
          tip: 'waiting for pairing approval',
          row: rowLabelled(page, gw),
        });
        const tip = ((await hover.textContent()) ?? '').replace(/\s+/g, ' ').trim();
        log(`tooltip shown on hover ${tries}: "${tip.slice(0, 400)}"`);
        if (!tip.includes(approve)) throw new Error(`the tooltip does not say "${approve}": "${tip}"`);
        await shot('26-pairing-tooltip.png');
        await page.mouse.move(1200, 700);
      },
    });
    list.push({
      name: `approved with the real openclaw CLI on the gateway host, "${gw}" turns connected by itself at the retry its row announced, the gateway lists Lanewatch's device paired read-only, and the status bar counts one gateway less offline (27-pairing-approved.png)`,
      async run({ page, shot, log }) {
        const view = fleetView(page);
        const statusBar = () =>
          page.locator('.part.statusbar [aria-label^="Lanewatch:"]').first().getAttribute('aria-label');
        const offline = (label) => /(\d+) of \d+ gateways offline/.exec(label ?? '')?.[1];
        const barBefore = await statusBar();
        const rowBefore = (await rowTexts(view)).find((t) => t.startsWith(`${gw} `)) ?? '';
        const retryS = Number(/retry in (\d+)s/.exec(rowBefore)?.[1]);
        const approved = await gatewayHostCli(cli, ['devices', 'approve', request.requestId, '--json']);
        const approvedAt = Date.now();
        if (approved.code !== 0)
          throw new Error(
            `openclaw devices approve ${request.requestId} on the gateway host: exit ${approved.code}: ${(approved.stdout + approved.stderr).trim().slice(0, 300)}`,
          );
        const after = await pairingState(cli);
        const paired = after.paired.find((d) => d.deviceId === request.deviceId);
        log(
          `approved; the gateway host lists pending ${after.pending.length}, paired ${JSON.stringify(after.paired.map((d) => ({ deviceId: d.deviceId.slice(0, 12), scopes: d.scopes })))}`,
        );
        if (after.pending.length || JSON.stringify(paired?.scopes) !== '["operator.read"]')
          throw new Error(`after the approval the gateway lists ${JSON.stringify(after)}`);
        // Nothing pressed in VS Code: the tree's own retry (every 30 s while it waits for approval) picks it up.
        const connected = await waitForRow(
          view,
          new RegExp(`^${escapeRe(gw)} connected · openclaw `),
          (Number.isFinite(retryS) ? retryS : 30) * 1000 + 20_000,
        );
        const tookS = (Date.now() - approvedAt) / 1000;
        // The summary counts the gateway back: one fewer offline (the words go once none is).
        const want = Number(offline(barBefore)) - 1;
        const barAfter = await page
          .waitForFunction(
            (n) => {
              const text = document
                .querySelector('.part.statusbar [aria-label^="Lanewatch:"]')
                ?.getAttribute('aria-label');
              const m = /(\d+) of \d+ gateways offline/.exec(text ?? '');
              return text && Number(m?.[1] ?? 0) === n ? text : false;
            },
            want,
            { timeout: 10_000, polling: 250 },
          )
          .then((h) => h.jsonValue())
          .catch(async () => {
            throw new Error(
              `"${gw}" reads connected, but the status bar still says "${await statusBar()}" (was "${barBefore}")`,
            );
          });
        log(
          `row "${rowBefore}" → "${connected}" ${tookS.toFixed(1)} s after the approval (the row had said retry in ${retryS}s); status bar "${barBefore}" → "${barAfter}"`,
        );
        // What it shows connected is that gateway's own: its Cron jobs count as its own CLI lists them.
        const cron = await gatewayHostCli(cli, ['cron', 'list', '--all', '--json']);
        if (cron.code !== 0)
          throw new Error(
            `openclaw cron list on the gateway host: exit ${cron.code}: ${cron.stderr.trim().slice(0, 300)}`,
          );
        const parsedCron = JSON.parse(cron.stdout);
        const jobs = Array.isArray(parsedCron) ? parsedCron : (parsedCron.jobs ?? []);
        // Its description once the scheduler is read ("3 jobs", "scheduler off · 0 jobs").
        const isRead = (x) => x.label === 'Cron jobs' && /\bjobs?\b/.test(x.description);
        const cronRoot = (await childRowsUntil(page, gw, (k) => k.some(isRead), 15_000)).find(isRead);
        log(
          `under ${gw}: "${cronRoot.text}"; its own openclaw cron list --all: ${jobs.length} job(s) ${JSON.stringify(jobs.map((j) => j.name))}`,
        );
        if (!new RegExp(`(?:^|· )${jobs.length} jobs?\\b`).test(cronRoot.description))
          throw new Error(`under ${gw} the tree reads "${cronRoot.text}", its own CLI lists ${jobs.length} job(s)`);
        await page.mouse.move(1200, 700);
        await shot('27-pairing-approved.png');
      },
    });
  }
  list.push({
    name: "the notifications Lanewatch showed are in an operator's words: no RPC method name, no id in UUID form",
    independent: true,
    async run({ page, log }) {
      const texts = await page.evaluate(() => [...(window.__lanewatchNotifications ?? [])]);
      // RPC names are "<family>.<method>" of the gateway's API (sessions.abort, chat.send, logs.tail, …); those and
      // lifecycle ids belong in "Show Log" / the output channel, not in what a person reads first.
      const rpc =
        /\b(?:sessions|chat|agents|logs|diagnostics|gateway|cron|tasks|node|config|health|models|skills|usage)\.[a-z][A-Za-z]*\b/;
      const uuid = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i;
      const ours = texts.filter((t) => /lanewatch|recover|abort|gateway|session/i.test(t));
      log(`${ours.length} Lanewatch notification(s) seen of ${texts.length}`);
      const bad = ours.filter((t) => rpc.test(t) || uuid.test(t));
      if (!ours.length) throw new Error('no Lanewatch notification was seen: the check would prove nothing');
      if (bad.length)
        throw new Error(
          `${bad.length} notification(s) with an RPC name or a UUID: ${bad.map((t) => JSON.stringify(t.slice(0, 300))).join(' | ')}`,
        );
    },
  });
  list.push({
    name: 'the workbench logged no error from Lanewatch (manifest, activation, commands, webviews)',
    independent: true,
    async run({ pageErrors }) {
      // VS Code reports manifest mistakes (a menu item naming an undeclared command, a bad setting schema) and
      // extension-host errors on the page console, tagged with the extension id.
      const ours = pageErrors.filter((e) => /lanewatch/i.test(e));
      if (ours.length) throw new Error(`${ours.length} error(s): ${[...new Set(ours)].slice(0, 5).join(' | ')}`);
    },
  });
  return list;
}

/**
 * @param {object} o
 * @param {string} o.vsix  @param {string} o.shots  @param {string} o.workspace
 * @param {object} [o.settings]  @param {object} [o.env]  @param {RegExp[]} [o.expectRows]  @param {number} [o.timeoutMs]
 * @param {(opts)=>Array} [o.steps]  override the check list
 * @returns {Promise<{passed:number, failed:number, results:Array<{name:string, ok:boolean, error?:string, ms:number}>}>}
 */
export async function runUiTests({
  vsix,
  shots,
  workspace,
  settings = {},
  env = {},
  expectRows = [],
  expectStatusBar,
  openLogs,
  openTranscript,
  expectTranscript,
  recoverRow,
  recoverExpect,
  recoverToast,
  recoverWithinMs,
  hoverRow,
  noProgressRow,
  walkthrough,
  healthLoad,
  ageTicks,
  toggleIdle,
  openDetails,
  hostileTranscript,
  scheduler,
  pairingRow,
  pairingCli,
  timeoutMs = 180000,
  steps: makeSteps = steps,
}) {
  const started = Date.now();
  shots = path.resolve(shots);
  mkdirSync(shots, { recursive: true });
  for (const f of readdirSync(shots)) if (/\.(png|log)$/.test(f)) rmSync(path.join(shots, f), { force: true }); // no stale artifacts
  const opts = {
    vsix,
    shots,
    workspace,
    settings,
    env,
    expectRows,
    expectStatusBar,
    openLogs,
    openTranscript,
    expectTranscript,
    recoverRow,
    recoverExpect,
    recoverToast,
    recoverWithinMs,
    hoverRow,
    noProgressRow,
    walkthrough,
    healthLoad,
    ageTicks,
    toggleIdle,
    openDetails,
    hostileTranscript,
    scheduler,
    pairingRow,
    pairingCli,
    timeoutMs,
  };
  // Unless told: the scheduler, family and task checks wherever the seeded gateway has what the seed puts there.
  if (opts.scheduler === undefined) opts.scheduler = await schedulerGateway(opts);
  const list = makeSteps(opts);
  const results = [];
  const report = (name, ok, extra = '') => {
    console.log(`${ok ? 'ok' : 'not ok'} - ${name}${extra}`);
  };

  let server, browser, page, deadlineTimer;
  const pageErrors = [];
  let cleaning;
  // Memoized: the signal handler and `finally` may both call it; both wait for the one teardown.
  const cleanup = () =>
    (cleaning ??= (async () => {
      clearTimeout(deadlineTimer);
      await browser?.close().catch(() => {});
      await server?.stop();
    })());
  const removeSignals = onSignals(cleanup);
  const deadline = new Promise((_, reject) => {
    deadlineTimer = setTimeout(() => reject(new Error(`overall timeout of ${timeoutMs} ms reached`)), timeoutMs);
  });
  deadline.catch(() => {});
  const withDeadline = (p) => Promise.race([p, deadline]);

  let failedAt = -1;
  const fail = async (name, e, ms) => {
    const msg = String(e?.message ?? e)
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .slice(0, 6)
      .join('\n');
    results.push({ name, ok: false, error: msg, ms });
    report(name, false);
    console.log(
      msg
        .split('\n')
        .map((l) => `  # ${l}`)
        .join('\n'),
    );
    if (page) await page.screenshot({ path: path.join(shots, 'failure.png'), timeout: 10000 }).catch(() => {});
  };

  try {
    const setup = async () => {
      server = await startCodeServer({ workspace, settings, env, installVsix: vsix });
      browser = await launchChromium(server);
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
      });
      await blockExternal(page, server.url);
      await page.goto(server.workbenchUrl(), { timeout: 60000 });
    };
    const t = Date.now(),
      setupName = 'install the VSIX, start code-server, open the workbench';
    try {
      await withDeadline(setup());
      results.push({ name: setupName, ok: true, ms: Date.now() - t });
      report(setupName, true);
      log(`${setupName}: ${Date.now() - t} ms`);
    } catch (e) {
      await fail(setupName, e, Date.now() - t);
      failedAt = 0;
    }
    const ctx = {
      page,
      server,
      opts,
      pageErrors,
      shot: (name) => page.screenshot({ path: path.join(shots, name) }),
      log: (m) => console.log(`# ${m}`),
      remainingMs: () => timeoutMs - (Date.now() - started),
    };
    for (const [i, step] of list.entries()) {
      if (failedAt >= 0 && !step.independent) {
        results.push({ name: step.name, ok: false, error: 'skipped', ms: 0 });
        report(step.name, false, ' # skipped (an earlier check failed)');
        continue;
      }
      const ts = Date.now();
      try {
        await withDeadline(step.run(ctx));
        results.push({ name: step.name, ok: true, ms: Date.now() - ts });
        report(step.name, true);
        log(`${step.name}: ${Date.now() - ts} ms`);
      } catch (e) {
        await fail(step.name, e, Date.now() - ts);
        if (failedAt < 0) failedAt = i;
      }
    }
  } finally {
    if (pageErrors.length) writeFileSync(path.join(shots, 'page-errors.log'), pageErrors.join('\n') + '\n');
    await cleanup();
    removeSignals();
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(`UI run ${Date.now() - started} ms`);
  return { passed, failed, results };
}

async function main() {
  const { values } = parseArgs({
    options: {
      vsix: { type: 'string' },
      shots: { type: 'string', default: 'test-results/ui' },
      workspace: { type: 'string' },
      settings: { type: 'string' },
      'expect-row': { type: 'string', multiple: true, default: [] },
      'hover-row': { type: 'string' },
      'no-progress-row': { type: 'string' },
      walkthrough: { type: 'boolean' },
      'health-load': { type: 'string' },
      'expect-status-bar': { type: 'string' },
      'open-logs': { type: 'string' },
      'recover-row': { type: 'string' },
      'open-transcript': { type: 'string' },
      'expect-transcript': { type: 'string' },
      'recover-expect': { type: 'string' },
      'recover-toast': { type: 'string' },
      'recover-within-ms': { type: 'string' },
      'toggle-idle': { type: 'string' },
      'age-ticks': { type: 'string' },
      'open-details': { type: 'string' },
      'hostile-transcript': { type: 'string' },
      scheduler: { type: 'string' },
      'pairing-row': { type: 'string' },
      'pairing-cli': { type: 'string' },
      'timeout-ms': { type: 'string', default: '180000' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.vsix || !values.workspace) {
    console.error(
      'usage: node test/ui/run-ui-tests.mjs --vsix lanewatch.vsix --shots test-results/ui --workspace DIR [--settings JSON] [--expect-row REGEX]... [--timeout-ms N]',
    );
    return values.help ? 0 : 2;
  }
  if (!values['pairing-row'] !== !values['pairing-cli']) {
    console.error(
      '--pairing-row and --pairing-cli go together (the row to check, the script that runs openclaw on its host)',
    );
    return 2;
  }
  let settings = {};
  if (values.settings) {
    try {
      settings = JSON.parse(values.settings);
    } catch (e) {
      console.error(`--settings is not JSON: ${e.message}`);
      return 2;
    }
  }
  let expectRows;
  try {
    expectRows = values['expect-row'].map(toRegExp);
  } catch (e) {
    console.error(`--expect-row: ${e.message}`);
    return 2;
  }
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    console.error('--timeout-ms must be a positive number');
    return 2;
  }
  // Backstop: never outlive the deadline by much, whatever hangs (the 'exit' hook kills our process groups).
  setTimeout(() => {
    console.log('not ok - hard deadline reached\n0 passed, 1 failed');
    process.exit(1);
  }, timeoutMs + 60000).unref();

  const { passed, failed } = await runUiTests({
    vsix: values.vsix,
    shots: values.shots,
    workspace: values.workspace,
    settings,
    expectRows,
    expectStatusBar: values['expect-status-bar'] ? toRegExp(values['expect-status-bar']) : undefined,
    openLogs: values['open-logs'],
    recoverRow: values['recover-row'],
    openTranscript: values['open-transcript'],
    expectTranscript: values['expect-transcript'] ? toRegExp(values['expect-transcript']) : undefined,
    recoverExpect: values['recover-expect'],
    recoverToast: values['recover-toast'],
    recoverWithinMs: values['recover-within-ms'] ? Number(values['recover-within-ms']) : undefined,
    hoverRow: values['hover-row'],
    noProgressRow: values['no-progress-row'],
    walkthrough: values.walkthrough,
    healthLoad: values['health-load'],
    ageTicks: values['age-ticks'],
    toggleIdle: values['toggle-idle'],
    openDetails: values['open-details'],
    hostileTranscript: values['hostile-transcript'],
    scheduler: values.scheduler === '' ? null : values.scheduler,
    pairingRow: values['pairing-row'],
    pairingCli: values['pairing-cli'],
    timeoutMs,
  });
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (c) => process.exit(c),
    (e) => {
      console.error(e?.stack ?? e);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
