// How long something has been going on, in the words every view uses ("45s", "3m07s", "2h05m", "3d"). Pure code with
// no imports: the tree, the status bar, the CLI and the transcript webview all format ages with it, so the same run
// reads the same age everywhere (the transcript used to round where the tree floored: "3m 15s" beside "3m07s").

/**
 * `coarse` drops the seconds after the first minute ("3m" for 3m07s): the tree's rows, which change text (and so are
 * rebuilt, closing an open tooltip) only as often as the text they show.
 */
export function formatDuration(ms: number, coarse = false): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return coarse ? `${m}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d`;
}

/** How long until formatDuration(ms + wait, coarse) reads differently from formatDuration(ms, coarse). */
export function msUntilDurationChanges(ms: number, coarse = false): number {
  if (!Number.isFinite(ms) || ms < 0) return 1_000;
  const step = ms < 60_000 || (!coarse && ms < 3_600_000) ? 1_000 : ms < 48 * 3_600_000 ? 60_000 : 3_600_000;
  return step - (ms % step);
}
