import { derChildrenHead, readDerElement, type DerElement } from './der';

// What a DER structure is, told by its shape alone: a file without PEM labels (`cert inspect` on a .der, .p12
// or .p7b) has nothing else to go by, and a CERTIFICATE block that holds something else (the hover) is named
// for what it holds. Shapes only: whether the structure parses as that kind is the parser's to say.

export type DerKind =
  | 'certificate'
  | 'certificate-request'
  | 'crl'
  /** Outer shape of a certificate, CSR or CRL (to-be-signed, algorithm, signature) whose fields are none of them. */
  | 'signed-unknown'
  | 'pkcs7-signed-data'
  /** PKCS#7/CMS of another content type: no certificates in it. */
  | 'pkcs7-other'
  | 'pkcs12'
  | 'pkcs8-key'
  | 'encrypted-pkcs8-key'
  | 'pkcs1-key'
  | 'sec1-key'
  | 'public-key'
  | 'unknown';

const oidData = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
const oidSignedData = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

const sequence = 0x30;
const integer = 0x02;
const octetString = 0x04;
const bitString = 0x03;
const oid = 0x06;

function bytesOf(der: Uint8Array, element: DerElement): Buffer {
  return Buffer.from(der.buffer, der.byteOffset + element.start, element.end - element.start);
}

function smallInteger(der: Uint8Array, element: DerElement): number | null {
  if (element.tag !== integer || element.end - element.valueStart !== 1) return null;
  return der[element.valueStart]!;
}

// Shapes are told by the first fields only: a structure's other elements are checked but not kept (derChildrenHead).

function isCertificateShape(der: Uint8Array, tbs: DerElement): boolean {
  const fields = derChildrenHead(der, tbs, 7)?.head ?? null;
  if (fields === null) return false;
  const i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const tags = fields.slice(i, i + 6).map((f) => f.tag);
  if (tags.join() !== [integer, sequence, sequence, sequence, sequence, sequence].join()) return false;
  const times = derChildrenHead(der, fields[i + 3]!, 2);
  return times !== null && times.count === 2 && times.head.every((t) => t.tag === 0x17 || t.tag === 0x18);
}

/** Certificate, CSR and CRL share the outer SEQUENCE { to-be-signed, algorithm, signature }: the first one's fields tell them apart. */
function signedKind(der: Uint8Array, [tbs, algorithm]: DerElement[]): DerKind {
  if (tbs!.tag !== sequence || algorithm!.tag !== sequence) return 'signed-unknown';
  if (isCertificateShape(der, tbs!)) return 'certificate';
  const info = derChildrenHead(der, tbs!, 4)?.head ?? [];
  if (info[0]?.tag === integer && info[1]?.tag === sequence && info[2]?.tag === sequence && info[3]?.tag === 0xa0) return 'certificate-request';
  const i = info[0]?.tag === integer ? 1 : 0;
  if (info[i]?.tag === sequence && info[i + 1]?.tag === sequence && (info[i + 2]?.tag === 0x17 || info[i + 2]?.tag === 0x18)) return 'crl';
  return 'signed-unknown';
}

/** PFX: version 3, then a ContentInfo of type data (password integrity) or signedData (public-key integrity). */
function isPfxAuthSafe(der: Uint8Array, authSafe: DerElement): boolean {
  if (authSafe.tag !== sequence) return false;
  const contentType = readDerElement(der, authSafe.valueStart, authSafe.end);
  if (contentType === null) return false;
  const bytes = bytesOf(der, contentType);
  return bytes.equals(oidData) || bytes.equals(oidSignedData);
}

/** The kind of the DER structure `top` (an element of `der`). */
export function derKind(der: Uint8Array, top: DerElement): DerKind {
  const inside = top.tag === sequence ? derChildrenHead(der, top, 3) : null;
  if (inside === null || inside.count < 2) return 'unknown';
  const children = inside.head;
  const [first, second] = children as [DerElement, DerElement];
  if (first.tag === oid) return bytesOf(der, first).equals(oidSignedData) ? 'pkcs7-signed-data' : 'pkcs7-other';
  const version = smallInteger(der, first);
  if (version === 3 && isPfxAuthSafe(der, second)) return 'pkcs12';
  if ((version === 0 || version === 1) && second.tag === sequence) return 'pkcs8-key';
  if (version === 0 && second.tag === integer) return 'pkcs1-key';
  if (version === 1 && second.tag === octetString) return 'sec1-key';
  if (first.tag === sequence && inside.count === 2 && second.tag === octetString) return 'encrypted-pkcs8-key';
  if (first.tag === sequence && inside.count === 2 && second.tag === bitString) return 'public-key';
  if (first.tag === sequence && inside.count === 3 && children[2]!.tag === bitString) return signedKind(der, children);
  return 'unknown';
}
