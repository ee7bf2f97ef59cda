// Runs into the timeline model the renderer draws: the probe's trace and the server-side evidence as marks on
// one time axis per run (relative to the run's start), ordered by time, with the verdict banner and the notes
// that keep the picture honest (clock skew, per-minute metrics, late records). Pure: same runs, same model.

import type { EvidenceEvent } from '../evidence/types';
import { runTitle, type CheckRun } from '../runs/check-run';
import { evidenceKey, evidenceMarks, evidenceNotes } from './evidence-marks';
import { runFacts, verdictBanner } from './verdict-banner';
import { timelineModelVersion, type LaneInfo, type TimelineMark, type TimelineModel, type TimelineRun } from './model';
import { tracePhases, traceMarks } from './trace-marks';

export const timelineLanes: LaneInfo[] = [
  { id: 'client', label: 'Client', description: 'The probe itself: DNS lookup, errors and timeouts as the client saw them, and the verdict.' },
  { id: 'tcp', label: 'TCP', description: 'The TCP connection: connect, and a FIN or RST from the server.' },
  { id: 'tls', label: 'TLS', description: 'Every TLS record and handshake message in both directions, decrypted from the session key log where protected.' },
  { id: 'http', label: 'HTTP', description: 'The HTTP request the probe sent and the response it got.' },
  { id: 'load-balancer', label: 'Load balancer', description: 'What the load balancer recorded: ALB connection and access-log lines, CloudWatch metrics.' },
  { id: 'waf', label: 'WAF', description: 'What the WAF recorded: AWS WAF log records and sampled requests, ModSecurity records, WAF metrics.' },
  { id: 'target', label: 'Target', description: 'The application behind the front: its answer, and the client certificate it was told about.' },
];

/** A target-lane mark when the application answered: what it saw of the client certificate, if it echoed it. */
function targetMark(run: CheckRun, runId: string, index: number, originMs: number): TimelineMark | null {
  const http = run.result.http;
  if (run.verdict.stoppedAt !== null || http === null) return null;
  const response = run.result.trace.find((e) => e.layer === 'http' && e.event === 'response');
  if (response === undefined) return null;
  const seen = http.mtlsHeaders;
  const fields = [
    { name: 'Status', value: String(http.status) },
    ...(seen?.subject !== undefined ? [{ name: 'Client certificate subject (X-Amzn-Mtls-Clientcert-Subject)', value: seen.subject }] : []),
    ...(seen?.serialNumber !== undefined ? [{ name: 'Client certificate serial', value: seen.serialNumber }] : []),
    ...(seen?.issuer !== undefined ? [{ name: 'Client certificate issuer', value: seen.issuer }] : []),
    { name: 'Body (first bytes)', value: http.bodyPreview },
  ];
  return {
    id: `${runId}:${index}`,
    lane: 'target',
    t: response.t,
    time: new Date(originMs + response.t).toISOString(),
    dir: 'in',
    kind: 'http',
    label: `${http.status}`,
    summary: `The application answered ${http.status}${seen?.subject !== undefined ? `, told by the load balancer that the client is ${seen.subject}` : ''}`,
    tone: 'ok',
    detail: { title: 'The application answered', fields },
  };
}

function verdictMark(run: CheckRun, runId: string, index: number, originMs: number): TimelineMark {
  const t = run.result.timings.total;
  const v = run.verdict;
  return {
    id: `${runId}:${index}`,
    lane: 'client',
    t,
    time: new Date(originMs + t).toISOString(),
    dir: 'local',
    kind: 'verdict',
    label: v.stoppedAt === null ? 'Passed' : `Stopped: ${v.stoppedAt}`,
    summary: `Verdict: ${v.stoppedAt === null ? 'passed' : `stopped at ${v.stoppedAt}`} — ${v.reason}${v.confidence === 'confirmed' ? ' (confirmed)' : ''}`,
    tone: v.stoppedAt === null ? 'ok' : 'error',
    detail: { title: 'Verdict', fields: [{ name: 'Stopped at', value: v.stoppedAt ?? 'none (the application answered)' }, { name: 'Reason', value: v.reason }, { name: 'Summary', value: v.summary }, ...(v.hint !== undefined ? [{ name: 'Hint', value: v.hint }] : [])] },
  };
}

export function timelineRun(run: CheckRun): TimelineRun {
  const originMs = Date.parse(run.result.startedAt);
  const trace = traceMarks(run.result, run.id, originMs);
  let next = run.result.trace.length;
  const extra: TimelineMark[] = [];
  const target = targetMark(run, run.id, next, originMs);
  if (target !== null) {
    extra.push(target);
    next++;
  }
  extra.push(verdictMark(run, run.id, next++, originMs));
  const events = (run.evidence?.report.events ?? []) as EvidenceEvent[];
  const used = new Set((run.verdict.evidence as EvidenceEvent[]).map(evidenceKey));
  const evidence = evidenceMarks(events, used, run.id, originMs, next);
  const window = { from: 0, to: run.result.timings.total };
  // Stable sort: marks at the same instant keep the order they happened in (a flight of handshake messages).
  const marks = [...trace, ...extra, ...evidence].sort((a, b) => a.t - b.t);
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
    phases: tracePhases(run.result),
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
