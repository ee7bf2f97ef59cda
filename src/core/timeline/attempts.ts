// A run whose probe retried the request over TLS 1.2 (ProbeResult.fallback): the retry is a second attempt on the
// same run's lanes, at its real time (its start relative to the first attempt's), under a bar of its own like a
// child span, with a mark that says why it was made. Every event of the retry is a mark like the first attempt's;
// its phases are bars named as the retry's; it ends with its own verdict mark. Pure, like the rest of the builder.

import type { ProbeFallback, ProbeResult, Verdict } from '../probe/types';
import type { TimelineAttempt, TimelineMark, TimelinePhase } from './model';
import { answeredAt, targetMark, verdictMark, type MarkSlot } from './outcome-marks';
import { roundT, traceMarks, tracePhases, type AttemptPlacement } from './trace-marks';
import { retryLabel } from './verdict-banner';

/** Why the probe retried, in words: the fallback's reason. */
export const retryReasonWords: Record<ProbeFallback['reason'], string> = {
  post_handshake_auth_not_offered:
    'over TLS 1.3 the server refused after the request without asking for a client certificate; this client cannot offer post-handshake authentication',
};

const retryMeaning =
  'A server that needs a client certificate for one path only asks for it once it has read the request. Over TLS 1.3 it can do so only by post-handshake authentication, and only when the ClientHello offered the post_handshake_auth extension, which Node (and Chrome and Firefox by default) never offers: such a server refuses without asking. Over TLS 1.2 it renegotiates instead, which this client follows. So the probe made the same request again, TLS 1.2 at most, with a correlation id of its own; the run\'s verdict is the first attempt\'s, worded with what the retry showed.';

/**
 * Where the retry starts on the run's axis: its start relative to the first attempt's. Start times are whole
 * milliseconds, so the difference can come out a fraction of a millisecond before the first attempt ended (it
 * began after): never before that end.
 */
export function retryOffset(first: ProbeResult, retry: ProbeResult): number {
  return roundT(Math.max(Date.parse(retry.startedAt) - Date.parse(first.startedAt), first.timings.total));
}

/** "TLS 1.3 attempt": the first attempt, by the version it negotiated. */
function firstLabel(first: ProbeResult): string {
  const version = /^TLSv(\d\.\d)$/.exec(first.tls.version ?? '')?.[1];
  return version !== undefined ? `TLS ${version} attempt` : 'First attempt';
}

/** The attempt's own outcome, short: what the server did to the first, the verdict of the retry. */
function outcomeWords(result: ProbeResult, verdict: Verdict, own: boolean): string {
  if (!own && result.http !== null) return `refused with HTTP ${result.http.status}`;
  if (verdict.stoppedAt === null) return result.http !== null ? `passed (HTTP ${result.http.status})` : 'passed';
  return `stopped at ${verdict.stoppedAt} · ${verdict.reason}`;
}

/** The run's attempts; `whyMarkId` is the retry's mark saying why it was made (retryMarks' first). */
function timelineAttempts(first: ProbeResult, fallback: ProbeFallback, whyMarkId: string): TimelineAttempt[] {
  const retry = fallback.result;
  const offset = retryOffset(first, retry);
  return [
    { index: 0, label: firstLabel(first), from: 0, to: first.timings.total, startedAt: first.startedAt, correlationId: first.correlationId, outcome: outcomeWords(first, first.verdict, false), tone: 'error' },
    {
      index: 1,
      label: retryLabel,
      from: offset,
      to: roundT(offset + retry.timings.total),
      startedAt: retry.startedAt,
      correlationId: retry.correlationId,
      why: retryReasonWords[fallback.reason],
      markId: whyMarkId,
      outcome: outcomeWords(retry, retry.verdict, true),
      tone: retry.verdict.stoppedAt === null ? 'ok' : 'error',
    },
  ];
}

/** The mark at the retry's start saying why it was made. */
function whyMark(first: ProbeResult, fallback: ProbeFallback, id: string, offset: number): TimelineMark {
  const retry = fallback.result;
  const why = retryReasonWords[fallback.reason];
  return {
    id,
    lane: 'client',
    t: offset,
    time: retry.startedAt,
    dir: 'local',
    kind: 'attempt',
    label: retryLabel,
    summary: `${retryLabel}: the same request again, TLS 1.2 at most — ${why}`,
    tone: 'warning',
    attempt: 1,
    detail: {
      title: `${retryLabel}: why`,
      fields: [
        { name: 'Why', value: `${why.charAt(0).toUpperCase()}${why.slice(1)}.` },
        { name: 'Reason', value: fallback.reason },
        { name: 'Highest TLS version offered', value: fallback.tlsMaxVersion },
        { name: 'First attempt', value: `${first.tls.version ?? 'no TLS'}${first.http !== null ? `, HTTP ${first.http.status}` : ''} (X-Amzn-Trace-Id: ${first.correlationId})` },
        { name: 'Correlation id of the retry', value: `X-Amzn-Trace-Id: ${retry.correlationId}` },
        { name: 'Started', value: `${retry.startedAt} (${offset.toFixed(3)} ms after the first attempt)` },
        { name: "Retry's verdict", value: `${retry.verdict.stoppedAt ?? 'passed'} — ${retry.verdict.reason}` },
      ],
      meaning: retryMeaning,
    },
  };
}

/** The retry's marks (numbered on from `firstIndex`, the first says why it was made) and phases, on the run's axis. */
export function retryMarks(first: ProbeResult, fallback: ProbeFallback, runId: string, firstIndex: number): { marks: TimelineMark[]; phases: TimelinePhase[]; attempts: TimelineAttempt[]; end: number } {
  const retry = fallback.result;
  const offset = retryOffset(first, retry);
  const originMs = Date.parse(retry.startedAt);
  const placement: AttemptPlacement = { attempt: 1, offset, firstIndex: firstIndex + 1, label: retryLabel };
  const marks = [whyMark(first, fallback, `${runId}:${firstIndex}`, offset), ...traceMarks(retry, runId, originMs, placement)];
  let next = placement.firstIndex + retry.trace.length;
  const slot = (attemptT: number): MarkSlot => ({ id: `${runId}:${next++}`, t: roundT(offset + attemptT), originMs, attemptT, attempt: 1, label: retryLabel });
  const answered = answeredAt(retry, retry.verdict);
  const target = answered !== null ? targetMark(retry, slot(answered)) : null;
  if (target !== null) marks.push(target);
  marks.push(verdictMark(retry.verdict, slot(retry.timings.total)));
  return { marks, phases: tracePhases(retry, placement), attempts: timelineAttempts(first, fallback, marks[0]!.id), end: roundT(offset + retry.timings.total) };
}
