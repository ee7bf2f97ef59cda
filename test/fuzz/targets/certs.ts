// Certificate files as `cert inspect`, the Inspect Certificate command and the hover read them (parseCryptoText, then
// inspectFile: chains, keys, CSRs, CRLs; each certificate's hover text), and CA bundles as the trust-store lint reads
// them. parseCryptoText throws CryptoFileError only; lintTrustStore never throws.

import { createHash } from 'node:crypto';
import { certificateHoverMarkdown } from '../../../src/core/certs/certificate-hover';
import { CryptoFileError, loadPkcs12Support, parseCryptoText } from '../../../src/core/certs/crypto-file';
import { inspectCertificate, inspectFile } from '../../../src/core/certs/inspect';
import { lintTrustStore } from '../../../src/core/certs/truststore-lint';
import { pemBlock } from '../../../src/core/formats/pem';
import { fuzzBytes, repeatTo, textTokens, type FuzzTarget } from '../engine';
import { pemDers, pkiFile, pkiFiles } from '../seeds';

const now = new Date('2026-02-01T00:00:00Z');

/**
 * `count` distinct copies of a certificate (a serial byte changed, so each has its own SHA-256): the same name, key and
 * key identifiers, signatures that no longer verify. What a hostile bundle of look-alike CAs is made of.
 */
let lookAlikeRun = 0;

export function lookAlikes(der: Buffer, count: number): Buffer[] {
  // A new set each call (its own serial byte), so caches of parsed certificates do not hide the work.
  const run = lookAlikeRun++ & 0xff;
  // The serial is TBSCertificate's first INTEGER after the [0] version: find 0xa0 0x03 0x02 0x01 0x02 0x02 <len>.
  const at = der.indexOf(Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02, 0x02]));
  const serialAt = at + 7;
  return Array.from({ length: count }, (_, i) => {
    const copy = Buffer.from(der);
    copy.writeUInt16BE(i & 0xffff, serialAt + 2);
    copy[serialAt + 4] = (i >> 16) & 0xff;
    copy[serialAt + 5] = run;
    return copy;
  });
}

function bundleOf(ders: Buffer[], bytes: number): Buffer {
  const out: string[] = [];
  let size = 0;
  for (const der of ders) {
    const pem = pemBlock('CERTIFICATE', der);
    if (size + pem.length > bytes && out.length > 0) break;
    out.push(pem);
    size += pem.length;
  }
  return Buffer.from(out.join(''));
}

const rootDer = (): Buffer => pemDers(pkiFile('p256/root-ca.pem'))[0]!;

// ---- cert inspect / the hover ------------------------------------------------------------------------------------

/** The passphrase comes from the input's length: none or the corpus's. */
export async function inspectBytes(bytes: Buffer): Promise<string> {
  const passphrase = bytes.length % 2 === 0 ? undefined : 'fuzz';
  const contents = parseCryptoText(bytes, 'fuzz.pem', passphrase === undefined ? {} : { passphrase });
  const inspection = inspectFile(contents, { now });
  for (const certificate of contents.certificates.slice(0, 4)) certificateHoverMarkdown(inspectCertificate(certificate.der, now), { selfSigned: false });
  const parts = [inspection.certificates.length > 0 ? (inspection.chain?.complete ? 'chain' : 'certs') : 'no-certs'];
  if (inspection.keys.length > 0) parts.push(inspection.keys.some((k) => k.encrypted) ? 'encrypted-key' : 'key');
  if (inspection.csrs.length > 0) parts.push('csr');
  if (inspection.crls.length > 0) parts.push('crl');
  if (inspection.problems.length > 0) parts.push('problems');
  return parts.join('+');
}

const certTokens = textTokens('-----BEGIN CERTIFICATE-----\n', '-----END CERTIFICATE-----\n', '-----BEGIN PRIVATE KEY-----\n', '-----BEGIN X509 CRL-----\n', '-----BEGIN PKCS7-----\n', '\n', '=', 'MII');

export const cryptoFileTarget: FuzzTarget = {
  name: 'cert-inspect',
  description: 'parseCryptoText + inspectFile + the hover text on mutated PEM bundles, DER, PKCS#7, PKCS#12, CSRs, CRLs and plain, encrypted and legacy keys',
  weight: 4,
  input: fuzzBytes([...pkiFiles().values()], certTokens),
  run: inspectBytes,
  coded: [CryptoFileError],
  setup: loadPkcs12Support,
  shapes: [
    { name: 'bundle of one certificate repeated', make: (bytes) => repeatTo(pkiFile('p256/valid.chain.pem'), bytes) },
    { name: 'bundle of look-alike CAs', make: (bytes) => bundleOf(lookAlikes(rootDer(), Math.ceil(bytes / 500)), bytes), fresh: true },
    { name: 'text without blocks', make: (bytes) => repeatTo('no certificate here\n', bytes) },
  ],
};

// ---- the trust-store lint ----------------------------------------------------------------------------------------

export function lintBytes(bytes: Buffer): string {
  const report = lintTrustStore(bytes.toString('utf8'), 'fuzz.pem', { now });
  const rules = new Set(report.findings.map((f) => f.rule));
  return rules.size === 0 ? 'clean' : [...rules].sort().slice(0, 4).join('+');
}

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 8);

export const trustStoreTarget: FuzzTarget = {
  name: 'truststore-lint',
  description: 'lintTrustStore on mutated CA bundles (blank lines, comments, BOM, keys, truncated and duplicate blocks)',
  weight: 4,
  input: fuzzBytes(
    [pkiFile('p256/ca-bundle.pem'), pkiFile('rsa2048/ca-bundle.pem'), pkiFile('p256/chain-too-deep.chain.pem'), pkiFile('p256/valid.chain.pem'), Buffer.from(`# bundle ${digest(pkiFile('p256/ca-bundle.pem'))}\n${pkiFile('p256/ca-bundle.pem').toString('latin1')}`)],
    [...certTokens, ...textTokens('# a comment\n', '# with - dash\n', '\uFEFF', '   \n', '\t\n')],
  ),
  run: lintBytes,
  coded: [],
  shapes: [
    { name: 'bundle of look-alike CAs', make: (bytes) => bundleOf(lookAlikes(rootDer(), Math.ceil(bytes / 500)), bytes), fresh: true },
    { name: 'one long line of spaces', make: (bytes) => repeatTo(' ', bytes, '', 'x\n') },
    { name: 'many comment lines', make: (bytes) => repeatTo('# a comment - with a dash\n', bytes) },
    { name: 'many blank lines', make: (bytes) => repeatTo('\n', bytes) },
  ],
};
