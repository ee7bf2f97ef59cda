// Distinguished names as RFC 4514 strings (most specific RDN first: "CN=Partner CA,O=Example\, Inc.,C=JP"),
// the form ALB headers and logs use. The DER reader is hand-written: a Name is a tiny, fixed structure
// (SEQUENCE OF SET OF {OID, string}), it sits on the probe's hot path (every CertificateRequest lists CA
// names), and loading a general ASN.1 schema library for it costs more start-up time than the whole probe.

import { decodeOid, readDerElement, type DerElement } from '../formats/der';
import { BoundedCache } from '../bounded-cache';

// Short names as OpenSSL (and so ALB, nginx and curl) print them.
const attributeShortNames: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** A Name whose DER is malformed or truncated; its code is always `bad_distinguished_name`. */
export class DistinguishedNameError extends Error {
  readonly code = 'bad_distinguished_name';
}

/** Escapes an attribute value as RFC 4514 section 2.4 requires. */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

function readTlv(der: Uint8Array, offset: number, limit: number): DerElement {
  const element = readDerElement(der, offset, limit);
  if (element === null) throw new DistinguishedNameError('malformed or truncated DER');
  return element;
}

function decodeString(tag: number, bytes: Uint8Array): string | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (tag) {
    case 0x0c: // UTF8String
      return buf.toString('utf8');
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return buf.toString('latin1');
    case 0x14: // TeletexString (treated as Latin-1, as OpenSSL does)
      return buf.toString('latin1');
    case 0x1e: // BMPString, UTF-16BE
      return Buffer.from(buf).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString, UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < buf.length; i += 4) s += String.fromCodePoint(buf.readUInt32BE(i));
      return s;
    }
    default:
      return null;
  }
}

function formatUncached(der: Uint8Array): string {
  const name = readTlv(der, 0, der.length);
  if (name.tag !== 0x30) throw new DistinguishedNameError('a Name must be a SEQUENCE');
  const rdns: string[] = [];
  for (let o = name.valueStart; o < name.end; ) {
    const set = readTlv(der, o, name.end);
    if (set.tag !== 0x31) throw new DistinguishedNameError('an RDN must be a SET');
    const parts: string[] = [];
    for (let a = set.valueStart; a < set.end; ) {
      const atv = readTlv(der, a, set.end);
      const oid = readTlv(der, atv.valueStart, atv.end);
      if (atv.tag !== 0x30 || oid.tag !== 0x06) throw new DistinguishedNameError('bad AttributeTypeAndValue');
      const value = readTlv(der, oid.end, atv.end);
      const type = decodeOid(der.subarray(oid.valueStart, oid.end));
      const text = decodeString(value.tag, der.subarray(value.valueStart, value.end));
      const label = attributeShortNames[type] ?? type;
      parts.push(text === null ? `${label}=#${Buffer.from(der.subarray(value.start, value.end)).toString('hex')}` : `${label}=${escapeDnValue(text)}`);
      a = atv.end;
    }
    // OpenSSL's RFC 2253 output (and so ALB's and nginx's) lists multi-valued RDN parts last first too.
    rdns.push(parts.reverse().join('+'));
    o = set.end;
  }
  return rdns.reverse().join(',');
}

// CertificateRequests repeat the same CA names on every probe of an endpoint.
const nameCache = new BoundedCache<string, string>(1024);

/** Formats a DER-encoded X.501 Name as an RFC 4514 string. Throws DistinguishedNameError on bad DER. */
export function formatDistinguishedName(der: Uint8Array): string {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  return nameCache.getOrCreate(key, () => formatUncached(der));
}

/**
 * Converts the subject/issuer string of node:crypto's X509Certificate (one RDN per line, root first,
 * values already escaped RFC 2253-style, multi-valued RDNs joined by " + ") to RFC 4514 order.
 */
export function rfc4514FromNodeName(nodeName: string): string {
  return nodeName
    .split('\n')
    .filter((line) => line.length > 0)
    .reverse()
    .map((rdn) => rdn.split(' + ').reverse().join('+'))
    .join(',');
}
