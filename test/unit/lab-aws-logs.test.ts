// The lab's logs, written as AWS delivers them and read back unchanged by the product's evidence reader: ALB
// connection and access logs and AWS WAF records found by the probe's keys, CloudWatch metric stream datapoints
// as the same events the AWS source makes, lines in the documented field order, AWS's object names and layout.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { metricEvents } from '../../src/core/evidence/aws/cloudwatch-metrics';
import { upgradeVerdict } from '../../src/core/evidence/correlate';
import { LocalLogSource, logFormatFromFileName, sniffLogFormat } from '../../src/core/evidence/local/local-logs';
import { parseAlbAccessLogLine } from '../../src/core/evidence/logs/alb-access-log';
import { isAlbConnectionLogFileName, parseAlbConnectionLogLine } from '../../src/core/evidence/logs/alb-connection-log';
import { readLogLines } from '../../src/core/evidence/logs/line-reader';
import { splitLogFields } from '../../src/core/evidence/logs/log-fields';
import type { EvidenceEvent, TimeWindow } from '../../src/core/evidence/types';
import { newConnTraceId, type AccessLogEntry, type ConnectionLogEntry } from '../../src/core/lab/aws-log-lines';
import { albHttpSourceId, webAclArn } from '../../src/core/lab/aws-log-names';
import { LabLogWriter } from '../../src/core/lab/aws-log-writer';
import { evaluateWebAcl, RateState, wafLogRecord, type WafRequest } from '../../src/core/lab/waf-rules';
import type { ProbeResult } from '../../src/core/probe/types';

const resources = { accountId: '123456789012', region: 'eu-west-1', loadBalancer: { name: 'lab', id: '50dc6c495c0c9188' }, webAclName: 'lab-web-acl', nodeIp: '10.0.0.1' };
const t0 = Date.parse('2024-05-01T10:00:00.000Z');
const at = (ms: number): Date => new Date(t0 + ms);
const window: TimeWindow = { from: at(-2 * 60_000), to: at(10 * 60_000) };
const probeIp = '127.0.0.1';
const probePort = 53211;
const serial = '3A0F5C9E00112233';
const blockedTrace = 'Root=1-663210a1-6b05e1f2ab75cbbc8afd3ae1';
const passedTrace = 'Root=1-663210a1-000000000000000000000001';
const subject = 'CN=Partner "Blue" Client,O=Example Corp\\, Ltd,L=Den Haag';

// From aws-reference.md: the S3 layouts of ALB logs (connection logs with conn_log_ in front) and AWS WAF logs.
const accessName = /^AWSLogs\/123456789012\/elasticloadbalancing\/eu-west-1\/\d{4}\/\d{2}\/\d{2}\/123456789012_elasticloadbalancing_eu-west-1_app\.lab\.50dc6c495c0c9188_\d{8}T\d{4}Z_10\.0\.0\.1_[0-9a-z]+\.log\.gz$/;
const connectionName = /^AWSLogs\/123456789012\/elasticloadbalancing\/eu-west-1\/\d{4}\/\d{2}\/\d{2}\/conn_log_123456789012_elasticloadbalancing_eu-west-1_app\.lab\.50dc6c495c0c9188_\d{8}T\d{4}Z_10\.0\.0\.1_[0-9a-z]+\.log\.gz$/;
const wafName = /^AWSLogs\/123456789012\/WAFLogs\/eu-west-1\/lab-web-acl\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/123456789012_waflogs_eu-west-1_lab-web-acl_\d{8}T\d{4}Z_[0-9a-f]+\.log\.gz$/;
const metricStreamName = /^CloudWatch\/metric-streams\/lab-metrics\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/lab-metrics-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$/;

function connection(patch: Partial<ConnectionLogEntry> = {}): ConnectionLogEntry {
  return {
    time: at(1_000),
    clientIp: probeIp,
    clientPort: probePort,
    listenerPort: 443,
    tlsProtocol: 'TLSv1.2',
    tlsCipher: 'ECDHE-RSA-AES128-GCM-SHA256',
    handshakeLatencySeconds: null,
    leafCertificate: { subject, notBefore: new Date('2024-01-01T00:00:00.000Z'), notAfter: new Date('2025-01-01T00:00:00.000Z'), serialNumber: '3a:0f:5c:9e:00:11:22:33' },
    verifyStatus: 'Failed:ClientCertUntrusted',
    connTraceId: newConnTraceId(),
    tlsKeyExchange: 'X25519',
    ...patch,
  };
}

function access(traceId: string, blocked: boolean, patch: Partial<AccessLogEntry> = {}): AccessLogEntry {
  return {
    time: at(2_000),
    requestCreationTime: at(1_998),
    clientIp: '::ffff:127.0.0.1',
    clientPort: probePort + 1,
    target: blocked ? null : { ip: '127.0.0.1', port: 8080 },
    requestProcessingTime: 0.001,
    ...(blocked ? {} : { targetProcessingTime: 0.004, responseProcessingTime: 0.001 }),
    elbStatusCode: blocked ? 403 : 200,
    targetStatusCode: blocked ? null : 200,
    receivedBytes: 312,
    sentBytes: blocked ? 162 : 540,
    request: { method: 'GET', url: 'https://lab.example.com:443/health?q=x', protocol: 'HTTP/1.1' },
    userAgent: 'mtls-probe/0.1',
    sslCipher: 'ECDHE-RSA-AES128-GCM-SHA256',
    sslProtocol: 'TLSv1.2',
    targetGroupArn: blocked ? null : 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/lab/73e2d6bc24d8a067',
    traceId,
    domainName: 'lab.example.com',
    chosenCertArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/lab',
    actionsExecuted: blocked ? ['waf'] : ['waf', 'forward'],
    connTraceId: newConnTraceId(),
    ...patch,
  };
}

function wafRequest(traceId: string, args: string): WafRequest {
  return {
    clientIp: probeIp,
    method: 'GET',
    uri: '/health',
    args,
    headers: [
      { name: 'Host', value: 'lab.example.com' },
      { name: 'X-Amzn-Trace-Id', value: traceId },
    ],
    httpVersion: 'HTTP/1.1',
    requestId: traceId,
  };
}

function probe(patch: Partial<ProbeResult>): ProbeResult {
  return {
    target: { url: 'https://lab.example.com/health', host: 'lab.example.com', port: 443, serverName: 'lab.example.com', address: '127.0.0.1', addresses: ['127.0.0.1'] },
    identity: { label: 'partner', kind: 'pem', subject: 'CN=partner', issuer: 'CN=Other CA', serialNumber: serial, notBefore: '2024-01-01T00:00:00.000Z', notAfter: '2025-01-01T00:00:00.000Z', sha256: 'ab', chainLength: 1 },
    timings: { dns: 0, tcp: 1, tls: 5, firstByte: null, total: 1500 },
    tls: { version: 'TLSv1.2', cipher: null, alpn: null, serverCertificates: [], certificateRequest: null, clientCertificateSent: true, serverCertificateVerified: true },
    trace: [],
    http: null,
    correlationId: blockedTrace,
    verdict: { stoppedAt: 'mtls', reason: 'reset_after_client_certificate', summary: 'Reset after the client certificate.', confidence: 'probe', evidence: [] },
    client: { address: probeIp, port: probePort },
    startedAt: at(0).toISOString(),
    error: null,
    ...patch,
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/')).sort();
}

async function linesOf(file: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const { line } of readLogLines(file)) lines.push(line);
  return lines;
}

const describeMatch = (e: EvidenceEvent): string => `${e.kind} ${e.matchedBy.map((m) => `${m.key}=${m.value}`).join(' ')}`;

let dir: string;
let clock: Date;
let writer: LabLogWriter;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-logs-'));
  clock = at(30_000);
  writer = new LabLogWriter({ dir, ...resources, metricStreamName: 'lab-metrics', now: () => clock });
  const state = new RateState();
  const blocked = wafRequest(blockedTrace, 'q=<script>alert(1)</script>');
  const passed = wafRequest(passedTrace, 'q=health');
  const meta = (ms: number) => ({ timestamp: at(ms), webAclId: webAclArn(resources, 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111'), httpSourceId: albHttpSourceId(resources) });
  await Promise.all([
    writer.connection(connection()),
    writer.connection(connection({ clientPort: 40000, verifyStatus: 'Success', handshakeLatencySeconds: 0.004, leafCertificate: { subject: 'CN=other', notBefore: at(-1e9), notAfter: at(1e9), serialNumber: 'AAAA' } })),
    writer.access(access(blockedTrace, true)),
    writer.access(access(passedTrace, false, { time: at(2_500), requestCreationTime: at(2_490), clientPort: probePort + 2 })),
    writer.waf(wafLogRecord(evaluateWebAcl(blocked, state, at(1_999)), blocked, meta(1_999))),
    writer.waf(wafLogRecord(evaluateWebAcl(passed, state, at(2_489)), passed, meta(2_489))),
  ]);
});

after(async () => {
  await writer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the probe finds its records in the lab folder, through the same reader as real AWS logs', () => {
  test('a Failed:ClientCertUntrusted connection is found by client port and serial, and confirms the verdict', async () => {
    const report = await new LocalLogSource([dir]).collect(window, { clientIp: probeIp, clientPort: probePort, clientCertSerial: serial });
    const connections = report.events.filter((e) => e.kind === 'alb-connection-log');
    assert.deepEqual(connections.map(describeMatch), [`alb-connection-log clientIp=${probeIp} clientPort=${probePort} clientCertSerial=${serial}`]);
    const record = connections[0]!.record;
    assert.equal(record.tls_verify_status, 'Failed:ClientCertUntrusted');
    assert.equal(record.leaf_client_cert_subject, subject);
    assert.equal(record.tls_handshake_latency, null);
    assert.equal(record.leaf_client_cert_validity, 'NotBefore=2024-01-01T00:00:00Z;NotAfter=2025-01-01T00:00:00Z');
    assert.equal(record.elb, 'app/lab/50dc6c495c0c9188');
    assert.equal(report.problems.length, 0, JSON.stringify(report.problems));
    assert.equal(report.stats.skippedLines, 0);

    // This probe never got to send a request: its own trace id is in no WAF record (the ones of its address are others').
    const verdict = upgradeVerdict(probe({ correlationId: 'Root=1-663210a1-0000000000000000000000ff' }), report.events);
    assert.equal(verdict.stoppedAt, 'mtls');
    assert.equal(verdict.reason, 'alb_client_cert_untrusted');
    assert.equal(verdict.confidence, 'confirmed');
  });

  test("the access-log line with waf last and the WAF BLOCK record are found by trace id; the other request's are not", async () => {
    const report = await new LocalLogSource([dir]).collect(window, { traceId: blockedTrace });
    assert.deepEqual(report.events.map(describeMatch), [`waf-log traceId=${blockedTrace}`, `alb-access-log traceId=${blockedTrace}`]);
    const [waf, line] = report.events;
    assert.equal(waf!.record.action, 'BLOCK');
    assert.equal(waf!.record.terminatingRuleId, 'AWS-AWSManagedRulesCommonRuleSet');
    assert.match(line!.summary, /answered 403 by the load balancer, target status -; actions waf — blocked by WAF/);
    assert.equal(line!.record.target_ip, null);
    assert.equal(line!.record.target_processing_time, -1);
    assert.equal(line!.record.client_ip, '127.0.0.1');

    const passed = await new LocalLogSource([dir]).collect(window, { traceId: passedTrace });
    assert.deepEqual(passed.events.map((e) => `${e.kind} ${String(e.record.action ?? (e.record.actions_executed as string[]).join(','))}`), ['waf-log ALLOW', 'alb-access-log waf,forward']);

    const verdict = upgradeVerdict(probe({ http: { status: 403, httpVersion: 'HTTP/1.1', headers: {}, bodyPreview: '', bodyBytes: 0 }, verdict: { stoppedAt: 'http', reason: 'http_403_forbidden', summary: 'HTTP 403.', confidence: 'probe', evidence: [] } }), report.events);
    assert.deepEqual([verdict.stoppedAt, verdict.reason, verdict.confidence], ['waf', 'aws_waf_block', 'confirmed']);
  });
});

describe('CloudWatch metric streams', () => {
  test('datapoints come back as the cloudwatch-metric events the AWS source makes, in the window; other series are left out', async () => {
    const metricsDir = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-metrics-'));
    const now = at(70_000);
    const metrics = new LabLogWriter({ dir: metricsDir, ...resources, metricStreamName: 'lab-metrics', now: () => now });
    try {
      await metrics.loadBalancerMetric('NewConnectionCount', at(61_000));
      await metrics.loadBalancerMetric('NewConnectionCount', at(62_000));
      await metrics.loadBalancerMetric('ClientTLSNegotiationErrorCount', at(62_000));
      await metrics.webAclMetric('BlockedRequests', at(63_000));
      await metrics.loadBalancerMetric('NewConnectionCount', at(-30 * 60_000));
      await metrics.loadBalancerMetric('ActiveConnectionCount', at(61_000));
      await metrics.metric('RequestCount', 'AWS/ApplicationELB', { LoadBalancer: 'app/lab/50dc6c495c0c9188', TargetGroup: 'targetgroup/lab/73e2d6bc24d8a067' }, at(61_000));
      await metrics.flushMetrics();

      const files = await filesUnder(metricsDir);
      assert.ok(files.length >= 1 && files.every((f) => metricStreamName.test(f)), files.join('\n'));
      assert.equal(logFormatFromFileName(join(metricsDir, files[0]!)), 'cloudwatch-metric-stream');
      assert.equal((await sniffLogFormat(join(metricsDir, files.at(-1)!))).format, 'cloudwatch-metric-stream');
      const [first] = await linesOf(join(metricsDir, files.at(-1)!));
      assert.deepEqual(Object.keys(JSON.parse(first!)), ['metric_stream_name', 'account_id', 'region', 'namespace', 'metric_name', 'dimensions', 'timestamp', 'value', 'unit']);

      const report = await new LocalLogSource([metricsDir]).collect(window, {});
      const minute = at(60_000);
      const lb = { LoadBalancer: 'app/lab/50dc6c495c0c9188' };
      const acl = { WebACL: 'lab-web-acl', Region: 'eu-west-1', Rule: 'ALL' };
      const expected = metricEvents([
        { namespace: 'AWS/ApplicationELB', metric: 'NewConnectionCount', dimensions: lb, lane: 'tcp', means: 'new client connections', points: [{ timestamp: minute, value: 2 }], status: 'Complete' },
        { namespace: 'AWS/ApplicationELB', metric: 'ClientTLSNegotiationErrorCount', dimensions: lb, lane: 'tls', means: 'client TLS handshakes the load balancer failed (mTLS rejections included)', points: [{ timestamp: minute, value: 1 }], status: 'Complete' },
        { namespace: 'AWS/WAFV2', metric: 'BlockedRequests', dimensions: acl, lane: 'waf', means: 'requests the web ACL blocked', points: [{ timestamp: minute, value: 1 }], status: 'Complete' },
      ]);
      const comparable = (events: EvidenceEvent[]) => events.map(({ time, lane, kind, summary, matchedBy, record }) => ({ time, lane, kind, summary, matchedBy, record })).sort((a, b) => a.summary.localeCompare(b.summary));
      assert.deepEqual(comparable(report.events), comparable(expected));
      assert.ok(report.events.every((e) => e.origin.file !== undefined && e.origin.line !== undefined));
      assert.equal(report.events.find((e) => e.record.metric === 'NewConnectionCount')?.summary, 'CloudWatch NewConnectionCount: 2 in the minute from 10:01 UTC (new client connections)');
      assert.equal(report.stats.skippedLines, 0);
    } finally {
      await metrics.close();
      await rm(metricsDir, { recursive: true, force: true });
    }
  });

  test('an open minute flushed early is sent again whole when it ends; the fuller record is the one read', async () => {
    const metricsDir = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-metrics-'));
    let now = at(5_000);
    const metrics = new LabLogWriter({ dir: metricsDir, ...resources, metricStreamName: 'lab-metrics', now: () => now });
    try {
      await metrics.loadBalancerMetric('NewConnectionCount', at(1_000));
      await metrics.flushMetrics();
      await metrics.flushMetrics();
      assert.equal((await filesUnder(metricsDir)).length, 1, 'nothing new, nothing sent');
      await metrics.loadBalancerMetric('NewConnectionCount', at(20_000));
      await metrics.loadBalancerMetric('NewConnectionCount', at(40_000));
      now = at(61_000);
      // The next sample's call finds the first minute over and delivers it without being asked.
      await metrics.loadBalancerMetric('NewConnectionCount', at(61_000));
      const files = await filesUnder(metricsDir);
      assert.equal(files.length, 2);
      const values = await Promise.all(files.map(async (f) => (await linesOf(join(metricsDir, f))).map((l) => (JSON.parse(l) as { value: { sum: number; count: number } }).value)));
      assert.deepEqual(values.flat(), [
        { max: 1, min: 1, sum: 1, count: 1 },
        { max: 1, min: 1, sum: 3, count: 3 },
      ]);
      const report = await new LocalLogSource([metricsDir]).collect(window, {});
      assert.deepEqual(report.events.map((e) => `${e.time} ${String(e.record.value)}`), ['2024-05-01T10:00:00.000Z 3']);
      await metrics.close();
      assert.equal((await filesUnder(metricsDir)).length, 3, 'close delivers the open minute');
    } finally {
      await metrics.close();
      await rm(metricsDir, { recursive: true, force: true });
    }
  });
});

describe('CloudWatch metric streams, timing', () => {
  test('a minute is delivered when it ends, with no further sample or flush to prompt it', async (t) => {
    // The writer's own timer, driven by hand: it fires exactly when told, so nothing is waited for.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const metricsDir = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-metrics-'));
    let now = at(59_980);
    const metrics = new LabLogWriter({ dir: metricsDir, ...resources, metricStreamName: 'lab-metrics', now: () => now });
    try {
      await metrics.webAclMetric('AllowedRequests', at(59_000));
      // 20 ms before the minute ends: its timer has not fired, nothing is delivered.
      t.mock.timers.tick(19);
      assert.deepEqual(await filesUnder(metricsDir), []);
      now = at(60_000);
      t.mock.timers.tick(1);
      // The minute was taken for delivery when the timer fired. close() waits for that delivery's writes; a minute
      // still open it would deliver itself, stamped with this later clock — so a file stamped 10:01:00 is the timer's.
      now = at(120_000);
      await metrics.close();
      const files = await filesUnder(metricsDir);
      assert.equal(files.length, 1, files.join('\n'));
      assert.match(files[0]!, /\/lab-metrics-1-2024-05-01-10-01-00-[0-9a-f-]{36}$/);
      const [line] = await linesOf(join(metricsDir, files[0]!));
      assert.deepEqual(JSON.parse(line!), {
        metric_stream_name: 'lab-metrics',
        account_id: '123456789012',
        region: 'eu-west-1',
        namespace: 'AWS/WAFV2',
        metric_name: 'AllowedRequests',
        dimensions: { WebACL: 'lab-web-acl', Region: 'eu-west-1', Rule: 'ALL' },
        timestamp: t0,
        value: { max: 1, min: 1, sum: 1, count: 1 },
        unit: 'Count',
      });
    } finally {
      await metrics.close();
      await rm(metricsDir, { recursive: true, force: true });
    }
  });
});

describe('lines, names and files as AWS writes them', () => {
  test('object names and folders follow AWS: 5-minute objects, ALB by interval end, WAF by interval start; files are 0644', async () => {
    const files = await filesUnder(dir);
    const conn = files.filter((f) => f.includes('/conn_log_'));
    const waf = files.filter((f) => f.includes('/WAFLogs/'));
    const accessFiles = files.filter((f) => !conn.includes(f) && !waf.includes(f));
    assert.equal(conn.length, 1);
    assert.equal(accessFiles.length, 1);
    assert.equal(waf.length, 1);
    assert.match(conn[0]!, connectionName);
    assert.match(accessFiles[0]!, accessName);
    assert.match(waf[0]!, wafName);
    assert.match(conn[0]!, /\/2024\/05\/01\/conn_log_.*_20240501T1005Z_10\.0\.0\.1_[0-9a-z]{8}\.log\.gz$/);
    assert.match(waf[0]!, /\/2024\/05\/01\/10\/00\/123456789012_waflogs_eu-west-1_lab-web-acl_20240501T1000Z_[0-9a-f]{8}\.log\.gz$/);
    assert.equal(isAlbConnectionLogFileName(conn[0]!), true);
    assert.deepEqual([conn[0]!, accessFiles[0]!, waf[0]!].map((f) => logFormatFromFileName(join(dir, f))), ['alb-connection-log', 'alb-access-log', 'waf-log']);
    for (const f of files) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o644, f);

    const late = new LabLogWriter({ dir, ...resources });
    await late.connection(connection({ time: new Date('2024-05-01T23:58:00.000Z') }));
    await late.close();
    const nextDay = (await filesUnder(dir)).filter((f) => f.includes('20240502T0000Z'));
    assert.equal(nextDay.length, 1);
    assert.match(nextDay[0]!, /elasticloadbalancing\/eu-west-1\/2024\/05\/02\/conn_log_/);
    await rm(join(dir, nextDay[0]!));
  });

  test('every line has the documented fields in order, quoted where documented, and parses back', async () => {
    const files = await filesUnder(dir);
    const conn = await linesOf(join(dir, files.find((f) => f.includes('/conn_log_'))!));
    const accessLines = await linesOf(join(dir, files.find((f) => f.includes('_elasticloadbalancing_') && !f.includes('/conn_log_'))!));
    for (const line of conn) assert.equal(splitLogFields(line)?.length, 15, line);
    for (const line of accessLines) assert.equal(splitLogFields(line)?.length, 30, line);

    const failed = conn.find((l) => l.includes('Failed:'))!;
    assert.match(failed, / 443 TLSv1\.2 ECDHE-RSA-AES128-GCM-SHA256 - "CN=Partner \\"Blue\\" Client,O=Example Corp\\\\, Ltd,L=Den Haag" NotBefore=2024-01-01T00:00:00Z;NotAfter=2025-01-01T00:00:00Z 3A0F5C9E00112233 Failed:ClientCertUntrusted TID_[0-9a-f]{32} X25519 app\/lab\/50dc6c495c0c9188 10\.0\.0\.1$/);
    assert.match(failed, /^2024-05-01T10:00:01\.000000Z 127\.0\.0\.1 53211 /);
    assert.equal(conn.map(parseAlbConnectionLogLine).find((r) => r?.tls_verify_status === 'Success')?.tls_handshake_latency, 0.004);

    const blocked = accessLines.find((l) => l.includes('"waf"'))!;
    assert.match(blocked, /^https 2024-05-01T10:00:02\.000000Z app\/lab\/50dc6c495c0c9188 127\.0\.0\.1:53212 - 0\.001 -1 -1 403 - 312 162 "GET https:\/\/lab\.example\.com:443\/health\?q=x HTTP\/1\.1" "mtls-probe\/0\.1" /);
    assert.match(blocked, / - "Root=1-663210a1-6b05e1f2ab75cbbc8afd3ae1" "lab\.example\.com" "arn:aws:acm:eu-west-1:123456789012:certificate\/lab" 0 2024-05-01T10:00:01\.998000Z "waf" "-" "-" "-" "-" "-" "-" TID_[0-9a-f]{32}$/);
    const forwarded = parseAlbAccessLogLine(accessLines.find((l) => l.includes('"waf,forward"'))!);
    assert.deepEqual(
      [forwarded?.target_ip, forwarded?.target_port, forwarded?.target_processing_time, forwarded?.target_status_code, forwarded?.target_port_list, forwarded?.target_status_code_list],
      ['127.0.0.1', 8080, 0.004, 200, ['127.0.0.1:8080'], ['200']],
    );

    // A request line and a user agent with spaces, quotes and a backslash stay one field each.
    const oddDir = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-odd-'));
    const odd = new LabLogWriter({ dir: oddDir, ...resources });
    await odd.access(access(blockedTrace, true, { request: { method: 'GET', url: 'https://lab.example.com:443/a b/"c"', protocol: 'HTTP/1.1' }, userAgent: 'Agent "quoted" \\ back\nslash' }));
    await odd.close();
    const [oddLine] = await linesOf(join(oddDir, (await filesUnder(oddDir))[0]!));
    assert.equal(splitLogFields(oddLine!)?.length, 30);
    const parsed = parseAlbAccessLogLine(oddLine!);
    assert.equal(parsed?.request, 'GET https://lab.example.com:443/a b/"c" HTTP/1.1');
    assert.equal(parsed?.user_agent, 'Agent "quoted" \\ back slash');
    await rm(oddDir, { recursive: true, force: true });
  });

  test('concurrent appends all land, each readable at once as a gzip member of its file', async () => {
    const busyDir = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-busy-'));
    const busy = new LabLogWriter({ dir: busyDir, ...resources });
    try {
      const ports = Array.from({ length: 300 }, (_, i) => 20000 + i);
      await Promise.all(ports.flatMap((port) => [busy.connection(connection({ clientPort: port })), busy.access(access(`Root=1-663210a1-${String(port).padStart(24, '0')}`, true, { clientPort: port }))]));
      const files = await filesUnder(busyDir);
      assert.equal(files.length, 2);
      for (const f of files) {
        const lines = await linesOf(join(busyDir, f));
        assert.equal(lines.length, 300, f);
        const seen = lines.map((l) => Number(f.includes('/conn_log_') ? splitLogFields(l)![2] : splitLogFields(l)![3]!.split(':')[1])).sort((a, b) => a - b);
        assert.deepEqual(seen, ports, f);
      }
    } finally {
      await busy.close();
      await rm(busyDir, { recursive: true, force: true });
    }
  });

  test('a file appended to after a read is read again with the new line; a closed writer refuses more', async () => {
    const keys = { clientIp: probeIp, clientPort: 45000 };
    const appendDir = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-append-'));
    const appending = new LabLogWriter({ dir: appendDir, ...resources });
    await appending.connection(connection({ clientPort: 45000, time: at(1_000) }));
    const first = await new LocalLogSource([appendDir]).collect(window, keys);
    await appending.connection(connection({ clientPort: 45000, time: at(3_000), verifyStatus: 'Failed:ClientCertExpired' }));
    const second = await new LocalLogSource([appendDir]).collect(window, keys);
    assert.deepEqual(first.events.map((e) => e.record.tls_verify_status), ['Failed:ClientCertUntrusted']);
    assert.deepEqual(second.events.map((e) => e.record.tls_verify_status), ['Failed:ClientCertUntrusted', 'Failed:ClientCertExpired']);
    assert.equal(second.events[0]!.origin.file, second.events[1]!.origin.file);
    await appending.close();
    await appending.close();
    await assert.rejects(appending.connection(connection()), /closed/);
    await assert.rejects(appending.metric('RequestCount', 'AWS/ApplicationELB', {}, at(0)), /closed/);
    await rm(appendDir, { recursive: true, force: true });
  });
});
