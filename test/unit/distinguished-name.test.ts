import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import fc from 'fast-check';
import { DistinguishedNameError, formatDistinguishedName } from '../../src/core/certs/distinguished-name';
import { summarizeCertificate } from '../../src/core/certs/certificate-summary';
import { requireBinary } from '../support/peers';
import { X509Certificate } from 'node:crypto';

function subjectDer(pem: string): Uint8Array {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return new Uint8Array(AsnConvert.serialize(AsnConvert.parse(der, Certificate).tbsCertificate.subject));
}

describe('DER Name → RFC 4514', () => {
  test('agrees with openssl -nameopt RFC2253 on escaping, multi-valued RDNs and e-mail', (t) => {
    const openssl = requireBinary(t, 'openssl', ['/usr/bin/openssl']);
    if (openssl === null) return;
    const dir = mkdtempSync(join(tmpdir(), 'dn-'));
    const subject = '/C=JP/ST=Tokyo/O=Example, Inc./OU=Platform+UID=42/CN=Partner CA #1/emailAddress=pki@example.com';
    execFileSync(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', subject, '-days', '1', '-multivalue-rdn'], { stdio: 'pipe' });
    const expected = execFileSync(openssl, ['x509', '-in', join(dir, 'c.pem'), '-noout', '-subject', '-nameopt', 'RFC2253']).toString().trim().replace(/^subject=/, '');
    const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
    assert.equal(formatDistinguishedName(subjectDer(pem)), expected);
    // the certificate summary (node:crypto's parser) says the same
    assert.equal(summarizeCertificate(new X509Certificate(pem).raw).subject, expected);
  });

  test('UTF8String and BMPString values decode to text', () => {
    // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "Jörg" } }, SET { SEQUENCE { OID 2.5.4.10, BMPString "Ωmega" } } }
    const utf8 = Buffer.from('Jörg', 'utf8');
    const bmp = Buffer.from('Ωmega', 'utf16le').swap16();
    const atv = (oidLast: number, tag: number, value: Buffer): Buffer => {
      const inner = Buffer.concat([Buffer.from([0x06, 0x03, 0x55, 0x04, oidLast, tag, value.length]), value]);
      const seq = Buffer.concat([Buffer.from([0x30, inner.length]), inner]);
      return Buffer.concat([Buffer.from([0x31, seq.length]), seq]);
    };
    const body = Buffer.concat([atv(10, 0x1e, bmp), atv(3, 0x0c, utf8)]);
    assert.equal(formatDistinguishedName(Buffer.concat([Buffer.from([0x30, body.length]), body])), 'CN=Jörg,O=Ωmega');
  });

  test('random bytes give a DistinguishedNameError or a string, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          assert.equal(typeof formatDistinguishedName(bytes), 'string');
        } catch (e) {
          assert.ok(e instanceof DistinguishedNameError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
