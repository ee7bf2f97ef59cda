// The probe's HTTP exchange through undici's Dispatcher API (src/core/probe/http-exchange.ts), against a local HTTPS
// server of Node's own: the head without 1xx, the body's preview capped and counted, a body that breaks off keeps
// what came, and an error before the head is the head's.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Client from 'undici/lib/dispatcher/client.js';
import { HttpExchange } from '../../src/core/probe/http-exchange';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

describe('HTTP exchange', () => {
  let pki: TestPki;
  let server: Server;
  let origin = '';
  const clients: Client[] = [];

  before(async () => {
    pki = await generateTestPki();
    server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
      switch (req.url) {
        case '/hello':
          res.setHeader('set-cookie', ['a=1', 'b=2']);
          res.end('hello world');
          return;
        case '/large':
          res.end(Buffer.alloc(100_000, 'x'));
          return;
        case '/hints':
          res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
          res.end('after hints');
          return;
        case '/broken':
          res.writeHead(200, { 'content-length': '100' });
          res.write('0123456789', () => setImmediate(() => req.socket.destroy()));
          return;
        case '/no-answer':
          req.socket.destroy();
          return;
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.destroy()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function exchange(path: string, limit = 1024): HttpExchange {
    const client = new Client(origin, { connect: { ca: pki.rootCa.certPem, servername: 'localhost', host: '127.0.0.1' } });
    clients.push(client);
    return new HttpExchange(client, { path, method: 'GET', headers: { accept: '*/*' } }, limit);
  }

  test('the head and the whole body, headers as undici parses them (a repeated header as a list)', async () => {
    const x = exchange('/hello');
    const head = await x.head;
    assert.equal(head.status, 200);
    assert.deepEqual(head.headers['set-cookie'], ['a=1', 'b=2']);
    await x.body;
    const body = x.preview();
    assert.equal(body.preview.toString(), 'hello world');
    assert.equal(body.bytes, 11);
    assert.equal(body.complete, true);
  });

  test('a body past the limit: the first bytes kept, the read stops there, the body not complete', async () => {
    const x = exchange('/large', 1024);
    await x.head;
    await x.body;
    const body = x.preview();
    assert.equal(body.preview.length, 1024);
    assert.ok(body.bytes >= 1024 && body.bytes <= 100_000, `${body.bytes} bytes counted`);
    assert.equal(body.complete, false);
  });

  test('1xx responses are passed over: the head is the final response\'s', async () => {
    const x = exchange('/hints');
    assert.equal((await x.head).status, 200);
    await x.body;
    assert.equal(x.preview().preview.toString(), 'after hints');
  });

  test('a body that breaks off: the body fails, what came stays readable', async () => {
    const x = exchange('/broken');
    assert.equal((await x.head).status, 200);
    await assert.rejects(x.body);
    const body = x.preview();
    assert.equal(body.preview.toString(), '0123456789');
    assert.equal(body.bytes, 10);
    assert.equal(body.complete, false);
  });

  test('no answer at all: the head fails with undici\'s error', async () => {
    const x = exchange('/no-answer');
    await assert.rejects(x.head, (e: Error & { code?: string }) => typeof e.code === 'string' && e.code.length > 0);
    assert.equal(x.preview().bytes, 0);
  });
});
