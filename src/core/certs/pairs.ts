import { findCertificateFiles, mapLimited, maxCertificateFileBytes, readConcurrency } from './certificate-files';
import { CryptoFileError, parsedCertificate, publicKeySha256, readCryptoFile, type CryptoFileContents } from './crypto-file';
import { inspectCertificate, type CertificateDetails } from './inspect';

// Finds which certificate goes with which private key in a folder (a repo's certs/, a Kubernetes secret
// mount, a download folder), by public key only: file names lie ("client.key" next to last year's "client.crt").

export interface IdentityPair {
  cert: string;
  key: string;
  subject: string;
  notAfter: string;
  expired: boolean;
  clientAuth: boolean;
  keyEncrypted: boolean;
}

export interface IdentityPairSearch {
  pairs: IdentityPair[];
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

/**
 * Walks `dir` (not node_modules or .git, not through symlink loops, no file over 1 MB) and pairs every
 * certificate with the private keys whose public key (SPKI) is the certificate's.
 */
export async function findIdentityPairs(dir: string, options: IdentityPairOptions = {}): Promise<IdentityPairSearch> {
  const result: IdentityPairSearch = { pairs: [], unmatchedKeys: [], unmatchedCertificates: [], encryptedKeysNotChecked: [], warnings: [], skipped: [] };
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

  const certificates: Array<{ file: string; details: CertificateDetails; spki: string }> = [];
  const keys: Array<{ file: string; spki: string; encrypted: boolean }> = [];
  const encrypted = new Set(result.encryptedKeysNotChecked);
  for (const file of contents) {
    if (file === null) continue;
    for (const problem of file.problems) result.warnings.push(problem.message);
    for (const certificate of file.certificates) {
      certificates.push({ file: file.file, details: inspectCertificate(certificate.der, now), spki: publicKeySha256(parsedCertificate(certificate.der).publicKey) });
    }
    for (const key of file.privateKeys) {
      if (key.publicKeySha256 === undefined) encrypted.add(file.file);
      else keys.push({ file: file.file, spki: key.publicKeySha256, encrypted: key.encrypted });
    }
  }

  const certificatesByKey = new Map<string, typeof certificates>();
  for (const certificate of certificates) {
    const list = certificatesByKey.get(certificate.spki) ?? [];
    list.push(certificate);
    certificatesByKey.set(certificate.spki, list);
  }
  const matchedKeys = new Set<string>();
  const unmatchedKeys = new Set<string>();
  const seenPairs = new Set<string>();
  for (const key of keys) {
    const matches = certificatesByKey.get(key.spki);
    if (matches === undefined) {
      unmatchedKeys.add(key.file);
      continue;
    }
    matchedKeys.add(key.spki);
    for (const certificate of matches) {
      const id = `${certificate.file}\0${key.file}\0${certificate.details.sha256}`;
      if (seenPairs.has(id)) continue;
      seenPairs.add(id);
      const { details } = certificate;
      result.pairs.push({
        cert: certificate.file,
        key: key.file,
        subject: details.subject,
        notAfter: details.notAfter,
        expired: details.validity.state === 'expired',
        clientAuth: details.clientAuth,
        keyEncrypted: key.encrypted,
      });
      const name = `${certificate.file} (${details.subject})`;
      if (!details.clientAuth) result.warnings.push(`${name} cannot be used as a TLS client certificate: ${unusableReason(details)}.`);
      if (details.validity.state !== 'valid') result.warnings.push(`${name} ${details.validity.relative} (valid ${details.notBefore} to ${details.notAfter}).`);
    }
  }
  const unmatchedCertificates = new Set<string>();
  for (const certificate of certificates) {
    if (!certificate.details.isCA && !matchedKeys.has(certificate.spki)) unmatchedCertificates.add(certificate.file);
  }

  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  result.pairs.sort((a, b) => byName(a.cert, b.cert) || byName(a.key, b.key) || byName(a.subject, b.subject));
  result.unmatchedKeys = [...unmatchedKeys].sort(byName);
  result.unmatchedCertificates = [...unmatchedCertificates].sort(byName);
  result.encryptedKeysNotChecked = [...encrypted].sort(byName);
  result.warnings.sort(byName);
  result.skipped.sort((a, b) => byName(a.file, b.file));
  return result;
}
