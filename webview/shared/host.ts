// The webview side of the protocol: one acquireVsCodeApi() per page (VS Code allows one call), typed posting for
// each panel's own protocol, and a guard for the gateway-details panel's incoming messages.
import type { HostToWebview, WebviewToHost } from '../../src/protocol/webviewMessages';

declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};
let api: ReturnType<typeof acquireVsCodeApi> | undefined;

export interface VsCodeHost<ToHost> {
  post: (message: ToHost) => void;
  getState: () => unknown;
  setState: (state: unknown) => void;
}

/** This page's connection to its host, typed by what the panel may post. */
export function vscodeHost<ToHost>(): VsCodeHost<ToHost> {
  const a = (api ??= acquireVsCodeApi());
  return { post: (m) => a.postMessage(m), getState: () => a.getState(), setState: (s) => a.setState(s) };
}

export function postToHost(message: WebviewToHost): void {
  vscodeHost<WebviewToHost>().post(message);
}

export function isHostMessage(value: unknown): value is HostToWebview {
  const v = value as { type?: unknown } | null;
  return !!v && typeof v === 'object' && (v.type === 'gatewayDetails' || v.type === 'response');
}
