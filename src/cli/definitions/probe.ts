import { connectionHelp, connectionOptions, exitStatusHelp, matrixOnlyOptions, probeOnlyOptions } from '../probe-flags';
import type { CliCommand } from '../shell';

// `mtls-probe probe URL`: its words, help and options, read by the shell before anything loads; the code that
// probes (commands/probe.ts, with the probe engine) is loaded only to run it.

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
  --show-secret-headers  print secret header values (Authorization, Cookie, --secret-header…) in the trace on this
                         terminal; refused when stdout is not a terminal. --json, --report and --otlp stay redacted
  -v, --verbose          on stderr, each phase, each evidence source and the verdict as they happen

Evidence:
  --evidence PATH|aws    after the probe, read these logs (file or folder, repeatable: ALB connection/access logs,
                         CloudFront connection logs, AWS WAF JSON logs, ModSecurity JSON audit logs, plain or .gz),
                         or "aws" for the listener or distribution, CloudWatch metrics, WAF records and the ALB's or
                         CloudFront's logs; the verdict is confirmed with them
  --correlation-id ID    send this X-Amzn-Trace-Id (Root=1-<8 hex>-<24 hex>) instead of a fresh one
  --aws-profile, --aws-region, --listener-arn, --load-balancer-arn, --web-acl-arn, --waf-log-group, --alb-logs, --wait,
  --alb-log-group, --athena-…, --cloudfront-…, --api-gateway-…
                         with --evidence aws: see mtls-probe evidence --help

${exitStatusHelp}
`;

export const probeOptions = {
  ...connectionOptions,
  ...probeOnlyOptions,
  ...matrixOnlyOptions,
  // Once a flag of probe: refused with a pointer to the command that replaced it.
  demo: { type: 'boolean' },
} as const;

export const probeCommand: CliCommand<typeof probeOptions> = {
  name: 'probe', usage: probeUsage, options: probeOptions, cancellable: true,
  load: async () => (await import('../commands/probe')).probeRunner,
};
