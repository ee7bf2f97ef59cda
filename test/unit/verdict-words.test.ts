// The words of the probe's own verdict: each summary and hint says what was observed and a fix that can help.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CertificateSummary } from '../../src/core/certs/certificate-summary';
import { upgradeVerdict } from '../../src/core/evidence/correlate';
import type { EvidenceEvent, EvidenceKind, EvidenceMatch } from '../../src/core/evidence/types';
import type { HttpSummary, ProbeResult, Verdict } from '../../src/core/probe/types';
import { classifyAttempt, type AttemptFacts, type IdentityFacts } from '../../src/core/probe/verdict';
import { evaluateExpectation } from '../../src/core/expectations/evaluate';
import { formatSummary } from '../../src/core/report/curl-style';
import { verdictBanner } from '../../src/core/timeline/verdict-banner';
import type { CertificateFields, CertificateRequestFields } from '../../src/core/tls/handshake-messages';
import { KeyLog } from '../../src/core/tls/key-log';
import { TlsSessionDecoder } from '../../src/core/tls/session-decoder';

const day = 86_400_000;
const at = Date.parse('2026-06-15T12:00:00.000Z');

function cert(subject: string, issuer: string, extra: Partial<CertificateSummary> = {}): CertificateSummary {
  return {
    subject,
    issuer,
    serialNumber: '01',
    notBefore: new Date(at - 100 * day).toISOString(),
    notAfter: new Date(at + 100 * day).toISOString(),
    subjectAltNames: [],
    publicKey: 'EC prime256v1',
    isCA: false,
    selfIssued: subject === issuer,
    sha256: 'ab',
    derLength: 500,
    ...extra,
  };
}

function certificates(list: CertificateSummary[]): CertificateFields {
  return { empty: list.length === 0, count: list.length, certificates: list, unparsable: 0 };
}

const rootName = 'CN=Example Root CA,O=Example';
const intermediateName = 'CN=Example Intermediate CA,O=Example';
const p256: IdentityFacts = { subject: 'CN=partner,O=Example', keyType: 'ec', curve: 'prime256v1', chainIssuers: [intermediateName], chainLength: 1 };
const rsa: IdentityFacts = { subject: 'CN=partner,O=Example', keyType: 'rsa', chainIssuers: [intermediateName], chainLength: 1 };
const rsaOnly: CertificateRequestFields = { signatureAlgorithms: ['rsa_pkcs1_sha256', 'rsa_pss_rsae_sha256'], authorities: [rootName] };

interface SessionShape {
  version?: 'TLSv1.2' | 'TLSv1.3';
  request?: CertificateRequestFields | null;
  clientCertificate?: CertificateFields | null;
  serverCertificate?: CertificateFields | null;
  alert?: { description: string; code: number; encrypted?: boolean };
}

function facts(shape: SessionShape, overrides: Partial<AttemptFacts> = {}): AttemptFacts {
  const tls = new TlsSessionDecoder(new KeyLog(), () => undefined).state;
  tls.version = shape.version ?? 'TLSv1.3';
  tls.certificateRequest = shape.request ?? null;
  tls.clientCertificate = shape.clientCertificate ?? null;
  tls.serverCertificate = shape.serverCertificate ?? null;
  if (tls.clientCertificate !== null) tls.handshakes.push({ dir: 'out', t: 5, type: 11, name: 'Certificate', encrypted: tls.version === 'TLSv1.3' });
  if (shape.alert) tls.alerts.push({ dir: 'in', t: 6, level: 'fatal', description: shape.alert.description, code: shape.alert.code, encrypted: shape.alert.encrypted ?? false, version: tls.version });
  return { failedPhase: null, errorCode: null, errorMessage: null, timedOut: false, tls, peerClose: null, secureConnected: true, http: null, handshakeOnly: false, bytesIn: 100, at, ...overrides };
}

function http(status: number, headers: Record<string, string> = {}, bodyPreview = ''): HttpSummary {
  return { status, httpVersion: 'HTTP/1.1', headers, bodyPreview, bodyBytes: bodyPreview.length };
}

const allWords = (v: Verdict): string => `${v.summary} ${v.hint ?? ''}`;

describe('a configured client certificate that was not sent', () => {
  test('TLS 1.3: the request accepts RSA signatures only and the key is ECDSA P-256', () => {
    const v = classifyAttempt(facts({ request: rsaOnly, clientCertificate: certificates([]), alert: { description: 'certificate_required', code: 116, encrypted: true } }, { identity: p256 }));
    assert.equal(v.stoppedAt, 'mtls');
    assert.equal(v.reason, 'alert_certificate_required');
    assert.match(v.summary, /the configured one \(CN=partner,O=Example\) was not sent\. Its key is ECDSA P-256, but the server's CertificateRequest accepts only RSA signatures \(rsa_pkcs1_sha256, rsa_pss_rsae_sha256\)/);
    assert.match(v.hint ?? '', /^Use an identity with a key the server accepts \(RSA\), or ask the server's operator to accept ECDSA P-256 signatures \(ecdsa_secp256r1_sha256\) for client certificates\.$/);
    assert.doesNotMatch(allWords(v), /CA name/);
  });

  test('TLS 1.3 binds the curve: a P-256 key is not sent for ecdsa_secp384r1_sha384 alone', () => {
    const request = { signatureAlgorithms: ['ecdsa_secp384r1_sha384'], authorities: [] };
    const v = classifyAttempt(facts({ request, clientCertificate: certificates([]), alert: { description: 'certificate_required', code: 116, encrypted: true } }, { identity: p256 }));
    assert.match(v.summary, /accepts only ECDSA P-384 signatures \(ecdsa_secp384r1_sha384\); in TLS 1\.3 an ECDSA signature algorithm names its curve/);
  });

  test('TLS 1.2 does not bind the curve: ecdsa_secp384r1_sha384 fits a P-256 key, so only the observation is said', () => {
    const request = { certificateTypes: ['ecdsa_sign'], signatureAlgorithms: ['ecdsa_secp384r1_sha384'], authorities: [] };
    const v = classifyAttempt(facts({ version: 'TLSv1.2', request, clientCertificate: certificates([]), alert: { description: 'handshake_failure', code: 40 } }, { identity: p256 }));
    assert.equal(v.reason, 'alert_handshake_failure');
    assert.match(v.summary, /allows its key type \(ECDSA P-256\), yet the client sent none: the handshake does not show why\./);
    assert.equal(v.hint, undefined);
  });

  test('TLS 1.2: certificate types that exclude the key', () => {
    const request = { certificateTypes: ['rsa_sign'], signatureAlgorithms: ['rsa_pkcs1_sha256', 'ecdsa_secp256r1_sha256'], authorities: [] };
    const v = classifyAttempt(facts({ version: 'TLSv1.2', request, clientCertificate: certificates([]), alert: { description: 'handshake_failure', code: 40 } }, { identity: p256 }));
    assert.match(v.summary, /allows only the certificate types rsa_sign \(not ecdsa_sign\)/);
    assert.match(v.hint ?? '', /accept ecdsa_sign \(ECDSA P-256\) client certificates/);
  });

  test('TLS 1.3 has no PKCS#1 signatures for a client: an RSA key is not sent for rsa_pkcs1_sha256 alone', () => {
    const request = { signatureAlgorithms: ['rsa_pkcs1_sha256'], authorities: [] };
    const v = classifyAttempt(facts({ request, clientCertificate: certificates([]), alert: { description: 'certificate_required', code: 116, encrypted: true } }, { identity: rsa }));
    assert.match(v.summary, /Its key is RSA, but none of the signature algorithms in the server's CertificateRequest \(rsa_pkcs1_sha256\) can sign with it in TLS 1\.3/);
    assert.match(v.hint ?? '', /ask the server's operator to accept RSA signatures \(rsa_pss_rsae_sha256\) for client certificates/);
  });

  test('a server that lets the request through without it: the verdict stands, a hint says why the certificate was not sent', () => {
    const v = classifyAttempt(facts({ request: rsaOnly, clientCertificate: certificates([]) }, { identity: p256, http: http(200) }));
    assert.equal(v.reason, 'target_responded');
    assert.equal(v.summary, 'The request passed every layer: HTTP 200 from the target.');
    assert.match(v.hint ?? '', /^The server asked for a client certificate and the configured one \(CN=partner,O=Example\) was not sent\. Its key is ECDSA P-256/);
  });

  test('none configured: the summary says so and the hint names the CAs to get one from', () => {
    const v = classifyAttempt(facts({ request: rsaOnly, clientCertificate: certificates([]), alert: { description: 'certificate_required', code: 116, encrypted: true } }, { identity: null }));
    assert.match(v.summary, /it asked for a client certificate and none was sent \(none was configured\)\.$/);
    assert.equal(v.hint, `Probe with a client certificate (--cert and --key, or --pfx), issued under one of the CA names the server sent (${rootName}).`);
  });
});

describe('a 403 after the server asked for a client certificate', () => {
  const asked = { request: rsaOnly, clientCertificate: certificates([]) };

  test('none sent, none configured: http_403_no_client_certificate, no WAF hint', () => {
    const v = classifyAttempt(facts(asked, { identity: null, http: http(403, {}, 'Request forbidden by administrative rules.') }));
    assert.equal(v.stoppedAt, 'http');
    assert.equal(v.reason, 'http_403_no_client_certificate');
    assert.match(v.summary, /^The server asked for a client certificate in the handshake, none was sent \(none was configured\), and it answered the request with HTTP 403/);
    assert.match(v.hint ?? '', /^Probe with a client certificate/);
    assert.doesNotMatch(v.hint ?? '', /Possibly a WAF/);
  });

  test('configured but excluded by the request: the 403 says why the certificate was not sent', () => {
    const v = classifyAttempt(facts(asked, { identity: p256, http: http(403) }));
    assert.equal(v.reason, 'http_403_no_client_certificate');
    assert.match(v.summary, /the configured one \(CN=partner,O=Example\) was not sent, and it answered .* Its key is ECDSA P-256/);
    assert.match(v.hint ?? '', /^Use an identity with a key the server accepts \(RSA\)/);
  });

  test('a 403 from a load balancer with a WAF keeps the WAF hint', () => {
    const v = classifyAttempt(facts(asked, { identity: null, http: http(403, { server: 'awselb/2.0' }, '<title>403 Forbidden</title>') }));
    assert.equal(v.reason, 'http_403_forbidden');
    assert.match(v.hint ?? '', /Possibly a WAF block/);
  });

  test('no CertificateRequest, or a certificate was sent: http_403_forbidden with the WAF hint', () => {
    for (const shape of [{}, { request: rsaOnly, clientCertificate: certificates([cert('CN=partner', intermediateName)]) }]) {
      const v = classifyAttempt(facts(shape, { identity: null, http: http(403) }));
      assert.equal(v.reason, 'http_403_forbidden');
      assert.match(v.hint ?? '', /Possibly a WAF block/);
    }
  });
});

describe('a certificate sent without its intermediate', () => {
  const leaf = cert('CN=partner,O=Example', intermediateName);

  test('its issuer is not among the CA names: the intermediate or another CA, both said, with the chain file', () => {
    const v = classifyAttempt(facts({ request: rsaOnly, clientCertificate: certificates([leaf]), alert: { description: 'unknown_ca', code: 48 } }));
    assert.equal(v.reason, 'alert_unknown_ca');
    assert.match(v.summary, /issued by CN=Example Intermediate CA,O=Example\) with no CA certificate after it\.$/);
    assert.match(v.hint ?? '', /its issuer CN=Example Intermediate CA,O=Example is not among the CA names the server accepts \(CN=Example Root CA,O=Example\)/);
    assert.match(v.hint ?? '', /--cert chain\.pem; `pki generate` writes NAME\.chain\.pem/);
    assert.match(v.hint ?? '', /Otherwise this server does not trust that CA/);
  });

  test('no hint when the CA names include its issuer, or when the chain was sent', () => {
    const named = { ...rsaOnly, authorities: [intermediateName.replace(',', ', ')] };
    assert.equal(classifyAttempt(facts({ request: named, clientCertificate: certificates([leaf]), alert: { description: 'unknown_ca', code: 48 } })).hint, undefined);
    const chain = certificates([leaf, cert(intermediateName, rootName, { isCA: true })]);
    assert.equal(classifyAttempt(facts({ request: rsaOnly, clientCertificate: chain, alert: { description: 'unknown_ca', code: 48 } })).hint, undefined);
  });

  test('without CA names, an unknown_ca refusal still names the intermediate as one possibility', () => {
    const v = classifyAttempt(facts({ request: { ...rsaOnly, authorities: [] }, clientCertificate: certificates([leaf]), alert: { description: 'unknown_ca', code: 48 } }));
    assert.match(v.hint ?? '', /the server advertised no CA names\. If CN=Example Intermediate CA,O=Example is an intermediate CA/);
    const expired = classifyAttempt(facts({ request: { ...rsaOnly, authorities: [] }, clientCertificate: certificates([leaf]), alert: { description: 'certificate_expired', code: 45 } }));
    assert.equal(expired.hint, undefined);
  });
});

describe("the server's certificate", () => {
  const names = ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1'];
  const serverLeaf = cert('CN=localhost,O=Example', rootName, { subjectAltNames: names });
  const refused = (code: string, chain: CertificateSummary[], overrides: Partial<AttemptFacts> = {}): Verdict =>
    classifyAttempt(facts({ serverCertificate: certificates(chain) }, { failedPhase: 'tls', errorCode: code, secureConnected: false, ...overrides }));
  const target = (url: string, serverName: string | null, serverNameGiven = false): AttemptFacts['target'] => {
    const u = new URL(url);
    return { url, host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port), serverName, serverNameGiven, address: '127.0.0.1' };
  };

  test('another host name: the names it holds and the name checked, fixes that keep the name, never --cacert', () => {
    const v = refused('ERR_TLS_CERT_ALTNAME_INVALID', [serverLeaf], { target: target('https://api.example.test:8443/health', 'api.example.test') });
    assert.equal(v.reason, 'server_name_mismatch');
    assert.equal(v.summary, "The client refused the server: its certificate CN=localhost,O=Example is for localhost, 127.0.0.1, ::1, not for api.example.test (the URL's host, the name checked; ERR_TLS_CERT_ALTNAME_INVALID).");
    assert.match(v.hint ?? '', /If the URL is right, the server at 127\.0\.0\.1 does not serve api\.example\.test/);
    assert.match(v.hint ?? '', /https:\/\/localhost:8443\/health --resolve localhost:8443:127\.0\.0\.1 \(or --connect-to localhost:8443:127\.0\.0\.1:8443\)/);
    assert.match(v.hint ?? '', /-k skips this check/);
    assert.doesNotMatch(allWords(v), /--cacert/);
  });

  test('an IP literal sends no SNI; a --sni name is checked instead of the URL host', () => {
    const ip = refused('ERR_TLS_CERT_ALTNAME_INVALID', [serverLeaf], { target: target('https://127.0.0.2:8443/', null) });
    assert.match(ip.hint ?? '', /^No SNI was sent \(the URL's host is an IP address\)/);
    const sni = refused('ERR_TLS_CERT_ALTNAME_INVALID', [serverLeaf], { target: target('https://localhost:8443/', 'api.example.test', true) });
    assert.match(sni.summary, /not for api\.example\.test \(the name given with --sni, the name checked;/);
    assert.match(sni.hint ?? '', /^The name checked is the one given with --sni \(api\.example\.test\)\. The certificate holds the URL's host: leave --sni out/);
    const wildcard = refused('ERR_TLS_CERT_ALTNAME_INVALID', [cert('CN=*.example.com', rootName, { subjectAltNames: ['DNS:*.example.com'] })], { target: target('https://example.org:443/', 'example.org') });
    assert.match(wildcard.hint ?? '', /probe it by a name under example\.com \(its certificate holds \*\.example\.com\)/);
  });

  test('expired: when, how long ago, and that its operator must renew it; no --cacert', () => {
    const expired = cert('CN=localhost,O=Example', rootName, { notBefore: new Date(at - 400 * day).toISOString(), notAfter: new Date(at - 3 * day).toISOString() });
    const v = refused('CERT_HAS_EXPIRED', [expired]);
    assert.equal(v.reason, 'server_certificate_expired');
    assert.equal(v.summary, 'The client refused the server: its certificate CN=localhost,O=Example expired on 2026-06-12 12:00 UTC, 3 days ago (CERT_HAS_EXPIRED).');
    assert.match(v.hint ?? '', /^Only the server's operator can fix this, by renewing the certificate/);
    assert.doesNotMatch(allWords(v), /--cacert/);
    const intermediate = cert(intermediateName, rootName, { isCA: true, notAfter: new Date(at - 5 * 3_600_000).toISOString() });
    assert.match(refused('CERT_HAS_EXPIRED', [serverLeaf, intermediate]).summary, /the CA certificate CN=Example Intermediate CA,O=Example in its chain expired on .*, 5 hours ago/);
  });

  test('not yet valid: from when, and the clock as a possible cause', () => {
    const early = cert('CN=localhost,O=Example', rootName, { notBefore: new Date(at + 2 * day).toISOString() });
    const v = refused('CERT_NOT_YET_VALID', [early]);
    assert.equal(v.reason, 'server_certificate_not_yet_valid');
    assert.match(v.summary, /is not valid until 2026-06-17 12:00 UTC, in 2 days \(CERT_NOT_YET_VALID\)/);
    assert.match(v.hint ?? '', /this machine's clock is behind \(it reads 2026-06-15 12:00 UTC\)/);
    assert.doesNotMatch(allWords(v), /--cacert/);
  });

  test('untrusted keeps the --cacert advice and names the issuer that was not trusted', () => {
    const v = refused('UNABLE_TO_VERIFY_LEAF_SIGNATURE', [serverLeaf], { trust: 'system' });
    assert.equal(v.reason, 'server_certificate_untrusted');
    assert.match(v.summary, /its certificate CN=localhost,O=Example was issued by CN=Example Root CA,O=Example, which is not among the system's trusted CAs/);
    assert.match(v.hint ?? '', /^Pass the certificate of CN=Example Root CA,O=Example with --cacert FILE/);
    const selfSigned = refused('DEPTH_ZERO_SELF_SIGNED_CERT', [cert('CN=localhost', 'CN=localhost')], { trust: 'cacert' });
    assert.match(selfSigned.summary, /its certificate CN=localhost is self-signed, which is not among the CAs the probe was given \(--cacert\)/);
  });
});

describe('handshake only, and the text output', () => {
  function result(verdict: Verdict, status: number | null): ProbeResult {
    return {
      target: { url: 'https://localhost:8443/', host: 'localhost', port: 8443, serverName: 'localhost', address: '127.0.0.1', addresses: ['127.0.0.1'] },
      identity: null,
      timings: { dns: 0.4, tcp: 0.3, tls: 8.1, firstByte: status === null ? null : 6.2, total: 16 },
      tls: { version: 'TLSv1.3', cipher: null, alpn: null, serverCertificates: [], certificateRequest: null, clientCertificateSent: false, serverCertificateVerified: true },
      trace: [],
      http: status === null ? null : http(status),
      correlationId: 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca',
      verdict,
      client: { address: '127.0.0.1', port: 50000 },
      startedAt: '2026-06-15T12:00:00.000Z',
      error: null,
    };
  }

  test('a handshake-only success says the handshake completed and that no request was sent', () => {
    const v = classifyAttempt(facts({}, { handshakeOnly: true, identity: null }));
    assert.equal(v.stoppedAt, null);
    assert.equal(v.reason, 'handshake_completed');
    assert.equal(v.summary, 'The TLS 1.3 handshake completed (the server did not ask for a client certificate) and no request was sent (--handshake-only): how the server answers a request is not known.');
    const lines = formatSummary(result(v, null));
    assert.ok(lines.includes('Verdict: passed the TLS handshake (no request was sent) — handshake_completed'), lines.join('\n'));
    assert.ok(!lines.some((l) => /the application answered/.test(l)), lines.join('\n'));
  });

  test("a handshake-only success keeps the timeline's headline, and does not meet a \"target\" expectation", () => {
    const handshake = result(classifyAttempt(facts({}, { handshakeOnly: true, identity: null })), null);
    const banner = verdictBanner({ id: 'r1', endpointName: 'local', identityName: 'none', startedAt: handshake.startedAt, result: handshake, verdict: handshake.verdict, collectingEvidence: false });
    assert.equal(banner.headline, 'Passed: the TLS handshake completed (no request was sent)');
    assert.equal(banner.wafReach, undefined);
    assert.equal(evaluateExpectation({ kind: 'target' }, handshake).passed, false);
  });

  test('timings are named as the per-phase durations they are', () => {
    const lines = formatSummary(result(classifyAttempt(facts({}, { http: http(200) })), 200));
    assert.ok(lines.includes("Timings (each phase's own duration): DNS 0.4 ms · TCP connect 0.3 ms · TLS handshake 8.1 ms · request to first byte 6.2 ms · total 16.0 ms"), lines.join('\n'));
    assert.ok(lines.includes('Verdict: passed (the application answered) — target_responded'));
  });
});

describe('evidence still confirms and upgrades the new verdicts', () => {
  const traceId = 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca';
  const byTrace: EvidenceMatch[] = [{ key: 'traceId', value: traceId }];
  const event = (kind: EvidenceKind, record: Record<string, unknown>): EvidenceEvent => ({ time: '2026-06-15T12:00:01.000Z', lane: kind === 'waf-log' ? 'waf' : 'load-balancer', kind, summary: kind, matchedBy: byTrace, origin: { file: `${kind}.log`, line: 1 }, record });
  const forbidden = (): ProbeResult => ({
    target: { url: 'https://api.example.com/', host: 'api.example.com', port: 443, serverName: 'api.example.com', address: '203.0.113.10', addresses: ['203.0.113.10'] },
    identity: null,
    timings: { dns: 1, tcp: 2, tls: 10, firstByte: 5, total: 30 },
    tls: { version: 'TLSv1.3', cipher: null, alpn: null, serverCertificates: [], certificateRequest: { signatureAlgorithms: [], authorities: [] }, clientCertificateSent: false, serverCertificateVerified: true },
    trace: [],
    http: http(403),
    correlationId: traceId,
    verdict: classifyAttempt(facts({ request: rsaOnly, clientCertificate: certificates([]) }, { identity: null, http: http(403) })),
    client: { address: '192.0.2.7', port: 54321 },
    startedAt: '2026-06-15T12:00:00.000Z',
    error: null,
  });

  test('http_403_no_client_certificate: a WAF record of the block makes it waf; an access-log 403 confirms it', () => {
    assert.equal(forbidden().verdict.reason, 'http_403_no_client_certificate');
    const blocked = upgradeVerdict(forbidden(), [event('waf-log', { action: 'BLOCK', terminatingRuleId: 'RequireClientCert', httpRequest: { requestId: traceId } })]);
    assert.deepEqual([blocked.stoppedAt, blocked.reason, blocked.confidence], ['waf', 'aws_waf_block', 'confirmed']);
    const answered = upgradeVerdict(forbidden(), [event('alb-access-log', { trace_id: traceId, actions_executed: ['forward'], elb_status_code: 403, target_status_code: 403 })]);
    assert.deepEqual([answered.stoppedAt, answered.reason, answered.confidence], ['http', 'http_403_no_client_certificate', 'confirmed']);
  });
});
