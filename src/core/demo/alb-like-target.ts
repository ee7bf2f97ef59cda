import { X509Certificate } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext } from 'node:tls';
import { generateTestPki, type TestPki } from '../pki/test-pki';
import { KeyLog } from '../tls/key-log';
import { TlsSessionDecoder } from '../tls/session-decoder';
import type { TlsVersionName } from '../probe/types';

// The built-in demo target: a local HTTPS endpoint that behaves like an AWS ALB with mutual TLS in
// verify mode and a WAF in front of its target. It decodes the client's certificate flight as it
// arrives and, when the certificate is missing or fails verification, resets the TCP connection
// before the server's Finished — the signature seen from real ALBs. Requests that pass get a 200
// with the X-Amzn-Mtls-Clientcert-* headers echoed; requests carrying "<script" get a WAF-style 403.

export interface AlbLikeTarget {
  url: string;
  port: number;
  pki: TestPki;
  /** Why each rejected connection was reset, as ALB's connection log would say (Failed:ClientCertUntrusted …). */
  readonly connectionLog: Array<{ time: string; clientPort: number; tlsVerifyStatus: string }>;
  close(): Promise<void>;
}

export interface AlbLikeTargetOptions {
  pki?: TestPki;
  port?: number;
  maxVersion?: TlsVersionName;
}

/** ALB's documented maximum chain depth for a verify-mode trust store. */
const maxChainDepth = 4;

/**
 * Why a client certificate would fail an ALB trust store, as the tls_verify_status codes of the
 * connection log name it: a path from the leaf through the intermediates the client sent to a CA of
 * the trust store, then the leaf's validity and purpose.
 */
export function verifyClientChain(chainDer: Uint8Array[], trustStore: X509Certificate[], now = new Date()): string {
  if (chainDer.length === 0) return 'Failed:ClientCertMissing';
  let presented: X509Certificate[];
  try {
    presented = chainDer.map((der) => new X509Certificate(der));
  } catch {
    return 'Failed:ClientCertInvalid';
  }
  const leaf = presented[0]!;
  const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  let current = leaf;
  for (let depth = 0; !trustStore.some((anchor) => signedBy(current, anchor)); depth++) {
    const next = presented.find((c) => c !== current && signedBy(current, c));
    if (next === undefined) return 'Failed:ClientCertUntrusted';
    if (depth + 1 > maxChainDepth) return 'Failed:ClientCertMaxChainDepthExceeded';
    current = next;
  }
  if (new Date(leaf.validFrom) > now) return 'Failed:ClientCertNotYetValid';
  if (new Date(leaf.validTo) < now) return 'Failed:ClientCertExpired';
  const eku = leaf.keyUsage;
  if (eku !== undefined && !eku.includes('1.3.6.1.5.5.7.3.2')) return 'Failed:ClientCertPurposeInvalid';
  return 'Success';
}

/** Sits between the TCP socket and the server's TLS, reading the handshake as it passes. */
class InspectingGate extends Duplex {
  readonly keyLog = new KeyLog();
  private readonly decoder: TlsSessionDecoder;
  private decided = false;

  constructor(private readonly socket: Socket, private readonly onClientCertificate: (chain: Uint8Array[]) => boolean) {
    super();
    this.decoder = new TlsSessionDecoder(this.keyLog, () => undefined);
    socket.on('data', (data: Buffer) => {
      // "out" is the client side for the decoder.
      this.decoder.feed('out', 0, data);
      if (!this.decided && this.decoder.state.clientCertificate !== null) {
        this.decided = true;
        if (!this.onClientCertificate(this.decoder.state.clientCertificate.der ?? [])) {
          socket.resetAndDestroy();
          this.destroy();
          return;
        }
      }
      if (!this.push(data)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.decoder.feed('in', 0, chunk);
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.socket.destroyed) this.socket.destroy();
    callback(error);
  }
}

function respond(req: IncomingMessage, res: ServerResponse, socket: TLSSocket): void {
  const url = decodeURIComponent(req.url ?? '/');
  if (/<script/i.test(url)) {
    res.writeHead(403, { server: 'awselb/2.0', 'content-type': 'text/html' });
    res.end('<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center></body></html>\n');
    return;
  }
  const peer = socket.getPeerX509Certificate();
  const headers: Record<string, string> = { server: 'awselb/2.0', 'content-type': 'text/plain; charset=utf-8' };
  if (peer) {
    headers['x-amzn-mtls-clientcert-serial-number'] = peer.serialNumber.toUpperCase();
    headers['x-amzn-mtls-clientcert-issuer'] = peer.issuer.split('\n').reverse().join(',');
    headers['x-amzn-mtls-clientcert-subject'] = peer.subject.split('\n').reverse().join(',');
    headers['x-amzn-mtls-clientcert-validity'] = `NotBefore=${new Date(peer.validFrom).toISOString().replace(/\.\d+Z$/, 'Z')};NotAfter=${new Date(peer.validTo).toISOString().replace(/\.\d+Z$/, 'Z')}`;
    headers['x-amzn-mtls-clientcert-leaf'] = encodeURIComponent(peer.toString()).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/');
  }
  const traceId = req.headers['x-amzn-trace-id'];
  if (typeof traceId === 'string') headers['x-amzn-trace-id'] = traceId;
  res.writeHead(200, headers);
  res.end(`hello from the mTLS Probe demo target (${peer ? peer.subject.split('\n').reverse().join(',') : 'no certificate'})\n`);
}

export async function startAlbLikeTarget(options: AlbLikeTargetOptions = {}): Promise<AlbLikeTarget> {
  const pki = options.pki ?? (await generateTestPki({ organization: 'mTLS Probe Demo' }));
  // rootCa may be a whole trust-store bundle (root and intermediates), as ALB takes one.
  const trustStore = [...pki.rootCa.certPem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]));
  const secureContext = createSecureContext({
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.rootCa.certPem,
    minVersion: 'TLSv1.2',
    maxVersion: options.maxVersion ?? 'TLSv1.2',
  });
  const connectionLog: AlbLikeTarget['connectionLog'] = [];
  const http = createHttpServer({ keepAlive: false }, (req, res) => respond(req, res, req.socket as TLSSocket));
  const sockets = new Set<Socket>();
  const server = createNetServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.setNoDelay(true);
    raw.on('error', () => undefined);
    const clientPort = raw.remotePort ?? 0;
    const gate = new InspectingGate(raw, (chain) => {
      const status = verifyClientChain(chain, trustStore);
      connectionLog.push({ time: new Date().toISOString(), clientPort, tlsVerifyStatus: status });
      return status === 'Success';
    });
    gate.on('error', () => undefined);
    const tlsSocket = new TLSSocket(gate, {
      isServer: true,
      secureContext,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['http/1.1'],
    });
    tlsSocket.on('keylog', (line: Buffer) => gate.keyLog.add(line));
    tlsSocket.on('error', () => undefined);
    http.emit('connection', tlsSocket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://localhost:${port}/`,
    port,
    pki,
    connectionLog,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        http.close();
        server.close(() => resolve());
      }),
  };
}
