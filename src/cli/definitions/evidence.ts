import { awsFlagOptions } from '../aws-flags';
import type { CliCommand } from '../shell';

// `mtls-probe evidence`: its words, help and options, read by the shell before anything loads; the log readers
// (commands/evidence.ts, and the AWS SDK when AWS is asked) are loaded only to run it.

export const awsFlagsHelp = `  --aws-profile NAME     AWS profile (SSO profiles too); default: the standard chain (AWS_PROFILE, environment, ~/.aws)
  --aws-region REGION    default: the region in an ARN, then AWS_REGION
  --listener-arn ARN     the HTTPS listener: its mTLS mode and trust store are shown beside the verdict
  --load-balancer-arn ARN
                         the ALB (its listener on the probe's port is picked); CloudWatch metrics for the probe's minutes
  --web-acl-arn ARN      the AWS WAF web ACL: its metrics, and sampled requests when no --waf-log-group is given
  --waf-log-group NAME   the web ACL's CloudWatch Logs group (aws-waf-logs-…), searched with Logs Insights by trace id
  --alb-logs S3URL       s3://bucket/prefix of the ALB's access and connection logs (streamed: small volumes)
  --alb-log-group NAME   the CloudWatch Logs group the ALB delivers its logs to, searched with Logs Insights
  --athena-connection-table TABLE
                         search the ALB logs with Athena, where they are: the table over the connection logs
                         (partition projection on day); with --athena-access-table TABLE (joined by conn_trace_id),
                         --athena-database DB, --athena-workgroup NAME (default primary), --athena-output S3URL
  --cloudfront-distribution-id ID, --cloudfront-connection-logs GROUP|S3URL
                         CloudFront viewer mTLS: the distribution and its connection logs (us-east-1)
  --api-gateway-domain NAME, --api-gateway-access-log-group NAME
                         API Gateway mTLS: the custom domain and its stage's access-log group
  --wait DURATION        keep looking for evidence AWS has not delivered yet (metrics ≈ 1 min, logs ≈ 5–10 min),
                         e.g. 10m or 90s; default: look once and say what is not yet available`;

export const evidenceUsage = `Usage:
  mtls-probe evidence --since ISO --until ISO [--correlation-id ID] [--client-ip IP] [--client-port N] [--serial HEX] [--probe-time ISO[/ISO]] [--json] PATH|aws...

Finds the records of one probe between --since and --until: in ALB connection logs, ALB access logs, CloudFront
connection logs (JSON, plain or w3c), AWS WAF JSON logs and ModSecurity JSON audit logs (PATH: a file, plain or .gz,
or a folder read recursively), and with "aws" in AWS itself (the flags below), matched by any of the keys:

  --correlation-id ID    the X-Amzn-Trace-Id the probe sent (Root=1-<8 hex>-<24 hex>)
  --client-ip IP         the probe's source address as the server saw it
  --client-port N        the probe's source port (matched together with --client-ip)
  --serial HEX           the client certificate's serial (ALB's form: hex, separators ignored)
  --probe-time ISO[/ISO] when the probe's connection was open: behind NAT, the load balancer logs another address,
                         and the only connection with the probe's certificate (or none) then is taken as the probe's
  --json                 print one JSON object: window, keys, events, stats, problems, coverage, context
  --secret-header NAME   a header whose value in the records is a secret (repeatable): shown as "[redacted, N bytes]"
                         like Authorization, Cookie, Set-Cookie, Proxy-Authorization, X-Api-Key, X-Amz-Security-Token

AWS (with "aws"):
${awsFlagsHelp}

Exit status: 0 when the evidence was read (whatever matched), 2 for bad arguments or unreadable input.
`;

export const evidenceOptions = {
  since: { type: 'string' },
  until: { type: 'string' },
  'correlation-id': { type: 'string' },
  'client-ip': { type: 'string' },
  'client-port': { type: 'string' },
  serial: { type: 'string' },
  'probe-time': { type: 'string' },
  ...awsFlagOptions,
  'secret-header': { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

export const evidenceCommand: CliCommand<typeof evidenceOptions> = {
  name: 'evidence', usage: evidenceUsage, options: evidenceOptions, cancellable: true,
  load: async () => (await import('../commands/evidence')).evidenceRunner,
};
