// Drawing and driving a fixed-row virtual list that follows its tail (the log and transcript panels; the frame is
// dom.ts's virtualListShell, following is tailFollow.ts): only the rows in view, and a few either side, exist in the
// DOM; End and Home go to either end; the Jump to latest button counts the rows that arrived while the reader was away.
import { el } from './dom';
import type { TailFollow } from './tailFollow';

/** The parts of the list that drawing touches (what virtualListShell returns). */
export interface VirtualListParts {
  readonly viewport: HTMLElement;
  readonly spacer: HTMLElement;
  readonly rowsEl: HTMLElement;
}

/**
 * Draws a list of `total` rows `rowHeight` high: the spacer as tall as all of them, the view pinned to the newest row
 * while following, and one element for each row in view plus `overscan` either side, filled by `fill(row, index)`.
 * Row elements are reused from the last draw; `newRow` makes the missing ones. Returns the index of the first row drawn.
 */
export function drawRows(
  list: VirtualListParts,
  tail: TailFollow,
  total: number,
  rowHeight: number,
  overscan: number,
  fill: (row: HTMLElement, index: number) => void,
  newRow: () => HTMLElement = () => el('div', 'row'),
): number {
  const { viewport, spacer, rowsEl } = list;
  spacer.style.height = `${total * rowHeight}px`;
  tail.pin();
  const top = viewport.scrollTop,
    height = viewport.clientHeight;
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(total, Math.ceil((top + height) / rowHeight) + overscan);
  rowsEl.style.transform = `translateY(${first * rowHeight}px)`;
  const want = Math.max(0, last - first);
  while (rowsEl.childElementCount < want) rowsEl.append(newRow());
  while (rowsEl.childElementCount > want) rowsEl.lastElementChild!.remove();
  for (let i = first; i < last; i++) fill(rowsEl.children[i - first] as HTMLElement, i);
  return first;
}

/** The Jump to latest button: off while following; otherwise on, with the count of rows that arrived meanwhile. */
export function showJump(button: HTMLElementTagNameMap['vscode-button'], tail: TailFollow): void {
  button.disabled = tail.following;
  button.textContent =
    !tail.following && tail.unseen > 0 ? `Jump to latest (${tail.unseen.toLocaleString()} new)` : 'Jump to latest';
}

/** End in the list jumps to the newest row (and follows it); Home goes to the first row and stops following. */
export function listEndKeys(viewport: HTMLElement, tail: TailFollow, jumpToLatest: () => void): void {
  viewport.addEventListener('keydown', (e) => {
    if (e.key === 'End') {
      e.preventDefault();
      jumpToLatest();
    } else if (e.key === 'Home') {
      e.preventDefault();
      tail.stop();
      tail.scrollTo(0);
    }
  });
}
