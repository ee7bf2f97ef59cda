// The lanes view: every run's lanes under one shared time axis, redrawn on animation frames. The DOM is built
// once per model (runs, lanes, tracks); a frame only moves what is in view. Layout is read in exactly two places
// — the track width, from a ResizeObserver, and the track's left edge when a wheel or drag starts — never while
// drawing.

import type { TimelineRun } from '../core/timeline/model';
import { AttemptStrip } from './attempt-strip';
import { timeToWorld, type TimeRange } from './axis';
import { h, icon } from './dom';
import { FrameScheduler } from './frame-scheduler';
import { LaneNavigation } from './lane-navigation';
import { LaneTrack } from './lane-track';
import { Ruler } from './ruler';
import type { PreparedRun, PreparedTimeline } from './timeline-data';
import { fitAllViewport, panBy, probeWindowViewport, viewportForTimes, viewportFromTimes, viewportTimes, zoomAbout, type Viewport } from './viewport';

export interface LanesViewCallbacks {
  onSelect(markId: string): void;
  onViewportChange(range: TimeRange): void;
  onToggleRun(runId: string): void;
  /** Marks at one instant that no zoom can part (the view is already a microsecond wide). */
  onShowCluster(markIds: string[]): void;
  /** Run-level actions for a run's header in compare mode (the webview's "Show trace", "Look again"). */
  runActions(run: TimelineRun): HTMLElement | null;
  compactBanner(run: TimelineRun): HTMLElement;
  /** After every frame that drew the lanes. */
  onDrawn(): void;
}

export interface LanesViewState {
  viewport: TimeRange | null;
  collapsedRunIds: ReadonlySet<string>;
  selectedMarkId: string | null;
}

/** The lane labels' column; the stylesheet takes it from here (--label-width), so the estimate above matches. */
const labelColumnPx = 148;

export class LanesView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly ruler: Ruler;
  private timeline: PreparedTimeline | null = null;
  private tracks: LaneTrack[] = [];
  private bands: Array<{ run: PreparedRun; element: HTMLElement }> = [];
  private strips: AttemptStrip[] = [];
  private collapsed: ReadonlySet<string> = new Set();
  private viewport: Viewport = { from: 0, to: 1 };
  private widthPx = 0;
  private readonly frames = new FrameScheduler(() => this.renderNow());
  private selectedMarkId: string | null = null;
  private readonly navigation: LaneNavigation;
  private readonly resizeObserver: ResizeObserver;
  private drawnOnce = false;
  private drag: { pointerId: number; startX: number; viewport: Viewport; moved: boolean } | null = null;

  constructor(private readonly callbacks: LanesViewCallbacks) {
    this.ruler = new Ruler({ pan: (px) => this.panPx(px), zoom: (factor) => this.zoomAtCentre(factor), fitAll: () => this.fitAll() });
    this.body = h('div', { class: 'lanes-body' });
    this.element = h('div', { class: 'lanes-view' }, this.ruler.element, this.body);
    this.element.style.setProperty('--label-width', `${labelColumnPx}px`);
    this.navigation = new LaneNavigation(this.navigationHost());
    this.resizeObserver = new ResizeObserver((entries) => {
      const width = entries[entries.length - 1]?.contentRect.width ?? 0;
      if (width > 0 && width !== this.widthPx) {
        this.widthPx = width;
        this.renderNow();
      }
    });
    this.resizeObserver.observe(this.ruler.track);
    this.element.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.body.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    this.body.addEventListener('pointermove', (e) => this.onPointerMove(e));
    this.body.addEventListener('pointerup', (e) => this.onPointerUp(e));
    this.body.addEventListener('pointercancel', (e) => this.onPointerUp(e));
    this.body.addEventListener('click', (e) => this.onClick(e));
    this.body.addEventListener('keydown', (e) => this.navigation.onKeyDown(e));
    this.body.addEventListener('focusin', (e) => this.navigation.onFocusIn(e));
  }

  setTimeline(timeline: PreparedTimeline, state: LanesViewState): void {
    const rebuilt = this.timeline !== timeline || !sameSet(this.collapsed, state.collapsedRunIds);
    // A live update rebuilds the lanes under a keyboard user's focus: it goes back to the same mark.
    const focusWasInside = this.body.contains(document.activeElement);
    this.timeline = timeline;
    this.collapsed = state.collapsedRunIds;
    this.selectedMarkId = state.selectedMarkId;
    this.viewport = state.viewport === null ? fitAllViewport(timeline.axis) : viewportFromTimes(timeline.axis, state.viewport);
    if (rebuilt) this.build(timeline);
    // The first model is drawn at once with the width the track will have when nothing else is beside it. Reading
    // it instead would force a layout of the half-built page; the ResizeObserver corrects the estimate (a details
    // pane restored open, a scrollbar) before the first paint.
    if (this.widthPx <= 0) this.widthPx = Math.max(window.innerWidth - labelColumnPx, 100);
    this.renderNow(focusWasInside);
  }

  setSelected(markId: string | null): void {
    this.selectedMarkId = markId;
    if (markId !== null) this.navigation.activeMarkId = markId;
    this.frames.schedule();
  }

  get hasDrawn(): boolean {
    return this.drawnOnce;
  }

  get viewportRange(): TimeRange | null {
    return this.timeline === null ? null : viewportTimes(this.timeline.axis, this.viewport);
  }

  fitAll(): void {
    if (this.timeline !== null) this.setViewport(fitAllViewport(this.timeline.axis));
  }

  showProbeWindow(): void {
    if (this.timeline !== null) this.setViewport(probeWindowViewport(this.timeline.axis));
  }

  zoomAtCentre(factor: number): void {
    this.zoomAt((this.viewport.from + this.viewport.to) / 2, factor);
  }

  /** Brings the mark into view (keeping the zoom), gives it the focus and returns whether it is drawn. */
  focusMark(markId: string): boolean {
    return this.navigation.reveal(markId, true);
  }

  destroy(): void {
    this.frames.cancel();
    this.resizeObserver.disconnect();
  }

  // ---- structure ----------------------------------------------------------------------------------------------

  private build(timeline: PreparedTimeline): void {
    this.tracks = [];
    this.bands = [];
    this.strips = [];
    const compare = timeline.runs.length > 1;
    const sections = timeline.runs.map((run) => this.buildRun(run, compare));
    this.body.replaceChildren(this.ruler.grid, ...sections);
    this.ruler.setCaption(compare ? 'aligned at connect' : 'since probe start');
    this.ruler.setOrigin(timeline.runs[0]?.run.originMs ?? null);
  }

  private buildRun(prepared: PreparedRun, compare: boolean): HTMLElement {
    const { run } = prepared;
    const collapsed = this.collapsed.has(run.id);
    const section = h('section', { class: `run${collapsed ? ' is-collapsed' : ''}`, 'data-run-id': run.id, 'aria-label': `Run ${prepared.index + 1}: ${run.title}` });
    if (compare) {
      const toggle = h('button', { type: 'button', class: 'run-toggle', 'aria-expanded': String(!collapsed), 'aria-label': `${collapsed ? 'Expand' : 'Collapse'} run ${prepared.index + 1}: ${run.title} — ${run.verdict.headline}` }, icon('chevron', 'run-chevron'), h('span', { class: 'run-index' }, String(prepared.index + 1)), this.callbacks.compactBanner(run));
      toggle.addEventListener('click', () => this.callbacks.onToggleRun(run.id));
      section.append(h('header', { class: 'run-header' }, toggle, this.callbacks.runActions(run)));
    }
    if (collapsed) return section;
    const band = h('div', { class: 'probe-band', 'aria-hidden': 'true' });
    this.bands.push({ run: prepared, element: band });
    const lanes = h('div', { class: 'run-lanes', role: 'group', 'aria-label': `${run.title}: lanes` }, band);
    if (run.attempts !== undefined && run.attempts.length > 1) {
      // Above the lanes, like a parent span over its children: which attempt each part of the run belongs to.
      const strip = new AttemptStrip(prepared, run.attempts, (markId) => this.callbacks.onSelect(markId));
      this.strips.push(strip);
      lanes.append(strip.element, ...strip.dividers);
    }
    for (const lane of prepared.lanes) {
      const track = new LaneTrack(prepared, lane);
      this.tracks.push(track);
      const rows = track.spanRowsUsed;
      const classes = ['lane', `lane-${lane.info.id}`, lane.points.length === 0 ? 'lane-empty' : '', lane.phases.length > 0 ? 'has-phases' : '', rows > 0 ? `span-rows-${rows}` : ''].filter(Boolean).join(' ');
      const label = h('div', { class: 'lane-label', title: lane.info.description }, h('span', { class: 'lane-name' }, lane.info.label), h('span', { class: 'lane-count' }, lane.points.length === 0 ? '' : String(lane.points.length)));
      lanes.append(h('div', { class: classes, role: 'group', 'aria-label': `${lane.info.label}: ${lane.info.description}` }, label, track.element));
    }
    section.append(lanes);
    return section;
  }

  // ---- frames -------------------------------------------------------------------------------------------------

  /** Draws the current view at once (the first frame, and before focusing a mark that must exist). */
  renderNow(focusWasInside = this.body.contains(document.activeElement)): void {
    this.frames.cancel();
    const timeline = this.timeline;
    if (timeline === null || this.widthPx <= 0) return;
    const { axis } = timeline;
    this.ruler.render(axis, this.viewport, this.widthPx, this.bands.length === 0 ? null : timeline.axis.probeWindow);
    const pxPerWorld = this.widthPx / (this.viewport.to - this.viewport.from);
    for (const { run, element } of this.bands) {
      const x0 = (timeToWorld(axis, run.run.probeWindow.from + run.offset) - this.viewport.from) * pxPerWorld;
      const x1 = (timeToWorld(axis, run.run.probeWindow.to + run.offset) - this.viewport.from) * pxPerWorld;
      const left = Math.max(x0, -2);
      element.style.transform = `translateX(${left}px)`;
      element.style.width = `${Math.max(Math.min(x1, this.widthPx + 2) - left, 0)}px`;
    }
    const frame = { axis, viewport: this.viewport, widthPx: this.widthPx, activeMarkId: this.navigation.activeMarkId, selectedMarkId: this.selectedMarkId };
    for (const track of this.tracks) track.render(frame);
    for (const strip of this.strips) strip.render(frame);
    this.navigation.afterRender(focusWasInside && !this.body.contains(document.activeElement));
    this.drawnOnce = true;
    this.callbacks.onDrawn();
  }

  private setViewport(viewport: Viewport): void {
    if (viewport.from === this.viewport.from && viewport.to === this.viewport.to) return;
    this.viewport = viewport;
    this.frames.schedule();
    if (this.timeline !== null) this.callbacks.onViewportChange(viewportTimes(this.timeline.axis, viewport));
  }

  // ---- input --------------------------------------------------------------------------------------------------

  private worldAtClientX(clientX: number): number {
    const left = this.ruler.track.getBoundingClientRect().left;
    return this.viewport.from + ((clientX - left) / this.widthPx) * (this.viewport.to - this.viewport.from);
  }

  private zoomAt(anchor: number, factor: number): void {
    if (this.timeline !== null) this.setViewport(zoomAbout(this.timeline.axis, this.viewport, anchor, factor));
  }

  private panPx(px: number): void {
    if (this.timeline === null || this.widthPx <= 0) return;
    this.setViewport(panBy(this.timeline.axis, this.viewport, (px / this.widthPx) * (this.viewport.to - this.viewport.from)));
  }

  /** Ctrl/⌘+wheel (and trackpad pinch, which arrives as one) or any wheel over the axis zooms; sideways pans. */
  private onWheel(event: WheelEvent): void {
    if (this.timeline === null || this.widthPx <= 0) return;
    const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? this.widthPx : 1;
    const dx = event.deltaX * unit;
    const dy = event.deltaY * unit;
    const overAxis = this.ruler.element.contains(event.target as Node);
    if (event.ctrlKey || event.metaKey || (overAxis && !event.shiftKey && Math.abs(dy) >= Math.abs(dx))) {
      event.preventDefault();
      this.zoomAt(this.worldAtClientX(event.clientX), Math.exp(-dy * 0.0022));
    } else if (event.shiftKey || Math.abs(dx) > Math.abs(dy)) {
      event.preventDefault();
      this.panPx(event.shiftKey && dx === 0 ? dy : dx);
    }
  }

  private onPointerDown(event: PointerEvent): void {
    if (event.button !== 0 || (event.target as Element).closest('.mark, .cluster, .span-bar, button, a, .run-header') !== null) return;
    if ((event.target as Element).closest('.lane-track') === null) return;
    this.drag = { pointerId: event.pointerId, startX: event.clientX, viewport: this.viewport, moved: false };
    this.body.setPointerCapture(event.pointerId);
    this.body.classList.add('is-dragging');
  }

  private onPointerMove(event: PointerEvent): void {
    const drag = this.drag;
    if (drag === null || drag.pointerId !== event.pointerId || this.timeline === null) return;
    const dx = event.clientX - drag.startX;
    drag.moved ||= Math.abs(dx) > 2;
    this.setViewport(panBy(this.timeline.axis, drag.viewport, (-dx / this.widthPx) * (drag.viewport.to - drag.viewport.from)));
  }

  private onPointerUp(event: PointerEvent): void {
    if (this.drag === null || this.drag.pointerId !== event.pointerId) return;
    this.drag = null;
    this.body.releasePointerCapture(event.pointerId);
    this.body.classList.remove('is-dragging');
  }

  private onClick(event: MouseEvent): void {
    const target = event.target as Element;
    const span = target.closest<HTMLElement>('.span-bar');
    if (span?.dataset.markId !== undefined) return this.callbacks.onSelect(span.dataset.markId);
    const item = target.closest<HTMLElement>('.mark, .cluster');
    if (item !== null) this.navigation.activate(item, this.worldAtClientX(event.clientX));
  }

  private navigationHost(): ConstructorParameters<typeof LaneNavigation>[0] {
    return {
      tracks: () => this.tracks,
      timeline: () => this.timeline,
      viewport: () => this.viewport,
      setViewport: (viewport) => this.setViewport(viewport),
      renderNow: () => this.renderNow(),
      zoomAt: (anchor, factor) => this.zoomAt(anchor, factor),
      zoomToTimes: (range) => {
        if (this.timeline !== null) this.setViewport(viewportForTimes(this.timeline.axis, range, 0.5));
      },
      fitAll: () => this.fitAll(),
      select: (markId) => this.callbacks.onSelect(markId),
      showCluster: (markIds) => this.callbacks.onShowCluster(markIds),
    };
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((v) => b.has(v));
}
