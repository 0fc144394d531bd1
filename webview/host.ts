// The webview side of the protocol: one acquireVsCodeApi() per page, typed posting, and a guard for
// incoming messages (anything malformed is ignored).
import type { HostToWebview, WebviewToHost } from './protocol';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void; getState(): unknown; setState(state: unknown): void };
const vscodeApi = acquireVsCodeApi();

export function postToHost(message: WebviewToHost): void { vscodeApi.postMessage(message); }

export function isHostMessage(value: unknown): value is HostToWebview {
  const v = value as { type?: unknown } | null;
  return !!v && typeof v === 'object' && (v.type === 'gatewayDetails' || v.type === 'response');
}
