// The fronts the lab can stand in for, each shaped after how that AWS front treats a client certificate and what
// it logs:
// - `alb`: an ALB HTTPS listener with mutual TLS (verify refuses in the handshake with a TCP reset; connection and
//   access logs, ALB metrics). The lab's default, described in alb-listener.ts and lab-stages.ts.
// - `cloudfront`: CloudFront viewer mTLS (mode required). A refused certificate ends the handshake — what the client
//   then sees is not documented; the lab resets, and the product's verdict says what it observed, not what AWS
//   "would" do. Each connection attempt becomes a connection-log record (the documented JSON fields, eventTimestamp
//   in epoch milliseconds as the guide's example, serial colon-separated with a leading 00 as CloudFront writes it);
//   the origin gets the CloudFront-Viewer-Cert-* headers. A revoked certificate is refused by a connection function
//   (CloudFront has no CRL of its own), logged `Failed:ConnectionFunctionDenied` with `REVOKED:<serial>` custom data.
// - `apigateway`: a Regional custom domain with mutual TLS. The handshake completes whatever the certificate; the
//   refusal is an HTTP 403 (`{"message":"Forbidden"}`, x-amzn-errortype ForbiddenException), and the access-log
//   record carries the clientCert fields and the error message — AWS logs those "only if mutual TLS authentication
//   fails". API Gateway's mutual TLS is TLS 1.2.

import { X509Certificate, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { colonSerialForm } from '../certs/serial-number';
import type { TlsVersionName } from '../probe/types';
import { albDn, isoSeconds, validityField, type ConnectionOutcome, type ListenerMode, type RequestContext } from './alb-listener';
import { hourPath, pad, type LabAwsResources } from './aws-log-names';
import type { LabLogWriter } from './aws-log-writer';
import { verifyClientChain, type TrustStore } from './client-verification';

export type LabFrontName = 'alb' | 'cloudfront' | 'apigateway';
export const labFronts: readonly LabFrontName[] = ['alb', 'cloudfront', 'apigateway'];

/** The lab's made-up CloudFront distribution and API Gateway domain. */
export const labCloudFront = { distributionId: 'E2LAB0MTLSPROBE', domain: 'd111111abcdef8.cloudfront.net' };
export const labApiGateway = { domainName: 'api.lab.mtls-probe.test', apiId: 'a1b2c3d4e5', stage: 'prod' };

/** An answer a front gives itself, before the WAF and the target. */
export interface FrontAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What one front does differently from the ALB: how its listener treats certificates, what it logs and tells the target. */
export interface LabFront {
  name: LabFrontName;
  /** The listener's certificate handling: `verify` refuses in the handshake; `passthrough` accepts any. */
  listenerMode(mode: ListenerMode): ListenerMode;
  maxVersion: TlsVersionName;
  /** How AWS WAF's log names the front: its resource type and id. */
  wafSource: { name: 'CF' | 'APIGW'; id: string };
  /** The Server header of the front's answers (API Gateway sends none). */
  server?: string;
  /** The connection's record, once TLS is decided. */
  onConnection(outcome: ConnectionOutcome): Promise<void>;
  /** Refuses a request itself (API Gateway's 403), or null to go on to the WAF and the target. */
  refuse(req: IncomingMessage, context: RequestContext, traceId: string): Promise<FrontAnswer | null>;
  /** The headers the target gets about the client certificate (and echoes). */
  certificateHeaders(context: RequestContext): Record<string, string>;
}

/** `00:b1:43:ed:…`: CloudFront's serial, colon-separated bytes, a leading 00 when the top bit is set. */
function cloudFrontSerial(hex: string): string {
  return colonSerialForm(hex, { signByte: true });
}

/** CloudFront's Failed: codes for the ALB-style verify outcome; a CRL hit is a connection function's refusal. */
export function cloudFrontStatus(verifyStatus: string): { status: string; customData?: string } {
  if (verifyStatus === 'Success') return { status: 'Success' };
  if (verifyStatus === 'Failed:ClientCertCrlHit') return { status: 'Failed:ConnectionFunctionDenied' };
  if (verifyStatus === 'Failed:ClientCertCrlProcessingError') return { status: 'Failed:ConnectionFunctionError' };
  // ALB says purpose, CloudFront intent (its documented code) for a certificate without clientAuth.
  if (verifyStatus === 'Failed:ClientCertPurposeInvalid') return { status: 'Failed:ClientCertIntentInvalid' };
  return { status: verifyStatus };
}

function leafOf(chain: readonly Uint8Array[]): X509Certificate | null {
  try {
    return chain[0] !== undefined ? new X509Certificate(chain[0]) : null;
  } catch {
    return null;
  }
}

/** One connection-log record, fields as the developer guide lists them. */
export function cloudFrontConnectionRecord(outcome: ConnectionOutcome, resources: LabAwsResources): Record<string, unknown> {
  const leaf = leafOf(outcome.chain);
  const { status } = cloudFrontStatus(outcome.verifyStatus);
  const serial = leaf !== null ? cloudFrontSerial(leaf.serialNumber) : null;
  return {
    eventTimestamp: outcome.time.getTime(),
    connectionId: Buffer.from(outcome.connTraceId).toString('base64'),
    connectionStatus: status,
    clientIp: outcome.clientIp,
    clientPort: outcome.clientPort,
    serverIp: resources.nodeIp,
    distributionId: labCloudFront.distributionId,
    distributionTenantId: null,
    tlsProtocol: outcome.tlsProtocol,
    tlsCipher: outcome.tlsCipher,
    tlsHandshakeDuration: outcome.handshakeLatency !== null ? Math.round(outcome.handshakeLatency * 1000) : null,
    tlsSni: labCloudFront.domain,
    clientLeafCertSerialNumber: serial,
    clientLeafCertSubject: leaf !== null ? albDn(leaf.subject) : null,
    clientLeafCertIssuer: leaf !== null ? albDn(leaf.issuer) : null,
    clientLeafCertValidity: leaf !== null ? validityField(leaf) : null,
    connectionLogCustomData: outcome.verifyStatus === 'Failed:ClientCertCrlHit' && serial !== null ? `REVOKED:${serial}` : null,
  };
}

/** The CloudFront-Viewer-Cert-* headers CloudFront adds for the origin. */
export function cloudFrontViewerHeaders(chain: readonly Uint8Array[]): Record<string, string> {
  const leaf = leafOf(chain);
  if (leaf === null) return { 'cloudfront-viewer-cert-present': '0' };
  return {
    'cloudfront-viewer-cert-present': '1',
    'cloudfront-viewer-cert-serial-number': cloudFrontSerial(leaf.serialNumber),
    'cloudfront-viewer-cert-issuer': albDn(leaf.issuer),
    'cloudfront-viewer-cert-subject': albDn(leaf.subject),
    'cloudfront-viewer-cert-sha256': leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
    'cloudfront-viewer-cert-validity': validityField(leaf),
  };
}

/** Where the lab files a CloudFront connection-log delivery (a vended-logs S3 delivery of JSON lines). */
function cloudFrontLogKey(resources: LabAwsResources, start: Date): string {
  const stamp = start.toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `cloudfront/connection-logs/AWSLogs/${resources.accountId}/CloudFront/${labCloudFront.distributionId}/${hourPath(start)}/${labCloudFront.distributionId}.connection-log.${stamp}.${randomUUID().slice(0, 8)}.json.gz`;
}

function apiGatewayLogKey(resources: LabAwsResources, start: Date): string {
  const stamp = start.toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `apigateway/access-logs/AWSLogs/${resources.accountId}/ApiGateway/${labApiGateway.apiId}/${labApiGateway.stage}/${hourPath(start)}/access-log.${stamp}.${randomUUID().slice(0, 8)}.json.gz`;
}

/** API Gateway's words for why mutual TLS failed, as its execution log and error message give them. */
function apiGatewayError(verifyStatus: string): string {
  switch (verifyStatus) {
    case 'Failed:ClientCertMissing':
      return 'Forbidden';
    case 'Failed:ClientCertUntrusted':
      return 'Access denied. Reason: Could not find issuer for certificate';
    case 'Failed:ClientCertExpired':
      return 'Access denied. Reason: Client certificate has expired';
    case 'Failed:ClientCertNotYetValid':
      return 'Access denied. Reason: Client certificate is not yet valid';
    default:
      return `Access denied. Reason: ${verifyStatus.replace(/^Failed:/, '')}`;
  }
}

/** `26/Nov/2026:10:11:12 +0000`: $context.requestTime. */
function clfTime(t: Date): string {
  const month = t.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${pad(t.getUTCDate())}/${month}/${t.getUTCFullYear()}:${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} +0000`;
}

/** One access-log record in a JSON format a stage owner would write, with the clientCert variables. */
export function apiGatewayAccessRecord(req: IncomingMessage, context: RequestContext, traceId: string, requestId: string, status: number, verifyStatus: string): Record<string, unknown> {
  const at = context.receivedAt;
  const failed = verifyStatus !== 'Success';
  const leaf = failed ? leafOf(context.connection.chain) : null;
  const url = new URL(req.url ?? '/', 'https://lab.invalid');
  return {
    requestId,
    ip: context.connection.clientIp,
    requestTime: clfTime(at),
    requestTimeEpoch: at.getTime(),
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    protocol: `HTTP/${req.httpVersion}`,
    status,
    domainName: labApiGateway.domainName,
    xrayTraceId: traceId.match(/Root=([^;]+)/)?.[1] ?? '-',
    errorMessage: failed ? apiGatewayError(verifyStatus) : '-',
    // "present only in access logs if mutual TLS authentication fails" (API Gateway's logging variables).
    clientCertSubjectDN: leaf !== null ? albDn(leaf.subject) : '-',
    clientCertIssuerDN: leaf !== null ? albDn(leaf.issuer) : '-',
    clientCertSerialNumber: leaf !== null ? cloudFrontSerial(leaf.serialNumber) : '-',
    clientCertNotBefore: leaf !== null ? isoSeconds(leaf.validFrom) : '-',
    clientCertNotAfter: leaf !== null ? isoSeconds(leaf.validTo) : '-',
  };
}

export function cloudFrontFront(writer: LabLogWriter): LabFront {
  return {
    name: 'cloudfront',
    listenerMode: (mode) => mode,
    maxVersion: 'TLSv1.3',
    wafSource: { name: 'CF', id: labCloudFront.distributionId },
    server: 'CloudFront',
    onConnection: (outcome) => writer.jsonRecord('cloudfront-connection', outcome.time, (start) => cloudFrontLogKey(writer.resources, start), cloudFrontConnectionRecord(outcome, writer.resources)),
    refuse: () => Promise.resolve(null),
    certificateHeaders: (context) => cloudFrontViewerHeaders(context.connection.chain),
  };
}

export function apiGatewayFront(writer: LabLogWriter, trustStore: TrustStore): LabFront {
  return {
    name: 'apigateway',
    // The handshake takes any certificate; the check comes with the request.
    listenerMode: (mode) => (mode === 'off' ? 'off' : 'passthrough'),
    maxVersion: 'TLSv1.2',
    wafSource: { name: 'APIGW', id: `${writer.resources.accountId}:${labApiGateway.apiId}:${labApiGateway.stage}` },
    onConnection: () => Promise.resolve(),
    refuse: async (req, context, traceId) => {
      const verifyStatus = verifyClientChain(context.connection.chain, trustStore);
      const requestId = randomUUID();
      const status = verifyStatus === 'Success' ? null : 403;
      // Logged now for both outcomes (the target's answer is 200): every request leaves its record.
      await writer.jsonRecord('apigateway-access', context.receivedAt, (start) => apiGatewayLogKey(writer.resources, start), apiGatewayAccessRecord(req, context, traceId, requestId, status ?? 200, verifyStatus));
      if (status === null) return null;
      return {
        status,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': 'ForbiddenException', 'x-amz-apigw-id': randomUUID().slice(0, 16) },
        body: '{"message":"Forbidden"}',
      };
    },
    certificateHeaders: () => ({}),
  };
}
