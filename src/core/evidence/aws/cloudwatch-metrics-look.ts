// The CloudWatch-metrics piece of AWS evidence, each resource's metrics asked for where CloudWatch keeps them: the
// load balancer's in the endpoint's region, the web ACL's where the web ACL is read — a CLOUDFRONT-scope (global)
// web ACL publishes in us-east-1 and without a `Region` dimension. One GetMetricData call per region: an ALB in
// eu-west-1 behind a distribution whose web ACL is global takes two. When one region's call fails (an IAM policy
// limited to some regions, say) the other's minutes are still shown, beside the failure.

import type { EvidenceAvailability, EvidenceEvent, EvidenceKind } from '../types';
import type { AwsClients } from './aws-clients';
import type { LoadBalancerRef, WebAclRef } from './aws-resources';
import { cloudFrontRegion } from './cloudfront-distribution';
import { describeMetrics, fetchMetrics, metricEvents, type MetricRange, type MetricSeries, type MetricTargets } from './cloudwatch-metrics';

/** The piece of AWS evidence the metrics are, by what it covers. */
export const metricsCoverage = { name: 'CloudWatch metrics', kinds: ['CloudWatch metrics'], records: ['cloudwatch-metric'] as EvidenceKind[] };

/** One GetMetricData call: the targets whose metrics are in one region, with clients in that region. */
export interface MetricBatch {
  region: string;
  clients: AwsClients;
  targets: MetricTargets;
}

/** The web ACL as its metrics need it: its metric name (GetWebACL) and the region it is read in (wafRegionFor). */
export interface WebAclMetrics {
  acl: WebAclRef;
  metricName: string;
  region: string;
}

/**
 * The calls to make, by region: the load balancer's metrics in the region of `clients` (the endpoint's), the web
 * ACL's in us-east-1 when it is a CloudFront one, else where it is read. Targets in the same region share one call.
 */
export function metricBatches(clients: AwsClients, loadBalancer: LoadBalancerRef | null, webAcl: WebAclMetrics | null): MetricBatch[] {
  const batches = new Map<string, MetricBatch>();
  const batchIn = (region: string): MetricBatch => {
    const existing = batches.get(region);
    if (existing !== undefined) return existing;
    const batch: MetricBatch = { region, clients: clients.inRegion(region), targets: {} };
    batches.set(region, batch);
    return batch;
  };
  if (loadBalancer !== null) batchIn(clients.access.region).targets.loadBalancerDimension = loadBalancer.dimension;
  if (webAcl !== null) {
    const { acl, metricName } = webAcl;
    batchIn(acl.scope === 'CLOUDFRONT' ? cloudFrontRegion : webAcl.region).targets.webAcl = { metricName, scope: acl.scope, region: acl.region };
  }
  return [...batches.values()];
}

/** What a batch asks for, in the coverage's words; the region is named when the batches are in several. */
function batchWords(batch: MetricBatch, severalRegions: boolean): string[] {
  const { loadBalancerDimension, webAcl } = batch.targets;
  const words: string[] = [];
  if (loadBalancerDimension !== undefined) words.push(`${loadBalancerDimension}${severalRegions ? ` (${batch.region})` : ''}`);
  if (webAcl !== undefined) {
    const where = webAcl.scope === 'CLOUDFRONT' ? ` (CloudFront web ACL, metrics from ${batch.region})` : severalRegions ? ` (${batch.region})` : '';
    words.push(`${webAcl.metricName}${where}`);
  }
  return words;
}

/** What one look found, as the AWS source's coverage row ("empty" turns into not-yet-available or missing by the clock). */
export interface MetricsLook {
  evidence: 'CloudWatch metrics';
  state: Extract<EvidenceAvailability, 'found' | 'failed'> | 'empty';
  detail: string;
  pendingDetail?: string;
}

/** Looks at the metrics of the probe's minutes, one call per batch; `publish` gets the datapoints as events. */
export function metricsLook(batches: MetricBatch[], range: MetricRange, publish: (events: EvidenceEvent[]) => void): (signal: AbortSignal | undefined) => Promise<MetricsLook[]> {
  const severalRegions = batches.length > 1;
  const where = batches.flatMap((batch) => batchWords(batch, severalRegions)).join(' and ');
  const minutes = `${range.from.toISOString().slice(11, 16)}–${range.to.toISOString().slice(11, 16)} UTC`;
  const evidence = 'CloudWatch metrics';
  return async (signal) => {
    const series: MetricSeries[] = [];
    const failures: Array<{ batch: MetricBatch; error: unknown }> = [];
    for (const batch of batches) {
      try {
        series.push(...(await fetchMetrics(batch.clients, batch.targets, range, signal)));
      } catch (error) {
        signal?.throwIfAborted();
        failures.push({ batch, error });
      }
    }
    // Nothing read at all: the first failure says why (the same one, most often: expired credentials).
    if (failures.length > 0 && failures.length === batches.length) throw failures[0]!.error;
    const events = metricEvents(series);
    publish(events);
    if (failures.length > 0) {
      const read = batches.filter((batch) => !failures.some((f) => f.batch === batch)).flatMap((batch) => batchWords(batch, severalRegions));
      const unread = failures.map(({ batch, error }) => {
        const names = [batch.targets.loadBalancerDimension, batch.targets.webAcl?.metricName].filter((n) => n !== undefined).join(' and ');
        return `the metrics of ${names} in ${batch.region} could not be read: ${(error as Error)?.message ?? String(error)}`;
      });
      return [{ evidence, state: 'failed', detail: `${read.join(' and ')}, ${minutes}: ${describeMetrics(series)}; ${unread.join('; ')}` }];
    }
    const detail = `${where}, ${minutes}: ${describeMetrics(series)}`;
    return [
      {
        evidence,
        state: events.length > 0 ? 'found' : 'empty',
        detail,
        pendingDetail: `${where}, ${minutes}: no datapoints published yet (CloudWatch publishes a minute about a minute after it ends)`,
      },
    ];
  };
}
