import { X509Certificate, type AsymmetricKeyDetails } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, BasicConstraints, Certificate, id_ce_basicConstraints } from '@peculiar/asn1-x509';
import { summarizeX509 } from './certificate-summary';
import { rfc4514FromNodeName } from './distinguished-name';

// Lints a PEM CA bundle against the rules AWS documents for an ALB mutual-TLS trust store (ALB guide,
// "Mutual authentication with TLS", and the ALB quotas page), so a bad bundle is caught before the upload
// — where ALB's own error names neither the line nor the certificate.

export type TrustStoreRule =
  | 'no-certificates'
  | 'blank-line'
  | 'comment-with-dash'
  | 'not-pem'
  | 'unparsable'
  | 'not-x509-v3'
  | 'key-type'
  | 'key-size'
  | 'signature-algorithm'
  | 'too-many-certificates'
  | 'certificate-too-large'
  | 'chain-too-deep'
  | 'not-a-ca'
  | 'expired'
  | 'not-yet-valid'
  | 'duplicate';

export interface TrustStoreFinding {
  severity: 'error' | 'warning';
  /** Stable id of the rule, for filters and for the extension's diagnostics. */
  rule: TrustStoreRule;
  /** 1-based line where the offending block or line starts. */
  line: number;
  /** 1-based last line, when the finding spans several lines. */
  endLine?: number;
  /** RFC 4514 subject of the certificate, when it could be parsed. */
  subject?: string;
  /** One sentence naming the certificate (or line) and the rule, and the fix. */
  message: string;
}

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

/** A bundle file that cannot be linted at all (missing, a directory, binary, too big). */
export class TrustStoreFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'TrustStoreFileError';
  }
}

// ALB quotas (ALB quotas page): CA certificates per trust store, bytes per CA certificate, chain depth.
export const maxTrustStoreCertificates = 25;
export const maxCertificateBytes = 16 * 1024;
export const maxChainDepth = 4;
/** Larger inputs are refused before reading: no real CA bundle comes near it. */
export const maxTrustStoreFileBytes = 50 * 1024 * 1024;

const allowedCurves: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const minRsaBits = 2048;
const maxRsaBits = 8192;
const keyRule = 'ALB accepts RSA 2048–8192 or ECDSA P-256/384/521';
const signatureRule = 'ALB accepts SHA-256, SHA-384 or SHA-512 signatures with RSA, ECDSA or RSASSA-PSS';

const acceptedSignatures = new Set([
  '1.2.840.113549.1.1.11', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.2', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4', // ecdsa-with-SHA512
]);
const rsassaPss = '1.2.840.113549.1.1.10';

const signatureNames: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
  '2.16.840.1.101.3.4.3.1': 'dsa-with-SHA224',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-SHA256',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

const hashNames: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  '1.2.840.113549.2.5': 'MD5',
};
const acceptedPssHashes = new Set(['SHA-256', 'SHA-384', 'SHA-512']);

interface Line {
  /** 1-based. */
  number: number;
  text: string;
  /** Offsets in the input: start of the line, and end including its line terminator. */
  start: number;
  end: number;
}

/** Splits on LF, CRLF and lone CR alike, so CRLF files lint exactly like LF files. */
function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const terminator = /\r\n|\r|\n/g;
  let start = 0;
  for (let m = terminator.exec(text); m !== null; m = terminator.exec(text)) {
    lines.push({ number: lines.length + 1, text: text.slice(start, m.index), start, end: m.index + m[0].length });
    start = m.index + m[0].length;
  }
  // A final line terminator ends the last line; it does not start an empty one.
  if (start < text.length) lines.push({ number: lines.length + 1, text: text.slice(start), start, end: text.length });
  return lines;
}

const beginLine = /^-----BEGIN ([^-]*)-----$/;
const endLine = /^-----END ([^-]*)-----$/;
const base64Line = /^[A-Za-z0-9+/=]+$/;

interface PemBlock {
  label: string;
  begin: Line;
  /** Undefined when the input ended (or another BEGIN came) before the END line. */
  end: Line | undefined;
  endLabel: string | undefined;
  body: Line[];
}

interface Tlv {
  tag: number;
  valueStart: number;
  end: number;
}

function readTlv(der: Uint8Array, offset: number): Tlv | undefined {
  if (offset + 2 > der.length) return undefined;
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let valueStart = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || valueStart + octets > der.length) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[valueStart + i]!;
    valueStart += octets;
  }
  return { tag, valueStart, end: valueStart + length };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function lineRange(first: number, last: number): string {
  return first === last ? `Line ${first}` : `Lines ${first}–${last}`;
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function trimTrailingSpace(text: string): string {
  return text.replace(/[ \t]+$/, '');
}

/** Decodes the block's base64 strictly: a truncated or corrupted block is reported, not half-read. */
function decodeBody(block: PemBlock): { der: Buffer } | { problem: string } {
  for (const line of block.body) {
    if (!base64Line.test(trimTrailingSpace(line.text))) return { problem: `line ${line.number} (${excerpt(line.text)}) is not base64` };
  }
  const base64 = block.body.map((line) => trimTrailingSpace(line.text)).join('');
  if (base64.length === 0) return { problem: 'it has no base64 content' };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return { problem: "its base64 has '=' padding before the end" };
  if (base64.length % 4 !== 0) return { problem: `its base64 is ${base64.length} characters long, not a multiple of 4 (truncated?)` };
  return { der: Buffer.from(base64, 'base64') };
}

interface ParsedCertificate {
  block: PemBlock;
  der: Buffer;
  node: X509Certificate;
  asn: Certificate;
  subject: string;
  issuer: string;
  sha256: string;
  /** Epoch milliseconds. */
  notBefore: number;
  notAfter: number;
  pemBytes: number;
}

function parseCertificate(block: PemBlock, der: Buffer, pemBytes: number): ParsedCertificate | { problem: string } {
  const outer = readTlv(der, 0);
  if (outer === undefined || outer.tag !== 0x30) return { problem: 'its content is not a DER certificate' };
  if (outer.end > der.length) return { problem: `its DER is truncated (${der.length} of ${outer.end} bytes)` };
  if (outer.end < der.length) return { problem: `${der.length - outer.end} bytes follow the certificate's DER` };
  let node: X509Certificate;
  let asn: Certificate;
  try {
    node = new X509Certificate(der);
    asn = AsnConvert.parse(der, Certificate);
  } catch {
    return { problem: 'its DER is not a valid X.509 certificate (corrupt)' };
  }
  let subject: string;
  let issuer: string;
  let sha256: string;
  try {
    const summary = summarizeX509(node, der);
    ({ subject, issuer, sha256 } = summary);
  } catch {
    // summarizeX509 reads the public key; an unsupported key algorithm is a finding, not a parse failure.
    subject = rfc4514FromNodeName(node.subject);
    issuer = rfc4514FromNodeName(node.issuer);
    sha256 = node.fingerprint256.replace(/:/g, '').toLowerCase();
  }
  const notBefore = asn.tbsCertificate.validity.notBefore.getTime().getTime();
  const notAfter = asn.tbsCertificate.validity.notAfter.getTime().getTime();
  return { block, der, node, asn, subject, issuer, sha256, notBefore, notAfter, pemBytes };
}

function describeName(subject: string): string {
  return subject.length > 0 ? subject : '(empty subject)';
}

class FindingList {
  readonly items: TrustStoreFinding[] = [];
  add(severity: TrustStoreFinding['severity'], rule: TrustStoreRule, line: number, message: string, extra: { endLine?: number; subject?: string } = {}): void {
    this.items.push({
      severity,
      rule,
      line,
      ...(extra.endLine !== undefined && extra.endLine !== line ? { endLine: extra.endLine } : {}),
      ...(extra.subject !== undefined ? { subject: extra.subject } : {}),
      message,
    });
  }
}

/** Reads the PSS hash (RFC 4055: hashAlgorithm [0] defaults to SHA-1). */
function pssHashName(parameters: ArrayBuffer | null | undefined): string {
  if (!parameters) return 'SHA-1';
  const bytes = new Uint8Array(parameters);
  const params = readTlv(bytes, 0);
  if (params === undefined || params.tag !== 0x30) return 'unreadable parameters';
  const first = readTlv(bytes, params.valueStart);
  if (first === undefined || params.valueStart >= params.end || first.tag !== 0xa0) return 'SHA-1';
  try {
    const hash = AsnConvert.parse(bytes.subarray(first.valueStart, first.end), AlgorithmIdentifier);
    return hashNames[hash.algorithm] ?? hash.algorithm;
  } catch {
    return 'unreadable parameters';
  }
}

function checkSignature(cert: ParsedCertificate, findings: FindingList): void {
  const { algorithm, parameters } = cert.asn.signatureAlgorithm;
  const where = { subject: cert.subject, endLine: cert.block.end?.number ?? cert.block.begin.number };
  if (acceptedSignatures.has(algorithm)) return;
  if (algorithm === rsassaPss) {
    const hash = pssHashName(parameters);
    if (acceptedPssHashes.has(hash)) return;
    findings.add('error', 'signature-algorithm', cert.block.begin.number, `${describeName(cert.subject)}: signed with RSASSA-PSS over ${hash}; ${signatureRule}. Reissue this CA with SHA-256 or stronger.`, where);
    return;
  }
  const name = signatureNames[algorithm] ?? `signature algorithm ${algorithm}`;
  findings.add('error', 'signature-algorithm', cert.block.begin.number, `${describeName(cert.subject)}: signed with ${name}; ${signatureRule}. Reissue this CA with SHA-256 or stronger.`, where);
}

function checkKey(cert: ParsedCertificate, findings: FindingList): void {
  const where = { subject: cert.subject, endLine: cert.block.end?.number ?? cert.block.begin.number };
  const line = cert.block.begin.number;
  const who = describeName(cert.subject);
  let type: string | undefined;
  let details: AsymmetricKeyDetails | undefined;
  try {
    const key = cert.node.publicKey;
    type = key.asymmetricKeyType;
    details = key.asymmetricKeyDetails;
  } catch {
    const oid = cert.asn.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm;
    findings.add('error', 'key-type', line, `${who}: public key algorithm ${oid} is not supported; ${keyRule}. Replace this CA.`, where);
    return;
  }
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details?.modulusLength;
    if (bits === undefined || bits < minRsaBits || bits > maxRsaBits) {
      findings.add('error', 'key-size', line, `${who}: RSA ${bits ?? 'unknown'}-bit key; ${keyRule}. Replace this CA.`, where);
    }
    return;
  }
  if (type === 'ec') {
    const curve = details?.namedCurve;
    if (curve !== undefined && allowedCurves[curve] !== undefined) return;
    const described = curve === undefined ? 'an EC key with explicit curve parameters' : `an EC key on curve ${curve}`;
    findings.add('error', 'key-type', line, `${who}: ${described}; ${keyRule}. Replace this CA.`, where);
    return;
  }
  findings.add('error', 'key-type', line, `${who}: ${type ?? 'unknown'} public key; ${keyRule}. Replace this CA.`, where);
}

function basicConstraintsOf(cert: ParsedCertificate): BasicConstraints | 'absent' | 'unreadable' {
  const extension = cert.asn.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_basicConstraints);
  if (extension === undefined) return 'absent';
  try {
    return AsnConvert.parse(extension.extnValue, BasicConstraints);
  } catch {
    return 'unreadable';
  }
}

function checkCertificate(cert: ParsedCertificate, findings: FindingList, now: number): void {
  const line = cert.block.begin.number;
  const where = { subject: cert.subject, endLine: cert.block.end?.number ?? line };
  const who = describeName(cert.subject);
  const version = cert.asn.tbsCertificate.version;
  const isV3 = version === 2;
  if (!isV3) {
    findings.add('error', 'not-x509-v3', line, `${who}: an X.509 v${version + 1} certificate; ALB accepts X.509 v3 only. Reissue this CA as v3 with basicConstraints CA:TRUE.`, where);
  }
  checkKey(cert, findings);
  checkSignature(cert, findings);
  if (cert.pemBytes > maxCertificateBytes) {
    findings.add(
      'error',
      'certificate-too-large',
      line,
      `${who}: its PEM block is ${cert.pemBytes.toLocaleString('en-US')} bytes as uploaded (DER ${cert.der.length.toLocaleString('en-US')} bytes); ALB allows 16 KB (16,384 bytes) per CA certificate. Reissue this CA without the bulky extensions.`,
      where,
    );
  }
  // A v1/v2 certificate has no extensions at all: the version finding already says to reissue it as a CA.
  if (isV3) {
    const constraints = basicConstraintsOf(cert);
    if (constraints === 'unreadable') {
      findings.add('error', 'not-a-ca', line, `${who}: its basicConstraints extension cannot be decoded, so it is not a usable CA; ALB trust stores hold CA certificates only. Reissue it with basicConstraints CA:TRUE.`, where);
    } else if (constraints === 'absent' || !constraints.cA) {
      const why = constraints === 'absent' ? 'has no basicConstraints extension' : 'has basicConstraints CA:FALSE';
      findings.add('error', 'not-a-ca', line, `${who}: an end-entity certificate (it ${why}); ALB trust stores hold CA certificates only. Remove it and add the CA that issued it.`, where);
    }
  }
  if (cert.notAfter < now) {
    findings.add('warning', 'expired', line, `${who}: expired on ${new Date(cert.notAfter).toISOString()}; client certificates that chain to it fail verification. Replace it with the renewed CA certificate or remove it.`, where);
  } else if (cert.notBefore > now) {
    findings.add('warning', 'not-yet-valid', line, `${who}: not valid until ${new Date(cert.notBefore).toISOString()}; client certificates that chain to it fail verification until then. Check its notBefore date, or wait until then before relying on it.`, where);
  }
}

/**
 * Longest issuer path (in certificates) from each certificate up to a root or to a CA whose issuer is not
 * in the bundle. Cross-signed loops are cut where they close, so the walk always ends.
 */
function chainDepths(certs: ParsedCertificate[]): Array<{ depth: number; path: ParsedCertificate[] }> {
  const issuers = certs.map((cert) => certs.filter((other) => other !== cert && cert.issuer === other.subject && cert.node.checkIssued(other.node)));
  const memo = new Map<number, ParsedCertificate[]>();
  const onPath = new Set<number>();
  const walk = (index: number): ParsedCertificate[] => {
    const known = memo.get(index);
    if (known !== undefined) return known;
    onPath.add(index);
    let best: ParsedCertificate[] = [];
    for (const issuer of issuers[index] ?? []) {
      const issuerIndex = certs.indexOf(issuer);
      if (onPath.has(issuerIndex)) continue;
      const path = walk(issuerIndex);
      if (path.length > best.length) best = path;
    }
    onPath.delete(index);
    const result = [certs[index]!, ...best];
    memo.set(index, result);
    return result;
  };
  return certs.map((_, index) => {
    const path = walk(index);
    return { depth: path.length, path };
  });
}

function readBlocks(lines: Line[], findings: FindingList): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: PemBlock | undefined;
  // Consecutive blank or stray lines make one finding, so a pasted paragraph is one error, not twenty.
  let run: { kind: 'blank' | 'stray'; first: Line; last: Line } | undefined;
  const flushRun = (): void => {
    if (run === undefined) return;
    const { kind, first, last } = run;
    if (kind === 'blank') {
      findings.add('error', 'blank-line', first.number, `${lineRange(first.number, last.number)} ${first === last ? 'is' : 'are'} blank; ALB rejects blank lines in a trust-store bundle. Delete ${first === last ? 'it' : 'them'}.`, { endLine: last.number });
    } else {
      const what = endLine.test(trimTrailingSpace(first.text)) ? `${excerpt(first.text)} is an END line without a BEGIN line` : `${excerpt(first.text)}${first === last ? '' : ' …'} is neither a # comment nor part of a PEM CERTIFICATE block`;
      findings.add('error', 'not-pem', first.number, `${lineRange(first.number, last.number)}: ${what}; ALB accepts only CERTIFICATE blocks and # comment lines. Delete it or make it a # comment without '-'.`, { endLine: last.number });
    }
    run = undefined;
  };
  const extendRun = (kind: 'blank' | 'stray', line: Line): void => {
    if (run !== undefined && run.kind === kind && run.last.number === line.number - 1) run.last = line;
    else {
      flushRun();
      run = { kind, first: line, last: line };
    }
  };

  for (const line of lines) {
    const text = trimTrailingSpace(line.text);
    if (text.length === 0) {
      extendRun('blank', line);
      continue;
    }
    const begin = beginLine.exec(text);
    if (open !== undefined) {
      const end = endLine.exec(text);
      if (end) {
        flushRun();
        open.end = line;
        open.endLabel = end[1];
        blocks.push(open);
        open = undefined;
      } else if (begin) {
        flushRun();
        blocks.push(open);
        open = { label: begin[1]!, begin: line, end: undefined, endLabel: undefined, body: [] };
      } else {
        flushRun();
        open.body.push(line);
      }
      continue;
    }
    if (begin) {
      flushRun();
      open = { label: begin[1]!, begin: line, end: undefined, endLabel: undefined, body: [] };
      continue;
    }
    if (text.startsWith('#')) {
      flushRun();
      if (text.includes('-')) {
        findings.add('error', 'comment-with-dash', line.number, `Line ${line.number}: the comment ${excerpt(line.text)} contains '-'; ALB rejects comments with '-' (they look like PEM boundaries). Remove the '-' characters.`);
      }
      continue;
    }
    extendRun('stray', line);
  }
  flushRun();
  if (open !== undefined) blocks.push(open);
  return blocks;
}

function blockBytes(text: string, block: PemBlock): number {
  const last = block.end ?? block.body.at(-1) ?? block.begin;
  return Buffer.byteLength(text.slice(block.begin.start, last.end), 'utf8');
}

function lastLineOf(block: PemBlock): number {
  return (block.end ?? block.body.at(-1) ?? block.begin).number;
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
  const lines = splitLines(body);
  const blocks = readBlocks(lines, findings);

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
      findings.add('warning', 'duplicate', block.begin.number, `${describeName(cert.subject)}: the same certificate as the one at line ${first.block.begin.number}; ALB stores it once and the copy counts against the ${maxTrustStoreCertificates}-certificate quota. Delete this copy.`, { subject: cert.subject, endLine: last });
      continue;
    }
    firstBySha.set(cert.sha256, cert);
    parsed.push(cert);
    checkCertificate(cert, findings, now);
  }

  if (certificateBlocks.length === 0) {
    findings.add('error', 'no-certificates', 1, 'The bundle holds no PEM CERTIFICATE block; an ALB trust store needs at least one CA certificate. Add the CA certificates that issue your client certificates.');
  } else if (certificateBlocks.length > maxTrustStoreCertificates) {
    const firstOver = certificateBlocks[maxTrustStoreCertificates]!;
    const lastBlock = certificateBlocks.at(-1)!;
    const subject = parsedByBlock.get(firstOver)?.subject;
    const extra = certificateBlocks.length - maxTrustStoreCertificates;
    findings.add(
      'error',
      'too-many-certificates',
      firstOver.begin.number,
      `The bundle holds ${certificateBlocks.length} certificates and ALB allows ${maxTrustStoreCertificates} per trust store; certificate ${maxTrustStoreCertificates + 1}${subject !== undefined ? ` (${describeName(subject)})` : ''} starts here. Remove ${plural(extra, 'certificate')} or split the bundle across trust stores.`,
      { endLine: lastLineOf(lastBlock), ...(subject !== undefined ? { subject } : {}) },
    );
  }

  for (const { depth, path } of chainDepths(parsed)) {
    if (depth <= maxChainDepth) continue;
    const cert = path[0]!;
    findings.add(
      'error',
      'chain-too-deep',
      cert.block.begin.number,
      `${describeName(cert.subject)}: ${depth} certificates deep in this bundle (${path.map((c) => describeName(c.subject)).join(' → ')}); ALB allows a chain depth of ${maxChainDepth}. Remove the CAs below depth ${maxChainDepth} or issue clients from a shallower CA.`,
      { subject: cert.subject, endLine: cert.block.end?.number ?? cert.block.begin.number },
    );
  }

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
    if (info.isDirectory()) throw new TrustStoreFileError(path, `${path} is a directory. Give the path of the PEM CA bundle file.`);
    if (info.size > maxTrustStoreFileBytes) {
      throw new TrustStoreFileError(path, `${path} is ${(info.size / 1024 / 1024).toFixed(1)} MB; a trust-store bundle of at most ${maxTrustStoreCertificates} CA certificates is a few hundred KB at most, and this tool reads up to 50 MB. Check that this is the right file.`);
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
        if (total > maxTrustStoreFileBytes) throw new TrustStoreFileError(path, `${path} is larger than 50 MB; a trust-store bundle is a few hundred KB at most. Check that this is the right file.`);
        chunks.push(chunk.subarray(0, bytesRead));
      }
      bytes = Buffer.concat(chunks, total);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof TrustStoreFileError) throw error;
    throw new TrustStoreFileError(path, describeFsError(path, error));
  }
  if (looksBinary(bytes)) {
    throw new TrustStoreFileError(path, `${path} is a binary file (DER?), not a PEM bundle; ALB trust stores take PEM text. Convert a DER certificate with: openssl x509 -inform der -in ${path} -out ca.pem`);
  }
  return lintTrustStore(bytes.toString('utf8'), path, options);
}
