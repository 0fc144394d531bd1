// Typed calls for every gateway method the extension uses. Each is one line over GatewayConnection.request:
// the point of this file is the method name ↔ params ↔ result mapping in one place, and the guard that a
// method the gateway did not advertise fails with a clear UNSUPPORTED error instead of an opaque one.
import type { GatewayConnection, RequestOptions } from './connection';
import { GatewayRequestError } from './requestError';
import type {
  AgentsListResultView,
  ChatAbortParams,
  ChatHistoryCursorResultView,
  ChatAbortResultView,
  ChatHistoryParams,
  ChatHistoryResultView,
  ChatSendParams,
  DiagnosticsLanesResultView,
  DiagnosticsStabilityResultView,
  HealthResultView,
  LogsTailParams,
  LogsTailResultView,
  RestartPreflightResultView,
  RestartRequestParams,
  RestartRequestResultView,
  RunStartedResult,
  SessionsAbortParams,
  SessionsAbortResultView,
  SessionsDescribeParams,
  SessionsDescribeResultView,
  SessionsListParams,
  SessionsListResultView,
  SessionsMessagesSubscribeParams,
  SessionsMessagesUnsubscribeParams,
  SessionsPreviewParams,
  SessionsPreviewResultView,
  SessionsResetParams,
  SessionsResetResultView,
  SessionsSendParams,
  StatusResultView,
} from './types';
import type { SystemInfoResultView } from './vitalsTypes';

export class GatewayApi {
  constructor(readonly connection: GatewayConnection) {}

  private call<T>(method: string, params: object, options?: RequestOptions): Promise<T> {
    const hello = this.connection.helloSummary;
    if (hello && hello.methods.size > 0 && !hello.methods.has(method)) {
      return Promise.reject(
        GatewayRequestError.local(
          method,
          'UNSUPPORTED',
          `openclaw ${hello.serverVersion} (protocol ${hello.protocol}) does not offer ${method}`,
          { action: 'upgrade-gateway', reconnect: 'stop' },
        ),
      );
    }
    return this.connection.request<T>(method, params, options);
  }

  /** A method whose params are required. */
  private rpc<P extends object, R>(method: string) {
    return (params: P, o?: RequestOptions): Promise<R> => this.call<R>(method, params, o);
  }
  /** A method whose params may be omitted (sent as {}). */
  private rpcOptional<P extends object, R>(method: string) {
    return (params?: P, o?: RequestOptions): Promise<R> => this.call<R>(method, params ?? {}, o);
  }
  /** A method without params. */
  private rpcNoParams<R>(method: string) {
    return (o?: RequestOptions): Promise<R> => this.call<R>(method, {}, o);
  }

  health = this.rpcNoParams<HealthResultView>('health');
  status = this.rpcNoParams<StatusResultView>('status');
  /** 2026.9.x, operator.read: host facts, the process vitals (eventLoop, processMemory) and processInstanceId. */
  systemInfo = this.rpcNoParams<SystemInfoResultView>('system.info');
  agentsList = this.rpcNoParams<AgentsListResultView>('agents.list');
  sessionsList = this.rpcOptional<SessionsListParams, SessionsListResultView>('sessions.list');
  /** Subscribes this connection to sessions.changed / session.message; with list params it also returns the list. */
  sessionsSubscribe = this.rpcOptional<SessionsListParams, { subscribed: boolean; list?: SessionsListResultView }>(
    'sessions.subscribe',
  );
  sessionsDescribe = this.rpc<SessionsDescribeParams, SessionsDescribeResultView>('sessions.describe');
  sessionsPreview = this.rpc<SessionsPreviewParams, SessionsPreviewResultView>('sessions.preview');
  chatHistory = this.rpc<ChatHistoryParams, ChatHistoryResultView>('chat.history');
  /** chat.history with a deltaCursor from an earlier page: only what was appended since (2026.9.x). */
  chatHistoryDelta = this.rpc<{ sessionKey: string; cursor: string; agentId?: string }, ChatHistoryCursorResultView>(
    'chat.history',
  );
  sessionsMessagesSubscribe = this.rpc<SessionsMessagesSubscribeParams, { subscribed: boolean; key: string }>(
    'sessions.messages.subscribe',
  );
  sessionsMessagesUnsubscribe = this.rpc<SessionsMessagesUnsubscribeParams, { subscribed?: boolean; key?: string }>(
    'sessions.messages.unsubscribe',
  );
  logsTail = this.rpcOptional<LogsTailParams, LogsTailResultView>('logs.tail');
  diagnosticsLanes = this.rpcNoParams<DiagnosticsLanesResultView>('diagnostics.lanes');
  /** 2026.4.x only (no diagnostics.lanes there): limit 1..1000, sinceSeq for incremental reads. */
  diagnosticsStability = this.rpcOptional<
    { limit?: number; sinceSeq?: number; type?: string },
    DiagnosticsStabilityResultView
  >('diagnostics.stability');
  chatSend = this.rpc<ChatSendParams, RunStartedResult>('chat.send');
  sessionsSend = this.rpc<SessionsSendParams, RunStartedResult>('sessions.send');
  chatAbort = this.rpc<ChatAbortParams, ChatAbortResultView>('chat.abort');
  sessionsAbort = this.rpc<SessionsAbortParams, SessionsAbortResultView>('sessions.abort');
  sessionsReset = this.rpc<SessionsResetParams, SessionsResetResultView>('sessions.reset');
  restartPreflight = this.rpcNoParams<RestartPreflightResultView>('gateway.restart.preflight');
  restartRequest = this.rpcOptional<RestartRequestParams, RestartRequestResultView>('gateway.restart.request');
}
