// One Athena query, start to rows: StartQueryExecution with the values bound as ExecutionParameters (the query text
// holds `?` placeholders, never a value), GetQueryExecution polled with backoff until SUCCEEDED, FAILED or
// CANCELLED, GetQueryResults paged by NextToken (the first row of a SELECT's first page is its header), and the bytes
// the query scanned — what Athena bills. A cancel (AbortSignal) stops the query in AWS before it ends the call: a
// forgotten query keeps scanning, and billing, for up to its workgroup's time limit.

import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type QueryExecution,
  type ResultSet,
} from '@aws-sdk/client-athena';
import { setTimeout as sleep } from 'node:timers/promises';
import { AwsEvidenceError, awsCall, type AwsClients } from './aws-clients';

export interface AthenaQuery {
  /** SQL whose values are `?` placeholders (Athena allows them in WHERE clauses only). */
  queryString: string;
  /** The values of the placeholders in their order, as SQL literals (sqlLiteral): ExecutionParameters. */
  parameters: string[];
  /** What is queried, for messages: e.g. `alb_logs.alb_connection_logs`. */
  what: string;
}

/** Where the query runs. */
export interface AthenaTarget {
  /** Absent: the workgroup's default database. */
  database?: string;
  workgroup: string;
  /** Absent: the workgroup's result location. */
  outputLocation?: string;
}

export interface AthenaQueryOptions {
  signal?: AbortSignal;
  onProgress?(message: string): void;
  /** First wait between GetQueryExecution calls; doubles up to maxPollMs (default 500 ms → 5 s). */
  firstPollMs?: number;
  maxPollMs?: number;
  /** Stops a query still running after this long (default 5 minutes). */
  queryTimeoutMs?: number;
  /** GetQueryResults page size (at most 1000, Athena's limit). */
  pageSize?: number;
}

export interface AthenaQueryResult {
  queryExecutionId: string;
  columns: string[];
  /** Each row by column name; null where Athena returned no value. */
  rows: Array<Record<string, string | null>>;
  /** Statistics.DataScannedInBytes: what the query is billed on. */
  dataScannedInBytes: number | null;
}

/**
 * A value as ExecutionParameters takes it: a number as written, a string as an SQL string literal (quoted, quotes
 * doubled). Athena reads an unquoted parameter as an expression, so a string is always quoted.
 */
export function sqlLiteral(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return String(value);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** A database or table name as the query text writes it: checked (they cannot be bound) and double-quoted. */
export function sqlName(name: string): string {
  if (!/^[a-z0-9_]{1,255}$/.test(name)) throw new RangeError(`not an Athena name (lower-case letters, digits, "_"): ${JSON.stringify(name)}`);
  return `"${name}"`;
}

const athenaPageMax = 1000;

export async function runAthenaQuery(clients: AwsClients, target: AthenaTarget, query: AthenaQuery, options: AthenaQueryOptions = {}): Promise<AthenaQueryResult> {
  const placeholders = (query.queryString.match(/\?/g) ?? []).length;
  if (placeholders !== query.parameters.length) throw new RangeError(`the query has ${placeholders} placeholders and ${query.parameters.length} values`);
  const queryExecutionId = await startQuery(clients, target, query, options.signal);
  const execution = await awaitQuery(clients, query, queryExecutionId, options);
  const { columns, rows } = await readResults(clients, query, queryExecutionId, options);
  return { queryExecutionId, columns, rows, dataScannedInBytes: execution.Statistics?.DataScannedInBytes ?? null };
}

async function startQuery(clients: AwsClients, target: AthenaTarget, query: AthenaQuery, signal: AbortSignal | undefined): Promise<string> {
  const started = await awsCall({ action: 'athena:StartQueryExecution', resource: `${query.what} (workgroup ${target.workgroup})`, access: clients.access }, signal, () =>
    clients.athena().send(
      new StartQueryExecutionCommand({
        QueryString: query.queryString,
        WorkGroup: target.workgroup,
        ...(target.database !== undefined ? { QueryExecutionContext: { Database: target.database } } : {}),
        ...(target.outputLocation !== undefined ? { ResultConfiguration: { OutputLocation: target.outputLocation } } : {}),
        // Athena refuses an empty list.
        ...(query.parameters.length > 0 ? { ExecutionParameters: query.parameters } : {}),
      }),
      { abortSignal: signal },
    ),
  );
  if (started.QueryExecutionId === undefined) throw new AwsEvidenceError('athena_query_no_id', `athena:StartQueryExecution on ${query.what} returned no query execution id.`);
  return started.QueryExecutionId;
}

/** Best effort, and awaited (briefly): the caller destroys the clients right after a cancel. */
async function stopQuery(clients: AwsClients, queryExecutionId: string): Promise<void> {
  await clients
    .athena()
    .send(new StopQueryExecutionCommand({ QueryExecutionId: queryExecutionId }), { abortSignal: AbortSignal.timeout(5_000) })
    .catch(() => undefined);
}

/** Polls GetQueryExecution with backoff until the query ends; stops it in AWS on a cancel or at the time limit. */
async function awaitQuery(clients: AwsClients, query: AthenaQuery, queryExecutionId: string, options: AthenaQueryOptions): Promise<QueryExecution> {
  const { signal } = options;
  const timeoutMs = options.queryTimeoutMs ?? 300_000;
  const deadline = Date.now() + timeoutMs;
  let wait = options.firstPollMs ?? 500;
  try {
    for (;;) {
      const output = await awsCall({ action: 'athena:GetQueryExecution', resource: `${query.what} (query ${queryExecutionId})`, access: clients.access }, signal, () =>
        clients.athena().send(new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId }), { abortSignal: signal }),
      );
      const execution = output.QueryExecution ?? {};
      const state = execution.Status?.State ?? 'QUEUED';
      if (state === 'SUCCEEDED') return execution;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = execution.Status?.AthenaError?.ErrorMessage ?? execution.Status?.StateChangeReason ?? 'no reason given';
        throw new AwsEvidenceError('athena_query_failed', `The Athena query of ${query.what} ended ${state}: ${reason} (query id ${queryExecutionId}).${failureHint(reason)}`);
      }
      if (Date.now() + wait > deadline) {
        await stopQuery(clients, queryExecutionId);
        throw new AwsEvidenceError('athena_query_timeout', `The Athena query of ${query.what} was still ${state} after ${Math.round(timeoutMs / 1000)} s and was stopped (query id ${queryExecutionId}): try again, or look at it in the Athena console.`);
      }
      options.onProgress?.(`Athena query of ${query.what}: ${state}`);
      await sleep(wait, undefined, { signal });
      wait = Math.min(wait * 2, options.maxPollMs ?? 5_000);
    }
  } catch (error) {
    if (signal?.aborted === true) await stopQuery(clients, queryExecutionId);
    throw error;
  }
}

/** What to check for the errors a misnamed table or column gives. */
function failureHint(reason: string): string {
  if (/TABLE_NOT_FOUND|SCHEMA_NOT_FOUND|does not exist|not found/i.test(reason)) return ' Check "albLogsAthena": the database and table names, and the region (Athena runs in the endpoint\'s region).';
  if (/COLUMN_NOT_FOUND|cannot be resolved/i.test(reason)) return " The table's columns must have the names of AWS's documented ALB log tables (time, client_ip, client_port, …, conn_trace_id).";
  return '';
}

function rowValues(row: { Data?: Array<{ VarCharValue?: string }> }): Array<string | null> {
  return (row.Data ?? []).map((datum) => datum.VarCharValue ?? null);
}

/** Every page of the results; the header row (the first row of the first page) left out. */
async function readResults(clients: AwsClients, query: AthenaQuery, queryExecutionId: string, options: AthenaQueryOptions): Promise<Pick<AthenaQueryResult, 'columns' | 'rows'>> {
  const { signal } = options;
  let columns: string[] = [];
  const rows: AthenaQueryResult['rows'] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await awsCall({ action: 'athena:GetQueryResults', resource: `${query.what} (query ${queryExecutionId})`, access: clients.access }, signal, () =>
      clients.athena().send(
        new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: Math.min(options.pageSize ?? athenaPageMax, athenaPageMax), ...(token !== undefined ? { NextToken: token } : {}) }),
        { abortSignal: signal },
      ),
    );
    const resultSet: ResultSet = page.ResultSet ?? {};
    let pageRows = resultSet.Rows ?? [];
    if (first) {
      columns = (resultSet.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? c.Label ?? '');
      const header = pageRows[0] !== undefined ? rowValues(pageRows[0]) : [];
      if (columns.length === 0) columns = header.map((h) => h ?? '');
      // A SELECT's first row names the columns [inferred from the API reference's examples]: left out when it does.
      if (header.length > 0 && header.every((h, i) => h === columns[i])) pageRows = pageRows.slice(1);
      first = false;
    }
    for (const row of pageRows) {
      const values = rowValues(row);
      rows.push(Object.fromEntries(columns.map((name, i) => [name, values[i] ?? null])));
    }
    token = page.NextToken;
  } while (token !== undefined);
  return { columns, rows };
}
