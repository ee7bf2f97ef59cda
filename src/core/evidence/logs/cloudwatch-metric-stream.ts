// The CloudWatch metrics evidence reads, and their minutes as timeline events, whoever delivered them: GetMetricData
// (the AWS source) or a metric stream's JSON output in files (one datapoint of one metric per line, as Firehose
// delivers it to S3). The table lives here, free of the AWS SDK, so that reading log files never loads the SDK.

import type { EvidenceEvent, EvidenceLane } from '../types';
import { isObject, parseJsonLogLine } from './log-fields';

export interface MetricSpec {
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

const metricSpecs = [...albMetrics, ...wafMetrics];

/** The load balancer's own series (not per target group or zone): dimension LoadBalancer = `app/<name>/<id>`. */
export function loadBalancerDimensions(loadBalancer: string): Record<string, string> {
  return { LoadBalancer: loadBalancer };
}

/**
 * The web ACL's totals: its metric name and region with `Rule=ALL` (per-rule series carry the rule's metric name).
 * A CloudFront (global) web ACL's series have no Region dimension (they are published in us-east-1): region null.
 */
export function webAclDimensions(metricName: string, region: string | null): Record<string, string> {
  return region === null ? { WebACL: metricName, Rule: 'ALL' } : { WebACL: metricName, Region: region, Rule: 'ALL' };
}

/**
 * The spec of a series the evidence reads, or undefined: a metric of the tables above whose dimensions are the load
 * balancer's or the web ACL's totals (a regional web ACL's with Region, a CloudFront one's without). A metric stream
 * sends every series of a namespace; this keeps the ones GetMetricData is asked for, so both sources give the same events.
 */
export function evidenceMetricSpec(namespace: string, metric: string, dimensions: Record<string, string>): MetricSpec | undefined {
  const spec = metricSpecs.find((s) => s.namespace === namespace && s.metric === metric);
  if (spec === undefined) return undefined;
  const expected =
    spec.namespace === 'AWS/ApplicationELB' ? loadBalancerDimensions(dimensions.LoadBalancer ?? '') : webAclDimensions(dimensions.WebACL ?? '', dimensions.Region ?? null);
  const names = Object.keys(dimensions);
  const same = names.length === Object.keys(expected).length && names.every((name) => dimensions[name] !== '' && dimensions[name] === expected[name]);
  return same ? spec : undefined;
}

/** A series: which metric, of what, and what it means. */
export type MetricSeriesSpec = Pick<MetricSpec, 'lane' | 'means'> & { namespace: string; metric: string; dimensions: Record<string, string> };

function hhmm(date: Date): string {
  return date.toISOString().slice(11, 16);
}

/** One minute's sum as a timeline event, matched by time only: metrics are aggregates over every client. */
export function metricPointEvent(series: MetricSeriesSpec, point: { timestamp: Date; value: number }): EvidenceEvent {
  const timestamp = point.timestamp.toISOString();
  return {
    time: timestamp,
    lane: series.lane,
    kind: 'cloudwatch-metric',
    summary: `CloudWatch ${series.metric}: ${point.value} in the minute from ${hhmm(point.timestamp)} UTC (${series.means})`,
    matchedBy: [{ key: 'time', value: timestamp }],
    origin: { resource: `${series.namespace} ${Object.entries(series.dimensions).map(([k, v]) => `${k}=${v}`).join(',')}` },
    record: { namespace: series.namespace, metric: series.metric, dimensions: series.dimensions, timestamp, value: point.value, period: 60, stat: 'Sum' },
  };
}

// ---- metric stream output, JSON format -------------------------------------------------------------------

/** One line of a metric stream in the JSON output format (field names as CloudWatch writes them). */
export type MetricStreamRecord = {
  metric_stream_name: string;
  account_id: string;
  region: string;
  namespace: string;
  metric_name: string;
  dimensions: Record<string, string>;
  /** Epoch milliseconds of the minute's start. */
  timestamp: number;
  /** The minute's statistics: max, min, sum and count always; more when the stream is configured for them. */
  value: { max: number; min: number; sum: number; count: number; [statistic: string]: number };
  unit: string;
  [field: string]: unknown;
};

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

function metricStreamRecordFrom(value: unknown): MetricStreamRecord | null {
  if (!isObject(value)) return null;
  const strings = ['metric_stream_name', 'account_id', 'region', 'namespace', 'metric_name', 'unit'].every((name) => typeof value[name] === 'string');
  const statistics = value.value;
  const numbers =
    isObject(statistics) && ['max', 'min', 'sum', 'count'].every((name) => typeof statistics[name] === 'number' && Number.isFinite(statistics[name]));
  if (!strings || !numbers || !isStringRecord(value.dimensions) || typeof value.timestamp !== 'number' || !Number.isFinite(value.timestamp)) return null;
  return value as MetricStreamRecord;
}

export function parseMetricStreamLine(line: string): MetricStreamRecord | null {
  return parseJsonLogLine(line, metricStreamRecordFrom);
}

/** The datapoint as the same event GetMetricData's would give, or null for a series the evidence does not read. */
export function metricStreamEvent(record: MetricStreamRecord): EvidenceEvent | null {
  const spec = evidenceMetricSpec(record.namespace, record.metric_name, record.dimensions);
  if (spec === undefined) return null;
  return metricPointEvent({ ...spec, dimensions: record.dimensions }, { timestamp: new Date(record.timestamp), value: record.value.sum });
}

/** Names a series' minute: the same minute sent again (a later, fuller aggregate) replaces the earlier record. */
export function metricStreamMinuteKey(record: MetricStreamRecord): string {
  const dimensions = Object.keys(record.dimensions)
    .sort()
    .map((name) => `${name}=${record.dimensions[name]}`)
    .join(',');
  return `${record.account_id}|${record.region}|${record.namespace}|${record.metric_name}|${dimensions}|${record.timestamp}`;
}
