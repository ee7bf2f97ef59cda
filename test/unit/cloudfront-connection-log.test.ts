// CloudFront connection logs read in each output format (JSON, plain, w3c), their timestamps (ISO 8601 as the
// guide's text says, epoch milliseconds as its example shows), serials in every writer's form, and the records
// found among files by the same collector and sniffing as the ALB logs.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { albSerialForm, colonSerialForm, sameSerial, serialMatchKey } from '../../src/core/certs/serial-number';
import { connectionLogQueryString, connectionLogsLocation } from '../../src/core/evidence/aws/cloudfront-connection-logs';
import { LocalLogSource, sniffLogFormat } from '../../src/core/evidence/local/local-logs';
import {
  cloudFrontConnectionLogFields,
  cloudFrontConnectionLogReader,
  cloudFrontEventTime,
  cloudFrontFailureCode,
  parseCloudFrontConnectionLogLine,
} from '../../src/core/evidence/logs/cloudfront-connection-log';
import { LogRecordCollector } from '../../src/core/evidence/logs/log-record-collector';
import { normaliseSerial } from '../../src/core/evidence/logs/log-fields';

const epochMs = 1731620046814;
const iso = '2024-11-14T21:34:06.814Z';
const serial = '00:b1:43:ed:93:d2:d8:f3:9d';
const subject = 'C=US, ST=WA, L=Seattle, O=Example, CN=client.test.mtls.net';

/** A record with every documented field, as the guide's table shows them. */
function fields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventTimestamp: epochMs,
    connectionId: 'oLHiEKbQSn8lkuKfSGJ2mUn5nzg==',
    connectionStatus: 'Failed:ClientCertUntrusted',
    clientIp: '2001:db8::1',
    clientPort: 12137,
    serverIp: '99.84.71.136',
    distributionId: 'E2DX1SLDPK0123',
    distributionTenantId: '-',
    tlsProtocol: 'TLSv1.3',
    tlsCipher: 'TLS_AES_128_GCM_SHA256',
    tlsHandshakeDuration: 153,
    tlsSni: 'd111111abcdef8.cloudfront.net',
    clientLeafCertSerialNumber: serial,
    clientLeafCertSubject: subject,
    clientLeafCertIssuer: 'C=US, O=Example, CN=Example Issuing CA',
    clientLeafCertValidity: 'NotBefore=2025-06-05T23:28:21Z;NotAfter=2026-06-05T23:28:21Z',
    connectionLogCustomData: '-',
    ...overrides,
  };
}

const tabLine = (record: Record<string, unknown>, names: readonly string[] = cloudFrontConnectionLogFields): string => names.map((n) => String(record[n])).join('\t');

describe('CloudFront connection log: the documented output formats', () => {
  test('JSON: every field by its documented name; the time from epoch milliseconds', () => {
    const record = parseCloudFrontConnectionLogLine(JSON.stringify(fields()));
    assert.ok(record);
    assert.equal(record.outputFormat, 'json');
    assert.equal(record.time, iso);
    assert.equal(record.eventTimestamp, epochMs);
    assert.equal(record.connectionStatus, 'Failed:ClientCertUntrusted');
    assert.equal(record.clientIp, '2001:db8::1');
    assert.equal(record.clientPort, 12137);
    assert.equal(record.tlsHandshakeDuration, 153);
    assert.equal(record.clientLeafCertSerialNumber, serial);
    assert.equal(record.clientLeafCertSubject, subject);
    assert.equal(record.distributionTenantId, null);
    assert.equal(record.connectionLogCustomData, null);
  });

  test('JSON: an ISO 8601 timestamp, numbers as strings, unknown fields kept, a subset of fields', () => {
    const record = parseCloudFrontConnectionLogLine(JSON.stringify({ ...fields({ eventTimestamp: iso, clientPort: '12137', tlsHandshakeDuration: '153' }), futureField: 'x' }));
    assert.equal(record?.time, iso);
    assert.equal(record?.clientPort, 12137);
    assert.equal(record?.futureField, 'x');
    const minimal = parseCloudFrontConnectionLogLine(JSON.stringify({ eventTimestamp: epochMs, connectionStatus: 'Success', clientIp: '198.51.100.4' }));
    assert.equal(minimal?.connectionStatus, 'Success');
    assert.equal(minimal?.clientPort, null);
    assert.equal(minimal?.clientLeafCertSerialNumber, null);
  });

  test('plain: the values alone in the documented order, tab- or space-separated (a quoted value keeps its spaces)', () => {
    const tabbed = parseCloudFrontConnectionLogLine(tabLine(fields()));
    assert.equal(tabbed?.outputFormat, 'plain');
    assert.equal(tabbed?.clientLeafCertSubject, subject);
    assert.equal(tabbed?.clientPort, 12137);
    assert.equal(tabbed?.time, iso);
    const spaced = cloudFrontConnectionLogFields.map((n) => {
      const v = String(fields()[n]);
      return v.includes(' ') ? `"${v}"` : v;
    });
    const record = parseCloudFrontConnectionLogLine(spaced.join(' '));
    assert.equal(record?.clientLeafCertIssuer, 'C=US, O=Example, CN=Example Issuing CA');
    assert.equal(record?.clientLeafCertSerialNumber, serial);
  });

  test('plain: %XX escapes are decoded', () => {
    const record = parseCloudFrontConnectionLogLine(tabLine(fields({ clientLeafCertSubject: 'C=US,%20CN=client%20one' })));
    assert.equal(record?.clientLeafCertSubject, 'C=US, CN=client one');
  });

  test('w3c: #Fields names the columns of the lines after it, in its own order; directives are not records', () => {
    const names = ['connectionStatus', 'clientIp', 'clientPort', 'clientLeafCertSerialNumber', 'eventTimestamp'];
    const read = cloudFrontConnectionLogReader();
    assert.equal(read('#Version: 1.0'), 'directive');
    assert.equal(read(`#Fields: ${names.join(' ')}`), 'directive');
    const record = read(tabLine(fields({ eventTimestamp: iso }), names));
    assert.ok(record !== null && record !== 'directive');
    assert.equal(record.outputFormat, 'w3c');
    assert.equal(record.clientPort, 12137);
    assert.equal(record.time, iso);
    assert.equal(record.tlsProtocol, null);
    // Without the header, the same line is not a plain record (the columns are not the documented ones).
    assert.equal(parseCloudFrontConnectionLogLine(tabLine(fields(), names)), null);
    assert.equal(parseCloudFrontConnectionLogLine('#Fields: eventTimestamp connectionStatus'), null);
  });

  test('not a connection record: a bad status, address, port or time; other logs; damaged lines', () => {
    for (const bad of [
      fields({ connectionStatus: 'Maybe' }),
      fields({ clientIp: 'not-an-ip' }),
      fields({ clientPort: 70000 }),
      fields({ eventTimestamp: 'yesterday' }),
      fields({ eventTimestamp: 42 }),
      fields({ connectionStatus: undefined }),
    ]) {
      assert.equal(parseCloudFrontConnectionLogLine(JSON.stringify(bad)), null, JSON.stringify(bad));
    }
    assert.equal(parseCloudFrontConnectionLogLine(JSON.stringify(fields()).slice(0, 80)), null);
    assert.equal(parseCloudFrontConnectionLogLine('2024-05-01T10:00:00.123456Z 192.0.2.7 54321 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - - - - Failed:ClientCertUntrusted TID_1'), null);
    assert.equal(parseCloudFrontConnectionLogLine('{"timestamp":1,"action":"BLOCK","httpRequest":{}}'), null);
  });
});

describe('CloudFront connection log: timestamps and status codes', () => {
  test('eventTimestamp: epoch milliseconds (number or digits), epoch seconds, ISO 8601 with a zone', () => {
    assert.equal(cloudFrontEventTime(epochMs), epochMs);
    assert.equal(cloudFrontEventTime(String(epochMs)), epochMs);
    assert.equal(cloudFrontEventTime(1731620046.814), epochMs);
    assert.equal(cloudFrontEventTime(iso), epochMs);
    assert.equal(cloudFrontEventTime('2024-11-14T23:34:06.814+02:00'), epochMs);
    assert.equal(cloudFrontEventTime('2024-11-14 21:34:06.814Z'), epochMs);
    assert.equal(cloudFrontEventTime('2024-11-14T21:34:06'), null, 'no zone: which one is unknown');
    assert.equal(cloudFrontEventTime(-1), null);
    assert.equal(cloudFrontEventTime('1e15'), null);
  });

  test('Failed:<code> gives the code; Success and anything else none', () => {
    assert.equal(cloudFrontFailureCode('Failed:ClientCertMissing'), 'ClientCertMissing');
    assert.equal(cloudFrontFailureCode('Success'), null);
    assert.equal(cloudFrontFailureCode('Failed:'), null);
    assert.equal(cloudFrontFailureCode(null), null);
  });
});

describe('certificate serials: one normalisation for every writer', () => {
  test('CloudFront (colons, a leading 00), ALB (hex), Node (a DER sign byte) and the origin header compare equal', () => {
    assert.equal(albSerialForm(serial), 'B143ED93D2D8F39D');
    assert.equal(albSerialForm('00B143ED93D2D8F39D'), 'B143ED93D2D8F39D');
    assert.equal(albSerialForm('4a:3f:01'), '4A3F01');
    assert.equal(albSerialForm('0a:1b'), '0A1B', 'a leading zero nibble stays in ALB form');
    assert.equal(serialMatchKey('0A1B'), 'A1B');
    assert.ok(sameSerial(serial, 'B143ED93D2D8F39D'));
    assert.ok(sameSerial('0a:1b:2c', '0A1B2C'));
    assert.ok(sameSerial('00:0a:1b', 'A1B'));
    assert.ok(!sameSerial(serial, 'B143ED93D2D8F39E'));
    assert.equal(normaliseSerial(serial), serialMatchKey('B143ED93D2D8F39D'), 'the log collector uses the same key');
  });

  test("CloudFront's form of a serial, for searching its logs", () => {
    assert.equal(colonSerialForm('B143ED93D2D8F39D'), 'b1:43:ed:93:d2:d8:f3:9d');
    assert.equal(colonSerialForm('00B1'), 'b1');
    assert.equal(colonSerialForm('A1B'), '0a:1b');
    assert.equal(colonSerialForm('B143ED', { signByte: true }), '00:b1:43:ed', 'as DER and CloudFront write a serial whose top bit is set');
    assert.equal(colonSerialForm('4A3F', { signByte: true }), '4a:3f');
  });
});

describe('CloudFront connection logs: where they are and how they are searched', () => {
  test('the connectionLogs setting: an s3:// location or a log group name', () => {
    assert.deepEqual(connectionLogsLocation('s3://cf-logs/connections/E2DX'), { kind: 's3', location: { bucket: 'cf-logs', prefix: 'connections/E2DX' }, url: 's3://cf-logs/connections/E2DX' });
    assert.deepEqual(connectionLogsLocation('/aws/vendedlogs/cloudfront/connections'), { kind: 'logs', logGroup: '/aws/vendedlogs/cloudfront/connections' });
    assert.equal(connectionLogsLocation('s3://A'), null);
    assert.equal(connectionLogsLocation('not a group'), null);
  });

  test('Logs Insights: by the address or the serial in CloudFront\'s form (any case, a leading 00 or not), whatever the format', () => {
    assert.equal(
      connectionLogQueryString({ clientIp: '198.51.100.4', clientCertSerial: 'B143ED93D2D8F39D' }),
      'fields @timestamp, @message, @ptr | filter @message like "198.51.100.4" or @message like /(?i)b1:43:ed:93:d2:d8:f3:9d/ | sort @timestamp asc | limit 200',
    );
    assert.equal(connectionLogQueryString({ clientIp: '198.51.100.4' }), 'fields @timestamp, @message, @ptr | filter @message like "198.51.100.4" | sort @timestamp asc | limit 200');
    assert.equal(connectionLogQueryString({ traceId: 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca' }), null);
  });
});

describe('CloudFront connection logs among files', () => {
  const window = { from: new Date(Date.parse(iso) - 60_000), to: new Date(Date.parse(iso) + 60_000) };
  const probeTime = { from: new Date(Date.parse(iso) - 500).toISOString(), to: iso };

  test('a w3c file (gzip): the probe\'s record found by address and port and by serial, others not; directives not counted as damaged', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-conn-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const names = [...cloudFrontConnectionLogFields].reverse();
    const lines = [
      '#Version: 1.0',
      `#Fields: ${names.join(' ')}`,
      tabLine(fields({ clientIp: '203.0.113.9', clientPort: 4000, clientLeafCertSerialNumber: '3a:5f', connectionStatus: 'Success' }), names),
      tabLine(fields({ clientIp: '198.51.100.4' }), names),
      'garbage',
    ];
    const file = join(dir, 'E2DX1SLDPK0123.2024-11-14-21.a1b2c3.gz');
    await writeFile(file, gzipSync(`${lines.join('\n')}\n`));
    assert.deepEqual(await sniffLogFormat(file), { format: 'cloudfront-connection-log', lines: 5 });
    const report = await new LocalLogSource([dir]).collect(window, { clientIp: '198.51.100.4', clientPort: 12137, clientCertSerial: 'B143ED93D2D8F39D', probeTime });
    assert.equal(report.events.length, 1, JSON.stringify(report.events));
    const [event] = report.events;
    assert.equal(event!.kind, 'cloudfront-connection-log');
    assert.equal(event!.lane, 'load-balancer');
    assert.deepEqual(event!.matchedBy, [
      { key: 'clientIp', value: '198.51.100.4' },
      { key: 'clientPort', value: '12137' },
      { key: 'clientCertSerial', value: serial },
    ]);
    assert.equal(event!.origin.line, 4);
    assert.match(event!.summary, /^CloudFront connection log: connectionStatus Failed:ClientCertUntrusted \(serial 00:b1:43:ed:93:d…\) from 198\.51\.100\.4:12137, TLSv1\.3 handshake in 153 ms$/);
    assert.deepEqual(report.stats, { files: 1, lines: 5, skippedLines: 1 });
  });

  test('behind NAT without a certificate: a certificate-less record at the probe\'s moment is matched by time; JSON lines through addLine', () => {
    const collector = new LogRecordCollector({ clientIp: '192.0.2.7', clientPort: 5555, probeTime }, window);
    const nat = JSON.stringify(fields({ clientIp: '203.0.113.200', clientPort: 61000, clientLeafCertSerialNumber: '-', connectionStatus: 'Failed:ClientCertMissing', eventTimestamp: iso }));
    const later = JSON.stringify(fields({ clientIp: '203.0.113.201', clientLeafCertSerialNumber: '-', eventTimestamp: Date.parse(iso) + 50_000 }));
    assert.equal(collector.addLine('cloudfront-connection-log', nat, { resource: 'CloudWatch Logs cf' }), true);
    assert.equal(collector.addLine('cloudfront-connection-log', later, { resource: 'CloudWatch Logs cf' }), false);
    assert.equal(collector.addLine('cloudfront-connection-log', 'not a record', { resource: 'CloudWatch Logs cf' }), false);
    const events = collector.events();
    assert.deepEqual(events.map((e) => e.matchedBy), [[{ key: 'probeTime', value: iso }]]);
    assert.deepEqual(collector.stats, { files: 0, lines: 3, skippedLines: 1 });
  });
});
