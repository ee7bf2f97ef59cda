// The visible range of the axis, in world units (axis.ts), and how zooming and panning move it. Pure.

import { localScale, timeToWorld, worldToTime, type Axis, type TimeRange } from './axis';

export interface Viewport {
  from: number;
  to: number;
}

/** One zoom step of the buttons and keys. */
export const zoomStep = 1.6;

/** The deepest zoom shows this much time across the view: a microsecond, where handshake messages part. */
export const minVisibleMs = 0.001;

export function fitAllViewport(axis: Axis): Viewport {
  return { from: 0, to: axis.width };
}

/** Keeps the view inside the axis, shifting rather than shrinking it. */
export function clampViewport(axis: Axis, viewport: Viewport): Viewport {
  const span = Math.min(Math.max(viewport.to - viewport.from, 0), axis.width);
  const from = Math.min(Math.max(viewport.from, 0), axis.width - span);
  return { from, to: from + span };
}

/** The narrowest view around world position x: a microsecond at the scale that applies there. */
export function minSpanAt(axis: Axis, x: number): number {
  return minVisibleMs * localScale(axis, x);
}

/** Zooms by `factor` (> 1 in, < 1 out) keeping world position `anchor` where it is on screen. */
export function zoomAbout(axis: Axis, viewport: Viewport, anchor: number, factor: number): Viewport {
  const span = viewport.to - viewport.from;
  const wanted = span / factor;
  const next = Math.min(Math.max(wanted, minSpanAt(axis, anchor)), axis.width);
  const ratio = span > 0 ? (anchor - viewport.from) / span : 0.5;
  const from = anchor - ratio * next;
  return clampViewport(axis, { from, to: from + next });
}

export function panBy(axis: Axis, viewport: Viewport, delta: number): Viewport {
  return clampViewport(axis, { from: viewport.from + delta, to: viewport.to + delta });
}

/** A view that shows the time range with a margin of `margin` of its width on each side. */
export function viewportForTimes(axis: Axis, range: TimeRange, margin = 0.06): Viewport {
  const x0 = timeToWorld(axis, range.from);
  const x1 = timeToWorld(axis, range.to);
  const centre = (x0 + x1) / 2;
  const span = Math.max((x1 - x0) * (1 + 2 * margin), minSpanAt(axis, centre));
  return clampViewport(axis, { from: centre - span / 2, to: centre + span / 2 });
}

export function probeWindowViewport(axis: Axis): Viewport {
  return viewportForTimes(axis, axis.probeWindow, 0.03);
}

/** The view as times, which survive a rebuilt axis (new evidence adds segments and moves world positions). */
export function viewportTimes(axis: Axis, viewport: Viewport): TimeRange {
  return { from: worldToTime(axis, viewport.from), to: worldToTime(axis, viewport.to) };
}

export function viewportFromTimes(axis: Axis, range: TimeRange): Viewport {
  return clampViewport(axis, { from: timeToWorld(axis, range.from), to: timeToWorld(axis, range.to) });
}

export function visibleMs(axis: Axis, viewport: Viewport): number {
  return worldToTime(axis, viewport.to) - worldToTime(axis, viewport.from);
}
