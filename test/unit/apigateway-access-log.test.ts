// API Gateway access logs: the JSON formats stage owners write (their own field names), read into one record; matched
// to a probe by its request ids, trace id, address and certificate serial; and what a record of the probe's request
// does to its verdict.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { accessLogQueryString } from '../../src/core/evidence/aws/apigateway-evidence';
import { upgradeVerdict } from '../../src/core/evidence/correlate';
import { LocalLogSource, sniffLogFormat } from '../../src/core/evidence/local/local-logs';
import { parseApiGatewayAccessLogLine } from '../../src/core/evidence/logs/apigateway-access-log';
import { LogRecordCollector } from '../../src/core/evidence/logs/log-record-collector';
import type { CorrelationKeys, EvidenceEvent } from '../../src/core/evidence/types';
import type { HttpSummary, ProbeResult, Verdict } from '../../src/core/probe/types';

const requestId = 'c0ffee00-1111-4222-8333-444455556666';
const extendedRequestId = 'Qm9vZ2llV29vZ2k=';
const serial = '0a:1b:2c:3d:4e:5f:60:71';

/** AWS's example JSON format for REST APIs, with the mTLS variables a stage owner adds. */
const restLine = JSON.stringify({
  requestId,
  extendedRequestId,
  ip: '192.0.2.7',
  caller: '-',
  user: '-',
  requestTime: '15/Jun/2026:14:00:00 +0200',
  httpMethod: 'GET',
  resourcePath: '/orders',
  status: '403',
  protocol: 'HTTP/1.1',
  responseLength: '23',
  errorMessage: 'Access denied. Reason: Could not find issuer for certificate',
  clientCertSubjectDN: 'CN=partner,O=Example',
  clientCertIssuerDN: 'CN=Partners Issuing CA,O=Example',
  clientCertSerialNumber: serial,
  clientCertNotBefore: 'Jan 1 00:00:00 2026 GMT',
  clientCertNotAfter: 'Jan 1 00:00:00 2027 GMT',
});

describe('the formats stage owners write', () => {
  test("AWS's example format with clientCert fields: the variables by their $context names, the owner's other fields kept", () => {
    const r = parseApiGatewayAccessLogLine(restLine);
    assert.ok(r);
    assert.equal(r.time, '2026-06-15T12:00:00.000Z');
    assert.equal(r.resolutionMs, 999);
    assert.deepEqual([r.requestId, r.extendedRequestId, r.sourceIp, r.status, r.httpMethod, r.path], [requestId, extendedRequestId, '192.0.2.7', 403, 'GET', '/orders']);
    assert.deepEqual(r.clientCert, { subjectDN: 'CN=partner,O=Example', issuerDN: 'CN=Partners Issuing CA,O=Example', serialNumber: serial, notBefore: 'Jan 1 00:00:00 2026 GMT', notAfter: 'Jan 1 00:00:00 2027 GMT', pem: null });
    assert.equal(r.fields['identity.clientCert.serialNumber'], serial);
    assert.equal(r.fields['error.message'], 'Access denied. Reason: Could not find issuer for certificate');
    assert.equal(r.fields.responseLength, '23');
    // `-` is API Gateway's "no value": not a field of the record.
    assert.equal('caller' in r.fields, false);
  });

  test('nested objects, $context-prefixed and snake_case names, the epoch time in ms, an HTTP API without clientCert', () => {
    const nested = parseApiGatewayAccessLogLine(
      JSON.stringify({ context: { requestId, identity: { sourceIp: '192.0.2.7', clientCert: { subjectDN: 'CN=partner', serialNumber: serial } }, requestTimeEpoch: 1781524800123, status: 403, error: { message: 'Forbidden' } } }),
    );
    assert.deepEqual([nested?.requestId, nested?.sourceIp, nested?.time, nested?.resolutionMs, nested?.errorMessage, nested?.clientCert?.serialNumber], [requestId, '192.0.2.7', '2026-06-15T12:00:00.123Z', 0, 'Forbidden', serial]);
    const prefixed = parseApiGatewayAccessLogLine(JSON.stringify({ '$context.requestId': requestId, '$context.identity.sourceIp': '192.0.2.7', '$context.requestTime': '2026-06-15T12:00:00Z', '$context.status': '200' }));
    assert.deepEqual([prefixed?.requestId, prefixed?.status, prefixed?.time], [requestId, 200, '2026-06-15T12:00:00.000Z']);
    const snake = parseApiGatewayAccessLogLine(JSON.stringify({ request_id: requestId, source_ip: '192.0.2.7', request_time_epoch: '1781524800', status_code: '403', client_cert_serial_number: serial, error_message: '-' }));
    assert.deepEqual([snake?.requestId, snake?.time, snake?.status, snake?.clientCert?.serialNumber, snake?.errorMessage], [requestId, '2026-06-15T12:00:00.000Z', 403, serial, null]);
    const httpApi = parseApiGatewayAccessLogLine(JSON.stringify({ requestId: 'WSg1ihmdliAEJXA=', ip: '192.0.2.7', requestTime: '15/Jun/2026:12:00:00 +0000', httpMethod: 'GET', routeKey: 'GET /orders', status: '403', protocol: 'HTTP/1.1', responseLength: '23' }));
    assert.deepEqual([httpApi?.requestId, httpApi?.path, httpApi?.clientCert], ['WSg1ihmdliAEJXA=', 'GET /orders', null]);
  });

  test('not an access-log record: no request id, no time, another JSON log, plain text, hostile values', () => {
    for (const line of [
      JSON.stringify({ ip: '192.0.2.7', requestTime: '15/Jun/2026:12:00:00 +0000', status: '403' }),
      JSON.stringify({ requestId, ip: '192.0.2.7', status: '403' }),
      JSON.stringify({ requestId, requestTime: 'yesterday', status: '403' }),
      JSON.stringify({ timestamp: 1781524800123, action: 'BLOCK', httpRequest: { requestId: '1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca', clientIp: '192.0.2.7' } }),
      `192.0.2.7 - - [15/Jun/2026:12:00:00 +0000] "GET /orders HTTP/1.1" 403 23 ${requestId}`,
      '{"requestId": {"toString": 1}, "requestTime": [1], "status": {"valueOf": 403}}',
      '{"requestId":',
    ]) {
      assert.equal(parseApiGatewayAccessLogLine(line), null, line);
    }
    const proto = parseApiGatewayAccessLogLine(`{"requestId":"${requestId}","status":"403","requestTimeEpoch":"1781524800123","__proto__":{"polluted":true}}`);
    assert.ok(proto);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(proto.fields), Object.prototype);
  });
});

describe('matched to the probe', () => {
  const window = { from: new Date('2026-06-15T11:58:00Z'), to: new Date('2026-06-15T12:05:00Z') };
  const keys: CorrelationKeys = { traceId: 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca', clientIp: '192.0.2.7', clientCertSerial: 'A1B2', requestId, extendedRequestId };

  test('by its request ids, its address and its serial in ALB form (API Gateway writes it lowercase with colons)', () => {
    const collector = new LogRecordCollector({ ...keys, clientCertSerial: 'A1B2C3D4E5F6071' }, window);
    assert.equal(collector.addLine('apigateway-access-log', restLine, { resource: 'CloudWatch Logs access' }), true);
    const [event] = collector.events();
    assert.equal(event?.kind, 'apigateway-access-log');
    assert.deepEqual(event?.matchedBy, [
      { key: 'requestId', value: requestId },
      { key: 'extendedRequestId', value: extendedRequestId },
      { key: 'clientIp', value: '192.0.2.7' },
      { key: 'clientCertSerial', value: serial },
    ]);
    assert.equal(event?.summary, `API Gateway access log: GET /orders answered 403 (error.message "Access denied. Reason: Could not find issuer for certificate"); clientCert CN=partner,O=Example, serial ${serial}: mutual TLS failed (requestId ${requestId})`);
    assert.equal(event?.lane, 'load-balancer');
  });

  test("an X-Ray trace id continues the probe's X-Amzn-Trace-Id; outside the window or another client's request: not kept", () => {
    const traced = JSON.stringify({ requestId: 'other', xrayTraceId: '1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca', requestTimeEpoch: '1781524800000', status: '200' });
    const collector = new LogRecordCollector(keys, window);
    assert.equal(collector.addLine('apigateway-access-log', traced, {}), true);
    assert.deepEqual(collector.events()[0]?.matchedBy.map((m) => m.key), ['traceId']);
    const other = JSON.stringify({ requestId: 'someone-else', ip: '203.0.113.9', requestTimeEpoch: '1781524800000', status: '200' });
    const late = JSON.stringify({ requestId, ip: '192.0.2.7', requestTimeEpoch: String(Date.parse('2026-06-15T13:00:00Z')), status: '403' });
    assert.equal(collector.addLine('apigateway-access-log', other, {}), false);
    assert.equal(collector.addLine('apigateway-access-log', late, {}), false);
  });

  test('the Logs Insights query filters the whole line by the request ids, else by the trace root or the address', () => {
    assert.equal(accessLogQueryString(keys), `fields @timestamp, @message, @ptr | filter @message like "${requestId}" or @message like "${extendedRequestId}" | sort @timestamp asc | limit 50`);
    assert.equal(accessLogQueryString({ traceId: keys.traceId, clientIp: '192.0.2.7' }), 'fields @timestamp, @message, @ptr | filter @message like "1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca" or @message like "192.0.2.7" | sort @timestamp asc | limit 50');
    // A value that could break out of the string is never put in the query.
    assert.equal(accessLogQueryString({ requestId: 'x" | display @message' }), null);
  });

  test('a local file of access-log lines is sniffed and read like the logs from AWS', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'apigw-logs-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'access.log');
    await writeFile(file, `${JSON.stringify({ requestId: 'someone-else', ip: '203.0.113.9', requestTimeEpoch: '1781524800000', status: '200' })}\n${restLine}\nnot json\n`);
    assert.equal((await sniffLogFormat(file)).format, 'apigateway-access-log');
    const report = await new LocalLogSource([dir]).collect(window, keys);
    assert.deepEqual(report.events.map((e) => [e.kind, e.origin.line]), [['apigateway-access-log', 2]]);
    assert.deepEqual(report.stats, { files: 1, lines: 3, skippedLines: 1 });
  });
});

describe('what a record of the probe\'s request does to its verdict', () => {
  const http = (status: number): HttpSummary => ({ status, httpVersion: 'HTTP/1.1', headers: { 'x-amzn-requestid': requestId, 'x-amz-apigw-id': extendedRequestId, 'x-amzn-errortype': 'ForbiddenException' }, bodyPreview: '{"message":"Forbidden"}', bodyBytes: 23 });
  const probeVerdict: Verdict = { stoppedAt: 'mtls', reason: 'apigateway_403_client_certificate_refused', summary: 'API Gateway … answered HTTP 403 "Forbidden".', confidence: 'probe', hint: 'To confirm, name the stage\'s access-log group.', evidence: [] };
  const result = (status = 403, verdict = probeVerdict, sent = true): ProbeResult => ({
    target: { url: 'https://api.example.com/orders', host: 'api.example.com', port: 443, serverName: 'api.example.com', address: '203.0.113.10', addresses: ['203.0.113.10'] },
    identity: sent ? { label: 'partner', kind: 'pem', subject: 'CN=partner,O=Example', issuer: 'CN=Partners Issuing CA,O=Example', serialNumber: '0A1B2C3D4E5F6071', notBefore: '', notAfter: '', sha256: '', chainLength: 1 } : null,
    timings: { dns: 1, tcp: 2, tls: 10, firstByte: 5, total: 30 },
    tls: { version: 'TLSv1.2', cipher: null, alpn: null, serverCertificates: [], certificateRequest: { signatureAlgorithms: [], authorities: [] }, clientCertificateSent: sent, serverCertificateVerified: true },
    trace: [],
    http: http(status),
    correlationId: 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca',
    verdict,
    client: { address: '192.0.2.7', port: 54321 },
    startedAt: '2026-06-15T12:00:00.000Z',
    error: null,
  });
  const event = (fields: Record<string, unknown>): EvidenceEvent => ({
    time: '2026-06-15T12:00:00.000Z',
    lane: 'load-balancer',
    kind: 'apigateway-access-log',
    summary: 'API Gateway access log',
    matchedBy: [{ key: 'requestId', value: requestId }],
    origin: { resource: 'CloudWatch Logs access' },
    record: { requestId, status: 403, ...fields },
  });

  test("the message AWS gives for an untrusted issuer: mtls, confirmed, the cause in words", () => {
    const v = upgradeVerdict(result(), [event({ 'error.message': 'Access denied. Reason: Could not find issuer for certificate', 'identity.clientCert.serialNumber': serial })]);
    assert.deepEqual([v.stoppedAt, v.reason, v.confidence, v.hint], ['mtls', 'apigateway_client_cert_untrusted', 'confirmed', undefined]);
    assert.equal(
      v.summary,
      `API Gateway's mutual TLS refused the client certificate and answered HTTP 403: API Gateway's access log records status 403 with error.message "Access denied. Reason: Could not find issuer for certificate", clientCert (no subject) (serial ${serial}) for requestId ${requestId}, i.e. API Gateway could not find the certificate's issuer in the domain's trust store. The refusal came at the custom domain, before the API's stage and integration.`,
    );
  });

  test('no certificate sent and a message about the certificate: the no-certificate reason, confirmed', () => {
    const none: Verdict = { ...probeVerdict, reason: 'apigateway_403_no_client_certificate' };
    const v = upgradeVerdict(result(403, none, false), [event({ 'error.message': 'Forbidden: client certificate required' })]);
    assert.deepEqual([v.stoppedAt, v.reason, v.confidence], ['mtls', 'apigateway_403_no_client_certificate', 'confirmed']);
    assert.match(v.summary, /^API Gateway's mutual TLS refused the request without a client certificate and answered HTTP 403/);
  });

  test('a 403 record without clientCert or a mutual-TLS message: the probe\'s words stay, the hint says what the record lacks', () => {
    const v = upgradeVerdict(result(), [event({ 'error.message': 'Forbidden' })]);
    assert.deepEqual([v.stoppedAt, v.reason, v.confidence], ['mtls', 'apigateway_403_client_certificate_refused', 'probe']);
    assert.match(v.hint ?? '', /^API Gateway's access log records status 403 with error\.message "Forbidden" for requestId .*, but no clientCert fields and no mutual-TLS message: either the stage's access-log format does not log \$context\.identity\.clientCert\.\* .* To confirm, name the stage's access-log group\.$/);
    assert.equal(v.evidence.length, 1);
  });

  test("the WAF's block and a missing API key are said as what they are, with the record", () => {
    const waf = upgradeVerdict(result(), [event({ 'waf.status': 'WAF_BLOCK', 'error.message': 'Forbidden' })]);
    assert.deepEqual([waf.stoppedAt, waf.reason, waf.confidence], ['waf', 'aws_waf_block', 'confirmed']);
    assert.match(waf.summary, /^AWS WAF on the API Gateway stage blocked the request: .*waf\.status WAF_BLOCK/);
    const key = upgradeVerdict(result(), [event({ 'error.responseType': 'INVALID_API_KEY', 'error.message': 'Forbidden' })]);
    assert.deepEqual([key.stoppedAt, key.reason, key.confidence], ['http', 'apigateway_403_forbidden', 'confirmed']);
    assert.match(key.summary, /i\.e\. the method requires an API key and the request had none, or an invalid one\.$/);
  });

  test('a record whose status is not the one the probe got contradicts it: the verdict stays, a hint says so', () => {
    const v = upgradeVerdict(result(), [event({ status: 200 })]);
    assert.deepEqual([v.reason, v.confidence], ['apigateway_403_client_certificate_refused', 'probe']);
    assert.match(v.hint ?? '', /^Server-side evidence contradicts the probe: API Gateway's access log records status 200 .*, but the probe got HTTP 403\./);
  });

  test('an answered request: the record agrees with the target\'s answer', () => {
    const answered: Verdict = { stoppedAt: null, reason: 'target_responded', summary: 'The request passed every layer: HTTP 200 from the target.', confidence: 'probe', evidence: [] };
    const v = upgradeVerdict(result(200, answered), [event({ status: 200 })]);
    assert.deepEqual([v.stoppedAt, v.reason, v.confidence], [null, 'target_responded', 'confirmed']);
    assert.match(v.summary, /Server-side logs agree: API Gateway's access log records status 200 for requestId/);
  });
});
