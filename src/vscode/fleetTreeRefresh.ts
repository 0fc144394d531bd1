// When the Gateways tree fires onDidChangeTreeData, and which nodes each fire names. The tree's own half of the
// latency from a gateway's event to the row on screen; the other half is VS Code's, which the tree cannot turn off.
//
// VS Code's extension host debounces onDidChangeTreeData (ExtHostTreeView: Event.debounce(…, 200, leading=true)): the
// first fire after 200 ms without one is refreshed at once (its leading edge); a fire within 200 ms of the previous one
// restarts that timer, and everything fired since the leading edge is refreshed only when it runs out. Fires less than
// 200 ms apart, kept up under load, hold VS Code off until a lull (bench/fleet.mjs: p95 1.2–2.8 s). And a refresh that
// names a gateway re-reads all of its rows (2,000 in the bench), where one that names a row re-reads that row.
//
// So every fire names as little as it can, and fires land on VS Code's leading edge whenever they can:
// - A change of what a row shows names that row alone. Its gateway's counts and the order of its rows (what naming the
//   gateway re-reads) follow with the next fire on VS Code's leading edge, or after RIDE_MS on their own.
// - On a quiet tree (no fire in the last REFRESH_SPACING_MS) a change fires on the next macrotask (the changes of one
//   socket read go out together), and VS Code refreshes at once.
// - Otherwise it waits for the end of that spacing, when VS Code's hold is over, and goes out with everything else that
//   waited: one fire, on VS Code's leading edge again.
// - A change that would wait longer than STATE_WAIT_MAX_MS goes out at once, its rows alone: the provider's fire, and
//   the view's badge set on it (extension.ts; VS Code does not debounce the badge), carry it within milliseconds. VS
//   Code shows it when its timer runs out, 200 ms after this fire; later changes join that fire's chain within
//   STATE_JOIN_MS of its first early fire (each such fire restarts VS Code's timer, and the chain's rows appear that
//   much later), and after that wait for the end of the spacing. A change of words only (a label) goes the same way:
//   the provider's target counts every change a row shows. bench/README.md has the figures behind each number.
// - Rows rebuilt for their clock, the Lanes row and the scheduler's roots ride along with the next fire, or after
//   RIDE_MS fire on their own: a fire of their own takes VS Code's leading edge, and a change soon after it must go
//   early.
// - A change of a gateway's structure (rows came or went, a resync, its connection) or of the whole tree names the
//   gateway (or the root) with the next leading-edge fire.
import { performance } from 'node:perf_hooks';

/** VS Code's own debounce of onDidChangeTreeData (ExtHostTreeView). */
export const VSCODE_DEBOUNCE_MS = 200;
/**
 * How long after a fire the next one waits, so that it lands on VS Code's leading edge again. The timer is set in the
 * same macrotask as the fire, just after VS Code's own 200 ms timer (set while the fire is dispatched), and Node runs
 * due timers in order of expiry: 2 ms of margin is enough, however late both run.
 */
export const REFRESH_SPACING_MS = VSCODE_DEBOUNCE_MS + 2;
/** A change of a row that would wait longer than this for the end of the spacing goes out at once instead. */
export const STATE_WAIT_MAX_MS = 70;
/** A change of a row this soon after the first early fire of a hold goes out too: VS Code shows both that much later. */
export const STATE_JOIN_MS = 85;
/**
 * How long a row rebuilt for its clock (or the Lanes row, the scheduler's roots, a gateway's counts) waits for a fire it
 * can join before it fires on its own.
 */
export const RIDE_MS = 500;

/**
 * The schedule of one tree's fires. `N` is the tree's node type; `fire` receives the nodes to name, or undefined for
 * the whole tree. `now` is the clock of the spacing (performance.now(); a test's fake clock).
 */
export class RefreshSchedule<N> {
  /** Rows (cheap to re-read) for the next fire. */
  private readonly rows = new Set<N>();
  /** Rows going out in an early fire. */
  private readonly early = new Set<N>();
  /** Cheap nodes with no hurry: with any fire, or after RIDE_MS. */
  private readonly riders = new Set<N>();
  /** Gateways (or the root: undefined) to re-read whole with the next leading-edge fire. */
  private readonly whole = new Set<N | undefined>();
  /** Gateways whose counts and order changed, since when: re-read with the next leading-edge fire. */
  private readonly counts = new Map<N, number>();
  private lastFire = -Infinity;
  /** The first early fire in VS Code's current hold (the chain later changes may join). */
  private chainStart?: number;
  /** Runs out when VS Code's hold of the last fire is over (set right after each fire). */
  private slotTimer?: ReturnType<typeof setTimeout>;
  private quietTimer?: ReturnType<typeof setTimeout>;
  private earlyTimer?: ReturnType<typeof setTimeout>;
  private rideTimer?: ReturnType<typeof setTimeout>;
  private countsTimer?: ReturnType<typeof setTimeout>;
  private countsDue = Infinity;

  constructor(
    private readonly fire: (nodes: N[] | undefined) => void,
    private readonly now: () => number = () => performance.now(),
    /** RIDE_MS; a test may ride shorter than VS Code's hold lasts. */
    private readonly rideMs = RIDE_MS,
  ) {}

  /**
   * What a shown row shows changed (its state, queue count, icon or words). The row goes alone; `gateway`, whose counts
   * and order may have changed with it, follows (see counted()).
   */
  changed(row: N, gateway?: N): void {
    if (gateway !== undefined) this.counted(gateway);
    if (!this.holding()) {
      this.rows.add(row);
      return this.soon();
    }
    if (this.goesEarly()) {
      this.early.add(row);
      this.earlyTimer ??= setTimeout(() => this.fireEarly(), 0);
      return;
    }
    this.rows.add(row); // the end of the spacing takes it
  }

  /** `node` (a gateway, or the whole tree: undefined) must be re-read whole: rows came or went, a resync. */
  structure(node: N | undefined): void {
    this.whole.add(node);
    if (!this.holding()) this.soon();
  }

  /**
   * The gateway's counts and the order of its rows changed: re-read with the next fire on VS Code's leading edge, not
   * with an early one (whose rows VS Code shows only once it has re-read all of the gateway's too).
   */
  counted(gateway: N): void {
    if (!this.counts.has(gateway)) this.counts.set(gateway, this.now());
    this.armCounts();
  }

  /** A cheap node with no hurry (a row rebuilt for its clock, the Lanes row): with the next fire, or after RIDE_MS. */
  ride(node: N): void {
    this.riders.add(node);
    this.rideTimer ??= setTimeout(() => {
      this.rideTimer = undefined;
      if (!this.riders.size) return;
      for (const n of this.riders) this.rows.add(n);
      this.riders.clear();
      if (!this.holding()) this.soon();
    }, this.rideMs);
  }

  dispose(): void {
    for (const t of [this.slotTimer, this.quietTimer, this.earlyTimer, this.rideTimer, this.countsTimer])
      clearTimeout(t);
  }

  /** VS Code still holds the last fire: a fire now would restart its timer. */
  private holding(): boolean {
    return this.slotTimer !== undefined;
  }

  private goesEarly(): boolean {
    const now = this.now();
    if (this.chainStart !== undefined) return now - this.chainStart <= STATE_JOIN_MS;
    return this.lastFire + REFRESH_SPACING_MS - now > STATE_WAIT_MAX_MS;
  }

  private soon(): void {
    this.quietTimer ??= setTimeout(() => {
      this.quietTimer = undefined;
      if (!this.holding()) this.fireLeading();
    }, 0);
  }

  /** Counts wait for a leading-edge fire to ride with; past RIDE_MS they go with the next leading edge anyway. */
  private armCounts(): void {
    let due = Infinity;
    for (const since of this.counts.values()) due = Math.min(due, since + this.rideMs);
    if (due === Infinity || (this.countsTimer && this.countsDue <= due)) return;
    clearTimeout(this.countsTimer);
    this.countsDue = due;
    this.countsTimer = setTimeout(
      () => {
        this.countsTimer = undefined;
        this.countsDue = Infinity;
        const now = this.now();
        let moved = false;
        for (const [g, since] of this.counts)
          if (since + this.rideMs <= now) {
            this.counts.delete(g);
            this.whole.add(g);
            moved = true;
          }
        if (moved && !this.holding()) this.soon();
        this.armCounts();
      },
      Math.max(0, due - this.now()),
    );
  }

  private onSlot(): void {
    this.slotTimer = undefined;
    this.chainStart = undefined;
    if (this.rows.size || this.early.size || this.whole.size) this.fireLeading();
  }

  /** A fire on VS Code's leading edge: everything that waited, the gateways' counts too. */
  private fireLeading(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    const root = this.whole.has(undefined);
    const nodes = new Set<N>([...this.rows, ...this.early, ...this.riders, ...this.counts.keys()]);
    for (const n of this.whole) if (n !== undefined) nodes.add(n);
    this.counts.clear();
    this.rows.clear();
    this.early.clear();
    this.riders.clear();
    this.whole.clear();
    if (!root && !nodes.size) return; // nothing to say: no fire, and no hold of VS Code's for it
    this.emit(root ? undefined : [...nodes]);
  }

  /** An early fire inside VS Code's hold: the rows of the change, and whatever cheap waits with them. */
  private fireEarly(): void {
    this.earlyTimer = undefined;
    if (!this.early.size) return;
    if (!this.holding()) return this.fireLeading(); // the hold ended meanwhile: this is a leading edge
    const nodes = [...new Set<N>([...this.early, ...this.rows, ...this.riders])];
    this.early.clear();
    this.rows.clear();
    this.riders.clear();
    // A gateway named here (its connection changed) is re-read whole by this fire: nothing of it waits any more.
    for (const n of nodes) {
      this.whole.delete(n);
      this.counts.delete(n);
    }
    this.chainStart ??= this.now();
    this.emit(nodes);
  }

  private emit(nodes: N[] | undefined): void {
    this.lastFire = this.now();
    clearTimeout(this.slotTimer);
    this.fire(nodes);
    // After the fire: VS Code's own timer was set while it was dispatched, so this one runs after it.
    this.slotTimer = setTimeout(() => this.onSlot(), REFRESH_SPACING_MS);
  }
}
