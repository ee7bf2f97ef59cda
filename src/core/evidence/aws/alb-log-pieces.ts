// The ALB's connection and access logs as pieces of AWS evidence, wherever they are: streamed from S3 (small
// volumes), searched with Athena where they are, or searched with Logs Insights when the load balancer delivers them
// to CloudWatch Logs. Each look fills the same two coverage rows — the probe's connection, its request — in the same
// words, and says what it read: the objects and bytes streamed, the day partitions and bytes Athena scanned (the
// cost), the Logs Insights queries. The aws-evidence-source runs them as pieces (its pieceCoverage table).

import type { AwsAthenaSettings } from '../../config/types';
import { plural } from '../correlate';
import type { LogRecordCollector } from '../logs/log-record-collector';
import { probeConnectionRecord, type ProbeConnection } from '../probe-connection';
import type { CorrelationKeys, EvidenceCoverage, EvidenceKind, TimeWindow } from '../types';
import type { AwsClients } from './aws-clients';
import { athenaCostWords, athenaRowLimit, byteWords, searchAlbLogsWithAthena, type AthenaQueryRun } from './athena-alb-logs';
import { s3Url, type LoadBalancerRef, type S3Location } from './aws-resources';
import { albLogGroupRowLimit, searchAlbLogGroup } from './cloudwatch-alb-logs';
import { defaultStreamLimits, listAlbLogObjects, planStreaming, scanAlbLogObject, type StreamLimits } from './s3-alb-logs';

/** What one look found for one coverage row (the evidence source's LookResult). */
export interface AlbLogLook {
  evidence: string;
  state: 'found' | 'empty' | 'failed' | 'missing';
  detail: string;
  pendingDetail?: string;
}

const albRecords: EvidenceKind[] = ['alb-connection-log', 'alb-access-log'];

/** The pieces, by what they cover (the S3 one is the evidence source's `albLogs`). */
export const albLogsAthenaCoverage = { name: 'ALB logs in Athena', kinds: ['ALB connection log (Athena)', 'ALB access log (Athena)'], records: albRecords };
export const albLogGroupCoverage = { name: 'ALB logs in CloudWatch Logs', kinds: ['ALB connection log (CloudWatch Logs)', 'ALB access log (CloudWatch Logs)'], records: albRecords };

/** After the end of the 5-minute interval the probe falls in (ALB writes a log per node per interval). */
export const albLogsAfterIntervalMs = 6 * 60_000;

export function albLogsAvailableBy(probeEnd: Date): Date {
  const intervalEnd = Math.ceil((probeEnd.getTime() + 1) / 300_000) * 300_000;
  return new Date(intervalEnd + albLogsAfterIntervalMs);
}

/** What every ALB log look needs. */
export interface AlbLogSearch {
  clients: AwsClients;
  region: string;
  loadBalancer: LoadBalancerRef | null;
  window: TimeWindow;
  keys: CorrelationKeys;
  probeEnd: Date;
  collector: LogRecordCollector;
  now: () => number;
  /** While waiting for late evidence: until when, and the pause between looks. */
  waitUntil?: Date;
  pollIntervalMs?: number;
  queryPollMs?: number;
  onProgress?(message: string): void;
  /** How much the S3 path streams in one look (default 200 objects, 200 MB). */
  streamLimits?: StreamLimits;
}

/** The probe's connection's `Failed:<code>` when the load balancer (or CloudFront) refused it in the handshake. */
export function refusedConnection(own: ProbeConnection): string | null {
  if (!('event' in own)) return null;
  const status = String(own.event.record.tls_verify_status ?? own.event.record.connectionStatus ?? '');
  return status.startsWith('Failed:') ? status : null;
}

/** Where a look read, in its own words, for the two rows. */
interface AlbLookWords {
  /** e.g. `in 3 objects under s3://…`. */
  connectionIn: string;
  accessIn: string;
  /** The detail when no record of the probe's connection (or request) is there. */
  noConnection: string;
  noAccess: string;
  /** Appended to every detail: what the look cost, what it could not read. */
  note?: string;
}

/** The two rows from what the collector holds: the probe's connection (by address, or by time behind NAT) and its request. */
function albLogResults(search: AlbLogSearch, evidence: { connection: string; access: string | null }, words: AlbLookWords): AlbLogLook[] {
  const events = search.collector.events();
  const own = probeConnectionRecord(events, search.keys);
  const note = words.note !== undefined && words.note !== '' ? `; ${words.note}` : '';
  const connection: AlbLogLook =
    'event' in own
      ? {
          evidence: evidence.connection,
          state: 'found',
          detail: `the probe's connection (${own.found === 'time' ? 'by time and certificate, behind NAT' : 'by address'}: tls_verify_status ${String(own.event.record.tls_verify_status ?? '-')}) ${words.connectionIn}${note}`,
        }
      : own.found === 'ambiguous'
        ? { evidence: evidence.connection, state: 'found', detail: `${own.count} connections like the probe's at its moment ${words.connectionIn}; NAT hides which one is the probe's${note}` }
        : { evidence: evidence.connection, state: 'empty', detail: `${words.noConnection}${note}` };
  if (evidence.access === null) return [connection];
  const accessLines = events.filter((e) => e.kind === 'alb-access-log');
  const refused = refusedConnection(own);
  const access: AlbLogLook =
    accessLines.length > 0
      ? { evidence: evidence.access, state: 'found', detail: `${plural(accessLines.length, 'line')} of this probe ${words.accessIn}${note}` }
      : refused !== null
        ? { evidence: evidence.access, state: 'missing', detail: 'none, as expected: the connection failed the TLS handshake, so no request was ever logged' }
        : { evidence: evidence.access, state: 'empty', detail: `${words.noAccess}${note}` };
  return [connection, access];
}

/** S3: the window's objects listed by day folder and streamed, up to the limits; beyond them, Athena is the way. */
export function s3AlbLogsLook(search: AlbLogSearch, location: S3Location): (signal: AbortSignal | undefined) => Promise<AlbLogLook[]> {
  const read = new Set<string>();
  const limits = search.streamLimits ?? defaultStreamLimits;
  return async (signal) => {
    const listing = await listAlbLogObjects(search.clients, location, { region: search.region, loadBalancer: search.loadBalancer }, search.window, signal);
    const plan = planStreaming(listing.objects, search.probeEnd, limits);
    for (const object of plan.stream) {
      if (read.has(object.key)) continue;
      await scanAlbLogObject(search.clients, location.bucket, object, search.collector, signal);
      read.add(object.key);
    }
    const where = `${s3Url(location.bucket, listing.prefixes[0] ?? location.prefix)}${listing.prefixes.length > 1 ? ` (+${listing.prefixes.length - 1} more days)` : ''}`;
    const count = (format: string): number => plan.stream.filter((o) => o.format === format).length;
    const objects = (format: string): string => plural(count(format), 'object');
    const tooMuch =
      plan.skipped.length > 0
        ? `the window holds ${plural(listing.objects.length, 'object')} (${byteWords(plan.totalBytes)}), more than is streamed to this machine (${plural(limits.objects, 'object')} or ${byteWords(limits.bytes)}): ` +
          `read the ${plan.stream.length} nearest the probe (${byteWords(plan.streamBytes)}), ${plan.skipped.length} left unread — search them where they are with Athena ("albLogsAthena", --athena-connection-table) or, delivered to CloudWatch Logs, with Logs Insights ("albLogGroup")`
        : '';
    const results = albLogResults(
      search,
      { connection: 'ALB connection log', access: 'ALB access log' },
      {
        connectionIn: `in ${objects('alb-connection-log')} under ${where}`,
        accessIn: `in ${objects('alb-access-log')} under ${where}`,
        noConnection:
          count('alb-connection-log') === 0
            ? `no connection-log objects for the probe's minutes under ${where} (is connection logging on? load balancer attribute connection_logs.s3.enabled)`
            : `${objects('alb-connection-log')} under ${where}, no record of this probe`,
        noAccess: count('alb-access-log') === 0 ? `no access-log objects for the probe's minutes under ${where}` : `${objects('alb-access-log')} under ${where}, no line of this probe`,
        note: tooMuch,
      },
    );
    // Not found among what was read, with objects left unread: the look could not answer (once the logs are all there).
    const late = search.now() < albLogsAvailableBy(search.probeEnd).getTime();
    return results.map((r) => (r.state === 'empty' && tooMuch !== '' && !late ? { ...r, state: 'failed' } : r));
  };
}

/** Athena scans whole day partitions per query: while waiting, it is run once the logs are expected (or at the last look). */
function athenaDeferred(search: AlbLogSearch): boolean {
  if (search.waitUntil === undefined) return false;
  const now = search.now();
  const lastLook = now + (search.pollIntervalMs ?? 30_000) >= search.waitUntil.getTime();
  return now < albLogsAvailableBy(search.probeEnd).getTime() && !lastLook;
}

/** Athena: the probe's records found where the logs are, the cost said beside them. */
export function athenaAlbLogsLook(search: AlbLogSearch, settings: AwsAthenaSettings): (signal: AbortSignal | undefined) => Promise<AlbLogLook[]> {
  const seen = new Set<string>();
  // Every query of every look: the cost shown is what this collection has spent.
  const runs: AthenaQueryRun[] = [];
  const evidence = { connection: albLogsAthenaCoverage.kinds[0]!, access: settings.accessTable !== undefined ? albLogsAthenaCoverage.kinds[1]! : null };
  const database = settings.database !== undefined ? `${settings.database}.` : '';
  return async (signal) => {
    if (athenaDeferred(search)) {
      const pending = `not queried yet: each query scans whole day partitions, so it runs once the logs of the probe's minutes are expected (${albLogsAvailableBy(search.probeEnd).toISOString().slice(11, 16)} UTC)`;
      return [evidence.connection, evidence.access].filter((e): e is string => e !== null).map((e) => ({ evidence: e, state: 'empty', detail: pending, pendingDetail: pending }));
    }
    const result = await searchAlbLogsWithAthena(search.clients, settings, search.window, search.keys, search.collector, {
      seen,
      ...(signal !== undefined ? { signal } : {}),
      ...(search.onProgress !== undefined ? { onProgress: search.onProgress } : {}),
      ...(search.queryPollMs !== undefined ? { firstPollMs: search.queryPollMs } : {}),
    });
    runs.push(...result.queries);
    const days = `day ${result.days.join(', ')}`;
    const truncated = result.truncated ? `, a query returned its ${athenaRowLimit}-row limit (a key matched many records)` : '';
    const note = `${athenaCostWords(runs)}${truncated}`;
    const connectionTable = `${database}${settings.connectionTable}`;
    const accessTable = `${database}${settings.accessTable ?? ''}`;
    return albLogResults(search, evidence, {
      connectionIn: `in ${connectionTable} (${days})`,
      accessIn: `in ${accessTable} (${days}, joined by conn_trace_id)`,
      noConnection: result.noConnectionKeys
        ? 'nothing to search the connection log by: the probe has no client address, certificate serial or connection time'
        : `no record of this probe in ${connectionTable} (${days})`,
      noAccess: `no line of this probe in ${accessTable} (${days})`,
      note,
    });
  };
}

/** CloudWatch Logs: the probe's records found by Logs Insights in the group the load balancer delivers to. */
export function albLogGroupLook(search: AlbLogSearch, logGroup: string): (signal: AbortSignal | undefined) => Promise<AlbLogLook[]> {
  const seen = new Set<string>();
  const [connectionRow, accessRow] = albLogGroupCoverage.kinds as [string, string];
  return async (signal) => {
    const result = await searchAlbLogGroup(search.clients, logGroup, search.window, search.keys, search.collector, {
      seen,
      ...(signal !== undefined ? { signal } : {}),
      ...(search.onProgress !== undefined ? { onProgress: search.onProgress } : {}),
      ...(search.queryPollMs !== undefined ? { firstPollMs: search.queryPollMs } : {}),
    });
    if (result === null) {
      const detail = `nothing to search ${logGroup} by: the probe has no client address, certificate serial or trace id`;
      return [
        { evidence: connectionRow, state: 'missing', detail },
        { evidence: accessRow, state: 'missing', detail },
      ];
    }
    const scanned = result.recordsScanned !== null ? `, ${plural(result.recordsScanned, 'record')} scanned` : '';
    const truncated = result.truncated ? `a query returned its ${albLogGroupRowLimit}-row limit (a key matched many records)` : '';
    const insights = `(Logs Insights, ${plural(result.queries, 'query', 'queries')}${scanned})`;
    return albLogResults(
      search,
      { connection: connectionRow, access: accessRow },
      {
        connectionIn: `in ${logGroup} ${insights}`,
        accessIn: `in ${logGroup} ${insights}`,
        noConnection: `no connection-log record of this probe in ${logGroup} ${insights}`,
        noAccess: `no access-log line of this probe in ${logGroup} ${insights}`,
        note: truncated,
      },
    );
  };
}

/** The coverage rows an Athena search fills: the access row only with an access table. */
export function albLogsAthenaKinds(settings: AwsAthenaSettings): string[] {
  return settings.accessTable !== undefined ? [...albLogsAthenaCoverage.kinds] : albLogsAthenaCoverage.kinds.slice(0, 1);
}

/** The not-configured row when none of the three ways to the ALB logs is set. */
export const albLogsNotConfigured: EvidenceCoverage = {
  evidence: 'ALB connection and access logs',
  state: 'not-configured',
  detail:
    'set "albLogs", the s3:// location the load balancer writes its logs to (CLI: --alb-logs); at real traffic, "albLogsAthena" to search them with Athena (--athena-connection-table), or "albLogGroup" when they are delivered to CloudWatch Logs (--alb-log-group)',
};
