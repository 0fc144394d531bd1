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

  health(o?: RequestOptions) {
    return this.call<HealthResultView>('health', {}, o);
  }
  status(o?: RequestOptions) {
    return this.call<StatusResultView>('status', {}, o);
  }
  agentsList(o?: RequestOptions) {
    return this.call<AgentsListResultView>('agents.list', {}, o);
  }
  sessionsList(params: SessionsListParams = {}, o?: RequestOptions) {
    return this.call<SessionsListResultView>('sessions.list', params, o);
  }
  /** Subscribes this connection to sessions.changed / session.message; with list params it also returns the list. */
  sessionsSubscribe(params: SessionsListParams = {}, o?: RequestOptions) {
    return this.call<{ subscribed: boolean; list?: SessionsListResultView }>('sessions.subscribe', params, o);
  }
  sessionsDescribe(params: SessionsDescribeParams, o?: RequestOptions) {
    return this.call<SessionsDescribeResultView>('sessions.describe', params, o);
  }
  sessionsPreview(params: SessionsPreviewParams, o?: RequestOptions) {
    return this.call<SessionsPreviewResultView>('sessions.preview', params, o);
  }
  chatHistory(params: ChatHistoryParams, o?: RequestOptions) {
    return this.call<ChatHistoryResultView>('chat.history', params, o);
  }
  /** chat.history with a deltaCursor from an earlier page: only what was appended since (2026.9.x). */
  chatHistoryDelta(params: { sessionKey: string; cursor: string; agentId?: string }, o?: RequestOptions) {
    return this.call<ChatHistoryCursorResultView>('chat.history', params, o);
  }
  sessionsMessagesSubscribe(params: SessionsMessagesSubscribeParams, o?: RequestOptions) {
    return this.call<{ subscribed: boolean; key: string }>('sessions.messages.subscribe', params, o);
  }
  sessionsMessagesUnsubscribe(params: SessionsMessagesUnsubscribeParams, o?: RequestOptions) {
    return this.call<{ subscribed?: boolean; key?: string }>('sessions.messages.unsubscribe', params, o);
  }
  logsTail(params: LogsTailParams = {}, o?: RequestOptions) {
    return this.call<LogsTailResultView>('logs.tail', params, o);
  }
  diagnosticsLanes(o?: RequestOptions) {
    return this.call<DiagnosticsLanesResultView>('diagnostics.lanes', {}, o);
  }
  /** 2026.4.x only (no diagnostics.lanes there): limit 1..1000, sinceSeq for incremental reads. */
  diagnosticsStability(params: { limit?: number; sinceSeq?: number; type?: string } = {}, o?: RequestOptions) {
    return this.call<DiagnosticsStabilityResultView>('diagnostics.stability', params, o);
  }
  chatSend(params: ChatSendParams, o?: RequestOptions) {
    return this.call<RunStartedResult>('chat.send', params, o);
  }
  sessionsSend(params: SessionsSendParams, o?: RequestOptions) {
    return this.call<RunStartedResult>('sessions.send', params, o);
  }
  chatAbort(params: ChatAbortParams, o?: RequestOptions) {
    return this.call<ChatAbortResultView>('chat.abort', params, o);
  }
  sessionsAbort(params: SessionsAbortParams, o?: RequestOptions) {
    return this.call<SessionsAbortResultView>('sessions.abort', params, o);
  }
  sessionsReset(params: SessionsResetParams, o?: RequestOptions) {
    return this.call<SessionsResetResultView>('sessions.reset', params, o);
  }
  restartPreflight(o?: RequestOptions) {
    return this.call<RestartPreflightResultView>('gateway.restart.preflight', {}, o);
  }
  restartRequest(params: RestartRequestParams = {}, o?: RequestOptions) {
    return this.call<RestartRequestResultView>('gateway.restart.request', params, o);
  }
}
