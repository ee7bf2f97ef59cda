// The parts of the details pane that are plain content: what an alert or reset means, certificate cards, and a
// server-side record as a table with the keys that tied it to this probe marked (in words as well as colour).

import type { CertificateCard, MarkDetail } from '../core/timeline/model';
import { h, icon } from './dom';

export function meaningSection(meaning: string): HTMLElement {
  return h('section', { class: 'detail-meaning', role: 'note', 'aria-label': 'What it means' }, icon('warning', 'meaning-icon'), h('div', {}, h('h3', {}, 'What it means'), h('p', {}, meaning)));
}

function certificateCard(card: CertificateCard): HTMLElement {
  const rows: Array<[string, string | HTMLElement]> = [
    ['Subject', card.subject],
    ['Issuer', card.issuer],
    ['Serial', card.serialNumber],
    ['Validity', h('span', {}, h('strong', {}, card.validity), h('br'), `${card.notBefore} → ${card.notAfter}`)],
    ['SANs', card.subjectAltNames.length === 0 ? '—' : card.subjectAltNames.join(', ')],
    ['Key', card.publicKey],
    ['SHA-256', h('span', { class: 'mono break' }, card.sha256)],
  ];
  return h(
    'article',
    { class: `cert-card${card.isCA ? ' is-ca' : ''}`, 'aria-label': `${card.role}: ${card.subject}` },
    h('header', { class: 'cert-head' }, icon('shield', 'cert-icon'), h('span', { class: 'cert-role' }, card.role), card.isCA ? h('span', { class: 'chip' }, 'CA') : h('span', { class: 'chip' }, 'end entity')),
    h('dl', { class: 'kv' }, ...rows.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, value)])),
  );
}

export function certificatesSection(cards: readonly CertificateCard[]): HTMLElement {
  return h('section', { class: 'detail-certificates', 'aria-label': 'Certificates' }, h('h3', {}, `Certificates (${cards.length})`), h('div', { class: 'cert-cards' }, ...cards.map(certificateCard)));
}

export function recordSection(record: NonNullable<MarkDetail['record']>): HTMLElement {
  const matchedBy = record.matchedBy.length === 0 ? null : h('p', { class: 'matched-by' }, icon('check', 'inline-icon'), `Matched by ${record.matchedBy.join('; ')}`);
  const rows = record.rows.map((row) =>
    h(
      'tr',
      { class: row.matched ? 'is-matched' : '' },
      h('th', { scope: 'row' }, row.key),
      h('td', {}, h('span', { class: 'record-value' }, row.value), row.matched ? h('span', { class: 'matched-tag' }, icon('check', 'inline-icon'), 'matched') : null),
    ),
  );
  return h(
    'section',
    { class: 'detail-record', 'aria-label': 'Server-side record' },
    h('h3', {}, 'Record'),
    h('p', { class: 'record-origin' }, record.origin),
    matchedBy,
    h('table', { class: 'record-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Value'))), h('tbody', {}, ...rows)),
  );
}
