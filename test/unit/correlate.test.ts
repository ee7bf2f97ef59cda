import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { albSerial, correlationKeysFor, describeEvidence, evidenceWindow, upgradeVerdict } from '../../src/core/evidence/correlate';
import type { EvidenceEvent, EvidenceKind, EvidenceMatch } from '../../src/core/evidence/types';
import type { Layer, ProbeResult, Verdict } from '../../src/core/probe/types';
import { probeResultFixture } from '../support/probe-results';

const traceId = 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca';
const clientPort = 54321;
const serial = '0A1B2C3D4E5F';

function probeResult(verdict: Partial<Verdict> & { stoppedAt: Layer | null; reason: string }, status: number | null, withIdentity = true): ProbeResult {
  return probeResultFixture({ verdict, status, serial: withIdentity ? serial : null, clientPort });
}

const resetAtMtls = (withIdentity = true): ProbeResult => probeResult({ stoppedAt: 'mtls', reason: 'reset_after_client_certificate' }, null, withIdentity);
const got403 = (): ProbeResult => probeResult({ stoppedAt: 'http', reason: 'http_403_forbidden', hint: 'Possibly a WAF block: fetch the WAF logs.' }, 403);
const got200 = (): ProbeResult => probeResult({ stoppedAt: null, reason: 'target_responded' }, 200);

function event(kind: EvidenceKind, record: Record<string, unknown>, matchedBy: EvidenceMatch[]): EvidenceEvent {
  const lane = kind === 'alb-connection-log' ? 'tls' : kind === 'alb-access-log' ? 'load-balancer' : 'waf';
  return { time: '2024-05-01T10:00:01.000Z', lane, kind, summary: `${kind} record`, matchedBy, origin: { file: `${kind}.log`, line: 3 }, record };
}

const byPort: EvidenceMatch[] = [{ key: 'clientPort', value: String(clientPort) }, { key: 'time', value: '2024-05-01T10:00:01.000Z' }];
const byTrace: EvidenceMatch[] = [{ key: 'traceId', value: traceId }];

const connLog = (status: string, extra: Record<string, unknown> = {}, matchedBy = byPort): EvidenceEvent =>
  event('alb-connection-log', { client_ip: '198.51.100.4', client_port: clientPort, leaf_client_cert_serial_number: serial, tls_verify_status: status, conn_trace_id: 'TID_1a2b', ...extra }, matchedBy);
const accessLog = (actions: string[], elbStatus: number, targetStatus: number | null, matchedBy = byTrace): EvidenceEvent =>
  event('alb-access-log', { trace_id: `Self=1-6b05e1f3-000000000000000000000000;${traceId}`, actions_executed: actions, elb_status_code: elbStatus, target_status_code: targetStatus, conn_trace_id: 'TID_1a2b' }, matchedBy);
const wafLog = (action: string, rule = 'AWS-AWSManagedRulesCommonRuleSet'): EvidenceEvent =>
  event('waf-log', { action, terminatingRuleId: rule, httpRequest: { requestId: traceId, clientIp: '198.51.100.4' } }, byTrace);
const modSecurity = (httpCode: number): EvidenceEvent =>
  event('modsecurity-audit-log', { transaction: { client_port: clientPort, request: { headers: { 'X-Amzn-Trace-Id': traceId } }, response: { http_code: httpCode }, messages: [{ message: 'XSS Attack Detected', details: { ruleId: '941100' } }] } }, byTrace);

describe('correlation keys and the time window', () => {
  test('keys carry the trace id, the client address and port, the serial in ALB form and when the connection was open', () => {
    assert.deepEqual(correlationKeysFor(resetAtMtls()), {
      traceId,
      clientIp: '192.0.2.7',
      clientPort,
      clientCertSerial: '0A1B2C3D4E5F',
      probeTime: { from: '2024-05-01T10:00:00.000Z', to: '2024-05-01T10:00:01.500Z' },
    });
    assert.equal(correlationKeysFor(resetAtMtls(false)).clientCertSerial, undefined);
  });

  test('serials: uppercase, no separators, no DER sign-padding byte, a leading zero nibble kept', () => {
    assert.equal(albSerial('0a:1b:2c'), '0A1B2C');
    assert.equal(albSerial('00:ff:01'), 'FF01');
    assert.equal(albSerial('00'), '00');
  });

  test('the window widens the probe by 2 minutes before and 5 after by default, or as asked', () => {
    const w = evidenceWindow(resetAtMtls());
    assert.equal(w.from.toISOString(), '2024-05-01T09:58:00.000Z');
    assert.equal(w.to.toISOString(), '2024-05-01T10:05:01.500Z');
    const narrow = evidenceWindow(resetAtMtls(), { beforeMs: 1000, afterMs: 0 });
    assert.equal(narrow.from.toISOString(), '2024-05-01T09:59:59.000Z');
    assert.equal(narrow.to.toISOString(), '2024-05-01T10:00:01.500Z');
  });
});

describe('upgradeVerdict', () => {
  interface Case {
    name: string;
    result: () => ProbeResult;
    events: EvidenceEvent[];
    stoppedAt: Layer | null;
    reason: string;
    confidence: 'probe' | 'confirmed';
    summary?: RegExp;
    notSummary?: RegExp;
    hint?: RegExp | null;
    used: number;
  }
  const cases: Case[] = [
    {
      name: 'no evidence: the probe verdict, unchanged',
      result: resetAtMtls, events: [], stoppedAt: 'mtls', reason: 'reset_after_client_certificate', confidence: 'probe', summary: /^The probe alone says so\.$/, used: 0,
    },
    {
      name: 'connection log Failed:ClientCertUntrusted confirms mtls, quotes ALB, and the request never reached the WAF',
      result: resetAtMtls, events: [connLog('Failed:ClientCertUntrusted')], stoppedAt: 'mtls', reason: 'alb_client_cert_untrusted', confidence: 'confirmed',
      summary: /tls_verify_status=Failed:ClientCertUntrusted .*does not chain to a CA in the trust store.*never reached the WAF/, hint: null, used: 1,
    },
    {
      name: 'a quoted status and a code without a known meaning still map to a reason',
      result: resetAtMtls, events: [connLog('"Failed:UnmappedConnectionError"')], stoppedAt: 'mtls', reason: 'alb_unmapped_connection_error', confidence: 'confirmed', summary: /Failed:UnmappedConnectionError/, used: 1,
    },
    {
      name: 'a tls-level reset becomes mtls when ALB says it refused the certificate (no "never reached the WAF": the probe did not see an mTLS refusal)',
      result: () => probeResult({ stoppedAt: 'tls', reason: 'reset_during_handshake' }, null), events: [connLog('Failed:ClientCertExpired')],
      stoppedAt: 'mtls', reason: 'alb_client_cert_expired', confidence: 'confirmed', notSummary: /never reached the WAF/, used: 1,
    },
    {
      name: 'a connection-log failure matched by conn_trace_id counts too',
      result: resetAtMtls, events: [connLog('Failed:ClientCertCrlHit', {}, [{ key: 'connTraceId', value: 'TID_1a2b' }])], stoppedAt: 'mtls', reason: 'alb_client_cert_crl_hit', confidence: 'confirmed', used: 1,
    },
    {
      name: 'access log ending in waf turns a 403 into a confirmed waf stop',
      result: got403, events: [accessLog(['waf'], 403, null)], stoppedAt: 'waf', reason: 'aws_waf_block', confidence: 'confirmed', summary: /actions_executed=waf and elb_status_code 403/, hint: null, used: 1,
    },
    {
      name: 'a WAF BLOCK record names the terminating rule',
      result: got403, events: [connLog('Success'), accessLog(['waf'], 403, null), wafLog('BLOCK', 'AWS-AWSManagedRulesKnownBadInputsRuleSet')],
      stoppedAt: 'waf', reason: 'aws_waf_block', confidence: 'confirmed', summary: /^AWS WAF blocked the request \(rule AWS-AWSManagedRulesKnownBadInputsRuleSet\): AWS WAF logged action BLOCK/, used: 3,
    },
    {
      name: 'a ModSecurity 403 names the rule id',
      result: got403, events: [modSecurity(403)], stoppedAt: 'waf', reason: 'modsecurity_block', confidence: 'confirmed', summary: /ModSecurity blocked the request \(rule 941100\)/, used: 1,
    },
    {
      name: 'connection Success and an access log reaching the target with the same status confirm a 200',
      result: got200, events: [connLog('Success'), accessLog(['waf', 'forward'], 200, 200), wafLog('ALLOW', 'Default_Action')],
      stoppedAt: null, reason: 'target_responded', confidence: 'confirmed', summary: /The probe alone says so\. Server-side logs agree: .*tls_verify_status=Success/, used: 3,
    },
    {
      name: 'a 403 the WAF let through stays http, confirmed, and the WAF hint is settled',
      result: got403, events: [accessLog(['waf', 'forward'], 403, 403), wafLog('ALLOW', 'Default_Action')],
      stoppedAt: 'http', reason: 'http_403_forbidden', confidence: 'confirmed', hint: /the 403 came from behind it/, used: 2,
    },
    {
      name: 'a connection-log Success alone fits but does not confirm',
      result: got200, events: [connLog('Success')], stoppedAt: null, reason: 'target_responded', confidence: 'probe', used: 1,
    },
    {
      name: 'contradiction: WAF ALLOW for this trace id while the probe says mtls',
      result: resetAtMtls, events: [wafLog('ALLOW', 'Default_Action')], stoppedAt: 'mtls', reason: 'reset_after_client_certificate', confidence: 'probe',
      hint: /contradicts the probe: AWS WAF logged action ALLOW .*but the probe saw the connection stop at mtls/, used: 0,
    },
    {
      name: 'contradiction: ALB says Failed but the probe got HTTP 200',
      result: got200, events: [connLog('Failed:ClientCertUntrusted')], stoppedAt: null, reason: 'target_responded', confidence: 'probe', hint: /Failed:ClientCertUntrusted .*but the probe got HTTP 200/, used: 0,
    },
    {
      name: 'contradiction: a WAF BLOCK does not confirm a 200',
      result: got200, events: [connLog('Success'), wafLog('BLOCK')], stoppedAt: null, reason: 'target_responded', confidence: 'probe', hint: /action BLOCK .*got HTTP 200/, used: 1,
    },
    {
      name: 'contradiction: the access log status differs from what the probe got',
      result: got403, events: [accessLog(['forward'], 502, null)], stoppedAt: 'http', reason: 'http_403_forbidden', confidence: 'probe', hint: /elb_status_code 502, but the probe got HTTP 403\..*Possibly a WAF block/, used: 0,
    },
    {
      name: 'a record matched only by serial, minutes after the probe, is not this probe\'s',
      result: resetAtMtls,
      events: [{ ...connLog('Failed:ClientCertUntrusted', { client_port: 1111 }, [{ key: 'clientCertSerial', value: serial }]), time: '2024-05-01T10:03:00.000Z' }],
      stoppedAt: 'mtls', reason: 'reset_after_client_certificate', confidence: 'probe', used: 0,
    },
    {
      name: 'behind NAT: the only connection with the probe\'s certificate while it was open is its own, and the summary says how it matched',
      result: resetAtMtls, events: [connLog('Failed:ClientCertUntrusted', { client_port: 1111 }, [{ key: 'clientCertSerial', value: serial }])],
      stoppedAt: 'mtls', reason: 'alb_client_cert_untrusted', confidence: 'confirmed', used: 1, summary: /Matched by time and certificate: the load balancer saw the probe as 198\.51\.100\.4:1111, behind NAT/,
    },
    {
      name: 'behind NAT without a certificate: the only certificate-less connection at the probe\'s moment is its own',
      result: () => resetAtMtls(false),
      events: [
        connLog('Failed:ClientCertMissing', { client_port: 1111, leaf_client_cert_serial_number: '-' }, [{ key: 'probeTime', value: '2024-05-01T10:00:01.000Z' }]),
        connLog('Failed:ClientCertUntrusted', { client_port: 2222 }, [{ key: 'clientCertSerial', value: serial }]),
      ],
      stoppedAt: 'mtls', reason: 'alb_client_cert_missing', confidence: 'confirmed', used: 1,
    },
    {
      name: 'behind NAT with two such connections at once: none is used, and the hint says why',
      result: resetAtMtls,
      events: [
        connLog('Failed:ClientCertUntrusted', { client_port: 1111 }, [{ key: 'clientCertSerial', value: serial }]),
        connLog('Failed:ClientCertUntrusted', { client_port: 2222 }, [{ key: 'clientCertSerial', value: serial }]),
      ],
      stoppedAt: 'mtls', reason: 'reset_after_client_certificate', confidence: 'probe', used: 0, hint: /2 connections with this certificate at the probe's moment/,
    },
    {
      name: 'another port from the probe\'s own address is another connection, not a NAT view of the probe',
      result: resetAtMtls, events: [connLog('Failed:ClientCertUntrusted', { client_ip: '192.0.2.7', client_port: 1111 }, [{ key: 'clientCertSerial', value: serial }])],
      stoppedAt: 'mtls', reason: 'reset_after_client_certificate', confidence: 'probe', used: 0,
    },
    {
      name: 'a connection log for another certificate is not this probe\'s, even on the same port',
      result: resetAtMtls, events: [connLog('Failed:ClientCertUntrusted', { leaf_client_cert_serial_number: 'FFEE' })], stoppedAt: 'mtls', reason: 'reset_after_client_certificate', confidence: 'probe', used: 0,
    },
    {
      name: 'a probe without a certificate matches a connection log without a serial',
      result: () => resetAtMtls(false), events: [connLog('Failed:ClientCertUntrusted', { leaf_client_cert_serial_number: '-' })], stoppedAt: 'mtls', reason: 'alb_client_cert_untrusted', confidence: 'confirmed', used: 1,
    },
    {
      name: 'an access-log line tied only by the record\'s own trace id (Self=…;Root=…) still counts',
      result: got403, events: [accessLog(['waf'], 403, null, [{ key: 'time', value: 'x' }])], stoppedAt: 'waf', reason: 'aws_waf_block', confidence: 'confirmed', used: 1,
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const result = c.result();
      const before = structuredClone(result);
      const events = structuredClone(c.events);
      const verdict = upgradeVerdict(result, events);
      assert.equal(verdict.stoppedAt, c.stoppedAt);
      assert.equal(verdict.reason, c.reason);
      assert.equal(verdict.confidence, c.confidence);
      if (c.summary) assert.match(verdict.summary, c.summary);
      if (c.notSummary) assert.doesNotMatch(verdict.summary, c.notSummary);
      if (c.hint === null) assert.equal(verdict.hint, undefined);
      else if (c.hint) assert.match(verdict.hint ?? '', c.hint);
      assert.equal(verdict.evidence.length, c.used);
      // Never mutates: neither the result (its verdict included) nor the events.
      assert.deepEqual(result, before);
      assert.deepEqual(events, c.events);
      assert.notEqual(verdict, result.verdict);
    });
  }

  test('the events used keep their matchedBy', () => {
    const conn = connLog('Failed:ClientCertUntrusted');
    const verdict = upgradeVerdict(resetAtMtls(), [conn]);
    assert.deepEqual((verdict.evidence[0] as EvidenceEvent).matchedBy, byPort);
  });
});

describe('describeEvidence', () => {
  test('one header line, then each record with its time, kind, summary and what it matched by', () => {
    const lines = describeEvidence([wafLog('BLOCK'), connLog('Success')], { stats: { files: 2, lines: 1204, skippedLines: 1 }, problems: [{ file: 'x.log', message: 'not a log format this tool reads' }] });
    assert.equal(lines[0], 'Evidence (local logs): 2 records matched — 2 files, 1,204 lines read, 1 unparsable line skipped:');
    assert.match(lines[1]!, /^ {2}2024-05-01T10:00:01\.000Z {2}waf-log {2}waf-log record$/);
    assert.equal(lines[2], `      matched by traceId=${traceId} (waf-log.log:3)`);
    assert.match(lines[4]!, /matched by clientPort=54321, time=/);
    assert.equal(lines[5], '  Not read: x.log: not a log format this tool reads');
  });

  test('records the verdict did not use are marked', () => {
    const used = connLog('Failed:ClientCertUntrusted');
    const other = wafLog('ALLOW');
    const lines = describeEvidence([used, other], { stats: { files: 2, lines: 2, skippedLines: 0 }, problems: [] }, { used: [used], sourceLabel: 'test logs' });
    assert.match(lines[0]!, /^Evidence \(test logs\): 2 records matched/);
    assert.doesNotMatch(lines[2]!, /not used/);
    assert.match(lines[4]!, /; not used for the verdict/);
  });

  test('no records', () => {
    assert.deepEqual(describeEvidence([], { stats: { files: 1, lines: 1, skippedLines: 0 }, problems: [] }), ['Evidence (local logs): no records matched — 1 file, 1 line read.']);
  });
});
