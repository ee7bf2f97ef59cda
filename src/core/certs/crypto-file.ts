import { X509Certificate, createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { stat, readFile } from 'node:fs/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { ContentInfo, id_signedData } from '@peculiar/asn1-cms';
import { IdentityError } from '../identity/identity-error';
import type { decodePkcs12 } from '../identity/pkcs12';
import { derChildren, readDerElement, type DerElement } from './der';
import { BoundedCache } from '../bounded-cache';

// Reads whatever people keep certificates and keys in — PEM bundles with text around the blocks, DER,
// PKCS#7 bundles, PKCS#12 — into one list of DER items with the line each came from. Only public facts
// about private keys leave this module (type, size, SHA-256 of the public key): never key bytes or passphrases.

/** A problem with a certificate/key file, worded for the person who owns it. Never contains key material. */
export class CryptoFileError extends Error {
  constructor(readonly code: string, readonly file: string, message: string) {
    super(message);
    this.name = 'CryptoFileError';
  }
}

export interface CryptoFileContents {
  file: string;
  certificates: Array<{ der: Buffer; line?: number; source: 'pem' | 'der' | 'pkcs7' | 'pkcs12' }>;
  privateKeys: Array<{ line?: number; encrypted: boolean; keyType?: string; publicKeySha256?: string }>;
  csrs: Array<{ der: Buffer; line?: number }>;
  crls: Array<{ der: Buffer; line?: number }>;
  problems: Array<{ line?: number; message: string }>;
}

export interface CryptoFileOptions {
  /** Decrypts encrypted private keys and opens PKCS#12 files. */
  passphrase?: string;
}

/** Files larger than this are refused before they are read: no certificate bundle is anywhere near it. */
export const maxCryptoFileBytes = 50 * 1024 * 1024;

// ---- DER structure -------------------------------------------------------------------------------

function smallInteger(der: Uint8Array, element: DerElement): number | null {
  if (element.tag !== 0x02 || element.end - element.valueStart !== 1) return null;
  return der[element.valueStart]!;
}

// ---- shared helpers --------------------------------------------------------------------------------

// The same bundles are read again and again (the hover re-reads a file on every move): a certificate
// parse costs ~0.15 ms, a hash ~2 µs, so parsed certificates are kept by the SHA-256 of their DER.
const certificateCache = new BoundedCache<string, X509Certificate>(512);

/** node:crypto's view of a DER certificate, cached. Throws node:crypto's error when it is not one. */
export function parsedCertificate(der: Uint8Array, sha256: string = createHash('sha256').update(der).digest('hex')): X509Certificate {
  return certificateCache.getOrCreate(sha256, () => new X509Certificate(der));
}

const nistCurveNames: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Key type, size and curve as people say them: "RSA 2048", "EC P-256", "Ed25519". */
export function describeKey(key: KeyObject): { label: string; type: string; size?: number; curve?: string } {
  const raw = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const type = raw === 'ec' ? 'EC' : raw === 'rsa' ? 'RSA' : raw === 'rsa-pss' ? 'RSA-PSS' : raw === 'dsa' ? 'DSA' : raw === 'ed25519' ? 'Ed25519' : raw === 'ed448' ? 'Ed448' : raw.toUpperCase();
  if (details.modulusLength !== undefined) return { label: `${type} ${details.modulusLength}`, type, size: details.modulusLength };
  if (details.namedCurve !== undefined) {
    const curve = nistCurveNames[details.namedCurve] ?? details.namedCurve;
    const bits = /(\d{3})/.exec(curve)?.[1];
    return { label: `${type} ${curve}`, type, curve, ...(bits ? { size: Number(bits) } : {}) };
  }
  return { label: type, type };
}

/** SHA-256 (hex) of a key's SubjectPublicKeyInfo DER: how certificates and keys are matched. */
export function publicKeySha256(key: KeyObject): string {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

function emptyContents(file: string): CryptoFileContents {
  return { file, certificates: [], privateKeys: [], csrs: [], crls: [], problems: [] };
}

function isDecryptFailure(e: unknown): boolean {
  const text = `${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message ?? ''}`;
  return /bad decrypt|BAD_DECRYPT|wrong password|decrypt/i.test(text);
}

function isMissingPassphrase(e: unknown): boolean {
  const text = `${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message ?? ''}`;
  return /MISSING_PASSPHRASE|passphrase required|interrupted or cancelled/i.test(text);
}

function where(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file} line ${line}`;
}

// ---- items ----------------------------------------------------------------------------------------

type Source = CryptoFileContents['certificates'][number]['source'];

/**
 * True when node:crypto reads the certificate and everything inspection relies on: OpenSSL parses some
 * damaged certificates and fails only later, on the public key or an impossible validity date.
 */
function isUsableCertificate(der: Uint8Array): boolean {
  try {
    const certificate = parsedCertificate(der);
    return certificate.publicKey.asymmetricKeyType !== undefined && Number.isFinite(Date.parse(certificate.validFrom)) && Number.isFinite(Date.parse(certificate.validTo));
  } catch {
    return false;
  }
}

function addCertificate(out: CryptoFileContents, der: Buffer, source: Source, line: number | undefined): void {
  if (!isUsableCertificate(der)) {
    out.problems.push({ line, message: `The certificate at ${where(out.file, line)} is not a valid X.509 certificate (corrupt or truncated): export it again.` });
    return;
  }
  out.certificates.push({ der, source, ...(line !== undefined ? { line } : {}) });
}

function addCsr(out: CryptoFileContents, der: Buffer, line: number | undefined): boolean {
  try {
    AsnConvert.parse(der, CertificationRequest);
  } catch {
    out.problems.push({ line, message: `The certificate request at ${where(out.file, line)} is not a valid PKCS#10 request (corrupt or truncated).` });
    return false;
  }
  out.csrs.push({ der, ...(line !== undefined ? { line } : {}) });
  return true;
}

function addCrl(out: CryptoFileContents, der: Buffer, line: number | undefined): boolean {
  try {
    AsnConvert.parse(der, CertificateList);
  } catch {
    out.problems.push({ line, message: `The CRL at ${where(out.file, line)} is not a valid X.509 CRL (corrupt or truncated).` });
    return false;
  }
  out.crls.push({ der, ...(line !== undefined ? { line } : {}) });
  return true;
}

type KeyInput = { der: Buffer; type: 'pkcs8' | 'pkcs1' | 'sec1'; encryptedPkcs8?: boolean } | { pem: string; legacyEncrypted: true };

function addPrivateKey(out: CryptoFileContents, input: KeyInput, line: number | undefined, passphrase: string | undefined): void {
  const encrypted = 'pem' in input || input.encryptedPkcs8 === true;
  const at = line !== undefined ? { line } : {};
  if (encrypted && passphrase === undefined) {
    out.privateKeys.push({ ...at, encrypted: true });
    return;
  }
  let key: KeyObject;
  try {
    key =
      'pem' in input
        ? createPrivateKey({ key: input.pem, format: 'pem', passphrase: passphrase ?? '' })
        : createPrivateKey({ key: input.der, format: 'der', type: input.type, ...(input.encryptedPkcs8 ? { passphrase } : {}) });
  } catch (e) {
    if (encrypted && (isDecryptFailure(e) || isMissingPassphrase(e))) {
      throw new CryptoFileError('wrong_passphrase', out.file, `The passphrase does not decrypt the private key at ${where(out.file, line)}: check the passphrase.`);
    }
    out.problems.push({ line, message: `The private key at ${where(out.file, line)} is not readable (corrupt, truncated, or an unsupported algorithm): export it again as PKCS#8.` });
    return;
  }
  out.privateKeys.push({ ...at, encrypted, keyType: describeKey(key).label, publicKeySha256: publicKeySha256(key) });
}

/** Certificates (and CRLs) inside a DER PKCS#7 / CMS SignedData, e.g. a .p7b chain export. */
function addPkcs7(out: CryptoFileContents, der: Buffer, line: number | undefined): void {
  let content: Buffer;
  try {
    const info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== id_signedData) {
      out.problems.push({ line, message: `The PKCS#7 structure at ${where(out.file, line)} is not SignedData (content type ${info.contentType}), so it holds no certificates.` });
      return;
    }
    content = Buffer.from(info.content);
  } catch {
    out.problems.push({ line, message: `The PKCS#7 bundle at ${where(out.file, line)} is corrupt or truncated: export it again.` });
    return;
  }
  // SignedData is walked element by element rather than through asn1-cms's SignedData schema: that schema
  // cannot read a CRL in the crls field (openssl crl2pkcs7 puts them there), and walking keeps each
  // certificate's exact bytes, so its signature still verifies.
  const signed = readDerElement(content, 0);
  const fields = signed?.tag === 0x30 ? derChildren(content, signed) : null;
  if (fields === null) {
    out.problems.push({ line, message: `The PKCS#7 bundle at ${where(out.file, line)} is corrupt or truncated: export it again.` });
    return;
  }
  let certificates = 0;
  for (const field of fields) {
    if (field.tag !== 0xa0 && field.tag !== 0xa1) continue;
    const items = derChildren(content, field);
    if (items === null) {
      out.problems.push({ line, message: `The ${field.tag === 0xa0 ? 'certificate' : 'CRL'} list of the PKCS#7 bundle at ${where(out.file, line)} is corrupt.` });
      continue;
    }
    for (const item of items) {
      // Only plain certificates and CRLs (SEQUENCE); attribute certificates and other formats are not for TLS.
      if (item.tag !== 0x30) continue;
      const bytes = Buffer.from(content.subarray(item.start, item.end));
      if (field.tag === 0xa0) {
        certificates++;
        addCertificate(out, bytes, 'pkcs7', line);
      } else {
        addCrl(out, bytes, line);
      }
    }
  }
  if (certificates === 0) out.problems.push({ line, message: `The PKCS#7 bundle at ${where(out.file, line)} holds no certificates.` });
}

// The PKCS#12 reader (node-forge, ~200 KB) loads on demand: readCryptoFile loads it when a file could be PKCS#12,
// so inspecting PEM files (the hover, the trust-store lint) never pays for it.
let pkcs12Decoder: typeof decodePkcs12 | undefined;

/** Loads the PKCS#12 reader; parseCryptoText needs it before it is given PKCS#12 bytes. */
export async function loadPkcs12Support(): Promise<void> {
  pkcs12Decoder ??= (await import('../identity/pkcs12')).decodePkcs12;
}

function addPkcs12(out: CryptoFileContents, data: Buffer, passphrase: string | undefined): void {
  if (pkcs12Decoder === undefined) throw new Error('PKCS#12 support not loaded: await loadPkcs12Support() first.');
  let decoded: ReturnType<typeof decodePkcs12>;
  try {
    decoded = pkcs12Decoder(data, out.file, passphrase ?? '');
  } catch (e) {
    if (e instanceof IdentityError && e.code === 'wrong_passphrase') {
      if (passphrase === undefined) {
        throw new CryptoFileError('passphrase_required', out.file, `${out.file} is a PKCS#12 file protected by a passphrase: give it (CLI: --pass-env VAR, with the passphrase in that environment variable).`);
      }
      throw new CryptoFileError('wrong_passphrase', out.file, `The passphrase does not open ${out.file} (its integrity check failed): check the passphrase, or the file is corrupt.`);
    }
    throw new CryptoFileError('bad_pkcs12', out.file, `${out.file} looks like PKCS#12 but could not be read (corrupt or an unsupported encryption): export it again.`);
  }
  for (const der of decoded.certificates) addCertificate(out, der, 'pkcs12', undefined);
  for (const der of decoded.keys) addPrivateKey(out, { der, type: 'pkcs8' }, undefined, undefined);
}

// ---- DER files ---------------------------------------------------------------------------------

const oidData = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
const oidSignedData = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

/** Tells DER structures apart by their shape, then hands each to the parser for that kind. False when the shape is unknown. */
function parseDer(out: CryptoFileContents, data: Buffer, passphrase: string | undefined): boolean {
  const top = readDerElement(data, 0);
  if (top === null || top.tag !== 0x30) return false;
  const children = derChildren(data, top);
  if (children === null || children.length < 2) return false;
  const [first, second] = children as [DerElement, DerElement];
  const der = data.subarray(0, top.end);
  if (top.end < data.length && data.subarray(top.end).some((b) => b !== 0 && b !== 0x0a && b !== 0x0d && b !== 0x20)) {
    out.problems.push({ message: `${out.file} has ${data.length - top.end} bytes after its DER structure; they were ignored.` });
  }
  const version = smallInteger(data, first);
  if (first.tag === 0x06) {
    // ContentInfo: PKCS#7 / CMS
    const oid = data.subarray(first.start, first.end);
    if (!oid.equals(oidSignedData)) {
      out.problems.push({ message: `${out.file} is a PKCS#7/CMS file without certificates (not SignedData).` });
      return true;
    }
    addPkcs7(out, der, undefined);
    return true;
  }
  if (version === 3 && second.tag === 0x30) {
    const contentType = readDerElement(data, second.valueStart, second.end);
    if (contentType !== null && (data.subarray(contentType.start, contentType.end).equals(oidData) || data.subarray(contentType.start, contentType.end).equals(oidSignedData))) {
      addPkcs12(out, der, passphrase);
      return true;
    }
  }
  if ((version === 0 || version === 1) && second.tag === 0x30) {
    addPrivateKey(out, { der, type: 'pkcs8' }, undefined, passphrase);
    return true;
  }
  if (version === 0 && second.tag === 0x02) {
    addPrivateKey(out, { der, type: 'pkcs1' }, undefined, passphrase);
    return true;
  }
  if (version === 1 && second.tag === 0x04) {
    addPrivateKey(out, { der, type: 'sec1' }, undefined, passphrase);
    return true;
  }
  if (first.tag === 0x30 && second.tag === 0x04 && children.length === 2) {
    addPrivateKey(out, { der, type: 'pkcs8', encryptedPkcs8: true }, undefined, passphrase);
    return true;
  }
  if (first.tag === 0x30 && children.length === 3 && children[2]!.tag === 0x03) {
    // Certificate, CRL and CSR share this outer shape: the certificate parser is the fastest to try.
    if (isUsableCertificate(der)) {
      out.certificates.push({ der, source: 'der' });
      return true;
    }
    const probe = emptyContents(out.file);
    if (addCsr(probe, der, undefined)) {
      out.csrs.push(...probe.csrs);
      return true;
    }
    if (addCrl(probe, der, undefined)) {
      out.crls.push(...probe.crls);
      return true;
    }
    throw new CryptoFileError('bad_der', out.file, `${out.file} is DER shaped like a certificate, CRL or certificate request, but is none of them (corrupt or truncated): export it again.`);
  }
  return false;
}

// ---- PEM files ---------------------------------------------------------------------------------

const beginLine = /-----BEGIN ([A-Z0-9 #]+)-----/;
const endLine = /-----END ([A-Z0-9 #]+)-----/;
const base64Line = /^[A-Za-z0-9+/]*={0,2}$/;

interface PemBlock {
  label: string;
  line: number;
  headers: string[];
  base64: string;
}

function parsePemBlocks(text: string, out: CryptoFileContents): PemBlock[] {
  const lines = text.split(/\r\n|\n|\r/);
  const blocks: PemBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const begin = beginLine.exec(lines[i]!);
    if (begin === null) {
      i++;
      continue;
    }
    const label = begin[1]!;
    const line = i + 1;
    const headers: string[] = [];
    const body: string[] = [];
    let badLine: number | undefined;
    let closed = false;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const content = lines[j]!.trim();
      const end = endLine.exec(content);
      if (end !== null) {
        if (end[1] !== label) out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} ends with END ${end[1]} at line ${j + 1}; the block was skipped.` });
        else closed = true;
        j++;
        break;
      }
      if (beginLine.test(content)) {
        out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} has no END line before the next BEGIN at line ${j + 1} (truncated copy?); the block was skipped.` });
        break;
      }
      if (content.length === 0) continue;
      // RFC 1421 headers (Proc-Type, DEK-Info) of legacy encrypted keys come before the base64.
      if (body.length === 0 && content.includes(':')) {
        headers.push(content);
        continue;
      }
      if (!base64Line.test(content) && badLine === undefined) badLine = j + 1;
      body.push(content);
    }
    i = j;
    if (!closed) {
      if (j >= lines.length) out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} has no END line (the file is truncated?); the block was skipped.` });
      continue;
    }
    const base64 = body.join('');
    if (base64.length === 0) {
      out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} is empty (nothing between BEGIN and END).` });
      continue;
    }
    if (badLine !== undefined || base64.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
      out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} is not valid base64${badLine !== undefined ? ` (line ${badLine})` : ''}: copy the block again, whole.` });
      continue;
    }
    blocks.push({ label, line, headers, base64 });
  }
  return blocks;
}

/** The first complete DER element of a block, or null (truncated base64 decodes to a cut-off element). */
function blockDer(block: PemBlock): Buffer | null {
  const bytes = Buffer.from(block.base64, 'base64');
  const top = readDerElement(bytes, 0);
  if (top === null) return null;
  return bytes.subarray(0, top.end);
}

function parsePemBlock(out: CryptoFileContents, block: PemBlock, passphrase: string | undefined): void {
  const { label, line } = block;
  if (block.headers.some((h) => /^Proc-Type:.*ENCRYPTED/i.test(h)) && /^(RSA|EC|DSA) PRIVATE KEY$/.test(label)) {
    // Legacy encrypted PEM: the body is ciphertext, not DER, and OpenSSL wants the headers back.
    const pem = `-----BEGIN ${label}-----\n${block.headers.join('\n')}\n\n${(block.base64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;
    addPrivateKey(out, { pem, legacyEncrypted: true }, line, passphrase);
    return;
  }
  const der = blockDer(block);
  if (der === null) {
    out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} is truncated or corrupt (its DER is cut off): copy the block again, whole.` });
    return;
  }
  // OpenSSL's TRUSTED CERTIFICATE is the certificate followed by its trust settings: blockDer keeps the certificate.
  switch (label) {
    case 'CERTIFICATE':
    case 'X509 CERTIFICATE':
    case 'TRUSTED CERTIFICATE':
      addCertificate(out, der, 'pem', line);
      return;
    case 'PRIVATE KEY':
      addPrivateKey(out, { der, type: 'pkcs8' }, line, passphrase);
      return;
    case 'ENCRYPTED PRIVATE KEY':
      addPrivateKey(out, { der, type: 'pkcs8', encryptedPkcs8: true }, line, passphrase);
      return;
    case 'RSA PRIVATE KEY':
    case 'EC PRIVATE KEY':
    case 'DSA PRIVATE KEY':
      addPrivateKey(out, { der, type: label === 'RSA PRIVATE KEY' ? 'pkcs1' : label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8' }, line, passphrase);
      return;
    case 'CERTIFICATE REQUEST':
    case 'NEW CERTIFICATE REQUEST':
      addCsr(out, der, line);
      return;
    case 'X509 CRL':
    case 'CRL': // as @peculiar/x509 and some Java tools label it
      addCrl(out, der, line);
      return;
    case 'PKCS7':
    case 'PKCS #7 SIGNED DATA':
    case 'CMS':
      addPkcs7(out, der, line);
      return;
    case 'PUBLIC KEY':
    case 'RSA PUBLIC KEY':
      out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} is a bare public key, not a certificate; it was skipped.` });
      return;
    case 'OPENSSH PRIVATE KEY':
      out.problems.push({ line, message: `The key at ${where(out.file, line)} is an OpenSSH key, which TLS cannot use; it was skipped.` });
      return;
    default:
      out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} is not a certificate, key, CSR, CRL or PKCS#7 bundle; it was skipped.` });
  }
}

// ---- entry points --------------------------------------------------------------------------------

function textOf(data: Buffer): string | null {
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) return data.subarray(2).toString('utf16le');
  if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) return Buffer.from(data.subarray(2)).swap16().toString('utf16le');
  return null;
}

function parseUnchecked(data: Buffer, file: string, options: CryptoFileOptions): CryptoFileContents {
  const out = emptyContents(file);
  if (data.length === 0) throw new CryptoFileError('empty_file', file, `${file} is empty: expected a certificate or key (PEM, DER, PKCS#7 or PKCS#12).`);
  if (data.length > maxCryptoFileBytes) throw new CryptoFileError('file_too_large', file, `${file} is larger than 50 MB, far more than any certificate or key file: pass the certificate file itself.`);
  // Windows editors save "Unicode" text as UTF-16; the PEM inside is still ASCII.
  const wide = textOf(data);
  const text = wide ?? (data.includes('-----BEGIN') ? data.toString('latin1') : null);
  if (text !== null && text.includes('-----BEGIN')) {
    for (const block of parsePemBlocks(text, out)) parsePemBlock(out, block, options.passphrase);
    out.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return out;
  }
  if (parseDer(out, data, options.passphrase)) return out;
  // Base64 of a DER file without the PEM armour (as copied from a header or a JSON field).
  const compact = data.toString('latin1').replace(/\s+/g, '');
  if (compact.length >= 16 && compact.length % 4 !== 1 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    const decoded = Buffer.from(compact, 'base64');
    if (decoded[0] === 0x30 && parseDer(out, decoded, options.passphrase)) return out;
  }
  const printable = data.subarray(0, 4096).every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80);
  if (printable) {
    throw new CryptoFileError('no_pem_blocks', file, `${file} is text without any -----BEGIN ...----- block: expected PEM certificates or keys (or a DER, PKCS#7 or PKCS#12 file).`);
  }
  throw new CryptoFileError('not_crypto', file, `${file} is neither PEM nor a DER certificate, key, CSR, CRL, PKCS#7 or PKCS#12 file: check that this is the file you meant.`);
}

/**
 * Reads certificates, private keys, CSRs and CRLs from PEM (any blocks, any text around them, LF or CRLF),
 * DER, PKCS#7 or PKCS#12. Damaged blocks become `problems`; a file that is unreadable as a whole (or a
 * wrong passphrase) throws CryptoFileError. Encrypted keys without a passphrase are listed as encrypted.
 */
export function parseCryptoText(data: Buffer, file: string, options: CryptoFileOptions = {}): CryptoFileContents {
  try {
    return parseUnchecked(data, file, options);
  } catch (e) {
    if (e instanceof CryptoFileError) throw e;
    // A parser library tripped on hostile bytes: say what the file is not, never its internals.
    throw new CryptoFileError('unreadable', file, `${file} could not be read as a certificate or key file (corrupt or an unsupported format).`);
  }
}

/** parseCryptoText on a file, which is checked with stat first: directories and files over 50 MB are refused unread. */
export async function readCryptoFile(path: string, options: CryptoFileOptions & { maxBytes?: number } = {}): Promise<CryptoFileContents> {
  const limit = options.maxBytes ?? maxCryptoFileBytes;
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new CryptoFileError('file_is_directory', path, `${path} is a directory: pass a certificate or key file.`);
    if (!info.isFile()) throw new CryptoFileError('not_a_file', path, `${path} is not a regular file: pass a certificate or key file.`);
    size = info.size;
  } catch (e) {
    if (e instanceof CryptoFileError) throw e;
    throw fileError(e, path);
  }
  if (size > limit) {
    throw new CryptoFileError('file_too_large', path, `${path} is ${(size / 1048576).toFixed(1)} MB, more than the ${(limit / 1048576).toFixed(limit < 1048576 ? 1 : 0)} MB a certificate or key file can be: pass the certificate file itself.`);
  }
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw fileError(e, path);
  }
  // DER starts with a SEQUENCE; PKCS#12 is one.
  if (data[0] === 0x30) await loadPkcs12Support();
  return parseCryptoText(data, path, options);
}

function fileError(e: unknown, path: string): CryptoFileError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CryptoFileError('file_not_found', path, `${path} does not exist: check the path.`);
  if (code === 'EACCES' || code === 'EPERM') return new CryptoFileError('file_unreadable', path, `${path} is not readable by this user: check its permissions.`);
  if (code === 'EISDIR') return new CryptoFileError('file_is_directory', path, `${path} is a directory: pass a certificate or key file.`);
  return new CryptoFileError('file_unreadable', path, `${path} could not be read (${code ?? 'I/O error'}).`);
}
