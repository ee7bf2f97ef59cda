// Failures before or around TLS that are not about the client certificate: each ends in a verdict.

import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { probe, ProbeAbortedError, ProbeInputError } from '../../src/core/probe/probe';
import type { ProbeResult } from '../../src/core/probe/types';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';
import { holdClosedPort } from '../support/ports';

let pki: TestPki;
const servers: Server[] = [];
const sockets = new Set<Socket>();

async function listen(server: Server): Promise<number> {
  servers.push(server);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

before(async () => {
  pki = await generateTestPki();
});

after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

function verdictOf(result: ProbeResult): string {
  return `${result.verdict.stoppedAt}/${result.verdict.reason}`;
}

describe('failures that are not about the client certificate', () => {
  test('an unresolvable host stops at dns', async () => {
    const { result } = await probe({ url: 'https://does-not-exist.invalid/', timeouts: { dns: 3000 } });
    assert.equal(result.verdict.stoppedAt, 'dns', result.verdict.summary);
    assert.match(result.verdict.reason, /^dns_/);
    assert.equal(result.timings.tcp, null);
  });

  test('a port with nothing listening stops at tcp: connection_refused', async () => {
    const closed = await holdClosedPort();
    try {
      const { result } = await probe({ url: `https://127.0.0.1:${closed.port}/` });
      assert.equal(verdictOf(result), 'tcp/connection_refused');
      assert.equal(result.target.address, '127.0.0.1');
    } finally {
      await closed.release();
    }
  });

  test('a server that accepts TCP and says nothing stops at tls: handshake_timeout', async () => {
    const port = await listen(createNetServer(() => undefined));
    const { result } = await probe({ url: `https://127.0.0.1:${port}/`, timeouts: { tls: 300 } });
    assert.equal(verdictOf(result), 'tls/handshake_timeout');
    assert.match(result.verdict.summary, /never answered the ClientHello/);
    const timeout = result.trace.find((e) => e.event === 'timeout');
    assert.equal(timeout?.detail?.during, "after the client's Client hello message, before any reply from the server");
  });

  test('a server that answers in plain HTTP stops at tls: not_tls, quoting what it sent', async () => {
    const port = await listen(createHttpServer((_req, res) => res.end('plain')) as unknown as Server);
    const { result } = await probe({ url: `https://127.0.0.1:${port}/` });
    assert.equal(verdictOf(result), 'tls/not_tls');
    assert.match(result.verdict.summary, /HTTP\/1\.1 400/);
  });

  test('a server that closes the connection at once stops at tls, before the ServerHello', async () => {
    const port = await listen(createNetServer((s) => s.end()));
    const { result } = await probe({ url: `https://127.0.0.1:${port}/` });
    assert.equal(result.verdict.stoppedAt, 'tls');
    assert.match(result.verdict.reason, /^(closed|reset)_before_server_hello$/);
  });

  describe('server certificate checks', () => {
    let port: number;
    before(async () => {
      port = await listen(
        createTlsServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (s) => s.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n')) as unknown as Server,
      );
    });

    test('an untrusted server certificate stops at tls (the system store does not know the test CA)', async () => {
      const { result } = await probe({ url: `https://localhost:${port}/` });
      assert.equal(verdictOf(result), 'tls/server_certificate_untrusted');
      assert.equal(result.tls.serverCertificateVerified, false);
      assert.equal(result.tls.serverCertificates[0]?.subject, 'CN=localhost,O=mTLS Probe Test PKI');
    });

    test('-k (insecure) goes on to HTTP', async () => {
      const { result } = await probe({ url: `https://localhost:${port}/`, insecure: true, alpn: ['http/1.1'] });
      assert.equal(verdictOf(result), 'null/target_responded');
      assert.equal(result.http?.status, 204);
    });

    test('a name the certificate does not cover stops at tls: server_name_mismatch (connect-to keeps the URL name)', async () => {
      const { result } = await probe({ url: `https://api.example.test/`, connectTo: { host: '127.0.0.1', port }, ca: pki.rootCa.certPem });
      assert.equal(verdictOf(result), 'tls/server_name_mismatch');
      assert.equal(result.target.address, '127.0.0.1');
      assert.equal(result.target.serverName, 'api.example.test');
      const hello = result.trace.find((e) => e.detail?.name === 'Client hello');
      assert.equal((hello?.detail?.fields as { serverName: string }).serverName, 'api.example.test');
    });

    test('an IP literal URL is checked against the IP SAN and sends no SNI', async () => {
      const { result } = await probe({ url: `https://127.0.0.1:${port}/`, ca: pki.rootCa.certPem, alpn: ['http/1.1'] });
      assert.equal(verdictOf(result), 'null/target_responded');
      const hello = result.trace.find((e) => e.detail?.name === 'Client hello');
      assert.equal((hello?.detail?.fields as { serverName: string | null }).serverName, null);
    });

    test('--handshake-only stops after the handshake', async () => {
      const { result } = await probe({ url: `https://localhost:${port}/`, ca: pki.rootCa.certPem, handshakeOnly: true });
      assert.equal(verdictOf(result), 'null/handshake_completed');
      assert.equal(result.http, null);
    });
  });

  test('an AbortSignal cancels a stalled probe: it rejects in the handshake it was waiting in, and lets go of its connection', async () => {
    // The server reads the ClientHello and never answers; the ClientHello's arrival cancels the probe. The handshake's
    // own limit is the other way it can end: a verdict (tls/handshake_timeout) instead of the rejection.
    const controller = new AbortController();
    let clientGone: Promise<void> | undefined;
    const port = await listen(
      createNetServer((socket) => {
        socket.on('error', () => undefined);
        clientGone = new Promise((resolve) => socket.once('close', () => resolve()));
        socket.once('data', () => controller.abort());
      }),
    );
    const phases: string[] = [];
    await assert.rejects(probe({ url: `https://127.0.0.1:${port}/`, signal: controller.signal, timeouts: { tls: 10_000 }, onPhase: (phase) => phases.push(phase) }), ProbeAbortedError);
    assert.equal(phases.at(-1), 'tls', phases.join(' → '));
    // The server never closes it: the close comes from the probe.
    assert.ok(clientGone, 'the probe connected');
    await clientGone;
  });

  test('bad URLs are input errors, not verdicts', async () => {
    await assert.rejects(probe({ url: 'http://example.com/' }), ProbeInputError);
    await assert.rejects(probe({ url: 'not a url' }), ProbeInputError);
  });
});
