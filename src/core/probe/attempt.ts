// One traced attempt, phase by phase: DNS, TCP connect, TLS handshake, then an HTTP exchange (or, handshake only,
// the moments after the handshake when TLS 1.3 servers still speak). Each phase is a method; `within` is the one
// place that applies a phase's time limit and the caller's cancel, and `close` the one place that closes it all.

import { lookup } from 'node:dns/promises';
import { Socket, isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import Client from 'undici/lib/dispatcher/client.js';
import { KeyLog } from '../tls/key-log';
import { WireDecoding } from '../tls/wire-decoding';
import { roundMs, type TraceEvent } from '../trace';
import { version } from '../version';
import { phase, secureContextFor, waitForConnect, waitForHandshake } from './connection';
import { HttpExchange } from './http-exchange';
import { decodeMtlsHeaders } from './mtls-headers';
import { PhaseTimeout, ProbeAbortedError, RenegotiationLimit, errorCode, errorMessage } from './probe-errors';
import { ProbeEventPublisher } from './probe-events';
import { renegotiationLimit } from './renegotiation';
import { TappedSocket } from './tapped-socket';
import type { AttemptFacts } from './verdict';
import type { HttpSummary, PhaseTimeouts, ProbeOptions, ProbePhase, ProbeResult, ProbeTarget } from './types';

/**
 * After a handshake-only probe, how long to listen for what TLS 1.3 servers send once the handshake is done (session
 * tickets, or their refusal of the client certificate): until the first of them arrives, at most this long, for a
 * server that sends nothing at all.
 */
const postHandshakeListenMs = 250;

// undici's own time limits, on the same budget as the HTTP phase's (clientOver): a timeout like the phase's.
const undiciTimeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The reason handed to undici when the attempt closes its client. Without one, undici makes a ClientDestroyedError per
 * probe and destroys the socket with it, and Node's stream destroy reads the error's stack at once: with source maps on
 * (tsx, --enable-source-maps) that alone cost ~0.4 ms a probe. One error, its stack read here once, serves them all.
 */
const attemptFinished: Error = Object.assign(new Error('The probe closed its HTTP client'), { code: 'ERR_PROBE_FINISHED' });
void attemptFinished.stack;

/** The attempt's TCP socket, not connected yet. noDelay: Nagle and delayed ACKs would stall the small handshake records. */
function newTcpSocket(): Socket {
  const socket = new Socket().setNoDelay(true);
  socket.on('error', () => undefined); // reported through the tap or the phase's promise
  return socket;
}

export type AttemptFailureFacts = Omit<AttemptFacts, 'tls' | 'peerClose' | 'bytesIn' | 'identity' | 'target' | 'at' | 'trust'>;

export class ProbeAttempt {
  readonly startedAt = new Date();
  readonly events: TraceEvent[] = [];
  readonly keyLog = new KeyLog();
  readonly timings: ProbeResult['timings'] = { dns: null, tcp: null, tls: null, firstByte: null, total: 0 };
  readonly facts: AttemptFailureFacts;
  /** The attempt's progress on node:diagnostics_channel (../events.ts). */
  readonly progress: ProbeEventPublisher;
  client: ProbeResult['client'] = { address: null, port: null };
  tap: TappedSocket | null = null;
  /** The tap's bytes, decoded as the attempt goes: in its idle moments, the rest at the end (outcomeOf). */
  wire: WireDecoding | null = null;
  tlsSocket: TLSSocket | null = null;
  serverCertificateVerified: boolean | null = null;
  serverCertificateError: string | undefined;
  negotiated: { version: string | null; cipher: string | null; alpn: string | null } = { version: null, cipher: null, alpn: null };
  private readonly start = performance.now();
  private readonly timeouts: PhaseTimeouts;
  private currentPhase: ProbePhase = 'dns';
  private rawSocket: Socket | null = null;
  /** The TLS client started before its connection was up (prepareHandshake), until handshake() takes it on. */
  private prepared: { tap: TappedSocket; socket: TLSSocket } | null = null;
  private prepareTried = false;
  private httpClient: Client | null = null;
  /** How many of the tap's chunks Node's TLS had read when the handshake completed: their keys are in the key log. */
  private handshakeChunks = 0;
  private pendingDecode: NodeJS.Immediate | null = null;
  /** Rejects when the server makes the attempt stop whatever phase it is in (a renegotiation without end). */
  private readonly interrupted: Promise<never>;
  private interrupt: (e: Error) => void = () => undefined;

  constructor(
    private readonly options: ProbeOptions,
    readonly target: ProbeTarget,
    private readonly url: URL,
    readonly correlationId: string,
    defaults: PhaseTimeouts,
  ) {
    this.timeouts = { ...defaults, ...options.timeouts };
    this.facts = { failedPhase: null, errorCode: null, errorMessage: null, timedOut: false, secureConnected: false, http: null, handshakeOnly: options.handshakeOnly === true, request: null, renegotiations: 0 };
    this.interrupted = new Promise<never>((_resolve, reject) => (this.interrupt = reject));
    this.interrupted.catch(() => undefined); // read by `within` when a phase is running, else nobody's concern
    this.progress = new ProbeEventPublisher(target, correlationId, options.runId, this.clock);
    this.progress.start(target, options.identity?.label ?? null, options.handshakeOnly === true);
    this.progress.enterPhase('dns');
    options.onPhase?.('dns');
  }

  clock = (): number => performance.now() - this.start;

  private note(layer: TraceEvent['layer'], event: string, detail?: Record<string, unknown>, dir: TraceEvent['dir'] = 'local', t = this.clock()): void {
    this.events.push({ t: roundMs(t), dir, layer, event, ...(detail ? { detail } : {}) });
  }

  private enter(next: ProbePhase): void {
    this.currentPhase = next;
    this.progress.enterPhase(next);
    this.options.onPhase?.(next);
  }

  /** The phase's time limit, the caller's cancel and the server's interruption, for one awaited step; each closes the connection. */
  private within<T>(name: string, ms: number, work: Promise<T>): Promise<T> {
    return phase(name, ms, this.options.signal, Promise.race([work, this.interrupted]), () => this.closeConnection());
  }

  /**
   * Closes the connection, undici first: it destroys the TLS socket itself and detaches its parser on that socket's
   * 'close'. Destroying the socket under it instead would reach its HTTP/1.1 error handler with no parser, and over
   * HTTP/2, once the client is destroyed too, would fail an assertion of undici's with a request in flight (a cancel or
   * a time limit in the HTTP phase): an uncaught exception. Its promise settles after the sockets' 'close' events (its
   * own bookkeeping): nobody needs to wait for it.
   */
  private closeConnection(): void {
    void this.httpClient?.destroy(attemptFinished).catch(() => undefined);
    this.tlsSocket?.destroy();
    this.tap?.destroy();
    this.prepared?.socket.destroy();
    this.prepared?.tap.destroy();
    this.rawSocket?.destroy();
  }

  /**
   * Starts TLS over the TCP socket before it is connected, as `tls.connect` does: Node's TLS objects and the ClientHello
   * are made while DNS and the TCP connect take their time, instead of after. The tap holds the ClientHello until the
   * connection is up, and captures it (its time too) only as it goes on the wire. Best effort: what TLS refuses to start
   * with (a key that does not match its certificate, say) is refused again by handshake(), in the TLS phase as before.
   */
  private prepareHandshake(): void {
    if (this.prepareTried) return;
    this.prepareTried = true;
    const raw = (this.rawSocket ??= newTcpSocket());
    const tap = new TappedSocket(raw, this.clock, { heldUntilConnect: true });
    try {
      this.prepared = { tap, socket: this.startTls(tap) };
    } catch {
      // The tap would take the TCP socket with it: it is left to handshake() to make again.
      tap.removeAllListeners();
      raw.removeAllListeners().on('error', () => undefined);
    }
  }

  /** The address to connect to: the connect-to host, or the URL's host resolved (an IP literal as is). */
  async resolve(): Promise<string> {
    const host = this.options.connectTo?.host ?? this.target.host;
    if (isIP(host) !== 0) {
      this.target.addresses = [host];
    } else {
      this.note('tcp', 'dns_lookup', { host });
      const t0 = this.clock();
      const lookedUp = lookup(host, { all: true, verbatim: true });
      // The lookup runs on libuv's threads: TLS is made ready meanwhile.
      this.prepareHandshake();
      const addresses = await this.within('DNS resolution', this.timeouts.dns, lookedUp);
      this.timings.dns = roundMs(this.clock() - t0);
      this.target.addresses = addresses.map((a) => a.address);
      this.note('tcp', 'dns_resolved', { host, addresses: this.target.addresses });
    }
    this.target.address = this.target.addresses[0]!;
    return this.target.address;
  }

  async connect(address: string): Promise<void> {
    this.enter('tcp');
    const port = this.options.connectTo?.port ?? this.target.port;
    const t0 = this.clock();
    this.note('tcp', 'connecting', { address, port }, 'out');
    const socket = (this.rawSocket ??= newTcpSocket());
    socket.connect({ host: address, port });
    // An address given as such had no lookup to overlap: the TCP handshake is under way now, TLS is made ready meanwhile.
    this.prepareHandshake();
    await this.within('TCP connect', this.timeouts.connect, waitForConnect(socket));
    // The moment the tap saw the connection come up, when it holds the ClientHello: that goes out from then on, so the
    // trace never shows it before the connection.
    const connectedAt = this.prepared?.tap.connectedAt ?? this.clock();
    this.timings.tcp = roundMs(connectedAt - t0);
    this.client = { address: socket.localAddress ?? null, port: socket.localPort ?? null };
    this.note('tcp', 'connected', { address, port, localAddress: this.client.address, localPort: this.client.port }, 'in', connectedAt);
  }

  async handshake(): Promise<void> {
    this.enter('tls');
    const t0 = this.clock();
    const { options } = this;
    let prepared = this.prepared;
    this.prepared = null;
    if (prepared === null) {
      const tap = new TappedSocket(this.rawSocket!, this.clock);
      prepared = { tap, socket: this.startTls(tap) };
    }
    const { tap, socket } = prepared;
    this.tap = tap;
    this.wire = new WireDecoding(tap.chunks, this.keyLog);
    this.tlsSocket = socket;
    await this.within('TLS handshake', this.timeouts.tls, waitForHandshake(socket));
    this.handshakeChunks = tap.chunks.length;
    // Each later 'secure' is a renegotiation the server asked for (TLS 1.2) and the client went through.
    socket.on('secure', () => this.renegotiated());
    this.timings.tls = roundMs(this.clock() - t0);
    this.facts.secureConnected = true;
    this.serverCertificateVerified = options.insecure === true ? socket.authorized : true;
    if (!socket.authorized && socket.authorizationError) this.serverCertificateError = String(socket.authorizationError);
    this.negotiated = {
      version: socket.getProtocol() ?? null,
      cipher: socket.getCipher()?.standardName ?? null,
      alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    };
    this.note('tls', 'established', { ...this.negotiated, serverCertificateVerified: this.serverCertificateVerified });
  }

  /** Node's TLS client over the tap; its key log feeds the attempt's. */
  private startTls(tap: TappedSocket): TLSSocket {
    const { options } = this;
    const serverName = this.target.serverName;
    const socket = tlsConnect({
      socket: tap,
      ...(serverName !== null ? { servername: serverName } : {}),
      secureContext: secureContextFor(options),
      rejectUnauthorized: options.insecure !== true,
      ALPNProtocols: options.handshakeOnly ? options.alpn ?? [] : options.alpn ?? ['h2', 'http/1.1'],
      // The name check uses the URL host (or the SNI override) even when connecting elsewhere,
      // as curl --connect-to does; `host` is only used for that check since the socket is given.
      host: serverName ?? this.target.host,
    });
    socket.on('keylog', (line: Buffer) => this.keyLog.add(line));
    socket.on('error', () => undefined);
    return socket;
  }

  /**
   * Decodes the handshake's bytes at the next idle moment — setImmediate runs after the request has gone out — while
   * the server works on it, so that the decode is not added to the probe's time once the answer is in.
   */
  private decodeWhileWaiting(): void {
    const upTo = this.handshakeChunks;
    this.pendingDecode = setImmediate(() => {
      this.pendingDecode = null;
      this.wire?.decodeUpTo(upTo);
    });
  }

  /** One more renegotiation done: past the limit, the attempt stops here rather than follow the server without end. */
  private renegotiated(): void {
    const count = (this.facts.renegotiations ?? 0) + 1;
    this.facts.renegotiations = count;
    if (count <= renegotiationLimit) return;
    this.closeConnection();
    this.interrupt(new RenegotiationLimit(count, renegotiationLimit));
  }

  /**
   * Handshake only: a TLS 1.3 server still speaks after the handshake — session tickets, or its refusal of the client
   * certificate (an alert on the first read). Listen until the first of those, or the connection's end, within a
   * short limit for a server that says nothing. TLS 1.2 servers have said everything by their Finished.
   */
  async listenAfterHandshake(): Promise<void> {
    const socket = this.tlsSocket!;
    if (this.negotiated.version !== 'TLSv1.3') return;
    this.decodeWhileWaiting();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const event of ['session', 'close', 'end', 'error'] as const) socket.off(event, done);
        resolve();
      };
      const timer = setTimeout(done, postHandshakeListenMs);
      for (const event of ['session', 'close', 'end', 'error'] as const) socket.once(event, done);
      // A paused socket reads nothing: let the post-handshake records in (application data is not expected).
      socket.resume();
    });
  }

  /** The request through undici over the traced TLS socket, the response headers, and the first bytes of the body. */
  async exchange(): Promise<void> {
    this.enter('http');
    const { options, url } = this;
    const h2 = this.negotiated.alpn === 'h2';
    this.httpClient = this.clientOver(this.tlsSocket!, h2);
    const method = (options.method ?? 'GET').toUpperCase();
    const path = `${url.pathname}${url.search}`;
    const headers: Record<string, string> = {
      'user-agent': `mtls-probe/${version}`,
      accept: '*/*',
      ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      'x-amzn-trace-id': this.correlationId,
    };
    if (options.hostHeader) headers.host = options.hostHeader;
    const httpVersion = h2 ? 'HTTP/2' : 'HTTP/1.1';
    this.note('http', 'request', { method, path, httpVersion, headers }, 'out');
    this.facts.request = { method, path, t: roundMs(this.clock()) };
    const t0 = this.clock();
    const exchange = new HttpExchange(this.httpClient, { path, method, headers, ...(options.body !== undefined ? { body: options.body } : {}) }, options.bodyPreviewBytes ?? 1024);
    this.decodeWhileWaiting();
    const response = await this.within('HTTP response', this.timeouts.http, exchange.head);
    this.timings.firstByte = roundMs(this.clock() - t0);
    this.note('http', 'response', { status: response.status, headers: response.headers }, 'in');
    // The response is known from its headers on: a body that then stalls or breaks off is said of this response.
    const http: HttpSummary = { status: response.status, httpVersion, headers: response.headers, bodyPreview: '', bodyBytes: 0, bodyComplete: false };
    const mtlsHeaders = decodeMtlsHeaders(response.headers);
    if (mtlsHeaders) http.mtlsHeaders = mtlsHeaders;
    this.facts.http = http;
    // The body stays bytes as sent: undici decodes no Content-Encoding, so a gzip bomb is never inflated.
    try {
      await this.within('HTTP body', this.timeouts.http, exchange.body);
    } finally {
      const body = exchange.preview();
      http.bodyPreview = body.preview.toString('utf8');
      http.bodyBytes = body.bytes;
      http.bodyComplete = body.complete;
      this.note('http', 'body', { bytes: body.bytes, complete: body.complete, preview: http.bodyPreview.slice(0, 200) }, 'in');
    }
  }

  /** An undici client whose one connection is the traced socket: undici speaks HTTP, the tap sees every byte. */
  private clientOver(secured: TLSSocket, h2: boolean): Client {
    let handedOver = false;
    return new Client(`https://${this.url.host}`, {
      connect: (_opts, callback) => {
        if (handedOver) {
          // undici asks again only when the traced connection closed before the request was answered.
          callback(Object.assign(new Error('The server closed the connection before the request was answered'), { code: 'ERR_PROBE_CONNECTION_CLOSED' }), null);
          return;
        }
        handedOver = true;
        // Asynchronously, as a real connector would: undici ignores a resume from inside its own loop.
        process.nextTick(() => callback(null, secured));
      },
      allowH2: h2,
      pipelining: 1,
      headersTimeout: this.timeouts.http,
      bodyTimeout: this.timeouts.http,
    });
  }

  /** A network outcome ends the attempt as facts for the verdict. */
  fail(e: unknown): void {
    const current = this.currentPhase;
    this.facts.failedPhase = current;
    this.facts.errorCode = errorCode(e);
    this.facts.errorMessage = errorMessage(e);
    this.facts.timedOut = e instanceof PhaseTimeout || undiciTimeouts.has(this.facts.errorCode);
    this.progress.endPhase({ code: this.facts.errorCode, message: this.facts.errorMessage, timedOut: this.facts.timedOut });
    if (this.facts.timedOut) this.note('tcp', 'timeout', { phase: current, message: this.facts.errorMessage });
    else this.note(current === 'dns' ? 'tcp' : current, 'error', { code: this.facts.errorCode, message: this.facts.errorMessage });
  }

  /** The caller's cancel: the attempt ends here, its connection closed, and the cancel goes on up. */
  async cancel(e: ProbeAbortedError): Promise<never> {
    await this.close();
    this.progress.cancelled({ code: e.code, message: e.message });
    throw e;
  }

  /**
   * Destroys everything at once, and resolves when the TCP socket's handle is closed: its file descriptor is released
   * by the destroy itself, its libuv handle a turn of the loop later. So when probe() returns nothing of its connection
   * remains (test/integration/load.test.ts counts descriptors after 1,000 probes; the extension host's active handles
   * are counted after 100). Nothing more is read from the moment this is called: the outcome is made meanwhile.
   */
  close(): Promise<void> {
    if (this.pendingDecode !== null) clearImmediate(this.pendingDecode);
    this.closeConnection();
    // Only the TCP socket holds a handle: the TLS socket and the tap are streams over it, and undici's promise settles
    // a turn after their 'close' events, for its own bookkeeping.
    const raw = this.rawSocket;
    return raw === null || raw.closed ? Promise.resolve() : new Promise((resolve) => raw.once('close', () => resolve()));
  }
}
