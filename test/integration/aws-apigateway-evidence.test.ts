// API Gateway mutual TLS end to end: real probes against a local stand-in for an API Gateway custom domain (a 403 after
// the handshake for a missing or untrusted certificate, API Gateway's headers on the answer), then the real AWS SDK v3
// clients against fake-aws — API Gateway's GetDomainName (REST-JSON) and Logs Insights over the stage's access-log
// group — and the report's events fed to upgradeVerdict. Region eu-west-1.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { AwsEvidenceSource } from '../../src/core/evidence/aws/aws-evidence-source';
import { collectProbeEvidence } from '../../src/core/evidence/collect';
import { correlationKeysFor, describeEvidence, evidenceWindow, upgradeVerdict } from '../../src/core/evidence/correlate';
import type { EvidenceReport } from '../../src/core/evidence/types';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import type { ProbeResult } from '../../src/core/probe/types';
import { accessLogLine, startApiGatewayPeer, type ApiGatewayPeer, type ApiGatewayRequestFacts } from '../support/apigateway-peer';
import { account, region } from '../support/aws-test-names';
import { fakeAwsAccess, startFakeAws, type FakeAwsHandler } from '../support/fake-aws';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';

const domainName = 'api.example.com';
const accessLogGroup = 'API-Gateway-Access-Logs_orders/prod';

let env: TestPkiFiles;
let gateway: ApiGatewayPeer;
let bare: ApiGatewayPeer;
let untrusted: ClientIdentity;

before(async () => {
  env = await makePkiFiles();
  gateway = await startApiGatewayPeer(env.pki);
  bare = await startApiGatewayPeer(env.pki, { apiGatewayHeaders: false });
  untrusted = await loadPemIdentity({ certFile: env.files.client('untrusted').cert, keyFile: env.files.client('untrusted').key, label: 'untrusted' });
});

after(async () => {
  await gateway?.close();
  await bare?.close();
  if (env) await rm(env.files.dir, { recursive: true, force: true });
});

async function probePeer(peer: ApiGatewayPeer, identity: ClientIdentity | null): Promise<{ result: ProbeResult; facts: ApiGatewayRequestFacts }> {
  const before = peer.requests.length;
  const { result } = await probe({ url: peer.url, ca: env.pki.rootCa.certPem, identity, timeouts: { tls: 5000, http: 5000 } });
  const facts = peer.requests[before];
  assert.ok(facts, `the peer logged no request: ${result.verdict.reason}`);
  return { result, facts };
}

function probeEnd(result: ProbeResult): Date {
  return new Date(Date.parse(result.startedAt) + result.timings.total);
}

/** GetDomainName as API Gateway answers it for a Regional custom domain with mutual TLS. */
function domainHandler(mutualTls: Record<string, unknown> | null): FakeAwsHandler {
  return (params) =>
    params.domainName !== domainName
      ? { error: { code: 'NotFoundException', message: 'Invalid domain name identifier specified', status: 404 } }
      : {
          output: {
            domainName,
            domainNameArn: `arn:aws:apigateway:${region}::/domainnames/${domainName}`,
            regionalDomainName: `d-abc123xyz.execute-api.${region}.amazonaws.com`,
            regionalCertificateArn: `arn:aws:acm:${region}:${account}:certificate/1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718`,
            endpointConfiguration: { types: ['REGIONAL'] },
            domainNameStatus: 'AVAILABLE',
            securityPolicy: 'TLS_1_2',
            ...(mutualTls !== null ? { mutualTlsAuthentication: mutualTls } : {}),
          },
        };
}

const truststore = { truststoreUri: 's3://orders-truststore/partners.pem', truststoreVersion: 'x4Jt.1Ab' };
const warnings = ['Certificate with subject CN=Old Partner CA,O=Example is expired.', 'Certificate with subject CN=Weak CA uses an insecure signature algorithm.'];

/** Logs Insights answering every query at once with the rows `rows(queryString)` gives (as JSON access-log messages). */
function insights(rows: (queryString: string) => string[]): Record<'logs:StartQuery' | 'logs:GetQueryResults', FakeAwsHandler> {
  const queries: string[] = [];
  return {
    'logs:StartQuery': (params) => ({ output: { queryId: `q-${queries.push(String(params.queryString))}` } }),
    'logs:GetQueryResults': (params) => {
      const query = queries[Number(String(params.queryId).slice(2)) - 1] ?? '';
      const results = rows(query).map((message, i) => [
        { field: '@timestamp', value: new Date().toISOString().replace('T', ' ').replace('Z', '') },
        { field: '@message', value: message },
        { field: '@ptr', value: `ptr-${i}` },
      ]);
      return { output: { status: 'Complete', results, statistics: { recordsMatched: results.length, recordsScanned: 912, bytesScanned: 480_000 } } };
    },
  };
}


function coverage(report: EvidenceReport): Record<string, string> {
  return Object.fromEntries((report.coverage ?? []).map((c) => [c.evidence, `${c.state}: ${c.detail}`]));
}

/** Another client's request in the same minutes: never the probe's. */
function otherRequest(facts: ApiGatewayRequestFacts): string {
  return accessLogLine({ ...facts, requestId: '9a1c7b2e-0d4f-4e0a-8c55-2f1d3e4a5b6c', extendedRequestId: 'Qm9vZ2llV29vZ2k=', sourceIp: '198.51.100.23', status: 200, clientCert: null });
}

test('an untrusted certificate: the domain with its truststore warnings beside the verdict, and the access-log record with clientCert confirms mtls', async (t) => {
  const { result, facts } = await probePeer(gateway, untrusted);
  assert.deepEqual([result.verdict.stoppedAt, result.verdict.reason, result.verdict.confidence], ['mtls', 'apigateway_403_client_certificate_refused', 'probe'], result.verdict.summary);
  assert.ok(facts.clientCert !== null);
  const keys = correlationKeysFor(result);
  assert.equal(keys.requestId, facts.requestId);
  assert.equal(keys.extendedRequestId, facts.extendedRequestId);

  const fake = await startFakeAws(t, {
    'apigateway:GetDomainName': domainHandler({ ...truststore, truststoreWarnings: warnings }),
    ...insights((query) => (query.includes(facts.requestId) ? [otherRequest(facts), accessLogLine(facts)] : [])),
  });
  const source = new AwsEvidenceSource({ region, apiGateway: { domainName, accessLogGroup } }, { access: fakeAwsAccess(fake.url), queryPollMs: 1 });
  const report = await source.collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });

  assert.deepEqual(report.problems, []);
  // GetDomainName by its REST path, signed for API Gateway in the region; one Logs Insights query by the request ids.
  assert.deepEqual(fake.calls.map((c) => `${c.service}:${c.operation}`), ['apigateway:GetDomainName', 'logs:StartQuery', 'logs:GetQueryResults']);
  assert.deepEqual(fake.callsTo('GetDomainName')[0]!.params, { domainName });
  assert.ok(fake.calls.every((c) => c.accessKeyId === 'AKIDTEST' && c.region === region));
  const startQuery = fake.callsTo('StartQuery')[0]!.params;
  assert.equal(startQuery.logGroupName, accessLogGroup);
  assert.equal(startQuery.queryString, `fields @timestamp, @message, @ptr | filter @message like "${facts.requestId}" or @message like "${facts.extendedRequestId}" | sort @timestamp asc | limit 50`);

  const context = report.context ?? [];
  assert.equal(context.length, 1);
  assert.equal(context[0]!.title, 'API Gateway custom domain (mTLS on, 2 truststore warnings)');
  assert.equal(context[0]!.resource, `arn:aws:apigateway:${region}::/domainnames/${domainName}`);
  assert.match(context[0]!.summary, /^Custom domain api\.example\.com \(REGIONAL, TLS_1_2\) requires mutual TLS with the trust store s3:\/\/orders-truststore\/partners\.pem \(version x4Jt\.1Ab\): it asks for a client certificate in the TLS handshake, and answers a request whose certificate is missing or refused with HTTP 403 after the handshake/);
  assert.match(context[0]!.summary, /API Gateway warns about 2 of its certificates \(Certificate with subject CN=Old Partner CA,O=Example is expired\.; Certificate with subject CN=Weak CA uses an insecure signature algorithm\.\)/);
  assert.deepEqual(context[0]!.record.truststoreWarnings, warnings);
  assert.equal(context[0]!.record.status, 'AVAILABLE');

  // The probe's record only, matched by both request ids, its address and its certificate's serial.
  assert.deepEqual(report.events.map((e) => e.kind), ['apigateway-access-log']);
  const record = report.events[0]!;
  assert.deepEqual(record.matchedBy.map((m) => m.key), ['requestId', 'extendedRequestId', 'clientIp', 'clientCertSerial']);
  assert.equal(record.origin.resource, `CloudWatch Logs ${accessLogGroup}`);
  assert.equal(record.record['identity.clientCert.serialNumber'], facts.clientCert!.serialNumber);
  assert.equal(record.time, new Date(facts.requestTimeEpoch).toISOString());
  assert.match(record.summary, /^API Gateway access log: GET \/orders answered 403 \(error\.message "Forbidden"\); clientCert .*CN=untrusted client.*: mutual TLS failed/);
  assert.match(coverage(report)['API Gateway access log'] ?? '', /^found: the probe's request \(status 403, error\.message "Forbidden", clientCert fields: mutual TLS failed\) in API-Gateway-Access-Logs_orders\/prod \(Logs Insights, 912 records scanned\)$/);
  // No ALB is named: no row about ALB logs, and the metrics row asks only for the WAF's.
  assert.equal(coverage(report)['ALB connection and access logs'], undefined);
  assert.equal(coverage(report)['CloudWatch metrics'], 'not-configured: set "webAclArn" for the metrics of the WAF in front (CLI: --web-acl-arn)');

  const verdict = upgradeVerdict(result, report.events);
  assert.deepEqual([verdict.stoppedAt, verdict.reason, verdict.confidence], ['mtls', 'apigateway_client_cert_refused', 'confirmed']);
  assert.match(verdict.summary, /^API Gateway's mutual TLS refused the client certificate and answered HTTP 403: API Gateway's access log records status 403 with error\.message "Forbidden", clientCert .*CN=untrusted client.* \(serial [0-9a-f:]+\) for requestId [0-9a-f-]{36} \(the clientCert fields are logged only when mutual TLS fails\)\./);
  assert.equal(verdict.hint, undefined);
  assert.deepEqual(verdict.evidence, [record]);

  const lines = describeEvidence(report.events, report, { sourceLabel: 'AWS', used: verdict.evidence });
  assert.match(lines[0]!, /^API Gateway custom domain \(mTLS on, 2 truststore warnings\): Custom domain api\.example\.com/);
  assert.ok(lines.some((l) => /matched by requestId=[0-9a-f-]{36}, extendedRequestId=\S+, clientIp=127\.0\.0\.1, clientCertSerial=[0-9a-f:]+ \(CloudWatch Logs API-Gateway-Access-Logs_orders\/prod\)$/.test(l)), lines.join('\n'));
});

test('no certificate and no access-log record: a probe-only mtls hint, not yet available and then missing', async (t) => {
  const { result } = await probePeer(gateway, null);
  assert.deepEqual([result.verdict.stoppedAt, result.verdict.reason], ['mtls', 'apigateway_403_no_client_certificate'], result.verdict.summary);
  assert.match(result.verdict.summary, /^API Gateway \(a custom domain with mutual TLS: its answer carries x-amzn-RequestId, x-amz-apigw-id, x-amzn-ErrorType ForbiddenException\) asked for a client certificate in the TLS 1\.2 handshake, none was sent \(none was configured\), and it answered the request with HTTP 403 "Forbidden"/);
  assert.match(result.verdict.hint ?? '', /^Probe with a client certificate .* To confirm, name the stage's access-log group \(aws\.apiGateway\.accessLogGroup\): the stage's access-log record of x-amzn-RequestId [0-9a-f-]{36} carries/);
  assert.doesNotMatch(`${result.verdict.summary} ${result.verdict.hint}`, /Possibly a WAF/);

  const fake = await startFakeAws(t, { 'apigateway:GetDomainName': domainHandler({ ...truststore, truststoreWarnings: [] }), ...insights(() => []) });
  const ended = probeEnd(result);
  let now = ended.getTime();
  const source = new AwsEvidenceSource({ region, apiGateway: { domainName, accessLogGroup } }, { access: fakeAwsAccess(fake.url), queryPollMs: 1, now: () => now });
  const early = await source.collect(evidenceWindow(result), correlationKeysFor(result), { probeEndedAt: ended });
  const row = early.coverage?.find((c) => c.evidence === 'API Gateway access log');
  assert.equal(row?.state, 'not-yet-available');
  assert.match(row?.detail ?? '', /^no record of this probe \(by its request id\) in API-Gateway-Access-Logs_orders\/prod \(Logs Insights, 912 records scanned\) yet \(API Gateway delivers access logs to CloudWatch Logs within minutes\)$/);
  assert.equal(row?.expectedBy, new Date(ended.getTime() + 5 * 60_000).toISOString());
  assert.equal(early.context?.[0]?.title, 'API Gateway custom domain (mTLS on)');
  assert.match(early.context?.[0]?.summary ?? '', /API Gateway has no warning about the trust store\.$/);

  now = ended.getTime() + 6 * 60_000;
  const late = await source.collect(evidenceWindow(result), correlationKeysFor(result), { probeEndedAt: ended });
  assert.match(coverage(late)['API Gateway access log'] ?? '', /^missing: no record of this probe \(by its request id\) in .*: is access logging on for the stage, in a JSON format with \$context\.requestId\?$/);
  const verdict = upgradeVerdict(result, late.events);
  assert.deepEqual([verdict.stoppedAt, verdict.reason, verdict.confidence], ['mtls', 'apigateway_403_no_client_certificate', 'probe']);
  assert.equal(verdict.summary, result.verdict.summary);
});

test('an endpoint named in aws.apiGateway: a 403 without API Gateway headers gets API Gateway words, and a record without clientCert leaves it a hint', async (t) => {
  const { result, facts } = await probePeer(bare, untrusted);
  // Without the headers the probe cannot tell who answered: its own words stay.
  assert.equal(result.verdict.reason, 'http_403_forbidden');
  const fake = await startFakeAws(t, {
    'apigateway:GetDomainName': domainHandler({ ...truststore, truststoreWarnings: [] }),
    // A stage whose format logs no clientCert variables, found by the probe's address (the probe got no request id).
    ...insights((query) => (query.includes('127.0.0.1') ? [accessLogLine({ ...facts, clientCert: null })] : [])),
  });
  const evidence = await collectProbeEvidence(result, { aws: { region, apiGateway: { domainName, accessLogGroup } }, awsAccess: fakeAwsAccess(fake.url) });
  const { verdict, report } = evidence;
  assert.deepEqual([verdict.stoppedAt, verdict.reason, verdict.confidence], ['mtls', 'apigateway_403_client_certificate_refused', 'probe']);
  assert.match(verdict.summary, /^API Gateway \(a custom domain with mutual TLS: the endpoint's aws\.apiGateway settings name it\) asked for a client certificate in the TLS 1\.2 handshake, the client sent .*CN=untrusted client/);
  // Matched by address alone, the record is not the probe's for sure: not used, and said so.
  assert.deepEqual(report.events.map((e) => e.matchedBy.map((m) => m.key)), [['clientIp']]);
  assert.deepEqual(verdict.evidence, []);
  assert.match(fake.callsTo('StartQuery')[0]!.params.queryString as string, /filter @message like "1-[0-9a-f]{8}-[0-9a-f]{24}" or @message like "127\.0\.0\.1"/);
});

test('a custom domain that does not exist or has mutual TLS off: said beside the verdict, with the region and the fix', async (t) => {
  const { result } = await probePeer(gateway, null);
  const fake = await startFakeAws(t, { 'apigateway:GetDomainName': domainHandler(null) });
  const missing = await new AwsEvidenceSource({ region, apiGateway: { domainName: 'other.example.com' } }, { access: fakeAwsAccess(fake.url) }).collect(evidenceWindow(result), correlationKeysFor(result), { probeEndedAt: probeEnd(result) });
  assert.equal(missing.problems.length, 1);
  assert.equal(missing.problems[0]!.message, `custom domain other.example.com was not found by apigateway:GET (GetDomainName) in region ${region} (NotFoundException): check the ARN, the region and that the default credential chain (AWS_PROFILE, environment, ~/.aws) is in the right account.`);
  assert.match(coverage(missing)['API Gateway access log'] ?? '', /^not-configured: set "apiGateway": \{ "accessLogGroup" \}/);

  const off = await new AwsEvidenceSource({ region, apiGateway: { domainName } }, { access: fakeAwsAccess(fake.url) }).collect(evidenceWindow(result), correlationKeysFor(result), { probeEndedAt: probeEnd(result) });
  assert.equal(off.context?.[0]?.title, 'API Gateway custom domain (mTLS off)');
  assert.match(off.context?.[0]?.summary ?? '', /has mutual TLS off: API Gateway does not ask for a client certificate, so a 403 from it is not mutual TLS's\.$/);
});
