// What the details pane shows for a mark: decoded fields as a tree, certificates as cards, a server-side record as
// a table with the keys that tied it to the probe. Secret header values never get this far: they are replaced by
// their length (../secret-headers.ts) before the fields are made, because the model goes to a webview and into
// report files.

import type { CertificateCard, DetailField } from './model';

const maxValueLength = 2000;

function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > maxValueLength ? `${text.slice(0, maxValueLength)}… (${text.length} characters)` : text;
}

/** "cipherSuites" → "Cipher suites"; "alpn" → "ALPN". */
export function fieldLabel(key: string): string {
  const known: Record<string, string> = { alpn: 'ALPN', sni: 'SNI', serverName: 'Server name (SNI)', sessionIdLength: 'Session id length', keyShareGroups: 'Key share groups', keyShareGroup: 'Key share group', httpVersion: 'HTTP version' };
  if (known[key] !== undefined) return known[key];
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Decoded fields as a tree; `paths` are the byte-span paths of the message, to link a field to its bytes. */
export function fieldTree(fields: Record<string, unknown>, paths: ReadonlySet<string> = new Set(), prefix = '', rawNames = false): DetailField[] {
  const out: DetailField[] = [];
  for (const [key, value] of Object.entries(fields)) {
    // Certificates have cards of their own; numeric codes repeat the names beside them.
    if (value === undefined || key === 'certificates' || key === 'der' || key === 'cipherSuiteCodes') continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const spanPath = spanPathOf(paths, path);
    const node: DetailField = { name: rawNames ? key : fieldLabel(key), ...(spanPath !== undefined ? { path: spanPath } : {}) };
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== 'object' || v === null)) {
        node.value = value.length === 0 ? '(none)' : value.length > 6 ? `${value.length} entries` : value.join(', ');
        if (value.length > 6) node.children = value.map((v, i) => ({ name: String(i + 1), value: String(v), ...(paths.has(`${path}[${i}]`) ? { path: `${path}[${i}]` } : {}) }));
      } else {
        node.value = `${value.length} entries`;
        node.children = value.map((v, i) => {
          const itemPath = `${path}[${i}]`;
          const item = v as Record<string, unknown>;
          const name = typeof item.name === 'string' ? item.name : String(i + 1);
          const spanPath = extensionSpan(paths, item, itemPath);
          return { name, value: itemWords(item), ...(spanPath !== undefined ? { path: spanPath } : {}) };
        });
      }
    } else if (value !== null && typeof value === 'object') {
      // Header names are shown as sent, not turned into words.
      node.children = fieldTree(value as Record<string, unknown>, paths, path, key === 'headers');
    } else {
      node.value = value === null ? '(none)' : shortValue(value);
    }
    out.push(node);
  }
  return out;
}

/** The layout names a field's bytes after the field (`random`), or after what a length counts (`sessionIdLength` → `sessionId`). */
function spanPathOf(paths: ReadonlySet<string>, path: string): string | undefined {
  if (paths.has(path)) return path;
  const counted = path.replace(/(Length|Bits)$/, '');
  return counted !== path && paths.has(counted) ? counted : undefined;
}

/** An extension as `{type, name, length}` reads "type 0, 14 bytes". */
function itemWords(item: Record<string, unknown>): string {
  if (typeof item.type === 'number' && typeof item.length === 'number' && Object.keys(item).length <= 3) return `type ${item.type}, ${item.length} byte${item.length === 1 ? '' : 's'}`;
  return shortValue(Object.fromEntries(Object.entries(item).filter(([k]) => k !== 'name')));
}

/** Extensions whose bytes the layout names after the field they decode to. */
const extensionFields: Record<string, string[]> = {
  server_name: ['serverName'],
  application_layer_protocol_negotiation: ['alpn'],
  supported_groups: ['supportedGroups'],
  signature_algorithms: ['signatureAlgorithms'],
  supported_versions: ['supportedVersions', 'version'],
  key_share: ['keyShareGroups', 'keyShareGroup'],
  post_handshake_auth: ['postHandshakeAuth'],
  certificate_authorities: ['authorities'],
};

/** An extension's bytes are under its own name (`extensions.ec_point_formats`) or its decoded field's (`serverName`). */
function extensionSpan(paths: ReadonlySet<string>, item: Record<string, unknown>, itemPath: string): string | undefined {
  if (paths.has(itemPath)) return itemPath;
  if (typeof item.name !== 'string') return undefined;
  if (paths.has(`extensions.${item.name}`)) return `extensions.${item.name}`;
  return (extensionFields[item.name] ?? []).find((field) => paths.has(field));
}

const dayMs = 86_400_000;

function inDays(ms: number): string {
  const days = Math.round(Math.abs(ms) / dayMs);
  if (days >= 1) return `${days} day${days === 1 ? '' : 's'}`;
  const hours = Math.max(1, Math.round(Math.abs(ms) / 3_600_000));
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

/** Validity in words at the run's time: what mattered to the server when it checked the certificate. */
export function validityWords(notBefore: string, notAfter: string, at: number): string {
  const from = Date.parse(notBefore);
  const to = Date.parse(notAfter);
  if (at < from) return `not yet valid at the probe's time (valid from ${notBefore.slice(0, 10)}, ${inDays(from - at)} later)`;
  if (at > to) return `expired ${inDays(at - to)} before the probe (on ${notAfter.slice(0, 10)})`;
  return `valid at the probe's time, for ${inDays(to - at)} more (until ${notAfter.slice(0, 10)})`;
}

export interface CertificateFacts {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  subjectAltNames?: string[];
  publicKey?: string;
  sha256?: string;
  isCA?: boolean;
}

export function certificateCard(role: string, c: CertificateFacts, at: number): CertificateCard {
  return {
    role,
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    validity: validityWords(c.notBefore, c.notAfter, at),
    subjectAltNames: c.subjectAltNames ?? [],
    publicKey: c.publicKey ?? '',
    sha256: c.sha256 ?? '',
    isCA: c.isCA ?? false,
  };
}

/** A record flattened to rows (`httpRequest.clientIp`), values as text. */
export function recordRows(record: Record<string, unknown>, matched: ReadonlyArray<{ key: string; value: string }>): Array<{ key: string; value: string; matched: boolean }> {
  const rows: Array<{ key: string; value: string; matched: boolean }> = [];
  const needles = matched.map((m) => m.value.toLowerCase()).filter((v) => v.length >= 3);
  const visit = (value: unknown, key: string, depth: number): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 4) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) visit(v, key === '' ? k : `${key}.${k}`, depth + 1);
      return;
    }
    const text = value === null || value === undefined ? '' : shortValue(value);
    const lower = text.toLowerCase();
    rows.push({ key, value: text, matched: needles.some((n) => lower === n || (lower.includes(n) && n.length >= 6)) });
  };
  visit(record, '', 0);
  return rows;
}
