import { workspaceConfigRelativePath } from '../../core/config/types';
import type { CliCommand } from '../shell';

// `mtls-probe test`: its words, help and options, read by the shell before anything loads; the code that runs the
// expectations (commands/test.ts, with the config reader and the probe engine) is loaded only to run them.

export const testUsage = `Usage:
  mtls-probe test [--workspace DIR] [--config FILE] [--endpoint NAME]... [--junit FILE] [--json] [--concurrency N]

Runs the expectations in the workspace config (DIR/${workspaceConfigRelativePath}, JSON with comments): each
endpoint is probed with each identity it has an expectation for ("none" = no client certificate), and the
layer where the request stopped is compared with the expected one.

A probe refused over TLS 1.3 after the request, with no client certificate asked for, is made again over TLS 1.2
(where a server that asks for the certificate only for some paths renegotiates). An expectation is judged on the
first attempt unless its object names another: "attempt": "tls12Fallback" (the retry; not met without one) or
"last" (the retry when there was one). Each line says what the other attempt got: nothing falls back silently.

  --workspace DIR     the workspace folder; the config's relative paths resolve against it (default: the folder
                      that holds the config's .vscode directory, else the current directory)
  --config FILE       the config file (default: DIR/${workspaceConfigRelativePath})
  --endpoint NAME     only this endpoint (repeatable)
  --junit FILE        also write the results as JUnit XML: one testsuite per endpoint, the trace of each probe
  --json              print exactly one JSON object on stdout
  --concurrency N     probes in flight at once (default 8)

Passphrases: the passphrase of identity NAME's encrypted key or PKCS#12 file is read from the environment
variable MTLS_PROBE_PASSPHRASE_<NAME>, with NAME upper-cased and every character other than A-Z and 0-9 turned
into _ (identity "partner-legacy" → MTLS_PROBE_PASSPHRASE_PARTNER_LEGACY). Never from the command line or the
config file.

Secret header values (Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, X-Amz-Security-Token and
the names an endpoint lists in "secretHeaders") are printed as "[redacted, N bytes]" in the lines, --json and the
JUnit traces; the curl command shown for a failure reads each from MTLS_PROBE_HEADER_<NAME> (Authorization →
MTLS_PROBE_HEADER_AUTHORIZATION) instead of holding it.

Exit status: 0 when every expectation held, 1 when any failed or could not run, 2 for bad arguments or an error
in the config, 130 when interrupted.
`;

export const testOptions = {
  workspace: { type: 'string' },
  config: { type: 'string' },
  endpoint: { type: 'string', multiple: true },
  junit: { type: 'string' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
} as const;

export const testCommand: CliCommand<typeof testOptions> = {
  name: 'test', usage: testUsage, options: testOptions, cancellable: true,
  load: async () => (await import('../commands/test')).testRunner,
};
