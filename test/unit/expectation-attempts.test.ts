// Which attempt an expectation is about. A probe refused over TLS 1.3 after the request, with no certificate asked
// for, is retried over TLS 1.2 (ProbeResult.fallback); an expectation names the attempt it judges with "attempt"
// ("first" by default, "tls12Fallback", "last"), and nothing falls back silently: the message, the CLI's line, the
// run's JSON and JUnit say which attempt was judged and what the other one got.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { workspaceConfigSchema } from '../../src/core/config/config-schema';
import { expectedAttempts, type ConfigLocation, type ConfigProblem, type EndpointConfig, type ExpectedOutcome, type WorkspaceConfig } from '../../src/core/config/types';
import { parseWorkspaceConfig } from '../../src/core/config/workspace-config';
import { describeExpectedOutcome, judgeExpectation, type JudgedAttempt } from '../../src/core/expectations/evaluate';
import type { ExpectationCheck } from '../../src/core/expectations/expectations';
import type { HttpSummary, Layer, ProbeResult, TlsVersionName } from '../../src/core/probe/types';
import { junitXml } from '../../src/core/report/junit';
import type { ExpectationRun } from '../../src/core/runs/expectation-runs';
import { runJson, runsFromJson } from '../../src/core/runs/run-json';
import { runFromResult } from '../../src/core/runs/run-service';
import { traceDocument } from '../../src/extension/run-words';
import { builtSchema, schemaValidator } from '../support/config-schema';

function parse(text: string): WorkspaceConfig {
  return parseWorkspaceConfig(text, '.vscode/mtls-probe.json', '/workspace');
}

/** A config whose one endpoint expects this outcome for identity "partner" (text, so bad values can be written). */
function expecting(outcome: string): string {
  return `{ "identities": { "partner": { "cert": "c.pem", "key": "c.key" } }, "endpoints": [ { "name": "e", "url": "https://e.example/", "expect": { "partner": ${outcome} } } ] }`;
}

function problemAt(config: WorkspaceConfig, jsonPath: string): ConfigProblem {
  const found = config.problems.find((p) => p.jsonPath === jsonPath);
  assert.ok(found, `no problem at ${jsonPath}; problems: ${JSON.stringify(config.problems.map((p) => [p.jsonPath, p.message]))}`);
  return found;
}

const goodOutcomes: [written: string, read: ExpectedOutcome][] = [
  ['{ "stoppedAt": "target", "attempt": "tls12Fallback" }', { kind: 'target', attempt: 'tls12Fallback' }],
  ['{ "stoppedAt": "mtls", "reason": "post_handshake_auth_required", "attempt": "first" }', { kind: 'stopped', layer: 'mtls', reason: 'post_handshake_auth_required', attempt: 'first' }],
  ['{ "stoppedAt": "target", "status": 200, "attempt": "last" }', { kind: 'target', status: 200, attempt: 'last' }],
  ['{ "status": 403, "attempt": "last" }', { kind: 'status', status: 403, attempt: 'last' }],
  ['{ "status": 403 }', { kind: 'status', status: 403 }],
  ['{ "stoppedAt": "mtls" }', { kind: 'stopped', layer: 'mtls' }],
];

const badOutcomes: [written: string, jsonPath: string, message: RegExp, fix: RegExp][] = [
  ['{ "stoppedAt": "target", "attempt": "retry" }', 'endpoints[0].expect.partner.attempt', /^"attempt" must be "first", "tls12Fallback", "last"; found "retry"\. This expectation is dropped\.$/, /^Did you mean "tls12Fallback"\? Use "first" \(the first attempt, the default\), "tls12Fallback" \(the TLS 1\.2 retry\) or "last"/],
  ['{ "stoppedAt": "target", "attempt": "Last" }', 'endpoints[0].expect.partner.attempt', /found "Last"/, /^Did you mean "last"\?/],
  ['{ "stoppedAt": "target", "attempt": "either" }', 'endpoints[0].expect.partner.attempt', /found "either"/, /^Did you mean "last"\?/],
  ['{ "stoppedAt": "target", "attempt": "tls12fallback" }', 'endpoints[0].expect.partner.attempt', /found "tls12fallback"/, /^Did you mean "tls12Fallback"\?/],
  ['{ "stoppedAt": "target", "attempt": true }', 'endpoints[0].expect.partner.attempt', /found true\./, /^Use "first"/],
  ['{ "stoppedAt": "target", "attempt": 2 }', 'endpoints[0].expect.partner.attempt', /found 2\./, /^Use "first"/],
  ['{ "attempt": "last" }', 'endpoints[0].expect.partner', /has no "stoppedAt"/, /or "status" alone for an HTTP status/],
  ['{ "status": 403, "reason": "http_403_forbidden" }', 'endpoints[0].expect.partner.reason', /"reason" applies to a layer where the probe stops, not to an HTTP status from whichever layer answers/, /give "stoppedAt" a layer/],
  ['{ "stoppedAt": "mtls", "status": 403, "attempt": "last" }', 'endpoints[0].expect.partner.status', /"status" applies to "stoppedAt": "target"/, /"status" without "stoppedAt"/],
];

describe('"attempt" in the workspace config', () => {
  test('read into the expected outcome; absent, the outcome is as before (the first attempt)', () => {
    for (const [written, read] of goodOutcomes) {
      const config = parse(expecting(written));
      assert.deepEqual(config.problems, [], written);
      assert.deepEqual(config.endpoints[0]?.expectations[0]?.expected, read, written);
    }
  });

  test('a bad one drops the expectation with an error at its place, naming the value and the values it can take', () => {
    for (const [written, jsonPath, message, fix] of badOutcomes) {
      const config = parse(expecting(written));
      assert.equal(config.endpoints.length, 1, `${written}: the endpoint stays`);
      assert.deepEqual(config.endpoints[0]!.expectations, [], written);
      const problem = problemAt(config, jsonPath);
      assert.equal(problem.severity, 'error', written);
      assert.match(problem.message, message, written);
      assert.match(problem.fix, fix, written);
    }
  });

  test('"attempt" written beside the identities says where it goes', () => {
    const config = parse(expecting('"target", "attempt": "last"'));
    assert.deepEqual(config.endpoints[0]!.expectations.map((e) => e.identity), ['partner']);
    const problem = problemAt(config, 'endpoints[0].expect.attempt');
    assert.equal(problem.message, 'identity "attempt" is not defined. This expectation is dropped.');
    assert.equal(problem.fix, '"attempt" goes inside one identity\'s outcome written as an object, e.g. "valid": { "stoppedAt": "target", "attempt": … }.');
  });
});

describe('"attempt" in the JSON Schema', () => {
  const schema = builtSchema();
  const { validate, accepts } = schemaValidator(schema);

  test('the built schema is the field tables\' (run npm run build after changing them)', () => {
    assert.deepEqual(schema, JSON.parse(JSON.stringify(workspaceConfigSchema())));
  });

  test('the property lists the attempts, each described, and says what the retry is', () => {
    const definitions = schema.definitions as Record<string, { anyOf: { properties?: Record<string, Record<string, unknown>> }[] }>;
    const attempt = definitions.expectedOutcome!.anyOf.find((s) => s.properties !== undefined)!.properties!.attempt!;
    assert.deepEqual(attempt.enum, [...expectedAttempts]);
    assert.equal((attempt.enumDescriptions as string[]).length, expectedAttempts.length);
    assert.match(attempt.description as string, /made again over TLS 1\.2.*Default: "first"/);
    assert.match(attempt.markdownDescription as string, /`"last"`: the TLS 1\.2 retry when the probe made one, else the first attempt/);
  });

  test('accepts what the reader reads', () => {
    for (const [written] of goodOutcomes) assert.ok(accepts(expecting(written)), `${JSON.stringify(validate.errors)}\n${written}`);
  });

  test('rejects what the reader refuses', () => {
    for (const [written] of badOutcomes) assert.equal(accepts(expecting(written)), false, `the schema accepts ${written}`);
  });
});

describe('describeExpectedOutcome words the attempt', () => {
  test('nothing for the default; the attempt when the config names one', () => {
    const cases: [ExpectedOutcome, string][] = [
      [{ kind: 'stopped', layer: 'mtls', reason: 'post_handshake_auth_required' }, 'mtls (post_handshake_auth_required)'],
      [{ kind: 'stopped', layer: 'mtls', attempt: 'first' }, 'mtls on the first attempt'],
      [{ kind: 'target', attempt: 'tls12Fallback' }, 'target on the TLS 1.2 retry'],
      [{ kind: 'target', status: 200, attempt: 'last' }, 'target with HTTP 200 on the last attempt'],
      [{ kind: 'status', status: 403, attempt: 'tls12Fallback' }, 'HTTP 403 on the TLS 1.2 retry'],
    ];
    for (const [expected, words] of cases) assert.equal(describeExpectedOutcome(expected), words);
  });
});

// Synthetic results shaped like Apache with SSLVerifyClient inside <Location /secure>: over TLS 1.3 a 403 without
// a certificate asked for; over TLS 1.2 a renegotiation that accepts (or refuses) the certificate.

function http(status: number): HttpSummary {
  return { status, httpVersion: 'HTTP/1.1', headers: {}, bodyPreview: '', bodyBytes: 0 };
}

function attempt(version: TlsVersionName, stoppedAt: Layer | null, reason: string, summary: string, status?: number): ProbeResult {
  return {
    target: { url: 'https://localhost/secure/', host: 'localhost', port: 443, serverName: 'localhost', address: '127.0.0.1', addresses: ['127.0.0.1'] },
    identity: null,
    timings: { dns: null, tcp: 1, tls: 2, firstByte: 3, total: 4 },
    tls: { version, cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'http/1.1', serverCertificates: [], certificateRequest: null, clientCertificateSent: false, serverCertificateVerified: true },
    trace: [],
    http: status === undefined ? null : http(status),
    correlationId: `Root=1-00000000-00000000000000000000000${version === 'TLSv1.2' ? '2' : '3'}`,
    verdict: { stoppedAt, reason, summary, confidence: 'probe', evidence: [] },
    client: { address: null, port: null },
    startedAt: new Date(0).toISOString(),
    error: null,
  };
}

function retried(first: ProbeResult, retry: ProbeResult): ProbeResult {
  return { ...first, fallback: { reason: 'post_handshake_auth_not_offered', tlsMaxVersion: 'TLSv1.2', result: retry } };
}

const required = attempt('TLSv1.3', 'mtls', 'post_handshake_auth_required', 'Over TLS 1.3 the server refused GET /secure/ with HTTP 403.', 403);
const accepted = attempt('TLSv1.2', null, 'target_responded', 'The request passed every layer: HTTP 200 from the target.', 200);
const unknownCa = attempt('TLSv1.2', 'mtls', 'alert_unknown_ca', 'The server refused the client certificate: unknown_ca.');
const acceptedAfterRetry = retried(required, accepted);
const refusedAfterRetry = retried(required, unknownCa);
const answeredOverTls13 = attempt('TLSv1.3', null, 'target_responded', 'The request passed every layer: HTTP 200 from the target.', 200);

const requiredOutcome: ExpectedOutcome = { kind: 'stopped', layer: 'mtls', reason: 'post_handshake_auth_required' };

describe('judging the attempt the expectation names', () => {
  const cases: [name: string, expected: ExpectedOutcome, result: ProbeResult, passed: boolean, judged: JudgedAttempt | null][] = [
    ['default, retried: the first attempt', requiredOutcome, acceptedAfterRetry, true, 'first'],
    ['default, retried: target is not the first attempt', { kind: 'target' }, acceptedAfterRetry, false, 'first'],
    ['first, named', { ...requiredOutcome, attempt: 'first' }, acceptedAfterRetry, true, 'first'],
    ['tls12Fallback, accepted', { kind: 'target', attempt: 'tls12Fallback' }, acceptedAfterRetry, true, 'tls12Fallback'],
    ['tls12Fallback, refused', { kind: 'target', attempt: 'tls12Fallback' }, refusedAfterRetry, false, 'tls12Fallback'],
    ['tls12Fallback, the refusal expected', { kind: 'stopped', layer: 'mtls', reason: 'alert_unknown_ca', attempt: 'tls12Fallback' }, refusedAfterRetry, true, 'tls12Fallback'],
    ['tls12Fallback, no retry made', { kind: 'target', attempt: 'tls12Fallback' }, answeredOverTls13, false, null],
    ['last, retried: the retry', { kind: 'target', status: 200, attempt: 'last' }, acceptedAfterRetry, true, 'tls12Fallback'],
    ['last, no retry: the first attempt', { kind: 'target', status: 200, attempt: 'last' }, answeredOverTls13, true, 'first'],
    ['status on the retry', { kind: 'status', status: 200, attempt: 'tls12Fallback' }, acceptedAfterRetry, true, 'tls12Fallback'],
    ['status on the first attempt', { kind: 'status', status: 403 }, acceptedAfterRetry, true, 'first'],
  ];
  for (const [name, expected, result, passed, judged] of cases) {
    test(`${name} → ${passed ? 'met' : 'not met'}, judged on ${judged ?? 'no attempt'}`, () => {
      const judgement = judgeExpectation(expected, result);
      assert.equal(judgement.passed, passed, judgement.message);
      assert.equal(judgement.attempt, judged);
    });
  }

  test('no retry, the default: the words are as before', () => {
    assert.deepEqual(judgeExpectation({ kind: 'target' }, answeredOverTls13), { passed: true, attempt: 'first', got: 'target with HTTP 200', message: 'target with HTTP 200, as expected' });
    assert.equal(judgeExpectation({ kind: 'stopped', layer: 'mtls' }, answeredOverTls13).message, 'expected mtls, got target with HTTP 200: The request passed every layer: HTTP 200 from the target.');
  });

  test('judged on the first attempt after a retry: the message says the retry happened and what it got', () => {
    const met = judgeExpectation(requiredOutcome, acceptedAfterRetry);
    assert.equal(met.message, 'mtls (post_handshake_auth_required), as expected (judged on the first attempt; the probe retried over TLS 1.2, and the retry got target with HTTP 200)');
    assert.equal(met.got, 'mtls (post_handshake_auth_required); the TLS 1.2 retry got target with HTTP 200');
    // Not met, and the retry got what was expected: the message says how to judge the retry instead.
    assert.equal(
      judgeExpectation({ kind: 'target' }, acceptedAfterRetry).message,
      'expected target, got mtls (post_handshake_auth_required) (judged on the first attempt; the probe retried over TLS 1.2, and the retry got target with HTTP 200 — what was expected: to judge the retry, add "attempt": "last" (or "tls12Fallback") to this expectation): Over TLS 1.3 the server refused GET /secure/ with HTTP 403.',
    );
    assert.doesNotMatch(judgeExpectation({ kind: 'target' }, refusedAfterRetry).message, /to judge the retry/);
  });

  test('judged on the TLS 1.2 retry: the message says so, and what the first attempt got', () => {
    const met = judgeExpectation({ kind: 'target', attempt: 'tls12Fallback' }, acceptedAfterRetry);
    assert.equal(met.message, 'target with HTTP 200, as expected (judged on the TLS 1.2 retry; the first attempt, over TLSv1.3, got mtls (post_handshake_auth_required))');
    assert.equal(met.got, 'target with HTTP 200 on the TLS 1.2 retry; the first attempt, over TLSv1.3, got mtls (post_handshake_auth_required)');
    assert.equal(
      judgeExpectation({ kind: 'target', attempt: 'last' }, refusedAfterRetry).message,
      'expected target on the last attempt, got mtls (alert_unknown_ca) (judged on the TLS 1.2 retry; the first attempt, over TLSv1.3, got mtls (post_handshake_auth_required)): The server refused the client certificate: unknown_ca.',
    );
  });

  test('the TLS 1.2 retry asked for and not made: not met, and the message says there was none', () => {
    const none = judgeExpectation({ kind: 'target', attempt: 'tls12Fallback' }, answeredOverTls13);
    assert.equal(none.got, 'no TLS 1.2 retry; the first attempt got target with HTTP 200');
    assert.match(none.message, /^expected target on the TLS 1\.2 retry, but the probe made no TLS 1\.2 retry \(it retries only when TLS 1\.3 was refused after the request without a client certificate asked for\); the first attempt got target with HTTP 200: /);
  });

  test('"last" without a retry says why the first attempt was judged', () => {
    assert.equal(judgeExpectation({ kind: 'target', attempt: 'last' }, answeredOverTls13).message, 'target with HTTP 200, as expected (judged on the first attempt: the probe made no TLS 1.2 retry)');
  });
});

describe('the run, its JSON, JUnit and the trace document carry the attempt judged', () => {
  const expected: ExpectedOutcome = { kind: 'target', attempt: 'tls12Fallback' };
  const run = runFromResult(acceptedAfterRetry, { endpointName: 'apache', identityName: 'valid', expected });

  test('the run\'s expectation: the attempt judged and what was got', () => {
    assert.equal(run.expectation?.judgedAttempt, 'tls12Fallback');
    assert.equal(run.expectation?.expected, 'target on the TLS 1.2 retry');
    assert.match(run.expectation?.got ?? '', /^target with HTTP 200 on the TLS 1\.2 retry; /);
    const json = runJson(run);
    assert.deepEqual(json.expectation?.outcome, expected);
    assert.equal(json.expectation?.judgedAttempt, 'tls12Fallback');
    assert.equal(json.fallback?.result.verdict.reason, 'target_responded');
    const [back] = runsFromJson(JSON.parse(JSON.stringify(json)), 'run.json');
    assert.deepEqual(back?.expectation, run.expectation);
    const none = runFromResult(answeredOverTls13, { endpointName: 'apache', identityName: 'valid', expected });
    assert.equal(JSON.parse(JSON.stringify(runJson(none))).expectation.judgedAttempt, null);
  });

  const at: ConfigLocation = { file: '/ws/.vscode/mtls-probe.json', jsonPath: '', offset: 0, length: 0 };
  const endpoint: EndpointConfig = { name: 'apache', url: 'https://localhost/secure/', insecure: false, identities: [], expectations: [], location: at };
  const expectationRun = (identityName: string, outcome: ExpectedOutcome, result: ProbeResult): ExpectationRun => {
    const check: ExpectationCheck = { id: `apache/${identityName}`, endpoint, identityName, identity: null, expectation: { identity: identityName, expected: outcome, location: at }, expected: outcome, expectedText: describeExpectedOutcome(outcome) };
    const checkRun = runFromResult(result, { endpointName: 'apache', identityName, expected: outcome });
    const { passed, message } = checkRun.expectation!;
    return { check, status: passed ? 'passed' : 'failed', passed, message, run: checkRun, result, durationMs: 5 };
  };

  test('JUnit: the attempt judged and the retry\'s outcome as testcase properties; a pass after a retry says so above its trace', () => {
    const xml = junitXml([
      expectationRun('valid', expected, acceptedAfterRetry),
      expectationRun('none', requiredOutcome, acceptedAfterRetry),
      expectationRun('plain', { kind: 'target' }, answeredOverTls13),
    ]);
    const cases = xml.split('<testcase').slice(1);
    assert.match(cases[0]!, /name="valid → target on the TLS 1\.2 retry"/);
    assert.match(cases[0]!, /<property name="judgedAttempt" value="tls12Fallback"\/>\n {8}<property name="tls12Retry" value="target with HTTP 200 \(Root=1-[0-]+2\)"\/>/);
    assert.match(cases[0]!, /<system-out>target with HTTP 200, as expected \(judged on the TLS 1\.2 retry; /);
    assert.match(cases[1]!, /<property name="judgedAttempt" value="first"\/>/);
    assert.match(cases[1]!, /<system-out>mtls \(post_handshake_auth_required\), as expected \(judged on the first attempt; the probe retried over TLS 1\.2, and the retry got target with HTTP 200\)/);
    assert.doesNotMatch(cases[2]!, /<properties>|as expected/, 'a check with one attempt reads as before');
  });

  test('the extension\'s trace document: which attempt was judged and what the other got', () => {
    const text = traceDocument(run, '* Connected\n');
    assert.match(text, /\nExpectation: target on the TLS 1\.2 retry — met: got target with HTTP 200 on the TLS 1\.2 retry; the\n {2}first attempt, over TLSv1\.3, got mtls \(post_handshake_auth_required\)\n/);
  });
});
