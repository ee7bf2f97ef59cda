import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import { before, describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { certificateHoverMarkdown, certificateProblemSummary, escapeMarkdown } from '../../src/core/certs/certificate-hover';
import { certificateFindings, inspectCertificateBlock } from '../../src/core/certs/certificate-diagnostics';
import { inspectCertificate, type CertificateDetails } from '../../src/core/certs/inspect';
import { findCertificateBlocks } from '../../src/core/certs/pem-blocks';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const day = 86_400_000;
let pki: TestPki;
let hostile: Buffer;
const hostileName = '*bold* _it_ [link](https://evil.example) <img src=x onerror=alert(1)> `code` &amp; $(zap) \u202Egnp.exe\nsecond line';

const derOf = (pem: string): Buffer => Buffer.from(new X509Certificate(pem).raw);

before(async () => {
  pki = await generateTestPki({ organization: 'Hover Test' });
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const name: x509.JsonName = [{ '2.5.4.10': ['Org_with_underscores & <tags>'] }, { '2.5.4.3': [hostileName] }];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0a1b2c3d',
    subject: name,
    issuer: name,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 30 * day),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: '*.evil_[x].example' }, { type: 'email', value: 'a@b.example' }])],
  });
  hostile = Buffer.from(cert.rawData);
});

/** Undoes CommonMark backslash escapes: what a renderer shows for escaped text. */
function rendered(markdown: string): string {
  return markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** Every ASCII punctuation character in `markdown` is escaped, so none of it can be markup. */
function assertInert(markdown: string): void {
  const unescaped = markdown.replace(/\\[!-/:-@[-`{-~]/g, '');
  assert.doesNotMatch(unescaped, /[!-/:-@[-`{-~]/, `unescaped punctuation in ${JSON.stringify(markdown)}`);
}

/** The value after a **Label** on its line. */
function field(markdown: string, label: string): string | undefined {
  return new RegExp(`\\*\\*${label}\\*\\* (.*?)(?:  )?$`, 'm').exec(markdown)?.[1];
}

describe('certificateHoverMarkdown', () => {
  test('a client certificate: names, validity, clientAuth, key, CA flag, serial, fingerprint, workspace files', () => {
    const der = derOf(pki.clients.valid.certPem);
    const details = inspectCertificate(der);
    const markdown = certificateHoverMarkdown(details, {
      matchingKey: { file: '/work/repo/certs/client.key' },
      issuer: { file: '/work/repo/certs/ca.pem', subject: details.issuer },
      workspaceRelative: (file) => file.replace('/work/repo/', ''),
    });
    assert.equal(rendered(field(markdown, 'Certificate')!), 'CN=valid client,O=Hover Test');
    assert.equal(rendered(field(markdown, 'Issuer')!), 'CN=Hover Test Root CA,O=Hover Test');
    assert.match(field(markdown, 'Validity')!, /^expires in 36[45] days \(\d{4}-\d\d-\d\d \d\d:\d\d UTC to \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/);
    assert.equal(rendered(field(markdown, 'Extended key usage')!), 'clientAuth: usable as a TLS client certificate');
    assert.equal(field(markdown, 'Key'), 'EC P\\-256, signed with ecdsa\\-with\\-SHA256');
    assert.equal(field(markdown, 'CA'), 'no');
    assert.equal(field(markdown, 'Serial'), `\`${details.serialNumber}\``);
    assert.match(details.serialNumber, /^[0-9A-F]+$/);
    assert.equal(field(markdown, 'SHA-256'), `\`${new X509Certificate(der).fingerprint256}\``);
    assert.equal(field(markdown, 'Private key'), '`certs/client.key`');
    assert.equal(rendered(field(markdown, 'Issuer certificate')!), 'CN=Hover Test Root CA,O=Hover Test found in the workspace (`certs/ca.pem`)');
    assert.ok(!/\]\(/.test(markdown), 'no links: the editor adds its own');
  });

  test('a server certificate lacks clientAuth; SANs are listed; a CA says so and has no clientAuth verdict', () => {
    const server = certificateHoverMarkdown(inspectCertificate(derOf(pki.server.certPem)));
    assert.equal(field(server, 'Extended key usage'), 'serverAuth: **no clientAuth**, so TLS servers refuse it as a client certificate');
    assert.equal(rendered(field(server, 'Names')!), 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(field(server, 'Private key'), undefined, 'no workspace line when the index is not known');

    const root = certificateHoverMarkdown(inspectCertificate(derOf(pki.rootCa.certPem)), { matchingKey: null, issuer: null });
    assert.equal(field(root, 'CA'), 'yes, path length 1');
    assert.equal(field(root, 'Issuer'), 'itself (self-signed)');
    assert.equal(field(root, 'Extended key usage'), undefined);
    assert.equal(field(root, 'Key usage'), 'keyCertSign, cRLSign');
    assert.equal(field(root, 'Private key'), 'not in the workspace');
    assert.equal(field(root, 'Issuer certificate'), undefined, 'a self-signed root has no other issuer to find');

    const leaf = certificateHoverMarkdown(inspectCertificate(derOf(pki.clients.untrusted.certPem)), { issuer: null });
    assert.equal(field(leaf, 'Issuer certificate'), 'not found in the workspace');
  });

  test('validity wording: expires in, expired ago, not valid for another', () => {
    const der = derOf(pki.clients.valid.certPem);
    const { notBefore, notAfter } = inspectCertificate(der);
    const at = (ms: number): CertificateDetails => inspectCertificate(der, new Date(ms));
    assert.match(certificateHoverMarkdown(at(Date.parse(notAfter) - 23 * day)), /\*\*Validity\*\* expires in 23 days \(/);
    assert.match(certificateHoverMarkdown(at(Date.parse(notAfter) + 3 * day)), /\*\*Validity\*\* \*\*expired 3 days ago\*\* \(/);
    assert.match(certificateHoverMarkdown(at(Date.parse(notBefore) - 2 * day)), /\*\*Validity\*\* \*\*not valid for another 2 days\*\* \(/);
    assert.match(certificateHoverMarkdown(at(Date.parse(notAfter) - 5 * 3_600_000)), /expires in 5 hours/);
  });

  test('subject, issuer and names are escaped: no emphasis, link, autolink, HTML, icon or hidden text', () => {
    const details = inspectCertificate(hostile);
    const markdown = certificateHoverMarkdown(details, { issuer: { file: 'ca `with` backticks_*.pem', subject: details.subject } });
    // The names are joined by ", ": each of them is escaped.
    for (const value of [field(markdown, 'Certificate')!, ...field(markdown, 'Names')!.split(', ')]) {
      assertInert(value);
      assert.ok(!/[\u202E\n]/.test(value));
    }
    // RFC 4514 escapes '<' and '>' in the name itself; the hover shows the name as it is.
    assert.ok(rendered(field(markdown, 'Certificate')!).includes('[link](https://evil.example) \\<img src=x onerror=alert(1)\\>'));
    assert.ok(rendered(field(markdown, 'Certificate')!).includes('\\u202e'), 'a bidi override is shown, not applied');
    assert.equal(field(markdown, 'Issuer'), 'itself (self-signed)');
    assert.equal(rendered(field(markdown, 'Names')!), 'DNS:*.evil_[x].example, email:a@b.example');
    assert.ok(field(markdown, 'Issuer certificate')!.endsWith('found in the workspace (``ca `with` backticks_*.pem``)'), 'a file name is a code span fenced past its backticks');
    // One paragraph of hard-broken lines, then the workspace paragraph: a value cannot start a new block.
    assert.equal(markdown.split('\n\n').length, 2);

    for (const text of ['*a*', '_a_', '[a](b)', '<b>', '`c`', '&amp;', 'https://x.example', 'a@b.example', '# h', '1. x', '$(zap)', '| t |', '~~s~~', '\\*']) {
      const escaped = escapeMarkdown(text);
      assertInert(escaped);
      assert.equal(rendered(escaped), text);
    }
  });

  test('certificateProblemSummary says what is wrong with a damaged block', () => {
    const [block] = findCertificateBlocks('-----BEGIN CERTIFICATE-----\nMIIB*\n-----END CERTIFICATE-----');
    assert.equal(rendered(certificateProblemSummary(block!)), '**Damaged certificate block:** its base64 is damaged: line 2 of the block has "*", which is not a base64 character  \nCopy the certificate again, whole, from where it came from.');
    assert.match(rendered(certificateProblemSummary({ start: 0, end: 1, der: new Uint8Array([0x30, 0x00]) })), /it decodes, but is not a valid X\.509 certificate/);
  });
});

describe('certificateFindings', () => {
  test('expired, not yet valid, expiring soon and damaged blocks, with their ranges', () => {
    const der = derOf(pki.clients.valid.certPem);
    const { notBefore, notAfter } = inspectCertificate(der);
    const text = `a: |\n${pki.clients.valid.certPem}b: |\n-----BEGIN CERTIFICATE-----\nMIIB\nc: 1\n`;
    const blocks = findCertificateBlocks(text);
    const at = (ms: number, days = 30): Array<[string, string, string]> => certificateFindings(text, new Date(ms), { expiryWarningDays: days }).map((f) => [f.code, f.severity, f.message]);
    const damaged: [string, string, string] = ['corrupt-block', 'error', 'Damaged certificate block: it has no -----END CERTIFICATE----- line (truncated copy?)'];
    const day10 = notAfter.slice(0, 10);
    assert.deepEqual(at(Date.parse(notAfter) + 23 * day), [['expired', 'error', `Certificate CN=valid client,O=Hover Test expired on ${day10} (23 days ago)`], damaged]);
    assert.deepEqual(at(Date.parse(notBefore) - 2 * day), [['not-yet-valid', 'warning', `Certificate CN=valid client,O=Hover Test is not valid until ${notBefore.slice(0, 10)} (another 2 days)`], damaged]);
    assert.deepEqual(at(Date.parse(notAfter) - 12 * day), [['expires-soon', 'warning', `Certificate CN=valid client,O=Hover Test expires on ${day10} (in 12 days)`], damaged]);
    assert.deepEqual(at(Date.parse(notAfter) - 12 * day, 10), [damaged]);
    assert.deepEqual(at(Date.parse(notAfter) - 12 * day, 0), [damaged], '0 days turns the warning off');
    assert.deepEqual(at(Date.parse(notAfter) - 100 * day), [damaged]);
    const findings = certificateFindings(text, new Date(Date.parse(notAfter) + day), { expiryWarningDays: 30 });
    assert.deepEqual(
      findings.map((f) => [f.start, f.end]),
      blocks.map((b) => [b.start, b.end]),
    );
    assert.deepEqual(certificateFindings('no certificates here', new Date(), { expiryWarningDays: 30 }), []);
  });

  test('inspectCertificateBlock never throws: a block that decodes to a broken certificate is a problem', () => {
    const der = Buffer.from(derOf(pki.clients.valid.certPem));
    // Same shape, but the key's algorithm (id-ecPublicKey, 1.2.840.10045.2.1) becomes one nobody knows.
    const ecPublicKey = Buffer.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
    const at = der.indexOf(ecPublicKey);
    assert.ok(at > 0);
    der[at + ecPublicKey.length - 1] = 0x7f;
    const [block] = findCertificateBlocks(`-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`);
    assert.equal(block?.problem, undefined, 'the block itself is well-formed');
    assert.deepEqual(inspectCertificateBlock(block!), { problem: 'it decodes, but is not a valid X.509 certificate' });
    assert.deepEqual(
      certificateFindings(`-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`, new Date(), { expiryWarningDays: 30 }).map((f) => f.message),
      ['Damaged certificate block: it decodes, but is not a valid X.509 certificate'],
    );
    assert.deepEqual(inspectCertificateBlock({ start: 0, end: 1, der: new Uint8Array([0x30, 0x00]) }), { problem: 'it decodes, but is not a valid X.509 certificate' });
  });
});
