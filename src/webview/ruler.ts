// The time axis above the lanes (tick labels, breaks with the time they hide, the probe window) and the grid
// behind the lanes that continues its ticks. It takes the keyboard too: arrows pan, + and − zoom, 0 fits all.
// Tick and break elements are pooled: a frame rewrites their text and position, it does not create them anew.

import { timeToWorld, worldToTime, type Axis, type TimeRange } from './axis';
import { h } from './dom';
import { formatRelativeTime, isoWithMicroseconds } from './format';
import { axisTicks } from './ticks';
import { zoomStep, type Viewport } from './viewport';

export interface RulerActions {
  pan(px: number): void;
  zoom(factor: number): void;
  fitAll(): void;
}

class Pool {
  private readonly elements: HTMLElement[] = [];
  constructor(
    private readonly parent: HTMLElement,
    private readonly make: () => HTMLElement,
  ) {}

  /** The first `count` elements, shown; the rest hidden. */
  take(count: number): HTMLElement[] {
    while (this.elements.length < count) {
      const element = this.make();
      this.parent.append(element);
      this.elements.push(element);
    }
    this.elements.forEach((element, i) => {
      const hidden = i >= count;
      if (element.hidden !== hidden) element.hidden = hidden;
    });
    return this.elements.slice(0, count);
  }
}

export class Ruler {
  readonly element: HTMLElement;
  readonly track: HTMLElement;
  /** Lives in the lanes' body, behind the tracks. */
  readonly grid: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly band: HTMLElement;
  private readonly rangeText: HTMLElement;
  private readonly tickLabels: Pool;
  private readonly breakLabels: Pool;
  private readonly gridLines: Pool;
  private readonly gridBreaks: Pool;
  private absoluteOrigin: number | null = null;

  constructor(private readonly actions: RulerActions) {
    this.caption = h('div', { class: 'ruler-caption' });
    this.band = h('div', { class: 'ruler-band', 'aria-hidden': 'true' }, h('span', { class: 'ruler-band-label' }, 'probe'));
    this.rangeText = h('span', { class: 'visually-hidden', 'aria-live': 'off' });
    this.track = h('div', {
      class: 'ruler-track',
      tabindex: '0',
      role: 'group',
      'aria-roledescription': 'time axis',
      'aria-label': 'Time axis. Left and right arrows pan; plus and minus zoom; 0 fits everything. Ctrl+wheel or a wheel over the axis zooms; drag the lanes to pan.',
    }, this.band, this.rangeText);
    this.element = h('div', { class: 'ruler' }, this.caption, this.track);
    this.grid = h('div', { class: 'grid-layer', 'aria-hidden': 'true' });
    this.tickLabels = new Pool(this.track, () => h('span', { class: 'tick-label' }));
    this.breakLabels = new Pool(this.track, () => h('span', { class: 'break-label' }));
    this.gridLines = new Pool(this.grid, () => h('div', { class: 'grid-line' }));
    this.gridBreaks = new Pool(this.grid, () => h('div', { class: 'grid-break' }));
    this.track.addEventListener('keydown', (e) => this.onKeyDown(e));
  }

  setCaption(text: string): void {
    this.caption.textContent = text;
  }

  /** Epoch ms of axis time 0, for tick tooltips in absolute time. */
  setOrigin(epochMs: number | null): void {
    this.absoluteOrigin = epochMs;
  }

  render(axis: Axis, viewport: Viewport, widthPx: number, probeWindow: TimeRange | null): void {
    const { ticks, breaks } = axisTicks(axis, viewport, widthPx);
    const labelled = ticks.filter((t) => t.label !== null);
    this.tickLabels.take(labelled.length).forEach((element, i) => {
      const tick = labelled[i]!;
      if (element.textContent !== tick.label) element.textContent = tick.label;
      element.style.transform = `translateX(${tick.labelX}px) translateX(-50%)`;
      if (this.absoluteOrigin !== null) element.title = isoWithMicroseconds(this.absoluteOrigin + tick.t);
    });
    this.gridLines.take(ticks.length).forEach((element, i) => {
      element.style.transform = `translateX(${ticks[i]!.x}px)`;
      element.classList.toggle('minor', ticks[i]!.label === null);
    });
    this.breakLabels.take(breaks.length).forEach((element, i) => {
      const b = breaks[i]!;
      if (element.textContent !== b.label) element.textContent = b.label;
      element.style.transform = `translateX(${(b.x0 + b.x1) / 2}px) translateX(-50%)`;
      element.title = `${b.label.slice(1)} without events, compressed (${formatRelativeTime(b.from)} to ${formatRelativeTime(b.to)})`;
    });
    this.gridBreaks.take(breaks.length).forEach((element, i) => {
      const b = breaks[i]!;
      element.style.transform = `translateX(${b.x0}px)`;
      element.style.width = `${Math.max(b.x1 - b.x0, 1)}px`;
    });
    this.renderBand(axis, viewport, widthPx, probeWindow);
    this.rangeText.textContent = `Showing ${formatRelativeTime(worldToTime(axis, viewport.from))} to ${formatRelativeTime(worldToTime(axis, viewport.to))}.`;
  }

  private renderBand(axis: Axis, viewport: Viewport, widthPx: number, probeWindow: TimeRange | null): void {
    this.band.hidden = probeWindow === null;
    if (probeWindow === null) return;
    const pxPerWorld = widthPx / (viewport.to - viewport.from);
    const x0 = Math.max((timeToWorld(axis, probeWindow.from) - viewport.from) * pxPerWorld, -2);
    const x1 = Math.min((timeToWorld(axis, probeWindow.to) - viewport.from) * pxPerWorld, widthPx + 2);
    this.band.style.transform = `translateX(${x0}px)`;
    this.band.style.width = `${Math.max(x1 - x0, 0)}px`;
    this.band.classList.toggle('label-hidden', x1 - x0 < 44);
  }

  private onKeyDown(event: KeyboardEvent): void {
    const width = this.track.clientWidth;
    const handled: Record<string, () => void> = {
      ArrowLeft: () => this.actions.pan(-width * 0.1),
      ArrowRight: () => this.actions.pan(width * 0.1),
      '+': () => this.actions.zoom(zoomStep),
      '=': () => this.actions.zoom(zoomStep),
      '-': () => this.actions.zoom(1 / zoomStep),
      '0': () => this.actions.fitAll(),
    };
    const action = handled[event.key];
    if (action === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    action();
  }
}
