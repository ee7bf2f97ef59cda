import type { TlsSessionState } from '../tls/session-decoder';
import { HandshakeType } from '../tls/registry';
import type { AttemptFacts } from './verdict-facts';

// A TLS 1.2 server that needs a client certificate for one path only (Apache httpd's `<Location /secure>
// SSLVerifyClient require`) reads the request first, then renegotiates: a HelloRequest, a whole new handshake with
// a CertificateRequest, all inside the encrypted session. The alert that refuses the certificate then arrives after
// the first handshake completed, and the words must say why: the renegotiation asked, not the first handshake.

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
