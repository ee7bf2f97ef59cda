// CloudFront viewer mTLS evidence end to end: real probes of the ALB-like target standing in for an edge that
// refuses a certificate in the handshake, then the REAL AWS SDK v3 clients against local stand-ins — fake-aws for
// CloudFront (REST-XML: GetDistributionConfig, GetTrustStore) and Logs Insights, s3rver for connection logs in S3 —
// and the report's events fed to the verdict and the timeline. And an origin that echoes CloudFront-Viewer-Cert-*.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { colonSerialForm } from '../../src/core/certs/serial-number';
import type { AwsEndpointSettings } from '../../src/core/config/types';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { AwsEvidenceSource, awsRegionFor } from '../../src/core/evidence/aws/aws-evidence-source';
import { correlationKeysFor, describeEvidence, evidenceWindow, upgradeVerdict } from '../../src/core/evidence/correlate';
import type { EvidenceReport } from '../../src/core/evidence/types';
import { identityFromPemText, type ClientIdentity } from '../../src/core/identity/client-identity';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';
import { probe } from '../../src/core/probe/probe';
import type { ProbeResult } from '../../src/core/probe/types';
import { collectRunEvidence, runCheck } from '../../src/core/runs/run-service';
import { buildTimeline } from '../../src/core/timeline/build-timeline';
import { fakeAwsAccess, startFakeAws, startFakeS3, type FakeAwsHandler } from '../support/fake-aws';
import { account, lbDimension, listenerArn, loadBalancerArn, region, wafLogGroup } from '../support/aws-test-names';

const distributionId = 'E2DX1SLDPK0123';
const trustStoreId = 'ts_2a8b3c4d5e6f7a8b';
const connectionLogGroup = '/aws/vendedlogs/cloudfront/connections';

let pki: TestPki;
let target: AlbLikeTarget;
let untrusted: ClientIdentity;

before(async () => {
  pki = await generateTestPki();
  target = await startAlbLikeTarget({ pki });
  untrusted = identityFromPemText('untrusted', pki.clients.untrusted.certPem, pki.clients.untrusted.keyPem);
});

after(async () => {
  await target?.close();
});

async function probeTarget(identity: ClientIdentity | null, query = ''): Promise<ProbeResult> {
  const { result } = await probe({ url: `${target.url}${query}`, ca: pki.rootCa.certPem, identity, timeouts: { tls: 5000, http: 5000 } });
  return result;
}

function probeEnd(result: ProbeResult): Date {
  return new Date(Date.parse(result.startedAt) + result.timings.total);
}

/** CloudFront's record of the probe's connection (JSON output), from what the stand-in decided about it. */
function connectionRecord(result: ProbeResult, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const entry = target.connectionLog.find((e) => e.clientPort === result.client.port);
  assert.ok(entry, `the target logged no connection from port ${result.client.port}`);
  return {
    eventTimestamp: Date.parse(entry.time),
    connectionId: 'oLHiEKbQSn8lkuKfSGJ2mUn5nzg==',
    connectionStatus: entry.tlsVerifyStatus,
    clientIp: result.client.address,
    clientPort: result.client.port,
    serverIp: '99.84.71.136',
    distributionId,
    distributionTenantId: '-',
    tlsProtocol: 'TLSv1.3',
    tlsCipher: 'TLS_AES_128_GCM_SHA256',
    tlsHandshakeDuration: 4,
    tlsSni: 'd111111abcdef8.cloudfront.net',
    // CloudFront's form: colon-separated, a leading 00.
    clientLeafCertSerialNumber: result.identity !== null ? `00:${colonSerialForm(result.identity.serialNumber)}` : '-',
    clientLeafCertSubject: result.identity?.subject.replace(/\n/g, ', ') ?? '-',
    clientLeafCertIssuer: result.identity?.issuer.replace(/\n/g, ', ') ?? '-',
    clientLeafCertValidity: '-',
    connectionLogCustomData: '-',
    ...overrides,
  };
}

/** Someone else's connection at the same moment. */
function otherRecord(result: ProbeResult): Record<string, unknown> {
  return { ...connectionRecord(result), clientIp: '203.0.113.7', clientPort: 51234, connectionStatus: 'Success', clientLeafCertSerialNumber: '3a:5f:0c:2b' };
}

const distributionConfig = {
  CallerReference: 'cf-mtls-1',
  Aliases: { Quantity: 1, Items: { CNAME: ['api.example.com'] } },
  Comment: 'partners API',
  Enabled: true,
  HttpVersion: 'http2',
  ViewerMtlsConfig: { Mode: 'required', TrustStoreConfig: { TrustStoreId: trustStoreId, AdvertiseTrustStoreCaNames: true, IgnoreCertificateExpiry: false } },
  ConnectionFunctionAssociation: { Id: 'cf_revocation_check' },
};
const cloudFrontHandlers = {
  'cloudfront:GetDistributionConfig': (params) =>
    params.Id === distributionId ? { output: { DistributionConfig: distributionConfig, ETag: 'E2QWRUHAPOMQZL' } } : { error: { code: 'NoSuchDistribution', message: 'The specified distribution does not exist.', status: 404 } },
  'cloudfront:GetTrustStore': () => ({ output: { TrustStore: { Id: trustStoreId, Arn: `arn:aws:cloudfront::${account}:trust-store/${trustStoreId}`, Name: 'partners', Status: 'active', NumberOfCaCertificates: 2 }, ETag: 'E1' } }),
} satisfies Record<string, FakeAwsHandler>;

/** Logs Insights answering each query by its string: the connection-log query (by @message) and the WAF one (by requestId). */
function insights(rows: { connection: () => Array<Record<string, unknown>>; waf?: () => Array<Record<string, unknown>> }): Record<'logs:StartQuery' | 'logs:GetQueryResults', FakeAwsHandler> {
  const queries: string[] = [];
  const row = (record: Record<string, unknown>, i: number) => [
    { field: '@timestamp', value: new Date(Number(record.eventTimestamp ?? record.timestamp)).toISOString().replace('T', ' ').replace('Z', '') },
    { field: '@message', value: JSON.stringify(record) },
    { field: '@ptr', value: `ptr-${i}` },
  ];
  return {
    'logs:StartQuery': (params) => ({ output: { queryId: `q-${queries.push(String(params.queryString))}` } }),
    'logs:GetQueryResults': (params) => {
      const query = queries[Number(String(params.queryId).slice(2)) - 1] ?? '';
      const records = query.includes('httpRequest.requestId') ? (rows.waf?.() ?? []) : rows.connection();
      return { output: { status: 'Complete', results: records.map(row), statistics: { recordsMatched: records.length, recordsScanned: 5120, bytesScanned: 0 } } };
    },
  };
}


function states(report: EvidenceReport): Record<string, string> {
  return Object.fromEntries((report.coverage ?? []).map((c) => [c.evidence, c.state]));
}

function coverage(report: EvidenceReport, evidence: string): string {
  const row = report.coverage?.find((c) => c.evidence === evidence);
  assert.ok(row, `no coverage for ${evidence}: ${JSON.stringify(report.coverage)}`);
  return row.detail;
}

test('required mode, the connection log in CloudWatch Logs: the distribution and trust store described, Failed:ClientCertUntrusted confirms mtls, the WAF (us-east-1) never saw it', async (t) => {
  const result = await probeTarget(untrusted);
  assert.equal(result.verdict.stoppedAt, 'mtls', result.verdict.summary);
  const keys = correlationKeysFor(result);
  const fake = await startFakeAws(t, { ...cloudFrontHandlers, ...insights({ connection: () => [otherRecord(result), connectionRecord(result)], waf: () => [] }) });
  const settings: AwsEndpointSettings = { region, wafLogGroup, cloudFront: { distributionId, connectionLogs: connectionLogGroup } };
  const report = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url), queryPollMs: 1 }).collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });

  assert.deepEqual(report.problems, []);
  // No ALB named (the origin is not described): no ALB row.
  assert.deepEqual(states(report), { 'CloudWatch metrics': 'not-configured', 'CloudFront connection log': 'found', 'WAF log': 'missing' });
  assert.equal(coverage(report, 'CloudFront connection log'), `the probe's connection (by address: connectionStatus Failed:ClientCertUntrusted) in ${connectionLogGroup} (us-east-1, Logs Insights, 5120 records scanned)`);
  assert.equal(coverage(report, 'WAF log'), `no record in ${wafLogGroup}, as expected: CloudFront refused the connection (Failed:ClientCertUntrusted) before any request reached the WAF`);

  // Beside the verdict: the distribution's viewer mTLS and its trust store, and where the WAF's records are read.
  const [distribution, waf] = report.context ?? [];
  assert.equal(distribution?.title, 'CloudFront distribution (viewer mTLS required)');
  assert.equal(distribution?.resource, `CloudFront distribution ${distributionId}`);
  assert.match(
    distribution?.summary ?? '',
    /^Distribution E2DX1SLDPK0123 \(api\.example\.com\) requires a client certificate \(viewer mTLS required\) with trust store partners \(2 CA certificates, CA names advertised, client certificate expiry checked\): CloudFront checks it at the edge during the TLS handshake/,
  );
  assert.match(distribution?.summary ?? '', /Connection function cf_revocation_check runs after the certificate checks/);
  assert.deepEqual(distribution?.record, {
    distributionId, mode: 'required', trustStoreId, trustStoreName: 'partners', trustStoreStatus: 'active', trustStoreReason: null, caCertificates: 2,
    advertiseTrustStoreCaNames: true, ignoreCertificateExpiry: false, connectionFunctionId: 'cf_revocation_check', aliases: ['api.example.com'], httpVersion: 'http2',
  });
  assert.equal(waf?.title, 'AWS WAF for CloudFront');
  assert.equal(waf?.summary, `A distribution's web ACL and its logs are in us-east-1: the log group ${wafLogGroup} is read there, not in ${region} (the endpoint's "region").`);

  // The calls: CloudFront and both Logs Insights queries in us-east-1, by the real SDK's REST-XML and JSON protocols.
  assert.deepEqual(fake.calls.map((c) => `${c.service}:${c.operation}`), [
    'cloudfront:GetDistributionConfig', 'cloudfront:GetTrustStore', 'logs:StartQuery', 'logs:GetQueryResults', 'logs:StartQuery', 'logs:GetQueryResults',
  ]);
  assert.ok(fake.calls.every((c) => c.region === 'us-east-1' && c.accessKeyId === 'AKIDTEST'), JSON.stringify(fake.calls.map((c) => c.region)));
  assert.deepEqual(fake.callsTo('GetTrustStore')[0]!.params, { Identifier: trustStoreId });
  const [connectionQuery] = fake.callsTo('StartQuery').map((c) => c.params);
  assert.equal(connectionQuery!.logGroupName, connectionLogGroup);
  assert.equal(connectionQuery!.queryString, `fields @timestamp, @message, @ptr | filter @message like "127.0.0.1" or @message like /(?i)${colonSerialForm(untrusted.summary().serialNumber)}/ | sort @timestamp asc | limit 200`);

  const events = report.events.filter((e) => e.kind === 'cloudfront-connection-log');
  assert.equal(events.length, 1, 'only the probe\'s record: the other client\'s does not match');
  assert.deepEqual(events[0]!.matchedBy.map((m) => m.key), ['clientIp', 'clientPort', 'clientCertSerial']);
  assert.equal(events[0]!.origin.resource, `CloudWatch Logs ${connectionLogGroup} (us-east-1)`);
  const verdict = upgradeVerdict(result, report.events);
  assert.equal(verdict.stoppedAt, 'mtls');
  assert.equal(verdict.reason, 'cloudfront_client_cert_untrusted');
  assert.equal(verdict.confidence, 'confirmed');
  // What the client saw is what the probe observed (the stand-in resets), never an assumption about CloudFront.
  assert.match(verdict.summary, /^CloudFront rejected the client certificate at the edge during the TLS handshake: CloudFront's connection log says connectionStatus=Failed:ClientCertUntrusted for 127\.0\.0\.1:\d+ \(connectionId oLHiEKbQSn8lkuKfSGJ2mUn5nzg==\), i\.e\. the certificate does not chain to a CA in the trust store\. The probe saw (a TCP reset \(RST\)|a TLS \w+ alert|the connection closed \(FIN\)) \(CloudFront does not document/);
  assert.match(verdict.summary, /The request never reached the WAF\.$/);

  const lines = describeEvidence(report.events, report, { sourceLabel: 'AWS', used: verdict.evidence });
  assert.ok(lines[0]!.startsWith('CloudFront distribution (viewer mTLS required): Distribution E2DX1SLDPK0123'), lines.join('\n'));
  assert.ok(lines.some((l) => /cloudfront-connection-log {2}CloudFront connection log: connectionStatus Failed:ClientCertUntrusted \(serial 00:/.test(l)), lines.join('\n'));
});

test('not found: not yet available while CloudFront may still deliver, missing after; and a distribution that does not exist is said plainly', async (t) => {
  const result = await probeTarget(untrusted);
  const keys = correlationKeysFor(result);
  const fake = await startFakeAws(t, { ...cloudFrontHandlers, ...insights({ connection: () => [otherRecord(result)] }) });
  const settings: AwsEndpointSettings = { cloudFront: { distributionId: 'E0000000000000', connectionLogs: connectionLogGroup } };
  assert.equal(awsRegionFor(settings, {}), 'us-east-1', 'CloudFront alone needs no region');
  const early = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url), queryPollMs: 1 }).collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });
  const row = early.coverage?.find((c) => c.evidence === 'CloudFront connection log');
  assert.equal(row?.state, 'not-yet-available');
  assert.ok(row?.expectedBy !== undefined && Date.parse(row.expectedBy) - probeEnd(result).getTime() === 10 * 60_000);
  assert.match(row?.detail ?? '', /^no record of this probe in \/aws\/vendedlogs\/cloudfront\/connections \(us-east-1, Logs Insights, 5120 records scanned\) yet \(CloudFront delivers connection logs minutes after the connection\)$/);
  assert.deepEqual(early.problems.map((p) => p.message), [
    'CloudFront distribution E0000000000000 was not found by cloudfront:GetDistributionConfig in region us-east-1 (NoSuchDistribution): check the ARN, the region and that the default credential chain (AWS_PROFILE, environment, ~/.aws) is in the right account.',
  ]);
  assert.equal(early.context?.length ?? 0, 0);

  const later = Date.now() + 11 * 60_000;
  const late = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url), queryPollMs: 1, now: () => later }).collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });
  assert.equal(late.coverage?.find((c) => c.evidence === 'CloudFront connection log')?.state, 'missing');
  assert.equal(upgradeVerdict(result, late.events).confidence, 'probe');
});

test('connection logs in S3: a gzipped w3c object and a plain one of the probe\'s hours are read, an object of another day is not', async (t) => {
  const result = await probeTarget(untrusted);
  const keys = correlationKeysFor(result);
  const fake = await startFakeAws(t, cloudFrontHandlers);
  const s3 = await startFakeS3(t, 'cf-logs');
  const day = result.startedAt.slice(0, 10).replace(/-/g, '/');
  const names = ['eventTimestamp', 'connectionStatus', 'clientIp', 'clientPort', 'clientLeafCertSerialNumber', 'tlsProtocol'];
  const w3cLine = (record: Record<string, unknown>): string => names.map((n) => String(record[n])).join('\t');
  const probeRecord = connectionRecord(result, { eventTimestamp: new Date(Number(connectionRecord(result).eventTimestamp)).toISOString() });
  await s3.put(`connections/${distributionId}/${day}/12/w3c.gz`, gzipSync(['#Version: 1.0', `#Fields: ${names.join(' ')}`, w3cLine(otherRecord(result)), w3cLine(probeRecord), ''].join('\n')));
  await s3.put(`connections/${distributionId}/${day}/12/plain.log`, `${Object.values(otherRecord(result)).join('\t')}\n`);
  // A matching line under an old date folder: not the probe's (the listing never reads it).
  await s3.put(`connections/${distributionId}/2020/01/01/00/old.gz`, gzipSync(`${w3cLine(probeRecord)}\n`));

  const settings: AwsEndpointSettings = { region, cloudFront: { distributionId, connectionLogs: 's3://cf-logs/connections' } };
  const report = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url, s3.url) }).collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });
  assert.deepEqual(report.problems, []);
  assert.equal(coverage(report, 'CloudFront connection log'), "the probe's connection (by address: connectionStatus Failed:ClientCertUntrusted) in 2 objects under s3://cf-logs/connections/");
  // The w3c object's 4 lines (2 directives) and the plain object's one: all read, none damaged.
  assert.deepEqual(report.stats, { files: 2, lines: 5, skippedLines: 0 });
  const [event] = report.events.filter((e) => e.kind === 'cloudfront-connection-log');
  assert.equal(event?.record.outputFormat, 'w3c');
  assert.match(event?.origin.file ?? '', /^s3:\/\/cf-logs\/connections\/E2DX1SLDPK0123\/\d{4}\/\d\d\/\d\d\/12\/w3c\.gz$/);
  assert.equal(event?.origin.line, 4);
  assert.equal(upgradeVerdict(result, report.events).reason, 'cloudfront_client_cert_untrusted');
});

test('through the run service: the timeline draws the record on the load-balancer lane and the banner names the connection log', async (t) => {
  const run = await runCheck({ kind: 'url', name: 'cloudfront', options: { url: target.url, ca: pki.rootCa.certPem } }, untrusted);
  const fake = await startFakeAws(t, { ...cloudFrontHandlers, ...insights({ connection: () => [connectionRecord(run.result)] }) });
  const confirmed = await collectRunEvidence(run, { aws: { cloudFront: { distributionId, connectionLogs: connectionLogGroup } }, awsAccess: fakeAwsAccess(fake.url) });
  assert.equal(confirmed.verdict.reason, 'cloudfront_client_cert_untrusted');
  const [timeline] = buildTimeline([confirmed]).runs;
  const mark = timeline!.marks.find((m) => m.summary.startsWith('CloudFront connection log:'));
  assert.equal(mark?.lane, 'load-balancer');
  assert.equal(mark?.label, 'Failed:ClientCertUntrusted');
  assert.equal(mark?.tone, 'error');
  assert.equal(timeline!.verdict.confidenceText, 'Confirmed by the CloudFront connection log (Failed:ClientCertUntrusted)');
});

test('an origin behind CloudFront echoes the CloudFront-Viewer-Cert-* headers: decoded, and shown on the target lane', async (t) => {
  const server = createHttpsServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.rootCa.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const raw = (req.socket as TLSSocket).getPeerCertificate(false).raw;
    const leaf = raw !== undefined ? new X509Certificate(raw) : null;
    res.writeHead(200, {
      'content-type': 'text/plain',
      'cloudfront-viewer-cert-present': leaf !== null ? '1' : '0',
      ...(leaf !== null
        ? {
            'cloudfront-viewer-cert-serial-number': colonSerialForm(leaf.serialNumber),
            'cloudfront-viewer-cert-subject': leaf.subject.split('\n').reverse().join(','),
            'cloudfront-viewer-cert-issuer': leaf.issuer.split('\n').reverse().join(','),
            'cloudfront-viewer-cert-sha256': leaf.fingerprint256,
            'cloudfront-viewer-cert-validity': `NotBefore=${new Date(leaf.validFrom).toISOString()};NotAfter=${new Date(leaf.validTo).toISOString()}`,
            'cloudfront-viewer-cert-pem': encodeURIComponent(leaf.toString()),
          }
        : {}),
    });
    res.end('hello from the origin\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `https://localhost:${(server.address() as AddressInfo).port}/`;
  const valid = identityFromPemText('valid', pki.clients.valid.certPem, pki.clients.valid.keyPem);
  const run = await runCheck({ kind: 'url', name: 'origin', options: { url, ca: pki.rootCa.certPem } }, valid);
  const seen = run.result.http?.mtlsHeaders;
  const leaf = new X509Certificate(pki.clients.valid.certPem);
  assert.equal(seen?.front, 'cloudfront');
  assert.equal(seen?.present, true);
  assert.equal(seen?.serialNumber, valid.summary().serialNumber, 'the colon form comes back in ALB\'s form, the probe\'s own');
  assert.equal(seen?.sha256, leaf.fingerprint256.replace(/:/g, '').toLowerCase());
  assert.equal(seen?.leafPem?.trim(), leaf.toString().trim());
  assert.match(seen?.validity?.notAfter ?? '', /^\d{4}-\d\d-\d\dT/);
  const [timeline] = buildTimeline([run]).runs;
  const target = timeline!.marks.find((m) => m.lane === 'target');
  assert.match(target?.summary ?? '', /told by CloudFront that the client is CN=valid/);
  assert.ok(target?.detail.fields.some((f) => f.name === 'Client certificate subject (CloudFront-Viewer-Cert-Subject)'), JSON.stringify(target?.detail.fields));
  assert.ok(target?.detail.fields.some((f) => f.name === 'Client certificate sent (CloudFront-Viewer-Cert-Present)' && f.value === 'yes'));
});

// ---- AWS WAF for CloudFront: a global web ACL is read in us-east-1, the load balancer behind it where it is ----

const globalWebAclArn = `arn:aws:wafv2:us-east-1:${account}:global/webacl/cf-edge-acl/0f1e2d3c-4b5a-6978-8a9b-EXAMPLE22222`;
const globalAcl = { name: 'cf-edge-acl', id: '0f1e2d3c-4b5a-6978-8a9b-EXAMPLE22222', metricName: 'cfEdgeAcl', ruleMetricName: 'AWS-AWSManagedRulesCommonRuleSet' };
type MetricQuery = { Id: string; MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> } } };

/** The ALB behind the distribution: one HTTPS listener without mTLS (CloudFront does that at the edge). */
const originListener = {
  'elbv2:DescribeListeners': () => ({
    output: { Listeners: [{ ListenerArn: listenerArn, LoadBalancerArn: loadBalancerArn, Port: 443, Protocol: 'HTTPS', DefaultActions: [{ Type: 'forward' }], MutualAuthentication: { Mode: 'off' } }] },
  }),
} satisfies Record<string, FakeAwsHandler>;

/** A web ACL (CLOUDFRONT scope when its ARN is global) with one rule, its samples of the probe's request by metric name. */
function webAclHandlers(result: ProbeResult, arn: string): Record<'wafv2:GetWebACL' | 'wafv2:GetSampledRequests', FakeAwsHandler> {
  const url = new URL(result.target.url);
  const sample = {
    Request: { ClientIP: '127.0.0.1', Country: '-', URI: url.pathname, Method: 'GET', HTTPVersion: 'HTTP/2.0', Headers: [{ Name: 'Host', Value: url.host }, { Name: 'X-Amzn-Trace-Id', Value: result.correlationId }] },
    Weight: 1,
    Timestamp: new Date(Date.parse(result.startedAt) + 5),
    Action: 'BLOCK',
    RuleNameWithinRuleGroup: 'CrossSiteScripting_QUERYARGUMENTS',
  };
  return {
    'wafv2:GetWebACL': () => ({
      output: {
        WebACL: {
          Name: globalAcl.name, Id: globalAcl.id, ARN: arn, DefaultAction: { Allow: {} },
          Rules: [{ Name: globalAcl.ruleMetricName, Priority: 0, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } }, OverrideAction: { None: {} }, VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: globalAcl.ruleMetricName } }],
          VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: globalAcl.metricName },
          Capacity: 700,
        },
        LockToken: 'lock-1',
      },
    }),
    'wafv2:GetSampledRequests': (params) => ({ output: { SampledRequests: [sample], PopulationSize: params.RuleMetricName === globalAcl.metricName ? 12 : 1, TimeWindow: params.TimeWindow } }),
  };
}

/** GetMetricData answering by the region the call was signed for: `points[region][metric]` is one datapoint's value. */
function metricDataByRegion(minute: Date, points: Record<string, Record<string, number>>): FakeAwsHandler {
  return (params, call) => ({
    output: {
      MetricDataResults: (params.MetricDataQueries as MetricQuery[]).map((q) => {
        const value = points[call.region ?? '']?.[q.MetricStat.Metric.MetricName];
        return { Id: q.Id, StatusCode: 'Complete', Timestamps: value !== undefined ? [minute] : [], Values: value !== undefined ? [value] : [] };
      }),
      Messages: [],
    },
  });
}

function metricQueries(call: { params: Record<string, unknown> }): Array<{ namespace: string; metric: string; dimensions: Record<string, string> }> {
  return (call.params.MetricDataQueries as MetricQuery[]).map((q) => ({
    namespace: q.MetricStat.Metric.Namespace,
    metric: q.MetricStat.Metric.MetricName,
    dimensions: Object.fromEntries(q.MetricStat.Metric.Dimensions.map((d) => [d.Name, d.Value])),
  }));
}

function minuteOf(date: string): Date {
  return new Date(Math.floor(Date.parse(date) / 60_000) * 60_000);
}

test('a CloudFront web ACL in front of an ALB: its settings, metrics (no Region dimension) and sampled requests from us-east-1, the ALB\'s metrics from its region — two GetMetricData calls', async (t) => {
  const valid = identityFromPemText('valid', pki.clients.valid.certPem, pki.clients.valid.keyPem);
  const result = await probeTarget(valid, '?q=<script>alert(1)</script>');
  assert.equal(result.http?.status, 403);
  const keys = correlationKeysFor(result);
  const minute = minuteOf(result.startedAt);
  const fake = await startFakeAws(t, {
    ...cloudFrontHandlers,
    ...originListener,
    ...webAclHandlers(result, globalWebAclArn),
    'cloudwatch:GetMetricData': metricDataByRegion(minute, { [region]: { NewConnectionCount: 1, RequestCount: 1 }, 'us-east-1': { BlockedRequests: 1 } }),
  });
  const settings: AwsEndpointSettings = { region, loadBalancerArn, webAclArn: globalWebAclArn, cloudFront: { distributionId } };
  const report = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url) }).collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });

  assert.deepEqual(report.problems, []);
  assert.deepEqual(states(report), {
    'ALB connection and access logs': 'not-configured', 'CloudFront connection log': 'not-configured', 'CloudWatch metrics': 'found', 'WAF sampled requests': 'found',
  });

  // Each call where its resource is: ELBv2 and the ALB's metrics in the endpoint's region, CloudFront and the web ACL in us-east-1.
  assert.deepEqual(fake.calls.map((c) => `${c.service}:${c.operation} ${c.region}`), [
    `elbv2:DescribeListeners ${region}`,
    'cloudfront:GetDistributionConfig us-east-1',
    'cloudfront:GetTrustStore us-east-1',
    'wafv2:GetWebACL us-east-1',
    `cloudwatch:GetMetricData ${region}`,
    'cloudwatch:GetMetricData us-east-1',
    'wafv2:GetSampledRequests us-east-1',
    'wafv2:GetSampledRequests us-east-1',
  ]);
  assert.deepEqual(fake.callsTo('GetWebACL')[0]!.params, { Name: globalAcl.name, Id: globalAcl.id, Scope: 'CLOUDFRONT' });
  for (const call of fake.callsTo('GetSampledRequests')) {
    assert.equal(call.region, 'us-east-1');
    assert.deepEqual({ WebAclArn: call.params.WebAclArn, Scope: call.params.Scope }, { WebAclArn: globalWebAclArn, Scope: 'CLOUDFRONT' });
  }
  assert.deepEqual(fake.callsTo('GetSampledRequests').map((c) => c.params.RuleMetricName), [globalAcl.ruleMetricName, globalAcl.metricName]);

  // The ALB's metrics by LoadBalancer only; the web ACL's by WebACL and Rule=ALL, without Region (CloudFront's metrics have none).
  const [albCall, wafCall] = fake.callsTo('GetMetricData');
  const albQueries = metricQueries(albCall!);
  assert.ok(albQueries.length > 0 && albQueries.every((q) => q.namespace === 'AWS/ApplicationELB' && JSON.stringify(q.dimensions) === JSON.stringify({ LoadBalancer: lbDimension })), JSON.stringify(albQueries));
  assert.deepEqual(metricQueries(wafCall!), [
    { namespace: 'AWS/WAFV2', metric: 'AllowedRequests', dimensions: { WebACL: globalAcl.metricName, Rule: 'ALL' } },
    { namespace: 'AWS/WAFV2', metric: 'BlockedRequests', dimensions: { WebACL: globalAcl.metricName, Rule: 'ALL' } },
  ]);

  // The words say where each came from.
  assert.match(
    coverage(report, 'CloudWatch metrics'),
    new RegExp(`^${lbDimension} \\(${region}\\) and cfEdgeAcl \\(CloudFront web ACL, metrics from us-east-1\\), \\d\\d:\\d\\d–\\d\\d:\\d\\d UTC: NewConnectionCount 1, RequestCount 1, BlockedRequests 1; no datapoints \\(no traffic recorded\\) for .*AllowedRequests$`),
  );
  const note = report.context?.find((c) => c.title === 'AWS WAF for CloudFront');
  assert.equal(
    note?.summary,
    `A distribution's web ACL and its logs are in us-east-1: the web ACL ${globalAcl.name} (its settings, CloudWatch metrics and sampled requests) is read there, not in ${region} (the endpoint's "region"). The load balancer's CloudWatch metrics are read in ${region}.`,
  );
  assert.deepEqual(note?.record, { region: 'us-east-1', configuredRegion: region });
  const blocked = report.events.find((e) => e.kind === 'cloudwatch-metric' && e.record.metric === 'BlockedRequests');
  assert.equal(blocked?.origin.resource, `AWS/WAFV2 WebACL=${globalAcl.metricName},Rule=ALL`);
  assert.equal(blocked?.lane, 'waf');
  const newConnections = report.events.find((e) => e.kind === 'cloudwatch-metric' && e.record.metric === 'NewConnectionCount');
  assert.equal(newConnections?.origin.resource, `AWS/ApplicationELB LoadBalancer=${lbDimension}`);

  // The probe's sample, from us-east-1, confirms the WAF block.
  const sampled = report.events.filter((e) => e.kind === 'waf-sampled-request');
  assert.equal(sampled.length, 1);
  assert.equal(sampled[0]!.origin.resource, `${globalWebAclArn} (sampled requests)`);
  const verdict = upgradeVerdict(result, report.events);
  assert.equal(verdict.stoppedAt, 'waf');
  assert.equal(verdict.reason, 'aws_waf_block');
  assert.equal(verdict.confidence, 'confirmed');
});

test('one GetMetricData call when the web ACL\'s metrics and the ALB\'s are in the same region: a CloudFront web ACL with an ALB in us-east-1, a regional one with its ALB', async (t) => {
  const result = await probeTarget(untrusted);
  const keys = correlationKeysFor(result);
  const minute = minuteOf(result.startedAt);
  const usEast = { lb: `arn:aws:elasticloadbalancing:us-east-1:${account}:loadbalancer/${lbDimension}`, region: 'us-east-1' };
  const regionalWebAclArn = `arn:aws:wafv2:${region}:${account}:regional/webacl/${globalAcl.name}/${globalAcl.id}`;
  const cases = [
    { settings: { region: 'us-east-1', loadBalancerArn: usEast.lb, webAclArn: globalWebAclArn }, region: 'us-east-1', waf: { WebACL: globalAcl.metricName, Rule: 'ALL' }, words: '(CloudFront web ACL, metrics from us-east-1)' },
    { settings: { region, loadBalancerArn, webAclArn: regionalWebAclArn }, region, waf: { WebACL: globalAcl.metricName, Region: region, Rule: 'ALL' }, words: null },
  ];
  for (const { settings, region: expected, waf, words } of cases) {
    const fake = await startFakeAws(t, {
      ...originListener,
      ...webAclHandlers(result, settings.webAclArn),
      'cloudwatch:GetMetricData': metricDataByRegion(minute, { [expected]: { NewConnectionCount: 1, ClientTLSNegotiationErrorCount: 1 } }),
    });
    const report = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url) }).collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });
    assert.deepEqual(report.problems, []);
    assert.ok(fake.calls.every((c) => c.region === expected), JSON.stringify(fake.calls.map((c) => `${c.operation} ${c.region}`)));
    assert.equal(fake.callsTo('GetMetricData').length, 1);
    assert.deepEqual(fake.callsTo('GetWebACL')[0]!.params.Scope, settings.webAclArn === globalWebAclArn ? 'CLOUDFRONT' : 'REGIONAL');
    const wafQueries = metricQueries(fake.callsTo('GetMetricData')[0]!).filter((q) => q.namespace === 'AWS/WAFV2');
    assert.deepEqual(wafQueries.map((q) => q.dimensions), [waf, waf]);
    const detail = coverage(report, 'CloudWatch metrics');
    assert.ok(detail.startsWith(`${lbDimension} and ${globalAcl.metricName}${words !== null ? ` ${words}` : ''}, `), detail);
    assert.match(detail, /: NewConnectionCount 1, ClientTLSNegotiationErrorCount 1;/);
    // No note: the endpoint's region is where the web ACL is read.
    assert.equal(report.context?.some((c) => c.title === 'AWS WAF for CloudFront'), false);
  }
});

test('us-east-1 refuses GetMetricData (an IAM policy limited to the endpoint\'s region): the ALB\'s minutes are still shown, the web ACL\'s failure named with its region', async (t) => {
  const result = await probeTarget(untrusted);
  const keys = correlationKeysFor(result);
  const minute = minuteOf(result.startedAt);
  const alb = metricDataByRegion(minute, { [region]: { NewConnectionCount: 1, ClientTLSNegotiationErrorCount: 1 } });
  const fake = await startFakeAws(t, {
    ...originListener,
    ...webAclHandlers(result, globalWebAclArn),
    ...insights({ connection: () => [], waf: () => [] }),
    'cloudwatch:GetMetricData': (params, call) =>
      call.region === 'us-east-1' ? { error: { code: 'AccessDenied', message: 'not authorized to perform cloudwatch:GetMetricData in us-east-1', status: 403, queryCode: 'AccessDenied' } } : alb(params, call),
  });
  const settings: AwsEndpointSettings = { region, loadBalancerArn, webAclArn: globalWebAclArn, wafLogGroup };
  const report = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url), queryPollMs: 1 }).collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });

  assert.deepEqual(fake.callsTo('GetMetricData').map((c) => c.region), [region, 'us-east-1']);
  assert.equal(states(report)['CloudWatch metrics'], 'failed');
  const detail = coverage(report, 'CloudWatch metrics');
  assert.match(detail, new RegExp(`^${lbDimension} \\(${region}\\), \\d\\d:\\d\\d–\\d\\d:\\d\\d UTC: NewConnectionCount 1, ClientTLSNegotiationErrorCount 1; no datapoints`));
  assert.match(detail, /; the metrics of cfEdgeAcl in us-east-1 could not be read: AWS denied cloudwatch:GetMetricData on cfEdgeAcl to the default credential chain .*: allow that action for this identity in IAM, or use a profile that has it\.$/);
  assert.deepEqual(report.events.filter((e) => e.kind === 'cloudwatch-metric').map((e) => e.record.metric), ['NewConnectionCount', 'ClientTLSNegotiationErrorCount']);
  // With a WAF log group named, the note names both, and no sampled requests are asked for.
  assert.equal(
    report.context?.find((c) => c.title === 'AWS WAF for CloudFront')?.summary,
    `A distribution's web ACL and its logs are in us-east-1: the log group ${wafLogGroup} and the web ACL ${globalAcl.name} (its settings and CloudWatch metrics) are read there, not in ${region} (the endpoint's "region"). The load balancer's CloudWatch metrics are read in ${region}.`,
  );
  assert.equal(fake.callsTo('GetSampledRequests').length, 0);
  assert.ok(fake.callsTo('StartQuery').every((c) => c.region === 'us-east-1'));
});
