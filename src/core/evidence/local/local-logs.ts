// Evidence from log files on disk: ALB connection and access logs, CloudFront connection logs (JSON, plain or w3c),
// AWS WAF logs, ModSecurity audit logs and CloudWatch metric streams (JSON output, as Firehose delivers it), plain or gzip, given as files or folders. Each
// file's format is sniffed from its first lines (the file name breaks ties), then the file is streamed through
// the shared record collector.

import { basename } from 'node:path';
import type { CorrelationKeys, EvidenceCollectOptions, EvidenceReport, EvidenceSource, LogFormat, TimeWindow } from '../types';
import { isAlbConnectionLogFileName } from '../logs/alb-connection-log';
import { expandLogPaths, readLogLines } from '../logs/line-reader';
import { LogRecordCollector, logFormatNames, logLineParser } from '../logs/log-record-collector';
import { SourceProgress } from '../evidence-events';

/** How many non-blank lines at the top of a file the format sniffing looks at. */
const sniffLines = 20;
/** Formats in reading order: connection logs first, so their conn_trace_id can find the access-log lines. */
const readingOrder: LogFormat[] = ['alb-connection-log', 'alb-access-log', 'cloudfront-connection-log', 'waf-log', 'modsecurity-audit-log', 'apigateway-access-log', 'cloudwatch-metric-stream'];

/** The format a file name suggests (S3 key layouts, usual local names); null when it says nothing. */
export function logFormatFromFileName(file: string): LogFormat | null {
  const name = basename(file).toLowerCase();
  if (isAlbConnectionLogFileName(name)) return 'alb-connection-log';
  if (/cloudfront/.test(file.toLowerCase()) && /conn/.test(file.toLowerCase())) return 'cloudfront-connection-log';
  if (/api-?gateway|apigw|execute-api/.test(file.toLowerCase())) return 'apigateway-access-log';
  // Before the WAF test: a stream of the web ACL's metrics may well have "waf" in its name.
  if (/metric[-_]?streams?\b/.test(file.toLowerCase())) return 'cloudwatch-metric-stream';
  if (/waf/.test(file.toLowerCase())) return 'waf-log';
  if (/modsec|audit/.test(name)) return 'modsecurity-audit-log';
  if (/_elasticloadbalancing_/.test(name)) return 'alb-access-log';
  return null;
}

export interface SniffedFormat {
  format: LogFormat | null;
  /** Non-blank lines looked at. */
  lines: number;
}

/** The format most of the file's first lines parse as; the file name decides ties and files whose first lines are all damaged. */
export async function sniffLogFormat(file: string, signal?: AbortSignal): Promise<SniffedFormat> {
  const hits = new Map<LogFormat, number>();
  // One parser per format for this file: a W3C header names the columns of the lines after it.
  const parsers = readingOrder.map((kind) => [kind, logLineParser(kind)] as const);
  let lines = 0;
  for await (const { line } of readLogLines(file, { signal, chunkBytes: 64 * 1024 })) {
    for (const [kind, parse] of parsers) {
      const parsed = parse(line);
      if (parsed !== null && parsed !== 'directive') hits.set(kind, (hits.get(kind) ?? 0) + 1);
    }
    if (++lines >= sniffLines) break;
  }
  const hint = logFormatFromFileName(file);
  let best: LogFormat | null = null;
  let bestHits = 0;
  for (const [kind, count] of hits) {
    if (count > bestHits || (count === bestHits && kind === hint)) {
      best = kind;
      bestHits = count;
    }
  }
  return { format: best ?? (lines > 0 ? hint : null), lines };
}

export interface LocalLogSourceOptions {
  /** Shown in the timeline and progress; default "local log files". */
  name?: string;
  /** Read and gunzip chunk size; default 1 MiB. */
  chunkBytes?: number;
}

export class LocalLogSource implements EvidenceSource {
  readonly name: string;
  readonly paths: readonly string[];
  private readonly chunkBytes: number | undefined;

  constructor(paths: readonly string[], options: LocalLogSourceOptions = {}) {
    this.paths = [...paths];
    this.name = options.name ?? 'local log files';
    this.chunkBytes = options.chunkBytes;
  }

  async collect(window: TimeWindow, keys: CorrelationKeys, options: EvidenceCollectOptions = {}): Promise<EvidenceReport> {
    const { signal } = options;
    signal?.throwIfAborted();
    const progress = new SourceProgress(this.name, keys, options);
    const expanded = await expandLogPaths(this.paths, signal);
    const problems: EvidenceReport['problems'] = [...expanded.problems];
    for (const problem of expanded.problems) progress.failed(problem.file ?? '', { code: 'log_path_unreadable', message: problem.message });

    const byFormat = new Map<LogFormat, string[]>();
    for (const file of expanded.files) {
      signal?.throwIfAborted();
      let sniffed: SniffedFormat;
      try {
        sniffed = await sniffLogFormat(file, signal);
      } catch (error) {
        signal?.throwIfAborted();
        problems.push({ file, message: `${file}: cannot read (${(error as Error).message})` });
        progress.failed(file, error);
        continue;
      }
      if (sniffed.format === null) {
        if (sniffed.lines > 0) {
          const message = `${file}: not a recognised log format (ALB connection or access log, CloudFront connection log, AWS WAF log, ModSecurity JSON audit log, API Gateway JSON access log, CloudWatch metric stream JSON)`;
          problems.push({ file, message });
          progress.failed(file, { code: 'log_format_unknown', message });
        }
        continue;
      }
      byFormat.set(sniffed.format, [...(byFormat.get(sniffed.format) ?? []), file]);
    }

    const collector = new LogRecordCollector(keys, window);
    for (const kind of readingOrder) {
      for (const file of byFormat.get(kind) ?? []) {
        signal?.throwIfAborted();
        options.onProgress?.(`Reading ${basename(file)} (${logFormatNames[kind]})`);
        progress.started(file);
        const problemsBefore = collector.problems.length;
        const matched = await collector.scan(file, kind, { signal, chunkBytes: this.chunkBytes });
        // A damaged file is read up to the damage: its records count, and the damage is said too.
        for (const problem of collector.problems.slice(problemsBefore)) progress.failed(file, { code: 'log_partly_read', message: problem.message });
        progress.found(file, () => matched);
        options.onProgress?.(`${basename(file)}: ${matched} matching record${matched === 1 ? '' : 's'}`);
      }
    }
    const collected = collector.report();
    return { events: collected.events, stats: collected.stats, problems: [...problems, ...collected.problems] };
  }
}
