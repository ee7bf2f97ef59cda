import { FileError, type FileErrorCode } from '../formats/file-error';

/**
 * The file reader's codes, and what a client identity needs besides: a certificate (`no_certificate`,
 * `bad_certificate`), its private key (`no_key`, `bad_key`), the two matching (`key_mismatch`), and a well-formed
 * `--identity` argument (`bad_identity_spec`).
 */
export type IdentityErrorCode = FileErrorCode | 'no_certificate' | 'bad_certificate' | 'no_key' | 'bad_key' | 'key_mismatch' | 'bad_identity_spec';

/** A problem with an identity's files, worded for the person who passed them. Never contains key material. */
export class IdentityError extends FileError<IdentityErrorCode> {
  // Checked by name, not instanceof, where the class comes from another bundle (the extension's probe engine).
  override name = 'IdentityError';
}
