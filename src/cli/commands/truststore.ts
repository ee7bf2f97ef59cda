import { TrustStoreFileError, lintTrustStoreFile } from '../../core/certs/truststore-lint';
import { formatTrustStoreReport } from '../../core/report/certificate-text';
import { BadArgumentError } from '../errors';
import { defineCommand, runCommand, type CommandGroup, type CommandIo } from '../shell';

const usage = `Usage:
  mtls-probe truststore lint FILE [--json]

Checks a PEM CA bundle against AWS ALB's mutual-TLS trust-store rules before you upload it: only CERTIFICATE
blocks and # comments (no '-'), no blank lines, X.509 v3 CA certificates, RSA 2048–8192 or ECDSA
P-256/384/521 keys, SHA-256/384/512 signatures, at most 25 certificates of 16 KB each, chain depth 4.

  --json    print the report as one JSON object

Exit status: 0 clean or warnings only, 1 when ALB would reject the bundle, 2 for bad usage or an unreadable file.
`;

const syntax = 'use: mtls-probe truststore lint FILE [--json].';

const lintCommand = defineCommand({
  name: 'truststore',
  subcommand: 'lint',
  usage,
  options: { json: { type: 'boolean' } },
  inputErrors: [TrustStoreFileError],
  // lint is truststore's only subcommand, and its help is truststore's: the established pointer names the group.
  parseErrorLine: (sentence) => `${sentence}. See mtls-probe truststore --help.`,
  async run(values, files, { io }) {
    if (files.length !== 1) throw new BadArgumentError(`truststore lint takes exactly one FILE (got ${files.length}); ${syntax}`);
    const report = await lintTrustStoreFile(files[0]!);
    io.out(values.json ? `${JSON.stringify(report)}\n` : formatTrustStoreReport(report));
    return report.errorCount > 0 ? 1 : 0;
  },
});

export const trustStoreCommands: CommandGroup = {
  name: 'truststore',
  usage,
  subcommands: [lintCommand],
  missingSubcommand: `truststore needs a subcommand; ${syntax}`,
  unknownSubcommand: (word) => `unknown truststore subcommand "${word}"; ${syntax}`,
};

/** `mtls-probe truststore …` in this process (args exclude the word "truststore"). Resolves with the exit status. */
export function runTrustStoreCommand(args: string[], io: CommandIo): Promise<number> {
  return runCommand(trustStoreCommands, args, io);
}
