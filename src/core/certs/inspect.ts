import { createHash, createPublicKey, type X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, BasicConstraints, CRLDistributionPoints, CertificateList, KeyUsage, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { signatureAlgorithmNames } from './algorithm-names';
import { summarizeX509, type CertificateSummary } from './certificate-summary';
import { parsedCertificate, type CryptoFileContents } from './crypto-file';
import { describeKey, publicKeySha256 } from './key-facts';
import { decodeOid, derChildren, readDerElement, type DerElement } from '../formats/der';
import { formatDistinguishedName } from './distinguished-name';
import { BoundedCache } from '../bounded-cache';

// Everything `openssl x509 -text` would tell about a certificate, as data. node:crypto answers most of it
// natively (names, SANs, validity, EKU, key, CA flag, signatures); the few extensions it does not expose
// (key usage, path length, key identifiers, CRL distribution points) are found by walking the DER to the
// extensions and decoding only those values with @peculiar/asn1-x509, which is ~20× cheaper than a full parse.

export interface CertificateDetails extends CertificateSummary {
  version: number;
  signatureAlgorithm: string;
  keyType: string;
  keySize?: number;
  curve?: string;
  keyUsage: string[];
  /** Names like 'clientAuth', 'serverAuth', or the OID when it has no well-known name. */
  extendedKeyUsage: string[];
  /** Usable as a TLS client certificate by its key usages (the check OpenSSL, nginx, HAProxy and ALB apply). */
  clientAuth: boolean;
  basicConstraints: { ca: boolean; pathLength?: number } | null;
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
  crlDistributionPoints: string[];
  sha1: string;
  /** The signature verifies with the certificate's own public key (RFC 5280: a self-issued certificate that signs itself). */
  selfSigned: boolean;
  validity: { state: 'valid' | 'expired' | 'not-yet-valid'; relative: string };
}

export interface ChainReport {
  /** Leaf first, then each issuer as far as found (a trust anchor's certificate included when it was reached). */
  chain: CertificateDetails[];
  /** The chain reaches a trust anchor (without anchors: a self-signed root) and every link holds. */
  complete: boolean;
  /** `at` is the index in `chain` of the certificate the problem is about. */
  breaks: Array<{ at: number; problem: string }>;
  /** Index in `chain` of the trust anchor the chain reached (anchors given only). */
  anchorAt?: number;
  /**
   * Without anchors: the chain stops at `chain[at]`, whose issuer is not among the certificates given. That is how a
   * client sends its chain (the server holds the root), so it is not a break; anchors are needed to say more.
   */
  endsBelowRoot?: { at: number; subject: string; issuer: string };
}

export interface ChainOptions {
  now?: Date;
  /** DER certificates to trust: the chain must reach one of them to be complete. */
  anchors?: Uint8Array[];
}

export interface FileInspection {
  file: string;
  certificates: CertificateDetails[];
  chain: ChainReport | null;
  keys: CryptoFileContents['privateKeys'];
  csrs: Array<{ subject: string; keyType: string }>;
  crls: Array<{ issuer: string; thisUpdate: string; nextUpdate?: string; revoked: number }>;
  problems: CryptoFileContents['problems'];
}

const extendedKeyUsageNames: Record<string, string> = {
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.5.5.7.3.17': 'ipsecIKE',
  '1.3.6.1.4.1.311.20.2.2': 'msSmartcardLogin',
  '1.3.6.1.4.1.311.10.3.12': 'msDocumentSigning',
};

// RFC 5280 bit order (asn1-x509 lists them in its own order); cRLSign spelled as RFC 5280 does.
const keyUsageOrder = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];


interface RawCertificateFields {
  version: number;
  signatureAlgorithmOid: string;
  extensions: Map<string, Uint8Array>;
}

/** Version, signature algorithm and the extension values, from the DER (node:crypto has parsed it already, so it is well-formed). */
function rawFields(der: Uint8Array): RawCertificateFields {
  const fields: RawCertificateFields = { version: 1, signatureAlgorithmOid: '', extensions: new Map() };
  const certificate = readDerElement(der, 0);
  const parts = certificate ? derChildren(der, certificate) : null;
  const tbs = parts?.[0];
  const algorithm = parts?.[1];
  if (algorithm) {
    const oid = readDerElement(der, algorithm.valueStart, algorithm.end);
    if (oid?.tag === 0x06) fields.signatureAlgorithmOid = decodeOid(der.subarray(oid.valueStart, oid.end));
  }
  const tbsFields = tbs ? derChildren(der, tbs) : null;
  if (!tbsFields) return fields;
  for (const field of tbsFields) {
    if (field.tag === 0xa0) {
      const version = readDerElement(der, field.valueStart, field.end);
      if (version?.tag === 0x02 && version.end - version.valueStart === 1) fields.version = der[version.valueStart]! + 1;
    } else if (field.tag === 0xa3) {
      const list = readDerElement(der, field.valueStart, field.end);
      for (const extension of (list ? derChildren(der, list) : null) ?? []) {
        const items = derChildren(der, extension) ?? [];
        const oid = items[0];
        const value = items[items.length - 1];
        if (oid?.tag === 0x06 && value?.tag === 0x04) fields.extensions.set(decodeOid(der.subarray(oid.valueStart, oid.end)), der.subarray(value.valueStart, value.end));
      }
    }
  }
  return fields;
}

function parseExtension<T>(value: Uint8Array | undefined, schema: new () => T): T | undefined {
  if (value === undefined) return undefined;
  try {
    return AsnConvert.parse(value, schema);
  } catch {
    // A malformed extension is reported as absent rather than failing the whole inspection.
    return undefined;
  }
}

const hex = (bytes: ArrayBuffer | Uint8Array): string => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');

interface CachedCertificate {
  x509: X509Certificate;
  details: Omit<CertificateDetails, 'validity'>;
  notBefore: number;
  notAfter: number;
}

// The editor hover re-inspects the same bundles on every move: details that do not depend on the clock are
// cached by the SHA-256 of the DER (hashing costs ~2 µs, inspecting ~0.3 ms), like certificate-summary.ts does.
const detailsCache = new BoundedCache<string, CachedCertificate>(512);

function describeUncached(der: Uint8Array, sha256: string): CachedCertificate {
  const x509 = parsedCertificate(der, sha256);
  const summary = summarizeX509(x509, der);
  const raw = rawFields(der);
  const key = describeKey(x509.publicKey);
  const ekuOids = x509.keyUsage ?? [];
  const extendedKeyUsage = ekuOids.map((oid) => extendedKeyUsageNames[oid] ?? oid);
  const keyUsageValue = parseExtension(raw.extensions.get('2.5.29.15'), KeyUsage);
  const keyUsageSet = new Set<string>((keyUsageValue?.toJSON() ?? []).map((name) => (name === 'crlSign' ? 'cRLSign' : name)));
  const keyUsage = keyUsageOrder.filter((name) => keyUsageSet.has(name));
  const basic = parseExtension(raw.extensions.get('2.5.29.19'), BasicConstraints);
  const ski = parseExtension(raw.extensions.get('2.5.29.14'), SubjectKeyIdentifier);
  const aki = parseExtension(raw.extensions.get('2.5.29.35'), AuthorityKeyIdentifier);
  const crlDistributionPoints: string[] = [];
  for (const point of parseExtension(raw.extensions.get('2.5.29.31'), CRLDistributionPoints) ?? []) {
    for (const name of point.distributionPoint?.fullName ?? []) {
      if (name.uniformResourceIdentifier !== undefined) crlDistributionPoints.push(name.uniformResourceIdentifier);
      else if (name.directoryName !== undefined) {
        try {
          crlDistributionPoints.push(`DirName:${formatDistinguishedName(new Uint8Array(AsnConvert.serialize(name.directoryName)))}`);
        } catch {
          // an undecodable directory name is left out, like any malformed extension
        }
      }
    }
  }
  // OpenSSL's ssl_client purpose: an EKU, when present, must allow clientAuth; a key usage, when present,
  // must allow signing (the CertificateVerify) or key agreement. No EKU at all means any purpose.
  const clientAuth =
    (ekuOids.length === 0 || ekuOids.includes('1.3.6.1.5.5.7.3.2')) &&
    (keyUsage.length === 0 || keyUsage.includes('digitalSignature') || keyUsage.includes('keyAgreement'));
  let selfSigned = false;
  if (summary.selfIssued) {
    try {
      selfSigned = x509.verify(x509.publicKey);
    } catch {
      selfSigned = false;
    }
  }
  const details: Omit<CertificateDetails, 'validity'> = {
    ...summary,
    version: raw.version,
    signatureAlgorithm: signatureAlgorithmNames[raw.signatureAlgorithmOid] ?? raw.signatureAlgorithmOid,
    keyType: key.type,
    ...(key.size !== undefined ? { keySize: key.size } : {}),
    ...(key.curve !== undefined ? { curve: key.curve } : {}),
    keyUsage,
    extendedKeyUsage,
    clientAuth,
    basicConstraints: basic ? { ca: basic.cA, ...(basic.pathLenConstraint !== undefined ? { pathLength: basic.pathLenConstraint } : {}) } : null,
    ...(ski ? { subjectKeyIdentifier: hex(ski.buffer) } : {}),
    ...(aki?.keyIdentifier ? { authorityKeyIdentifier: hex(aki.keyIdentifier.buffer) } : {}),
    crlDistributionPoints,
    sha1: createHash('sha1').update(der).digest('hex'),
    selfSigned,
  };
  return { x509, details, notBefore: Date.parse(summary.notBefore), notAfter: Date.parse(summary.notAfter) };
}

function cachedCertificate(der: Uint8Array): CachedCertificate {
  const sha256 = createHash('sha256').update(der).digest('hex');
  return detailsCache.getOrCreate(sha256, () => describeUncached(der, sha256));
}

function span(ms: number): string {
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return plural(seconds, 'second');
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(ms / 3_600_000);
  if (hours < 48) return plural(hours, 'hour');
  const days = Math.round(ms / 86_400_000);
  if (days < 730) return plural(days, 'day');
  return plural(Math.round(ms / (365.25 * 86_400_000)), 'year');
}

/** Validity state and its wording: 'expired 3 days ago', 'expires in 12 days', 'not yet valid (starts in 2 days)'. */
export function describeValidity(notBefore: number, notAfter: number, now: Date): CertificateDetails['validity'] {
  const t = now.getTime();
  if (t > notAfter) return { state: 'expired', relative: `expired ${span(t - notAfter)} ago` };
  if (t < notBefore) return { state: 'not-yet-valid', relative: `not yet valid (starts in ${span(notBefore - t)})` };
  return { state: 'valid', relative: `expires in ${span(notAfter - t)}` };
}

function withValidity(entry: CachedCertificate, now: Date): CertificateDetails {
  // A copy, so callers can change what they get without touching the cache.
  return { ...structuredClone(entry.details), validity: describeValidity(entry.notBefore, entry.notAfter, now) };
}

/** Everything about one DER certificate. Throws node:crypto's error when `der` is not a certificate (parseCryptoText has checked already). */
export function inspectCertificate(der: Uint8Array, now: Date = new Date()): CertificateDetails {
  return withValidity(cachedCertificate(der), now);
}

// Verifying a signature costs ~0.1 ms; the same links are checked on every hover.
const signatureCache = new BoundedCache<string, boolean>(4096);

function signedBy(child: CachedCertificate, issuer: CachedCertificate): boolean {
  return signatureCache.getOrCreate(`${child.details.sha256}:${issuer.details.sha256}`, () => {
    try {
      return child.x509.verify(issuer.x509.publicKey);
    } catch {
      return false;
    }
  });
}

// Exporting a key costs ~0.1 ms, and the chain walk compares the same certificates' keys again and again.
const spkiCache = new WeakMap<CachedCertificate, string>();

function spkiOf(entry: CachedCertificate): string {
  let spki = spkiCache.get(entry);
  if (spki === undefined) {
    spki = entry.x509.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    spkiCache.set(entry, spki);
  }
  return spki;
}

/** How the walk up from the leaf stopped: at an anchor, at a root, or where no issuer was found. */
type ChainEnd = Pick<ChainReport, 'anchorAt' | 'endsBelowRoot'> & { complete: boolean };

function endOfChain(current: CachedCertificate, at: number, anchors: CachedCertificate[], breaks: ChainReport['breaks']): ChainEnd | 'continue' {
  // An anchor is trusted by its name and key, as OpenSSL does: a re-issued copy of a root is the same anchor.
  if (anchors.some((a) => a.details.sha256 === current.details.sha256 || (a.details.subject === current.details.subject && spkiOf(a) === spkiOf(current)))) {
    return { complete: breaks.length === 0, anchorAt: at };
  }
  if (!current.details.selfSigned) return 'continue';
  if (anchors.length > 0) breaks.push({ at, problem: `the root ${current.details.subject} is not one of the trust anchors given` });
  return { complete: anchors.length === 0 && breaks.length === 0 };
}

/** Dispatches the old positional `now` and the options object alike, so earlier callers keep working. */
function chainOptions(options: Date | ChainOptions): Required<ChainOptions> {
  return options instanceof Date ? { now: options, anchors: [] } : { now: options.now ?? new Date(), anchors: options.anchors ?? [] };
}

/**
 * Bounds on the walk up a chain, far beyond any real one (OpenSSL's default verify depth is 100; renewed CAs sharing a
 * name are a handful): a hostile bundle of thousands of look-alike CAs would otherwise cost a signature check per
 * pair of them (minutes for 1 MB).
 */
export const maxChainLength = 100;
const maxIssuerSignatureChecks = 16;

/**
 * Orders certificates from `leaf` up to a trust anchor or a self-signed root, choosing each issuer by name (and key
 * identifier, when several share a name) and checking its signature, CA flag, keyCertSign and path length.
 */
export function buildChain(leaf: Uint8Array, pool: Uint8Array[], options: Date | ChainOptions = {}): ChainReport {
  const { now, anchors: anchorDers } = chainOptions(options);
  const start = cachedCertificate(leaf);
  const anchors = anchorDers.map((der) => cachedCertificate(der));
  const candidates = new Map<string, CachedCertificate>();
  for (const entry of [...pool.map((der) => cachedCertificate(der)), ...anchors]) {
    if (entry.details.sha256 !== start.details.sha256) candidates.set(entry.details.sha256, entry);
  }
  // By subject, in the order given: each step looks at the certificates named as its issuer only.
  const bySubject = new Map<string, CachedCertificate[]>();
  for (const entry of candidates.values()) {
    const same = bySubject.get(entry.details.subject);
    if (same === undefined) bySubject.set(entry.details.subject, [entry]);
    else same.push(entry);
  }
  const chain = [start];
  const breaks: ChainReport['breaks'] = [];
  let end: ChainEnd = { complete: false };
  for (let current = start; ; ) {
    const at = chain.length - 1;
    const ended = endOfChain(current, at, anchors, breaks);
    if (ended !== 'continue') {
      end = ended;
      break;
    }
    if (chain.length >= maxChainLength) {
      breaks.push({ at, problem: `the chain is longer than ${maxChainLength} certificates: the walk stopped at ${current.details.subject}` });
      break;
    }
    const named = (bySubject.get(current.details.issuer) ?? []).filter((c) => !chain.includes(c));
    if (named.length === 0) {
      // A self-issued certificate that does not verify with its own key is a damaged root, not a missing issuer
      // (a CA key roll-over certificate is also self-issued, but then the other key's certificate is in the pool).
      if (current.details.selfIssued) {
        breaks.push({ at, problem: `signature does not verify: ${current.details.subject} names itself as issuer but is not signed by its own key` });
      } else if (anchors.length > 0) {
        breaks.push({ at, problem: `issuer ${current.details.issuer} not found, neither in the file nor among the trust anchors` });
      } else {
        end = { complete: false, endsBelowRoot: { at, subject: current.details.subject, issuer: current.details.issuer } };
      }
      break;
    }
    // Renewed or cross-signed CAs share a name: the one whose key identifier matches is tried first.
    const aki = current.details.authorityKeyIdentifier;
    named.sort((a, b) => Number(b.details.subjectKeyIdentifier === aki) - Number(a.details.subjectKeyIdentifier === aki));
    // A signature verifies with a key, whichever certificate carries it: each key is tried once.
    const triedKeys = new Set<string>();
    const verified = named.slice(0, maxIssuerSignatureChecks).find((c) => {
      const key = spkiOf(c);
      if (triedKeys.has(key)) return false;
      triedKeys.add(key);
      return signedBy(current, c);
    });
    const issuer = verified ?? named[0]!;
    if (verified === undefined) {
      breaks.push({ at, problem: `signature does not verify: ${current.details.subject} is not signed by the key of ${issuer.details.subject}` });
    }
    chain.push(issuer);
    const issuerAt = chain.length - 1;
    const issuerName = issuer.details.subject;
    if (!issuer.details.basicConstraints?.ca) {
      breaks.push({ at: issuerAt, problem: `CA flag missing on ${issuerName}: its basic constraints do not allow it to issue certificates` });
    }
    if (issuer.details.keyUsage.length > 0 && !issuer.details.keyUsage.includes('keyCertSign')) {
      breaks.push({ at: issuerAt, problem: `keyCertSign missing from the key usage of ${issuerName}` });
    }
    const pathLength = issuer.details.basicConstraints?.pathLength;
    // RFC 5280 6.1.4: the CA certificates below an issuer, not counting self-issued ones, may not exceed its pathLenConstraint.
    const casBelow = chain.slice(1, issuerAt).filter((c) => !c.details.selfIssued).length;
    if (pathLength !== undefined && casBelow > pathLength) {
      breaks.push({ at: issuerAt, problem: `path length constraint of ${issuerName} (${pathLength}) exceeded: ${casBelow} CA certificates below it` });
    }
    current = issuer;
  }
  return { chain: chain.map((entry) => withValidity(entry, now)), breaks, ...end };
}

/** The certificate a bundle is about: one that issued none of the others, preferably the one a key in the file belongs to. */
function chooseLeaf(entries: CachedCertificate[], keySha256s: Set<string>): CachedCertificate {
  // The names that issued a certificate other than themselves (one pass: comparing every pair is quadratic).
  const issuerNames = new Set(entries.filter((d) => !d.details.selfIssued).map((d) => d.details.issuer));
  const issuesAnother = (c: CachedCertificate): boolean => issuerNames.has(c.details.subject);
  const leaves = entries.filter((c) => !issuesAnother(c));
  const pool = leaves.length > 0 ? leaves : entries;
  return (keySha256s.size > 0 ? pool.find((c) => keySha256s.has(publicKeySha256(c.x509.publicKey))) : undefined) ?? pool.find((c) => !c.details.isCA) ?? pool[0]!;
}

function nameAt(der: Uint8Array, element: DerElement | undefined): string {
  return element?.tag === 0x30 ? formatDistinguishedName(der.subarray(element.start, element.end)) : '';
}

function describeCsr(der: Uint8Array): { subject: string; keyType: string } {
  const request = readDerElement(der, 0);
  const info = request ? derChildren(der, request)?.[0] : undefined;
  const fields = info ? derChildren(der, info) : null;
  const subject = nameAt(der, fields?.[1]);
  const spki = fields?.[2];
  const keyType = spki ? describeKey(createPublicKey({ key: Buffer.from(der.subarray(spki.start, spki.end)), format: 'der', type: 'spki' })).label : 'unknown';
  return { subject, keyType };
}

function describeCrl(der: Uint8Array): { issuer: string; thisUpdate: string; nextUpdate?: string; revoked: number } {
  const list = AsnConvert.parse(der, CertificateList);
  // The issuer is read from the DER itself (not re-encoded) so its string types print as they are.
  const outer = readDerElement(der, 0);
  const tbs = outer ? derChildren(der, outer)?.[0] : undefined;
  const fields = tbs ? (derChildren(der, tbs) ?? []) : [];
  const issuer = nameAt(der, fields[0]?.tag === 0x02 ? fields[2] : fields[1]);
  const next = list.tbsCertList.nextUpdate?.getTime();
  return {
    issuer,
    thisUpdate: list.tbsCertList.thisUpdate.getTime().toISOString(),
    ...(next !== undefined ? { nextUpdate: next.toISOString() } : {}),
    revoked: list.tbsCertList.revokedCertificates?.length ?? 0,
  };
}

/**
 * Everything about a file read by parseCryptoText: each certificate, the chain of the bundle (verified up to
 * `anchors` when given), keys, CSRs, CRLs and problems. A Date as second argument is the old `now` parameter.
 */
export function inspectFile(contents: CryptoFileContents, options: Date | ChainOptions = {}): FileInspection {
  const { now, anchors } = chainOptions(options);
  const problems = [...contents.problems];
  const entries = contents.certificates.map((c) => cachedCertificate(c.der));
  const certificates = entries.map((entry) => withValidity(entry, now));
  let chain: ChainReport | null = null;
  if (entries.length > 0) {
    const keys = new Set(contents.privateKeys.flatMap((k) => (k.publicKeySha256 ? [k.publicKeySha256] : [])));
    const leaf = chooseLeaf(entries, keys);
    chain = buildChain(leaf.x509.raw, contents.certificates.map((c) => c.der), { now, anchors });
  }
  const csrs: FileInspection['csrs'] = [];
  for (const csr of contents.csrs) {
    try {
      csrs.push(describeCsr(csr.der));
    } catch {
      problems.push({ line: csr.line, message: `The certificate request at ${contents.file}${csr.line ? ` line ${csr.line}` : ''} could not be decoded.` });
    }
  }
  const crls: FileInspection['crls'] = [];
  for (const crl of contents.crls) {
    try {
      crls.push(describeCrl(crl.der));
    } catch {
      problems.push({ line: crl.line, message: `The CRL at ${contents.file}${crl.line ? ` line ${crl.line}` : ''} could not be decoded.` });
    }
  }
  return { file: contents.file, certificates, chain, keys: contents.privateKeys.map((k) => ({ ...k })), csrs, crls, problems };
}
