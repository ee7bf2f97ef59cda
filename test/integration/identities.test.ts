// Client identities from every form users have, and every way those files go wrong.
// PKCS#12 files are made by openssl, legacy (RC2/3DES, SHA-1 MAC) and modern (AES, SHA-256 MAC).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { startAlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { IdentityError, loadPemIdentity, loadPfxIdentity } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import { makePkiFiles, requireBinary, type TestPkiFiles } from '../support/peers';

let env: TestPkiFiles;
let dir: string;
let valid: { cert: string; key: string };

before(async () => {
  env = await makePkiFiles();
  dir = await mkdtemp(join(tmpdir(), 'mtls-probe-identities-'));
  valid = env.files.client('valid');
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof IdentityError, `expected IdentityError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('PEM and DER identities', () => {
  test('certificate + key: the identity is usable and its summary and JSON carry no key', async () => {
    const identity = await loadPemIdentity({ certFile: valid.cert, keyFile: valid.key });
    assert.equal(identity.summary().subject, 'CN=valid client,O=mTLS Probe Test PKI');
    assert.equal(identity.chain.length, 1);
    const json = JSON.stringify({ identity });
    assert.doesNotMatch(json, /PRIVATE KEY/);
    assert.equal(JSON.parse(json).identity.keyFile, valid.key);
  });

  test('one PEM holding chain and key, in any order, with text around the blocks', async () => {
    const combined = await file('combined.pem', `Bag Attributes: friendlyName valid\r\n${await readFile(valid.key, 'utf8')}\r\nsome comment\r\n${env.pki.rootCa.certPem}${await readFile(valid.cert, 'utf8')}`);
    const identity = await loadPemIdentity({ certFile: combined });
    assert.equal(identity.chain.length, 2);
    assert.equal(identity.leaf.subject.includes('valid client'), true);
  });

  test('DER certificate and DER keys (PKCS#8, SEC1) are accepted where PEM was expected', async () => {
    const certDer = await file('valid.der', new X509Certificate(await readFile(valid.cert)).raw);
    const key = createPrivateKey(await readFile(valid.key));
    for (const type of ['pkcs8', 'sec1'] as const) {
      const keyDer = await file(`valid-${type}.der`, key.export({ format: 'der', type }));
      const identity = await loadPemIdentity({ certFile: certDer, keyFile: keyDer });
      assert.equal(identity.summary().serialNumber, (await loadPemIdentity({ certFile: valid.cert, keyFile: valid.key })).summary().serialNumber);
    }
  });

  test('encrypted PKCS#8: right passphrase opens it, none or a wrong one says what to do', async () => {
    const key = createPrivateKey(await readFile(valid.key));
    const encrypted = await file('encrypted.key', key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'correct horse' }));
    const identity = await loadPemIdentity({ certFile: valid.cert, keyFile: encrypted, passphrase: 'correct horse' });
    assert.equal(identity.label, 'valid');
    await rejectsWith(loadPemIdentity({ certFile: valid.cert, keyFile: encrypted }), 'passphrase_required', /encrypted.*--pass-env/);
    await rejectsWith(loadPemIdentity({ certFile: valid.cert, keyFile: encrypted, passphrase: 'wrong' }), 'wrong_passphrase', /passphrase does not decrypt/);
  });

  test('a key that does not match the certificate names both files', async () => {
    const other = env.files.client('expired');
    await rejectsWith(loadPemIdentity({ certFile: valid.cert, keyFile: other.key }), 'key_mismatch', /expired\.key does not belong to the certificate in .*valid\.pem/);
  });

  test('missing files, swapped files, garbage and truncated DER each get a clear message', async () => {
    await rejectsWith(loadPemIdentity({ certFile: join(dir, 'nope.pem'), keyFile: valid.key }), 'file_not_found', /nope\.pem does not exist/);
    await rejectsWith(loadPemIdentity({ certFile: valid.key, keyFile: valid.cert }), 'no_certificate', /swap --cert and --key/);
    await rejectsWith(loadPemIdentity({ certFile: valid.cert, keyFile: valid.cert }), 'no_key', /no PRIVATE KEY block/);
    await rejectsWith(loadPemIdentity({ certFile: await file('garbage.pem', 'hello world\n'), keyFile: valid.key }), 'bad_certificate', /neither a PEM file/);
    const der = new X509Certificate(await readFile(valid.cert)).raw;
    await rejectsWith(loadPemIdentity({ certFile: await file('truncated.der', der.subarray(0, der.length - 20)), keyFile: valid.key }), 'bad_certificate', /truncated\.der/);
    const pem = await readFile(valid.cert, 'utf8');
    const lines = pem.split('\n');
    const cut = [...lines.slice(0, 3), ...lines.slice(4)].join('\n'); // a base64 line lost in the middle
    assert.notEqual(cut, pem);
    await rejectsWith(loadPemIdentity({ certFile: await file('cut.pem', cut), keyFile: valid.key }), 'bad_certificate', /corrupt or truncated/);
    await rejectsWith(loadPemIdentity({ certFile: dir, keyFile: valid.key }), 'file_is_directory', /is a directory/);
  });
});

describe('PKCS#12 identities (made by openssl)', () => {
  const made = new Map<string, string>();
  before(async () => {
    const openssl = requireBinary(null, 'openssl', ['/usr/bin/openssl']);
    if (openssl === null) return;
    const chain = await file('chain.pem', env.pki.rootCa.certPem);
    for (const [name, extra] of [
      ['modern', []],
      ['legacy', ['-legacy']],
    ] as const) {
      const out = join(dir, `${name}.p12`);
      execFileSync(openssl, ['pkcs12', '-export', ...extra, '-in', valid.cert, '-inkey', valid.key, '-certfile', chain, '-out', out, '-passout', 'pass:p12 secret', '-name', 'valid'], { stdio: 'pipe' });
      made.set(name, out);
    }
  });

  for (const name of ['modern', 'legacy']) {
    test(`${name} PFX opens with its passphrase, chain intact and byte-identical`, async () => {
      const identity = await loadPfxIdentity({ pfxFile: made.get(name)!, passphrase: 'p12 secret' });
      assert.equal(identity.chain.length, 2);
      assert.equal(identity.leaf.fingerprint256, new X509Certificate(await readFile(valid.cert)).fingerprint256);
      assert.equal(identity.chain[1]!.fingerprint256, new X509Certificate(env.pki.rootCa.certPem).fingerprint256);
    });
  }

  test('a wrong passphrase (bad MAC) and a file that is not PKCS#12 are named', async () => {
    await rejectsWith(loadPfxIdentity({ pfxFile: made.get('legacy')!, passphrase: 'nope' }), 'wrong_passphrase', /does not open .*legacy\.p12/);
    await rejectsWith(loadPfxIdentity({ pfxFile: made.get('modern')!, passphrase: 'nope' }), 'wrong_passphrase', /modern\.p12/);
    await rejectsWith(loadPfxIdentity({ pfxFile: valid.cert, passphrase: 'x' }), 'bad_pfx', /looks like PEM/);
    await rejectsWith(loadPfxIdentity({ pfxFile: await file('random.p12', Buffer.from('0123456789abcdef')), passphrase: 'x' }), 'bad_pfx', /random\.p12/);
  });

  test('a legacy PFX identity passes the ALB-like target', async () => {
    const target = await startAlbLikeTarget({ pki: env.pki });
    try {
      const identity = await loadPfxIdentity({ pfxFile: made.get('legacy')!, passphrase: 'p12 secret' });
      const { result } = await probe({ url: target.url, ca: env.pki.rootCa.certPem, identity });
      assert.equal(result.verdict.reason, 'target_responded', result.verdict.summary);
      assert.equal(result.identity?.kind, 'pfx');
    } finally {
      await target.close();
    }
  });
});
