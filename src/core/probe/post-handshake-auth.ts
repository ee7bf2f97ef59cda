import type { HttpSummary, ProbeOptions, ProbeResult, Verdict } from './types';
import { renegotiationOf, renegotiationWords } from './renegotiation';
import { noneSentWords } from './verdict-client-certificate';
import { makeVerdict, type AttemptFacts } from './verdict-facts';
import { apiGatewayHeaders } from './verdict-apigateway';

// A server that needs a client certificate for one path only asks for it after it has read the request. Over
// TLS 1.3 it can do so only by post-handshake authentication (RFC 8446 4.6.2), and only when the ClientHello offered
// the `post_handshake_auth` extension. Node's TLS client cannot offer it: OpenSSL's SSL_set_post_handshake_auth is
// not exposed by node:tls. Chrome and Firefox do not offer it by default either. Such a server (Apache httpd with
// `<Location /secure> SSLVerifyClient require`) then refuses the request without ever asking — a 403 that looks
// like any other. Over TLS 1.2 the same server renegotiates instead, which Node follows: so rather than guess, the
// probe makes the same request again over TLS 1.2 and words the first attempt's verdict with what the retry showed.

// Fronts that ask for a client certificate only in the handshake (ALB, CloudFront): their refusals are never this.
const handshakeOnlyFronts = /^(awselb|CloudFront)/i;

/** What the first attempt's refusal was, as the words need it; null when it was not a refusal after the request. */
export interface RefusalAfterRequest {
  request: string;
  /** "with HTTP 403", "with a fatal access_denied alert", "by closing the connection (FIN)". */
  how: string;
}

/**
 * The first attempt was refused after the request the way a server that asks for the certificate after the
 * handshake refuses a client that did not offer post_handshake_auth: TLS 1.3, no CertificateRequest in the
 * handshake, the extension not offered, and an HTTP 401/403, a server alert or a close once the request was sent.
 */
export function refusalAfterRequest(facts: AttemptFacts): RefusalAfterRequest | null {
  const { tls, request, http } = facts;
  if (tls.version !== 'TLSv1.3' || request == null || tls.certificateRequest !== null) return null;
  if (tls.clientHello === null || tls.clientHello.postHandshakeAuth) return null;
  const what = `${request.method} ${request.path}`;
  if (http !== null) {
    if (http.status !== 401 && http.status !== 403) return null;
    if (handshakeOnlyFronts.test(String(http.headers.server ?? ''))) return null;
    // API Gateway asks for a client certificate at its custom domain's handshake only, too.
    if (apiGatewayHeaders(http.headers) !== null) return null;
    return { request: what, how: `with HTTP ${http.status}` };
  }
  const alert = tls.alerts.find((a) => a.dir === 'in' && a.t >= request.t && a.description !== 'close_notify');
  if (alert !== undefined) return { request: what, how: `with a ${alert.level} ${alert.description} alert (${alert.code})` };
  const close = facts.peerClose;
  if (close !== null && close.t >= request.t) return { request: what, how: close.kind === 'reset' ? 'by resetting the connection (RST)' : 'by closing the connection (FIN)' };
  return null;
}

/** The retry the probe makes: the same request, TLS 1.2 at most, with its own correlation id. */
export function fallbackOptions(options: ProbeOptions): ProbeOptions {
  const { correlationId: _first, ...rest } = options;
  return { ...rest, tlsMaxVersion: 'TLSv1.2' };
}

const notOffered =
  'over TLS 1.3 that needs post-handshake authentication, which this client does not offer (nor do Node, or Chrome and Firefox by default)';

function retryOutcomeWords(retry: ProbeResult, retryFacts: AttemptFacts): string {
  const sent = retry.tls.clientCertificateSent;
  const leaf = retryFacts.tls.clientCertificate?.certificates[0];
  const certificate = sent && leaf !== undefined ? `the client sent ${leaf.subject}` : noneSentWords(retryFacts);
  const answer = (http: HttpSummary): string => `HTTP ${http.status}`;
  if (retry.verdict.stoppedAt === null && retry.http !== null) return `${certificate}, and the server accepted it (${answer(retry.http)})`;
  if (retry.verdict.stoppedAt === 'mtls') return `${certificate}, and the server refused ${sent ? 'it' : 'the connection'} (${retry.verdict.reason})`;
  return `${certificate}; the retry ended ${retry.http !== null ? `with ${answer(retry.http)}` : `at ${retry.verdict.stoppedAt ?? 'no layer'}`} (${retry.verdict.reason})`;
}

/**
 * The first attempt's verdict, worded with what the TLS 1.2 retry showed:
 * - it renegotiated and asked for a certificate → `mtls`, post_handshake_auth_required, with the retry's outcome;
 * - it answered over TLS 1.2 without asking → the first verdict stands, with that said;
 * - it could not tell (TLS 1.2 refused, or no retry) → `http`, post_handshake_auth_possible, saying what was seen.
 */
export function verdictWithFallback(first: Verdict, refusal: RefusalAfterRequest, retry: { result: ProbeResult; facts: AttemptFacts } | null, why?: string): Verdict {
  const opening = `Over TLS 1.3 the server refused ${refusal.request} ${refusal.how} without asking for a client certificate in the handshake.`;
  if (retry === null || retry.result.tls.version !== 'TLSv1.2') {
    const attempt = retry === null ? `The retry over TLS 1.2 that would tell this apart was not made: ${why ?? 'TLS 1.2 was not allowed'}.` : `A retry over TLS 1.2, where renegotiation could carry the certificate, could not tell, as it stopped at ${retry.result.verdict.stoppedAt ?? 'no layer'} (${retry.result.verdict.reason}): ${retry.result.verdict.summary}`;
    return makeVerdict(
      'http',
      'post_handshake_auth_possible',
      `${opening} A server that asks for the certificate only after the handshake for this path refuses this way: ${notOffered}. ${attempt}`,
      'If the server requires a client certificate for this path (e.g. Apache httpd: SSLVerifyClient inside a <Location>), probe it with a client that offers post-handshake authentication (curl --cert … --key …), or have the server ask in the handshake; if it does not, the refusal comes from the application or a rule in front of it.',
    );
  }
  const renegotiation = renegotiationOf(retry.facts.tls, retry.facts.request);
  if (renegotiation !== null && renegotiation.askedForCertificate) {
    const accepted = retry.result.verdict.stoppedAt === null;
    const hint = accepted
      ? 'This client gets through over TLS 1.2 only. Clients that offer post-handshake authentication (curl and other OpenSSL-based clients) get through over TLS 1.3 too; for browsers and Node, the server must ask for the certificate in the handshake (e.g. Apache httpd: SSLVerifyClient require for the whole virtual host) or keep TLS 1.2.'
      : retry.result.verdict.hint;
    return makeVerdict(
      'mtls',
      'post_handshake_auth_required',
      `${opening} It asks for one only after the handshake for this path: ${notOffered}. Over TLS 1.2 ${renegotiationWords(renegotiation)}: ${retryOutcomeWords(retry.result, retry.facts)}.`,
      hint,
    );
  }
  const retryHttp = retry.result.http;
  const seen = retryHttp !== null ? `HTTP ${retryHttp.status}` : retry.result.verdict.reason;
  return { ...first, summary: `${first.summary} A retry over TLS 1.2 got ${seen}, and the server did not ask for a client certificate there: the refusal is not about a certificate asked for after the handshake.` };
}
