// Gateway details panel: the connection as the user needs to diagnose it (state, reason, what to do,
// handshake phases with timings). All text from the gateway is set with textContent, never as HTML.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import { connectToHost } from '../shared/host';
import { GATEWAY_DETAILS, type GatewayDetailsView } from '../../src/protocol/webviewMessages';

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
  host.report({
    rendered: d.name,
    state: d.state,
    buttons: actions.children.length,
    badgeUpgraded: !!customElements.get('vscode-badge'),
  });
}

host.onMessage({ 'gatewayDetails/details': (msg) => render(msg.details) });
host.ready();
