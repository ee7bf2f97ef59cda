// One place that makes the AWS SDK v3 clients for an endpoint's evidence and turns their failures into
// sentences that say what to do. Credentials come from the standard chain (environment, SSO and shared
// profiles, process, container and instance roles) through @aws-sdk/credential-providers; nothing here ever
// reads, logs or returns a secret.

import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, RetryStrategyV2 } from '@smithy/types';

export interface AwsAccess {
  region: string;
  /** A profile in ~/.aws/config (SSO profiles included); absent: the chain's default (AWS_PROFILE, then `default`). */
  profile?: string;
  /** Sends every service's requests here (an S3-compatible server, a test double). AWS_ENDPOINT_URL[_<SERVICE>] works too, through the SDK. */
  endpoint?: string;
  /** Overrides the credential chain (tests, or a caller that already holds credentials). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call, throttling retries included (SDK default 3). */
  maxAttempts?: number;
  /** Replaces the SDK's standard retry strategy (tests use one without backoff delays). */
  retryStrategy?: RetryStrategyV2;
  /** Extra S3 client options, e.g. path-style addressing for an S3-compatible server. */
  s3?: Partial<S3ClientConfig>;
}

interface ClientBase {
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  endpoint?: string;
  maxAttempts?: number;
  retryStrategy?: RetryStrategyV2;
}

/** The clients one evidence collection needs, made on first use and destroyed together. */
export class AwsClients {
  private readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  private readonly cache = new Map<string, { destroy(): void }>();

  constructor(readonly access: AwsAccess) {
    // The SDK is bundled at a fixed version: its notice that future SDK releases will need Node 22 is not
    // something a user of this tool can act on, and it would land in the middle of a report.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    // One provider for every client: an SSO or assume-role session is resolved once, not per service.
    this.credentials = access.credentials ?? fromNodeProviderChain({ ...(access.profile !== undefined ? { profile: access.profile } : {}), clientConfig: { region: access.region } });
  }

  // Each getter is one line because a service differs from the next only in its cache key and how its client is made
  // (S3 adds its own options); what getting a client means — made on first use, then the same one — is #client's.
  readonly elbv2 = (): ElasticLoadBalancingV2Client => this.#client('elbv2', (config) => new ElasticLoadBalancingV2Client(config));
  readonly cloudWatch = (): CloudWatchClient => this.#client('cloudwatch', (config) => new CloudWatchClient(config));
  readonly logs = (): CloudWatchLogsClient => this.#client('logs', (config) => new CloudWatchLogsClient(config));
  readonly wafv2 = (): WAFV2Client => this.#client('wafv2', (config) => new WAFV2Client(config));
  readonly s3 = (): S3Client => this.#client('s3', (config) => new S3Client({ ...config, ...this.access.s3 }));
  readonly athena = (): AthenaClient => this.#client('athena', (config) => new AthenaClient(config));
  readonly apiGateway = (): APIGatewayClient => this.#client('apigateway', (config) => new APIGatewayClient(config));
  /** CloudFront's API is global: call it through `inRegion('us-east-1')`. */
  readonly cloudFront = (): CloudFrontClient => this.#client('cloudfront', (config) => new CloudFrontClient(config));

  /** The client cached under `key`, made by `make` with this access's region, credentials and options on first use. */
  #client<T extends { destroy(): void }>(key: string, make: (config: ClientBase) => T): T {
    const existing = this.cache.get(key) as T | undefined;
    if (existing !== undefined) return existing;
    const config = {
      region: this.access.region,
      credentials: this.credentials,
      ...(this.access.endpoint !== undefined ? { endpoint: this.access.endpoint } : {}),
      ...(this.access.maxAttempts !== undefined ? { maxAttempts: this.access.maxAttempts } : {}),
      ...(this.access.retryStrategy !== undefined ? { retryStrategy: this.access.retryStrategy } : {}),
    };
    const client = make(config);
    this.cache.set(key, client);
    return client;
  }

  /**
   * The same credentials and options in another region (CloudFront's API, its connection logs and the WAF of a
   * distribution are in us-east-1), made once and destroyed with these clients.
   */
  inRegion(region: string): AwsClients {
    if (region === this.access.region) return this;
    return this.#client(`region:${region}`, () => new AwsClients({ ...this.access, region, credentials: this.credentials }));
  }

  /** Closes the clients' connection pools so a CLI run can exit at once. */
  destroy(): void {
    for (const client of this.cache.values()) client.destroy();
    this.cache.clear();
  }
}

/** What a call was for, to name it in an error. */
export interface AwsCallContext {
  /** e.g. `elasticloadbalancing:DescribeListeners` (the IAM action). */
  action: string;
  /** The ARN, log group or bucket the call was about. */
  resource: string;
  access: Pick<AwsAccess, 'profile' | 'region'>;
}

// Keys that no longer exist (deleted, rotated) or a secret that does not match are "not valid", not a missing IAM permission.
const expiredCodes = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);
const deniedCodes = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'WAFAccessDeniedException']);
const throttledCodes = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException', 'SlowDown', 'WAFLimitsExceededException']);
const notFoundCodes = new Set([
  'ListenerNotFound',
  'ListenerNotFoundException',
  'LoadBalancerNotFound',
  'LoadBalancerNotFoundException',
  'TrustStoreNotFound',
  'TrustStoreNotFoundException',
  'ResourceNotFoundException',
  'WAFNonexistentItemException',
  'NoSuchBucket',
  'NoSuchKey',
  'NoSuchDistribution',
  /** API Gateway (GetDomainName of a name it does not have). */
  'NotFoundException',
  'EntityNotFound',
]);

function profileWords(access: AwsCallContext['access']): string {
  return access.profile !== undefined ? `profile "${access.profile}"` : 'the default credential chain (AWS_PROFILE, environment, ~/.aws)';
}

/** How an AWS call failed, as AwsEvidenceError's code says it. */
export type AwsCallFailure = 'aws_credentials_expired' | 'aws_no_credentials' | 'aws_access_denied' | 'aws_throttled' | 'aws_not_found' | 'aws_unreachable' | 'aws_call_failed';

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { attempts?: number; httpStatusCode?: number };
}

function sdkErrorFacts(error: unknown): { err: SdkError; name: string; message: string } {
  const err = error as SdkError;
  return { err, name: err?.name ?? 'Error', message: (err?.message ?? String(error)).replace(/\s+/g, ' ').trim() };
}

/** What kind of failure an AWS SDK error is (by its name, HTTP status or Node's errno code). */
export function awsCallFailure(error: unknown): AwsCallFailure {
  const { err, name, message } = sdkErrorFacts(error);
  if (expiredCodes.has(name) || /token (has )?expired|session .*expired|ExpiredToken/i.test(message)) return 'aws_credentials_expired';
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(name)) return 'aws_no_credentials';
  if (deniedCodes.has(name) || err?.$metadata?.httpStatusCode === 403) return 'aws_access_denied';
  if (throttledCodes.has(name)) return 'aws_throttled';
  if (notFoundCodes.has(name)) return 'aws_not_found';
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return 'aws_unreachable';
  return 'aws_call_failed';
}

/** The error as a sentence that names the call, the resource and the fix; never the credentials themselves. */
export function describeAwsError(error: unknown, context: AwsCallContext): string {
  const { err, name, message } = sdkErrorFacts(error);
  const who = profileWords(context.access);
  const login = context.access.profile !== undefined ? `aws sso login --profile ${context.access.profile}` : 'aws sso login';
  switch (awsCallFailure(error)) {
    case 'aws_credentials_expired':
      // The same sentence for every call it breaks, so a report says it once.
      return `The AWS credentials of ${who} have expired or are not valid: refresh them (e.g. \`${login}\`) and run again.`;
    case 'aws_no_credentials':
      return `No AWS credentials could be loaded from ${who} (${message}): configure the profile in ~/.aws/config (or set AWS_PROFILE / AWS_ACCESS_KEY_ID), then run again.`;
    case 'aws_access_denied':
      return `AWS denied ${context.action} on ${context.resource} to ${who} (${name}: ${message}): allow that action for this identity in IAM, or use a profile that has it.`;
    case 'aws_throttled': {
      const attempts = err?.$metadata?.attempts;
      return `AWS throttled ${context.action} on ${context.resource}${attempts !== undefined ? ` (${attempts} attempts)` : ''}: try again in a minute.`;
    }
    case 'aws_not_found':
      return `${context.resource} was not found by ${context.action} in region ${context.access.region} (${name}): check the ARN, the region and that ${who} is in the right account.`;
    case 'aws_unreachable':
      return `Could not reach AWS for ${context.action} (${(err as NodeJS.ErrnoException).code}: ${message}): check the network, a proxy, or AWS_ENDPOINT_URL.`;
    case 'aws_call_failed':
      return `${context.action} on ${context.resource} failed (${name}: ${message}).`;
  }
}

/**
 * Why AWS evidence could not be had: an AWS call failed (AwsCallFailure, with the SDK's error as the cause), or a
 * Logs Insights query of the WAF log could not be made (`waf_query_no_keys`: nothing to search by), was not
 * started (`waf_query_no_id`), ended unfinished (`waf_query_failed`) or ran too long (`waf_query_timeout`).
 */
export type AwsEvidenceErrorCode =
  | AwsCallFailure
  | 'waf_query_no_keys'
  | 'waf_query_no_id'
  | 'waf_query_failed'
  | 'waf_query_timeout'
  /** An Athena query of the ALB logs (athena-query.ts): not started, ended FAILED or CANCELLED, or still running at its time limit. */
  | 'athena_query_no_id'
  | 'athena_query_failed'
  | 'athena_query_timeout';

/** An AWS failure already described for people. */
export class AwsEvidenceError extends Error {
  override readonly name = 'AwsEvidenceError';

  constructor(
    readonly code: AwsEvidenceErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Runs one AWS call, turning any failure (except cancellation) into an AwsEvidenceError with a clear message. */
export async function awsCall<T>(context: AwsCallContext, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  try {
    return await call();
  } catch (error) {
    signal?.throwIfAborted();
    throw new AwsEvidenceError(awsCallFailure(error), describeAwsError(error, context), { cause: error });
  }
}
