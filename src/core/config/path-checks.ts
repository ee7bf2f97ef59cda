import { stat } from 'node:fs/promises';
import { quote } from './jsonc-problems';
import type { ConfigLocation, ConfigPathReference, ConfigProblem, WorkspaceConfig } from './types';

// Whether the files and folders a loaded config names are there: a check of the disk, apart from reading the text.

/** The paths a hand-made config names, placed at their entries (a parsed config carries the exact places). */
function pathReferencesOf(config: WorkspaceConfig): ConfigPathReference[] {
  const references: ConfigPathReference[] = [];
  const add = (path: string, location: ConfigLocation, expects: ConfigPathReference['expects'] = 'file'): void => {
    references.push({ ...location, path, written: path, expects });
  };
  for (const identity of config.identities) {
    if (identity.kind === 'pfx') add(identity.pfxFile, identity.location);
    else {
      add(identity.certFile, identity.location);
      if (identity.keyFile !== identity.certFile) add(identity.keyFile, identity.location);
    }
  }
  for (const trustStore of config.trustStores) add(trustStore.file, trustStore.location);
  for (const endpoint of config.endpoints) {
    if (endpoint.caFile !== undefined) add(endpoint.caFile, endpoint.location);
    if (endpoint.logs !== undefined) add(endpoint.logs, endpoint.location, 'file-or-folder');
  }
  return references;
}

export function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' ? (e as NodeJS.ErrnoException).code : undefined;
}

type PathKind = 'file' | 'folder' | 'other' | { missing: true } | { failed: string };

/**
 * Warnings for the paths of loaded entries that do not exist or are not what they should be. Warnings, not errors:
 * the files may be generated later (e.g. by the test PKI generator).
 */
export async function checkConfigPaths(config: WorkspaceConfig): Promise<ConfigProblem[]> {
  const references = config.pathReferences ?? pathReferencesOf(config);
  const checks = new Map<string, Promise<PathKind>>();
  const kindOf = (path: string): Promise<PathKind> => {
    let check = checks.get(path);
    if (!check) {
      check = stat(path).then(
        (s) => (s.isFile() ? 'file' : s.isDirectory() ? 'folder' : 'other'),
        (e: unknown) => {
          const code = errnoCode(e);
          return code === 'ENOENT' || code === 'ENOTDIR' ? { missing: true as const } : { failed: e instanceof Error ? e.message : String(e) };
        },
      );
      checks.set(path, check);
    }
    return check;
  };
  const problems: ConfigProblem[] = [];
  const results = await Promise.all(references.map((reference) => kindOf(reference.path)));
  references.forEach((reference, i) => {
    const kind = results[i];
    const { path, written, expects, ...location } = reference;
    const named = written === path ? quote(path) : `${quote(written)} (${path})`;
    const problem = (message: string, fix: string): void => {
      problems.push({ ...location, severity: 'warning', message, fix });
    };
    if (kind === undefined || kind === 'file' || (kind === 'folder' && expects === 'file-or-folder')) return;
    if (typeof kind === 'object' && 'missing' in kind) {
      problem(`${named} does not exist.`, 'Correct the path (relative to the workspace folder), or create the file; probes that need it fail until it exists.');
    } else if (typeof kind === 'object') {
      problem(`${named} cannot be checked: ${kind.failed}.`, 'Make sure the file is readable.');
    } else if (kind === 'folder') {
      problem(`${named} is a folder, not a file.`, 'Give the path of the file itself.');
    } else {
      problem(`${named} is not a regular file.`, 'Give the path of a regular file.');
    }
  });
  return problems;
}
