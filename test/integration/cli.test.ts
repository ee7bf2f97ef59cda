// The built CLI (dist/cli.js, as users run it): exit codes, one JSON object, clear errors, no stack traces.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';
import { builtCli, runBuiltCli } from '../support/built-cli';

const cli = builtCli;
const run = runBuiltCli;

let env: TestPkiFiles;
let target: AlbLikeTarget;
let scratch: string;

before(async () => {
  assert.ok(existsSync(cli), 'dist/cli.js is missing: run npm run build first (npm test does)');
  env = await makePkiFiles();
  target = await startAlbLikeTarget({ pki: env.pki });
  scratch = await mkdtemp(join(tmpdir(), 'mtls-probe-cli-'));
});

after(() => target.close());

describe('mtls-probe probe', () => {
  test('human output reads like curl -v, then the decoded details and the verdict', async () => {
    const r = await run(['probe', target.url, '--cacert', env.files.caFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /TLSv1\.2 \(IN\), TLS handshake, Request CERT \(13\):/);
    assert.match(r.stdout, /acceptable CA names \(1\):\n.*CN=mTLS Probe Test PKI Root CA,O=mTLS Probe Test PKI/);
    assert.match(r.stdout, /TLSv1\.2 \(OUT\), TLS handshake, Certificate \(11\):\n.*empty: no client certificate sent/);
    assert.match(r.stdout, /Connection reset by peer \(TCP RST\) after the client's Certificate\/Client key exchange\/Change cipher spec\/Finished flight, before the server's Finished/);
    assert.match(r.stdout, /Verdict: stopped at mtls — reset_after_client_certificate/);
  });

  test('--json prints exactly one JSON object with the contract fields', async () => {
    const client = env.files.client('valid');
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '--cert', client.cert, '--key', client.key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0]!);
    for (const key of ['target', 'identity', 'timings', 'tls', 'trace', 'http', 'correlationId', 'verdict']) assert.ok(key in result, key);
    for (const key of ['dns', 'tcp', 'tls', 'firstByte', 'total']) assert.ok(key in result.timings, key);
    for (const key of ['version', 'cipher', 'alpn', 'serverCertificates', 'certificateRequest', 'clientCertificateSent']) assert.ok(key in result.tls, key);
    assert.match(result.correlationId, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(result.verdict.stoppedAt, null);
    assert.equal(result.http.status, 200);
    assert.equal(result.http.headers['x-amzn-trace-id'], result.correlationId);
    assert.ok(result.trace.every((e: { t: number; dir: string; layer: string; event: string }) => typeof e.t === 'number' && ['out', 'in', 'local'].includes(e.dir) && ['tcp', 'tls', 'http'].includes(e.layer) && typeof e.event === 'string'));
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  });

  test('--keylog writes the NSS key log (0600) for Wireshark', async () => {
    const keylog = join(scratch, 'keys.log');
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '--tls-max', '1.3', '--keylog', keylog, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const text = await readFile(keylog, 'utf8');
    assert.match(text, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m);
    assert.equal((await stat(keylog)).mode & 0o777, 0o600);
  });

  test('an encrypted key with its passphrase from --pass-env', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const { writeFile } = await import('node:fs/promises');
    const client = env.files.client('valid');
    const encrypted = join(scratch, 'encrypted.key');
    await writeFile(encrypted, createPrivateKey(await readFile(client.key)).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 's3cret-pass' }));
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '--cert', client.cert, '--key', encrypted, '--pass-env', 'CLIENT_KEY_PASS', '--json'], { CLIENT_KEY_PASS: 's3cret-pass' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).verdict.reason, 'target_responded');
    assert.doesNotMatch(r.stdout + r.stderr, /s3cret-pass/);
    const wrong = await run(['probe', target.url, '--cert', client.cert, '--key', encrypted, '--pass-env', 'CLIENT_KEY_PASS'], { CLIENT_KEY_PASS: 'nope' });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^mtls-probe: The passphrase does not decrypt the private key in .*encrypted\.key/);
  });

  test('bad arguments and unreadable files: exit 2, one clear line, no stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['probe'], /probe takes one URL/],
      [['probe', 'http://x/'], /not an https:\/\/ URL/],
      [['probe', target.url, '--cert', join(scratch, 'missing.pem')], /missing\.pem does not exist/],
      [['probe', target.url, '--cert', env.files.client('valid').key], /swap --cert and --key/],
      [['probe', target.url, '--cert', env.files.client('valid').cert, '--key', env.files.client('expired').key], /does not belong to the certificate/],
      [['probe', target.url, '--tls-max', '1.1'], /--tls-max takes 1\.2 or 1\.3/],
      [['probe', target.url, '--pass-env', 'NOT_SET_ANYWHERE'], /NOT_SET_ANYWHERE is not set/],
      [['probe', target.url, '--bogus'], /Unknown option '--bogus'/],
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['probe', target.url, '--connect-to', 'nonsense'], /--connect-to takes HOST1:PORT1:HOST2:PORT2/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('--connect-to routes a public-looking name to the local target', async () => {
    const r = await run(['probe', 'https://localhost:1/', '--connect-to', `localhost:1:127.0.0.1:${target.port}`, '--cacert', env.files.caFile, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.target.address, '127.0.0.1');
    assert.equal(result.verdict.stoppedAt, 'mtls');
  });

  test('demo --json: the seed experiment against the lab, each run with the probe\'s own verdict and the confirmed one', async () => {
    const r = await run(['demo', '--json', '--report', join(scratch, 'demo.html')]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { results: Array<{ case: { name: string }; run: { verdict: { reason: string }; probeVerdict: { reason: string } } }> };
    const none = out.results.find((x) => x.case.name === 'no certificate')!;
    assert.deepEqual([none.run.probeVerdict.reason, none.run.verdict.reason], ['reset_after_client_certificate', 'alb_client_cert_missing']);
  });
});

describe('mtls-probe matrix', () => {
  test('endpoints × identities with a bounded pool: table and JSON lines', async () => {
    const valid = env.files.client('valid');
    const expired = env.files.client('expired');
    const args = ['matrix', target.url, `${target.url}?q=<script>`, '--cacert', env.files.caFile, '--identity', 'none', '--identity', `good=${valid.cert},${valid.key}`, '--identity', `old=${expired.cert},${expired.key}`, '--repeat', '2', '--concurrency', '4'];
    const table = await run(args);
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout.trim().split('\n');
    assert.equal(rows.length, 1 + 2 * 3 * 2);
    assert.match(rows[0]!, /^ENDPOINT\s+IDENTITY\s+STOPPED AT\s+REASON/);
    assert.equal(rows.filter((r) => /\sgood\s+passed\s+target_responded/.test(r)).length, 2);
    assert.equal(rows.filter((r) => /\sgood\s+http\s+http_403_forbidden/.test(r)).length, 2);
    const json = await run([...args, '--json']);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 12);
    assert.ok(lines.every((l) => l.result.verdict && l.endpoint && l.identity));
    // Over two threads: the same cases, each once, with the same verdicts.
    const verdicts = (out: string): string[] => out.trim().split('\n').map((l) => JSON.parse(l)).map((l) => `${l.endpoint} ${l.identity} ${l.iteration} ${l.result.verdict.reason}`).sort();
    const threaded = await run([...args, '--json', '--threads', '2']);
    assert.equal(threaded.code, 0, threaded.stderr);
    assert.deepEqual(verdicts(threaded.stdout), verdicts(json.stdout));
    const refused = await run([...args, '--threads', '0']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--threads takes a positive whole number, not "0"/);
  });

  test('its reader gone (`matrix --json | head -1`): the matrix stops, quietly, with the status of a process SIGPIPE ended', async () => {
    const args = [builtCli, 'matrix', target.url, '--cacert', env.files.caFile, '--identity', 'none', '--repeat', '400', '--concurrency', '4', '--json'];
    for (const threads of ['1', '2']) {
      const child = spawn(process.execPath, [...args, '--threads', threads]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // The first row read, the reader goes, as `head -1` does.
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 141, `--threads ${threads}: ${stderr}`);
      assert.equal(stderr, '', `--threads ${threads}: nothing on stderr`);
    }
  });
});

describe('certificate toolkit commands through the built CLI', () => {
  test('pki generate → cert inspect → cert pairs → truststore lint, end to end', async () => {
    const dir = join(scratch, 'generated-pki');
    const generated = await run(['pki', 'generate', dir, '--json']);
    assert.equal(generated.code, 0, generated.stderr);
    const manifest = JSON.parse(generated.stdout);
    assert.equal(manifest.identities.find((i: { name: string }) => i.name === 'revoked').expectedTlsVerifyStatus, 'Failed:ClientCertCrlHit');

    const inspected = await run(['cert', 'inspect', join(dir, 'expired.pem')]);
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(inspected.stdout, /expired \d+ days? ago/);
    assert.match(inspected.stdout, /clientAuth/);

    const pairs = await run(['cert', 'pairs', dir, '--json']);
    assert.equal(pairs.code, 0, pairs.stderr);
    assert.ok(JSON.parse(pairs.stdout).pairs.length >= 8);

    const lint = await run(['truststore', 'lint', join(dir, 'ca-bundle.pem')]);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    assert.match(lint.stdout, /ALB accepts this bundle/);
    const leafAsCa = await run(['truststore', 'lint', join(dir, 'valid.pem')]);
    assert.equal(leafAsCa.code, 1);
    assert.match(leafAsCa.stdout, /error \[not-a-ca\]/);

    const again = await run(['pki', 'generate', dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^mtls-probe: .*generated-pki/);
  });

  test('a generated identity probes the ALB-like target as its manifest says', async () => {
    const dir = join(scratch, 'generated-pki');
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const { startAlbLikeTarget } = await import('../../src/core/demo/alb-like-target');
    const read = (f: string): Promise<string> => readFile(join(dir, f), 'utf8');
    const server = await read('server.pem');
    const local = await startAlbLikeTarget({
      pki: {
        rootCa: { certPem: await read('ca-bundle.pem'), keyPem: '' },
        otherCa: { certPem: await read('untrusted-ca.pem'), keyPem: '' },
        server: { certPem: server, keyPem: await read('server.key') },
        clients: { valid: { certPem: '', keyPem: '' }, expired: { certPem: '', keyPem: '' }, untrusted: { certPem: '', keyPem: '' } },
      },
    });
    try {
      for (const name of ['valid', 'expired', 'untrusted', 'wrong-purpose', 'chain-too-deep']) {
        const identity = manifest.identities.find((i: { name: string }) => i.name === name);
        const r = await run(['probe', local.url, '--cacert', join(dir, 'root-ca.pem'), '--cert', join(dir, identity.chain), '--key', join(dir, identity.key), '--json']);
        assert.equal(r.code, 0, r.stderr);
        const result = JSON.parse(r.stdout);
        assert.equal(result.verdict.stoppedAt, name === 'valid' ? null : 'mtls', result.verdict.summary);
      }
      assert.deepEqual(
        local.connectionLog.map((e) => e.tlsVerifyStatus),
        ['valid', 'expired', 'untrusted', 'wrong-purpose', 'chain-too-deep'].map((name) => manifest.identities.find((i: { name: string }) => i.name === name).expectedTlsVerifyStatus),
      );
    } finally {
      await local.close();
    }
  });
});

