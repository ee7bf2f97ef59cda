import type { TlsSessionState } from '../tls/session-decoder';
import { sameName, type AttemptFacts, type IdentityFacts } from './verdict-facts';

// Words about the client's certificate: why a configured one was not sent, and what a server's CA names say
// about one that was sent alone.
//
// Verified against openssl s_server with Node 20 (OpenSSL 3): the client sends no certificate when the
// CertificateRequest's signature algorithms exclude its key (in TLS 1.3 an ECDSA algorithm also names the
// curve: a P-256 key is not sent for ecdsa_secp384r1_sha384 alone; in TLS 1.2 any ecdsa_* fits) or, in TLS 1.2,
// when its certificate_types exclude it. It does send a certificate whose issuer is not among the request's
// CA names: those names never explain a certificate that was not sent.

const curveNames: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  brainpoolP256r1: 'brainpoolP256r1',
  brainpoolP384r1: 'brainpoolP384r1',
  brainpoolP512r1: 'brainpoolP512r1',
};

/** TLS 1.3 ECDSA algorithms bind the curve. */
const tls13EcdsaCurves: Record<string, string> = {
  ecdsa_secp256r1_sha256: 'P-256',
  ecdsa_secp384r1_sha384: 'P-384',
  ecdsa_secp521r1_sha512: 'P-521',
  ecdsa_brainpoolP256r1tls13_sha256: 'brainpoolP256r1',
  ecdsa_brainpoolP384r1tls13_sha384: 'brainpoolP384r1',
  ecdsa_brainpoolP512r1tls13_sha512: 'brainpoolP512r1',
};

/** The kind of key a signature algorithm needs, as people name keys; null when a client cannot use it. */
function keyKindFor(algorithm: string, tls13: boolean): string | null {
  if (algorithm.startsWith('rsa_pss_pss_')) return 'RSA-PSS';
  if (algorithm.startsWith('rsa_pss_rsae_')) return 'RSA';
  // RFC 8446 4.4.3: PKCS#1 v1.5, SHA-1/SHA-224 and DSA are not for CertificateVerify in TLS 1.3.
  if (algorithm.startsWith('rsa_pkcs1_')) return tls13 ? null : 'RSA';
  if (algorithm === 'ed25519') return 'Ed25519';
  if (algorithm === 'ed448') return 'Ed448';
  if (algorithm.startsWith('dsa_')) return tls13 ? null : 'DSA';
  if (algorithm.startsWith('ecdsa_')) {
    if (!tls13) return 'ECDSA';
    const curve = tls13EcdsaCurves[algorithm];
    return curve ? `ECDSA ${curve}` : null;
  }
  return null;
}

function curveOf(identity: IdentityFacts): string {
  return identity.curve ? (curveNames[identity.curve] ?? identity.curve) : 'unknown curve';
}

/** The identity's key as keyKindFor names what an algorithm needs. */
function identityKeyKind(identity: IdentityFacts, tls13: boolean): string | null {
  switch (identity.keyType) {
    case 'rsa':
      return 'RSA';
    case 'rsa-pss':
      return 'RSA-PSS';
    case 'ec':
      return tls13 ? `ECDSA ${curveOf(identity)}` : 'ECDSA';
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
    case 'dsa':
      return 'DSA';
    default:
      return null;
  }
}

/** "ECDSA P-256", "RSA": the identity's key for people. */
export function keyWords(identity: IdentityFacts): string {
  return identity.keyType === 'ec' ? `ECDSA ${curveOf(identity)}` : (identityKeyKind(identity, false) ?? identity.keyType);
}

/** A signature algorithm the identity's key can make in TLS 1.2 and 1.3 alike, to name in a request to the server. */
function algorithmFor(identity: IdentityFacts): string | null {
  switch (identity.keyType) {
    case 'rsa':
      return 'rsa_pss_rsae_sha256';
    case 'rsa-pss':
      return 'rsa_pss_pss_sha256';
    case 'ed25519':
    case 'ed448':
      return identity.keyType;
    case 'ec':
      return Object.entries(tls13EcdsaCurves).find(([, curve]) => curve === curveOf(identity))?.[0] ?? null;
    default:
      return null;
  }
}

/** TLS 1.2 ClientCertificateType each key kind needs (RFC 5246 7.4.4, RFC 8422 5.5). */
function certificateTypeFor(kind: string): string | null {
  if (kind === 'RSA' || kind === 'RSA-PSS') return 'rsa_sign';
  if (kind.startsWith('ECDSA') || kind === 'Ed25519' || kind === 'Ed448') return 'ecdsa_sign';
  if (kind === 'DSA') return 'dss_sign';
  return null;
}

export interface UnsentCertificate {
  /** Why the configured certificate was not sent, or what was observed when the handshake does not show why. */
  because: string;
  /** Null when the handshake does not show why: then only what was observed is said. */
  fix: string | null;
}

function listed(values: string[], max = 6): string {
  return values.length <= max ? values.join(', ') : `${values.slice(0, max).join(', ')} … (+${values.length - max})`;
}

/**
 * Why a configured client certificate was not sent although the server asked for one; null unless that
 * happened (no request, no identity, or a certificate was sent).
 */
export function unsentCertificate(facts: AttemptFacts): UnsentCertificate | null {
  const { tls, identity } = facts;
  const request = tls.certificateRequest;
  if (request === null || identity === undefined || identity === null || tls.clientCertificate?.empty !== true) return null;
  const tls13 = tls.version === 'TLSv1.3';
  const key = keyWords(identity);
  const kind = identityKeyKind(identity, tls13);
  const accepted = [...new Set(request.signatureAlgorithms.map((a) => keyKindFor(a, tls13)).filter((k): k is string => k !== null))];
  const types = request.certificateTypes;
  if (!tls13 && kind !== null && types !== undefined && types.length > 0) {
    const needed = certificateTypeFor(kind);
    if (needed !== null && !types.includes(needed)) {
      return {
        because: `Its key is ${key}, but the server's CertificateRequest allows only the certificate types ${listed(types)} (not ${needed}), and a client sends no certificate of a type not asked for.`,
        fix: `Use an identity with a key of a type the server asks for, or ask the server's operator to accept ${needed} (${key}) client certificates.`,
      };
    }
  }
  if (kind !== null && !accepted.includes(kind)) {
    const algorithms = listed(request.signatureAlgorithms);
    const curveBound = tls13 && kind.startsWith('ECDSA') && accepted.some((a) => a.startsWith('ECDSA'));
    const accepts =
      accepted.length > 0
        ? `the server's CertificateRequest accepts only ${accepted.join(', ')} signatures (${algorithms})${curveBound ? '; in TLS 1.3 an ECDSA signature algorithm names its curve' : ''}`
        : `none of the signature algorithms in the server's CertificateRequest (${algorithms}) can sign with it in ${tls13 ? 'TLS 1.3' : 'TLS 1.2'}`;
    const wanted = algorithmFor(identity);
    return {
      because: `Its key is ${key}, but ${accepts}, and a client sends no certificate it cannot sign for.`,
      fix:
        `Use an identity with ${accepted.length > 0 ? `a key the server accepts (${accepted.join(' or ')})` : 'a key the server accepts'}, ` +
        `or ask the server's operator to accept ${key} signatures${wanted ? ` (${wanted})` : ''} for client certificates.`,
    };
  }
  return {
    because: `The server's CertificateRequest allows its key type (${key}), yet the client sent none: the handshake does not show why.`,
    fix: null,
  };
}

/** "none was sent", with what is known of the configuration. */
export function noneSentWords(facts: AttemptFacts): string {
  if (facts.identity === null) return 'none was sent (none was configured)';
  if (facts.identity === undefined) return 'none was sent';
  return `the configured one (${facts.identity.subject}) was not sent`;
}

/** What to do when no client certificate was configured and the server wants one. */
export function probeWithCertificateHint(tls: TlsSessionState): string {
  const names = tls.certificateRequest?.authorities ?? [];
  const from = names.length > 0 ? `, issued under one of the CA names the server sent (${names.slice(0, 3).join(' | ')}${names.length > 3 ? ' …' : ''})` : '';
  return `Probe with a client certificate (--cert and --key, or --pfx)${from}.`;
}

/** The single certificate the client sent, unless it is self-signed (a root needs no chain); else null. */
function leafSentAlone(tls: TlsSessionState): { subject: string; issuer: string } | null {
  const sent = tls.clientCertificate;
  const leaf = sent?.certificates[0];
  if (sent === null || sent.empty || sent.count !== 1 || leaf === undefined || leaf.selfIssued) return null;
  return leaf;
}

/** True when the client sent its certificate without any CA certificate (and it is not self-signed). */
export function sentAlone(tls: TlsSessionState): boolean {
  return leafSentAlone(tls) !== null;
}

/**
 * A certificate sent alone whose issuer the server does not name: either that issuer is an intermediate the
 * server needs to be sent, or a CA it does not trust. Which one the handshake cannot tell, so both are said.
 * Null when the CA names include the issuer, or when they are absent and the refusal is not unknown_ca.
 */
export function missingIntermediateHint(tls: TlsSessionState, refusal: string): string | null {
  const leaf = leafSentAlone(tls);
  if (leaf === null) return null;
  const names = tls.certificateRequest?.authorities ?? [];
  const chainFix = 'send the certificate followed by its intermediate CA certificate(s) in one PEM file (--cert chain.pem; `pki generate` writes NAME.chain.pem)';
  if (names.length > 0) {
    if (names.some((n) => sameName(n, leaf.issuer))) return null;
    const accepted = names.slice(0, 3).join(' | ') + (names.length > 3 ? ' …' : '');
    return (
      `The client sent its certificate alone, and its issuer ${leaf.issuer} is not among the CA names the server accepts (${accepted}). ` +
      `If ${leaf.issuer} is an intermediate CA under one of them, the server cannot build the chain without it: ${chainFix}. ` +
      'Otherwise this server does not trust that CA: use a certificate issued under one it names.'
    );
  }
  if (refusal !== 'unknown_ca') return null;
  return (
    `The client sent its certificate alone, issued by ${leaf.issuer}, and the server advertised no CA names. ` +
    `If ${leaf.issuer} is an intermediate CA, the server may trust only its root and cannot build the chain without it: ${chainFix}. Otherwise the server does not trust that CA.`
  );
}
