// Secret header values never leave: the one list (src/core/secret-headers.ts) with the names a config or a flag marks
// secret, applied to every text and file the product writes — the curl-style trace of both attempts, JUnit, the run
// JSON and what `report` reads back, the timeline model (panel and HTML report), OTLP and the lab's WAF log — and
// the values a request sent taken out of any other text (a target that echoes them). Only a person at a terminal
// who asks sees them (showSecretHeaders).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigLocation, EndpointConfig } from '../../src/core/config/types';
import { describeExpectedOutcome } from '../../src/core/expectations/evaluate';
import type { EvidenceEvent } from '../../src/core/evidence/types';
import { evaluateWebAcl, RateState, wafLogRecord, type WafRequest } from '../../src/core/lab/waf-rules';
import type { ProbeResult } from '../../src/core/probe/types';
import { formatProbeReport } from '../../src/core/report/curl-style';
import { junitXml } from '../../src/core/report/junit';
import { exportRuns } from '../../src/core/report/run-exports';
import type { CheckRun } from '../../src/core/runs/check-run';
import { runJson, runsFromJson } from '../../src/core/runs/run-json';
import { runFromResult } from '../../src/core/runs/run-service';
import { defaultSecretHeaders, extraSecretHeaders, isSecretHeader, redactedText, redactSecrets, secretHeaderVariable } from '../../src/core/secret-headers';
import { buildTimeline } from '../../src/core/timeline/build-timeline';
import { fallbackResult, fallbackSecret } from '../support/fallback-run';

const tenant = 'tenant-canary-5be1d07a';
const cookie = 'cookie-canary-09f2c4aa';
/** Sent in a header nobody marks secret: printed as it is. */
const echoed = 'not-secret-77aa31c0';
const secrets = [fallbackSecret, 'test-token-not-a-secret', tenant, cookie];

/** The recorded probe with a TLS 1.2 retry, both attempts sending an X-Tenant-Token and a Cookie, the retry's target echoing them. */
function secretResult(): ProbeResult {
  const result = fallbackResult();
  for (const attempt of [result, result.fallback!.result]) {
    const request = attempt.trace.find((e) => e.layer === 'http' && e.event === 'request')!;
    Object.assign(request.detail!.headers as Record<string, string>, { 'x-tenant-token': tenant, cookie: `s=${cookie}; theme=dark`, 'x-echo': echoed });
  }
  const retry = result.fallback!.result;
  retry.http!.headers['set-cookie'] = [`session=${cookie}`, 'theme=dark'];
  retry.http!.headers['x-tenant-token'] = tenant;
  retry.http!.bodyPreview = `{"headers":{"X-Tenant-Token":"${tenant}","Cookie":{"s":"${cookie}"}}}`;
  const body = retry.trace.find((e) => e.layer === 'http' && e.event === 'body')!;
  body.detail!.preview = retry.http!.bodyPreview;
  const response = retry.trace.find((e) => e.layer === 'http' && e.event === 'response')!;
  Object.assign(response.detail!.headers as Record<string, unknown>, { 'set-cookie': [`session=${cookie}`, 'theme=dark'], 'x-tenant-token': tenant });
  return result;
}

function secretRun(secretHeaders: readonly string[] = ['X-Tenant-Token']): CheckRun {
  return runFromResult(secretResult(), { id: 'secret-run', endpointName: 'apache /secure', identityName: 'valid', secretHeaders });
}

function assertNoSecret(text: string, what: string, allowed: readonly string[] = []): void {
  for (const secret of secrets) if (!allowed.includes(secret)) assert.ok(!text.includes(secret), `${what} holds ${secret}`);
}

describe('the list and the redaction', () => {
  test('the defaults, and the names a config or a flag adds, compared without case', () => {
    assert.deepEqual(defaultSecretHeaders, ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-amz-security-token']);
    for (const name of ['Authorization', 'PROXY-AUTHORIZATION', 'Cookie', 'Set-Cookie', 'x-api-key', 'X-Amz-Security-Token']) assert.ok(isSecretHeader(name), name);
    assert.equal(isSecretHeader('X-Tenant-Token'), false);
    assert.ok(isSecretHeader('x-tenant-token', ['X-Tenant-Token']));
    assert.deepEqual(extraSecretHeaders(['X-Tenant-Token', 'Authorization', ' x-tenant-token '], undefined, ['X-Session']), ['x-tenant-token', 'x-session']);
  });

  test('"[redacted, N bytes]": N is the UTF-8 length; a value redacted already keeps its length', () => {
    assert.equal(redactedText('Bearer abc'), '[redacted, 10 bytes]');
    assert.equal(redactedText('é✓'), '[redacted, 5 bytes]');
    assert.equal(redactedText(['a=1', 'b=2']), '[redacted, 8 bytes]');
    assert.equal(redactedText('[redacted, 27 bytes]'), '[redacted, 27 bytes]');
  });

  test('every header shape, with the extra names', () => {
    const value = {
      headers: { Authorization: 'Bearer x', 'X-Tenant-Token': tenant, 'X-Test': '1' },
      waf: [{ name: 'x-tenant-token', value: tenant }, { name: 'Host', value: 'h' }],
      sampled: [{ Name: 'X-TENANT-TOKEN', Value: tenant }],
    };
    const out = JSON.stringify(redactSecrets(value, ['x-tenant-token']));
    assert.ok(!out.includes(tenant));
    assert.match(out, /"X-Tenant-Token":"\[redacted, 22 bytes\]"/);
    assert.match(out, /"Value":"\[redacted, 22 bytes\]"/);
    assert.match(out, /"X-Test":"1"/);
    assert.match(out, /"value":"h"/);
    // Without the extra name only the defaults go.
    assert.ok(JSON.stringify(redactSecrets(value)).includes(tenant));
  });

  test('what holds nothing secret is handed back as is, not copied; what does is copied, the original untouched', () => {
    type Event = { event: string; detail: { fields?: { names: string[] }; headers?: Record<string, string> } };
    const trace: Event[] = [{ event: 'handshake', detail: { fields: { names: ['a', 'b'] } } }, { event: 'request', detail: { headers: { accept: '*/*' } } }];
    assert.equal(redactSecrets(trace), trace);
    const withSecret: Event[] = [...trace, { event: 'request', detail: { headers: { authorization: 'Bearer 123456' } } }];
    const out = redactSecrets(withSecret) as Event[];
    assert.notEqual(out, withSecret);
    assert.equal(out[0], withSecret[0]);
    assert.equal(out[2]?.detail.headers?.authorization, '[redacted, 13 bytes]');
    assert.equal(withSecret[2]?.detail.headers?.authorization, 'Bearer 123456');
  });

  test('the environment variable a command reads a value from', () => {
    assert.equal(secretHeaderVariable('Authorization'), 'MTLS_PROBE_HEADER_AUTHORIZATION');
    assert.equal(secretHeaderVariable('x-api-key'), 'MTLS_PROBE_HEADER_X_API_KEY');
  });
});

describe('the text trace (terminal, output channel, Show Run Trace, JUnit)', () => {
  test('both attempts: request and response values redacted with their length, echoes taken out of the body', () => {
    const text = formatProbeReport(secretResult(), { secretHeaders: ['X-Tenant-Token'] });
    assertNoSecret(text, 'the trace');
    assert.equal(text.match(/> authorization: \[redacted, 30 bytes\]/g)?.length, 2, 'each attempt\'s Authorization');
    assert.equal(text.match(/> x-tenant-token: \[redacted, 22 bytes\]/g)?.length, 2);
    assert.equal(text.match(/> cookie: \[redacted, 36 bytes\]/g)?.length, 2);
    assert.match(text, /< set-cookie: \[redacted, 30 bytes\]\n.*< set-cookie: \[redacted, 10 bytes\]/);
    assert.match(text, /< x-tenant-token: \[redacted, 22 bytes\]/);
    // The echo: the whole value, and the cookie's value inside a parsed object.
    assert.match(text, /body: \d+ bytes: .*X-Tenant-Token\\":\\"\[redacted, 22 bytes\]\\".*\\"s\\":\\"\[redacted, 22 bytes\]\\"/);
    // A header that is not secret keeps its value; "x-echo" was not marked secret, so it stays too.
    assert.match(text, /> user-agent: mtls-probe/);
    assert.match(text, new RegExp(`> x-echo: ${echoed}`));
  });

  test('without the extra name, X-Tenant-Token is printed (the config or the flag is what marks it)', () => {
    assert.ok(formatProbeReport(secretResult()).includes(`> x-tenant-token: ${tenant}`));
  });

  test('showSecretHeaders (a person at a terminal who asked): the values as sent', () => {
    const text = formatProbeReport(secretResult(), { secretHeaders: ['X-Tenant-Token'], showSecretHeaders: true });
    assert.equal(text.match(new RegExp(`> authorization: ${fallbackSecret}`, 'g'))?.length, 2);
    assert.match(text, new RegExp(`> x-tenant-token: ${tenant}`));
  });

  test('JUnit: the endpoint\'s "secretHeaders" apply to the trace in <system-out> and <failure>', () => {
    const at: ConfigLocation = { file: '/ws/.vscode/mtls-probe.json', jsonPath: '', offset: 0, length: 0 };
    const endpoint: EndpointConfig = { name: 'apache', url: 'https://apache.example/secure/', insecure: false, identities: [], expectations: [], location: at, secretHeaders: ['X-Tenant-Token'], headers: { 'X-Tenant-Token': tenant } };
    const expected = { kind: 'stopped', layer: 'mtls' } as const;
    const check = { id: 'apache/valid', endpoint, identityName: 'valid', identity: null, expectation: { identity: 'valid', expected, location: at }, expected, expectedText: describeExpectedOutcome(expected) };
    const result = secretResult();
    const xml = junitXml([
      { check, status: 'passed', passed: true, message: 'ok', result, durationMs: 1 },
      { check, status: 'failed', passed: false, message: `expected mtls; the target said ${tenant}`, result, durationMs: 1 },
      { check, status: 'error', passed: false, message: `could not run: bad value ${tenant}`, error: `bad value ${tenant}`, durationMs: 1 },
    ]);
    assertNoSecret(xml, 'the JUnit XML');
    assert.match(xml, /&gt; x-tenant-token: \[redacted, 22 bytes\]/);
  });
});

describe('files and messages: run JSON, report, timeline, OTLP', () => {
  const evidence: EvidenceEvent = {
    time: '2026-12-06T04:11:29.500Z',
    lane: 'waf',
    kind: 'waf-log',
    summary: 'WAF ALLOW by rule Default_Action',
    matchedBy: [{ key: 'traceId', value: 'Root=1-6b14e071-1a99c9af2b6b45f1d372c5e7' }],
    origin: { file: 'waf.log', line: 1 },
    record: { httpRequest: { headers: [{ name: 'X-Tenant-Token', value: tenant }, { name: 'Cookie', value: `s=${cookie}` }, { name: 'Host', value: 'apache.example' }] } },
  };
  const withEvidence = (run: CheckRun): CheckRun => ({
    ...run,
    evidence: { report: { events: [evidence], stats: { files: 1, lines: 1, skippedLines: 0 }, problems: [] }, window: { from: run.startedAt, to: run.startedAt }, keys: {}, sourceLabel: 'local logs' },
  });

  test('--json: the names it marks are carried, every value redacted (both attempts, HTTP, evidence, echoes)', () => {
    const json = runJson(withEvidence(secretRun()));
    assert.deepEqual(json.run.secretHeaders, ['x-tenant-token']);
    const text = JSON.stringify(json);
    assertNoSecret(text, 'the run JSON');
    assert.ok(text.includes('"x-tenant-token":"[redacted, 22 bytes]"'));
    assert.ok(text.includes('{"name":"X-Tenant-Token","value":"[redacted, 22 bytes]"}'));
    assert.equal(json.fallback!.result.http!.bodyPreview, '{"headers":{"X-Tenant-Token":"[redacted, 22 bytes]","Cookie":{"s":"[redacted, 22 bytes]"}}}');
    assert.equal('secretHeaders' in runJson(runFromResult(secretResult(), { endpointName: 'e', identityName: 'none' })).run, false, 'absent when nothing is marked');
  });

  test('a saved run read back keeps its names and its byte counts; exporting it again changes nothing', () => {
    const saved = JSON.parse(JSON.stringify(runJson(secretRun()))) as unknown;
    const [back] = runsFromJson(saved, 'saved.json');
    assert.deepEqual(back!.secretHeaders, ['x-tenant-token']);
    assert.deepEqual(JSON.parse(JSON.stringify(runJson(back!))), saved);
    assert.ok(formatProbeReport(back!.result, { secretHeaders: back!.secretHeaders }).includes('> authorization: [redacted, 30 bytes]'));
  });

  test('the timeline model, the HTML report and OTLP carry no value of the names the run marks', async () => {
    const run = withEvidence(secretRun());
    assertNoSecret(JSON.stringify(buildTimeline([run])), 'the timeline model');
    for (const format of ['html', 'otlp', 'json'] as const) assertNoSecret(await exportRuns([run], format), `the ${format} export`);
    assert.match(JSON.stringify(buildTimeline([run])), /\[redacted, 22 bytes\]/);
  });
});

describe('the lab\'s WAF log (AWS WAF RedactedFields)', () => {
  const request = (headers: WafRequest['headers']): WafRequest => ({ clientIp: '127.0.0.1', method: 'GET', uri: '/', args: '', headers, httpVersion: 'HTTP/1.1', requestId: 'Root=1-00000000-000000000000000000000000' });
  const meta = { timestamp: new Date(0), webAclId: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/lab/1', httpSourceId: '123456789012-app/lab/1' };

  test('the one list, and the names the lab is started with, are written REDACTED', () => {
    const req = request([{ name: 'Authorization', value: fallbackSecret }, { name: 'X-Tenant-Token', value: tenant }, { name: 'Host', value: 'lab' }]);
    const decision = evaluateWebAcl(req, new RateState(), new Date(0));
    const plain = wafLogRecord(decision, req, meta).httpRequest as { headers: Array<{ name: string; value: string }> };
    assert.deepEqual(plain.headers.map((h) => h.value), ['REDACTED', tenant, 'lab']);
    const marked = wafLogRecord(decision, req, { ...meta, redactedHeaders: ['x-tenant-token'] }).httpRequest as { headers: Array<{ name: string; value: string }> };
    assert.deepEqual(marked.headers.map((h) => h.value), ['REDACTED', 'REDACTED', 'lab']);
  });
});
