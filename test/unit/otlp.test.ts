import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EvidenceEvent, EvidenceReport } from '../../src/core/evidence/types';
import type { ProbeResult } from '../../src/core/probe/types';
import { otlpTraceId, otlpTraces, type OtlpSpan } from '../../src/core/report/otlp';
import type { TraceEvent } from '../../src/core/trace';

const startedAt = '2026-11-24T10:00:00.000Z';
const originNs = BigInt(Date.parse(startedAt)) * 1_000_000n;

/** A TLS 1.3 rejection as the probe reports it: handshake done from the client's side, then certificate_required. */
function tls13Rejection(): TraceEvent[] {
  const hs = (t: number, dir: 'out' | 'in', type: number, name: string, encrypted: boolean): TraceEvent => ({
    t,
    dir,
    layer: 'tls',
    event: 'handshake',
    detail: { type, name, version: 'TLSv1.3', length: 10, encrypted, bytes: 'AQAAAA==' },
  });
  return [
    { t: 0.05, dir: 'local', layer: 'tcp', event: 'dns_lookup', detail: { host: 'api.example.com' } },
    { t: 1.25, dir: 'local', layer: 'tcp', event: 'dns_resolved', detail: { host: 'api.example.com', addresses: ['203.0.113.10'] } },
    { t: 1.3, dir: 'out', layer: 'tcp', event: 'connecting', detail: { address: '203.0.113.10', port: 443 } },
    { t: 12.5, dir: 'in', layer: 'tcp', event: 'connected', detail: { address: '203.0.113.10', port: 443, localAddress: '192.0.2.7', localPort: 50123 } },
    hs(13.001, 'out', 1, 'Client hello', false),
    hs(24.002, 'in', 2, 'Server hello', false),
    hs(24.002, 'in', 8, 'Encrypted Extensions', true),
    hs(24.002, 'in', 13, 'Request CERT', true),
    hs(24.002, 'in', 11, 'Certificate', true),
    hs(24.002, 'in', 15, 'CERT verify', true),
    hs(24.002, 'in', 20, 'Finished', true),
    hs(25.5, 'out', 11, 'Certificate', true),
    hs(25.5, 'out', 20, 'Finished', true),
    { t: 25.9, dir: 'local', layer: 'tls', event: 'established', detail: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'h2' } },
    { t: 26.1, dir: 'out', layer: 'http', event: 'request', detail: { method: 'POST', path: '/orders', httpVersion: 'HTTP/2', headers: { authorization: 'Bearer x' } } },
    {
      t: 37.123,
      dir: 'in',
      layer: 'tls',
      event: 'alert',
      detail: { level: 'fatal', description: 'certificate_required', code: 116, encrypted: true, version: 'TLSv1.3', bytes: 'AnQ=' },
    },
    { t: 37.5, dir: 'local', layer: 'http', event: 'error', detail: { code: 'UND_ERR_SOCKET', message: 'other side closed' } },
  ];
}

function result(trace: TraceEvent[], overrides: Partial<ProbeResult> = {}): ProbeResult {
  return {
    target: { url: 'https://user:pw@api.example.com/orders?Signature=abc&q=1', host: 'api.example.com', port: 443, serverName: 'api.example.com', address: '203.0.113.10', addresses: ['203.0.113.10'] },
    identity: null,
    timings: { dns: 1.2, tcp: 11.2, tls: null, firstByte: null, total: 38 },
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'h2', serverCertificates: [], certificateRequest: null, clientCertificateSent: false, serverCertificateVerified: true },
    trace,
    http: null,
    correlationId: 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca',
    verdict: { stoppedAt: 'mtls', reason: 'alert_certificate_required', summary: 'The server sent certificate_required.', confidence: 'confirmed', evidence: [] },
    client: { address: '192.0.2.7', port: 50123 },
    startedAt,
    error: { code: 'UND_ERR_SOCKET', message: 'other side closed' },
    ...overrides,
  };
}

function evidenceEvent(time: string, summary: string, kind: EvidenceEvent['kind'] = 'alb-connection-log'): EvidenceEvent {
  return {
    time,
    lane: 'load-balancer',
    kind,
    summary,
    matchedBy: [
      { key: 'clientIp', value: '192.0.2.7' },
      { key: 'clientPort', value: '50123' },
    ],
    origin: { file: 'logs/conn.log', line: 3 },
    record: { tls_verify_status: 'Failed:ClientCertMissing' },
  };
}

function report(events: EvidenceEvent[]): EvidenceReport {
  return { events, stats: { files: 1, lines: 4, skippedLines: 0 }, problems: [], coverage: [{ evidence: 'ALB connection log', state: 'found', detail: '' }] };
}

function spansOf(doc: ReturnType<typeof otlpTraces>): OtlpSpan[] {
  return doc.resourceSpans[0]!.scopeSpans[0]!.spans;
}

function attribute(s: { attributes: OtlpSpan['attributes'] }, key: string): unknown {
  const value = s.attributes.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

describe('OTLP export: ids and document', () => {
  test('an X-Ray root is the W3C trace id; any other correlation id hashes to a stable 32-hex id', () => {
    assert.equal(otlpTraceId('Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca', startedAt), '6b05e1f2ab75cbbc8afd3ae1dc5751ca');
    assert.equal(otlpTraceId('Root=1-6B05E1F2-AB75CBBC8AFD3AE1DC5751CA;Sampled=1', startedAt), '6b05e1f2ab75cbbc8afd3ae1dc5751ca');
    const other = otlpTraceId('my-own-id', startedAt);
    assert.match(other, /^[0-9a-f]{32}$/);
    assert.equal(otlpTraceId('my-own-id', startedAt), other);
    assert.notEqual(otlpTraceId('my-own-id', '2026-11-24T10:00:01.000Z'), other);
  });

  test('resource and scope; no runs gives an empty span list', () => {
    const doc = otlpTraces([], { serviceName: 'edge-checks', scopeVersion: '9.9.9' });
    assert.equal(attribute(doc.resourceSpans[0]!.resource, 'service.name'), 'edge-checks');
    assert.deepEqual(doc.resourceSpans[0]!.scopeSpans[0]!.scope, { name: 'mtls-probe', version: '9.9.9' });
    assert.deepEqual(spansOf(doc), []);
    assert.equal(attribute(otlpTraces([]).resourceSpans[0]!.resource, 'service.name'), 'mtls-probe');
  });

  test('the URL loses its credentials and signature before it is exported', () => {
    const [root] = spansOf(otlpTraces([{ result: result(tls13Rejection()) }]));
    assert.equal(attribute(root!, 'url.full'), 'https://api.example.com/orders?Signature=REDACTED&q=1');
    assert.equal(root!.name, 'probe POST https://api.example.com/orders?Signature=REDACTED&q=1');
    assert.ok(!JSON.stringify(spansOf(otlpTraces([{ result: result(tls13Rejection()) }]))).includes('pw@'));
  });
});

describe('OTLP export: a hand-built TLS 1.3 rejection', () => {
  const spans = spansOf(otlpTraces([{ result: result(tls13Rejection()) }]));
  const byName = (name: string): OtlpSpan => spans.find((s) => s.name === name)!;

  test('phases from the trace: DNS, TCP, TLS and HTTP, at the trace times to the microsecond', () => {
    assert.deepEqual(spans.map((s) => s.name), ['probe POST https://api.example.com/orders?Signature=REDACTED&q=1', 'dns', 'tcp connect', 'tls handshake', 'http']);
    assert.equal(byName('dns').startTimeUnixNano, (originNs + 50_000n).toString());
    assert.equal(byName('dns').endTimeUnixNano, (originNs + 1_250_000n).toString());
    assert.equal(byName('tcp connect').endTimeUnixNano, (originNs + 12_500_000n).toString());
    assert.equal(attribute(byName('tcp connect'), 'network.local.port'), '50123');
    const clientHello = byName('tls handshake').events[0]!;
    assert.equal(clientHello.name, 'tls.handshake.Client hello');
    assert.equal(clientHello.timeUnixNano, (originNs + 13_001_000n).toString());
  });

  test('the alert that came after the handshake stays on the TLS span, which stretches to hold it', () => {
    const tls = byName('tls handshake');
    const alert = tls.events.find((e) => e.name === 'tls.alert')!;
    assert.equal(alert.timeUnixNano, (originNs + 37_123_000n).toString());
    assert.equal(attribute(alert, 'mtls_probe.tls.alert.description'), 'certificate_required');
    assert.equal(attribute(alert, 'mtls_probe.tls.alert.code'), '116');
    assert.equal(attribute(alert, 'mtls_probe.tls.alert.level'), 'fatal');
    assert.equal(attribute(alert, 'mtls_probe.tls.encrypted'), true);
    assert.equal(attribute(alert, 'mtls_probe.tls.decrypted'), true);
    assert.ok(BigInt(tls.endTimeUnixNano) >= BigInt(alert.timeUnixNano));
    assert.deepEqual(tls.status, { code: 2, message: 'alert_certificate_required' });
    assert.equal(tls.events.filter((e) => e.name.startsWith('tls.handshake.')).length, 9);
  });

  test('the HTTP span holds the error that ended it, and the request method', () => {
    const http = byName('http');
    assert.equal(attribute(http, 'http.request.method'), 'POST');
    assert.equal(attribute(http, 'network.protocol.version'), '2');
    const exception = http.events.find((e) => e.name === 'exception')!;
    assert.equal(attribute(exception, 'exception.type'), 'UND_ERR_SOCKET');
    assert.equal(http.status.code, 0);
    assert.deepEqual(spans[0]!.status, { code: 2, message: 'The server sent certificate_required.' });
    assert.equal(attribute(spans[0]!, 'mtls_probe.verdict.confidence'), 'confirmed');
  });

  test('a failure before any connection: the DNS span alone, and it is the error', () => {
    const trace: TraceEvent[] = [
      { t: 0.1, dir: 'local', layer: 'tcp', event: 'dns_lookup', detail: { host: 'nowhere.invalid' } },
      { t: 3.4, dir: 'local', layer: 'tcp', event: 'error', detail: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND nowhere.invalid' } },
    ];
    const dnsOnly = spansOf(
      otlpTraces([{ result: result(trace, { verdict: { stoppedAt: 'dns', reason: 'dns_not_found', summary: 'No such host.', confidence: 'probe', evidence: [] }, timings: { dns: null, tcp: null, tls: null, firstByte: null, total: 3.5 } }) }]),
    );
    assert.deepEqual(dnsOnly.map((s) => s.name).slice(1), ['dns']);
    assert.deepEqual(dnsOnly[1]!.status, { code: 2, message: 'dns_not_found' });
    assert.equal(dnsOnly[1]!.endTimeUnixNano, (originNs + 3_400_000n).toString());
    assert.equal(dnsOnly[1]!.events[0]!.name, 'exception');
  });
});

describe('OTLP export: server-side evidence', () => {
  test('one INTERNAL span from the first record to the last, minutes after the probe, a span event per record in time order', () => {
    const evidence = report([
      evidenceEvent('2026-11-24T10:04:30.250750Z', 'ALB access log: request answered 403 by the WAF', 'alb-access-log'),
      evidenceEvent('2026-11-24T10:03:00.123456Z', 'ALB rejected the client certificate: Failed:ClientCertMissing'),
      evidenceEvent('not a time', 'a record without a usable time'),
    ]);
    const spans = spansOf(otlpTraces([{ result: result(tls13Rejection()), evidence }]));
    const root = spans[0]!;
    const span = spans.at(-1)!;
    assert.equal(span.name, 'server-side evidence');
    assert.equal(span.kind, 1);
    assert.equal(span.parentSpanId, root.spanId);
    assert.equal(span.traceId, '6b05e1f2ab75cbbc8afd3ae1dc5751ca');
    assert.equal(span.startTimeUnixNano, (originNs + 180_123_456_000n).toString());
    assert.equal(span.endTimeUnixNano, (originNs + 270_250_750_000n).toString());
    assert.ok(BigInt(span.startTimeUnixNano) > BigInt(root.endTimeUnixNano), 'evidence may come long after the probe');
    assert.deepEqual(span.events.map((e) => e.name), ['evidence.alb-connection-log', 'evidence.alb-access-log']);
    const first = span.events[0]!;
    assert.equal(first.timeUnixNano, span.startTimeUnixNano);
    assert.equal(attribute(first, 'mtls_probe.evidence.kind'), 'alb-connection-log');
    assert.equal(attribute(first, 'mtls_probe.evidence.lane'), 'load-balancer');
    assert.equal(attribute(first, 'mtls_probe.evidence.summary'), 'ALB rejected the client certificate: Failed:ClientCertMissing');
    assert.equal(attribute(first, 'mtls_probe.evidence.matched_by'), 'clientIp=192.0.2.7, clientPort=50123');
    assert.equal(attribute(first, 'mtls_probe.evidence.origin'), 'logs/conn.log:3');
    assert.equal(attribute(span, 'mtls_probe.evidence.records'), '2');
    assert.equal(attribute(span, 'mtls_probe.evidence.found'), 'ALB connection log');
  });

  test('no evidence records, no evidence span; span ids are the same on every export', () => {
    const empty = spansOf(otlpTraces([{ result: result(tls13Rejection()), evidence: report([]) }]));
    assert.ok(!empty.some((s) => s.name === 'server-side evidence'));
    const again = spansOf(otlpTraces([{ result: result(tls13Rejection()), evidence: report([]) }]));
    assert.deepEqual(again.map((s) => s.spanId), empty.map((s) => s.spanId));
    const later = spansOf(otlpTraces([{ result: result(tls13Rejection(), { startedAt: '2026-11-24T10:00:05.000Z' }) }]));
    assert.notEqual(later[0]!.spanId, empty[0]!.spanId, 'a second run with the same correlation id gets its own span ids');
  });
});
