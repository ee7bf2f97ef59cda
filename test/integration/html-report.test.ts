// The exported HTML report of a real probe: self-contained, script-free, everything from the wire escaped.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { probe } from '../../src/core/probe/probe';
import { probeReportHtml } from '../../src/core/report/html-report';

let target: AlbLikeTarget;

before(async () => {
  target = await startAlbLikeTarget();
});
after(() => target.close());

test('a reset without a certificate: verdict, trace and correlation id, with hostile header text escaped', async () => {
  const { result } = await probe({ url: target.url, insecure: true, headers: { 'X-Note': '<script>alert(1)</script> & "quotes"' } });
  const html = probeReportHtml(result, { expectation: { expected: 'mtls', passed: true, message: '' } });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
  assert.match(html, /stopped at mtls<\/strong> — reset_after_client_certificate/);
  assert.match(html, /Client hello/);
  assert.ok(html.includes(result.correlationId));
  assert.match(html, /mtls — passed/);
  assert.doesNotMatch(html, /<script/i);
});

test('a valid identity: the application answered, the identity is named, its key is nowhere', async () => {
  const { identityFromPemText } = await import('../../src/core/identity/client-identity');
  const valid = target.pki.clients.valid;
  const identity = identityFromPemText('valid', valid.certPem, valid.keyPem);
  const { result } = await probe({ url: target.url, insecure: true, identity });
  const html = probeReportHtml(result);
  assert.match(html, /passed: the application answered/);
  assert.match(html, /valid — CN=/);
  assert.doesNotMatch(html, /PRIVATE KEY/);
  assert.ok(!html.includes(valid.keyPem.split('\n')[1]!), 'no line of the private key');
});

test('with server-side evidence: the confirmed verdict and the evidence lines, escaped, after the verdict', async () => {
  const { collectProbeEvidence } = await import('../../src/core/evidence/collect');
  const { describeEvidence } = await import('../../src/core/evidence/correlate');
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { result } = await probe({ url: `${target.url}?q=<script>alert(1)</script>`, insecure: true });
  const entry = target.connectionLog.find((e) => e.clientPort === result.client.port);
  assert.ok(entry);
  // The target's own decision as ALB's connection log writes it (the certificate fields empty: none was sent).
  const line = `${entry.time.replace(/Z$/, '000Z')} 127.0.0.1 ${entry.clientPort} ${target.port} - - - - - - ${entry.tlsVerifyStatus} TID_<b>0a1b</b> - app/edge/50dc6c495c0c9188 10.0.0.1`;
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-html-evidence-'));
  try {
    await writeFile(join(dir, 'conn_log_123456789012_elasticloadbalancing_eu-west-1_app.edge.50dc6c495c0c9188_20240501T1000Z_10.0.0.1_abc.log'), `${line}\n`);
    const evidence = await collectProbeEvidence(result, { logs: [dir] });
    const lines = describeEvidence(evidence.report.events, evidence.report, { used: evidence.verdict.evidence, sourceLabel: evidence.sourceLabel });
    const html = probeReportHtml({ ...result, verdict: evidence.verdict }, { evidenceLines: lines });
    assert.match(html, /stopped at mtls<\/strong> — alb_client_cert_missing \(confirmed by server-side evidence\)/);
    assert.match(html, /<h2>Server-side evidence<\/h2>\n<pre>Evidence \(local logs\): 1 record matched/);
    assert.ok(html.includes('TID_&lt;b&gt;0a1b&lt;/b&gt;'), 'record text is escaped');
    assert.ok(html.indexOf('Server-side evidence') < html.indexOf('<h2>Trace</h2>'));
    assert.doesNotMatch(html, /<script|<b>/i);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
