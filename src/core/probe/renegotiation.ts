import type { TlsSessionState } from '../tls/session-decoder';
import { HandshakeType } from '../tls/registry';
import type { Verdict } from './types';
import { makeVerdict, type AttemptFacts } from './verdict-facts';

// A TLS 1.2 server that needs a client certificate for one path only (Apache httpd's `<Location /secure>
// SSLVerifyClient require`) reads the request first, then renegotiates: a HelloRequest, a whole new handshake with
// a CertificateRequest, all inside the encrypted session. The alert that refuses the certificate then arrives after
// the first handshake completed, and the words must say why: the renegotiation asked, not the first handshake.

/**
 * Renegotiations of one TLS 1.2 session a probe follows (attempt.ts stops the connection at the next). Node's TLS
 * client follows a server's HelloRequest every time — tls.CLIENT_RENEG_LIMIT guards Node's servers only — so a server
 * that asks again and again would keep it renegotiating until the phase's time limit, thousands of handshakes a
 * second. Apache httpd asks once per request that needs a client certificate; this is the limit Node's servers set.
 */
export const renegotiationLimit = 3;

export interface Renegotiation {
  /** When the server's HelloRequest arrived (ms from the attempt's start). */
  t: number;
  /** The request it followed, "GET /secure/"; null when no request had been sent. */
  after: string | null;
  /** The new handshake carried a CertificateRequest. */
  askedForCertificate: boolean;
}

/** The server-initiated renegotiation of a TLS 1.2 session, if there was one. */
export function renegotiationOf(tls: TlsSessionState, request: AttemptFacts['request']): Renegotiation | null {
  if (tls.version !== 'TLSv1.2') return null;
  const hello = tls.handshakes.find((h) => h.dir === 'in' && h.type === HandshakeType.HelloRequest);
  if (hello === undefined) return null;
  const askedForCertificate = tls.handshakes.some((h) => h.dir === 'in' && h.type === HandshakeType.CertificateRequest && h.t >= hello.t);
  const after = request != null && request.t <= hello.t ? `${request.method} ${request.path}` : null;
  return { t: hello.t, after, askedForCertificate };
}

/** "the server renegotiated after the request for GET /secure/ and asked for a client certificate". */
export function renegotiationWords(r: Renegotiation): string {
  const when = r.after !== null ? ` after the request for ${r.after}` : ' after the handshake';
  return `the server renegotiated${when}${r.askedForCertificate ? ' and asked for a client certificate' : ''}`;
}

/** "in the renegotiation it started after the request for GET /secure/": where an alert in it came. */
export function inRenegotiationWords(r: Renegotiation): string {
  return `in the renegotiation it started ${r.after !== null ? `after the request for ${r.after}` : 'after the handshake'}`;
}

/** The server asked to renegotiate again and again, and the probe stopped following it at `renegotiationLimit`. */
export function renegotiationLoopVerdict(facts: AttemptFacts): Verdict {
  const count = facts.renegotiations ?? renegotiationLimit + 1;
  const first = renegotiationOf(facts.tls, facts.request);
  const request = first?.after ?? (facts.request != null ? `${facts.request.method} ${facts.request.path}` : null);
  const when = request !== null ? ` after the request for ${request}` : ' after the handshake';
  const answer = facts.http === null ? ' and no HTTP response' : '';
  return makeVerdict(
    'tls',
    'too_many_renegotiations',
    `The server asked to renegotiate the TLS 1.2 session again and again${when}: ${count} renegotiations${answer}, when the probe stopped following it. ` +
      `A probe follows at most ${renegotiationLimit}, the limit Node's TLS servers set for their clients (tls.CLIENT_RENEG_LIMIT); a client without one would renegotiate until its time limit.`,
    'A server renegotiates once, to ask for a client certificate for one path (Apache httpd: SSLVerifyClient inside a <Location>); one that asks without end is misconfigured or hostile: look at its TLS settings and its logs for this connection. TLS 1.3 has no renegotiation: --tls-min 1.3 shows whether the server answers over it.',
  );
}
