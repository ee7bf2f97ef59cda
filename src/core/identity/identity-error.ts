/** A problem with an identity's files, worded for the person who passed them. Never contains key material. */
export class IdentityError extends Error {
  constructor(readonly code: string, readonly file: string, message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

/**
 * How to hand over a passphrase, said once for every protected file: the CLI takes it from an environment
 * variable so it never lands in shell history or `ps`; the extension asks for it instead.
 */
export const passphraseHint = 'give it (CLI: --pass-env VAR, with the passphrase in that environment variable)';
