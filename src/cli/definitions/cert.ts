import { runCommand, type CliCommand, type CommandGroup, type CommandIo } from '../shell';

// `mtls-probe cert inspect` and `cert pairs`: their words, help and options, read by the shell before anything
// loads; the code that reads the files (commands/cert.ts, with the certificate libraries) is loaded only to run them.

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

export const pairsOptions = {
  json: { type: 'boolean' },
  'pass-env': { type: 'string' },
} as const;

export const inspectOptions = { ...pairsOptions, cacert: { type: 'string', multiple: true } } as const;

// cert keeps its established wording for an option the parser refuses: the subcommand's help in parentheses.
const parseErrorLine = (subcommand: string) => (sentence: string) => `${sentence} (see mtls-probe cert ${subcommand} --help).`;

const inspectCommand: CliCommand<typeof inspectOptions> = {
  name: 'cert', subcommand: 'inspect', usage: inspectUsage, options: inspectOptions,
  parseErrorLine: parseErrorLine('inspect'),
  load: async () => (await import('../commands/cert')).inspectRunner,
};

const pairsCommand: CliCommand<typeof pairsOptions> = {
  name: 'cert', subcommand: 'pairs', usage: pairsUsage, options: pairsOptions,
  parseErrorLine: parseErrorLine('pairs'),
  load: async () => (await import('../commands/cert')).pairsRunner,
};

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
