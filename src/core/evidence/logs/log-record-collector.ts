// Turns log records into timeline events for one probe: whatever the transport (a local file, an S3 object, a
// Logs Insights result row), a record is kept when it falls in the window and carries one of the probe's
// correlation keys, and the event says which key matched. Connection-log records teach the collector their
// conn_trace_id, so access-log lines of the same connection match even without the trace id.
//
// JSON logs (WAF, ModSecurity) can be gigabytes: their lines are prefiltered as raw bytes — a record can only
// match if it contains the trace id's root or the client address — and only those lines are parsed. The other
// lines get a cheap whole-object check, so truncated JSON lines are still counted as skipped.

import type { CorrelationKeys, EvidenceEvent, EvidenceKind, EvidenceLane, EvidenceMatch, EvidenceReport, LogFormat, TimeWindow } from '../types';
import { blockedByWaf, parseAlbAccessLogLine, type AlbAccessLogRecord } from './alb-access-log';
import { parseAlbConnectionLogLine, type AlbConnectionLogRecord } from './alb-connection-log';
import { apiGatewayCandidate, parseApiGatewayAccessLogLine, type ApiGatewayAccessLogRecord } from './apigateway-access-log';
import { cloudFrontConnectionLogReader, parseCloudFrontConnectionLogLine, type CloudFrontConnectionLogRecord } from './cloudfront-connection-log';
import { metricStreamEvent, metricStreamMinuteKey, parseMetricStreamLine, type MetricStreamRecord } from './cloudwatch-metric-stream';
import { logInputName, scanLogLines, type LogInput } from './line-reader';
import { normaliseSerial, traceRoot } from './log-fields';
import { modSecurityHeader, modSecurityRuleIds, parseModSecurityAuditLine, parseModSecurityTimestamp, type ModSecurityAuditRecord } from './modsecurity-audit-log';
import { parseWafLogLine, wafHeader, type WafLogRecord } from './waf-log';

const traceHeader = 'x-amzn-trace-id';

/** The record each format's lines parse into. */
export interface LogRecords {
  'alb-connection-log': AlbConnectionLogRecord;
  'alb-access-log': AlbAccessLogRecord;
  'waf-log': WafLogRecord;
  'modsecurity-audit-log': ModSecurityAuditRecord;
  'cloudfront-connection-log': CloudFrontConnectionLogRecord;
  'apigateway-access-log': ApiGatewayAccessLogRecord;
  'cloudwatch-metric-stream': MetricStreamRecord;
}

export const logParsers: { readonly [K in LogFormat]: (line: string) => LogRecords[K] | null } = {
  'alb-connection-log': parseAlbConnectionLogLine,
  'alb-access-log': parseAlbAccessLogLine,
  'waf-log': parseWafLogLine,
  'modsecurity-audit-log': parseModSecurityAuditLine,
  'cloudfront-connection-log': parseCloudFrontConnectionLogLine,
  'apigateway-access-log': parseApiGatewayAccessLogLine,
  'cloudwatch-metric-stream': parseMetricStreamLine,
};

/** Parses one file's lines in order: `directive` is a header line (W3C `#Fields:`) that names the columns after it. */
export type LogLineParser<K extends LogFormat> = (line: string) => LogRecords[K] | 'directive' | null;

/** A parser for the lines of one file: a fresh one per file, since a W3C header holds for its own file only. */
export function logLineParser<K extends LogFormat>(kind: K): LogLineParser<K> {
  return (kind === 'cloudfront-connection-log' ? cloudFrontConnectionLogReader() : logParsers[kind]) as LogLineParser<K>;
}

export const logFormatNames: Record<LogFormat, string> = {
  'alb-connection-log': 'ALB connection log',
  'alb-access-log': 'ALB access log',
  'waf-log': 'AWS WAF log',
  'modsecurity-audit-log': 'ModSecurity audit log',
  'cloudfront-connection-log': 'CloudFront connection log',
  'apigateway-access-log': 'API Gateway access log',
  'cloudwatch-metric-stream': 'CloudWatch metric stream',
};

/** The evidence kind a format's records become: a metric stream's datapoints are CloudWatch metrics like GetMetricData's. */
const eventKinds: Record<LogFormat, EvidenceKind> = {
  'alb-connection-log': 'alb-connection-log',
  'alb-access-log': 'alb-access-log',
  'waf-log': 'waf-log',
  'modsecurity-audit-log': 'modsecurity-audit-log',
  'cloudfront-connection-log': 'cloudfront-connection-log',
  'apigateway-access-log': 'apigateway-access-log',
  'cloudwatch-metric-stream': 'cloudwatch-metric',
};

/** Formats whose lines are only worth parsing when their bytes hold one of the probe's keys. */
const prefilteredFormats = new Set<LogFormat>(['waf-log', 'modsecurity-audit-log']);

/** What the probe's keys look like in records: trace ids compared by their Root, serials in ALB's form. */
interface Wanted {
  traceRoot: string | null;
  traceId: string | null;
  clientIp: string | null;
  clientPort: number | null;
  serial: string | null;
  /** Connection trace ids given by the caller or learned from matching connection-log records. */
  connTraceIds: Map<string, 'key' | 'learned'>;
  /** API Gateway's ids of the probe's request (from its answer's headers), by the key they came as. */
  requestIds: Map<string, 'requestId' | 'extendedRequestId'>;
  /** The probe's connection time, widened by the clock skew allowed (epoch ms). */
  probeTime: { from: number; to: number } | null;
}

/** How far apart the probe's clock and the load balancer's may be for a connection to count as the probe's. */
export const clockSkewMs = 5_000;

function wantedFrom(keys: CorrelationKeys): Wanted {
  const traceId = keys.traceId?.trim() || null;
  const wanted: Wanted = {
    traceId,
    traceRoot: traceId === null ? null : traceRoot(traceId),
    clientIp: keys.clientIp?.trim() || null,
    clientPort: keys.clientPort ?? null,
    serial: keys.clientCertSerial ? normaliseSerial(keys.clientCertSerial) : null,
    connTraceIds: new Map(),
    requestIds: new Map(),
    probeTime:
      keys.probeTime !== undefined ? { from: Date.parse(keys.probeTime.from) - clockSkewMs, to: Date.parse(keys.probeTime.to) + clockSkewMs } : null,
  };
  if (keys.connTraceId) wanted.connTraceIds.set(keys.connTraceId, 'key');
  if (keys.extendedRequestId) wanted.requestIds.set(keys.extendedRequestId, 'extendedRequestId');
  if (keys.requestId) wanted.requestIds.set(keys.requestId, 'requestId');
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
  /** A datapoint's series and minute, and how many samples it aggregates: the fullest record of a minute is kept. */
  minute?: { key: string; samples: number };
}

/**
 * A record's field as summary text: strings as they are, numbers and booleans written out, anything else (an object, an
 * array: a record's validator checks only the fields matching needs) undefined, so the summary says what it says for a
 * missing field. Interpolating an object from a hostile line, e.g. {"toString":1}, would throw.
 */
function shown(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function shortSerial(serial: string): string {
  return serial.length > 16 ? `${serial.slice(0, 16)}…` : serial;
}

/** A connection-log record's ties to the probe (ALB's or CloudFront's): its address and port, its certificate, its moment. */
function connectionMatches(wanted: Wanted, c: { ip: string | undefined; port: number | null; serial: string | null; time: number; stamp: string }, connTraceId: string | null = null): EvidenceMatch[] {
  const matchedBy = [
    ...addressMatches(wanted, c.ip, c.port),
    ...(wanted.serial !== null && c.serial !== null && normaliseSerial(c.serial) === wanted.serial ? [{ key: 'clientCertSerial' as const, value: c.serial }] : []),
    ...connTraceMatches(wanted, connTraceId),
  ];
  // Behind NAT nothing above matches a probe without a certificate: a connection at the probe's moment, with
  // no certificate either, may still be its own (the correlation decides whether it is the only one).
  // (With a certificate, its serial above is what finds the connection.)
  const neitherHasCertificate = c.serial === null && wanted.serial === null;
  if (matchedBy.length === 0 && neitherHasCertificate && wanted.probeTime !== null && c.time >= wanted.probeTime.from && c.time <= wanted.probeTime.to) {
    matchedBy.push({ key: 'probeTime', value: c.stamp });
  }
  return matchedBy;
}

function connectionCandidate(record: AlbConnectionLogRecord, wanted: Wanted, window: TimeWindow): Candidate | null {
  const time = Date.parse(record.timestamp);
  if (!inWindow(time, window)) return null;
  const c = { ip: record.client_ip, port: record.client_port, serial: record.leaf_client_cert_serial_number, time, stamp: record.timestamp };
  const matchedBy = connectionMatches(wanted, c, record.conn_trace_id);
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

/** A CloudFront connection: matched as ALB's are (no conn_trace_id: CloudFront has no access log to tie it to). */
function cloudFrontCandidate(record: CloudFrontConnectionLogRecord, wanted: Wanted, window: TimeWindow): Candidate | null {
  const time = Date.parse(record.time);
  if (!inWindow(time, window)) return null;
  const c = { ip: record.clientIp ?? undefined, port: record.clientPort, serial: record.clientLeafCertSerialNumber, time, stamp: String(record.eventTimestamp) };
  const matchedBy = connectionMatches(wanted, c);
  if (matchedBy.length === 0) return null;
  const serial = record.clientLeafCertSerialNumber;
  const certificate = serial !== null ? `serial ${shortSerial(serial)}` : 'no client certificate';
  const handshake = record.tlsHandshakeDuration !== null ? `, ${record.tlsProtocol ?? 'TLS'} handshake in ${record.tlsHandshakeDuration} ms` : '';
  const custom = record.connectionLogCustomData !== null ? `; connection function data: ${record.connectionLogCustomData}` : '';
  return {
    time,
    lane: 'load-balancer',
    summary: `CloudFront connection log: connectionStatus ${record.connectionStatus} (${certificate}) from ${record.clientIp ?? '?'}:${record.clientPort ?? '?'}${handshake}${custom}`,
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
    summary: `WAF ${record.action} by rule ${shown(record.terminatingRuleId) ?? 'Default_Action'} (requestId ${shown(requestId) ?? '-'})`,
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
  const verb = typeof status === 'number' && status >= 400 ? `answered ${status}` : `passed with ${shown(status) ?? 'no status'}`;
  const firstMessage = shown(t.messages?.[0]?.message);
  return {
    time,
    lane: 'waf',
    summary: `ModSecurity ${verb} for ${shown(t.request?.method) ?? ''} ${shown(t.request?.uri) ?? ''}`.replace(/\s+/g, ' ').trimEnd() + (rules.length > 0 ? `; rules ${rules.join(', ')}` : '') + (firstMessage ? ` (${firstMessage})` : '') + ` (unique_id ${shown(t.unique_id) ?? '-'})`,
    matchedBy,
    record,
  };
}

/** A minute of a metric the evidence reads, in the window: matched by time only, like GetMetricData's datapoints. */
function metricStreamCandidate(record: MetricStreamRecord, window: TimeWindow): Candidate | null {
  // A datapoint covers its whole minute: one that starts up to a minute before the window still overlaps it.
  if (!inWindow(record.timestamp, window, 59_999)) return null;
  const event = metricStreamEvent(record);
  if (event === null) return null;
  const { lane, summary, matchedBy, record: fields } = event;
  return { time: record.timestamp, lane, summary, matchedBy, record: fields, minute: { key: metricStreamMinuteKey(record), samples: record.value.count } };
}

/** Per format: the probe's event for one of its records, or null when the record is not the probe's. */
const candidateOf: { readonly [K in LogFormat]: (record: LogRecords[K], wanted: Wanted, window: TimeWindow) => Candidate | null } = {
  'alb-connection-log': connectionCandidate,
  'alb-access-log': accessCandidate,
  'waf-log': wafCandidate,
  'modsecurity-audit-log': modSecurityCandidate,
  'cloudfront-connection-log': cloudFrontCandidate,
  'apigateway-access-log': apiGatewayCandidate,
  'cloudwatch-metric-stream': (record, _wanted, window) => metricStreamCandidate(record, window),
};

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

/** Where a record was read: a file or object and its 1-based line, or an AWS resource. */
export type RecordOrigin = EvidenceEvent['origin'];

export interface LogScanOptions {
  signal?: AbortSignal;
  /** Read and gunzip chunk size. */
  chunkBytes?: number;
}

/** Collects one probe's records from any number of logs; `report()` gives them as timeline events, oldest first. */
export class LogRecordCollector {
  private readonly wanted: Wanted;
  private readonly found: Array<Candidate & { kind: LogFormat; origin: RecordOrigin; order: number }> = [];
  /** Where each metric minute kept so far is in `found`. */
  private readonly minutes = new Map<string, number>();
  readonly stats = { files: 0, lines: 0, skippedLines: 0 };
  readonly problems: EvidenceReport['problems'] = [];

  constructor(
    keys: CorrelationKeys,
    private readonly window: TimeWindow,
  ) {
    this.wanted = wantedFrom(keys);
  }

  /** null: the line is not a record of this format; undefined: a record that does not belong to the probe. */
  private candidate<K extends LogFormat>(kind: K, text: string, parse: LogLineParser<K> = logParsers[kind]): Candidate | null | undefined {
    const record = parse(text);
    // A header line (W3C #Fields) is neither a record nor a damaged line.
    if (record === 'directive') return undefined;
    return record && (candidateOf[kind](record, this.wanted, this.window) ?? undefined);
  }

  private keep(kind: LogFormat, candidate: Candidate, origin: RecordOrigin): void {
    if (candidate.minute !== undefined) {
      // The same minute sent again (flushed early, then whole) is one datapoint: the record with more samples wins.
      const at = this.minutes.get(candidate.minute.key);
      const kept = at === undefined ? undefined : this.found[at];
      if (kept !== undefined && at !== undefined) {
        if (candidate.minute.samples >= (kept.minute?.samples ?? 0)) this.found[at] = { ...candidate, kind, origin, order: kept.order };
        return;
      }
      this.minutes.set(candidate.minute.key, this.found.length);
    }
    this.found.push({ ...candidate, kind, origin, order: this.found.length });
    // Only the probe's own connection teaches its conn_trace_id: one found by its address and port (or the id itself),
    // or by the certificate when that is all that is known. When the probe's port is known, a connection found by
    // the certificate alone is another connection made with the same certificate, and its access-log lines must not
    // pass for the probe's.
    const ownConnection = candidate.matchedBy.some((m) => m.key === 'clientPort' || m.key === 'connTraceId' || (m.key === 'clientCertSerial' && this.wanted.clientPort === null));
    const connTraceId = kind === 'alb-connection-log' && ownConnection ? (candidate.record as AlbConnectionLogRecord).conn_trace_id : null;
    if (connTraceId !== null && !this.wanted.connTraceIds.has(connTraceId)) this.wanted.connTraceIds.set(connTraceId, 'learned');
  }

  /**
   * One record given as its log line (a Logs Insights `@message`): kept when it matches. Returns whether it
   * matched; a line that is not a record of the format is counted as skipped.
   */
  addLine(kind: LogFormat, line: string, origin: RecordOrigin): boolean {
    this.stats.lines++;
    const candidate = this.candidate(kind, line);
    if (candidate === null) this.stats.skippedLines++;
    else if (candidate !== undefined) this.keep(kind, candidate, origin);
    return candidate !== null && candidate !== undefined;
  }

  /** The probe's connection trace ids: the one given as a key, and those its own connection records gave. */
  connTraceIds(): string[] {
    return [...this.wanted.connTraceIds.keys()];
  }

  /**
   * One record read another way than as a line (an Athena result row, a JSON record put back in log order by its
   * format's reader): kept when it matches, as addLine does; null (not a record of the format) counts as skipped.
   */
  addRecord<K extends LogFormat>(kind: K, record: LogRecords[K] | null, origin: RecordOrigin): boolean {
    this.stats.lines++;
    const candidate = record === null ? null : (candidateOf[kind](record, this.wanted, this.window) ?? undefined);
    if (candidate === null) this.stats.skippedLines++;
    else if (candidate !== undefined) this.keep(kind, candidate, origin);
    return candidate !== null && candidate !== undefined;
  }

  /** Streams one log of a known format; returns how many of its records matched. Read problems are recorded, never thrown. */
  async scan(input: LogInput, kind: LogFormat, options: LogScanOptions = {}): Promise<number> {
    const name = logInputName(input);
    const before = this.found.length;
    const json = prefilteredFormats.has(kind);
    const parse = logLineParser(kind);
    const summary = await scanLogLines(input, {
      signal: options.signal,
      chunkBytes: options.chunkBytes,
      // Space-separated logs and metric streams (matched by time) are parsed line by line; JSON request logs only where the bytes can match.
      ...(json ? { needles: jsonNeedles(this.wanted) } : {}),
      onCandidate: (line, number) => {
        const candidate = this.candidate(kind, line.toString('utf8'), parse);
        if (candidate === null) this.stats.skippedLines++;
        else if (candidate !== undefined) this.keep(kind, candidate, { file: name, line: number });
      },
      onOther: (line) => {
        if (!isWholeJsonObject(line)) this.stats.skippedLines++;
      },
    });
    this.stats.files++;
    this.stats.lines += summary.lines;
    if (summary.droppedPartialLine) this.stats.skippedLines++;
    if (summary.problem !== null) this.problems.push({ file: name, message: summary.problem });
    return this.found.length - before;
  }

  /** The matched records as timeline events, oldest first (ties in reading order). */
  events(): EvidenceEvent[] {
    const sorted = [...this.found].sort((a, b) => a.time - b.time || a.order - b.order);
    return sorted.map((c) => ({
      time: new Date(c.time).toISOString(),
      lane: c.lane,
      kind: eventKinds[c.kind],
      summary: c.summary,
      matchedBy: c.matchedBy,
      origin: c.origin,
      record: c.record,
    }));
  }

  report(): EvidenceReport {
    return { events: this.events(), stats: { ...this.stats }, problems: [...this.problems] };
  }
}
