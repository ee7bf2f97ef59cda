// A CloudFront connection-log record and the probe's verdict: Failed:<code> confirms an mTLS stop with CloudFront's
// own reason, worded with what the probe observed (CloudFront does not document alert vs reset); Success says the
// handshake passed at the edge. And the CloudFront-Viewer-Cert-* headers an origin echoes, decoded.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cloudFrontFailureCodes, cloudFrontReason } from '../../src/core/evidence/cloudfront-verdict';
import { describeEvidence, upgradeVerdict } from '../../src/core/evidence/correlate';
import type { EvidenceEvent, EvidenceMatch } from '../../src/core/evidence/types';
import { decodeMtlsHeaders, mtlsHeaderName } from '../../src/core/probe/mtls-headers';
import type { Layer, ProbeResult, Verdict } from '../../src/core/probe/types';
import type { TraceEvent } from '../../src/core/trace';
import { probeResultFixture } from '../support/probe-results';

const serial = 'B143ED93D2D8F39D';
const clientPort = 54321;

function probeResult(verdict: Partial<Verdict> & { stoppedAt: Layer | null; reason: string }, trace: TraceEvent[], status: number | null = null, withIdentity = true): ProbeResult {
  return probeResultFixture({ verdict, status, serial: withIdentity ? serial : null, clientPort, trace, host: 'd111111abcdef8.cloudfront.net', serverAddress: '99.84.71.136' });
}

const alertTrace: TraceEvent[] = [{ t: 12, dir: 'in', layer: 'tls', event: 'alert', detail: { level: 'fatal', description: 'unknown_ca', code: 48, encrypted: true } }];
const resetTrace: TraceEvent[] = [{ t: 12, dir: 'in', layer: 'tcp', event: 'reset', detail: { phase: 'after the client certificate' } }];
const refusedByAlert = (withIdentity = true): ProbeResult => probeResult({ stoppedAt: 'mtls', reason: 'alert_unknown_ca' }, alertTrace, null, withIdentity);
const refusedByReset = (): ProbeResult => probeResult({ stoppedAt: 'mtls', reason: 'reset_after_client_certificate' }, resetTrace);

const byPort: EvidenceMatch[] = [{ key: 'clientIp', value: '192.0.2.7' }, { key: 'clientPort', value: String(clientPort) }];

function connection(status: string, extra: Record<string, unknown> = {}, matchedBy = byPort): EvidenceEvent {
  return {
    time: '2024-05-01T10:00:01.000Z',
    lane: 'load-balancer',
    kind: 'cloudfront-connection-log',
    summary: `CloudFront connection log: connectionStatus ${status}`,
    matchedBy,
    origin: { resource: 'CloudWatch Logs cf-connections (us-east-1)' },
    record: { eventTimestamp: 1714557601000, connectionId: 'oLHiEKbQ==', connectionStatus: status, clientIp: '192.0.2.7', clientPort, clientLeafCertSerialNumber: '00:b1:43:ed:93:d2:d8:f3:9d', connectionLogCustomData: null, ...extra },
  };
}

describe('CloudFront reason codes', () => {
  test('one per documented Failed: code, and connection_function_denied', () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(cloudFrontFailureCodes).map(([code, f]) => [code, f.reason])),
      {
        ClientCertMaxChainDepthExceeded: 'cloudfront_client_cert_max_chain_depth_exceeded',
        ClientCertMaxSizeExceeded: 'cloudfront_client_cert_max_size_exceeded',
        ClientCertUntrusted: 'cloudfront_client_cert_untrusted',
        ClientCertNotYetValid: 'cloudfront_client_cert_not_yet_valid',
        ClientCertExpired: 'cloudfront_client_cert_expired',
        ClientCertTypeUnsupported: 'cloudfront_client_cert_type_unsupported',
        ClientCertInvalid: 'cloudfront_client_cert_invalid',
        ClientCertIntentInvalid: 'cloudfront_client_cert_intent_invalid',
        ClientCertRejected: 'cloudfront_client_cert_rejected',
        ClientCertMissing: 'cloudfront_client_cert_missing',
        ConnectionFunctionDenied: 'connection_function_denied',
        ConnectionFunctionError: 'cloudfront_connection_function_error',
        TcpError: 'cloudfront_tcp_error',
        TcpTimeout: 'cloudfront_tcp_timeout',
        Internal: 'cloudfront_internal',
        UnmappedConnectionError: 'cloudfront_unmapped_connection_error',
      },
    );
    assert.equal(cloudFrontReason('ClientCertRevokedSomeday'), 'cloudfront_client_cert_revoked_someday', 'a code added later keeps its name');
  });
});

describe('CloudFront connection logs and the verdict', () => {
  test('Failed:ClientCertUntrusted confirms mtls with CloudFront\'s reason, and says what the probe observed (an alert here)', () => {
    const result = refusedByAlert();
    const verdict = upgradeVerdict(result, [connection('Failed:ClientCertUntrusted')]);
    assert.equal(verdict.stoppedAt, 'mtls');
    assert.equal(verdict.reason, 'cloudfront_client_cert_untrusted');
    assert.equal(verdict.confidence, 'confirmed');
    assert.equal(verdict.hint, undefined);
    assert.equal(
      verdict.summary,
      "CloudFront rejected the client certificate at the edge during the TLS handshake: CloudFront's connection log says connectionStatus=Failed:ClientCertUntrusted for 192.0.2.7:54321 (connectionId oLHiEKbQ==), " +
        'i.e. the certificate does not chain to a CA in the trust store. The probe saw a TLS unknown_ca alert (CloudFront does not document whether a refused client gets an alert or a reset). The request never reached the WAF.',
    );
    assert.equal(verdict.evidence.length, 1);
    assert.equal(result.verdict.reason, 'alert_unknown_ca', 'the probe result is not changed');
  });

  test('the same record with a reset observed says a reset: the words follow the wire, not an assumption', () => {
    const verdict = upgradeVerdict(refusedByReset(), [connection('Failed:ClientCertExpired')]);
    assert.equal(verdict.reason, 'cloudfront_client_cert_expired');
    assert.match(verdict.summary, /i\.e\. the certificate has expired\. The probe saw a TCP reset \(RST\) \(CloudFront does not document/);
  });

  test('a connection function\'s denial, with the data it logged', () => {
    const verdict = upgradeVerdict(refusedByReset(), [connection('Failed:ConnectionFunctionDenied', { connectionLogCustomData: 'REVOKED:00:b1:43' })]);
    assert.equal(verdict.stoppedAt, 'mtls');
    assert.equal(verdict.reason, 'connection_function_denied');
    assert.match(verdict.summary, /^CloudFront's connection function denied the connection during the TLS handshake: .*connection\.deny\(\)\. The connection function logged: REVOKED:00:b1:43\./);
  });

  test('no certificate: Failed:ClientCertMissing for a probe that sent none', () => {
    const verdict = upgradeVerdict(refusedByAlert(false), [connection('Failed:ClientCertMissing', { clientLeafCertSerialNumber: null })]);
    assert.equal(verdict.reason, 'cloudfront_client_cert_missing');
    assert.equal(verdict.confidence, 'confirmed');
  });

  test('behind NAT: the only connection with the probe\'s certificate at its moment, and the summary says CloudFront saw another address', () => {
    const nat = connection('Failed:ClientCertUntrusted', { clientIp: '203.0.113.200', clientPort: 61000 }, [{ key: 'clientCertSerial', value: '00:b1:43:ed:93:d2:d8:f3:9d' }]);
    const verdict = upgradeVerdict(refusedByAlert(), [nat]);
    assert.equal(verdict.reason, 'cloudfront_client_cert_untrusted');
    assert.match(verdict.summary, /Matched by time and certificate: CloudFront saw the probe as 203\.0\.113\.200:61000, behind NAT/);
  });

  test('two such connections behind NAT: none is used, and the hint names CloudFront', () => {
    const match = [{ key: 'clientCertSerial' as const, value: '00:b1:43:ed:93:d2:d8:f3:9d' }];
    const verdict = upgradeVerdict(refusedByAlert(), [
      connection('Failed:ClientCertUntrusted', { clientIp: '203.0.113.200', clientPort: 61000 }, match),
      connection('Failed:ClientCertUntrusted', { clientIp: '203.0.113.201', clientPort: 61001 }, match),
    ]);
    assert.equal(verdict.confidence, 'probe');
    assert.match(verdict.hint ?? '', /^CloudFront's connection log has 2 connections with this certificate .* from an address CloudFront sees\./);
  });

  test('another certificate\'s connection on the same port is someone else\'s', () => {
    const verdict = upgradeVerdict(refusedByAlert(), [connection('Failed:ClientCertUntrusted', { clientLeafCertSerialNumber: '3a:5f' })]);
    assert.equal(verdict.confidence, 'probe');
    assert.equal(verdict.reason, 'alert_unknown_ca');
  });

  test('Success: the handshake passed at the edge; with an answer it fits (not a confirmation of where it ended), with a refusal it contradicts', () => {
    const answered = upgradeVerdict(probeResult({ stoppedAt: null, reason: 'target_responded' }, [], 200), [connection('Success')]);
    assert.equal(answered.confidence, 'probe');
    assert.equal(answered.evidence.length, 1);
    const refused = upgradeVerdict(refusedByAlert(), [connection('Success')]);
    assert.equal(refused.reason, 'alert_unknown_ca');
    assert.match(refused.hint ?? '', /CloudFront's connection log says connectionStatus=Success for 192\.0\.2\.7:54321, but the probe saw the connection stop at mtls/);
  });

  test('TcpTimeout is not a certificate decision: stopped at tcp with CloudFront\'s reason', () => {
    const verdict = upgradeVerdict(refusedByReset(), [connection('Failed:TcpTimeout')]);
    assert.equal(verdict.stoppedAt, 'tcp');
    assert.equal(verdict.reason, 'cloudfront_tcp_timeout');
    assert.match(verdict.summary, /^CloudFront ended the connection at the edge: /);
  });

  test('describeEvidence lists the record and what it matched by', () => {
    const event = connection('Failed:ClientCertUntrusted');
    const lines = describeEvidence([event], { stats: { files: 0, lines: 1, skippedLines: 0 }, problems: [], coverage: [{ evidence: 'CloudFront connection log', state: 'found', detail: 'the probe\'s connection' }] }, { sourceLabel: 'AWS', used: [event] });
    assert.deepEqual(lines, [
      'Evidence (AWS): 1 record matched:',
      '  2024-05-01T10:00:01.000Z  cloudfront-connection-log  CloudFront connection log: connectionStatus Failed:ClientCertUntrusted',
      '      matched by clientIp=192.0.2.7, clientPort=54321 (CloudWatch Logs cf-connections (us-east-1))',
      "  found             CloudFront connection log: the probe's connection",
    ]);
  });
});

describe('CloudFront-Viewer-Cert-* headers', () => {
  test('decoded: the serial in ALB\'s form, the Pem URL-decoded ("+" stays), Present, Sha256, Validity; named after CloudFront\'s headers', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB+ab/cd==\n-----END CERTIFICATE-----\n';
    const decoded = decodeMtlsHeaders({
      'cloudfront-viewer-cert-serial-number': '4a:3f:00:b1',
      'cloudfront-viewer-cert-issuer': 'CN=Partner CA,O=Example',
      'cloudfront-viewer-cert-subject': 'CN=partner,O=Example',
      'cloudfront-viewer-cert-present': '1',
      'cloudfront-viewer-cert-sha256': 'AB:CD:EF',
      'cloudfront-viewer-cert-validity': 'NotBefore=2025-06-05T23:28:21Z;NotAfter=2026-06-05T23:28:21Z',
      'cloudfront-viewer-cert-pem': encodeURIComponent(pem).replace(/%2B/g, '+').replace(/%2F/g, '/').replace(/%3D/g, '='),
    });
    assert.deepEqual(decoded, {
      serialNumber: '4A3F00B1',
      issuer: 'CN=Partner CA,O=Example',
      subject: 'CN=partner,O=Example',
      present: true,
      sha256: 'abcdef',
      validity: { notBefore: '2025-06-05T23:28:21Z', notAfter: '2026-06-05T23:28:21Z' },
      leafPem: pem,
      front: 'cloudfront',
    });
    assert.equal(mtlsHeaderName(decoded!, 'subject'), 'CloudFront-Viewer-Cert-Subject');
    assert.deepEqual(decodeMtlsHeaders({ 'cloudfront-viewer-cert-present': '0' }), { present: false, front: 'cloudfront' });
  });

  test('passthrough: Client-Cert and Client-Cert-Chain (RFC 9440 byte sequences) as PEM', () => {
    const decoded = decodeMtlsHeaders({ 'client-cert': ':TUlJQg==:', 'client-cert-chain': ':TUlJQw==:, :TUlJRA==:' });
    assert.equal(decoded?.leafPem, '-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n');
    assert.equal(decoded?.chainPem, '-----BEGIN CERTIFICATE-----\nTUlJQw==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nTUlJRA==\n-----END CERTIFICATE-----\n');
    assert.equal(decoded?.front, 'cloudfront');
  });

  test('ALB\'s headers keep their names and form', () => {
    const decoded = decodeMtlsHeaders({ 'x-amzn-mtls-clientcert-serial-number': 'a1b2', 'x-amzn-mtls-clientcert-subject': 'CN=client' });
    assert.deepEqual(decoded, { serialNumber: 'A1B2', subject: 'CN=client' });
    assert.equal(mtlsHeaderName(decoded!, 'subject'), 'X-Amzn-Mtls-Clientcert-Subject');
  });
});
