import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findIdentityPairs } from '../../src/core/certs/pairs';
import { formatIdentityPairs } from '../../src/core/report/certificate-text';
import { generatePki } from '../../src/core/pki/generate-pki';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

let pki: TestPki;
let root: string;

before(async () => {
  pki = await generateTestPki({ organization: 'Pairs Test' });
  root = await mkdtemp(join(tmpdir(), 'mtls-probe-pairs-'));
});
after(() => rm(root, { recursive: true, force: true }));

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text, { mode: file.endsWith('.key') ? 0o600 : 0o644 });
  }
  return dir;
}

describe('findIdentityPairs', () => {
  test('pairs by public key, never by file name; warns about serverAuth-only and expired pairs', async () => {
    const dir = await folder('mixed', {
      'ca.pem': pki.rootCa.certPem,
      'client.crt': pki.clients.valid.certPem,
      // The names lie: "client.key" is the untrusted identity's key, "other.key" the valid one's.
      'client.key': pki.clients.untrusted.keyPem,
      'other.key': pki.clients.valid.keyPem,
      'untrusted.pem': pki.clients.untrusted.certPem,
      'server/server.pem': pki.server.certPem,
      'server/server.key': pki.server.keyPem,
      'old/expired.pem': pki.clients.expired.certPem + pki.clients.expired.keyPem,
    });
    const found = await findIdentityPairs(dir);
    assert.deepEqual(
      found.pairs.map((p) => [p.cert.slice(dir.length + 1), p.key.slice(dir.length + 1), p.subject, p.expired, p.clientAuth, p.keyEncrypted]),
      [
        ['client.crt', 'other.key', 'CN=valid client,O=Pairs Test', false, true, false],
        ['old/expired.pem', 'old/expired.pem', 'CN=expired client,O=Pairs Test', true, true, false],
        ['server/server.pem', 'server/server.key', 'CN=localhost,O=Pairs Test', false, false, false],
        ['untrusted.pem', 'client.key', 'CN=untrusted client,O=Pairs Test', false, true, false],
      ],
    );
    assert.equal(found.pairs[0]?.notAfter, new Date(new X509Certificate(pki.clients.valid.certPem).validTo).toISOString());
    assert.deepEqual(found.unmatchedKeys, []);
    assert.deepEqual(found.unmatchedCertificates, [], 'the CA certificate is not expected to come with a key');
    assert.equal(found.warnings.length, 2);
    assert.match(found.warnings[0]!, /old\/expired\.pem \(CN=expired client,O=Pairs Test\) expired 30 days ago \(valid .* to .*\)\.$/);
    assert.match(found.warnings[1]!, /server\/server\.pem \(CN=localhost,O=Pairs Test\) cannot be used as a TLS client certificate: its extended key usage \(serverAuth\) lacks clientAuth\.$/);
    assert.deepEqual(found.skipped, []);
  });

  test('unmatched keys and certificates, encrypted keys listed (and paired with a passphrase)', async () => {
    const stray = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const locked = createPrivateKey(pki.clients.valid.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' }) as string;
    const dir = await folder('unmatched', {
      'stray.key': stray,
      'lonely.pem': pki.clients.untrusted.certPem,
      'valid.pem': pki.clients.valid.certPem,
      'valid.key': locked,
    });
    const found = await findIdentityPairs(dir);
    assert.deepEqual(found.pairs, []);
    assert.deepEqual(found.unmatchedKeys, [join(dir, 'stray.key')]);
    assert.deepEqual(found.unmatchedCertificates, [join(dir, 'lonely.pem'), join(dir, 'valid.pem')]);
    assert.deepEqual(found.encryptedKeysNotChecked, [join(dir, 'valid.key')]);

    const unlocked = await findIdentityPairs(dir, { passphrase: 'open sesame' });
    assert.deepEqual(unlocked.pairs.map((p) => [p.cert, p.key, p.keyEncrypted]), [[join(dir, 'valid.pem'), join(dir, 'valid.key'), true]]);
    assert.deepEqual(unlocked.encryptedKeysNotChecked, []);
    assert.ok(!JSON.stringify(unlocked).includes('open sesame'));
    // A wrong passphrase leaves the key unchecked rather than failing the whole search.
    assert.deepEqual((await findIdentityPairs(dir, { passphrase: 'wrong' })).encryptedKeysNotChecked, [join(dir, 'valid.key')]);
  });

  test('skips node_modules, .git, big files, unreadable crypto files; survives a symlink loop; honours maxDepth and maxFiles', async () => {
    const dir = await folder('walk', {
      'node_modules/pkg/client.pem': pki.clients.valid.certPem,
      'node_modules/pkg/client.key': pki.clients.valid.keyPem,
      '.git/objects/client.key': pki.clients.valid.keyPem,
      'big.pem': pki.clients.valid.certPem + 'x'.repeat(1024 * 1024 + 1),
      'broken.pem': '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n',
      'notes.pem': 'no blocks here',
      'README': 'an extensionless file without PEM is not a certificate file: no noise about it',
      'source.ts': 'export {};',
      'a/b/c/deep.pem': pki.clients.valid.certPem,
      'a/b/c/deep.key': pki.clients.valid.keyPem,
    });
    await symlink(dir, join(dir, 'a', 'loop'));
    const found = await findIdentityPairs(dir);
    assert.deepEqual(found.pairs.map((p) => p.cert), [join(dir, 'a/b/c/deep.pem')]);
    const reasons = Object.fromEntries(found.skipped.map((s) => [s.file.slice(dir.length + 1), s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['a/loop', 'big.pem', 'notes.pem']);
    assert.match(reasons['a/loop']!, /already searched \(a symbolic link back to /);
    assert.match(reasons['big.pem']!, /larger than 1 MB/);
    assert.match(reasons['notes.pem']!, /notes\.pem is text without any -----BEGIN/);
    assert.ok(found.warnings.some((w) => /broken\.pem line 1 is not valid base64/.test(w)));

    const shallow = await findIdentityPairs(dir, { maxDepth: 1 });
    assert.deepEqual(shallow.pairs, []);
    assert.ok(shallow.skipped.some((s) => s.file === join(dir, 'a', 'b') && /deeper than 1 folder levels/.test(s.reason)));

    const few = await findIdentityPairs(dir, { maxFiles: 2 });
    assert.ok(few.warnings.includes('Stopped after 2 files: the folder has more; search a narrower folder or raise maxFiles.'));
  });

  test('one certificate in two files and its key in two files make one pair that lists every file', async () => {
    const dir = await folder('copies', {
      'client-2024.pem': pki.clients.valid.certPem,
      'client-2025.pem': pki.clients.valid.certPem,
      'client.key': pki.clients.valid.keyPem,
      'backup/client.key': pki.clients.valid.keyPem,
    });
    const found = await findIdentityPairs(dir);
    const rel = (files: string[]): string[] => files.map((f) => f.slice(dir.length + 1));
    assert.equal(found.pairs.length, 1);
    const [pair] = found.pairs;
    assert.deepEqual([pair!.cert, pair!.key].map((f) => f.slice(dir.length + 1)), ['client-2024.pem', 'backup/client.key']);
    assert.deepEqual(rel(pair!.certFiles), ['client-2024.pem', 'client-2025.pem']);
    assert.deepEqual(rel(pair!.keyFiles), ['backup/client.key', 'client.key']);
    assert.equal(pair!.sha256, new X509Certificate(pki.clients.valid.certPem).fingerprint256.replace(/:/g, '').toLowerCase());
  });

  test('a combined PEM (certificate and key) is the file to use, before a copy of the certificate alone', async () => {
    const dir = await folder('combined', {
      'a-cert-only.pem': pki.clients.valid.certPem,
      'z-combined.pem': pki.clients.valid.certPem + pki.clients.valid.keyPem,
      'client.key': pki.clients.valid.keyPem,
    });
    const [pair, ...rest] = (await findIdentityPairs(dir)).pairs;
    assert.deepEqual(rest, []);
    assert.deepEqual([pair!.cert, pair!.key], [join(dir, 'z-combined.pem'), join(dir, 'z-combined.pem')]);
  });
});

describe('findIdentityPairs on a PKI from pki generate', () => {
  let dir: string;
  before(async () => {
    dir = join(root, 'generated');
    await generatePki(dir);
  });

  test('one pair per client certificate, its chain file first, its lone copy listed; no CA as an identity', async () => {
    const found = await findIdentityPairs(dir);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { identities: Array<{ name: string; cert: string; chain: string; key: string }> };
    const rows = found.pairs.map((p) => [p.cert, p.key, p.certFiles].map((v) => (Array.isArray(v) ? v.map((f) => f.slice(dir.length + 1)) : v.slice(dir.length + 1))));
    const expected = [
      ...manifest.identities.map((id) => [id.chain, id.key, [id.chain, id.cert]]),
      ['server.pem', 'server.key', ['server.pem']],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    assert.deepEqual(rows, expected);
    assert.ok(found.pairs.every((p) => !/ CA,/.test(p.subject)), 'CA certificates are not client identities');
    // The intermediate CA is in every chain file and in the trust store: one CA pair, listing them all, its own file first.
    assert.deepEqual(found.caPairs.map((p) => [p.cert.slice(dir.length + 1), p.key.slice(dir.length + 1)]), [
      ['intermediate-ca.pem', 'intermediate-ca.key'],
      ['root-ca.pem', 'root-ca.key'],
    ]);
    const intermediateFiles = found.caPairs[0]!.certFiles.map((f) => f.slice(dir.length + 1));
    for (const file of ['ca-bundle.pem', 'server.pem', 'valid.chain.pem', 'expired.chain.pem']) assert.ok(intermediateFiles.includes(file), file);
    assert.ok(!intermediateFiles.includes('untrusted.chain.pem'));
    assert.deepEqual(found.caPairs[1]!.certFiles.map((f) => f.slice(dir.length + 1)), ['root-ca.pem', 'ca-bundle.pem']);
    assert.deepEqual(found.unmatchedKeys, []);
  });

  test('each warning once, about client certificates only, naming every file the certificate is in', async () => {
    const found = await findIdentityPairs(dir);
    assert.equal(new Set(found.warnings).size, found.warnings.length, 'no repeated warning');
    assert.ok(!found.warnings.some((w) => / CA,/.test(w)), found.warnings.join('\n'));
    const wrongPurpose = found.warnings.filter((w) => w.includes('CN=wrong-purpose client'));
    assert.equal(wrongPurpose.length, 1);
    assert.match(wrongPurpose[0]!, /wrong-purpose\.chain\.pem, .*wrong-purpose\.pem \(CN=wrong-purpose client,.*\) cannot be used as a TLS client certificate: its extended key usage \(serverAuth\) lacks clientAuth\.$/);
    assert.equal(found.warnings.filter((w) => w.includes('CN=expired client')).length, 1);

    const text = formatIdentityPairs(dir, found);
    assert.match(text, new RegExp(`Identity pairs under .*: ${found.pairs.length}\n`));
    assert.match(text, /\n {2}.*valid\.chain\.pem \+ .*valid\.key\n {6}CN=valid client,.*\n {6}certificate also in: .*\/valid\.pem\n/);
    assert.match(text, /\nCA certificates with their signing keys \(a CA, not a client identity\): 2\n {2}.*intermediate-ca\.pem \+ .*intermediate-ca\.key\n/);
  });
});
