import type { HttpSummary, ProbeResult, Verdict } from './types';
import { makeVerdict, tlsLabel, type AttemptFacts } from './verdict-facts';
import { noneSentWords } from './verdict-client-certificate';

// An API Gateway custom domain with mutual TLS (REST or HTTP API, Regional) asks for a client certificate in the
// handshake. AWS documents that an untrusted, expired or weakly signed certificate makes it "fail the TLS handshake
// and deny the request with a 403" (developer guide, rest-api-mutual-tls.html); what a client sees is a completed
// handshake and then HTTP 403 `{"message":"Forbidden"}`. A missing certificate is not documented: expected to be the
// same 403 (inferred). So the refusal is an HTTP answer, and without these words it would read as a WAF's 403 or a
// plain `http` one. The reasons said here:
//   apigateway_403_no_client_certificate       asked, none sent, 403                                  (mtls, probe)
//   apigateway_403_client_certificate_refused  asked, one sent, 403                                   (mtls, probe)
//   apigateway_client_cert_<cause>             the body (or, in the evidence, the access log) names the cause
//   apigateway_403_forbidden                   API Gateway's 403 that is not the certificate's: no CertificateRequest
//                                              (mutual TLS is not on for that name), or an x-amzn-ErrorType that comes
//                                              after mutual TLS (an unknown route, a resource policy, a signature)  (http)

/**
 * API Gateway's own response headers. Documented (developer guide, "Set up CloudWatch logging for REST APIs": "API
 * Gateway returns this request ID in the x-amzn-RequestId response header", "…the x-amz-apigw-id response header"):
 * `x-amzn-RequestId` ($context.requestId) and `x-amz-apigw-id` ($context.extendedRequestId) on REST APIs. Observed,
 * not documented: `apigw-requestid` on HTTP APIs, and `x-amzn-ErrorType` (ForbiddenException,
 * MissingAuthenticationTokenException…) on REST APIs' error answers. `x-amzn-RequestId` alone does not name API
 * Gateway: Lambda function URLs and other AWS services send it too.
 */
export interface ApiGatewayHeaders {
  /** `x-amzn-RequestId` (REST) or `apigw-requestid` (HTTP API): the access log's $context.requestId. */
  requestId: string | null;
  /** `x-amz-apigw-id` (REST): the access log's $context.extendedRequestId. */
  extendedRequestId: string | null;
  /** `x-amzn-ErrorType` without its `:…` tail. */
  errorType: string | null;
  /** The header the request id came in, as people read it. */
  requestIdHeader: string | null;
}

function header(headers: HttpSummary['headers'], name: string): string | null {
  const value = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text === undefined || text === '' ? null : text;
}

/** The request ids and error type an answer carries in API Gateway's headers, whoever sent them. */
export function readApiGatewayHeaders(headers: HttpSummary['headers']): ApiGatewayHeaders {
  const amznRequestId = header(headers, 'x-amzn-requestid');
  const httpApiRequestId = header(headers, 'apigw-requestid');
  return {
    requestId: amznRequestId ?? httpApiRequestId,
    extendedRequestId: header(headers, 'x-amz-apigw-id'),
    errorType: header(headers, 'x-amzn-errortype')?.split(':')[0]?.trim() || null,
    requestIdHeader: amznRequestId !== null ? 'x-amzn-RequestId' : httpApiRequestId !== null ? 'apigw-requestid' : null,
  };
}

/**
 * API Gateway's headers on an answer, or null when they do not show API Gateway answered: `x-amz-apigw-id` or
 * `apigw-requestid` alone, `x-amzn-RequestId` only with `x-amzn-ErrorType`.
 */
export function apiGatewayHeaders(headers: HttpSummary['headers']): ApiGatewayHeaders | null {
  const read = readApiGatewayHeaders(headers);
  const telling = read.extendedRequestId !== null || read.requestIdHeader === 'apigw-requestid' || (read.requestId !== null && read.errorType !== null);
  return telling ? read : null;
}

/** What API Gateway says when mutual TLS refuses a certificate, and what it means. */
export interface ApiGatewayRefusal {
  /** The reason's tail: `apigateway_client_cert_<cause>`. */
  cause: string;
  meaning: string;
}

/**
 * The messages of a refused certificate. The first three are AWS's (knowledge center, api-gateway-mutual-tls-403-errors:
 * REST APIs' execution logs say "Access denied. Reason: …"); the expiry one is inferred (an expired certificate is
 * documented to be refused, its message is not). Matched in a body or in an access log's $context.error.message.
 */
const refusals: Array<{ pattern: RegExp } & ApiGatewayRefusal> = [
  { pattern: /could not find issuer for certificate/i, cause: 'untrusted', meaning: "API Gateway could not find the certificate's issuer in the domain's trust store" },
  { pattern: /insecure signature algorithm/i, cause: 'insecure_signature', meaning: 'the certificate is signed with an algorithm API Gateway considers insecure (e.g. SHA-1)' },
  { pattern: /self[- ]signed certificate/i, cause: 'self_signed', meaning: 'the certificate is self-signed; API Gateway accepts only certificates issued by a CA in the trust store' },
  { pattern: /certificate (?:has )?expired|expired certificate/i, cause: 'expired', meaning: 'the certificate has expired' },
];

/** Words that say a message is about the client certificate or mutual TLS, when it names no known cause. */
const aboutCertificate = /client ?cert|certificate|mutual ?tls|\bmtls\b|truststore|trust store/i;

/** The cause a message names; `refused` for a message about the certificate that names none; null otherwise. */
export function apiGatewayRefusal(message: string | null | undefined): ApiGatewayRefusal | null {
  if (message === null || message === undefined || message === '') return null;
  const known = refusals.find((r) => r.pattern.test(message));
  if (known !== undefined) return { cause: known.cause, meaning: known.meaning };
  return aboutCertificate.test(message) ? { cause: 'refused', meaning: 'API Gateway refused the client certificate' } : null;
}

/**
 * x-amzn-ErrorType values that come after mutual TLS accepted the connection (observed; API Gateway's gateway
 * responses are documented, their error types are not): a 403 with one of them is not the certificate's.
 */
const afterMutualTls: Record<string, string> = {
  MissingAuthenticationTokenException: 'no resource and method match the request (API Gateway answers an unknown route with this 403), or the method needs a signed (IAM) request',
  AccessDeniedException: 'a resource policy or an authorizer denied the request',
  IncompleteSignatureException: "the request's SigV4 signature is incomplete",
  InvalidSignatureException: "the request's SigV4 signature does not match",
  UnrecognizedClientException: "the request's signing credentials are not known",
  ExpiredTokenException: "the request's signing credentials have expired",
};

/** What the 403 came with, from either the attempt (at probe time) or a saved result (evidence time). */
interface ApiGatewayExchange {
  http: HttpSummary;
  front: ApiGatewayHeaders | null;
  tls: string;
  askedForCertificate: boolean;
  /** The leaf the client sent, or null when it sent none. */
  sent: { subject: string; issuer: string } | null;
  /** "none was sent (none was configured)" and the like. */
  noneSent: string;
  /** Why the answer is taken for API Gateway's. */
  knownBy: string;
}

/** Why the answer is taken for API Gateway's: the headers that show it, or (null) the endpoint's settings. */
function knownByWords(front: ApiGatewayHeaders | null): string {
  if (front === null) return "the endpoint's aws.apiGateway settings name it";
  const seen = [front.requestIdHeader, front.extendedRequestId !== null ? 'x-amz-apigw-id' : null, front.errorType !== null ? `x-amzn-ErrorType ${front.errorType}` : null].filter((h) => h !== null);
  return `its answer carries ${seen.join(', ')}`;
}

/** "the access-log record of x-amzn-RequestId 7f3c…" when the id is known. */
function recordWords(front: ApiGatewayHeaders | null): string {
  if (front !== null && front.requestId !== null) return `the stage's access-log record of ${front.requestIdHeader} ${front.requestId}`;
  if (front !== null && front.extendedRequestId !== null) return `the stage's access-log record of x-amz-apigw-id ${front.extendedRequestId}`;
  return "the stage's access-log record of this request";
}

/** The body's message, e.g. "Forbidden", from API Gateway's `{"message": …}` (either casing). */
function bodyMessage(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed === null || typeof parsed !== 'object') return null;
    const message = (parsed as Record<string, unknown>).message ?? (parsed as Record<string, unknown>).Message;
    return typeof message === 'string' ? message : null;
  } catch {
    return null;
  }
}

const confirmHint = (x: ApiGatewayExchange): string =>
  `To confirm, name the stage's access-log group (aws.apiGateway.accessLogGroup): ${recordWords(x.front)} carries $context.identity.clientCert.* and $context.error.message when mutual TLS refused the request (log those variables in the stage's access-log format).`;

const wafHint = 'If AWS WAF is on the stage (REST APIs), its block is a 403 "Forbidden" too: $context.waf.status or $context.wafResponseCode in the access log, or the WAF log, tells them apart.';

/** A 403 of API Gateway's that is not the certificate's, and why not. */
function notTheCertificate(x: ApiGatewayExchange, status: string): Verdict {
  const errorType = x.front?.errorType ?? null;
  const meaning = errorType !== null ? afterMutualTls[errorType] : undefined;
  const handshake = x.askedForCertificate
    ? `the ${x.tls} handshake asked for a client certificate and ${x.sent !== null ? `the client sent ${x.sent.subject}` : x.noneSent}`
    : `the ${x.tls} handshake asked for no client certificate, so mutual TLS is not on for this name (or the request reached the API another way, e.g. its default execute-api endpoint)`;
  const why = meaning !== undefined ? `Its x-amzn-ErrorType ${errorType} says ${meaning}: a refusal after mutual TLS, not of the certificate` : 'The 403 is not mutual TLS\'s: it is API Gateway\'s own authorization (a resource policy, an authorizer, an API key, AWS WAF on the stage)';
  return makeVerdict(
    'http',
    'apigateway_403_forbidden',
    `API Gateway answered HTTP 403${status} (${x.knownBy}); ${handshake}. ${why}.`,
    `${recordWords(x.front).replace(/^the/, 'The')} says which ($context.error.message, $context.error.responseType).`,
  );
}

/** The verdict for API Gateway's 403 (the caller has established that API Gateway answered). */
function apiGateway403(x: ApiGatewayExchange): Verdict {
  const message = bodyMessage(x.http.bodyPreview);
  const status = message !== null ? ` "${message}"` : '';
  const errorType = x.front?.errorType ?? null;
  if (!x.askedForCertificate || (errorType !== null && errorType in afterMutualTls)) return notTheCertificate(x, status);
  const refusal = apiGatewayRefusal(message);
  const domain = `API Gateway (a custom domain with mutual TLS: ${x.knownBy})`;
  if (x.sent === null) {
    return makeVerdict(
      'mtls',
      refusal !== null && refusal.cause !== 'refused' ? `apigateway_client_cert_${refusal.cause}` : 'apigateway_403_no_client_certificate',
      `${domain} asked for a client certificate in the ${x.tls} handshake, ${x.noneSent}, and it answered the request with HTTP 403${status}: ` +
        'it let the handshake complete without a certificate and refused the request at HTTP instead (AWS documents this 403 for a refused certificate; for a missing one it says nothing, and this is what the probe saw).',
      confirmHint(x),
    );
  }
  const cause = refusal !== null && refusal.cause !== 'refused' ? refusal : null;
  return makeVerdict(
    'mtls',
    cause !== null ? `apigateway_client_cert_${cause.cause}` : 'apigateway_403_client_certificate_refused',
    `${domain} asked for a client certificate in the ${x.tls} handshake, the client sent ${x.sent.subject} (issued by ${x.sent.issuer}), and it answered HTTP 403${status}: ` +
      (cause !== null
        ? `${cause.meaning}.`
        : "it refused the certificate after the handshake. AWS names the causes: an issuer not in the domain's trust store, a self-signed certificate, an insecure signature algorithm, an expired certificate."),
    `Check that ${x.sent.issuer} and every CA above it up to a root are in the trust store (the domain's truststoreUri) and that GetDomainName lists no truststoreWarnings for them. ${confirmHint(x)} ${wafHint}`,
  );
}

/** At probe time: API Gateway's 403, when its headers show API Gateway answered; null otherwise. */
export function apiGatewayAttemptVerdict(http: HttpSummary, facts: AttemptFacts): Verdict | null {
  const front = apiGatewayHeaders(http.headers);
  if (front === null || http.status !== 403) return null;
  const { tls } = facts;
  const leaf = tls.clientCertificate?.empty === false ? tls.clientCertificate.certificates[0] : undefined;
  return apiGateway403({
    http,
    front,
    tls: tlsLabel(tls),
    askedForCertificate: tls.certificateRequest !== null,
    sent: leaf !== undefined ? { subject: leaf.subject, issuer: leaf.issuer } : tls.clientCertificate?.empty === false ? { subject: 'a certificate', issuer: 'an issuer the trace shows' } : null,
    noneSent: noneSentWords(facts),
    knownBy: knownByWords(front),
  });
}

/** Reasons the probe gives a 403 it does not know for API Gateway's. */
const plain403Reasons = new Set(['http_403_forbidden', 'http_403_no_client_certificate']);

/**
 * At evidence time, for an endpoint whose settings name an API Gateway custom domain (`aws.apiGateway`): a 403 the
 * probe could not tell was API Gateway's (no telling header came back) gets API Gateway's words. Any other verdict
 * is returned as it is. Never mutates the result.
 */
export function withConfiguredApiGateway(result: ProbeResult): ProbeResult {
  const http = result.http;
  if (http === null || http.status !== 403 || !plain403Reasons.has(result.verdict.reason)) return result;
  const sent = result.tls.clientCertificateSent;
  const identity = result.identity;
  const verdict = apiGateway403({
    http,
    front: readApiGatewayHeaders(http.headers),
    tls: result.tls.version === 'TLSv1.3' ? 'TLS 1.3' : result.tls.version === 'TLSv1.2' ? 'TLS 1.2' : 'TLS',
    askedForCertificate: result.tls.certificateRequest !== null,
    sent: sent ? { subject: identity?.subject ?? 'a certificate', issuer: identity?.issuer ?? 'its issuer' } : null,
    noneSent: identity === null ? 'none was sent (none was configured)' : `the configured one (${identity.subject}) was not sent`,
    knownBy: knownByWords(null),
  });
  const hint = identity === null && !sent && verdict.stoppedAt === 'mtls' ? `Probe with a client certificate (--cert and --key, or --pfx) issued under a CA in the domain's trust store. ${verdict.hint ?? ''}`.trim() : verdict.hint;
  return { ...result, verdict: { ...verdict, ...(hint !== undefined ? { hint } : {}) } };
}
