// A local stand-in for the AWS APIs the product calls, so tests can drive the REAL AWS SDK v3 clients (pointed here with
// `endpoint: url`) end to end: request signing, serialisation, retries, pagination, response and error parsing all run.
// Each service is answered in its own wire protocol, as the installed clients send and parse it:
//   elbv2       AWS Query: form-urlencoded POST (Action=…&Version=2015-12-01), XML <OpResponse><OpResult>…</OpResult></OpResponse>
//   cloudwatch  AWS JSON 1.0 + awsQueryCompatible: x-amz-target GraniteServiceVersion20100801.Op
//   logs        AWS JSON 1.1: x-amz-target Logs_20140328.Op
//   wafv2       AWS JSON 1.1: x-amz-target AWSWAF_20190729.Op
//   athena      AWS JSON 1.1: x-amz-target AmazonAthena.Op (test/support/fake-athena.ts answers queries from registered rows)
//   apigateway  REST-JSON: the operation by method and path (GET /domainnames/{domain_name}), path labels and query in
//               params; errors as the x-amzn-errortype header with {"message"} and the handler's status (404 NotFound)
//   cloudfront  REST-XML: GET /2020-05-31/distribution/{Id}/config and /trust-store/{Identifier}; the output's one key is
//               the root element (xmlns …/doc/2020-05-31/), an `ETag` key the ETag header; a list is written as repeated
//               elements of its key ({ Items: { CNAME: ['a', 'b'] } }); errors as <ErrorResponse><Error><Code> (404 NoSuchDistribution)
// Handlers answer in the SDK's output shape; the fake serialises that generically by JS type (it has no service model),
// so it stays an independent check of the SDK's protocol code rather than a copy of it.
// S3 is different: startFakeS3 runs the real s3rver package, a full S3 REST implementation.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { AwsEvidenceSourceOptions } from '../../src/core/evidence/aws/aws-evidence-source';

export type FakeAwsService = 'elbv2' | 'cloudwatch' | 'logs' | 'wafv2' | 'apigateway' | 'cloudfront' | 'athena';

export interface FakeAwsCall {
  service: FakeAwsService;
  operation: string;
  /**
   * The request in the SDK's input shape. JSON services: the body as sent (timestamps arrive as epoch-seconds numbers).
   * Query (ELBv2): lists (`X.member.N`) become arrays and maps (`X.entry.N.key/value`) objects; scalars stay strings,
   * because the form encoding carries no types (PageSize: '2').
   */
  params: Record<string, unknown>;
  /** From the SigV4 Authorization header's Credential=AKID/date/region/service/aws4_request. */
  accessKeyId: string | null;
  region: string | null;
}

export interface FakeAwsError {
  /** JSON: the `__type` (a `namespace#` prefix is allowed, as AWS sometimes sends); Query: <Code>. */
  code: string;
  message: string;
  /** Default 400. */
  status?: number;
  /**
   * CloudWatch only: adds the `x-amzn-query-error: queryCode;Sender` header an awsQueryCompatible service sends for errors
   * modelled with a Query code. The SDK then names the error after queryCode instead of `code`.
   */
  queryCode?: string;
}

export type FakeAwsReply = { output: Record<string, unknown> } | { error: FakeAwsError };

export type FakeAwsHandler = (params: Record<string, unknown>, call: FakeAwsCall) => FakeAwsReply | Promise<FakeAwsReply>;

export interface FakeAws {
  url: string;
  calls: FakeAwsCall[];
  callsTo(operation: string): FakeAwsCall[];
  close(): Promise<void>;
}

const expiredMessage = 'The security token included in the request is expired';
/** Common errors in the form the services send them, for handlers to return. */
export const awsErrors = {
  /** JSON services (CloudWatch, Logs, WAFv2). */
  throttling: { error: { code: 'ThrottlingException', message: 'Rate exceeded', status: 400 } },
  /** ELBv2 (Query). */
  throttlingQuery: { error: { code: 'Throttling', message: 'Rate exceeded', status: 400 } },
  /** Namespaced, as the JSON services send it; the SDK strips the namespace. */
  expiredToken: { error: { code: 'com.amazon.coral.service#ExpiredTokenException', message: expiredMessage, status: 400 } },
  expiredTokenQuery: { error: { code: 'ExpiredToken', message: expiredMessage, status: 403 } },
} satisfies Record<string, FakeAwsReply>;

/**
 * Client options for fast, deterministic tests: the SDK's standard retry strategy (same retryable-error rules and 3 attempts),
 * only without the random backoff (up to 1 s after a throttling error), so a retry costs ~nothing. Call per client: the
 * strategy holds retry-token state.
 */
export function fakeAwsClientConfig(url: string): { endpoint: string; retryStrategy: ConfiguredRetryStrategy } {
  return { endpoint: url, retryStrategy: new ConfiguredRetryStrategy(3, 1) };
}

/**
 * What the evidence tests hand AwsEvidenceSource: the fake's client options, static test credentials (AKIDTEST,
 * which the tests find on every call), and with `s3Url` an S3 endpoint (a local S3 server or a tap in front of it).
 */
export function fakeAwsAccess(url: string, s3Url?: string): AwsEvidenceSourceOptions['access'] {
  return {
    ...fakeAwsClientConfig(url),
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
    ...(s3Url !== undefined ? { s3: { ...fakeS3ClientConfig, endpoint: s3Url } } : {}),
  };
}

const jsonTargets: Record<string, { service: FakeAwsService; contentType: string }> = {
  GraniteServiceVersion20100801: { service: 'cloudwatch', contentType: 'application/x-amz-json-1.0' },
  Logs_20140328: { service: 'logs', contentType: 'application/x-amz-json-1.1' },
  AWSWAF_20190729: { service: 'wafv2', contentType: 'application/x-amz-json-1.1' },
  AmazonAthena: { service: 'athena', contentType: 'application/x-amz-json-1.1' },
};
const elbv2Version = '2015-12-01';
const elbv2Namespace = `http://elasticloadbalancing.amazonaws.com/doc/${elbv2Version}/`;

/** Starts the fake; closes it in t.after. An operation with no handler answers a 400 error naming it (so a test that forgets one fails clearly). */
export async function startFakeAws(
  t: { after(fn: () => unknown): void },
  handlers: Partial<Record<`${FakeAwsService}:${string}`, FakeAwsHandler>>,
): Promise<FakeAws> {
  const calls: FakeAwsCall[] = [];

  const server = createServer((req, res) => {
    void readBody(req)
      .then(async (body) => {
        const call = decodeRequest(req, body);
        if ('reject' in call) return send(res, 400, 'text/plain', call.reject);
        calls.push(call);
        const handler = handlers[`${call.service}:${call.operation}`];
        let reply: FakeAwsReply;
        try {
          reply = handler
            ? await handler(call.params, call)
            : { error: { code: 'FakeAwsNoHandler', message: `fake-aws: no handler for ${call.service}:${call.operation}` } };
        } catch (err) {
          // A 400, not a 500: the SDK would retry a 5xx, hiding the bug behind retries and delays.
          reply = { error: { code: 'FakeAwsHandlerError', message: `fake-aws: ${call.service}:${call.operation} handler threw: ${String(err)}` } };
        }
        if (call.service === 'apigateway') return sendRestJson(res, reply);
        if (call.service === 'cloudfront') return sendRestXml(res, reply);
        return call.service === 'elbv2' ? sendQuery(res, call.operation, reply) : sendJson(res, call.service, reply);
      })
      .catch((err: unknown) => send(res, 400, 'text/plain', `fake-aws: ${String(err)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    // The SDK keeps sockets alive between calls; drop them so close() does not wait for their idle timeout.
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  t.after(close);
  return { url: `http://127.0.0.1:${port}`, calls, callsTo: (operation) => calls.filter((c) => c.operation === operation), close };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Works out service and operation as AWS does: by x-amz-target (JSON) or the Action form field (Query). */
function decodeRequest(req: IncomingMessage, body: string): FakeAwsCall | { reject: string } {
  // Authorization: AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/monitoring/aws4_request, SignedHeaders=…, Signature=…
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '');
  const signer = { accessKeyId: scope?.[1] ?? null, region: scope?.[2] ?? null };
  const contentType = req.headers['content-type'] ?? '';
  const rest = decodeRestRequest(req, signer);
  if (rest !== null) return rest;
  if (req.method !== 'POST') return { reject: `fake-aws: expected POST, got ${req.method}` };

  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix = '', operation = ''] = target.split('.');
    const json = jsonTargets[prefix];
    if (!json) return { reject: `fake-aws: unknown x-amz-target ${target}` };
    if (contentType !== json.contentType) return { reject: `fake-aws: ${target} needs content-type ${json.contentType}, got ${contentType}` };
    return { service: json.service, operation, params: JSON.parse(body || '{}') as Record<string, unknown>, ...signer };
  }

  if (!contentType.startsWith('application/x-www-form-urlencoded')) return { reject: `fake-aws: no x-amz-target and not a Query form (${contentType})` };
  const form = new URLSearchParams(body);
  const operation = form.get('Action');
  if (!operation || form.get('Version') !== elbv2Version) return { reject: `fake-aws: Query request needs Action and Version=${elbv2Version}: ${body}` };
  return { service: 'elbv2', operation, params: decodeQueryForm(form), ...signer };
}

/** REST services' operations: by method and path, the path's labels named in order. */
const restRoutes: Array<{ service: FakeAwsService; method: string; path: RegExp; operation: string; labels: string[] }> = [
  { service: 'apigateway', method: 'GET', path: /^\/domainnames\/([^/]+)$/, operation: 'GetDomainName', labels: ['domainName'] },
  { service: 'cloudfront', method: 'GET', path: /^\/2020-05-31\/distribution\/([^/]+)\/config$/, operation: 'GetDistributionConfig', labels: ['Id'] },
  { service: 'cloudfront', method: 'GET', path: /^\/2020-05-31\/trust-store\/([^/]+)$/, operation: 'GetTrustStore', labels: ['Identifier'] },
];

/** A REST request as its operation, its path labels and query parameters as params; null when no route has it. */
function decodeRestRequest(req: IncomingMessage, signer: Pick<FakeAwsCall, 'accessKeyId' | 'region'>): FakeAwsCall | null {
  const url = new URL(req.url ?? '/', 'http://fake-aws');
  for (const route of restRoutes) {
    const match = route.method === req.method ? route.path.exec(url.pathname) : null;
    if (match === null) continue;
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    route.labels.forEach((label, i) => (params[label] = decodeURIComponent(match[i + 1] ?? '')));
    return { service: route.service, operation: route.operation, params, ...signer };
  }
  return null;
}

/** Query keys are dotted paths: `ListenerArns.member.1`, `Attributes.member.2.Key`, `Tags.entry.1.key`. Rebuild the tree, then lists and maps. */
function decodeQueryForm(form: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue;
    const path = key.split('.');
    let node = root;
    for (const [i, segment] of path.entries()) {
      if (i === path.length - 1) node[segment] = value;
      else node = (node[segment] ??= {}) as Record<string, unknown>;
    }
  }
  return normaliseQueryNode(root) as Record<string, unknown>;
}

function normaliseQueryNode(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Record<string, unknown>;
  const keys = Object.keys(obj);
  const byIndex = (items: Record<string, unknown>): unknown[] =>
    Object.keys(items).sort((a, b) => Number(a) - Number(b)).map((k) => items[k]);
  if (keys.length === 1 && keys[0] === 'member') return byIndex(obj.member as Record<string, unknown>).map(normaliseQueryNode);
  if (keys.length === 1 && keys[0] === 'entry') {
    const entries = byIndex(obj.entry as Record<string, unknown>) as { key: string; value: unknown }[];
    return Object.fromEntries(entries.map((e) => [e.key, normaliseQueryNode(e.value)]));
  }
  return Object.fromEntries(keys.map((k) => [k, normaliseQueryNode(obj[k])]));
}

// ---- Query (ELBv2) responses -------------------------------------------------------------------------------------------

function sendQuery(res: ServerResponse, operation: string, reply: FakeAwsReply): void {
  const requestId = randomUUID();
  if ('error' in reply) {
    const { code, message, status = 400 } = reply.error;
    const type = status >= 500 ? 'Receiver' : 'Sender';
    const xml =
      `<ErrorResponse xmlns="${elbv2Namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
      `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return send(res, status, 'text/xml', xml, { 'x-amzn-requestid': requestId });
  }
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${elbv2Namespace}"><${operation}Result>${toXml(reply.output)}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
  send(res, 200, 'text/xml', xml, { 'x-amzn-requestid': requestId });
}

/** Members as elements; lists as <member> items; a Map as <entry><key/><value/></entry>; dates ISO 8601; booleans true/false. */
function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (value instanceof Map) return [...value].map(([k, v]) => `<entry><key>${escapeXml(String(k))}</key><value>${toXml(v)}</value></entry>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

// ---- JSON (CloudWatch, Logs, WAFv2) responses --------------------------------------------------------------------------

function sendJson(res: ServerResponse, service: FakeAwsService, reply: FakeAwsReply): void {
  const requestId = randomUUID();
  const contentType = service === 'cloudwatch' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
  if ('error' in reply) {
    const { code, message, status = 400, queryCode } = reply.error;
    const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
    if (queryCode !== undefined && service === 'cloudwatch') headers['x-amzn-query-error'] = `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`;
    // Logs and WAF send `message`; the SDK reads `message ?? Message`, so one casing serves all three.
    return send(res, status, contentType, JSON.stringify({ __type: code, message }), headers);
  }
  send(res, 200, contentType, JSON.stringify(toJsonValue(reply.output)), { 'x-amzn-requestid': requestId });
}

/** JSON protocols send timestamps as epoch seconds (fractions allowed) and blobs as base64. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v)]));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value;
}

// ---- REST-JSON (API Gateway) responses -----------------------------------------------------------------------------

/** REST-JSON: the output as the body (timestamps epoch seconds); an error's code in x-amzn-errortype, its message in the body. */
function sendRestJson(res: ServerResponse, reply: FakeAwsReply): void {
  const requestId = randomUUID();
  if ('error' in reply) {
    const { code, message, status = 400 } = reply.error;
    return send(res, status, 'application/json', JSON.stringify({ message }), { 'x-amzn-requestid': requestId, 'x-amzn-errortype': code });
  }
  send(res, 200, 'application/json', JSON.stringify(toJsonValue(reply.output)), { 'x-amzn-requestid': requestId });
}

// ---- REST-XML (CloudFront) responses -----------------------------------------------------------------------------------

const cloudFrontNamespace = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';

/** Elements by key; an array as repeated elements of its key; dates ISO 8601; booleans true/false. */
function toRestXml(value: Record<string, unknown>): string {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => (Array.isArray(v) ? v : [v]).map((item) => `<${k}>${restXmlValue(item)}</${k}>`).join(''))
    .join('');
}

function restXmlValue(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) return toRestXml(value as Record<string, unknown>);
  return escapeXml(String(value));
}

/** REST-XML: the output's one key as the root element, `ETag` as a header; an error as an ErrorResponse. */
function sendRestXml(res: ServerResponse, reply: FakeAwsReply): void {
  const requestId = randomUUID();
  if ('error' in reply) {
    const { code, message, status = 400 } = reply.error;
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${cloudFrontNamespace}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return send(res, status, 'text/xml', xml, { 'x-amzn-requestid': requestId });
  }
  const { ETag, ...body } = reply.output;
  const [root, content] = Object.entries(body)[0] ?? ['Empty', {}];
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${cloudFrontNamespace}">${restXmlValue(content)}</${root}>`;
  send(res, 200, 'text/xml', xml, { 'x-amzn-requestid': requestId, ...(typeof ETag === 'string' ? { etag: ETag } : {}) });
}

// ---- S3 (s3rver) -------------------------------------------------------------------------------------------------------

export interface FakeS3 {
  url: string;
  bucket: string;
  put(key: string, body: Buffer | string, options?: { contentType?: string; contentEncoding?: string }): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the real S3Client needs against s3rver (plus `endpoint: url` and any `region`):
 * - path-style addressing: s3rver serves virtual-host buckets only under its `serviceEndpoint` (amazonaws.com);
 * - checksums only when required: by default the SDK uploads a stream body as `aws-chunked` with a trailing CRC32, and
 *   s3rver stores the chunk framing as the object. Buffer and string bodies work either way; response validation is
 *   harmless (s3rver sends no checksum headers, so the SDK skips it);
 * - a known access key: s3rver answers InvalidAccessKeyId for keys it does not know, but never checks SigV4 signatures,
 *   so any key passed to startFakeS3's `accessKeyIds` works as well as this built-in one.
 */
export const fakeS3ClientConfig = {
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
} as const;

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}
type S3rverConstructor = new (options: S3rverOptions) => S3rverInstance;
interface S3rverAccounts {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
}
// s3rver is CommonJS without type declarations: load it through require with the small surface used here.
const requireCjs = createRequire(import.meta.url);

type CipherFactory = (algorithm: string, key: Buffer, iv: Buffer | null, options?: unknown) => unknown;
/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES ('des'), which OpenSSL 3 (Node >= 17) only has in its
 * legacy provider: every truncated listing then fails with a 500 InternalError. Triple-DES EDE with K1 = K2 = K3 is exactly
 * single DES and is in the default provider, so map one onto the other. Only calls that would otherwise throw change.
 */
function allowSingleDes(): void {
  const crypto = requireCjs('node:crypto') as { createCipheriv: CipherFactory; createDecipheriv: CipherFactory; fakeS3Des?: true };
  if (crypto.fakeS3Des) return;
  for (const name of ['createCipheriv', 'createDecipheriv'] as const) {
    const original = crypto[name];
    crypto[name] = (algorithm, key, iv, options) =>
      algorithm === 'des' && key.length === 8 ? original('des-ede3-cbc', Buffer.concat([key, key, key]), iv, options) : original(algorithm, key, iv, options);
  }
  crypto.fakeS3Des = true;
}

/** A real S3-compatible server (s3rver) with one bucket, in a temp dir removed in t.after. */
export async function startFakeS3(t: { after(fn: () => unknown): void }, bucket: string, options: { accessKeyIds?: string[] } = {}): Promise<FakeS3> {
  allowSingleDes();
  const S3rver = requireCjs('s3rver') as S3rverConstructor;
  // s3rver checks only that the key id exists in its account registry (a process-wide Map), never the signature.
  const accounts = requireCjs('s3rver/lib/models/account') as S3rverAccounts;
  for (const id of options.accessKeyIds ?? []) accounts.DUMMY_ACCOUNT.createKeyPair(id, 'unchecked');

  const directory = await mkdtemp(join(tmpdir(), 'fake-s3-'));
  const instance = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await instance.run();
  const url = `http://127.0.0.1:${port}`;
  const client = new S3Client({ ...fakeS3ClientConfig, region: 'us-east-1', endpoint: url });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      client.destroy();
      await instance.close();
      await rm(directory, { recursive: true, force: true });
    })());
  t.after(close);

  return {
    url,
    bucket,
    async put(key, body, { contentType, contentEncoding } = {}) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentEncoding: contentEncoding }));
    },
    close,
  };
}
