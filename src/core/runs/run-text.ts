// A run's evidence in words, for the terminal, the output channel and the text trace: what matched and why,
// what was found, missing or not yet available, then the verdict it gives.

import { describeEvidence } from '../evidence/correlate';
import type { EvidenceEvent } from '../evidence/types';
import { runLine, type CheckRun } from './check-run';

/** The evidence lines of the run (empty when none was collected). */
export function runEvidenceLines(run: CheckRun): string[] {
  if (run.evidence === undefined) return [];
  const { report, sourceLabel } = run.evidence;
  return describeEvidence(report.events, report, { used: usedEvents(run), sourceLabel });
}

/**
 * The verdict's evidence as the report's own event objects: after a JSON round trip they are copies, and
 * describeEvidence tells used from unused records by identity.
 */
function usedEvents(run: CheckRun): EvidenceEvent[] {
  const events = run.evidence?.report.events ?? [];
  const used = run.verdict.evidence as EvidenceEvent[];
  return used.map((u) => events.find((e) => e === u || (e.time === u.time && e.kind === u.kind && e.summary === u.summary)) ?? u);
}

/** The evidence lines and the verdict they give: "Verdict with evidence: mtls · alb_client_cert_untrusted · 38 ms · confirmed — …". */
export function evidenceText(run: CheckRun): string {
  return `${runEvidenceLines(run).join('\n')}\nVerdict with evidence: ${runLine(run)} — ${run.verdict.summary}`;
}
