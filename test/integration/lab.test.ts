// The local lab against the real probe: every identity of its PKI ends as an ALB in mTLS verify mode must answer,
// confirmed from the lab's own AWS-format logs through the same readers as real AWS logs; passthrough and off modes;
// the WAF's rules; the files named and laid out as AWS delivers them; the CLI's `lab` and `demo`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { startLab, type Lab, type LabOptions } from '../../src/core/lab/lab';
import { runCheck, type CheckTarget } from '../../src/core/runs/run-service';
import type { CheckRun } from '../../src/core/runs/check-run';
import { builtCli, runBuiltCli } from '../support/built-cli';

async function identity(lab: Lab, name: string): Promise<ClientIdentity> {
  const files = lab.identities[name]!;
  return loadPemIdentity({ certFile: files.cert, keyFile: files.key, label: name });
}

async function probeLab(lab: Lab, who: string | null, path = '/'): Promise<CheckRun> {
  const target: CheckTarget = { kind: 'url', name: 'lab', options: { url: `${lab.url.replace(/\/$/, '')}${path}`, ca: await readFile(lab.ca, 'utf8') } };
  return runCheck(target, who === null ? null : await identity(lab, who), { evidence: { request: { logs: [lab.logs] } } });
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

describe('the lab in verify mode', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab();
  });
  after(() => lab?.close());

  test('every identity of its PKI, and none, ends as an ALB in verify mode answers, confirmed by the lab\'s connection log', async () => {
    const none = await probeLab(lab, null);
    assert.deepEqual([none.verdict.stoppedAt, none.verdict.reason, none.verdict.confidence], ['mtls', 'alb_client_cert_missing', 'confirmed']);
    for (const [name, details] of Object.entries(lab.details)) {
      const run = await probeLab(lab, name);
      assert.equal(run.verdict.stoppedAt, details.expected.stoppedAt, `${name}: ${run.verdict.summary}`);
      assert.equal(run.verdict.reason, details.expected.reason, name);
      assert.equal(run.verdict.confidence, 'confirmed', name);
      if (details.expected.stoppedAt === 'mtls') {
        // The probe alone sees what the seed saw on an ALB: a reset right after the client's certificate flight.
        assert.equal(run.result.verdict.reason, 'reset_after_client_certificate', name);
        assert.equal(run.result.http, null, `${name}: no HTTP request ever existed`);
      }
    }
    assert.ok(Object.keys(lab.details).length >= 7, 'valid, expired, not-yet-valid, untrusted, revoked, wrong-purpose, chain-too-deep…');
  });

  test('its reset is the same verdict class as the ALB-like test target\'s', async () => {
    const target = await startAlbLikeTarget();
    try {
      const reference = await runCheck({ kind: 'url', name: 'alb-like', options: { url: target.url, ca: target.pki.rootCa.certPem } }, null);
      const labRun = await probeLab(lab, null);
      assert.deepEqual([labRun.result.verdict.stoppedAt, labRun.result.verdict.reason], [reference.result.verdict.stoppedAt, reference.result.verdict.reason]);
    } finally {
      await target.close();
    }
  });

  test('an accepted certificate reaches the target with the X-Amzn-Mtls-Clientcert-* headers, which the probe decodes', async () => {
    const run = await probeLab(lab, 'valid');
    const leaf = new X509Certificate(await readFile(lab.identities.valid!.cert, 'utf8'));
    assert.equal(run.result.http?.status, 200);
    assert.equal(run.result.http?.mtlsHeaders?.serialNumber, leaf.serialNumber.toUpperCase());
    assert.equal(run.result.http?.mtlsHeaders?.subject, leaf.subject.split('\n').reverse().join(','));
    assert.match(run.result.http?.mtlsHeaders?.validity?.notAfter ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(run.result.http?.mtlsHeaders?.leafPem?.trim(), leaf.toString().trim());
    const echoed = JSON.parse(run.result.http!.bodyPreview) as { method: string; path: string; mtlsHeaders: string[] };
    assert.equal(echoed.method, 'GET');
    assert.ok(echoed.mtlsHeaders.includes('x-amzn-mtls-clientcert-leaf'));
    assert.ok(run.result.tls.certificateRequest!.authorities.length >= 1, 'the trust store\'s CA names are advertised');
  });

  test('the WAF blocks cross-site scripting and SQL injection in the query (403), confirmed by its record and the access log', async () => {
    for (const path of ['/?q=<script>alert(1)</script>', "/?id=1' OR '1'='1"]) {
      const run = await probeLab(lab, 'valid', path);
      assert.equal(run.result.http?.status, 403, path);
      assert.deepEqual([run.verdict.stoppedAt, run.verdict.reason, run.verdict.confidence], ['waf', 'aws_waf_block', 'confirmed'], `${path}: ${run.verdict.summary}`);
    }
    // A benign look-alike passes.
    const benign = await probeLab(lab, 'valid', '/?name=O%27Brien&topic=scripting');
    assert.equal(benign.verdict.stoppedAt, null);
  });

  test('a request after another connection with the same certificate is still told apart: the blocked one is the WAF\'s', async () => {
    await probeLab(lab, 'valid');
    const blocked = await probeLab(lab, 'valid', '/?q=<script>alert(1)</script>');
    assert.equal(blocked.verdict.stoppedAt, 'waf', blocked.verdict.hint ?? blocked.verdict.summary);
  });

  test('its logs are where AWS delivers them, under the names AWS gives them', async () => {
    await lab.flushMetrics();
    const files = await filesUnder(lab.logs);
    const alb = /^AWSLogs\/123456789012\/elasticloadbalancing\/eu-west-1\/\d{4}\/\d\d\/\d\d\/(conn_log_)?123456789012_elasticloadbalancing_eu-west-1_app\.lab\.50dc6c495c0c9188_\d{8}T\d{4}Z_10\.0\.0\.1_[0-9a-z]{8}\.log\.gz$/;
    const waf = /^AWSLogs\/123456789012\/WAFLogs\/eu-west-1\/lab-web-acl\/\d{4}\/\d\d\/\d\d\/\d\d\/\d\d\/123456789012_waflogs_eu-west-1_lab-web-acl_\d{8}T\d{4}Z_[0-9a-f]{8}\.log\.gz$/;
    const metrics = /^CloudWatch\/metric-streams\/[\w-]+\/\d{4}\/\d\d\/\d\d\/\d\d\/[\w-]+-1-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f-]{36}$/;
    assert.ok(files.some((f) => alb.test(f) && f.includes('conn_log_')), files.join('\n'));
    assert.ok(files.some((f) => alb.test(f) && !f.includes('conn_log_')), files.join('\n'));
    assert.ok(files.some((f) => waf.test(f)), files.join('\n'));
    assert.ok(files.some((f) => metrics.test(f)), files.join('\n'));
    for (const file of files) assert.ok([alb, waf, metrics].some((r) => r.test(file)), `unexpected file ${file}`);
    for (const file of files) assert.equal((await stat(join(lab.logs, file))).mode & 0o777, 0o644, file);
  });
});

describe('the lab in other modes and settings', () => {
  const started: Lab[] = [];
  const lab = async (options: LabOptions): Promise<Lab> => {
    const l = await startLab(options);
    started.push(l);
    return l;
  };
  after(async () => {
    for (const l of started) await l.close();
  });

  test('passthrough: any certificate (or none) reaches the target, the whole chain in X-Amzn-Mtls-Clientcert', async () => {
    const passthrough = await lab({ mode: 'passthrough' });
    const untrusted = await probeLab(passthrough, 'untrusted');
    assert.equal(untrusted.result.http?.status, 200);
    const chain = await readFile(passthrough.identities.untrusted!.cert, 'utf8');
    assert.equal(untrusted.result.http?.mtlsHeaders?.chainPem?.replace(/\s+/g, ''), chain.replace(/\s+/g, ''));
    const none = await probeLab(passthrough, null);
    assert.equal(none.verdict.stoppedAt, null);
    assert.equal(none.result.tls.clientCertificateSent, false);
  });

  test('off: no certificate is asked for; the target answers', async () => {
    const off = await lab({ mode: 'off' });
    const run = await probeLab(off, 'valid');
    assert.equal(run.result.tls.certificateRequest, null);
    assert.equal(run.result.http?.status, 200);
    assert.equal(run.result.http?.mtlsHeaders, undefined);
  });

  test('CA names not advertised; expiry ignored', async () => {
    const quiet = await lab({ advertiseCaNames: false, ignoreClientCertificateExpiry: true });
    const expired = await probeLab(quiet, 'expired');
    assert.deepEqual(expired.result.tls.certificateRequest?.authorities, []);
    assert.equal(expired.verdict.stoppedAt, null, expired.verdict.summary);
  });

  test('the WAF\'s IP set and rate-based rule block with 403 and their own rule names', async () => {
    const blocked = await lab({ blockedIps: ['127.0.0.0/8'] });
    const byIp = await probeLab(blocked, 'valid');
    assert.equal(byIp.verdict.stoppedAt, 'waf');
    assert.match(byIp.verdict.summary, /LabBlockedIPs/);
    const limited = await lab({ rateLimit: 2 });
    const statuses: Array<number | undefined> = [];
    for (let i = 0; i < 4; i++) statuses.push((await probeLab(limited, 'valid')).result.http?.status);
    assert.deepEqual(statuses, [200, 200, 403, 403]);
  });

  test('a lab folder keeps its PKI: a second lab on it uses the same certificates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-dir-'));
    try {
      const first = await startLab({ dir });
      const ca = await readFile(first.ca, 'utf8');
      await first.close();
      const second = await lab({ dir });
      assert.equal(await readFile(second.ca, 'utf8'), ca);
      assert.equal((await stat(second.identities.valid!.key)).mode & 0o777, 0o600, 'keys stay 0600');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the CLI', () => {
  test('mtls-probe lab --json: the first line tells everything a client needs; SIGTERM stops it and removes its folder', async () => {
    const child = spawn(process.execPath, [builtCli, 'lab', '--json']);
    const first = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`lab exited with ${code}`)));
    });
    const info = JSON.parse(first) as { url: string; ca: string; identities: Record<string, { cert: string; key: string }>; logs: string; mode: string };
    assert.equal(info.mode, 'verify');
    for (const name of ['valid', 'expired', 'not-yet-valid', 'untrusted', 'revoked', 'wrong-purpose', 'chain-too-deep']) assert.ok(info.identities[name], name);
    const probe = await runBuiltCli(['probe', info.url, '--cacert', info.ca, '--cert', info.identities.untrusted!.cert, '--key', info.identities.untrusted!.key, '--evidence', info.logs, '--json']);
    assert.equal(probe.code, 0, probe.stderr);
    assert.equal((JSON.parse(probe.stdout) as { verdict: { reason: string } }).verdict.reason, 'alb_client_cert_untrusted');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await assert.rejects(stat(info.logs), 'the temporary folder is gone');
  });

  test('bad arguments: exit 2 with the fix', async () => {
    const mode = await runBuiltCli(['lab', '--mode', 'strict']);
    assert.equal(mode.code, 2);
    assert.match(mode.stderr, /--mode takes verify, passthrough or off, not "strict"/);
    const old = await runBuiltCli(['probe', '--demo']);
    assert.equal(old.code, 2);
    assert.match(old.stderr, /mtls-probe demo/);
  });

  test('mtls-probe demo: the seed experiment passes, every case confirmed, the table and the compare report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-demo-'));
    try {
      const report = join(dir, 'demo.html');
      const r = await runBuiltCli(['demo', '--report', report]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      for (const row of ['no certificate', 'valid + malicious query', 'expired', 'untrusted', 'revoked']) assert.match(r.stdout, new RegExp(`✓\\s+${row.replace('+', '\\+')}\\s`), row);
      assert.match(r.stdout, /✓\s+no certificate\s+mtls \(alb_client_cert_missing\)\s+mtls\s+alb_client_cert_missing\s+ALB connection log \(Failed:ClientCertMissing\)/);
      assert.match(r.stdout, /✓\s+valid \+ malicious query\s+waf \(aws_waf_block\)\s+waf\s+aws_waf_block\s+.*AWS WAF log/);
      assert.match(r.stdout, /never reached the WAF/);
      const html = await readFile(report, 'utf8');
      const model = JSON.parse(/id="mtls-probe-timeline-model">([\s\S]*?)<\/script>/.exec(html)![1]!) as { runs: Array<{ verdict: { confidence: string } }> };
      assert.equal(model.runs.length, 6);
      assert.ok(model.runs.every((run) => run.verdict.confidence === 'confirmed'));
      const json = await runBuiltCli(['demo', '--json', '--report', join(dir, 'demo2.html')]);
      const out = JSON.parse(json.stdout) as { results: Array<{ passed: boolean; run: { run: { format: string } } }> };
      assert.ok(out.results.every((result) => result.passed && result.run.run.format === 'mtls-probe/run'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
