// ALB connection and access logs from S3. ALB writes one gzip object per node per 5 minutes under
// `<prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/`, its name carrying the load balancer
// and the end of its interval, so the probe's objects are found by listing the window's days and keeping the
// names whose interval overlaps the window. Objects are streamed (gunzip, line by line) through the same
// record collector as local files; connection logs first, so their conn_trace_id finds the access-log lines.

import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { LogFormat, TimeWindow } from '../types';
import type { LogRecordCollector } from '../logs/log-record-collector';
import { awsCall, type AwsClients } from './aws-clients';
import { s3Url, type LoadBalancerRef, type S3Location } from './aws-resources';

const fiveMinutes = 5 * 60_000;

export interface AlbLogObject {
  key: string;
  format: Extract<LogFormat, 'alb-connection-log' | 'alb-access-log'>;
  /** `app.<name>.<id>`, as the name writes the load balancer. */
  loadBalancerId: string;
  /** The end of the object's 5-minute interval. */
  intervalEnd: Date;
  /** Bytes, as the listing gives them (null when it does not). */
  size: number | null;
}

const objectNamePattern = /(?:^|\/)(conn_log[._])?(\d{12})_elasticloadbalancing_([a-z0-9-]+)_(app\.[^_/]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^_/]+_[^/]+\.log(?:\.gz)?$/;

/** What an ALB log object's key says about it; null for other objects (digests, test files). */
export function parseAlbLogKey(key: string, size: number | null = null): AlbLogObject | null {
  const m = objectNamePattern.exec(key);
  if (m === null) return null;
  const [, conn, , , lbId, y, mo, d, h, mi] = m as unknown as string[];
  return {
    key,
    format: conn !== undefined ? 'alb-connection-log' : 'alb-access-log',
    loadBalancerId: lbId!,
    intervalEnd: new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi))),
    size,
  };
}

function dayPrefixes(location: S3Location, account: string, region: string, window: TimeWindow): string[] {
  const base = `${location.prefix !== '' ? `${location.prefix}/` : ''}AWSLogs/${account}/elasticloadbalancing/${region}/`;
  const prefixes: string[] = [];
  const day = new Date(Date.UTC(window.from.getUTCFullYear(), window.from.getUTCMonth(), window.from.getUTCDate()));
  // An interval ending just after midnight is filed under the new day.
  const last = window.to.getTime() + fiveMinutes;
  for (; day.getTime() <= last; day.setUTCDate(day.getUTCDate() + 1)) {
    prefixes.push(`${base}${day.toISOString().slice(0, 10).replace(/-/g, '/')}/`);
  }
  return prefixes;
}

async function listKeys(clients: AwsClients, bucket: string, prefix: string, signal?: AbortSignal): Promise<Array<{ key: string; size: number | null }>> {
  const keys: Array<{ key: string; size: number | null }> = [];
  let token: string | undefined;
  do {
    const page = await awsCall({ action: 's3:ListBucket', resource: s3Url(bucket, prefix), access: clients.access }, signal, () =>
      clients.s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token !== undefined ? { ContinuationToken: token } : {}) }), { abortSignal: signal }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push({ key: object.Key, size: object.Size ?? null });
    // A page can be empty while more follow: only IsTruncated/NextContinuationToken end the listing.
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** The account folders under `AWSLogs/`, for settings that name no ARN to take the account from. */
async function listAccounts(clients: AwsClients, location: S3Location, signal?: AbortSignal): Promise<string[]> {
  const prefix = `${location.prefix !== '' ? `${location.prefix}/` : ''}AWSLogs/`;
  const page = await awsCall({ action: 's3:ListBucket', resource: s3Url(location.bucket, prefix), access: clients.access }, signal, () =>
    clients.s3().send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: prefix, Delimiter: '/' }), { abortSignal: signal }),
  );
  return (page.CommonPrefixes ?? []).map((p) => /AWSLogs\/(\d{12})\/$/.exec(p.Prefix ?? '')?.[1]).filter((a): a is string => a !== undefined);
}

export interface AlbLogListing {
  /** The day folders listed. */
  prefixes: string[];
  /** The window's objects of this load balancer (all load balancers' when it is not known), connection logs first. */
  objects: AlbLogObject[];
}

export async function listAlbLogObjects(
  clients: AwsClients,
  location: S3Location,
  target: { region: string; loadBalancer: LoadBalancerRef | null },
  window: TimeWindow,
  signal?: AbortSignal,
): Promise<AlbLogListing> {
  const accounts = target.loadBalancer !== null ? [target.loadBalancer.account] : await listAccounts(clients, location, signal);
  const wantedLb = target.loadBalancer !== null ? `app.${target.loadBalancer.name}.${target.loadBalancer.id}` : null;
  const listing: AlbLogListing = { prefixes: [], objects: [] };
  for (const account of accounts) {
    for (const prefix of dayPrefixes(location, account, target.region, window)) {
      listing.prefixes.push(prefix);
      for (const { key, size } of await listKeys(clients, location.bucket, prefix, signal)) {
        const object = parseAlbLogKey(key, size);
        if (object === null || (wantedLb !== null && object.loadBalancerId !== wantedLb)) continue;
        // The object covers the 5 minutes before its interval end; a minute of slack for records written late.
        const start = object.intervalEnd.getTime() - fiveMinutes - 60_000;
        if (object.intervalEnd.getTime() >= window.from.getTime() && start <= window.to.getTime()) listing.objects.push(object);
      }
    }
  }
  listing.objects.sort((a, b) => Number(b.format === 'alb-connection-log') - Number(a.format === 'alb-connection-log') || a.intervalEnd.getTime() - b.intervalEnd.getTime() || (a.key < b.key ? -1 : 1));
  return listing;
}

/** How much a look streams from S3 to this machine; beyond it, the logs are better searched where they are. */
export interface StreamLimits {
  objects: number;
  bytes: number;
}

export const defaultStreamLimits: StreamLimits = { objects: 200, bytes: 200_000_000 };

export interface StreamPlan {
  /** What to stream, in the listing's order (connection logs first). */
  stream: AlbLogObject[];
  /** Over the limits: left unread. */
  skipped: AlbLogObject[];
  /** The listing's bytes, and those planned. */
  totalBytes: number;
  streamBytes: number;
}

/** How far an object's 5 minutes are from the probe's moment (0 when they hold it). */
function distanceFrom(object: AlbLogObject, at: number): number {
  const end = object.intervalEnd.getTime();
  return at > end ? at - end : Math.max(0, end - fiveMinutes - at);
}

/**
 * The objects a look streams: all of them within the limits; beyond, those nearest the probe's moment (connection
 * logs first at the same distance) until either limit is reached, the rest skipped.
 */
export function planStreaming(objects: readonly AlbLogObject[], probeAt: Date, limits: StreamLimits = defaultStreamLimits): StreamPlan {
  const size = (o: AlbLogObject): number => o.size ?? 0;
  const totalBytes = objects.reduce((sum, o) => sum + size(o), 0);
  if (objects.length <= limits.objects && totalBytes <= limits.bytes) return { stream: [...objects], skipped: [], totalBytes, streamBytes: totalBytes };
  const at = probeAt.getTime();
  const nearest = [...objects].sort((a, b) => distanceFrom(a, at) - distanceFrom(b, at) || Number(b.format === 'alb-connection-log') - Number(a.format === 'alb-connection-log'));
  const chosen = new Set<AlbLogObject>();
  let streamBytes = 0;
  for (const object of nearest) {
    if (chosen.size >= limits.objects || streamBytes + size(object) > limits.bytes) break;
    chosen.add(object);
    streamBytes += size(object);
  }
  return { stream: objects.filter((o) => chosen.has(o)), skipped: objects.filter((o) => !chosen.has(o)), totalBytes, streamBytes };
}

/** Streams one object through the collector; returns its matching records. Read problems are recorded by the collector. */
export async function scanAlbLogObject(clients: AwsClients, bucket: string, object: AlbLogObject, collector: LogRecordCollector, signal?: AbortSignal): Promise<number> {
  const name = s3Url(bucket, object.key);
  return collector.scan(
    {
      name,
      open: async (openSignal) => {
        const output = await awsCall({ action: 's3:GetObject', resource: name, access: clients.access }, openSignal, () =>
          clients.s3().send(new GetObjectCommand({ Bucket: bucket, Key: object.key }), { abortSignal: openSignal }),
        );
        if (output.Body === undefined) return (async function* () {})();
        return output.Body as AsyncIterable<Uint8Array>;
      },
    },
    object.format,
    { signal },
  );
}
