// The test peers' ports (test/support/ports.ts, peer-process.ts): a server binary whose port was taken between being
// picked and being bound is started again on another port, and is never confused with whoever took it; a held
// closed port refuses connections and cannot be taken.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { probe } from '../../src/core/probe/probe';
import { startApache } from '../support/apache-peer';
import { startCaddy } from '../support/caddy-peer';
import { usePeerPortSource } from '../support/peer-process';
import { makePkiFiles, startHaproxy, startNginx, startOpensslServer, type RunningPeer, type TestPkiFiles } from '../support/peers';
import { holdClosedPort, unusedPort } from '../support/ports';

let env: TestPkiFiles;
let serverSha256: string;

before(async () => {
  env = await makePkiFiles();
  serverSha256 = new X509Certificate(env.pki.server.certPem).fingerprint256.replace(/:/g, '');
});

/** A Node server on a port: the stranger that got there first. Counts the connections it is offered. */
async function stranger(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function connectionError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('a peer whose port is taken before it binds it', () => {
  const peers: Array<[string, (t: TestContext) => Promise<RunningPeer | null>]> = [
    ['nginx', (t) => startNginx(t, env.files)],
    ['HAProxy', (t) => startHaproxy(t, env.files)],
    ['openssl s_server', (t) => startOpensslServer(t, env.files)],
    ['Apache httpd', (t) => startApache(t, env.files, { mode: 'host', tls: '1.3' })],
    ['Caddy', (t) => startCaddy(t, env.files, { tls: '1.3' })],
  ];
  for (const [name, start] of peers) {
    test(`${name}: started again on another port, and the process on the first port is not taken for it`, async (t) => {
      const first = await stranger();
      const handedOut: number[] = [];
      // The first port handed out is the stranger's: what a race with another process looks like to the peer.
      const restore = usePeerPortSource(async () => {
        const port = handedOut.length === 0 ? first.port : await unusedPort();
        handedOut.push(port);
        return port;
      });
      let peer: RunningPeer | null = null;
      try {
        peer = await start(t);
        if (peer === null) return;
        assert.equal(handedOut.length, 2, `ports handed out: ${handedOut.join(', ')}`);
        assert.equal(peer.port, handedOut[1]);
        assert.equal(peer.url, `https://localhost:${handedOut[1]}/`);
        assert.equal(first.connections(), 0, 'the stranger was not mistaken for the peer');
        // What answers on the reported port is the peer: it presents the test PKI's server certificate.
        const { result } = await probe({ url: peer.url, ca: env.pki.rootCa.certPem, handshakeOnly: true, timeouts: { tls: 5000 } });
        assert.equal(result.tls.serverCertificates[0]?.sha256.toUpperCase(), serverSha256, result.verdict.summary);
      } finally {
        restore();
        await peer?.stop();
        await first.close();
      }
    });
  }
});

describe('holdClosedPort', () => {
  let held: Awaited<ReturnType<typeof holdClosedPort>>;
  before(async () => {
    held = await holdClosedPort();
  });
  after(() => held.release());

  test('a connection to it is refused, and no server can listen on it while it is held', async () => {
    assert.equal(await connectionError(held.port), 'ECONNREFUSED');
    const server = createServer();
    const failed = await new Promise<string>((resolve) => {
      server.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      server.listen(held.port, '127.0.0.1', () => resolve('listening'));
    });
    if (failed === 'listening') await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.equal(failed, 'EADDRINUSE');
  });
});
