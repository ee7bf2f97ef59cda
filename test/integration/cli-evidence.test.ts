// The built CLI with server-side evidence: the ALB-like target writes a real ALB connection-log file as it
// decides each connection (as an ALB node does), a WAF log holds a BLOCK record for a trace id the test
// chooses, and `probe --evidence` / `evidence` read them back.

import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { connectionLogLine as albConnectionLogLine } from '../support/alb-log-lines';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';
import { builtCli, runBuiltCli } from '../support/built-cli';

const cli = builtCli;
const run = runBuiltCli;

let env: TestPkiFiles;
let target: AlbLikeTarget;
let logs: string;
/** Client port → the serial of the certificate that connection presented (set by the test before probing). */
let presentedSerial: string | null = null;

const connLogFile = (): string => join(logs, 'alb', 'conn_log_123456789012_elasticloadbalancing_us-east-1_app.probe-test.50dc6c495c0c9188_20240501T1000Z_10.0.0.1_2soosksg.log');
const wafLogFile = (): string => join(logs, 'waf', 'aws-waf-logs-probe-test.log');

function serialOf(certFile: string): Promise<string> {
  return readFile(certFile).then((pem) => new X509Certificate(pem).serialNumber.toUpperCase());
}

function newTraceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

/** The target's entry as a line of ALB's connection log, with the certificate the test presented. */
function connectionLogLine(entry: AlbLikeTarget['connectionLog'][number]): string {
  return albConnectionLogLine(entry, { serial: presentedSerial, listenerPort: target.port, loadBalancer: 'app/probe-test/50dc6c495c0c9188' });
}

before(async () => {
  assert.ok(existsSync(cli), 'dist/cli.js is missing: run npm run build first (npm test does)');
  env = await makePkiFiles();
  target = await startAlbLikeTarget({ pki: env.pki });
  logs = await mkdtemp(join(tmpdir(), 'mtls-probe-evidence-'));
  await mkdir(join(logs, 'alb'));
  await mkdir(join(logs, 'waf'));
  await writeFile(connLogFile(), '');
  await writeFile(wafLogFile(), '');
  // Like an ALB node, the target records each connection as it decides it, before the client sees the outcome:
  // the log file is complete by the time the CLI reads it after the probe.
  const log = target.connectionLog;
  const push = log.push.bind(log);
  log.push = (...entries) => {
    for (const entry of entries) appendFileSync(connLogFile(), `${connectionLogLine(entry)}\n`);
    return push(...entries);
  };
});

after(() => target.close());

describe('mtls-probe probe --evidence', () => {
  test('an untrusted certificate: the connection log confirms mtls with ALB\'s reason, and the request never reached the WAF', async () => {
    const client = env.files.client('untrusted');
    presentedSerial = await serialOf(client.cert);
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '--cert', client.cert, '--key', client.key, '--evidence', logs, '--no-timestamps']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Verdict: stopped at mtls — alb_client_cert_untrusted \(confirmed by server-side evidence\)/);
    assert.match(r.stdout, /tls_verify_status=Failed:ClientCertUntrusted/);
    assert.match(r.stdout, /never reached the WAF/);
    // The evidence comes before the verdict, with what each record matched by.
    const evidenceAt = r.stdout.indexOf('Evidence (local logs): 1 record matched');
    assert.ok(evidenceAt >= 0 && evidenceAt < r.stdout.indexOf('Verdict:'), r.stdout);
    assert.match(r.stdout, new RegExp(`matched by clientIp=127\\.0\\.0\\.1, clientPort=\\d+, clientCertSerial=${presentedSerial}`));
  });

  test('--json carries the upgraded verdict with the records it used, and the evidence report', async () => {
    const client = env.files.client('expired');
    presentedSerial = await serialOf(client.cert);
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '--cert', client.cert, '--key', client.key, '--evidence', connLogFile(), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.verdict.stoppedAt, 'mtls');
    assert.equal(result.verdict.reason, 'alb_client_cert_expired');
    assert.equal(result.verdict.confidence, 'confirmed');
    assert.equal(result.verdict.evidence.length, 1);
    assert.equal(result.verdict.evidence[0].record.client_port, result.client.port);
    assert.equal(result.verdict.evidence[0].record.tls_verify_status, 'Failed:ClientCertExpired');
    assert.ok(result.evidence.stats.files === 1 && result.evidence.events.length >= 1);
  });

  test('a 403 with a WAF BLOCK record for the probe\'s trace id: stopped at waf, with the rule', async () => {
    const client = env.files.client('valid');
    presentedSerial = await serialOf(client.cert);
    const traceId = newTraceId();
    const record = {
      timestamp: Date.now(), formatVersion: 1, webaclId: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/probe-test/1a2b', terminatingRuleId: 'AWS-AWSManagedRulesCommonRuleSet',
      terminatingRuleType: 'MANAGED_RULE_GROUP', action: 'BLOCK', terminatingRuleMatchDetails: [], httpSourceName: 'ALB', httpSourceId: '123456789012-app/probe-test/50dc6c495c0c9188',
      ruleGroupList: [], rateBasedRuleList: [], nonTerminatingMatchingRules: [],
      httpRequest: { clientIp: '127.0.0.1', country: '-', headers: [{ name: 'X-Amzn-Trace-Id', value: traceId }], uri: '/', args: 'q=<script>alert(1)</script>', httpVersion: 'HTTP/1.1', httpMethod: 'GET', requestId: traceId.slice('Root='.length) },
    };
    appendFileSync(wafLogFile(), `${JSON.stringify(record)}\n`);
    const r = await run(['probe', `${target.url}?q=<script>alert(1)</script>`, '--cacert', env.files.caFile, '--cert', client.cert, '--key', client.key, '--correlation-id', traceId, '--evidence', join(logs, 'waf'), '--evidence', join(logs, 'alb'), '--no-timestamps']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /< 403/);
    assert.match(r.stdout, /Verdict: stopped at waf — aws_waf_block \(confirmed by server-side evidence\)/);
    assert.match(r.stdout, /AWS WAF blocked the request \(rule AWS-AWSManagedRulesCommonRuleSet\)/);
    assert.match(r.stdout, new RegExp(`matched by traceId=${traceId.slice('Root='.length)}`));
  });

  test('a record of another request (same address, another trace id) is listed but leaves the verdict the probe\'s own', async () => {
    presentedSerial = null;
    const otherWafLog = join(logs, 'waf', 'aws-waf-logs-other.log');
    const other = { timestamp: Date.now(), action: 'ALLOW', terminatingRuleId: 'Default_Action', httpRequest: { clientIp: '127.0.0.1', headers: [], uri: '/', httpMethod: 'GET', requestId: newTraceId().slice('Root='.length) } };
    await writeFile(otherWafLog, `${JSON.stringify(other)}\n`);
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '--evidence', otherWafLog, '--no-timestamps']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Evidence \(local logs\): 1 record matched/);
    assert.match(r.stdout, /matched by clientIp=127\.0\.0\.1 .*; not used for the verdict/);
    assert.match(r.stdout, /Verdict: stopped at mtls — reset_after_client_certificate \(from the probe alone/);
  });

  test('an empty log: no records matched', async () => {
    const empty = join(logs, 'empty.log');
    await writeFile(empty, '');
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '--evidence', empty, '--no-timestamps']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Evidence \(local logs\): no records matched — /);
  });

  test('bad input: exit 2 with one line, before any probe', async () => {
    const missing = await run(['probe', target.url, '--evidence', join(logs, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^mtls-probe: .*nope cannot be read \(ENOENT\): give an existing log file or folder\.\n$/);
    const badId = await run(['probe', target.url, '--correlation-id', 'Root=1-xyz']);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /--correlation-id takes an X-Amzn-Trace-Id/);
  });
});

describe('mtls-probe evidence', () => {
  test('finds a probe\'s connection-log record from its correlation id, address and port, written after the probe', async () => {
    const client = env.files.client('untrusted');
    presentedSerial = await serialOf(client.cert);
    const probeRun = await run(['probe', target.url, '--cacert', env.files.caFile, '--cert', client.cert, '--key', client.key, '--json']);
    assert.equal(probeRun.code, 0, probeRun.stderr);
    const result = JSON.parse(probeRun.stdout);
    const entry = target.connectionLog.find((e) => e.clientPort === result.client.port);
    assert.ok(entry, 'the target logged the probe\'s connection');
    const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-evidence-after-'));
    await writeFile(join(dir, 'conn_log_123456789012_elasticloadbalancing_us-east-1_app.after.1_20240501T1000Z_10.0.0.1_x.log'), `${connectionLogLine(entry)}\n`);
    const since = new Date(Date.parse(result.startedAt) - 60_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    const keys = ['--correlation-id', result.correlationId, '--client-ip', '127.0.0.1', '--client-port', String(result.client.port), '--serial', result.identity.serialNumber];

    const json = await run(['evidence', '--since', since, '--until', until, ...keys, '--json', dir]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.events.length, 1);
    assert.equal(report.events[0].kind, 'alb-connection-log');
    assert.equal(report.events[0].record.tls_verify_status, 'Failed:ClientCertUntrusted');
    assert.deepEqual(report.events[0].matchedBy.map((m: { key: string }) => m.key).sort(), ['clientCertSerial', 'clientIp', 'clientPort']);

    const human = await run(['evidence', '--since', since, '--until', until, ...keys, dir]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /Evidence \(local logs\): 1 record matched — 1 file, 1 line read:/);
    assert.match(human.stdout, /alb-connection-log {2}ALB connection log: tls_verify_status Failed:ClientCertUntrusted/);
  });

  test('behind NAT: --probe-time finds the only certificate-less connection of that moment, though its address is not the probe\'s', async () => {
    presentedSerial = null;
    const probeRun = await run(['probe', target.url, '--cacert', env.files.caFile, '--json']);
    assert.equal(probeRun.code, 0, probeRun.stderr);
    const result = JSON.parse(probeRun.stdout);
    const entry = target.connectionLog.find((e) => e.clientPort === result.client.port);
    assert.ok(entry);
    // What the load balancer logged: the NAT gateway's address and port, and another client a minute later.
    const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-evidence-nat-'));
    const nat = albConnectionLogLine({ ...entry, clientPort: 61000 }, { clientIp: '192.0.2.200', serial: null, listenerPort: target.port, loadBalancer: 'app/probe-test/50dc6c495c0c9188' });
    const later = albConnectionLogLine(
      { time: new Date(Date.parse(entry.time) + 60_000).toISOString(), clientPort: 61001, tlsVerifyStatus: 'Failed:ClientCertMissing' },
      { clientIp: '192.0.2.201', serial: null, listenerPort: target.port, loadBalancer: 'app/probe-test/50dc6c495c0c9188' },
    );
    await writeFile(join(dir, 'conn_log_123456789012_elasticloadbalancing_us-east-1_app.nat.1_20240501T1000Z_10.0.0.1_x.log'), `${nat}\n${later}\n`);
    const end = new Date(Date.parse(result.startedAt) + result.timings.total).toISOString();
    const window = ['--since', new Date(Date.parse(result.startedAt) - 60_000).toISOString(), '--until', new Date(Date.now() + 120_000).toISOString()];
    const r = await run(['evidence', ...window, '--client-ip', '10.9.9.9', '--probe-time', `${result.startedAt}/${end}`, '--json', dir]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.events.map((e: { record: { client_port: number }; matchedBy: Array<{ key: string }> }) => [e.record.client_port, e.matchedBy.map((m) => m.key)]), [[61000, ['probeTime']]]);
    assert.deepEqual(report.keys.probeTime, { from: result.startedAt, to: end });
  });

  test('bad arguments and unreadable input exit 2 with one line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['evidence', '--since', '2024-05-01T00:00:00Z', '--until', '2024-05-02T00:00:00Z', '--probe-time', '2024-05-01T10:00:02Z/2024-05-01T10:00:01Z', logs], /--probe-time .*: the start is after the end/],
      [['evidence', '--since', '2024-05-01T00:00:00Z', '--until', '2024-05-02T00:00:00Z', '--probe-time', 'noon', logs], /--probe-time takes an ISO 8601 time/],
      [['evidence', '--until', '2024-05-01T10:00:00Z', '--client-ip', '127.0.0.1', logs], /--since is required/],
      [['evidence', '--since', 'yesterday', '--until', '2024-05-01T10:00:00Z', '--client-ip', '127.0.0.1', logs], /--since takes an ISO 8601 time/],
      [['evidence', '--since', '2024-05-02T00:00:00Z', '--until', '2024-05-01T00:00:00Z', '--client-ip', '127.0.0.1', logs], /is after --until/],
      [['evidence', '--since', '2024-05-01T00:00:00Z', '--until', '2024-05-02T00:00:00Z', logs], /at least one key/],
      [['evidence', '--since', '2024-05-01T00:00:00Z', '--until', '2024-05-02T00:00:00Z', '--client-port', '99999', logs], /--client-port takes a port number/],
      [['evidence', '--since', '2024-05-01T00:00:00Z', '--until', '2024-05-02T00:00:00Z', '--serial', 'xyz', logs], /--serial takes the certificate serial in hex/],
      [['evidence', '--since', '2024-05-01T00:00:00Z', '--until', '2024-05-02T00:00:00Z', '--client-ip', '127.0.0.1'], /at least one log file or folder/],
      [['evidence', '--since', '2024-05-01T00:00:00Z', '--until', '2024-05-02T00:00:00Z', '--client-ip', '127.0.0.1', join(logs, 'missing.log')], /missing\.log cannot be read \(ENOENT\)/],
      [['evidence', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
