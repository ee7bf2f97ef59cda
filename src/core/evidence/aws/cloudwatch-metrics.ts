// CloudWatch metrics for the probe's minutes, in one GetMetricData call (paged): the load balancer's
// connection, TLS-error and response counts, and the web ACL's allowed/blocked totals. CloudWatch publishes a
// minute only when there was traffic, so a metric without datapoints is "no traffic recorded", never zero.

import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { EvidenceEvent, EvidenceLane } from '../types';
import { awsCall, type AwsClients } from './aws-clients';

interface MetricSpec {
  namespace: 'AWS/ApplicationELB' | 'AWS/WAFV2';
  metric: string;
  lane: EvidenceLane;
  /** What one count means, for the summary. */
  means: string;
}

export const albMetrics: readonly MetricSpec[] = [
  { namespace: 'AWS/ApplicationELB', metric: 'NewConnectionCount', lane: 'tcp', means: 'new client connections' },
  { namespace: 'AWS/ApplicationELB', metric: 'ClientTLSNegotiationErrorCount', lane: 'tls', means: 'client TLS handshakes the load balancer failed (mTLS rejections included)' },
  { namespace: 'AWS/ApplicationELB', metric: 'RequestCount', lane: 'load-balancer', means: 'requests' },
  { namespace: 'AWS/ApplicationELB', metric: 'HTTP_Fixed_Response_Count', lane: 'load-balancer', means: 'fixed responses from listener rules' },
  { namespace: 'AWS/ApplicationELB', metric: 'HTTPCode_ELB_4XX_Count', lane: 'load-balancer', means: '4XX responses made by the load balancer (WAF blocks included)' },
  { namespace: 'AWS/ApplicationELB', metric: 'HTTPCode_Target_2XX_Count', lane: 'target', means: '2XX responses from targets' },
  { namespace: 'AWS/ApplicationELB', metric: 'HTTPCode_Target_3XX_Count', lane: 'target', means: '3XX responses from targets' },
  { namespace: 'AWS/ApplicationELB', metric: 'HTTPCode_Target_4XX_Count', lane: 'target', means: '4XX responses from targets' },
  { namespace: 'AWS/ApplicationELB', metric: 'HTTPCode_Target_5XX_Count', lane: 'target', means: '5XX responses from targets' },
];

export const wafMetrics: readonly MetricSpec[] = [
  { namespace: 'AWS/WAFV2', metric: 'AllowedRequests', lane: 'waf', means: 'requests the web ACL allowed' },
  { namespace: 'AWS/WAFV2', metric: 'BlockedRequests', lane: 'waf', means: 'requests the web ACL blocked' },
];

export interface MetricTargets {
  /** `app/<name>/<id>`. */
  loadBalancerDimension?: string;
  /** The web ACL's metric name (its VisibilityConfig.MetricName, the `WebACL` dimension) and region. */
  webAcl?: { metricName: string; region: string };
}

export interface MetricSeries {
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  lane: EvidenceLane;
  means: string;
  /** One-minute sums, oldest first; empty: no traffic recorded. */
  points: Array<{ timestamp: Date; value: number }>;
  /** CloudWatch's status for the series: Complete, PartialData (more pages were merged), InternalError… */
  status: string;
}

export interface MetricRange {
  from: Date;
  to: Date;
}

/** The probe's minutes: from the minute it started to the end of the minute it ended. */
export function metricRange(probeStart: Date, probeEnd: Date): MetricRange {
  const minute = 60_000;
  return { from: new Date(Math.floor(probeStart.getTime() / minute) * minute), to: new Date(Math.floor(probeEnd.getTime() / minute) * minute + minute) };
}

export async function fetchMetrics(clients: AwsClients, targets: MetricTargets, range: MetricRange, signal?: AbortSignal): Promise<MetricSeries[]> {
  const series: MetricSeries[] = [];
  if (targets.loadBalancerDimension !== undefined) {
    for (const spec of albMetrics) series.push({ ...spec, dimensions: { LoadBalancer: targets.loadBalancerDimension }, points: [], status: 'Complete' });
  }
  if (targets.webAcl !== undefined) {
    for (const spec of wafMetrics) series.push({ ...spec, dimensions: { WebACL: targets.webAcl.metricName, Region: targets.webAcl.region, Rule: 'ALL' }, points: [], status: 'Complete' });
  }
  if (series.length === 0) return series;
  const queries: MetricDataQuery[] = series.map((s, i) => ({
    Id: `m${i}`,
    ReturnData: true,
    MetricStat: {
      Metric: { Namespace: s.namespace, MetricName: s.metric, Dimensions: Object.entries(s.dimensions).map(([Name, Value]) => ({ Name, Value })) },
      Period: 60,
      Stat: 'Sum',
    },
  }));
  const context = { action: 'cloudwatch:GetMetricData', resource: targets.loadBalancerDimension ?? targets.webAcl?.metricName ?? 'metrics', access: clients.access };
  let nextToken: string | undefined;
  do {
    const page = await awsCall(context, signal, () =>
      clients.cloudWatch().send(
        new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: range.from, EndTime: range.to, ScanBy: 'TimestampAscending', ...(nextToken !== undefined ? { NextToken: nextToken } : {}) }),
        { abortSignal: signal },
      ),
    );
    // A page may carry part of a series: the pieces of one Id are merged.
    for (const result of page.MetricDataResults ?? []) {
      const target = series[Number(result.Id?.slice(1))];
      if (target === undefined) continue;
      const timestamps = result.Timestamps ?? [];
      const values = result.Values ?? [];
      for (let i = 0; i < Math.min(timestamps.length, values.length); i++) target.points.push({ timestamp: new Date(timestamps[i]!), value: values[i]! });
      if (result.StatusCode !== undefined && result.StatusCode !== 'Complete' && result.StatusCode !== 'PartialData') target.status = result.StatusCode;
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
  for (const s of series) s.points.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  return series;
}

function hhmm(date: Date): string {
  return date.toISOString().slice(11, 16);
}

/** Each datapoint as a timeline event (matched by time only: metrics are aggregates over every client). */
export function metricEvents(series: MetricSeries[]): EvidenceEvent[] {
  const events: EvidenceEvent[] = [];
  for (const s of series) {
    const resource = `${s.namespace} ${Object.entries(s.dimensions).map(([k, v]) => `${k}=${v}`).join(',')}`;
    for (const point of s.points) {
      const timestamp = point.timestamp.toISOString();
      events.push({
        time: timestamp,
        lane: s.lane,
        kind: 'cloudwatch-metric',
        summary: `CloudWatch ${s.metric}: ${point.value} in the minute from ${hhmm(point.timestamp)} UTC (${s.means})`,
        matchedBy: [{ key: 'time', value: timestamp }],
        origin: { resource },
        record: { namespace: s.namespace, metric: s.metric, dimensions: s.dimensions, timestamp, value: point.value, period: 60, stat: 'Sum' },
      });
    }
  }
  return events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

/** "NewConnectionCount 2, ClientTLSNegotiationErrorCount 1; no datapoints (no traffic recorded) for RequestCount, …" */
export function describeMetrics(series: MetricSeries[]): string {
  const withData = series.filter((s) => s.points.length > 0).map((s) => `${s.metric} ${s.points.reduce((sum, p) => sum + p.value, 0)}`);
  const without = series.filter((s) => s.points.length === 0).map((s) => s.metric);
  const failed = series.filter((s) => s.status !== 'Complete').map((s) => `${s.metric} (${s.status})`);
  return [
    withData.length > 0 ? withData.join(', ') : null,
    without.length > 0 ? `no datapoints (no traffic recorded) for ${without.join(', ')}` : null,
    failed.length > 0 ? `incomplete: ${failed.join(', ')}` : null,
  ]
    .filter((part): part is string => part !== null)
    .join('; ');
}
