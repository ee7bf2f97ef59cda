// CloudWatch metrics for the probe's minutes, in one GetMetricData call (paged) per region: the load balancer's
// connection, TLS-error and response counts, and the web ACL's allowed/blocked totals. CloudWatch publishes a
// minute only when there was traffic, so a metric without datapoints is "no traffic recorded", never zero.
// (Which region asks for what is cloudwatch-metrics-look.ts's choice: a CloudFront web ACL's metrics are in us-east-1.)

import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { EvidenceEvent, EvidenceLane } from '../types';
import { albMetrics, loadBalancerDimensions, metricPointEvent, wafMetrics, webAclDimensions } from '../logs/cloudwatch-metric-stream';
import { awsCall, type AwsClients } from './aws-clients';

// The metric table and the events' wording are shared with metric streams read from files (one home, free of the SDK).
export { albMetrics, wafMetrics };

export interface MetricTargets {
  /** `app/<name>/<id>`. */
  loadBalancerDimension?: string;
  /**
   * The web ACL's metric name (its VisibilityConfig.MetricName, the `WebACL` dimension), scope and region. A
   * CLOUDFRONT-scope web ACL publishes in us-east-1 without a `Region` dimension; a REGIONAL one with its region.
   */
  webAcl?: { metricName: string; scope: 'REGIONAL' | 'CLOUDFRONT'; region: string };
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
    for (const spec of albMetrics) series.push({ ...spec, dimensions: loadBalancerDimensions(targets.loadBalancerDimension), points: [], status: 'Complete' });
  }
  if (targets.webAcl !== undefined) {
    for (const spec of wafMetrics) series.push({ ...spec, dimensions: webAclDimensions(targets.webAcl.metricName, targets.webAcl.scope === 'CLOUDFRONT' ? null : targets.webAcl.region), points: [], status: 'Complete' });
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

/** Each datapoint as a timeline event. */
export function metricEvents(series: MetricSeries[]): EvidenceEvent[] {
  const events = series.flatMap((s) => s.points.map((point) => metricPointEvent(s, point)));
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
