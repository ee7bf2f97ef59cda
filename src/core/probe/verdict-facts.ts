import type { X509Certificate } from 'node:crypto';
import { rfc4514FromNodeName } from '../certs/distinguished-name';
import type { TlsSessionState } from '../tls/session-decoder';
import type { HttpSummary, Layer, Verdict } from './types';

/** Where the attempt ended from the probe's own point of view, before any interpretation. */
export interface AttemptFacts {
  /** The phase that failed, or null when the attempt ran to its end. */
  failedPhase: 'dns' | 'tcp' | 'tls' | 'http' | null;
  /** Node's error code for the failure (ENOTFOUND, ECONNREFUSED, ERR_SSL_…, CERT_HAS_EXPIRED…). */
  errorCode: string | null;
  errorMessage: string | null;
  timedOut: boolean;
  tls: TlsSessionState;
  /** TCP FIN/RST from the server, with the handshake phase they came in. */
  peerClose: { kind: 'fin' | 'reset'; t: number; phase: string } | null;
  secureConnected: boolean;
  http: HttpSummary | null;
  handshakeOnly: boolean;
  /** The HTTP request once it was sent (ms from the attempt's start); null before that or with --handshake-only. */
  request?: { method: string; path: string; t: number } | null;
  /** TLS 1.2 renegotiations the server asked for and the client went through after the first handshake. */
  renegotiations?: number;
  /** Bytes received from the server over the whole attempt. */
  bytesIn: number;
  /**
   * The configured client identity, as far as the words need it; null when none was configured. Absent when
   * the caller does not know, and then nothing is said about it.
   */
  identity?: IdentityFacts | null;
  /** Where the attempt went and which name the server's certificate was checked against. */
  target?: TargetFacts;
  /** When the attempt started (epoch ms): "expired 3 days ago" counts from it. */
  at?: number;
  /** Where the CAs trusted for the server came from: given by the caller (--cacert) or the system's store. */
  trust?: 'cacert' | 'system';
}

export interface IdentityFacts {
  subject: string;
  /** node:crypto's asymmetricKeyType of the leaf's key: 'rsa', 'rsa-pss', 'ec', 'ed25519', 'ed448', 'dsa'. */
  keyType: string;
  /** node:crypto's name of an EC key's curve: 'prime256v1', 'secp384r1', 'secp521r1'… */
  curve?: string;
  /** RFC 4514 issuer of each certificate of the chain, leaf first. */
  chainIssuers: readonly string[];
  chainLength: number;
}

export interface TargetFacts {
  url: string;
  host: string;
  port: number;
  /** The SNI sent: the URL host, the override, or null (an IP literal). */
  serverName: string | null;
  /** True when the SNI (and so the name checked) was given instead of taken from the URL. */
  serverNameGiven: boolean;
  /** The address the TCP connection went to. */
  address: string | null;
}

// By chain: an identity's chain never changes, and every probe with it asks (a matrix, hundreds of times).
const factsByChain = new WeakMap<readonly X509Certificate[], IdentityFacts | null>();

/** What the words need of a client identity: its key type and its chain's issuers. */
export function identityFacts(chain: readonly X509Certificate[]): IdentityFacts | null {
  const known = factsByChain.get(chain);
  if (known !== undefined) return known;
  const leaf = chain[0];
  const key = leaf?.publicKey;
  const facts: IdentityFacts | null =
    leaf === undefined || key === undefined
      ? null
      : Object.freeze({
          subject: rfc4514FromNodeName(leaf.subject),
          keyType: key.asymmetricKeyType ?? 'unknown',
          ...(key.asymmetricKeyDetails?.namedCurve ? { curve: key.asymmetricKeyDetails.namedCurve } : {}),
          chainIssuers: Object.freeze(chain.map((c) => rfc4514FromNodeName(c.issuer))),
          chainLength: chain.length,
        });
  factsByChain.set(chain, facts);
  return facts;
}

export function makeVerdict(stoppedAt: Layer | null, reason: string, summary: string, hint?: string): Verdict {
  return { stoppedAt, reason, summary, confidence: 'probe', ...(hint ? { hint } : {}), evidence: [] };
}

export function tlsLabel(tls: TlsSessionState): string {
  return tls.version === 'TLSv1.3' ? 'TLS 1.3' : tls.version === 'TLSv1.2' ? 'TLS 1.2' : (tls.version ?? 'TLS');
}

/** Distinguished names as two tools print them may differ in spacing and case; the names do not. */
export function sameName(a: string, b: string): boolean {
  const norm = (s: string): string => s.replace(/\s*([,=+])\s*/g, '$1').trim().toLowerCase();
  return norm(a) === norm(b);
}

/** "3 days", "5 hours", "12 minutes": how far a moment is from the attempt, in the unit people count in. */
export function spanWords(ms: number): string {
  const abs = Math.abs(ms);
  const unit = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (abs < 2 * 3_600_000) return unit(Math.max(1, Math.round(abs / 60_000)), 'minute');
  if (abs < 2 * 86_400_000) return unit(Math.round(abs / 3_600_000), 'hour');
  return unit(Math.floor(abs / 86_400_000), 'day');
}

/** "2026-12-03 02:04 UTC". */
export function dateWords(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
