import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { CertificateChoices, CertificateSet, ContentInfo, EncapsulatedContentInfo, SignedData, id_data, id_signedData } from '@peculiar/asn1-cms';
import fc from 'fast-check';
import { runCertCommand } from '../../src/cli/definitions/cert';
import { CryptoFileError, loadPkcs12Support, parseCryptoText, readCryptoFile, type CryptoFileContents } from '../../src/core/certs/crypto-file';
import { buildChain, describeValidity, inspectCertificate, inspectFile } from '../../src/core/certs/inspect';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const day = 86_400_000;
const org = 'Inspect Test';
const ecdsa = { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams;

type KeyPair = webcrypto.CryptoKeyPair;

interface Made {
  der: Buffer;
  keys: KeyPair;
  name: string;
}

interface MakeOptions {
  subject: string;
  issuer?: Made;
  /** undefined: no basic constraints extension at all. */
  ca?: boolean;
  pathLength?: number;
  keyUsage?: number;
  eku?: string[];
  crlUrls?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Sign with these keys instead of the issuer's (a forged or mixed-up issuer). */
  signingKeys?: KeyPair;
}

async function newKeys(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as KeyPair;
}

let serialCounter = 0x100000;

/** @peculiar/x509 reads name strings most general RDN first (X.500 order); tests write them as RFC 4514 prints them. */
function x500(rfc4514: string): string {
  return rfc4514.split(',').reverse().join(',');
}

/** A certificate with exactly the extensions a test needs (test-pki.ts makes only well-formed PKIs). */
async function makeCertificate(options: MakeOptions): Promise<Made> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)];
  if (options.ca !== undefined) extensions.push(new x509.BasicConstraintsExtension(options.ca, options.pathLength, true));
  if (options.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(options.keyUsage, true));
  if (options.eku) extensions.push(new x509.ExtendedKeyUsageExtension(options.eku));
  if (options.crlUrls) extensions.push(new x509.CRLDistributionPointsExtension(options.crlUrls));
  const issuer = options.issuer;
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serialCounter++).toString(16),
    subject: x500(options.subject),
    issuer: issuer ? new x509.X509Certificate(issuer.der).subject : x500(options.subject),
    notBefore: options.notBefore ?? new Date(now - day),
    notAfter: options.notAfter ?? new Date(now + 100 * day),
    publicKey: keys.publicKey,
    signingKey: (options.signingKeys ?? issuer?.keys ?? keys).privateKey,
    signingAlgorithm: ecdsa,
    extensions,
  });
  return { der: Buffer.from(cert.rawData), keys, name: options.subject };
}

function pemOf(der: Uint8Array, label = 'CERTIFICATE', eol = '\n'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, `$1${eol}`).replace(new RegExp(`${eol}$`), '');
  return `-----BEGIN ${label}-----${eol}${b64}${eol}-----END ${label}-----${eol}`;
}

function derOfPem(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}

function pkcs7Of(certificates: Uint8Array[]): Buffer {
  const signed = new SignedData({
    version: 1,
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates: new CertificateSet(certificates.map((der) => new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) }))),
  });
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signed) })));
}

function parse(text: string | Buffer, options?: { passphrase?: string }): CryptoFileContents {
  return parseCryptoText(typeof text === 'string' ? Buffer.from(text) : text, 'bundle.pem', options);
}

function expectFileError(run: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof CryptoFileError, `expected CryptoFileError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

let pki: TestPki;
let rsaPki: TestPki;

before(async () => {
  // parseCryptoText is given PKCS#12 bytes directly here; readCryptoFile would load the reader itself.
  await loadPkcs12Support();
  [pki, rsaPki] = await Promise.all([generateTestPki({ organization: org }), generateTestPki({ organization: `${org} RSA`, keyAlgorithm: 'rsa2048' })]);
});

describe('parseCryptoText: PEM', () => {
  test('a bundle with text around the blocks, CRLF line ends, and every block type', () => {
    const text = [
      'subject=CN=valid client',
      pki.clients.valid.certPem,
      'Some notes in between.',
      pki.rootCa.certPem,
      pki.clients.valid.keyPem,
    ]
      .join('\n')
      .replace(/\n/g, '\r\n');
    const contents = parse(text);
    assert.equal(contents.certificates.length, 2);
    const lineOf = (pem: string): number => text.slice(0, text.indexOf(pem.replace(/\n/g, '\r\n'))).split('\r\n').length;
    assert.deepEqual(contents.certificates.map((c) => [c.line, c.source]), [[2, 'pem'], [lineOf(pki.rootCa.certPem), 'pem']]);
    assert.equal(contents.privateKeys[0]?.line, lineOf(pki.clients.valid.keyPem));
    assert.equal(contents.certificates[0]!.der.equals(derOfPem(pki.clients.valid.certPem)), true);
    assert.equal(contents.privateKeys.length, 1);
    const key = contents.privateKeys[0]!;
    assert.equal(key.encrypted, false);
    assert.equal(key.keyType, 'EC P-256');
    const certKey = new X509Certificate(pki.clients.valid.certPem).publicKey.export({ type: 'spki', format: 'der' });
    assert.equal(key.publicKeySha256, createHash('sha256').update(certKey).digest('hex'));
    assert.deepEqual(contents.problems, []);
  });

  test('TRUSTED CERTIFICATE (certificate plus OpenSSL trust settings) and X509 CERTIFICATE', () => {
    const der = derOfPem(pki.rootCa.certPem);
    const aux = Buffer.from([0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02]);
    const contents = parse(pemOf(Buffer.concat([der, aux]), 'TRUSTED CERTIFICATE') + pemOf(der, 'X509 CERTIFICATE'));
    assert.equal(contents.certificates.length, 2);
    assert.ok(contents.certificates.every((c) => c.der.equals(der)));
  });

  test('PKCS#1, SEC1 and PKCS#8 keys, plain and encrypted (PKCS#8 and legacy Proc-Type PEM)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const ed = generateKeyPairSync('ed25519');
    const pass = 'correct horse battery';
    const blocks = [
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }),
      ec.privateKey.export({ type: 'sec1', format: 'pem' }),
      ed.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      ec.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: pass }),
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: pass }),
    ].join('');
    assert.match(blocks, /Proc-Type: 4,ENCRYPTED/);
    const locked = parse(blocks);
    assert.deepEqual(
      locked.privateKeys.map((k) => [k.keyType, k.encrypted, k.publicKeySha256 !== undefined]),
      [['RSA 2048', false, true], ['EC P-384', false, true], ['Ed25519', false, true], [undefined, true, false], [undefined, true, false]],
    );
    const unlocked = parse(blocks, { passphrase: pass });
    assert.deepEqual(
      unlocked.privateKeys.map((k) => [k.keyType, k.encrypted]),
      [['RSA 2048', false], ['EC P-384', false], ['Ed25519', false], ['EC P-384', true], ['RSA 2048', true]],
    );
    assert.equal(unlocked.privateKeys[3]!.publicKeySha256, unlocked.privateKeys[1]!.publicKeySha256);
    assert.equal(unlocked.privateKeys[4]!.publicKeySha256, unlocked.privateKeys[0]!.publicKeySha256);
    for (const contents of [locked, unlocked]) {
      const json = JSON.stringify(contents);
      assert.ok(!json.includes(pass), 'passphrase leaked');
      assert.ok(!json.includes('MII'), 'key bytes leaked');
    }
    expectFileError(() => parse(blocks, { passphrase: 'wrong' }), 'wrong_passphrase', /passphrase does not decrypt the private key at bundle\.pem line \d+/);
    try {
      parse(blocks, { passphrase: 'wrong' });
    } catch (e) {
      assert.ok(!(e as Error).message.includes('wrong'.repeat(2)) && !(e as Error).message.includes(pass));
    }
  });

  test('CSRs (CERTIFICATE REQUEST and NEW CERTIFICATE REQUEST) and CRLs', async () => {
    const keys = await newKeys();
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: x500('CN=csr.example,O=Inspect Test'), keys, signingAlgorithm: ecdsa });
    const ca = await makeCertificate({ subject: 'CN=CRL Issuer,O=Inspect Test', ca: true, keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign });
    const thisUpdate = new Date(Date.UTC(2025, 0, 1));
    const nextUpdate = new Date(Date.UTC(2025, 1, 1));
    const crl = await x509.X509CrlGenerator.create({
      issuer: x500('CN=CRL Issuer,O=Inspect Test'),
      thisUpdate,
      nextUpdate,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: ecdsa,
      entries: [
        { serialNumber: '0a', revocationDate: thisUpdate },
        { serialNumber: '0b', revocationDate: thisUpdate },
      ],
    });
    const csrDer = Buffer.from(csr.rawData);
    const text = pemOf(csrDer, 'CERTIFICATE REQUEST') + pemOf(csrDer, 'NEW CERTIFICATE REQUEST') + pemOf(Buffer.from(crl.rawData), 'X509 CRL');
    const report = inspectFile(parse(text));
    assert.deepEqual(report.csrs, [
      { subject: 'CN=csr.example,O=Inspect Test', keyType: 'EC P-256' },
      { subject: 'CN=csr.example,O=Inspect Test', keyType: 'EC P-256' },
    ]);
    assert.deepEqual(report.crls, [{ issuer: 'CN=CRL Issuer,O=Inspect Test', thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(), revoked: 2 }]);
    assert.equal(report.chain, null);
    assert.deepEqual(inspectFile(parseCryptoText(csrDer, 'request.der')).csrs.length, 1);
    assert.deepEqual(inspectFile(parseCryptoText(Buffer.from(crl.rawData), 'list.crl')).crls[0]?.revoked, 2);
    assert.equal(parse(crl.toString('pem')).crls.length, 1, '@peculiar/x509 labels it "CRL"');
  });

  test('other blocks are skipped with a reason; UTF-16 text and bare base64 are read', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const contents = parse(publicKey.export({ type: 'spki', format: 'pem' }) + '-----BEGIN DH PARAMETERS-----\nMAA=\n-----END DH PARAMETERS-----\n' + pki.server.certPem);
    assert.equal(contents.certificates.length, 1);
    assert.match(contents.problems[0]!.message, /PUBLIC KEY block at bundle\.pem line 1 is a bare public key/);
    assert.match(contents.problems[1]!.message, /DH PARAMETERS block at bundle\.pem line \d+ is not a certificate, key, CSR, CRL or PKCS#7 bundle/);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pki.server.certPem, 'utf16le')]);
    assert.equal(parseCryptoText(utf16, 'unicode.pem').certificates.length, 1);
    const bare = Buffer.from(derOfPem(pki.server.certPem).toString('base64'));
    assert.equal(parseCryptoText(bare, 'header-value.txt').certificates[0]?.source, 'der');
  });
});

describe('parseCryptoText: binary formats', () => {
  test('a DER certificate, DER keys (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8)', () => {
    const der = derOfPem(pki.server.certPem);
    assert.deepEqual(parseCryptoText(der, 'server.der').certificates.map((c) => c.source), ['der']);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const cases: Array<[Buffer, string | undefined, boolean]> = [
      [ec.export({ type: 'pkcs8', format: 'der' }), 'EC P-256', false],
      [rsa.export({ type: 'pkcs1', format: 'der' }), 'RSA 1024', false],
      [ec.export({ type: 'sec1', format: 'der' }), 'EC P-256', false],
      [ec.export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc', passphrase: 'pw' }), undefined, true],
    ];
    for (const [data, keyType, encrypted] of cases) {
      const key = parseCryptoText(data, 'key.der').privateKeys[0];
      assert.equal(key?.keyType, keyType);
      assert.equal(key?.encrypted, encrypted);
    }
    assert.equal(parseCryptoText(cases[3]![0], 'key.der', { passphrase: 'pw' }).privateKeys[0]?.keyType, 'EC P-256');
    expectFileError(() => parseCryptoText(cases[3]![0], 'key.der', { passphrase: 'nope' }), 'wrong_passphrase', /key\.der/);
  });

  test('PKCS#7 bundles made with @peculiar/asn1-cms, DER and PEM, keep every certificate byte for byte', () => {
    const ders = [pki.clients.valid.certPem, pki.rootCa.certPem, pki.otherCa.certPem].map(derOfPem);
    const p7 = pkcs7Of(ders);
    for (const contents of [parseCryptoText(p7, 'chain.p7b'), parse(`Bag Attributes\n${pemOf(p7, 'PKCS7')}`)]) {
      assert.equal(contents.certificates.length, 3);
      assert.ok(contents.certificates.every((c, i) => c.source === 'pkcs7' && c.der.equals(ders[i]!)));
    }
    const chain = inspectFile(parseCryptoText(p7, 'chain.p7b')).chain!;
    assert.equal(chain.complete, true);
    assert.deepEqual(chain.chain.map((c) => c.subject), [`CN=valid client,O=${org}`, `CN=${org} Root CA,O=${org}`]);
    const empty = parseCryptoText(pkcs7Of([]), 'empty.p7b');
    assert.match(empty.problems[0]!.message, /PKCS#7 bundle at empty\.p7b holds no certificates/);
  });
});

describe('bad input', () => {
  test('empty, text without PEM, binary garbage: a CryptoFileError naming the file and what to do', () => {
    expectFileError(() => parseCryptoText(Buffer.alloc(0), 'empty.pem'), 'empty_file', /^empty\.pem is empty: expected a certificate or key/);
    expectFileError(() => parseCryptoText(Buffer.from('just some notes\n'), 'notes.pem'), 'no_pem_blocks', /^notes\.pem is text without any -----BEGIN/);
    expectFileError(() => parseCryptoText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0xff]), 'image.crt'), 'not_crypto', /^image\.crt is neither PEM nor a DER/);
    const der = derOfPem(pki.server.certPem);
    const corrupt = Buffer.from(der);
    corrupt[40] = 0x05; // inside the TBS: the outer shape holds, the certificate does not
    assert.throws(() => parseCryptoText(corrupt, 'broken.der'), CryptoFileError);
  });

  test('a header with no body, truncated base64, a missing END, a mismatched END, bad characters: problems with the line', () => {
    const good = pki.server.certPem;
    const lines = good.trimEnd().split('\n');
    const truncated = [...lines.slice(0, 5), lines[lines.length - 1]!].join('\n') + '\n';
    const contents = parse(
      [
        '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----', // line 1
        truncated, // line 3
        '-----BEGIN CERTIFICATE-----\nMIIB$$$$\n-----END CERTIFICATE-----', // after truncated
        '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END X509 CRL-----',
        '-----BEGIN CERTIFICATE-----\nMIIBAAAA', // no END before the next BEGIN
        good,
        '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg', // the file ends here
      ].join('\n'),
    );
    assert.equal(contents.certificates.length, 1, 'the good certificate is still read');
    const messages = contents.problems.map((p) => `${p.line}: ${p.message}`);
    assert.match(messages[0]!, /^1: The CERTIFICATE block at bundle\.pem line 1 is empty/);
    assert.match(messages[1]!, /^3: The CERTIFICATE block at bundle\.pem line 3 is truncated or corrupt/);
    assert.match(messages[2]!, /not valid base64 \(line \d+\): copy the block again/);
    assert.match(messages[3]!, /ends with END X509 CRL at line \d+; the block was skipped/);
    assert.match(messages[4]!, /has no END line before the next BEGIN at line \d+/);
    assert.match(messages[5]!, /PRIVATE KEY block at bundle\.pem line \d+ has no END line \(the file is truncated\?\)/);
    assert.equal(messages.length, 6);
  });

  test('a valid base64 block that is not a certificate, and a broken key', () => {
    const contents = parse(pemOf(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])) + pemOf(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), 'PRIVATE KEY'));
    assert.match(contents.problems[0]!.message, /certificate at bundle\.pem line 1 is not a valid X\.509 certificate/);
    assert.match(contents.problems[1]!.message, /private key at bundle\.pem line \d+ is not readable/);
  });

  test('readCryptoFile: a missing file, a folder, and a file over 50 MB refused before it is read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-inspect-'));
    try {
      await assert.rejects(readCryptoFile(join(dir, 'nope.pem')), (e: CryptoFileError) => e.code === 'file_not_found' && e.message.includes('nope.pem does not exist'));
      await assert.rejects(readCryptoFile(dir), (e: CryptoFileError) => e.code === 'file_is_directory');
      const huge = join(dir, 'huge.pem');
      const handle = await open(huge, 'w');
      await handle.truncate(51 * 1024 * 1024); // sparse: stat says 51 MB, nothing to read
      await handle.close();
      await assert.rejects(readCryptoFile(huge), (e: CryptoFileError) => e.code === 'file_too_large' && /huge\.pem is 51\.0 MB, more than the 50 MB/.test(e.message));
      const small = join(dir, 'cert.pem');
      await writeFile(small, pki.server.certPem);
      assert.equal((await readCryptoFile(small)).certificates.length, 1);
      await assert.rejects(readCryptoFile(small, { maxBytes: 100 }), (e: CryptoFileError) => e.code === 'file_too_large');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('inspectCertificate', () => {
  test('every field of the test PKI certificates', () => {
    const now = new Date();
    const client = inspectCertificate(derOfPem(pki.clients.valid.certPem), now);
    const root = inspectCertificate(derOfPem(pki.rootCa.certPem), now);
    const node = new X509Certificate(pki.clients.valid.certPem);
    assert.equal(client.subject, `CN=valid client,O=${org}`);
    assert.equal(client.issuer, `CN=${org} Root CA,O=${org}`);
    assert.equal(client.serialNumber, node.serialNumber.toUpperCase());
    assert.equal(client.version, 3);
    assert.equal(client.signatureAlgorithm, 'ecdsa-with-SHA256');
    assert.deepEqual([client.keyType, client.keySize, client.curve], ['EC', 256, 'P-256']);
    assert.deepEqual(client.keyUsage, ['digitalSignature']);
    assert.deepEqual(client.extendedKeyUsage, ['clientAuth']);
    assert.equal(client.clientAuth, true);
    assert.deepEqual(client.basicConstraints, { ca: false });
    assert.equal(client.authorityKeyIdentifier, root.subjectKeyIdentifier);
    assert.match(client.subjectKeyIdentifier ?? '', /^[0-9a-f]{40}$/);
    assert.deepEqual(client.crlDistributionPoints, []);
    assert.equal(client.sha256, createHash('sha256').update(node.raw).digest('hex'));
    assert.equal(client.sha1, createHash('sha1').update(node.raw).digest('hex'));
    assert.equal(client.selfSigned, false);
    assert.deepEqual(client.validity, { state: 'valid', relative: 'expires in 365 days' });

    assert.deepEqual(root.basicConstraints, { ca: true, pathLength: 1 });
    assert.deepEqual(root.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.equal(root.selfSigned, true);
    assert.equal(root.clientAuth, false, 'a key usage without digitalSignature cannot sign a CertificateVerify');
    assert.equal(root.authorityKeyIdentifier, undefined);
    assert.equal(root.validity.relative, 'expires in 10 years');

    const server = inspectCertificate(derOfPem(pki.server.certPem), now);
    assert.deepEqual(server.subjectAltNames, ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']);
    assert.deepEqual(server.extendedKeyUsage, ['serverAuth']);
    assert.equal(server.clientAuth, false);

    const expired = inspectCertificate(derOfPem(pki.clients.expired.certPem), now);
    assert.deepEqual(expired.validity, { state: 'expired', relative: 'expired 30 days ago' });

    const rsa = inspectCertificate(derOfPem(rsaPki.clients.valid.certPem), now);
    assert.deepEqual([rsa.keyType, rsa.keySize, rsa.curve, rsa.publicKey], ['RSA', 2048, undefined, 'RSA 2048']);
    assert.equal(rsa.signatureAlgorithm, 'sha256WithRSAEncryption');
    assert.deepEqual(rsa.keyUsage, ['digitalSignature', 'keyEncipherment']);
  });

  test('CRL distribution points, no EKU (any purpose), and a copy the caller may change', async () => {
    const cert = await makeCertificate({ subject: 'CN=any purpose', crlUrls: ['http://crl.example/ca.crl'] });
    const details = inspectCertificate(cert.der);
    assert.deepEqual(details.crlDistributionPoints, ['http://crl.example/ca.crl']);
    assert.deepEqual(details.extendedKeyUsage, []);
    assert.equal(details.clientAuth, true);
    assert.equal(details.basicConstraints, null);
    assert.equal(details.selfSigned, true);
    details.keyUsage.push('changed');
    assert.deepEqual(inspectCertificate(cert.der).keyUsage, []);
  });

  test('validity wording: expired, expires in, not yet valid, in seconds to years', () => {
    const notBefore = Date.UTC(2025, 0, 1);
    const notAfter = Date.UTC(2025, 11, 31);
    const at = (t: number): string => describeValidity(notBefore, notAfter, new Date(t)).relative;
    assert.deepEqual(describeValidity(notBefore, notAfter, new Date(notAfter + 3 * day)), { state: 'expired', relative: 'expired 3 days ago' });
    assert.deepEqual(describeValidity(notBefore, notAfter, new Date(notAfter - 12 * day)), { state: 'valid', relative: 'expires in 12 days' });
    assert.deepEqual(describeValidity(notBefore, notAfter, new Date(notBefore - 2 * day)), { state: 'not-yet-valid', relative: 'not yet valid (starts in 2 days)' });
    assert.equal(at(notAfter + 1000), 'expired 1 second ago');
    assert.equal(at(notAfter - 5 * 60_000), 'expires in 5 minutes');
    assert.equal(at(notAfter - 30 * 3_600_000), 'expires in 30 hours');
    assert.equal(at(notAfter), 'expires in 0 seconds');
    assert.equal(at(notAfter + 1), 'expired 0 seconds ago');
    assert.equal(describeValidity(notBefore, notBefore + 3650 * day, new Date(notBefore)).relative, 'expires in 10 years');
  });
});

describe('buildChain', () => {
  let root: Made;
  let intermediate: Made;
  let leaf: Made;
  const caUsage = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

  before(async () => {
    root = await makeCertificate({ subject: 'CN=Chain Root,O=Inspect Test', ca: true, keyUsage: caUsage });
    intermediate = await makeCertificate({ subject: 'CN=Chain Intermediate,O=Inspect Test', issuer: root, ca: true, pathLength: 0, keyUsage: caUsage });
    leaf = await makeCertificate({ subject: 'CN=chain leaf', issuer: intermediate, ca: false, keyUsage: x509.KeyUsageFlags.digitalSignature, eku: [x509.ExtendedKeyUsage.clientAuth] });
  });

  test('any order of a bundle (with unrelated certificates mixed in) comes out leaf → root', () => {
    const unrelated = [pki.rootCa.certPem, pki.server.certPem, pki.otherCa.certPem].map(derOfPem);
    fc.assert(
      fc.property(fc.shuffledSubarray([leaf.der, intermediate.der, root.der, ...unrelated], { minLength: 6, maxLength: 6 }), (bundle) => {
        const report = inspectFile(parseCryptoText(Buffer.from(bundle.map((d) => pemOf(d)).join('\n')), 'shuffled.pem'));
        const chain = buildChain(leaf.der, bundle);
        assert.deepEqual(chain.chain.map((c) => c.subject), ['CN=chain leaf', 'CN=Chain Intermediate,O=Inspect Test', 'CN=Chain Root,O=Inspect Test']);
        assert.equal(chain.complete, true);
        assert.deepEqual(chain.breaks, []);
        // Two certificates issue nothing here (the chain leaf and the test PKI's server): inspectFile starts from
        // the first of them in the file, and either chain is complete.
        const first = bundle.find((d) => d.equals(leaf.der) || d.equals(unrelated[1]!))!;
        assert.equal(report.chain?.chain[0]?.sha256, createHash('sha256').update(first).digest('hex'));
        assert.equal(report.chain?.complete, true);
      }),
      { numRuns: 30 },
    );
  });

  test('the leaf a key in the file belongs to is the one the chain starts from', async () => {
    const keyPem = pemOf(new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', leaf.keys.privateKey)), 'PRIVATE KEY');
    const text = [root.der, pki.server.certPem, intermediate.der, leaf.der].map((d) => (typeof d === 'string' ? d : pemOf(d))).join('') + keyPem;
    const report = inspectFile(parse(text));
    assert.equal(report.chain?.chain[0]?.subject, 'CN=chain leaf');
    assert.equal(report.chain?.chain.length, 3);
  });

  test('without anchors, a chain that stops below its root (as a client sends it) ends there, not broken', () => {
    const report = buildChain(leaf.der, [intermediate.der]);
    assert.equal(report.complete, false);
    assert.equal(report.chain.length, 2);
    assert.deepEqual(report.breaks, []);
    assert.deepEqual(report.endsBelowRoot, { at: 1, subject: 'CN=Chain Intermediate,O=Inspect Test', issuer: 'CN=Chain Root,O=Inspect Test' });
    assert.equal(report.anchorAt, undefined);
    // The old positional `now` still works.
    assert.deepEqual(buildChain(leaf.der, [intermediate.der], new Date()).endsBelowRoot, report.endsBelowRoot);
  });

  test('with anchors: verified up to one, or an issuer missing from both, or a root that is not an anchor', async () => {
    const toAnchor = buildChain(leaf.der, [intermediate.der], { anchors: [root.der] });
    assert.equal(toAnchor.complete, true);
    assert.deepEqual(toAnchor.breaks, []);
    assert.equal(toAnchor.anchorAt, 2);
    assert.deepEqual(toAnchor.chain.map((c) => c.subject), ['CN=chain leaf', 'CN=Chain Intermediate,O=Inspect Test', 'CN=Chain Root,O=Inspect Test']);
    // An intermediate given as the anchor ends the chain there.
    assert.equal(buildChain(leaf.der, [intermediate.der, root.der], { anchors: [intermediate.der] }).anchorAt, 1);

    const stranger = await makeCertificate({ subject: 'CN=Stranger Root', ca: true, keyUsage: caUsage });
    const missing = buildChain(leaf.der, [intermediate.der], { anchors: [stranger.der] });
    assert.equal(missing.complete, false);
    assert.equal(missing.endsBelowRoot, undefined);
    assert.deepEqual(missing.breaks, [{ at: 1, problem: 'issuer CN=Chain Root,O=Inspect Test not found, neither in the file nor among the trust anchors' }]);

    const ownRoot = buildChain(leaf.der, [intermediate.der, root.der], { anchors: [stranger.der] });
    assert.equal(ownRoot.complete, false);
    assert.deepEqual(ownRoot.breaks, [{ at: 2, problem: 'the root CN=Chain Root,O=Inspect Test is not one of the trust anchors given' }]);

    const report = inspectFile(parse([leaf.der, intermediate.der].map((d) => pemOf(d)).join('')), { anchors: [root.der] });
    assert.equal(report.chain?.complete, true);
    assert.equal(report.certificates.length, 2, 'the anchor is in the chain, not among the file\'s certificates');
  });

  test('signature does not verify (an issuer with the right name and the wrong key)', async () => {
    const impostor = await makeCertificate({ subject: 'CN=Chain Intermediate,O=Inspect Test', issuer: root, ca: true, keyUsage: caUsage });
    const report = buildChain(leaf.der, [impostor.der, root.der]);
    assert.equal(report.complete, false);
    assert.equal(report.breaks[0]?.at, 0);
    assert.match(report.breaks[0]!.problem, /^signature does not verify: CN=chain leaf is not signed by the key of CN=Chain Intermediate/);
    // With the real intermediate in the pool too, the one whose signature verifies wins.
    assert.equal(buildChain(leaf.der, [impostor.der, intermediate.der, root.der]).complete, true);
  });

  test('a damaged self-signed root', () => {
    const damaged = Buffer.from(root.der);
    damaged[damaged.length - 3] = damaged[damaged.length - 3]! ^ 0xff;
    const report = buildChain(leaf.der, [intermediate.der, damaged]);
    assert.equal(report.complete, false);
    assert.match(report.breaks.at(-1)!.problem, /^signature does not verify: CN=Chain Root,O=Inspect Test names itself as issuer/);
  });

  test('CA flag missing, keyCertSign missing, path length exceeded', async () => {
    const notCa = await makeCertificate({ subject: 'CN=Not A CA', issuer: root, ca: false, keyUsage: caUsage });
    const child = await makeCertificate({ subject: 'CN=child of not a CA', issuer: notCa });
    assert.deepEqual(buildChain(child.der, [notCa.der, root.der]).breaks, [{ at: 1, problem: 'CA flag missing on CN=Not A CA: its basic constraints do not allow it to issue certificates' }]);

    const noSign = await makeCertificate({ subject: 'CN=No keyCertSign', issuer: root, ca: true, keyUsage: x509.KeyUsageFlags.cRLSign });
    const child2 = await makeCertificate({ subject: 'CN=child of no keyCertSign', issuer: noSign });
    assert.deepEqual(buildChain(child2.der, [noSign.der, root.der]).breaks, [{ at: 1, problem: 'keyCertSign missing from the key usage of CN=No keyCertSign' }]);

    // The intermediate allows no CA below it (pathlen 0): a second-level intermediate breaks the chain.
    const second = await makeCertificate({ subject: 'CN=Second Intermediate', issuer: intermediate, ca: true, keyUsage: caUsage });
    const child3 = await makeCertificate({ subject: 'CN=deep leaf', issuer: second });
    const report = buildChain(child3.der, [root.der, second.der, intermediate.der]);
    assert.deepEqual(report.breaks, [{ at: 2, problem: 'path length constraint of CN=Chain Intermediate,O=Inspect Test (0) exceeded: 1 CA certificates below it' }]);
    assert.equal(report.complete, false);
    assert.equal(report.chain.length, 4);
  });
});

// How long these take is the fuzz bench's to measure (bench/), not a test's.
describe('robustness (fast-check)', () => {
  function parsesOrFailsCleanly(data: Buffer): void {
    try {
      const contents = parseCryptoText(data, 'fuzz.pem', { passphrase: 'pw' });
      inspectFile(contents);
    } catch (e) {
      if (!(e instanceof CryptoFileError)) throw e;
      assert.match(e.message, /fuzz\.pem/);
    }
  }

  test('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => parsesOrFailsCleanly(Buffer.from(bytes))), { numRuns: 300 });
  });

  test('mutated DER certificates, PKCS#7, keys and PKCS#12-shaped input', () => {
    const cert = derOfPem(pki.server.certPem);
    const seeds = [
      cert,
      pkcs7Of([cert, derOfPem(pki.rootCa.certPem)]),
      createPrivateKey(pki.server.keyPem).export({ type: 'pkcs8', format: 'der' }),
      createPrivateKey(pki.server.keyPem).export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc', passphrase: 'pw' }),
      Buffer.from([0x30, 0x0f, 0x02, 0x01, 0x03, 0x30, 0x0a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]),
    ];
    const mutation = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete') }), { maxLength: 6 }),
      cut: fc.option(fc.nat()),
    });
    fc.assert(
      fc.property(mutation, ({ seed, edits, cut }) => {
        const bytes = [...seeds[seed]!];
        for (const edit of edits) {
          const at = edit.at % (bytes.length + 1);
          if (edit.kind === 'set' && at < bytes.length) bytes[at] = edit.value;
          else if (edit.kind === 'insert') bytes.splice(at, 0, edit.value);
          else bytes.splice(at, 1);
        }
        const data = Buffer.from(cut === null ? bytes : bytes.slice(0, cut % (bytes.length + 1)));
        parsesOrFailsCleanly(data);
        parsesOrFailsCleanly(Buffer.from(pemOf(data, seed === 1 ? 'PKCS7' : seed >= 2 ? 'PRIVATE KEY' : 'CERTIFICATE')));
      }),
      { numRuns: 400 },
    );
  });

  test('mutated PEM text', () => {
    const text = pki.clients.valid.certPem + pki.clients.valid.keyPem + pki.rootCa.certPem;
    const alphabet = fc.constantFrom('A', '=', '-', '\n', '\r', ' ', '$', '-----BEGIN CERTIFICATE-----', '-----END PRIVATE KEY-----', 'Proc-Type: 4,ENCRYPTED\n');
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(), insert: alphabet, remove: fc.nat({ max: 80 }) }), { maxLength: 5 }), (edits) => {
        let mutated = text;
        for (const edit of edits) {
          const at = edit.at % (mutated.length + 1);
          mutated = mutated.slice(0, at) + edit.insert + mutated.slice(at + edit.remove);
        }
        parsesOrFailsCleanly(Buffer.from(mutated));
      }),
      { numRuns: 300 },
    );
  });

  test('a PEM file of 20,000 BEGIN lines and no END: each block skipped with its own problem, none merged into the next', () => {
    const contents = parse('-----BEGIN CERTIFICATE-----\nMIIB\n'.repeat(20_000));
    assert.equal(contents.problems.length, 20_000);
    assert.deepEqual(contents.problems[0], {
      line: 1,
      message: 'The CERTIFICATE block at bundle.pem line 1 has no END line before the next BEGIN at line 3 (truncated copy?); the block was skipped.',
    });
    assert.ok(contents.problems.every((p, i) => p.line === 2 * i + 1), 'one problem per BEGIN line, in order');
    assert.equal(contents.problems.at(-1)?.message, 'The CERTIFICATE block at bundle.pem line 39999 has no END line (the file is truncated?); the block was skipped.');
  });
});

describe('mtls-probe cert (runCertCommand)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mtls-probe-cert-cli-'));
    await writeFile(join(dir, 'bundle.pem'), pki.clients.valid.certPem + pki.rootCa.certPem);
    await writeFile(join(dir, 'expired.pem'), pki.clients.expired.certPem);
    await writeFile(join(dir, 'locked.key'), createPrivateKey(pki.clients.valid.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'sekret' }), { mode: 0o600 });
    await writeFile(join(dir, 'notes.txt'), 'hello');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    Object.assign(process.env, env);
    try {
      const code = await runCertCommand(args, { out: (t) => (out += t), err: (t) => (err += t) });
      return { code, out, err };
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
    }
  }

  test('inspect: one block per certificate, then the chain', async () => {
    const { code, out, err } = await run(['inspect', join(dir, 'bundle.pem'), join(dir, 'expired.pem')]);
    assert.equal(code, 0, err);
    assert.equal(err, '');
    for (const label of ['Subject:', 'Issuer:', 'Serial:', 'Validity:', 'SANs:', 'Key:', 'Signature algorithm:', 'Key usage:', 'Extended key usage:', 'Basic constraints:', 'Subject key id:', 'Authority key id:', 'CRL distribution:', 'SHA-256 fingerprint:', 'SHA-1 fingerprint:', 'Self-signed:']) {
      assert.match(out, new RegExp(`\\n  ${label}`), label);
    }
    assert.match(out, /Extended key usage: +clientAuth — usable as a TLS client certificate/);
    assert.match(out, /Chain \(leaf → root\): complete\n {2}0: CN=valid client/);
    assert.match(out, /expired 30 days ago \(EXPIRED\)/);
    assert.match(
      out,
      /Chain \(leaf → root\): ends at CN=expired client,O=Inspect Test \(its issuer, CN=Inspect Test Root CA,O=Inspect Test, is not in the file: a server verifies it with its own trust store; give --cacert FILE to check it here\)\n/,
    );
    assert.doesNotMatch(out, /INCOMPLETE|break at/);
    const serial = new X509Certificate(pki.clients.valid.certPem).serialNumber.toUpperCase();
    assert.match(out, new RegExp(`Serial: +${serial}\\n`));
  });

  test('inspect --json prints one object; encrypted keys are listed, opened with --pass-env, never printed', async () => {
    const locked = await run(['inspect', join(dir, 'locked.key'), '--json']);
    assert.equal(locked.code, 0);
    const parsed = JSON.parse(locked.out) as { files: Array<{ keys: Array<{ encrypted: boolean; keyType?: string }> }>; errors: unknown[] };
    assert.deepEqual(parsed.files[0]?.keys, [{ line: 1, encrypted: true }]);
    const opened = await run(['inspect', join(dir, 'locked.key'), '--json', '--pass-env', 'CERT_TEST_PASS'], { CERT_TEST_PASS: 'sekret' });
    const openedKey = (JSON.parse(opened.out) as typeof parsed).files[0]?.keys[0];
    assert.equal(openedKey?.keyType, 'EC P-256');
    assert.ok(!opened.out.includes('sekret'));
    const wrong = await run(['inspect', join(dir, 'locked.key'), '--pass-env', 'CERT_TEST_PASS'], { CERT_TEST_PASS: 'nope' });
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /^mtls-probe: The passphrase does not decrypt the private key at .*locked\.key line 1: check the passphrase\.\n$/);
  });

  test('exit 2 with one line for bad usage and unreadable files', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['inspect'], /^mtls-probe: cert inspect needs at least one FILE\.\n$/],
      [['inspect', join(dir, 'notes.txt')], /^mtls-probe: .*notes\.txt is text without any -----BEGIN/],
      [['inspect', join(dir, 'missing.pem')], /^mtls-probe: .*missing\.pem does not exist: check the path\.\n$/],
      [['inspect', join(dir, 'bundle.pem'), '--bogus'], /^mtls-probe: Unknown option '--bogus'.*\n$/],
      [['inspect', join(dir, 'bundle.pem'), '--pass-env', 'CERT_TEST_UNSET_VAR'], /^mtls-probe: --pass-env CERT_TEST_UNSET_VAR: the environment variable CERT_TEST_UNSET_VAR is not set\.\n$/],
      [['frobnicate'], /^mtls-probe: unknown cert command "frobnicate"/],
      [['pairs'], /^mtls-probe: cert pairs needs exactly one DIR\.\n$/],
      [['pairs', join(dir, 'bundle.pem')], /is not a folder/],
    ];
    for (const [args, pattern] of cases) {
      const { code, err, out } = await run(args);
      assert.equal(code, 2, args.join(' '));
      assert.match(err, pattern);
      assert.equal(err.trimEnd().split('\n').length, 1, 'one line');
      assert.ok(!/\n\s+at /.test(err + out), 'no stack trace');
    }
    assert.equal((await run(['--help'])).code, 0);
  });

  test('inspect --cacert verifies the chain up to the anchors; a bad --cacert is named', async () => {
    await writeFile(join(dir, 'root.pem'), pki.rootCa.certPem);
    await writeFile(join(dir, 'other-root.pem'), pki.otherCa.certPem);
    const anchored = await run(['inspect', join(dir, 'expired.pem'), '--cacert', join(dir, 'other-root.pem'), '--cacert', join(dir, 'root.pem')]);
    assert.equal(anchored.code, 0, anchored.err);
    assert.match(anchored.out, /Chain \(leaf → root\): complete, verified up to the trust anchor CN=Inspect Test Root CA,O=Inspect Test\n {2}0: CN=expired client.*\n {2}1: CN=Inspect Test Root CA,O=Inspect Test \(self-signed root, trust anchor\)\n/);
    const json = JSON.parse((await run(['inspect', join(dir, 'expired.pem'), '--cacert', join(dir, 'root.pem'), '--json'])).out) as { files: Array<{ chain: { complete: boolean; anchorAt: number } }> };
    assert.deepEqual([json.files[0]?.chain.complete, json.files[0]?.chain.anchorAt], [true, 1]);

    const untrusted = await run(['inspect', join(dir, 'expired.pem'), '--cacert', join(dir, 'other-root.pem')]);
    assert.match(untrusted.out, /Chain \(leaf → root\): INCOMPLETE\n.*\n {2}break at 0: issuer CN=Inspect Test Root CA,O=Inspect Test not found, neither in the file nor among the trust anchors\n/);

    for (const [file, pattern] of [
      [join(dir, 'missing-ca.pem'), /^mtls-probe: --cacert .*missing-ca\.pem does not exist: check the path\.\n$/],
      [join(dir, 'valid.key'), /^mtls-probe: --cacert .*valid\.key holds no certificate: give the CA certificates the server trusts/],
    ] as const) {
      await writeFile(join(dir, 'valid.key'), pki.clients.valid.keyPem, { mode: 0o600 });
      const bad = await run(['inspect', join(dir, 'bundle.pem'), '--cacert', file]);
      assert.equal(bad.code, 2);
      assert.match(bad.err, pattern);
    }
    const onPairs = await run(['pairs', dir, '--cacert', join(dir, 'root.pem')]);
    assert.equal(onPairs.code, 2);
    assert.match(onPairs.err, /^mtls-probe: Unknown option '--cacert'.* \(see mtls-probe cert pairs --help\)\.\n$/);
  });

  test('each subcommand\'s --help shows its own options', async () => {
    const inspect = await run(['inspect', '--help']);
    assert.equal(inspect.code, 0);
    assert.match(inspect.out, /^Usage:\n {2}mtls-probe cert inspect FILE\.\.\. /);
    assert.match(inspect.out, /--cacert FILE/);
    assert.doesNotMatch(inspect.out, /cert pairs/);
    const pairs = await run(['pairs', '--help']);
    assert.match(pairs.out, /^Usage:\n {2}mtls-probe cert pairs DIR /);
    assert.doesNotMatch(pairs.out, /--cacert|cert inspect/);
  });

  test('pairs: human and JSON output', async () => {
    await writeFile(join(dir, 'valid.key'), pki.clients.valid.keyPem, { mode: 0o600 });
    const human = await run(['pairs', dir]);
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /Identity pairs under .*: 1\n {2}.*bundle\.pem \+ .*valid\.key\n {6}CN=valid client,O=Inspect Test, valid until /);
    assert.match(human.out, /Encrypted keys not checked \(give the passphrase with --pass-env VAR\):\n {2}.*locked\.key/);
    assert.match(human.out, /Certificates without a key \(CA certificates not listed\):\n {2}.*expired\.pem/);
    const json = JSON.parse((await run(['pairs', dir, '--json'])).out) as { pairs: unknown[] };
    assert.equal(json.pairs.length, 1);
  });
});
