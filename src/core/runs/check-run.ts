// One run: a probe of an endpoint with one identity, and what server-side evidence later said about it. The CLI,
// the extension's views and Test Explorer, the timeline and every export read this one value. It is immutable:
// evidence arriving makes a new run with the same id, so a view holding the old one never sees it change.

import type { ExpectedOutcome } from '../config/types';
import type { JudgedAttempt } from '../expectations/evaluate';
import type { CorrelationKeys, EvidenceReport } from '../evidence/types';
import type { ProbeResult, Verdict } from '../probe/types';

/** The identity name of a run without a client certificate (the config's word for it). */
export const noCertificate = 'none';

export interface RunEvidence {
  report: EvidenceReport;
  /** The window that was searched (ISO 8601). */
  window: { from: string; to: string };
  keys: CorrelationKeys;
  /** "local logs", "AWS" or "local logs and AWS". */
  sourceLabel: string;
}

export interface RunExpectation {
  /** What the config expects, with the attempt it names (`outcome.attempt`, absent: the first). */
  outcome: ExpectedOutcome;
  /** describeExpectedOutcome's words: `mtls`, `target with HTTP 200`, `target on the TLS 1.2 retry`… */
  expected: string;
  passed: boolean;
  message: string;
  /**
   * The attempt judged: the first, or the TLS 1.2 retry (result.fallback); null when the retry was asked for and the
   * probe made none. Absent in runs saved before attempts were judged: the first.
   */
  judgedAttempt?: JudgedAttempt | null;
  /** What the judged attempt got, and the other one when the probe retried: `target with HTTP 200 on the TLS 1.2 retry; the first attempt …`. */
  got?: string;
}

export interface CheckRun {
  readonly id: string;
  /** The config's endpoint name, or the URL for an ad-hoc probe. */
  readonly endpointName: string;
  /** The config's identity name, the identity's label for an ad-hoc one, or `none`. */
  readonly identityName: string;
  /** ISO 8601, the probe's start. */
  readonly startedAt: string;
  /** The probe's own result; its verdict is what the probe alone could tell. */
  readonly result: ProbeResult;
  /** The verdict now: the probe's, or the one evidence confirmed or made more precise. */
  readonly verdict: Verdict;
  readonly evidence?: RunEvidence;
  /** True from the probe's end until evidence collection ends. */
  readonly collectingEvidence: boolean;
  /** When the run checks an expectation, judged against the current verdict. */
  readonly expectation?: RunExpectation;
  /**
   * Header names the config ("secretHeaders") or a flag (`--secret-header`) marks secret, beyond Authorization,
   * Cookie and the other defaults (src/core/secret-headers.ts); lower case. Their values are redacted in every output.
   */
  readonly secretHeaders?: readonly string[];
}

/** What changed: the probe finished, evidence was looked at (perhaps partly), the verdict changed, collection ended. */
export type RunUpdateKind = 'probed' | 'evidence' | 'verdict' | 'done';

export interface RunUpdate {
  kind: RunUpdateKind;
  run: CheckRun;
}

/** The probe's result as it reads now: its verdict replaced by the run's current one. */
export function currentResult(run: CheckRun): ProbeResult {
  return run.verdict === run.result.verdict ? run.result : { ...run.result, verdict: run.verdict };
}

/** "no certificate" or "identity valid": how headings and notifications name who probed. */
export function identityWords(run: Pick<CheckRun, 'identityName'>): string {
  return run.identityName === noCertificate ? 'no certificate' : `identity ${run.identityName}`;
}

/** "alb-like · no certificate": the run's title in lists, tabs and reports. */
export function runTitle(run: Pick<CheckRun, 'endpointName' | 'identityName'>): string {
  return `${run.endpointName} · ${run.identityName === noCertificate ? 'no certificate' : run.identityName}`;
}

/** A one-line verdict for rows and notifications: "mtls · reset_after_client_certificate · 38 ms". */
export function verdictLine(result: Pick<ProbeResult, 'verdict' | 'http' | 'timings'>): string {
  const layer = result.verdict.stoppedAt ?? (result.http ? `target ${result.http.status}` : 'target');
  return `${layer} · ${result.verdict.reason} · ${Math.round(result.timings.total)} ms`;
}

/** verdictLine with what evidence says: "mtls · alb_client_cert_untrusted · 38 ms · confirmed" (or "· waiting for evidence"). */
export function runLine(run: CheckRun): string {
  const line = verdictLine(currentResult(run));
  if (run.collectingEvidence) return `${line} · waiting for evidence`;
  return run.verdict.confidence === 'confirmed' ? `${line} · confirmed` : line;
}

let sequence = 0;

/** A run id unique in this process: time-ordered, short enough for a file name. */
export function newRunId(now = Date.now()): string {
  sequence = (sequence + 1) % 46656;
  return `${now.toString(36)}-${sequence.toString(36).padStart(3, '0')}`;
}
