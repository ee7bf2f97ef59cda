// A probe ended in its HTTP phase over HTTP/2, by a cancel (Ctrl-C in a matrix, Cancel in the editor) or by the
// phase's time limit: it ends as cancelled or as a timeout verdict, and nothing is left to throw afterwards. (Closing
// the TLS socket under undici's HTTP/2 session, with a request in flight, used to fail an assertion of undici's once
// the client was destroyed: an uncaught exception that ended the CLI or reached the extension host.) Against nginx
// speaking h2 and an HTTP/2 server of Node's own that never answers; and Ctrl-C in the CLI's matrix over HTTP/2, in
// one thread and in two.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { probe, ProbeAbortedError } from '../../src/core/probe/probe';
import { builtCli } from '../support/built-cli';
import { makePkiFiles, startNginx, withPeer, type TestPkiFiles } from '../support/peers';

let env: TestPkiFiles;
let identity: ClientIdentity;
const uncaught: unknown[] = [];
const noteUncaught = (e: unknown): void => {
  uncaught.push(e);
};

before(async () => {
  env = await makePkiFiles();
  identity = await loadPemIdentity({ certFile: env.files.client('valid').cert, keyFile: env.files.client('valid').key });
  process.on('uncaughtException', noteUncaught);
});

after(() => {
  process.off('uncaughtException', noteUncaught);
});

/** Long enough for every socket's 'close' of the probes above to have been handled. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

describe('HTTP/2 probes ended in their HTTP phase', () => {
  test('cancelled as the request goes out (at once, a tick, an immediate or a timer later): each rejects as cancelled, nothing throws later', async (t) => {
    await withPeer(() => startNginx(t, env.files), async (nginx) => {
      const later: Array<(abort: () => void) => void> = [(abort) => abort(), (abort) => process.nextTick(abort), (abort) => setImmediate(abort), (abort) => setTimeout(abort, 0)];
      const cancelled = [0, 0, 0, 0];
      for (let i = 0; i < 40; i++) {
        const cancel = new AbortController();
        const onPhase = (phase: string): void => {
          if (phase === 'http') later[i % later.length]!(() => cancel.abort());
        };
        try {
          const { result } = await probe({ url: nginx.url, ca: env.pki.rootCa.certPem, identity, signal: cancel.signal, onPhase });
          // A timer can come after the answer: then the probe is done, over HTTP/2.
          assert.equal(result.http?.httpVersion, 'HTTP/2');
        } catch (e) {
          assert.ok(e instanceof ProbeAbortedError, String(e));
          cancelled[i % later.length]!++;
        }
      }
      await settle();
      assert.deepEqual(uncaught, []);
      // A cancel at once always catches the request in flight; later ones, most of the time (the rest found it answered).
      assert.equal(cancelled[0], 10, `cancelled: ${cancelled.join(', ')} of 10 each`);
    });
  });

  test('a server that never answers: the HTTP phase times out as a verdict, nothing throws later', async () => {
    const server: Http2SecureServer = createSecureServer({ cert: env.pki.server.certPem, key: env.pki.server.keyPem, allowHTTP1: false });
    server.on('stream', () => undefined); // takes the request, never responds
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://localhost:${(server.address() as AddressInfo).port}/`;
      for (let i = 0; i < 3; i++) {
        const { result } = await probe({ url, ca: env.pki.rootCa.certPem, timeouts: { http: 150 } });
        assert.equal(result.tls.alpn, 'h2');
        assert.equal(result.verdict.stoppedAt, 'http', result.verdict.summary);
        assert.match(result.verdict.reason, /timeout/);
      }
      await settle();
      assert.deepEqual(uncaught, []);
    } finally {
      server.close();
      await new Promise((resolve) => setImmediate(resolve));
    }
  });

  test('Ctrl-C in a matrix over HTTP/2, in one thread or two: "interrupted" and exit 130, no stack trace', async (t) => {
    await withPeer(() => startNginx(t, env.files), async (nginx) => {
      const valid = env.files.client('valid');
      for (const threads of ['1', '2']) {
        const args = [builtCli, 'matrix', nginx.url, '--cacert', env.files.caFile, '--identity', `valid=${valid.cert},${valid.key}`, '--identity', 'none', '--repeat', '500', '--concurrency', '8', '--threads', threads, '--json'];
        const child = spawn(process.execPath, args);
        let rows = 0;
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        // The first rows are in: probes are in flight, several in their HTTP phase.
        child.stdout.on('data', (d: Buffer) => {
          rows += d.toString().split('\n').length - 1;
          if (rows >= 20 && rows < 1000) {
            rows = 1000;
            child.kill('SIGINT');
          }
        });
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        assert.equal(code, 130, `--threads ${threads}: ${stderr}`);
        assert.equal(stderr, 'mtls-probe: interrupted\n', `--threads ${threads}`);
      }
    });
  });
});
