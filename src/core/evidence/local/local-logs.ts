// Evidence from log files on disk: ALB connection and access logs, AWS WAF logs and ModSecurity audit logs,
// plain or gzip, given as files or folders. Each file's format is sniffed from its first lines (the file name
// breaks ties), the file is streamed, and the records inside the window that carry one of the probe's
// correlation keys become timeline events that say which key matched.
//
// JSON logs (WAF, ModSecurity) can be gigabytes: their lines are prefiltered as raw bytes — a record can only
// match if it contains the trace id's root or the client address — and only those lines are parsed. The other
// lines get a cheap whole-object check, so truncated JSON lines are still counted as skipped.

import { basename } from 'node:path';
import type { CorrelationKeys, EvidenceCollectOptions, EvidenceKind, EvidenceLane, EvidenceMatch, EvidenceReport, EvidenceSource, TimeWindow } from '../types';
import { blockedByWaf, parseAlbAccessLogLine, type AlbAccessLogRecord } from './alb-access-log';
import { isAlbConnectionLogFileName, parseAlbConnectionLogLine, type AlbConnectionLogRecord } from './alb-connection-log';
import { expandLogPaths, readLogLines, scanLogLines } from './line-reader';
import { normaliseSerial, traceRoot } from './log-fields';
import { modSecurityHeader, modSecurityRuleIds, parseModSecurityAuditLine, parseModSecurityTimestamp, type ModSecurityAuditRecord } from './modsecurity-audit-log';
import { parseWafLogLine, wafHeader, type WafLogRecord } from './waf-log';

/** How many non-blank lines at the top of a file the format sniffing looks at. */
const sniffLines = 20;
const traceHeader = 'x-amzn-trace-id';
/** Formats in reading order: connection logs first, so their conn_trace_id can find the access-log lines. */
const readingOrder: EvidenceKind[] = ['alb-connection-log', 'alb-access-log', 'waf-log', 'modsecurity-audit-log'];

const parsers: Record<EvidenceKind, (line: string) => Record<string, unknown> | null> = {
  'alb-connection-log': parseAlbConnectionLogLine,
  'alb-access-log': parseAlbAccessLogLine,
  'waf-log': parseWafLogLine,
  'modsecurity-audit-log': parseModSecurityAuditLine,
};

const formatNames: Record<EvidenceKind, string> = {
  'alb-connection-log': 'ALB connection log',
  'alb-access-log': 'ALB access log',
  'waf-log': 'AWS WAF log',
  'modsecurity-audit-log': 'ModSecurity audit log',
};

/** The format a file name suggests (S3 key layouts, usual local names); null when it says nothing. */
export function logFormatFromFileName(file: string): EvidenceKind | null {
  const name = basename(file).toLowerCase();
  if (isAlbConnectionLogFileName(name)) return 'alb-connection-log';
  if (/waf/.test(file.toLowerCase())) return 'waf-log';
  if (/modsec|audit/.test(name)) return 'modsecurity-audit-log';
  if (/_elasticloadbalancing_/.test(name)) return 'alb-access-log';
  return null;
}

export interface SniffedFormat {
  format: EvidenceKind | null;
  /** Non-blank lines looked at. */
  lines: number;
}

/** The format most of the file's first lines parse as; the file name decides ties and files whose first lines are all damaged. */
export async function sniffLogFormat(file: string, signal?: AbortSignal): Promise<SniffedFormat> {
  const hits = new Map<EvidenceKind, number>();
  let lines = 0;
  for await (const { line } of readLogLines(file, { signal, chunkBytes: 64 * 1024 })) {
    for (const kind of readingOrder) if (parsers[kind](line) !== null) hits.set(kind, (hits.get(kind) ?? 0) + 1);
    if (++lines >= sniffLines) break;
  }
  const hint = logFormatFromFileName(file);
  let best: EvidenceKind | null = null;
  let bestHits = 0;
  for (const [kind, count] of hits) {
    if (count > bestHits || (count === bestHits && kind === hint)) {
      best = kind;
      bestHits = count;
    }
  }
  return { format: best ?? (lines > 0 ? hint : null), lines };
}

/** What the probe's keys look like in records: trace ids compared by their Root, serials in ALB's form. */
interface Wanted {
  traceRoot: string | null;
  traceId: string | null;
  clientIp: string | null;
  clientPort: number | null;
  serial: string | null;
  /** Connection trace ids given by the caller or learned from matching connection-log records. */
  connTraceIds: Map<string, 'key' | 'learned'>;
}

function wantedFrom(keys: CorrelationKeys): Wanted {
  const traceId = keys.traceId?.trim() || null;
  const wanted: Wanted = {
    traceId,
    traceRoot: traceId === null ? null : traceRoot(traceId),
    clientIp: keys.clientIp?.trim() || null,
    clientPort: keys.clientPort ?? null,
    serial: keys.clientCertSerial ? normaliseSerial(keys.clientCertSerial) : null,
    connTraceIds: new Map(),
  };
  if (keys.connTraceId) wanted.connTraceIds.set(keys.connTraceId, 'key');
  return wanted;
}

function traceMatches(wanted: Wanted, value: string | null | undefined): EvidenceMatch[] {
  return wanted.traceRoot !== null && typeof value === 'string' && traceRoot(value) === wanted.traceRoot ? [{ key: 'traceId', value }] : [];
}

/** The client address: the IP, and the port too when the key has one and the record carries one. */
function addressMatches(wanted: Wanted, ip: string | undefined, port: number | null | undefined): EvidenceMatch[] {
  if (wanted.clientIp === null || ip !== wanted.clientIp) return [];
  const matches: EvidenceMatch[] = [{ key: 'clientIp', value: ip }];
  if (wanted.clientPort !== null && typeof port === 'number') {
    if (port !== wanted.clientPort) return [];
    matches.push({ key: 'clientPort', value: String(port) });
  }
  return matches;
}

function connTraceMatches(wanted: Wanted, value: string | null): EvidenceMatch[] {
  return value !== null && wanted.connTraceIds.has(value) ? [{ key: 'connTraceId', value }] : [];
}

function inWindow(time: number, window: TimeWindow, resolutionMs = 0): boolean {
  // Records with whole-second stamps may sit just before `from` while belonging to the probe's second.
  return time >= window.from.getTime() - resolutionMs && time <= window.to.getTime();
}

interface Candidate {
  time: number;
  lane: EvidenceLane;
  summary: string;
  matchedBy: EvidenceMatch[];
  record: Record<string, unknown>;
}

function shortSerial(serial: string): string {
  return serial.length > 16 ? `${serial.slice(0, 16)}…` : serial;
}

function connectionCandidate(record: AlbConnectionLogRecord, wanted: Wanted, window: TimeWindow): Candidate | null {
  const time = Date.parse(record.timestamp);
  if (!inWindow(time, window)) return null;
  const matchedBy = [
    ...addressMatches(wanted, record.client_ip, record.client_port),
    ...(wanted.serial !== null && record.leaf_client_cert_serial_number !== null && normaliseSerial(record.leaf_client_cert_serial_number) === wanted.serial
      ? [{ key: 'clientCertSerial' as const, value: record.leaf_client_cert_serial_number }]
      : []),
    ...connTraceMatches(wanted, record.conn_trace_id),
  ];
  if (matchedBy.length === 0) return null;
  const serial = record.leaf_client_cert_serial_number;
  const certificate = serial !== null ? `serial ${shortSerial(serial)}` : 'no client certificate';
  const handshake = record.tls_handshake_latency !== null ? `, ${record.tls_protocol ?? 'TLS'} handshake in ${record.tls_handshake_latency} s` : ', handshake not completed';
  return {
    time,
    lane: 'tls',
    summary: `ALB connection log: tls_verify_status ${record.tls_verify_status ?? '-'} (${certificate}) from ${record.client_ip}:${record.client_port}${handshake}`,
    matchedBy,
    record,
  };
}

function accessCandidate(record: AlbAccessLogRecord, wanted: Wanted, window: TimeWindow): Candidate | null {
  const time = Date.parse(record.time);
  if (!inWindow(time, window)) return null;
  const matchedBy = [...traceMatches(wanted, record.trace_id), ...addressMatches(wanted, record.client_ip, record.client_port), ...connTraceMatches(wanted, record.conn_trace_id)];
  if (matchedBy.length === 0) return null;
  const request = record.request_verb !== null && record.request_url !== null ? `${record.request_verb} ${record.request_url}` : (record.request ?? 'request');
  const actions = record.actions_executed.length > 0 ? `; actions ${record.actions_executed.join(',')}` : '';
  const outcome = blockedByWaf(record) ? ' — blocked by WAF (waf is the last action)' : record.actions_executed.includes('waf-failed') ? ' — the load balancer could not reach WAF' : '';
  return {
    time,
    lane: 'load-balancer',
    summary: `ALB access log: ${request} answered ${record.elb_status_code ?? '-'} by the load balancer, target status ${record.target_status_code ?? '-'}${actions}${outcome}`,
    matchedBy,
    record,
  };
}

function wafCandidate(record: WafLogRecord, wanted: Wanted, window: TimeWindow): Candidate | null {
  if (!inWindow(record.timestamp, window)) return null;
  const requestId = record.httpRequest.requestId;
  const matchedBy = traceMatches(wanted, requestId);
  if (matchedBy.length === 0) matchedBy.push(...traceMatches(wanted, wafHeader(record, traceHeader)));
  matchedBy.push(...addressMatches(wanted, record.httpRequest.clientIp, null));
  if (matchedBy.length === 0) return null;
  return {
    time: record.timestamp,
    lane: 'waf',
    summary: `WAF ${record.action} by rule ${record.terminatingRuleId ?? 'Default_Action'} (requestId ${requestId ?? '-'})`,
    matchedBy,
    record,
  };
}

function modSecurityCandidate(record: ModSecurityAuditRecord, wanted: Wanted, window: TimeWindow): Candidate | null {
  const time = parseModSecurityTimestamp(record.transaction.time_stamp)?.getTime();
  if (time === undefined || !inWindow(time, window, 999)) return null;
  const t = record.transaction;
  const matchedBy = [...traceMatches(wanted, modSecurityHeader(record, traceHeader)), ...addressMatches(wanted, t.client_ip, t.client_port)];
  if (matchedBy.length === 0) return null;
  const rules = modSecurityRuleIds(record);
  const status = t.response?.http_code;
  const verb = typeof status === 'number' && status >= 400 ? `answered ${status}` : `passed with ${status ?? 'no status'}`;
  const firstMessage = t.messages?.[0]?.message;
  return {
    time,
    lane: 'waf',
    summary: `ModSecurity ${verb} for ${t.request?.method ?? ''} ${t.request?.uri ?? ''}`.replace(/\s+/g, ' ').trimEnd() + (rules.length > 0 ? `; rules ${rules.join(', ')}` : '') + (firstMessage ? ` (${firstMessage})` : '') + ` (unique_id ${t.unique_id ?? '-'})`,
    matchedBy,
    record,
  };
}

/** Raw-byte needles for a JSON log: every matching record contains the trace id's root or the client IP. */
function jsonNeedles(wanted: Wanted): Buffer[] {
  const needles: Buffer[] = [];
  if (wanted.traceRoot !== null && wanted.traceRoot.length > 0) needles.push(Buffer.from(wanted.traceRoot));
  if (wanted.clientIp !== null && wanted.clientIp.length > 0) needles.push(Buffer.from(wanted.clientIp));
  return needles;
}

/** A line that is not a whole JSON object (cut off, or garbage) for the lines the prefilter let by unparsed. */
function isWholeJsonObject(line: Buffer): boolean {
  let start = 0;
  let end = line.length - 1;
  while (start <= end && (line[start] === 0x20 || line[start] === 0x09)) start++;
  while (end >= start && (line[end] === 0x20 || line[end] === 0x09)) end--;
  return line[start] === 0x7b && line[end] === 0x7d;
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
    const report: EvidenceReport = { events: [], stats: { files: 0, lines: 0, skippedLines: 0 }, problems: [] };
    const expanded = await expandLogPaths(this.paths, signal);
    report.problems.push(...expanded.problems);

    const byFormat = new Map<EvidenceKind, string[]>();
    for (const file of expanded.files) {
      signal?.throwIfAborted();
      let sniffed: SniffedFormat;
      try {
        sniffed = await sniffLogFormat(file, signal);
      } catch (error) {
        signal?.throwIfAborted();
        report.problems.push({ file, message: `${file}: cannot read (${(error as Error).message})` });
        continue;
      }
      if (sniffed.format === null) {
        if (sniffed.lines > 0) report.problems.push({ file, message: `${file}: not a recognised log format (ALB connection or access log, AWS WAF log, ModSecurity JSON audit log)` });
        continue;
      }
      byFormat.set(sniffed.format, [...(byFormat.get(sniffed.format) ?? []), file]);
    }

    const wanted = wantedFrom(keys);
    const found: Array<Candidate & { kind: EvidenceKind; file: string; line: number }> = [];
    for (const kind of readingOrder) {
      for (const file of byFormat.get(kind) ?? []) {
        signal?.throwIfAborted();
        options.onProgress?.(`Reading ${file} (${formatNames[kind]})`);
        const before = found.length;
        const json = kind === 'waf-log' || kind === 'modsecurity-audit-log';
        // null: the line is not a record of this format (counted as skipped); undefined: a record that does not match.
        const match = (text: string): Candidate | null | undefined => {
          switch (kind) {
            case 'alb-connection-log': {
              const record = parseAlbConnectionLogLine(text);
              return record && (connectionCandidate(record, wanted, window) ?? undefined);
            }
            case 'alb-access-log': {
              const record = parseAlbAccessLogLine(text);
              return record && (accessCandidate(record, wanted, window) ?? undefined);
            }
            case 'waf-log': {
              const record = parseWafLogLine(text);
              return record && (wafCandidate(record, wanted, window) ?? undefined);
            }
            case 'modsecurity-audit-log': {
              const record = parseModSecurityAuditLine(text);
              return record && (modSecurityCandidate(record, wanted, window) ?? undefined);
            }
          }
        };
        const summary = await scanLogLines(file, {
          signal,
          chunkBytes: this.chunkBytes,
          // Space-separated logs are parsed line by line (their corrupt lines are counted exactly); JSON logs only where the bytes can match.
          ...(json ? { needles: jsonNeedles(wanted) } : {}),
          onCandidate: (line, number) => {
            const candidate = match(line.toString('utf8'));
            if (candidate === null) report.stats.skippedLines++;
            else if (candidate !== undefined) found.push({ ...candidate, kind, file, line: number });
          },
          onOther: (line) => {
            if (!isWholeJsonObject(line)) report.stats.skippedLines++;
          },
        });
        report.stats.files++;
        report.stats.lines += summary.lines;
        if (summary.droppedPartialLine) report.stats.skippedLines++;
        if (summary.problem !== null) report.problems.push({ file, message: summary.problem });
        if (kind === 'alb-connection-log') {
          for (const candidate of found.slice(before)) {
            const id = (candidate.record as AlbConnectionLogRecord).conn_trace_id;
            if (id !== null && !wanted.connTraceIds.has(id)) wanted.connTraceIds.set(id, 'learned');
          }
        }
        options.onProgress?.(`${file}: ${summary.lines} lines, ${found.length - before} matching records`);
      }
    }

    found.sort((a, b) => a.time - b.time || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
    report.events = found.map((c) => ({
      time: new Date(c.time).toISOString(),
      lane: c.lane,
      kind: c.kind,
      summary: c.summary,
      matchedBy: c.matchedBy,
      origin: { file: c.file, line: c.line },
      record: c.record,
    }));
    return report;
  }
}
