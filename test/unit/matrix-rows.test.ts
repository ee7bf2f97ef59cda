// The matrix's rows: each handed to onRow once its probe finished (at the next idle moment, so the output of one row
// overlaps the next probe's wait), every row out before runMatrix resolves, and an onRow that throws ends the matrix
// with that error and starts no more probes. Against a local HTTPS server of Node's own.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runMatrix, type MatrixRow } from '../../src/core/probe/matrix';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

describe('matrix rows', () => {
  let pki: TestPki;
  let server: Server;
  let requests = 0;
  let url = '';

  before(async () => {
    pki = await generateTestPki();
    server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (_req, res) => {
      requests++;
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
});
