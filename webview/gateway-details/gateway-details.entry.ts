// Gateway details panel: the connection as the user needs to diagnose it (state, reason, what to do,
// handshake phases with timings). All text from the gateway is set with textContent, never as HTML.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import { connectToHost } from '../shared/host';
import {
  GATEWAY_DETAILS,
  type GatewayDetailsView,
  type GatewayHealthView,
  type HealthPointView,
} from '../../src/protocol/webviewMessages';

const host = connectToHost(GATEWAY_DETAILS);
const app = document.getElementById('app')!;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function icon(name: string): HTMLElement {
  const i = document.createElement('vscode-icon');
  i.setAttribute('name', name);
  return i;
}

// ---- process health: the verdict, the latest numbers, the last minutes as text sparklines and a table.
const healthBox = el('section', undefined, 'health');
healthBox.id = 'health';
let lastHealth: GatewayHealthView | undefined;
/** The page's DOM facts (tests read them): one report holds both the details' and the health section's. */
let detailsFacts: Record<string, unknown> = {};
let healthFacts: Record<string, unknown> = {};

const BARS = '▁▂▃▄▅▆▇█';
/** One character per sample, its height the value over `max`; degraded samples marked. Text only. */
function sparkline(points: readonly HealthPointView[], value: (p: HealthPointView) => number | undefined, max: number) {
  const line = el('span', undefined, 'spark');
  for (const p of points) {
    const v = value(p);
    const c =
      v === undefined
        ? ' '
        : BARS[Math.min(BARS.length - 1, Math.max(0, Math.round((v / (max || 1)) * (BARS.length - 1))))];
    line.append(el('span', c, p.degraded ? 'bad' : undefined));
  }
  return line;
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`);
const fmtBytes = (n: number) =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${Math.round(n / 1024 ** 2)} MB`;

function renderHealth(h: GatewayHealthView | undefined): void {
  lastHealth = h;
  healthBox.replaceChildren();
  if (!h) return;
  healthBox.append(el('h2', 'Gateway process'));
  healthBox.append(el('p', h.headline, h.state === 'degraded' ? 'problem' : h.state === 'ok' ? 'ok' : 'muted'));
  const facts = el('dl', undefined, 'facts');
  for (const [k, v] of h.current) facts.append(el('dt', k), el('dd', v));
  healthBox.append(facts);
  const shown = h.facts.filter((f) => f.degrades || h.state !== 'degraded');
  if (shown.length) {
    const why = el('ul', undefined, 'why');
    for (const f of shown) {
      const li = el('li', f.text);
      li.title = `rule: ${f.rule}`;
      why.append(li);
    }
    healthBox.append(why);
  }
  const pts = h.history.slice(-120);
  if (pts.length > 1) {
    healthBox.append(el('h3', `Last ${h.historyMinutes} minutes (${h.history.length} reads; degraded reads marked)`));
    const grid = el('div', undefined, 'sparks');
    const max = (f: (p: HealthPointView) => number | undefined, floor: number) =>
      Math.max(floor, ...pts.map((p) => f(p) ?? 0));
    const row = (label: string, f: (p: HealthPointView) => number | undefined, top: number, topText: string) => {
      grid.append(el('span', label, 'muted'), sparkline(pts, f, top), el('span', `scale ${topText}`, 'muted'));
    };
    row('event loop busy', (p) => p.busyPct, 100, '100%');
    const d = max((p) => p.delayMs, 1000);
    row('event-loop delay', (p) => p.delayMs, d, fmtMs(d));
    const c = max((p) => p.cpuCores, 1);
    row('CPU', (p) => p.cpuCores, c, `${c} cores`);
    const a = max((p) => p.answerMs, 1000);
    row('answer time', (p) => p.answerMs, a, fmtMs(a));
    healthBox.append(grid);
    const table = el('table', undefined, 'history');
    const head = el('tr');
    for (const t of ['time', 'busy', 'delay', 'CPU', 'memory', 'answered in', '']) head.append(el('th', t));
    table.append(head);
    for (const p of [...h.history].reverse().slice(0, 10)) {
      const tr = el('tr', undefined, p.degraded ? 'bad' : undefined);
      for (const t of [
        new Date(p.at).toLocaleTimeString(),
        p.busyPct !== undefined ? `${p.busyPct}%` : '–',
        p.delayMs !== undefined ? fmtMs(p.delayMs) : '–',
        p.cpuCores !== undefined ? `${p.cpuCores}` : '–',
        p.rssBytes !== undefined ? fmtBytes(p.rssBytes) : '–',
        fmtMs(p.answerMs),
        p.error ?? (p.degraded ? 'degraded' : ''),
      ])
        tr.append(el('td', t));
      table.append(tr);
    }
    healthBox.append(table);
  }
  healthFacts = { health: h.state, healthHeadline: h.headline, healthPoints: h.history.length };
  host.report({ ...detailsFacts, ...healthFacts });
}

function render(d: GatewayDetailsView): void {
  app.replaceChildren();
  const h1 = el('h1');
  h1.append(
    icon(d.state === 'connected' ? 'vm-running' : d.state === 'connecting' ? 'loading' : 'debug-disconnect'),
    el('span', d.name),
  );
  const badge = document.createElement('vscode-badge');
  badge.textContent = d.state;
  h1.append(badge);
  app.append(h1, el('div', d.url, 'muted'));
  app.append(el('p', d.summary, d.state === 'connected' ? 'ok' : undefined));
  if (d.advice) {
    const p = el('div', undefined, 'problem');
    p.append(
      el('strong', `${d.problemKind ?? 'problem'}${d.closeCode !== undefined ? ` (close ${d.closeCode})` : ''}: `),
      el('span', d.advice),
    );
    app.append(p);
    if (d.diagnosis) app.append(el('div', d.diagnosis, 'muted'));
  }
  if (d.handshake) {
    app.append(el('h2', `Handshake, attempt ${d.handshake.attempt}`));
    const phases = el('div', undefined, 'phases');
    const steps: Array<[string, number | undefined, string]> = [
      ['socket open', d.handshake.socketOpenMs, 'socket'],
      ['challenge', d.handshake.challengeMs, 'challenge'],
      ['connect sent', d.handshake.connectSentMs, 'hello'],
      ['hello-ok', d.handshake.helloMs, 'ready'],
    ];
    for (const [label, ms, phase] of steps) {
      const failed = d.handshake.failedIn === phase || (d.handshake.failedIn === 'hello' && label === 'hello-ok');
      phases.append(
        el(
          'span',
          `${label}: ${ms === undefined ? (failed ? 'failed' : '–') : `${ms} ms`}`,
          `phase${failed ? ' failed' : ''}`,
        ),
      );
    }
    app.append(phases);
  }
  const facts = el('dl', undefined, 'facts');
  const fact = (k: string, v: string | number | undefined) => {
    if (v === undefined || v === '') return;
    facts.append(el('dt', k), el('dd', String(v)));
  };
  fact('server', d.serverVersion ? `openclaw ${d.serverVersion}` : undefined);
  fact('protocol', d.protocol);
  fact('boot id', d.bootId);
  fact('scopes granted', d.scopes.join(', ') || (d.state === 'connected' ? 'none' : undefined));
  fact('scopes not granted', d.missingScopes.join(', '));
  fact('methods advertised', d.methodCount);
  fact('token from', d.tokenSource);
  fact(
    'sessions',
    d.state === 'connected' ? `${d.sessions.total} (${d.sessions.running} with an active run)` : undefined,
  );
  app.append(facts);
  // Gateway text (session labels) in it: set as text, never as markup.
  if (d.gatewayRecovery) app.append(el('p', d.gatewayRecovery, 'problem'));
  if (d.logProblems) {
    app.append(el('p', d.logProblems.text, 'problem'));
    const advice = el('ul', undefined, 'advice');
    for (const a of d.logProblems.advice) advice.append(el('li', a));
    app.append(advice);
  }
  renderHealth(d.health ?? lastHealth);
  app.append(healthBox);
  const actions = el('div', undefined, 'actions');
  const button = (label: string, request: 'gatewayDetails/reconnect' | 'gatewayDetails/showReport') => {
    const b = document.createElement('vscode-button');
    b.textContent = label;
    b.addEventListener('click', () => void host.request(request, {}));
    return b;
  };
  actions.append(
    button('Reconnect now', 'gatewayDetails/reconnect'),
    button('Write report to output', 'gatewayDetails/showReport'),
  );
  app.append(actions);
  detailsFacts = {
    rendered: d.name,
    state: d.state,
    buttons: actions.children.length,
    badgeUpgraded: !!customElements.get('vscode-badge'),
  };
  host.report({ ...detailsFacts, ...healthFacts });
}

host.onMessage({
  'gatewayDetails/details': (msg) => render(msg.details),
  'gatewayDetails/health': (msg) => renderHealth(msg.health),
});
host.ready();
