// What AWS documents an ALB mutual-TLS trust store accepts (ALB guide, "Mutual authentication with TLS", and the
// ALB quotas page), in one place: the trust-store lint checks bundles against it, the local lab's listener
// verifies client chains with it, and the test PKI generator builds the chain that exceeds it.

/** CA certificates per trust store. */
export const albMaxTrustStoreCertificates = 25;
/** Bytes per CA certificate, as uploaded (its PEM block). */
export const albMaxCertificateBytes = 16 * 1024;
/**
 * The chain depth of a verify-mode listener. ALB does not say what it counts: the lab's listener counts the
 * intermediates between the leaf and the trust anchor (as OpenSSL's -verify_depth does), the lint the
 * certificates of an issuer path within the bundle, and the test PKI's deep chain exceeds it either way.
 */
export const albMaxChainDepth = 4;

/** RSA modulus sizes, inclusive. */
export const albRsaKeyBits = { min: 2048, max: 8192 } as const;
/** EC curves, by node:crypto's names. */
export const albEcCurves: ReadonlySet<string> = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
export const albKeyRule = 'ALB accepts RSA 2048–8192 or ECDSA P-256/384/521';

/** Signature algorithms by OID, RSASSA-PSS aside (its parameters name the hash: albPssHashes). */
export const albSignatureAlgorithms: ReadonlySet<string> = new Set([
  '1.2.840.113549.1.1.11', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.2', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4', // ecdsa-with-SHA512
]);
export const rsassaPssOid = '1.2.840.113549.1.1.10';
export const albPssHashes: ReadonlySet<string> = new Set(['SHA-256', 'SHA-384', 'SHA-512']);
export const albSignatureRule = 'ALB accepts SHA-256, SHA-384 or SHA-512 signatures with RSA, ECDSA or RSASSA-PSS';
