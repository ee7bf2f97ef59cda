// The matrix's rows: each handed to onRow once its probe finished (at the next idle moment, so the output of one row
// overlaps the next probe's wait), every row out before runMatrix resolves, and an onRow that throws ends the matrix
// with that error and starts no more probes; the same over worker threads (the built dist/cli/matrix-worker.js), and
// a cancelled matrix leaves no thread behind. Against a local HTTPS server of Node's own.

import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { ClientIdentity } from '../../src/core/identity/client-identity';
import { lanesFor, matrixThreadCount, runMatrix, type MatrixRow } from '../../src/core/probe/matrix';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

const workerScript = new URL('../../dist/cli/matrix-worker.js', import.meta.url).pathname;

describe('matrix rows', () => {
  let pki: TestPki;
  let server: Server;
  let requests = 0;
  const clientCertificates: string[] = [];
  let url = '';

  before(async () => {
    pki = await generateTestPki();
    // It asks for a client certificate (any, or none) and notes what each request came with.
    server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      requests++;
      clientCertificates.push((req.socket as TLSSocket).getPeerCertificate().fingerprint256 ?? 'none');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const endpoints = () => [{ label: 'local', options: { url, ca: pki.rootCa.certPem, serverName: 'localhost', alpn: ['http/1.1'] } }];
  const identities = [{ label: 'none', identity: null }];

  test('every row reaches onRow, in completion order, before runMatrix resolves', async () => {
    const seen: MatrixRow[] = [];
    const rows = await runMatrix(endpoints(), identities, { repeat: 6, concurrency: 2, onRow: (row) => seen.push(row) });
    assert.equal(rows.length, 6);
    assert.equal(seen.length, 6);
    assert.deepEqual(new Set(seen), new Set(rows));
    for (const row of rows) assert.equal(row.result.http?.status, 200, row.result.verdict.summary);
  });

  test('a row is reported once its own probe is done (its request came), with one worker as with several', async () => {
    const startedBeforeRow: number[] = [];
    const before = requests;
    await runMatrix(endpoints(), identities, { repeat: 3, concurrency: 1, onRow: () => startedBeforeRow.push(requests - before) });
    // With one worker, row N is written while probe N+1 is under way: its request may not have arrived yet, but the
    // row never comes before its own probe's request.
    assert.equal(startedBeforeRow.length, 3);
    startedBeforeRow.forEach((count, i) => assert.ok(count >= i + 1, `row ${i} after ${count} requests`));
  });

  test('what onRow throws ends the matrix with that error, and no more probes start', async () => {
    const before = requests;
    let calls = 0;
    await assert.rejects(
      runMatrix(endpoints(), identities, {
        repeat: 20,
        concurrency: 1,
        onRow: () => {
          calls++;
          throw new Error('stdout closed');
        },
      }),
      /stdout closed/,
    );
    assert.equal(calls, 1);
    assert.ok(requests - before <= 3, `${requests - before} probes ran after the failure`);
  });

  describe('over worker threads', () => {
    const threads = { count: 2, script: workerScript };
    before(() => assert.ok(existsSync(workerScript), `${workerScript} is missing: npm run build`));

    test('every case is probed once, by one thread or the other, and its row comes back whole, in case order', async () => {
      const steps = (row: MatrixRow): string[] => row.result.trace.map((e) => `${e.layer} ${e.dir} ${e.event}`);
      const [inThisThread] = await runMatrix(endpoints(), identities);
      const before = requests;
      const seen: MatrixRow[] = [];
      const rows = await runMatrix(endpoints(), identities, { repeat: 12, concurrency: 4, threads, onRow: (row) => seen.push(row) });
      assert.equal(requests - before, 12);
      assert.deepEqual(rows.map((r) => r.iteration), [...Array(12).keys()]);
      assert.equal(seen.length, 12);
      for (const row of rows) {
        assert.equal(row.result.http?.status, 200, row.result.verdict.summary);
        // A row from a worker is the probe's whole result, its trace step for step as this thread's.
        assert.deepEqual(steps(row), steps(inThisThread!));
      }
    });

    test('a client identity reaches the workers whole: the server sees its certificate from every thread', async () => {
      const leaf = new X509Certificate(pki.clients.valid.certPem);
      const identity = new ClientIdentity('valid', { kind: 'pem', certFile: 'valid.pem', keyFile: 'valid.key' }, [leaf], createPrivateKey(pki.clients.valid.keyPem));
      const first = clientCertificates.length;
      const rows = await runMatrix(endpoints(), [{ label: 'valid', identity }], { repeat: 6, concurrency: 4, threads });
      assert.deepEqual(clientCertificates.slice(first), Array(6).fill(leaf.fingerprint256));
      for (const row of rows) {
        assert.equal(row.result.tls.clientCertificateSent, true);
        assert.equal(row.result.identity?.sha256, identity.summary().sha256);
      }
    });

    test('what onRow throws ends the matrix in every thread', async () => {
      const before = requests;
      await assert.rejects(
        runMatrix(endpoints(), identities, {
          repeat: 40,
          concurrency: 4,
          threads,
          onRow: () => {
            throw new Error('stdout closed');
          },
        }),
        /stdout closed/,
      );
      assert.ok(requests - before < 40, `${requests - before} of 40 probes ran`);
    });

    test('a cancelled matrix rejects as cancelled, and its threads are gone', async () => {
      const cancel = new AbortController();
      const started = runMatrix(endpoints(), identities, { repeat: 400, concurrency: 4, threads, signal: cancel.signal, onRow: () => cancel.abort() });
      await assert.rejects(started, (e: Error) => e.name === 'AbortError');
      // Each thread is a handle of this process while it runs.
      const workers = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker');
      assert.deepEqual(workers, []);
    });
  });
});

test('a matrix runs in no more threads than asked, than probes in flight, or than CPU cores', () => {
  assert.equal(matrixThreadCount(16, 16, 2), 2);
  assert.equal(matrixThreadCount(4, 2, 8), 2);
  assert.equal(matrixThreadCount(3, 16, 8), 3);
  assert.equal(matrixThreadCount(1, 16, 8), 1);
});

test('the probes in flight are shared out over the threads as evenly as they go', () => {
  assert.deepEqual(lanesFor(8, 2), [4, 4]);
  assert.deepEqual(lanesFor(8, 3), [2, 3, 3]);
  assert.deepEqual(lanesFor(2, 2), [1, 1]);
});

