// `npm run demo` end to end after the build — lab start (PKI included), the six probes, the evidence from the lab's
// logs, the compare report — target ≤ 5 s. Whole processes, medians; baseline in the same run: the CLI printing
// its version (what any mtls-probe command costs before it does anything).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './statistics';

export interface DemoBenchResult {
  runs: number;
  demoMs: number[];
  versionMs: number[];
  medianDemoMs: number;
  medianVersionMs: number;
}

const cli = new URL('../dist/cli.js', import.meta.url).pathname;

function timed(args: string[]): number {
  const start = performance.now();
  execFileSync(process.execPath, [cli, ...args], { stdio: 'ignore' });
  return performance.now() - start;
}

export async function runDemoBench(runs = Number(process.env.BENCH_DEMO_RUNS ?? 5)): Promise<DemoBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-demo-bench-'));
  try {
    const demoMs: number[] = [];
    const versionMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so both see the machine in the same state.
      versionMs.push(timed(['--version']));
      demoMs.push(timed(['demo', '--report', join(dir, `demo-${i}.html`)]));
    }
    return { runs, demoMs, versionMs, medianDemoMs: median(demoMs), medianVersionMs: median(versionMs) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function describeDemoBench(r: DemoBenchResult): string {
  return [
    `npm run demo after the build (${r.runs} runs): median ${r.medianDemoMs.toFixed(0)} ms (target ≤ 5000 ms) vs ${r.medianVersionMs.toFixed(0)} ms for mtls-probe --version = ${(r.medianDemoMs / r.medianVersionMs).toFixed(1)}×`,
    `  each: ${r.demoMs.map((v) => v.toFixed(0)).join(', ')} ms`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  void runDemoBench().then((r) => console.log(describeDemoBench(r)));
}
