import type { AwsEndpointSettings, AwsSettingGroupName } from './types';

// The AWS settings of an endpoint, one row each: the rule a value must follow, the words for a bad one, the editor's
// description, and the CLI flag that gives the same setting. The workspace config (its reader and its JSON Schema)
// and the CLI's flags all read this table, so a setting is checked the same way wherever it is written.
// Nested groups (`cloudFront`, `apiGateway`, `albLogsAthena`) are tables of the same rows (awsSettingGroups).
// Plain data on purpose: the CLI loads it with its option parser, before any command runs.

export type { AwsSettingGroupName } from './types';

/** The flat (string) settings. */
export type AwsSettingName = Exclude<keyof AwsEndpointSettings, AwsSettingGroupName>;

/** The fields of one nested group. */
export type AwsGroupFieldName<G extends AwsSettingGroupName> = keyof NonNullable<AwsEndpointSettings[G]> & string;

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
  /** In a group: the group is ignored without it. */
  required?: true;
  /** In a group: the value used when it is absent (said in the description and the schema). */
  default?: string;
}

/** A nested group of settings: its words, and a row per field. */
export interface AwsSettingGroupRule<G extends AwsSettingGroupName> {
  description: string;
  markdownDescription?: string;
  fields: { readonly [F in AwsGroupFieldName<G>]-?: AwsSettingRule };
}

const s3LocationPattern = 's3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/\\S*)?';
/** CloudWatch Logs group names: 1–512 of letters, digits, `._/#-`. */
const logGroupPattern = '[A-Za-z0-9._/#-]{1,512}';
/** Athena (Glue) database and table names: lower case, digits and `_` (they go into the query text, never quoted). */
const athenaNamePattern = '^[a-z0-9_]{1,255}$';
const athenaNameFix = 'Athena database and table names are lower-case letters, digits and "_", e.g. "alb_logs".';

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
    pattern: `^${s3LocationPattern}$`,
    what: 'an s3:// location',
    fix: 'Give the bucket and prefix of the load balancer\'s access and connection logs, e.g. "s3://my-alb-logs/prod".',
    description:
      "s3://bucket/prefix of the load balancer's access and connection logs (the connection log's tls_verify_status shows why a client certificate was refused).",
    markdownDescription:
      "`s3://bucket/prefix` of the load balancer's access and connection logs. The connection log's `tls_verify_status` (e.g. `Failed:ClientCertUntrusted`) confirms why a client certificate was refused.",
  },
  albLogGroup: {
    flag: 'alb-log-group',
    pattern: `^${logGroupPattern}$`,
    what: 'a CloudWatch Logs group name',
    fix: 'Give the name (not the ARN) of the log group the load balancer delivers its connection and access logs to, e.g. "/aws/vendedlogs/alb/prod".',
    description:
      "Name of the CloudWatch Logs group the load balancer delivers its connection and access logs to (the vended-logs delivery); searched server-side with Logs Insights for the probe's records.",
  },
} as const satisfies Record<AwsSettingName, AwsSettingRule>;

/** The nested groups, in the config's order; each field a row like the flat settings'. */
export const awsSettingGroups = {
  cloudFront: {
    description: 'CloudFront viewer mTLS: the distribution and its connection logs (both in us-east-1, whatever "region" says).',
    fields: {
      distributionId: {
        flag: 'cloudfront-distribution-id',
        pattern: '^E[A-Z0-9]{6,20}$',
        what: 'a CloudFront distribution id',
        fix: 'Copy the distribution\'s ID from the CloudFront console, e.g. "E2DX1SLDPK0123".',
        description: "The CloudFront distribution's ID, e.g. \"E2DX1SLDPK0123\": its viewer mTLS configuration and trust store explain the verdict.",
      },
      connectionLogs: {
        flag: 'cloudfront-connection-logs',
        pattern: `^(?:${s3LocationPattern}|${logGroupPattern})$`,
        what: 'a CloudWatch Logs group name or an s3:// location',
        fix: 'Give the log group name (in us-east-1) or the s3://bucket/prefix the distribution\'s connection logs are delivered to.',
        description:
          "Where the distribution's connection logs are delivered (set up in us-east-1): a CloudWatch Logs group name, or s3://bucket/prefix. A record's connectionStatus (e.g. Failed:ClientCertUntrusted) confirms why a client certificate was refused.",
      },
    },
  },
  apiGateway: {
    description: 'API Gateway mTLS: the custom domain name and the stage\'s access-log group (in "region").',
    fields: {
      domainName: {
        flag: 'api-gateway-domain',
        pattern: '^(?:\\*\\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z][A-Za-z0-9-]{0,62}$',
        what: 'a custom domain name',
        fix: 'Give the custom domain name with mutual TLS, e.g. "api.example.com" (no scheme or path).',
        description: "The API Gateway custom domain name with mutual TLS: its trust store and truststoreWarnings explain the verdict.",
      },
      accessLogGroup: {
        flag: 'api-gateway-access-log-group',
        pattern: `^${logGroupPattern}$`,
        what: 'a CloudWatch Logs group name',
        fix: 'Give the name (not the ARN) of the stage\'s access-log group.',
        description: "Name of the CloudWatch Logs group of the stage's access logs, searched for the probe's request (its clientCert fields and error message say why mTLS refused it).",
      },
    },
  },
  albLogsAthena: {
    description: "The load balancer's logs searched with Athena, where they are: tables with partition projection on \"day\" over the connection (and access) logs.",
    markdownDescription:
      "The load balancer's logs searched with Athena, where they are: tables with partition projection on `day` (`yyyy/MM/dd`) over the connection (and access) logs. The query reads the window's day partitions only; the bytes it scanned (the cost) are shown beside the evidence.",
    fields: {
      database: {
        flag: 'athena-database',
        pattern: athenaNamePattern,
        what: 'an Athena database name',
        fix: athenaNameFix,
        description: 'The Athena (Glue) database of the tables. Default: the workgroup\'s "default".',
      },
      connectionTable: {
        flag: 'athena-connection-table',
        pattern: athenaNamePattern,
        what: 'an Athena table name',
        fix: athenaNameFix,
        required: true,
        description: 'The table over the ALB connection logs (partition projection on "day", the columns of AWS\'s alb_connection_logs definition).',
      },
      accessTable: {
        flag: 'athena-access-table',
        pattern: athenaNamePattern,
        what: 'an Athena table name',
        fix: athenaNameFix,
        description: 'The table over the ALB access logs (partition projection on "day"), joined to the connection log by conn_trace_id.',
      },
      workgroup: {
        flag: 'athena-workgroup',
        pattern: '^[A-Za-z0-9._-]{1,128}$',
        what: 'an Athena workgroup name',
        fix: 'Give the name of the workgroup to run the query in, e.g. "primary".',
        default: 'primary',
        description: 'The Athena workgroup to run the query in. Default: "primary".',
      },
      outputLocation: {
        flag: 'athena-output',
        pattern: `^${s3LocationPattern}$`,
        what: 'an s3:// location',
        fix: 'Give the s3://bucket/prefix for the query results, e.g. "s3://my-athena-results/mtls-probe/" (the caller needs s3:GetObject there).',
        description: "s3://bucket/prefix for Athena's query results. Default: the workgroup's result location.",
      },
    },
  },
} as const satisfies { readonly [G in AwsSettingGroupName]: AwsSettingGroupRule<G> };

/** In the config's order. */
export const awsSettingGroupNames = Object.keys(awsSettingGroups) as AwsSettingGroupName[];

/** A group's fields, in the table's order. */
export function awsGroupFieldNames<G extends AwsSettingGroupName>(group: G): AwsGroupFieldName<G>[] {
  return Object.keys(awsSettingGroups[group].fields) as AwsGroupFieldName<G>[];
}

/** The row of a group's field (one of awsGroupFieldNames(group)). */
export function awsGroupFieldRule(group: AwsSettingGroupName, field: string): AwsSettingRule {
  const rule = (awsSettingGroups[group].fields as Readonly<Record<string, AwsSettingRule>>)[field];
  if (rule === undefined) throw new Error(`no AWS setting "${group}.${field}"`);
  return rule;
}

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

/** checkAwsSetting for a field of a nested group. */
export function checkAwsGroupSetting(group: AwsSettingGroupName, field: string, value: string): string | null {
  const rule = awsGroupFieldRule(group, field);
  return new RegExp(rule.pattern).test(value) ? null : `"${value}" is not ${rule.what}. ${rule.fix}`;
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
