// `mtls-probe test` (the built CLI, as CI runs it) against a real Apache httpd that asks for the client certificate
// only for /secure/ (`<Location /secure> SSLVerifyClient require`), over TLS 1.2 and 1.3. Over TLS 1.3 it refuses
// with 403 without asking (Node cannot offer post_handshake_auth); the probe retries over TLS 1.2, where Apache
// renegotiates. Each expectation names the attempt it is about — the first (the default), the TLS 1.2 retry, or the
// last one made — and the printed lines, the JUnit XML and --json say which attempt was judged and what the other
// one got: nothing falls back silently. A missing apache2 fails the tests (never skips, unless
// MTLS_PROBE_ALLOW_MISSING_PEERS=1 outside CI, like the other peers).

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startApache, type ApachePeer } from '../support/apache-peer';
import { runBuiltCli, type CliRun } from '../support/built-cli';
import { makeGeneratedPki, type GeneratedPkiFiles } from '../support/generated-pki';

let pki: GeneratedPkiFiles;
let apache: ApachePeer | null = null;
let workspace: string | undefined;
/** What before() made, removed after the tests. */
const made: string[] = [];
let skipped: string | undefined;

/**
 * Three checks of /secure/: no certificate judged on the first attempt (the refusal over TLS 1.3, named); `valid`
 * judged on the TLS 1.2 retry (accepted after the renegotiation); `untrusted` expected to get through on the last
 * attempt, which the retry refuses (unknown CA). The identities use the chain files: `valid` is issued by the
 * intermediate, which Apache needs to reach the root.
 */
function configText(peer: ApachePeer): string {
  const identity = (name: string): string => {
    const files = pki.identity(name);
    return `{ "cert": ${JSON.stringify(files.chain)}, "key": ${JSON.stringify(files.key)} }`;
  };
  return `{
  "identities": { "valid": ${identity('valid')}, "untrusted": ${identity('untrusted')} },
  "endpoints": [{
    "name": "apache-secure",
    "url": "${peer.secureUrl}",
    "ca": ${JSON.stringify(pki.caFile)},
    "expect": {
      // No attempt named: the first one, over TLS 1.3.
      "none": { "stoppedAt": "mtls", "reason": "post_handshake_auth_required" },
      "valid": { "stoppedAt": "target", "attempt": "tls12Fallback" },
      "untrusted": { "stoppedAt": "target", "attempt": "last" }
    }
  }]
}
`;
}

before(async () => {
  pki = await makeGeneratedPki('mtls-probe-cli-fallback-pki-');
  made.push(pki.dir);
  apache = await startApache({ skip: (message?: string) => void (skipped = message ?? 'apache2 is not installed') }, pki, { mode: 'location', tls: 'both' });
  if (apache === null) return;
  workspace = await mkdtemp(join(tmpdir(), 'mtls-probe-cli-fallback-'));
  made.push(workspace);
  await mkdir(join(workspace, '.vscode'));
  await writeFile(join(workspace, '.vscode', 'mtls-probe.json'), configText(apache));
});

after(async () => {
  await apache?.stop();
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

/** Runs `mtls-probe test` on the workspace; a failing assertion gets the CLI's output and Apache's log. */
async function cliTest(t: TestContext, args: string[], check: (run: CliRun) => Promise<void> | void): Promise<void> {
  if (apache === null) {
    t.skip(skipped);
    return;
  }
  const run = await runBuiltCli(['test', '--workspace', workspace!, ...args]);
  try {
    await check(run);
  } catch (e) {
    if (e instanceof Error) e.message += `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- ${apache.name} log ---\n${(await apache.log()).slice(-3000)}`;
    throw e;
  }
}

/** The printed line of a check, without its duration (the column widths are the CLI's own). */
function checkLine(stdout: string, identity: string): string {
  const line = stdout.split('\n').find((l) => new RegExp(`^[✓✗-] apache-secure +${identity} `).test(l));
  assert.ok(line !== undefined, `no line for ${identity}`);
  return line.replace(/ {2}[\d.]+ m?s$/, '').replace(/ {2,}/g, '  ');
}

describe('mtls-probe test: expectations about the first attempt, the TLS 1.2 retry, or the last one', () => {
  test('each line says which attempt it judged and what the other got; the failure says why; JUnit names the attempt', async (t) => {
    const junitFile = join(workspace ?? tmpdir(), 'junit.xml');
    await cliTest(t, ['--junit', junitFile], async ({ code, stdout }) => {
      assert.equal(code, 1, 'one expectation is not met');
      assert.equal(
        checkLine(stdout, 'none'),
        '✓ apache-secure  none  expect mtls (post_handshake_auth_required)  got mtls (post_handshake_auth_required); the TLS 1.2 retry got mtls (alert_handshake_failure)',
      );
      assert.equal(
        checkLine(stdout, 'valid'),
        '✓ apache-secure  valid  expect target on the TLS 1.2 retry  got target with HTTP 200 on the TLS 1.2 retry; the first attempt, over TLSv1.3, got mtls (post_handshake_auth_required)',
      );
      assert.equal(
        checkLine(stdout, 'untrusted'),
        '✗ apache-secure  untrusted  expect target on the last attempt  got mtls (alert_unknown_ca) on the TLS 1.2 retry; the first attempt, over TLSv1.3, got mtls (post_handshake_auth_required)',
      );
      const lines = stdout.split('\n');
      const why = lines[lines.findIndex((l) => l.startsWith('✗ apache-secure  untrusted')) + 1] ?? '';
      assert.match(why, /^ {4}expected target on the last attempt, got mtls \(alert_unknown_ca\) \(judged on the TLS 1\.2 retry; the first attempt, over TLSv1\.3, got mtls \(post_handshake_auth_required\)\): \S/);
      assert.match(stdout, /\n3 expectations: 2 passed, 1 failed, 0 could not run \(/);

      const xml = await readFile(junitFile, 'utf8');
      const testcase = (name: string): string => {
        const found = xml.split('<testcase').find((c) => c.includes(`name="${name}"`));
        assert.ok(found !== undefined, `no testcase "${name}" in\n${xml}`);
        return found;
      };
      const none = testcase('none → mtls (post_handshake_auth_required)');
      assert.match(none, /<property name="judgedAttempt" value="first"\/>/);
      assert.match(none, /<property name="tls12Retry" value="mtls \(alert_handshake_failure\) \(Root=1-[0-9a-f]{8}-[0-9a-f]{24}\)"\/>/);
      assert.match(none, /<system-out>mtls \(post_handshake_auth_required\), as expected \(judged on the first attempt; the probe retried over TLS 1\.2, and the retry got mtls \(alert_handshake_failure\)\)/);
      const valid = testcase('valid → target on the TLS 1.2 retry');
      assert.match(valid, /<property name="judgedAttempt" value="tls12Fallback"\/>/);
      assert.match(valid, /<system-out>target with HTTP 200, as expected \(judged on the TLS 1\.2 retry; /);
      const untrusted = testcase('untrusted → target on the last attempt');
      assert.match(untrusted, /<property name="judgedAttempt" value="tls12Fallback"\/>/);
      assert.match(untrusted, /<failure message="expected target on the last attempt, got mtls \(alert_unknown_ca\) \(judged on the TLS 1\.2 retry; [^"]*" type="ExpectationMismatch">/);
      assert.match(xml, /<testsuite name="apache-secure" tests="3" failures="1" errors="0" skipped="0"/);
    });
  });

  test('--json: each check carries the attempt judged, the outcome asked for, and the retry under fallback', async (t) => {
    await cliTest(t, ['--json'], ({ code, stdout }) => {
      assert.equal(code, 1);
      const report = JSON.parse(stdout) as { runs: Array<{ identity: string; passed: boolean; judgedAttempt: string; expected: { attempt?: string }; result: { fallback?: { result: { tls: { version: string } } }; expectation: { judgedAttempt: string } } }> };
      const byIdentity = new Map(report.runs.map((r) => [r.identity, r]));
      assert.deepEqual(
        ['none', 'valid', 'untrusted'].map((who) => {
          const r = byIdentity.get(who)!;
          return [who, r.passed, r.judgedAttempt, r.expected.attempt ?? '(default)', r.result.expectation.judgedAttempt, r.result.fallback?.result.tls.version];
        }),
        [
          ['none', true, 'first', '(default)', 'first', 'TLSv1.2'],
          ['valid', true, 'tls12Fallback', 'tls12Fallback', 'tls12Fallback', 'TLSv1.2'],
          ['untrusted', false, 'tls12Fallback', 'last', 'tls12Fallback', 'TLSv1.2'],
        ],
      );
    });
  });
});

describe('mtls-probe matrix against the same Apache', () => {
  test('the table shows the TLS 1.2 retry beside the first attempt, so a retry that got through is not hidden', async (t) => {
    if (apache === null) {
      t.skip(skipped);
      return;
    }
    const identity = (name: string): string => `${name}=${pki.identity(name).chain},${pki.identity(name).key}`;
    const run = await runBuiltCli(['matrix', apache.secureUrl, '--cacert', pki.caFile, '--identity', 'none', '--identity', identity('valid'), '--identity', identity('untrusted'), '--concurrency', '1']);
    const rows = run.stdout.trim().split('\n').map((line) => line.split(/ {2,}/));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(rows[0], ['ENDPOINT', 'IDENTITY', 'STOPPED AT', 'REASON', 'TLS', 'HTTP', 'TLS 1.2 RETRY', 'TOTAL ms']);
    assert.deepEqual(
      rows.slice(1).map((row) => row.slice(1, 7)),
      [
        ['none', 'mtls', 'post_handshake_auth_required', 'TLSv1.3', '403', 'mtls alert_handshake_failure TLSv1.2'],
        ['valid', 'mtls', 'post_handshake_auth_required', 'TLSv1.3', '403', 'passed target_responded TLSv1.2 200'],
        ['untrusted', 'mtls', 'post_handshake_auth_required', 'TLSv1.3', '403', 'mtls alert_unknown_ca TLSv1.2'],
      ],
      run.stdout,
    );
  });
});
