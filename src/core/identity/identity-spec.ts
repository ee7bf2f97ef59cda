import { IdentityError, loadPemIdentity, loadPfxIdentity, type ClientIdentity } from './client-identity';

// An identity written on one line, as `mtls-probe matrix --identity` takes several of them: the files of a PEM
// identity or a PKCS#12 file, with an optional label. What is wrong with a bad one is said next to the syntax.

export const identitySpecSyntax = 'none | [LABEL=]CERT,KEY | [LABEL=]FILE.p12';

export interface IdentitySpec {
  label?: string;
  /** CERT and KEY, or one file: a PKCS#12 file, or a PEM file that holds both. */
  files: [string] | [string, string];
}

function specError(spec: string, what: string): IdentityError {
  return new IdentityError('bad_identity_spec', spec, `--identity "${spec}": ${what}. It takes ${identitySpecSyntax}.`);
}

const pkcs12Name = /\.(p12|pfx)$/i;

/** Reads `[LABEL=]CERT,KEY` or `[LABEL=]FILE`; `none` is the caller's (no identity at all). */
export function parseIdentitySpec(spec: string): IdentitySpec {
  const eq = spec.indexOf('=');
  const label = eq >= 0 ? spec.slice(0, eq).trim() : undefined;
  if (label === '') throw specError(spec, 'the label before "=" is empty');
  const files = (eq >= 0 ? spec.slice(eq + 1) : spec).split(',').map((f) => f.trim());
  if (files.length > 2) throw specError(spec, `${files.length} comma-separated files, where a certificate and its key (or one PKCS#12 file) go`);
  if (files.length === 1 && files[0] === '') throw specError(spec, label !== undefined ? `no file after "${label}="` : 'it is empty');
  if (files.includes('')) throw specError(spec, files[0] === '' ? 'the certificate before "," is missing' : 'the key after "," is missing');
  if (files.length === 2 && pkcs12Name.test(files[0]!)) throw specError(spec, `${files[0]} is a PKCS#12 file, which holds its own key: give it alone`);
  return { ...(label !== undefined ? { label } : {}), files: files as IdentitySpec['files'] };
}

/** Loads the identity a spec names; a PEM file given alone must hold its key too. */
export async function loadIdentitySpec(spec: string, passphrase: string | undefined): Promise<ClientIdentity> {
  const { label, files } = parseIdentitySpec(spec);
  const common = { ...(passphrase !== undefined ? { passphrase } : {}), ...(label !== undefined ? { label } : {}) };
  const [first, second] = files;
  if (second !== undefined) return loadPemIdentity({ certFile: first, keyFile: second, ...common });
  if (pkcs12Name.test(first)) return loadPfxIdentity({ pfxFile: first, ...common });
  try {
    return await loadPemIdentity({ certFile: first, ...common });
  } catch (e) {
    // The usual slip is a certificate without ",KEY": say so in the spec's own terms, not --key's.
    if (e instanceof IdentityError && e.code === 'no_key') throw specError(spec, `${first} holds no private key: give its key as [LABEL=]CERT,KEY`);
    throw e;
  }
}
