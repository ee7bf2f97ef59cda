import type { Layer, TlsVersionName } from '../probe/types';

/** Where the workspace config lives, relative to a workspace folder. */
export const workspaceConfigRelativePath = '.vscode/mtls-probe.json';

/** A place in the config file: the JSON path people read, and the character range editors underline. */
export interface ConfigLocation {
  file: string;
  /** e.g. `endpoints[1].expect.partner` */
  jsonPath: string;
  offset: number;
  length: number;
}

export interface ConfigProblem extends ConfigLocation {
  severity: 'error' | 'warning';
  /** What is wrong, naming the value. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** A client identity named in the config; paths are absolute (resolved against the workspace folder). */
export type IdentityConfig =
  | { kind: 'pem'; name: string; certFile: string; keyFile: string; location: ConfigLocation }
  | { kind: 'pfx'; name: string; pfxFile: string; location: ConfigLocation };

/** "none" is the probe without a client certificate. */
export const noIdentityName = 'none';

/** An expectation that the application answers: the probe passed every layer in front of it. */
export const targetName = 'target';

/**
 * Which attempt of a probe an expectation is judged on. A probe refused over TLS 1.3 after the request, without a
 * client certificate asked for, is made again over TLS 1.2 (ProbeResult.fallback: a server that asks for the
 * certificate only for some paths renegotiates there). Nothing falls back silently: an expectation names the
 * attempt it is about, and its message names the other one.
 * - `first` (the default when absent): the first attempt, whatever the retry showed;
 * - `tls12Fallback`: the TLS 1.2 retry; not met when the probe made none;
 * - `last`: the TLS 1.2 retry when the probe made one, else the first attempt (the fallback accepted).
 */
export type ExpectedAttempt = 'first' | 'tls12Fallback' | 'last';

/** The attempts in the order the config's words and messages list them. */
export const expectedAttempts: readonly ExpectedAttempt[] = ['first', 'tls12Fallback', 'last'];

/**
 * What an endpoint × identity probe should end with:
 * - `stopped`: the verdict's layer (and, when given, its reason code);
 * - `target`: the application answered (verdict stoppedAt null), optionally with this HTTP status;
 * - `status`: any HTTP answer with this status, whichever layer produced it (e.g. 400 from nginx's mTLS check);
 * and, when the config names it, the attempt it is judged on (absent: the first).
 */
export type ExpectedOutcome = ({ kind: 'stopped'; layer: Layer; reason?: string } | { kind: 'target'; status?: number } | { kind: 'status'; status: number }) & {
  attempt?: ExpectedAttempt;
};

export interface Expectation {
  /** An identity name from the config, or `none`. */
  identity: string;
  expected: ExpectedOutcome;
  location: ConfigLocation;
}

/** AWS settings for evidence (used by the evidence sources; validated here so mistakes show in the editor). */
export interface AwsEndpointSettings {
  profile?: string;
  region?: string;
  loadBalancerArn?: string;
  listenerArn?: string;
  webAclArn?: string;
  wafLogGroup?: string;
  /** `s3://bucket/prefix` of the ALB's access and connection logs. */
  albLogs?: string;
  /** CloudWatch Logs group the ALB delivers its logs to (vended logs), searched with Logs Insights. */
  albLogGroup?: string;
  /** CloudFront viewer mTLS: the distribution and where its connection logs go (both in us-east-1). */
  cloudFront?: AwsCloudFrontSettings;
  /** API Gateway mTLS: the custom domain and its access-log group. */
  apiGateway?: AwsApiGatewaySettings;
  /** The ALB's logs searched with Athena, where they are. */
  albLogsAthena?: AwsAthenaSettings;
}

/** The nested groups of AwsEndpointSettings: each an object of its own fields. */
export type AwsSettingGroupName = 'cloudFront' | 'apiGateway' | 'albLogsAthena';

export interface AwsCloudFrontSettings {
  /** e.g. `E2DX1SLDPK0123`. */
  distributionId?: string;
  /** A CloudWatch Logs group name, or `s3://bucket/prefix`, of the distribution's connection logs (us-east-1). */
  connectionLogs?: string;
}

export interface AwsApiGatewaySettings {
  /** The custom domain name with mutual TLS, e.g. `api.example.com`. */
  domainName?: string;
  /** The CloudWatch Logs group of the stage's access logs. */
  accessLogGroup?: string;
}

export interface AwsAthenaSettings {
  /** The Glue/Athena database (default: Athena's `default`). */
  database?: string;
  /** The table over the ALB connection logs (partition projection on `day`). */
  connectionTable: string;
  /** The table over the ALB access logs, joined by `conn_trace_id`. */
  accessTable?: string;
  /** Default: `primary`. */
  workgroup?: string;
  /** `s3://bucket/prefix` for the query results (default: the workgroup's). */
  outputLocation?: string;
}

export interface EndpointConfig {
  name: string;
  url: string;
  /** Absolute path of a PEM bundle, or absent for the system store. */
  caFile?: string;
  insecure: boolean;
  /** Connect here instead of resolving the URL's host (like curl --connect-to); the URL's name is still checked. */
  connectTo?: { host: string; port: number };
  serverName?: string;
  hostHeader?: string;
  tlsMinVersion?: TlsVersionName;
  tlsMaxVersion?: TlsVersionName;
  alpn?: string[];
  method?: string;
  headers?: Record<string, string>;
  /**
   * Header names whose values are secrets, beyond Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key
   * and X-Amz-Security-Token: redacted in every output, an environment variable in the reproduce commands.
   */
  secretHeaders?: string[];
  /** Overall timeout for one probe, in milliseconds. */
  timeoutMs?: number;
  /** Identities to probe with (names from the config, plus `none`); defaults to `none` and every identity. */
  identities: string[];
  expectations: Expectation[];
  aws?: AwsEndpointSettings;
  /** Absolute path of a folder or file of local logs (evidence). */
  logs?: string;
  location: ConfigLocation;
}

/** A trust store to lint (absolute path), listed in the tree with its findings. */
export interface TrustStoreConfig {
  name: string;
  file: string;
  location: ConfigLocation;
}

/** A file or folder a loaded entry names, and where the config writes it: what existence checks look at and underline. */
export interface ConfigPathReference extends ConfigLocation {
  /** Absolute (resolved against the workspace folder). */
  path: string;
  /** As written in the config. */
  written: string;
  /** Certificates, keys and bundles are files; local logs may be a file or a folder. */
  expects: 'file' | 'file-or-folder';
}

export interface WorkspaceConfig {
  /** Absolute path of the config file. */
  file: string;
  /** Absolute path of the workspace folder the relative paths are resolved against. */
  folder: string;
  identities: IdentityConfig[];
  endpoints: EndpointConfig[];
  trustStores: TrustStoreConfig[];
  /** Every problem found; an entry with an error is left out of the lists above, the rest still load. */
  problems: ConfigProblem[];
  /** Every path the loaded entries name, with its place in the file (absent when the config was not parsed from text). */
  pathReferences?: ConfigPathReference[];
}
