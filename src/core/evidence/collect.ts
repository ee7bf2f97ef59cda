// Evidence for one probe from every source its endpoint names (local log files, AWS), merged into one report
// and used to upgrade the verdict. The AWS source, with the SDK behind it, is loaded only when asked for.

import type { AwsEndpointSettings } from '../config/types';
import type { ProbeResult, Verdict } from '../probe/types';
import { withConfiguredApiGateway } from '../probe/verdict-apigateway';
import type { AwsAccess } from './aws/aws-clients';
import { publishEvent } from '../events';
import { correlationKeysFor, evidenceWindow, upgradeVerdict } from './correlate';
import { eventError, evidenceRef } from './evidence-events';
import { LocalLogSource } from './local/local-logs';
import type { CorrelationKeys, EvidenceCollectOptions, EvidenceReport, EvidenceSource, TimeWindow } from './types';

export interface EvidenceRequest {
  /** Local log files or folders. */
  logs?: readonly string[];
  /** The endpoint's AWS settings. */
  aws?: AwsEndpointSettings;
  /** Endpoint override, credentials… for the AWS clients (tests, S3-compatible servers). */
  awsAccess?: Partial<AwsAccess>;
  /** The probe's port: picks the ALB listener when only the load balancer is named. */
  port?: number;
  /** Between AWS looks while waiting (default 30 s). */
  pollIntervalMs?: number;
}

export async function evidenceSources(request: EvidenceRequest): Promise<EvidenceSource[]> {
  const sources: EvidenceSource[] = [];
  if (request.logs !== undefined && request.logs.length > 0) sources.push(new LocalLogSource(request.logs));
  if (request.aws !== undefined) {
    const { AwsEvidenceSource } = await import('./aws/aws-evidence-source');
    sources.push(
      new AwsEvidenceSource(request.aws, {
        ...(request.awsAccess !== undefined ? { access: request.awsAccess } : {}),
        ...(request.port !== undefined ? { port: request.port } : {}),
        ...(request.pollIntervalMs !== undefined ? { pollIntervalMs: request.pollIntervalMs } : {}),
      }),
    );
  }
  return sources;
}

/** One report out of several: events in time order, counts summed, problems, coverage and context side by side. */
export function mergeEvidenceReports(reports: readonly EvidenceReport[]): EvidenceReport {
  const merged: EvidenceReport = { events: [], stats: { files: 0, lines: 0, skippedLines: 0 }, problems: [] };
  for (const report of reports) {
    merged.events.push(...report.events);
    merged.stats.files += report.stats.files;
    merged.stats.lines += report.stats.lines;
    merged.stats.skippedLines += report.stats.skippedLines;
    merged.problems.push(...report.problems);
    if (report.coverage !== undefined) (merged.coverage ??= []).push(...report.coverage);
    if (report.context !== undefined) (merged.context ??= []).push(...report.context);
  }
  merged.events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  return merged;
}

export interface ProbeEvidence {
  verdict: Verdict;
  report: EvidenceReport;
  window: TimeWindow;
  keys: CorrelationKeys;
  /** Names the sources, e.g. "local logs and AWS". */
  sourceLabel: string;
}

export interface CollectedEvidence {
  report: EvidenceReport;
  /** Names the sources, e.g. "local logs and AWS". */
  sourceLabel: string;
}

/** "local logs", "AWS" or "local logs and AWS": what the request reads. */
export function evidenceSourceLabel(request: EvidenceRequest): string {
  return [request.logs !== undefined && request.logs.length > 0 ? 'local logs' : null, request.aws !== undefined ? 'AWS' : null].filter((l) => l !== null).join(' and ');
}

/**
 * Every source the request names, for one window and set of keys, merged. Local files are read at once; the
 * AWS source may wait for late evidence, so the sources run side by side, and `onUpdate` sees the merged
 * state each time one of them moves on.
 */
export async function collectEvidence(request: EvidenceRequest, window: TimeWindow, keys: CorrelationKeys, options: EvidenceCollectOptions = {}): Promise<CollectedEvidence> {
  const sources = await evidenceSources(request);
  const collection = evidenceRef(keys, options);
  publishEvent('mtls-probe:evidence:start', () => ({ collection, sources: sources.map((s) => s.name), window: { from: window.from.toISOString(), to: window.to.toISOString() } }));
  const latest: EvidenceReport[] = sources.map(() => ({ events: [], stats: { files: 0, lines: 0, skippedLines: 0 }, problems: [] }));
  const { onUpdate, ...common } = options;
  let reports: EvidenceReport[];
  try {
    reports = await Promise.all(
      sources.map(async (source, i) => {
        const report = await source.collect(window, keys, {
          ...common,
          onUpdate: (partial) => {
            latest[i] = partial;
            onUpdate?.(mergeEvidenceReports(latest));
          },
        });
        latest[i] = report;
        if (sources.length > 1) onUpdate?.(mergeEvidenceReports(latest));
        return report;
      }),
    );
  } catch (error) {
    publishEvent('mtls-probe:evidence:error', () => ({ collection, error: eventError(error) }));
    throw error;
  }
  const report = mergeEvidenceReports(reports);
  publishEvent('mtls-probe:evidence:done', () => ({ collection, records: report.events.length, problems: report.problems.length }));
  return { report, sourceLabel: evidenceSourceLabel(request) };
}

export interface ProbeEvidenceOptions extends Omit<EvidenceCollectOptions, 'onUpdate' | 'probeEndedAt'> {
  /** Each intermediate state (AWS evidence arriving while waiting), verdict included. */
  onUpdate?(evidence: ProbeEvidence): void;
}

/** Reads every source for this probe's window and keys and upgrades its verdict with what they say. */
export async function collectProbeEvidence(result: ProbeResult, request: EvidenceRequest, options: ProbeEvidenceOptions = {}): Promise<ProbeEvidence> {
  const window = evidenceWindow(result);
  const keys = correlationKeysFor(result);
  const probeEndedAt = new Date(Date.parse(result.startedAt) + Math.max(0, result.timings.total));
  const sourceLabel = evidenceSourceLabel(request);
  // An endpoint named as an API Gateway custom domain: its 403 is read as API Gateway's even without its headers.
  const probed = request.aws?.apiGateway !== undefined ? withConfiguredApiGateway(result) : result;
  const evidenceOf = (report: EvidenceReport): ProbeEvidence => ({ verdict: upgradeVerdict(probed, report.events), report, window, keys, sourceLabel });
  const { onUpdate, ...common } = options;
  const collected = await collectEvidence(request, window, keys, { ...common, probeEndedAt, ...(onUpdate !== undefined ? { onUpdate: (report) => onUpdate(evidenceOf(report)) } : {}) });
  return evidenceOf(collected.report);
}
