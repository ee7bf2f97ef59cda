// Where each mark of a lane goes on screen. Marks closer than a few pixels cannot be told apart or clicked, so
// they become one cluster mark that zooms into its range. Marks stamped at the very same instant (a server's
// whole flight arrives in one segment: ServerHello … ServerHelloDone) never part however deep the zoom, so when
// there is room they are fanned out side by side around their common time instead. Pure.

export type LaneItem =
  /** One mark; `x` is where it is drawn, `anchorX` where its time is (they differ inside a fan), `fan` the fan it is in. */
  | { kind: 'mark'; index: number; x: number; anchorX: number; fan: { first: number; last: number } | null }
  /** Marks `first`..`last` (inclusive), drawn from x0 to x1. */
  | { kind: 'cluster'; first: number; last: number; x0: number; x1: number };

export interface LaneLayoutOptions {
  /** Marks closer than this merge. */
  minGapPx: number;
  /** Distance between fanned-out marks: tight, so a fan stays close to its time. */
  fanSpacingPx: number;
  /** Marks this close in time count as one instant (the trace has microsecond resolution). */
  sameInstantMs: number;
}

const defaultLaneLayout: LaneLayoutOptions = { minGapPx: 6, fanSpacingPx: 15, sameInstantMs: 0.0005 };

/** Chains of marks each closer than minGap to the one before: [first, last] index pairs. */
function closeGroups(xs: ArrayLike<number>, minGapPx: number): Array<[number, number]> {
  const groups: Array<[number, number]> = [];
  let start = 0;
  for (let i = 1; i <= xs.length; i++) {
    if (i === xs.length || xs[i]! - xs[i - 1]! >= minGapPx) {
      if (xs.length > 0) groups.push([start, i - 1]);
      start = i;
    }
  }
  return groups;
}

/**
 * Where a fan of `count` marks for a time at x starts: at x (the first mark exactly at its time, the others after
 * it in the order they came), moved left when the next item is close or right (by two steps at most) when the
 * previous one is. Null when it does not fit.
 */
function fanStart(x: number, count: number, previousRight: number, limit: number, o: LaneLayoutOptions): number | null {
  const width = (count - 1) * o.fanSpacingPx;
  const start = Math.max(Math.min(x, limit - width), previousRight + o.fanSpacingPx);
  return start + width <= limit && start - x <= 2 * o.fanSpacingPx ? start : null;
}

/**
 * Items for marks at pixel positions `xs` with times `ts` (both ascending, same length): close marks become
 * clusters, marks of one instant a fan when it fits before the next item.
 */
export function layoutLaneItems(xs: ArrayLike<number>, ts: ArrayLike<number>, options: Partial<LaneLayoutOptions> = {}): LaneItem[] {
  const o = { ...defaultLaneLayout, ...options };
  const groups = closeGroups(xs, o.minGapPx);
  const items: LaneItem[] = [];
  let previousRight = -Infinity;
  groups.forEach(([first, last], g) => {
    const x = xs[first]!;
    if (first === last) {
      items.push({ kind: 'mark', index: first, x, anchorX: x, fan: null });
      previousRight = x;
      return;
    }
    const next = groups[g + 1];
    const limit = next === undefined ? Infinity : xs[next[0]]! - o.minGapPx * 2;
    const start = ts[last]! - ts[first]! < o.sameInstantMs ? fanStart(x, last - first + 1, previousRight, limit, o) : null;
    if (start !== null) {
      for (let i = first; i <= last; i++) items.push({ kind: 'mark', index: i, x: start + (i - first) * o.fanSpacingPx, anchorX: x, fan: { first, last } });
      previousRight = start + (last - first) * o.fanSpacingPx;
      return;
    }
    items.push({ kind: 'cluster', first, last, x0: x, x1: xs[last]! });
    previousRight = xs[last]!;
  });
  return items;
}

export type LabelRow = 'above' | 'below' | null;

export interface PlacedLabel {
  row: LabelRow;
  /** The label is cut (with an ellipsis) to this width so it ends before the label after the next; Infinity: not cut. */
  maxWidth: number;
  /** The label ends at its mark instead of starting there: it would have run past the lane's right edge. */
  end?: boolean;
}

/** Narrower than this a cut label says nothing: it is left out instead. */
const minLabelPx = 28;

/**
 * Labels start at their mark and run right; each goes in the row above the marks if it clears the last label
 * there, else in the row below, else it is left out (the mark keeps its name for screen readers and tooltips).
 * A label may run until the mark two further on, whose label may take the same row. A last label that would run
 * past `limitPx` (the lane's right edge: a verdict at the end of the run) ends at its mark instead, if that clears.
 */
export function placeLabels(items: ReadonlyArray<{ x: number; width: number }>, gapPx = 6, limitPx = Infinity): PlacedLabel[] {
  let aboveEnd = -Infinity;
  let belowEnd = -Infinity;
  return items.map(({ x, width }, i) => {
    const left = x - 4;
    const afterNext = items[i + 2];
    const room = afterNext === undefined ? Infinity : afterNext.x - 4 - gapPx - left;
    // Widths are estimates: a label with room to spare is not cut at its estimate.
    const maxWidth = room >= width ? Infinity : room;
    if (maxWidth < Math.min(width, minLabelPx)) return { row: null, maxWidth: 0 };
    if (maxWidth === Infinity && left + width > limitPx) {
      const start = x + 8 - width;
      if (start >= aboveEnd + gapPx) {
        aboveEnd = x + 8;
        return { row: 'above', maxWidth, end: true };
      }
      if (start >= belowEnd + gapPx) {
        belowEnd = x + 8;
        return { row: 'below', maxWidth, end: true };
      }
    }
    if (left >= aboveEnd + gapPx) {
      aboveEnd = left + Math.min(width, maxWidth);
      return { row: 'above', maxWidth };
    }
    if (left >= belowEnd + gapPx) {
      belowEnd = left + Math.min(width, maxWidth);
      return { row: 'below', maxWidth };
    }
    return { row: null, maxWidth: 0 };
  });
}
