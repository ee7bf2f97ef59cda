import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { pemBlock } from '../formats/pem';

// Key pairs, signing parameters and PEM encoding shared by the demo's in-memory PKI (test-pki.ts) and
// `pki generate` (generate-pki.ts). Made with WebCrypto through @peculiar/x509: no openssl in the product.

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type PkiKeyAlgorithm = 'p256' | 'rsa2048';

export function keyGenParams(kind: PkiKeyAlgorithm): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  return kind === 'p256'
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
}

export function signingAlgorithm(kind: PkiKeyAlgorithm): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return kind === 'p256' ? ({ name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams) : { name: 'RSASSA-PKCS1-v1_5' };
}

export async function newKeys(kind: PkiKeyAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyGenParams(kind), true, ['sign', 'verify'])) as CryptoKeyPair;
}

export { pemBlock };

export async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  return pemBlock('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
}

/** A random positive serial whose first byte is non-zero, so its hex form (ALB's serial header) is stable. */
export function serialNumber(bytes = 16): string {
  const serial = randomBytes(bytes);
  serial[0]! &= 0x7f;
  serial[0]! |= 0x10;
  return serial.toString('hex');
}
