// CloudFront connection logs where the distribution delivers them (set up in us-east-1): a CloudWatch Logs group,
// searched with Logs Insights so only the probe's records come back, or an S3 location, whose objects of the
// probe's minutes are streamed through the same record collector as local files. Either way each record is matched
// to the probe by its address and port, its certificate serial, or (behind NAT) its moment.
//
// Inferred, not documented: where in a bucket the vended-log delivery puts its objects (the prefix is listed whole,
// date folders and modification times keep it to the probe's hours) and how soon records arrive (≈ minutes).

import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { colonSerialForm } from '../../certs/serial-number';
import { plural, probeConnectionRecord } from '../correlate';
import type { LogRecordCollector } from '../logs/log-record-collector';
import type { CorrelationKeys, EvidenceAvailability, TimeWindow } from '../types';
import { awsCall, type AwsClients } from './aws-clients';
import { parseS3Url, s3Url, type S3Location } from './aws-resources';
import { cloudFrontRegion } from './cloudfront-distribution';
import { runLogsInsightsQuery } from './waf-log-query';

/** How long after the probe a connection-log record is expected (vended-log delivery, with margin). */
export const connectionLogDelayMs = 10 * 60_000;
/** Objects read at most per look: more says so rather than streaming a whole bucket to this machine. */
export const maxConnectionLogObjects = 200;

export type ConnectionLogsLocation = { kind: 's3'; location: S3Location; url: string } | { kind: 'logs'; logGroup: string };

/** `s3://bucket/prefix`, or a CloudWatch Logs group name (in us-east-1). */
export function connectionLogsLocation(value: string): ConnectionLogsLocation | null {
  const trimmed = value.trim();
  if (trimmed.startsWith('s3://')) {
    const location = parseS3Url(trimmed);
    return location === null ? null : { kind: 's3', location, url: trimmed };
  }
  return /^[A-Za-z0-9._/#-]{1,512}$/.test(trimmed) ? { kind: 'logs', logGroup: trimmed } : null;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The Logs Insights query for the probe's connection records, whatever the output format (JSON, plain, w3c): the
 * line holds the probe's address, or its certificate's serial as CloudFront writes it (`b1:43:…`, any case, a
 * leading 00 or not). Null when the probe has neither (behind NAT without a certificate nothing singles it out).
 */
export function connectionLogQueryString(keys: CorrelationKeys, limit = 200): string | null {
  const filters: string[] = [];
  if (keys.clientIp !== undefined) filters.push(`@message like ${quoted(keys.clientIp)}`);
  if (keys.clientCertSerial !== undefined && /[0-9a-f]/i.test(keys.clientCertSerial)) filters.push(`@message like /(?i)${colonSerialForm(keys.clientCertSerial)}/`);
  if (filters.length === 0) return null;
  return `fields @timestamp, @message, @ptr | filter ${filters.join(' or ')} | sort @timestamp asc | limit ${limit}`;
}

/** A date the key names (`2026/05/14`, `2026-05-14`, `year=2026/month=05/day=14`), as the start of that UTC day. */
function keyDay(key: string): number | null {
  const m = /(?:^|\D)(20\d\d)[/-](\d\d)[/-](\d\d)(?:\D|$)/.exec(key) ?? /year=(20\d\d)\/month=(\d\d)\/day=(\d\d)/.exec(key);
  return m === null ? null : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

export interface ConnectionLogListing {
  keys: string[];
  /** Objects under the prefix that could hold the window's records but were not read (over the cap). */
  leftOut: number;
}

/** Objects under the prefix written while the probe's records could be in them: dated in the window's days, modified after it began. */
export async function listConnectionLogObjects(clients: AwsClients, location: S3Location, window: TimeWindow, signal?: AbortSignal): Promise<ConnectionLogListing> {
  const prefix = location.prefix !== '' ? `${location.prefix}/` : '';
  const firstDay = Date.UTC(window.from.getUTCFullYear(), window.from.getUTCMonth(), window.from.getUTCDate());
  const wanted: string[] = [];
  let token: string | undefined;
  do {
    const page = await awsCall({ action: 's3:ListBucket', resource: s3Url(location.bucket, prefix), access: clients.access }, signal, () =>
      clients.s3().send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: prefix, ...(token !== undefined ? { ContinuationToken: token } : {}) }), { abortSignal: signal }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined || object.Key.endsWith('/')) continue;
      const day = keyDay(object.Key);
      // An object is written after its records: one last modified before the window began cannot hold the probe's.
      if (object.LastModified !== undefined && object.LastModified.getTime() < window.from.getTime()) continue;
      if (day !== null && (day < firstDay || day > window.to.getTime() + connectionLogDelayMs)) continue;
      wanted.push(object.Key);
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  wanted.sort();
  return { keys: wanted.slice(0, maxConnectionLogObjects), leftOut: Math.max(0, wanted.length - maxConnectionLogObjects) };
}

async function scanObject(clients: AwsClients, bucket: string, key: string, collector: LogRecordCollector, signal?: AbortSignal): Promise<number> {
  const name = s3Url(bucket, key);
  return collector.scan(
    {
      name,
      open: async (openSignal) => {
        const output = await awsCall({ action: 's3:GetObject', resource: name, access: clients.access }, openSignal, () =>
          clients.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: openSignal }),
        );
        return (output.Body as AsyncIterable<Uint8Array> | undefined) ?? (async function* () {})();
      },
    },
    'cloudfront-connection-log',
    { signal },
  );
}

/** What one look found, as the AWS source's coverage row ("empty" turns into not-yet-available or missing by the clock). */
export interface ConnectionLogLook {
  evidence: 'CloudFront connection log';
  state: Extract<EvidenceAvailability, 'found' | 'missing' | 'failed'> | 'empty';
  detail: string;
  pendingDetail?: string;
}

/** The coverage row for what the collector holds now: the probe's connection, several like it (NAT), or none. */
function lookResult(collector: LogRecordCollector, keys: CorrelationKeys, where: string, nothing: string): ConnectionLogLook {
  const own = probeConnectionRecord(collector.events(), keys, 'cloudfront-connection-log');
  const evidence = 'CloudFront connection log';
  if ('event' in own) {
    const how = own.found === 'time' ? 'by time and certificate, behind NAT' : 'by address';
    return { evidence, state: 'found', detail: `the probe's connection (${how}: connectionStatus ${String(own.event.record.connectionStatus ?? '-')}) in ${where}` };
  }
  if (own.found === 'ambiguous') return { evidence, state: 'found', detail: `${own.count} connections like the probe's at its moment in ${where}; NAT hides which one is the probe's` };
  return { evidence, state: 'empty', detail: nothing, pendingDetail: `${nothing} yet (CloudFront delivers connection logs minutes after the connection)` };
}

export interface ConnectionLogSearch {
  clients: AwsClients;
  window: TimeWindow;
  keys: CorrelationKeys;
  collector: LogRecordCollector;
  queryPollMs?: number;
  onProgress?(message: string): void;
}

/** A look that searches the log group with Logs Insights (in us-east-1), each row once however often it is looked at. */
export function logGroupLook(search: ConnectionLogSearch, logGroup: string): (signal: AbortSignal | undefined) => Promise<ConnectionLogLook[]> {
  const seen = new Set<string>();
  const clients = search.clients.inRegion(cloudFrontRegion);
  return async (signal) => {
    const queryString = connectionLogQueryString(search.keys);
    if (queryString === null) {
      return [{ evidence: 'CloudFront connection log', state: 'missing', detail: `${logGroup} can only be searched by the probe's address or certificate serial, and the probe has neither` }];
    }
    const result = await runLogsInsightsQuery(clients, logGroup, search.window, queryString, {
      ...(signal !== undefined ? { signal } : {}),
      ...(search.onProgress !== undefined ? { onProgress: search.onProgress } : {}),
      ...(search.queryPollMs !== undefined ? { firstPollMs: search.queryPollMs } : {}),
      limit: 200,
    });
    for (const row of result.rows) {
      const id = row.ptr ?? row.message;
      if (seen.has(id)) continue;
      seen.add(id);
      search.collector.addLine('cloudfront-connection-log', row.message, { resource: `CloudWatch Logs ${logGroup} (${cloudFrontRegion})` });
    }
    const scanned = result.recordsScanned !== null ? `, ${result.recordsScanned} records scanned` : '';
    const where = `${logGroup} (${cloudFrontRegion}, Logs Insights${scanned})`;
    return [lookResult(search.collector, search.keys, where, `no record of this probe in ${where}`)];
  };
}

/** A look that streams the S3 objects of the probe's hours (each object once). */
export function s3Look(search: ConnectionLogSearch, location: S3Location): (signal: AbortSignal | undefined) => Promise<ConnectionLogLook[]> {
  const read = new Set<string>();
  const where = s3Url(location.bucket, location.prefix !== '' ? `${location.prefix}/` : '');
  return async (signal) => {
    const listing = await listConnectionLogObjects(search.clients, location, search.window, signal);
    for (const key of listing.keys) {
      if (read.has(key)) continue;
      await scanObject(search.clients, location.bucket, key, search.collector, signal);
      read.add(key);
    }
    const leftOut = listing.leftOut > 0 ? ` (${plural(listing.leftOut, 'more object')} not read: narrow the prefix to the distribution's folder)` : '';
    const objects = `${plural(listing.keys.length, 'object')} under ${where}${leftOut}`;
    const nothing = listing.keys.length === 0 ? `no objects written since the probe under ${where} (is the connection-log delivery on? It is set up in ${cloudFrontRegion}: logs put-delivery-source --log-type CONNECTION_LOGS)` : `${objects}, no record of this probe`;
    return [lookResult(search.collector, search.keys, objects, nothing)];
  };
}

/** The look for the `connectionLogs` setting: Logs Insights for a log group name, a listing for an s3:// location. */
export function connectionLogsLook(search: ConnectionLogSearch, setting: string): ((signal: AbortSignal | undefined) => Promise<ConnectionLogLook[]>) | null {
  const location = connectionLogsLocation(setting);
  if (location === null) return null;
  return location.kind === 's3' ? s3Look(search, location.location) : logGroupLook(search, location.logGroup);
}
