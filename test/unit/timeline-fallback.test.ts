// A run with a TLS 1.2 retry (ProbeResult.fallback) in the timeline and every export, on a probe recorded from a
// real Apache httpd (test/support/fallback-run.ts): over TLS 1.3 a 403 without a certificate asked, then over TLS
// 1.2 a renegotiation that asks for one, and HTTP 200. Facts are read from the recording, not written down here.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProbeResult } from '../../src/core/probe/types';
import { otlpTraceId, otlpTraces, type OtlpSpan } from '../../src/core/report/otlp';
import { exportRuns } from '../../src/core/report/run-exports';
import type { CheckRun } from '../../src/core/runs/check-run';
import { runJson, runsFromJson, RunFileError } from '../../src/core/runs/run-json';
import { buildTimeline, timelineRun } from '../../src/core/timeline/build-timeline';
import type { TimelineMark, TimelineRun } from '../../src/core/timeline/model';
import { fallbackResult, fallbackRun, fallbackSecret } from '../support/fallback-run';

const run = fallbackRun();
const first = run.result;
const retry = first.fallback!.result;
const timeline = timelineRun(run);
const retryStart = Date.parse(retry.startedAt) - Date.parse(first.startedAt);

function marksOf(t: TimelineRun, pick: (m: TimelineMark) => boolean): TimelineMark[] {
  return t.marks.filter(pick);
}

describe('the recording', () => {
  test('is a TLS 1.3 refusal retried over TLS 1.2, where the server renegotiated, asked and accepted', () => {
    assert.equal(first.tls.version, 'TLSv1.3');
    assert.equal(first.http?.status, 403);
    assert.equal(first.verdict.reason, 'post_handshake_auth_required');
    assert.equal(first.fallback?.reason, 'post_handshake_auth_not_offered');
    assert.equal(retry.tls.version, 'TLSv1.2');
    assert.equal(retry.tls.renegotiation?.askedForCertificate, true);
    assert.equal(retry.verdict.stoppedAt, null);
    assert.notEqual(retry.correlationId, first.correlationId);
  });
});

describe('the timeline of a run with a TLS 1.2 retry', () => {
  test('two attempts in time order on the run\'s axis: the retry at its own start, labelled, with why and its outcome', () => {
    const [one, two] = timeline.attempts!;
    assert.equal(timeline.attempts!.length, 2);
    assert.deepEqual([one!.index, one!.label, one!.from, one!.to, one!.correlationId], [0, 'TLS 1.3 attempt', 0, first.timings.total, first.correlationId]);
    assert.equal(one!.outcome, 'refused with HTTP 403');
    assert.equal(two!.label, 'TLS 1.2 retry');
    assert.equal(two!.from, Math.max(retryStart, first.timings.total));
    assert.ok(two!.from >= one!.to, 'the retry starts after the first attempt ended');
    assert.equal(two!.to, Math.round((two!.from + retry.timings.total) * 1000) / 1000);
    assert.equal(two!.correlationId, retry.correlationId);
    assert.equal(two!.outcome, `passed (HTTP ${retry.http!.status})`);
    assert.equal(two!.tone, 'ok');
    assert.match(two!.why!, /over TLS 1\.3 the server refused after the request without asking for a client certificate; this client cannot offer post-handshake authentication/);
    assert.deepEqual(timeline.probeWindow, { from: 0, to: two!.to }, 'the probe window holds both attempts');
  });

  test('every event of the retry is a mark like the first attempt\'s, shifted to the retry\'s start and named as the retry\'s', () => {
    const retryMarks = marksOf(timeline, (m) => m.attempt === 1);
    const fromTrace = retryMarks.filter((m) => m.kind !== 'attempt' && m.kind !== 'verdict' && m.lane !== 'target');
    assert.equal(fromTrace.length, retry.trace.length);
    const from = timeline.attempts![1]!.from;
    for (const [i, event] of retry.trace.entries()) {
      const mark = fromTrace.find((m) => m.time === new Date(Date.parse(retry.startedAt) + event.t).toISOString() && Math.abs(m.t - (from + event.t)) < 0.0015);
      assert.ok(mark, `retry event ${i} (${event.event}) is a mark at its time`);
      assert.match(mark.summary, /^TLS 1\.2 retry — /);
    }
    assert.equal(marksOf(timeline, (m) => m.attempt === 0).length, first.trace.length, 'the first attempt\'s marks keep their words');
    assert.ok(marksOf(timeline, (m) => m.attempt === 0).every((m) => !m.summary.startsWith('TLS 1.2 retry')));
    for (let i = 1; i < timeline.marks.length; i++) assert.ok(timeline.marks[i]!.t >= timeline.marks[i - 1]!.t, 'one run, marks in time order');
    assert.equal(new Set(timeline.marks.map((m) => m.id)).size, timeline.marks.length, 'mark ids are unique');
  });

  test('the retry\'s handshake is decoded: certificates as cards, the renegotiation in words, its HelloRequest and CertificateRequest', () => {
    const retryTls = marksOf(timeline, (m) => m.attempt === 1 && m.lane === 'tls');
    const renegotiation = retryTls.find((m) => m.label === 'Renegotiation')!;
    assert.match(renegotiation.summary, /The server started a TLS renegotiation after the request for GET \/secure\/: its new handshake asks for a client certificate/);
    assert.match(renegotiation.detail.meaning!, /HelloRequest after the request for GET \/secure\/.*CertificateRequest/);
    const hello = retryTls.find((m) => m.label === 'HelloRequest')!;
    assert.equal(hello.dir, 'in');
    assert.equal(hello.decrypted, true);
    assert.match(hello.summary, /start a new handshake: a renegotiation.*in the renegotiation$/);
    const request = retryTls.find((m) => m.label === 'CertificateRequest')!;
    assert.match(request.summary, /the server asks for a client certificate from \d+ CA names?.*in the renegotiation$/);
    assert.ok(request.t > hello.t && request.detail.bytes !== undefined && request.detail.fields.length > 0);
    const sent = retryTls.find((m) => m.label === 'Certificate' && m.dir === 'out')!;
    assert.equal(sent.detail.certificates?.[0]?.role, `client certificate 1 of ${sent.detail.certificates!.length}`);
    assert.match(sent.detail.certificates![0]!.subject, /CN=valid client/);
    assert.ok(retryTls.some((m) => m.label === 'Certificate' && m.dir === 'in' && m.detail.certificates!.length > 0), 'the server certificate of the retry');
  });

  test('a mark at the retry\'s start says why, and the retry\'s phases are bars of their own', () => {
    const why = timeline.marks.find((m) => m.kind === 'attempt')!;
    assert.equal(why.id, timeline.attempts![1]!.markId);
    assert.deepEqual([why.lane, why.t, why.label, why.tone, why.attempt], ['client', timeline.attempts![1]!.from, 'TLS 1.2 retry', 'warning', 1]);
    assert.match(why.summary, /this client cannot offer post-handshake authentication/);
    const fields = Object.fromEntries(why.detail.fields.map((f) => [f.name, f.value]));
    assert.equal(fields.Reason, 'post_handshake_auth_not_offered');
    assert.equal(fields['Highest TLS version offered'], 'TLSv1.2');
    assert.equal(fields['Correlation id of the retry'], `X-Amzn-Trace-Id: ${retry.correlationId}`);
    assert.match(why.detail.meaning!, /post_handshake_auth extension/);
    const phases = timeline.phases.filter((p) => p.attempt === 1);
    assert.deepEqual(phases.map((p) => p.label.replace(/ [\d.]+ ms$/, '')), ['DNS lookup', 'TCP connect', 'TLS handshake', 'TLS renegotiation', 'HTTP exchange']);
    assert.ok(phases.every((p) => p.from >= timeline.attempts![1]!.from && p.to <= timeline.attempts![1]!.to));
    assert.ok(timeline.phases.filter((p) => p.attempt === 0).every((p) => p.to <= first.timings.total));
  });

  test('the retry ends with its own verdict and target marks; the run\'s verdict comes last', () => {
    const verdicts = marksOf(timeline, (m) => m.kind === 'verdict');
    assert.deepEqual(verdicts.map((m) => m.label), ['Retry passed', 'Stopped: mtls']);
    assert.equal(verdicts[0]!.attempt, 1);
    assert.equal(verdicts[1]!.attempt, undefined, 'the run\'s verdict belongs to no one attempt');
    assert.equal(verdicts[1]!.t, timeline.probeWindow.to);
    assert.equal(timeline.marks.at(-1), verdicts[1]);
    const target = marksOf(timeline, (m) => m.lane === 'target');
    assert.deepEqual(target.map((m) => [m.label, m.attempt]), [[String(retry.http!.status), 1]], 'the application answered the retry only');
  });

  test('the banner keeps the first attempt\'s verdict and adds a line with the retry\'s; the facts name the retry', () => {
    const v = timeline.verdict;
    assert.equal(v.reason, 'post_handshake_auth_required');
    assert.equal(v.headline, 'Stopped at mTLS (client certificate)');
    assert.deepEqual(v.retry, { label: 'TLS 1.2 retry', stoppedAt: null, reason: retry.verdict.reason, headline: `Passed: the application answered (HTTP ${retry.http!.status})`, summary: retry.verdict.summary });
    const fact = timeline.facts.find((f) => f.label === 'TLS 1.2 retry')!;
    assert.match(fact.value, new RegExp(`started ${retryStart.toFixed(1)} ms after the first attempt · TLSv1\\.2 · .* · HTTP 200 .*X-Amzn-Trace-Id: ${retry.correlationId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  test('a run of one attempt has no attempts, and its marks and phases no attempt index', () => {
    const single: CheckRun = { ...run, result: { ...fallbackResult(), fallback: undefined } as ProbeResult };
    const plain = timelineRun(single);
    assert.equal(plain.attempts, undefined);
    assert.ok(plain.marks.every((m) => m.attempt === undefined) && plain.phases.every((p) => p.attempt === undefined));
    assert.equal(plain.verdict.retry, undefined);
    assert.deepEqual(plain.probeWindow, { from: 0, to: first.timings.total });
  });

  test('secret header values are redacted in the retry\'s marks too', () => {
    const json = JSON.stringify(buildTimeline([run]));
    assert.ok(!json.includes(fallbackSecret));
    const requests = marksOf(timeline, (m) => m.lane === 'http' && m.label === 'GET /secure/');
    assert.deepEqual(requests.map((m) => m.attempt), [0, 1]);
    for (const request of requests) {
      const headers = request.detail.fields.find((f) => f.name === 'Headers')!;
      assert.equal(headers.children!.find((f) => f.name === 'authorization')!.value, `[redacted, ${Buffer.byteLength(fallbackSecret)} bytes]`);
    }
  });
});

describe('the run JSON of a run with a TLS 1.2 retry', () => {
  test('round-trips the fallback: the retry\'s trace, TLS, HTTP, verdict and correlation id come back, and its timeline is the same', () => {
    const saved = JSON.parse(JSON.stringify(runJson(run))) as Record<string, unknown>;
    const [back] = runsFromJson(saved, 'fallback.json');
    const again = back!.result.fallback!;
    assert.equal(again.reason, 'post_handshake_auth_not_offered');
    assert.equal(again.tlsMaxVersion, 'TLSv1.2');
    assert.equal(again.result.correlationId, retry.correlationId);
    assert.equal(again.result.startedAt, retry.startedAt);
    assert.deepEqual(again.result.tls, retry.tls);
    assert.deepEqual(again.result.verdict, retry.verdict);
    assert.deepEqual(again.result.trace.map((e) => [e.t, e.event]), retry.trace.map((e) => [e.t, e.event]));
    assert.deepEqual(back!.verdict, run.verdict);
    const [before, after] = [timelineRun(run), timelineRun(back!)];
    assert.deepEqual(after.attempts, before.attempts);
    assert.deepEqual(after.marks.map((m) => [m.t, m.label, m.attempt]), before.marks.map((m) => [m.t, m.label, m.attempt]));
  });

  test('secret header values are redacted in both attempts: the request headers of each trace', async () => {
    const text = await exportRuns([run], 'json');
    assert.ok(!text.includes(fallbackSecret), 'the header value is not in the export');
    const saved = JSON.parse(text) as ProbeResult;
    const redacted = `[redacted, ${Buffer.byteLength(fallbackSecret)} bytes]`;
    for (const result of [saved, saved.fallback!.result]) {
      const request = result.trace.find((e) => e.layer === 'http' && e.event === 'request')!;
      assert.equal((request.detail!.headers as Record<string, string>).authorization, redacted);
    }
  });

  test('secret response headers are redacted in the retry\'s http summary', () => {
    const withCookie = fallbackResult();
    withCookie.fallback!.result.http!.headers['set-cookie'] = 'session=canary-7c1e';
    const saved = JSON.stringify(runJson({ ...run, result: withCookie }));
    assert.ok(!saved.includes('canary-7c1e'));
    assert.match(saved, /"set-cookie": ?"\[redacted, 19 bytes\]"/);
  });

  test('a malformed retry is refused with where it is and what was wrong', () => {
    const broken = runJson(run) as unknown as { fallback: { result: Record<string, unknown> } };
    delete broken.fallback.result.trace;
    assert.throws(() => runsFromJson(broken, 'r.json'), (e: unknown) => e instanceof RunFileError && /r\.json: the document\.fallback\.result has no trace/.test(e.message));
    const nested = runJson(run) as unknown as { fallback: { result: Record<string, unknown> } };
    nested.fallback.result.fallback = { reason: 'post_handshake_auth_not_offered', tlsMaxVersion: 'TLSv1.2', result: fallbackResult() };
    assert.throws(() => runsFromJson(nested, 'n.json'), /n\.json: the document\.fallback\.result has a fallback of its own; a retry is never retried/);
    const notARetry = { ...runJson(run), fallback: 'TLSv1.2' };
    assert.throws(() => runsFromJson(notARetry, 'f.json'), /f\.json: the document\.fallback is not a retry/);
  });
});

describe('the OTLP export of a run with a TLS 1.2 retry', () => {
  const spans: OtlpSpan[] = otlpTraces([{ result: first, title: 'apache · valid' }]).resourceSpans[0]!.scopeSpans[0]!.spans;
  const attribute = (s: OtlpSpan, key: string): unknown => {
    const value = s.attributes.find((a) => a.key === key)?.value;
    return value === undefined ? undefined : Object.values(value)[0];
  };
  const root = spans[0]!;
  const retrySpan = spans.find((s) => s.name === 'TLS 1.2 retry')!;

  test('one trace: the retry is a child span of the probe, at its own start, with its phases under it', () => {
    const traceId = otlpTraceId(first.correlationId, first.startedAt);
    assert.ok(spans.every((s) => s.traceId === traceId));
    assert.equal(retrySpan.parentSpanId, root.spanId);
    assert.equal(retrySpan.kind, 3);
    const retryNs = BigInt(Date.parse(retry.startedAt)) * 1_000_000n;
    assert.equal(retrySpan.startTimeUnixNano, retryNs.toString());
    assert.ok(BigInt(retrySpan.endTimeUnixNano) >= retryNs + BigInt(Math.round(retry.timings.total * 1e6)));
    assert.equal(root.endTimeUnixNano, retrySpan.endTimeUnixNano, 'the probe span holds the retry');
    const underRetry = spans.filter((s) => s.parentSpanId === retrySpan.spanId).map((s) => s.name);
    assert.deepEqual(underRetry, ['dns', 'tcp connect', 'tls handshake', 'http']);
    const underRoot = spans.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name);
    assert.deepEqual(underRoot, ['dns', 'tcp connect', 'tls handshake', 'http', 'TLS 1.2 retry']);
    assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, 'span ids are unique');
  });

  test('the retry span carries its own correlation id, TLS version, answer, verdict and why; the probe span why it was made', () => {
    assert.equal(attribute(retrySpan, 'mtls_probe.correlation_id'), retry.correlationId);
    assert.equal(attribute(retrySpan, 'tls.protocol.version'), '1.2');
    assert.equal(attribute(retrySpan, 'http.response.status_code'), String(retry.http!.status));
    assert.equal(attribute(retrySpan, 'mtls_probe.verdict.reason'), retry.verdict.reason);
    assert.equal(attribute(retrySpan, 'mtls_probe.fallback.reason'), 'post_handshake_auth_not_offered');
    assert.equal(attribute(retrySpan, 'mtls_probe.fallback.tls_max_version'), '1.2');
    assert.deepEqual(retrySpan.status, { code: 1 });
    assert.equal(attribute(root, 'mtls_probe.fallback.reason'), 'post_handshake_auth_not_offered');
    assert.equal(attribute(root, 'mtls_probe.verdict.reason'), 'post_handshake_auth_required');
  });

  test('the renegotiation and its handshake messages are events of the retry\'s TLS span, at their times', () => {
    const tls = spans.find((s) => s.parentSpanId === retrySpan.spanId && s.name === 'tls handshake')!;
    const renegotiation = tls.events.find((e) => e.name === 'tls.renegotiation')!;
    const at = retry.trace.find((e) => e.event === 'renegotiation')!;
    assert.equal(renegotiation.timeUnixNano, (BigInt(Date.parse(retry.startedAt)) * 1_000_000n + BigInt(Math.round(at.t * 1000)) * 1000n).toString());
    assert.ok(renegotiation.attributes.some((a) => a.key === 'mtls_probe.tls.renegotiation.after' && 'stringValue' in a.value && a.value.stringValue === 'GET /secure/'));
    assert.ok(tls.events.some((e) => e.name === 'tls.handshake.Hello request'));
    assert.ok(tls.events.some((e) => e.name === 'tls.handshake.Request CERT'));
  });

  test('no header value of either attempt leaves, only header names', () => {
    const text = JSON.stringify(spans);
    assert.ok(!text.includes(fallbackSecret));
    const http = spans.find((s) => s.parentSpanId === retrySpan.spanId && s.name === 'http')!;
    assert.match(String(attribute(http, 'mtls_probe.http.request.header_names')), /authorization/);
  });
});

describe('the HTML report of a run with a TLS 1.2 retry', () => {
  test('without scripts it still says what the retry showed, and lists the retry\'s events', async () => {
    const html = await exportRuns([run], 'html');
    const noscript = html.slice(html.indexOf('<noscript>'), html.indexOf('</noscript>'));
    assert.ok(noscript.includes(`TLS 1.2 retry: passed · ${retry.verdict.reason} — `));
    assert.ok(noscript.includes('TLS 1.2 retry — The server started a TLS renegotiation after the request for GET /secure/'));
    assert.ok(!html.includes(fallbackSecret));
  });
});
