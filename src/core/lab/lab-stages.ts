// What stands behind the lab's listener, in ALB's order: the connection log and connection metrics once TLS is
// decided; then per request the WAF (its record, its metrics, a 403 on BLOCK) and the target, which echoes what it
// received — method, path, and the X-Amzn-Mtls-Clientcert* headers the listener added — and the access-log line.
// Every log line is written before the client gets its answer, so evidence read right after a probe finds it.

import { X509Certificate, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { albDn, type AlbListenerOptions, type ConnectionOutcome, type RequestContext } from './alb-listener';
import type { LabAwsResources } from './aws-log-names';
import { albHttpSourceId, webAclArn } from './aws-log-names';
import type { LabLogWriter } from './aws-log-writer';
import type { LabFront } from './lab-fronts';
import { evaluateWebAcl, wafLogRecord, type RateState, type WafRequest } from './waf-rules';

export type LabResources = LabAwsResources;

/** Where the lab's target "is", as the access log names it. */
const targetAddress = { ip: '10.0.1.10', port: 8080 };
const webAclId = 'a1b2c3d4-5678-90ab-cdef-lab000000001';

/** ALB's own 403 page when WAF blocks a request. */
const wafBlockPage = '<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n';

function leafOf(outcome: ConnectionOutcome): ConnectionLogLeaf {
  const der = outcome.chain[0];
  if (der === undefined) return null;
  try {
    const leaf = new X509Certificate(der);
    return { subject: albDn(leaf.subject), notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo), serialNumber: leaf.serialNumber };
  } catch {
    return null;
  }
}

type ConnectionLogLeaf = { subject: string; notBefore: Date; notAfter: Date; serialNumber: string } | null;

/** ALB adds X-Amzn-Trace-Id when the client sent none: the WAF record and the access log carry it either way. */
function traceIdOf(req: IncomingMessage): string {
  const given = req.headers['x-amzn-trace-id'];
  if (typeof given === 'string' && given.length > 0) return given;
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function headerPairs(req: IncomingMessage): Array<{ name: string; value: string }> {
  const pairs: Array<{ name: string; value: string }> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) pairs.push({ name: req.rawHeaders[i]!, value: req.rawHeaders[i + 1]! });
  return pairs;
}

function drain(req: IncomingMessage): Promise<number> {
  return new Promise((resolve) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => resolve(bytes));
    req.on('error', () => resolve(bytes));
  });
}

/** The target: an application that tells what reached it. */
function targetResponse(req: IncomingMessage, certificateHeaders: Record<string, string>, traceId: string): { headers: Record<string, string>; body: string } {
  const url = new URL(req.url ?? '/', 'https://lab.invalid');
  const echoed = {
    message: 'hello from the mTLS Probe lab target',
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.search,
    clientCertificate:
      certificateHeaders['x-amzn-mtls-clientcert-subject'] ??
      certificateHeaders['cloudfront-viewer-cert-subject'] ??
      (certificateHeaders['x-amzn-mtls-clientcert'] !== undefined ? 'forwarded whole (passthrough)' : 'none'),
    mtlsHeaders: Object.keys(certificateHeaders),
  };
  // The response repeats the headers the front added, so the probe can decode what the target was told.
  return { headers: { 'content-type': 'application/json', 'x-amzn-trace-id': traceId, ...certificateHeaders }, body: `${JSON.stringify(echoed)}\n` };
}

/** What one request leaves in the ALB's own records: its access-log line and its metrics. */
interface AlbRequest {
  req: IncomingMessage;
  context: RequestContext;
  status: number;
  blocked: boolean;
  receivedBytes: number;
  sentBytes: number;
  traceId: string;
  now: Date;
}

function albRequestLogs(writer: LabLogWriter, r: AlbRequest): Array<Promise<void>> {
  const { req, context, status, blocked, traceId, now } = r;
  const socket = req.socket as TLSSocket;
  const host = req.headers.host ?? `localhost:${context.connection.listenerPort}`;
  const httpVersion = `HTTP/${req.httpVersion}`;
  return [
    writer.access({
      time: new Date(),
      requestCreationTime: context.receivedAt,
      clientIp: context.connection.clientIp,
      clientPort: context.connection.clientPort,
      target: blocked ? null : targetAddress,
      requestProcessingTime: (Date.now() - context.receivedAt.getTime()) / 1000,
      elbStatusCode: status,
      ...(blocked ? {} : { targetStatusCode: 200 }),
      receivedBytes: r.receivedBytes,
      sentBytes: r.sentBytes,
      request: { method: req.method ?? 'GET', url: `https://${host.replace(/:\d+$/, '')}:443${req.url ?? '/'}`, protocol: httpVersion },
      userAgent: req.headers['user-agent'] ?? null,
      sslCipher: socket.getCipher?.()?.name ?? null,
      sslProtocol: socket.getProtocol?.() ?? null,
      traceId,
      domainName: socket.servername || null,
      actionsExecuted: blocked ? ['waf'] : ['waf', 'forward'],
      connTraceId: context.connection.connTraceId,
    }),
    writer.loadBalancerMetric('RequestCount', now),
    writer.loadBalancerMetric(blocked ? 'HTTPCode_ELB_4XX_Count' : 'HTTPCode_Target_2XX_Count', now),
  ];
}

/**
 * `redactedHeaders`: header names the WAF log redacts beyond the credentials always redacted. `front`: another AWS
 * front than the ALB (lab-fronts.ts) — its own connection record, refusal and certificate headers; the ALB's
 * access log and metrics are the ALB's only.
 */
export function labRequestHandler(writer: LabLogWriter, rates: RateState, redactedHeaders: readonly string[] = [], front?: LabFront): Pick<AlbListenerOptions, 'onConnection' | 'handle'> {
  const resources = writer.resources;
  return {
    onConnection: async (outcome) => {
      if (front !== undefined) return front.onConnection(outcome);
      await Promise.all([
        writer.connection({
          time: outcome.time,
          clientIp: outcome.clientIp,
          clientPort: outcome.clientPort,
          // The listener's port as the load balancer's: 443, whatever local port the lab listens on.
          listenerPort: 443,
          tlsProtocol: outcome.tlsProtocol,
          tlsCipher: outcome.tlsCipher,
          handshakeLatencySeconds: outcome.handshakeLatency,
          leafCertificate: leafOf(outcome),
          verifyStatus: outcome.verifyStatus,
          connTraceId: outcome.connTraceId,
        }),
        writer.loadBalancerMetric('NewConnectionCount', outcome.time),
        ...(outcome.verifyStatus === 'Success' ? [] : [writer.loadBalancerMetric('ClientTLSNegotiationErrorCount', outcome.time)]),
      ]);
    },
    handle: async (req: IncomingMessage, res: ServerResponse, context: RequestContext) => {
      const receivedBytes = await drain(req);
      const traceId = traceIdOf(req);
      const refusal = front !== undefined ? await front.refuse(req, context, traceId) : null;
      if (refusal !== null) {
        res.writeHead(refusal.status, refusal.headers);
        res.end(refusal.body);
        return;
      }
      const url = new URL(req.url ?? '/', 'https://lab.invalid');
      const request: WafRequest = {
        clientIp: context.connection.clientIp,
        method: req.method ?? 'GET',
        uri: url.pathname,
        args: url.search.replace(/^\?/, ''),
        headers: headerPairs(req),
        httpVersion: `HTTP/${req.httpVersion}`,
        requestId: traceId,
      };
      const now = new Date();
      const decision = evaluateWebAcl(request, rates, now);
      const blocked = decision.action === 'BLOCK';
      const answer = blocked ? { headers: { 'content-type': 'text/html' }, body: wafBlockPage } : targetResponse(req, front !== undefined ? front.certificateHeaders(context) : context.mtlsHeaders, traceId);
      const status = blocked ? (decision.httpStatus ?? 403) : 200;
      await Promise.all([
        writer.waf(wafLogRecord(decision, request, { timestamp: now, webAclId: webAclArn(resources, webAclId), ...(front !== undefined ? { httpSourceId: front.wafSource.id, httpSourceName: front.wafSource.name } : { httpSourceId: albHttpSourceId(resources) }), redactedHeaders, ...(blocked ? { responseCodeSent: status } : {}) })),
        // The ALB's own access log and metrics; another front logs in its own way (lab-fronts.ts).
        ...(front === undefined ? albRequestLogs(writer, { req, context, status, blocked, receivedBytes, sentBytes: Buffer.byteLength(answer.body), traceId, now }) : []),
        writer.webAclMetric(blocked ? 'BlockedRequests' : 'AllowedRequests', now),
      ]);
      const server = front === undefined ? 'awselb/2.0' : front.server;
      res.writeHead(status, { ...(server !== undefined ? { server } : {}), ...answer.headers });
      res.end(answer.body);
    },
  };
}
