// The follow-the-tail rule both virtual lists use, on a scripted viewport: scroll events arrive after the fact (the
// browser dispatches them at the next frame), so by then rows may have grown under a pinned view. Only a scroll
// upward is the user leaving the tail; a view that is merely not at the bottom yet stays pinned.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TailFollow } from '../../webview/shared/tailFollow';

const ROW = 20;

/** A scroll container's geometry, with the scroll event delivered when the test says (as the browser does, later). */
function viewport(rows: number, visibleRows = 10) {
  let listener: () => void = () => undefined;
  const v = {
    scrollHeight: rows * ROW,
    clientHeight: visibleRows * ROW,
    top: 0,
    get scrollTop() {
      return this.top;
    },
    set scrollTop(y: number) {
      this.top = Math.max(0, Math.min(y, this.scrollHeight - this.clientHeight));
    },
    addEventListener: (_: string, l: () => void) => {
      listener = l;
    },
    fireScroll: () => listener(),
  };
  return v;
}

function setup(rows = 100) {
  const v = viewport(rows);
  let changes = 0;
  const follow = new TailFollow(
    v as unknown as HTMLElement,
    () => ROW,
    () => {
      changes++;
    },
  );
  follow.pin();
  v.fireScroll();
  assert.ok(follow.following && follow.atBottom(), 'starts pinned at the bottom');
  return { v, follow, changes: () => changes };
}

describe('TailFollow', () => {
  it("rows arriving before the pin's scroll event is delivered do not unfollow", () => {
    const { v, follow } = setup();
    v.scrollHeight += 5 * ROW; // new rows rendered; the scroll event of the last pin arrives only now
    v.fireScroll();
    assert.equal(follow.following, true, 'a pinned view that rows grew under is still following');
    follow.pin();
    v.fireScroll();
    assert.ok(follow.atBottom(), 're-pinned to the newest row');
  });

  it('a list area that shrinks under a pinned view (a banner appears) stays pinned', () => {
    const { v, follow } = setup();
    v.clientHeight -= 2 * ROW;
    v.fireScroll();
    assert.equal(follow.following, true);
  });

  it('a scroll upward by the user stops following; scrolling back to the bottom follows again', () => {
    const { v, follow } = setup();
    v.scrollTop -= 3 * ROW;
    v.fireScroll();
    assert.equal(follow.following, false);
    v.scrollHeight += 4 * ROW;
    follow.pin();
    assert.equal(
      v.scrollTop,
      v.scrollHeight - v.clientHeight - 7 * ROW,
      'not following: the view stays where the user put it',
    );
    v.scrollTop = v.scrollHeight;
    v.fireScroll();
    assert.equal(follow.following, true);
  });

  it('programmatic scrolls are not taken for the user scrolling up', () => {
    const { v, follow } = setup();
    follow.stop();
    follow.scrollTo(0); // Home
    v.fireScroll();
    assert.equal(follow.following, false);
    follow.jumpToLatest();
    v.fireScroll();
    assert.equal(follow.following, true);
    assert.equal(follow.unseen, 0);
  });
});
