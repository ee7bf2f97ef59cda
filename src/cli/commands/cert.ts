import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CryptoFileError, readCryptoFile } from '../../core/certs/crypto-file';
import { inspectFile, type CertificateDetails, type ChainReport, type FileInspection } from '../../core/certs/inspect';
import { findIdentityPairs, type IdentityPairSearch } from '../../core/certs/pairs';
import type { CommandIo } from './command-io';


export const certUsage = `Usage:
  mtls-probe cert inspect FILE... [--json] [--pass-env VAR]
      every certificate in each file (PEM bundle, DER, PKCS#7, PKCS#12), the chain leaf → root, keys, CSRs, CRLs
  mtls-probe cert pairs DIR [--json] [--pass-env VAR]
      which certificate goes with which private key under DIR, matched by public key

  --json           print exactly one JSON object on stdout
  --pass-env VAR   passphrase for encrypted keys and PKCS#12 files, read from environment variable VAR

Exit status: 0 when the files were read, 2 for bad arguments or unreadable files.
`;

class UsageError extends Error {}

const options = {
  json: { type: 'boolean' },
  'pass-env': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function passphraseFrom(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (value === undefined) throw new UsageError(`--pass-env ${name}: the environment variable ${name} is not set.`);
  return value;
}

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

function chainBlock(report: ChainReport): string {
  const lines = [`Chain (leaf → root): ${report.complete ? 'complete' : 'INCOMPLETE'}`];
  report.chain.forEach((c, i) => lines.push(`  ${i}: ${c.subject}${c.selfSigned ? ' (self-signed root)' : ''}${c.validity.state === 'valid' ? '' : ` — ${c.validity.relative}`}`));
  for (const problem of report.breaks) lines.push(`  break at ${problem.at}: ${problem.problem}`);
  return `${lines.join('\n')}\n`;
}

function fileReport(report: FileInspection, sources: string[]): string {
  const parts: string[] = [`== ${report.file} ==\n`];
  if (report.certificates.length === 0) parts.push('No certificates.\n');
  report.certificates.forEach((c, i) => parts.push(certificateBlock(c, `Certificate ${i + 1} of ${report.certificates.length}${sources[i] ? ` (${sources[i]})` : ''}`)));
  if (report.chain !== null) parts.push(chainBlock(report.chain));
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

async function inspectCommand(positionals: string[], json: boolean, passphrase: string | undefined, io: CommandIo): Promise<number> {
  if (positionals.length === 0) throw new UsageError('cert inspect needs at least one FILE.');
  const reports: FileInspection[] = [];
  const errors: Array<{ file: string; code: string; message: string }> = [];
  for (const file of positionals) {
    try {
      const contents = await readCryptoFile(file, passphrase !== undefined ? { passphrase } : {});
      const report = inspectFile(contents);
      reports.push(report);
      if (!json) {
        const sources = contents.certificates.map((c) => (c.line !== undefined ? `line ${c.line}` : c.source.toUpperCase()));
        io.out(`${reports.length > 1 ? '\n' : ''}${fileReport(report, sources)}`);
      }
    } catch (e) {
      if (!(e instanceof CryptoFileError)) throw e;
      errors.push({ file, code: e.code, message: e.message });
      io.err(`mtls-probe: ${e.message}\n`);
    }
  }
  if (json) io.out(`${JSON.stringify({ files: reports, errors })}\n`);
  return errors.length > 0 ? 2 : 0;
}

function pairsReport(dir: string, search: IdentityPairSearch): string {
  const lines: string[] = [`Identity pairs under ${dir}: ${search.pairs.length}`];
  for (const pair of search.pairs) {
    const flags = [pair.expired ? 'EXPIRED' : '', pair.clientAuth ? '' : 'NO clientAuth', pair.keyEncrypted ? 'key encrypted' : ''].filter(Boolean);
    lines.push(`  ${pair.cert} + ${pair.key}`, `      ${pair.subject}, valid until ${pair.notAfter}${flags.length > 0 ? ` [${flags.join(', ')}]` : ''}`);
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

async function pairsCommand(positionals: string[], json: boolean, passphrase: string | undefined, io: CommandIo): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('cert pairs needs exactly one DIR.');
  const dir = positionals[0]!;
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`${dir} is not a folder: cert pairs searches a folder (use cert inspect for a file).`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${dir} does not exist or is not readable: check the path.`);
  }
  const search = await findIdentityPairs(dir, passphrase !== undefined ? { passphrase } : {});
  io.out(json ? `${JSON.stringify(search)}\n` : pairsReport(dir, search));
  return 0;
}

/** `mtls-probe cert …` (args exclude the word "cert"). Returns the exit status. */
export async function runCertCommand(args: string[], io: CommandIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === 'help' || subcommand === '--help' || subcommand === '-h') {
    (subcommand === undefined ? io.err : io.out)(certUsage);
    return subcommand === undefined ? 2 : 0;
  }
  try {
    if (subcommand !== 'inspect' && subcommand !== 'pairs') throw new UsageError(`unknown cert command "${subcommand}": use cert inspect FILE... or cert pairs DIR.`);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError(`${(e as Error).message.split('\n')[0]} (see mtls-probe cert --help).`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(certUsage);
      return 0;
    }
    const passphrase = passphraseFrom(values['pass-env']);
    const json = values.json === true;
    return subcommand === 'inspect' ? await inspectCommand(positionals, json, passphrase, io) : await pairsCommand(positionals, json, passphrase, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof CryptoFileError) {
      io.err(`mtls-probe: ${e.message}\n`);
      return 2;
    }
    // A bug, not the user's input: one line, no stack trace, and still no key material (messages never carry any).
    io.err(`mtls-probe: cert ${subcommand} failed unexpectedly: ${(e as Error).message ?? String(e)}\n`);
    return 2;
  }
}
