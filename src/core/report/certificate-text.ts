// Plain-text reports of the certificate toolkit, shared by the CLI and the extension's output channel.
import { join } from 'node:path';
import type { CertificateDetails, ChainReport, FileInspection } from '../certs/inspect';
import type { IdentityPair, IdentityPairSearch } from '../certs/pairs';
import type { TrustStoreReport } from '../certs/truststore-lint';
import type { GeneratedPkiManifest, PkiKeyAlgorithm } from '../pki/generate-pki';

/** Colon-separated uppercase hex, as openssl prints fingerprints and key identifiers. */
function colonHex(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?=.)/g, '$1:');
}

function keyText(c: CertificateDetails): string {
  if (c.curve !== undefined) return `${c.keyType} ${c.curve}`;
  return c.keySize !== undefined ? `${c.keyType} ${c.keySize}` : c.keyType;
}

function extendedKeyUsageText(c: CertificateDetails): string {
  const listed = c.extendedKeyUsage.length > 0 ? c.extendedKeyUsage.join(', ') : 'none (any purpose)';
  if (c.isCA) return listed;
  if (c.clientAuth) return `${listed} — usable as a TLS client certificate`;
  if (c.extendedKeyUsage.length > 0 && !c.extendedKeyUsage.includes('clientAuth')) return `${listed} — NOT usable as a TLS client certificate (no clientAuth)`;
  return `${listed} — NOT usable as a TLS client certificate (key usage allows neither digitalSignature nor keyAgreement)`;
}

function basicConstraintsText(c: CertificateDetails): string {
  if (c.basicConstraints === null) return 'none';
  const { ca, pathLength } = c.basicConstraints;
  return `CA:${ca ? 'TRUE' : 'FALSE'}${pathLength !== undefined ? `, pathlen:${pathLength}` : ''}`;
}

function certificateBlock(c: CertificateDetails, heading: string): string {
  const rows: Array<[string, string]> = [
    ['Subject', c.subject || '(empty)'],
    ['Issuer', c.issuer || '(empty)'],
    ['Serial', c.serialNumber],
    ['Validity', `${c.notBefore} to ${c.notAfter} — ${c.validity.relative}${c.validity.state === 'valid' ? '' : ` (${c.validity.state.toUpperCase()})`}`],
    ['SANs', c.subjectAltNames.length > 0 ? c.subjectAltNames.join(', ') : 'none'],
    ['Key', keyText(c)],
    ['Signature algorithm', c.signatureAlgorithm],
    ['Key usage', c.keyUsage.length > 0 ? c.keyUsage.join(', ') : 'none'],
    ['Extended key usage', extendedKeyUsageText(c)],
    ['Basic constraints', basicConstraintsText(c)],
    ['Subject key id', c.subjectKeyIdentifier !== undefined ? colonHex(c.subjectKeyIdentifier) : 'none'],
    ['Authority key id', c.authorityKeyIdentifier !== undefined ? colonHex(c.authorityKeyIdentifier) : 'none'],
    ['CRL distribution', c.crlDistributionPoints.length > 0 ? c.crlDistributionPoints.join(', ') : 'none'],
    ['SHA-256 fingerprint', colonHex(c.sha256)],
    ['SHA-1 fingerprint', colonHex(c.sha1)],
    ['Self-signed', c.selfSigned ? 'yes' : 'no'],
  ];
  return `${heading}\n${rows.map(([label, value]) => `  ${`${label}:`.padEnd(21)}${value}`).join('\n')}\n`;
}

export interface InspectionTextOptions {
  /** How this front end takes trust anchors (the CLI: "--cacert FILE"), named where a chain could not be checked without them. */
  anchorsOption?: string;
}

function endsBelowRootText(end: NonNullable<ChainReport['endsBelowRoot']>, options: InspectionTextOptions): string {
  const check = options.anchorsOption !== undefined ? `; give ${options.anchorsOption} to check it here` : '';
  return `ends at ${end.subject} (its issuer, ${end.issuer}, is not in the file: a server verifies it with its own trust store${check})`;
}

function chainBlock(report: ChainReport, options: InspectionTextOptions): string {
  const anchor = report.anchorAt !== undefined ? report.chain[report.anchorAt] : undefined;
  const status =
    report.complete && anchor !== undefined
      ? `complete, verified up to the trust anchor ${anchor.subject}`
      : report.complete
        ? 'complete'
        : report.endsBelowRoot !== undefined && report.breaks.length === 0
          ? endsBelowRootText(report.endsBelowRoot, options)
          : 'INCOMPLETE';
  const lines = [`Chain (leaf → root): ${status}`];
  report.chain.forEach((c, i) => {
    const roles = [c.selfSigned ? 'self-signed root' : '', i === report.anchorAt ? 'trust anchor' : ''].filter(Boolean);
    lines.push(`  ${i}: ${c.subject}${roles.length > 0 ? ` (${roles.join(', ')})` : ''}${c.validity.state === 'valid' ? '' : ` — ${c.validity.relative}`}`);
  });
  for (const problem of report.breaks) lines.push(`  break at ${problem.at}: ${problem.problem}`);
  if (report.endsBelowRoot !== undefined && report.breaks.length > 0) lines.push(`  ${endsBelowRootText(report.endsBelowRoot, options)}`);
  return `${lines.join('\n')}\n`;
}

export function formatFileInspection(report: FileInspection, sources: string[], options: InspectionTextOptions = {}): string {
  const parts: string[] = [`== ${report.file} ==\n`];
  if (report.certificates.length === 0) parts.push('No certificates.\n');
  report.certificates.forEach((c, i) => parts.push(certificateBlock(c, `Certificate ${i + 1} of ${report.certificates.length}${sources[i] ? ` (${sources[i]})` : ''}`)));
  if (report.chain !== null) parts.push(chainBlock(report.chain, options));
  for (const key of report.keys) {
    const at = key.line !== undefined ? `line ${key.line}` : 'binary';
    const what = key.keyType !== undefined ? `${key.keyType}, public key SHA-256 ${key.publicKeySha256}` : 'type unknown until decrypted (give --pass-env VAR)';
    parts.push(`Private key (${at}): ${what}${key.encrypted ? ', encrypted' : ''}\n`);
  }
  for (const csr of report.csrs) parts.push(`Certificate request: ${csr.subject || '(empty subject)'}, key ${csr.keyType}\n`);
  for (const crl of report.crls) parts.push(`CRL: issuer ${crl.issuer}, this update ${crl.thisUpdate}${crl.nextUpdate ? `, next update ${crl.nextUpdate}` : ''}, ${crl.revoked} revoked\n`);
  for (const problem of report.problems) parts.push(`Problem: ${problem.message}\n`);
  return parts.join('');
}

function pairLines(pair: IdentityPair, flags: string[]): string[] {
  const shown = flags.filter(Boolean);
  const lines = [`  ${pair.cert} + ${pair.key}`, `      ${pair.subject}, valid until ${pair.notAfter}${shown.length > 0 ? ` [${shown.join(', ')}]` : ''}`];
  if (pair.certFiles.length > 1) lines.push(`      certificate also in: ${pair.certFiles.slice(1).join(', ')}`);
  if (pair.keyFiles.length > 1) lines.push(`      key also in: ${pair.keyFiles.slice(1).join(', ')}`);
  return lines;
}

export function formatIdentityPairs(dir: string, search: IdentityPairSearch): string {
  const lines: string[] = [`Identity pairs under ${dir}: ${search.pairs.length}`];
  for (const pair of search.pairs) lines.push(...pairLines(pair, [pair.expired ? 'EXPIRED' : '', pair.clientAuth ? '' : 'NO clientAuth', pair.keyEncrypted ? 'key encrypted' : '']));
  if (search.caPairs.length > 0) {
    lines.push(`CA certificates with their signing keys (a CA, not a client identity): ${search.caPairs.length}`);
    for (const pair of search.caPairs) lines.push(...pairLines(pair, [pair.expired ? 'EXPIRED' : '', pair.keyEncrypted ? 'key encrypted' : '']));
  }
  const section = (title: string, items: string[]): void => {
    if (items.length === 0) return;
    lines.push(`${title}:`, ...items.map((item) => `  ${item}`));
  };
  section('Keys without a certificate', search.unmatchedKeys);
  section('Certificates without a key (CA certificates not listed)', search.unmatchedCertificates);
  section('Encrypted keys not checked (give the passphrase with --pass-env VAR)', search.encryptedKeysNotChecked);
  section('Warnings', search.warnings);
  section('Skipped', search.skipped.map((s) => `${s.file}: ${s.reason}`));
  return `${lines.join('\n')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatTrustStoreReport(report: TrustStoreReport): string {
  const lines = report.findings.map((f) => `${report.file}:${f.line}: ${f.severity} [${f.rule}] ${f.message}`);
  const counts = `${plural(report.certificates.length, 'certificate')}, ${plural(report.errorCount, 'error')}, ${plural(report.warningCount, 'warning')}`;
  const verdict = report.errorCount > 0 ? 'ALB would reject this bundle.' : report.warningCount > 0 ? 'ALB accepts this bundle; review the warnings.' : 'ALB accepts this bundle.';
  lines.push(`${report.file}: ${counts} — ${verdict}`);
  return `${lines.join('\n')}\n`;
}

const keyAlgorithmLabels: Record<PkiKeyAlgorithm, string> = { p256: 'ECDSA P-256', rsa2048: 'RSA 2048' };

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** The human summary: where the trust material is, and each identity with the ALB status it should get. */
export function formatGeneratedPki(dir: string, manifest: GeneratedPkiManifest): string {
  const lines = [
    `Test PKI written to ${dir} (${keyAlgorithmLabels[manifest.keyAlgorithm]} keys)`,
    '',
    `Trust store  ${join(dir, manifest.trustStore)}  (root + intermediate CA)`,
  ];
  if (manifest.crl !== undefined) lines.push(`CRL          ${join(dir, manifest.crl)}  (revokes "revoked"; add it to the trust store's revocations)`);
  lines.push(`Server       ${join(dir, manifest.server.cert)} + ${manifest.server.key}  (${manifest.server.names.join(', ')})`, '');
  const header = ['IDENTITY', 'EXPECTED ALB tls_verify_status', 'CERTIFICATE', 'CHAIN', 'KEY'];
  lines.push(formatTable([header, ...manifest.identities.map((id) => [id.name, id.expectedTlsVerifyStatus, id.cert, id.chain, id.key])]));
  const valid = manifest.identities.find((id) => id.name === 'valid');
  if (valid) {
    lines.push(
      '',
      'Send the chain (leaf + intermediates) with its key, for example:',
      `  mtls-probe probe https://HOST/ --cert ${join(dir, valid.chain)} --key ${join(dir, valid.key)}`,
    );
  }
  lines.push(`Private keys (*.key) have mode 0600. ${join(dir, 'manifest.json')} describes every identity.`);
  return `${lines.join('\n')}\n`;
}

