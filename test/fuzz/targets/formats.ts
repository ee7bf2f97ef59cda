// The formats layer: the DER reader and DER shapes (der.ts, der-kind.ts) with the Name formatter, PEM by lines (strict
// and lenient), PEM found in any text (pem-in-text.ts and the certificate blocks of the hover, pem-blocks.ts), and the
// PKCS#12 reader (node-forge behind pkcs12.ts). Only the PKCS#12 reader and the Name formatter throw, with codes.

import fc from 'fast-check';
import { DistinguishedNameError, formatDistinguishedName } from '../../../src/core/certs/distinguished-name';
import { blockAt, findCertificateBlocks } from '../../../src/core/certs/pem-blocks';
import { decodeOid, declaredDerElement, derChildren, derChildrenHead, readDerElement, type DerElement } from '../../../src/core/formats/der';
import { derKind } from '../../../src/core/formats/der-kind';
import { FileError } from '../../../src/core/formats/file-error';
import { base64Problem, certificatePemLabels, isClosed, pemBlockDer, pemFileText, pemMarker, pemText, readPemLines } from '../../../src/core/formats/pem';
import { findPemBlocksInText, pemBlockInTextAt } from '../../../src/core/formats/pem-in-text';
import type { decodePkcs12 } from '../../../src/core/formats/pkcs12';
import { fuzzBytes, repeatTo, textTokens, type FuzzTarget } from '../engine';
import { pemDers, pkiFile, pkiFiles } from '../seeds';

// ---- DER ------------------------------------------------------------------------------------------------

function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, value]);
}

/** Random TLV trees: the shapes the readers walk (SEQUENCE, SET, context tags, OIDs, strings, times). */
const derTree: fc.Arbitrary<Buffer> = fc.letrec<{ node: Buffer }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(fc.constantFrom(0x02, 0x04, 0x06, 0x0c, 0x13, 0x17, 0x18, 0x03, 0x05, 0x01), fc.uint8Array({ maxLength: 20 })).map(([tag, v]) => tlv(tag, Buffer.from(v))),
    fc.tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa3, 0xa1), fc.array(tie('node'), { maxLength: 4 })).map(([tag, children]) => tlv(tag, Buffer.concat(children))),
  ),
})).node;

function derSeeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const [name, bytes] of pkiFiles()) {
    if (name.endsWith('.pem') || name.endsWith('.key') || name.endsWith('.csr')) out.push(...pemDers(bytes));
    else out.push(bytes);
  }
  return out;
}

/** Names formatted per input: the readers format a certificate's few Names, never every SEQUENCE of a structure. */
const maxNamesPerInput = 32;

/**
 * Walks every element the way the readers do, without recursion (children, OIDs), and gives the shapes and Name
 * formatter the top element and the first SEQUENCEs met, as certificate, CSR and CRL readers do.
 */
export function walkDer(bytes: Buffer): string {
  const top = readDerElement(bytes, 0);
  const declared = declaredDerElement(bytes);
  if (top === null) return declared === null ? 'not-der' : 'truncated';
  const kind = derKind(bytes, top);
  const stack: DerElement[] = [top];
  let sequences = 0;
  let names = 0;
  while (stack.length > 0) {
    const element = stack.pop()!;
    if (element.tag === 0x06) decodeOid(bytes.subarray(element.valueStart, element.end));
    if (element.tag === 0x30 || element.tag === 0x31 || (element.tag & 0xe0) === 0xa0) {
      // Small elements through derChildren, as the readers do; big ones read in place, keeping only what is walked further.
      if (element.end - element.valueStart <= 4096) {
        for (const child of derChildren(bytes, element) ?? []) stack.push(child);
      } else {
        derChildrenHead(bytes, element, 8);
        for (let o = element.valueStart, child = readDerElement(bytes, o, element.end); child !== null; o = child.end, child = readDerElement(bytes, o, element.end)) {
          if (child.tag === 0x06 || child.tag === 0x30 || child.tag === 0x31 || (child.tag & 0xe0) === 0xa0) stack.push(child);
        }
      }
      if (element.tag === 0x30 && sequences++ < maxNamesPerInput) {
        derKind(bytes, element);
        try {
          formatDistinguishedName(bytes.subarray(element.start, element.end));
          names++;
        } catch (error) {
          if (!(error instanceof DistinguishedNameError)) throw error;
        }
      }
    }
  }
  return `${kind}${names > 0 ? '+names' : ''}`;
}

function nested(bytes: number, tag: number): Buffer {
  // Long-form lengths all the way down, as deep as the size allows.
  let inner = Buffer.alloc(0);
  while (inner.length + 5 < bytes) inner = Buffer.concat([Buffer.from([tag, 0x84]), Buffer.from([0, 0, 0, 0].map((_, i) => (inner.length >> (24 - 8 * i)) & 0xff)), inner]);
  return inner;
}

export const derTarget: FuzzTarget = {
  name: 'der',
  description: 'readDerElement/declaredDerElement/derChildren/decodeOid/derKind and formatDistinguishedName over every element of mutated certificates, keys, CRLs, CSRs, PKCS#7/#12 and random TLV trees',
  weight: 8,
  input: fc.oneof({ arbitrary: fuzzBytes(derSeeds(), [Buffer.from([0x30, 0x80]), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x06, 0x00]), Buffer.from([0x1f, 0x81])]), weight: 4 }, { arbitrary: derTree, weight: 1 }),
  run: walkDer,
  coded: [],
  shapes: [
    { name: 'deep DER nesting', make: (bytes) => nested(bytes, 0x30) },
    { name: 'flat SEQUENCE of empty elements', make: (bytes) => tlv(0x30, repeatTo(Buffer.from([0x05, 0x00]), bytes - 6)) },
    { name: 'one long OID', make: (bytes) => tlv(0x30, tlv(0x06, repeatTo(Buffer.from([0x81]), bytes - 12, '', Buffer.from([0x01])))) },
    { name: 'Name of many RDNs', make: (bytes) => tlv(0x30, repeatTo(tlv(0x31, tlv(0x30, Buffer.concat([tlv(0x06, Buffer.from([0x55, 0x04, 0x03])), tlv(0x0c, Buffer.from('x'))]))), bytes - 6)) },
  ],
};

// ---- PEM by lines ------------------------------------------------------------------------------------------

function pemSeeds(): Buffer[] {
  return [...pkiFiles()].filter(([name]) => !name.endsWith('.p12') && !name.endsWith('.p7b') && !name.endsWith('.der') && !name.endsWith('.p8') && !name.endsWith('.crl')).map(([, b]) => b);
}

const pemTokens = textTokens('-----BEGIN CERTIFICATE-----', '-----END CERTIFICATE-----', '-----BEGIN ', '-----END ', '-----', '\n', '\r\n', '\r', ' ', '\t', '=', '==', 'Proc-Type: 4,ENCRYPTED\n', '# comment\n', '\uFEFF', '\\n', '"', 'MII');

/** Reads the text at both strictnesses and judges each block as the callers do. */
export function readPem(bytes: Buffer): string {
  const text = pemFileText(bytes) ?? bytes.toString('latin1');
  const kinds = new Set<string>();
  for (const strictness of ['lenient', 'strict'] as const) {
    const { blocks, others } = readPemLines(text, strictness);
    for (const line of others.slice(0, 8)) pemMarker(line.text, 'END', strictness);
    for (const block of blocks) {
      kinds.add(`${strictness}:${isClosed(block) ? (base64Problem(block.base64, strictness) ?? (pemBlockDer(block) === null ? 'no-der' : 'ok')) : 'open'}`);
      pemText(block);
    }
  }
  return kinds.size === 0 ? 'none' : [...kinds].sort().join('+');
}

export const pemTarget: FuzzTarget = {
  name: 'pem',
  description: 'readPemLines (lenient and strict), base64Problem, pemBlockDer, pemText and pemFileText on mutated PEM files (UTF-16 too)',
  weight: 8,
  input: fuzzBytes([...pemSeeds(), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pkiFile('p256/valid.pem').toString('latin1'), 'utf16le')])], pemTokens),
  run: readPem,
  coded: [],
  shapes: [
    { name: 'many PEM blocks', make: (bytes) => repeatTo(pkiFile('p256/root-ca.pem'), bytes) },
    { name: 'one long line of spaces', make: (bytes) => repeatTo(' ', bytes, '-----BEGIN CERTIFICATE-----\n', 'x\n-----END CERTIFICATE-----\n') },
    { name: 'one long base64 line', make: (bytes) => repeatTo('QUJD', bytes, '-----BEGIN CERTIFICATE-----\n', '\n-----END CERTIFICATE-----\n') },
    { name: 'BEGIN lines without END', make: (bytes) => repeatTo('-----BEGIN CERTIFICATE-----\nMIIB\n', bytes) },
    { name: 'long line of dashes and labels', make: (bytes) => repeatTo('-----BEGIN A', bytes) },
  ],
};

// ---- PEM in any text (the hover) ---------------------------------------------------------------------------

function textSeeds(): Buffer[] {
  const pem = pkiFile('p256/valid.chain.pem').toString('latin1');
  const cert = pkiFile('p256/valid.pem').toString('latin1');
  return [
    Buffer.from(pem),
    Buffer.from(`tls:\n  cert: |\n${cert.replace(/^/gm, '    ')}`),
    Buffer.from(JSON.stringify({ cert })),
    Buffer.from(`resource "x" {\n  cert = <<EOT\n${cert}EOT\n}\n`),
    Buffer.from(cert.split('\n').map((l) => `  "${l}\\n" +`).join('\n')),
    Buffer.from(`// ${cert.replace(/\n/g, '\n// ')}`),
    Buffer.from(`X-Amzn-Mtls-Clientcert: ${encodeURIComponent(cert)}`),
    Buffer.from(`<cert value="${cert.replace(/\n/g, '&#10;')}"/>`),
    Buffer.from(JSON.stringify(JSON.stringify({ cert }))),
  ];
}

/** Every block of the text, then the block at a few offsets (the hover's look-up), as the editor calls them. */
export function findPemInText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const blocks = findPemBlocksInText(text, certificatePemLabels);
  const certificates = findCertificateBlocks(text);
  const offsets = [0, text.length >> 1, text.length, ...blocks.slice(0, 3).flatMap((b) => [b.start, b.end, (b.start + b.end) >> 1])];
  let hits = 0;
  for (const offset of offsets) {
    if (pemBlockInTextAt(text, offset, certificatePemLabels) !== null) hits++;
    blockAt(text, offset);
  }
  const ok = certificates.filter((c) => c.der !== null).length;
  return `${blocks.length === 0 ? 'none' : blocks.some((b) => b.problem !== undefined) ? 'damaged' : 'blocks'}:${ok > 0 ? 'der' : 'no-der'}:${hits > 0 ? 'hit' : 'miss'}`;
}

export const pemInTextTarget: FuzzTarget = {
  name: 'pem-in-text',
  description: 'findPemBlocksInText, pemBlockInTextAt, findCertificateBlocks and blockAt on certificates pasted into YAML, JSON, Terraform, code, comments, URL- and XML-encoded text, mutated',
  weight: 8,
  input: fuzzBytes(textSeeds(), [...pemTokens, ...textTokens('\\\\n', '%0A', '&#10;', '%2B', '\\u002B', '\\/', '" +\n"', '-----BEGIN CERTIFICATE-----BEGIN')]),
  run: findPemInText,
  coded: [],
  shapes: [
    { name: 'many certificate blocks', make: (bytes) => repeatTo(pkiFile('p256/root-ca.pem'), bytes) },
    { name: 'backslash runs in a block', make: (bytes) => repeatTo('\\\\\\\\\\\\\\\\x', bytes, '-----BEGIN CERTIFICATE-----', '-----END CERTIFICATE-----') },
    { name: 'BEGIN markers only', make: (bytes) => repeatTo('-----BEGIN CERTIFICATE-----', bytes) },
    { name: 'one JSON line of escaped blocks', make: (bytes) => repeatTo(JSON.stringify(pkiFile('p256/root-ca.pem').toString('latin1')).slice(1, -1), bytes, '{"c":"', '"}') },
    { name: 'unterminated block of base64', make: (bytes) => repeatTo('QUJD\n', bytes, '-----BEGIN CERTIFICATE-----\n') },
  ],
};

// ---- PKCS#12 ------------------------------------------------------------------------------------------------

let pkcs12: typeof decodePkcs12 | undefined;

/** The passphrase comes from the input's length: none, the right one, a wrong one. */
export function readPkcs12(bytes: Buffer): string {
  const passphrase = [undefined, 'fuzz', 'wrong'][bytes.length % 3];
  const decoded = pkcs12!(bytes, 'fuzz.p12', passphrase);
  return `certificates:${Math.min(decoded.certificates.length, 3)}:keys:${Math.min(decoded.keys.length, 2)}`;
}

export const pkcs12Target: FuzzTarget = {
  name: 'pkcs12',
  description: 'decodePkcs12 (node-forge) on mutated PKCS#12 files (3DES, AES-256, certificates only), with no, the right and a wrong passphrase',
  weight: 2,
  input: fuzzBytes([pkiFile('rsa2048/valid-3des.p12'), pkiFile('rsa2048/valid-aes256.p12'), pkiFile('rsa2048/certificates-only.p12')], [Buffer.from([0x02, 0x04, 0x7f, 0xff, 0xff, 0xff]), Buffer.from([0x30, 0x80])]),
  run: readPkcs12,
  coded: [FileError],
  setup: async () => {
    pkcs12 ??= (await import('../../../src/core/formats/pkcs12')).decodePkcs12;
  },
  shapes: [
    { name: 'deep DER nesting', make: (bytes) => nested(bytes, 0x30) },
    { name: 'big certificate bag list', make: (bytes) => tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([3])), tlv(0x30, repeatTo(tlv(0x04, Buffer.alloc(100)), bytes - 16))])) },
  ],
};
