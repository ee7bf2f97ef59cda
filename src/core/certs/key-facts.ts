import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

// What may be said about a key, by every reader that opens one (inspection, identity loading): its type and
// size, the hash that matches it to its certificate, and why node:crypto would not open it. node:crypto only,
// so the identity loaders use it without the ASN.1 libraries of inspection.

const nistCurveNames: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Key type, size and curve as people say them: "RSA 2048", "EC P-256", "Ed25519". */
export function describeKey(key: KeyObject): { label: string; type: string; size?: number; curve?: string } {
  const raw = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const type = raw === 'ec' ? 'EC' : raw === 'rsa' ? 'RSA' : raw === 'rsa-pss' ? 'RSA-PSS' : raw === 'dsa' ? 'DSA' : raw === 'ed25519' ? 'Ed25519' : raw === 'ed448' ? 'Ed448' : raw.toUpperCase();
  if (details.modulusLength !== undefined) return { label: `${type} ${details.modulusLength}`, type, size: details.modulusLength };
  if (details.namedCurve !== undefined) {
    const curve = nistCurveNames[details.namedCurve] ?? details.namedCurve;
    const bits = /(\d{3})/.exec(curve)?.[1];
    return { label: `${type} ${curve}`, type, curve, ...(bits ? { size: Number(bits) } : {}) };
  }
  return { label: type, type };
}

/** SHA-256 (hex) of a key's SubjectPublicKeyInfo DER: how certificates and keys are matched. */
export function publicKeySha256(key: KeyObject): string {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/**
 * How node:crypto's error says a key's passphrase failed: `missing` (the key is encrypted and none was given)
 * or `wrong` (the one given does not decrypt it); undefined for any other failure. OpenSSL words these
 * differently across versions and key formats, so code and message are both read.
 */
export function passphraseFailure(e: unknown): 'missing' | 'wrong' | undefined {
  const text = `${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message ?? ''}`;
  if (/MISSING_PASSPHRASE|passphrase required|interrupted or cancelled/i.test(text)) return 'missing';
  if (/bad decrypt|BAD_DECRYPT|wrong password|decrypt/i.test(text)) return 'wrong';
  return undefined;
}
