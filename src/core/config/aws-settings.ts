import type { AwsEndpointSettings } from './types';

// The AWS settings of an endpoint, one row each: the rule a value must follow, the words for a bad one, the editor's
// description, and the CLI flag that gives the same setting. The workspace config (its reader and its JSON Schema)
// and the CLI's flags all read this table, so a setting is checked the same way wherever it is written.
// Plain data on purpose: the CLI loads it with its option parser, before any command runs.

export type AwsSettingName = keyof AwsEndpointSettings;

export interface AwsSettingRule {
  /** The CLI flag, without its dashes. */
  flag: string;
  /** An ECMAScript pattern, as the JSON Schema writes it. */
  pattern: string;
  /** What a good value is, for "… is not <what>" and "… must be <what>". */
  what: string;
  fix: string;
  /** An ARN whose region must be the one evidence is fetched from. */
  arn?: true;
  description: string;
  markdownDescription?: string;
}

export const awsSettingRules = {
  profile: {
    flag: 'aws-profile',
    pattern: '^\\S+$',
    what: 'a profile name',
    fix: 'Give the name of a profile in ~/.aws/config, e.g. "prod".',
    description: 'The AWS profile (from ~/.aws/config, SSO included) to fetch evidence with. Default: the standard credential chain.',
  },
  region: {
    flag: 'aws-region',
    pattern: '^[a-z]{2}(?:-[a-z]+)+-\\d{1,2}$',
    what: 'an AWS region',
    fix: 'Give a region code such as "ap-northeast-1" or "us-east-1".',
    description: 'The region of the load balancer and web ACL, e.g. "ap-northeast-1".',
  },
  loadBalancerArn: {
    flag: 'load-balancer-arn',
    pattern: '^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:loadbalancer/\\S+$',
    what: 'a load balancer ARN',
    fix: 'Copy the ARN from the load balancer\'s details: "arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>".',
    arn: true,
    description: 'ARN of the load balancer: its CloudWatch metrics (new connections, TLS negotiation errors, HTTP codes) become evidence.',
  },
  listenerArn: {
    flag: 'listener-arn',
    pattern: '^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:listener/\\S+$',
    what: 'a listener ARN',
    fix: 'Copy the ARN of the HTTPS listener: "arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<id>/<id>".',
    arn: true,
    description: 'ARN of the HTTPS listener: its mutual-authentication mode (off, passthrough, verify) and trust store explain the verdict.',
  },
  webAclArn: {
    flag: 'web-acl-arn',
    pattern: '^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\\d{12}:(?:regional|global)/webacl/\\S+$',
    what: 'a WAF web ACL ARN',
    fix: 'Copy the ARN of the web ACL: "arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>".',
    arn: true,
    description: 'ARN of the AWS WAF web ACL attached to the load balancer: its sampled requests become evidence.',
  },
  wafLogGroup: {
    flag: 'waf-log-group',
    pattern: '^aws-waf-logs-[A-Za-z0-9._/#-]+$',
    what: 'a CloudWatch Logs group name starting with "aws-waf-logs-"',
    fix: 'Give the name (not the ARN) of the web ACL\'s logging destination; AWS WAF only logs to groups named "aws-waf-logs-…".',
    description:
      'Name of the CloudWatch Logs group the web ACL logs to (AWS WAF requires the "aws-waf-logs-" prefix); queried server-side for the probe\'s request.',
  },
  albLogs: {
    flag: 'alb-logs',
    pattern: '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/\\S*)?$',
    what: 'an s3:// location',
    fix: 'Give the bucket and prefix of the load balancer\'s access and connection logs, e.g. "s3://my-alb-logs/prod".',
    description:
      "s3://bucket/prefix of the load balancer's access and connection logs (the connection log's tls_verify_status shows why a client certificate was refused).",
    markdownDescription:
      "`s3://bucket/prefix` of the load balancer's access and connection logs. The connection log's `tls_verify_status` (e.g. `Failed:ClientCertUntrusted`) confirms why a client certificate was refused.",
  },
} as const satisfies Record<AwsSettingName, AwsSettingRule>;

/** In the table's order, which is the config's. */
export const awsSettingNames = Object.keys(awsSettingRules) as AwsSettingName[];

const patterns = new Map(awsSettingNames.map((name) => [name, new RegExp(awsSettingRules[name].pattern)]));

/** Whether a value follows its setting's rule. */
export function isAwsSetting(name: AwsSettingName, value: string): boolean {
  return patterns.get(name)?.test(value) === true;
}

/**
 * The same check the config applies, for AWS settings given another way (CLI flags): null when the value is
 * well formed, else what is wrong and how to fix it.
 */
export function checkAwsSetting(name: AwsSettingName, value: string): string | null {
  const rule: AwsSettingRule = awsSettingRules[name];
  return isAwsSetting(name, value) ? null : `"${value}" is not ${rule.what}. ${rule.fix}`;
}

/**
 * The region an ARN setting names when it differs from `region`: evidence is fetched from one region, so a
 * disagreement finds nothing. A global web ACL belongs to no region.
 */
export function arnRegionMismatch(settings: AwsEndpointSettings, name: AwsSettingName): string | undefined {
  const rule: AwsSettingRule = awsSettingRules[name];
  const value = settings[name];
  if (rule.arn !== true || value === undefined || settings.region === undefined) return undefined;
  const parts = value.split(':');
  const arnRegion = parts[3];
  if (arnRegion === undefined || (name === 'webAclArn' && parts[5]?.startsWith('global/'))) return undefined;
  return arnRegion !== settings.region ? arnRegion : undefined;
}
