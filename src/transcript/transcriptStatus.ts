// What the transcript model says about itself (connection, session, loading, bounds, notices). Its own module with
// no imports, so the host↔webview protocol can refer to it (TranscriptStatusView) without the webview's type graph
// reaching the model and the Node code behind it.
export interface TranscriptStatus {
  connection: 'idle' | 'connecting' | 'connected' | 'disconnected' | 'stopped';
  connectionText?: string;
  /** ok: the gateway knows the key. missing: it never did (empty transcript). deleted: it did and no longer does. */
  session: 'unknown' | 'ok' | 'missing' | 'deleted';
  sessionText?: string;
  loading?: 'initial' | 'older' | 'catch-up';
  loaded: boolean;
  hasOlder: boolean;
  /** Why there is nothing older to load: the start of the transcript, the panel's memory bound, or the version's history limit. */
  olderStop?: 'start' | 'cap' | 'version';
  /** Oldest entries dropped to stay within the bounds. */
  dropped: number;
  maxMessages: number;
  sessionId?: string;
  /** Plain statements about what happened while watching (reset, deleted, gap), newest last. */
  notices: string[];
  error?: string;
  /** Protocol 3: why the panel cannot tell whether a run is in flight (the row says running; no event was seen). */
  runUnverified?: string;
  /** Completed catch-ups after (re)connects and refreshes. */
  catchUps: number;
}
