// Decryption across the AEADs and handshake shapes a probe meets: every protected record must open.

import assert from 'node:assert/strict';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { before, describe, test } from 'node:test';
import { identityFromPemText, type ClientIdentity } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

let pki: TestPki;
let valid: ClientIdentity;

before(async () => {
  pki = await generateTestPki();
  valid = identityFromPemText('valid', pki.clients.valid.certPem, pki.clients.valid.keyPem);
});

async function withServer(options: Parameters<typeof createTlsServer>[0], run: (url: string) => Promise<void>): Promise<void> {
  const server = createTlsServer(
    { cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.rootCa.certPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['http/1.1'], ...options },
    (socket: TLSSocket) => {
      // answer once the request arrives, and keep reading so the client's FIN is seen and close() finishes
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
      socket.resume();
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    await run(`https://localhost:${(server.address() as AddressInfo).port}/`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('record decryption across cipher suites and handshake shapes', () => {
  const suites: Array<[string, Parameters<typeof createTlsServer>[0], string]> = [
    ['TLS 1.3 AES-128-GCM', { ciphers: 'TLS_AES_128_GCM_SHA256', minVersion: 'TLSv1.3' }, 'TLS_AES_128_GCM_SHA256'],
    ['TLS 1.3 AES-256-GCM', { ciphers: 'TLS_AES_256_GCM_SHA384', minVersion: 'TLSv1.3' }, 'TLS_AES_256_GCM_SHA384'],
    ['TLS 1.3 ChaCha20-Poly1305', { ciphers: 'TLS_CHACHA20_POLY1305_SHA256', minVersion: 'TLSv1.3' }, 'TLS_CHACHA20_POLY1305_SHA256'],
    ['TLS 1.2 ECDHE-ECDSA-AES256-GCM', { ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' }, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
    ['TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305', { ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305', maxVersion: 'TLSv1.2' }, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  ];
  for (const [name, options, cipher] of suites) {
    test(name, async () => {
      await withServer(options, async (url) => {
        const { result } = await probe({ url, ca: pki.rootCa.certPem, identity: valid });
        assert.equal(result.verdict.reason, 'target_responded', result.verdict.summary);
        assert.equal(result.tls.cipher, cipher);
        assert.equal(result.trace.filter((e) => e.event === 'encrypted_record').length, 0, 'every protected record decrypted');
        assert.equal(result.tls.clientCertificateSent, true);
        const finished = result.trace.filter((e) => e.event === 'handshake' && e.detail?.name === 'Finished');
        assert.equal(finished.length, 2);
        assert.ok(result.trace.some((e) => e.event === 'application_data' && e.dir === 'in'));
      });
    });
  }

  test('TLS 1.3 HelloRetryRequest (the server wants a key share the client did not send)', async () => {
    await withServer({ ecdhCurve: 'P-384', minVersion: 'TLSv1.3' }, async (url) => {
      const { result } = await probe({ url, ca: pki.rootCa.certPem, identity: valid });
      assert.equal(result.verdict.reason, 'target_responded', result.verdict.summary);
      const hellos = result.trace.filter((e) => e.event === 'handshake' && (e.detail?.name === 'Client hello' || e.detail?.name === 'Server hello'));
      assert.deepEqual(hellos.map((e) => `${e.dir} ${e.detail?.name}`), ['out Client hello', 'in Server hello', 'out Client hello', 'in Server hello']);
      assert.equal((hellos[1]!.detail?.fields as { helloRetryRequest: boolean }).helloRetryRequest, true);
      assert.equal((hellos[3]!.detail?.fields as { keyShareGroup: string }).keyShareGroup, 'secp384r1');
      assert.equal(result.trace.filter((e) => e.event === 'encrypted_record').length, 0);
      assert.ok(result.tls.certificateRequest !== null);
    });
  });

  test('repeated probes with one identity stay full handshakes (no resumption hides the CertificateRequest)', async () => {
    await withServer({ minVersion: 'TLSv1.3' }, async (url) => {
      for (let i = 0; i < 3; i++) {
        const { result } = await probe({ url, ca: pki.rootCa.certPem, identity: valid });
        assert.ok(result.tls.certificateRequest !== null, `probe ${i}`);
        assert.ok(result.trace.some((e) => e.dir === 'in' && e.detail?.name === 'Certificate'), `probe ${i}`);
      }
    });
  });

  test('a server that closes the TLS session right after the handshake, before the request is answered', async () => {
    const server = createTlsServer({ cert: pki.server.certPem, key: pki.server.keyPem, maxVersion: 'TLSv1.2' }, (socket: TLSSocket) => {
      socket.resume();
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { result } = await probe({ url: `https://localhost:${(server.address() as AddressInfo).port}/`, ca: pki.rootCa.certPem, alpn: ['http/1.1'] });
      assert.equal(result.verdict.stoppedAt, 'http', result.verdict.summary);
      assert.equal(result.verdict.reason, 'closed_before_response');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
