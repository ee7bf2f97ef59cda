// The SVG sprite every mark and badge draws from. Shapes carry meaning without colour (high contrast and forced
// colours keep them): out → points right, in → points left, local → circle, a server's record → diamond.

import { svg } from './dom';

const symbols: Array<[string, string]> = [
  ['out', '<path d="M1.5 1 L11 6 L1.5 11 Z"/>'],
  ['in', '<path d="M10.5 1 L1 6 L10.5 11 Z"/>'],
  ['local', '<circle cx="6" cy="6" r="4.6"/>'],
  ['server', '<path d="M6 0.6 L11.4 6 L6 11.4 L0.6 6 Z"/>'],
  ['lock', '<path d="M3.2 5.2 V3.9 a2.8 2.8 0 0 1 5.6 0 V5.2" fill="none" stroke="currentColor" stroke-width="1.4"/><rect x="2" y="5.2" width="8" height="6" rx="1"/>'],
  ['unlock', '<path d="M3.2 5.2 V3.9 a2.8 2.8 0 0 1 5.4 -1" fill="none" stroke="currentColor" stroke-width="1.4"/><rect x="2" y="5.2" width="8" height="6" rx="1"/>'],
  ['chevron', '<path d="M4 2.5 L8 6 L4 9.5" fill="none" stroke="currentColor" stroke-width="1.6"/>'],
  ['close', '<path d="M2.5 2.5 L9.5 9.5 M9.5 2.5 L2.5 9.5" stroke="currentColor" stroke-width="1.6"/>'],
  ['check', '<path d="M2 6.4 L4.8 9 L10 3" fill="none" stroke="currentColor" stroke-width="1.8"/>'],
  ['cross', '<path d="M3 3 L9 9 M9 3 L3 9" stroke="currentColor" stroke-width="1.8"/>'],
  ['clock', '<circle cx="6" cy="6" r="4.8" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M6 3.2 V6.2 L8 7.4" fill="none" stroke="currentColor" stroke-width="1.3"/>'],
  ['dash', '<path d="M2.5 6 H9.5" stroke="currentColor" stroke-width="1.8"/>'],
  ['warning', '<path d="M6 1.2 L11 10.6 H1 Z" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M6 4.6 V7.4 M6 8.4 V9.4" stroke="currentColor" stroke-width="1.3"/>'],
  ['shield', '<path d="M6 0.8 L10.6 2.6 V6 C10.6 8.6 8.6 10.4 6 11.2 C3.4 10.4 1.4 8.6 1.4 6 V2.6 Z"/>'],
];

/** Adds the sprite once: the symbols are parsed from constant markup above, never from the model. */
export function installIconSprite(doc: Document): void {
  if (doc.getElementById('tl-sprite') !== null) return;
  const sprite = svg('svg', { id: 'tl-sprite', class: 'sprite', 'aria-hidden': 'true', focusable: 'false' });
  const parser = new DOMParser();
  for (const [name, body] of symbols) {
    const parsed = parser.parseFromString(`<svg xmlns="http://www.w3.org/2000/svg"><symbol id="tl-${name}" viewBox="0 0 12 12">${body}</symbol></svg>`, 'image/svg+xml');
    const symbol = parsed.documentElement.firstElementChild;
    if (symbol !== null) sprite.appendChild(doc.importNode(symbol, true));
  }
  doc.body.prepend(sprite);
}
