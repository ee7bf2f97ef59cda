// The built CLI's --verbose (-v): the probe's and the evidence's progress events (src/core/events.ts) as lines on
// stderr while the command runs, the output on stdout unchanged. Against the ALB-like target, with the connection
// log it writes as it decides each connection (as an ALB node does). Never timing: only which lines, in which order.

import assert from 'node:assert/strict';
import { appendFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { connectionLogLine } from '../support/alb-log-lines';
import { builtCli, runBuiltCli } from '../support/built-cli';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';

let env: TestPkiFiles;
let target: AlbLikeTarget;
let logs: string;

const connLogFile = (): string => join(logs, 'conn_log_123456789012_elasticloadbalancing_us-east-1_app.verbose.50dc6c495c0c9188_20240501T1000Z_10.0.0.1_abc.log');

before(async () => {
  assert.ok(existsSync(builtCli), 'dist/cli.js is missing: run npm run build first (npm test does)');
  env = await makePkiFiles();
  target = await startAlbLikeTarget({ pki: env.pki });
  logs = await mkdtemp(join(tmpdir(), 'mtls-probe-verbose-'));
  await writeFile(connLogFile(), '');
  const log = target.connectionLog;
  const push = log.push.bind(log);
  log.push = (...entries) => {
    for (const entry of entries) appendFileSync(connLogFile(), `${connectionLogLine(entry, { serial: null, listenerPort: target.port, loadBalancer: 'app/verbose/50dc6c495c0c9188' })}\n`);
    return push(...entries);
  };
});

after(async () => {
  await target?.close();
  if (logs) await rm(logs, { recursive: true, force: true });
});

/** The verbose lines of stderr without their run tag: "mtls-probe: [<run id>] TLS handshake started" → "TLS handshake started". */
function verboseLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => /^mtls-probe: \[[^\]]+\] (.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined);
}

describe('mtls-probe probe --verbose', () => {
  test('each phase as it begins and ends, then the verdict, on stderr; stdout keeps the report', async () => {
    const plain = await runBuiltCli(['probe', target.url, '--cacert', env.files.caFile, '--no-timestamps']);
    const verbose = await runBuiltCli(['probe', target.url, '--cacert', env.files.caFile, '--no-timestamps', '-v']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.deepEqual(verboseLines(plain.stderr), [], 'nothing without --verbose');
    const lines = verboseLines(verbose.stderr);
    assert.equal(lines[0], `probing ${target.url} with no certificate`);
    assert.deepEqual(
      lines.filter((l) => / started$/.test(l)),
      ['DNS lookup started', 'TCP connect started', 'TLS handshake started'],
    );
    assert.ok(lines.some((l) => /^TLS handshake failed after [\d.]+ ms: ECONNRESET — /.test(l)), verbose.stderr);
    assert.match(lines.at(-1)!, /^verdict: mtls · reset_after_client_certificate \([\d.]+ ms\)$/);
    // The report itself is the probe's, as without -v: the events go to stderr only.
    assert.doesNotMatch(verbose.stdout, /^mtls-probe: /m);
    const verdictOf = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('Verdict:'));
    assert.deepEqual(verdictOf(verbose.stdout), verdictOf(plain.stdout));
    assert.deepEqual(verdictOf(verbose.stdout), ['Verdict: stopped at mtls — reset_after_client_certificate']);
  });

  test('with --evidence: each log file asked and the records it held, then the total; --json keeps stdout one object', async () => {
    // Only this probe's connection in the log: the earlier ones were at the same moment, from the same address.
    await writeFile(connLogFile(), '');
    const r = await runBuiltCli(['probe', target.url, '--cacert', env.files.caFile, '--evidence', logs, '--json', '--verbose']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.verdict.reason, 'alb_client_cert_missing');
    const lines = verboseLines(r.stderr);
    const evidence = lines.slice(lines.findIndex((l) => l.startsWith('collecting evidence')));
    assert.match(evidence[0] ?? '', /^collecting evidence from local log files \(\d\d:\d\d:\d\d–\d\d:\d\d:\d\d UTC\)$/);
    assert.deepEqual(evidence.slice(1), [`local log files: reading ${connLogFile()}`, `local log files: ${connLogFile()}: 1 record of this probe`, 'evidence collected: 1 record of this probe']);
    // Every event line names this run.
    const tags = new Set(r.stderr.split('\n').filter((l) => l.startsWith('mtls-probe: [')).map((l) => l.slice(0, l.indexOf(']') + 1)));
    assert.equal(tags.size, 1, r.stderr);
  });

  test('a file that is not a log is said as it is met, and the probe goes on', async () => {
    const notes = join(logs, 'notes.txt');
    await writeFile(notes, 'not a log\n');
    const r = await runBuiltCli(['probe', target.url, '--cacert', env.files.caFile, '--evidence', logs, '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(verboseLines(r.stderr).some((l) => l.startsWith(`local log files: ${notes} could not be read: log_format_unknown — `)), r.stderr);
    assert.match(r.stdout, /Verdict: stopped at mtls — alb_client_cert_missing/);
  });

  test('-v is a probe option: matrix refuses it by name', async () => {
    const r = await runBuiltCli(['matrix', target.url, '--identity', 'none', '-v']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^mtls-probe: --verbose is not a matrix option\. See mtls-probe matrix --help\.\n$/);
  });
});
