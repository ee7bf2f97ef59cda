// Loading a configured identity whose key or PKCS#12 file may need a passphrase. Where passphrases come from is
// the caller's: the CLI reads an environment variable, the extension SecretStorage and then the person. The loop
// that tries, learns the passphrase was wrong and asks again is the same for both, so it lives here.

import { loadConfiguredIdentity } from '../config/probe-options';
import type { IdentityConfig } from '../config/types';
import { IdentityError, type ClientIdentity } from '../identity/client-identity';

export type PassphraseProblem = 'passphrase_required' | 'wrong_passphrase';

export interface PassphraseAttempt {
  /** 0 for the first try. */
  attempt: number;
  /** Why the previous try failed (absent on the first). */
  failure?: { code: PassphraseProblem; passphrase: string | undefined; error: IdentityError };
}

export interface PassphraseSource {
  /**
   * The passphrase to try for this identity's file, or undefined to try without one. Throw to give up (the
   * CLI throws an IdentityError that names the variable to set; the extension a cancellation).
   */
  passphrase(identity: IdentityConfig, attempt: PassphraseAttempt): Promise<string | undefined>;
  /** The passphrase opened the file (the extension keeps it). */
  accepted?(identity: IdentityConfig, passphrase: string): Promise<void>;
}

/** No passphrase from anywhere: a protected file fails with the loader's own message. */
export const noPassphrases: PassphraseSource = {
  passphrase: async (identity, { failure }) => {
    if (failure !== undefined) throw failure.error;
    return undefined;
  },
};

export function fileOf(identity: IdentityConfig): string {
  return identity.kind === 'pfx' ? identity.pfxFile : identity.keyFile;
}

const passphraseCodes = new Set<string>(['passphrase_required', 'wrong_passphrase']);

/** Loads the identity, asking the source for passphrases until one opens the file or the source gives up. */
export async function loadIdentityWith(identity: IdentityConfig, source: PassphraseSource): Promise<ClientIdentity> {
  let failure: PassphraseAttempt['failure'];
  for (let attempt = 0; ; attempt++) {
    const passphrase = await source.passphrase(identity, { attempt, ...(failure !== undefined ? { failure } : {}) });
    try {
      const loaded = await loadConfiguredIdentity(identity, passphrase);
      if (passphrase !== undefined) await source.accepted?.(identity, passphrase);
      return loaded;
    } catch (error) {
      if (!(error instanceof IdentityError) || !passphraseCodes.has(error.code)) throw error;
      failure = { code: error.code as PassphraseProblem, passphrase, error };
    }
  }
}

/** The environment variable that holds an identity's passphrase for the CLI: MTLS_PROBE_PASSPHRASE_<NAME>. */
export function passphraseVariable(identityName: string): string {
  return `MTLS_PROBE_PASSPHRASE_${identityName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The CLI's source: MTLS_PROBE_PASSPHRASE_<NAME> once; a protected file without it names the variable to set. */
export function environmentPassphrases(env: NodeJS.ProcessEnv = process.env): PassphraseSource {
  return {
    passphrase: async (identity, { failure }) => {
      const variable = passphraseVariable(identity.name);
      if (failure === undefined) return env[variable];
      const file = fileOf(identity);
      if (failure.passphrase === undefined || failure.code === 'passphrase_required') {
        throw new IdentityError(failure.code, file, `Identity "${identity.name}": ${file} is protected by a passphrase: set it in the environment variable ${variable}.`);
      }
      // The loader's own words say which file the passphrase does not open, and never repeat the passphrase.
      throw failure.error;
    },
  };
}
