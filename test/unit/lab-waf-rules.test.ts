// The lab's web ACL: each rule fires on its patterns and lets look-alikes through, rules apply in priority order,
// the rate window slides, IP sets match CIDR ranges, and its log records read like AWS WAF's — parsed, matched and
// used for the verdict by the product's own evidence code.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { upgradeVerdict } from '../../src/core/evidence/correlate';
import { LogRecordCollector } from '../../src/core/evidence/logs/log-record-collector';
import { parseWafLogLine, wafHeader } from '../../src/core/evidence/logs/waf-log';
import { IpSet, plainIp } from '../../src/core/lab/ip-set';
import { evaluateWebAcl, RateState, wafLogRecord, type WafDecision, type WafRequest } from '../../src/core/lab/waf-rules';
import type { ProbeResult } from '../../src/core/probe/types';

const traceId = 'Root=1-663210a1-6b05e1f2ab75cbbc8afd3ae1';
const now = new Date('2024-05-01T10:00:01.000Z');

function request(patch: Partial<WafRequest> = {}): WafRequest {
  return {
    clientIp: '203.0.113.7',
    method: 'GET',
    uri: '/health',
    args: '',
    headers: [
      { name: 'Host', value: 'lab.example.com' },
      { name: 'X-Amzn-Trace-Id', value: traceId },
    ],
    httpVersion: 'HTTP/1.1',
    requestId: traceId,
    ...patch,
  };
}

function verdictOf(patch: Partial<WafRequest>, state = new RateState()): WafDecision {
  return evaluateWebAcl(request(patch), state, now);
}

function rule(d: WafDecision): string {
  const groupRule = d.ruleGroupList.find((g) => g.terminatingRule !== null)?.terminatingRule?.ruleId;
  return groupRule !== undefined ? `${d.terminatingRuleId}/${groupRule}` : d.terminatingRuleId;
}

describe('AWS-AWSManagedRulesCommonRuleSet (cross-site scripting)', () => {
  test('query argument values with script, javascript: URLs, event handlers and loading elements are blocked, encoded once or twice', () => {
    for (const args of [
      'q=<script>alert(1)</script>',
      'q=%3CScRiPt%3Ealert(1)%3C%2Fscript%3E',
      'next=javascript:alert(document.domain)',
      'q=%253Cimg%2520src%253Dx%2520onerror%253Dalert(1)%253E',
      'name=x"+onmouseover%3D"alert(1)',
      'q=<svg/onload=alert(1)>',
      'q=%26lt%3Bscript%26gt%3Balert(1)',
      'a=1&q=<iframe srcdoc=x>',
    ]) {
      const d = verdictOf({ args });
      assert.equal(rule(d), 'AWS-AWSManagedRulesCommonRuleSet/CrossSiteScripting_QUERYARGUMENTS', args);
      assert.equal(d.terminatingRuleType, 'MANAGED_RULE_GROUP');
      assert.equal(d.terminatingRuleMatchDetails[0]?.conditionType, 'XSS');
      assert.equal(d.terminatingRuleMatchDetails[0]?.location, 'QUERY_STRING');
      assert.deepEqual(d.labels, [{ name: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments' }]);
      assert.equal(d.httpStatus, 403);
    }
    assert.deepEqual(verdictOf({ args: 'q=<script>alert(1)</script>' }).terminatingRuleMatchDetails, [{ conditionType: 'XSS', location: 'QUERY_STRING', matchedData: ['<', 'script'] }]);
  });

  test('the URI path is inspected too', () => {
    const d = verdictOf({ uri: '/search/%3Cscript%3Ealert(1)%3C/script%3E' });
    assert.equal(rule(d), 'AWS-AWSManagedRulesCommonRuleSet/CrossSiteScripting_URIPATH');
    assert.equal(d.terminatingRuleMatchDetails[0]?.location, 'URI');
    assert.deepEqual(d.labels, [{ name: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_URIPath' }]);
  });

  test('look-alikes pass: words, a parameter named on…, a lone angle bracket, scripts in a path', () => {
    for (const patch of [
      { args: 'q=scripting' },
      { args: 'q=javascript+tutorial' },
      { args: 'onboarding=true&onload=fast' },
      { args: 'q=a<b+and+c>d' },
      { args: 'q=I+%3C3+scripts' },
      { uri: '/scripts/app.js' },
      { uri: '/docs/onerror-handling' },
    ]) {
      const d = verdictOf(patch);
      assert.equal(d.action, 'ALLOW', JSON.stringify(patch));
      assert.equal(d.terminatingRuleId, 'Default_Action');
      assert.equal(d.terminatingRuleType, 'REGULAR');
      assert.equal(d.httpStatus, null);
    }
  });
});

describe('AWS-AWSManagedRulesSQLiRuleSet', () => {
  test('tautologies, UNION SELECT, stacked statements, comments after a quote and time delays are blocked', () => {
    for (const args of [
      "user=admin'%20or%20'1'='1",
      "id=1'+OR+1=1",
      'id=1+or+1=1',
      'q=1+UNION+ALL+SELECT+password+FROM+users',
      'q=1+union/**/select+1',
      'q=1;+DROP+TABLE+users',
      "user=admin'--",
      "user=admin'%23",
      'id=1+and+sleep(5)',
      "id=1;waitfor+delay+'0:0:5'",
    ]) {
      const d = verdictOf({ args });
      assert.equal(rule(d), 'AWS-AWSManagedRulesSQLiRuleSet/SQLi_QUERYARGUMENTS', args);
      assert.equal(d.terminatingRuleMatchDetails[0]?.conditionType, 'SQL_INJECTION');
      assert.deepEqual(d.labels, [{ name: 'awswaf:managed:aws:sql-database:SQLi_QueryArguments' }]);
    }
    assert.deepEqual(verdictOf({ args: "user=x'+or+'1'='1" }).terminatingRuleMatchDetails, [
      { conditionType: 'SQL_INJECTION', location: 'QUERY_STRING', matchedData: ["'", 'or', "'", '1', "'", '=', "'", '1'] },
    ]);
  });

  test('the URI path is inspected too', () => {
    const d = verdictOf({ uri: "/items/1'%20OR%20'1'='1" });
    assert.equal(rule(d), 'AWS-AWSManagedRulesSQLiRuleSet/SQLi_URIPATH');
    assert.equal(d.terminatingRuleMatchDetails[0]?.location, 'URI');
    assert.deepEqual(d.labels, [{ name: 'awswaf:managed:aws:sql-database:SQLi_URIPath' }]);
  });

  test("look-alikes pass: O'Brien, union members select, a dash after an apostrophe, sleep without a number", () => {
    for (const args of ["name=O'Brien", "name=O'Brien&city=St.+John's", 'q=union+members+select+a+leader', "q=it's+--+fine", 'q=sleep+(well)', 'q=select+one+from+the+list', 'q=1=1']) {
      assert.equal(verdictOf({ args }).action, 'ALLOW', args);
    }
  });
});

describe('IP set and rate-based rule', () => {
  test('IP sets match IPv4 and IPv6 CIDR ranges and single addresses, IPv4-mapped addresses as IPv4', () => {
    const set = new IpSet(['198.51.100.0/24', '203.0.113.9', '2001:db8:abcd::/48']);
    assert.equal(set.has('198.51.100.200'), true);
    assert.equal(set.has('198.51.101.1'), false);
    assert.equal(set.has('203.0.113.9'), true);
    assert.equal(set.has('203.0.113.10'), false);
    assert.equal(set.has('::ffff:198.51.100.7'), true);
    assert.equal(set.has('2001:db8:abcd:12::1'), true);
    assert.equal(set.has('2001:db8:abce::1'), false);
    assert.equal(set.has('not an address'), false);
    assert.throws(() => new IpSet(['10.0.0.0/33']), /not an IPv4 or IPv6 address or CIDR range/);
    assert.throws(() => new IpSet(['lab.example.com']), /not an IPv4 or IPv6/);
    assert.equal(plainIp('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(plainIp('::1'), '::1');
  });

  test('LabBlockedIPs blocks the listed clients before any other rule', () => {
    const state = new RateState({ blockedIps: ['203.0.113.0/24', '2001:db8::/32'] });
    for (const clientIp of ['203.0.113.7', '::ffff:203.0.113.7', '2001:db8::7']) {
      const d = evaluateWebAcl(request({ clientIp, args: "q=<script>&id=1'+or+'1'='1" }), state, now);
      assert.equal(d.terminatingRuleId, 'LabBlockedIPs', clientIp);
      assert.equal(d.terminatingRuleType, 'REGULAR');
      assert.equal(d.action, 'BLOCK');
      assert.deepEqual(d.ruleGroupList, [], 'the rule groups after it were never evaluated');
    }
    assert.equal(evaluateWebAcl(request({ clientIp: '192.0.2.1' }), state, now).action, 'ALLOW');
  });

  test('priority: cross-site scripting before SQL injection; the rule groups evaluated are listed', () => {
    const both = verdictOf({ args: "q=<script>&id=1'+or+'1'='1" });
    assert.equal(both.terminatingRuleId, 'AWS-AWSManagedRulesCommonRuleSet');
    assert.deepEqual(both.ruleGroupList.map((g) => g.ruleGroupId), ['AWS#AWSManagedRulesCommonRuleSet']);
    const sqli = verdictOf({ args: "id=1'+or+'1'='1" });
    assert.deepEqual(
      sqli.ruleGroupList.map((g) => [g.ruleGroupId, g.terminatingRule?.ruleId ?? null]),
      [
        ['AWS#AWSManagedRulesCommonRuleSet', null],
        ['AWS#AWSManagedRulesSQLiRuleSet', 'SQLi_QUERYARGUMENTS'],
      ],
    );
    assert.deepEqual(verdictOf({}).ruleGroupList.map((g) => g.terminatingRule), [null, null]);
  });

  test('LabRateLimit blocks a client over the limit within the window, which slides; requests blocked earlier do not count', () => {
    const state = new RateState({ rateLimit: 3, rateWindowSeconds: 10 });
    const at = (seconds: number, clientIp = '203.0.113.7', args = ''): WafDecision => evaluateWebAcl(request({ clientIp, args }), state, new Date(now.getTime() + seconds * 1000));
    assert.deepEqual([at(0), at(1), at(2)].map((d) => d.action), ['ALLOW', 'ALLOW', 'ALLOW']);
    assert.equal(at(3, '203.0.113.7', 'q=<script>').terminatingRuleId, 'AWS-AWSManagedRulesCommonRuleSet');
    const over = at(4);
    assert.equal(over.action, 'BLOCK');
    assert.equal(over.terminatingRuleId, 'LabRateLimit');
    assert.equal(over.terminatingRuleType, 'RATE_BASED');
    assert.equal(over.httpStatus, 403);
    assert.deepEqual(over.rateBasedRuleList.map(({ rateBasedRuleName, limitKey, maxRateAllowed, evaluationWindowSec }) => ({ rateBasedRuleName, limitKey, maxRateAllowed, evaluationWindowSec })), [
      { rateBasedRuleName: 'LabRateLimit', limitKey: 'IP', maxRateAllowed: 3, evaluationWindowSec: '10' },
    ]);
    assert.match(over.rateBasedRuleList[0]!.rateBasedRuleId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(at(4, '192.0.2.1').action, 'ALLOW', 'another client has its own count');
    // At 10.5 s the requests of 0 s have left the window; 1, 2, 4 and this one are 4 > 3.
    assert.equal(at(10.5).terminatingRuleId, 'LabRateLimit');
    // At 14.5 s only the request of 10.5 s is still in the window: with this one, 2.
    assert.equal(at(14.5).action, 'ALLOW');
    assert.throws(() => new RateState({ rateLimit: 0 }), /positive whole number/);
  });
});

function probeGot403(): ProbeResult {
  return {
    target: { url: 'https://lab.example.com/health', host: 'lab.example.com', port: 443, serverName: 'lab.example.com', address: '127.0.0.1', addresses: ['127.0.0.1'] },
    identity: null,
    timings: { dns: 0, tcp: 1, tls: 5, firstByte: 8, total: 10 },
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'http/1.1', serverCertificates: [], certificateRequest: null, clientCertificateSent: false, serverCertificateVerified: true },
    trace: [],
    http: { status: 403, httpVersion: 'HTTP/1.1', headers: {}, bodyPreview: '', bodyBytes: 0 },
    correlationId: traceId,
    verdict: { stoppedAt: 'http', reason: 'http_403_forbidden', summary: 'HTTP 403.', confidence: 'probe', evidence: [] },
    client: { address: '203.0.113.7', port: 50000 },
    startedAt: '2024-05-01T10:00:00.995Z',
    error: null,
  };
}

describe('wafLogRecord', () => {
  const meta = { timestamp: now, webAclId: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/lab-web-acl/a1b2c3d4', httpSourceId: '123456789012-app/lab/50dc6c495c0c9188' };

  test('the documented fields in their order, secrets redacted as AWS writes them, addresses and versions in AWS form', () => {
    const req = request({
      clientIp: '::ffff:203.0.113.7',
      httpVersion: '2.0',
      method: 'post',
      country: 'NL',
      args: 'q=<script>',
      headers: [
        { name: 'Host', value: 'lab.example.com' },
        { name: 'authorization', value: 'Bearer s3cr3t' },
        { name: 'Cookie', value: 'session=s3cr3t' },
        { name: 'X-Api-Key', value: 's3cr3t' },
        { name: 'Proxy-Authorization', value: 'Basic s3cr3t' },
        { name: 'X-Amz-Security-Token', value: 's3cr3t' },
        { name: 'Set-Cookie', value: 's3cr3t' },
        { name: 'X-Amzn-Trace-Id', value: traceId },
      ],
    });
    const record = wafLogRecord(evaluateWebAcl(req, new RateState(), now), req, meta);
    assert.deepEqual(Object.keys(record), [
      'timestamp', 'formatVersion', 'webaclId', 'terminatingRuleId', 'terminatingRuleType', 'action', 'terminatingRuleMatchDetails', 'httpSourceName', 'httpSourceId',
      'ruleGroupList', 'rateBasedRuleList', 'nonTerminatingMatchingRules', 'requestHeadersInserted', 'responseCodeSent', 'httpRequest', 'labels',
    ]);
    assert.equal(record.timestamp, now.getTime());
    assert.equal(record.formatVersion, 1);
    assert.equal(record.httpSourceName, 'ALB');
    assert.equal(record.responseCodeSent, null);
    assert.equal(record.requestHeadersInserted, null);
    const http = record.httpRequest as Record<string, unknown>;
    assert.deepEqual(Object.keys(http), ['clientIp', 'country', 'headers', 'uri', 'args', 'httpVersion', 'httpMethod', 'requestId']);
    assert.equal(http.clientIp, '203.0.113.7');
    assert.equal(http.httpVersion, 'HTTP/2.0');
    assert.equal(http.httpMethod, 'POST');
    const line = JSON.stringify(record);
    assert.doesNotMatch(line, /s3cr3t/);
    const headers = http.headers as Array<{ name: string; value: string }>;
    assert.deepEqual(headers.filter((h) => h.value === 'REDACTED').map((h) => h.name), ['authorization', 'Cookie', 'X-Api-Key', 'Proxy-Authorization', 'X-Amz-Security-Token', 'Set-Cookie']);
    assert.equal(headers[0]!.value, 'lab.example.com');
    assert.equal(wafLogRecord(verdictOf({}), request(), { ...meta, responseCodeSent: 429 }).responseCodeSent, 429);
    assert.equal('labels' in wafLogRecord(verdictOf({}), request(), meta), false, 'no labels, no labels field');
    assert.equal((wafLogRecord(verdictOf({}), request(), meta).httpRequest as Record<string, unknown>).country, '-');
  });

  test("the product's parser reads the record, its collector matches it by httpRequest.requestId, and the verdict is confirmed", () => {
    const req = request({ args: 'q=%3Cscript%3Ealert(1)%3C%2Fscript%3E' });
    const line = JSON.stringify(wafLogRecord(evaluateWebAcl(req, new RateState(), now), req, meta));
    const parsed = parseWafLogLine(line);
    assert.ok(parsed !== null);
    assert.equal(parsed.action, 'BLOCK');
    assert.equal(parsed.httpRequest.requestId, traceId);
    assert.equal(wafHeader(parsed, 'x-amzn-trace-id'), traceId);

    const collector = new LogRecordCollector({ traceId: 'Root=1-663210a1-6b05e1f2ab75cbbc8afd3ae1;Sampled=1' }, { from: new Date(now.getTime() - 60_000), to: new Date(now.getTime() + 60_000) });
    assert.equal(collector.addLine('waf-log', line, { file: 'waf.log', line: 1 }), true);
    const [event] = collector.events();
    assert.deepEqual(event?.matchedBy, [{ key: 'traceId', value: traceId }]);
    assert.equal(event?.summary, `WAF BLOCK by rule AWS-AWSManagedRulesCommonRuleSet (requestId ${traceId})`);

    const verdict = upgradeVerdict(probeGot403(), collector.events());
    assert.equal(verdict.stoppedAt, 'waf');
    assert.equal(verdict.reason, 'aws_waf_block');
    assert.equal(verdict.confidence, 'confirmed');
    assert.match(verdict.summary, /AWS WAF blocked the request \(rule AWS-AWSManagedRulesCommonRuleSet\)/);
  });
});
