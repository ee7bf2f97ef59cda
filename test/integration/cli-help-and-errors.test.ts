// The built CLI's help (each command its own options, the defaults the code uses, without loading the command's
// code) and the errors that show the fix:
// a passphrase that is needed, a key that is missing, a URL without its scheme, a malformed --identity, and TLS
// errors without OpenSSL's source paths.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server } from 'node:tls';
import { defaultMatrixConcurrency } from '../../src/cli/definitions/matrix';
import { defaultTimeouts } from '../../src/core/probe/phase-timeouts';
import { builtCli, runBuiltCli, type CliRun } from '../support/built-cli';
import { requireBinary } from '../support/peers';
import { holdClosedPort, type ClosedPort } from '../support/ports';

const openssl = requireBinary(null, 'openssl', ['/usr/bin/openssl'])!;
const passEnv = 'CLI_ERRORS_TEST_PASS';
let dir: string;
let pki: string;
/** Held for the whole file: connections to it are refused, and nothing else can listen on it meanwhile. */
let closed: ClosedPort;

const at = (name: string): string => join(pki, name);

function opensslIn(...args: string[]): void {
  execFileSync(openssl, args, { cwd: pki, stdio: 'pipe' });
}

/**
 * The files under dist/ a run of the built CLI loads (`dist/cli.js`, `dist/cli/definitions/probe.js`…), in load order:
 * the command is run in a process that then lists its module cache.
 */
function bundlesLoaded(args: string[], env: Record<string, string> = {}): string[] {
  const dist = new URL('../../dist/', import.meta.url).pathname;
  const script = `require(${JSON.stringify(builtCli)}).main(JSON.parse(process.argv[1]), { out() {}, err() {} }).then(() => console.log(JSON.stringify(Object.keys(require.cache))))`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(args)], { encoding: 'utf8', env: { ...process.env, ...env } })) as string[];
  return loaded.map((file) => `dist/${file.slice(dist.length)}`);
}

/** Exit 2, one line on stderr matching `pattern`, nothing on stdout, no stack trace. */
function assertUsageError(r: CliRun, pattern: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line`);
  assert.equal(r.stdout, '', what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

before(async () => {
  assert.ok(existsSync(builtCli), 'dist/cli.js is missing: run npm run build first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'mtls-probe-cli-errors-'));
  pki = join(dir, 'pki');
  const generated = await runBuiltCli(['pki', 'generate', pki]);
  assert.equal(generated.code, 0, generated.stderr);
  opensslIn('pkcs12', '-export', '-in', 'valid.pem', '-inkey', 'valid.key', '-certfile', 'ca-bundle.pem', '-passout', 'pass:pfx secret', '-out', 'modern.p12');
  opensslIn('pkcs12', '-export', '-legacy', '-in', 'valid.pem', '-inkey', 'valid.key', '-passout', 'pass:pfx secret', '-out', 'legacy.p12');
  opensslIn('pkcs8', '-topk8', '-in', 'valid.key', '-passout', 'pass:pfx secret', '-out', 'pkcs8-encrypted.key');
  opensslIn('pkcs8', '-topk8', '-in', 'valid.key', '-outform', 'DER', '-passout', 'pass:pfx secret', '-out', 'pkcs8-encrypted.der');
  opensslIn('pkey', '-in', 'valid.key', '-traditional', '-aes256', '-passout', 'pass:pfx secret', '-out', 'legacy-encrypted.key');
  closed = await holdClosedPort();
});
after(async () => {
  await closed?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('help', () => {
  const overviewHeader = /probe mutual-TLS endpoints and name the layer where a request stops/;

  test('mtls-probe --help is the overview of commands; probe --help and matrix --help show their own options', async () => {
    const overview = await runBuiltCli(['--help']);
    assert.equal(overview.code, 0);
    assert.match(overview.stdout, overviewHeader);
    for (const command of ['probe URL', 'matrix URL...', 'cert inspect', 'cert pairs', 'truststore lint', 'pki generate', 'evidence', 'test', 'demo', 'lab', 'report']) {
      assert.match(overview.stdout, new RegExp(`\\n {2}mtls-probe ${command.replace(/\./g, '\\.')}`), command);
    }
    assert.doesNotMatch(overview.stdout, /--tls-min|--connect-to|--identity SPEC +/, 'options belong to each command\'s --help');

    const probe = await runBuiltCli(['probe', '--help']);
    assert.equal(probe.code, 0);
    assert.match(probe.stdout, /^Usage:\n {2}mtls-probe probe URL \[options\]\n/);
    for (const option of ['--cert FILE', '--pfx FILE', '--pass-env VAR', '--cacert FILE', '--tls-min', '--evidence PATH|aws', '--report FILE.html', '--keylog FILE']) assert.ok(probe.stdout.includes(option), option);
    assert.doesNotMatch(probe.stdout, /--identity|--repeat|--concurrency|--threads|mtls-probe matrix|mtls-probe cert/);
    assert.deepEqual(await runBuiltCli(['help', 'probe']), probe);

    const matrix = await runBuiltCli(['matrix', '--help']);
    assert.equal(matrix.code, 0);
    assert.match(matrix.stdout, /^Usage:\n {2}mtls-probe matrix URL\.\.\. --identity SPEC\.\.\. \[options\]\n/);
    assert.match(matrix.stdout, /--identity SPEC +none \| \[LABEL=\]CERT,KEY \| \[LABEL=\]FILE\.p12/);
    for (const option of ['--repeat N', '--concurrency N', '--threads N', '--cacert FILE', '--timeout MS']) assert.ok(matrix.stdout.includes(option), option);
    assert.doesNotMatch(matrix.stdout, /--cert FILE|--pfx FILE|--evidence|--report|--keylog|mtls-probe probe/);
  });

  test('the defaults printed are the ones the code uses', async () => {
    const { dns, connect, tls, http } = defaultTimeouts;
    for (const command of ['probe', 'matrix']) {
      const help = (await runBuiltCli([command, '--help'])).stdout.replace(/\s+/g, ' ');
      assert.ok(help.includes(`--timeout MS time limit for each phase: DNS, connect, handshake, response (default ${dns}, ${connect}, ${tls} and ${http})`), command);
      assert.ok(help.includes(`--connect-timeout MS time limit for the TCP connect alone (default ${connect})`), command);
      assert.ok(help.includes('--tls-min 1.2|1.3 lowest TLS version to offer (default 1.2)'), command);
      assert.ok(help.includes('--alpn LIST ALPN protocols to offer (default h2,http/1.1)'), command);
    }
    // The matrix's own default: the help and the matrix command read the one constant (src/cli/definitions/matrix.ts).
    assert.match((await runBuiltCli(['matrix', '--help'])).stdout, new RegExp(`--concurrency N +probes in flight at once \\(default ${defaultMatrixConcurrency}\\)`));
  });

  test('a command\'s --help and a refused option load its definition, not its code', () => {
    for (const [args, definition] of [
      [['probe', '--help'], 'probe'],
      [['help', 'matrix'], 'matrix'],
      [['cert', 'inspect', '--help'], 'cert'],
      [['truststore'], 'truststore'],
      [['test', '--bogus'], 'test'],
    ] as const) {
      assert.deepEqual(bundlesLoaded([...args]), ['dist/cli.js', `dist/cli/definitions/${definition}.js`], args.join(' '));
    }
    assert.deepEqual(bundlesLoaded(['--version']), ['dist/cli.js']);
  });

  test('every subcommand\'s --help is its own usage, exit 0', async () => {
    const commands = [['demo'], ['lab'], ['report'], ['test'], ['evidence'], ['cert', 'inspect'], ['cert', 'pairs'], ['truststore', 'lint'], ['pki', 'generate']];
    for (const command of commands) {
      const r = await runBuiltCli([...command, '--help']);
      assert.equal(r.code, 0, `${command.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage:\\n {2}mtls-probe ${command.join(' ')} `), command.join(' '));
      assert.doesNotMatch(r.stdout, overviewHeader, command.join(' '));
    }
    const certInspect = (await runBuiltCli(['cert', 'inspect', '--help'])).stdout;
    assert.doesNotMatch(certInspect, /mtls-probe cert pairs/);
  });
});

describe('errors that show the fix', () => {
  const target = (): string => `https://127.0.0.1:${closed.port}/`;

  test('an encrypted PKCS#12 without --pass-env: a passphrase is needed, and how to give it', async () => {
    for (const file of ['modern.p12', 'legacy.p12']) {
      assertUsageError(
        await runBuiltCli(['probe', target(), '--pfx', at(file)], { [passEnv]: undefined }),
        new RegExp(`^mtls-probe: .*${file.replace('.', '\\.')} is a PKCS#12 file protected by a passphrase: give it \\(CLI: --pass-env VAR, with the passphrase in that environment variable\\)\\.\\n$`),
        file,
      );
      const wrong = await runBuiltCli(['probe', target(), '--pfx', at(file), '--pass-env', passEnv], { [passEnv]: 'not it' });
      assertUsageError(wrong, /^mtls-probe: The passphrase does not open .*: check the passphrase, or the file is corrupt\.\n$/, `${file} wrong`);
      assert.ok(!wrong.stderr.includes('not it'));
      const right = await runBuiltCli(['probe', target(), '--pfx', at(file), '--pass-env', passEnv, '--json'], { [passEnv]: 'pfx secret' });
      assert.equal(right.code, 0, right.stderr);
      assert.equal(JSON.parse(right.stdout).verdict.reason, 'connection_refused');
      assert.ok(!right.stdout.includes('pfx secret'));
    }
    // The PKCS#12 reader (node-forge) is a bundle of its own, loaded for a PKCS#12 identity only.
    assert.ok(bundlesLoaded(['probe', target(), '--pfx', at('modern.p12'), '--pass-env', passEnv], { [passEnv]: 'pfx secret' }).includes('dist/pkcs12.js'));
    assert.deepEqual(bundlesLoaded(['probe', target(), '--cert', at('valid.pem'), '--key', at('valid.key')]), ['dist/cli.js', 'dist/cli/definitions/probe.js', 'dist/cli/probe.js']);
    const unset = await runBuiltCli(['probe', target(), '--pfx', at('modern.p12'), '--pass-env', passEnv], { [passEnv]: undefined });
    assertUsageError(unset, new RegExp(`^mtls-probe: --pass-env ${passEnv}: the environment variable ${passEnv} is not set\\.\\n$`), 'unset variable');
  });

  test('an encrypted key (PKCS#8 PEM and DER, legacy PEM) without --pass-env: the same', async () => {
    for (const file of ['pkcs8-encrypted.key', 'pkcs8-encrypted.der', 'legacy-encrypted.key']) {
      const r = await runBuiltCli(['probe', target(), '--cert', at('valid.pem'), '--key', at(file)], { [passEnv]: undefined });
      assertUsageError(r, new RegExp(`^mtls-probe: The private key in .*${file.replace('.', '\\.')} is encrypted: give it \\(CLI: --pass-env VAR, with the passphrase in that environment variable\\)\\.\\n$`), file);
      const wrong = await runBuiltCli(['probe', target(), '--cert', at('valid.pem'), '--key', at(file), '--pass-env', passEnv], { [passEnv]: 'not it' });
      assertUsageError(wrong, /^mtls-probe: The passphrase does not decrypt the private key in .*: check the passphrase\.\n$/, `${file} wrong`);
      const right = await runBuiltCli(['probe', target(), '--cert', at('valid.pem'), '--key', at(file), '--pass-env', passEnv, '--json'], { [passEnv]: 'pfx secret' });
      assert.equal(right.code, 0, `${file}: ${right.stderr}`);
    }
  });

  test('--cert without --key on a file that holds no key: add --key FILE', async () => {
    assertUsageError(
      await runBuiltCli(['probe', target(), '--cert', at('valid.chain.pem')]),
      /^mtls-probe: .*valid\.chain\.pem holds the certificate but no private key, and no key file was given: add --key FILE with the private key of this certificate\.\n$/,
      '--cert alone',
    );
  });

  test('a URL without a scheme: did you mean https://…?', async () => {
    const cases: Array<[string, string]> = [
      ['api.example.com/health', 'https://api.example.com/health'],
      ['localhost:8443/health', 'https://localhost:8443/health'],
      ['http://api.example.com/health', 'https://api.example.com/health'],
    ];
    for (const [url, meant] of cases) {
      for (const command of ['probe', 'matrix']) {
        const r = await runBuiltCli([command, url]);
        assertUsageError(r, new RegExp(`^mtls-probe: "${url.replace(/\./g, '\\.')}" .*: did you mean ${meant.replace(/\./g, '\\.')}\\?\\n$`), `${command} ${url}`);
      }
    }
    assertUsageError(await runBuiltCli(['probe', 'ht tp://x']), /^mtls-probe: "ht tp:\/\/x" is not a URL: give one like https:\/\/api\.example\.com\/health\.\n$/, 'not a URL');
  });

  test('a malformed matrix --identity: the syntax and what was wrong', async () => {
    const syntax = 'It takes none \\| \\[LABEL=\\]CERT,KEY \\| \\[LABEL=\\]FILE\\.p12\\.';
    const cases: Array<[string, string]> = [
      ['a.pem,b.key,c.pem', '3 comma-separated files, where a certificate and its key \\(or one PKCS#12 file\\) go'],
      ['=a.pem,b.key', 'the label before "=" is empty'],
      ['partner=', 'no file after "partner="'],
      ['a.pem,', 'the key after "," is missing'],
      [',b.key', 'the certificate before "," is missing'],
      ['legacy.p12,b.key', 'legacy\\.p12 is a PKCS#12 file, which holds its own key: give it alone'],
      [`partner=${at('valid.pem')}`, '.*valid\\.pem holds no private key: give its key as \\[LABEL=\\]CERT,KEY'],
    ];
    for (const [spec, what] of cases) {
      const r = await runBuiltCli(['matrix', target(), '--identity', 'none', '--identity', spec]);
      assertUsageError(r, new RegExp(`^mtls-probe: --identity "${spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": ${what}\\. ${syntax}\\n$`), spec);
    }
  });

  test('options of the other command are refused, not ignored; an unknown option points at the command\'s --help', async () => {
    assertUsageError(await runBuiltCli(['matrix', target(), '--cert', at('valid.pem')]), /^mtls-probe: --cert is not a matrix option\. See mtls-probe matrix --help\.\n$/, 'matrix --cert');
    assertUsageError(await runBuiltCli(['probe', target(), '--identity', 'none']), /^mtls-probe: --identity is not a probe option\. See mtls-probe probe --help\.\n$/, 'probe --identity');
    assertUsageError(await runBuiltCli(['probe', target(), '--bogus']), /^mtls-probe: Unknown option '--bogus'\. See mtls-probe probe --help\.\n$/, '--bogus');
  });
});

describe('TLS errors in one readable line', () => {
  let server: Server;
  let url: string;
  before(async () => {
    // TLS 1.2 and a client certificate required: OpenSSL answers a certificate-less client with handshake_failure (40).
    server = createServer({ cert: await readFile(at('server.pem')), key: await readFile(at('server.key')), ca: await readFile(at('ca-bundle.pem')), requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('an alert: the reason and the alert number, no OpenSSL source path or thread id', async () => {
    const human = await runBuiltCli(['probe', url, '--cacert', at('ca-bundle.pem')]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /\* TLS error: sslv3 alert handshake failure \(SSL alert number 40\) \(ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE\)\n/);
    assert.doesNotMatch(human.stdout, /\.c:\d+|:error:[0-9A-F]{8}:|rec_layer/);

    const json = JSON.parse((await runBuiltCli(['probe', url, '--cacert', at('ca-bundle.pem'), '--json'])).stdout) as { error: { message: string }; trace: Array<{ event: string; detail?: { message?: string } }> };
    assert.equal(json.error.message, 'sslv3 alert handshake failure (SSL alert number 40)');
    const errorEvent = json.trace.find((e) => e.event === 'error');
    assert.equal(errorEvent?.detail?.message, 'sslv3 alert handshake failure (SSL alert number 40)');
  });
});
