import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

// Where the test PKI is written: an empty (or new) directory, keys with mode 0600, never through an old file.

export type PkiDirectoryProblem = 'not-empty' | 'not-a-directory' | 'io';

/** The problem as a code in the form every core error's `code` has: `dir_not_empty`, `not_a_directory`, `dir_io_failed`. */
export type PkiDirectoryErrorCode = 'dir_not_empty' | 'not_a_directory' | 'dir_io_failed';

const problemCodes: Record<PkiDirectoryProblem, PkiDirectoryErrorCode> = { 'not-empty': 'dir_not_empty', 'not-a-directory': 'not_a_directory', io: 'dir_io_failed' };

/** The output directory cannot be used: it is not empty, not a directory, or not writable. */
export class PkiDirectoryError extends Error {
  readonly code: PkiDirectoryErrorCode;

  constructor(
    message: string,
    readonly dir: string,
    readonly problem: PkiDirectoryProblem,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PkiDirectoryError';
    this.code = problemCodes[problem];
  }
}

export interface OutputFile {
  name: string;
  text: string;
  secret: boolean;
}

function isErrno(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}

function ioError(dir: string, action: string, e: unknown): PkiDirectoryError {
  // Node's fs messages already start with the code ("EACCES: permission denied, open '…'").
  return new PkiDirectoryError(`cannot ${action}: ${e instanceof Error ? e.message : String(e)}`, dir, 'io', { cause: e });
}

/**
 * mkdir -p, one level at a time: Node's `mkdir(…, { recursive: true })` spins forever where mkdir(2)
 * keeps answering ENOENT for an existing parent (under /proc, for one).
 */
async function createDirectoryTree(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = resolve(dir); ; ) {
    try {
      await stat(current);
      break;
    } catch (e) {
      if (!isErrno(e) || e.code !== 'ENOENT') throw e;
    }
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const path of missing) {
    try {
      await mkdir(path);
    } catch (e) {
      if (!isErrno(e) || e.code !== 'EEXIST') throw e;
    }
  }
}

/** Creates DIR, or checks that it is an empty directory (or that overwriting was asked for). */
export async function prepareDirectory(dir: string, force: boolean): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (e) {
    if (!isErrno(e) || e.code !== 'ENOENT') throw ioError(dir, `use ${dir}`, e);
    try {
      await createDirectoryTree(dir);
    } catch (mkdirError) {
      throw ioError(dir, `create the directory ${dir}`, mkdirError);
    }
    return;
  }
  if (!isDirectory) throw new PkiDirectoryError(`${dir} exists and is not a directory`, dir, 'not-a-directory');
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    throw ioError(dir, `list ${dir}`, e);
  }
  if (entries.length > 0 && !force) {
    throw new PkiDirectoryError(`refusing to write a test PKI into ${dir}: it is not empty (${entries.length} entries) and force is not set`, dir, 'not-empty');
  }
}

export async function writeOutputFile(dir: string, file: OutputFile): Promise<void> {
  const path = join(dir, file.name);
  try {
    // Remove first, then create exclusively: a key never lands in an old world-readable file or
    // follows a symlink left in the directory.
    await rm(path, { force: true });
    await writeFile(path, file.text, { mode: file.secret ? 0o600 : 0o644, flag: 'wx' });
    // writeFile's mode is filtered by the umask; make the key mode exact.
    if (file.secret) await chmod(path, 0o600);
  } catch (e) {
    throw ioError(dir, `write ${path}`, e);
  }
}
