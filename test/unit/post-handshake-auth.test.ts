// When the probe retries over TLS 1.2, and how the words read: the conditions of a refusal that a certificate asked
// for after the handshake would explain, the renegotiation found in a TLS 1.2 session, and the first attempt's
// verdict worded with what the retry showed. Real servers (Apache httpd, Caddy) are in
// test/integration/post-handshake-certificates.test.ts; these pin each condition on its own.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refusalAfterRequest, verdictWithFallback, fallbackOptions } from '../../src/core/probe/post-handshake-auth';
import { renegotiationOf } from '../../src/core/probe/renegotiation';
import type { HttpSummary, ProbeResult, Verdict } from '../../src/core/probe/types';
import { classifyAttempt, type AttemptFacts } from '../../src/core/probe/verdict';
import { KeyLog } from '../../src/core/tls/key-log';
import { HandshakeType } from '../../src/core/tls/registry';
import { TlsSessionDecoder, type TlsSessionState } from '../../src/core/tls/session-decoder';
import type { ClientHelloFields } from '../../src/core/tls/handshake-messages';

const request = { method: 'GET', path: '/secure/', t: 10 };

function state(version: 'TLSv1.2' | 'TLSv1.3', more: Partial<TlsSessionState> = {}): TlsSessionState {
  const s = new TlsSessionDecoder(new KeyLog(), () => undefined).state;
  return { ...s, version, clientHello: { postHandshakeAuth: false } as ClientHelloFields, ...more };
}

function http(status: number, headers: HttpSummary['headers'] = {}): HttpSummary {
  return { status, httpVersion: 'HTTP/1.1', headers, bodyPreview: '', bodyBytes: 0 };
}

function facts(tls: TlsSessionState, more: Partial<AttemptFacts> = {}): AttemptFacts {
  return { failedPhase: null, errorCode: null, errorMessage: null, timedOut: false, tls, peerClose: null, secureConnected: true, http: http(403), handshakeOnly: false, request, bytesIn: 100, identity: null, ...more };
}

const certificateRequest = { signatureAlgorithms: ['ecdsa_secp256r1_sha256'], authorities: [] } as unknown as TlsSessionState['certificateRequest'];
const hs = (dir: 'in' | 'out', t: number, type: number): TlsSessionState['handshakes'][number] => ({ dir, t, type, name: String(type), encrypted: true });

describe('a refusal after the request that a certificate asked after the handshake would explain', () => {
  test('TLS 1.3, HTTP 403 or 401, no CertificateRequest, post_handshake_auth not offered', () => {
    assert.deepEqual(refusalAfterRequest(facts(state('TLSv1.3'))), { request: 'GET /secure/', how: 'with HTTP 403' });
    assert.equal(refusalAfterRequest(facts(state('TLSv1.3'), { http: http(401) }))?.how, 'with HTTP 401');
  });
  test('an alert or a close once the request was sent, and not before it', () => {
    const alert = { dir: 'in' as const, t: 12, level: 'fatal', description: 'access_denied', code: 49, encrypted: true };
    assert.match(refusalAfterRequest(facts(state('TLSv1.3', { alerts: [alert] as TlsSessionState['alerts'] }), { http: null }))?.how ?? '', /access_denied alert \(49\)/);
    assert.match(refusalAfterRequest(facts(state('TLSv1.3'), { http: null, peerClose: { kind: 'reset', t: 11, phase: 'after the request' } }))?.how ?? '', /RST/);
    assert.equal(refusalAfterRequest(facts(state('TLSv1.3'), { http: null, peerClose: { kind: 'fin', t: 5, phase: 'x' } })), null);
  });
  test('not when it cannot be this: TLS 1.2, a CertificateRequest in the handshake, the extension offered, no request, another answer', () => {
    assert.equal(refusalAfterRequest(facts(state('TLSv1.2'))), null);
    assert.equal(refusalAfterRequest(facts(state('TLSv1.3', { certificateRequest }))), null);
    assert.equal(refusalAfterRequest(facts(state('TLSv1.3', { clientHello: { postHandshakeAuth: true } as ClientHelloFields }))), null);
    assert.equal(refusalAfterRequest(facts(state('TLSv1.3'), { request: null, handshakeOnly: true, http: null })), null);
    assert.equal(refusalAfterRequest(facts(state('TLSv1.3'), { http: http(404) })), null);
  });
  test('not for fronts that ask only in the handshake (ALB, CloudFront): their 403 is theirs', () => {
    assert.equal(refusalAfterRequest(facts(state('TLSv1.3'), { http: http(403, { server: 'awselb/2.0' }) })), null);
    assert.equal(refusalAfterRequest(facts(state('TLSv1.3'), { http: http(403, { server: 'CloudFront' }) })), null);
  });
  test('the retry is the same request with TLS 1.2 at most and a correlation id of its own', () => {
    const retry = fallbackOptions({ url: 'https://x/secure/', correlationId: 'Root=1-1-1', tlsMinVersion: 'TLSv1.2', method: 'POST' });
    assert.deepEqual(retry, { url: 'https://x/secure/', tlsMinVersion: 'TLSv1.2', tlsMaxVersion: 'TLSv1.2', method: 'POST' });
  });
});

describe('a TLS 1.2 renegotiation', () => {
  const renegotiated = state('TLSv1.2', { handshakes: [hs('in', 2, HandshakeType.ServerHello), hs('in', 12, HandshakeType.HelloRequest), hs('in', 14, HandshakeType.CertificateRequest)], certificateRequest });
  test('is found by its HelloRequest, after the request, asking for a certificate when its handshake did', () => {
    assert.deepEqual(renegotiationOf(renegotiated, request), { t: 12, after: 'GET /secure/', askedForCertificate: true });
    assert.equal(renegotiationOf(state('TLSv1.2', { handshakes: [hs('in', 12, HandshakeType.HelloRequest)] }), request)?.askedForCertificate, false);
    assert.equal(renegotiationOf(state('TLSv1.2'), request), null);
    assert.equal(renegotiationOf(state('TLSv1.3', { handshakes: [hs('in', 12, HandshakeType.HelloRequest)] }), request), null);
  });
  test('is named where the alert that refused the certificate came', () => {
    const alert = { dir: 'in' as const, t: 16, level: 'fatal', description: 'handshake_failure', code: 40, encrypted: true };
    const tls = { ...renegotiated, handshakes: [...renegotiated.handshakes, hs('out', 15, HandshakeType.Certificate)], clientCertificate: { empty: true, certificates: [] } as unknown as TlsSessionState['clientCertificate'], alerts: [alert] as TlsSessionState['alerts'] };
    const v = classifyAttempt(facts(tls, { http: null, failedPhase: 'http' }));
    assert.equal(v.stoppedAt, 'mtls');
    assert.equal(v.reason, 'alert_handshake_failure');
    assert.match(v.summary, /in the renegotiation it started after the request for GET \/secure\/ \(the first TLS 1\.2 handshake had asked for no certificate\)/);
    assert.doesNotMatch(v.summary, /had completed on the client's side/);
  });
  test('is named in a success too, with the certificate the server accepted', () => {
    const leaf = { subject: 'CN=valid client', issuer: 'CN=CA' };
    const tls = { ...renegotiated, clientCertificate: { empty: false, certificates: [leaf] } as unknown as TlsSessionState['clientCertificate'] };
    const v = classifyAttempt(facts(tls, { http: http(200) }));
    assert.equal(v.reason, 'target_responded');
    assert.match(v.summary, /The server renegotiated after the request for GET \/secure\/ and asked for a client certificate: the client sent CN=valid client, and the server accepted it\./);
  });
});

describe("the first attempt's verdict, worded with the TLS 1.2 retry", () => {
  const first: Verdict = { stoppedAt: 'http', reason: 'http_403_forbidden', summary: 'The request passed TLS and was refused with HTTP 403.', hint: 'Possibly a WAF block.', confidence: 'probe', evidence: [] };
  const refusal = { request: 'GET /secure/', how: 'with HTTP 403' };
  const renegotiated = state('TLSv1.2', { handshakes: [hs('in', 12, HandshakeType.HelloRequest), hs('in', 14, HandshakeType.CertificateRequest)], certificateRequest });
  function retry(tls: TlsSessionState, verdict: Partial<Verdict>, status: number | null, sent: boolean): { result: ProbeResult; facts: AttemptFacts } {
    const leaf = { subject: 'CN=valid client', issuer: 'CN=CA' };
    const withCertificate = { ...tls, clientCertificate: { empty: !sent, certificates: sent ? [leaf] : [] } as unknown as TlsSessionState['clientCertificate'] };
    const result = { tls: { version: tls.version, clientCertificateSent: sent }, http: status === null ? null : http(status), verdict: { ...first, ...verdict } } as unknown as ProbeResult;
    return { result, facts: facts(withCertificate, { http: result.http }) };
  }
  test('the retry renegotiated and the certificate was accepted: mtls, post_handshake_auth_required, no WAF', () => {
    const v = verdictWithFallback(first, refusal, retry(renegotiated, { stoppedAt: null, reason: 'target_responded', hint: undefined }, 200, true));
    assert.equal(v.stoppedAt, 'mtls');
    assert.equal(v.reason, 'post_handshake_auth_required');
    assert.match(v.summary, /post-handshake authentication/);
    assert.match(v.summary, /Over TLS 1\.2 the server renegotiated after the request for GET \/secure\/ and asked for a client certificate: the client sent CN=valid client, and the server accepted it \(HTTP 200\)\./);
    assert.doesNotMatch(`${v.summary} ${v.hint}`, /WAF/);
  });
  test('the retry renegotiated and refused the certificate: the refusal and its hint are the retry\'s', () => {
    const v = verdictWithFallback(first, refusal, retry(renegotiated, { stoppedAt: 'mtls', reason: 'alert_unknown_ca', hint: 'Send the intermediate.' }, null, true));
    assert.equal(v.reason, 'post_handshake_auth_required');
    assert.match(v.summary, /the server refused it \(alert_unknown_ca\)/);
    assert.equal(v.hint, 'Send the intermediate.');
  });
  test('the retry got the same 403 without being asked: the first verdict stands, and says so', () => {
    const v = verdictWithFallback(first, refusal, retry(state('TLSv1.2'), {}, 403, false));
    assert.equal(v.reason, 'http_403_forbidden');
    assert.equal(v.hint, first.hint);
    assert.match(v.summary, /A retry over TLS 1\.2 got HTTP 403, and the server did not ask for a client certificate there/);
  });
  test('the retry could not tell (TLS 1.2 refused), or was not made: post_handshake_auth_possible, saying what was seen', () => {
    const refused = retry(state('TLSv1.3'), { stoppedAt: 'tls', reason: 'alert_protocol_version', summary: 'The server does not support the offered TLS versions.' }, null, false);
    refused.result.tls.version = null;
    const v = verdictWithFallback(first, refusal, refused);
    assert.deepEqual([v.stoppedAt, v.reason], ['http', 'post_handshake_auth_possible']);
    assert.match(v.summary, /could not tell, as it stopped at tls \(alert_protocol_version\)/);
    const notMade = verdictWithFallback(first, refusal, null, 'the lowest TLS version allowed is 1.3 (--tls-min 1.3)');
    assert.match(notMade.summary, /was not made: the lowest TLS version allowed is 1\.3/);
    for (const w of [v, notMade]) assert.doesNotMatch(`${w.summary} ${w.hint}`, /WAF/);
  });
});
