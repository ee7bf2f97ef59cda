// The banner on top of a run: where the request stopped in words, how sure that is and why, and whether the WAF
// ever saw it. Only what follows from what was observed: no WAF sentence when nothing says so.

import type { EvidenceEvent } from '../evidence/types';
import type { HttpSummary, ProbeResult, Verdict } from '../probe/types';
import type { CheckRun } from '../runs/check-run';
import { evidenceKindWords } from './evidence-marks';
import type { VerdictBanner } from './model';

function headline(verdict: Pick<Verdict, 'stoppedAt'>, http: HttpSummary | null): string {
  const { stoppedAt } = verdict;
  switch (stoppedAt) {
    case 'dns':
      return 'Stopped at DNS (name lookup)';
    case 'tcp':
      return 'Stopped at TCP (connect)';
    case 'tls':
      return 'Stopped at TLS (handshake)';
    case 'mtls':
      return 'Stopped at mTLS (client certificate)';
    case 'http':
      return http !== null ? `Stopped at HTTP (${http.status})` : 'Stopped at HTTP';
    case 'waf':
      return `Blocked by the WAF${http !== null ? ` (${http.status})` : ''}`;
    case null:
      return http !== null ? `Passed: the application answered (HTTP ${http.status})` : 'Passed: the TLS handshake completed (no request was sent)';
  }
}

/** Said only when it follows: no HTTP request ever left the client, or a WAF record shows the WAF's decision. */
function wafReach(run: CheckRun, used: readonly EvidenceEvent[]): string | undefined {
  const { stoppedAt } = run.verdict;
  const requestSent = run.result.trace.some((e) => e.layer === 'http' && e.event === 'request');
  if (stoppedAt !== null && stoppedAt !== 'waf' && stoppedAt !== 'http' && !requestSent) {
    return stoppedAt === 'mtls'
      ? 'The request never reached the WAF: the connection ended during the handshake, before any HTTP request existed.'
      : 'The request never reached the WAF: no HTTP request was sent.';
  }
  const allowed = used.find((e) => (e.kind === 'waf-log' || e.kind === 'waf-sampled-request') && /ALLOW/i.test(String(e.record.action ?? e.record.Action ?? '')));
  if (allowed !== undefined) return `The WAF let the request through (${String(allowed.record.action ?? allowed.record.Action)}).`;
  return undefined;
}

function verifyStatus(event: EvidenceEvent): string | undefined {
  const status = event.record.tls_verify_status ?? event.record.connectionStatus;
  return typeof status === 'string' ? status.replace(/^"|"$/g, '') : undefined;
}

function confidenceText(run: CheckRun, used: readonly EvidenceEvent[]): string {
  if (run.verdict.confidence === 'confirmed') {
    const sources = [...new Set(used.map((e) => ((e.kind === 'alb-connection-log' || e.kind === 'cloudfront-connection-log') && verifyStatus(e) !== undefined ? `the ${evidenceKindWords(e.kind)} (${verifyStatus(e)})` : `the ${evidenceKindWords(e.kind)}`)))];
    return sources.length > 0 ? `Confirmed by ${sources.join(', ')}` : 'Confirmed by server-side evidence';
  }
  if (run.collectingEvidence) return 'From the probe alone so far: server-side evidence is being collected';
  if (run.evidence === undefined) return 'From the probe alone (no server-side evidence was collected)';
  return `From the probe alone: no server-side record (${run.evidence.sourceLabel}) confirms it`;
}

export function verdictBanner(run: CheckRun): VerdictBanner {
  const used = run.verdict.evidence as EvidenceEvent[];
  // Evidence's own summary may already say it (the connection log's verdict does): said once is enough.
  const reach = /never reached the WAF/i.test(run.verdict.summary) ? undefined : wafReach(run, used);
  const retry = run.result.fallback?.result;
  return {
    stoppedAt: run.verdict.stoppedAt,
    reason: run.verdict.reason,
    headline: headline(run.verdict, run.result.http),
    summary: run.verdict.summary,
    ...(reach !== undefined ? { wafReach: reach } : {}),
    confidence: run.verdict.confidence,
    confidenceText: confidenceText(run, used),
    ...(run.verdict.hint !== undefined ? { hint: run.verdict.hint } : {}),
    ...(run.expectation !== undefined ? { expectation: { expected: run.expectation.expected, passed: run.expectation.passed, message: run.expectation.message, ...(run.expectation.got !== undefined ? { got: run.expectation.got } : {}) } } : {}),
    ...(retry !== undefined ? { retry: { label: retryLabel, stoppedAt: retry.verdict.stoppedAt, reason: retry.verdict.reason, headline: headline(retry.verdict, retry.http), summary: retry.verdict.summary } } : {}),
  };
}

/** How the timeline names the TLS 1.2 retry (its bar, its marks, its banner line). */
export const retryLabel = 'TLS 1.2 retry';

function ms(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(1)} ms`;
}

/** The run's facts for the header, in the order people look for them. */
export function runFacts(run: CheckRun): Array<{ label: string; value: string }> {
  const r = run.result;
  const port = r.target.port;
  const facts = [
    { label: 'Target', value: r.target.url },
    { label: 'Connected to', value: r.target.address !== null ? `${r.target.address}:${port}${r.target.connectTo !== undefined ? ` (connect-to ${r.target.connectTo})` : ''}` : '—' },
    { label: 'From', value: r.client.address !== null ? `${r.client.address}:${r.client.port ?? '?'}` : '—' },
    { label: 'Identity', value: r.identity !== null ? `${r.identity.label} — ${r.identity.subject} (serial ${r.identity.serialNumber})` : 'none (no client certificate)' },
    { label: 'TLS', value: [r.tls.version, r.tls.cipher, r.tls.alpn].filter(Boolean).join(' · ') || '—' },
    { label: 'HTTP', value: r.http !== null ? `${r.http.status} (${r.http.httpVersion.startsWith('HTTP') ? r.http.httpVersion : `HTTP/${r.http.httpVersion}`})` : '—' },
    { label: 'Phases', value: `DNS ${ms(r.timings.dns)} · TCP ${ms(r.timings.tcp)} · TLS ${ms(r.timings.tls)} · request to first byte ${ms(r.timings.firstByte)} · total ${ms(r.timings.total)} (each phase's own duration)` },
    { label: 'Correlation id', value: `X-Amzn-Trace-Id: ${r.correlationId}` },
    { label: 'Started', value: r.startedAt },
  ];
  const retry = r.fallback?.result;
  return retry === undefined ? facts : [...facts, { label: retryLabel, value: retryFacts(r, retry) }];
}

/** The retry in one line: when it started, what it negotiated and got, its phases and its own correlation id. */
function retryFacts(first: ProbeResult, retry: ProbeResult): string {
  const after = Date.parse(retry.startedAt) - Date.parse(first.startedAt);
  const tls = [retry.tls.version, retry.tls.cipher].filter(Boolean).join(' · ') || 'no TLS session';
  const http = retry.http !== null ? `HTTP ${retry.http.status}` : 'no HTTP answer';
  const t = retry.timings;
  return `started ${ms(after)} after the first attempt · ${tls} · ${http} · TLS ${ms(t.tls)} · total ${ms(t.total)} · X-Amzn-Trace-Id: ${retry.correlationId}`;
}
