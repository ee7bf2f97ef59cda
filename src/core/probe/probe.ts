import { createHash, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import Client from 'undici/lib/dispatcher/client.js';
import undiciRequest from 'undici/lib/api/api-request.js';
import { summarizeCertificate, type CertificateSummary } from '../certs/certificate-summary';
import { KeyLog } from '../tls/key-log';
import { decodeWire } from '../tls/session-decoder';
import { roundMs, type TraceEvent } from '../trace';
import { decodeMtlsHeaders } from './mtls-headers';
import { describeHandshakePhase } from './phase';
import { TappedSocket } from './tapped-socket';
import type { HttpSummary, PhaseTimeouts, ProbeOptions, ProbeOutcome, ProbePhase, ProbeResult, ProbeTarget } from './types';
import { classifyAttempt, identityFacts, isServerCertificateError, type AttemptFacts } from './verdict';
import { BoundedCache } from '../bounded-cache';

export const defaultTimeouts: PhaseTimeouts = { dns: 5000, connect: 5000, tls: 10000, http: 15000 };

/** Bad probe options (not a network outcome): the caller must fix its input. */
export class ProbeInputError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ProbeInputError';
  }
}

export class ProbeAbortedError extends Error {
  readonly code = 'ABORT_ERR';
  constructor() {
    super('The probe was cancelled.');
    this.name = 'AbortError';
  }
}

class PhaseTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(phase: string, ms: number) {
    super(`${phase} timed out after ${ms} ms`);
  }
}

// Building a SecureContext parses the CA bundle, certificate and key (~1 ms). Probes with the same
// identity and trust settings share one: a matrix or a re-probe pays it once. A client context carries
// no session cache that Node resumes from on its own, so every probe stays a full handshake.
const contextsByIdentity = new WeakMap<object, BoundedCache<string, SecureContext>>();
const noIdentity = {};

function secureContextFor(options: ProbeOptions): SecureContext {
  const owner = options.identity ?? noIdentity;
  let contexts = contextsByIdentity.get(owner);
  if (contexts === undefined) {
    contexts = new BoundedCache(16);
    contextsByIdentity.set(owner, contexts);
  }
  const caKey = options.ca === undefined ? 'system' : createHash('sha256').update(options.ca).digest('base64');
  const key = `${caKey}|${options.tlsMinVersion ?? 'TLSv1.2'}|${options.tlsMaxVersion ?? ''}`;
  return contexts.getOrCreate(key, () =>
    createSecureContext({
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.identity ? { cert: options.identity.certificatePem, key: options.identity.tlsKey() } : {}),
      minVersion: options.tlsMinVersion ?? 'TLSv1.2',
      ...(options.tlsMaxVersion ? { maxVersion: options.tlsMaxVersion } : {}),
    }),
  );
}

/** `X-Amzn-Trace-Id: Root=1-<8 hex epoch seconds>-<24 hex>`, the id ALB access logs and WAF logs carry. */
export function newCorrelationId(now = Date.now()): string {
  return `Root=1-${Math.floor(now / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

function errorCode(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { cause?: unknown };
  if (typeof err?.code === 'string' && err.code.length > 0) return err.code;
  if (err?.cause) return errorCode(err.cause);
  return 'EUNKNOWN';
}

// OpenSSL's error-queue lines: "<thread>:error:<code>:<library>:<function>:<reason>:<source file>:<line>:<data>".
const opensslErrorLine = /[0-9A-F]+:error:[0-9A-F]{8}:[^:\n]*:[^:\n]*:([^:\n]+):[^:\n]*\.c:\d+:([^\n]*)/g;

/**
 * The error as one line for the trace, JSON and the terminal. OpenSSL's queue lines carry a thread id and the path
 * of its C source file, which say nothing to a reader (the error's code already names it): each becomes
 * "reason (data)", e.g. "sslv3 alert handshake failure (SSL alert number 40)".
 */
function errorMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  const readable = raw.replace(opensslErrorLine, (_line, reason: string, data: string) => `${reason.trim()}${data.trim() ? ` (${data.trim()})` : ''}`);
  return readable
    .split(/\r?\n/)
    .map((part) => part.trim())
    .filter((part, i, parts) => part.length > 0 && parts.indexOf(part) === i)
    .join('; ');
}

/** Races a phase against its timeout and the caller's AbortSignal; `cleanup` runs on timeout or abort. */
function phase<T>(name: string, ms: number, signal: AbortSignal | undefined, work: Promise<T>, cleanup: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new PhaseTimeout(name, ms));
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      cleanup();
      reject(new ProbeAbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function parseTarget(options: ProbeOptions): { url: URL; host: string; port: number } {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ProbeInputError('bad_url', `"${options.url}" is not a URL: give one like https://api.example.com/health.`);
  }
  if (url.protocol !== 'https:') {
    throw new ProbeInputError('bad_url', `"${options.url}" is not an https:// URL: mTLS needs TLS.`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { url, host, port: url.port ? Number(url.port) : 443 };
}

function waitForConnect(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
}

function waitForHandshake(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      resolve();
    });
    socket.once('error', onError);
    socket.once('close', () => reject(Object.assign(new Error('The connection closed during the TLS handshake'), { code: 'ECONNRESET' })));
  });
}

async function readBodyPreview(body: AsyncIterable<Buffer>, limit: number): Promise<{ preview: Buffer; bytes: number }> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    bytes += chunk.length;
    if (bytes >= limit) break;
  }
  return { preview: Buffer.concat(parts).subarray(0, limit), bytes };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * One traced attempt: DNS → TCP → TLS → HTTP. Never throws for a network outcome: every failure
 * becomes a verdict. Throws ProbeInputError for bad options and ProbeAbortedError when cancelled.
 */
export async function probe(options: ProbeOptions): Promise<ProbeOutcome> {
  const { url, host, port } = parseTarget(options);
  const timeouts: PhaseTimeouts = { ...defaultTimeouts, ...options.timeouts };
  const signal = options.signal;
  if (signal?.aborted) throw new ProbeAbortedError();

  const startedAt = new Date();
  const start = performance.now();
  const clock = (): number => performance.now() - start;
  const events: TraceEvent[] = [];
  const local = (layer: TraceEvent['layer'], event: string, detail?: Record<string, unknown>, dir: TraceEvent['dir'] = 'local'): void => {
    events.push({ t: roundMs(clock()), dir, layer, event, ...(detail ? { detail } : {}) });
  };
  const correlationId = options.correlationId ?? newCorrelationId(startedAt.getTime());
  const serverName = options.serverName ?? (isIP(host) ? null : host);
  const target: ProbeTarget = {
    url: url.toString(),
    host,
    port,
    serverName,
    address: null,
    addresses: [],
    ...(options.connectTo ? { connectTo: `${options.connectTo.host}:${options.connectTo.port}` } : {}),
  };
  const timings: ProbeResult['timings'] = { dns: null, tcp: null, tls: null, firstByte: null, total: 0 };
  const keyLog = new KeyLog();
  const facts: Omit<AttemptFacts, 'tls' | 'peerClose' | 'bytesIn'> = {
    failedPhase: null,
    errorCode: null,
    errorMessage: null,
    timedOut: false,
    secureConnected: false,
    http: null,
    handshakeOnly: options.handshakeOnly === true,
  };
  let currentPhase: ProbePhase = 'dns';
  const enter = (phase: ProbePhase): void => {
    currentPhase = phase;
    options.onPhase?.(phase);
  };
  options.onPhase?.('dns');
  let rawSocket: Socket | null = null;
  let tap: TappedSocket | null = null;
  let tlsSocket: TLSSocket | null = null;
  let serverCertificateVerified: boolean | null = null;
  let serverCertificateError: string | undefined;
  let negotiated: { version: string | null; cipher: string | null; alpn: string | null } = { version: null, cipher: null, alpn: null };
  let client: Client | null = null;
  let clientAddress: ProbeResult['client'] = { address: null, port: null };

  const destroyAll = (): void => {
    tlsSocket?.destroy();
    tap?.destroy();
    rawSocket?.destroy();
  };

  try {
    // DNS
    const connectHost = options.connectTo?.host ?? host;
    const connectPort = options.connectTo?.port ?? port;
    let address = connectHost;
    if (isIP(connectHost) === 0) {
      local('tcp', 'dns_lookup', { host: connectHost });
      const t0 = clock();
      const addresses = await phase('DNS resolution', timeouts.dns, signal, lookup(connectHost, { all: true, verbatim: true }), () => undefined);
      timings.dns = roundMs(clock() - t0);
      target.addresses = addresses.map((a) => a.address);
      address = addresses[0]!.address;
      local('tcp', 'dns_resolved', { host: connectHost, addresses: target.addresses });
    } else {
      target.addresses = [connectHost];
    }
    target.address = address;

    // TCP
    enter('tcp');
    const t1 = clock();
    local('tcp', 'connecting', { address, port: connectPort }, 'out');
    rawSocket = netConnect({ host: address, port: connectPort, noDelay: true });
    rawSocket.on('error', () => undefined); // reported through the tap or the phase promise
    await phase('TCP connect', timeouts.connect, signal, waitForConnect(rawSocket), destroyAll);
    timings.tcp = roundMs(clock() - t1);
    clientAddress = { address: rawSocket.localAddress ?? null, port: rawSocket.localPort ?? null };
    local('tcp', 'connected', { address, port: connectPort, localAddress: clientAddress.address, localPort: clientAddress.port }, 'in');

    // TLS
    enter('tls');
    const t2 = clock();
    tap = new TappedSocket(rawSocket, clock);
    tlsSocket = tlsConnect({
      socket: tap,
      ...(serverName !== null ? { servername: serverName } : {}),
      secureContext: secureContextFor(options),
      rejectUnauthorized: options.insecure !== true,
      ALPNProtocols: options.handshakeOnly ? options.alpn ?? [] : options.alpn ?? ['h2', 'http/1.1'],
      // The name check uses the URL host (or the SNI override) even when connecting elsewhere,
      // as curl --connect-to does; `host` is only used for that check since the socket is given.
      host: serverName ?? host,
    });
    tlsSocket.on('keylog', (line: Buffer) => keyLog.add(line));
    tlsSocket.on('error', () => undefined);
    await phase('TLS handshake', timeouts.tls, signal, waitForHandshake(tlsSocket), destroyAll);
    timings.tls = roundMs(clock() - t2);
    facts.secureConnected = true;
    serverCertificateVerified = options.insecure === true ? tlsSocket.authorized : true;
    if (!tlsSocket.authorized && tlsSocket.authorizationError) serverCertificateError = String(tlsSocket.authorizationError);
    negotiated = {
      version: tlsSocket.getProtocol() ?? null,
      cipher: tlsSocket.getCipher()?.standardName ?? null,
      alpn: typeof tlsSocket.alpnProtocol === 'string' ? tlsSocket.alpnProtocol : null,
    };
    local('tls', 'established', { version: negotiated.version, cipher: negotiated.cipher, alpn: negotiated.alpn, serverCertificateVerified });

    if (options.handshakeOnly) {
      // TLS 1.3 servers send tickets, or their verdict on the client certificate, after the handshake.
      await new Promise((resolve) => setTimeout(resolve, 100));
    } else {
      // HTTP, through undici over the traced TLS socket.
      enter('http');
      const secured = tlsSocket;
      let handedOver = false;
      const h2 = negotiated.alpn === 'h2';
      client = new Client(`https://${url.host}`, {
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
        headersTimeout: timeouts.http,
        bodyTimeout: timeouts.http,
      });
      const method = (options.method ?? 'GET').toUpperCase();
      const path = `${url.pathname}${url.search}`;
      const headers: Record<string, string> = {
        'user-agent': 'mtls-probe/0.1',
        accept: '*/*',
        ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        'x-amzn-trace-id': correlationId,
      };
      if (options.hostHeader) headers.host = options.hostHeader;
      local('http', 'request', { method, path, httpVersion: h2 ? 'HTTP/2' : 'HTTP/1.1', headers }, 'out');
      const t3 = clock();
      const response = await phase(
        'HTTP response',
        timeouts.http,
        signal,
        undiciRequest.call(client, { path, method, headers, ...(options.body !== undefined ? { body: options.body } : {}) }),
        destroyAll,
      );
      timings.firstByte = roundMs(clock() - t3);
      const responseHeaders = flattenHeaders(response.headers);
      local('http', 'response', { status: response.statusCode, headers: responseHeaders }, 'in');
      const { preview, bytes } = await phase('HTTP body', timeouts.http, signal, readBodyPreview(response.body, options.bodyPreviewBytes ?? 1024), destroyAll);
      const http: HttpSummary = {
        status: response.statusCode,
        httpVersion: h2 ? 'HTTP/2' : 'HTTP/1.1',
        headers: responseHeaders,
        bodyPreview: preview.toString('utf8'),
        bodyBytes: bytes,
      };
      const mtlsHeaders = decodeMtlsHeaders(responseHeaders);
      if (mtlsHeaders) http.mtlsHeaders = mtlsHeaders;
      facts.http = http;
      local('http', 'body', { bytes, preview: http.bodyPreview.slice(0, 200) }, 'in');
    }
  } catch (e) {
    if (e instanceof ProbeAbortedError) {
      destroyAll();
      throw e;
    }
    facts.failedPhase = currentPhase;
    facts.errorCode = errorCode(e);
    facts.errorMessage = errorMessage(e);
    facts.timedOut = e instanceof PhaseTimeout;
    if (facts.timedOut) local('tcp', 'timeout', { phase: currentPhase, message: facts.errorMessage });
    else local(currentPhase === 'dns' ? 'tcp' : currentPhase, 'error', { code: facts.errorCode, message: facts.errorMessage });
  } finally {
    // undici must finish with the socket before it is destroyed under it (its error handler assumes a parser).
    if (client !== null) await client.destroy().catch(() => undefined);
    destroyAll();
  }

  // Decode what crossed the wire and merge it with the TCP and HTTP events.
  const chunks = tap?.chunks ?? [];
  const { events: tlsEvents, state } = decodeWire(chunks, keyLog, clock());
  const ccsTimes = { out: [] as number[], in: [] as number[] };
  for (const ev of tlsEvents) if (ev.event === 'change_cipher_spec' && ev.dir !== 'local') ccsTimes[ev.dir].push(ev.t);

  let peerClose: AttemptFacts['peerClose'] = null;
  for (const s of tap?.signals ?? []) {
    if (s.kind === 'fin' || s.kind === 'reset') {
      const phaseWords = describeHandshakePhase(state, s.t, ccsTimes);
      peerClose ??= { kind: s.kind, t: s.t, phase: phaseWords };
      events.push({ t: roundMs(s.t), dir: 'in', layer: 'tcp', event: s.kind === 'fin' ? 'fin' : 'reset', detail: { phase: phaseWords, ...(s.kind === 'reset' ? { code: s.code } : {}) } });
    }
  }
  // A stalled handshake says where it stalled.
  for (const ev of events) {
    if (ev.event === 'timeout' && ev.detail?.phase === 'tls') ev.detail.during = describeHandshakePhase(state, ev.t, ccsTimes);
  }
  const trace = [...events, ...tlsEvents].sort((a, b) => a.t - b.t);

  timings.total = roundMs(clock());
  if (serverCertificateError === undefined && isServerCertificateError(facts.errorCode)) {
    serverCertificateVerified = false;
    serverCertificateError = facts.errorCode ?? undefined;
  }
  const serverCertificates: CertificateSummary[] = state.serverCertificate?.certificates ?? [];
  if (serverCertificates.length === 0 && tlsSocket !== null && facts.secureConnected) {
    const peer = tlsSocket.getPeerX509Certificate();
    if (peer) serverCertificates.push(summarizeCertificate(peer.raw));
  }
  const bytesIn = tap?.total.in ?? 0;
  const verdict = classifyAttempt({
    ...facts,
    tls: state,
    peerClose,
    bytesIn,
    identity: options.identity ? identityFacts(options.identity.chain) : null,
    target: { url: target.url, host, port, serverName, serverNameGiven: options.serverName !== undefined, address: target.address },
    at: startedAt.getTime(),
    trust: options.ca !== undefined ? 'cacert' : 'system',
  });
  const clientCertificate = state.clientCertificate;

  const result: ProbeResult = {
    target,
    identity: options.identity?.summary() ?? null,
    timings,
    tls: {
      version: state.version ?? negotiated.version,
      cipher: state.cipherSuite ?? negotiated.cipher,
      alpn: state.alpn ?? negotiated.alpn,
      serverCertificates,
      certificateRequest: state.certificateRequest
        ? {
            ...(state.certificateRequest.certificateTypes ? { certificateTypes: state.certificateRequest.certificateTypes } : {}),
            signatureAlgorithms: state.certificateRequest.signatureAlgorithms,
            authorities: state.certificateRequest.authorities,
          }
        : null,
      clientCertificateSent: clientCertificate !== null && !clientCertificate.empty,
      serverCertificateVerified,
      ...(serverCertificateError ? { serverCertificateError } : {}),
    },
    trace,
    http: facts.http,
    correlationId,
    verdict,
    client: clientAddress,
    startedAt: startedAt.toISOString(),
    error: facts.errorCode ? { code: facts.errorCode, message: facts.errorMessage ?? '' } : null,
  };
  return { result, keyLog: keyLog.toString(), wire: chunks };
}
