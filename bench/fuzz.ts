// Fuzzes every parser of untrusted input: the TLS decoder, the DER/PEM/PKCS#12 readers, certificate inspection and the
// trust-store lint, every log parser, the workspace config loader, the run JSON reader and the webview's message
// validator (targets in test/fuzz/targets/). Seeded and repeatable: the same --seed gives the same inputs.
//
//   node --import tsx bench/fuzz.ts [--inputs 1000000] [--seed N] [--target NAME]... [--no-scaling] [--out DIR]
//   node --import tsx bench/fuzz.ts --target NAME --seed N --index I      (run one input again, print what it threw)
//   node --import tsx bench/fuzz.ts --reproduce FILE                      (run a reproducer file again)
//
// Per target it prints the inputs, the distinct outcomes (coded errors by class and code), the uncoded exceptions (each
// new one written to DIR as a reproducer: target, seed, index, the input's hex), the duration, the slowest input, and
// the super-linearity check: CPU time per byte of worst-case shapes at 1 KB, 64 KB and 1 MB (CPU time, so other work on
// the machine does not count; a shape over the bound is measured again, best of 3), flagged when the largest size
// costs more than 3x per byte what the smallest does. Exits 1 on any exception or flag.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { codedOutcome, inputAt, runTarget, scaling, superLinearRatio, type Finding, type FuzzTarget, type ScalingResult, type TargetResult } from '../test/fuzz/engine';
import { fuzzTarget, fuzzTargets } from '../test/fuzz/targets';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    target: { type: 'string', multiple: true },
    index: { type: 'string' },
    reproduce: { type: 'string' },
    out: { type: 'string', default: 'bench/results/fuzz' },
    'no-scaling': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

async function runOne(target: FuzzTarget, input: Buffer, label: string): Promise<number> {
  await target.setup?.();
  try {
    const outcome = await target.run(input);
    console.log(`${label}: ${outcome}`);
    return 0;
  } catch (error) {
    const coded = codedOutcome(error, target.coded);
    if (coded !== null) {
      console.log(`${label}: ${coded} (a coded error)`);
      return 0;
    }
    console.log(`${label}: UNCODED EXCEPTION`);
    console.log(error instanceof Error ? error.stack : error);
    return 1;
  }
}

/** Splits `total` inputs over the targets by weight (every target gets at least one). */
function shares(targets: readonly FuzzTarget[], total: number): number[] {
  const weight = targets.reduce((sum, t) => sum + t.weight, 0);
  const counts = targets.map((t) => Math.max(1, Math.floor((total * t.weight) / weight)));
  counts[0]! += Math.max(0, total - counts.reduce((a, b) => a + b, 0));
  return counts;
}

function writeFinding(dir: string, finding: Finding): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${finding.target}-seed${finding.seed}-${finding.index}.json`);
  writeFileSync(file, `${JSON.stringify(finding, null, 2)}\n`);
  return file;
}

function describeScaling(result: ScalingResult): string {
  const points = result.points.map((p) => `${fmt(p.bytes)} B ${p.ms.toFixed(2)} ms (${p.nsPerByte.toFixed(1)} ns/B)`).join(' → ');
  const flag = result.ratio > superLinearRatio ? `  SUPER-LINEAR (> ${superLinearRatio}x)` : '';
  const thrown = result.exceptions.map((e) => `\n      EXCEPTION ${e}`).join('');
  const attempts = result.attempts > 1 ? ` (best of ${result.attempts} measurements)` : '';
  return `    ${result.shape}: ${points}; ratio ${result.ratio.toFixed(2)}x${attempts}${flag}${result.skipped ? ` [${result.skipped}]` : ''}${thrown}`;
}

function describeResult(result: TargetResult): string {
  const outcomes = [...result.outcomes].sort((a, b) => b[1] - a[1]);
  const top = outcomes.slice(0, 6).map(([o, n]) => `${o} ${fmt(n)}`).join(', ');
  return [
    `  inputs ${fmt(result.inputs)} in ${(result.durationMs / 1000).toFixed(1)} s (${((result.durationMs * 1000) / result.inputs).toFixed(1)} µs each); slowest #${result.slowest.index} ${result.slowest.ms.toFixed(1)} ms (${fmt(result.slowest.bytes)} B)`,
    `  distinct outcomes ${outcomes.length}: ${top}${outcomes.length > 6 ? ', …' : ''}`,
    `  exceptions ${fmt(result.exceptions)}${result.findings.length > 0 ? ` (${result.findings.length} distinct)` : ''}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const seed = Number(values.seed);
  if (values.reproduce !== undefined) {
    const finding = JSON.parse(readFileSync(values.reproduce, 'utf8')) as Finding;
    return runOne(fuzzTarget(finding.target), Buffer.from(finding.inputHex, 'hex'), `${finding.target} #${finding.index} (seed ${finding.seed})`);
  }
  const targets = values.target === undefined ? fuzzTargets : values.target.flatMap((t) => t.split(',')).map(fuzzTarget);
  if (values.index !== undefined) {
    const target = targets[0]!;
    return runOne(target, inputAt(target, seed, Number(values.index)), `${target.name} #${values.index} (seed ${seed})`);
  }
  const counts = shares(targets, Number(values.inputs));
  const started = performance.now();
  let failed = false;
  const summary: unknown[] = [];
  for (const [i, target] of targets.entries()) {
    await target.setup?.();
    console.log(`${target.name} — ${target.description}`);
    const result = await runTarget(target, {
      seed,
      inputs: counts[i]!,
      onFinding: (finding) => console.log(`  EXCEPTION ${finding.error} (input #${finding.index}) → ${writeFinding(values.out!, finding)}`),
    });
    console.log(describeResult(result));
    const scalingResults = values['no-scaling'] ? [] : await scaling(target);
    if (scalingResults.length > 0) console.log('  CPU time per byte, 1 KB → 64 KB → 1 MB:');
    for (const s of scalingResults) console.log(describeScaling(s));
    if (result.exceptions > 0 || scalingResults.some((s) => s.flagged)) failed = true;
    summary.push({ target: target.name, inputs: result.inputs, durationMs: Math.round(result.durationMs), outcomes: Object.fromEntries(result.outcomes), exceptions: result.exceptions, findings: result.findings.map((f) => ({ index: f.index, error: f.error, count: f.count })), slowest: result.slowest, scaling: scalingResults });
  }
  const total = counts.reduce((a, b) => a + b, 0);
  console.log(`\n${fmt(total)} inputs over ${targets.length} targets in ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${seed}: ${failed ? 'FAILED (exceptions or super-linear time above)' : 'no uncoded exception, no super-linear time'}`);
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seed, total, targets: summary }, null, 2)}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
