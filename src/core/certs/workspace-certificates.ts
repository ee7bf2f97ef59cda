import { relative, resolve, sep } from 'node:path';
import { certificateFileExtensions, findCertificateFiles, ignoredDirectories, isCertificateFileName, mapLimited, maxCertificateFileBytes, readConcurrency } from './certificate-files';
import { parsedCertificate, readCryptoFile } from './crypto-file';
import { publicKeySha256 } from './key-facts';
import { inspectCertificate } from './inspect';
import { BoundedCache } from '../bounded-cache';

// What the hover says about a certificate beyond its own fields: is its private key in the workspace, and
// which CA certificate in the workspace issued it. Files are read as findIdentityPairs reads them (same
// extensions, same limits, node_modules and .git left out); keys are kept only as the SHA-256 of their public
// key, so nothing secret stays in memory or can reach a log.

export interface WorkspaceCertificateIndexOptions {
  signal?: AbortSignal;
  /** Stop after this many candidate files per folder (default 5000). */
  maxFiles?: number;
  /** How many folder levels below each folder to search (default 8). */
  maxDepth?: number;
}

/** The extensions findIdentityPairs reads; files without an extension are read too, in case they hold PEM. */
export const workspaceCertificateExtensions: readonly string[] = certificateFileExtensions;

interface IndexedCertificate {
  file: string;
  der: Uint8Array;
  sha256: string;
  subject: string;
  isCA: boolean;
  subjectKeyIdentifier?: string;
}

interface IndexedFile {
  certificates: IndexedCertificate[];
  /** SHA-256 of the SubjectPublicKeyInfo of each private key in the file. */
  keys: string[];
}

/** A file name the index reads: a certificate/key extension, or none at all (the file watcher's filter). */
export const isWorkspaceCertificateFile = isCertificateFileName;

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([value]));
  else set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function readIndexedFile(file: string): Promise<IndexedFile | null> {
  let contents;
  try {
    contents = await readCryptoFile(file, { maxBytes: maxCertificateFileBytes });
  } catch {
    // Unreadable, too large, not a certificate or key file, or a PKCS#12 that needs a passphrase: nothing to index.
    return null;
  }
  const certificates: IndexedCertificate[] = [];
  for (const { der } of contents.certificates) {
    try {
      const details = inspectCertificate(der);
      certificates.push({
        file,
        der,
        sha256: details.sha256,
        subject: details.subject,
        isCA: details.basicConstraints?.ca === true,
        ...(details.subjectKeyIdentifier !== undefined ? { subjectKeyIdentifier: details.subjectKeyIdentifier } : {}),
      });
    } catch {
      // readCryptoFile has checked each certificate; one that still fails to inspect is left out.
    }
  }
  // Encrypted keys without a passphrase have no public-key hash and cannot be matched.
  const keys = contents.privateKeys.flatMap((key) => (key.publicKeySha256 !== undefined ? [key.publicKeySha256] : []));
  return certificates.length === 0 && keys.length === 0 ? null : { certificates, keys };
}


/**
 * The certificates and private keys of one or more folders, indexed by subject and by public key. Built once
 * (`build`), then kept current by a file watcher calling `update` and `remove`.
 */
export class WorkspaceCertificateIndex {
  readonly #folders: string[];
  readonly #files = new Map<string, IndexedFile>();
  readonly #keyFiles = new Map<string, Set<string>>();
  readonly #certificatesBySubject = new Map<string, Set<IndexedCertificate>>();
  /** The latest update/remove of each file, so a slow read cannot overwrite what a later one found. */
  readonly #generations = new Map<string, number>();
  #generation = 0;
  // Checking a signature costs ~0.1 ms and the hover asks about the same certificates on every move.
  readonly #signatures = new BoundedCache<string, boolean>(4096);

  private constructor(folders: string[]) {
    this.#folders = folders.map((folder) => resolve(folder));
  }

  /** Reads every certificate/key file below `folders`. Rejects with the signal's reason when aborted. */
  static async build(folders: string[], options: WorkspaceCertificateIndexOptions = {}): Promise<WorkspaceCertificateIndex> {
    const index = new WorkspaceCertificateIndex(folders);
    const files = new Set<string>();
    for (const folder of index.#folders) {
      const search = await findCertificateFiles(folder, options);
      for (const file of search.files) files.add(file.path);
    }
    await mapLimited([...files], readConcurrency, async (file) => {
      options.signal?.throwIfAborted();
      const entry = await readIndexedFile(file);
      if (entry !== null) index.#set(file, entry);
    });
    options.signal?.throwIfAborted();
    return index;
  }

  /** How much the index holds (for status lines and tests). */
  get size(): { files: number; certificates: number; keys: number } {
    let certificates = 0;
    let keys = 0;
    for (const entry of this.#files.values()) {
      certificates += entry.certificates.length;
      keys += entry.keys.length;
    }
    return { files: this.#files.size, certificates, keys };
  }

  /** Re-reads one file after it was created or changed; a file the index does not read is removed from it. */
  async update(file: string): Promise<void> {
    const path = resolve(file);
    const generation = this.#nextGeneration(path);
    const entry = this.#isIndexable(path) ? await readIndexedFile(path) : null;
    if (this.#generations.get(path) !== generation) return;
    this.#delete(path);
    if (entry !== null) this.#set(path, entry);
  }

  /** Forgets a deleted file, or every file below a deleted folder. */
  remove(file: string): void {
    const path = resolve(file);
    const below = path.endsWith(sep) ? path : path + sep;
    for (const known of [...this.#files.keys()]) {
      if (known === path || known.startsWith(below)) {
        this.#nextGeneration(known);
        this.#delete(known);
      }
    }
    this.#nextGeneration(path);
  }

  /** A file holding the private key of the certificate `der` (the first by name when several do), or null. */
  hasMatchingKey(der: Uint8Array): { file: string } | null {
    let spki: string;
    try {
      spki = publicKeySha256(parsedCertificate(der).publicKey);
    } catch {
      return null;
    }
    const files = this.#keyFiles.get(spki);
    if (files === undefined) return null;
    return { file: [...files].sort(byName)[0]! };
  }

  /**
   * A certificate in the workspace whose subject is the issuer of `der` and whose key verifies its signature
   * (the certificate itself excepted, so a self-signed root has none). Among several, the one whose key
   * identifier matches and that is a CA comes first.
   */
  findIssuer(der: Uint8Array): { file: string; subject: string } | null {
    let child;
    try {
      child = inspectCertificate(der);
    } catch {
      return null;
    }
    const named = this.#certificatesBySubject.get(child.issuer);
    if (named === undefined) return null;
    const aki = child.authorityKeyIdentifier;
    const candidates = [...named]
      .filter((c) => c.sha256 !== child.sha256)
      .sort((a, b) => Number(b.subjectKeyIdentifier === aki && aki !== undefined) - Number(a.subjectKeyIdentifier === aki && aki !== undefined) || Number(b.isCA) - Number(a.isCA) || byName(a.file, b.file));
    const issuer = candidates.find((candidate) => this.#signedBy(der, child.sha256, candidate));
    return issuer === undefined ? null : { file: issuer.file, subject: issuer.subject };
  }

  #signedBy(der: Uint8Array, sha256: string, issuer: IndexedCertificate): boolean {
    return this.#signatures.getOrCreate(`${sha256}:${issuer.sha256}`, () => {
      try {
        return parsedCertificate(der, sha256).verify(parsedCertificate(issuer.der, issuer.sha256).publicKey);
      } catch {
        return false;
      }
    });
  }

  /** Not inside node_modules or .git below the workspace folder that holds it (or anywhere, for files outside them). */
  #isIndexable(path: string): boolean {
    if (!isWorkspaceCertificateFile(path)) return false;
    const folder = this.#folders.find((f) => path.startsWith(f.endsWith(sep) ? f : f + sep));
    const inside = folder === undefined ? path : relative(folder, path);
    return !inside.split(sep).some((part) => ignoredDirectories.has(part));
  }

  #nextGeneration(path: string): number {
    this.#generations.set(path, ++this.#generation);
    return this.#generation;
  }

  #set(file: string, entry: IndexedFile): void {
    this.#files.set(file, entry);
    for (const spki of entry.keys) addTo(this.#keyFiles, spki, file);
    for (const certificate of entry.certificates) addTo(this.#certificatesBySubject, certificate.subject, certificate);
  }

  #delete(file: string): void {
    const entry = this.#files.get(file);
    if (entry === undefined) return;
    this.#files.delete(file);
    for (const spki of entry.keys) removeFrom(this.#keyFiles, spki, file);
    for (const certificate of entry.certificates) removeFrom(this.#certificatesBySubject, certificate.subject, certificate);
  }
}
