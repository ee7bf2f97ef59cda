import { generatePki, PkiDirectoryError, pkiKeyAlgorithms } from '../../core/pki/generate-pki';
import { formatGeneratedPki } from '../../core/report/certificate-text';
import { choice } from '../arguments';
import { BadArgumentError, BadInputError } from '../errors';
import { defineCommand, runCommand, type CommandGroup, type CommandIo } from '../shell';

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

const syntax = 'mtls-probe pki generate DIR [--key p256|rsa2048] [--force] [--json]';

function folderProblem(e: PkiDirectoryError): BadInputError {
  const words = e.problem === 'not-empty' ? `refusing to write a test PKI into ${e.dir}: it is not empty; choose a new or empty directory, or pass --force to replace the files in it` : e.message;
  return new BadInputError(`${words}.`, { cause: e });
}

const generateCommand = defineCommand({
  name: 'pki',
  subcommand: 'generate',
  usage: pkiUsage,
  options: { key: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, positionals, { io }) {
    if (positionals.length !== 1) throw new BadArgumentError(`pki generate takes one directory: ${syntax}.`);
    const dir = positionals[0]!;
    const keyAlgorithm = values.key === undefined ? 'p256' : choice(values.key, pkiKeyAlgorithms, '--key', (v) => v.toLowerCase());
    try {
      const manifest = await generatePki(dir, { keyAlgorithm, force: values.force ?? false });
      io.out(values.json ? `${JSON.stringify(manifest, null, 2)}\n` : formatGeneratedPki(dir, manifest));
    } catch (e) {
      throw e instanceof PkiDirectoryError ? folderProblem(e) : e;
    }
    return 0;
  },
});

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
