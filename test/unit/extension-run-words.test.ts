import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckRun, RunExpectation } from '../../src/core/runs/check-run';
import type { ProbeResult, Verdict } from '../../src/core/probe/types';
import { batchNotification, progressText, runAllNotification, runNotification, traceDocument, wrapText } from '../../src/extension/run-words';

function run(identityName: string, verdict: Partial<Verdict> & Pick<Verdict, 'stoppedAt' | 'reason' | 'summary'>, expectation?: Pick<RunExpectation, 'expected' | 'passed' | 'message'>): CheckRun {
  const full: Verdict = { confidence: 'probe', evidence: [], ...verdict };
  const result = {
    verdict: full,
    http: verdict.stoppedAt === null ? { status: 200 } : null,
    timings: { dns: 1, tcp: 2, tls: 10, firstByte: null, total: 38.4 },
  } as unknown as ProbeResult;
  return {
    id: `run-${identityName}`,
    endpointName: 'alb-like',
    identityName,
    startedAt: '2025-03-04T12:01:02.345Z',
    result,
    verdict: full,
    collectingEvidence: false,
    ...(expectation !== undefined ? { expectation: { outcome: { kind: 'target' }, ...expectation } } : {}),
  };
}

const mtlsStop = { stoppedAt: 'mtls' as const, reason: 'reset_after_client_certificate', summary: 'The server reset the connection right after the client certificate.' };
const answered = { stoppedAt: null, reason: 'target_responded', summary: 'The application answered.' };

describe('one notification per action', () => {
  test('a single probe states its verdict once, then the expectation without repeating it', () => {
    const failed = run('expired', answered, { expected: 'mtls', passed: false, message: 'expected mtls, got target 200: The application answered.' });
    const { text, severity } = runNotification(failed);
    assert.equal(text, 'mTLS Probe: alb-like with expired: target 200 · target_responded · 38 ms. The application answered. Expected mtls: NOT met.');
    assert.equal(severity, 'warning');
    assert.equal(text.split('The application answered').length - 1, 1, 'the verdict sentence appears once');
    assert.equal(runNotification(run('none', mtlsStop, { expected: 'mtls', passed: true, message: 'mtls, as expected' })).text, 'mTLS Probe: alb-like with no certificate: mtls · reset_after_client_certificate · 38 ms. The server reset the connection right after the client certificate. Expected mtls: met.');
    assert.equal(runNotification(run('none', mtlsStop)).severity, 'info', 'no expectation: information');
  });

  test('an expectation the probe alone did not meet waits for the evidence instead of failing', () => {
    const pending = runNotification(run('none', mtlsStop, { expected: 'mtls (alb_client_cert_missing)', passed: false, message: '' }), true);
    assert.match(pending.text, /Expected mtls \(alb_client_cert_missing\): judged once the evidence is in\.$/);
    assert.equal(pending.severity, 'info');
    const collecting = { ...run('none', mtlsStop, { expected: 'mtls', passed: true, message: '' }), collectingEvidence: true };
    assert.equal(batchNotification('lab', [{ identityName: 'none', run: collecting }]).text, 'mTLS Probe: lab: 1 probe — 1 met, evidence still arriving for 1, judged so far without it.');
  });

  test('a batch: how many met, which did not, and which could not run', () => {
    const outcomes = [
      { identityName: 'none', run: run('none', mtlsStop, { expected: 'mtls', passed: true, message: '' }) },
      { identityName: 'valid', run: run('valid', answered, { expected: 'target', passed: true, message: '' }) },
      { identityName: 'expired', run: run('expired', answered, { expected: 'mtls', passed: false, message: '' }) },
      { identityName: 'untrusted', run: run('untrusted', mtlsStop, { expected: 'mtls', passed: true, message: '' }) },
    ];
    assert.deepEqual(batchNotification('alb-like', outcomes), { text: 'mTLS Probe: alb-like: 4 probes — 3 met, 1 not met (expired).', severity: 'warning' });
    assert.deepEqual(batchNotification('alb-like', outcomes.filter((o) => o.identityName !== 'expired')), { text: 'mTLS Probe: alb-like: 3 probes — 3 met.', severity: 'info' });
    assert.deepEqual(batchNotification('lab', [{ identityName: 'none', run: run('none', mtlsStop) }, { identityName: 'valid', run: run('valid', answered) }, { identityName: 'pfx', error: 'the passphrase is wrong' }]), {
      text: 'mTLS Probe: lab: 3 probes — 2 without an expectation (mtls ×1, target ×1), 1 could not run (pfx: the passphrase is wrong).',
      severity: 'error',
    });
  });

  test('Run All ends with the counts', () => {
    assert.deepEqual(runAllNotification({ passed: 5, failed: 1, errored: 0, skipped: 0 }), { text: 'mTLS Probe: 6 expectations: 5 passed, 1 failed.', severity: 'warning' });
    assert.deepEqual(runAllNotification({ passed: 1, failed: 0, errored: 0, skipped: 0 }), { text: 'mTLS Probe: 1 expectation: 1 passed.', severity: 'info' });
    assert.deepEqual(runAllNotification({ passed: 2, failed: 0, errored: 1, skipped: 1 }), { text: 'mTLS Probe: 4 expectations: 2 passed, 1 could not run, 1 skipped.', severity: 'error' });
  });

  test('progress names the probe, its place in the batch and the time it has taken', () => {
    assert.equal(progressText('alb-like', 'valid', 0, 4, 412), 'alb-like with valid — 1 of 4 · 0.4 s');
    assert.equal(progressText('alb-like', 'none', 0, 1, 3120), 'alb-like with no certificate · 3.1 s');
    assert.equal(progressText('alb-like', 'valid', 1, 4, 250, 'tls'), 'alb-like with valid — 2 of 4 · TLS handshake · 0.3 s');
  });
});

describe('the trace document', () => {
  test('wrapText keeps lines within the width, a long word on its own line', () => {
    assert.deepEqual(wrapText('one two three four', 9, '  '), ['  one two', '  three', '  four']);
    assert.deepEqual(wrapText(`a ${'x'.repeat(20)} b`, 10), ['a', 'x'.repeat(20), 'b']);
    assert.deepEqual(wrapText('   ', 10), []);
  });

  test('the verdict and the expectation come first, wrapped to 100 columns, then the trace and the evidence', () => {
    const long = `${'The server reset the connection right after the client sent its certificate flight, '.repeat(3)}so it refused the certificate.`;
    const failed = run('expired', { ...mtlsStop, summary: long, hint: 'possibly the CRL: look at the trust store' }, { expected: 'target', passed: false, message: `expected target, got mtls: ${long}` });
    const text = traceDocument(failed, '* Connected to 127.0.0.1\nVerdict: stopped at mtls — reset_after_client_certificate\n', 'ALB connection log: Failed:ClientCertExpired');
    const lines = text.split('\n');
    assert.equal(lines[0], 'alb-like · expired — probed 2025-03-04 12:01:02Z');
    assert.equal(lines[2], 'Verdict: mtls · reset_after_client_certificate · 38 ms (from the probe alone)');
    assert.ok(lines.every((l) => l.length <= 100), lines.find((l) => l.length > 100));
    const expectation = lines.findIndex((l) => l === 'Expectation: target — NOT met: got mtls (reset_after_client_certificate)');
    const trace = lines.indexOf('* Connected to 127.0.0.1');
    assert.ok(expectation > 2 && trace > expectation, 'expectation before the trace');
    assert.ok(lines.some((l) => l.startsWith('  Hint: possibly the CRL')));
    assert.equal(text.split('so it refused the certificate').length - 1, 1, 'the verdict sentence once');
    assert.ok(lines.indexOf('ALB connection log: Failed:ClientCertExpired') > trace, 'evidence after the trace');
    assert.match(text, /── Trace ─+\n/);
  });

  test('a run without an expectation says how to add one', () => {
    const text = traceDocument(run('none', mtlsStop), 'trace');
    assert.match(text, /Expectation: none \(add one under "expect" in the workspace config/);
    assert.doesNotMatch(text, /Evidence/);
  });
});
