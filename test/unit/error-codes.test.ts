// The core's errors carry a stable `code` (a string a script or the extension can branch on) and, where they are
// made from another error, that error as `cause` (ES2022): the file system's, node:crypto's, the AWS SDK's, the
// URL parser's. Their messages are the tests' of each module; here, the codes and causes.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DistinguishedNameError, formatDistinguishedName } from '../../src/core/certs/distinguished-name';
import { CryptoFileError, readCryptoFile } from '../../src/core/certs/crypto-file';
import { TrustStoreFileError, lintTrustStoreFile } from '../../src/core/certs/truststore-lint';
import { ConfigRunError, readEndpointCa } from '../../src/core/config/probe-options';
import type { EndpointConfig } from '../../src/core/config/types';
import { AwsEvidenceError, awsCall, awsCallFailure } from '../../src/core/evidence/aws/aws-clients';
import { FileError } from '../../src/core/formats/file-error';
import { decodePkcs12 } from '../../src/core/formats/pkcs12';
import { IdentityError, loadPemIdentity, parsePrivateKey } from '../../src/core/identity/client-identity';
import { PkiDirectoryError, prepareDirectory } from '../../src/core/pki/pki-directory';
import { ProbeInputError, probe } from '../../src/core/probe/probe';
import { RunFileError, runsFromJson } from '../../src/core/runs/run-json';
import { ByteReader, TlsDecodeError } from '../../src/core/tls/byte-reader';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtls-probe-errors-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The error `work` throws (or rejects with), for a closer look than assert.throws gives. */
async function caught(work: () => unknown): Promise<Error & { code?: unknown; cause?: unknown }> {
  try {
    await work();
  } catch (error) {
    return error as Error & { code?: unknown; cause?: unknown };
  }
  assert.fail('expected an error');
}

function causeCode(error: { cause?: unknown }): unknown {
  return (error.cause as { code?: unknown } | undefined)?.code;
}

describe('file errors', () => {
  test('an identity file that does not exist: file_not_found, with the file system\'s ENOENT as the cause', async () => {
    const error = await caught(() => loadPemIdentity({ certFile: join(dir, 'missing.pem') }));
    assert.ok(error instanceof IdentityError && error instanceof FileError);
    assert.equal(error.code, 'file_not_found');
    assert.equal(causeCode(error), 'ENOENT');
  });

  test('a wrong passphrase: wrong_passphrase, with node:crypto\'s error as the cause (and no key bytes in either)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const error = await caught(() => parsePrivateKey(Buffer.from(privateKey), 'client.key', 'wrong'));
    assert.ok(error instanceof IdentityError);
    assert.equal(error.code, 'wrong_passphrase');
    assert.ok(error.cause instanceof Error);
    assert.doesNotMatch(`${error.message} ${(error.cause as Error).message}`, /PRIVATE KEY|right|wrong passphrase: wrong/);
    const required = await caught(() => parsePrivateKey(Buffer.from(privateKey), 'client.key'));
    assert.equal((required as IdentityError).code, 'passphrase_required');
  });

  for (const format of ['pem', 'der'] as const) {
    test(`${format.toUpperCase()}: a wrong passphrase that gets past the padding check (about one in 250) is still wrong_passphrase, not bad_key`, async () => {
      // Keys are made until one decrypts under the wrong passphrase to bytes that are not a key, as OpenSSL sees it.
      for (let tries = 0; tries < 5000; tries++) {
        const { privateKey: encrypted } = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'right' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
        const privateKey = format === 'der' ? encrypted : Buffer.from(`-----BEGIN ENCRYPTED PRIVATE KEY-----\n${encrypted.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`);
        const error = await caught(() => parsePrivateKey(privateKey, 'client.key', 'wrong'));
        if ((error.cause as { code?: string }).code === 'ERR_OSSL_BAD_DECRYPT') continue;
        assert.equal(error.code, 'wrong_passphrase', `${error.message} (${(error.cause as Error).message})`);
        assert.match(error.message, /check the passphrase \(or the file is damaged\)/);
        // Without a passphrase, the same key asks for one.
        assert.equal((await caught(() => parsePrivateKey(privateKey, 'client.key'))).code, 'passphrase_required');
        return;
      }
      assert.fail('no wrong passphrase got past the padding check in 5000 keys');
    });
  }

  test('a PKCS#12 file that is not one: bad_pfx, with the DER parser\'s error as the cause', async () => {
    const error = await caught(() => decodePkcs12(Buffer.from('not a pfx at all'), 'legacy.p12', undefined));
    assert.ok(error instanceof FileError);
    assert.equal(error.code, 'bad_pfx');
    assert.ok(error.cause !== undefined);
  });

  test('the certificate toolkit\'s reader: file_not_found with its cause, no_pem_blocks for a text file', async () => {
    const missing = await caught(() => readCryptoFile(join(dir, 'nope.pem')));
    assert.ok(missing instanceof CryptoFileError);
    assert.equal(missing.code, 'file_not_found');
    assert.equal(causeCode(missing), 'ENOENT');
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'just words\n');
    assert.equal(((await caught(() => readCryptoFile(text))) as CryptoFileError).code, 'no_pem_blocks');
  });

  test('a trust store that cannot be linted: the file system\'s reason as code and cause; a binary file is not_pem', async () => {
    const missing = await caught(() => lintTrustStoreFile(join(dir, 'bundle.pem')));
    assert.ok(missing instanceof TrustStoreFileError);
    assert.equal(missing.code, 'file_not_found');
    assert.equal(causeCode(missing), 'ENOENT');
    assert.equal(((await caught(() => lintTrustStoreFile(dir))) as TrustStoreFileError).code, 'file_is_directory');
    const der = join(dir, 'ca.der');
    await writeFile(der, Buffer.from([0x30, 0x82, 0x01, 0x00, 0x00]));
    assert.equal(((await caught(() => lintTrustStoreFile(der))) as TrustStoreFileError).code, 'not_pem');
  });

  test('a test PKI folder that cannot be used: its problem as a code (dir_not_empty, not_a_directory)', async () => {
    const full = join(dir, 'full');
    await prepareDirectory(full, false);
    await writeFile(join(full, 'keep.txt'), 'mine\n');
    const notEmpty = await caught(() => prepareDirectory(full, false));
    assert.ok(notEmpty instanceof PkiDirectoryError);
    assert.deepEqual([notEmpty.code, notEmpty.problem], ['dir_not_empty', 'not-empty']);
    const file = await caught(() => prepareDirectory(join(full, 'keep.txt'), false));
    assert.equal((file as PkiDirectoryError).code, 'not_a_directory');
  });

  test('a saved file that holds no run: not_a_run', async () => {
    const error = await caught(() => runsFromJson({ hello: 'world' }, 'notes.json'));
    assert.ok(error instanceof RunFileError);
    assert.equal(error.code, 'not_a_run');
    assert.equal(error.cause, undefined);
  });
});

describe('configuration and probe errors', () => {
  test('an endpoint\'s CA file that cannot be read: ca_unreadable with the ENOENT cause; one that is not PEM: ca_not_pem', async () => {
    const endpoint = { name: 'api' } as EndpointConfig;
    const missing = await caught(() => readEndpointCa(endpoint, join(dir, 'ca.pem')));
    assert.ok(missing instanceof ConfigRunError);
    assert.equal(missing.code, 'ca_unreadable');
    assert.equal(causeCode(missing), 'ENOENT');
    const notPem = join(dir, 'ca.txt');
    await writeFile(notPem, 'no certificate here\n');
    const wrong = await caught(() => readEndpointCa(endpoint, notPem));
    assert.equal((wrong as ConfigRunError).code, 'ca_not_pem');
  });

  test('a probe URL that does not parse: bad_url, with the URL parser\'s error as the cause', async () => {
    const error = await caught(() => probe({ url: 'https://exa mple.com:99999/' }));
    assert.ok(error instanceof ProbeInputError);
    assert.equal(error.code, 'bad_url');
    assert.equal(causeCode(error), 'ERR_INVALID_URL');
    const notHttps = await caught(() => probe({ url: 'http://example.com/' }));
    assert.equal((notHttps as ProbeInputError).code, 'bad_url');
  });

  test('TLS structures cut short: tls_truncated', async () => {
    const error = await caught(() => new ByteReader(new Uint8Array([1])).u16());
    assert.ok(error instanceof TlsDecodeError);
    assert.equal(error.code, 'tls_truncated');
  });

  test('a distinguished name that is not DER: bad_distinguished_name', async () => {
    const error = await caught(() => formatDistinguishedName(new Uint8Array([0x31, 0x00])));
    assert.ok(error instanceof DistinguishedNameError);
    assert.equal(error.code, 'bad_distinguished_name');
  });
});

describe('AWS errors', () => {
  const context = { action: 'elasticloadbalancing:DescribeListeners', resource: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/edge/1/2', access: { profile: 'prod', region: 'eu-west-1' } };
  const sdkError = (name: string, metadata: Record<string, unknown> = {}): Error => Object.assign(new Error(`${name} happened`), { name, $metadata: metadata });

  test('a failed call is an AwsEvidenceError whose code says what kind of failure, with the SDK\'s error as the cause', async () => {
    const original = sdkError('AccessDeniedException', { httpStatusCode: 403 });
    const error = await caught(() => awsCall(context, undefined, () => Promise.reject(original)));
    assert.ok(error instanceof AwsEvidenceError);
    assert.equal(error.code, 'aws_access_denied');
    assert.equal(error.cause, original);
    assert.match(error.message, /^AWS denied elasticloadbalancing:DescribeListeners/);
  });

  test('each kind of failure has its code', () => {
    assert.equal(awsCallFailure(sdkError('ExpiredTokenException')), 'aws_credentials_expired');
    assert.equal(awsCallFailure(sdkError('CredentialsProviderError')), 'aws_no_credentials');
    assert.equal(awsCallFailure(sdkError('ThrottlingException')), 'aws_throttled');
    assert.equal(awsCallFailure(sdkError('ListenerNotFoundException')), 'aws_not_found');
    assert.equal(awsCallFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), 'aws_unreachable');
    assert.equal(awsCallFailure(sdkError('InternalFailure')), 'aws_call_failed');
  });
});
