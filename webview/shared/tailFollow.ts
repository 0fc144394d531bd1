// Follow-the-tail for a fixed-row virtual list (the log and transcript panels): the view stays pinned to the newest
// row while it is at the bottom, and only a scroll upward stops that. When the list area shrinks (a banner or notice
// appears) or rows change under a pinned view, the view is briefly not at the bottom without anyone scrolling: that
// must re-pin, not unfollow (bench/tail.mjs caught the log panel dropping out of follow mode that way). Programmatic
// scrolls go through scrollTo() so they are never mistaken for the user scrolling up.
export class TailFollow {
  /** Pinned to the newest row. */
  following: boolean;
  /** Rows that arrived while not following, for "Jump to latest (N new)". */
  unseen = 0;
  private lastScrollTop = 0;

  constructor(
    private readonly viewport: HTMLElement,
    private readonly rowHeight: () => number,
    private readonly changed: () => void,
    following = true,
  ) {
    this.following = following;
    viewport.addEventListener('scroll', () => this.onScroll(), { passive: true });
  }

  atBottom(): boolean {
    const v = this.viewport;
    return v.scrollTop + v.clientHeight >= v.scrollHeight - this.rowHeight() / 2;
  }

  scrollTo(y: number): void {
    this.viewport.scrollTop = y;
    this.lastScrollTop = this.viewport.scrollTop;
  }

  /** After a render: keep the newest row in view while following. */
  pin(): void {
    if (this.following) this.scrollTo(this.viewport.scrollHeight);
    else this.lastScrollTop = this.viewport.scrollTop;
  }

  jumpToLatest(): void {
    this.following = true;
    this.unseen = 0;
    this.scrollTo(this.viewport.scrollHeight);
  }

  /** The user went somewhere else on purpose (Home, a search hit). */
  stop(): void {
    this.following = false;
  }

  private onScroll(): void {
    const top = this.viewport.scrollTop;
    const movedUp = top < this.lastScrollTop - 1;
    this.lastScrollTop = top;
    const bottom = this.atBottom();
    if (!(this.following && !bottom && !movedUp) && bottom !== this.following) {
      this.following = bottom;
      if (bottom) this.unseen = 0;
    }
    this.changed();
  }
}
