import { describeExpectedOutcome } from '../config/workspace-config';
import type { ExpectedOutcome } from '../config/types';
import type { ProbeResult } from '../probe/types';

// Whether a probe ended as expected: the words for what it ended with, and the comparison. Apart from running the
// checks, so the run service can judge a run again when evidence changes its verdict.

/** What the probe ended with, in the words of describeExpectedOutcome: `mtls (reset_after_client_certificate)`, `target with HTTP 200`. */
export function describeOutcome(result: ProbeResult): string {
  const { stoppedAt, reason } = result.verdict;
  if (stoppedAt === null) {
    if (result.http !== null) return `target with HTTP ${result.http.status}`;
    // --handshake-only: the handshake passed and no request was sent, so nothing is known of the application.
    return reason === 'handshake_completed' ? 'the TLS handshake only (no request was sent)' : `target (${reason})`;
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

