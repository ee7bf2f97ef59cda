import { parseArgs } from 'node:util';
import { TrustStoreFileError, lintTrustStoreFile, type TrustStoreReport } from '../../core/certs/truststore-lint';
import { formatTrustStoreReport } from '../../core/report/certificate-text';
import type { CommandIo } from './command-io';


const usage = `Usage:
  mtls-probe truststore lint FILE [--json]

Checks a PEM CA bundle against AWS ALB's mutual-TLS trust-store rules before you upload it: only CERTIFICATE
blocks and # comments (no '-'), no blank lines, X.509 v3 CA certificates, RSA 2048–8192 or ECDSA
P-256/384/521 keys, SHA-256/384/512 signatures, at most 25 certificates of 16 KB each, chain depth 4.

  --json    print the report as one JSON object

Exit status: 0 clean or warnings only, 1 when ALB would reject the bundle, 2 for bad usage or an unreadable file.
`;

/** `truststore …` (args exclude the word "truststore"). Returns the exit status. */
export async function runTrustStoreCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseTrustStoreArgs>;
  try {
    parsed = parseTrustStoreArgs(args);
  } catch (error) {
    // parseArgs appends a paragraph about '--' to unknown options: its first sentence is the useful part.
    const firstSentence = (error as Error).message.split(/\.(?:\s|$)/)[0];
    io.err(`mtls-probe: ${firstSentence}. See mtls-probe truststore --help.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const [subcommand, ...files] = positionals;
  if (subcommand !== 'lint') {
    const what = subcommand === undefined ? 'truststore needs a subcommand' : `unknown truststore subcommand "${subcommand}"`;
    io.err(`mtls-probe: ${what}; use: mtls-probe truststore lint FILE [--json].\n`);
    return 2;
  }
  if (files.length !== 1) {
    io.err(`mtls-probe: truststore lint takes exactly one FILE (got ${files.length}); use: mtls-probe truststore lint FILE [--json].\n`);
    return 2;
  }
  let report: TrustStoreReport;
  try {
    report = await lintTrustStoreFile(files[0]!);
  } catch (error) {
    if (error instanceof TrustStoreFileError) {
      io.err(`mtls-probe: ${error.message.replace(/\n/g, ' ')}\n`);
      return 2;
    }
    throw error;
  }
  io.out(values.json ? `${JSON.stringify(report)}\n` : formatTrustStoreReport(report));
  return report.errorCount > 0 ? 1 : 0;
}

function parseTrustStoreArgs(args: string[]) {
  return parseArgs({
    args,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
}
