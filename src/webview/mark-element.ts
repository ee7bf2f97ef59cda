// How one mark looks wherever it is drawn (a lane, a sequence row, the details pane): the glyph says its
// direction, the classes its kind and tone, a lock whether it was encrypted (open when decrypted), and the
// accessible name says all of it in words.

import type { TimelineMark } from '../core/timeline/model';
import { h, icon } from './dom';
import { formatRelativeTime } from './format';

/** "TLSv1.3" → "1.3": the lane is already called TLS. */
export function shortVersion(version: string | undefined): string | null {
  if (version === undefined) return null;
  return /^TLSv?(\d\.\d)$/i.exec(version)?.[1] ?? version;
}

export function protectionText(mark: TimelineMark): string | null {
  if (mark.encrypted !== true) return null;
  return mark.decrypted === true ? 'encrypted, decrypted from the key log' : 'encrypted';
}

/** What a screen reader says and a tooltip shows: the summary, when, and whether it was protected. */
export function markAccessibleName(mark: TimelineMark): string {
  const protection = protectionText(mark);
  return `${mark.summary} — at ${formatRelativeTime(mark.t)}${protection === null ? '' : ` (${protection})`}`;
}

/** The text beside the mark: its short label, and the TLS version for TLS messages. */
export function markLabelText(mark: TimelineMark): string {
  const version = mark.lane === 'tls' ? shortVersion(mark.version) : null;
  return version === null ? mark.label : `${mark.label} · ${version}`;
}

export function markClassName(mark: TimelineMark, base: string): string {
  return `${base} dir-${mark.dir} tone-${mark.tone} kind-${mark.kind}${mark.encrypted === true ? ' is-encrypted' : ''}`;
}

/** The glyph and its lock, without a label: lanes and sequence rows add their own. */
export function markGlyph(mark: TimelineMark): DocumentFragment {
  const fragment = document.createDocumentFragment();
  fragment.append(icon(mark.dir, 'glyph'));
  if (mark.encrypted === true) fragment.append(icon(mark.decrypted === true ? 'unlock' : 'lock', 'lock'));
  return fragment;
}

/** A badge row for the details pane and the sequence view: direction, version, protection. */
export function markBadges(mark: TimelineMark): HTMLElement {
  const badges = h('span', { class: 'badges' });
  const direction = { out: 'client → server', in: 'server → client', local: 'at the client', server: 'recorded by the server side' }[mark.dir];
  badges.append(h('span', { class: `badge dir-${mark.dir}` }, icon(mark.dir, 'badge-glyph'), direction));
  if (mark.version !== undefined) badges.append(h('span', { class: 'badge' }, mark.version));
  const protection = protectionText(mark);
  if (protection !== null) badges.append(h('span', { class: `badge protection${mark.decrypted === true ? ' decrypted' : ''}` }, icon(mark.decrypted === true ? 'unlock' : 'lock', 'badge-glyph'), mark.decrypted === true ? 'decrypted' : 'encrypted'));
  return badges;
}
