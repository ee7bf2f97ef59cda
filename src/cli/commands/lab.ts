import { parseArgs } from 'node:util';
import { labModes, startLab, type Lab, type LabMode } from '../../core/lab/lab';
import { describeLab, labInfo } from '../../core/lab/lab-text';
import type { CommandIo } from './command-io';

// `mtls-probe lab`: the local lab until Ctrl-C — an ALB-shaped mTLS listener, a WAF and a target, logging in AWS's
// formats — so any client (this CLI, the extension, curl) can rehearse against it with no AWS account.

export const labUsage = `Usage:
  mtls-probe lab [--port N] [--dir DIR] [--mode verify|passthrough|off] [--no-ca-names] [--ignore-expiry] [--json]

Runs a local rehearsal of "ALB with mTLS + AWS WAF" until Ctrl-C: a TLS listener shaped like an ALB HTTPS
listener (trust store, CRL, CA names advertised; in verify mode a refused client certificate ends the connection
with a TCP reset, as on an ALB), a WAF stage (an IP set, cross-site scripting and SQL injection rules, a rate
limit; 403 on BLOCK) and a target that echoes what it received. Logs in AWS's own formats and layout go to
DIR/logs as each connection ends: ALB connection and access logs, AWS WAF records, CloudWatch metric streams.

  --port N          listen on this port (default: a free one)
  --dir DIR         keep the PKI (DIR/pki, generated once and reused) and the logs (DIR/logs) here; default: a
                    temporary folder, removed when the lab stops
  --mode MODE       verify (default), passthrough (forwards the certificate in X-Amzn-Mtls-Clientcert) or off
  --no-ca-names     do not advertise the trust store's CA names in the CertificateRequest
  --ignore-expiry   accept expired and not-yet-valid client certificates (ALB's IgnoreClientCertificateExpiry)
  --json            print one JSON object first (url, ca, identities, logs, mode), then nothing until it stops

Exit status: 0 when stopped with Ctrl-C or SIGTERM, 2 for bad arguments or a folder that cannot be used.
`;

/** `lab …` (args exclude the word "lab"). Resolves with the exit status once the lab has stopped. */
export async function runLabCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { port: { type: 'string' }, dir: { type: 'string' }, mode: { type: 'string' }, 'no-ca-names': { type: 'boolean' }, 'ignore-expiry': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    io.err(`mtls-probe: ${(error as Error).message.split(/\.(?:\s|$)/)[0]}. See mtls-probe lab --help.\n`);
    return 2;
  }
  if (values.help) {
    io.out(labUsage);
    return 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    io.err(`mtls-probe: --port takes a port number (0-65535), not "${values.port}".\n`);
    return 2;
  }
  const mode = (values.mode ?? 'verify') as LabMode;
  if (!labModes.includes(mode)) {
    io.err(`mtls-probe: --mode takes verify, passthrough or off, not "${values.mode}".\n`);
    return 2;
  }
  let lab: Lab;
  try {
    lab = await startLab({
      mode,
      ...(port !== undefined ? { port } : {}),
      ...(values.dir !== undefined ? { dir: values.dir } : {}),
      advertiseCaNames: values['no-ca-names'] !== true,
      ignoreClientCertificateExpiry: values['ignore-expiry'] === true,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${port} is in use: pick another with --port, or leave it out for a free one` : (error as Error).message;
    io.err(`mtls-probe: the lab could not start: ${why}.\n`);
    return 2;
  }
  io.out(values.json ? `${JSON.stringify(labInfo(lab))}\n` : `${describeLab(lab)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await lab.close();
  if (!values.json) io.err('mtls-probe: the lab stopped.\n');
  return 0;
}
