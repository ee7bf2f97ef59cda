// The piecewise ("broken") time axis. A probe's handshake lasts milliseconds with messages microseconds apart,
// while the evidence about it is stamped seconds or minutes away (a CloudWatch minute, a WAF record): one linear
// scale cannot show both. So the axis is cut into segments — the probe window, and each cluster of marks far from
// it — each linear inside, and the empty time between segments is compressed into a fixed-width break that says
// how long it was. Positions are in "world" units: the whole axis is `width` wide; the viewport (viewport.ts)
// chooses which world range is on screen. Pure: the unit tests run it in Node.

export interface TimeRange {
  from: number;
  to: number;
}

export interface AxisPiece {
  kind: 'segment' | 'break';
  /** Axis time (ms). */
  from: number;
  to: number;
  /** World position. */
  x0: number;
  x1: number;
  /** The segment that holds the probe window. */
  probe: boolean;
}

export interface Axis {
  /** Segments and breaks, contiguous in time and in world position, from x = 0 to x = width. */
  pieces: AxisPiece[];
  width: number;
  probeWindow: TimeRange;
}

/** World width of the whole axis. */
const axisWidth = 1000;
/** The probe segment's share of the width when there are other segments. */
const probeShare = 0.72;
/** World width of one break. */
const breakWidth = 30;

/** Shortest probe window the axis reckons with: a window of zero length would give an infinite scale. */
const minProbeSpanMs = 0.01;

interface Cluster extends TimeRange {
  probe: boolean;
}

/**
 * Groups points with the probe window: a gap longer than twice the probe's own length starts a new segment, so
 * a record stamped just after the probe stays beside it and one a minute away gets its own segment.
 */
function clusterPoints(points: readonly number[], probeWindow: TimeRange): Cluster[] {
  const span = Math.max(probeWindow.to - probeWindow.from, minProbeSpanMs);
  const threshold = Math.max(2 * span, 1);
  const clusters: Cluster[] = [];
  const add = (from: number, to: number, probe: boolean): void => {
    const last = clusters[clusters.length - 1];
    if (last !== undefined && from - last.to <= threshold) {
      last.to = Math.max(last.to, to);
      last.probe ||= probe;
    } else {
      clusters.push({ from, to, probe });
    }
  };
  // A typed array sorts numbers natively: a long trace has tens of thousands of points.
  const sorted = Float64Array.from(points.filter(Number.isFinite)).sort();
  let probeAdded = false;
  for (const p of sorted) {
    if (!probeAdded && p >= probeWindow.from) {
      add(probeWindow.from, probeWindow.from + span, true);
      probeAdded = true;
    }
    add(p, p, false);
  }
  if (!probeAdded) add(probeWindow.from, probeWindow.from + span, true);
  return clusters;
}

/** Room around each segment so marks at its edges are not cut in half; never more than a quarter of a gap. */
function paddedSegments(clusters: Cluster[], probeSpan: number): Cluster[] {
  return clusters.map((c, i) => {
    const length = c.to - c.from;
    const pad = c.probe ? Math.max(length * 0.04, 0.005) : Math.max(length * 0.08, probeSpan * 0.05, 0.005);
    const before = clusters[i - 1];
    const after = clusters[i + 1];
    const padBefore = before === undefined ? pad : Math.min(pad, (c.from - before.to) / 4);
    const padAfter = after === undefined ? pad : Math.min(pad, (after.from - c.to) / 4);
    return { from: c.from - padBefore, to: c.to + padAfter, probe: c.probe };
  });
}

/**
 * The axis for marks at `points` (ms) around the probe window: the probe segment takes most of the width, the
 * segments of far marks share the rest equally, each break a fixed width.
 */
export function buildAxis(points: readonly number[], probeWindow: TimeRange): Axis {
  const probeSpan = Math.max(probeWindow.to - probeWindow.from, minProbeSpanMs);
  const segments = paddedSegments(clusterPoints(points, probeWindow), probeSpan);
  const breaks = segments.length - 1;
  const oneBreak = breaks === 0 ? 0 : Math.min(breakWidth, (axisWidth * 0.2) / breaks);
  const available = axisWidth - breaks * oneBreak;
  const others = segments.length - 1;
  const othersShare = others === 0 ? 0 : Math.min(1 - probeShare, 0.1 * others + 0.06);
  const otherWidth = others === 0 ? 0 : (available * othersShare) / others;
  const probeWidth = available - others * otherWidth;
  const pieces: AxisPiece[] = [];
  let x = 0;
  segments.forEach((segment, i) => {
    const w = segment.probe ? probeWidth : otherWidth;
    pieces.push({ kind: 'segment', from: segment.from, to: segment.to, x0: x, x1: x + w, probe: segment.probe });
    x += w;
    const next = segments[i + 1];
    if (next !== undefined) {
      pieces.push({ kind: 'break', from: segment.to, to: next.from, x0: x, x1: x + oneBreak, probe: false });
      x += oneBreak;
    }
  });
  // The sum of the widths can miss `axisWidth` by a rounding error; the axis must end exactly there.
  pieces[pieces.length - 1]!.x1 = axisWidth;
  return { pieces, width: axisWidth, probeWindow: { from: probeWindow.from, to: probeWindow.from + probeSpan } };
}

/** World units per ms inside a piece. */
export function pieceScale(piece: AxisPiece): number {
  return (piece.x1 - piece.x0) / (piece.to - piece.from);
}

/** The last piece that starts at or before `value`, by the piece's start in time or in world position. */
function pieceIndexAt(axis: Axis, start: 'from' | 'x0', value: number): number {
  let lo = 0;
  let hi = axis.pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (axis.pieces[mid]![start] <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Axis time (ms) → world position; outside the axis the nearest piece's scale carries on. */
export function timeToWorld(axis: Axis, t: number): number {
  const piece = axis.pieces[pieceIndexAt(axis, 'from', t)]!;
  return piece.x0 + (t - piece.from) * pieceScale(piece);
}

export function worldToTime(axis: Axis, x: number): number {
  const piece = axis.pieces[pieceIndexAt(axis, 'x0', x)]!;
  return piece.from + (x - piece.x0) / pieceScale(piece);
}

/**
 * The finest scale that applies at x: a segment's own, or in a break the finer of its neighbours' (a break's
 * scale is compressed and would let the view shrink to nothing).
 */
export function localScale(axis: Axis, x: number): number {
  const index = pieceIndexAt(axis, 'x0', x);
  const piece = axis.pieces[index]!;
  if (piece.kind === 'segment') return pieceScale(piece);
  const neighbours = [axis.pieces[index - 1], axis.pieces[index + 1]].filter((p): p is AxisPiece => p !== undefined);
  return Math.max(...neighbours.map(pieceScale));
}

export function segmentsOf(axis: Axis): AxisPiece[] {
  return axis.pieces.filter((p) => p.kind === 'segment');
}

export function breaksOf(axis: Axis): AxisPiece[] {
  return axis.pieces.filter((p) => p.kind === 'break');
}
