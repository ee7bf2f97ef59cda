// Reading an evidence report's coverage in tests: one row by its name, or every row's state by name.

import assert from 'node:assert/strict';
import type { EvidenceCoverage, EvidenceReport } from '../../src/core/evidence/types';

/** The coverage row of this evidence; fails the test, listing the rows, when there is none. */
export function coverageOf(report: EvidenceReport, evidence: string): EvidenceCoverage {
  const entry = report.coverage?.find((c) => c.evidence === evidence);
  assert.ok(entry, `no coverage for ${evidence}: ${JSON.stringify(report.coverage)}`);
  return entry;
}

/** Evidence name → found / missing / not-yet-available / not-configured / failed. */
export function states(report: EvidenceReport): Record<string, string> {
  return Object.fromEntries((report.coverage ?? []).map((c) => [c.evidence, c.state]));
}
