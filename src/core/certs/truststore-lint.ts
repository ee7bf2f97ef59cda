import { open, stat } from 'node:fs/promises';
import { fileReadProblem, type FileErrorCode } from '../formats/file-error';
import { base64Problem, pemMarker, readPemLines, trimTrailingBlanks, type PemBlock, type PemLine } from '../formats/pem';
import { albMaxChainDepth, albMaxTrustStoreCertificates } from './alb-trust-store-rules';
import { FindingList, chainDepths, checkCertificate, describeName, parseCertificate, type ParsedCertificate, type TrustStoreFinding } from './truststore-certificates';

export type { TrustStoreFinding, TrustStoreRule } from './truststore-certificates';

// Lints a PEM CA bundle against the rules AWS documents for an ALB mutual-TLS trust store
// (alb-trust-store-rules.ts), so a bad bundle is caught before the upload — where ALB's own error names
// neither the line nor the certificate. The blocks are read by the strict PEM reader; the rules about the
// lines between them (blank lines, comments) are ALB's own and live here.

export interface TrustStoreCertificate {
  /** Line of the certificate's BEGIN line. */
  line: number;
  subject: string;
  issuer: string;
  /** SHA-256 of the DER, lowercase hex. */
  sha256: string;
  notAfter: string;
}

export interface TrustStoreReport {
  file: string;
  certificates: TrustStoreCertificate[];
  findings: TrustStoreFinding[];
  errorCount: number;
  warningCount: number;
}

export interface TrustStoreLintOptions {
  /** The instant expiry is judged at (default: now). */
  now?: Date;
}

/**
 * Why a bundle cannot be linted: it could not be read (`file_not_found`, `file_unreadable`, `file_is_directory`,
 * the cause being the file system's error), it is too big (`file_too_large`), or it is binary, not PEM (`not_pem`).
 */
export type TrustStoreFileErrorCode = FileErrorCode | 'file_too_large' | 'not_pem';

/** A bundle file that cannot be linted at all (missing, a directory, binary, too big). */
export class TrustStoreFileError extends Error {
  readonly code: TrustStoreFileErrorCode;

  constructor(
    readonly file: string,
    message: string,
    options: ErrorOptions & { code: TrustStoreFileErrorCode },
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'TrustStoreFileError';
    this.code = options.code;
  }
}

/** Larger inputs are refused before reading: no real CA bundle comes near it. */
export const maxTrustStoreFileBytes = 50 * 1024 * 1024;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function lineRange(first: number, last: number): string {
  return first === last ? `Line ${first}` : `Lines ${first}–${last}`;
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/** Decodes the block's base64 strictly: a truncated or corrupted block is reported, not half-read. */
function decodeBody(block: PemBlock): { der: Buffer } | { problem: string } {
  const { badLine, base64 } = block;
  if (badLine !== undefined) return { problem: `line ${badLine.number} (${excerpt(badLine.text)}) is not base64` };
  const problem = base64Problem(base64, 'strict');
  if (problem === 'empty') return { problem: 'it has no base64 content' };
  if (problem === 'padding') return { problem: "its base64 has '=' padding before the end" };
  if (problem === 'length') return { problem: `its base64 is ${base64.length} characters long, not a multiple of 4 (truncated?)` };
  return { der: Buffer.from(base64, 'base64') };
}

/** ALB's rules for the lines between the certificate blocks: no blank line anywhere, only # comments without '-'. */
function checkLines(others: PemLine[], findings: FindingList): void {
  // Consecutive blank or stray lines make one finding, so a pasted paragraph is one error, not twenty.
  let run: { kind: 'blank' | 'stray'; first: PemLine; last: PemLine } | undefined;
  const flushRun = (): void => {
    if (run === undefined) return;
    const { kind, first, last } = run;
    if (kind === 'blank') {
      findings.add('error', 'blank-line', first.number, `${lineRange(first.number, last.number)} ${first === last ? 'is' : 'are'} blank; ALB rejects blank lines in a trust-store bundle. Delete ${first === last ? 'it' : 'them'}.`, { endLine: last.number });
    } else {
      const what = pemMarker(first.text, 'END', 'strict') !== null ? `${excerpt(first.text)} is an END line without a BEGIN line` : `${excerpt(first.text)}${first === last ? '' : ' …'} is neither a # comment nor part of a PEM CERTIFICATE block`;
      findings.add('error', 'not-pem', first.number, `${lineRange(first.number, last.number)}: ${what}; ALB accepts only CERTIFICATE blocks and # comment lines. Delete it or make it a # comment without '-'.`, { endLine: last.number });
    }
    run = undefined;
  };
  for (const line of others) {
    const text = trimTrailingBlanks(line.text);
    if (text.startsWith('#')) {
      flushRun();
      if (text.includes('-')) {
        findings.add('error', 'comment-with-dash', line.number, `Line ${line.number}: the comment ${excerpt(line.text)} contains '-'; ALB rejects comments with '-' (they look like PEM boundaries). Remove the '-' characters.`);
      }
      continue;
    }
    const kind = text.length === 0 ? 'blank' : 'stray';
    if (run !== undefined && run.kind === kind && run.last.number === line.number - 1) run.last = line;
    else {
      flushRun();
      run = { kind, first: line, last: line };
    }
  }
  flushRun();
}

function blockBytes(text: string, block: PemBlock): number {
  const last = block.end ?? block.body.at(-1) ?? block.begin;
  return Buffer.byteLength(text.slice(block.begin.start, last.end), 'utf8');
}

function lastLineOf(block: PemBlock): number {
  return (block.end ?? block.body.at(-1) ?? block.begin).number;
}

/** ALB's limits on the bundle as a whole: at least one certificate and at most its quota, and how deep a path they make. */
function checkBundleLimits(certificateBlocks: PemBlock[], parsedByBlock: Map<PemBlock, ParsedCertificate>, parsed: ParsedCertificate[], findings: FindingList): void {
  if (certificateBlocks.length === 0) {
    findings.add('error', 'no-certificates', 1, 'The bundle holds no PEM CERTIFICATE block; an ALB trust store needs at least one CA certificate. Add the CA certificates that issue your client certificates.');
  } else if (certificateBlocks.length > albMaxTrustStoreCertificates) {
    const firstOver = certificateBlocks[albMaxTrustStoreCertificates]!;
    const lastBlock = certificateBlocks.at(-1)!;
    const subject = parsedByBlock.get(firstOver)?.subject;
    const extra = certificateBlocks.length - albMaxTrustStoreCertificates;
    findings.add(
      'error',
      'too-many-certificates',
      firstOver.begin.number,
      `The bundle holds ${certificateBlocks.length} certificates and ALB allows ${albMaxTrustStoreCertificates} per trust store; certificate ${albMaxTrustStoreCertificates + 1}${subject !== undefined ? ` (${describeName(subject)})` : ''} starts here. Remove ${plural(extra, 'certificate')} or split the bundle across trust stores.`,
      { endLine: lastLineOf(lastBlock), ...(subject !== undefined ? { subject } : {}) },
    );
  }

  for (const { depth, path } of chainDepths(parsed)) {
    if (depth <= albMaxChainDepth) continue;
    const cert = path[0]!;
    findings.add(
      'error',
      'chain-too-deep',
      cert.block.begin.number,
      `${describeName(cert.subject)}: ${depth} certificates deep in this bundle (${path.map((c) => describeName(c.subject)).join(' → ')}); ALB allows a chain depth of ${albMaxChainDepth}. Remove the CAs below depth ${albMaxChainDepth} or issue clients from a shallower CA.`,
      { subject: cert.subject, endLine: cert.block.end?.number ?? cert.block.begin.number },
    );
  }
}

/** Lints the text of a trust-store bundle. Pure and synchronous; never throws on any input text. */
export function lintTrustStore(text: string, file: string, options: TrustStoreLintOptions = {}): TrustStoreReport {
  const now = (options.now ?? new Date()).getTime();
  const findings = new FindingList();
  let body = text;
  if (body.startsWith('\uFEFF')) {
    findings.add('error', 'not-pem', 1, "Line 1 starts with a byte-order mark (U+FEFF); ALB accepts only CERTIFICATE blocks and # comment lines. Save the file as UTF-8 without BOM (or plain ASCII).");
    body = body.slice(1);
  }
  const { blocks, others } = readPemLines(body, 'strict');
  checkLines(others, findings);

  const certificateBlocks: PemBlock[] = [];
  for (const block of blocks) {
    const last = lastLineOf(block);
    if (block.label !== 'CERTIFICATE') {
      const advice = /PRIVATE KEY/.test(block.label)
        ? 'Remove it: a trust store holds CA certificates only, and a private key must never be uploaded.'
        : block.label === 'TRUSTED CERTIFICATE'
          ? 'Convert it to a plain CERTIFICATE block (openssl x509 -in FILE drops the trust settings).'
          : 'Remove it: a trust store holds CERTIFICATE blocks only.';
      findings.add('error', 'not-pem', block.begin.number, `${lineRange(block.begin.number, last)}: a ${block.label} PEM block; ALB accepts only CERTIFICATE blocks and # comment lines. ${advice}`, { endLine: last });
      continue;
    }
    certificateBlocks.push(block);
  }

  const parsed: ParsedCertificate[] = [];
  const firstBySha = new Map<string, ParsedCertificate>();
  const certificates: TrustStoreCertificate[] = [];
  const parsedByBlock = new Map<PemBlock, ParsedCertificate>();
  for (const block of certificateBlocks) {
    const last = lastLineOf(block);
    const fail = (problem: string): void =>
      findings.add('error', 'unparsable', block.begin.number, `${lineRange(block.begin.number, last)}: the CERTIFICATE block cannot be read: ${problem}; ALB rejects the whole bundle. Paste the certificate again from its source.`, { endLine: last });
    if (block.end === undefined) {
      fail('it has no -----END CERTIFICATE----- line');
      continue;
    }
    if (block.endLabel !== 'CERTIFICATE') {
      fail(`it ends with -----END ${block.endLabel ?? ''}-----`);
      continue;
    }
    const decoded = decodeBody(block);
    if ('problem' in decoded) {
      fail(decoded.problem);
      continue;
    }
    const cert = parseCertificate(block, decoded.der, blockBytes(body, block));
    if ('problem' in cert) {
      fail(cert.problem);
      continue;
    }
    parsedByBlock.set(block, cert);
    certificates.push({ line: block.begin.number, subject: cert.subject, issuer: cert.issuer, sha256: cert.sha256, notAfter: new Date(cert.notAfter).toISOString() });
    const first = firstBySha.get(cert.sha256);
    if (first !== undefined) {
      // The copy has the same problems as the original, already reported there.
      findings.add('warning', 'duplicate', block.begin.number, `${describeName(cert.subject)}: the same certificate as the one at line ${first.block.begin.number}; ALB stores it once and the copy counts against the ${albMaxTrustStoreCertificates}-certificate quota. Delete this copy.`, { subject: cert.subject, endLine: last });
      continue;
    }
    firstBySha.set(cert.sha256, cert);
    parsed.push(cert);
    checkCertificate(cert, findings, now);
  }

  checkBundleLimits(certificateBlocks, parsedByBlock, parsed, findings);

  const sorted = findings.items.map((finding, order) => ({ finding, order })).sort((a, b) => a.finding.line - b.finding.line || a.order - b.order).map(({ finding }) => finding);
  return {
    file,
    certificates,
    findings: sorted,
    errorCount: sorted.filter((f) => f.severity === 'error').length,
    warningCount: sorted.filter((f) => f.severity === 'warning').length,
  };
}

function describeFsError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `${path}: no such file. Give the path of the PEM CA bundle you upload to the ALB trust store.`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied. Make the file readable by this user.`;
    case 'EISDIR':
      return `${path} is a directory. Give the path of the PEM CA bundle file.`;
    default:
      return `${path} could not be read (${code ?? (error as Error).message}). Check the path and try again.`;
  }
}

/** True for content that is clearly not text: NUL bytes, or a DER certificate/sequence at the start. */
function looksBinary(bytes: Buffer): boolean {
  if (bytes.includes(0)) return true;
  return bytes.length >= 2 && bytes[0] === 0x30 && bytes[1]! >= 0x81 && bytes[1]! <= 0x84;
}

/** Reads and lints a bundle file. Throws TrustStoreFileError (naming the file) when it cannot be linted. */
export async function lintTrustStoreFile(path: string, options: TrustStoreLintOptions = {}): Promise<TrustStoreReport> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new TrustStoreFileError(path, `${path} is a directory. Give the path of the PEM CA bundle file.`, { code: 'file_is_directory' });
    if (info.size > maxTrustStoreFileBytes) {
      throw new TrustStoreFileError(path, `${path} is ${(info.size / 1024 / 1024).toFixed(1)} MB; a trust-store bundle of at most ${albMaxTrustStoreCertificates} CA certificates is a few hundred KB at most, and this tool reads up to 50 MB. Check that this is the right file.`, { code: 'file_too_large' });
    }
    // Read through a handle with a cap: a FIFO or a file that grows reports no honest size.
    const handle = await open(path, 'r');
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.alloc(1024 * 1024);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > maxTrustStoreFileBytes) throw new TrustStoreFileError(path, `${path} is larger than 50 MB; a trust-store bundle is a few hundred KB at most. Check that this is the right file.`, { code: 'file_too_large' });
        chunks.push(chunk.subarray(0, bytesRead));
      }
      bytes = Buffer.concat(chunks, total);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof TrustStoreFileError) throw error;
    throw new TrustStoreFileError(path, describeFsError(path, error), { code: fileReadProblem(error, path).code, cause: error });
  }
  if (looksBinary(bytes)) {
    throw new TrustStoreFileError(path, `${path} is a binary file (DER?), not a PEM bundle; ALB trust stores take PEM text. Convert a DER certificate with: openssl x509 -inform der -in ${path} -out ca.pem`, { code: 'not_pem' });
  }
  return lintTrustStore(bytes.toString('utf8'), path, options);
}
