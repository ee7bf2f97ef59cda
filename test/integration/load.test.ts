// 1,000 probes at concurrency 50 from one process, through the matrix runner, against local Node mTLS servers that
// accept the client certificate, refuse it (an alert without one, a close for one they do not trust), or reset the
// connection as an ALB in verify mode does (the peer of mtls-peers.test.ts): every probe ends in the verdict
// its server gives, none in an error of the client's own (a timeout, EMFILE, a reset it caused), the process's file
// descriptors and sockets come back to where they were, and its memory stays bounded. The figures are printed for
// the note; nothing here is a timing.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { generateTestPki, writeTestPki, type TestPki } from '../../src/core/pki/test-pki';
import { runMatrix, type MatrixEndpoint, type MatrixIdentity } from '../../src/core/probe/matrix';
import { probe } from '../../src/core/probe/probe';
import type { TlsVersionName } from '../../src/core/probe/types';
import { startResetServer, type RunningPeer } from '../support/peers';
import { listenTracked, openFileDescriptors, type TrackedServer } from '../support/tracked-server';

const probes = 1000;
const concurrency = 50;

// A forced collection makes "before" and "after" comparable; the flag is set here so the file runs with plain node.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let pki: TestPki;
let valid: ClientIdentity;
const closers: Array<() => Promise<void>> = [];

/** A Node mTLS server that verifies client certificates against `ca`, answering 200 to a request it lets in. */
async function mtlsServer(ca: string, maxVersion: TlsVersionName): Promise<TrackedServer> {
  const server = createTlsServer(
    { cert: pki.server.certPem, key: pki.server.keyPem, ca, requestCert: true, rejectUnauthorized: true, maxVersion, ALPNProtocols: ['http/1.1'] },
    (socket: TLSSocket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    },
  );
  server.on('tlsClientError', () => undefined);
  const tracked = await listenTracked(server as unknown as Server);
  closers.push(() => tracked.close());
  return tracked;
}

async function resetServer(maxVersion: TlsVersionName): Promise<RunningPeer> {
  const peer = await startResetServer(pki, maxVersion);
  closers.push(() => peer.stop());
  return peer;
}

/** How many probes of one endpoint × identity pair ended with one verdict (and the error that ended them, if any). */
interface Outcome {
  pair: string;
  verdict: string;
  error: string | null;
  count: number;
}

interface LoadRun {
  completed: number;
  outcomes: Outcome[];
  peak: { rss: number; heapUsed: number };
  duration: number;
}

/**
 * The matrix run, reduced to its counts: its 1,000 results are dropped when this returns (a caller's frame would
 * keep them reachable), so what the heap holds afterwards is what the probes left behind.
 */
async function probeUnderLoad(endpoints: MatrixEndpoint[], identities: MatrixIdentity[], repeat: number, before: NodeJS.MemoryUsage): Promise<LoadRun> {
  const peak = { rss: before.rss, heapUsed: before.heapUsed };
  const started = performance.now();
  const rows = await runMatrix(endpoints, identities, {
    concurrency,
    repeat,
    onRow: () => {
      const now = process.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
    },
  });
  const duration = performance.now() - started;
  const outcomes = new Map<string, Outcome>();
  for (const { endpoint, identity, result } of rows) {
    const outcome: Outcome = { pair: `${endpoint} × ${identity}`, verdict: `${result.verdict.stoppedAt}/${result.verdict.reason}`, error: result.error?.code ?? null, count: 0 };
    const key = JSON.stringify([outcome.pair, outcome.verdict, outcome.error]);
    const seen = outcomes.get(key) ?? outcome;
    seen.count++;
    outcomes.set(key, seen);
  }
  return { completed: rows.length, outcomes: [...outcomes.values()], peak, duration };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

before(async () => {
  pki = await generateTestPki();
  const files = await writeTestPki(await mkdtemp(join(tmpdir(), 'mtls-probe-load-')), pki);
  valid = await loadPemIdentity({ certFile: files.client('valid').cert, keyFile: files.client('valid').key, label: 'valid' });
});

after(async () => {
  await Promise.all(closers.map((close) => close()));
});

test(`${probes} probes at concurrency ${concurrency}: every verdict the server's, nothing left open, memory bounded`, async () => {
  // What the process holds before any server of this test: the first probe of the process opens what Node keeps for
  // good (the thread pool's, crypto's), so one probe runs first against a server that is then closed.
  const warmUp = await mtlsServer(pki.rootCa.certPem, 'TLSv1.3');
  await probe({ url: `https://127.0.0.1:${warmUp.port}/`, ca: pki.rootCa.certPem, identity: valid });
  await closers.pop()!();
  gc();
  const fdsBefore = openFileDescriptors();
  const memoryBefore = process.memoryUsage();

  const accepting = await mtlsServer(pki.rootCa.certPem, 'TLSv1.3');
  const accepting12 = await mtlsServer(pki.rootCa.certPem, 'TLSv1.2');
  const refusing = await mtlsServer(pki.otherCa.certPem, 'TLSv1.3');
  const refusing12 = await mtlsServer(pki.otherCa.certPem, 'TLSv1.2');
  const resetting = await resetServer('TLSv1.3');
  const options = (port: number): MatrixEndpoint['options'] => ({ url: `https://127.0.0.1:${port}/`, ca: pki.rootCa.certPem, alpn: ['http/1.1'] });
  const endpoints: MatrixEndpoint[] = [
    { label: 'accepting (TLS 1.3)', options: options(accepting.port) },
    { label: 'accepting (TLS 1.2)', options: options(accepting12.port) },
    { label: 'refusing (TLS 1.3)', options: options(refusing.port) },
    { label: 'refusing (TLS 1.2)', options: options(refusing12.port) },
    { label: 'resetting', options: options(resetting.port) },
  ];
  const identities: MatrixIdentity[] = [
    { label: 'valid', identity: valid },
    { label: 'none', identity: null },
  ];
  // What each server answers each identity: the verdict every one of its probes must get.
  const expected: Record<string, string> = {
    'accepting (TLS 1.3) × valid': 'null/target_responded',
    'accepting (TLS 1.3) × none': 'mtls/alert_certificate_required',
    'accepting (TLS 1.2) × valid': 'null/target_responded',
    'accepting (TLS 1.2) × none': 'mtls/alert_handshake_failure',
    // Node's servers refuse a certificate they cannot verify by closing once the handshake is done, not by an alert.
    'refusing (TLS 1.3) × valid': 'mtls/closed_after_client_certificate',
    'refusing (TLS 1.3) × none': 'mtls/alert_certificate_required',
    'refusing (TLS 1.2) × valid': 'mtls/closed_after_client_certificate',
    'refusing (TLS 1.2) × none': 'mtls/alert_handshake_failure',
    'resetting × valid': 'null/target_responded',
    'resetting × none': 'mtls/reset_after_client_certificate',
  };
  const repeat = probes / (endpoints.length * identities.length);

  const run = await probeUnderLoad(endpoints, identities, repeat, memoryBefore);
  const { outcomes, peak, duration } = run;
  const words = (o: Outcome): string => `${o.count} × ${o.pair} → ${o.verdict}${o.error !== null ? ` (${o.error})` : ''}`;
  console.log(`verdicts:\n${outcomes.map((o) => `  ${words(o)}`).join('\n')}`);

  assert.equal(run.completed, probes, 'every probe completed');
  assert.deepEqual(outcomes.filter((o) => o.verdict !== expected[o.pair]).map(words), [], 'every probe got the verdict its server gives');
  // The servers' refusals end probes with their own codes (a reset, an alert); none is the client's own failure.
  const clientErrors = /^(ETIMEDOUT|EMFILE|ENFILE|EADDRNOTAVAIL|EADDRINUSE|ECONNREFUSED|ENOBUFS|EUNKNOWN|ERR_PROBE_CONNECTION_CLOSED)$/;
  assert.deepEqual(outcomes.filter((o) => o.error !== null && clientErrors.test(o.error)).map(words), [], 'no error of the client');

  // Each server's close resolves once its connections have all closed (the events). The closes they queued run on the
  // loop's next turn: one holds an error whose stack reaches the matrix's rows, which a collection now would count.
  for (const close of closers.splice(0)) await close();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const fdsAfter = openFileDescriptors();
  const memoryAfter = process.memoryUsage();
  console.log(
    `load: ${probes} probes at concurrency ${concurrency} in ${(duration / 1000).toFixed(1)} s (${(probes / (duration / 1000)).toFixed(0)} probes/s, client and servers in one process)\n` +
      `  rss: before ${mb(memoryBefore.rss)}, peak ${mb(peak.rss)}, after ${mb(memoryAfter.rss)}\n` +
      `  heap used: before ${mb(memoryBefore.heapUsed)}, peak ${mb(peak.heapUsed)}, after ${mb(memoryAfter.heapUsed)} (before and after with a forced gc)\n` +
      `  file descriptors: before ${fdsBefore.total} (${fdsBefore.sockets} sockets), after ${fdsAfter.total} (${fdsAfter.sockets} sockets)`,
  );

  // The servers closed, each of their connections closed (the events), nothing of the 1,000 probes is left open.
  assert.deepEqual(fdsAfter, fdsBefore, 'file descriptors and sockets back to what they were');
  // Bounds, not timings: the probes' results are dropped, so the heap comes back to near where it was.
  // (Keeping the results would be some 17 KB a probe: 17 MB here.)
  assert.ok(memoryAfter.heapUsed - memoryBefore.heapUsed < 12 * 1024 * 1024, `heap grew by ${mb(memoryAfter.heapUsed - memoryBefore.heapUsed)}`);
  assert.ok(peak.rss - memoryBefore.rss < 256 * 1024 * 1024, `rss peaked ${mb(peak.rss - memoryBefore.rss)} above where it was`);
});
