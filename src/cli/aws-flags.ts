import type { AwsEndpointSettings } from '../core/config/types';

// The AWS flags of `probe --evidence aws` and `evidence … aws`, with the setting each fills: one table for the
// option parser (loaded with the CLI) and the evidence command (loaded only when evidence is asked for).

export const awsFlags = {
  'aws-profile': 'profile',
  'aws-region': 'region',
  'listener-arn': 'listenerArn',
  'load-balancer-arn': 'loadBalancerArn',
  'web-acl-arn': 'webAclArn',
  'waf-log-group': 'wafLogGroup',
  'alb-logs': 'albLogs',
} as const satisfies Record<string, keyof AwsEndpointSettings>;

export type AwsFlag = keyof typeof awsFlags | 'wait';

/** Every AWS flag, `--wait` included. */
export const awsFlagNames = [...(Object.keys(awsFlags) as Array<keyof typeof awsFlags>), 'wait'] as const satisfies readonly AwsFlag[];

export const awsFlagOptions = Object.fromEntries(awsFlagNames.map((flag) => [flag, { type: 'string' as const }])) as Record<AwsFlag, { type: 'string' }>;
