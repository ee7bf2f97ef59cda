// A message's bytes as a hex dump — offset, 16 bytes a row, ASCII — tied to its decoded fields: a field's byte
// span lights up when the field is selected or hovered, and a byte pointed at or clicked names its field. A
// message can be 128 KB (a certificate chain): past a few hundred rows only the rows in view exist.

import type { ByteSpan } from '../core/timeline/model';
import { h } from './dom';

export interface HexViewCallbacks {
  /** The innermost field under the pointer, or null when it leaves. */
  onHoverSpan(path: string | null): void;
  onSelectSpan(path: string): void;
}

const hexRowHeightPx = 18;
const bytesPerRow = 16;
/** Up to this many rows are all drawn; beyond, only those in view. */
const eagerRows = 256;
const overscanRows = 12;

interface Range {
  start: number;
  end: number;
}

function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
}

export class HexView {
  readonly element: HTMLElement;
  private readonly rowsHost: HTMLElement;
  private readonly byteCount: number;
  private readonly rowCount: number;
  private readonly virtual: boolean;
  private readonly cells = new Map<number, [HTMLElement, HTMLElement]>();
  private readonly rows = new Map<number, HTMLElement>();
  private selected: Range | null = null;
  private hovered: Range | null = null;
  private frameRequest = 0;

  constructor(
    private readonly hex: string,
    private readonly spans: readonly ByteSpan[],
    truncated: boolean,
    private readonly callbacks: HexViewCallbacks,
  ) {
    this.byteCount = Math.floor(hex.length / 2);
    this.rowCount = Math.ceil(this.byteCount / bytesPerRow);
    this.virtual = this.rowCount > eagerRows;
    this.rowsHost = h('div', { class: 'hex-rows' });
    const scroller = h('div', { class: 'hex-scroller', tabindex: '0', role: 'group', 'aria-label': `Bytes of the message: ${this.byteCount} bytes, 16 a row. Point at or click a byte to find its field.` }, this.rowsHost);
    const note = truncated ? h('p', { class: 'hex-note' }, `Only the first ${this.byteCount} bytes were kept.`) : null;
    this.element = h('div', { class: 'hex-view' }, h('div', { class: 'hex-head', 'aria-hidden': 'true' }, h('span', { class: 'hex-offset' }, 'offset'), h('span', { class: 'hex-bytes' }, '00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f'), h('span', { class: 'hex-ascii' }, 'ascii')), scroller, note);
    if (this.virtual) {
      this.rowsHost.style.height = `${this.rowCount * hexRowHeightPx}px`;
      scroller.addEventListener('scroll', () => this.scheduleRows(scroller));
      this.drawRows(0, Math.min(this.rowCount, 40));
    } else {
      this.drawRows(0, this.rowCount);
    }
    this.rowsHost.addEventListener('mouseover', (e) => this.onPointer(e, false));
    this.rowsHost.addEventListener('click', (e) => this.onPointer(e, true));
    this.rowsHost.addEventListener('mouseleave', () => this.callbacks.onHoverSpan(null));
  }

  private scheduleRows(scroller: HTMLElement): void {
    if (this.frameRequest !== 0) return;
    this.frameRequest = requestAnimationFrame(() => {
      this.frameRequest = 0;
      const first = Math.floor(scroller.scrollTop / hexRowHeightPx) - overscanRows;
      const last = Math.ceil((scroller.scrollTop + scroller.clientHeight) / hexRowHeightPx) + overscanRows;
      this.drawRows(Math.max(first, 0), Math.min(last, this.rowCount));
    });
  }

  /** Rows from..to (exclusive) exist afterwards, and (in the virtual case) no others. */
  private drawRows(from: number, to: number): void {
    if (this.virtual) {
      for (const [row, element] of this.rows) {
        if (row >= from && row < to) continue;
        element.remove();
        this.rows.delete(row);
        for (let offset = row * bytesPerRow; offset < (row + 1) * bytesPerRow; offset++) this.cells.delete(offset);
      }
    }
    const fragment = document.createDocumentFragment();
    for (let row = from; row < to; row++) if (!this.rows.has(row)) fragment.append(this.drawRow(row));
    this.rowsHost.append(fragment);
  }

  private drawRow(row: number): HTMLElement {
    const bytes = h('span', { class: 'hex-bytes' });
    const text = h('span', { class: 'hex-ascii' });
    const start = row * bytesPerRow;
    for (let offset = start; offset < Math.min(start + bytesPerRow, this.byteCount); offset++) {
      const pair = this.hex.slice(offset * 2, offset * 2 + 2).toLowerCase();
      const byte = h('span', { class: 'hex-byte', 'data-offset': offset }, pair);
      const char = h('span', { class: 'hex-char', 'data-offset': offset }, printable(parseInt(pair, 16)));
      this.paint(offset, byte, char);
      this.cells.set(offset, [byte, char]);
      bytes.append(byte);
      text.append(char);
    }
    const element = h('div', { class: 'hex-row' }, h('span', { class: 'hex-offset' }, start.toString(16).padStart(4, '0')), bytes, text);
    if (this.virtual) {
      element.classList.add('is-virtual');
      element.style.transform = `translateY(${row * hexRowHeightPx}px)`;
    }
    this.rows.set(row, element);
    return element;
  }

  private paint(offset: number, ...elements: HTMLElement[]): void {
    const selected = this.selected !== null && offset >= this.selected.start && offset < this.selected.end;
    const hovered = this.hovered !== null && offset >= this.hovered.start && offset < this.hovered.end;
    for (const element of elements) {
      element.classList.toggle('is-selected', selected);
      element.classList.toggle('is-hovered', hovered);
    }
  }

  private repaint(ranges: Array<Range | null>): void {
    for (const range of ranges) {
      if (range === null) continue;
      for (let offset = range.start; offset < range.end; offset++) {
        const cells = this.cells.get(offset);
        if (cells !== undefined) this.paint(offset, ...cells);
      }
    }
  }

  private spanOf(path: string | null): Range | null {
    if (path === null) return null;
    const span = this.spans.find((s) => s.path === path);
    return span === undefined ? null : { start: Math.max(0, span.start), end: Math.min(span.end, this.byteCount) };
  }

  /** The span of the field `path` lit as selected (null: none), scrolled into view. */
  select(path: string | null): void {
    const previous = this.selected;
    this.selected = this.spanOf(path);
    this.repaint([previous, this.selected]);
    if (this.selected !== null) this.scrollToOffset(this.selected.start);
  }

  hover(path: string | null): void {
    const previous = this.hovered;
    this.hovered = this.spanOf(path);
    this.repaint([previous, this.hovered]);
  }

  private scrollToOffset(offset: number): void {
    const scroller = this.rowsHost.parentElement!;
    const top = Math.floor(offset / bytesPerRow) * hexRowHeightPx;
    if (top < scroller.scrollTop || top > scroller.scrollTop + scroller.clientHeight - hexRowHeightPx) scroller.scrollTop = Math.max(0, top - hexRowHeightPx * 2);
  }

  /** The narrowest span holding the byte: a field inside an extension, not the whole extensions block. */
  innermostSpanAt(offset: number): ByteSpan | null {
    let best: ByteSpan | null = null;
    for (const span of this.spans) {
      if (offset >= span.start && offset < span.end && (best === null || span.end - span.start < best.end - best.start)) best = span;
    }
    return best;
  }

  private onPointer(event: MouseEvent, select: boolean): void {
    const offset = (event.target as HTMLElement).dataset?.offset;
    if (offset === undefined) return;
    const span = this.innermostSpanAt(Number(offset));
    if (span === null) return;
    if (select) this.callbacks.onSelectSpan(span.path);
    else this.callbacks.onHoverSpan(span.path);
  }
}
