import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';

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

/** Escapes an attribute value as RFC 4514 section 2.4 requires. */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/**
 * Formats a DER-encoded X.501 Name as an RFC 4514 string (most specific RDN first,
 * e.g. "CN=Partner CA,O=Example\, Inc.,C=JP"), the form ALB headers and logs use.
 */
const nameCache = new Map<string, string>();
const nameCacheLimit = 1024;

export function formatDistinguishedName(der: Uint8Array): string {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const cached = nameCache.get(key);
  if (cached !== undefined) return cached;
  const formatted = formatUncached(der);
  if (nameCache.size >= nameCacheLimit) nameCache.delete(nameCache.keys().next().value!);
  nameCache.set(key, formatted);
  return formatted;
}

function formatUncached(der: Uint8Array): string {
  const name = AsnConvert.parse(der, Name);
  const rdns: string[] = [];
  for (const rdn of name) {
    const parts: string[] = [];
    for (const atv of rdn) {
      const short = attributeShortNames[atv.type];
      if (atv.value.anyValue !== undefined) {
        parts.push(`${short ?? atv.type}=#${Buffer.from(atv.value.anyValue).toString('hex')}`);
      } else {
        parts.push(`${short ?? atv.type}=${escapeDnValue(atv.value.toString())}`);
      }
    }
    rdns.push(parts.join('+'));
  }
  return rdns.reverse().join(',');
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
    .map((rdn) => rdn.replace(/ \+ /g, '+'))
    .join(',');
}
