import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { WorkspaceCertificateIndex } from '../../src/core/certs/workspace-certificates';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const organization = 'Workspace Index Test';
let pki: TestPki;
let root: string;
let impostorPem: string;

const derOf = (pem: string): Buffer => Buffer.from(new X509Certificate(pem).raw);

/** A CA with the real root's name and key identifier but its own key: only the signature tells them apart. */
async function impostorOf(caPem: string): Promise<string> {
  const real = new x509.X509Certificate(caPem);
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ski = real.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: real.subject,
    notBefore: real.notBefore,
    notAfter: real.notAfter,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.SubjectKeyIdentifierExtension(ski)],
  });
  return cert.toString('pem');
}

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}

before(async () => {
  pki = await generateTestPki({ organization });
  impostorPem = await impostorOf(pki.rootCa.certPem);
  root = await mkdtemp(join(tmpdir(), 'mtls-probe-workspace-index-'));
});
after(() => rm(root, { recursive: true, force: true }));

describe('WorkspaceCertificateIndex', () => {
  test('finds the matching key and the issuing CA (by signature, not only by name); skips node_modules, .git and big files', async () => {
    const stray = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const dir = await folder('workspace', {
      'ca.pem': pki.rootCa.certPem,
      // Sorts before ca.pem, has the same name and key identifier: chosen only if its signature check is skipped.
      'a-impostor.pem': impostorPem,
      'leaf/client.crt': pki.clients.valid.certPem,
      'leaf/client.key': pki.clients.valid.keyPem,
      'stray.key': stray,
      'notes.txt': pki.clients.untrusted.keyPem,
      'node_modules/pkg/untrusted.key': pki.clients.untrusted.keyPem,
      '.git/objects/other-ca.pem': pki.otherCa.certPem,
      'big.pem': pki.otherCa.certPem + '#'.repeat(1024 * 1024),
    });
    await symlink(dir, join(dir, 'leaf', 'loop'));
    const index = await WorkspaceCertificateIndex.build([dir]);
    assert.deepEqual(index.size, { files: 5, certificates: 3, keys: 2 });

    const client = derOf(pki.clients.valid.certPem);
    assert.deepEqual(index.hasMatchingKey(client), { file: join(dir, 'leaf/client.key') });
    assert.deepEqual(index.findIssuer(client), { file: join(dir, 'ca.pem'), subject: `CN=${organization} Root CA,O=${organization}` });

    const untrusted = derOf(pki.clients.untrusted.certPem);
    assert.equal(index.hasMatchingKey(untrusted), null, 'its key is only in notes.txt and node_modules');
    assert.equal(index.findIssuer(untrusted), null, 'its CA is only in .git and a file over 1 MB');
    assert.equal(index.findIssuer(derOf(pki.rootCa.certPem)), null, 'a self-signed root is not its own issuer');
    assert.equal(index.hasMatchingKey(derOf(pki.rootCa.certPem)), null);
    assert.equal(index.hasMatchingKey(new Uint8Array([0x30, 0x00])), null);
    assert.equal(index.findIssuer(new Uint8Array([0x30, 0x00])), null);
  });

  test('update and remove keep it current; a remove wins over an update still reading', async () => {
    const dir = await folder('changing', {
      'ca.pem': pki.rootCa.certPem,
      'certs/client.pem': pki.clients.valid.certPem + pki.clients.valid.keyPem,
    });
    const other = await folder('second-folder', { 'untrusted.key': pki.clients.untrusted.keyPem });
    const index = await WorkspaceCertificateIndex.build([dir, other]);
    const client = derOf(pki.clients.valid.certPem);
    const untrusted = derOf(pki.clients.untrusted.certPem);
    assert.deepEqual(index.hasMatchingKey(client), { file: join(dir, 'certs/client.pem') }, 'a combined certificate + key file');
    assert.deepEqual(index.hasMatchingKey(untrusted), { file: join(other, 'untrusted.key') }, 'every folder is read');
    assert.equal(index.findIssuer(untrusted), null);

    // A new CA file.
    await writeFile(join(dir, 'other-ca.crt'), pki.otherCa.certPem);
    await index.update(join(dir, 'other-ca.crt'));
    assert.deepEqual(index.findIssuer(untrusted), { file: join(dir, 'other-ca.crt'), subject: `CN=${organization} Untrusted CA,O=${organization} (not trusted)` });

    // The CA replaced by an impostor with its name: no issuer any more.
    await writeFile(join(dir, 'ca.pem'), impostorPem);
    await index.update(join(dir, 'ca.pem'));
    assert.equal(index.findIssuer(client), null);
    await writeFile(join(dir, 'ca.pem'), pki.rootCa.certPem);
    await index.update(join(dir, 'ca.pem'));
    assert.deepEqual(index.findIssuer(client)?.file, join(dir, 'ca.pem'));

    // The key taken out of the combined file, then the file deleted.
    await writeFile(join(dir, 'certs/client.pem'), pki.clients.valid.certPem);
    await index.update(join(dir, 'certs/client.pem'));
    assert.equal(index.hasMatchingKey(client), null);
    await writeFile(join(dir, 'certs/client.key'), pki.clients.valid.keyPem);
    await index.update(join(dir, 'certs/client.key'));
    assert.deepEqual(index.hasMatchingKey(client), { file: join(dir, 'certs/client.key') });
    await unlink(join(dir, 'certs/client.key'));
    await index.update(join(dir, 'certs/client.key'));
    assert.equal(index.hasMatchingKey(client), null, 'updating a deleted file removes it');

    // A folder removed at once; files the index does not read are ignored.
    await writeFile(join(dir, 'certs/client.key'), pki.clients.valid.keyPem);
    await index.update(join(dir, 'certs/client.key'));
    index.remove(join(dir, 'certs'));
    assert.equal(index.hasMatchingKey(client), null);
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await writeFile(join(dir, 'node_modules/client.key'), pki.clients.valid.keyPem);
    await index.update(join(dir, 'node_modules/client.key'));
    await writeFile(join(dir, 'client-key.txt'), pki.clients.valid.keyPem);
    await index.update(join(dir, 'client-key.txt'));
    assert.equal(index.hasMatchingKey(client), null);

    // A remove while an update of the same file is still reading: the remove wins.
    await writeFile(join(dir, 'late.key'), pki.clients.valid.keyPem);
    const reading = index.update(join(dir, 'late.key'));
    index.remove(join(dir, 'late.key'));
    await reading;
    assert.equal(index.hasMatchingKey(client), null);

    index.remove(join(dir, 'ca.pem'));
    assert.equal(index.findIssuer(client), null);
  });

  test('an aborted build rejects with the signal\'s reason', async () => {
    const dir = await folder('aborted', { 'ca.pem': pki.rootCa.certPem });
    const controller = new AbortController();
    controller.abort(new Error('workspace closed'));
    await assert.rejects(WorkspaceCertificateIndex.build([dir], { signal: controller.signal }), /workspace closed/);
    assert.deepEqual((await WorkspaceCertificateIndex.build([join(root, 'does-not-exist')])).size, { files: 0, certificates: 0, keys: 0 });
  });
});
