import { targetName, type ExpectedAttempt, type ExpectedOutcome } from '../config/types';
import type { ProbeResult } from '../probe/types';

// Whether a probe ended as expected: the words for what was expected and for what it ended with, and the
// comparison. Apart from running the checks, so the run service can judge a run again when evidence changes its
// verdict; apart from the config's reader, so judging a run does not load it.
//
// A probe refused over TLS 1.3 after the request, with no certificate asked for, is made again over TLS 1.2
// (result.fallback). An expectation is judged on the attempt it names (ExpectedAttempt, the first by default), and
// its message always names the other attempt when there were two: nothing falls back silently.

/** The attempt an expectation was judged on; null when it asked for the TLS 1.2 retry and the probe made none. */
export type JudgedAttempt = 'first' | 'tls12Fallback';

const attemptPhrases: Record<ExpectedAttempt, string> = {
  first: ' on the first attempt',
  tls12Fallback: ' on the TLS 1.2 retry',
  last: ' on the last attempt',
};

/**
 * One line for an expected outcome: "mtls", "mtls (alert_certificate_required)", "target with HTTP 200", "HTTP 400",
 * followed by the attempt when the config names one: "target on the TLS 1.2 retry", "mtls on the first attempt",
 * "target on the last attempt" (the TLS 1.2 retry when the probe made one, else the first).
 */
export function describeExpectedOutcome(expected: ExpectedOutcome): string {
  const attempt = expected.attempt !== undefined ? attemptPhrases[expected.attempt] : '';
  switch (expected.kind) {
    case 'stopped':
      return `${expected.reason !== undefined ? `${expected.layer} (${expected.reason})` : expected.layer}${attempt}`;
    case 'target':
      return `${expected.status !== undefined ? `${targetName} with HTTP ${expected.status}` : targetName}${attempt}`;
    case 'status':
      return `HTTP ${expected.status}${attempt}`;
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

export interface ExpectationJudgement {
  passed: boolean;
  /** Expected vs got, naming the attempt judged and what the other one got when the probe retried. */
  message: string;
  /** The attempt judged; null when the TLS 1.2 retry was asked for and the probe made none. */
  attempt: JudgedAttempt | null;
  /** What the judged attempt ended with, then what the other one got: "target with HTTP 200 on the TLS 1.2 retry; the first attempt got …". */
  got: string;
}

/** The attempt the expectation asks for, as the probe made it: the first, the TLS 1.2 retry, or none. */
function attemptJudged(expected: ExpectedOutcome, result: ProbeResult): JudgedAttempt | null {
  const retried = result.fallback !== undefined;
  switch (expected.attempt ?? 'first') {
    case 'first':
      return 'first';
    case 'tls12Fallback':
      return retried ? 'tls12Fallback' : null;
    case 'last':
      return retried ? 'tls12Fallback' : 'first';
  }
}

/** The TLS 1.2 retry's judgement (the first attempt named beside it). */
function judgeRetry(expected: ExpectedOutcome, result: ProbeResult, retry: ProbeResult): ExpectationJudgement {
  const retryGot = describeOutcome(retry);
  const firstGot = `the first attempt${result.tls.version !== null ? `, over ${result.tls.version},` : ''} got ${describeOutcome(result)}`;
  const got = `${retryGot} on the TLS 1.2 retry; ${firstGot}`;
  if (matches(expected, retry)) return { passed: true, attempt: 'tls12Fallback', got, message: `${retryGot}, as expected (judged on the TLS 1.2 retry; ${firstGot})` };
  return { passed: false, attempt: 'tls12Fallback', got, message: `expected ${describeExpectedOutcome(expected)}, got ${retryGot} (judged on the TLS 1.2 retry; ${firstGot}): ${retry.verdict.summary}` };
}

/** The first attempt's judgement; when the probe retried, what the retry got, and how to judge it instead. */
function judgeFirst(expected: ExpectedOutcome, result: ProbeResult): ExpectationJudgement {
  const firstGot = describeOutcome(result);
  const retry = result.fallback?.result;
  const passed = matches(expected, result);
  if (retry === undefined) {
    // "last" with no retry: the first attempt is the last one, and the message says why it was judged.
    const why = expected.attempt === 'last' ? ' (judged on the first attempt: the probe made no TLS 1.2 retry)' : '';
    return { passed, attempt: 'first', got: firstGot, message: passed ? `${firstGot}, as expected${why}` : `expected ${describeExpectedOutcome(expected)}, got ${firstGot}${why}: ${result.verdict.summary}` };
  }
  const retryGot = `the probe retried over TLS 1.2, and the retry got ${describeOutcome(retry)}`;
  const got = `${firstGot}; the TLS 1.2 retry got ${describeOutcome(retry)}`;
  if (passed) return { passed, attempt: 'first', got, message: `${firstGot}, as expected (judged on the first attempt; ${retryGot})` };
  const hint = matches(expected, retry) ? ' — what was expected: to judge the retry, add "attempt": "last" (or "tls12Fallback") to this expectation' : '';
  return { passed, attempt: 'first', got, message: `expected ${describeExpectedOutcome(expected)}, got ${firstGot} (judged on the first attempt; ${retryGot}${hint}): ${result.verdict.summary}` };
}

/** Judges the probe on the attempt the expectation names (the first by default); see ExpectationJudgement. */
export function judgeExpectation(expected: ExpectedOutcome, result: ProbeResult): ExpectationJudgement {
  const attempt = attemptJudged(expected, result);
  if (attempt === 'tls12Fallback') return judgeRetry(expected, result, result.fallback!.result);
  if (attempt === 'first') return judgeFirst(expected, result);
  const firstGot = describeOutcome(result);
  return {
    passed: false,
    attempt: null,
    got: `no TLS 1.2 retry; the first attempt got ${firstGot}`,
    message: `expected ${describeExpectedOutcome(expected)}, but the probe made no TLS 1.2 retry (it retries only when TLS 1.3 was refused after the request without a client certificate asked for); the first attempt got ${firstGot}: ${result.verdict.summary}`,
  };
}

/** Whether the probe met the expectation, and the words for it (judgeExpectation without the details). */
export function evaluateExpectation(expected: ExpectedOutcome, result: ProbeResult): { passed: boolean; message: string } {
  const { passed, message } = judgeExpectation(expected, result);
  return { passed, message };
}
