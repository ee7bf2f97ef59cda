// What the TLS 1.2 retry costs when a server asks for the client certificate only for one path. Against a real
// Apache httpd (per-path SSLVerifyClient, TLS 1.2 and 1.3) on loopback, interleaved, medians of whole probes:
// - baseline: the public path `/` (one TLS 1.3 attempt, no retry);
// - `/secure/` with a valid identity: the TLS 1.3 attempt refused with 403, then the TLS 1.2 retry that
//   renegotiates and gets 200 — the ratio is what finding out (instead of guessing) costs;
// - `/secure/` with `--tls-max 1.2` (what a user who knows would run: one attempt with renegotiation).
// Run: node --import tsx bench/fallback-cost.ts  (needs apache2: npm run test:all installs it)

import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { loadPemIdentity } from '../src/core/identity/client-identity';
import { probe } from '../src/core/probe/probe';
import type { ProbeOptions } from '../src/core/probe/types';
import { startApache } from '../test/support/apache-peer';
import { makeGeneratedPki } from '../test/support/generated-pki';
import { median } from './statistics';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 60);
const warmup = 5;

async function main(): Promise<void> {
  const pki = await makeGeneratedPki('mtls-probe-bench-fallback-');
  const files = pki.identity('valid');
  const identity = await loadPemIdentity({ certFile: files.chain, keyFile: files.key, label: 'valid' });
  const ca = await readFile(pki.caFile);
  const apache = await startApache(null, pki, { mode: 'location', tls: 'both' });
  if (apache === null) throw new Error('Apache httpd did not start');
  const base = apache.url.replace(/\/$/, '');
  const cases: Array<[string, ProbeOptions, string]> = [
    ['public path / (baseline)', { url: `${base}/`, identity, ca }, 'target_responded'],
    ['/secure/ with the TLS 1.2 retry', { url: `${base}/secure/`, identity, ca }, 'post_handshake_auth_required'],
    ['/secure/ with --tls-max 1.2', { url: `${base}/secure/`, identity, ca, tlsMaxVersion: 'TLSv1.2' }, 'target_responded'],
  ];
  const times = cases.map(() => [] as number[]);
  try {
    for (let i = 0; i < warmup + iterations; i++) {
      for (const [c, [, options, reason]] of cases.entries()) {
        const start = performance.now();
        const { result } = await probe(options);
        const ms = performance.now() - start;
        if (result.verdict.reason !== reason) throw new Error(`${cases[c]![0]}: got ${result.verdict.reason}, expected ${reason}`);
        if (i >= warmup) times[c]!.push(ms);
      }
    }
  } finally {
    await apache.stop();
  }
  const baseline = median(times[0]!);
  console.log(`Apache httpd per-path client certificate, ${iterations} interleaved probes each (medians):`);
  for (const [c, [name]] of cases.entries()) {
    const m = median(times[c]!);
    console.log(`  ${name.padEnd(34)} ${m.toFixed(1).padStart(7)} ms  ${(m / baseline).toFixed(2)}× the baseline`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
