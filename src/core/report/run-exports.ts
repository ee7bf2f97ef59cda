// A run, or several, as a file: the run JSON (what --json prints), the self-contained timeline report (the same
// renderer as the extension's panel, inlined) or OpenTelemetry JSON (OTLP) for Jaeger and Tempo. One place, so the
// CLI and the extension write exactly the same files. Each is made from the run with its secret header values
// redacted (redactedRun: the defaults and the names the run marks secret), whatever the format.

import { otlpTraces } from './otlp';
import { loadTimelineAssets, timelineReportHtml } from './timeline-html';
import { buildTimeline } from '../timeline/build-timeline';
import type { CheckRun } from '../runs/check-run';
import { redactedRun, runJson } from '../runs/run-json';

export type RunExportFormat = 'json' | 'html' | 'otlp';

export const runExportFormats: Record<RunExportFormat, { label: string; description: string; extension: string }> = {
  html: { label: 'Timeline report (HTML)', description: 'the timeline as one self-contained file: opens in any browser, attachable to a ticket', extension: 'html' },
  json: { label: 'Run (JSON)', description: 'the run as mtls-probe probe --json prints it: trace, TLS summary, HTTP, verdict, evidence', extension: 'json' },
  otlp: { label: 'OpenTelemetry (OTLP JSON)', description: 'spans for DNS, TCP, TLS and HTTP with each handshake message as an event, for Jaeger or Grafana Tempo', extension: 'otlp.json' },
};

/** The file's text. JSON of several runs is an array; the report of several runs is a compare report. */
export async function exportRuns(runs: readonly CheckRun[], format: RunExportFormat, options: { title?: string } = {}): Promise<string> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(runs.length === 1 ? runJson(runs[0]!) : runs.map(runJson), null, 2)}\n`;
    case 'html':
      return timelineReportHtml(buildTimeline(runs, options.title !== undefined ? { title: options.title } : {}), await loadTimelineAssets());
    case 'otlp':
      return `${JSON.stringify(otlpTraces(runs.map(redactedRun).map((run) => ({ result: { ...run.result, verdict: run.verdict }, ...(run.evidence !== undefined ? { evidence: run.evidence.report } : {}), title: `${run.endpointName} · ${run.identityName}` }))), null, 2)}\n`;
  }
}

/** `report.html` → html, `trace.otlp.json` → otlp, `run.json` → json; anything else: undefined. */
export function exportFormatOf(file: string): RunExportFormat | undefined {
  if (/\.otlp\.json$/i.test(file)) return 'otlp';
  if (/\.html?$/i.test(file)) return 'html';
  if (/\.json$/i.test(file)) return 'json';
  return undefined;
}
