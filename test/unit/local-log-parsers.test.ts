// The local log parsers: lines in the documented layouts, quoting, unknown trailing fields, damaged lines.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { blockedByWaf, parseAlbAccessLogLine } from '../../src/core/evidence/logs/alb-access-log';
import { isAlbConnectionLogFileName, parseAlbConnectionLogLine } from '../../src/core/evidence/logs/alb-connection-log';
import { splitLogFields, traceRoot } from '../../src/core/evidence/logs/log-fields';
import { modSecurityHeader, modSecurityRuleIds, parseModSecurityAuditLine, parseModSecurityTimestamp } from '../../src/core/evidence/logs/modsecurity-audit-log';
import { parseWafLogLine, wafHeader } from '../../src/core/evidence/logs/waf-log';

// In the layout of the ALB connection-logs page's examples: a verified certificate, and a rejected one.
const connectionSuccess =
  '2023-10-04T17:39:34.849237Z 192.0.2.1 45958 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4 "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-27T22:43:21Z FEF257D2A2F3A7F9 Success TID_b1b3ea7dc7ffc0468d8c2e4e2a13d1b4 ECDHE elb-node-1 10.0.1.15';
const connectionFailure =
  '2023-10-04T17:39:35.001000Z 192.0.2.1 45960 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - "CN=Partner Client, O=Example Corp, L=Seattle" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-27T22:43:21Z 3A0F5C9E00112233 "Failed:ClientCertUntrusted" TID_c2c3ea7dc7ffc0468d8c2e4e2a13d1b5 - - -';

// The ALB access-logs page's HTTPS example, with the fields added since (classification …, conn_trace_id).
const accessDocumented =
  'https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90';
const accessWafBlocked =
  'https 2024-05-01T10:00:01.500000Z app/front/50dc6c495c0c9188 203.0.113.7:53211 - 0.001 -1 -1 403 - 312 162 "GET https://api.example.com:443/?q=%3Cscript%3E HTTP/1.1" "Mozilla/5.0 (X11; Linux) \\"quoted\\" agent" TLS_AES_128_GCM_SHA256 TLSv1.3 - "Self=1-663210a1-0123456789abcdef01234567;Root=1-663210a1-6b05e1f2ab75cbbc8afd3ae1" "api.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/abc" 0 2024-05-01T10:00:01.498000Z "waf" "-" "-" "-" "-" "-" "-" TID_0a1b2c3d4e5f future-field "another one"';

const wafBlock = JSON.stringify({
  timestamp: 1714557601500,
  formatVersion: 1,
  webaclId: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/front/1111',
  terminatingRuleId: 'AWSManagedRulesCommonRuleSet',
  terminatingRuleType: 'MANAGED_RULE_GROUP',
  action: 'BLOCK',
  terminatingRuleMatchDetails: [],
  httpSourceName: 'ALB',
  httpSourceId: '123456789012-app/front/50dc6c495c0c9188',
  ruleGroupList: [{ ruleGroupId: 'AWS#AWSManagedRulesCommonRuleSet', terminatingRule: { ruleId: 'CrossSiteScripting_QUERYARGUMENTS', action: 'BLOCK' } }],
  rateBasedRuleList: [],
  nonTerminatingMatchingRules: [],
  requestHeadersInserted: null,
  responseCodeSent: null,
  httpRequest: {
    clientIp: '203.0.113.7',
    country: 'JP',
    headers: [
      { name: 'Host', value: 'api.example.com' },
      { name: 'X-Amzn-Trace-Id', value: 'Root=1-663210a1-6b05e1f2ab75cbbc8afd3ae1' },
    ],
    uri: '/',
    args: 'q=%3Cscript%3E',
    httpVersion: 'HTTP/1.1',
    httpMethod: 'GET',
    requestId: '1-663210a1-6b05e1f2ab75cbbc8afd3ae1',
  },
  labels: [{ name: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments' }],
  ja3Fingerprint: '0123456789abcdef0123456789abcdef',
});

const modSecurityRecord = JSON.stringify({
  transaction: {
    client_ip: '127.0.0.1',
    time_stamp: 'Tue Nov 24 21:36:05 2026',
    server_id: '2ce124b0c5d02b433a9392782ff8b313286c1942',
    client_port: 56372,
    host_ip: '127.0.0.1',
    host_port: 18099,
    unique_id: '179555616525.306060',
    request: { method: 'GET', http_version: 1.1, uri: '/?q=<script>alert(1)</script>', headers: { Host: '127.0.0.1:18099', 'X-Amzn-Trace-Id': 'Root=1-65000000-abcdefabcdefabcdefabcdef' } },
    response: { http_code: 403, headers: { Server: 'nginx' } },
    producer: { modsecurity: 'ModSecurity v3.0.9 (Linux)' },
    messages: [
      { message: 'XSS Attack Detected via libinjection', details: { ruleId: '941100', severity: '2' } },
      { message: 'Inbound Anomaly Score Exceeded (Total Score: 20)', details: { ruleId: '949110', severity: '2' } },
      { message: 'again', details: { ruleId: '941100' } },
    ],
  },
});

describe('field splitting', () => {
  test('quoted fields keep spaces and commas, \\" and \\\\ are unescaped, an unclosed quote is a damaged line', () => {
    assert.deepEqual(splitLogFields('a "b c, d" "e \\"f\\" \\\\g" -'), ['a', 'b c, d', 'e "f" \\g', '-']);
    assert.equal(splitLogFields('a "b c'), null);
  });
  test('trace ids compare by their Root', () => {
    assert.equal(traceRoot('Self=1-2-3;Root=1-58337281-1d84f3d73c47ec4e58577259'), '1-58337281-1d84f3d73c47ec4e58577259');
    assert.equal(traceRoot('1-58337281-1d84f3d73c47ec4e58577259'), '1-58337281-1d84f3d73c47ec4e58577259');
  });
});

describe('ALB connection log', () => {
  test('a verified certificate', () => {
    const r = parseAlbConnectionLogLine(connectionSuccess);
    assert.ok(r);
    assert.equal(r.timestamp, '2023-10-04T17:39:34.849237Z');
    assert.equal(r.client_ip, '192.0.2.1');
    assert.equal(r.client_port, 45958);
    assert.equal(r.listener_port, 443);
    assert.equal(r.tls_handshake_latency, 4);
    assert.equal(r.leaf_client_cert_subject, 'CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US');
    assert.equal(r.leaf_client_cert_not_after, '2026-06-27T22:43:21Z');
    assert.equal(r.leaf_client_cert_serial_number, 'FEF257D2A2F3A7F9');
    assert.equal(r.tls_verify_status, 'Success');
    assert.equal(r.conn_trace_id, 'TID_b1b3ea7dc7ffc0468d8c2e4e2a13d1b4');
    assert.equal(r.ip_address, '10.0.1.15');
    assert.deepEqual(r.extra_fields, []);
  });
  test('a rejected certificate: quoted status, subject with spaces, - for absent fields', () => {
    const r = parseAlbConnectionLogLine(connectionFailure);
    assert.ok(r);
    assert.equal(r.tls_handshake_latency, null);
    assert.equal(r.leaf_client_cert_subject, 'CN=Partner Client, O=Example Corp, L=Seattle');
    assert.equal(r.tls_verify_status, 'Failed:ClientCertUntrusted');
    assert.equal(r.tls_keyexchange, null);
  });
  test('the first-release layout (no conn_trace_id) and unknown trailing fields', () => {
    const short = connectionSuccess.split(' TID_')[0]!;
    assert.equal(parseAlbConnectionLogLine(short)?.conn_trace_id, null);
    assert.deepEqual(parseAlbConnectionLogLine(`${connectionSuccess} new-field "a b"`)?.extra_fields, ['new-field', 'a b']);
  });
  test('no certificate at all', () => {
    const r = parseAlbConnectionLogLine('2024-05-01T10:00:00.000001Z 203.0.113.7 53210 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - "-" - - Failed:ClientCertRejected TID_00ff');
    assert.ok(r);
    assert.equal(r.leaf_client_cert_subject, null);
    assert.equal(r.leaf_client_cert_serial_number, null);
  });
  test('truncated and corrupt lines are null', () => {
    assert.equal(parseAlbConnectionLogLine(connectionFailure.slice(0, 120)), null);
    assert.equal(parseAlbConnectionLogLine(connectionSuccess.slice(0, 60)), null);
    assert.equal(parseAlbConnectionLogLine(connectionSuccess.replace('45958', 'port')), null);
    assert.equal(parseAlbConnectionLogLine(connectionSuccess.replace('Success', 'Fine')), null);
    assert.equal(parseAlbConnectionLogLine(accessDocumented), null);
    assert.equal(parseAlbConnectionLogLine(''), null);
  });
  test('both object-name forms', () => {
    assert.ok(isAlbConnectionLogFileName('conn_log_123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20231004T1740Z_192.0.2.1_2a3b4c5d.log.gz'));
    assert.ok(isAlbConnectionLogFileName('AWSLogs/123456789012/elasticloadbalancing/us-east-2/2023/10/04/conn_log.123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20231004T1740Z_192.0.2.1_2a3b4c5d.log'));
    assert.ok(!isAlbConnectionLogFileName('123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20231004T1740Z_192.0.2.1_2a3b4c5d.log.gz'));
    assert.ok(!isAlbConnectionLogFileName('my_conn_log.txt'));
  });
});

describe('ALB access log', () => {
  test('the documented HTTPS example', () => {
    const r = parseAlbAccessLogLine(accessDocumented);
    assert.ok(r);
    assert.equal(r.type, 'https');
    assert.equal(r.client_ip, '192.168.131.39');
    assert.equal(r.client_port, 2817);
    assert.equal(r.target_ip, '10.0.0.1');
    assert.equal(r.target_port, 80);
    assert.equal(r.elb_status_code, 200);
    assert.equal(r.request_verb, 'GET');
    assert.equal(r.request_url, 'https://www.example.com:443/');
    assert.equal(r.user_agent, 'curl/7.46.0');
    assert.equal(r.trace_id, 'Root=1-58337281-1d84f3d73c47ec4e58577259');
    assert.equal(r.matched_rule_priority, '1');
    assert.deepEqual(r.actions_executed, ['authenticate', 'forward']);
    assert.deepEqual(r.target_port_list, ['10.0.0.1:80']);
    assert.deepEqual(r.target_status_code_list, ['200']);
    assert.equal(r.conn_trace_id, 'TID_1234abcd5678ef90');
    assert.ok(!blockedByWaf(r));
  });
  test('blocked by WAF: no target, -1 times, escaped quotes in the user agent, unknown trailing fields', () => {
    const r = parseAlbAccessLogLine(accessWafBlocked);
    assert.ok(r);
    assert.equal(r.target_ip, null);
    assert.equal(r.target_status_code, null);
    assert.equal(r.target_processing_time, -1);
    assert.equal(r.user_agent, 'Mozilla/5.0 (X11; Linux) "quoted" agent');
    assert.deepEqual(r.actions_executed, ['waf']);
    assert.ok(blockedByWaf(r));
    assert.equal(r.conn_trace_id, 'TID_0a1b2c3d4e5f');
    assert.deepEqual(r.extra_fields, ['future-field', 'another one']);
  });
  test('an older line without the newer fields', () => {
    const old = 'http 2016-08-10T22:08:42.945958Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354"';
    const r = parseAlbAccessLogLine(old);
    assert.ok(r);
    assert.equal(r.trace_id, 'Root=1-58337262-36d228ad5d99923122bbe354');
    assert.deepEqual(r.actions_executed, []);
    assert.equal(r.conn_trace_id, null);
  });
  test('an IPv6 client', () => {
    const r = parseAlbAccessLogLine(accessDocumented.replace('192.168.131.39:2817', '2001:db8::1:2817'));
    assert.equal(r?.client_ip, '2001:db8::1');
    assert.equal(r?.client_port, 2817);
  });
  test('truncated and corrupt lines are null', () => {
    assert.equal(parseAlbAccessLogLine(accessDocumented.slice(0, 150)), null);
    assert.equal(parseAlbAccessLogLine(accessDocumented.slice(0, 40)), null);
    assert.equal(parseAlbAccessLogLine(accessDocumented.replace('https ', 'gopher ')), null);
    assert.equal(parseAlbAccessLogLine(accessDocumented.replace(' 200 200 ', ' 2OO 200 ')), null);
    assert.equal(parseAlbAccessLogLine(connectionSuccess), null);
  });
});

describe('AWS WAF log', () => {
  test('a BLOCK record', () => {
    const r = parseWafLogLine(wafBlock);
    assert.ok(r);
    assert.equal(r.action, 'BLOCK');
    assert.equal(r.terminatingRuleId, 'AWSManagedRulesCommonRuleSet');
    assert.equal(r.httpRequest.clientIp, '203.0.113.7');
    assert.equal(r.httpRequest.requestId, '1-663210a1-6b05e1f2ab75cbbc8afd3ae1');
    assert.equal(wafHeader(r, 'x-amzn-trace-id'), 'Root=1-663210a1-6b05e1f2ab75cbbc8afd3ae1');
    assert.equal(r.ja3Fingerprint, '0123456789abcdef0123456789abcdef');
  });
  test('unknown fields are kept, CRLF-style whitespace is tolerated', () => {
    const r = parseWafLogLine(`${wafBlock.slice(0, -1)},"someNewField":{"a":1}}\r`);
    assert.deepEqual(r?.someNewField, { a: 1 });
  });
  test('truncated, non-object and other JSON logs are null', () => {
    assert.equal(parseWafLogLine(wafBlock.slice(0, -20)), null);
    assert.equal(parseWafLogLine('[1,2]'), null);
    assert.equal(parseWafLogLine('{"timestamp":"yesterday","action":"BLOCK","httpRequest":{}}'), null);
    assert.equal(parseWafLogLine(modSecurityRecord), null);
  });
});

describe('ModSecurity audit log', () => {
  test('a v3 JSON record as nginx + libmodsecurity write it', () => {
    const r = parseModSecurityAuditLine(modSecurityRecord);
    assert.ok(r);
    assert.equal(r.transaction.client_port, 56372);
    assert.equal(r.transaction.response?.http_code, 403);
    assert.equal(modSecurityHeader(r, 'x-amzn-trace-id'), 'Root=1-65000000-abcdefabcdefabcdefabcdef');
    assert.deepEqual(modSecurityRuleIds(r), ['941100', '949110']);
  });
  test('time_stamp is local time to the second', () => {
    assert.equal(parseModSecurityTimestamp('Tue Nov 24 21:36:05 2026')?.getTime(), new Date(2026, 10, 24, 21, 36, 5).getTime());
    assert.equal(parseModSecurityTimestamp('Sun Mar  1 01:02:03 2026')?.getDate(), 1);
    assert.equal(parseModSecurityTimestamp('2026-11-24T21:36:05Z'), null);
  });
  test('truncated and other records are null', () => {
    assert.equal(parseModSecurityAuditLine(modSecurityRecord.slice(0, 200)), null);
    assert.equal(parseModSecurityAuditLine(wafBlock), null);
    assert.equal(parseModSecurityAuditLine('{"transaction":{"client_ip":"1.2.3.4","time_stamp":"now"}}'), null);
  });
});

describe('damaged input never throws', () => {
  const parsers = [parseAlbConnectionLogLine, parseAlbAccessLogLine, parseWafLogLine, parseModSecurityAuditLine];
  const samples = [connectionSuccess, connectionFailure, accessDocumented, accessWafBlocked, wafBlock, modSecurityRecord];
  test('random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (line) => {
        for (const parse of parsers) parse(line);
      }),
      { numRuns: 500 },
    );
  });
  test('real lines cut, spliced and with bytes replaced', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.nat(),
        fc.nat(),
        fc.string({ maxLength: 8 }),
        (sample, a, b, insert) => {
          const i = a % (sample.length + 1);
          const j = Math.min(sample.length, i + (b % 12));
          const mutated = sample.slice(0, i) + insert + sample.slice(j);
          for (const parse of parsers) {
            const r = parse(mutated);
            if (r !== null) assert.equal(typeof r, 'object');
          }
          for (const parse of parsers) parse(sample.slice(0, i));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
