// Trace overhead: a full traced probe (tap + decode + verdict, client certificate, HTTP GET over undici)
// against a plain tls.connect + hand-written HTTP/1.1 request, all to the same nginx on loopback, in the
// same run, interleaved so drift hits all alike. Reported as ratios of medians (target ≤ 1.15):
// - against plain tls.connect as applications call it (a new SecureContext per connection);
// - against tls.connect with a prebuilt SecureContext, as the probe reuses one per identity: this
//   second ratio is the cost of the tracing itself (tap, decode, undici, verdict).

import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { loadPemIdentity, type ClientIdentity } from '../src/core/identity/client-identity';
import { probe } from '../src/core/probe/probe';
import { makePkiFiles, startNginx } from '../test/support/peers';
import { median } from './statistics';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 300);
const warmup = 30;


function plainRequest(port: number, ca: string, identity: ClientIdentity, maxVersion: 'TLSv1.2' | 'TLSv1.3', secureContext?: SecureContext): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const credentials = secureContext ? { secureContext } : { ca, cert: identity.certificatePem, key: identity.tlsKey(), maxVersion };
    const socket = tlsConnect({ host: 'localhost', port, servername: 'localhost', ...credentials, ALPNProtocols: ['http/1.1'] }, () => {
      socket.write('GET / HTTP/1.1\r\nhost: localhost\r\nuser-agent: bench\r\naccept: */*\r\nconnection: close\r\n\r\n');
    });
    socket.setNoDelay(true);
    let response = '';
    socket.on('data', (d: Buffer) => {
      response += d.toString('latin1');
      // nginx answers "ok from nginx\n": stop at the end of the body, as the probe does.
      if (response.includes('\r\n\r\n') && response.endsWith('ok from nginx\n')) {
        socket.destroy();
        if (!response.startsWith('HTTP/1.1 200')) reject(new Error(response.slice(0, 80)));
        else resolve(performance.now() - start);
      }
    });
    socket.on('error', reject);
  });
}

async function tracedProbe(url: string, ca: string, identity: ClientIdentity, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<number> {
  const start = performance.now();
  const { result } = await probe({ url, ca, identity, tlsMaxVersion: maxVersion, alpn: ['http/1.1'] });
  const elapsed = performance.now() - start;
  if (result.http?.status !== 200) throw new Error(`probe failed: ${result.verdict.summary}`);
  return elapsed;
}

export interface TraceOverheadResult {
  version: string;
  iterations: number;
  plainMedianMs: number;
  plainSharedContextMedianMs: number;
  tracedMedianMs: number;
  ratio: number;
  ratioSharedContext: number;
}

export async function runTraceOverhead(): Promise<TraceOverheadResult[]> {
  const { pki, files } = await makePkiFiles('mtls-probe-bench-');
  const nginx = await startNginx(null, files);
  if (nginx === null) throw new Error('nginx is required');
  const identity = await loadPemIdentity({ certFile: files.client('valid').cert, keyFile: files.client('valid').key });
  const ca = pki.rootCa.certPem;
  const out: TraceOverheadResult[] = [];
  try {
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const plain: number[] = [];
      const shared: number[] = [];
      const traced: number[] = [];
      const context = createSecureContext({ ca, cert: identity.certificatePem, key: identity.tlsKey(), maxVersion: version });
      const runs: Array<() => Promise<number>> = [
        () => plainRequest(nginx.port, ca, identity, version),
        () => plainRequest(nginx.port, ca, identity, version, context),
        () => tracedProbe(nginx.url, ca, identity, version),
      ];
      for (let i = 0; i < warmup + iterations; i++) {
        // rotate the order so no variant always runs on a warmer cache
        const times: number[] = [0, 0, 0];
        for (let k = 0; k < 3; k++) {
          const which = (i + k) % 3;
          times[which] = await runs[which]!();
        }
        if (i < warmup) continue;
        plain.push(times[0]!);
        shared.push(times[1]!);
        traced.push(times[2]!);
      }
      const plainMedianMs = median(plain);
      const plainSharedContextMedianMs = median(shared);
      const tracedMedianMs = median(traced);
      out.push({ version, iterations, plainMedianMs, plainSharedContextMedianMs, tracedMedianMs, ratio: tracedMedianMs / plainMedianMs, ratioSharedContext: tracedMedianMs / plainSharedContextMedianMs });
    }
  } finally {
    await nginx.stop();
  }
  return out;
}

export function describeTraceOverhead(r: TraceOverheadResult): string {
  return (
    `${r.version}: traced probe median ${r.tracedMedianMs.toFixed(3)} ms; plain tls.connect+GET ${r.plainMedianMs.toFixed(3)} ms (ratio ${r.ratio.toFixed(3)}, target <= 1.15); ` +
    `plain with a prebuilt SecureContext ${r.plainSharedContextMedianMs.toFixed(3)} ms (ratio ${r.ratioSharedContext.toFixed(3)}); n=${r.iterations}`
  );
}

if (process.argv[1]?.endsWith('trace-overhead.ts')) {
  void runTraceOverhead().then((results) => results.forEach((r) => console.log(describeTraceOverhead(r))));
}
