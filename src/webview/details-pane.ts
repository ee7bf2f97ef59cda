// The details of the selected mark: what it is, when (relative and absolute), its direction, version and
// protection; its fields beside its bytes, linked both ways; what an alert or reset means; certificates; the
// server-side record. Or, for marks at one instant that no zoom can part, the list of them to pick from.

import { button, h, icon } from './dom';
import { certificatesSection, meaningSection, recordSection } from './detail-sections';
import { FieldTree } from './field-tree';
import { formatDuration, formatRelativeTime } from './format';
import { HexView } from './hex-view';
import { markBadges, markClassName, markGlyph } from './mark-element';
import type { MarkLocation } from './timeline-data';

export interface DetailsPaneCallbacks {
  onClose(): void;
  onSelectMark(markId: string): void;
}

export class DetailsPane {
  readonly element: HTMLElement;
  private readonly content: HTMLElement;
  private shownMarkId: string | null = null;

  constructor(private readonly callbacks: DetailsPaneCallbacks) {
    this.content = h('div', { class: 'details-content' });
    const close = button('Close details (Escape)', () => this.callbacks.onClose(), { class: 'icon-button details-close' }, icon('close'));
    this.element = h('aside', { class: 'details', role: 'region', 'aria-label': 'Details', tabindex: '-1' }, close, this.content);
    this.element.hidden = true;
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  get markId(): string | null {
    return this.isOpen ? this.shownMarkId : null;
  }

  close(): void {
    this.element.hidden = true;
    this.shownMarkId = null;
    this.content.replaceChildren();
  }

  showMark(location: MarkLocation, withRun: boolean): void {
    const { mark, run } = location;
    this.shownMarkId = mark.id;
    const detail = mark.detail;
    const times: Array<[string, string]> = [
      ['Time', mark.t < 0 ? `${formatRelativeTime(-mark.t)} before the probe started` : `${formatRelativeTime(mark.t)} after the probe started`],
      ['Absolute', mark.time],
    ];
    if (mark.duration !== undefined) times.push(['Covers', formatDuration(mark.duration)]);
    const attempt = mark.attempt === undefined ? undefined : run.run.attempts?.find((a) => a.index === mark.attempt);
    if (attempt !== undefined) times.push(['Attempt', `${attempt.label}, ${formatRelativeTime(Math.max(0, mark.t - attempt.from))} after it started (X-Amzn-Trace-Id: ${attempt.correlationId})`]);
    if (withRun) times.unshift(['Run', `${run.index + 1}: ${run.run.title}`]);
    times.push(['Lane', location.lane.info.label]);
    const head = h(
      'header',
      { class: 'details-head' },
      h('span', { class: markClassName(mark, 'details-glyph') }, markGlyph(mark)),
      h('div', {}, h('h2', { id: 'details-title' }, detail.title), detail.title === mark.summary ? null : h('p', { class: 'details-summary' }, mark.summary), markBadges(mark)),
    );
    const sections: Array<HTMLElement | null> = [
      head,
      h('dl', { class: 'kv details-times' }, ...times.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, value)])),
      detail.meaning === undefined ? null : meaningSection(detail.meaning),
      this.fieldsAndBytes(location),
      detail.certificates === undefined || detail.certificates.length === 0 ? null : certificatesSection(detail.certificates),
      detail.record === undefined ? null : recordSection(detail.record),
    ];
    this.open(sections);
  }

  /** Marks stamped at the same microsecond: a list, each opening its own details. */
  showCluster(locations: MarkLocation[]): void {
    this.shownMarkId = null;
    const first = locations[0];
    if (first === undefined) return;
    const items = locations.map(({ mark }) =>
      h('li', {}, button(mark.summary, () => this.callbacks.onSelectMark(mark.id), { class: 'cluster-entry' }, h('span', { class: markClassName(mark, 'details-glyph small') }, markGlyph(mark)), h('span', {}, mark.label), h('span', { class: 'muted' }, mark.summary))),
    );
    this.open([h('header', { class: 'details-head' }, h('div', {}, h('h2', { id: 'details-title' }, `${locations.length} events at ${formatRelativeTime(first.mark.t)}`), h('p', { class: 'details-summary' }, 'They were recorded at the same microsecond; pick one to see its details.'))), h('ul', { class: 'cluster-list' }, ...items)]);
  }

  private open(sections: Array<HTMLElement | null>): void {
    this.content.replaceChildren(...sections.filter((s): s is HTMLElement => s !== null));
    this.element.setAttribute('aria-labelledby', 'details-title');
    this.element.hidden = false;
    this.element.scrollTop = 0;
  }

  /** The field tree and the hex dump, each lighting up the other. */
  private fieldsAndBytes(location: MarkLocation): HTMLElement | null {
    const { fields, bytes } = location.mark.detail;
    if (fields.length === 0 && bytes === undefined) return null;
    const spanLengths = new Map((bytes?.spans ?? []).map((s) => [s.path, s.end - s.start] as const));
    let hex: HexView | null = null;
    const tree = new FieldTree(fields, spanLengths, {
      onSelect: (path) => {
        tree.select(path);
        hex?.select(path);
      },
      onHover: (path) => hex?.hover(path),
    });
    if (bytes !== undefined) {
      hex = new HexView(bytes.hex, bytes.spans, bytes.truncated === true, {
        onHoverSpan: (path) => {
          tree.hover(path);
          hex?.hover(path);
        },
        onSelectSpan: (path) => {
          tree.select(path);
          hex?.select(path);
        },
      });
    }
    return h(
      'div',
      { class: `fields-and-bytes${hex === null ? '' : ' has-bytes'}` },
      fields.length === 0 ? null : h('section', { class: 'detail-fields', 'aria-label': 'Fields' }, h('h3', {}, 'Fields'), tree.element),
      hex === null ? null : h('section', { class: 'detail-bytes', 'aria-label': 'Bytes' }, h('h3', {}, `Bytes (${Math.floor(bytes!.hex.length / 2)})`), hex.element),
    );
  }
}
