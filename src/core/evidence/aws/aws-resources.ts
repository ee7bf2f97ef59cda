// The AWS names an endpoint's settings point at, taken apart once: which region and account an ARN lives in,
// the CloudWatch dimension of a load balancer, a web ACL's name and id, and an S3 log location. The config
// loader has already checked their shape; these functions still return null rather than throw on a bad one.

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(arn: string): Arn | null {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

export interface LoadBalancerRef {
  arn: string;
  region: string;
  account: string;
  name: string;
  id: string;
  /** The CloudWatch `LoadBalancer` dimension: `app/<name>/<id>`. */
  dimension: string;
}

/** The load balancer of a load balancer ARN or of a listener ARN (`listener/app/<name>/<lb-id>/<listener-id>`). */
export function loadBalancerOf(arn: string): LoadBalancerRef | null {
  const parsed = parseArn(arn);
  if (parsed === null || parsed.service !== 'elasticloadbalancing') return null;
  const match = /^(?:loadbalancer|listener)\/(app\/([^/]+)\/([^/]+))/.exec(parsed.resource);
  if (match === null) return null;
  const [, dimension, name, id] = match as unknown as [string, string, string, string];
  const lbArn = `arn:${parsed.partition}:elasticloadbalancing:${parsed.region}:${parsed.account}:loadbalancer/${dimension}`;
  return { arn: lbArn, region: parsed.region, account: parsed.account, name, id, dimension };
}

export interface WebAclRef {
  arn: string;
  region: string;
  scope: 'REGIONAL' | 'CLOUDFRONT';
  name: string;
  id: string;
}

export function webAclOf(arn: string): WebAclRef | null {
  const parsed = parseArn(arn);
  if (parsed === null || parsed.service !== 'wafv2') return null;
  const match = /^(regional|global)\/webacl\/([^/]+)\/([^/]+)$/.exec(parsed.resource);
  if (match === null) return null;
  return { arn, region: parsed.region, scope: match[1] === 'global' ? 'CLOUDFRONT' : 'REGIONAL', name: match[2]!, id: match[3]! };
}

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slash; empty for the bucket's root. */
  prefix: string;
}

/** `s3://bucket/prefix` as ALB's access-log settings name it. */
export function parseS3Url(url: string): S3Location | null {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url.trim());
  if (match === null) return null;
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
