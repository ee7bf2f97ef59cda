// AWS WAF logs in CloudWatch Logs, searched with Logs Insights: the filter on the probe's trace id runs in
// AWS, so only the probe's own records come back however large the log group is. StartQuery takes epoch
// seconds; GetQueryResults is polled with backoff until the query is Complete (or failed).

import { GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CorrelationKeys, TimeWindow } from '../types';
import { traceRoot } from '../logs/log-fields';
import { AwsEvidenceError, awsCall, type AwsClients } from './aws-clients';

export interface WafLogRow {
  timestamp: string | null;
  /** The WAF record, one JSON object. */
  message: string;
  /** Logs Insights' pointer to the event, for GetLogRecord. */
  ptr: string | null;
}

export interface WafLogQueryResult {
  queryId: string;
  rows: WafLogRow[];
  /** Records Logs Insights scanned, from its statistics. */
  recordsScanned: number | null;
}

export interface WafLogQueryOptions {
  signal?: AbortSignal;
  onProgress?(message: string): void;
  /** First wait between GetQueryResults calls; doubles up to maxPollMs. */
  firstPollMs?: number;
  maxPollMs?: number;
  /** Gives up on a query still running after this long (default 2 minutes). */
  queryTimeoutMs?: number;
  /** Rows to ask for (Logs Insights' `limit`). */
  limit?: number;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** The Logs Insights query for a probe's records: by trace id when the probe sent one, else by client address. */
export function wafLogQueryString(keys: CorrelationKeys, limit = 100): string | null {
  const root = keys.traceId !== undefined ? traceRoot(keys.traceId) : null;
  let filter: string;
  if (root !== null && root !== '') filter = `httpRequest.requestId like ${quoted(root)}`;
  else if (keys.clientIp !== undefined) filter = `httpRequest.clientIp = ${quoted(keys.clientIp)}`;
  else return null;
  return `fields @timestamp, @message, @ptr | filter ${filter} | sort @timestamp asc | limit ${limit}`;
}

const finished = new Set(['Complete', 'Failed', 'Cancelled', 'Timeout', 'Unknown']);

export async function queryWafLogs(clients: AwsClients, logGroup: string, window: TimeWindow, keys: CorrelationKeys, options: WafLogQueryOptions = {}): Promise<WafLogQueryResult> {
  const queryString = wafLogQueryString(keys, options.limit);
  if (queryString === null) throw new AwsEvidenceError('waf_query_no_keys', `The WAF log group ${logGroup} can only be searched by the probe's trace id or client address, and the probe has neither.`);
  return runLogsInsightsQuery(clients, logGroup, window, queryString, options);
}

/** One Logs Insights query (`fields @timestamp, @message, @ptr | …`) over the window, polled until Complete; its rows. */
export async function runLogsInsightsQuery(clients: AwsClients, logGroup: string, window: TimeWindow, queryString: string, options: WafLogQueryOptions = {}): Promise<WafLogQueryResult> {
  const { signal } = options;
  const access = clients.access;
  const logs = clients.logs();
  const started = await awsCall({ action: 'logs:StartQuery', resource: logGroup, access }, signal, () =>
    logs.send(
      new StartQueryCommand({
        logGroupName: logGroup,
        startTime: Math.floor(window.from.getTime() / 1000),
        endTime: Math.ceil(window.to.getTime() / 1000),
        queryString,
        limit: options.limit ?? 100,
      }),
      { abortSignal: signal },
    ),
  );
  const queryId = started.queryId;
  if (queryId === undefined) throw new AwsEvidenceError('waf_query_no_id', `logs:StartQuery on ${logGroup} returned no query id.`);

  const stop = (): void => {
    // Best effort: a cancelled run should not leave a query scanning (and billing) in AWS.
    void logs.send(new StopQueryCommand({ queryId })).catch(() => undefined);
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const deadline = Date.now() + (options.queryTimeoutMs ?? 120_000);
    let wait = options.firstPollMs ?? 500;
    for (;;) {
      const page = await awsCall({ action: 'logs:GetQueryResults', resource: logGroup, access }, signal, () => logs.send(new GetQueryResultsCommand({ queryId }), { abortSignal: signal }));
      const status = page.status ?? 'Unknown';
      if (status === 'Complete') {
        const rows = (page.results ?? []).map((fields) => {
          const value = (name: string): string | null => fields.find((f) => f.field === name)?.value ?? null;
          return { timestamp: value('@timestamp'), message: value('@message') ?? '', ptr: value('@ptr') };
        });
        return { queryId, rows, recordsScanned: page.statistics?.recordsScanned ?? null };
      }
      if (finished.has(status)) throw new AwsEvidenceError('waf_query_failed', `The Logs Insights query on ${logGroup} ended with status ${status}: run it again, or open it in the CloudWatch console (query id ${queryId}).`);
      if (Date.now() + wait > deadline) {
        stop();
        throw new AwsEvidenceError('waf_query_timeout', `The Logs Insights query on ${logGroup} was still ${status} after ${Math.round((options.queryTimeoutMs ?? 120_000) / 1000)} s and was stopped: narrow the window or try again.`);
      }
      options.onProgress?.(`Logs Insights query on ${logGroup}: ${status}`);
      await sleep(wait, undefined, { signal });
      wait = Math.min(wait * 2, options.maxPollMs ?? 5_000);
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
