// API Gateway evidence for one probe: the custom domain's mutual-TLS setup (GetDomainName) beside the verdict, and the
// stage's access log in CloudWatch Logs searched with Logs Insights for the probe's request. The access-log format is
// the stage owner's, field names included, so the query filters the whole line (@message) by the ids API Gateway
// answered the probe with — `x-amzn-RequestId` or `apigw-requestid` ($context.requestId), `x-amz-apigw-id`
// ($context.extendedRequestId) — else by its trace id or address; the record collector then reads the fields by the
// names people give them (logs/apigateway-access-log.ts).
//
// Inferred, not documented: how soon a record reaches CloudWatch Logs (seconds to a few minutes).

import { parseApiGatewayAccessLogLine } from '../logs/apigateway-access-log';
import { traceRoot } from '../logs/log-fields';
import type { LogRecordCollector } from '../logs/log-record-collector';
import type { CorrelationKeys, EvidenceAvailability, EvidenceKind } from '../types';
import type { AwsClients } from './aws-clients';
import { apiGatewayDomainContext, describeApiGatewayDomain } from './apigateway-domain';
import type { ConnectionLogSearch } from './cloudfront-connection-logs';
import { runLogsInsightsQuery } from './waf-log-query';

/** How long after the probe its access-log record is expected in CloudWatch Logs (with margin). */
export const accessLogDelayMs = 5 * 60_000;

/** The piece of AWS evidence the access-log group makes possible, by what it covers. */
export const apiGatewayAccessLogCoverage = { name: 'API Gateway access log', kinds: ['API Gateway access log'], records: ['apigateway-access-log'] as EvidenceKind[] };

/** The domain's setup as the context beside the verdict (GetDomainName). */
export async function apiGatewayDomainSetup(clients: AwsClients, domainName: string, signal?: AbortSignal): Promise<ReturnType<typeof apiGatewayDomainContext>> {
  return apiGatewayDomainContext(await describeApiGatewayDomain(clients, domainName, signal));
}

/** Values the query may hold: request ids, trace roots and addresses are of these characters only. */
const safeValue = /^[A-Za-z0-9=+/_.:-]{1,200}$/;

/**
 * The Logs Insights query for the probe's access-log record: the line holds one of its request ids; without them, its
 * trace root ($context.xrayTraceId) or its address. Null when the probe has none of those.
 */
export function accessLogQueryString(keys: CorrelationKeys, limit = 50): string | null {
  const ids = [keys.requestId, keys.extendedRequestId].filter((v): v is string => v !== undefined && safeValue.test(v));
  const root = keys.traceId !== undefined ? traceRoot(keys.traceId) : '';
  const fallback = [safeValue.test(root) ? root : null, keys.clientIp !== undefined && safeValue.test(keys.clientIp) ? keys.clientIp : null].filter((v): v is string => v !== null);
  const values = ids.length > 0 ? ids : fallback;
  if (values.length === 0) return null;
  return `fields @timestamp, @message, @ptr | filter ${values.map((v) => `@message like ${JSON.stringify(v)}`).join(' or ')} | sort @timestamp asc | limit ${limit}`;
}

/** A row's record, with Logs Insights' @timestamp added when the format logs no time of its own. */
function rowLine(message: string, timestamp: string | null): string {
  if (timestamp === null || parseApiGatewayAccessLogLine(message) !== null) return message;
  try {
    const value: unknown = JSON.parse(message);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? JSON.stringify({ ...value, '@timestamp': timestamp }) : message;
  } catch {
    return message;
  }
}

/** What a search needs (clients, window, keys, the collector): the same as for CloudFront's connection logs. */
export type AccessLogSearch = ConnectionLogSearch;

/** What one look found, as the AWS source's coverage row ("empty" turns into not-yet-available or missing by the clock). */
export interface AccessLogLook {
  evidence: 'API Gateway access log';
  state: Extract<EvidenceAvailability, 'found' | 'missing' | 'failed'> | 'empty';
  detail: string;
  pendingDetail?: string;
}

function foundWords(collector: LogRecordCollector): string | null {
  const records = collector.events().filter((e) => e.kind === 'apigateway-access-log' && e.matchedBy.some((m) => m.key === 'requestId' || m.key === 'extendedRequestId' || m.key === 'traceId'));
  if (records.length === 0) return null;
  const r = records[0]!.record;
  const cert = r['identity.clientCert.subjectDN'] !== undefined || r['identity.clientCert.serialNumber'] !== undefined;
  const message = typeof r['error.message'] === 'string' ? `, error.message "${r['error.message']}"` : '';
  return `the probe's request (status ${String(r.status ?? '-')}${message}${cert ? ', clientCert fields: mutual TLS failed' : ', no clientCert fields'})`;
}

/** The look at the stage's access-log group: Logs Insights, each row read once however often it is looked at. */
export function accessLogLook(search: AccessLogSearch, logGroup: string): (signal: AbortSignal | undefined) => Promise<AccessLogLook[]> {
  const evidence = 'API Gateway access log';
  const read = new Set<string>();
  return async (signal) => {
    const queryString = accessLogQueryString(search.keys);
    if (queryString === null) return [{ evidence, state: 'missing', detail: `${logGroup} can only be searched by the probe's request id, trace id or address, and the probe has none of them` }];
    const { rows, recordsScanned } = await runLogsInsightsQuery(search.clients, logGroup, search.window, queryString, {
      limit: 50,
      ...(signal !== undefined ? { signal } : {}),
      ...(search.onProgress !== undefined ? { onProgress: search.onProgress } : {}),
      ...(search.queryPollMs !== undefined ? { firstPollMs: search.queryPollMs } : {}),
    });
    for (const row of rows.filter((r) => !read.has(r.ptr ?? r.message))) {
      read.add(row.ptr ?? row.message);
      search.collector.addLine('apigateway-access-log', rowLine(row.message, row.timestamp), { resource: `CloudWatch Logs ${logGroup}` });
    }
    const where = `${logGroup} (Logs Insights${recordsScanned !== null ? `, ${recordsScanned} records scanned` : ''})`;
    const found = foundWords(search.collector);
    if (found !== null) return [{ evidence, state: 'found', detail: `${found} in ${where}` }];
    const by = search.keys.requestId !== undefined || search.keys.extendedRequestId !== undefined ? "its request id" : "its trace id or address (the probe got no API Gateway request id)";
    const nothing = `no record of this probe (by ${by}) in ${where}`;
    return [{ evidence, state: 'empty', detail: `${nothing}: is access logging on for the stage, in a JSON format with $context.requestId?`, pendingDetail: `${nothing} yet (API Gateway delivers access logs to CloudWatch Logs within minutes)` }];
  };
}
