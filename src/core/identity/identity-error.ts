/** A problem with an identity's files, worded for the person who passed them. Never contains key material. */
export class IdentityError extends Error {
  constructor(readonly code: string, readonly file: string, message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}
