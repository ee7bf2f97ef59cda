// A minimal DER reader for the few fixed structures the toolkit walks itself (Names, certificate
// extensions, CSR/CRL headers): where node:crypto does not expose a field, this is ~100x cheaper than
// a schema-driven ASN.1 parse, which matters on the hover and probe hot paths.

export interface DerElement {
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

/** The TLV header at `offset` as declared, whatever bytes follow; null when the header itself is malformed. */
function readHeader(der: Uint8Array, offset: number, limit: number): DerElement | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) return null;
  let length = der[offset + 1]!;
  let valueStart = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || valueStart + octets > limit) return null;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[valueStart + i]!;
    valueStart += octets;
  }
  return { tag, start: offset, valueStart, end: valueStart + length };
}

/**
 * Reads one DER TLV at `offset`. Returns null on anything malformed (indefinite or oversized length,
 * multi-byte tag, running past `limit`), so callers can probe untrusted bytes without exceptions.
 */
export function readDerElement(der: Uint8Array, offset: number, limit: number = der.length): DerElement | null {
  const element = readHeader(der, offset, limit);
  return element !== null && element.end <= limit ? element : null;
}

/**
 * The TLV at `offset` as its header declares it, even when its value runs past the bytes at hand (`end` beyond
 * `der.length`): what tells a cut-off copy ("N of the M bytes") from bytes that are not DER at all.
 */
export function declaredDerElement(der: Uint8Array, offset = 0): DerElement | null {
  return readHeader(der, offset, der.length);
}

/** The elements directly inside a constructed element; null when any of them is malformed. */
export function derChildren(der: Uint8Array, parent: DerElement): DerElement[] | null {
  const out: DerElement[] = [];
  for (let o = parent.valueStart; o < parent.end; ) {
    const child = readDerElement(der, o, parent.end);
    if (child === null) return null;
    out.push(child);
    o = child.end;
  }
  return out;
}

/**
 * The first `max` elements directly inside a constructed element and how many there are, every one of them checked;
 * null when any is malformed. Keeps no more than `max`: telling a structure's kind by its first fields costs no
 * memory even when it holds millions of tiny elements (a hostile 50 MB file).
 */
export function derChildrenHead(der: Uint8Array, parent: DerElement, max: number): { head: DerElement[]; count: number } | null {
  const head: DerElement[] = [];
  let count = 0;
  for (let o = parent.valueStart; o < parent.end; count++) {
    const child = readDerElement(der, o, parent.end);
    if (child === null) return null;
    if (head.length < max) head.push(child);
    o = child.end;
  }
  return { head, count };
}

/** Dotted form of a DER OBJECT IDENTIFIER's content octets. */
export function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}
