// The built CLI with evidence from AWS: `probe --evidence aws` and `evidence … aws` run as users run them
// (dist/cli.js in its own process), the real AWS SDK inside pointed at local stand-ins only through the
// environment the SDK honours — AWS_ENDPOINT_URL (fake-aws: ELBv2, CloudWatch, Logs Insights) and
// AWS_ENDPOINT_URL_S3 (s3rver) — with keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a temp HOME and none
// of this machine's AWS settings. Like an ALB node, the ALB-like target turns each connection it decides
// into a connection-log line, uploaded gzipped to the S3 key of its 5-minute interval.
// Account 123456789012, region eu-west-1, load balancer app/edge/50dc6c495c0c9188.

import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { albSerial } from '../../src/core/evidence/correlate';
import { albLogIntervalEnd, albLogObjectKey, connectionLogLine } from '../support/alb-log-lines';
import { builtCli, runBuiltCli, type CliRun } from '../support/built-cli';
import { awsErrors, startFakeAws, startFakeS3, type FakeAws, type FakeAwsHandler, type FakeS3 } from '../support/fake-aws';
import { account, elbArn, lbDimension, listenerArn, loadBalancerArn, region, trustStoreArn, wafLogGroup } from '../support/aws-test-names';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';

const bucket = 'edge-logs';
const albLogs = `s3://${bucket}/prod`;
/** Must never be printed. s3rver knows the key id S3RVER and checks no signature; fake-aws takes any key. */
const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/cliSecretNeverShown';
const awsFlags = ['--listener-arn', listenerArn, '--waf-log-group', wafLogGroup, '--alb-logs', albLogs];

let pki: TestPkiFiles;
let target: AlbLikeTarget;
let s3: FakeS3;
let fake: FakeAws;
let expiredS3: Server;
let home: string;
const cleanups: Array<() => unknown> = [];
const hooks = { after: (fn: () => unknown) => void cleanups.push(fn) };

/** The serial of the certificate the next probe presents, as ALB logs it (set by each test). */
let presentedSerial: string | null = null;
/** Uploads of connection-log objects still on their way to S3. */
const pendingPuts = new Set<Promise<void>>();
/** What "AWS" answers: every call refused with expired credentials, and the CloudWatch datapoints delivered so far. */
const aws = { expired: false, metrics: [] as Array<{ metric: string; minute: Date; value: number }> };

function minuteOf(iso: string): Date {
  return new Date(Math.floor(Date.parse(iso) / 60_000) * 60_000);
}

/** GetMetricData as CloudWatch answers it: each query's datapoints in [StartTime, EndTime) (epoch seconds on the wire). */
const getMetricData: FakeAwsHandler = (params) => {
  const from = Number(params.StartTime) * 1000;
  const to = Number(params.EndTime) * 1000;
  const queries = params.MetricDataQueries as Array<{ Id: string; MetricStat: { Metric: { MetricName: string } } }>;
  const results = queries.map((q) => {
    const points = aws.metrics.filter((p) => p.metric === q.MetricStat.Metric.MetricName && p.minute.getTime() >= from && p.minute.getTime() < to);
    return { Id: q.Id, Label: q.MetricStat.Metric.MetricName, StatusCode: 'Complete', Timestamps: points.map((p) => p.minute), Values: points.map((p) => p.value) };
  });
  return { output: { MetricDataResults: results, Messages: [] } };
};

function listener(): Record<string, unknown> {
  return {
    ListenerArn: listenerArn,
    LoadBalancerArn: loadBalancerArn,
    Port: target.port,
    Protocol: 'HTTPS',
    SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    DefaultActions: [{ Type: 'forward', TargetGroupArn: `${elbArn}:targetgroup/api/73e2d6bc24d8a067` }],
    MutualAuthentication: { Mode: 'verify', TrustStoreArn: trustStoreArn, IgnoreClientCertificateExpiry: false, AdvertiseTrustStoreCaNames: 'on', TrustStoreAssociationStatus: 'active' },
  };
}

const handlers: Record<string, FakeAwsHandler> = {
  // The CLI's first AWS call: by the time it is answered, the probe's connection-log object is in S3.
  'elbv2:DescribeListeners': async () => {
    await Promise.all(pendingPuts);
    return aws.expired ? awsErrors.expiredTokenQuery : { output: { Listeners: [listener()] } };
  },
  'elbv2:DescribeTrustStores': () =>
    aws.expired ? awsErrors.expiredTokenQuery : { output: { TrustStores: [{ Name: 'partners', TrustStoreArn: trustStoreArn, Status: 'ACTIVE', NumberOfCaCertificates: 1, TotalRevokedEntries: 0 }] } },
  'cloudwatch:GetMetricData': (params, call) => (aws.expired ? awsErrors.expiredToken : getMetricData(params, call)),
  'logs:StartQuery': () => (aws.expired ? awsErrors.expiredToken : { output: { queryId: `q-${randomBytes(4).toString('hex')}` } }),
  'logs:GetQueryResults': () =>
    aws.expired ? awsErrors.expiredToken : { output: { status: 'Complete', results: [], statistics: { recordsMatched: 0, recordsScanned: 812, bytesScanned: 524_288 } } },
};

/** The CLI's environment: the stand-ins and test keys, a temp HOME (no ~/.aws), and none of this machine's AWS_* settings. */
function awsEnv(overrides: Record<string, string> = {}): Record<string, string | undefined> {
  const inherited = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('AWS_')).map((k) => [k, undefined]));
  return {
    ...inherited,
    HOME: home,
    AWS_ENDPOINT_URL: fake.url,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    // Were the environment's keys ever skipped, the credential chain must not wander off to an instance metadata service.
    AWS_EC2_METADATA_DISABLED: 'true',
    ...overrides,
  };
}

/** The flags that present this client certificate; the connection-log lines of the next probe carry its serial. */
async function useCertificate(name: 'untrusted' | 'valid'): Promise<string[]> {
  const files = pki.files.client(name);
  presentedSerial = albSerial(new X509Certificate(await readFile(files.cert)).serialNumber);
  return ['--cacert', pki.files.caFile, '--cert', files.cert, '--key', files.key];
}

function newTraceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

/** Splits a command line as a POSIX shell would for what shellQuote produces: words, and '…' with '\'' inside. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /\s*((?:[^\s'\\]+|'[^']*'|\\.)+)/y;
  let end = 0;
  for (let m = pattern.exec(line); m !== null; m = pattern.exec(line)) {
    end = pattern.lastIndex;
    words.push(m[1]!.replace(/'([^']*)'|\\(.)|([^'\\]+)/g, (_all, quoted: string | undefined, escaped: string | undefined, plain: string | undefined) => quoted ?? escaped ?? plain ?? ''));
  }
  assert.equal(line.slice(end).trim(), '', `unparsed: ${line.slice(end)}`);
  return words;
}

function assertNoSecret(run: CliRun): void {
  for (const text of [run.stdout, run.stderr]) {
    assert.ok(!text.includes(secretAccessKey) && !text.includes('cliSecretNeverShown'), text);
  }
}

function assertNoSdkWarning(run: CliRun): void {
  assert.doesNotMatch(run.stderr, /NodeVersionSupportWarning|AWS SDK for JavaScript/);
}

/** The probe's own entry in the target's connection log (the newest). */
function lastConnection(): AlbLikeTarget['connectionLog'][number] {
  const entry = target.connectionLog.at(-1);
  assert.ok(entry, 'the target logged no connection');
  return entry;
}

before(async () => {
  // For this process's own S3 client (s3rver uploads); the CLI runs without it (awsEnv drops every AWS_* variable).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  assert.ok(existsSync(builtCli), 'dist/cli.js is missing: run npm run build first (npm test does)');
  pki = await makePkiFiles();
  home = await mkdtemp(join(tmpdir(), 'mtls-probe-home-'));
  target = await startAlbLikeTarget({ pki: pki.pki });
  s3 = await startFakeS3(hooks, bucket);
  fake = await startFakeAws(hooks, handlers);
  // S3 for credentials whose session has ended: every request answered as S3 answers an expired STS token.
  expiredS3 = createServer((req, res) => {
    req.resume();
    const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>';
    res.writeHead(400, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => expiredS3.listen(0, '127.0.0.1', resolve));
  // Like an ALB node, the target logs each connection as it decides it; the object lands under the key of its interval.
  const log = target.connectionLog;
  const push = log.push.bind(log);
  log.push = (...entries) => {
    for (const entry of entries) {
      const line = connectionLogLine(entry, { serial: presentedSerial, listenerPort: target.port, loadBalancer: lbDimension });
      const key = albLogObjectKey({ prefix: 'prod', account, region, loadBalancer: lbDimension, intervalEnd: albLogIntervalEnd(entry.time), kind: 'connection' });
      const put = s3.put(key, gzipSync(`${line}\n`));
      pendingPuts.add(put);
      void put.finally(() => pendingPuts.delete(put)).catch(() => undefined);
    }
    return push(...entries);
  };
});

after(async () => {
  await target?.close();
  if (expiredS3 !== undefined) await new Promise<void>((resolve) => expiredS3.close(() => resolve()));
  for (const cleanup of cleanups.reverse()) await cleanup();
  if (pki) await rm(pki.files.dir, { recursive: true, force: true });
  if (home) await rm(home, { recursive: true, force: true });
});

describe('mtls-probe probe --evidence aws, then the evidence command it hints at', () => {
  let hinted: string[] | undefined;
  let probePort: number | undefined;
  let probeMinute: Date | undefined;

  test('an untrusted certificate: the listener, the connection log in S3 and the WAF log confirm mtls; metrics are not yet delivered, with the command that looks again', async () => {
    aws.metrics = [];
    const cert = await useCertificate('untrusted');
    const callsBefore = fake.calls.length;
    const r = await runBuiltCli(['probe', target.url, ...cert, '--evidence', 'aws', ...awsFlags, '--no-timestamps'], awsEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assertNoSecret(r);
    assertNoSdkWarning(r);
    const entry = lastConnection();
    assert.equal(entry.tlsVerifyStatus, 'Failed:ClientCertUntrusted');
    probePort = entry.clientPort;
    probeMinute = minuteOf(entry.time);

    // The listener's setup, the evidence, then the verdict it confirms.
    const listenerAt = r.stdout.indexOf(`ALB listener (mTLS verify): Listener HTTPS:${target.port} is in mTLS verify mode with trust store partners (1 CA certificate, CA names advertised, client certificate expiry checked)`);
    const verdictAt = r.stdout.indexOf('Verdict: stopped at mtls — alb_client_cert_untrusted (confirmed by server-side evidence)');
    assert.ok(listenerAt >= 0 && verdictAt > listenerAt, r.stdout);
    assert.match(r.stdout, /Evidence \(AWS\): 1 record matched — 1 file, 1 line read:/);
    assert.match(r.stdout, /alb-connection-log {2}ALB connection log: tls_verify_status Failed:ClientCertUntrusted/);
    assert.match(r.stdout, new RegExp(`matched by clientIp=127\\.0\\.0\\.1, clientPort=${probePort}, clientCertSerial=${presentedSerial} \\(s3://${bucket}/prod/AWSLogs/${account}/elasticloadbalancing/${region}/\\d{4}/\\d{2}/\\d{2}/conn_log_${account}_elasticloadbalancing_${region}_app\\.edge\\.50dc6c495c0c9188_\\d{8}T\\d{4}Z_10\\.0\\.0\\.1_[0-9a-f]{8}\\.log\\.gz:1\\)`));
    assert.match(r.stdout, /never reached the WAF/);
    // Coverage: each kind of evidence and where it stands.
    assert.match(r.stdout, new RegExp(`^ {2}found {13}ALB connection log: .*\\b1 objects? under s3://${bucket}/prod/AWSLogs/${account}/elasticloadbalancing/${region}/\\d{4}/\\d{2}/\\d{2}/`, 'm'));
    assert.match(r.stdout, /^ {2}missing {11}ALB access log: none, as expected: the connection failed the TLS handshake/m);
    assert.match(r.stdout, new RegExp(`^ {2}missing {11}WAF log: no record in ${wafLogGroup}, as expected: the load balancer refused the connection \\(Failed:ClientCertUntrusted\\) before any request reached the WAF$`, 'm'));
    const metricsLine = /^ {2}not yet available CloudWatch metrics: app\/edge\/50dc6c495c0c9188, \d\d:\d\d–\d\d:\d\d UTC: no datapoints published yet \(CloudWatch publishes a minute about a minute after it ends\) \(expected by (\d\d:\d\d:\d\d) UTC\)$/m.exec(r.stdout);
    assert.ok(metricsLine, r.stdout);

    // The hint: what is late, by when, and the whole command that looks again.
    const hint = /^Not yet delivered by AWS: CloudWatch metrics \(expected by (\d\d:\d\d:\d\d) UTC\)\. Look again then with:\n {2}mtls-probe (evidence .+)\n {2}\(or probe with --wait 10m to wait for it\)\.$/m.exec(r.stdout);
    assert.ok(hint, r.stdout);
    assert.equal(hint[1], metricsLine[1]);
    hinted = shellWords(hint[2]!);
    const [since, until] = [hinted[hinted.indexOf('--since') + 1]!, hinted[hinted.indexOf('--until') + 1]!];
    assert.ok(Date.parse(since) < Date.parse(entry.time) && Date.parse(entry.time) < Date.parse(until), `${since} … ${until}`);
    assert.match(hinted[hinted.indexOf('--correlation-id') + 1]!, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    // The keys that tie the connection-log record to the probe (it carries no trace id): address, port and certificate,
    // and when the probe was connected (what identifies it behind NAT).
    const probeTime = hinted[hinted.indexOf('--probe-time') + 1]!.split('/');
    assert.ok(Date.parse(probeTime[0]!) <= Date.parse(entry.time) && Date.parse(entry.time) <= Date.parse(probeTime[1]!), probeTime.join(' … '));
    assert.deepEqual(hinted.slice(hinted.indexOf('--client-ip'), hinted.indexOf('aws')), ['--client-ip', '127.0.0.1', '--client-port', String(probePort), '--serial', presentedSerial, '--probe-time', probeTime.join('/')]);
    assert.deepEqual(hinted.slice(hinted.indexOf('aws')), ['aws', ...awsFlags]);

    // Every call signed with the environment's key for the ARN's region, the listener first.
    const calls = fake.calls.slice(callsBefore);
    assert.deepEqual(calls.map((c) => c.operation), ['DescribeListeners', 'DescribeTrustStores', 'GetMetricData', 'StartQuery', 'GetQueryResults']);
    assert.ok(calls.every((c) => c.accessKeyId === 'S3RVER' && c.region === region), JSON.stringify(calls.map((c) => [c.accessKeyId, c.region])));
    assert.deepEqual(calls[0]!.params, { ListenerArns: [listenerArn] });
  });

  test('the hinted command, once CloudWatch has the probe\'s minute: metrics found and the connection-log record listed', async () => {
    assert.ok(hinted !== undefined && probeMinute !== undefined, 'needs the previous test\'s hint');
    aws.metrics = [
      { metric: 'NewConnectionCount', minute: probeMinute, value: 1 },
      { metric: 'ClientTLSNegotiationErrorCount', minute: probeMinute, value: 1 },
    ];
    assert.equal(hinted[0], 'evidence');
    const r = await runBuiltCli(hinted, awsEnv());
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret(r);
    assertNoSdkWarning(r);
    assert.match(r.stdout, new RegExp(`^ALB listener \\(mTLS verify\\): Listener HTTPS:${target.port} is in mTLS verify mode`, 'm'));
    assert.match(r.stdout, /^ {2}found {13}CloudWatch metrics: app\/edge\/50dc6c495c0c9188, .*NewConnectionCount 1, ClientTLSNegotiationErrorCount 1; no datapoints \(no traffic recorded\) for /m);
    assert.match(r.stdout, /alb-connection-log {2}ALB connection log: tls_verify_status Failed:ClientCertUntrusted/);
    assert.match(r.stdout, new RegExp(`matched by clientIp=127\\.0\\.0\\.1, clientPort=${probePort}, clientCertSerial=${presentedSerial} \\(s3://${bucket}/prod/AWSLogs/`));
    assert.match(r.stdout, new RegExp(`^ {2}missing {11}WAF log: no record in ${wafLogGroup}, as expected`, 'm'));
    assert.match(r.stdout, /cloudwatch-metric {2}CloudWatch ClientTLSNegotiationErrorCount: 1 in the minute from \d\d:\d\d UTC/);
    assert.match(r.stdout, new RegExp(`^ {2}found {13}ALB connection log: .* under s3://${bucket}/prod/AWSLogs/`, 'm'));
    assert.doesNotMatch(r.stdout, /not yet available/);

    const json = await runBuiltCli([...hinted, '--json'], awsEnv());
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { events: Array<{ kind: string; record: Record<string, unknown> }>; coverage: Array<{ evidence: string; state: string }> };
    const connection = report.events.filter((e) => e.kind === 'alb-connection-log');
    assert.deepEqual(connection.map((e) => [e.record.client_port, e.record.tls_verify_status]), [[probePort, 'Failed:ClientCertUntrusted']]);
    assert.deepEqual(report.events.filter((e) => e.kind === 'cloudwatch-metric').map((e) => e.record.metric).sort(), ['ClientTLSNegotiationErrorCount', 'NewConnectionCount']);
    assert.deepEqual(Object.fromEntries(report.coverage.map((c) => [c.evidence, c.state])), { 'ALB connection log': 'found', 'ALB access log': 'missing', 'CloudWatch metrics': 'found', 'WAF log': 'missing' });
  });
});

test('--json with --evidence aws: one JSON object with the evidence\'s coverage and the listener as context, and the verdict confirmed', async () => {
  aws.metrics = [];
  const cert = await useCertificate('untrusted');
  const traceId = newTraceId();
  const r = await runBuiltCli(['probe', target.url, ...cert, '--correlation-id', traceId, '--evidence', 'aws', ...awsFlags, '--json'], awsEnv());
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assertNoSecret(r);
  assert.equal(r.stdout.trimEnd().split('\n').length, 1, r.stdout);
  const result = JSON.parse(r.stdout);
  assert.equal(result.correlationId, traceId);
  assert.deepEqual([result.verdict.stoppedAt, result.verdict.reason, result.verdict.confidence], ['mtls', 'alb_client_cert_untrusted', 'confirmed']);
  assert.deepEqual(result.verdict.evidence.map((e: { kind: string; record: { client_port: number } }) => [e.kind, e.record.client_port]), [['alb-connection-log', result.client.port]]);

  const coverage = result.evidence.coverage as Array<{ evidence: string; state: string; detail: string; expectedBy?: string }>;
  assert.deepEqual(coverage.map((c) => [c.evidence, c.state]), [
    ['ALB connection log', 'found'],
    ['ALB access log', 'missing'],
    ['CloudWatch metrics', 'not-yet-available'],
    ['WAF log', 'missing'],
  ]);
  // Metrics are expected about 3 minutes after the probe ended.
  const metrics = coverage.find((c) => c.evidence === 'CloudWatch metrics')!;
  const ended = Date.parse(result.startedAt) + result.timings.total;
  assert.ok(Math.abs(Date.parse(metrics.expectedBy!) - (ended + 3 * 60_000)) < 1_000, `${metrics.expectedBy} vs ${new Date(ended).toISOString()}`);
  assert.ok(coverage.filter((c) => c !== metrics).every((c) => c.expectedBy === undefined));

  assert.deepEqual(result.evidence.context, [
    {
      title: 'ALB listener (mTLS verify)',
      summary: result.evidence.context[0].summary,
      resource: listenerArn,
      record: {
        listenerArn, port: target.port, protocol: 'HTTPS', mode: 'verify', trustStoreArn, trustStoreName: 'partners', trustStoreStatus: 'ACTIVE',
        caCertificates: 1, revokedEntries: 0, advertiseTrustStoreCaNames: true, ignoreClientCertificateExpiry: false,
      },
    },
  ]);
  assert.match(result.evidence.context[0].summary, new RegExp(`^Listener HTTPS:${target.port} is in mTLS verify mode with trust store partners`));
  assert.deepEqual(result.evidence.problems, []);
});

test('expired credentials: the probe still runs and exits 0, saying the credentials expired; evidence … aws, with nothing readable, exits 2', async (t) => {
  aws.expired = true;
  t.after(() => {
    aws.expired = false;
  });
  const env = awsEnv({ AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(expiredS3.address() as AddressInfo).port}`, AWS_ACCESS_KEY_ID: 'ASIAEXPIREDSESSION01', AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXPIRED' });
  const cert = await useCertificate('untrusted');
  const traceId = newTraceId();
  const probeRun = await runBuiltCli(['probe', target.url, ...cert, '--correlation-id', traceId, '--evidence', 'aws', ...awsFlags, '--no-timestamps'], env);
  assert.equal(probeRun.code, 0, probeRun.stderr);
  assertNoSecret(probeRun);
  assertNoSdkWarning(probeRun);
  assert.doesNotMatch(probeRun.stdout, /IQoJb3JpZ2luX2VjEXPIRED/);
  assert.equal(lastConnection().tlsVerifyStatus, 'Failed:ClientCertUntrusted');
  // The probe's own verdict stands, unconfirmed; every piece of evidence names the expiry and the fix.
  assert.match(probeRun.stdout, /Verdict: stopped at mtls — \S+ \(from the probe alone: no server-side record confirms it\)/);
  // Every lookup fails the same way: said once, naming everything it broke.
  const expired = 'The AWS credentials of the default credential chain (AWS_PROFILE, environment, ~/.aws) have expired or are not valid: refresh them (e.g. `aws sso login`) and run again.';
  assert.ok(probeRun.stdout.includes('Evidence (AWS): nothing could be read.'), probeRun.stdout);
  assert.ok(probeRun.stdout.includes(`  failed            ALB connection log, ALB access log, CloudWatch metrics, WAF log: ${expired}`), probeRun.stdout);
  assert.equal(probeRun.stdout.split(expired).length - 1, 1, probeRun.stdout);
  // Nothing is late, so no command to look again.
  assert.doesNotMatch(probeRun.stdout, /Look again|not yet available/);

  const now = Date.now();
  const window = ['--since', new Date(now - 2 * 60_000).toISOString(), '--until', new Date(now + 60_000).toISOString()];
  const evidenceRun = await runBuiltCli(['evidence', ...window, '--correlation-id', traceId, 'aws', ...awsFlags], env);
  assert.equal(evidenceRun.code, 2, evidenceRun.stdout + evidenceRun.stderr);
  assertNoSecret(evidenceRun);
  assert.ok(evidenceRun.stdout.includes(`  failed            ALB connection log, ALB access log, CloudWatch metrics, WAF log: ${expired}`), evidenceRun.stdout);
  assert.equal((evidenceRun.stdout.match(/^ {2}failed /gm) ?? []).length, 1, evidenceRun.stdout);
  // A script sees why on stderr, as with every exit 2.
  assert.equal(evidenceRun.stderr, `mtls-probe: no AWS evidence could be read: ${expired}\n`);
});

test('usage errors exit 2 with one line naming the fix, before any probe or AWS call', async () => {
  const cert = await useCertificate('untrusted');
  const cases: Array<[string[], RegExp]> = [
    [['--wait', '10m'], /^mtls-probe: --wait is for AWS evidence: add --evidence aws\.\n$/],
    [['--evidence', 'aws'], /^mtls-probe: AWS evidence needs to know where to look: give at least one of --load-balancer-arn, --listener-arn, --web-acl-arn, --waf-log-group, --alb-logs, --alb-log-group, --cloudfront-distribution-id, --cloudfront-connection-logs, --api-gateway-domain, --api-gateway-access-log-group, --athena-connection-table\.\n$/],
    // A load balancer's ARN where the listener's belongs.
    [['--evidence', 'aws', '--listener-arn', loadBalancerArn], /^mtls-probe: --listener-arn: ".+" is not a listener ARN\. Copy the ARN of the HTTPS listener: "arn:aws:elasticloadbalancing:<region>:<account>:listener\/app\/<name>\/<id>\/<id>"\.\n$/],
    [['--evidence', 'aws', ...awsFlags, '--wait', 'forever'], /^mtls-probe: --wait takes a duration up to 60m such as 10m, 90s or 1500ms, not "forever"\.\n$/],
  ];
  for (const [flags, message] of cases) {
    const connections = target.connectionLog.length;
    const calls = fake.calls.length;
    const r = await runBuiltCli(['probe', target.url, ...cert, ...flags], awsEnv());
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
    assert.equal(target.connectionLog.length, connections, `${flags.join(' ')}: the target saw a connection`);
    assert.equal(fake.calls.length, calls, `${flags.join(' ')}: AWS was called`);
  }
});
