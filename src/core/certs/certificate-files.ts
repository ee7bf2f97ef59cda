import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

// The folder walk shared by findIdentityPairs and the workspace certificate index: the same files, the same
// limits. node_modules and .git are left out, symbolic-link loops are searched once, files over 1 MB are not read.

/** Extensions of certificate and key files; files without an extension are read too, in case they hold PEM. */
export const certificateFileExtensions: readonly string[] = ['.pem', '.crt', '.cer', '.cert', '.der', '.key', '.p12', '.pfx', '.p7b', '.p7c', '.p8', '.pk8', '.csr', '.req', '.crl', '.ca-bundle'];
const extensions = new Set(certificateFileExtensions);
export const ignoredDirectories: ReadonlySet<string> = new Set(['node_modules', '.git']);
export const maxCertificateFileBytes = 1024 * 1024;
export const readConcurrency = 16;

export interface CertificateFileCandidate {
  path: string;
  /** A file without an extension is read in case it holds PEM (tls.crt-style mounts have one, but "cert" alone happens). */
  speculative: boolean;
}

export interface CertificateFileSearch {
  files: CertificateFileCandidate[];
  skipped: Array<{ file: string; reason: string }>;
  /** Set when maxFiles stopped the walk. */
  stoppedAt?: number;
}

export interface CertificateFileSearchOptions {
  /** How many folder levels below the folder to search (default 8). */
  maxDepth?: number;
  /** Stop after this many candidate files (default 5000). */
  maxFiles?: number;
  signal?: AbortSignal;
}

/** A file name the walk reads: a certificate/key extension, or none at all. */
export function isCertificateFileName(file: string): boolean {
  const extension = extname(file).toLowerCase();
  return extension === '' || extensions.has(extension);
}

export async function findCertificateFiles(dir: string, options: CertificateFileSearchOptions = {}): Promise<CertificateFileSearch> {
  const maxDepth = options.maxDepth ?? 8;
  const maxFiles = options.maxFiles ?? 5000;
  const result: CertificateFileSearch = { files: [], skipped: [] };
  const visited = new Set<string>();
  const walk = async (path: string, depth: number): Promise<void> => {
    options.signal?.throwIfAborted();
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      result.skipped.push({ file: path, reason: 'could not be resolved (a broken link?)' });
      return;
    }
    if (visited.has(real)) {
      result.skipped.push({ file: path, reason: `already searched (a symbolic link back to ${real})` });
      return;
    }
    visited.add(real);
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (e) {
      result.skipped.push({ file: path, reason: `folder not readable (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(path, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = await stat(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch {
          result.skipped.push({ file: full, reason: 'broken symbolic link' });
          continue;
        }
      }
      if (isDirectory) {
        if (ignoredDirectories.has(entry.name)) continue;
        if (depth >= maxDepth) {
          result.skipped.push({ file: full, reason: `deeper than ${maxDepth} folder levels (raise maxDepth to search it)` });
          continue;
        }
        await walk(full, depth + 1);
      } else if (isFile) {
        const extension = extname(entry.name).toLowerCase();
        const known = extensions.has(extension);
        if (!known && extension !== '') continue;
        if (result.files.length >= maxFiles) {
          result.stoppedAt = maxFiles;
          return;
        }
        result.files.push({ path: full, speculative: !known });
      }
    }
  };
  await walk(dir, 0);
  return result;
}

/** Runs work over items with at most `limit` in flight; results in item order. */
export async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
