// AwsEvidenceSource end to end: real probes against the ALB-like demo target, then the real AWS SDK v3 clients
// against local stand-ins — fake-aws for ELBv2, CloudWatch, Logs Insights and WAFv2, s3rver (behind a small
// tap that records and can hold requests) for the ALB logs in S3 — and the report's events fed to
// upgradeVerdict. Account 123456789012, region eu-west-1, load balancer app/edge/50dc6c495c0c9188.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { AwsEvidenceSource, awsRegionFor } from '../../src/core/evidence/aws/aws-evidence-source';
import { albSerial, correlationKeysFor, describeEvidence, evidenceWindow, upgradeVerdict } from '../../src/core/evidence/correlate';
import type { EvidenceEvent, EvidenceReport } from '../../src/core/evidence/types';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import type { ProbeResult } from '../../src/core/probe/types';
import { accessLogLine, albLogIntervalEnd, albLogObjectKey, connectionLogLine, newConnTraceId } from '../support/alb-log-lines';
import { coverageOf, states } from '../support/evidence-coverage';
import { awsErrors, fakeAwsAccess, fakeAwsClientConfig, fakeS3ClientConfig, startFakeAws, startFakeS3, type FakeAwsHandler, type FakeS3 } from '../support/fake-aws';
import { account, elbArn, lbDimension, listenerArn, loadBalancerArn, region, trustStoreArn, wafLogGroup } from '../support/aws-test-names';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';

const webAclArn = `arn:aws:wafv2:${region}:${account}:regional/webacl/edge-acl/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111`;
const bucket = 'edge-alb-logs';
const albLogs = `s3://${bucket}/edge`;

let env: TestPkiFiles;
let target: AlbLikeTarget;
let valid: ClientIdentity;
let untrusted: ClientIdentity;

before(async () => {
  env = await makePkiFiles();
  target = await startAlbLikeTarget({ pki: env.pki });
  valid = await loadPemIdentity({ certFile: env.files.client('valid').cert, keyFile: env.files.client('valid').key, label: 'valid' });
  untrusted = await loadPemIdentity({ certFile: env.files.client('untrusted').cert, keyFile: env.files.client('untrusted').key, label: 'untrusted' });
});

after(async () => {
  await target?.close();
  if (env) await rm(env.files.dir, { recursive: true, force: true });
});

// ---- probes and what the ALB would have logged about them ----------------------------------------------------

async function probeTarget(identity: ClientIdentity | null, query = ''): Promise<ProbeResult> {
  const { result } = await probe({ url: `${target.url}${query}`, ca: env.pki.rootCa.certPem, identity, timeouts: { tls: 5000, http: 5000 } });
  return result;
}

/** When the probe ended, as the evidence source is told. */
function probeEnd(result: ProbeResult): Date {
  return new Date(Date.parse(result.startedAt) + result.timings.total);
}

/** The target's decision about the probe's connection, as an ALB node would log it. */
function probeConnectionLine(result: ProbeResult, connTraceId = newConnTraceId()): string {
  const entry = target.connectionLog.find((e) => e.clientPort === result.client.port);
  assert.ok(entry, `the target logged no connection from port ${result.client.port}`);
  const serial = result.identity !== null ? albSerial(result.identity.serialNumber) : null;
  return connectionLogLine(entry, { serial, subject: result.identity?.subject.replace(/\n/g, ',') ?? null, listenerPort: 443, loadBalancer: lbDimension, connTraceId });
}

/** Other clients of the same load balancer in the same minutes: never the probe's. */
function otherClientsConnectionLines(time: string): string[] {
  return [
    connectionLogLine({ time, clientPort: 51234, tlsVerifyStatus: 'Success' }, { clientIp: '203.0.113.7', serial: '3A5F0C2B9E71D4', listenerPort: 443, loadBalancer: lbDimension }),
    connectionLogLine({ time, clientPort: 40022, tlsVerifyStatus: 'Failed:ClientCertExpired' }, { clientIp: '198.51.100.23', serial: '51C2AA0F', listenerPort: 443, loadBalancer: lbDimension }),
    // Same address as the probe (a NAT gateway, say), another port and certificate.
    connectionLogLine({ time, clientPort: 1, tlsVerifyStatus: 'Success' }, { serial: '7E0011', listenerPort: 443, loadBalancer: lbDimension }),
  ];
}

function otherClientsAccessLines(time: string): string[] {
  return [
    accessLogLine({
      time, loadBalancer: lbDimension, clientIp: '203.0.113.7', clientPort: 51234, target: '10.0.1.15:8080', elbStatus: 200, targetStatus: 200,
      request: 'GET https://api.example.com:443/orders HTTP/1.1', userAgent: 'curl/8.5.0', traceId: 'Root=1-663214a0-0123456789abcdef01234567',
      domain: 'api.example.com', actionsExecuted: ['waf', 'forward'], connTraceId: newConnTraceId(), targetGroupArn: `${elbArn}:targetgroup/api/73e2d6bc24d8a067`,
    }),
  ];
}

function gz(lines: string[]): Buffer {
  return gzipSync(`${lines.join('\n')}\n`);
}

function objectKey(kind: 'connection' | 'access', intervalEnd: Date, loadBalancer = lbDimension): string {
  return albLogObjectKey({ prefix: 'edge', account, region, loadBalancer, intervalEnd, kind });
}

/** A realistic AWS WAF log record (WAF developer guide, logging fields) for the probe's request. */
function wafLogRecord(result: ProbeResult, action: 'BLOCK' | 'ALLOW'): Record<string, unknown> {
  const blocked = action === 'BLOCK';
  const url = new URL(result.target.url);
  return {
    timestamp: Date.parse(result.startedAt) + Math.round(result.timings.total / 2),
    formatVersion: 1,
    webaclId: webAclArn,
    terminatingRuleId: blocked ? 'AWS-AWSManagedRulesCommonRuleSet' : 'Default_Action',
    terminatingRuleType: blocked ? 'MANAGED_RULE_GROUP' : 'REGULAR',
    action,
    terminatingRuleMatchDetails: blocked ? [{ conditionType: 'XSS', location: 'QUERY_STRING', matchedData: ['<', 'script'] }] : [],
    httpSourceName: 'ALB',
    httpSourceId: `${account}-${lbDimension}`,
    ruleGroupList: blocked
      ? [{ ruleGroupId: 'AWS#AWSManagedRulesCommonRuleSet', terminatingRule: { ruleId: 'CrossSiteScripting_QUERYARGUMENTS', action: 'BLOCK', ruleMatchDetails: null }, nonTerminatingMatchingRules: [], excludedRules: null, customerConfig: null }]
      : [],
    rateBasedRuleList: [],
    nonTerminatingMatchingRules: [],
    requestHeadersInserted: null,
    responseCodeSent: null,
    httpRequest: {
      clientIp: result.client.address,
      country: '-',
      headers: [
        { name: 'host', value: url.host },
        { name: 'x-amzn-trace-id', value: result.correlationId },
        { name: 'user-agent', value: 'mtls-probe/0.1.0' },
      ],
      uri: url.pathname,
      args: decodeURIComponent(url.search.slice(1)),
      httpVersion: 'HTTP/1.1',
      httpMethod: 'GET',
      requestId: result.correlationId.replace(/^Root=/, ''),
    },
    labels: blocked ? [{ name: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments' }] : [],
    ja3Fingerprint: '0bc6d0a2f1e9ef6e5c6a3e8bd2f3e1a4',
  };
}

/** A Logs Insights result row for `fields @timestamp, @message, @ptr`. */
function insightsRow(record: Record<string, unknown>, ptr: string): Array<{ field: string; value: string }> {
  const timestamp = new Date(record.timestamp as number).toISOString().replace('T', ' ').replace('Z', '');
  return [
    { field: '@timestamp', value: timestamp },
    { field: '@message', value: JSON.stringify(record) },
    { field: '@ptr', value: ptr },
  ];
}

// ---- fake AWS answers --------------------------------------------------------------------------------------

const verifyListener = {
  ListenerArn: listenerArn,
  LoadBalancerArn: loadBalancerArn,
  Port: 443,
  Protocol: 'HTTPS',
  SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  Certificates: [{ CertificateArn: `arn:aws:acm:${region}:${account}:certificate/1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718` }],
  DefaultActions: [{ Type: 'forward', TargetGroupArn: `${elbArn}:targetgroup/api/73e2d6bc24d8a067` }],
  MutualAuthentication: { Mode: 'verify', TrustStoreArn: trustStoreArn, IgnoreClientCertificateExpiry: false, AdvertiseTrustStoreCaNames: 'on', TrustStoreAssociationStatus: 'active' },
};
const trustStore = { Name: 'partners', TrustStoreArn: trustStoreArn, Status: 'ACTIVE', NumberOfCaCertificates: 1, TotalRevokedEntries: 0 };
const listenerHandlers = {
  'elbv2:DescribeListeners': () => ({ output: { Listeners: [verifyListener] } }),
  'elbv2:DescribeTrustStores': () => ({ output: { TrustStores: [trustStore] } }),
} satisfies Record<string, FakeAwsHandler>;

type MetricQuery = { Id: string; MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> }; Period: number; Stat: string } };

/**
 * GetMetricData answering each query by its metric name (datapoints only for the names given); with
 * `emptyFirstPage`, the first page of every call carries no results, only a NextToken, as CloudWatch may.
 */
function metricData(points: () => Partial<Record<string, Array<[Date, number]>>>, options: { emptyFirstPage?: boolean } = {}): FakeAwsHandler {
  return (params) => {
    if (options.emptyFirstPage === true && params.NextToken === undefined) return { output: { MetricDataResults: [], NextToken: 'page-2', Messages: [] } };
    const values = points();
    const results = (params.MetricDataQueries as MetricQuery[]).map((q) => {
      const series = values[q.MetricStat.Metric.MetricName] ?? [];
      return { Id: q.Id, Label: q.MetricStat.Metric.MetricName, StatusCode: 'Complete', Timestamps: series.map(([t]) => t), Values: series.map(([, v]) => v) };
    });
    return { output: { MetricDataResults: results, Messages: [] } };
  };
}

function minuteOf(date: Date | string): Date {
  const t = typeof date === 'string' ? Date.parse(date) : date.getTime();
  return new Date(Math.floor(t / 60_000) * 60_000);
}

/** Logs Insights: each query is Running `runningPolls` times, then Complete with the rows `rows()` gives for its query string. */
function insights(rows: (queryString: string) => Array<Array<{ field: string; value: string }>>, runningPolls = 0): Record<'logs:StartQuery' | 'logs:GetQueryResults', FakeAwsHandler> {
  const queries = new Map<string, { queryString: string; polls: number }>();
  return {
    'logs:StartQuery': (params) => {
      const queryId = `q-${queries.size + 1}`;
      queries.set(queryId, { queryString: String(params.queryString), polls: 0 });
      return { output: { queryId } };
    },
    'logs:GetQueryResults': (params) => {
      const query = queries.get(String(params.queryId));
      if (query === undefined) return { error: { code: 'ResourceNotFoundException', message: `no query ${String(params.queryId)}` } };
      if (query.polls++ < runningPolls) return { output: { status: 'Running', results: [], statistics: { recordsMatched: 0, recordsScanned: 1000 * query.polls, bytesScanned: 0 } } };
      const results = rows(query.queryString);
      return { output: { status: 'Complete', results, statistics: { recordsMatched: results.length, recordsScanned: 48213, bytesScanned: 31_000_000 } } };
    },
  };
}

// ---- S3: s3rver behind a tap -----------------------------------------------------------------------------

interface S3Tap {
  url: string;
  /** ListObjectsV2 and GetObject requests as they arrived: `list <prefix>` or `get <key>`. */
  requests: string[];
  /** The access key id each request was signed with. */
  accessKeyIds: string[];
  /** Requests wait for this before they are forwarded (a put the test has started). */
  holdUntil(done: Promise<unknown>): void;
  /** From now on, answer every request with this S3 error instead of forwarding it. */
  failWith(error: { status: number; code: string; message: string } | null): void;
}

/** A pass-through proxy in front of s3rver that records what the product asked for, and can hold requests or fail them. */
async function tapS3(t: TestContext, s3: FakeS3): Promise<S3Tap> {
  const requests: string[] = [];
  const accessKeyIds: string[] = [];
  let gate: Promise<unknown> = Promise.resolve();
  let failure: { status: number; code: string; message: string } | null = null;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', s3.url);
    const key = decodeURIComponent(url.pathname.slice(`/${s3.bucket}/`.length));
    requests.push(url.searchParams.get('list-type') === '2' ? `list ${url.searchParams.get('prefix') ?? ''}` : `${(req.method ?? '').toLowerCase()} ${key}`);
    accessKeyIds.push(/Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '');
    if (failure !== null) {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.code}</Code><Message>${failure.message}</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`;
      res.writeHead(failure.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    void gate.then(() => {
      const upstream = httpRequest(url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (error) => res.destroy(error));
      req.pipe(upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    accessKeyIds,
    holdUntil: (done) => {
      gate = done;
    },
    failWith: (error) => {
      failure = error;
    },
  };
}


function hhmm(date: Date): string {
  return date.toISOString().slice(11, 16);
}

const albMetricNames = [
  'NewConnectionCount',
  'ClientTLSNegotiationErrorCount',
  'RequestCount',
  'HTTP_Fixed_Response_Count',
  'HTTPCode_ELB_4XX_Count',
  'HTTPCode_Target_2XX_Count',
  'HTTPCode_Target_3XX_Count',
  'HTTPCode_Target_4XX_Count',
  'HTTPCode_Target_5XX_Count',
];

// ---- the tests ---------------------------------------------------------------------------------------------

test('verify-mode rejection, the whole story: listener, metrics, connection log in S3 and an empty WAF log confirm mtls and that the WAF never saw it', async (t) => {
  const result = await probeTarget(untrusted);
  assert.equal(result.verdict.stoppedAt, 'mtls', result.verdict.summary);
  assert.equal(result.http, null);
  const keys = correlationKeysFor(result);
  const window = evidenceWindow(result);
  const ended = probeEnd(result);
  const minute = minuteOf(result.startedAt);
  const root = result.correlationId.replace(/^Root=/, '');

  const fake = await startFakeAws(t, {
    ...listenerHandlers,
    'cloudwatch:GetMetricData': metricData(() => ({ NewConnectionCount: [[minute, 1]], ClientTLSNegotiationErrorCount: [[minute, 1]] }), { emptyFirstPage: true }),
    ...insights(() => [], 2),
  });
  const s3 = await startFakeS3(t, bucket);
  const tap = await tapS3(t, s3);
  const connTraceId = newConnTraceId();
  const probeLine = probeConnectionLine(result, connTraceId);
  const time = result.startedAt;
  const intervalEnd = albLogIntervalEnd(time);
  const connKey = objectKey('connection', intervalEnd);
  const accessKey = objectKey('access', intervalEnd);
  const others = otherClientsConnectionLines(time);
  await s3.put(connKey, gz([others[0]!, probeLine, others[1]!, others[2]!]));
  await s3.put(accessKey, gz(otherClientsAccessLines(time)));
  // Another load balancer's object (holding a line that would match the probe) and one from an hour earlier: neither is read.
  const otherLbKey = objectKey('connection', intervalEnd, 'app/intranet/9f8e7d6c5b4a3921');
  await s3.put(otherLbKey, gz([probeLine]));
  const oldKey = objectKey('connection', new Date(intervalEnd.getTime() - 60 * 60_000));
  await s3.put(oldKey, gz(otherClientsConnectionLines(new Date(Date.parse(time) - 62 * 60_000).toISOString())));

  const source = new AwsEvidenceSource({ region, listenerArn, wafLogGroup, albLogs }, { access: fakeAwsAccess(fake.url, tap.url), queryPollMs: 1 });
  const progress: string[] = [];
  const report = await source.collect(window, keys, { probeEndedAt: ended, onProgress: (m) => progress.push(m) });

  assert.deepEqual(report.problems, []);
  // Only the probe's record is a connection-log event, matched by its address, port and certificate serial.
  const connection = report.events.filter((e) => e.kind === 'alb-connection-log');
  assert.equal(connection.length, 1, JSON.stringify(report.events, null, 1));
  assert.equal(connection[0]!.record.client_port, result.client.port);
  assert.equal(connection[0]!.record.tls_verify_status, 'Failed:ClientCertUntrusted');
  assert.equal(connection[0]!.record.conn_trace_id, connTraceId);
  assert.deepEqual(connection[0]!.matchedBy, [
    { key: 'clientIp', value: '127.0.0.1' },
    { key: 'clientPort', value: String(result.client.port) },
    { key: 'clientCertSerial', value: keys.clientCertSerial },
  ]);
  assert.match(connection[0]!.origin.file ?? '', new RegExp(`^s3://${bucket}/edge/AWSLogs/${account}/elasticloadbalancing/${region}/\\d{4}/\\d{2}/\\d{2}/conn_log_${account}_`));
  assert.equal(connection[0]!.origin.line, 2);
  assert.deepEqual(report.events.map((e) => e.kind).sort(), ['alb-connection-log', 'cloudwatch-metric', 'cloudwatch-metric']);
  assert.deepEqual(report.stats, { files: 2, lines: 5, skippedLines: 0 });

  const verdict = upgradeVerdict(result, report.events);
  assert.equal(verdict.stoppedAt, 'mtls');
  assert.equal(verdict.reason, 'alb_client_cert_untrusted');
  assert.equal(verdict.confidence, 'confirmed');
  assert.match(verdict.summary, /The ALB rejected the client certificate during the TLS handshake: ALB's connection log says tls_verify_status=Failed:ClientCertUntrusted for 127\.0\.0\.1:\d+/);
  assert.ok(verdict.summary.includes(`(${connTraceId}), i.e. the certificate does not chain to a CA in the trust store.`), verdict.summary);
  assert.match(verdict.summary, /The request never reached the WAF\.$/);
  assert.deepEqual(verdict.evidence, connection);

  assert.deepEqual(states(report), { 'ALB connection log': 'found', 'ALB access log': 'missing', 'CloudWatch metrics': 'found', 'WAF log': 'missing' });
  const day = intervalEnd.toISOString().slice(0, 10).replace(/-/g, '/');
  // The day folders of the window (two when it spans midnight UTC).
  assert.match(
    coverageOf(report, 'ALB connection log').detail,
    new RegExp(`^the probe's connection \\(by address: tls_verify_status Failed:ClientCertUntrusted\\) in 1 object under s3://${bucket}/edge/AWSLogs/${account}/elasticloadbalancing/${region}/\\d{4}/\\d{2}/\\d{2}/( \\(\\+1 more days\\))?$`),
  );
  assert.equal(coverageOf(report, 'ALB access log').detail, 'none, as expected: the connection failed the TLS handshake, so no request was ever logged');
  assert.equal(
    coverageOf(report, 'WAF log').detail,
    `no record in ${wafLogGroup}, as expected: the load balancer refused the connection (Failed:ClientCertUntrusted) before any request reached the WAF`,
  );
  // The metrics cover the probe's own minutes: from the minute it started to the end of the minute it ended.
  const range = { from: minuteOf(new Date(result.startedAt)), to: new Date(minuteOf(ended).getTime() + 60_000) };
  assert.equal(
    coverageOf(report, 'CloudWatch metrics').detail,
    `${lbDimension}, ${hhmm(range.from)}–${hhmm(range.to)} UTC: NewConnectionCount 1, ClientTLSNegotiationErrorCount 1; no datapoints (no traffic recorded) for ${albMetricNames.slice(2).join(', ')}`,
  );
  assert.ok(report.coverage!.every((c) => c.expectedBy === undefined));

  assert.equal(report.context?.length, 1);
  const listener = report.context![0]!;
  assert.equal(listener.title, 'ALB listener (mTLS verify)');
  assert.equal(listener.resource, listenerArn);
  assert.match(listener.summary, /^Listener HTTPS:443 is in mTLS verify mode with trust store partners \(1 CA certificate, CA names advertised, client certificate expiry checked\): the load balancer checks the client certificate during the TLS handshake/);
  assert.deepEqual(listener.record, {
    listenerArn, port: 443, protocol: 'HTTPS', mode: 'verify', trustStoreArn, trustStoreName: 'partners', trustStoreStatus: 'ACTIVE',
    caCertificates: 1, revokedEntries: 0, advertiseTrustStoreCaNames: true, ignoreClientCertificateExpiry: false,
  });

  // The calls: listener and trust store, GetMetricData over two pages, one Logs Insights query polled to Complete.
  assert.deepEqual(fake.calls.map((c) => c.operation), ['DescribeListeners', 'DescribeTrustStores', 'GetMetricData', 'GetMetricData', 'StartQuery', 'GetQueryResults', 'GetQueryResults', 'GetQueryResults']);
  assert.ok(fake.calls.every((c) => c.accessKeyId === 'AKIDTEST' && c.region === region));
  assert.deepEqual(fake.callsTo('DescribeListeners')[0]!.params, { ListenerArns: [listenerArn] });
  assert.deepEqual(fake.callsTo('DescribeTrustStores')[0]!.params, { TrustStoreArns: [trustStoreArn] });
  const [firstPage, secondPage] = fake.callsTo('GetMetricData').map((c) => c.params);
  assert.equal(firstPage!.StartTime, range.from.getTime() / 1000);
  assert.equal(firstPage!.EndTime, range.to.getTime() / 1000);
  assert.equal(firstPage!.NextToken, undefined);
  assert.equal(secondPage!.NextToken, 'page-2');
  const queries = firstPage!.MetricDataQueries as MetricQuery[];
  assert.deepEqual(queries.map((q) => q.MetricStat.Metric.MetricName), albMetricNames);
  assert.ok(queries.every((q) => q.MetricStat.Metric.Namespace === 'AWS/ApplicationELB' && q.MetricStat.Period === 60 && q.MetricStat.Stat === 'Sum'));
  assert.ok(queries.every((q) => JSON.stringify(q.MetricStat.Metric.Dimensions) === JSON.stringify([{ Name: 'LoadBalancer', Value: lbDimension }])));
  const startQuery = fake.callsTo('StartQuery')[0]!.params;
  assert.equal(startQuery.logGroupName, wafLogGroup);
  // Epoch SECONDS, covering the window.
  assert.equal(startQuery.startTime, Math.floor(window.from.getTime() / 1000));
  assert.equal(startQuery.endTime, Math.ceil(window.to.getTime() / 1000));
  assert.equal(startQuery.queryString, `fields @timestamp, @message, @ptr | filter httpRequest.requestId like "${root}" | sort @timestamp asc | limit 100`);
  assert.ok(fake.callsTo('GetQueryResults').every((c) => c.params.queryId === 'q-1'));

  // S3: the day's listing, then only the edge load balancer's objects of the window, connection log first.
  const dayPrefix = `edge/AWSLogs/${account}/elasticloadbalancing/${region}/${day}/`;
  assert.ok(tap.requests.includes(`list ${dayPrefix}`), tap.requests.join('\n'));
  assert.deepEqual(tap.requests.filter((r) => r.startsWith('get ')), [`get ${connKey}`, `get ${accessKey}`]);
  assert.ok(progress.includes('Looking for ALB logs in S3') && progress.includes(`Logs Insights query on ${wafLogGroup}: Running`), progress.join('\n'));

  // The human report: the listener, each record and why it matched (the metrics are counts over every client), and the coverage.
  const lines = describeEvidence(report.events, report, { sourceLabel: 'AWS', used: verdict.evidence });
  assert.ok(lines.some((l) => l.startsWith('ALB listener (mTLS verify): Listener HTTPS:443 is in mTLS verify mode')), lines.join('\n'));
  assert.ok(lines.includes('Evidence (AWS): 3 records matched — 2 files, 5 lines read:'), lines.join('\n'));
  const at = lines.findIndex((l) => l.includes('alb-connection-log  ALB connection log: tls_verify_status Failed:ClientCertUntrusted'));
  assert.ok(at > 0, lines.join('\n'));
  assert.equal(lines[at + 1], `      matched by clientIp=127.0.0.1, clientPort=${result.client.port}, clientCertSerial=${keys.clientCertSerial} (s3://${bucket}/${connKey}:2)`);
  assert.ok(lines.some((l) => /cloudwatch-metric {2}CloudWatch ClientTLSNegotiationErrorCount: 1 in the minute from \d\d:\d\d UTC/.test(l)), lines.join('\n'));
  assert.equal(lines.filter((l) => l.startsWith('      matched by time=') && l.endsWith('; a per-minute count over every client')).length, 2, lines.join('\n'));
  assert.ok(lines.some((l) => /^ {2}missing +ALB access log: none, as expected/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^ {2}missing +WAF log: no record in aws-waf-logs-edge, as expected/.test(l)), lines.join('\n'));
  assert.ok(!lines.some((l) => l.includes('Not read')), lines.join('\n'));
});

test('behind NAT: a probe without a certificate is tied to the only certificate-less connection at its moment, and the verdict says so', async (t) => {
  const result = await probeTarget(null);
  assert.equal(result.verdict.stoppedAt, 'mtls', result.verdict.summary);
  const keys = correlationKeysFor(result);
  const entry = target.connectionLog.find((e) => e.clientPort === result.client.port);
  assert.ok(entry);
  // The load balancer saw the NAT gateway's address and port, not the probe's; another certificate-less client
  // connected two minutes later, and a client with a certificate at the same moment.
  const natLine = connectionLogLine({ ...entry, clientPort: 61000 }, { clientIp: '192.0.2.200', serial: null, listenerPort: 443, loadBalancer: lbDimension });
  const later = new Date(Date.parse(entry.time) + 2 * 60_000).toISOString();
  const laterLine = connectionLogLine({ time: later, clientPort: 61001, tlsVerifyStatus: 'Failed:ClientCertMissing' }, { clientIp: '192.0.2.201', serial: null, listenerPort: 443, loadBalancer: lbDimension });
  const fake = await startFakeAws(t, listenerHandlers);
  const s3 = await startFakeS3(t, bucket);
  await s3.put(objectKey('connection', albLogIntervalEnd(result.startedAt)), gz([natLine, laterLine, ...otherClientsConnectionLines(entry.time).slice(0, 2)]));

  const source = new AwsEvidenceSource({ region, listenerArn, albLogs }, { access: fakeAwsAccess(fake.url, s3.url) });
  const report = await source.collect(evidenceWindow(result), keys, { probeEndedAt: probeEnd(result) });
  const verdict = upgradeVerdict(result, report.events);
  assert.equal(verdict.stoppedAt, 'mtls');
  assert.equal(verdict.reason, 'alb_client_cert_missing');
  assert.equal(verdict.confidence, 'confirmed');
  assert.match(verdict.summary, /Matched by time and certificate: the load balancer saw the probe as 192\.0\.2\.200:61000, behind NAT/);
  assert.deepEqual(verdict.evidence.map((e) => (e as { record: { client_port: number } }).record.client_port), [61000]);
  assert.match(coverageOf(report, 'ALB connection log').detail, /^the probe's connection \(by time and certificate, behind NAT: tls_verify_status Failed:ClientCertMissing\)/);
  assert.equal(coverageOf(report, 'ALB access log').state, 'missing');
});

test('WAF block found with Logs Insights: the probe\'s 403 becomes stopped at waf (aws_waf_block) with the rule, the access log agreeing', async (t) => {
  const result = await probeTarget(valid, '?q=<script>alert(1)</script>');
  assert.equal(result.http?.status, 403, result.verdict.summary);
  const keys = correlationKeysFor(result);
  const window = evidenceWindow(result);
  const ended = probeEnd(result);
  const minute = minuteOf(result.startedAt);
  const root = result.correlationId.replace(/^Root=/, '');
  const record = wafLogRecord(result, 'BLOCK');
  const otherRecord = { ...wafLogRecord(result, 'ALLOW'), httpRequest: { clientIp: '203.0.113.7', headers: [], uri: '/orders', httpMethod: 'GET', requestId: '1-663214a0-0123456789abcdef01234567' } };

  const fake = await startFakeAws(t, {
    ...listenerHandlers,
    'cloudwatch:GetMetricData': metricData(() => ({ NewConnectionCount: [[minute, 1]], RequestCount: [[minute, 1]], HTTPCode_ELB_4XX_Count: [[minute, 1]] })),
    // Logs Insights filters in AWS: only a query naming the probe's trace id root gets its record.
    ...insights((queryString) => (queryString.includes(`"${root}"`) ? [insightsRow(record, 'CmEKJgoiMTIzNDU2Nzg5MDEyOmF3cy13YWYtbG9ncy1lZGdlEAEiBggBEAEYAQ==')] : [insightsRow(otherRecord, 'other')])),
  });
  const s3 = await startFakeS3(t, bucket);
  const tap = await tapS3(t, s3);
  const connTraceId = newConnTraceId();
  const intervalEnd = albLogIntervalEnd(result.startedAt);
  const url = new URL(result.target.url);
  const probeAccessLine = accessLogLine({
    time: result.startedAt, loadBalancer: lbDimension, clientIp: '127.0.0.1', clientPort: result.client.port!, target: null, elbStatus: 403, targetStatus: null,
    request: `GET https://${url.host}:443${url.pathname}${url.search} HTTP/1.1`, traceId: result.correlationId, domain: url.hostname,
    actionsExecuted: ['waf'], connTraceId, chosenCertArn: verifyListener.Certificates[0]!.CertificateArn,
  });
  await s3.put(objectKey('connection', intervalEnd), gz([...otherClientsConnectionLines(result.startedAt), probeConnectionLine(result, connTraceId)]));
  await s3.put(objectKey('access', intervalEnd), gz([...otherClientsAccessLines(result.startedAt), probeAccessLine]));

  const source = new AwsEvidenceSource({ region, listenerArn, wafLogGroup, albLogs }, { access: fakeAwsAccess(fake.url, tap.url), queryPollMs: 1 });
  const report = await source.collect(window, keys, { probeEndedAt: ended });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(states(report), { 'ALB connection log': 'found', 'ALB access log': 'found', 'CloudWatch metrics': 'found', 'WAF log': 'found' });
  assert.equal(coverageOf(report, 'WAF log').detail, `1 record of this probe in ${wafLogGroup} (Logs Insights, 48213 records scanned)`);
  assert.match(coverageOf(report, 'ALB access log').detail, new RegExp(`^1 line of this probe in 1 object under s3://${bucket}/edge/AWSLogs/${account}/`));

  const waf = report.events.filter((e) => e.kind === 'waf-log');
  assert.equal(waf.length, 1);
  assert.deepEqual(waf[0]!.matchedBy, [{ key: 'traceId', value: root }, { key: 'clientIp', value: '127.0.0.1' }]);
  assert.equal(waf[0]!.origin.resource, `CloudWatch Logs ${wafLogGroup}`);
  assert.equal(waf[0]!.summary, `WAF BLOCK by rule AWS-AWSManagedRulesCommonRuleSet (requestId ${root})`);
  const accessEvents = report.events.filter((e) => e.kind === 'alb-access-log');
  assert.equal(accessEvents.length, 1);
  // The access-log line is tied three ways: the trace id, the address and port, and the connection's conn_trace_id.
  assert.deepEqual(accessEvents[0]!.matchedBy.map((m) => m.key), ['traceId', 'clientIp', 'clientPort', 'connTraceId']);
  assert.deepEqual(accessEvents[0]!.record.actions_executed, ['waf']);
  assert.equal(accessEvents[0]!.record.trace_id, result.correlationId);
  assert.match(accessEvents[0]!.summary, /answered 403 by the load balancer, target status -; actions waf — blocked by WAF \(waf is the last action\)$/);
  assert.equal(report.events.filter((e) => e.kind === 'alb-connection-log').length, 1);

  const verdict = upgradeVerdict(result, report.events);
  assert.equal(verdict.stoppedAt, 'waf');
  assert.equal(verdict.reason, 'aws_waf_block');
  assert.equal(verdict.confidence, 'confirmed');
  assert.equal(verdict.hint, undefined);
  assert.match(verdict.summary, /^AWS WAF blocked the request \(rule AWS-AWSManagedRulesCommonRuleSet\): AWS WAF logged action BLOCK \(rule AWS-AWSManagedRulesCommonRuleSet\); ALB's access log shows actions_executed=waf and elb_status_code 403\.$/);
  assert.deepEqual((verdict.evidence as EvidenceEvent[]).map((e) => e.kind).sort(), ['alb-access-log', 'alb-connection-log', 'waf-log']);

  assert.equal(fake.callsTo('StartQuery').length, 1);
  assert.match(String(fake.callsTo('StartQuery')[0]!.params.queryString), new RegExp(`filter httpRequest\\.requestId like "${root}"`));
  assert.equal(tap.requests.filter((r) => r.startsWith('get ')).length, 2);
});

test('sampled requests when no WAF log group is named: GetWebACL\'s metric names, the probe\'s sample found by its trace id, WAFV2 metrics by WebACL/Rule=ALL/Region', async (t) => {
  const result = await probeTarget(valid, '?q=<script>alert(1)</script>');
  assert.equal(result.http?.status, 403);
  const keys = correlationKeysFor(result);
  const window = evidenceWindow(result);
  const ended = probeEnd(result);
  const minute = minuteOf(result.startedAt);
  const now = Date.now();
  const url = new URL(result.target.url);
  const sampleTime = new Date(Date.parse(result.startedAt) + 5);
  // ALB forwards the probe's X-Amzn-Trace-Id with its own Self= in front.
  const probeRequest = {
    ClientIP: '127.0.0.1', Country: '-', URI: url.pathname, Method: 'GET', HTTPVersion: 'HTTP/1.1',
    Headers: [{ Name: 'Host', Value: url.host }, { Name: 'X-Amzn-Trace-Id', Value: `Self=1-6653b2c1-0a1b2c3d4e5f60718293a4b5;${result.correlationId}` }, { Name: 'User-Agent', Value: 'mtls-probe/0.1.0' }],
  };
  const blockedSample = { Request: probeRequest, Weight: 1, Timestamp: sampleTime, Action: 'BLOCK', RuleNameWithinRuleGroup: 'CrossSiteScripting_QUERYARGUMENTS', Labels: [{ Name: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments' }] };
  const otherRequest = (ip: string, trace: string, uri: string) => ({
    Request: { ClientIP: ip, Country: 'NL', URI: uri, Method: 'GET', HTTPVersion: 'HTTP/2.0', Headers: [{ Name: 'X-Amzn-Trace-Id', Value: `Root=${trace}` }] },
    Weight: 1, Timestamp: sampleTime, Action: 'ALLOW',
  });
  const byMetric: Record<string, { SampledRequests: unknown[]; PopulationSize: number }> = {
    RateLimitPerIp: { SampledRequests: [], PopulationSize: 0 },
    'AWS-AWSManagedRulesCommonRuleSet': { SampledRequests: [blockedSample, { ...otherRequest('203.0.113.7', '1-663214a0-aaaaaaaaaaaaaaaaaaaaaaaa', '/search'), Action: 'BLOCK', RuleNameWithinRuleGroup: 'CrossSiteScripting_BODY' }], PopulationSize: 2 },
    // The web ACL's own metric name samples every request: the probe's again, and others'.
    edgeAcl: { SampledRequests: [{ ...blockedSample }, otherRequest('198.51.100.23', '1-663214a0-bbbbbbbbbbbbbbbbbbbbbbbb', '/orders')], PopulationSize: 37 },
  };
  const fake = await startFakeAws(t, {
    'elbv2:DescribeListeners': () => ({
      output: {
        Listeners: [
          { ListenerArn: `${elbArn}:listener/${lbDimension}/0a1b2c3d4e5f6a7b`, LoadBalancerArn: loadBalancerArn, Port: 80, Protocol: 'HTTP', DefaultActions: [{ Type: 'redirect' }] },
          verifyListener,
          { ...verifyListener, ListenerArn: `${elbArn}:listener/${lbDimension}/9a8b7c6d5e4f3a2b`, Port: 8443, MutualAuthentication: { Mode: 'passthrough' } },
        ],
      },
    }),
    'elbv2:DescribeTrustStores': listenerHandlers['elbv2:DescribeTrustStores'],
    'wafv2:GetWebACL': () => ({
      output: {
        WebACL: {
          Name: 'edge-acl', Id: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111', ARN: webAclArn, DefaultAction: { Allow: {} },
          Rules: [
            { Name: 'AWS-AWSManagedRulesCommonRuleSet', Priority: 1, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } }, OverrideAction: { None: {} }, VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'AWS-AWSManagedRulesCommonRuleSet' } },
            { Name: 'rate-limit', Priority: 0, Statement: { RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP' } }, Action: { Block: {} }, VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'RateLimitPerIp' } },
          ],
          VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'edgeAcl' },
          Capacity: 725,
        },
        LockToken: 'lock-1',
      },
    }),
    'wafv2:GetSampledRequests': (params) => ({ output: { ...byMetric[String(params.RuleMetricName)], TimeWindow: params.TimeWindow } }),
    'cloudwatch:GetMetricData': metricData(() => ({ NewConnectionCount: [[minute, 1]], RequestCount: [[minute, 1]], HTTPCode_ELB_4XX_Count: [[minute, 1]], BlockedRequests: [[minute, 1]] })),
  });

  // The real listener is on 443; the local stand-in listens elsewhere, so the probe's port is given as ALB's.
  const source = new AwsEvidenceSource({ region, loadBalancerArn, webAclArn }, { access: fakeAwsAccess(fake.url), port: 443, now: () => now });
  const report = await source.collect(window, keys, { probeEndedAt: ended });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(states(report), { 'ALB connection and access logs': 'not-configured', 'CloudWatch metrics': 'found', 'WAF sampled requests': 'found' });
  assert.equal(coverageOf(report, 'WAF sampled requests').detail, '4 samples of 37 requests in the window; the probe\'s request is among them');

  // One event for the probe's request though it was sampled under the rule and under the web ACL.
  const sampled = report.events.filter((e) => e.kind === 'waf-sampled-request');
  assert.equal(sampled.length, 1, JSON.stringify(sampled, null, 1));
  assert.deepEqual(sampled[0]!.matchedBy, [{ key: 'traceId', value: probeRequest.Headers[1]!.Value }, { key: 'clientIp', value: '127.0.0.1' }]);
  assert.equal(sampled[0]!.time, sampleTime.toISOString());
  assert.equal(sampled[0]!.origin.resource, `${webAclArn} (sampled requests)`);
  assert.equal(sampled[0]!.summary, `WAF sampled request: BLOCK by rule CrossSiteScripting_QUERYARGUMENTS — GET ${url.pathname} from 127.0.0.1`);
  assert.equal(sampled[0]!.record.metricName, 'AWS-AWSManagedRulesCommonRuleSet');
  assert.deepEqual(sampled[0]!.record.Labels, ['awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments']);

  const verdict = upgradeVerdict(result, report.events);
  assert.equal(verdict.stoppedAt, 'waf');
  assert.equal(verdict.reason, 'aws_waf_block');
  assert.equal(verdict.confidence, 'confirmed');
  assert.equal(verdict.summary, 'AWS WAF blocked the request (rule CrossSiteScripting_QUERYARGUMENTS): AWS WAF sampled the request with action BLOCK (rule CrossSiteScripting_QUERYARGUMENTS).');
  assert.deepEqual(verdict.evidence, sampled);

  // The listener on the probe's port only, from the load balancer's listeners.
  assert.deepEqual(report.context?.map((c) => [c.title, c.resource]), [['ALB listener (mTLS verify)', listenerArn]]);
  assert.deepEqual(fake.callsTo('DescribeListeners')[0]!.params, { LoadBalancerArn: loadBalancerArn });
  assert.deepEqual(fake.callsTo('GetWebACL')[0]!.params, { Name: 'edge-acl', Id: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111', Scope: 'REGIONAL' });
  // Rules in priority order, then the web ACL's own name; the window clipped to now.
  const samples = fake.callsTo('GetSampledRequests').map((c) => c.params);
  assert.deepEqual(samples.map((p) => p.RuleMetricName), ['RateLimitPerIp', 'AWS-AWSManagedRulesCommonRuleSet', 'edgeAcl']);
  for (const p of samples) {
    assert.deepEqual(p, { WebAclArn: webAclArn, RuleMetricName: p.RuleMetricName, Scope: 'REGIONAL', TimeWindow: { StartTime: window.from.getTime() / 1000, EndTime: now / 1000 }, MaxItems: 500 });
  }
  const queries = fake.callsTo('GetMetricData')[0]!.params.MetricDataQueries as MetricQuery[];
  const wafQueries = queries.filter((q) => q.MetricStat.Metric.Namespace === 'AWS/WAFV2');
  assert.deepEqual(wafQueries.map((q) => q.MetricStat.Metric.MetricName), ['AllowedRequests', 'BlockedRequests']);
  for (const q of wafQueries) {
    assert.deepEqual(q.MetricStat.Metric.Dimensions, [{ Name: 'WebACL', Value: 'edgeAcl' }, { Name: 'Region', Value: region }, { Name: 'Rule', Value: 'ALL' }]);
  }
  assert.equal(queries.length, albMetricNames.length + 2);
  assert.match(coverageOf(report, 'CloudWatch metrics').detail, new RegExp(`^${lbDimension} and edgeAcl, .*NewConnectionCount 1, RequestCount 1, HTTPCode_ELB_4XX_Count 1, BlockedRequests 1; no datapoints \\(no traffic recorded\\) for .*AllowedRequests$`));
  const blocked = report.events.find((e) => e.kind === 'cloudwatch-metric' && e.record.metric === 'BlockedRequests');
  assert.equal(blocked?.origin.resource, `AWS/WAFV2 WebACL=edgeAcl,Region=${region},Rule=ALL`);
  assert.equal(blocked?.lane, 'waf');
});

test('late evidence: the first look says not yet available (with when), later looks find what AWS delivered, and an S3 object is read once', async (t) => {
  const result = await probeTarget(valid, '?q=<script>alert(1)</script>');
  assert.equal(result.http?.status, 403);
  const keys = correlationKeysFor(result);
  const window = evidenceWindow(result);
  const ended = new Date();
  const minute = minuteOf(result.startedAt);
  const root = result.correlationId.replace(/^Root=/, '');
  const record = wafLogRecord(result, 'BLOCK');
  // What AWS has delivered so far: 0 nothing, 1 metrics and the connection log, 2 also the access log and the WAF record.
  let delivered = 0;
  const fake = await startFakeAws(t, {
    ...listenerHandlers,
    'cloudwatch:GetMetricData': metricData(() => (delivered >= 1 ? { NewConnectionCount: [[minute, 1]], RequestCount: [[minute, 1]], HTTPCode_ELB_4XX_Count: [[minute, 1]] } : {})),
    ...insights((queryString) => (delivered >= 2 && queryString.includes(root) ? [insightsRow(record, 'ptr-1')] : [])),
  });
  const s3 = await startFakeS3(t, bucket);
  const tap = await tapS3(t, s3);
  const connTraceId = newConnTraceId();
  const intervalEnd = albLogIntervalEnd(result.startedAt);
  const connKey = objectKey('connection', intervalEnd);
  const accessKey = objectKey('access', intervalEnd);
  const url = new URL(result.target.url);
  const deliveries = [
    () => s3.put(connKey, gz([...otherClientsConnectionLines(result.startedAt), probeConnectionLine(result, connTraceId)])),
    () =>
      s3.put(
        accessKey,
        gz([
          accessLogLine({
            time: result.startedAt, loadBalancer: lbDimension, clientIp: '127.0.0.1', clientPort: result.client.port!, target: null, elbStatus: 403, targetStatus: null,
            request: `GET https://${url.host}:443${url.pathname}${url.search} HTTP/1.1`, traceId: result.correlationId, domain: url.hostname, actionsExecuted: ['waf'], connTraceId,
          }),
        ]),
      ),
  ];

  const updates: EvidenceReport[] = [];
  const progress: string[] = [];
  const source = new AwsEvidenceSource({ region, listenerArn, wafLogGroup, albLogs }, { access: fakeAwsAccess(fake.url, tap.url), queryPollMs: 1, pollIntervalMs: 20 });
  const report = await source.collect(window, keys, {
    probeEndedAt: ended,
    // Far off: the collection ends because everything was found, not because the wait ran out.
    waitUntil: new Date(Date.now() + 60_000),
    onProgress: (m) => progress.push(m),
    onUpdate: (update) => {
      updates.push(update);
      // AWS delivers between two looks; S3 requests wait until the object is there.
      const deliver = deliveries[delivered];
      delivered++;
      if (deliver !== undefined) tap.holdUntil(deliver());
    },
  });

  // It stops waiting once everything is found: three looks, a wait between each two, none after the last.
  assert.equal(updates.length, 3);
  const lastIndex = (prefix: string): number => progress.map((m) => m.startsWith(prefix)).lastIndexOf(true);
  assert.equal(progress.filter((m) => m.startsWith('Waiting for AWS to deliver')).length, 2, progress.join('\n'));
  assert.ok(lastIndex('Waiting for AWS to deliver') < lastIndex('Looking for'), progress.join('\n'));
  assert.ok(!progress.some((m) => m.includes('(look 4)')), progress.join('\n'));
  const [first, second] = updates;
  const albBy = new Date(intervalEnd.getTime() + 6 * 60_000).toISOString();
  assert.deepEqual(
    first!.coverage?.map((c) => [c.evidence, c.state, c.expectedBy]),
    [
      ['ALB connection log', 'not-yet-available', albBy],
      ['ALB access log', 'not-yet-available', albBy],
      ['CloudWatch metrics', 'not-yet-available', new Date(ended.getTime() + 3 * 60_000).toISOString()],
      ['WAF log', 'not-yet-available', new Date(ended.getTime() + 6 * 60_000).toISOString()],
    ],
  );
  assert.match(coverageOf(first!, 'ALB connection log').detail, /^no connection-log objects for the probe's minutes under s3:\/\/edge-alb-logs\/edge\/AWSLogs\/.* \(is connection logging on\? load balancer attribute connection_logs\.s3\.enabled\)$/);
  assert.equal(coverageOf(first!, 'WAF log').detail, `no record of this probe in ${wafLogGroup} (Logs Insights, 48213 records scanned)`);
  assert.deepEqual(first!.events, []);
  assert.deepEqual(states(second!), { 'ALB connection log': 'found', 'ALB access log': 'not-yet-available', 'CloudWatch metrics': 'found', 'WAF log': 'not-yet-available' });
  assert.ok(progress.some((m) => m.startsWith('Waiting for AWS to deliver: ALB logs in S3 by ') && m.includes('WAF log by')), progress.join('\n'));
  assert.ok(progress.includes('Looking for ALB logs in S3 (look 3)'), progress.join('\n'));

  assert.deepEqual(states(report), { 'ALB connection log': 'found', 'ALB access log': 'found', 'CloudWatch metrics': 'found', 'WAF log': 'found' });
  assert.ok(report.coverage!.every((c) => c.expectedBy === undefined));
  assert.deepEqual(report, updates[2]);
  // Nothing twice: each record once, each object read once although listed on every look.
  assert.deepEqual(report.events.map((e) => e.kind).sort(), ['alb-access-log', 'alb-connection-log', 'cloudwatch-metric', 'cloudwatch-metric', 'cloudwatch-metric', 'waf-log']);
  assert.deepEqual(tap.requests.filter((r) => r.startsWith('get ')), [`get ${connKey}`, `get ${accessKey}`]);
  assert.ok(tap.requests.filter((r) => r.startsWith('list ')).length >= 3);
  assert.equal(report.stats.files, 2);
  // Settled evidence is not asked for again: metrics twice, the WAF log on every look.
  assert.equal(fake.callsTo('GetMetricData').length, 2);
  assert.equal(fake.callsTo('StartQuery').length, 3);
  assert.equal(fake.callsTo('DescribeListeners').length, 1);

  const verdict = upgradeVerdict(result, report.events);
  assert.deepEqual([verdict.stoppedAt, verdict.reason, verdict.confidence], ['waf', 'aws_waf_block', 'confirmed']);
});

test('credentials that expire while waiting: what was not yet available becomes failed, naming the expiry, with nothing stale left', async (t) => {
  const result = await probeTarget(untrusted);
  let expired = false;
  const query = insights(() => []);
  const fake = await startFakeAws(t, {
    ...listenerHandlers,
    'cloudwatch:GetMetricData': (params, call) => (expired ? awsErrors.expiredToken : metricData(() => ({}))(params, call)),
    'logs:StartQuery': (params, call) => (expired ? awsErrors.expiredToken : query['logs:StartQuery'](params, call)),
    'logs:GetQueryResults': (params, call) => query['logs:GetQueryResults'](params, call),
  });
  const s3 = await startFakeS3(t, bucket);
  const tap = await tapS3(t, s3);
  const updates: EvidenceReport[] = [];
  const source = new AwsEvidenceSource({ region, listenerArn, wafLogGroup, albLogs }, { access: fakeAwsAccess(fake.url, tap.url), queryPollMs: 1, pollIntervalMs: 10 });
  const report = await source.collect(evidenceWindow(result), correlationKeysFor(result), {
    probeEndedAt: new Date(),
    waitUntil: new Date(Date.now() + 10_000),
    onUpdate: (update) => {
      updates.push(update);
      // The SSO session ends between two looks.
      expired = true;
      tap.failWith({ status: 400, code: 'ExpiredToken', message: 'The provided token has expired.' });
    },
  });

  assert.deepEqual(states(updates[0]!), { 'ALB connection log': 'not-yet-available', 'ALB access log': 'not-yet-available', 'CloudWatch metrics': 'not-yet-available', 'WAF log': 'not-yet-available' });
  assert.equal(updates.length, 2);
  assert.deepEqual(states(report), { 'ALB connection log': 'failed', 'ALB access log': 'failed', 'CloudWatch metrics': 'failed', 'WAF log': 'failed' });
  assert.ok(report.coverage!.every((c) => c.expectedBy === undefined), JSON.stringify(report.coverage));
  const sso = 'have expired or are not valid: refresh them (e.g. `aws sso login`) and run again.';
  assert.ok(coverageOf(report, 'ALB connection log').detail.endsWith(sso), coverageOf(report, 'ALB connection log').detail);
  assert.equal(coverageOf(report, 'ALB access log').detail, coverageOf(report, 'ALB connection log').detail);
  assert.equal(coverageOf(report, 'WAF log').detail, coverageOf(report, 'ALB connection log').detail);
  assert.deepEqual(report.problems, []);
});

test('throttling is retried by the SDK: a throttled DescribeListeners and StartQuery still give a complete report', async (t) => {
  const result = await probeTarget(valid);
  assert.equal(result.http?.status, 200);
  const minute = minuteOf(result.startedAt);
  const record = wafLogRecord(result, 'ALLOW');
  const query = insights(() => [insightsRow(record, 'ptr-allow')]);
  const fake = await startFakeAws(t, {
    ...listenerHandlers,
    'elbv2:DescribeListeners': (params, call) => (fake.callsTo('DescribeListeners').indexOf(call) === 0 ? awsErrors.throttlingQuery : listenerHandlers['elbv2:DescribeListeners']()),
    'logs:StartQuery': (params, call) => (fake.callsTo('StartQuery').indexOf(call) === 0 ? awsErrors.throttling : query['logs:StartQuery'](params, call)),
    'logs:GetQueryResults': query['logs:GetQueryResults'],
    'cloudwatch:GetMetricData': metricData(() => ({ NewConnectionCount: [[minute, 1]], RequestCount: [[minute, 1]], HTTPCode_Target_2XX_Count: [[minute, 1]] })),
  });
  const source = new AwsEvidenceSource({ region, listenerArn, wafLogGroup }, { access: fakeAwsAccess(fake.url), queryPollMs: 1 });
  const report = await source.collect(evidenceWindow(result), correlationKeysFor(result), { probeEndedAt: probeEnd(result) });

  assert.deepEqual(report.problems, []);
  assert.deepEqual(states(report), { 'ALB connection and access logs': 'not-configured', 'CloudWatch metrics': 'found', 'WAF log': 'found' });
  assert.equal(report.context?.[0]?.title, 'ALB listener (mTLS verify)');
  assert.deepEqual(report.events.filter((e) => e.kind === 'waf-log').map((e) => e.record.action), ['ALLOW']);
  const counts = Object.fromEntries(['DescribeListeners', 'DescribeTrustStores', 'GetMetricData', 'StartQuery', 'GetQueryResults'].map((op) => [op, fake.callsTo(op).length]));
  assert.deepEqual(counts, { DescribeListeners: 2, DescribeTrustStores: 1, GetMetricData: 1, StartQuery: 2, GetQueryResults: 1 });
  // A WAF ALLOW fits the probe's 200 but does not show where the request ended: still the probe's verdict.
  const verdict = upgradeVerdict(result, report.events);
  assert.deepEqual([verdict.stoppedAt, verdict.confidence], [result.verdict.stoppedAt, 'probe']);
  assert.equal((verdict.evidence as EvidenceEvent[])[0]?.kind, 'waf-log');
});

/** Sets (or, for undefined, removes) environment variables for one test, restoring them after it. */
function withEnv(t: TestContext, values: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (vars: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(values);
  t.after(() => apply(saved));
}

/** Everything the SDK's default chain or region lookup could pick up from this machine's environment. */
const awsEnvironment = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION',
  'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_ENDPOINT_URL', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
];

test('expired credentials of a real profile: collect resolves, every failure names profile "prod", that it expired and `aws sso login --profile prod`; no secret in the report', async (t) => {
  const result = await probeTarget(untrusted);
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-aws-profile-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const secret = 'wJalrXUtnFEMI/K7MDENG/prodSecretNeverShown';
  await writeFile(join(dir, 'config'), `[default]\nregion = us-east-1\n\n[profile prod]\nregion = ${region}\noutput = json\n`);
  await writeFile(join(dir, 'credentials'), `[default]\naws_access_key_id = AKIDDEFAULTNOTUSED00\naws_secret_access_key = default-secret\n\n[prod]\naws_access_key_id = AKIDPRODEXAMPLE00001\naws_secret_access_key = ${secret}\n`, { mode: 0o600 });
  withEnv(t, {
    ...Object.fromEntries(awsEnvironment.map((k) => [k, undefined])),
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    // Were the profile not used, the chain must not wander off to an instance metadata service.
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const fake = await startFakeAws(t, {
    'elbv2:DescribeListeners': () => awsErrors.expiredTokenQuery,
    'cloudwatch:GetMetricData': () => awsErrors.expiredToken,
    'logs:StartQuery': () => awsErrors.expiredToken,
    'wafv2:GetWebACL': () => awsErrors.expiredToken,
  });
  // s3rver knows no profile key: it answers InvalidAccessKeyId, as S3 does for a deleted or rotated key.
  const s3 = await startFakeS3(t, bucket);
  const tap = await tapS3(t, s3);
  const { credentials: _s3rverKeys, ...s3Options } = fakeS3ClientConfig;
  // No credentials passed: the profile's, through the SDK's own credential chain.
  const source = new AwsEvidenceSource(
    { profile: 'prod', region, listenerArn, webAclArn, wafLogGroup, albLogs },
    { access: { ...fakeAwsClientConfig(fake.url), s3: { ...s3Options, endpoint: tap.url } }, queryPollMs: 1 },
  );
  const report = await source.collect(evidenceWindow(result), correlationKeysFor(result), { probeEndedAt: probeEnd(result) });

  // One sentence for every call the expiry breaks (S3's InvalidAccessKeyId included), naming the profile and the fix.
  const expired = 'The AWS credentials of profile "prod" have expired or are not valid: refresh them (e.g. `aws sso login --profile prod`) and run again.';
  assert.deepEqual(report.problems, [{ message: expired }, { message: expired }]);
  assert.deepEqual(report.coverage, [
    { evidence: 'ALB connection log', state: 'failed', detail: expired },
    { evidence: 'ALB access log', state: 'failed', detail: expired },
    { evidence: 'CloudWatch metrics', state: 'failed', detail: expired },
    { evidence: 'WAF log', state: 'failed', detail: expired },
  ]);
  assert.deepEqual(tap.accessKeyIds, ['AKIDPRODEXAMPLE00001']);
  assert.deepEqual(report.events, []);
  assert.deepEqual(report.context, []);
  // Expired credentials are not retried; every call was signed with the profile's key.
  assert.deepEqual(fake.calls.map((c) => c.operation), ['DescribeListeners', 'GetWebACL', 'GetMetricData', 'StartQuery']);
  assert.ok(fake.calls.every((c) => c.accessKeyId === 'AKIDPRODEXAMPLE00001' && c.region === region), JSON.stringify(fake.calls.map((c) => c.accessKeyId)));
  const json = JSON.stringify(report);
  assert.ok(!json.includes(secret) && !json.includes('prodSecretNeverShown'), json);
  const lines = describeEvidence(report.events, report, { sourceLabel: 'AWS' });
  // Said once, for everything it broke.
  assert.deepEqual(
    lines.filter((l) => l.includes('have expired')),
    [`  failed            ALB connection log, ALB access log, CloudWatch metrics, WAF log: ${expired}`],
  );
  assert.equal(lines[0], 'Evidence (AWS): nothing could be read.');
  assert.ok(!lines.join('\n').includes(secret));
});

test('cancel: aborting while a Logs Insights query runs rejects with an AbortError at once and stops the query in AWS', async (t) => {
  const result = await probeTarget(valid);
  const controller = new AbortController();
  // "At once": the collection has rejected by the time AWS hears of the cancel (StopQuery, sent as the abort happens),
  // without the answer to the poll in flight (held until then) and long before the next poll (10 s later).
  let settled = false;
  let settledWhenStopped: boolean | undefined;
  let stopQueryArrived!: () => void;
  const stopped = new Promise<void>((resolve) => (stopQueryArrived = resolve));
  const fake = await startFakeAws(t, {
    'logs:StartQuery': () => ({ output: { queryId: 'q-running' } }),
    'logs:GetQueryResults': async () => {
      // The person cancels while the first poll is on its way back.
      controller.abort();
      await stopped;
      return { output: { status: 'Running', results: [] } };
    },
    'logs:StopQuery': () => {
      settledWhenStopped = settled;
      stopQueryArrived();
      return { output: { success: true } };
    },
  });
  const source = new AwsEvidenceSource({ region, wafLogGroup }, { access: fakeAwsAccess(fake.url), queryPollMs: 10_000 });
  const collecting = source.collect(evidenceWindow(result), correlationKeysFor(result), { probeEndedAt: probeEnd(result), waitUntil: new Date(Date.now() + 60_000), signal: controller.signal });
  void collecting.then(
    () => (settled = true),
    () => (settled = true),
  );
  await assert.rejects(collecting, (error: Error) => error.name === 'AbortError');
  await stopped;
  assert.equal(settledWhenStopped, true, 'the collection had stopped before StopQuery reached AWS');
  assert.deepEqual(fake.callsTo('StopQuery').map((c) => c.params), [{ queryId: 'q-running' }]);
  assert.equal(fake.callsTo('GetQueryResults').length, 1);

  // Cancelled while reading the setup (the web ACL), before any evidence is looked for: a rejection too, not a "problem".
  const early = new AbortController();
  const setupFake = await startFakeAws(t, {
    'wafv2:GetWebACL': () => {
      early.abort();
      return { output: { WebACL: { Name: 'edge-acl', VisibilityConfig: { MetricName: 'edgeAcl', SampledRequestsEnabled: true } } } };
    },
  });
  const aclOnly = new AwsEvidenceSource({ region, webAclArn }, { access: fakeAwsAccess(setupFake.url) });
  await assert.rejects(aclOnly.collect(evidenceWindow(result), correlationKeysFor(result), { signal: early.signal }), (error: Error) => error.name === 'AbortError');
  assert.deepEqual(setupFake.calls.map((c) => c.operation), ['GetWebACL']);
});

test('no region, or settings naming nothing: one clear problem each, and no AWS call', async (t) => {
  const result = await probeTarget(valid);
  withEnv(t, { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
  const fake = await startFakeAws(t, {});
  const window = evidenceWindow(result);
  const keys = correlationKeysFor(result);

  const noRegion = await new AwsEvidenceSource({ wafLogGroup, albLogs }, { access: fakeAwsAccess(fake.url) }).collect(window, keys);
  assert.deepEqual(noRegion.problems, [{ message: 'No AWS region: add "region" to the endpoint\'s "aws" settings (or an ARN that names one), or set AWS_REGION.' }]);
  assert.deepEqual([noRegion.events, noRegion.coverage, noRegion.context], [[], [], []]);

  // A region from any ARN is enough; the environment's is the last resort.
  assert.equal(awsRegionFor({ listenerArn }), region);
  assert.equal(awsRegionFor({ wafLogGroup }, { AWS_DEFAULT_REGION: 'us-west-2' }), 'us-west-2');
  assert.equal(awsRegionFor({ wafLogGroup }), null);

  const nothing = await new AwsEvidenceSource({ region }, { access: fakeAwsAccess(fake.url) }).collect(window, keys);
  assert.deepEqual(nothing.problems, [{ message: 'The "aws" settings name nothing to read: add "listenerArn" or "loadBalancerArn", "webAclArn", "wafLogGroup", "albLogs", "albLogsAthena", "albLogGroup", "cloudFront" or "apiGateway".' }]);
  // What could be configured is named, with the setting that adds it.
  assert.deepEqual(
    nothing.coverage?.map((c) => [c.evidence, c.state]),
    [
      ['ALB connection and access logs', 'not-configured'],
      ['WAF records', 'not-configured'],
      ['CloudWatch metrics', 'not-configured'],
    ],
  );
  assert.match(nothing.coverage?.[0]?.detail ?? '', /set "albLogs", .*\(CLI: --alb-logs\)/);
  assert.equal(fake.calls.length, 0);
});
