// Tick marks and break labels for the part of the axis on screen. Each segment gets its own step (the scale
// differs from one segment to the next); labels that would collide are dropped, never drawn over each other.

import { pieceScale, type Axis } from './axis';
import { formatAxisTime, formatDuration, niceStep } from './format';
import type { Viewport } from './viewport';

export interface Tick {
  /** Pixels from the left of the track. */
  x: number;
  /** Axis time (ms). */
  t: number;
  /** Null when there is no room for it beside its neighbours. */
  label: string | null;
  /** Where the label's middle is: at the tick, or shifted to stay inside the view. */
  labelX: number;
}

export interface VisibleBreak {
  x0: number;
  x1: number;
  /** How much time the break hides: "+2 min 58 s". */
  label: string;
  from: number;
  to: number;
}

/** Estimated width of one label character (no layout is read while drawing). */
const labelCharPx = 6.6;

export function labelWidth(label: string, charPx = labelCharPx): number {
  return label.length * charPx + 6;
}

function toPx(viewport: Viewport, widthPx: number, x: number): number {
  return ((x - viewport.from) / (viewport.to - viewport.from)) * widthPx;
}

function visibleBreaks(axis: Axis, viewport: Viewport, widthPx: number): VisibleBreak[] {
  return axis.pieces
    .filter((p) => p.kind === 'break' && p.x1 > viewport.from && p.x0 < viewport.to)
    .map((p) => ({ x0: toPx(viewport, widthPx, p.x0), x1: toPx(viewport, widthPx, p.x1), label: `+${formatDuration(p.to - p.from)}`, from: p.from, to: p.to }));
}

/** A segment's ticks; `anchor` is the one nearest the middle of its visible part, labelled first. */
interface SegmentTick extends Tick {
  anchor: boolean;
}

/** Wanted distance between ticks. */
const tickSpacingPx = 96;
/** The smallest step, so a microsecond-wide view still gets a handful of ticks. */
const minStepMs = 0.0001;
const maxTicksPerSegment = 400;

function segmentTicks(axis: Axis, viewport: Viewport, widthPx: number): SegmentTick[] {
  const ticks: SegmentTick[] = [];
  const pxPerWorld = widthPx / (viewport.to - viewport.from);
  for (const piece of axis.pieces) {
    if (piece.kind !== 'segment' || piece.x1 <= viewport.from || piece.x0 >= viewport.to) continue;
    const scale = pieceScale(piece);
    const from = piece.from + (Math.max(viewport.from, piece.x0) - piece.x0) / scale;
    const to = piece.from + (Math.min(viewport.to, piece.x1) - piece.x0) / scale;
    const at = (t: number, step: number): SegmentTick => {
      const x = toPx(viewport, widthPx, piece.x0 + (t - piece.from) * scale);
      return { x, t, label: formatAxisTime(t, step), labelX: x, anchor: false };
    };
    const step = Math.max(niceStep(tickSpacingPx / (scale * pxPerWorld)), minStepMs);
    const first = Math.ceil(from / step - 1e-9);
    const last = Math.min(Math.floor(to / step + 1e-9), first + maxTicksPerSegment);
    const own: SegmentTick[] = [];
    for (let k = first; k <= last; k++) own.push(at(k * step, step));
    if (own.length === 0) {
      // A segment narrower than one step (a far record's few pixels) still says when it is.
      const fine = Math.max(niceStep((to - from) / 2), minStepMs);
      const middle = Math.round((from + to) / 2 / fine) * fine;
      own.push(at(middle >= from && middle <= to ? middle : (from + to) / 2, fine));
    }
    const centre = (toPx(viewport, widthPx, Math.max(viewport.from, piece.x0)) + toPx(viewport, widthPx, Math.min(viewport.to, piece.x1))) / 2;
    own.reduce((best, tick) => (Math.abs(tick.x - centre) < Math.abs(best.x - centre) ? tick : best)).anchor = true;
    ticks.push(...own);
  }
  return ticks;
}

/**
 * Ticks left to right (break labels have a row of their own). Labels never overlap: one label per segment goes
 * first, kept inside the view, so a far segment always says when it is; then the rest wherever they fit.
 */
export function axisTicks(axis: Axis, viewport: Viewport, widthPx: number): { ticks: Tick[]; breaks: VisibleBreak[] } {
  const taken: Array<{ from: number; to: number }> = [];
  const ticks = segmentTicks(axis, viewport, widthPx);
  const place = (tick: SegmentTick): void => {
    const width = labelWidth(tick.label!);
    const from = tick.anchor ? Math.min(Math.max(tick.x - width / 2, 0), widthPx - width) : tick.x - width / 2;
    const to = from + width;
    const clear = from >= 0 && to <= widthPx && taken.every((t) => to + 4 <= t.from || from >= t.to + 4);
    if (clear) {
      taken.push({ from, to });
      tick.labelX = from + width / 2;
    } else {
      tick.label = null;
    }
  };
  for (const tick of ticks) if (tick.anchor) place(tick);
  for (const tick of ticks) if (!tick.anchor) place(tick);
  return { ticks: ticks.map(({ x, t, label, labelX }) => ({ x, t, label, labelX })), breaks: visibleBreaks(axis, viewport, widthPx) };
}
