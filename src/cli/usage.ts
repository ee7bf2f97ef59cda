// The CLI's help texts: the overview and the probe and matrix commands' own (the toolkit commands keep theirs beside
// their code). Defaults are read from the code that applies them, so the help cannot drift from them.

import { defaultTimeouts } from '../core/probe/probe';
import { identitySpecSyntax } from '../core/identity/identity-spec';
import { version } from './version';

export const overview = `mtls-probe ${version} — probe mutual-TLS endpoints and name the layer where a request stops

Usage:
  mtls-probe probe URL [options]        one traced attempt, printed like curl -v plus a verdict
  mtls-probe demo [--report FILE.html] [--json]
                                        the seed experiment against the local lab: six cases, verdicts confirmed by
                                        the lab's AWS-format logs, a table and the timeline of all of them
  mtls-probe lab [--port N] [--dir DIR] [--mode verify|passthrough|off] [--json]
                                        run the local lab until Ctrl-C: an ALB-shaped mTLS listener, a WAF, a target
  mtls-probe report RUN.json... -o FILE.html [--format html|otlp|json]
                                        the timeline of saved runs (--json output, exports) as one self-contained page
  mtls-probe matrix URL... --identity SPEC... [--repeat N] [--concurrency N] [--json]
                                        every URL × identity, probed concurrently, one row each
  mtls-probe cert inspect FILE... [--cacert FILE]... [--json] [--pass-env VAR]
                                        certificates, keys, CSRs, CRLs, PKCS#7 and PKCS#12: fields, validity, chain
  mtls-probe cert pairs DIR [--json]    match certificates to private keys by public key
  mtls-probe truststore lint FILE [--json]
                                        check a CA bundle against AWS ALB's trust-store rules
  mtls-probe pki generate DIR [--key rsa2048|p256] [--force] [--json]
                                        a test PKI with one client identity per rejection case
  mtls-probe evidence --since ISO --until ISO [--correlation-id ID] [--client-ip IP] [--client-port N] [--serial HEX] [--json] PATH...
                                        find one probe's records in ALB connection/access logs, AWS WAF and ModSecurity logs
  mtls-probe test [--workspace DIR] [--config FILE] [--endpoint NAME]... [--junit FILE] [--json] [--concurrency N]
                                        run the expectations in .vscode/mtls-probe.json; exit 1 when one fails
                                        (passphrases from MTLS_PROBE_PASSPHRASE_<IDENTITY>; see mtls-probe test --help)

Each command's options: mtls-probe COMMAND --help (mtls-probe probe --help, mtls-probe cert inspect --help, …).

Exit status: 0 when the command ran (a probe: whatever the verdict), 2 for bad arguments, 130 when interrupted;
each command's --help says more.
`;

export const defaultMatrixConcurrency = 16;
const exitStatusHelp = 'Exit status: 0 when the probe ran (whatever the verdict), 2 for bad arguments or unreadable files, 130 when interrupted.';

// The trust, routing, TLS and HTTP options mean the same for probe and matrix: one text for both.
const connectionHelp = `Server trust and routing:
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
  -d, --data TEXT        request body
  --handshake-only       stop after the TLS handshake
  --timeout MS           time limit for each phase: DNS, connect, handshake, response
                         (default ${defaultTimeouts.dns}, ${defaultTimeouts.connect}, ${defaultTimeouts.tls} and ${defaultTimeouts.http})
  --connect-timeout MS   time limit for the TCP connect alone (default ${defaultTimeouts.connect})`;

export const probeUsage = `Usage:
  mtls-probe probe URL [options]

One traced attempt at URL (https://HOST[:PORT]/PATH), printed like curl -v, then the verdict: the layer where the
request stopped (dns, tcp, tls, mtls, http, waf) and why.

Identity:
  --cert FILE            client certificate (PEM or DER; may hold the chain, and the key)
  --key FILE             private key (PKCS#8, PKCS#1 or SEC1; PEM or DER; encrypted PKCS#8 too)
  --pfx FILE             PKCS#12 / PFX file (legacy RC2/3DES and modern AES both work)
  --pass-env VAR         read the key or PFX passphrase from environment variable VAR (never from the command line)

${connectionHelp}

Output:
  --json                 print exactly one JSON object (the run: the probe result, its verdict, evidence) on stdout
  --report FILE.html     also write the run's timeline as a self-contained HTML page (evidence included)
  --otlp FILE            also write the run as OpenTelemetry JSON (OTLP) spans, for Jaeger or Grafana Tempo
  --keylog FILE          append the session's TLS secrets in NSS key log format (for Wireshark)
  --no-timestamps        human output without the time column

Evidence:
  --evidence PATH|aws    after the probe, read these logs (file or folder, repeatable: ALB connection/access logs,
                         AWS WAF JSON logs, ModSecurity JSON audit logs, plain or .gz), or "aws" for the listener,
                         CloudWatch metrics, WAF records and ALB logs in S3; the verdict is confirmed with them
  --correlation-id ID    send this X-Amzn-Trace-Id (Root=1-<8 hex>-<24 hex>) instead of a fresh one
  --aws-profile, --aws-region, --listener-arn, --load-balancer-arn, --web-acl-arn, --waf-log-group, --alb-logs, --wait
                         with --evidence aws: see mtls-probe evidence --help

${exitStatusHelp}
`;

export const matrixUsage = `Usage:
  mtls-probe matrix URL... --identity SPEC... [options]

Probes every URL with every identity, several at once, and prints one row per probe: where it stopped and why.

Identities:
  --identity SPEC        ${identitySpecSyntax} (repeatable; default: none)
  --pass-env VAR         passphrase of every encrypted key and PKCS#12 file, from environment variable VAR

Runs:
  --repeat N             probe each URL × identity pair N times (default 1)
  --concurrency N        probes in flight at once (default ${defaultMatrixConcurrency})
  --json                 one JSON object per probe (the run), one per line, as each finishes

${connectionHelp}

${exitStatusHelp}
`;
