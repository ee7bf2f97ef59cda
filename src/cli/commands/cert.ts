import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CryptoFileError, readCryptoFile } from '../../core/certs/crypto-file';
import { inspectFile, type FileInspection } from '../../core/certs/inspect';
import { findIdentityPairs } from '../../core/certs/pairs';
import { formatFileInspection, formatIdentityPairs } from '../../core/report/certificate-text';
import type { CommandIo } from './command-io';


const passEnvHelp = '  --pass-env VAR   passphrase for encrypted keys and PKCS#12 files, read from environment variable VAR';
const exitHelp = 'Exit status: 0 when the files were read, 2 for bad arguments or unreadable files.';

const inspectUsage = `Usage:
  mtls-probe cert inspect FILE... [--cacert FILE]... [--json] [--pass-env VAR]

Every certificate in each file (PEM bundle, DER, PKCS#7, PKCS#12), the chain leaf → root with its signatures
checked, keys, CSRs, CRLs. A chain a client sends normally ends below the root (the server holds the root):
give the trust anchors with --cacert to verify it up to them.

  --cacert FILE    trust anchors (PEM bundle, DER or PKCS#7) to verify each chain up to (repeatable)
  --json           print exactly one JSON object on stdout
${passEnvHelp}

${exitHelp}
`;

const pairsUsage = `Usage:
  mtls-probe cert pairs DIR [--json] [--pass-env VAR]

Which certificate goes with which private key under DIR, matched by public key (never by file name): one pair
per certificate and key, with every file either is in; CA certificates with their keys are listed apart.

  --json           print exactly one JSON object on stdout
${passEnvHelp}

${exitHelp}
`;

export const certUsage = `Usage:
  mtls-probe cert inspect FILE... [--cacert FILE]... [--json] [--pass-env VAR]
      every certificate in each file (PEM bundle, DER, PKCS#7, PKCS#12), the chain leaf → root, keys, CSRs, CRLs
  mtls-probe cert pairs DIR [--json] [--pass-env VAR]
      which certificate goes with which private key under DIR, matched by public key

mtls-probe cert inspect --help and mtls-probe cert pairs --help describe their options.

${exitHelp}
`;

class UsageError extends Error {}

const pairsOptions = {
  json: { type: 'boolean' },
  'pass-env': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const inspectOptions = { ...pairsOptions, cacert: { type: 'string', multiple: true } } as const;

function passphraseFrom(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (value === undefined) throw new UsageError(`--pass-env ${name}: the environment variable ${name} is not set.`);
  return value;
}

/** The certificates of every --cacert file: trust anchors as a server holds them. */
async function readAnchors(files: string[]): Promise<Buffer[]> {
  const anchors: Buffer[] = [];
  for (const file of files) {
    let contents;
    try {
      contents = await readCryptoFile(file);
    } catch (e) {
      if (e instanceof CryptoFileError) throw new UsageError(`--cacert ${e.message}`);
      throw e;
    }
    if (contents.certificates.length === 0) throw new UsageError(`--cacert ${file} holds no certificate: give the CA certificates the server trusts (PEM, DER or PKCS#7).`);
    anchors.push(...contents.certificates.map((c) => c.der));
  }
  return anchors;
}

async function inspectCommand(positionals: string[], values: { json?: boolean; cacert?: string[] }, passphrase: string | undefined, io: CommandIo): Promise<number> {
  if (positionals.length === 0) throw new UsageError('cert inspect needs at least one FILE.');
  const json = values.json === true;
  const anchors = await readAnchors(values.cacert ?? []);
  const reports: FileInspection[] = [];
  const errors: Array<{ file: string; code: string; message: string }> = [];
  for (const file of positionals) {
    try {
      const contents = await readCryptoFile(file, passphrase !== undefined ? { passphrase } : {});
      const report = inspectFile(contents, { anchors });
      reports.push(report);
      if (!json) {
        const sources = contents.certificates.map((c) => (c.line !== undefined ? `line ${c.line}` : c.source.toUpperCase()));
        io.out(`${reports.length > 1 ? '\n' : ''}${formatFileInspection(report, sources, { anchorsOption: '--cacert FILE' })}`);
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

async function pairsCommand(positionals: string[], json: boolean | undefined, passphrase: string | undefined, io: CommandIo): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('cert pairs needs exactly one DIR.');
  const dir = positionals[0]!;
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`${dir} is not a folder: cert pairs searches a folder (use cert inspect for a file).`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${dir} does not exist or is not readable: check the path.`);
  }
  const search = await findIdentityPairs(dir, passphrase !== undefined ? { passphrase } : {});
  io.out(json === true ? `${JSON.stringify(search)}\n` : formatIdentityPairs(dir, search));
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
    const inspecting = subcommand === 'inspect';
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: inspecting ? inspectOptions : pairsOptions, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError(`${(e as Error).message.split('\n')[0]} (see mtls-probe cert ${subcommand} --help).`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(inspecting ? inspectUsage : pairsUsage);
      return 0;
    }
    const passphrase = passphraseFrom(values['pass-env']);
    return inspecting ? await inspectCommand(positionals, values, passphrase, io) : await pairsCommand(positionals, values.json, passphrase, io);
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
