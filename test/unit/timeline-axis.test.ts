import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { breaksOf, buildAxis, segmentsOf, timeToWorld, worldToTime, type Axis } from '../../src/webview/axis';
import { formatAxisTime, formatDuration, formatRelativeTime, isoWithMicroseconds, niceStep } from '../../src/webview/format';
import { layoutLaneItems, placeLabels } from '../../src/webview/lane-layout';
import { axisTicks, labelWidth } from '../../src/webview/ticks';
import { prepareTimeline } from '../../src/webview/timeline-data';
import { clampViewport, fitAllViewport, minVisibleMs, panBy, probeWindowViewport, viewportForTimes, viewportFromTimes, viewportTimes, visibleMs, zoomAbout, type Viewport } from '../../src/webview/viewport';
import { compareModel, singleRunModel } from '../support/timeline-fixtures';

// The probe of an ALB: a 14 ms handshake, the connection-log record 3 ms after it, a CloudWatch datapoint at the
// start of the minute (42 s before) ending 18 s after, and a WAF record 3 minutes later.
const probeWindow = { from: 0, to: 14.397 };
const points = [0.412, 1.618, 5.281, 11.536, 11.536, 12.508, 14.141, 17.2, -42_318, 17_682, 180_004.5];

function albAxis(): Axis {
  return buildAxis(points, probeWindow);
}

const widthPx = 1200;
const toPx = (axis: Axis, viewport: Viewport, t: number): number => ((timeToWorld(axis, t) - viewport.from) / (viewport.to - viewport.from)) * widthPx;

describe('the piecewise axis', () => {
  test('the probe window is one segment; a record just after it joins it; far marks get segments of their own', () => {
    const axis = albAxis();
    const segments = segmentsOf(axis);
    assert.equal(segments.length, 4);
    const probe = segments.find((s) => s.probe)!;
    assert.ok(probe.from <= 0 && probe.to >= 17.2, `probe segment ${probe.from}..${probe.to} holds the connection-log record`);
    assert.ok(probe.to < 40, 'and nothing far');
    assert.deepEqual(
      segments.filter((s) => !s.probe).map((s) => s.from < -42_318 && s.to > -42_318 ? 'minute start' : s.from < 17_682 && s.to > 17_682 ? 'minute end' : 'waf record'),
      ['minute start', 'minute end', 'waf record'],
    );
  });

  test('the gaps between segments are compressed into breaks of one fixed width that know how much time they hide', () => {
    const axis = albAxis();
    const breaks = breaksOf(axis);
    assert.equal(breaks.length, 3);
    const widths = new Set(breaks.map((b) => Math.round((b.x1 - b.x0) * 1e6)));
    assert.equal(widths.size, 1, 'every break is as wide as the others');
    const hidden = breaks.map((b) => b.to - b.from);
    assert.ok(hidden[0]! > 42_000 && hidden[1]! > 17_000 && hidden[2]! > 160_000, `hidden ${hidden.join(', ')}`);
    assert.equal(axis.pieces[0]!.x0, 0);
    assert.equal(axis.pieces[axis.pieces.length - 1]!.x1, axis.width);
  });

  test('by default the probe window takes most of the width', () => {
    const axis = albAxis();
    const probe = segmentsOf(axis).find((s) => s.probe)!;
    assert.ok((probe.x1 - probe.x0) / axis.width >= 0.6, `probe share ${(probe.x1 - probe.x0) / axis.width}`);
    assert.equal(buildAxis([1, 2, 3], { from: 0, to: 5 }).pieces.length, 1, 'with nothing far, one segment is the whole axis');
  });

  test('time → world → time round-trips everywhere (segments, breaks, beyond both ends) and never goes backwards', () => {
    const axis = albAxis();
    const times = [-100_000, -42_318, -20_000, -1, 0, 0.0005, 5.281, 11.536, 14.397, 17.2, 1_000, 17_682, 90_000, 180_004.5, 400_000];
    let previous = -Infinity;
    for (const t of times) {
      const x = timeToWorld(axis, t);
      assert.ok(x > previous, `monotonic at ${t}`);
      previous = x;
      assert.ok(Math.abs(worldToTime(axis, x) - t) <= Math.max(1e-9, Math.abs(t) * 1e-12), `round trip at ${t}: ${worldToTime(axis, x)}`);
    }
    for (let x = 0; x <= axis.width; x += 7.3) assert.ok(Math.abs(timeToWorld(axis, worldToTime(axis, x)) - x) < 1e-9, `x ${x}`);
  });
});

describe('the viewport', () => {
  test('zooming about a point keeps that point where it is on screen', () => {
    const axis = albAxis();
    let viewport = probeWindowViewport(axis);
    for (const t of [5.281, 11.536, 12.508]) {
      const anchor = timeToWorld(axis, t);
      const before = toPx(axis, viewport, t);
      viewport = zoomAbout(axis, viewport, anchor, 3);
      assert.ok(Math.abs(toPx(axis, viewport, t) - before) < 1e-6, `t ${t} moved from ${before} to ${toPx(axis, viewport, t)}`);
    }
  });

  test('zooming in stops at a microsecond across the view; zooming out stops at everything', () => {
    const axis = albAxis();
    let viewport = fitAllViewport(axis);
    const anchor = timeToWorld(axis, 11.536);
    for (let i = 0; i < 200; i++) viewport = zoomAbout(axis, viewport, anchor, 2);
    const shown = visibleMs(axis, viewport);
    assert.ok(shown >= minVisibleMs * 0.999 && shown <= minVisibleMs * 1.001, `${shown} ms across the deepest view`);
    const ticks = axisTicks(axis, viewport, widthPx).ticks.filter((t) => t.label !== null);
    assert.ok(ticks.length >= 2 && ticks.every((t) => t.label!.endsWith('µs')), ticks.map((t) => t.label).join(' | '));
    for (let i = 0; i < 200; i++) viewport = zoomAbout(axis, viewport, anchor, 0.5);
    assert.deepEqual(viewport, fitAllViewport(axis));
  });

  test('panning stops at the ends of the axis; views survive a rebuilt axis as times', () => {
    const axis = albAxis();
    const viewport = probeWindowViewport(axis);
    const span = viewport.to - viewport.from;
    const near = (a: Viewport, b: Viewport): boolean => Math.abs(a.from - b.from) < 1e-9 && Math.abs(a.to - b.to) < 1e-9;
    assert.ok(near(panBy(axis, viewport, -2 * axis.width), { from: 0, to: span }));
    assert.ok(near(panBy(axis, viewport, 2 * axis.width), { from: axis.width - span, to: axis.width }));
    assert.deepEqual(clampViewport(axis, { from: -5, to: axis.width + 5 }), fitAllViewport(axis));
    const times = viewportTimes(axis, viewport);
    const rebuilt = buildAxis([...points, 600_000], probeWindow);
    const again = viewportTimes(rebuilt, viewportFromTimes(rebuilt, times));
    assert.ok(Math.abs(again.from - times.from) < 1e-9 && Math.abs(again.to - times.to) < 1e-9);
  });

  test('"Probe window" shows the probe and not the far evidence; "Fit all" shows both', () => {
    const axis = albAxis();
    const probe = probeWindowViewport(axis);
    assert.ok(toPx(axis, probe, 0) >= 0 && toPx(axis, probe, 14.397) <= widthPx);
    assert.ok(toPx(axis, probe, -42_318) < 0 && toPx(axis, probe, 180_004.5) > widthPx);
    const all = fitAllViewport(axis);
    for (const t of [-42_318, 0, 14.397, 180_004.5]) assert.ok(toPx(axis, all, t) > 0 && toPx(axis, all, t) < widthPx, `t ${t} in view`);
  });
});

describe('ticks and their labels', () => {
  const labelsAt = (axis: Axis, viewport: Viewport): string[] => axisTicks(axis, viewport, widthPx).ticks.flatMap((t) => (t.label === null ? [] : [t.label]));

  test('the unit follows the scale: µs, ms, s, min', () => {
    const axis = albAxis();
    const micro = viewportForTimes(axis, { from: 11.53, to: 11.54 });
    assert.ok(labelsAt(axis, micro).every((l) => l.endsWith(' µs')), labelsAt(axis, micro).join(' | '));
    const milli = probeWindowViewport(axis);
    assert.ok(labelsAt(axis, milli).every((l) => l.endsWith(' ms')) && labelsAt(axis, milli).length >= 4, labelsAt(axis, milli).join(' | '));
    const seconds = buildAxis([0, 20_000], { from: 0, to: 20_000 });
    assert.ok(labelsAt(seconds, fitAllViewport(seconds)).slice(1).every((l) => / s$/.test(l)), labelsAt(seconds, fitAllViewport(seconds)).join(' | '));
    const minutes = buildAxis([0, 600_000], { from: 0, to: 600_000 });
    assert.ok(labelsAt(minutes, fitAllViewport(minutes)).slice(1).every((l) => / min$/.test(l)), labelsAt(minutes, fitAllViewport(minutes)).join(' | '));
  });

  test('labels never overlap, and every segment in view is labelled', () => {
    const axis = albAxis();
    for (const viewport of [fitAllViewport(axis), probeWindowViewport(axis), viewportForTimes(axis, { from: -42_320, to: 12 })]) {
      const { ticks } = axisTicks(axis, viewport, widthPx);
      const boxes = ticks.filter((t) => t.label !== null).map((t) => ({ from: t.labelX - labelWidth(t.label!, 6.6) / 2, to: t.labelX + labelWidth(t.label!, 6.6) / 2 }));
      boxes.forEach((box, i) => {
        assert.ok(box.from >= 0 && box.to <= widthPx);
        if (i > 0) assert.ok(box.from >= boxes[i - 1]!.to, 'labels overlap');
      });
    }
    const all = fitAllViewport(axis);
    const { ticks } = axisTicks(axis, all, widthPx);
    for (const segment of segmentsOf(axis)) {
      const labelled = ticks.some((t) => t.label !== null && t.t >= segment.from && t.t <= segment.to);
      assert.ok(labelled, `segment ${segment.from}..${segment.to} has a label`);
    }
  });

  test('times are written to the precision of the step', () => {
    assert.equal(formatAxisTime(16.5362, 0.0001), '16\u202f536.2 µs');
    assert.equal(formatAxisTime(16.54, 0.01), '16.54 ms');
    assert.equal(formatAxisTime(-42_318, 1), '\u221242.318 s');
    assert.equal(formatAxisTime(192_000, 1000), '3 min 12 s');
    assert.equal(formatAxisTime(180_000, 60_000), '3 min');
    assert.equal(formatRelativeTime(0.412), '412 µs');
    assert.equal(formatRelativeTime(16.898), '16.898 ms');
    assert.equal(formatDuration(178_000), '2 min 58 s');
    assert.equal(formatDuration(8.86), '8.86 ms');
    assert.equal(isoWithMicroseconds(Date.parse('2026-12-06T12:05:42.318Z') + 5.281), '2026-12-06T12:05:42.323281Z');
    assert.deepEqual([0.00013, 0.7, 3, 7, 1500, 40_000, 100_000].map(niceStep), [0.0002, 1, 5, 10, 2000, 60_000, 120_000]);
  });
});

describe('marks in a lane', () => {
  test('marks closer than 6 px become one cluster; marks apart stay marks', () => {
    const items = layoutLaneItems([10, 12, 14, 40, 200], [1, 1.1, 1.2, 3, 9]);
    assert.deepEqual(items, [
      { kind: 'cluster', first: 0, last: 2, x0: 10, x1: 14 },
      { kind: 'mark', index: 3, x: 40, anchorX: 40, fan: null },
      { kind: 'mark', index: 4, x: 200, anchorX: 200, fan: null },
    ]);
  });

  test('marks of one instant fan out from it, tight, and cluster when there is no room', () => {
    const positions = (items: ReturnType<typeof layoutLaneItems>) => items.map((i) => (i.kind === 'mark' ? [i.index, i.x, i.anchorX, i.fan?.first ?? null] : i.kind));
    const spacious = layoutLaneItems([100, 100, 100, 400], [11.536, 11.536, 11.536, 12.508]);
    assert.deepEqual(positions(spacious), [[0, 100, 100, 0], [1, 115, 100, 0], [2, 130, 100, 0], [3, 400, 400, null]], 'starting at their time, in the order they came');
    const shifted = layoutLaneItems([60, 100, 100, 100, 130], [1, 11.536, 11.536, 11.536, 12.508]);
    assert.deepEqual(positions(shifted), [[0, 60, 60, null], [1, 88, 100, 1], [2, 103, 100, 1], [3, 118, 100, 1], [4, 130, 130, null]], 'shifted left to make room, never over the previous mark');
    const late = layoutLaneItems([92, 100, 100, 100, 200], [1, 11.536, 11.536, 11.536, 12.508]);
    assert.deepEqual(positions(late).slice(1, 2), [[1, 107, 100, 1]], 'or right, a little, past a mark just before');
    const crowded = layoutLaneItems([80, 100, 100, 100, 112], [1, 11.536, 11.536, 11.536, 12.508]);
    assert.deepEqual(crowded.map((i) => i.kind), ['mark', 'cluster', 'mark']);
  });

  test('labels go above, then below, then are left out; a long one is cut before the label after next', () => {
    const rows = placeLabels([{ x: 0, width: 80 }, { x: 20, width: 80 }, { x: 40, width: 80 }, { x: 200, width: 40 }]);
    assert.deepEqual(rows.map((r) => r.row), ['above', 'below', 'above', 'above']);
    assert.equal(rows[0]!.maxWidth, 34, 'the first label ends before the third mark’s');
    assert.deepEqual(placeLabels([{ x: 0, width: 80 }, { x: 5, width: 80 }, { x: 10, width: 80 }]).map((r) => r.row), [null, 'above', 'below'], 'no room for a readable label');
    const flight = placeLabels([{ x: 100, width: 500 }, { x: 300, width: 60 }]);
    assert.deepEqual(flight, [{ row: 'above', maxWidth: Infinity }, { row: 'below', maxWidth: Infinity }]);
  });
});

describe('the model prepared for drawing', () => {
  test('compare mode lines the runs up at their connection start', () => {
    const model = compareModel();
    model.runs[1]!.connectionStartMs = 2.5;
    const timeline = prepareTimeline(model);
    for (const run of timeline.runs) assert.equal(run.run.connectionStartMs + run.offset, model.runs[0]!.connectionStartMs);
  });

  test('every mark is in its lane, by time, and can be found by id', () => {
    const model = singleRunModel();
    const timeline = prepareTimeline(model);
    assert.equal(timeline.marks.size, model.runs[0]!.marks.length);
    for (const lane of timeline.runs[0]!.lanes) {
      for (let i = 1; i < lane.times.length; i++) assert.ok(lane.times[i]! >= lane.times[i - 1]!);
      for (const mark of lane.points) assert.equal(mark.lane, lane.info.id);
    }
    const metric = model.runs[0]!.marks.find((m) => m.duration !== undefined)!;
    assert.ok(timeline.marks.get(metric.id)!.lane.spans.includes(metric), 'a mark that covers time is also a bar');
  });
});
