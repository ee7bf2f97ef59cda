// The probe's words for an API Gateway custom domain's 403: which case (no certificate sent, one sent and refused, a
// cause the body names), a 403 of API Gateway's that is not the certificate's, and every other 403 as it was.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CertificateSummary } from '../../src/core/certs/certificate-summary';
import type { HttpSummary, ProbeResult } from '../../src/core/probe/types';
import { refusalAfterRequest } from '../../src/core/probe/post-handshake-auth';
import { classifyAttempt, type AttemptFacts } from '../../src/core/probe/verdict';
import { apiGatewayHeaders, apiGatewayRefusal, withConfiguredApiGateway } from '../../src/core/probe/verdict-apigateway';
import type { CertificateFields, ClientHelloFields } from '../../src/core/tls/handshake-messages';
import { KeyLog } from '../../src/core/tls/key-log';
import { TlsSessionDecoder } from '../../src/core/tls/session-decoder';

const rootName = 'CN=Partners Root CA,O=Example';
const leaf: CertificateSummary = {
  subject: 'CN=partner,O=Example',
  issuer: 'CN=Partners Issuing CA,O=Example',
  serialNumber: '0A1B2C',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  subjectAltNames: [],
  publicKey: 'EC prime256v1',
  isCA: false,
  selfIssued: false,
  sha256: 'ab',
  derLength: 500,
};

function sent(list: CertificateSummary[]): CertificateFields {
  return { empty: list.length === 0, count: list.length, certificates: list, unparsable: 0 };
}

/** A TLS 1.2 session after which the server answered: with or without a CertificateRequest, a certificate or none. */
function facts(shape: { asked?: boolean; certificate?: CertificateSummary | null }, http: HttpSummary, identity: AttemptFacts['identity'] = null): AttemptFacts {
  const tls = new TlsSessionDecoder(new KeyLog(), () => undefined).state;
  tls.version = 'TLSv1.2';
  tls.certificateRequest = shape.asked === false ? null : { certificateTypes: ['rsa_sign', 'ecdsa_sign'], signatureAlgorithms: ['ecdsa_secp256r1_sha256', 'rsa_pss_rsae_sha256'], authorities: [rootName] };
  if (shape.asked !== false) {
    tls.clientCertificate = sent(shape.certificate ? [shape.certificate] : []);
    tls.handshakes.push({ dir: 'out', t: 5, type: 11, name: 'Certificate', encrypted: false });
  }
  return { failedPhase: null, errorCode: null, errorMessage: null, timedOut: false, tls, peerClose: null, secureConnected: true, http, handshakeOnly: false, bytesIn: 100, identity };
}

function answer(status: number, headers: Record<string, string>, body = '{"message":"Forbidden"}'): HttpSummary {
  return { status, httpVersion: 'HTTP/1.1', headers, bodyPreview: body, bodyBytes: body.length };
}

const requestId = '6e095de4-4c59-4cf6-8ff8-b212906fabd3';
const restHeaders = { 'x-amzn-requestid': requestId, 'x-amz-apigw-id': 'Qm9vZ2llV29vZ2k=', 'x-amzn-errortype': 'ForbiddenException' };
const httpApiHeaders = { 'apigw-requestid': 'WSg1ihmdliAEJXA=' };

describe("API Gateway's headers", () => {
  test('x-amz-apigw-id or apigw-requestid alone; x-amzn-RequestId only with x-amzn-ErrorType (Lambda URLs send it too)', () => {
    assert.deepEqual(apiGatewayHeaders(restHeaders), { requestId, extendedRequestId: 'Qm9vZ2llV29vZ2k=', errorType: 'ForbiddenException', requestIdHeader: 'x-amzn-RequestId' });
    assert.deepEqual(apiGatewayHeaders(httpApiHeaders), { requestId: 'WSg1ihmdliAEJXA=', extendedRequestId: null, errorType: null, requestIdHeader: 'apigw-requestid' });
    assert.equal(apiGatewayHeaders({ 'x-amzn-requestid': requestId }), null);
    assert.equal(apiGatewayHeaders({ 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': 'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/' })?.errorType, 'AccessDeniedException');
    assert.equal(apiGatewayHeaders({ server: 'awselb/2.0' }), null);
  });

  test("the messages of a refused certificate: AWS's three, an expiry, anything about the certificate, nothing else", () => {
    assert.equal(apiGatewayRefusal('Access denied. Reason: Could not find issuer for certificate')?.cause, 'untrusted');
    assert.equal(apiGatewayRefusal('Access denied. Reason: Client cert using an insecure Signature Algorithm')?.cause, 'insecure_signature');
    assert.equal(apiGatewayRefusal('Access denied. Reason: self signed certificate')?.cause, 'self_signed');
    assert.equal(apiGatewayRefusal('certificate has expired')?.cause, 'expired');
    assert.equal(apiGatewayRefusal('Invalid client certificate')?.cause, 'refused');
    assert.equal(apiGatewayRefusal('Forbidden'), null);
    assert.equal(apiGatewayRefusal(null), null);
  });
});

describe('a 403 from API Gateway after a handshake that asked for a client certificate', () => {
  test('none sent: mtls apigateway_403_no_client_certificate, what to do, how to confirm, no WAF hint', () => {
    const v = classifyAttempt(facts({ certificate: null }, answer(403, restHeaders)));
    assert.equal(v.stoppedAt, 'mtls');
    assert.equal(v.reason, 'apigateway_403_no_client_certificate');
    assert.equal(v.confidence, 'probe');
    assert.match(v.summary, /^API Gateway \(a custom domain with mutual TLS: its answer carries x-amzn-RequestId, x-amz-apigw-id, x-amzn-ErrorType ForbiddenException\) asked for a client certificate in the TLS 1\.2 handshake, none was sent \(none was configured\), and it answered the request with HTTP 403 "Forbidden": it let the handshake complete without a certificate and refused the request at HTTP instead/);
    assert.match(v.hint ?? '', new RegExp(`^Probe with a client certificate \\(--cert and --key, or --pfx\\), issued under one of the CA names the server sent \\(${rootName}\\)\\. To confirm, name the stage's access-log group \\(aws\\.apiGateway\\.accessLogGroup\\): the stage's access-log record of x-amzn-RequestId ${requestId} carries \\$context\\.identity\\.clientCert\\.\\* and \\$context\\.error\\.message`));
    assert.doesNotMatch(`${v.summary} ${v.hint}`, /Possibly a WAF/);
  });

  test('one sent and refused: mtls apigateway_403_client_certificate_refused, the certificate and its issuer, the causes AWS names', () => {
    const v = classifyAttempt(facts({ certificate: leaf }, answer(403, httpApiHeaders)));
    assert.equal(v.stoppedAt, 'mtls');
    assert.equal(v.reason, 'apigateway_403_client_certificate_refused');
    assert.match(v.summary, /its answer carries apigw-requestid\) asked for a client certificate in the TLS 1\.2 handshake, the client sent CN=partner,O=Example \(issued by CN=Partners Issuing CA,O=Example\), and it answered HTTP 403 "Forbidden": it refused the certificate after the handshake\. AWS names the causes: an issuer not in the domain's trust store/);
    assert.match(v.hint ?? '', /^Check that CN=Partners Issuing CA,O=Example and every CA above it up to a root are in the trust store \(the domain's truststoreUri\) and that GetDomainName lists no truststoreWarnings for them\. .*access-log record of apigw-requestid WSg1ihmdliAEJXA= .* If AWS WAF is on the stage \(REST APIs\), its block is a 403 "Forbidden" too/);
  });

  test('a body that names the cause: the reason and the words say it', () => {
    const v = classifyAttempt(facts({ certificate: leaf }, answer(403, restHeaders, '{"message":"Access denied. Reason: Could not find issuer for certificate"}')));
    assert.equal(v.reason, 'apigateway_client_cert_untrusted');
    assert.match(v.summary, /answered HTTP 403 "Access denied\. Reason: Could not find issuer for certificate": API Gateway could not find the certificate's issuer in the domain's trust store\.$/);
  });
});

describe("API Gateway's 403 that is not the certificate's", () => {
  test('no CertificateRequest: mutual TLS is not on for the name; http apigateway_403_forbidden with the causes and where to read which', () => {
    const v = classifyAttempt(facts({ asked: false }, answer(403, restHeaders)));
    assert.equal(v.stoppedAt, 'http');
    assert.equal(v.reason, 'apigateway_403_forbidden');
    assert.match(v.summary, /^API Gateway answered HTTP 403 "Forbidden" \(its answer carries .*\); the TLS 1\.2 handshake asked for no client certificate, so mutual TLS is not on for this name \(or the request reached the API another way, e\.g\. its default execute-api endpoint\)\. The 403 is not mutual TLS's: it is API Gateway's own authorization/);
    assert.match(v.hint ?? '', new RegExp(`^The stage's access-log record of x-amzn-RequestId ${requestId} says which \\(\\$context\\.error\\.message, \\$context\\.error\\.responseType\\)\\.$`));
  });

  test('an error type that comes after mutual TLS (an unknown route): the certificate passed, the 403 is the route', () => {
    const headers = { ...restHeaders, 'x-amzn-errortype': 'MissingAuthenticationTokenException' };
    const v = classifyAttempt(facts({ certificate: leaf }, answer(403, headers, '{"message":"Missing Authentication Token"}'), { subject: leaf.subject, keyType: 'ec', curve: 'prime256v1', chainIssuers: [leaf.issuer], chainLength: 1 }));
    assert.equal(v.stoppedAt, 'http');
    assert.equal(v.reason, 'apigateway_403_forbidden');
    assert.match(v.summary, /the client sent CN=partner,O=Example\. Its x-amzn-ErrorType MissingAuthenticationTokenException says no resource and method match the request .*: a refusal after mutual TLS, not of the certificate\.$/);
  });
});

describe('every other 403 as it was', () => {
  test('x-amzn-RequestId alone, an ALB, a bare server: the same reasons and WAF hints as before', () => {
    const lone = classifyAttempt(facts({ certificate: leaf }, answer(403, { 'x-amzn-requestid': requestId })));
    assert.equal(lone.reason, 'http_403_forbidden');
    assert.match(lone.hint ?? '', /Possibly a WAF block/);
    const alb = classifyAttempt(facts({ certificate: null }, answer(403, { server: 'awselb/2.0' }, '<title>403 Forbidden</title>')));
    assert.equal(alb.reason, 'http_403_forbidden');
    const bare = classifyAttempt(facts({ certificate: null }, answer(403, {}, 'Request forbidden by administrative rules.')));
    assert.equal(bare.reason, 'http_403_no_client_certificate');
    assert.equal(bare.stoppedAt, 'http');
  });

  test('API Gateway asks only in the handshake: its TLS 1.3 403 is not retried over TLS 1.2 (another server\'s is)', () => {
    const tls13 = (headers: Record<string, string>): AttemptFacts => {
      const f = facts({ asked: false }, answer(403, headers));
      f.tls.version = 'TLSv1.3';
      f.tls.clientHello = { postHandshakeAuth: false } as ClientHelloFields;
      return { ...f, request: { method: 'GET', path: '/orders', t: 20 } };
    };
    assert.equal(refusalAfterRequest(tls13(restHeaders)), null);
    assert.deepEqual(refusalAfterRequest(tls13({})), { request: 'GET /orders', how: 'with HTTP 403' });
  });

  test('API Gateway answering 200 is the target answering', () => {
    const v = classifyAttempt(facts({ certificate: leaf }, answer(200, { 'x-amzn-requestid': requestId, 'x-amz-apigw-id': 'abc=' }, '{"ok":true}')));
    assert.deepEqual([v.stoppedAt, v.reason], [null, 'target_responded']);
  });
});

describe('an endpoint whose settings name an API Gateway custom domain', () => {
  const result = (verdictReason: string, status: number, certificateSent: boolean): ProbeResult => ({
    target: { url: 'https://api.example.com/orders', host: 'api.example.com', port: 443, serverName: 'api.example.com', address: '203.0.113.10', addresses: ['203.0.113.10'] },
    identity: certificateSent
      ? { label: 'partner', kind: 'pem', subject: leaf.subject, issuer: leaf.issuer, serialNumber: leaf.serialNumber, notBefore: leaf.notBefore, notAfter: leaf.notAfter, sha256: 'ab', chainLength: 1 }
      : null,
    timings: { dns: 1, tcp: 2, tls: 10, firstByte: 5, total: 30 },
    tls: { version: 'TLSv1.2', cipher: null, alpn: null, serverCertificates: [], certificateRequest: { signatureAlgorithms: [], authorities: [] }, clientCertificateSent: certificateSent, serverCertificateVerified: true },
    trace: [],
    http: answer(status, {}),
    correlationId: 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca',
    verdict: { stoppedAt: 'http', reason: verdictReason, summary: 'The request passed TLS and was refused with HTTP 403.', confidence: 'probe', hint: 'Possibly a WAF block.', evidence: [] },
    client: { address: '192.0.2.7', port: 54321 },
    startedAt: '2026-06-15T12:00:00.000Z',
    error: null,
  });

  test("a 403 the probe could not place becomes API Gateway's, saying the settings name it; others stay", () => {
    const refused = withConfiguredApiGateway(result('http_403_forbidden', 403, true)).verdict;
    assert.deepEqual([refused.stoppedAt, refused.reason, refused.confidence], ['mtls', 'apigateway_403_client_certificate_refused', 'probe']);
    assert.match(refused.summary, /^API Gateway \(a custom domain with mutual TLS: the endpoint's aws\.apiGateway settings name it\) asked for a client certificate in the TLS 1\.2 handshake, the client sent CN=partner,O=Example/);
    const none = withConfiguredApiGateway(result('http_403_no_client_certificate', 403, false)).verdict;
    assert.equal(none.reason, 'apigateway_403_no_client_certificate');
    assert.match(none.hint ?? '', /^Probe with a client certificate \(--cert and --key, or --pfx\) issued under a CA in the domain's trust store\. To confirm/);
    const other = result('http_404', 404, true);
    assert.equal(withConfiguredApiGateway(other), other);
  });
});
