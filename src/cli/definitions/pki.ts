import { runCommand, type CliCommand, type CommandGroup, type CommandIo } from '../shell';

// `mtls-probe pki generate`: its words, help and options, read by the shell before anything loads; the code that
// makes the certificates (commands/pki.ts) is loaded only to run it.

export const pkiUsage = `Usage:
  mtls-probe pki generate DIR [--key p256|rsa2048] [--force] [--json]

Writes a test PKI into DIR (created if missing; must be empty unless --force):
  ca-bundle.pem             trust store: root + intermediate CA (upload as the ALB trust store)
  intermediate-ca.crl.pem   CRL from the intermediate CA that revokes the "revoked" identity
  server.pem, server.key    server certificate for localhost, 127.0.0.1 and ::1 (+ intermediate)
  NAME.pem, NAME.chain.pem, NAME.key
                            one client identity per ALB tls_verify_status: valid, expired,
                            not-yet-valid, untrusted, wrong-purpose, revoked, chain-too-deep,
                            no-client-auth-eku (.chain.pem = leaf + intermediates, what to send)
  root-ca.*, intermediate-ca.*, untrusted-ca.pem, manifest.json

Options:
  --key p256|rsa2048   key type for every certificate (default p256)
  --force              write into a non-empty DIR, replacing files with the same names
  --json               print the manifest (relative file names) instead of the table

Private keys are written with mode 0600 and never printed.
`;

export const generateOptions = { key: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } } as const;

const generateCommand: CliCommand<typeof generateOptions> = {
  name: 'pki', subcommand: 'generate', usage: pkiUsage, options: generateOptions,
  load: async () => (await import('../commands/pki')).generateRunner,
};

export const pkiCommands: CommandGroup = {
  name: 'pki',
  usage: pkiUsage,
  subcommands: [generateCommand],
  missingSubcommand: 'pki needs a subcommand: mtls-probe pki generate DIR. See mtls-probe pki --help.',
  unknownSubcommand: (word) => `Unknown pki subcommand "${word}": use mtls-probe pki generate DIR.`,
};

/** `mtls-probe pki …` in this process (args exclude the word "pki"). Resolves with the exit status. */
export function runPkiCommand(args: string[], io: CommandIo): Promise<number> {
  return runCommand(pkiCommands, args, io);
}
