import { findCertificateFiles, mapLimited, maxCertificateFileBytes, readConcurrency } from './certificate-files';
import { CryptoFileError, parsedCertificate, readCryptoFile, type CryptoFileContents } from './crypto-file';
import { publicKeySha256 } from './key-facts';
import { inspectCertificate, type CertificateDetails } from './inspect';

// Finds which certificate goes with which private key in a folder (a repo's certs/, a Kubernetes secret
// mount, a download folder), by public key only: file names lie ("client.key" next to last year's "client.crt").

/** One certificate with its private key, however many files hold copies of either. */
export interface IdentityPair {
  /** The file to use: one that also holds the key, else for a leaf the one with its chain (what a client sends), for a CA its own file. */
  cert: string;
  /** The file holding the key: `cert` itself when it does, else an unencrypted copy first. */
  key: string;
  /** Every file the certificate is in, `cert` first. */
  certFiles: string[];
  /** Every file the key is in, `key` first. */
  keyFiles: string[];
  subject: string;
  /** SHA-256 fingerprint of the certificate. */
  sha256: string;
  notAfter: string;
  expired: boolean;
  clientAuth: boolean;
  keyEncrypted: boolean;
}

export interface IdentityPairSearch {
  /** End-entity certificates with their keys: client identities, or identities that cannot be one (see `warnings`). */
  pairs: IdentityPair[];
  /** CA certificates with their signing keys: a CA, not a client identity, whatever files it is bundled into. */
  caPairs: IdentityPair[];
  /** Files with a private key that no certificate in the folder belongs to. */
  unmatchedKeys: string[];
  /** Files with an end-entity (non-CA) certificate whose key is not in the folder; CA certificates are expected to come without keys. */
  unmatchedCertificates: string[];
  /** Files with encrypted keys (or passphrase-protected PKCS#12) that could not be opened without a passphrase. */
  encryptedKeysNotChecked: string[];
  /** Pairs that will not work as a client identity (no clientAuth, expired, not yet valid), damaged blocks in files. */
  warnings: string[];
  skipped: Array<{ file: string; reason: string }>;
}

export interface IdentityPairOptions {
  /** Stop after this many candidate files (default 5000). */
  maxFiles?: number;
  /** How many folder levels below `dir` to search (default 8). */
  maxDepth?: number;
  /** Opens encrypted keys and PKCS#12 files that use it. */
  passphrase?: string;
  now?: Date;
}

function unusableReason(details: CertificateDetails): string {
  if (details.extendedKeyUsage.length > 0 && !details.extendedKeyUsage.includes('clientAuth')) {
    return `its extended key usage (${details.extendedKeyUsage.join(', ')}) lacks clientAuth`;
  }
  return `its key usage (${details.keyUsage.join(', ')}) allows neither digitalSignature nor keyAgreement`;
}

interface CertificateCopy {
  file: string;
  details: CertificateDetails;
  spki: string;
  /** How many certificates the file holds: a leaf's chain file holds more than its lone copy. */
  filePeers: number;
}

interface KeyCopy {
  file: string;
  spki: string;
  encrypted: boolean;
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [item]);
    else list.push(item);
  }
  return groups;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One pair for a certificate and its key, with the file to use for each first and every copy listed. A leaf's
 * best file holds its chain too (the most certificates); a CA's is its own file (the fewest), not a bundle.
 */
function pairOf(certificateCopies: CertificateCopy[], keyCopies: KeyCopy[]): IdentityPair {
  const keyFiles = new Set(keyCopies.map((k) => k.file));
  const peers = certificateCopies[0]!.details.isCA ? 1 : -1;
  const certs = [...new Map(certificateCopies.map((c) => [c.file, c])).values()].sort(
    (a, b) => Number(keyFiles.has(b.file)) - Number(keyFiles.has(a.file)) || peers * (a.filePeers - b.filePeers) || byName(a.file, b.file),
  );
  const cert = certs[0]!;
  const keys = [...new Map(keyCopies.map((k) => [k.file, k])).values()].sort(
    (a, b) => Number(b.file === cert.file) - Number(a.file === cert.file) || Number(a.encrypted) - Number(b.encrypted) || byName(a.file, b.file),
  );
  const { details } = cert;
  return {
    cert: cert.file,
    key: keys[0]!.file,
    certFiles: certs.map((c) => c.file),
    keyFiles: keys.map((k) => k.file),
    subject: details.subject,
    sha256: details.sha256,
    notAfter: details.notAfter,
    expired: details.validity.state === 'expired',
    clientAuth: details.clientAuth,
    keyEncrypted: keys[0]!.encrypted,
  };
}

/**
 * Walks `dir` (not node_modules or .git, not through symlink loops, no file over 1 MB) and pairs every
 * certificate with the private keys whose public key (SPKI) is the certificate's.
 */
export async function findIdentityPairs(dir: string, options: IdentityPairOptions = {}): Promise<IdentityPairSearch> {
  const result: IdentityPairSearch = { pairs: [], caPairs: [], unmatchedKeys: [], unmatchedCertificates: [], encryptedKeysNotChecked: [], warnings: [], skipped: [] };
  const now = options.now ?? new Date();
  const search = await findCertificateFiles(dir, { ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}), ...(options.maxFiles !== undefined ? { maxFiles: options.maxFiles } : {}) });
  result.skipped.push(...search.skipped);
  if (search.stoppedAt !== undefined) result.warnings.push(`Stopped after ${search.stoppedAt} files: the folder has more; search a narrower folder or raise maxFiles.`);
  const candidates = search.files;
  const contents = await mapLimited(candidates, readConcurrency, async (candidate): Promise<CryptoFileContents | null> => {
    try {
      return await readCryptoFile(candidate.path, { maxBytes: maxCertificateFileBytes, ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) });
    } catch (e) {
      if (!(e instanceof CryptoFileError)) throw e;
      if (e.code === 'file_too_large') {
        result.skipped.push({ file: candidate.path, reason: 'larger than 1 MB, so not a certificate or key file' });
      } else if (e.code === 'passphrase_required' || e.code === 'wrong_passphrase') {
        result.encryptedKeysNotChecked.push(candidate.path);
      } else if (!candidate.speculative) {
        result.skipped.push({ file: candidate.path, reason: e.message });
      }
      return null;
    }
  });

  const certificates: CertificateCopy[] = [];
  const keys: KeyCopy[] = [];
  const encrypted = new Set(result.encryptedKeysNotChecked);
  const warnings = new Set(result.warnings);
  for (const file of contents) {
    if (file === null) continue;
    for (const problem of file.problems) warnings.add(problem.message);
    for (const certificate of file.certificates) {
      certificates.push({ file: file.file, details: inspectCertificate(certificate.der, now), spki: publicKeySha256(parsedCertificate(certificate.der).publicKey), filePeers: file.certificates.length });
    }
    for (const key of file.privateKeys) {
      if (key.publicKeySha256 === undefined) encrypted.add(file.file);
      else keys.push({ file: file.file, spki: key.publicKeySha256, encrypted: key.encrypted });
    }
  }

  const keysBySpki = groupBy(keys, (k) => k.spki);
  const matchedSpkis = new Set<string>();
  for (const copies of groupBy(certificates, (c) => c.details.sha256).values()) {
    const { details, spki } = copies[0]!;
    const keyCopies = keysBySpki.get(spki);
    if (keyCopies === undefined) continue;
    matchedSpkis.add(spki);
    const pair = pairOf(copies, keyCopies);
    if (details.isCA) {
      result.caPairs.push(pair);
      continue;
    }
    result.pairs.push(pair);
    const name = `${pair.certFiles.join(', ')} (${details.subject})`;
    if (!details.clientAuth) warnings.add(`${name} cannot be used as a TLS client certificate: ${unusableReason(details)}.`);
    if (details.validity.state !== 'valid') warnings.add(`${name} ${details.validity.relative} (valid ${details.notBefore} to ${details.notAfter}).`);
  }
  const unmatchedKeys = new Set(keys.filter((k) => !matchedSpkis.has(k.spki)).map((k) => k.file));
  const unmatchedCertificates = new Set(certificates.filter((c) => !c.details.isCA && !matchedSpkis.has(c.spki)).map((c) => c.file));

  const byFiles = (a: IdentityPair, b: IdentityPair): number => byName(a.cert, b.cert) || byName(a.key, b.key) || byName(a.subject, b.subject);
  result.pairs.sort(byFiles);
  result.caPairs.sort(byFiles);
  result.unmatchedKeys = [...unmatchedKeys].sort(byName);
  result.unmatchedCertificates = [...unmatchedCertificates].sort(byName);
  result.encryptedKeysNotChecked = [...encrypted].sort(byName);
  result.warnings = [...warnings].sort(byName);
  result.skipped.sort((a, b) => byName(a.file, b.file));
  return result;
}
