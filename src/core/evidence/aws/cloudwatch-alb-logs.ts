// ALB connection and access logs delivered to CloudWatch Logs (the load balancer's newer delivery option: vended
// logs, plain text or JSON), searched with Logs Insights like the WAF log: the filter runs in AWS and only records
// that carry one of the probe's keys come back. The filter matches the raw message, so it holds for either output
// format: the client address followed by its port (a space in plain lines, a colon in access lines, the next JSON
// member in JSON), the certificate serial, the trace id's root. Each message is then read by the log format's own
// reader, which decides whether it is the probe's. A second query fetches the access-log lines of the probe's
// connections by their conn_trace_id when the first did not bring them (behind NAT the address differs).

import type { CorrelationKeys, TimeWindow } from '../types';
import { albAccessLogRecordByName, parseAlbAccessLogLine } from '../logs/alb-access-log';
import { albConnectionLogRecordByName, parseAlbConnectionLogLine } from '../logs/alb-connection-log';
import { isObject, normaliseSerial, traceRoot } from '../logs/log-fields';
import type { LogRecordCollector } from '../logs/log-record-collector';
import type { AwsClients } from './aws-clients';
import { runLogsInsightsQuery, type WafLogQueryOptions } from './waf-log-query';

/** Rows asked for per query. */
export const albLogGroupRowLimit = 200;

function insightsString(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function regexEscaped(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The Logs Insights filter on the raw message for the probe's keys, or null when there is none to search by. */
export function albLogGroupFilter(keys: CorrelationKeys, connTraceIds: readonly string[] = []): string | null {
  const terms: string[] = [];
  if (keys.clientIp !== undefined && /^[0-9A-Fa-f:.]+$/.test(keys.clientIp)) {
    const ip = regexEscaped(keys.clientIp);
    terms.push(keys.clientPort !== undefined ? `@message like /${ip}\\D{1,24}${keys.clientPort}\\D/` : `@message like /${ip}\\D/`);
  }
  const serial = keys.clientCertSerial !== undefined && /^[0-9A-Fa-f:\s]+$/.test(keys.clientCertSerial) ? normaliseSerial(keys.clientCertSerial) : '';
  if (/^[0-9A-F]+$/.test(serial)) terms.push(`@message like /(?i)${serial}/`);
  const root = keys.traceId !== undefined ? traceRoot(keys.traceId) : '';
  if (/^[0-9A-Za-z-]{1,64}$/.test(root)) terms.push(`@message like ${insightsString(root)}`);
  for (const id of connTraceIds) if (/^TID_[0-9A-Za-z]+$/.test(id)) terms.push(`@message like ${insightsString(id)}`);
  return terms.length === 0 ? null : terms.join(' or ');
}

function albLogGroupQueryString(filter: string): string {
  return `fields @timestamp, @message, @ptr | filter ${filter} | sort @timestamp asc | limit ${albLogGroupRowLimit}`;
}

/** A JSON record's member as text (numbers written out), undefined when absent. */
function member(record: Record<string, unknown>, name: string): string | null | undefined {
  const value = record[name];
  if (value === null || value === undefined) return value;
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** One message as the collector's record: a plain line, or a JSON record whose members are the log's field names. */
export function addAlbLogMessage(collector: LogRecordCollector, message: string, origin: { resource: string }): boolean {
  const text = message.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (!isObject(parsed)) return collector.addRecord('alb-connection-log', null, origin);
    const record = parsed;
    const value = (name: string): string | null | undefined => member(record, name);
    // Connection records carry the TLS verification; access records the request's type and status.
    if ('tls_verify_status' in record || 'leaf_client_cert_serial_number' in record) return collector.addRecord('alb-connection-log', albConnectionLogRecordByName(value), origin);
    return collector.addRecord('alb-access-log', albAccessLogRecordByName(value), origin);
  }
  const connection = parseAlbConnectionLogLine(text);
  if (connection !== null) return collector.addRecord('alb-connection-log', connection, origin);
  return collector.addRecord('alb-access-log', parseAlbAccessLogLine(text), origin);
}

export interface AlbLogGroupSearch {
  queries: number;
  /** Rows returned, over the queries. */
  rows: number;
  recordsScanned: number | null;
  /** A query returned its row limit: there may be more. */
  truncated: boolean;
}

/**
 * The probe's records in the log group: one query by its keys, then one by the connection trace ids its own
 * connections gave when their access-log lines did not come with the first. `seen`: Logs Insights pointers already
 * read by an earlier look (records are collected once).
 */
export async function searchAlbLogGroup(
  clients: AwsClients,
  logGroup: string,
  window: TimeWindow,
  keys: CorrelationKeys,
  collector: LogRecordCollector,
  options: WafLogQueryOptions & { seen?: Set<string> } = {},
): Promise<AlbLogGroupSearch | null> {
  const first = albLogGroupFilter(keys);
  if (first === null) return null;
  const seen = options.seen ?? new Set<string>();
  const search: AlbLogGroupSearch = { queries: 0, rows: 0, recordsScanned: null, truncated: false };
  const run = async (filter: string): Promise<void> => {
    const result = await runLogsInsightsQuery(clients, logGroup, window, albLogGroupQueryString(filter), { ...options, limit: albLogGroupRowLimit });
    search.queries++;
    search.rows += result.rows.length;
    if (result.rows.length >= albLogGroupRowLimit) search.truncated = true;
    if (result.recordsScanned !== null) search.recordsScanned = (search.recordsScanned ?? 0) + result.recordsScanned;
    for (const row of result.rows) {
      const id = row.ptr ?? row.message;
      if (seen.has(id)) continue;
      seen.add(id);
      addAlbLogMessage(collector, row.message, { resource: `CloudWatch Logs ${logGroup}` });
    }
  };
  await run(first);
  // A connection refused in the handshake has no request, so no access-log line to fetch.
  const events = collector.events();
  const joined = new Set(events.flatMap((e) => (e.kind === 'alb-access-log' && typeof e.record.conn_trace_id === 'string' ? [e.record.conn_trace_id] : [])));
  const refused = new Set(events.flatMap((e) => (e.kind === 'alb-connection-log' && String(e.record.tls_verify_status).startsWith('Failed:') ? [String(e.record.conn_trace_id)] : [])));
  const missing = collector.connTraceIds().filter((id) => !joined.has(id) && !refused.has(id));
  const second = missing.length > 0 ? albLogGroupFilter({}, missing) : null;
  if (second !== null) await run(second);
  return search;
}
