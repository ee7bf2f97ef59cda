import { runCommand, type CliCommand, type CommandGroup, type CommandIo } from '../shell';

// `mtls-probe truststore lint`: its words, help and options, read by the shell before anything loads; the code that
// checks the bundle (commands/truststore.ts) is loaded only to run it.

const usage = `Usage:
  mtls-probe truststore lint FILE [--json]

Checks a PEM CA bundle against AWS ALB's mutual-TLS trust-store rules before you upload it: only CERTIFICATE
blocks and # comments (no '-'), no blank lines, X.509 v3 CA certificates, RSA 2048–8192 or ECDSA
P-256/384/521 keys, SHA-256/384/512 signatures, at most 25 certificates of 16 KB each, chain depth 4.

  --json    print the report as one JSON object

Exit status: 0 clean or warnings only, 1 when ALB would reject the bundle, 2 for bad usage or an unreadable file.
`;

export const trustStoreSyntax = 'use: mtls-probe truststore lint FILE [--json].';

export const lintOptions = { json: { type: 'boolean' } } as const;

const lintCommand: CliCommand<typeof lintOptions> = {
  name: 'truststore', subcommand: 'lint', usage, options: lintOptions,
  // lint is truststore's only subcommand, and its help is truststore's: the established pointer names the group.
  parseErrorLine: (sentence) => `${sentence}. See mtls-probe truststore --help.`,
  load: async () => (await import('../commands/truststore')).lintRunner,
};

export const trustStoreCommands: CommandGroup = {
  name: 'truststore',
  usage,
  subcommands: [lintCommand],
  missingSubcommand: `truststore needs a subcommand; ${trustStoreSyntax}`,
  unknownSubcommand: (word) => `unknown truststore subcommand "${word}"; ${trustStoreSyntax}`,
};

/** `mtls-probe truststore …` in this process (args exclude the word "truststore"). Resolves with the exit status. */
export function runTrustStoreCommand(args: string[], io: CommandIo): Promise<number> {
  return runCommand(trustStoreCommands, args, io);
}
