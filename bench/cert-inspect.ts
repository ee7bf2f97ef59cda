// Certificate inspection as the editor hover and `mtls-probe cert` use it:
// - parse + inspect a 25-certificate PEM bundle (target: median <= 20 ms), measured warm (the same bundle
//   again, as a hover re-reads its file) and cold (bundles never seen before, so no cache helps);
// - pair certificates with keys in a folder of 200 files, 100 certificate/key pairs (target <= 1000 ms).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseCryptoText } from '../src/core/certs/crypto-file';
import { inspectFile } from '../src/core/certs/inspect';
import { findIdentityPairs } from '../src/core/certs/pairs';
import { generateTestPki, type PemPair, type TestPki } from '../src/core/pki/test-pki';
import { median } from './statistics';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 200);
const warmup = 20;
const coldBundles = 5;


function certificatesOf(pki: TestPki): string[] {
  return [pki.server.certPem, pki.clients.valid.certPem, pki.clients.expired.certPem, pki.clients.untrusted.certPem, pki.rootCa.certPem, pki.otherCa.certPem];
}

/** 25 certificates: leaves first, then their CAs, with a line of text between blocks as real bundles have. */
async function makeBundle(organization: string): Promise<Buffer> {
  const pkis = await Promise.all(Array.from({ length: 5 }, (_, i) => generateTestPki({ organization: `${organization} ${i}` })));
  const pems = pkis.flatMap(certificatesOf).slice(0, 25);
  return Buffer.from(pems.map((pem, i) => `# certificate ${i + 1}\n${pem}`).join('\n'));
}

function timeInspect(bundle: Buffer, name: string): number {
  const start = performance.now();
  const report = inspectFile(parseCryptoText(bundle, name));
  const elapsed = performance.now() - start;
  if (report.certificates.length !== 25 || report.problems.length > 0) throw new Error(`bench bundle misread: ${report.certificates.length} certificates`);
  return elapsed;
}

export interface CertInspectBenchResult {
  iterations: number;
  inspectWarmMedianMs: number;
  inspectColdMedianMs: number;
  pairFiles: number;
  pairs: number;
  pairFirstRunMs: number;
  pairMedianMs: number;
}

export async function runCertInspectBench(): Promise<CertInspectBenchResult> {
  const bundles = await Promise.all(Array.from({ length: coldBundles + 1 }, (_, i) => makeBundle(`Bench bundle ${i}`)));
  const warm: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const t = timeInspect(bundles[0]!, 'bundle-0.pem');
    if (i >= warmup) warm.push(t);
  }
  // Each of these bundles is inspected for the first time: nothing is cached for its certificates.
  const cold = bundles.slice(1).map((bundle, i) => timeInspect(bundle, `bundle-${i + 1}.pem`));

  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-bench-pairs-'));
  try {
    const pkis = await Promise.all(Array.from({ length: 25 }, (_, i) => generateTestPki({ organization: `Bench pairs ${i}` })));
    const pairs: PemPair[] = pkis.flatMap((p) => [p.server, p.clients.valid, p.clients.expired, p.clients.untrusted]);
    await Promise.all(
      pairs.flatMap((pair, i) => [writeFile(join(dir, `identity-${i}.crt`), pair.certPem), writeFile(join(dir, `identity-${i}.key`), pair.keyPem, { mode: 0o600 })]),
    );
    const runs: number[] = [];
    let found = 0;
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const search = await findIdentityPairs(dir);
      runs.push(performance.now() - start);
      found = search.pairs.length;
    }
    if (found !== pairs.length) throw new Error(`bench folder misread: ${found} pairs of ${pairs.length}`);
    return {
      iterations,
      inspectWarmMedianMs: median(warm),
      inspectColdMedianMs: median(cold),
      pairFiles: pairs.length * 2,
      pairs: found,
      pairFirstRunMs: runs[0]!,
      pairMedianMs: median(runs),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function describeCertInspectBench(r: CertInspectBenchResult): string {
  return (
    `inspect 25-cert bundle: median ${r.inspectWarmMedianMs.toFixed(3)} ms (target <= 20 ms); first inspection of unseen bundles: median ${r.inspectColdMedianMs.toFixed(3)} ms; n=${r.iterations}\n` +
    `pair ${r.pairFiles} files: ${r.pairFirstRunMs.toFixed(1)} ms (target <= 1000 ms); ${r.pairs} pairs; median of 5 runs ${r.pairMedianMs.toFixed(1)} ms`
  );
}

if (process.argv[1]?.endsWith('cert-inspect.ts')) {
  void runCertInspectBench().then((r) => console.log(describeCertInspectBench(r)));
}
