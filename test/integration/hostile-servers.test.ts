// Servers that attack the client rather than refuse it: each is a real local server (node:tls, node:https,
// node:http2) on port 0, and each probe must end in a verdict a person can act on, by a cause the probe controls (a
// limit, a cap, its configured time limit), with its memory bounded and no socket left open behind it.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import tlsModule, { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { newKeys, serialNumber, signingAlgorithm } from '../../src/core/pki/pki-keys';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';
import { probe } from '../../src/core/probe/probe';
import { renegotiationLimit } from '../../src/core/probe/renegotiation';
import type { ProbeOptions, ProbeOutcome, ProbeResult } from '../../src/core/probe/types';
import { listenTracked, openFileDescriptors, socketsOnLocalPort, type TrackedServer } from '../support/tracked-server';

let pki: TestPki;
const started: TrackedServer[] = [];

async function serve(server: Server): Promise<TrackedServer> {
  const tracked = await listenTracked(server);
  started.push(tracked);
  return tracked;
}

function explain(result: ProbeResult): string {
  const trace = result.trace.map((e) => `${e.t} ${e.dir} ${e.layer} ${e.event} ${JSON.stringify({ ...e.detail, bytes: undefined }).slice(0, 160)}`);
  return `${result.verdict.stoppedAt}/${result.verdict.reason}: ${result.verdict.summary}\nhint: ${result.verdict.hint}\n${trace.join('\n')}`;
}

function expectVerdict(result: ProbeResult, stoppedAt: string | null, reason: string): void {
  assert.equal(`${result.verdict.stoppedAt}/${result.verdict.reason}`, `${stoppedAt}/${reason}`, explain(result));
}

/** Bytes of the wire the probe kept, per direction: the tap's capture is capped at 1 MiB each way. */
function capturedBytes(outcome: ProbeOutcome, dir: 'in' | 'out'): number {
  return outcome.wire.filter((c) => c.dir === dir).reduce((n, c) => n + c.data.length, 0);
}

/**
 * The probe, then the proof that it left nothing open: its own socket is closed by the time probe() returns, whatever
 * the server does with its end; and once the server's ends have closed too (the event, not a sleep), the process
 * holds as many file descriptors, and sockets, as before the probe.
 */
async function probeLeavingNothing(server: TrackedServer, options: Omit<ProbeOptions, 'url'> = {}): Promise<ProbeOutcome> {
  const before = openFileDescriptors();
  const outcome = await probe({ url: `https://127.0.0.1:${server.port}/`, ca: pki.rootCa.certPem, ...options });
  const clientPort = outcome.result.client.port;
  assert.ok(clientPort !== null, 'the probe connected');
  assert.equal(socketsOnLocalPort(clientPort), 0, "the probe's socket is closed when probe() returns");
  await server.dropConnections();
  assert.ok(server.accepted > 0, 'the probe reached the server');
  assert.deepEqual(openFileDescriptors(), before, 'file descriptors and sockets are back to what they were before the probe');
  return outcome;
}

const tlsOptions = (): { cert: string; key: string } => ({ cert: pki.server.certPem, key: pki.server.keyPem });

before(async () => {
  pki = await generateTestPki();
  // The first probe of the process opens what Node keeps for good (the thread pool's, crypto's): not a leak.
  const warmUp = await serve(createTlsServer(tlsOptions(), (s) => s.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n')) as unknown as Server);
  await probe({ url: `https://127.0.0.1:${warmUp.port}/`, ca: pki.rootCa.certPem, alpn: ['http/1.1'] });
  await warmUp.close();
});

after(async () => {
  await Promise.all(started.map((s) => s.close()));
});

describe('a TLS 1.2 server that renegotiates again and again', () => {
  // Node's servers refuse more than tls.CLIENT_RENEG_LIMIT handshakes per CLIENT_RENEG_WINDOW on a connection, their
  // own included: lift that for these test servers so they keep asking, as a hostile server would. (Node reads it from
  // its module object at each handshake; the probe, a client, has its own limit.)
  const settings: { CLIENT_RENEG_LIMIT: number } = tlsModule;
  const savedLimit = settings.CLIENT_RENEG_LIMIT;
  before(() => {
    settings.CLIENT_RENEG_LIMIT = Number.MAX_SAFE_INTEGER;
  });
  after(() => {
    settings.CLIENT_RENEG_LIMIT = savedLimit;
  });

  /** Once the request arrives, renegotiates `times` times in a row (without end when Infinity), then answers 200. */
  function renegotiatingServer(times: number): { server: Server; asked: () => number } {
    let asked = 0;
    const server = createTlsServer({ ...tlsOptions(), maxVersion: 'TLSv1.2' }, (socket: TLSSocket) => {
      socket.on('error', () => undefined);
      const again = (left: number): void => {
        if (socket.destroyed) return;
        if (left === 0) {
          socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
          return;
        }
        asked++;
        socket.renegotiate({ rejectUnauthorized: false }, (err) => {
          if (err === null || err === undefined) again(left - 1);
        });
      };
      socket.once('data', () => again(times));
    });
    return { server: server as unknown as Server, asked: () => asked };
  }

  test('without end: the probe stops following at its limit, and says so (too_many_renegotiations)', async () => {
    const { server, asked } = renegotiatingServer(Infinity);
    const tracked = await serve(server);
    const { result } = await probeLeavingNothing(tracked, { alpn: ['http/1.1'], timeouts: { http: 10_000 } });
    expectVerdict(result, 'tls', 'too_many_renegotiations');
    // Stopped by the limit, not by the time limit: Node's client alone would have renegotiated for all 10 s.
    assert.equal(result.error?.code, 'ERR_PROBE_RENEGOTIATION_LIMIT');
    assert.ok(asked() <= renegotiationLimit + 2, `the server asked ${asked()} times`);
    assert.match(result.verdict.summary, new RegExp(`again and again after the request for GET /: ${renegotiationLimit + 1} renegotiations and no HTTP response`));
    assert.match(result.verdict.summary, new RegExp(`at most ${renegotiationLimit}, the limit Node's TLS servers set`));
    assert.ok(result.trace.length < 200, `${result.trace.length} trace events`);
    assert.match(result.verdict.hint ?? '', /--tls-min 1\.3/);
    assert.equal(result.tls.renegotiation?.after, 'GET /');
    assert.equal(result.trace.filter((e) => e.event === 'renegotiation').length, 1);
  });

  test(`up to the limit (${renegotiationLimit} renegotiations) the probe follows, and the answer is the target's`, async () => {
    const { server } = renegotiatingServer(renegotiationLimit);
    const tracked = await serve(server);
    const { result } = await probeLeavingNothing(tracked, { alpn: ['http/1.1'] });
    expectVerdict(result, null, 'target_responded');
    assert.equal(result.http?.status, 200);
    assert.match(result.verdict.summary, /The server renegotiated after the request for GET \//);
  });
});

describe('an HTTP/2 server that sends GOAWAY at once', () => {
  function goawayServer(code: number): Server {
    const server = createSecureServer(tlsOptions());
    server.on('stream', (stream: ServerHttp2Stream) => stream.on('error', () => undefined));
    server.on('session', (session: Http2Session) => {
      session.on('error', () => undefined);
      session.goaway(code);
    });
    return server as unknown as Server;
  }

  test('GOAWAY NO_ERROR before the request is answered: http, h2_goaway, the code named and what to do', async () => {
    const tracked = await serve(goawayServer(0));
    const { result } = await probeLeavingNothing(tracked);
    expectVerdict(result, 'http', 'h2_goaway');
    assert.equal(result.tls.alpn, 'h2');
    assert.equal(result.http, null);
    assert.equal(result.fallback, undefined);
    assert.match(result.verdict.summary, /ended the HTTP\/2 connection with GOAWAY \(NO_ERROR, 0\) before answering GET \/, and no response came\. NO_ERROR means a graceful shutdown/);
    assert.match(result.verdict.hint ?? '', /Probe again/);
  });

  test('GOAWAY HTTP_1_1_REQUIRED: the hint is to probe over HTTP/1.1', async () => {
    const tracked = await serve(goawayServer(13));
    const { result } = await probeLeavingNothing(tracked);
    expectVerdict(result, 'http', 'h2_goaway');
    assert.match(result.verdict.summary, /GOAWAY \(HTTP_1_1_REQUIRED, 13\)/);
    assert.match(result.verdict.hint ?? '', /--alpn http\/1\.1/);
  });
});

describe('a response body that never ends', () => {
  test('sent as fast as the client reads: the probe keeps its preview and stops reading (target_responded)', async () => {
    const tracked = await serve(
      createHttpsServer(tlsOptions(), (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      }) as unknown as Server,
    );
    const outcome = await probeLeavingNothing(tracked, { alpn: ['http/1.1'] });
    const { result } = outcome;
    expectVerdict(result, null, 'target_responded');
    assert.equal(result.error, null, 'not ended by a time limit');
    assert.equal(result.http?.bodyComplete, false);
    assert.equal(result.http?.bodyPreview, 'a'.repeat(1024));
    assert.ok(result.http!.bodyBytes < 1024 * 1024, `${result.http!.bodyBytes} bytes read`);
    assert.ok(capturedBytes(outcome, 'in') <= 1024 * 1024 + 64 * 1024);
  });

  test('trickled a few bytes at a time: http, body_timeout, at the configured time limit, with what arrived', async () => {
    const tracked = await serve(
      createHttpsServer(tlsOptions(), (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('.'), 20);
        res.on('close', () => clearInterval(timer));
      }) as unknown as Server,
    );
    const { result } = await probeLeavingNothing(tracked, { alpn: ['http/1.1'], timeouts: { http: 500 } });
    expectVerdict(result, 'http', 'body_timeout');
    assert.equal(result.error?.code, 'ETIMEDOUT');
    assert.match(result.error?.message ?? '', /HTTP body timed out after 500 ms/);
    assert.equal(result.http?.status, 200, 'the answer is kept: its status and headers came');
    assert.equal(result.http?.bodyComplete, false);
    assert.match(result.http?.bodyPreview ?? '', /^\.+$/);
    assert.match(result.verdict.summary, /The server answered HTTP 200, then its body stalled: \d+ bytes? arrived, and no more within the probe's HTTP time limit/);
    assert.match(result.verdict.hint ?? '', /--timeout MS/);
  });
});

/** A self-signed certificate padded with an opaque extension to about `bytes` bytes: few of them fill 16 MB fast. */
async function paddingCertificate(bytes: number): Promise<x509.X509Certificate> {
  const keys = await newKeys('p256');
  const now = Date.now();
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(12),
    name: 'CN=padding',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    keys,
    signingAlgorithm: signingAlgorithm('p256'),
    extensions: [new x509.Extension('1.3.6.1.4.1.55555.1', false, new Uint8Array(bytes))],
  });
}

describe('a server whose certificate chain is 16 MB', () => {
  let chainPem: string;
  before(async () => {
    const padding = await paddingCertificate(60_000);
    // The Certificate message's list is at most 2^24 - 1 bytes: fill it, leaving room for the framing.
    const copies = Math.floor((16 * 1024 * 1024 - 8192) / (padding.rawData.byteLength + 5));
    chainPem = `${pki.server.certPem.trim()}\n${`${padding.toString('pem').trim()}\n`.repeat(copies)}`;
  });

  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    test(`${version}: tls, server_certificate_chain_too_large, with its size, the client's limit and the fix; the trace keeps 64 KB of it`, async () => {
      const tracked = await serve(createTlsServer({ cert: chainPem, key: pki.server.keyPem, maxVersion: version }) as unknown as Server);
      const outcome = await probeLeavingNothing(tracked);
      const { result } = outcome;
      expectVerdict(result, 'tls', 'server_certificate_chain_too_large');
      assert.equal(result.error?.code, 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE');
      assert.match(result.verdict.summary, /Certificate message announced 16,7\d\d,\d\d\d bytes \(about 16 MB\) of certificate chain; the client refused it with a fatal illegal_parameter alert \(47\) after its first [\d,]+ bytes/);
      assert.match(result.verdict.summary, /at most 102,400 bytes \(100 KiB\)/);
      assert.match(result.verdict.hint ?? '', /its own certificate and its intermediate CA certificates only/);
      const certificate = result.trace.find((e) => e.dir === 'in' && e.event === 'handshake' && e.detail?.name === 'Certificate');
      assert.equal(certificate?.detail?.incomplete, true, explain(result));
      assert.equal(certificate?.detail?.encrypted, version === 'TLSv1.3', 'TLS 1.3 protects it: decrypted from the key log');
      assert.ok(Buffer.from(String(certificate?.detail?.bytes), 'base64').length <= 64 * 1024);
      // The probe's memory: what it keeps of the wire, and the result it returns, stay small.
      assert.ok(capturedBytes(outcome, 'in') <= 1024 * 1024 + 64 * 1024);
      assert.ok(JSON.stringify(result).length < 512 * 1024, `${JSON.stringify(result).length} characters of result`);
    });
  }
});

describe('a server that answers with a gzip bomb', () => {
  test('10 GiB of zeros in 10 MB of gzip: kept as sent, never inflated; the verdict is the answer, with what the probe did', async () => {
    // One gzip member of 64 MiB of zeros, repeated: a decoder inflates every member, 160 × 64 MiB = 10 GiB.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 160 }, () => member));
    const tracked = await serve(
      createHttpsServer(tlsOptions(), (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': bomb.length });
        res.end(bomb);
      }) as unknown as Server,
    );
    const { result } = await probeLeavingNothing(tracked, { alpn: ['http/1.1'] });
    expectVerdict(result, null, 'target_responded');
    assert.equal(result.http?.headers['content-encoding'], 'gzip');
    assert.equal(result.http?.bodyPreview.charCodeAt(0), 0x1f, 'the preview is the gzip stream itself (1f 8b …)');
    assert.equal(result.http?.bodyComplete, false);
    // Read up to its preview, then no more: a few TLS records of the 10 MB, and nothing inflated from them.
    assert.ok(result.http!.bodyBytes < 1024 * 1024, `${result.http!.bodyBytes} of ${bomb.length} bytes read`);
    assert.match(result.verdict.hint ?? '', /Content-Encoding: gzip\): the probe keeps its first bytes as sent and never decodes them/);
  });
});
