// The decoded fields of a message as an expandable tree (the ARIA tree pattern: one tab stop, arrows to move,
// → and ← to open and close, Enter or Space to select). A field with a byte span is linked to the hex dump:
// selecting or pointing at it lights its bytes there.

import type { DetailField } from '../core/timeline/model';
import { h, icon } from './dom';
import { handleFocusKeys } from './focus-keys';

export interface FieldTreeCallbacks {
  onSelect(path: string): void;
  onHover(path: string | null): void;
}

/** Open by default: the top level, and a field's children when there are few of them. */
const openChildLimit = 6;

interface Node {
  item: HTMLElement;
  field: DetailField;
  children: HTMLElement | null;
}

export class FieldTree {
  readonly element: HTMLElement;
  private readonly nodes = new Map<HTMLElement, Node>();
  private readonly byPath = new Map<string, HTMLElement>();
  private selectedItem: HTMLElement | null = null;

  constructor(
    fields: readonly DetailField[],
    private readonly spanLengths: ReadonlyMap<string, number>,
    private readonly callbacks: FieldTreeCallbacks,
  ) {
    this.element = h('ul', { class: 'field-tree', role: 'tree', 'aria-label': 'Decoded fields' });
    for (const field of fields) this.element.append(this.buildItem(field, 1));
    const first = this.element.querySelector<HTMLElement>('[role="treeitem"]');
    if (first !== null) first.tabIndex = 0;
    this.element.addEventListener('click', (e) => this.onClick(e));
    this.element.addEventListener('keydown', (e) => this.onKeyDown(e));
    this.element.addEventListener('mouseover', (e) => {
      const path = this.itemOf(e.target)?.dataset.path;
      this.callbacks.onHover(path ?? null);
    });
    this.element.addEventListener('mouseleave', () => this.callbacks.onHover(null));
  }

  private buildItem(field: DetailField, level: number): HTMLElement {
    const kids = field.children ?? [];
    const open = kids.length > 0 && level === 1 && kids.length <= openChildLimit;
    const bytes = field.path === undefined ? undefined : this.spanLengths.get(field.path);
    const row = h(
      'div',
      { class: 'field-row' },
      kids.length > 0 ? icon('chevron', 'field-caret') : h('span', { class: 'field-caret-space' }),
      h('span', { class: 'field-name' }, field.name),
      field.value === undefined ? null : h('span', { class: 'field-value' }, field.value),
      bytes === undefined ? null : h('span', { class: 'field-bytes', title: 'Its bytes light up in the hex dump' }, `${bytes} B`),
    );
    const item = h('li', { role: 'treeitem', tabindex: '-1', 'aria-level': level, class: `field${field.path !== undefined ? ' has-bytes' : ''}`, 'data-path': field.path, 'aria-selected': field.path === undefined ? null : 'false' }, row);
    let children: HTMLElement | null = null;
    if (kids.length > 0) {
      item.setAttribute('aria-expanded', String(open));
      children = h('ul', { role: 'group', class: 'field-children' });
      children.hidden = !open;
      for (const kid of kids) children.append(this.buildItem(kid, level + 1));
      item.append(children);
    }
    this.nodes.set(item, { item, field, children });
    if (field.path !== undefined && !this.byPath.has(field.path)) this.byPath.set(field.path, item);
    return item;
  }

  private itemOf(target: EventTarget | null): HTMLElement | null {
    return (target as Element | null)?.closest<HTMLElement>('[role="treeitem"]') ?? null;
  }

  private setOpen(item: HTMLElement, open: boolean): void {
    const node = this.nodes.get(item);
    if (node?.children === null || node === undefined) return;
    node.children.hidden = !open;
    item.setAttribute('aria-expanded', String(open));
  }

  private focusItem(item: HTMLElement): void {
    for (const other of this.element.querySelectorAll<HTMLElement>('[role="treeitem"][tabindex="0"]')) other.tabIndex = -1;
    item.tabIndex = 0;
    item.focus();
  }

  /** Items a reader can reach now: those not inside a closed branch. */
  private visibleItems(): HTMLElement[] {
    return [...this.element.querySelectorAll<HTMLElement>('[role="treeitem"]')].filter((item) => item.closest('.field-children[hidden]') === null);
  }

  private activate(item: HTMLElement): void {
    const node = this.nodes.get(item)!;
    if (node.field.path !== undefined) this.callbacks.onSelect(node.field.path);
    else if (node.children !== null) this.setOpen(item, node.children.hidden);
  }

  private onClick(event: MouseEvent): void {
    const item = this.itemOf(event.target);
    if (item === null) return;
    event.stopPropagation();
    const node = this.nodes.get(item)!;
    if ((event.target as Element).closest('.field-caret') !== null && node.children !== null) this.setOpen(item, node.children.hidden);
    else this.activate(item);
    this.focusItem(item);
  }

  private onKeyDown(event: KeyboardEvent): void {
    const item = this.itemOf(event.target);
    if (item === null) return;
    const node = this.nodes.get(item)!;
    const visible = this.visibleItems();
    const index = visible.indexOf(item);
    const moves: Record<string, () => HTMLElement | null | undefined> = {
      ArrowDown: () => visible[index + 1],
      ArrowUp: () => visible[index - 1],
      Home: () => visible[0],
      End: () => visible[visible.length - 1],
      ArrowRight: () => {
        if (node.children === null) return null;
        if (node.children.hidden) this.setOpen(item, true);
        else return node.children.querySelector<HTMLElement>('[role="treeitem"]');
        return null;
      },
      ArrowLeft: () => {
        if (node.children !== null && !node.children.hidden) this.setOpen(item, false);
        else return item.parentElement?.closest<HTMLElement>('[role="treeitem"]');
        return null;
      },
    };
    handleFocusKeys(event, () => this.activate(item), moves, (target) => {
      if (target !== null && target !== undefined) this.focusItem(target);
    });
  }

  /** Marks the field as selected, opening its branch so it can be seen. */
  select(path: string | null): void {
    if (this.selectedItem !== null) {
      this.selectedItem.classList.remove('is-selected');
      this.selectedItem.setAttribute('aria-selected', 'false');
    }
    this.selectedItem = path === null ? null : (this.byPath.get(path) ?? null);
    if (this.selectedItem === null) return;
    this.selectedItem.classList.add('is-selected');
    this.selectedItem.setAttribute('aria-selected', 'true');
    for (let parent = this.selectedItem.parentElement?.closest<HTMLElement>('[role="treeitem"]'); parent; parent = parent.parentElement?.closest<HTMLElement>('[role="treeitem"]')) this.setOpen(parent, true);
  }

  hover(path: string | null): void {
    for (const item of this.element.querySelectorAll('.field.is-hovered')) item.classList.remove('is-hovered');
    if (path !== null) this.byPath.get(path)?.classList.add('is-hovered');
  }
}
