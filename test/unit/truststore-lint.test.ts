import 'reflect-metadata';
import assert from 'node:assert/strict';
import { KeyObject, generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { mkdtemp, mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import fc from 'fast-check';
import { lintTrustStore, lintTrustStoreFile, TrustStoreFileError, type TrustStoreFinding, type TrustStoreReport } from '../../src/core/certs/truststore-lint';
import { runTrustStoreCommand } from '../../src/cli/definitions/truststore';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
const day = 24 * 60 * 60 * 1000;
const rsaExponent = new Uint8Array([1, 0, 1]);

async function rsaKeys(bits: number, hash: 'SHA-256' | 'SHA-1' = 'SHA-256', name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' = 'RSASSA-PKCS1-v1_5'): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey({ name, modulusLength: bits, publicExponent: rsaExponent, hash }, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function ecKeys(curve: 'P-256' | 'P-384' | 'P-521'): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify'])) as CryptoKeyPair;
}

interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

interface CertOptions {
  /** X.500 order is what @peculiar/x509 reads; a single CN keeps RFC 4514 output identical. */
  name: string;
  keys: CryptoKeyPair;
  issuer?: Issued;
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  signingAlgorithm?: webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaPssParams;
  extensions?: x509.Extension[];
}

let serialCounter = 1;

function signingFor(keys: CryptoKeyPair): webcrypto.Algorithm | webcrypto.EcdsaParams {
  const algorithm = keys.privateKey.algorithm as webcrypto.KeyAlgorithm & { hash?: { name: string } };
  if (algorithm.name === 'ECDSA') return { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams;
  if (algorithm.name === 'RSA-PSS') return { name: 'RSA-PSS', hash: algorithm.hash?.name ?? 'SHA-256', saltLength: 32 } as webcrypto.RsaPssParams;
  return { name: algorithm.name };
}

async function makeCert(options: CertOptions): Promise<Issued> {
  const now = Date.now();
  const signer = options.issuer?.keys ?? options.keys;
  const ca = options.ca ?? true;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serialCounter++).toString(16).padStart(4, '1'),
    subject: options.name,
    issuer: options.issuer ? options.issuer.cert.subject : options.name,
    notBefore: options.notBefore ?? new Date(now - day),
    notAfter: options.notAfter ?? new Date(now + 3650 * day),
    publicKey: options.keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: options.signingAlgorithm ?? signingFor(signer),
    extensions: [
      new x509.BasicConstraintsExtension(ca, undefined, true),
      new x509.KeyUsagesExtension(ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature, true),
      ...(options.extensions ?? []),
    ],
  });
  return { cert, keys: options.keys, pem: `${cert.toString('pem').trimEnd()}\n` };
}

/** Re-signs a certificate after changing its TBS with asn1-x509 (for shapes @peculiar/x509 will not generate). */
async function reissue(original: Issued, signer: CryptoKeyPair, change: (tbs: Certificate['tbsCertificate']) => void): Promise<string> {
  const cert = AsnConvert.parse(original.cert.rawData, Certificate);
  change(cert.tbsCertificate);
  const tbs = Buffer.from(AsnConvert.serialize(cert.tbsCertificate));
  const key = KeyObject.from(signer.privateKey);
  cert.signatureValue = new Uint8Array(sign('sha256', tbs, { key, dsaEncoding: 'der' })).buffer;
  const der = Buffer.from(AsnConvert.serialize(cert));
  const base64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}

/** Joins parts (PEM blocks or single lines, each ending with "\n") and says where each part starts. */
function assemble(...parts: string[]): { text: string; starts: number[] } {
  const starts: number[] = [];
  let line = 1;
  for (const part of parts) {
    starts.push(line);
    line += part.split('\n').length - 1;
  }
  return { text: parts.join(''), starts };
}

function pemLineCount(pem: string): number {
  return pem.split('\n').length - 1;
}

function ruleLines(report: TrustStoreReport): Array<[string, string, number]> {
  return report.findings.map((f) => [f.severity, f.rule, f.line]);
}

function only(report: TrustStoreReport, rule: string): TrustStoreFinding {
  const matching = report.findings.filter((f) => f.rule === rule);
  assert.equal(matching.length, 1, `expected one ${rule} finding in ${JSON.stringify(report.findings)}`);
  return matching[0]!;
}

// Key pairs are the slow part: make each kind once.
let rsa2048: CryptoKeyPair;
let rsa1024: CryptoKeyPair;
let rsaSha1: CryptoKeyPair;
let rsaPss: CryptoKeyPair;
let p256: CryptoKeyPair;
let p384: CryptoKeyPair;
let p521: CryptoKeyPair;
let rootCa: Issued;
let ecCa: Issued;
let dir: string;

before(async () => {
  [rsa2048, rsa1024, rsaSha1, rsaPss, p256, p384, p521] = await Promise.all([
    rsaKeys(2048),
    rsaKeys(1024),
    rsaKeys(2048, 'SHA-1'),
    rsaKeys(2048, 'SHA-256', 'RSA-PSS'),
    ecKeys('P-256'),
    ecKeys('P-384'),
    ecKeys('P-521'),
  ]);
  rootCa = await makeCert({ name: 'CN=Example Root CA', keys: rsa2048 });
  ecCa = await makeCert({ name: 'CN=Example EC CA', keys: p256 });
  dir = await mkdtemp(join(tmpdir(), 'truststore-lint-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('trust-store lint: certificates that ALB accepts', () => {
  test('RSA-2048/SHA-256, ECDSA P-256/384/521 and RSASSA-PSS/SHA-256 CAs with # comments are clean', async () => {
    const p384Ca = await makeCert({ name: 'CN=P-384 CA', keys: p384 });
    const p521Ca = await makeCert({ name: 'CN=P-521 CA', keys: p521 });
    const pssCa = await makeCert({ name: 'CN=PSS CA', keys: rsaPss });
    const { text, starts } = assemble('# Partner CAs, renewed 2025\n', rootCa.pem, '# EC roots\n', ecCa.pem, p384Ca.pem, p521Ca.pem, pssCa.pem);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(report.findings, []);
    assert.equal(report.errorCount, 0);
    assert.equal(report.warningCount, 0);
    assert.equal(report.file, 'ca.pem');
    assert.deepEqual(
      report.certificates.map((c) => [c.line, c.subject, c.issuer]),
      [
        [starts[1], 'CN=Example Root CA', 'CN=Example Root CA'],
        [starts[3], 'CN=Example EC CA', 'CN=Example EC CA'],
        [starts[4], 'CN=P-384 CA', 'CN=P-384 CA'],
        [starts[5], 'CN=P-521 CA', 'CN=P-521 CA'],
        [starts[6], 'CN=PSS CA', 'CN=PSS CA'],
      ],
    );
    const first = report.certificates[0]!;
    assert.match(first.sha256, /^[0-9a-f]{64}$/);
    assert.equal(first.notAfter, rootCa.cert.notAfter.toISOString());
  });

  test('a file without a final newline, and a four-level chain, are clean too', async () => {
    const l2 = await makeCert({ name: 'CN=Level 2 CA', keys: p256, issuer: ecCa });
    const l3 = await makeCert({ name: 'CN=Level 3 CA', keys: p256, issuer: l2 });
    const l4 = await makeCert({ name: 'CN=Level 4 CA', keys: p256, issuer: l3 });
    const report = lintTrustStore(`${ecCa.pem}${l2.pem}${l3.pem}${l4.pem}`.trimEnd(), 'ca.pem');
    assert.deepEqual(report.findings, []);
    assert.equal(report.certificates.length, 4);
  });
});

describe('trust-store lint: certificate rules', () => {
  test('an RSA-1024 CA is a key-size error naming the line, subject and fix', async () => {
    const weak = await makeCert({ name: 'CN=Old CA', keys: rsa1024 });
    const { text, starts } = assemble(rootCa.pem, weak.pem);
    const report = lintTrustStore(text, 'ca-bundle.pem');
    assert.deepEqual(ruleLines(report), [['error', 'key-size', starts[1]]]);
    const finding = only(report, 'key-size');
    assert.equal(finding.subject, 'CN=Old CA');
    assert.equal(finding.endLine, starts[1]! + pemLineCount(weak.pem) - 1);
    assert.equal(finding.message, 'CN=Old CA: RSA 1024-bit key; ALB accepts RSA 2048–8192 or ECDSA P-256/384/521. Replace this CA.');
  });

  test('a SHA-1-signed CA is a signature-algorithm error', async () => {
    const sha1 = await makeCert({ name: 'CN=SHA1 CA', keys: rsaSha1 });
    const report = lintTrustStore(sha1.pem, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'signature-algorithm', 1]]);
    assert.match(only(report, 'signature-algorithm').message, /^CN=SHA1 CA: signed with sha1WithRSAEncryption; ALB accepts SHA-256, SHA-384 or SHA-512 .*Reissue this CA/);
  });

  test('RSASSA-PSS over SHA-1 is a signature-algorithm error', async () => {
    // WebCrypto takes the PSS hash from the key, so this CA gets a key made for SHA-1.
    const keys = await rsaKeys(2048, 'SHA-1', 'RSA-PSS');
    const pssSha1 = await makeCert({ name: 'CN=PSS SHA1 CA', keys, signingAlgorithm: { name: 'RSA-PSS', hash: 'SHA-1', saltLength: 20 } as webcrypto.RsaPssParams });
    const report = lintTrustStore(pssSha1.pem, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'signature-algorithm', 1]]);
    assert.match(only(report, 'signature-algorithm').message, /RSASSA-PSS over SHA-1/);
  });

  test('an end-entity certificate is a not-a-ca error', async () => {
    const leaf = await makeCert({ name: 'CN=client.example.com', keys: p256, issuer: ecCa, ca: false });
    const { text, starts } = assemble(ecCa.pem, leaf.pem);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'not-a-ca', starts[1]]]);
    assert.match(only(report, 'not-a-ca').message, /^CN=client\.example\.com: an end-entity certificate \(it has basicConstraints CA:FALSE\).*Remove it and add the CA that issued it\.$/);
  });

  test('an X.509 v1 certificate is a not-x509-v3 error (and not also a not-a-ca one)', async () => {
    const v1 = await reissue(ecCa, p256, (tbs) => {
      tbs.version = 0;
      tbs.extensions = undefined;
    });
    const report = lintTrustStore(v1, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'not-x509-v3', 1]]);
    assert.match(only(report, 'not-x509-v3').message, /^CN=Example EC CA: an X\.509 v1 certificate; ALB accepts X\.509 v3 only\./);
  });

  test('a CA with a secp256k1 key is a key-type error', async () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'der' });
    const pem = await reissue(ecCa, p256, (tbs) => {
      tbs.subjectPublicKeyInfo = AsnConvert.parse(k1, SubjectPublicKeyInfo);
    });
    const report = lintTrustStore(pem, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'key-type', 1]]);
    assert.match(only(report, 'key-type').message, /an EC key on curve secp256k1/);
  });

  test('a certificate larger than 16 KB as a PEM block is certificate-too-large, with both sizes', async () => {
    // An opaque private extension of 12.5 KB: the DER stays under 16 KB, its PEM text does not.
    const payload = Buffer.concat([Buffer.from([0x04, 0x82, 0x30, 0xd4]), Buffer.alloc(12500, 0x41)]);
    const big = await makeCert({ name: 'CN=Bulky CA', keys: p256, extensions: [new x509.Extension('1.3.6.1.4.1.55555.1', false, payload)] });
    assert.ok(big.cert.rawData.byteLength < 16384);
    const { text, starts } = assemble(rootCa.pem, big.pem);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'certificate-too-large', starts[1]]]);
    const pemBytes = Buffer.byteLength(big.pem);
    assert.ok(pemBytes > 16384);
    assert.match(only(report, 'certificate-too-large').message, new RegExp(`PEM block is ${pemBytes.toLocaleString('en-US')} bytes as uploaded \\(DER ${big.cert.rawData.byteLength.toLocaleString('en-US')} bytes\\); ALB allows 16 KB`));
  });

  test('an expired CA is a warning, not an error', async () => {
    const now = Date.now();
    const old = await makeCert({ name: 'CN=Expired CA', keys: p256, notBefore: new Date(now - 400 * day), notAfter: new Date(now - 30 * day) });
    const { text, starts } = assemble(ecCa.pem, old.pem);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['warning', 'expired', starts[1]]]);
    assert.equal(report.errorCount, 0);
    assert.equal(report.warningCount, 1);
    // judged while it was still valid, it is clean
    assert.deepEqual(lintTrustStore(old.pem, 'ca.pem', { now: new Date(now - 60 * day) }).findings, []);
  });

  test('a duplicate certificate is one warning on the copy, naming the original line', () => {
    const { text, starts } = assemble(rootCa.pem, ecCa.pem, rootCa.pem);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['warning', 'duplicate', starts[2]]]);
    assert.match(only(report, 'duplicate').message, /^CN=Example Root CA: the same certificate as the one at line 1;/);
    assert.equal(report.certificates.length, 3);
  });

  test('a five-level chain is one chain-too-deep error on the deepest CA, whatever the order', async () => {
    const l2 = await makeCert({ name: 'CN=Depth 2 CA', keys: p256, issuer: ecCa });
    const l3 = await makeCert({ name: 'CN=Depth 3 CA', keys: p256, issuer: l2 });
    const l4 = await makeCert({ name: 'CN=Depth 4 CA', keys: p256, issuer: l3 });
    const l5 = await makeCert({ name: 'CN=Depth 5 CA', keys: p256, issuer: l4 });
    const inOrder = assemble(ecCa.pem, l2.pem, l3.pem, l4.pem, l5.pem);
    const report = lintTrustStore(inOrder.text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'chain-too-deep', inOrder.starts[4]]]);
    assert.equal(
      only(report, 'chain-too-deep').message,
      'CN=Depth 5 CA: 5 certificates deep in this bundle (CN=Depth 5 CA → CN=Depth 4 CA → CN=Depth 3 CA → CN=Depth 2 CA → CN=Example EC CA); ALB allows a chain depth of 4. Remove the CAs below depth 4 or issue clients from a shallower CA.',
    );
    const shuffled = assemble(l3.pem, l5.pem, ecCa.pem, l4.pem, l2.pem);
    assert.deepEqual(ruleLines(lintTrustStore(shuffled.text, 'ca.pem')), [['error', 'chain-too-deep', shuffled.starts[1]]]);
  });

  test('CAs that cross-sign each other end the chain walk (no loop, no depth error)', async () => {
    const keysA = await ecKeys('P-256');
    const keysB = await ecKeys('P-256');
    const selfA = await makeCert({ name: 'CN=Cross A', keys: keysA });
    const selfB = await makeCert({ name: 'CN=Cross B', keys: keysB });
    const aByB = await makeCert({ name: 'CN=Cross A', keys: keysA, issuer: selfB });
    const bByA = await makeCert({ name: 'CN=Cross B', keys: keysB, issuer: selfA });
    const report = lintTrustStore(`${aByB.pem}${bByA.pem}${selfA.pem}${selfB.pem}`, 'ca.pem');
    assert.deepEqual(report.findings, []);
    assert.equal(report.certificates.length, 4);
  });

  test('26 CAs is one too-many-certificates error at the 26th', async () => {
    const cas = await Promise.all(Array.from({ length: 26 }, (_, i) => makeCert({ name: `CN=Partner CA ${String(i + 1).padStart(2, '0')}`, keys: p256 })));
    const { text, starts } = assemble(...cas.map((c) => c.pem));
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'too-many-certificates', starts[25]]]);
    const finding = only(report, 'too-many-certificates');
    assert.equal(finding.subject, 'CN=Partner CA 26');
    assert.equal(finding.endLine, text.split('\n').length - 1);
    assert.match(finding.message, /holds 26 certificates and ALB allows 25 per trust store; .*Remove 1 certificate/);
    assert.deepEqual(lintTrustStore(assemble(...cas.slice(0, 25).map((c) => c.pem)).text, 'ca.pem').findings, []);
  });
});

describe('trust-store lint: file structure', () => {
  test('a blank line between blocks is a blank-line error at its line; consecutive blanks are one finding', () => {
    const { text, starts } = assemble(rootCa.pem, '\n', '\n', ecCa.pem);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'blank-line', starts[1]]]);
    assert.equal(only(report, 'blank-line').endLine, starts[2]);
    assert.equal(report.certificates.length, 2);
  });

  test('a trailing blank line is an error; a single final newline is not', () => {
    const lines = pemLineCount(rootCa.pem);
    assert.deepEqual(ruleLines(lintTrustStore(`${rootCa.pem}\n`, 'ca.pem')), [['error', 'blank-line', lines + 1]]);
    assert.deepEqual(ruleLines(lintTrustStore(`${rootCa.pem}  \n`, 'ca.pem')), [['error', 'blank-line', lines + 1]]);
    assert.deepEqual(lintTrustStore(rootCa.pem, 'ca.pem').findings, []);
  });

  test("a comment with '-' is a comment-with-dash error; comments without it are fine", () => {
    const { text } = assemble('# Partner CA bundle\n', '# valid 2024-2030\n', rootCa.pem);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'comment-with-dash', 2]]);
    assert.match(only(report, 'comment-with-dash').message, /^Line 2: the comment "# valid 2024-2030" contains '-'/);
  });

  test('stray text is a not-pem error at its first line, consecutive lines grouped', () => {
    const { text, starts } = assemble(rootCa.pem, 'Subject: CN=Example Root CA\n', 'issuer= CN=Example Root CA\n', ecCa.pem, 'trailing words\n');
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [
      ['error', 'not-pem', starts[1]],
      ['error', 'not-pem', starts[4]],
    ]);
    assert.equal(report.findings[0]!.endLine, starts[2]);
    assert.match(report.findings[0]!.message, /^Lines \d+–\d+: "Subject: CN=Example Root CA" … is neither a # comment nor part of a PEM CERTIFICATE block/);
    assert.equal(report.findings[1]!.endLine, undefined);
  });

  test('a private-key block is a not-pem error covering the block', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
    const { text, starts } = assemble(rootCa.pem, key);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'not-pem', starts[1]]]);
    assert.equal(report.findings[0]!.endLine, starts[1]! + 2);
    assert.match(report.findings[0]!.message, /a PRIVATE KEY PEM block; .*a private key must never be uploaded/);
  });

  test('truncated base64 is an unparsable error on the block; the other certificates are still checked', async () => {
    const weak = await makeCert({ name: 'CN=Old CA', keys: rsa1024 });
    const lines = rootCa.pem.split('\n');
    const truncated = [...lines.slice(0, 5), ...lines.slice(-2)].join('\n');
    const { text, starts } = assemble(truncated, weak.pem);
    const report = lintTrustStore(text, 'ca.pem');
    assert.deepEqual(ruleLines(report), [
      ['error', 'unparsable', 1],
      ['error', 'key-size', starts[1]],
    ]);
    assert.equal(report.findings[0]!.endLine, 6);
    assert.equal(report.findings[0]!.subject, undefined);
    assert.equal(report.certificates.length, 1);
  });

  test('a character cut from the base64, a missing END line and a stray header are each unparsable', () => {
    const lines = rootCa.pem.split('\n');
    const cut = [lines[0], lines[1]!.slice(1), ...lines.slice(2)].join('\n');
    assert.deepEqual(ruleLines(lintTrustStore(cut, 'ca.pem')), [['error', 'unparsable', 1]]);
    assert.match(lintTrustStore(cut, 'ca.pem').findings[0]!.message, /not a multiple of 4/);

    const noEnd = lines.slice(0, -2).join('\n') + '\n';
    const report = lintTrustStore(`${noEnd}${ecCa.pem}`, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'unparsable', 1]]);
    assert.equal(report.findings[0]!.endLine, pemLineCount(noEnd));
    assert.match(report.findings[0]!.message, /no -----END CERTIFICATE----- line/);
    assert.equal(report.certificates[0]!.subject, 'CN=Example EC CA');

    const header = [lines[0], 'Proc-Type: 4,ENCRYPTED', ...lines.slice(1)].join('\n');
    assert.match(lintTrustStore(header, 'ca.pem').findings[0]!.message, /line 2 \("Proc-Type: 4,ENCRYPTED"\) is not base64/);
  });

  test('CRLF line endings lint exactly like LF ones (no phantom blank lines)', async () => {
    const weak = await makeCert({ name: 'CN=Old CA', keys: rsa1024 });
    const lf = assemble('# CA bundle\n', rootCa.pem, '# a-b\n', weak.pem, '\n', ecCa.pem).text;
    const crlf = lf.replace(/\n/g, '\r\n');
    const lfReport = lintTrustStore(lf, 'ca.pem');
    assert.deepEqual(lintTrustStore(crlf, 'ca.pem'), lfReport);
    assert.deepEqual(
      lfReport.findings.map((f) => f.rule),
      ['comment-with-dash', 'key-size', 'blank-line'],
    );
    assert.deepEqual(lintTrustStore(rootCa.pem.replace(/\n/g, '\r\n'), 'ca.pem').findings, []);
  });

  test('an empty bundle is a no-certificates error', () => {
    assert.deepEqual(ruleLines(lintTrustStore('', 'ca.pem')), [['error', 'no-certificates', 1]]);
    assert.deepEqual(ruleLines(lintTrustStore('# just a comment\n', 'ca.pem')), [['error', 'no-certificates', 1]]);
  });

  test('a byte-order mark is reported and the certificate after it is still read', () => {
    const report = lintTrustStore(`\uFEFF${rootCa.pem}`, 'ca.pem');
    assert.deepEqual(ruleLines(report), [['error', 'not-pem', 1]]);
    assert.equal(report.certificates.length, 1);
  });

  test('random text and random mixes of PEM pieces never throw; findings point at real lines', () => {
    const pieces = [
      ...rootCa.pem.split('\n').slice(0, 4),
      '-----BEGIN CERTIFICATE-----',
      '-----END CERTIFICATE-----',
      '-----BEGIN PRIVATE KEY-----',
      '-----END RSA PRIVATE KEY-----',
      '-----BEGIN -----',
      '#',
      '# note',
      '# -',
      '',
      '   ',
      '\t',
      '====',
      'AAAA',
      'MIIB',
      '\uFEFF',
      '\u0000',
    ];
    const certificateLines = rootCa.pem.trimEnd().split('\n');
    const check = (text: string): void => {
      const report = lintTrustStore(text, 'fuzz.pem');
      const lineCount = text.split(/\r\n|\r|\n/).length;
      for (const finding of report.findings) {
        assert.ok(finding.line >= 1 && finding.line <= lineCount, `line ${finding.line} of ${lineCount}`);
        assert.ok(finding.endLine === undefined || (finding.endLine > finding.line && finding.endLine <= lineCount));
        assert.ok(finding.message.length > 0);
      }
      assert.equal(report.errorCount + report.warningCount, report.findings.length);
      assert.equal(report.errorCount, report.findings.filter((f) => f.severity === 'error').length);
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), check), { numRuns: 300 });
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...pieces), fc.constant(certificateLines.join('\n')), fc.string({ maxLength: 30 })), { maxLength: 40 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        (parts, eol) => check(parts.join(eol)),
      ),
      { numRuns: 300 },
    );
    // Corrupted DER inside a well-formed PEM block reaches the certificate parsers and checks.
    const der = Buffer.from(rootCa.cert.rawData);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const copy = Buffer.from(der);
        for (const [at, value] of flips) copy[at] = value;
        check(`-----BEGIN CERTIFICATE-----\n${copy.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('trust-store lint: files', () => {
  test('missing files, directories, binary files and huge files throw a TrustStoreFileError naming the file', async () => {
    const missing = join(dir, 'nope.pem');
    await assert.rejects(lintTrustStoreFile(missing), (e: unknown) => e instanceof TrustStoreFileError && e.message === `${missing}: no such file. Give the path of the PEM CA bundle you upload to the ALB trust store.`);
    const folder = join(dir, 'folder.pem');
    await mkdir(folder);
    await assert.rejects(lintTrustStoreFile(folder), (e: unknown) => e instanceof TrustStoreFileError && e.message.startsWith(`${folder} is a directory.`));
    const der = join(dir, 'ca.der');
    await writeFile(der, Buffer.from(rootCa.cert.rawData));
    await assert.rejects(lintTrustStoreFile(der), (e: unknown) => e instanceof TrustStoreFileError && /ca\.der is a binary file \(DER\?\), not a PEM bundle/.test(e.message));
    const huge = join(dir, 'huge.pem');
    await writeFile(huge, '');
    await truncate(huge, 50 * 1024 * 1024 + 1);
    await assert.rejects(lintTrustStoreFile(huge), (e: unknown) => e instanceof TrustStoreFileError && /huge\.pem is 50\.0 MB/.test(e.message));
  });

  test('a readable bundle is linted with its path as the file name', async () => {
    const path = join(dir, 'good.pem');
    await writeFile(path, rootCa.pem);
    const report = await lintTrustStoreFile(path);
    assert.equal(report.file, path);
    assert.deepEqual(report.findings, []);
  });
});

describe('mtls-probe truststore lint', () => {
  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runTrustStoreCommand(args, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  }

  test('a clean bundle exits 0 with a summary line', async () => {
    const path = join(dir, 'clean.pem');
    await writeFile(path, `${rootCa.pem}${ecCa.pem}`);
    assert.deepEqual(await run(['lint', path]), { code: 0, out: `${path}: 2 certificates, 0 errors, 0 warnings — ALB accepts this bundle.\n`, err: '' });
  });

  test('errors exit 1 with one line per finding, then the summary', async () => {
    const weak = await makeCert({ name: 'CN=Old CA', keys: rsa1024 });
    const path = join(dir, 'ca-bundle.pem');
    const { text, starts } = assemble(rootCa.pem, '# old-style\n', weak.pem);
    await writeFile(path, text);
    const result = await run(['lint', path]);
    assert.equal(result.code, 1);
    assert.equal(result.err, '');
    assert.deepEqual(result.out.trimEnd().split('\n'), [
      `${path}:${starts[1]}: error [comment-with-dash] Line ${starts[1]}: the comment "# old-style" contains '-'; ALB rejects comments with '-' (they look like PEM boundaries). Remove the '-' characters.`,
      `${path}:${starts[2]}: error [key-size] CN=Old CA: RSA 1024-bit key; ALB accepts RSA 2048–8192 or ECDSA P-256/384/521. Replace this CA.`,
      `${path}: 2 certificates, 2 errors, 0 warnings — ALB would reject this bundle.`,
    ]);
  });

  test('warnings only exit 0; --json prints the report as one object', async () => {
    const path = join(dir, 'dup.pem');
    const text = `${rootCa.pem}${rootCa.pem}`;
    await writeFile(path, text);
    const human = await run(['lint', path]);
    assert.equal(human.code, 0);
    assert.match(human.out, /: 2 certificates, 0 errors, 1 warning — ALB accepts this bundle; review the warnings\.\n$/);
    const json = await run(['lint', path, '--json']);
    assert.equal(json.code, 0);
    assert.equal(json.out.trimEnd().split('\n').length, 1);
    const report = JSON.parse(json.out) as TrustStoreReport;
    assert.deepEqual(report, lintTrustStore(text, path));
    assert.equal(report.warningCount, 1);
  });

  test('--json with errors still exits 1', async () => {
    const path = join(dir, 'blank.pem');
    await writeFile(path, `${rootCa.pem}\n`);
    const result = await run(['--json', 'lint', path]);
    assert.equal(result.code, 1);
    assert.equal((JSON.parse(result.out) as TrustStoreReport).findings[0]!.rule, 'blank-line');
  });

  test('an unreadable file and bad usage exit 2 with one mtls-probe line on stderr', async () => {
    const missing = join(dir, 'missing.pem');
    const cases: Array<[string[], RegExp]> = [
      [['lint', missing], new RegExp(`^mtls-probe: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file\\.`)],
      [['lint', dir], /is a directory/],
      [[], /truststore needs a subcommand/],
      [['check', 'x.pem'], /unknown truststore subcommand "check"/],
      [['lint'], /takes exactly one FILE \(got 0\)/],
      [['lint', 'a.pem', 'b.pem'], /takes exactly one FILE \(got 2\)/],
      [['lint', 'a.pem', '--fix'], /^mtls-probe: Unknown option '--fix'\. See mtls-probe truststore --help\.\n$/],
    ];
    for (const [args, pattern] of cases) {
      const result = await run(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.out, '');
      assert.match(result.err, /^mtls-probe: [^\n]*\n$/);
      assert.match(result.err, pattern);
    }
  });

  test('--help prints the usage and exits 0', async () => {
    const result = await run(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.out, /mtls-probe truststore lint FILE \[--json\]/);
  });
});
