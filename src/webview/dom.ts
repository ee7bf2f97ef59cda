// Tiny element helpers. Text always goes in as text nodes (never as markup): every string in the model may come
// from a server or a log line. No inline style attributes either: the page's CSP forbids them, so positions are
// set through the CSSOM (element.style), which it allows.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined>;

function applyAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.setAttribute('class', String(value));
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** `h('div', { class: 'x', 'aria-label': 'y' }, 'text', child)` */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  applyAttributes(element, attributes);
  append(element, children);
  return element;
}

const svgNamespace = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNamespace, tag);
  applyAttributes(element, attributes);
  append(element, children);
  return element;
}

/** An icon from the sprite (icons.ts). */
export function icon(name: string, className = 'icon'): SVGSVGElement {
  return svg('svg', { class: className, 'aria-hidden': 'true', focusable: 'false' }, svg('use', { href: `#tl-${name}` }));
}

export function clear(element: Element): void {
  element.replaceChildren();
}

/** A native button: keyboard and screen readers get it right without help. */
export function button(label: string, onClick: (event: MouseEvent) => void, attributes: Attributes = {}, ...children: Child[]): HTMLButtonElement {
  const element = h('button', { type: 'button', ...attributes }, ...(children.length > 0 ? children : [label]));
  if (children.length > 0 && attributes['aria-label'] === undefined) element.setAttribute('aria-label', label);
  element.addEventListener('click', onClick);
  return element;
}
