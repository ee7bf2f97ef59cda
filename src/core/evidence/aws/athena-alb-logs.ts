// ALB connection and access logs searched with Athena, where they are: at real traffic a 5-minute window is many
// large objects, and Athena filters them in AWS so only the probe's records come back. The tables are the ones AWS
// documents (partition projection on a `day` string, `yyyy/MM/dd`, over the log prefix; the columns by their
// documented names). The query reads only the window's day partitions, and a record's day folder is the date the
// log was delivered, so a window that ends near midnight reads the next day too. The probe's values (address, port,
// serial, trace id, times) are bound as ExecutionParameters; only our own identifiers and day folders, checked
// first, are in the query text. Rows become records through the same readers as log lines.

import { isIP } from 'node:net';
import type { AwsAthenaSettings } from '../../config/types';
import type { CorrelationKeys, TimeWindow } from '../types';
import { albAccessLogColumns, albAccessLogRecordByName } from '../logs/alb-access-log';
import { albConnectionLogColumns, albConnectionLogRecordByName } from '../logs/alb-connection-log';
import { normaliseSerial, traceRoot } from '../logs/log-fields';
import { clockSkewMs, type LogRecordCollector } from '../logs/log-record-collector';
import type { AwsClients } from './aws-clients';
import { runAthenaQuery, sqlLiteral, sqlName, type AthenaQuery, type AthenaQueryOptions, type AthenaQueryResult, type AthenaTarget } from './athena-query';

/** A window that ends this close to midnight reads the next day's folder too (logs are filed by delivery date). */
export const nextDayMarginMs = 15 * 60_000;
/** Rows asked for per query: a probe has a handful; more means a key matched a crowd (a NAT address). */
export const athenaRowLimit = 1000;
/** Athena's on-demand price per TB scanned and its minimum per query [third-party pricing summary, not AWS's page]. */
const dollarsPerTerabyte = 5;
const minimumBilledBytes = 10_000_000;

/** AWS's documented connection-log table has the first 12 fields; later ones fall in its trailing group. */
const connectionColumns = albConnectionLogColumns.slice(0, 12);
const dayPattern = /^\d{4}\/\d{2}\/\d{2}$/;
/** A serial as people and logs write it: hex digits, with colons or spaces between bytes. */
const serialText = /^[0-9A-Fa-f:\s]+$/;

/** The day folders (`yyyy/MM/dd`, UTC) the window's records can be in: its days, and the next near midnight. */
export function athenaDayPartitions(window: TimeWindow, marginMs = nextDayMarginMs): string[] {
  const days: string[] = [];
  const day = new Date(Date.UTC(window.from.getUTCFullYear(), window.from.getUTCMonth(), window.from.getUTCDate()));
  for (const last = window.to.getTime() + marginMs; day.getTime() <= last; day.setUTCDate(day.getUTCDate() + 1)) {
    days.push(day.toISOString().slice(0, 10).replace(/-/g, '/'));
  }
  return days;
}

/** The probe's keys as they can be bound: each checked, so nothing odd reaches AWS. */
interface BoundKeys {
  clientIp: string | null;
  clientPort: number | null;
  /** ALB's form without leading zeros (serialMatchKey). */
  serial: string | null;
  traceRoot: string | null;
  connTraceIds: string[];
  /** The probe's connection time ± clock skew, for a connection behind NAT without a certificate. */
  probeTime: { from: string; to: string } | null;
}

function boundKeys(keys: CorrelationKeys, connTraceIds: readonly string[]): BoundKeys {
  const ip = keys.clientIp !== undefined && isIP(keys.clientIp) !== 0 ? keys.clientIp : null;
  const port = keys.clientPort !== undefined && Number.isInteger(keys.clientPort) && keys.clientPort >= 0 && keys.clientPort <= 65535 ? keys.clientPort : null;
  const serial = keys.clientCertSerial !== undefined && serialText.test(keys.clientCertSerial) ? normaliseSerial(keys.clientCertSerial) : '';
  const root = keys.traceId !== undefined ? traceRoot(keys.traceId) : '';
  const ids = [...new Set([...(keys.connTraceId !== undefined ? [keys.connTraceId] : []), ...connTraceIds])].filter((id) => /^TID_[0-9A-Za-z]+$/.test(id));
  const probeTime =
    keys.probeTime !== undefined && keys.clientCertSerial === undefined
      ? { from: new Date(Date.parse(keys.probeTime.from) - clockSkewMs).toISOString(), to: new Date(Date.parse(keys.probeTime.to) + clockSkewMs).toISOString() }
      : null;
  return {
    clientIp: ip,
    clientPort: ip !== null ? port : null,
    serial: /^[0-9A-F]+$/.test(serial) ? serial : null,
    traceRoot: /^[0-9A-Za-z-]{1,64}$/.test(root) ? root : null,
    connTraceIds: ids,
    probeTime: probeTime !== null && !Number.isNaN(Date.parse(probeTime.from)) && !Number.isNaN(Date.parse(probeTime.to)) ? probeTime : null,
  };
}

/** A WHERE condition and the values of its placeholders, in order. */
interface Condition {
  sql: string;
  values: Array<string | number>;
}

/** `(a) OR (b)`, the values in the same order; null when there is nothing to match by. */
function anyOf(conditions: Array<Condition | null>): Condition | null {
  const present = conditions.filter((c): c is Condition => c !== null);
  if (present.length === 0) return null;
  return { sql: present.map((c) => c.sql).join(' OR '), values: present.flatMap((c) => c.values) };
}

function addressCondition(keys: BoundKeys): Condition | null {
  if (keys.clientIp === null) return null;
  // The port's column is an int in AWS's tables, a string in some: compared as text, it is either.
  return keys.clientPort !== null
    ? { sql: '(client_ip = ? AND CAST(client_port AS varchar) = ?)', values: [keys.clientIp, String(keys.clientPort)] }
    : { sql: 'client_ip = ?', values: [keys.clientIp] };
}

function connTraceCondition(keys: BoundKeys): Condition | null {
  return keys.connTraceIds.length === 0 ? null : { sql: `conn_trace_id IN (${keys.connTraceIds.map(() => '?').join(', ')})`, values: keys.connTraceIds };
}

/** The serial column in the form serials are compared in (serialMatchKey): hex digits only, upper case, no leading zeros. */
const serialColumn = "regexp_replace(upper(regexp_replace(leaf_client_cert_serial_number, '[^0-9A-Fa-f]', '')), '^0+', '')";

function isoTimeBetween(column: string): string {
  return `from_iso8601_timestamp(${column}) BETWEEN from_iso8601_timestamp(?) AND from_iso8601_timestamp(?)`;
}

/** SELECT … FROM table WHERE day IN (the window's days) AND time in the window AND (any key): the text and its values. */
function selectQuery(settings: AwsAthenaSettings, table: string, columns: readonly string[], window: TimeWindow, keysMatch: Condition): AthenaQuery {
  const days = athenaDayPartitions(window);
  // Our own dates, checked: the one thing besides names in the text, so partition projection prunes on literals.
  if (!days.every((d) => dayPattern.test(d))) throw new RangeError(`not a day folder: ${days.join(', ')}`);
  const from = settings.database !== undefined ? `${sqlName(settings.database)}.${sqlName(table)}` : sqlName(table);
  const queryString = [
    `SELECT ${columns.join(', ')}`,
    `FROM ${from}`,
    `WHERE day IN (${days.map((d) => sqlLiteral(d)).join(', ')})`,
    `  AND ${isoTimeBetween('time')}`,
    `  AND (${keysMatch.sql})`,
    'ORDER BY time',
    `LIMIT ${athenaRowLimit}`,
  ].join('\n');
  const values = [window.from.toISOString(), window.to.toISOString(), ...keysMatch.values];
  return { queryString, parameters: values.map(sqlLiteral), what: `${settings.database !== undefined ? `${settings.database}.` : ''}${table}` };
}

/** The connection-log query: by address and port, certificate serial, connection trace id, or (behind NAT, no certificate) the probe's moment. */
export function albConnectionLogQuery(settings: AwsAthenaSettings, window: TimeWindow, keys: CorrelationKeys, connTraceIds: readonly string[] = []): AthenaQuery | null {
  const bound = boundKeys(keys, connTraceIds);
  const match = anyOf([
    addressCondition(bound),
    bound.serial !== null ? { sql: `${serialColumn} = ?`, values: [bound.serial] } : null,
    connTraceCondition(bound),
    bound.probeTime !== null
      ? { sql: `(${isoTimeBetween('time')} AND (leaf_client_cert_serial_number IS NULL OR leaf_client_cert_serial_number = '-'))`, values: [bound.probeTime.from, bound.probeTime.to] }
      : null,
  ]);
  return match === null ? null : selectQuery(settings, settings.connectionTable, connectionColumns, window, match);
}

/** The access-log query: by trace id, address and port, or the connection trace ids of the probe's connections (the join). */
export function albAccessLogQuery(settings: AwsAthenaSettings, window: TimeWindow, keys: CorrelationKeys, connTraceIds: readonly string[] = []): AthenaQuery | null {
  if (settings.accessTable === undefined) return null;
  const bound = boundKeys(keys, connTraceIds);
  const match = anyOf([bound.traceRoot !== null ? { sql: 'strpos(trace_id, ?) > 0', values: [bound.traceRoot] } : null, addressCondition(bound), connTraceCondition(bound)]);
  return match === null ? null : selectQuery(settings, settings.accessTable, albAccessLogColumns, window, match);
}

export interface AthenaQueryRun {
  table: 'connection' | 'access';
  queryExecutionId: string;
  rows: number;
  dataScannedInBytes: number | null;
}

export interface AthenaAlbLogsSearch {
  /** The day folders the queries read. */
  days: string[];
  queries: AthenaQueryRun[];
  /** A query returned athenaRowLimit rows: there may be more. */
  truncated: boolean;
  /** Nothing to search the connection log by (no address, serial or probe time). */
  noConnectionKeys: boolean;
}

export function athenaTarget(settings: AwsAthenaSettings): AthenaTarget {
  return { workgroup: settings.workgroup ?? 'primary', ...(settings.database !== undefined ? { database: settings.database } : {}), ...(settings.outputLocation !== undefined ? { outputLocation: settings.outputLocation } : {}) };
}

/**
 * The probe's connection-log records, then (with an access table) its access-log records, joined by the connection
 * trace ids its own connections gave: each row through the log format's reader into the collector.
 */
export async function searchAlbLogsWithAthena(
  clients: AwsClients,
  settings: AwsAthenaSettings,
  window: TimeWindow,
  keys: CorrelationKeys,
  collector: LogRecordCollector,
  options: AthenaQueryOptions & { seen?: Set<string> } = {},
): Promise<AthenaAlbLogsSearch> {
  const target = athenaTarget(settings);
  // Rows an earlier look already gave (a later look runs the query again): each record is collected once.
  const seen = options.seen ?? new Set<string>();
  const fresh = (table: string, row: Record<string, string | null>): boolean => {
    const id = `${table}\u0000${JSON.stringify(row)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  const search: AthenaAlbLogsSearch = { days: athenaDayPartitions(window), queries: [], truncated: false, noConnectionKeys: false };
  const run = async (table: AthenaQueryRun['table'], query: AthenaQuery): Promise<AthenaQueryResult> => {
    const result = await runAthenaQuery(clients, target, query, options);
    search.queries.push({ table, queryExecutionId: result.queryExecutionId, rows: result.rows.length, dataScannedInBytes: result.dataScannedInBytes });
    if (result.rows.length >= athenaRowLimit) search.truncated = true;
    return result;
  };
  const connection = albConnectionLogQuery(settings, window, keys);
  search.noConnectionKeys = connection === null;
  if (connection !== null) {
    const result = await run('connection', connection);
    const origin = { resource: `Athena ${connection.what} (query ${result.queryExecutionId})` };
    for (const row of result.rows) if (fresh('connection', row)) collector.addRecord('alb-connection-log', albConnectionLogRecordByName((column) => row[column]), origin);
  }
  const access = albAccessLogQuery(settings, window, keys, collector.connTraceIds());
  if (access !== null) {
    const result = await run('access', access);
    const origin = { resource: `Athena ${access.what} (query ${result.queryExecutionId})` };
    for (const row of result.rows) if (fresh('access', row)) collector.addRecord('alb-access-log', albAccessLogRecordByName((column) => row[column]), origin);
  }
  return search;
}

/** Decimal units, as AWS bills: "1.2 GB". */
export function byteWords(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}

/** "Athena scanned 1.2 GB (≈ $0.006)": the bytes the queries scanned and what they cost at $5/TB, 10 MB minimum per query. */
export function athenaCostWords(queries: readonly AthenaQueryRun[]): string {
  const scanned = queries.reduce((sum, q) => sum + (q.dataScannedInBytes ?? 0), 0);
  const billed = queries.reduce((sum, q) => sum + Math.max(q.dataScannedInBytes ?? 0, minimumBilledBytes), 0);
  const dollars = (billed / 1e12) * dollarsPerTerabyte;
  const cost = dollars >= 0.01 ? dollars.toFixed(2) : dollars.toPrecision(1);
  return `Athena scanned ${byteWords(scanned)}${queries.length > 1 ? ` in ${queries.length} queries` : ''} (≈ $${cost})`;
}
