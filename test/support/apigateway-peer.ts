// A local stand-in for an API Gateway custom domain with mutual TLS: a Node HTTPS server that asks for a client
// certificate in the handshake, lets the handshake complete whatever the certificate, and answers a missing or
// untrusted one with HTTP 403 {"message":"Forbidden"} — what API Gateway does. Its answers carry API Gateway's headers
// (x-amzn-RequestId, x-amz-apigw-id, x-amzn-ErrorType) unless told not to, and it keeps what a stage would write to its
// access log, so tests can put the probe's own record in a (fake) Logs Insights answer.

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TestPki } from '../../src/core/pki/test-pki';

/** What the stage knew of one request: the variables an access-log format can write. */
export interface ApiGatewayRequestFacts {
  requestId: string;
  extendedRequestId: string;
  sourceIp: string;
  requestTimeEpoch: number;
  httpMethod: string;
  path: string;
  status: number;
  /** The client certificate when mutual TLS refused one ($context.identity.clientCert.*: logged only then). */
  clientCert: { subjectDN: string; issuerDN: string; serialNumber: string; notBefore: string; notAfter: string } | null;
}

export interface ApiGatewayPeer {
  url: string;
  requests: ApiGatewayRequestFacts[];
  close(): Promise<void>;
}

/** `CN=x, O=y` in the order API Gateway writes DNs (RFC 2253-like, most specific first). */
function dn(name: Record<string, string | string[] | undefined>): string {
  return Object.entries(name)
    .reverse()
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : (v ?? '')}`)
    .join(',');
}

/** Node's serial `0A1B…` as API Gateway writes serials: lowercase, colon-separated bytes. */
function colonSerial(serial: string): string {
  const hex = serial.toLowerCase().length % 2 === 1 ? `0${serial.toLowerCase()}` : serial.toLowerCase();
  return hex.match(/../g)!.join(':');
}

export async function startApiGatewayPeer(pki: TestPki, options: { apiGatewayHeaders?: boolean } = {}): Promise<ApiGatewayPeer> {
  const requests: ApiGatewayRequestFacts[] = [];
  const server: Server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.rootCa.certPem, requestCert: true, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const sent = peer !== undefined && Object.keys(peer).length > 0;
    const status = socket.authorized ? 200 : 403;
    const facts: ApiGatewayRequestFacts = {
      requestId: randomUUID(),
      extendedRequestId: `${randomBytes(10).toString('base64').slice(0, 14)}=`,
      sourceIp: socket.remoteAddress?.replace(/^::ffff:/, '') ?? '',
      requestTimeEpoch: Date.now(),
      httpMethod: req.method ?? 'GET',
      path: req.url ?? '/',
      status,
      clientCert:
        sent && !socket.authorized
          ? { subjectDN: dn(peer.subject), issuerDN: dn(peer.issuer), serialNumber: colonSerial(peer.serialNumber), notBefore: new Date(peer.valid_from).toISOString(), notAfter: new Date(peer.valid_to).toISOString() }
          : null,
    };
    requests.push(facts);
    const body = status === 403 ? '{"message":"Forbidden"}' : '{"ok":true}';
    const telling = options.apiGatewayHeaders !== false ? { 'x-amzn-RequestId': facts.requestId, 'x-amz-apigw-id': facts.extendedRequestId, ...(status === 403 ? { 'x-amzn-ErrorType': 'ForbiddenException' } : {}) } : {};
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...telling });
    res.end(body);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}/orders`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request as a stage with this JSON access-log format writes it (field names a stage owner might choose). */
export function accessLogLine(facts: ApiGatewayRequestFacts, errorMessage: string | null = facts.status === 403 ? 'Forbidden' : null): string {
  const cert = facts.clientCert;
  const clf = new Date(facts.requestTimeEpoch).toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1/$2/$3:$4 +0000');
  return JSON.stringify({
    requestId: facts.requestId,
    extendedRequestId: facts.extendedRequestId,
    ip: facts.sourceIp,
    requestTime: clf,
    requestTimeEpoch: String(facts.requestTimeEpoch),
    httpMethod: facts.httpMethod,
    resourcePath: facts.path,
    status: String(facts.status),
    protocol: 'HTTP/1.1',
    responseLength: '23',
    errorMessage: errorMessage ?? '-',
    clientCertSubjectDN: cert?.subjectDN ?? '-',
    clientCertIssuerDN: cert?.issuerDN ?? '-',
    clientCertSerialNumber: cert?.serialNumber ?? '-',
    clientCertNotBefore: cert?.notBefore ?? '-',
    clientCertNotAfter: cert?.notAfter ?? '-',
  });
}
