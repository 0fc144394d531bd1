// Exponential backoff with full jitter, so that several VS Code windows watching one gateway
// do not reconnect in lockstep after a restart.
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: share of the delay that is randomised */ jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000, factor: 2, jitter: 0.5 };

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}
  get attempts(): number {
    return this.attempt;
  }
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.options;
    const ceiling = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    return Math.round(ceiling * (1 - jitter) + ceiling * jitter * this.random());
  }
  reset(): void {
    this.attempt = 0;
  }
}
