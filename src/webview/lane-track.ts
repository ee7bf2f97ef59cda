// One lane of one run on screen: its phases as bars, the marks that cover time as bars below, and its marks —
// only those in view (binary search on their times), merged into clusters or fanned out by lane-layout.ts. Elements
// are kept by key from frame to frame and only moved, so zooming and panning rewrite transforms, not the DOM.

import type { TimelineMark } from '../core/timeline/model';
import { timeToWorld, worldToTime, type Axis } from './axis';
import { h } from './dom';
import { formatDuration, formatRelativeTime } from './format';
import { layoutLaneItems, placeLabels, type LaneItem, type PlacedLabel } from './lane-layout';
import { markAccessibleName, markClassName, markGlyph, markLabelText, shortVersion } from './mark-element';
import type { PreparedLane, PreparedRun } from './timeline-data';
import { lowerBound, upperBound } from './timeline-data';
import type { Viewport } from './viewport';

export interface TrackFrame {
  axis: Axis;
  viewport: Viewport;
  widthPx: number;
  activeMarkId: string | null;
  selectedMarkId: string | null;
}

/** What a frame drew, left to right: keyboard navigation moves between these. */
export interface DrawnItem {
  key: string;
  /** Indices into lane.points. */
  first: number;
  last: number;
  x: number;
  element: HTMLElement;
}

const labelCharPx = 6.4;
/** Marks just outside the view are drawn too, so a mark half in view is not cut off. */
const marginPx = 48;
const spanRowCount = 3;

interface ItemElement extends HTMLElement {
  labelKey?: string;
  tabIndexValue?: number;
}

export class LaneTrack {
  readonly element: HTMLElement;
  drawn: DrawnItem[] = [];
  private elements = new Map<string, ItemElement>();
  private readonly phaseElements: HTMLElement[];
  private readonly spanElements: HTMLElement[];
  private xs = new Float64Array(64);

  constructor(
    readonly run: PreparedRun,
    readonly lane: PreparedLane,
  ) {
    this.element = h('div', { class: 'lane-track' });
    this.phaseElements = lane.phases.map((phase) => {
      // A retry's phase says so to a screen reader and in its tooltip; on screen, the attempt's bar above says it.
      const attempt = phase.attempt !== undefined && phase.attempt > 0 ? run.run.attempts?.find((a) => a.index === phase.attempt) : undefined;
      const name = attempt === undefined ? phase.label : `${attempt.label}: ${phase.label}`;
      const bar = h('div', { class: `phase phase-${phase.name} outcome-${phase.outcome}`, role: 'img', 'aria-label': name, title: name }, h('span', { class: 'phase-label' }, phase.label));
      this.element.append(bar);
      return bar;
    });
    const rows = spanRows(lane.spans);
    this.spanElements = lane.spans.map((mark, i) => {
      const bar = h('div', { class: `span-bar span-row-${rows[i]} tone-${mark.tone}`, 'aria-hidden': 'true', title: `${mark.summary} (${formatDuration(mark.duration ?? 0)})`, 'data-mark-id': mark.id });
      this.element.append(bar);
      return bar;
    });
    if (lane.points.length === 0) this.element.append(h('span', { class: 'lane-empty-text' }, 'no events'));
  }

  /** Rows the lane needs below its marks for bars of marks that cover time. */
  get spanRowsUsed(): number {
    return Math.min(spanRowCount, Math.max(0, ...spanRows(this.lane.spans).map((r) => r + 1)));
  }

  render(frame: TrackFrame): void {
    const pxPerWorld = frame.widthPx / (frame.viewport.to - frame.viewport.from);
    const toPx = (t: number): number => (timeToWorld(frame.axis, t) - frame.viewport.from) * pxPerWorld;
    this.renderBars(frame, toPx);
    this.renderItems(frame, toPx, pxPerWorld);
  }

  private renderBars(frame: TrackFrame, toPx: (t: number) => number): void {
    const place = (element: HTMLElement, from: number, to: number, labelPx: number | null): void => {
      const x0 = Math.max(toPx(from), -4);
      const x1 = Math.min(toPx(to), frame.widthPx + 4);
      const visible = x1 > 0 && x0 < frame.widthPx;
      element.hidden = !visible;
      if (!visible) return;
      const width = Math.max(x1 - x0, 2);
      element.style.transform = `translateX(${x0}px)`;
      element.style.width = `${width}px`;
      if (labelPx !== null) element.classList.toggle('label-hidden', width < labelPx);
    };
    this.lane.phases.forEach((phase, i) => place(this.phaseElements[i]!, phase.from + this.run.offset, phase.to + this.run.offset, 40));
    this.lane.spans.forEach((mark, i) => place(this.spanElements[i]!, mark.t + this.run.offset, mark.t + (mark.duration ?? 0) + this.run.offset, null));
  }

  private visibleRange(frame: TrackFrame, pxPerWorld: number): [number, number] {
    const margin = marginPx / pxPerWorld;
    const from = worldToTime(frame.axis, frame.viewport.from - margin);
    const to = worldToTime(frame.axis, frame.viewport.to + margin);
    return [lowerBound(this.lane.times, from), upperBound(this.lane.times, to)];
  }

  private renderItems(frame: TrackFrame, toPx: (t: number) => number, pxPerWorld: number): void {
    const [lo, hi] = this.visibleRange(frame, pxPerWorld);
    const count = hi - lo;
    if (this.xs.length < count) this.xs = new Float64Array(Math.max(count, this.xs.length * 2));
    const xs = this.xs.subarray(0, count);
    const ts = this.lane.times.subarray(lo, hi);
    for (let i = 0; i < count; i++) xs[i] = toPx(ts[i]!);
    const items = layoutLaneItems(xs, ts);
    const labels = this.labels(items, lo, frame.widthPx);
    const next = new Map<string, ItemElement>();
    const drawn: DrawnItem[] = [];
    items.forEach((item, i) => {
      const first = lo + (item.kind === 'mark' ? item.index : item.first);
      const last = lo + (item.kind === 'mark' ? item.index : item.last);
      const key = item.kind === 'mark' ? this.lane.points[first]!.id : `cluster:${this.lane.points[first]!.id}:${last - first + 1}`;
      const element = this.elements.get(key) ?? (item.kind === 'mark' ? this.createMark(this.lane.points[first]!) : this.createCluster(first, last));
      const x = item.kind === 'mark' ? item.x : item.x0;
      element.style.transform = `translateX(${x}px)`;
      if (item.kind === 'cluster') element.style.width = `${Math.max(item.x1 - item.x0, 0)}px`;
      setLabel(element, labels[i]!);
      const containsActive = frame.activeMarkId !== null && this.containsMark(first, last, frame.activeMarkId);
      setTabIndex(element, containsActive ? 0 : -1);
      element.classList.toggle('is-selected', frame.selectedMarkId !== null && this.containsMark(first, last, frame.selectedMarkId));
      if (element.parentNode !== this.element) this.element.append(element);
      next.set(key, element);
      drawn.push({ key, first, last, x, element });
      if (item.kind === 'mark' && item.fan !== null && item.index === item.fan.last) {
        const start = items[i - (item.fan.last - item.fan.first)] as { x: number };
        this.placeFan(next, `fan:${this.lane.points[lo + item.fan.first]!.id}`, start.x, x, item.anchorX);
      }
    });
    for (const [key, element] of this.elements) if (!next.has(key)) element.remove();
    this.elements = next;
    this.drawn = drawn;
  }

  /**
   * Each item's label: its own, a cluster's count, or — on the first mark of a fan — the whole flight in order
   * ("ServerHello, Certificate, … · 1.2"), the way a packet list sums up one segment; the fan's other marks have none.
   */
  private labels(items: LaneItem[], lo: number, widthPx: number): ItemLabel[] {
    const units: Array<{ item: number; x: number; width: number; text: string }> = [];
    items.forEach((item, i) => {
      if (item.kind === 'cluster') {
        const text = `${item.last - item.first + 1} events`;
        units.push({ item: i, x: item.x0, width: text.length * labelCharPx + 10, text });
        return;
      }
      if (item.fan !== null && item.index !== item.fan.first) return;
      const text = item.fan === null ? markLabelText(this.lane.points[lo + item.index]!) : flightLabel(this.lane.points.slice(lo + item.fan.first, lo + item.fan.last + 1));
      units.push({ item: i, x: item.x, width: text.length * labelCharPx + 10, text });
    });
    const placed = placeLabels(units, undefined, widthPx);
    const labels: ItemLabel[] = items.map(() => ({ row: null, maxWidth: 0, text: null }));
    units.forEach((unit, u) => (labels[unit.item] = { ...placed[u]!, text: unit.text }));
    return labels;
  }

  /** A bracket under marks that share one instant, pointing at that instant on the axis. */
  private placeFan(next: Map<string, ItemElement>, key: string, from: number, to: number, anchor: number): void {
    const fan = this.elements.get(key) ?? h('div', { class: 'fan', 'aria-hidden': 'true' }, h('span', { class: 'fan-anchor' }));
    const left = Math.min(from, anchor) - 3;
    fan.style.transform = `translateX(${left}px)`;
    fan.style.width = `${Math.max(to, anchor) - left + 3}px`;
    (fan.firstElementChild as HTMLElement).style.transform = `translateX(${anchor - left}px)`;
    if (fan.parentNode !== this.element) this.element.prepend(fan);
    next.set(key, fan);
  }

  private containsMark(first: number, last: number, id: string): boolean {
    for (let i = first; i <= last; i++) if (this.lane.points[i]!.id === id) return true;
    return false;
  }

  private createMark(mark: TimelineMark): ItemElement {
    const element: ItemElement = h('div', { class: markClassName(mark, 'mark'), role: 'button', tabindex: '-1', 'aria-label': markAccessibleName(mark), title: markAccessibleName(mark), 'data-mark-id': mark.id });
    element.append(markGlyph(mark), h('span', { class: 'mark-label', 'aria-hidden': 'true' }, markLabelText(mark)));
    return element;
  }

  private createCluster(first: number, last: number): ItemElement {
    const marks = this.lane.points.slice(first, last + 1);
    const from = formatRelativeTime(marks[0]!.t);
    const to = formatRelativeTime(marks[marks.length - 1]!.t);
    const when = from === to ? `at ${from}` : `from ${from} to ${to}`;
    const names = marks.slice(0, 6).map((m) => m.label).join(', ') + (marks.length > 6 ? ', …' : '');
    const tone = marks.some((m) => m.tone === 'error') ? 'error' : marks.some((m) => m.tone === 'warning') ? 'warning' : 'neutral';
    const label = `${marks.length} events ${when}: ${names}. Press Enter to zoom in.`;
    return h(
      'div',
      { class: `cluster tone-${tone}`, role: 'button', tabindex: '-1', 'aria-label': label, title: label, 'data-first-mark-id': marks[0]!.id, 'data-count': marks.length },
      h('span', { class: 'cluster-count', 'aria-hidden': 'true' }, String(marks.length)),
      h('span', { class: 'mark-label', 'aria-hidden': 'true' }, `${marks.length} events`),
    );
  }

  /** The drawn item (mark or cluster) that holds the mark, if it is on screen. */
  drawnItemOf(markId: string): DrawnItem | null {
    return this.drawn.find((item) => this.containsMark(item.first, item.last, markId)) ?? null;
  }
}

interface ItemLabel extends PlacedLabel {
  text: string | null;
}

/** Writes the label only when it changed: most frames move marks without touching their text. */
function setLabel(element: ItemElement, label: ItemLabel): void {
  const key = `${label.row}|${Math.round(label.maxWidth)}|${label.text}|${label.end === true}`;
  if (element.labelKey === key) return;
  element.labelKey = key;
  element.classList.remove('label-above', 'label-below', 'label-none');
  element.classList.add(label.row === null ? 'label-none' : `label-${label.row}`);
  element.classList.toggle('label-end', label.end === true);
  const span = element.querySelector<HTMLElement>('.mark-label');
  if (span === null || label.row === null || label.text === null) return;
  if (span.textContent !== label.text) span.textContent = label.text;
  span.style.maxWidth = Number.isFinite(label.maxWidth) ? `${label.maxWidth}px` : '';
}

/** The messages of one flight, in order, with their TLS version once. */
function flightLabel(marks: TimelineMark[]): string {
  const names = marks.map((m) => m.label).join(', ');
  const versions = new Set(marks.map((m) => (m.lane === 'tls' ? shortVersion(m.version) : null)));
  const version = versions.size === 1 ? [...versions][0] : null;
  return version === null || version === undefined ? names : `${names} · ${version}`;
}

export function setTabIndex(element: ItemElement, value: number): void {
  if (element.tabIndexValue === value) return;
  element.tabIndex = value;
  element.tabIndexValue = value;
}

/** Bars that overlap in time go in separate rows (the first free one); beyond the last row they share it. */
function spanRows(spans: TimelineMark[]): number[] {
  const rowEnds: number[] = [];
  return spans.map((mark) => {
    const end = mark.t + (mark.duration ?? 0);
    let row = rowEnds.findIndex((rowEnd) => rowEnd <= mark.t);
    if (row < 0) row = rowEnds.length < spanRowCount ? rowEnds.length : spanRowCount - 1;
    rowEnds[row] = Math.max(rowEnds[row] ?? -Infinity, end);
    return row;
  });
}
