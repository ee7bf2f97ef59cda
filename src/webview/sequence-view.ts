// The sequence diagram, like a flow graph: a time column, the client's and the server's lifelines, an arrow for
// every message on the wire (named, with its version and whether it was encrypted), the client's own events as
// notes on its side and the records the server side wrote as notes on the other. One row per mark; a long trace
// keeps only the rows in view. In compare mode the runs follow one another, each under its own header row.

import type { TimelineAttempt, TimelineMark } from '../core/timeline/model';
import { attemptText } from './attempt-strip';
import { h, icon } from './dom';
import { handleFocusKeys } from './focus-keys';
import { FrameScheduler } from './frame-scheduler';
import { formatDuration, formatRelativeTime } from './format';
import { markAccessibleName, markClassName, markGlyph, shortVersion } from './mark-element';
import type { PreparedRun, PreparedTimeline } from './timeline-data';

export interface SequenceViewCallbacks {
  onSelect(markId: string): void;
  onToggleRun(runId: string): void;
  compactBanner(run: PreparedRun['run']): HTMLElement;
}

type Row = { kind: 'run'; run: PreparedRun; collapsed: boolean } | { kind: 'gap'; ms: number } | { kind: 'attempt'; attempt: TimelineAttempt } | { kind: 'mark'; run: PreparedRun; mark: TimelineMark };

/** Rows that only say something about the time between marks: the keyboard passes over them. */
function isPassive(row: Row | undefined): boolean {
  return row?.kind === 'gap' || row?.kind === 'attempt';
}

const sequenceRowHeightPx = 30;
const overscanRows = 8;
/** A pause this long between two rows gets a row of its own saying so. */
const gapRowMs = 500;

function serverName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'server';
  }
}

function rowsOf(timeline: PreparedTimeline, collapsed: ReadonlySet<string>): Row[] {
  const rows: Row[] = [];
  const compare = timeline.runs.length > 1;
  for (const run of timeline.runs) {
    if (compare) rows.push({ kind: 'run', run, collapsed: collapsed.has(run.run.id) });
    if (collapsed.has(run.run.id)) continue;
    const marks = run.run.marks.map((mark, i) => ({ mark, i })).sort((a, b) => a.mark.t - b.mark.t || a.i - b.i);
    let previous: number | null = null;
    let attempt = -1;
    for (const { mark } of marks) {
      if (previous !== null && mark.t - previous >= gapRowMs) rows.push({ kind: 'gap', ms: mark.t - previous });
      // An attempt begins (the first, then the retry): a row that names it, before its first event.
      const next = run.run.attempts?.find((a) => a.index === mark.attempt && a.index > attempt);
      if (next !== undefined) {
        rows.push({ kind: 'attempt', attempt: next });
        attempt = next.index;
      }
      rows.push({ kind: 'mark', run, mark });
      previous = mark.t;
    }
  }
  return rows;
}

interface RowElement extends HTMLElement {
  rowIndex?: number;
}

/**
 * A note's words: a retry's summary begins with the retry's name ("TLS 1.2 retry — DNS lookup of …"), which the
 * attempt's row above already says; the note leaves it out (its accessible name keeps it).
 */
function noteText(run: PreparedRun, mark: TimelineMark): string {
  const attempt = mark.attempt !== undefined && mark.attempt > 0 ? run.run.attempts?.find((a) => a.index === mark.attempt) : undefined;
  const prefix = attempt === undefined ? null : `${attempt.label} — `;
  return prefix !== null && mark.summary.startsWith(prefix) ? mark.summary.slice(prefix.length) : mark.summary;
}

/** "… 2.1 s later", or where a retry begins (its "why" mark, a row of its own, says it in full to screen readers). */
function passiveRow(row: Extract<Row, { kind: 'gap' | 'attempt' }>): RowElement {
  if (row.kind === 'gap') return h('div', { class: 'seq-row seq-gap', 'aria-hidden': 'true' }, h('span', { class: 'seq-gap-label' }, `… ${formatDuration(row.ms)} later`));
  const { attempt } = row;
  return h('div', { class: `seq-row seq-gap seq-attempt tone-${attempt.tone}`, 'aria-hidden': 'true', title: attempt.why ?? attempt.label }, h('span', { class: 'seq-gap-label seq-attempt-label' }, `${attemptText(attempt)}${attempt.why !== undefined ? ` — ${attempt.why}` : ''}`));
}

export class SequenceView {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly rowsHost: HTMLElement;
  private readonly header: HTMLElement;
  private rows: Row[] = [];
  private drawn = new Map<number, RowElement>();
  private activeIndex = 0;
  private selectedMarkId: string | null = null;
  private readonly frames = new FrameScheduler(() => this.renderNow());

  constructor(private readonly callbacks: SequenceViewCallbacks) {
    this.header = h('div', { class: 'seq-header', 'aria-hidden': 'true' });
    this.rowsHost = h('div', { class: 'seq-rows' });
    this.scroller = h('div', { class: 'seq-scroller', role: 'listbox', 'aria-label': 'Sequence diagram' }, this.rowsHost);
    this.element = h('div', { class: 'sequence-view' }, this.header, this.scroller);
    this.scroller.addEventListener('scroll', () => this.frames.schedule());
    this.scroller.addEventListener('click', (e) => this.onClick(e));
    this.scroller.addEventListener('keydown', (e) => this.onKeyDown(e));
  }

  setTimeline(timeline: PreparedTimeline, collapsed: ReadonlySet<string>, selectedMarkId: string | null): void {
    const focused = this.scroller.contains(document.activeElement) ? this.rows[this.activeIndex] : undefined;
    this.rows = rowsOf(timeline, collapsed);
    this.selectedMarkId = selectedMarkId;
    const selected = this.rows.findIndex((r) => r.kind === 'mark' && r.mark.id === selectedMarkId);
    this.activeIndex = selected >= 0 ? selected : Math.max(0, this.rows.findIndex((r) => !isPassive(r)));
    const host = serverName(timeline.model.runs[0]?.url ?? '');
    this.header.replaceChildren(h('span', { class: 'seq-time' }, 'Time'), h('span', { class: 'seq-client-notes' }, 'Client events'), h('span', { class: 'seq-lifeline-head' }, h('span', { class: 'seq-lifeline-name' }, 'Client')), h('span', { class: 'seq-messages' }), h('span', { class: 'seq-lifeline-head' }, h('span', { class: 'seq-lifeline-name' }, `Server · ${host}`)), h('span', { class: 'seq-server-notes' }, 'Server-side records'));
    this.scroller.setAttribute('aria-label', `Sequence diagram: ${this.rows.filter((r) => r.kind === 'mark').length} events`);
    this.rowsHost.style.height = `${this.rows.length * sequenceRowHeightPx}px`;
    for (const element of this.drawn.values()) element.remove();
    this.drawn.clear();
    this.renderNow();
    // A live update redraws every row: a keyboard user's focus goes back to the same mark (or run header).
    if (focused !== undefined) {
      const again = this.rows.findIndex((r) => (r.kind === 'mark' && focused.kind === 'mark' && r.mark.id === focused.mark.id) || (r.kind === 'run' && focused.kind === 'run' && r.run.run.id === focused.run.run.id));
      if (again >= 0) this.focusRow(again);
    }
  }

  setSelected(markId: string | null): void {
    this.selectedMarkId = markId;
    for (const element of this.drawn.values()) element.setAttribute('aria-selected', String(element.dataset.markId === markId && markId !== null));
  }

  /** Scrolls the mark's row into view and focuses it. */
  focusMark(markId: string): boolean {
    const index = this.rows.findIndex((r) => r.kind === 'mark' && r.mark.id === markId);
    if (index < 0) return false;
    this.focusRow(index);
    return true;
  }

  private renderNow(): void {
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / sequenceRowHeightPx) - overscanRows);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / sequenceRowHeightPx) + overscanRows);
    const focused = document.activeElement;
    for (const [index, element] of this.drawn) {
      if ((index >= first && index < last) || element === focused) continue;
      element.remove();
      this.drawn.delete(index);
    }
    const fragment = document.createDocumentFragment();
    for (let index = first; index < last; index++) {
      if (this.drawn.has(index)) continue;
      const element = this.drawRow(index);
      this.drawn.set(index, element);
      fragment.append(element);
    }
    this.rowsHost.append(fragment);
  }

  private drawRow(index: number): RowElement {
    const row = this.rows[index]!;
    const element: RowElement = row.kind === 'mark' ? this.markRow(row.mark, noteText(row.run, row.mark)) : row.kind === 'run' ? this.runRow(row.run, row.collapsed) : passiveRow(row);
    element.rowIndex = index;
    element.style.transform = `translateY(${index * sequenceRowHeightPx}px)`;
    if (!isPassive(row)) {
      element.tabIndex = index === this.activeIndex ? 0 : -1;
      element.setAttribute('aria-posinset', String(index + 1));
      element.setAttribute('aria-setsize', String(this.rows.length));
    }
    return element;
  }

  private runRow(run: PreparedRun, collapsed: boolean): RowElement {
    return h('div', { class: `seq-row seq-run${collapsed ? ' is-collapsed' : ''}`, role: 'option', 'aria-selected': 'false', 'aria-expanded': String(!collapsed), 'data-run-id': run.run.id, 'aria-label': `Run ${run.index + 1}: ${run.run.title} — ${run.run.verdict.headline}. Enter ${collapsed ? 'expands' : 'collapses'} it.` }, icon('chevron', 'run-chevron'), h('span', { class: 'run-index' }, String(run.index + 1)), this.callbacks.compactBanner(run.run));
  }

  private markRow(mark: TimelineMark, noteWords: string): RowElement {
    const version = shortVersion(mark.version);
    const lock = mark.encrypted === true ? icon(mark.decrypted === true ? 'unlock' : 'lock', 'lock') : null;
    const text = h('span', { class: 'seq-label' }, mark.label, version === null ? null : h('span', { class: 'seq-version' }, ` TLS ${version}`), lock, mark.encrypted === true ? h('span', { class: 'visually-hidden' }, mark.decrypted === true ? ' decrypted' : ' encrypted') : null);
    const cells: Array<HTMLElement | null> = [h('span', { class: 'seq-time' }, formatRelativeTime(mark.t)), h('span', { class: 'seq-client-notes' }), h('span', { class: 'seq-lifeline client' }), h('span', { class: 'seq-messages' }), h('span', { class: 'seq-lifeline server' }), h('span', { class: 'seq-server-notes' })];
    if (mark.dir === 'out' || mark.dir === 'in') {
      cells[3]!.append(h('span', { class: `seq-arrow ${markClassName(mark, 'arrow')}` }, text, h('span', { class: 'seq-line' })));
    } else {
      const note = h('span', { class: `seq-note ${markClassName(mark, 'note')}` }, h('span', { class: 'seq-note-glyph' }, markGlyph(mark)), text, h('span', { class: 'seq-note-summary' }, noteWords));
      cells[mark.dir === 'local' ? 1 : 5]!.append(note);
    }
    return h('div', { class: `seq-row seq-mark tone-${mark.tone}`, role: 'option', 'aria-selected': String(mark.id === this.selectedMarkId), 'aria-label': markAccessibleName(mark), title: markAccessibleName(mark), 'data-mark-id': mark.id }, ...cells);
  }

  private focusRow(index: number): void {
    this.drawn.get(this.activeIndex)?.setAttribute('tabindex', '-1');
    this.activeIndex = index;
    const top = index * sequenceRowHeightPx;
    const height = this.scroller.clientHeight;
    if (top < this.scroller.scrollTop || top + sequenceRowHeightPx > this.scroller.scrollTop + height) this.scroller.scrollTop = Math.max(0, top - height / 2);
    this.renderNow();
    const element = this.drawn.get(index);
    if (element === undefined) return;
    element.tabIndex = 0;
    element.focus({ preventScroll: true });
  }

  private activate(index: number): void {
    const row = this.rows[index];
    if (row?.kind === 'mark') this.callbacks.onSelect(row.mark.id);
    else if (row?.kind === 'run') this.callbacks.onToggleRun(row.run.run.id);
  }

  private onClick(event: MouseEvent): void {
    const element = (event.target as Element).closest<RowElement>('.seq-row');
    if (element?.rowIndex === undefined || element.classList.contains('seq-gap')) return;
    this.focusRow(element.rowIndex);
    this.activate(element.rowIndex);
  }

  /** The next row a reader can land on (gap rows only say how long nothing happened). */
  private step(from: number, by: number): number {
    let index = Math.min(Math.max(from + by, 0), this.rows.length - 1);
    while (isPassive(this.rows[index]) && index + Math.sign(by) >= 0 && index + Math.sign(by) < this.rows.length) index += Math.sign(by);
    return isPassive(this.rows[index]) ? from : index;
  }

  private onKeyDown(event: KeyboardEvent): void {
    const element = (event.target as Element).closest<RowElement>('.seq-row');
    if (element?.rowIndex === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
    const index = element.rowIndex;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / sequenceRowHeightPx) - 1);
    const targets: Record<string, () => number> = {
      ArrowDown: () => this.step(index, 1),
      ArrowUp: () => this.step(index, -1),
      PageDown: () => this.step(index, page),
      PageUp: () => this.step(index, -page),
      Home: () => this.step(-1, 1),
      End: () => this.step(this.rows.length, -1),
    };
    handleFocusKeys(event, () => this.activate(index), targets, (target) => this.focusRow(target));
  }
}
