import { awsFlagOptions } from './aws-flags';
import type { Options } from './shell';
import { defaultTimeouts } from '../core/probe/phase-timeouts';

// What probe and matrix share: the trust, routing, TLS and HTTP options and the help text that describes them.
// The shell reads them before a command loads (for --help and the parser), so this module imports no code that
// probes: probe-flag-values.ts maps the values to the probe engine's options, the same way for both.

export const connectionOptions = {
  'pass-env': { type: 'string' },
  cacert: { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
  'connect-to': { type: 'string' },
  resolve: { type: 'string' },
  sni: { type: 'string' },
  'tls-min': { type: 'string' },
  'tls-max': { type: 'string' },
  alpn: { type: 'string' },
  'http1.1': { type: 'boolean' },
  request: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  'secret-header': { type: 'string', multiple: true },
  data: { type: 'string', short: 'd' },
  'handshake-only': { type: 'boolean' },
  timeout: { type: 'string' },
  'connect-timeout': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

export const probeOnlyOptions = {
  cert: { type: 'string' },
  key: { type: 'string' },
  pfx: { type: 'string' },
  report: { type: 'string' },
  otlp: { type: 'string' },
  keylog: { type: 'string' },
  'no-timestamps': { type: 'boolean' },
  'show-secret-headers': { type: 'boolean' },
  evidence: { type: 'string', multiple: true },
  'correlation-id': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  ...awsFlagOptions,
} as const satisfies Options;

export const matrixOnlyOptions = {
  identity: { type: 'string', multiple: true },
  repeat: { type: 'string' },
  concurrency: { type: 'string' },
  threads: { type: 'string' },
} as const satisfies Options;

export const connectionHelp = `Server trust and routing:
  --cacert FILE          CA certificates to trust for the server (default: the system store)
  -k, --insecure         do not verify the server certificate
  --connect-to H:P:H2:P2 connect to H2:P2 instead of H:P (empty H or P matches any), like curl
  --resolve H:P:ADDR     use ADDR for H:P, like curl
  --sni NAME             server name to send (default: the URL host)

TLS and HTTP:
  --tls-min 1.2|1.3      lowest TLS version to offer (default 1.2)
  --tls-max 1.2|1.3      highest TLS version to offer (default 1.3)
  --alpn LIST            ALPN protocols to offer (default h2,http/1.1); --http1.1 is --alpn http/1.1
  -X, --request METHOD   HTTP method (default GET)
  -H, --header "K: V"    extra request header (repeatable)
  --secret-header NAME   a header whose value is a secret (repeatable), redacted like Authorization, Cookie,
                         Set-Cookie, Proxy-Authorization, X-Api-Key and X-Amz-Security-Token: every output shows
                         "[redacted, N bytes]" in place of its value
  -d, --data TEXT        request body
  --handshake-only       stop after the TLS handshake
  --timeout MS           time limit for each phase: DNS, connect, handshake, response
                         (default ${defaultTimeouts.dns}, ${defaultTimeouts.connect}, ${defaultTimeouts.tls} and ${defaultTimeouts.http})
  --connect-timeout MS   time limit for the TCP connect alone (default ${defaultTimeouts.connect})`;

export const exitStatusHelp = 'Exit status: 0 when the probe ran (whatever the verdict), 2 for bad arguments or unreadable files, 130 when\ninterrupted, 141 when the output\'s reader went away (| head).';
