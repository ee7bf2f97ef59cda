// Every fuzz target (test/fuzz/targets) on a small seeded run: no input may throw anything but the product's coded
// errors. The full run (a million inputs, and the super-linearity check) is bench/fuzz.ts; no timing here.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inputAt, runTarget } from '../fuzz/engine';
import { fuzzTargets } from '../fuzz/targets';

/** Inputs per target: the same first inputs the full run with seed 1 starts with. */
const smokeInputs = 2000;

describe('fuzz targets, seeded smoke run', () => {
  for (const target of fuzzTargets) {
    test(`${target.name}: ${smokeInputs} inputs, no uncoded exception`, async () => {
      await target.setup?.();
      const result = await runTarget(target, { seed: 1, inputs: smokeInputs });
      const findings = result.findings.map((f) => `#${f.index} (${f.count}×) ${f.error}\n${f.stack.split('\n').slice(1, 4).join('\n')}`);
      assert.deepEqual(findings, [], `reproduce with: node --import tsx bench/fuzz.ts --target ${target.name} --seed 1 --index N`);
      assert.ok(result.outcomes.size > 1, 'the inputs reach more than one outcome');
    });
  }

  test('an input is made again from its seed and index', () => {
    const target = fuzzTargets.find((t) => t.name === 'der')!;
    assert.deepEqual(inputAt(target, 7, 1234), inputAt(target, 7, 1234));
    assert.notDeepEqual(inputAt(target, 7, 1234), inputAt(target, 8, 1234));
  });
});
