// A local TLS listener shaped like an AWS ALB HTTPS listener with mutual TLS, in its three modes:
// - verify: the client's certificate flight is read as it arrives and judged against the trust store (and its CRLs);
//   a refused certificate ends the connection with a TCP reset before the server's Finished — what the seed
//   observed on a real ALB — and no HTTP request ever exists. Accepted requests carry the X-Amzn-Mtls-Clientcert-*
//   headers to the target.
// - passthrough: any certificate (or none) is accepted; the whole chain goes to the target in X-Amzn-Mtls-Clientcert.
// - off: no certificate is asked for.
// The connection's outcome is announced (and awaited) before the reset or the first request, so a log line written
// for it exists by the time the client sees the result.

import { X509Certificate, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import type { TlsVersionName } from '../probe/types';
import { KeyLog } from '../tls/key-log';
import { TlsSessionDecoder } from '../tls/session-decoder';
import { SocketRelay } from '../tls/socket-relay';
import { verifyClientChain, type TrustStore } from './client-verification';

export type ListenerMode = 'verify' | 'passthrough' | 'off';

export interface ListenerTls {
  certPem: string;
  keyPem: string;
  trustStore: TrustStore;
  /** PEM of the trust store's CA certificates: advertised in the CertificateRequest when advertiseCaNames is on. */
  trustStorePem: string;
  /** ALB's AdvertiseTrustStoreCaNames (default off, as on ALB). */
  advertiseCaNames?: boolean;
  maxVersion?: TlsVersionName;
}

/** What the load balancer decided about one connection: the content of its connection-log line. */
export interface ConnectionOutcome {
  time: Date;
  clientIp: string;
  clientPort: number;
  listenerPort: number;
  tlsProtocol: string | null;
  tlsCipher: string | null;
  /** Seconds; null when the handshake did not complete. */
  handshakeLatency: number | null;
  /** The certificate chain the client presented, leaf first (DER). */
  chain: Uint8Array[];
  /** `Success` or `Failed:<code>`. */
  verifyStatus: string;
  /** ALB's `TID_<hex>`: joins the connection log and the access log. */
  connTraceId: string;
}

/** The headers the listener adds to a request for the target, by mode. */
export type MtlsRequestHeaders = Record<string, string>;

export interface RequestContext {
  connection: ConnectionOutcome;
  mtlsHeaders: MtlsRequestHeaders;
  /** When the request's first byte arrived (epoch ms): the access log's request_creation_time. */
  receivedAt: Date;
}

export interface AlbListenerOptions {
  mode: ListenerMode;
  tls: ListenerTls;
  port?: number;
  host?: string;
  /** The connection log's moment: awaited before a refused connection is reset, or before its first request. */
  onConnection?(outcome: ConnectionOutcome): Promise<void> | void;
  /** Behind TLS: the WAF and the target. */
  handle(req: IncomingMessage, res: ServerResponse, context: RequestContext): Promise<void> | void;
}

export interface AlbListener {
  port: number;
  close(): Promise<void>;
}

/** ALB writes DNs as RFC 2253 (most significant last): Node prints them one attribute a line, most significant first. */
export function albDn(nodeName: string): string {
  return nodeName.split('\n').reverse().join(',');
}

/** URL-encoded PEM as ALB sends it: `+`, `=` and `/` stay as they are. */
function albUrlEncode(pem: string): string {
  return encodeURIComponent(pem).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/');
}

/** `2026-12-06T05:03:47Z`: the seconds-precision UTC time AWS writes in certificate validity fields. */
export function isoSeconds(date: string): string {
  return new Date(date).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** `NotBefore=…;NotAfter=…`: a certificate's validity as ALB's header and CloudFront's log and header write it. */
export function validityField(cert: X509Certificate): string {
  return `NotBefore=${isoSeconds(cert.validFrom)};NotAfter=${isoSeconds(cert.validTo)}`;
}

/** The X-Amzn-Mtls-Clientcert* headers ALB adds for the target (aws-reference.md). */
export function mtlsHeadersFor(mode: ListenerMode, chain: readonly Uint8Array[]): MtlsRequestHeaders {
  if (mode === 'off' || chain.length === 0) return {};
  const certs = chain.map((der) => new X509Certificate(der));
  if (mode === 'passthrough') return { 'x-amzn-mtls-clientcert': albUrlEncode(certs.map((c) => c.toString()).join('')) };
  const leaf = certs[0]!;
  return {
    'x-amzn-mtls-clientcert-serial-number': leaf.serialNumber.toUpperCase(),
    'x-amzn-mtls-clientcert-issuer': albDn(leaf.issuer),
    'x-amzn-mtls-clientcert-subject': albDn(leaf.subject),
    'x-amzn-mtls-clientcert-validity': validityField(leaf),
    'x-amzn-mtls-clientcert-leaf': albUrlEncode(leaf.toString()),
  };
}

/**
 * Sits between the TCP socket and the server's TLS, reading the client's handshake as it passes; once the client's
 * Certificate message is seen, `decide` may hold the rest of the flight back until it has answered.
 */
class InspectingGate extends SocketRelay {
  readonly keyLog = new KeyLog();
  readonly decoder: TlsSessionDecoder;
  private decision: 'pending' | 'deciding' | 'decided' = 'pending';
  private held: Buffer[] = [];

  constructor(socket: Socket, private readonly decide: ((chain: Uint8Array[]) => Promise<boolean>) | null) {
    super(socket);
    this.decoder = new TlsSessionDecoder(this.keyLog, () => undefined);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  private onData(data: Buffer): void {
    if (this.decision === 'deciding') {
      this.held.push(data);
      return;
    }
    // "out" is the client's side for the decoder.
    this.decoder.feed('out', 0, data);
    if (this.decide !== null && this.decision === 'pending' && this.decoder.state.clientCertificate !== null) {
      this.decision = 'deciding';
      this.held.push(data);
      void this.decide(this.decoder.state.clientCertificate.der ?? []).then((accepted) => {
        this.decision = 'decided';
        if (!accepted) {
          this.socket.resetAndDestroy();
          this.destroy();
          return;
        }
        for (const chunk of this.held.splice(0)) if (!this.push(chunk)) this.socket.pause();
      });
      return;
    }
    if (!this.push(data)) this.socket.pause();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.decoder.feed('in', 0, chunk);
    super._write(chunk, encoding, callback);
  }
}

function connTraceId(): string {
  return `TID_${randomBytes(16).toString('hex')}`;
}

/** What every connection of one listener shares. */
interface ListenerContext {
  options: AlbListenerOptions;
  secureContext: SecureContext;
  listenerPort: () => number;
  /** The outcome of each accepted connection, for its requests. */
  outcomes: WeakMap<TLSSocket, ConnectionOutcome>;
  /** Hands an accepted TLS connection to the HTTP stage. */
  serveHttp(socket: TLSSocket): void;
}

/** One TCP connection: the gate reads the handshake, verify mode judges the certificate, an accepted one goes on. */
function acceptConnection(raw: Socket, listener: ListenerContext): void {
  const { mode, tls, onConnection } = listener.options;
  raw.setNoDelay(true);
  raw.on('error', () => undefined);
  const started = performance.now();
  const base = { clientIp: (raw.remoteAddress ?? '').replace(/^::ffff:/, ''), clientPort: raw.remotePort ?? 0, listenerPort: listener.listenerPort() };
  const announce = async (outcome: ConnectionOutcome): Promise<void> => {
    await Promise.resolve(onConnection?.(outcome)).catch(() => undefined);
  };
  const gate = new InspectingGate(
    raw,
    mode !== 'verify'
      ? null
      : async (chain) => {
          const verifyStatus = verifyClientChain(chain, tls.trustStore);
          if (verifyStatus === 'Success') return true;
          const state = gate.decoder.state;
          // The handshake did not complete: like ALB, no cipher is named for it (the version the ServerHello chose is).
          await announce({ ...base, time: new Date(), tlsProtocol: state.version, tlsCipher: null, handshakeLatency: null, chain, verifyStatus, connTraceId: connTraceId() });
          return false;
        },
  );
  gate.on('error', () => undefined);
  const tlsSocket = new TLSSocket(gate, { isServer: true, secureContext: listener.secureContext, requestCert: mode !== 'off', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  tlsSocket.on('keylog', (line: Buffer) => gate.keyLog.add(line));
  tlsSocket.on('error', () => undefined);
  tlsSocket.once('secure', () => {
    // Reached only by connections the listener accepted: the connection log says Success.
    const chain = gate.decoder.state.clientCertificate?.der ?? [];
    const outcome: ConnectionOutcome = {
      ...base,
      time: new Date(),
      tlsProtocol: tlsSocket.getProtocol(),
      // OpenSSL's name, as ALB's logs write it (ECDHE-RSA-AES128-GCM-SHA256).
      tlsCipher: tlsSocket.getCipher()?.name ?? null,
      handshakeLatency: (performance.now() - started) / 1000,
      chain: [...chain],
      verifyStatus: 'Success',
      connTraceId: connTraceId(),
    };
    listener.outcomes.set(tlsSocket, outcome);
    tlsSocket.pause();
    void announce(outcome).then(() => {
      listener.serveHttp(tlsSocket);
      tlsSocket.resume();
    });
  });
}

export async function startAlbListener(options: AlbListenerOptions): Promise<AlbListener> {
  const { mode, tls } = options;
  const secureContext = createSecureContext({
    cert: tls.certPem,
    key: tls.keyPem,
    // The CA names the CertificateRequest lists come from here; ALB advertises them only when asked to.
    ...(tls.advertiseCaNames === true ? { ca: tls.trustStorePem } : {}),
    minVersion: 'TLSv1.2',
    maxVersion: tls.maxVersion ?? 'TLSv1.2',
  });
  const outcomes = new WeakMap<TLSSocket, ConnectionOutcome>();
  const http = createHttpServer({ keepAlive: false }, (req, res) => {
    const connection = outcomes.get(req.socket as TLSSocket);
    if (connection === undefined) {
      res.writeHead(500).end();
      return;
    }
    const context: RequestContext = { connection, mtlsHeaders: mtlsHeadersFor(mode, connection.chain), receivedAt: new Date() };
    void Promise.resolve(options.handle(req, res, context)).catch(() => {
      if (!res.headersSent) res.writeHead(502, { server: 'awselb/2.0' });
      res.end();
    });
  });
  const sockets = new Set<Socket>();
  let port = 0;
  const listener: ListenerContext = { options, secureContext, listenerPort: () => port, outcomes, serveHttp: (socket) => http.emit('connection', socket) };
  const server = createNetServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    acceptConnection(raw, listener);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        http.close();
        server.close(() => resolve());
      }),
  };
}
