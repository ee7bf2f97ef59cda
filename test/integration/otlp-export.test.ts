// OTLP/JSON export of real probes of the ALB-like demo target: rejected without a client certificate (a TCP
// reset after the client's flight) and passed with a valid one.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { identityFromPemText } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import type { ProbeResult } from '../../src/core/probe/types';
import { otlpTraces, type OtlpSpan, type OtlpTracesDocument } from '../../src/core/report/otlp';

const secretHeaders: Record<string, string> = {
  Authorization: 'Bearer authz-value-never-exported',
  'Proxy-Authorization': 'Basic proxy-value-never-exported',
  Cookie: 'session=cookie-value-never-exported',
  'X-Api-Key': 'api-key-value-never-exported',
  'X-Amz-Security-Token': 'security-token-value-never-exported',
};

let target: AlbLikeTarget;
let rejected: ProbeResult;
let passed: ProbeResult;
let document: OtlpTracesDocument;

before(async () => {
  target = await startAlbLikeTarget();
  rejected = (await probe({ url: target.url, insecure: true, headers: secretHeaders })).result;
  const valid = target.pki.clients.valid;
  const identity = identityFromPemText('valid', valid.certPem, valid.keyPem);
  passed = (await probe({ url: target.url, insecure: true, identity, headers: secretHeaders })).result;
  document = otlpTraces([
    { result: rejected, title: 'alb-like · no certificate' },
    { result: passed, title: 'alb-like · valid' },
  ]);
});
after(() => target.close());

function spansOf(result: ProbeResult): OtlpSpan[] {
  const traceId = result.correlationId.replace(/^Root=1-([0-9a-f]{8})-([0-9a-f]{24})$/, '$1$2');
  return document.resourceSpans[0]!.scopeSpans[0]!.spans.filter((s) => s.traceId === traceId);
}

function span(spans: OtlpSpan[], name: string): OtlpSpan {
  const found = spans.find((s) => s.name === name);
  assert.ok(found, `a span "${name}" among ${spans.map((s) => s.name).join(', ')}`);
  return found;
}

function attribute(s: { attributes: OtlpSpan['attributes'] }, key: string): unknown {
  const value = s.attributes.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

/** The names the trace's TLS messages must have as span events, in the order they crossed the wire. */
function expectedTlsEventNames(result: ProbeResult): string[] {
  return result.trace
    .filter((e) => e.layer === 'tls' && ['handshake', 'change_cipher_spec', 'alert'].includes(e.event))
    .map((e) => (e.event === 'handshake' ? `tls.handshake.${String(e.detail?.name)}` : `tls.${e.event}`));
}

describe('OTLP export of real probes of the ALB-like target', () => {
  test('the probes behaved as the demo target promises', () => {
    assert.equal(rejected.verdict.reason, 'reset_after_client_certificate');
    assert.equal(passed.verdict.stoppedAt, null);
    assert.equal(passed.http?.status, 200);
  });

  test('each run is one trace whose id is its X-Amzn-Trace-Id root, with the phases nested under the probe', () => {
    assert.equal(document.resourceSpans.length, 1);
    assert.deepEqual(document.resourceSpans[0]!.scopeSpans[0]!.scope.name, 'mtls-probe');
    for (const [result, names] of [
      [rejected, ['dns', 'tcp connect', 'tls handshake']],
      [passed, ['dns', 'tcp connect', 'tls handshake', 'http']],
    ] as const) {
      const spans = spansOf(result);
      const [, epoch, rest] = /^Root=1-([0-9a-f]{8})-([0-9a-f]{24})$/.exec(result.correlationId)!;
      assert.ok(spans.every((s) => s.traceId === `${epoch}${rest}` && /^[0-9a-f]{32}$/.test(s.traceId)));
      const root = spans[0]!;
      assert.equal(root.name, `probe GET ${result.target.url}`);
      assert.equal(root.kind, 3);
      assert.equal(root.parentSpanId, undefined);
      assert.deepEqual(spans.slice(1).map((s) => s.name), names);
      for (const child of spans.slice(1)) {
        assert.equal(child.parentSpanId, root.spanId);
        assert.equal(child.kind, 1);
      }
      assert.ok(spans.every((s) => /^[0-9a-f]{16}$/.test(s.spanId)));
      assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length);
      assert.equal(attribute(root, 'url.full'), result.target.url);
      assert.equal(attribute(root, 'server.port'), String(result.target.port));
      assert.equal(attribute(root, 'network.peer.address'), '127.0.0.1');
      assert.equal(attribute(root, 'tls.protocol.version'), '1.2');
      assert.equal(attribute(root, 'tls.cipher'), result.tls.cipher);
      assert.equal(attribute(root, 'mtls_probe.verdict.reason'), result.verdict.reason);
      assert.equal(attribute(root, 'mtls_probe.verdict.confidence'), 'probe');
    }
  });

  test('every handshake message, ChangeCipherSpec and alert is an event of the TLS span, in wire order', () => {
    for (const result of [rejected, passed]) {
      const tls = span(spansOf(result), 'tls handshake');
      const names = tls.events.map((e) => e.name).filter((n) => n.startsWith('tls.'));
      assert.deepEqual(names, expectedTlsEventNames(result));
      assert.ok(names.length >= 10);
      const finished = tls.events.find((e) => e.name === 'tls.handshake.Finished')!;
      assert.equal(attribute(finished, 'mtls_probe.tls.encrypted'), true);
      assert.equal(attribute(finished, 'mtls_probe.tls.decrypted'), true);
      assert.equal(attribute(finished, 'mtls_probe.direction'), 'client_to_server');
      assert.equal(attribute(finished, 'tls.protocol.version'), '1.2');
    }
  });

  test('times: nanosecond strings, microseconds kept, events in order and inside their spans, spans inside the probe', () => {
    for (const result of [rejected, passed]) {
      const spans = spansOf(result);
      const root = spans[0]!;
      const origin = BigInt(Date.parse(result.startedAt)) * 1_000_000n;
      assert.equal(BigInt(root.startTimeUnixNano), origin);
      for (const s of spans) {
        const [start, end] = [BigInt(s.startTimeUnixNano), BigInt(s.endTimeUnixNano)];
        assert.ok(start <= end, `${s.name} starts before it ends`);
        assert.ok(start >= BigInt(root.startTimeUnixNano) && end <= BigInt(root.endTimeUnixNano), `${s.name} lies within the probe`);
        let previous = start;
        for (const e of s.events) {
          const at = BigInt(e.timeUnixNano);
          assert.ok(at >= previous && at <= end, `${s.name}: ${e.name} in order and within the span`);
          previous = at;
        }
      }
      const phases = spans.slice(1);
      for (let i = 1; i < phases.length; i++) assert.ok(BigInt(phases[i - 1]!.startTimeUnixNano) <= BigInt(phases[i]!.startTimeUnixNano));
      // The first ClientHello's time is the trace's t to the microsecond.
      const clientHello = result.trace.find((e) => e.event === 'handshake' && e.detail?.name === 'Client hello')!;
      const event = span(spans, 'tls handshake').events.find((e) => e.name === 'tls.handshake.Client hello')!;
      assert.equal(BigInt(event.timeUnixNano) - origin, BigInt(Math.round(clientHello.t * 1000)) * 1000n);
    }
  });

  test('the rejected run: the reset is an event, the TLS span and the probe are errors with the verdict', () => {
    const spans = spansOf(rejected);
    const root = spans[0]!;
    assert.deepEqual(root.status, { code: 2, message: rejected.verdict.summary });
    assert.equal(attribute(root, 'mtls_probe.verdict.stopped_at'), 'mtls');
    assert.equal(attribute(root, 'mtls_probe.verdict.reason'), 'reset_after_client_certificate');
    assert.equal(attribute(root, 'mtls_probe.identity'), 'none');
    assert.equal(attribute(root, 'tls.client.subject'), undefined);
    const tls = span(spans, 'tls handshake');
    assert.deepEqual(tls.status, { code: 2, message: 'reset_after_client_certificate' });
    const reset = tls.events.find((e) => e.name === 'tcp.reset');
    assert.ok(reset, 'the reset is an event of the TLS span');
    assert.match(String(attribute(reset, 'mtls_probe.tcp.phase')), /before the server's Finished/);
    const lastClientMessage = tls.events.filter((e) => e.name.startsWith('tls.')).at(-1)!;
    assert.ok(BigInt(reset.timeUnixNano) >= BigInt(lastClientMessage.timeUnixNano));
    const emptyCertificate = tls.events.find((e) => e.name === 'tls.handshake.Certificate' && attribute(e, 'mtls_probe.direction') === 'client_to_server')!;
    assert.equal(attribute(emptyCertificate, 'mtls_probe.tls.certificate.empty'), true);
    assert.equal(span(spans, 'dns').status.code, 0);
  });

  test('the passed run: OK, the client certificate named, the HTTP exchange with its status', () => {
    const spans = spansOf(passed);
    const root = spans[0]!;
    assert.deepEqual(root.status, { code: 1 });
    assert.equal(attribute(root, 'mtls_probe.verdict.stopped_at'), 'none');
    assert.equal(attribute(root, 'tls.client.subject'), passed.identity?.subject);
    assert.equal(attribute(root, 'http.response.status_code'), '200');
    const http = span(spans, 'http');
    assert.equal(attribute(http, 'http.request.method'), 'GET');
    assert.equal(attribute(http, 'http.response.status_code'), '200');
    assert.ok(http.events.some((e) => e.name === 'http.response'));
    assert.equal(attribute(span(spans, 'tls handshake'), 'tls.established'), true);
  });

  test('the document is plain JSON: integers as decimal strings, identical after a round trip and on a second export', () => {
    const json = JSON.stringify(document);
    assert.deepEqual(JSON.parse(json), document);
    assert.equal(JSON.stringify(otlpTraces([{ result: rejected, title: 'alb-like · no certificate' }, { result: passed, title: 'alb-like · valid' }])), json);
    let checked = 0;
    JSON.parse(json, (key: string, value: unknown) => {
      if (key.endsWith('UnixNano') || key === 'intValue') {
        assert.equal(typeof value, 'string', key);
        assert.match(value as string, /^-?\d+$/, key);
        checked++;
      }
      return value;
    });
    assert.ok(checked > 50);
  });

  test('nothing secret: no PEM, no key, no value of a credential header', () => {
    const json = JSON.stringify(document);
    assert.ok(!json.includes('-----BEGIN'), 'no PEM');
    assert.ok(!json.includes('PRIVATE KEY'));
    const keyLine = target.pki.clients.valid.keyPem.split('\n')[1]!;
    assert.ok(!json.includes(keyLine), 'no line of the private key');
    for (const value of Object.values(secretHeaders)) assert.ok(!json.includes(value), `no ${value}`);
    assert.ok(!json.includes('never-exported'));
    // The names are there: the export says what was sent without saying its value.
    assert.match(String(attribute(span(spansOf(passed), 'http'), 'mtls_probe.http.request.header_names')), /authorization.*cookie/);
  });
});
