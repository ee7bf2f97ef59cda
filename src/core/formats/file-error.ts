// The readers of certificate, key and PKCS#12 files fail the same way whoever calls them; each caller throws
// its own subclass (IdentityError, CryptoFileError) so that its callers can tell whose problem it is.

/**
 * What went wrong with a file, as the readers of this layer say it: it could not be read (`file_not_found`,
 * `file_unreadable`, `file_is_directory`), or it is a PKCS#12 file that is not one (`bad_pfx`) or that its
 * passphrase does not open (`passphrase_required`, `wrong_passphrase`). Stable: callers and scripts branch on them.
 */
export type FileErrorCode = 'file_not_found' | 'file_unreadable' | 'file_is_directory' | 'bad_pfx' | 'passphrase_required' | 'wrong_passphrase';

// The PKCS#12 reader is a bundle of its own (dist/pkcs12.js, so that node-forge loads only for a PKCS#12 file) and
// carries its own copy of this class: the error it throws is not an instance of its caller's FileError. Every copy
// marks its errors alike, and `instanceof FileError` reads the mark, so `e instanceof FileError` in the identity
// loader and the certificate reader holds for a FileError of either copy.
const fileErrorMark = Symbol.for('mtls-probe.file-error');

/**
 * A problem with a certificate, key or PKCS#12 file, worded for the person who owns it. Never contains key material.
 * `code` is stable (each subclass widens the union with its own codes); `cause` is the error it was made from (the
 * file system's, node:crypto's), when there is one.
 */
export class FileError<Code extends string = FileErrorCode> extends Error {
  readonly [fileErrorMark] = true;

  constructor(
    readonly code: Code,
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'FileError';
  }

  /** A FileError of any bundle's copy of this module; a subclass (IdentityError, CryptoFileError) tests as usual. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== FileError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[fileErrorMark] === true;
  }
}

/**
 * How to hand over a passphrase, said once for every protected file: the CLI takes it from an environment
 * variable so it never lands in shell history or `ps`; the extension asks for it instead.
 */
export const passphraseHint = 'give it (CLI: --pass-env VAR, with the passphrase in that environment variable)';

/** Why `path` could not be read, as a code and a sentence; `what` names the file's role ("Key file "). */
export function fileReadProblem(e: unknown, path: string, what = ''): { code: FileErrorCode; message: string } {
  const code = (e as NodeJS.ErrnoException).code;
  const file = `${what}${path}`;
  if (code === 'ENOENT') return { code: 'file_not_found', message: `${file} does not exist: check the path.` };
  if (code === 'EACCES' || code === 'EPERM') return { code: 'file_unreadable', message: `${file} is not readable by this user: check its permissions.` };
  if (code === 'EISDIR') return { code: 'file_is_directory', message: `${file} is a directory: pass a certificate or key file.` };
  return { code: 'file_unreadable', message: `${file} could not be read (${code ?? (e as Error).message ?? 'I/O error'}).` };
}
