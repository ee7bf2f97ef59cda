import { X509Certificate, type AsymmetricKeyDetails } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, BasicConstraints, Certificate, id_ce_basicConstraints } from '@peculiar/asn1-x509';
import { declaredDerElement } from '../formats/der';
import type { PemBlock } from '../formats/pem';
import {
  albEcCurves,
  albKeyRule,
  albMaxCertificateBytes,
  albPssHashes,
  albRsaKeyBits,
  albSignatureAlgorithms,
  albSignatureRule,
  rsassaPssOid,
} from './alb-trust-store-rules';
import { hashAlgorithmNames, signatureAlgorithmNames } from './algorithm-names';
import { summarizeX509 } from './certificate-summary';
import { rfc4514FromNodeName } from './distinguished-name';

// The trust-store lint's rules for each CA certificate of a bundle (version, key, signature, size, CA flag,
// validity) and for the issuer paths between them; truststore-lint.ts reads the bundle and words the whole.

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

export interface ParsedCertificate {
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

export function parseCertificate(block: PemBlock, der: Buffer, pemBytes: number): ParsedCertificate | { problem: string } {
  const outer = declaredDerElement(der);
  if (outer === null || outer.tag !== 0x30) return { problem: 'its content is not a DER certificate' };
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

export function describeName(subject: string): string {
  return subject.length > 0 ? subject : '(empty subject)';
}

export class FindingList {
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
  const params = declaredDerElement(bytes);
  if (params === null || params.tag !== 0x30) return 'unreadable parameters';
  const first = declaredDerElement(bytes, params.valueStart);
  if (first === null || params.valueStart >= params.end || first.tag !== 0xa0) return 'SHA-1';
  try {
    const hash = AsnConvert.parse(bytes.subarray(first.valueStart, first.end), AlgorithmIdentifier);
    return hashAlgorithmNames[hash.algorithm] ?? hash.algorithm;
  } catch {
    return 'unreadable parameters';
  }
}

function checkSignature(cert: ParsedCertificate, findings: FindingList): void {
  const { algorithm, parameters } = cert.asn.signatureAlgorithm;
  const where = { subject: cert.subject, endLine: cert.block.end?.number ?? cert.block.begin.number };
  if (albSignatureAlgorithms.has(algorithm)) return;
  if (algorithm === rsassaPssOid) {
    const hash = pssHashName(parameters);
    if (albPssHashes.has(hash)) return;
    findings.add('error', 'signature-algorithm', cert.block.begin.number, `${describeName(cert.subject)}: signed with RSASSA-PSS over ${hash}; ${albSignatureRule}. Reissue this CA with SHA-256 or stronger.`, where);
    return;
  }
  const name = signatureAlgorithmNames[algorithm] ?? `signature algorithm ${algorithm}`;
  findings.add('error', 'signature-algorithm', cert.block.begin.number, `${describeName(cert.subject)}: signed with ${name}; ${albSignatureRule}. Reissue this CA with SHA-256 or stronger.`, where);
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
    findings.add('error', 'key-type', line, `${who}: public key algorithm ${oid} is not supported; ${albKeyRule}. Replace this CA.`, where);
    return;
  }
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details?.modulusLength;
    if (bits === undefined || bits < albRsaKeyBits.min || bits > albRsaKeyBits.max) {
      findings.add('error', 'key-size', line, `${who}: RSA ${bits ?? 'unknown'}-bit key; ${albKeyRule}. Replace this CA.`, where);
    }
    return;
  }
  if (type === 'ec') {
    const curve = details?.namedCurve;
    if (curve !== undefined && albEcCurves.has(curve)) return;
    const described = curve === undefined ? 'an EC key with explicit curve parameters' : `an EC key on curve ${curve}`;
    findings.add('error', 'key-type', line, `${who}: ${described}; ${albKeyRule}. Replace this CA.`, where);
    return;
  }
  findings.add('error', 'key-type', line, `${who}: ${type ?? 'unknown'} public key; ${albKeyRule}. Replace this CA.`, where);
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

export function checkCertificate(cert: ParsedCertificate, findings: FindingList, now: number): void {
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
  if (cert.pemBytes > albMaxCertificateBytes) {
    findings.add(
      'error',
      'certificate-too-large',
      line,
      `${who}: its PEM block is ${cert.pemBytes.toLocaleString('en-US')} bytes as uploaded (DER ${cert.der.length.toLocaleString('en-US')} bytes); ALB allows ${albMaxCertificateBytes / 1024} KB (${albMaxCertificateBytes.toLocaleString('en-US')} bytes) per CA certificate. Reissue this CA without the bulky extensions.`,
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
 * Bounds on the walk, far beyond any real bundle (ALB takes 25 certificates, 4 deep): the issuers looked at per
 * certificate (those of its issuer's name, in bundle order) and the longest path followed. A hostile bundle of thousands
 * of look-alike CAs would otherwise cost a check per pair of them and recurse as deep as the bundle is long.
 */
const maxIssuerCandidates = 64;
const maxPathLength = 64;

/**
 * Longest issuer path (in certificates) from each certificate up to a root or to a CA whose issuer is not
 * in the bundle. Cross-signed loops are cut where they close, so the walk always ends.
 */
export function chainDepths(certs: ParsedCertificate[]): Array<{ depth: number; path: ParsedCertificate[] }> {
  const bySubject = new Map<string, number[]>();
  certs.forEach((cert, index) => {
    const same = bySubject.get(cert.subject);
    if (same === undefined) bySubject.set(cert.subject, [index]);
    else same.push(index);
  });
  const issuers = certs.map((cert, index) =>
    (bySubject.get(cert.issuer) ?? []).slice(0, maxIssuerCandidates).filter((other) => other !== index && cert.node.checkIssued(certs[other]!.node)),
  );
  const memo = new Map<number, ParsedCertificate[]>();
  const onPath = new Set<number>();
  const walk = (index: number): ParsedCertificate[] => {
    const known = memo.get(index);
    if (known !== undefined) return known;
    onPath.add(index);
    let best: ParsedCertificate[] = [];
    if (onPath.size < maxPathLength) {
      for (const issuerIndex of issuers[index] ?? []) {
        if (onPath.has(issuerIndex)) continue;
        const path = walk(issuerIndex);
        if (path.length > best.length) best = path;
      }
    }
    onPath.delete(index);
    // Cut at the bound: paths reused from the memo would otherwise grow one certificate per certificate of a long chain.
    const result = [certs[index]!, ...best.slice(0, maxPathLength - 1)];
    memo.set(index, result);
    return result;
  };
  return certs.map((_, index) => {
    const path = walk(index);
    return { depth: path.length, path };
  });
}

/** ALB's rules for the lines between the certificate blocks: no blank line anywhere, only # comments without '-'. */
