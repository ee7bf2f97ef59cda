// `mtls-probe pki generate`: the files, their modes and the manifest, and openssl's own verdict on every
// identity — each case must fail in openssl for exactly the reason ALB's tls_verify_status names, and pass
// once that one reason is taken away.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runPkiCommand } from '../../src/cli/definitions/pki';
import { PkiDirectoryError, generatePki, type GeneratedPkiManifest, type PkiKeyAlgorithm } from '../../src/core/pki/generate-pki';
import { requireBinary } from '../support/peers';

// Without a test context requireBinary throws when openssl is missing, so it never returns null here.
const openssl = requireBinary(null, 'openssl', ['/usr/bin/openssl'])!;

interface OpensslRun {
  code: number;
  output: string;
}

function runOpenssl(args: string[], cwd: string): Promise<OpensslRun> {
  return new Promise((resolve) => {
    execFile(openssl, args, { cwd }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** The X509_V_ERR lines openssl verify printed: "error 10 at 0 depth lookup: certificate has expired". */
function verifyErrors(output: string): Array<{ code: number; depth: number; text: string }> {
  return [...output.matchAll(/^error (\d+) at (\d+) depth lookup: (.+)$/gm)].map((m) => ({ code: Number(m[1]), depth: Number(m[2]), text: m[3]! }));
}

function pemCertificates(text: string): X509Certificate[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
}

const eku = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', codeSigning: '1.3.6.1.5.5.7.3.3', emailProtection: '1.3.6.1.5.5.7.3.4' };

interface VerifyExpectation {
  albStatus: string;
  /** null: openssl verify says OK. Otherwise the single X509_V_ERR code and its text. */
  error: { code: number; text: RegExp } | null;
  /** The leaf's issuer has a CRL in the PKI, so revocation is checked too. */
  crlCheck: boolean;
  extraArgs?: string[];
  /** Arguments that remove the one fault, after which openssl verify must say OK. */
  withoutTheFault?: (args: string[]) => string[];
}

// OpenSSL 1.1 says "unsupported certificate purpose", 3.x "unsuitable certificate purpose": the code is what counts.
const expectations: Record<string, VerifyExpectation> = {
  valid: { albStatus: 'Success', error: null, crlCheck: true },
  expired: {
    albStatus: 'Failed:ClientCertExpired',
    error: { code: 10, text: /certificate has expired/ },
    crlCheck: true,
    withoutTheFault: (args) => ['verify', '-no_check_time', ...args.slice(1)],
  },
  'not-yet-valid': {
    albStatus: 'Failed:ClientCertNotYetValid',
    error: { code: 9, text: /certificate is not yet valid/ },
    crlCheck: true,
    withoutTheFault: (args) => ['verify', '-no_check_time', ...args.slice(1)],
  },
  untrusted: {
    albStatus: 'Failed:ClientCertUntrusted',
    error: { code: 20, text: /unable to get local issuer certificate/ },
    crlCheck: false,
    withoutTheFault: (args) => args.map((a) => (a === 'ca-bundle.pem' ? 'untrusted-ca.pem' : a)),
  },
  'wrong-purpose': {
    albStatus: 'Failed:ClientCertPurposeInvalid',
    error: { code: 26, text: /(unsuitable|unsupported) certificate purpose/ },
    crlCheck: true,
    withoutTheFault: (args) => args.map((a) => (a === 'sslclient' ? 'sslserver' : a)),
  },
  revoked: {
    albStatus: 'Failed:ClientCertCrlHit',
    error: { code: 23, text: /certificate revoked/ },
    crlCheck: true,
    withoutTheFault: (args) => args.filter((a) => a !== '-crl_check'),
  },
  // -verify_depth counts intermediates only (not the leaf, not the trust anchor); ALB's limit is 4.
  'chain-too-deep': {
    albStatus: 'Failed:ClientCertMaxChainDepthExceeded',
    error: { code: 22, text: /certificate chain too long/ },
    crlCheck: false,
    extraArgs: ['-verify_depth', '4'],
    withoutTheFault: (args) => args.map((a) => (a === '4' ? '5' : a)),
  },
  'no-client-auth-eku': {
    albStatus: 'Failed:ClientCertPurposeInvalid',
    error: { code: 26, text: /(unsuitable|unsupported) certificate purpose/ },
    crlCheck: true,
    withoutTheFault: (args) => args.map((a) => (a === 'sslclient' ? 'smimesign' : a)),
  },
};

function verifyArgs(manifest: GeneratedPkiManifest, name: string): string[] {
  const identity = manifest.identities.find((id) => id.name === name);
  const expectation = expectations[name];
  assert.ok(identity && expectation, `identity ${name}`);
  return [
    'verify',
    '-x509_strict',
    '-CAfile',
    manifest.trustStore,
    '-untrusted',
    identity.chain,
    '-purpose',
    'sslclient',
    ...(expectation.crlCheck ? ['-crl_check', '-CRLfile', manifest.crl!] : []),
    ...(expectation.extraArgs ?? []),
    identity.cert,
  ];
}

let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mtls-probe-pki-'));
});

after(() => rm(scratch, { recursive: true, force: true }));

for (const keyAlgorithm of ['p256', 'rsa2048'] as PkiKeyAlgorithm[]) {
  describe(`generatePki with ${keyAlgorithm} keys`, () => {
    let dir: string;
    let manifest: GeneratedPkiManifest;
    /** The clock just before and just after the generation. */
    let generation: { from: number; to: number };

    before(async () => {
      dir = join(scratch, keyAlgorithm);
      const from = Date.now();
      manifest = await generatePki(dir, { keyAlgorithm });
      generation = { from, to: Date.now() };
    });

    test('writes the CAs, trust store, CRL, server and three files per identity, and nothing else', async () => {
      const expected = [
        'ca-bundle.pem',
        'intermediate-ca.crl.pem',
        'intermediate-ca.key',
        'intermediate-ca.pem',
        'manifest.json',
        'root-ca.key',
        'root-ca.pem',
        'server.key',
        'server.pem',
        'untrusted-ca.pem',
        ...Object.keys(expectations).flatMap((name) => [`${name}.pem`, `${name}.chain.pem`, `${name}.key`]),
      ].sort();
      assert.deepEqual((await readdir(dir)).sort(), expected);
    });

    test('private keys are mode 0600 and PKCS#8 of the chosen type; nothing else holds a key', async () => {
      for (const name of await readdir(dir)) {
        const text = await readFile(join(dir, name), 'utf8');
        const mode = (await stat(join(dir, name))).mode & 0o777;
        if (name.endsWith('.key')) {
          assert.equal(mode, 0o600, `${name} mode ${mode.toString(8)}`);
          assert.match(text, /^-----BEGIN PRIVATE KEY-----\n/);
          const key = createPrivateKey(text);
          assert.equal(key.asymmetricKeyType, keyAlgorithm === 'p256' ? 'ec' : 'rsa');
          if (keyAlgorithm === 'p256') assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
          else assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
        } else {
          assert.doesNotMatch(text, /PRIVATE KEY/, `${name} must not contain a private key`);
        }
      }
    });

    test('manifest.json is the returned manifest, with relative file names and the ALB status per identity', async () => {
      assert.deepEqual(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')), manifest);
      assert.equal(manifest.keyAlgorithm, keyAlgorithm);
      assert.equal(manifest.trustStore, 'ca-bundle.pem');
      assert.equal(manifest.crl, 'intermediate-ca.crl.pem');
      assert.deepEqual(manifest.server, { cert: 'server.pem', key: 'server.key', names: ['localhost', '127.0.0.1', '::1'] });
      const generatedAt = Date.parse(manifest.generatedAt);
      assert.ok(generation.from <= generatedAt && generatedAt <= generation.to, `${manifest.generatedAt}: the time of the generation`);
      assert.deepEqual(
        manifest.identities.map((id) => [id.name, id.expectedTlsVerifyStatus]),
        Object.entries(expectations).map(([name, e]) => [name, e.albStatus]),
      );
      for (const id of manifest.identities) {
        assert.deepEqual([id.cert, id.chain, id.key], [`${id.name}.pem`, `${id.name}.chain.pem`, `${id.name}.key`]);
        assert.ok(id.description.length > 20, `${id.name} has a description`);
      }
    });

    test('each key belongs to its certificate; each chain is the leaf then its issuers in order', async () => {
      const intermediate = new X509Certificate(await readFile(join(dir, 'intermediate-ca.pem')));
      for (const id of manifest.identities) {
        const leaf = new X509Certificate(await readFile(join(dir, id.cert)));
        assert.ok(leaf.checkPrivateKey(createPrivateKey(await readFile(join(dir, id.key), 'utf8'))), `${id.name} key matches`);
        assert.equal(leaf.ca, false);
        const chain = pemCertificates(await readFile(join(dir, id.chain), 'utf8'));
        assert.equal(chain[0]!.fingerprint256, leaf.fingerprint256, `${id.name} chain starts with the leaf`);
        for (let i = 1; i < chain.length; i++) assert.ok(chain[i - 1]!.checkIssued(chain[i]!), `${id.name} chain[${i}] issued chain[${i - 1}]`);
        const expectedLength = id.name === 'chain-too-deep' ? 6 : id.name === 'untrusted' ? 1 : 2;
        assert.equal(chain.length, expectedLength, `${id.name} chain length`);
        if (expectedLength === 2) assert.equal(chain[1]!.fingerprint256, intermediate.fingerprint256);
      }
    });

    test('EKUs and validity make each case distinct', async () => {
      const leaf = async (name: string): Promise<X509Certificate> => new X509Certificate(await readFile(join(dir, `${name}.pem`)));
      assert.deepEqual((await leaf('valid')).keyUsage, [eku.clientAuth]);
      assert.deepEqual((await leaf('wrong-purpose')).keyUsage, [eku.serverAuth]);
      assert.deepEqual((await leaf('no-client-auth-eku')).keyUsage, [eku.codeSigning, eku.emailProtection]);
      const now = Date.now();
      assert.ok(Date.parse((await leaf('expired')).validTo) < now);
      assert.ok(Date.parse((await leaf('not-yet-valid')).validFrom) > now);
      for (const name of ['valid', 'revoked', 'untrusted', 'chain-too-deep', 'wrong-purpose', 'no-client-auth-eku']) {
        const cert = await leaf(name);
        assert.ok(Date.parse(cert.validFrom) < now && now < Date.parse(cert.validTo), `${name} is within its validity`);
      }
    });

    test('the trust store is root + intermediate with no blank lines; only the root is self-signed', async () => {
      const text = await readFile(join(dir, 'ca-bundle.pem'), 'utf8');
      assert.doesNotMatch(text, /\n\s*\n/);
      const [root, intermediate, ...rest] = pemCertificates(text);
      assert.equal(rest.length, 0);
      assert.ok(root && intermediate);
      assert.equal(root.fingerprint256, new X509Certificate(await readFile(join(dir, 'root-ca.pem'))).fingerprint256);
      assert.equal(intermediate.fingerprint256, new X509Certificate(await readFile(join(dir, 'intermediate-ca.pem'))).fingerprint256);
      assert.ok(root.ca && intermediate.ca);
      assert.ok(root.checkIssued(root) && intermediate.checkIssued(root) && !intermediate.checkIssued(intermediate));
      const untrustedCa = new X509Certificate(await readFile(join(dir, 'untrusted-ca.pem')));
      assert.notEqual(untrustedCa.subject, root.subject);
    });

    test('openssl verify agrees with every identity, for exactly the reason ALB names', async () => {
      await Promise.all(
        manifest.identities.map(async (id) => {
          const expectation = expectations[id.name]!;
          const args = verifyArgs(manifest, id.name);
          const run = await runOpenssl(args, dir);
          const errors = verifyErrors(run.output);
          const shown = `openssl ${args.join(' ')}\n${run.output}`;
          if (expectation.error === null) {
            assert.equal(run.code, 0, shown);
            assert.match(run.output, new RegExp(`^${id.cert}: OK$`, 'm'), shown);
            assert.deepEqual(errors, [], shown);
          } else {
            assert.notEqual(run.code, 0, shown);
            assert.equal(errors.length, 1, `exactly one verification error:\n${shown}`);
            assert.equal(errors[0]!.code, expectation.error.code, shown);
            assert.match(errors[0]!.text, expectation.error.text, shown);
          }
        }),
      );
    });

    test('each failing identity passes openssl verify once its one fault is taken away', async () => {
      await Promise.all(
        Object.entries(expectations)
          .filter(([, e]) => e.withoutTheFault)
          .map(async ([name, e]) => {
            const args = e.withoutTheFault!(verifyArgs(manifest, name));
            const run = await runOpenssl(args, dir);
            assert.equal(run.code, 0, `openssl ${args.join(' ')}\n${run.output}`);
            assert.match(run.output, new RegExp(`^${name}\\.pem: OK$`, 'm'));
          }),
      );
    });

    test('the CRL is signed by the intermediate and revokes only the revoked identity', async () => {
      const run = await runOpenssl(['crl', '-in', 'intermediate-ca.crl.pem', '-CAfile', 'ca-bundle.pem', '-noout', '-text'], dir);
      assert.equal(run.code, 0, run.output);
      assert.match(run.output, /verify OK/);
      const revokedSerials = [...run.output.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]);
      const revoked = new X509Certificate(await readFile(join(dir, 'revoked.pem')));
      assert.deepEqual(revokedSerials, [revoked.serialNumber.toUpperCase()]);
      assert.match(run.output, /Key Compromise/);
      assert.match(run.output, /X509v3 CRL Number:\s*\n\s*1\b/);
    });

    test('the server certificate verifies for localhost, 127.0.0.1 and ::1 as an SSL server, and not for other names', async () => {
      const base = ['verify', '-x509_strict', '-CAfile', 'ca-bundle.pem', '-untrusted', 'server.pem', '-purpose', 'sslserver'];
      for (const check of [
        ['-verify_hostname', 'localhost'],
        ['-verify_ip', '127.0.0.1'],
        ['-verify_ip', '::1'],
      ]) {
        const run = await runOpenssl([...base, ...check, 'server.pem'], dir);
        assert.equal(run.code, 0, `${check.join(' ')}\n${run.output}`);
        assert.match(run.output, /^server\.pem: OK$/m);
      }
      const wrongName = await runOpenssl([...base, '-verify_hostname', 'example.com', 'server.pem'], dir);
      assert.equal(verifyErrors(wrongName.output)[0]?.code, 62, wrongName.output);
      const [leaf, intermediate, ...rest] = pemCertificates(await readFile(join(dir, 'server.pem'), 'utf8'));
      assert.equal(rest.length, 0);
      assert.ok(leaf && intermediate && leaf.checkIssued(intermediate));
      assert.ok(leaf.checkPrivateKey(createPrivateKey(await readFile(join(dir, 'server.key'), 'utf8'))));
    });
  });
}

describe('generatePki output directory and clock', () => {
  test('refuses a non-empty directory, naming it; force replaces the files and still makes keys 0600', async () => {
    const dir = join(scratch, 'non-empty');
    await generatePki(dir);
    await assert.rejects(generatePki(dir), (e: unknown) => {
      assert.ok(e instanceof PkiDirectoryError);
      assert.equal(e.problem, 'not-empty');
      assert.ok(e.message.includes(dir), e.message);
      return true;
    });
    // A stale key left world-readable, and an unrelated file the user keeps there.
    await chmod(join(dir, 'valid.key'), 0o644);
    await writeFile(join(dir, 'notes.txt'), 'mine\n');
    const before = await readFile(join(dir, 'valid.pem'), 'utf8');
    const manifest = await generatePki(dir, { force: true });
    assert.equal((await stat(join(dir, 'valid.key'))).mode & 0o777, 0o600);
    assert.notEqual(await readFile(join(dir, 'valid.pem'), 'utf8'), before);
    assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'mine\n');
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')), manifest);
  });

  test('an unusable path is a PkiDirectoryError naming it', async () => {
    const file = join(scratch, 'a-file');
    await writeFile(file, 'x');
    await assert.rejects(generatePki(file), (e: unknown) => e instanceof PkiDirectoryError && e.problem === 'not-a-directory' && e.message.includes(file));
    // Below a regular file: mkdir fails with ENOTDIR, even for root.
    await assert.rejects(generatePki(join(file, 'sub')), (e: unknown) => e instanceof PkiDirectoryError && e.problem === 'io' && e.message.includes(join(file, 'sub')));
  });

  test('options.now sets every validity period, and openssl agrees at that time', async () => {
    const now = new Date('2021-03-04T05:06:07.000Z');
    const dir = join(scratch, 'fixed-clock');
    const manifest = await generatePki(dir, { now });
    assert.equal(manifest.generatedAt, '2021-03-04T05:06:07.000Z');
    const valid = new X509Certificate(await readFile(join(dir, 'valid.pem')));
    assert.ok(Date.parse(valid.validFrom) <= now.getTime() && now.getTime() < Date.parse(valid.validTo));
    const attime = String(Math.floor(now.getTime() / 1000) + 60);
    for (const [name, code] of [
      ['valid', 0],
      ['expired', 10],
      ['not-yet-valid', 9],
      ['revoked', 23],
    ] as const) {
      const run = await runOpenssl(['verify', '-attime', attime, ...verifyArgs(manifest, name).slice(1)], dir);
      assert.equal(verifyErrors(run.output)[0]?.code ?? 0, code, run.output);
    }
  });
});

describe('mtls-probe pki', () => {
  function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; out: () => string; err: () => string } {
    let out = '';
    let err = '';
    return { io: { out: (t) => (out += t), err: (t) => (err += t) }, out: () => out, err: () => err };
  }

  test('generate prints a table of identities with their expected ALB status and files', async () => {
    const dir = join(scratch, 'cli-human');
    const c = capture();
    assert.equal(await runPkiCommand(['generate', dir], c.io), 0, c.err());
    assert.equal(c.err(), '');
    assert.match(c.out(), new RegExp(`Trust store +${join(dir, 'ca-bundle.pem')}`));
    for (const [name, e] of Object.entries(expectations)) {
      assert.match(c.out(), new RegExp(`^${name} +${e.albStatus} +${name}\\.pem +${name}\\.chain\\.pem +${name}\\.key$`, 'm'));
    }
    assert.doesNotMatch(c.out(), /PRIVATE KEY/);
  });

  test('--json prints the manifest; --key rsa2048 and --force are honoured', async () => {
    const dir = join(scratch, 'cli-json');
    const first = capture();
    assert.equal(await runPkiCommand(['generate', dir, '--json'], first.io), 0, first.err());
    const again = capture();
    assert.equal(await runPkiCommand(['generate', dir, '--json', '--key', 'rsa2048', '--force'], again.io), 0, again.err());
    const printed = JSON.parse(again.out()) as GeneratedPkiManifest;
    assert.equal(printed.keyAlgorithm, 'rsa2048');
    assert.deepEqual(printed, JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  });

  test('usage problems and unusable directories exit 2 with one line on stderr', async () => {
    const nonEmpty = join(scratch, 'cli-non-empty');
    await runPkiCommand(['generate', nonEmpty], capture().io);
    const file = join(scratch, 'cli-a-file');
    await writeFile(file, 'x');
    const cases: Array<[string[], RegExp]> = [
      [[], /pki needs a subcommand/],
      [['make', 'x'], /Unknown pki subcommand "make"/],
      [['generate'], /takes one directory/],
      [['generate', 'a', 'b'], /takes one directory/],
      [['generate', join(scratch, 'cli-x'), '--key', 'ed25519'], /--key takes p256 or rsa2048, not "ed25519"/],
      [['generate', join(scratch, 'cli-y'), '--bogus'], /Unknown option '--bogus'/],
      [['generate', nonEmpty], new RegExp(`${nonEmpty}: it is not empty; .*--force`)],
      [['generate', join(file, 'sub')], new RegExp(`cannot use ${join(file, 'sub')}: ENOTDIR`)],
    ];
    for (const [args, message] of cases) {
      const c = capture();
      assert.equal(await runPkiCommand(args, c.io), 2, args.join(' '));
      assert.equal(c.out(), '');
      assert.match(c.err(), /^mtls-probe: [^\n]+\n$/, args.join(' '));
      assert.match(c.err(), message, args.join(' '));
    }
  });

  test('--help prints the usage and exits 0', async () => {
    const c = capture();
    assert.equal(await runPkiCommand(['generate', '--help'], c.io), 0);
    assert.match(c.out(), /mtls-probe pki generate DIR \[--key p256\|rsa2048\] \[--force\] \[--json\]/);
  });
});
