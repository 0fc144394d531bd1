// The one message protocol between the extension host and every Lanewatch webview (imported by both
// bundles). The webview says `ready` first; the host posts nothing before it (messages sent earlier are lost).
// Requests carry an id and get exactly one `response`; everything else is a notification.

export interface HandshakeView {
  attempt: number;
  socketOpenMs?: number;
  challengeMs?: number;
  connectSentMs?: number;
  helloMs?: number;
  failedIn?: string;
}

/** Everything here is display data; it never contains a token. */
export interface GatewayDetailsView {
  name: string;
  url: string;
  state: string;
  summary: string;
  advice?: string;
  problemKind?: string;
  closeCode?: number;
  serverVersion?: string;
  protocol?: number;
  bootId?: string;
  scopes: string[];
  missingScopes: string[];
  methodCount?: number;
  tokenSource?: string;
  handshake?: HandshakeView;
  sessions: { total: number; running: number };
}

export type HostToWebview =
  | { type: 'gatewayDetails'; details: GatewayDetailsView }
  | { type: 'response'; id: number; ok: boolean; error?: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'request'; id: number; command: 'reconnect' | 'showReport' }
  | { type: 'report'; facts: Record<string, unknown> };

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  const v = value as { type?: unknown; id?: unknown; command?: unknown } | null;
  if (!v || typeof v !== 'object') return false;
  if (v.type === 'ready') return true;
  if (v.type === 'report') return typeof (v as { facts?: unknown }).facts === 'object';
  return v.type === 'request' && typeof v.id === 'number' && (v.command === 'reconnect' || v.command === 'showReport');
}
