// The ALB logs searched where they live, end to end with the real AWS SDK v3 clients: Athena (StartQueryExecution,
// GetQueryExecution, GetQueryResults, StopQueryExecution) against the local wire-protocol server's Athena
// (test/support/fake-athena.ts: it runs the query's WHERE clause on registered rows, in the day partitions the query
// text names, with the values bound as ExecutionParameters); ALB logs delivered to CloudWatch Logs, found by Logs
// Insights; and the S3 path's limit on what it streams. Account 123456789012, region eu-west-1.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { AwsEvidenceSource, type AwsEvidenceSourceOptions } from '../../src/core/evidence/aws/aws-evidence-source';
import { albSerial, correlationKeysFor, describeEvidence, evidenceWindow, upgradeVerdict } from '../../src/core/evidence/correlate';
import { parseAlbAccessLogLine } from '../../src/core/evidence/logs/alb-access-log';
import { albConnectionLogColumns } from '../../src/core/evidence/logs/alb-connection-log';
import { splitLogFields } from '../../src/core/evidence/logs/log-fields';
import type { CorrelationKeys, TimeWindow } from '../../src/core/evidence/types';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import type { ProbeResult } from '../../src/core/probe/types';
import { accessLogLine, albLogIntervalEnd, albLogObjectKey, connectionLogLine, newConnTraceId } from '../support/alb-log-lines';
import { account, lbDimension, loadBalancerArn, region } from '../support/aws-test-names';
import { runBuiltCli } from '../support/built-cli';
import { fakeAthena, type FakeAthenaOptions, type FakeAthenaRow } from '../support/fake-athena';
import { coverageOf, states } from '../support/evidence-coverage';
import { fakeAwsAccess, startFakeAws, startFakeS3, type FakeAwsHandler } from '../support/fake-aws';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';

const athenaSettings = { database: 'alb_logs', connectionTable: 'alb_connection_logs', accessTable: 'alb_access_logs', outputLocation: 's3://athena-results/mtls-probe/' };
const hourLater = (): number => Date.now() + 3_600_000;

// ---- rows as the documented tables hold them ------------------------------------------------------------------

/** The day folder a record is filed under: the date its 5-minute object was delivered. */
function dayOf(time: string): string {
  return albLogIntervalEnd(time).toISOString().slice(0, 10).replace(/-/g, '/');
}

/** A connection-log line as the table's row (its 12 columns), in its day partition. */
function connectionRow(line: string, day?: string): FakeAthenaRow {
  const fields = splitLogFields(line)!;
  const row = Object.fromEntries(albConnectionLogColumns.slice(0, 12).map((column, i) => [column, fields[i] ?? null]));
  return { ...row, day: day ?? dayOf(String(row.time)) };
}

/** An access-log line as the table's row: client and target split, the request in three parts (AWS's DDL). */
function accessRow(line: string): FakeAthenaRow {
  const r = parseAlbAccessLogLine(line)!;
  const text = (v: string | number | null): string => (v === null ? '-' : String(v));
  return {
    day: dayOf(r.time), type: r.type, time: r.time, elb: r.elb, client_ip: r.client_ip, client_port: String(r.client_port), target_ip: text(r.target_ip), target_port: text(r.target_port),
    request_processing_time: text(r.request_processing_time), target_processing_time: text(r.target_processing_time), response_processing_time: text(r.response_processing_time),
    elb_status_code: text(r.elb_status_code), target_status_code: text(r.target_status_code), received_bytes: text(r.received_bytes), sent_bytes: text(r.sent_bytes),
    request_verb: text(r.request_verb), request_url: text(r.request_url), request_proto: text(r.request_proto), user_agent: text(r.user_agent), ssl_cipher: text(r.ssl_cipher),
    ssl_protocol: text(r.ssl_protocol), target_group_arn: text(r.target_group_arn), trace_id: text(r.trace_id), domain_name: text(r.domain_name), chosen_cert_arn: text(r.chosen_cert_arn),
    matched_rule_priority: text(r.matched_rule_priority), request_creation_time: text(r.request_creation_time), actions_executed: r.actions_executed.join(','), redirect_url: text(r.redirect_url),
    lambda_error_reason: text(r.error_reason), target_port_list: r.target_port_list.join(' ') || '-', target_status_code_list: r.target_status_code_list.join(' ') || '-',
    classification: text(r.classification), classification_reason: text(r.classification_reason), conn_trace_id: text(r.conn_trace_id),
  };
}

function otherConnections(time: string): string[] {
  return [
    connectionLogLine({ time, clientPort: 51234, tlsVerifyStatus: 'Success' }, { clientIp: '203.0.113.7', serial: '3A5F0C2B9E71D4', listenerPort: 443, loadBalancer: lbDimension }),
    connectionLogLine({ time, clientPort: 40022, tlsVerifyStatus: 'Failed:ClientCertExpired' }, { clientIp: '198.51.100.23', serial: '51C2AA0F', listenerPort: 443, loadBalancer: lbDimension }),
  ];
}

function otherRequest(time: string, connTraceId = newConnTraceId()): string {
  return accessLogLine({
    time, loadBalancer: lbDimension, clientIp: '203.0.113.7', clientPort: 51234, target: '10.0.1.15:8080', elbStatus: 200, targetStatus: 200, request: 'GET https://api.example.com:443/orders HTTP/1.1',
    traceId: 'Root=1-663214a0-0123456789abcdef01234567', domain: 'api.example.com', actionsExecuted: ['forward'], connTraceId, targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067',
  });
}

/** A probe with an untrusted certificate against the ALB-like demo target, and the connection-log line an ALB node would write for it. */
async function probeUntrusted(t: TestContext): Promise<{ result: ProbeResult; keys: CorrelationKeys; window: TimeWindow; ended: Date; line: string; connTraceId: string }> {
  const env: TestPkiFiles = await makePkiFiles();
  t.after(() => rm(env.files.dir, { recursive: true, force: true }));
  const target: AlbLikeTarget = await startAlbLikeTarget({ pki: env.pki });
  t.after(() => target.close());
  const files = env.files.client('untrusted');
  const untrusted: ClientIdentity = await loadPemIdentity({ certFile: files.cert, keyFile: files.key, label: 'untrusted' });
  const { result } = await probe({ url: target.url, ca: env.pki.rootCa.certPem, identity: untrusted, timeouts: { tls: 5000, http: 5000 } });
  const entry = target.connectionLog.find((e) => e.clientPort === result.client.port);
  assert.ok(entry, 'the target logged the probe\'s connection');
  const connTraceId = newConnTraceId();
  const line = connectionLogLine(entry, { serial: albSerial(result.identity!.serialNumber), listenerPort: 443, loadBalancer: lbDimension, connTraceId });
  return { result, keys: correlationKeysFor(result), window: evidenceWindow(result), ended: new Date(Date.parse(result.startedAt) + result.timings.total), line, connTraceId };
}


async function athenaFake(t: { after(fn: () => unknown): void }, options: FakeAthenaOptions, extra: Record<string, FakeAwsHandler> = {}) {
  const athena = fakeAthena(options);
  const fake = await startFakeAws(t, { ...athena.handlers, ...extra });
  return { fake, queries: athena.queries };
}

// ---- Athena ---------------------------------------------------------------------------------------------------

describe('ALB logs in Athena', () => {
  test('a verify-mode rejection found where the logs are: the probe\'s connection, the verdict confirmed, the bytes scanned and their cost beside it', async (t) => {
    const { result, keys, window, ended, line, connTraceId } = await probeUntrusted(t);
    const time = result.startedAt;
    const { fake, queries } = await athenaFake(t, {
      database: 'alb_logs',
      tables: { alb_connection_logs: [connectionRow(otherConnections(time)[0]!), connectionRow(line), connectionRow(otherConnections(time)[1]!)], alb_access_logs: [accessRow(otherRequest(time))] },
      bytesScanned: (table) => (table === 'alb_connection_logs' ? 1_200_000_000 : 800_000_000),
    });
    const source = new AwsEvidenceSource({ region, albLogsAthena: athenaSettings }, { access: fakeAwsAccess(fake.url), queryPollMs: 1 });
    const progress: string[] = [];
    const report = await source.collect(window, keys, { probeEndedAt: ended, onProgress: (m) => progress.push(m) });

    assert.deepEqual(report.problems, []);
    const [connection, ...others] = report.events;
    assert.deepEqual(others, []);
    assert.equal(connection?.kind, 'alb-connection-log');
    assert.equal(connection.record.tls_verify_status, 'Failed:ClientCertUntrusted');
    assert.equal(connection.record.conn_trace_id, connTraceId);
    assert.deepEqual(connection.matchedBy, [
      { key: 'clientIp', value: '127.0.0.1' },
      { key: 'clientPort', value: String(result.client.port) },
      { key: 'clientCertSerial', value: keys.clientCertSerial },
    ]);
    assert.equal(connection.origin.resource, `Athena alb_logs.alb_connection_logs (query ${queries[0]!.id})`);
    const verdict = upgradeVerdict(result, report.events);
    assert.equal(verdict.reason, 'alb_client_cert_untrusted');
    assert.equal(verdict.confidence, 'confirmed');

    assert.deepEqual(states(report), {
      'WAF records': 'not-configured',
      'CloudWatch metrics': 'not-configured',
      'ALB connection log (Athena)': 'found',
      'ALB access log (Athena)': 'missing',
    });
    const day = dayOf(time);
    const days = [...new Set([...queries[0]!.days, day])].sort().join(', ');
    assert.equal(
      coverageOf(report, 'ALB connection log (Athena)').detail,
      `the probe's connection (by address: tls_verify_status Failed:ClientCertUntrusted) in alb_logs.alb_connection_logs (day ${days}); Athena scanned 2 GB in 2 queries (≈ $0.01)`,
    );
    assert.equal(coverageOf(report, 'ALB access log (Athena)').detail, 'none, as expected: the connection failed the TLS handshake, so no request was ever logged');
    const lines = describeEvidence(report.events, report, { sourceLabel: 'AWS', used: verdict.evidence });
    assert.ok(lines.some((l) => /^ {2}found {13}ALB connection log \(Athena\): .*Athena scanned 2 GB in 2 queries \(≈ \$0\.01\)$/.test(l)), lines.join('\n'));
    assert.ok(lines.includes(`      matched by clientIp=127.0.0.1, clientPort=${result.client.port}, clientCertSerial=${keys.clientCertSerial} (Athena alb_logs.alb_connection_logs (query ${queries[0]!.id}))`), lines.join('\n'));

    // What was asked of Athena: the connection table, then the access table (joined by the probe's conn_trace_id).
    assert.deepEqual(fake.calls.map((c) => c.operation), ['StartQueryExecution', 'GetQueryExecution', 'GetQueryExecution', 'GetQueryResults', 'StartQueryExecution', 'GetQueryExecution', 'GetQueryExecution', 'GetQueryResults']);
    assert.ok(fake.calls.every((c) => c.service === 'athena' && c.region === region && c.accessKeyId === 'AKIDTEST'));
    const start = fake.callsTo('StartQueryExecution').map((c) => c.params);
    assert.deepEqual(start[0]!.QueryExecutionContext, { Database: 'alb_logs' });
    assert.equal(start[0]!.WorkGroup, 'primary');
    assert.deepEqual(start[0]!.ResultConfiguration, { OutputLocation: 's3://athena-results/mtls-probe/' });
    assert.deepEqual(start[0]!.ExecutionParameters, [`'${window.from.toISOString()}'`, `'${window.to.toISOString()}'`, "'127.0.0.1'", `'${result.client.port}'`, `'${keys.clientCertSerial!.replace(/^0+/, '')}'`]);
    assert.ok(queries[0]!.days.includes(day));
    assert.ok(!String(start[0]!.QueryString).includes('127.0.0.1'), 'values are never in the text');
    const root = result.correlationId.replace(/^Root=/, '');
    assert.deepEqual((start[1]!.ExecutionParameters as string[]).slice(2), [`'${root}'`, "'127.0.0.1'", `'${result.client.port}'`, `'${connTraceId}'`]);
    assert.ok(progress.includes('Looking for ALB logs in Athena') && progress.includes('Athena query of alb_logs.alb_connection_logs: QUEUED'), progress.join('\n'));
  });

  test('behind NAT: the connection found by its certificate, its request joined by conn_trace_id alone', async (t) => {
    const time = '2025-05-01T10:02:03.000Z';
    const connTraceId = newConnTraceId();
    const probeLine = connectionLogLine({ time, clientPort: 61000, tlsVerifyStatus: 'Success' }, { clientIp: '192.0.2.44', serial: 'AB12CD34', listenerPort: 443, loadBalancer: lbDimension, connTraceId });
    const request = accessLogLine({
      time: '2025-05-01T10:02:03.500Z', loadBalancer: lbDimension, clientIp: '192.0.2.44', clientPort: 61000, target: '10.0.1.15:8080', elbStatus: 200, targetStatus: 200,
      request: 'GET https://api.example.com:443/health HTTP/1.1', traceId: 'Root=1-68131f2b-aaaaaaaaaaaaaaaaaaaaaaaa', domain: 'api.example.com', actionsExecuted: ['forward'], connTraceId,
      targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067',
    });
    const { fake, queries } = await athenaFake(t, {
      tables: { alb_connection_logs: [connectionRow(probeLine), connectionRow(otherConnections(time)[0]!)], alb_access_logs: [accessRow(request), accessRow(otherRequest(time))] },
    });
    const keys: CorrelationKeys = { clientCertSerial: '00:ab:12:cd:34', probeTime: { from: '2025-05-01T10:02:02.900Z', to: '2025-05-01T10:02:03.800Z' } };
    const window = { from: new Date('2025-05-01T10:01:00Z'), to: new Date('2025-05-01T10:07:00Z') };
    const source = new AwsEvidenceSource({ region, albLogsAthena: { connectionTable: 'alb_connection_logs', accessTable: 'alb_access_logs', workgroup: 'mtls-probe' } }, { access: fakeAwsAccess(fake.url), queryPollMs: 1, now: hourLater });
    const report = await source.collect(window, keys, { probeEndedAt: new Date('2025-05-01T10:02:04Z') });

    assert.deepEqual(report.events.map((e) => [e.kind, e.matchedBy.map((m) => m.key).join(',')]), [
      ['alb-connection-log', 'clientCertSerial'],
      ['alb-access-log', 'connTraceId'],
    ]);
    assert.match(coverageOf(report, 'ALB access log (Athena)').detail, /^1 line of this probe in alb_access_logs \(day 2025\/05\/01, joined by conn_trace_id\); Athena scanned 4 KB in 2 queries \(≈ \$0\.0001\)$/);
    assert.equal(queries[1]!.workgroup, 'mtls-probe');
    assert.equal(queries[1]!.database, undefined);
    assert.deepEqual(queries[1]!.parameters.slice(2), [`'${connTraceId}'`]);
    assert.match(queries[1]!.queryString, /AND \(conn_trace_id IN \(\?\)\)/);
  });

  test('a window that ends near midnight reads the next day\'s folder, where its records were delivered', async (t) => {
    const line = connectionLogLine({ time: '2025-05-01T23:58:30.000Z', clientPort: 50001, tlsVerifyStatus: 'Failed:ClientCertExpired' }, { clientIp: '198.51.100.5', serial: 'C0FFEE', listenerPort: 443, loadBalancer: lbDimension });
    const { fake, queries } = await athenaFake(t, {
      // Filed under the delivery date (the 2nd); the same record under the day before is never read.
      tables: { alb_connection_logs: [connectionRow(line, '2025/05/02'), { ...connectionRow(line, '2025/04/30'), tls_verify_status: 'Success' }] },
    });
    const window = { from: new Date('2025-05-01T23:50:00Z'), to: new Date('2025-05-01T23:59:30Z') };
    const source = new AwsEvidenceSource({ region, albLogsAthena: { database: 'alb_logs', connectionTable: 'alb_connection_logs' } }, { access: fakeAwsAccess(fake.url), queryPollMs: 1, now: hourLater });
    const report = await source.collect(window, { clientIp: '198.51.100.5', clientPort: 50001, clientCertSerial: 'C0FFEE' }, { probeEndedAt: new Date('2025-05-01T23:58:31Z') });
    assert.deepEqual(queries.map((q) => q.days), [['2025/05/01', '2025/05/02']]);
    assert.deepEqual(report.events.map((e) => e.record.tls_verify_status), ['Failed:ClientCertExpired']);
    // No access table: one row, one query.
    assert.deepEqual(states(report), { 'WAF records': 'not-configured', 'CloudWatch metrics': 'not-configured', 'ALB connection log (Athena)': 'found' });
    assert.match(coverageOf(report, 'ALB connection log (Athena)').detail, /in alb_logs\.alb_connection_logs \(day 2025\/05\/01, 2025\/05\/02\); Athena scanned 1 KB \(≈ \$0\.00005\)$/);
  });

  test('not found: what was searched and what it cost, not yet available until the logs are due, then missing', async (t) => {
    const time = '2025-05-01T10:02:03.000Z';
    const { fake } = await athenaFake(t, { tables: { alb_connection_logs: otherConnections(time).map((l) => connectionRow(l)) }, bytesScanned: () => 52_000_000 });
    const window = { from: new Date('2025-05-01T10:01:00Z'), to: new Date('2025-05-01T10:07:00Z') };
    const keys = { clientIp: '192.0.2.1', clientPort: 40000 };
    const settings = { region, albLogsAthena: { database: 'alb_logs', connectionTable: 'alb_connection_logs' } };
    const ended = new Date('2025-05-01T10:02:04Z');
    const early = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url), queryPollMs: 1, now: () => ended.getTime() + 60_000 }).collect(window, keys, { probeEndedAt: ended });
    assert.equal(coverageOf(early, 'ALB connection log (Athena)').state, 'not-yet-available');
    assert.equal(coverageOf(early, 'ALB connection log (Athena)').expectedBy, '2025-05-01T10:11:00.000Z');
    const late = await new AwsEvidenceSource(settings, { access: fakeAwsAccess(fake.url), queryPollMs: 1, now: hourLater }).collect(window, keys, { probeEndedAt: ended });
    assert.deepEqual(late.events, []);
    assert.deepEqual(coverageOf(late, 'ALB connection log (Athena)'), {
      evidence: 'ALB connection log (Athena)',
      state: 'missing',
      detail: 'no record of this probe in alb_logs.alb_connection_logs (day 2025/05/01); Athena scanned 52 MB (≈ $0.0003)',
    });
  });

  test('a failed query is a failed lookup, with Athena\'s reason and what to check; a missing table too', async (t) => {
    const { fake } = await athenaFake(t, { tables: { alb_connection_logs: [] }, fail: { alb_connection_logs: 'HIVE_BAD_DATA: Error parsing field value' } });
    const window = { from: new Date('2025-05-01T10:01:00Z'), to: new Date('2025-05-01T10:07:00Z') };
    const failed = await new AwsEvidenceSource({ region, albLogsAthena: { connectionTable: 'alb_connection_logs' } }, { access: fakeAwsAccess(fake.url), queryPollMs: 1 }).collect(window, { clientIp: '192.0.2.1' });
    const row = coverageOf(failed, 'ALB connection log (Athena)');
    assert.equal(row.state, 'failed');
    assert.match(row.detail, /^The Athena query of alb_connection_logs ended FAILED: HIVE_BAD_DATA: Error parsing field value \(query id [0-9a-f-]{36}\)\.$/);

    const missing = await new AwsEvidenceSource({ region, albLogsAthena: { database: 'alb_logs', connectionTable: 'conn_logs' } }, { access: fakeAwsAccess(fake.url), queryPollMs: 1 }).collect(window, { clientIp: '192.0.2.1' });
    assert.match(coverageOf(missing, 'ALB connection log (Athena)').detail, /ended FAILED: TABLE_NOT_FOUND: .*Table 'awsdatacatalog\.alb_logs\.conn_logs' does not exist .* Check "albLogsAthena": the database and table names/);
  });

  test('a cancel stops the query in AWS (StopQueryExecution) before the collection ends', async (t) => {
    const { fake, queries } = await athenaFake(t, { tables: { alb_connection_logs: [] }, hang: true });
    const controller = new AbortController();
    const window = { from: new Date('2025-05-01T10:01:00Z'), to: new Date('2025-05-01T10:07:00Z') };
    const source = new AwsEvidenceSource({ region, albLogsAthena: { connectionTable: 'alb_connection_logs' } }, { access: fakeAwsAccess(fake.url), queryPollMs: 5 });
    const collecting = source.collect(window, { clientIp: '192.0.2.1' }, { signal: controller.signal, onProgress: (m) => m.includes('RUNNING') && controller.abort() });
    await assert.rejects(collecting, { name: 'AbortError' });
    assert.equal(fake.callsTo('StopQueryExecution').length, 1);
    assert.deepEqual(fake.callsTo('StopQueryExecution')[0]!.params, { QueryExecutionId: queries[0]!.id });
    assert.equal(queries[0]!.state, 'CANCELLED');
  });

  test('results come in pages (NextToken), the header row only on the first', async (t) => {
    const time = '2025-05-01T10:02:03.000Z';
    const crowd = [61001, 61002, 61003, 61004, 61005].map((port) =>
      connectionRow(connectionLogLine({ time, clientPort: port, tlsVerifyStatus: 'Success' }, { clientIp: '192.0.2.80', serial: null, listenerPort: 443, loadBalancer: lbDimension })),
    );
    const { fake } = await athenaFake(t, { tables: { alb_connection_logs: crowd }, maxPageRows: 2 });
    const window = { from: new Date('2025-05-01T10:01:00Z'), to: new Date('2025-05-01T10:07:00Z') };
    const report = await new AwsEvidenceSource({ region, albLogsAthena: { connectionTable: 'alb_connection_logs' } }, { access: fakeAwsAccess(fake.url), queryPollMs: 1 }).collect(window, { clientIp: '192.0.2.80' });
    assert.deepEqual(fake.callsTo('GetQueryResults').map((c) => c.params.NextToken), [undefined, '2', '4']);
    assert.deepEqual(report.events.map((e) => e.record.client_port), [61001, 61002, 61003, 61004, 61005]);
    assert.deepEqual(report.stats, { files: 0, lines: 5, skippedLines: 0 });
  });

  test('while waiting for the logs, Athena is queried once they are due, not at every look', async (t) => {
    const time = '2025-05-01T10:02:03.000Z';
    const line = connectionLogLine({ time, clientPort: 50002, tlsVerifyStatus: 'Failed:ClientCertRevoked' }, { clientIp: '198.51.100.6', serial: 'ABCD', listenerPort: 443, loadBalancer: lbDimension });
    const { fake } = await athenaFake(t, { tables: { alb_connection_logs: [connectionRow(line)] } });
    const ended = new Date('2025-05-01T10:02:04Z');
    let clock = ended.getTime();
    const source = new AwsEvidenceSource({ region, albLogsAthena: { connectionTable: 'alb_connection_logs' } }, { access: fakeAwsAccess(fake.url), queryPollMs: 1, pollIntervalMs: 5, now: () => clock });
    const waiting: string[] = [];
    const report = await source.collect({ from: new Date('2025-05-01T10:01:00Z'), to: new Date('2025-05-01T10:07:00Z') }, { clientIp: '198.51.100.6', clientPort: 50002, clientCertSerial: 'ABCD' }, {
      probeEndedAt: ended,
      waitUntil: new Date(ended.getTime() + 30 * 60_000),
      onWaiting: (m) => {
        waiting.push(m);
        clock += 4 * 60_000;
      },
    });
    // Due at 10:11: looks at 10:02, 10:06 and 10:10 wait; the look at 10:14 queries and finds it.
    assert.equal(waiting.length, 3);
    assert.equal(fake.callsTo('StartQueryExecution').length, 1);
    assert.equal(coverageOf(report, 'ALB connection log (Athena)').state, 'found');
  });
});

// ---- CloudWatch Logs ------------------------------------------------------------------------------------------

describe('ALB logs in CloudWatch Logs', () => {
  test('Logs Insights finds the connection record (JSON) by address and port, then its request (a plain line) by conn_trace_id', async (t) => {
    const logGroup = '/aws/vendedlogs/alb/edge';
    const connTraceId = newConnTraceId();
    const connection = {
      time: '2025-05-01T10:02:03.123456Z', client_ip: '192.0.2.44', client_port: 61000, listener_port: 443, tls_protocol: 'TLSv1.3', tls_cipher: 'TLS_AES_128_GCM_SHA256', tls_handshake_latency: 0.004,
      leaf_client_cert_subject: 'CN=partner', leaf_client_cert_validity: 'NotBefore=2024-01-01T00:00:00Z;NotAfter=2030-01-01T00:00:00Z', leaf_client_cert_serial_number: 'AB12CD34',
      tls_verify_status: 'Success', conn_trace_id: connTraceId, tls_keyexchange: 'x25519', elb: lbDimension, ip_address: '10.0.0.1',
    };
    const request = accessLogLine({
      time: '2025-05-01T10:02:03.500Z', loadBalancer: lbDimension, clientIp: '10.9.9.9', clientPort: 1234, target: '10.0.1.15:8080', elbStatus: 200, targetStatus: 200,
      request: 'GET https://api.example.com:443/health HTTP/1.1', traceId: 'Root=1-68131f2b-bbbbbbbbbbbbbbbbbbbbbbbb', domain: 'api.example.com', actionsExecuted: ['forward'], connTraceId,
      targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067',
    });
    const queryStrings: string[] = [];
    const results = new Map<string, string[]>();
    const fake = await startFakeAws(t, {
      'logs:StartQuery': (params) => {
        const queryString = String(params.queryString);
        queryStrings.push(queryString);
        const id = `q-${queryStrings.length}`;
        results.set(id, queryString.includes(connTraceId) ? [request] : [JSON.stringify(connection)]);
        return { output: { queryId: id } };
      },
      'logs:GetQueryResults': (params) => {
        const rows = results.get(String(params.queryId)) ?? [];
        return { output: { status: 'Complete', results: rows.map((message, i) => [{ field: '@message', value: message }, { field: '@ptr', value: `${String(params.queryId)}-${i}` }]), statistics: { recordsScanned: 9000 } } };
      },
    });
    const window = { from: new Date('2025-05-01T10:01:00Z'), to: new Date('2025-05-01T10:07:00Z') };
    const report = await new AwsEvidenceSource({ region, albLogGroup: logGroup }, { access: fakeAwsAccess(fake.url), queryPollMs: 1 }).collect(window, { clientIp: '192.0.2.44', clientPort: 61000, clientCertSerial: 'ab:12:cd:34' });

    assert.deepEqual(queryStrings, [
      'fields @timestamp, @message, @ptr | filter @message like /192\\.0\\.2\\.44\\D{1,24}61000\\D/ or @message like /(?i)AB12CD34/ | sort @timestamp asc | limit 200',
      `fields @timestamp, @message, @ptr | filter @message like "${connTraceId}" | sort @timestamp asc | limit 200`,
    ]);
    assert.deepEqual(fake.callsTo('StartQuery').map((c) => c.params.logGroupName), [logGroup, logGroup]);
    assert.deepEqual(report.events.map((e) => [e.kind, e.matchedBy.map((m) => m.key).join(',')]), [
      ['alb-connection-log', 'clientIp,clientPort,clientCertSerial'],
      ['alb-access-log', 'connTraceId'],
    ]);
    assert.deepEqual(states(report), { 'WAF records': 'not-configured', 'CloudWatch metrics': 'not-configured', 'ALB connection log (CloudWatch Logs)': 'found', 'ALB access log (CloudWatch Logs)': 'found' });
    assert.equal(coverageOf(report, 'ALB access log (CloudWatch Logs)').detail, `1 line of this probe in ${logGroup} (Logs Insights, 2 queries, 18,000 records scanned)`);
  });
});

// ---- S3: what is too much to stream ---------------------------------------------------------------------------

describe('ALB logs in S3 beyond what is streamed', () => {
  const bucket = 'edge-alb-logs';

  test('more objects than the limit: the nearest the probe are read, the rest named, Athena suggested', async (t) => {
    const s3 = await startFakeS3(t, bucket);
    // The load balancer names the account folder (s3rver lists no common prefixes to find it by).
    const fake = await startFakeAws(t, { 'cloudwatch:GetMetricData': () => ({ output: { MetricDataResults: [], Messages: [] } }) });
    const time = '2025-05-01T10:02:03.000Z';
    const probeLine = connectionLogLine({ time, clientPort: 50003, tlsVerifyStatus: 'Failed:ClientCertUntrusted' }, { clientIp: '198.51.100.7', serial: 'ABCD', listenerPort: 443, loadBalancer: lbDimension });
    const put = async (minutes: number, lines: string[], node: string): Promise<void> => {
      const intervalEnd = new Date(albLogIntervalEnd(time).getTime() + minutes * 60_000);
      await s3.put(albLogObjectKey({ prefix: 'edge', account, region, loadBalancer: lbDimension, intervalEnd, kind: 'connection', nodeIp: node }), gzipSync(`${lines.join('\n')}\n`));
    };
    await put(0, [probeLine], '10.0.0.1');
    await put(0, otherConnections(time), '10.0.0.2');
    await put(5, otherConnections('2025-05-01T10:06:00.000Z'), '10.0.0.1');
    const window = { from: new Date('2025-05-01T10:01:00Z'), to: new Date('2025-05-01T10:09:00Z') };
    const options = (limit: number): AwsEvidenceSourceOptions => ({
      access: fakeAwsAccess(fake.url, s3.url),
      albLogStreamLimits: { objects: limit, bytes: 200_000_000 },
      now: hourLater,
    });
    const settings = { region, loadBalancerArn, albLogs: `s3://${bucket}/edge` };
    const keys = { clientIp: '198.51.100.7', clientPort: 50003, clientCertSerial: 'ABCD' };
    const found = await new AwsEvidenceSource(settings, options(2)).collect(window, keys, { probeEndedAt: new Date('2025-05-01T10:02:04Z') });
    const row = coverageOf(found, 'ALB connection log');
    assert.equal(row.state, 'found');
    assert.match(row.detail, /in 2 objects under s3:\/\/edge-alb-logs\/edge\/AWSLogs\/.*; the window holds 3 objects \(\d+ bytes\), more than is streamed to this machine \(2 objects or 200 MB\): read the 2 nearest the probe \(\d+ bytes\), 1 left unread — search them where they are with Athena \("albLogsAthena", --athena-connection-table\)/);

    // The probe at 10:07 this time: the nearest object is the later one; its own is left unread, so the look cannot say.
    const missed = await new AwsEvidenceSource(settings, options(1)).collect(window, keys, { probeEndedAt: new Date('2025-05-01T10:07:30Z') });
    assert.equal(coverageOf(missed, 'ALB connection log').state, 'failed');
    assert.match(coverageOf(missed, 'ALB connection log').detail, /^1 object under .*, no record of this probe; the window holds 3 objects/);
  });
});

// ---- the CLI ---------------------------------------------------------------------------------------------------

describe('the CLI', () => {
  test('evidence … aws --athena-…: the search, the record and the cost, as users see them', async (t) => {
    const home = await mkdtemp(join(tmpdir(), 'mtls-probe-athena-home-'));
    t.after(() => rm(home, { recursive: true, force: true }));
    const time = '2025-05-01T10:02:03.000Z';
    const line = connectionLogLine({ time, clientPort: 50004, tlsVerifyStatus: 'Failed:ClientCertExpired' }, { clientIp: '198.51.100.8', serial: '0A1B2C', listenerPort: 443, loadBalancer: lbDimension });
    const { fake, queries } = await athenaFake(t, { database: 'alb_logs', tables: { alb_connection_logs: [connectionRow(line)] }, bytesScanned: () => 1_234_000_000 });
    const inherited = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('AWS_')).map((k) => [k, undefined]));
    const r = await runBuiltCli(
      ['evidence', '--since', '2025-05-01T10:01:00Z', '--until', '2025-05-01T10:07:00Z', '--client-ip', '198.51.100.8', '--client-port', '50004', '--serial', '0a:1b:2c', 'aws', '--aws-region', region, '--athena-database', 'alb_logs', '--athena-connection-table', 'alb_connection_logs', '--athena-output', 's3://athena-results/probe/'],
      { ...inherited, HOME: home, AWS_ENDPOINT_URL: fake.url, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_EC2_METADATA_DISABLED: 'true' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\n {2}2025-05-01T10:02:03\.000Z {2}alb-connection-log {2}ALB connection log: tls_verify_status Failed:ClientCertExpired \(serial 0A1B2C\) from 198\.51\.100\.8:50004, handshake not completed\n/);
    assert.match(r.stdout, /\n {2}found {13}ALB connection log \(Athena\): the probe's connection \(by address: tls_verify_status Failed:ClientCertExpired\) in alb_logs\.alb_connection_logs \(day 2025\/05\/01\); Athena scanned 1\.2 GB \(≈ \$0\.006\)\n/);
    assert.equal(queries[0]!.outputLocation, 's3://athena-results/probe/');

    const bad = await runBuiltCli(['evidence', '--since', '2025-05-01T10:01:00Z', '--until', '2025-05-01T10:07:00Z', '--client-ip', '198.51.100.8', 'aws', '--athena-workgroup', 'wg'], { ...inherited, HOME: home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^mtls-probe: --athena-workgroup needs --athena-connection-table: The table over the ALB connection logs/);
  });
});
