import { parseArgs, type ParseArgsConfig } from 'node:util';
import { generatePki, PkiDirectoryError, pkiKeyAlgorithms, type PkiKeyAlgorithm } from '../../core/pki/generate-pki';
import { formatGeneratedPki } from '../../core/report/certificate-text';
import type { CommandIo } from './command-io';

// `mtls-probe pki …`: the test-PKI commands. The caller passes the arguments after the word "pki".

/** A usage problem: one line on stderr, exit status 2. */
class PkiUsageError extends Error {}

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

const options = {
  key: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

function keyAlgorithm(value: string | undefined): PkiKeyAlgorithm {
  if (value === undefined) return 'p256';
  const found = pkiKeyAlgorithms.find((k) => k === value.toLowerCase());
  if (!found) throw new PkiUsageError(`--key takes ${pkiKeyAlgorithms.join(' or ')}, not "${value}".`);
  return found;
}

async function runGenerate(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  if (values.help) {
    io.out(pkiUsage);
    return 0;
  }
  if (positionals.length !== 1) throw new PkiUsageError('pki generate takes one directory: mtls-probe pki generate DIR [--key p256|rsa2048] [--force] [--json].');
  const dir = positionals[0]!;
  const manifest = await generatePki(dir, { keyAlgorithm: keyAlgorithm(values.key), force: values.force ?? false });
  io.out(values.json ? `${JSON.stringify(manifest, null, 2)}\n` : formatGeneratedPki(dir, manifest));
  return 0;
}

/** Runs `mtls-probe pki …` (args exclude "pki"); returns the exit status. Unexpected errors propagate. */
export async function runPkiCommand(args: string[], io: CommandIo): Promise<number> {
  try {
    const [subcommand, ...rest] = args;
    if (subcommand === 'help' || subcommand === '--help' || subcommand === '-h') {
      io.out(pkiUsage);
      return 0;
    }
    if (subcommand === 'generate') return await runGenerate(rest, io);
    throw new PkiUsageError(
      subcommand === undefined ? 'pki needs a subcommand: mtls-probe pki generate DIR. See mtls-probe pki --help.' : `Unknown pki subcommand "${subcommand}": use mtls-probe pki generate DIR.`,
    );
  } catch (e) {
    if (e instanceof PkiUsageError) {
      io.err(`mtls-probe: ${e.message}\n`);
      return 2;
    }
    if (e instanceof PkiDirectoryError) {
      const message =
        e.problem === 'not-empty'
          ? `refusing to write a test PKI into ${e.dir}: it is not empty; choose a new or empty directory, or pass --force to replace the files in it`
          : e.message;
      io.err(`mtls-probe: ${message}.\n`);
      return 2;
    }
    if ((e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`mtls-probe: ${(e as Error).message}. See mtls-probe pki --help.\n`);
      return 2;
    }
    throw e;
  }
}
