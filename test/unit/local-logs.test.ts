// LocalLogSource over a folder of plain and gzip logs of every format, and the line reader under it.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { expandLogPaths, isGzipFile, readLogLines, scanLogLines } from '../../src/core/evidence/logs/line-reader';
import { LocalLogSource, logFormatFromFileName, sniffLogFormat } from '../../src/core/evidence/local/local-logs';
import type { EvidenceEvent, TimeWindow } from '../../src/core/evidence/types';

const traceId = 'Root=1-663210a1-6b05e1f2ab75cbbc8afd3ae1';
const requestId = '1-663210a1-6b05e1f2ab75cbbc8afd3ae1';
const probeIp = '203.0.113.7';
const probePort = 53211;
const serial = '3A0F5C9E00112233';
const window: TimeWindow = { from: new Date('2024-05-01T09:59:00Z'), to: new Date('2024-05-01T10:05:00Z') };

function connectionLine(time: string, ip: string, port: number, certSerial: string, status: string, tid: string): string {
  return `${time} ${ip} ${port} 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.004 "CN=Partner Client, O=Example Corp" NotBefore=2024-01-01T00:00:00Z;NotAfter=2025-01-01T00:00:00Z ${certSerial} ${status} ${tid} X25519 app/front/50dc6c495c0c9188 10.0.1.15`;
}

function accessLine(time: string, ip: string, port: number, trace: string, actions: string, status: number, tid: string): string {
  const target = actions.endsWith('waf') ? '-' : '10.0.2.20:8080';
  return `https ${time} app/front/50dc6c495c0c9188 ${ip}:${port} ${target} 0.001 0.004 0.000 ${status} ${target === '-' ? '-' : status} 312 162 "GET https://api.example.com:443/health HTTP/1.1" "mtls-probe/0.1" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067 "${trace}" "api.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/abc" 1 ${time} "${actions}" "-" "-" "-" "-" "-" "-" ${tid}`;
}

function wafRecord(timestamp: number, ip: string, id: string, action = 'ALLOW', rule = 'Default_Action'): string {
  return JSON.stringify({
    timestamp,
    formatVersion: 1,
    webaclId: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/front/1111',
    terminatingRuleId: rule,
    terminatingRuleType: rule === 'Default_Action' ? 'REGULAR' : 'MANAGED_RULE_GROUP',
    action,
    httpSourceName: 'ALB',
    httpSourceId: '123456789012-app/front/50dc6c495c0c9188',
    ruleGroupList: [],
    httpRequest: { clientIp: ip, country: 'JP', headers: [{ name: 'Host', value: 'api.example.com' }, { name: 'X-Amzn-Trace-Id', value: `Root=${id}` }], uri: '/health', args: '', httpVersion: 'HTTP/1.1', httpMethod: 'GET', requestId: id },
    labels: [],
  });
}

function modSecurityRecord(stamp: Date, ip: string, port: number, trace: string, status: number): string {
  const asc = stamp.toString().slice(0, 24); // "Wed May 01 2024 10:00:02": rebuilt below into asctime order
  const [dayName, month, day, year, time] = asc.split(' ');
  return JSON.stringify({
    transaction: {
      client_ip: ip,
      time_stamp: `${dayName} ${month} ${day} ${time} ${year}`,
      client_port: port,
      unique_id: '171455760212.000001',
      request: { method: 'GET', http_version: 1.1, uri: '/?q=<script>alert(1)</script>', headers: { Host: 'localhost', 'x-amzn-trace-id': trace } },
      response: { http_code: status },
      messages: [{ message: 'XSS Attack Detected via libinjection', details: { ruleId: '941100' } }],
    },
  });
}

const otherTid = 'TID_ffffffffffffffffffffffffffffffff';
const probeTid = 'TID_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
let dir: string;
const matchedBy = (e: EvidenceEvent): string => e.matchedBy.map((m) => `${m.key}=${m.value}`).join(' ');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtls-probe-local-logs-'));
  await mkdir(join(dir, 'alb', 'conn'), { recursive: true });
  await mkdir(join(dir, 'waf'), { recursive: true });
  await mkdir(join(dir, '.hidden'), { recursive: true });

  // Connection log, gzip: the probe's connection, another client, one out of the window, one damaged line.
  const conn = [
    connectionLine('2024-05-01T10:00:01.000100Z', '198.51.100.9', 40000, 'AAAA', 'Success', otherTid),
    connectionLine('2024-05-01T10:00:01.200300Z', probeIp, probePort, serial, 'Success', probeTid),
    connectionLine('2024-05-01T11:30:00.000000Z', probeIp, probePort, serial, 'Success', 'TID_late'),
    '2024-05-01T10:00:02.000000Z 198.51.100.9 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - "CN=cut off',
  ];
  await writeFile(join(dir, 'alb', 'conn', 'conn_log_123456789012_elasticloadbalancing_eu-west-1_app.front.50dc6c495c0c9188_20240501T1000Z_10.0.1.15_abc.log.gz'), gzipSync(`${conn.join('\n')}\n`));

  // Access log, plain with CRLF: one line by trace id, one only by its connection (same connection, another request), one unrelated.
  const access = [
    accessLine('2024-05-01T10:00:01.300000Z', probeIp, probePort, `Self=1-663210a1-aaaaaaaaaaaaaaaaaaaaaaaa;${traceId}`, 'waf', 403, probeTid),
    accessLine('2024-05-01T10:00:01.900000Z', '192.0.2.50', 1234, 'Root=1-663210a1-bbbbbbbbbbbbbbbbbbbbbbbb', 'waf,forward', 200, probeTid),
    accessLine('2024-05-01T10:00:02.000000Z', '192.0.2.50', 1235, 'Root=1-663210a1-cccccccccccccccccccccccc', 'waf,forward', 200, otherTid),
  ];
  await writeFile(join(dir, 'alb', '123456789012_elasticloadbalancing_eu-west-1_app.front.50dc6c495c0c9188_20240501T1000Z_10.0.1.15_def.log'), `${access.join('\r\n')}\r\n`);

  // WAF log, gzip under a name without .gz: filler records, the probe's BLOCK, one record by client IP only, one out of window, one damaged line.
  const t0 = Date.parse('2024-05-01T10:00:00Z');
  const waf: string[] = [];
  for (let i = 0; i < 3000; i++) waf.push(wafRecord(t0 + i * 10, `192.0.2.${i % 250}`, `1-663210a1-${i.toString(16).padStart(24, '0')}`));
  waf.splice(1500, 0, wafRecord(t0 + 1400, probeIp, requestId, 'BLOCK', 'AWSManagedRulesCommonRuleSet'));
  waf.splice(2000, 0, wafRecord(t0 + 1500, probeIp, '1-663210a1-dddddddddddddddddddddddd'));
  waf.splice(2500, 0, wafRecord(t0 + 3 * 3600_000, probeIp, requestId));
  waf.splice(10, 0, wafRecord(t0, '192.0.2.1', '1-663210a1-eeeeeeeeeeeeeeeeeeeeeeee').slice(0, 100));
  await writeFile(join(dir, 'waf', 'aws-waf-logs-front_0.log'), gzipSync(`${waf.join('\n')}\n`));

  // A WAF file whose gzip data is cut off: the probe's record near the top is still found.
  const cutRecords = [wafRecord(t0 + 5, probeIp, requestId, 'BLOCK', 'AWSManagedRulesCommonRuleSet'), ...waf.slice(0, 2000)];
  const full = gzipSync(`${cutRecords.join('\n')}\n`);
  await writeFile(join(dir, 'waf', 'aws-waf-logs-front_1.log.gz'), full.subarray(0, Math.floor(full.length * 0.6)));

  // ModSecurity audit log, plain, last line without a newline.
  const modsec = [
    modSecurityRecord(new Date(t0 + 2000), '127.0.0.1', 50000, 'Root=1-663210a1-ffffffffffffffffffffffff', 403),
    modSecurityRecord(new Date(t0 + 2000), '127.0.0.1', 50001, traceId, 403),
  ];
  await writeFile(join(dir, 'modsec_audit.log'), modsec.join('\n'));

  await writeFile(join(dir, '.hidden', 'aws-waf-logs-hidden.log'), `${wafRecord(t0, probeIp, requestId)}\n`);
  await writeFile(join(dir, 'notes.txt'), 'these are my notes\nnot a log\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('line reader', () => {
  test('gzip is recognised by its bytes, CRLF and a last line without newline are handled, long lines cross chunks', async () => {
    const lines = ['first', 'x'.repeat(5000), '', 'last'];
    await writeFile(join(dir, 'plain.gz'), lines.join('\r\n'));
    await writeFile(join(dir, 'packed.txt'), gzipSync(lines.join('\n')));
    try {
      assert.equal(await isGzipFile(join(dir, 'plain.gz')), false);
      assert.equal(await isGzipFile(join(dir, 'packed.txt')), true);
      for (const file of ['plain.gz', 'packed.txt']) {
        const read: Array<[number, number]> = [];
        for await (const { line, number } of readLogLines(join(dir, file), { chunkBytes: 1024 })) read.push([number, line.length]);
        assert.deepEqual(read, [[1, 5], [2, 5000], [4, 4]], file);
        const candidates: number[] = [];
        const summary = await scanLogLines(join(dir, file), { chunkBytes: 1000, needles: [Buffer.from('xxxx'), Buffer.from('last')], onCandidate: (_line, n) => candidates.push(n) });
        assert.deepEqual(candidates, [2, 4], file);
        assert.equal(summary.lines, 4);
      }
    } finally {
      await rm(join(dir, 'plain.gz'));
      await rm(join(dir, 'packed.txt'));
    }
  });
  test('the needle prefilter hands over exactly the lines containing a needle, across chunk boundaries', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `{"n":${i},"pad":"${'p'.repeat(i % 37)}"${i % 7 === 0 ? ',"hit":"NEEDLE"' : ''}}`);
    await writeFile(join(dir, 'needles.json'), `${lines.join('\n')}\n`);
    try {
      for (const chunkBytes of [7, 64, 1000, 1 << 20]) {
        const seen: number[] = [];
        const other: number[] = [];
        await scanLogLines(join(dir, 'needles.json'), { chunkBytes, needles: [Buffer.from('NEEDLE')], onCandidate: (line, n) => seen.push(n) && assert.ok(line.includes('NEEDLE')), onOther: (_l, n) => other.push(n) });
        assert.deepEqual(seen, lines.flatMap((_, i) => (i % 7 === 0 ? [i + 1] : [])), `chunk ${chunkBytes}`);
        assert.equal(seen.length + other.length, 500);
      }
    } finally {
      await rm(join(dir, 'needles.json'));
    }
  });
  test('folders expand recursively, sorted, without dot-folders', async () => {
    const { files, problems } = await expandLogPaths([dir, join(dir, 'missing.log')]);
    const relative = files.map((f) => f.slice(dir.length + 1));
    assert.deepEqual(relative, [
      'alb/123456789012_elasticloadbalancing_eu-west-1_app.front.50dc6c495c0c9188_20240501T1000Z_10.0.1.15_def.log',
      'alb/conn/conn_log_123456789012_elasticloadbalancing_eu-west-1_app.front.50dc6c495c0c9188_20240501T1000Z_10.0.1.15_abc.log.gz',
      'modsec_audit.log',
      'notes.txt',
      'waf/aws-waf-logs-front_0.log',
      'waf/aws-waf-logs-front_1.log.gz',
    ]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /missing\.log/);
  });
  test('formats are sniffed from content; names only break ties', async () => {
    assert.equal((await sniffLogFormat(join(dir, 'modsec_audit.log'))).format, 'modsecurity-audit-log');
    assert.equal((await sniffLogFormat(join(dir, 'waf', 'aws-waf-logs-front_0.log'))).format, 'waf-log');
    assert.equal((await sniffLogFormat(join(dir, 'notes.txt'))).format, null);
    assert.equal(logFormatFromFileName('conn_log.123456789012_elasticloadbalancing_x.log.gz'), 'alb-connection-log');
  });
});

describe('LocalLogSource', () => {
  test('finds the probe in every format by trace id and client address, and the access log by the connection trace id', async () => {
    const source = new LocalLogSource([dir], { chunkBytes: 16 * 1024 });
    const progress: string[] = [];
    const report = await source.collect(window, { traceId, clientIp: probeIp, clientPort: probePort }, { onProgress: (m) => progress.push(m) });
    const described = report.events.map((e) => `${e.kind} ${e.lane} ${e.origin.file!.slice(dir.length + 1)}:${e.origin.line} ${matchedBy(e)}`);
    assert.deepEqual(described, [
      `waf-log waf waf/aws-waf-logs-front_1.log.gz:1 traceId=${requestId} clientIp=${probeIp}`,
      `alb-connection-log tls alb/conn/conn_log_123456789012_elasticloadbalancing_eu-west-1_app.front.50dc6c495c0c9188_20240501T1000Z_10.0.1.15_abc.log.gz:2 clientIp=${probeIp} clientPort=${probePort}`,
      `alb-access-log load-balancer alb/123456789012_elasticloadbalancing_eu-west-1_app.front.50dc6c495c0c9188_20240501T1000Z_10.0.1.15_def.log:1 traceId=Self=1-663210a1-aaaaaaaaaaaaaaaaaaaaaaaa;${traceId} clientIp=${probeIp} clientPort=${probePort} connTraceId=${probeTid}`,
      `waf-log waf waf/aws-waf-logs-front_0.log:1502 traceId=${requestId} clientIp=${probeIp}`,
      `waf-log waf waf/aws-waf-logs-front_0.log:2002 clientIp=${probeIp}`,
      `alb-access-log load-balancer alb/123456789012_elasticloadbalancing_eu-west-1_app.front.50dc6c495c0c9188_20240501T1000Z_10.0.1.15_def.log:2 connTraceId=${probeTid}`,
      `modsecurity-audit-log waf modsec_audit.log:2 traceId=${traceId}`,
    ]);
    const summaries = report.events.map((e) => e.summary);
    assert.equal(summaries[0], `WAF BLOCK by rule AWSManagedRulesCommonRuleSet (requestId ${requestId})`);
    assert.match(summaries[1]!, /^ALB connection log: tls_verify_status Success \(serial 3A0F5C9E00112233\) from 203\.0\.113\.7:53211/);
    assert.match(summaries[2]!, /answered 403 by the load balancer.*blocked by WAF/);
    assert.match(summaries[6]!, /^ModSecurity answered 403 for GET \/\?q=<script>alert\(1\)<\/script>; rules 941100/);
    assert.equal(report.events[0]!.time, '2024-05-01T10:00:00.005Z');
    // Lines: 4 conn + 3 access + 3004 + 2001-ish cut + 2 modsec; the exact cut count depends on where the gzip stops.
    assert.equal(report.stats.files, 5);
    // Skipped: the damaged connection line, the damaged WAF line (in both WAF files), the cut line at the end of the truncated gzip.
    assert.equal(report.stats.skippedLines, 4);
    const problemText = report.problems.map((p) => p.message).join('\n');
    assert.match(problemText, /aws-waf-logs-front_1\.log\.gz: the gzip data is truncated/);
    assert.match(problemText, /notes\.txt: not a recognised log format/);
    assert.equal(report.problems.length, 2);
    assert.ok(progress.some((m) => m.includes('AWS WAF log')));
    assert.ok(report.stats.lines > 3004 + 4 + 3 + 2);
  });

  test('a certificate serial alone finds the connection, and through it the access-log lines', async () => {
    const report = await new LocalLogSource([join(dir, 'alb')]).collect(window, { clientCertSerial: '3a0f5c9e00112233' });
    assert.deepEqual(report.events.map((e) => `${e.kind}:${e.origin.line} ${matchedBy(e)}`), [
      `alb-connection-log:2 clientCertSerial=${serial}`,
      `alb-access-log:1 connTraceId=${probeTid}`,
      `alb-access-log:2 connTraceId=${probeTid}`,
    ]);
    assert.equal(report.stats.skippedLines, 1);
  });

  test('behind NAT a probe without a certificate is found by time: certificate-less connections while it was open, give or take 5 s', async () => {
    const file = join(dir, 'nat', 'conn_log_123456789012_elasticloadbalancing_eu-west-1_app.front.50dc6c495c0c9188_20240501T1005Z_10.0.1.15_nat.log');
    await mkdir(join(dir, 'nat'), { recursive: true });
    await writeFile(
      file,
      [
        connectionLine('2024-05-01T10:00:03.000000Z', '198.51.100.20', 61000, '-', 'Failed:ClientCertMissing', 'TID_nat1'),
        connectionLine('2024-05-01T10:00:04.000000Z', '198.51.100.21', 61001, serial, 'Success', 'TID_nat2'),
        connectionLine('2024-05-01T10:01:00.000000Z', '198.51.100.22', 61002, '-', 'Failed:ClientCertMissing', 'TID_nat3'),
      ].join('\n'),
    );
    // The probe saw itself as 10.0.0.5:1 (behind NAT), connected from 10:00:00.9 to 10:00:01.1.
    const probeTime = { from: '2024-05-01T10:00:00.900Z', to: '2024-05-01T10:00:01.100Z' };
    const report = await new LocalLogSource([file]).collect(window, { clientIp: '10.0.0.5', clientPort: 1, probeTime });
    assert.deepEqual(report.events.map((e) => `${e.origin.line} ${matchedBy(e)}`), ['1 probeTime=2024-05-01T10:00:03.000000Z']);
    // With a certificate, time alone does not collect certificate-less connections (the serial finds its own).
    const withCertificate = await new LocalLogSource([file]).collect(window, { clientIp: '10.0.0.5', clientPort: 1, clientCertSerial: serial, probeTime });
    assert.deepEqual(withCertificate.events.map((e) => `${e.origin.line} ${matchedBy(e)}`), [`2 clientCertSerial=${serial}`]);
    await rm(join(dir, 'nat'), { recursive: true });
  });

  test('the window is exact: records outside it are left out', async () => {
    const late: TimeWindow = { from: new Date('2024-05-01T11:00:00Z'), to: new Date('2024-05-01T13:30:00Z') };
    const report = await new LocalLogSource([dir]).collect(late, { traceId, clientIp: probeIp, clientPort: probePort });
    assert.deepEqual(report.events.map((e) => `${e.kind}:${e.origin.line}`), ['alb-connection-log:3', 'waf-log:2502']);
    const narrow: TimeWindow = { from: new Date('2024-05-01T10:00:01.400Z'), to: new Date('2024-05-01T10:00:01.450Z') };
    const wafOnly = await new LocalLogSource([join(dir, 'waf', 'aws-waf-logs-front_0.log')]).collect(narrow, { traceId });
    assert.equal(wafOnly.events.length, 1);
  });

  test('the port must agree when both carry one; no keys, no events', async () => {
    const wrongPort = await new LocalLogSource([join(dir, 'alb'), join(dir, 'modsec_audit.log')]).collect(window, { clientIp: probeIp, clientPort: 1 });
    assert.equal(wrongPort.events.length, 0);
    const none = await new LocalLogSource([dir]).collect(window, {});
    assert.equal(none.events.length, 0);
    assert.ok(none.stats.lines > 3004 + 4 + 3 + 2, String(none.stats.lines));
    assert.equal(none.stats.skippedLines, 4);
  });

  test('an aborted collect rejects, before and during the scan', async () => {
    const before = new AbortController();
    before.abort();
    await assert.rejects(new LocalLogSource([dir]).collect(window, { traceId }, { signal: before.signal }), { name: 'AbortError' });
    const during = new AbortController();
    await assert.rejects(
      new LocalLogSource([dir]).collect(window, { traceId }, { signal: during.signal, onProgress: (m) => m.startsWith('Reading') && m.includes('waf') && during.abort() }),
      { name: 'AbortError' },
    );
  });
});
