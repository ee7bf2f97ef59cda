// How an ALB listener in mTLS verify mode judges a client's certificate chain, named as its connection log names
// the outcome (tls_verify_status): a path from the leaf through the intermediates the client sent to a CA of the
// trust store, the chain depth, the leaf's validity (unless expiry is ignored) and purpose, and the trust store's CRLs.

import { X509Certificate } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { albMaxChainDepth } from '../certs/alb-trust-store-rules';
import { pemBlockDer, readPemLines } from '../formats/pem';

const clientAuth = '1.3.6.1.5.5.7.3.2';

export interface TrustStore {
  anchors: X509Certificate[];
  /** Revoked serials (uppercase hex, no leading 00) by the issuer's subject, from the trust store's CRLs. */
  revoked: Map<string, Set<string>>;
  ignoreClientCertificateExpiry: boolean;
}

/** The DER of each complete `label` block in the text (the lab writes these files itself; a damaged block is skipped). */
function pemDers(text: string, label: string): Buffer[] {
  return readPemLines(text, 'lenient')
    .blocks.filter((block) => block.label === label)
    .map(pemBlockDer)
    .filter((der): der is Buffer => der !== null);
}

function serialKey(hex: string): string {
  return hex.toUpperCase().replace(/^(00)+(?=.)/, '');
}

/** A trust store from a PEM bundle of CA certificates and PEM CRLs (AddTrustStoreRevocations). */
export function trustStoreFrom(bundlePem: string, crlPems: readonly string[] = [], options: { ignoreClientCertificateExpiry?: boolean } = {}): TrustStore {
  const anchors = pemDers(bundlePem, 'CERTIFICATE').map((der) => new X509Certificate(der));
  const revoked = new Map<string, Set<string>>();
  for (const der of crlPems.flatMap((text) => pemDers(text, 'X509 CRL'))) {
    const crl = new x509.X509Crl(der);
    // Keyed by the issuer as Node prints subjects, so a leaf's `issuer` finds its CRL.
    const issuer = anchors.find((a) => new x509.X509Certificate(a.raw).subject === crl.issuer)?.subject ?? crl.issuer;
    const serials = revoked.get(issuer) ?? new Set<string>();
    for (const entry of crl.entries) serials.add(serialKey(entry.serialNumber));
    revoked.set(issuer, serials);
  }
  return { anchors, revoked, ignoreClientCertificateExpiry: options.ignoreClientCertificateExpiry ?? false };
}

/** The chain's verdict as ALB's connection log writes it: `Success` or `Failed:<code>`. */
export function verifyClientChain(chainDer: readonly Uint8Array[], store: TrustStore | X509Certificate[], now = new Date()): string {
  const trust = Array.isArray(store) ? { anchors: store, revoked: new Map<string, Set<string>>(), ignoreClientCertificateExpiry: false } : store;
  if (chainDer.length === 0) return 'Failed:ClientCertMissing';
  let presented: X509Certificate[];
  try {
    presented = chainDer.map((der) => new X509Certificate(der));
  } catch {
    return 'Failed:ClientCertInvalid';
  }
  const leaf = presented[0]!;
  const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  let current = leaf;
  for (let depth = 0; !trust.anchors.some((anchor) => signedBy(current, anchor)); depth++) {
    const next = presented.find((c) => c !== current && signedBy(current, c));
    if (next === undefined) return 'Failed:ClientCertUntrusted';
    if (depth + 1 > albMaxChainDepth) return 'Failed:ClientCertMaxChainDepthExceeded';
    current = next;
  }
  if (!trust.ignoreClientCertificateExpiry) {
    if (new Date(leaf.validFrom) > now) return 'Failed:ClientCertNotYetValid';
    if (new Date(leaf.validTo) < now) return 'Failed:ClientCertExpired';
  }
  const eku = leaf.keyUsage;
  if (eku !== undefined && !eku.includes(clientAuth)) return 'Failed:ClientCertPurposeInvalid';
  if (trust.revoked.get(leaf.issuer)?.has(serialKey(leaf.serialNumber)) === true) return 'Failed:ClientCertCrlHit';
  return 'Success';
}
