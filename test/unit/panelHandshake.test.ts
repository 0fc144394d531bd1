// The panel base (src/vscode/panels/webviewPanelBase.ts) on a scripted WebviewPanel: what a panel posts before its
// page said `ready` reaches the page once, in order, after it; a page torn down (hidden) or reloaded gets the whole
// state again instead of what it missed; requests are answered by id; rejected messages and the page's errors are
// logged (the error said once, in plain words), and nothing throws; disposal takes everything registered with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GATEWAY_DETAILS, type GatewayDetailsView } from '../../src/protocol/webviewMessages';
import type { PageRequest } from '../../src/protocol/envelope';
import { MAX_QUEUE, WebviewPanelBase, type PanelServices } from '../../src/vscode/panels/webviewPanelBase';

/** vscode.WebviewPanel, named without importing `vscode` (plain Node tests do not). */
type WebviewPanel = WebviewPanelBase<'gatewayDetails'>['panel'];
type Listener<T> = (e: T) => unknown;
class Emitter<T> {
  private listeners: Array<Listener<T>> = [];
  readonly event = (l: Listener<T>) => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  get size(): number {
    return this.listeners.length;
  }
}

/** A WebviewPanel as VS Code drives it: the page's messages, view-state changes, disposal; what was posted is kept. */
function scriptedPanel() {
  const fromPage = new Emitter<unknown>();
  const viewState = new Emitter<{ webviewPanel: { visible: boolean } }>();
  const disposed = new Emitter<void>();
  const delivered: Array<Record<string, unknown>> = [];
  let disposeCalls = 0;
  const panel = {
    visible: true,
    iconPath: undefined as unknown,
    webview: {
      html: '',
      options: {},
      cspSource: 'vscode-resource:',
      onDidReceiveMessage: fromPage.event,
      postMessage: (m: Record<string, unknown>) => {
        delivered.push(m);
        return Promise.resolve(true);
      },
    },
    onDidChangeViewState: viewState.event,
    onDidDispose: disposed.event,
    dispose: () => {
      disposeCalls++;
      disposed.fire();
    },
  };
  return {
    panel: panel as unknown as WebviewPanel,
    delivered,
    listeners: () => fromPage.size + viewState.size + disposed.size,
    disposeCalls: () => disposeCalls,
    say: (m: unknown) => fromPage.fire(m),
    ready: () => fromPage.fire({ v: 1, panel: 'gatewayDetails', type: 'ready' }),
    setVisible: (visible: boolean) => {
      panel.visible = visible;
      viewState.fire({ webviewPanel: panel });
    },
  };
}

function services() {
  const logged: string[] = [];
  const said: string[] = [];
  const reports: Array<Record<string, unknown>> = [];
  const log = (level: string) => (m: string) => logged.push(`${level}: ${m}`);
  const s: PanelServices = {
    shell: { options: { enableScripts: true }, icon: undefined as never, html: (_w, entry) => `<html>${entry}</html>` },
    output: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } as never,
    notify: (m) => said.push(m),
    onReport: (f) => reports.push(f),
  };
  return { s, logged, said, reports };
}

const details = (state: string) => ({ name: 'gw', state }) as GatewayDetailsView;

class TestPanel extends WebviewPanelBase<'gatewayDetails'> {
  resyncs = 0;
  state = 'a';
  handler: (r: PageRequest<'gatewayDetails'>) => Promise<undefined> = async () => undefined;
  constructor(panel: WebviewPanel, s: PanelServices) {
    super(panel, GATEWAY_DETAILS, s, { entry: 'gateway-details', title: 'Gateway gw', label: 'Gateway details' });
    this._register({ dispose: () => (this.state = 'disposed') });
    this.show('constructor 1');
    this.show('constructor 2');
    this.load();
  }
  show(state: string): void {
    this.post({ type: 'gatewayDetails/details', details: details(state) });
  }
  protected resync(): void {
    this.resyncs++;
    this.show(`resync ${this.state}`);
  }
  protected onRequest(r: PageRequest<'gatewayDetails'>): Promise<undefined> {
    return this.handler(r);
  }
}

const states = (ms: Array<Record<string, unknown>>) =>
  ms.map((m) => (m.type === 'gatewayDetails/details' ? (m.details as GatewayDetailsView).state : m.type));
const flush = () => new Promise((r) => setImmediate(r));

describe('webview panel base', () => {
  it('delivers what was posted before ready once, in order, in the envelope, after ready', () => {
    const p = scriptedPanel();
    const panel = new TestPanel(p.panel, services().s);
    panel.show('before ready');
    assert.equal(p.panel.webview.html, '<html>gateway-details</html>');
    assert.equal(p.delivered.length, 0, 'nothing reaches a page that is not listening yet');
    assert.equal(panel.isReady, false);
    p.ready();
    assert.deepEqual(states(p.delivered), ['constructor 1', 'constructor 2', 'before ready']);
    assert.ok(p.delivered.every((m) => m.v === 1 && m.panel === 'gatewayDetails'));
    assert.equal(panel.resyncs, 0, 'the queue was the whole state: no re-post');
    panel.show('after ready');
    assert.deepEqual(states(p.delivered).slice(3), ['after ready'], 'straight through once ready');
    assert.equal(p.delivered.length, 4, 'each post delivered exactly once');
    panel.dispose();
  });

  it('a page torn down (hidden) or reloaded gets the whole state at its next ready, not what it missed', () => {
    const p = scriptedPanel();
    const panel = new TestPanel(p.panel, services().s);
    p.ready();
    p.delivered.length = 0;
    p.setVisible(false);
    assert.equal(panel.isReady, false);
    panel.state = 'b';
    panel.show('while hidden');
    p.setVisible(true);
    panel.show('shown, page loading');
    assert.equal(p.delivered.length, 0);
    p.ready();
    assert.deepEqual(states(p.delivered), ['resync b'], 'one re-post of the whole state');
    assert.equal(panel.resyncs, 1);
    // A reload without hiding (e.g. Developer: Reload Webviews) says ready again: the new page starts empty.
    p.ready();
    assert.deepEqual(states(p.delivered), ['resync b', 'resync b']);
    panel.dispose();
  });

  it('a queue that grows past its bound before the first ready becomes one re-post of the whole state', () => {
    const p = scriptedPanel();
    const panel = new TestPanel(p.panel, services().s);
    for (let i = 0; i <= MAX_QUEUE; i++) panel.show(`line ${i}`);
    p.ready();
    assert.deepEqual(states(p.delivered), ['resync a']);
    panel.dispose();
  });

  it('answers requests by id (result or error text), logs rejected messages, says a page error once', async () => {
    const p = scriptedPanel();
    const { s, logged, said, reports } = services();
    const panel = new TestPanel(p.panel, s);
    p.ready();
    p.delivered.length = 0;
    const asked: string[] = [];
    panel.handler = async (r) => {
      asked.push(r.type);
      if (r.type === 'gatewayDetails/showReport') throw new Error('no output channel');
      return undefined;
    };
    p.say({ v: 1, panel: 'gatewayDetails', type: 'gatewayDetails/reconnect', id: 5 });
    p.say({ v: 1, panel: 'gatewayDetails', type: 'gatewayDetails/showReport', id: 6 });
    await flush();
    assert.deepEqual(asked, ['gatewayDetails/reconnect', 'gatewayDetails/showReport']);
    assert.deepEqual(p.delivered, [
      { v: 1, panel: 'gatewayDetails', type: 'response', id: 5, ok: true },
      { v: 1, panel: 'gatewayDetails', type: 'response', id: 6, ok: false, error: 'no output channel' },
    ]);
    for (const bad of [
      null,
      'ready',
      { type: 'ready' },
      { v: 1, panel: 'transcript', type: 'ready' },
      { v: 1, panel: 'gatewayDetails', type: 'gatewayDetails/reconnect' },
    ])
      assert.doesNotThrow(() => p.say(bad));
    await flush();
    assert.equal(asked.length, 2, 'a request without an id is not run');
    assert.equal(
      logged.filter((l) => l.startsWith('warn: Gateway details: ignored a message from the page:')).length,
      5,
    );
    assert.ok(logged.some((l) => l.includes('addressed to panel "transcript"')));
    p.say({ v: 1, panel: 'gatewayDetails', type: 'report', facts: { rendered: 'gw' } });
    assert.deepEqual(reports, [{ rendered: 'gw' }]);
    p.say({ v: 1, panel: 'gatewayDetails', type: 'error', message: 'TypeError: x is undefined' });
    p.say({ v: 1, panel: 'gatewayDetails', type: 'error', message: 'again' });
    assert.equal(
      logged.filter((l) => l.startsWith('error: Gateway details panel: its page reported a problem')).length,
      2,
    );
    assert.equal(said.length, 1, 'said once');
    assert.match(said[0], /the Gateway details panel ran into a problem/);
    assert.doesNotMatch(said[0], /TypeError/, 'in plain words; the details are in the output');
    panel.dispose();
  });

  it('disposes what it registered and the panel once, and posts nothing after', () => {
    const p = scriptedPanel();
    const panel = new TestPanel(p.panel, services().s);
    assert.ok(p.listeners() >= 3);
    panel.dispose();
    assert.equal(panel.state, 'disposed');
    assert.equal(p.disposeCalls(), 1);
    assert.equal(p.listeners(), 0);
    panel.dispose();
    p.panel.dispose();
    assert.equal(p.disposeCalls(), 2, 'the panel was disposed once by the base (the second call is the test’s own)');
    p.ready();
    panel.show('late');
    assert.equal(p.delivered.length, 0);
    // Closed by the user: VS Code disposes the panel, the base follows.
    const q = scriptedPanel();
    const other = new TestPanel(q.panel, services().s);
    q.panel.dispose();
    assert.equal(other.isDisposed, true);
    assert.equal(q.disposeCalls(), 1);
  });
});
