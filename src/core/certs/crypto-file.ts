import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { stat, readFile } from 'node:fs/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { ContentInfo, id_signedData } from '@peculiar/asn1-cms';
import { derChildren, readDerElement } from '../formats/der';
import { derKind } from '../formats/der-kind';
import { FileError, fileReadProblem, type FileErrorCode } from '../formats/file-error';
import { base64Problem, isClosed, pemBlockDer, pemFileText, pemText, readPemLines, type PemBlock } from '../formats/pem';
import type { decodePkcs12 } from '../formats/pkcs12';
import { BoundedCache } from '../bounded-cache';
import { describeKey, passphraseFailure, publicKeySha256 } from './key-facts';

// Reads whatever people keep certificates and keys in — PEM bundles with text around the blocks, DER,
// PKCS#7 bundles, PKCS#12 — into one list of DER items with the line each came from. The bytes are read by
// the formats layer (lenient PEM, DER shapes, PKCS#12); what each item is, and what is wrong with it in the
// owner's words, is decided here. Only public facts about private keys leave this module (type, size, SHA-256
// of the public key): never key bytes or passphrases.

/**
 * The file reader's codes, and what reading any certificate or key file adds: nothing to read (`empty_file`,
 * `not_a_file`, `file_too_large`), not a format this reads (`no_pem_blocks`, `not_crypto`, `unreadable`), or a
 * damaged container (`bad_der`, `bad_pkcs12`).
 */
export type CryptoFileErrorCode = FileErrorCode | 'empty_file' | 'not_a_file' | 'file_too_large' | 'no_pem_blocks' | 'not_crypto' | 'unreadable' | 'bad_der' | 'bad_pkcs12';

/** A problem with a certificate/key file, worded for the person who owns it. Never contains key material. */
export class CryptoFileError extends FileError<CryptoFileErrorCode> {
  override name = 'CryptoFileError';
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

// ---- shared helpers --------------------------------------------------------------------------------

// The same bundles are read again and again (the hover re-reads a file on every move): a certificate
// parse costs ~0.15 ms, a hash ~2 µs, so parsed certificates are kept by the SHA-256 of their DER.
const certificateCache = new BoundedCache<string, X509Certificate>(512);

/** node:crypto's view of a DER certificate, cached. Throws node:crypto's error when it is not one. */
export function parsedCertificate(der: Uint8Array, sha256: string = createHash('sha256').update(der).digest('hex')): X509Certificate {
  return certificateCache.getOrCreate(sha256, () => new X509Certificate(der));
}

function emptyContents(file: string): CryptoFileContents {
  return { file, certificates: [], privateKeys: [], csrs: [], crls: [], problems: [] };
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
    if (encrypted && passphraseFailure(e) !== undefined) {
      throw new CryptoFileError('wrong_passphrase', out.file, `The passphrase does not decrypt the private key at ${where(out.file, line)}: check the passphrase.`, { cause: e });
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
  pkcs12Decoder ??= (await import('../formats/pkcs12')).decodePkcs12;
}

function addPkcs12(out: CryptoFileContents, data: Buffer, passphrase: string | undefined): void {
  if (pkcs12Decoder === undefined) throw new Error('PKCS#12 support not loaded: await loadPkcs12Support() first.');
  let decoded: ReturnType<typeof decodePkcs12>;
  try {
    decoded = pkcs12Decoder(data, out.file, passphrase);
  } catch (e) {
    if (e instanceof FileError && (e.code === 'passphrase_required' || e.code === 'wrong_passphrase')) throw new CryptoFileError(e.code, e.file, e.message, { cause: e });
    throw new CryptoFileError('bad_pkcs12', out.file, `${out.file} looks like PKCS#12 but could not be read (corrupt or an unsupported encryption): export it again.`, { cause: e });
  }
  for (const der of decoded.certificates) addCertificate(out, der, 'pkcs12', undefined);
  for (const der of decoded.keys) addPrivateKey(out, { der, type: 'pkcs8' }, undefined, undefined);
}

// ---- DER files ---------------------------------------------------------------------------------

/** Hands a DER structure to the parser for its kind. False when the kind is not one a certificate or key file holds. */
function parseDer(out: CryptoFileContents, data: Buffer, passphrase: string | undefined): boolean {
  const top = readDerElement(data, 0);
  const kind = top === null ? 'unknown' : derKind(data, top);
  if (top === null || kind === 'unknown' || kind === 'public-key') return false;
  const der = data.subarray(0, top.end);
  if (top.end < data.length && data.subarray(top.end).some((b) => b !== 0 && b !== 0x0a && b !== 0x0d && b !== 0x20)) {
    out.problems.push({ message: `${out.file} has ${data.length - top.end} bytes after its DER structure; they were ignored.` });
  }
  switch (kind) {
    case 'pkcs7-other':
      out.problems.push({ message: `${out.file} is a PKCS#7/CMS file without certificates (not SignedData).` });
      return true;
    case 'pkcs7-signed-data':
      addPkcs7(out, der, undefined);
      return true;
    case 'pkcs12':
      addPkcs12(out, der, passphrase);
      return true;
    case 'pkcs8-key':
    case 'pkcs1-key':
    case 'sec1-key':
      addPrivateKey(out, { der, type: kind === 'pkcs8-key' ? 'pkcs8' : kind === 'pkcs1-key' ? 'pkcs1' : 'sec1' }, undefined, passphrase);
      return true;
    case 'encrypted-pkcs8-key':
      addPrivateKey(out, { der, type: 'pkcs8', encryptedPkcs8: true }, undefined, passphrase);
      return true;
    default:
      parseSignedDer(out, der);
      return true;
  }
}

/** Certificate, CRL and CSR share one outer shape: each parser is tried, the certificate's (the fastest) first. */
function parseSignedDer(out: CryptoFileContents, der: Buffer): void {
  if (isUsableCertificate(der)) {
    out.certificates.push({ der, source: 'der' });
    return;
  }
  const probe = emptyContents(out.file);
  if (addCsr(probe, der, undefined)) {
    out.csrs.push(...probe.csrs);
    return;
  }
  if (addCrl(probe, der, undefined)) {
    out.crls.push(...probe.crls);
    return;
  }
  throw new CryptoFileError('bad_der', out.file, `${out.file} is DER shaped like a certificate, CRL or certificate request, but is none of them (corrupt or truncated): export it again.`);
}

// ---- PEM files ---------------------------------------------------------------------------------

/** Why a block cannot be read, with its line; undefined for a whole block. `next` is the block after it, if any. */
function blockProblem(file: string, block: PemBlock, next: PemBlock | undefined): string | undefined {
  const what = `The ${block.label} block at ${where(file, block.begin.number)}`;
  if (block.end === undefined) {
    if (next === undefined) return `${what} has no END line (the file is truncated?); the block was skipped.`;
    return `${what} has no END line before the next BEGIN at line ${next.begin.number} (truncated copy?); the block was skipped.`;
  }
  if (!isClosed(block)) return `${what} ends with END ${block.endLabel} at line ${block.end.number}; the block was skipped.`;
  if (block.base64.length === 0) return `${what} is empty (nothing between BEGIN and END).`;
  if (block.badLine !== undefined || base64Problem(block.base64, 'lenient') !== undefined) {
    return `${what} is not valid base64${block.badLine !== undefined ? ` (line ${block.badLine.number})` : ''}: copy the block again, whole.`;
  }
  return undefined;
}

function parsePemBlocks(out: CryptoFileContents, text: string, passphrase: string | undefined): void {
  const { blocks } = readPemLines(text, 'lenient');
  blocks.forEach((block, i) => {
    const problem = blockProblem(out.file, block, blocks[i + 1]);
    if (problem === undefined) parsePemBlock(out, block, passphrase);
    else out.problems.push({ line: block.begin.number, message: problem });
  });
}

function parsePemBlock(out: CryptoFileContents, block: PemBlock, passphrase: string | undefined): void {
  const { label } = block;
  const line = block.begin.number;
  if (block.headers.some((h) => /^Proc-Type:.*ENCRYPTED/i.test(h)) && /^(RSA|EC|DSA) PRIVATE KEY$/.test(label)) {
    // Legacy encrypted PEM: the body is ciphertext, not DER, and OpenSSL wants the headers back.
    addPrivateKey(out, { pem: pemText(block), legacyEncrypted: true }, line, passphrase);
    return;
  }
  const der = pemBlockDer(block);
  if (der === null) {
    out.problems.push({ line, message: `The ${label} block at ${where(out.file, line)} is truncated or corrupt (its DER is cut off): copy the block again, whole.` });
    return;
  }
  // OpenSSL's TRUSTED CERTIFICATE is the certificate followed by its trust settings: pemBlockDer keeps the certificate.
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

function parseUnchecked(data: Buffer, file: string, options: CryptoFileOptions): CryptoFileContents {
  const out = emptyContents(file);
  if (data.length === 0) throw new CryptoFileError('empty_file', file, `${file} is empty: expected a certificate or key (PEM, DER, PKCS#7 or PKCS#12).`);
  if (data.length > maxCryptoFileBytes) throw new CryptoFileError('file_too_large', file, `${file} is larger than 50 MB, far more than any certificate or key file: pass the certificate file itself.`);
  const text = pemFileText(data);
  if (text !== null) {
    parsePemBlocks(out, text, options.passphrase);
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
    throw new CryptoFileError('unreadable', file, `${file} could not be read as a certificate or key file (corrupt or an unsupported format).`, { cause: e });
  }
}

/** parseCryptoText on a file, which is checked with stat first: directories and files over 50 MB are refused unread. */
export async function readCryptoFile(path: string, options: CryptoFileOptions & { maxBytes?: number } = {}): Promise<CryptoFileContents> {
  const limit = options.maxBytes ?? maxCryptoFileBytes;
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw readError({ code: 'EISDIR' }, path);
    if (!info.isFile()) throw new CryptoFileError('not_a_file', path, `${path} is not a regular file: pass a certificate or key file.`);
    size = info.size;
  } catch (e) {
    if (e instanceof CryptoFileError) throw e;
    throw readError(e, path);
  }
  if (size > limit) {
    throw new CryptoFileError('file_too_large', path, `${path} is ${(size / 1048576).toFixed(1)} MB, more than the ${(limit / 1048576).toFixed(limit < 1048576 ? 1 : 0)} MB a certificate or key file can be: pass the certificate file itself.`);
  }
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw readError(e, path);
  }
  // DER starts with a SEQUENCE; PKCS#12 is one.
  if (data[0] === 0x30) await loadPkcs12Support();
  return parseCryptoText(data, path, options);
}

function readError(e: unknown, path: string): CryptoFileError {
  const { code, message } = fileReadProblem(e, path);
  return new CryptoFileError(code, path, message, { cause: e });
}
