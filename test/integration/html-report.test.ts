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
