// Keyboard and activation for the lanes: one roving tab stop (Tab enters the timeline at the active mark), ←/→
// to the neighbouring mark of the lane, ↑/↓ to the nearest mark of the lane above or below, Home/End, Enter or
// Space to open a mark or zoom into a cluster, +/−/0 to zoom. A mark that is off screen is brought into view
// first, keeping the zoom, so the whole lane is reachable from the keyboard.

import { timeToWorld, type TimeRange } from './axis';
import { setTabIndex, type LaneTrack } from './lane-track';
import { lowerBound, type PreparedTimeline } from './timeline-data';
import { minSpanAt, zoomStep, type Viewport } from './viewport';

export interface NavigationHost {
  tracks(): LaneTrack[];
  timeline(): PreparedTimeline | null;
  viewport(): Viewport;
  setViewport(viewport: Viewport): void;
  renderNow(): void;
  zoomAt(anchor: number, factor: number): void;
  zoomToTimes(range: TimeRange): void;
  fitAll(): void;
  select(markId: string): void;
  showCluster(markIds: string[]): void;
}

interface Position {
  track: LaneTrack;
  first: number;
  last: number;
}

export class LaneNavigation {
  /** The mark that holds the tab stop (for a cluster: its first mark). */
  activeMarkId: string | null = null;

  constructor(private readonly host: NavigationHost) {}

  private positionOf(element: Element): Position | null {
    const trackElement = element.closest('.lane-track');
    const track = this.host.tracks().find((t) => t.element === trackElement);
    const item = track?.drawn.find((d) => d.element === element);
    return track === undefined || item === undefined ? null : { track, first: item.first, last: item.last };
  }

  onFocusIn(event: FocusEvent): void {
    const item = (event.target as Element).closest('.mark, .cluster');
    const position = item === null ? null : this.positionOf(item);
    if (position !== null) this.activeMarkId = position.track.lane.points[position.first]!.id;
  }

  onKeyDown(event: KeyboardEvent): void {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const item = (event.target as Element).closest<HTMLElement>('.mark, .cluster');
    const position = item === null ? null : this.positionOf(item);
    if (item === null || position === null) return;
    const handled = this.handleKey(event.key, item, position);
    if (handled) event.preventDefault();
  }

  private handleKey(key: string, item: HTMLElement, p: Position): boolean {
    const count = p.track.lane.points.length;
    const anchor = (): number => timeToWorld(this.host.timeline()!.axis, p.track.lane.times[p.first]!);
    switch (key) {
      case 'ArrowRight':
        return p.last + 1 < count ? this.moveTo(p.track, p.last + 1) : true;
      case 'ArrowLeft':
        return p.first > 0 ? this.moveTo(p.track, p.first - 1) : true;
      case 'Home':
        return this.moveTo(p.track, 0);
      case 'End':
        return this.moveTo(p.track, count - 1);
      case 'ArrowDown':
      case 'ArrowUp':
        return this.moveAcross(p, key === 'ArrowDown' ? 1 : -1);
      case 'Enter':
      case ' ':
        this.activate(item);
        return true;
      case '+':
      case '=':
        this.host.zoomAt(anchor(), zoomStep);
        return true;
      case '-':
        this.host.zoomAt(anchor(), 1 / zoomStep);
        return true;
      case '0':
        this.host.fitAll();
        return true;
      default:
        return false;
    }
  }

  /** The lane above or below with marks, at the mark nearest in time. */
  private moveAcross(p: Position, step: 1 | -1): boolean {
    const tracks = this.host.tracks().filter((t) => t.lane.points.length > 0);
    const target = tracks[tracks.indexOf(p.track) + step];
    if (target === undefined) return true;
    const t = p.track.lane.times[p.first]!;
    const times = target.lane.times;
    const after = Math.min(lowerBound(times, t), times.length - 1);
    const before = Math.max(after - 1, 0);
    return this.moveTo(target, Math.abs(times[before]! - t) <= Math.abs(times[after]! - t) ? before : after);
  }

  private moveTo(track: LaneTrack, index: number): boolean {
    const mark = track.lane.points[index];
    if (mark !== undefined) this.reveal(mark.id, true);
    return true;
  }

  /** Pans (never zooms) until the mark is in view, draws, and focuses what holds it. */
  reveal(markId: string, focus: boolean): boolean {
    const timeline = this.host.timeline();
    const location = timeline?.marks.get(markId);
    if (timeline === null || timeline === undefined || location === undefined) return false;
    const x = timeToWorld(timeline.axis, location.lane.times[location.pointIndex]!);
    const viewport = this.host.viewport();
    const span = viewport.to - viewport.from;
    if (x < viewport.from + span * 0.04 || x > viewport.to - span * 0.04) this.host.setViewport({ from: x - span / 2, to: x + span / 2 });
    this.activeMarkId = markId;
    this.host.renderNow();
    const track = this.host.tracks().find((t) => t.lane === location.lane);
    const item = track?.drawnItemOf(markId);
    if (item === undefined || item === null) return false;
    if (focus) item.element.focus();
    return true;
  }

  /**
   * A mark opens its details. A cluster zooms into its range — or, when that range is most of the view already
   * (a dense stretch of a long trace), 4× about the point it was clicked at — and lists its marks when no zoom
   * can part them.
   */
  activate(element: HTMLElement, clickedAt?: number): void {
    const position = this.positionOf(element);
    if (position === null) return;
    const { track, first, last } = position;
    const points = track.lane.points;
    this.activeMarkId = points[first]!.id;
    if (first === last) {
      this.host.select(points[first]!.id);
      return;
    }
    const axis = this.host.timeline()!.axis;
    const from = track.lane.times[first]!;
    const to = track.lane.times[last]!;
    const before = this.host.viewport();
    const x0 = timeToWorld(axis, from);
    const x1 = timeToWorld(axis, to);
    if (x1 - x0 > minSpanAt(axis, x0) && x1 - x0 < (before.to - before.from) * 0.5) this.host.zoomToTimes({ from, to });
    else this.host.zoomAt(clickedAt ?? x0, 4);
    const after = this.host.viewport();
    if (after.from === before.from && after.to === before.to) {
      this.host.showCluster(points.slice(first, last + 1).map((m) => m.id));
      return;
    }
    this.host.renderNow();
    const holder = track.drawnItemOf(points[first]!.id) ?? track.drawn.find((d) => d.first >= first && d.last <= last) ?? null;
    if (holder !== null) {
      this.activeMarkId = points[holder.first]!.id;
      holder.element.focus({ preventScroll: true });
    }
  }

  /** Keeps exactly one tab stop among the drawn marks; gives the focus back when a redraw removed its element. */
  afterRender(focusLost: boolean): void {
    const tracks = this.host.tracks();
    let holder = this.activeMarkId === null ? null : (tracks.map((t) => t.drawnItemOf(this.activeMarkId!)).find((d) => d !== null) ?? null);
    if (holder === null) {
      const track = tracks.find((t) => t.drawn.length > 0);
      holder = track?.drawn[0] ?? null;
      if (track === undefined || holder === null) return;
      this.activeMarkId = track.lane.points[holder.first]!.id;
      setTabIndex(holder.element, 0);
    }
    if (focusLost) holder.element.focus({ preventScroll: true });
  }
}
