// Runs into the timeline model the renderer draws: the probe's trace and the server-side evidence as marks on
// one time axis per run (relative to the run's start), ordered by time, with the verdict banner and the notes
// that keep the picture honest (clock skew, per-minute metrics, late records). Pure: same runs, same model.

import type { EvidenceEvent } from '../evidence/types';
import { runTitle, type CheckRun } from '../runs/check-run';
import { redactedRun } from '../runs/run-json';
import { evidenceKey, evidenceMarks, evidenceNotes } from './evidence-marks';
import { runFacts, verdictBanner } from './verdict-banner';
import { retryMarks } from './attempts';
import { timelineModelVersion, type LaneInfo, type TimelineAttempt, type TimelineMark, type TimelineModel, type TimelinePhase, type TimelineRun } from './model';
import { answeredAt, targetMark, verdictMark, type MarkSlot } from './outcome-marks';
import { tracePhases, traceMarks, type AttemptPlacement } from './trace-marks';

export const timelineLanes: LaneInfo[] = [
  { id: 'client', label: 'Client', description: 'The probe itself: DNS lookup, errors and timeouts as the client saw them, and the verdict.' },
  { id: 'tcp', label: 'TCP', description: 'The TCP connection: connect, and a FIN or RST from the server.' },
  { id: 'tls', label: 'TLS', description: 'Every TLS record and handshake message in both directions, decrypted from the session key log where protected.' },
  { id: 'http', label: 'HTTP', description: 'The HTTP request the probe sent and the response it got.' },
  { id: 'load-balancer', label: 'Load balancer', description: 'What the load balancer or CDN edge recorded: ALB connection and access-log lines, CloudFront connection logs, CloudWatch metrics.' },
  { id: 'waf', label: 'WAF', description: 'What the WAF recorded: AWS WAF log records and sampled requests, ModSecurity records, WAF metrics.' },
  { id: 'target', label: 'Target', description: 'The application behind the front: its answer, and the client certificate it was told about.' },
];

/** The first attempt's marks (and a retry's, when the probe made one), with the verdict at the run's end. */
function probeMarks(run: CheckRun, originMs: number): { marks: TimelineMark[]; phases: TimelinePhase[]; attempts?: TimelineAttempt[]; end: number; next: number } {
  const { result } = run;
  const fallback = result.fallback;
  const first: AttemptPlacement | undefined = fallback !== undefined ? { attempt: 0, offset: 0, firstIndex: 0, label: null } : undefined;
  const marks = traceMarks(result, run.id, originMs, first);
  const phases = tracePhases(result, first);
  let next = result.trace.length;
  const slot = (t: number, attempt?: number): MarkSlot => ({ id: `${run.id}:${next++}`, t, originMs, attemptT: t, ...(attempt !== undefined ? { attempt } : {}), label: null });
  const answered = answeredAt(result, run.verdict);
  const target = answered !== null ? targetMark(result, slot(answered, first?.attempt)) : null;
  if (target !== null) marks.push(target);
  const retry = fallback !== undefined ? retryMarks(result, fallback, run.id, next) : undefined;
  if (retry !== undefined) {
    next += retry.marks.length;
    marks.push(...retry.marks);
    phases.push(...retry.phases);
  }
  const end = Math.max(result.timings.total, retry?.end ?? 0);
  // The run's verdict was reached at its end: after the retry, when there was one (it is worded with the retry).
  marks.push(verdictMark(run.verdict, slot(end)));
  return { marks, phases, ...(retry !== undefined ? { attempts: retry.attempts } : {}), end, next };
}

/** The run as the renderer's model; secret header values redacted first (the model goes to a webview and into files). */
export function timelineRun(given: CheckRun): TimelineRun {
  const run = redactedRun(given);
  const originMs = Date.parse(run.result.startedAt);
  const probe = probeMarks(run, originMs);
  const events = (run.evidence?.report.events ?? []) as EvidenceEvent[];
  const used = new Set((run.verdict.evidence as EvidenceEvent[]).map(evidenceKey));
  const evidence = evidenceMarks(events, used, run.id, originMs, probe.next);
  const window = { from: 0, to: probe.end };
  // Stable sort: marks at the same instant keep the order they happened in (a flight of handshake messages).
  const marks = [...probe.marks, ...evidence].sort((a, b) => a.t - b.t);
  const connecting = run.result.trace.find((e) => e.event === 'connecting');
  const report = run.evidence?.report;
  return {
    id: run.id,
    title: runTitle(run),
    url: run.result.target.url,
    identity: run.result.identity !== null ? `${run.result.identity.label} — ${run.result.identity.subject}` : 'no client certificate',
    startedAt: run.result.startedAt,
    originMs,
    connectionStartMs: connecting?.t ?? 0,
    probeWindow: window,
    verdict: verdictBanner(run),
    facts: runFacts(run),
    phases: probe.phases,
    ...(probe.attempts !== undefined ? { attempts: probe.attempts } : {}),
    marks,
    notes: evidenceNotes(evidence, events, used, window),
    evidence: {
      ...(run.evidence !== undefined ? { sourceLabel: run.evidence.sourceLabel } : {}),
      coverage: (report?.coverage ?? []).map((c) => ({ evidence: c.evidence, state: c.state, detail: c.detail, ...(c.expectedBy !== undefined ? { expectedBy: c.expectedBy } : {}) })),
      context: (report?.context ?? []).map((c) => ({ title: c.title, summary: c.summary, resource: c.resource })),
      problems: (report?.problems ?? []).map((p) => (p.file !== undefined && !p.message.includes(p.file) ? `${p.file}: ${p.message}` : p.message)),
    },
    collectingEvidence: run.collectingEvidence,
  };
}

/** One run, or several to compare (no certificate / valid / valid with a blocked request…), as the renderer's model. */
export function buildTimeline(runs: readonly CheckRun[], options: { title?: string; now?: Date } = {}): TimelineModel {
  const title = options.title ?? (runs.length === 1 ? runTitle(runs[0]!) : `Compare ${runs.length} runs`);
  return {
    version: timelineModelVersion,
    title,
    generatedAt: (options.now ?? new Date()).toISOString(),
    lanes: timelineLanes,
    runs: runs.map(timelineRun),
  };
}
