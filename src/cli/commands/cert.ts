import { stat } from 'node:fs/promises';
import { CryptoFileError, readCryptoFile } from '../../core/certs/crypto-file';
import { inspectFile, type FileInspection } from '../../core/certs/inspect';
import { findIdentityPairs } from '../../core/certs/pairs';
import { formatFileInspection, formatIdentityPairs } from '../../core/report/certificate-text';
import { passphraseFrom } from '../arguments';
import { BadArgumentError, BadInputError, UnreadableFileError } from '../errors';
import { defineCommand, runCommand, type CommandGroup, type CommandIo } from '../shell';

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

const pairsOptions = {
  json: { type: 'boolean' },
  'pass-env': { type: 'string' },
} as const;

const inspectOptions = { ...pairsOptions, cacert: { type: 'string', multiple: true } } as const;

/** The certificates of every --cacert file: trust anchors as a server holds them. */
async function readAnchors(files: string[]): Promise<Buffer[]> {
  const anchors: Buffer[] = [];
  for (const file of files) {
    let contents;
    try {
      contents = await readCryptoFile(file);
    } catch (e) {
      if (e instanceof CryptoFileError) throw new BadInputError(`--cacert ${e.message}`, { cause: e });
      throw e;
    }
    if (contents.certificates.length === 0) throw new BadInputError(`--cacert ${file} holds no certificate: give the CA certificates the server trusts (PEM, DER or PKCS#7).`);
    anchors.push(...contents.certificates.map((c) => c.der));
  }
  return anchors;
}

// cert keeps its established wording for an option the parser refuses: the subcommand's help in parentheses.
const parseErrorLine = (subcommand: string) => (sentence: string) => `${sentence} (see mtls-probe cert ${subcommand} --help).`;

const inspectCommand = defineCommand({
  name: 'cert',
  subcommand: 'inspect',
  usage: inspectUsage,
  options: inspectOptions,
  inputErrors: [CryptoFileError],
  parseErrorLine: parseErrorLine('inspect'),
  async run(values, positionals, { io }) {
    if (positionals.length === 0) throw new BadArgumentError('cert inspect needs at least one FILE.');
    const passphrase = passphraseFrom(values['pass-env']);
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
        // One unreadable file among several: said, and the others still inspected.
        if (!(e instanceof CryptoFileError)) throw e;
        errors.push({ file, code: e.code, message: e.message });
        io.err(`mtls-probe: ${e.message}\n`);
      }
    }
    if (json) io.out(`${JSON.stringify({ files: reports, errors })}\n`);
    return errors.length > 0 ? 2 : 0;
  },
});

const pairsCommand = defineCommand({
  name: 'cert',
  subcommand: 'pairs',
  usage: pairsUsage,
  options: pairsOptions,
  inputErrors: [CryptoFileError],
  parseErrorLine: parseErrorLine('pairs'),
  async run(values, positionals, { io }) {
    if (positionals.length !== 1) throw new BadArgumentError('cert pairs needs exactly one DIR.');
    const passphrase = passphraseFrom(values['pass-env']);
    const dir = positionals[0]!;
    let isFolder: boolean;
    try {
      isFolder = (await stat(dir)).isDirectory();
    } catch (e) {
      throw new UnreadableFileError(`${dir} does not exist or is not readable: check the path.`, { cause: e });
    }
    if (!isFolder) throw new BadArgumentError(`${dir} is not a folder: cert pairs searches a folder (use cert inspect for a file).`);
    const search = await findIdentityPairs(dir, passphrase !== undefined ? { passphrase } : {});
    io.out(values.json === true ? `${JSON.stringify(search)}\n` : formatIdentityPairs(dir, search));
    return 0;
  },
});

export const certCommands: CommandGroup = {
  name: 'cert',
  usage: certUsage,
  subcommands: [inspectCommand, pairsCommand],
  missingSubcommand: 'cert needs a subcommand: mtls-probe cert inspect FILE... or mtls-probe cert pairs DIR. See mtls-probe cert --help.',
  unknownSubcommand: (word) => `unknown cert command "${word}": use cert inspect FILE... or cert pairs DIR.`,
};

/** `mtls-probe cert …` in this process (args exclude the word "cert"). Resolves with the exit status. */
export function runCertCommand(args: string[], io: CommandIo): Promise<number> {
  return runCommand(certCommands, args, io);
}
