// AWS WAF's sampled requests, the fallback when no WAF log group is configured: GetWebACL gives the web ACL's
// and its rules' metric names, GetSampledRequests returns up to 500 samples per metric name from the first
// 5,000 requests of a window inside the last 3 hours. A sample carries the request's headers, so the probe's
// X-Amzn-Trace-Id finds it; a request that was not sampled is simply absent.

import { GetSampledRequestsCommand, GetWebACLCommand, type SampledHTTPRequest } from '@aws-sdk/client-wafv2';
import type { CorrelationKeys, EvidenceEvent, EvidenceMatch, TimeWindow } from '../types';
import { traceRoot } from '../logs/log-fields';
import { awsCall, type AwsClients } from './aws-clients';
import type { WebAclRef } from './aws-resources';

export interface WebAclVisibility {
  /** The `WebACL` dimension of AWS/WAFV2 metrics. */
  metricName: string;
  sampledRequestsEnabled: boolean;
  /** Metric names of the rules, in priority order; samples are asked per rule and for the default action. */
  ruleMetricNames: string[];
}

export async function describeWebAcl(clients: AwsClients, acl: WebAclRef, signal?: AbortSignal): Promise<WebAclVisibility> {
  const output = await awsCall({ action: 'wafv2:GetWebACL', resource: acl.arn, access: clients.access }, signal, () =>
    clients.wafv2().send(new GetWebACLCommand({ Name: acl.name, Id: acl.id, Scope: acl.scope }), { abortSignal: signal }),
  );
  const webAcl = output.WebACL;
  const rules = [...(webAcl?.Rules ?? [])].sort((a, b) => (a.Priority ?? 0) - (b.Priority ?? 0));
  return {
    metricName: webAcl?.VisibilityConfig?.MetricName ?? acl.name,
    sampledRequestsEnabled: webAcl?.VisibilityConfig?.SampledRequestsEnabled ?? false,
    ruleMetricNames: rules.map((r) => r.VisibilityConfig?.MetricName).filter((n): n is string => n !== undefined && n !== ''),
  };
}

/** How far back GetSampledRequests reaches. */
export const sampleRetentionMs = 3 * 60 * 60_000;

export interface SampledRequestsResult {
  /** `rule`: the rule whose metric name sampled it; null when sampled under the web ACL's own name. */
  samples: Array<SampledHTTPRequest & { metricName: string; rule: string | null }>;
  /** Requests the web ACL saw in the window (PopulationSize under its own metric name). */
  population: number;
  /** The window actually asked for (clipped to the last 3 hours), or null when the window is older. */
  asked: TimeWindow | null;
}

export async function fetchSampledRequests(clients: AwsClients, acl: WebAclRef, visibility: WebAclVisibility, window: TimeWindow, now: Date, signal?: AbortSignal): Promise<SampledRequestsResult> {
  const earliest = now.getTime() - sampleRetentionMs + 60_000;
  const from = new Date(Math.max(window.from.getTime(), earliest));
  const to = new Date(Math.min(window.to.getTime(), now.getTime()));
  if (from >= to) return { samples: [], population: 0, asked: null };
  const result: SampledRequestsResult = { samples: [], population: 0, asked: { from, to } };
  // Each rule's metric name samples what that rule matched, the web ACL's own name every request. Rules come
  // first so that a request sampled twice is kept with the rule that names it.
  for (const metricName of [...new Set([...visibility.ruleMetricNames, visibility.metricName])]) {
    const rule = metricName === visibility.metricName && !visibility.ruleMetricNames.includes(metricName) ? null : metricName;
    const output = await awsCall({ action: 'wafv2:GetSampledRequests', resource: `${acl.arn} (${metricName})`, access: clients.access }, signal, () =>
      clients.wafv2().send(
        new GetSampledRequestsCommand({ WebAclArn: acl.arn, RuleMetricName: metricName, Scope: acl.scope, TimeWindow: { StartTime: from, EndTime: to }, MaxItems: 500 }),
        { abortSignal: signal },
      ),
    );
    // Every request counts under the web ACL's own name; a rule's population is a part of it.
    if (metricName === visibility.metricName) result.population = output.PopulationSize ?? 0;
    for (const sample of output.SampledRequests ?? []) result.samples.push({ ...sample, metricName, rule });
  }
  return result;
}

function sampleHeader(sample: SampledHTTPRequest, name: string): string | null {
  return sample.Request?.Headers?.find((h) => h.Name?.toLowerCase() === name)?.Value ?? null;
}

/** The samples that are the probe's request (its trace id, or its address when it sent none), as timeline events. */
export function sampledRequestEvents(result: SampledRequestsResult, keys: CorrelationKeys, window: TimeWindow, resource: string): EvidenceEvent[] {
  const root = keys.traceId !== undefined ? traceRoot(keys.traceId) : null;
  const events: EvidenceEvent[] = [];
  const seen = new Set<string>();
  for (const sample of result.samples) {
    const time = sample.Timestamp?.getTime();
    if (time === undefined || time < window.from.getTime() || time > window.to.getTime()) continue;
    const matchedBy: EvidenceMatch[] = [];
    const trace = sampleHeader(sample, 'x-amzn-trace-id');
    if (root !== null && trace !== null && traceRoot(trace) === root) matchedBy.push({ key: 'traceId', value: trace });
    if (keys.clientIp !== undefined && sample.Request?.ClientIP === keys.clientIp) matchedBy.push({ key: 'clientIp', value: keys.clientIp });
    if (matchedBy.length === 0) continue;
    // The same request sampled under several metric names (a rule and the ACL) is one event.
    const identity = `${time}|${trace ?? ''}|${sample.Request?.ClientIP ?? ''}|${sample.Request?.URI ?? ''}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    const request = sample.Request;
    const rule = sample.RuleNameWithinRuleGroup ?? sample.rule;
    events.push({
      time: new Date(time).toISOString(),
      lane: 'waf',
      kind: 'waf-sampled-request',
      summary: `WAF sampled request: ${sample.Action ?? '?'}${rule !== null ? ` by rule ${rule}` : ''} — ${request?.Method ?? ''} ${request?.URI ?? ''} from ${request?.ClientIP ?? '?'}${sample.ResponseCodeSent !== undefined ? `, answered ${sample.ResponseCodeSent}` : ''}`,
      matchedBy,
      origin: { resource },
      record: {
        ...sample,
        Timestamp: new Date(time).toISOString(),
        ...(sample.RuleNameWithinRuleGroup === undefined && rule !== null ? { RuleNameWithinRuleGroup: rule } : {}),
        Labels: sample.Labels?.map((l) => l.Name) ?? [],
      },
    });
  }
  return events;
}
