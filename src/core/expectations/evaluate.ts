import { targetName, type ExpectedOutcome } from '../config/types';
import type { ProbeResult } from '../probe/types';

// Whether a probe ended as expected: the words for what was expected and for what it ended with, and the
// comparison. Apart from running the checks, so the run service can judge a run again when evidence changes its
// verdict; apart from the config's reader, so judging a run does not load it.

/** One line for an expected outcome: "mtls", "mtls (alert_certificate_required)", "target with HTTP 200", "HTTP 400". */
export function describeExpectedOutcome(expected: ExpectedOutcome): string {
  switch (expected.kind) {
    case 'stopped':
      return expected.reason !== undefined ? `${expected.layer} (${expected.reason})` : expected.layer;
    case 'target':
      return expected.status !== undefined ? `${targetName} with HTTP ${expected.status}` : targetName;
    case 'status':
      return `HTTP ${expected.status}`;
  }
}

/** What the probe ended with, in the words of describeExpectedOutcome: `mtls (reset_after_client_certificate)`, `target with HTTP 200`. */
export function describeOutcome(result: ProbeResult): string {
  const { stoppedAt, reason } = result.verdict;
  if (stoppedAt === null) {
    if (result.http !== null) return `${targetName} with HTTP ${result.http.status}`;
    // --handshake-only: the handshake passed and no request was sent, so nothing is known of the application.
    return reason === 'handshake_completed' ? 'the TLS handshake only (no request was sent)' : `${targetName} (${reason})`;
  }
  return `${stoppedAt} (${reason})`;
}

function matches(expected: ExpectedOutcome, result: ProbeResult): boolean {
  const { verdict, http } = result;
  switch (expected.kind) {
    case 'stopped':
      return verdict.stoppedAt === expected.layer && (expected.reason === undefined || verdict.reason === expected.reason);
    case 'target':
      // "The application answered": an attempt that ended inconclusively has no HTTP answer to show for it.
      return verdict.stoppedAt === null && http !== null && (expected.status === undefined || http.status === expected.status);
    case 'status':
      return http?.status === expected.status;
  }
}

export function evaluateExpectation(expected: ExpectedOutcome, result: ProbeResult): { passed: boolean; message: string } {
  const got = describeOutcome(result);
  if (matches(expected, result)) return { passed: true, message: `${got}, as expected` };
  return { passed: false, message: `expected ${describeExpectedOutcome(expected)}, got ${got}: ${result.verdict.summary}` };
}

