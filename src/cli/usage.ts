// The overview `mtls-probe --help` prints; each command keeps its own usage beside its options (src/cli/definitions/).
// Printed before any command loads, so this module imports nothing of the core.

import { version } from '../core/version';

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
                                        find one probe's records in ALB and CloudFront logs, AWS WAF and ModSecurity logs
  mtls-probe test [--workspace DIR] [--config FILE] [--endpoint NAME]... [--junit FILE] [--json] [--concurrency N]
                                        run the expectations in .vscode/mtls-probe.json; exit 1 when one fails
                                        (passphrases from MTLS_PROBE_PASSPHRASE_<IDENTITY>; see mtls-probe test --help)

Each command's options: mtls-probe COMMAND --help (mtls-probe probe --help, mtls-probe cert inspect --help, …).

Exit status: 0 when the command ran (a probe: whatever the verdict), 2 for bad arguments, 130 when interrupted,
141 when the output's reader went away (| head); each command's --help says more.
`;
