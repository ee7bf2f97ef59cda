import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { albAccessLogQuery, albConnectionLogQuery, athenaCostWords, athenaDayPartitions, byteWords } from '../../src/core/evidence/aws/athena-alb-logs';
import { sqlLiteral, sqlName } from '../../src/core/evidence/aws/athena-query';
import { addAlbLogMessage, albLogGroupFilter } from '../../src/core/evidence/aws/cloudwatch-alb-logs';
import { parseAlbLogKey, planStreaming } from '../../src/core/evidence/aws/s3-alb-logs';
import { albAccessLogRecordByName, parseAlbAccessLogLine } from '../../src/core/evidence/logs/alb-access-log';
import { albConnectionLogRecordByName, parseAlbConnectionLogLine } from '../../src/core/evidence/logs/alb-connection-log';
import { LogRecordCollector } from '../../src/core/evidence/logs/log-record-collector';

// The Athena query of the ALB logs (day partitions, parameters, serials), the Logs Insights filter of ALB logs in
// CloudWatch Logs, rows and JSON records read by the log formats' own readers, and the S3 path's streaming limit.

const settings = { database: 'alb_logs', connectionTable: 'alb_connection_logs', accessTable: 'alb_access_logs' };

function at(iso: string): Date {
  return new Date(iso);
}

describe('Athena: the day partitions a window reads', () => {
  const cases: Array<[from: string, to: string, days: string[]]> = [
    ['2025-05-01T10:00:00Z', '2025-05-01T10:10:00Z', ['2025/05/01']],
    // The folder is the delivery date: a window that ends near midnight reads the next day too.
    ['2025-05-01T23:40:00Z', '2025-05-01T23:50:00Z', ['2025/05/01', '2025/05/02']],
    ['2025-05-01T23:30:00Z', '2025-05-01T23:44:59Z', ['2025/05/01']],
    ['2025-05-01T23:55:00Z', '2025-05-02T00:05:00Z', ['2025/05/01', '2025/05/02']],
    // Across a month and a year.
    ['2025-12-31T23:58:00Z', '2026-01-01T00:02:00Z', ['2025/12/31', '2026/01/01']],
    ['2024-02-28T23:50:00Z', '2024-02-28T23:59:00Z', ['2024/02/28', '2024/02/29']],
  ];
  for (const [from, to, days] of cases) {
    test(`${from} – ${to}: ${days.join(', ')}`, () => {
      assert.deepEqual(athenaDayPartitions({ from: at(from), to: at(to) }), days);
    });
  }

  test('the query text names exactly those days, as literals', () => {
    const query = albConnectionLogQuery(settings, { from: at('2025-05-01T23:55:00Z'), to: at('2025-05-02T00:05:00Z') }, { clientIp: '203.0.113.5', clientPort: 54321 })!;
    assert.match(query.queryString, /\nWHERE day IN \('2025\/05\/01', '2025\/05\/02'\)\n/);
  });
});

describe('Athena: the connection-log query', () => {
  const window = { from: at('2025-05-01T10:00:00Z'), to: at('2025-05-01T10:10:00Z') };

  test('address and port, serial, conn_trace_id: each a placeholder, the values bound in order as literals', () => {
    const query = albConnectionLogQuery(settings, window, { clientIp: '203.0.113.5', clientPort: 54321, clientCertSerial: '00:b1:43:ed:93:d2:d8:f3:9d', connTraceId: 'TID_0a1b' })!;
    assert.equal(
      query.queryString,
      [
        'SELECT time, client_ip, client_port, listener_port, tls_protocol, tls_cipher, tls_handshake_latency, leaf_client_cert_subject, leaf_client_cert_validity, leaf_client_cert_serial_number, tls_verify_status, conn_trace_id',
        'FROM "alb_logs"."alb_connection_logs"',
        "WHERE day IN ('2025/05/01')",
        '  AND from_iso8601_timestamp(time) BETWEEN from_iso8601_timestamp(?) AND from_iso8601_timestamp(?)',
        "  AND ((client_ip = ? AND CAST(client_port AS varchar) = ?) OR regexp_replace(upper(regexp_replace(leaf_client_cert_serial_number, '[^0-9A-Fa-f]', '')), '^0+', '') = ? OR conn_trace_id IN (?))",
        'ORDER BY time',
        'LIMIT 1000',
      ].join('\n'),
    );
    // CloudFront's colon form and ALB's hex form are one serial: hex without colons, upper case, no leading zeros.
    assert.deepEqual(query.parameters, ["'2025-05-01T10:00:00.000Z'", "'2025-05-01T10:10:00.000Z'", "'203.0.113.5'", "'54321'", "'B143ED93D2D8F39D'", "'TID_0a1b'"]);
    assert.equal(query.what, 'alb_logs.alb_connection_logs');
    assert.ok(!query.queryString.includes('203.0.113.5') && !query.queryString.includes('B143ED93'), 'no value in the text');
  });

  test('serials in any writer\'s form bind the same value', () => {
    for (const serial of ['B143ED93D2D8F39D', '00B143ED93D2D8F39D', 'b1:43:ed:93:d2:d8:f3:9d', '0b143ed93d2d8f39d']) {
      assert.equal(albConnectionLogQuery(settings, window, { clientCertSerial: serial })!.parameters.at(-1), "'B143ED93D2D8F39D'", serial);
    }
  });

  test('behind NAT without a certificate: the probe\'s moment, widened by the clock skew, and connections without a certificate', () => {
    const query = albConnectionLogQuery(settings, window, { probeTime: { from: '2025-05-01T10:02:00.000Z', to: '2025-05-01T10:02:01.000Z' } })!;
    assert.match(query.queryString, /AND \(\(from_iso8601_timestamp\(time\) BETWEEN from_iso8601_timestamp\(\?\) AND from_iso8601_timestamp\(\?\) AND \(leaf_client_cert_serial_number IS NULL OR leaf_client_cert_serial_number = '-'\)\)\)/);
    assert.deepEqual(query.parameters.slice(2), ["'2025-05-01T10:01:55.000Z'", "'2025-05-01T10:02:06.000Z'"]);
  });

  test('values that are not what they claim are never bound; no key, no query', () => {
    const hostile = { clientIp: "1.2.3.4' OR 1=1 --", clientCertSerial: "ab' OR 'x'='x", traceId: "Root=1-x'; DROP TABLE t; --", connTraceId: "TID_1' OR '1'='1" };
    assert.equal(albConnectionLogQuery(settings, window, hostile), null);
    assert.equal(albAccessLogQuery(settings, window, hostile), null);
    assert.equal(albConnectionLogQuery(settings, window, {}), null);
    // A port without an address is no key of its own.
    assert.equal(albConnectionLogQuery(settings, window, { clientPort: 443 }), null);
    // IPv6 addresses are bound as they are.
    assert.deepEqual(albConnectionLogQuery(settings, window, { clientIp: '2001:db8::7' })!.parameters.slice(2), ["'2001:db8::7'"]);
  });

  test('the names in the text are checked; without a database, the workgroup\'s default', () => {
    assert.throws(() => albConnectionLogQuery({ connectionTable: 'x"; DROP TABLE y; --' }, window, { clientIp: '203.0.113.5' }), /not an Athena name/);
    assert.match(albConnectionLogQuery({ connectionTable: 'conn' }, window, { clientIp: '203.0.113.5' })!.queryString, /\nFROM "conn"\n/);
  });
});

describe('Athena: the access-log query', () => {
  const window = { from: at('2025-05-01T10:00:00Z'), to: at('2025-05-01T10:10:00Z') };

  test('by the trace id\'s root, the address and port, and the conn_trace_ids of the probe\'s connections (the join)', () => {
    const query = albAccessLogQuery(settings, window, { traceId: 'Root=1-663214a0-0123456789abcdef01234567', clientIp: '203.0.113.5', clientPort: 54321 }, ['TID_aa', 'TID_bb'])!;
    assert.match(query.queryString, /^SELECT type, time, elb, client_ip, client_port, target_ip, target_port, .*, classification_reason, conn_trace_id\nFROM "alb_logs"\."alb_access_logs"\n/);
    assert.match(query.queryString, /\n {2}AND \(strpos\(trace_id, \?\) > 0 OR \(client_ip = \? AND CAST\(client_port AS varchar\) = \?\) OR conn_trace_id IN \(\?, \?\)\)\n/);
    assert.deepEqual(query.parameters.slice(2), ["'1-663214a0-0123456789abcdef01234567'", "'203.0.113.5'", "'54321'", "'TID_aa'", "'TID_bb'"]);
  });

  test('no access table, no access query', () => {
    assert.equal(albAccessLogQuery({ connectionTable: 'c' }, window, { traceId: 'Root=1-663214a0-0123456789abcdef01234567' }), null);
  });
});

describe('Athena: literals, names and the cost', () => {
  test('ExecutionParameters literals: strings quoted (quotes doubled), numbers bare', () => {
    assert.equal(sqlLiteral("O'Brien"), "'O''Brien'");
    assert.equal(sqlLiteral(443), '443');
    assert.throws(() => sqlLiteral(Number.NaN), RangeError);
    assert.equal(sqlName('alb_logs'), '"alb_logs"');
    assert.throws(() => sqlName('ALB'), /not an Athena name/);
  });

  test('bytes scanned in words, with what Athena bills ($5 per TB, 10 MB at least per query)', () => {
    assert.equal(byteWords(1_234_567_890), '1.2 GB');
    assert.equal(byteWords(512), '512 bytes');
    assert.equal(byteWords(150_000_000), '150 MB');
    assert.equal(athenaCostWords([{ table: 'connection', queryExecutionId: 'a', rows: 1, dataScannedInBytes: 1_200_000_000 }]), 'Athena scanned 1.2 GB (≈ $0.006)');
    assert.equal(
      athenaCostWords([
        { table: 'connection', queryExecutionId: 'a', rows: 1, dataScannedInBytes: 2_000_000 },
        { table: 'access', queryExecutionId: 'b', rows: 0, dataScannedInBytes: 3_000_000 },
      ]),
      'Athena scanned 5 MB in 2 queries (≈ $0.0001)',
    );
    assert.equal(athenaCostWords([{ table: 'connection', queryExecutionId: 'a', rows: 0, dataScannedInBytes: 40_000_000_000_000 }]), 'Athena scanned 40 TB (≈ $200.00)');
  });
});

describe('ALB log records read by name (Athena rows, JSON records) are the records their lines make', () => {
  const connectionLine =
    '2025-05-01T10:02:03.123456Z 203.0.113.5 54321 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - "CN=client one,O=Example" NotBefore=2024-01-01T00:00:00Z;NotAfter=2030-01-01T00:00:00Z B143ED93D2D8F39D Failed:ClientCertUntrusted TID_0a1b2c';
  const accessLine =
    'h2 2025-05-01T10:02:04.000000Z app/edge/50dc6c495c0c9188 203.0.113.5:54321 10.0.1.15:8080 0.001 0.012 0.000 200 200 120 640 "GET https://api.example.com:443/health HTTP/2.0" "curl/8.5.0" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067 "Root=1-663214a0-0123456789abcdef01234567" "api.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/x" 1 2025-05-01T10:02:03.990000Z "waf,forward" "-" "-" "10.0.1.15:8080" "200" "-" "-" TID_0a1b2c';

  test('a connection-log row', () => {
    const row: Record<string, string | null> = {
      time: '2025-05-01T10:02:03.123456Z', client_ip: '203.0.113.5', client_port: '54321', listener_port: '443', tls_protocol: 'TLSv1.3', tls_cipher: 'TLS_AES_128_GCM_SHA256',
      tls_handshake_latency: '-', leaf_client_cert_subject: 'CN=client one,O=Example', leaf_client_cert_validity: 'NotBefore=2024-01-01T00:00:00Z;NotAfter=2030-01-01T00:00:00Z',
      leaf_client_cert_serial_number: 'B143ED93D2D8F39D', tls_verify_status: 'Failed:ClientCertUntrusted', conn_trace_id: 'TID_0a1b2c',
    };
    assert.deepEqual(albConnectionLogRecordByName((c) => row[c]), parseAlbConnectionLogLine(connectionLine));
  });

  test('an access-log row (Athena\'s split columns) and a JSON record (the log\'s own names)', () => {
    const expected = parseAlbAccessLogLine(accessLine);
    assert.ok(expected !== null);
    const row: Record<string, string | null> = {
      type: 'h2', time: '2025-05-01T10:02:04.000000Z', elb: 'app/edge/50dc6c495c0c9188', client_ip: '203.0.113.5', client_port: '54321', target_ip: '10.0.1.15', target_port: '8080',
      request_processing_time: '0.001', target_processing_time: '0.012', response_processing_time: '0.000', elb_status_code: '200', target_status_code: '200', received_bytes: '120', sent_bytes: '640',
      request_verb: 'GET', request_url: 'https://api.example.com:443/health', request_proto: 'HTTP/2.0', user_agent: 'curl/8.5.0', ssl_cipher: 'TLS_AES_128_GCM_SHA256', ssl_protocol: 'TLSv1.3',
      target_group_arn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067', trace_id: 'Root=1-663214a0-0123456789abcdef01234567', domain_name: 'api.example.com',
      chosen_cert_arn: 'arn:aws:acm:eu-west-1:123456789012:certificate/x', matched_rule_priority: '1', request_creation_time: '2025-05-01T10:02:03.990000Z', actions_executed: 'waf,forward',
      redirect_url: '-', lambda_error_reason: '-', target_port_list: '10.0.1.15:8080', target_status_code_list: '200', classification: '-', classification_reason: '-', conn_trace_id: 'TID_0a1b2c',
    };
    assert.deepEqual(albAccessLogRecordByName((c) => row[c]), expected);
    const json = { ...row, 'client:port': '203.0.113.5:54321', client_ip: undefined, client_port: undefined, request: 'GET https://api.example.com:443/health HTTP/2.0', request_verb: undefined, error_reason: null };
    assert.deepEqual(albAccessLogRecordByName((c) => (json as Record<string, string | null | undefined>)[c]), expected);
  });
});

describe('ALB logs in CloudWatch Logs: the Logs Insights filter and the messages', () => {
  test('the filter matches the raw message: address then port, serial (any case), trace root, conn_trace_ids', () => {
    assert.equal(
      albLogGroupFilter({ clientIp: '203.0.113.5', clientPort: 54321, clientCertSerial: '00:b1:43:ed', traceId: 'Root=1-663214a0-0123456789abcdef01234567' }),
      '@message like /203\\.0\\.113\\.5\\D{1,24}54321\\D/ or @message like /(?i)B143ED/ or @message like "1-663214a0-0123456789abcdef01234567"',
    );
    assert.equal(albLogGroupFilter({}, ['TID_0a1b', "TID_x' or 1"]), '@message like "TID_0a1b"');
    assert.equal(albLogGroupFilter({ clientIp: 'not an address' }), null);
  });

  test('plain lines and JSON records are read by the formats\' own readers', () => {
    const collector = new LogRecordCollector({ clientIp: '203.0.113.5', clientPort: 54321 }, { from: at('2025-05-01T10:00:00Z'), to: at('2025-05-01T10:10:00Z') });
    const origin = { resource: 'CloudWatch Logs /aws/vendedlogs/alb' };
    const json = JSON.stringify({
      time: '2025-05-01T10:02:03.123456Z', client_ip: '203.0.113.5', client_port: 54321, listener_port: 443, tls_protocol: 'TLSv1.3', tls_cipher: 'TLS_AES_128_GCM_SHA256', tls_handshake_latency: null,
      leaf_client_cert_subject: null, leaf_client_cert_validity: null, leaf_client_cert_serial_number: null, tls_verify_status: 'Failed:ClientCertMissing', conn_trace_id: 'TID_0a1b2c',
    });
    assert.equal(addAlbLogMessage(collector, json, origin), true);
    assert.equal(addAlbLogMessage(collector, '{ not json', origin), false);
    assert.equal(addAlbLogMessage(collector, 'a plain line of nothing', origin), false);
    const [event] = collector.events();
    assert.equal(event?.kind, 'alb-connection-log');
    assert.equal(event?.record.tls_verify_status, 'Failed:ClientCertMissing');
    assert.deepEqual(collector.connTraceIds(), ['TID_0a1b2c']);
    assert.deepEqual(collector.stats, { files: 0, lines: 3, skippedLines: 2 });
  });
});

describe('S3: what a look streams', () => {
  const key = (kind: 'conn_log_' | '', minute: string, node: string): string =>
    `edge/AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2025/05/01/${kind}123456789012_elasticloadbalancing_eu-west-1_app.edge.50dc6c495c0c9188_20250501T10${minute}Z_${node}_abc.log.gz`;

  test('within the limits: everything, in the listing\'s order', () => {
    const objects = [parseAlbLogKey(key('conn_log_', '05', '10.0.0.1'), 1000)!, parseAlbLogKey(key('', '05', '10.0.0.1'), 1000)!];
    const plan = planStreaming(objects, at('2025-05-01T10:02:00Z'), { objects: 2, bytes: 2000 });
    assert.deepEqual(plan, { stream: objects, skipped: [], totalBytes: 2000, streamBytes: 2000 });
  });

  test('beyond them: the objects nearest the probe, connection logs first, until a limit', () => {
    const objects = ['00', '05', '10', '15'].flatMap((m) => [parseAlbLogKey(key('conn_log_', m, '10.0.0.1'), 100_000_000)!, parseAlbLogKey(key('', m, '10.0.0.1'), 100_000_000)!]);
    const plan = planStreaming(objects, at('2025-05-01T10:07:00Z'), { objects: 200, bytes: 250_000_000 });
    // The interval ending 10:10 holds the probe: its connection and access logs fill the 250 MB.
    assert.deepEqual(plan.stream.map((o) => `${o.format} ${o.intervalEnd.toISOString().slice(11, 16)}`), ['alb-connection-log 10:10', 'alb-access-log 10:10']);
    assert.equal(plan.skipped.length, 6);
    assert.equal(plan.totalBytes, 800_000_000);
    assert.equal(plan.streamBytes, 200_000_000);
    // A count limit: the nearest first, connection logs before access logs at the same distance.
    const byCount = planStreaming(objects, at('2025-05-01T10:07:00Z'), { objects: 3, bytes: 10_000_000_000 });
    assert.deepEqual(byCount.stream.map((o) => `${o.format} ${o.intervalEnd.toISOString().slice(11, 16)}`), ['alb-connection-log 10:05', 'alb-connection-log 10:10', 'alb-access-log 10:10']);
  });
});
