// The tap over a TCP socket that is not connected yet (the probe starts TLS over it while DNS and the TCP connect run,
// as tls.connect does): what is written meanwhile waits, goes out once the connection is up, and is captured then,
// with that time; if the connection never comes up, nothing is sent or captured. Against a local TCP server.

import assert from 'node:assert/strict';
import { Socket, createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TappedSocket } from '../../src/core/probe/tapped-socket';

describe('tap held until the TCP connection is up', () => {
  let server: Server;
  let port = 0;
  const received: Buffer[] = [];

  before(async () => {
    server = createServer((socket) => {
      socket.on('data', (d: Buffer) => {
        received.push(d);
        socket.end('bye');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('a write before the connect is captured and sent at the connect, in order, and the answer comes back', async () => {
    let now = 0;
    const raw = new Socket().setNoDelay(true);
    const tap = new TappedSocket(raw, () => now, { heldUntilConnect: true });
    const written = new Promise<void>((resolve, reject) => tap.write(Buffer.from('client'), (e) => (e ? reject(e) : resolve())));
    tap.write(Buffer.from('hello'));
    now = 5;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(tap.chunks.length, 0, 'nothing captured before the connection is up');
    now = 7;
    raw.connect({ host: '127.0.0.1', port });
    await written;
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      tap.on('data', (d: Buffer) => (text += d.toString()));
      tap.on('end', () => resolve(text));
    });
    assert.equal(answer, 'bye');
    assert.equal(tap.connectedAt, 7);
    const out = tap.chunks.filter((c) => c.dir === 'out');
    assert.equal(Buffer.concat(out.map((c) => c.data)).toString(), 'clienthello');
    assert.ok(out.every((c) => c.t === 7), 'stamped when they went on the wire');
    assert.equal(Buffer.concat(received).toString().startsWith('client'), true);
    tap.destroy();
  });

  test('a connection that never comes up sends and captures nothing, and the tap ends with its error', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probeServer = createServer();
      probeServer.listen(0, '127.0.0.1', () => {
        const free = (probeServer.address() as AddressInfo).port;
        probeServer.close(() => resolve(free));
      });
    });
    const raw = new Socket().setNoDelay(true);
    raw.on('error', () => undefined);
    const tap = new TappedSocket(raw, () => 1, { heldUntilConnect: true });
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => tap.on('error', resolve));
    tap.write(Buffer.from('never sent'));
    raw.connect({ host: '127.0.0.1', port: closed });
    assert.equal((await failed).code, 'ECONNREFUSED');
    assert.deepEqual(tap.chunks, []);
    assert.equal(tap.connectedAt, null);
    assert.ok(tap.signals.some((s) => s.kind === 'error' && s.code === 'ECONNREFUSED'));
  });
});
