import type { ObservedAlert, TlsSessionState } from '../tls/session-decoder';
import { HandshakeType, alertMeanings } from '../tls/registry';
import type { HttpSummary, Verdict } from './types';
import { makeVerdict as verdict, tlsLabel, type AttemptFacts } from './verdict-facts';
import { missingIntermediateHint, noneSentWords, probeWithCertificateHint, sentAlone, unsentCertificate } from './verdict-client-certificate';
import { oversizedMessageVerdict, serverCertificateVerdict } from './verdict-server-certificate';
import { inRenegotiationWords, renegotiationLoopVerdict, renegotiationOf, renegotiationWords } from './renegotiation';
import { brokenBodyVerdict, encodedBodyHint, goawayOf, goawayVerdict } from './verdict-http';
import { apiGatewayAttemptVerdict } from './verdict-apigateway';

export type { AttemptFacts, IdentityFacts, TargetFacts } from './verdict-facts';
export { identityFacts } from './verdict-facts';
export { isServerCertificateError } from './verdict-server-certificate';

// Alerts by which a server refuses a client certificate (RFC 8446 6.2, RFC 5246 7.2.2).
const clientCertificateAlerts = new Set([
  'handshake_failure',
  'no_certificate',
  'bad_certificate',
  'unsupported_certificate',
  'certificate_revoked',
  'certificate_expired',
  'certificate_unknown',
  'unknown_ca',
  'access_denied',
  'certificate_required',
  'decrypt_error',
]);

// nginx answers a failed client-certificate check with HTTP 400 and these pages (or 495/496 when exposed).
const nginxNoCertificate = /No required SSL certificate was sent/i;
const nginxCertificateError = /The SSL certificate error|SSL certificate error/i;

// Refusals that say the server does not trust the certificate's issuer (Go's servers send bad_certificate).
const untrustedIssuerAlerts = new Set(['unknown_ca', 'bad_certificate', 'certificate_unknown', 'handshake_failure']);

// Server headers of fronts that put a WAF before the application (ALB answers a WAF block itself): their 403 is
// likelier the WAF's than a client-certificate rule's, even after a CertificateRequest (ALB passthrough mode).
const wafServers = /^(awselb|cloudflare|AkamaiGHost|CloudFront)/i;

function clientCertificateWords(tls: TlsSessionState): string {
  const cert = tls.clientCertificate;
  if (cert === null) return 'no client Certificate message was sent';
  if (cert.empty) return 'no client certificate was sent';
  const leaf = cert.certificates[0];
  if (leaf === undefined) return 'the client sent a certificate';
  return `the client sent ${leaf.subject} (issued by ${leaf.issuer})${sentAlone(tls) ? ' with no CA certificate after it' : ''}`;
}

function fromServerAlert(alert: ObservedAlert, facts: AttemptFacts): Verdict {
  const tls = facts.tls;
  const name = alert.description;
  const sent = tls.handshakes.some((h) => h.dir === 'out' && h.type === HandshakeType.Certificate);
  const askedForCertificate = tls.certificateRequest !== null;
  const renegotiation = renegotiationOf(tls, facts.request);
  const where =
    renegotiation !== null && alert.t >= renegotiation.t
      ? `${inRenegotiationWords(renegotiation)} (the first ${tlsLabel(tls)} handshake had asked for no certificate)`
      : alert.encrypted
        ? `arriving encrypted after the ${tlsLabel(tls)} handshake had completed on the client's side`
        : `during the ${tlsLabel(tls)} handshake`;
  if (askedForCertificate && sent && clientCertificateAlerts.has(name)) {
    if (tls.clientCertificate?.empty === true) {
      return verdict('mtls', `alert_${name}`, `The server refused the connection with a ${alert.level} ${name} alert (${alert.code}) ${where}: it asked for a client certificate and ${noneSentWords(facts)}.`);
    }
    const hint = untrustedIssuerAlerts.has(name) ? missingIntermediateHint(tls, name) : null;
    return verdict(
      'mtls',
      `alert_${name}`,
      `The server rejected the client certificate with a ${alert.level} ${name} alert (${alert.code}) ${where}: ${clientCertificateWords(tls)}.`,
      hint ?? undefined,
    );
  }
  if (name === 'certificate_required') {
    return verdict('mtls', 'alert_certificate_required', `The server requires a client certificate and sent a ${alert.level} certificate_required alert (116) ${where}.`);
  }
  if (tls.serverHello === null && (name === 'handshake_failure' || name === 'insufficient_security')) {
    return verdict('tls', `alert_${name}`, `The server ended the handshake with ${name} (${alert.code}) in reply to the ClientHello: no TLS version, cipher suite or key-exchange group in common.`);
  }
  if (name === 'protocol_version') {
    return verdict('tls', 'alert_protocol_version', `The server does not support the offered TLS versions (alert protocol_version, 70).`);
  }
  if (name === 'unrecognized_name') {
    return verdict('tls', 'alert_unrecognized_name', `The server does not serve the requested name (SNI ${tls.clientHello?.serverName ?? 'none'}): alert unrecognized_name (112).`);
  }
  const meaning = alertMeanings[name];
  return verdict('tls', `alert_${name}`, `The server ended the TLS session with a ${alert.level} ${name} alert (${alert.code})${meaning ? `: ${meaning}` : ''}.`);
}

function fromPeerClose(close: NonNullable<AttemptFacts['peerClose']>, facts: AttemptFacts): Verdict {
  const tls = facts.tls;
  const word = close.kind === 'reset' ? 'reset (RST)' : 'closed (FIN)';
  const reasonWord = close.kind === 'reset' ? 'reset' : 'closed';
  const clientSentCertificate = tls.handshakes.some((h) => h.dir === 'out' && h.type === HandshakeType.Certificate && h.t <= close.t);
  // A server that answered anything, or closed with close_notify, ended the session on purpose: that is
  // not the silent drop a load balancer uses to refuse a certificate.
  const serverSpoke = tls.applicationData.in > 0 || tls.alerts.some((a) => a.dir === 'in' && a.description === 'close_notify');
  if (tls.certificateRequest !== null && clientSentCertificate && facts.http === null && !serverSpoke) {
    return verdict(
      'mtls',
      `${reasonWord}_after_client_certificate`,
      tls.clientCertificate?.empty === true
        ? `The server ${word} the connection ${close.phase}: it asked for a client certificate and ${noneSentWords(facts)}; this is how a load balancer in mTLS verify mode (e.g. AWS ALB) refuses a connection without one.`
        : `The server ${word} the connection ${close.phase}: it asked for a client certificate and ${clientCertificateWords(tls)}; this is how a load balancer in mTLS verify mode (e.g. AWS ALB) rejects it.`,
      missingIntermediateHint(tls, `${reasonWord}_after_client_certificate`) ?? undefined,
    );
  }
  if (tls.serverHello === null) {
    if (facts.bytesIn === 0) {
      return verdict('tls', `${reasonWord}_before_server_hello`, `The server ${word} the connection in reply to the ClientHello without sending anything: it may not speak TLS on this port, or it refused the SNI ${tls.clientHello?.serverName ?? '(none)'}.`);
    }
    return verdict('tls', `${reasonWord}_during_handshake`, `The server ${word} the connection ${close.phase}.`);
  }
  if (!facts.secureConnected) {
    return verdict('tls', `${reasonWord}_during_handshake`, `The server ${word} the connection ${close.phase}.`);
  }
  return verdict('http', `${reasonWord}_before_response`, `The server ${word} the connection ${close.phase}, before any HTTP response.`);
}

function from403(http: HttpSummary, facts: AttemptFacts): Verdict {
  // API Gateway refuses a client certificate with a 403 after the handshake: its headers say it answered.
  const apiGateway = apiGatewayAttemptVerdict(http, facts);
  if (apiGateway !== null) return apiGateway;
  const { tls } = facts;
  const server = String(http.headers.server ?? '');
  if (tls.certificateRequest !== null && tls.clientCertificate?.empty === true && !wafServers.test(server)) {
    return verdict(
      'http',
      'http_403_no_client_certificate',
      `The server asked for a client certificate in the handshake, ${noneSentWords(facts)}, and it answered the request with HTTP 403: ` +
        'the certificate is optional in its handshake and most likely a rule refuses requests without one (e.g. HAProxy "verify optional" with a deny rule, nginx "ssl_verify_client optional" with a check of $ssl_client_verify).',
      'If a request with a certificate the server accepts still gets 403, the refusal has another cause (the application, or a WAF).',
    );
  }
  return verdict('http', 'http_403_forbidden', 'The request passed TLS and was refused with HTTP 403.', 'Possibly a WAF block: fetch the WAF logs or ALB access logs for this correlation id to confirm.');
}

function fromHttp(http: HttpSummary, facts: AttemptFacts): Verdict {
  const status = http.status;
  if (status === 496 || (status === 400 && nginxNoCertificate.test(http.bodyPreview))) {
    return verdict('mtls', 'http_400_no_client_certificate', `The TLS handshake succeeded, then the front answered HTTP ${status} "No required SSL certificate was sent": it checks client certificates at the HTTP layer (nginx ssl_verify_client).`);
  }
  if (status === 495 || (status === 400 && nginxCertificateError.test(http.bodyPreview))) {
    return verdict(
      'mtls',
      'http_400_client_certificate_error',
      `The TLS handshake succeeded, then the front answered HTTP ${status} "The SSL certificate error": the client certificate failed its check (untrusted, expired or revoked).`,
      missingIntermediateHint(facts.tls, 'http_400_client_certificate_error') ?? undefined,
    );
  }
  if (status === 403) return from403(http, facts);
  if (status >= 200 && status < 400) {
    return verdict(null, 'target_responded', `The request passed every layer: HTTP ${status} from the target.`, encodedBodyHint(http));
  }
  if (status === 502 || status === 503 || status === 504) {
    return verdict('http', `http_${status}`, `The front answered HTTP ${status}: it could not get a response from the target.`);
  }
  return verdict('http', `http_${status}`, `The request passed TLS and got HTTP ${status}.`);
}

function classifyOutcome(facts: AttemptFacts): Verdict {
  const { failedPhase, errorCode, tls } = facts;
  const code = errorCode ?? '';

  if (failedPhase === 'dns') {
    if (facts.timedOut) return verdict('dns', 'dns_timeout', `DNS resolution timed out.`);
    if (code === 'ENOTFOUND') return verdict('dns', 'dns_not_found', `The host name does not resolve (${code}).`);
    return verdict('dns', 'dns_failure', `DNS resolution failed (${code || facts.errorMessage}).`);
  }
  if (failedPhase === 'tcp') {
    if (facts.timedOut) return verdict('tcp', 'connect_timeout', 'The TCP connection timed out: nothing answered the SYN (filtered port, security group or wrong address).');
    if (code === 'ECONNREFUSED') return verdict('tcp', 'connection_refused', 'The TCP connection was refused: nothing listens on that port.');
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return verdict('tcp', 'host_unreachable', `The host is unreachable (${code}).`);
    return verdict('tcp', 'connect_failed', `The TCP connection failed (${code || facts.errorMessage}).`);
  }

  // The probe stopped a server that would not stop renegotiating: nothing after that is the server's answer.
  if (code === 'ERR_PROBE_RENEGOTIATION_LIMIT') return renegotiationLoopVerdict(facts);

  // A fatal alert from the server is the most specific evidence there is.
  const serverAlert = tls.alerts.find((a) => a.dir === 'in' && a.level === 'fatal') ?? tls.alerts.find((a) => a.dir === 'in' && a.description !== 'close_notify');
  if (serverAlert !== undefined) return fromServerAlert(serverAlert, facts);

  if (tls.notTls !== null && tls.notTls.dir === 'in') {
    return verdict('tls', 'not_tls', `The server answered with bytes that are not TLS ("${tls.notTls.preview.slice(0, 32)}"): plain HTTP or another protocol on this port?`);
  }

  const oversized = oversizedMessageVerdict(facts);
  if (oversized !== null) return oversized;

  const refusedServer = serverCertificateVerdict(code, facts);
  if (refusedServer !== null) return refusedServer;

  const clientAlert = tls.alerts.find((a) => a.dir === 'out' && a.level === 'fatal');
  if (clientAlert !== undefined) {
    return verdict('tls', `client_alert_${clientAlert.description}`, `The client aborted the handshake with ${clientAlert.description} (${clientAlert.code}) (${code || 'no common parameters'}).`);
  }
  if (/UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW|VERSION_TOO_HIGH/.test(code)) {
    return verdict('tls', 'protocol_version', `No TLS version in common with the server (${code}).`);
  }
  if (/NO_SHARED_CIPHER|NO_CIPHER_MATCH|NO_SUITABLE/.test(code)) {
    return verdict('tls', 'no_shared_cipher', `No cipher suite in common with the server (${code}).`);
  }

  const goaway = failedPhase === 'http' && facts.http === null ? goawayOf(facts) : null;
  if (goaway !== null) return goawayVerdict(goaway, facts);

  if (facts.peerClose !== null && (failedPhase === 'tls' || (failedPhase === 'http' && facts.http === null))) {
    return fromPeerClose(facts.peerClose, facts);
  }

  if (failedPhase === 'tls') {
    if (facts.timedOut) {
      return facts.bytesIn === 0
        ? verdict('tls', 'handshake_timeout', 'The server accepted the TCP connection but never answered the ClientHello (not a TLS endpoint, or it waits for something else).')
        : verdict('tls', 'handshake_timeout', 'The TLS handshake stalled: the server stopped answering mid-handshake.');
    }
    return verdict('tls', 'handshake_failed', `The TLS handshake failed (${code || facts.errorMessage}).`);
  }

  // The answer's headers came and its body did not arrive whole.
  if (facts.http !== null && failedPhase === 'http') return brokenBodyVerdict(facts.http, fromHttp(facts.http, facts), facts);
  if (facts.http !== null) return fromHttp(facts.http, facts);

  if (failedPhase === 'http' && tls.alerts.some((a) => a.dir === 'in' && a.description === 'close_notify')) {
    return verdict('http', 'closed_before_response', 'The server closed the TLS session (close_notify) before answering the request.');
  }

  if (failedPhase === 'http') {
    if (facts.timedOut) return verdict('http', 'http_timeout', 'The TLS session was established but no HTTP response arrived in time.');
    return verdict('http', 'http_request_failed', `The HTTP request failed (${code || facts.errorMessage}).`);
  }
  if (facts.handshakeOnly && facts.secureConnected) {
    return verdict(null, 'handshake_completed', `The ${tlsLabel(tls)} handshake completed (${handshakeCertificateWords(facts)}) and no request was sent (--handshake-only): how the server answers a request is not known.`);
  }
  return verdict(null, 'inconclusive', 'The attempt ended without a clear failure.');
}

function handshakeCertificateWords(facts: AttemptFacts): string {
  const { tls } = facts;
  if (tls.certificateRequest === null) return 'the server did not ask for a client certificate';
  if (tls.clientCertificate === null) return 'the server asked for a client certificate';
  return tls.clientCertificate.empty ? `the server asked for a client certificate and ${noneSentWords(facts)}` : 'the server asked for a client certificate and one was sent';
}

function joinHints(...hints: Array<string | null | undefined>): string | undefined {
  const present = hints.filter((h): h is string => typeof h === 'string' && h.length > 0);
  return present.length > 0 ? present.join(' ') : undefined;
}

/**
 * When the server asked for a client certificate and none was sent, why (a configured one the request excluded)
 * or what to do (none configured): in the summary when the certificate is where it stopped, else as a hint.
 */
function withUnsentCertificateWords(v: Verdict, facts: AttemptFacts): Verdict {
  const { tls } = facts;
  if (tls.certificateRequest === null || tls.clientCertificate?.empty !== true) return v;
  const aboutCertificate = v.stoppedAt === 'mtls' || v.reason === 'http_403_no_client_certificate';
  const unsent = unsentCertificate(facts);
  if (unsent !== null) {
    const summary = aboutCertificate ? `${v.summary} ${unsent.because}` : v.summary;
    const hint = aboutCertificate
      ? joinHints(unsent.fix, v.hint)
      : joinHints(`The server asked for a client certificate and ${noneSentWords(facts)}. ${unsent.because}`, unsent.fix, v.hint);
    return { ...v, summary, ...(hint !== undefined ? { hint } : {}) };
  }
  if (facts.identity === null && aboutCertificate) return { ...v, hint: joinHints(probeWithCertificateHint(tls), v.hint)! };
  return v;
}

/**
 * A renegotiation that asked for the certificate is named in every verdict it led to: an alert's words already say
 * it; an answer (or a close) after it says what became of the certificate.
 */
function withRenegotiationWords(v: Verdict, facts: AttemptFacts): Verdict {
  const renegotiation = renegotiationOf(facts.tls, facts.request);
  if (renegotiation === null || v.summary.includes('renegotiat')) return v;
  const words = renegotiationWords(renegotiation);
  const sentence = `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
  if (!renegotiation.askedForCertificate) return { ...v, summary: `${v.summary} ${sentence}.` };
  const { tls } = facts;
  const leaf = tls.clientCertificate?.certificates[0];
  const sent = tls.clientCertificate?.empty === false && leaf !== undefined;
  const certificate = sent ? `the client sent ${leaf.subject}` : noneSentWords(facts);
  const outcome = sent && v.stoppedAt === null && facts.http !== null ? `${certificate}, and the server accepted it` : certificate;
  return { ...v, summary: `${v.summary} ${sentence}: ${outcome}.` };
}

export function classifyAttempt(facts: AttemptFacts): Verdict {
  return withRenegotiationWords(withUnsentCertificateWords(classifyOutcome(facts), facts), facts);
}
