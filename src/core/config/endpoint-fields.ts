import { isIP } from 'node:net';
import type { TlsVersionName } from '../probe/types';
import { awsGroupFields, awsSettingField } from './aws-fields';
import { arnRegionMismatch, awsSettingNames, awsSettingRules } from './aws-settings';
import { expectField } from './expectation-fields';
import {
  aliasesOf,
  fieldNames,
  leaveOut,
  matching,
  nonBlank,
  objectSchema,
  path,
  readFields,
  readPath,
  rejected,
  trueOrFalse,
  wholeNumber,
  type EntryContext,
  type FieldRule,
  type FieldTable,
  type JsonSchema,
  type Read,
} from './field-rules';
import { headerNamePattern, isSecretHeader, redactedText } from '../secret-headers';
import { readProbedIdentities, type IdentityNames, type ProbedIdentities } from './identity-fields';
import { childPath, membersOf, nonEmptyString, quote, stringOf, type Member } from './jsonc-problems';
import { noIdentityName, type AwsEndpointSettings, type ConfigPathReference, type EndpointConfig, type Expectation } from './types';

// The fields of an endpoint: a rule per field, read into EndpointConfig (by endpoint-reader) and rendered as JSON Schema.
// What a bad value takes out follows what the field does: a field that decides where the request goes, what is
// verified or what is sent leaves the endpoint out (a probe without it would test something else and its verdict
// would mislead); a field that only bounds the wait or points at evidence is dropped and the endpoint runs without it.

const httpsUrlPattern = '^[Hh][Tt][Tt][Pp][Ss]://[^\\s/?#]+(?:[/?#]\\S*)?$';
const hostNamePattern = '^[A-Za-z0-9._-]+$';
const httpTokenPattern = headerNamePattern;
const headerValuePattern = '^[^\\r\\n\\u0000]*$';
const httpsUrl = new RegExp(httpsUrlPattern);
const hostName = new RegExp(hostNamePattern);
const httpToken = new RegExp(httpTokenPattern);
const headerValue = new RegExp(headerValuePattern);

const systemStoreName = 'system';
const maxTimeoutMs = 600_000;

const tlsVersions: ReadonlyMap<string, TlsVersionName> = new Map([
  ['1.2', 'TLSv1.2'],
  ['1.3', 'TLSv1.3'],
]);
const tlsVersionWords = [...tlsVersions.keys()].map((version) => `"${version}"`).join(' or ');

/** Headers the HTTP client sets itself: it refuses these from the caller (the request would fail at run time). */
const clientManagedHeaders = new Set(['transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'content-length', 'connection']);
/** The probe sends its own correlation id in this header. */
const correlationHeader = 'x-amzn-trace-id';

export interface EndpointValues {
  name: string;
  url: { written: string; parsed: URL };
  /** null: the system store. */
  ca: ConfigPathReference | null;
  insecure: boolean;
  connectTo: { host: string; port: number };
  serverName: string;
  hostHeader: string;
  tlsMin: TlsVersionName;
  tlsMax: TlsVersionName;
  alpn: string[];
  method: string;
  secretHeaders: string[];
  headers: Record<string, string>;
  timeoutMs: number;
  identities: ProbedIdentities;
  expect: Expectation[];
  aws: AwsEndpointSettings;
  logs: ConfigPathReference;
}

export interface EndpointContext extends EntryContext<EndpointValues> {
  readonly identityNames: IdentityNames;
  /** Endpoint name → JSON path of the endpoint that has it. */
  readonly names: Map<string, string>;
}

type EndpointRule<K extends keyof EndpointValues> = FieldRule<EndpointValues[K], EndpointContext, EndpointConfig>;

/** `host`, `host:port`, `[v6]` or `[v6]:port`, and a bare IPv6 address; the port defaults to the URL's. */
function parseConnectTo(written: string, defaultPort: number): { host: string; port: number } | string {
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::([^:]*))?$/.exec(written);
  if (bracketed) {
    host = bracketed[1] ?? '';
    port = bracketed[2];
    if (isIP(host) !== 6) return 'the address in brackets must be an IPv6 address';
  } else if ((written.match(/:/g) ?? []).length > 1) {
    if (isIP(written) !== 6) return 'an IPv6 address with a port goes in brackets, e.g. "[2001:db8::1]:443"';
    host = written;
  } else {
    const colon = written.indexOf(':');
    host = colon < 0 ? written : written.slice(0, colon);
    port = colon < 0 ? undefined : written.slice(colon + 1);
    if (!hostName.test(host)) return 'the host must be a DNS name or an IP address';
  }
  if (port === undefined) return { host, port: defaultPort };
  const number = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
  if (!(number >= 1 && number <= 65535)) return 'the port must be a number from 1 to 65535';
  return { host, port: number };
}

function readUrl(member: Member): Read<EndpointValues['url']> {
  const written = nonEmptyString(member);
  if (written !== undefined && httpsUrl.test(written)) {
    try {
      const parsed = new URL(written);
      if (parsed.protocol === 'https:' && parsed.hostname !== '') return { value: { written, parsed } };
    } catch {
      // Rejected below.
    }
  }
  return rejected(written?.toLowerCase().startsWith('http://') ? { fix: 'mTLS runs over TLS: use https://.' } : {});
}

function readTlsVersion(member: Member): Read<TlsVersionName> {
  const written = stringOf(member.value);
  const version = written !== undefined ? tlsVersions.get(written) : undefined;
  if (version) return { value: version };
  const number = member.value?.type === 'number' ? String(member.value.value) : undefined;
  if (number !== undefined && tlsVersions.has(number)) return rejected({ fix: `Write it as a string: "${number}".` });
  if (written !== undefined && /^tlsv?1\.[23]$/i.test(written)) return rejected({ fix: `Write "${written.slice(-3)}".` });
  return rejected();
}

function readAlpn(member: Member, context: EndpointContext): Read<string[]> {
  const items = member.value?.type === 'array' ? (member.value.children ?? []) : undefined;
  const protocols = items?.map((item) => {
    const protocol = stringOf(item);
    return protocol !== undefined && protocol !== '' && protocol.length <= 255 ? protocol : undefined;
  });
  if (protocols && protocols.every((p): p is string => p !== undefined)) return { value: protocols };
  const bad = items?.find((_, i) => protocols?.[i] === undefined);
  return rejected(bad ? { found: `${context.problems.found(bad)} in it` } : {});
}

function readHeaders(member: Member, context: EndpointContext): Read<Record<string, string>> {
  const node = member.value;
  if (node?.type !== 'object') return rejected();
  const { problems } = context;
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const header of membersOf(node)) {
    const headerPath = childPath(childPath(context.path, member.name), header.name);
    const lower = header.name.toLowerCase();
    const value = stringOf(header.value);
    if (!httpToken.test(header.name)) {
      leaveOut(context, header.key, headerPath, `header name ${quote(header.name)} is not a valid HTTP header name.`, 'Use letters, digits and "-" in header names, e.g. "X-Test".');
    } else if (clientManagedHeaders.has(lower)) {
      leaveOut(context, header.key, headerPath, `header ${quote(header.name)} is set by the HTTP client and cannot be given.`, 'Remove it.');
    } else if (lower === correlationHeader) {
      problems.warning(header.key, headerPath, `header ${quote(header.name)} is replaced by the probe's correlation id.`, 'Remove it: each probe sends its own id so server-side records can be matched.');
    } else if (seen.has(lower)) {
      problems.warning(header.key, headerPath, `header ${quote(header.name)} is given twice (names are case-insensitive); the first one is used.`, 'Remove one of them.');
    } else if (value === undefined || !headerValue.test(value)) {
      // A secret's value is not repeated in a problem (it would reach the Problems panel and the test output).
      const found = value !== undefined && isSecretHeader(header.name, context.values.secretHeaders) ? `${redactedText(value)} (a secret header's value is not shown)` : problems.found(header.value);
      leaveOut(context, header.value ?? header.key, headerPath, `header ${quote(header.name)} must have a string value on one line; found ${found}.`, 'Write the value in double quotes, e.g. "1".');
    } else {
      seen.add(lower);
      headers[header.name] = value;
    }
  }
  return { value: headers };
}

/** "secretHeaders": header names; a bad one leaves the endpoint out, since its value would be printed. */
function readSecretHeaders(member: Member, context: EndpointContext): Read<string[]> {
  const items = member.value?.type === 'array' ? (member.value.children ?? []) : undefined;
  if (items === undefined) return rejected();
  const names: string[] = [];
  const seen = new Set<string>();
  for (const [i, item] of items.entries()) {
    const name = stringOf(item);
    const itemPath = `${childPath(context.path, member.name)}[${i}]`;
    if (name === undefined || !httpToken.test(name)) {
      leaveOut(
        context,
        item,
        itemPath,
        `"${member.name}" must list HTTP header names; found ${context.problems.found(item)}.`,
        'Write header names (letters, digits and "-"), e.g. ["X-Tenant-Token"]: the endpoint is not probed until it is known which values to keep secret.',
      );
    } else if (seen.has(name.toLowerCase())) {
      context.problems.warning(item, itemPath, `header ${quote(name)} is listed twice (names are case-insensitive).`, 'Remove one of them.');
    } else {
      seen.add(name.toLowerCase());
      names.push(name);
    }
  }
  return { value: names };
}

/** The "aws" settings as fields (the flat ones, then the nested groups): a bad one is ignored, the others still find evidence. */
const awsFields = {
  ...Object.fromEntries(awsSettingNames.map((name) => [name, awsSettingField(awsSettingRules[name])])),
  ...awsGroupFields,
} as FieldTable<Required<AwsEndpointSettings>, EntryContext<AwsEndpointSettings>>;

const awsDescription =
  'Where the AWS evidence for this endpoint is: the credentials profile, the region, the load balancer, the WAF and their logs; CloudFront, API Gateway, and the ALB logs searched with Athena.';

function readAws(member: Member, context: EndpointContext): Read<AwsEndpointSettings> {
  const node = member.value;
  if (node?.type !== 'object') return rejected();
  const { problems } = context;
  const awsPath = childPath(context.path, member.name);
  const fields = problems.fields(node, awsPath, fieldNames(awsFields));
  // Every AWS rule ignores a bad setting, so nothing here says the endpoint is skipped.
  const settings = readFields(awsFields, fields, { problems, path: awsPath, folder: context.folder, skipped: '', usable: true, values: {}, references: [] });
  for (const name of awsSettingNames) {
    const arnRegion = arnRegionMismatch(settings, name);
    if (arnRegion === undefined) continue;
    problems.warning(
      fields.get(name)?.value,
      childPath(awsPath, name),
      `"${name}" is in region "${arnRegion}", but "region" is "${settings.region}".`,
      'Use the region the load balancer and web ACL are in, or correct the ARN.',
    );
  }
  return { value: settings };
}

const nameShape = nonBlank<EndpointContext>();

/** For a field whose value goes into the loaded endpoint as it was read. */
function copyInto<K extends keyof EndpointConfig>(key: K): (endpoint: EndpointConfig, value: NonNullable<EndpointConfig[K]>) => void {
  return (endpoint, value) => {
    endpoint[key] = value;
  };
}

/** tlsMin and tlsMax: one bound each of the versions offered, read and checked alike. */
function tlsVersionField(bound: 'tlsMinVersion' | 'tlsMaxVersion', description: string, aliases: readonly string[]): EndpointRule<'tlsMin' | 'tlsMax'> {
  return {
    shape: { allOf: [{ $ref: '#/definitions/tlsVersion' }] },
    read: readTlsVersion,
    mustBe: tlsVersionWords,
    fix: `mTLS Probe speaks TLS 1.2 and 1.3: write ${tlsVersionWords}.`,
    whenBad: 'entry',
    aliases,
    docs: { description },
    apply: copyInto(bound),
  };
}

export const endpointFields: { readonly [K in keyof EndpointValues]-?: EndpointRule<K> } = {
  name: {
    shape: nameShape.shape,
    read: (member, context) => {
      const read = nameShape.read(member, context);
      if (!('value' in read)) return read;
      const earlier = context.names.get(read.value);
      if (earlier === undefined) {
        context.names.set(read.value, context.path);
      } else {
        context.problems.error(member.value, childPath(context.path, member.name), `endpoint name ${quote(read.value)} is already used by ${earlier}; this one is skipped.`, 'Give each endpoint its own name.');
        context.usable = false;
      }
      return read;
    },
    mustBe: 'a non-empty string',
    fix: 'Give the endpoint a name that is unique in this file, e.g. "prod-api".',
    whenBad: 'entry',
    required: 'Add a "name" that is unique in this file, e.g. "name": "prod-api".',
    docs: { description: "The endpoint's name, unique in this file: shown in the tree, test results and reports." },
    apply: copyInto('name'),
  },
  url: {
    shape: { type: 'string', pattern: httpsUrlPattern },
    read: readUrl,
    mustBe: 'an https:// URL',
    fix: 'Give the full address, starting with https://, e.g. "https://api.example.com/health".',
    whenBad: 'entry',
    required: 'Add the address to probe, e.g. "url": "https://api.example.com/health".',
    docs: { description: 'The https:// URL to probe.', defaultSnippets: [{ body: 'https://${1:api.example.com}/${2:health}' }] },
    apply: (endpoint, url) => {
      endpoint.url = url.written;
    },
  },
  ca: {
    shape: { type: 'string', pattern: '\\S' },
    read: (member, context) => (nonEmptyString(member) === systemStoreName ? { value: null } : readPath(member, context, 'file')),
    mustBe: `a file path or "${systemStoreName}"`,
    fix: `Give the path of a PEM bundle relative to the workspace folder, or "${systemStoreName}".`,
    whenBad: 'entry',
    aliases: ['cacert', 'cafile', 'ca-cert', 'cabundle'],
    docs: {
      description: `Path of a PEM bundle of the CAs that issued the server's certificate, relative to the workspace folder, or "${systemStoreName}" (the default) for the system's trust store.`,
      markdownDescription: `Path of a PEM bundle of the CAs that issued the **server's** certificate, relative to the workspace folder, or \`"${systemStoreName}"\` (the default) for the system's trust store. Like curl's \`--cacert\`.`,
      examples: [systemStoreName, 'certs/server-ca.pem'],
    },
    apply: (endpoint, ca) => {
      if (ca !== null) endpoint.caFile = ca.path;
    },
  },
  insecure: {
    ...trueOrFalse(),
    mustBe: 'true or false',
    fix: 'Write true to skip verifying the server certificate (like curl -k), or remove it.',
    whenBad: 'entry',
    docs: {
      default: false,
      description: "Do not verify the server's certificate (like curl -k). The client certificate checks still run.",
      markdownDescription: "Do not verify the server's certificate (like `curl -k`). The server's check of the client certificate still runs.",
    },
    apply: copyInto('insecure'),
  },
  connectTo: {
    // Looser than parseConnectTo (ports and IPv6 are checked there): enough for the editor to flag most mistakes.
    shape: { type: 'string', pattern: '^(?:\\[[0-9A-Fa-f:.]+\\](?::[0-9]{1,5})?|[A-Za-z0-9._-]+(?::[0-9]{1,5})?|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$' },
    read: (member, context) => {
      const written = nonEmptyString(member);
      const url = context.values.url?.parsed;
      const parsed = written === undefined ? 'it must be a host, host:port or [IPv6]:port' : parseConnectTo(written, url ? Number(url.port || 443) : 443);
      if (typeof parsed !== 'string') return { value: parsed };
      return rejected({ message: `"connectTo" is not an address to connect to (${parsed}); found ${context.problems.found(member.value)}.` });
    },
    mustBe: 'an address to connect to',
    fix: 'Write a host, host:port or [IPv6]:port, e.g. "203.0.113.10" or "203.0.113.10:8443".',
    whenBad: 'entry',
    aliases: ['resolve', 'connect-to'],
    docs: {
      description:
        "Connect to this host, host:port or [IPv6]:port instead of resolving the URL's host; SNI, the Host header and the certificate check keep the URL's name. The port defaults to the URL's.",
      markdownDescription:
        "Connect to `host`, `host:port` or `[IPv6]:port` instead of resolving the URL's host (like curl's `--connect-to` / `--resolve`). SNI, the Host header and the certificate check keep the URL's name. The port defaults to the URL's.",
      examples: ['203.0.113.10', '203.0.113.10:8443', '[2001:db8::1]:443'],
    },
    apply: copyInto('connectTo'),
  },
  serverName: {
    ...matching(hostNamePattern, (written) => isIP(written) === 0),
    shape: {
      type: 'string',
      pattern: hostNamePattern,
      not: { pattern: '^(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)$' },
    },
    mustBe: 'a DNS name (sent as SNI)',
    fix: 'Give a DNS name such as "api.example.com" (no scheme, port or IP address), or remove it to send the URL\'s host.',
    whenBad: 'entry',
    aliases: ['sni'],
    docs: { description: "The TLS server name (SNI) to send and check the server certificate against. Default: the URL's host (none for an IP address)." },
    apply: copyInto('serverName'),
  },
  hostHeader: {
    ...matching('^\\S+$'),
    mustBe: 'a host name without spaces',
    fix: 'Give the Host header to send, e.g. "api.example.com", or remove it to send the URL\'s host.',
    whenBad: 'entry',
    aliases: ['host'],
    docs: { description: "The Host header to send. Default: the URL's host." },
    apply: copyInto('hostHeader'),
  },
  tlsMin: tlsVersionField('tlsMinVersion', 'The lowest TLS version to offer. Default: 1.2.', ['tlsminversion', 'minversion']),
  tlsMax: tlsVersionField('tlsMaxVersion', 'The highest TLS version to offer. Default: 1.3.', ['tlsmaxversion', 'maxversion']),
  alpn: {
    shape: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255 } },
    read: readAlpn,
    mustBe: 'a list of protocol names',
    fix: 'Write the protocols to offer in order, e.g. ["h2", "http/1.1"]; an empty list offers none.',
    whenBad: 'entry',
    docs: {
      description: 'ALPN protocols to offer, in order of preference. Default: ["h2", "http/1.1"]; an empty list offers none.',
      examples: [['h2', 'http/1.1'], ['http/1.1']],
    },
    apply: copyInto('alpn'),
  },
  method: {
    ...matching(httpTokenPattern),
    mustBe: 'an HTTP method',
    fix: 'Give a method such as "GET", "HEAD" or "POST".',
    whenBad: 'entry',
    docs: { description: 'The HTTP method. Default: GET.', examples: ['GET', 'HEAD', 'POST'] },
    apply: copyInto('method'),
  },
  secretHeaders: {
    shape: { type: 'array', uniqueItems: true, items: { type: 'string', pattern: httpTokenPattern } },
    read: readSecretHeaders,
    mustBe: 'a list of header names',
    fix: 'Write the names of the headers whose values are secrets, e.g. ["X-Tenant-Token"].',
    whenBad: 'entry',
    aliases: ['secret-headers', 'secretheader', 'redactheaders', 'redact'],
    docs: {
      description:
        'Headers whose values are secrets, beyond Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key and X-Amz-Security-Token (always redacted): in requests and responses, their values are shown as "[redacted, N bytes]" in traces, JSON, reports, JUnit and logs, and the copied curl command reads them from MTLS_PROBE_HEADER_<NAME>.',
      markdownDescription:
        'Headers whose values are secrets, beyond `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `X-Api-Key` and `X-Amz-Security-Token` (always redacted). In requests and responses their values are shown as `[redacted, N bytes]` in traces, JSON, reports, JUnit and logs, and the copied `curl` command reads them from `$MTLS_PROBE_HEADER_<NAME>`.',
      examples: [['X-Tenant-Token']],
    },
    apply: copyInto('secretHeaders'),
  },
  headers: {
    shape: { type: 'object', propertyNames: { pattern: httpTokenPattern }, additionalProperties: { type: 'string', pattern: headerValuePattern } },
    read: readHeaders,
    mustBe: 'an object of header name → value',
    fix: 'Write "headers": { "X-Test": "1" }.',
    whenBad: 'entry',
    docs: { description: 'Extra request headers. The probe adds its own X-Amzn-Trace-Id so server-side records can be matched.' },
    apply: copyInto('headers'),
  },
  timeoutMs: {
    ...wholeNumber(1, maxTimeoutMs),
    mustBe: `a whole number of milliseconds from 1 to ${maxTimeoutMs}`,
    fix: 'Give the timeout for one probe in milliseconds, e.g. 10000.',
    whenBad: { ignored: 'It is ignored: the default timeouts apply.' },
    aliases: ['timeout'],
    docs: { description: 'Overall timeout for one probe, in milliseconds. Default: the per-phase timeouts.' },
    apply: copyInto('timeoutMs'),
  },
  identities: {
    shape: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 } },
    read: (member, context) => (member.value?.type === 'array' ? { value: readProbedIdentities(context.problems, member.value, childPath(context.path, member.name), context.identityNames) } : rejected()),
    mustBe: 'a list of identity names',
    fix: `Write e.g. ["${noIdentityName}", "partner"], or remove it to probe with "${noIdentityName}" and every identity.`,
    whenBad: { ignored: `It is ignored: the endpoint is probed with "${noIdentityName}" and every identity.` },
    docs: {
      description: `Identities to probe with: "${noIdentityName}" and names from "identities". Default: "${noIdentityName}" and every identity.`,
      markdownDescription: `Identities to probe with: \`"${noIdentityName}"\` (no client certificate) and names from \`identities\`. Default: \`"${noIdentityName}"\` and every identity, in the order they are defined.`,
    },
    apply: (endpoint, identities) => {
      endpoint.identities = identities.names;
    },
  },
  expect: expectField,
  aws: {
    shape: { allOf: [{ $ref: '#/definitions/aws' }] },
    read: readAws,
    mustBe: 'an object of AWS settings',
    fix: 'Write e.g. "aws": { "profile": "prod", "region": "ap-northeast-1" }.',
    whenBad: { ignored: 'It is ignored: no AWS evidence is fetched.' },
    docs: { description: awsDescription },
    apply: copyInto('aws'),
  },
  logs: {
    ...path('file-or-folder'),
    mustBe: 'a file path',
    fix: 'Give a folder or file of local logs (ALB, WAF or ModSecurity), relative to the workspace folder.',
    whenBad: { ignored: 'It is ignored.' },
    docs: {
      description:
        'A folder or file of local logs (ALB access/connection logs, AWS WAF JSON logs, ModSecurity audit logs; plain or .gz), relative to the workspace folder, read as evidence.',
    },
    apply: (endpoint, logs) => {
      endpoint.logs = logs.path;
    },
  },
};

export const endpointAliases = aliasesOf(endpointFields);

/** `#/definitions/tlsVersion` and `#/definitions/aws`, which the fields' shapes refer to. */
export function endpointFieldDefinitions(): Record<'tlsVersion' | 'aws', JsonSchema> {
  return {
    tlsVersion: { type: 'string', enum: [...tlsVersions.keys()], enumDescriptions: [...tlsVersions.keys()].map((version) => `TLS ${version}`) },
    aws: { ...objectSchema(awsFields), description: awsDescription },
  };
}
