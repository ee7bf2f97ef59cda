// Certificate files made by openssl (the tool people actually use) read back by the inspector, and the
// inspector's fields cross-checked against what openssl prints for the same files.

import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { runCertCommand } from '../../src/cli/definitions/cert';
import { CryptoFileError, readCryptoFile } from '../../src/core/certs/crypto-file';
import { inspectFile } from '../../src/core/certs/inspect';
import { findIdentityPairs } from '../../src/core/certs/pairs';
import { builtCli, runBuiltCli } from '../support/built-cli';
import { requireBinary } from '../support/peers';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const openssl = requireBinary(null, 'openssl', ['/usr/bin/openssl'])!;
let dir: string;

function run(...args: string[]): string {
  return execFileSync(openssl, args, { cwd: dir, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
}

const at = (name: string): string => join(dir, name);

/** "keyid:AB:CD:…" / "AB:CD:…" lines of `openssl x509 -ext` output as lowercase hex. */
function extensionHex(text: string, name: string): string {
  const block = text.split(/\n(?=X509v3 )/).find((b) => b.startsWith(`X509v3 ${name}`)) ?? '';
  return (/([0-9A-F]{2}(?::[0-9A-F]{2})+)/.exec(block)?.[1] ?? '').replace(/:/g, '').toLowerCase();
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtls-probe-cert-formats-'));
  await writeFile(
    at('ca.cnf'),
    `[req]\ndistinguished_name = dn\n[dn]\n[ca_ext]\nbasicConstraints = critical, CA:TRUE, pathlen:0\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n` +
      `[leaf_ext]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = clientAuth, emailProtection\n` +
      `subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\nsubjectAltName = email:ops@example.com, DNS:client.example.com\ncrlDistributionPoints = URI:http://crl.example.com/ca.crl\n`,
  );
  run('req', '-x509', '-newkey', 'rsa:3072', '-sha384', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/C=JP/O=Formats, Inc./CN=Formats CA', '-config', 'ca.cnf', '-extensions', 'ca_ext');
  run('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/O=Formats, Inc./OU=Ops/CN=formats client');
  run('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '20', '-sha256', '-extfile', 'ca.cnf', '-extensions', 'leaf_ext');
  await writeFile(at('bundle.pem'), (await readFile(at('leaf.pem'), 'latin1')) + (await readFile(at('ca.pem'), 'latin1')));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('certificates made by openssl', () => {
  test('every field agrees with openssl x509', async () => {
    const report = inspectFile(await readCryptoFile(at('bundle.pem')));
    const [leaf, ca] = report.certificates;
    assert.ok(leaf && ca);
    const text = run('x509', '-in', 'leaf.pem', '-noout', '-serial', '-fingerprint', '-sha256', '-subject', '-issuer', '-nameopt', 'RFC2253', '-ext', 'subjectKeyIdentifier,authorityKeyIdentifier');
    assert.equal(leaf.serialNumber, /serial=([0-9A-F]+)/.exec(text)?.[1]?.replace(/^(00)+(?=.)/, ''));
    assert.equal(leaf.sha256, /Fingerprint=([0-9A-F:]+)/.exec(text)?.[1]?.replace(/:/g, '').toLowerCase());
    assert.equal(leaf.subject, /subject=(.*)/.exec(text)?.[1]);
    assert.equal(leaf.issuer, /issuer=(.*)/.exec(text)?.[1]);
    assert.equal(leaf.subject, 'CN=formats client,OU=Ops,O=Formats\\, Inc.');
    assert.equal(leaf.subjectKeyIdentifier, extensionHex(text, 'Subject Key Identifier'));
    assert.equal(leaf.authorityKeyIdentifier, extensionHex(text, 'Authority Key Identifier'));
    assert.equal(leaf.sha1, run('x509', '-in', 'leaf.pem', '-noout', '-fingerprint', '-sha1').split('=')[1]!.trim().replace(/:/g, '').toLowerCase());
    assert.deepEqual([leaf.keyType, leaf.keySize, leaf.curve, leaf.signatureAlgorithm], ['EC', 384, 'P-384', 'sha256WithRSAEncryption']);
    assert.deepEqual(leaf.keyUsage, ['digitalSignature', 'keyEncipherment']);
    assert.deepEqual(leaf.extendedKeyUsage, ['clientAuth', 'emailProtection']);
    assert.equal(leaf.clientAuth, true);
    assert.deepEqual(leaf.crlDistributionPoints, ['http://crl.example.com/ca.crl']);
    assert.deepEqual(leaf.subjectAltNames, ['email:ops@example.com', 'DNS:client.example.com']);
    assert.deepEqual(leaf.validity, { state: 'valid', relative: 'expires in 20 days' });
    assert.deepEqual([ca.keyType, ca.keySize, ca.signatureAlgorithm], ['RSA', 3072, 'sha384WithRSAEncryption']);
    assert.deepEqual(ca.basicConstraints, { ca: true, pathLength: 0 });
    assert.equal(ca.selfSigned, true);
    assert.deepEqual(report.chain?.breaks, []);
    assert.equal(report.chain?.complete, true);
  });

  test('a CSR and keys, plain and encrypted, as openssl writes them', async () => {
    run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-aes256', '-pass', 'pass:key pass', '-out', 'pkcs8-enc.key');
    run('pkey', '-in', 'leaf.key', '-traditional', '-aes256', '-passout', 'pass:key pass', '-out', 'legacy-enc.key');
    run('pkey', '-in', 'ca.key', '-traditional', '-out', 'rsa-pkcs1.key');
    const csr = inspectFile(await readCryptoFile(at('leaf.csr')));
    assert.deepEqual(csr.csrs, [{ subject: 'CN=formats client,OU=Ops,O=Formats\\, Inc.', keyType: 'EC P-384' }]);
    const spkiSha = (file: string, pass?: string): string =>
      createHash('sha256')
        .update(execFileSync(openssl, ['pkey', '-in', file, '-pubout', '-outform', 'DER', ...(pass ? ['-passin', `pass:${pass}`] : [])], { cwd: dir }))
        .digest('hex');
    const legacy = await readCryptoFile(at('legacy-enc.key'), { passphrase: 'key pass' });
    assert.deepEqual(legacy.privateKeys, [{ line: 1, encrypted: true, keyType: 'EC P-384', publicKeySha256: spkiSha('leaf.key') }]);
    const pkcs8 = await readCryptoFile(at('pkcs8-enc.key'));
    assert.deepEqual(pkcs8.privateKeys, [{ line: 1, encrypted: true }]);
    assert.equal((await readCryptoFile(at('pkcs8-enc.key'), { passphrase: 'key pass' })).privateKeys[0]?.publicKeySha256, spkiSha('pkcs8-enc.key', 'key pass'));
    const rsa = await readCryptoFile(at('rsa-pkcs1.key'));
    assert.deepEqual(rsa.privateKeys, [{ line: 1, encrypted: false, keyType: 'RSA 3072', publicKeySha256: spkiSha('ca.key') }]);
    const leaf = await readCryptoFile(at('leaf.pem'));
    assert.equal(rsa.privateKeys[0]?.publicKeySha256 === legacy.privateKeys[0]?.publicKeySha256, false);
    assert.equal(leaf.certificates.length, 1);
  });

  test('PKCS#7 from openssl crl2pkcs7, PEM and DER, with and without a CRL; a CRL cross-checked with openssl crl', async () => {
    run('crl2pkcs7', '-nocrl', '-certfile', 'bundle.pem', '-out', 'bundle.p7b');
    run('crl2pkcs7', '-nocrl', '-certfile', 'bundle.pem', '-outform', 'DER', '-out', 'bundle.p7b.der');
    const caKeyDer = createPrivateKey(await readFile(at('ca.key'))).export({ type: 'pkcs8', format: 'der' });
    const caKey = await webcrypto.subtle.importKey('pkcs8', caKeyDer, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    const caName = new x509.X509Certificate(await readFile(at('ca.pem'), 'latin1')).subject;
    const thisUpdate = new Date(Date.UTC(2025, 5, 1));
    const crl = await x509.X509CrlGenerator.create({
      issuer: caName,
      thisUpdate,
      nextUpdate: new Date(Date.UTC(2025, 6, 1)),
      signingKey: caKey,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' },
      entries: [{ serialNumber: '01', revocationDate: thisUpdate }],
    });
    await writeFile(at('ca.crl'), `-----BEGIN X509 CRL-----\n${Buffer.from(crl.rawData).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END X509 CRL-----\n`);
    run('crl2pkcs7', '-in', 'ca.crl', '-certfile', 'bundle.pem', '-out', 'with-crl.p7b');
    run('crl', '-in', 'ca.crl', '-outform', 'DER', '-out', 'ca.crl.der');
    const expected = (await readCryptoFile(at('bundle.pem'))).certificates.map((c) => c.der.toString('hex'));
    for (const file of ['bundle.p7b', 'bundle.p7b.der', 'with-crl.p7b']) {
      const contents = await readCryptoFile(at(file));
      assert.deepEqual(contents.certificates.map((c) => c.der.toString('hex')), expected, file);
      assert.ok(contents.certificates.every((c) => c.source === 'pkcs7'));
      assert.deepEqual(contents.problems, [], file);
    }
    const report = inspectFile(await readCryptoFile(at('with-crl.p7b')));
    assert.equal(report.chain?.complete, true);
    const fromOpenssl = run('crl', '-in', 'ca.crl', '-noout', '-issuer', '-nameopt', 'RFC2253');
    const der = inspectFile(await readCryptoFile(at('ca.crl.der')));
    for (const crlReport of [report.crls[0], der.crls[0]]) {
      assert.equal(crlReport?.issuer, /issuer=(.*)/.exec(fromOpenssl)?.[1]);
      assert.equal(crlReport?.thisUpdate, thisUpdate.toISOString());
      assert.equal(crlReport?.revoked, 1);
    }
  });
});

describe('PKCS#12 made by openssl', () => {
  before(() => {
    run('pkcs12', '-export', '-in', 'leaf.pem', '-inkey', 'leaf.key', '-certfile', 'ca.pem', '-passout', 'pass:p12 pass', '-out', 'modern.p12');
    // Legacy algorithms (3DES, SHA-1 MAC) as older OpenSSL and Windows exports write them.
    run('pkcs12', '-export', '-in', 'leaf.pem', '-inkey', 'leaf.key', '-certfile', 'ca.pem', '-passout', 'pass:p12 pass', '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-out', 'legacy.p12');
  });

  test('modern and legacy files: certificates and key with the passphrase, clear errors without or with a wrong one', async () => {
    const leafDer = (await readCryptoFile(at('leaf.pem'))).certificates[0]!.der;
    const keySha = (await readCryptoFile(at('leaf.key'))).privateKeys[0]!.publicKeySha256;
    for (const file of ['modern.p12', 'legacy.p12']) {
      const contents = await readCryptoFile(at(file), { passphrase: 'p12 pass' });
      assert.equal(contents.certificates.length, 2, file);
      assert.ok(contents.certificates.some((c) => c.der.equals(leafDer) && c.source === 'pkcs12'));
      assert.deepEqual(contents.privateKeys, [{ encrypted: false, keyType: 'EC P-384', publicKeySha256: keySha }]);
      assert.equal(inspectFile(contents).chain?.complete, true);
      await assert.rejects(readCryptoFile(at(file), { passphrase: 'nope' }), (e: unknown) => {
        assert.ok(e instanceof CryptoFileError);
        assert.equal(e.code, 'wrong_passphrase');
        assert.match(e.message, new RegExp(`The passphrase does not open .*${file.replace('.', '\\.')}`));
        assert.ok(!e.message.includes('nope'));
        return true;
      });
      await assert.rejects(readCryptoFile(at(file)), (e: unknown) => e instanceof CryptoFileError && e.code === 'passphrase_required' && /--pass-env VAR/.test(e.message));
    }
  });

  test('cert inspect --pass-env and cert pairs on a folder with a PKCS#12 file', async () => {
    let out = '';
    let err = '';
    process.env.CERT_FORMATS_PASS = 'p12 pass';
    try {
      const code = await runCertCommand(['inspect', at('modern.p12'), '--pass-env', 'CERT_FORMATS_PASS'], { out: (t) => (out += t), err: (t) => (err += t) });
      assert.equal(code, 0, err);
    } finally {
      delete process.env.CERT_FORMATS_PASS;
    }
    assert.match(out, /Certificate 1 of 2 \(PKCS12\)\n {2}Subject: +CN=formats client/);
    assert.match(out, /Private key \(binary\): EC P-384, public key SHA-256 [0-9a-f]{64}\n/);
    assert.ok(!out.includes('p12 pass'));

    const locked = await findIdentityPairs(dir);
    assert.ok(locked.encryptedKeysNotChecked.includes(at('modern.p12')));
    // One pair for the leaf, whichever files hold copies: a file with both certificate and key is the one to use.
    const opened = await findIdentityPairs(dir, { passphrase: 'p12 pass' });
    const leafPairs = opened.pairs.filter((p) => p.subject === 'CN=formats client,OU=Ops,O=Formats\\, Inc.');
    assert.equal(leafPairs.length, 1);
    const [pair] = leafPairs;
    assert.ok([at('legacy.p12'), at('modern.p12')].includes(pair!.cert) && pair!.key === pair!.cert, `${pair!.cert} + ${pair!.key}`);
    for (const file of ['leaf.pem', 'bundle.pem', 'modern.p12', 'bundle.p7b']) assert.ok(pair!.certFiles.includes(at(file)), file);
    for (const file of ['leaf.key', 'modern.p12', 'legacy.p12']) assert.ok(pair!.keyFiles.includes(at(file)), file);
    assert.deepEqual(opened.caPairs.map((p) => [p.cert, p.key]), [[at('ca.pem'), at('ca.key')]]);
  });
});

describe('the built CLI on a PKI from pki generate', () => {
  let pkiDir: string;
  before(async () => {
    assert.ok(existsSync(builtCli), 'dist/cli.js is missing: run npm run build first (npm test does)');
    pkiDir = at('generated-pki');
    const generated = await runBuiltCli(['pki', 'generate', pkiDir]);
    assert.equal(generated.code, 0, generated.stderr);
  });

  test('cert inspect on the chain to send: ends at the intermediate as expected, and verifies with --cacert', async () => {
    const plain = await runBuiltCli(['cert', 'inspect', join(pkiDir, 'valid.chain.pem')]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(
      plain.stdout,
      /Chain \(leaf → root\): ends at CN=mTLS Probe Test PKI \w+ Intermediate CA,O=mTLS Probe Test PKI \w+ \(its issuer, CN=mTLS Probe Test PKI \w+ Root CA,O=mTLS Probe Test PKI \w+, is not in the file: a server verifies it with its own trust store; give --cacert FILE to check it here\)\n/,
    );
    assert.doesNotMatch(plain.stdout, /INCOMPLETE|not found/);

    const anchored = await runBuiltCli(['cert', 'inspect', join(pkiDir, 'valid.chain.pem'), '--cacert', join(pkiDir, 'root-ca.pem')]);
    assert.equal(anchored.code, 0, anchored.stderr);
    assert.match(anchored.stdout, /Chain \(leaf → root\): complete, verified up to the trust anchor CN=mTLS Probe Test PKI \w+ Root CA/);
    // openssl agrees: the chain file's intermediate, then the root as the anchor.
    run('verify', '-CAfile', join(pkiDir, 'root-ca.pem'), '-untrusted', join(pkiDir, 'valid.chain.pem'), join(pkiDir, 'valid.pem'));

    const untrusted = await runBuiltCli(['cert', 'inspect', join(pkiDir, 'untrusted.chain.pem'), '--cacert', join(pkiDir, 'ca-bundle.pem')]);
    assert.equal(untrusted.code, 0, untrusted.stderr);
    assert.match(untrusted.stdout, /Chain \(leaf → root\): INCOMPLETE\n[\s\S]*break at \d: /);
  });

  test('cert pairs: one pair per client certificate with every file it is in; CA certificates apart; each warning once', async () => {
    const human = await runBuiltCli(['cert', 'pairs', pkiDir]);
    assert.equal(human.code, 0, human.stderr);
    const identities = human.stdout.slice(0, human.stdout.indexOf('\nCA certificates'));
    assert.match(identities, /^Identity pairs under .*: 9\n/);
    assert.doesNotMatch(identities, /Intermediate CA|Root CA|intermediate-ca\.key|root-ca\.key/);
    assert.match(identities, /\n {2}.*valid\.chain\.pem \+ .*valid\.key\n {6}CN=valid client,.*\n {6}certificate also in: .*valid\.pem\n/);
    assert.match(human.stdout, /\nCA certificates with their signing keys \(a CA, not a client identity\): 2\n {2}.*intermediate-ca\.pem \+ .*intermediate-ca\.key\n.*\n {6}certificate also in: .*ca-bundle\.pem, .*\n {2}.*root-ca\.pem \+ .*root-ca\.key\n/);
    const warnings = human.stdout.slice(human.stdout.indexOf('\nWarnings:\n')).split('\n').filter((l) => l.startsWith('  '));
    assert.equal(new Set(warnings).size, warnings.length);
    assert.equal(warnings.filter((w) => w.includes('CN=wrong-purpose client')).length, 1);
    assert.ok(!warnings.some((w) => / CA,/.test(w)), warnings.join('\n'));

    const json = JSON.parse((await runBuiltCli(['cert', 'pairs', pkiDir, '--json'])).stdout) as { pairs: Array<{ certFiles: string[] }>; caPairs: unknown[] };
    assert.equal(json.pairs.length, 9);
    assert.equal(json.caPairs.length, 2);
  });
});
