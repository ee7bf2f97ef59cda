import type { CliCommand } from '../shell';

// `mtls-probe lab`: its words, help and options, read by the shell before anything loads; the lab itself
// (commands/lab.ts, with its listener, WAF and log writers) is loaded only to run it.

export const labUsage = `Usage:
  mtls-probe lab [--port N] [--dir DIR] [--front alb|cloudfront|apigateway] [--mode verify|passthrough|off]
                 [--no-ca-names] [--ignore-expiry] [--secret-header NAME]... [--json]

Runs a local rehearsal of "ALB with mTLS + AWS WAF" until Ctrl-C: a TLS listener shaped like an ALB HTTPS
listener (trust store, CRL, CA names advertised; in verify mode a refused client certificate ends the connection
with a TCP reset, as on an ALB), a WAF stage (an IP set, cross-site scripting and SQL injection rules, a rate
limit; 403 on BLOCK) and a target that echoes what it received. Logs in AWS's own formats and layout go to
DIR/logs as each connection ends: ALB connection and access logs, AWS WAF records, CloudWatch metric streams.

  --port N          listen on this port (default: a free one)
  --dir DIR         keep the PKI (DIR/pki, generated once and reused) and the logs (DIR/logs) here; default: a
                    temporary folder, removed when the lab stops
  --front FRONT     the AWS front to stand in for: alb (default); cloudfront (viewer mTLS: a refused certificate
                    ends the handshake, connection-log records under DIR/logs/cloudfront, CloudFront-Viewer-Cert-*
                    headers for the target); apigateway (a custom domain with mutual TLS: the handshake completes,
                    a refused certificate gets HTTP 403, access-log records under DIR/logs/apigateway)
  --mode MODE       verify (default), passthrough (forwards the certificate in X-Amzn-Mtls-Clientcert) or off
  --no-ca-names     do not advertise the trust store's CA names in the CertificateRequest
  --ignore-expiry   accept expired and not-yet-valid client certificates (ALB's IgnoreClientCertificateExpiry)
  --secret-header NAME
                    a request header the WAF log writes as REDACTED (repeatable; AWS WAF's RedactedFields), like
                    Authorization, Cookie, Proxy-Authorization, X-Api-Key and X-Amz-Security-Token always are
  --json            print one JSON object first (url, ca, identities, logs, mode), then nothing until it stops

Exit status: 0 when stopped with Ctrl-C or SIGTERM, 2 for bad arguments or a folder that cannot be used.
`;

// The lab's own settings (all but --json go to startLab), not the probe's flags: its two choices carry their
// defaults here, as the usage above states them, where the probe's flags name files and outputs and default to nothing.
export const labOptions = {
  port: { type: 'string' },
  dir: { type: 'string' },
  front: { type: 'string', default: 'alb' },
  mode: { type: 'string', default: 'verify' },
  'no-ca-names': { type: 'boolean' },
  'ignore-expiry': { type: 'boolean' },
  'secret-header': { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

export const labCommand: CliCommand<typeof labOptions> = {
  name: 'lab', usage: labUsage, options: labOptions, positionals: false, cancellable: true,
  load: async () => (await import('../commands/lab')).labRunner,
};
