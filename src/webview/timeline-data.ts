// The model rearranged for drawing: per run and lane, the point marks sorted by time with their axis times in a
// typed array (binary search finds what is on screen), marks that cover time kept apart, and the one axis all
// runs share. In compare mode every run is shifted so its connection start lines up with the first run's. Pure.

import type { LaneId, LaneInfo, TimelineMark, TimelineModel, TimelinePhase, TimelineRun } from '../core/timeline/model';
import { buildAxis, type Axis, type TimeRange } from './axis';

export interface PreparedLane {
  info: LaneInfo;
  /** Every mark of the lane by time; a mark that covers time sits at its start (and also gets a bar). */
  points: TimelineMark[];
  /** Their axis times (t + the run's offset), ascending. */
  times: Float64Array;
  /** Marks that cover time (a metric's minute), drawn as bars behind the points. */
  spans: TimelineMark[];
  phases: TimelinePhase[];
}

export interface PreparedRun {
  run: TimelineRun;
  index: number;
  /** Added to the run's t to get axis time. */
  offset: number;
  lanes: PreparedLane[];
  /** How many marks the run has. */
  markCount: number;
}

export interface MarkLocation {
  run: PreparedRun;
  lane: PreparedLane;
  mark: TimelineMark;
  /** Index in lane.points. */
  pointIndex: number;
}

export interface PreparedTimeline {
  model: TimelineModel;
  runs: PreparedRun[];
  axis: Axis;
  marks: MarkIndex;
}

/**
 * Marks by id, indexed on the first look-up: the first render never needs it, and for a long trace building it
 * up front would cost a good part of the time to first render.
 */
export class MarkIndex {
  private index: Map<string, MarkLocation> | null = null;
  constructor(private readonly runs: PreparedRun[]) {}

  private get map(): Map<string, MarkLocation> {
    if (this.index === null) {
      this.index = new Map();
      for (const run of this.runs) {
        for (const lane of run.lanes) lane.points.forEach((mark, pointIndex) => this.index!.set(mark.id, { run, lane, mark, pointIndex }));
      }
    }
    return this.index;
  }

  get(id: string): MarkLocation | undefined {
    return this.map.get(id);
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  get size(): number {
    return this.map.size;
  }
}

/** First index whose value is ≥ t. */
export function lowerBound(values: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > t. */
export function upperBound(values: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The model's lanes, then any lane a mark names that the list lacks: no mark is ever left undrawn. */
function laneInfos(model: TimelineModel): LaneInfo[] {
  const lanes = [...model.lanes];
  const known = new Set<LaneId>(lanes.map((l) => l.id));
  for (const run of model.runs) {
    for (const mark of run.marks) {
      if (!known.has(mark.lane)) {
        known.add(mark.lane);
        lanes.push({ id: mark.lane, label: mark.lane, description: `Events on the ${mark.lane} lane.` });
      }
    }
  }
  return lanes;
}

function isSortedByTime(marks: TimelineMark[]): boolean {
  for (let i = 1; i < marks.length; i++) if (marks[i]!.t < marks[i - 1]!.t) return false;
  return true;
}

function prepareRun(run: TimelineRun, index: number, offset: number, infos: LaneInfo[]): PreparedRun {
  const byLane = new Map<LaneId, { points: TimelineMark[]; spans: TimelineMark[]; phases: TimelinePhase[] }>(infos.map((info) => [info.id, { points: [], spans: [], phases: [] }]));
  for (const mark of run.marks) {
    const lane = byLane.get(mark.lane)!;
    lane.points.push(mark);
    if (mark.duration !== undefined && mark.duration > 0) lane.spans.push(mark);
  }
  for (const phase of run.phases) byLane.get(phase.lane)?.phases.push(phase);
  const lanes = infos.map((info) => {
    const lane = byLane.get(info.id)!;
    // The model sends marks sorted; sorting anyway would be the slowest step for a long trace. Array sort is
    // stable, so marks at the same instant keep the order they happened in.
    const points = isSortedByTime(lane.points) ? lane.points : [...lane.points].sort((a, b) => a.t - b.t);
    return { info, points, times: Float64Array.from(points, (m) => m.t + offset), spans: lane.spans, phases: lane.phases };
  });
  return { run, index, offset, lanes, markCount: run.marks.length };
}

/** Every time the axis must show: marks (and where a covering mark ends), phases and probe windows. */
function axisPoints(runs: PreparedRun[]): number[] {
  const points: number[] = [];
  for (const { run, offset } of runs) {
    for (const mark of run.marks) {
      points.push(mark.t + offset);
      if (mark.duration !== undefined && mark.duration > 0) points.push(mark.t + mark.duration + offset);
    }
    for (const phase of run.phases) points.push(phase.from + offset, phase.to + offset);
  }
  return points;
}

function unionProbeWindow(runs: PreparedRun[]): TimeRange {
  if (runs.length === 0) return { from: 0, to: 1 };
  return {
    from: Math.min(...runs.map((r) => r.run.probeWindow.from + r.offset)),
    to: Math.max(...runs.map((r) => r.run.probeWindow.to + r.offset)),
  };
}

export function prepareTimeline(model: TimelineModel): PreparedTimeline {
  const infos = laneInfos(model);
  const reference = model.runs[0]?.connectionStartMs ?? 0;
  const runs = model.runs.map((run, i) => prepareRun(run, i, reference - run.connectionStartMs, infos));
  const axis = buildAxis(axisPoints(runs), unionProbeWindow(runs));
  return { model, runs, axis, marks: new MarkIndex(runs) };
}

/** Same runs (by id, in order): a live update that only adds evidence keeps the user's view. */
export function sameRuns(a: TimelineModel, b: TimelineModel): boolean {
  return a.runs.length === b.runs.length && a.runs.every((run, i) => run.id === b.runs[i]!.id);
}
