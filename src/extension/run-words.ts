// What the extension says about runs: one notification per action (a probe, a batch, Run All), the progress line,
// and the trace document with the verdict on top. No vscode import: the wording is unit-tested as is.

import type { ProbePhase } from '../core/probe/types';
import { runLine, runTitle, verdictLine, type CheckRun } from '../core/runs/check-run';

export type Severity = 'info' | 'warning' | 'error';

function who(identityName: string): string {
  return identityName === 'none' ? 'no certificate' : identityName;
}

/**
 * "Expected mtls: met" — the expectation's outcome without repeating the verdict the line already gave. Not met
 * while evidence is being collected is not a failure yet: the server's logs may give the reason it expects.
 */
function expectationWords(run: CheckRun, evidencePending: boolean): string {
  if (run.expectation === undefined) return '';
  const outcome = run.expectation.passed ? 'met' : evidencePending ? 'judged once the evidence is in' : 'NOT met';
  return ` Expected ${run.expectation.expected}: ${outcome}.`;
}

/** One probe's notification: the verdict once (its line and its sentence), then whether it met the expectation. */
export function runNotification(run: CheckRun, evidencePending = false): { text: string; severity: Severity } {
  const text = `mTLS Probe: ${run.endpointName} with ${who(run.identityName)}: ${verdictLine(run.result)}. ${run.result.verdict.summary}${expectationWords(run, evidencePending)}`;
  return { text, severity: run.expectation !== undefined && !run.expectation.passed && !evidencePending ? 'warning' : 'info' };
}

/** One identity's part of a batch: its run, or why it could not run. */
export type BatchOutcome<R extends CheckRun = CheckRun> = { identityName: string; run: R } | { identityName: string; error: string };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "alb-like: 4 probes — 3 met, 1 not met (expired)": a whole batch in one notification. */
export function batchNotification(endpointName: string, outcomes: readonly BatchOutcome[]): { text: string; severity: Severity } {
  const runs = outcomes.flatMap((o) => ('run' in o ? [o.run] : []));
  const failed = outcomes.flatMap((o) => ('error' in o ? [o] : []));
  const met = runs.filter((r) => r.expectation?.passed === true);
  const notMet = runs.filter((r) => r.expectation?.passed === false);
  const unchecked = runs.filter((r) => r.expectation === undefined);
  const parts: string[] = [];
  if (met.length > 0) parts.push(`${met.length} met`);
  if (notMet.length > 0) parts.push(`${notMet.length} not met (${notMet.map((r) => who(r.identityName)).join(', ')})`);
  if (unchecked.length > 0) {
    const layers = new Map<string, number>();
    for (const r of unchecked) {
      const layer = r.verdict.stoppedAt ?? 'target';
      layers.set(layer, (layers.get(layer) ?? 0) + 1);
    }
    const seen = [...layers].map(([layer, n]) => `${layer} ×${n}`).join(', ');
    parts.push(`${unchecked.length} without an expectation (${seen})`);
  }
  if (failed.length > 0) parts.push(`${failed.length} could not run (${failed.map((f) => `${who(f.identityName)}: ${f.error}`).join('; ')})`);
  const waiting = runs.filter((r) => r.collectingEvidence).length;
  if (waiting > 0) parts.push(`evidence still arriving for ${waiting}, judged so far without it`);
  const text = `mTLS Probe: ${endpointName}: ${plural(outcomes.length, 'probe')} — ${parts.join(', ')}.`;
  return { text, severity: failed.length > 0 ? 'error' : notMet.length > 0 ? 'warning' : 'info' };
}

export interface TestCounts {
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
}

/** "6 expectations: 5 passed, 1 failed": the end of Run All Expectations. */
export function runAllNotification(counts: TestCounts): { text: string; severity: Severity } {
  const total = counts.passed + counts.failed + counts.errored + counts.skipped;
  const parts = [`${counts.passed} passed`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.errored > 0) parts.push(`${counts.errored} could not run`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  return { text: `mTLS Probe: ${plural(total, 'expectation')}: ${parts.join(', ')}.`, severity: counts.errored > 0 ? 'error' : counts.failed > 0 ? 'warning' : 'info' };
}

const phaseWords: Record<ProbePhase, string> = { dns: 'DNS lookup', tcp: 'TCP connect', tls: 'TLS handshake', http: 'HTTP request' };

/** The progress line: "alb-like with valid — 1 of 4 · TLS handshake · 0.4 s" (no count for a single probe). */
export function progressText(endpointName: string, identityName: string, index: number, total: number, elapsedMs: number, phase?: ProbePhase): string {
  const count = total > 1 ? ` — ${index + 1} of ${total}` : '';
  return `${endpointName} with ${who(identityName)}${count}${phase !== undefined ? ` · ${phaseWords[phase]}` : ''} · ${(elapsedMs / 1000).toFixed(1)} s`;
}

/** Words wrapped to `width` columns (a word longer than that keeps its own line), each line after `indent`. */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

const traceWidth = 100;

function confidenceWords(run: CheckRun): string {
  if (run.collectingEvidence) return 'from the probe; server-side evidence is being collected';
  return run.verdict.confidence === 'confirmed' ? `confirmed by ${run.evidence?.sourceLabel ?? 'server-side evidence'}` : 'from the probe alone';
}

/**
 * The trace document: the verdict and the expectation first (what a person opened it for), wrapped to be read
 * without scrolling sideways, then the curl-like trace and the evidence as the core wrote them.
 */
export function traceDocument(run: CheckRun, report: string, evidence?: string): string {
  const v = run.verdict;
  const head = [
    `${runTitle(run)} — probed ${run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`,
    '',
    `Verdict: ${runLine(run)} (${confidenceWords(run)})`,
    ...wrapText(v.summary, traceWidth, '  '),
    ...(v.hint !== undefined ? wrapText(`Hint: ${v.hint}`, traceWidth, '  ') : []),
  ];
  if (run.expectation !== undefined) {
    const e = run.expectation;
    // What was got, not the verdict's sentence again (it is right above). After a TLS 1.2 retry (or without the one
    // asked for) the verdict above is the first attempt's: the judgement's words say which attempt it judged.
    const attempts = e.got !== undefined && (run.result.fallback !== undefined || e.judgedAttempt === null) ? e.got : undefined;
    const got = attempts ?? `${v.stoppedAt ?? 'target'} (${v.reason})`;
    const [line = '', ...more] = wrapText(`Expectation: ${e.expected} — ${e.passed ? `met${attempts !== undefined ? `: got ${attempts}` : ''}` : `NOT met: got ${got}`}`, traceWidth - 2);
    head.push(line, ...more.map((l) => `  ${l}`));
  } else {
    head.push('Expectation: none (add one under "expect" in the workspace config to check this every run)');
  }
  const rule = (title: string): string => `── ${title} ${'─'.repeat(Math.max(3, traceWidth - title.length - 4))}`;
  return [...head, '', rule('Trace'), report.replace(/\s+$/, ''), ...(evidence !== undefined ? ['', rule('Evidence'), evidence.replace(/\s+$/, '')] : []), ''].join('\n');
}
