import { FileError } from '../formats/file-error';

/** A problem with an identity's files, worded for the person who passed them. Never contains key material. */
export class IdentityError extends FileError {
  // Checked by name, not instanceof, where the class comes from another bundle (the extension's probe engine).
  override name = 'IdentityError';
}
